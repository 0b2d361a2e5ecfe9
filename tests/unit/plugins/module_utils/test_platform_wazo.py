# -*- coding: utf-8 -*-
"""The row side of Wazo Platform 26.08, from the bodies an unmodified wazo-confd 26.08 answered
(wazo_26_08/README.md): columns, rules, created ids, legacy rows adapted to a tenant, and what
makes a row another person's on Wazo."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, import_plan, import_run, preflight)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdResponse)
from ansible_collections.xivo.confd.plugins.module_utils import wazo_identity, wazo_rows
from ansible_collections.xivo.confd.plugins.module_utils.platform_wazo import WAZO
from ansible_collections.xivo.confd.plugins.module_utils.platform_xivo import XIVO
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'wazo_26_08')
TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
TENANT_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
A_INTERNAL = 'ctx-tenanta-internal-106f6111-ef37-4423-af5e-1f714340bc99'
A_INCALL = 'ctx-tenanta-incall-d8e6efc3-5e8d-439f-a015-3623eba3e18a'
# The columns of the recorded import requests (016-044).
RECORDED_HEADER = (
    'firstname,lastname,email,username,password,language,mobile_phone_number,'
    'outgoing_caller_id,enabled,ring_seconds,simultaneous_calls,call_transfer_enabled,'
    'subscription_type,line_protocol,context,exten,sip_username,sip_secret,voicemail_name,'
    'voicemail_number,voicemail_context,voicemail_password,voicemail_email,'
    'voicemail_attach_audio,voicemail_delete_messages,voicemail_ask_password,incall_exten,'
    'incall_context,incall_ring_seconds,call_permissions')


def body(name):
    with open(os.path.join(HERE, name), encoding='utf-8', newline='') as handle:
        text = handle.read()
    if name.endswith('.json'):
        return json.loads(text)
    return list(csv.DictReader(io.StringIO(text.strip('\n'), newline='')))


def contexts_a():
    return body('contexts-tenant-a.json')['items']


def export_a():
    return body('export-tenant-a.json')['content']


def recorded_row(cells, header=RECORDED_HEADER):
    """A row of a recorded request, as the dict a confd CSV gives."""
    return next(csv.DictReader(io.StringIO(header + '\n' + cells + '\n')))


def legacy_rows(text, header):
    """Platform-neutral rows (the confd 16.x columns), as the conversion gives them."""
    data = (','.join(header) + '\n' + text).encode('utf-8')
    return confd_csv.read('legacy.csv', data=data)


def problems_of(row):
    return [(p.column, p.reason, p.severity) for p in wazo_rows.validate_row(row)]


# -- columns ---------------------------------------------------------------------------------

def test_the_export_columns_are_the_39_columns_wazo_26_08_answered():
    assert list(wazo_rows.EXPORT_COLUMNS) == body('export-tenant-a.json')['headers']
    assert list(wazo_rows.EXPORT_COLUMNS) == list(body('export-tenant-b.csv.bin')[0])
    assert len(wazo_rows.EXPORT_COLUMNS) == 39


def test_the_import_columns_are_the_recorded_requests_columns_without_the_16x_ones():
    recorded = set(RECORDED_HEADER.split(','))
    assert recorded <= set(wazo_rows.IMPORT_COLUMNS)
    assert not set(wazo_rows.IGNORED_COLUMNS) & set(wazo_rows.IMPORT_COLUMNS)
    # Everything Wazo exports but the uuid, the provisioning code and the password-less login
    # can be imported, and the password too.
    exported = set(wazo_rows.EXPORT_COLUMNS) - {'uuid', 'provisioning_code'}
    assert exported <= set(wazo_rows.IMPORT_COLUMNS)
    assert 'password' in wazo_rows.IMPORT_COLUMNS
    assert set(wazo_rows.CALL_RECORD_COLUMNS) <= wazo_rows.BOOLEAN_COLUMNS
    assert 'subscription_type' in wazo_rows.INTEGER_COLUMNS


# -- validate_row: the recorded refusals, in the server's order --------------------------------

def test_the_rows_wazo_created_pass():
    for cells in (
            # 016 row 1 and 4, 021 (webrtc), 024 (sccp), 025 (a user only).
            'Alice,Smith,asmith@example.com,asmith,Secret-asmith,fr_FR,,,1,30,5,1,1,sip,%s,1001,'
            'asmithsip,sipS3cret1001,Alice Smith VM,1001,%s,11001,asmith@example.com,1,0,1,2001,'
            '%s,20,intl-deny' % (A_INTERNAL, A_INTERNAL, A_INCALL),
            'David,Martin,dmartin@example.com,dmartin,Secret-dmartin,fr_FR,,"""David M"" <5551004>",'
            '1,30,5,1,1,sip,%s,1004,dmartinsip,sipS3cret1004,David Martin VM,1004,%s,11004,'
            'dmartin@example.com,1,0,1,2004,%s,20,' % (A_INTERNAL, A_INTERNAL, A_INCALL),
            'Kate,Web,kweb@example.com,kweb,Secret-kweb,fr_FR,,,1,30,5,1,1,webrtc,%s,1011,kwebsip,'
            'sipS3cret1011,,,,,,,,,,,,' % A_INTERNAL,
            'Ned,Sccp,nsccp@example.com,nsccp,Secret-nsccp,fr_FR,,,1,30,5,1,1,sccp,%s,1014,,'
            'sipS3cret1014,,,,,,,,,,,,' % A_INTERNAL,
            'Olga,Useronly,ouseronly@example.com,ouseronly,Secret-ouseronly,fr_FR,,,1,30,5,1,1,,,,,'
            'sipS3cret,,,,,,,,,,,,'):
        assert problems_of(recorded_row(cells)) == []
    # 178: a SIP username with a dot, which 16.15 refuses, is taken by Wazo.
    assert problems_of(recorded_row('Bad,Sip,badsip,Passw0rd,1702,%s,sip,b.jones' % A_INTERNAL,
                                    'firstname,lastname,username,password,exten,context,'
                                    'line_protocol,sip_username')) == []


