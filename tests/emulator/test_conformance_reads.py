"""Configuration reads (docs/server-behaviour.md#list-routes), on the fresh-install seed:
the bodies are compared with the real 16.15 ones in samples/real-16.15/."""
import json
import os

import pytest

from .conftest import first_error, setup_alice

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'samples', 'real-16.15')
# values the server makes up: equal in shape only
VOLATILE = {'uuid', 'user_uuid', 'secret', 'sip_secret', 'provisioning_code', 'provisioning_extension', 'timestamp'}
ROUTES = ['contexts', 'entities', 'cti_profiles', 'callpermissions', 'incalls', 'voicemails', 'endpoints/sip',
          'lines', 'users']
READ_ACLS = {'/1.1/contexts': 'confd.contexts.read', '/1.1/entities': 'confd.entities.read',
             '/1.1/cti_profiles': 'confd.cti_profiles.read', '/1.1/callpermissions': 'confd.callpermissions.read',
             '/1.1/extensions': 'confd.extensions.read', '/1.1/incalls': 'confd.incalls.read',
             '/1.1/voicemails': 'confd.voicemails.read', '/1.1/endpoints/sip': 'confd.endpoints.sip.read',
             '/1.1/lines': 'confd.lines.read', '/1.1/users': 'confd.users.read', '/1.1/infos': 'confd.infos.read',
             '/1.1/extensions/34': 'confd.extensions.34.read', '/1.1/lines/1': 'confd.lines.1.read',
             '/1.1/users/1/lines': 'confd.users.1.lines.read'}


def sample(name):
    with open(os.path.join(SAMPLES, name)) as fh:
        return json.load(fh)


def normalized(body, base):
    """The host of the links as in the samples, made-up values blanked."""
    def walk(value, key=None):
        if key in VOLATILE and isinstance(value, str):
            return '<made up>'
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value.replace(base, 'https://xivo:9486') if isinstance(value, str) else value
    return walk(body)


@pytest.mark.parametrize('route', ROUTES)
def test_list_bodies_are_the_real_ones(emu_fresh, cf, route):
    setup_alice(cf)
    got = normalized(cf.get('/1.1/' + route), emu_fresh.url)
    assert got == normalized(sample(route.replace('/', '_') + '.json'), emu_fresh.url)


def test_extension_search_bodies_and_export(emu_fresh, cf):
    setup_alice(cf)
    for exten in ('1001', '2001'):
        got = normalized(cf.get('/1.1/extensions', search=exten), emu_fresh.url)
        assert got == normalized(sample('extensions_search_%s.json' % exten), emu_fresh.url)
    export = cf.request('GET', '/1.1/users/export', headers={'Accept': 'application/json'}).json()
    assert normalized(export, emu_fresh.url) == normalized(sample('users_export.json'), emu_fresh.url)


def test_seed_first_extension_id_34_and_feature_codes(emu_fresh, cf):
    features = cf.get('/1.1/extensions')
    assert features['total'] == 33 and {e['context'] for e in features['items']} == {'xivo-features'}
    assert {'*10', '_*99.'} <= {e['exten'] for e in features['items']}
    assert [e['exten'] for e in features['items'] if e['commented']] == sorted(
        ['*26', '*34', '*92', '_*92.', '_*93.'])
    created = setup_alice(cf)
    assert (created['extension_id'], created['incall_extension_id']) == (34, 35)
    assert cf.get('/1.1/extensions')['total'] == 35


def test_total_before_paging_and_no_default_page(emu_fresh, cf):
    setup_alice(cf)
    page = cf.get('/1.1/extensions', limit='2', offset='1')
    assert page['total'] == 35 and len(page['items']) == 2
    assert [e['exten'] for e in cf.get('/1.1/extensions', limit='2', skip='1')['items']] == \
        [e['exten'] for e in page['items']]
    assert len(cf.get('/1.1/extensions')['items']) == 35  # no limit: everything
    assert [e['exten'] for e in cf.get('/1.1/extensions', order='exten', direction='desc', limit='1')['items']] == \
        ['_*99.']  # default order exten; the collation ignores case only


