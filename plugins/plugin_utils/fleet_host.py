# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's work in a fleet_import batch, the body of its thread: its legacy file
converted, its server's import run, its report, file to fix, backups and outcome."""

from __future__ import annotations

import json
import os
import threading

from ansible.utils.display import Display

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, conversion, fix_file, fleet, fleet_backups, fleet_summary, import_plan,
    import_report, import_run, legacy_source, output_directory, reports, role_options, source_rows)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import RowOutcome, Status
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    client_from_args, progress_printer)
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_files import (
    existing, is_file, os_error, public_files)

display = Display()


class ServerWork:
    """The work of each server of the batch, one thread each. ``planned`` is set once every
    host's inputs are checked: no server is sent anything before; ``clients`` holds the
    client of each server while it works (to cut its requests when the run is stopped)."""

    def __init__(self, files, inputs, diff):
        self._files = files
        self._outputs = HostOutputs(files)
        self._inputs = inputs
        self._diff = diff
        self.planned = threading.Event()
        self.clients = {}

    def recorded_server(self, plan, run_id, run_dir, check_mode, stop, shared):
        """A server's work, its outcome then written for fleet_result (in the server's thread:
        the writes of a large fleet overlap)."""
        progress = {}
        try:
            outcome = self._one_server(plan, run_id, check_mode, stop, shared, progress)
        except Exception as exc:  # pylint: disable=broad-except
            # Whatever breaks in one server's work is that server's failure, never the
            # batch's: the other servers finish, and the fleet report is written.
            run = progress.get('run')
            outcome = fleet.crashed(plan.host, plan.server, exc,
                                    outcomes=run.outcomes if run is not None else (),
                                    check_mode=check_mode,
                                    secrets=run.secrets if run is not None else _secrets_of(plan))
            outcome['failure'] = fleet_summary.failure(outcome, None, True)
            self._outputs.crash_report(plan, run_id, progress.get('files') or {}, outcome, run,
                                       check_mode)
            outcome['files'] = existing(progress.get('files') or {})
        try:
            self._files.write(fleet.outcome_path(run_dir, outcome['host']),
                              json.dumps(outcome).encode('utf-8'), ())
        except (OSError, ValueError) as exc:
            # fleet_result will say that it found no outcome for this host; the batch goes on.
            display.warning('%s: its outcome could not be recorded in %s: %s'
                            % (plan.host, run_dir, exc))
        return outcome

    def _one_server(self, plan, run_id, check_mode, stop, shared, progress):
        if plan.error is None and stop.reason():
            plan.fail('interrupted before this server was started (%s): nothing was sent'
                      % stop.reason())
        convert(plan, shared, stop)
        options = plan.options
        report_dir = options.get('report_dir') or ''
        stem = reports.safe_stem(plan.host)
        bases = list((options.get('bases') or {}).values())
        files, planned_backup = planned_files(plan, run_id, check_mode, self._inputs)
        progress['files'] = files
        conversion_summary = _conversion_summary(plan)
        if plan.error is not None:
            refused = _refused_conversion(plan)
            outcome = fleet.ServerOutcome.of(plan.host, plan.server, fleet.NOT_IMPORTED, plan.error,
                                             result=dict(summary=import_plan.summarize(refused)),
                                             conversion=conversion_summary, check_mode=check_mode)
            if stop.reason() and plan.error.startswith('interrupted'):
                outcome['interrupted'] = stop.reason()
            if plan.warnings:
                outcome['warnings'] = plan.warnings[:10]
            self._outputs.not_imported_report(plan, run_id, files, check_mode, bases, refused)
            return self._outputs.finish(outcome, files, bases)
        src = plan.conversion.get('dest') if plan.legacy else plan.source
        source = shared.get(('read', src), lambda: _read_source(src))
        run_options = import_options(plan, run_id, files, planned_backup)
        if options.get('report_dir'):
            # Read only: the dry run predicts the rows fixed earlier as the real run finds them.
            run_options['fixed_rows'] = self._outputs.fixed_rows(options['report_dir'], stem,
                                                                 plan, source)
        self.planned.wait()
        try:
            client = client_from_args(plan.connection)
        except ConfdError as exc:
            outcome = fleet.ServerOutcome.of(plan.host, plan.server, fleet.NOT_IMPORTED, str(exc),
                                             conversion=conversion_summary, check_mode=check_mode)
            return self._outputs.finish(outcome, files, bases)
        self.clients[plan.host] = client
        if stop.reason():
            client.abort(stop.reason())
        try:
            run = import_run.ImportRun(
                client, src, run_options, host=plan.host, check_mode=check_mode,
                diff=self._diff, should_stop=stop.reason,
                source=None if isinstance(source, Exception) else source,
                progress=progress_printer(plan.host, progress_seconds(options)),
                write_file=lambda path, data: self._files.write(path, data, bases))
            progress['run'] = run
            result = run.run()
            # With the platform's default port, the label names the port the server was found on.
            plan.server = fleet.reached_label(client, plan.server)
        finally:
            try:
                client.close()
            finally:
                self.clients.pop(plan.host, None)
        warnings = plan.warnings + list(result.get('warnings', ())) + [
            scrub_text(event, client.secrets) for event in client.events]
        if report_dir and not check_mode and not result.get('error'):
            placed = fix_file.place(report_dir, stem, run_id, run.fix, plan.source,
                                    self._inputs,
                                    lambda path, data: self._files.write(path, data, bases))
            if placed['path']:
                files['to_fix'] = placed['path']
            if placed['warning']:
                warnings.append(placed['warning'])
            if run.fix and run.fix['formula_cells'] and placed['written']:
                warnings.append(import_report.formula_warning(placed['path'],
                                                              run.fix['formula_cells']))
            fix_file.note_fixed(plan.source, _report_users(files.get('report')), run_id,
                                lambda path, data: self._files.write(path, data, bases))
        if result.get('backup_file') and not check_mode:
            # Pruned by the manifest of the backups written, never by name; not this run's.
            backup_base = options['bases'].get('backup_dir')
            fleet_backups.record_backup(result['backup_file'], plan.host, run_id, backup_base)
            fleet_backups.prune_backups(options['backup_dir'], plan.host, options.get('backup_keep') or 0,
                                        current=result['backup_file'], base=backup_base)
        outcome = fleet.ServerOutcome.of_run(plan.host, plan.server, result,
                                             conversion=conversion_summary, check_mode=check_mode)
        if warnings:
            outcome['warnings'] = warnings[:10]
        if result.get('diff'):
            outcome['diff'] = result['diff']   # the counts and the first diff_limit users
        outcome['failure'] = fleet_summary.failure(
            dict(outcome, files=dict(outcome['files'], **public_files(files))),
            options.get('invalid_rows'), options.get('fail_on_error', True),
            users=result.get('users', ()), errors_shown=options.get('errors_shown', 20))
        return self._outputs.finish(outcome, files, bases)


