# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.fleet_import (documented in modules/): the
work of the user_migration role for every server of a play batch, at once."""

from __future__ import annotations

import concurrent.futures
import fcntl
import hashlib
import itertools
import json
import os
import resource
import stat
import threading
import time

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, conversion, file_output, fix_file, fleet, import_plan, import_report, import_run,
    legacy_source, output_directory, reports, role_options, source_rows, temp_files)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    CONNECTION_ARGSPEC, ConfdError, check_connection_numbers)
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import RowOutcome, Status
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    StopWatch, client_from_args, exit_if_orphaned, progress_printer, waiting_line)
from ansible_collections.xivo.confd.plugins.plugin_utils.role_variables import (
    BatchVariables, play_key)

display = Display()


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


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        parent = os.getppid()
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        unknown = sorted(set(self._task.args) - set(CONNECTION_ARGSPEC))
        if unknown:
            result.update(failed=True, msg='fleet_import takes only the connection options '
                          '(the role variables say the rest), not: %s' % ', '.join(unknown))
            return result
        batch = list(task_vars.get('ansible_play_batch') or [task_vars['inventory_hostname']])
        self._batch = batch
        expected = list(task_vars.get('ansible_play_hosts_all') or batch)
        check_mode = bool(self._task.check_mode)
        self._inputs = set()    # every host's source files: no output may be one of them
        playbook_dir = task_vars.get('playbook_dir', '.')
        self._play_key = play_key(task_vars)
        first_plan, plans, first, run_id, run_dir = self._batch_settings(
            self._plans(batch, task_vars), playbook_dir)
        result.update(run_id=run_id, run_dir=run_dir, changed=False)
        # Under strategy free every host runs this task: the first one does the batch's work,
        # the others wait for it and find the outcomes.
        claim = os.path.join(run_dir, 'batch-%s.lock' % hashlib.sha256(
            '\n'.join(sorted(batch)).encode('utf-8')).hexdigest()[:16])
        with _private(claim, self._work_base) as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            done = fleet.read_outcomes(run_dir, set(batch))
            if len(done) == len(batch):
                result['msg'] = 'this batch was migrated by another host\'s task of the same run'
                return result
            started = reports.utc_now()
            outcomes = self._migrate(first_plan, plans, first, run_id, run_dir, check_mode)
        recorded = fleet.read_outcomes(run_dir, set(expected))
        recorded.update((o['host'], o) for o in outcomes)
        everything = list(recorded.values())
        lines = fleet.summary_lines(outcomes, everything, len(expected), check_mode)
        report_dir = first.get('report_dir') or fleet.default_dir(playbook_dir, 'report_dir')
        if not check_mode:
            # The batch's report directory; if it cannot be written, the one where a server of
            # the run wrote its own report (a run that sent anything has its fleet report).
            # Each server's result is given by its own fleet_result anyway.
            candidates = [report_dir] + sorted(set(
                _report_dir_of(o) for o in everything if o['files'].get('report')))
            for number, directory in enumerate(candidates):
                if number and directory == report_dir:
                    continue
                base = (first.get('bases') or {}).get('report_dir') \
                    if directory == report_dir else None
                try:
                    self._fleet_reports(directory, run_id, everything, len(expected), started,
                                        base or directory)
                except (OSError, ValueError) as exc:
                    lines.append('the fleet report could not be written in %s: %s'
                                 % (directory, exc))
                    result.setdefault('warnings', []).append(lines[-1])
                    continue
                if directory != report_dir:
                    lines.append('the fleet report was written in %s' % directory)
                    report_dir = directory
                break
        # Changes are reported by each host's fleet_result, not by the host that ran this.
        # At default verbosity the lines alone (a JSON dump of the result would bury them:
        # about 15 lines per server); with -v the callback shows the whole result.
        result['msg'] = lines
        if display.verbosity < 1:
            for line in lines:
                display.display(line)
        if first.get('stats', True):
            result['ansible_stats'] = dict(per_host=False, aggregate=False, data={
                'xivo_user_migration': fleet.stats(run_id, report_dir, everything,
                                                   len(expected), check_mode)})
        exit_if_orphaned(parent)
        return result

    # -- what each host is given ------------------------------------------------------------

    def _plans(self, batch, task_vars):
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
                self._inputs.update(_input_files(values, playbook_dir))
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
                    plan.options, bool(self._task.check_mode), checked_dirs, plan.unusable)
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
        args = dict((option, self._task.args[option]) for option in CONNECTION_ARGSPEC
                    if self._task.args.get(option) not in (None, ''))
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
        # No port: the platform's default one (known once the server is reached).
        plan.server = ':'.join(str(part) for part in (plan.connection.get('host') or '?',
                                                      plan.connection.get('port')) if part)
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

    def _batch_settings(self, plans, playbook_dir):
        """The batch's settings (its work and report directories, its concurrency) from the
        first host whose variables could be read and whose work directory can be used: a
        wrong directory, or wrong variables, in the first host of the batch fail that host
        alone. Returns (first plan, all the plans, settings, run id, run directory)."""
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
                found = self._run_dir(work_dir, base)
            except OSError as exc:
                plan.fail('its work directory %s cannot be used (%s): nothing was sent to %s'
                          % (work_dir, _os_error(exc, work_dir), plan.server))
                continue
            settings = plan.options
            break
        if found is None:
            # No host can say where: every one of them fails with its reason, recorded in the
            # default work directory.
            found = self._run_dir(fleet.default_dir(playbook_dir, 'work_dir'),
                                  os.path.abspath(playbook_dir))
            settings = role_options.check({}, role_options.MAIN)[0]
        return (taken[0], itertools.chain(taken[1:], plans), settings) + found

    def _run_dir(self, work_dir, base):
        """(run id, run directory) in ``work_dir``, made without following a link below its
        configured part ``base`` (output_directory.open_directory)."""
        self._work_base = base
        run_id = self._run_id(work_dir)
        run_dir = os.path.join(work_dir, 'runs', run_id)
        output_directory.open_directory(run_dir, base=base, create=True).close()
        return run_id, run_dir

    def _run_id(self, work_dir):
        """One id for the whole ansible-playbook run of this play, whatever the batches."""
        index = os.path.join(work_dir, 'runs', 'by-play')
        path = os.path.join(index, self._play_key)
        with _private(path, self._work_base) as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.seek(0)
            run_id = handle.read().strip()
            if not run_id:
                run_id = reports.new_run_id()
                handle.write(run_id)
        return run_id

    # -- the work ---------------------------------------------------------------------------

    def _migrate(self, first, plans, settings, run_id, run_dir, check_mode):
        """Every host's server in the pool, each submitted as soon as its plan is made (the
        batch's settings size the pool). Each server converts its file and reads it in its
        own thread, so that a server imports as soon as its file is ready; a file shared by
        several servers is converted (and read) once."""
        shared = OnceEach()
        self._files = RunFiles(shared, self._inputs, [self._work_base])
        # Set once every host's inputs are checked: no server is sent anything before (a
        # server converts and reads its file meanwhile).
        self._planned = threading.Event()
        self._clients = {}      # host -> the client of its server, while it works
        concurrency = _pool_size(settings.get('concurrency') or 0, len(self._batch))
        with StopWatch(on_stop=self._abort_all) as stop:
            with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
                futures = []
                try:
                    for plan in itertools.chain([first], plans):
                        futures.append(pool.submit(self._recorded_server, plan, run_id, run_dir,
                                                   check_mode, stop, shared))
                finally:
                    self._planned.set()
                self._watch(futures, stop, _progress_seconds(settings))
                return [future.result() for future in futures]

    def _abort_all(self, reason):
        for client in list(self._clients.values()):
            client.abort(reason)

    def _watch(self, futures, stop, every):
        """Wait for the servers' threads. When the run is interrupted (or the playbook is
        gone), stop every server at once: the requests in flight are cut, no other import is
        sent, the conversions stop; each thread then writes what it did. Meanwhile, every
        ``every`` seconds, name the servers that keep the run waiting for an answer."""
        pending = set(futures)
        shown = time.monotonic()
        while pending:
            dummy, pending = concurrent.futures.wait(pending, timeout=min(1.0, every))
            reason = stop.reason()
            if reason:      # the playbook gone, or a server started after the signal
                self._abort_all(reason)
                continue
            if time.monotonic() - shown < every:
                continue
            shown = time.monotonic()
            for host, client in sorted(self._clients.items()):
                waiting = client.waiting_for()
                if waiting and waiting[2] >= every:
                    display.display(waiting_line(host, client, *waiting))

    def _recorded_server(self, plan, run_id, run_dir, check_mode, stop, shared):
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
            outcome['failure'] = fleet.failure(outcome, None, True)
            self._crash_report(plan, run_id, progress.get('files') or {}, outcome, run,
                               check_mode)
            outcome['files'] = _existing(progress.get('files') or {})
        try:
            self._files.write(fleet.outcome_path(run_dir, outcome['host']),
                              json.dumps(outcome).encode('utf-8'), ())
        except (OSError, ValueError) as exc:
            # fleet_result will say that it found no outcome for this host; the batch goes on.
            display.warning('%s: its outcome could not be recorded in %s: %s'
                            % (plan.host, run_dir, exc))
        return outcome

    @staticmethod
    def _convert(plan, shared, stop):
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

    def _one_server(self, plan, run_id, check_mode, stop, shared, progress):
        if plan.error is None and stop.reason():
            plan.fail('interrupted before this server was started (%s): nothing was sent'
                      % stop.reason())
        self._convert(plan, shared, stop)
        options = plan.options
        report_dir = options.get('report_dir') or ''
        stem = reports.safe_stem(plan.host)
        files = {}
        bases = list((options.get('bases') or {}).values())
        if report_dir and not check_mode and 'report_dir' not in plan.unusable:
            # Per-host files under hosts/, fleet files beside it: never one name for both.
            run_reports = os.path.join(report_dir, 'runs', run_id)
            files = dict(report=fleet.host_file(run_reports, plan.host, '.json'),
                         latest_report=fleet.host_file(report_dir, plan.host, '.json'))
        planned_backup = ''
        if options.get('backup_dir') and not check_mode and 'backup_dir' not in plan.unusable:
            planned_backup = reports.inside(options['backup_dir'], '%s-%s.csv' % (stem, run_id))
        planted = [path for path in list(files.values()) + [planned_backup]
                   if path and os.path.islink(path)]
        if planted:
            files = {}
            plan.unusable.update(('report_dir', 'backup_dir'))
            plan.fail('%s: a symbolic link where this run writes its file: not followed, '
                      'nothing was sent to this server; remove it' % ', '.join(planted))
        progress['files'] = files
        conversion_summary = _conversion_summary(plan)
        if plan.error is None:
            clash = next((source_rows.same_file_as_any(path, self._inputs)
                          for path in files.values()
                          if source_rows.same_file_as_any(path, self._inputs)), None)
            if clash:
                plan.fail('the report directory holds %s, an input of this run: a run never '
                          'writes, replaces or removes its own input; nothing was sent' % clash)
        if plan.error is not None:
            refused = _refused_conversion(plan)
            outcome = fleet.ServerOutcome.of(plan.host, plan.server, fleet.NOT_IMPORTED, plan.error,
                                             result=dict(summary=import_plan.summarize(refused)),
                                             conversion=conversion_summary, check_mode=check_mode)
            if stop.reason() and plan.error.startswith('interrupted'):
                outcome['interrupted'] = stop.reason()
            if plan.warnings:
                outcome['warnings'] = plan.warnings[:10]
            self._not_imported_report(plan, run_id, files, check_mode, bases, refused)
            return self._finish(outcome, files, bases)
        src = plan.conversion.get('dest') if plan.legacy else plan.source
        source = shared.get(('read', src), lambda: _read_source(src))
        run_options = role_options.options(options, role_options.IMPORT)
        run_options.update(run_id=run_id, return_unchanged=False,
                           backup_dest=planned_backup or None, report_dest=files.get('report'),
                           failed_dest=None)
        if plan.legacy:
            # The host's own legacy file (a cached conversion may come from a twin file).
            run_options['conversion'] = dict(plan.conversion, src=plan.source)
        if options.get('report_dir'):
            # Read only: the dry run predicts the rows fixed earlier as the real run finds them.
            run_options['fixed_rows'] = self._fixed_rows(options['report_dir'], stem, plan,
                                                         source)
        self._planned.wait()
        try:
            client = client_from_args(plan.connection)
        except ConfdError as exc:
            outcome = fleet.ServerOutcome.of(plan.host, plan.server, fleet.NOT_IMPORTED, str(exc),
                                             conversion=conversion_summary, check_mode=check_mode)
            return self._finish(outcome, files, bases)
        self._clients[plan.host] = client
        if stop.reason():
            client.abort(stop.reason())
        try:
            run = import_run.ImportRun(
                client, src, run_options, host=plan.host, check_mode=check_mode,
                diff=bool(self._task.diff), should_stop=stop.reason,
                source=None if isinstance(source, Exception) else source,
                progress=progress_printer(plan.host, _progress_seconds(options)),
                write_file=lambda path, data: self._files.write(path, data, bases))
            progress['run'] = run
            result = run.run()
            # With the platform's default port, the label names the port the server was found on.
            plan.server = client.reached or plan.server
        finally:
            try:
                client.close()
            finally:
                self._clients.pop(plan.host, None)
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
            fleet.record_backup(result['backup_file'], plan.host, run_id, backup_base)
            fleet.prune_backups(options['backup_dir'], plan.host, options.get('backup_keep') or 0,
                                current=result['backup_file'], base=backup_base)
        if result.get('error'):
            status = fleet.UNREACHABLE if result.get('unreachable') else fleet.NOT_IMPORTED
            outcome = fleet.ServerOutcome.of(plan.host, plan.server, status, result['error'],
                                             result=result, conversion=conversion_summary,
                                             check_mode=check_mode)
        else:
            outcome = fleet.ServerOutcome.of(plan.host, plan.server, fleet.IMPORTED, result['msg'],
                                             result=result, conversion=conversion_summary,
                                             check_mode=check_mode)
        if warnings:
            outcome['warnings'] = warnings[:10]
        if result.get('diff'):
            outcome['diff'] = result['diff']   # the counts and the first diff_limit users
        outcome['failure'] = fleet.failure(
            dict(outcome, files=dict(outcome['files'], **_public(files))),
            options.get('invalid_rows'), options.get('fail_on_error', True),
            users=result.get('users', ()), errors_shown=options.get('errors_shown', 20))
        return self._finish(outcome, files, bases)

    @staticmethod
    def _fixed_rows(report_dir, stem, plan, source):
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

    def _not_imported_report(self, plan, run_id, files, check_mode, bases, outcomes=()):
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

    def _crash_report(self, plan, run_id, files, outcome, run, check_mode):
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

    def _finish(self, outcome, files, bases=()):
        """Record the run's files in the outcome, and copy them as the latest of the host."""
        try:
            public = self._latest(files, bases, outcome['status'] in fleet.DONE)
        except OSError as exc:
            # A link planted meanwhile at a latest copy: refused, named, the host fails.
            public = _public(files)
            problem = 'the latest copy of its files cannot be written: %s' % _os_error(exc, '')
            previous = outcome.get('failure') or (
                '' if outcome['status'] in fleet.DONE else '%s: %s' % (outcome['host'],
                                                                       outcome['msg']))
            outcome['failure'] = '%s; %s' % (previous, problem) if previous else '%s: %s' % (
                outcome['host'], problem)
        outcome['files'] = dict((k, v) for k, v in public.items() if v and _is_file(v))
        outcome.setdefault('failure', '' if outcome['status'] in fleet.DONE
                           else '%s: %s' % (outcome['host'], outcome['msg']))
        return outcome

    def _latest(self, files, bases, tried):
        """Copy this run's files of a host as its latest; the public names of its files."""
        public = _public(files)
        if _is_file(files.get('report', '')):
            self._files.copy(files['report'], files['latest_report'], bases=bases)
            public['latest_report'] = files['latest_report']
        if files.get('latest_failed'):
            if _is_file(files['failed']):
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

    def _fleet_reports(self, report_dir, run_id, outcomes, expected, started, base):
        run_reports = os.path.join(report_dir, 'runs', run_id)
        data = fleet.fleet_report(run_id, outcomes, expected, False, started, reports.utc_now())
        text = reports.report_json(data).encode('utf-8')
        for directory in (run_reports, report_dir):
            file_output.write_private_file(os.path.join(directory, 'fleet.json'), text, base=base)
            file_output.write_private_file(
                os.path.join(directory, 'fleet.md'),
                fleet.fleet_markdown(data, directory).encode('utf-8'), base=base)


