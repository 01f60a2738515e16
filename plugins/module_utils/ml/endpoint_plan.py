# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for managed online endpoints and deployments: input checks, asset references
(``name:version`` -> the workspace's ARM ID), and what to create, update (PUT or scale PATCH) or delete.

No SDK and no I/O. endpoint_service.py reads endpoints and deployments as plain dicts with the
keys used here and applies the plans. Unset options (None) mean "keep what is there"; a new
endpoint gets ``auth_mode`` key and no traffic, a new deployment one instance.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.workspace_plan import WORKSPACE_NAME_RE

# Azure ML's rule for endpoint and deployment names: 3 to 32 characters, letters, digits and '-',
# starting with a letter, not ending with '-' (the endpoint name is also a DNS label of its scoring host).
ONLINE_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$")

# module option value <-> Azure's EndpointAuthMode
AUTH_MODES = {"key": "Key", "aml_token": "AMLToken", "aad_token": "AADToken"}

ML_NAMESPACE = "Microsoft.MachineLearningServices"
ENDPOINT_TYPE = ML_NAMESPACE + "/workspaces/onlineEndpoints"
DEPLOYMENT_TYPE = ENDPOINT_TYPE + "/deployments"

# option -> the asset kind (the ARM collection name) it references
REFERENCE_KINDS = {"model": "models", "environment": "environments", "code_id": "codes"}

_ARM_REF_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<group>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/(?P<owner_type>workspaces|registries)/(?P<owner>[^/]+)/"
    r"(?P<kind>[A-Za-z]+)/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$", re.IGNORECASE)
_REGISTRY_REF_RE = re.compile(
    r"^azureml://registries/(?P<owner>[^/]+)/(?P<kind>[A-Za-z]+)/(?P<name>[^/]+)"
    r"(?:/versions/(?P<version>[^/]+)|/labels/(?P<label>[^/]+))$", re.IGNORECASE)
_SHORT_REF_RE = re.compile(r"^(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*):(?P<version>[A-Za-z0-9_.-]+)$")

# Provisioning states of an operation still running (a deployment: Scaling too).
TRANSITIONAL = ("Creating", "Updating", "Scaling", "Deleting")

# Deployment fields a PUT rewrites; a change of the instance count alone is a scale PATCH (sku).
SPEC_FIELDS = ("model", "environment", "code_id", "scoring_script", "environment_variables", "description", "tags")
REFERENCE_FIELDS = ("model", "environment", "code_id")


class PlanError(ValueError):
    """Bad input, or a desired state that cannot be reached from the current one (one line naming the option)."""


# --------------------------------------------------------------------------------- references

def parse_reference(value, option):
    """What an asset reference names: {form: arm|registry|short, kind, name, version, label, owner,
    owner_type, sub, group, value} with ``value`` the reference without ``azureml:`` or a trailing '/'.

    Forms: an ARM ID of a version (optionally ``azureml:``-prefixed), ``azureml://registries/<r>/<kind>/<n>/
    versions/<v>`` (or ``/labels/<l>``), or ``<name>:<version>`` (``azureml:<name>:<version>``) meaning that
    version in the deployment's own workspace. Raises PlanError naming ``option``.
    """
    kind = REFERENCE_KINDS[option]
    if not isinstance(value, str) or not value.strip():
        raise PlanError("%s: expected a reference to a %s version, got %r" % (option, kind[:-1], value))
    text = value.strip()
    if text.lower().startswith("azureml:") and not text.lower().startswith("azureml://"):
        text = text[len("azureml:"):]
    text = text.rstrip("/") if text.startswith(("/", "azureml://")) else text
    for form, regex in (("arm", _ARM_REF_RE), ("registry", _REGISTRY_REF_RE), ("short", _SHORT_REF_RE)):
        match = regex.match(text)
        if match:
            found = dict(dict.fromkeys(("sub", "group", "owner", "owner_type", "label", "version")),
                         **match.groupdict())
            found.update(form=form, value=text, kind=(found.get("kind") or kind).lower())
            if form == "registry":
                found["owner_type"] = "registries"
            if found["kind"] != kind:
                raise PlanError("%s: '%s' names %s, not %s" % (option, value, found["kind"], kind))
            return found
    raise PlanError("%s: '%s' is not a %s reference: expected <name>:<version> (in the workspace), an ARM ID "
                    "ending in /%s/<name>/versions/<version>, or azureml://registries/<registry>/%s/<name>/"
                    "versions/<version>" % (option, value, kind[:-1], kind, kind))


