"""job_plan: aml_job_copy's input checks, the reference mapping (shared with the schedule copy) over command and
pipeline job bodies, the references a mapped body needs in the target, and the per-job decision. Pure, no SDK."""

import copy

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import job_plan as jp

SUB = "00000000-0000-0000-0000-000000000001"
SRC = "/subscriptions/%s/resourceGroups/rg-a/providers/Microsoft.MachineLearningServices/workspaces/mlw-a" % SUB
TGT = "/subscriptions/%s/resourceGroups/rg-b/providers/Microsoft.MachineLearningServices/workspaces/mlw-b" % SUB
OTHER = "/subscriptions/%s/resourceGroups/rg-c/providers/Microsoft.MachineLearningServices/workspaces/mlw-c" % SUB
GOOD = dict(source_workspace="mlw-a", source_resource_group="rg-a", target_workspace="mlw-b",
            target_resource_group="rg-b", jobs=None, statuses=list(jp.ACTIVE_STATUSES), compute_map=None,
            parallelism=4)


def command_job():
    """A command job's REST properties as azure-ai-ml submits them (abridged)."""
    return {
        "jobType": "Command",
        "status": "Running",
        "command": "python train.py --data ${{inputs.data}}",
        "computeId": SRC + "/computes/gpu-cluster",
        "environmentId": "azureml:" + SRC + "/environments/sklearn-env/versions/3",
        "codeId": "azureml:" + SRC.lower() + "/codes/0b7c/versions/1",   # ARM IDs are case-insensitive
        "inputs": {
            "data": {"jobInputType": "uri_folder",
                     "uri": "azureml://subscriptions/%s/resourcegroups/rg-a/workspaces/mlw-a/datastores/training/paths/d/"
                     % SUB},
            "relative": {"jobInputType": "uri_file", "uri": "azureml://datastores/workspaceblobstore/paths/x.csv"},
            "registry_model": {"jobInputType": "mlflow_model",
                               "uri": "azureml://registries/azureml/models/phi/versions/2"},
            "asset": {"jobInputType": "uri_folder", "uri": "azureml:" + SRC + "/data/sales/versions/4"},
            "lr": {"jobInputType": "literal", "value": "0.1"},
        },
        "outputs": {"model": {"jobOutputType": "uri_folder",
                              "uri": "azureml://subscriptions/%s/resourcegroups/rg-a/workspaces/mlw-a/datastores/"
                                     "workspaceblobstore/paths/out/" % SUB}},
        "resources": {"instanceCount": 1},
        "properties": {"_azureml.ComputeTargetType": "amlctrain"},
        "services": {"Studio": {"jobServiceType": "Studio", "endpoint": "https://ml.azure.com/runs/x"}},
        "tags": {"team": "fraud"},
    }


def pipeline_job():
    return {
        "jobType": "Pipeline",
        "status": "Queued",
        "settings": {"default_compute": SRC + "/computes/cpu-cluster", "_source": "DSL"},
        "inputs": {"raw": {"jobInputType": "uri_folder", "uri": "azureml:sales:4"}},
        "jobs": {
            "prep": {"type": "command", "componentId": "azureml:prep:1",
                     "computeId": "azureml:" + SRC + "/computes/cpu-cluster",
                     "inputs": {"raw": {"job_input_type": "literal", "value": "${{parent.inputs.raw}}"}}},
            "train": {"type": "command", "componentId": SRC + "/components/train/versions/2",
                      "compute": "${{parent.inputs.compute}}",
                      "environment": "azureml:sklearn-env:3"},
            "score": {"type": "command", "componentId": "azureml://registries/shared/components/score/versions/1",
                      "computeId": "gpu-cluster"},
            "serverless": {"type": "command", "componentId": OTHER + "/components/x/versions/1",
                           "computeId": "serverless"},
        },
    }


# ---- input ---------------------------------------------------------------------------------------
def test_good_input_has_no_errors():
    assert jp.input_errors(GOOD) == []
    assert jp.input_errors(dict(GOOD, jobs=[dict(name="j", id=SRC + "/jobs/j", status="Running",
                                                 definition=command_job())], compute_map={"gpu": "gpu-2"})) == []