@pytest.mark.parametrize('route', ['/1.1/users', '/1.1/contexts', '/1.1/extensions', '/1.1/voicemails',
                                   '/1.1/lines', '/1.1/endpoints/sip'])
def test_bad_limit_offset_direction_order(emu_fresh, cf, route):
    cases = [({'limit': '0'}, "Input Error - field 'limit': wrong type. Should be a positive number"),
             ({'limit': 'abc'}, "Input Error - field 'limit': wrong type. Should be a positive number"),
             ({'offset': '-1'}, "Input Error - field 'offset': wrong type. Should be a positive number"),
             ({'skip': 'x'}, "Input Error - field 'skip': wrong type. Should be a positive number"),
             ({'direction': 'up'}, "Input Error - direction: must be 'asc' or 'desc'"),
             ({'order': 'nope'}, "Input Error - order: column 'nope' was not found")]
    for params, message in cases:
        r = cf.request('GET', route, params=params)
        assert (r.status_code, r.json()) == (400, [message]), (route, params)


def test_unknown_parameters_ignored_search_is_ilike(emu_fresh, cf):
    setup_alice(cf)
    assert cf.get('/1.1/users', username='zzz')['total'] == 1  # not a users column
    assert cf.get('/1.1/users', search='asmi')['total'] == 0  # username is not searched
    assert cf.get('/1.1/endpoints/sip', search='ASMITHSIP')['total'] == 1
    assert cf.get('/1.1/endpoints/sip', username='ASMITHSIP')['total'] == 0  # = is case-sensitive
    assert cf.get('/1.1/endpoints/sip', search='a_mit%ip')['total'] == 1  # LIKE wildcards
    assert cf.get('/1.1/users', email='ALICE@example.com')['total'] == 1
    assert cf.get('/1.1/users', search='alice smith')['total'] == 1  # fullname
    assert cf.get('/1.1/voicemails', search='alice')['total'] == 1
    assert cf.get('/1.1/voicemails', number='1001', context='nosuch')['total'] == 0


def test_observed_filters(emu_fresh, cf):
    setup_alice(cf)
    assert cf.get('/1.1/extensions', exten='9999')['total'] == 0
    assert cf.get('/1.1/extensions', context='nosuch')['total'] == 0
    assert [(e['exten'], e['context']) for e in cf.get('/1.1/extensions', type='internal')['items']] == \
        [('1001', 'default')]
    assert [(e['exten'], e['context']) for e in cf.get('/1.1/extensions', type='incall')['items']] == \
        [('2001', 'from-extern')]
    assert cf.get('/1.1/extensions', exten='1001', context='default')['items'][0]['id'] == 34
    assert cf.get('/1.1/callpermissions', name='zzz')['total'] == 0
    assert [c['name'] for c in cf.get('/1.1/contexts', type='incall')['items']] == ['from-extern']
    assert cf.get('/1.1/incalls', search='2001')['total'] == 0  # the exten is not an incall column
    assert cf.get('/1.1/incalls', user_id='1')['total'] == 1
    assert cf.get('/1.1/lines', protocol='sip')['total'] == 1
    assert cf.get('/1.1/entities', search='XIVO')['total'] == 1


def test_cti_profiles_ignore_parameters(emu_fresh, cf):
    assert len(cf.get('/1.1/cti_profiles', limit='1', search='zzz', order='nope')['items']) == 4
    r = cf.request('GET', '/1.1/cti_profiles', params={'limit': 'abc'})  # search_params still runs
    assert r.status_code == 400


def test_every_read_checks_its_acl(emu_fresh, cf):
    setup_alice(cf)
    acls = sorted(set(READ_ACLS.values()))
    emu_fresh.apply_seed({'ws_users': [{'login': 'admin', 'password': 'passadmin', 'acls': ['confd.#']},
                                       {'login': 'narrow', 'password': 'pw', 'acls': acls},
                                       {'login': 'other', 'password': 'pw', 'acls': ['confd.users.export.read']}]})
    narrow, other = cf.new_token('narrow', 'pw'), cf.new_token('other', 'pw')
    for path in READ_ACLS:
        assert cf.request('GET', path, token=False, headers={'X-Auth-Token': narrow}).status_code == 200, path
        r = cf.request('GET', path, token=False, headers={'X-Auth-Token': other})
        assert r.status_code == 401 and r.text == 'Unauthorized Access', path


