# -*- coding: utf-8 -*-
"""Run in a fresh process: convert SRC to DEST like user_csv and print, as JSON, how much the
process's peak resident memory (Linux VmHWM, reset through /proc/self/clear_refs once the
imports are done) grew during the conversion. ru_maxrss is not used: Linux carries it over
exec from the parent, which hides a child's smaller peak."""

from __future__ import annotations

import json
import sys
import time


def _kib(field):
    with open('/proc/self/status') as handle:
        for line in handle:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError('%s not in /proc/self/status' % field)


def main(src, dest, validate):
    # Import everything first so that only the conversion's own memory is measured.
    from tests.benchmarks.conversion import plugin_pass
    import ansible_collections.xivo.confd.plugins.module_utils.file_output  # noqa: F401
    import ansible_collections.xivo.confd.plugins.module_utils.legacy_csv  # noqa: F401
    with open('/proc/self/clear_refs', 'w') as handle:
        handle.write('5')  # reset the peak to the current resident size
    before = _kib('VmRSS')
    start = time.perf_counter()
    converter = plugin_pass(src, dest, validate=validate)
    seconds = time.perf_counter() - start
    peak = _kib('VmHWM')
    keys = len(converter._index) if converter._index is not None else 0
    print(json.dumps(dict(rows=converter.rows, keys=keys, seconds=seconds, baseline_mb=before / 1024.0,
                          peak_mb=(peak - before) / 1024.0)))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3] == '1')