def test_custom_and_unknown_line_protocols_are_refused_with_wazos_choices():
    # 022 and 026: Input Error - 'line_protocol' must be one of (webrtc, sccp, sip).
    custom = recorded_row('Leo,Custom,lcustom@example.com,lcustom,Secret-lcustom,fr_FR,,,1,30,5,1,'
                          '1,custom,%s,1012,lcustomsip,sipS3cret1012,,,,,,,,,,,,' % A_INTERNAL)
    (column, reason, severity), = problems_of(custom)
    assert column == 'line_protocol' and severity == 'error'
    assert 'custom lines cannot be imported into Wazo' in reason
    assert "must be one of (webrtc, sccp, sip)" in reason
    unknown = dict(custom, line_protocol='foo')
    (column, reason, dummy), = problems_of(unknown)
    assert reason.startswith('must be sip, sccp or webrtc')
    # 023: empty with an exten.
    empty = dict(custom, line_protocol='')
    (column, reason, dummy), = problems_of(empty)
    assert column == 'line_protocol' and 'missing parameters: line_protocol' in reason


def test_the_wazo_password_rule_and_the_email_rule():
    # 032: a password holding @ -> {'password': ['String does not match expected pattern.']}
    row = recorded_row('Tom,Dup,tom2@example.com,asmith@example.com,Secret-asmith@example.com,'
                       'fr_FR,,,1,30,5,1,1,sip,%s,1019,tomsip,sipS3cret1019,,,,,,,,,,,,'
                       % A_INTERNAL)
    (column, reason, dummy), = problems_of(row)
    assert column == 'password' and 'no @' in reason
    assert "{'password': ['String does not match expected pattern.']}" in reason
    assert 'Secret-asmith' not in reason          # no value, so no secret, in a reason
    # 040: an email that is no address -> {'email': ['Not a valid email address.']}
    row = recorded_row('Tom,Dup,asmith,tnew,Secret-tdup,fr_FR,,,1,30,5,1,1,sip,%s,1026,tnewsip,'
                       'sipS3cret1019,,,,,,,,,,,,' % A_INTERNAL)
    (column, reason, dummy), = problems_of(row)
    assert column == 'email' and 'Not a valid email address.' in reason
    for good in ('bjones@EXAMPLE.com', 'a.b+c@sub.example.org', 'x@localhost'):
        assert wazo_rows.valid_email(good), good
    for bad in ('asmith', 'a@b', 'a@@b.com', 'a b@example.com', '@example.com'):
        assert not wazo_rows.valid_email(bad), bad


@pytest.mark.parametrize('value,ok', [('0', True), ('10', True), ('11', False), ('x', False),
                                      ('-1', False)])
def test_subscription_type_is_0_to_10(value, ok):
    problems = problems_of({'firstname': 'A', 'subscription_type': value})
    assert (problems == []) is ok
    if not ok:
        assert problems[0][0] == 'subscription_type'


def test_the_order_is_the_parse_then_the_user_then_its_login_then_the_line():
    row = {'firstname': 'A', 'enabled': 'yes', 'email': 'nope', 'password': 'a@b',
           'line_protocol': 'custom', 'exten': '1001', 'context': 'x', 'ring_seconds': '600'}
    assert [p[0] for p in problems_of(row)] == ['enabled', 'email', 'password', 'line_protocol']
    # 600 ring seconds: 16.15 refuses more than 60, wazo-confd's schema takes up to 10800.
    assert problems_of({'firstname': 'A', 'ring_seconds': '600'}) == []
    assert problems_of({'firstname': 'A', 'ring_seconds': '10801'})[0][0] == 'ring_seconds'


def test_16x_columns_left_in_a_row_are_warnings_not_errors():
    # 019 and 020: entity_id, cti_profile_*, call_record_enabled are ignored even when invalid.
    row = recorded_row('Jack,Old,jold@example.com,jold,Secret-jold,fr_FR,,,1,30,5,1,1,sip,%s,1010,'
                       'joldsip,sipS3cret1010,,,,,,,,,,,,,99,Nosuch,x,x' % A_INTERNAL,
                       RECORDED_HEADER + ',entity_id,cti_profile_name,cti_profile_enabled,'
                       'call_record_enabled')
    problems = problems_of(row)
    assert sorted(p[0] for p in problems) == sorted(wazo_rows.IGNORED_COLUMNS)
    assert set(p[2] for p in problems) == {'warning'}


# -- created ids ---------------------------------------------------------------------------------

def test_created_ids_take_the_sip_uuid_and_the_sccp_id():
    # 016 row 1 and 024, 025.
    sip = WAZO.created_ids({
        'row_number': 1, 'user_id': 1, 'user_uuid': 'eea74910-56be-429e-9823-2da1ed26ec5c',
        'voicemail_id': 1, 'line_id': 1, 'sip_uuid': '271483b3-f476-4bd4-83e9-b184e29456de',
        'sccp_id': None, 'extension_id': 1, 'incall_extension_id': 2,
        'call_permission_ids': [1]})
    assert (sip['endpoint_kind'], sip['endpoint_id']) == \
        ('sip', '271483b3-f476-4bd4-83e9-b184e29456de')
    assert sip['user_uuid'] == 'eea74910-56be-429e-9823-2da1ed26ec5c' and 'row_number' not in sip
    sccp = WAZO.created_ids({'row_number': 1, 'user_id': 14, 'user_uuid': 'u', 'line_id': 12,
                             'sip_uuid': None, 'sccp_id': 1, 'extension_id': 19})
    assert (sccp['endpoint_kind'], sccp['endpoint_id']) == ('sccp', 1)
    user_only = WAZO.created_ids({'row_number': 1, 'user_id': 15, 'user_uuid': 'u',
                                  'line_id': None, 'sip_uuid': None, 'sccp_id': None})
    assert (user_only['endpoint_kind'], user_only['endpoint_id']) == (None, None)


