"""aml_job_info and aml_job_copy against the emulator: the jobs a data scientist left running or queued in the
primary (submitted with azure-ai-ml's MLClient; a pipeline job through the mgmt SDK, as MLClient's pipeline
submission needs an AML-scoped token the emulator does not issue) are resubmitted in the secondary under the same
names with their compute, environment, component and datastore references mapped to the secondary's; a finished
job is not; a job on a compute the secondary lacks is listed with the reason; a job of the same name made in the
secondary is a conflict left alone. Check mode predicts exactly and changes nothing; a rerun changes nothing;
with the primary hanging, the jobs read before (aml_job_info) are resubmitted from the ``jobs`` option without
touching it. MLClient on the secondary reads the resubmitted jobs. No mocks."""

import os
import time

import pytest

from emulator.azurite import DEFAULT_BIN
from pair_fixtures import make_pair

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN), reason="Azurite is not installed (npm install)")
pytest.importorskip("azure.ai.ml")

from azure.ai.ml import Input, Output, command  # noqa: E402
from azure.ai.ml.entities import Environment  # noqa: E402

from emulator.mlclient import ml_client, patched_environ  # noqa: E402

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
RESUBMITTED_FROM = "amlops.bcdr.resubmitted_from"
SOURCE_WS, TARGET_WS = "mlw-jc-eastus", "mlw-jc-westus"


def ws_id(side):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s" % (
        side.ml._config.subscription_id, side.group, side.name)


def add_compute(side, location, name, max_nodes):
    side.ml.compute.begin_create_or_update(side.group, side.name, name, {
        "location": location, "properties": {"computeType": "AmlCompute", "properties": {
            "vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": max_nodes, "minNodeCount": 0}}}}).result()


def add_component(side, name, version):
    side.ml.component_versions.create_or_update(side.group, side.name, name, version, {"properties": {
        "componentSpec": {"name": name, "version": version, "type": "command", "command": "echo ${{inputs.raw}}",
                          "environment": "azureml:%s/environments/sklearn-env/versions/1" % ws_id(side),
                          "inputs": {"raw": {"type": "uri_folder"}}}}})


