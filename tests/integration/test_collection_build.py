# -*- coding: utf-8 -*-
"""The collection builds, installs from its tarball, and documents every module."""

from __future__ import annotations

import tarfile

from tests.integration.collection import installed_env, run

MODULES = ('user_csv', 'user_import', 'user_export')


def test_tarball_builds_installs_and_documents_every_module(collection_tarball, installed_collections,
                                                            tmp_path):
    with tarfile.open(collection_tarball) as archive:
        names = archive.getnames()
    for module in MODULES:
        assert 'plugins/modules/%s.py' % module in names
        assert 'plugins/action/%s.py' % module in names
    assert 'roles/user_migration/meta/argument_specs.yml' in names
    assert not [n for n in names if n.startswith(('.venv', 'tests/output', '.git/'))]
    env = installed_env(installed_collections)
    listing = run(['ansible-doc', '-l', 'xivo.confd'], env=env, cwd=str(tmp_path))
    for module in MODULES:
        assert 'xivo.confd.%s' % module in listing
        doc = run(['ansible-doc', 'xivo.confd.%s' % module], env=env, cwd=str(tmp_path))
        assert 'EXAMPLES' in doc and 'RETURN VALUES' in doc and 'check_mode' in doc
    roles = run(['ansible-doc', '-t', 'role', 'xivo.confd.user_migration'], env=env,
                cwd=str(tmp_path))
    assert 'xivo_user_migration_legacy_csv' in roles