def test_the_platform_answers_with_the_wazo_row_side():
    assert WAZO.columns.import_ == wazo_rows.IMPORT_COLUMNS and WAZO.columns.update == ()
    assert WAZO.columns.export == wazo_rows.EXPORT_COLUMNS
    assert 'subscription_type' in WAZO.columns.integer and 'password' in WAZO.columns.secret
    row = {'firstname': 'A', 'line_protocol': 'custom'}
    assert [p.column for p in WAZO.validate_row(row)] == ['line_protocol']
    # 16.15 only warns: it creates no line for an unknown protocol.
    assert [p.severity for p in XIVO.validate_row(row)] == ['warning']
    header = ['firstname', 'context', 'exten', 'line_protocol']
    rows = [{'firstname': 'A', 'context': 'default', 'exten': '1001', 'line_protocol': 'sip'}]
    assert XIVO.adapt_rows(header, rows, {}) == (header, rows, [])
    new_header, new_rows, problems = WAZO.adapt_rows(header, rows, {'contexts': contexts_a()})
    assert new_rows == [dict(rows[0], context=A_INTERNAL)] and problems == []
    assert WAZO.adapt_reads == ('contexts',) and XIVO.adapt_reads == ()
    assert (WAZO.renames_shared_voicemail, XIVO.renames_shared_voicemail) == (False, True)
    assert XIVO.identity_conflicts(rows[0], None, XIVO.identity_view(export_a())) == []
    assert XIVO.identity_warnings(XIVO.identity_view([])) == []


# -- adapt_rows: legacy XiVO rows into a tenant -----------------------------------------------

LEGACY_HEADER = list(IMPORT_COLUMNS)


def legacy_row(**cells):
    values = dict((c, '') for c in LEGACY_HEADER)
    values.update(cells)
    return ','.join('"%s"' % values[c].replace('"', '""') for c in LEGACY_HEADER)


def adapt(lines, contexts=None, context_map=None):
    header, rows = legacy_rows('\n'.join(lines) + '\n', LEGACY_HEADER)
    return wazo_rows.adapt_rows(header, rows, dict(
        contexts=contexts_a() if contexts is None else contexts, context_map=context_map,
        tenant=TENANT_A))


def test_legacy_contexts_become_the_tenants_contexts_by_label():
    # 027 and 028: the labels are refused as names; the generated names are what confd reads.
    header, rows, problems = adapt([legacy_row(
        firstname='Rita', lastname='Label', line_protocol='sip', context='default', exten='1017',
        voicemail_name='Rita Label VM', voicemail_number='1017', voicemail_context='default',
        incall_exten='2017', incall_context='from-extern')])
    assert problems == []
    values = rows[0].values
    assert values['context'] == A_INTERNAL and values['voicemail_context'] == A_INTERNAL
    assert values['incall_context'] == A_INCALL
    assert rows[0].problem is None
    assert wazo_rows.validate_row(values) == []


def test_a_context_already_named_as_the_tenant_names_it_is_kept():
    dummy, rows, problems = adapt([legacy_row(firstname='A', line_protocol='sip',
                                              context=A_INTERNAL, exten='1001')])
    assert problems == [] and rows[0].values['context'] == A_INTERNAL


def test_a_missing_context_fails_its_row_naming_the_context():
    header, rows, problems = adapt([
        legacy_row(firstname='Good', line_protocol='sip', context='default', exten='1001'),
        legacy_row(firstname='Bad', line_protocol='sip', context='sales', exten='1002')])
    assert rows[0].problem is None
    assert rows[1].problem and rows[1].problem_column == 'context'
    assert "the legacy context 'sales' is no context of tenant %s" % TENANT_A in rows[1].problem
    assert 'context_map' in rows[1].problem and 'default' in rows[1].problem
    (line, column, reason, severity), = problems
    assert (line, column, severity) == (3, 'context', 'error') and reason == rows[1].problem
    # plan() fails such a row with that reason, sends the others.
    outcomes = import_plan.plan(header, rows, [])
    assert [o.status for o in outcomes] == ['create', 'failed']
    assert "'sales'" in outcomes[1].error


def test_context_map_names_the_target_by_label_or_by_name():
    dummy, rows, problems = adapt([
        legacy_row(firstname='A', line_protocol='sip', context='sales', exten='1001',
                   incall_exten='2001', incall_context='dids')],
        context_map={'sales': 'default', 'dids': A_INCALL})
    assert problems == []
    assert rows[0].values['context'] == A_INTERNAL and rows[0].values['incall_context'] == A_INCALL
    dummy, rows, problems = adapt([legacy_row(firstname='A', line_protocol='sip',
                                              context='sales', exten='1001')],
                                  context_map={'sales': 'nowhere'})
    assert "context_map maps the legacy context 'sales' to 'nowhere'" in rows[0].problem


def test_a_label_two_contexts_share_is_ambiguous():
    # 079: from the master tenant with recurse, both tenants' contexts are labelled 'default'.
    everything = body('contexts-master-recurse.json')['items']
    dummy, rows, problems = adapt([legacy_row(firstname='A', line_protocol='sip',
                                              context='default', exten='1001')],
                                  contexts=everything)
    assert 'matches 2 contexts' in rows[0].problem and A_INTERNAL in rows[0].problem
    assert 'ctx-tenantb-internal-' in rows[0].problem
    # A label shared by contexts of different types: the column's type decides.
    twins = [dict(c) for c in contexts_a()]
    twins[1]['label'] = 'default'      # the incall context labelled 'default' too
    dummy, rows, problems = adapt([legacy_row(
        firstname='A', line_protocol='sip', context='default', exten='1001',
        incall_exten='2001', incall_context='default')], contexts=twins)
    assert problems == []
    assert rows[0].values['context'] == A_INTERNAL and rows[0].values['incall_context'] == A_INCALL


