"""More observed on the real confd 16.15 (2026-12-07, docs/server-behaviour.md#association-refusals): a SIP
name held by a trunk, an extension held by a group, and a voicemail of another user shared and renamed."""

from .conftest import first_error


HEAD = 'firstname,lastname,exten,context,line_protocol,sip_username\n'


def test_a_sip_name_held_by_a_trunk_is_found_then_refused(emu_fresh, cf):
    # On the real server: POST /1.1/trunks, POST /1.1/endpoints/sip (id 2, one endpoint
    # existed), PUT /1.1/trunks/1/endpoints/sip/2. Here the seed makes the same state.
    emu_fresh.apply_seed({'sip_endpoints': [{'username': 'firstsip'},
                                            {'username': 'trunksip', 'trunk_id': 1}]})
    item, = cf.get('/1.1/endpoints/sip', username='trunksip')['items']
    assert item['id'] == 2 and item['line'] is None
    assert item['trunk']['id'] == 1
    assert first_error(cf.post(HEAD + 'Tom,Trunk,1010,default,sip,trunksip\n')) == (
        "Resource Error - Trunk is associated with a Endpoint ('trunk_id': 1, 'endpoint': 'sip', "
        "'endpoint_id': 2)")
    free, = cf.get('/1.1/endpoints/sip', username='firstsip')['items']
    assert free['trunk'] is None and free['line'] is None
    # A free endpoint is reused (docs/server-behaviour.md#find-or-create).
    answer = cf.post(HEAD + 'Fay,Free,1011,default,sip,firstsip\n')
    assert answer.status_code == 201 and answer.json()['created'][0]['sip_id'] == 1


def test_an_extension_held_by_a_group(emu_fresh, cf):
    emu_fresh.apply_seed({'extensions': [{'exten': '1028', 'context': 'default'},
                                         {'exten': '1029', 'context': 'default'},
                                         {'exten': '1030', 'context': 'default', 'owner': 'group',
                                          'owner_name': 'grp1'}]})
    item, = cf.get('/1.1/extensions', exten='1030')['items']
    assert item['id'] == 36 and item['group']['id'] == 1 and item['lines'] == []
    assert first_error(cf.post(HEAD + 'Gil,Group,1030,default,sip,\n')) == (
        "Resource Error - Extension is associated with a group ('associated_id': u'1', 'id': 36)")


def test_a_voicemail_of_another_user_is_shared_and_renamed(emu_fresh, cf):
    head = HEAD.strip() + ',voicemail_name,voicemail_number,voicemail_context\n'
    assert cf.post(head + 'Bob,Jones,1002,default,sip,,Bob VM,1002,default\n').status_code == 201
    answer = cf.post(head + 'Alice,Smith,1003,default,sip,,Alice VM,1002,default\n')
    assert answer.status_code == 201, answer.text        # nothing in the answer says so
    voicemail, = cf.get('/1.1/voicemails', number='1002')['items']
    assert voicemail['name'] == 'Alice Smith'
    assert [u['firstname'] for u in voicemail['users']] == ['Bob', 'Alice']
    # Without a line the new user shares it and the name stays.
    assert cf.post('firstname,voicemail_name,voicemail_number,voicemail_context\n'
                   'Carl,Carl VM,1002,default\n').status_code == 201
    voicemail, = cf.get('/1.1/voicemails', number='1002')['items']
    assert voicemail['name'] == 'Alice Smith' and len(voicemail['users']) == 3
