# -*- coding: utf-8 -*-
"""The role's fleet logic as pure functions: same servers, outcomes, summary lines, reports,
backups retention (issue #13, #14)."""

from __future__ import annotations

import os

from ansible_collections.xivo.confd.plugins.module_utils import fleet, fleet_backups, fleet_summary


def outcome(host, status=fleet.IMPORTED, check_mode=False, msg='', **summary):
    result = {'summary': dict(dict((k, 0) for k in fleet.STATUSES), total=sum(summary.values()),
                              **summary)}
    return fleet.ServerOutcome.of(host, '10.0.0.1:9486', status, msg, result=result,
                                  check_mode=check_mode, files={'report': '/r/runs/x/%s.json' % host})


def test_two_inventory_hosts_of_one_server_are_named_to_each_other():
    duplicates = fleet.duplicate_servers({'a': ('127.0.0.1', 9486), 'b': ('localhost', 9486),
                                          'c': ('127.0.0.1', 9487)})
    assert sorted(duplicates) == ['a', 'b']
    identity, others = duplicates['a']
    assert identity == '127.0.0.1:9486' and others == ['b']
    assert 'same server (127.0.0.1:9486) as b' in fleet.duplicate_message('a', identity, others)


def test_two_tenants_of_one_wazo_server_are_two_places_but_one_tenant_twice_is_not():
    duplicates = fleet.duplicate_servers({
        'tenant-a': ('127.0.0.1', 443, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
        'tenant-b': ('127.0.0.1', 443, 'tenantb'),
        'tenant-b-again': ('localhost', 443, 'TenantB'),
        'own-tenant': ('127.0.0.1', 443, None)})
    assert sorted(duplicates) == ['tenant-b', 'tenant-b-again']
    identity, others = duplicates['tenant-b']
    assert identity == '127.0.0.1:443 tenant tenantb' and others == ['tenant-b-again']


def test_server_lines_and_a_fleet_line_over_every_batch():
    first = [outcome('a', created=3, unchanged=1), outcome('b', failed=1, conflict=1, created=2)]
    later = first + [outcome('c', status=fleet.UNREACHABLE, msg='cannot connect')]
    lines = fleet_summary.summary_lines(first, first, 4, False)
    assert lines[0] == ('a (10.0.0.1:9486): 3 created, 0 updated, 1 unchanged, 0 conflict, 0 failed, '
                        '0 invalid (4 rows) (report: /r/runs/x/a.json)')
    assert lines[-1] == ('fleet: 2 of 4 servers imported (2 of 4 servers done so far): 5 created, '
                         '0 updated, 1 unchanged, 1 conflict, 1 failed, 0 invalid (8 rows)')
    final = fleet_summary.fleet_line(later + [outcome('d', status=fleet.NOT_IMPORTED, msg='x')], 4, False)
    assert final == ('fleet: 2 of 4 servers imported: 5 created, 0 updated, 1 unchanged, 1 '
                     'conflict, 1 failed, 0 invalid (8 rows), 1 unreachable, 1 not imported')
    assert 'UNREACHABLE: cannot connect' in fleet_summary.server_line(later[2])


def test_check_mode_lines_say_what_would_happen():
    line = fleet_summary.server_line(outcome('a', check_mode=True, would_create=2, would_fail=1))
    assert 'would create 2, would update 0, would fail 1' in line


def test_a_server_fails_for_its_rows_to_fix_naming_each_by_its_legacy_line():
    bad = outcome('b', failed=1, created=1, invalid=1)
    bad['files']['to_fix'] = '/r/b-to-fix.csv'
    bad['conversion'] = {'src': '/legacy/b.csv', 'invalid_count': 1}
    users = [{'row': 2, 'line': 3, 'key': 'exten@context=5000@default', 'status': 'failed',
              'error': 'out of range'},
             {'row': 3, 'line': 7, 'key': None, 'status': 'invalid',
              'error': 'invalid: firstname: may not be empty'}]
    message = fleet_summary.failure(bad, 'skip', True, users=users)
    assert message.startswith('b: 2 of the 3 rows of /legacy/b.csv were not imported on '
                              '10.0.0.1:9486 (1 failed, 1 invalid) (fix them in /r/b-to-fix.csv')
    assert 'line 3 (exten@context=5000@default): out of range' in message
    assert 'line 7 (no key): invalid: firstname: may not be empty' in message
    assert 'row ' not in message      # one numbering: the legacy file's lines
    assert fleet_summary.failure(bad, 'skip', False, users=users) == ''
    only_invalid = outcome('a', created=1, invalid=1)
    assert fleet_summary.failure(only_invalid, 'skip', True).startswith('a: 1 of the 2 rows')
    assert fleet_summary.failure(only_invalid, 'ignore', True) == ''
    down = outcome('c', status=fleet.UNREACHABLE, msg='cannot connect')
    assert fleet_summary.failure(down, 'skip', False) == 'c: cannot connect'


def test_every_row_is_counted_once_in_the_server_and_fleet_totals():
    outcomes = [outcome('a', created=2, invalid=1, failed=1), outcome('b', unchanged=3, conflict=1)]
    totals = fleet_summary.totals(outcomes)
    assert totals['total'] == 8
    assert sum(totals[k] for k in fleet.STATUSES) == totals['total']
    assert 'invalid' in fleet_summary.fleet_markdown(fleet_summary.fleet_report('r', outcomes, 2, False, 's', 'e'),
                                                     '/r')


def test_the_fleet_report_links_each_server_file_from_the_table(tmp_path):
    report = fleet_summary.fleet_report('run1', [outcome('a', created=1), outcome('b|x', failed=1)], 3,
                                        False, 'start', 'end')
    assert report['complete'] is False and report['totals']['created'] == 1
    table = fleet_summary.fleet_markdown(report, '/r/runs/x')
    assert '| a | 10.0.0.1:9486 | imported | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | [a.json](a.json) |  |' in table
    assert 'b\\|x' in table  # a pipe in a host name does not break the table
    assert '| **total** |' in table


def _backup(directory, host, run_id):
    path = directory / ('%s-%s.csv' % (host, run_id))
    path.write_text('users of %s before %s' % (host, run_id))
    fleet_backups.record_backup(str(path), host, run_id)
    return path


def test_backups_are_kept_to_the_newest_of_each_host_the_collection_recorded(tmp_path):
    for stamp in ('20260101T000000Z-aaaaaa', '20260102T000000Z-bbbbbb', '20260103T000000Z-cccccc'):
        _backup(tmp_path, 'xivo-a', stamp)
        _backup(tmp_path, 'xivo-a-b', stamp)    # another host, kept
    removed = fleet_backups.prune_backups(str(tmp_path), 'xivo-a', 2,
                                          current='xivo-a-20260103T000000Z-cccccc.csv')
    assert [os.path.basename(p) for p in removed] == ['xivo-a-20260101T000000Z-aaaaaa.csv']
    assert len([n for n in os.listdir(tmp_path) if n.endswith('.csv')]) == 5
    assert fleet_backups.prune_backups(str(tmp_path), 'xivo-a', 0) == []


def test_backups_named_as_if_from_the_future_never_make_a_run_delete_its_own(tmp_path):
    # Planted: files named like backups of later runs, which the old pruning by name kept
    # (sorted last) while it deleted the run's fresh backup, the only copy of the state.
    for stamp in ('29990101T000000.000Z-ffffff', '29990102T000000.000Z-eeeeee'):
        (tmp_path / ('xivo-a-%s.csv' % stamp)).write_text('planted')
    current = _backup(tmp_path, 'xivo-a', '20261207T120000.000Z-abcdef')
    removed = fleet_backups.prune_backups(str(tmp_path), 'xivo-a', 1, current=str(current))
    assert removed == [] and current.read_text().startswith('users of xivo-a')
    assert (tmp_path / 'xivo-a-29990101T000000.000Z-ffffff.csv').read_text() == 'planted'
    # Keeping 1 while another backup was recorded after the current run's: both stay.
    later = _backup(tmp_path, 'xivo-a', '20261207T130000.000Z-bcdefa')
    assert fleet_backups.prune_backups(str(tmp_path), 'xivo-a', 1, current=str(current)) == []
    assert current.exists() and later.exists()


def test_a_recorded_backup_replaced_by_another_file_is_not_removed(tmp_path):
    first = _backup(tmp_path, 'xivo-a', '20261207T120000.000Z-aaaaaa')
    second = _backup(tmp_path, 'xivo-a', '20261207T130000.000Z-bbbbbb')
    first.unlink()
    first.write_text('an operator\'s file now bears this name')   # not what was recorded
    assert fleet_backups.prune_backups(str(tmp_path), 'xivo-a', 1, current=str(second)) == []
    assert first.exists()
    outside = tmp_path / 'elsewhere.csv'
    outside.write_text('keep me')
    third = _backup(tmp_path, 'xivo-a', '20261207T140000.000Z-cccccc')
    third.unlink()
    third.symlink_to(outside)       # a link at a recorded name: never followed nor removed
    fourth = _backup(tmp_path, 'xivo-a', '20261207T150000.000Z-dddddd')
    assert fleet_backups.prune_backups(str(tmp_path), 'xivo-a', 1, current=str(fourth)) == [
        str(second)]
    assert outside.read_text() == 'keep me' and third.is_symlink()


def test_host_files_and_fleet_files_never_share_a_name(tmp_path):
    # An inventory host named like a fleet file: its files live under hosts/.
    for host in ('fleet', 'fleet.md', 'runs', 'hosts', '.xivo.confd-backups'):
        for suffix in ('.json', '-failed.csv', '.outcome.json'):
            path = fleet.host_file(str(tmp_path), host, suffix)
            assert os.path.dirname(path) == str(tmp_path / 'hosts')
            assert path not in (str(tmp_path / 'fleet.json'), str(tmp_path / 'fleet.md'))


def test_output_directories_are_checked_before_anything_is_sent(tmp_path):
    report_file = tmp_path / 'reports'
    report_file.write_text('not a directory')
    options = dict(work_dir=str(tmp_path / 'work'), report_dir=str(report_file),
                   bases=dict(work_dir=str(tmp_path / 'work'), report_dir=str(report_file)))
    errors, warnings = fleet.check_output_dirs(options, check_mode=False)
    assert len(errors) == 1 and str(report_file) in errors[0]
    assert 'xivo_user_migration_report_dir' in errors[0] and 'not a directory' in errors[0]
    assert report_file.read_text() == 'not a directory' and warnings == []
    # A link planted where the collection makes its own directory (work_dir/runs).
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    report_dir = tmp_path / 'r'
    options.update(report_dir=str(report_dir),
                   bases=dict(work_dir=str(tmp_path / 'work'), report_dir=str(report_dir)))
    (tmp_path / 'work' / 'runs').rmdir()      # made by the first check
    (tmp_path / 'work' / 'runs').symlink_to(elsewhere)
    errors, warnings = fleet.check_output_dirs(options, check_mode=False)
    assert len(errors) == 1 and str(tmp_path / 'work' / 'runs') in errors[0]
    assert 'symbolic link' in errors[0] and os.listdir(elsewhere) == []
    # A directory others can write to: usable, with a warning naming it.
    (tmp_path / 'work' / 'runs').unlink()
    os.chmod(str(report_dir), 0o777)
    errors, warnings = fleet.check_output_dirs(options, check_mode=False)
    assert errors == [] and len(warnings) == 1 and str(report_dir) in warnings[0]


def test_stats_for_awx_hold_totals_and_each_server():
    data = fleet_summary.stats('run1', '/r', [outcome('a', created=2)], 1, False)
    assert data['totals']['created'] == 2 and data['servers']['a']['status'] == 'imported'
    assert data['servers']['a']['report'] == '/r/runs/x/a.json'


def test_outcomes_are_read_back_by_host(tmp_path):
    import json
    os.mkdir(str(tmp_path / 'hosts'))
    for host in ('a', '../b'):
        with open(fleet.outcome_path(str(tmp_path), host), 'w') as handle:
            json.dump(outcome(host, created=1), handle)
    found = fleet.read_outcomes(str(tmp_path), {'../b'})
    assert list(found) == ['../b'] and found['../b']['summary']['created'] == 1


def test_only_the_outcomes_of_the_hosts_asked_for_are_read(tmp_path):
    import json
    os.mkdir(str(tmp_path / 'hosts'))
    with open(fleet.outcome_path(str(tmp_path), 'b'), 'w') as handle:
        json.dump(outcome('b', created=1), handle)
    with open(fleet.outcome_path(str(tmp_path), 'c'), 'w') as handle:
        handle.write('{not json')     # this batch's own host, being written: never read
    assert list(fleet.read_outcomes(str(tmp_path), {'b'})) == ['b']
    assert fleet.read_outcomes(str(tmp_path), set()) == {}


def test_each_host_result_says_changed_failed_or_unreachable_from_its_outcome():
    done = outcome('a', created=3, unchanged=1)
    done['failure'] = ''
    result = fleet_summary.host_result(done)
    assert result['changed'] and not result.get('failed') and not result.get('unreachable')
    assert result['msg'] == fleet_summary.server_line(done) and result['summary']['created'] == 3
    nothing = outcome('b', unchanged=4)
    nothing['failure'] = ''
    assert not fleet_summary.host_result(nothing)['changed']
    refused = outcome('c', failed=1, created=1)
    refused['failure'] = 'c: 1 row failed (line 3: exten: outside of range)'
    refused['diff'] = {'before': '', 'after': 'x'}
    result = fleet_summary.host_result(refused, diff=True)
    assert result['failed'] and result['msg'] == refused['failure'] and result['changed']
    assert result['diff'] == refused['diff']
    assert 'diff' not in fleet_summary.host_result(refused)
    down = outcome('d', status=fleet.UNREACHABLE, msg='cannot connect to 10.0.0.1:9486')
    down['failure'] = ''
    down['warnings'] = ['a read was retried']
    result = fleet_summary.host_result(down)
    assert result['unreachable'] and result['msg'] == 'cannot connect to 10.0.0.1:9486'
    assert result['warnings'] == ['a read was retried'] and not result.get('failed')


def test_host_options_take_paths_from_the_playbook_and_fill_empty_directories():
    values = fleet.host_options({'legacy_csv': 'legacy/a.csv', 'csv': '', 'work_dir': '',
                                 'report_dir': '/srv/reports', 'backup_dir': '~/backups',
                                 'batch_size': 100}, '/play')
    assert values['legacy_csv'] == '/play/legacy/a.csv' and values['csv'] == ''
    assert values['work_dir'] == '/play/xivo_user_migration/work'
    assert values['report_dir'] == '/srv/reports'
    assert values['backup_dir'] == os.path.expanduser('~/backups')
    assert values['batch_size'] == 100
    # Not set at all (the role run without its defaults): the same default directories.
    assert fleet.host_options({}, '/play')['report_dir'] == fleet.default_dir('/play', 'report_dir')


def test_plain_values_lose_their_subclasses_and_keep_their_content():
    class Tagged(str):
        pass

    value = fleet.plain({Tagged('k'): [Tagged('a'), (1, True)], 'n': None})
    assert value == {'k': ['a', [1, True]], 'n': None}
    assert not isinstance(next(iter(value)), Tagged) and not isinstance(value['k'][0], Tagged)
