# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The connection and authentication options of every module that talks to confd.
    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address or name of the XiVO or Wazo server, as its certificate names it when
        O(validate_certs=true).
      - If not set, the environment variable C(XIVO_CONFD_HOST) is used.
    type: str
    required: true
  platform:
    description:
      - What the server is. C(xivo) is XiVO (confd 16.x, xivo-auth); C(wazo) is Wazo Platform
        (wazo-confd, wazo-auth, tenants).
      - C(auto) asks the server C(GET /1.1/infos) before anything else and takes C(wazo) when the
        answer holds C(wazo_version) (every Wazo since 17.01), else C(xivo). It looks for confd
        first on O(port) (or 9486 when O(port) is not set) without prefix, then under C(/api) on
        the same port (or on 443); a place that answers a C(404) is skipped, and so is one that
        cannot be reached when the next is on another port (a port that drops packets costs
        O(connect_timeout) per try, O(retries) included). It asks once without credentials, then
        with them when confd asks for them (the token request goes to the authentication service
        of the layout found). Credentials that may not read C(/infos) (ACL C(confd.infos.read))
        leave the refusal to decide (a Digest challenge means XiVO 16.x). The probe sends no
        O(tenant). Setting O(platform) (and O(port)) skips the probe.
      - If not set, the environment variable C(XIVO_CONFD_PLATFORM) is used.
    type: str
    choices: [auto, xivo, wazo]
    default: auto
    version_added: 4.0.0
  port:
    description:
      - HTTPS port of confd.
      - When not set, the platform's default, C(9486) for XiVO and C(443) for Wazo (nginx in front
        of confd and wazo-auth since Wazo 20.07). For a Wazo before 20.07, set C(9486).
      - If not set, the environment variable C(XIVO_CONFD_PORT) is used.
    type: int
  auth_port:
    description:
      - HTTPS port of the authentication service (xivo-auth, wazo-auth), used to get a token when
        O(username) and O(password) are given with O(auth_method=token), and to find O(tenant) by
        name.
      - When not set, C(9497), or the port of confd when the APIs are served under a prefix (Wazo
        20.07 and later, see O(api_prefix)).
      - If not set, the environment variable C(XIVO_CONFD_AUTH_PORT) is used.
    type: int
  api_prefix:
    description:
      - The path a reverse proxy serves the APIs under; confd is then under C(<api_prefix>/confd)
        and the authentication service under C(<api_prefix>/auth) (Wazo 20.07 and later use C(/api),
        giving C(/api/confd/1.1) and C(/api/auth/0.1)). An empty string means the services' own
        ports (XiVO, Wazo before 20.07).
      - When not set, C(/api) for Wazo on any port but 9486, else none. C(/) means none too (the
        role takes an empty variable as not set).
      - If not set, the environment variable C(XIVO_CONFD_API_PREFIX) is used.
    type: str
    version_added: 4.0.0
  tenant:
    description:
      - Wazo only. The tenant the users are imported into, exported from and removed from,
        sent as C(Wazo-Tenant) on every confd request (the probe of O(platform=auto) excepted).
      - A tenant uuid is sent as it is. A name or a slug is looked up, once per task, in
        wazo-auth's tenant list (C(GET /0.1/tenants), ACL C(auth.tenants.read)), ignoring case;
        it must name exactly one tenant the credentials can see.
      - When not set, the token's own tenant (the tenant of the wazo-auth user). A root token
        then works in the master tenant, where the customers' contexts do not exist.
      - Ignored, with a warning, on a XiVO server.
      - If not set, the environment variable C(XIVO_CONFD_TENANT) is used.
    type: str
    version_added: 4.0.0
  auth_method:
    description:
      - How O(username) and O(password) authenticate. Ignored when O(token) is set.
      - C(token) asks xivo-auth for a token (HTTP Basic on O(auth_port), backend O(auth_backend)),
        uses it in C(X-Auth-Token) and revokes it when the task ends, even on failure. A token
        that expires during the task is renewed once.
      - C(digest) uses HTTP Digest with a web-services user (XiVO Configuration > Web Services
        Access). confd refuses HTTP Basic; its nonce is bound to a session cookie, which the
        plugin sends back. Wazo accepts tokens only, so C(digest) is refused there before any
        request (with O(platform=auto), once the probe found Wazo).
      - If not set, the environment variable C(XIVO_CONFD_AUTH_METHOD) is used.
    type: str
    choices: [token, digest]
    default: token
  auth_backend:
    description:
      - xivo-auth backend for O(username) and O(password), C(xivo_service) for a web-services
        user or C(xivo_admin) for a web-interface administrator.
      - When not set, C(xivo_service) on XiVO; on Wazo no backend is sent (wazo-auth 24.08 and
        later ignore it; earlier ones then use C(wazo_user)).
      - If not set, the environment variable C(XIVO_CONFD_AUTH_BACKEND) is used.
    type: str
  token:
    description:
      - An existing xivo-auth or wazo-auth token with the ACLs C(confd.users.export.read),
        C(confd.users.import.create) (and C(confd.users.import.update) for updates on XiVO).
      - It is never revoked by the plugin. confd answers C(401), not C(403), when the token lacks
        an ACL.
      - Mutually exclusive with O(username) and O(password).
      - If not set, the environment variable C(XIVO_CONFD_TOKEN) is used.
    type: str
  username:
    description:
      - Login of a web-services user (or of a web-interface admin with O(auth_backend=xivo_admin));
        on Wazo, of a wazo-auth user whose policy grants the ACLs the task needs (see the
        collection's Wazo guide).
      - If not set, the environment variable C(XIVO_CONFD_USERNAME) is used.
    type: str
  password:
    description:
      - Password of O(username). Never shown in any output.
      - If not set, the environment variable C(XIVO_CONFD_PASSWORD) is used.
    type: str
  token_expiration:
    description:
      - Lifetime in seconds of the token requested from xivo-auth or wazo-auth.
      - If not set, the environment variable C(XIVO_CONFD_TOKEN_EXPIRATION) is used.
    type: int
    default: 3600
  validate_certs:
    description:
      - Verify the server certificate. XiVO serves a self-signed certificate by default; rather
        than disabling this, give its CA with O(ca_path) (C(/usr/share/xivo-certs/server.crt) on
        the server). A warning is shown when it is disabled.
      - If not set, the environment variable C(XIVO_CONFD_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA (or the self-signed certificate) that signed the server certificate.
      - Used for confd and xivo-auth, on each request, whatever C(REQUESTS_CA_BUNDLE) says.
      - If not set, the environment variable C(XIVO_CONFD_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each answer (a positive number). confd 16.15 imports a request in one
        transaction at about 0.2 s per row, and a request that outlives this timeout may still
        commit, so the import sizes its batches to stay well under it.
      - If not set, the environment variable C(XIVO_CONFD_TIMEOUT) is used.
    type: float
    default: 300
  connect_timeout:
    description:
      - Seconds to wait for a connection to be made (TCP and TLS handshake), a positive number.
      - If not set, the environment variable C(XIVO_CONFD_CONNECT_TIMEOUT) is used.
    type: float
    default: 10
  deadline:
    description:
      - The longest time, in seconds, the server may leave the task waiting for an answer; every
        request, retry and pause between retries counts, the xivo-auth token request too, and the
        count starts again when the server answers. Retries never go beyond it.
      - When it passes, the server is reported unreachable (C(no answer from <server> within N s)).
        An import request the server may have received is reported with an unknown outcome, never
        as not imported; the next run reads the server and settles it (it never imports a user
        twice).
      - If not set, the environment variable C(XIVO_CONFD_DEADLINE) is used.
    type: float
    default: 300
  retries:
    description:
      - How many times a failed read (export, token request) is retried with exponential backoff
        on connection errors and C(502)/C(503)/C(504). Imports are never resent blindly.
      - Each retry is reported as a warning.
      - If not set, the environment variable C(XIVO_CONFD_RETRIES) is used.
    type: int
    default: 3
notes:
  - "Runs on the Ansible controller only; the XiVO hosts need neither SSH nor Python, so plays
    use C(gather_facts: false)."
  - Needs the Python library C(requests) on the controller.
  - The options can be set once for all modules with C(module_defaults) and the action group
    C(group/xivo.confd.confd), or through the C(XIVO_CONFD_*) environment variables (what a
    custom credential type of AWX / Automation Platform injects).
'''
