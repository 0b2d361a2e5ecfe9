# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors of the confd and xivo-auth clients, shared by the transport and the API client.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Every plugin imports them from module_utils/confd_client.py, which re-exports them.
"""

from __future__ import annotations


class ConfdError(Exception):
    """A failure a person can act on; the message never holds a secret."""


class ConfdAuthRefused(ConfdError):
    """xivo-auth or confd refused our credentials (401/403): nothing of the request was read,
    so no row of it was tried."""


class ConfdCredentialsRefused(ConfdAuthRefused):
    """xivo-auth refused the username and password themselves: no ACL of any route is the
    cause, so nothing that reports it should point at one."""


class ConfdInterrupted(ConfdError):
    """The run was interrupted: no more requests are sent to this server."""


class ConfdUncertain(ConfdError):
    """The server may or may not have committed the request (timeout, connection lost)."""

    def __init__(self, message, timed_out=False):
        super().__init__(message)
        # confd carries on with a request after the client gave up
        # (docs/server-behaviour.md#client-timeout-commit): after a timeout
        # the rows may still be on their way in.
        self.timed_out = timed_out


class ConfdUnreachable(ConfdError):
    """The server could not be reached at all (refused, no route, TLS handshake cut, connect
    timeout): nothing was sent."""


class ConfdNoAnswer(ConfdUnreachable):
    """The server left the client waiting longer than the deadline, retries included: it is
    treated as unreachable (a request it may have received is settled by the next run)."""


class ConfdPlainHttp(ConfdError):
    """The port answers plain HTTP, not HTTPS: nothing was sent."""


class ConfdRedirect(ConfdError):
    """The server answered a redirect: never followed (it would send the token elsewhere)."""