def test_columns_wazo_ignores_are_mapped_or_reported_never_lost_without_a_word():
    header, rows, problems = adapt([
        legacy_row(firstname='A', entity_id='1', cti_profile_name='Client',
                   cti_profile_enabled='1', call_record_enabled='1'),
        legacy_row(firstname='B', entity_id='1', call_record_enabled='0'),
        legacy_row(firstname='C')])
    assert not set(wazo_rows.IGNORED_COLUMNS) & set(header)
    assert set(wazo_rows.CALL_RECORD_COLUMNS) <= set(header)
    assert [[r.values[c] for c in wazo_rows.CALL_RECORD_COLUMNS] for r in rows] == \
        [['1'] * 4, ['0'] * 4, [''] * 4]
    assert all(not set(wazo_rows.IGNORED_COLUMNS) & set(r.values) for r in rows)
    warnings = dict((p.column, p.reason) for p in problems)
    assert set(p.severity for p in problems) == {'warning'}
    assert set(p.line for p in problems) == {None}
    assert warnings['entity_id'].startswith('entity_id: 2 rows had a value')
    assert warnings['cti_profile_name'].startswith('cti_profile_name: 1 rows had a value')
    assert warnings['cti_profile_enabled'].startswith('cti_profile_enabled: 1 rows')
    assert 'call_record_*_enabled' in warnings['call_record_enabled']
    assert '2 rows' in warnings['call_record_enabled']
    for row in rows:
        assert wazo_rows.validate_row(row.values) == []


def test_the_rows_given_are_not_changed():
    header, rows = legacy_rows(legacy_row(firstname='A', line_protocol='sip', context='default',
                                          exten='1001', entity_id='1') + '\n', LEGACY_HEADER)
    before = dict(rows[0].values)
    wazo_rows.adapt_rows(header, rows, dict(contexts=contexts_a()))
    assert rows[0].values == before and rows[0].problem is None


def test_two_rows_with_one_login_ignoring_case_are_refused_before_the_opaque_409():
    # 167: the same username twice in one file -> 409 Conflict detected for url ... (row 2).
    dummy, rows, problems = adapt([
        legacy_row(firstname='Dup', lastname='One', username='dupone'),
        legacy_row(firstname='Dup', lastname='Two', username='DupOne'),
        legacy_row(firstname='Mail', email='dupone@example.com'),
        legacy_row(firstname='Mail', lastname='Two', email='DUPONE@example.com')])
    assert [bool(r.problem) for r in rows] == [False, True, False, True]
    assert 'the same wazo-auth login as the username of line 2' in rows[1].problem
    assert 'the same wazo-auth login as the email of line 4' in rows[3].problem


# -- identity on Wazo ----------------------------------------------------------------------------

def by_name(users, firstname):
    return next(u for u in users if u['firstname'] == firstname)


def test_a_login_that_differs_only_in_case_is_another_persons():
    # 030: username ASmith beside asmith -> 409 Conflict detected for url: http://.../0.1/users
    users = export_a()
    view = wazo_identity.IdentityView(users)
    row = recorded_row('Sam,Dup,sam@example.com,ASmith,Secret-ASmith,fr_FR,,,1,30,5,1,1,sip,%s,'
                       '1018,samsip,sipS3cret1018,,,,,,,,,,,,' % A_INTERNAL)
    (reason, owners), = wazo_identity.identity_conflicts(row, None, view)
    assert owners == [by_name(users, 'Alice')]
    assert reason.startswith('username=ASmith is already a wazo-auth login or e-mail of '
                             "'Alice Smith' (uuid eea74910-56be-429e-9823-2da1ed26ec5c")
    assert '409' in reason and 'http' not in reason
    # 029 (the exact username) is the 16.15 check's: not said twice here.
    assert wazo_identity.identity_conflicts(dict(row, username='asmith'), None, view) == []
    # 038: a username that is another user's email.
    (reason, owners), = wazo_identity.identity_conflicts(
        dict(row, username='asmith@example.com'), None, view)
    assert owners == [by_name(users, 'Alice')]
    # The row's own user is never a conflict with itself.
    alice = by_name(users, 'Alice')
    assert wazo_identity.identity_conflicts(dict(row, username='ASMITH'), alice, view) == []


def test_an_email_of_another_tenant_is_another_persons():
    # 044: tenant A's email imported in tenant B -> User already exists ('email': ...); B's
    # export does not show it, the wazo-auth accounts do.
    tenant_b = body('export-tenant-b.csv.bin')
    accounts = [dict(uuid=u['uuid'], username=u['username'], emails=[u['email']],
                     tenant_uuid=TENANT_A, firstname=u['firstname'], lastname=u['lastname'])
                for u in export_a()]
    row = recorded_row('Ema,Cross,bjones@example.com,ecross,Secret-ecross,fr_FR,,,1,30,5,1,1,sip,'
                       'ctx-tenantb-internal-5b8b42af-b990-40e8-87f8-fa77bbfdaa4b,1032,emasip,'
                       'sipS3cret1032,,,,,,,,,,,,')
    blind = wazo_identity.IdentityView(tenant_b)
    assert wazo_identity.identity_conflicts(row, None, blind) == []
    assert wazo_identity.identity_notes(blind)
    view = wazo_identity.IdentityView(tenant_b, accounts)
    assert wazo_identity.identity_notes(view) == []
    (reason, owners), = wazo_identity.identity_conflicts(
        dict(row, email='BJones@Example.com'), None, view)
    assert owners[0]['uuid'] == by_name(export_a(), 'Bob')['uuid']
    assert "'Bob Jones' (wazo-auth user bjones" in reason and 'tenant %s' % TENANT_A in reason
    assert "User already exists ('email'" in reason
    # Tenant B's own users seen in both lists are named once, from the export.
    both = accounts + [dict(uuid=u['uuid'], username=u['username'], emails=[u['email']],
                            tenant_uuid=TENANT_B) for u in tenant_b]
    view = wazo_identity.IdentityView(tenant_b, both)
    (reason, owners), = wazo_identity.identity_conflicts(
        dict(row, username='ZBEE', email='ema@example.com'), None, view)
    assert owners == [tenant_b[0]] and "'Zoe Bee' (uuid" in reason


