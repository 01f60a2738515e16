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
    type: str
    required: true
  workspace:
    description: Name of the workspace.
    type: str
    required: true
  resource_group:
    description: Resource group of the workspace.
    type: str
    required: true
  state:
    description: Whether the datastore should exist. Removing a datastore leaves the storage and its data alone.
    type: str
    choices: [present, absent]
    default: present
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
  tags:
    description: Tags of the datastore. Leave unset to keep the current tags.
    type: dict
  purge_tags:
    description: Remove tags that are not in O(tags). Ignored when O(tags) is unset.
    type: bool
    default: true
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
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
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import build_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, azure_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.datastore_plan import (
    PlanError,
    credentials_type,
    plan_datastore,
    validate,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import datastore_service as service


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        workspace=dict(type="str", required=True),
        resource_group=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
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
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = AzureModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    name, workspace, group, state = params["name"], params["workspace"], params["resource_group"], params["state"]
    creds = params["credentials"]
    account_key = (creds or {}).get("account_key")
    sas_token = (creds or {}).get("sas_token")
    if sas_token:
        sas_token = sas_token.lstrip("?")
    secrets = [s for s in (account_key, sas_token, (creds or {}).get("sas_token")) if s]

    def fail(message, **extra):
        module.fail_json(msg=scrub(message, secrets=secrets), **extra)

    # Bad input fails here, before any call to Azure.
    try:
        validate(name, params["account_name"], params["container_name"])
        want_type = credentials_type(creds)
    except PlanError as exc:
        fail(str(exc))

    try:
        with azure_errors("datastore %s in workspace %s" % (name, workspace)):
            desired = dict(
                account_name=params["account_name"],
                container_name=params["container_name"],
                endpoint=params["endpoint"] or module.auth.cloud.storage_suffix or "core.windows.net",
                protocol=params["protocol"],
                service_data_access_auth_identity=params["service_data_access_auth_identity"],
                credentials_type=want_type,
                description=params["description"],
                tags=params["tags"],
                purge_tags=params["purge_tags"],
            )
            clients = module.clients
            current = service.get_datastore(clients, group, workspace, name)
            try:
                plan = plan_datastore(desired, current, state, params["update_credentials"])
            except PlanError as exc:
                fail(str(exc))

            after = plan["after"]
            if plan["action"] in ("create", "update") and not module.check_mode:
                after = service.create_or_update_datastore(
                    clients, group, workspace, name, plan["after"],
                    account_key=account_key if plan["send_secret"] else None,
                    sas_token=sas_token if plan["send_secret"] else None)
            elif plan["action"] == "delete" and not module.check_mode:
                service.delete_datastore(clients, group, workspace, name)
            elif plan["action"] == "create":
                # Check mode: predict what Azure will return.
                after = dict(after, name=name, id=build_resource_id(
                    module.auth.subscription_id, group, "Microsoft.MachineLearningServices/workspaces/datastores",
                    [workspace, name]))
    except AzureOperationError as exc:
        fail(exc.message, **exc.to_result())

    result = dict(changed=plan["action"] != "none", changes=plan["changes"])
    if module._diff:
        result["diff"] = make_diff(current, after)
    if state == "present":
        result["datastore"] = after
    module.exit_json(**result)


if __name__ == "__main__":
    main()