def test_single_resources_and_404_texts(emu_fresh, cf):
    setup_alice(cf)
    pairs = [('/1.1/voicemails', 1), ('/1.1/extensions', 34), ('/1.1/lines', 1), ('/1.1/incalls', 1),
             ('/1.1/endpoints/sip', 1), ('/1.1/contexts', 3), ('/1.1/entities', 1), ('/1.1/cti_profiles', 3),
             ('/1.1/callpermissions', 2)]
    for route, rec_id in pairs:
        listed = [i for i in cf.get(route)['items'] if i['id'] == rec_id]
        assert cf.get('%s/%d' % (route, rec_id)) == listed[0], route
    missing = {'/1.1/voicemails/99': 'Voicemail', '/1.1/extensions/99': 'Extension', '/1.1/lines/99': 'Line',
               '/1.1/incalls/99': 'Incall', '/1.1/endpoints/sip/99': 'SIPEndpoint', '/1.1/users/99': 'User',
               '/1.1/callpermissions/99': 'CallPermission', '/1.1/users/99/lines': 'User',
               '/1.1/callpermissions/99/users': 'CallPermission'}
    for path, resource in missing.items():
        assert cf.get(path, status=404) == ["Resource Not Found - %s was not found ('id': 99)" % resource], path
    for path in ('/1.1/lines/abc', '/1.1/users/abc/lines', '/1.1/extensions/'):
        r = cf.request('GET', path)
        assert r.status_code == 404 and r.headers['Content-Type'].startswith('text/html'), path


def test_association_lists(emu_fresh, cf):
    created = setup_alice(cf)
    base, uuid = emu_fresh.url, created['user_uuid']
    assert cf.get('/1.1/users/%s/lines' % uuid) == {'total': 1, 'items': [
        {'user_id': 1, 'line_id': 1, 'main_user': True, 'main_line': True,
         'links': [{'href': base + '/1.1/lines/1', 'rel': 'lines'}, {'href': base + '/1.1/users/1', 'rel': 'users'}]}]}
    perms = cf.get('/1.1/users/%s/callpermissions' % uuid)
    assert [(i['user_id'], i['call_permission_id']) for i in perms['items']] == [(1, 1), (1, 2)]
    assert perms['items'][0]['links'] == [{'href': base + '/1.1/users/1', 'rel': 'users'},
                                          {'href': base + '/1.1/callpermissions/1', 'rel': 'callpermissions'}]
    assert [i['user_id'] for i in cf.get('/1.1/callpermissions/2/users')['items']] == [1]
    assert cf.get('/1.1/users/1/lines')['total'] == 1  # by id as well


def test_users_views_directory_and_summary(emu_fresh, cf):
    created = setup_alice(cf)
    directory = cf.get('/1.1/users', view='directory')['items'][0]
    assert directory == {'id': 1, 'uuid': created['user_uuid'], 'line_id': 1, 'agent_id': None, 'firstname': 'Alice',
                         'lastname': 'Smith', 'email': 'alice@example.com', 'exten': '1001',
                         'mobile_phone_number': None, 'voicemail_number': '1001', 'userfield': None,
                         'description': None, 'context': 'default'}
    summary = cf.get('/1.1/users', view='summary')['items'][0]
    code = cf.get('/1.1/lines/1')['provisioning_code']
    assert summary == {'id': 1, 'uuid': created['user_uuid'], 'firstname': 'Alice', 'lastname': 'Smith',
                       'email': 'alice@example.com', 'extension': '1001', 'context': 'default',
                       'provisioning_code': code, 'entity': 'xivotest', 'protocol': 'sip', 'enabled': True}
    cf.post('firstname,exten,context,line_protocol\nBob,1002,default,sccp\nCid,,,\n')
    rows = {u['firstname']: u for u in cf.get('/1.1/users', view='summary')['items']}
    assert (rows['Bob']['protocol'], rows['Bob']['provisioning_code']) == ('sccp', None)  # SIP lines only
    assert (rows['Cid']['protocol'], rows['Cid']['extension'], rows['Cid']['lastname']) == (None, None, None)
    r = cf.request('GET', '/1.1/users', params={'view': 'nope', 'limit': '0'})
    assert r.json() == ["Input Error - view 'nope' does not exist"]  # the view is checked before limit


