"""The failover's plan on plain facts: refusals (one line), no-op, demote, switch with the old
active reachable or not, forced pre-checks, the report skeleton and config.json."""

import datetime

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds
from ansible_collections.amlops.bcdr.plugins.module_utils.pair.failover_plan import (
    config_json, finish_report, plan_failover, record_step,
)

NOW = datetime.datetime(2026, 11, 30, 14, 0, 0, tzinfo=datetime.timezone.utc)
WORKSPACES = {
    "primary": dict(subscription_id="sub-1", resource_group="rg-fraud-eastus", name="mlw-fraud-eastus"),
    "secondary": dict(subscription_id="sub-1", resource_group="rg-fraud-westus", name="mlw-fraud-westus"),
}


def claim(active, epoch, last_sync=None):
    tags = {ds.TAG_ACTIVE: active, ds.TAG_EPOCH: str(epoch), ds.TAG_SWITCHED_AT: "2026-11-30T09:00:00Z"}
    if last_sync:
        tags[ds.TAG_LAST_SYNC] = last_sync
    return tags


def facts(primary, secondary, target="secondary", unreachable=None, **extra):
    base = dict(target=target, now=NOW, max_rpo="1h", force=False, workspaces=WORKSPACES,
                resolution=ds.resolve_active(primary, secondary, unreachable=unreachable),
                target_workspace=dict(provisioning_state="Succeeded"),
                compute=dict(expected=["cpu"], present=["cpu"]), quota=dict(ok=True, message="quota ok"),
                registry=dict(name="acrfraud", location="westus", replica=dict(provisioning_state="Succeeded",
                                                                               status="Ready")),
                destinations=["/etc/aml/config.json"], hooks=["tasks/dns.yml"])
    base.update(extra)
    return base


RECENT = "2026-11-30T13:40:00Z"   # 20 minutes before NOW
OLD = "2026-11-30T11:00:00Z"      # 3 hours before NOW


def test_failover_with_the_primary_down_switches_and_skips_the_demotion():
    plan = plan_failover(facts(None, claim("primary", 1, RECENT), unreachable={"primary": "timed out after 5s"}))
    assert plan["action"] == "switch" and plan["message"] == "switch primary -> secondary at epoch 2"
    assert [(s["name"], s["role"]) for s in plan["steps"]] == [
        ("switch", "secondary"), ("config", "secondary"), ("hook", "secondary"), ("report", None)]
    assert plan["tags"] == {ds.TAG_ACTIVE: "secondary", ds.TAG_EPOCH: "2", ds.TAG_SWITCHED_AT: "2026-11-30T14:00:00Z"}
    assert plan["skipped"] == [dict(step="demote", role="primary", reason="the primary workspace did not answer "
                                    "(timed out after 5s): it keeps its old claim and is fenced until demoted")]
    report = plan["report"]
    assert (report["epoch_before"], report["epoch_after"], report["partial"]) == (1, 2, True)
    assert (report["rpo_seconds"], report["rpo"], report["max_rpo_seconds"]) == (1200, "20m", 3600)
    assert [e["status"] for e in report["timeline"]] == ["planned"] * 4
    assert any("resubmit in the secondary workspace the jobs" in h for h in report["human"])
    assert any("the primary workspace could not be told of the switch and still holds its last claim (it was not "
               "read): it is fenced by the new epoch 2" in h for h in report["human"])
    assert all(c["ok"] for c in plan["checks"])


def test_failover_with_the_primary_up_demotes_it_and_can_sync_first():
    plan = plan_failover(facts(claim("primary", 1), claim("primary", 1, OLD), sync_first=True, hooks=[]))
    assert [(s["name"], s["role"]) for s in plan["steps"]] == [
        ("sync", "secondary"), ("switch", "secondary"), ("demote", "primary"), ("config", "secondary"),
        ("report", None)]
    assert plan["steps"][0]["source"] == "primary"
    # the old RPO does not block: the sync runs first
    assert [c for c in plan["checks"] if c["name"] == "rpo"][0]["ok"]
    assert plan["steps"][1]["tags"] == plan["steps"][2]["tags"] and plan["skipped"] == []


def test_same_failover_twice_is_a_no_op():
    done = claim("secondary", 2, RECENT)
    plan = plan_failover(facts(done, done))
    assert plan["action"] == "none" and plan["tags"] is None
    assert plan["message"] == "secondary is already active (epoch 2); nothing to switch"
    assert [s["name"] for s in plan["steps"]] == ["config", "report"]     # config.json is still ensured
    assert plan["report"]["human"] == []
    # also with the other region still down, and whatever the RPO: nothing is switched
    plan = plan_failover(facts(None, claim("secondary", 2, OLD), unreachable={"primary": "503"}))
    assert plan["action"] == "none" and "(the primary workspace did not answer: 503)" in plan["message"]


def test_a_stale_old_active_that_came_back_is_demoted():
    plan = plan_failover(facts(claim("primary", 1), claim("secondary", 2, RECENT)))
    assert plan["action"] == "demote"
    assert plan["message"] == ("secondary is already active (epoch 2); the primary workspace is stale "
                               "(claims primary at epoch 1) and is demoted")
    assert [(s["name"], s["role"]) for s in plan["steps"]] == [("demote", "primary"), ("config", "secondary"),
                                                               ("report", None)]
    assert plan["tags"][ds.TAG_EPOCH] == "2" and plan["tags"][ds.TAG_ACTIVE] == "secondary"


