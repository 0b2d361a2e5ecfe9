# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the preflight reads of a server's configuration, and what those reads cost.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

What it reads is chosen by cost (docs/server-behaviour.md#read-cost): small lists whole; for the
objects the export does not show (an extension with no user, an endpoint of an orphan line), first
a count (``limit=1``) compared with what the export shows, then, when they differ, either the
whole list or one exact lookup per key, whichever is cheaper. ``Reader.requests`` records every
read with its estimated server cost.

A list whose keys the server keeps unique across tenants (``Platform.tenant_wide_reads``: the
SIP names of Wazo) is read in the credentials' own tenant with the platform's query (Wazo:
``recurse=true``), so that it covers every tenant they can see; ``Reader.scope`` says whether
that is every tenant of the server.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError)

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
    'voicemails': 'confd.voicemails.read',
}


def request_cost(collection, items):
    return REQUEST_COST + ITEM_COST.get(collection, DEFAULT_ITEM_COST) * items


class Reader:
    """The configuration reads of one preflight, with their estimated server cost."""

    def __init__(self, client, platform):
        self.client = client
        self.platform = platform
        self.requests = []

    def list(self, collection, **params):
        wide = self.platform.tenant_wide_reads.get(collection)
        try:
            if wide is None:
                total, items = self.client.list(collection, ACLS[collection], **params)
            else:
                params = dict(params, **wide)
                with self.client.in_own_tenant():
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

    def scope(self):
        """(the tenant the import acts in, whether the tenant-wide reads see every tenant of
        the server): (None, True) on a platform without tenants. The tenants are read in the
        credentials' own tenant, as the tenant-wide lists are; a refusal means (tenant, False)."""
        platform = self.platform
        if not platform.tenant_wide_reads:
            return None, True
        try:
            with self.client.in_own_tenant():
                response = self.client.call(
                    'GET', '/tenants', idempotent=True, what='list of %s tenants'
                    % platform.auth_name, api='auth', acl=platform.acl('tenants.read'),
                    headers={'Accept': 'application/json'})
        except ConfdAuthRefused:
            return self.client.tenant, False
        body = response.body
        items = body.get('items') if response.status == 200 and isinstance(body, dict) else None
        items = items if isinstance(items, list) else []
        self.requests.append(dict(collection='tenants', params={}, items=len(items),
                                  cost=round(request_cost('tenants', len(items)), 4)))
        own, everything = platform.tenant_scope(items)
        return self.client.tenant or own, everything

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
