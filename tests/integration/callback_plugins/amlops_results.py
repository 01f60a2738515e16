# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: writes every task result and the final stats as JSON lines.

The integration tests read this file instead of parsing human output, so that a test can say
"this task reported changed" precisely. The results pass through Ansible's own no_log handling
before they reach a callback, as they would reach AWX's job events.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: amlops_results
type: aggregate
short_description: Write task results as JSON lines (amlops.bcdr integration tests)
description:
  - Appends one JSON object per task result, and the play stats at the end, to the file named by
    the E(AMLOPS_RESULTS_FILE) environment variable.
requirements:
  - enable in configuration
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "amlops_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, record):
        path = os.environ.get("AMLOPS_RESULTS_FILE")
        if path:
            with open(path, "a") as fh:
                fh.write(json.dumps(record, default=str) + "\n")

    def _result(self, status, result):
        cleaned = dict(result._result)
        self._clean_results(cleaned, result._task.action)
        self._write(dict(
            kind="task", status=status, host=result._host.get_name(),
            task=result._task.get_name(), action=result._task.action, result=cleaned,
        ))

    def v2_runner_on_ok(self, result):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed.keys())
        self._write(dict(kind="stats", hosts={h: stats.summarize(h) for h in hosts}))
