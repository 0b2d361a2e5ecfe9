"""Export: columns per version, encoding (docs/server-behaviour.md#export-content), negotiation
(docs/server-behaviour.md#export-accept)."""
import csv
import io

from tests.emulator.export import COLUMNS_1608, COLUMNS_1609

FULL = ('firstname,lastname,email,exten,context,line_protocol,sip_username,sip_secret,voicemail_name,'
        'voicemail_number,voicemail_context,voicemail_password,incall_exten,incall_context,call_permissions,'
        'password,username,call_permission_password\n'
        'Jérôme,Dupont,j@d.fr,1000,default,sip,jd,s3cret,VM,1000,default,1234,2000,from-extern,perm2;perm1,'
        'pa55word,jdupont,4321\n')


def test_json_columns_1615(emu, c):
    c.post(FULL)
    r = c.request('GET', '/1.1/users/export', headers={'Accept': 'application/json'})
    body = r.json()
    assert body['headers'] == COLUMNS_1609 and len(COLUMNS_1609) == 39
    assert body['headers'].index('dtmf_hangup_enabled') == body['headers'].index('call_transfer_enabled') + 1
    row = body['content'][0]
    assert all(isinstance(v, str) for v in row.values())
    assert row['enabled'] == '1' and row['ring_seconds'] == '30' and row['mobile_phone_number'] == ''
    assert row['call_permissions'] == 'perm1;perm2'
    # secrets in clear
    assert (row['password'], row['sip_secret'], row['voicemail_password'], row['call_permission_password']) == \
        ('pa55word', 's3cret', '1234', '4321')


def test_json_columns_1608(emu08, c08):
    c08.post('firstname\nA\n')
    body = c08.request('GET', '/1.1/users/export', headers={'Accept': 'application/json'}).json()
    assert body['headers'] == COLUMNS_1608 and len(COLUMNS_1608) == 38


def test_no_accept_is_json(emu, c):
    r = c.request('GET', '/1.1/users/export', headers={'Accept': None})
    assert r.headers['Content-Type'].startswith('application/json')


def test_csv_for_star_and_text_star(emu, c):
    c.post(FULL)
    for accept in ('*/*', 'text/*'):
        r = c.request('GET', '/1.1/users/export', headers={'Accept': accept})
        assert r.headers['Content-Type'] == 'text/csv; charset=utf-8'
        assert b'\r\n' in r.content
        rows = list(csv.DictReader(io.StringIO(r.content.decode('utf-8'))))
        assert rows[0]['firstname'] == 'Jérôme'


def test_negotiation_werkzeug_0_11(emu, c):
    cases = {'text/csv; charset=utf-8': 'csv', 'TEXT/CSV; CHARSET=UTF-8': 'csv', 'text/csv': 'json',
             'text/csv;charset=utf-8': 'json', 'application/json': 'json',
             'application/json, */*;q=0.1': 'csv', '*/*;q=0': 'json'}
    for accept, kind in cases.items():
        r = c.request('GET', '/1.1/users/export', headers={'Accept': accept})
        got = 'csv' if r.headers['Content-Type'].startswith('text/csv') else 'json'
        assert got == kind, accept


def test_negotiation_werkzeug_0_9_for_1608(emu08, c08):
    r = c08.request('GET', '/1.1/users/export', headers={'Accept': 'text/csv; charset=utf-8'})
    assert r.headers['Content-Type'].startswith('application/json')


def test_incalls_joined_and_main_line(emu, c):
    c.post(FULL)
    row = c.export()[0]
    assert (row['exten'], row['context'], row['line_protocol'], row['sip_username']) == ('1000', 'default', 'sip', 'jd')
    assert row['incall_exten'] == '2000' and row['voicemail_number'] == '1000'
    assert row['provisioning_code'].isdigit()


def test_export_order_not_promised(emu, c):
    body = 'firstname\n' + ''.join('U%d\n' % i for i in range(30))
    c.post(body)
    names = [[u['firstname'] for u in c.export()] for dummy in range(3)]
    assert all(sorted(n) == sorted(names[0]) for n in names)
    assert len(set(map(tuple, names))) > 1  # shuffled


def test_emulator_python_api_users_and_log(emu, c):
    c.post('firstname\nA\nB\n')
    assert sorted(u['firstname'] for u in emu.users()) == ['A', 'B']
    entry = [e for e in emu.request_log if e['path'] == '/1.1/users/import'][-1]
    assert entry['method'] == 'POST' and entry['status'] == 201 and entry['rows'] == 2
