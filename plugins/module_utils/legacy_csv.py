# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Conversion of the records of a legacy web-interface user CSV (``|``, XiVO <= 15.19) into
confd 16.x import rows: the header mapped to confd columns, each row normalised the way the
legacy web interface meant it, checked against the confd rules (confd_rules), and reported.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

The file is read by legacy_source (bytes, encoding, line ends) and legacy_records (PHP
``fgetcsv``); :class:`Converter` yields the output rows one by one, so memory holds only the
duplicate-key index and the (capped) lists of reported problems.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import legacy_mapping as lm
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import (
    ERROR, DuplicateIndex, validate_row)
from ansible_collections.xivo.confd.plugins.module_utils.legacy_records import (
    DELIMITER, F_ESCAPE, F_NEWLINE, F_UNTERMINATED, iter_records)
from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import (
    DEFAULT_MAX_REPORTED, LegacyCsvError, open_source)
from ansible_collections.xivo.confd.plugins.module_utils.text import MAX_LISTED, summarize_items

# What the summary says of each kind of row notice.
NOTICE_TEXTS = {
    'newline': 'line break(s) inside a value replaced by %r',
    'short': 'row(s) shorter than the header padded with empty cells',
    'long': 'row(s) longer than the header: the extra cells were cut',
    'escape': 'PHP \\" escape(s) read as a quote',
    'unterminated': 'the file ends inside a quoted value',
    'protocol': 'row(s) will get no line (line_protocol neither sip nor sccp)',
    'mobile': 'mobile phone number(s) stripped of spaces, dots and dashes',
}


class ColumnPlan:
    """What the header of a legacy file says: the confd ``columns`` written (in
    IMPORT_COLUMNS order), where each one's cell is (``cells``: its index in the record, None
    for a column the file lacks), the legacy header of each (``legacy_of``), and what is
    dropped (``dropped``, ``warnings``). Raises LegacyCsvError for a header that cannot be
    converted."""

    def __init__(self, cells, line, column_map, defaults, unknown_columns):
        self.width = len(cells)
        self.legacy_of = {}           # confd column -> legacy header used
        self.dropped = []
        self.warnings = []
        self.inverted = None          # the confd column of an inverted legacy column
        target_of = self._targets(cells, line, column_map, unknown_columns)
        present = set(self.legacy_of)
        # Before 15.15 the voicemail had no context column: it was the line's.
        self.pre1515_context = 'voicemail_number' in present and 'voicemail_context' not in present
        added = {'call_transfer_enabled'}
        for column in defaults:
            if column not in IMPORT_COLUMNS:
                raise LegacyCsvError('defaults names %r, which is not a confd import column' % column)
            added.add(column)
        if self.pre1515_context:
            added.add('voicemail_context')
        if (present | added) & {'voicemail_number', 'voicemail_context'}:
            added.add('voicemail_name')
        self.columns = [c for c in IMPORT_COLUMNS if c in present or c in added]
        if 'firstname' not in self.columns:
            raise LegacyCsvError('the header has no firstname column, which confd requires: %s'
                                 % summarize_items([c.strip() for c in cells]), line)
        self.cells = [target_of.get(c) for c in self.columns]

    def _targets(self, cells, line, column_map, unknown_columns):
        """{confd column: cell index} of the header ``cells``; fills legacy_of and dropped."""
        target_of = {}
        unknown, na, empty = [], [], []
        for position, raw in enumerate(cells):
            name = lm.normalize_header(raw)
            if not name:
                empty.append(position + 1)
                continue
            if name in column_map:
                target = column_map[name]
                if not target:
                    self.dropped.append(name)
                    continue
                if target not in IMPORT_COLUMNS:
                    raise LegacyCsvError('column_map maps %r to %r, which is not a confd import '
                                         'column' % (name, target), line)
            elif name in lm.LEGACY_TO_CONFD:
                target = lm.LEGACY_TO_CONFD[name]
                if target is None:
                    na.append(name)
                    continue
            else:
                unknown.append((position + 1, raw.strip()))
                continue
            if target in self.legacy_of:
                raise LegacyCsvError('columns %r and %r both map to the confd column %r'
                                     % (self.legacy_of[target], name, target), line)
            self.legacy_of[target] = name
            target_of[target] = position
            if name in lm.INVERTED_COLUMNS:
                self.inverted = target
        if unknown:
            self._unknown(cells, line, unknown, unknown_columns)
        if na:
            self.warnings.append('column(s) with no confd equivalent dropped: %s' % ', '.join(na))
            self.dropped.extend(na)
        if empty:
            self.warnings.append('header cell(s) with no name ignored (column %s)'
                                 % ', '.join(str(n) for n in empty))
        return target_of

    def _unknown(self, cells, line, unknown, unknown_columns):
        if len(cells) == 1:
            # One header cell: the file is most likely separated by something else than '|',
            # and every column would be "unknown". Say that first.
            diagnosis = delimiter_diagnosis(cells[0])
            if diagnosis:
                raise LegacyCsvError(diagnosis, line)
        described = describe_unknown(unknown)
        if unknown_columns != 'drop':
            raise LegacyCsvError('unknown legacy header(s): %s. Fix the header, map them with '
                                 'column_map, or set unknown_columns=drop.' % described, line)
        self.warnings.append('unknown column(s) dropped: %s' % described)
        self.dropped.extend(name for dummy, name in unknown)


