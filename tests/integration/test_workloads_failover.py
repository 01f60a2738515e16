"""The workloads follow the failover, per mode (hot/hot, hot/warm, hot/cold), against the emulator with
playbooks/sync.yml and playbooks/failover.yml: a pair whose primary serves an online endpoint (a deployment
at 2 instances, all the traffic), runs a training job and has a schedule, fronted by a Traffic Manager
profile. The sync records the workloads in the secondary's snapshot and keeps its endpoint per mode; the
failover with the primary hanging moves them into the secondary (endpoint created / scaled / traffic only,
clusters raised or created, Traffic Manager statuses, the job resubmitted and the schedule recreated from
the snapshot) without touching the primary, and azure-ai-ml's MLClient reads them there; a second run changes
nothing; the failback moves them back and
returns the secondary to its state at rest. Bad input: a mode that does not exist stops the sync and the
failover before any change. No mocks."""

import json
import os
import sys
import time
from pathlib import Path

import pytest
from azure.mgmt.trafficmanager import TrafficManagerManagementClient
from azure.mgmt.trafficmanager import models as tmm

from emulator.azurite import DEFAULT_BIN
from pair_fixtures import make_pair

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN), reason="Azurite is not installed (npm install)")

REPO = Path(__file__).resolve().parents[2]
SYNC, FAILOVER = str(REPO / "playbooks" / "sync.yml"), str(REPO / "playbooks" / "failover.yml")
IMAGE = "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"
VM = "Standard_DS3_v2"
PAIRS = {"hot/hot": "wlhh", "hot/warm": "wlhw", "hot/cold": "wlhc"}
RESUBMITTED_FROM = "amlops.bcdr.resubmitted_from"


def ws_id(w):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s" % (
        w.ml._config.subscription_id, w.group, w.name)


def location(w):
    return w.ml.workspaces.get(w.group, w.name).location


def add_cluster(w, name, max_nodes):
    w.ml.compute.begin_create_or_update(w.group, w.name, name, {
        "location": location(w), "properties": {"computeType": "AmlCompute", "properties": {
            "vmSize": VM, "scaleSettings": {"maxNodeCount": max_nodes, "minNodeCount": 0}}}}).result()


