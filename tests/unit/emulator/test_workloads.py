"""Workloads through the real engine, in process (strict responses, no Azurite): ML online
endpoints and deployments (scoring URIs, keys, traffic rules, references, scaling, deployment
time), jobs (status, references, cancel, list filters), schedules (triggers, isEnabled), Traffic
Manager profiles and endpoints; and the recorded traffic of all of it through oav."""
import json
import os
import time
import uuid

import pytest

from emulator import oav_check
from emulator.providers import jobs as jobs_provider
from emulator.server import Emulator

# emu is a pytest fixture: imported so that pytest finds it here
from test_hooks import emu  # noqa: F401 pylint: disable=unused-import
from test_hooks import ML, RG_API, err, make_ws, ok, ws_path

TM = "2022-04-01"


def post(e, path, api, body=None):
    return e.call("POST", path, api, body)


def assets(e, ws=None):
    """A model version, an environment version and a cluster in the workspace; their IDs."""
    ws = ws or ws_path(e)
    model = ws + "/models/fraud/versions/1"
    env = ws + "/environments/infer-env/versions/1"
    ok(e.call("PUT", model, ML, {"properties": {
        "modelUri": "azureml://datastores/workspaceblobstore/paths/fraud/1/"}}))
    ok(e.call("PUT", env, ML, {"properties": {"image": "mcr.microsoft.com/azureml/minimal:latest"}}))
    cpu = ws + "/computes/cpu"
    ok(e.call("PUT", cpu, ML, {"location": "eastus", "properties": {
        "computeType": "AmlCompute", "properties": {
            "vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": 2, "minNodeCount": 0}}}}))
    return {"model": model, "env": env, "compute": cpu}


def ep_path(e, name="ep-fraud", ws=None):
    return (ws or ws_path(e)) + f"/onlineEndpoints/{name}"


def make_endpoint(e, name="ep-fraud", ws=None, location="eastus", **props):
    body = {"location": location, "properties": dict({"authMode": "Key"}, **props)}
    return ok(e.call("PUT", ep_path(e, name, ws), ML, body))


def dep_body(refs, capacity=1, **props):
    p = {"endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
         "model": refs["model"], "environmentId": refs["env"]}
    p.update(props)
    return {"location": "eastus", "sku": {"name": "Default", "capacity": capacity}, "properties": p}


# ============================================================== online endpoints
def test_online_endpoint_uris_keys_and_unique_name(emu):
    make_ws(emu)
    ep = ok(emu.call("PUT", ep_path(emu), ML, {"location": "eastus", "properties": {
        "authMode": "Key", "keys": {"primaryKey": "p" * 32, "secondaryKey": "s" * 32}}}))
    p = ep["properties"]
    assert p["scoringUri"] == "https://ep-fraud.eastus.inference.ml.azure.com/score"
    assert p["swaggerUri"] == "https://ep-fraud.eastus.inference.ml.azure.com/swagger.json"
    assert p["provisioningState"] == "Succeeded" and p["traffic"] == {}
    assert p["properties"]["azureml.onlineendpointid"] == ep["id"]
    assert "keys" not in p and "keys" not in ok(emu.call("GET", ep_path(emu), ML))["properties"]
    # the keys sent at creation are the endpoint's keys (listKeys), never part of a GET
    assert ok(post(emu, ep_path(emu) + "/listKeys", ML)) == {"primaryKey": "p" * 32,
                                                             "secondaryKey": "s" * 32}
    status, _unused = post(emu, ep_path(emu) + "/regenerateKeys", ML, {"keyType": "Primary"})
    assert status == 202
    keys = ok(post(emu, ep_path(emu) + "/listKeys", ML))
    assert keys["primaryKey"] != "p" * 32 and keys["secondaryKey"] == "s" * 32
    err(post(emu, ep_path(emu) + "/token", ML), 400, "UserError")      # key auth: no token
    # AML token auth: a token, no keys
    make_endpoint(emu, "ep-token", authMode="AMLToken")
    tok = ok(post(emu, ep_path(emu, "ep-token") + "/token", ML))
    assert tok["accessToken"] and tok["expiryTimeUtc"] > time.time()
    err(post(emu, ep_path(emu, "ep-token") + "/listKeys", ML), 400, "UserError")
    # the scoring host is per region: the same name in another workspace of the region is taken
    make_ws(emu, "mlw-other", properties=_other_ws_links(emu))
    assert "unique within a region" in err(
        emu.call("PUT", ep_path(emu, ws=ws_path(emu, "mlw-other")), ML,
                 {"location": "eastus", "properties": {"authMode": "Key"}}), 409, "Conflict")
    assert emu.call("GET", ep_path(emu, ws=ws_path(emu, "mlw-other")), ML)[0] == 404
    # in its workspace's region only; the same name in another region is another host
    err(emu.call("PUT", ep_path(emu, "ep-west"), ML, {"location": "westus", "properties": {
        "authMode": "Key"}}), 400, "UserError")
    make_ws(emu, "mlw-west", location="westus", properties=_other_ws_links(emu, "west"))
    west = make_endpoint(emu, ws=ws_path(emu, "mlw-west"), location="westus")
    assert west["properties"]["scoringUri"] == "https://ep-fraud.westus.inference.ml.azure.com/score"


