# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner of one import into one server, from a confd CSV: what xivo.confd.user_import
does, and what the role does for each server of a fleet (in threads). It reads the source,
takes the locks, reads the server, plans (import_plan), checks the rows (row_checks), executes
(import_executor), and hands the outcomes to import_report for the result and the files.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Pure of Ansible: the client, the clock and the stop condition are injected.
"""

from __future__ import annotations

import contextlib
import os
import time

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, fleet, import_executor, import_plan, import_reads, remote_lock, reports, row_checks,
    source_rows)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError, ConfdInterrupted, ConfdUnreachable)
from ansible_collections.xivo.confd.plugins.module_utils.file_output import write_private_file
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import PLANNED, RowOutcome, Status
from ansible_collections.xivo.confd.plugins.module_utils.import_report import (
    DEFAULT_DIFF_LIMIT, RunReport)
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text, secret_values
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import (
    ServerBusy, ServerLock, UnsafeLockDirectory)

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

    ``host``: the inventory name reports carry; ``progress(done, total, imported, refused)``
    is called as batches go (already rate-limited by the caller if it wants);
    ``should_stop()`` returns a reason to stop at the next batch boundary, or None;
    ``source``: (header, rows) already read, shared by several servers.
    """

    def __init__(self, client, src, options, host=None, check_mode=False, diff=False,
                 progress=None, should_stop=None, source=None, clock=time.monotonic,
                 write_file=None):
        self.client = client
        self.src = src
        self.options = dict(DEFAULTS, **options)
        self.host = host or client.host
        self.check_mode = check_mode
        self.diff = diff
        self.progress = progress
        self.should_stop = should_stop or (lambda: None)
        self.source = source
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
        self.source_values = {}     # line -> the source's cells, before adapt_rows
        self.report = RunReport(self)

    @property
    def server(self):
        """'host:port' of the server, the port the one found when the platform chose it."""
        return fleet.reached_label(self.client)

    @property
    def fix(self):
        """The rows to fix, for the caller: content, digests, lines (None when none)."""
        return self.report.fix

    def add_time(self, phase, started):
        """Add the seconds since ``started`` to ``timings[phase]``."""
        self.timings[phase] = round(self.timings.get(phase, 0) + self.clock() - started, 3)

    @contextlib.contextmanager
    def phase(self, name):
        """Time the block into ``timings[name]`` (when it ends normally)."""
        started = self.clock()
        yield
        self.add_time(name, started)

    def run(self):
        """The module's result (a dict); never raises ConfdError for a server problem."""
        started_at = reports.utc_now()
        out = dict(src=self.src, run_id=self.run_id)
        with self.phase('read_file'):
            refused = output_is_input(self.options, (self.src, self.legacy_src))
            header, rows, error = read_source(self.src, self.source,
                                              copy_rows=bool(self.conversion))
            error = error or refused
            bad_file = error is not None
            invalid = self._number_as_legacy(rows) if error is None else []
        self.secrets |= secret_values([row.values for row in rows])
        outcomes, users, importer = [], [], None
        if error is None:
            outcomes, users, importer, error = self._locked_import(header, rows, out, invalid)
        if error is not None:
            out['error'] = error
            outcomes = not_tried(header, rows, self.options['keys'], error)
        self.outcomes = every_row(outcomes, invalid)
        return self.report.result(out, header, self.outcomes, users, importer, error, bad_file,
                                  refused, started_at)

    def _locked_import(self, header, rows, out, invalid):
        """The import under this controller's lock, and under the lock kept on the server once
        it is known to send rows: (outcomes, users, importer, error or None). A run that finds
        nothing to send (a re-run) writes nothing, so it takes no lock on the server (three
        requests spared) and is not held up by another run's; one that sends reads the users
        again under that lock, where no other run writes."""
        options = self.options
        started = self.clock()
        try:
            with controller_lock(self.client, options,
                                 owner='%s, %s' % (self.host, os.path.basename(self.src))) as lock:
                self.add_time('lock_wait', started)
                header, rows = self._adapted(header, rows)
                read = ServerRead.of(self, header, rows, out)
                if self.check_mode or not read.sends:
                    return self._execute(header, read, out, invalid) + (None,)
                waited = self.clock()
                with remote_lock.held(
                        self.client, 'import', self.run_id, options['server_lock'], False,
                        self.warnings, break_lock=options['break_lock'],
                        timeout=max(0.0, options['lock_timeout'] - (waited - started)),
                        should_stop=self.should_stop, pending_dir=lock.lock_dir) as held:
                    self.add_time('lock_wait', waited)
                    if held is not None:
                        read = ServerRead.of(self, header, rows, out, before=read)
                    return self._execute(header, read, out, invalid) + (None,)
        except NOTHING_SENT as exc:
            return [], [], None, nothing_sent(exc, out, self.should_stop, self.scrub)

    def _number_as_legacy(self, rows):
        """The rows of a converted legacy file numbered as its lines; returns the rows the
        conversion refused (``invalid``). A record that does not fit the file is not used."""
        invalid = legacy_numbering(self.conversion, rows, self.src, self.warnings) \
            if self.conversion else []
        if invalid is None:
            self.conversion, self.shown_src, invalid = None, self.src, []
        return invalid

    def scrub(self, text):
        return scrub_text(text, self.secrets)

    def _adapted(self, header, rows):
        """The rows as this server reads them (its platform's adapt_rows, once per run)."""
        # The source's own cells, for the file an operator fixes (never the server's form).
        self.source_values = dict((row.line, row.values) for row in rows)
        with self.phase('read_server'):
            return import_reads.adapted_rows(self.client, header, rows,
                                             self.options['context_map'], self.warnings)

    def _execute(self, header, read, out, invalid):
        """Back up the users read, and (not in check mode) send what the plan says:
        (outcomes, users, importer or None). The rows the conversion refused (``invalid``)
        are matched with the operator's fixes against the same read, once."""
        options, outcomes = self.options, read.outcomes
        self.warnings.extend(read.warnings)
        apply_fixed(invalid, read.users, options['fixed_rows'])
        if self.check_mode:
            for outcome in outcomes:
                outcome.status = outcome.status.would()
            return outcomes, read.users, None
        if options['backup_dest']:
            out['backup_file'] = options['backup_dest']
            self.write_file(out['backup_file'], confd_csv.users_body(read.headers, read.users))
        reporting = bool(options['report_dest'])
        sent = [o for o in outcomes if o.status in PLANNED]
        import_executor.stop_if_asked(self.should_stop)
        if reporting and sent:
            # Only rows sent create users a rollback must recognise: a re-run with nothing to
            # do spares the server these two requests.
            with self.phase('read_server'):
                self.evidence = import_reads.evidence(self.client)
        importer = importer_for(self.client, header, options, self.secrets, self.should_stop,
                                progress_of(sent, self.progress))
        with self.phase('import'):
            importer.run(outcomes)
        if reporting and any(o.status == Status.CREATED and o.uuid for o in outcomes):
            with self.phase('read_created'):
                self.created_values = import_reads.created_values(self.client, outcomes,
                                                                  self.warnings, self.scrub)
        if options['preflight']:
            warning = row_checks.wrong_predictions(sent)
            if warning:
                self.warnings.append(warning)
        return outcomes, read.users, importer


