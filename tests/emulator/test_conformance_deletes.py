"""Deleting users and what they own (docs/server-behaviour.md#deleting-users): orders that work, refusals,
orphans, re-imports; and the write routes the set-ups use (POST /1.1/callpermissions, POST
/1.1/extensions)."""
import json

import pytest

from .conftest import ALICE, first_error, setup_alice

# The order that removes everything, step by step (state: the Alice set-up; U = the user's uuid)
FULL_ORDER = ['/1.1/users/{U}/voicemail', '/1.1/voicemails/1', '/1.1/incalls/1/extensions/35', '/1.1/incalls/1',
              '/1.1/extensions/35', '/1.1/lines/1/extensions/34', '/1.1/extensions/34', '/1.1/users/{U}/lines/1',
              '/1.1/lines/1', '/1.1/users/{U}']
SHORT_ORDER = ['/1.1/users/{U}/voicemail', '/1.1/users/{U}/lines/1', '/1.1/users/{U}', '/1.1/incalls/1',
               '/1.1/extensions/35', '/1.1/lines/1/extensions/34', '/1.1/extensions/34', '/1.1/lines/1',
               '/1.1/voicemails/1']


@pytest.fixture
def alice(cf):
    """The Alice set-up: perm1 made with POST, then the Alice row; ids as the reference lists them."""
    created = setup_alice(cf, 'perm1')
    assert (created['user_id'], created['line_id'], created['sip_id'], created['extension_id'],
            created['voicemail_id'], created['incall_extension_id'], created['cti_profile_id'],
            created['call_permission_ids']) == (1, 1, 1, 34, 1, 35, 3, [1])
    return created['user_uuid']


def deleted(cf, path, uuid):
    r = cf.delete(path.format(U=uuid))
    assert (r.status_code, r.content) == (204, b''), (path, r.status_code, r.text)


def totals(cf):
    return {route: cf.get('/1.1/' + route)['total']
            for route in ('users', 'lines', 'endpoints/sip', 'voicemails', 'incalls', 'extensions')}


@pytest.mark.parametrize('order', [FULL_ORDER, SHORT_ORDER], ids=['full', 'short'])
def test_orders_that_remove_everything(emu_fresh, cf, alice, order):
    assert cf.get('/1.1/callpermissions/1/users')['total'] == 1
    for path in order:
        deleted(cf, path, alice)
    assert totals(cf) == {'users': 0, 'lines': 0, 'endpoints/sip': 0, 'voicemails': 0, 'incalls': 0,
                          'extensions': 33}  # the feature codes only
    assert cf.get('/1.1/callpermissions/1/users') == {'items': [], 'total': 0}
    assert [p['name'] for p in cf.get('/1.1/callpermissions')['items']] == ['perm1']
    assert cf.export() == []
    assert cf.get('/1.1/endpoints/sip/1', status=404) == ["Resource Not Found - SIPEndpoint was not found ('id': 1)"]


def test_delete_refusals(emu_fresh, cf, alice):
    refused = [
        ('/1.1/users/{U}', "Resource Error - User is associated with a Voicemail ('voicemail_id': 1, 'user_id': 1)"),
        ('/1.1/voicemails/1', "Resource Error - Voicemail is associated with a User ('voicemail_id': 1, 'user_ids': '1')"),
        ('/1.1/extensions/35',
         "Resource Error - Extension is associated with a incall ('associated_id': u'1', 'extension_id': 35)"),
        ('/1.1/extensions/34', "Resource Error - Extension is associated with a Line ('line_id': 1, 'extension_id': 34)"),
        ('/1.1/lines/1/endpoints/sip/1', "Resource Error - Line is associated with a User ('line_id': 1, 'user_ids': '1')"),
        ('/1.1/extensions/1', "Input Error - field 'context': Context was not found ('context': u'xivo-features')")]
    for path, message in refused:
        r = cf.delete(path.format(U=alice))
        assert (r.status_code, r.json()) == (400, [message]), path
    before = totals(cf)
    deleted(cf, '/1.1/users/{U}/voicemail', alice)
    r = cf.delete('/1.1/users/' + alice)
    assert r.json() == ["Resource Error - User is associated with a Line ('line_ids': (1,))"]
    assert totals(cf) == before  # a refused delete changes nothing
    not_found = [('/1.1/users/{U}/voicemail', "Resource Not Found - UserVoicemail was not found ('user_id': 1)"),
                 ('/1.1/incalls/1/extensions/34',
                  "Resource Not Found - IncallExtension was not found ('extension_id': 34, 'incall_id': 1)"),
                 ('/1.1/lines/1/extensions/35',
                  "Resource Not Found - LineExtension was not found ('line_id': 1, 'extension_id': 35)"),
                 ('/1.1/users/6f0c1f5e-8d1c-4b9e-9a4c-111111111111',
                  "Resource Not Found - User was not found ('id': UUID('6f0c1f5e-8d1c-4b9e-9a4c-111111111111'))"),
                 ('/1.1/incalls/9', "Resource Not Found - Incall was not found ('id': 9)")]
    for path, message in not_found:
        r = cf.delete(path.format(U=alice))
        assert (r.status_code, r.json()) == (404, [message]), path


