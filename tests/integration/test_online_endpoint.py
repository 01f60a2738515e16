"""aml_online_endpoint, aml_online_deployment and aml_online_endpoint_info against the emulator, in a workspace
of a seeded pair with a registered model version and environment: check mode (nothing changed, the result
predicted) -> create -> rerun without change, a scale predicted exactly then applied alone, traffic (an unknown
deployment refused before any write), the info listing, bad input (a missing model or environment, a fixed
instance_type, a bad reference: one line naming the option, the emulator's state unchanged), a wait bounded by
wait_timeout, deletion, and azure-ai-ml's MLClient reading what the modules made."""

import copy
import time

import pytest

from emulator.mlclient import ml_client, patched_environ
from pair_fixtures import make_pair

ENDPOINT = "oe-score"
DEPLOYMENT = "blue"
VM = "Standard_DS3_v2"


def one_line_failure(run):
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert "\n" not in msg.strip(), "the error should be one line: %r" % msg
    assert "Traceback" not in msg
    return msg


def online_in(state, workspace):
    marker = "/workspaces/%s/onlineendpoints/" % workspace.lower()
    return {rid: res for rid, res in state.items() if marker in rid.lower()}


def settled(state):
    """The emulator's state without ARM's modification stamps (a rerun must not move anything else)."""
    out = copy.deepcopy(state)
    for res in out.values():
        res.pop("systemData", None)
    return out


@pytest.fixture(scope="module")
def ws(emulator):
    """mlw-oe-eastus with model fraud:1 and fraud:2 and environment serve:1 registered."""
    _pair, sides = make_pair(emulator, "oe")
    primary = sides["primary"]
    primary.add_model("fraud", "1", {"model.pkl": b"weights-1"})
    primary.add_model("fraud", "2", {"model.pkl": b"weights-2"})
    primary.add_environment("serve", "1", "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest")
    return primary


def ep_args(ws, **kw):
    args = dict(name=ENDPOINT, workspace=ws.name, resource_group=ws.group, tags={"amlops.bcdr.pair": "oe"})
    args.update(kw)
    return {k: v for k, v in args.items() if v is not None}


def dep_args(ws, **kw):
    args = dict(name=DEPLOYMENT, endpoint=ENDPOINT, workspace=ws.name, resource_group=ws.group, model="fraud:1",
                environment="serve:1", instance_type=VM, instance_count=1, environment_variables={"LOG_LEVEL": "info"})
    args.update(kw)
    return {k: v for k, v in args.items() if v is not None}


def endpoint_run(run_playbook, args, **kw):
    return run_playbook("online_endpoint_one.yml", {"oe": args}, **kw)


def deployment_run(run_playbook, args, **kw):
    return run_playbook("online_deployment_one.yml", {"od": args}, **kw)


def result(run, name):
    return run.task(name)["result"]


@pytest.fixture(scope="module")
def blue(run_playbook, ws):
    """The endpoint and its blue deployment as the first test makes them; each test that changes them puts
    them back (one instance), so that any test can run alone."""
    assert endpoint_run(run_playbook, ep_args(ws)).rc == 0
    assert deployment_run(run_playbook, dep_args(ws)).rc == 0


