# -*- coding: utf-8 -*-
"""Each host's role variables for a task run once for the batch: the host's own (its
``hostvars``) under what the play sets for every host, templated in that host's variables."""

from __future__ import annotations

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.xivo.confd.plugins.plugin_utils.role_variables import (
    BatchVariables, play_key)

try:    # ansible-core 2.19+: only what comes from trusted sources (an inventory) is a template
    from ansible.template import trust_as_template
except ImportError:
    def trust_as_template(value):
        return value


def template(text):
    return trust_as_template(text)


class HostVars(dict):
    """What ``task_vars['hostvars']`` gives: each host's variables, untemplated."""

    def raw_get(self, host):
        return self[host]


def batch(play_vars, inventory, running='xivo-a'):
    hostvars = HostVars((host, dict(values, inventory_hostname=host))
                        for host, values in inventory.items())
    task_vars = dict(hostvars[running], **play_vars)
    task_vars['hostvars'] = hostvars
    return BatchVariables(task_vars, Templar(loader=DataLoader(), variables=task_vars))


def test_inventory_values_per_host_templated_with_the_host_and_the_play():
    variables = batch({'legacy_dir': '/srv/legacy'}, {
        'xivo-a': {'xivo_user_migration_legacy_csv': template(
            '{{ legacy_dir }}/{{ inventory_hostname }}.csv'), 'ansible_host': '10.0.0.1'},
        'xivo-b': {'xivo_user_migration_legacy_csv': template(
            '{{ legacy_dir }}/{{ inventory_hostname }}.csv'),
            'xivo_user_migration_api_host': 'b.example.org'}})
    assert variables.of('xivo-a') == {'legacy_csv': '/srv/legacy/xivo-a.csv',
                                      'api_host': '10.0.0.1'}
    assert variables.of('xivo-b') == {'legacy_csv': '/srv/legacy/xivo-b.csv',
                                      'api_host': 'b.example.org'}


def test_what_the_play_sets_applies_to_every_host_over_their_inventory():
    variables = batch({'xivo_user_migration_report_dir': '/play/reports'}, {
        'xivo-a': {'xivo_user_migration_report_dir': '/a/reports'},
        'xivo-b': {'xivo_user_migration_report_dir': '/b/reports'},
        'xivo-c': {}})
    for host in ('xivo-a', 'xivo-b', 'xivo-c'):
        assert variables.of(host)['report_dir'] == '/play/reports'


def test_a_value_only_some_hosts_set_stays_theirs():
    variables = batch({}, {'xivo-a': {'xivo_user_migration_batch_size': 10}, 'xivo-b': {}})
    assert variables.of('xivo-a')['batch_size'] == 10
    assert 'batch_size' not in variables.of('xivo-b')
    assert variables.of('xivo-b')['api_host'] == 'xivo-b'


def test_the_play_key_names_one_play_of_one_run():
    same = play_key({'ansible_play_name': 'migrate', 'ansible_play_hosts_all': ['b', 'a']})
    assert same == play_key({'ansible_play_name': 'migrate', 'ansible_play_hosts_all': ['a', 'b']})
    assert same != play_key({'ansible_play_name': 'rollback', 'ansible_play_hosts_all': ['a', 'b']})
    assert same != play_key({'ansible_play_name': 'migrate', 'ansible_play_hosts_all': ['a']})