class ConversionReport:
    """What a conversion tells the operator: counts, and the capped lists of invalid rows and
    of row notices, each with its legacy line, confd column and legacy column."""

    def __init__(self, max_reported=DEFAULT_MAX_REPORTED, newline_replacement=' '):
        self.max_reported = max_reported
        self.newline_replacement = newline_replacement
        self.legacy_of = {}           # confd column -> legacy header
        self.warnings = []            # file-level messages
        self.invalid_rows = []        # {line, column, legacy_column, reason}, capped
        self.invalid_count = 0        # rows left out (or failing)
        self.invalid_lines = []       # the legacy line of every invalid row (not capped)
        self.row_lines = []           # the legacy line of every row written, in order
        self.problem_count = 0        # problems in those rows
        self.row_warnings = []        # non-fatal notices per row, capped
        self.rows = 0                 # rows written
        self.data_rows = 0            # non-blank records after the header
        self.blank_lines = 0
        self._notice_lines = {}       # kind -> (count, first lines)

    def legacy_name(self, column):
        if column is None:
            return None
        return self.legacy_of.get(column)

    def _entry(self, line, column, reason):
        return {'line': line, 'column': column, 'legacy_column': self.legacy_name(column),
                'reason': reason}

    def notice(self, line, column, reason, kind=None):
        """A row notice; ``kind`` also counts it in the summary (NOTICE_TEXTS)."""
        if len(self.row_warnings) < self.max_reported:
            self.row_warnings.append(self._entry(line, column, reason))
        if kind:
            count, lines = self._notice_lines.get(kind, (0, []))
            if len(lines) < 10:
                lines.append(line)
            self._notice_lines[kind] = (count + 1, lines)

    def invalid(self, line, problems):
        """A row left out for its ``problems`` (confd_rules.Problem)."""
        self.invalid_count += 1
        self.invalid_lines.append(line)
        for problem in problems:
            self.problem_count += 1
            if len(self.invalid_rows) < self.max_reported:
                self.invalid_rows.append(self._entry(line, problem.column, problem.reason))

    def summary_warnings(self):
        """File-level warnings plus one line per kind of row notice."""
        messages = list(self.warnings)
        for kind, (count, lines) in sorted(self._notice_lines.items()):
            text = NOTICE_TEXTS.get(kind, kind)
            if kind == 'newline':
                text = text % self.newline_replacement
            more = ', ...' if count > len(lines) else ''
            messages.append('%d %s (line %s%s)' % (count, text,
                                                   ', '.join(str(n) for n in lines), more))
        return messages


