# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each host of a fleet_import batch is given, read and checked before any server is
sent anything: its role variables, its server, its connection, its inputs and outputs; and
the batch's settings and run directory, from its first host that can give them."""

from __future__ import annotations

import itertools
import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.xivo.confd.plugins.module_utils import fleet, import_run, role_options
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    CONNECTION_ARGSPEC, ConfdError, check_connection_numbers)
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_files import os_error, run_directory
from ansible_collections.xivo.confd.plugins.plugin_utils.role_variables import BatchVariables


class HostPlan:
    """What one inventory host is given: its server, its source, its options and files."""

    def __init__(self, host):
        self.host = host
        self.error = None
        self.options = {}
        self.connection = {}
        self.source = ''            # the legacy or confd file named by the host
        self.legacy = False
        self.server = '?'
        self.conversion = {}
        self.warnings = []          # output directories that others can write to
        self.unusable = set()       # its output directories that nothing may be written in

    def fail(self, message):
        if self.error is None:
            self.error = message


class FleetPlanner:
    """The plans of a batch's hosts; ``inputs`` gathers every host's source files as they are
    read (no output of the run may be one of them)."""

    def __init__(self, task_args, check_mode, templar):
        self._args = task_args
        self._check_mode = check_mode
        self._templar = templar
        self.inputs = set()

    def plans(self, batch, task_vars):
        """Each host's plan, made as the caller asks for it (so that the first servers import
        while the next hosts are planned); which hosts are the same server is settled first,
        from their address and port only, before any server is touched."""
        playbook_dir = task_vars.get('playbook_dir', '.')
        found = {}      # host -> (its checked role variables, why they cannot be used), or an error
        servers = {}
        try:
            variables = BatchVariables(task_vars, self._templar)
        except (KeyError, AttributeError, TypeError) as exc:
            raise AnsibleError('fleet_import runs in the role xivo.confd.user_migration, where '
                               'the task\'s variables hold hostvars: %s' % exc)
        for host in batch:
            try:
                values, errors = role_options.check(variables.of(host), role_options.MAIN)
                found[host] = (values, errors)
                self.inputs.update(_input_files(values, playbook_dir))
                servers[host] = None if errors else self._server_of(values)
            except Exception as exc:  # pylint: disable=broad-except
                # Whatever goes wrong with one host's variables is that host's failure.
                found[host] = exc
        duplicates = fleet.duplicate_servers(dict((h, s) for h, s in servers.items() if s))
        checked_dirs = {}
        for host in batch:
            try:
                plan = self._plan(host, found.pop(host), playbook_dir)
            except Exception as exc:  # pylint: disable=broad-except
                plan = HostPlan(host)
                plan.fail('its variables cannot be used: %s: %s'
                          % (type(exc).__name__, _first_line(exc)))
            if host in duplicates:
                plan.fail(fleet.duplicate_message(host, *duplicates[host]))
            if plan.options:
                # Every place the host's run writes, usable before anything is sent to it.
                errors, plan.warnings = fleet.check_output_dirs(
                    plan.options, self._check_mode, checked_dirs, plan.unusable)
                if errors:
                    plan.fail('%s; nothing was sent to this server' % '; '.join(errors))
            yield plan

    def _plan(self, host, found, playbook_dir):
        """What one host is given: its role variables, templated with its own variables (as a
        task of that host would see them; Ansible's role argument check has checked them)."""
        plan = HostPlan(host)
        if isinstance(found, AnsibleError):
            plan.fail('a role variable cannot be templated: %s' % _first_line(found))
            return plan
        if isinstance(found, Exception):
            plan.fail('its variables cannot be used: %s: %s'
                      % (type(found).__name__, _first_line(found)))
            return plan
        values, errors = found
        if errors:
            plan.fail('; '.join(errors))
            return plan
        self._fill(plan, fleet.host_options(values, playbook_dir))
        return plan

    def _server_of(self, values):
        """(address, port, tenant) of where the host imports, from its address, port and
        tenant alone; None when they are wrong (its plan then says why)."""
        where = dict((k, v) for k, v in self._connection_args(values).items()
                     if k in ('host', 'port', 'tenant'))
        checked = ArgumentSpecValidator(dict(
            (k, CONNECTION_ARGSPEC[k]) for k in ('host', 'port', 'tenant'))).validate(where)
        if checked.error_messages:
            return None
        found = checked.validated_parameters
        return found['host'], found['port'], found.get('tenant')

    def _connection_args(self, values):
        """A role variable that is set wins; else module_defaults (this task's arguments, from
        group/xivo.confd.confd); the XIVO_CONFD_* environment and the defaults come after, from
        the argument specification."""
        args = dict((option, self._args[option]) for option in CONNECTION_ARGSPEC
                    if self._args.get(option) not in (None, ''))
        args.update(role_options.options(values, role_options.CONNECTION))
        return args

    def _fill(self, plan, values):
        plan.options = values
        args = self._connection_args(values)
        checked = ArgumentSpecValidator(
            CONNECTION_ARGSPEC, mutually_exclusive=[('token', 'username'), ('token', 'password')],
            required_together=[('username', 'password')],
            required_one_of=[('token', 'username')]).validate(args)
        plan.connection = checked.validated_parameters
        plan.server = fleet.server_label(plan.connection.get('host'), plan.connection.get('port'))
        if checked.error_messages:
            plan.fail('; '.join(_no_secrets(m, args) for m in checked.error_messages))
        legacy, confd = values.get('legacy_csv'), values.get('csv')
        if legacy and confd:
            plan.fail('both xivo_user_migration_legacy_csv and xivo_user_migration_csv are set: '
                      'set one of them')
        elif not (legacy or confd):
            plan.fail('nothing to import: set xivo_user_migration_legacy_csv (a legacy '
                      'web-interface file) or xivo_user_migration_csv (a file in the confd '
                      'format) for this host')
        plan.source, plan.legacy = (legacy, True) if legacy else (confd, False)
        # Every input of the host is checked here, before any server of the batch is sent
        # anything: a wrong path fails this host alone, named, with its reason.
        for problem in fleet.input_problems(values, plan.connection):
            plan.fail('%s: nothing was sent to %s' % (problem, plan.server))
        try:
            import_run.check_options(dict(import_run.DEFAULTS, **dict(
                (name, value) for name, value in role_options.options(
                    values, role_options.IMPORT).items() if value is not None)))
            check_connection_numbers(**dict(
                (k, plan.connection[k]) for k in ('port', 'auth_port', 'timeout', 'retries',
                                                  'token_expiration')
                if plan.connection.get(k) is not None))
        except (ConfdError, TypeError, ValueError) as exc:
            plan.fail(str(exc))


