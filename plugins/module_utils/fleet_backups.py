# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The retention of the backups the role writes before each import: every backup recorded,
when written, in its directory's manifest, and only recorded ones pruned.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Used by the fleet's host work (plugin_utils.fleet_host).
"""

from __future__ import annotations

import fcntl
import json
import os
import stat

from ansible_collections.xivo.confd.plugins.module_utils import (
    file_output, output_directory, reports)


# The backups the collection wrote in a backup directory, in the order written: what pruning
# goes by (never file names: a file named as if from the future is nobody's backup). A dot
# name, which no host's file can have (reports.safe_stem drops leading dots).
BACKUP_MANIFEST = '.xivo.confd-backups.json'
BACKUP_MANIFEST_LOCK = '.xivo.confd-backups.lock'


class _Manifest:
    """The backup manifest of a directory, held under its lock (flock: across processes, and
    across threads, each opening its own file description)."""

    def __init__(self, directory, base=None):
        self.directory = os.path.abspath(directory)
        self.base = base

    def __enter__(self):
        self._dir = output_directory.open_directory(self.directory, base=self.base, create=True)
        try:
            self._lock = output_directory.open_file_at(
                self._dir.fd, BACKUP_MANIFEST_LOCK,
                os.path.join(self.directory, BACKUP_MANIFEST_LOCK), os.O_RDWR | os.O_CREAT)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            text = file_output.read_private_file(
                os.path.join(self.directory, BACKUP_MANIFEST), base=self.base)
            try:
                self.entries = json.loads(text.decode('utf-8'))['backups'] if text else []
            except (UnicodeDecodeError, ValueError, KeyError, TypeError):
                self.entries = []   # damaged: prunes nothing (only a recorded file is removed)
        except BaseException:
            self._dir.close()
            raise
        return self

    def save(self):
        file_output.write_private_file(
            os.path.join(self.directory, BACKUP_MANIFEST),
            reports.report_json(dict(backups=self.entries)).encode('utf-8'), base=self.base)

    def __exit__(self, *exc):
        try:
            os.close(self._lock)        # releases the flock
        finally:
            self._dir.close()


def _identity(info):
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns]


def record_backup(path, host, run_id, base=None):
    """Record in its directory's manifest the backup ``path`` of ``host`` this run wrote."""
    directory, name = os.path.split(os.path.abspath(path))
    with _Manifest(directory, base) as manifest:
        info = os.lstat(name, dir_fd=manifest._dir.fd)
        manifest.entries = [e for e in manifest.entries if e.get('file') != name]
        manifest.entries.append(dict(host=host, file=name, run_id=run_id,
                                     identity=_identity(info), written=reports.utc_now()))
        manifest.save()


def prune_backups(directory, host, keep, current=None, base=None):
    """Keep the ``keep`` newest backups of ``host`` that the collection recorded writing
    (0 keeps them all); returns the removed. A file is removed only while it is still the
    recorded one (same file, size and time); the backup ``current`` (this run's) is never
    removed; a file the manifest does not name is never touched, whatever its name. Backups
    hold every secret of a server: they should not pile up unnoticed."""
    if not keep or not os.path.isdir(directory):
        return []
    current = os.path.basename(current) if current else None
    removed = []
    with _Manifest(directory, base) as manifest:
        mine = [e for e in manifest.entries if e.get('host') == host]
        kept = set(id(e) for e in mine[-keep:])
        gone = set()
        for entry in mine:
            if id(entry) in kept or entry.get('file') == current:
                continue
            name = str(entry.get('file', ''))
            info = output_directory.lstat_at(manifest._dir.fd, name) if name and \
                os.sep not in name and name not in ('.', '..') else None
            if info is not None and stat.S_ISREG(info.st_mode) and \
                    _identity(info) == entry.get('identity'):
                os.unlink(name, dir_fd=manifest._dir.fd)
                removed.append(os.path.join(manifest.directory, name))
            gone.add(id(entry))     # removed, or no longer the file recorded: forgotten
        if gone:
            manifest.entries = [e for e in manifest.entries if id(e) not in gone]
            manifest.save()
    return removed
