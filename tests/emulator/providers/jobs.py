"""Azure ML jobs (command, pipeline ...) and schedules: job status (Running, or Queued on a
cluster that cannot grow), compute/environment/code references that must exist, jobs fixed
once submitted, cancel; schedule triggers validated, isEnabled, the list filters (jobType, tag,
schedule listViewType). Refusal codes not confirmed against Azure are marked where raised."""
import datetime
import re

from ..errors import ArmError
from . import ml
from .common import name_of, old_props, props, same_id
from .endpoints import USER_ERROR, missing_compute, missing_reference

_ML = "microsoft.machinelearningservices/"
JOB = _ML + "workspaces/jobs"
SCHEDULE = _ML + "workspaces/schedules"
JOB_TYPE = "Microsoft.MachineLearningServices/workspaces/jobs"
TERMINAL = ("Completed", "Failed", "Canceled")
# What a submitted job lets you change (x-ms-mutability "update" in the 2024-04-01 spec, and
# the asset bags); the rest is fixed once the job exists.
JOB_MUTABLE = {"description", "tags", "properties", "isArchived", "notificationSetting",
               "status", "services", "parameters", "provisioningState"}
_JOB_DEFAULTS = {"experimentName": "Default", "isArchived": False}


def _refs(ctx, where, body, ws_id):
    """Refuse a job body whose compute, environment or code does not exist in the workspace
    (code unconfirmed: Azure ML validates them at submission)."""
    checks = [("computeId", missing_compute(ctx, body.get("computeId"), ws_id))]
    checks.append(("environmentId", missing_reference(ctx, body.get("environmentId"),
                                                      "environments", ws_id)))
    checks.append(("codeId", missing_reference(ctx, body.get("codeId"), "codes", ws_id)))
    checks.append(("componentId", missing_reference(ctx, body.get("componentId"), "components",
                                                    ws_id)))
    settings = body.get("settings") if isinstance(body.get("settings"), dict) else {}
    checks.append(("settings.default_compute",
                   missing_compute(ctx, settings.get("default_compute"), ws_id)))
    for step, spec in sorted((body.get("jobs") or {}).items()):          # pipeline steps
        if isinstance(spec, dict):
            checks.append((f"jobs.{step}.computeId",
                           missing_compute(ctx, spec.get("computeId"), ws_id)))
    for field, why in checks:
        if why:
            raise ArmError(400, USER_ERROR, f"{where}: {why}.", target=f"properties.{field}")


def _workspace_of(rid):
    return re.split(r"/(?:jobs|schedules)/", rid, maxsplit=1, flags=re.IGNORECASE)[0]


def _initial_status(ctx, p):
    """Running, or Queued when its cluster cannot get a node (maxNodeCount 0: a standby
    cluster kept at zero waits, as on Azure, until it is scaled)."""
    m = re.match(r"^(?:azureml:)?(/subscriptions/.+/computes/[^/]+)$", str(p.get("computeId") or ""),
                 re.IGNORECASE)
    if m:
        compute = ctx.store.get(m.group(1)) or {}
        inner = ((compute.get("properties") or {}).get("properties") or {})
        scale = inner.get("scaleSettings") or {}
        if "maxNodeCount" in scale and int(scale["maxNodeCount"] or 0) == 0:
            return "Queued"
    return "Running"


def _norm(value):
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def job_put(ctx, rid, resource, existing):
    p = props(resource)
    old = old_props(existing)
    for k, v in _JOB_DEFAULTS.items():
        p.setdefault(k, v)
    p.setdefault("displayName", name_of(rid))
    if existing is not None:
        changed = sorted(k for k in set(old) | set(p) if k not in JOB_MUTABLE
                         and _norm(old.get(k)) != _norm(p.get(k)))
        if changed:
            # code unconfirmed; a submitted job is not edited in place (resubmit a new one)
            raise ArmError(400, USER_ERROR,
                           f"Job '{name_of(rid)}' already exists and cannot be changed "
                           f"({', '.join(changed)} differ); submit a new job.",
                           target=f"properties.{changed[0]}")
        p["status"] = old.get("status", "Running")
        for k in ("services", "parameters"):
            if k in old:
                p[k] = old[k]
        bag = dict(old.get("properties") or {})
        bag.update(p.get("properties") or {})
        p["properties"] = bag
        return
    ws_id = _workspace_of(rid)
    _refs(ctx, f"Job '{name_of(rid)}'", p, ws_id)
    p["status"] = _initial_status(ctx, p)
    p["services"] = {"Studio": {"jobServiceType": "Studio",
                                "endpoint": f"https://ml.azure.com/runs/{name_of(rid)}?wsid={ws_id}"}}
    if p.get("properties") is None:
        p["properties"] = {}


def set_job_status(ctx, job_id, status):
    """Move a job to ``status`` (tests: a job that completed or failed in the old active)."""
    with ctx.store.lock:
        job = ctx.store.get(job_id)
        if job is None:
            raise KeyError(job_id)
        job["properties"]["status"] = status
        ctx.store.put(job_id, job)
        ctx.store.save()
    return job


def job_list_filter(ctx, query, items):
    """Jobs_List's jobType (Command, Pipeline ...) and tag (jobs with that tag key)."""
    want = (query.get("jobType") or "").lower()
    if want:
        items = [j for j in items if str((j.get("properties") or {}).get("jobType", "")).lower() == want]
    tag = query.get("tag")
    if tag:
        items = [j for j in items if tag in ((j.get("properties") or {}).get("tags") or {})]
    return items


