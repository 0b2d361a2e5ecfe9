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
import os
import resource
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.xivo.confd.plugins.module_utils import (
    file_output, fleet, fleet_summary, output_directory, reports, role_options)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import CONNECTION_ARGSPEC
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    StopWatch, exit_if_orphaned, waiting_line)
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_files import (
    OnceEach, RunFiles, os_error, private_file)
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_host import ServerWork, progress_seconds
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_plan import FleetPlanner
from ansible_collections.xivo.confd.plugins.plugin_utils.role_variables import play_key

display = Display()


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
        playbook_dir = task_vars.get('playbook_dir', '.')
        self._play_key = play_key(task_vars)
        planner = FleetPlanner(self._task.args, check_mode, self._templar)
        self._inputs = planner.inputs   # every host's source files: no output may be one of them
        first_plan, plans, first, run_id, run_dir = self._batch_settings(
            planner.plans(batch, task_vars), playbook_dir)
        result.update(run_id=run_id, run_dir=run_dir, changed=False)
        # Under strategy free every host runs this task: the first one does the batch's work,
        # the others wait for it and find the outcomes.
        claim = os.path.join(run_dir, 'batch-%s.lock' % hashlib.sha256(
            '\n'.join(sorted(batch)).encode('utf-8')).hexdigest()[:16])
        with private_file(claim, self._work_base) as handle:
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
        lines = fleet_summary.summary_lines(outcomes, everything, len(expected), check_mode)
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
                'xivo_user_migration': fleet_summary.stats(run_id, report_dir, everything,
                                                           len(expected), check_mode)})
        exit_if_orphaned(parent)
        return result

    # -- the batch's run directory -----------------------------------------------------------

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
                          % (work_dir, os_error(exc, work_dir), plan.server))
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
        with private_file(path, self._work_base) as handle:
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
        # Its event is set once every host's inputs are checked: no server is sent anything
        # before (a server converts and reads its file meanwhile).
        self._work = ServerWork(RunFiles(shared, self._inputs, [self._work_base]), self._inputs,
                                bool(self._task.diff))
        concurrency = _pool_size(settings.get('concurrency') or 0, len(self._batch))
        with StopWatch(on_stop=self._abort_all) as stop:
            with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
                futures = []
                try:
                    for plan in itertools.chain([first], plans):
                        futures.append(pool.submit(self._work.recorded_server, plan, run_id, run_dir,
                                                   check_mode, stop, shared))
                finally:
                    self._work.planned.set()
                self._watch(futures, stop, progress_seconds(settings))
                return [future.result() for future in futures]

    def _abort_all(self, reason):
        for client in list(self._work.clients.values()):
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
            for host, client in sorted(self._work.clients.items()):
                waiting = client.waiting_for()
                if waiting and waiting[2] >= every:
                    display.display(waiting_line(host, client, *waiting))

    def _fleet_reports(self, report_dir, run_id, outcomes, expected, started, base):
        run_reports = os.path.join(report_dir, 'runs', run_id)
        data = fleet_summary.fleet_report(run_id, outcomes, expected, False, started, reports.utc_now())
        text = reports.report_json(data).encode('utf-8')
        for directory in (run_reports, report_dir):
            file_output.write_private_file(os.path.join(directory, 'fleet.json'), text, base=base)
            file_output.write_private_file(
                os.path.join(directory, 'fleet.md'),
                fleet_summary.fleet_markdown(data, directory).encode('utf-8'), base=base)


def _report_dir_of(outcome):
    """The report directory of a server's run report:
    <report_dir>/runs/<run id>/hosts/<host>.json."""
    path = outcome['files']['report']
    for dummy in range(4):
        path = os.path.dirname(path)
    return path


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
