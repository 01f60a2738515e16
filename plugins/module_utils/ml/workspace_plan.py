# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for ML workspaces: what to create, change or delete, and the predicted result.

No SDK and no I/O here, so that the decision table is unit-tested on plain dicts. The service
layer (workspace_service.py) reads the current workspace as a plain dict with the keys below
and applies the plan this module returns.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import require_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors

# Azure ML's rule for workspace names (the 2024-04-01 spec leaves the path parameter unconstrained;
# the service enforces this one).
WORKSPACE_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")

# Settable after creation through PATCH (WorkspacePropertiesUpdateParameters in the spec).
UPDATABLE = ("description", "friendly_name", "image_build_compute", "public_network_access",
             "application_insights", "container_registry", "sku")
# Not in the update parameters: fixed once the workspace exists.
IMMUTABLE = ("location", "storage_account", "key_vault", "hbi_workspace")
# Resource IDs compare case-insensitively, as ARM does.
ID_FIELDS = ("storage_account", "key_vault", "application_insights", "container_registry")
CASE_INSENSITIVE = ID_FIELDS + ("location", "sku", "public_network_access")


class PlanError(ValueError):
    """The desired state cannot be reached from the current one (e.g. an immutable field differs)."""


def validate_name(name):
    if not isinstance(name, str) or not WORKSPACE_NAME_RE.match(name):
        raise PlanError(
            "name: '%s' is not a valid workspace name: 3 to 33 characters, letters, digits, '-' "
            "and '_', starting with a letter or digit" % (name,))


def normalize_location(value):
    """'East US' and 'eastus' are the same region for ARM."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _same(field, desired, current):
    if field in CASE_INSENSITIVE and isinstance(desired, str) and isinstance(current, str):
        if field == "location":
            return normalize_location(desired) == normalize_location(current)
        return desired.lower() == current.lower()
    return desired == current


def desired_tags(wanted, current, purge):
    """Tags after the change: None means 'leave tags alone'."""
    if wanted is None:
        return dict(current or {})
    if purge:
        return dict(wanted)
    merged = dict(current or {})
    merged.update(wanted)
    return merged


def plan_workspace(desired, current, state="present"):
    """Decide what to do.

    ``desired``: the module's options as a dict (None values mean 'not managed').
    ``current``: the workspace as read (plain dict) or None when it does not exist.

    Returns a dict: ``action`` (create/update/delete/none), ``changes`` (field -> [before, after]),
    ``after`` (the predicted workspace, or None when deleted), ``patch`` (fields for PATCH).
    """
    if state == "absent":
        if current is None:
            return dict(action="none", changes={}, after=None, patch={})
        return dict(action="delete", changes={}, after=None, patch={})

    if current is None:
        missing = [f for f in ("location", "storage_account", "key_vault", "application_insights")
                   if not desired.get(f)]
        if missing:
            raise PlanError("to create the workspace, set: %s" % ", ".join(missing))
        after = {k: v for k, v in desired.items() if k not in ("tags", "purge_tags") and v is not None}
        after["location"] = normalize_location(after["location"])
        after.setdefault("sku", "Basic")
        after.setdefault("hbi_workspace", False)
        after.setdefault("public_network_access", "Enabled")
        after["tags"] = desired_tags(desired.get("tags"), {}, True)
        return dict(action="create", changes={}, after=after, patch={})

    for field in IMMUTABLE:
        want = desired.get(field)
        if want is not None and not _same(field, want, current.get(field)):
            raise PlanError(
                "%s cannot be changed once the workspace exists (it is '%s', asked for '%s'); "
                "create a new workspace instead" % (field, current.get(field), want))

    changes, patch = {}, {}
    for field in UPDATABLE:
        want = desired.get(field)
        if want is not None and not _same(field, want, current.get(field)):
            changes[field] = [current.get(field), want]
            patch[field] = want
    tags_after = desired_tags(desired.get("tags"), current.get("tags"), desired.get("purge_tags", True))
    if tags_after != (current.get("tags") or {}):
        changes["tags"] = [current.get("tags") or {}, tags_after]
        patch["tags"] = tags_after

    after = dict(current)
    after.update(patch)
    after["tags"] = tags_after
    return dict(action="update" if patch else "none", changes=changes, after=after, patch=patch)


# Options that name other resources, by resource ID, and the type each must be.
ID_OPTIONS = {
    "storage_account": "Microsoft.Storage/storageAccounts",
    "key_vault": "Microsoft.KeyVault/vaults",
    "application_insights": "Microsoft.Insights/components",
    "container_registry": "Microsoft.ContainerRegistry/registries",
}


def input_errors(params):
    """Everything wrong with the aml_workspace module's options, one line each naming the option
    ([] when good). Pure: the module and the provision role's pre-flight run it before any call."""
    errors = []
    try:
        validate_name(params.get("name"))
    except PlanError as exc:
        errors.append(str(exc))
    for option, resource_type in ID_OPTIONS.items():
        if params.get(option):
            try:
                require_resource_id(params[option], resource_type, option)
            except ValueError as exc:
                errors.append(str(exc))
    return errors + tag_errors(params.get("tags")) + wait_timeout_errors(params.get("wait_timeout"))
