"""Fixtures: one emulator per xdist worker (own address, ephemeral ports), reset before each test."""
import contextlib
import http.cookiejar
import os
import time

import pytest
import requests

from tests.emulator import EmulatorServer

CSV = 'text/csv; charset=utf-8'
# the Alice row of the 16.15 observations (docs/server-behaviour.md#deleting-users); %s = its call permissions
ALICE = ('firstname,lastname,username,password,email,exten,context,line_protocol,sip_username,voicemail_name,'
         'voicemail_number,voicemail_context,incall_exten,incall_context,cti_profile_name,cti_profile_enabled,'
         'call_permissions,entity_id\n'
         'Alice,Smith,asmith,secret1,alice@example.com,1001,default,sip,asmithsip,Alice VM,1001,default,2001,'
         'from-extern,Client,1,%s,1\n')


def _worker_offset():
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    return int(''.join(c for c in worker if c.isdigit()) or 0)


class Client:
    """Small requests wrapper: token auth, CA verification on every request."""

    def __init__(self, server):
        self.server = server
        self.ca = server.ca_path
        self._token = None
        # one kept-alive TLS connection instead of a handshake per request; cookies only when a
        # test passes them (the Digest tests need the cookie-less behaviour)
        self.http = requests.Session()
        self.http.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    @property
    def token(self):
        if self._token is None:
            self._token = self.new_token()
        return self._token

    def new_token(self, login='admin', password='passadmin', backend='xivo_service', expiration=3600):
        r = requests.post(self.server.auth_url + '/0.1/token', auth=(login, password),
                          json={'backend': backend, 'expiration': expiration}, verify=self.ca)
        assert r.status_code == 200, r.text
        return r.json()['data']['token']

    def request(self, method, path, token=True, **kw):
        headers = dict(kw.pop('headers', {}) or {})
        if token:
            headers.setdefault('X-Auth-Token', self.token)
        kw.setdefault('timeout', 30)
        return self.http.request(method, self.server.url + path, headers=headers, verify=self.ca, **kw)

    def post(self, body, ctype=CSV, method='POST', **kw):
        if isinstance(body, str):
            body = body.encode('utf-8')
        headers = dict(kw.pop('headers', {}) or {})
        if ctype is not None:
            headers['Content-Type'] = ctype
        return self.request(method, '/1.1/users/import', data=body, headers=headers, **kw)

    def put(self, body, **kw):
        return self.post(body, method='PUT', **kw)

    def export(self):
        r = self.request('GET', '/1.1/users/export', headers={'Accept': 'application/json'})
        assert r.status_code == 200, r.text
        return r.json()['content']

    def control(self, method, path, **kw):
        return requests.request(method, self.server.url + '/_emulator/' + path, verify=self.ca, **kw)

    def get(self, path, **params):
        """GET a confd route; the JSON body (asserting the status when `status` is given)."""
        status = params.pop('status', 200)
        r = self.request('GET', path, params=params)
        assert r.status_code == status, (path, r.status_code, r.text[:300])
        return r.json()

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)


@contextlib.contextmanager
def _client(server):
    client = Client(server)
    try:
        yield client
    finally:
        client.http.close()


def _server(version, index):
    base = 100 + 10 * _worker_offset() + index
    return EmulatorServer(address='127.0.1.%d' % base, port=0, auth_port=0, version=version,
                          seed={'call_permissions': [{'id': 1, 'name': 'perm1'}, {'id': 2, 'name': 'perm2'}]})


@contextlib.contextmanager
def _running(server):
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _fresh(server):
    """Back to the start (seed, faults, speed) with an empty request log, before each test."""
    server.reset(save=False)
    server.request_log.clear()
    return server


@pytest.fixture(scope='session')
def _emu1615():
    with _running(_server('16.15', 0)) as srv:
        yield srv


@pytest.fixture(scope='session')
def _emu1608():
    with _running(_server('16.08', 1)) as srv:
        yield srv


@pytest.fixture(scope='session')
def _emu_fresh():
    """The fresh-install seed (docs/server-behaviour.md#fresh-install-seed, no call permissions): ids come
    out as observed on the real 16.15."""
    base = 100 + 10 * _worker_offset() + 2
    with _running(EmulatorServer(address='127.0.1.%d' % base, port=0, auth_port=0)) as srv:
        yield srv


@pytest.fixture
def emu(_emu1615):
    return _fresh(_emu1615)


@pytest.fixture
def emu08(_emu1608):
    return _fresh(_emu1608)


@pytest.fixture
def emu_fresh(_emu_fresh):
    return _fresh(_emu_fresh)


@pytest.fixture
def c(emu):
    with _client(emu) as client:
        yield client


@pytest.fixture
def c08(emu08):
    with _client(emu08) as client:
        yield client


@pytest.fixture
def cf(emu_fresh):
    with _client(emu_fresh) as client:
        yield client


def first_error(resp):
    assert resp.status_code == 400, resp.text
    return resp.json()['errors'][0]['message']


def setup_alice(c, permissions='perm1;perm2'):
    """The samples' state: call permissions made with POST, then the Alice row
    (docs/server-behaviour.md#deleting-users)."""
    for name in permissions.split(';'):
        assert c.request('POST', '/1.1/callpermissions', json={'name': name}).status_code == 201
    r = c.post(ALICE % permissions)
    assert r.status_code == 201, r.text
    return r.json()['created'][0]


class ServerTime:
    """A module's ``time`` whose ``sleep`` (where the emulator spends server time) is recorded
    and, instead of sleeping, runs ``during(seconds)`` when given: tests check the server time
    spent, or hold a request in it, without reading the clock."""

    def __init__(self, during=None):
        self.slept = []
        self.during = during

    def sleep(self, seconds):
        self.slept.append(seconds)
        if self.during:
            self.during(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def server_time(monkeypatch):
    """server_time(module, during=None) -> the ServerTime now used by that emulator module."""
    def install(module, during=None):
        clock = ServerTime(during)
        monkeypatch.setattr(module, 'time', clock)
        return clock
    return install
