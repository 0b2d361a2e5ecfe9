# -*- coding: utf-8 -*-
"""The role under ansible-runner, as AWX / Automation Platform run it (issue #14): the reports
land in the configured absolute directory, not in the job's project copy (deleted after the
job), and the fleet summary is in the job's artifacts (set_stats)."""

from __future__ import annotations

import glob
import json
import os
import sys

import ansible_runner
import pytest
import yaml

from tests.integration.fleets import emulated_fleet

WS_USER, WS_PASSWORD = 'awx', 'Ws-Awx-6d1f'


@pytest.fixture(scope='module')
def fleet():
    with emulated_fleet(2, '127.0.9.90', WS_USER, WS_PASSWORD) as servers:
        yield servers


def test_a_job_of_ansible_runner_leaves_its_reports_where_they_are_kept(fleet, tmp_path):
    private = tmp_path / 'job'
    project = private / 'project'
    project.mkdir(parents=True)
    (project / 'legacy.csv').write_text('firstname|lastname|phonenumber|context|protocol\n'
                                        'Jean|Dupont|1001|default|sip\n', encoding='utf-8')
    (project / 'migrate.yml').write_text(yaml.safe_dump([{
        'name': 'Migrate', 'hosts': 'xivo', 'gather_facts': False,
        'roles': [{'role': 'xivo.confd.user_migration'}]}]))
    kept = tmp_path / 'persistent'
    hosts = dict(('xivo-%d' % i, {'ansible_host': s.address, 'xivo_user_migration_api_port': s.port,
                                  'xivo_user_migration_auth_port': s.auth_port})
                 for i, s in enumerate(fleet.servers))
    inventory = private / 'inventory'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text(yaml.safe_dump({'xivo': {'hosts': hosts, 'vars': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'xivo_user_migration_legacy_csv': 'legacy.csv',
        'xivo_user_migration_ca_path': fleet.ca_path,
        'xivo_user_migration_report_dir': str(kept / 'reports'),
        'xivo_user_migration_work_dir': str(kept / 'work')}}}))
    env = private / 'env'
    env.mkdir()
    # What a custom credential type injects.
    (env / 'envvars').write_text(yaml.safe_dump({
        'XIVO_CONFD_USERNAME': WS_USER, 'XIVO_CONFD_PASSWORD': WS_PASSWORD,
        'ANSIBLE_COLLECTIONS_PATH': os.environ['ANSIBLE_COLLECTIONS_PATH'],
        'PYTHONPATH': os.environ.get('PYTHONPATH', '')}))
    result = ansible_runner.run(private_data_dir=str(private), playbook='migrate.yml', quiet=True)
    assert result.rc == 0, result.stdout.read()[-3000:]
    # The reports are in the persistent directory; nothing was left in the job's project copy.
    assert len(glob.glob(str(kept / 'reports' / 'runs' / '*' / 'hosts' / 'xivo-*.json'))) == 2
    assert (kept / 'reports' / 'fleet.md').exists()
    assert not list(project.glob('xivo_user_migration*'))
    # The job's artifacts hold the fleet summary (AWX: Details > Artifacts).
    stats = [e for e in result.events if e.get('event') == 'playbook_on_stats']
    artifact = stats[-1]['event_data']['artifact_data']['xivo_user_migration']
    assert artifact['totals']['created'] == 2 and set(artifact['servers']) == set(hosts)
    assert WS_PASSWORD not in json.dumps(list(result.events))
