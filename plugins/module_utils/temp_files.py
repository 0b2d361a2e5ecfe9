# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The temporary files of the collection's writer: their names, and finding and removing
those a killed writer left behind.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

A temporary file is named ``.BASENAME.TAG-PID.RANDOM.tmp`` (TAG: this controller's host), so
that the next writer of the same ``dest`` can remove one left by a killed process
(:func:`stale_temp_files`): it holds the new content, passwords included. A pid is taken for
gone when no process has it, or when the one that has it started after the file was last
written (process start time from Linux /proc and the boot time).
"""

from __future__ import annotations

import binascii
import errno
import hashlib
import os
import re
import socket
import stat

from ansible_collections.xivo.confd.plugins.module_utils.output_directory import open_directory

TEMP_SUFFIX = '.tmp'


def host_tag():
    """A short, file-name-safe tag of this host: a temp file of another controller sharing the
    directory (NFS) is never taken for a stale one of ours."""
    name = socket.gethostname() or 'localhost'
    tag = _HOST_TAGS.get(name)
    if tag is None:         # hashed once per name: every file written asks for it
        tag = _HOST_TAGS[name] = hashlib.sha256(name.encode('utf-8', 'replace')).hexdigest()[:8]
    return tag


_HOST_TAGS = {}


def _temp_base(dest):
    # Cut so that the temp name stays under the usual 255-byte limit of a file name.
    return os.path.basename(dest)[:200]


def _temp_stem(dest):
    """What every temporary file of ``dest`` made on this host starts with (the pid follows)."""
    return '.%s.%s-' % (_temp_base(dest), host_tag())


def temp_prefix(dest, pid=None):
    """The prefix of the temporary files of ``dest`` made by process ``pid`` on this host."""
    return '%s%d.' % (_temp_stem(dest), os.getpid() if pid is None else pid)


def _temp_pattern(dest=None):
    """The names of the temporary files of ``dest`` made on this host (of any destination
    when ``dest`` is None), the pid as group 1; mkstemp's random part: 8 characters of
    [a-z0-9_]."""
    stem = (re.escape(_temp_stem(dest)) if dest is not None
            else r'\..+\.%s-' % re.escape(host_tag()))
    return re.compile(r'\A%s([0-9]+)\.[a-z0-9_]{8}%s\Z' % (stem, re.escape(TEMP_SUFFIX)))


def _boot_time():
    try:
        with open('/proc/stat') as handle:
            for line in handle:
                if line.startswith('btime '):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def process_start_time(pid):
    """When process ``pid`` started (epoch seconds, Linux /proc), or None when unknown."""
    boot = _boot_time()
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        # Field 22 (starttime, clock ticks after boot); the split drops the first two fields.
        return boot + int(fields[19]) / float(os.sysconf('SC_CLK_TCK')) if boot else None
    except (OSError, ValueError, IndexError):
        return None


def process_gone(pid, since=None):
    """Whether process ``pid`` no longer runs. With ``since`` (when its file was last written),
    a process with that pid that started later is another one: the pid was reused."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            return True
        if exc.errno != errno.EPERM:      # EPERM: it runs, as another user
            return False
    if since is not None:
        started = process_start_time(pid)
        if started is not None and started > since + 1:
            return True
    return False


def stale_temp_files(dest, dir_fd=None):
    """The temporary files of ``dest`` left by a writer of this host that is gone (killed with
    SIGKILL, or the machine stopped), oldest name first. Another writer's file, one still being
    written, or any file of another shape is not listed. ``dir_fd``: the directory of ``dest``,
    opened (:func:`open_directory`)."""
    directory = os.path.dirname(os.path.abspath(dest))
    # A directory holds the files of many destinations (a report per server): a prefix test
    # first, so that the pattern is only built and matched for this destination's temp files.
    return _stale(directory, _temp_stem(dest), lambda: _temp_pattern(dest), dir_fd)


def stale_temp_files_in(directory, dir_fd=None):
    """:func:`stale_temp_files` for every destination in ``directory`` at once: one listing,
    for a writer of many files there (a fleet's reports), instead of one per file."""
    return _stale(os.path.abspath(directory), '.', _temp_pattern, dir_fd)


def _stale(directory, stem, pattern, dir_fd=None):
    """The files of ``directory`` named ``stem``... that ``pattern()`` matches, with the pid of
    a gone writer of this host as its group 1."""
    stale = []
    try:
        if dir_fd is None:
            with open_directory(directory) as opened:
                names = os.listdir(opened.fd)
        else:
            names = os.listdir(dir_fd)
    except OSError:
        return stale
    names = [name for name in names if name.startswith(stem)]
    if not names:
        return stale
    pattern = pattern()
    for name in sorted(names):
        match = pattern.match(name)
        if not match or int(match.group(1)) == os.getpid():
            continue
        path = os.path.join(directory, name)
        try:
            info = os.lstat(name if dir_fd is not None else path, dir_fd=dir_fd)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and process_gone(int(match.group(1)), info.st_mtime):
            stale.append(path)
    return stale


def remove_stale_temp_files(dest, check_mode=False, dir_fd=None):
    """Remove what :func:`stale_temp_files` finds (not in check mode); returns those paths."""
    return _remove(stale_temp_files(dest, dir_fd), check_mode, dir_fd)


def remove_stale_temp_files_in(directory, check_mode=False, dir_fd=None):
    """Remove what :func:`stale_temp_files_in` finds (not in check mode); returns those paths."""
    return _remove(stale_temp_files_in(directory, dir_fd), check_mode, dir_fd)


def _remove(stale, check_mode, dir_fd=None):
    if check_mode or not stale:
        return stale
    opened = None
    if dir_fd is None:
        opened = open_directory(os.path.dirname(stale[0]))
        dir_fd = opened.fd
    try:
        for path in stale:
            try:
                os.unlink(os.path.basename(path), dir_fd=dir_fd)     # a name: never followed
            except OSError as exc:
                if exc.errno != errno.ENOENT:      # removed meanwhile by another run
                    raise
    finally:
        if opened is not None:
            opened.close()
    return stale


def temp_name(dest):
    # Named like mkstemp's files of dest, so that one left by a killed writer is found stale.
    return '%s%s%s' % (temp_prefix(dest), binascii.hexlify(os.urandom(4)).decode('ascii'),
                       TEMP_SUFFIX)
