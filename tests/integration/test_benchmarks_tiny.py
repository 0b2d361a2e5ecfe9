# -*- coding: utf-8 -*-
"""The benchmark scripts still run: scripts/benchmark at the tiny size writes its table.
No performance assertion: a tiny size on a shared machine measures nothing."""

from __future__ import annotations

import json
import math
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPECTED_SECTIONS = {'conversion': 4, 'one server': 8, 'fleet': 17, 'preflight': 6, 'wazo': 4}


def test_benchmark_tiny_writes_the_table(tmp_path):
    out = tmp_path / 'results'
    proc = subprocess.run([os.path.join(REPO, 'scripts', 'benchmark'), '--size', 'tiny',
                           '--out', str(out)], capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / 'benchmarks.json').read_text())
    table = (out / 'benchmarks.md').read_text()
    assert report['size'] == 'tiny'
    sections = {}
    for row in report['rows']:
        sections[row['section']] = sections.get(row['section'], 0) + 1
        assert row['name'] in table
        for key in ('measured', 'floor'):
            value = row[key]
            assert value is not None and math.isfinite(value), row
            # Per-host costs are differences of two runs: noise may make them negative.
            if 'per extra host' not in row['name'] and 'per extra host' not in (
                    row['floor_name'] or ''):
                assert value >= 0, row
        if row['unit'] == 's' and 'per extra host' not in row['name']:
            assert row['measured'] > 0 and row['floor'] > 0, row
            assert row['ratio'] is not None and row['ratio'] > 0, row
    assert sections == EXPECTED_SECTIONS, sections
    lines = [line for line in table.splitlines() if line.startswith('| ')]
    assert len(lines) == sum(EXPECTED_SECTIONS.values()) + 1  # header + rows
