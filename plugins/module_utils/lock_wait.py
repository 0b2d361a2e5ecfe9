# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a lock waits for its holder: the one waiting rule of the lock of this controller
(server_lock) and of the lock kept on the server (remote_lock).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import time


class Patience:
    """Up to ``timeout`` seconds (0: not at all) from ``start()``, trying again every ``poll``
    seconds; the clock and the sleep are injected (tests)."""

    def __init__(self, timeout, poll, sleep=time.sleep, clock=time.monotonic):
        self.timeout = max(0.0, float(timeout or 0))
        self.poll = poll
        self._sleep = sleep
        self._clock = clock
        self._deadline = None

    def start(self):
        self._deadline = self._clock() + self.timeout

    def over(self):
        return self._clock() >= self._deadline

    def pause(self):
        """Sleep until the next try: one poll, or what is left before the deadline."""
        self._sleep(min(self.poll, max(0.0, self._deadline - self._clock())) or self.poll)