def test_accounts_from_auth_reads_wazo_auth_users():
    accounts = wazo_identity.accounts_from_auth([
        {'uuid': 'u1', 'username': 'asmith', 'firstname': 'Alice', 'lastname': 'Smith',
         'tenant_uuid': TENANT_A, 'emails': [{'address': 'asmith@example.com', 'main': True}]},
        {'uuid': 'u2', 'username': None, 'emails': []}, 'junk'])
    assert accounts == [
        dict(uuid='u1', username='asmith', emails=['asmith@example.com'], tenant_uuid=TENANT_A,
             firstname='Alice', lastname='Smith'),
        dict(uuid='u2', username='', emails=[], tenant_uuid=None, firstname='', lastname='')]


def test_another_users_incall_number_is_a_conflict_not_a_silent_takeover():
    # 035: Wes's row named Alice's incall 2001: 201, and Alice lost her incoming number (062
    # shows it on Wes). Before that import, Alice held it.
    users = export_a()
    alice, wes = by_name(users, 'Alice'), by_name(users, 'Wes')
    assert (wes['incall_exten'], alice['incall_exten']) == ('2001', '')
    before = [dict(u) for u in users if u is not wes]
    by_name(before, 'Alice').update(incall_exten='2001', incall_context=A_INCALL)
    row = recorded_row('Wes,Dup,wdup@example.com,wdup,Secret-wdup,fr_FR,,,1,30,5,1,1,sip,%s,1021,'
                       'wessip,sipS3cret1021,,,,,,,,,2001,%s,20,' % (A_INTERNAL, A_INCALL))
    (reason, owners), = wazo_identity.identity_conflicts(row, None, wazo_identity.IdentityView(before))
    assert owners[0]['uuid'] == alice['uuid']
    assert reason.startswith('incall_exten=2001@%s is the incoming number of ' % A_INCALL)
    assert "'Alice Smith'" in reason and 'silently lose it' in reason
    # Once Wes has it, his own row is no conflict; anyone else's is, naming Wes.
    view = wazo_identity.IdentityView(users)
    assert wazo_identity.identity_conflicts(row, wes, view) == []
    (reason, owners), = wazo_identity.identity_conflicts(dict(row, username='other'), None, view)
    assert owners == [wes]


# -- the plan on a Wazo tenant -------------------------------------------------------------------

def plan_rows(text, users, platform=WAZO, **options):
    header = RECORDED_HEADER.split(',')
    rows = [confd_csv.SourceRow(number, number + 1, recorded_row(cells))
            for number, cells in enumerate(text.split('\n'), 1)]
    return import_plan.plan(header, rows, users, platform=platform, **options)


def test_the_plan_makes_wazos_another_person_cases_conflicts_before_anything_is_sent():
    users = export_a()
    wes = by_name(users, 'Wes')
    outcomes = plan_rows('\n'.join((
        # 030: a username another user has, in another case.
        'Sam,Dup,sam@example.com,ASmith,Secret-ASmith,fr_FR,,,1,30,5,1,1,sip,%s,1018,samsip,'
        'sipS3cret1018,,,,,,,,,,,,' % A_INTERNAL,
        # 035 once Wes holds 2001: another row naming it.
        'Yve,New,ynew@example.com,ynew,Secret-ynew,fr_FR,,,1,30,5,1,1,sip,%s,1030,ynewsip,'
        'sipS3cret1030,,,,,,,,,2001,%s,20,' % (A_INTERNAL, A_INCALL),
        # Wes's own row again: his incall is his.
        'Wes,Dup,wdup@example.com,wdup,Secret-wdup,fr_FR,,,1,30,5,1,1,sip,%s,1021,wessip,'
        'sipS3cret1021,,,,,,,,,2001,%s,20,' % (A_INTERNAL, A_INCALL))), users)
    assert [o.status for o in outcomes] == ['conflict', 'conflict', 'unchanged']
    assert "'Alice Smith'" in outcomes[0].error and '409' in outcomes[0].error
    assert outcomes[0].involved == [by_name(users, 'Alice')['uuid']]
    assert 'silently lose it' in outcomes[1].error and outcomes[1].involved == [wes['uuid']]
    assert outcomes[2].uuid == wes['uuid']
    # The same rows planned for XiVO: 16.15 compares usernames with their case, and refuses
    # an incall number itself (its preflight says so).
    assert [o.status for o in plan_rows('\n'.join((
        'Sam,Dup,sam@example.com,ASmith,Secret-ASmith,fr_FR,,,1,30,5,1,1,sip,%s,1018,samsip,'
        'sipS3cret1018,,,,,,,,,,,,' % A_INTERNAL,)), users, platform=XIVO)] == ['create']


