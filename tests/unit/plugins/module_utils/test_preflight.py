# -*- coding: utf-8 -*-
"""The preflight against a scripted server configuration: every server-side refusal of
docs/server-behaviour.md#import-check-order, all the reasons of a row at once, rows that depend on earlier rows, reads chosen by
cost (issue #12)."""

from __future__ import annotations

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import preflight, preflight_reads
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdError, ConfdResponse)

CONTEXTS = [
    {'id': 1, 'name': 'default', 'type': 'internal', 'user_ranges': [{'start': '1000', 'end': '1999'}],
     'group_ranges': [{'start': '3000', 'end': '3099'}], 'queue_ranges': [],
     'conference_room_ranges': [], 'incall_ranges': []},
    {'id': 2, 'name': 'from-extern', 'type': 'incall', 'user_ranges': [], 'group_ranges': [],
     'queue_ranges': [], 'conference_room_ranges': [],
     'incall_ranges': [{'start': '2000', 'end': '2999', 'did_length': 4}]},
    {'id': 3, 'name': 'to-extern', 'type': 'outcall', 'user_ranges': [], 'group_ranges': [],
     'queue_ranges': [], 'conference_room_ranges': [], 'incall_ranges': []},
]


def ext(ident, exten, context, **owner):
    item = {'id': ident, 'exten': exten, 'context': context, 'lines': [], 'incall': None,
            'group': None, 'outcall': None}
    item.update(owner)
    return item


class FakeConfig:
    """GET /1.1/<collection> with exact filters and limit, from lists; records the calls."""

    def __init__(self, extensions=(), sip=(), lines=None, refuse=(), voicemails=()):
        self.data = {
            'contexts': CONTEXTS, 'entities': [{'id': 1, 'name': 'xivotest'}],
            'cti_profiles': [{'id': 3, 'name': 'Client'}, {'id': 1, 'name': 'Supervisor'}],
            'callpermissions': [{'id': 1, 'name': 'perm1'}],
            'extensions': list(extensions), 'endpoints/sip': list(sip),
            'voicemails': list(voicemails)}
        self.lines = lines or {}
        self.refuse = refuse
        self.calls = []

    def list(self, collection, acl, **params):
        self.calls.append((collection, dict(params)))
        if collection in self.refuse:
            raise ConfdError('confd at x:9486 refused the list of %s (401): the credentials may '
                             'lack the ACL %s' % (collection, acl))
        items = [item for item in self.data[collection]
                 if all(str(item.get(k)) == str(v) for k, v in params.items()
                        if k not in ('limit', 'search'))]
        if 'search' in params:     # ILIKE over the route's search columns (docs/server-behaviour.md#list-routes)
            term = params['search'].lower()
            items = [item for item in items
                     if any(term in str(item.get(c) or '').lower() for c in ('exten', 'context', 'username'))]
        total = len(items)
        if 'limit' in params:
            items = items[:params['limit']]
        return total, items

    def read(self, path, what, acl, params=None):
        self.calls.append((path, {}))
        line = self.lines.get(int(path.rsplit('/', 1)[1]))
        return ConfdResponse(200 if line else 404, line, '')


def user(uuid, first, exten='', sip='', incall='', vm='', context='default'):
    return {'uuid': uuid, 'firstname': first, 'lastname': 'X', 'exten': exten, 'entity_id': '1',
            'context': context if exten else '', 'sip_username': sip,
            'line_protocol': 'sip' if exten else '', 'incall_exten': incall,
            'incall_context': 'from-extern' if incall else '',
            'voicemail_number': vm, 'voicemail_context': 'default' if vm else ''}


ROW = dict(firstname='Bob', lastname='Jones', username='bjones', password='secret1',
           email='bob@example.com', exten='1002', context='default', line_protocol='sip',
           sip_username='bjonessip', voicemail_name='Bob VM', voicemail_number='1002',
           voicemail_context='default', incall_exten='2002', incall_context='from-extern',
           cti_profile_name='Client', cti_profile_enabled='1', call_permissions='perm1',
           entity_id='1')


def check_all(rows, server=None, users=()):
    server = server or FakeConfig()
    checker = preflight.Preflight(server, list(users))
    checker.prepare(rows)
    return [checker.check(row) for row in rows], checker, server


