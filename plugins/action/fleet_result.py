# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side implementation of xivo.confd.fleet_result (documented in modules/): one
server's own result of a fleet_import run, so that the recap shows it per host."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ansible.plugins.action import ActionBase

from ansible_collections.xivo.confd.plugins.module_utils import fleet, fleet_summary
from ansible_collections.xivo.confd.plugins.module_utils.file_output import read_private_file


class ActionModule(ActionBase):

    # Runs in the controller; ActionBase's defaults say the rest (check mode, no async, no files).
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(
            argument_spec=dict(run_dir=dict(type='path'), from_result=dict(type='str')),
            mutually_exclusive=[('run_dir', 'from_result')],
            required_one_of=[('run_dir', 'from_result')])
        task_vars = task_vars or {}
        host = task_vars.get('inventory_hostname')
        if args['from_result']:
            registered = task_vars.get(args['from_result'])
            run_dir = registered.get('run_dir') if isinstance(registered, Mapping) else None
            if not run_dir:
                result.update(failed=True, msg='%s: the variable %s holds no result of '
                              'xivo.confd.fleet_import (no run_dir)' % (host, args['from_result']))
                return result
            args['run_dir'] = str(run_dir)
        try:
            # Read without following a link planted at it or in a directory the role makes.
            text = read_private_file(fleet.outcome_path(args['run_dir'], host),
                                     base=args['run_dir'])
            if text is None:
                raise OSError('no such file')
            outcome = json.loads(text.decode('utf-8'))
        except (OSError, ValueError) as exc:
            result.update(failed=True, msg='%s: no outcome in %s (%s): was xivo.confd.fleet_import '
                                           'run for this host?' % (host, args['run_dir'], exc))
            return result
        result.update(fleet_summary.host_result(outcome, diff=bool(self._task.diff)))
        return result
