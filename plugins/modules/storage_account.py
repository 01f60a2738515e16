#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: storage_account
short_description: Create, update, adopt or delete an Azure storage account
version_added: 0.1.0
description:
  - Manages one storage account, for example the separate default storage of each workspace of a DR pair,
    or the geo-redundant account that holds training data.
  - An existing account (for example one created by another team's tooling) is adopted as it is;
    when it already matches the options, the module reports no change.
  - Idempotent; supports check mode and C(--diff). O(location), O(kind) and O(is_hns_enabled) are fixed
    when the account is created; asking for a different value fails before any change.
  - Account keys are never read nor returned (the module makes no listKeys call).
  - Calls Microsoft.Storage api-version 2023-01-01.
options:
  name:
    description:
      - Name of the account, 3 to 24 lower-case letters and digits, unique across Azure.
        Checked before any call to Azure.
  sku:
    description:
      - Redundancy of the account. Required to create it; leave unset to keep the SKU of an existing account.
      - For training data that must survive a region outage, use a geo-redundant SKU (C(Standard_GRS),
        C(Standard_RAGRS), C(Standard_GZRS), C(Standard_RAGZRS)).
      - An existing account changes SKU only within C(Standard_LRS)/C(Standard_GRS)/C(Standard_RAGRS) or within
        C(Standard_ZRS)/C(Standard_GZRS)/C(Standard_RAGZRS); other conversions need a migration and are refused.
    type: str
    choices: [Standard_LRS, Standard_GRS, Standard_RAGRS, Standard_ZRS, Standard_GZRS, Standard_RAGZRS, Premium_LRS, Premium_ZRS]
  kind:
    description: Kind of account. C(StorageV2) when creating and unset; an existing account keeps its kind.
    type: str
    choices: [StorageV2, Storage, BlobStorage, BlockBlobStorage, FileStorage]
  access_tier:
    description: Default access tier for blobs. Leave unset to keep the current tier (Azure creates C(Hot)).
    type: str
    choices: [Hot, Cool]
  https_only:
    description: Allow only HTTPS traffic.
    type: bool
    default: true
  minimum_tls_version:
    description: Minimum TLS version accepted.
    type: str
    choices: [TLS1_0, TLS1_1, TLS1_2]
    default: TLS1_2
  allow_blob_public_access:
    description: Allow anonymous public read access to containers and blobs that ask for it.
    type: bool
    default: false
  is_hns_enabled:
    description:
      - Hierarchical namespace (Data Lake Storage Gen2). Set at creation only (C(false) when unset);
        a different value for an existing account is an error.
    type: bool
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource
  - amlops.bcdr.azure_wait
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Default storage of the primary workspace
  amlops.bcdr.storage_account:
    name: stfraudeastus
    resource_group: rg-fraud-eastus
    location: eastus
    sku: Standard_LRS

- name: Geo-redundant training data, readable from the secondary region
  amlops.bcdr.storage_account:
    name: stfraudtraining
    resource_group: rg-fraud-eastus
    location: eastus
    sku: Standard_RAGZRS
    is_hns_enabled: true
    tags:
      amlops.bcdr/pair: fraud
  register: training

- name: Delete an account
  amlops.bcdr.storage_account:
    name: stscratch
    resource_group: rg-scratch
    state: absent
"""

RETURN = r"""
storage_account:
  description: The account after the change (predicted in check mode). Absent after deletion. Never holds keys.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.Storage/storageAccounts/stfraudtraining
    name:
      description: Name.
      type: str
      sample: stfraudtraining
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-eastus
    location:
      description: Region, lower case without spaces.
      type: str
      sample: eastus
    sku:
      description: SKU (redundancy).
      type: str
      sample: Standard_RAGZRS
    kind:
      description: Kind of account.
      type: str
      sample: StorageV2
    access_tier:
      description: Default access tier.
      type: str
      sample: Hot
    https_only:
      description: Whether only HTTPS is allowed.
      type: bool
      sample: true
    minimum_tls_version:
      description: Minimum TLS version.
      type: str
      sample: TLS1_2
    allow_blob_public_access:
      description: Whether anonymous public access may be allowed.
      type: bool
      sample: false
    is_hns_enabled:
      description: Whether the hierarchical namespace is enabled.
      type: bool
      sample: true
    primary_endpoints:
      description: Endpoints of the primary location (unknown in check mode before creation).
      type: dict
      sample: {"blob": "https://stfraudtraining.blob.core.windows.net/", "dfs": "https://stfraudtraining.dfs.core.windows.net/",
               "file": null, "queue": null, "table": null, "web": null}
    primary_location:
      description: Primary region.
      type: str
      sample: eastus
    secondary_location:
      description: Secondary region of a geo-redundant account.
      type: str
      sample: westus
    status_of_primary:
      description: Whether the primary location is available.
      type: str
      sample: available
    status_of_secondary:
      description: Whether the secondary location is available (geo-redundant accounts).
      type: str
      sample: available
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
  sample: {"sku": ["Standard_GRS", "Standard_RAGRS"]}
"""

from functools import partial

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import (
    STORAGE_ACCOUNT,
    STORAGE_SKUS,
    check_sku_change,
    input_errors,
    plan_resource,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_service import StorageAccounts
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ServiceResource, run_resource

DESIRED_OPTIONS = ("location", "sku", "kind", "access_tier", "https_only", "minimum_tls_version",
                   "allow_blob_public_access", "is_hns_enabled", "tags", "purge_tags")


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        sku=dict(type="str", choices=list(STORAGE_SKUS)),
        kind=dict(type="str", choices=["StorageV2", "Storage", "BlobStorage", "BlockBlobStorage", "FileStorage"]),
        access_tier=dict(type="str", choices=["Hot", "Cool"]),
        https_only=dict(type="bool", default=True),
        minimum_tls_version=dict(type="str", choices=["TLS1_0", "TLS1_1", "TLS1_2"], default="TLS1_2"),
        allow_blob_public_access=dict(type="bool", default=False),
        is_hns_enabled=dict(type="bool"),
    ))
    params = module.params

    def complete(clients, current, desired):
        if current is not None and params["state"] == "present":
            check_sku_change(current.get("sku"), desired.get("sku"))
        return desired

    desired = dict((k, params[k]) for k in DESIRED_OPTIONS)
    run_resource(module, ServiceResource(module, StorageAccounts(), partial(plan_resource, STORAGE_ACCOUNT), desired,
                                         "storage_account", complete=complete),
                 validators=[partial(input_errors, kind="storage_account")])


if __name__ == "__main__":
    main()
