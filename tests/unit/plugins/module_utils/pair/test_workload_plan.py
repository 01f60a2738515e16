"""The workloads' plan per DR mode (pair/workload_plan.py), on plain data as the info modules return it."""

import copy

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import workload_plan as wp
from ansible_collections.amlops.bcdr.plugins.module_utils.pair.layout import dr_pair_layout

SUB = "0b1f6471-1bf0-4dda-aec3-111122223333"
PRIMARY = "/subscriptions/%s/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus" % SUB
SECONDARY = "/subscriptions/%s/resourceGroups/rg-fraud-westus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-westus" % SUB
REGISTRY_MODEL = "azureml://registries/shared-reg/models/scorer/versions/3"
TARGET = dict(subscription_id=SUB, resource_group="rg-fraud-westus", workspace="mlw-fraud-westus")


def endpoint(name="fraud-api", traffic=None, counts=(("blue", 3), ("green", 1)), state="Succeeded"):
    return dict(
        id=PRIMARY + "/onlineEndpoints/" + name, name=name, location="eastus", auth_mode="key",
        traffic={"blue": 90, "green": 10} if traffic is None else traffic,
        scoring_uri="https://%s.eastus.inference.ml.azure.com/score" % name, provisioning_state=state,
        tags={"team": "risk"}, description="fraud scoring",
        deployments=[dict(
            id=PRIMARY + "/onlineEndpoints/%s/deployments/%s" % (name, d), name=d, endpoint=name,
            model=PRIMARY + "/models/fraud/versions/%d" % (i + 1),
            environment="azureml:" + PRIMARY + "/environments/sklearn/versions/2",
            code_id=PRIMARY + "/codes/score/versions/1", scoring_script="score.py", instance_type="Standard_DS3_v2",
            instance_count=n, environment_variables={"MODE": "fast"}, provisioning_state=state, tags={},
            description=None) for i, (d, n) in enumerate(counts)])


# ---- re-pointing references --------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    (PRIMARY + "/models/fraud/versions/1", SECONDARY + "/models/fraud/versions/1"),
    ("azureml:" + PRIMARY + "/environments/sklearn/versions/2", "azureml:" + SECONDARY + "/environments/sklearn/versions/2"),
    (PRIMARY.lower() + "/codes/score/versions/1", SECONDARY + "/codes/score/versions/1"),
    (REGISTRY_MODEL, REGISTRY_MODEL),
    ("fraud:1", "fraud:1"),
    ("/subscriptions/%s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/registries/reg/models/m/versions/1"
     % SUB, "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/registries/reg/models/m/"
     "versions/1" % SUB),
])
def test_references_point_at_the_targets_own_assets(source, expected):
    assert wp.repoint(source, SECONDARY) == expected


def test_a_reference_that_is_a_workspace_or_not_a_string_is_refused():
    with pytest.raises(wp.WorkloadError, match=r"^model: '.*' names a workspace, not an asset in it$"):
        wp.repoint(PRIMARY, SECONDARY)
    with pytest.raises(wp.WorkloadError, match=r"^environment: must be a non-empty string, got 3$"):
        wp.repoint(3, SECONDARY, "environment")


# ---- the sync, per mode ------------------------------------------------------------------------

def test_hot_hot_sync_keeps_the_same_counts_and_traffic():
    plan = wp.sync_plan([endpoint()], "hot/hot", 1, SECONDARY)
    assert plan["endpoints"] == [dict(TARGET, name="fraud-api", auth_mode="key", description="fraud scoring",
                                      tags={"team": "risk"})]
    assert "traffic" not in plan["endpoints"][0]   # set after the deployments exist
    assert [(d["name"], d["instance_count"]) for d in plan["deployments"]] == [("blue", 3), ("green", 1)]
    blue = plan["deployments"][0]
    assert blue["model"] == SECONDARY + "/models/fraud/versions/1"
    assert blue["environment"] == "azureml:" + SECONDARY + "/environments/sklearn/versions/2"
    assert blue["code_id"] == SECONDARY + "/codes/score/versions/1"
    assert (blue["endpoint"], blue["workspace"], blue["resource_group"]) == ("fraud-api", "mlw-fraud-westus",
                                                                             "rg-fraud-westus")
    assert blue["environment_variables"] == {"MODE": "fast"} and "description" not in blue
    assert plan["traffic"] == [dict(TARGET, name="fraud-api", traffic={"blue": 90, "green": 10})]
    assert plan["counts"] == dict(endpoints=1, deployments=2, absent=0)


