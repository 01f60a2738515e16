"""emulator.actions through the real engine, in process (strict responses: every body is checked
against the spec's response schema; no Azurite)."""
import uuid

from emulator import actions

# emu is a pytest fixture: imported so that pytest finds it here
from test_hooks import emu  # noqa: F401 pylint: disable=unused-import
from test_hooks import (ACR, AUTH, KV, ML, READER, DS, err, kv_body, make_sa, make_ws, ok,
                        ra_path, role, sa_path, ws_path, acr_path)


def post(e, path, api, body=None):
    return e.call("POST", path, api, body)


def test_storage_keys_and_workspace_keys(emu):
    make_sa(emu, "stkeys")
    keys = ok(post(emu, sa_path(emu, "stkeys") + "/listKeys", "2023-01-01"))["keys"]
    assert [k["keyName"] for k in keys] == ["key1", "key2"]
    assert all(k["permissions"] == "FULL" and k["value"] for k in keys)
    ws = make_ws(emu)
    wk = ok(post(emu, ws_path(emu) + "/listKeys", ML))
    sa_key = ok(post(emu, ws["properties"]["storageAccount"] + "/listKeys", "2023-01-01"))["keys"][0]["value"]
    assert wk["userStorageKey"] == sa_key
    assert wk["userStorageResourceId"] == ws["properties"]["storageAccount"]
    assert wk["appInsightsInstrumentationKey"]
    assert ok(post(emu, ws_path(emu) + "/listStorageAccountKeys", ML)) == {"userStorageKey": sa_key}
    assert post(emu, ws_path(emu, "nope") + "/listKeys", ML)[0] == 404


def test_check_name_availability(emu):
    sub = f"/subscriptions/{emu.sub}"
    ok(emu.call("PUT", acr_path(emu, "acrnamecheck"), ACR, {"location": "eastus", "sku": {"name": "Basic"}}))
    r = ok(post(emu, sub + "/providers/Microsoft.ContainerRegistry/checkNameAvailability", ACR,
                {"name": "ACRNAMECHECK", "type": "Microsoft.ContainerRegistry/registries"}))
    assert r["nameAvailable"] is False and r["reason"] == "AlreadyExists"
    r = ok(post(emu, sub + "/providers/Microsoft.ContainerRegistry/checkNameAvailability", ACR,
                {"name": "acrfreename", "type": "Microsoft.ContainerRegistry/registries"}))
    assert r == {"nameAvailable": True}
    ok(emu.call("PUT", f"{emu.rg}/providers/Microsoft.KeyVault/vaults/kv-name-check", KV, kv_body(emu)))
    r = ok(post(emu, sub + "/providers/Microsoft.KeyVault/checkNameAvailability", KV,
                {"name": "kv-name-check", "type": "Microsoft.KeyVault/vaults"}))
    assert r["nameAvailable"] is False and r["reason"] == "AlreadyExists"
    r = ok(post(emu, sub + "/providers/Microsoft.KeyVault/checkNameAvailability", KV,
                {"name": "kv--bad", "type": "Microsoft.KeyVault/vaults"}))
    assert r["nameAvailable"] is False and r["reason"] == "AccountNameInvalid"


