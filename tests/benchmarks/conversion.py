# -*- coding: utf-8 -*-
"""Benchmark 1: user_csv's conversion code vs a bare csv.reader -> csv.writer pass, and the
peak memory of a conversion (in a subprocess) as the file grows.

``python -m tests.benchmarks.conversion --baseline REV`` times a git revision and this checkout
side by side in one run (fresh processes, repetitions interleaved, medians)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from tests.benchmarks import data
from tests.benchmarks.common import REPO, log, median, row, timed


def floor_pass(src, dest):
    """The floor: parse the ``|`` file and write it as CSV, nothing else."""
    with open(src, 'r', encoding='utf-8', newline='') as inp, \
            open(dest, 'w', encoding='utf-8', newline='') as out:
        csv.writer(out, lineterminator='\n').writerows(csv.reader(inp, delimiter='|'))


def plugin_pass(src, dest, validate=True):
    """What the user_csv action plugin runs, without Ansible: encoding detection, PHP parsing,
    mapping, validation with the duplicate index, atomic write of only-changed content."""
    from ansible_collections.xivo.confd.plugins.module_utils.file_output import AtomicOutput
    from ansible_collections.xivo.confd.plugins.module_utils.legacy_csv import (
        convert_source, open_source)
    with open_source(src, 'auto') as source:
        converter, rows = convert_source(source, as_csv=True, validate=validate)
        with AtomicOutput(dest, mode=0o600) as handle:
            writer = csv.writer(handle, lineterminator='\n')
            writer.writerow(converter.columns)
            handle.writelines(rows)
    if converter.invalid_count:
        raise RuntimeError('invalid rows in the generated file: %r' % converter.invalid_rows[:3])
    return converter


def run(workdir, rows, memory_rows, repeat):
    src = os.path.join(workdir, 'legacy-%d.csv' % rows)
    size = data.write_legacy(src, rows, first_exten=100000, incall_offset=rows)
    log('conversion: %d rows (%.1f MB), %d repetition(s)' % (rows, size / 1e6, repeat))
    floor_times, plugin_times = [], []
    for number in range(repeat):
        floor_dest = os.path.join(workdir, 'floor-%d.csv' % number)
        plugin_dest = os.path.join(workdir, 'converted-%d.csv' % number)
        seconds, dummy = timed(floor_pass, src, floor_dest)
        floor_times.append(seconds)
        seconds, converter = timed(plugin_pass, src, plugin_dest)
        plugin_times.append(seconds)
        written = converter.rows
        if written != rows:
            raise RuntimeError('converted %d rows of %d' % (written, rows))
        os.unlink(floor_dest)
        os.unlink(plugin_dest)
    os.unlink(src)

    small, large = memory_rows
    probes = {}
    for count in (small, large):
        for validate in (True, False):
            probes[(count, validate)] = probe_memory(workdir, count, validate)
    index_mb = probes[(large, True)]['peak_mb'] - probes[(large, False)]['peak_mb']
    growth_no_index = probes[(large, False)]['peak_mb'] - probes[(small, False)]['peak_mb']
    growth = probes[(large, True)]['peak_mb'] - probes[(small, True)]['peak_mb']
    per_million = growth / ((large - small) / 1e6)
    keys = probes[(large, True)]['keys'] - probes[(small, True)]['keys']
    per_million_keys = growth / (keys / 1e6) if keys else 0.0
    label = '%s rows' % format(rows, ',')
    table = [
        row('conversion', 'user_csv conversion, %s' % label, median(plugin_times),
            median(floor_times), 'csv.reader -> csv.writer', 2.5),
        row('conversion', 'peak memory, %s rows (with duplicate index)' % format(large, ','),
            probes[(large, True)]['peak_mb'], probes[(small, True)]['peak_mb'],
            '%s rows' % format(small, ','), None, 'MB',
            'growth %.1f MB = %.0f MB per 1M rows = %.0f MB per 1M keys (%.2f keys per row); '
            'the index is %.1f MB of the peak at %s rows' % (
                growth, per_million, per_million_keys, keys / float(large - small), index_mb,
                format(large, ','))),
        row('conversion', 'peak memory, %s rows, validate=false (no index)' % format(large, ','),
            probes[(large, False)]['peak_mb'], probes[(small, False)]['peak_mb'],
            '%s rows' % format(small, ','), None, 'MB',
            'streaming: growth %.1f MB from %s to %s rows' % (
                growth_no_index, format(small, ','), format(large, ','))),
    ]
    details = dict(rows=rows, file_bytes=size, floor_times=floor_times,
                   plugin_times=plugin_times, memory=[
                       dict(probe, rows=count, validate=validate)
                       for (count, validate), probe in sorted(probes.items())],
                   index_mb_per_million_rows=per_million,
                   index_mb_per_million_keys=per_million_keys,
                   streaming_growth_mb=growth_no_index)
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


# ---------------------------------------------------------------- before/after, side by side

# Run in a fresh process from the root of the tree being measured, with that tree as the
# collection: its own floor_pass and plugin_pass, timed like run() does.
_TIMER = r'''
import json, sys, time
from tests.benchmarks.conversion import floor_pass, plugin_pass
src, out = sys.argv[1], sys.argv[2]
def timed(function, *args, **kwargs):
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start
print(json.dumps(dict(floor=timed(floor_pass, src, out + '.floor'),
                      plugin=timed(plugin_pass, src, out + '.plugin'),
                      novalidate=timed(plugin_pass, src, out + '.novalidate', validate=False))))
'''


def _export(revision, workdir):
    """``revision`` of this repository as a collection tree; returns (tree root, its
    ANSIBLE_COLLECTIONS_PATH-style root)."""
    root = os.path.join(workdir, 'baseline')
    tree = os.path.join(root, 'ansible_collections', 'xivo', 'confd')
    os.makedirs(tree)
    archive = subprocess.run(['git', '-C', REPO, 'archive', revision], capture_output=True,
                             check=True).stdout
    subprocess.run(['tar', '-x', '-C', tree], input=archive, check=True)
    return tree, root


def _time_tree(tree, collections, src, out):
    env = dict(os.environ, PYTHONPATH=collections)
    proc = subprocess.run([sys.executable, '-c', _TIMER, src, out], cwd=tree, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def compare(baseline, rows=100000, repeat=3):
    """The conversion ratio of ``baseline`` (a git revision) and of this checkout, measured in
    the same run on the same file, repetitions interleaved; prints a table, returns it."""
    import shutil
    import tempfile
    workdir = tempfile.mkdtemp(prefix='xivo-confd-compare-')
    try:
        src = os.path.join(workdir, 'legacy.csv')
        data.write_legacy(src, rows, first_exten=100000, incall_offset=rows)
        here = os.environ.get('PYTHONPATH', '')
        trees = [('baseline %s' % baseline,) + _export(baseline, workdir),
                 ('this checkout', REPO, here)]
        times = dict((label, []) for label, dummy, dummy2 in trees)
        for number in range(repeat):
            # Alternate the order so that a slow spell of the machine hits both alike.
            for label, tree, collections in (trees if number % 2 == 0 else trees[::-1]):
                times[label].append(_time_tree(tree, collections, src,
                                               os.path.join(workdir, 'out-%d' % number)))
                log('%s, run %d: %s' % (label, number + 1, times[label][-1]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # The floor is the same code in both trees: its runs are pooled into one median, so that a
    # slow spell during one tree's floor does not move that tree's ratio alone.
    floor = median([t['floor'] for label in times for t in times[label]])
    lines = ['| %s rows, median of %d | user_csv | ratio to the floor (%.3f s, median of %d) '
             '| without validation |' % (format(rows, ','), repeat, floor, 2 * repeat),
             '|---|---|---|---|']
    for label, dummy, dummy2 in trees:
        plugin = median([t['plugin'] for t in times[label]])
        novalidate = median([t['novalidate'] for t in times[label]])
        lines.append('| %s | %.3f s | %.2f× | %.2f× |' % (
            label, plugin, plugin / floor, novalidate / floor))
    text = '\n'.join(lines) + '\n'
    sys.stdout.write(text)
    return text


if __name__ == '__main__':
    import argparse
    parser = argparse.ArgumentParser(
        prog='python -m tests.benchmarks.conversion',
        description='The conversion ratio of a git revision and of this checkout, side by side.')
    parser.add_argument('--baseline', required=True, help='a git revision, e.g. main')
    parser.add_argument('--rows', type=int, default=100000)
    parser.add_argument('--repeat', type=int, default=3)
    options = parser.parse_args()
    compare(options.baseline, options.rows, options.repeat)