def _keyed_cost(checker, collection):
    """The estimated server seconds the preflight spent reading ``collection``."""
    return sum(r['cost'] for r in checker.reader.requests if r['collection'] == collection)


def _plain_ways(collection, keys, listed):
    """The cheaper of the two plain ways to learn ``keys`` objects among ``listed``: the whole
    list, or one exact lookup per key, each costing at least a request (plus a rounding margin:
    costs are kept to 4 decimals)."""
    return min(preflight_reads.request_cost(collection, listed), keys * preflight_reads.REQUEST_COST) + 0.001


def test_a_valid_row_passes_without_reading_every_extension_or_sip_endpoint():
    big = FakeConfig(extensions=[ext(i, str(5000 + i), 'default') for i in range(500)],
                     sip=[{'id': i, 'username': 'old%d' % i, 'line': {'id': i}} for i in range(500)])
    (problems,), checker, server = check_all([ROW], server=big)
    assert problems == []
    # The row names two extensions and one SIP name: what it reads of them costs no more than
    # looking each up, far less than the 500-item lists.
    assert _keyed_cost(checker, 'extensions') <= _plain_ways('extensions', 2, 500)
    assert _keyed_cost(checker, 'endpoints/sip') <= _plain_ways('endpoints/sip', 1, 500)


def test_every_server_rule_of_a_row_is_reported_at_once_in_confds_order():
    row = dict(ROW, entity_id='99', voicemail_context='nosuch', call_permissions='perm1;PERM1',
               exten='3500', incall_exten='3500', cti_profile_name='client')
    (problems,), dummy, dummy2 = check_all([row])
    assert [p.split(':')[0] for p in problems] == [
        'entity_id', 'voicemail_context', 'call_permissions', 'exten', 'incall_exten',
        'cti_profile_name']
    assert "confd: Resource Not Found - Entity was not found ('id': 99)" in problems[0]
    assert "Context was not found ('context': u'nosuch')" in problems[1]
    assert "CallPermission was not found ('name': u'PERM1')" in problems[2]
    assert "Extension '3500' is outside of range for context 'default'" in problems[3]
    assert "Extension '3500' is outside of range for context 'from-extern'" in problems[4]
    assert "case-sensitive" in problems[5] and "('name': u'client')" in problems[5]


def test_entity_zero_is_no_entity_and_patterns_and_outcall_skip_the_range():
    rows = [dict(ROW, entity_id='0', exten='_1XXX', incall_exten='_2XXX', voicemail_number='',
                 voicemail_context='', sip_username=''),
            dict(ROW, exten='9999', context='to-extern', line_protocol='', username='x',
                 email='', voicemail_number='', voicemail_context='', incall_exten='',
                 incall_context='', sip_username='')]
    results, dummy, dummy2 = check_all(rows)
    assert results == [[], []]


def test_context_types_line_in_an_incall_context_and_incall_in_an_internal_one():
    row = dict(ROW, context='from-extern', exten='2500', incall_exten='1500', incall_context='default',
               voicemail_number='', voicemail_context='')
    (problems,), dummy, dummy2 = check_all([row])
    assert len(problems) == 2
    assert "ContextType 'incall' cannot be associated" in problems[0]
    assert "ContextType 'internal' cannot be associated" in problems[1]


def test_what_the_export_shows_is_known_without_reading():
    users = [user('alice', 'Alice', exten='1001', sip='asmithsip', incall='2001', vm='1001')]
    rows = [dict(ROW, exten='2001', context='from-extern', incall_exten='', incall_context='',
                 voicemail_number='', voicemail_context=''),
            dict(ROW, exten='1003', incall_exten='2001', sip_username='asmithsip',
                 voicemail_number='1001', username='b2', email='')]
    results, checker, server = check_all(rows, users=users)
    assert 'is the extension of an incall' in results[0][0] and 'associated with a incall' in results[0][0]
    # confd associates the SIP endpoint (C4) before the incall (C7).
    assert [p.split(':')[0] for p in results[1]] == ['sip_username', 'incall_exten']
    assert "Alice X, uuid alice" in results[1][1]
    looked_up = [c[1] for c in server.calls if c[0] in ('extensions', 'endpoints/sip')]
    assert {'exten': '2001', 'context': 'from-extern'} not in looked_up
    assert {'username': 'asmithsip'} not in looked_up


