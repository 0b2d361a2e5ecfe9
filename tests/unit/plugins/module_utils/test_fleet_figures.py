# -*- coding: utf-8 -*-
"""One server's problem stays that server's problem (issue #20), without network: a host's
inputs checked before anything is sent, an exception of one server's work made its outcome,
rows never tried counted apart from failed rows (in no failed-rows file), fleet totals that are
the sums of the servers' figures in every outcome, words that match the mode."""

from __future__ import annotations

import os

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, fleet, fleet_summary, import_plan, import_report, import_run)
from ansible_collections.xivo.confd.tests.unit.plugins.module_utils.scripted_confd import (
    ScriptedXivoServer)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError, ConfdResponse, ConfdUnreachable)

CONFD = ('firstname,lastname,exten,context,line_protocol,username,password\n'
         'Jean,Dupont,1001,default,sip,jdupont,Secret-1001\n'
         'Zoe,Martin,1002,default,sip,zmartin,Secret-1002\n'
         'Ann,Bad,5000,default,sip,abad,Secret-5000\n')


def outcome(host, status=fleet.IMPORTED, check_mode=False, msg='', invalid=0, **summary):
    result = {'summary': dict(dict((k, 0) for k in fleet.STATUSES), total=sum(summary.values()),
                              **summary)}
    made = fleet.ServerOutcome.of(host, '10.0.0.1:9486', status, msg, result=result,
                                  check_mode=check_mode, conversion={'invalid_count': invalid})
    return made


# -- inputs --------------------------------------------------------------------------------

def test_every_unusable_input_of_a_host_is_named_with_its_reason(tmp_path):
    good = tmp_path / 'good.csv'
    good.write_text('x')
    (tmp_path / 'dir.csv').mkdir()
    (tmp_path / 'certs').mkdir()
    os.symlink(str(tmp_path / 'gone'), str(tmp_path / 'dangling.csv'))
    assert fleet.input_problems(dict(legacy_csv=str(good)), dict(ca_path=str(good))) == []
    assert fleet.input_problems(dict(csv=str(good)), dict(ca_path=str(tmp_path / 'certs'))) == []
    problems = fleet.input_problems(dict(legacy_csv=str(tmp_path / 'dir.csv')),
                                    dict(ca_path=str(tmp_path / 'none.crt')))
    assert problems == [
        'the legacy file (xivo_user_migration_legacy_csv) %s is a directory, not a file'
        % (tmp_path / 'dir.csv'),
        'the CA file (ca_path) %s does not exist' % (tmp_path / 'none.crt')]
    assert fleet.input_problems(dict(csv=str(tmp_path / 'dangling.csv')), {}) == [
        'the confd file (xivo_user_migration_csv) %s does not exist' % (tmp_path / 'dangling.csv')]
    # A CA file that is not used is not asked for.
    assert fleet.input_problems({}, dict(ca_path=str(tmp_path / 'none'), validate_certs=False)) == []


def test_a_file_that_cannot_be_opened_says_why(tmp_path, monkeypatch):
    path = tmp_path / 'locked.csv'
    path.write_text('x')
    real_open = open

    def refusing(name, *args, **kwargs):
        if str(name) == str(path):
            raise PermissionError(13, 'Permission denied', str(path))
        return real_open(name, *args, **kwargs)
    monkeypatch.setattr('builtins.open', refusing)
    assert fleet.unreadable_file(str(path), 'the file') == (
        'the file %s cannot be read: Permission denied' % path)


# -- an exception in one server's work ------------------------------------------------------

def _planned(statuses):
    made = []
    for number, status in enumerate(statuses, 1):
        row = confd_csv.SourceRow(number, number + 1, {'firstname': 'U%d' % number})
        one = import_plan.RowOutcome(row, key='k%d' % number)
        one.status = status
        made.append(one)
    return made


