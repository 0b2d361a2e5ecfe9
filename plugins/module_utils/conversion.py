# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A legacy file converted once, and not again while its content and the options stay the
same: the role's conversion cache.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

The converted file is named after the legacy file and a hash of its content, the options and
the converter's version; beside it, a JSON record of the conversion's outcome (encoding,
invalid rows, warnings). A re-run finds both and reads nothing but the legacy file's bytes
(to hash them), instead of converting it again.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.xivo.confd.plugins.module_utils import legacy_csv
from ansible_collections.xivo.confd.plugins.module_utils.file_output import file_digest

# Bump when the conversion of the same bytes with the same options changes.
CONVERTER_VERSION = '2'
KEPT = ('failed', 'msg', 'encoding', 'rows', 'data_rows', 'columns', 'dropped_columns',
        'invalid_rows', 'invalid_count', 'row_warnings', 'conversion_warnings')


def cache_key(src, options):
    digest = hashlib.sha256()
    digest.update((file_digest(src) or '').encode('ascii'))
    digest.update(json.dumps(options, sort_keys=True).encode('utf-8'))
    digest.update(CONVERTER_VERSION.encode('ascii'))
    return digest.hexdigest()


def cached(src, work_dir, options, convert=None):
    """The outcome of converting ``src`` with ``options`` (user_csv's) into ``work_dir``:
    a dict with ``dest``, ``cached`` (True when an earlier conversion was reused) and the
    user_csv result keys; ``failed`` and ``msg`` when the file cannot be converted."""
    convert = convert or convert_to_path
    try:
        key = cache_key(src, options)
    except (IOError, OSError) as exc:
        return dict(src=src, failed=True, msg='%s: %s' % (src, exc), cached=False)
    stem = os.path.splitext(os.path.basename(src))[0] or 'legacy'
    dest = os.path.join(work_dir, '%s-%s.csv' % (stem, key[:16]))
    record = dest + '.json'
    if os.path.exists(dest) and os.path.exists(record):
        try:
            with open(record) as handle:
                outcome = json.load(handle)
            if outcome.get('key') == key and outcome.get('digest') == file_digest(dest):
                return dict(outcome, cached=True)
        except (IOError, OSError, ValueError):
            pass  # a damaged record: convert again
    os.makedirs(work_dir, mode=0o700, exist_ok=True)
    result = convert(src, dest, **options)
    outcome = dict((k, result[k]) for k in KEPT if k in result)
    outcome.update(src=src, dest=dest, key=key, cached=False)
    if not outcome.get('failed'):
        outcome['digest'] = file_digest(dest)
        with open(record, 'w') as handle:
            json.dump(outcome, handle)
        os.chmod(record, 0o600)
    return outcome


class _InvalidRows(Exception):
    """Raised inside the output block so that nothing is written."""


def convert_to_path(src, dest, encoding='auto', unknown_columns='fail', column_map=None,
                    defaults=None, invalid_rows='fail', mode=0o600, newline_replacement=' ',
                    validate=True, max_reported=legacy_csv.DEFAULT_MAX_REPORTED,
                    check_mode=False):
    """Convert the legacy file ``src`` into the confd file ``dest`` (atomically): the result
    keys of xivo.confd.user_csv, ``failed`` and ``msg`` when it cannot be done."""
    import csv
    from ansible_collections.xivo.confd.plugins.module_utils.file_output import AtomicOutput
    out = AtomicOutput(dest, mode=mode, check_mode=check_mode)
    converter = None
    used = None
    try:
        stream, used = legacy_csv.open_text(src, encoding)
        with stream:
            converter, rows = legacy_csv.convert_lines(
                stream, column_map=column_map or {}, defaults=defaults or {},
                unknown_columns=unknown_columns, newline_replacement=newline_replacement,
                validate=validate, max_reported=max_reported)
            with out as handle:
                writer = csv.writer(handle, lineterminator='\n')
                writer.writerow(converter.columns)
                writer.writerows(rows)
                if converter.invalid_count and invalid_rows == 'fail':
                    raise _InvalidRows()
    except legacy_csv.LegacyCsvError as exc:
        where = ' line %d' % exc.line if exc.line else ''
        return dict(failed=True, msg='%s%s: %s' % (src, where, exc), encoding=used)
    except UnicodeDecodeError as exc:
        return dict(failed=True, encoding=used, msg='%s: cannot be decoded as %s (%s)'
                    % (src, used, exc.reason))
    except _InvalidRows:
        pass
    except (IOError, OSError) as exc:
        return dict(failed=True, msg='%s: %s' % (dest, exc))
    result = dict(encoding=used, rows=converter.rows, data_rows=converter.data_rows,
                  columns=list(converter.columns), dropped_columns=converter.dropped_columns,
                  invalid_rows=converter.invalid_rows, invalid_count=converter.invalid_count,
                  row_warnings=converter.row_warnings,
                  conversion_warnings=converter.summary_warnings(), changed=out.changed)
    if converter.invalid_count and invalid_rows == 'fail':
        result.update(failed=True, rows=0, msg='%d of %d rows are invalid, nothing was written '
                      'to %s' % (converter.invalid_count, converter.data_rows, dest))
    return result
