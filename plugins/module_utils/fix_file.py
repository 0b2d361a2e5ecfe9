# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file an operator fixes: one per host, stable, never rewritten under the operator.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

``<report_dir>/<host>-to-fix.csv`` holds the rows of the host's source that were not imported
(refused by the conversion, by the preflight or by confd, or conflicts), in the source's own
format (a legacy file's records byte for byte after its header), mode 0600: the only file of a
run with row secrets besides the backups. Beside it, ``<host>-to-fix.json`` (no secrets)
records what it was made from: the source, the run, the digest of each original row and of the
bytes written, and, once the fixed file was imported, which server user each fixed row became.

The rules (``place``):

* a run never writes, replaces or removes a file that is one of its inputs (the host's source,
  or any other host's), whatever its name (same device and inode);
* the file is written once per set of rows to fix: a run whose rows to fix are all in it leaves
  it as it is (the operator may be editing it);
* a run with other rows to fix replaces it only when it is byte for byte what a run wrote (no
  edit is lost); an edited file is kept, and the new rows go to ``<host>-to-fix-<run id>.csv``,
  with a warning naming both;
* a run with nothing to fix leaves it (it is the operator's file).

Going back to the full source after the fixed file was imported: each original row whose
fixed row is on the server (``fixed_rows``) is ``unchanged``, with a note naming the fix,
instead of a conflict with its own fix or a second person.
"""

from __future__ import annotations

import json
import os

from ansible_collections.xivo.confd.plugins.module_utils import reports, source_rows
from ansible_collections.xivo.confd.plugins.module_utils.file_output import file_digest

DONE = ('created', 'updated', 'unchanged')


def paths(report_dir, stem, run_id=None):
    """(file to fix, its record) of a host; with ``run_id``, the ones of that run."""
    name = '%s-to-fix' % stem if run_id is None else '%s-to-fix-%s' % (stem, run_id)
    return (reports.inside(report_dir, name + '.csv'), reports.inside(report_dir, name + '.json'))


def read_record(path):
    """The record of a file to fix (a dict), or None when there is none or it is damaged."""
    try:
        with open(path) as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get('rows'), list) else None


def record_of_source(source):
    """The record that says ``source`` is a file to fix (its ``.json`` twin naming it)."""
    stem, _ext = os.path.splitext(source)
    record = read_record(stem + '.json')
    if record and record.get('file') == os.path.realpath(source):
        return stem + '.json', record
    return None, None


def place(report_dir, stem, run_id, fix, source, inputs, write):
    """Write the rows to fix of one run where the rules above say, with ``write(path,
    bytes)``. ``fix``: ImportRun.fix (None when every row was imported). Returns a dict:
    ``path`` (the file to fix, '' when none), ``written`` (bool), ``warning`` (or '')."""
    if not fix:
        return dict(path='', written=False, warning='')
    path, record_path = paths(report_dir, stem)
    if source_rows.same_file_as_any(source, [path]) or record_of_source(source)[1]:
        # The run's source is a file to fix: its rows still to fix are in it, as edited.
        return dict(path=source, written=False, warning='')
    if source_rows.same_file_as_any(path, inputs):
        path, record_path = paths(report_dir, stem, run_id)
        return _write(path, record_path, run_id, fix, source, write,
                      '%s is an input of this run: it is left as it is; the rows to fix of this '
                      'run are in %s' % (paths(report_dir, stem)[0], path))
    new = set(fix['digests'].values())
    if os.path.exists(path):
        record = read_record(record_path)
        old = set(row.get('digest') for row in (record or {}).get('rows', ()))
        edited = record is None or record.get('digest') != file_digest(path)
        if record and new <= old and record.get('source') == os.path.realpath(source):
            return dict(path=path, written=False, warning='')
        if edited:
            kept = path
            path, record_path = paths(report_dir, stem, run_id)
            return _write(path, record_path, run_id, fix, source, write,
                          '%s was edited since a run made it and this run has other rows to fix: '
                          'it is kept as it is; the rows to fix of this run are in %s'
                          % (kept, path))
    return _write(path, record_path, run_id, fix, source, write, '')


def _write(path, record_path, run_id, fix, source, write, warning):
    write(path, fix['content'])
    record = dict(file=os.path.realpath(path), source=os.path.realpath(source), run_id=run_id,
                  legacy=fix['legacy'], digest=source_rows.record_digest(fix['content']),
                  rows=[dict(line=line, digest=fix['digests'][line]) for line in fix['lines']
                        if line in fix['digests']])
    write(record_path, reports.report_json(record).encode('utf-8'))
    return dict(path=path, written=True, warning=warning)


def note_fixed(source, users, run_id, write):
    """After a run whose source is a file to fix: remember which server user each fixed row
    became (by position: the operator fixes cells, and a file whose number of rows changed is
    matched by nothing). Returns how many rows were linked."""
    record_path, record = record_of_source(source)
    if not record:
        return 0
    rows = record['rows']
    users = sorted(users, key=lambda user: user.get('line') or 0)
    if len(users) != len(rows):
        return 0
    linked = 0
    for row, user in zip(rows, users):
        if user.get('status') in DONE and user.get('uuid'):
            row['fixed'] = dict(uuid=user['uuid'], run_id=run_id, key=user.get('key'),
                                line=user.get('line'))
            linked += 1
    if linked:
        write(record_path, reports.report_json(record).encode('utf-8'))
    return linked


def fixed_rows(report_dir, stem, source, legacy, digest_of=None):
    """{line of ``source``: {uuid, note}} for its rows that were fixed in the host's file to
    fix and imported, when the row at that line is still the one sent to be fixed.
    ``digest_of(lines)`` -> {line: digest} of the source's rows (legacy records or confd
    rows)."""
    path, record_path = paths(report_dir, stem)
    record = read_record(record_path)
    if not record or record.get('source') != os.path.realpath(source):
        return {}
    wanted = dict((row['line'], row) for row in record['rows'] if row.get('fixed'))
    if not wanted or digest_of is None:
        return {}
    try:
        current = digest_of(sorted(wanted))
    except (OSError, ValueError):
        return {}
    found = {}
    for line, row in wanted.items():
        if current.get(line) != row.get('digest'):
            continue
        fixed = row['fixed']
        found[line] = dict(uuid=fixed['uuid'], note=(
            'fixed: this row was fixed in %s (line %s) and imported in run %s as %s; the server '
            'keeps the row as fixed' % (path, fixed.get('line'), fixed.get('run_id'),
                                        fixed.get('key') or fixed['uuid'])))
    return found
