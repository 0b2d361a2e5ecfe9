# -*- coding: utf-8 -*-
"""Secrets kept (issue #8): every module and the role at -vvvv with --diff, in check mode and on
failure paths; stdout, stderr, the recorded results, the reports and every file written (but the
converted files, the failed-rows CSV and the backups, which must hold them, mode 0600) are
scanned for every secret value used. Plus the security defaults: certificates verified, no
credential in a URL or a command line, tokens revoked even when the import fails."""

from __future__ import annotations

import os
import pathlib
import re
import stat
import time

import pytest

from tests.emulator import Fleet
from tests.integration.playbook import run_playbook
from tests.reliability import harness

PASSWORD, SIP, VM, CP = 'UsrPw-s3cr3t-4417', 'SipSecret-x9Q2', '73519826400137', '*8812345#'
BAD_PW = 'BadRowPw-7Zq1'
LEGACY = ('firstname|lastname|username|password|phonenumber|context|protocol|linesecret|'
          'voicemailnumber|voicemailcontext|voicemailpassword\n'
          'Jean|Dupont|jdupont|%s|1201|default|sip|%s|1201|default|%s\n'
          'Out|Range|outr|%s|5000|default|sip|||\n'
          'Inv|Alid|inv|%s|abc|default|sip|||\n') % (PASSWORD, SIP, VM, BAD_PW, BAD_PW + 'i')
CONFD = ('firstname,lastname,exten,context,line_protocol,username,password,sip_secret,'
         'voicemail_name,voicemail_number,voicemail_context,voicemail_password,call_permission_password\n'
         'Jean,Dupont,1201,default,sip,jdupont,%s,%s,Jean,1201,default,%s,%s\n'
         'Out,Range,5000,default,sip,outr,%s,,,,,,%s\n') % (PASSWORD, SIP, VM, CP, BAD_PW, CP + '1')
SECRETS = [PASSWORD, SIP, VM, CP, BAD_PW, BAD_PW + 'i', harness.WS_PASSWORD]
# The files that must hold the secrets: converted files (role work dir), rows to fix, backups.
ALLOWED_TO_HOLD = re.compile(r'(failed\.csv|-to-fix\.csv|backup.*\.csv|/backups/.*\.csv|/work/.*\.csv|/converted/.*\.csv)$')


@pytest.fixture(scope='module')
def fleet():
    with Fleet(2, first_address='127.0.5.20', port=0, auth_port=0, seed=harness.SEED) as servers:
        yield servers


def conn(server, fleet, **extra):
    args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                username=harness.WS_USER, password='{{ ws_password }}', ca_path=fleet.ca_path)
    args.update(extra)
    return args


