# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role variables of the hosts of a play batch, as each host's own task would see them,
from what Ansible gives an action plugin: the task's variables (``task_vars``, with
``hostvars``) and its templar.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import hashlib
import os

from ansible_collections.xivo.confd.plugins.module_utils import role_options
from ansible_collections.xivo.confd.plugins.module_utils.fleet import plain

_MISSING = object()


class BatchVariables:
    """Each host's role variables, for a task that runs once for the batch.

    ``hostvars[host]`` holds what Ansible keeps per host (inventory, facts, set_fact,
    include_vars, extra vars), not what the play sets for every host (its ``vars``, role
    parameters, the task's ``vars``): those are the running host's variables that its
    ``hostvars`` lacks or holds another value of, the same for every host of the play. So a
    host's variables are its ``hostvars`` under the play's; each value is templated in that
    host's own variables (``{{ inventory_hostname }}`` names the host)."""

    def __init__(self, task_vars, templar):
        self._hostvars = task_vars['hostvars']
        running = self._hostvars.raw_get(task_vars['inventory_hostname'])
        self._play = {}
        for name, value in task_vars.items():
            if running.get(name, _MISSING) is not value and not _same(running.get(name, _MISSING),
                                                                      value):
                self._play[name] = value
        self._templar = templar.copy_with_new_env(available_variables=task_vars)

    def of(self, host, entrypoint=role_options.MAIN):
        """{role variable without the prefix: its value templated for ``host``} for the
        variables set for that host (the others take their default in role_options.check)."""
        context = dict(self._hostvars.raw_get(host))
        context.update(self._play)
        self._templar.available_variables = context
        values = {}
        for name in role_options.variables(entrypoint):
            if name in context:
                values[name[len(role_options.PREFIX):]] = self.template(context[name])
        if values.get('api_host') in (None, ''):
            # The documented default: the host's ansible_host, else its inventory name.
            values['api_host'] = self.template(context.get('ansible_host') or host)
        return values

    def template(self, value):
        """A value templated with the host's variables, as plain data. A scalar that cannot
        hold a template is taken as it is (the templar's setup is not free, per value)."""
        if isinstance(value, (bool, int, float)) or value is None or (
                isinstance(value, str) and '{' not in value):
            return plain(value)
        return plain(self._templar.template(value))


def own_variables(task_vars, templar, entrypoint):
    """{role variable without the prefix: its value} of the host a task runs for, templated
    by the action's own templar (the host's variables, as Ansible sets them)."""
    values = {}
    for name in role_options.variables(entrypoint):
        if name in task_vars:
            values[name[len(role_options.PREFIX):]] = plain(templar.template(task_vars[name]))
    if values.get('api_host') in (None, ''):
        values['api_host'] = plain(templar.template(
            task_vars.get('ansible_host') or task_vars['inventory_hostname']))
    return values


def play_key(task_vars):
    """The same string for every task of one play of one ansible-playbook run, another for
    another play or run: the ansible-playbook process (the parent of the task's worker, with
    its start time where the system says it), the play's name and hosts."""
    parent = os.getppid()
    started = ''
    try:
        with open('/proc/%d/stat' % parent) as handle:
            started = handle.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError):
        pass
    hosts = sorted(str(h) for h in task_vars.get('ansible_play_hosts_all') or ())
    text = '\n'.join([str(parent), started, str(task_vars.get('ansible_play_name', ''))] + hosts)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def _same(first, second):
    try:
        return bool(first == second)
    except Exception:  # pylint: disable=broad-except
        return False    # a value that cannot be compared is taken as the play's
