# -*- coding: utf-8 -*-
"""The confd API client, with a scripted session instead of a network."""

from __future__ import annotations

import socket
import threading
import warnings

import pytest
import requests

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdClient, ConfdError, ConfdInterrupted, ConfdNoAnswer, ConfdRedirect, ConfdUncertain,
    ConfdUnreachable, proxies_possible)


class Answer:
    def __init__(self, status, body=None, text='', headers=None):
        self.status_code = status
        self._body = body
        self.text = text if text else ('' if body is None else str(body))
        self.headers = {'Content-Type': 'application/json'} if headers is None else headers

    def json(self):
        if self._body is None:
            raise ValueError('no json')
        return self._body


class ScriptedSession:
    """Answers requests from a script of (method, url suffix, answer or exception)."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []
        self.closed = False

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        expected_method, suffix, answer = self.script.pop(0)
        assert method == expected_method and url.endswith(suffix), (method, url)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def delete(self, url, **kwargs):
        return self.request('DELETE', url, **kwargs)

    def close(self):
        self.closed = True


TOKEN = Answer(200, {'data': {'token': 'tok-1'}})
EXPORT = Answer(200, {'headers': ['uuid', 'firstname'],
                      'content': [{'uuid': 'u1', 'firstname': 'A', 'ring_seconds': None}]})


def client(script, **options):
    session = ScriptedSession(script)
    args = dict(username='ws', password='pw-secret', ca_path='/etc/ca.pem', session=session,
                sleep=lambda seconds: None)
    args.update(options)
    return ConfdClient('xivo.example', **args), session


def test_token_is_requested_used_on_each_call_and_revoked():
    api, session = client([('POST', ':9497/0.1/token', TOKEN),
                           ('GET', ':9486/1.1/users/export', EXPORT),
                           ('DELETE', ':9497/0.1/token/tok-1', Answer(204))])
    headers, users = api.export_users()
    api.close()
    assert headers == ['uuid', 'firstname']
    assert users == [{'uuid': 'u1', 'firstname': 'A', 'ring_seconds': ''}]
    token_call, export_call, revoke = session.calls
    assert token_call[2]['json'] == {'backend': 'xivo_service', 'expiration': 3600}
    assert export_call[2]['headers'] == {'Accept': 'application/json', 'X-Auth-Token': 'tok-1'}
    # REQUESTS_CA_BUNDLE would override Session.verify: the CA goes on every request.
    assert all(call[2]['verify'] == '/etc/ca.pem' for call in session.calls)
    assert session.closed


def test_environment_proxies_and_ca_bundle_apply_to_every_request_netrc_never(monkeypatch, tmp_path):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.example:3128')
    monkeypatch.setenv('NO_PROXY', 'direct.example')
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/corporate-ca.pem')
    (tmp_path / '.netrc').write_text('machine xivo.example login other password netrc-secret\n')
    monkeypatch.setenv('NETRC', str(tmp_path / '.netrc'))
    api, session = client([('POST', ':9497/0.1/token', TOKEN),
                           ('GET', ':9486/1.1/users/export', EXPORT)], ca_path=None)
    api.export_users()
    assert session.trust_env is False        # requests would read .netrc and the environment
    assert [call[2]['proxies'] for call in session.calls] == [
        {'https': 'http://proxy.example:3128', 'no': 'direct.example'}] * 2
    # validate_certs without ca_path: the bundle the environment names, as requests would.
    assert [call[2]['verify'] for call in session.calls] == ['/etc/corporate-ca.pem'] * 2
    direct, session = client([('GET', ':9486/1.1/users/export', EXPORT)], token='given',
                             username=None, password=None)
    direct.host = 'direct.example'
    direct.base_url = 'https://direct.example:9486/1.1'
    direct.export_users()
    assert not session.calls[0][2]['proxies'].get('https')     # NO_PROXY names it


def test_without_proxy_variables_no_proxy_applies_on_linux():
    assert not proxies_possible({'PATH': '/bin', 'HOME': '/root'}, 'linux')
    assert proxies_possible({'NO_PROXY': 'x'}, 'linux')       # requests answers {'no': 'x'}
    assert proxies_possible({'https_proxy': 'http://p:3128'}, 'linux')
    assert proxies_possible({'ALL_PROXY': 'socks5://p'}, 'freebsd13')
    assert proxies_possible({}, 'darwin') and proxies_possible({}, 'win32')


def test_a_given_token_is_used_as_is_and_never_revoked():
    api, session = client([('GET', '/1.1/users/export', EXPORT)], username=None, password=None,
                          token='given')
    api.export_users()
    api.close()
    assert [call[0] for call in session.calls] == ['GET']


def test_expired_token_is_renewed_once():
    api, session = client([('POST', '/0.1/token', TOKEN),
                           ('POST', '/1.1/users/import', Answer(401, text='Unauthorized Access')),
                           ('POST', '/0.1/token', Answer(200, {'data': {'token': 'tok-2'}})),
                           ('POST', '/1.1/users/import', Answer(201, {'created': []}))])
    response = api.import_csv(b'firstname\n')
    assert response.status == 201
    assert session.calls[-1][2]['headers']['X-Auth-Token'] == 'tok-2'
    assert session.calls[-1][2]['data'] == b'firstname\n'
    assert session.calls[-1][2]['headers']['Content-Type'] == 'text/csv; charset=utf-8'


def test_refused_credentials_name_the_backend_without_the_password():
    api, dummy = client([('POST', '/0.1/token', Answer(401, {'reason': ['Authentication Failed']}))])
    with pytest.raises(ConfdError) as error:
        api.export_users()
    assert "refused the credentials of user 'ws' for backend 'xivo_service'" in str(error.value)
    assert 'pw-secret' not in str(error.value)


def test_missing_acl_is_explained():
    api, dummy = client([('GET', '/1.1/users/export', Answer(401, text='Unauthorized Access'))],
                        token='given', username=None, password=None)
    with pytest.raises(ConfdError, match='401, not 403, for a missing ACL'):
        api.export_users()


def test_reads_are_retried_imports_never():
    reset = requests.exceptions.ConnectionError('Connection aborted: reset by peer')
    api, session = client([('GET', '/1.1/users/export', Answer(503)),
                           ('GET', '/1.1/users/export', reset),
                           ('GET', '/1.1/users/export', EXPORT)], token='t', username=None,
                          password=None)
    assert api.export_users()[1][0]['uuid'] == 'u1'
    api, session = client([('POST', '/1.1/users/import', reset)], token='t', username=None,
                          password=None)
    with pytest.raises(ConfdUncertain):
        api.import_csv(b'firstname\nA\n')
    assert len(session.calls) == 1


def test_refused_connection_is_reported_at_once():
    refused = requests.exceptions.ConnectionError('[Errno 111] Connection refused')
    api, session = client([('GET', '/1.1/users/export', refused)], token='t', username=None,
                          password=None)
    with pytest.raises(ConfdError, match='cannot connect to xivo.example:9486'):
        api.export_users()
    assert len(session.calls) == 1


def test_certificate_failure_says_what_to_set_and_handshake_reset_does_not():
    bad_cert = requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate '
                                            'verify failed: self-signed certificate')
    api, dummy = client([('GET', '/1.1/users/export', bad_cert)], token='t', username=None,
                        password=None)
    with pytest.raises(ConfdError, match='TLS verification failed.*Set ca_path'):
        api.export_users()
    cut = requests.exceptions.SSLError('EOF occurred in violation of protocol (_ssl.c:992)')
    api, dummy = client([('POST', '/1.1/users/import', cut)], token='t', username=None,
                        password=None)
    with pytest.raises(ConfdError, match='TLS handshake was cut') as error:
        api.import_csv(b'firstname\n')
    assert not isinstance(error.value, ConfdUncertain)


def test_timeout_of_an_import_is_uncertain():
    api, dummy = client([('POST', '/1.1/users/import', requests.exceptions.ReadTimeout('read'))],
                        token='t', username=None, password=None)
    with pytest.raises(ConfdUncertain, match='timed out'):
        api.import_csv(b'firstname\n')


def test_credentials_are_required_and_validate_certs_false_disables_verification():
    with pytest.raises(ConfdError, match='no credentials'):
        ConfdClient('h', session=ScriptedSession([]))
    api, session = client([('GET', '/1.1/users/export', EXPORT)], token='t', username=None,
                          password=None, validate_certs=False)
    api.export_users()
    assert session.calls[0][2]['verify'] is False


@pytest.mark.parametrize('location', ['http://127.0.0.99/1.1/users/export',
                                      'https://elsewhere.example:9486/1.1/users/export'])
def test_a_redirect_is_never_followed_and_names_the_location(location):
    moved = Answer(302, text='moved', headers={'Location': location})
    api, session = client([('POST', ':9497/0.1/token', TOKEN),
                           ('GET', '/1.1/users/export', moved)])
    with pytest.raises(ConfdRedirect) as error:
        api.export_users()
    assert location in str(error.value) and 'never followed' in str(error.value)
    # requests would follow it (and send X-Auth-Token there) unless told not to.
    assert all(call[2]['allow_redirects'] is False for call in session.calls)
    assert len(session.calls) == 2


def test_a_redirect_of_the_token_request_is_refused_too():
    moved = Answer(307, text='', headers={'Location': 'http://127.0.0.99/0.1/token'})
    api, session = client([('POST', ':9497/0.1/token', moved)])
    with pytest.raises(ConfdRedirect, match='xivo-auth token request'):
        api.export_users()


def test_plain_http_on_the_https_port_is_named():
    plain = requests.exceptions.SSLError('[SSL: WRONG_VERSION_NUMBER] wrong version number '
                                         '(_ssl.c:1006)')
    api, dummy = client([('GET', '/1.1/users/export', plain)], token='t', username=None,
                        password=None)
    with pytest.raises(ConfdError, match='answers in plain HTTP, not HTTPS'):
        api.export_users()


def test_retried_reads_are_told():
    api, dummy = client([('GET', '/1.1/users/export', Answer(503)),
                         ('GET', '/1.1/users/export', EXPORT)], token='t', username=None,
                        password=None)
    api.export_users()
    assert api.events == ['user export to xivo.example: answered 503; tried again (1 of 3)']


@pytest.mark.parametrize('option, value, message', [
    ('timeout', 0, 'timeout must be a positive number'),
    ('timeout', -1, 'timeout must be a positive number'),
    ('retries', -1, 'retries must be 0 or more'),
    ('port', 0, 'port must be between 1 and 65535'),
    ('auth_port', 70000, 'auth_port must be between 1 and 65535'),
    ('token_expiration', 0, 'token_expiration must be a positive number'),
])
def test_numbers_that_cannot_work_are_refused_before_any_request(option, value, message):
    with pytest.raises(ConfdError, match=message):
        client([], **{option: value})


def test_no_raw_insecure_request_warning_reaches_stderr(recwarn):
    import urllib3

    class Warning_(ScriptedSession):
        def request(self, method, url, **kwargs):
            warnings.warn('Unverified HTTPS request is being made',
                          urllib3.exceptions.InsecureRequestWarning)
            return super().request(method, url, **kwargs)
    api = ConfdClient('xivo.example', token='t', validate_certs=False,
                      session=Warning_([('GET', '/1.1/users/export', EXPORT)]))
    api.export_users()
    assert not [w for w in recwarn if 'Unverified' in str(w.message)]


def test_requests_leave_the_process_warning_filters_alone():
    """The fleet's threads make requests at the same time: a filter another thread sets while
    a request is in flight stays (a catch_warnings() per request would put back the list it
    saved, and drop it), and unverified clients add one filter to the process, once."""
    marker = 'a filter of another thread %s' % id(object())

    class OtherThread(ScriptedSession):
        def request(self, method, url, **kwargs):
            warnings.filterwarnings('ignore', message=marker)
            return super().request(method, url, **kwargs)
    saved = list(warnings.filters)
    try:
        ConfdClient('xivo.example', token='t', validate_certs=False)
        count = len(warnings.filters)
        for dummy in range(3):
            ConfdClient('xivo.example', token='t', validate_certs=False)
        assert len(warnings.filters) == count
        for verify in (False, True):
            api = ConfdClient('xivo.example', token='t', validate_certs=verify,
                              session=OtherThread([('GET', '/1.1/users/export', EXPORT)]))
            api.export_users()
            assert any(f[1] is not None and f[1].pattern == marker for f in warnings.filters)
            warnings.filters[:] = [f for f in warnings.filters
                                   if f[1] is None or f[1].pattern != marker]
    finally:
        warnings.filters[:] = saved


class SilentSession(ScriptedSession):
    """A server that never answers: each request 'waits' its read timeout on a fake clock."""

    def __init__(self, clock):
        super().__init__([])
        self.clock = clock

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        connect, read = kwargs['timeout']
        self.clock['now'] += read
        raise requests.exceptions.ReadTimeout('Read timed out. (read timeout=%s)' % read)


def silent_client(**options):
    clock = {'now': 0.0}
    session = SilentSession(clock)

    def sleep(seconds):
        clock['now'] += seconds
    args = dict(username='ws', password='pw-secret', ca_path='/etc/ca.pem', session=session,
                sleep=sleep, clock=lambda: clock['now'])
    args.update(options)
    return ConfdClient('xivo.example', **args), session, clock


def test_a_silent_server_is_given_up_at_the_deadline_token_request_and_retries_included():
    api, session, clock = silent_client(timeout=4, connect_timeout=2, deadline=10, retries=5)
    with pytest.raises(ConfdNoAnswer, match=r'^no answer from xivo\.example:9497 within 10s '
                                            r'\(xivo-auth token request'):
        api.export_users()
    # Every try and every pause between tries counts: 4 + 0.5 + 4 + 1 + 0.5 (what is left).
    assert clock['now'] == pytest.approx(10)
    assert [call[2]['timeout'] for call in session.calls] == [(2, 4), (2, 4), (0.5, 0.5)]
    assert isinstance(ConfdNoAnswer('x'), ConfdUnreachable)


def test_the_deadline_count_starts_again_when_the_server_answers():
    clock = {'now': 0.0}

    class SlowThenAnswering(ScriptedSession):
        def request(self, method, url, **kwargs):
            clock['now'] += 6
            return super().request(method, url, **kwargs)
    session = SlowThenAnswering([('POST', ':9497/0.1/token', TOKEN),
                                 ('GET', ':9486/1.1/users/export', EXPORT),
                                 ('GET', ':9486/1.1/users/export', EXPORT)])
    api = ConfdClient('xivo.example', username='ws', password='pw-secret', ca_path='/c.pem',
                      session=session, deadline=10, clock=lambda: clock['now'])
    api.export_users()
    api.export_users()      # 18 s in all, never 10 s without an answer
    assert [call[2]['timeout'] for call in session.calls] == [(10, 10)] * 3


def test_an_import_the_deadline_cut_is_uncertain_never_retried():
    api, session, clock = silent_client(token='t', username=None, password=None, timeout=30,
                                        deadline=5, retries=3)
    with pytest.raises(ConfdUncertain, match='within 5s') as error:
        api.import_csv(b'firstname\nA\n')
    assert error.value.timed_out and len(session.calls) == 1
    # The server is silent since: nothing more is sent (the next read fails at once).
    with pytest.raises(ConfdNoAnswer):
        api.export_users()
    assert len(session.calls) == 1


@pytest.mark.parametrize('name, value', [('deadline', 0), ('connect_timeout', -1)])
def test_deadline_and_connect_timeout_must_be_positive(name, value):
    with pytest.raises(ConfdError, match='%s must be a positive number' % name):
        ConfdClient('h', token='t', session=ScriptedSession([]), **{name: value})


def test_abort_cuts_a_request_in_flight_even_in_the_tls_handshake():
    """A local socket that accepts and never answers: the token request waits in the TLS
    handshake; abort() from another thread ends it (without it: no answer within 30 s)."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    api = ConfdClient('127.0.0.1', port=port, auth_port=port, username='ws', password='pw',
                      validate_certs=False, timeout=30, connect_timeout=30,
                      deadline=30)
    api.abort_grace = 0.5   # the request in flight may answer within it; this one never does
    timer = threading.Timer(0.5, api.abort, args=('the playbook was interrupted (SIGINT)',))
    timer.start()
    try:
        with pytest.raises(ConfdInterrupted, match='interrupted'):
            api.export_users()
        with pytest.raises(ConfdInterrupted):      # and nothing after the grace period
            api._abort_until = 0
            api.export_users()
    finally:
        timer.cancel()
        listener.close()
        api.close()


def test_cleanup_requests_get_a_grace_of_their_own_after_an_interruption_or_the_deadline():
    api, session, clock = silent_client(token='t', username=None, password=None, timeout=30,
                                        deadline=5, retries=0)
    with pytest.raises(ConfdNoAnswer):
        api.export_users()
    with pytest.raises(ConfdNoAnswer):      # the deadline passed: nothing more is sent
        api.export_users()
    calls = len(session.calls)
    with api.cleanup():
        with pytest.raises(ConfdNoAnswer):
            api.export_users()      # e.g. releasing a lock on the server: tried, briefly
    assert len(session.calls) == calls + 1
    assert session.calls[-1][2]['timeout'][1] == pytest.approx(api.abort_grace)
    api.abort('the playbook was interrupted (SIGINT)')
    clock['now'] += 60
    with pytest.raises(ConfdInterrupted):
        api.export_users()
    with api.cleanup():
        with pytest.raises(ConfdInterrupted):   # tried, then stopped as interrupted
            api.export_users()
    assert len(session.calls) == calls + 2