def test_a_line_never_refuses(emu_fresh, cf, alice):
    deleted(cf, '/1.1/lines/1', alice)  # still on the user and the extension
    assert cf.get('/1.1/users/%s/lines' % alice) == {'items': [], 'total': 0}
    assert cf.get('/1.1/extensions/34')['lines'] == []
    assert cf.get('/1.1/endpoints/sip', status=200)['total'] == 0
    line_gone = ["Resource Not Found - Line was not found ('id': 1)"]
    for path in ('/1.1/lines/1/endpoints/sip/1', '/1.1/users/%s/lines/1' % alice):
        r = cf.delete(path)
        assert (r.status_code, r.json()) == (404, line_gone), path
    r = cf.delete('/1.1/endpoints/sip/1')
    assert (r.status_code, r.json()) == (404, ["Resource Not Found - SIPEndpoint was not found ('id': 1)"])
    deleted(cf, '/1.1/extensions/34', alice)
    assert cf.export()[0]['exten'] == ''  # the user is still there, without a line


def test_only_the_user_deleted_leaves_orphans(emu_fresh, cf, alice):
    for path in ('/1.1/users/{U}/voicemail', '/1.1/users/{U}/lines/1', '/1.1/users/{U}'):
        deleted(cf, path, alice)
    line = cf.get('/1.1/lines/1')
    assert (line['users'], line['endpoint_sip']['username'], [e['id'] for e in line['extensions']]) == \
        ([], 'asmithsip', [34])
    assert [x['id'] for x in cf.get('/1.1/extensions/34')['lines']] == [1]
    assert cf.get('/1.1/voicemails/1')['users'] == []
    incall = cf.get('/1.1/incalls/1')
    assert incall['destination'] == {'type': 'user', 'user_id': 1, 'ring_time': None}  # the user is gone
    assert [e['exten'] for e in incall['extensions']] == ['2001']
    assert cf.export() == []
    assert cf.get('/1.1/users/1', status=404) == ["Resource Not Found - User was not found ('id': 1)"]


def test_reimporting_over_the_orphans(emu_fresh, cf, alice):
    for path in ('/1.1/users/{U}/voicemail', '/1.1/users/{U}/lines/1', '/1.1/users/{U}'):
        deleted(cf, path, alice)
    header, row = (ALICE % 'perm1').splitlines()
    cells = dict(zip(header.split(','), row.split(',')))

    def body(**changes):
        values = dict(cells, **changes)
        return header + '\n' + ','.join(values[k] for k in header.split(',')) + '\n'
    assert first_error(cf.post(body())) == \
        "Resource Error - Line is associated with a Endpoint ('line_id': 1, 'endpoint': 'sip', 'endpoint_id': 1)"
    assert first_error(cf.post(body(sip_username=''))) == \
        "Resource Error - Incall is associated with a Extension ('extension_id': 35, 'incall_id': u'1')"
    r = cf.post(body(sip_username='', incall_exten='', incall_context=''))
    assert r.status_code == 201, r.text
    created = r.json()['created'][0]
    assert (created['voicemail_id'], created['extension_id']) == (1, 34)
    assert [x['id'] for x in cf.get('/1.1/extensions/34')['lines']] == [1, created['line_id']]
    row = cf.export()[0]
    assert (row['username'], row['exten'], row['voicemail_number'], row['incall_exten']) == \
        ('asmith', '1001', '1001', '')
    assert len(row['sip_username']) == 8 and row['sip_username'] != 'asmithsip'
    assert {k: v for k, v in totals(cf).items() if k != 'extensions'} == \
        {'users': 1, 'lines': 2, 'endpoints/sip': 2, 'voicemails': 1, 'incalls': 1}


