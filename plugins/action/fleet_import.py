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

from ansible_collections.xivo.confd.plugins.module_utils import fleet, fleet_summary, reports
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import CONNECTION_ARGSPEC
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import (
    StopWatch, exit_if_orphaned, waiting_line)
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_files import (
    OnceEach, RunFiles, private_file, write_fleet_reports)
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_host import ServerWork, progress_seconds
from ansible_collections.xivo.confd.plugins.plugin_utils.fleet_plan import FleetPlanner, batch_settings
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
        planner = FleetPlanner(self._task.args, check_mode, self._templar)
        self._inputs = planner.inputs   # every host's source files: no output may be one of them
        first_plan, plans, first, (run_id, run_dir), self._work_base = batch_settings(
            planner.plans(batch, task_vars), playbook_dir, play_key(task_vars))
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
        # The other batches' outcomes (serial plays) from their files; this batch's as run.
        recorded = fleet.read_outcomes(run_dir, set(expected) - set(o['host'] for o in outcomes))
        recorded.update((o['host'], o) for o in outcomes)
        everything = list(recorded.values())
        lines = fleet_summary.summary_lines(outcomes, everything, len(expected), check_mode)
        report_dir = first.get('report_dir') or fleet.default_dir(playbook_dir, 'report_dir')
        if not check_mode:
            report_dir, said, warnings = write_fleet_reports(
                report_dir, (first.get('bases') or {}).get('report_dir'), run_id, everything,
                len(expected), started)
            lines.extend(said)
            if warnings:
                result['warnings'] = warnings
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