def test_datastore_list_secrets(emu):
    make_ws(emu)
    base = ws_path(emu) + "/datastores/"
    ok(emu.call("PUT", base + "bykey", ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "stmlwbcdr", "containerName": "c",
        "credentials": {"credentialsType": "AccountKey",
                        "secrets": {"secretsType": "AccountKey", "key": "a2V5"}}}}))
    ok(emu.call("PUT", base + "bysas", ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "anyaccount", "containerName": "c",
        "credentials": {"credentialsType": "Sas", "secrets": {"secretsType": "Sas", "sasToken": "sv=x&sig=y"}}}}))
    ok(emu.call("PUT", base + "noauth", ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "anyaccount", "containerName": "c",
        "credentials": {"credentialsType": "None"}}}))
    assert ok(post(emu, base + "bykey/listSecrets", ML)) == {"secretsType": "AccountKey", "key": "a2V5"}
    assert ok(post(emu, base + "bysas/listSecrets", ML)) == {"secretsType": "Sas", "sasToken": "sv=x&sig=y"}
    err(post(emu, base + "noauth/listSecrets", ML), 400, "UserError")
    assert post(emu, base + "missing/listSecrets", ML)[0] == 404
    # a PATCH-less re-PUT without secrets keeps the stored ones? No: ARM PUT replaces; secrets required
    err(emu.call("PUT", base + "bykey", ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "stmlwbcdr", "containerName": "c",
        "credentials": {"credentialsType": "AccountKey"}}}), 400, "InvalidRequestContent")


def test_import_image(emu):
    ok(emu.call("PUT", acr_path(emu, "acrprimary"), ACR, {"location": "eastus", "sku": {"name": "Premium"}}))
    ok(emu.call("PUT", acr_path(emu, "acrsecondary"), ACR, {"location": "westus", "sku": {"name": "Premium"}}))
    status, body = post(emu, acr_path(emu, "acrprimary") + "/importImage", ACR, {
        "source": {"registryUri": "mcr.microsoft.com", "sourceImage": "azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"},
        "targetTags": ["base/inference:1"]})
    assert status == 202 and body is None
    images = actions.acr_images(emu.engine.ctx, acr_path(emu, "acrprimary"))
    assert "base/inference:1" in images
    # from one emulated registry to another: the image must exist in the source
    status, _unused = post(emu, acr_path(emu, "acrsecondary") + "/importImage", ACR, {
        "source": {"resourceId": acr_path(emu, "acrprimary"), "sourceImage": "base/inference:1"}})
    assert status == 202
    second = actions.acr_images(emu.engine.ctx, acr_path(emu, "acrsecondary"))
    assert second["base/inference:1"]["digest"] == images["base/inference:1"]["digest"]
    err(post(emu, acr_path(emu, "acrsecondary") + "/importImage", ACR, {
        "source": {"resourceId": acr_path(emu, "acrprimary"), "sourceImage": "base/missing:1"}}),
        400, "InvalidParameter")
    err(post(emu, acr_path(emu, "acrsecondary") + "/importImage", ACR, {
        "source": {"resourceId": acr_path(emu, "acrnothere"), "sourceImage": "base/inference:1"}}),
        404, "ResourceNotFound")


