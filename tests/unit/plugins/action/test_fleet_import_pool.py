# -*- coding: utf-8 -*-
"""The fleet's pool: every server of the batch at once by default, whatever its size, within
what the controller's open-file limit allows (raised to what it needs when it can be)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = r'''
import resource, sys
from ansible_collections.xivo.confd.plugins.action.fleet_import import _pool_size
soft, hard = (int(v) for v in sys.argv[1:3])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
print(_pool_size(int(sys.argv[3]), int(sys.argv[4])), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
'''


def pool(soft, hard, concurrency, servers):
    """(threads, soft limit after) in a process of its own (a hard limit cannot be raised
    again once lowered)."""
    # The probe imports what this process imports, from where it does (ansible-test units puts
    # the collection and ansible on sys.path, not in the environment).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    out = subprocess.run([sys.executable, '-c', PROBE, str(soft), str(hard), str(concurrency),
                          str(servers)], capture_output=True, text=True, check=True, env=env).stdout
    threads, limit = out.split()
    return int(threads), int(limit)


def test_every_server_at_once_and_the_open_file_limit_raised_for_them():
    assert pool(256, 4096, 0, 200) == (200, 64 + 6 * 200)
    assert pool(4096, 4096, 0, 200) == (200, 4096)


def test_a_concurrency_caps_the_pool():
    assert pool(1024, 4096, 32, 200)[0] == 32
    assert pool(1024, 4096, 32, 3)[0] == 3


def test_a_hard_limit_too_low_takes_the_servers_in_turns():
    assert pool(256, 256, 0, 200) == ((256 - 64) // 6, 256)
