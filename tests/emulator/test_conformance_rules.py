"""Validation and resources (docs/server-behaviour.md#field-rules), transactions and bodies
(docs/server-behaviour.md#import-all-or-nothing), duplicates (docs/server-behaviour.md#find-or-create)."""
from .conftest import first_error

LINE = 'firstname,lastname,exten,context,line_protocol\n'


def test_firstname_required_1615(emu, c):
    assert first_error(c.post('firstname,lastname\n,B\n')) == "{'firstname': [u'Field may not be null.']}"
    assert first_error(c.post('lastname\nB\n')) == "{'firstname': [u'Missing data for required field.']}"
    assert first_error(c.post('firstname\n%s\n' % ('a' * 129))) == \
        "{'firstname': [u'Longer than maximum length 128.']}"


def test_firstname_required_1608(emu08, c08):
    assert first_error(c08.post('firstname,lastname\n,B\n')) == 'Input Error - missing parameters: firstname'


def test_user_regex_fields_1615(emu, c):
    for col, value in (('mobile_phone_number', 'blah'), ('username', 'a b'), ('password', 'ab'),
                       ('language', 'french'), ('call_permission_password', 'abc')):
        assert first_error(c.post('firstname,%s\nA,%s\n' % (col, value))) == \
            "{'%s': [u'String does not match expected pattern.']}" % col


def test_mobile_regex_1608(emu08, c08):
    assert first_error(c08.post('firstname,mobile_phone_number\nA,blah\n')) == \
        "Input Error - field 'mobile_phone_number': wrong type. Should be a string matching regex '^\\+?[0-9\\*#]+$'"


def test_ring_seconds_1615_no_step(emu, c):
    assert c.post('firstname,ring_seconds\nA,7\n').status_code == 201
    assert first_error(c.post('firstname,ring_seconds\nA,61\n')) == "{'ring_seconds': [u'Must be between 0 and 60.']}"
    assert first_error(c.post('firstname,simultaneous_calls\nA,0\n')) == \
        "{'simultaneous_calls': [u'Must be between 1 and 20.']}"


def test_ring_seconds_step_1608(emu08, c08):
    assert first_error(c08.post('firstname,ring_seconds\nA,7\n')) == \
        "Input Error - ring_seconds is outside of range ('max': 60, 'step': 5, 'min': 0)"


def test_several_fields_one_message_py2_order(emu, c):
    msg = first_error(c.post('firstname,ring_seconds,language\n,99,x\n'))
    # Python 2.7 dict order of these three keys (computed by py2.dict_order, itself checked
    # against every ordering the reference records: see test_py2_dict_order)
    assert msg == ("{'ring_seconds': [u'Must be between 0 and 60.'], 'language': [u'String does not match "
                   "expected pattern.'], 'firstname': [u'Field may not be null.']}")


def test_py2_dict_order():
    from tests.emulator.py2 import dict_order
    cases = [(['delete_messages', 'ask_password'], ['ask_password', 'delete_messages']),
             (['number', 'password'], ['password', 'number']),
             (['enabled', 'ring_seconds'], ['ring_seconds', 'enabled']),
             (['user_id', 'line_id'], ['line_id', 'user_id']),
             (['endpoint', 'endpoint_id', 'line_id'], ['line_id', 'endpoint', 'endpoint_id']),
             (['extension_id', 'associated_id'], ['associated_id', 'extension_id']),
             (['incall_id', 'extension_id'], ['extension_id', 'incall_id']),
             (['user_id', 'call_permission_id'], ['call_permission_id', 'user_id']),
             (['min', 'max', 'step'], ['max', 'step', 'min']),
             (['user_id', 'line_ids'], ['line_ids', 'user_id']),
             (['id', 'associated_id'], ['associated_id', 'id'])]
    for keys, expected in cases:
        assert dict_order(keys) == expected


def test_entity_not_found_1615(emu, c):
    assert first_error(c.post('firstname,entity_id\nA,999999999\n')) == \
        "Resource Not Found - Entity was not found ('id': 999999999)"


def test_entity_not_found_1608(emu08, c08):
    assert first_error(c08.post('firstname,entity_id\nA,999999999\n')) == \
        "Input Error - field 'entity_id': Entity was not found ('entity_id': 999999999)"


def test_email_unique_case_insensitive(emu, c):
    c.post('firstname,email\nA,x@y.org\n')
    assert first_error(c.post('firstname,email\nB,X@Y.org\n')) == \
        "Resource Error - User already exists ('email': u'X@Y.org')"
    assert first_error(c.post('firstname,email\nB,a@b.org\nC,A@B.org\n')) == \
        "Resource Error - User already exists ('email': u'A@B.org')"


