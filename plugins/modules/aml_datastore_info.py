#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_datastore_info
short_description: List the datastores of an Azure Machine Learning workspace
version_added: 0.1.0
description:
  - Lists the datastores of a workspace, or reads one by name. Returns no secrets (Azure does not return
    them on reads, and this module does not call C(listSecrets)).
  - Useful to check that both workspaces of a DR pair have the same datastores.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of one datastore. The list is empty when it does not exist.
    type: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.WORKSPACE
  - amlops.bcdr.azure_resource.READ_ONLY
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Datastores of the secondary workspace
  amlops.bcdr.aml_datastore_info:
    workspace: mlw-fraud-westus
    resource_group: rg-fraud-westus
  register: secondary_datastores

- name: The training-data datastore of the primary workspace
  amlops.bcdr.aml_datastore_info:
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    name: training_data
"""

RETURN = r"""
datastores:
  description: The datastores, sorted by name. Other datastore types than Azure Blob have null storage fields.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/datastores/training_data
    name:
      description: Name.
      type: str
      sample: training_data
    datastore_type:
      description: Type of datastore.
      type: str
      sample: AzureBlob
    account_name:
      description: Storage account name.
      type: str
      sample: stfraudtraining
    container_name:
      description: Blob container name.
      type: str
      sample: training
    endpoint:
      description: Storage endpoint suffix.
      type: str
      sample: core.windows.net
    protocol:
      description: Protocol.
      type: str
      sample: https
    credentials_type:
      description: Credential type (C(AccountKey), C(Sas), C(None) ...); never the secret itself.
      type: str
      sample: AccountKey
    service_data_access_auth_identity:
      description: Identity used for service data access.
      type: str
      sample: None
    description:
      description: Description.
      type: str
      sample: Geo-redundant training data
    tags:
      description: Tags.
      type: dict
      sample: {}
    is_default:
      description: Whether this is the workspace's default datastore.
      type: bool
      sample: false
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import one_or_all, run_info
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import datastore_service as service


def main():
    module = AzureModule(argument_spec=resource_argument_spec(common=("workspace", "resource_group"), wait=False,
                                                              name=dict(type="str")))
    params = module.params
    group, workspace = params["resource_group"], params["workspace"]

    def read(clients):
        found = one_or_all(lambda name: service.get_datastore(clients, group, workspace, name),
                           lambda: service.list_datastores(clients, group, workspace), params["name"])
        return dict(datastores=sorted(found, key=lambda d: d["name"] or ""))

    run_info(module, "listing the datastores of workspace %s" % workspace, read)


if __name__ == "__main__":
    main()