def test_deletes_check_their_acl(emu_fresh, cf, alice):
    emu_fresh.apply_seed({'ws_users': [{'login': 'admin', 'password': 'passadmin', 'acls': ['confd.#']},
                                       {'login': 'reader', 'password': 'pw', 'acls': ['confd.*.*.read', 'confd.*.read']},
                                       {'login': 'cleaner', 'password': 'pw',
                                        'acls': ['confd.users.%s.voicemail.delete' % alice, 'confd.voicemails.*.delete']}]})
    reader, cleaner = cf.new_token('reader', 'pw'), cf.new_token('cleaner', 'pw')
    for token, path, status in [(reader, '/1.1/users/%s/voicemail' % alice, 401),
                                (cleaner, '/1.1/users/%s/voicemail' % alice, 204),
                                (cleaner, '/1.1/users/1/voicemail', 401),  # the ACL names the id used
                                (cleaner, '/1.1/voicemails/1', 204), (cleaner, '/1.1/lines/1', 401)]:
        r = cf.request('DELETE', path, token=False, headers={'X-Auth-Token': token})
        assert r.status_code == status, (path, r.text)
    r = cf.request('POST', '/1.1/callpermissions', token=False, headers={'X-Auth-Token': reader},
                   json={'name': 'x'})
    assert r.status_code == 401


def test_writes_are_saved_to_the_state_file(emu_fresh, cf, alice, tmp_path):
    path = tmp_path / 'state.json'
    emu_fresh.state_file = str(path)
    try:
        deleted(cf, '/1.1/users/{U}/voicemail', alice)
        assert json.loads(path.read_text())['tables']['users'][0]['voicemail_id'] is None
        assert cf.request('POST', '/1.1/callpermissions', json={'name': 'perm9'}).status_code == 201
        assert 'perm9' in {p['name'] for p in json.loads(path.read_text())['tables']['call_permissions']}
    finally:
        emu_fresh.state_file = None


def test_post_call_permission(emu_fresh, cf):
    r = cf.request('POST', '/1.1/callpermissions', json={'name': 'perm1'})
    assert r.status_code == 201 and r.headers['Location'] == emu_fresh.url + '/1.1/callpermissions/1'
    assert r.json() == cf.get('/1.1/callpermissions/1')
    assert (r.json()['mode'], r.json()['enabled'], r.json()['extensions']) == ('deny', True, [])
    answers = [({'name': 'perm1'}, 400, ["Resource Error - CallPermission already exists ('name': u'perm1')"]),
               ({'name': 'Bad Name'}, 400, ["Input Error - name: [u'String does not match expected pattern.']"]),
               ({'name': 'x', 'mode': 'maybe', 'enabled': 'yes'}, 400,
                ["Input Error - enabled: [u'Not a valid boolean.']", "Input Error - mode: [u'Not a valid choice.']"])]
    for data, status, body in answers:
        r = cf.request('POST', '/1.1/callpermissions', json=data)
        assert (r.status_code, r.json()) == (status, body), data
    r = cf.request('POST', '/1.1/callpermissions', data=b'{"name":', headers={'Content-Type': 'application/json'})
    assert r.status_code == 400
    r = cf.request('POST', '/1.1/callpermissions', json={})
    assert r.status_code == 500 and 'not-null' in r.json()[0]
    assert cf.get('/1.1/callpermissions')['total'] == 1  # the refused ones left nothing


def test_post_extension_then_import_reuses_it(emu_fresh, cf):
    r = cf.request('POST', '/1.1/extensions', json={'exten': '1500', 'context': 'default'})
    assert r.status_code == 201 and r.json()['id'] == 34
    assert r.json() == cf.get('/1.1/extensions/34') and r.json()['lines'] == []
    answers = [({'exten': '1500', 'context': 'default'},
                "Resource Error - Extension already exists ('exten': u'1500', 'context': u'default')"),
               ({'exten': '3000', 'context': 'default'},
                "Input Error - Extension '3000' is outside of range for context 'default'"),
               ({'exten': '1501', 'context': 'nosuch'},
                "Input Error - field 'context': Context was not found ('context': u'nosuch')"),
               ({'context': 'default'}, "Input Error - exten: [u'Missing data for required field.']"),
               ({'exten': 'abc', 'context': 'default'},
                "Input Error - exten: [u'String does not match expected pattern.']")]
    for data, message in answers:
        r = cf.request('POST', '/1.1/extensions', json=data)
        assert (r.status_code, r.json()) == (400, [message]), data
    created = cf.post('firstname,exten,context,line_protocol\nA,1500,default,sip\n').json()['created'][0]
    assert created['extension_id'] == 34
    r = cf.request('POST', '/1.1/extensions', json={'exten': '2500', 'context': 'from-extern'})
    created = cf.post('firstname,incall_exten,incall_context\nB,2500,from-extern\n').json()['created'][0]
    assert created['incall_extension_id'] == r.json()['id']