class HostOutputs:
    """The files of one host's run beside its import: its rows fixed earlier, its report when
    it imports nothing or its work broke, the latest copies of its files."""

    def __init__(self, files):
        self._files = files

    @staticmethod
    def fixed_rows(report_dir, stem, plan, source):
        """The rows of the host's source that were fixed in its file to fix and imported."""
        if plan.legacy:
            def digest_of(lines):
                records = source_rows.LegacyRecords(
                    plan.source, import_report.codec_of(plan.conversion))
                return dict((line, source_rows.record_digest(records.record(line) or b''))
                            for line in lines)
        elif isinstance(source, tuple):
            def digest_of(lines):
                header, rows = source
                by_line = dict((row.line, row) for row in rows)
                return dict((line, source_rows.record_digest(confd_csv.body(
                    header, [by_line[line].values]))) for line in lines if line in by_line)
        else:
            return {}
        try:
            return fix_file.fixed_rows(report_dir, stem, plan.source, plan.legacy, digest_of)
        except (legacy_source.LegacyCsvError, ValueError) as exc:
            display.warning('%s: the rows fixed earlier could not be checked: %s'
                            % (plan.host, exc))
            return {}

    def not_imported_report(self, plan, run_id, files, check_mode, bases, outcomes=()):
        """A host that imports nothing still gets its report of this run, saying why (and,
        when its legacy file was refused for its invalid rows, what became of each row), where
        its report directory can be written (else its outcome says why)."""
        if check_mode or not files:
            return
        data = dict(run_id=run_id, host=plan.host, server=plan.server, src=plan.source,
                    started=reports.utc_now(), finished=reports.utc_now(), complete=False,
                    error=plan.error, summary=import_plan.summarize(outcomes),
                    users=[o.as_dict() for o in outcomes])
        try:
            self._files.write(files['report'], reports.report_json(data).encode('utf-8'),
                              bases)
        except (OSError, ValueError):
            pass    # its report directory may be what is wrong: the outcome says why

    def crash_report(self, plan, run_id, files, outcome, run, check_mode):
        """The report of a server whose work broke: what happened to each row, as far as it
        went (a rollback needs the users that were created); nothing when it cannot be written."""
        if check_mode or not files.get('report'):
            return
        users = [o.as_dict() for o in run.outcomes] if run is not None else []
        for user in users:
            if user['status'] not in outcome['summary']:
                user.update(status=Status.NOT_TRIED.value, error='not tried: ' + outcome['msg'])
        data = dict(run_id=run_id, host=plan.host, server=plan.server, src=plan.source,
                    started=reports.utc_now(), finished=reports.utc_now(), complete=False,
                    error=outcome['msg'], summary=dict(outcome['summary']), users=users)
        bases = list((plan.options.get('bases') or {}).values())
        try:
            self._files.write(files['report'], reports.report_json(data).encode('utf-8'),
                              bases)
            self._files.copy(files['report'], files['latest_report'], bases=bases)
        except (OSError, ValueError):
            pass    # the outcome says why this server failed; its report is what could not be

    def finish(self, outcome, files, bases=()):
        """Record the run's files in the outcome, and copy them as the latest of the host."""
        try:
            public = self._latest(files, bases, outcome['status'] in fleet.DONE)
        except OSError as exc:
            # A link planted meanwhile at a latest copy: refused, named, the host fails.
            public = public_files(files)
            problem = 'the latest copy of its files cannot be written: %s' % os_error(exc, '')
            previous = outcome.get('failure') or (
                '' if outcome['status'] in fleet.DONE else '%s: %s' % (outcome['host'],
                                                                       outcome['msg']))
            outcome['failure'] = '%s; %s' % (previous, problem) if previous else '%s: %s' % (
                outcome['host'], problem)
        outcome['files'] = dict((k, v) for k, v in public.items() if v and is_file(v))
        outcome.setdefault('failure', '' if outcome['status'] in fleet.DONE
                           else '%s: %s' % (outcome['host'], outcome['msg']))
        return outcome

    def _latest(self, files, bases, tried):
        """Copy this run's files of a host as its latest; the public names of its files."""
        public = public_files(files)
        if is_file(files.get('report', '')):
            self._files.copy(files['report'], files['latest_report'], bases=bases)
            public['latest_report'] = files['latest_report']
        if files.get('latest_failed'):
            if is_file(files['failed']):
                # A copy, not a link: the operator edits this file and feeds it back, and the
                # run's own list must stay as the run wrote it.
                self._files.copy(files['failed'], files['latest_failed'], link=False,
                                 bases=bases)
                public['latest_failed'] = files['latest_failed']
            elif tried:
                # A stale list of failures would mislead; but a run that tried no row (its
                # server could not be read) leaves the previous list as true as it was.
                output_directory.remove_file(files['latest_failed'],
                                             base=self._files.base_of(files['latest_failed'], bases))
        return public


