#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: role_assignment
short_description: Grant or remove an Azure role for a principal at a scope, idempotently
version_added: 0.1.0
description:
  - Ensures that a principal (user, group or service principal) has, or does not have, an Azure role at a
    scope (a subscription, a resource group or a resource such as a workspace or a registry). The disaster
    recovery design grants the same roles in both regions of a pair; run this module for each.
  - Idempotent by principal + role + scope, not by assignment name. Before creating, the module lists the
    principal's assignments at the scope; an assignment that already grants the role there, whatever its
    name (for example one made by hand in the portal), counts as present and nothing changes. With
    O(state=absent), every assignment that grants the role to the principal at exactly that scope is
    deleted. Assignments inherited from a parent scope are different grants and are left alone.
  - The default assignment name is a deterministic UUID (version 5) of scope + principal + role, so
    repeated and concurrent runs converge on one assignment.
  - Role assignments cannot be changed once made; O(principal_type) is only used when creating.
  - Calls Microsoft.Authorization api-version 2022-04-01. Supports check mode and C(--diff).
options:
  principal_id:
    description:
      - Object ID of the user, group or service principal (not the application/client ID of an app
        registration).
      - A principal that does not exist in the tenant fails with one line naming it; nothing is changed.
    type: str
    required: true
  principal_type:
    description:
      - Type of the principal. Azure recommends it for service principals created moments before, whose
        replication may lag. Used only when the assignment is created.
    type: str
    choices: [User, Group, ServicePrincipal]
  role:
    description:
      - A built-in role name, such as C(AzureML Data Scientist), C(AzureML Compute Operator),
        C(AzureML Registry User), C(Contributor), C(Reader), C(Owner), C(AcrPull), C(AcrPush),
        C(Storage Blob Data Reader), C(Storage Blob Data Contributor), C(Key Vault Secrets User)
        (matched case-insensitively against a table of well-known built-in roles in the module);
      - or a role definition ID, C(/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>)
        (also the tenant-level C(/providers/Microsoft.Authorization/roleDefinitions/<guid>) form), or the
        bare role definition GUID, for custom roles and built-in roles not in the table.
      - Roles are compared by their role definition GUID, case-insensitively.
    type: str
    required: true
  scope:
    description:
      - Resource ID of the scope, for example
        C(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>),
        a resource group ID or a subscription ID (C(/subscriptions/<id>)).
    type: str
    required: true
  name:
    description:
      - Name (a GUID) to give the assignment when it is created.
      - Default is a UUID derived from scope + principal + role. An existing assignment for the same grant
        under another name still counts as present.
    type: str
  state:
    description: Whether the principal should have the role at the scope.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
notes:
  - The module needs C(Microsoft.Authorization/roleAssignments/write) (and C(/delete)) at the scope, for
    example through C(User Access Administrator) or C(Role Based Access Control Administrator).
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Data scientists can use both workspaces of the pair
  amlops.bcdr.role_assignment:
    principal_id: "{{ data_science_group_object_id }}"
    principal_type: Group
    role: AzureML Data Scientist
    scope: "{{ item }}"
  loop:
    - "{{ primary_workspace_id }}"
    - "{{ secondary_workspace_id }}"

- name: The secondary workspace's identity pulls images from the shared registry
  amlops.bcdr.role_assignment:
    principal_id: "{{ secondary_workspace.identity.principal_id }}"
    principal_type: ServicePrincipal
    role: AcrPull
    scope: "{{ registry_id }}"

- name: A custom role, by its role definition ID
  amlops.bcdr.role_assignment:
    principal_id: 11111111-2222-3333-4444-555555555555
    role: /subscriptions/{{ sub }}/providers/Microsoft.Authorization/roleDefinitions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
    scope: /subscriptions/{{ sub }}/resourceGroups/rg-fraud-eastus

- name: Remove the grant, whatever the assignment is called
  amlops.bcdr.role_assignment:
    principal_id: 11111111-2222-3333-4444-555555555555
    role: Reader
    scope: /subscriptions/{{ sub }}/resourceGroups/rg-fraud-westus
    state: absent
