"""The failover role's filters on plain data: the input check (one line per bad option, -e strings
accepted), the plan from a lookup-shaped result, config.json, the filled report (timeline in the run's
order with seconds, late demotion failures, hook failures) and its summary."""


import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.filter.dr_failover import (
    dr_config_json, dr_failover_errors, dr_failover_plan, dr_failover_report, dr_failover_summary,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds

PAIR = dict(name="fraud", primary_region="eastus", secondary_region="westus")
GOOD = dict(target="secondary", max_rpo="", force="false", timeout=5, retries=1, pair=PAIR,
            destinations=["/srv/ml/config.json", {"host": "jump", "path": "~/config.json"}], hooks=[],
            report_dir="~/.amlops-bcdr/reports")


def options(**changes):
    return dict(GOOD, **changes)


def test_good_input_has_no_errors():
    assert dr_failover_errors(GOOD) == []
    assert dr_failover_errors(options(force=True, max_rpo="1h30m", timeout="5", retries="0")) == []


@pytest.mark.parametrize("changes, message", [
    (dict(target=""), "target: required: the region role to make active (primary or secondary)"),
    (dict(target=None), "target: required: the region role to make active (primary or secondary)"),
    (dict(target="tertiary"), "target: 'tertiary' is not one of primary, secondary"),
    (dict(max_rpo="soon"), "max_rpo: 'soon' is not a duration"),
    (dict(max_rpo="0"), "max_rpo: '0' must be a positive duration"),
    (dict(force="maybe"), "force: must be true or false, got maybe"),
    (dict(timeout="0"), "timeout: must be a positive number of seconds, got 0"),
    (dict(retries=-1), "retries: must be a non-negative integer, got -1"),
    (dict(pair=None), "bcdr_pair: the inventory host needs the pair"),
    (dict(pair=dict(name="fraud")), "bcdr_pair: primary_region, secondary_region required"),
    (dict(destinations=["config.json"]), "failover_config_destinations[0]: 'config.json' must be an absolute path"),
    (dict(destinations=[{"path": "/x/config.json"}]), "failover_config_destinations[0].host: required"),
    (dict(destinations=[{"host": "h", "path": "/x", "dest": 1}]), "failover_config_destinations[0]: unknown key dest"),
    (dict(destinations="/x"), "failover_config_destinations: must be a list"),
    (dict(hooks="dns.yml"), "failover_hooks: must be a list of task file paths"),
    (dict(report_dir=""), "failover_report_dir: required"),
])
def test_bad_input_one_line_naming_the_option(changes, message):
    errors = dr_failover_errors(options(**changes))
    assert len(errors) == 1 and errors[0].startswith(message), errors


def lookup_result(primary_tags, secondary_tags, unreachable=None):
    """What the amlops.bcdr.active_workspace lookup returns (the parts the plan reads)."""
    res = ds.resolve_active(primary_tags, secondary_tags, unreachable=unreachable)
    sides = {}
    for role, (group, name) in (("primary", ("rg-fraud-eastus", "mlw-fraud-eastus")),
                                ("secondary", ("rg-fraud-westus", "mlw-fraud-westus"))):
        sides[role] = dict(res["sides"][role], subscription_id="sub-1", resource_group=group, name=name,
                           provisioning_state="Succeeded" if res["sides"][role]["reachable"] else None)
    return dict(resolution=res, sides=sides)


def claim(active, epoch, **more):
    tags = {ds.TAG_ACTIVE: active, ds.TAG_EPOCH: str(epoch), ds.TAG_SWITCHED_AT: "2026-11-30T09:00:00Z"}
    tags.update(more)
    return tags


def plan_for(active, **facts):
    base = dict(target="secondary", active=active, now="2026-11-30T14:00:00Z", max_rpo="1h", force="false",
                sync_first=False, compute=dict(expected=["cpu"], present=["cpu"]), quota=dict(ok=True, message="ok"),
                registry=dict(name="acrfraud", location="westus", error="Timeout exceeded"),
                destinations=["/srv/ml/config.json", {"host": "jump", "path": "/etc/config.json"}], hooks=["dns.yml"])
    base.update(facts)
    return dr_failover_plan(base)


def test_plan_with_the_primary_down_and_the_registry_unread():
    active = lookup_result(None, claim("primary", 1, **{ds.TAG_LAST_SYNC: "2026-11-30T13:50:00Z"}),
                           unreachable={"primary": "timed out"})
    plan = plan_for(active)
    assert (plan["action"], plan["old_active"]) == ("switch", "primary")
    assert plan["tags"][ds.TAG_EPOCH] == "2"
    assert plan["config"] == {"subscription_id": "sub-1", "resource_group": "rg-fraud-westus",
                              "workspace_name": "mlw-fraud-westus"}
    registry = [c for c in plan["checks"] if c["name"] == "registry"][0]
    assert (registry["ok"], registry["blocking"]) == (False, False)      # unknown: reported, not a stop
    assert "not checked, the registry did not answer (Timeout exceeded)" in registry["detail"]
    assert any(h.startswith("check by hand (registry)") for h in plan["report"]["human"])
    assert [s.get("destination") for s in plan["steps"] if s["name"] == "config"] == [
        "/srv/ml/config.json", "jump:/etc/config.json"]


def test_plan_registry_home_region_and_forced_rpo():
    active = lookup_result(claim("secondary", 2), claim("secondary", 2, **{ds.TAG_LAST_SYNC: "2026-11-30T10:00:00Z"}))
    plan = plan_for(active, target="primary", registry=dict(name="acrfraud", location="eastus", home=True))
    registry = [c for c in plan["checks"] if c["name"] == "registry"][0]
    assert registry["ok"] and registry["detail"] == "registry acrfraud in eastus: the registry's home region"

    active = lookup_result(None, claim("primary", 1, **{ds.TAG_LAST_SYNC: "2026-11-30T10:00:00Z"}),
                           unreachable={"primary": "timed out"})
    assert plan_for(active)["action"] == "refuse"
    forced = plan_for(active, force="true")
    assert forced["action"] == "switch" and forced["report"]["forced"] == ["rpo"]


def test_plan_needs_the_lookup_result():
    with pytest.raises(AnsibleFilterError, match="active_workspace lookup's result"):
        dr_failover_plan(dict(target="secondary"))
    with pytest.raises(AnsibleFilterError, match="now: 'soon' is not an ISO-8601"):
        plan_for(lookup_result(claim("primary", 1), claim("primary", 1)), now="soon")


def test_report_follows_the_run_and_adds_what_did_not_go_through():
    active = lookup_result(claim("primary", 1), claim("primary", 1, **{ds.TAG_LAST_SYNC: "2026-11-30T13:50:00Z"}))
    plan = plan_for(active)
    assert [s["name"] for s in plan["steps"]] == ["switch", "demote", "config", "config", "hook", "report"]
    t0 = 1000.0
    steps = [dict(step="read_state", role=None, status="ok", detail="primary is active", at=t0 + 1.5),
             dict(step="precheck", role="secondary", status="ok", at=t0 + 3.0),
             dict(step="switch", role="secondary", status="ok", at=t0 + 4.0),
             dict(step="demote", role="primary", status="skipped", detail="timed out", at=t0 + 6.0),
             dict(step="config", role="secondary", status="ok", detail="/srv/ml/config.json", at=t0 + 6.5),
             dict(step="hook", role="secondary", status="failed", detail="dns.yml: refused", at=t0 + 7.0),
             dict(step="report", role=None, status="ok", at=t0 + 7.25)]
    report = dr_failover_report(plan["report"], steps, t0, "2026-11-30T14:00:08Z",
                                demote_failures=[dict(role="primary", reason="timed out", claim="primary at epoch 1")],
                                hook_failures=[dict(hook="dns.yml", msg="refused")], human=["one more thing"])
    assert [(e["step"], e["status"], e["seconds"]) for e in report["timeline"]] == [
        ("read_state", "ok", 1.5), ("precheck", "ok", 1.5), ("switch", "ok", 1.0), ("demote", "skipped", 2.0),
        ("config", "ok", 0.5), ("hook", "failed", 0.5), ("report", "ok", 0.25),
        ("config", "planned", None)]                           # the second destination never ran
    assert report["timeline"][4]["detail"] == "/srv/ml/config.json"
    assert (report["seconds"], report["seconds_wall"], report["finished_at"]) == (7.25, 7.25, "2026-11-30T14:00:08Z")
    assert report["skipped"][0]["step"] == "demote" and "timed out" in report["skipped"][0]["reason"]
    assert any(h.startswith("the primary workspace could not be told of the switch and still claims primary at "
                            "epoch 1") for h in report["human"])
    assert "hook dns.yml failed (refused): do by hand what it does" in report["human"]
    assert "one more thing" in report["human"]
    assert report["hook_failures"] == [{"hook": "dns.yml", "msg": "refused"}]

    lines = dr_failover_summary(report)
    assert lines[0] == "switch: switch primary -> secondary at epoch 2"
    assert lines[1] == "epoch 1 -> 2; RPO at the switch 10m (max_rpo 1h)"
    assert any(line.split()[:3] == ["hook", "secondary", "failed"] for line in lines)
    assert lines[-1] == "total 7.2s"


def test_report_rpo_after_a_reverse_sync_in_the_same_run():
    # failback: the record read before the run is old, but the sync that ran just before the switch
    # brought the target in step: the RPO at the switch is measured from that sync's end
    active = lookup_result(claim("secondary", 2, **{ds.TAG_LAST_SYNC: "2026-11-30T10:00:00Z"}),
                           claim("secondary", 2))
    plan = plan_for(active, target="primary")
    t0 = 1000.0
    steps = [dict(step="read_state", role=None, status="ok", at=t0 + 1.0),
             dict(step="sync", role="primary", status="ok", at=t0 + 20.0),
             dict(step="switch", role="primary", status="ok", at=t0 + 23.0)]
    report = dr_failover_report(plan["report"], steps, t0, "2026-11-30T14:00:30Z")
    assert report["rpo_seconds"] == 3 and report["rpo_before_sync_seconds"] == plan["report"]["rpo_seconds"]
    failed_sync = [dict(s, status="failed") if s["step"] == "sync" else s for s in steps]
    unchanged = dr_failover_report(plan["report"], failed_sync, t0, "2026-11-30T14:00:30Z")
    assert unchanged["rpo_seconds"] == plan["report"]["rpo_seconds"] and "rpo_before_sync" not in unchanged


def test_config_json():
    assert dr_config_json(dict(subscription_id="s", resource_group="g", workspace_name="w")) == {
        "subscription_id": "s", "resource_group": "g", "workspace_name": "w"}
    with pytest.raises(AnsibleFilterError, match="subscription_id required"):
        dr_config_json(dict(resource_group="g", name="w"))
