# -*- coding: utf-8 -*-
"""A dry run that tells the truth (issue #12): on a file breaking each server-side rule, alone
and several per row, with rows that depend on earlier rows, check mode predicts exactly what
the real run then does on the same server state - every row, every reason - and what confd
itself refuses when nothing is predicted."""

from __future__ import annotations


import pytest
import requests

from tests.integration.fleets import emulated_fleet
from tests.integration.imports import numbered_people_file
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'preflight', 'Ws-Pre-5c2e'
HOSTS = {'localhost': {'ws_password': WS_PASSWORD}}
COLUMNS = ['firstname', 'lastname', 'username', 'password', 'exten', 'context', 'line_protocol',
           'sip_username', 'voicemail_name', 'voicemail_number', 'voicemail_context',
           'incall_exten', 'incall_context', 'cti_profile_name', 'call_permissions', 'entity_id']
EXISTING = ('firstname,lastname,username,exten,context,line_protocol,sip_username,incall_exten,'
            'incall_context\nAlice,Smith,asmith,1001,default,sip,asmithsip,2001,from-extern\n')

# (name, values, the columns the prediction must name); every row is a new person.
ROWS = [
    ('good', {}, []),
    ('unknown context', {'context': 'nosuch'}, ['context']),
    ('out of range', {'exten': '5000'}, ['exten']),
    ('incall out of range', {'incall_exten': '3500', 'incall_context': 'from-extern'}, ['incall_exten']),
    ('line in an incall context', {'exten': '2500', 'context': 'from-extern'}, ['context']),
    ('an incall of Alice', {'exten': '2001', 'context': 'from-extern'}, ['exten', 'context']),
    ('incall number taken', {'incall_exten': '2001', 'incall_context': 'from-extern'}, ['incall_exten']),
    ('incall in an internal context', {'incall_exten': '1500', 'incall_context': 'default'}, ['incall_context']),
    ('unknown entity', {'entity_id': '99'}, ['entity_id']),
    ('entity zero', {'entity_id': '0'}, []),
    ('unknown CTI profile', {'cti_profile_name': 'client'}, ['cti_profile_name']),
    ('unknown call permission', {'call_permissions': 'nosuch'}, ['call_permissions']),
    ('permission twice', {'call_permissions': 'perm1;perm1'}, ['call_permissions']),
    ('unknown voicemail context', {'voicemail_name': 'VM', 'voicemail_number': '1199',
                                   'voicemail_context': 'nosuch'}, ['voicemail_context']),
    ('SIP name of an orphan line', {'sip_username': 'orphansip'}, ['sip_username']),
    ('a group number', {'exten': '1600'}, ['exten']),
    # Observed on the real 16.15: a trunk's SIP name is refused; a queue's number looks free in
    # the lists (16.15 does not list queues) and is refused, so it is never predicted creatable.
    ('a trunk SIP name', {'sip_username': 'trunksip'}, ['sip_username']),
    ('a queue number', {'exten': '1601'}, ['exten']),
    ('several at once', {'entity_id': '99', 'exten': '5001', 'cti_profile_name': 'Nope',
                         'call_permissions': 'x'},
     ['entity_id', 'call_permissions', 'exten', 'cti_profile_name']),
    ('incall number of the first row', {'incall_exten': '2100', 'incall_context': 'from-extern'}, []),
    ('line number = an earlier incall', {'exten': '2100', 'context': 'from-extern'}, ['exten', 'context']),
    ('line number of an earlier row', {'exten': '1300'}, []),
    ('incall = an earlier line', {'incall_exten': '1300', 'incall_context': 'default'},
     ['incall_exten', 'incall_context']),
]


@pytest.fixture(scope='module')
def fleet():
    with emulated_fleet(2, '127.0.9.40', WS_USER, WS_PASSWORD,
                        call_permissions=[{'id': 1, 'name': 'perm1'}],
                        extensions=[{'exten': '1600', 'context': 'default', 'owner': 'group'},
                                    {'exten': '1601', 'context': 'default', 'owner': 'queue'}],
                        sip_endpoints=[{'username': 'trunksip', 'trunk_id': 1}]) as servers:
        yield servers


def prepare(server, ca_path):
    """Alice (a line, an incall) and an orphan line left by a user deleted alone
    (docs/server-behaviour.md#orphans-after-a-user-delete)."""
    server.reset()
    server.apply_seed({'users': EXISTING})
    status, payload, dummy = server.do_import(
        b'firstname,username,exten,context,line_protocol,sip_username\nOrphan,orph,1900,default,'
        b'sip,orphansip\n', 'utf-8')
    assert status == 201, payload
    entry = payload['created'][0]
    token = requests.post(server.auth_url + '/0.1/token', auth=(WS_USER, WS_PASSWORD),
                          json={'backend': 'xivo_service', 'expiration': 600},
                          verify=ca_path, timeout=30).json()['data']['token']
    for path in ('/1.1/users/%s/lines/%s' % (entry['user_uuid'], entry['line_id']),
                 '/1.1/users/%s' % entry['user_uuid']):
        answer = requests.delete(server.url + path, headers={'X-Auth-Token': token},
                                 verify=ca_path, timeout=30)
        assert answer.status_code == 204, answer.text


