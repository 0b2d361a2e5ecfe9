# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The confd user CSV: the one reader and the one writer of the format the server imports
and exports (UTF-8, ',' separated, a header row, \\n line ends).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
The legacy web-interface files are read by legacy_csv; what they convert into is written here.
"""

from __future__ import annotations

import csv
import difflib
import io

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.platform import NAMES, platform_named
from ansible_collections.xivo.confd.plugins.module_utils.user_identity import KNOWN_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.text import MAX_LISTED, sanitize_message


class CsvFileError(ConfdError):
    """The source file cannot be used at all (encoding, header)."""


class SourceRow:
    """One data row of the source CSV: its position and its cells by column."""

    __slots__ = ('number', 'line', 'values', 'problem', 'problem_column')

    def __init__(self, number, line, values, problem=None, problem_column=None):
        self.number = number      # data row index, 1 = first row after the header
        self.line = line          # physical line of the row's start in the file, 1 = header
        self.values = values
        self.problem = problem
        self.problem_column = problem_column    # a refused row of a legacy source: its column

    def copy(self):
        return SourceRow(self.number, self.line, self.values, self.problem, self.problem_column)


def read(path, data=None):
    """Read a confd-format CSV (UTF-8, BOM tolerated) into (header, [SourceRow]).

    Unknown columns are refused: confd 16.15 silently ignores them, and their data is lost.
    ``data``: the file's bytes, when already read.
    """
    if data is None:
        with open(path, 'rb') as handle:
            data = handle.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b'\n') + 1
        raise CsvFileError('%s: line %d: not UTF-8 (byte 0x%02x at offset %d); convert it '
                           'with xivo.confd.user_csv or save it as UTF-8'
                           % (path, line, data[exc.start], exc.start))
    if '\x00' in text:
        line = text[:text.index('\x00')].count('\n') + 1
        raise CsvFileError('%s: line %d: contains a NUL byte (binary file?)' % (path, line))
    reader = csv.reader(io.StringIO(text, newline=''))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        raise CsvFileError('%s: line 1: %s' % (path, exc))
    check_header(path, header)
    rows = []
    number = 0
    line = reader.line_num + 1
    try:
        for cells in reader:
            start = line
            line = reader.line_num + 1
            if not cells or cells == ['']:
                continue  # blank line: confd skips it too and does not count it
            number += 1
            problem = None
            if len(cells) != len(header):
                problem = ('line %d has %d cells but the header has %d columns'
                           % (start, len(cells), len(header)))
                cells = (cells + [''] * len(header))[:len(header)]
            rows.append(SourceRow(number, start, dict(zip(header, cells)), problem))
    except csv.Error as exc:
        raise CsvFileError('%s: line %d: %s' % (path, line, exc))
    return header, rows


def _file_columns():
    """The columns a confd file may hold: what any platform's import reads or export writes
    (each host's Platform.adapt_rows then drops, and says, those its server does not read)."""
    known = set(KNOWN_COLUMNS)
    for name in NAMES:
        columns = platform_named(name).columns
        known.update(columns.import_, columns.update, columns.export)
    return frozenset(known)


FILE_COLUMNS = _file_columns()


def check_header(path, header):
    """Refuse a header confd would misread: a column twice, an unknown column (named with the
    closest known one), no firstname (confd would create no user)."""
    problems = []
    seen = set()
    unknown = []
    for position, name in enumerate(header, 1):
        if name in seen:
            problems.append('column %d %r appears twice' % (position, name))
        seen.add(name)
        if name not in FILE_COLUMNS:
            unknown.append((position, name))
    for position, name in unknown[:MAX_LISTED]:
        close = difflib.get_close_matches(name.strip().lower(), sorted(FILE_COLUMNS), 1)
        hint = ' (did you mean %r?)' % close[0] if close else ''
        problems.append('column %d %r is not a confd column%s; confd would silently '
                        'ignore it' % (position, name, hint))
    if len(unknown) > MAX_LISTED:
        problems.append('and %d more unknown columns' % (len(unknown) - MAX_LISTED))
    if 'firstname' not in seen and 'uuid' not in seen:
        problems.append('no firstname column: confd would create no user at all')
    if problems:
        raise CsvFileError(sanitize_message('%s: line 1: %s' % (path, '; '.join(problems))))


def writer(stream):
    """The csv writer of the format, on a text stream opened with newline=''."""
    return csv.writer(stream, lineterminator='\n')


def body(columns, rows):
    """The UTF-8 bytes of a confd CSV: the header ``columns``, then each row (a dict) full
    width, an absent cell empty."""
    out = io.StringIO()
    write = writer(out).writerow
    write(columns)
    for values in rows:
        write([values.get(column, '') for column in columns])
    return out.getvalue().encode('utf-8')


def users_body(headers, users):
    """The server's users as a confd CSV, in a stable order (confd 16.15 exports them in no
    particular order), so that a backup of unchanged users is byte-for-byte the same file."""
    def order(user):
        return (user.get('context', ''), user.get('exten', ''), user.get('lastname', ''),
                user.get('firstname', ''), user.get('uuid', ''))
    return body(headers, sorted(users, key=order))
