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
(:func:`stale_temp_files`): it holds the new content, passwords included.

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

import binascii
import errno
import hashlib
import os
import re
import socket
import stat
import time

try:
    O_NOFOLLOW = os.O_NOFOLLOW
    O_DIRECTORY = os.O_DIRECTORY
except AttributeError:      # pragma: no cover - every POSIX controller Ansible runs on has them
    O_NOFOLLOW = O_DIRECTORY = 0
O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)

CHUNK = 1024 * 1024
TEMP_SUFFIX = '.tmp'
DIRECTORY_MODE = 0o700


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


def _existing_parent(path, base):
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
    directory = _existing_parent(path, base)
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


def _temp_name(dest):
    # Named like mkstemp's files of dest, so that one left by a killed writer is found stale.
    return '%s%s%s' % (temp_prefix(dest), binascii.hexlify(os.urandom(4)).decode('ascii'),
                       TEMP_SUFFIX)


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
        temp = _temp_name(dest)
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

    def flush(self):
        pass

    def close(self):
        pass


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
        self._tmp_name = None
        self._handle = None
        self._stream = None

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
            self._stream = _HashingWriter(self.encoding)
            return self._stream
        self._tmp_name = _temp_name(self.dest)
        tmp = open_file_at(fd, self._tmp_name, os.path.join(os.path.dirname(self.dest),
                                                            self._tmp_name),
                           os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(tmp, self.mode)
            self._handle = os.fdopen(tmp, 'w+b') if self.encoding is None else \
                os.fdopen(tmp, 'w+', encoding=self.encoding, newline=self.newline)
        except Exception:
            os.close(tmp)
            raise
        self._stream = self._handle
        return self._stream

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
        if self._handle is not None:
            try:
                self._handle.close()
            except Exception:  # pylint: disable=broad-except
                pass
            self._handle = None
        if self._tmp_name and self._directory is not None and self._directory.fd is not None:
            try:
                os.unlink(self._tmp_name, dir_fd=self._directory.fd)
            except OSError:
                pass
        self._tmp_name = None
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
            if self.check_mode:
                self._digest = self._stream.hexdigest()
                self.content_changed = not self.existed or _digest_of(old) != self._digest
            else:
                self._handle.flush()
                os.fsync(self._handle.fileno())
                self.content_changed = not self.existed or not _same_bytes(
                    self._handle.fileno(), old)
                self._handle.close()
                self._handle = None
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
        os.replace(self._tmp_name, self._name, src_dir_fd=fd, dst_dir_fd=fd)
        self._tmp_name = None
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
    directory = _existing_parent(path, base)
    if directory is None:
        return None
    with directory:
        try:
            fd = open_file_at(directory.fd, os.path.basename(path), path)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, 'rb') as handle:
            return handle.read()