def _other_ws_links(e, stem="other"):
    from test_hooks import KV, kv_body, make_sa, sa_path
    make_sa(e, "stmlw" + stem)
    ok(e.call("PUT", f"{e.rg}/providers/Microsoft.KeyVault/vaults/kv-mlw-{stem}", KV, kv_body(e)))
    return {"storageAccount": sa_path(e, "stmlw" + stem),
            "keyVault": f"{e.rg}/providers/Microsoft.KeyVault/vaults/kv-mlw-{stem}"}


def traffic(body, mirror=None, **split):
    """The endpoint body with this traffic split (and mirror traffic)."""
    p = dict(body["properties"], traffic=split)
    if mirror is not None:
        p["mirrorTraffic"] = mirror
    return dict(body, properties=p)


# ============================================================ online deployments
def test_deployment_references_and_instance_count(emu):
    make_ws(emu)
    refs = assets(emu)
    dep = ep_path(emu) + "/deployments/blue"
    # the endpoint must exist
    err(emu.call("PUT", dep, ML, dep_body(refs)), 404, "ParentResourceNotFound")
    make_endpoint(emu)
    # what it runs must be in the workspace
    msg = err(emu.call("PUT", dep, ML, dep_body(refs, model=refs["model"].replace("/versions/1", "/versions/9"))),
              400, "UserError")
    assert "models/fraud/versions/9" in msg and "not found" in msg
    err(emu.call("PUT", dep, ML, dep_body(refs, environmentId=ws_path(emu) + "/environments/x/versions/1")),
        400, "UserError")
    err(emu.call("PUT", dep, ML, dep_body(refs, model="azureml://registries/nope/models/fraud/versions/1")),
        400, "UserError")
    # another workspace's model (a failover that forgot to map it) is refused too
    other = ws_path(emu, "mlw-other")
    make_ws(emu, "mlw-other", properties=_other_ws_links(emu))
    foreign = assets(emu, other)
    assert "belongs to workspace 'mlw-other'" in err(
        emu.call("PUT", dep, ML, dep_body(refs, model=foreign["model"])), 400, "UserError")
    err(emu.call("PUT", dep, ML, dep_body(refs, instanceType=None)), 400, "UserError")
    err(emu.call("PUT", dep, ML, dep_body(refs, capacity=0)), 400, "UserError")
    assert emu.call("GET", dep, ML)[0] == 404                    # nothing made by a refusal
    # azureml: + ARM ID (what azure-ai-ml sends) and a curated environment of the system registry
    d = ok(emu.call("PUT", dep, ML, dep_body(
        refs, model="azureml:" + refs["model"],
        environmentId="azureml://registries/azureml/environments/sklearn-1.5/versions/1")))
    assert d["sku"]["capacity"] == 1 and d["properties"]["provisioningState"] == "Succeeded"
    assert d["properties"]["scaleSettings"] == {"scaleType": "Default"}
    # scale out with PATCH (sku.capacity = instance count)
    d = ok(emu.call("PATCH", dep, ML, {"sku": {"capacity": 3}}))
    assert d["sku"]["capacity"] == 3
    assert ok(emu.call("GET", dep, ML))["sku"]["capacity"] == 3
    # the VM size is fixed once created; nothing changes
    err(emu.call("PUT", dep, ML, dep_body(refs, capacity=3, instanceType="Standard_F4s_v2")),
        400, "UserError")
    assert ok(emu.call("GET", dep, ML))["properties"]["instanceType"] == "Standard_DS3_v2"
    logs = ok(post(emu, dep + "/getLogs", ML, {"tail": 10}))
    assert "blue" in logs["content"]