def workspace_asset_id(subscription, resource_group, workspace, kind, name, version):
    return "/subscriptions/%s/resourceGroups/%s/providers/%s/workspaces/%s/%s/%s/versions/%s" % (
        subscription, resource_group, ML_NAMESPACE, workspace, kind, name, version)


def resolve_reference(value, option, subscription, resource_group, workspace):
    """(the reference as sent to Azure: an ARM ID or a registry URI, parsed form). ``<name>:<version>``
    becomes the ARM ID of that version in ``workspace``; an ARM ID of another workspace is refused
    (a deployment runs its own workspace's assets or a registry's)."""
    ref = parse_reference(value, option)
    if ref["form"] == "short":
        rid = workspace_asset_id(subscription, resource_group, workspace, ref["kind"], ref["name"], ref["version"])
        ref = dict(ref, form="arm", value=rid, sub=subscription, group=resource_group, owner=workspace,
                   owner_type="workspaces")
        return rid, ref
    if ref["form"] == "arm" and ref["owner_type"].lower() == "workspaces":
        here = (subscription.lower(), resource_group.lower(), workspace.lower())
        if (ref["sub"].lower(), ref["group"].lower(), ref["owner"].lower()) != here:
            raise PlanError("%s: '%s' is an asset of workspace '%s' (resource group '%s'), not of '%s': a deployment "
                            "uses its own workspace's assets or a registry's" % (
                                option, value, ref["owner"], ref["group"], workspace))
    return ref["value"], ref


def same_reference(a, b):
    """Two references to the same asset as Azure compares IDs: case-insensitively, without
    ``azureml:`` or a trailing '/'. None and '' are the same (no reference)."""
    def norm(value):
        if not value:
            return ""
        text = str(value).strip()
        if text.lower().startswith("azureml:") and not text.lower().startswith("azureml://"):
            text = text[len("azureml:"):]
        return text.rstrip("/").lower()
    return norm(a) == norm(b)


def reference_label(ref):
    """How a missing asset is named in an error: "version '2' of model 'fraud'"."""
    return "version '%s' of %s '%s'" % (ref.get("version") or ref.get("label"), ref["kind"][:-1], ref["name"])


# ---------------------------------------------------------------------------------- input checks

def _name_errors(option, value, what):
    if value is None:
        return []
    if not isinstance(value, str) or not ONLINE_NAME_RE.match(value):
        return ["%s: '%s' is not a valid %s name: 3 to 32 characters, letters, digits and '-', starting with a "
                "letter and not ending with '-'" % (option, value, what)]
    return []


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def traffic_errors(traffic, option="traffic"):
    """One line per problem with a traffic split (deployment -> whole percent, summing to 100 or 0)."""
    if traffic is None:
        return []
    if not isinstance(traffic, dict):
        return ["%s: expected a dict of deployment name -> percent, got %r" % (option, traffic)]
    errors = []
    for name, share in sorted(traffic.items()):
        errors += _name_errors(option, name, "deployment")
        if not _is_int(share) or not 0 <= share <= 100:
            errors.append("%s: the share of deployment '%s' must be a whole percent from 0 to 100, got %r"
                          % (option, name, share))
    if not errors:
        total = sum(traffic.values())
        if total not in (0, 100):
            errors.append("%s: the shares must sum to 100 (or all be 0), they sum to %d" % (option, total))
        lowered = [str(k).lower() for k in traffic]
        if len(set(lowered)) != len(lowered):
            errors.append("%s: names a deployment twice (names are case-insensitive)" % option)
    return errors


def environment_variable_errors(variables, option="environment_variables"):
    if variables is None:
        return []
    if not isinstance(variables, dict):
        return ["%s: expected a dict of name -> value, got %r" % (option, variables)]
    return ["%s: the value of '%s' must be a string or a number, got %r" % (option, k, v)
            for k, v in sorted(variables.items()) if isinstance(v, (bool, dict, list)) or v is None]


def environment_variables(variables):
    """The variables as Azure stores them: string values."""
    if variables is None:
        return None
    return dict((str(k), str(v)) for k, v in variables.items())


def endpoint_input_errors(params):
    """Everything wrong with aml_online_endpoint's (and the info module's) options, one line each
    (``timeout``/``retries``: core/runner.py request_errors)."""
    errors = []
    if params.get("workspace") is not None and not WORKSPACE_NAME_RE.match(str(params["workspace"])):
        errors.append("workspace: '%s' is not a valid workspace name" % (params["workspace"],))
    errors += _name_errors("name", params.get("name"), "online endpoint")
    if params.get("auth_mode") is not None and params["auth_mode"] not in AUTH_MODES:
        errors.append("auth_mode: '%s' is not one of %s" % (params["auth_mode"], ", ".join(sorted(AUTH_MODES))))
    errors += traffic_errors(params.get("traffic"))
    errors += tag_errors(params.get("tags"))
    errors += wait_timeout_errors(params.get("wait_timeout"))
    return errors


