"""Routes (docs/server-behaviour.md#routes-and-ports), auth (docs/server-behaviour.md#authentication), negotiation
(docs/server-behaviour.md#export-accept), request headers (docs/server-behaviour.md#request-body)."""
import os

import requests
from requests.auth import HTTPDigestAuth

from .conftest import first_error

HEADER = 'firstname,lastname,exten,context,line_protocol\n'


def test_https_with_verified_certificate(emu, c):
    assert emu.url.startswith('https://127.0.1.')
    assert c.request('GET', '/1.1/users').status_code == 200


def test_token_from_xivo_auth(emu):
    r = requests.post(emu.auth_url + '/0.1/token', auth=('admin', 'passadmin'),
                      json={'backend': 'xivo_service', 'expiration': 60}, verify=emu.ca_path)
    data = r.json()['data']
    assert r.status_code == 200
    assert set(data) >= {'token', 'auth_id', 'xivo_user_uuid', 'issued_at', 'expires_at', 'acls'}
    assert data['acls'] == ['confd.#']


def test_token_admin_backend(emu, c):
    token = c.new_token('root', 'secret', backend='xivo_admin')
    assert c.request('GET', '/1.1/users', headers={'X-Auth-Token': token}, token=False).status_code == 200


def test_token_bad_credentials_401(emu):
    r = requests.post(emu.auth_url + '/0.1/token', auth=('admin', 'nope'),
                      json={'backend': 'xivo_service', 'expiration': 60}, verify=emu.ca_path)
    assert r.status_code == 401
    body = r.json()
    assert body['reason'] == ['Authentication Failed'] and body['status_code'] == 401
    assert isinstance(body['timestamp'][0], float)


def test_token_invalid_expiration_400(emu):
    r = requests.post(emu.auth_url + '/0.1/token', auth=('admin', 'passadmin'),
                      json={'backend': 'xivo_service', 'expiration': -1}, verify=emu.ca_path)
    assert r.status_code == 400 and r.json()['reason'] == ['Invalid expiration']


def test_token_revoked(emu, c):
    token = c.new_token()
    r = requests.delete(emu.auth_url + '/0.1/token/' + token, verify=emu.ca_path)
    assert r.status_code == 200
    assert c.request('GET', '/1.1/users', token=False, headers={'X-Auth-Token': token}).status_code == 401


def test_basic_rejected_with_digest_challenge(emu, c):
    r = c.request('GET', '/1.1/users', token=False, auth=('admin', 'passadmin'))
    assert r.status_code == 401
    assert r.text == 'Unauthorized Access'
    assert r.headers['WWW-Authenticate'].startswith('Digest realm="Authentication Required",nonce="')
    assert 'opaque="' in r.headers['WWW-Authenticate']
    assert r.headers['Set-Cookie'].startswith('session=')


def test_digest_with_cookie_accepted(emu, c):
    r = c.request('GET', '/1.1/users', token=False, auth=HTTPDigestAuth('admin', 'passadmin'))
    assert r.status_code == 200


def test_digest_needs_cookie(emu, c):
    first = c.request('GET', '/1.1/users', token=False)
    assert first.status_code == 401
    # answer the challenge properly but without the session cookie
    auth = HTTPDigestAuth('admin', 'passadmin')
    auth.init_per_thread_state()
    auth._thread_local.chal = requests.utils.parse_dict_header(first.headers['WWW-Authenticate'][7:])
    header = auth.build_digest_header('GET', emu.url + '/1.1/users')
    r = c.request('GET', '/1.1/users', token=False, headers={'Authorization': header})
    assert r.status_code == 401
    # the same header with the cookie works
    r = c.request('GET', '/1.1/users', token=False, headers={'Authorization': header},
                  cookies={'session': first.cookies['session']})
    assert r.status_code == 200


def test_digest_wrong_password_401(emu, c):
    r = c.request('GET', '/1.1/users', token=False, auth=HTTPDigestAuth('admin', 'bad'))
    assert r.status_code == 401


def test_token_without_acl_falls_to_digest_401(emu, c):
    emu.apply_seed({'ws_users': [{'login': 'admin', 'password': 'passadmin', 'acls': ['confd.#']},
                                 {'login': 'reader', 'password': 'pw', 'acls': ['confd.users.export.read']}]})
    token = c.new_token('reader', 'pw')
    assert c.request('GET', '/1.1/users/export', token=False, headers={'X-Auth-Token': token}).status_code == 200
    r = c.request('POST', '/1.1/users/import', token=False, headers={'X-Auth-Token': token}, data=b'')
    assert r.status_code == 401 and 'Digest' in r.headers['WWW-Authenticate']