class ServerRead:
    """One read of the server's users and the plan of the rows against it: the export's
    ``headers`` and ``users``, the checked ``outcomes``, the ``warnings`` the plan and the
    checks gave."""

    def __init__(self, headers, users, outcomes, warnings):
        self.headers, self.users, self.outcomes, self.warnings = headers, users, outcomes, warnings

    @classmethod
    def of(cls, run, header, rows, out, before=None):
        """Read the server's users for ``run`` (an ImportRun), plan ``rows`` against them and
        check them. ``before``: the read made before the server's lock was taken, kept when
        the users have not changed since (the checks' requests are not made twice)."""
        options = run.options
        import_executor.stop_if_asked(run.should_stop)
        with run.phase('read_server'):
            headers, users = run.client.export_users()
        if before is not None and same_users(before.users, users):
            return before
        warnings = []
        with run.phase('plan'):
            outcomes = run.outcomes = plan_rows(run.client, header, rows, users, options,
                                                warnings, run.scrub)
        apply_fixed(outcomes, users, options['fixed_rows'])
        import_executor.stop_if_asked(run.should_stop)
        with run.phase('preflight' if options['preflight'] else 'validate'):
            preflight = row_checks.check_rows(outcomes, users, run.client, options['validate'],
                                              options['preflight'], warnings)
        out.pop('preflight', None)
        if preflight is not None:
            out['preflight'] = preflight
        return cls(headers, users, outcomes, warnings)

    @property
    def sends(self):
        """Whether the plan sends any row."""
        return any(o.status in PLANNED for o in self.outcomes)


def same_users(before, after):
    """Whether two exports hold the same users with the same values, in any order (the
    export's order is not stable)."""
    def canonical(users):
        return sorted(tuple(sorted(user.items())) for user in users)
    return len(before) == len(after) and canonical(before) == canonical(after)


def read_source(src, source=None, copy_rows=False):
    """(header, rows, why the file cannot be read or None): ``source`` when given, (header,
    rows) shared by several servers (copied with ``copy_rows``: each run numbers its own),
    else the confd file ``src``."""
    try:
        header, rows = source if source is not None else confd_csv.read(src)
    except confd_csv.CsvFileError as exc:
        return [], [], str(exc)
    if source is not None and copy_rows:
        rows = [row.copy() for row in rows]
    return header, rows, None


def controller_lock(client, options, owner=''):
    """This controller's lock on an import's server (ServerLock): one run at a time per
    server from this controller; the lock kept on the server is remote_lock.held."""
    return ServerLock(client.host, client.port, tenant=client.tenant_option,
                      lock_dir=options['lock_dir'], timeout=options['lock_timeout'], owner=owner)


# What stops a run before any row is sent: a lock not had, an interruption, a server that
# cannot be reached or read, refused credentials.
NOTHING_SENT = (ServerBusy, UnsafeLockDirectory, import_executor.Interrupted, ConfdError)