def planned_files(plan, run_id, check_mode, inputs):
    """The files a host's run writes, ({report, latest_report} or {}, its backup or ''),
    none in check mode nor in a directory found unusable. A link planted at one of their
    names, or a report that would be one of the run's ``inputs``, fails the host's plan."""
    options = plan.options
    report_dir = options.get('report_dir') or ''
    files, backup = {}, ''
    if report_dir and not check_mode and 'report_dir' not in plan.unusable:
        # Per-host files under hosts/, fleet files beside it: never one name for both.
        run_reports = os.path.join(report_dir, 'runs', run_id)
        files = dict(report=fleet.host_file(run_reports, plan.host, '.json'),
                     latest_report=fleet.host_file(report_dir, plan.host, '.json'))
    if options.get('backup_dir') and not check_mode and 'backup_dir' not in plan.unusable:
        backup = reports.inside(options['backup_dir'],
                                '%s-%s.csv' % (reports.safe_stem(plan.host), run_id))
    planted = [path for path in list(files.values()) + [backup] if path and os.path.islink(path)]
    if planted:
        files = {}
        plan.unusable.update(('report_dir', 'backup_dir'))
        plan.fail('%s: a symbolic link where this run writes its file: not followed, '
                  'nothing was sent to this server; remove it' % ', '.join(planted))
    if plan.error is None:
        clash = next(filter(None, (source_rows.same_file_as_any(path, inputs)
                                   for path in files.values())), None)
        if clash:
            plan.fail('the report directory holds %s, an input of this run: a run never '
                      'writes, replaces or removes its own input; nothing was sent' % clash)
    return files, backup


