# -*- coding: utf-8 -*-
"""The operator's loop of the README, step 5, followed literally on three emulated servers
(issue #20): dry run, run, re-run, fix the rows in reports/<host>-to-fix.csv and point the host
at it, run, go back to the full legacy file, roll back. cp1252 legacy files hold rows the
conversion refuses (invalid) and rows the server refuses. At every step every row of every
source has exactly one status (per host and in the fleet totals), and the file the operator
edits is never written by a run."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import yaml

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import CALLBACKS

WS_USER, WS_PASSWORD = 'loopuser', 'Ws-Loop-5c2e'
HOSTS = ('xivo-paris', 'xivo-lyon', 'xivo-nantes')
STATUSES = ('created', 'updated', 'unchanged', 'conflict', 'failed', 'invalid', 'would_create',
            'would_update', 'would_fail', 'not_tried')

fleet, clean = fleet_fixtures(3, '127.0.9.80', WS_USER, WS_PASSWORD)


def legacy_text(number):
    """Seven rows: 3 good, 2 the conversion refuses (lines 3 and 6), 2 the server refuses
    (line 5: outside the context's range; line 7: a context the server does not have)."""
    base = 1000 + 100 * number
    return ('firstname|lastname|phonenumber|context|protocol|username|password|mobilephonenumber\n'
            'Hélène|Durand|{a}|default|sip|hdurand|Pw-{a}|+33 1 23 45 67 89\n'
            '|Sansnom|{b}|default|sip|sansnom|Pw-{b}|\n'
            'Zoé|Martin|{c}|default|sip|zmartin|Pw-{c}|\n'
            'Hors|Plage|{far}|default|sip|hplage|Pw-{far}|\n'
            'Mauvais|Mobile|{d}|default|sip|mmobile|Pw-{d}|appelle-moi\n'
            'Contexte|Inconnu|{e}|nulpart|sip|cinconnu|Pw-{e}|\n'
            'François|Pérez|{f}|default|sip|fperez|Pw-{f}|\n').format(
                a=base + 1, b=base + 2, c=base + 3, far=5000 + number, d=base + 5, e=base + 6,
                f=base + 7)


def fixed(data, number):
    """What the operator does in the file to fix (cp1252, as it is)."""
    base = 1000 + 100 * number
    return (data.replace(b'|Sansnom|', 'Noé|Sansnom|'.encode('cp1252'))
            .replace(b'|%d|' % (5000 + number), b'|%d|' % (base + 4))
            .replace(b'appelle-moi', b'0612345678')
            .replace(b'|nulpart|', b'|default|'))


class Operator:
    """The files of the README (inventory.yml, migrate.yml, rollback.yml) in a directory, and
    ansible-playbook run there as the README writes it."""

    def __init__(self, fleet, root):
        self.root = root
        self.runs = 0
        (root / 'legacy').mkdir()
        hosts = {}
        for number, (name, server) in enumerate(zip(HOSTS, fleet.servers)):
            (root / 'legacy' / ('%s.csv' % name)).write_bytes(
                legacy_text(number).encode('cp1252'))
            hosts[name] = {'ansible_host': server.address,
                           'xivo_user_migration_api_port': server.port,
                           'xivo_user_migration_auth_port': server.auth_port,
                           'xivo_user_migration_legacy_csv': 'legacy/%s.csv' % name,
                           'ansible_python_interpreter': '{{ ansible_playbook_python }}'}
        inventory = {'xivo': {'hosts': hosts, 'vars': {
            'ansible_connection': 'local',
            'xivo_user_migration_username': WS_USER,
            'xivo_user_migration_password': WS_PASSWORD,
            'xivo_user_migration_ca_path': fleet.ca_path,
            'xivo_user_migration_backup_dir': 'backups',
            'xivo_user_migration_report_dir': 'reports'}}}
        (root / 'inventory.yml').write_text(yaml.safe_dump(inventory))
        (root / 'migrate.yml').write_text(yaml.safe_dump([{
            'name': 'Migrate the users of every XiVO server', 'hosts': 'xivo',
            'gather_facts': False, 'roles': ['xivo.confd.user_migration']}], sort_keys=False))
        (root / 'rollback.yml').write_text(yaml.safe_dump([{
            'name': 'Undo the migration', 'hosts': 'xivo', 'gather_facts': False,
            'tasks': [{'name': 'Remove what the run created', 'ansible.builtin.include_role': {
                'name': 'xivo.confd.user_migration', 'tasks_from': 'rollback'}}]}],
            sort_keys=False))

    def playbook(self, *args):
        """``ansible-playbook -i inventory.yml ARGS``; (exit code, output, results by task)."""
        self.runs += 1
        results = self.root / ('results-%d.json' % self.runs)
        env = dict(os.environ, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                   ANSIBLE_CALLBACKS_ENABLED='record_results', XIVO_CONFD_RESULTS=str(results),
                   ANSIBLE_LOCAL_TEMP=str(self.root / 'ansible-tmp'))
        proc = subprocess.run(['ansible-playbook', '-i', 'inventory.yml'] + list(args),
                              cwd=str(self.root), env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        recorded = json.loads(results.read_text()) if results.exists() else {}
        return proc.returncode, proc.stdout, recorded

    def to_fix(self, host):
        return self.root / 'reports' / ('%s-to-fix.csv' % host)

    def fleet_report(self):
        return json.loads((self.root / 'reports' / 'fleet.json').read_text())


def per_host(results):
    return next(v for k, v in results.items() if k.endswith('Give this server its result'))


def batch(results):
    return next(iter(next(v for k, v in results.items()
                          if k.endswith('import every server of this batch at once')).values()))


def accounted(results, rows, hosts=HOSTS):
    """Each host's statuses add up to the rows of its source; the fleet's totals to theirs."""
    summaries = per_host(results)
    for host in hosts:
        summary = summaries[host]['summary']
        assert summary['total'] == rows[host], (host, summary)
        assert sum(summary.get(k, 0) for k in STATUSES) == rows[host], (host, summary)
    totals = batch(results)['ansible_stats']['data']['xivo_user_migration']['totals']
    assert totals['total'] == sum(rows[h] for h in hosts), totals
    assert sum(totals[k] for k in STATUSES) == totals['total'], totals
    return summaries


def test_the_readme_loop_accounts_for_every_row_and_keeps_the_operators_file(fleet, tmp_path):
    op = Operator(fleet, tmp_path)
    seven = dict((host, 7) for host in HOSTS)

    # 1. Dry run: every row predicted, nothing written.
    code, out, results = op.playbook('migrate.yml', '--check')
    summaries = accounted(results, seven)
    for host in HOSTS:
        assert (summaries[host]['summary']['would_create'], summaries[host]['summary']['would_fail'],
                summaries[host]['summary']['invalid']) == (3, 2, 2)
        assert not op.to_fix(host).exists()
    assert code != 0 and not (tmp_path / 'reports').exists()

    # 2. Run: 3 created per server; 4 rows to fix each, in the legacy file's format.
    code, out, results = op.playbook('migrate.yml')
    summaries = accounted(results, seven)
    first_run = batch(results)['run_id']
    assert op.fleet_report()['totals']['total'] == 21
    made = {}
    for number, host in enumerate(HOSTS):
        summary = summaries[host]['summary']
        assert (summary['created'], summary['failed'], summary['invalid']) == (3, 2, 2)
        lines = legacy_text(number).encode('cp1252').split(b'\n')
        expected = b'\n'.join([lines[0], lines[2], lines[4], lines[5], lines[6]]) + b'\n'
        assert op.to_fix(host).read_bytes() == expected
        assert stat.S_IMODE(os.stat(op.to_fix(host)).st_mode) == 0o600
        message = summaries[host]['msg']
        assert 'reports/%s-to-fix.csv' % host in message
        for line in (3, 5, 6, 7):
            assert 'line %d (' % line in message
        made[host] = os.stat(op.to_fix(host))
    assert code != 0

    # 3. Re-run: nothing new; the files to fix are not written again.
    code, out, results = op.playbook('migrate.yml')
    summaries = accounted(results, seven)
    for host in HOSTS:
        summary = summaries[host]['summary']
        assert (summary['unchanged'], summary['failed'], summary['invalid']) == (3, 2, 2)
        info = os.stat(op.to_fix(host))
        assert (info.st_ino, info.st_mtime_ns) == (made[host].st_ino, made[host].st_mtime_ns)

    # 4. Fix the rows of each file to fix and point the host at it. xivo-lyon's operator
    # forgets the unknown context: that row fails again, and their file stays as they wrote it.
    edited = {}
    for number, host in enumerate(HOSTS):
        data = fixed(op.to_fix(host).read_bytes(), number)
        if host == 'xivo-lyon':
            data = data.replace(b'|%d|default|sip|cinconnu' % (1000 + 100 * number + 6),
                                b'|%d|nulpart|sip|cinconnu' % (1000 + 100 * number + 6))
        op.to_fix(host).write_bytes(data)
        edited[host] = data
    for host in HOSTS:
        code, out, results = op.playbook('migrate.yml', '-l', host, '-e',
                                         'xivo_user_migration_legacy_csv=reports/%s-to-fix.csv'
                                         % host)
        summary = accounted(results, {host: 4}, hosts=(host,))[host]['summary']
        if host == 'xivo-lyon':
            assert code != 0 and (summary['created'], summary['failed']) == (3, 1)
            assert 'fix them in %s' % op.to_fix(host) in per_host(results)[host]['msg']
        else:
            assert code == 0 and summary['created'] == 4, out[-3000:]
        for other in HOSTS:
            assert op.to_fix(other).read_bytes() == edited[other]
    lyon = op.to_fix('xivo-lyon')
    edited['xivo-lyon'] = edited['xivo-lyon'].replace(b'|nulpart|', b'|default|')
    lyon.write_bytes(edited['xivo-lyon'])
    code, out, results = op.playbook('migrate.yml', '-l', 'xivo-lyon', '-e',
                                     'xivo_user_migration_legacy_csv=reports/xivo-lyon-to-fix.csv')
    summary = accounted(results, {'xivo-lyon': 4}, hosts=('xivo-lyon',))['xivo-lyon']['summary']
    assert code == 0 and (summary['created'], summary['unchanged']) == (1, 3)
    for server in fleet.servers:
        assert len(server.users()) == 7
    for host in HOSTS:
        assert op.to_fix(host).read_bytes() == edited[host]

    # 5. Back to the full legacy files: the rows fixed are the users on the server (unchanged),
    # not conflicts with their own fix, not second persons; nothing fails, nothing is sent.
    code, out, results = op.playbook('migrate.yml')
    summaries = accounted(results, seven)
    for host in HOSTS:
        assert summaries[host]['summary']['unchanged'] == 7, summaries[host]
        assert not summaries[host]['changed']
        assert op.to_fix(host).read_bytes() == edited[host]
    assert code == 0, out[-3000:]
    report = json.loads((tmp_path / 'reports' / 'hosts' / 'xivo-paris.json').read_text())
    notes = dict((u['line'], ' '.join(u.get('warnings', []))) for u in report['users'])
    assert all('fixed in' in notes[line] for line in (3, 5, 6, 7)), notes
    for server in fleet.servers:
        assert len(server.users()) == 7

    # 6. Roll back the first run: its 3 users go from each server, the fixed ones stay.
    code, out, results = op.playbook('rollback.yml', '-e',
                                     'xivo_user_migration_rollback_run=%s' % first_run)
    assert code == 0, out[-3000:]
    for server in fleet.servers:
        assert sorted(u['lastname'] for u in server.users()) == [
            'Inconnu', 'Mobile', 'Plage', 'Sansnom']
    for host in HOSTS:
        assert op.to_fix(host).read_bytes() == edited[host]


def test_a_legacy_file_refused_for_its_invalid_rows_still_accounts_for_each_row(fleet, tmp_path):
    op = Operator(fleet, tmp_path)
    with open(tmp_path / 'inventory.yml') as handle:
        inventory = yaml.safe_load(handle)
    inventory['xivo']['vars']['xivo_user_migration_invalid_rows'] = 'fail'
    (tmp_path / 'inventory.yml').write_text(yaml.safe_dump(inventory))
    code, out, results = op.playbook('migrate.yml', '-l', 'xivo-paris')
    assert code != 0 and not fleet.servers[0].users()
    summary = accounted(results, {'xivo-paris': 7}, hosts=('xivo-paris',))['xivo-paris']['summary']
    assert (summary['invalid'], summary['not_tried']) == (2, 5), summary
    report = json.loads((tmp_path / 'reports' / 'hosts' / 'xivo-paris.json').read_text())
    assert [(u['line'], u['status']) for u in report['users']] == [
        (2, 'not_tried'), (3, 'invalid'), (4, 'not_tried'), (5, 'not_tried'), (6, 'invalid'),
        (7, 'not_tried'), (8, 'not_tried')]
