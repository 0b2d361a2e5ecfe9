# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every row of a source accounted for, in the numbering of the file the operator knows.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

A legacy file reaches the import as its conversion (a confd file): the conversion records the
legacy line of each row it wrote and of each row it refused (compactly, as runs of consecutive
lines). With that, the import reports every row of the legacy file - the refused ones as
``invalid`` - under the legacy file's line numbers, and the rows to fix are cut from the legacy
file itself, byte for byte (its encoding, delimiter and quoting), so that the operator edits
the format they know and the result is a legacy file the role takes again.
"""

from __future__ import annotations

import hashlib
import os

from ansible_collections.xivo.confd.plugins.module_utils import legacy_source


def line_ranges(lines):
    """[[first, count], ...] for increasing line numbers, one pair per run of consecutive
    lines (a clean file is one pair, whatever its size)."""
    ranges = []
    for line in lines:
        if ranges and ranges[-1][0] + ranges[-1][1] == line:
            ranges[-1][1] += 1
        else:
            ranges.append([line, 1])
    return ranges


def expand_ranges(ranges):
    """The line numbers of :func:`line_ranges`' pairs."""
    lines = []
    for first, count in ranges or ():
        lines.extend(range(first, first + count))
    return lines


def invalid_reasons(conversion):
    """{legacy line: (first column, reason text)} of the rows a conversion refused: every
    problem of a row the conversion listed (it lists up to max_reported problems), a general
    reason for the rows past that limit."""
    problems = {}
    for problem in conversion.get('invalid_rows') or ():
        column = problem.get('column')
        legacy = problem.get('legacy_column')
        where = ''
        if column:
            where = '%s%s: ' % (column, ' (legacy column %s)' % legacy
                                if legacy and legacy != column else '')
        problems.setdefault(problem.get('line'), []).append((column, where + str(problem.get(
            'reason', ''))))
    found = {}
    for line in expand_ranges(conversion.get('invalid_lines')):
        listed = problems.get(line)
        if listed:
            found[line] = (listed[0][0], 'invalid: ' + '; '.join(text for _c, text in listed))
        else:
            found[line] = (None, 'invalid: the conversion refused this row (its problems are past '
                                 'the max_reported listed)')
    return found


class LegacyRecords:
    """The bytes of a legacy file's records, found by the physical line where each starts:
    ``prefix`` (BOM, then the header record, blank lines before it included) and
    ``record(line)``. A record ends where the next one starts (a quoted line break keeps a
    record on several lines). Its line ends are the file's own; the bytes are the file's own
    (UTF-16/32 text is encoded again with its codec, which gives the same bytes)."""

    def __init__(self, path, encoding='auto'):
        with legacy_source.open_source(path, encoding) as source:
            starts = [line for line, _cells, _flags in source.records()]
            header = next((line for line, cells, _flags in source.records()
                           if cells and any(c.strip() for c in cells)), None)
            if header is None:
                raise ValueError('%s has no header line' % path)
            lines = self._lines(source)
        self.bom = self._bom
        self._lines_of = lines
        ends = {}
        for position, start in enumerate(starts):
            ends[start] = starts[position + 1] if position + 1 < len(starts) else len(lines) + 1
        self._ends = ends
        self.header_line = header
        self.prefix = self.bom + self._join(1, ends[header])

    def _lines(self, source):
        if source.data is not None:
            data = source.data
        else:
            with open(source.path, 'rb') as handle:
                data = handle.read()
        self._bom = data[:source.skip]
        self._codec = None
        if source.codec in legacy_source.WIDE_CODECS:
            codec = source.codec
            if codec in ('utf-16', 'utf-32'):
                # The codec reads the BOM itself: the lines are written in the order it found
                # (a BOM per line otherwise), after that BOM.
                bom, skip = legacy_source.bom_of(data)
                codec = bom if bom and bom.startswith(codec) else codec + '-le'
                self._bom = data[:skip]
            self._codec = codec
            with source.open() as text:
                return [line.encode(codec) for line in text]
        separator = source.newline.encode('ascii')
        return list(legacy_source.split_chunks([data[source.skip:]], separator))

    def _join(self, first, end):
        return b''.join(self._lines_of[first - 1:end - 1])

    def record(self, line):
        """The bytes of the record that starts at ``line``, or None when none starts there."""
        if line not in self._ends or line == self.header_line:
            return None
        return self._join(line, self._ends[line])

    def _text(self, data):
        return data.decode(self._codec) if self._codec else data.decode('latin-1')

    def _bytes(self, text):
        return text.encode(self._codec) if self._codec else text.encode('latin-1')

    def newline(self):
        """The line end of the file, as bytes of its encoding (from its first line)."""
        first = self._text(self._lines_of[0]) if self._lines_of else '\n'
        for end in ('\r\n', '\n', '\r'):
            if first.endswith(end):
                return self._bytes(end)
        return self._bytes('\n')

    def ends_a_line(self, data):
        """Whether ``data`` (bytes of the file) ends with a line end."""
        return self._text(data).endswith(('\n', '\r'))


def record_digest(data):
    """What identifies a row of a source without holding its secrets."""
    return hashlib.sha256(data).hexdigest()


def legacy_subset(path, lines, encoding='auto'):
    """(bytes of a legacy file made of the header of ``path`` and its records starting at
    ``lines``, in that order; {line: digest of the original record}). Each record is the
    file's own bytes; one whose file ended without a line end gets the file's."""
    records = LegacyRecords(path, encoding)
    newline = records.newline()
    pieces = [records.prefix if records.ends_a_line(records.prefix[len(records.bom):])
              else records.prefix + newline]
    digests = {}
    for line in lines:
        data = records.record(line)
        if data is None:
            continue
        digests[line] = record_digest(data)
        if not records.ends_a_line(data):
            data += newline
        pieces.append(data)
    return b''.join(pieces), digests


def same_file_as_any(path, inputs):
    """The input that ``path`` is (the same file, by device and inode, whatever the names and
    links), or None. A path that does not exist is no input."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    for candidate in inputs:
        if not candidate:
            continue
        try:
            other = os.stat(candidate)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (other.st_dev, other.st_ino):
            return candidate
    return None
