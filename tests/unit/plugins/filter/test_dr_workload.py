"""The workload filters: bad input fails the task with one line naming the filter and the field; good
input passes through to pair/workload_plan.py (tested there)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.filter.dr_pair import dr_pair_layout
from ansible_collections.amlops.bcdr.plugins.filter.dr_workload import (
    dr_workload_errors, dr_workload_failover, dr_workload_report, dr_workload_snapshot, dr_workload_sync,
)

WS = "/subscriptions/s/resourceGroups/rg-w/providers/Microsoft.MachineLearningServices/workspaces/mlw-w"
PAIR = dict(name="fraud", primary_region="eastus", secondary_region="westus")


def test_a_mode_that_does_not_exist_is_one_line():
    with pytest.raises(AnsibleFilterError) as raised:
        dr_workload_sync([], "hot/tepid", 1, WS)
    assert str(raised.value) == ("dr_workload_sync: modes.inference: 'hot/tepid' is not one of hot/hot, hot/warm, "
                                 "hot/cold")
    with pytest.raises(AnsibleFilterError, match=r"^dr_workload_failover: modes.training: 'cold' is not one of"):
        dr_workload_failover(dict(modes={"training": "cold"}, target_workspace=WS))
    assert dr_workload_errors(dict(PAIR, modes={"inference": "hot"})) == [
        "modes.inference: 'hot' is not one of hot/hot, hot/warm, hot/cold"]


def test_other_bad_input():
    with pytest.raises(AnsibleFilterError, match=r"^dr_workload_failover expects a dict, got list$"):
        dr_workload_failover([])
    with pytest.raises(AnsibleFilterError, match=r"^dr_workload_snapshot: source_workspace: 'x' is not the ARM ID"):
        dr_workload_snapshot([], "primary", "x", {})
    with pytest.raises(AnsibleFilterError, match=r"^dr_workload_report expects the plan"):
        dr_workload_report(None, [])
    with pytest.raises(AnsibleFilterError, match=r"^dr_pair_layout: active: 'tertiary' is not one of"):
        dr_pair_layout(PAIR, "tertiary")


def test_good_input_passes_through():
    plan = dr_workload_failover(dict(modes={}, target_workspace=WS, snapshot=None, target_endpoints=[]))
    assert plan["source"] == "none" and plan["modes"] == {"inference": "hot/hot", "training": "hot/cold"}
    assert dr_workload_report(plan, [], jobs={"resubmitted": [{"name": "j"}]})["jobs"]["resubmitted"] == ["j"]
    assert dr_pair_layout(PAIR)["active"] == "primary" and dr_pair_layout(PAIR, "secondary")["active"] == "secondary"


def test_the_failover_report_gains_endpoints_and_jobs():
    from ansible_collections.amlops.bcdr.plugins.module_utils.pair import failover_plan as fp

    def report(source):
        base = dict(target="secondary", human=["resubmit in the secondary workspace the jobs that were running in the "
                                               "primary workspace: running jobs do not move"])
        workloads = dict(source=source, notes=["a note"], clusters=[], traffic_manager=[],
                         endpoints=[dict(endpoint="api", action="create", provisioning_state="Failed",
                                         scoring_uri=None, seconds=3.0)],
                         jobs=dict(source="snapshot", resubmitted=["t1"], unchanged=[],
                                   not_resubmitted=[dict(name="t2", reason="compute gpu is missing")]),
                         schedules=dict(source_not_disabled=["nightly"], not_copied=[]))
        return fp.add_workloads(base, workloads, failures=[dict(task="jobs", msg="boom")])

    known = report("snapshot")
    assert known["endpoints"][0]["endpoint"] == "api" and known["jobs"]["resubmitted"] == ["t1"]
    assert known["human"] == [
        "job t2 was not resubmitted in the secondary workspace: compute gpu is missing",
        "endpoint api in the secondary workspace is Failed after the failover (create): check it",
        "schedule nightly is still enabled in the old active workspace (it did not answer): disable it there when it "
        "recovers, or it fires in both regions",
        "a note",
        "workloads: jobs failed (boom): do it by hand",
    ]
    # nothing said what ran in the old active: the line asking a human to resubmit stays
    assert report("none")["human"][0].startswith("resubmit in the secondary workspace")
