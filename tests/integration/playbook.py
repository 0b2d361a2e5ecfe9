# -*- coding: utf-8 -*-
"""Run ansible-playbook from the tests, the way an operator would, and read its results."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit code, output, and task results by name."""

    def __init__(self, returncode, stdout, stderr, results, results_text=''):
        self.results_text = results_text
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.results = results

    def result(self, task_name, host=None):
        """The result of the named task (for host, or the only host that ran it)."""
        by_host = self.results.get(task_name, {})
        if host is None:
            assert len(by_host) == 1, (task_name, list(by_host), self.stdout[-3000:],
                                       self.stderr[-3000:])
            return next(iter(by_host.values()))
        return by_host[host]


def run_playbook(tmp_path, tasks, hosts=None, extra_args=(), play=None,
                 env=None, name='play'):
    """Write a one-play playbook and run it; hosts maps inventory names to their variables."""
    hosts = hosts or {'localhost': {}}
    inventory = {'all': {'hosts': {}}}
    for host, variables in hosts.items():
        entry = {'ansible_connection': 'local',
                 'ansible_python_interpreter': sys.executable}
        entry.update(variables)
        inventory['all']['hosts'][host] = entry
    inventory_path = tmp_path / ('%s-inventory.yml' % name)
    inventory_path.write_text(yaml.safe_dump(inventory))
    play_def = {'name': name, 'hosts': 'all', 'gather_facts': False, 'tasks': tasks}
    play_def.update(play or {})
    playbook_path = tmp_path / ('%s.yml' % name)
    playbook_path.write_text(yaml.safe_dump([play_def], sort_keys=False))
    run_env = dict(os.environ)
    run_env.update(ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'))
    results_path = tmp_path / ('%s-results.json' % name)
    run_env.update(ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED='record_results',
                   XIVO_CONFD_RESULTS=str(results_path))
    run_env.update(env or {})
    proc = subprocess.run(['ansible-playbook', '-i', str(inventory_path), str(playbook_path)]
                          + list(extra_args), capture_output=True, text=True, env=run_env,
                          cwd=str(tmp_path), timeout=600, check=False)
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results,
                       results_path.read_text() if results_path.exists() else '')
