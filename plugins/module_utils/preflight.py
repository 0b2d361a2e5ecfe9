# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight: every refusal confd would give an import row, predicted from the server's
configuration before anything is sent, with every reason of a row at once.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

confd reports only the first failing step of a row and rolls the whole request back when one row
fails (docs/server-behaviour.md#import-check-order). The preflight reads the configuration once
(contexts, entities, CTI profiles, call permissions, and the extensions and SIP endpoints the rows
name), then walks each row to send through confd's checks in confd's order, keeping the rows it
accepts in its model (a later row meets what an earlier one creates, as in confd).

What it reads is chosen by cost (docs/server-behaviour.md#read-cost): small lists whole; for the
objects the export does not show (an extension with no user, an endpoint of an orphan line), first
a count (``limit=1``) compared with what the export shows, then, when they differ, either the
whole list or one exact lookup per key, whichever is cheaper. ``Reader.requests`` records every
read with its estimated server cost.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.platform import platform_named

# Estimated confd 16.15 CPU seconds, per request and per item a list returns
# (docs/server-behaviour.md#read-cost).
REQUEST_COST = 0.02
ITEM_COST = {'users': 0.004, 'endpoints/sip': 0.0035, 'extensions': 0.0057, 'lines': 0.0079}
DEFAULT_ITEM_COST = 0.005
ROW_COST = 0.2          # one imported row (docs/server-behaviour.md#request-cost)
# Keys alike enough to be searched together rather than looked up one by one.
SEARCH_GROUP = 3

ACLS = {
    'contexts': 'confd.contexts.read',
    'entities': 'confd.entities.read',
    'cti_profiles': 'confd.cti_profiles.read',
    'callpermissions': 'confd.callpermissions.read',
    'extensions': 'confd.extensions.read',
    'endpoints/sip': 'confd.endpoints.sip.read',
    'lines': 'confd.lines.read',
}

# What list items hold, which protocols make a line, how an incall number in use is refused:
# asked of the server's Platform (platform_xivo, platform_wazo).


def py2_text(value):
    """How confd 16.x (Python 2) quotes a string from the CSV in its messages: u'...'."""
    return 'u' + ascii(value)


def request_cost(collection, items):
    return REQUEST_COST + ITEM_COST.get(collection, DEFAULT_ITEM_COST) * items


class Reader:
    """The configuration reads of one preflight, with their estimated server cost."""

    def __init__(self, client):
        self.client = client
        self.requests = []

    def list(self, collection, **params):
        try:
            total, items = self.client.list(collection, ACLS[collection], **params)
        except ConfdError as exc:
            raise ConfdError('%s; the preflight reads the server configuration to predict '
                             'what confd would refuse: grant the read ACLs (%s), or set '
                             'preflight: false' % (exc, ', '.join(sorted(set(ACLS.values())))))
        self.requests.append(dict(collection=collection, params=params, items=len(items),
                                  cost=round(request_cost(collection, len(items)), 4)))
        return total, items

    def get(self, collection, ident):
        response = self.client.read('/%s/%s' % (collection, ident), 'read of %s %s'
                                    % (collection, ident), ACLS[collection])
        self.requests.append(dict(collection=collection, params={'id': ident}, items=1,
                                  cost=round(request_cost(collection, 1), 4)))
        return response.body if response.status == 200 and isinstance(response.body, dict) \
            else None

    @property
    def cost(self):
        return round(sum(r['cost'] for r in self.requests), 4)


class Objects:
    """What the preflight knows of one kind of keyed server object (extensions by
    (exten, context), SIP endpoints by username): some keys known, some scopes (a context, or
    everything) known completely."""

    def __init__(self, reader, collection, key_of, scope_of, lookup_params, term_of):
        self.reader = reader
        self.term_of = term_of          # key -> the text a substring search finds it by
        self.collection = collection
        self.key_of = key_of            # item -> key
        self.scope_of = scope_of        # key -> scope (a context name, or None)
        self.lookup_params = lookup_params  # key -> exact filters
        self.known = {}                 # key -> item (None: absent)
        self.complete = set()           # scopes listed or counted whole

    def add_items(self, items, scope=None):
        for item in items:
            self.known[self.key_of(item)] = item
        if scope is not False:
            self.complete.add(scope)

    def prefetch(self, keys, export_count):
        """Choose, per scope, how to learn the ``keys`` the rows need (see the module doc)."""
        by_scope = {}
        for key in keys:
            if key not in self.known:
                by_scope.setdefault(self.scope_of(key), set()).add(key)
        for scope, wanted in sorted(by_scope.items(), key=lambda item: str(item[0])):
            if scope in self.complete:
                continue
            if len(wanted) == 1:
                continue  # one lookup costs what a count costs: look it up when needed
            filters = {'context': scope} if scope is not None else {}
            total, dummy = self.reader.list(self.collection, limit=1, **filters)
            if total == export_count(scope):
                # Every such object is one the export shows: nothing else exists.
                self.complete.add(scope)
                continue
            list_cost = request_cost(self.collection, total)
            if list_cost <= REQUEST_COST * len(wanted):
                dummy, items = self.reader.list(self.collection, **filters)
                self.add_items(items, scope)
            else:
                self._search(wanted, filters)

    def _search(self, wanted, filters):
        """Keys made alike (extensions 5000-5099, SIP names newsip1...) are found together: a
        substring search (``search=``, ILIKE) on what a group shares returns every object of
        the group, and only a few others. A count first says whether it is cheaper than one
        lookup per key; the keys left are looked up one by one when needed."""
        groups = {}
        # In a fixed order: the same file sends the same requests, whatever the hash seed.
        for key in sorted(wanted, key=lambda key: (self.term_of(key), str(key))):
            term = self.term_of(key)
            # Names by their stem (newsip1, newsip2: newsip), numbers by their tens (5001, 5007).
            stem = term.rstrip('0123456789')
            groups.setdefault(stem if len(stem) >= 2 else term[:max(2, len(term) - 1)],
                              []).append(key)
        for keys in groups.values():
            if len(keys) < SEARCH_GROUP:
                continue
            shared = _common_prefix([self.term_of(key) for key in keys])
            total, dummy = self.reader.list(self.collection, search=shared, limit=1, **filters)
            if request_cost(self.collection, total) >= REQUEST_COST * (len(keys) - 1):
                continue
            dummy, items = self.reader.list(self.collection, search=shared, **filters)
            for item in items:
                self.known[self.key_of(item)] = item
            for key in keys:
                self.known.setdefault(key, None)   # a search that did not return it: absent

    def find(self, key):
        if key in self.known:
            return self.known[key]
        if self.scope_of(key) in self.complete:
            return None
        dummy, items = self.reader.list(self.collection, **self.lookup_params(key))
        found = None
        for item in items:
            self.known[self.key_of(item)] = item
            if self.key_of(item) == key:
                found = item
        self.known[key] = found
        return found

    def put(self, key, item):
        self.known[key] = item


def _common_prefix(texts):
    first, last = min(texts), max(texts)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def _ranges(context, kinds=('user', 'group', 'queue', 'conference_room', 'incall')):
    found = []
    for kind in kinds:
        for entry in context.get('%s_ranges' % kind) or []:
            try:
                found.append((int(entry['start']), int(entry['end'])))
            except (KeyError, TypeError, ValueError):
                continue
    return found


def _in_range(exten, context):
    """B11: patterns and outcall contexts are not checked; * or # make confd answer 500,
    which the local rules already refuse."""
    if exten.startswith('_') or context.get('type') == 'outcall':
        return True
    if not exten.isdigit():
        return True
    number = int(exten)
    return any(low <= number <= high for low, high in _ranges(context))


class Preflight:
    """Predicts confd's refusals for the rows to send, from the server's configuration.

    ``users``: the export rows (read once for the plan). Call :meth:`prepare` with the rows
    that will be sent (so the reads can be chosen by cost), then :meth:`check` for each of
    them in file order.
    """

    def __init__(self, client, users, platform=None):
        self.reader = Reader(client)
        self.platform = platform_named(platform or 'xivo')
        self.line_protocols = self.platform.line_protocols
        self.users = users
        self.contexts = None
        self.entities = None
        self.cti_profiles = None
        self.call_permissions = None
        export_extens = {}
        export_sip = {}
        export_voicemails = {}
        export_incalls = {}
        for user in users:
            if user.get('exten') and user.get('context'):
                export_extens[(user['exten'], user['context'])] = user
            if user.get('sip_username'):
                export_sip[user['sip_username']] = user
            if user.get('voicemail_number') and user.get('voicemail_context'):
                export_voicemails.setdefault(
                    (user['voicemail_number'], user['voicemail_context']), []).append(user)
            for exten, context in zip((user.get('incall_exten') or '').split(';'),
                                      (user.get('incall_context') or '').split(';')):
                if exten and context:
                    export_incalls[(exten, context)] = user
        self.export_extens = export_extens
        self.export_sip = export_sip
        self.export_voicemails = export_voicemails
        self.export_incalls = export_incalls
        self.extensions = Objects(self.reader, 'extensions',
                                  lambda item: (item.get('exten'), item.get('context')),
                                  lambda key: key[1],
                                  lambda key: {'exten': key[0], 'context': key[1]},
                                  lambda key: key[0])
        name = self.platform.sip_name_field
        self.sip = Objects(self.reader, 'endpoints/sip', lambda item: item.get(name),
                           lambda key: None, lambda key: {name: key}, lambda key: key)
        self.lines = {}
        self.notes = []         # what the last checked row will share or reuse (not refusals)
        self.reused = []        # the server objects it will reuse: a rollback must keep them
        self.created = 0        # rows accepted so far (names the rows in the model)

    # -- reading ------------------------------------------------------------------------

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
            for exten, context in ((row.get('exten'), row.get('context')),
                                   (row.get('incall_exten'), row.get('incall_context'))):
                if exten and context and (exten, context) not in self.export_extens \
                        and (exten, context) not in self.export_incalls:
                    extens.add((exten, context))
        self.extensions.prefetch(extens, self._export_count)
        names = set(row['sip_username'] for row in rows
                    if row.get('sip_username')
                    and row.get('line_protocol') in self.platform.sip_protocols
                    and row['sip_username'] not in self.export_sip)
        self.sip.prefetch(names, lambda scope: len(self.export_sip))

    def _export_count(self, context):
        """Extensions of one context the export shows (users' lines and their incalls)."""
        return sum(1 for key in self.export_extens if key[1] == context) + \
            sum(1 for key in self.export_incalls if key[1] == context)

    def _context(self, name):
        return (self.contexts or {}).get(name)

    def _extension(self, exten, context):
        """(owner kind, description) of an existing extension, or None when it is free to
        create. Owner kinds: user, orphan (on a line with no user: reused), unlisted (held by
        nothing the lists show), or what holds it (incall, group, outcall, ...)."""
        key = (exten, context)
        if key in self.export_extens:
            user = self.export_extens[key]
            return 'user', user
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
            line = self._line(lines[0].get('id'))
            if line and line.get('users'):
                return 'user', line
            return 'orphan', item
        # Free, or held by what confd 16.15 does not list on an extension (a queue, a
        # conference room, a meetme...): confd reuses the first and refuses the second.
        return 'unlisted', item

    def _line(self, line_id):
        if line_id not in self.lines:
            self.lines[line_id] = self.reader.get('lines', line_id)
        return self.lines[line_id]

    # -- the checks ---------------------------------------------------------------------

    def check(self, values, update=False, user=None, accept=True):
        """Every reason confd would refuse this row, as 'column: reason' texts, in confd's
        order. The row is kept in the model (it will be sent) when there is none and
        ``accept`` says that nothing else refuses it. ``notes`` then holds what the row will
        reuse or share (not a refusal)."""
        self.notes = []
        self.reused = []
        if update:
            return self._check_update(values, user)
        problems = self._check_create(values)
        if accept and not problems:
            self._accept(values)
        return problems

    def _check_create(self, row):
        problems = []
        add = problems.append
        get = row.get
        # B4 entity (0 is "no entity" on 16.15: the default one).
        problems.extend(self._entity(get('entity_id') or ''))
        # B5-B7 voicemail: an existing number@context is reused (and then shared), else it is
        # created and its context must exist. A voicemail exists only in an existing context,
        # so the contexts alone tell whether the row can pass.
        number, vm_context = get('voicemail_number') or '', get('voicemail_context') or ''
        if number and vm_context:
            if self.contexts is not None and self._context(vm_context) is None:
                add(_missing_context('voicemail_context', vm_context))
            owners = self.export_voicemails.get((number, vm_context), ())
            if owners:
                self.reused.append('voicemail')
            # A server user's voicemail is the plan's business (a conflict, or shared with
            # share_voicemails, said there); an earlier row's is the operator's own file.
            for other in owners[:1]:
                if other.get('_row'):
                    self.notes.append('the voicemail %s@%s of an earlier row of this file will be '
                                      'shared with this user (confd reuses an existing voicemail, '
                                      'and renames it when this user gets a line)'
                                      % (number, vm_context))
        # B8 call permissions: each name, exactly.
        names = [name for name in (get('call_permissions') or '').split(';') if name]
        problems.extend(self._call_permissions(names))
        # B9 line, B10-B11 extension.
        context_name, protocol, exten = get('context') or '', get('line_protocol') or '', \
            get('exten') or ''
        context = self._context(context_name) if context_name else None
        has_line = bool(context_name) and protocol in self.line_protocols
        context_missing = bool(context_name) and context is None and self.contexts is not None
        if context_missing and (has_line or exten):
            add(_missing_context('context', context_name))
        extension = None
        if exten and context_name and not context_missing:
            extension = self._extension(exten, context_name)
            if extension is None and not _in_range(exten, context):
                add(_out_of_range('exten', exten, context_name))
        # B12-B13 incall extension.
        incall_exten, incall_context_name = get('incall_exten') or '', get('incall_context') or ''
        incall_extension = None
        if incall_exten and incall_context_name:
            incall_context = self._context(incall_context_name)
            if incall_context is None and self.contexts is not None:
                add(_missing_context('incall_context', incall_context_name))
            else:
                incall_extension = self._extension(incall_exten, incall_context_name)
                if incall_extension is None and not _in_range(incall_exten, incall_context):
                    add(_out_of_range('incall_exten', incall_exten, incall_context_name))
        # B14 CTI profile (exact name).
        problems.extend(self._cti_profile(get('cti_profile_name') or ''))
        # B15 + C4: an existing SIP name is reused, and refused when a line already has it.
        sip_name = get('sip_username') or ''
        if protocol in self.platform.sip_protocols and sip_name and has_line:
            endpoint = self._sip_endpoint(sip_name)
            holder = _endpoint_holder(endpoint, self.platform.endpoint_fields)
            if endpoint is not None and endpoint.get('line'):
                add('sip_username: the SIP endpoint %r already belongs to a line%s (confd: '
                    'Resource Error - Line is associated with a Endpoint)'
                    % (sip_name, _owner_text(endpoint)))
            elif holder is not None:
                add('sip_username: the SIP endpoint %r belongs to %s %s, not to a user (confd: '
                    '%s)' % (sip_name, _article(holder), holder,
                             _endpoint_refusal(holder, endpoint)))
            elif endpoint is not None:
                self.reused.append('sip')
        if extension is not None and extension[0] == 'orphan':
            self.reused.append('extension')
        if incall_extension is not None and incall_extension[0] == 'orphan':
            self.reused.append('incall_extension')
        # C6 line <-> extension.
        if has_line and extension is not None:
            kind, owner = extension
            if kind == 'user':
                add('exten: %s@%s is already the extension of another user%s (confd: Resource '
                    'Error - User is associated with a Line)' % (exten, context_name,
                                                                 _owner_text(owner)))
            elif kind == 'unlisted':
                add(_unlisted('exten', exten, context_name, owner))
            elif kind not in ('orphan', 'free'):  # free: made by an earlier row
                add('exten: %s@%s is the extension of %s %s%s (confd: %s)' % (
                    exten, context_name, _article(kind), kind, _owner_text(owner),
                    _extension_refusal(kind, owner, ('associated_id', 'id'))))
        # A wrong context type is a reason whatever holds the number (confd names the holder
        # first): the operator fixes both at once.
        if has_line and exten and context is not None and context.get('type') != 'internal':
            add("context: a user's line cannot be in the %s context %r (confd: Resource Error "
                "- ContextType '%s' cannot be associated)" % (context.get('type'), context_name,
                                                              context.get('type')))
        # C7 incall <-> incall extension.
        if incall_exten and incall_context_name and incall_extension is not None:
            kind, owner = incall_extension
            if kind == 'incall':
                add('incall_exten: %s@%s is already the number of an incall%s %s'
                    % (incall_exten, incall_context_name, _owner_text(owner),
                       self.platform.incall_number_taken))
            elif kind == 'user':
                add('incall_exten: %s@%s is the extension of a user%s (confd: Resource Error - '
                    'Extension is associated with a user)' % (incall_exten, incall_context_name,
                                                              _owner_text(owner)))
            elif kind == 'unlisted':
                add(_unlisted('incall_exten', incall_exten, incall_context_name, owner))
            elif kind not in ('orphan', 'free'):  # free: made by an earlier row
                add('incall_exten: %s@%s is the extension of %s %s (confd: %s)' % (
                    incall_exten, incall_context_name, _article(kind), kind,
                    _extension_refusal(kind, owner, ('associated_id', 'extension_id'))))
        if incall_exten and incall_context_name:
            incall_context = self._context(incall_context_name)
            if incall_context is not None and incall_context.get('type') != 'incall':
                add("incall_context: an incall number cannot be in the %s context %r (confd: "
                    "Resource Error - ContextType '%s' cannot be associated)"
                    % (incall_context.get('type'), incall_context_name, incall_context.get('type')))
        # C8 the same call permission twice.
        if len(names) != len(set(names)):
            add('call_permissions: a call permission is listed twice (confd: Resource Error - '
                'User is associated with a CallPermission)')
        return problems

    def _entity(self, entity):
        if entity and entity != '0' and entity.isdigit() and self.entities is not None \
                and int(entity) not in self.entities:
            return ["entity_id: entity %s does not exist on the server (confd: Resource Not "
                    "Found - Entity was not found ('id': %s))" % (entity, entity)]
        return []

    def _call_permissions(self, names):
        if self.call_permissions is None:
            return []
        return ["call_permissions: the call permission %r does not exist on the server (confd: "
                "Resource Not Found - CallPermission was not found ('name': %s))"
                % (name, py2_text(name)) for name in names if name not in self.call_permissions]

    def _cti_profile(self, profile):
        if profile and self.cti_profiles is not None and profile not in self.cti_profiles:
            return ["cti_profile_name: the CTI profile %r does not exist on the server, names "
                    "being case-sensitive (confd: Resource Not Found - CtiProfile was not found "
                    "('name': %s))" % (profile, py2_text(profile))]
        return []

    def _check_update(self, row, user):
        """The refusals of a PUT of the changed columns: what the sent cells name
        (docs/server-behaviour.md#update-by-put)."""
        problems = []
        add = problems.append
        get = row.get
        entity = get('entity_id') or ''
        missing = self._entity(entity)
        problems.extend(missing)
        if not missing and entity and user is not None and entity != user.get('entity_id') \
                and user.get('line_protocol'):
            add('entity_id: confd does not move a user that has a line to another entity '
                '(confd: Resource Error - User is associated with a Line)')
        for column in ('context', 'voicemail_context'):
            name = get(column) or ''
            if name and self.contexts is not None and self._context(name) is None:
                add(_missing_context(column, name))
        exten, context_name = get('exten') or '', get('context') or (user or {}).get('context')
        if exten and context_name and self._context(context_name) is not None:
            extension = self._extension(exten, context_name)
            if extension is None and not _in_range(exten, self._context(context_name)):
                add(_out_of_range('exten', exten, context_name))
            elif extension is not None and extension[0] not in ('free', 'unlisted') and \
                    (extension[0] != 'user' or extension[1] is not user):
                add('exten: %s@%s already exists (confd: Resource Error - Extension already '
                    'exists)' % (exten, context_name))
        problems.extend(self._cti_profile(get('cti_profile_name') or ''))
        problems.extend(self._call_permissions(
            [name for name in (get('call_permissions') or '').split(';') if name]))
        sip_name = get('sip_username') or ''
        if sip_name and user is not None and sip_name != user.get('sip_username') \
                and self._sip_endpoint(sip_name) is not None:
            add("sip_username: the SIP name %r is taken (confd: Resource Error - SIPEndpoint "
                "already exists ('name': %s))" % (sip_name, py2_text(sip_name)))
        return problems

    def _sip_endpoint(self, name):
        if name in self.export_sip:
            return {self.platform.sip_name_field: name, 'line': {'user': self.export_sip[name]}}
        return self.sip.find(name)

    def _accept(self, row):
        """Keep what the row creates, as confd does inside one request, for the next rows."""
        self.created += 1
        mark = {'_row': self.created}
        get = row.get
        if get('exten') and get('context'):
            self.extensions.put((get('exten'), get('context')), dict(
                mark, _kind='user' if get('line_protocol') in self.line_protocols else 'free'))
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

    # -- what it cost --------------------------------------------------------------------

    def cost(self):
        return dict(requests=len(self.reader.requests), estimated_server_seconds=self.reader.cost)


def _missing_context(column, name):
    return ("%s: the context %r does not exist on the server (confd: Input Error - field "
            "'context': Context was not found ('context': %s))" % (column, name, py2_text(name)))


def _out_of_range(column, exten, context):
    return ("%s: %s is outside every range of the context %r (confd: Input Error - Extension "
            "'%s' is outside of range for context '%s')" % (column, exten, context, exten, context))


def _extension_refusal(kind, item, order):
    """confd's refusal of an extension held by ``kind``: with the ids when the list gave them
    ('associated_id' is the holder's id as the database keeps it, a unicode string), as
    observed on 16.15 for a group: Extension is associated with a group ('associated_id': u'1',
    'id': 36). ``order``: the two keys in the order confd 16.15 prints them."""
    text = 'Resource Error - Extension is associated with a %s' % kind
    holder = item.get(kind) if isinstance(item, dict) else None
    if isinstance(holder, dict) and holder.get('id') is not None and item.get('id') is not None:
        ids = {'associated_id': py2_text(str(holder['id'])), 'id': item['id'],
               'extension_id': item['id']}
        text += ' (%s)' % ', '.join("'%s': %s" % (key, ids[key]) for key in order)
    return text


def _endpoint_holder(endpoint, fields):
    """What other than a line holds a SIP endpoint (16.15 lists a trunk), or None; ``fields``:
    those that name no holder."""
    if not isinstance(endpoint, dict) or endpoint.get('_row'):
        return None
    for kind in sorted(set(endpoint) - fields):
        if endpoint.get(kind) and not kind.startswith('_'):
            return kind
    return None


def _endpoint_refusal(kind, endpoint):
    """Observed on 16.15 for a trunk: Resource Error - Trunk is associated with a Endpoint
    ('trunk_id': 1, 'endpoint': 'sip', 'endpoint_id': 2)."""
    text = 'Resource Error - %s is associated with a Endpoint' % kind.capitalize()
    holder = endpoint.get(kind)
    if isinstance(holder, dict) and holder.get('id') is not None and \
            endpoint.get('id') is not None:
        text += " ('%s_id': %s, 'endpoint': 'sip', 'endpoint_id': %s)" % (
            kind, holder['id'], endpoint['id'])
    return text


def _unlisted(column, exten, context, item):
    """An extension that exists with nothing attached that the server lists: free (confd would
    reuse it) or held by a queue, a conference room, a meetme... (confd would refuse it), which
    confd 16.15 does not show. Not predicted as creatable: the operator decides."""
    ident = item.get('id') if isinstance(item, dict) else None
    return ('%s: %s@%s already exists on the server (extension id %s) attached to nothing its '
            'lists show, so it may be free or held by a queue, a conference room or a meetme, '
            'which confd 16.15 does not list (confd then refuses the row: Resource Error - '
            'Extension is associated with a queue ...). Choose another number, remove that '
            'extension if it is free (DELETE /1.1/extensions/%s), or set preflight: false to '
            'let confd decide' % (column, exten, context, ident if ident is not None else '?',
                                  ident if ident is not None else '<id>'))


def _article(word):
    return 'an' if word[:1] in 'aeiou' else 'a'


def _owner_text(owner):
    """' (Bob Jones, uuid ...)' for what holds an object, when the preflight knows it."""
    if not isinstance(owner, dict):
        return ''
    user = owner.get('line', {}).get('user') if isinstance(owner.get('line'), dict) else None
    # A user is an export row; a list item with a uuid (a Wazo SIP endpoint) is not one.
    user = user or (owner if owner.get('uuid') and 'firstname' in owner else None)
    if user is None and owner.get('users'):
        user = owner['users'][0]
    if user is None and owner.get('_row'):
        return ' (an earlier row of this file)'
    if user is None:
        return ''
    name = ' '.join(p for p in (user.get('firstname'), user.get('lastname')) if p)
    return ' (%s, uuid %s)' % (name or 'a user', user.get('uuid') or '?')
