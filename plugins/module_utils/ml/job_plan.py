# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for resubmitting jobs in another workspace (aml_job_copy), and the reference mapping
it shares with the schedule copy: a job definition's compute, environment, code, component, data and
datastore references moved from the source workspace to the target's. No SDK, no I/O.

Shapes: a job ``{name, id, job_type, status, compute_id, experiment_name, display_name, tags, properties,
created_at, definition}`` (``definition``: the job's REST ``properties`` dict); a reference
``{kind, name, version, id}`` (``kind``: compute, environment, code, component, data, model, datastore).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan

RESUBMITTED_FROM = "amlops.bcdr.resubmitted_from"
NOUN = "job"

# Not finished: what a failover resubmits by default (the JobStatus values of api-version 2024-04-01).
ACTIVE_STATUSES = ["NotStarted", "Queued", "Preparing", "Provisioning", "Starting", "Running", "Finalizing"]
FINISHED_STATUSES = ["Completed", "Failed", "Canceled", "CancelRequested", "NotResponding", "Paused", "Unknown"]
ALL_STATUSES = ACTIVE_STATUSES + FINISHED_STATUSES
MAX_PARALLELISM = 32
# Set by the service on a submitted job: never sent back in a resubmission.
_SERVER_FIELDS = ("status", "parameters", "provisioningState")

_WS_RE = re.compile(r"^/subscriptions/([^/]+)/resource[Gg]roups/([^/]+)/providers/"
                    r"Microsoft\.MachineLearningServices/workspaces/([^/]+)$", re.IGNORECASE)
# <prefix>/<kind>/<name>[/versions/<version>] after a workspace ID
_CHILD_RE = re.compile(r"^/(computes|environments|codes|components|data|models|datastores|jobs)/([^/]+)"
                       r"(?:/versions/([^/]+))?(/.*)?$", re.IGNORECASE)
# azureml://subscriptions/<s>/resourcegroups/<g>/workspaces/<w>/<rest>  (datastore URIs, long form)
_LONG_URI_RE = re.compile(r"^azureml://subscriptions/([^/]+)/resource[Gg]roups/([^/]+)/workspaces/([^/]+)(/.*)?$",
                          re.IGNORECASE)
_DATASTORE_URI_RE = re.compile(r"^azureml://datastores/([^/]+)(?:/.*)?$", re.IGNORECASE)
_SHORT_RE = re.compile(r"^azureml:([^:/@]+):([^:/@]+)$")
_KINDS = dict(computes="compute", environments="environment", codes="code", components="component",
              data="data", models="model", datastores="datastore", jobs="job")
# Fields whose value may be a workspace-relative short form (``azureml:name:version``, a compute name):
# rewritten to the target's ARM ID, the form the service takes in a job body.
_SHORT_FIELDS = dict(environmentId="environments", environment="environments", codeId="codes", code="codes",
                     componentId="components", component="components")
_COMPUTE_FIELDS = ("computeId", "compute", "default_compute", "defaultCompute")
_SPECIAL_COMPUTES = ("serverless",)
_COMPUTE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class PlanError(ValueError):
    """Bad input: one line naming the option."""


def workspace_id(subscription, group, workspace):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s"
            % (subscription, group, workspace))


def job_id(ws_id, name):
    return "%s/jobs/%s" % (ws_id, name)


def _same(a, b):
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------

def status_errors(statuses, option="statuses"):
    errors = []
    if statuses is None:
        return errors
    known = dict((s.lower(), s) for s in ALL_STATUSES)
    for status in statuses:
        if not isinstance(status, str) or status.lower() not in known:
            errors.append("%s: '%s' is not a job status (one of %s)" % (option, status, ", ".join(ALL_STATUSES)))
    return errors


def job_errors(jobs, option="jobs"):
    """One line per job dict of the ``jobs`` option that is not what aml_job_info returns."""
    errors = []
    if jobs is None:
        return errors
    if not isinstance(jobs, list):
        return ["%s: must be a list of jobs as aml_job_info returns them" % option]
    seen = set()
    for index, job in enumerate(jobs):
        where = "%s[%d]" % (option, index)
        if not isinstance(job, dict):
            errors.append("%s: must be a job dict (name, id, status, definition), got %s" % (where, type(job).__name__))
            continue
        name = job.get("name")
        if not isinstance(name, str) or not name:
            errors.append("%s.name: required" % where)
        elif name.lower() in seen:
            errors.append("%s.name: job '%s' is listed twice" % (where, name))
        else:
            seen.add(name.lower())
        if not isinstance(job.get("id"), str) or "/jobs/" not in job.get("id", "").lower():
            errors.append("%s.id: the source job's ARM ID is required (.../workspaces/<ws>/jobs/<name>)" % where)
        if not isinstance(job.get("status"), str) or not job["status"]:
            errors.append("%s.status: required (a job is resubmitted when its status is one of statuses)" % where)
        if not isinstance(job.get("definition"), dict) or not job["definition"].get("jobType"):
            errors.append("%s.definition: the job's REST properties (with jobType) are required" % where)
    return errors