def test_an_exception_in_one_servers_work_is_its_outcome_and_keeps_what_was_done():
    error = OSError(20, 'Not a directory: /x/backups/Secret-pw')
    done = fleet.crashed('a', 's:1', error, outcomes=_planned(['created', 'failed', 'create']),
                         secrets={'Secret-pw'})
    assert done['status'] == fleet.NOT_IMPORTED and done['changed']
    assert done['summary']['created'] == 1 and done['summary']['failed'] == 1
    assert done['summary']['not_tried'] == 1 and done['summary']['total'] == 3
    assert 'Secret-pw' not in done['msg'] and 'NotADirectoryError' in done['msg']
    assert '1 users were created or updated before it' in done['msg']
    assert fleet_summary.failure(done, None, True).startswith('a: stopped by an unexpected error')
    nothing = fleet.crashed('b', 's:2', KeyError('x'))
    assert not nothing['changed'] and nothing['summary']['total'] == 0
    assert nothing['msg'].endswith('nothing was imported')
    result = fleet_summary.host_result(dict(done, failure=fleet_summary.failure(done, None, True)))
    assert result['failed'] and result['changed']


# -- figures --------------------------------------------------------------------------------

OUTCOMES = {
    'success': [outcome('a', created=3, unchanged=1)],
    'conflicts': [outcome('a', created=1, conflict=2)],
    'failures': [outcome('a', created=1, failed=2, invalid=2)],
    'unreachable': [outcome('u', fleet.UNREACHABLE, msg='down', not_tried=4)],
    'bad input': [outcome('b', fleet.NOT_IMPORTED, msg='the CA file x does not exist')],
    'auth refused': [outcome('r', fleet.NOT_IMPORTED, msg='authentication refused', not_tried=3)],
    'check mode': [outcome('c', check_mode=True, would_create=2, would_fail=1, unchanged=1)],
}


@pytest.mark.parametrize('mixed', [False, True])
@pytest.mark.parametrize('name', sorted(OUTCOMES))
def test_fleet_totals_are_the_sums_of_the_servers_in_every_outcome(name, mixed):
    outcomes = list(OUTCOMES[name])
    check_mode = name == 'check mode'
    if mixed:
        outcomes.append(outcome('z', created=2, failed=1, check_mode=check_mode)
                        if not check_mode else outcome('z', would_create=1, check_mode=True))
    report = fleet_summary.fleet_report('r1', outcomes, len(outcomes), check_mode, 's', 'f')
    for key in fleet.STATUSES + ('total',):
        assert report['totals'][key] == sum(o['summary'][key] for o in outcomes), key
    assert report['totals']['left_out'] == sum(o['conversion']['invalid_count'] for o in outcomes)
    table = fleet_summary.fleet_markdown(report, '/r').splitlines()
    header = next(line for line in table if line.startswith('| server |'))
    columns = [c.strip() for c in header.strip('|').split('|')]
    rows = [[c.strip() for c in line.strip('|').split('|')] for line in table
            if line.startswith('| ') and line != header and '**total**' not in line]
    total = next([c.strip() for c in line.strip('|').split('|')] for line in table
                 if '**total**' in line)
    assert len(total) == len(columns) and len(rows) == len(outcomes)
    for index, column in enumerate(columns[3:-2], 3):
        assert int(total[index]) == sum(int(row[index]) for row in rows), column
    stats = fleet_summary.stats('r1', '/r', outcomes, len(outcomes), check_mode)
    assert stats['totals'] == report['totals']
    line = fleet_summary.fleet_line(outcomes, len(outcomes), check_mode)
    if report['totals']['not_tried']:
        assert '%d rows not tried' % report['totals']['not_tried'] in line


def test_a_dry_run_never_says_imported():
    checked = outcome('c', check_mode=True, would_create=2)
    assert checked['status'] == fleet.CHECKED == 'checked'
    assert not fleet_summary.host_result(dict(checked, failure='')).get('failed')
    assert fleet_summary.fleet_line([checked], 1, True).startswith('fleet: 1 of 1 servers checked')
    report = fleet_summary.fleet_report('r1', [checked], 1, True, 's', 'f')
    assert 'imported' not in report['servers'][0]['status']
    assert 'Servers: 1 of 1 expected (1 checked,' in fleet_summary.fleet_markdown(report, '/r')