def batch_settings(plans, playbook_dir, play_key):
    """The batch's settings (its work and report directories, its concurrency) from the
    first host whose variables could be read and whose work directory can be used: a
    wrong directory, or wrong variables, in the first host of the batch fail that host
    alone. ``plans``: the hosts' plans, made as they are asked for. Returns (the first plan,
    the others, the settings, (run id, run directory), the work directory's configured part)."""
    taken = []
    settings, found = {}, None
    for plan in plans:
        taken.append(plan)
        if not plan.options or 'work_dir' in plan.unusable:
            continue            # its variables or its directories cannot be used: it says why
        work_dir = plan.options.get('work_dir') or fleet.default_dir(playbook_dir, 'work_dir')
        base = (plan.options.get('bases') or {}).get('work_dir') or os.path.abspath(
            playbook_dir)
        try:
            found = run_directory(work_dir, base, play_key)
        except OSError as exc:
            plan.fail('its work directory %s cannot be used (%s): nothing was sent to %s'
                      % (work_dir, os_error(exc, work_dir), plan.server))
            continue
        settings = plan.options
        break
    if found is None:
        # No host can say where: every one of them fails with its reason, recorded in the
        # default work directory.
        base = os.path.abspath(playbook_dir)
        found = run_directory(fleet.default_dir(playbook_dir, 'work_dir'), base, play_key)
        settings = role_options.check({}, role_options.MAIN)[0]
    return taken[0], itertools.chain(taken[1:], plans), settings, found, base


def _input_files(values, playbook_dir):
    """The source files a host names (its legacy or confd file), as the role resolves them."""
    return set(os.path.join(playbook_dir, os.path.expanduser(values[name]))
               for name in ('legacy_csv', 'csv') if values.get(name))


def _first_line(exc):
    return str(getattr(exc, 'message', exc)).splitlines()[0][:500]


def _no_secrets(message, args):
    return scrub_text(message, set(v for k, v in args.items()
                                   if k in ('password', 'token') and v))
