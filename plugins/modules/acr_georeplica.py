#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: acr_georeplica
short_description: Geo-replicate an Azure Container Registry to the regions listed
version_added: 0.1.0
description:
  - Ensures an existing Azure Container Registry has a replica in each region listed in O(replicas),
    with the zone redundancy, regional endpoint and tags asked for, so that both workspaces of a DR
    pair pull images from their own region and the registry survives a regional outage.
  - Geo-replication is a Premium feature. A Basic or Standard registry is refused before any change,
    unless O(allow_sku_upgrade=true), in which case the registry is first upgraded to Premium (and the
    upgrade is reported in RV(changes) under C(sku)).
  - Replicas that are not listed are kept, unless O(purge=true). The replication of the registry's home
    region is Azure's own and is never managed here; listing the home region is an error, and it is
    never removed.
  - Idempotent. Replicas are matched by region (C(West US) and C(westus) are the same) and only the
    fields the module manages are compared, so a replica that already matches is neither updated nor
    reported as changed. Supports check mode and C(--diff); check mode predicts the exact changes.
  - Replicas are created, updated and removed one after the other, each long-running operation waited
    for within O(wait_timeout). Azure serialises writes to one registry, and a DR pair adds one or two
    regions, so parallel calls would only risk conflicts for no gain.
  - Calls Microsoft.ContainerRegistry api-version 2023-07-01.
options:
  registry:
    description: Name of the registry. Use with O(resource_group), or use O(registry_id).
    type: str
  resource_group:
    description: Resource group of O(registry).
    type: str
  registry_id:
    description:
      - Resource ID of the registry (for a registry adopted from elsewhere). Mutually exclusive with
        O(registry) and O(resource_group).
    type: str
  replicas:
    description:
      - The regions the registry must be replicated to (other than its home region). An empty list
        with O(purge=true) removes every replica.
    type: list
    elements: dict
    required: true
    suboptions:
      location:
        description: Region of the replica, for example C(westus) or C(West US).
        type: str
        required: true
      zone_redundancy:
        description:
          - Zone redundancy of the replica. Azure sets it when the replica is created and cannot change it;
            a different value for an existing replica is an error (remove the replica with O(purge=true)
            and add it back). Unset means C(Disabled) for a new replica and 'do not check' for an existing one.
        type: str
        choices: [Enabled, Disabled]
      region_endpoint_enabled:
        description:
          - Whether requests are routed to this replica's regional endpoint. When disabled, data is still
            synchronised to it.
        type: bool
        default: true
      tags:
        description: Tags of the replica (the exact set). Unset leaves an existing replica's tags alone.
        type: dict
  purge:
    description: Remove the replicas whose region is not listed in O(replicas) (never the home region).
    type: bool
    default: false
  allow_sku_upgrade:
    description:
      - Upgrade a Basic or Standard registry to Premium before replicating it. When false, such a registry
        fails the task before any change.
    type: bool
    default: false
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_wait
notes:
  - O(wait_timeout) bounds each long-running operation (the SKU upgrade, each replica). The SKU upgrade
    is always waited for, because Azure refuses replicas until the registry is Premium.
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
seealso:
  - module: amlops.bcdr.container_registry
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Replicate the pair's registry to the secondary region
  amlops.bcdr.acr_georeplica:
    registry: acrfraud
    resource_group: rg-fraud-shared
    replicas:
      - location: westus
        zone_redundancy: Disabled
        tags:
          amlops.bcdr/pair: fraud

- name: Adopt a Standard registry by ID, upgrade it, and keep exactly these replicas
  amlops.bcdr.acr_georeplica:
    registry_id: /subscriptions/{{ sub }}/resourceGroups/rg-platform/providers/Microsoft.ContainerRegistry/registries/acrplatform
    allow_sku_upgrade: true
    purge: true
    replicas:
      - location: West US
      - location: northeurope
        region_endpoint_enabled: false
"""

RETURN = r"""
registry:
  description: The registry (after a SKU upgrade, if any). Unknown in check mode when it does not exist yet.
  returned: always
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-shared/providers/Microsoft.ContainerRegistry/registries/acrfraud
    name:
      description: Name.
      type: str
      sample: acrfraud
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-shared
    location:
      description: Home region.
      type: str
      sample: eastus
    sku:
      description: SKU name.
      type: str
      sample: Premium
    login_server:
      description: Login server.
      type: str
      sample: acrfraud.azurecr.io
replicas:
  description:
    - The registry's replicas after the change (predicted in check mode), sorted by region. The home
      region's replication is not listed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the replication (a new one is named after its region).
      type: str
      sample: westus
    location:
      description: Region, lower case without spaces.
      type: str
      sample: westus
    zone_redundancy:
      description: Zone redundancy.
      type: str
      sample: Disabled
    region_endpoint_enabled:
      description: Whether the regional endpoint is enabled.
      type: bool
      sample: true
    tags:
      description: Tags.
      type: dict
      sample: {}
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
    status:
      description: Azure's display status of the replica (unknown in check mode for a new replica).
      type: str
      sample: Ready
