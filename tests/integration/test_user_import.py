# -*- coding: utf-8 -*-
"""user_import and user_export through ansible-playbook, against emulated confd 16.15 servers."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat

import pytest

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'migration', 'Ws-Pa55-4d3f'
SECRETS = ('S3cr3tPw-91', 'sipS3cret-77', '918273', '4455', WS_PASSWORD)

USERS_CSV = (
    'firstname,lastname,exten,context,line_protocol,username,password,sip_username,sip_secret,'
    'voicemail_name,voicemail_number,voicemail_context,voicemail_password,'
    'call_permission_password\n'
    'Jean,Dupont,1001,default,sip,jdupont,S3cr3tPw-91,jdupont,sipS3cret-77,Jean Dupont,1001,'
    'default,918273,4455\n'
    'Zoé,Martin,1002,default,sip,zmartin,,,,,,,,\n'
    'Ali,Ben,1003,default,sccp,,,,,,,,,\n'
)


HOSTS = {'localhost': {'ws_password': WS_PASSWORD}}


fleet, clean = fleet_fixtures(2, '127.0.2.10', WS_USER, WS_PASSWORD)


def play(tmp_path, tasks, **options):
    return run_playbook(tmp_path, tasks, hosts=HOSTS, **options)


def connection(server, fleet, **extra):
    # The password comes from a variable, as from a vault: Ansible quotes the task's source
    # lines when a task fails, and a literal there would be shown.
    args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                username=WS_USER, password='{{ ws_password }}', ca_path=fleet.ca_path)
    args.update(extra)
    return args


def import_task(name, server, fleet, src, **extra):
    args = connection(server, fleet, src=str(src))
    args.update(extra)
    return {'name': name, 'xivo.confd.user_import': args, 'register': 'out',
            'ignore_errors': True}


def import_requests(server):
    return [r for r in server.request_log if r['path'] == '/1.1/users/import']


def test_create_rerun_check_mode_and_round_trip(fleet, tmp_path):
    first, second = fleet.servers
    src = tmp_path / 'users.csv'
    src.write_text(USERS_CSV, encoding='utf-8')
    more = tmp_path / 'more.csv'
    more.write_text(USERS_CSV + 'Nina,Roy,1004,default,sip,,,,,,,,,\n', encoding='utf-8')
    backup = tmp_path / 'backup.csv'
    tasks = [
        import_task('create', first, fleet, src, report_dest=str(tmp_path / 'report.json')),
        import_task('rerun', first, fleet, src),
        dict(import_task('check', first, fleet, more), check_mode=True),
        {'name': 'export', 'xivo.confd.user_export': connection(first, fleet, dest=str(backup))},
        {'name': 'export again',
         'xivo.confd.user_export': connection(first, fleet, dest=str(backup))},
        import_task('restore elsewhere', second, fleet, backup),
    ]
    run = play(tmp_path, tasks)
    create = run.result('create')
    assert create['changed'] is True and not create.get('failed'), create
    assert create['summary']['created'] == 3 and create['summary']['total'] == 3
    assert [u['status'] for u in create['users']] == ['created'] * 3
    assert all(u['uuid'] and u['ids']['user_id'] for u in create['users'])
    assert create['users'][0]['key'] == 'exten@context=1001@default'
    rerun = run.result('rerun')
    assert rerun['changed'] is False and rerun['summary']['unchanged'] == 3
    check = run.result('check')
    assert check['changed'] is True
    assert [u['status'] for u in check['users']] == ['unchanged'] * 3 + ['would_create']
    assert len(first.users()) == 3, 'check mode wrote to the server'
    export = run.result('export')
    assert export['count'] == 3 and export['changed'] is True
    assert {u['password'] for u in export['users']} <= {'', '********'}
    assert run.result('export again')['changed'] is False
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    restore = run.result('restore elsewhere')
    assert restore['summary']['created'] == 3, restore
    strip = ('uuid', 'provisioning_code', 'sip_username', 'sip_secret')

    def comparable(users):
        return sorted(tuple(sorted((k, v) for k, v in u.items() if k not in strip))
                      for u in users)
    assert comparable(first.users()) == comparable(second.users())
    report = json.loads((tmp_path / 'report.json').read_text())
    assert report['summary']['created'] == 3 and len(report['users']) == 3
    assert stat.S_IMODE(os.stat(tmp_path / 'report.json').st_mode) == 0o600


def test_bad_rows_fail_alone_and_are_reported(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,exten,context,line_protocol,mobile_phone_number,password\n'
                   'Good,One,1010,default,sip,,Pw-0001\n'
                   'Out,Range,5000,default,sip,,Pw-0002\n'
                   'Bad,Mobile,1011,default,sip,12-34,Pw-0003\n'
                   'Good,Two,1012,default,sip,,Pw-0004\n'
                   'Unknown,Ctx,1013,nosuchctx,sip,,Pw-0005\n', encoding='utf-8')
    failed_csv = tmp_path / 'failed.csv'
    logged = len(server.request_log)
    run = play(tmp_path, [import_task('import', server, fleet, src,
                                      failed_dest=str(failed_csv))])
    result = run.result('import')
    assert result['failed'] is True
    assert [u['status'] for u in result['users']] == ['created', 'failed', 'failed', 'created',
                                                      'failed']
    errors = [u['error'] for u in result['users']]
    # The preflight predicts confd's refusals from the server's configuration, with confd's text.
    assert errors[1] == ("invalid: exten: 5000 is outside every range of the context 'default' "
                         "(confd: Input Error - Extension '5000' is outside of range for context "
                         "'default')")
    assert errors[2].startswith('invalid: mobile_phone_number')
    assert "Context was not found ('context': u'nosuchctx')" in errors[4]
    assert 'line 3 (exten@context=5000@default)' in result['msg']
    assert 'line 4' in result['msg'] and 'line 6' in result['msg']
    names = sorted(u['lastname'] for u in server.users())
    assert names == ['One', 'Two']
    # The checks saved the round trips: no bad row reached the server, the good ones in one go.
    assert [r['rows'] for r in server.request_log[logged:]
            if r['path'] == '/1.1/users/import'] == [2]
    failed_rows = list(csv.DictReader(io.StringIO(failed_csv.read_text())))
    assert [r['lastname'] for r in failed_rows] == ['Range', 'Mobile', 'Ctx']
    assert failed_rows[0]['password'] == 'Pw-0002', 'the failed file keeps what is needed to retry'
    assert stat.S_IMODE(os.stat(failed_csv).st_mode) == 0o600


def test_update_changes_only_differing_columns(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    src.write_text(USERS_CSV, encoding='utf-8')
    changed = tmp_path / 'changed.csv'
    changed.write_text(USERS_CSV.replace('Jean Dupont,1001', 'Jean VM,1001')
                       .replace('S3cr3tPw-91', 'N3wPw-2026'), encoding='utf-8')
    renamed = tmp_path / 'renamed.csv'
    renamed.write_text(USERS_CSV.replace('Dupont', 'Dupond'), encoding='utf-8')
    run = play(tmp_path, [
        import_task('create', server, fleet, src),
        import_task('no update by default', server, fleet, changed),
        import_task('update', server, fleet, changed, update=True),
        import_task('update again', server, fleet, changed, update=True),
        import_task('update password', server, fleet, changed, update=True,
                    update_password=True),
        import_task('rename without asking', server, fleet, renamed, update=True),
        import_task('rename on purpose', server, fleet, renamed, update=True,
                    update_identity=True),
    ])
    assert run.result('no update by default')['summary']['unchanged'] == 3
    update = run.result('update')
    # The voicemail is renamed after its user when the user has a line (docs/server-behaviour.md#voicemail-renamed): it
    # is no difference; only the secret differs, and secrets change only when asked.
    assert update['changed'] is False and update['summary']['unchanged'] == 3, update
    assert run.result('update again')['changed'] is False
    assert run.result('update password')['users'][0]['changed_columns'] == ['password']
    rename = run.result('rename without asking')
    assert rename['failed'] and rename['summary']['conflict'] == 1, rename
    jean = rename['users'][0]
    assert jean['status'] == 'conflict' and "lastname (file 'Dupond', server 'Dupont')" in jean['error']
    assert jean['server_users'] == [jean['uuid']]
    on_purpose = run.result('rename on purpose')
    assert on_purpose['summary']['updated'] == 1 and on_purpose['users'][0]['changed_columns'] == ['lastname']
    jean = next(u for u in server.users() if u['firstname'] == 'Jean')
    assert jean['lastname'] == 'Dupond' and jean['password'] == 'N3wPw-2026'


@pytest.mark.parametrize('faults, requests_at_least', [
    ({'fail_nth': {'n': 1, 'status': 500, 'path': '/1.1/users/import'}}, 3),
    ({'drop_after_commit': 1}, 1),
    ({'token_ttl': 1, 'latency': 0.4}, 3),
])
def test_faults_end_with_every_user_once(fleet, tmp_path, faults, requests_at_least):
    server = fleet.servers[0]
    server.faults.set(**faults)
    src = tmp_path / 'users.csv'
    src.write_text(USERS_CSV, encoding='utf-8')
    run = play(tmp_path, [import_task('import', server, fleet, src, batch_size=2),
                          import_task('rerun', server, fleet, src, batch_size=2)])
    first = run.result('import')
    assert not first.get('failed'), first
    assert first['summary']['created'] == 3
    assert run.result('rerun')['summary']['unchanged'] == 3
    extens = sorted(u['exten'] for u in server.users())
    assert extens == ['1001', '1002', '1003'], 'a user was lost or imported twice'
    assert len(import_requests(server)) >= requests_at_least


def test_unreachable_and_untrusted_servers_get_clear_errors_and_nothing_is_sent(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    src.write_text(USERS_CSV, encoding='utf-8')
    wrong_ca = tmp_path / 'other-ca.pem'
    import trustme
    trustme.CA().cert_pem.write_to_path(str(wrong_ca))
    run = play(tmp_path, [
        import_task('wrong ca', server, fleet, src, ca_path=str(wrong_ca)),
        import_task('down', server, fleet, src, port=1),
        import_task('bad password', server, fleet, src, password="{{ 'wrong-Pa55' }}"),
        import_task('digest', server, fleet, src, auth_method='digest'),
    ])
    wrong = run.result('wrong ca')
    assert wrong['failed'] and 'TLS verification failed' in wrong['msg']
    assert 'ca_path' in wrong['msg'] and 'Nothing was sent' in wrong['msg']
    assert 'cannot connect to %s:1' % server.address in run.result('down')['msg']
    bad = run.result('bad password')
    assert bad['failed'] and 'refused the credentials' in bad['msg']
    assert 'wrong-Pa55' not in bad['msg']
    digest = run.result('digest')
    assert digest['summary']['created'] == 3, digest
    assert len(server.users()) == 3, 'a refused task imported something'


def test_no_secret_in_any_output_at_high_verbosity(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    # The second row is refused by the server, which echoes its values in the error.
    src.write_text(USERS_CSV + 'Eve,Bad,5000,default,sip,eve,4455-Secret,,,,,,,\n',
                   encoding='utf-8')
    tasks = [
        dict(import_task('check', server, fleet, src), check_mode=True),
        import_task('import', server, fleet, src, update=True, update_password=True),
        {'name': 'export', 'xivo.confd.user_export': connection(server, fleet)},
        import_task('bad auth', server, fleet, src, password="{{ ws_password + 'x' }}"),
    ]
    run = play(tmp_path, tasks, extra_args=['-vvvv', '--diff'])
    assert 'would_create' in run.stdout and 'Extension' in run.stdout
    output = run.stdout + run.stderr + run.results_text
    for secret in SECRETS + ('4455-Secret',):
        # A PIN of digits is looked for as a number of its own: the emulator's random port
        # 44551 is not the voicemail password 4455.
        pattern = r'(?<!\d)%s(?!\d)' % re.escape(secret) if secret.isdigit() else re.escape(secret)
        assert not re.search(pattern, output), 'secret %r leaked' % secret


# A cp1252 legacy file: line 3 is invalid (no firstname), line 5 is refused by the server (5000
# is outside the context's range), line 6 is invalid (a mobile number with letters), line 7 is
# a quoted record on two lines.
LEGACY_CP1252 = ('firstname|lastname|phonenumber|context|protocol|username|password|mobilephonenumber\n'
                 'Hélène|Durand|1101|default|sip|hdurand|Pw-1101|\n'
                 '|Nofirst|1102|default|sip|nofirst|Pw-1102|\n'
                 'Zoé|Martin|1103|default|sip|zmartin|Pw-1103|+33 1 23 45 67 89\n'
                 'Out|Range|5000|default|sip|orange|Pw-5000|\n'
                 'Bad|Mobile|1104|default|sip|bmobile|Pw-1104|call-me\n'
                 '"Anne\nMarie"|Two|1105|default|sip|amarie|Pw-1105|\n').encode('cp1252')


def legacy_tasks(server, fleet, legacy, converted, **extra):
    convert = {'name': 'convert', 'xivo.confd.user_csv': {
        'src': str(legacy), 'dest': str(converted), 'invalid_rows': 'skip'},
        'register': 'converted'}
    args = dict(conversion='{{ converted }}')
    args.update(extra)
    return [convert, import_task('import', server, fleet, converted, **args)]


def test_every_legacy_row_has_one_outcome_in_the_legacy_numbering(fleet, tmp_path):
    server = fleet.servers[0]
    legacy = tmp_path / 'paris.csv'
    legacy.write_bytes(LEGACY_CP1252)
    to_fix = tmp_path / 'paris-to-fix.csv'
    run = play(tmp_path, legacy_tasks(server, fleet, legacy, tmp_path / 'work' / 'paris.csv',
                                      failed_dest=str(to_fix), report_dest=str(tmp_path / 'r.json')))
    result = run.result('import')
    assert result['failed']
    # Six data rows in the legacy file: six outcomes, each at its legacy line.
    assert result['summary']['total'] == 6
    assert sum(result['summary'][k] for k in result['summary'] if k != 'total') == 6
    by_line = dict((u['line'], u) for u in result['users'])
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7]
    assert [by_line[n]['status'] for n in (2, 3, 4, 5, 6, 7)] == [
        'created', 'invalid', 'created', 'failed', 'invalid', 'created']
    assert by_line[3]['column'] == 'firstname' and 'firstname' in by_line[3]['error']
    assert 'mobile_phone_number (legacy column mobilephonenumber)' in by_line[6]['error']
    assert [u['row'] for u in result['users']] == [1, 2, 3, 4, 5, 6]
    # The message names the legacy file and its lines only.
    assert str(legacy) in result['msg'] and 'work/paris.csv' not in result['msg']
    assert 'line 3 (no key): invalid' in result['msg'] and 'line 5 (' in result['msg']
    assert 'line 6 (' in result['msg']
    report = json.loads((tmp_path / 'r.json').read_text())
    assert report['summary']['total'] == 6 and len(report['users']) == 6
    # The file to fix: the legacy header and the three records to fix, byte for byte (cp1252).
    lines = LEGACY_CP1252.split(b'\n')
    assert to_fix.read_bytes() == b'\n'.join([lines[0], lines[2], lines[4], lines[5]]) + b'\n'
    assert stat.S_IMODE(os.stat(to_fix).st_mode) == 0o600
    # '+33 1 23 45 67 89' (a phone number) is no formula: no warning for the file to fix.
    assert not any('formula' in w for w in result.get('warnings', []))


def test_the_fixed_rows_are_imported_as_a_legacy_file_and_the_input_is_never_written(fleet, tmp_path):
    server = fleet.servers[0]
    legacy = tmp_path / 'paris.csv'
    legacy.write_bytes(LEGACY_CP1252)
    to_fix = tmp_path / 'paris-to-fix.csv'
    play(tmp_path, legacy_tasks(server, fleet, legacy, tmp_path / 'work' / 'paris.csv',
                                failed_dest=str(to_fix)))
    fixed = (to_fix.read_bytes().replace(b'|Nofirst|', 'Noé|Nofirst|'.encode('cp1252'))
             .replace(b'|5000|', b'|1150|').replace(b'call-me', b'0612345678'))
    to_fix.write_bytes(fixed)
    # The operator points the import at the file they fixed, and names it as failed_dest too:
    # refused before anything is sent, the file untouched.
    logged = len(import_requests(server))
    same = play(tmp_path, legacy_tasks(server, fleet, to_fix, tmp_path / 'work' / 'fix.csv',
                                       failed_dest=str(to_fix)), name='same')
    result = same.result('import')
    assert result['failed'] and 'failed_dest is the same file as the source' in result['msg']
    assert to_fix.read_bytes() == fixed and len(import_requests(server)) == logged
    again = play(tmp_path, legacy_tasks(server, fleet, to_fix, tmp_path / 'work' / 'fix.csv',
                                        failed_dest=str(tmp_path / 'still.csv')), name='again')
    result = again.result('import')
    assert not result.get('failed'), result['msg']
    assert result['summary']['created'] == 3 and result['summary']['total'] == 3
    assert to_fix.read_bytes() == fixed
    assert sorted(u['lastname'] for u in server.users()) == [
        'Durand', 'Martin', 'Mobile', 'Nofirst', 'Range', 'Two']


def test_check_mode_without_preflight_says_the_prediction_is_unverified(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,exten,context,line_protocol\n'
                   'Good,One,1010,default,sip\n'
                   'Out,Range,5000,default,sip\n', encoding='utf-8')
    run = play(tmp_path, [import_task('import', server, fleet, src, preflight=False)],
               extra_args=['--check'])
    result = run.result('import')
    assert result['prediction'] == 'unverified'
    assert 'unverified' in result['msg'] and 'could not be predicted' in result['msg']
    assert all('unverified' in ' '.join(u.get('warnings', [])) for u in result['users'])
    assert any('could not be predicted' in w for w in result['warnings'])
    checked = play(tmp_path, [import_task('import', server, fleet, src)], extra_args=['--check'],
                   name='checked')
    assert 'prediction' not in checked.result('import')
    assert 'unverified' not in checked.result('import')['msg']
