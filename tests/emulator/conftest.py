"""Fixtures: one emulator per xdist worker (own address, ephemeral ports), reset before each test."""
import os

import pytest
import requests

from tests.emulator import EmulatorServer

CSV = 'text/csv; charset=utf-8'


def _worker_offset():
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    return int(''.join(c for c in worker if c.isdigit()) or 0)


class Client:
    """Small requests wrapper: token auth, CA verification on every request."""

    def __init__(self, server):
        self.server = server
        self.ca = server.ca_path
        self._token = None

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
        return requests.request(method, self.server.url + path, headers=headers, verify=self.ca, timeout=30, **kw)

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


def _server(version, index):
    base = 100 + 10 * _worker_offset() + index
    return EmulatorServer(address='127.0.1.%d' % base, port=0, auth_port=0, version=version,
                          seed={'call_permissions': [{'id': 1, 'name': 'perm1'}, {'id': 2, 'name': 'perm2'}]})


@pytest.fixture(scope='session')
def _emu1615():
    srv = _server('16.15', 0).start()
    yield srv
    srv.stop()


@pytest.fixture(scope='session')
def _emu1608():
    srv = _server('16.08', 1).start()
    yield srv
    srv.stop()


@pytest.fixture
def emu(_emu1615):
    _emu1615.reset(save=False)
    _emu1615.request_log.clear()
    return _emu1615


@pytest.fixture
def emu08(_emu1608):
    _emu1608.reset(save=False)
    return _emu1608


@pytest.fixture
def c(emu):
    return Client(emu)


@pytest.fixture
def c08(emu08):
    return Client(emu08)


def first_error(resp):
    assert resp.status_code == 400, resp.text
    return resp.json()['errors'][0]['message']