def test_bad_input_names_each_option():
    errors = jp.input_errors(dict(GOOD, target_workspace="MLW-A", target_resource_group="rg-a", statuses=["Runing"],
                                  compute_map={"gpu": "bad name"}, parallelism=0,
                                  jobs=[dict(name="j", id="nope"), "x", dict(name="J", id=SRC + "/jobs/J", status="Queued",
                                                                             definition=dict(jobType="Command"))]))
    assert errors == [
        "target_workspace: 'MLW-A' in 'rg-a' is the source workspace; a resubmission needs two workspaces",
        "statuses: 'Runing' is not a job status (one of %s)" % ", ".join(jp.ALL_STATUSES),
        "compute_map.gpu: 'bad name' is not a compute name",
        "jobs[0].id: the source job's ARM ID is required (.../workspaces/<ws>/jobs/<name>)",
        "jobs[0].status: required (a job is resubmitted when its status is one of statuses)",
        "jobs[0].definition: the job's REST properties (with jobType) are required",
        "jobs[1]: must be a job dict (name, id, status, definition), got str",
        "jobs[2].name: job 'J' is listed twice",
        "parallelism: must be a whole number from 1 to 32, got '0'",
    ]
    assert jp.info_errors(dict(statuses=["running", "Done"])) == [
        "statuses: 'Done' is not a job status (one of %s)" % ", ".join(jp.ALL_STATUSES)]


# ---- map_references --------------------------------------------------------------------------------
def test_command_job_references_move_to_the_target():
    body = command_job()
    before = copy.deepcopy(body)
    mapped = jp.map_references(body, SRC, TGT, {"gpu-cluster": "gpu-west"})
    assert body == before  # the source definition is not touched
    assert mapped["computeId"] == TGT + "/computes/gpu-west"
    assert mapped["environmentId"] == "azureml:" + TGT + "/environments/sklearn-env/versions/3"
    assert mapped["codeId"] == "azureml:" + TGT + "/codes/0b7c/versions/1"
    assert mapped["inputs"]["data"]["uri"] == (
        "azureml://subscriptions/%s/resourcegroups/rg-b/workspaces/mlw-b/datastores/training/paths/d/" % SUB)
    assert mapped["inputs"]["asset"]["uri"] == "azureml:" + TGT + "/data/sales/versions/4"
    assert mapped["outputs"]["model"]["uri"] == (
        "azureml://subscriptions/%s/resourcegroups/rg-b/workspaces/mlw-b/datastores/workspaceblobstore/paths/out/" % SUB)
    # relative to the workspace the job runs in, or not a workspace's: as they were
    for name in ("relative", "registry_model", "lr"):
        assert mapped["inputs"][name] == body["inputs"][name]
    assert mapped["command"] == body["command"]
    assert "mlw-a" not in repr(mapped).lower()


def test_pipeline_child_jobs_and_default_compute_move_to_the_target():
    body = pipeline_job()
    mapped = jp.map_references(body, SRC, TGT, {"gpu-cluster": "gpu-west"})
    assert mapped["settings"] == {"default_compute": TGT + "/computes/cpu-cluster", "_source": "DSL"}
    prep, train, score, serverless = (mapped["jobs"][k] for k in ("prep", "train", "score", "serverless"))
    # a short azureml:<name>:<version> reference becomes the target's ARM ID (the service wants IDs)
    assert prep["componentId"] == TGT + "/components/prep/versions/1"
    assert prep["computeId"] == "azureml:" + TGT + "/computes/cpu-cluster"
    assert prep["inputs"] == body["jobs"]["prep"]["inputs"]
    assert train["componentId"] == TGT + "/components/train/versions/2"
    assert train["compute"] == "${{parent.inputs.compute}}"     # a binding, not a compute name
    assert train["environment"] == TGT + "/environments/sklearn-env/versions/3"
    assert score["componentId"] == body["jobs"]["score"]["componentId"]   # registry: shared by both regions
    assert score["computeId"] == TGT + "/computes/gpu-west"               # a bare compute name, renamed
    assert serverless == body["jobs"]["serverless"]                      # another workspace's ID, "serverless"
    assert mapped["inputs"] == body["inputs"]


def test_map_references_refuses_what_is_not_a_workspace_id():
    with pytest.raises(jp.PlanError, match="not a workspace ARM ID"):
        jp.map_references({}, "mlw-a", TGT)


