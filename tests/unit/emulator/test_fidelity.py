"""ARM behaviours the emulator must not be lenient about: JSON only (415 otherwise), a location
for every tracked resource (400 LocationRequired), and the list filters clients rely on
(azure-ai-ml's datastores.get_default() lists with isDefault=true)."""
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

from emulator.server import Emulator

ARM_SCOPE = "https://management.azure.com/.default"
ML = "2024-04-01"
RG_API = "2021-04-01"


# ------------------------------------------------------------------ over HTTP (real server)
def _put(emulator, token, path, api, data, content_type):
    headers = {"Authorization": "Bearer " + token} if token else {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.put(f"{emulator.arm_url}{path}?api-version={api}", data=data,
                        headers=headers, verify=emulator.ca_cert, timeout=30)


def test_a_json_body_sent_as_text_plain_is_415_and_changes_nothing(emulator, arm_credential):
    token = arm_credential.get_token(ARM_SCOPE).token
    sub = emulator.endpoint["subscription_id"]
    rg = f"/subscriptions/{sub}/resourceGroups/rg-media-{uuid.uuid4().hex[:6]}"
    body = json.dumps({"location": "eastus"})
    before = emulator.state()
    r = _put(emulator, token, rg, RG_API, body, "text/plain; charset=utf-8")
    assert r.status_code == 415, r.text
    assert r.json() == {"error": {"code": "UnsupportedMediaType", "message":
                                  "The content media type 'text/plain' is not supported. "
                                  "Only 'application/json' is supported."}}
    assert r.headers["x-ms-request-id"]
    r = _put(emulator, token, rg, RG_API, body, None)          # no Content-Type at all
    assert r.status_code == 415 and "'<null>'" in r.json()["error"]["message"]
    r = _put(emulator, None, rg, RG_API, body, "text/plain")   # the bearer is checked first
    assert r.status_code == 401 and r.json()["error"]["code"] == "AuthenticationFailed"
    assert emulator.state() == before
    r = _put(emulator, token, rg, RG_API, body, "application/json; charset=utf-8")
    assert r.status_code == 201, r.text


def _arm(emulator, token, method, path, api, body=None):
    r = requests.request(method, f"{emulator.arm_url}{path}?api-version={api}", json=body,
                         headers={"Authorization": "Bearer " + token},
                         verify=emulator.ca_cert, timeout=30)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def test_datastores_list_honours_is_default_through_the_sdk(emulator, arm_credential):
    """azure-ai-ml's MLClient.datastores.get_default() is Datastores_List with isDefault=true
    and takes the first item: it must be the default datastore, not the first by name."""
    token = arm_credential.get_token(ARM_SCOPE).token
    sub = emulator.endpoint["subscription_id"]
    suffix = uuid.uuid4().hex[:6]
    rg_name = f"rg-dsdef-{suffix}"
    rg = f"/subscriptions/{sub}/resourceGroups/{rg_name}"
    _arm(emulator, token, "PUT", rg, RG_API, {"location": "eastus"})
    sa = f"{rg}/providers/Microsoft.Storage/storageAccounts/stdsdef{suffix}"
    kv = f"{rg}/providers/Microsoft.KeyVault/vaults/kv-dsdef-{suffix}"
    ai = f"{rg}/providers/Microsoft.Insights/components/appi-dsdef"
    _arm(emulator, token, "PUT", sa, "2023-01-01",
         {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}})
    _arm(emulator, token, "PUT", kv, "2023-07-01", {"location": "eastus", "properties": {
        "tenantId": emulator.endpoint["tenant_id"], "sku": {"family": "A", "name": "standard"}}})
    _arm(emulator, token, "PUT", ai, "2020-02-02", {"location": "eastus", "kind": "web",
                                                    "properties": {"Application_Type": "web"}})
    ml = emulator.client(MachineLearningServicesMgmtClient, ML)
    ml.workspaces.begin_create_or_update(rg_name, "mlw-dsdef", {
        "location": "eastus", "identity": {"type": "SystemAssigned"},
        "properties": {"storageAccount": sa, "keyVault": kv, "applicationInsights": ai}}).result()
    ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-dsdef"
    for name in ("aaa-first-by-name", "zzz-extra"):        # non-default ones, first by name
        _arm(emulator, token, "PUT", f"{ws}/datastores/{name}", ML, {"properties": {
            "datastoreType": "AzureBlob", "accountName": f"stdsdef{suffix}",
            "containerName": name, "credentials": {"credentialsType": "None"}}})
    every = {d.name: d.properties.is_default for d in ml.datastores.list(rg_name, "mlw-dsdef")}
    assert every["aaa-first-by-name"] is False and len(every) >= 2
    default = [d.name for d in ml.datastores.list(rg_name, "mlw-dsdef", is_default=True)]
    others = [d.name for d in ml.datastores.list(rg_name, "mlw-dsdef", is_default=False)]
    # the two lists split the datastores by their isDefault, and there is one default at most
    assert sorted(default + others) == sorted(every)
    assert all(every[n] for n in default) and not any(every[n] for n in others)
    assert "aaa-first-by-name" in others
    assert default == ["workspaceblobstore"]         # Azure ML's default for a new workspace
    assert [d.name for d in ml.datastores.list(rg_name, "mlw-dsdef", names=["zzz-extra"])] == \
        ["zzz-extra"]


