# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner of one rollback on one server: what xivo.confd.user_remove does, and the
role's rollback entry point for each host. It finds what to undo (the report of an import
run, or the rows of a confd CSV), takes the server lock, lets user_rollback.Remover undo each
user, and writes the rollback's report.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Pure of Ansible: the client and the stop condition are injected; paths are already resolved.
"""

from __future__ import annotations

import json

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, file_output, fleet, import_plan, remote_lock, reports, user_rollback)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import ServerLock
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

MAX_IN_MSG = 20
# What a rollback takes besides the connection (the module's options).
DEFAULTS = dict(
    from_report=None, from_report_dir=None, run_id=None, src=None,
    keys=list(import_plan.DEFAULT_KEYS), force=False, accept_unverified_report=False,
    report_dest=None, report_dir=None, fail_on_error=True, lock_timeout=0.0,
    server_lock='required', break_lock=False,
)


class RollbackRun:
    """Undo, on the server of ``client``, what one import run created (``from_report`` or
    ``from_report_dir`` with ``run_id``), or the users the rows of ``src`` name. ``host``: the
    inventory name reports carry; ``server``: how reports name the server until it is reached
    (fleet.server_label); ``should_stop()`` returns a reason to stop before the next user, or
    None."""

    def __init__(self, client, options, host, server, check_mode=False, diff=False,
                 should_stop=None):
        self.client = client
        self.options = dict(DEFAULTS, **options)
        self.host = host
        self.label = server
        self.check_mode = check_mode
        self.diff = diff
        self.should_stop = should_stop
        self.warnings = []          # the lock's, then the report's

    @property
    def server(self):
        """'host:port' of the server as reached, named as the import names it."""
        return fleet.reached_label(self.client, self.label)

    def run(self):
        """The module's result (a dict), without its warnings: they are in ``warnings``, also
        when it raises ConfdError (an unreadable report or file, a server it cannot read)."""
        options = self.options
        if options['lock_timeout'] < 0:
            raise ConfdError('lock_timeout must be 0 (refuse at once) or a number of seconds')
        with remote_lock.held(
                self.client, 'rollback', options['run_id'] or reports.new_run_id(),
                options['server_lock'], self.check_mode, self.warnings,
                timeout=options['lock_timeout'], break_lock=options['break_lock'],
                should_stop=self.should_stop,
                pending_dir=ServerLock(self.client.host, self.client.port).lock_dir):
            return self._remove()

    def _remove(self):
        started = reports.utc_now()
        options = self.options
        out = {}
        identity = None
        if options['src']:
            targets = self._targets_from_rows(out)
            remover = user_rollback.Remover(self.client, check_mode=self.check_mode,
                                            force=options['force'], should_stop=self.should_stop)
            for target in targets:
                remover.remove(target)
        else:
            report = self._report(out)
            targets, remover, identity, warning = user_rollback.undo_report(
                self.client, report if report is not None else {'users': []}, self.check_mode,
                options['force'], options['accept_unverified_report'], self.should_stop)
            if warning:
                self.warnings.append(warning)
        if remover is None:
            # Only the run asked for is undone: a server where it created nothing is left
            # alone, whatever older runs created there.
            out.update(changed=False, users=[], summary=user_rollback.summarize([]), requests=0,
                       msg='run %s created nothing here: nothing removed'
                       % (out.get('run_id') or '(no run id)'))
            return out
        if not options['src']:
            out['server_identity'] = identity
        summary = user_rollback.summarize(targets)
        out.update(changed=bool(summary['removed'] or summary['would_remove']),
                   users=[t.as_dict() for t in targets], summary=summary,
                   requests=remover.requests)
        if remover.interrupted:
            out['interrupted'] = remover.interrupted
        if self.diff:
            out['diff'] = rollback_diff(targets)
        if not self.check_mode and (options['report_dest'] or options['report_dir']):
            self._write_report(out, started)
        bad = [t for t in targets if t.status in ('failed', 'conflict')]
        out['msg'] = rollback_message(out.get('run_id'), summary, self.check_mode, bad)
        if bad and options['fail_on_error']:
            out['failed'] = True
        return out

    def _targets_from_rows(self, out):
        options = self.options
        import_plan.check_keys(options['keys'])
        try:
            header, rows = confd_csv.read(options['src'])
        except confd_csv.CsvFileError as exc:
            raise ConfdError(str(exc))
        out['src'] = options['src']
        return user_rollback.targets_from_rows(header, rows, self.client.export_users()[1],
                                               options['keys'])

    def _report(self, out):
        """The import report to undo (None when the directory holds none for this host)."""
        options = self.options
        report = None
        if options['from_report']:
            path = options['from_report']
            try:
                with open(path) as handle:
                    report = json.load(handle)
            except (OSError, ValueError) as exc:
                raise ConfdError('%s: cannot be read as a report: %s' % (path, exc))
            run_id = report.get('run_id') if isinstance(report, dict) else None
        else:
            run_id, path, report = user_rollback.find_report(
                options['from_report_dir'], self.host, options['run_id'])
        out.update(from_report=path, run_id=run_id)
        return report

    def _write_report(self, out, started):
        options = self.options
        data = reports.report_json(dict(
            out, host=self.host, server=self.server, started=started,
            finished=reports.utc_now()), default=str).encode('utf-8')
        if options['report_dest']:
            path = options['report_dest']
            file_output.write_private_file(path, data)
        else:
            path, latest = rollback_report_paths(options['report_dir'], self.host,
                                                 out.get('run_id'))
            file_output.write_private_file(path, data)
            # A second name, replaced at each rollback; the rollback's own file stays.
            if not file_output.replace_with_link(path, latest):
                file_output.write_private_file(latest, data)
            out['latest_report_file'] = latest
        out['report_file'] = path


def rollback_diff(targets):
    """A secret-free before/after of the users removed (or that would be)."""
    return dict(
        before_header='server users', after_header='server users after the rollback',
        before=''.join('- %s (%s, uuid %s): %s\n' % (t.key, t.name, t.uuid, ', '.join(t.removed))
                       for t in targets if t.status in ('removed', 'would_remove')),
        after='')


def rollback_message(run_id, summary, check_mode, bad=()):
    """The task's one line: the run and the counts, in the words of the mode, then the users
    not removed (``bad``) and why."""
    head = 'run %s: ' % run_id if run_id else ''
    if check_mode:
        text = 'would remove %(would_remove)d, would keep %(conflict)d (conflicts)' % summary
    else:
        text = 'removed %(removed)d, kept %(conflict)d (conflicts)' % summary
    text = head + text + ', %(absent)d already gone, %(failed)d failed' % summary
    if bad:
        text += '. Not removed: ' + '; '.join(
            '%s (%s): %s' % (t.key or t.uuid, t.name, t.error) for t in bad[:MAX_IN_MSG])
        if len(bad) > MAX_IN_MSG:
            text += '; ... and %d more (see the users result)' % (len(bad) - MAX_IN_MSG)
    return sanitize_message(text, 20000)


def rollback_report_paths(directory, host, run_id):
    """(this rollback's own report, the latest-of-host name): one file per rollback, named by
    its time, the run it undid and the host, never written over by the next one."""
    stem = reports.safe_stem(host)
    own = '%s-run-%s-%s.json' % (reports.new_run_id(), run_id or 'none', stem)
    return reports.inside(directory, own), reports.inside(directory, 'latest-%s.json' % stem)