def test_username_unique_1615(emu, c):
    c.post('firstname,username\nA,jdoe\n')
    assert first_error(c.post('firstname,username\nB,jdoe\n')) == \
        "Resource Error - User already exists ('username': u'jdoe')"


def test_username_not_unique_1608(emu08, c08):
    assert c08.post('firstname,username\nA,jdoe\nB,jdoe\n').status_code == 201


def test_context_not_found(emu, c):
    assert first_error(c.post(LINE + 'A,B,1000,nosuchctx,sip\n')) == \
        "Input Error - field 'context': Context was not found ('context': u'nosuchctx')"


def test_exten_outside_range(emu, c):
    assert first_error(c.post(LINE + 'A,B,5000,default,sip\n')) == \
        "Input Error - Extension '5000' is outside of range for context 'default'"


def test_exten_non_digits(emu, c):
    assert first_error(c.post(LINE + 'A,B,12a,default,sip\n')) == \
        "{'exten': [u'String does not match expected pattern.']}"


def test_exten_star_is_500(emu, c):
    r = c.post(LINE + 'A,B,*123,default,sip\n')
    assert r.status_code == 500
    assert r.json() == ["Unexpected error: invalid literal for int() with base 10: '*123'"]


def test_pattern_skips_range(emu, c):
    r = c.post(LINE + 'A,B,_1XXX,default,sip\n')
    assert r.status_code == 201 and c.export()[0]['exten'] == '_1XXX'


def test_line_exten_in_incall_context(emu, c):
    assert first_error(c.post(LINE + 'A,B,2000,from-extern,sip\n')).startswith(
        "Resource Error - ContextType 'incall' cannot be associated (")


def test_incall_exten_is_users_extension(emu, c):
    uid = c.post(LINE + 'A,B,1000,default,sip\n').json()['created'][0]['user_id']
    msg = first_error(c.post('firstname,incall_exten,incall_context\nC,1000,default\n'))
    assert msg.startswith("Resource Error - Extension is associated with a user ('associated_id': u'%d', "
                          "'extension_id': " % uid)


def test_line_exten_is_incall(emu, c):
    c.post('firstname,incall_exten,incall_context\nA,2000,from-extern\n')
    r = c.post('firstname,exten,context,line_protocol\nB,2000,from-extern,sip\n')
    assert 'cannot be associated' in first_error(r) or 'associated with a incall' in first_error(r)


def test_incall_duplicate_in_file(emu, c):
    msg = first_error(c.post('firstname,incall_exten,incall_context\nA,2000,from-extern\nB,2000,from-extern\n'))
    assert msg.startswith("Resource Error - Incall is associated with a Extension ('extension_id': ")
    assert msg.endswith("'incall_id': '1')")


def test_voicemail_rules_1615(emu, c):
    head = 'firstname,voicemail_name,voicemail_number,voicemail_context,voicemail_password\n'
    assert first_error(c.post(head + 'A,,1000,default,\n')) == "{'name': [u'Field may not be null.']}"
    assert first_error(c.post('firstname,voicemail_number,voicemail_context\nA,1000,default\n')) == \
        "{'name': [u'Missing data for required field.']}"
    assert first_error(c.post(head + 'A,VM,10a,default,12x\n')) == \
        "{'password': [u'String does not match expected pattern.'], 'number': [u'String does not match expected pattern.']}"
    assert first_error(c.post(head + 'A,%s,1000,default,\n' % ('n' * 81))) == \
        "{'name': [u'Longer than maximum length 80.']}"
    assert first_error(c.post(head + 'A,VM,1000,nowhere,\n')) == \
        "Input Error - field 'context': Context was not found ('context': u'nowhere')"


def test_voicemail_booleans(emu, c):
    head = 'firstname,voicemail_name,voicemail_number,voicemail_context,voicemail_attach_audio,' \
           'voicemail_delete_messages,voicemail_ask_password\n'
    assert first_error(c.post(head + 'A,VM,1000,default,,,\n')) == \
        "{'ask_password': [u'Field may not be null.'], 'delete_messages': [u'Field may not be null.']}"
    assert c.post(head + 'A,VM,1000,default,,0,1\n').status_code == 201
    assert c.post('firstname,voicemail_name,voicemail_number,voicemail_context\nB,VM,1001,default\n').status_code == 201
    rows = {u['firstname']: u for u in c.export()}
    assert rows['A']['voicemail_attach_audio'] == ''
    assert (rows['B']['voicemail_delete_messages'], rows['B']['voicemail_ask_password']) == ('0', '1')


def test_voicemail_renamed_with_line(emu, c):
    c.post('firstname,lastname,exten,context,line_protocol,voicemail_name,voicemail_number,voicemail_context\n'
           'Jean,Dupont,1000,default,sip,Jean VM,1000,default\n')
    assert c.export()[0]['voicemail_name'] == 'Jean Dupont'