def test_acl_patterns():
    from tests.emulator.auth import acl_matches
    assert acl_matches('confd.#', 'confd.users.import.create')
    assert acl_matches('confd.users.*.create', 'confd.users.import.create')
    assert not acl_matches('confd.users.*', 'confd.users.import.create')
    assert not acl_matches('dird.#', 'confd.users.read')


def test_post_201_created_body(emu, c):
    r = c.post(HEADER + 'Jean,Dupont,1000,default,sip\n')
    assert r.status_code == 201
    entry = r.json()['created'][0]
    assert set(entry) == {'row_number', 'user_id', 'user_uuid', 'voicemail_id', 'line_id', 'sip_id', 'sccp_id',
                          'extension_id', 'incall_extension_id', 'cti_profile_id', 'call_permission_ids'}
    assert entry['row_number'] == 1 and entry['call_permission_ids'] == []
    assert entry['sccp_id'] is None and entry['line_id'] and entry['sip_id'] and entry['extension_id']


def test_put_updated_201(emu, c):
    uuid = c.post(HEADER + 'Jean,Dupont,1000,default,sip\n').json()['created'][0]['user_uuid']
    r = c.put('uuid,lastname\n%s,Durand\n' % uuid)
    assert r.status_code == 201 and r.json()['updated'][0]['user_uuid'] == uuid
    assert c.export()[0]['lastname'] == 'Durand'


def test_put_uuid_mandatory(emu, c):
    assert first_error(c.put('firstname\nA\n')) == "Resource Not Found - User was not found ('uuid': None)"


def test_list_pagination_and_filters(emu, c):
    c.post(HEADER + 'Ann,Zed,1001,default,sip\nBob,Young,1002,default,sip\nCid,Xu,1003,default,sccp\n')
    r = c.request('GET', '/1.1/users', params={'limit': '2', 'offset': '1'}).json()
    assert r['total'] == 3 and [u['lastname'] for u in r['items']] == ['Young', 'Zed']
    r = c.request('GET', '/1.1/users', params={'exten': '1002', 'context': 'default'}).json()
    assert r['total'] == 1 and r['items'][0]['firstname'] == 'Bob'
    r = c.request('GET', '/1.1/users', params={'search': 'ZE'}).json()
    assert r['total'] == 1
    r = c.request('GET', '/1.1/users', params={'order': 'firstname', 'direction': 'desc'}).json()
    assert [u['firstname'] for u in r['items']] == ['Cid', 'Bob', 'Ann']
    r = c.request('GET', '/1.1/users', params={'skip': '2'}).json()
    assert len(r['items']) == 1


def test_list_errors(emu, c):
    r = c.request('GET', '/1.1/users', params={'limit': 'x'})
    assert r.status_code == 400
    assert r.json() == ["Input Error - field 'limit': wrong type. Should be a positive number"]
    r = c.request('GET', '/1.1/users', params={'order': 'nope'})
    assert r.json() == ["Input Error - order: column 'nope' was not found"]


def test_list_limit_zero_and_view(emu, c):
    r = c.request('GET', '/1.1/users', params={'limit': '0'})
    assert r.status_code == 400
    assert r.json() == ["Input Error - field 'limit': wrong type. Should be a positive number"]
    r = c.request('GET', '/1.1/users', params={'view': 'foo'})
    assert r.json() == ["Input Error - view 'foo' does not exist"]


def test_item_shape_1615(emu, c):
    c.post('firstname,exten,context,line_protocol,voicemail_name,voicemail_number,voicemail_context,'
           'incall_exten,incall_context\nA,1000,default,sip,VM,1000,default,2000,from-extern\n')
    item = c.request('GET', '/1.1/users').json()['items'][0]
    for key in ('groups', 'incalls', 'lines', 'forwards', 'services', 'voicemail', 'links'):
        assert key in item
    line = item['lines'][0]
    assert line['endpoint_sip']['username'] and line['endpoint_sccp'] is None and line['endpoint_custom'] is None
    assert line['extensions'][0]['exten'] == '1000'
    assert item['incalls'][0]['extensions'][0]['exten'] == '2000'
    assert item['voicemail']['name'] == 'A'


def test_entity_filter_by_name(emu, c):
    c.post('firstname\nA\n')
    assert c.request('GET', '/1.1/users', params={'entity': 'xivotest'}).json()['total'] == 1


def test_get_by_id_and_uuid(emu, c):
    created = c.post('firstname\nA\n').json()['created'][0]
    assert c.request('GET', '/1.1/users/%d' % created['user_id']).json()['uuid'] == created['user_uuid']
    assert c.request('GET', '/1.1/users/' + created['user_uuid']).json()['id'] == created['user_id']
    missing = '6f0c1f5e-8d1c-4b9e-9a4c-111111111111'
    r = c.request('GET', '/1.1/users/' + missing)
    assert r.status_code == 404
    assert r.json() == ["Resource Not Found - User was not found ('id': UUID('%s'))" % missing]


