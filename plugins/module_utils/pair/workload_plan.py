# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workloads' plan per DR mode: what the sync keeps in the standby (online endpoints and
deployments), what the sync records in the standby's snapshot, and what the failover does in the
target (create, scale, traffic; clusters; jobs and schedules), with the failover report's rows.

Pure: no SDK and no I/O. The sync and failover roles read the workspaces (aml_online_endpoint_info,
aml_job_info, aml_schedule_info, aml_dr_snapshot_info) and hand the results here through the
``dr_workload_*`` filters; what comes back are the module arguments the roles apply.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.pair.layout import (
    DEFAULT_MODES, MODES, RESOURCE_CLASSES, mode_errors, standby_errors,
)

# What aml_job_copy resubmits by default: the jobs that had not finished.
UNFINISHED = ("NotStarted", "Queued", "Preparing", "Provisioning", "Starting", "Running", "Finalizing")
SNAPSHOT_NAME = "workloads"
SNAPSHOT_VERSION = 1
ML_NAMESPACE = "Microsoft.MachineLearningServices"
_WORKSPACE_ID = re.compile(r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices"
                           r"/workspaces/[^/]+)(/.+)?$", re.IGNORECASE)
ENDPOINT_KEYS = ("auth_mode", "description", "tags")
DEPLOYMENT_KEYS = ("model", "environment", "code_id", "scoring_script", "instance_type", "instance_count",
                   "environment_variables", "description", "tags")
REFERENCE_KEYS = ("model", "environment", "code_id")


class WorkloadError(ValueError):
    """Bad input to the plan: one line naming the field."""


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------

def pair_modes(pair):
    """The pair's mode per resource class, defaults filled in; a mode that does not exist raises
    (``modes.inference: 'warm' is not one of hot/hot, hot/warm, hot/cold``)."""
    modes = (pair or {}).get("modes") if isinstance(pair, dict) else None
    errors = mode_errors(modes)
    if errors:
        raise WorkloadError("; ".join(errors))
    out = dict(DEFAULT_MODES)
    out.update(modes or {})
    return out


def check_mode(mode, resource_class="inference"):
    if mode not in MODES:
        raise WorkloadError("modes.%s: '%s' is not one of %s" % (resource_class, mode, ", ".join(MODES)))
    return mode


def workload_errors(pair):
    """What the workloads need of the pair, one line each naming its key ([] when good): the modes,
    ``standby_instance_count``, ``compute_clusters[].standby_max_nodes`` (the same checks the pair's
    pre-flight runs, so the sync and failover roles refuse what provision refuses)."""
    if not isinstance(pair, dict):
        return ["the pair must be a dict (bcdr_pair), got %s" % type(pair).__name__]
    return mode_errors(pair.get("modes")) + standby_errors(pair)


def standby_count(pair):
    value = (pair or {}).get("standby_instance_count")
    return 1 if value is None else int(value)


def _workspace_id(workspace, option="target_workspace"):
    """An ML workspace's ARM ID, from the ID itself or {subscription_id, resource_group, name|workspace}."""
    if isinstance(workspace, dict):
        name = workspace.get("name") or workspace.get("workspace")
        missing = [k for k, v in (("subscription_id", workspace.get("subscription_id")),
                                  ("resource_group", workspace.get("resource_group")), ("name", name)) if not v]
        if missing:
            raise WorkloadError("%s: %s required" % (option, ", ".join(missing)))
        return "/subscriptions/%s/resourceGroups/%s/providers/%s/workspaces/%s" % (
            workspace["subscription_id"], workspace["resource_group"], ML_NAMESPACE, name)
    if isinstance(workspace, str):
        match = _WORKSPACE_ID.match(workspace)
        if match and not match.group(2):
            return workspace
    raise WorkloadError("%s: '%s' is not the ARM ID of an Azure ML workspace (or a dict with subscription_id, "
                        "resource_group and name)" % (option, workspace))


