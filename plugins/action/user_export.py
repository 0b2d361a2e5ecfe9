# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.user_export (documented in modules/)."""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.confd_csv import users_body
from ansible_collections.xivo.confd.plugins.module_utils.file_output import write_private_file
from ansible_collections.xivo.confd.plugins.module_utils.secrets import mask_row
from ansible_collections.xivo.confd.plugins.plugin_utils.confd_action import ConfdActionBase


class ActionModule(ConfdActionBase):

    ARGSPEC = dict(
        dest=dict(type='path'),
        reveal_secrets=dict(type='bool', default=False),
    )

    def run_confd(self, client, args, task_vars, result):
        headers, users = client.export_users()
        out = dict(changed=False, count=len(users),
                   users=[mask_row(user, reveal=args['reveal_secrets']) for user in users])
        if args['dest']:
            dest = self.local_path(args['dest'])
            out['dest'] = dest
            # The backup keeps the secrets: it must be able to restore the users. Never
            # written through a link; a directory others can write to is named in a warning.
            warnings = []
            out['changed'] = write_private_file(dest, users_body(headers, users),
                                                check_mode=self._task.check_mode,
                                                warnings=warnings)
            if warnings:
                out['warnings'] = warnings
        return out