def test_traffic_rules_and_deletion(emu):
    make_ws(emu)
    refs = assets(emu)
    make_endpoint(emu)
    for name in ("blue", "green"):
        ok(emu.call("PUT", ep_path(emu) + f"/deployments/{name}", ML, dep_body(refs)))
    body = {"location": "eastus", "properties": {"authMode": "Key"}}
    # traffic must name the endpoint's deployments and sum to 100 (or 0)
    assert "'red'" in err(emu.call("PUT", ep_path(emu), ML, dict(
        body, properties={"authMode": "Key", "traffic": {"blue": 50, "red": 50}})), 400, "UserError")
    # (traffic is set with a PUT: the endpoint PATCH schema has tags, sku and identity only)
    assert "properties" in err(emu.call("PATCH", ep_path(emu), ML, {"properties": {
        "traffic": {"blue": 100}}}), 400, "InvalidRequestContent")
    assert "sum to 90" in err(emu.call("PUT", ep_path(emu), ML, traffic(body, blue=50, green=40)),
                              400, "UserError")
    err(emu.call("PUT", ep_path(emu), ML, traffic(body, {"green": 60}, blue=100)), 400, "UserError")
    assert ok(emu.call("GET", ep_path(emu), ML))["properties"]["traffic"] == {}
    ep = ok(emu.call("PUT", ep_path(emu), ML, traffic(body, blue=90, green=10)))
    assert ep["properties"]["traffic"] == {"blue": 90, "green": 10}
    # a PUT without traffic keeps the split
    assert ok(emu.call("PUT", ep_path(emu), ML, body))["properties"]["traffic"] == {"blue": 90, "green": 10}
    # a deployment that gets traffic cannot be deleted
    assert "10%" in err(emu.call("DELETE", ep_path(emu) + "/deployments/green", ML), 400, "UserError")
    assert emu.call("GET", ep_path(emu) + "/deployments/green", ML)[0] == 200
    ok(emu.call("PUT", ep_path(emu), ML, traffic(body, blue=100, green=0)))
    assert emu.call("DELETE", ep_path(emu) + "/deployments/green", ML)[0] in (200, 202, 204)
    assert emu.call("GET", ep_path(emu) + "/deployments/green", ML)[0] == 404
    assert ok(emu.call("GET", ep_path(emu), ML))["properties"]["traffic"] == {"blue": 100}
    # deleting the endpoint deletes its deployments (and its keys)
    ok(post(emu, ep_path(emu) + "/listKeys", ML))
    assert emu.call("DELETE", ep_path(emu), ML)[0] in (200, 202, 204)
    assert emu.call("GET", ep_path(emu) + "/deployments/blue", ML)[0] == 404
    assert not [k for k, _v in emu.store.resources.raw_items() if "/onlineendpoints/" in k]
    assert not emu.store.secrets.get("endpointKeys")


def test_deployment_time_and_provisioning_states(emu):
    make_ws(emu)
    refs = assets(emu)
    make_endpoint(emu)
    emu.faults.set({"deployment_seconds": 0.4})
    dep = ep_path(emu) + "/deployments/blue"
    status, body = emu.call("PUT", dep, ML, dep_body(refs))
    assert status == 201 and body["properties"]["provisioningState"] == "Creating"
    assert ok(emu.call("GET", dep, ML))["properties"]["provisioningState"] == "Creating"
    # the endpoint itself is not slowed down (lro_delay 0)
    assert make_endpoint(emu, "ep-other")["properties"]["provisioningState"] == "Succeeded"
    time.sleep(0.45)
    assert ok(emu.call("GET", dep, ML))["properties"]["provisioningState"] == "Succeeded"
    d = ok(emu.call("PATCH", dep, ML, {"sku": {"capacity": 2}}))
    assert d["properties"]["provisioningState"] == "Scaling"
    time.sleep(0.45)
    d = ok(emu.call("GET", dep, ML))
    assert d["properties"]["provisioningState"] == "Succeeded" and d["sku"]["capacity"] == 2


# ========================================================================== jobs
def command_job(refs, **props):
    p = {"jobType": "Command", "command": "python train.py", "environmentId": refs["env"],
         "computeId": refs["compute"], "experimentName": "fraud"}
    p.update(props)
    return {"properties": p}


