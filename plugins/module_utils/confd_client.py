# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one client of the confd and xivo-auth REST APIs used by every plugin of the collection.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
What is specific to one kind of server (addresses, authentication, headers, ACLs) is
asked of the host's Platform (module_utils/platform.py); this module holds what every
platform shares: time limits, retries, interruption, errors and their messages.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import threading
import time
import warnings
import weakref

try:
    import requests
    import urllib3.connection
    import urllib3.connectionpool
    import urllib3.exceptions
    from requests.adapters import HTTPAdapter
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's packages
    requests = urllib3 = None
    HTTPAdapter = object
    HTTPBasicAuth = HTTPDigestAuth = None
    REQUESTS_IMPORT_ERROR = exc

from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    CHOICES as PLATFORM_CHOICES, UUID, guess_from_refusal, platform_named, probe,
    probe_layouts)
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

AUTH_METHODS = ('token', 'digest')
# Status codes worth a retry for idempotent requests (GET, token); never for an import.
RETRY_STATUSES = frozenset((502, 503, 504))
# After an interruption, the requests still made (settling the request in flight, releasing a
# lock, revoking the token) share this many seconds at most.
ABORT_GRACE = 5.0

# Each connection option falls back to an environment variable, so that a credential type
# of AWX / Automation Platform can inject it (like community.hashi_vault's VAULT_*).
ENV_PREFIX = 'XIVO_CONFD_'


def _env(option):
    return (env_fallback, [ENV_PREFIX + option.upper()])


CONNECTION_ARGSPEC = dict(
    host=dict(type='str', required=True, fallback=_env('host')),
    platform=dict(type='str', default='auto', choices=list(PLATFORM_CHOICES),
                  fallback=_env('platform')),
    port=dict(type='int', fallback=_env('port')),
    auth_port=dict(type='int', fallback=_env('auth_port')),
    api_prefix=dict(type='str', fallback=_env('api_prefix')),
    tenant=dict(type='str', fallback=_env('tenant')),
    auth_backend=dict(type='str', fallback=_env('auth_backend')),
    auth_method=dict(type='str', default='token', choices=list(AUTH_METHODS),
                     fallback=_env('auth_method')),
    token=dict(type='str', no_log=True, fallback=_env('token')),
    username=dict(type='str', fallback=_env('username')),
    password=dict(type='str', no_log=True, fallback=_env('password')),
    token_expiration=dict(type='int', default=3600, fallback=_env('token_expiration')),
    validate_certs=dict(type='bool', default=True, fallback=_env('validate_certs')),
    ca_path=dict(type='path', fallback=_env('ca_path')),
    timeout=dict(type='float', default=300, fallback=_env('timeout')),
    connect_timeout=dict(type='float', default=10, fallback=_env('connect_timeout')),
    deadline=dict(type='float', default=300, fallback=_env('deadline')),
    retries=dict(type='int', default=3, fallback=_env('retries')),
)


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


def check_connection_numbers(port=9486, auth_port=9497, timeout=300, retries=3,
                             token_expiration=3600, connect_timeout=10, deadline=300):
    """Refuse connection numbers that cannot work, before any request (a timeout of 0 would
    make every request fail with a library error)."""
    for name, value in (('port', port), ('auth_port', auth_port)):
        if not 1 <= int(value) <= 65535:
            raise ConfdError('%s must be between 1 and 65535, not %s' % (name, value))
    for name, value in (('timeout', timeout), ('connect_timeout', connect_timeout),
                        ('deadline', deadline)):
        if not value or float(value) <= 0:
            raise ConfdError('%s must be a positive number of seconds, not %s' % (name, value))
    if int(retries) < 0:
        raise ConfdError('retries must be 0 or more, not %s' % retries)
    if int(token_expiration) < 1:
        raise ConfdError('token_expiration must be a positive number of seconds, not %s'
                         % token_expiration)


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


class ConfdResponse:
    """What an API call answered: the status, the decoded JSON body (or None), the raw text
    and the media type (a proxy's page is not confd's JSON)."""

    def __init__(self, status, body, text, content_type='application/json'):
        self.status = status
        self.body = body
        self.text = text
        self.content_type = content_type


