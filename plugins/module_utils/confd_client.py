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
import re
import time

try:
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth
except ImportError:  # pragma: no cover - depends on the controller's packages (Transport says)
    HTTPBasicAuth = HTTPDigestAuth = None

from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import (
    ConfdAuthRefused, ConfdCredentialsRefused, ConfdError, ConfdInterrupted, ConfdNoAnswer,
    ConfdPlainHttp, ConfdRedirect, ConfdUncertain, ConfdUnreachable)
from ansible_collections.xivo.confd.plugins.module_utils.confd_transport import (
    ABORT_GRACE, REQUESTS_IMPORT_ERROR, RETRY_STATUSES, Transport, proxies_possible, quiet_unverified_warning,
    short_error)
from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    CHOICES as PLATFORM_CHOICES, UUID, guess_from_refusal, platform_named, probe,
    probe_layouts)
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

# The errors and the transport's names, as the plugins import them from here.
__all__ = (
    'ABORT_GRACE', 'AUTH_METHODS', 'CONNECTION_ARGSPEC', 'ConfdAuthRefused', 'ConfdClient',
    'ConfdCredentialsRefused', 'ConfdError', 'ConfdInterrupted', 'ConfdNoAnswer',
    'ConfdPlainHttp', 'ConfdRedirect', 'ConfdResponse', 'ConfdUncertain', 'ConfdUnreachable',
    'RETRY_STATUSES', 'check_connection_numbers', 'describe_error_body', 'proxies_possible',
    'quiet_unverified_warning')

AUTH_METHODS = ('token', 'digest')


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
        if REQUESTS_IMPORT_ERROR is not None:
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
        self.transport = Transport(
            host, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
            retries=retries, backoff=backoff, sleep=sleep, session=session,
            connect_timeout=connect_timeout, deadline=deadline, clock=clock,
            ports_hint=lambda: self._platform.ports_hint if self._platform else None)
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
                tried.append('%s: %s' % (url, short_error(exc)))
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
                self.transport.delete_quietly('%s/token/%s' % (self.auth_url, self._token))
                self._token = None
                self._token_is_ours = False
        finally:
            self.transport.close()

    # -- the transport's state, as plugins and tests read it ----------------------------------

    @property
    def session(self):
        return self.transport.session

    @property
    def events(self):
        """What went wrong and was retried: shown as warnings."""
        return self.transport.events

    @property
    def verify(self):
        return self.transport.verify

    @property
    def timeout(self):
        return self.transport.timeout

    @property
    def connect_timeout(self):
        return self.transport.connect_timeout

    @property
    def deadline(self):
        return self.transport.deadline

    @property
    def retries(self):
        return self.transport.retries

    @property
    def abort_grace(self):
        return self.transport.abort_grace

    @abort_grace.setter
    def abort_grace(self, seconds):
        self.transport.abort_grace = seconds

    def abort(self, reason):
        """Stop talking to this server, from any thread (Transport.abort)."""
        self.transport.abort(reason)

    def cut(self):
        """Cut every connection of this client now (Transport.cut)."""
        self.transport.cut()

    @contextlib.contextmanager
    def cleanup(self):
        """Requests that undo what the run set up on the server (Transport.cleanup)."""
        with self.transport.cleanup():
            yield self

    def waiting_for(self):
        """(what, 'host:port', seconds) of the request waiting for an answer now, or None."""
        return self.transport.waiting_for()

    # -- requests ---------------------------------------------------------------------------

    def _send(self, method, url, idempotent, what, port=None, **kwargs):
        """Transport.send; the port named in messages is confd's unless told."""
        return self.transport.send(method, url, idempotent, what, port or self.port, **kwargs)

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


def _refuse_redirect(response, host, port, what):
    """A 3xx is never followed: the token would go to another host, maybe in clear text."""
    if 300 <= response.status_code < 400:
        location = response.headers.get('Location') or '(no Location header)'
        raise ConfdRedirect(sanitize_message(
            '%s:%s answered the %s with a redirect (%s) to %s: redirects are never followed '
            '(the credentials would be sent there). Point host/port at the confd server itself.'
            % (host, port, what, response.status_code, location), 600))
