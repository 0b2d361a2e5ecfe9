# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of xivo.confd.user_csv: converts a legacy user CSV on the controller."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.xivo.confd.plugins.module_utils import conversion
from ansible_collections.xivo.confd.plugins.module_utils.file_output import parse_mode
from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import canonical_encoding

ARGUMENT_SPEC = dict(
    src=dict(type='path', required=True),
    dest=dict(type='path', required=True),
    encoding=dict(type='str', default='auto'),
    unknown_columns=dict(type='str', default='fail', choices=['fail', 'drop']),
    column_map=dict(type='dict', default={}),
    defaults=dict(type='dict', default={}),
    invalid_rows=dict(type='str', default='fail', choices=['fail', 'skip']),
    mode=dict(type='raw', default='0600'),
    backup=dict(type='bool', default=False),
    newline_replacement=dict(type='str', default=' '),
    validate=dict(type='bool', default=True),
    max_reported=dict(type='int', default=1000),
)


class ActionModule(ActionBase):

    # Runs in the controller; ActionBase's defaults say the rest (check mode, no async, no files).
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        try:
            src = self._find_needle('files', args['src'])
        except AnsibleError as exc:
            result.update(failed=True, msg='src: %s' % to_text(exc.message))
            return result
        dest = os.path.expanduser(args['dest'])
        if not os.path.isabs(dest):
            dest = self._loader.path_dwim(dest)
        try:
            mode = parse_mode(args['mode'])
            if args['encoding'] not in ('auto', ''):
                canonical_encoding(args['encoding'])
        except (ValueError, LookupError) as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        for column in ('column_map', 'defaults'):
            for key, value in args[column].items():
                if isinstance(value, (dict, list)):
                    result.update(failed=True, msg='%s: the value of %r must be a string' % (column, key))
                    return result

        check_mode = bool(self._task.check_mode)
        want_diff = bool(self._task.diff)
        result.update(src=src, dest=dest, changed=False)
        result.update(conversion.convert_to_path(
            src, dest, encoding=args['encoding'], unknown_columns=args['unknown_columns'],
            column_map=args['column_map'], defaults=args['defaults'],
            invalid_rows=args['invalid_rows'], mode=mode, backup=args['backup'],
            newline_replacement=args['newline_replacement'], validate=args['validate'],
            max_reported=args['max_reported'], check_mode=check_mode, diff=want_diff))
        return result