def test_create_check_then_apply_then_no_change(emulator, run_playbook, ws):
    before = emulator.state()
    assert not online_in(before, ws.name)

    check = endpoint_run(run_playbook, ep_args(ws), check=True, diff=True)
    assert check.rc == 0, check
    assert check.changed == 1
    assert emulator.state() == before, "check mode changed the emulator's state"
    predicted = result(check, "Endpoint")["endpoint"]

    apply = endpoint_run(run_playbook, ep_args(ws))
    assert apply.rc == 0, apply
    assert apply.changed == 1
    created = result(apply, "Endpoint")["endpoint"]
    for field in ("id", "name", "location", "auth_mode", "traffic", "tags", "description", "workspace"):
        assert str(predicted[field]).lower() == str(created[field]).lower(), field
    assert created["location"] == "eastus" and created["auth_mode"] == "key"
    assert created["scoring_uri"] == "https://%s.eastus.inference.ml.azure.com/score" % ENDPOINT
    assert created["provisioning_state"] == "Succeeded"
    assert endpoint_run(run_playbook, ep_args(ws)).changed == 0

    # the deployment: predicted exactly by check mode, then made with the workspace's own ARM IDs
    before = emulator.state()
    check = deployment_run(run_playbook, dep_args(ws), check=True, diff=True)
    assert check.rc == 0, check
    assert check.changed == 1
    assert emulator.state() == before
    predicted = result(check, "Deployment")["deployment"]
    apply = deployment_run(run_playbook, dep_args(ws))
    assert apply.rc == 0, apply
    assert apply.changed == 1
    made = result(apply, "Deployment")["deployment"]
    for field in ("id", "name", "endpoint", "location", "model", "environment", "instance_type", "instance_count",
                  "environment_variables", "tags", "description"):
        assert str(predicted[field]).lower() == str(made[field]).lower(), field
    assert made["model"].endswith("/workspaces/%s/models/fraud/versions/1" % ws.name)
    assert made["environment"].endswith("/workspaces/%s/environments/serve/versions/1" % ws.name)
    assert made["provisioning_state"] == "Succeeded"
    stored = online_in(emulator.state(), ws.name)[made["id"].lower()]
    assert stored["sku"]["capacity"] == 1
    assert stored["properties"]["model"] == made["model"]

    settled_before = settled(emulator.state())
    again = deployment_run(run_playbook, dep_args(ws))
    assert again.rc == 0 and again.changed == 0, again
    # the same references spelled as ARM IDs (with azureml:) are no change either
    spelled = dep_args(ws, model="azureml:" + made["model"], environment=made["environment"])
    assert deployment_run(run_playbook, spelled).changed == 0
    assert settled(emulator.state()) == settled_before


def test_scale_predicted_then_applied_alone(emulator, run_playbook, ws, blue):
    more = dep_args(ws, instance_count=3)
    before = emulator.state()
    check = deployment_run(run_playbook, more, check=True, diff=True)
    assert check.rc == 0, check
    assert result(check, "Deployment")["changes"] == {"instance_count": [1, 3]}
    diff = result(check, "Deployment")["diff"]
    assert (diff["before"]["instance_count"], diff["after"]["instance_count"]) == (1, 3)
    assert emulator.state() == before

    apply = deployment_run(run_playbook, more)
    assert apply.rc == 0, apply
    assert result(apply, "Deployment")["changes"] == {"instance_count": [1, 3]}
    assert result(apply, "Deployment")["deployment"]["instance_count"] == 3
    after = emulator.state()
    rid = result(apply, "Deployment")["deployment"]["id"].lower()
    old, new = copy.deepcopy(before[rid]), copy.deepcopy(after[rid])
    assert (old["sku"]["capacity"], new["sku"]["capacity"]) == (1, 3)
    for res in (old, new):
        res["sku"].pop("capacity")
        res.pop("systemData", None)
    assert old == new, "a scale changed more than the instance count"
    assert deployment_run(run_playbook, more).changed == 0
    # unset instance_count keeps the count (a rerun of a definition without it does not scale back)
    assert deployment_run(run_playbook, dep_args(ws, instance_count=None)).changed == 0
    assert deployment_run(run_playbook, dep_args(ws)).changed == 1  # back to 1 for the other tests


def test_traffic_set_kept_and_unknown_deployment_refused(emulator, run_playbook, ws, blue):
    before = emulator.state()
    check = endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 100}), check=True, diff=True)
    assert check.rc == 0 and check.changed == 1, check
    assert result(check, "Endpoint")["changes"] == {"traffic": [{}, {DEPLOYMENT: 100}]}
    assert emulator.state() == before
    run = endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 100}), diff=True)
    assert run.rc == 0, run
    diff = result(run, "Endpoint")["diff"]
    assert (diff["before"]["traffic"], diff["after"]["traffic"]) == ({}, {DEPLOYMENT: 100})
    assert result(run, "Endpoint")["endpoint"]["traffic"] == {DEPLOYMENT: 100}
    assert endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 100})).changed == 0
    assert endpoint_run(run_playbook, ep_args(ws)).changed == 0  # unset traffic keeps the split
    stored = [r for r in online_in(emulator.state(), ws.name).values() if r["name"] == ENDPOINT][0]
    assert stored["properties"]["traffic"] == {DEPLOYMENT: 100}

    before = emulator.state()
    msg = one_line_failure(endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 50, "green": 50})))
    assert msg.startswith("traffic: endpoint '%s' has no deployment 'green' (it has: blue)" % ENDPOINT), msg
    msg = one_line_failure(endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 60})))
    assert msg.startswith("traffic: the shares must sum to 100"), msg
    assert emulator.state() == before
    assert endpoint_run(run_playbook, ep_args(ws, traffic={})).changed == 1  # back to no traffic


