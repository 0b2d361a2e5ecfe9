# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a confd client authenticates: a given token, a token it asks the authentication
service for (and revokes), or HTTP Digest; and what a refusal means.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
What a platform's token request and headers look like is its Platform's
(module_utils/platform.py); where the services answer is the ServerLocation's.
"""

from __future__ import annotations

try:
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth
except ImportError:  # pragma: no cover - depends on the controller's packages (Transport says)
    HTTPBasicAuth = HTTPDigestAuth = None

from ansible_collections.xivo.confd.plugins.module_utils.confd_answers import (
    decode_body, describe_error_body, refuse_redirect)
from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import (
    ConfdCredentialsRefused, ConfdError)


class Credentials:
    """The credentials of one client and the token it holds.

    In order: a given token (used as it is, never revoked); a token from the authentication
    service for username/password (login(), revoked by revoke()); HTTP Digest with a
    web-services user (``auth_method`` digest; confd refuses Basic).
    ``send`` is the client's Transport.send with the port named in messages."""

    def __init__(self, send, token=None, username=None, password=None, auth_method='token',
                 auth_backend=None, token_expiration=3600):
        if not token and not (username and password):
            raise ConfdError('no credentials: set token, or username and password '
                             '(a web-services user or a web-interface admin)')
        self._send = send
        self.username = username
        self._password = password
        self.auth_method = auth_method
        self.auth_backend = auth_backend
        self.token_expiration = token_expiration
        self.given_token = token
        self.token = token
        self.token_is_ours = False
        # HTTP Digest answers each challenge itself (the requests' ``auth``).
        self.digest = HTTPDigestAuth(username, password) \
            if not token and auth_method == 'digest' else None

    @property
    def secrets(self):
        """The credential strings held, for scrubbing texts."""
        return set(s for s in (self._password, self.given_token, self.token) if s)

    def login(self, server):
        """Get a token from the authentication service of ``server`` (a ServerLocation) when
        the configuration asks for one and none is held."""
        if self.token or self.digest is not None:
            return
        platform = server.platform
        what = '%s token request' % platform.auth_name
        request = platform.token_request(self.auth_backend, self.token_expiration)
        response = self._send(
            'POST', server.auth_url + '/token', True, what, server.auth_port,
            json=request, auth=HTTPBasicAuth(self.username, self._password))
        refuse_redirect(response, server.host, server.auth_port, what)
        if response.status_code == 200:
            body = decode_body(response) or {}
            token = (body.get('data') or {}).get('token')
            if token:
                self.token = token
                self.token_is_ours = True
                return
        if response.status_code in (401, 403):
            raise ConfdCredentialsRefused(
                '%s at %s:%s refused the credentials of user %r%s (%s). %s'
                % (platform.auth_name, server.host, server.auth_port, self.username,
                   ' for backend %r' % request['backend'] if request.get('backend') else '',
                   response.status_code, platform.credentials_hint))
        raise ConfdError('%s at %s:%s answered %s to the token request: %s'
                         % (platform.auth_name, server.host, server.auth_port,
                            response.status_code,
                            describe_error_body(decode_body(response), response.text)))

    def forget_expired(self):
        """After a 401: a token we created may have expired; forget it (the next login gets
        another) and say True, so that the request is tried once more."""
        if not self.token_is_ours:
            return False
        self.token = None
        self.token_is_ours = False
        return True

    def revoke(self, transport, auth_url):
        """Revoke the token we created (never a token the user gave)."""
        if self.token_is_ours and self.token:
            transport.delete_quietly('%s/token/%s' % (auth_url, self.token))
            self.token = None
            self.token_is_ours = False

    def refusal(self, server, status, what, acl=None):
        """The message of a 401 or 403 of confd at ``server``: what the credentials may lack."""
        where = '%s:%s' % (server.host, server.port)
        if acl and self.digest is None:
            return ('confd at %s refused the %s (%s): the credentials may lack the ACL %s '
                    '(confd answers 401, not 403, for a missing ACL), or have expired.'
                    % (where, what, status, acl))
        if self.digest is not None:
            how = ('HTTP Digest as web-services user %r was refused: check the login, the '
                   'password and that the user exists in Configuration > Web Services Access'
                   % self.username)
        elif self.given_token:
            how = ('the given token was refused: it may have expired, or %s'
                   % server.platform.access_hint())
        else:
            how = ('the token of user %r was refused: %s'
                   % (self.username, server.platform.access_hint()))
        return 'confd at %s refused the %s (%s): %s.' % (where, what, status, how)