def _where(workspace_id):
    """The module options that name a workspace: {subscription_id, resource_group, workspace}."""
    parts = workspace_id.strip("/").split("/")
    return dict(subscription_id=parts[1], resource_group=parts[3], workspace=parts[-1])


def repoint(reference, workspace_id, option="model"):
    """A model, environment or code reference of the source, pointed at the same asset (name and
    version) in the target workspace: an ARM ID of a workspace asset (with or without ``azureml:``)
    gets the target workspace's ID; registry references (``azureml://registries/...`` or a registry's
    ARM ID) and ``name:version`` (the asset in the deployment's own workspace) stay as they are."""
    if reference is None:
        return None
    if not isinstance(reference, str) or not reference:
        raise WorkloadError("%s: must be a non-empty string, got %r" % (option, reference))
    prefix, rest = ("azureml:", reference[len("azureml:"):]) if reference.startswith("azureml:/subscriptions/") \
        else ("", reference)
    match = _WORKSPACE_ID.match(rest)
    if not match:
        return reference
    if not match.group(2):
        raise WorkloadError("%s: '%s' names a workspace, not an asset in it" % (option, reference))
    return prefix + workspace_id + match.group(2)


def _list(value, option):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise WorkloadError("%s: must be a list of dicts" % option)
    return value


def _endpoints(endpoints, option="endpoints"):
    """Check the endpoints as aml_online_endpoint_info returns them (each with its ``deployments``)."""
    out = []
    for index, endpoint in enumerate(_list(endpoints, option)):
        label = "%s[%d]" % (option, index)
        if not endpoint.get("name"):
            raise WorkloadError("%s.name: required" % label)
        for d_index, deployment in enumerate(_list(endpoint.get("deployments"), label + ".deployments")):
            d_label = "%s.deployments[%d]" % (label, d_index)
            if not deployment.get("name"):
                raise WorkloadError("%s.name: required" % d_label)
            count = deployment.get("instance_count")
            if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
                raise WorkloadError("%s.instance_count: must be a whole number, got %r" % (d_label, count))
        traffic = endpoint.get("traffic")
        if traffic is not None and not isinstance(traffic, dict):
            raise WorkloadError("%s.traffic: must be a dict of deployment -> percent" % label)
        out.append(endpoint)
    return out


def _by_name(items):
    return dict((i.get("name"), i) for i in items or [])


# ---------------------------------------------------------------------------------------------
# module arguments
# ---------------------------------------------------------------------------------------------

def endpoint_args(endpoint, where, traffic=None):
    """aml_online_endpoint's options for ``endpoint`` in the workspace ``where`` (``traffic`` only when given:
    omitted, the module keeps the split that is there)."""
    args = dict(where, name=endpoint["name"])
    for key in ENDPOINT_KEYS:
        if endpoint.get(key) is not None:
            args[key] = endpoint[key]
    if traffic is not None:
        args["traffic"] = dict(traffic)
    return args


def deployment_args(deployment, endpoint_name, where, workspace_id, instance_count=None, label="deployment"):
    """aml_online_deployment's options for the source's ``deployment`` in the target workspace: its
    model/environment/code pointed at the target's own assets, at ``instance_count`` (default: the source's)."""
    args = dict(where, name=deployment["name"], endpoint=endpoint_name)
    for key in DEPLOYMENT_KEYS:
        value = deployment.get(key)
        if key in REFERENCE_KEYS:
            value = repoint(value, workspace_id, "%s.%s" % (label, key))
        if value is not None and value != {}:
            args[key] = value
    if instance_count is not None:
        args["instance_count"] = int(instance_count)
    return args


# ---------------------------------------------------------------------------------------------
# the sync: the standby's endpoints per mode
# ---------------------------------------------------------------------------------------------