def test_check_mode_with_the_endpoint_only_planned(emulator, run_playbook, ws, blue):
    """--check of a failover that creates an endpoint and its deployment (hot/cold): the deployment is
    predicted under the planned endpoint; its model is still checked."""
    args = dep_args(ws, endpoint="oe-planned")
    before = emulator.state()
    check = deployment_run(run_playbook, args, check=True)
    assert check.rc == 0 and check.changed == 1, check
    predicted = result(check, "Deployment")["deployment"]
    assert predicted["id"].endswith("/onlineEndpoints/oe-planned/deployments/%s" % DEPLOYMENT)
    assert (predicted["location"], predicted["provisioning_state"]) == ("eastus", None)
    msg = one_line_failure(deployment_run(run_playbook, dict(args, model="fraud:9"), check=True))
    assert msg.startswith("model: version '9' of model 'fraud' was not found"), msg
    # the traffic of the planned endpoint names the planned deployment: predicted, with a warning
    traffic = endpoint_run(run_playbook, ep_args(ws, name="oe-planned", traffic={DEPLOYMENT: 100}), check=True)
    assert traffic.rc == 0 and traffic.changed == 1, traffic
    assert result(traffic, "Endpoint")["endpoint"]["traffic"] == {DEPLOYMENT: 100}
    assert any("check mode takes them as planned" in w for w in result(traffic, "Endpoint")["warnings"])
    assert emulator.state() == before
    # a real run refuses the same split before any change
    msg = one_line_failure(endpoint_run(run_playbook, ep_args(ws, name="oe-planned", traffic={DEPLOYMENT: 100})))
    assert msg.startswith("traffic: endpoint 'oe-planned' has no deployment 'blue' (it has: none)"), msg
    assert emulator.state() == before


def test_info_lists_endpoints_with_deployments(emulator, run_playbook, ws, blue):
    run = run_playbook("online_endpoint_info.yml", {"oi": dict(workspace=ws.name, resource_group=ws.group)})
    assert run.rc == 0, run
    assert run.changed == 0
    [endpoint] = result(run, "Info")["endpoints"]
    assert endpoint["name"] == ENDPOINT and endpoint["scoring_uri"].endswith("/score")
    [deployment] = endpoint["deployments"]
    assert (deployment["name"], deployment["instance_type"], deployment["endpoint"]) == (DEPLOYMENT, VM, ENDPOINT)
    assert deployment["model"].endswith("/models/fraud/versions/1")
    place = dict(workspace=ws.name, resource_group=ws.group)
    one = run_playbook("online_endpoint_info.yml", {"oi": dict(place, name=ENDPOINT)})
    assert result(one, "Info")["endpoints"] == [endpoint]
    none = run_playbook("online_endpoint_info.yml", {"oi": dict(place, name="oe-nothing")})
    assert result(none, "Info")["endpoints"] == []
    msg = one_line_failure(run_playbook("online_endpoint_info.yml", {"oi": dict(place, workspace="mlw-oe-nowhere")}))
    assert msg.startswith("workspace: 'mlw-oe-nowhere' was not found"), msg
    assert "primaryKey" not in run.stdout and "primary_key" not in str(result(run, "Info"))


BAD_DEPLOYMENT = {
    "model missing in the workspace": (dict(model="fraud:9"),
                                       "model: version '9' of model 'fraud' was not found in workspace 'mlw-oe-eastus'"),
    "environment missing in the workspace": (dict(environment="nope:1"),
                                             "environment: version '1' of environment 'nope' was not found"),
    "instance_type change": (dict(instance_type="Standard_F4s_v2", instance_count=2),
                             "instance_type: deployment 'blue' runs on Standard_DS3_v2"),
    "model not a reference": (dict(model="fraud"), "model: 'fraud' is not a model reference"),
    "environment given a model": (dict(environment="azureml://registries/r/models/m/versions/1"),
                                  "environment: 'azureml://registries/r/models/m/versions/1' names models"),
    "instance count 0": (dict(instance_count=0), "instance_count: must be a whole number of at least 1"),
    "endpoint missing": (dict(endpoint="oe-nowhere"), "endpoint: 'oe-nowhere' was not found in workspace"),
    "new deployment without instance_type": (dict(name="green", instance_type=None), "instance_type: set it"),
    "new deployment, missing model": (dict(name="green", model="fraud:9"), "model: version '9' of model 'fraud'"),
}


