# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover's plan: pre-checks on the target -> the ordered steps -> the report skeleton.

Pure: no SDK and no I/O. The failover role gathers the facts (both workspaces' state tags read
best effort, the target workspace, its compute, quota, the registry's replica in the target
region) and hands them to ``plan_failover``, which decides, in one table:

- refuse (one clear line): the target did not answer or is not usable, or a pre-check failed
  (RPO over ``max_rpo``, missing compute, quota, registry replica) and ``force`` is off;
- ``none``: the target is already active at the winning epoch and the other side agrees (or is
  unreachable): nothing to switch (the config files are still checked: writing them is idempotent);
- ``demote``: the target is already active, but the other side answered with a stale claim:
  write the winning claim there (fencing), nothing else;
- ``switch``: (sync from the old active first when it answers and the caller asks), write the new
  claim in the target, demote the old active if it answers (else listed as skipped), write the
  config.json destinations, run the hooks, report.

The report is a plain dict the caller fills in (``record_step`` adds each step's seconds), keeps
as JSON and prints as a summary.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.pair.dr_state import (
    ROLES, TAG_EPOCH, StateError, demote_tags, format_duration, format_time, other_role, parse_max_rpo, parse_time,
    switch_tags,
)

CHECKS = ("workspace", "rpo", "compute", "quota", "registry")


def config_json(workspace):
    """What ``MLClient.from_config()`` (azure-ai-ml) and SDK v1's ``Workspace.from_config()`` read
    from config.json: the workspace's subscription, resource group and name."""
    missing = [k for k in ("subscription_id", "resource_group", "name") if not (workspace or {}).get(k)]
    if missing:
        raise StateError("workspace: %s required to write config.json" % ", ".join(missing))
    return {"subscription_id": workspace["subscription_id"], "resource_group": workspace["resource_group"],
            "workspace_name": workspace["name"]}


def _check(name, ok, detail, blocking=True):
    """One pre-check's outcome; ``blocking``: a failure stops the failover unless forced."""
    return dict(name=name, ok=bool(ok), blocking=bool(blocking) and not ok, detail=detail)


def _workspace_label(facts, role):
    ws = (facts.get("workspaces") or {}).get(role) or {}
    return "the %s workspace%s" % (role, " %s" % ws["name"] if ws.get("name") else "")


def precheck(facts):
    """The pre-checks on the target, in order; each ``{name, ok, blocking, detail}``.

    ``facts``: ``target``, ``resolution`` (dr_state.resolve_active), ``now`` (datetime),
    ``max_rpo`` (duration or None), ``sync_first`` (the old active is synced into the target first),
    ``target_workspace`` ({provisioning_state}), ``compute`` ({expected: [names], present: [names]}
    or None: not checked), ``quota`` ({ok, message} or None), ``registry`` ({name, location,
    replica: {provisioning_state, status} or None} or None: no registry to check).
    """
    target = facts["target"]
    resolution = facts["resolution"]
    side = resolution["sides"][target]
    checks = []

    state = ((facts.get("target_workspace") or {}).get("provisioning_state"))
    checks.append(_check("workspace", state == "Succeeded",
                         "%s is %s" % (_workspace_label(facts, target), state or "in an unknown state")))

    max_rpo = parse_max_rpo(facts.get("max_rpo"))
    rpo = None
    if side.get("last_sync"):
        rpo = max(0, int((facts["now"] - parse_time(side["last_sync"])).total_seconds()))
    source = resolution["active"] if resolution["active"] != target else other_role(target)
    if facts.get("sync_first") and resolution["sides"][source]["reachable"]:
        checks.append(_check("rpo", True, "RPO before the sync: %s (the %s workspace answers: it is synced into "
                                          "the %s first)" % (format_duration(rpo), source, target)))
    elif rpo is None:
        checks.append(_check("rpo", False,
                             "%s was never synced (no %s record): everything registered in %s would be missing"
                             % (_workspace_label(facts, target), "last_sync", source)))
    elif max_rpo is None:
        checks.append(_check("rpo", True, "RPO %s (last sync %s; no max_rpo set)"
                             % (format_duration(rpo), side["last_sync"])))
    else:
        checks.append(_check("rpo", rpo <= max_rpo, "RPO %s (last sync %s) %s max_rpo %s"
                             % (format_duration(rpo), side["last_sync"], "is within" if rpo <= max_rpo else "is over",
                                format_duration(max_rpo))))

    compute = facts.get("compute")
    if compute is not None:
        missing = sorted(set(compute.get("expected") or ()) - set(compute.get("present") or ()))
        if missing:
            detail = "compute missing in the %s workspace: %s" % (target, ", ".join(missing))
        else:
            detail = "compute present: %s" % (", ".join(sorted(compute.get("expected") or ())) or "none expected")
        checks.append(_check("compute", not missing, detail))
    quota = facts.get("quota")
    if quota is not None:
        default = "quota ok" if quota.get("ok") else "quota short"
        checks.append(_check("quota", quota.get("ok"), quota.get("message") or default))
    registry = facts.get("registry")
    if registry is not None:
        replica = registry.get("replica")
        where = "registry %s in %s" % (registry.get("name"), registry.get("location"))
        if registry.get("error"):
            # The registry's ARM resource lives in its home region, which may be the region being left:
            # not knowing must not stop a failover (the replica serves pulls without it); a human checks.
            checks.append(_check("registry", False, "%s: not checked, the registry did not answer (%s)"
                                 % (where, registry["error"]), blocking=False))
        elif registry.get("home"):
            checks.append(_check("registry", True, "%s: the registry's home region" % where))
        elif replica is None:
            checks.append(_check("registry", False, "%s: no replica (images cannot be pulled there while the other "
                                                    "region is down)" % where))
        else:
            healthy = replica.get("provisioning_state") == "Succeeded" and \
                (replica.get("status") in (None, "Ready"))
            checks.append(_check("registry", healthy, "%s: replica %s%s" % (
                where, replica.get("provisioning_state"),
                ", status %s" % replica["status"] if replica.get("status") else "")))
    return checks


def _refusal(facts, checks):
    """The one line that stops the failover, or None."""
    target = facts["target"]
    resolution = facts["resolution"]
    if not resolution["sides"][target]["reachable"]:
        reason = resolution["unreachable"].get(target, "no answer")
        return ("target %s: %s did not answer (%s); a failover needs the target region up: fail over to %s "
                "instead, or wait" % (target, _workspace_label(facts, target), reason, other_role(target)))
    blocking = [c for c in checks if c["blocking"]]
    if blocking and not facts.get("force"):
        return "%s; set force: true to fail over anyway" % "; ".join(c["detail"] for c in blocking)
    return None


def _step(name, role=None, **extra):
    return dict(name=name, role=role, **extra)


def plan_failover(facts):
    """Decide and order the failover (see the module's docstring). ``facts`` as for ``precheck``,
    plus ``force`` (bool), ``workspaces`` ({role: {subscription_id, resource_group, name}}),
    ``destinations`` (config.json destinations, passed through), ``hooks`` (names, passed through).

    Returns ``{action: switch|demote|none|refuse, message, checks, steps, skipped, tags, report}``;
    ``tags`` is the claim written (switch) or re-written into the stale side (demote).
    """
    target = facts.get("target")
    if target not in ROLES:
        raise StateError("target: '%s' is not one of %s" % (target, ", ".join(ROLES)))
    resolution = facts["resolution"]
    now = facts["now"]
    other = other_role(target)
    other_side = resolution["sides"][other]
    target_reachable = resolution["sides"][target]["reachable"]
    checks = precheck(facts) if target_reachable else []

    already = (target_reachable and resolution["active"] == target and target in resolution["in_sync"]
               and not resolution["conflict"])
    steps, skipped, tags = [], [], None
    refusal = None if already else _refusal(facts, checks)
    config_steps = [_step("config", target, destination=d) for d in (facts.get("destinations") or [])]

    if refusal:
        action, message = "refuse", refusal
    elif already and other in resolution["stale"]:
        action, tags = "demote", demote_tags(resolution)
        message = ("%s is already active (epoch %d); the %s workspace is stale (%s) and is demoted"
                   % (target, resolution["epoch"], other, _claim_text(other_side)))
        steps = [_step("demote", other, tags=tags)] + config_steps
    elif already:
        action = "none"
        message = "%s is already active (epoch %d); nothing to switch" % (target, resolution["epoch"])
        if other in resolution["unreachable"]:
            message += " (the %s workspace did not answer: %s)" % (other, resolution["unreachable"][other])
        steps = config_steps
    else:
        action, tags = "switch", switch_tags(resolution, target, now)
        old = resolution["active"] if resolution["active"] != target else other
        message = "switch %s -> %s at epoch %s" % (old, target, tags["amlops.bcdr.state.epoch"])
        if facts.get("sync_first"):
            if resolution["sides"][old]["reachable"]:
                steps.append(_step("sync", target, source=old))
            else:
                skipped.append(dict(step="sync", role=target, reason="the %s workspace did not answer (%s): nothing "
                                    "registered there since the last sync (%s) is copied" % (
                                        old, resolution["unreachable"].get(old, "no answer"),
                                        resolution["sides"][target].get("last_sync") or "never")))
        steps.append(_step("switch", target, tags=tags))
        if other_side["reachable"]:
            steps.append(_step("demote", other, tags=tags))
        else:
            skipped.append(dict(step="demote", role=other, reason="the %s workspace did not answer (%s): it keeps its "
                                "old claim and is fenced until demoted" % (
                                    other, resolution["unreachable"].get(other, "no answer"))))
        steps += config_steps
        steps += [_step("hook", target, hook=h) for h in (facts.get("hooks") or [])]
    if action != "refuse":
        steps.append(_step("report"))
    plan = dict(action=action, message=message, checks=checks, steps=steps, skipped=skipped, tags=tags)
    plan["report"] = report_skeleton(facts, plan)
    return plan


def _claim_text(side):
    return "claims %s at epoch %d" % (side["active"], side["epoch"]) if side.get("claims") else "no marker"


def _rpo(facts):
    side = facts["resolution"]["sides"][facts["target"]]
    if not side.get("last_sync"):
        return None
    return max(0, int((facts["now"] - parse_time(side["last_sync"])).total_seconds()))


def human_todo(facts, plan):
    """What a human still has to do after this run (plain sentences)."""
    if plan["action"] in ("refuse", "none"):
        return []
    resolution, target = facts["resolution"], facts["target"]
    old = resolution["active"] if resolution["active"] != target else other_role(target)
    todo = []
    if plan["action"] == "switch":
        todo.append("resubmit in the %s workspace the jobs that were running in the %s workspace: running jobs "
                    "do not move" % (target, old))
    for skipped in plan["skipped"]:
        if skipped["step"] == "demote":
            side = resolution["sides"][skipped["role"]]
            # a side that did not answer was not read: what it claims is unknown (its last claim, at best)
            claims = ("claims %s at epoch %d" % (side["active"], side["epoch"]) if side.get("claims")
                      else "still holds its last claim (it was not read)")
            todo.append("the %s workspace could not be told of the switch and %s: it is fenced by the new epoch %s; "
                        "after it recovers run the failback (-e target=%s) or the sync, which demote it"
                        % (skipped["role"], claims, (plan.get("tags") or {}).get(TAG_EPOCH, "?"), skipped["role"]))
            todo.append("run outputs in the %s workspace's default storage are reachable again when it recovers"
                        % skipped["role"])
        if skipped["step"] == "sync":
            todo.append("assets registered in the %s workspace after the last sync (%s) were not copied: after it "
                        "recovers, the failback's reverse sync reconciles them"
                        % (old, resolution["sides"][target].get("last_sync") or "never"))
    for check in plan["checks"]:
        if check["blocking"]:  # only reached with force: true
            todo.append("forced past a failed pre-check (%s): %s" % (check["name"], check["detail"]))
        elif not check["ok"]:
            todo.append("check by hand (%s): %s" % (check["name"], check["detail"]))
    if plan["action"] == "switch" and not facts.get("hooks"):
        todo.append("update what neither config.json nor the amlops.bcdr.active_workspace lookup reaches "
                    "(CI/CD variables, DNS, notebooks naming the workspace)")
    return todo


def report_skeleton(facts, plan):
    """The report the caller fills in: a timeline entry per step (``seconds`` None until
    ``record_step``), what was skipped because a region did not answer, what a human still has to do."""
    resolution = facts["resolution"]
    max_rpo = parse_max_rpo(facts.get("max_rpo"))
    rpo = _rpo(facts) if resolution["sides"][facts["target"]]["reachable"] else None
    tags = plan.get("tags") or {}
    return dict(
        target=facts["target"],
        action=plan["action"],
        message=plan["message"],
        started_at=format_time(facts["now"]),
        finished_at=None,
        active_before=resolution["active"],
        epoch_before=resolution["epoch"],
        epoch_after=int(tags["amlops.bcdr.state.epoch"]) if plan["action"] == "switch" else resolution["epoch"],
        partial=resolution["partial"],
        unreachable=dict(resolution["unreachable"]),
        rpo_seconds=rpo,
        rpo=format_duration(rpo),
        max_rpo_seconds=max_rpo,
        forced=[c["name"] for c in plan["checks"] if c["blocking"]] if facts.get("force") else [],
        checks=[dict(c) for c in plan["checks"]],
        timeline=[dict(step=s["name"], role=s.get("role"), status="planned", seconds=None,
                       detail=s.get("destination") or s.get("hook") or s.get("source"))
                  for s in plan["steps"]],
        skipped=[dict(s) for s in plan["skipped"]],
        human=human_todo(facts, plan),
    )


def record_step(report, step, status, seconds, role=None, detail=None):
    """Fill in the first planned timeline entry of ``step`` (and ``role``) with its outcome
    (``ok``, ``failed``, ``skipped``) and seconds; a step the plan did not list is appended."""
    for entry in report["timeline"]:
        if entry["step"] == step and entry["status"] == "planned" and (role is None or entry["role"] == role):
            entry.update(status=status, seconds=round(float(seconds), 3))
            if detail is not None:
                entry["detail"] = detail
            return entry
    entry = dict(step=step, role=role, status=status, seconds=round(float(seconds), 3), detail=detail)
    report["timeline"].append(entry)
    return entry


def finish_report(report, finished_at):
    """Close the report: finished time and total seconds of the recorded steps."""
    report["finished_at"] = format_time(finished_at)
    report["seconds"] = round(sum(e["seconds"] or 0 for e in report["timeline"]), 3)
    return report


def add_workloads(report, workloads, failures=None):
    """The workloads step's outcome (``workload_plan.workloads_report``) in the report: ``endpoints`` (a row per
    endpoint: action, provisioning state, scoring URI, seconds), ``jobs`` ({resubmitted, not_resubmitted with
    reasons}) and ``workloads`` (clusters, schedules, Traffic Manager, where the endpoints were read from);
    what a human still has to do follows from it (the jobs were resubmitted: no line asks for it any more)."""
    report["endpoints"] = [dict(r) for r in workloads.get("endpoints") or []]
    report["jobs"] = dict(workloads["jobs"]) if workloads.get("jobs") is not None else None
    report["workloads"] = dict((k, workloads.get(k)) for k in ("source", "clusters", "schedules", "traffic_manager",
                                                               "notes"))
    human = report["human"]
    # the jobs were resubmitted from what the old active (or the snapshot) said ran there: no line asks for it;
    # without either, nobody knows what ran, and the line stays
    if report["jobs"] is not None and workloads.get("source") != "none":
        human[:] = [h for h in human if not h.startswith("resubmit in the ")]
    for job in (report["jobs"] or {}).get("not_resubmitted") or []:
        human.append("job %s was not resubmitted in the %s workspace: %s" % (job.get("name"), report["target"],
                                                                             job.get("reason")))
    for row in report["endpoints"]:
        if row.get("provisioning_state") != "Succeeded":
            human.append("endpoint %s in the %s workspace is %s after the failover (%s): check it"
                         % (row["endpoint"], report["target"], row.get("provisioning_state"), row.get("action")))
    schedules = workloads.get("schedules") or {}
    for name in schedules.get("source_not_disabled") or []:
        human.append("schedule %s is still enabled in the old active workspace (it did not answer): disable it there "
                     "when it recovers, or it fires in both regions" % name)
    for entry in schedules.get("not_copied") or []:
        human.append("schedule %s was not copied: %s" % (entry.get("name"), entry.get("reason")))
    for note in workloads.get("notes") or []:
        human.append(note)
    for failure in failures or []:
        human.append("workloads: %s failed (%s): do it by hand" % (failure.get("task"), failure.get("msg")))
    return report


def fill_report(report, steps, started, finished_at, skipped=None, human=None):
    """Fill the skeleton from what the run did. ``steps``: in the order they ended, each
    ``{step, role, status, detail, at}`` (``at``: POSIX seconds when it ended; its seconds are counted
    from the previous step's end, the first from ``started``). The timeline follows the run's order;
    a step the plan listed takes its planned entry, one it did not (reading the state, the pre-checks)
    is added; planned steps that never ran follow, still ``planned``. ``skipped`` (what the run found
    unreachable after the plan was made, e.g. a demotion that timed out) and ``human`` are appended."""
    planned = list(report["timeline"])
    timeline = []
    last = float(started)
    for step in steps:
        at = float(step["at"])
        entry = None
        for candidate in planned:
            if candidate["step"] == step["step"] and (step.get("role") is None or candidate["role"] == step.get("role")):
                entry = candidate
                planned.remove(candidate)
                break
        entry = dict(entry or dict(step=step["step"], role=step.get("role"), detail=None))
        entry.update(status=step.get("status") or "ok", seconds=round(max(0.0, at - last), 3))
        if step.get("detail") is not None:
            entry["detail"] = step["detail"]
        timeline.append(entry)
        last = at
    report["timeline"] = timeline + planned
    # A reverse sync that ran in this run brought the target in step just before the switch: the RPO
    # at the switch is the time from its end to the switch, not the age of the record read before it.
    synced = [s for s in steps if s["step"] == "sync" and (s.get("status") or "ok") == "ok"]
    switched = [s for s in steps if s["step"] == "switch" and (s.get("status") or "ok") == "ok"]
    if synced and switched:
        report["rpo_before_sync_seconds"], report["rpo_before_sync"] = report["rpo_seconds"], report["rpo"]
        report["rpo_seconds"] = max(0, int(float(switched[0]["at"]) - float(synced[-1]["at"])))
        report["rpo"] = format_duration(report["rpo_seconds"])
    for entry in skipped or []:
        if entry not in report["skipped"]:
            report["skipped"].append(dict(entry))
    for line in human or []:
        if line not in report["human"]:
            report["human"].append(line)
    report = finish_report(report, finished_at)
    report["seconds_wall"] = round(max(0.0, last - float(started)), 3)
    return report


def demote_skipped(role, reason, old_claim):
    """A demotion that was planned but did not go through (the region stopped answering): what the
    report lists as skipped, and what a human still has to do."""
    skipped = dict(step="demote", role=role, reason="the %s workspace did not answer (%s): it keeps its old claim "
                   "and is fenced until demoted" % (role, reason))
    todo = ("the %s workspace could not be told of the switch and still claims %s: it is fenced; after it "
            "recovers run the failback (-e target=%s) or the sync, which demote it" % (role, old_claim, role))
    return skipped, todo


def summary_lines(report):
    """The report as a few lines for the play's output."""
    lines = ["%s: %s" % (report["action"], report["message"]),
             "epoch %s -> %s; RPO at the switch %s%s" % (
                 report["epoch_before"], report["epoch_after"], report["rpo"],
                 " (max_rpo %s)" % format_duration(report["max_rpo_seconds"]) if report.get("max_rpo_seconds")
                 else "")]
    for entry in report["timeline"]:
        lines.append("  %-8s %-9s %-7s %7ss  %s" % (
            entry["step"], entry.get("role") or "-", entry["status"],
            "%.1f" % entry["seconds"] if entry.get("seconds") is not None else "-", entry.get("detail") or ""))
    for entry in report["skipped"]:
        lines.append("skipped %s (%s): %s" % (entry["step"], entry.get("role"), entry["reason"]))
    for row in report.get("endpoints") or []:
        lines.append("  endpoint %-24s %-8s %-10s %7ss  %s" % (
            row["endpoint"], row["action"], row.get("provisioning_state"),
            "%.1f" % row["seconds"] if row.get("seconds") is not None else "-", row.get("scoring_uri") or ""))
    jobs = report.get("jobs")
    if jobs is not None:
        lines.append("jobs resubmitted: %s; already: %s; not resubmitted: %s" % (
            ", ".join(jobs.get("resubmitted") or []) or "none", ", ".join(jobs.get("unchanged") or []) or "none",
            ", ".join("%s (%s)" % (j.get("name"), j.get("reason")) for j in jobs.get("not_resubmitted") or [])
            or "none"))
    for line in report["human"]:
        lines.append("to do: %s" % line)
    if report.get("seconds_wall") is not None:
        lines.append("total %.1fs" % report["seconds_wall"])
    return lines
