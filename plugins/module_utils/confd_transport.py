# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport to one server of the confd clients: the HTTP session, its time limits,
retries, interruption from another thread, proxies, and the messages of what failed on the
way (refused, plain HTTP, certificate, no answer).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
What the requests say (authentication, tenant, API paths) is module_utils/confd_client.py's.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings

try:
    import requests
    import urllib3.exceptions
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's packages
    requests = urllib3 = None
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.xivo.confd.plugins.module_utils.confd_deadline import (
    ABORT_GRACE, Deadline, TrackedConnections, seconds_text)
from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import (
    ConfdError, ConfdPlainHttp, ConfdUncertain, ConfdUnreachable)

# Status codes worth a retry for idempotent requests (GET, token); never for an import.
RETRY_STATUSES = frozenset((502, 503, 504))
# The ports hint of a plain-HTTP answer while the platform is not known yet.
DEFAULT_PORTS_HINT = ('XiVO serves confd on HTTPS 9486, Wazo 20.07 and later on 443 '
                      'under /api')


class Transport:
    """The HTTPS exchanges with one server (its confd and its authentication service).

    Time: each connection waits ``connect_timeout`` seconds at most, each answer ``timeout``;
    and the server may leave the client waiting ``deadline`` seconds at most in all
    (``self.deadline``, a confd_deadline.Deadline), every request, retry and pause between
    retries counted, until it answers again: then it is ConfdNoAnswer (unreachable);
    ``deadline.abort()`` stops it from another thread. What went wrong and was retried is
    appended to ``events`` (shown as warnings).
    """

    def __init__(self, host, validate_certs=True, ca_path=None, timeout=300, retries=3,
                 backoff=0.5, sleep=None, session=None, connect_timeout=10, deadline=300,
                 clock=time.monotonic, ports_hint=None):
        if requests is None:
            raise ConfdError('the python "requests" library is required on the Ansible '
                             'controller: pip install requests (%s)' % REQUESTS_IMPORT_ERROR)
        self.host = host
        # What a plain-HTTP answer suggests (the platform's ports, once it is known).
        self._ports_hint = ports_hint or (lambda: None)
        # requests ignores Session.verify when REQUESTS_CA_BUNDLE is set: passed per request.
        self.verify = verify_option(validate_certs, ca_path)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.retries = max(0, retries)
        self.backoff = backoff
        connections = TrackedConnections()     # what abort() cuts
        # The wait for this server (deadline, abort() from any thread and its grace).
        self.deadline = Deadline(host, deadline, clock, sleep, connections.cut)
        self.session = session or requests.Session()
        if session is None:
            self.session.mount('https://', connections.adapter())
        # The environment's proxies (HTTPS_PROXY, NO_PROXY...) are looked up once per server
        # and port rather than by requests on every request (it walks the whole environment
        # each time); .netrc is not consulted: only the credentials given here are sent.
        self.session.trust_env = False
        self._proxies = {}
        self.events = []  # what went wrong and was retried: shown as warnings

    def request(self, method, url, timeout=None, **kwargs):
        """One HTTP exchange: certificates checked per request (REQUESTS_CA_BUNDLE overrides
        Session.verify), redirects never followed (they would carry the token elsewhere)."""
        return self.session.request(method, url, verify=self.verify,
                                    timeout=timeout or (self.connect_timeout, self.timeout),
                                    allow_redirects=False,
                                    proxies=self._proxies_for(url), **kwargs)

    def _proxies_for(self, url):
        """The environment's proxies for the server and port of ``url``, as requests finds
        them (NO_PROXY included)."""
        where = url.split('/', 3)[2]
        if where not in self._proxies:
            self._proxies[where] = (requests.utils.get_environ_proxies('https://%s/' % where)
                                    if proxies_possible() else {})
        return self._proxies[where]

    def _retry(self, attempt, what, why):
        """Wait before another try of an idempotent request, and say so (a retry is a warning)."""
        self.events.append('%s to %s: %s; tried again (%d of %d)'
                           % (what, self.host, why, attempt, self.retries))
        self.deadline.pause(self.backoff * 2 ** (attempt - 1))

    def send(self, method, url, idempotent, what, port, **kwargs):
        """Send one request; retry only idempotent ones, within the deadline; map transport
        errors to messages (``port``: the port of ``url``, as they name it)."""
        attempt = 0
        while True:
            left = self.deadline.left(what, port)
            started = self.deadline.start(what, port)
            try:
                response = self.request(method, url, timeout=(
                    min(self.connect_timeout, left), min(self.timeout, left)), **kwargs)
            except requests.exceptions.RequestException as exc:
                waited = self.deadline.silence(started)
                if self.deadline.aborted is not None:
                    raise self.deadline.cut_short(idempotent, what, port) from exc
                if not isinstance(exc, requests.exceptions.ConnectionError) and not \
                        isinstance(exc, requests.exceptions.Timeout):
                    raise
                why = self._failure(exc, idempotent, what, port, attempt, waited)
                attempt += 1
                self._retry(attempt, what, why)
                continue
            finally:
                self.deadline.stop()
            self.deadline.answered()
            if idempotent and response.status_code in RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                self._retry(attempt, what, 'answered %s' % response.status_code)
                continue
            return response

    def _failure(self, exc, idempotent, what, port, attempt, waited):
        """Why a failed try is worth another (a retry), or raise the error that says what
        happened."""
        retry = idempotent and attempt < self.retries
        if isinstance(exc, requests.exceptions.SSLError):
            if _plain_http(exc):
                raise ConfdPlainHttp(
                    'cannot talk TLS to %s:%s (%s): the server answers in plain HTTP, not '
                    'HTTPS. Check the port (%s). Nothing was sent.'
                    % (self.host, port, what, self._ports_hint() or DEFAULT_PORTS_HINT))
            if not _certificate_problem(exc):
                # The TLS handshake broke (reset, EOF): the server is not answering; the
                # request was not sent, so a read may be retried and nothing is uncertain.
                if retry:
                    return 'the TLS handshake was cut'
                raise ConfdUnreachable(
                    'cannot connect to %s:%s (%s): the TLS handshake was cut: %s. Check that '
                    'the service is running on that port.' % (self.host, port, what, short_error(exc)))
            raise ConfdError(
                'TLS verification failed for https://%s:%s (%s): %s. Set ca_path to the '
                'CA certificate that signed the server certificate (XiVO: '
                '/usr/share/xivo-certs/server.crt for the self-signed default), or '
                'validate_certs: false (not recommended). Nothing was sent.'
                % (self.host, port, what, short_error(exc)))
        if isinstance(exc, requests.exceptions.Timeout) or _timed_out(exc):
            connecting = isinstance(exc, requests.exceptions.ConnectTimeout) or (
                not isinstance(exc, requests.exceptions.Timeout))
            if self.deadline.spent():
                if idempotent:
                    raise self.deadline.no_answer(what, port)
                raise ConfdUncertain(
                    'no answer to the %s from %s:%s within %ss (the deadline): confd may '
                    'still be importing it' % (what, self.host, port, seconds_text(self.deadline.seconds)),
                    timed_out=True)
            if retry:
                return 'no answer within %ss' % seconds_text(round(waited, 1))
            if connecting:
                raise ConfdUnreachable('cannot connect to %s:%s (%s): connection timed out '
                                       'after %ss' % (self.host, port, what,
                                                      seconds_text(self.connect_timeout)))
            raise ConfdUncertain('%s to %s:%s timed out after %ss'
                                 % (what, self.host, port, seconds_text(self.timeout)),
                                 timed_out=True)
        # A refused connection is immediate and clear: waiting would only delay the
        # report of a server that is down.
        if retry and not _refused(exc):
            return 'the connection was lost'
        # A non-idempotent request may have reached the server before the connection
        # broke: the caller must look at the server before doing anything else.
        if not idempotent and not _refused(exc):
            raise ConfdUncertain('the connection to %s:%s was lost during the %s: %s'
                                 % (self.host, port, what, short_error(exc)))
        raise ConfdUnreachable('cannot connect to %s:%s (%s): %s. Check the host, the '
                               'port and that the service is running.'
                               % (self.host, port, what, short_error(exc)))

    def delete_quietly(self, url):
        """A DELETE that may fail (revoking a token: it expires by itself anyway): a server
        that did not answer, or a run that was interrupted, gets a short try."""
        short = self.deadline.aborted is not None or self.deadline.silent > 0
        limit = min(self.timeout, ABORT_GRACE if short else 30)
        try:
            self.session.delete(url, verify=self.verify, allow_redirects=False,
                                timeout=(min(self.connect_timeout, limit), limit),
                                proxies=self._proxies_for(url))
        except requests.RequestException:
            pass

    def close(self):
        self.session.close()