class RunFiles:
    """The files of a run's servers, written from their threads (write_private_file): the
    stale temporary files of each directory are looked for once, with one listing, not at
    every file written there (a report directory holds a file per server); the latest report
    of a server is a second name of this run's (a hard link) where the file system allows.
    Each file is written under the directory the operator configured for it (its ``base``):
    no link is followed below it (output_directory.open_directory)."""

    def __init__(self, shared, inputs=(), bases=()):
        self._shared = shared
        self._inputs = inputs
        self._bases = [b for b in bases if b]

    def _refused(self, path):
        """A file of the run that is one of its inputs is never written (last guard: each
        host's outputs were checked before anything was sent)."""
        same = source_rows.same_file_as_any(path, self._inputs)
        if same:
            display.warning('%s is an input of this run (%s): not written' % (path, same))
        return bool(same)

    def base_of(self, path, bases=()):
        """The configured directory ``path`` lies in (the deepest one), or None."""
        path = os.path.abspath(path)
        found = [b for b in list(bases) + self._bases
                 if b and (path == b or path.startswith(b.rstrip(os.sep) + os.sep))]
        return max(found, key=len) if found else None

    def _swept(self, path, base):
        directory = os.path.dirname(os.path.abspath(path))

        def sweep():
            with output_directory.open_directory(directory, base=base, create=True) as opened:
                return temp_files.remove_stale_temp_files_in(directory, dir_fd=opened.fd)
        self._shared.get(('swept', directory), sweep)

    def write(self, path, data, bases=()):
        if self._refused(path):
            return
        base = self.base_of(path, bases)
        self._swept(path, base)
        file_output.write_private_file(path, data, clean_stale=False, base=base)

    def copy(self, src, dest, link=True, bases=()):
        if self._refused(dest):
            return
        base = self.base_of(dest, bases)
        self._swept(dest, base)
        if not (link and file_output.replace_with_link(src, dest, base=base)):
            data = file_output.read_private_file(src, base=self.base_of(src, bases))
            file_output.write_private_file(dest, data, clean_stale=False, base=base)