def deployment_input_errors(params):
    """Everything wrong with aml_online_deployment's options, one line each naming the option."""
    errors = []
    if params.get("workspace") is not None and not WORKSPACE_NAME_RE.match(str(params["workspace"])):
        errors.append("workspace: '%s' is not a valid workspace name" % (params["workspace"],))
    errors += _name_errors("name", params.get("name"), "online deployment")
    errors += _name_errors("endpoint", params.get("endpoint"), "online endpoint")
    for option in REFERENCE_FIELDS:
        if params.get(option) is not None:
            try:
                parse_reference(params[option], option)
            except PlanError as exc:
                errors.append(str(exc))
    count = params.get("instance_count")
    if count is not None and (not _is_int(count) or count < 1):
        errors.append("instance_count: must be a whole number of at least 1, got %r" % (count,))
    if params.get("instance_type") is not None and not str(params["instance_type"]).strip():
        errors.append("instance_type: must not be empty")
    errors += environment_variable_errors(params.get("environment_variables"))
    errors += tag_errors(params.get("tags"))
    errors += wait_timeout_errors(params.get("wait_timeout"))
    return errors


def input_errors(params):
    """The checks of whichever module ``params`` belong to: a deployment's when they name an ``endpoint``."""
    if "endpoint" in params:
        return deployment_input_errors(params)
    return endpoint_input_errors(params)


# --------------------------------------------------------------------------------------- endpoint

def auth_mode_option(azure_value):
    """Azure's 'AMLToken' -> the option's 'aml_token' (unknown values as they are)."""
    for option, value in AUTH_MODES.items():
        if isinstance(azure_value, str) and azure_value.lower() == value.lower():
            return option
    return azure_value


def live_traffic(traffic):
    """The split as it routes requests: lower-cased names with a share above 0 (a 0 entry is no traffic)."""
    return dict((str(k).lower(), int(v)) for k, v in (traffic or {}).items() if int(v or 0) > 0)


def plan_endpoint(desired, current, state="present", deployments=(), planned_ok=False):
    """Decide what to do with an online endpoint.

    ``desired``: name, location (the workspace's), auth_mode (option form), description, tags, traffic
    (None = keep). ``current``: the endpoint as read, or None. ``deployments``: names of the endpoint's
    deployments (a traffic split may name only those). ``planned_ok`` (check mode): a deployment the
    endpoint lacks may be planned by an earlier task; it is listed under ``unverified`` instead of refused.
    Returns {action, changes, after, unverified} (``after`` the whole endpoint a PUT sends, predicted).
    """
    if state == "absent":
        return dict(action="none" if current is None else "delete", changes={}, after=None, unverified=[])
    traffic = desired.get("traffic")
    unverified = []
    if traffic is not None:
        have = set(str(d).lower() for d in deployments)
        unknown = sorted(k for k in traffic if str(k).lower() not in have)
        if unknown and planned_ok:
            unverified = unknown
        elif unknown:
            raise PlanError("traffic: endpoint '%s' has no deployment %s (it has: %s); create the deployment "
                            "first (amlops.bcdr.aml_online_deployment)" % (
                                desired["name"], ", ".join("'%s'" % u for u in unknown),
                                ", ".join(sorted(deployments)) or "none"))
    if current is None:
        after = dict(name=desired["name"], location=desired.get("location"),
                     auth_mode=desired.get("auth_mode") or "key",
                     description=desired.get("description") or "", tags=dict(desired.get("tags") or {}),
                     traffic=dict(traffic or {}), mirror_traffic={}, public_network_access="Enabled")
        return dict(action="create", changes={}, after=after, unverified=unverified)
    changes = {}
    after = dict(current)
    if desired.get("auth_mode") is not None and desired["auth_mode"] != current.get("auth_mode"):
        changes["auth_mode"] = [current.get("auth_mode"), desired["auth_mode"]]
    if desired.get("description") is not None and desired["description"] != (current.get("description") or ""):
        changes["description"] = [current.get("description") or "", desired["description"]]
    if desired.get("tags") is not None and dict(desired["tags"]) != dict(current.get("tags") or {}):
        changes["tags"] = [dict(current.get("tags") or {}), dict(desired["tags"])]
    if traffic is not None and live_traffic(traffic) != live_traffic(current.get("traffic")):
        changes["traffic"] = [dict(current.get("traffic") or {}), dict(traffic)]
    if current.get("provisioning_state") == "Failed":
        changes["provisioning_state"] = ["Failed", "Succeeded"]  # written again: Azure provisions it anew
    if not changes:
        return dict(action="none", changes={}, after=dict(current), unverified=unverified)
    for field, (_before, value) in changes.items():
        after[field] = value
    return dict(action="update", changes=changes, after=after, unverified=unverified)