# ----------------------------------------------------------------- in process (the engine)
@pytest.fixture
def emu(tmp_path):
    e = Emulator(str(tmp_path), lro_delay=0.0, strict_responses=True)
    e.bind("https://127.0.0.1:1")
    d = e.directory
    token = d.issue("i", "https://management.azure.com/", d.principal(d.principal_object_id))

    def call(method, path, api, body=None, query=None):
        q = {"api-version": [api]}
        q.update({k: [v] for k, v in (query or {}).items()})
        status, _h, out = e.engine.handle(method, path, q, {"authorization": "Bearer " + token},
                                          json.dumps(body).encode() if body is not None else b"")
        return status, out

    e.call = call
    e.rg = f"/subscriptions/{d.subscription_id}/resourceGroups/rg"
    assert call("PUT", e.rg, RG_API, {"location": "eastus"})[0] == 201
    yield e
    log = tmp_path / "violations.log"
    assert not (log.exists() and log.read_text().strip()), log.read_text()


def test_tracked_resources_need_a_location(emu):
    ws = emu.rg + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-noloc"
    for body in ({"properties": {}}, {"location": "", "properties": {}},
                 {"location": None, "properties": {}}):
        status, out = emu.call("PUT", ws, ML, body)
        assert (status, out) == (400, {"error": {
            "code": "LocationRequired",
            "message": "The location property is required for this definition."}}), out
    assert emu.store.get(ws) is None
    # the same for a type whose schema requires location, and for a resource group
    sa = emu.rg + "/providers/Microsoft.Storage/storageAccounts/stnoloc"
    status, out = emu.call("PUT", sa, "2023-01-01", {"kind": "StorageV2",
                                                     "sku": {"name": "Standard_LRS"}})
    assert status == 400 and out["error"]["code"] == "LocationRequired"
    rg2 = emu.rg + "2"
    assert emu.call("PUT", rg2, RG_API, {})[1]["error"]["code"] == "LocationRequired"
    assert emu.store.get(sa) is None and emu.store.get(rg2) is None
    # PATCH needs none; child resources without a location in their schema are unaffected
    assert emu.call("PATCH", emu.rg, RG_API, {"tags": {"a": "b"}})[0] == 200


def _datastore(emu, ws, name, default=False, created="2024-01-01T00:00:00Z"):
    """A datastore row as the ML provider stores it (isDefault is read-only over ARM)."""
    rid = f"{ws}/datastores/{name}"
    emu.store.put(rid, {"id": rid, "name": name,
                        "type": "Microsoft.MachineLearningServices/workspaces/datastores",
                        "systemData": {"createdAt": created, "lastModifiedAt": created},
                        "properties": {"datastoreType": "AzureBlob", "isDefault": default,
                                       "accountName": "acct", "containerName": name,
                                       "credentials": {"credentialsType": "None"}}})


def _version(emu, ws, model, version, created, tags=None, props=None, archived=False):
    rid = f"{ws}/models/{model}/versions/{version}"
    emu.store.put(rid, {"id": rid, "name": version,
                        "type": "Microsoft.MachineLearningServices/workspaces/models/versions",
                        "systemData": {"createdAt": created, "lastModifiedAt": created},
                        "properties": {"tags": tags or {}, "properties": props or {},
                                       "isArchived": archived}})


