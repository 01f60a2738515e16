# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the sync role uses: its pre-flight, its direction (fencing) and its per-pair report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import sync_plan


def dr_sync_errors(pair, assets, filters=None, parallelism=None, wait_timeout=None, state_timeout=None, source=None,
                   request_timeout=None, request_retries=None):
    """Problems with the sync role's input, one line each naming the variable ([] when good)."""
    return sync_plan.input_errors(pair, assets, filters=filters, parallelism=parallelism, wait_timeout=wait_timeout,
                                  state_timeout=state_timeout, source=source, request_timeout=request_timeout,
                                  request_retries=request_retries)


def dr_sync_direction(resolution, source=None):
    """The pair's resolution (aml_dr_state_info) -> source, target, refusal, demotion."""
    if not isinstance(resolution, dict) or "active" not in resolution:
        raise AnsibleFilterError("dr_sync_direction expects the resolution aml_dr_state_info returns")
    return sync_plan.sync_direction(resolution, source or None)


def dr_sync_report(results, pair_name, direction, seconds=None, check_mode=False):
    """{asset type: registered copy result} -> the pair's summary (counts, RPO counts, problems)."""
    if not isinstance(results, dict):
        raise AnsibleFilterError("dr_sync_report expects a dict of asset type -> registered result")
    return sync_plan.sync_report(pair_name, direction, results, seconds=seconds, check_mode=check_mode)


class FilterModule(object):
    def filters(self):
        return {"dr_sync_errors": dr_sync_errors, "dr_sync_direction": dr_sync_direction,
                "dr_sync_report": dr_sync_report}