def test_jobs_status_references_cancel_and_lists(emu):
    make_ws(emu)
    refs = assets(emu)
    jobs = ws_path(emu) + "/jobs/"
    err(emu.call("PUT", jobs + "j-nocompute", ML, command_job(refs, computeId=ws_path(emu) + "/computes/gpu")),
        400, "UserError")
    err(emu.call("PUT", jobs + "j-noenv", ML, command_job(refs, environmentId=refs["env"].replace("/versions/1", "/versions/7"))),
        400, "UserError")
    assert emu.call("GET", jobs + "j-nocompute", ML)[0] == 404
    # a resubmitted job must use its own workspace's compute, not the old active's
    make_ws(emu, "mlw-other", properties=_other_ws_links(emu))
    foreign = assets(emu, ws_path(emu, "mlw-other"))
    assert "belongs to workspace" in err(
        emu.call("PUT", jobs + "j-foreign", ML, command_job(refs, computeId=foreign["compute"])),
        400, "UserError")
    job = ok(emu.call("PUT", jobs + "j-train", ML, command_job(refs, tags={"team": "risk"})))
    assert job["properties"]["status"] == "Running"
    assert job["properties"]["services"]["Studio"]["endpoint"].startswith("https://ml.azure.com/runs/j-train")
    # a job on a cluster that cannot get a node waits
    standby = ws_path(emu) + "/computes/standby"
    ok(emu.call("PUT", standby, ML, {"location": "eastus", "properties": {
        "computeType": "AmlCompute", "properties": {
            "vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": 0, "minNodeCount": 0}}}}))
    assert ok(emu.call("PUT", jobs + "j-queued", ML, command_job(refs, computeId=standby)))[
        "properties"]["status"] == "Queued"
    # scaling the cluster up starts it (hot/warm: the standby's cluster grows on failover)
    ok(emu.call("PATCH", standby, ML, {"properties": {"properties": {
        "scaleSettings": {"maxNodeCount": 2, "minNodeCount": 0}}}}))
    assert ok(emu.call("GET", jobs + "j-queued", ML))["properties"]["status"] == "Running"
    # submitted jobs are fixed: the same body again is fine (status kept), another command is not
    again = ok(emu.call("PUT", jobs + "j-train", ML, command_job(refs, tags={"team": "risk", "x": "1"})))
    assert again["properties"]["status"] == "Running" and again["properties"]["tags"]["x"] == "1"
    assert "command" in err(emu.call("PUT", jobs + "j-train", ML, command_job(refs, command="python other.py")),
                            400, "UserError")
    # pipeline jobs: the steps' computes must exist too
    pipe = {"properties": {"jobType": "Pipeline", "settings": {"default_compute": refs["compute"]},
                           "jobs": {"train": {"type": "command", "computeId": ws_path(emu) + "/computes/nope"}}}}
    assert "jobs.train" in str(emu.call("PUT", jobs + "p-1", ML, pipe)[1])
    pipe["properties"]["jobs"]["train"]["computeId"] = refs["compute"]
    assert ok(emu.call("PUT", jobs + "p-1", ML, pipe))["properties"]["status"] == "Running"
    # cancel
    status, _unused = post(emu, jobs + "j-train/cancel", ML)
    assert status == 202
    assert ok(emu.call("GET", jobs + "j-train", ML))["properties"]["status"] == "Canceled"
    jobs_provider.set_job_status(emu.engine.ctx, jobs + "j-queued", "Completed")
    assert ok(emu.call("GET", jobs + "j-queued", ML))["properties"]["status"] == "Completed"

    def names(**query):
        status, body = emu.call("GET", ws_path(emu) + "/jobs", ML, query=query)
        assert status == 200, body
        return {j["name"] for j in body["value"]}

    assert names() == {"j-train", "j-queued", "p-1"}
    assert names(jobType="Pipeline") == {"p-1"}
    assert names(tag="team") == {"j-train"}
    ok(emu.call("PUT", jobs + "p-1", ML, dict(pipe, properties=dict(pipe["properties"], isArchived=True))))
    assert names() == {"j-train", "j-queued"}
    assert names(listViewType="ArchivedOnly") == {"p-1"}
    assert names(listViewType="All") == {"j-train", "j-queued", "p-1"}


# ===================================================================== schedules
def schedule(refs, trigger, enabled=True):
    return {"properties": {"isEnabled": enabled, "trigger": trigger, "action": {
        "actionType": "CreateJob", "jobDefinition": {
            "jobType": "Pipeline", "settings": {"default_compute": refs["compute"]}, "jobs": {}}}}}