def test_voicemail_renamed_on_put(emu, c):
    uuid = c.post('firstname,lastname,voicemail_name,voicemail_number,voicemail_context\nA,B,Box,1000,default\n') \
        .json()['created'][0]['user_uuid']
    assert c.export()[0]['voicemail_name'] == 'Box'
    assert c.put('uuid,firstname\n%s,A3\n' % uuid).status_code == 201
    assert c.export()[0]['voicemail_name'] == 'A3 B'


def test_voicemail_reused(emu, c):
    head = 'firstname,voicemail_name,voicemail_number,voicemail_context\n'
    r = c.post(head + 'A,VM,1000,default\nB,VM,1000,default\n').json()['created']
    assert r[0]['voicemail_id'] == r[1]['voicemail_id']


def test_line_only_for_sip_sccp(emu, c):
    r = c.post(LINE + 'A,B,1000,default,foo\n').json()['created'][0]
    assert r['user_id'] and r['line_id'] is None and r['extension_id']
    r = c.post(LINE + 'C,D,1001,default,sccp\n').json()['created'][0]
    assert r['sccp_id'] and r['sip_id'] is None


def test_sip_random_credentials_and_reuse_clash(emu, c):
    c.post(LINE + 'A,B,1000,default,sip\n')
    row = c.export()[0]
    assert len(row['sip_username']) == 8 and len(row['sip_secret']) == 8
    c.post('firstname,context,line_protocol,sip_username\nC,default,sip,shared\n')
    msg = first_error(c.post('firstname,context,line_protocol,sip_username\nD,default,sip,shared\n'))
    assert msg.startswith("Resource Error - Line is associated with a Endpoint ('line_id': ")
    assert "'endpoint': 'sip', 'endpoint_id': " in msg


def test_sip_fields_validated(emu, c):
    assert first_error(c.post('firstname,context,line_protocol,sip_username\nA,default,sip,bad name\n')) == \
        "{'username': [u'String does not match expected pattern.']}"


def test_no_user_column_creates_orphans(emu, c):
    r = c.post('exten,context,line_protocol\n1000,default,sip\n').json()['created'][0]
    assert r['user_id'] is None and r['line_id'] and r['extension_id'] and r['sip_id']
    r2 = c.post(LINE + 'A,B,1000,default,sip\n').json()['created'][0]
    assert r2['extension_id'] == r['extension_id']


def test_half_incall_orphan(emu, c):
    r = c.post('firstname,incall_exten\nA,2000\n')
    assert r.status_code == 201 and r.json()['created'][0]['incall_extension_id'] is None
    assert c.export()[0]['incall_exten'] == ''


def test_cti_profile_without_user_500(emu, c):
    r = c.post('exten,context,line_protocol,cti_profile_name\n1000,default,sip,Client\n')
    assert r.status_code == 500 and r.json() == ["Unexpected error: 'NoneType' object has no attribute 'id'"]


def test_cti_profile(emu, c):
    assert first_error(c.post('firstname,cti_profile_name\nA,client\n')) == \
        "Resource Not Found - CtiProfile was not found ('name': u'client')"
    msg = first_error(c.post('firstname,cti_profile_name,cti_profile_enabled\nA,Client,1\n'))
    assert msg.startswith('Resource Error - User must have a username and password to enable a CtiProfile (')
    r = c.post('firstname,username,password,cti_profile_name,cti_profile_enabled\nA,ab,abcd,Client,1\n')
    assert r.json()['created'][0]['cti_profile_id'] == 3
    row = c.export()[0]
    assert (row['cti_profile_name'], row['cti_profile_enabled']) == ('Client', '1')


def test_call_permission_twice(emu, c):
    msg = first_error(c.post('firstname,call_permissions\nA,perm1;perm1\n'))
    assert msg.startswith("Resource Error - User is associated with a CallPermission ('call_permission_id': 1, "
                          "'user_id': ")


def test_all_or_nothing_and_ids_jump(emu, c):
    first = c.post('firstname\nA\n').json()['created'][0]['user_id']
    r = c.post('firstname\nB\n\nC\n,D\n')
    assert r.status_code == 400 and len(r.json()['errors']) == 1
    assert [u['firstname'] for u in c.export()] == ['A']
    nxt = c.post('firstname\nE\n').json()['created'][0]['user_id']
    assert nxt > first + 1


def test_one_error_per_failing_row(emu, c):
    r = c.post('firstname,ring_seconds\n,\nok,5\n,99\n')
    errs = r.json()['errors']
    assert [e['details']['row_number'] for e in errs] == [1, 3]
    for e in errs:
        assert isinstance(e['timestamp'], int) and set(e) == {'message', 'timestamp', 'details'}