def test_usages_vm_sizes_and_quota(emu):
    ws = make_ws(emu)
    loc = f"/subscriptions/{emu.sub}/providers/Microsoft.MachineLearningServices/locations/eastus"
    sizes = {s["name"]: s for s in ok(emu.call("GET", loc + "/vmSizes", ML))["value"]}
    assert sizes["Standard_DS3_v2"]["vCPUs"] == 4 and sizes["Standard_DS3_v2"]["family"] == "standardDSv2Family"
    assert sizes["Standard_NC6s_v3"]["gpus"] == 1
    ok(emu.call("PUT", ws_path(emu) + "/computes/cpu", ML, {"location": "eastus", "properties": {
        "computeType": "AmlCompute", "properties": {
            "vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 2}}}}))
    usages = ok(emu.call("GET", loc + "/usages", ML))["value"]
    by_name = {u["name"]["value"]: u for u in usages}
    fam = by_name["Standard DSv2 Family Cluster Dedicated vCPUs"]
    assert fam["currentValue"] == 8 and fam["limit"] == 100          # 2 allocated nodes x 4 vCPUs
    assert by_name["Total Cluster Dedicated Regional vCPUs"]["currentValue"] == 8
    assert by_name["Clusters"]["currentValue"] == 1
    actions.set_quota(emu.engine.ctx, "East US", "standardDSv2Family", 10)
    usages = ok(emu.call("GET", loc + "/usages", ML))["value"]
    assert {u["name"]["value"]: u["limit"] for u in usages}["Standard DSv2 Family Cluster Dedicated vCPUs"] == 10
    west = f"/subscriptions/{emu.sub}/providers/Microsoft.MachineLearningServices/locations/westus/usages"
    assert {u["name"]["value"]: u for u in ok(emu.call("GET", west, ML))["value"]}[
        "Standard DSv2 Family Cluster Dedicated vCPUs"]["limit"] == 100
    quotas = ok(emu.call("GET", loc + "/quotas", ML))["value"]
    assert any(q["id"] == ws["id"] + "/quotas/standardDSv2Family" and q["limit"] == 10 for q in quotas)


def test_role_assignment_lists(emu):
    alice = emu.directory.register(display_name="alice", kind="User")["object_id"]
    bob = emu.directory.register(display_name="bob", kind="User")["object_id"]
    sub = f"/subscriptions/{emu.sub}"
    make_ws(emu)
    at_sub = ok(emu.call("PUT", ra_path(sub), AUTH, {"properties": {
        "roleDefinitionId": role(emu, READER), "principalId": alice}}))
    at_ws = ok(emu.call("PUT", ra_path(ws_path(emu)), AUTH, {"properties": {
        "roleDefinitionId": role(emu, DS), "principalId": bob}}))

    def names(path, flt=None):
        q = {"$filter": flt} if flt else None
        status, body = emu.call("GET", path + "/providers/Microsoft.Authorization/roleAssignments", AUTH,
                                query=q)
        assert status == 200, body
        return {r["name"] for r in body["value"]}

    assert names(emu.rg) == {at_sub["name"], at_ws["name"]}                 # above and below
    assert names(emu.rg, "atScope()") == {at_sub["name"]}                   # at and above only
    assert names(ws_path(emu)) == {at_sub["name"], at_ws["name"]}
    assert names(sub, f"principalId eq '{bob}'") == {at_ws["name"]}
    assert names(ws_path(emu), f"assignedTo('{alice}')") == {at_sub["name"]}
    status, _unused = emu.call("GET", ws_path(emu, "notyet") + "/providers/Microsoft.Authorization/roleAssignments",
                               AUTH, query={"$filter": f"principalId eq '{bob}'"})
    assert status == 404


def test_online_endpoint_keys_and_job_cancel(emu):
    make_ws(emu)
    ep = ws_path(emu) + "/onlineEndpoints/ep-fraud"
    ok(emu.call("PUT", ep, ML, {"location": "eastus", "identity": {"type": "SystemAssigned"},
                                "properties": {"authMode": "Key"}}))
    keys = ok(post(emu, ep + "/listKeys", ML))
    assert keys["primaryKey"] and keys["secondaryKey"]
    assert ok(post(emu, ep + "/listKeys", ML)) == keys
    # a job's environment and compute must exist (emulator.providers.jobs)
    ok(emu.call("PUT", ws_path(emu) + "/environments/env/versions/1", ML,
                {"properties": {"image": "mcr.microsoft.com/azureml/minimal:latest"}}))
    ok(emu.call("PUT", ws_path(emu) + "/computes/cpu", ML, {"location": "eastus", "properties": {
        "computeType": "AmlCompute", "properties": {"vmSize": "Standard_DS3_v2"}}}))
    job = ws_path(emu) + "/jobs/" + str(uuid.uuid4())
    status, body = emu.call("PUT", job, ML, {"properties": {
        "jobType": "Command", "command": "python train.py",
        "environmentId": ws_path(emu) + "/environments/env/versions/1",
        "computeId": ws_path(emu) + "/computes/cpu"}})
    assert status in (200, 201), body
    status, _unused = post(emu, job + "/cancel", ML)
    assert status == 202
    assert ok(emu.call("GET", job, ML))["properties"]["status"] == "Canceled"