def compute_map_errors(compute_map):
    """compute_map (source compute name -> target compute name), shared with aml_schedule_copy."""
    if compute_map is None:
        return []
    if not isinstance(compute_map, dict):
        return ["compute_map: must be a dict of source compute name -> target compute name"]
    return ["compute_map.%s: '%s' is not a compute name" % (source, target)
            for source, target in sorted(compute_map.items())
            if not isinstance(target, str) or not _COMPUTE_NAME_RE.match(target)]


def input_errors(params):
    """-> one-line errors naming the option; [] when the input of aml_job_copy is good."""
    errors = asset_plan.workspace_pair_errors(params, "a resubmission")
    errors.extend(status_errors(params.get("statuses")))
    errors.extend(compute_map_errors(params.get("compute_map")))
    errors.extend(job_errors(params.get("jobs")))
    parallelism = params.get("parallelism")
    if parallelism is not None and (isinstance(parallelism, bool) or not isinstance(parallelism, int)
                                    or not 1 <= parallelism <= MAX_PARALLELISM):
        errors.append("parallelism: must be a whole number from 1 to %d, got '%s'" % (MAX_PARALLELISM, parallelism))
    return errors


def info_errors(params):
    """aml_job_info's input."""
    return status_errors(params.get("statuses"))


# ---------------------------------------------------------------------------------------------
# reference mapping
# ---------------------------------------------------------------------------------------------

def _ws_parts(ws_id):
    m = _WS_RE.match((ws_id or "").rstrip("/"))
    if not m:
        raise PlanError("'%s' is not a workspace ARM ID" % ws_id)
    return m.groups()


def _map_compute_name(name, compute_map):
    return (compute_map or {}).get(name, name)


def _map_arm(text, source_ws, target_ws, compute_map):
    """An ARM ID (optionally ``azureml:``-prefixed) under the source workspace -> the same under the
    target's (computes renamed by ``compute_map``); any other text unchanged."""
    prefix = "azureml:" if text.lower().startswith("azureml:/") else ""
    body = text[len(prefix):]
    if not body.lower().startswith(source_ws.lower() + "/"):
        return text
    rest = body[len(source_ws):]
    m = _CHILD_RE.match(rest)
    if m and m.group(1).lower() == "computes":
        rest = "/%s/%s%s" % (m.group(1), _map_compute_name(m.group(2), compute_map), m.group(4) or "")
    return prefix + target_ws + rest


def _map_long_uri(text, source_parts, target_parts):
    m = _LONG_URI_RE.match(text)
    if not m:
        return text
    if [p.lower() for p in m.groups()[:3]] != [p.lower() for p in source_parts]:
        return text
    return "azureml://subscriptions/%s/resourcegroups/%s/workspaces/%s%s" % (target_parts + (m.group(4) or "",))


def _map_string(text, field, source_ws, target_ws, target_parts, source_parts, compute_map):
    stripped = text.strip()
    if field in _COMPUTE_FIELDS and stripped and "/" not in stripped and stripped.lower() not in _SPECIAL_COMPUTES:
        # a workspace-relative compute name ("cpu", "azureml:cpu"): the target's compute by ARM ID
        name = stripped[len("azureml:"):] if stripped.lower().startswith("azureml:") else stripped
        if _COMPUTE_NAME_RE.match(name):
            return "%s/computes/%s" % (target_ws, _map_compute_name(name, compute_map))
    short = _SHORT_RE.match(stripped)
    if short and field in _SHORT_FIELDS:
        return "%s/%s/%s/versions/%s" % (target_ws, _SHORT_FIELDS[field], short.group(1), short.group(2))
    mapped = _map_arm(stripped, source_ws, target_ws, compute_map)
    if mapped is stripped:
        mapped = _map_long_uri(stripped, source_parts, target_parts)
    return text if mapped is stripped else mapped


def map_references(definition, source_ws_id, target_ws_id, compute_map=None):
    """A copy of ``definition`` (a job's REST properties, a schedule's jobDefinition) with every
    reference to the source workspace moved to the target's: ARM IDs of computes (renamed by
    ``compute_map``: source name -> target name), environments, codes, components, data, models and
    datastores (also ``azureml:``-prefixed); ``azureml://subscriptions/.../workspaces/<ws>/datastores/...``
    URIs; workspace-relative ``azureml:<name>:<version>`` environment/code/component references and compute
    names, as the target's ARM IDs. Pipeline jobs' child jobs, ``settings.default_compute``, inputs and
    outputs are walked like the rest. Registry references, ``azureml://datastores/...`` URIs (relative to
    the workspace the job runs in) and other workspaces' IDs are left as they are."""
    source_ws, target_ws = source_ws_id.rstrip("/"), target_ws_id.rstrip("/")
    source_parts, target_parts = _ws_parts(source_ws), _ws_parts(target_ws)

    def walk(value, field):
        if isinstance(value, dict):
            return dict((k, walk(v, k)) for k, v in value.items())
        if isinstance(value, list):
            return [walk(v, field) for v in value]
        if isinstance(value, str):
            return _map_string(value, field, source_ws, target_ws, target_parts, source_parts, compute_map)
        return copy.deepcopy(value)

    return walk(definition, None)