def submit(client, name, compute, **extra):
    return client.jobs.create_or_update(command(
        name=name, command="python train.py --data ${{inputs.data}}", compute=compute,
        environment="azureml:sklearn-env:1", experiment_name="fraud",
        inputs={"data": Input(type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/data/")},
        outputs={"model": Output(type="uri_folder")}, **extra))


def pipeline_body(side):
    ws = ws_id(side)
    datastore = "azureml://subscriptions/%s/resourcegroups/%s/workspaces/%s/datastores/workspaceblobstore/paths/raw/" % (
        side.ml._config.subscription_id, side.group, side.name)
    return {"properties": {
        "jobType": "Pipeline", "experimentName": "fraud", "settings": {"default_compute": ws + "/computes/cpu"},
        "inputs": {"raw": {"jobInputType": "uri_folder", "uri": datastore}},
        "jobs": {"prep": {"type": "command", "name": "prep", "componentId": "azureml:" + ws + "/components/prep/versions/1",
                          "computeId": ws + "/computes/cpu",
                          "inputs": {"raw": {"job_input_type": "literal", "value": "${{parent.inputs.raw}}"}}}}}}


@pytest.fixture(scope="module")
def world(emulator):
    _pair, sides = make_pair(emulator, "jc")
    src, dst = sides["primary"], sides["secondary"]
    assert (src.name, dst.name) == (SOURCE_WS, TARGET_WS)
    # what provision and the sync put in both: computes (the secondary's cluster at rest: 0 nodes), the
    # environment, the component; the GPU cluster only in the primary
    add_compute(src, "eastus", "cpu", 2)
    add_compute(src, "eastus", "standby", 0)
    add_compute(src, "eastus", "gpu", 2)
    add_compute(dst, "westus", "cpu", 0)
    add_compute(dst, "westus", "standby", 1)
    with patched_environ(emulator):
        source, target = ml_client(emulator, src.group, src.name), ml_client(emulator, dst.group, dst.name)
        for client in (source, target):
            client.environments.create_or_update(Environment(name="sklearn-env", version="1", image=IMAGE))
        for side in (src, dst):
            add_component(side, "prep", "1")
        submit(source, "train-running", "cpu")
        submit(source, "train-queued", "standby")
        submit(source, "gpu-job", "gpu")
        submit(source, "clash", "cpu")
        submit(target, "clash", "cpu", description="made in the secondary")
        submit(source, "done", "cpu")
        source.jobs.begin_cancel("done").result()
    src.ml.jobs.create_or_update(src.group, src.name, "pipe-running", pipeline_body(src))
    return dict(src=src, dst=dst)


def sync_vars(world, **extra):
    return {"sync": dict(source_workspace=world["src"].name, source_resource_group=world["src"].group,
                         target_workspace=world["dst"].name, target_resource_group=world["dst"].group, **extra)}


def result(run):
    return run.task("Copy")["result"]


def names(items):
    return sorted(i["name"] for i in items)


def jobs_of(side):
    return dict((j.name, j.serialize(keep_readonly=True)["properties"]) for j in
                side.ml.jobs.list(side.group, side.name, list_view_type="All"))


def test_check_mode_apply_mlclient_and_rerun(emulator, run_playbook, world):
    src, dst = world["src"], world["dst"]
    assert jobs_of(src)["train-queued"]["status"] == "Queued" and jobs_of(src)["done"]["status"] == "Canceled"
    source_before = jobs_of(src)
    state = emulator.state()
    check = run_playbook("job_copy.yml", sync_vars(world), check=True, diff=True)
    assert check.rc == 0, check
    predicted = result(check)
    assert names(predicted["resubmitted"]) == ["pipe-running", "train-queued", "train-running"]
    assert [(i["name"], i["reason"]) for i in predicted["not_resubmitted"]] == [
        ("gpu-job", "compute 'gpu' does not exist in %s" % TARGET_WS)]
    assert names(predicted["conflicts"]) == ["clash"]
    assert "done" not in [i["name"] for i in predicted["jobs"]]        # finished: not looked at
    assert predicted["diff"]["after"] == "clash\npipe-running\ntrain-queued\ntrain-running\n"
    assert check.changed == 1
    assert emulator.state() == state, "check mode changed something"

    run = run_playbook("job_copy.yml", sync_vars(world))
    assert run.rc == 0, run
    done = result(run)
    assert done["plan"] == predicted["plan"]
    assert done["summary"] == {"resubmit": 3, "not_resubmitted": 1, "conflict": 1, "failed": 0}
    by_name = dict((i["name"], i) for i in done["resubmitted"])
    # the secondary's cpu cluster is at 0 nodes: the job waits there until the failover scales it
    assert by_name["train-running"]["status"] == "Queued" and by_name["train-queued"]["status"] == "Running"
    assert by_name["train-running"]["source_id"] == ws_id(src) + "/jobs/train-running"
    assert by_name["train-running"]["target_id"].lower() == (ws_id(dst) + "/jobs/train-running").lower()

    target = jobs_of(dst)
    assert set(target) == {"train-running", "train-queued", "pipe-running", "clash"}
    for name in ("train-running", "train-queued", "pipe-running"):
        assert target[name]["properties"][RESUBMITTED_FROM] == ws_id(src) + "/jobs/" + name
        rest = dict((k, v) for k, v in target[name].items() if k != "properties")   # the record names the source
        assert SOURCE_WS not in repr(rest), rest
    assert target["train-running"]["computeId"] == ws_id(dst) + "/computes/cpu"
    assert target["train-running"]["environmentId"].endswith(ws_id(dst) + "/environments/sklearn-env/versions/1")
    assert target["train-running"]["command"] == source_before["train-running"]["command"]
    assert target["train-running"]["inputs"] == source_before["train-running"]["inputs"]   # a relative URI
    pipe = target["pipe-running"]
    assert pipe["settings"]["default_compute"] == ws_id(dst) + "/computes/cpu"
    assert pipe["jobs"]["prep"]["componentId"] == "azureml:" + ws_id(dst) + "/components/prep/versions/1"
    assert pipe["jobs"]["prep"]["computeId"] == ws_id(dst) + "/computes/cpu"
    assert "/workspaces/%s/datastores/workspaceblobstore/paths/raw/" % TARGET_WS in pipe["inputs"]["raw"]["uri"]
    assert RESUBMITTED_FROM not in target["clash"]["properties"]                      # the conflict left alone
    assert target["clash"]["description"] == "made in the secondary"
    assert jobs_of(src) == source_before, "the source jobs changed"

    with patched_environ(emulator):
        client = ml_client(emulator, dst.group, dst.name)
        job = client.jobs.get("train-running")
        assert job.status == "Queued" and job.experiment_name == "fraud"
        assert job.properties[RESUBMITTED_FROM] == ws_id(src) + "/jobs/train-running"
        assert job.compute == "cpu" or str(job.compute).endswith("/workspaces/%s/computes/cpu" % TARGET_WS), job.compute
        assert "sklearn-env" in str(job.environment) and SOURCE_WS not in str(job.environment)
        assert job.inputs["data"].path == "azureml://datastores/workspaceblobstore/paths/data/"
        assert {"train-running", "train-queued", "pipe-running"} <= set(j.name for j in client.jobs.list())

    again = run_playbook("job_copy.yml", sync_vars(world))
    assert again.rc == 0 and again.changed == 0, again
    assert names(result(again)["unchanged"]) == ["pipe-running", "train-queued", "train-running"]
    assert names(result(again)["not_resubmitted"]) == ["gpu-job"] and result(again)["resubmitted"] == []


def test_bad_input_is_one_line_and_changes_nothing(emulator, run_playbook, world):
    state = emulator.state()
    run = run_playbook("job_copy.yml", sync_vars(world, statuses=["Runing"], compute_map={"gpu": "no such"},
                                                 jobs=[{"name": "x"}]))
    assert run.rc != 0
    msg = run.failed[0]["result"]["msg"]
    assert msg.startswith("statuses: 'Runing' is not a job status") and "compute_map.gpu: 'no such'" in msg, msg
    assert "jobs[0].id: the source job's ARM ID is required" in msg and "\n" not in msg
    assert emulator.state() == state


def test_jobs_given_while_the_source_hangs(emulator, run_playbook, world):
    src, dst = world["src"], world["dst"]
    with patched_environ(emulator):
        submit(ml_client(emulator, src.group, src.name), "late", "gpu")
    info = run_playbook("job_info.yml", {"info": dict(workspace=src.name, resource_group=src.group,
                                                      statuses=["Running", "Queued"])})
    assert info.rc == 0, info
    jobs = info.task("Info")["result"]["jobs"]
    assert [j["name"] for j in jobs] == ["clash", "gpu-job", "late", "pipe-running", "train-queued", "train-running"]
    late = [j for j in jobs if j["name"] == "late"][0]
    assert (late["job_type"], late["status"], late["experiment_name"]) == ("Command", "Running", "fraud")
    assert late["compute_id"] == ws_id(src) + "/computes/gpu" and late["definition"]["computeId"] == late["compute_id"]
    one = run_playbook("job_info.yml", {"info": dict(workspace=src.name, resource_group=src.group, name="done")})
    assert [(j["name"], j["status"]) for j in one.task("Info")["result"]["jobs"]] == [("done", "Canceled")]

    # the sync, before the outage: the jobs not finished recorded in the secondary
    snapshot = run_playbook("job_copy_snapshot.yml", dict(sync_vars(world), snap=dict(
        name="jc-workloads", write=True, statuses=["Running", "Queued"])))
    assert snapshot.rc == 0, snapshot

    emulator.set_faults(outages={"eastus": "hang"}, hang_seconds=120)
    try:
        started = time.monotonic()
        blind = run_playbook("job_copy.yml", sync_vars(world, timeout=3, retries=0))
        assert blind.rc != 0, blind
        msg = blind.failed[0]["result"]["msg"]
        assert "source workspace '%s'" % SOURCE_WS in msg and "\n" not in msg, msg
        assert time.monotonic() - started < 60

        # from the jobs the sync recorded in the secondary; the GPU jobs go to the secondary's cpu cluster
        given = dict(sync_vars(world, compute_map={"gpu": "cpu"}, timeout=3, retries=0), snap=dict(name="jc-workloads"))
        run = run_playbook("job_copy_snapshot.yml", given)
        assert run.rc == 0, run
        done = result(run)
        assert names(done["resubmitted"]) == ["gpu-job", "late"]
        assert names(done["unchanged"]) == ["pipe-running", "train-queued", "train-running"]
        assert names(done["conflicts"]) == ["clash"] and done["not_resubmitted"] == []
        assert jobs_of(dst)["late"]["computeId"] == ws_id(dst) + "/computes/cpu"
        assert jobs_of(dst)["late"]["properties"][RESUBMITTED_FROM] == ws_id(src) + "/jobs/late"
        assert jobs_of(dst)["late"]["command"] == late["definition"]["command"]   # ${{inputs.data}} as it was
        again = run_playbook("job_copy_snapshot.yml", given)
        assert again.rc == 0 and again.changed == 0, again
    finally:
        emulator.clear_faults()
