# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The records of a legacy web-interface user CSV, read as PHP ``fgetcsv($h, 0, '|', '"')``
read them (the legacy web interface wrote and read these files with PHP).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

DELIMITER = '|'
ENCLOSURE = '"'
ESCAPE = '\\'

# Flags of a record.
F_NEWLINE = 1        # a quoted cell held a line break
F_ESCAPE = 2         # a PHP \" escape was read
F_UNTERMINATED = 4   # the file ended inside quotes


def _strip_eol(text):
    if text.endswith('\n'):
        text = text[:-1]
    if text.endswith('\r'):
        text = text[:-1]
    return text


def iter_records(lines, delimiter=DELIMITER, first_line=1):
    """Split text lines (each with its line end) into records like PHP ``fgetcsv`` with ``|``
    (or ``delimiter``) and ``"``: a quoted cell may hold ``|``, ``""`` (one quote), line breaks,
    and PHP escapes (``\\"`` is read as a quote; a backslash before another character is kept
    with it); text after a closing quote is appended up to the next ``|``; quotes inside an
    unquoted cell are literal; blanks (space, tab, but not the delimiter) before an opening
    quote are skipped. Yields ``(line, cells, flags)``, ``line`` being the physical line where
    the record starts, counted from ``first_line``; a blank line yields ``cells == []``.
    """
    blanks = ' \t'.replace(delimiter, '')
    lineno = first_line - 1
    source = iter(lines)
    for line in source:
        lineno += 1
        start = lineno
        if ENCLOSURE not in line:
            line = _strip_eol(line)
            if not line:
                yield start, [], 0
            else:
                yield start, line.split(delimiter), (F_NEWLINE if '\r' in line else 0)
            continue
        cells, flags, lineno = _quoted_record(line, source, delimiter, blanks, lineno)
        if len(cells) == 1 and not cells[0]:
            cells = []
        yield start, cells, flags


def _quoted_record(buf, source, delimiter, blanks, lineno):
    """(cells, flags, last physical line) of a record starting with the line ``buf``, which
    holds a quote; a quoted line break takes the next line from ``source``."""
    size = len(buf)
    pos = 0
    cells = []
    flags = F_NEWLINE if '\r' in _strip_eol(buf) else 0
    while True:
        scan = pos
        while scan < size and buf[scan] in blanks:
            scan += 1
        if scan >= size or buf[scan] != ENCLOSURE:
            cut = buf.find(delimiter, pos)
            if cut == -1:
                cells.append(_strip_eol(buf[pos:]))
                return cells, flags, lineno
            cells.append(buf[pos:cut])
            pos = cut + 1
            continue
        pos = scan + 1
        parts = []
        while True:         # inside the quotes
            quote = buf.find(ENCLOSURE, pos)
            escape = buf.find(ESCAPE, pos, quote if quote != -1 else size)
            if escape != -1 and escape + 1 < size:
                if buf[escape + 1] == ENCLOSURE:
                    parts.append(buf[pos:escape])
                    parts.append(ENCLOSURE)
                    flags |= F_ESCAPE
                else:
                    parts.append(buf[pos:escape + 2])
                pos = escape + 2
            elif quote == -1:
                parts.append(buf[pos:])
                more = next(source, None)
                if more is None:        # the file ends inside the quotes
                    parts[-1] = _strip_eol(parts[-1])
                    cells.append(''.join(parts))
                    return cells, flags | F_UNTERMINATED, lineno
                lineno += 1
                flags |= F_NEWLINE
                buf, size, pos = more, len(more), 0
            elif quote + 1 < size and buf[quote + 1] == ENCLOSURE:
                parts.append(buf[pos:quote + 1])
                pos = quote + 2
            else:
                parts.append(buf[pos:quote])
                pos = quote + 1
                break
        cut = buf.find(delimiter, pos)      # text after the closing quote belongs to the cell
        if cut == -1:
            parts.append(_strip_eol(buf[pos:]))
            cells.append(''.join(parts))
            return cells, flags, lineno
        parts.append(buf[pos:cut])
        cells.append(''.join(parts))
        pos = cut + 1
