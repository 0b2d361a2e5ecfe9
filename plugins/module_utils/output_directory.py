# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Output directories and files opened without following a link swapped in by someone else.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Links and shared directories: every directory is walked from ``/`` with a descriptor per
level (:func:`open_directory`) and every file is made, compared, replaced or removed through
the descriptor of its directory, so that a link swapped in between a check and a write is never
followed. The part of a path the operator configured may hold a symbolic link they (or root)
made; a link there owned by another user is refused, and so is any link in a directory the
collection makes itself (the components below the configured ``base``) or at a file name it
writes: nothing is followed, written, truncated or chmod'ed there. A directory written into
that group or others can write to is named in a warning (the files stay 0600).
"""

from __future__ import annotations

import errno
import os
import stat

try:
    O_NOFOLLOW = os.O_NOFOLLOW
    O_DIRECTORY = os.O_DIRECTORY
except AttributeError:      # pragma: no cover - every POSIX controller Ansible runs on has them
    O_NOFOLLOW = O_DIRECTORY = 0
O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)

DIRECTORY_MODE = 0o700


class UnsafePath(OSError):
    """An output path the collection refuses: a link it must not follow, something that is not
    a directory, a directory it cannot write to. ``str()`` names the path and the reason."""

    def __init__(self, code, reason, path):
        OSError.__init__(self, code, reason, path)

    def __str__(self):
        return '%s: %s' % (self.filename, self.strerror)


def _trusted_owners():
    return (os.geteuid(), 0)


def _kind(mode):
    for test, name in ((stat.S_ISREG, 'a regular file'), (stat.S_ISDIR, 'a directory'),
                       (stat.S_ISLNK, 'a symbolic link'), (stat.S_ISFIFO, 'a named pipe'),
                       (stat.S_ISSOCK, 'a socket')):
        if test(mode):
            return name
    return 'a device or special file'


def _components(path):
    return [part for part in path.split(os.sep) if part]


def writable_by_others(mode):
    """Whether a directory's mode lets group or others add, remove or replace its files."""
    return bool(mode & (stat.S_IWGRP | stat.S_IWOTH))


def shared_directory_warning(path):
    return ('%s can be written by group or others: the files written there are mode 0600, but '
            'other users can remove or replace them; make it 0700 (or 0750)' % path)


