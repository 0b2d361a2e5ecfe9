# -*- coding: utf-8 -*-
"""A scripted Wazo (wazo-confd and wazo-auth) for the connection tests: HTTPS on an ephemeral
port of a 127.x address, in either address layout, answering as wazo-confd 26.08 and wazo-auth
answered in the recorded exchanges (infos, token, tenants, export, 401 bodies that quote the
caller's token). It records every request."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import uuid as uuidlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import trustme

TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
TENANT_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
TENANTS = [{'uuid': TENANT_A, 'name': 'Customer A', 'slug': 'custa', 'parent_uuid': 'm'},
           {'uuid': TENANT_B, 'name': 'Customer B', 'slug': 'custb', 'parent_uuid': 'm'},
           {'uuid': 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'name': 'Customer', 'slug': 'cust',
            'parent_uuid': 'm'},
           # One's slug is the other's name.
           {'uuid': 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', 'name': 'Shared', 'slug': 'shr1',
            'parent_uuid': 'm'},
           {'uuid': 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', 'name': 'shr1', 'slug': 'shr2',
            'parent_uuid': 'm'}]
EXPORT_HEADERS = ['uuid', 'firstname', 'lastname', 'email', 'username', 'exten', 'context']


class FakeWazo:
    """``layout``: 'proxy' (one port, /api/confd and /api/auth, as nginx since 20.07) or
    'direct' (confd and wazo-auth on two ports, no prefix, as before 20.07)."""

    def __init__(self, address, layout='proxy', login='wazo-migration', password='Pw-1234',
                 acls=('#',), ca=None):
        self.address, self.layout = address, layout
        self.login, self.password, self.acls = login, password, set(acls)
        self.tokens = {}            # token -> tenant of its user
        self.revoked = []
        self.requests = []          # (service, method, path, query, headers, body)
        self.uuid = str(uuidlib.uuid4())
        self.users = {TENANT_A: [{'uuid': 'u-a1', 'firstname': 'Alice', 'lastname': 'Smith',
                                  'email': 'asmith@example.com', 'username': 'asmith',
                                  'exten': '1001', 'context': 'ctx-custa-internal-1'}],
                      TENANT_B: []}
        self.ca = ca or trustme.CA()
        self._servers = []

    # -- lifecycle
    def __enter__(self):
        cert = self.ca.issue_cert(self.address)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        services = ['both'] if self.layout == 'proxy' else ['confd', 'auth']
        for service in services:
            server = ThreadingHTTPServer((self.address, 0), self._handler(service))
            server.socket = context.wrap_socket(server.socket, server_side=True)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        return self

    def __exit__(self, *exc):
        for server in self._servers:
            server.shutdown()
            server.server_close()

    @property
    def port(self):
        return self._servers[0].server_address[1]

    @property
    def auth_port(self):
        return self._servers[-1].server_address[1]

    def ca_file(self, directory):
        path = directory / 'wazo-ca.pem'
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)

    def confd_requests(self):
        return [r for r in self.requests if r[0] == 'confd']

    # -- answers
    def _handler(self, service):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _answer(self, status, body=None, content_type='application/json'):
                data = b'' if body is None else (
                    body if isinstance(body, bytes) else json.dumps(body).encode())
                self.send_response(status)
                self.send_header('Content-Type', content_type)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method):
                parts = urlsplit(self.path)
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                path = parts.path
                where = service
                if service == 'both':
                    for name in ('confd', 'auth'):
                        if path.startswith('/api/%s/' % name):
                            where, path = name, path[len('/api/%s' % name):]
                            break
                    else:
                        where = None
                fake.requests.append((where, method, path, parse_qs(parts.query),
                                      dict(self.headers), body))
                if where == 'auth':
                    return self._auth(method, path, parse_qs(parts.query), body)
                if where == 'confd':
                    return self._confd(method, path)
                return self._answer(404, b'<html>404 Not Found</html>', 'text/html')

            def _auth(self, method, path, query, body):
                if method == 'POST' and path == '/0.1/token':
                    expected = 'Basic ' + base64.b64encode(
                        ('%s:%s' % (fake.login, fake.password)).encode()).decode()
                    request = json.loads(body or b'{}')
                    if self.headers.get('Authorization') != expected or \
                            not isinstance(request.get('expiration'), int):
                        return self._answer(401, {'reason': ['Authentication Failed'],
                                                  'status_code': 401})
                    token = str(uuidlib.uuid4())
                    fake.tokens[token] = TENANT_A
                    return self._answer(200, {'data': {'token': token, 'metadata': {
                        'tenant_uuid': TENANT_A}}})
                if method == 'DELETE' and path.startswith('/0.1/token/'):
                    fake.revoked.append(path.rsplit('/', 1)[1])
                    fake.tokens.pop(path.rsplit('/', 1)[1], None)
                    return self._answer(204)
                if method == 'GET' and path == '/0.1/tenants':
                    token = self.headers.get('X-Auth-Token', '')
                    if token not in fake.tokens or not {'#', 'auth.tenants.read'} & fake.acls:
                        return self._answer(401, ["('%s', 'auth.tenants.read')" % token])
                    search = (query.get('search') or [''])[0].lower()
                    items = [t for t in TENANTS if search in t['name'].lower()
                             or search in t['slug'] or search in t['uuid']]
                    return self._answer(200, {'items': items, 'total': len(TENANTS),
                                              'filtered': len(items)})
                return self._answer(404, {'message': 'not found'})

            def _confd(self, method, path):
                token = self.headers.get('X-Auth-Token', '')
                tenant = self.headers.get('Wazo-Tenant') or fake.tokens.get(token)
                acl = {'/1.1/infos': 'confd.infos.read',
                       '/1.1/users/export': 'confd.users.export.read'}.get(path)
                if acl is None:
                    return self._answer(404, b'<html>404 Not Found</html>', 'text/html')
                # wazo-confd 26.08: a 401 body quotes the caller's token.
                if token not in fake.tokens or tenant not in fake.users or \
                        not {'#', acl} & fake.acls:
                    return self._answer(401, ["('%s', '%s', '%s')" % (token, acl, tenant)])
                if path == '/1.1/infos':
                    return self._answer(200, {'uuid': fake.uuid, 'wazo_version': '26.08'})
                return self._answer(200, {'headers': EXPORT_HEADERS,
                                          'content': fake.users[tenant]})

            def do_GET(self):   # noqa: N802 - http.server's name
                self._route('GET')

            def do_POST(self):  # noqa: N802
                self._route('POST')

            def do_DELETE(self):  # noqa: N802
                self._route('DELETE')

        return Handler
