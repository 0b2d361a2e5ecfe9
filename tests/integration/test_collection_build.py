# -*- coding: utf-8 -*-
"""The collection builds, installs from its tarball, and documents every module."""

from __future__ import annotations

import os
import subprocess
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = ('user_csv', 'user_import', 'user_export')


def run(args, env=None, cwd=None):
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
                          check=False)
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout


def test_tarball_builds_installs_and_documents_every_module(tmp_path):
    run(['ansible-galaxy', 'collection', 'build', REPO, '--output-path', str(tmp_path)])
    tarball = tmp_path / 'xivo-confd-1.0.0.tar.gz'
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    for module in MODULES:
        assert 'plugins/modules/%s.py' % module in names
        assert 'plugins/action/%s.py' % module in names
    assert 'roles/user_migration/meta/argument_specs.yml' in names
    assert not [n for n in names if n.startswith(('.venv', 'tests/output', '.git/'))]
    install_root = tmp_path / 'collections'
    run(['ansible-galaxy', 'collection', 'install', str(tarball), '-p', str(install_root)])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(install_root))
    listing = run(['ansible-doc', '-l', 'xivo.confd'], env=env, cwd=str(tmp_path))
    for module in MODULES:
        assert 'xivo.confd.%s' % module in listing
        doc = run(['ansible-doc', 'xivo.confd.%s' % module], env=env, cwd=str(tmp_path))
        assert 'EXAMPLES' in doc and 'RETURN VALUES' in doc and 'check_mode' in doc
    roles = run(['ansible-doc', '-t', 'role', 'xivo.confd.user_migration'], env=env,
                cwd=str(tmp_path))
    assert 'xivo_user_migration_legacy_csv' in roles
