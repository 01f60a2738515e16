"""traffic_manager_profile and traffic_manager_profile_info against the emulator: check mode on nothing, create,
rerun without change, an endpoint disabled/enabled (predicted, applied, read back through the SDK), a drift put back
without losing what the module does not manage, info, bad input (a profile that fronts something else, a bad status,
a duplicate priority, a taken DNS name: one clear line, nothing changed), delete twice; the provision role's profiles
follow the active side (a re-run after a failover keeps clients on the secondary) and its pre-flight checks the key."""

import sys
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.trafficmanager import TrafficManagerManagementClient

GROUP = "rg-tmit-shared"
NAME = "tm-tmit-score"
PRIMARY = "score.eastus.inference.ml.azure.com"
SECONDARY = "score.westus.inference.ml.azure.com"


def endpoints(primary="Enabled", secondary="Enabled"):
    return [dict(name="primary", target=PRIMARY, priority=1, status=primary),
            dict(name="secondary", target=SECONDARY, priority=2, status=secondary)]


def profile_vars(**over):
    tm = dict(name=NAME, resource_group=GROUP, endpoints=endpoints(), tags={"amlops.bcdr.pair": "tmit"})
    tm.update(over)
    return dict(tm=tm)


def tm_client(emulator):
    return emulator.client(TrafficManagerManagementClient, "2022-04-01")


def statuses(emulator, name=NAME):
    profile = tm_client(emulator).profiles.get(GROUP, name)
    return dict((e.name, e.endpoint_status) for e in profile.endpoints)


@pytest.fixture(scope="module")
def group(emulator):
    emulator.client(ResourceManagementClient, "2021-04-01").resource_groups.create_or_update(GROUP, {"location": "eastus"})
    return GROUP


def test_lifecycle(emulator, run_playbook, group):
    before = emulator.state()
    check = run_playbook("traffic_manager.yml", profile_vars(), check=True, diff=True)
    assert check.rc == 0, check
    assert check.changed == 1, check
    assert emulator.state() == before, "check mode changed the emulator's state"
    predicted = check.task("Profile")["result"]["profile"]

    create = run_playbook("traffic_manager.yml", profile_vars())
    assert create.rc == 0, create
    assert create.changed == 1, create
    created = create.task("Profile")["result"]["profile"]
    for field, value in predicted.items():
        if field not in ("profile_monitor_status", "endpoints"):
            assert value == created[field], field
    assert created["fqdn"] == NAME + ".trafficmanager.net"
    assert created["routing_method"] == "Priority" and created["ttl"] == 30
    assert created["monitor"] == dict(protocol="HTTPS", port=443, path="/")
    assert [(e["name"], e["target"], e["priority"], e["status"]) for e in created["endpoints"]] == \
        [(e["name"], e["target"], e["priority"], e["status"]) for e in predicted["endpoints"]] == \
        [("primary", PRIMARY, 1, "Enabled"), ("secondary", SECONDARY, 2, "Enabled")]
    # no emulated online endpoint serves these hosts: the probes say so
    assert [e["monitor_status"] for e in created["endpoints"]] == ["Degraded", "Degraded"]
    assert statuses(emulator) == dict(primary="Enabled", secondary="Enabled")
    assert emulator.endpoint["client_secret"] not in create.stdout + create.stderr

    again = run_playbook("traffic_manager.yml", profile_vars())
    assert again.rc == 0, again
    assert again.changed == 0, again
    assert again.task("Profile")["result"]["changes"] == {}

    # A failover's flip: predicted exactly, nothing written in check mode, then applied.
    flipped = profile_vars(endpoints=endpoints(primary="Disabled"))
    before = emulator.state()
    check = run_playbook("traffic_manager.yml", flipped, check=True, diff=True)
    assert check.rc == 0, check
    assert check.changed == 1, check
    assert check.task("Profile")["result"]["changes"] == {"endpoints.primary.status": ["Enabled", "Disabled"]}
    diff = check.task("Profile")["result"]["diff"]
    assert diff["before"] != diff["after"]
    assert emulator.state() == before
    apply = run_playbook("traffic_manager.yml", flipped)
    assert apply.rc == 0, apply
    assert apply.task("Profile")["result"]["changes"] == {"endpoints.primary.status": ["Enabled", "Disabled"]}
    assert statuses(emulator) == dict(primary="Disabled", secondary="Enabled")
    assert [e["monitor_status"] for e in apply.task("Profile")["result"]["profile"]["endpoints"]] == ["Disabled", "Degraded"]
    assert run_playbook("traffic_manager.yml", flipped).changed == 0

    # Drift: someone re-enabled the primary and shortened the probe interval. The module puts the status and the TTL
    # back and keeps what it does not manage (the interval).
    client = tm_client(emulator)
    got = client.profiles.get(GROUP, NAME)
    # REST JSON from either SDK generation (1.x msrest models, 2.x typespec models)
    raw = got.serialize(keep_readonly=True) if hasattr(got, "serialize") else got.as_dict()
    raw["properties"]["dnsConfig"]["ttl"] = 300
    raw["properties"]["dnsConfig"].pop("fqdn", None)
    raw["properties"]["monitorConfig"]["intervalInSeconds"] = 10
    raw["properties"]["monitorConfig"]["timeoutInSeconds"] = 5
    for endpoint in raw["properties"]["endpoints"]:
        endpoint["properties"]["endpointStatus"] = "Enabled"
    client.profiles.create_or_update(GROUP, NAME, raw)
    back = run_playbook("traffic_manager.yml", flipped)
    assert back.rc == 0, back
    assert back.task("Profile")["result"]["changes"] == {"ttl": [300, 30],
                                                         "endpoints.primary.status": ["Enabled", "Disabled"]}
    profile = client.profiles.get(GROUP, NAME)
    assert profile.dns_config.ttl == 30 and profile.monitor_config.interval_in_seconds == 10
    assert statuses(emulator) == dict(primary="Disabled", secondary="Enabled")

    # Failback: enable the primary again; an endpoint without a status keeps its own.
    failback = profile_vars(endpoints=endpoints())
    del failback["tm"]["endpoints"][1]["status"]
    assert run_playbook("traffic_manager.yml", failback).changed == 1
    assert statuses(emulator) == dict(primary="Enabled", secondary="Enabled")

    info = run_playbook("traffic_manager.yml", dict(info=dict(resource_group=GROUP, name=NAME)))
    assert info.rc == 0 and info.changed == 0, info
    (found,) = info.task("Profiles")["result"]["profiles"]
    assert found["id"].lower() == created["id"].lower() and found["tags"] == {"amlops.bcdr.pair": "tmit"}
    assert [(e["name"], e["status"]) for e in found["endpoints"]] == [("primary", "Enabled"), ("secondary", "Enabled")]
    listed = run_playbook("traffic_manager.yml", dict(info=dict(resource_group=GROUP)))
    assert NAME in [p["name"] for p in listed.task("Profiles")["result"]["profiles"]]
    missing = run_playbook("traffic_manager.yml", dict(info=dict(resource_group=GROUP, name="tm-nothing")))
    assert missing.task("Profiles")["result"]["profiles"] == []

    gone = run_playbook("traffic_manager.yml", profile_vars(state="absent"))
    assert gone.rc == 0 and gone.changed == 1, gone
    with pytest.raises(ResourceNotFoundError):
        client.profiles.get(GROUP, NAME)
    twice = run_playbook("traffic_manager.yml", profile_vars(state="absent"))
    assert twice.rc == 0 and twice.changed == 0, twice