def test_non_id_path_html_404(emu, c):
    for path in ('/1.1/users/abc', '/1.1/users/'):
        r = c.request('GET', path)
        assert r.status_code == 404 and r.headers['Content-Type'].startswith('text/html')


def test_routes_before_auth(emu, c):
    r = c.request('GET', '/1.1/nothing', token=False)
    assert r.status_code == 404 and r.headers['Content-Type'].startswith('text/html')
    r = c.request('GET', '/1.1/users/import', token=False)
    assert r.status_code == 405
    assert r.json() == ['The method is not allowed for the requested URL.']


def test_media_type_ignored(emu, c):
    for ctype in ('text/plain', 'application/json', None):
        r = c.post('firstname\nA\n', ctype=ctype)
        assert r.status_code == 201 and r.json()['created'][0]['user_id']


def test_form_content_type_is_empty_body(emu, c):
    for ctype in ('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'):
        r = c.post('firstname\nA\n', ctype=ctype)
        assert r.status_code == 201 and r.json() == {'created': []}
    assert c.export() == []


def test_charset_honoured(emu, c):
    r = c.post('firstname\nJérôme\n'.encode('iso-8859-1'), ctype='text/csv; charset=iso-8859-1')
    assert r.status_code == 201
    assert c.export()[0]['firstname'] == 'Jérôme'


def test_unknown_charset_500(emu, c):
    r = c.post('firstname\nA\n', ctype='text/csv; charset=foo-bar')
    assert r.status_code == 500 and r.json() == ['Unexpected error: unknown encoding: foo-bar']


def test_unknown_charset_empty_body_201(emu, c):
    r = c.post(b'', ctype='text/csv; charset=foo-bar')
    assert r.status_code == 201 and r.json() == {'created': []}


def test_decode_error_counts_from_cell_start(emu, c):
    r = c.post(b'firstname,lastname\nAb,J\xe9r\xf4me\n')
    assert r.status_code == 500
    assert r.json() == ["Unexpected error: 'utf8' codec can't decode byte 0xe9 in position 1: "
                        "invalid continuation byte"]
    assert c.export() == []


def test_chunked_body_ignored(emu, c):
    def gen():
        yield b'firstname\n'
        yield b'A\n'
    r = c.post(gen())
    assert r.status_code == 201 and r.json() == {'created': []}
    assert c.export() == []


def test_caller_id_over_160_is_500_leaking_values(emu, c):
    r = c.post('firstname,lastname,email\n%s,%s,leak@example.com\n' % ('a' * 100, 'b' * 100))
    assert r.status_code == 500
    msg = r.json()[0]
    assert msg.startswith('Unexpected error: (StringDataRightTruncation) value too long for type '
                          'character varying(160)')
    assert 'leak@example.com' in msg


def test_an_emulator_and_a_fleet_leave_no_key_behind():
    # Not confd behaviour: the test servers' private keys must not outlive them.
    import gc
    from tests.emulator import EmulatorServer
    from tests.emulator.fleet import Fleet
    server = EmulatorServer(address='127.0.0.1', port=0, auth_port=0).start()
    fleet = Fleet(2, first_address='127.0.0.1', port=0, auth_port=0).start()
    made = [os.path.dirname(server.keyfile), os.path.dirname(fleet.ca_path)]
    made += [os.path.dirname(s.keyfile) for s in fleet]
    assert all(os.path.isfile(s.keyfile) for s in [server] + fleet.servers)
    server.stop()
    fleet.stop()
    del server, fleet
    gc.collect()
    assert [d for d in made if os.path.exists(d)] == []


def test_a_large_emulated_fleet_stops_on_sigterm_and_leaves_no_key_behind(tmp_path):
    # Not confd behaviour: a benchmark stops its 200-server fleet with SIGTERM and kills it
    # after 30 s; servers stopped one by one took longer, and the killed process left its keys.
    import signal
    import subprocess
    import sys
    # Its own temporary directory: the tests running beside it make emulators too.
    scratch = tmp_path / 'tmp'
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, '-m', 'tests.emulator', '--address', '127.0.11.10',
                             '--fleet', '40', '--port', '0', '--auth-port', '0',
                             '--ca-out', str(tmp_path / 'ca.pem')],
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, TMPDIR=str(scratch)))
    try:
        started = [proc.stdout.readline() for dummy in range(40)]
        assert all(line.startswith('listening https://127.0.11.') for line in started), started
        assert len(os.listdir(str(scratch))) == 41      # a key directory per server, the CA's
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert os.listdir(str(scratch)) == []