def test_rows_meet_what_earlier_rows_create_but_not_what_refused_rows_would_have():
    rows = [dict(ROW, voicemail_number='', voicemail_context=''),
            dict(ROW, username='b2', email='', exten='2002', context='from-extern',
                 incall_exten='1002', incall_context='default', sip_username='',
                 voicemail_number='', voicemail_context=''),
            dict(ROW, username='b3', email='', exten='1500', entity_id='99', incall_exten='',
                 sip_username='', voicemail_number='', voicemail_context=''),
            dict(ROW, username='b4', email='', exten='1501', incall_exten='1500',
                 incall_context='default', sip_username='', voicemail_number='',
                 voicemail_context='')]
    results, dummy, dummy2 = check_all(rows)
    assert results[0] == []
    assert [p.split(':')[0] for p in results[1]] == ['exten', 'context', 'incall_exten',
                                                     'incall_context']
    assert 'associated with a incall' in results[1][0]       # row 1's incall number
    assert 'an earlier row of this file' in results[1][0]
    assert 'Extension is associated with a user' in results[1][2]
    assert [p.split(':')[0] for p in results[2]] == ['entity_id']
    # Row 3 was refused (not sent): its 1500 does not exist for row 4, which only breaks the
    # incall context type.
    assert len(results[3]) == 1 and "ContextType 'internal'" in results[3][0]


def test_an_extension_the_export_does_not_show_is_looked_up_and_judged_by_its_owner():
    server = FakeConfig(extensions=[
        ext(40, '1500', 'default', group={'id': 1}),
        ext(41, '1501', 'default'),
        ext(42, '1502', 'default', lines=[{'id': 9}]),
        ext(43, '1503', 'default', lines=[{'id': 10}]),
        ext(44, '2500', 'from-extern', incall={'id': 3})],
        lines={9: {'id': 9, 'users': []}, 10: {'id': 10, 'users': [{'uuid': 'u10'}]}})
    base = dict(ROW, sip_username='', voicemail_number='', voicemail_context='', incall_exten='',
                incall_context='')
    rows = [dict(base, exten=e, username='u%s' % e, email='') for e in ('1500', '1501', '1502', '1503')]
    rows.append(dict(base, exten='1504', username='u1504', email='', incall_exten='2500',
                     incall_context='from-extern'))
    results, checker, dummy = check_all(rows, server=server)
    assert 'is the extension of a group' in results[0][0]
    # Attached to nothing the lists show: free, or a queue's (16.15 does not list queues).
    assert 'attached to nothing its lists show' in results[1][0] and len(results[1]) == 1
    assert results[2] == []         # on an orphan line: reused
    assert 'already the extension of another user' in results[3][0]
    assert 'already the number of an incall' in results[4][0]


def test_a_sip_name_on_an_orphan_line_is_refused_a_lineless_one_is_reused():
    server = FakeConfig(sip=[{'id': 1, 'username': 'orphan', 'line': {'id': 1}, 'trunk': None},
                             {'id': 2, 'username': 'loose', 'line': None, 'trunk': None}])
    base = dict(ROW, voicemail_number='', voicemail_context='', incall_exten='', incall_context='')
    rows = [dict(base, sip_username='orphan', exten='1001', username='a', email=''),
            dict(base, sip_username='loose', exten='1002', username='b', email=''),
            dict(base, sip_username='ORPHAN', exten='1003', username='c', email='')]
    results, dummy, dummy2 = check_all(rows, server=server)
    assert 'already belongs to a line' in results[0][0] and 'Line is associated with a Endpoint' in results[0][0]
    assert results[1] == [] and results[2] == []          # SIP names compare with case


def test_a_count_equal_to_the_export_proves_there_is_nothing_else_to_read():
    users = [user('u%d' % i, 'U%d' % i, exten=str(1100 + i)) for i in range(5)]
    server = FakeConfig(extensions=[ext(i, str(1100 + i), 'default', lines=[{'id': i}])
                                    for i in range(5)])
    rows = [dict(ROW, exten=str(1200 + i), username='n%d' % i, email='', sip_username='',
                 voicemail_number='', voicemail_context='', incall_exten='', incall_context='')
            for i in range(20)]
    results, checker, dummy = check_all(rows, server=server, users=users)
    assert results == [[]] * 20
    # The export already shows every extension of the context: one count says so, nothing
    # else is worth reading.
    assert _keyed_cost(checker, 'extensions') <= preflight_reads.request_cost('extensions', 1) + 0.001