def test_seed_context_ranges(emu_fresh, cf):
    item = cf.get('/1.1/contexts', name='from-extern')['items'][0]
    assert item['incall_ranges'] == [{'start': '2000', 'end': '2999', 'did_length': 4}]
    emu_fresh.apply_seed({'contexts': [
        {'name': 'default', 'type': 'internal', 'ranges': [['1000', '1999']], 'group_ranges': [['3000', '3099']],
         'queue_ranges': [{'start': '3100'}]},
        {'name': 'from-extern', 'type': 'incall', 'ranges': [['0123452000', '0123452999']]},
        {'name': 'did', 'type': 'incall', 'incall_ranges': [{'start': '0123456000', 'end': '0123456999',
                                                             'did_length': 3}]}]})
    ctx = cf.get('/1.1/contexts/1')
    assert ctx['user_ranges'] == [{'start': '1000', 'end': '1999'}]  # old "ranges": user ranges
    assert ctx['queue_ranges'] == [{'start': '3100', 'end': '3100'}] and ctx['label'] == 'default'
    assert cf.get('/1.1/contexts/2')['incall_ranges'] == [{'start': '0123452000', 'end': '0123452999',
                                                          'did_length': 0}]
    # docs/server-behaviour.md#field-rules: every range kind counts; did_length cuts the limits
    # (ContextNumbers.in_range)
    r = cf.post('firstname,exten,context,line_protocol,incall_exten,incall_context\n'
                'A,3050,default,sip,456,did\nB,3100,default,sip,,\n')
    assert r.status_code == 201, r.text
    assert first_error(cf.post('firstname,exten,context\nC,3101,default\n')) == \
        "Input Error - Extension '3101' is outside of range for context 'default'"


def test_an_extension_of_a_group_queue_or_outcall_is_refused(emu_fresh, cf):
    emu_fresh.apply_seed({'extensions': [{'exten': '1500', 'context': 'default', 'owner': 'group',
                                          'owner_name': 'sales'},
                                         {'exten': '1501', 'context': 'default', 'owner': 'queue'},
                                         {'exten': '_0.', 'context': 'to-extern', 'owner': 'outcall'},
                                         {'exten': '1502', 'context': 'default'}]})
    base = emu_fresh.url
    group = cf.get('/1.1/extensions', exten='1500')['items'][0]
    assert group['group'] == {'id': 1, 'name': 'sales', 'links': [{'href': base + '/1.1/groups/1', 'rel': 'groups'}]}
    assert (group['id'], group['incall'], group['outcall'], group['lines']) == (34, None, None, [])
    outcall = cf.get('/1.1/extensions', context='to-extern')['items'][0]
    assert outcall['outcall'] == {'id': 1, 'name': 'outcall1',
                                  'links': [{'href': base + '/1.1/outcalls/1', 'rel': 'outcalls'}]}
    head = 'firstname,exten,context,line_protocol\n'
    assert first_error(cf.post(head + 'A,1500,default,sip\n')) == \
        "Resource Error - Extension is associated with a group ('associated_id': u'1', 'id': 34)"
    assert first_error(cf.post(head + 'A,1501,default,sip\n')) == \
        "Resource Error - Extension is associated with a queue ('associated_id': u'1', 'id': 35)"
    # docs/server-behaviour.md#find-or-create: a free extension is reused
    assert cf.post(head + 'A,1502,default,sip\n').json()['created'][0]['extension_id'] == 37


def test_line_exten_of_an_incall_before_context_type(emu_fresh, cf):
    """The real answer of samples/real-16.15/import_400_error.json, row for row."""
    setup_alice(cf, 'perm1')
    real = sample('import_400_error.json')['errors'][0]
    row = real['details']['row']
    header = list(row)
    body = ','.join(header) + '\n' + ','.join(row[k] for k in header) + '\n'
    r = cf.post(body)
    assert r.status_code == 400
    error = r.json()['errors'][0]
    assert error['message'] == real['message']
    assert error['details'] == real['details'] and isinstance(error['timestamp'], int)


