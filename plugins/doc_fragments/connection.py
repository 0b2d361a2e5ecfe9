# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    # The connection and authentication options of every module that talks to confd.
    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address or name of the XiVO server, as its certificate names it when O(validate_certs=true).
    type: str
    required: true
  port:
    description:
      - HTTPS port of confd.
    type: int
    default: 9486
  auth_port:
    description:
      - HTTPS port of xivo-auth, used to get a token when O(username) and O(password) are given
        with O(auth_method=token).
    type: int
    default: 9497
  auth_method:
    description:
      - How O(username) and O(password) authenticate. Ignored when O(token) is set.
      - C(token) asks xivo-auth for a token (HTTP Basic on O(auth_port), backend O(auth_backend)),
        uses it in C(X-Auth-Token) and revokes it when the task ends, even on failure. A token
        that expires during the task is renewed once.
      - C(digest) uses HTTP Digest with a web-services user (XiVO Configuration > Web Services
        Access). confd refuses HTTP Basic; its nonce is bound to a session cookie, which the
        plugin sends back. Wazo 18.14 and later accept tokens only.
    type: str
    choices: [token, digest]
    default: token
  auth_backend:
    description:
      - xivo-auth backend for O(username) and O(password), C(xivo_service) for a web-services
        user or C(xivo_admin) for a web-interface administrator.
    type: str
    default: xivo_service
  token:
    description:
      - An existing xivo-auth token with the ACLs C(confd.users.export.read),
        C(confd.users.import.create) (and C(confd.users.import.update) for updates).
      - It is never revoked by the plugin. confd answers C(401), not C(403), when the token lacks
        an ACL.
      - Mutually exclusive with O(username) and O(password).
    type: str
  username:
    description:
      - Login of a web-services user (or of a web-interface admin with O(auth_backend=xivo_admin)).
    type: str
  password:
    description:
      - Password of O(username). Never shown in any output.
    type: str
  token_expiration:
    description:
      - Lifetime in seconds of the token requested from xivo-auth.
    type: int
    default: 3600
  validate_certs:
    description:
      - Verify the server certificate. XiVO serves a self-signed certificate by default; rather
        than disabling this, give its CA with O(ca_path) (C(/usr/share/xivo-certs/server.crt) on
        the server). A warning is shown when it is disabled.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA (or the self-signed certificate) that signed the server certificate.
      - Used for confd and xivo-auth, on each request, whatever C(REQUESTS_CA_BUNDLE) says.
    type: path
  timeout:
    description:
      - Seconds to wait for each answer. confd 16.15 imports in one transaction and slows down
        with the request size, so keep batches small rather than this short.
    type: float
    default: 300
  retries:
    description:
      - How many times a failed read (export, token request) is retried with exponential backoff
        on connection errors and C(502)/C(503)/C(504). Imports are never resent blindly.
    type: int
    default: 3
notes:
  - "Runs on the Ansible controller only; the XiVO hosts need neither SSH nor Python, so plays
    use C(gather_facts: false)."
  - Needs the Python library C(requests) on the controller.
  - The options can be set once for all modules with C(module_defaults) and the action group
    C(group/xivo.confd.confd).
'''