class OnceEach:
    """Work done once per key, whichever thread asks first; the others wait for its result."""

    def __init__(self):
        self._lock = threading.Lock()
        self._slots = {}

    def get(self, key, work):
        with self._lock:
            slot = self._slots.setdefault(key, [threading.Lock(), None, False])
        with slot[0]:
            if not slot[2]:
                slot[1], slot[2] = work(), True
        return slot[1]


def _read_source(src):
    """The rows of a confd file, or the reason it cannot be read (ImportRun reports it)."""
    try:
        return confd_csv.read(src)
    except confd_csv.CsvFileError as exc:
        return exc


def _private(path, base):
    """A file of the run directory opened for reading and writing, mode 0600 (the work
    directory holds the users' secrets; nothing in it is readable by others), never through
    a link, its directory made when missing."""
    with output_directory.open_directory(os.path.dirname(path), base=base, create=True) as directory:
        fd = output_directory.open_file_at(directory.fd, os.path.basename(path), path,
                                           os.O_RDWR | os.O_CREAT)
    return os.fdopen(fd, 'r+')


def _is_file(path):
    """Whether ``path`` is a regular file (a link is not one of this run's files)."""
    try:
        return bool(path) and stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _os_error(exc, path):
    if isinstance(exc, output_directory.UnsafePath):
        return str(exc)
    return '%s: %s' % (exc.filename or path, exc.strerror or exc)


