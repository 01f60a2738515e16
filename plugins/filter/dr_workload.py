# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the sync and failover roles use for the workloads (online endpoints, clusters, jobs, schedules)
per DR mode: pure, on pair/workload_plan.py; a bad input fails the task with one line naming the field."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import workload_plan as wp


def _run(name, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except wp.WorkloadError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc))


def dr_workload_errors(pair):
    """What the workloads need of the pair (modes, standby_instance_count, compute_clusters[].standby_max_nodes),
    one line each naming the key; [] when good."""
    return wp.workload_errors(pair)


def dr_workload_sync(endpoints, mode, standby_instance_count, target_workspace, target_endpoints=None,
                     release=False):
    """The active's endpoints (aml_online_endpoint_info) -> the standby's endpoint, deployment and traffic
    options per mode (``workload_plan.sync_plan``)."""
    return _run("dr_workload_sync", wp.sync_plan, endpoints, mode, standby_instance_count, target_workspace,
                target_endpoints=target_endpoints, release=release)


def dr_workload_snapshot(endpoints, source, source_workspace, modes, jobs=None, schedules=None):
    """What the sync records in the standby's ``workloads`` snapshot (``workload_plan.snapshot_content``)."""
    return _run("dr_workload_snapshot", wp.snapshot_content, source, source_workspace, modes, endpoints,
                jobs=jobs, schedules=schedules)


def dr_workload_failover(facts):
    """The failover's facts (modes, target workspace, snapshot, the old active's live state, the target's
    endpoints and clusters) -> what the failover does per endpoint and cluster (``workload_plan.failover_plan``)."""
    if not isinstance(facts, dict):
        raise AnsibleFilterError("dr_workload_failover expects a dict, got %s" % type(facts).__name__)
    return _run("dr_workload_failover", wp.failover_plan, facts)


def dr_workload_report(plan, target_endpoints, seconds=None, jobs=None, schedules=None, profiles=None):
    """What the failover report keeps of the workloads: ``endpoints`` rows, ``jobs``, ``schedules``, ``clusters``,
    ``traffic_manager``, ``source``, ``notes`` (``workload_plan.workloads_report``)."""
    if not isinstance(plan, dict):
        raise AnsibleFilterError("dr_workload_report expects the plan dr_workload_failover returned")
    return _run("dr_workload_report", wp.workloads_report, plan, target_endpoints, seconds=seconds, jobs=jobs,
                schedules=schedules, profiles=profiles)


def dr_workload_outcome(plan, snapshot, endpoints=None, deployments=None, traffic=None, standby=None):
    """The sync's workloads step as the sync report counts a copy module's result (``workload_plan.sync_outcome``)."""
    if not isinstance(plan, dict):
        raise AnsibleFilterError("dr_workload_outcome expects the plan dr_workload_sync returned")
    return wp.sync_outcome(plan, snapshot, endpoints=endpoints, deployments=deployments, traffic=traffic,
                           standby=standby)


class FilterModule(object):
    def filters(self):
        return {"dr_workload_errors": dr_workload_errors, "dr_workload_sync": dr_workload_sync,
                "dr_workload_snapshot": dr_workload_snapshot, "dr_workload_failover": dr_workload_failover,
                "dr_workload_report": dr_workload_report, "dr_workload_outcome": dr_workload_outcome}
