# -*- coding: utf-8 -*-
"""Benchmark 1: what converting a legacy file costs against the server time its import takes,
and the peak memory of a conversion (in a subprocess) as the file grows.

The target: converting a file costs under 1% of the server time of its import. The server time
is the calibrated cost of an imported row times the rows: confd's own CPU per row, measured on
the real servers (XiVO confd 16.15: about 0.2 s, linear in the rows and flat in the users
already there, docs/server-behaviour.md#request-cost; Wazo Platform 26.08: about 0.1 s,
measured the same way); the emulator's speed model (tests/emulator/speed.py) is calibrated on
the same figure. The conversion is timed in the same run, on this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.benchmarks import data
from tests.benchmarks.common import REPO, log, median, row, timed

# Server CPU seconds per imported row (see the docstring), by platform.
ROW_COST = {'XiVO confd 16.15': 0.2, 'Wazo Platform 26.08': 0.1}
TARGET = 0.01           # the conversion under 1% of the import's server time


def plugin_pass(src, dest, validate=True):
    """What the user_csv action plugin runs, without Ansible: encoding detection, PHP parsing,
    mapping, validation with the duplicate index, atomic write of only-changed content."""
    from ansible_collections.xivo.confd.plugins.module_utils import confd_csv
    from ansible_collections.xivo.confd.plugins.module_utils.file_output import AtomicOutput
    from ansible_collections.xivo.confd.plugins.module_utils.legacy_csv import convert_source
    from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import open_source
    with open_source(src, 'auto') as source:
        converter, rows = convert_source(source, validate=validate)
        with AtomicOutput(dest, mode=0o600) as handle:
            writer = confd_csv.writer(handle)
            writer.writerow(converter.columns)
            writer.writerows(rows)
    if converter.invalid_count:
        raise RuntimeError('invalid rows in the generated file: %r' % converter.invalid_rows[:3])
    return converter


def run(workdir, rows, memory_rows, repeat):
    src = os.path.join(workdir, 'legacy-%d.csv' % rows)
    size = data.write_legacy(src, rows, first_exten=100000, incall_offset=rows)
    log('conversion: %d rows (%.1f MB), %d repetition(s)' % (rows, size / 1e6, repeat))
    times = []
    for number in range(repeat):
        dest = os.path.join(workdir, 'converted-%d.csv' % number)
        seconds, converter = timed(plugin_pass, src, dest)
        times.append(seconds)
        if converter.rows != rows:
            raise RuntimeError('converted %d rows of %d' % (converter.rows, rows))
        os.unlink(dest)
    os.unlink(src)
    converted = median(times)
    label = format(rows, ',')
    table = []
    for platform, cost in ROW_COST.items():
        table.append(row('conversion', 'user_csv conversion of %s rows, against the server time '
                         'of their import on %s' % (label, platform), converted, rows * cost,
                         'the import: %s rows × %g s of server CPU' % (label, cost), TARGET,
                         note='%.1f µs per row converted' % (converted / rows * 1e6)))

    small, large = memory_rows
    probes = {}
    for count in (small, large):
        for validate in (True, False):
            probes[(count, validate)] = probe_memory(workdir, count, validate)
    growth = probes[(large, True)]['peak_mb'] - probes[(small, True)]['peak_mb']
    growth_no_index = probes[(large, False)]['peak_mb'] - probes[(small, False)]['peak_mb']
    keys = probes[(large, True)]['keys'] - probes[(small, True)]['keys']
    table += [
        row('conversion', 'peak memory, %s rows (with duplicate index)' % format(large, ','),
            probes[(large, True)]['peak_mb'], probes[(small, True)]['peak_mb'],
            '%s rows' % format(small, ','), None, 'MB',
            'growth %.1f MB = %.0f MB per 1M rows = %.0f MB per 1M keys (%.2f keys per row)' % (
                growth, growth / ((large - small) / 1e6), growth / (keys / 1e6) if keys else 0.0,
                keys / float(large - small))),
        row('conversion', 'peak memory, %s rows, validate=false (no index)' % format(large, ','),
            probes[(large, False)]['peak_mb'], probes[(small, False)]['peak_mb'],
            '%s rows' % format(small, ','), None, 'MB',
            'streaming: growth %.1f MB from %s to %s rows' % (
                growth_no_index, format(small, ','), format(large, ','))),
    ]
    details = dict(rows=rows, file_bytes=size, times=times, row_cost=ROW_COST,
                   memory=[dict(probe, rows=count, validate=validate)
                           for (count, validate), probe in sorted(probes.items())])
    return table, details


def probe_memory(workdir, count, validate):
    src = os.path.join(workdir, 'legacy-mem-%d.csv' % count)
    if not os.path.exists(src):
        data.write_legacy(src, count, first_exten=100000, incall_offset=count)
    dest = os.path.join(workdir, 'converted-mem-%d.csv' % count)
    out = subprocess.run([sys.executable, '-m', 'tests.benchmarks.memory_probe', src, dest,
                          '1' if validate else '0'], cwd=REPO, capture_output=True, text=True,
                         check=True)
    os.unlink(dest)
    result = json.loads(out.stdout)
    log('memory: %d rows, validate=%s: peak +%.1f MB' % (count, validate, result['peak_mb']))
    return result


if __name__ == '__main__':
    import argparse
    import shutil
    import tempfile
    parser = argparse.ArgumentParser(
        prog='python -m tests.benchmarks.conversion',
        description='The conversion time against the server time of the import, in one run.')
    parser.add_argument('--rows', type=int, default=100000)
    parser.add_argument('--repeat', type=int, default=3)
    options = parser.parse_args()
    directory = tempfile.mkdtemp(prefix='xivo-confd-conversion-')
    try:
        for line in run(directory, options.rows, (1000, 10000), options.repeat)[0]:
            print('%s: %.3f s, %.3f s, ratio %s (target %s)' % (
                line['name'], line['measured'], line['floor'], line['ratio'], line['target']))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
