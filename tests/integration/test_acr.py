"""container_registry and acr_georeplica against the emulator: check mode, apply, apply again
(changed == 0), one region added, purge off/on, the Premium SKU gate and upgrade, bad input (one clear
line, nothing changed), adoption of an existing registry, and convergence under ARM throttling."""

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

GROUP = "rg-acrgeo"
ACR_API = "2023-07-01"


@pytest.fixture(scope="module")
def group(emulator):
    emulator.client(ResourceManagementClient, "2021-04-01").resource_groups.create_or_update(
        GROUP, {"location": "eastus"})
    return GROUP


def replications_of(state, registry):
    marker = "/registries/%s/replications/" % registry.lower()
    return sorted(rid.rsplit("/", 1)[-1] for rid in state if marker in rid and rid.count("/") == 10)


def registry_in(state, registry, group=GROUP):
    for rid, res in state.items():
        if rid.endswith("/resourcegroups/%s/providers/microsoft.containerregistry/registries/%s"
                        % (group.lower(), registry.lower())):
            return res
    return None


def one_line_failure(run):
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert "\n" not in msg.strip(), "the error should be one line: %r" % msg
    assert "Traceback" not in msg
    return msg


def shared(name, replicas, group=GROUP):
    return dict(acrgeo_name=name, acrgeo_group=group, acrgeo_replicas=replicas)


def test_check_apply_apply_again(emulator, run_playbook, group):
    before = emulator.state()
    wanted = shared("acrgeomain", [{"location": "West US"}])

    check = run_playbook("acrgeo_shared.yml", wanted, check=True, diff=True)
    assert check.rc == 0, check
    assert check.task("Registry")["result"]["changed"] is True
    predicted = check.task("Replicas")["result"]
    assert predicted["changed"] is True
    assert predicted["changes"] == {"added": ["westus"]}
    assert emulator.state() == before, "check mode changed the emulator's state"

    apply = run_playbook("acrgeo_shared.yml", wanted, diff=True)
    assert apply.rc == 0, apply
    done = apply.task("Replicas")["result"]
    assert done["changes"] == predicted["changes"]
    assert [(r["name"], r["location"], r["zone_redundancy"], r["region_endpoint_enabled"], r["provisioning_state"])
            for r in done["replicas"]] == [("westus", "westus", "Disabled", True, "Succeeded")]
    assert done["registry"]["sku"] == "Premium" and done["registry"]["location"] == "eastus"
    registry = apply.task("Registry")["result"]["registry"]
    assert registry["admin_user_enabled"] is False
    assert registry["login_server"] == "acrgeomain.azurecr.io"
    assert "westus" in replications_of(emulator.state(), "acrgeomain")

    again = run_playbook("acrgeo_shared.yml", wanted, diff=True)
    assert again.rc == 0, again
    assert again.changed == 0, again
    assert again.task("Replicas")["result"]["changes"] == {}


def test_add_region_then_purge(emulator, run_playbook, group):
    two = shared("acrgeomain", [{"location": "westus"}, {"location": "North Europe"}])
    run_playbook("acrgeo_shared.yml", shared("acrgeomain", [{"location": "westus"}]))  # converge
    before = emulator.state()

    check = run_playbook("acrgeo_shared.yml", two, check=True)
    assert check.changed == 1, check  # only the replica task
    assert check.task("Replicas")["result"]["changes"] == {"added": ["northeurope"]}
    assert emulator.state() == before

    apply = run_playbook("acrgeo_shared.yml", two)
    assert apply.changed == 1, apply
    assert apply.task("Replicas")["result"]["changes"] == {"added": ["northeurope"]}
    assert run_playbook("acrgeo_shared.yml", two).changed == 0
    assert set(replications_of(emulator.state(), "acrgeomain")) >= {"westus", "northeurope"}

    # purge: false (the default) leaves a replica that is no longer listed
    one = {"registry": "acrgeomain", "resource_group": GROUP, "replicas": [{"location": "westus"}]}
    kept = run_playbook("acrgeo_replicas.yml", {"geo": one})
    assert kept.rc == 0 and kept.changed == 0, kept
    assert [r["location"] for r in kept.task("Replicas")["result"]["replicas"]] == ["northeurope", "westus"]

    # purge: true removes it, predicted exactly by check mode, and only it
    purge = dict(one, purge=True)
    before = emulator.state()
    check = run_playbook("acrgeo_replicas.yml", {"geo": purge}, check=True, diff=True)
    assert check.task("Replicas")["result"]["changes"] == {"removed": ["northeurope"]}
    assert emulator.state() == before
    removed = run_playbook("acrgeo_replicas.yml", {"geo": purge})
    assert removed.task("Replicas")["result"]["changes"] == {"removed": ["northeurope"]}
    assert "northeurope" not in replications_of(emulator.state(), "acrgeomain")
    assert "westus" in replications_of(emulator.state(), "acrgeomain")
    assert run_playbook("acrgeo_replicas.yml", {"geo": purge}).changed == 0