def test_bad_deployment_input_one_line_nothing_changed(emulator, run_playbook, ws, blue):
    """Every case in one playbook run (a loop that carries on after each failure)."""
    cases = []
    for case in sorted(BAD_DEPLOYMENT):
        args = dict(dep_args(ws), case=case, **BAD_DEPLOYMENT[case][0])
        cases.append({k: v for k, v in args.items() if v is not None})
    before = emulator.state()
    run = run_playbook("online_deployment_cases.yml", {"cases": cases})
    items = result(run, "Deployment cases")["results"]
    assert [i["item"]["case"] for i in items] == sorted(BAD_DEPLOYMENT)
    for item in items:
        expected = BAD_DEPLOYMENT[item["item"]["case"]][1]
        assert item.get("failed"), item
        msg = item["msg"]
        assert "\n" not in msg.strip() and "Traceback" not in msg, msg
        assert msg.startswith(expected) or expected in msg, (item["item"]["case"], msg)
    assert emulator.state() == before


def test_wait_is_bounded_by_wait_timeout(emulator, run_playbook, ws, blue):
    """A deployment slower than wait_timeout: one line naming the option; a rerun (no change) waits for the
    provisioning the first run left running."""
    emulator.set_faults(deployment_seconds=12)
    try:
        args = dep_args(ws, name="slow", wait_timeout=1)
        started = time.monotonic()
        msg = one_line_failure(deployment_run(run_playbook, args))
        assert "timed out after 1s waiting for online deployment slow" in msg and "wait_timeout" in msg, msg
        assert time.monotonic() - started < 30
        again = deployment_run(run_playbook, dict(args, wait_timeout=60))
    finally:
        emulator.clear_faults()
    assert again.rc == 0 and again.changed == 0, again
    assert result(again, "Deployment")["deployment"]["provisioning_state"] == "Succeeded"
    assert deployment_run(run_playbook, dict(args, state="absent")).changed == 1


def test_mlclient_reads_the_endpoint_and_deployment(emulator, run_playbook, ws, blue):
    assert endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 100})).rc == 0
    with patched_environ(emulator):
        client = ml_client(emulator, ws.group, ws.name)
        endpoint = client.online_endpoints.get(ENDPOINT)
        assert endpoint.name == ENDPOINT and endpoint.auth_mode.lower() == "key"
        assert endpoint.traffic == {DEPLOYMENT: 100}
        assert endpoint.scoring_uri == "https://%s.eastus.inference.ml.azure.com/score" % ENDPOINT
        deployment = client.online_deployments.get(DEPLOYMENT, ENDPOINT)
        assert deployment.instance_type == VM and deployment.instance_count == 1
        assert str(deployment.model).endswith("models/fraud/versions/1"), deployment.model
        assert deployment.environment_variables.get("LOG_LEVEL") == "info"
        assert [d.name for d in client.online_deployments.list(ENDPOINT)] == [DEPLOYMENT]


def test_delete_refused_with_traffic_then_deleted(emulator, run_playbook, ws, blue):
    assert endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 100})).rc == 0
    gone = dep_args(ws, state="absent")
    before = emulator.state()
    msg = one_line_failure(deployment_run(run_playbook, gone))
    assert msg.startswith("state: deployment 'blue' still gets 100% of endpoint 'oe-score''s traffic"), msg
    assert emulator.state() == before

    assert endpoint_run(run_playbook, ep_args(ws, traffic={DEPLOYMENT: 0})).changed == 1
    assert deployment_run(run_playbook, gone, check=True).changed == 1
    assert deployment_run(run_playbook, gone).changed == 1
    assert deployment_run(run_playbook, gone).changed == 0
    state = online_in(emulator.state(), ws.name)
    assert not [rid for rid in state if rid.endswith("/deployments/blue")]

    ep_gone = ep_args(ws, state="absent")
    assert endpoint_run(run_playbook, ep_gone, check=True).changed == 1
    assert endpoint_run(run_playbook, ep_gone).changed == 1
    assert not online_in(emulator.state(), ws.name)
    assert endpoint_run(run_playbook, ep_gone).changed == 0