def test_incall_association_texts(emu_fresh, cf):
    setup_alice(cf, 'perm1')
    head = 'firstname,incall_exten,incall_context\n'
    # reused across requests: the typeval comes from the database (u'1')
    assert first_error(cf.post(head + 'B,2001,from-extern\n')) == \
        "Resource Error - Incall is associated with a Extension ('extension_id': 35, 'incall_id': u'1')"
    # in the same request: the byte string SQLAlchemy was given ('2')
    assert first_error(cf.post(head + 'B,2002,from-extern\nC,2002,from-extern\n')).endswith(
        "('extension_id': 36, 'incall_id': '2')")
    assert first_error(cf.post(head + 'B,1001,default\n')) == \
        "Resource Error - Extension is associated with a user ('associated_id': u'1', 'extension_id': 34)"
    assert cf.request('POST', '/1.1/extensions', json={'exten': '1500', 'context': 'default'}).status_code == 201
    assert first_error(cf.post(head + 'B,1500,default\n')).startswith(
        "Resource Error - ContextType 'internal' cannot be associated ('id': ")


def test_entity_id_zero_is_the_default_entity(emu_fresh, cf):
    r = cf.post('firstname,entity_id\nA,0\nB,\n')
    assert r.status_code == 201, r.text
    assert {u['entity_id'] for u in cf.export()} == {'1'}
    assert first_error(cf.post('firstname,entity_id\nC,2\n')) == "Resource Not Found - Entity was not found ('id': 2)"
    emu_fresh.apply_seed({'entities': [{'id': 1, 'name': 'xivotest'}, {'id': 2, 'name': 'other'}]})
    uuid = cf.post('firstname,entity_id\nD,2\n').json()['created'][0]['user_uuid']
    for value in ('0', ''):  # PUT: no entity found, so the user keeps its own
        assert cf.put('uuid,entity_id\n%s,%s\n' % (uuid, value)).status_code == 201
        assert [u['entity_id'] for u in cf.export() if u['uuid'] == uuid] == ['2']


def test_orphan_row_with_an_incall_is_a_500_from_the_source(emu_fresh, cf):
    # IncallAssociator.update_destination reads user.id of a row without user
    r = cf.post('incall_exten,incall_context\n2001,from-extern\n')
    assert (r.status_code, r.json()) == (500, ["Unexpected error: 'NoneType' object has no attribute 'id'"])


def test_infos_uuid_stable(emu_fresh, cf):
    uuid = cf.get('/1.1/infos')['uuid']
    assert uuid == emu_fresh.uuid and len(uuid) == 36
    emu_fresh.reset(save=False)
    cf._token = None  # a reset forgets the tokens
    assert cf.get('/1.1/infos') == {'uuid': uuid}
    assert cf.control('GET', 'state').json()['uuid'] == uuid


def test_head_export_is_get_without_body(emu_fresh, cf):
    setup_alice(cf, 'perm1')
    for accept in ('application/json', '*/*'):
        get = cf.request('GET', '/1.1/users/export', headers={'Accept': accept})
        head = cf.request('HEAD', '/1.1/users/export', headers={'Accept': accept})
        assert head.status_code == 200 and head.content == b''
        assert head.headers['Content-Type'] == get.headers['Content-Type']
        assert head.headers['Content-Length'] == str(len(get.content))
    assert cf.request('HEAD', '/1.1/users/export', token=False).status_code == 401
    assert cf.request('HEAD', '/1.1/users/import').status_code == 405


def test_request_log_counts_list_items(emu_fresh, cf):
    setup_alice(cf, 'perm1')
    emu_fresh.request_log.clear()
    cf.get('/1.1/extensions', limit='10')
    cf.get('/1.1/users')
    cf.get('/1.1/lines/1')
    log = [(e['path'].split('?')[0], e['items'], e['rows']) for e in emu_fresh.request_log]
    assert log == [('/1.1/extensions', 10, None), ('/1.1/users', 1, 1), ('/1.1/lines/1', None, None)]
