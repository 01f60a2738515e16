# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for plain tracked ARM resources: resource groups, storage accounts, key vaults,
Application Insights components.

All four are "a tracked ARM resource with a few managed properties and tags", so one decision
table (``plan_resource``) serves them, driven by a ``ResourceSpec`` that says which fields are
updatable, which are fixed at creation, which may only be switched on, and which defaults apply
when the resource is created. The per-type rules (name formats, storage SKU conversions, the
resource group deletion guard) are small functions next to it. No SDK and no I/O: the service
layer (arm_services.py) reads resources as plain snake_case dicts and applies the plans.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import namedtuple

from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import merge_tags
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import require_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import MAX_NAME, MAX_STORAGE_NAME, tag_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors


class PlanError(ValueError):
    """Bad input, or a desired state that cannot be reached from the current one."""


_SPEC_FIELDS = ("label", "required", "updatable", "immutable", "one_way", "create_defaults", "case_insensitive")


class ResourceSpec(namedtuple("ResourceSpec", _SPEC_FIELDS)):
    """What ``plan_resource`` needs to know about one resource type.

    ``label``: 'storage account', used in messages. ``required``: fields needed to create it.
    ``updatable``: fields an update may change. ``immutable``: fields fixed at creation (a
    different value is an error). ``one_way``: {field: value} that, once reached, cannot be left
    (purge protection). ``create_defaults``: values used at creation when the option is unset (an
    existing resource keeps its own). ``case_insensitive``: fields ARM compares ignoring case.
    Location is always immutable and compared as ARM does ('East US' == 'eastus').
    """

    __slots__ = ()