def references(definition, ws_id):
    """The references of ``definition`` to workspace ``ws_id``'s own resources, each once, in order:
    ``{kind, name, version, id}`` (``id``: the ARM ID to GET; a datastore URI's datastore too)."""
    ws = ws_id.rstrip("/")
    parts = [p.lower() for p in _ws_parts(ws)]
    found, seen = [], set()

    def add(kind, name, version):
        rid = "%s/%s/%s" % (ws, kind, name) + ("/versions/%s" % version if version else "")
        if rid.lower() not in seen:
            seen.add(rid.lower())
            found.append(dict(kind=_KINDS[kind], name=name, version=version, id=rid))

    def scan(text, field):
        text = text.strip()
        short = _SHORT_RE.match(text)
        if short and field == "uri":
            # a data asset input relative to the workspace the job runs in
            add("data", short.group(1), short.group(2))
            return
        body = text[len("azureml:"):] if text.lower().startswith("azureml:/") else text
        if body.lower().startswith(ws.lower() + "/"):
            m = _CHILD_RE.match(body[len(ws):])
            if m and m.group(1).lower() != "jobs":
                kind = m.group(1).lower()
                add(kind, m.group(2), m.group(3) if kind not in ("computes", "datastores") else None)
            return
        m = _DATASTORE_URI_RE.match(text)
        if m:
            add("datastores", m.group(1), None)
            return
        m = _LONG_URI_RE.match(text)
        if m and [p.lower() for p in m.groups()[:3]] == parts:
            store = re.match(r"^/datastores/([^/]+)", m.group(4) or "", re.IGNORECASE)
            if store:
                add("datastores", store.group(1), None)

    def walk(value, field):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, field)
        elif isinstance(value, str):
            scan(value, field)

    walk(definition, None)
    return found


def describe(ref):
    """'compute 'gpu'' / 'environment 'env:1'': a reference as a reason names it."""
    name = ref["name"] + (":%s" % ref["version"] if ref.get("version") else "")
    return "%s '%s'" % (ref["kind"], name)


# ---------------------------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------------------------

def workspace_of(job_arm_id):
    """The workspace ARM ID of a job's ARM ID."""
    return re.split(r"/jobs/", job_arm_id.rstrip("/"), maxsplit=1, flags=re.IGNORECASE)[0]


def job_key(name):
    return "job:%s" % name


def resubmission(source_job, mapped_definition):
    """The body properties of the resubmitted job: the mapped definition without what the service sets,
    with the mapping record (``amlops.bcdr.resubmitted_from`` = the source job's ARM ID)."""
    body = dict((k, v) for k, v in mapped_definition.items() if k not in _SERVER_FIELDS)
    services = body.get("services")
    if isinstance(services, dict):
        # the Studio link is the service's own, per job; user services (jupyter, ssh ...) are kept
        services = dict((k, v) for k, v in services.items()
                        if not (isinstance(v, dict) and str(v.get("jobServiceType", "")).lower() == "studio"))
        if services:
            body["services"] = services
        else:
            body.pop("services")
    body["properties"] = dict(body.get("properties") or {})
    body["properties"][RESUBMITTED_FROM] = source_job["id"]
    return body


def selected(jobs, statuses):
    """The jobs whose status is one of ``statuses`` (case-insensitive), in name order."""
    want = set(s.lower() for s in statuses)
    return sorted((j for j in jobs if str(j.get("status") or "").lower() in want), key=lambda j: j["name"])


def plan_job(source_job, target_job, target_ws_id, missing):
    """One item for run_collection: action ``resubmit`` / ``skip`` (unchanged) / ``conflict`` /
    ``not_resubmitted``, with reason. ``target_job``: the target's job of that name or None;
    ``missing``: the mapped references the target lacks (``references`` items)."""
    name = source_job["name"]
    item = dict(key=job_key(name), name=name, source_id=source_job["id"], source_status=source_job.get("status"),
                target_id=job_id(target_ws_id, name), status=None)
    if target_job is not None:
        item["target_id"] = target_job.get("id") or item["target_id"]
        item["status"] = target_job.get("status")
        origin = (target_job.get("properties") or {}).get(RESUBMITTED_FROM)
        if origin and _same(origin, source_job["id"]):
            item.update(action="skip", reason="already resubmitted from the source job (%s)" % RESUBMITTED_FROM)
        elif origin:
            item.update(action="conflict", reason="a job named '%s' in the target was resubmitted from another job "
                                                  "(%s); left alone" % (name, origin))
        else:
            item.update(action="conflict", reason="a job named '%s' already exists in the target and was not "
                                                  "resubmitted by this collection; left alone" % name)
        return item
    if missing:
        ws = target_ws_id.rstrip("/").rsplit("/", 1)[-1]
        item.update(action="not_resubmitted",
                    reason="; ".join("%s does not exist in %s" % (describe(ref), ws) for ref in missing))
        return item
    item.update(action="resubmit", reason="%s in the source, not in the target" % (source_job.get("status") or "active"))
    return item