def test_hot_warm_sync_runs_the_standby_count_without_traffic():
    plan = wp.sync_plan([endpoint(counts=(("blue", 3), ("green", 1)))], "hot/warm", 2, dict(
        subscription_id=SUB, resource_group="rg-fraud-westus", name="mlw-fraud-westus"))
    # never more than the active runs: green stays at 1
    assert [(d["name"], d["instance_count"]) for d in plan["deployments"]] == [("blue", 2), ("green", 1)]
    assert plan["traffic"] == [dict(TARGET, name="fraud-api", traffic={})]
    assert wp.sync_plan([endpoint()], "hot/warm", "1", SECONDARY)["deployments"][0]["instance_count"] == 1


def test_hot_cold_sync_leaves_the_standby_empty():
    plan = wp.sync_plan([endpoint()], "hot/cold", 1, SECONDARY, target_endpoints=[endpoint()])
    assert (plan["endpoints"], plan["deployments"], plan["traffic"], plan["absent"]) == ([], [], [], [])
    # a failover handing the old active back to standby removes what the active runs too (nothing else)
    released = wp.sync_plan([endpoint()], "hot/cold", 1, SECONDARY, release=True,
                            target_endpoints=[endpoint(), endpoint("someone-elses")])
    assert released["absent"] == [dict(TARGET, name="fraud-api")]


@pytest.mark.parametrize("call, message", [
    (lambda: wp.sync_plan([endpoint()], "warm/hot", 1, SECONDARY),
     "modes.inference: 'warm/hot' is not one of hot/hot, hot/warm, hot/cold"),
    (lambda: wp.sync_plan([endpoint()], "hot/warm", 0, SECONDARY),
     "standby_instance_count: must be a whole number of at least 1, got 0"),
    (lambda: wp.sync_plan([endpoint()], "hot/hot", 1, "mlw-fraud-westus"),
     "target_workspace: 'mlw-fraud-westus' is not the ARM ID of an Azure ML workspace"),
    (lambda: wp.sync_plan([endpoint()], "hot/hot", 1, dict(resource_group="rg", name="w")),
     "target_workspace: subscription_id required"),
    (lambda: wp.sync_plan([{"deployments": []}], "hot/hot", 1, SECONDARY), "endpoints[0].name: required"),
    (lambda: wp.sync_plan("fraud-api", "hot/hot", 1, SECONDARY), "endpoints: must be a list of dicts"),
    (lambda: wp.sync_plan([dict(endpoint(), traffic="all")], "hot/hot", 1, SECONDARY),
     "endpoints[0].traffic: must be a dict of deployment -> percent"),
])
def test_bad_input_is_one_line_naming_the_field(call, message):
    with pytest.raises(wp.WorkloadError) as raised:
        call()
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value), str(raised.value)


def test_the_source_is_not_modified():
    source = [endpoint()]
    before = copy.deepcopy(source)
    wp.sync_plan(source, "hot/warm", 1, SECONDARY)
    wp.snapshot_content("primary", PRIMARY, {}, source)
    assert source == before


# ---- the snapshot ------------------------------------------------------------------------------

def test_the_snapshot_keeps_what_a_failover_needs_and_nothing_that_changes_on_its_own():
    jobs = [dict(name="train-2", status="Running"), dict(name="train-1", status="Queued"),
            dict(name="old", status="Completed")]
    content = wp.snapshot_content("primary", PRIMARY, {"inference": "hot/warm"}, [endpoint()], jobs=jobs,
                                  schedules=[dict(name="nightly", is_enabled=True)])
    assert content["modes"] == {"training": "hot/cold", "inference": "hot/warm"}
    assert (content["source"], content["source_workspace"]) == ("primary", PRIMARY)
    assert [j["name"] for j in content["jobs"]] == ["train-1", "train-2"]
    assert content["endpoints"][0]["traffic"] == {"blue": 90, "green": 10}
    assert [d["instance_count"] for d in content["endpoints"][0]["deployments"]] == [3, 1]
    # provisioning states move on their own: a later sync with nothing new writes the same content
    assert content == wp.snapshot_content("primary", PRIMARY, {"inference": "hot/warm"}, [endpoint(state="Updating")],
                                          jobs=jobs, schedules=[dict(name="nightly", is_enabled=True)])
    with pytest.raises(wp.WorkloadError, match=r"^modes.training: 'tepid' is not one of"):
        wp.snapshot_content("primary", PRIMARY, {"training": "tepid"}, [])


