# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server as the preflight sees it: its configuration (read by preflight_reads), what the
export shows, and what the rows accepted so far will create (a later row meets what an earlier
one creates, as inside one import request).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
What list items hold and which protocols make a line or a SIP endpoint are asked of the
server's Platform.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.preflight_reads import Objects, Reader


def _pairs(exten_cell, context_cell):
    """The exten@context pairs of ';'-joined cells (a user's incalls in the export)."""
    return [(exten, context) for exten, context in zip((exten_cell or '').split(';'),
                                                       (context_cell or '').split(';'))
            if exten and context]


class ServerView:
    """What the preflight knows of one server (tenant), read once, and the rows accepted so
    far. ``users``: the export rows."""

    def __init__(self, client, users, platform):
        self.reader = Reader(client, platform)
        self.platform = platform
        self.contexts = None
        self.entities = None
        self.cti_profiles = None
        self.call_permissions = None
        self.tenant, self.every_tenant = None, True
        self.export_extens = {}
        self.export_sip = {}
        self.export_voicemails = {}
        self.export_incalls = {}
        for user in users:
            if user.get('exten') and user.get('context'):
                self.export_extens[(user['exten'], user['context'])] = user
            if user.get('sip_username'):
                self.export_sip[user['sip_username']] = user
            if user.get('voicemail_number') and user.get('voicemail_context'):
                self.export_voicemails.setdefault(
                    (user['voicemail_number'], user['voicemail_context']), []).append(user)
            for key in _pairs(user.get('incall_exten'), user.get('incall_context')):
                self.export_incalls[key] = user
        self.extensions = Objects(self.reader, 'extensions',
                                  lambda item: (item.get('exten'), item.get('context')),
                                  lambda key: key[1],
                                  lambda key: {'exten': key[0], 'context': key[1]},
                                  lambda key: key[0])
        name = platform.sip_name_field
        self.sip = Objects(self.reader, 'endpoints/sip', lambda item: item.get(name),
                           lambda key: None, lambda key: {name: key}, lambda key: key)
        self.voicemails = Objects(self.reader, 'voicemails',
                                  lambda item: (item.get('number'), item.get('context')),
                                  lambda key: key[1],
                                  lambda key: {'number': key[0], 'context': key[1]},
                                  lambda key: key[0])
        self.lines = {}
        self.created = 0        # rows accepted so far (names the rows in the model)

    def prepare(self, rows):
        """Read what the rows to send need, choosing the reads by cost. ``rows``: dicts."""
        get = [row.get for row in rows]
        if any(g('context') or g('exten') or g('voicemail_number') or g('voicemail_context')
               or g('incall_exten') or g('incall_context') for g in get):
            dummy, items = self.reader.list('contexts')
            self.contexts = dict((item.get('name'), item) for item in items)
        if any((g('entity_id') or '0') != '0' for g in get):
            dummy, items = self.reader.list('entities')
            self.entities = set(item.get('id') for item in items)
        if any(g('cti_profile_name') for g in get):
            dummy, items = self.reader.list('cti_profiles')
            self.cti_profiles = set(item.get('name') for item in items)
        if any(g('call_permissions') for g in get):
            dummy, items = self.reader.list('callpermissions')
            self.call_permissions = set(item.get('name') for item in items)
        extens = set()
        for row in rows:
            for key in ((row.get('exten'), row.get('context')),
                        (row.get('incall_exten'), row.get('incall_context'))):
                if all(key) and key not in self.export_extens and key not in self.export_incalls:
                    extens.add(key)
        self.extensions.prefetch(extens, self._export_count)
        names = set(row['sip_username'] for row in rows
                    if row.get('sip_username')
                    and row.get('line_protocol') in self.platform.sip_protocols
                    and row['sip_username'] not in self.export_sip)
        if names:
            self.tenant, self.every_tenant = self.reader.scope()
        self.sip.prefetch(names, lambda scope: len(self.export_sip))
        voicemails = set(key for key in ((row.get('voicemail_number'),
                                          row.get('voicemail_context')) for row in rows)
                         if all(key) and key not in self.export_voicemails)
        self.voicemails.prefetch(voicemails, lambda context: len(set(
            key for key in self.export_voicemails if key[1] == context)))

    def _export_count(self, context):
        """Extensions of one context the export shows (users' lines and their incalls)."""
        return sum(1 for key in self.export_extens if key[1] == context) + \
            sum(1 for key in self.export_incalls if key[1] == context)

    def context(self, name):
        return (self.contexts or {}).get(name)

    def extension(self, exten, context):
        """(owner kind, description) of an existing extension, or None when it is free to
        create. Owner kinds: user, orphan (on a line with no user: reused), unlisted (held by
        nothing the lists show), or what holds it (incall, group, outcall, ...)."""
        key = (exten, context)
        if key in self.export_extens:
            return 'user', self.export_extens[key]
        if key in self.export_incalls:
            return 'incall', self.export_incalls[key]
        item = self.extensions.find(key)
        if item is None:
            return None
        if item.get('_row'):
            return item['_kind'], item
        if item.get('incall'):
            return 'incall', item
        for kind in sorted(set(item) - self.platform.extension_fields):
            if item.get(kind):
                return kind, item
        lines = item.get('lines') or []
        if lines:
            line = self.line(lines[0].get('id'))
            if line and line.get('users'):
                return 'user', line
            return 'orphan', item
        # Free, or held by what confd 16.15 does not list on an extension (a queue, a
        # conference room, a meetme...): confd reuses the first and refuses the second.
        return 'unlisted', item

    def line(self, line_id):
        if line_id not in self.lines:
            self.lines[line_id] = self.reader.get('lines', line_id)
        return self.lines[line_id]

    def sip_endpoint(self, name):
        if name in self.export_sip:
            return {self.platform.sip_name_field: name, 'line': {'user': self.export_sip[name]}}
        return self.sip.find(name)

    def voicemail_exists(self, number, context):
        """Whether voicemail number@context exists though no exported user has it (confd
        then reuses it: a rollback must keep it)."""
        return self.voicemails.find((number, context)) is not None

    def accept(self, row):
        """Keep what the row creates, as confd does inside one request, for the next rows."""
        self.created += 1
        mark = {'_row': self.created}
        get = row.get
        if get('exten') and get('context'):
            self.extensions.put((get('exten'), get('context')), dict(
                mark, _kind='user' if get('line_protocol') in self.platform.line_protocols
                else 'free'))
        if get('incall_exten') and get('incall_context'):
            self.extensions.put((get('incall_exten'), get('incall_context')),
                                dict(mark, _kind='incall'))
        if get('line_protocol') in self.platform.sip_protocols and get('sip_username') \
                and get('context'):
            self.sip.put(get('sip_username'), dict(mark, line={'row': self.created}))
        if get('voicemail_number') and get('voicemail_context'):
            self.export_voicemails.setdefault((get('voicemail_number'), get('voicemail_context')),
                                              []).append(dict(mark, firstname=get('firstname'),
                                                              lastname=get('lastname')))