def test_the_diff_of_a_dry_run_says_would():
    outcomes = _planned(['would_create', 'would_create', 'unchanged'])
    diff = import_report.import_diff(outcomes, {}, check_mode=True)
    assert diff['after'].splitlines()[0] == '# 2 users would be created, 0 would be updated'
    assert 'predicted' in diff['after_header']
    real = import_report.import_diff(_planned(['created']), {})
    assert real['after'].splitlines()[0] == '# 1 users created, 0 updated'


# -- rows never tried -----------------------------------------------------------------------

class ServerThatRefuses(ScriptedXivoServer):
    """A client whose server refuses the credentials, or cannot be reached, when read (the
    lock kept on the server is taken first)."""

    def __init__(self, error):
        self.error = error
        self.imports = 0

    def export_users(self):
        raise self.error

    def import_csv(self, body, update=False):
        self.imports += 1
        raise AssertionError('nothing may be sent')


@pytest.mark.parametrize('error', [
    ConfdAuthRefused('xivo-auth at 127.0.0.1:9497 refused the credentials of user ws (401)'),
    ConfdUnreachable('cannot connect to 127.0.0.1:9486'),
    ConfdError('confd at 127.0.0.1:9486 answered 500 to the export')])
def test_rows_of_a_server_that_could_not_be_read_are_not_tried_and_in_no_failed_file(
        tmp_path, error):
    src = tmp_path / 'users.csv'
    src.write_text(CONFD)
    client = ServerThatRefuses(error)
    run = import_run.ImportRun(client, str(src), dict(
        report_dest=str(tmp_path / 'report.json'), failed_dest=str(tmp_path / 'failed.csv'),
        lock_dir=str(tmp_path / 'locks')), host='h')
    result = run.run()
    assert result['failed'] and result['summary']['not_tried'] == 3, result
    assert result['summary']['failed'] == 0 and result['summary']['total'] == 3
    assert set(u['status'] for u in result['users']) == {'not_tried'}
    assert not (tmp_path / 'failed.csv').exists() and client.imports == 0
    assert 'Secret-1001' not in (tmp_path / 'report.json').read_text()
    if isinstance(error, ConfdAuthRefused):
        assert result['error'].startswith('authentication refused: ')
    assert '3 not tried' in result['msg'] or 'nothing was imported' in result['msg']


class ServerThatRefusesTheImport(ServerThatRefuses):
    """Reads fine; the import is refused (a token without the import ACL: 401)."""

    def __init__(self):
        super().__init__(None)

    def export_users(self):
        return [], [{'uuid': 'u-1', 'firstname': 'Jean', 'lastname': 'Dupont', 'exten': '1001',
                     'context': 'default', 'username': 'jdupont'}]

    def import_csv(self, body, update=False):
        self.imports += 1
        raise ConfdAuthRefused('confd at 127.0.0.1:9486 refused the users import (401)')


def test_an_import_refused_for_the_credentials_leaves_its_rows_not_tried(tmp_path):
    src = tmp_path / 'users.csv'
    src.write_text(CONFD)
    run = import_run.ImportRun(ServerThatRefusesTheImport(), str(src), dict(
        failed_dest=str(tmp_path / 'failed.csv'), lock_dir=str(tmp_path / 'locks'),
        preflight=False, validate=False), host='h')
    result = run.run()
    # The user already on the server is unchanged, not failed; the two others were not tried.
    assert result['summary']['unchanged'] == 1 and result['summary']['not_tried'] == 2, result
    assert result['summary']['failed'] == 0 and result['failed']
    assert not (tmp_path / 'failed.csv').exists()
    assert '2 not tried' in result['msg']