def test_a_shared_voicemail_keeps_its_name_on_wazo():
    # 036: Xia's row named Alice's voicemail 1001: shared, and still named 'Alice Smith VM'.
    users = [u for u in export_a() if u['firstname'] != 'Xia']
    row = ('Xia,Dup,xdup@example.com,xdup,Secret-xdup,fr_FR,,,1,30,5,1,1,sip,%s,1022,xiasip,'
           'sipS3cret1022,Xia Dup VM,1001,%s,11022,xdup@example.com,1,0,1,,,,'
           % (A_INTERNAL, A_INTERNAL))
    outcome, = plan_rows(row, users)
    assert outcome.status == 'conflict'
    assert "keep its name 'Alice Smith VM'" in outcome.error and 'rename' not in outcome.error
    outcome, = plan_rows(row, users, share_voicemails=True)
    assert outcome.status == 'create' and outcome.shared_voicemail['renamed_to'] is None
    outcome, = plan_rows(row, users, platform=XIVO, share_voicemails=True)
    assert outcome.shared_voicemail['renamed_to'] == 'Xia Dup'


# -- one import run into a Wazo tenant (a scripted wazo-confd, tenant A after 062) ------------------

class OwnTenantSwitch:
    """A fake client's in_own_tenant, as WazoClient's: no Wazo-Tenant header inside the block."""

    @contextlib.contextmanager
    def in_own_tenant(self):
        tenant, self.tenant = self.tenant, None
        try:
            yield self
        finally:
            self.tenant = tenant


class WazoTenant(OwnTenantSwitch):
    """Tenant A as wazo-confd 26.08 answered (contexts 068, export 062), tenant B's users in
    wazo-auth; the import creates one user per row and records what it was sent."""

    host, port, timeout = '127.0.0.1', 443, 30
    secrets = frozenset()
    platform, tenant, tenant_option, reached = WAZO, TENANT_A, TENANT_A, '127.0.0.1:443'

    def __init__(self, auth_readable=True):
        self.users = export_a()
        self.auth_readable = auth_readable
        self.bodies = []
        self.lists = []

    def list(self, collection, acl, **params):
        self.lists.append((collection, acl))
        assert collection == 'contexts'
        return 3, contexts_a()

    def call(self, method, path, idempotent, what, headers=None, acl=None, api='confd', **kwargs):
        assert (method, path, api, acl) == ('GET', '/users', 'auth', 'auth.users.read')
        assert self.tenant is None      # the credentials' own tenant: every tenant they see
        assert kwargs['params'] == {'recurse': 'true'}
        if not self.auth_readable:
            raise ConfdAuthRefused('wazo-auth refused the %s (401)' % what)
        tenant_b = [{'uuid': u['uuid'], 'username': u['username'], 'tenant_uuid': TENANT_B,
                     'firstname': u['firstname'], 'lastname': u['lastname'],
                     'emails': [{'address': u['email'], 'main': True}]}
                    for u in body('export-tenant-b.csv.bin')]
        return ConfdResponse(200, {'items': tenant_b, 'total': len(tenant_b)}, '')

    def export_users(self):
        return list(wazo_rows.EXPORT_COLUMNS), [dict(u) for u in self.users]

    def import_csv(self, data, update=False):
        self.bodies.append(data.decode('utf-8'))
        rows = list(csv.DictReader(io.StringIO(data.decode('utf-8'))))
        created = []
        for number, row in enumerate(rows, 1):
            self.users.append(dict(row, uuid='new-%d' % number))
            created.append(dict(row_number=number, user_id=900 + number,
                                user_uuid='new-%d' % number, sip_uuid='sip-%d' % number,
                                sccp_id=None, line_id=number))
        return ConfdResponse(201, {'created': created}, '')


LEGACY_SOURCE = (
    'entity_id,firstname,lastname,email,username,call_record_enabled,cti_profile_name,context,'
    'line_protocol,exten,incall_exten,incall_context\n'
    '1,Nina,New,nnew@example.com,nnew,1,Client,default,sip,1050,,\n'
    '1,Sam,Dup,sam@example.com,ASMITH,0,,default,sip,1051,,\n'
    '1,Yve,New,ynew@example.com,ynew,,,default,sip,1052,2001,from-extern\n'
    '1,Sal,Es,sales@example.com,sales,,,sales,sip,1053,,\n'
    '1,Zed,Cross,ZBEE@example.com,zcross,,,default,sip,1054,,\n')


def run_into_tenant(tmp_path, server, **options):
    src = tmp_path / 'users.csv'
    src.write_text(LEGACY_SOURCE)
    return import_run.ImportRun(server, str(src), dict(
        dict(lock_dir=str(tmp_path / 'locks'), preflight=False, server_lock='local',
             fail_on_error=False), **options), host='wazo-a').run()


def test_a_legacy_file_into_a_wazo_tenant_is_adapted_and_another_persons_rows_kept_back(tmp_path):
    server = WazoTenant()
    result = run_into_tenant(tmp_path, server)
    statuses = [(u['name'], u['status']) for u in result['users']]
    assert statuses == [('Nina New', 'created'), ('Sam Dup', 'conflict'),
                        ('Yve New', 'conflict'), ('Sal Es', 'failed'), ('Zed Cross', 'conflict')]
    sam, yve, sal, zed = result['users'][1:]
    assert "'Alice Smith'" in sam['error'] and '409' in sam['error']
    assert "'Wes Dup'" in yve['error'] and 'silently lose it' in yve['error']
    assert "the legacy context 'sales' is no context of tenant %s" % TENANT_A in sal['error']
    assert "'Zoe Bee' (wazo-auth user zbee" in zed['error'] and TENANT_B in zed['error']
    # One request, Nina's row only, as tenant A reads it.
    sent, = server.bodies
    header = sent.splitlines()[0].split(',')
    assert not set(wazo_rows.IGNORED_COLUMNS) & set(header)
    nina, = list(csv.DictReader(io.StringIO(sent)))
    assert nina['context'] == A_INTERNAL
    assert [nina[c] for c in wazo_rows.CALL_RECORD_COLUMNS] == ['1'] * 4
    assert result['users'][0]['ids']['endpoint_id'] == 'sip-1'
    assert server.lists == [('contexts', 'confd.contexts.read')]
    warnings = '\n'.join(result['warnings'])
    assert 'entity_id: 5 rows had a value' in warnings
    assert 'cti_profile_name: 1 rows had a value' in warnings