def sync_plan(endpoints, mode, standby_instance_count, target_workspace, target_endpoints=None, release=False):
    """The standby's endpoints and deployments, in step with the active's (``endpoints``, as
    aml_online_endpoint_info returns them) per ``mode`` (the pair's ``modes.inference``):

    - hot/hot: the same deployments, instance counts and traffic;
    - hot/warm: the same deployments at ``standby_instance_count`` (never more than the active's count)
      and no traffic (``traffic: {}``); the active's counts and split are in the snapshot;
    - hot/cold: nothing. With ``release`` (a failover handing the old active back to standby) the
      endpoints of ``target_endpoints`` that the active has too are listed under ``absent``.

    Returns ``{mode, endpoints, deployments, traffic, absent, counts}``: aml_online_endpoint options to apply
    first (no traffic: it must name deployments that exist), aml_online_deployment options, then the
    endpoints' traffic; ``counts`` for the sync's summary.
    """
    check_mode(mode)
    count = _count(standby_instance_count)
    workspace_id = _workspace_id(target_workspace)
    where = _where(workspace_id)
    source = _endpoints(endpoints)
    target = _by_name(_endpoints(target_endpoints, "target_endpoints"))
    plan = dict(mode=mode, endpoints=[], deployments=[], traffic=[], absent=[])
    if mode == "hot/cold":
        if release:
            plan["absent"] = [dict(where, name=e["name"]) for e in source if e["name"] in target]
    else:
        for index, endpoint in enumerate(source):
            plan["endpoints"].append(endpoint_args(endpoint, where))
            for d_index, deployment in enumerate(endpoint.get("deployments") or []):
                wanted = deployment.get("instance_count")
                if mode == "hot/warm":
                    wanted = min(count, wanted) if wanted else count
                plan["deployments"].append(deployment_args(
                    deployment, endpoint["name"], where, workspace_id, wanted,
                    label="endpoints[%d].deployments[%d]" % (index, d_index)))
            traffic = dict(endpoint.get("traffic") or {}) if mode == "hot/hot" else {}
            plan["traffic"].append(dict(where, name=endpoint["name"], traffic=traffic))
    plan["counts"] = dict(endpoints=len(plan["endpoints"]), deployments=len(plan["deployments"]),
                          absent=len(plan["absent"]))
    return plan


def _count(value):
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WorkloadError("standby_instance_count: must be a whole number of at least 1, got %r" % (value,))
    return value


def _stable_endpoint(endpoint):
    """An endpoint as the snapshot keeps it: what a failover needs, without what changes on its own
    (provisioning states), so that a sync with nothing new rewrites nothing."""
    out = dict((k, v) for k, v in endpoint.items() if k not in ("provisioning_state", "deployments"))
    out["deployments"] = [dict((k, v) for k, v in d.items() if k != "provisioning_state")
                          for d in endpoint.get("deployments") or []]
    return out


def snapshot_content(source, source_workspace, modes, endpoints, jobs=None, schedules=None):
    """What the sync writes to the standby (aml_dr_snapshot ``workloads``): the active's endpoints (counts
    and traffic as they run there), its unfinished jobs and its schedules, as their info modules return
    them, so that a failover can act without the active region."""
    modes = dict(DEFAULT_MODES, **(modes or {}))
    errors = mode_errors(modes)
    if errors:
        raise WorkloadError("; ".join(errors))
    jobs = [j for j in _list(jobs, "jobs") if j.get("status") in UNFINISHED]
    return dict(version=SNAPSHOT_VERSION, source=source, source_workspace=_workspace_id(source_workspace,
                                                                                        "source_workspace"),
                modes=dict((k, modes[k]) for k in RESOURCE_CLASSES),
                endpoints=[_stable_endpoint(e) for e in _endpoints(endpoints)],
                jobs=sorted(jobs, key=lambda j: j.get("name") or ""),
                schedules=sorted(_list(schedules, "schedules"), key=lambda s: s.get("name") or ""))


# ---------------------------------------------------------------------------------------------
# the failover: the target takes the workloads
# ---------------------------------------------------------------------------------------------