# ---- the failover ------------------------------------------------------------------------------

def facts(mode, target_endpoints, live=None, snapshot_endpoints=None, training="hot/cold", clusters=None):
    snapshot = wp.snapshot_content("primary", PRIMARY, {"inference": mode, "training": training},
                                   snapshot_endpoints if snapshot_endpoints is not None else [endpoint()],
                                   jobs=[dict(name="train-1", status="Running")], schedules=[dict(name="nightly")])
    return dict(modes={"inference": mode, "training": training}, target_workspace=SECONDARY, snapshot=snapshot,
                live=live, target_endpoints=target_endpoints, clusters=clusters or [])


def standby(counts):
    """The target's endpoint as the sync left it (in the target workspace)."""
    out = endpoint(counts=counts, traffic={})
    return out


def test_hot_hot_failover_only_sets_the_recorded_traffic():
    plan = wp.failover_plan(facts("hot/hot", [endpoint()]))
    assert plan["source"] == "snapshot"
    # the sync kept the target in step: nothing to wait for or to set
    assert plan["endpoints"] == [dict(name="fraud-api", action="traffic", pending=False, deployments=[])]
    assert (plan["create_endpoints"], plan["deployments"]) == ([], [])
    moved = wp.failover_plan(facts("hot/hot", [endpoint(traffic={"blue": 50, "green": 50})]))
    assert moved["endpoints"] == [dict(name="fraud-api", action="traffic", pending=True, deployments=[])]
    assert plan["traffic"] == [dict(TARGET, name="fraud-api", traffic={"blue": 90, "green": 10})]


def test_hot_warm_failover_scales_to_the_recorded_counts():
    plan = wp.failover_plan(facts("hot/warm", [standby((("blue", 1), ("green", 1)))]))
    assert plan["endpoints"] == [dict(name="fraud-api", action="scale", pending=True, deployments=["blue"])]
    assert [(d["name"], d["instance_count"], d["model"]) for d in plan["deployments"]] == [
        ("blue", 3, SECONDARY + "/models/fraud/versions/1")]
    assert plan["traffic"][0]["traffic"] == {"blue": 90, "green": 10}


def test_hot_cold_failover_creates_endpoints_and_deployments_from_the_snapshot():
    plan = wp.failover_plan(facts("hot/cold", []))
    assert plan["endpoints"] == [dict(name="fraud-api", action="create", pending=True, deployments=["blue", "green"])]
    assert plan["create_endpoints"] == [dict(TARGET, name="fraud-api", auth_mode="key", description="fraud scoring",
                                             tags={"team": "risk"})]
    assert [(d["name"], d["instance_count"]) for d in plan["deployments"]] == [("blue", 3), ("green", 1)]


def test_the_old_actives_live_state_wins_over_the_snapshot_when_it_answered():
    live = dict(endpoints=[endpoint(counts=(("blue", 5),), traffic={"blue": 100})])
    plan = wp.failover_plan(facts("hot/warm", [standby((("blue", 1), ("green", 1)))], live=live))
    assert plan["source"] == "live"
    assert [(d["name"], d["instance_count"]) for d in plan["deployments"]] == [("blue", 5)]
    assert plan["traffic"][0]["traffic"] == {"blue": 100}
    assert (plan["jobs"], plan["jobs_source"], plan["schedules"]) == (None, "live", None)  # the copy modules read it


