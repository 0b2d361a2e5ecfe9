# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.user_import (documented in modules/)."""

from __future__ import annotations

from ansible.utils.display import Display

from ansible_collections.xivo.confd.plugins.module_utils import (
    import_plan, import_report, import_run, remote_lock, source_rows)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    ConfdActionBase, StopWatch, WaitingLines, progress_printer)

display = Display()


class ActionModule(ConfdActionBase):

    ARGSPEC = dict(
        src=dict(type='path', required=True),
        keys=dict(type='list', elements='str', default=list(import_plan.DEFAULT_KEYS)),
        batch_size=dict(type='int', default=100),
        batch_seconds=dict(type='float', default=30.0),
        update=dict(type='bool', default=False),
        update_password=dict(type='bool', default=False),
        update_identity=dict(type='bool', default=False),
        name_identity=dict(type='bool', default=True),
        validate=dict(type='bool', default=True),
        preflight=dict(type='bool', default=True),
        share_voicemails=dict(type='bool', default=False),
        context_map=dict(type='dict'),
        backup_dest=dict(type='path'),
        report_dest=dict(type='path'),
        failed_dest=dict(type='path'),
        fail_on_error=dict(type='bool', default=True),
        return_unchanged=dict(type='bool', default=True),
        lock_timeout=dict(type='float', default=0.0),
        server_lock=dict(type='str', default='required', choices=list(remote_lock.MODES)),
        break_lock=dict(type='bool', default=False),
        run_id=dict(type='str'),
        diff_limit=dict(type='int', default=import_report.DEFAULT_DIFF_LIMIT),
        progress_seconds=dict(type='float', default=10.0),
        conversion=dict(type='dict'),
    )

    def run_confd(self, client, args, task_vars, result):
        options = dict((name, args[name]) for name in import_run.DEFAULTS if name in args)
        import_run.check_options(options)
        for name in ('backup_dest', 'report_dest', 'failed_dest'):
            if options[name]:
                options[name] = self.local_path(options[name])
        if args.get('conversion'):
            options['conversion'] = legacy_conversion(args['conversion'], self.local_path(args['src']))
        host = task_vars.get('inventory_hostname', args['host'])
        with StopWatch(on_stop=client.abort) as stop, WaitingLines(
                host, client, args['progress_seconds'], display.display):
            run = import_run.ImportRun(
                client, self.local_path(args['src']), options, host=host,
                check_mode=bool(self._task.check_mode), diff=bool(self._task.diff),
                progress=progress_printer(host, args['progress_seconds']),
                should_stop=stop.reason)
            return run.run()


def legacy_conversion(result, src):
    """The registered result of xivo.confd.user_csv that wrote ``src``: what the import needs
    to count and name the rows of the legacy file (ConfdError when it describes another file)."""
    dest, legacy = result.get('dest'), result.get('src')
    if not dest or not legacy or 'row_lines' not in result:
        raise ConfdError('conversion must be the registered result of xivo.confd.user_csv that '
                         'wrote src (it has no src, dest or row_lines)')
    if not source_rows.same_file_as_any(src, [dest]):
        raise ConfdError('conversion describes the conversion of %s into %s, not src (%s)'
                         % (legacy, dest, src))
    return dict((k, result[k]) for k in ('src', 'dest', 'encoding', 'row_lines', 'invalid_lines',
                                         'invalid_rows', 'invalid_count') if k in result)
