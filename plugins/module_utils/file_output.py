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
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os
import shutil
import stat
import tempfile
import time

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
    except (IOError, OSError) as exc:
        if not os.path.exists(path):
            return None
        raise exc
    return digest.hexdigest()


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
    ``mode_changed``, ``existed``, ``backup_file`` (or None), ``digest``.
    An exception inside the block leaves ``dest`` untouched and removes the temp file.
    """

    def __init__(self, dest, mode=0o600, backup=False, check_mode=False, encoding='utf-8',
                 newline=''):
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
        self.digest = None
        self._tmp_path = None
        self._handle = None
        self._stream = None

    def __enter__(self):
        directory = os.path.dirname(self.dest)
        if not os.path.isdir(directory):
            raise IOError('the directory of dest does not exist: %s' % directory)
        if os.path.isdir(self.dest):
            raise IOError('dest is a directory: %s' % self.dest)
        if self.check_mode:
            self._stream = HashingWriter(self.encoding)
            return self._stream
        fd, self._tmp_path = tempfile.mkstemp(prefix='.%s.' % os.path.basename(self.dest),
                                              suffix='.tmp', dir=directory)
        try:
            os.chmod(self._tmp_path, self.mode)
            self._handle = os.fdopen(fd, 'w', encoding=self.encoding, newline=self.newline)
        except Exception:
            os.close(fd)
            self._discard()
            raise
        self._stream = self._handle
        return self._stream

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
        if self.check_mode:
            self.digest = self._stream.hexdigest()
        else:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            self.digest = file_digest(self._tmp_path)
        self.existed = os.path.exists(self.dest)
        old_digest = file_digest(self.dest) if self.existed else None
        self.content_changed = old_digest != self.digest
        old_mode = current_mode(self.dest) if self.existed else None
        self.mode_changed = self.existed and not self.content_changed and old_mode != self.mode
        self.changed = self.content_changed or self.mode_changed
        if self.check_mode or not self.changed:
            return
        if self.mode_changed:
            os.chmod(self.dest, self.mode)
            return
        if self.backup and self.existed:
            self.backup_file = backup_local(self.dest)
        os.chmod(self._tmp_path, self.mode)
        os.replace(self._tmp_path, self.dest)
        self._tmp_path = None


def write_atomically(dest, content, mode=0o600, backup=False, check_mode=False, encoding='utf-8'):
    """Write a whole text (or bytes) to ``dest`` with :class:`AtomicOutput`; returns a dict
    ``changed``, ``backup_file`` (when made), ``dest``."""
    if isinstance(content, bytes):
        content = content.decode(encoding)
    out = AtomicOutput(dest, mode=mode, backup=backup, check_mode=check_mode, encoding=encoding)
    with out as stream:
        stream.write(content)
    result = {'changed': out.changed, 'dest': out.dest}
    if out.backup_file:
        result['backup_file'] = out.backup_file
    return result
