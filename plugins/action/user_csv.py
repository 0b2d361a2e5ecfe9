# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of xivo.confd.user_csv: converts a legacy user CSV on the controller."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import csv
import io
import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import RowDiff
from ansible_collections.xivo.confd.plugins.module_utils.file_output import (
    DIRECTORY_MODE, AtomicOutput, parse_mode, same_file,
)
from ansible_collections.xivo.confd.plugins.module_utils.legacy_csv import (
    LegacyCsvError, byte_at, canonical_encoding, convert_source, open_source,
)
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message, summarize_items

ARGUMENT_SPEC = dict(
    src=dict(type='path', required=True),
    dest=dict(type='path', required=True),
    encoding=dict(type='str', default='auto'),
    unknown_columns=dict(type='str', default='fail', choices=['fail', 'drop']),
    column_map=dict(type='dict', default={}),
    defaults=dict(type='dict', default={}),
    invalid_rows=dict(type='str', default='fail', choices=['fail', 'skip']),
    mode=dict(type='raw', default='0600'),
    backup=dict(type='bool', default=False),
    newline_replacement=dict(type='str', default=' '),
    validate=dict(type='bool', default=True),
    max_reported=dict(type='int', default=1000),
)

MAX_IN_MESSAGE = 20
MAX_MESSAGE = 8000      # the invalid-rows message lists up to MAX_IN_MESSAGE problems


def _source_keys(result, source):
    """What the result says of how src was read, once it was scanned."""
    if source is None or source.encoding is None:
        return
    result.update(encoding=source.encoding, delimiter=source.delimiter,
                  line_ends='CR' if source.newline == '\r' else 'LF')
    if source.encoding_lines:
        result['encoding_lines'] = source.encoding_lines


class _InvalidRows(Exception):
    """Raised inside the output block so that nothing is written."""


