# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant a confd client's requests act in: the ``tenant`` option (a uuid, or a name or
slug found in the authentication service's tenant list), or the credentials' own.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import contextlib

from ansible_collections.xivo.confd.plugins.module_utils.confd_answers import (
    decode_body, describe_error_body, refuse_redirect)
from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import (
    ConfdAuthRefused, ConfdError)
from ansible_collections.xivo.confd.plugins.module_utils.platform import UUID


class TenantChoice:
    """The tenant of one client, settled once (``settle``). ``send`` is the client's
    Transport.send with the port named in messages."""

    def __init__(self, wanted, send):
        # A tenant uuid is sent as it is; a name or slug is looked up once authenticated.
        self.wanted = (wanted or '').strip() or None
        self._send = send
        self._known = not self.wanted
        self._uuid = None
        self.own = False    # own_tenant(): no tenant sent for a while

    @contextlib.contextmanager
    def own_tenant(self):
        """The requests made inside act in the credentials' own tenant."""
        own, self.own = self.own, True
        try:
            yield
        finally:
            self.own = own

    def settle(self, server, credentials, events):
        """The tenant uuid every request acts in (None: the credentials' own), once: a uuid
        as given; a name or slug looked up in the tenant list of the authentication service
        of ``server`` (one that matches, or an error naming the others). A platform without
        tenants ignores the option, with a warning appended to ``events``."""
        if self._known:
            return self._uuid
        self._known = True
        wanted, platform = self.wanted, server.platform
        if not platform.has_tenants:
            events.append('tenant %r ignored: %s at %s has no tenants'
                          % (wanted, platform.title, server.host))
            return None
        if UUID.match(wanted):
            self._uuid = wanted.lower()
            return self._uuid
        credentials.login(server)
        self._uuid = self._look_up(server, credentials.token)
        return self._uuid

    def _look_up(self, server, token):
        platform, where = server.platform, '%s:%s' % (server.host, server.auth_port)
        what = '%s tenant list' % platform.auth_name
        response = self._send('GET', server.auth_url + '/tenants', True, what, server.auth_port,
                              headers=platform.headers(token), params={'search': self.wanted})
        refuse_redirect(response, server.host, server.auth_port, what)
        if response.status_code in (401, 403):
            # The body of a refusal may quote the token: never shown.
            raise ConfdAuthRefused(
                '%s at %s refused the tenant list (%s): finding tenant %r by name needs '
                'the ACL %s; or give the tenant\'s uuid'
                % (platform.auth_name, where, response.status_code, self.wanted,
                   platform.acl('tenants.read')))
        body = decode_body(response)
        if response.status_code != 200 or not isinstance(body, dict) or \
                not isinstance(body.get('items'), list):
            raise ConfdError('%s at %s answered %s to the tenant list: %s'
                             % (platform.auth_name, where, response.status_code,
                                describe_error_body(body, response.text)))
        found = platform.find_tenant(body['items'], self.wanted)
        if len(found) != 1:
            raise ConfdError(
                'tenant %r %s on %s: give its uuid, or its exact name or slug'
                % (self.wanted, 'names no tenant that the credentials can see (by name or slug)'
                   if not found else 'is ambiguous: %s match' % ', '.join(
                       '%s (%s)' % (t.get('name'), t['uuid']) for t in found), server.host))
        return found[0]['uuid']