def test_reads_are_chosen_by_cost_a_small_list_or_one_lookup_per_key():
    orphan = ext(99, '1999', 'default')
    few = FakeConfig(extensions=[orphan])
    rows = [dict(ROW, exten=str(1200 + i), username='n%d' % i, email='', sip_username='',
                 voicemail_number='', voicemail_context='', incall_exten='', incall_context='')
            for i in range(20)]
    results, checker, dummy = check_all(rows, server=few)
    assert results == [[]] * 20
    count = preflight_reads.request_cost('extensions', 1)
    assert _keyed_cost(checker, 'extensions') <= count + _plain_ways('extensions', 20, 1)
    many = FakeConfig(extensions=[ext(i, str(5000 + i), 'default') for i in range(2000)])
    spread = [dict(rows[0], exten=exten) for exten in ('1200', '1350', '1999')]
    results, checker, dummy = check_all(spread, server=many)
    assert results == [[]] * 3
    assert _keyed_cost(checker, 'extensions') <= count + _plain_ways('extensions', 3, 2000)


def test_the_estimated_server_cost_is_what_confd_spends_on_each_read():
    dummy, checker, server = check_all([ROW])
    cost = checker.cost()
    # Every request the server received is counted, each at the measured 16.15 cost of a
    # request plus that of the items it returned (docs/server-behaviour.md#read-cost).
    calls = list(server.calls)
    returned = [len(server.list(collection, None, **params)[1]) for collection, params in calls]
    assert cost['requests'] == len(calls)
    assert cost['estimated_server_seconds'] == pytest.approx(sum(
        preflight_reads.request_cost(collection, items)
        for (collection, dummy3), items in zip(calls, returned)), abs=1e-3)


def test_a_refused_read_names_its_acl_and_the_way_out():
    with pytest.raises(ConfdError) as error:
        check_all([ROW], server=FakeConfig(refuse=('contexts',)))
    assert 'confd.contexts.read' in str(error.value) and 'preflight: false' in str(error.value)


def test_a_voicemail_of_another_user_is_reused_not_refused_and_said_by_the_plan():
    """A server user's voicemail is the plan's (a conflict unless share_voicemails, with its own
    note); an earlier row's is said here."""
    users = [user('alice', 'Alice', exten='1001', vm='1001')]
    checker = preflight.Preflight(FakeConfig(), users)
    row = dict(ROW, voicemail_number='1001', incall_exten='', incall_context='')
    later = dict(row, username='b2', email='', exten='1003', sip_username='b2sip',
                 voicemail_number='1050')
    first = dict(later, username='b1', exten='1004', sip_username='b1sip')
    checker.prepare([row, first, later])
    assert checker.check(row) == [] and checker.reused == ['voicemail'] and checker.notes == []
    assert checker.check(first) == [] and checker.notes == []
    assert checker.check(later) == [] and checker.reused == ['voicemail']
    assert checker.notes and 'of an earlier row of this file will be shared' in checker.notes[0]


def test_a_voicemail_no_user_has_is_reused_and_kept_by_a_rollback():
    """confd finds a voicemail by number@context before it creates one: one that exists with no
    user (left by a user deleted alone) is reused, so a rollback of the row must keep it."""
    server = FakeConfig(voicemails=[{'id': 7, 'number': '1002', 'context': 'default'}])
    (problems,), checker, dummy = check_all([ROW], server=server)
    assert problems == [] and checker.reused == ['voicemail']
    (problems,), checker, dummy = check_all([ROW])
    assert problems == [] and checker.reused == []


def test_updates_check_what_they_send():
    users = [user('alice', 'Alice', exten='1001', sip='asip'), user('bob', 'Bob', exten='1002', sip='bsip')]
    checker = preflight.Preflight(FakeConfig(), users)
    changes = [{'exten': '1002'}, {'exten': '5000'}, {'sip_username': 'bsip'},
               {'cti_profile_name': 'Nope'}, {'entity_id': '1'}]
    checker.prepare(changes)
    problems = [checker.check(change, update=True, user=users[0]) for change in changes]
    assert 'already exists' in problems[0][0]
    assert 'outside every range' in problems[1][0]
    assert 'SIPEndpoint already exists' in problems[2][0]
    assert 'CtiProfile was not found' in problems[3][0]
    assert problems[4] == []


