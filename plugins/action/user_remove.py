# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.user_remove (documented in modules/)."""

from __future__ import annotations

import json

from ansible_collections.xivo.confd.plugins.module_utils import (
    import_plan, import_run, reports, user_rollback)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    ConfdActionBase, StopWatch)

MAX_IN_MSG = 20


class ActionModule(ConfdActionBase):

    ARGSPEC = dict(
        from_report=dict(type='path'),
        from_report_dir=dict(type='path'),
        run_id=dict(type='str'),
        report_host=dict(type='str'),
        src=dict(type='path'),
        keys=dict(type='list', elements='str', default=list(import_plan.DEFAULT_KEYS)),
        force=dict(type='bool', default=False),
        report_dest=dict(type='path'),
        fail_on_error=dict(type='bool', default=True),
    )
    MUTUALLY_EXCLUSIVE = ConfdActionBase.MUTUALLY_EXCLUSIVE + [
        ('from_report', 'from_report_dir', 'src')]
    REQUIRED_ONE_OF = ConfdActionBase.REQUIRED_ONE_OF + [('from_report', 'from_report_dir', 'src')]

    def run_confd(self, client, args, task_vars, result):
        started = reports.utc_now()
        out = {}
        if args['src']:
            import_plan.check_keys(args['keys'])
            src = self.local_path(args['src'])
            try:
                header, rows = import_plan.read_confd_csv(src)
            except import_plan.CsvFileError as exc:
                raise ConfdError(str(exc))
            targets = user_rollback.targets_from_rows(header, rows, client.export_users()[1],
                                                      args['keys'])
            out['src'] = src
        else:
            if args['from_report']:
                path = self.local_path(args['from_report'])
                try:
                    with open(path) as handle:
                        report = json.load(handle)
                except (OSError, ValueError) as exc:
                    raise ConfdError('%s: cannot be read as a report: %s' % (path, exc))
            else:
                host = args['report_host'] or task_vars.get('inventory_hostname', args['host'])
                path, report = user_rollback.find_report(
                    self.local_path(args['from_report_dir']), host, args['run_id'])
            targets = user_rollback.targets_from_report(report)
            out.update(from_report=path, run_id=report.get('run_id'))
        with StopWatch() as stop:
            remover = user_rollback.Remover(client, check_mode=bool(self._task.check_mode),
                                            force=args['force'], should_stop=stop.reason)
            for target in targets:
                remover.remove(target)
        summary = user_rollback.summarize(targets)
        bad = [t for t in targets if t.status in ('failed', 'conflict')]
        out.update(changed=bool(summary['removed'] or summary['would_remove']),
                   users=[t.as_dict() for t in targets], summary=summary,
                   requests=remover.requests)
        if remover.interrupted:
            out['interrupted'] = remover.interrupted
        if self._task.diff:
            out['diff'] = dict(
                before_header='server users', after_header='server users after the rollback',
                before=''.join('- %s (%s, uuid %s): %s\n' % (t.key, t.name, t.uuid,
                                                             ', '.join(t.removed))
                               for t in targets if t.status in ('removed', 'would_remove')),
                after='')
        if args['report_dest'] and not self._task.check_mode:
            path = self.local_path(args['report_dest'])
            import_run.write_private_file(path, reports.report_json(dict(
                out, server='%s:%s' % (args['host'], args['port']), started=started,
                finished=reports.utc_now()), default=str).encode('utf-8'))
            out['report_file'] = path
        text = ('%(removed)d removed, %(would_remove)d would be removed, %(absent)d absent, '
                '%(conflict)d conflict, %(failed)d failed' % summary)
        if bad:
            text += '. Not removed: ' + '; '.join(
                '%s (%s): %s' % (t.key or t.uuid, t.name, t.error) for t in bad[:MAX_IN_MSG])
            if len(bad) > MAX_IN_MSG:
                text += '; ... and %d more (see the users result)' % (len(bad) - MAX_IN_MSG)
        out['msg'] = sanitize_message(text, 20000)
        if bad and args['fail_on_error']:
            out['failed'] = True
        return out