def nothing_sent(exc, out, should_stop, scrub):
    """The error of a run that ``exc`` (one of NOTHING_SENT) stopped before any row was sent,
    also marked in ``out`` (interrupted, unreachable, auth_refused). Its rows are then all not
    tried (not failed: there is nothing in them to fix), and the report says so rather than
    leaving the previous run's report in place."""
    if isinstance(exc, (ServerBusy, UnsafeLockDirectory)):
        return str(exc)
    if isinstance(exc, (import_executor.Interrupted, ConfdInterrupted)):
        out['interrupted'] = should_stop() or str(exc)
        return 'interrupted before any user was sent: %s' % out['interrupted']
    error = scrub(str(exc))
    if isinstance(exc, ConfdUnreachable):
        out['unreachable'] = True
    if isinstance(exc, ConfdAuthRefused):
        out['auth_refused'] = True
        error = 'authentication refused: ' + error
    return error


def importer_for(client, header, options, secrets, should_stop, progress):
    """The executor of a run's planned rows, paced as its options say."""
    return import_executor.Importer(
        client, header, keys=options['keys'], batch_size=options['batch_size'],
        batch_seconds=options['batch_seconds'], secrets=secrets, should_stop=should_stop,
        progress=progress, platform=client.platform)


def not_tried(header, rows, keys, error):
    """Every row's outcome when none was tried, for ``error``."""
    outcomes = import_plan.plan(header, rows, [], keys=keys)
    for outcome in outcomes:
        outcome.not_tried('not tried: ' + error)
    return outcomes


def plan_rows(client, header, rows, users, options, warnings, scrub):
    """The plan of the rows against the server's ``users`` (import_plan.plan), with the
    options of the run and, on a platform whose logins are global, its accounts."""
    return import_plan.plan(
        header, rows, users, keys=options['keys'], update=options['update'],
        update_password=options['update_password'],
        update_identity=options['update_identity'], name_fallback=options['name_identity'],
        share_voicemails=options['share_voicemails'], platform=client.platform,
        accounts=import_reads.accounts(client, warnings, scrub))


def output_is_input(options, inputs):
    """Why an output of a run is one of its inputs (the same file, whatever its name), or
    None: writing it would destroy the source (an operator's edited file)."""
    inputs = [path for path in inputs if path]
    for name in OUTPUTS:
        path = options.get(name)
        same = source_rows.same_file_as_any(path, inputs) if path else None
        if same:
            return ('%s is the same file as the source %s: a run never writes, replaces or '
                    'removes its own input; name another file (nothing was sent)'
                    % (name, same))
    return None


def legacy_numbering(conversion, rows, src, warnings):
    """Give the rows of ``src``, a converted legacy file, their legacy line (``conversion``:
    its record), and return the rows the conversion refused as ``invalid`` outcomes, with
    their legacy line, column and reason, so that every row of the legacy file has one
    outcome; or None when the record does not fit the rows (added to ``warnings``)."""
    lines = source_rows.expand_ranges(conversion.get('row_lines'))
    if len(lines) != len(rows):
        warnings.append('the conversion record of %s names %d rows but the file holds %d: its '
                        'rows are numbered as lines of %s, and the rows the conversion refused '
                        'are not listed' % (conversion.get('src') or None, len(lines), len(rows),
                                            src))
        return None
    for row, line in zip(rows, lines):
        row.line = line
    return [RowOutcome.invalid(line, column, reason) for line, (column, reason)
            in source_rows.invalid_reasons(conversion).items()]


def progress_of(sent, progress):
    """The executor's progress callback for ``progress(done, total, imported, refused)``:
    imported and refused count only the rows sent (rows refused before sending are not among
    the "N of M rows sent")."""
    if progress is None:
        return None

    def report(done, total):
        imported = sum(1 for o in sent if o.status in (Status.CREATED, Status.UPDATED))
        refused = sum(1 for o in sent if o.status == Status.FAILED)
        progress(done, total, imported, refused)
    return report


def every_row(outcomes, invalid):
    """The outcomes of the rows sent and of the rows the conversion refused, in the order of
    the legacy file, numbered as its data rows."""
    if not invalid:
        return outcomes
    every = sorted(list(outcomes) + list(invalid), key=lambda o: o.row.line)
    for number, outcome in enumerate(every, 1):
        outcome.row.number = number
    return every


def apply_fixed(outcomes, users, fixed):
    """Rows of the full source that an operator fixed in the file to fix, and whose fixed row
    was imported (``fixed``: {line: entry}): the server holds the person as fixed, so the
    original row is ``unchanged`` (never sent again, never a conflict with its own fix), and
    says so."""
    if not fixed:
        return
    on_server = set(user.get('uuid') for user in users)
    for outcome in outcomes:
        entry = fixed.get(outcome.row.line)
        if not entry or entry.get('uuid') not in on_server:
            continue
        outcome.status, outcome.error = Status.UNCHANGED, None
        outcome.uuid = entry['uuid']
        outcome.changes, outcome.involved = [], []
        outcome.warnings.append(entry.get('note') or 'fixed in the file to fix and imported')
