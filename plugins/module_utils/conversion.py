# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A legacy file converted once, and not again while its content and the options stay the
same: the role's conversion cache.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

The converted file is named after the legacy file and a hash of its content, the options and
the converter's version; beside it, a JSON record of the conversion's outcome (encoding,
invalid rows, warnings). A re-run finds both and reads nothing but the legacy file's bytes
and the converted file's (to hash them), instead of converting it again.

A converted file is used only when it is provably this collection's conversion of this source
with these options: the record holds the digests of the source, of the options and of the
converted file, sealed with a key of the running user (HMAC-SHA256, the key in
``~/.ansible/xivo.confd``, mode 0600). On use the source and the converted file are hashed
again and the seal checked; a record or file planted by someone who can write the work
directory cannot carry a valid seal, so it is converted again, with a warning. Neither is
read or written through a symbolic link (output_directory).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from ansible_collections.xivo.confd.plugins.module_utils import confd_csv, source_rows
from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import RowDiff
from ansible_collections.xivo.confd.plugins.module_utils.file_output import (
    AtomicOutput, file_digest, read_private_file, same_file, write_private_file)
from ansible_collections.xivo.confd.plugins.module_utils.output_directory import (
    DIRECTORY_MODE, UnsafePath, open_directory, open_file_at)
from ansible_collections.xivo.confd.plugins.module_utils.legacy_csv import convert_source
from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import (
    DEFAULT_MAX_REPORTED, LegacyCsvError, byte_at, open_source)
from ansible_collections.xivo.confd.plugins.module_utils.private_state import private_key
from ansible_collections.xivo.confd.plugins.module_utils.text import (
    sanitize_message, summarize_items)

MAX_IN_MESSAGE = 20
MAX_MESSAGE = 8000      # the invalid-rows message lists up to MAX_IN_MESSAGE problems

# Bump when the conversion of the same bytes with the same options changes.
CONVERTER_VERSION = '4'
KEPT = ('failed', 'msg', 'encoding', 'rows', 'data_rows', 'columns', 'dropped_columns',
        'invalid_rows', 'invalid_count', 'row_warnings', 'conversion_warnings', 'row_lines',
        'invalid_lines', 'delimiter')


def options_digest(options):
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode('utf-8')).hexdigest()


def cache_key(src, options, source_digest=None):
    """A hash of the file's bytes, the options and the converter's version. A file that is not
    regular (a pipe) cannot be read twice: it gets a key of its own each time, never reused."""
    digest = hashlib.sha256()
    if source_digest is None and os.path.isfile(src):
        source_digest = file_digest(src) or ''
    if source_digest is not None:
        digest.update(source_digest.encode('ascii'))
    else:
        digest.update(os.urandom(16))
    digest.update(json.dumps(options, sort_keys=True).encode('utf-8'))
    digest.update(CONVERTER_VERSION.encode('ascii'))
    return digest.hexdigest()


def _seal(key, record):
    """The HMAC of what the record proves: which source, which options, which output."""
    sealed = json.dumps(dict((k, record.get(k)) for k in SEALED), sort_keys=True)
    return hmac.new(key, sealed.encode('utf-8'), hashlib.sha256).hexdigest()


SEALED = ('key', 'source_digest', 'options_digest', 'converter', 'digest', 'dest')


def _output_digest(dest, base):
    """The digest of the converted file, read without following a link; None when missing."""
    try:
        with open_directory(os.path.dirname(dest), base=base) as directory:
            fd = open_file_at(directory.fd, os.path.basename(dest), dest)
            with os.fdopen(fd, 'rb') as handle:
                digest = hashlib.sha256()
                for chunk in iter(lambda: handle.read(1024 * 1024), b''):
                    digest.update(chunk)
                return digest.hexdigest()
    except FileNotFoundError:
        return None


