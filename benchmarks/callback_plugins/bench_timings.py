# -*- coding: utf-8 -*-
# Copyright: (c) 2025, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: one JSON line per playbook, task and result, with wall-clock times.

Enabled by benchmarks/bench.py (ANSIBLE_CALLBACK_PLUGINS=benchmarks/callback_plugins,
ANSIBLE_CALLBACKS_ENABLED=bench_timings); writes to the file named by BENCH_TIMINGS_FILE.
Times are time.time() in the ansible-playbook process, the clock the API server's audit
log uses, so "the task returned" can be compared with "the pod became Ready".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_timings
type: aggregate
short_description: Task start and end times as JSON lines, for benchmarks/bench.py
description:
  - Writes one JSON line per playbook start, task start, task result and playbook end to the
    file named by the environment variable E(BENCH_TIMINGS_FILE).
requirements:
  - enabled in callbacks_enabled
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timings"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        path = os.environ.get("BENCH_TIMINGS_FILE")
        self._out = open(path, "a") if path else None  # pylint: disable=consider-using-with

    def _emit(self, **record):
        if self._out is None:
            return
        record["t"] = time.time()
        self._out.write(json.dumps(record, sort_keys=True) + "\n")
        self._out.flush()

    @staticmethod
    def _task(task):
        role = getattr(task, "_role", None)
        return {
            "task": task.get_name(),
            "uuid": task._uuid,  # pylint: disable=protected-access
            "action": task.action,
            "role": role.get_name() if role else None,
            "path": task.get_path(),
        }

    def _result(self, kind, result):
        task = result._task  # pylint: disable=protected-access
        res = result._result  # pylint: disable=protected-access
        self._emit(event="result", status=kind, changed=bool(res.get("changed")), **self._task(task))

    def v2_playbook_on_start(self, playbook):
        self._emit(event="playbook_start", playbook=getattr(playbook, "_file_name", None))

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit(event="task_start", **self._task(task))

    def v2_playbook_on_handler_task_start(self, task):
        self._emit(event="task_start", handler=True, **self._task(task))

    def v2_runner_on_ok(self, result):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        self._emit(event="playbook_end")