class OutputDirectory:
    """A directory opened by :func:`open_directory`: ``fd`` (None in check mode when it does
    not exist yet), ``path``, ``created`` (made, or in check mode to be made, outermost first)
    and ``warnings``. A context manager closing ``fd``."""

    def __init__(self, path, fd, created, warnings):
        self.path, self.fd, self.created, self.warnings = path, fd, created, warnings

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_directory(path, base=None, create=False, check_mode=False, mode=DIRECTORY_MODE):
    """Open ``path`` as a directory to write in, one level at a time from ``/`` with a
    descriptor per level, so that no link swapped in meanwhile is followed.

    ``base`` (default: ``path`` itself) is what the operator configured: a symbolic link in it
    is followed only when it belongs to the running user or root. The levels below ``base`` and
    every level this call creates are the collection's: a link there is refused. With
    ``create``, missing levels are made with ``mode`` whatever the umask (in check mode only
    listed). Raises :class:`UnsafePath` naming the level and the reason, before anything is
    written. Returns an :class:`OutputDirectory`; its warnings name a directory that group or
    others can write to."""
    path = os.path.abspath(os.path.expanduser(path))
    base = os.path.abspath(os.path.expanduser(base)) if base else path
    if path != base and not path.startswith(base.rstrip(os.sep) + os.sep):
        base = path
    configured = len(_components(base))
    names = _components(path)
    fd = os.open(os.sep, os.O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    here = os.sep
    created = []
    try:
        for level, name in enumerate(names):
            here = os.path.join(here, name)
            ours = level >= configured or bool(created)
            try:
                info = os.lstat(name, dir_fd=fd)
            except FileNotFoundError:
                info = None
            made = False
            if info is None:
                if not create:
                    raise UnsafePath(errno.ENOENT, 'does not exist', here)
                if check_mode:
                    os.close(fd)
                    fd = None
                    rest = names[level:]
                    created.extend(os.path.join(os.path.dirname(here), *rest[:i + 1])
                                   for i in range(len(rest)))
                    return OutputDirectory(path, None, created, [])
                try:
                    os.mkdir(name, mode, dir_fd=fd)
                    made = True
                except FileExistsError:
                    pass            # made meanwhile by someone else: opened without following
            elif stat.S_ISLNK(info.st_mode):
                if ours:
                    raise UnsafePath(errno.ELOOP, 'is a symbolic link where the collection makes '
                                     'a directory of its own: not followed (someone else made '
                                     'it?); remove it', here)
                if info.st_uid not in _trusted_owners():
                    raise UnsafePath(errno.ELOOP, 'is a symbolic link owned by uid %d, neither '
                                     'you nor root: not followed' % info.st_uid, here)
            elif not stat.S_ISDIR(info.st_mode):
                raise UnsafePath(errno.ENOTDIR, 'is not a directory but %s' % _kind(info.st_mode),
                                 here)
            follow = info is not None and stat.S_ISLNK(info.st_mode)
            try:
                nextfd = os.open(name, os.O_RDONLY | O_DIRECTORY | O_CLOEXEC
                                 | (0 if follow else O_NOFOLLOW), dir_fd=fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise UnsafePath(errno.ELOOP, 'is a symbolic link (appeared meanwhile): not '
                                     'followed', here)
                if exc.errno == errno.ENOTDIR:
                    raise UnsafePath(errno.ENOTDIR, 'is not a directory', here)
                raise UnsafePath(exc.errno, exc.strerror, here)
            os.close(fd)
            fd = nextfd
            if made:
                os.fchmod(fd, mode)
                created.append(here)
        info = os.fstat(fd)
        if not os.access('.', os.W_OK | os.X_OK, dir_fd=fd):
            raise UnsafePath(errno.EACCES, 'is a directory you cannot write to', path)
        warnings = []
        if writable_by_others(info.st_mode):
            warnings.append(shared_directory_warning(path))
        return OutputDirectory(path, fd, created, warnings)
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise


def check_output_directory(path, base=None, check_mode=False):
    """Whether files can be written in ``path`` (made when missing, but not in check mode):
    (error or None, warnings). Called for every output location before anything is sent."""
    try:
        with open_directory(path, base=base, create=True, check_mode=check_mode) as directory:
            return None, directory.warnings
    except OSError as exc:
        return str(exc) if isinstance(exc, UnsafePath) else '%s: %s' % (
            exc.filename or path, exc.strerror or exc), []


def open_file_at(directory_fd, name, path, flags=os.O_RDONLY, mode=0o600):
    """Open the file ``name`` of an opened directory without following a link there."""
    try:
        return os.open(name, flags | O_NOFOLLOW | O_CLOEXEC, mode, dir_fd=directory_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(errno.ELOOP, 'is a symbolic link: not followed', path)
        raise


def lstat_at(directory_fd, name):
    """The lstat of ``name`` in an opened directory, or None when there is none."""
    try:
        return os.lstat(name, dir_fd=directory_fd)
    except FileNotFoundError:
        return None


def check_output_file(info, path):
    """Refuse to write over anything but a regular file (a link is never followed nor
    replaced: it may point at a file of the user's that is not an output)."""
    if info is None or stat.S_ISREG(info.st_mode):
        return
    if stat.S_ISDIR(info.st_mode):
        raise OSError('dest is a directory: %s' % path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(errno.ELOOP, 'is a symbolic link: the collection does not write through '
                         'a link (remove it, or name the file it points to)', path)
    raise UnsafePath(errno.EINVAL, 'is %s, not a regular file' % _kind(info.st_mode), path)


def existing_parent(path, base):
    """The opened directory of ``path`` (open_directory's rules), or None when it does not
    exist: there is then nothing to read or remove."""
    try:
        return open_directory(os.path.dirname(os.path.abspath(path)), base=base)
    except UnsafePath as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def remove_file(path, base=None):
    """Remove the output file ``path`` (not a link's target, not a directory); False when
    there was none."""
    directory = existing_parent(path, base)
    if directory is None:
        return False
    with directory:
        name = os.path.basename(path)
        info = lstat_at(directory.fd, name)
        if info is None:
            return False
        if stat.S_ISDIR(info.st_mode):
            raise OSError('%s: is a directory' % path)
        os.unlink(name, dir_fd=directory.fd)
        return True