def test_unreadable_wazo_auth_users_are_said_and_the_tenant_is_still_checked(tmp_path):
    server = WazoTenant(auth_readable=False)
    result = run_into_tenant(tmp_path, server)
    assert [u['status'] for u in result['users']] == \
        ['created', 'conflict', 'conflict', 'failed', 'created']
    warnings = '\n'.join(result['warnings'])
    assert 'the list of wazo-auth users could not be read' in warnings
    assert 'a login or e-mail used in another tenant is found only when the server refuses' \
        in warnings


# -- the preflight on a Wazo tenant ----------------------------------------------------------------

MASTER = '11111111-1111-4111-8111-111111111111'


class WazoLists(OwnTenantSwitch):
    """GET /1.1/<collection> of tenant A (068-070), exact filters; lines by id, with no user.
    ``own``: the credentials' tenant (the master tenant, or A for a tenant administrator);
    ``other_sip``: SIP endpoints of another tenant, listed from the master tenant with
    ``recurse=true`` (083)."""

    def __init__(self, own=MASTER, other_sip=()):
        self.tenant = TENANT_A
        self.own = own
        self.data = {'contexts': contexts_a(), 'callpermissions': [], 'voicemails': [],
                     'extensions': body('extensions-tenant-a.json')['items'],
                     'endpoints/sip': body('endpoints-sip-tenant-a.json')['items']}
        self.other_sip = list(other_sip)
        self.calls = []

    def list(self, collection, acl, **params):
        acting = self.tenant or self.own
        self.calls.append((collection, acting, dict(params)))
        data = list(self.data[collection])
        if collection == 'endpoints/sip' and acting == MASTER and params.get('recurse') == 'true':
            data += self.other_sip
        items = [item for item in data
                 if all(str(item.get(k)) == str(v) for k, v in params.items()
                        if k not in ('limit', 'recurse'))]
        return len(items), items[:params.get('limit', len(items))]

    def read(self, path, what, acl, params=None):
        return ConfdResponse(200, {'id': int(path.rsplit('/', 1)[1]), 'users': []}, '')

    def call(self, method, path, idempotent, what, api='confd', acl=None, headers=None,
             params=None):
        assert (method, path, api, self.tenant) == ('GET', '/tenants', 'auth', None)
        tenants = [{'uuid': TENANT_A, 'parent_uuid': MASTER, 'name': 'tenanta'}]
        if self.own == MASTER:
            tenants.append({'uuid': MASTER, 'parent_uuid': MASTER, 'name': 'master'})
        return ConfdResponse(200, {'items': tenants, 'total': len(tenants)}, '')


def test_the_preflight_reads_wazo_lists_as_wazo_writes_them():
    # David Martin deleted with his line: his line, SIP endpoint, extension and incall stay
    # (the deletions recorded from 091 on), so the export no longer shows them.
    users = [u for u in export_a() if u['firstname'] != 'David']
    checker = preflight.Preflight(WazoLists(), users, WAZO)
    rows = [
        dict(firstname='Sip', line_protocol='sip', context=A_INTERNAL, exten='1030',
             sip_username='dmartinsip'),
        dict(firstname='Web', line_protocol='webrtc', context=A_INTERNAL, exten='1031',
             sip_username='dmartinsip'),
        dict(firstname='Inc', line_protocol='sip', context=A_INTERNAL, exten='1032',
             incall_exten='2004', incall_context=A_INCALL),
        dict(firstname='Ext', line_protocol='sip', context=A_INTERNAL, exten='1004')]
    checker.prepare(rows)
    found = []
    for row in rows:
        found.append(checker.check(row))
        found[-1].append(list(checker.reused))
    sip, web, incall, orphan = found
    # 034 on a line no user holds any more: the SIP name is found by its name.
    assert sip[0].startswith("sip_username: the SIP endpoint 'dmartinsip' already belongs to a "
                             'line (confd: Resource Error - Line is associated with a Endpoint)')
    assert web[0] == sip[0]
    # 035: Wazo would not refuse another incall's number, it would move the incall.
    assert incall[0].startswith('incall_exten: 2004@%s is already the number of an incall'
                                % A_INCALL)
    assert 'it would move that incall to this user' in incall[0]
    # An extension on a line with no user is reused, not held by a field that names no holder
    # (enabled, tenant_uuid).
    assert orphan == [['extension']]


def test_another_tenants_sip_name_is_refused_as_wazo_refuses_it():
    """043: a SIP username of tenant B imported in A is refused ('different tenants'); the
    preflight reads the SIP names in the credentials' own tenant with recurse=true (083)."""
    theirs = dict(body('endpoints-sip-tenant-a.json')['items'][0], name='bsip',
                  uuid='0b0b0b0b-0000-4000-8000-000000000001',
                  tenant_uuid=TENANT_B, line=None)
    server = WazoLists(other_sip=[theirs])
    checker = preflight.Preflight(server, export_a(), WAZO)
    row = dict(firstname='Sip', line_protocol='sip', context=A_INTERNAL, exten='1030',
               sip_username='bsip')
    checker.prepare([row])
    assert checker.check(row) == [
        "sip_username: the SIP endpoint 'bsip' belongs to another tenant (confd: Resource Error - "
        "different tenants ('line_tenant_uuid': '%s', 'endpoint_tenant_uuid': "
        "'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'))" % TENANT_A]
    assert checker.partial() is None
    assert [c for c in server.calls if c[0] == 'endpoints/sip'] == [
        ('endpoints/sip', MASTER, {'name': 'bsip', 'recurse': 'true'})]


