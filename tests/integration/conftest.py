# -*- coding: utf-8 -*-
"""Fixtures shared by the integration tests: the collection built and installed once per session."""

from __future__ import annotations

import pytest

from tests.integration import collection


@pytest.fixture(scope='session')
def collection_tarball(tmp_path_factory):
    """The tarball ansible-galaxy builds from this checkout."""
    return collection.build(collection.REPO, tmp_path_factory.mktemp('build'))


@pytest.fixture(scope='session')
def installed_collections(collection_tarball, tmp_path_factory):
    """A collections root (holding ansible_collections/xivo/confd) installed from the tarball."""
    return collection.install(collection_tarball, tmp_path_factory.mktemp('collections'))
