# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.user_remove (documented in modules/)."""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, file_output, import_plan, remote_lock, reports, role_options, user_rollback)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import ServerLock
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    ConfdActionBase, StopWatch)
from ansible_collections.xivo.confd.plugins.plugin_utils.role_variables import own_variables

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
        if args['lock_timeout'] < 0:
            raise ConfdError('lock_timeout must be 0 (refuse at once) or a number of seconds')
        check_mode = bool(self._task.check_mode)
        with StopWatch() as stop:
            if check_mode:
                return self._remove(client, args, task_vars, stop)
            if args['server_lock'] == 'local':
                out = self._remove(client, args, task_vars, stop)
                out.setdefault('warnings', []).append(remote_lock.lock_mode_warning(
                    '%s:%s' % (client.host, client.port)))
                return out
            lock = remote_lock.RemoteLock(
                client, what='rollback', run_id=args['run_id'] or reports.new_run_id(),
                timeout=args['lock_timeout'], break_lock=args['break_lock'],
                should_stop=stop.reason,
                pending_dir=ServerLock(client.host, client.port).lock_dir)
            try:
                with lock:
                    out = self._remove(client, args, task_vars, stop)
            finally:
                result.setdefault('warnings', []).extend(lock.warnings)
            return out

    def _remove(self, client, args, task_vars, stop):
        started = reports.utc_now()
        check_mode = bool(self._task.check_mode)
        host = args['report_host'] or task_vars.get('inventory_hostname', args['host'])
        out = {}
        report = None
        warnings = []
        if args['src']:
            import_plan.check_keys(args['keys'])
            src = self.local_path(args['src'])
            try:
                header, rows = confd_csv.read(src)
            except confd_csv.CsvFileError as exc:
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
                run_id = report.get('run_id') if isinstance(report, dict) else None
            else:
                run_id, path, report = user_rollback.find_report(
                    self.local_path(args['from_report_dir']), host, args['run_id'])
            out.update(from_report=path, run_id=run_id)
        if args['src']:
            remover = user_rollback.Remover(client, check_mode=check_mode,
                                            force=args['force'], should_stop=stop.reason)
            for target in targets:
                remover.remove(target)
        else:
            targets, remover, identity, warning = user_rollback.undo_report(
                client, report if report is not None else {'users': []}, check_mode,
                args['force'], args['accept_unverified_report'], stop.reason)
            if warning:
                warnings.append(warning)
        if remover is None:
            # Only the run asked for is undone: a server where it created nothing is left
            # alone, whatever older runs created there.
            out.update(changed=False, users=[], summary=user_rollback.summarize([]), requests=0,
                       msg='run %s created nothing here: nothing removed'
                       % (out.get('run_id') or '(no run id)'))
            return out
        if not args['src']:
            out['server_identity'] = identity
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
        if not check_mode and (args['report_dest'] or args['report_dir']):
            data = reports.report_json(dict(
                out, host=host, server='%s:%s' % (args['host'], args['port']), started=started,
                finished=reports.utc_now()), default=str).encode('utf-8')
            if args['report_dest']:
                path = self.local_path(args['report_dest'])
                file_output.write_private_file(path, data)
            else:
                path, latest = rollback_report_paths(self.local_path(args['report_dir']), host,
                                                     out.get('run_id'))
                file_output.write_private_file(path, data)
                # A second name, replaced at each rollback; the rollback's own file stays.
                if not file_output.replace_with_link(path, latest):
                    file_output.write_private_file(latest, data)
                out['latest_report_file'] = latest
            out['report_file'] = path
        text = rollback_message(out.get('run_id'), summary, check_mode)
        if bad:
            text += '. Not removed: ' + '; '.join(
                '%s (%s): %s' % (t.key or t.uuid, t.name, t.error) for t in bad[:MAX_IN_MSG])
            if len(bad) > MAX_IN_MSG:
                text += '; ... and %d more (see the users result)' % (len(bad) - MAX_IN_MSG)
        out['msg'] = sanitize_message(text, 20000)
        if warnings:
            out['warnings'] = warnings
        if bad and args['fail_on_error']:
            out['failed'] = True
        return out


def rollback_message(run_id, summary, check_mode):
    """The task's one line: the run and the counts, in the words of the mode."""
    head = 'run %s: ' % run_id if run_id else ''
    if check_mode:
        text = 'would remove %(would_remove)d, would keep %(conflict)d (conflicts)' % summary
    else:
        text = 'removed %(removed)d, kept %(conflict)d (conflicts)' % summary
    return head + text + ', %(absent)d already gone, %(failed)d failed' % summary


def rollback_report_paths(directory, host, run_id):
    """(this rollback's own report, the latest-of-host name): one file per rollback, named by
    its time, the run it undid and the host, never written over by the next one."""
    stem = reports.safe_stem(host)
    own = '%s-run-%s-%s.json' % (reports.new_run_id(), run_id or 'none', stem)
    return reports.inside(directory, own), reports.inside(directory, 'latest-%s.json' % stem)