def file_of(rows):
    def adjust(number, row):
        if number == len(rows) - 4:          # the row the next ones depend on
            row.update(incall_exten='2100', incall_context='from-extern')
        if number == len(rows) - 2:
            row['exten'] = '1300'
    return numbered_people_file(COLUMNS, rows, adjust)


def task(name, server, src, **extra):
    args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                username=WS_USER, password='{{ ws_password }}', ca_path=fleet_ca[0], src=str(src))
    args.update(extra)
    return {'name': name, 'xivo.confd.user_import': args, 'ignore_errors': True}


fleet_ca = []


def test_check_mode_predicts_every_row_and_every_reason_of_the_real_run(fleet, tmp_path):
    fleet_ca[:] = [fleet.ca_path]
    server, plain = fleet.servers
    src = tmp_path / 'users.csv'
    src.write_text(file_of(ROWS), encoding='utf-8')
    prepare(server, fleet.ca_path)
    prepare(plain, fleet.ca_path)
    logged = len(server.request_log)
    run = run_playbook(tmp_path, [dict(task('check', server, src), check_mode=True),
                                  task('real', server, src),
                                  task('no preflight', plain, src, preflight=False)], hosts=HOSTS)
    check, real, without = (run.result(n) for n in ('check', 'real', 'no preflight'))
    assert check['summary']['would_fail'] == real['summary']['failed'], (check['summary'], real['summary'])
    for number, ((name, values, columns), predicted, done) in enumerate(
            zip(ROWS, check['users'], real['users'])):
        if columns:
            assert predicted['status'] == 'would_fail', (name, predicted)
            assert done['status'] == 'failed' and done['error'] == predicted['error'], (name, done)
            reasons = predicted['error'][len('invalid: '):].split('; ')
            assert [r.split(':')[0] for r in reasons] == columns, (name, reasons)
        else:
            assert predicted['status'] == 'would_create' and done['status'] == 'created', \
                (name, predicted, done)
    assert not real.get('warnings'), real.get('warnings')     # no wrong prediction
    by_name = dict((name, predicted) for (name, dummy, dummy2), predicted in zip(ROWS, check['users']))
    assert "(confd: Resource Error - Trunk is associated with a Endpoint ('trunk_id': 1, 'endpoint': " \
        "'sip', 'endpoint_id': 1))" in by_name['a trunk SIP name']['error']
    assert "Extension is associated with a group ('associated_id': u'1', 'id': 34)" in \
        by_name['a group number']['error']
    # Only the rows predicted good reached the server, in one request.
    posts = [r for r in server.request_log[logged:] if r['path'] == '/1.1/users/import']
    assert [r['rows'] for r in posts] == [len([r for r in ROWS if not r[2]])]
    # Without the preflight, confd refuses the same rows (one reason each), and nothing else.
    for (name, values, columns), done in zip(ROWS, without['users']):
        assert (done['status'] == 'failed') == bool(columns), (name, done)
    assert len(plain.users()) == len(server.users())
    # The prediction quotes what confd itself answers.
    for name in ('a trunk SIP name', 'a group number'):
        number = [row[0] for row in ROWS].index(name)
        confd_says = without['users'][number]['error']
        assert 'is associated with a' in confd_says, confd_says
        assert confd_says.split('confd answered 400: ')[-1].rstrip(')') in check['users'][number]['error'], \
            (confd_says, check['users'][number]['error'])


def test_a_refused_configuration_read_names_its_acl(fleet, tmp_path):
    fleet_ca[:] = [fleet.ca_path]
    server = fleet.servers[0]
    server.reset()
    # The platform probe's and the import lock's ACLs, so that the first refusal is the
    # preflight's.
    server.apply_seed({'ws_users': [{'login': WS_USER, 'password': WS_PASSWORD,
                                     'acls': ['confd.users.#', 'confd.infos.read',
                                              'confd.callpermissions.create',
                                              'confd.callpermissions.read',
                                              'confd.callpermissions.*.delete']}]})
    src = tmp_path / 'users.csv'
    src.write_text(file_of(ROWS[:1]), encoding='utf-8')
    run = run_playbook(tmp_path, [task('import', server, src),
                                  task('no preflight', server, src, preflight=False)], hosts=HOSTS)
    result = run.result('import')
    assert result['failed'] and 'confd.contexts.read' in result['msg'] and 'preflight: false' in result['msg']
    assert run.result('no preflight')['summary']['created'] == 1


def test_a_refusal_the_preflight_did_not_predict_keeps_confds_answer_and_warns(fleet, tmp_path):
    fleet_ca[:] = [fleet.ca_path]
    server = fleet.servers[1]
    server.reset()
    server.apply_seed({'ws_users': [{'login': WS_USER, 'password': WS_PASSWORD, 'acls': ['confd.#']}]})
    # Something the lists cannot show: the import itself is refused (a 400 naming no row).
    server.faults.set(fail_nth={'n': 1, 'status': 400, 'path': '/1.1/users/import'})
    src = tmp_path / 'users.csv'
    src.write_text(file_of(ROWS[:1]), encoding='utf-8')
    result = run_playbook(tmp_path, [task('import', server, src)], hosts=HOSTS).result('import')
    row, = result['users']
    assert row['status'] == 'failed' and 'confd answered 400: Injected fault' in row['error']
    assert row['warnings'] == ['the preflight predicted this row would be accepted; confd refused it']
    assert any('1 rows were refused by confd although the preflight predicted' in w
               for w in result['warnings']), result['warnings']
