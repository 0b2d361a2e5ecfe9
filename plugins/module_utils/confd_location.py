# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a confd client finds its server: the addresses of confd and of its authentication
service, and the server's platform, as configured or found by asking GET <confd>/infos
(platform 'auto').

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.confd_answers import (
    confd_response, decode_body, refuse_redirect)
from ansible_collections.xivo.confd.plugins.module_utils.confd_errors import (
    ConfdError, ConfdPlainHttp, ConfdUnreachable)
from ansible_collections.xivo.confd.plugins.module_utils.confd_transport import short_error
from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    guess_from_refusal, platform_named, probe, probe_layouts)

PROBE = 'platform probe (GET /infos)'


class ServerLocation:
    """One server as a client reaches it: ``port``/``base_url`` of confd (a path such as
    /users/import is appended to base_url), ``auth_port``/``auth_url`` of its authentication
    service, and its Platform (``platform``: with platform 'auto', asking finds it).

    ``credentials`` (confd_auth.Credentials) authenticate the probe; ``send`` is the
    client's Transport.send with the port named in messages."""

    def __init__(self, host, platform, credentials, send, port=None, auth_port=None,
                 api_prefix=None):
        self.host = host
        self._credentials = credentials
        self._send = send
        # platform 'auto': found by the first request (the /infos probe, find_platform()).
        self.known = None if platform == 'auto' else platform_named(platform or 'xivo')
        self._where = (port, auth_port, api_prefix)     # as configured (None: the default)
        self._probe_error = None
        # GET /infos read with the credentials (a ConfdResponse: by the probe, or by
        # ConfdClient.server_infos), or None: the server's uuid does not change during a run.
        self.infos = None
        if self.known is not None:
            self.check_auth_method()
        self.use((self.known or platform_named('xivo')).endpoints(
            host, port, auth_port, api_prefix))

    def use(self, endpoints):
        """Talk to the services at ``endpoints`` (Platform.endpoints)."""
        self.port, self.auth_port = endpoints.port, endpoints.auth_port
        self.base_url, self.auth_url = endpoints.confd, endpoints.auth

    @property
    def platform(self):
        """The server's Platform; with platform 'auto', asking finds it (find_platform)."""
        if self.known is None:
            if self._probe_error is not None:
                raise self._probe_error     # once: a server that did not answer is not asked again
            try:
                self.find_platform()
            except ConfdError as exc:
                self._probe_error = exc
                raise
        return self.known

    @property
    def reached(self):
        """'host:port' of the confd talked to, once the platform is known (None before: with
        platform 'auto', the port is the probe's to find)."""
        return None if self.known is None else '%s:%s' % (self.host, self.port)

    @property
    def ports_hint(self):
        """Where the platform's services listen, for a message on a wrong port (None while
        the platform is not known)."""
        return self.known.ports_hint if self.known else None

    def check_auth_method(self):
        """Refuse an authentication the platform does not accept, before any credential is
        sent."""
        auth_method, platform = self._credentials.auth_method, self.known
        if auth_method not in platform.auth_methods:
            raise ConfdError('auth_method %s cannot be used with %s at %s: it accepts %s only%s'
                             % (auth_method, platform.title, self.host,
                                ' or '.join(platform.auth_methods),
                                ' (HTTP Digest was removed in Wazo 18.14-19.07): use '
                                'auth_method token with a wazo-auth user'
                                if auth_method == 'digest' else ''))

    def _settle(self, platform_name, place):
        """The probe found ``platform_name`` at ``place`` (layout, port, prefix)."""
        self.known = platform_named(platform_name)
        self.check_auth_method()
        self.use(self.known.endpoints(self.host, place[1], self._where[1], place[2]))

    def find_platform(self):
        """Platform 'auto': find where confd answers and what it is. Each place of
        probe_layouts() in turn (the configured port first) is asked GET <confd>/infos; a
        place that answers a 404 or a page that is not confd's goes to the next, and so does
        one that cannot be reached when the next is on another port (else that error is
        raised); a redirect is refused. confd answers: its /infos (with the credentials when
        it asks for them) says the platform (``wazo_version`` -> Wazo); when the credentials
        may not read it, its refusal does (a Digest challenge: XiVO). No tenant is sent.
        /infos read with the credentials is kept (``infos``): the report's identity."""
        port, auth_port, prefix = self._where
        tried = []
        places = probe_layouts(port, prefix)
        for index, place in enumerate(places):
            layout, probe_port, probe_prefix = place
            self.use(platform_named(layout or 'xivo').endpoints(
                self.host, probe_port, auth_port, probe_prefix))
            url = self.base_url + '/infos'
            try:
                response, credentialed = self._ask(url)
            except (ConfdUnreachable, ConfdPlainHttp) as exc:
                if all(later[1] == probe_port for later in places[index + 1:]):
                    if tried:   # the places asked before: the last refusal is not the whole story
                        exc.args = ('%s (asked before: %s)' % (exc.args[0], '; '.join(tried)),) \
                            + exc.args[1:]
                    raise   # the next places are on this port: they cannot answer either
                tried.append('%s: %s' % (url, short_error(exc)))
                continue
            refuse_redirect(response, self.host, self.port, PROBE)
            body = decode_body(response)
            if response.status_code == 401:
                # A refusal already tells them apart (a Digest challenge: confd 16.x); /infos
                # read with the credentials confirms it when they may read it.
                self._settle(guess_from_refusal(layout, response.headers), place)
                if self._credentials.digest is None and not self._credentials.given_token:
                    self._credentials.login(self)
                    response, credentialed = self._ask(url)
                    body = decode_body(response)
                if response.status_code in (401, 403):
                    return self.known   # the requests that follow say what is refused
            if response.status_code != 200 or not isinstance(body, dict) or \
                    'uuid' not in body:
                tried.append('%s: answered %s%s' % (url, response.status_code, '' if isinstance(
                    body, dict) else ' (not confd)'))
                continue
            self._settle(probe(body), place)
            if credentialed:
                self.infos = confd_response(response)
            return self.known
        raise ConfdUnreachable(
            'cannot find confd on %s (platform auto): %s. Set port (and api_prefix for a '
            'proxy), or platform.' % (self.host, '; '.join(tried)))

    def _ask(self, url):
        """(response, sent with credentials) of GET <url>, with the token only (each platform
        reads X-Auth-Token) or HTTP Digest, which answers its challenge itself: only a XiVO
        confd sends one."""
        headers = {'Accept': 'application/json'}
        token, digest = self._credentials.token, self._credentials.digest
        if token:
            headers['X-Auth-Token'] = token
        response = self._send('GET', url, True, PROBE, self.port, headers=headers, auth=digest)
        return response, bool(token) or digest is not None