def _names(resp):
    status, out = resp
    assert status == 200, out
    return [r["name"] for r in out["value"]]


def test_datastore_list_filters_and_paging(emu):
    ws = emu.rg + "/providers/Microsoft.MachineLearningServices/workspaces/mlw"
    emu.store.put(ws, {"id": ws, "name": "mlw", "location": "eastus",
                       "type": "Microsoft.MachineLearningServices/workspaces"})
    for i, name in enumerate(("alpha", "beta", "gamma", "delta")):
        _datastore(emu, ws, name, default=(name == "gamma"), created=f"2024-01-0{i + 1}T00:00:00Z")
    dl = ws + "/datastores"
    assert _names(emu.call("GET", dl, ML)) == ["alpha", "beta", "delta", "gamma"]
    assert _names(emu.call("GET", dl, ML, query={"isDefault": "true"})) == ["gamma"]
    assert _names(emu.call("GET", dl, ML, query={"isDefault": "false"})) == ["alpha", "beta", "delta"]
    assert _names(emu.call("GET", dl, ML, query={"names": "beta,delta"})) == ["beta", "delta"]
    assert _names(emu.call("GET", dl, ML, query={"searchText": "ELT"})) == ["delta"]
    # orderBy: descending unless orderByAsc=true
    assert _names(emu.call("GET", dl, ML, query={"orderBy": "createdtime"})) == \
        ["delta", "gamma", "beta", "alpha"]
    assert _names(emu.call("GET", dl, ML, query={"orderBy": "name", "orderByAsc": "true"})) == \
        ["alpha", "beta", "delta", "gamma"]
    # count is the page size; $skip carries on
    status, page = emu.call("GET", dl, ML, query={"count": "3"})
    assert [r["name"] for r in page["value"]] == ["alpha", "beta", "delta"]
    skip = parse_qs(urlsplit(page["nextLink"]).query)["$skip"][0]
    assert _names(emu.call("GET", dl, ML, query={"count": "3", "$skip": skip})) == ["gamma"]


def test_model_version_list_filters(emu):
    ws = emu.rg + "/providers/Microsoft.MachineLearningServices/workspaces/mlw"
    emu.store.put(ws, {"id": ws, "name": "mlw", "location": "eastus",
                       "type": "Microsoft.MachineLearningServices/workspaces"})
    c = ws + "/models/fraud"
    emu.store.put(c, {"id": c, "name": "fraud", "properties": {},
                      "type": "Microsoft.MachineLearningServices/workspaces/models"})
    _version(emu, ws, "fraud", "1", "2024-01-01T00:00:00Z", tags={"team": "risk"})
    _version(emu, ws, "fraud", "2", "2024-01-03T00:00:00Z", tags={"team": "fraud", "ok": "1"},
             props={"auc": "0.9"})
    _version(emu, ws, "fraud", "3", "2024-01-02T00:00:00Z", archived=True)
    vl = c + "/versions"
    assert _names(emu.call("GET", vl, ML)) == ["1", "2"]                     # ActiveOnly
    assert _names(emu.call("GET", vl, ML, query={"listViewType": "ArchivedOnly"})) == ["3"]
    assert _names(emu.call("GET", vl, ML, query={"listViewType": "All"})) == ["1", "2", "3"]
    assert _names(emu.call("GET", vl, ML, query={"version": "2"})) == ["2"]
    assert _names(emu.call("GET", vl, ML, query={"tags": "team"})) == ["1", "2"]
    assert _names(emu.call("GET", vl, ML, query={"tags": "team=fraud,ok"})) == ["2"]
    assert _names(emu.call("GET", vl, ML, query={"properties": "auc=0.9"})) == ["2"]
    assert _names(emu.call("GET", vl, ML, query={"properties": "auc=0.1"})) == []
    newest_first = {"listViewType": "All", "$orderBy": "createdtime desc"}
    assert _names(emu.call("GET", vl, ML, query=newest_first)) == ["2", "3", "1"]
    assert _names(emu.call("GET", vl, ML, query=dict(newest_first, **{"$top": "2"}))) == ["2", "3"]
    assert _names(emu.call("GET", vl, ML, query={"listViewType": "All", "offset": "1"})) == \
        ["2", "3"]