"""

RETURN = r"""
assignment:
  description:
    - The assignment that grants the role (predicted in check mode before creation). When several
      assignments make the same grant, the one with the module's deterministic name, else the first by name.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID of the assignment.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-a/providers/Microsoft.Authorization/roleAssignments/0d9c6f4e-7b4e-5c1a-9a0e-3f7f3a3c1d2b
    name:
      description: Name (GUID) of the assignment.
      type: str
      sample: 0d9c6f4e-7b4e-5c1a-9a0e-3f7f3a3c1d2b
    principal_id:
      description: Object ID of the principal.
      type: str
      sample: 11111111-2222-3333-4444-555555555555
    principal_type:
      description: Type of the principal, when known.
      type: str
      sample: Group
    role_definition_id:
      description: Role definition ID.
      type: str
      sample: /subscriptions/xxx/providers/Microsoft.Authorization/roleDefinitions/f6c7c914-8db3-469d-8ca1-694a8f32e121
    role:
      description: Name of the role when it is a well-known built-in role, else null.
      type: str
      sample: AzureML Data Scientist
    scope:
      description: Scope of the assignment.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus
deleted:
  description: Names of the assignments deleted (or that would be, in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["0d9c6f4e-7b4e-5c1a-9a0e-3f7f3a3c1d2b"]
changes:
  description: What changed, as C([before, after]) lists of assignment names for the grant.
  returned: always
  type: dict
  sample: {"assignments": [[], ["0d9c6f4e-7b4e-5c1a-9a0e-3f7f3a3c1d2b"]]}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import Resource, run_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.role_plan import (
    assignment_name,
    input_errors,
    plan_role_assignment,
    resolve_role,
    role_name,
    validate_guid,
    validate_scope,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.arm import role_service as service


def _public(assignment):
    if assignment is None:
        return None
    keys = ("id", "name", "principal_id", "principal_type", "role_definition_id", "scope")
    out = dict((k, assignment.get(k)) for k in keys)
    out["role"] = role_name(out["role_definition_id"])
    return out


class RoleAssignment(Resource):
    """A grant of a role to a principal at a scope, whatever the name of the assignment that makes it."""

    def prepare(self):
        self.principal_id = validate_guid(self.params["principal_id"], "principal_id")
        self.scope = validate_scope(self.params["scope"])

    def what(self):
        return "role assignment of %s to %s at %s" % (self.params["role"], self.principal_id, self.scope)

    def read(self, clients):
        role_definition_id = resolve_role(self.params["role"], self.module.auth.subscription_id)
        self.desired = dict(scope=self.scope, principal_id=self.principal_id, role_definition_id=role_definition_id,
                            principal_type=self.params["principal_type"],
                            name=(self.name or assignment_name(self.scope, self.principal_id,
                                                               role_definition_id)).lower())
        return service.list_for_principal(clients, self.scope, self.principal_id)

    def plan(self, clients, current):
        # current: the principal's assignments at the scope; the desired name is looked up only if none has it
        named = None
        if self.state == "present" and not any((a.get("name") or "").lower() == self.desired["name"] for a in current):
            named = service.get_assignment(clients, self.scope, self.desired["name"])
        return plan_role_assignment(self.desired, current, self.state, named=named)

    def create(self, clients, plan, wait):
        desired = self.desired
        try:
            return service.create_assignment(clients, self.scope, desired["name"], self.principal_id,
                                             desired["role_definition_id"], principal_type=desired["principal_type"],
                                             tenant=self.params.get("tenant"))
        except AzureOperationError as exc:
            if exc.code not in service.EXISTS_ERRORS:
                raise
            # Another run made the same grant under another name in the meantime: it is there.
            again = plan_role_assignment(desired, service.list_for_principal(clients, self.scope, self.principal_id),
                                         self.state)
            if again["action"] != "none":
                raise
            plan.update(again)
            return again["after"]

    def delete(self, clients, plan, current, wait):
        for assignment in plan["matches"]:
            service.delete_assignment(clients, assignment)

    def predict(self, plan):
        return plan["after"]  # the plan already names the assignment and its ID

    def diff(self, current, plan, after):
        return make_diff(_public(plan["matches"][0]) if plan["matches"] else None, _public(after))

    def returned(self, plan, after):
        if self.state == "present":
            return dict(assignment=_public(after))
        return dict(deleted=[m.get("name") for m in plan["matches"]])


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        common=("state",),
        wait=False,
        principal_id=dict(type="str", required=True),
        principal_type=dict(type="str", choices=["User", "Group", "ServicePrincipal"]),
        role=dict(type="str", required=True),
        scope=dict(type="str", required=True),
        name=dict(type="str"),
    ))
    run_resource(module, RoleAssignment(module), validators=[input_errors])


if __name__ == "__main__":
    main()
