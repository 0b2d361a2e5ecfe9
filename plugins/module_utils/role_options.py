# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The variables of the role xivo.confd.user_migration and the module options they give: ONE
table, read by the import (fleet_import) and by the rollback (user_remove with
role_variables). An option of the role is one line of OPTIONS; meta/argument_specs.yml
documents each (a unit test checks that both say the same types, choices and defaults).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import os
from collections import namedtuple

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

PREFIX = 'xivo_user_migration_'
MAIN, ROLLBACK = 'main', 'rollback'
BOTH = (MAIN, ROLLBACK)

# What an option is for: the connection (empty means not set: module_defaults of
# group/xivo.confd.confd, then XIVO_CONFD_*, then the module's default apply), the import
# (user_import's option of the same name), the conversion (user_csv's), the role's own work,
# the rollback (user_remove's option ``option``).
CONNECTION, IMPORT, CONVERSION, ROLE, UNDO = 'connection', 'import', 'conversion', 'role', 'undo'

RoleOption = namedtuple('RoleOption', 'variable kind option entrypoints spec')


def _option(variable, kind, type_, entrypoints=(MAIN,), option=None, **spec):
    return RoleOption(variable, kind, option or variable, entrypoints, dict(spec, type=type_))


OPTIONS = (
    _option('legacy_csv', ROLE, 'path', default=''),
    _option('csv', ROLE, 'path', default=''),
    _option('encoding', CONVERSION, 'str', default='auto'),
    _option('unknown_columns', CONVERSION, 'str', default='fail', choices=['fail', 'drop']),
    _option('column_map', CONVERSION, 'dict', default={}),
    _option('defaults', CONVERSION, 'dict', default={}),
    _option('invalid_rows', CONVERSION, 'str', default='skip', choices=['skip', 'fail', 'ignore']),
    _option('api_host', CONNECTION, 'str', BOTH, option='host', default=''),
    _option('platform', CONNECTION, 'str', BOTH, choices=['auto', 'xivo', 'wazo']),
    _option('api_port', CONNECTION, 'int', BOTH, option='port'),
    _option('auth_port', CONNECTION, 'int', BOTH),
    _option('api_prefix', CONNECTION, 'str', BOTH),
    _option('tenant', CONNECTION, 'str', BOTH),
    _option('auth_backend', CONNECTION, 'str', BOTH),
    _option('auth_method', CONNECTION, 'str', BOTH, choices=['token', 'digest']),
    _option('username', CONNECTION, 'str', BOTH),
    _option('password', CONNECTION, 'str', BOTH, no_log=True),
    _option('token', CONNECTION, 'str', BOTH, no_log=True),
    _option('token_expiration', CONNECTION, 'int', BOTH),
    _option('validate_certs', CONNECTION, 'bool', BOTH),
    _option('ca_path', CONNECTION, 'path', BOTH),
    _option('timeout', CONNECTION, 'float', BOTH),
    _option('connect_timeout', CONNECTION, 'float', BOTH),
    _option('deadline', CONNECTION, 'float', BOTH),
    _option('retries', CONNECTION, 'int', BOTH),
    _option('keys', IMPORT, 'list', elements='str',
            default=['exten@context', 'username', 'email']),
    _option('batch_size', IMPORT, 'int', default=100),
    _option('batch_seconds', IMPORT, 'float', default=30),
    _option('update', IMPORT, 'bool', default=False),
    _option('update_password', IMPORT, 'bool', default=False),
    _option('update_identity', IMPORT, 'bool', default=False),
    _option('name_identity', IMPORT, 'bool', default=True),
    _option('share_voicemails', IMPORT, 'bool', default=False),
    _option('context_map', IMPORT, 'dict', default={}),
    _option('validate', IMPORT, 'bool', default=True),
    _option('preflight', IMPORT, 'bool', default=True),
    _option('fail_on_error', IMPORT, 'bool', default=True),
    _option('lock_timeout', IMPORT, 'float', BOTH, default=0),
    _option('server_lock', IMPORT, 'str', BOTH, default='required',
            choices=['required', 'local']),
    _option('break_lock', IMPORT, 'bool', BOTH, default=False),
    _option('diff_limit', IMPORT, 'int', default=50),
    _option('work_dir', ROLE, 'path', default=''),
    _option('report_dir', ROLE, 'path', BOTH, default=''),
    _option('backup_dir', ROLE, 'path', default=''),
    _option('backup_keep', ROLE, 'int', default=10),
    _option('errors_shown', ROLE, 'int', default=20),
    _option('concurrency', ROLE, 'int', default=0),
    _option('progress_seconds', ROLE, 'float', default=10),
    _option('stats', ROLE, 'bool', default=True),
    _option('rollback_run', UNDO, 'str', (ROLLBACK,), option='run_id', default=''),
    _option('rollback_force', UNDO, 'bool', (ROLLBACK,), option='force', default=False),
    _option('rollback_accept_unverified_report', UNDO, 'bool', (ROLLBACK,),
            option='accept_unverified_report', default=False),
)

# The role's directories when their variable is empty, under the playbook directory.
DEFAULT_DIRS = dict(work_dir='xivo_user_migration/work', report_dir='xivo_user_migration/reports')


def of(entrypoint, kind=None):
    """The options of an entry point of the role (of one ``kind`` only, when given)."""
    return [o for o in OPTIONS if entrypoint in o.entrypoints and kind in (None, o.kind)]


def variables(entrypoint):
    """The names of the role's variables of an entry point, prefixed."""
    return [PREFIX + o.variable for o in of(entrypoint)]


def spec(entrypoint):
    """The argument specification of an entry point, by variable name without the prefix."""
    return dict((o.variable, dict(o.spec)) for o in of(entrypoint))


def check(values, entrypoint):
    """(the values of a host's role variables without the prefix, converted to their types,
    the defaults given to those not set; the reasons they cannot be used, naming each role
    variable). Ansible's role argument check refused wrong values already; this gives them
    their types (a value templated from a string stays a string for Ansible)."""
    checked = ArgumentSpecValidator(dict(
        (PREFIX + name, option) for name, option in spec(entrypoint).items())).validate(
            dict((PREFIX + k, v) for k, v in values.items() if v is not None))
    return (dict((k[len(PREFIX):], v) for k, v in checked.validated_parameters.items()),
            list(checked.error_messages))


def options(values, kind, entrypoint=MAIN):
    """The module options that the role variables ``values`` (checked, without the prefix)
    give for ``kind``; a connection option the host leaves empty is left out, so that
    module_defaults, the environment and the module's default apply."""
    found = {}
    for option in of(entrypoint, kind):
        value = values.get(option.variable)
        if kind == CONNECTION and value in (None, ''):
            continue
        found[option.option] = value
    return found


def default_dir(playbook_dir, name):
    return os.path.join(playbook_dir, DEFAULT_DIRS[name])


def rollback_args(values, playbook_dir):
    """The arguments of xivo.confd.user_remove for the role's rollback of one host, from its
    checked role variables: the connection, the run to undo and how, its reports read from
    the role's report directory, the rollback's own written in its rollbacks/."""
    report_dir = values.get('report_dir') or default_dir(playbook_dir, 'report_dir')
    report_dir = os.path.join(playbook_dir, os.path.expanduser(report_dir))
    args = options(values, CONNECTION, ROLLBACK)
    args.update(options(values, IMPORT, ROLLBACK))
    args.update((k, v) for k, v in options(values, UNDO, ROLLBACK).items() if v != '')
    args.update(from_report_dir=report_dir, report_dir=os.path.join(report_dir, 'rollbacks'))
    return args