# ------------------------------------------------------------------------------------- deployment

def plan_deployment(desired, current, state="present", endpoint_traffic=None):
    """Decide what to do with an online deployment.

    ``desired``: name, endpoint, location (the endpoint's), model/environment/code_id (resolved, see
    ``resolve_reference``), scoring_script, instance_type, instance_count, environment_variables (strings),
    description, tags; None = keep. ``endpoint_traffic``: the endpoint's split (a deployment that gets
    traffic cannot be deleted).
    Returns {action, changes, after, method}: ``method`` 'put' (the whole deployment) or 'scale' (only the
    instance count changes: PATCH sku.capacity).
    """
    name = desired["name"]
    if state == "absent":
        if current is None:
            return dict(action="none", changes={}, after=None, method=None)
        share = dict((str(k).lower(), v) for k, v in (endpoint_traffic or {}).items()).get(name.lower())
        if share:
            raise PlanError("state: deployment '%s' still gets %s%% of endpoint '%s''s traffic; move it to other "
                            "deployments first (amlops.bcdr.aml_online_endpoint traffic)"
                            % (name, share, desired.get("endpoint")))
        return dict(action="delete", changes={}, after=None, method=None)

    if current is None:
        if not desired.get("instance_type"):
            raise PlanError("instance_type: set it to create deployment '%s' (for example Standard_DS3_v2)" % name)
        if desired.get("code_id") and not desired.get("scoring_script"):
            raise PlanError("scoring_script: set it with code_id (the script in that code that scores requests)")
        after = dict(name=name, endpoint=desired.get("endpoint"), location=desired.get("location"),
                     model=desired.get("model"), environment=desired.get("environment"),
                     code_id=desired.get("code_id"), scoring_script=desired.get("scoring_script"),
                     instance_type=desired["instance_type"],
                     instance_count=desired.get("instance_count") or 1,
                     environment_variables=dict(desired.get("environment_variables") or {}),
                     description=desired.get("description") or "", tags=dict(desired.get("tags") or {}))
        return dict(action="create", changes={}, after=after, method="put")

    want_type = desired.get("instance_type")
    if want_type and str(want_type).lower() != str(current.get("instance_type") or "").lower():
        raise PlanError("instance_type: deployment '%s' runs on %s and Azure cannot change that (asked for %s); "
                        "create a new deployment with %s and move the traffic to it" % (
                            name, current.get("instance_type"), want_type, want_type))
    changes = {}
    for field in REFERENCE_FIELDS:
        want = desired.get(field)
        if want is not None and not same_reference(want, current.get(field)):
            changes[field] = [current.get(field), want]
    if desired.get("scoring_script") is not None and desired["scoring_script"] != current.get("scoring_script"):
        changes["scoring_script"] = [current.get("scoring_script"), desired["scoring_script"]]
    for field, empty in (("environment_variables", {}), ("tags", {}), ("description", "")):
        want = desired.get(field)
        have = current.get(field) or empty
        if want is not None and want != have:
            changes[field] = [have, want]
    count = desired.get("instance_count")
    if count is not None and count != current.get("instance_count"):
        changes["instance_count"] = [current.get("instance_count"), count]
    if current.get("provisioning_state") == "Failed":
        changes["provisioning_state"] = ["Failed", "Succeeded"]  # written again: Azure provisions it anew
    if not changes:
        return dict(action="none", changes={}, after=dict(current), method=None)
    after = dict(current)
    for field, (_before, value) in changes.items():
        after[field] = value
    if after.get("code_id") and not after.get("scoring_script"):
        raise PlanError("scoring_script: set it with code_id (the script in that code that scores requests)")
    method = "scale" if set(changes) == {"instance_count"} else "put"
    return dict(action="update", changes=changes, after=after, method=method)


def references_to_check(plan):
    """The reference fields whose assets must exist before the plan is applied: all of them for a
    create or a PUT (Azure checks every reference it is sent), none for a scale or no change."""
    if plan["action"] == "create" or (plan["action"] == "update" and plan.get("method") == "put"):
        return [f for f in REFERENCE_FIELDS if plan["after"].get(f)]
    return []
