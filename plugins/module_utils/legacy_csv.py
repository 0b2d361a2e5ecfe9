# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming conversion of a legacy web-interface user CSV (``|``, XiVO <= 15.19) into
confd 16.x import rows.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

* :func:`detect_encoding` - UTF-8 (with or without BOM), else cp1252, else latin-1, in chunks.
* :func:`iter_records` - PHP ``fgetcsv($h, 0, '|', '"')`` semantics over text lines, yielding
  (physical line of the record's start, cells, flags).
* :class:`Converter` - header plan, per-row normalisation, validation (confd_rules) and the
  report; ``convert()`` yields the output rows one by one, so memory holds only the
  duplicate-key index and the (capped) lists of reported problems.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import codecs
import csv
import io
import operator
import re

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import (
    DuplicateIndex, ERROR, RowValidator,
)
from ansible_collections.xivo.confd.plugins.module_utils import legacy_mapping as lm

CHUNK = 1024 * 1024
DELIMITER = '|'
ENCLOSURE = '"'
ESCAPE = '\\'

# Flags of a record.
F_NEWLINE = 1        # a quoted cell held a line break
F_ESCAPE = 2         # a PHP \" escape was read
F_UNTERMINATED = 4   # the file ended inside quotes

DEFAULT_MAX_REPORTED = 1000


class LegacyCsvError(Exception):
    """The file as a whole cannot be converted (encoding, header). ``line`` when known."""

    def __init__(self, message, line=None):
        super(LegacyCsvError, self).__init__(message)
        self.line = line


# --------------------------------------------------------------------------- encoding

def _decodes(path, encoding, skip=0):
    decoder = codecs.getincrementaldecoder(encoding)('strict')
    with open(path, 'rb') as handle:
        if skip:
            handle.read(skip)
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            decoder.decode(chunk)
    decoder.decode(b'', final=True)


def detect_encoding(path):
    """``utf-8-sig`` (UTF-8 with a BOM), ``utf-8``, ``cp1252`` or ``latin-1``: the first that
    decodes the whole file, read in chunks (memory does not depend on the file size)."""
    with open(path, 'rb') as handle:
        has_bom = handle.read(3) == codecs.BOM_UTF8
    for encoding in (('utf-8-sig',) if has_bom else ('utf-8',)) + ('cp1252',):
        try:
            _decodes(path, encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return 'latin-1'


def canonical_encoding(name):
    """The codec's canonical name (``LATIN1`` -> ``iso8859-1``); LookupError when unknown."""
    return codecs.lookup(name).name


def open_text(path, encoding='auto'):
    """Open ``path`` for :func:`iter_records`: lines split on LF only (a CR stays in the line),
    a leading BOM removed. Returns (text stream, encoding used)."""
    if encoding in (None, '', 'auto'):
        encoding = detect_encoding(path)
    else:
        canonical_encoding(encoding)
        if canonical_encoding(encoding) == 'utf-8':
            with open(path, 'rb') as handle:
                if handle.read(3) == codecs.BOM_UTF8:
                    encoding = 'utf-8-sig'
    stream = io.open(path, 'r', encoding=encoding, errors='strict', newline='\n')
    return stream, encoding


# --------------------------------------------------------------------------- PHP fgetcsv

class _PipeDialect(csv.Dialect):
    """PHP fgetcsv's quoting for a record on one line, where the two agree; strict, so a
    quote that PHP would read differently (an unterminated one) raises csv.Error."""
    delimiter = DELIMITER
    quotechar = ENCLOSURE
    doublequote = True
    skipinitialspace = False
    strict = True
    lineterminator = '\n'
    quoting = csv.QUOTE_MINIMAL


# PHP skips blanks before an opening quote; the csv module would keep them and the quote.
_SPACE_BEFORE_QUOTE = re.compile(r'(?:^|\|)[ \t]+"')


def _strip_eol(text):
    if text.endswith('\n'):
        text = text[:-1]
    if text.endswith('\r'):
        text = text[:-1]
    return text


def iter_records(lines):
    """Split text lines (each with its ``\\n``) into records like PHP ``fgetcsv`` with ``|``
    and ``"``: a quoted cell may hold ``|``, ``""`` (one quote), line breaks, and PHP escapes
    (``\\"`` is read as a quote; a backslash before another character is kept with it);
    text after a closing quote is appended up to the next ``|``; quotes inside an unquoted
    cell are literal. Yields ``(line, cells, flags)``, ``line`` being the 1-based physical line
    where the record starts; a blank line yields ``cells == []``.
    """
    lineno = 0
    source = iter(lines)
    for line in source:
        lineno += 1
        start = lineno
        if ENCLOSURE not in line:
            if line.endswith('\n'):
                line = line[:-1]
            if line.endswith('\r'):
                line = line[:-1]
            if not line:
                yield start, [], 0
            else:
                yield start, line.split(DELIMITER), (F_NEWLINE if '\r' in line else 0)
            continue

        # Most quoted lines are plain CSV quoting on one line: the csv module reads them as
        # PHP does, in C. Anything else takes PHP's state machine below.
        if ESCAPE not in line:
            text = _strip_eol(line)
            if '\r' not in text and not _SPACE_BEFORE_QUOTE.search(text):
                try:
                    cells = next(csv.reader((text,), _PipeDialect), None)
                except csv.Error:
                    cells = None
                if cells is not None:
                    yield start, cells if cells != [''] else [], 0
                    continue

        # Slow path: PHP's state machine, on a line holding a quote.
        buf = line
        size = len(buf)
        pos = 0
        cells = []
        flags = F_NEWLINE if '\r' in _strip_eol(line) else 0
        while True:
            scan = pos
            while scan < size and buf[scan] in ' \t':
                scan += 1
            if scan < size and buf[scan] == ENCLOSURE:
                pos = scan + 1
                parts = []
                ended = False          # the record ended inside this cell (end of file)
                while True:
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
                        continue
                    if quote == -1:
                        parts.append(buf[pos:])
                        more = next(source, None)
                        if more is None:
                            flags |= F_UNTERMINATED
                            parts[-1] = _strip_eol(parts[-1])
                            ended = True
                            break
                        lineno += 1
                        flags |= F_NEWLINE
                        buf = more
                        size = len(buf)
                        pos = 0
                        continue
                    if quote + 1 < size and buf[quote + 1] == ENCLOSURE:
                        parts.append(buf[pos:quote + 1])
                        pos = quote + 2
                        continue
                    parts.append(buf[pos:quote])
                    pos = quote + 1
                    break
                if ended:
                    cells.append(''.join(parts))
                    break
                cut = buf.find(DELIMITER, pos)
                if cut == -1:
                    parts.append(_strip_eol(buf[pos:]))
                    cells.append(''.join(parts))
                    break
                parts.append(buf[pos:cut])
                cells.append(''.join(parts))
                pos = cut + 1
            else:
                cut = buf.find(DELIMITER, pos)
                if cut == -1:
                    cells.append(_strip_eol(buf[pos:]))
                    break
                cells.append(buf[pos:cut])
                pos = cut + 1
        if len(cells) == 1 and not cells[0]:
            cells = []
        yield start, cells, flags


# --------------------------------------------------------------------------- conversion

class Converter(object):
    """Converts one legacy file. Build it, call :meth:`read_header` with the header cells, then
    iterate :meth:`convert` over the records; read the report attributes at the end.

    Options:
      column_map: legacy header -> confd column (extra mappings; '' or None drops the column).
      defaults: confd column -> value for empty or absent cells (voicemail columns only on rows
        that define a voicemail number).
      unknown_columns: 'fail' or 'drop'.
      newline_replacement: what replaces a line break inside a value.
      validate: check each row against the confd 16.15 rules (and duplicates).
      max_reported: how many problems/notices are kept in the lists (counts stay exact).
    """

    def __init__(self, column_map=None, defaults=None, unknown_columns='fail',
                 newline_replacement=' ', validate=True, max_reported=DEFAULT_MAX_REPORTED):
        self.column_map = dict((lm.normalize_header(k), v) for k, v in (column_map or {}).items())
        self.defaults = dict((k, '' if v is None else _text(v)) for k, v in (defaults or {}).items())
        self.unknown_columns = unknown_columns
        self.newline_replacement = newline_replacement
        self.validate = validate
        self.max_reported = max_reported
        # Report
        self.columns = []             # output header
        self.dropped_columns = []     # legacy headers not written
        self.warnings = []            # file-level messages
        self.invalid_rows = []        # {line, column, legacy_column, reason}, capped
        self.invalid_count = 0        # rows left out (or failing)
        self.problem_count = 0        # problems in those rows
        self.row_warnings = []        # non-fatal notices per row, capped
        self.row_warning_count = 0
        self.rows = 0                 # rows written
        self.data_rows = 0            # non-blank records after the header
        self.blank_lines = 0
        self.header_line = None
        self._index = DuplicateIndex() if validate else None
        self._notice_lines = {}       # kind -> (count, first lines)

    # -- header --------------------------------------------------------------------
    def read_header(self, cells, line=1):
        """Build the per-column plan from the header cells; raises LegacyCsvError."""
        self.header_line = line
        width = len(cells)
        self.width = width
        confd_of = []                 # per legacy cell: confd column or None
        legacy_of = {}                # confd column -> legacy header used
        unknown, na, empty, dropped = [], [], [], []
        invert = None
        for position, raw in enumerate(cells):
            name = lm.normalize_header(raw)
            if not name:
                empty.append(position + 1)
                confd_of.append(None)
                continue
            if name in self.column_map:
                target = self.column_map[name]
                if not target:
                    dropped.append(name)
                    confd_of.append(None)
                    continue
                if target not in IMPORT_COLUMNS:
                    raise LegacyCsvError('column_map maps %r to %r, which is not a confd import '
                                         'column' % (name, target), line)
            elif name in lm.LEGACY_TO_CONFD:
                target = lm.LEGACY_TO_CONFD[name]
                if target is None:
                    na.append(name)
                    confd_of.append(None)
                    continue
            else:
                unknown.append((position + 1, raw.strip(), lm.closest_header(name)))
                confd_of.append(None)
                continue
            if target in legacy_of:
                raise LegacyCsvError('columns %r and %r both map to the confd column %r'
                                     % (legacy_of[target], name, target), line)
            legacy_of[target] = name
            if name in lm.INVERTED_COLUMNS:
                invert = target
            confd_of.append(target)
        if unknown:
            described = '; '.join(
                '%r (column %d)%s' % (name, number, ', did you mean %r?' % near if near else '')
                for number, name, near in unknown)
            if self.unknown_columns != 'drop':
                raise LegacyCsvError('unknown legacy header(s): %s. Fix the header, map them with '
                                     'column_map, or set unknown_columns=drop.%s'
                                     % (described, _delimiter_hint(cells)), line)
            self.warnings.append('unknown column(s) dropped: %s' % described)
            dropped.extend(name for dummy, name, dummy2 in unknown)
        if na:
            self.warnings.append('column(s) with no confd equivalent dropped: %s' % ', '.join(na))
            dropped.extend(na)
        if empty:
            self.warnings.append('header cell(s) with no name ignored (column %s)'
                                 % ', '.join(str(n) for n in empty))
        self.dropped_columns = dropped

        present = set(legacy_of)
        added = set()
        pre1515_context = 'voicemail_number' in present and 'voicemail_context' not in present
        for column in self.defaults:
            if column not in IMPORT_COLUMNS:
                raise LegacyCsvError('defaults names %r, which is not a confd import column' % column)
            added.add(column)
        added.add('call_transfer_enabled')
        if pre1515_context:
            added.add('voicemail_context')
        if 'voicemail_number' in present or 'voicemail_context' in present or added & {
                'voicemail_number', 'voicemail_context'}:
            added.add('voicemail_name')
        columns = [c for c in IMPORT_COLUMNS if c in present or c in added]
        if 'firstname' not in columns:
            raise LegacyCsvError('the header has no firstname column, which confd requires: %s'
                                 % '|'.join(c.strip() for c in cells), line)
        self.columns = columns
        self.legacy_of = legacy_of
        pos = dict((c, i) for i, c in enumerate(columns))
        self._pos = pos
        # source cell index of each output column; width (an extra '' cell) for added ones
        cell_of = dict((target, i) for i, target in enumerate(confd_of) if target)
        self._take = [cell_of.get(c, width) for c in columns]
        self._invert = pos[invert] if invert else None
        self._protocol = pos.get('line_protocol')
        self._profile = pos.get('cti_profile_name')
        self._mobile = pos.get('mobile_phone_number')
        self._xfer = pos['call_transfer_enabled']
        vm_number = pos.get('voicemail_number')
        self._vm_number = vm_number
        self._vm_context = pos.get('voicemail_context')
        self._context = pos.get('context')
        self._pre1515_context = pre1515_context
        self._vm_name = pos.get('voicemail_name')
        self._firstname = pos['firstname']
        self._lastname = pos.get('lastname')
        self._vm_booleans = [(pos[c], v) for c, v in lm.VOICEMAIL_BOOLEAN_DEFAULTS if c in pos]
        self._defaults_all = [(pos[c], v) for c, v in self.defaults.items()
                              if v and not c.startswith('voicemail_')]
        self._defaults_vm = [(pos[c], v) for c, v in self.defaults.items()
                             if v and c.startswith('voicemail_')]
        return columns

    def legacy_name(self, column):
        if column is None:
            return None
        return self.legacy_of.get(column)

    # -- report helpers -----------------------------------------------------------------
    def _notice(self, line, column, reason, kind=None):
        self.row_warning_count += 1
        if len(self.row_warnings) < self.max_reported:
            self.row_warnings.append({'line': line, 'column': column,
                                      'legacy_column': self.legacy_name(column), 'reason': reason})
        if kind:
            count, lines = self._notice_lines.get(kind, (0, []))
            if len(lines) < 10:
                lines.append(line)
            self._notice_lines[kind] = (count + 1, lines)

    def _invalid(self, line, problems):
        self.invalid_count += 1
        for problem in problems:
            self.problem_count += 1
            if len(self.invalid_rows) < self.max_reported:
                self.invalid_rows.append({'line': line, 'column': problem.column,
                                          'legacy_column': self.legacy_name(problem.column),
                                          'reason': problem.reason})

    def summary_warnings(self):
        """File-level warnings plus one line per kind of row notice."""
        messages = list(self.warnings)
        texts = {
            'newline': 'line break(s) inside a value replaced by %r' % self.newline_replacement,
            'short': 'row(s) shorter than the header padded with empty cells',
            'long': 'row(s) longer than the header: the extra cells were cut',
            'escape': 'PHP \\" escape(s) read as a quote',
            'unterminated': 'the file ends inside a quoted value',
            'protocol': 'row(s) will get no line (line_protocol neither sip nor sccp)',
            'mobile': 'mobile phone number(s) stripped of spaces, dots and dashes',
        }
        for kind, (count, lines) in sorted(self._notice_lines.items()):
            more = ', ...' if count > len(lines) else ''
            messages.append('%d %s (line %s%s)' % (count, texts.get(kind, kind),
                                                   ', '.join(str(n) for n in lines), more))
        return messages

    # -- rows ------------------------------------------------------------------------------
    def convert(self, records):
        """Yield one output row (list of str, in ``self.columns`` order) per valid record."""
        width = self.width
        take = self._take
        columns = self.columns
        invert = self._invert
        protocol = self._protocol
        profile = self._profile
        mobile = self._mobile
        xfer = self._xfer
        vm_number = self._vm_number
        vm_context = self._vm_context
        vm_name = self._vm_name
        context = self._context
        pre1515 = self._pre1515_context
        firstname = self._firstname
        lastname = self._lastname
        vm_booleans = self._vm_booleans
        defaults_all = self._defaults_all
        defaults_vm = self._defaults_vm
        replacement = self.newline_replacement
        validate = self.validate
        if validate:
            validate_values = RowValidator(columns)
            check_duplicates = self._index.bind(columns)
        inverse = {'0': '1', '1': '0'}
        map_profile = lm.map_profile

        if len(take) == 1:
            only = take[0]

            def pick(cells):
                return (cells[only],)
        else:
            pick = operator.itemgetter(*take)
        strip = str.strip

        for line, cells, flags in records:
            count = len(cells)
            if count != width:
                if count == 0:
                    self.blank_lines += 1
                    continue
                if count < width:
                    cells.extend([''] * (width - count))
                    extra = None
                else:
                    extra = cells[width:]
                    del cells[width:]
            else:
                extra = False
            if not ''.join(cells).strip():
                self.blank_lines += 1
                continue
            self.data_rows += 1
            if extra is not False:
                if extra is None:
                    self._notice(line, None, 'row has %d cell(s), the header %d: padded with empty '
                                             'cells' % (count, width), 'short')
                else:
                    filled = [str(width + i + 1) for i, c in enumerate(extra) if c.strip()]
                    if filled:
                        self._notice(line, None, 'row has %d cell(s), the header %d: cut %d extra '
                                                 'cell(s), non-empty at position %s'
                                     % (count, width, len(extra), ', '.join(filled)), 'long')
            cells.append('')
            values = list(map(strip, pick(cells)))
            if flags:
                if flags & F_NEWLINE:
                    for i, cell in enumerate(values):
                        if '\n' in cell or '\r' in cell:
                            values[i] = cell.replace('\r\n', replacement).replace(
                                '\n', replacement).replace('\r', replacement).strip()
                            self._notice(line, columns[i], 'line break inside the value replaced '
                                                           'by %r' % replacement, 'newline')
                if flags & F_ESCAPE:
                    self._notice(line, None, 'PHP \\" escape read as a quote', 'escape')
                if flags & F_UNTERMINATED:
                    self._notice(line, None, 'the file ends inside a quoted value', 'unterminated')

            for pos, value in defaults_all:
                if not values[pos]:
                    values[pos] = value
            if defaults_vm and vm_number is not None and values[vm_number]:
                for pos, value in defaults_vm:
                    if not values[pos]:
                        values[pos] = value
            if not values[xfer]:
                values[xfer] = lm.LEGACY_TRANSFER_DEFAULT
            if invert is not None:
                value = values[invert]
                values[invert] = inverse.get(value, value)
            if protocol is not None:
                values[protocol] = values[protocol].lower()
            if profile is not None and values[profile]:
                values[profile] = map_profile(values[profile])
            if mobile is not None:
                value = values[mobile]
                if value and (' ' in value or '.' in value or '-' in value):
                    values[mobile] = value.replace(' ', '').replace('.', '').replace('-', '')
                    self._notice(line, 'mobile_phone_number', 'spaces, dots and dashes removed',
                                 'mobile')
            if pre1515 and values[vm_number] and not values[vm_context]:
                values[vm_context] = values[context] if context is not None else ''
            if vm_name is not None and (
                    (vm_number is not None and values[vm_number])
                    or (vm_context is not None and values[vm_context])):
                if not values[vm_name]:
                    values[vm_name] = ('%s %s' % (values[firstname], values[lastname]
                                                  if lastname is not None else '')).strip()
                for pos, value in vm_booleans:
                    if not values[pos]:
                        values[pos] = value

            if validate:
                problems = validate_values(values)
                if problems:
                    errors = [p for p in problems if p.severity == ERROR]
                    errors.extend(check_duplicates(values, line, not errors))
                else:
                    errors = check_duplicates(values, line)
                    if not errors:
                        self.rows += 1
                        yield values
                        continue
                if len(errors) != len(problems):
                    for problem in problems:
                        if problem.severity != ERROR:
                            self._notice(line, problem.column, problem.reason,
                                         'protocol' if problem.column == 'line_protocol' else None)
                if errors:
                    self._invalid(line, errors)
                    continue
            self.rows += 1
            yield values


def _delimiter_hint(cells):
    """Why a whole header may be unknown: the file is not '|'-separated."""
    if len(cells) != 1:
        return ''
    for separator, what in ((',', 'a comma'), (';', 'a semicolon'), ('\t', 'a tab')):
        if separator in cells[0]:
            hint = (' The header is one cell holding %s: legacy web-interface files are '
                    "separated by '|'." % what)
            if separator == ',':
                hint += (' A file already in the confd format goes to xivo.confd.user_import '
                         '(role: xivo_user_migration_csv) without conversion.')
            return hint
    return ''


def _text(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    return str(value).strip()


def convert_file(path, encoding='auto', **options):
    """Convenience for tests and scripts: (converter, encoding used, list of output rows).
    Holds every row in memory; the action plugin streams instead."""
    stream, used = open_text(path, encoding)
    with stream:
        converter, rows = convert_lines(stream, **options)
        rows = list(rows)
    return converter, used, rows


def convert_lines(lines, **options):
    """Read the header from ``lines`` and return (converter, generator of output rows)."""
    converter = Converter(**options)
    records = iter_records(lines)
    for line, cells, _flags in records:
        if cells and any(c.strip() for c in cells):
            if _flags & F_NEWLINE:
                raise LegacyCsvError('the header holds a line break inside quotes', line)
            converter.read_header(cells, line)
            break
        converter.blank_lines += 1
    else:
        raise LegacyCsvError('the file has no header line (it is empty or blank)', 1)
    return converter, converter.convert(records)