def failover_plan(facts):
    """What the failover does to the workloads in the target, after the switch.

    ``facts``: ``modes`` ({inference, training}), ``target_workspace`` (ID or dict), ``snapshot`` (the content
    the last sync wrote to the target, or None), ``live`` (what the old active answered: {endpoints}, or None
    when it did not answer), ``target_endpoints`` (the target's endpoints now, or None:
    not read), ``clusters`` (the target's clusters in the layout with the target active),
    ``standby_instance_count``.

    The endpoints come from the old active when it answered, else from the snapshot. Per endpoint, the
    ``action``: ``create`` (it, or a deployment, is missing in the target: hot/cold), ``scale`` (a deployment
    runs at another count: hot/warm, to the recorded count), ``traffic`` (only the split: hot/hot); ``pending``:
    something to wait for or to set (false: the target already serves it as recorded). Returns
    ``{modes, source, endpoints: [{name, action, pending, deployments}], create_endpoints, deployments, traffic,
    clusters, jobs, jobs_source, schedules, notes}``: ``create_endpoints`` (aml_online_endpoint options, to
    wait for before the deployments), ``deployments`` (only those to change when the target was read),
    ``traffic`` (the recorded splits), ``clusters`` (aml_compute's scale per cluster and its ``action``),
    ``jobs``/``schedules`` (the snapshot's, for aml_job_copy/aml_schedule_copy when the old active did not
    answer; None: they read it themselves).
    """
    modes = dict(DEFAULT_MODES, **((facts or {}).get("modes") or {}))
    errors = mode_errors(modes)
    if errors:
        raise WorkloadError("; ".join(errors))
    workspace_id = _workspace_id(facts.get("target_workspace"))
    where = _where(workspace_id)
    snapshot = facts.get("snapshot")
    if snapshot is not None and not isinstance(snapshot, dict):
        raise WorkloadError("snapshot: must be the snapshot's content (a dict) or null")
    live = facts.get("live")
    notes = []
    if live is not None and live.get("endpoints") is not None:
        source, recorded = "live", _endpoints(live.get("endpoints"), "live.endpoints")
    elif snapshot is not None:
        source, recorded = "snapshot", _endpoints(snapshot.get("endpoints"), "snapshot.endpoints")
    else:
        source, recorded = "none", []
        notes.append("no snapshot of the workloads in the target and the old active did not answer: endpoints, jobs "
                     "and schedules were not moved (run the sync once the pair is up, or recreate them by hand)")
    known = facts.get("target_endpoints")
    target = _by_name(_endpoints(known, "target_endpoints"))

    plan = dict(modes=modes, source=source, endpoints=[], create_endpoints=[], deployments=[], traffic=[],
                notes=notes)
    for index, endpoint in enumerate(recorded):
        there = target.get(endpoint["name"])
        there_deployments = _by_name((there or {}).get("deployments"))
        changes, action = [], "traffic"
        if known is None or there is None:
            plan["create_endpoints"].append(endpoint_args(endpoint, where))
        if known is not None and there is None:
            action = "create"
        for d_index, deployment in enumerate(endpoint.get("deployments") or []):
            have = there_deployments.get(deployment["name"])
            args = deployment_args(deployment, endpoint["name"], where, workspace_id,
                                   label="%s.endpoints[%d].deployments[%d]" % (source, index, d_index))
            if known is not None and have is None:
                action = "create"
            elif known is not None and have.get("instance_count") != deployment.get("instance_count"):
                action = "scale" if action != "create" else action
            elif known is not None:
                continue  # already as recorded
            changes.append(args)
        if known is None:
            action = {"hot/hot": "traffic", "hot/warm": "scale", "hot/cold": "create"}[modes["inference"]]
        plan["deployments"] += changes
        traffic = dict(endpoint.get("traffic") or {})
        plan["traffic"].append(dict(where, name=endpoint["name"], traffic=traffic))
        # nothing to wait for or to set: the target already serves it as recorded (a hot/hot target the sync
        # kept in step, a rerun)
        pending = known is None or there is None or bool(changes) or \
            _live_traffic(traffic) != _live_traffic(there.get("traffic"))
        plan["endpoints"].append(dict(name=endpoint["name"], action=action, pending=pending,
                                      deployments=[d["name"] for d in changes]))

    plan["clusters"] = cluster_plan(facts.get("clusters"), modes["training"])
    # The old active answered: aml_job_copy and aml_schedule_copy read it themselves (and disable its
    # schedules); else they take the snapshot's lists.
    from_snapshot = live is None
    plan["jobs_source"] = "snapshot" if from_snapshot else "live"
    plan["jobs"] = list((snapshot or {}).get("jobs") or []) if from_snapshot else None
    plan["schedules"] = list((snapshot or {}).get("schedules") or []) if from_snapshot else None
    return plan


