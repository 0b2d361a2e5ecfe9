# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files a run leaves for people: their names, and what they must warn about.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import uuid

# A cell a spreadsheet runs as a formula when the file is opened (CSV injection, as the OWASP
# guidance lists them): one that starts with '=', '@', a tab or a carriage return, or with '+' or
# '-' followed by anything but a number. '+33 1 23 45 67 89', '-5' or '+1 (555) 123-4567' are
# numbers a spreadsheet shows (or computes into a number): they run nothing and are not flagged.
FORMULA_STARTS = ('=', '@', '\t', '\r')
SIGNS = ('+', '-')
_NUMBER_AFTER_SIGN = re.compile(r'[+-][0-9 ().,/-]*\Z')
_UNSAFE = re.compile(r'[^A-Za-z0-9._-]')


def report_json(data, default=None):
    """The text of a JSON report: one top-level key per line and each item of a list (a user,
    a batch, a server) on a line of its own, keys sorted. (Each line is written by json's C
    encoder: with ``indent`` json takes its pure-Python one, several times slower.)"""
    dumps = json.JSONEncoder(sort_keys=True, default=default).encode
    lines = ['{']
    keys = sorted(data)
    for number, key in enumerate(keys):
        value = data[key]
        comma = ',' if number < len(keys) - 1 else ''
        if isinstance(value, (list, tuple)) and value:
            last = len(value) - 1
            lines.append('  %s: [' % dumps(key))
            lines.extend('    %s%s' % (dumps(item), ',' if i < last else '')
                         for i, item in enumerate(value))
            lines.append('  ]' + comma)
        else:
            lines.append('  %s: %s%s' % (dumps(key), dumps(value), comma))
    lines.append('}')
    return '\n'.join(lines) + '\n'


def safe_stem(name):
    """A file name made from an inventory host name that cannot leave its directory.

    Anything but letters, digits, '.', '_' and '-' becomes '_', a leading dot is dropped
    ('../../x' -> 'x'-like), and a short hash of the original keeps two names that differ only
    by such characters apart ('a/b' and 'a_b').
    """
    text = str(name)
    safe = _UNSAFE.sub('_', text).lstrip('.') or '_'
    if safe != text:
        safe = '%s-%s' % (safe[:80], hashlib.sha256(text.encode('utf-8')).hexdigest()[:8])
    return safe[:120]


def inside(directory, file_name):
    """The path of ``file_name`` in ``directory``; raises ValueError if it would leave it or
    is a symbolic link. Worked out from the names alone: a link in ``directory`` is not resolved
    here (resolving it would turn a planted link into a plain path); the writer
    (output_directory.open_directory) decides which links it follows."""
    base = os.path.abspath(directory)
    path = os.path.normpath(os.path.join(base, file_name))
    if os.path.dirname(path) != base or os.path.basename(path) in ('', '.', '..') or \
            os.path.islink(path):
        raise ValueError('%r would be written outside %s' % (file_name, base))
    return path


def new_run_id(now=None):
    """A run id that sorts by time, to the millisecond (two runs within a second must not sort
    by chance: the newest backups are kept by name): 20261201T211000.123Z-1a2b3c."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return '%s.%03dZ-%s' % (now.strftime('%Y%m%dT%H%M%S'), now.microsecond // 1000,
                            uuid.uuid4().hex[:6])


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def formula_cells(rows, columns):
    """[(line, column)] of the cells a spreadsheet would run as formulas."""
    found = []
    for line, values in rows:
        for column in columns:
            value = values.get(column) or ''
            if runs_as_formula(value):
                found.append((line, column))
    return found


def runs_as_formula(value):
    """Whether a spreadsheet opening the CSV would run ``value`` as a formula."""
    if not value:
        return False
    if value.startswith(FORMULA_STARTS):
        return True
    return value.startswith(SIGNS) and not _NUMBER_AFTER_SIGN.match(value)
