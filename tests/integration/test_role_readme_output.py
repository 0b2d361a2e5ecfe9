# -*- coding: utf-8 -*-
"""The output of the role at default verbosity (issue 20): a line per server, the fleet line
and each failure with its reason, no JSON dump of the batch's result; the sample in the role's
README is what the role prints (compared after normalising times, paths, addresses and run
ids); -v still shows the whole result."""

from __future__ import annotations

import os
import re
import socket

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import run_playbook

README = os.path.join(os.path.dirname(__file__), '..', '..', 'roles', 'user_migration',
                      'README.md')
WS_USER, WS_PASSWORD = 'readmeuser', 'Ws-Readme-93d0'
GOOD = ('firstname|lastname|phonenumber|context|protocol|username\n'
        'Jean|Dupont|1001|default|sip|jdupont\n'
        'Zoé|Martin|1002|default|sip|zmartin\n'
        'Ali|Haddad|1003|default|sip|ahaddad\n'
        'Rose|Petit|1004|default|sip|rpetit\n')
BAD = ('firstname|lastname|phonenumber|context|protocol|username\n'
       'Anne|Morel|1011|default|sip|amorel\n'
       'Paul|Roux|5000|default|sip|proux\n'
       '|Blanc|1013|default|sip|lblanc\n'
       'Marc|Faure|1014|default|sip|mfaure\n'
       '||1015|default|sip|nobody\n'
       'Lise|Girard|1016|default|sip|lgirard\n')
ROLE = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
FIRST_TASK = 'TASK [xivo.confd.user_migration : Convert, back up and import every server of this batch at once]'

fleet, clean = fleet_fixtures(2, '127.0.37.31', WS_USER, WS_PASSWORD)


def free_port(address):
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def sample_hosts(fleet, tmp_path):
    (tmp_path / 'site-c.csv').write_text(GOOD, encoding='utf-8')
    (tmp_path / 'bad-rows.csv').write_text(BAD, encoding='utf-8')
    good, bad = fleet.servers
    down_port = free_port('127.0.37.39')    # nothing listens there: the server is down
    where = {'xivo-good-1': ('127.0.37.31', good.port, good.auth_port, 'site-c.csv'),
             'xivo-bad-rows': ('127.0.37.32', bad.port, bad.auth_port, 'bad-rows.csv'),
             'xivo-down': ('127.0.37.39', down_port, down_port, 'site-c.csv')}
    hosts = {}
    for name, (address, port, auth_port, legacy) in where.items():
        hosts[name] = {'ansible_host': address, 'xivo_user_migration_api_port': port,
                       'xivo_user_migration_auth_port': auth_port,
                       'xivo_user_migration_legacy_csv': str(tmp_path / legacy),
                       'xivo_user_migration_username': WS_USER,
                       'xivo_user_migration_password': '{{ ws_password }}',
                       'ws_password': WS_PASSWORD,
                       'xivo_user_migration_ca_path': fleet.ca_path,
                       'xivo_user_migration_retries': 0,
                       'xivo_user_migration_report_dir': str(tmp_path / 'reports'),
                       'xivo_user_migration_work_dir': str(tmp_path / 'work')}
    return hosts


def normalised(text, tmp_path=None):
    """The role's part of an output, comparable across runs: the lines from the batch task to
    the recap, paths under the run's directory as ..., addresses, ports, run ids and object
    ids as placeholders, the lines of each task sorted (servers finish in any order)."""
    if tmp_path is not None:
        text = text.replace(str(tmp_path), '...')
    text = re.sub(r'\d{8}T\d{6}(\.\d+)?Z-[0-9a-f]{6}', 'RUN', text)
    text = re.sub(r'127\.\d+\.\d+\.\d+(:\d+)?', lambda m: 'ADDR' + (':PORT' if m.group(1) else ''),
                  text)
    text = re.sub(r'port=\d+', 'port=PORT', text)
    text = re.sub(r'0x[0-9a-f]+', '0x0', text)
    text = re.sub(r'(?m)^Origin: .*$', 'Origin: ...', text)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(FIRST_TASK))
    sections, current = [], None
    for line in lines[start:]:
        line = re.sub(r'\s*\*+$', '', line.rstrip())
        if line.startswith('PLAY RECAP'):
            break
        if line.startswith('TASK ['):
            current = [line, []]
            sections.append(current)
        elif line:
            current[1].append(line)
    return [(title, sorted(body)) for title, body in sections]


def readme_sample():
    with open(README, encoding='utf-8') as handle:
        text = handle.read()
    block = re.search(r'```text\n(%s.*?)```' % re.escape(FIRST_TASK), text, re.S)
    assert block, 'no sample output in the README'
    return block.group(1)


def test_the_readme_sample_is_what_the_role_prints(fleet, tmp_path):
    run = run_playbook(tmp_path, ROLE, hosts=sample_hosts(fleet, tmp_path))
    if os.environ.get('XIVO_CONFD_README_SAMPLE'):     # to write the sample again
        with open(os.environ['XIVO_CONFD_README_SAMPLE'], 'w', encoding='utf-8') as handle:
            handle.write(run.stdout.replace(str(tmp_path), '...'))
    printed = normalised(run.stdout, tmp_path)
    assert printed == normalised(readme_sample()), '\n'.join(
        [title + '\n' + '\n'.join(body) for title, body in printed])
    batch = dict(printed)[FIRST_TASK]
    # A line per server and the fleet line, no JSON of the batch's result.
    assert not [line for line in batch if 'ansible_stats' in line or line.strip() in '{}']
    assert [line for line in batch if line.startswith('fleet: ')]
    for host in ('xivo-good-1', 'xivo-bad-rows', 'xivo-down'):
        assert [line for line in batch if line.startswith(host + ' (')], host
    # Each failure with its reason.
    per_host = dict(printed)['TASK [xivo.confd.user_migration : Give this server its result]']
    assert [line for line in per_host if line.startswith('fatal: [xivo-down]: UNREACHABLE!')
            and 'cannot connect to' in line]
    assert [line for line in per_host if line.startswith('fatal: [xivo-bad-rows]: FAILED!')
            and 'outside every range' in line]


def test_with_v_the_whole_result_is_shown(fleet, tmp_path):
    run = run_playbook(tmp_path, ROLE, hosts=sample_hosts(fleet, tmp_path), extra_args=['-v'])
    assert '"ansible_stats": {' in run.stdout and '"msg": [' in run.stdout, run.stdout[-3000:]