def _live_traffic(traffic):
    """A split as it routes requests: lower-cased names with a share above 0."""
    return dict((str(k).lower(), int(v)) for k, v in (traffic or {}).items() if int(v or 0) > 0)


def cluster_plan(clusters, mode):
    """The target's clusters after the switch (the layout with the target active: each at its ``max_nodes``),
    each with the ``action`` the mode implies: ``scale`` (hot/warm: up from ``standby_max_nodes``), ``create``
    (hot/cold: the standby had none), ``none`` (hot/hot: already as asked)."""
    check_mode(mode, "training")
    action = {"hot/hot": "none", "hot/warm": "scale", "hot/cold": "create"}[mode]
    out = []
    for cluster in _list(clusters, "clusters"):
        if cluster.get("resource_class", "training") != "training":
            continue  # inference clusters follow modes.inference: the sync and provision keep them
        out.append(dict(cluster, action=action))
    return out


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------

def report_rows(plan, target_endpoints, seconds=None):
    """The failover report's rows, one per endpoint the plan moved: ``{endpoint, action, provisioning_state,
    scoring_uri, seconds}``, the state and URI as the target answered after the moves (``target_endpoints``),
    ``seconds`` ({endpoint: seconds from the start of the workloads step until it was seen done})."""
    target = _by_name(_endpoints(target_endpoints, "target_endpoints"))
    seconds = seconds or {}
    rows = []
    for entry in plan.get("endpoints") or []:
        there = target.get(entry["name"]) or {}
        states = [there.get("provisioning_state")] + [d.get("provisioning_state") for d in there.get("deployments") or []]
        failed = [s for s in states if s not in ("Succeeded",)]
        row = dict(endpoint=entry["name"], action=entry["action"],
                   provisioning_state=(failed[0] if failed else "Succeeded") if there else "Missing",
                   scoring_uri=there.get("scoring_uri"),
                   seconds=round(float(seconds[entry["name"]]), 3) if seconds.get(entry["name"]) is not None
                   else None)
        rows.append(row)
    return rows


def schedules_report(copy_result):
    """aml_schedule_copy's result -> the names per outcome, and why a schedule was not copied."""
    result = copy_result or {}
    names = dict((key, [i.get("name") for i in result.get(key) or []])
                 for key in ("created", "updated", "unchanged", "disabled_in_source", "source_not_disabled"))
    names["not_copied"] = [dict(name=i.get("name"), reason=i.get("reason")) for i in result.get("not_copied") or []]
    names["error"] = result.get("msg") if result.get("failed") else None
    return names


def workloads_report(plan, target_endpoints, seconds=None, jobs=None, schedules=None, profiles=None):
    """What the failover report keeps of the workloads step: ``endpoints`` (``report_rows``), ``jobs``
    (``jobs_report``), ``schedules``, ``clusters`` ({name, action, max_nodes}), ``traffic_manager`` (each
    profile's endpoint statuses), ``source`` and ``notes``."""
    return dict(
        source=plan.get("source"), notes=list(plan.get("notes") or []),
        endpoints=report_rows(plan, target_endpoints, seconds=seconds),
        jobs=jobs_report(jobs, plan) if jobs is not None else None,
        schedules=schedules_report(schedules) if schedules is not None else None,
        clusters=[dict(name=c.get("name"), action=c.get("action"), max_nodes=c.get("max_nodes"))
                  for c in plan.get("clusters") or []],
        traffic_manager=[dict(name=p.get("name"), endpoints=dict((e.get("name"), e.get("status"))
                                                                 for e in p.get("endpoints") or []))
                         for p in profiles or []])


