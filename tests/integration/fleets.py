# -*- coding: utf-8 -*-
"""The emulated fleets of the integration tests: ephemeral ports, one web-services user."""

from __future__ import annotations

import pytest

from tests.emulator import Fleet


def emulated_fleet(count, first_address, user, password, **seed):
    """A Fleet (a context manager) whose servers know the web-services user ``user``, on
    ephemeral ports so that test files running side by side never collide."""
    full = {'ws_users': [{'login': user, 'password': password, 'acls': ['confd.#']}]}
    full.update(seed)
    return Fleet(count, first_address=first_address, port=0, auth_port=0, seed=full)


def fleet_fixtures(count, first_address, user, password, **seed):
    """The fixtures of a test module that shares one emulated fleet: ``fleet`` (the module's)
    and ``clean`` (autouse: every server reset before each test). Assign both at module level:
    ``fleet, clean = fleet_fixtures(...)``."""
    @pytest.fixture(scope='module', name='fleet')
    def fleet_fixture():
        with emulated_fleet(count, first_address, user, password, **seed) as servers:
            yield servers

    @pytest.fixture(autouse=True, name='clean')
    def clean_fixture(fleet):
        for server in fleet:
            server.reset()
        yield

    return fleet_fixture, clean_fixture
