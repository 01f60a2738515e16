#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: key_vault
short_description: Create, update, adopt or delete an Azure Key Vault
version_added: 0.1.0
description:
  - Manages one key vault, for example the vault both workspaces of a DR pair share (Microsoft
    replicates a vault to its paired region by itself).
  - An existing vault is adopted as it is; when it already matches the options, the module reports no change.
    Options documented as applying "when creating" do not change an existing vault unless they are set.
  - Idempotent; supports check mode and C(--diff). O(location) and O(soft_delete_retention_days) are fixed when
    the vault is created, and purge protection cannot be turned off once on; asking for either fails before any change.
  - Deleting a vault soft-deletes it, and its name stays taken until the retention period ends or it is purged.
  - Manages the vault resource only (no keys, secrets or access policies).
  - Calls Microsoft.KeyVault api-version 2023-07-01.
options:
  name:
    description:
      - Name of the vault, 3 to 24 letters, digits and C(-), starting with a letter, ending with a letter or
        digit, without C(--); unique across Azure. Checked before any call to Azure.
  vault_tenant:
    description:
      - Directory (tenant) ID whose identities the vault trusts. (Named as in azure.azcollection's
        azure_rm_keyvault; O(tenant) is the tenant of the credentials.)
      - When creating and unset, the tenant of the credentials, read from their access token (or O(tenant));
        if it cannot be found the module fails and asks for this option. An existing vault keeps its tenant
        unless this is set.
    type: str
  sku:
    description: Pricing tier. C(standard) when creating and unset; an existing vault keeps its tier unless set.
    type: str
    choices: [standard, premium]
  enable_rbac_authorization:
    description:
      - Authorize data actions with Azure role assignments instead of access policies.
      - C(true) when creating and unset. An existing vault keeps its permission model unless this is set
        (switching it changes who can read the vault's secrets).
    type: bool
  soft_delete_retention_days:
    description:
      - Days (7 to 90) a deleted vault or object can be recovered. Set at creation only (C(90) when unset);
        a different value for an existing vault is an error.
    type: int
  enable_purge_protection:
    description:
      - Protect deleted vaults and objects from being purged before the retention period ends.
      - Once enabled it cannot be disabled; O(enable_purge_protection=false) on such a vault is an error.
    type: bool
  public_network_access:
    description: Whether the vault accepts requests from public networks. Leave unset to keep the current value.
    type: str
    choices: [Enabled, Disabled]
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource
  - amlops.bcdr.azure_wait
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: The vault both workspaces of the pair share
  amlops.bcdr.key_vault:
    name: kv-fraud
    resource_group: rg-fraud-shared
    location: eastus
    enable_purge_protection: true
    tags:
      amlops.bcdr/pair: fraud
  register: vault

- name: Delete (soft-delete) a vault
  amlops.bcdr.key_vault:
    name: kv-scratch
    resource_group: rg-scratch
    state: absent
"""

RETURN = r"""
key_vault:
  description: The vault after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-shared/providers/Microsoft.KeyVault/vaults/kv-fraud
    name:
      description: Name.
      type: str
      sample: kv-fraud
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-shared
    location:
      description: Region, lower case without spaces.
      type: str
      sample: eastus
    vault_uri:
      description: URI for data operations on keys and secrets (unknown in check mode before creation).
      type: str
      sample: https://kv-fraud.vault.azure.net/
    tenant_id:
      description: Tenant the vault trusts.
      type: str
      sample: 72f988bf-86f1-41af-91ab-2d7cd011db47
    sku:
      description: Pricing tier.
      type: str
      sample: standard
    enable_rbac_authorization:
      description: Whether data actions are authorized with role assignments.
      type: bool
      sample: true
    soft_delete_retention_days:
      description: Soft-delete retention in days.
      type: int
      sample: 90
    enable_purge_protection:
      description: Whether purge protection is on.
      type: bool
      sample: true
    public_network_access:
      description: Public network access.
      type: str
      sample: Enabled
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr/pair": "fraud"}
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
changes:
  description: Fields changed by an update, as C([before, after]).
  returned: always
  type: dict
  sample: {"enable_purge_protection": [false, true]}
"""

from functools import partial

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import KEY_VAULT, input_errors, plan_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_service import KeyVaults, credentials_tenant
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ServiceResource, run_resource


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        vault_tenant=dict(type="str"),
        sku=dict(type="str", choices=["standard", "premium"]),
        enable_rbac_authorization=dict(type="bool"),
        soft_delete_retention_days=dict(type="int"),
        enable_purge_protection=dict(type="bool"),
        public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
    ))
    params = module.params

    def complete(clients, current, desired):
        if current is None and params["state"] == "present" and not desired["tenant_id"] and desired["location"]:
            desired = dict(desired, tenant_id=credentials_tenant(module.auth, params["tenant"]))
        return desired

    desired = dict((k, params[k]) for k in ("location", "sku", "enable_rbac_authorization", "soft_delete_retention_days",
                                            "enable_purge_protection", "public_network_access", "tags", "purge_tags"))
    desired["tenant_id"] = params["vault_tenant"]
    run_resource(module, ServiceResource(module, KeyVaults(), partial(plan_resource, KEY_VAULT), desired, "key_vault",
                                         complete=complete),
                 validators=[partial(input_errors, kind="key_vault")])


if __name__ == "__main__":
    main()
