# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One import into one server, from a confd CSV, with its reports: what xivo.confd.user_import
does, and what the role does for each server of a fleet (in threads).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Pure of Ansible: the client, the clock and the stop condition are injected.
"""

from __future__ import annotations

import contextlib
import os
import time

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, confd_rules, import_executor, import_plan, remote_lock, reports, run_evidence,
    source_rows)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError, ConfdInterrupted, ConfdUnreachable)
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import SECRET_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.file_output import (  # noqa: F401
    remove_file, write_private_file)
from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import LegacyCsvError
from ansible_collections.xivo.confd.plugins.module_utils.preflight import Preflight
from ansible_collections.xivo.confd.plugins.module_utils.secrets import (
    MASK, scrub_text, secret_values)
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import (
    ServerBusy, ServerLock, UnsafeLockDirectory)
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

MAX_FAILURES_IN_MSG = 20
DEFAULT_DIFF_LIMIT = 50

# What an import takes besides the connection (the module's options; the role passes them).
DEFAULTS = dict(
    keys=list(import_plan.DEFAULT_KEYS), batch_size=100, batch_seconds=30.0, update=False,
    update_password=False, update_identity=False, name_identity=True, validate=True,
    preflight=True, share_voicemails=False,
    backup_dest=None, report_dest=None, failed_dest=None, fail_on_error=True,
    return_unchanged=True, lock_timeout=0.0, lock_dir=None, run_id=None,
    diff_limit=DEFAULT_DIFF_LIMIT, conversion=None, fixed_rows=None, server_lock='required',
    break_lock=False, context_map=None,
)
# The outputs of a run, which must never be one of its inputs.
OUTPUTS = ('backup_dest', 'report_dest', 'failed_dest')


def check_options(options):
    """Refuse options that cannot work, before anything is read or sent."""
    if options['batch_size'] < 1:
        raise ConfdError('batch_size must be at least 1')
    if options['batch_seconds'] <= 0:
        raise ConfdError('batch_seconds must be a positive number of seconds')
    if options['lock_timeout'] < 0:
        raise ConfdError('lock_timeout must be 0 (refuse at once) or a number of seconds')
    if options['diff_limit'] < 0:
        raise ConfdError('diff_limit must be 0 or more')
    remote_lock.check_mode_value(options['server_lock'])
    import_plan.check_keys(options['keys'])


class ImportRun:
    """Import ``src`` into the server of ``client`` and account for every row.

    ``host``: the inventory name reports carry; ``progress(text)`` is called as batches go
    (already rate-limited by the caller if it wants); ``should_stop()`` returns a reason to
    stop at the next batch boundary, or None.
    """

    def __init__(self, client, src, options, host=None, check_mode=False, diff=False,
                 progress=None, should_stop=None, source=None, clock=time.monotonic,
                 write_file=None):
        self.client = client
        self.src = src
        self.options = dict(DEFAULTS, **options)
        self.host = host or client.host
        self.server = '%s:%s' % (client.host, client.port)
        self.check_mode = check_mode
        self.diff = diff
        self.progress = progress
        self.should_stop = should_stop
        self.source = source            # (header, rows) already read, shared by several servers
        self.clock = clock
        # write_private_file(path, data), its warnings (a directory others can write to) kept,
        # or a caller's
        self.write_file = write_file or (
            lambda path, data: write_private_file(path, data, warnings=self.warnings))
        self.run_id = self.options['run_id'] or reports.new_run_id()
        self.timings = {}
        self.warnings = []
        self.secrets = set(client.secrets)
        self.outcomes = []              # every row's outcome as far as the run went
        # What a rollback needs to recognise this server and the users this run created.
        self.evidence = {}
        self.created_values = {}
        # A legacy source converted into src: its rows are counted and named in its numbering.
        self.conversion = self.options['conversion'] or None
        self.legacy_src = (self.conversion or {}).get('src') or None
        self.shown_src = self.legacy_src or src
        self.fix = None     # the rows to fix, for the caller: content, digests, lines
        self.source_values = {}     # line -> the source's cells, before adapt_rows

    def inputs(self):
        return [path for path in (self.src, self.legacy_src) if path]

    def output_is_input(self):
        """Why an output of this run is one of its inputs (the same file, whatever its name),
        or None: writing it would destroy the source (an operator's edited file)."""
        for name in OUTPUTS:
            path = self.options.get(name)
            same = source_rows.same_file_as_any(path, self.inputs()) if path else None
            if same:
                return ('%s is the same file as the source %s: a run never writes, replaces or '
                        'removes its own input; name another file (nothing was sent)'
                        % (name, same))
        return None

    def _legacy_numbering(self, rows):
        """Give the rows of a converted legacy file their legacy line, and return the rows
        the conversion refused as ``invalid`` outcomes (with their legacy line, column and
        reason): every row of the legacy file then has one outcome."""
        conversion = self.conversion
        if not conversion:
            return []
        lines = source_rows.expand_ranges(conversion.get('row_lines'))
        if len(lines) != len(rows):
            self.warnings.append(
                'the conversion record of %s names %d rows but the file holds %d: its rows are '
                'numbered as lines of %s, and the rows the conversion refused are not listed'
                % (self.legacy_src, len(lines), len(rows), self.src))
            self.conversion = None
            self.shown_src = self.src
            return []
        for row, line in zip(rows, lines):
            row.line = line
        invalid = []
        for line, (column, reason) in source_rows.invalid_reasons(conversion).items():
            invalid.append(import_plan.RowOutcome.invalid(line, column, reason))
        return invalid

    def _timed(self, phase, started):
        self.timings[phase] = round(self.timings.get(phase, 0) + self.clock() - started, 3)

    def run(self):
        """The module's result (a dict); never raises ConfdError for a server problem."""
        options = self.options
        started_at = reports.utc_now()
        out = dict(src=self.src, run_id=self.run_id)
        header, rows = [], []
        outcomes = []
        users = []
        importer = None
        error = None
        bad_file = False
        invalid = []
        started = self.clock()
        refused = self.output_is_input()
        try:
            header, rows = self.source if self.source is not None else \
                confd_csv.read(self.src)
            if self.source is not None and self.conversion:
                # Rows shared by several servers: each run numbers its own copies.
                rows = [r.copy() for r in rows]
        except confd_csv.CsvFileError as exc:
            error, bad_file = str(exc), True
        if refused and error is None:
            error, bad_file = refused, True
        if error is None:
            invalid = self._legacy_numbering(rows)
        self._timed('read_file', started)
        self.secrets |= secret_values([row.values for row in rows])
        if error is None:
            lock = ServerLock(self.client.host, self.client.port, lock_dir=options['lock_dir'],
                              timeout=options['lock_timeout'],
                              owner='%s, %s' % (self.host, os.path.basename(self.src)))
            try:
                started = self.clock()
                with lock:
                    with self._server_lock(options['lock_timeout'] - (self.clock() - started),
                                           lock.lock_dir):
                        self._timed('lock_wait', started)
                        outcomes, users, importer = self._import(header, rows, out, invalid)
            except (ServerBusy, UnsafeLockDirectory) as exc:
                error = str(exc)
            except (import_executor.Interrupted, ConfdInterrupted) as exc:
                out['interrupted'] = self._stopped() or str(exc)
                error = 'interrupted before any user was sent: %s' % out['interrupted']
            except ConfdError as exc:
                # The server cannot be read, so nothing was sent: every row is accounted for
                # as not tried (not failed: there is nothing in it to fix, and it goes to no
                # failed-rows file), and the report says so rather than leaving the previous
                # run's report in place.
                error = self._scrub(str(exc))
                if isinstance(exc, ConfdUnreachable):
                    out['unreachable'] = True
                if isinstance(exc, ConfdAuthRefused):
                    out['auth_refused'] = True
                    error = 'authentication refused: ' + error
        if error is not None:
            out['error'] = error
            outcomes = import_plan.plan(header, rows, [], keys=options['keys'])
            for outcome in outcomes:
                outcome.not_tried('not tried: ' + error)
        outcomes = self._every_row(outcomes, invalid)
        self.outcomes = outcomes
        summary = import_plan.summarize(outcomes)
        failed = [o for o in outcomes if o.status in ('failed', 'conflict', 'invalid')]
        out.update(
            changed=bool(summary['created'] or summary['updated']
                         or summary['would_create'] or summary['would_update']),
            users=[o.as_dict() for o in outcomes
                   if options['return_unchanged'] or o.status != 'unchanged'],
            summary=summary,
            timings=self.timings,
        )
        if importer is not None:
            out['batches'] = importer.batches
            if importer.interrupted:
                out['interrupted'] = importer.interrupted
            elif importer.unreachable:
                # The server stopped answering during the import: unreachable, with what was
                # done before (and the rows whose outcome is unknown) in the report.
                out.update(unreachable=True, error=importer.unreachable)
        if self.diff:
            out['diff'] = import_diff(outcomes, {u.get('uuid'): u for u in users},
                                      options['diff_limit'], options['report_dest'],
                                      check_mode=self.check_mode)
        if self.check_mode and not options['preflight'] and error is None:
            unverified = summary['would_create'] + summary['would_update']
            out['prediction'] = 'unverified'
            for outcome in outcomes:
                if outcome.status in ('would_create', 'would_update'):
                    outcome.warnings.append(UNVERIFIED)
            out['users'] = [o.as_dict() for o in outcomes
                            if options['return_unchanged'] or o.status != 'unchanged']
            self.warnings.append('check mode with preflight=false: the server\'s configuration '
                                 'was not read, so confd\'s refusals could not be predicted; %d '
                                 'rows to send are unverified' % unverified)
        if not self.check_mode and not refused:
            started = self.clock()
            out.update(self._write_reports(header, outcomes, failed, summary, started_at, out))
            self._timed('reports', started)
        if bad_file:
            out['msg'] = error
        elif error is not None:
            out['msg'] = 'nothing was imported into %s: %s' % (self.server, error)
        elif out.get('unreachable'):
            out['msg'] = '%s stopped answering: %s. %s' % (
                self.server, out['error'], import_message(
                    self.shown_src, summary, failed, outcomes=outcomes, check_mode=self.check_mode))
        else:
            out['msg'] = import_message(self.shown_src, summary, failed, outcomes=outcomes,
                                        check_mode=self.check_mode,
                                        unverified=out.get('prediction') == 'unverified')
        if out.get('interrupted') and not out['msg'].startswith('nothing was imported'):
            out['msg'] = 'interrupted: %s. %s' % (out['interrupted'], out['msg'])
        if bad_file or ((failed or error or out.get('interrupted') or summary['not_tried'])
                        and options['fail_on_error']):
            out['failed'] = True
        if self.warnings:
            out['warnings'] = self.warnings
        return out

    @contextlib.contextmanager
    def _server_lock(self, timeout, local_dir):
        """The lock kept on the server, for the time left of lock_timeout: every controller
        sees it (the local lock sees this one only). None in check mode: nothing is written.
        ``local_dir`` keeps what this controller may have left on the server."""
        if self.check_mode:
            yield None
            return
        if self.options['server_lock'] == 'local':
            self.warnings.append(remote_lock.lock_mode_warning(self.server))
            yield None
            return
        lock = remote_lock.RemoteLock(
            self.client, what='import', run_id=self.run_id, timeout=max(0.0, timeout),
            break_lock=self.options['break_lock'], should_stop=self.should_stop,
            pending_dir=local_dir)
        try:
            with lock:
                yield lock
        finally:
            self.warnings.extend(lock.warnings)

    def _scrub(self, text):
        return scrub_text(text, self.secrets)

    def _stopped(self):
        return self.should_stop() if self.should_stop is not None else None

    def _stop_here(self):
        """Between phases: stop when the run was interrupted (nothing sent yet)."""
        reason = self._stopped()
        if reason:
            raise import_executor.Interrupted(reason)

    @staticmethod
    def _every_row(outcomes, invalid):
        """The outcomes of the rows sent and of the rows the conversion refused, in the order
        of the legacy file, numbered as its data rows."""
        if not invalid:
            return outcomes
        every = sorted(list(outcomes) + list(invalid), key=lambda o: o.row.line)
        for number, outcome in enumerate(every, 1):
            outcome.row.number = number
        return every

    def _apply_fixed(self, outcomes, users):
        """Rows of the full source that an operator fixed in the file to fix, and whose fixed
        row was imported: the server holds the person as fixed, so the original row is
        ``unchanged`` (never sent again, never a conflict with its own fix), and says so."""
        fixed = self.options['fixed_rows'] or {}
        if not fixed:
            return
        on_server = set(user.get('uuid') for user in users)
        for outcome in outcomes:
            entry = fixed.get(outcome.row.line)
            if not entry or entry.get('uuid') not in on_server:
                continue
            outcome.status, outcome.error = 'unchanged', None
            outcome.uuid = entry['uuid']
            outcome.changes, outcome.involved = [], []
            outcome.warnings.append(entry.get('note') or 'fixed in the file to fix and imported')

    def _import(self, header, rows, out, invalid=()):
        options = self.options
        self._stop_here()
        started = self.clock()
        platform = self.client.platform
        header, rows = self._adapt(platform, header, rows)
        headers, users = self.client.export_users()
        if options['report_dest'] and not self.check_mode:
            # Only for a report: what a rollback needs to recognise the server and the run.
            self.evidence = dict(
                server_identity=run_evidence.read_identity(
                    self.client, self.client.platform.name, self.client.tenant),
                user_id_before=run_evidence.highest_user_id(self.client),
                evidence_version=run_evidence.EVIDENCE_VERSION)
        self._timed('read_server', started)
        if options['backup_dest'] and not self.check_mode:
            out['backup_file'] = options['backup_dest']
            self.write_file(out['backup_file'], confd_csv.users_body(headers, users))
        started = self.clock()
        outcomes = import_plan.plan(
            header, rows, users, keys=options['keys'], update=options['update'],
            update_password=options['update_password'],
            update_identity=options['update_identity'], name_fallback=options['name_identity'],
            share_voicemails=options['share_voicemails'], platform=platform,
            accounts=self._accounts(platform))
        self.outcomes = outcomes
        self._timed('plan', started)
        self._apply_fixed(list(outcomes) + list(invalid), users)
        self._stop_here()
        started = self.clock()
        self._check_rows(outcomes, users, out)
        self._timed('preflight' if options['preflight'] else 'validate', started)
        if self.check_mode:
            for outcome in outcomes:
                outcome.status = outcome.status.would()
            return outcomes, users, None
        sent = [o for o in outcomes if o.status in ('create', 'update')]
        self._stop_here()
        importer = import_executor.Importer(
            self.client, header, keys=options['keys'], batch_size=options['batch_size'],
            batch_seconds=options['batch_seconds'], secrets=self.secrets,
            should_stop=self.should_stop, progress=self._progress(sent),
            platform=self.client.platform)
        started = self.clock()
        importer.run(outcomes)
        self._timed('import', started)
        self._record_created(outcomes)
        if options['preflight']:
            self._compare_with_prediction(sent)
        return outcomes, users, importer

    def _adapt(self, platform, header, rows):
        """The rows as this server reads them: its platform's adapt_rows, per host (contexts
        differ per tenant), with the lists it needs read from this server. A row that cannot
        be adapted carries its reason (the plan fails it); what concerns the whole file is a
        warning."""
        facts = dict(context_map=self.options['context_map'],
                     tenant=getattr(self.client, 'tenant', None))
        for collection in platform.adapt_reads:
            dummy, facts[collection] = self.client.list(
                collection, platform.acl('GET', path='/' + collection))
        # The source's own cells, for the file an operator fixes (never the server's form).
        self.source_values = dict((row.line, row.values) for row in rows)
        header, rows, problems = platform.adapt_rows(header, rows, facts)
        self.warnings.extend(sanitize_message(problem.reason) for problem in problems
                             if problem.line is None)
        return header, rows

    def _accounts(self, platform):
        """The authentication service's users of every tenant the credentials may read, for
        the identity checks of a platform whose logins are global (None when it has none, or
        when they cannot be read: the checks then say what they could not see)."""
        if not platform.reads_accounts:
            return None
        what = 'list of %s users' % platform.auth_name
        try:
            # In the credentials' own tenant: the task's tenant would hide the others.
            with self.client.in_own_tenant():
                response = self.client.call(
                    'GET', '/users', idempotent=True, what=what, api='auth',
                    acl=platform.acl('GET', path='/users', service='auth'),
                    params={'recurse': 'true'}, headers={'Accept': 'application/json'})
        except ConfdAuthRefused as exc:
            response, refused = None, self._scrub(str(exc))
        else:
            refused = None
        body = response.body if response is not None else None
        if response is None or response.status != 200 or not isinstance(body, dict) \
                or not isinstance(body.get('items'), list):
            self.warnings.append(sanitize_message(
                'the %s could not be read (%s): %s' % (
                    what, refused or 'answer %s' % response.status,
                    '; '.join(platform.identity_warnings(platform.identity_view([]))))))
            return None
        return platform.accounts(body['items'])

    def _record_created(self, outcomes):
        """The values of the users this run created as the server shows them once the run is
        over (one export, only when something was created): what a rollback compares."""
        created = set(o.uuid for o in outcomes if o.status == 'created' and o.uuid)
        if not created or not self.options['report_dest']:
            return
        started = self.clock()
        try:
            dummy, users = self.client.export_users()
        except ConfdError as exc:
            self.warnings.append(self._scrub(
                'the users created could not be read back (%s): their report entries hold the '
                'values sent, and a rollback compares only those' % exc))
            return
        finally:
            self._timed('read_created', started)
        for user in users:
            if user.get('uuid') in created:
                self.created_values[user['uuid']] = run_evidence.snapshot(user)

    def _report_users(self, outcomes):
        """The report's entries: a created user's entry carries what the server showed right
        after the run, and a digest of it with the ids confd returned."""
        entries = []
        for outcome in outcomes:
            entry = outcome.as_dict()
            if entry.get('status') == 'created' and entry.get('uuid'):
                values = self.created_values.get(entry['uuid'])
                if values is not None:
                    entry['created_with'] = values
                else:
                    # The server could not be read back: only the file's cells are known.
                    entry['values_from'] = 'file'
                entry['digest'] = run_evidence.digest(entry['uuid'], entry.get('ids'),
                                                      entry.get('created_with'))
            entries.append(entry)
        return entries

    def _check_rows(self, outcomes, users, out):
        """Every reason a row to send would be refused, locally (the confd rules a file shows)
        and, with the preflight, from the server's configuration: such rows are not sent."""
        options = self.options
        local = confd_rules.file_validator(self.client.platform.validate_row) \
            if options['validate'] else None
        checker = Preflight(self.client, users, self.client.platform) \
            if options['preflight'] else None
        to_send = [o for o in outcomes if o.status in ('create', 'update')]
        by_uuid = dict((user.get('uuid'), user) for user in users)
        if checker is not None:
            checker.prepare([self._sent_values(o) for o in to_send])
        for outcome in to_send:
            problems = local(outcome.row.values, outcome.row.line) if local else []
            if checker is not None:
                update = outcome.status == 'update'
                problems += checker.check(self._sent_values(outcome), update=update,
                                          user=by_uuid.get(outcome.uuid) if update else None,
                                          accept=not problems)
                outcome.warnings.extend(checker.notes)
                outcome.reused = list(checker.reused)
            if problems:
                outcome.fail(sanitize_message('invalid: ' + '; '.join(problems)))
        if checker is not None:
            out['preflight'] = dict(checker.cost(), reads=checker.reader.requests[:50])

    @staticmethod
    def _sent_values(outcome):
        if outcome.status == 'update':
            return dict((column, outcome.row.values.get(column, ''))
                        for column in outcome.changes)
        return outcome.row.values

    def _compare_with_prediction(self, sent):
        """A row the preflight let through and confd refused is a wrong prediction: the row
        keeps confd's answer, and a warning shows both so that it can be reported."""
        wrong = [o for o in sent if o.status == 'failed' and o.error
                 and not o.error.startswith('not imported:')]
        for outcome in wrong:
            outcome.warnings.append('the preflight predicted this row would be accepted; confd '
                                    'refused it')
        if wrong:
            self.warnings.append(sanitize_message(
                '%d rows were refused by confd although the preflight predicted they would be '
                'imported (a wrong prediction; please report it with the rows and these '
                'messages): %s' % (len(wrong), '; '.join('line %d: %s' % (o.row.line, o.error)
                                                         for o in wrong[:5]))))

    def _progress(self, sent):
        """Progress of the rows sent: imported and refused count only rows sent (rows refused
        before sending are not among the "N of M rows sent")."""
        if self.progress is None:
            return None

        def report(done, total):
            created = sum(1 for o in sent if o.status in ('created', 'updated'))
            failed = sum(1 for o in sent if o.status == 'failed')
            self.progress(done, total, created, failed)
        return report

    def _write_reports(self, header, outcomes, failed, summary, started_at, out):
        options = self.options
        written = {}
        if options['report_dest']:
            path = options['report_dest']
            report = dict(run_id=self.run_id, host=self.host, server=self.server, src=self.src,
                          started=started_at, finished=reports.utc_now(), summary=summary,
                          complete=not out.get('error') and not out.get('interrupted'),
                          timings=self.timings, users=self._report_users(outcomes))
            report.update(self.evidence)
            for key in ('error', 'interrupted', 'batches', 'preflight'):
                if out.get(key):
                    report[key] = out[key]
            self.write_file(path, reports.report_json(report).encode('utf-8'))
            written['report_file'] = path
        if failed:
            self.fix = self.fix_content(header, failed)
        if options['failed_dest']:
            path = options['failed_dest']
            if failed:
                # The only output that holds secrets: the operator fixes it and feeds it back,
                # so it is written byte for byte, and cells a spreadsheet would run are named.
                self.write_file(path, self.fix['content'])
                written['failed_file'] = path
                if self.fix['formula_cells']:
                    written['failed_file_formula_cells'] = len(self.fix['formula_cells'])
                    self.warnings.append(formula_warning(path, self.fix['formula_cells']))
            else:
                remove_file(path)  # a stale list of failures would mislead
        return written

    def fix_content(self, header, to_fix):
        """The file an operator fixes: the rows to fix in the format of the source - for a
        converted legacy file, its own records byte for byte after its header (its encoding,
        delimiter and columns, every row the conversion refused included), which the role
        takes again as a legacy file; else confd CSV rows. A dict: ``content`` (bytes),
        ``digests`` ({line: digest of the source's row}), ``lines``, ``legacy``,
        ``formula_cells``."""
        lines = [o.row.line for o in to_fix]

        def values(outcome):
            return self.source_values.get(outcome.row.line, outcome.row.values)
        cells = reports.formula_cells([(o.row.line, values(o)) for o in to_fix
                                       if o.status != 'invalid'], header)
        if self.legacy_src:
            try:
                content, digests = source_rows.legacy_subset(
                    self.legacy_src, lines, codec_of(self.conversion))
                return dict(content=content, digests=digests, lines=lines, legacy=True,
                            formula_cells=cells)
            except (IOError, OSError, ValueError, LegacyCsvError) as exc:
                self.warnings.append('the rows to fix could not be cut from %s (%s): they are '
                                     'written in the confd format' % (self.legacy_src, exc))
        rows = [values(o) for o in to_fix if o.status != 'invalid']
        digests = dict((o.row.line, source_rows.record_digest(
            confd_csv.body(header, [values(o)]))) for o in to_fix
            if o.status != 'invalid')
        return dict(content=confd_csv.body(header, rows), digests=digests,
                    lines=[o.row.line for o in to_fix if o.status != 'invalid'], legacy=False,
                    formula_cells=cells)


UNVERIFIED = ('unverified: the preflight is off (preflight=false), so the server\'s '
              'configuration was not read and confd may still refuse this row')


def codec_of(conversion):
    """The encoding to read the legacy file with again: the one its conversion used, when
    it is one codec (a file of mixed lines is read line by line again: 'auto')."""
    encoding = (conversion or {}).get('encoding') or 'auto'
    if encoding.startswith('mixed'):
        return 'auto'
    return encoding


def formula_warning(path, cells):
    shown = ', '.join('line %d column %s' % cell for cell in cells[:5])
    more = ' and %d more' % (len(cells) - 5) if len(cells) > 5 else ''
    return ('%s holds %d cells that a spreadsheet would run as formulas (they start with = or '
            '@, a tab or a carriage return, or with + or - followed by something that is not a '
            'number: %s%s). The file is kept byte for byte so that it can '
            'be imported again: open it as text (see the troubleshooting guide, "Opening the '
            'failed-rows file").' % (path, len(cells), shown, more))


def import_message(src, summary, failed, outcomes=(), check_mode=False, unverified=False):
    """The one-line summary: what was done, or in check mode what would be (a dry run
    imports nothing, so it never counts rows "created"), then the rows not imported."""
    if check_mode:
        text = ('%(would_create)d would be created, %(would_update)d would be updated, '
                '%(unchanged)d unchanged, %(conflict)d conflict, %(would_fail)d would fail'
                % summary)
        # The rows a real run would refuse are named like the real run's failures.
        failed = [o for o in outcomes if o.status in ('would_fail', 'conflict', 'invalid')] or failed
    else:
        text = ('%(created)d created, %(updated)d updated, %(unchanged)d unchanged, '
                '%(conflict)d conflict, %(failed)d failed' % summary)
    if summary.get('invalid'):
        text += ', %(invalid)d invalid' % summary
    if summary.get('not_tried'):
        text += ', %(not_tried)d not tried' % summary
    if unverified:
        text += (' (unverified: preflight=false, so confd\'s refusals could not be predicted; '
                 'the real run may refuse some of the rows to send)')
    text += ' (%d rows)' % summary['total']
    if failed:
        details = ['line %d (%s): %s' % (o.row.line, o.key or 'no key', o.error)
                   for o in failed[:MAX_FAILURES_IN_MSG]]
        if len(failed) > MAX_FAILURES_IN_MSG:
            details.append('... and %d more (see the users result)'
                           % (len(failed) - MAX_FAILURES_IN_MSG))
        text += '. Rows of %s %s: %s' % (src, 'that would not be imported' if check_mode
                                         else 'not imported', '; '.join(details))
    return sanitize_message(text, 20000)


def _show(column, value):
    return MASK if column in SECRET_COLUMNS and value else value


def import_diff(outcomes, users_by_uuid, limit=DEFAULT_DIFF_LIMIT, report=None, check_mode=False):
    """A secret-free before/after of the users that are (or would be) created or updated:
    the counts, then at most ``limit`` users (the rest are in the report). In check mode it
    says what would be done: nothing was."""
    before, after = [], []
    shown = 0
    changing = [o for o in outcomes
                if o.status in ('created', 'would_create', 'updated', 'would_update')]
    for outcome in changing[:limit]:
        values = outcome.row.values
        name = ('%s %s' % (values.get('firstname', ''), values.get('lastname', ''))).strip()
        shown += 1
        if outcome.status in ('created', 'would_create'):
            after.append('+ %s (%s)' % (outcome.key, name))
        else:
            user = users_by_uuid.get(outcome.uuid, {})
            before.append('~ %s: %s' % (outcome.key, ', '.join(
                '%s=%s' % (c, _show(c, user.get(c, ''))) for c in outcome.changes)))
            after.append('~ %s: %s' % (outcome.key, ', '.join(
                '%s=%s' % (c, _show(c, values.get(c, ''))) for c in outcome.changes)))
        shared = outcome.shared_voicemail
        if shared:
            # Another person's voicemail changes too (share_voicemails): show it.
            voicemail = 'voicemail %s@%s' % (shared['number'], shared['context'])
            before.append('~ %s: name=%s, users %s' % (
                voicemail, shared['previous_name'], ', '.join(shared['users'])))
            after.append('~ %s: name=%s, users %s, and %s' % (
                voicemail, shared['renamed_to'] or shared['previous_name'],
                ', '.join(shared['users']), outcome.key))
    creating = sum(1 for o in changing if o.status in ('created', 'would_create'))
    if check_mode:
        head = '# %d users would be created, %d would be updated' % (
            creating, len(changing) - creating)
    else:
        head = '# %d users created, %d updated' % (creating, len(changing) - creating)
    if len(changing) > shown:
        head += '; the first %d are shown, the others are in %s' % (
            shown, 'the report ' + report if report else 'the users result')
    after.insert(0, head)
    return dict(before_header='server users', after_header='server users after the import'
                + (' (predicted: check mode, nothing was changed)' if check_mode else ''),
                before='\n'.join(before) + ('\n' if before else ''),
                after='\n'.join(after) + '\n')
