# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files a fleet_import run writes from its servers' threads, and the small file rules
they share."""

from __future__ import annotations

import os
import stat
import threading

from ansible.utils.display import Display

from ansible_collections.xivo.confd.plugins.module_utils import (
    file_output, output_directory, source_rows, temp_files)

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
