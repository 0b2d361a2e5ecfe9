# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory of the locks this controller may have left on a server (remote_lock): a lock
object whose creation answer was lost, or whose release failed. Its next run removes such an
object as its own instead of waiting for it as another run's.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import json
import os

from ansible_collections.xivo.confd.plugins.module_utils.file_output import write_private_file
from ansible_collections.xivo.confd.plugins.module_utils.output_directory import remove_file

KEPT = 20       # descriptions remembered per server at the most (the latest)


class LeftLocks:
    """The descriptions of the lock objects left on ``server``, in a private file of
    ``directory`` (this controller's lock directory); without a directory, nothing is
    remembered. A file that cannot be read or written is no memory: the lock it names is
    then reported as held, as another run's would be."""

    def __init__(self, directory, server):
        self.path = None
        if directory:
            name = ''.join(c if c.isalnum() or c in '.-' else '_' for c in server)
            self.path = os.path.join(directory, name + '.server-lock-left')

    def descriptions(self):
        try:
            with open(self.path) as handle:
                return list(json.load(handle))
        except (TypeError, OSError, ValueError):
            return []

    def _write(self, descriptions):
        try:
            if descriptions:
                write_private_file(self.path, json.dumps(descriptions[-KEPT:]))
            else:
                remove_file(self.path)
            return True
        except OSError:
            return False

    def remember(self, description):
        """Whether ``description`` is now remembered."""
        if not self.path:
            return False
        return self._write([d for d in self.descriptions() if d != description] + [description])

    def forget(self, description):
        if self.path:
            self._write([d for d in self.descriptions() if d != description])

    def clear(self):
        """None is left: the server had no lock object when this controller made one."""
        if self.descriptions():
            self._write([])
