# -*- coding: utf-8 -*-
"""What the unit tests' scripted confd clients share: one XiVO 16.15 server as the import run
sees it before it reads anything, and the lock kept on that server (a call permission with a
reserved name), taken and released through the client."""

from __future__ import annotations

import json

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError, ConfdResponse
from ansible_collections.xivo.confd.plugins.module_utils.platform import platform_named


class ScriptedXivoServer:
    """The client attributes an ImportRun reads, and the server lock's three requests."""

    host, port, timeout = '127.0.0.1', 9486, 30
    secrets = frozenset(['Ws-Password-1'])
    platform, tenant, reached = platform_named('xivo'), None, '127.0.0.1:9486'
    tenant_option = None
    events = []
    lock = None

    def server_infos(self):
        """As ConfdClient's without a platform probe: GET /infos through read()."""
        return self.read('/infos', 'read of the server identity (infos)', 'confd.infos.read')

    def create_call_permission(self, body):
        self.lock = dict(body, id=1)
        return ConfdResponse(201, dict(self.lock), '')

    def list(self, collection, acl, **params):
        return (1, [dict(self.lock)]) if self.lock else (0, [])

    def delete_call_permission(self, perm_id):
        self.lock = None
        return ConfdResponse(204, None, '')


class ImportingServer(ScriptedXivoServer):
    """A scripted confd: one user before the run, the import creates one per row; the export
    after the import can be made to fail (the lock kept on the server is taken first)."""

    def __init__(self, export_after=True):
        self.users = [{'uuid': 'old-1', 'firstname': 'Old', 'lastname': 'Timer', 'exten': '1500',
                       'context': 'default', 'username': 'otimer', 'line_protocol': 'sip'}]
        self.export_after = export_after
        self.imported = False

    def export_users(self):
        if self.imported and not self.export_after:
            raise ConfdError('confd answered 503 to the user export')
        return [], [dict(u) for u in self.users]

    def read(self, path, what, acl, params=None):
        if path == '/infos':
            return ConfdResponse(200, {'uuid': 'server-1'}, '')
        if path == '/users':
            return ConfdResponse(200, {'items': [{'id': 7}], 'total': 1}, '')
        return ConfdResponse(404, {}, '')

    def import_csv(self, body, update=False):
        lines = body.decode('utf-8').splitlines()
        header = lines[0].split(',')
        created = []
        self.imported = True
        for number, line in enumerate(lines[1:], 1):
            values = dict(zip(header, line.split(',')))
            values.pop('password', None)
            self.users.append(dict(values, uuid='new-%d' % number, ring_seconds='30'))
            created.append(dict(row_number=number, user_id=7 + number, user_uuid='new-%d' % number,
                                line_id=number, extension_id=40 + number))
        return ConfdResponse(201, {'created': created}, '')


class Answer:
    """A requests response as the client reads it."""

    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self._body = body
        self.text = '' if body is None else json.dumps(body)
        self.headers = dict({'Content-Type': 'application/json'}, **(headers or {}))

    def json(self):
        if self._body is None:
            raise ValueError('no json')
        return self._body


class ScriptedXivoSession:
    """A requests session in front of one XiVO 16.15 (confd on 9486, xivo-auth on 9497), for a
    real ConfdClient to run a whole import against: confd answers a request without a token
    with a Digest challenge (as 16.15 does), /infos its uuid, the export and /users what it
    holds, an import creates the rows' users; the lock's call permission is kept. Each
    request is recorded in ``requests`` as (method, path)."""

    trust_env = True
    infos_refused = False      # the credentials lack the ACL confd.infos.read

    def __init__(self, users=()):
        self.users = [dict(user) for user in users]
        self.permissions = []
        self.requests = []

    def request(self, method, url, headers=None, params=None, **kwargs):
        path = '/' + url.split('/', 3)[3]
        self.requests.append((method, path))
        if path.startswith('/0.1/token'):
            return Answer(200, {'data': {'token': 'tok-1'}}) if method == 'POST' else Answer(204)
        if (headers or {}).get('X-Auth-Token') != 'tok-1':
            return Answer(401, None, {'WWW-Authenticate': 'Digest realm="confd", nonce="n"'})
        answer = getattr(self, '_%s_%s' % (method.lower(), path.split('/')[2].split('?')[0]))
        return answer(path, params or {}, kwargs.get('json', kwargs.get('data')))

    def delete(self, url, **kwargs):
        return self.request('DELETE', url, **kwargs)

    def close(self):
        pass

    def _get_infos(self, path, params, body):
        return Answer(401 if self.infos_refused else 200, {'uuid': 'server-1'})

    def _get_users(self, path, params, body):
        if path == '/1.1/users/export':
            header = sorted(set(k for user in self.users for k in user)) or ['uuid']
            return Answer(200, {'headers': header, 'content': self.users})
        ids = [{'id': 6 + number} for number in range(1, len(self.users) + 1)]
        return Answer(200, {'items': ids[::-1][:params.get('limit')], 'total': len(ids)})

    def _post_users(self, path, params, body):
        lines = body.decode('utf-8').splitlines()
        header, created = lines[0].split(','), []
        for line in lines[1:]:
            values = dict(zip(header, line.split(',')))
            values.pop('password', None)
            number = len(self.users) + 1
            self.users.append(dict(values, uuid='new-%d' % number, ring_seconds='30'))
            created.append(dict(row_number=len(created) + 1, user_id=6 + number,
                                user_uuid='new-%d' % number, line_id=number,
                                extension_id=40 + number))
        return Answer(201, {'created': created})

    def _get_callpermissions(self, path, params, body):
        return Answer(200, {'items': self.permissions, 'total': len(self.permissions)})

    def _post_callpermissions(self, path, params, body):
        self.permissions.append(dict(body, id=1))
        return Answer(201, dict(body, id=1))

    def _delete_callpermissions(self, path, params, body):
        self.permissions = []
        return Answer(204)