@pytest.fixture(scope="module")
def foreign(emulator, group):
    """A profile someone else made for a web site."""
    tm_client(emulator).profiles.create_or_update(GROUP, "tm-tmit-web", {
        "location": "global",
        "properties": {"trafficRoutingMethod": "Priority", "dnsConfig": {"relativeName": "tmit-web", "ttl": 60},
                       "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/"},
                       "endpoints": [{"name": "web", "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
                                      "properties": {"target": "www.contoso.com", "priority": 1}}]}})
    return "tm-tmit-web"


BAD = {
    "fronts something else": (
        dict(name="tm-tmit-web", relative_name="tmit-web"),
        "name: Traffic Manager profile tm-tmit-web already exists and fronts other targets ('web' -> www.contoso.com), "
        "not the endpoints asked for; choose another profile name, or set retarget=true to take it over"),
    "bad status": (
        dict(endpoints=[dict(name="primary", target=PRIMARY, priority=1, status="Off")]),
        "value of status must be one of: Enabled, Disabled, got: Off found in endpoints"),
    "duplicate priority": (
        dict(endpoints=[dict(name="primary", target=PRIMARY, priority=1),
                        dict(name="secondary", target=SECONDARY, priority=1)]),
        "endpoints[1].priority: 1 is already the priority of endpoints[0]; priorities must be unique in a profile with "
        "Priority routing"),
    "a URL as target": (
        dict(endpoints=[dict(name="primary", target="https://%s/score" % PRIMARY, priority=1)]),
        "endpoints[0].target: 'https://%s/score' is not a host name" % PRIMARY),
    "taken DNS name": (
        dict(name="tm-tmit-other", relative_name="TMIT-web"),
        "relative_name: 'tmit-web.trafficmanager.net' is already taken by another Traffic Manager profile"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("check", [False, True], ids=["apply", "check"])
def test_bad_input_changes_nothing(case, check, emulator, run_playbook, foreign):
    over, message = BAD[case]
    before = emulator.state()
    run = run_playbook("traffic_manager.yml", profile_vars(**over), check=check)
    assert run.rc != 0, run
    (failed,) = run.failed
    msg = failed["result"]["msg"]
    assert message in msg, msg
    assert "\n" not in msg and "Traceback" not in msg
    assert emulator.state() == before
    assert emulator.endpoint["client_secret"] not in run.stdout + run.stderr


# --- the provision role ----------------------------------------------------------------------------------------------

PROVISION = str(Path(__file__).resolve().parents[2] / "playbooks" / "provision.yml")
TM_PAIR = dict(name="tmprov", primary_region="eastus", secondary_region="westus",
               modes={"inference": "hot/warm", "training": "hot/cold"}, traffic_manager=dict(endpoints=["score"]))
STATE = "amlops.bcdr.state."


def inventory(pair):
    return {"dr_pairs": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                         "hosts": {pair["name"]: {"bcdr_pair": pair}}}}


def claim_secondary(emulator, pair):
    """Both workspaces carry a failover's claim: the secondary active at epoch 1."""
    ml = emulator.client(MachineLearningServicesMgmtClient, "2024-04-01")
    for region in (pair["primary_region"], pair["secondary_region"]):
        group, name = "rg-%s-%s" % (pair["name"], region), "mlw-%s-%s" % (pair["name"], region)
        tags = dict(ml.workspaces.get(group, name).tags or {})
        tags.update({STATE + "active": "secondary", STATE + "epoch": "1", STATE + "switched_at": "2026-11-30T09:00:00Z"})
        ml.workspaces.begin_update(group, name, {"tags": tags}).result()


def test_provision_follows_the_active_side(emulator, run_playbook):
    first = run_playbook(PROVISION, inventory=inventory(TM_PAIR))
    assert first.rc == 0, first
    group, name = "rg-tmprov-shared", "tm-tmprov-score"
    profile = tm_client(emulator).profiles.get(group, name)
    assert profile.dns_config.fqdn == "tm-tmprov-score.trafficmanager.net"
    assert dict((e.name, (e.target, e.priority, e.endpoint_status)) for e in profile.endpoints) == {
        "primary": ("score.eastus.inference.ml.azure.com", 1, "Enabled"),
        "secondary": ("score.westus.inference.ml.azure.com", 2, "Disabled"),  # hot/warm: the standby does not serve
    }
    assert profile.tags["amlops.bcdr.pair"] == "tmprov"

    # After a failover (the markers say secondary), a provision re-run keeps clients on the secondary.
    claim_secondary(emulator, TM_PAIR)
    again = run_playbook(PROVISION, inventory=inventory(TM_PAIR))
    assert again.rc == 0, again
    (item,) = again.task("amlops.bcdr.provision : Traffic Manager profiles")["result"]["results"]
    assert item["changes"] == {"endpoints.primary.status": ["Enabled", "Disabled"],
                               "endpoints.secondary.status": ["Disabled", "Enabled"]}
    assert statuses_in(emulator, group, name) == dict(primary="Disabled", secondary="Enabled")
    third = run_playbook(PROVISION, inventory=inventory(TM_PAIR))
    assert third.rc == 0 and third.changed == 0, third


def statuses_in(emulator, group, name):
    return dict((e.name, e.endpoint_status) for e in tm_client(emulator).profiles.get(group, name).endpoints)


def test_provision_preflight_refuses_a_bad_key(emulator, run_playbook):
    before = emulator.state()
    bad = dict(TM_PAIR, name="tmbad", traffic_manager=dict(endpoints=["9lives", "score"], resource_group="rg?"))
    run = run_playbook(PROVISION, inventory=inventory(bad))
    assert run.rc != 0, run
    msg = run.task("amlops.bcdr.provision : Check the pair's input")["result"]["msg"]
    assert msg == ("traffic_manager.endpoints[0]: '9lives' is not an online endpoint name (3 to 32 letters, digits and "
                   "'-', starting with a letter, ending with a letter or digit); traffic_manager.resource_group: 'rg?' "
                   "is not a valid resource group name: 1 to 90 letters, digits, '-', '_', '.', '(' and ')', not ending "
                   "with '.'"), msg
    # a key the role does not know stops at the role's argument check
    unknown = run_playbook(PROVISION, inventory=inventory(dict(bad, traffic_manager=dict(endpoints=["score"], zone="x"))))
    assert unknown.rc != 0, unknown
    (failed,) = unknown.failed
    assert "zone" in failed["result"]["msg"] and "traffic_manager" in failed["result"]["msg"], failed["result"]["msg"]
    assert emulator.state() == before