class World:
    """One pair per mode (its own names: online endpoint names are unique per region)."""

    def __init__(self, emulator, mode, tmp):
        self.mode, self.name = mode, PAIRS[mode]
        pair, ws = make_pair(emulator, self.name)
        self.p, self.s = ws["primary"], ws["secondary"]
        self.endpoint = "score-" + self.name
        self.job = "train-" + self.name
        self.pair = dict(pair, modes={"inference": mode, "training": mode}, standby_instance_count=1,
                         compute_clusters=[dict(name="cpu", vm_size=VM, max_nodes=3, standby_max_nodes=1)],
                         traffic_manager={"endpoints": [self.endpoint]})
        self.tm_group, self.tm_name = "rg-%s-shared" % self.name, "tm-%s-%s" % (self.name, self.endpoint)
        self.tm = emulator.client(TrafficManagerManagementClient, "2022-04-01")
        # what provision and a data scientist made: clusters as the layout has them at rest (the secondary's per
        # the mode), the model and environment, the endpoint serving, a running job, a nightly schedule
        add_cluster(self.p, "cpu", 3)
        if mode != "hot/cold":
            add_cluster(self.s, "cpu", 3 if mode == "hot/hot" else 1)
        self.p.add_model("fraud", "1", {"model.pkl": b"weights " * 64})
        self.p.add_environment("serve", "1", IMAGE)
        ml, group, name = self.p.ml, self.p.group, self.p.name
        ml.online_endpoints.begin_create_or_update(group, name, self.endpoint, {
            "location": "eastus", "properties": {"authMode": "Key"}}).result()
        ml.online_deployments.begin_create_or_update(group, name, self.endpoint, "blue", {
            "location": "eastus", "sku": {"name": "Default", "capacity": 2}, "properties": {
                "endpointComputeType": "Managed", "instanceType": VM,
                "model": ws_id(self.p) + "/models/fraud/versions/1",
                "environmentId": ws_id(self.p) + "/environments/serve/versions/1"}}).result()
        ml.online_endpoints.begin_create_or_update(group, name, self.endpoint, {
            "location": "eastus", "properties": {"authMode": "Key", "traffic": {"blue": 100}}}).result()
        job = {"jobType": "Command", "command": "python train.py", "experimentName": "fraud",
               "computeId": ws_id(self.p) + "/computes/cpu",
               "environmentId": ws_id(self.p) + "/environments/serve/versions/1"}
        ml.jobs.create_or_update(group, name, self.job, {"properties": dict(job)})  # the SDK consumes the dict
        ml.schedules.begin_create_or_update(group, name, "nightly", {"properties": {
            "isEnabled": True, "trigger": {"triggerType": "Cron", "expression": "0 2 * * *"},
            "action": {"actionType": "CreateJob", "jobDefinition": dict(job)}}}).result()
        statuses = {"primary": "Enabled", "secondary": "Enabled" if mode == "hot/hot" else "Disabled"}
        self.tm.profiles.create_or_update(self.tm_group, self.tm_name, tmm.Profile(
            location="global", traffic_routing_method="Priority",
            dns_config=tmm.DnsConfig(relative_name=self.tm_name, ttl=30),
            monitor_config=tmm.MonitorConfig(protocol="HTTPS", port=443, path="/"),
            endpoints=[tmm.Endpoint(name=role, type="Microsoft.Network/trafficManagerProfiles/externalEndpoints",
                                    target="%s.%s.inference.ml.azure.com" % (self.endpoint, region),
                                    priority=i + 1, endpoint_status=statuses[role])
                       for i, (role, region) in enumerate((("primary", "eastus"), ("secondary", "westus")))]))
        (tmp / "reports").mkdir()
        local = dict(ansible_connection="local", ansible_python_interpreter=sys.executable)
        self.host_vars = dict(bcdr_pair=self.pair, failover_report_dir=str(tmp / "reports"), failover_timeout=2,
                              failover_retries=1, failover_registry_timeout=6, sync_assets=["models", "environments"])
        self.inventory = {"dr_pairs": {"hosts": {self.name: self.host_vars}, "vars": local}}
        self.reports = tmp / "reports"

    # ---- reading both sides ----------------------------------------------------------------------
    def endpoints(self, w):
        """{endpoint: (traffic, {deployment: instance count})}."""
        out = {}
        for ep in w.ml.online_endpoints.list(w.group, w.name):
            deps = {d.name: d.sku.capacity for d in w.ml.online_deployments.list(w.group, w.name, ep.name)}
            out[ep.name] = (dict(ep.properties.traffic or {}), deps)
        return out

    def cluster_max(self, w):
        return {c.name: c.properties.properties.scale_settings.max_node_count
                for c in w.ml.compute.list(w.group, w.name)}

    def jobs(self, w):
        return {j.name: (j.properties.status, (j.properties.properties or {}).get(RESUBMITTED_FROM))
                for j in w.ml.jobs.list(w.group, w.name, list_view_type="All")}

    def schedules(self, w):
        return {s.name: s.properties.is_enabled for s in w.ml.schedules.list(w.group, w.name, list_view_type="All")}

    def tm_statuses(self):
        profile = self.tm.profiles.get(self.tm_group, self.tm_name)
        return {e.name: e.endpoint_status for e in profile.endpoints}

    def snapshot(self, w):
        blob = w.blobs.get_blob_client(w.container, "amlops-bcdr/state/snapshots/workloads.json")
        return json.loads(blob.download_blob().readall())

    def last_report(self):
        return json.loads(sorted(self.reports.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)[-1].read_text())


def mlclient_reads(emulator, w):
    """azure-ai-ml's MLClient on the secondary (the primary hangs) reads the endpoint, its deployment and the
    resubmitted job as a data scientist would after the failover."""
    from emulator.mlclient import ml_client, patched_environ

    with patched_environ(emulator):
        client = ml_client(emulator, w.s.group, w.s.name)
        endpoint = client.online_endpoints.get(w.endpoint)
        assert endpoint.traffic == {"blue": 100} and endpoint.provisioning_state == "Succeeded"
        assert endpoint.scoring_uri == "https://%s.westus.inference.ml.azure.com/score" % w.endpoint
        blue = client.online_deployments.get("blue", w.endpoint)
        assert blue.instance_count == 2 and blue.instance_type == VM
        # the secondary's own copy of the model (the sync copied it), not the primary's
        assert blue.model.lower() == (ws_id(w.s) + "/models/fraud/versions/1").lower(), blue.model
        job = client.jobs.get(w.job)
        assert job.status == "Running" and job.compute == "cpu"
        assert job.properties[RESUBMITTED_FROM].lower() == (ws_id(w.p) + "/jobs/" + w.job).lower()


