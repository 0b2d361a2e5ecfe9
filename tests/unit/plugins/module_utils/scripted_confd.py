# -*- coding: utf-8 -*-
"""What the unit tests' scripted confd clients share: one XiVO 16.15 server as the import run
sees it before it reads anything, and the lock kept on that server (a call permission with a
reserved name), taken and released through the client."""

from __future__ import annotations

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
        self.exports = 0

    def export_users(self):
        self.exports += 1
        if self.exports > 1 and not self.export_after:
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
        for number, line in enumerate(lines[1:], 1):
            values = dict(zip(header, line.split(',')))
            values.pop('password', None)
            self.users.append(dict(values, uuid='new-%d' % number, ring_seconds='30'))
            created.append(dict(row_number=number, user_id=7 + number, user_uuid='new-%d' % number,
                                line_id=number, extension_id=40 + number))
        return ConfdResponse(201, {'created': created}, '')