def test_references_lists_each_target_reference_once():
    mapped = jp.map_references(command_job(), SRC, TGT, {"gpu-cluster": "gpu-west"})
    refs = [(r["kind"], r["name"], r["version"]) for r in jp.references(mapped, TGT)]
    assert refs == [("compute", "gpu-west", None), ("environment", "sklearn-env", "3"), ("code", "0b7c", "1"),
                    ("datastore", "training", None), ("datastore", "workspaceblobstore", None),
                    ("data", "sales", "4")]
    assert jp.references(mapped, TGT)[0]["id"] == TGT + "/computes/gpu-west"
    pipeline = jp.references(jp.map_references(pipeline_job(), SRC, TGT), TGT)
    assert [(r["kind"], r["name"], r["version"]) for r in pipeline] == [
        ("compute", "cpu-cluster", None), ("data", "sales", "4"), ("component", "prep", "1"),
        ("component", "train", "2"), ("environment", "sklearn-env", "3"), ("compute", "gpu-cluster", None)]
    assert jp.describe(pipeline[0]) == "compute 'cpu-cluster'"
    assert jp.describe(pipeline[1]) == "data 'sales:4'"


# ---- the plan ------------------------------------------------------------------------------------
def source(name="train", status="Running", body=None):
    return dict(name=name, id=SRC + "/jobs/" + name, status=status, definition=body or command_job())


def test_selected_filters_by_status_case_insensitively_in_name_order():
    jobs = [source("b", "Queued"), source("a", "running"), source("c", "Completed")]
    assert [j["name"] for j in jp.selected(jobs, jp.ACTIVE_STATUSES)] == ["a", "b"]
    assert [j["name"] for j in jp.selected(jobs, ["completed"])] == ["c"]


def test_plan_job_decisions():
    job = source()
    item = jp.plan_job(job, None, TGT, [])
    assert item == dict(key="job:train", name="train", source_id=SRC + "/jobs/train", source_status="Running",
                        target_id=TGT + "/jobs/train", status=None, action="resubmit",
                        reason="Running in the source, not in the target")

    done = dict(name="train", id=TGT + "/jobs/train", status="Queued",
                properties={jp.RESUBMITTED_FROM: (SRC + "/jobs/train").upper()})
    item = jp.plan_job(job, done, TGT, [])
    assert (item["action"], item["status"]) == ("skip", "Queued")

    other = dict(done, properties={jp.RESUBMITTED_FROM: OTHER + "/jobs/train"})
    assert jp.plan_job(job, other, TGT, [])["action"] == "conflict"
    assert OTHER + "/jobs/train" in jp.plan_job(job, other, TGT, [])["reason"]
    native = dict(done, properties={})
    assert jp.plan_job(job, native, TGT, [])["reason"] == (
        "a job named 'train' already exists in the target and was not resubmitted by this collection; left alone")

    missing = [dict(kind="compute", name="gpu-cluster", version=None), dict(kind="environment", name="env", version="1")]
    item = jp.plan_job(job, None, TGT, missing)
    assert item["action"] == "not_resubmitted"
    assert item["reason"] == "compute 'gpu-cluster' does not exist in mlw-b; environment 'env:1' does not exist in mlw-b"


def test_resubmission_body_drops_what_the_service_sets_and_records_the_source():
    job = source()
    body = jp.resubmission(job, jp.map_references(job["definition"], SRC, TGT))
    assert "status" not in body and "services" not in body
    assert body["properties"] == {"_azureml.ComputeTargetType": "amlctrain", jp.RESUBMITTED_FROM: SRC + "/jobs/train"}
    assert job["definition"]["properties"] == {"_azureml.ComputeTargetType": "amlctrain"}
    kept = jp.resubmission(job, dict(job["definition"], services={
        "jupyter": {"jobServiceType": "JupyterLab"}, "Studio": {"jobServiceType": "Studio"}}))
    assert kept["services"] == {"jupyter": {"jobServiceType": "JupyterLab"}}


def test_workspace_of_a_job_id():
    assert jp.workspace_of(SRC + "/jobs/train") == SRC
    assert jp.workspace_of(SRC + "/JOBS/train/") == SRC