def timed(run_playbook, label, *args, **kwargs):
    started = time.monotonic()
    run = run_playbook(*args, **kwargs)
    print("%s: %.1fs" % (label, time.monotonic() - started))
    return run


def changed_tasks(run):
    return [t["task"] for t in run.tasks if t["status"] == "changed" or (t.get("result") or {}).get("changed")]


@pytest.mark.parametrize("mode", list(PAIRS))
def test_workloads_follow_the_failover_and_the_failback(emulator, run_playbook, tmp_path, mode):
    w = World(emulator, mode, tmp_path)
    serving = {w.endpoint: ({"blue": 100}, {"blue": 2})}
    assert w.endpoints(w.p) == serving

    # ---- sync: the snapshot in the secondary, its endpoint per mode -----------------------------
    sync = timed(run_playbook, "sync", SYNC, inventory=w.inventory)
    assert sync.rc == 0, sync
    summary = sync.task("amlops.bcdr.sync : Sync summary")["result"]["msg"]
    assert summary["assets"]["workloads"]["failed"] == 0, summary
    at_rest = {"hot/hot": serving, "hot/warm": {w.endpoint: ({}, {"blue": 1})}, "hot/cold": {}}[mode]
    assert w.endpoints(w.s) == at_rest
    snap = w.snapshot(w.s)
    assert (snap["source"], snap["modes"]["inference"]) == ("primary", mode)
    assert [(e["name"], e["traffic"], [d["instance_count"] for d in e["deployments"]]) for e in snap["endpoints"]] == [
        (w.endpoint, {"blue": 100}, [2])]
    assert [j["name"] for j in snap["jobs"]] == [w.job] and [s["name"] for s in snap["schedules"]] == ["nightly"]
    if mode != "hot/cold":  # the standby's endpoint and the snapshot as they are: nothing to write (hot/cold: no
        again = timed(run_playbook, "sync again", SYNC, inventory=w.inventory)     # endpoint, the same snapshot)
        assert again.rc == 0 and again.changed == 0, (changed_tasks(again), again)

    if mode == "hot/cold":   # a drill (--check): the plan of every move, nothing changed anywhere
        before = emulator.state()
        drill = timed(run_playbook, "drill", FAILOVER, {"target": "secondary"}, inventory=w.inventory, check=True)
        assert drill.rc == 0, drill
        assert emulator.state() == before, "the drill changed something"
        report = w.last_report()
        assert report["drill"] is True and [(r["endpoint"], r["action"]) for r in report["endpoints"]] == [
            (w.endpoint, "create")]
        assert [e["status"] for e in report["timeline"] if e["step"] == "workloads"] == ["check"]
        predicted = drill.task("amlops.bcdr.failover : Deployments in the target at the recorded counts "
                               "(started together)")["result"]["results"]
        assert [(r["item"]["name"], r["changed"]) for r in predicted] == [("blue", True)]

    # ---- failover with the primary hanging -------------------------------------------------------
    primary_before = (w.endpoints(w.p), w.cluster_max(w.p), w.jobs(w.p), w.schedules(w.p))
    emulator.set_faults(outages={"eastus": "hang"}, hang_seconds=120)
    try:
        run = timed(run_playbook, "failover", FAILOVER, {"target": "secondary"}, inventory=w.inventory)
        assert run.rc == 0, run
        print("\n".join(run.task("amlops.bcdr.failover : Summary")["result"]["msg"]))
        assert w.endpoints(w.s) == serving
        assert w.cluster_max(w.s) == {"cpu": 3}
        assert w.tm_statuses() == {"primary": "Disabled", "secondary": "Enabled"}
        status, source = w.jobs(w.s)[w.job]
        assert status == "Running" and source.lower() == (ws_id(w.p) + "/jobs/" + w.job).lower()
        assert w.schedules(w.s) == {"nightly": True}
        report = w.last_report()
        [row] = report["endpoints"]
        assert (row["endpoint"], row["action"], row["provisioning_state"]) == (
            w.endpoint, {"hot/hot": "traffic", "hot/warm": "scale", "hot/cold": "create"}[mode], "Succeeded")
        assert row["scoring_uri"] == "https://%s.westus.inference.ml.azure.com/score" % w.endpoint
        assert isinstance(row["seconds"], float) and row["seconds"] > 0
        assert report["jobs"]["resubmitted"] == [w.job] and report["jobs"]["source"] == "snapshot"
        assert report["jobs"]["not_resubmitted"] == []
        assert not any(h.startswith("resubmit in the ") for h in report["human"]), report["human"]
        assert any(h.startswith("schedule nightly is still enabled in the old active") for h in report["human"])
        assert [e["status"] for e in report["timeline"] if e["step"] == "workloads"] == ["ok"]

        mlclient_reads(emulator, w)

        rerun = timed(run_playbook, "failover again", FAILOVER, {"target": "secondary"}, inventory=w.inventory)
        assert rerun.rc == 0 and rerun.changed == 0, rerun
    finally:
        emulator.clear_faults()
    assert (w.endpoints(w.p), w.cluster_max(w.p), w.jobs(w.p), w.schedules(w.p)) == primary_before

    # ---- failback: the primary serves again, the secondary back at rest -----------------------------
    back = timed(run_playbook, "failback", FAILOVER, {"target": "primary"}, inventory=w.inventory)
    assert back.rc == 0, back
    print("\n".join(back.task("amlops.bcdr.failover : Summary")["result"]["msg"]))
    assert w.endpoints(w.p) == serving
    rest_statuses = {"primary": "Enabled", "secondary": "Enabled" if mode == "hot/hot" else "Disabled"}
    assert w.tm_statuses() == rest_statuses
    assert w.schedules(w.p) == {"nightly": True} and w.schedules(w.s) == {"nightly": False}
    report = w.last_report()
    assert report["jobs"]["source"] == "live"
    # the primary's own job (it never stopped) holds the name: left alone, and said why
    assert [j["name"] for j in report["jobs"]["not_resubmitted"]] == [w.job]
    assert w.jobs(w.p)[w.job] == primary_before[2][w.job]
    secondary = w.endpoints(w.s)
    if mode == "hot/cold":   # deleted, not waited for
        assert secondary == {} or all(not deps for _traffic, deps in secondary.values()), secondary
    else:
        assert secondary == at_rest
        assert w.cluster_max(w.s) == {"cpu": 3 if mode == "hot/hot" else 1}