def _report_dir_of(outcome):
    """The report directory of a server's run report:
    <report_dir>/runs/<run id>/hosts/<host>.json."""
    path = outcome['files']['report']
    for dummy in range(4):
        path = os.path.dirname(path)
    return path


def _existing(files):
    return dict((k, v) for k, v in _public(files).items() if os.path.exists(v))


def _secrets_of(plan):
    return set(plan.connection[k] for k in ('password', 'token') if plan.connection.get(k))


def _public(files):
    return dict((k, files[k]) for k in ('report', 'to_fix') if files.get(k))


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


def _input_files(values, playbook_dir):
    """The source files a host names (its legacy or confd file), as the role resolves them."""
    return set(os.path.join(playbook_dir, os.path.expanduser(values[name]))
               for name in ('legacy_csv', 'csv') if values.get(name))


def _conversion_summary(plan):
    if not plan.legacy:
        return {}
    keep = ('src', 'dest', 'failed', 'encoding', 'invalid_count', 'invalid_rows', 'cached')
    summary = dict((k, plan.conversion.get(k)) for k in keep if k in plan.conversion)
    summary['src'] = plan.source
    summary['invalid_rows'] = (summary.get('invalid_rows') or [])[:plan.options.get('errors_shown', 20)]
    return summary


# Descriptors a server's work holds at most at once: its connections to confd and xivo-auth,
# a second descriptor of each (to cut a request in flight), a file being written.
FILES_PER_SERVER = 6
FILES_SPARE = 64


def _pool_size(concurrency, servers):
    """Threads for the batch: every server at once (``concurrency`` 0) or at most
    ``concurrency``. The process's soft limit of open files is raised to what they need (up to
    its hard limit); when even that is too low, as many as fit, the others in turn."""
    wanted = max(1, servers if concurrency <= 0 else min(concurrency, servers))
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = FILES_SPARE + FILES_PER_SERVER * wanted
        if soft != resource.RLIM_INFINITY and soft < need:
            soft = need if hard == resource.RLIM_INFINITY else min(need, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        if soft != resource.RLIM_INFINITY:
            wanted = min(wanted, max(1, (soft - FILES_SPARE) // FILES_PER_SERVER))
    except (ValueError, OSError):
        pass    # the limit as it is
    return wanted


def _progress_seconds(options):
    return options.get('progress_seconds') if options.get('progress_seconds') is not None else 10


def _first_line(exc):
    return str(getattr(exc, 'message', exc)).splitlines()[0][:500]


def _no_secrets(message, args):
    return scrub_text(message, set(v for k, v in args.items()
                                   if k in ('password', 'token') and v))