def test_keys_made_alike_are_found_by_one_search_not_one_lookup_each():
    server = FakeConfig(extensions=[ext(i, str(2000 + i), 'default') for i in range(3000)],
                        sip=[{'id': i, 'username': 'old%d' % i, 'line': {'id': i}} for i in range(3000)]
                        + [{'id': 9999, 'username': 'newsip7', 'line': {'id': 1}}])
    rows = [dict(ROW, exten=str(5000 + i), username='n%d' % i, email='', sip_username='newsip%d' % i,
                 voicemail_number='', voicemail_context='', incall_exten='', incall_context='')
            for i in range(20)]
    contexts = [dict(CONTEXTS[0], user_ranges=[{'start': '1000', 'end': '9999'}])] + CONTEXTS[1:]
    server.data['contexts'] = contexts
    results, checker, dummy = check_all(rows, server=server)
    assert [i for i, problems in enumerate(results) if problems] == [7]
    assert 'already belongs to a line' in results[7][0]
    # Twenty keys alike cost less than twenty lookups, and far less than the 3,000-item lists.
    for collection in ('extensions', 'endpoints/sip'):
        assert _keyed_cost(checker, collection) < _plain_ways(collection, 20, 3000), collection


def test_what_holds_an_extension_or_a_sip_name_gives_confds_exact_refusal():
    """Observed on the real 16.15: a group's extension and a trunk's SIP name are refused with
    these messages; the preflight predicts them from /1.1/extensions and /1.1/endpoints/sip."""
    server = FakeConfig(
        extensions=[ext(36, '1030', 'default', group={'id': 1, 'name': 'grp1'}),
                    ext(37, '1031', 'default', queue={'id': 4}),
                    ext(38, '2030', 'from-extern', group={'id': 2})],
        sip=[{'id': 2, 'username': 'trunksip', 'line': None, 'trunk': {'id': 1}},
             {'id': 3, 'username': 'otherheld', 'line': None, 'trunk': None,
              'custom_owner': {'id': 9}}])
    base = dict(ROW, voicemail_number='', voicemail_context='', incall_exten='', incall_context='')
    rows = [dict(base, exten='1030', sip_username='a1sip', username='a1', email=''),
            dict(base, exten='1040', sip_username='trunksip', username='a2', email=''),
            dict(base, exten='1031', sip_username='a3sip', username='a3', email=''),
            dict(base, exten='1041', sip_username='otherheld', username='a4', email=''),
            dict(base, exten='1042', sip_username='a5sip', username='a5', email='',
                 incall_exten='2030', incall_context='from-extern')]
    results, checker, dummy = check_all(rows, server=server)
    assert results[0] == ["exten: 1030@default is the extension of a group (confd: Resource Error "
                          "- Extension is associated with a group ('associated_id': u'1', "
                          "'id': 36))"]
    assert results[1] == ["sip_username: the SIP endpoint 'trunksip' belongs to a trunk, not to a "
                          "user (confd: Resource Error - Trunk is associated with a Endpoint "
                          "('trunk_id': 1, 'endpoint': 'sip', 'endpoint_id': 2))"]
    # Any holder the list names, even one 16.15 does not list, is never "creatable".
    assert results[2][0].startswith('exten: 1031@default is the extension of a queue')
    assert results[3][0].startswith("sip_username: the SIP endpoint 'otherheld' belongs to a "
                                    "custom_owner")
    assert "Extension is associated with a group ('associated_id': u'2', 'extension_id': 38)" \
        in results[4][0]
    assert checker.reused == []


def test_an_extension_or_endpoint_made_by_an_earlier_row_is_still_reused():
    rows = [dict(ROW, line_protocol='', exten='1050', sip_username='', voicemail_number='',
                 voicemail_context='', incall_exten='', incall_context=''),
            dict(ROW, username='b2', email='', exten='1050', sip_username='', voicemail_number='',
                 voicemail_context='', incall_exten='', incall_context='')]
    results, dummy, dummy2 = check_all(rows)
    assert results == [[], []]
