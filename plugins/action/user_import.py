# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.user_import (documented in modules/)."""

from __future__ import annotations

import datetime
import json

from ansible_collections.xivo.confd.plugins.module_utils import confd_rules, import_plan
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import SECRET_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.secrets import (
    MASK, scrub_text, secret_values)
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    ConfdActionBase, remove_file, write_private_file)


MAX_FAILURES_IN_MSG = 20


class ActionModule(ConfdActionBase):

    ARGSPEC = dict(
        src=dict(type='path', required=True),
        keys=dict(type='list', elements='str', default=list(import_plan.DEFAULT_KEYS)),
        batch_size=dict(type='int', default=100),
        update=dict(type='bool', default=False),
        update_password=dict(type='bool', default=False),
        validate=dict(type='bool', default=True),
        backup_dest=dict(type='path'),
        report_dest=dict(type='path'),
        failed_dest=dict(type='path'),
        fail_on_error=dict(type='bool', default=True),
        return_unchanged=dict(type='bool', default=True),
    )

    def run_confd(self, client, args, task_vars, result):
        if args['batch_size'] < 1:
            raise ConfdError('batch_size must be at least 1')
        import_plan.check_keys(args['keys'])
        started = _now()
        src = self.local_path(args['src'])
        # Read and check the file before any request: a refused file sends nothing.
        header, rows = import_plan.read_confd_csv(src)
        secrets = secret_values([row.values for row in rows]) | client.secrets
        out = dict(src=src)
        users = []
        try:
            headers, users = client.export_users()
        except ConfdError as exc:
            # The server cannot be read: every row is accounted for as not imported, and the
            # report says so rather than leaving the previous run's report in place.
            error = scrub_text(str(exc), secrets)
            out['error'] = error
            outcomes = import_plan.plan(header, rows, [], validate=None)
            for outcome in outcomes:
                outcome.fail('not imported: ' + error)
        else:
            if args['backup_dest'] and not self._task.check_mode:
                out['backup_file'] = self.local_path(args['backup_dest'])
                write_private_file(out['backup_file'],
                                   import_plan.users_csv_body(headers, users))
            outcomes = import_plan.plan(
                header, rows, users, keys=args['keys'], update=args['update'],
                update_password=args['update_password'],
                validate=confd_rules.file_validator() if args['validate'] else None)
            if self._task.check_mode:
                for outcome in outcomes:
                    if outcome.status in ('create', 'update'):
                        outcome.status = 'would_' + outcome.status
            else:
                import_plan.Importer(client, header, keys=args['keys'],
                                     batch_size=args['batch_size'], secrets=secrets).run(outcomes)
        summary = import_plan.summarize(outcomes)
        out.update(
            changed=bool(summary['created'] or summary['updated']
                         or summary['would_create'] or summary['would_update']),
            users=[outcome.as_dict() for outcome in outcomes
                   if args['return_unchanged'] or outcome.status != 'unchanged'],
            summary=summary,
        )
        if self._task.diff:
            out['diff'] = _diff(outcomes, {u.get('uuid'): u for u in users})
        failed = [outcome for outcome in outcomes if outcome.status == 'failed']
        if not self._task.check_mode:
            out.update(self._write_reports(args, src, header, outcomes, failed, summary,
                                           started, task_vars, out.get('error')))
        if out.get('error'):
            out['msg'] = 'nothing was imported into %s:%s: %s' % (
                args['host'], args['port'], out['error'])
        else:
            out['msg'] = _message(src, summary, failed)
        if failed and args['fail_on_error']:
            out['failed'] = True
        return out

    def _write_reports(self, args, src, header, outcomes, failed, summary, started,
                       task_vars, error):
        written = {}
        if args['report_dest']:
            path = self.local_path(args['report_dest'])
            report = dict(host=task_vars.get('inventory_hostname', args['host']),
                          server='%s:%s' % (args['host'], args['port']), src=src,
                          started=started, finished=_now(), summary=summary,
                          users=[outcome.as_dict() for outcome in outcomes])
            if error:
                report['error'] = error
            write_private_file(path, (json.dumps(report, indent=2, sort_keys=True)
                                      + '\n').encode('utf-8'))
            written['report_file'] = path
        if args['failed_dest']:
            path = self.local_path(args['failed_dest'])
            if failed:
                # The only output that holds secrets: the operator fixes it and feeds it back.
                write_private_file(path, import_plan.csv_body(
                    header, [outcome.row.values for outcome in failed]))
                written['failed_file'] = path
            else:
                remove_file(path)  # a stale list of failures would mislead
        return written


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _message(src, summary, failed):
    text = ('%(created)d created, %(updated)d updated, %(unchanged)d unchanged, '
            '%(failed)d failed' % summary)
    if summary['would_create'] or summary['would_update']:
        text += ', %(would_create)d would be created, %(would_update)d would be updated' % summary
    if failed:
        details = ['line %d (%s): %s' % (o.row.line, o.key or 'no key', o.error)
                   for o in failed[:MAX_FAILURES_IN_MSG]]
        if len(failed) > MAX_FAILURES_IN_MSG:
            details.append('... and %d more (see the users result)'
                           % (len(failed) - MAX_FAILURES_IN_MSG))
        text += '. Failed rows of %s: %s' % (src, '; '.join(details))
    return text


def _show(column, value):
    return MASK if column in SECRET_COLUMNS and value else value


def _diff(outcomes, users_by_uuid):
    """A secret-free before/after of the users that are (or would be) created or updated."""
    before, after = [], []
    for outcome in outcomes:
        values = outcome.row.values
        name = ('%s %s' % (values.get('firstname', ''), values.get('lastname', ''))).strip()
        if outcome.status in ('created', 'would_create'):
            after.append('+ %s (%s)' % (outcome.key, name))
        elif outcome.status in ('updated', 'would_update'):
            user = users_by_uuid.get(outcome.uuid, {})
            before.append('~ %s: %s' % (outcome.key, ', '.join(
                '%s=%s' % (c, _show(c, user.get(c, ''))) for c in outcome.changes)))
            after.append('~ %s: %s' % (outcome.key, ', '.join(
                '%s=%s' % (c, _show(c, values.get(c, ''))) for c in outcome.changes)))
    return dict(before_header='server users', after_header='server users after import',
                before='\n'.join(before) + ('\n' if before else ''),
                after='\n'.join(after) + ('\n' if after else ''))