def test_jobs_and_schedules_come_from_the_snapshot_when_the_old_active_is_down():
    plan = wp.failover_plan(facts("hot/hot", [endpoint()]))
    assert plan["jobs_source"] == "snapshot"
    assert [j["name"] for j in plan["jobs"]] == ["train-1"] and [s["name"] for s in plan["schedules"]] == ["nightly"]


def test_a_target_that_was_not_read_gets_everything_labelled_by_the_mode():
    for mode, action in (("hot/hot", "traffic"), ("hot/warm", "scale"), ("hot/cold", "create")):
        plan = wp.failover_plan(facts(mode, None))
        assert [e["action"] for e in plan["endpoints"]] == [action]
        assert len(plan["create_endpoints"]) == 1 and len(plan["deployments"]) == 2


def test_no_snapshot_and_no_answer_moves_nothing_and_says_so():
    plan = wp.failover_plan(dict(facts("hot/cold", []), snapshot=None))
    assert (plan["source"], plan["endpoints"], plan["jobs"]) == ("none", [], [])
    assert plan["notes"][0].startswith("no snapshot of the workloads in the target and the old active did not answer")


def test_failover_refuses_a_mode_that_does_not_exist():
    with pytest.raises(wp.WorkloadError, match=r"^modes.inference: 'hot/lukewarm' is not one of hot/hot, hot/warm, "
                                               r"hot/cold$"):
        wp.failover_plan(dict(facts("hot/hot", []), modes={"inference": "hot/lukewarm"}))


# ---- clusters: the layout with the target active -----------------------------------------------

PAIR = dict(name="fraud", primary_region="eastus", secondary_region="westus",
            modes={"training": "hot/warm", "inference": "hot/warm"},
            compute_clusters=[dict(name="cpu", vm_size="Standard_DS3_v2", max_nodes=4, standby_max_nodes=2),
                              dict(name="gpu", vm_size="Standard_NC6", max_nodes=2),
                              dict(name="serve", vm_size="Standard_DS2_v2", max_nodes=3, resource_class="inference")])


def scale(layout, role):
    return [(c["name"], c["min_nodes"], c["max_nodes"]) for c in layout["regions"][role]["clusters"]]


def test_hot_warm_standby_clusters_rest_at_standby_max_nodes_and_the_active_keeps_max_nodes():
    rest = dr_pair_layout(PAIR)
    assert scale(rest, "primary") == [("cpu", 0, 4), ("gpu", 0, 2), ("serve", 0, 3)]
    assert scale(rest, "secondary") == [("cpu", 0, 2), ("gpu", 0, 1), ("serve", 0, 1)]
    after = dr_pair_layout(PAIR, active="secondary")   # a provision re-run after a failover
    assert scale(after, "secondary") == [("cpu", 0, 4), ("gpu", 0, 2), ("serve", 0, 3)]
    assert scale(after, "primary") == [("cpu", 0, 2), ("gpu", 0, 1), ("serve", 0, 1)]
    plan = wp.failover_plan(facts("hot/warm", None, training="hot/warm", clusters=after["regions"]["secondary"]["clusters"]))
    assert [(c["name"], c["max_nodes"], c["action"]) for c in plan["clusters"]] == [("cpu", 4, "scale"), ("gpu", 2, "scale")]


def test_hot_cold_clusters_are_created_by_the_failover():
    pair = dict(PAIR, modes={"training": "hot/cold"})
    assert scale(dr_pair_layout(pair), "secondary") == [("serve", 0, 3)]   # inference defaults to hot/hot
    clusters = dr_pair_layout(pair, active="secondary")["regions"]["secondary"]["clusters"]
    plan = wp.failover_plan(facts("hot/hot", None, clusters=clusters))
    assert [(c["name"], c["action"]) for c in plan["clusters"]] == [("cpu", "create"), ("gpu", "create")]
    with pytest.raises(ValueError, match="active: 'both' is not one of primary, secondary"):
        dr_pair_layout(pair, active="both")


# ---- the pre-flight of the workloads -----------------------------------------------------------

