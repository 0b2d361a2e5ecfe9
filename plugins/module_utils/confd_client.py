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
import time

from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.xivo.confd.plugins.module_utils.confd_answers import (
    ConfdResponse, confd_response, describe_error_body, refuse_redirect)
from ansible_collections.xivo.confd.plugins.module_utils.confd_auth import Credentials
from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import (
    ConfdAuthRefused, ConfdCredentialsRefused, ConfdError, ConfdInterrupted, ConfdNoAnswer,
    ConfdPlainHttp, ConfdRedirect, ConfdUncertain, ConfdUnreachable)
from ansible_collections.xivo.confd.plugins.module_utils.confd_location import ServerLocation
from ansible_collections.xivo.confd.plugins.module_utils.confd_tenant import TenantChoice
from ansible_collections.xivo.confd.plugins.module_utils.confd_transport import (
    ABORT_GRACE, REQUESTS_IMPORT_ERROR, RETRY_STATUSES, Transport, proxies_possible, quiet_unverified_warning)
from ansible_collections.xivo.confd.plugins.module_utils.platform import CHOICES as PLATFORM_CHOICES

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


class ConfdSession:
    """A session with one confd server and its authentication service, where and as its
    ``platform`` (a Platform or its name; XiVO by default) says: XiVO confd on HTTPS 9486 and
    xivo-auth on 9497 by default. ``call()`` sends one authenticated request.

    It holds the parts of a session: ``server`` (confd_location.ServerLocation: addresses
    and platform, probed with platform 'auto'), ``credentials`` (confd_auth.Credentials: a
    given token, a token from the authentication service for username/password, revoked by
    close(), or HTTP Digest), the tenant (confd_tenant.TenantChoice) and ``transport``
    (confd_transport.Transport: time limits, retries, deadline, abort()).
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
        self.host = host
        self.credentials = Credentials(self._send, token, username, password, auth_method,
                                       auth_backend, token_expiration)
        self.server = ServerLocation(host, platform, self.credentials, self._send, port,
                                     auth_port, api_prefix)
        check_connection_numbers(port=self.server.port, auth_port=self.server.auth_port,
                                 timeout=timeout, retries=retries,
                                 token_expiration=token_expiration,
                                 connect_timeout=connect_timeout, deadline=deadline)
        self._tenant = TenantChoice(tenant, self._send)
        self.transport = Transport(
            host, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
            retries=retries, backoff=backoff, sleep=sleep, session=session,
            connect_timeout=connect_timeout, deadline=deadline, clock=clock,
            ports_hint=lambda: self.server.ports_hint)

    # -- where, as what, in which tenant ------------------------------------------------------

    platform = property(lambda self: self.server.platform,
                        doc="The server's Platform; with platform 'auto', asking finds it.")
    reached = property(lambda self: self.server.reached,
                       doc="'host:port' of confd once the platform is known, else None.")
    port = property(lambda self: self.server.port)
    auth_port = property(lambda self: self.server.auth_port)
    auth_url = property(lambda self: self.server.auth_url)

    @property
    def base_url(self):
        """The root of confd's API (a path such as /users/import is appended to it)."""
        return self.server.base_url

    @base_url.setter
    def base_url(self, url):
        self.server.base_url = url

    @property
    def tenant_option(self):
        """The tenant as the options give it (uuid, name or slug; None: the credentials'
        own), without asking the server."""
        return self._tenant.wanted

    @property
    def tenant(self):
        """The tenant uuid the requests act in (None: the credentials' own); asking settles
        it (find_tenant)."""
        return None if self._tenant.own else self.find_tenant()

    def find_tenant(self):
        """The tenant every request acts in, settled once (TenantChoice.settle)."""
        return self._tenant.settle(self.server, self.credentials, self.events)

    @contextlib.contextmanager
    def in_own_tenant(self):
        """The requests made inside act in the credentials' own tenant (no Wazo-Tenant): a
        list of wazo-auth then covers every tenant they can see, not the tenant of the task."""
        self.find_tenant()      # settled first, with the task's tenant
        with self._tenant.own_tenant():
            yield self

    # -- authentication and the session -------------------------------------------------------

    @property
    def secrets(self):
        """The credential strings this client holds, for scrubbing texts."""
        return self.credentials.secrets

    def login(self):
        """Get a token from the authentication service when the configuration asks for one."""
        self.credentials.login(self.server)

    def close(self):
        """Revoke the token we created (never a token the user gave) and close the session."""
        try:
            self.credentials.revoke(self.transport, self.auth_url)
        finally:
            self.transport.close()

    events = property(lambda self: self.transport.events,
                      doc='What went wrong and was retried: shown as warnings.')
    timeout = property(lambda self: self.transport.timeout)
    deadline = property(lambda self: self.transport.deadline.seconds)

    @property
    def abort_grace(self):
        return self.transport.deadline.abort_grace

    @abort_grace.setter
    def abort_grace(self, seconds):
        self.transport.deadline.abort_grace = seconds

    def abort(self, reason):
        """Stop talking to this server, from any thread (Deadline.abort)."""
        self.transport.deadline.abort(reason)

    @contextlib.contextmanager
    def cleanup(self):
        """Requests that undo what the run set up on the server (Deadline.cleanup)."""
        with self.transport.deadline.cleanup():
            yield self

    def waiting_for(self):
        """(what, 'host:port', seconds) of the request waiting for an answer now, or None."""
        return self.transport.deadline.waiting_for()

    # -- requests ---------------------------------------------------------------------------

    def _send(self, method, url, idempotent, what, port=None, **kwargs):
        """Transport.send; the port named in messages is confd's unless told."""
        return self.transport.send(method, url, idempotent, what, port or self.port, **kwargs)

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
            request_headers.update(self.platform.headers(self.credentials.token, self.tenant))
            response = self._send(method, url, idempotent, what, port=port,
                                  headers=request_headers, auth=self.credentials.digest,
                                  **kwargs)
            if response.status_code != 401 or attempt or not self.credentials.forget_expired():
                break
        if response.status_code in (401, 403):
            raise ConfdAuthRefused(self.credentials.refusal(self.server, response.status_code,
                                                            what, acl))
        refuse_redirect(response, self.host, port, what)
        return confd_response(response)


class ConfdClient(ConfdSession):
    """The one client of the confd and xivo-auth REST APIs: the calls of confd's API the
    plugins make, over a ConfdSession (its arguments)."""

    def server_infos(self):
        """GET /infos (a ConfdResponse): as the platform probe read it with the credentials,
        or read now, once (the server's uuid does not change during a run). A refusal raises
        ConfdError and is not kept."""
        if self.server.infos is None:
            self.server.infos = self.read('/infos', 'read of the server identity (infos)',
                                          'confd.infos.read')
        return self.server.infos

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
