#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_datastore
short_description: Attach an Azure Blob container to an Azure Machine Learning workspace as a datastore
version_added: 0.1.0
description:
  - Creates, updates or removes an Azure Blob datastore in an Azure Machine Learning workspace.
  - The disaster-recovery design keeps training data on its own geo-redundant storage account and attaches
    it under the same datastore name to the workspaces of both regions; run this module once per workspace.
  - Idempotent; supports check mode and C(--diff). Only non-secret fields are compared (storage location,
    credential type, description, tags). Azure never returns a datastore's account key or SAS token, so
    whether to write the secret again is chosen by O(update_credentials).
  - The storage location (O(account_name), O(container_name), O(endpoint), O(protocol),
    O(service_data_access_auth_identity)) is fixed once the datastore exists; asking for a different value
    fails before any change.
  - Secrets never appear in the module's output, C(--diff) or error messages.
  - Which datastore is the workspace's default cannot be set through this API version (C(isDefault) is
    read-only in Microsoft.MachineLearningServices 2024-04-01); the result reports it as RV(datastore.is_default).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of the datastore (1 to 255 letters, digits and C(_)).
  state:
    description: Whether the datastore should exist. Removing a datastore leaves the storage and its data alone.
  account_name:
    description: Name of the storage account. Required to create.
    type: str
  container_name:
    description: Name of the blob container. Required to create.
    type: str
  endpoint:
    description:
      - Storage endpoint suffix of the cloud, C(core.windows.net) in Azure's public cloud.
      - Default is the storage suffix of the cloud the module signs in to (see O(cloud_environment)).
    type: str
  protocol:
    description: Protocol to reach the storage with.
    type: str
    choices: [https, wasbs]
    default: https
  credentials:
    description:
      - How the workspace authenticates to the storage. Set one of O(credentials.account_key) or
        O(credentials.sas_token), or give an empty dict (C({})) for identity-based access (no stored
        credentials; the caller's or the workspace's identity needs a storage data role).
      - Leave unset to keep the credentials of an existing datastore (a new one then uses identity-based
        access). A change to the description or tags of a datastore with a key or SAS token needs the
        secret, because Azure rewrites the whole datastore and never returns the stored secret.
    type: dict
    suboptions:
      account_key:
        description: Storage account key.
        type: str
      sas_token:
        description: SAS token for the container (with or without the leading C(?)).
        type: str
  update_credentials:
    description:
      - C(on_create) writes the secret in O(credentials) only when the datastore is created, when its
        credential type changes, or when another change rewrites the datastore.
      - C(always) writes it on every run and reports a change each time, since Azure cannot tell whether
        the stored secret differs (the choice ansible's user and password modules make). Use it to rotate
        keys.
    type: str
    choices: [on_create, always]
    default: on_create
  service_data_access_auth_identity:
    description: Which identity the service uses to reach the storage for data access. Set at creation only.
    type: str
    choices: ['None', WorkspaceSystemAssignedIdentity, WorkspaceUserAssignedIdentity]
  description:
    description: Description of the datastore.
    type: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.IN_WORKSPACE
  - amlops.bcdr.azure_resource.TAGS
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: The same training-data datastore in both workspaces of the pair
  amlops.bcdr.aml_datastore:
    name: training_data
    workspace: "{{ item.workspace }}"
    resource_group: "{{ item.resource_group }}"
    account_name: stfraudtraining
    container_name: training
    credentials:
      account_key: "{{ training_account_key }}"  # from a vault or listKeys, never in plain text
    description: Geo-redundant training data
  loop:
    - {workspace: mlw-fraud-eastus, resource_group: rg-fraud-eastus}
    - {workspace: mlw-fraud-westus, resource_group: rg-fraud-westus}

- name: Identity-based access (no secret stored in the workspace)
  amlops.bcdr.aml_datastore:
    name: curated
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    account_name: stfraudtraining
    container_name: curated
    credentials: {}

- name: Rotate the key after regenerating it
  amlops.bcdr.aml_datastore:
    name: training_data
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    credentials:
      account_key: "{{ new_key }}"
    update_credentials: always
"""

RETURN = r"""
datastore:
  description: The datastore after the change (predicted in check mode). No secrets.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID (unknown in check mode before creation).
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
      description: Credential type (C(AccountKey), C(Sas) or C(None)); never the secret itself.
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
      sample: {"amlops.bcdr/pair": "fraud"}
    is_default:
      description: Whether this is the workspace's default datastore (read-only).
      type: bool
      sample: false
changes:
  description:
    - Fields changed, as C([before, after]). A secret written with O(update_credentials=always) shows as
      C(credentials) with placeholders, never the value.
  returned: always
  type: dict
  sample: {"description": ["", "Geo-redundant training data"]}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import build_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import (
    WORKSPACE_CHILD_OPTIONS,
    AzureModule,
    resource_argument_spec,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import Resource, run_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.datastore_plan import (
    credentials_type,
    input_errors,
    plan_datastore,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import datastore_service as service


DESIRED_OPTIONS = ("account_name", "container_name", "protocol", "service_data_access_auth_identity", "description",
                   "tags", "purge_tags")


class Datastore(Resource):
    """A blob datastore of a workspace; its secret is sent only when the plan says so, never shown."""

    label = "datastore"
    result_key = "datastore"
    resource_type = "Microsoft.MachineLearningServices/workspaces/datastores"

    def __init__(self, module):
        super(Datastore, self).__init__(module)
        self.workspace = self.params["workspace"]
        creds = self.params["credentials"] or {}
        self.account_key = creds.get("account_key")
        self.sas_token = creds.get("sas_token").lstrip("?") if creds.get("sas_token") else None
        self.want_type = None

    def what(self):
        return "datastore %s in workspace %s" % (self.name, self.workspace)

    def prepare(self):
        self.want_type = credentials_type(self.params["credentials"])

    def read(self, clients):
        return service.get_datastore(clients, self.group, self.workspace, self.name)

    def plan(self, clients, current):
        params = self.params
        desired = dict((k, params[k]) for k in DESIRED_OPTIONS)
        desired.update(credentials_type=self.want_type,
                       endpoint=params["endpoint"] or self.module.auth.cloud.storage_suffix or "core.windows.net")
        return plan_datastore(desired, current, self.state, params["update_credentials"])

    def create(self, clients, plan, wait):
        send = plan["send_secret"]
        return service.create_or_update_datastore(clients, self.group, self.workspace, self.name, plan["after"],
                                                  account_key=self.account_key if send else None,
                                                  sas_token=self.sas_token if send else None)

    def update(self, clients, plan, current, wait):
        return self.create(clients, plan, wait)

    def delete(self, clients, plan, current, wait):
        service.delete_datastore(clients, self.group, self.workspace, self.name)

    def predict(self, plan):
        return dict(plan["after"], name=self.name, id=build_resource_id(
            self.module.auth.subscription_id, self.group, self.resource_type, [self.workspace, self.name]))

    def diff(self, current, plan, after):
        return make_diff(current, after)


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        common=WORKSPACE_CHILD_OPTIONS + ("tags", "purge_tags"),
        wait=False,
        account_name=dict(type="str"),
        container_name=dict(type="str"),
        endpoint=dict(type="str"),
        protocol=dict(type="str", choices=["https", "wasbs"], default="https"),
        credentials=dict(type="dict", options=dict(
            account_key=dict(type="str", no_log=True),
            sas_token=dict(type="str", no_log=True),
        ), mutually_exclusive=[("account_key", "sas_token")]),
        update_credentials=dict(type="str", choices=["on_create", "always"], default="on_create"),
        service_data_access_auth_identity=dict(
            type="str", choices=["None", "WorkspaceSystemAssignedIdentity", "WorkspaceUserAssignedIdentity"]),
        description=dict(type="str"),
    ))
    run_resource(module, Datastore(module), validators=[input_errors])


if __name__ == "__main__":
    main()