def _decode_body(response):
    try:
        return response.json()
    except ValueError:
        return None


# confd's 500 for a database error quotes the SQL statement and every value of the row
# (docs/server-behaviour.md#caller-id-limit): the statement and its values are left out of any
# message.
_SQL_DUMP = re.compile(r"""\s*\[?\s*['"]?(?:INSERT INTO|UPDATE|DELETE FROM|SELECT)\b.*""", re.S)


def describe_error_body(response_or_body, text=''):
    """Turn confd's error body (a JSON list of strings, or text) into one bounded line."""
    body = response_or_body
    if isinstance(body, list):
        line = '; '.join(str(item) for item in body)
    elif isinstance(body, dict) and 'reason' in body:
        line = '; '.join(str(item) for item in body['reason'])
    else:
        line = ' '.join((text or '').split())[:500]
    if _SQL_DUMP.search(line):
        line = _SQL_DUMP.sub(' (SQL statement and values left out)', line, count=1)
    return sanitize_message(line, 1000)


class ConfdClient:
    """A session with one confd server and its authentication service, where and as its
    ``platform`` (a Platform or its name; XiVO by default) says: XiVO confd on HTTPS 9486 and
    xivo-auth on 9497 by default.

    Authentication, in order: a given token; a token from xivo-auth for username/password
    (revoked by close()); HTTP Digest with a web-services user (confd refuses Basic).

    Time: each connection waits ``connect_timeout`` seconds at most, each answer ``timeout``;
    and the server may leave the client waiting ``deadline`` seconds at most in all, every
    request, retry and pause between retries counted (the token request too), until it answers
    again: then it is ConfdNoAnswer (unreachable). ``abort()`` stops it from another thread.
    """

    def __init__(self, host, port=None, auth_port=None, token=None, username=None,
                 password=None, auth_method='token', auth_backend=None,
                 token_expiration=3600, validate_certs=True, ca_path=None, timeout=300,
                 retries=3, backoff=0.5, sleep=None, session=None, connect_timeout=10,
                 deadline=300, clock=time.monotonic, platform=None, tenant=None,
                 api_prefix=None):
        if requests is None:
            raise ConfdError('the python "requests" library is required on the Ansible '
                             'controller: pip install requests (%s)' % REQUESTS_IMPORT_ERROR)
        if not token and not (username and password):
            raise ConfdError('no credentials: set token, or username and password '
                             '(a web-services user or a web-interface admin)')
        self.host = host
        # platform 'auto': found by the first request (the /infos probe, find_platform()).
        self._platform = None if platform == 'auto' else platform_named(platform or 'xivo')
        self._where = (port, auth_port, api_prefix)     # as configured (None: the default)
        self._probe_error = None
        if self._platform is not None:
            self._check_auth_method(auth_method)
        endpoints = (self._platform or platform_named('xivo')).endpoints(
            host, port, auth_port, api_prefix)
        check_connection_numbers(port=endpoints.port, auth_port=endpoints.auth_port,
                                 timeout=timeout, retries=retries,
                                 token_expiration=token_expiration,
                                 connect_timeout=connect_timeout, deadline=deadline)
        self._use(endpoints)
        # A tenant uuid is sent as it is; a name or slug is looked up once authenticated.
        self._tenant_wanted = (tenant or '').strip() or None
        self._tenant_known = not self._tenant_wanted
        self._tenant = None
        self._own_tenant = False    # in_own_tenant(): no Wazo-Tenant for a while
        self.username = username
        self._password = password
        self.auth_method = auth_method
        self.auth_backend = auth_backend
        self.token_expiration = token_expiration
        self._given_token = token
        self._token = token
        self._token_is_ours = False
        # requests ignores Session.verify when REQUESTS_CA_BUNDLE is set: pass it per request.
        self.verify = ca_path if (ca_path and validate_certs) else bool(validate_certs)
        if self.verify is True:
            # The CA bundle variables requests would apply to each request (trust_env), once.
            self.verify = os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get(
                'CURL_CA_BUNDLE') or True
        if self.verify is False:
            quiet_unverified_warning()
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.deadline = float(deadline)
        self.retries = max(0, retries)
        self.backoff = backoff
        self._clock = clock
        self._wake = threading.Event()
        self._sleep = sleep or self._wake.wait     # a pause that abort() ends
        self._silent = 0.0          # seconds waited on this server since it last answered
        self._waiting = None        # (what, port, since) while a request waits for an answer
        self._aborted = None        # why the run stopped (abort())
        self.abort_grace = ABORT_GRACE
        self._abort_until = None
        self._connections = weakref.WeakSet()   # what abort() cuts
        self.session = session or requests.Session()
        if session is None:
            self.session.mount('https://', _tracking_adapter(self._connections))
        # The environment's proxies (HTTPS_PROXY, NO_PROXY...) are looked up once per server
        # and port rather than by requests on every request (it walks the whole environment
        # each time); .netrc is not consulted: only the credentials given here are sent.
        self.session.trust_env = False
        self._proxies = {}
        self.events = []  # what went wrong and was retried: shown as warnings
        self._digest = None
        if not token and auth_method == 'digest':
            self._digest = HTTPDigestAuth(username, password)

    # -- platform and tenant ----------------------------------------------------------------

    @property
    def platform(self):
        """The server's Platform; with platform 'auto', asking finds it (find_platform)."""
        if self._platform is None:
            if self._probe_error is not None:
                raise self._probe_error     # once: a server that did not answer is not asked again
            try:
                self.find_platform()
            except ConfdError as exc:
                self._probe_error = exc
                raise
        return self._platform

    @property
    def tenant_option(self):
        """The tenant as the options give it (uuid, name or slug; None: the credentials'
        own), without asking the server."""
        return self._tenant_wanted

    @property
    def reached(self):
        """'host:port' of the confd this client talks to, once its platform is known (None
        before: with platform 'auto', the port is the probe's to find)."""
        return None if self._platform is None else '%s:%s' % (self.host, self.port)

    def _use(self, endpoints):
        self.port, self.auth_port = endpoints.port, endpoints.auth_port
        # The API roots: a path such as /users/import is appended to base_url.
        self.base_url, self.auth_url = endpoints.confd, endpoints.auth

    def _check_auth_method(self, auth_method):
        if auth_method not in self._platform.auth_methods:
            raise ConfdError('auth_method %s cannot be used with %s at %s: it accepts %s only%s'
                             % (auth_method, self._platform.title, self.host,
                                ' or '.join(self._platform.auth_methods),
                                ' (HTTP Digest was removed in Wazo 18.14-19.07): use '
                                'auth_method token with a wazo-auth user'
                                if auth_method == 'digest' else ''))

    def find_platform(self):
        """Platform 'auto': find where confd answers and what it is. Each place of
        probe_layouts() in turn (the configured port first) is asked GET <confd>/infos; a
        place that answers a 404 or a page that is not confd's goes to the next, and so does
        one that cannot be reached when the next is on another port (else that error is
        raised); a redirect is refused. confd answers: its /infos (with the credentials when
        it asks for them) says the platform (``wazo_version`` -> Wazo); when the credentials
        may not read it, its refusal does (a Digest challenge: XiVO). No tenant is sent."""
        port, auth_port, prefix = self._where
        tried = []
        places = probe_layouts(port, prefix)
        for index, (layout, probe_port, probe_prefix) in enumerate(places):
            guess = platform_named(layout or 'xivo')
            self._use(guess.endpoints(self.host, probe_port, auth_port, probe_prefix))
            url = self.base_url + '/infos'
            try:
                # HTTP Digest answers its challenge itself: only a XiVO confd sends one.
                response = self._send('GET', url, True, 'platform probe (GET /infos)',
                                      headers=self._probe_headers(), auth=self._digest)
            except (ConfdUnreachable, ConfdPlainHttp) as exc:
                if all(place[1] == probe_port for place in places[index + 1:]):
                    if tried:   # the places asked before: the last refusal is not the whole story
                        exc.args = ('%s (asked before: %s)' % (exc.args[0], '; '.join(tried)),) \
                            + exc.args[1:]
                    raise   # the next places are on this port: they cannot answer either
                tried.append('%s: %s' % (url, _short(exc)))
                continue
            _refuse_redirect(response, self.host, self.port, 'platform probe (GET /infos)')
            body = _decode_body(response)
            if response.status_code == 401:
                # A refusal already tells them apart (a Digest challenge: confd 16.x); /infos
                # read with the credentials confirms it when they may read it.
                self._platform = platform_named(guess_from_refusal(layout, response.headers))
                self._check_auth_method(self.auth_method)
                self._use(self._platform.endpoints(self.host, probe_port, auth_port,
                                                   probe_prefix))
                if self._digest is None and not self._given_token:
                    self.login()
                    response = self._send('GET', url, True, 'platform probe (GET /infos)',
                                          headers=self._probe_headers())
                    body = _decode_body(response)
                if response.status_code in (401, 403):
                    return self._platform   # the requests that follow say what is refused
            if response.status_code != 200 or not isinstance(body, dict) or \
                    'uuid' not in body:
                tried.append('%s: answered %s%s' % (url, response.status_code, '' if isinstance(
                    body, dict) else ' (not confd)'))
                continue
            self._platform = platform_named(probe(body))
            self._check_auth_method(self.auth_method)
            self._use(self._platform.endpoints(self.host, probe_port, auth_port, probe_prefix))
            return self._platform
        raise ConfdUnreachable(
            'cannot find confd on %s (platform auto): %s. Set port (and api_prefix for a '
            'proxy), or platform.' % (self.host, '; '.join(tried)))

    def _probe_headers(self):
        """Headers of the probe: the token only (each platform reads X-Auth-Token)."""
        headers = {'Accept': 'application/json'}
        if self._token:
            headers['X-Auth-Token'] = self._token
        return headers

    @property
    def tenant(self):
        """The tenant uuid the requests act in (None: the credentials' own); asking settles
        it (find_tenant)."""
        return None if self._own_tenant else self.find_tenant()

    def find_tenant(self):
        """The tenant every request acts in, once: a uuid as given; a name or slug looked up
        in the authentication service's tenant list (one that matches, or an error naming
        the others). A platform without tenants ignores the option, with a warning."""
        if self._tenant_known:
            return self._tenant
        self._tenant_known = True
        wanted = self._tenant_wanted
        if not self.platform.has_tenants:
            self.events.append('tenant %r ignored: %s at %s has no tenants'
                               % (wanted, self.platform.title, self.host))
            return None
        if UUID.match(wanted):
            self._tenant = wanted.lower()
            return self._tenant
        self.login()
        what = '%s tenant list' % self.platform.auth_name
        response = self._send('GET', self.auth_url + '/tenants', True, what, port=self.auth_port,
                              headers=self.platform.headers(self._token),
                              params={'search': wanted})
        _refuse_redirect(response, self.host, self.auth_port, what)
        if response.status_code in (401, 403):
            # The body of a refusal may quote the token: never shown.
            raise ConfdAuthRefused(
                '%s at %s:%s refused the tenant list (%s): finding tenant %r by name needs '
                'the ACL %s; or give the tenant\'s uuid'
                % (self.platform.auth_name, self.host, self.auth_port, response.status_code,
                   wanted, self.platform.acl('tenants.read')))
        body = _decode_body(response)
        if response.status_code != 200 or not isinstance(body, dict) or \
                not isinstance(body.get('items'), list):
            raise ConfdError('%s at %s:%s answered %s to the tenant list: %s'
                             % (self.platform.auth_name, self.host, self.auth_port,
                                response.status_code, describe_error_body(body, response.text)))
        found = self.platform.find_tenant(body['items'], wanted)
        if len(found) != 1:
            raise ConfdError(
                'tenant %r %s on %s: give its uuid, or its exact name or slug'
                % (wanted, 'names no tenant that the credentials can see (by name or slug)'
                   if not found else 'is ambiguous: %s match' % ', '.join(
                       '%s (%s)' % (t.get('name'), t['uuid']) for t in found), self.host))
        self._tenant = found[0]['uuid']
        return self._tenant

    # -- authentication -------------------------------------------------------------------

    @property
    def secrets(self):
        """The credential strings this client holds, for scrubbing texts."""
        return set(s for s in (self._password, self._given_token, self._token) if s)

    def login(self):
        """Get a token from xivo-auth when the configuration asks for one."""
        if self._token or self._digest is not None:
            return
        auth_name = self.platform.auth_name
        what = '%s token request' % auth_name
        request = self.platform.token_request(self.auth_backend, self.token_expiration)
        response = self._send(
            'POST', self.auth_url + '/token', idempotent=True, what=what, port=self.auth_port,
            json=request, auth=HTTPBasicAuth(self.username, self._password))
        _refuse_redirect(response, self.host, self.auth_port, what)
        if response.status_code == 200:
            body = _decode_body(response) or {}
            token = (body.get('data') or {}).get('token')
            if token:
                self._token = token
                self._token_is_ours = True
                return
        if response.status_code in (401, 403):
            raise ConfdCredentialsRefused(
                '%s at %s:%s refused the credentials of user %r%s (%s). %s'
                % (auth_name, self.host, self.auth_port, self.username,
                   ' for backend %r' % request['backend'] if request.get('backend') else '',
                   response.status_code, self.platform.credentials_hint))
        raise ConfdError('%s at %s:%s answered %s to the token request: %s'
                         % (auth_name, self.host, self.auth_port, response.status_code,
                            describe_error_body(_decode_body(response), response.text)))

    def close(self):
        """Revoke the token we created (never a token the user gave) and close the session."""
        try:
            if self._token_is_ours and self._token:
                url = '%s/token/%s' % (self.auth_url, self._token)
                # A server that did not answer, or a run that was interrupted, gets a short try.
                short = self._aborted is not None or self._silent > 0
                limit = min(self.timeout, ABORT_GRACE if short else 30)
                try:
                    self.session.delete(url, verify=self.verify, allow_redirects=False,
                                        timeout=(min(self.connect_timeout, limit), limit),
                                        proxies=self._proxies_for(self.auth_url))
                except requests.RequestException:
                    pass  # the token expires by itself; nothing else to do
                self._token = None
                self._token_is_ours = False
        finally:
            self.session.close()

    # -- time and interruption ------------------------------------------------------------

    def abort(self, reason):
        """Stop talking to this server, from any thread (or a signal handler): a pause between
        retries ends at once; the request in flight and the requests after it (to settle what
        was in flight, release a lock, revoke the token) share ``abort_grace`` seconds, then the
        connections are cut (their sockets shut down) and any other request is refused with
        ConfdInterrupted. An answer that comes within the grace keeps the report exact."""
        if self._aborted is not None:
            return
        self._abort_until = self._clock() + self.abort_grace
        self._aborted = reason
        self._wake.set()
        timer = threading.Timer(self.abort_grace, self.cut)
        timer.daemon = True
        timer.start()

    def cut(self):
        """Cut every connection of this client now, even one in its TLS handshake."""
        for connection in list(self._connections):
            handle = connection.cut_handle
            try:
                if handle is not None:
                    handle.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass    # closed already

    @contextlib.contextmanager
    def cleanup(self):
        """Requests that undo what the run set up on the server (releasing its lock there):
        after an interruption, or once the deadline passed, they still get ``abort_grace``
        seconds of their own (retries included), then the usual limits come back."""
        saved = self._abort_until, self._silent
        if self._aborted is not None:
            self._abort_until = self._clock() + self.abort_grace
        self._silent = min(self._silent, max(0.0, self.deadline - self.abort_grace))
        try:
            yield self
        finally:
            self._abort_until = saved[0] if self._aborted is not None else self._abort_until
            self._silent = max(self._silent, saved[1])

    def waiting_for(self):
        """(what, 'host:port', seconds) of the request waiting for an answer now, or None;
        the seconds since the server last answered (earlier tries of the request included)."""
        waiting = self._waiting
        if waiting is None:
            return None
        what, port, since = waiting
        return what, '%s:%s' % (self.host, port), self._silent + self._clock() - since

    def _timeouts(self, what, port):
        """(connect, read) timeouts of the next try: what the deadline leaves at most; after
        abort(), what the grace leaves."""
        if self._aborted is not None:
            left = self._abort_until - self._clock()
            if left <= 0:
                raise ConfdInterrupted('%s to %s:%s not sent: %s'
                                       % (what, self.host, port, self._aborted))
        else:
            left = self.deadline - self._silent
            if left <= 0:
                raise self._no_answer(what, port)
        return min(self.connect_timeout, left), min(self.timeout, left)

    def _no_answer(self, what, port):
        return ConfdNoAnswer('no answer from %s:%s within %ss (%s; deadline: the longest wait '
                             'for a server, retries included)'
                             % (self.host, port, _seconds(self.deadline), what))

    # -- requests ---------------------------------------------------------------------------

    def _auth_headers(self):
        return self.platform.headers(self._token, self.tenant)

    @contextlib.contextmanager
    def in_own_tenant(self):
        """The requests made inside act in the credentials' own tenant (no Wazo-Tenant): a
        list of wazo-auth then covers every tenant they can see, not the tenant of the task."""
        self.find_tenant()      # settled first, with the task's tenant
        own, self._own_tenant = self._own_tenant, True
        try:
            yield self
        finally:
            self._own_tenant = own

    def _request(self, method, url, timeout=None, **kwargs):
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
        """Wait before another try of an idempotent request, and say so (a retry is a warning).
        The pause counts in the deadline, and never goes beyond it."""
        self.events.append('%s to %s: %s; tried again (%d of %d)'
                           % (what, self.host, why, attempt, self.retries))
        pause = max(0.0, min(self.backoff * 2 ** (attempt - 1), self.deadline - self._silent))
        self._silent += pause
        self._sleep(pause)

    def _send(self, method, url, idempotent, what, port=None, **kwargs):
        """Send one request; retry only idempotent ones, within the deadline; map transport
        errors to messages."""
        port = port or self.port
        attempt = 0
        while True:
            timeouts = self._timeouts(what, port)
            started = self._clock()
            self._waiting = (what, port, started)
            try:
                response = self._request(method, url, timeout=timeouts, **kwargs)
            except requests.exceptions.RequestException as exc:
                self._silent += self._clock() - started
                if self._aborted is not None:
                    raise self._cut_short(idempotent, what, port) from exc
                if not isinstance(exc, requests.exceptions.ConnectionError) and not \
                        isinstance(exc, requests.exceptions.Timeout):
                    raise
                why = self._failure(exc, idempotent, what, port, attempt,
                                    self._clock() - started)
                attempt += 1
                self._retry(attempt, what, why)
                continue
            finally:
                self._waiting = None
            self._silent = 0.0
            if idempotent and response.status_code in RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                self._retry(attempt, what, 'answered %s' % response.status_code)
                continue
            return response

    def _cut_short(self, idempotent, what, port):
        """The request in flight when the run was interrupted: a read is simply stopped; an
        import may have reached confd, which goes on with it."""
        if idempotent:
            return ConfdInterrupted('%s to %s:%s stopped: %s'
                                    % (what, self.host, port, self._aborted))
        return ConfdUncertain('the %s to %s:%s was cut short (%s): confd may have received it '
                              'and may still import it' % (what, self.host, port, self._aborted),
                              timed_out=True)

    def _failure(self, exc, idempotent, what, port, attempt, waited):
        """Why a failed try is worth another (a retry), or raise the error that says what
        happened."""
        retry = idempotent and attempt < self.retries
        if isinstance(exc, requests.exceptions.SSLError):
            if _plain_http(exc):
                raise ConfdPlainHttp(
                    'cannot talk TLS to %s:%s (%s): the server answers in plain HTTP, not '
                    'HTTPS. Check the port (%s). Nothing was sent.'
                    % (self.host, port, what, self._platform.ports_hint if self._platform
                       else 'XiVO serves confd on HTTPS 9486, Wazo 20.07 and later on 443 '
                       'under /api'))
            if not _certificate_problem(exc):
                # The TLS handshake broke (reset, EOF): the server is not answering; the
                # request was not sent, so a read may be retried and nothing is uncertain.
                if retry:
                    return 'the TLS handshake was cut'
                raise ConfdUnreachable(
                    'cannot connect to %s:%s (%s): the TLS handshake was cut: %s. Check that '
                    'the service is running on that port.' % (self.host, port, what, _short(exc)))
            raise ConfdError(
                'TLS verification failed for https://%s:%s (%s): %s. Set ca_path to the '
                'CA certificate that signed the server certificate (XiVO: '
                '/usr/share/xivo-certs/server.crt for the self-signed default), or '
                'validate_certs: false (not recommended). Nothing was sent.'
                % (self.host, port, what, _short(exc)))
        if isinstance(exc, requests.exceptions.Timeout) or _timed_out(exc):
            connecting = isinstance(exc, requests.exceptions.ConnectTimeout) or (
                not isinstance(exc, requests.exceptions.Timeout))
            limit = _seconds(round(waited, 1))
            if self._silent >= self.deadline - 0.05:
                if idempotent:
                    raise self._no_answer(what, port)
                raise ConfdUncertain(
                    'no answer to the %s from %s:%s within %ss (the deadline): confd may '
                    'still be importing it' % (what, self.host, port, _seconds(self.deadline)),
                    timed_out=True)
            if retry:
                return 'no answer within %ss' % limit
            if connecting:
                raise ConfdUnreachable('cannot connect to %s:%s (%s): connection timed out '
                                       'after %ss' % (self.host, port, what,
                                                      _seconds(self.connect_timeout)))
            raise ConfdUncertain('%s to %s:%s timed out after %ss'
                                 % (what, self.host, port, _seconds(self.timeout)),
                                 timed_out=True)
        # A refused connection is immediate and clear: waiting would only delay the
        # report of a server that is down.
        if retry and not _refused(exc):
            return 'the connection was lost'
        # A non-idempotent request may have reached the server before the connection
        # broke: the caller must look at the server before doing anything else.
        if not idempotent and not _refused(exc):
            raise ConfdUncertain('the connection to %s:%s was lost during the %s: %s'
                                 % (self.host, port, what, _short(exc)))
        raise ConfdUnreachable('cannot connect to %s:%s (%s): %s. Check the host, the '
                               'port and that the service is running.'
                               % (self.host, port, what, _short(exc)))

    def call(self, method, path, idempotent, what, headers=None, acl=None, api='confd',
             **kwargs):
        """Call confd (or, with api='auth', its authentication service) with the configured
        authentication and return a ConfdResponse; ``path`` is relative to the API's root.

        A 401 with a token we created means it expired: get a new one and try once more
        (confd authenticates before reading the body, so nothing was imported).
        """
        for attempt in range(2):
            self.login()        # finds the platform first when it is 'auto'
            self.find_tenant()
            url = (self.auth_url if api == 'auth' else self.base_url) + path
            port = self.auth_port if api == 'auth' else self.port
            request_headers = dict(headers or {})
            request_headers.update(self._auth_headers())
            response = self._send(method, url, idempotent, what, port=port,
                                  headers=request_headers, auth=self._digest, **kwargs)
            if response.status_code == 401 and self._token_is_ours and attempt == 0:
                self._token = None
                self._token_is_ours = False
                continue
            break
        if response.status_code in (401, 403):
            raise ConfdAuthRefused(self._auth_failure_message(response.status_code, what, acl))
        _refuse_redirect(response, self.host, port, what)
        return ConfdResponse(response.status_code, _decode_body(response), response.text,
                             response.headers.get('Content-Type', ''))

    def _auth_failure_message(self, status, what, acl=None):
        if acl and self._digest is None:
            return ('confd at %s:%s refused the %s (%s): the credentials may lack the ACL %s '
                    '(confd answers 401, not 403, for a missing ACL), or have expired.'
                    % (self.host, self.port, what, status, acl))
        if self._digest is not None:
            how = ('HTTP Digest as web-services user %r was refused: check the login, the '
                   'password and that the user exists in Configuration > Web Services Access'
                   % self.username)
        elif self._given_token:
            how = ('the given token was refused: it may have expired, or %s'
                   % self.platform.access_hint())
        else:
            how = ('the token of user %r was refused: %s'
                   % (self.username, self.platform.access_hint()))
        return 'confd at %s:%s refused the %s (%s): %s.' % (
            self.host, self.port, what, status, how)

    # -- the API ----------------------------------------------------------------------------

    def export_users(self):
        """(headers, users): every user of the server as export rows (dicts of strings)."""
        # The platform's exact Accept value: confd's negotiation picks CSV for broader ones.
        response = self.call('GET', '/users/export', idempotent=True, what='user export',
                             headers={'Accept': self.platform.export_accept})
        if response.status != 200 or not isinstance(response.body, dict):
            raise ConfdError('confd at %s:%s answered %s to the user export: %s'
                             % (self.host, self.port, response.status,
                                describe_error_body(response.body, response.text)))
        content = response.body.get('content') or []
        headers = list(response.body.get('headers') or (content[0].keys() if content else []))
        return headers, [dict((k, '' if v is None else str(v)) for k, v in row.items())
                         for row in content]

    def read(self, path, what, acl, params=None):
        """GET one confd resource (JSON); a refusal names the ACL the read needs."""
        return self.call('GET', path, idempotent=True, what=what, acl=acl,
                         params=params, headers={'Accept': 'application/json'})

    def list(self, collection, acl, **params):
        """(total, items) of GET /1.1/<collection> with exact-match filters and paging
        (docs/server-behaviour.md#list-routes)."""
        what = 'list of %s' % collection
        response = self.read('/' + collection, what, acl, params=params or None)
        body = response.body
        if response.status != 200 or not isinstance(body, dict) \
                or not isinstance(body.get('items'), list):
            raise ConfdError('confd at %s:%s answered %s to the %s: %s'
                             % (self.host, self.port, response.status, what,
                                describe_error_body(body, response.text)))
        total = body.get('total')
        return (total if isinstance(total, int) else len(body['items'])), body['items']

    def create_call_permission(self, body):
        """POST /1.1/callpermissions (never retried: a lost answer may hide a creation, which
        the caller settles by reading the list); returns the ConfdResponse."""
        return self.call('POST', '/callpermissions', idempotent=False,
                         what='call permission creation',
                         acl=self.platform.acl('callpermission.create'),
                         json=body, headers={'Accept': 'application/json'})

    def delete_call_permission(self, perm_id):
        """DELETE /1.1/callpermissions/<id> (204; 404 once it is gone, so a retry is safe)."""
        return self.call('DELETE', '/callpermissions/%d' % int(perm_id),
                         idempotent=True, what='call permission deletion',
                         acl=self.platform.acl('callpermission.delete', id=int(perm_id)),
                         headers={'Accept': 'application/json'})

    def import_csv(self, csv_bytes, update=False):
        """POST (create) or PUT (update) one CSV body; returns the ConfdResponse.

        Never retried here: an import that may have committed must be checked by re-reading
        the export (ConfdUncertain), not sent again.
        """
        if update and not self.platform.update_by_import:
            raise ConfdError('%s cannot update users by import (PUT /users/import)'
                             % self.platform.title)
        return self.call('PUT' if update else 'POST', '/users/import',
                         idempotent=False, what='user import',
                         data=csv_bytes,  # bytes: a sized body (confd ignores chunked ones)
                         headers={'Content-Type': 'text/csv; charset=utf-8',
                                  'Accept': 'application/json'})


def _seconds(value):
    """A number of seconds as written in the options: 300, 0.5."""
    return '%g' % value


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


def _tracking_adapter(connections):
    """An HTTPS adapter whose connections record themselves in ``connections`` (a WeakSet),
    each with a second descriptor of its socket, so that abort() can cut a request in flight,
    even in its TLS handshake (TLS takes over the socket's descriptor when it starts)."""

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


def _short(exc):
    text = str(exc)
    return text if len(text) < 300 else text[:300] + '...'


def _refuse_redirect(response, host, port, what):
    """A 3xx is never followed: the token would go to another host, maybe in clear text."""
    if 300 <= response.status_code < 400:
        location = response.headers.get('Location') or '(no Location header)'
        raise ConfdRedirect(sanitize_message(
            '%s:%s answered the %s with a redirect (%s) to %s: redirects are never followed '
            '(the credentials would be sent there). Point host/port at the confd server itself.'
            % (host, port, what, response.status_code, location), 600))


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