def test_a_tenant_administrator_gets_a_partial_prediction_said_per_row_and_once():
    server = WazoLists(own=TENANT_A, other_sip=[dict(name='bsip', tenant_uuid=TENANT_B)])
    checker = preflight.Preflight(server, export_a(), WAZO)
    rows = [dict(firstname='S%d' % n, line_protocol='sip', context=A_INTERNAL,
                 exten='103%d' % n, sip_username=name)
            for n, name in enumerate(('bsip', 'newsip', 'dmartinsip'))]
    checker.prepare(rows)
    unseen, new, taken = [(checker.check(row), list(checker.notes)) for row in rows]
    assert unseen[0] == [] and new[0] == [] and len(taken[0]) == 1
    assert len(unseen[1]) == len(new[1]) == 1 and 'partial prediction' in new[1][0]
    assert "'bsip' is not in the tenants the credentials can read" in unseen[1][0]
    assert taken[1] == []
    assert '2 rows were predicted without knowing' in checker.partial()
    # The XiVO reading of the same lists has no tenants: nothing partial.
    assert preflight.Preflight(WazoLists(own=TENANT_A), [], XIVO).partial() is None


def test_the_tenant_scope_is_read_from_wazo_auths_tenants():
    assert WAZO.tenant_scope([{'uuid': MASTER, 'parent_uuid': MASTER},
                              {'uuid': TENANT_A, 'parent_uuid': MASTER}]) == (MASTER, True)
    assert WAZO.tenant_scope([{'uuid': TENANT_A, 'parent_uuid': MASTER}]) == (TENANT_A, False)
    assert WAZO.tenant_scope([]) == (None, False)
    assert WAZO.foreign_refusal({'tenant_uuid': TENANT_A}, TENANT_A) is None
    assert WAZO.foreign_refusal(None, TENANT_A) is None
    assert XIVO.tenant_scope([]) == (None, True) and XIVO.foreign_refusal({'tenant_uuid': 1}, 2) is None
    assert WAZO.quote('x') == "'x'" and XIVO.quote('x') == "u'x'"


def test_the_preflight_of_xivo_keeps_its_16_15_reading():
    assert preflight.Preflight(WazoLists(), [], XIVO).platform is XIVO
    assert preflight.Preflight(WazoLists(), []).platform is XIVO
    assert XIVO.sip_name_field == 'username' and 'enabled' not in XIVO.extension_fields
    assert XIVO.incall_number_taken.endswith('Incall is associated with a Extension)')


def test_the_rows_to_send_are_checked_with_the_wazo_rules(tmp_path):
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,username,context,line_protocol,exten,ring_seconds\n'
                   'Cus,Tom,ctom,default,custom,1060,30\n'
                   'Lon,Gring,lgring,default,sip,1061,600\n')
    server = WazoTenant()
    result = import_run.ImportRun(server, str(src), dict(
        lock_dir=str(tmp_path / 'locks'), preflight=False, server_lock='local',
        fail_on_error=False), host='wazo-a').run()
    custom, ringing = result['users']
    assert custom['status'] == 'failed'
    assert 'line_protocol: custom lines cannot be imported into Wazo' in custom['error']
    # 600 ring seconds: more than 16.15 takes, what Wazo's user schema takes.
    assert ringing['status'] == 'created'
    sent, = server.bodies
    assert 'Lon,Gring' in sent and 'Cus,Tom' not in sent


def test_a_file_written_for_wazo_is_read_and_each_platform_drops_what_it_does_not_read():
    # A tenant's export as a file (063): Wazo's columns are confd columns too.
    data = (HERE + '/export-tenant-b.csv.bin')
    header, rows = confd_csv.read(data)
    assert header == list(wazo_rows.EXPORT_COLUMNS) and len(rows) == 2
    # 16.15 would ignore the Wazo-only columns without a word: dropped, and said.
    new_header, new_rows, problems = XIVO.adapt_rows(header, rows, {})
    dropped = set(wazo_rows.CALL_RECORD_COLUMNS) | {'subscription_type'}
    assert set(header) - set(new_header) == dropped
    assert all(not dropped & set(row.values) for row in new_rows)
    assert rows[0].values['subscription_type'] == '1'      # the shared rows stay as they were
    warnings = dict((p.column, p.reason) for p in problems)
    assert warnings['subscription_type'] == (
        'subscription_type: 2 rows had a value, not imported: XiVO confd 16.15 has no such '
        'column (it would ignore it without a word)')
    assert set(warnings) == dropped and set(p.severity for p in problems) == {'warning'}
    # Wazo reads them, and its generated context names are kept as they are.
    tenant_b = [c for c in body('contexts-master-recurse.json')['items']
                if c['tenant_uuid'] == TENANT_B]
    same_header, same_rows, problems = WAZO.adapt_rows(header, rows, {'contexts': tenant_b})
    assert same_header == header and problems == []
    assert [r.values for r in same_rows] == [r.values for r in rows]


def test_the_rows_to_fix_keep_the_sources_cells_not_the_servers_form(tmp_path):
    fix = tmp_path / 'to-fix.csv'
    result = run_into_tenant(tmp_path, WazoTenant(), failed_dest=str(fix))
    assert [u['status'] for u in result['users']][1:] == \
        ['conflict', 'conflict', 'failed', 'conflict']
    header, rows = confd_csv.read(str(fix))
    assert header == LEGACY_SOURCE.splitlines()[0].split(',')
    source = list(csv.DictReader(io.StringIO(LEGACY_SOURCE)))[1:]
    assert [r.values for r in rows] == source
    assert A_INTERNAL not in fix.read_text()