def test_schedules_triggers_and_enabled_lists(emu):
    make_ws(emu)
    refs = assets(emu)
    base = ws_path(emu) + "/schedules/"
    for trigger, words in (
            ({"triggerType": "Cron", "expression": "0 2 * *"}, "5 fields"),
            ({"triggerType": "Cron", "expression": "61 2 * * *"}, "minute 61"),
            ({"triggerType": "Recurrence", "frequency": "Hour", "interval": 1,
              "schedule": {"hours": [1], "minutes": [0]}}, "frequency Day, Week or Month"),
            ({"triggerType": "Recurrence", "frequency": "Day", "interval": 0}, "at least 1"),
            ({"triggerType": "Cron", "expression": "0 2 * * *", "startTime": "2026-01-02T00:00:00",
              "endTime": "2026-01-01T00:00:00"}, "after startTime")):
        assert words in err(emu.call("PUT", base + "nightly", ML, schedule(refs, trigger)), 400, "UserError")
    bad = schedule(refs, {"triggerType": "Cron", "expression": "0 2 * * *"})
    bad["properties"]["action"]["jobDefinition"]["settings"]["default_compute"] = ws_path(emu) + "/computes/none"
    err(emu.call("PUT", base + "nightly", ML, bad), 400, "UserError")
    assert emu.call("GET", base + "nightly", ML)[0] == 404
    s = ok(emu.call("PUT", base + "nightly", ML, schedule(refs, {"triggerType": "Cron",
                                                                 "expression": "0 2 * * MON-FRI"})))
    assert s["properties"]["isEnabled"] is True and s["properties"]["trigger"]["timeZone"] == "UTC"
    assert s["properties"]["provisioningState"] == "Succeeded"
    ok(emu.call("PUT", base + "weekly", ML, schedule(refs, {
        "triggerType": "Recurrence", "frequency": "Week", "interval": 1,
        "schedule": {"hours": [3], "minutes": [30], "weekDays": ["Sunday"]}})))
    # disabled in the old active (what the failover does)
    off = ok(emu.call("PUT", base + "nightly", ML, schedule(refs, {"triggerType": "Cron",
                                                                   "expression": "0 2 * * MON-FRI"},
                                                            enabled=False)))
    assert off["properties"]["isEnabled"] is False

    def names(view=None):
        q = {"listViewType": view} if view else None
        status, body = emu.call("GET", ws_path(emu) + "/schedules", ML, query=q)
        assert status == 200, body
        return {x["name"] for x in body["value"]}

    assert names() == {"weekly"}                      # EnabledOnly by default, as Azure lists
    assert names("DisabledOnly") == {"nightly"}
    assert names("All") == {"nightly", "weekly"}


# =============================================================== Traffic Manager
def tm_path(e, name="tm-fraud"):
    return f"{e.rg}/providers/Microsoft.Network/trafficmanagerprofiles/{name}"


def tm_body(relative="tm-fraud", method="Priority", endpoints=None):
    p = {"trafficRoutingMethod": method, "dnsConfig": {"relativeName": relative, "ttl": 30},
         "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/"}}
    if endpoints is not None:
        p["endpoints"] = endpoints
    return {"location": "global", "properties": p}


def external(name, target, **props):
    return {"name": name, "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
            "properties": dict({"target": target, "endpointStatus": "Enabled"}, **props)}