def test_workload_errors_name_the_key():
    assert wp.workload_errors(PAIR) == []
    bad = dict(PAIR, modes={"inference": "cold/cold"}, standby_instance_count=0,
               compute_clusters=[dict(name="cpu", vm_size="x", max_nodes=2, standby_max_nodes=3),
                                 dict(name="gpu", vm_size="x", max_nodes=2, standby_max_nodes="two")])
    assert wp.workload_errors(bad) == [
        "modes.inference: 'cold/cold' is not one of hot/hot, hot/warm, hot/cold",
        "standby_instance_count: must be a whole number of at least 1 (instances of each hot/warm standby "
        "deployment), got 0",
        "compute_clusters[0].standby_max_nodes: 3 is more than max_nodes (2); the standby runs at most what the "
        "active runs",
        "compute_clusters[1].standby_max_nodes: must be a whole number of at least 1, got 'two'",
    ]
    assert wp.workload_errors("fraud") == ["the pair must be a dict (bcdr_pair), got str"]
    with pytest.raises(wp.WorkloadError, match=r"^modes.inference: 'cold/cold'"):
        wp.pair_modes(bad)
    assert wp.pair_modes(dict(PAIR, modes=None)) == {"inference": "hot/hot", "training": "hot/cold"}


# ---- the report --------------------------------------------------------------------------------

def test_report_rows_and_jobs():
    plan = wp.failover_plan(facts("hot/cold", []))
    after = [dict(endpoint(traffic={"blue": 90, "green": 10}), id=SECONDARY + "/onlineEndpoints/fraud-api",
                  scoring_uri="https://fraud-api.westus.inference.ml.azure.com/score")]
    rows = wp.report_rows(plan, after, seconds={"fraud-api": 41.23456})
    assert rows == [dict(endpoint="fraud-api", action="create", provisioning_state="Succeeded",
                         scoring_uri="https://fraud-api.westus.inference.ml.azure.com/score", seconds=41.235)]
    after[0]["deployments"][1]["provisioning_state"] = "Failed"
    assert wp.report_rows(plan, after)[0]["provisioning_state"] == "Failed"
    assert wp.report_rows(plan, [])[0]["provisioning_state"] == "Missing"
    jobs = wp.jobs_report(dict(resubmitted=[dict(name="train-1", source_id="x", target_id="y", status="Running")],
                               unchanged=[], not_resubmitted=[dict(name="gpu-job", reason="compute gpu is missing")],
                               conflicts=[dict(name="train-9", reason="a job named train-9 exists")],
                               failed_items=[dict(name="train-3", error="quota")]), plan)
    assert jobs == dict(source="snapshot", resubmitted=["train-1"], unchanged=[],
                        not_resubmitted=[dict(name="gpu-job", reason="compute gpu is missing"),
                                         dict(name="train-9", reason="a job named train-9 exists"),
                                         dict(name="train-3", reason="the submission failed: quota")])


def test_the_syncs_outcome_counts_like_a_copy_module():
    plan = wp.sync_plan([endpoint()], "hot/warm", 1, SECONDARY)
    deployments = [dict(changed=True, item=plan["deployments"][0]), dict(changed=False, item=plan["deployments"][1])]
    standby = [dict(endpoint(), deployments=[dict(name="blue", provisioning_state="Failed"),
                                             dict(name="green", provisioning_state="Succeeded")])]
    out = wp.sync_outcome(plan, dict(changed=True), endpoints=[dict(changed=False, item=plan["endpoints"][0])],
                          deployments=deployments, traffic=[dict(failed=True, msg="boom", item=plan["traffic"][0])],
                          standby=standby)
    assert [i["key"] for i in out["copied"]] == ["snapshot workloads", "deployment fraud-api/blue"]
    assert [i["key"] for i in out["unchanged"]] == ["endpoint fraud-api", "deployment fraud-api/green"]
    assert out["failed_items"] == [
        dict(key="traffic fraud-api", error="boom"),
        dict(key="deployment fraud-api/blue", error="its provisioning state in the standby is Failed")]
    assert out["summary"] == dict(failed=2, copied=2, unchanged=2)
    assert out["containers"] == dict(selected=4)   # the endpoint, its two deployments, the snapshot
    # skipped writes (sync_workloads_apply: false) count as nothing
    assert wp.sync_outcome(plan, dict(changed=False), deployments=[dict(skipped=True, item={})])["summary"] == dict(
        failed=0, copied=0, unchanged=1)
