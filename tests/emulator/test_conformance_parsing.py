"""CSV parsing rules (docs/server-behaviour.md#csv-parsing)."""
from .conftest import first_error

NULL_IDS = {'user_id': None, 'user_uuid': None, 'voicemail_id': None, 'line_id': None, 'sip_id': None,
            'sccp_id': None, 'extension_id': None, 'incall_extension_id': None, 'cti_profile_id': None,
            'call_permission_ids': []}


def test_quoting(emu, c):
    c.post('firstname,outgoing_caller_id\nA,"""John D"" <1234>"\n')
    assert c.export()[0]['outgoing_caller_id'] == '"John D" <1234>'


def test_semicolon_file_creates_nothing(emu, c):
    r = c.post('firstname;lastname\nA;B\n')
    assert r.status_code == 201
    assert r.json()['created'] == [dict(NULL_IDS, row_number=1)]
    assert c.export() == []


def test_crlf_line_endings(emu, c):
    r = c.post('firstname,lastname\r\nA,B\r\nC,D\r\n')
    assert r.status_code == 201 and len(r.json()['created']) == 2
    assert {u['lastname'] for u in c.export()} == {'B', 'D'}


def test_cr_only_is_500(emu, c):
    r = c.post('firstname,lastname\rA,B\r')
    assert r.status_code == 500 and r.json()[0].startswith('Unexpected error: new-line character seen')


def test_nul_is_500(emu, c):
    r = c.post(b'firstname\nA\x00B\n')
    assert r.status_code == 500 and r.json() == ['Unexpected error: line contains NUL']


def test_quoted_newline_removed(emu, c):
    c.post('firstname\n"Jo\nhn"\n')
    assert c.export()[0]['firstname'] == 'John'


def test_cr_inside_quotes_survives(emu, c):
    c.post(b'firstname\r\n"Jo\r\nhn"\r\n')
    assert c.export()[0]['firstname'] == 'Jo\rhn'


def test_bom_not_stripped(emu, c):
    r = c.post('\ufefffirstname,lastname\nA,B\n'.encode('utf-8'))
    assert first_error(r) == "{'firstname': [u'Missing data for required field.']}"


def test_bom_not_stripped_1608(emu08, c08):
    r = c08.post('\ufefffirstname,lastname\nA,B\n'.encode('utf-8'))
    assert first_error(r) == 'Input Error - missing parameters: firstname'


def test_header_is_first_line_even_blank(emu, c):
    r = c.post('\nfirstname,lastname\nA,B\n')
    assert r.status_code == 201
    assert r.json()['created'] == [dict(NULL_IDS, row_number=1), dict(NULL_IDS, row_number=2)]
    assert c.export() == []


def test_blank_lines_skipped_not_counted(emu, c):
    r = c.post('firstname,lastname\n\nA,B\n\n\n,C\n')
    err = r.json()['errors'][0]
    assert err['details']['row_number'] == 2 and err['details']['row'] == {'firstname': '', 'lastname': 'C'}


def test_empty_body_and_header_only(emu, c):
    assert c.post(b'').json() == {'created': []}
    assert c.post('firstname,lastname\n').json() == {'created': []}


def test_empty_value_is_null(emu, c):
    c.post('firstname,lastname,email\nA,,\n')
    row = c.export()[0]
    assert row['lastname'] == '' and row['email'] == ''
    assert c.request('GET', '/1.1/users').json()['items'][0]['lastname'] is None


def test_booleans_exactly_0_1(emu, c):
    for bad in ('true', 'yes', ' 1', '2'):
        assert first_error(c.post('firstname,enabled\nA,%s\n' % bad)) == "Input Error - 'enabled' must be one of (0, 1)"
    assert c.post('firstname,enabled\nA,0\n').status_code == 201
    assert c.export()[0]['enabled'] == '0'


def test_integers_isdigit(emu, c):
    for bad in ('-5', '1.5', ' 10', 'ten'):
        assert first_error(c.post('firstname,ring_seconds\nA,%s\n' % bad)) == \
            "Input Error - field 'ring_seconds': wrong type. Should be a integer"


def test_list_split_no_trim(emu, c):
    r = c.post('firstname,call_permissions\nA,perm1; perm2\n')
    assert first_error(r) == "Resource Not Found - CallPermission was not found ('name': u' perm2')"
    r = c.post('firstname,call_permissions\nA,perm1;perm2\n')
    assert r.json()['created'][0]['call_permission_ids'] == [1, 2]


def test_unknown_columns_ignored_but_in_row(emu, c):
    r = c.post('firstname,sip_password,phonenumbre\nA,x,1000\n')
    assert r.status_code == 201 and r.json()['created'][0]['extension_id'] is None
    err = c.post('firstname,sip_password\n,x\n').json()['errors'][0]
    assert err['details']['row'] == {'firstname': '', 'sip_password': 'x'}


def test_duplicate_columns_last_wins(emu, c):
    c.post('firstname,lastname,lastname\nA,First,Second\n')
    assert c.export()[0]['lastname'] == 'Second'


def test_short_rows(emu, c):
    # string → None (firstname given, lastname missing): fine
    assert c.post('firstname,lastname\nA\n').status_code == 201
    assert first_error(c.post('firstname,enabled\nA\n')) == "Input Error - 'enabled' must be one of (0, 1)"
    r = c.post('firstname,ring_seconds\nA\n')
    assert r.status_code == 500 and r.json() == ["Unexpected error: 'NoneType' object has no attribute 'isdigit'"]
    r = c.post('firstname,call_permissions\nA\n')
    assert r.status_code == 500 and r.json() == ["Unexpected error: 'NoneType' object has no attribute 'split'"]


def test_long_rows_under_null(emu, c):
    err = c.post('firstname,lastname\n,B,extra1,extra2\n').json()['errors'][0]
    assert err['details']['row'] == {'firstname': '', 'lastname': 'B', 'null': ['extra1', 'extra2']}
    assert c.post('firstname\nA,extra\n').status_code == 201


def test_no_trimming_of_headers(emu, c):
    c.post('firstname, lastname\nA,B\n')
    assert c.export()[0]['lastname'] == ''