changes:
  description:
    - What changed (or would change in check mode); empty when nothing did. C(sku) is C([before, after]);
      C(added) and C(removed) list regions; C(updated) lists C({location, changes}) with C([before, after])
      per field.
  returned: always
  type: dict
  sample: {"sku": ["Standard", "Premium"], "added": ["westus"]}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.acr.registry_plan import (
    PlanError,
    plan_georeplica,
    validate_registry_name,
    validate_replicas,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.acr import registry_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import require_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, wait_argument_spec

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
REGISTRY_FIELDS = ("id", "name", "resource_group", "location", "sku", "login_server")


def _diff_view(sku, replicas):
    """What --diff shows: the SKU and the managed fields of each replica, by region."""
    return dict(sku=sku, replicas=dict(
        (r["location"], dict(zone_redundancy=r.get("zone_redundancy"),
                             region_endpoint_enabled=r.get("region_endpoint_enabled"),
                             tags=r.get("tags") or {}))
        for r in replicas))


def _public_replica(replica):
    keys = ("name", "location", "zone_redundancy", "region_endpoint_enabled", "tags", "provisioning_state", "status")
    return dict((k, replica.get(k)) for k in keys)


def resolve_target(params):
    """(resource_group, registry name) from the options; fails before any call on bad input."""
    if params["registry_id"]:
        rid = require_resource_id(params["registry_id"], REGISTRY_TYPE, "registry_id")
        validate_registry_name(rid.name, "registry_id")
        return rid.resource_group, rid.name
    validate_registry_name(params["registry"], "registry")
    return params["resource_group"], params["registry"]


def apply_plan(clients, group, name, plan, wait, wait_timeout):
    """Sequentially: SKU upgrade (always waited for), new replicas, updates, then removals."""
    if plan["sku"]:
        service.update_registry(clients, group, name, {"sku": plan["sku"][1]}, wait=True, wait_timeout=wait_timeout)
    for replica in plan["add"]:
        service.create_replication(clients, group, name, replica, wait=wait, wait_timeout=wait_timeout)
    for update in plan["update"]:
        service.update_replication(clients, group, name, update["name"], update["patch"],
                                   wait=wait, wait_timeout=wait_timeout)
    for replica in plan["remove"]:
        service.delete_replication(clients, group, name, replica["name"], wait=wait, wait_timeout=wait_timeout)


def main():
    replica_spec = dict(
        location=dict(type="str", required=True),
        zone_redundancy=dict(type="str", choices=["Enabled", "Disabled"]),
        region_endpoint_enabled=dict(type="bool", default=True),
        tags=dict(type="dict"),
    )
    argument_spec = dict(
        registry=dict(type="str"),
        resource_group=dict(type="str"),
        registry_id=dict(type="str"),
        replicas=dict(type="list", elements="dict", required=True, options=replica_spec),
        purge=dict(type="bool", default=False),
        allow_sku_upgrade=dict(type="bool", default=False),
    )
    argument_spec.update(wait_argument_spec())
    module = AzureModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("registry", "registry_id"), ("resource_group", "registry_id")],
        required_one_of=[("registry", "registry_id")],
        required_together=[("registry", "resource_group")],
    )
    params = module.params

    # Bad input fails here, before any call to Azure.
    try:
        group, name = resolve_target(params)
        desired = validate_replicas(params["replicas"])
    except (PlanError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    if params["registry_id"]:
        # The clients work in one subscription: a registry elsewhere would be "not found", say why instead.
        wanted = params["registry_id"].split("/")[2]
        if wanted.lower() != str(module.auth.subscription_id).lower():
            module.fail_json(msg="registry_id: the registry is in subscription %s, but this task uses subscription %s; "
                                 "set subscription_id to match" % (wanted, module.auth.subscription_id))

    with module.azure_errors("geo-replication of registry %s" % name):
        clients = module.clients
        registry = service.get_registry(clients, group, name)
        if registry is None:
            if not module.check_mode:
                module.fail_json(msg="registry %s was not found in resource group %s; create it first "
                                     "(amlops.bcdr.container_registry)" % (name, group))
            # --check of a playbook whose earlier task creates the registry: predict every replica.
            module.warn("registry %s does not exist (yet): in check mode every listed replica is predicted as added"
                        % name)
            added = [r["location"] for r in desired]
            module.exit_json(changed=bool(added), registry=None, changes=dict(added=added) if added else {},
                             replicas=[dict(name=r["location"], location=r["location"],
                                            zone_redundancy=r["zone_redundancy"] or "Disabled",
                                            region_endpoint_enabled=r["region_endpoint_enabled"],
                                            tags=r["tags"] or {}, provisioning_state="Succeeded", status=None)
                                       for r in desired])

        current = service.list_replications(clients, group, name)
        try:
            plan = plan_georeplica(registry, current, desired, purge=params["purge"],
                                   allow_sku_upgrade=params["allow_sku_upgrade"])
        except PlanError as exc:
            module.fail_json(msg=str(exc))

        changed = bool(plan["changes"])
        home = registry["location"]
        before_replicas = sorted((r for r in current if r["location"] != home), key=lambda r: r["location"])
        sku_after = plan["sku"][1] if plan["sku"] else registry["sku"]
        result = dict(changed=changed, changes=plan["changes"])
        if module._diff:
            result["diff"] = make_diff(_diff_view(registry["sku"], before_replicas),
                                       _diff_view(sku_after, plan["after"]))

        replicas_after = plan["after"]
        if changed and not module.check_mode:
            apply_plan(clients, group, name, plan, params["wait"], params["wait_timeout"])
            registry = service.get_registry(clients, group, name) or registry
            replicas_after = sorted((r for r in service.list_replications(clients, group, name)
                                     if r["location"] != home), key=lambda r: r["location"])
        elif changed:
            registry = dict(registry, sku=sku_after)

        result["registry"] = dict((k, registry.get(k)) for k in REGISTRY_FIELDS)
        result["replicas"] = [_public_replica(r) for r in replicas_after]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