def test_replica_update_is_predicted_and_applied_once(emulator, run_playbook, group):
    run_playbook("acrgeo_shared.yml", shared("acrgeomain", [{"location": "westus"}]))
    geo = {"registry": "acrgeomain", "resource_group": GROUP,
           "replicas": [{"location": "westus", "region_endpoint_enabled": False, "tags": {"role": "secondary"}}]}
    expected = {"updated": [{"location": "westus", "changes": {
        "region_endpoint_enabled": [True, False], "tags": [{}, {"role": "secondary"}]}}]}
    check = run_playbook("acrgeo_replicas.yml", {"geo": geo}, check=True)
    assert check.task("Replicas")["result"]["changes"] == expected
    apply = run_playbook("acrgeo_replicas.yml", {"geo": geo})
    assert apply.task("Replicas")["result"]["changes"] == expected
    westus = apply.task("Replicas")["result"]["replicas"][0]
    assert westus["region_endpoint_enabled"] is False and westus["tags"] == {"role": "secondary"}
    assert run_playbook("acrgeo_replicas.yml", {"geo": geo}).changed == 0
    # the default (regional endpoint on) puts it back
    back = run_playbook("acrgeo_shared.yml", shared("acrgeomain", [{"location": "westus"}]))
    assert back.task("Replicas")["result"]["changes"] == {
        "updated": [{"location": "westus", "changes": {"region_endpoint_enabled": [False, True]}}]}


def test_standard_registry_refused_then_upgraded(emulator, run_playbook, group):
    std = {"name": "acrgeostd", "resource_group": GROUP, "location": "eastus", "sku": "Standard"}
    assert run_playbook("acrgeo_registry.yml", {"acr": std}).rc == 0
    geo = {"registry": "acrgeostd", "resource_group": GROUP, "replicas": [{"location": "westus"}]}

    before = emulator.state()
    refused = run_playbook("acrgeo_replicas.yml", {"geo": geo})
    assert one_line_failure(refused) == ("registry acrgeostd is Standard; geo-replication needs Premium: "
                                         "set allow_sku_upgrade: true to upgrade it")
    assert emulator.state() == before, "a refused task changed the emulator's state"

    upgrade = dict(geo, allow_sku_upgrade=True)
    check = run_playbook("acrgeo_replicas.yml", {"geo": upgrade}, check=True)
    expected = {"sku": ["Standard", "Premium"], "added": ["westus"]}
    assert check.task("Replicas")["result"]["changes"] == expected
    assert emulator.state() == before
    apply = run_playbook("acrgeo_replicas.yml", {"geo": upgrade})
    assert apply.rc == 0, apply
    assert apply.task("Replicas")["result"]["changes"] == expected
    assert apply.task("Replicas")["result"]["registry"]["sku"] == "Premium"
    assert registry_in(emulator.state(), "acrgeostd")["sku"]["name"] == "Premium"
    assert replications_of(emulator.state(), "acrgeostd") >= ["westus"]
    assert run_playbook("acrgeo_replicas.yml", {"geo": upgrade}).changed == 0


def test_registry_id_and_adoption(emulator, run_playbook, pair):
    # bring-your-own: the seeded registry is adopted as it is, with no change
    rid = pair["shared"]["container_registry"]
    name, group = rid.rsplit("/", 1)[-1], pair["shared"]["resource_group"]
    adopt = run_playbook("acrgeo_registry.yml", {"acr": {"name": name, "resource_group": group}})
    assert adopt.rc == 0 and adopt.changed == 0, adopt
    assert adopt.task("Registry")["result"]["registry"]["id"].lower() == rid.lower()

    geo = {"registry_id": rid, "replicas": [{"location": "westus"}]}
    first = run_playbook("acrgeo_replicas.yml", {"geo": geo})
    assert first.rc == 0, first
    assert run_playbook("acrgeo_replicas.yml", {"geo": geo}).changed == 0


