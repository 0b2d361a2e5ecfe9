# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long one server may keep a client waiting, and how the client stops waiting: the
deadline, an interruption from another thread (abort) with its grace, and the connections it
then cuts.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
The requests themselves are module_utils/confd_transport.py's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref

try:
    import urllib3.connection
    import urllib3.connectionpool
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - depends on the controller's packages (Transport says)
    urllib3 = None
    HTTPAdapter = object

from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import (
    ConfdInterrupted, ConfdNoAnswer, ConfdUncertain)

# After an interruption, the requests still made (settling the request in flight, releasing a
# lock, revoking the token) share this many seconds at most.
ABORT_GRACE = 5.0


class Deadline:
    """The time one server (``host``) may leave the client waiting: ``seconds`` at most in
    all, every try, retry and pause between retries counted, until it answers again
    (``silent``: seconds waited since it last answered); after abort(), what the grace
    leaves. ``cut`` cuts the connections in flight."""

    def __init__(self, host, seconds=300, clock=time.monotonic, sleep=None, cut=None):
        self.host = host
        self.seconds = float(seconds)
        self._clock = clock
        self._wake = threading.Event()
        self._sleep = sleep or self._wake.wait     # a pause that abort() ends
        self._cut = cut or (lambda: None)
        self.silent = 0.0
        self._waiting = None        # (what, port, since) while a request waits for an answer
        self.aborted = None         # why the run stopped (abort())
        self.abort_grace = ABORT_GRACE
        self._abort_until = None

    def abort(self, reason):
        """Stop waiting for this server, from any thread (or a signal handler): a pause between
        retries ends at once; the request in flight and the requests after it (to settle what
        was in flight, release a lock, revoke the token) share ``abort_grace`` seconds, then the
        connections are cut (their sockets shut down) and any other request is refused with
        ConfdInterrupted. An answer that comes within the grace keeps the report exact."""
        if self.aborted is not None:
            return
        self._abort_until = self._clock() + self.abort_grace
        self.aborted = reason
        self._wake.set()
        timer = threading.Timer(self.abort_grace, self._cut)
        timer.daemon = True
        timer.start()

    @contextlib.contextmanager
    def cleanup(self):
        """Requests that undo what the run set up on the server (releasing its lock there):
        after an interruption, or once the deadline passed, they still get ``abort_grace``
        seconds of their own (retries included), then the usual limits come back."""
        saved = self._abort_until, self.silent
        if self.aborted is not None:
            self._abort_until = self._clock() + self.abort_grace
        self.silent = min(self.silent, max(0.0, self.seconds - self.abort_grace))
        try:
            yield self
        finally:
            self._abort_until = saved[0] if self.aborted is not None else self._abort_until
            self.silent = max(self.silent, saved[1])

    def waiting_for(self):
        """(what, 'host:port', seconds) of the request waiting for an answer now, or None;
        the seconds since the server last answered (earlier tries of the request included)."""
        waiting = self._waiting
        if waiting is None:
            return None
        what, port, since = waiting
        return what, '%s:%s' % (self.host, port), self.silent + self._clock() - since

    def left(self, what, port):
        """The seconds the next try may wait: what the deadline leaves; after abort(), what
        the grace leaves. None left: the error that says so."""
        if self.aborted is not None:
            left = self._abort_until - self._clock()
            if left <= 0:
                raise ConfdInterrupted('%s to %s:%s not sent: %s'
                                       % (what, self.host, port, self.aborted))
        else:
            left = self.seconds - self.silent
            if left <= 0:
                raise self.no_answer(what, port)
        return left

    def start(self, what, port):
        """A try starts: waiting_for() names it until stop(); returns when it started."""
        started = self._clock()
        self._waiting = (what, port, started)
        return started

    def silence(self, started):
        """The try that ``started`` got no answer: its wait counts; returns the seconds."""
        waited = self._clock() - started
        self.silent += waited
        return waited

    def stop(self):
        self._waiting = None

    def answered(self):
        self.silent = 0.0

    def spent(self):
        """True once the server has left the client waiting the whole deadline."""
        return self.silent >= self.seconds - 0.05

    def pause(self, seconds):
        """Wait before another try (abort() ends it); the pause counts in the deadline, and
        never goes beyond it."""
        pause = max(0.0, min(seconds, self.seconds - self.silent))
        self.silent += pause
        self._sleep(pause)

    def no_answer(self, what, port):
        return ConfdNoAnswer('no answer from %s:%s within %ss (%s; deadline: the longest wait '
                             'for a server, retries included)'
                             % (self.host, port, seconds_text(self.seconds), what))

    def cut_short(self, idempotent, what, port):
        """The error of the request in flight when the run was interrupted: a read is simply
        stopped; an import may have reached confd, which goes on with it."""
        if idempotent:
            return ConfdInterrupted('%s to %s:%s stopped: %s'
                                    % (what, self.host, port, self.aborted))
        return ConfdUncertain('the %s to %s:%s was cut short (%s): confd may have received it '
                              'and may still import it' % (what, self.host, port, self.aborted),
                              timed_out=True)


def seconds_text(value):
    """A number of seconds as written in the options: 300, 0.5."""
    return '%g' % value


class TrackedConnections:
    """The HTTPS connections of one session, so that abort() can cut a request in flight,
    even in its TLS handshake: ``adapter()`` is mounted on the session; each connection it
    opens records itself with a second descriptor of its socket (TLS takes over the socket's
    descriptor when it starts), which ``cut()`` shuts down."""

    def __init__(self):
        self._connections = weakref.WeakSet()

    def cut(self):
        """Cut every connection now."""
        for connection in list(self._connections):
            handle = connection.cut_handle
            try:
                if handle is not None:
                    handle.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass    # closed already

    def adapter(self):
        connections = self._connections

        # Named as urllib3's: their names appear in the messages of connection errors.
        class HTTPSConnection(urllib3.connection.HTTPSConnection):
            cut_handle = None

            def _new_conn(self):
                sock = super()._new_conn()
                self.cut_handle = sock.dup()
                connections.add(self)
                return sock

            def close(self):
                try:
                    super().close()
                finally:
                    handle, self.cut_handle = self.cut_handle, None
                    if handle is not None:
                        handle.close()

        class HTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
            ConnectionCls = HTTPSConnection

        class Adapter(HTTPAdapter):
            def init_poolmanager(self, *args, **kwargs):
                super().init_poolmanager(*args, **kwargs)
                self.poolmanager.pool_classes_by_scheme = dict(
                    self.poolmanager.pool_classes_by_scheme, https=HTTPSConnectionPool)

        return Adapter()