def test_no_secret_anywhere_at_vvvv_with_diff_check_mode_and_failures(fleet, tmp_path):
    first, second = fleet.servers
    for server in fleet:
        server.reset()
        server.request_log.clear()
    (tmp_path / 'legacy.csv').write_text(LEGACY, encoding='utf-8')
    (tmp_path / 'users.csv').write_text(CONFD, encoding='utf-8')
    (tmp_path / 'converted').mkdir()
    out = str(tmp_path / 'out')
    token_task = {'name': 'token import', 'xivo.confd.user_import': dict(
        conn(first, fleet, src='users.csv'), token='{{ given_token }}', username=None, password=None),
        'ignore_errors': True}
    del token_task['xivo.confd.user_import']['username'], token_task['xivo.confd.user_import']['password']
    tasks = [
        {'name': 'convert check', 'check_mode': True,
         'xivo.confd.user_csv': {'src': 'legacy.csv', 'dest': 'converted/a.csv', 'invalid_rows': 'skip'}},
        {'name': 'convert fail', 'xivo.confd.user_csv': {'src': 'legacy.csv', 'dest': 'converted/b.csv'},
         'ignore_errors': True},
        {'name': 'convert',
         'xivo.confd.user_csv': {'src': 'legacy.csv', 'dest': 'converted/c.csv', 'invalid_rows': 'skip'}},
        {'name': 'import check', 'xivo.confd.user_import': conn(first, fleet, src='users.csv'), 'check_mode': True},
        {'name': 'import', 'xivo.confd.user_import': conn(
            first, fleet, src='users.csv', report_dest=out + '/report.json', failed_dest=out + '/failed.csv',
            backup_dest=out + '/backup.csv', update=True, update_password=True), 'ignore_errors': True},
        {'name': 'import update', 'xivo.confd.user_import': conn(
            first, fleet, src='users.csv', update=True, update_password=True,
            report_dest=out + '/report2.json'), 'ignore_errors': True},
        {'name': 'import bad password', 'xivo.confd.user_import': conn(
            first, fleet, src='users.csv', password="{{ ws_password }}x"), 'ignore_errors': True},
        {'name': 'import wrong ca', 'xivo.confd.user_import': conn(
            first, fleet, src='users.csv', ca_path=str(tmp_path / 'users.csv')), 'ignore_errors': True},
        {'name': 'import down', 'xivo.confd.user_import': conn(first, fleet, src='users.csv', port=1),
         'ignore_errors': True},
        {'name': 'export', 'xivo.confd.user_export': conn(first, fleet, dest=out + '/export-backup.csv')},
        {'name': 'export check', 'xivo.confd.user_export': conn(first, fleet)},
        token_task,
    ]
    given_token = first.auth.create_token(harness.WS_USER, harness.WS_PASSWORD, 'xivo_service', 600)['token']
    hosts = {'localhost': {'ws_password': harness.WS_PASSWORD, 'given_token': given_token}}
    run = run_playbook(tmp_path, tasks, hosts=hosts, extra_args=['-vvvv', '--diff'])
    assert run.results.get('import'), run.stdout[-3000:]
    assert run.result('import')['summary']['failed'] == 1  # a failure path: the server echoes the row
    assert run.result('convert fail')['failed']
    assert 'TLS' in run.result('import wrong ca')['msg'] or 'certificate' in run.result('import wrong ca')['msg']

    # The role: one host imports (with a backup), one fails at the server (auth refused).
    role_hosts = {}
    for name, server, password in (('ok', second, harness.WS_PASSWORD), ('refused', first, 'Wrong-' + PASSWORD)):
        role_hosts[name] = {
            'xivo_user_migration_legacy_csv': str(tmp_path / 'legacy.csv'),
            'xivo_user_migration_api_host': server.address, 'xivo_user_migration_api_port': server.port,
            'xivo_user_migration_auth_port': server.auth_port, 'xivo_user_migration_username': harness.WS_USER,
            'xivo_user_migration_password': '{{ pw }}', 'pw': password,
            'xivo_user_migration_ca_path': fleet.ca_path,
            'xivo_user_migration_report_dir': str(tmp_path / 'role' / 'reports'),
            'xivo_user_migration_work_dir': str(tmp_path / 'role' / 'work'),
            'xivo_user_migration_backup_dir': str(tmp_path / 'role' / 'backups')}
    role_tasks = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
    role_check = run_playbook(tmp_path, role_tasks, hosts=role_hosts, extra_args=['-vvvv', '--diff', '--check'],
                              name='role-check')
    role = run_playbook(tmp_path, role_tasks, hosts=role_hosts, extra_args=['-vvvv', '--diff'], name='role')
    assert role.returncode != 0 and role_check.results
    assert any(u['firstname'] == 'Jean' for u in second.users())

    texts = {}
    for label, item in (('play', run), ('role-check', role_check), ('role', role)):
        texts[label + ' stdout'] = item.stdout
        texts[label + ' stderr'] = item.stderr
        texts[label + ' results'] = item.results_text
    holders = []
    for path in pathlib.Path(tmp_path).rglob('*'):
        if not path.is_file() or path.name in ('legacy.csv', 'users.csv') or path.name.endswith('inventory.yml'):
            continue
        relative = str(path.relative_to(tmp_path))
        if ALLOWED_TO_HOLD.search('/' + relative):
            holders.append(path)
            continue
        texts[relative] = path.read_bytes().decode('utf-8', 'replace')
    assert any(k.endswith('report.json') for k in texts) and any(k.endswith('ok.json') for k in texts), sorted(texts)
    leaked = dict((where, harness.leaks(SECRETS + [given_token], text)) for where, text in texts.items())
    assert not any(leaked.values()), dict((k, v) for k, v in leaked.items() if v)
    # The files that must hold secrets (converted, failed rows, backups) are private.
    assert holders
    for path in holders:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    for report in pathlib.Path(tmp_path).rglob('*.json'):
        if 'results' not in report.name:
            assert stat.S_IMODE(os.stat(report).st_mode) == 0o600, report

    # No credential in a URL the server saw; tokens we created were revoked, even on failure.
    for server in fleet:
        for entry in server.request_log:
            assert not harness.leaks(SECRETS + [given_token], entry['path']), entry
        now = time.time()
        left = [t for t, e in server.auth.tokens.items() if e[0] > now and t != given_token]
        assert not left, 'tokens not revoked: %d' % len(left)
    assert given_token in first.auth.tokens, 'a token given by the operator must not be revoked'


def test_certificates_are_verified_by_default(fleet, tmp_path):
    server = fleet.servers[0]
    server.reset()
    server.request_log.clear()
    (tmp_path / 'users.csv').write_text(CONFD, encoding='utf-8')
    args = conn(server, fleet, src='users.csv')
    del args['ca_path']
    run = run_playbook(tmp_path, [{'name': 'import', 'xivo.confd.user_import': args, 'ignore_errors': True},
                                  {'name': 'export', 'xivo.confd.user_export': dict((k, v) for k, v in args.items() if k != 'src'),
                                   'ignore_errors': True}],
                       hosts={'localhost': {'ws_password': harness.WS_PASSWORD}},
                       env={'REQUESTS_CA_BUNDLE': '', 'SSL_CERT_FILE': ''})
    for task in ('import', 'export'):
        result = run.result(task)
        assert result['failed'] and 'TLS verification failed' in result['msg'], result
        assert 'Nothing was sent' in result['msg']
    assert server.request_log == [] and server.users() == []


def test_plugins_never_start_a_process_nor_put_credentials_on_a_command_line():
    root = pathlib.Path(__file__).resolve().parents[2] / 'plugins'
    pattern = re.compile(r'\b(subprocess|os\.system|os\.popen|os\.exec\w*|os\.spawn\w*|pexpect|run_command)\b')
    hits = ['%s:%d' % (path, number) for path in root.rglob('*.py')
            for number, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, hits
