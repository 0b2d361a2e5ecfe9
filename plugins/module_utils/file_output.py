# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write controller-side files the way Ansible file modules do: atomically, with a mode,
an optional backup, and ``changed`` only when the content (or the mode) differs.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Typical use (streaming, nothing held in memory)::

    out = AtomicOutput('/srv/users.csv', mode=0o600, backup=True, check_mode=False)
    with out as stream:          # a text stream (UTF-8, newline='') on a temp file in dest's dir
        csv.writer(stream, lineterminator='\\n').writerows(rows)
    out.changed, out.backup_file, out.dest

In check mode the stream only hashes what is written: nothing touches the disk.

The temporary file is named ``.BASENAME.TAG-PID.RANDOM.tmp`` (TAG: this controller's host), so
that the next writer of the same ``dest`` can remove one left by a killed process
(:func:`stale_temp_files`): it holds the new content, passwords included.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii
import errno
import hashlib
import os
import re
import shutil
import socket
import stat
import tempfile
import time

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
    except (IOError, OSError) as exc:
        if not os.path.exists(path):
            return None
        raise exc
    return digest.hexdigest()


def same_content(first, second):
    """Whether two existing files hold the same bytes: sizes first, then the bytes in chunks
    (a comparison, far cheaper than hashing both)."""
    if os.path.getsize(first) != os.path.getsize(second):
        return False
    with open(first, 'rb') as one, open(second, 'rb') as other:
        while True:
            chunk = one.read(CHUNK)
            if chunk != other.read(CHUNK):
                return False
            if not chunk:
                return True


def current_mode(path):
    """The permission bits of an existing file, or None."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def backup_local(path):
    """Copy ``path`` beside itself as ``path.PID.YYYY-MM-DD@HH:MM:SS~`` (like
    AnsibleModule.backup_local), keeping mode and times. Returns the backup path, or None when
    there is nothing to back up."""
    if not os.path.exists(path):
        return None
    ext = time.strftime('%Y-%m-%d@%H:%M:%S', time.localtime(time.time()))
    backup = '%s.%s.%s~' % (path, os.getpid(), ext)
    shutil.copy2(path, backup)
    return backup


def same_file(first, second):
    """Whether two paths name the same existing file (through links, ``..`` or another
    spelling); False when either does not exist."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def missing_directories(directory):
    """The directories to create, outermost first, for ``directory`` to exist."""
    missing = []
    directory = os.path.abspath(directory)
    while not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return list(reversed(missing))


def make_directories(directory, mode=DIRECTORY_MODE, check_mode=False):
    """Create ``directory`` and its missing parents, each with ``mode`` whatever the umask
    (os.makedirs gives the parents the umask's mode). Returns the directories created, or in
    check mode those that would be."""
    missing = missing_directories(directory)
    if check_mode:
        return missing
    for path in missing:
        try:
            os.mkdir(path, mode)
        except OSError as exc:
            if exc.errno != errno.EEXIST or not os.path.isdir(path):
                raise
            continue            # made by a concurrent writer meanwhile: not ours
        os.chmod(path, mode)
    return missing


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
    except (IOError, OSError, ValueError):
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
    except (IOError, OSError, ValueError, IndexError):
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


def stale_temp_files(dest):
    """The temporary files of ``dest`` left by a writer of this host that is gone (killed with
    SIGKILL, or the machine stopped), oldest name first. Another writer's file, one still being
    written, or any file of another shape is not listed."""
    directory = os.path.dirname(os.path.abspath(dest))
    # A directory holds the files of many destinations (a report per server): a prefix test
    # first, so that the pattern is only built and matched for this destination's temp files.
    return _stale(directory, _temp_stem(dest), lambda: _temp_pattern(dest))


def stale_temp_files_in(directory):
    """:func:`stale_temp_files` for every destination in ``directory`` at once: one listing,
    for a writer of many files there (a fleet's reports), instead of one per file."""
    return _stale(os.path.abspath(directory), '.', _temp_pattern)


def _stale(directory, stem, pattern):
    """The files of ``directory`` named ``stem``... that ``pattern()`` matches, with the pid of
    a gone writer of this host as its group 1."""
    stale = []
    try:
        names = os.listdir(directory)
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
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and process_gone(int(match.group(1)), info.st_mtime):
            stale.append(path)
    return stale


def remove_stale_temp_files(dest, check_mode=False):
    """Remove what :func:`stale_temp_files` finds (not in check mode); returns those paths."""
    return _remove(stale_temp_files(dest), check_mode)


def remove_stale_temp_files_in(directory, check_mode=False):
    """Remove what :func:`stale_temp_files_in` finds (not in check mode); returns those paths."""
    return _remove(stale_temp_files_in(directory), check_mode)


def _remove(stale, check_mode):
    if not check_mode:
        for path in stale:
            try:
                os.unlink(path)
            except OSError as exc:
                if exc.errno != errno.ENOENT:      # removed meanwhile by another run
                    raise
    return stale


def replace_with_link(src, dest):
    """Make ``dest`` a second name of the file ``src`` (a hard link, put in place atomically):
    a copy without reading or writing the content. False when the file system cannot link
    (then copy); ``src`` is left as it is either way."""
    directory = os.path.dirname(os.path.abspath(dest))
    # Named like mkstemp's files of dest, so that one left by a killed writer is found stale.
    temp = os.path.join(directory, '%s%s%s' % (temp_prefix(dest), binascii.hexlify(
        os.urandom(4)).decode('ascii'), TEMP_SUFFIX))
    try:
        os.link(src, temp)
    except OSError:
        return False
    try:
        os.replace(temp, dest)
    except OSError:
        os.unlink(temp)
        raise
    return True


class HashingWriter(object):
    """A write-only text stream that keeps only the digest and size of the UTF-8 bytes."""

    def __init__(self, encoding='utf-8', algorithm='sha256'):
        self._encoding = encoding
        self._digest = hashlib.new(algorithm)
        self.size = 0

    def write(self, text):
        data = text.encode(self._encoding)
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


class AtomicOutput(object):
    """Context manager giving a text stream whose content replaces ``dest`` atomically on a
    clean exit, only when it differs from the current content. See the module docstring.

    After the ``with`` block: ``changed`` (content or mode differ), ``content_changed``,
    ``mode_changed``, ``existed``, ``backup_file`` (or None), ``digest``,
    ``stale_temp_files`` (the temp files of killed writers of ``dest`` removed on entry, or in
    check mode those that would be) and ``created_directories`` (with ``create_directory``:
    the missing directories of ``dest`` made, mode 0700, or in check mode those that would be).
    An exception inside the block leaves ``dest`` untouched and removes the temp file.
    """

    def __init__(self, dest, mode=0o600, backup=False, check_mode=False, encoding='utf-8',
                 newline='', create_directory=False, clean_stale=True):
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
        self.created_directories = []
        self.stale_temp_files = []
        self._tmp_path = None
        self._handle = None
        self._stream = None

    def __enter__(self):
        directory = os.path.dirname(self.dest)
        if not os.path.isdir(directory):
            if not self.create_directory:
                raise IOError('the directory of dest does not exist: %s' % directory)
            self.created_directories = make_directories(directory, check_mode=self.check_mode)
        if os.path.isdir(self.dest):
            raise IOError('dest is a directory: %s' % self.dest)
        if self.clean_stale:
            self.stale_temp_files = remove_stale_temp_files(self.dest, self.check_mode)
        if self.check_mode:
            self._stream = HashingWriter(self.encoding)
            return self._stream
        fd, self._tmp_path = tempfile.mkstemp(prefix=temp_prefix(self.dest), suffix=TEMP_SUFFIX,
                                              dir=directory)
        try:
            os.chmod(self._tmp_path, self.mode)
            self._handle = os.fdopen(fd, 'w', encoding=self.encoding, newline=self.newline)
        except Exception:
            os.close(fd)
            self._discard()
            raise
        self._stream = self._handle
        return self._stream

    @property
    def digest(self):
        """The sha256 of the new content, computed when asked for (after the ``with`` block)."""
        if self._digest is None and self._finished:       # dest holds the new content
            self._digest = file_digest(self.dest)
        return self._digest

    def _discard(self):
        if self._handle is not None:
            try:
                self._handle.close()
            except Exception:  # pylint: disable=broad-except
                pass
            self._handle = None
        if self._tmp_path and os.path.exists(self._tmp_path):
            os.unlink(self._tmp_path)
        self._tmp_path = None

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
        self.existed = os.path.exists(self.dest)
        if self.check_mode:
            self._digest = self._stream.hexdigest()
            self.content_changed = not self.existed or file_digest(self.dest) != self._digest
        else:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            self.content_changed = not self.existed or not same_content(self._tmp_path, self.dest)
        old_mode = current_mode(self.dest) if self.existed else None
        self.mode_changed = self.existed and not self.content_changed and old_mode != self.mode
        self.changed = self.content_changed or self.mode_changed
        if self.check_mode or not self.changed:
            self._finished = not self.check_mode
            return
        if self.mode_changed:
            os.chmod(self.dest, self.mode)
        else:
            if self.backup and self.existed:
                self.backup_file = backup_local(self.dest)
            os.chmod(self._tmp_path, self.mode)
            os.replace(self._tmp_path, self.dest)
            self._tmp_path = None
        self._finished = True


def write_atomically(dest, content, mode=0o600, backup=False, check_mode=False, encoding='utf-8',
                     clean_stale=True):
    """Write a whole text (or bytes) to ``dest`` with :class:`AtomicOutput`; returns a dict
    ``changed``, ``backup_file`` (when made), ``dest``."""
    if isinstance(content, bytes):
        content = content.decode(encoding)
    out = AtomicOutput(dest, mode=mode, backup=backup, check_mode=check_mode, encoding=encoding,
                       clean_stale=clean_stale)
    with out as stream:
        stream.write(content)
    result = {'changed': out.changed, 'dest': out.dest}
    if out.backup_file:
        result['backup_file'] = out.backup_file
    return result