def _read_old_rows(path):
    with io.open(path, 'r', encoding='utf-8', errors='replace', newline='') as handle:
        yield from csv.DictReader(handle)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        try:
            src = self._find_needle('files', args['src'])
        except AnsibleError as exc:
            result.update(failed=True, msg='src: %s' % to_text(exc.message))
            return result
        dest = os.path.expanduser(args['dest'])
        if not os.path.isabs(dest):
            dest = self._loader.path_dwim(dest)
        try:
            mode = parse_mode(args['mode'])
            if args['encoding'] not in ('auto', ''):
                canonical_encoding(args['encoding'])
        except (ValueError, LookupError) as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        for column in ('column_map', 'defaults'):
            for key, value in args[column].items():
                if isinstance(value, (dict, list)):
                    result.update(failed=True, msg='%s: the value of %r must be a string' % (column, key))
                    return result

        check_mode = bool(self._task.check_mode)
        want_diff = bool(self._task.diff)
        skip = args['invalid_rows'] == 'skip'
        result.update(src=src, dest=dest, changed=False)
        if same_file(src, dest):
            # Writing dest would replace the legacy file: the rows left out would be lost.
            result.update(failed=True, msg=sanitize_message(
                'src and dest are the same file (%s): the conversion would overwrite the legacy '
                'file; write dest elsewhere' % os.path.realpath(src)))
            return result

        differ = None
        if want_diff:
            old = _read_old_rows(dest) if os.path.isfile(dest) else ()
            differ = RowDiff(old)

        out = AtomicOutput(dest, mode=mode, backup=args['backup'], check_mode=check_mode,
                           create_directory=True)
        converter = None
        source = None
        try:
            with open_source(src, args['encoding'], max_listed=args['max_reported']) as source:
                converter, rows = convert_source(
                    source, column_map=args['column_map'], defaults=args['defaults'],
                    unknown_columns=args['unknown_columns'],
                    newline_replacement=args['newline_replacement'],
                    validate=args['validate'], max_reported=args['max_reported'])
                columns = converter.columns
                with out as handle:
                    writer = csv.writer(handle, lineterminator='\n')
                    writer.writerow(columns)
                    if differ is None:
                        writer.writerows(rows)
                    else:
                        for values in rows:
                            writer.writerow(values)
                            differ.add(dict(zip(columns, values)))
                    if converter.invalid_count and not skip:
                        raise _InvalidRows()
        except LegacyCsvError as exc:
            where = ' line %d' % exc.line if exc.line else ''
            result.update(failed=True, msg=sanitize_message('%s%s: %s' % (src, where, to_text(exc))))
            _source_keys(result, source)
            return result
        except UnicodeDecodeError as exc:
            # The scan decoded the whole file: it changed since.
            _source_keys(result, source)
            result.update(failed=True, msg=sanitize_message(
                '%s: cannot be decoded as %s (byte 0x%02x, %s)%s; use encoding=auto or name the '
                'right codec' % (src, source.encoding, byte_at(exc.object, exc.start), exc.reason,
                                 ' after line %d' % (converter.header_line + converter.data_rows
                                                     + converter.blank_lines)
                                 if converter else '')))
            return result
        except _InvalidRows:
            pass
        except (IOError, OSError) as exc:
            # Reading src and writing dest both raise it; it names its file when it has one.
            result.update(failed=True, msg=sanitize_message('%s: %s' % (
                exc.filename or dest, to_text(exc.strerror or exc))))
            _source_keys(result, source)
            return result

        warnings = converter.summary_warnings()
        _source_keys(result, source)
        result.update(
            rows=converter.rows,
            data_rows=converter.data_rows,
            columns=list(converter.columns),
            dropped_columns=converter.dropped_columns,
            invalid_rows=converter.invalid_rows,
            invalid_count=converter.invalid_count,
            row_warnings=converter.row_warnings,
            conversion_warnings=warnings,
            stale_temp_files=out.stale_temp_files,
            created_directories=out.created_directories,
        )
        # Task warnings only: conversion_warnings stays about the file's content.
        extra = []
        if out.stale_temp_files:
            extra.append('%s %d temporary file(s) left beside dest by a conversion that was '
                         'killed (they hold passwords): %s' % (
                             'would remove' if check_mode else 'removed',
                             len(out.stale_temp_files), summarize_items(out.stale_temp_files)))
        if out.created_directories and check_mode:
            extra.append('the directory of dest does not exist: it would be created (mode %04o): %s'
                         % (DIRECTORY_MODE, summarize_items(out.created_directories)))
        if converter.invalid_count and not skip:
            shown = converter.invalid_rows[:MAX_IN_MESSAGE]
            lines = ['%s line %s, column %s%s: %s' % (
                src, p['line'], p['column'] or '-',
                ' (legacy %s)' % p['legacy_column'] if p['legacy_column'] else '', p['reason'])
                for p in shown]
            more = converter.problem_count - len(shown)
            result.update(
                failed=True, rows=0,
                msg=sanitize_message(
                    '%d of %d rows are invalid, nothing was written to %s (set invalid_rows=skip '
                    'to write the valid rows):\n%s%s' % (
                        converter.invalid_count, converter.data_rows, dest, '\n'.join(lines),
                        '\n... and %d more problem(s), see invalid_rows' % more if more > 0 else ''),
                    limit=MAX_MESSAGE))
            if warnings or extra:
                result['warnings'] = [sanitize_message(w) for w in warnings + extra]
            return result
        if converter.invalid_count:
            warnings.append('%d of %d rows left out of %s because they are invalid (see invalid_rows)'
                            % (converter.invalid_count, converter.data_rows, dest))
        if warnings or extra:
            result['warnings'] = [sanitize_message(w) for w in warnings + extra]
        result['changed'] = out.changed
        if out.backup_file:
            result['backup_file'] = out.backup_file
        if differ is not None:
            summary = differ.summary()
            before, after = differ.texts()
            head = '# %d added, %d removed, %d changed, %d unchanged\n' % (
                summary['added'], summary['removed'], summary['changed'], summary['unchanged'])
            if out.mode_changed:
                head += '# mode set to %04o\n' % mode
            result['diff_summary'] = summary
            result['diff'] = dict(before_header='%s (before)' % dest, after_header='%s (after)' % dest,
                                  before=before, after=head + after)
        return result
