# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role assignment operations: the one place that calls the authorization SDK.

Microsoft.Authorization api-version 2022-04-01 (pinned in clients.API_VERSIONS). Everything
returned is a plain dict (see ``assignment_to_dict``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, from_sdk_error
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.role_plan import role_name, scope_of

try:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
except ImportError:  # reported by the module through missing_required_lib
    HttpResponseError = ResourceNotFoundError = None

# Azure error codes that mean "the input names something that does not exist": turned into one
# line that says which option to check.
PRINCIPAL_ERRORS = ("PrincipalNotFound", "InvalidPrincipalId")
ROLE_ERRORS = ("RoleDefinitionDoesNotExist", "RoleDefinitionNotFound", "InvalidRoleDefinitionId")
EXISTS_ERRORS = ("RoleAssignmentExists",)


def _models():
    # multi-api package: the models of the pinned api-version
    from azure.mgmt.authorization.v2022_04_01 import models
    return models


def assignment_to_dict(ra):
    """The module-facing shape of a role assignment."""
    value = dict(
        id=ra.id,
        name=ra.name,
        scope=getattr(ra, "scope", None),
        principal_id=ra.principal_id,
        principal_type=getattr(ra, "principal_type", None),
        role_definition_id=ra.role_definition_id,
        description=getattr(ra, "description", None),
    )
    value["scope"] = scope_of(value)
    value["role"] = role_name(value["role_definition_id"])
    return value


def list_for_principal(clients, scope, principal_id):
    """Assignments of ``principal_id`` at, above or below ``scope`` (ARM's principalId filter).

    A scope that does not exist (yet: check mode before the play creates it) has none.
    """
    pages = clients.authorization().role_assignments.list_for_scope(
        scope, filter="principalId eq '%s'" % principal_id)
    try:
        return [assignment_to_dict(ra) for ra in pages]
    except ResourceNotFoundError:
        return []


def get_assignment(clients, scope, name):
    try:
        return assignment_to_dict(clients.authorization().role_assignments.get(scope, name))
    except ResourceNotFoundError:
        return None


def explain(exc, principal_id, role_definition_id, tenant=None):
    """One clear line for the errors that mean 'what you named does not exist'."""
    if not isinstance(exc, AzureOperationError):
        exc = from_sdk_error(exc, "creating the role assignment")
    if exc.code in PRINCIPAL_ERRORS:
        return AzureOperationError(
            "principal_id: principal %s does not exist in tenant %s (give the object ID of a user, group or "
            "service principal, not an application/client ID; a principal created seconds ago may not have "
            "replicated yet)" % (principal_id, tenant or "of the subscription"), code=exc.code, status=exc.status)
    if exc.code in ROLE_ERRORS:
        return AzureOperationError(
            "role: role definition %s does not exist (pass a built-in role name or the ID of a role definition "
            "that exists in this subscription)" % role_definition_id, code=exc.code, status=exc.status)
    return exc


def create_assignment(clients, scope, name, principal_id, role_definition_id, principal_type=None, tenant=None):
    params = _models().RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id, principal_id=principal_id, principal_type=principal_type)
    try:
        return assignment_to_dict(clients.authorization().role_assignments.create(scope, name, params))
    except Exception as exc:  # pylint: disable=broad-except
        if HttpResponseError is not None and isinstance(exc, HttpResponseError):
            raise explain(exc, principal_id, role_definition_id, tenant)
        raise


def delete_assignment(clients, assignment):
    """Delete by the assignment's own scope and name; a 404 (already gone) is fine."""
    try:
        clients.authorization().role_assignments.delete(scope_of(assignment), assignment["name"])
    except ResourceNotFoundError:
        pass