def test_traffic_manager_profiles_and_endpoints(emu):
    make_ws(emu)
    make_endpoint(emu)                                            # ep-fraud in eastus
    primary = "ep-fraud.eastus.inference.ml.azure.com"
    secondary = "ep-fraud.westus.inference.ml.azure.com"          # not deployed (yet)
    assert "'global'" in err(emu.call("PUT", tm_path(emu), TM, dict(tm_body(), location="eastus")),
                             400, "LocationNotAvailableForResourceType")
    err(emu.call("PUT", tm_path(emu), TM, tm_body(endpoints=[
        external("primary", primary, priority=1), external("secondary", secondary, priority=1)])),
        400, "BadRequest")
    prof = ok(emu.call("PUT", tm_path(emu), TM, tm_body(endpoints=[
        external("primary", primary), external("secondary", secondary)])))
    p = prof["properties"]
    assert prof["type"] == "Microsoft.Network/trafficManagerProfiles"
    assert p["dnsConfig"]["fqdn"] == "tm-fraud.trafficmanager.net"
    assert p["profileStatus"] == "Enabled"
    eps = {e["name"]: e for e in p["endpoints"]}
    assert eps["primary"]["properties"]["priority"] == 1 and eps["secondary"]["properties"]["priority"] == 2
    assert eps["primary"]["properties"]["endpointMonitorStatus"] == "Online"
    assert eps["secondary"]["properties"]["endpointMonitorStatus"] == "Degraded"    # no such host
    assert p["monitorConfig"]["profileMonitorStatus"] == "Online"
    # each endpoint is a resource of its own (Endpoints_Get/Update/Delete)
    sec = tm_path(emu) + "/ExternalEndpoints/secondary"
    got = ok(emu.call("GET", sec, TM))
    assert got["type"] == "Microsoft.Network/trafficManagerProfiles/externalEndpoints"
    assert got["properties"]["target"] == secondary
    # failover: disable the old region's endpoint; the profile shows it
    ok(emu.call("PATCH", tm_path(emu) + "/externalEndpoints/primary", TM,
                {"properties": {"endpointStatus": "Disabled"}}))
    prof = ok(emu.call("GET", tm_path(emu), TM))
    eps = {e["name"]: e["properties"] for e in prof["properties"]["endpoints"]}
    assert eps["primary"]["endpointStatus"] == "Disabled"
    assert eps["primary"]["endpointMonitorStatus"] == "Disabled"
    assert prof["properties"]["monitorConfig"]["profileMonitorStatus"] == "Degraded"
    # priorities stay unique
    err(emu.call("PUT", sec, TM, {"properties": {"target": secondary, "priority": 1}}), 400, "BadRequest")
    # an ML endpoint is not an Azure endpoint target type
    err(emu.call("PUT", tm_path(emu) + "/azureEndpoints/ml", TM, {"properties": {
        "targetResourceId": ep_path(emu), "priority": 5}}), 400, "BadRequest")
    err(emu.call("PUT", tm_path(emu) + "/externalEndpoints/noname", TM, {"properties": {"priority": 6}}),
        400, "BadRequest")
    # the DNS name is global
    assert "not available" in err(emu.call("PUT", tm_path(emu, "tm-copy"), TM, tm_body()), 409, "Conflict")
    sub = f"/subscriptions/{emu.sub}/providers/Microsoft.Network/checkTrafficManagerNameAvailabilityV2"
    taken = ok(post(emu, sub, TM, {"name": "tm-fraud", "type": "Microsoft.Network/trafficManagerProfiles"}))
    assert taken["nameAvailable"] is False and taken["reason"] == "AlreadyExists"
    free = ok(post(emu, "/providers/Microsoft.Network/checkTrafficManagerNameAvailability", TM,
                   {"name": "tm-free", "type": "Microsoft.Network/trafficManagerProfiles"}))
    assert free["nameAvailable"] is True
    # deleting an endpoint takes it out of the profile; lists hold profiles only
    assert emu.call("DELETE", sec, TM) == (200, {"boolean": True})
    assert emu.call("DELETE", sec, TM) == (204, None)
    prof = ok(emu.call("GET", tm_path(emu), TM))
    assert [e["name"] for e in prof["properties"]["endpoints"]] == ["primary"]
    assert prof["properties"]["monitorConfig"]["profileMonitorStatus"] == "Inactive"
    listed = ok(emu.call("GET", f"{emu.rg}/providers/Microsoft.Network/trafficmanagerprofiles", TM))["value"]
    assert [x["name"] for x in listed] == ["tm-fraud"]
    # Traffic Manager is global: an outage of the endpoints' region does not reach it
    emu.faults.set({"outages": {"eastus": "error"}})
    assert emu.call("GET", tm_path(emu), TM)[0] == 200
    assert emu.call("GET", ep_path(emu), ML)[0] >= 500
    emu.faults.clear()
    # a profile PUT with its endpoint list replaces the endpoints
    ok(emu.call("PUT", tm_path(emu), TM, tm_body(endpoints=[external("other", "x.example.com")])))
    assert emu.call("GET", tm_path(emu) + "/externalEndpoints/primary", TM)[0] == 404
    assert emu.call("DELETE", tm_path(emu), TM)[0] == 200
    assert emu.call("GET", tm_path(emu) + "/externalEndpoints/other", TM)[0] == 404


