# -*- coding: utf-8 -*-
# Test-only callback: records every task result (by task name and host) as JSON in the file
# named by XIVO_CONFD_RESULTS, so the tests read what Ansible really returned.
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: record_results
type: aggregate
short_description: write task results to a JSON file (xivo.confd tests only)
description: Writes the results of every task to the file named by XIVO_CONFD_RESULTS.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'record_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = {}
        self.seconds = {}      # task name -> [its start, its last result] (monotonic clock)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.seconds.setdefault(task.get_name(), [time.monotonic(), time.monotonic()])

    def _record(self, result, **flags):
        data = dict(result._result)
        data.update(flags)
        self.results.setdefault(result._task.get_name(), {})[result._host.get_name()] = data
        if result._task.get_name() in self.seconds:
            self.seconds[result._task.get_name()][1] = time.monotonic()

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('XIVO_CONFD_RESULTS')
        if path:
            with open(path, 'w') as handle:
                json.dump(self.results, handle, default=str)
        path = os.environ.get('XIVO_CONFD_TASK_SECONDS')
        if path:
            # The time from each task's start to its last result (the benchmarks' split).
            with open(path, 'w') as handle:
                json.dump(dict((k, v[1] - v[0]) for k, v in self.seconds.items()), handle)