def import_options(plan, run_id, files, backup):
    """The options of a host's ImportRun: its role variables', with the run's files."""
    run_options = role_options.options(plan.options, role_options.IMPORT)
    run_options.update(run_id=run_id, return_unchanged=False, backup_dest=backup or None,
                       report_dest=files.get('report'), failed_dest=None)
    if plan.legacy:
        # The host's own legacy file (a cached conversion may come from a twin file).
        run_options['conversion'] = dict(plan.conversion, src=plan.source)
    return run_options


def convert(plan, shared, stop):
    """The legacy file of the host converted once per distinct file and options, and not
    again while its content and the options stay the same (conversion.cached)."""
    if plan.error is not None or not plan.legacy:
        return
    options = role_options.options(plan.options, role_options.CONVERSION)
    options['invalid_rows'] = 'fail' if options['invalid_rows'] == 'fail' else 'skip'
    work_dir = plan.options['work_dir']
    plan.conversion = shared.get(
        ('convert', plan.source, work_dir, json.dumps(options, sort_keys=True)),
        lambda: conversion.cached(plan.source, work_dir, options, should_stop=stop.reason,
                                  base=plan.options['bases'].get('work_dir')))
    plan.warnings.extend(plan.conversion.get('cache_warnings') or ())
    if plan.conversion.get('interrupted'):
        plan.fail('interrupted while converting %s (%s): nothing was sent'
                  % (plan.source, plan.conversion['interrupted']))
    elif plan.conversion.get('failed'):
        plan.fail('the legacy file %s could not be converted: %s'
                  % (plan.source, plan.conversion.get('msg', '')))


def _read_source(src):
    """The rows of a confd file, or the reason it cannot be read (ImportRun reports it)."""
    try:
        return confd_csv.read(src)
    except confd_csv.CsvFileError as exc:
        return exc


def _secrets_of(plan):
    return set(plan.connection[k] for k in ('password', 'token') if plan.connection.get(k))


def _refused_conversion(plan):
    """The rows of a legacy file that the conversion refused as a whole because of its invalid
    rows (xivo_user_migration_invalid_rows: fail): each invalid row ``invalid`` (legacy line,
    column, reason), each other row ``not_tried``, so that every row still has one outcome."""
    conversion = plan.conversion if plan.legacy else {}
    if not conversion.get('failed') or not conversion.get('invalid_lines'):
        return []
    outcomes = []
    for line, (column, reason) in source_rows.invalid_reasons(conversion).items():
        outcomes.append(RowOutcome.invalid(line, column, reason))
    for line in source_rows.expand_ranges(conversion.get('row_lines')):
        outcome = RowOutcome(confd_csv.SourceRow(0, line, {}))
        outcome.not_tried('not tried: the legacy file was not converted because of its invalid '
                          'rows (xivo_user_migration_invalid_rows: fail)')
        outcomes.append(outcome)
    outcomes.sort(key=lambda o: o.row.line)
    for number, outcome in enumerate(outcomes, 1):
        outcome.row.number = number
    return outcomes


def _report_users(path):
    """The users of a report just written (every row of the run, in its order)."""
    try:
        with open(path) as handle:
            return json.load(handle).get('users') or []
    except (OSError, ValueError, TypeError):
        return []


def _conversion_summary(plan):
    if not plan.legacy:
        return {}
    keep = ('src', 'dest', 'failed', 'encoding', 'invalid_count', 'invalid_rows', 'cached')
    summary = dict((k, plan.conversion.get(k)) for k in keep if k in plan.conversion)
    summary['src'] = plan.source
    summary['invalid_rows'] = (summary.get('invalid_rows') or [])[:plan.options.get('errors_shown', 20)]
    return summary


def progress_seconds(options):
    return options.get('progress_seconds') if options.get('progress_seconds') is not None else 10