def test_registry_module_update_and_create_only_fields(emulator, run_playbook, group):
    acr = {"name": "acrgeoreg", "resource_group": GROUP, "location": "eastus", "sku": "Basic"}
    assert run_playbook("acrgeo_registry.yml", {"acr": acr}).changed == 1
    assert run_playbook("acrgeo_registry.yml", {"acr": acr}).changed == 0
    changed = dict(acr, sku="Standard", tags={"team": "ml"})
    check = run_playbook("acrgeo_registry.yml", {"acr": changed}, check=True, diff=True)
    expected = {"sku": ["Basic", "Standard"], "tags": [{}, {"team": "ml"}]}
    assert check.task("Registry")["result"]["changes"] == expected
    assert run_playbook("acrgeo_registry.yml", {"acr": changed}).task("Registry")["result"]["changes"] == expected
    assert run_playbook("acrgeo_registry.yml", {"acr": changed}).changed == 0

    before = emulator.state()
    zone = run_playbook("acrgeo_registry.yml", {"acr": dict(changed, zone_redundancy="Enabled")})
    assert "zone_redundancy cannot be changed once the registry exists" in one_line_failure(zone)
    assert emulator.state() == before

    gone = dict(acr, state="absent")
    assert run_playbook("acrgeo_registry.yml", {"acr": gone}).changed == 1
    assert registry_in(emulator.state(), "acrgeoreg") is None
    assert run_playbook("acrgeo_registry.yml", {"acr": gone}).changed == 0


BAD = {
    "home region listed": ("acrgeo_replicas.yml", {"geo": {"registry": "acrgeomain", "resource_group": GROUP,
                                                           "replicas": [{"location": "East US"}]}},
                           "'eastus' is the home region of registry acrgeomain"),
    "invalid registry name (container_registry)": ("acrgeo_registry.yml",
                                                   {"acr": {"name": "acr-geo-bad", "resource_group": GROUP,
                                                            "location": "eastus", "sku": "Premium"}},
                                                   "name: 'acr-geo-bad' is not a valid container registry name"),
    "invalid registry name (acr_georeplica)": ("acrgeo_replicas.yml",
                                               {"geo": {"registry": "acr", "resource_group": GROUP,
                                                        "replicas": [{"location": "westus"}]}},
                                               "registry: 'acr' is not a valid container registry name"),
    "registry_id of another type": ("acrgeo_replicas.yml",
                                    {"geo": {"registry_id": "/subscriptions/x/resourceGroups/rg/providers/"
                                                            "Microsoft.Storage/storageAccounts/st1",
                                             "replicas": [{"location": "westus"}]}},
                                    "registry_id: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/"
                                    "storageAccounts/st1' is not a resource ID of type"),
    "replica zone redundancy changed": ("acrgeo_replicas.yml",
                                        {"geo": {"registry": "acrgeomain", "resource_group": GROUP,
                                                 "replicas": [{"location": "westus", "zone_redundancy": "Enabled"}]}},
                                        "replica in westus: zone_redundancy cannot be changed"),
    "region listed twice": ("acrgeo_replicas.yml",
                            {"geo": {"registry": "acrgeomain", "resource_group": GROUP,
                                     "replicas": [{"location": "westus"}, {"location": "West US"}]}},
                            "replicas[1].location: 'westus' is listed twice"),
    "registry that does not exist": ("acrgeo_replicas.yml",
                                     {"geo": {"registry": "acrgeonothere", "resource_group": GROUP,
                                              "replicas": [{"location": "westus"}]}},
                                     "registry acrgeonothere was not found in resource group rg-acrgeo"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_fails_cleanly(case, emulator, run_playbook, group):
    playbook, extra, expected = BAD[case]
    run_playbook("acrgeo_shared.yml", shared("acrgeomain", [{"location": "westus"}]))  # the registry exists
    before = emulator.state()
    msg = one_line_failure(run_playbook(playbook, extra))
    assert expected in msg, msg
    assert emulator.state() == before, "a failed task changed the emulator's state"


def test_throttled_arm_still_converges(emulator, run_playbook, group):
    wanted = shared("acrgeothrottle", [{"location": "westus"}, {"location": "northeurope"}])
    emulator.set_faults(throttle={"rate": 0.3, "retry_after": 1}, seed=1)
    try:
        run = run_playbook("acrgeo_shared.yml", wanted)
        assert run.rc == 0, run
        assert run.task("Replicas")["result"]["changes"] == {"added": ["westus", "northeurope"]}  # listed order
        again = run_playbook("acrgeo_shared.yml", wanted)
        assert again.rc == 0 and again.changed == 0, again
    finally:
        emulator.clear_faults()
    assert set(replications_of(emulator.state(), "acrgeothrottle")) >= {"westus", "northeurope"}


def test_emulator_refuses_replication_on_standard_registry(emulator, group):
    """Azure refuses geo-replication below Premium; so must the emulator, or the SKU gate is untested."""
    acr = emulator.client(ContainerRegistryManagementClient, ACR_API, polling_interval=0.05)
    acr.registries.begin_create(GROUP, "acrgeoraw", {"location": "eastus", "sku": {"name": "Standard"}}).result()
    with pytest.raises(HttpResponseError) as err:
        acr.replications.begin_create(GROUP, "acrgeoraw", "westus", {"location": "westus"}).result()
    assert err.value.status_code in (400, 409), err.value
    assert "acrgeoraw/replications/westus" not in " ".join(emulator.state())