def normalize_location(value):
    """'East US' and 'eastus' are the same region for ARM."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _same(spec, field, want, have):
    if field == "location":
        return normalize_location(want) == normalize_location(have)
    if field in spec.case_insensitive and isinstance(want, str) and isinstance(have, str):
        return want.lower() == have.lower()
    return want == have


def plan_resource(spec, desired, current, state="present"):
    """Decide what to do with one resource.

    ``desired``: the module options (None = not managed), with ``tags`` and ``purge_tags``.
    ``current``: the resource as read (plain dict) or None when it does not exist.

    Returns ``{action, changes, after, patch}``: action create/update/delete/none, changes
    {field: [before, after]}, the predicted resource (None once deleted), and the fields to send.
    """
    if state == "absent":
        return dict(action="none" if current is None else "delete", changes={}, after=None, patch={})

    if current is None:
        missing = [f for f in spec.required if desired.get(f) is None]
        if missing:
            raise PlanError("to create the %s, set: %s" % (spec.label, ", ".join(missing)))
        after = dict(spec.create_defaults)
        after.update((k, v) for k, v in desired.items() if k not in ("tags", "purge_tags") and v is not None)
        after["location"] = normalize_location(after["location"])
        after["tags"] = merge_tags(desired.get("tags"), {}, True)
        return dict(action="create", changes={}, after=after, patch={})

    for field in ("location",) + tuple(spec.immutable):
        want, have = desired.get(field), current.get(field)
        if want is not None and not _same(spec, field, want, have):
            raise PlanError("%s cannot be changed once the %s exists (it is '%s', asked for '%s'); create a new %s instead"
                            % (field, spec.label, have, want, spec.label))
    for field, stuck in spec.one_way.items():
        want, have = desired.get(field), current.get(field)
        if want is not None and have == stuck and want != stuck:
            raise PlanError("%s cannot be set to %s: it is already %s on this %s and Azure does not allow "
                            "turning it back" % (field, want, have, spec.label))

    changes, patch = {}, {}
    for field in spec.updatable:
        want, have = desired.get(field), current.get(field)
        if want is not None and not _same(spec, field, want, have):
            changes[field] = [have, want]
            patch[field] = want
    tags_before = dict(current.get("tags") or {})
    tags_after = merge_tags(desired.get("tags"), tags_before, desired.get("purge_tags", True))
    if tags_after != tags_before:
        changes["tags"] = [tags_before, tags_after]
        patch["tags"] = tags_after

    after = dict(current)
    after.update(patch)
    after["tags"] = tags_after
    return dict(action="update" if patch else "none", changes=changes, after=after, patch=patch)


def _check_name(name, pattern, option, rule, label):
    if not isinstance(name, str) or not re.match(pattern, name):
        raise PlanError("%s: '%s' is not a valid %s name: %s" % (option, name, label, rule))
    return name


# --- resource groups -------------------------------------------------------------------------

RESOURCE_GROUP = ResourceSpec(
    label="resource group", required=("location",), updatable=(), immutable=(), one_way={},
    create_defaults={}, case_insensitive=())


def validate_resource_group_name(name, option="name"):
    _check_name(name, r"^[-\w._()]{1,90}$", option,
                "1 to 90 letters, digits, '-', '_', '.', '(' and ')', not ending with '.'", "resource group")
    if name.endswith("."):
        raise PlanError("%s: '%s' is not a valid resource group name: it must not end with '.'" % (option, name))
    return name


def check_group_delete(name, contents, force):
    """Refuse to delete a group that holds resources unless ``force`` (force_delete_nonempty).

    ``contents``: the IDs (or names) of the resources in the group.
    """
    if contents and not force:
        shown = ", ".join(str(c).rstrip("/").rsplit("/", 1)[-1] for c in contents[:5])
        more = " and %d more" % (len(contents) - 5) if len(contents) > 5 else ""
        raise PlanError("resource group %s holds %d resource(s) (%s%s); set force_delete_nonempty: true to delete "
                        "it with everything in it" % (name, len(contents), shown, more))


# --- storage accounts ------------------------------------------------------------------------

STORAGE_SKUS = ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS",
                "Standard_RAGZRS", "Premium_LRS", "Premium_ZRS")
# SKUs an account can move between with a plain update (the others need a migration).
_SKU_FAMILIES = (("Standard_LRS", "Standard_GRS", "Standard_RAGRS"), ("Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS"))

STORAGE_ACCOUNT = ResourceSpec(
    label="storage account", required=("location", "sku"),
    updatable=("sku", "access_tier", "https_only", "minimum_tls_version", "allow_blob_public_access"),
    immutable=("kind", "is_hns_enabled"), one_way={},
    create_defaults=dict(kind="StorageV2", is_hns_enabled=False),
    case_insensitive=("sku", "kind", "access_tier", "minimum_tls_version"))


def validate_storage_account_name(name, option="name"):
    return _check_name(name, r"^[a-z0-9]{3,24}$", option, "3 to 24 lower-case letters and digits", "storage account")


def check_sku_change(current_sku, wanted_sku):
    """Refuse SKU changes Azure does not do with an update (Premium, or LRS/GRS <-> ZRS/GZRS)."""
    if current_sku is None or wanted_sku is None or current_sku.lower() == wanted_sku.lower():
        return
    for family in _SKU_FAMILIES:
        lowered = [s.lower() for s in family]
        if current_sku.lower() in lowered and wanted_sku.lower() in lowered:
            return
    raise PlanError("sku cannot be changed from %s to %s with an update: only within %s, or within %s; "
                    "moving to or from zone redundancy or Premium needs a migration (or a new account)"
                    % (current_sku, wanted_sku, "/".join(_SKU_FAMILIES[0]), "/".join(_SKU_FAMILIES[1])))


# --- key vaults ------------------------------------------------------------------------------

KEY_VAULT = ResourceSpec(
    label="key vault", required=("location", "tenant_id"),
    updatable=("tenant_id", "sku", "enable_rbac_authorization", "enable_purge_protection", "public_network_access"),
    immutable=("soft_delete_retention_days",), one_way={"enable_purge_protection": True},
    create_defaults=dict(sku="standard", enable_rbac_authorization=True, soft_delete_retention_days=90,
                         enable_purge_protection=False, public_network_access="Enabled"),
    case_insensitive=("tenant_id", "sku", "public_network_access"))


def validate_key_vault_name(name, option="name"):
    _check_name(name, r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$", option,
                "3 to 24 letters, digits and '-', starting with a letter, ending with a letter or digit", "key vault")
    if "--" in name:
        raise PlanError("%s: '%s' is not a valid key vault name: it must not contain '--'" % (option, name))
    return name


def validate_retention_days(days, option="soft_delete_retention_days"):
    if days is not None and not 7 <= days <= 90:
        raise PlanError("%s: %s is out of range: 7 to 90 days" % (option, days))
    return days


# --- Application Insights --------------------------------------------------------------------

APP_INSIGHTS = ResourceSpec(
    label="Application Insights component", required=("location",),
    updatable=("retention_in_days", "ingestion_mode", "workspace_resource_id"),
    immutable=("kind", "application_type"), one_way={},
    create_defaults=dict(kind="web", application_type="web"),
    case_insensitive=("kind", "application_type", "ingestion_mode", "workspace_resource_id"))


def validate_app_insights_name(name, option="name"):
    _check_name(name, r"^[^%&\\?/\x00-\x1f]{1,260}$", option,
                "1 to 260 characters without %, &, \\, ?, / or control characters", "Application Insights")
    if name.endswith((".", " ")):
        raise PlanError("%s: '%s' is not a valid Application Insights name: it must not end with '.' or a space"
                        % (option, name))
    return name


def validate_guid(value, option):
    """A directory (tenant) ID and the like: None, or a GUID."""
    if value is not None and not re.match(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", value):
        raise PlanError("%s: '%s' is not a GUID (like 72f988bf-86f1-41af-91ab-2d7cd011db47)" % (option, value))
    return value


# --- input checks (one per module; the provision role's pre-flight calls the same ones) -------

def _errors_of(*checks):
    """Run ``(function, args...)`` checks that raise PlanError/ValueError; their messages, in order."""
    errors = []
    for check in checks:
        try:
            check[0](*check[1:])
        except ValueError as exc:  # PlanError and InvalidResourceIdError are ValueErrors
            errors.append(str(exc))
    return errors


def _common_errors(params, name_check, max_tag_name=MAX_NAME):
    errors = _errors_of((name_check, params.get("name")))
    if params.get("resource_group") is not None:
        errors += _errors_of((validate_resource_group_name, params["resource_group"], "resource_group"))
    errors += tag_errors(params.get("tags"), max_name=max_tag_name)
    errors += wait_timeout_errors(params.get("wait_timeout"))
    return errors


def resource_group_errors(params):
    return _common_errors(params, validate_resource_group_name)


def storage_account_errors(params):
    errors = _common_errors(params, validate_storage_account_name, max_tag_name=MAX_STORAGE_NAME)
    if params.get("sku") is not None and params["sku"] not in STORAGE_SKUS:
        errors.append("sku: '%s' is not one of %s" % (params["sku"], ", ".join(STORAGE_SKUS)))
    return errors


def key_vault_errors(params):
    errors = _common_errors(params, validate_key_vault_name)
    errors += _errors_of((validate_guid, params.get("vault_tenant"), "vault_tenant"),
                         (validate_retention_days, params.get("soft_delete_retention_days")))
    if params.get("sku") is not None and params["sku"] not in ("standard", "premium"):
        errors.append("sku: '%s' is not one of standard, premium" % (params["sku"],))
    return errors


def app_insights_errors(params):
    errors = _common_errors(params, validate_app_insights_name)
    if params.get("workspace_resource_id"):
        errors += _errors_of((require_resource_id, params["workspace_resource_id"],
                              "Microsoft.OperationalInsights/workspaces", "workspace_resource_id"))
    return errors


INPUT_ERRORS = {
    "resource_group": resource_group_errors,
    "storage_account": storage_account_errors,
    "key_vault": key_vault_errors,
    "app_insights": app_insights_errors,
}


def input_errors(params, kind):
    """Everything wrong with one module's options (``kind``: its module name), one line each naming
    the option; [] when good. Pure, so it runs before any call to Azure."""
    return INPUT_ERRORS[kind](params)