# ======================================================================= schedules
_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_DOW_NAMES = re.compile(r"\b(SUN|MON|TUE|WED|THU|FRI|SAT)\b", re.IGNORECASE)
_MONTH_NAMES = re.compile(r"\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\b", re.IGNORECASE)


def _bad_trigger(message):
    # code unconfirmed: Azure ML validates the trigger when the schedule is written
    return ArmError(400, USER_ERROR, message, target="properties.trigger")


def _check_cron(expression):
    fields = expression.split()
    if len(fields) != 5:
        raise _bad_trigger(f"Cron expression '{expression}' must have 5 fields (minute hour "
                           f"day-of-month month day-of-week), not {len(fields)}.")
    for text, (lo, hi), what in zip(fields, _CRON_RANGES,
                                    ("minute", "hour", "day-of-month", "month", "day-of-week")):
        if what == "day-of-week":
            text = _DOW_NAMES.sub("0", text)
        elif what == "month":
            text = _MONTH_NAMES.sub("1", text)
        if not _CRON_FIELD.match(text):
            raise _bad_trigger(f"Cron expression '{expression}': invalid {what} field '{text}'.")
        for n in re.findall(r"\d+", re.sub(r"/\d+", "", text)):
            if not lo <= int(n) <= hi:
                raise _bad_trigger(f"Cron expression '{expression}': {what} {n} is out of "
                                   f"range {lo}-{hi}.")


def _time(value, field):
    if value in (None, ""):
        return None
    try:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        raise _bad_trigger(f"trigger.{field} '{value}' is not an ISO 8601 date-time.") from None


def check_trigger(trigger):
    if not isinstance(trigger, dict):
        return
    start, end = _time(trigger.get("startTime"), "startTime"), _time(trigger.get("endTime"), "endTime")
    if start and end and end <= start:
        raise _bad_trigger(f"trigger.endTime '{trigger['endTime']}' must be after startTime "
                           f"'{trigger['startTime']}'.")
    kind = trigger.get("triggerType")
    if kind == "Cron":
        _check_cron(str(trigger.get("expression") or ""))
    elif kind == "Recurrence":
        if int(trigger.get("interval") or 0) < 1:
            raise _bad_trigger(f"Recurrence interval must be at least 1, not {trigger.get('interval')}.")
        sched = trigger.get("schedule")
        if isinstance(sched, dict):
            if trigger.get("frequency") in ("Minute", "Hour"):
                raise _bad_trigger("A recurrence schedule (hours, minutes, week/month days) is only "
                                   f"valid with frequency Day, Week or Month, not "
                                   f"{trigger.get('frequency')}.")
            for field, lo, hi in (("hours", 0, 23), ("minutes", 0, 59), ("monthDays", 1, 31)):
                bad = [v for v in sched.get(field) or [] if not lo <= int(v) <= hi]
                if bad:
                    raise _bad_trigger(f"trigger.schedule.{field} value {bad[0]} is out of range "
                                       f"{lo}-{hi}.")
    trigger.setdefault("timeZone", "UTC")


def schedule_put(ctx, rid, resource, existing):
    p = props(resource)
    check_trigger(p.get("trigger"))
    action = p.get("action") if isinstance(p.get("action"), dict) else {}
    if action.get("actionType") == "CreateJob" and isinstance(action.get("jobDefinition"), dict):
        _refs(ctx, f"Schedule '{name_of(rid)}' job definition", action["jobDefinition"],
              _workspace_of(rid))
    p.setdefault("isEnabled", True)
    p.setdefault("displayName", name_of(rid))


def schedule_list_filter(ctx, query, items):
    """Schedules_List's listViewType: EnabledOnly (the default), DisabledOnly, All."""
    view = (query.get("listViewType") or "EnabledOnly").lower()
    if view == "all":
        return items
    want = view == "enabledonly"
    return [s for s in items if bool((s.get("properties") or {}).get("isEnabled", True)) == want]


def compute_put(ctx, rid, resource, existing):
    """ml.compute_put, then: queued jobs on a cluster that can now get nodes start running
    (a standby cluster scaled up on failover picks up the jobs resubmitted to it)."""
    ml.compute_put(ctx, rid, resource, existing)
    inner = ((resource.get("properties") or {}).get("properties") or {})
    if int((inner.get("scaleSettings") or {}).get("maxNodeCount") or 0) == 0:
        return
    ws_id = rid.rsplit("/computes/", 1)[0]
    for job in ctx.store.children(ws_id, JOB_TYPE):
        p = job.get("properties") or {}
        m = re.match(r"^(?:azureml:)?(/subscriptions/.+)$", str(p.get("computeId") or ""))
        if p.get("status") == "Queued" and m and same_id(m.group(1), rid):
            p["status"] = "Running"
            ctx.store.put(job["id"], job)


# The compute entry wraps ml.compute_put (hooks.py takes the later provider's entry).
PUT = {JOB: job_put, SCHEDULE: schedule_put, _ML + "workspaces/computes": compute_put}
LIST_FILTERS = {JOB: job_list_filter, SCHEDULE: schedule_list_filter}
