# -*- coding: utf-8 -*-
"""python -m tests.benchmarks [--size tiny|full] [--repeat N] [--out DIR] [--only NAME...]

Runs the five benchmarks (conversion, one server, fleet, preflight, Wazo), prints the table and writes it as
benchmarks.md and benchmarks.json in DIR. Every ratio is measured / floor, both medians of the
repetitions of the same run (absolute times on a shared machine are noise; ratios are not)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile

from tests.benchmarks import conversion, fleet, import_one, preflight_cost, wazo
from tests.benchmarks.common import REPO, log

# speed: how much faster than a real confd 16.15 the calibrated emulator answers (docs/server-behaviour.md#request-cost: 0.2 s of
# server time per imported row), so that a calibrated run stays under a minute or so.
SIZES = {
    'full': dict(conversion_rows=100000, memory_rows=(100000, 1000000), import_users=10000,
                 large_batch=10000, calibrated_users=3000, calibrated_speed=10,
                 fleet_servers=20, fleet_users=200, fleet_speed=2, large_fleet_servers=200,
                 large_fleet_users=20, large_fleet_speed=0.8, overhead_hosts=200,
                 overhead_users=20, preflight_files=(1, 10, 100, 1000), preflight_server=1000,
                 preflight_orphans=50, repeat=3, calibrated_repeat=1,
                 wazo_servers=20, wazo_users=200, wazo_speed=1, wazo_single_users=600,
                 wazo_single_speed=1),
    'tiny': dict(conversion_rows=1000, memory_rows=(1000, 10000), import_users=200,
                 large_batch=200, calibrated_users=100, calibrated_speed=100,
                 fleet_servers=3, fleet_users=20, fleet_speed=100, large_fleet_servers=6,
                 large_fleet_users=5, large_fleet_speed=100, overhead_hosts=3,
                 overhead_users=5, preflight_files=(1, 10), preflight_server=20,
                 preflight_orphans=3, repeat=1, calibrated_repeat=1,
                 wazo_servers=2, wazo_users=10, wazo_speed=100, wazo_single_users=50,
                 wazo_single_speed=100),
}
BENCHMARKS = ('conversion', 'import', 'fleet', 'preflight', 'wazo')


def machine():
    import ansible
    cpu = ''
    try:
        with open('/proc/cpuinfo') as handle:
            cpu = next((line.split(':', 1)[1].strip() for line in handle
                        if line.startswith('model name')), '')
    except OSError:
        pass
    return dict(platform=platform.platform(), cpu=cpu, cores=os.cpu_count(),
                python=platform.python_version(), ansible_core=ansible.__version__)


def fmt(value, unit='s'):
    if value is None:
        return '-'
    if unit == 'MB':
        return '%.1f MB' % value
    return '%.3f s' % value if abs(value) < 10 else '%.1f s' % value


def markdown(report):
    lines = ['| Benchmark | Measured (median) | Floor (median) | Ratio | Target | Met |',
             '|---|---|---|---|---|---|']
    for r in report['rows']:
        floor = '%s: %s' % (r['floor_name'], fmt(r['floor'], r['unit'])) if r['floor_name'] \
            else '-'
        ratio = '-'
        if r['ratio'] is not None and r['unit'] == 's':
            # A ratio far below 1 (the conversion against the server's time) keeps 2 digits.
            ratio = ('%.2f×' if r['ratio'] >= 0.1 else '%.2g×') % r['ratio']
        target = '≤ %g×' % r['target'] if r['target'] is not None else '-'
        met = '-' if r['met'] is None else ('yes' if r['met'] else '**no**')
        name = r['name'] + (' (%s)' % r['note'] if r['note'] else '')
        lines.append('| %s | %s | %s | %s | %s | %s |' % (
            name, fmt(r['measured'], r['unit']), floor, ratio, target, met))
    m = report['machine']
    lines.append('')
    lines.append('Size `%s`, %d repetition(s), %s; %s, %s core(s), Python %s, ansible-core %s.' % (
        report['size'], report['repeat'], report['date'], m['cpu'] or m['platform'], m['cores'],
        m['python'], m['ansible_core']))
    if report.get('load_average'):
        lines.append('Load average (1 min): %s at the start, %s at the end.' % tuple(
            '%.1f' % value for value in report['load_average']))
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(prog='scripts/benchmark', description=__doc__.split('\n\n')[1])
    parser.add_argument('--size', choices=sorted(SIZES), default='full')
    parser.add_argument('--repeat', type=int, help='repetitions (default: 3 full, 1 tiny)')
    parser.add_argument('--out', default=os.path.join(REPO, 'tests', 'benchmarks', 'results'))
    parser.add_argument('--only', nargs='+', choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument('--keep', action='store_true', help='keep the work directory')
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    repeat = args.repeat or size['repeat']
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='xivo-confd-bench-')
    # The machine is shared: its load when the run starts and ends says what the times are worth.
    report = dict(size=args.size, repeat=repeat, machine=machine(), rows=[], details={},
                  load_average=[os.getloadavg()[0]],
                  date=datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
                  command='scripts/benchmark --size %s --repeat %d' % (args.size, repeat))
    try:
        if 'conversion' in args.only:
            path = os.path.join(workdir, 'conversion')
            os.makedirs(path)
            rows, details = conversion.run(path, size['conversion_rows'], size['memory_rows'],
                                           repeat)
            report['rows'] += rows
            report['details']['conversion'] = details
        if 'import' in args.only:
            path = os.path.join(workdir, 'import')
            os.makedirs(path)
            rows, details = import_one.run(path, size['import_users'], repeat,
                                           size['large_batch'])
            report['rows'] += rows
            report['details']['import'] = details
            rows, details = import_one.run_calibrated(path, size['calibrated_users'],
                                                      size['calibrated_speed'],
                                                      size['calibrated_repeat'])
            report['rows'] += rows
            report['details']['import_calibrated'] = details
        if 'fleet' in args.only:
            path = os.path.join(workdir, 'fleet')
            os.makedirs(path)
            rows, details = fleet.run_calibrated(path, size['fleet_servers'],
                                                 size['fleet_users'], size['fleet_speed'],
                                                 size['calibrated_repeat'])
            report['rows'] += rows
            report['details']['fleet_calibrated'] = details
            # A large fleet at a real server's pace (0.25 s per row): the servers, not the
            # controller, must set the time; no curl loop (it would take servers x users x
            # 0.25 s).
            rows, details = fleet.run_calibrated(path, size['large_fleet_servers'],
                                                 size['large_fleet_users'],
                                                 size['large_fleet_speed'],
                                                 size['calibrated_repeat'], curl=False)
            report['rows'] += rows
            report['details']['fleet_calibrated_large'] = details
            rows, details = fleet.run_overhead(path, size['overhead_hosts'],
                                               size['overhead_users'], repeat)
            report['rows'] += rows
            report['details']['fleet_overhead'] = details
        if 'preflight' in args.only:
            path = os.path.join(workdir, 'preflight')
            os.makedirs(path)
            rows, details = preflight_cost.run(path, size['preflight_files'],
                                               size['preflight_server'],
                                               size['preflight_orphans'])
            report['rows'] += rows
            report['details']['preflight'] = details
        if 'wazo' in args.only:
            path = os.path.join(workdir, 'wazo')
            os.makedirs(path)
            rows, details = wazo.run(path, size['wazo_servers'], size['wazo_users'],
                                     size['wazo_speed'], size['calibrated_repeat'])
            report['rows'] += rows
            report['details']['wazo_fleet'] = details
            rows, details = wazo.run(path, 1, size['wazo_single_users'],
                                     size['wazo_single_speed'], size['calibrated_repeat'],
                                     name='one', address=wazo.SINGLE_ADDRESS)
            report['rows'] += rows
            report['details']['wazo_one'] = details
    finally:
        if args.keep:
            log('work directory kept: %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report['load_average'].append(os.getloadavg()[0])
    text = markdown(report)
    with open(os.path.join(args.out, 'benchmarks.md'), 'w') as handle:
        handle.write(text)
    with open(os.path.join(args.out, 'benchmarks.json'), 'w') as handle:
        json.dump(report, handle, indent=2)
    sys.stdout.write(text)
    log('written: %s' % ', '.join(os.path.join(args.out, n)
                                  for n in ('benchmarks.md', 'benchmarks.json')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
