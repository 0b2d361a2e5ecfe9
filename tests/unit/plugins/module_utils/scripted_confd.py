# -*- coding: utf-8 -*-
"""What the unit tests' scripted confd clients share: one XiVO 16.15 server as the import run
sees it before it reads anything, and the lock kept on that server (a call permission with a
reserved name), taken and released through the client."""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdResponse
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
