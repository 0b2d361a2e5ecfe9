# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files a fleet_import run writes: its run directory and id, the files of its servers
(written from their threads), the fleet report; and the small file rules they share."""

from __future__ import annotations

import fcntl
import os
import stat
import threading

from ansible.utils.display import Display

from ansible_collections.xivo.confd.plugins.module_utils import (
    file_output, fleet_summary, output_directory, reports, source_rows, temp_files)

display = Display()


class RunFiles:
    """The files of a run's servers, written from their threads (write_private_file): the
    stale temporary files of each directory are looked for once, with one listing, not at
    every file written there (a report directory holds a file per server); the latest report
    of a server is a second name of this run's (a hard link) where the file system allows.
    Each file is written under the directory the operator configured for it (its ``base``):
    no link is followed below it (output_directory.open_directory)."""

    def __init__(self, shared, inputs=(), bases=()):
        self._shared = shared
        self._inputs = inputs
        self._bases = [b for b in bases if b]

    def _refused(self, path):
        """A file of the run that is one of its inputs is never written (last guard: each
        host's outputs were checked before anything was sent)."""
        same = source_rows.same_file_as_any(path, self._inputs)
        if same:
            display.warning('%s is an input of this run (%s): not written' % (path, same))
        return bool(same)

    def base_of(self, path, bases=()):
        """The configured directory ``path`` lies in (the deepest one), or None."""
        path = os.path.abspath(path)
        found = [b for b in list(bases) + self._bases
                 if b and (path == b or path.startswith(b.rstrip(os.sep) + os.sep))]
        return max(found, key=len) if found else None

    def _swept(self, path, base):
        directory = os.path.dirname(os.path.abspath(path))

        def sweep():
            with output_directory.open_directory(directory, base=base, create=True) as opened:
                return temp_files.remove_stale_temp_files_in(directory, dir_fd=opened.fd)
        self._shared.get(('swept', directory), sweep)

    def write(self, path, data, bases=()):
        if self._refused(path):
            return
        base = self.base_of(path, bases)
        self._swept(path, base)
        file_output.write_private_file(path, data, clean_stale=False, base=base)

    def copy(self, src, dest, link=True, bases=()):
        if self._refused(dest):
            return
        base = self.base_of(dest, bases)
        self._swept(dest, base)
        if not (link and file_output.replace_with_link(src, dest, base=base)):
            data = file_output.read_private_file(src, base=self.base_of(src, bases))
            file_output.write_private_file(dest, data, clean_stale=False, base=base)


class OnceEach:
    """Work done once per key, whichever thread asks first; the others wait for its result."""

    def __init__(self):
        self._lock = threading.Lock()
        self._slots = {}

    def get(self, key, work):
        with self._lock:
            slot = self._slots.setdefault(key, [threading.Lock(), None, False])
        with slot[0]:
            if not slot[2]:
                slot[1], slot[2] = work(), True
        return slot[1]


def private_file(path, base):
    """A file of the run directory opened for reading and writing, mode 0600 (the work
    directory holds the users' secrets; nothing in it is readable by others), never through
    a link, its directory made when missing."""
    with output_directory.open_directory(os.path.dirname(path), base=base, create=True) as directory:
        fd = output_directory.open_file_at(directory.fd, os.path.basename(path), path,
                                           os.O_RDWR | os.O_CREAT)
    return os.fdopen(fd, 'r+')


def is_file(path):
    """Whether ``path`` is a regular file (a link is not one of this run's files)."""
    try:
        return bool(path) and stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def os_error(exc, path):
    if isinstance(exc, output_directory.UnsafePath):
        return str(exc)
    return '%s: %s' % (exc.filename or path, exc.strerror or exc)


def existing(files):
    return dict((k, v) for k, v in public_files(files).items() if os.path.exists(v))


def public_files(files):
    return dict((k, files[k]) for k in ('report', 'to_fix') if files.get(k))


def run_directory(work_dir, base, play_key):
    """(run id, run directory) in ``work_dir``, made without following a link below its
    configured part ``base`` (output_directory.open_directory)."""
    run_id = play_run_id(work_dir, base, play_key)
    run_dir = os.path.join(work_dir, 'runs', run_id)
    output_directory.open_directory(run_dir, base=base, create=True).close()
    return run_id, run_dir


def play_run_id(work_dir, base, play_key):
    """One id for the whole ansible-playbook run of a play (``play_key``), whatever the
    batches: the first batch's, kept in the work directory."""
    path = os.path.join(work_dir, 'runs', 'by-play', play_key)
    with private_file(path, base) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.seek(0)
        run_id = handle.read().strip()
        if not run_id:
            run_id = reports.new_run_id()
            handle.write(run_id)
    return run_id


def write_fleet_reports(report_dir, base, run_id, outcomes, expected, started):
    """Write the fleet report of the run so far (fleet.json, fleet.md) in the batch's
    ``report_dir`` (configured part ``base``); if it cannot be written, in the one where a
    server of the run wrote its own report (a run that sent anything has its fleet report;
    each server's result is given by its own fleet_result anyway). Returns (the directory
    written, or ``report_dir``; lines for the fleet's output; warnings)."""
    lines, warnings = [], []
    candidates = [report_dir] + sorted(set(
        _report_dir_of(o) for o in outcomes if o['files'].get('report')))
    for number, directory in enumerate(candidates):
        if number and directory == report_dir:
            continue
        try:
            _write_fleet_report(directory, run_id, outcomes, expected, started,
                                (base if directory == report_dir else None) or directory)
        except (OSError, ValueError) as exc:
            lines.append('the fleet report could not be written in %s: %s' % (directory, exc))
            warnings.append(lines[-1])
            continue
        if directory != report_dir:
            lines.append('the fleet report was written in %s' % directory)
        return directory, lines, warnings
    return report_dir, lines, warnings


def _write_fleet_report(report_dir, run_id, outcomes, expected, started, base):
    run_reports = os.path.join(report_dir, 'runs', run_id)
    data = fleet_summary.fleet_report(run_id, outcomes, expected, False, started,
                                      reports.utc_now())
    text = reports.report_json(data).encode('utf-8')
    for directory in (run_reports, report_dir):
        file_output.write_private_file(os.path.join(directory, 'fleet.json'), text, base=base)
        file_output.write_private_file(
            os.path.join(directory, 'fleet.md'),
            fleet_summary.fleet_markdown(data, directory).encode('utf-8'), base=base)


def _report_dir_of(outcome):
    """The report directory of a server's run report:
    <report_dir>/runs/<run id>/hosts/<host>.json."""
    path = outcome['files']['report']
    for dummy in range(4):
        path = os.path.dirname(path)
    return path
