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
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
  - amlops.bcdr.azure_wait
notes:
  - O(wait_timeout) bounds each long-running operation (the SKU upgrade, each replica). The SKU upgrade
    is always waited for, because Azure refuses replicas until the registry is Premium.
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

from functools import partial

from ansible_collections.amlops.bcdr.plugins.module_utils.acr.registry_plan import (
    PlanError,
    input_errors,
    plan_georeplica,
    validate_replicas,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.acr import registry_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import require_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import Resource, run_resource

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


def _others(replicas, home):
    """The replicas outside the registry's home region, by region."""
    return sorted((r for r in replicas if r["location"] != home), key=lambda r: r["location"])


class GeoReplicas(Resource):
    """The replicas of one registry: planned together, applied one after the other (Azure serialises
    writes to a registry). The plan is an ``update`` of the registry's replica set."""

    def prepare(self):
        params = self.params
        if params["registry_id"]:
            rid = require_resource_id(params["registry_id"], REGISTRY_TYPE, "registry_id")
            self.group, self.name = rid.resource_group, rid.name
        else:
            self.group, self.name = params["resource_group"], params["registry"]
        self.desired = validate_replicas(params["replicas"])

    def what(self):
        return "geo-replication of registry %s" % self.name

    def read(self, clients):
        if self.params["registry_id"]:
            # The clients work in one subscription: a registry elsewhere would be "not found", say why instead.
            wanted = self.params["registry_id"].split("/")[2]
            if wanted.lower() != str(self.module.auth.subscription_id).lower():
                self.module.fail_json(msg="registry_id: the registry is in subscription %s, but this task uses "
                                          "subscription %s; set subscription_id to match"
                                          % (wanted, self.module.auth.subscription_id))
        registry = service.get_registry(clients, self.group, self.name)
        if registry is None:
            return None
        return dict(registry=registry, replicas=service.list_replications(clients, self.group, self.name))

    def plan(self, clients, current):
        if current is None:
            return self._plan_missing_registry()
        registry = current["registry"]
        plan = plan_georeplica(registry, current["replicas"], self.desired, purge=self.params["purge"],
                               allow_sku_upgrade=self.params["allow_sku_upgrade"])
        sku_after = plan["sku"][1] if plan["sku"] else registry["sku"]
        changed = bool(plan["changes"])
        return dict(plan, action="update" if changed else "none", sku_after=sku_after,
                    replicas=plan["after"], after=dict(registry=dict(registry, sku=sku_after) if changed else registry,
                                                       replicas=plan["after"]))

    def _plan_missing_registry(self):
        if not self.module.check_mode:
            raise PlanError("registry %s was not found in resource group %s; create it first "
                            "(amlops.bcdr.container_registry)" % (self.name, self.group))
        # --check of a playbook whose earlier task creates the registry: predict every replica.
        self.module.warn("registry %s does not exist (yet): in check mode every listed replica is predicted as added"
                         % self.name)
        added = [r["location"] for r in self.desired]
        replicas = [dict(name=r["location"], location=r["location"], zone_redundancy=r["zone_redundancy"] or "Disabled",
                         region_endpoint_enabled=r["region_endpoint_enabled"], tags=r["tags"] or {},
                         provisioning_state="Succeeded", status=None)
                    for r in self.desired]
        return dict(action="create" if added else "none", changes=dict(added=added) if added else {},
                    after=dict(registry=None, replicas=replicas))

    def predict(self, plan):
        return plan["after"]

    def update(self, clients, plan, current, wait):
        """Sequentially: SKU upgrade (always waited for), new replicas, updates, then removals."""
        group, name = self.group, self.name
        if plan["sku"]:
            service.update_registry(clients, group, name, {"sku": plan["sku"][1]}, wait=True,
                                    wait_timeout=wait["wait_timeout"])
        for replica in plan["add"]:
            service.create_replication(clients, group, name, replica, **wait)
        for update in plan["update"]:
            service.update_replication(clients, group, name, update["name"], update["patch"], **wait)
        for replica in plan["remove"]:
            service.delete_replication(clients, group, name, replica["name"], **wait)
        registry = service.get_registry(clients, group, name) or current["registry"]
        return dict(registry=registry, replicas=_others(service.list_replications(clients, group, name),
                                                        current["registry"]["location"]))

    def diff(self, current, plan, after):
        if current is None:
            return None
        registry = current["registry"]
        return make_diff(_diff_view(registry["sku"], _others(current["replicas"], registry["location"])),
                         _diff_view(plan["sku_after"], plan["replicas"]))

    def returned(self, plan, after):
        registry = after["registry"]
        return dict(registry=dict((k, registry.get(k)) for k in REGISTRY_FIELDS) if registry is not None else None,
                    replicas=[_public_replica(r) for r in after["replicas"]])


def main():
    replica_spec = dict(
        location=dict(type="str", required=True),
        zone_redundancy=dict(type="str", choices=["Enabled", "Disabled"]),
        region_endpoint_enabled=dict(type="bool", default=True),
        tags=dict(type="dict"),
    )
    module = AzureModule(
        argument_spec=resource_argument_spec(
            common=(),
            registry=dict(type="str"),
            resource_group=dict(type="str"),
            registry_id=dict(type="str"),
            replicas=dict(type="list", elements="dict", required=True, options=replica_spec),
            purge=dict(type="bool", default=False),
            allow_sku_upgrade=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("registry", "registry_id"), ("resource_group", "registry_id")],
        required_one_of=[("registry", "registry_id")],
        required_together=[("registry", "resource_group")],
    )
    run_resource(module, GeoReplicas(module), validators=[partial(input_errors, kind="georeplica")])


if __name__ == "__main__":
    main()