def _verified(record_path, dest, key, seal_key, source_digest, options_hash, base):
    """(outcome, why not): the recorded conversion when it is this collection's conversion of
    this source with these options and the converted file is the one it recorded."""
    text = read_private_file(record_path, base=base)
    if text is None:
        return None, None
    try:
        outcome = json.loads(text.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        return None, 'its record is not JSON'
    if not isinstance(outcome, dict):
        return None, 'its record is not a JSON object'
    if seal_key is None:
        return None, 'the key that seals records cannot be had'
    if not hmac.compare_digest(str(outcome.get('seal', '')), _seal(seal_key, outcome)):
        return None, 'its record was not sealed by this collection for this user'
    if (outcome.get('key'), outcome.get('source_digest'), outcome.get('options_digest'),
            outcome.get('converter'), outcome.get('dest')) != (
                key, source_digest, options_hash, CONVERTER_VERSION, dest):
        return None, 'its record is of another source, other options or another converter'
    if _output_digest(dest, base) != outcome.get('digest'):
        return None, 'the converted file is not the one its record describes'
    return outcome, None


def cached(src, work_dir, options, convert=None, should_stop=None, base=None):
    """The outcome of converting ``src`` with ``options`` (user_csv's) into ``work_dir``:
    a dict with ``dest``, ``cached`` (True when an earlier conversion was reused) and the
    user_csv result keys; ``failed`` and ``msg`` when the file cannot be converted;
    ``interrupted`` (and nothing written) when ``should_stop()`` gave a reason to stop.
    ``base``: the part of ``work_dir`` the operator configured (output_directory.open_directory);
    ``cache_warnings``: why a conversion found in the work directory was not used."""
    if convert is None:
        def convert(*args, **kwargs):
            return convert_to_path(*args, should_stop=should_stop, **kwargs)
    base = base or work_dir
    try:
        source_digest = file_digest(src) if os.path.isfile(src) else None
        key = cache_key(src, options, source_digest)
    except OSError as exc:
        return dict(src=src, failed=True, msg='%s: %s' % (src, exc), cached=False)
    options_hash = options_digest(options)
    stem = os.path.splitext(os.path.basename(src))[0] or 'legacy'
    dest = os.path.join(os.path.abspath(work_dir), '%s-%s.csv' % (stem, key[:16]))
    record = dest + '.json'
    warnings = []
    try:
        seal_key = private_key()
    except OSError as exc:
        seal_key = None
        warnings.append('the conversion cache is off: %s' % exc)
    try:
        if source_digest is not None:
            outcome, why_not = _verified(record, dest, key, seal_key, source_digest,
                                         options_hash, base)
            if outcome is not None:
                return dict(outcome, cached=True)
            if why_not and seal_key is not None:
                warnings.append('the conversion found in %s was not used (%s): %s was '
                                'converted again' % (record, why_not, src))
    except OSError as exc:
        return dict(src=src, failed=True, cached=False, msg='the work directory cannot be used: '
                    '%s' % (exc if isinstance(exc, UnsafePath) else '%s: %s' % (
                        exc.filename or record, exc.strerror or exc)))
    result = convert(src, dest, base=base, **options)
    outcome = dict((k, result[k]) for k in KEPT if k in result)
    outcome.update(src=src, dest=dest, key=key, cached=False)
    if result.get('interrupted'):
        outcome['interrupted'] = result['interrupted']
    if not outcome.get('failed') and not outcome.get('interrupted'):
        outcome.update(source_digest=source_digest, options_digest=options_hash,
                       converter=CONVERTER_VERSION, digest=_output_digest(dest, base))
        if seal_key is not None and source_digest is not None:
            outcome['seal'] = _seal(seal_key, outcome)
            write_private_file(record, json.dumps(outcome).encode('utf-8'), base=base)
    if warnings:
        outcome['cache_warnings'] = warnings
    return outcome


class _InvalidRows(Exception):
    """Raised inside the output block so that nothing is written."""


class _Interrupted(Exception):
    """The run was interrupted: raised inside the output block so that nothing is written."""


# Rows of the conversion between two looks at the stop condition (a look is a function call).
STOP_EVERY = 1000


def _stoppable(rows, should_stop):
    """The rows, looking every STOP_EVERY rows whether the run was interrupted."""
    count = 0
    for row in rows:
        count += 1
        if count == STOP_EVERY:
            count = 0
            reason = should_stop()
            if reason:
                raise _Interrupted(reason)
        yield row


def _old_rows(path):
    """The rows of the confd file at ``path`` before the conversion replaces it (diff mode):
    none when there is no such file, or it is not a confd CSV."""
    try:
        return [row.values for row in confd_csv.read(path)[1]]
    except (OSError, confd_csv.CsvFileError):
        return []


def _source_keys(result, source):
    """What the result says of how src was read, once it was scanned."""
    if source is None or source.encoding is None:
        return
    result.update(encoding=source.encoding, delimiter=source.delimiter,
                  line_ends='CR' if source.newline == '\r' else 'LF')
    if source.encoding_lines:
        result['encoding_lines'] = source.encoding_lines


def convert_to_path(src, dest, encoding='auto', unknown_columns='fail', column_map=None,
                    defaults=None, invalid_rows='fail', mode=0o600, backup=False,
                    newline_replacement=' ', validate=True,
                    max_reported=DEFAULT_MAX_REPORTED, check_mode=False, diff=False,
                    should_stop=None, base=None):
    """Convert the legacy file ``src`` into the confd file ``dest`` (atomically, only when it
    changes): what xivo.confd.user_csv does, for it and for the role's conversion cache.
    Returns the result keys of user_csv; ``failed`` and ``msg`` when it cannot be done.
    ``base``: the part of dest's directory the operator configured (output_directory)."""
    result = {}
    skip = invalid_rows == 'skip'
    want_diff = diff
    if same_file(src, dest):
        # Writing dest would replace the legacy file: the rows left out would be lost.
        return dict(failed=True, msg=sanitize_message(
            'src and dest are the same file (%s): the conversion would overwrite the legacy '
            'file; write dest elsewhere' % os.path.realpath(src)))
    differ = None
    if want_diff:
        differ = RowDiff(_old_rows(dest))

    out = AtomicOutput(dest, mode=mode, backup=backup, check_mode=check_mode,
                       create_directory=True, base=base)
    converter = None
    source = None
    try:
        if should_stop is not None and should_stop():
            raise _Interrupted(should_stop())
        with open_source(src, encoding, max_listed=max_reported) as source:
            converter, rows = convert_source(
                source, column_map=column_map or {},
                defaults=defaults or {}, unknown_columns=unknown_columns,
                newline_replacement=newline_replacement,
                validate=validate, max_reported=max_reported)
            columns = converter.columns
            if should_stop is not None:
                if should_stop():
                    raise _Interrupted(should_stop())
                rows = _stoppable(rows, should_stop)
            if differ is not None:
                rows = differ.feed(columns, rows)
            with out as handle:
                writer = confd_csv.writer(handle)
                writer.writerow(columns)
                writer.writerows(rows)
                if converter.invalid_count and not skip:
                    raise _InvalidRows()
    except LegacyCsvError as exc:
        where = ' line %d' % exc.line if exc.line else ''
        result.update(failed=True, msg=sanitize_message('%s%s: %s' % (src, where, str(exc))))
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
    except _Interrupted as exc:
        result.update(failed=True, interrupted=str(exc), msg=sanitize_message(
            'the conversion of %s was stopped: %s; nothing was written to %s' % (src, exc, dest)))
        return result
    except OSError as exc:
        # Reading src and writing dest both raise it; it names its file when it has one.
        result.update(failed=True, msg=sanitize_message('%s: %s' % (
            exc.filename or dest, str(exc.strerror or exc))))
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
        # The legacy line of each row written and of each row refused, as runs of consecutive
        # lines: what the import needs to account for every row in the legacy numbering.
        row_lines=source_rows.line_ranges(converter.row_lines),
        invalid_lines=source_rows.line_ranges(converter.invalid_lines),
        row_warnings=converter.row_warnings,
        conversion_warnings=warnings,
        stale_temp_files=out.stale_temp_files,
        created_directories=out.created_directories,
    )
    # Task warnings only: conversion_warnings stays about the file's content.
    extra = list(out.warnings)     # dest's directory can be written by others
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