# ========================================================================== oav
@pytest.mark.skipif(not os.path.exists(oav_check.OAV), reason="oav is not installed (npm install)")
def test_recorded_workload_traffic_passes_oav(tmp_path):
    """Every answer above, recorded and given to Microsoft's oav: no failure outside the
    documented spec gaps."""
    tdir = tmp_path / "traffic"
    e = Emulator(str(tmp_path / "state"), lro_delay=0.0, strict_responses=True, traffic_dir=str(tdir))
    e.bind("https://127.0.0.1:1")
    d = e.directory
    token = d.issue("i", "https://management.azure.com/", d.principal(d.principal_object_id))

    def call(method, path, api, body=None, query=None):
        q = {"api-version": [api]}
        q.update({k: [v] for k, v in (query or {}).items()})
        url = f"https://127.0.0.1:1{path}?api-version={api}" + "".join(
            f"&{k}={v}" for k, v in (query or {}).items())
        status, _h, out = e.engine.handle(
            method, path, q, {"authorization": "Bearer " + token, "content-type": "application/json"},
            json.dumps(body).encode() if body is not None else b"", url=url)
        return status, out

    e.call, e.sub = call, d.subscription_id
    e.rg = f"/subscriptions/{d.subscription_id}/resourceGroups/rg"
    assert call("PUT", e.rg, RG_API, {"location": "eastus"})[0] == 201
    make_ws(e)
    refs = assets(e)
    make_endpoint(e)
    dep = ep_path(e) + "/deployments/blue"
    ok(call("PUT", dep, ML, dep_body(refs)))
    ok(call("PATCH", dep, ML, {"sku": {"capacity": 2}}))
    ok(call("PUT", ep_path(e), ML, traffic({"location": "eastus", "properties": {"authMode": "Key"}},
                                           blue=100)))
    ok(call("GET", ep_path(e) + "/deployments", ML))
    ok(call("POST", ep_path(e) + "/listKeys", ML))
    job = ws_path(e) + "/jobs/" + str(uuid.uuid4())
    ok(call("PUT", job, ML, command_job(refs)))
    ok(call("GET", ws_path(e) + "/jobs", ML))
    ok(call("POST", job + "/cancel", ML))
    ok(call("GET", job, ML))
    ok(call("PUT", ws_path(e) + "/schedules/nightly", ML,
            schedule(refs, {"triggerType": "Cron", "expression": "0 2 * * *"})))
    ok(call("GET", ws_path(e) + "/schedules", ML, query={"listViewType": "All"}))
    ok(call("PUT", tm_path(e), TM, tm_body(endpoints=[
        external("primary", "ep-fraud.eastus.inference.ml.azure.com")])))
    ok(call("PATCH", tm_path(e) + "/ExternalEndpoints/primary", TM,
            {"properties": {"endpointStatus": "Disabled"}}))
    ok(call("GET", tm_path(e), TM))
    ok(call("POST", f"/subscriptions/{e.sub}/providers/Microsoft.Network/checkTrafficManagerNameAvailabilityV2",
            TM, {"name": "tm-fraud", "type": "Microsoft.Network/trafficManagerProfiles"}))
    err(call("PUT", ep_path(e), ML, traffic({"location": "eastus", "properties": {"authMode": "Key"}},
                                            blue=50)), 400, "UserError")
    # only the workload operations go to oav (the set-up's storage, vault, workspace ... are
    # covered elsewhere): two spec files, mfe.json and trafficmanager.json
    for f in list(tdir.iterdir()):
        url = json.loads(f.read_text())["liveRequest"]["url"].lower()
        if not any(k in url for k in ("/onlineendpoints", "/jobs", "/schedules", "trafficmanager")):
            f.unlink()
    summary = oav_check.check(str(tdir))
    unknown = [f for f in summary["failures"] if not f["known"] and not f.get("expected")]
    assert not unknown, json.dumps(unknown, indent=1)[:3000]
    ops = {op for s in summary["specs"] for op in s["passed"]}
    assert {"OnlineEndpoints_CreateOrUpdate", "OnlineDeployments_Update", "Jobs_CreateOrUpdate",
            "Schedules_CreateOrUpdate", "Profiles_CreateOrUpdate", "Endpoints_Update"} <= ops


