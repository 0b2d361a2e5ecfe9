# -*- coding: utf-8 -*-
"""The one table from the role's variables to the modules' options: the role's argument
specification documents each option of the table, with the same type, choices and default;
the import and the rollback take their options from it."""

from __future__ import annotations

import os

import yaml

from ansible_collections.xivo.confd.plugins.module_utils import role_options
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import CONNECTION_ARGSPEC

ROLE = os.path.join(os.path.dirname(role_options.__file__), '..', '..', 'roles', 'user_migration')


def argument_specs():
    with open(os.path.join(ROLE, 'meta', 'argument_specs.yml')) as handle:
        return yaml.safe_load(handle)['argument_specs']


def test_the_argument_specification_documents_the_table_as_it_is():
    for entrypoint in role_options.BOTH:
        documented = argument_specs()[entrypoint]['options']
        table = role_options.spec(entrypoint)
        assert sorted(documented) == sorted(role_options.PREFIX + n for n in table), entrypoint
        for name, spec in table.items():
            doc = documented[role_options.PREFIX + name]
            for key in ('type', 'default', 'choices', 'elements', 'no_log'):
                assert doc.get(key) == spec.get(key), (entrypoint, name, key)


def test_the_role_has_no_defaults_file_that_would_hide_a_host_value():
    assert not os.path.exists(os.path.join(ROLE, 'defaults', 'main.yml'))


def test_connection_options_are_the_modules_and_empty_ones_are_left_out():
    for option in role_options.of(role_options.MAIN, role_options.CONNECTION):
        assert option.option in CONNECTION_ARGSPEC
    values, errors = role_options.check({'api_host': 'xivo-1', 'api_port': '8443',
                                         'username': '', 'password': 'pw'}, role_options.MAIN)
    assert not errors and values['batch_size'] == 100
    assert role_options.options(values, role_options.CONNECTION) == dict(
        host='xivo-1', port=8443, password='pw')
    assert role_options.options(values, role_options.CONVERSION) == dict(
        encoding='auto', unknown_columns='fail', column_map={}, defaults={}, invalid_rows='skip')


def test_wrong_values_are_named_by_their_role_variable():
    dummy, errors = role_options.check({'api_port': 'eighty', 'invalid_rows': 'maybe'},
                                       role_options.MAIN)
    assert any('xivo_user_migration_api_port' in e for e in errors), errors
    assert any('xivo_user_migration_invalid_rows' in e for e in errors), errors


def test_the_rollback_takes_the_same_connection_and_its_run_from_the_role_variables():
    values, errors = role_options.check({'api_host': '10.0.0.5', 'token': 'tok',
                                         'rollback_run': 'R1', 'rollback_force': 'yes',
                                         'server_lock': 'local'}, role_options.ROLLBACK)
    assert not errors
    args = role_options.rollback_args(values, '/play')
    assert args == dict(host='10.0.0.5', token='tok', lock_timeout=0.0, server_lock='local',
                        break_lock=False, run_id='R1', force=True, accept_unverified_report=False,
                        from_report_dir='/play/xivo_user_migration/reports',
                        report_dir='/play/xivo_user_migration/reports/rollbacks')
    values, errors = role_options.check({'report_dir': 'out', 'username': 'u', 'password': 'p'},
                                        role_options.ROLLBACK)
    args = role_options.rollback_args(values, '/play')
    assert 'run_id' not in args and args['from_report_dir'] == '/play/out'
    assert args['report_dir'] == '/play/out/rollbacks'
