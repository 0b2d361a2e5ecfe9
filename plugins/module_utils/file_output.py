# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write controller-side files the way Ansible file modules do: atomically, with a mode,
an optional backup, and ``changed`` only when the content (or the mode) differs.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Every file the collection writes goes through one writer, :class:`AtomicOutput`, which holds
the rules on links and permissions below: whole contents through :func:`write_private_file`
(reports, rows to fix, backups, records, the fleet's reports), a stream through the class
itself (a conversion's output). Typical streaming use (nothing held in memory)::

    out = AtomicOutput('/srv/users.csv', mode=0o600, backup=True, check_mode=False)
    with out as stream:          # a text stream (UTF-8, newline='') on a temp file in dest's dir
        csv.writer(stream, lineterminator='\\n').writerows(rows)
    out.changed, out.backup_file, out.dest

In check mode the stream only hashes what is written: nothing touches the disk.

The temporary file is named ``.BASENAME.TAG-PID.RANDOM.tmp`` (TAG: this controller's host), so
that the next writer of the same ``dest`` can remove one left by a killed process
(``temp_files.stale_temp_files``): it holds the new content, passwords included.

Links and shared directories: every directory and file is opened by the rules of
``output_directory`` (no link swapped in is followed); the temporary files' names and the
removal of those a killed writer left: ``temp_files``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time

from ansible_collections.xivo.confd.plugins.module_utils.output_directory import (
    UnsafePath, check_output_file, existing_parent, lstat_at, open_directory, open_file_at)
from ansible_collections.xivo.confd.plugins.module_utils.temp_files import (
    remove_stale_temp_files, temp_name)

CHUNK = 1024 * 1024


def parse_mode(mode, default=0o600):
    """An octal mode from an int (0o600, or 384) or a string ('0600', '600', '0o600')."""
    if mode is None or mode == '':
        return default
    if isinstance(mode, int):
        return mode
    text = str(mode).strip().lower()
    if text.startswith('0o'):
        text = text[2:]
    try:
        value = int(text, 8)
    except ValueError:
        raise ValueError('mode must be an octal number such as 0600, got %r' % (mode,))
    if value < 0 or value > 0o7777:
        raise ValueError('mode must be between 0000 and 7777, got %r' % (mode,))
    return value


def file_digest(path, algorithm='sha256'):
    """The hex digest of a file's bytes, read in chunks; None when the file does not exist."""
    digest = hashlib.new(algorithm)
    try:
        with open(path, 'rb') as handle:
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
    except OSError as exc:
        if not os.path.exists(path):
            return None
        raise exc
    return digest.hexdigest()


def same_file(first, second):
    """Whether two paths name the same existing file (through links, ``..`` or another
    spelling); False when either does not exist."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def replace_with_link(src, dest, base=None):
    """Make ``dest`` a second name of the file ``src`` (a hard link, put in place atomically):
    a copy without reading or writing the content. False when the file system cannot link
    (then copy); ``src`` is left as it is either way. ``base``: as for :func:`open_directory`;
    a link at ``src`` or ``dest`` is refused."""
    with open_directory(os.path.dirname(os.path.abspath(src)), base=base) as source, \
            open_directory(os.path.dirname(os.path.abspath(dest)), base=base,
                           create=True) as directory:
        name = os.path.basename(dest)
        check_output_file(lstat_at(directory.fd, name), dest)
        check_output_file(lstat_at(source.fd, os.path.basename(src)), src)
        temp = temp_name(dest)
        try:
            os.link(os.path.basename(src), temp, src_dir_fd=source.fd, dst_dir_fd=directory.fd,
                    follow_symlinks=False)
        except OSError:
            return False
        try:
            os.replace(temp, name, src_dir_fd=directory.fd, dst_dir_fd=directory.fd)
        except OSError:
            os.unlink(temp, dir_fd=directory.fd)
            raise
    return True


class _HashingWriter:
    """What a check-mode write gets instead of a file: it keeps only the digest and size of
    the bytes (text is encoded with ``encoding``; None: bytes are written)."""

    def __init__(self, encoding='utf-8', algorithm='sha256'):
        self._encoding = encoding
        self._digest = hashlib.new(algorithm)
        self.size = 0

    def write(self, text):
        data = text.encode(self._encoding) if self._encoding else text
        self._digest.update(data)
        self.size += len(data)
        return len(text)

    def writelines(self, texts):
        for text in texts:
            self.write(text)

    def hexdigest(self):
        return self._digest.hexdigest()

    def same_as(self, old):
        """Whether the bytes written are those of ``old`` (an open file; None: none)."""
        return old is not None and _digest_of(old) == self.hexdigest()

    def flush(self):
        pass

    def close(self):
        pass

    def discard(self):
        pass


class _TempFile:
    """Where the new content is written: a temporary file in ``dest``'s directory (open as
    ``directory_fd``), with its final mode from the start; compared with the current file,
    then put in place or removed. ``stream``: the text (``encoding`` None: binary) stream."""

    def __init__(self, directory_fd, dest, mode, encoding, newline):
        self._directory_fd = directory_fd
        self.name = temp_name(dest)
        fd = open_file_at(directory_fd, self.name, os.path.join(os.path.dirname(dest), self.name),
                          os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self.stream = None
        try:
            os.fchmod(fd, mode)
            self.stream = os.fdopen(fd, 'w+b') if encoding is None else \
                os.fdopen(fd, 'w+', encoding=encoding, newline=newline)
        except BaseException:
            os.close(fd)
            self.discard()
            raise

    def same_as(self, old):
        """Whether the bytes written (flushed and synced first) are those of ``old`` (an open
        file; None: none)."""
        self.stream.flush()
        os.fsync(self.stream.fileno())
        return old is not None and _same_bytes(self.stream.fileno(), old)

    def close(self):
        self.stream.close()

    def put_in_place(self, name):
        """The temporary file replaces ``name`` in its directory."""
        self.stream.close()
        os.replace(self.name, name, src_dir_fd=self._directory_fd, dst_dir_fd=self._directory_fd)
        self.name = None

    def discard(self):
        """Close and remove the temporary file, quietly (it may be gone)."""
        if self.stream is not None:
            try:
                self.stream.close()
            except Exception:  # pylint: disable=broad-except
                pass
        if self.name:
            try:
                os.unlink(self.name, dir_fd=self._directory_fd)
            except OSError:
                pass
            self.name = None


def _same_bytes(fd, other):
    """Whether two open files hold the same bytes (read from their start)."""
    if os.fstat(fd).st_size != os.fstat(other).st_size:
        return False
    os.lseek(fd, 0, os.SEEK_SET)
    os.lseek(other, 0, os.SEEK_SET)
    while True:
        chunk = os.read(fd, CHUNK)
        if chunk != os.read(other, CHUNK):
            return False
        if not chunk:
            return True


def _digest_of(fd, algorithm='sha256'):
    digest = hashlib.new(algorithm)
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            return digest.hexdigest()
        digest.update(chunk)


class AtomicOutput:
    """Context manager giving a text stream (``encoding`` None: a binary one) whose content
    replaces ``dest`` atomically on a clean exit, only when it differs from the current
    content. See the module docstring.

    After the ``with`` block: ``changed`` (content or mode differ), ``content_changed``,
    ``mode_changed``, ``existed``, ``backup_file`` (or None), ``digest``,
    ``stale_temp_files`` (the temp files of killed writers of ``dest`` removed on entry, or in
    check mode those that would be), ``created_directories`` (with ``create_directory``:
    the missing directories of ``dest`` made, mode 0700, or in check mode those that would be)
    and ``warnings`` (the directory is writable by group or others).
    An exception inside the block leaves ``dest`` untouched and removes the temp file.

    ``base``: the part of ``dest``'s directory the operator configured (see
    :func:`open_directory`); by default its existing part. ``dest`` itself is never a link:
    one there is refused before anything is written. A file whose mode differs is replaced,
    never chmod'ed in place (it may be a second name of another file).
    """

    def __init__(self, dest, mode=0o600, backup=False, check_mode=False, encoding='utf-8',
                 newline='', create_directory=False, clean_stale=True, base=None):
        self.dest = os.path.abspath(os.path.expanduser(dest))
        self.mode = parse_mode(mode)
        self.backup = backup
        self.check_mode = check_mode
        self.encoding = encoding
        self.newline = newline
        self.changed = False
        self.content_changed = False
        self.mode_changed = False
        self.existed = False
        self.backup_file = None
        self._digest = None
        self._finished = False
        self.create_directory = create_directory
        self.clean_stale = clean_stale    # False: the caller swept the directory already
        self.base = base
        self.created_directories = []
        self.stale_temp_files = []
        self.warnings = []
        self._directory = None
        self._name = os.path.basename(self.dest)
        self._staged = None     # a _TempFile, or in check mode a _HashingWriter

    def __enter__(self):
        directory = os.path.dirname(self.dest)
        try:
            self._directory = open_directory(directory, base=self.base,
                                             create=self.create_directory,
                                             check_mode=self.check_mode)
        except UnsafePath as exc:
            if exc.errno == errno.ENOENT and not self.create_directory:
                raise OSError('the directory of dest does not exist: %s' % directory)
            raise
        try:
            return self._enter()
        except BaseException:
            self._discard()
            raise

    def _enter(self):
        self.created_directories = self._directory.created
        self.warnings = self._directory.warnings
        fd = self._directory.fd
        if fd is not None:
            check_output_file(lstat_at(fd, self._name), self.dest)
            if self.clean_stale:
                self.stale_temp_files = remove_stale_temp_files(self.dest, self.check_mode, fd)
        if self.check_mode:
            self._staged = _HashingWriter(self.encoding)
            return self._staged
        self._staged = _TempFile(fd, self.dest, self.mode, self.encoding, self.newline)
        return self._staged.stream

    @property
    def digest(self):
        """The sha256 of the new content, computed when asked for (after the ``with`` block)."""
        if self._digest is None and self._finished:       # dest holds the new content
            with open_directory(os.path.dirname(self.dest), base=self.base) as directory:
                fd = open_file_at(directory.fd, self._name, self.dest)
                try:
                    self._digest = _digest_of(fd)
                finally:
                    os.close(fd)
        return self._digest

    def _discard(self):
        if self._staged is not None:
            self._staged.discard()
            self._staged = None
        if self._directory is not None:
            self._directory.close()
            self._directory = None

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._discard()
            return False
        try:
            self._finish()
        finally:
            self._discard()
        return False

    def _finish(self):
        fd = self._directory.fd
        info = lstat_at(fd, self._name) if fd is not None else None
        check_output_file(info, self.dest)      # swapped for a link while we wrote: refused
        self.existed = info is not None
        old = open_file_at(fd, self._name, self.dest) if self.existed else None
        try:
            self.content_changed = not self._staged.same_as(old)
            self._staged.close()
            if self.check_mode:
                self._digest = self._staged.hexdigest()
            old_mode = stat.S_IMODE(os.fstat(old).st_mode) if self.existed else None
            self.mode_changed = self.existed and not self.content_changed and \
                old_mode != self.mode
            self.changed = self.content_changed or self.mode_changed
            if self.check_mode or not self.changed:
                self._finished = not self.check_mode
                return
            if self.backup and self.existed and self.content_changed:
                self.backup_file = _backup(fd, self.dest, old, old_mode)
        finally:
            if old is not None:
                os.close(old)
        # The new file (same bytes when only the mode differs) replaces dest: no chmod of a
        # file that may be a second name of another.
        self._staged.put_in_place(self._name)
        self._finished = True


def _backup(directory_fd, dest, old, old_mode):
    """Copy the current ``dest`` (open as ``old``) beside itself as
    ``dest.PID.YYYY-MM-DD@HH:MM:SS~`` (like AnsibleModule.backup_local), keeping its mode and
    times, through the descriptor of its directory. Returns the copy's path."""
    ext = time.strftime('%Y-%m-%d@%H:%M:%S', time.localtime(time.time()))
    name = '%s.%s.%s~' % (os.path.basename(dest), os.getpid(), ext)
    path = os.path.join(os.path.dirname(dest), name)
    copy = open_file_at(directory_fd, name, path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.lseek(old, 0, os.SEEK_SET)
        while True:
            chunk = os.read(old, CHUNK)
            if not chunk:
                break
            os.write(copy, chunk)
        os.fchmod(copy, old_mode)
        info = os.fstat(old)
        os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns))
    finally:
        os.close(copy)
    return path


