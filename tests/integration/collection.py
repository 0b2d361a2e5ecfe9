# -*- coding: utf-8 -*-
"""Build and install the collection the way an operator does (ansible-galaxy), for the tests."""

from __future__ import annotations

import os
import subprocess

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(args, env=None, cwd=None):
    """Run a command, fail the test with its output unless it exits 0, return its stdout."""
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
                          check=False)
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout


def galaxy_metadata(source=REPO):
    with open(os.path.join(source, 'galaxy.yml'), encoding='utf-8') as f:
        return yaml.safe_load(f)


def tarball_name(source=REPO):
    meta = galaxy_metadata(source)
    return '%s-%s-%s.tar.gz' % (meta['namespace'], meta['name'], meta['version'])


def build(source, output_dir):
    """ansible-galaxy collection build of the tree at source; returns the tarball path."""
    run(['ansible-galaxy', 'collection', 'build', str(source), '--output-path', str(output_dir)])
    tarball = os.path.join(str(output_dir), tarball_name(source))
    assert os.path.isfile(tarball), os.listdir(str(output_dir))
    return tarball


def installed_env(collections_root):
    """The environment of a command that must see the installed collection only: without it,
    scripts/env.sh's PYTHONPATH lets ansible-galaxy and ansible-doc find this checkout instead
    (ansible-galaxy then reports the tarball 'already installed' and installs nothing)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_root))
    for name in ('PYTHONPATH', 'ANSIBLE_ROLES_PATH'):
        env.pop(name, None)
    return env


def install(tarball, collections_root):
    """ansible-galaxy collection install of the tarball into collections_root/ansible_collections."""
    run(['ansible-galaxy', 'collection', 'install', str(tarball), '-p', str(collections_root)],
        env=installed_env(collections_root))
    installed = os.path.join(str(collections_root), 'ansible_collections', 'xivo', 'confd')
    assert os.path.isfile(os.path.join(installed, 'MANIFEST.json')), installed
    return str(collections_root)
