# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for AmlCompute clusters: what to create, scale, or delete, and the predicted result.

No SDK and no I/O. The service layer (compute_service.py) reads a cluster as a plain dict with
the keys used here and applies the plan returned by ``plan_compute``.

Azure updates an existing AmlCompute only through ``Compute_Update`` (PATCH with
``ClusterUpdateParameters``), which carries nothing but the scale settings (min/max nodes and
idle time before scale-down). Every other field is fixed once the cluster exists: asking for a
different value is a ``PlanError`` naming the field, never a silent delete and re-create.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.workspace_plan import WORKSPACE_NAME_RE

# Azure ML's rule for compute cluster names (the 2024-04-01 spec leaves the path parameter
# unconstrained; the service enforces this one): 3 to 24 characters, letters, digits and '-',
# starting with a letter.
COMPUTE_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{2,23}$")

# What Compute_Update (ClusterUpdateParameters -> ScaleSettingsInformation) can change.
SCALE_FIELDS = ("min_nodes", "max_nodes", "idle_time_before_scale_down")
# Everything else the module manages is fixed at creation.
IMMUTABLE = ("location", "vm_size", "vm_priority", "remote_login_port_public_access", "description", "tags")
CASE_INSENSITIVE = ("location", "vm_size", "vm_priority", "remote_login_port_public_access")

# Azure's own default idle time (what the service applies when none is sent): 120 seconds.
DEFAULT_IDLE_SECONDS = 120

_DURATION_RE = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE)


class PlanError(ValueError):
    """Bad input, or a desired state that cannot be reached from the current one."""


def validate_name(name):
    if not isinstance(name, str) or not COMPUTE_NAME_RE.match(name):
        raise PlanError(
            "name: '%s' is not a valid compute name: 3 to 24 characters, letters, digits and '-', "
            "starting with a letter" % (name,))


def normalize_location(value):
    """'East US' and 'eastus' are the same region for ARM."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def idle_seconds(value, option="idle_time_before_scale_down"):
    """Seconds from an int, a digit string, an ISO 8601 duration (``PT2M``, ``PT120S``, ``P0DT0H2M0S``)
    or a ``datetime.timedelta``. None stays None. Anything else raises PlanError naming ``option``."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise PlanError("%s: expected seconds or an ISO 8601 duration such as PT2M, got %r" % (option, value))
    elif isinstance(value, (int, float)):
        seconds = value
    elif isinstance(value, str):
        text = value.strip()
        if re.match(r"^\d+$", text):
            seconds = int(text)
        else:
            match = _DURATION_RE.match(text)
            if not match or text.upper() in ("P", "PT") or text.upper().endswith("T"):
                raise PlanError("%s: '%s' is neither a number of seconds nor an ISO 8601 duration such as "
                                "PT2M or PT120S" % (option, value))
            parts = dict((k, float(v)) for k, v in match.groupdict().items() if v)
            seconds = (parts.get("days", 0) * 86400 + parts.get("hours", 0) * 3600
                       + parts.get("minutes", 0) * 60 + parts.get("seconds", 0))
    else:
        raise PlanError("%s: expected seconds or an ISO 8601 duration such as PT2M, got %r" % (option, value))
    if seconds < 0:
        raise PlanError("%s: must not be negative (got %s)" % (option, value))
    if float(seconds) != int(seconds):
        raise PlanError("%s: Azure takes whole seconds (got %s)" % (option, value))
    return int(seconds)


def iso_duration(seconds):
    """120 -> 'PT120S' (what the REST API takes; Azure echoes it in its own normal form)."""
    return "PT%dS" % int(seconds)


def validate_scale(min_nodes, max_nodes):
    if min_nodes is not None and min_nodes < 0:
        raise PlanError("min_nodes: must be 0 or more (got %s)" % min_nodes)
    if max_nodes is not None and max_nodes < 1:
        raise PlanError("max_nodes: must be 1 or more (got %s)" % max_nodes)
    if min_nodes is not None and max_nodes is not None and min_nodes > max_nodes:
        raise PlanError("min_nodes (%s) must not be greater than max_nodes (%s)" % (min_nodes, max_nodes))


def validate_desired(desired):
    """Checks that need no call to Azure; returns ``desired`` with the idle time in seconds."""
    out = dict(desired)
    out["idle_time_before_scale_down"] = idle_seconds(desired.get("idle_time_before_scale_down"))
    validate_scale(out.get("min_nodes"), out.get("max_nodes"))
    return out