def jobs_report(copy_result, plan=None):
    """aml_job_copy's result -> ``{source, resubmitted: [names], unchanged: [names], not_resubmitted:
    [{name, reason}]}`` (conflicts are not resubmitted: listed with why)."""
    result = copy_result or {}
    not_resubmitted = [dict(name=i.get("name"), reason=i.get("reason")) for i in result.get("not_resubmitted") or []]
    not_resubmitted += [dict(name=i.get("name"), reason=i.get("reason") or "a job of that name is already in the "
                             "target and was not resubmitted from the source")
                        for i in result.get("conflicts") or []]
    not_resubmitted += [dict(name=i.get("name"), reason="the submission failed: %s" % i.get("error"))
                        for i in result.get("failed_items") or []]
    if result.get("failed") and result.get("msg") and not not_resubmitted:
        not_resubmitted.append(dict(name=None, reason=result["msg"]))
    return dict(source=(plan or {}).get("jobs_source"),
                resubmitted=[i.get("name") for i in result.get("resubmitted") or []],
                unchanged=[i.get("name") for i in result.get("unchanged") or []],
                not_resubmitted=not_resubmitted)


def sync_outcome(plan, snapshot, endpoints=None, deployments=None, traffic=None, standby=None):
    """The sync's workloads step as the sync report counts a copy module's result: ``copied`` (what was
    written: the snapshot, endpoints, deployments, traffic), ``unchanged``, ``failed_items`` (a deployment
    whose write failed or that ended ``Failed`` in the standby), ``summary`` and ``covered`` (endpoints and
    deployments in step, plus the snapshot). Each argument but ``plan``/``standby`` is a registered result
    (a loop's ``results`` for the three lists); ``standby``: the standby's endpoints after the wait, or None."""
    out = dict(copied=[], unchanged=[], failed_items=[])

    def add(key, result):
        result = result or {}
        if result.get("failed"):
            out["failed_items"].append(dict(key=key, error=result.get("msg") or "failed"))
        elif result.get("changed"):
            out["copied"].append(dict(key=key))
        elif not result.get("skipped"):
            out["unchanged"].append(dict(key=key))

    add("snapshot workloads", snapshot)
    for result in endpoints or []:
        add("endpoint %s" % (result.get("item") or {}).get("name"), result)
    for result in deployments or []:
        item = result.get("item") or {}
        add("deployment %s/%s" % (item.get("endpoint"), item.get("name")), result)
    for result in traffic or []:
        item = result.get("item") or {}
        add("traffic %s" % item.get("name"), result)
    if standby is not None:
        there = _by_name(standby)
        for args in plan.get("deployments") or []:
            deployment = _by_name((there.get(args["endpoint"]) or {}).get("deployments")).get(args["name"]) or {}
            if deployment.get("provisioning_state") in ("Failed", "Canceled"):
                out["failed_items"].append(dict(key="deployment %s/%s" % (args["endpoint"], args["name"]),
                                                error="its provisioning state in the standby is %s"
                                                % deployment["provisioning_state"]))
    out["summary"] = dict(failed=len(out["failed_items"]), copied=len(out["copied"]), unchanged=len(out["unchanged"]))
    # what the RPO record says the sync covered: endpoints and deployments in step, and the snapshot
    out["containers"] = dict(selected=len(plan.get("endpoints") or []) + len(plan.get("deployments") or []) + 1)
    out["workloads"] = out["copied"] + out["unchanged"] + out["failed_items"]
    return out