def test_progress_counts_only_the_rows_sent(tmp_path):
    seen = []

    class Accepting(ServerThatRefusesTheImport):
        def import_csv(self, body, update=False):
            lines = body.decode('utf-8').splitlines()[1:] if isinstance(body, bytes) else \
                body.splitlines()[1:]
            return import_plan_response(len(lines))

    src = tmp_path / 'users.csv'
    src.write_text(CONFD.replace(',5000,', ',50a0,'))
    options = dict(lock_dir=str(tmp_path / 'locks'), preflight=False)
    run = import_run.ImportRun(Accepting(), str(src), options, host='h',
                               progress=lambda *args: seen.append(args))
    result = run.run()
    # 50a0 is not an extension: refused by the local check, never sent.
    assert result['summary']['failed'] == 1 and result['summary']['created'] == 1, result
    done, total, imported, failed = seen[-1]
    assert (done, total) == (1, 1) and imported + failed == done, seen


def import_plan_response(count):
    created = [dict(row_number=n, user_id=n, user_uuid='new-%d' % n) for n in range(1, count + 1)]
    return ConfdResponse(201, {'created': created}, '')


def test_the_message_of_a_dry_run_says_what_would_be_done():
    outcomes = _planned(['would_create', 'would_create', 'would_fail', 'unchanged'])
    outcomes[2].error = 'invalid: exten: 50a0 is not an extension'
    summary = import_plan.summarize(outcomes)
    text = import_report.import_message('users.csv', summary, [], outcomes=outcomes, check_mode=True)
    assert text.startswith('2 would be created, 0 would be updated, 1 unchanged, 0 conflict, '
                           '1 would fail (4 rows). Rows of users.csv that would not be imported: line 4')
    assert 'created, ' not in text.replace('would be created, ', '')
    real = import_plan.summarize(_planned(['created', 'failed']))
    assert import_report.import_message('users.csv', real, []).startswith(
        '1 created, 0 updated, 0 unchanged, 0 conflict, 1 failed')


def test_a_server_with_rows_not_tried_fails_whatever_fail_on_error_says():
    partly = outcome('p', created=1, unchanged=1, not_tried=2)
    users = [{'status': 'not_tried', 'error': 'not tried: authentication refused: confd said 401'}]
    for fail_on_error in (True, False):
        message = fleet_summary.failure(partly, 'skip', fail_on_error, users=users)
        assert message == ('p: 2 of 4 rows not tried on 10.0.0.1:9486: not tried: authentication '
                           'refused: confd said 401')
    result = fleet_summary.host_result(dict(partly, failure=fleet_summary.failure(partly, 'skip', True, users)))
    assert result['failed'] and result['changed']


def test_output_directories_that_cannot_be_written_are_named(tmp_path, monkeypatch):
    (tmp_path / 'a-file').write_text('x')
    (tmp_path / 'reports').mkdir()
    options = dict(work_dir=str(tmp_path / 'work' / 'deep'), report_dir=str(tmp_path / 'reports'),
                   backup_dir=str(tmp_path / 'a-file' / 'backups'))
    errors = fleet.check_output_dirs(options, check_mode=False)[0]
    assert errors == [
        'its backup directory %s (xivo_user_migration_backup_dir) cannot be used: %s: is not a '
        'directory but a regular file' % (tmp_path / 'a-file' / 'backups', tmp_path / 'a-file')]
    # Check mode writes no report nor backup: only the work directory is asked for.
    assert fleet.check_output_dirs(options, check_mode=True)[0] == []
    options['work_dir'] = str(tmp_path / 'a-file')
    assert fleet.check_output_dirs(options, check_mode=True)[0] == [
        'its work directory %s (xivo_user_migration_work_dir) cannot be used: %s: is not a '
        'directory but a regular file' % (tmp_path / 'a-file', tmp_path / 'a-file')]
    # A directory this user cannot write (root may write anywhere: the answer is made so).
    monkeypatch.setattr(os, 'access', lambda *args, **kwargs: False)
    options = dict(report_dir=str(tmp_path / 'reports' / 'new'))
    errors = fleet.check_output_dirs(options, check_mode=False)[0]
    assert errors == [
        'its report directory %s (xivo_user_migration_report_dir) cannot be used: %s: is a '
        'directory you cannot write to' % ((tmp_path / 'reports' / 'new',) * 2)]