def verify_option(validate_certs, ca_path):
    """The ``verify`` of every request: the CA file, the CA bundle the environment names
    (read once, as requests would for each request with trust_env), True, or False."""
    if not validate_certs:
        quiet_unverified_warning()
        return False
    if ca_path:
        return ca_path
    return os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True


def proxies_possible(environ=None, platform=None):
    """False when no proxy can apply: on Linux and the BSDs, urllib (which requests asks) reads
    proxies only from ``*_proxy`` variables, so without any the answer is none, for every
    server; requests would walk the whole environment twice per server to find that out.
    macOS and Windows also read the system's settings: always ask there."""
    platform = sys.platform if platform is None else platform
    if platform.startswith(('darwin', 'win')):
        return True
    environ = os.environ if environ is None else environ
    return any(name[-6:].lower() == '_proxy' for name in environ)


def _timed_out(exc):
    """True for a connection error that is in fact a timeout (urllib3 reports a TLS handshake
    that outlived the connect timeout as a connection error)."""
    text = str(exc).lower()
    return 'timed out' in text or 'timeout' in text


_QUIET_LOCK = threading.Lock()


def quiet_unverified_warning():
    """Keep urllib3's InsecureRequestWarning (one per request made without checking the
    certificate) off stderr: the action says it once, cleanly. One filter for the process,
    added once: warnings.catch_warnings() around each request would swap the process-wide
    filter list from the fleet's threads at once, and one server's filters would leak into
    another's requests (catch_warnings is not thread-safe)."""
    if urllib3 is None:
        return
    category = urllib3.exceptions.InsecureRequestWarning
    with _QUIET_LOCK:
        if not any(f[0] == 'ignore' and f[2] is category for f in warnings.filters):
            warnings.filterwarnings('ignore', category=category)


def short_error(exc):
    text = str(exc)
    return text if len(text) < 300 else text[:300] + '...'


def _plain_http(exc):
    """True when the server spoke plain HTTP to our TLS hello."""
    text = str(exc).lower()
    return 'wrong version number' in text or 'http_request' in text or \
        'record layer failure' in text or 'packet length too long' in text


def _certificate_problem(exc):
    """True when TLS failed on the server's certificate, not on the connection."""
    text = str(exc).lower()
    return 'certificate' in text or 'hostname' in text or "doesn't match" in text


def _refused(exc):
    """True when the connection was never established, so nothing reached the server."""
    text = str(exc).lower()
    return 'connection refused' in text or 'name or service not known' in text \
        or 'no route to host' in text or 'failed to resolve' in text
