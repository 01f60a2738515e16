# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for Azure role assignments: role names, deterministic names, matching.

A role assignment is identified by what it grants (principal + role + scope), not by its name:
an assignment someone made by hand, under a random GUID, for the same principal, role and scope
is the same grant. No SDK and no I/O here; role_service.py reads the assignments at a scope as
plain dicts (keys below) and applies the plan.

Assignment dicts: ``id``, ``name``, ``scope``, ``principal_id``, ``principal_type``,
``role_definition_id``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import uuid

# Well-known Azure built-in roles: their IDs are the same in every tenant and cloud.
# Checked against Microsoft's built-in roles reference and Azure Verified Modules' role tables.
BUILTIN_ROLES = {
    # general
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    # Azure Machine Learning / AI
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "AzureML Compute Operator": "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    "AzureML Registry User": "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    "AzureML Metrics Writer (preview)": "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
    "Azure AI Developer": "64702f94-c441-49e6-a78b-ef80e0188fee",
    # Container Registry
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "AcrDelete": "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
    "AcrImageSigner": "6cef56e8-d556-48e5-a04f-b8e64114680f",
    # Storage
    "Storage Account Contributor": "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    "Storage Account Key Operator Service Role": "81a9662b-bebf-436f-a333-f67b29880f12",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Delegator": "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
    "Storage File Data Privileged Contributor": "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    "Storage File Data Privileged Reader": "b8eda974-7b85-4f76-af95-65846b26df6d",
    # Key Vault
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    # Monitoring / Application Insights
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    "Monitoring Contributor": "749f88d5-cbae-40b8-bcfc-e573ddc772fa",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
_ROLES_BY_LOWER_NAME = {name.lower(): name for name in BUILTIN_ROLES}
_ROLE_NAMES_BY_GUID = {guid: name for name, guid in BUILTIN_ROLES.items()}

ROLE_DEFINITION_SEGMENT = "/providers/microsoft.authorization/roledefinitions/"
ROLE_ASSIGNMENT_SEGMENT = "/providers/microsoft.authorization/roleassignments/"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ROLE_ID_RE = re.compile(
    r"^(/subscriptions/[^/]+)?/providers/Microsoft\.Authorization/roleDefinitions/([0-9a-fA-F-]{36})$",
    re.IGNORECASE)
_SUBSCRIPTION_SCOPE_RE = re.compile(r"^/subscriptions/[^/]+$", re.IGNORECASE)

# Names that derive assignment names: uuid5 in a namespace of our own, so that the same grant
# always gets the same name, whoever runs the play and however often.
NAME_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://galaxy.ansible.com/amlops/bcdr/role_assignment")


class PlanError(ValueError):
    """Bad input, or a state the module cannot reach; the message names the option."""


def is_guid(value):
    return isinstance(value, str) and bool(GUID_RE.match(value))


def validate_guid(value, option):
    if not is_guid(value):
        raise PlanError("%s: '%s' is not a GUID (like 11111111-2222-3333-4444-555555555555)" % (option, value))
    return value.lower()


def normalize_scope(scope):
    """The scope without a trailing slash; '' for anything that is not a string."""
    return scope.strip().rstrip("/") if isinstance(scope, str) else ""


def validate_scope(scope):
    """A subscription, resource group or resource ID (checked for shape only)."""
    value = normalize_scope(scope)
    parts = value.strip("/").split("/") if value else []
    ok = value.startswith("/subscriptions/") and len(parts) >= 2 and all(parts)
    if ok and len(parts) > 2:
        if parts[2].lower() == "resourcegroups":
            ok = len(parts) == 4 or (len(parts) >= 8 and parts[4].lower() == "providers" and len(parts) % 2 == 0)
        else:
            ok = parts[2].lower() == "providers" and len(parts) >= 6 and len(parts) % 2 == 0
    if ok and ROLE_ASSIGNMENT_SEGMENT.rstrip("/") in value.lower():
        ok = False
    if not ok:
        raise PlanError(
            "scope: '%s' is not a subscription, resource group or resource ID (for example "
            "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>)"
            % (scope,))
    return value


def role_guid(role_definition_id):
    """The GUID at the end of a role definition ID (lower case), or None."""
    if not isinstance(role_definition_id, str):
        return None
    tail = role_definition_id.rstrip("/").rsplit("/", 1)[-1]
    return tail.lower() if is_guid(tail) else None


def role_name(role_definition_id):
    """The built-in role's name for a role definition ID, or None when it is not in the table."""
    return _ROLE_NAMES_BY_GUID.get(role_guid(role_definition_id))


def resolve_role(role, subscription_id):
    """``role`` (a built-in role name, a role definition ID, or a role definition GUID) -> the
    subscription-level role definition ID that ARM stores, ``/subscriptions/<sub>/providers/
    Microsoft.Authorization/roleDefinitions/<guid>``. Names are matched case-insensitively."""
    if not isinstance(role, str) or not role.strip():
        raise PlanError("role: a role name or a role definition ID is required")
    text = role.strip()
    guid = None
    if text.lower() in _ROLES_BY_LOWER_NAME:
        guid = BUILTIN_ROLES[_ROLES_BY_LOWER_NAME[text.lower()]]
    elif is_guid(text):
        guid = text.lower()
    else:
        match = _ROLE_ID_RE.match(text)
        if match:
            if not is_guid(match.group(2)):
                raise PlanError("role: '%s' does not end with a role definition GUID" % text)
            if match.group(1):  # keep the subscription the caller named
                return "%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (match.group(1), match.group(2).lower())
            guid = match.group(2).lower()
    if guid is None:
        raise PlanError(
            "role: '%s' is not a built-in role this module knows; pass its role definition ID instead "
            "(/subscriptions/<subscription>/providers/Microsoft.Authorization/roleDefinitions/<guid>, "
            "or the bare <guid>; 'az role definition list --name \"<role name>\" --query [].id' shows it). "
            "Known names: %s" % (text, ", ".join(sorted(BUILTIN_ROLES))))
    return "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (subscription_id, guid)


def assignment_name(scope, principal_id, role_definition_id):
    """The deterministic assignment name: uuid5 of scope + principal + role (all case-folded)."""
    key = "%s|%s|%s" % (normalize_scope(scope).lower(), (principal_id or "").lower(),
                        role_guid(role_definition_id) or (role_definition_id or "").lower())
    return str(uuid.uuid5(NAME_NAMESPACE, key))


def scope_of(assignment):
    """An assignment's scope: its ``scope`` property, else what precedes /providers/Microsoft.Authorization."""
    scope = assignment.get("scope")
    if not scope and assignment.get("id"):
        rid = assignment["id"]
        at = rid.lower().rfind(ROLE_ASSIGNMENT_SEGMENT)
        scope = rid[:at] if at >= 0 else None
    return normalize_scope(scope) or "/"


def same_scope(a, b):
    return normalize_scope(a).lower() == normalize_scope(b).lower()


def grants(assignment, scope, principal_id, role_definition_id):
    """True when ``assignment`` gives ``principal_id`` the role at exactly ``scope``
    (an assignment inherited from a parent scope is a different grant)."""
    return (same_scope(scope_of(assignment), scope)
            and (assignment.get("principal_id") or "").lower() == (principal_id or "").lower()
            and role_guid(assignment.get("role_definition_id")) == role_guid(role_definition_id))


def plan_role_assignment(desired, existing, state="present", named=None):
    """Decide what to do.

    ``desired``: ``scope``, ``principal_id``, ``role_definition_id``, ``name`` (resolved),
    ``principal_type`` (optional).
    ``existing``: the assignments read at the scope for the principal (any scope, any role).
    ``named``: the assignment that already carries ``desired['name']`` at the scope, if any.

    Returns ``action`` (create/delete/none), ``matches`` (assignments that make the grant),
    ``after`` (the assignment after the change, or None), ``changes``.
    """
    scope, principal, role = desired["scope"], desired["principal_id"], desired["role_definition_id"]
    matches = [a for a in existing or () if grants(a, scope, principal, role)]
    if named is not None and grants(named, scope, principal, role) \
            and not any((m.get("name") or "").lower() == (named.get("name") or "").lower() for m in matches):
        matches.append(named)

    if state == "absent":
        if not matches:
            return dict(action="none", matches=[], after=None, changes={})
        return dict(action="delete", matches=matches, after=None,
                    changes={"assignments": [[m.get("name") for m in matches], []]})

    if matches:
        # Prefer the one with the name we would have given it, then the first by name.
        ours = [m for m in matches if (m.get("name") or "").lower() == desired["name"].lower()]
        keep = ours[0] if ours else sorted(matches, key=lambda m: m.get("name") or "")[0]
        return dict(action="none", matches=matches, after=dict(keep), changes={})

    if named is not None:
        raise PlanError(
            "name: a role assignment named %s already exists at %s for principal %s with role %s; role "
            "assignments cannot be changed: delete it or choose another name"
            % (named.get("name"), scope_of(named), named.get("principal_id"),
               role_name(named.get("role_definition_id")) or named.get("role_definition_id")))
    after = dict(name=desired["name"], scope=scope, principal_id=principal, role_definition_id=role,
                 principal_type=desired.get("principal_type"),
                 id="%s/providers/Microsoft.Authorization/roleAssignments/%s" % (scope, desired["name"]))
    return dict(action="create", matches=[], after=after,
                changes={"assignments": [[], [desired["name"]]]})


def input_errors(params):
    """Everything wrong with the role_assignment module's options, one line each naming the option
    ([] when good). Pure: the module and the provision role's pre-flight run it before any call."""
    errors = []
    checks = [(validate_guid, params.get("principal_id"), "principal_id"),
              # The subscription only completes a role name into an ID; any GUID checks the name.
              (resolve_role, params.get("role"), "00000000-0000-0000-0000-000000000000")]
    if params.get("scope") is not None:
        checks.append((validate_scope, params["scope"]))
    if params.get("name") is not None:
        checks.append((validate_guid, params["name"], "name"))
    for check in checks:
        try:
            check[0](*check[1:])
        except PlanError as exc:
            errors.append(str(exc))
    if params.get("principal_type") not in (None, "User", "Group", "ServicePrincipal"):
        errors.append("principal_type: '%s' is not one of User, Group, ServicePrincipal" % (params["principal_type"],))
    return errors
