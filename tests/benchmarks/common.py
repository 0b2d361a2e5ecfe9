# -*- coding: utf-8 -*-
"""Shared pieces of the benchmarks: timing, the emulator in its own process, ansible-playbook."""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time

import requests
import yaml

from tests.processes import descendants

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALLBACKS = os.path.join(REPO, 'tests', 'integration', 'callback_plugins')
# The benchmarks' emulators listen on the default ports (9486/9497) of addresses of their own:
# a block of 127.64-126.x.x drawn per run (the other suites use 127.0.x.x), so that two runs on
# one machine (two checkouts, a benchmark beside the test suite) do not meet on an address.
_BLOCK = (random.SystemRandom().randint(64, 126), random.SystemRandom().randint(0, 250))


def address(last, block=0):
    """An address of this run's block: the ``last`` byte of its ``block``-th /24."""
    return '127.%d.%d.%d' % (_BLOCK[0], _BLOCK[1] + block, last)


SINGLE_ADDRESS = address(2)
FLEET_ADDRESS = address(10)
WS_USER, WS_PASSWORD = 'admin', 'passadmin'


def clock():
    return time.perf_counter()


def timed(function, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def median(values):
    return statistics.median(values) if values else None


def log(message):
    print('  ' + message, file=sys.stderr, flush=True)


class EmulatorProcess:
    """An emulator run as a child process (`proc`) logging to `_log`: stopped by SIGTERM, then
    SIGKILL if it has not ended within 30 s."""

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Emulator(EmulatorProcess):
    """``python -m tests.emulator`` in its own process (so it does not share our GIL), one server
    or a fleet on consecutive addresses of this run's block; stopped by its pid."""

    def __init__(self, workdir, address, fleet=0, seed=None, row_cost=0.0):
        self.workdir = workdir
        self.ca_path = os.path.join(workdir, 'ca-%s.pem' % address)
        self.count = fleet or 1
        command = [sys.executable, '-m', 'tests.emulator', '--address', address,
                   '--ca-out', self.ca_path]
        if fleet:
            command += ['--fleet', str(fleet)]
        if seed:
            command += ['--seed', seed]
        if row_cost:
            # The calibrated speed model of the emulator (docs/server-behaviour.md#request-cost: 0.2 s per row).
            command += ['--row-cost', str(row_cost)]
        self.log_path = os.path.join(workdir, 'emulator-%s.log' % address)
        self._log = open(self.log_path, 'w')
        self.proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True)
        self.addresses = []
        deadline = time.time() + 120
        while len(self.addresses) < self.count:
            line = self.proc.stdout.readline()
            if not line:
                self.stop()
                raise RuntimeError('the emulator stopped: see %s' % self.log_path)
            if line.startswith('listening https://'):
                self.addresses.append(line.split('//')[1].split(':')[0])
            if time.time() > deadline:
                self.stop()
                raise RuntimeError('the emulator did not start in time')
        self.session = requests.Session()

    def speed(self, row_cost):
        for address in self.addresses:
            self.session.post('https://%s:9486/_emulator/speed' % address, verify=self.ca_path,
                              json={'row_cost': row_cost}, timeout=60).raise_for_status()

    def reset(self):
        for address in self.addresses:
            response = self.session.post('https://%s:9486/_emulator/reset' % address,
                                         verify=self.ca_path, timeout=60)
            response.raise_for_status()

    def token(self, address):
        response = self.session.post('https://%s:9497/0.1/token' % address,
                                     json={'backend': 'xivo_service', 'expiration': 36000},
                                     auth=(WS_USER, WS_PASSWORD), verify=self.ca_path, timeout=60)
        response.raise_for_status()
        return response.json()['data']['token']

    def user_count(self, address):
        response = self.session.get('https://%s:9486/_emulator/state' % address,
                                    verify=self.ca_path, timeout=60)
        return len(response.json()['users'])

    def cpu_seconds(self):
        """The CPU time (user + system) the emulator's process has used so far: its servers
        share the controller's cores, where real servers would each have their own."""
        with open('/proc/%d/stat' % self.proc.pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf('SC_CLK_TCK'))


def write_yaml(path, data):
    with open(path, 'w') as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


def local_host_vars():
    return {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}


class PlaybookError(RuntimeError):
    pass


def run_playbook(workdir, playbook, inventory, name, extra_args=(), check=True, meter=None):
    """Run ansible-playbook like an operator (default forks, default output); returns
    (wall seconds, task results by name and host). The recording callback is enabled in every
    run, the floors included, so its cost is on both sides. ``meter``: a dict given the
    controller's CPU seconds and peak memory (ControllerMeter)."""
    env = dict(os.environ)
    results_path = os.path.join(workdir, '%s-results.json' % name)
    env.update(ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'ansible-tmp'),
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED='record_results',
               XIVO_CONFD_RESULTS=results_path)
    seconds_path = os.path.join(workdir, '%s-task-seconds.json' % name)
    env['XIVO_CONFD_TASK_SECONDS'] = seconds_path
    command = ['ansible-playbook', '-i', inventory, playbook] + list(extra_args)
    log_path = os.path.join(workdir, '%s.log' % name)
    start = time.perf_counter()
    with open(log_path, 'w+') as output:
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=output,
                                stderr=subprocess.STDOUT, text=True)
        watch = ControllerMeter(proc.pid)
        returncode, usage = watch.wait(3600)
        seconds = time.perf_counter() - start
        proc.returncode = returncode
        output.seek(0)
        text = output.read()
    if meter is not None:
        meter.update(cpu=usage.ru_utime + usage.ru_stime, peak_mb=watch.peak_mb,
                     wall=seconds, tasks={})
        if os.path.exists(seconds_path):
            with open(seconds_path) as handle:
                meter['tasks'] = json.load(handle)
    if check and returncode != 0:
        raise PlaybookError('%s: ansible-playbook exited %d:\n%s' % (name, returncode,
                                                                     text[-6000:]))
    results = {}
    if os.path.exists(results_path):
        with open(results_path) as handle:
            results = json.load(handle)
    return seconds, results


class ControllerMeter:
    """The resources of a running ansible-playbook (the controller): its peak memory, the sum
    of the proportional set size (PSS: pages shared by the forked workers counted once) of
    the process and its descendants, sampled every ``every`` seconds; its CPU time (user +
    system, the workers it waited for included) from wait4 when it ends."""

    def __init__(self, pid, every=0.25):
        self.pid = pid
        self.every = every
        self.peak_mb = 0.0

    def _sample(self):
        total = 0
        for pid in [self.pid] + descendants(self.pid):
            try:
                with open('/proc/%d/smaps_rollup' % pid) as handle:
                    for line in handle:
                        if line.startswith('Pss:'):
                            total += int(line.split()[1])
                            break
            except OSError:
                continue
        self.peak_mb = max(self.peak_mb, total / 1024.0)

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status), usage
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
            self._sample()
            time.sleep(self.every)


def row(section, name, measured, floor=None, floor_name=None, target=None, unit='s',
        note=''):
    """One line of the results table; ratio = measured / floor (both medians)."""
    # A per-host difference can come out <= 0 at a tiny size (noise): no ratio then.
    ratio = measured / floor if (floor and floor > 0 and measured is not None) else None
    met = None
    if target is not None and ratio is not None:
        met = ratio <= target
    return dict(section=section, name=name, measured=measured, floor=floor,
                floor_name=floor_name, ratio=ratio, target=target, met=met, unit=unit,
                note=note)