# ============================================== the clients: azure-ai-ml and raw HTTPS
def test_azure_ai_ml_and_raw_https_see_the_workloads(emulator):
    """azure-ai-ml's MLClient, unmodified, makes an endpoint, a deployment, sets traffic, scales,
    submits and cancels a job; Traffic Manager (no azure-mgmt-trafficmanager in the venv) over
    HTTPS with a bearer token from the real credential, at the api-version a pinned client sends."""
    pytest.importorskip("azure.ai.ml")
    from emulator.azurite import DEFAULT_BIN
    if not os.path.exists(DEFAULT_BIN):
        pytest.skip("Azurite is not installed (npm install)")
    import requests
    from azure.ai.ml import command
    from azure.ai.ml.entities import (AmlCompute, Environment, ManagedOnlineDeployment,
                                      ManagedOnlineEndpoint, Model)
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from emulator.mlclient import ml_client, patched_environ
    from emulator.seed import workspace_links

    rg, ws = "rg-workloads", "mlw-workloads"
    emulator.client(ResourceManagementClient, RG_API).resource_groups.create_or_update(
        rg, {"location": "eastus"})
    links = workspace_links(emulator.endpoint, rg, "eastus", ws)
    emulator.client(MachineLearningServicesMgmtClient, ML).workspaces.begin_create_or_update(
        rg, ws, {"location": "eastus", "identity": {"type": "SystemAssigned"},
                 "properties": links}).result()
    name = "ep-" + uuid.uuid4().hex[:8]
    with patched_environ(emulator):
        ml = ml_client(emulator, rg, ws)
        ml.models.create_or_update(Model(name="fraud", version="1", type="custom_model",
                                         path="azureml://datastores/workspaceblobstore/paths/fraud/1/"))
        ml.environments.create_or_update(Environment(name="infer-env", version="1",
                                                     image="mcr.microsoft.com/azureml/minimal:latest"))
        ml.compute.begin_create_or_update(AmlCompute(name="cpu", size="Standard_DS3_v2",
                                                     min_instances=0, max_instances=2)).result()
        ep = ml.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name=name, auth_mode="key")).result()
        assert ep.scoring_uri == f"https://{name}.eastus.inference.ml.azure.com/score"
        dep = ManagedOnlineDeployment(name="blue", endpoint_name=name, model="azureml:fraud:1",
                                      environment="azureml:infer-env:1",
                                      instance_type="Standard_DS3_v2", instance_count=1)
        assert ml.online_deployments.begin_create_or_update(dep).result().provisioning_state == "Succeeded"
        ep = ml.online_endpoints.get(name)
        ep.traffic = {"blue": 100}
        ml.online_endpoints.begin_create_or_update(ep).result()
        assert ml.online_endpoints.get(name).traffic == {"blue": 100}
        dep = ml.online_deployments.get("blue", name)
        assert dep.model.endswith("/models/fraud/versions/1")
        dep.instance_count = 2
        ml.online_deployments.begin_create_or_update(dep).result()
        assert ml.online_deployments.get("blue", name).instance_count == 2
        assert ml.online_endpoints.get_keys(name).primary_key
        # the SDK sees the emulator's refusal of a missing model
        missing = ManagedOnlineDeployment(name="green", endpoint_name=name, model="azureml:fraud:1",
                                          environment="azureml:infer-env:1",
                                          instance_type="Standard_DS3_v2", instance_count=1)
        missing.model = ml.workspaces.get(ws).id + "/models/fraud/versions/9"
        with pytest.raises(Exception, match="versions/9"):
            ml.online_deployments.begin_create_or_update(missing).result()
        job = ml.jobs.create_or_update(command(command="python -c 'print(1)'", compute="cpu",
                                               environment="azureml:infer-env:1",
                                               name="job-" + uuid.uuid4().hex[:8]))
        assert job.status == "Running"
        assert job.name in [j.name for j in ml.jobs.list()]
        ml.jobs.begin_cancel(job.name).result()
        assert ml.jobs.get(job.name).status == "Canceled"
    # Traffic Manager over HTTPS, bearer from the real credential
    ep_ = emulator.endpoint
    token = emulator.credential().get_token("https://management.azure.com/.default").token
    s = requests.Session()
    s.verify = ep_["ca_cert"]
    s.headers["Authorization"] = "Bearer " + token
    base = f"{ep_['arm_url']}/subscriptions/{ep_['subscription_id']}/resourceGroups/{rg}/providers/" \
           "Microsoft.Network/trafficmanagerprofiles/tm-" + name
    r = s.put(base, params={"api-version": TM}, json=tm_body("tm-" + name, endpoints=[
        external("primary", f"{name}.eastus.inference.ml.azure.com")]))
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["dnsConfig"]["fqdn"] == f"tm-{name}.trafficmanager.net"
    r = s.patch(base + "/ExternalEndpoints/primary", params={"api-version": TM},
                json={"properties": {"endpointStatus": "Disabled"}})
    assert r.status_code == 200 and r.json()["properties"]["endpointMonitorStatus"] == "Disabled"
    r = s.post(f"{ep_['arm_url']}/providers/Microsoft.Network/checkTrafficManagerNameAvailability",
               params={"api-version": TM}, json={"name": "tm-" + name,
                                                 "type": "Microsoft.Network/trafficManagerProfiles"})
    assert r.status_code == 200 and r.json()["nameAvailable"] is False
    assert s.get(base, params={"api-version": "2018-08-01"}).status_code == 200   # an older real one
    assert s.get(base, params={"api-version": "2030-01-01"}).json()["error"]["code"] == \
        "InvalidApiVersionParameter"
