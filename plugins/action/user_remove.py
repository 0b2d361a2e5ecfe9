# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.user_remove (documented in modules/)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.xivo.confd.plugins.module_utils import (
    fleet, import_plan, remote_lock, role_options, rollback_run)
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    ConfdActionBase, StopWatch)
from ansible_collections.xivo.confd.plugins.plugin_utils.role_variables import own_variables


class ActionModule(ConfdActionBase):

    ARGSPEC = dict(
        from_report=dict(type='path'),
        from_report_dir=dict(type='path'),
        run_id=dict(type='str'),
        report_host=dict(type='str'),
        src=dict(type='path'),
        keys=dict(type='list', elements='str', default=list(import_plan.DEFAULT_KEYS)),
        force=dict(type='bool', default=False),
        accept_unverified_report=dict(type='bool', default=False),
        report_dest=dict(type='path'),
        report_dir=dict(type='path'),
        fail_on_error=dict(type='bool', default=True),
        lock_timeout=dict(type='float', default=0.0),
        server_lock=dict(type='str', default='required', choices=list(remote_lock.MODES)),
        break_lock=dict(type='bool', default=False),
        role_variables=dict(type='bool', default=False),
    )
    MUTUALLY_EXCLUSIVE = ConfdActionBase.MUTUALLY_EXCLUSIVE + [
        ('from_report', 'from_report_dir', 'src'), ('report_dest', 'report_dir')]
    REQUIRED_ONE_OF = ConfdActionBase.REQUIRED_ONE_OF + [('from_report', 'from_report_dir', 'src')]

    def task_args(self, task_vars):
        """With role_variables, the options of the role's rollback entry point for this host
        (role_options: the one mapping from the role's variables to the modules' options,
        the import's too); its variables templated by the task's own templar."""
        args = dict(self._task.args)
        if not boolean(args.get('role_variables', False), strict=False):
            return args
        values, errors = role_options.check(
            own_variables(task_vars, self._templar, role_options.ROLLBACK), role_options.ROLLBACK)
        if errors:
            raise AnsibleActionFail('; '.join(errors))
        args.update(role_options.rollback_args(values, task_vars.get('playbook_dir', '.')))
        return args

    def run_confd(self, client, args, task_vars, result):
        options = dict((name, args[name]) for name in rollback_run.DEFAULTS if name in args)
        for name in ('from_report', 'from_report_dir', 'src', 'report_dest', 'report_dir'):
            if options[name]:
                options[name] = self.local_path(options[name])
        host = args['report_host'] or task_vars.get('inventory_hostname', args['host'])
        with StopWatch() as stop:
            rollback = rollback_run.RollbackRun(
                client, options, host,
                fleet.server_label(args['host'], args['port']),
                check_mode=bool(self._task.check_mode), diff=bool(self._task.diff),
                should_stop=stop.reason)
            try:
                return rollback.run()
            finally:
                result.setdefault('warnings', []).extend(rollback.warnings)