def _same(field, desired, current):
    if field == "remote_login_port_public_access" and isinstance(desired, str) \
            and desired.lower() == "notspecified":
        # 'NotSpecified' lets Azure decide at creation; afterwards Azure reports Enabled or Disabled.
        return True
    if field == "location":
        return normalize_location(desired) == normalize_location(current)
    if field in CASE_INSENSITIVE and isinstance(desired, str) and isinstance(current, str):
        return desired.lower() == current.lower()
    if field == "tags":
        return dict(desired or {}) == dict(current or {})
    if field == "description":
        return (desired or "") == (current or "")
    return desired == current


def plan_compute(desired, current, state="present"):
    """Decide what to do.

    ``desired``: the module's options (None values mean 'not managed'); the idle time in seconds
    (see ``validate_desired``); ``location`` already defaulted to the workspace's by the caller.
    ``current``: the cluster as read (plain dict) or None when it does not exist.

    Returns a dict: ``action`` (create/update/delete/none), ``changes`` (field -> [before, after]),
    ``after`` (the predicted cluster, None when deleted), ``scale`` (the full scale settings to
    send with Compute_Update, or None).
    """
    if state == "absent":
        action = "none" if current is None else "delete"
        return dict(action=action, changes={}, after=None, scale=None)

    if current is None:
        missing = [f for f in ("vm_size", "max_nodes", "location") if desired.get(f) in (None, "")]
        if missing:
            raise PlanError("to create the compute cluster, set: %s" % ", ".join(missing))
        after = dict(
            location=normalize_location(desired["location"]),
            vm_size=desired["vm_size"],
            vm_priority=desired.get("vm_priority") or "Dedicated",
            min_nodes=desired.get("min_nodes") if desired.get("min_nodes") is not None else 0,
            max_nodes=desired["max_nodes"],
            idle_time_before_scale_down=(desired["idle_time_before_scale_down"]
                                         if desired.get("idle_time_before_scale_down") is not None
                                         else DEFAULT_IDLE_SECONDS),
            remote_login_port_public_access=desired.get("remote_login_port_public_access") or "NotSpecified",
            description=desired.get("description") or "",
            tags=dict(desired.get("tags") or {}),
            compute_type="AmlCompute",
        )
        validate_scale(after["min_nodes"], after["max_nodes"])
        return dict(action="create", changes={}, after=after, scale=None)

    if current.get("compute_type") and current["compute_type"] != "AmlCompute":
        raise PlanError("a compute named '%s' exists and is a %s, not an AmlCompute cluster"
                        % (current.get("name"), current["compute_type"]))

    for field in IMMUTABLE:
        want = desired.get(field)
        if want is not None and not _same(field, want, current.get(field)):
            raise PlanError(
                "%s cannot be changed once the compute cluster exists (it is %r, asked for %r): Azure "
                "updates a cluster's scale settings only (min_nodes, max_nodes, "
                "idle_time_before_scale_down); delete the cluster and create it again to change %s"
                % (field, current.get(field), want, field))

    changes = {}
    scale = {f: current.get(f) for f in SCALE_FIELDS}
    for field in SCALE_FIELDS:
        want = desired.get(field)
        if want is not None and want != current.get(field):
            changes[field] = [current.get(field), want]
            scale[field] = want
    if not changes:
        return dict(action="none", changes={}, after=dict(current), scale=None)
    validate_scale(scale["min_nodes"], scale["max_nodes"])
    after = dict(current)
    after.update(scale)
    return dict(action="update", changes=changes, after=after, scale=scale)


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool)


def input_errors(params):
    """Everything wrong with the aml_compute module's options, one line each naming the option
    ([] when good). Pure: the module and the provision role's pre-flight run it before any call."""
    errors = []
    for check in (lambda: validate_name(params.get("name")),
                  lambda: idle_seconds(params.get("idle_time_before_scale_down"))):
        try:
            check()
        except PlanError as exc:
            errors.append(str(exc))
    if params.get("workspace") is not None and not WORKSPACE_NAME_RE.match(str(params["workspace"])):
        errors.append("workspace: '%s' is not a valid workspace name: 3 to 33 characters, letters, digits, '-' "
                      "and '_', starting with a letter or digit" % (params["workspace"],))
    low, high = params.get("min_nodes"), params.get("max_nodes")
    for option, value in (("min_nodes", low), ("max_nodes", high)):
        if value is not None and not _is_count(value):
            errors.append("%s: must be a whole number, got '%s'" % (option, value))
    if (low is None or _is_count(low)) and (high is None or _is_count(high)):
        try:
            validate_scale(low, high)
        except PlanError as exc:
            errors.append(str(exc))
    if params.get("vm_priority") not in (None, "Dedicated", "LowPriority"):
        errors.append("vm_priority: '%s' is not one of Dedicated, LowPriority" % (params["vm_priority"],))
    return errors + tag_errors(params.get("tags")) + wait_timeout_errors(params.get("wait_timeout"))
