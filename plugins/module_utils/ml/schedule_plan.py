# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for copying schedules into another workspace (aml_schedule_copy): the target schedule
each source schedule becomes (its job definition's references mapped by ``job_plan.map_references``), and
per schedule what happens in the target (create / update / unchanged / not copied, with the reason) and
in the source (disable / nothing / not reachable). No SDK, no I/O.

Shapes: a schedule ``{name, id, is_enabled, display_name, trigger, action, description, tags, properties}``
as aml_schedule_info returns it (``trigger``/``action``: the REST dicts).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan, job_plan

# Set by the service (or by a job's run): never sent, never compared.
SERVER_FIELDS = ("provisioningState",)
DEFINITION_SERVER_FIELDS = ("status", "provisioningState")
# What Azure fills in when a schedule is written without it (compared as if sent).
DEFAULT_TIME_ZONE = "UTC"
# The REST properties compared between the wanted target schedule and the target's, in this order.
COMPARED = ("action", "trigger", "isEnabled", "displayName", "description", "tags", "properties")

# source side of an item
DISABLE = "disable"            # enabled in the source: disabled there once the target has it
SOURCE_DONE = "none"           # nothing to do (already disabled, gone, not asked, or not copied)
UNREACHABLE = "unreachable"    # the source did not answer: reported in source_not_disabled

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_WS_RE = re.compile(r"^/subscriptions/[^/]+/resource[Gg]roups/[^/]+/providers/"
                    r"Microsoft\.MachineLearningServices/workspaces/[^/]+$", re.IGNORECASE)


class PlanError(ValueError):
    """Bad input: one line naming the option."""


def schedule_key(name):
    return "schedule:%s" % name


def workspace_of(schedule_id):
    """The workspace ARM ID of a schedule's ARM ID."""
    return re.split(r"/schedules/", schedule_id.rstrip("/"), maxsplit=1, flags=re.IGNORECASE)[0]


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------

def schedule_errors(schedules, option="schedules"):
    """One line per schedule dict of ``schedules`` that is not what aml_schedule_info returns."""
    if schedules is None:
        return []
    if not isinstance(schedules, list):
        return ["%s: must be a list of schedules as aml_schedule_info returns them" % option]
    errors, seen = [], set()
    for index, schedule in enumerate(schedules):
        where = "%s[%d]" % (option, index)
        if not isinstance(schedule, dict):
            errors.append("%s: must be a schedule dict (name, id, trigger, action), got %s"
                          % (where, type(schedule).__name__))
            continue
        name = schedule.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            errors.append("%s.name: '%s' is not a schedule name" % (where, name))
        elif name.lower() in seen:
            errors.append("%s.name: schedule '%s' is listed twice" % (where, name))
        else:
            seen.add(name.lower())
        sid = schedule.get("id")
        if not isinstance(sid, str) or "/schedules/" not in sid.lower():
            errors.append("%s.id: the source schedule's ARM ID is required (.../workspaces/<ws>/schedules/<name>)"
                          % where)
        elif not _WS_RE.match(workspace_of(sid)):
            errors.append("%s.id: '%s' is not a schedule's ARM ID" % (where, sid))
        if not isinstance(schedule.get("trigger"), dict) or not schedule["trigger"].get("triggerType"):
            errors.append("%s.trigger: the schedule's REST trigger (with triggerType) is required" % where)
        action = schedule.get("action")
        if not isinstance(action, dict) or not action.get("actionType"):
            errors.append("%s.action: the schedule's REST action (with actionType) is required" % where)
    return errors


def input_errors(params):
    """-> one-line errors naming the option; [] when the input of aml_schedule_copy is good."""
    errors = asset_plan.workspace_pair_errors(params)
    errors.extend(job_plan.compute_map_errors(params.get("compute_map")))
    errors.extend(schedule_errors(params.get("schedules")))
    return errors


def info_errors(params):
    """aml_schedule_info's input: a schedule name, when given."""
    name = params.get("name")
    if name is not None and not _NAME_RE.match(name):
        return ["name: '%s' is not a schedule name" % name]
    return []


# ---------------------------------------------------------------------------------------------
# the target schedule, compared
# ---------------------------------------------------------------------------------------------

def rest_properties(schedule):
    """The REST properties of a schedule dict (what a PUT sends), server fields left out."""
    props = dict(action=copy.deepcopy(schedule.get("action")), trigger=copy.deepcopy(schedule.get("trigger")),
                 isEnabled=schedule.get("is_enabled", True), displayName=schedule.get("display_name"),
                 description=schedule.get("description"), tags=dict(schedule.get("tags") or {}),
                 properties=dict(schedule.get("properties") or {}))
    definition = (props["action"] or {}).get("jobDefinition")
    if isinstance(definition, dict):
        for field in DEFINITION_SERVER_FIELDS:
            definition.pop(field, None)
    return dict((k, v) for k, v in props.items() if v is not None)


def target_properties(source, target_ws_id, compute_map=None, enable=True):
    """The REST properties of the schedule to write in the target: the source's, with its job
    definition's references mapped to the target workspace, enabled (or not, per ``enable``)."""
    props = rest_properties(source)
    action = props.get("action") or {}
    if isinstance(action.get("jobDefinition"), dict):
        action["jobDefinition"] = job_plan.map_references(action["jobDefinition"], workspace_of(source["id"]),
                                                          target_ws_id, compute_map)
    props["isEnabled"] = bool(enable)
    if props.get("displayName") is None:
        props["displayName"] = source["name"]  # what the service sets: compared as if sent
    return props


def _norm(value):
    """Empty values dropped (the service omits them), recursively."""
    if isinstance(value, dict):
        return dict((k, _norm(v)) for k, v in value.items() if v is not None and v != {} and v != [])
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def comparable(props):
    """REST properties as compared: server fields out, the trigger's default time zone in, empties out."""
    props = dict((k, copy.deepcopy(props.get(k))) for k in COMPARED)
    if isinstance(props.get("trigger"), dict):
        props["trigger"].setdefault("timeZone", DEFAULT_TIME_ZONE)
    definition = (props.get("action") or {}).get("jobDefinition")
    if isinstance(definition, dict):
        for field in DEFINITION_SERVER_FIELDS:
            definition.pop(field, None)
    if props.get("isEnabled") is None:
        props["isEnabled"] = True
    return _norm(props)


def differences(wanted, current):
    """The COMPARED fields where the target's schedule (REST properties) differs from the wanted one."""
    a, b = comparable(wanted), comparable(current)
    return [k for k in COMPARED if a.get(k) != b.get(k)]


# ---------------------------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------------------------

def source_step(source_live, disable_source, source_error, copied, target_enabled=True):
    """(source action, reason) for one schedule: DISABLE / SOURCE_DONE / UNREACHABLE.

    ``source_live``: the source's schedule as read now (None: not there); ``source_error``: why the source
    could not be read (None when it answered); ``copied``: the target has (or gets) the schedule;
    ``target_enabled``: it fires there (a schedule disabled in both would never fire)."""
    if not disable_source:
        return SOURCE_DONE, "disable_source is false"
    if not copied:
        return SOURCE_DONE, "not copied into the target: left as it is in the source"
    if not target_enabled:
        return SOURCE_DONE, "disabled in the target (enable_target is false): left as it is in the source"
    if source_error is not None:
        return UNREACHABLE, source_error
    if source_live is None:
        return SOURCE_DONE, "not in the source"
    if not source_live.get("is_enabled", True):
        return SOURCE_DONE, "already disabled in the source"
    return DISABLE, "enabled in the source"


def plan_schedule(source, current, wanted, missing, target_ws_id, source_live=None, disable_source=True,
                  source_error=None):
    """One item for run_collection.

    ``source``: the source schedule (as listed or given); ``current``: the target's schedule of that name
    (the same shape) or None; ``wanted``: the target's REST
    properties (``target_properties``); ``missing``: the mapped references the target lacks
    (``job_plan.references`` items). Actions: ``create`` / ``update`` / ``skip`` (unchanged) /
    ``disable_source`` (unchanged in the target, disabled in the source) / ``not_copied``; ``source_action``
    says what happens in the source (``source_step``)."""
    name = source["name"]
    target_id = "%s/schedules/%s" % (target_ws_id.rstrip("/"), name)
    # in_target: what --diff lists as the target's before the run (a schedule not copied is not there)
    item = dict(key=schedule_key(name), name=name, source_id=source["id"], target_id=target_id, changes=[],
                in_target=current is not None)
    if missing:
        ws = target_ws_id.rstrip("/").rsplit("/", 1)[-1]
        item.update(action="not_copied",
                    reason="; ".join("%s does not exist in %s" % (job_plan.describe(ref), ws) for ref in missing))
    elif current is None:
        item.update(action="create", reason="not in the target")
    else:
        changes = differences(wanted, rest_properties(current))
        if changes:
            item.update(action="update", reason="differs in the target: %s" % ", ".join(changes), changes=changes)
        else:
            item.update(action="skip", reason="the same in the target")
    step, why = source_step(source_live, disable_source, source_error, item["action"] != "not_copied",
                            wanted.get("isEnabled", True))
    item.update(source_action=step, source_reason=why)
    if item["action"] == "skip" and step == DISABLE:
        item.update(action="disable_source", reason="the same in the target; enabled in the source")
    return item


def outcome_lists(items):
    """The contract's result lists from the items after the run (or the plan, in check mode):
    created, updated, unchanged, not_copied [{name, reason}], disabled_in_source [{name, id}],
    source_not_disabled [{name, reason}]. Items that failed (``error``) are in none of them."""
    out = dict(created=[], updated=[], unchanged=[], not_copied=[], disabled_in_source=[], source_not_disabled=[])
    for item in items:
        if "error" in item:
            continue
        action = item["action"]
        if action == "create":
            out["created"].append(item)
        elif action == "update":
            out["updated"].append(item)
        elif action in ("skip", "disable_source"):
            out["unchanged"].append(item)
        elif action == "not_copied":
            out["not_copied"].append(dict(name=item["name"], reason=item["reason"]))
        if item.get("source_action") == DISABLE:
            out["disabled_in_source"].append(dict(name=item["name"], id=item["source_id"]))
        elif item.get("source_action") == UNREACHABLE:
            out["source_not_disabled"].append(dict(name=item["name"], reason=item["source_reason"]))
    return out