def write_private_file(path, data, mode=0o600, backup=False, check_mode=False, base=None,
                       clean_stale=True, create_directory=True, warnings=None):
    """The one writer of the collection's files (reports, rows to fix, backups, records, the
    fleet's reports): ``data`` (bytes, written byte for byte; text, as UTF-8) replaces
    ``path`` atomically, only when it differs, mode 0600 unless told; the missing directories
    are made 0700 (``create_directory``); no link is followed in a directory the collection
    makes or at the file (see :func:`open_directory` for ``base``). ``backup``: the previous
    content is kept beside it first. ``clean_stale=False``: the caller removed the stale
    temporary files of the directory. ``warnings``: a list the directory's warnings are added
    to (once each). A stream written piece by piece (a conversion) uses :class:`AtomicOutput`,
    which this is made of.

    Returns True when the file changed (or would have, in check mode)."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    out = AtomicOutput(path, mode=mode, backup=backup, check_mode=check_mode, encoding=None,
                       clean_stale=clean_stale, base=base, create_directory=create_directory)
    with out as stream:
        stream.write(data)
    if warnings is not None:
        warnings.extend(w for w in out.warnings if w not in warnings)
    return out.changed


def read_private_file(path, base=None):
    """The bytes of a file the collection wrote, read without following a link at it or in a
    directory the collection makes; None when it does not exist."""
    directory = existing_parent(path, base)
    if directory is None:
        return None
    with directory:
        try:
            fd = open_file_at(directory.fd, os.path.basename(path), path)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, 'rb') as handle:
            return handle.read()