class Converter(ConversionReport):
    """Converts one legacy file. Build it, call :meth:`read_header` with the header cells, then
    iterate :meth:`convert` over the records; read the report (:class:`ConversionReport`) at
    the end.

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
        super().__init__(max_reported, newline_replacement)
        self.column_map = dict((lm.normalize_header(k), v) for k, v in (column_map or {}).items())
        self.defaults = dict((k, '' if v is None else _text(v)) for k, v in (defaults or {}).items())
        self.unknown_columns = unknown_columns
        self.validate = validate
        self.columns = []             # output header
        self.dropped_columns = []     # legacy headers not written
        self.header_line = None
        self._index = DuplicateIndex() if validate else None
        self._plan = None

    def read_header(self, cells, line=1):
        """Plan the columns from the header cells (:class:`ColumnPlan`); raises LegacyCsvError."""
        self.header_line = line
        plan = ColumnPlan(cells, line, self.column_map, self.defaults, self.unknown_columns)
        self._plan = plan
        self.columns = plan.columns
        self.legacy_of = plan.legacy_of
        self.dropped_columns = plan.dropped
        self.warnings.extend(plan.warnings)
        return self.columns

    def convert(self, records):
        """Yield one output row (list of str, in ``self.columns`` order) per valid record."""
        plan = self._plan
        width = plan.width
        for line, cells, flags in records:
            if not cells:
                self.blank_lines += 1
                continue
            kept = (cells + [''] * width)[:width]
            if not ''.join(kept).strip():
                self.blank_lines += 1
                continue
            self.data_rows += 1
            if len(cells) != width:
                self._size_notice(line, cells)
            row = dict((column, kept[i].strip() if i is not None else '')
                       for column, i in zip(plan.columns, plan.cells))
            if flags:
                self._flag_notices(line, flags, row)
            self._normalize(line, row)
            if self.validate and not self._valid(line, row):
                continue
            self.rows += 1
            self.row_lines.append(line)
            yield [row[column] for column in plan.columns]

    def _normalize(self, line, row):
        """What the legacy web interface meant, as confd 16.15 reads it, in place."""
        for column, value in self.defaults.items():
            if value and not row[column] and (not column.startswith('voicemail_')
                                              or row.get('voicemail_number')):
                row[column] = value
        if not row['call_transfer_enabled']:
            row['call_transfer_enabled'] = lm.LEGACY_TRANSFER_DEFAULT
        inverted = self._plan.inverted
        if inverted is not None:
            row[inverted] = {'0': '1', '1': '0'}.get(row[inverted], row[inverted])
        if 'line_protocol' in row:
            row['line_protocol'] = row['line_protocol'].lower()
        if row.get('cti_profile_name'):
            row['cti_profile_name'] = lm.map_profile(row['cti_profile_name'])
        mobile = row.get('mobile_phone_number')
        if mobile and (' ' in mobile or '.' in mobile or '-' in mobile):
            row['mobile_phone_number'] = mobile.replace(' ', '').replace('.', '').replace('-', '')
            self.notice(line, 'mobile_phone_number', 'spaces, dots and dashes removed', 'mobile')
        if self._plan.pre1515_context and row['voicemail_number'] and not row['voicemail_context']:
            row['voicemail_context'] = row.get('context', '')
        if 'voicemail_name' in row and (row.get('voicemail_number') or row.get('voicemail_context')):
            if not row['voicemail_name']:
                row['voicemail_name'] = ('%s %s' % (row['firstname'], row.get('lastname', ''))).strip()
            for column, value in lm.VOICEMAIL_BOOLEAN_DEFAULTS:
                if column in row and not row[column]:
                    row[column] = value

    def _valid(self, line, row):
        """Whether the row passes the confd rules and is no duplicate of an earlier row; its
        warnings are notices, its errors make it invalid."""
        problems = validate_row(row)
        errors = [problem for problem in problems if problem.severity == ERROR]
        for problem in problems:
            if problem.severity != ERROR:
                self.notice(line, problem.column, problem.reason,
                            'protocol' if problem.column == 'line_protocol' else None)
        errors.extend(self._index.check(row, line, record=not errors))
        if errors:
            self.invalid(line, errors)
        return not errors

    def _size_notice(self, line, cells):
        """A row shorter or longer than the header."""
        width = self._plan.width
        if len(cells) < width:
            self.notice(line, None, 'row has %d cell(s), the header %d: padded with empty '
                                    'cells' % (len(cells), width), 'short')
            return
        filled = [str(width + i + 1) for i, c in enumerate(cells[width:]) if c.strip()]
        if filled:
            self.notice(line, None, 'row has %d cell(s), the header %d: cut %d extra '
                                    'cell(s), non-empty at position %s'
                        % (len(cells), width, len(cells) - width, ', '.join(filled)), 'long')

    def _flag_notices(self, line, flags, row):
        """Line breaks replaced in ``row``, PHP escapes, an unterminated last quote."""
        replacement = self.newline_replacement
        if flags & F_NEWLINE:
            for column, cell in row.items():
                if '\n' in cell or '\r' in cell:
                    row[column] = cell.replace('\r\n', replacement).replace(
                        '\n', replacement).replace('\r', replacement).strip()
                    self.notice(line, column, 'line break inside the value replaced by %r'
                                % replacement, 'newline')
        if flags & F_ESCAPE:
            self.notice(line, None, 'PHP \\" escape read as a quote', 'escape')
        if flags & F_UNTERMINATED:
            self.notice(line, None, 'the file ends inside a quoted value', 'unterminated')


def describe_unknown(unknown, limit=MAX_LISTED):
    """"'phonenumbre' (column 3, did you mean 'phonenumber'?), ... and 9990 more" for the
    (position, header) pairs of unknown headers: 10,000 columns give one short text, and only
    the headers named are compared with the known ones (difflib is slow)."""
    def render(item):
        number, name = item
        near = lm.closest_header(name)
        return '%r (column %d%s)' % (name, number, ', did you mean %r?' % near if near else '')
    return summarize_items(unknown, limit, render)


def delimiter_diagnosis(header):
    """Why a header read as one cell is one: 'the file is delimited by ';' not '|'', naming
    the columns found that way, or None when no other separator explains it."""
    for separator, name in ((';', "';'"), (',', "','"), ('\t', 'tabs')):
        if separator not in header:
            continue
        names = [part.strip().strip('"').strip() for part in header.split(separator)]
        known = [n for n in names if lm.normalize_header(n) in lm.LEGACY_TO_CONFD
                 or n in IMPORT_COLUMNS]
        text = ("the file is delimited by %s, not '|' (the separator of the legacy web-interface "
                "files): its header is one cell holding %d column names separated by %s%s. Save "
                "it again with '|' as the separator" % (
                    name, len(names), name, ' (%s)' % summarize_items(known) if known else ''))
        if separator == '\t':
            text += (', or as UTF-16 with a BOM (Excel "Unicode text"), which is read with tabs as '
                     'they are')
        if separator == ',' and known and all(n in IMPORT_COLUMNS for n in known):
            text += ('; it looks like a file already in the confd format: give it to '
                     'xivo.confd.user_import (role: xivo_user_migration_csv) without conversion')
        return text + '.'
    return None


def _text(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    return str(value).strip()


def convert_file(path, encoding='auto', **options):
    """Convenience for tests and scripts: (converter, encoding used, list of output rows).
    Holds every row in memory; the action plugin streams instead."""
    with open_source(path, encoding) as source:
        converter, rows = convert_source(source, **options)
        rows = list(rows)
    return converter, source.encoding, rows


def convert_source(source, **options):
    """Read the header of a legacy_source.LegacySource and return (converter, generator of
    output rows); the source's file-level warnings open the converter's."""
    converter = Converter(**options)
    converter.warnings.extend(source.warnings)
    return converter, _start(converter, source.records())


def convert_lines(lines, delimiter=DELIMITER, **options):
    """Read the header from text ``lines`` and return (converter, generator of output rows)."""
    converter = Converter(**options)
    return converter, _start(converter, iter_records(lines, delimiter))


def _start(converter, records):
    """Give the converter the first non-blank record as its header; the rows that follow."""
    for line, cells, flags in records:
        if cells and any(c.strip() for c in cells):
            if flags & F_UNTERMINATED:
                raise LegacyCsvError('the header opens a quote (") that is never closed, so the '
                                     'whole file would be one header cell', line)
            if flags & F_NEWLINE:
                raise LegacyCsvError('the header holds a line break inside quotes', line)
            converter.read_header(cells, line)
            break
        converter.blank_lines += 1
    else:
        raise LegacyCsvError('the file has no header line (it is empty or blank)', 1)
    return converter.convert(records)