def test_failback_over_a_stale_primary_writes_a_new_epoch_in_both():
    plan = plan_failover(facts(claim("primary", 1, RECENT), claim("secondary", 2), target="primary",
                               registry=None, compute=None, quota=None))
    assert plan["action"] == "switch" and plan["tags"][ds.TAG_EPOCH] == "3"
    assert [(s["name"], s["role"]) for s in plan["steps"][:2]] == [("switch", "primary"), ("demote", "secondary")]
    assert [c["name"] for c in plan["checks"]] == ["workspace", "rpo"]


def test_rpo_over_max_refuses_unless_forced():
    refused = plan_failover(facts(None, claim("primary", 1, OLD), unreachable={"primary": "503"}))
    assert refused["action"] == "refuse" and refused["steps"] == []
    assert refused["message"] == ("RPO 3h (last sync 2026-11-30T11:00:00Z) is over max_rpo 1h; set force: true to "
                                  "fail over anyway")
    forced = plan_failover(facts(None, claim("primary", 1, OLD), unreachable={"primary": "503"}, force=True))
    assert forced["action"] == "switch" and forced["report"]["forced"] == ["rpo"]
    assert any(h.startswith("forced past a failed pre-check (rpo): RPO 3h") for h in forced["report"]["human"])


def test_never_synced_target_refuses_even_without_max_rpo():
    plan = plan_failover(facts(None, {}, unreachable={"primary": "503"}, max_rpo=None))
    assert plan["action"] == "refuse"
    assert plan["message"].startswith("the secondary workspace mlw-fraud-westus was never synced")


def test_target_down_is_refused_even_with_force():
    plan = plan_failover(facts(claim("primary", 1), None, unreachable={"secondary": "timed out after 5s"},
                               force=True))
    assert plan["action"] == "refuse"
    assert plan["message"] == ("target secondary: the secondary workspace mlw-fraud-westus did not answer (timed out "
                               "after 5s); a failover needs the target region up: fail over to primary instead, "
                               "or wait")


def test_every_failed_precheck_is_in_the_one_line():
    plan = plan_failover(facts(None, claim("primary", 1, RECENT), unreachable={"primary": "503"},
                               target_workspace=dict(provisioning_state="Failed"),
                               compute=dict(expected=["cpu", "gpu"], present=["cpu"]),
                               quota=dict(ok=False, message="quota: westus has 4 of 16 StandardDSv2 cores"),
                               registry=dict(name="acrfraud", location="westus", replica=None)))
    assert plan["action"] == "refuse"
    assert plan["message"] == (
        "the secondary workspace mlw-fraud-westus is Failed; compute missing in the secondary workspace: gpu; "
        "quota: westus has 4 of 16 StandardDSv2 cores; registry acrfraud in westus: no replica (images cannot be "
        "pulled there while the other region is down); set force: true to fail over anyway")
    assert "\n" not in plan["message"]


def test_unhealthy_replica_blocks():
    plan = plan_failover(facts(None, claim("primary", 1, RECENT), unreachable={"primary": "503"},
                               registry=dict(name="acrfraud", location="westus",
                                             replica=dict(provisioning_state="Succeeded", status="Disabled"))))
    assert plan["action"] == "refuse" and "replica Succeeded, status Disabled" in plan["message"]


def test_conflicting_claims_are_not_a_no_op():
    later = dict(claim("secondary", 4, RECENT), **{ds.TAG_SWITCHED_AT: "2026-11-30T12:00:00Z"})
    res_facts = facts(claim("primary", 4), later)
    assert res_facts["resolution"]["active"] == "secondary" and res_facts["resolution"]["conflict"]
    plan = plan_failover(res_facts)
    assert plan["action"] == "switch" and plan["tags"][ds.TAG_EPOCH] == "5"


def test_bad_target():
    with pytest.raises(ds.StateError, match="target: 'tertiary' is not one of primary, secondary"):
        plan_failover(facts({}, {}, target="tertiary"))


def test_record_step_and_finish():
    plan = plan_failover(facts(None, claim("primary", 1, RECENT), unreachable={"primary": "503"}))
    report = plan["report"]
    record_step(report, "switch", "ok", 0.4123)
    record_step(report, "config", "ok", 0.05)
    record_step(report, "hook", "failed", 1.5, detail="tasks/dns.yml: exit 2")
    record_step(report, "extra", "ok", 0.1, role="secondary")
    finish_report(report, NOW + datetime.timedelta(seconds=3))
    assert [(e["step"], e["status"], e["seconds"]) for e in report["timeline"]] == [
        ("switch", "ok", 0.412), ("config", "ok", 0.05), ("hook", "failed", 1.5), ("report", "planned", None),
        ("extra", "ok", 0.1)]
    assert report["timeline"][2]["detail"] == "tasks/dns.yml: exit 2"
    assert report["finished_at"] == "2026-11-30T14:00:03Z" and report["seconds"] == 2.062


def test_config_json():
    assert config_json(WORKSPACES["secondary"]) == {
        "subscription_id": "sub-1", "resource_group": "rg-fraud-westus", "workspace_name": "mlw-fraud-westus"}
    with pytest.raises(ds.StateError, match="workspace: subscription_id required"):
        config_json(dict(resource_group="rg", name="ws"))
