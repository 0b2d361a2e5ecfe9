# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs every molecule scenario of extensions/molecule/ (the role against emulated fleets).

Each scenario starts its own fleet of emulated XiVO servers on its own 127.0.3.x addresses, so
they cannot collide. molecule runs from the collection root: that is where molecule 26 finds
extensions/molecule/ and its shared config.yml.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCENARIOS_DIR = os.path.join(REPO_ROOT, 'extensions', 'molecule')
SCENARIOS = sorted(
    name for name in os.listdir(SCENARIOS_DIR)
    if os.path.isfile(os.path.join(SCENARIOS_DIR, name, 'molecule.yml')))
ANSI = re.compile(r'\x1b\[[0-9;]*m')
TIMEOUT = 300


def test_scenarios_are_found():
    assert {'default', 'check', 'partial_failure'} <= set(SCENARIOS)


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_molecule_scenario(scenario):
    # Through env.sh, so the collection is importable as xivo.confd however pytest was started.
    command = 'source scripts/env.sh && exec molecule test -s %s' % scenario
    env = dict(os.environ, ANSIBLE_FORCE_COLOR='0', PY_COLORS='0', NO_COLOR='1')
    started = time.monotonic()
    proc = subprocess.run(['bash', '-c', command], cwd=REPO_ROOT, env=env, timeout=TIMEOUT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    output = ANSI.sub('', proc.stdout.decode('utf-8', 'replace'))
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, 'molecule test -s %s failed (rc %d, %.0f s):\n%s' % (
        scenario, proc.returncode, elapsed, output[-12000:])
    # Every step of the scenario's test sequence ran and passed.
    assert 'Executed: Failed' not in output, output[-12000:]
    assert re.search(r'%s\s*: actions=\d+\s+successful=\d+.*failed=0' % re.escape(scenario), output), \
        output[-4000:]