def test_first_failing_step_only(emu, c):
    r = c.post('firstname,entity_id,exten,context,line_protocol,voicemail_name,voicemail_number,voicemail_context,'
               'voicemail_password\nA,42,9999,default,sip,VM,1000,default,abc\n')
    assert first_error(r) == "Resource Not Found - Entity was not found ('id': 42)"


def test_later_rows_see_failed_rows_resources(emu, c):
    r = c.post('firstname,voicemail_name,voicemail_number,voicemail_context,ring_seconds\n'
               'A,VM,1000,default,99\nB,VM,1000,default,10\n')
    assert r.status_code == 400 and len(r.json()['errors']) == 1


def test_reposting_same_file(emu, c):
    body = LINE + 'A,B,1000,default,sip\n'
    first = c.post(body).json()['created'][0]
    msg = first_error(c.post(body))
    assert msg == "Resource Error - User is associated with a Line ('line_id': %d, 'user_id': %d)" % (
        first['line_id'], first['user_id'])


def test_existing_free_extension_reused(emu, c):
    ext = c.post('firstname,exten,context\nA,1000,default\n').json()['created'][0]['extension_id']
    r = c.post(LINE + 'B,C,1000,default,sip\n').json()['created'][0]
    assert r['extension_id'] == ext


def test_extension_clash_1608(emu08, c08):
    c08.post(LINE + 'A,B,1000,default,sip\n')
    assert first_error(c08.post(LINE + 'C,D,1000,default,sip\n')).startswith(
        "Resource Error - Extension is associated with a user ('associated_id': u'")


def test_uuid_ignored_on_post_1615(emu, c):
    given = '11111111-2222-3333-4444-555555555555'
    r = c.post('uuid,firstname\n%s,A\n' % given).json()['created'][0]
    assert r['user_uuid'] != given


def test_call_transfer_default_0(emu, c):
    c.post('firstname,call_transfer_enabled\nA,\n')
    assert c.export()[0]['call_transfer_enabled'] == '0'


def test_put_empty_bool_int_rejected(emu, c):
    uuid = c.post('firstname,lastname\nA,B\n').json()['created'][0]['user_uuid']
    assert first_error(c.put('uuid,ring_seconds,enabled\n%s,,\n' % uuid)) == \
        "{'ring_seconds': [u'Must be between 0 and 60.'], 'enabled': [u'Field may not be null.']}"
    assert c.put('uuid,lastname\n%s,\n' % uuid).status_code == 201
    row = c.export()[0]
    assert row['lastname'] == '' and row['firstname'] == 'A'


def test_put_absent_column_untouched_and_perms(emu, c):
    uuid = c.post('firstname,email,call_permissions\nA,a@b.c,perm1\n').json()['created'][0]['user_uuid']
    c.put('uuid,lastname\n%s,L\n' % uuid)
    row = c.export()[0]
    assert row['email'] == 'a@b.c' and row['call_permissions'] == 'perm1'
    c.put('uuid,call_permissions\n%s,\n' % uuid)
    assert c.export()[0]['call_permissions'] == ''


def test_put_changes(emu, c):
    r = c.post(LINE + 'A,B,1000,default,sip\n' + 'C,D,1001,default,sip\n').json()['created']
    uuid, other = r[0]['user_uuid'], r[1]
    sip_other = [u for u in c.export() if u['firstname'] == 'C'][0]['sip_username']
    assert first_error(c.put('uuid,sip_username\n%s,%s\n' % (uuid, sip_other))) == \
        "Resource Error - SIPEndpoint already exists ('name': u'%s')" % sip_other
    assert first_error(c.put('uuid,sip_username\n%s,\n' % uuid)) == "{'username': [u'Field may not be null.']}"
    assert c.put('uuid,exten\n%s,1005\n' % uuid).status_code == 201
    assert {u['exten'] for u in c.export()} == {'1005', '1001'}
    c.apply = None
    emu.apply_seed({'entities': [{'id': 1, 'name': 'xivotest'}, {'id': 2, 'name': 'other'}]})
    msg = first_error(c.put('uuid,entity_id\n%s,2\n' % uuid))
    assert msg == "Resource Error - User is associated with a Line ('line_ids': '%d', 'user_id': %d)" % (
        r[0]['line_id'], r[0]['user_id'])
    assert first_error(c.put('uuid,line_protocol\n%s,sccp\n' % uuid)).count('Endpoint') == 1
    assert other['user_id']


def test_incall_created_and_exported(emu, c):
    r = c.post('firstname,incall_exten,incall_context,incall_ring_seconds\nA,2000,from-extern,10\n')
    assert r.json()['created'][0]['incall_extension_id']
    row = c.export()[0]
    assert (row['incall_exten'], row['incall_context']) == ('2000', 'from-extern')
