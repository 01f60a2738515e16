# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the failover role uses: its input check, its plan, config.json and its report.

Pure: each filter hands plain data to pair/dr_state.py and pair/failover_plan.py and returns plain
data (JSON-safe, so that it survives Ansible's templating and the report file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds
from ansible_collections.amlops.bcdr.plugins.module_utils.pair import failover_plan as fp

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _bool(value):
    """Extra vars arrive as strings (-e force=true): the usual spellings -> bool, others unchanged."""
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    return value


def _int(value):
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _blank(value):
    return value is None or (isinstance(value, str) and value.strip() == "")


def dr_failover_errors(options):
    """One line per bad option of the failover (empty when good), each naming the option:
    ``target``, ``max_rpo``, ``force``, ``timeout``, ``retries``, ``pair`` (the inventory's
    ``bcdr_pair``), ``destinations`` (paths or {host, path}), ``hooks`` (task files)."""
    if not isinstance(options, dict):
        raise AnsibleFilterError("dr_failover_errors expects a dict, got %s" % type(options).__name__)
    params = dict(target=options.get("target"), force=_bool(options.get("force")),
                  timeout=_int(options.get("timeout")))
    if not _blank(options.get("max_rpo")):
        params["max_rpo"] = options["max_rpo"]
    errors = ds.input_errors(params)
    retries = _int(options.get("retries"))
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
        errors.append("retries: must be a non-negative integer, got %s" % (retries,))
    pair = options.get("pair")
    if not isinstance(pair, dict):
        errors.append("bcdr_pair: the inventory host needs the pair (a dict with name, primary_region, "
                      "secondary_region)")
    else:
        missing = [k for k in ("name", "primary_region", "secondary_region") if not pair.get(k)]
        if missing:
            errors.append("bcdr_pair: %s required" % ", ".join(missing))
    errors.extend(_destination_errors(options.get("destinations")))
    hooks = options.get("hooks")
    if hooks is not None and (not isinstance(hooks, list) or not all(isinstance(h, str) and h for h in hooks)):
        errors.append("failover_hooks: must be a list of task file paths")
    if _blank(options.get("report_dir")):
        errors.append("failover_report_dir: required (a directory on the controller for the JSON reports)")
    return errors


def _destination_errors(destinations):
    if destinations is None:
        return []
    if not isinstance(destinations, list):
        return ["failover_config_destinations: must be a list of paths or {host, path} dicts"]
    errors = []
    for index, dest in enumerate(destinations):
        label = "failover_config_destinations[%d]" % index
        path = dest.get("path") if isinstance(dest, dict) else dest
        if isinstance(dest, dict):
            unknown = sorted(k for k in dest if k not in ("host", "path", "mode", "owner", "group"))
            if unknown:
                errors.append("%s: unknown key %s (known: host, path, mode, owner, group)" % (label, ", ".join(unknown)))
            if not dest.get("host"):
                errors.append("%s.host: required (the inventory host the file is written on)" % label)
            label += ".path"
        elif not isinstance(dest, str):
            errors.append("%s: must be a path or a {host, path} dict" % label)
            continue
        if not isinstance(path, str) or not path:
            errors.append("%s: required" % label)
        elif not (path.startswith("/") or path.startswith("~")):
            errors.append("%s: '%s' must be an absolute path (a relative one depends on where the playbook runs)"
                          % (label, path))
    return errors


def dr_config_json(workspace):
    """{subscription_id, resource_group, name} (or workspace_name) -> config.json's content."""
    if not isinstance(workspace, dict):
        raise AnsibleFilterError("dr_config_json expects a dict, got %s" % type(workspace).__name__)
    workspace = dict(workspace)
    workspace.setdefault("name", workspace.get("workspace_name"))
    try:
        return fp.config_json(workspace)
    except ds.StateError as exc:
        raise AnsibleFilterError("dr_config_json: %s" % exc)


def _now(value):
    if isinstance(value, datetime.datetime):
        return value
    try:
        return ds.parse_time(value, "now")
    except ds.StateError as exc:
        raise AnsibleFilterError("dr_failover_plan: %s" % exc)


def dr_failover_plan(facts):
    """The failover's facts, as the role gathers them, -> ``failover_plan.plan_failover``'s plan.

    ``facts``: ``target``; ``active`` (the ``amlops.bcdr.active_workspace`` lookup's result: both
    sides read best effort); ``now`` (ISO-8601 UTC); ``max_rpo``; ``force``; ``sync_first``;
    ``compute`` ({expected, present} or None); ``quota`` ({ok, message} or None); ``registry``
    ({name, location, home, replica, error} or None); ``destinations``; ``hooks``."""
    if not isinstance(facts, dict) or not isinstance(facts.get("active"), dict):
        raise AnsibleFilterError("dr_failover_plan expects a dict with the active_workspace lookup's result "
                                 "under 'active'")
    active = facts["active"]
    target = facts.get("target")
    sides = active.get("sides") or {}
    workspaces = dict((role, dict(subscription_id=(sides.get(role) or {}).get("subscription_id"),
                                  resource_group=(sides.get(role) or {}).get("resource_group"),
                                  name=(sides.get(role) or {}).get("name")))
                      for role in ds.ROLES)
    plan_facts = dict(
        target=target, resolution=active["resolution"], now=_now(facts.get("now")),
        max_rpo=None if _blank(facts.get("max_rpo")) else facts["max_rpo"],
        force=bool(_bool(facts.get("force"))), sync_first=bool(_bool(facts.get("sync_first"))),
        workspaces=workspaces,
        target_workspace=dict(provisioning_state=(sides.get(target) or {}).get("provisioning_state")),
        compute=facts.get("compute"), quota=facts.get("quota"), registry=facts.get("registry"),
        destinations=[_label(d) for d in facts.get("destinations") or []], hooks=list(facts.get("hooks") or []),
    )
    try:
        plan = fp.plan_failover(plan_facts)
    except ds.StateError as exc:
        raise AnsibleFilterError("dr_failover_plan: %s" % exc)
    plan["config"] = fp.config_json(workspaces[target]) if target in workspaces and \
        all(workspaces[target].values()) else None
    plan["old_active"] = active["resolution"]["active"] if active["resolution"]["active"] != target \
        else ds.other_role(target)
    return plan


def _label(destination):
    """A destination as the report names it: 'path' or 'host:path'."""
    if isinstance(destination, dict):
        return "%s:%s" % (destination.get("host"), destination.get("path"))
    return destination


def dr_failover_report(report, steps, started, finished_at, demote_failures=None, hook_failures=None, human=None,
                       workloads=None, workload_failures=None):
    """Fill the plan's report skeleton with what the run did (``failover_plan.fill_report``).

    ``steps``: ``{step, role, status, detail, at}`` in the order they ended; ``started``: POSIX seconds
    the run started; ``finished_at``: ISO-8601 UTC; ``human``: more lines for a human; ``demote_failures``: ``{role, reason, claim}`` for a
    demotion that did not go through; ``hook_failures``: ``{hook, msg}``; ``workloads``: the workloads step's outcome
    (``dr_workload_report``), ``workload_failures``: ``{task, msg}`` of what did not go through there."""
    skipped, human = [], list(human or [])
    for failure in demote_failures or []:
        entry, todo = fp.demote_skipped(failure["role"], failure.get("reason") or "no answer",
                                        failure.get("claim") or "its old claim")
        skipped.append(entry)
        human.append(todo)
    for failure in hook_failures or []:
        human.append("hook %s failed (%s): do by hand what it does" % (failure.get("hook"), failure.get("msg")))
    report = fp.fill_report(dict(report), [dict(s) for s in steps], started, _now(finished_at),
                            skipped=skipped, human=human)
    report["hook_failures"] = [dict(f) for f in hook_failures or []]
    if workloads is not None:
        fp.add_workloads(report, workloads, failures=workload_failures)
    elif workload_failures:
        for failure in workload_failures:
            report["human"].append("workloads: %s failed (%s): do it by hand" % (failure.get("task"), failure.get("msg")))
    report["workload_failures"] = [dict(f) for f in workload_failures or []]
    return report


def dr_failover_summary(report):
    """The report as a list of lines."""
    return fp.summary_lines(report)


class FilterModule(object):
    def filters(self):
        return {"dr_failover_errors": dr_failover_errors, "dr_failover_plan": dr_failover_plan,
                "dr_config_json": dr_config_json, "dr_failover_report": dr_failover_report,
                "dr_failover_summary": dr_failover_summary}