def test_extension_of_another_owner_and_line_endpoint(emu_fresh, cf):
    emu_fresh.apply_seed({'extensions': [{'exten': '1500', 'context': 'default', 'owner': 'queue'}]})
    r = cf.delete('/1.1/extensions/34')
    assert r.json() == ["Resource Error - Extension is associated with a queue ('associated_id': u'1', "
                        "'extension_id': 34)"]
    created = cf.post('exten,context,line_protocol\n1001,default,sip\n').json()['created'][0]  # an orphan line
    r = cf.delete('/1.1/lines/%d/endpoints/sip/%d' % (created['line_id'], created['sip_id'] + 1))
    assert r.status_code == 404
    r = cf.delete('/1.1/lines/%d/endpoints/sip/%d' % (created['line_id'], created['sip_id']))
    assert r.json() == ["Resource Error - Line is associated with a Extension ('line_id': %d, 'extension_ids': '%d')"
                        % (created['line_id'], created['extension_id'])]
    deleted(cf, '/1.1/lines/%d/extensions/%d' % (created['line_id'], created['extension_id']), None)
    deleted(cf, '/1.1/lines/%d/endpoints/sip/%d' % (created['line_id'], created['sip_id']), None)
    assert cf.get('/1.1/endpoints/sip/%d' % created['sip_id'])['line'] is None
    assert cf.get('/1.1/lines/%d' % created['line_id'])['endpoint_sip'] is None


def test_call_permission_names_are_unique_and_delete_answers_204(emu_fresh, cf, alice):
    """The primitive an import lock rests on: one POST of a name succeeds, every later one is
    refused until the DELETE; a delete takes the user memberships with it, never the users."""
    lock = {'name': 'xivo-confd-import-lock', 'description': 'run=1 controller=a', 'mode': 'deny',
            'enabled': False}
    r = cf.request('POST', '/1.1/callpermissions', json=lock)
    assert r.status_code == 201, r.text
    item = r.json()
    assert (item['name'], item['description'], item['mode'], item['enabled'], item['extensions']) == \
        ('xivo-confd-import-lock', 'run=1 controller=a', 'deny', False, [])
    again = cf.request('POST', '/1.1/callpermissions', json=dict(lock, description='run=2 controller=b'))
    assert (again.status_code, again.json()) == \
        (400, ["Resource Error - CallPermission already exists ('name': u'xivo-confd-import-lock')"])
    found = cf.get('/1.1/callpermissions', name='xivo-confd-import-lock')
    assert found['total'] == 1 and found['items'][0]['description'] == 'run=1 controller=a'
    deleted(cf, '/1.1/callpermissions/%d' % item['id'], None)
    r = cf.delete('/1.1/callpermissions/%d' % item['id'])
    assert (r.status_code, r.json()) == \
        (404, ["Resource Not Found - CallPermission was not found ('id': %d)" % item['id']])
    r = cf.request('POST', '/1.1/callpermissions', json=dict(lock, description='run=2 controller=b'))
    assert r.status_code == 201 and r.json()['id'] == item['id'] + 1  # a sequence: ids are not reused
    # perm1 (id 1) is Alice's: deleting it keeps Alice and drops her membership.
    deleted(cf, '/1.1/callpermissions/1', None)
    assert cf.get('/1.1/users/%s/callpermissions' % alice) == {'items': [], 'total': 0}
    assert cf.get('/1.1/users')['total'] == 1


def test_call_permission_writes_check_their_acl(emu_fresh, cf):
    emu_fresh.apply_seed({'ws_users': [
        {'login': 'admin', 'password': 'passadmin', 'acls': ['confd.#']},
        {'login': 'importer', 'password': 'pw', 'acls': ['confd.users.#']},
        {'login': 'locker', 'password': 'pw',
         'acls': ['confd.callpermissions.create', 'confd.callpermissions.read', 'confd.callpermissions.*.delete']}]})
    importer, locker = cf.new_token('importer', 'pw'), cf.new_token('locker', 'pw')
    body = {'name': 'xivo-confd-import-lock', 'enabled': False}
    r = cf.request('POST', '/1.1/callpermissions', token=False, headers={'X-Auth-Token': importer}, json=body)
    assert r.status_code == 401
    r = cf.request('POST', '/1.1/callpermissions', token=False, headers={'X-Auth-Token': locker}, json=body)
    assert r.status_code == 201
    perm = r.json()['id']
    for token, method, path, status in [
            (importer, 'GET', '/1.1/callpermissions', 401), (locker, 'GET', '/1.1/callpermissions', 200),
            (importer, 'DELETE', '/1.1/callpermissions/%d' % perm, 401),
            (locker, 'DELETE', '/1.1/callpermissions/%d' % perm, 204)]:
        r = cf.request(method, path, token=False, headers={'X-Auth-Token': token})
        assert r.status_code == status, (method, path, r.text)