def one_line_failure(run):
    assert run.rc != 0, run
    msg = run.failed[0]["result"]["msg"]
    assert "\n" not in msg.strip(), msg
    return msg


@pytest.mark.parametrize("playbook, extra", [(SYNC, None), (FAILOVER, {"target": "secondary"})])
def test_a_mode_that_does_not_exist_stops_before_any_change(emulator, run_playbook, tmp_path, playbook, extra):
    pair = dict(name="wlbad", primary_region="eastus", secondary_region="westus",
                modes={"inference": "hot/lukewarm", "training": "hot/warm"}, standby_instance_count=0,
                compute_clusters=[dict(name="cpu", vm_size=VM, max_nodes=2, standby_max_nodes=3)])
    local = dict(ansible_connection="local", ansible_python_interpreter=sys.executable)
    inventory = {"dr_pairs": {"hosts": {"wlbad": dict(bcdr_pair=pair, failover_report_dir=str(tmp_path))},
                              "vars": local}}
    before = emulator.state()
    run = run_playbook(playbook, extra, inventory=inventory)
    msg = one_line_failure(run)
    assert "modes.inference: 'hot/lukewarm' is not one of hot/hot, hot/warm, hot/cold" in msg, msg
    assert "standby_instance_count: must be a whole number of at least 1" in msg, msg
    assert "compute_clusters[0].standby_max_nodes: 3 is more than max_nodes (2)" in msg, msg
    assert emulator.state() == before
    assert list(tmp_path.glob("*.json")) == []    # the failover wrote no report: it stopped at its input check
