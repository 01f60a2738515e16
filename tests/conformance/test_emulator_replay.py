"""The emulator against the specs' own examples, over HTTPS.

Every ``x-ms-examples`` request of the operations the emulator serves generically (PUT, GET,
PATCH, DELETE and lists of ML workspaces, computes, asset containers/versions, datastores, jobs,
online endpoints, registries; ACR registries and replications) is replayed against a running
emulator: path parameters mapped into our subscription and a fresh resource group, parents
created first (from the PUT examples of their types), then the request sent with a real bearer
token. The emulator's answer must use a status code the spec documents and its body must
validate against the documented response schema with zero errors. LROs are polled to the end.

Exceptions (spec gaps, not emulator bugs) are listed in EXCEPTIONS with a one-line reason.
"""

import itertools
import json
import os
import time
import urllib.parse

import pytest
import requests

from emulator import regions, swagger

SPEC_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "emulator", "specs")
INDEX = swagger.SpecIndex(SPEC_ROOT)

ML_OPS = {
    "Workspaces": ("CreateOrUpdate", "Get", "Update", "Delete", "ListByResourceGroup",
                   "ListBySubscription"),
    "Compute": ("CreateOrUpdate", "Get", "Update", "Delete", "List"),
    "Datastores": ("CreateOrUpdate", "Get", "Delete", "List"),
    "Jobs": ("CreateOrUpdate", "Get", "Delete", "List"),
    "OnlineEndpoints": ("CreateOrUpdate", "Get", "Update", "Delete", "List"),
    "Registries": ("CreateOrUpdate", "Get", "Update", "Delete", "List", "ListBySubscription"),
}
for _asset in ("Model", "Environment", "Component", "Data"):
    for _kind in ("Containers", "Versions"):
        ML_OPS[_asset + _kind] = ("CreateOrUpdate", "Get", "Delete", "List")
ACR_OPS = {
    "Registries": ("Create", "Get", "Update", "Delete", "List", "ListByResourceGroup"),
    "Replications": ("Create", "Get", "Update", "Delete", "List"),
}

# example file name (relative to its examples/ folder) -> reason it is not replayed
EXCEPTIONS = {
    "Job/delete.json": "the example's job id is a URL ('http://subscriptions/...'), which the "
                       "spec's own id pattern ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$ rejects",
}


def _wanted(spec_file, operation_id):
    group, _unused, verb = operation_id.partition("_")
    if "/Microsoft.MachineLearningServices/" in spec_file:
        return verb in ML_OPS.get(group, ())
    if "/Microsoft.ContainerRegistry/" in spec_file:
        return verb in ACR_OPS.get(group, ())
    return False


def _collect():
    cases, put_bodies = [], {}
    for spec_file, doc in sorted(INDEX._docs.items()):
        for template, item in (doc.get("paths") or {}).items():
            for method, op in item.items():
                if method not in swagger._METHODS:
                    continue
                examples = sorted((op.get("x-ms-examples") or {}).items())
                for title, ref in examples:
                    path = os.path.normpath(os.path.join(os.path.dirname(spec_file), ref["$ref"]))
                    if method == "put":
                        put_bodies.setdefault((spec_file, template), []).append(path)
                    if _wanted(spec_file, op.get("operationId", "")):
                        rel = path.split("/examples/", 1)[1]
                        cases.append(pytest.param(spec_file, template, method.upper(),
                                                  op["operationId"], path,
                                                  id="%s:%s" % (op["operationId"], rel)))
    return cases, put_bodies


CASES, PUT_EXAMPLES = _collect()
_RG_SEQ = itertools.count(1)


def _load(path):
    with open(path, encoding="utf-8-sig") as fh:
        return json.load(fh)


def _body_param(spec_file, template, method):
    item = INDEX._docs[spec_file]["paths"][template]
    for p in list(item.get("parameters", [])) + list(item[method.lower()].get("parameters", [])):
        _unused, _unused, node = INDEX._deref(spec_file, p, "")
        if node.get("in") == "body":
            return node["name"]
    return None


def _fix_location(body):
    """Examples use placeholders ('string', 'eastus2euap'); ARM wants a real region. An online
    endpoint example's traffic ({"string": 1}) names no deployment and does not sum to 100,
    which Azure refuses (emulator.providers.endpoints): sent without its split."""
    if isinstance(body, dict) and isinstance(body.get("location"), str) and \
            regions.normalize(body["location"]) not in regions.REGIONS:
        body["location"] = "eastus"
    props = body.get("properties") if isinstance(body, dict) else None
    if isinstance(props, dict) and "authMode" in props:
        for field in ("traffic", "mirrorTraffic"):
            if isinstance(props.get(field), dict) and "string" in props[field]:
                props[field] = {}
    return body


def _url(template, params):
    out = []
    for seg in template.split("?")[0].strip("/").split("/"):
        if seg.startswith("{"):
            out.append(urllib.parse.quote(str(params[seg[1:-1]]), safe=""))
        else:
            out.append(seg)
    return "/" + "/".join(out)


class Replayer:
    def __init__(self, emulator, credential):
        self.emu = emulator
        self.ep = emulator.endpoint
        self.session = requests.Session()
        self.session.verify = self.ep["ca_cert"]
        self.token = credential.get_token("https://management.azure.com/.default").token

    def call(self, method, path, api_version, body=None, query=None):
        q = dict(query or {}, **{"api-version": api_version})
        url = "%s%s?%s" % (self.ep["arm_url"], path, urllib.parse.urlencode(q))
        r = self.session.request(method, url, json=body, verify=self.ep["ca_cert"],
                                 headers={"Authorization": "Bearer " + self.token})
        return r

    def wait(self, response):
        """Follow an LRO to its end through Azure-AsyncOperation (or Location)."""
        url = response.headers.get("Azure-AsyncOperation")
        if not url:
            return None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = self.session.get(url, verify=self.ep["ca_cert"],
                                 headers={"Authorization": "Bearer " + self.token})
            assert r.status_code == 200, r.text
            status = r.json()["status"]
            if status != "InProgress":
                return status
            time.sleep(0.02)
        raise AssertionError("LRO did not finish: %s" % url)

    def ensure(self, path, api_version, body):
        r = self.call("PUT", path, api_version, body)
        assert r.status_code in (200, 201, 202), "creating parent %s: %s %s" % (
            path, r.status_code, r.text[:500])
        if r.status_code in (201, 202) or "Azure-AsyncOperation" in r.headers:
            assert self.wait(r) in (None, "Succeeded")

    def delete_group(self, rg):
        """Each case's resource group goes afterwards, so globally unique names (registries,
        vaults, storage accounts) are free again for the next case, as in Azure."""
        r = self.call("DELETE", "/subscriptions/%s/resourcegroups/%s" % (
            self.ep["subscription_id"], rg), "2021-04-01")
        assert r.status_code in (200, 202, 204, 404), r.text
        if r.status_code == 202:
            self.wait(r) if "Azure-AsyncOperation" in r.headers else self._wait_location(r)

    def _wait_location(self, response):
        url = response.headers.get("Location")
        deadline = time.monotonic() + 10
        while url and time.monotonic() < deadline:
            r = self.session.get(url, headers={"Authorization": "Bearer " + self.token})
            if r.status_code != 202:
                return
            time.sleep(0.02)


# The resources an ML workspace links to must exist (as in Azure); the examples name resources
# in another subscription, so every case links to one real set, made once in LINKS_RG.
LINKS_RG = "rg-replay-links"
WORKSPACE_LINKS = {
    "storageAccount": ("Microsoft.Storage/storageAccounts/streplaylinks", "2023-01-01",
                       lambda ep: {"location": "eastus", "kind": "StorageV2",
                                   "sku": {"name": "Standard_LRS"}}),
    "keyVault": ("Microsoft.KeyVault/vaults/kv-replay-links", "2023-07-01",
                 lambda ep: {"location": "eastus", "properties": {
                     "tenantId": ep["tenant_id"], "sku": {"family": "A", "name": "standard"}}}),
    "applicationInsights": ("Microsoft.Insights/components/ai-replay-links", "2020-02-02",
                            lambda ep: {"location": "eastus", "kind": "web",
                                        "properties": {"Application_Type": "web"}}),
    "containerRegistry": ("Microsoft.ContainerRegistry/registries/acrreplaylinks", "2023-07-01",
                          lambda ep: {"location": "eastus", "sku": {"name": "Premium"}}),
}


def _link_ids(ep):
    base = "/subscriptions/%s/resourceGroups/%s/providers/" % (ep["subscription_id"], LINKS_RG)
    return {prop: base + rel for prop, (rel, _unused, _unused) in WORKSPACE_LINKS.items()}


def _localize_links(body, links):
    """Point a workspace body's linked resources at the real ones in LINKS_RG."""
    props = body.get("properties") if isinstance(body, dict) else None
    if isinstance(props, dict):
        for prop, rid in links.items():
            if props.get(prop):
                props[prop] = rid
    return body


@pytest.fixture(scope="module")
def replayer(emulator, arm_credential):
    rp = Replayer(emulator, arm_credential)
    r = rp.call("PUT", "/subscriptions/%s/resourcegroups/%s" % (
        rp.ep["subscription_id"], LINKS_RG), "2021-04-01", {"location": "eastus"})
    assert r.status_code in (200, 201), r.text
    rp.links = _link_ids(rp.ep)
    for prop, (rel, api, body) in WORKSPACE_LINKS.items():
        rp.ensure(rp.links[prop], api, body(rp.ep))
    yield rp
    rp.delete_group(LINKS_RG)


def _ancestors(path):
    """Resource paths strictly above ``path`` and below the resource group, top first."""
    segs = path.strip("/").split("/")
    out = []
    # /subscriptions/s/resourceGroups/rg/providers/NS/t1/n1/t2/n2 ...
    if len(segs) < 4 or segs[2].lower() != "resourcegroups":
        return out
    base = segs[:6]          # up to providers/NS
    rest = segs[6:]
    for i in range(2, len(rest) + 1, 2):
        if i < len(rest):
            out.append("/" + "/".join(base + rest[:i]))
    return out


_DISCRIMINATORS = ("computeType", "jobType", "datastoreType", "dataType", "kind", "endpointComputeType")


def _discriminators(body, prefix=""):
    out = set()
    if isinstance(body, dict):
        for k, v in body.items():
            if k in _DISCRIMINATORS and isinstance(v, str):
                out.add((k, v))
            elif isinstance(v, dict):
                out |= _discriminators(v, prefix + k + ".")
    return out


def _seed_body(path, api_version, like=None):
    """A valid PUT body for the resource at ``path``, from a PUT example of its type: the one
    most like ``like`` (an example file: same file name, same discriminators), else the first."""
    match = INDEX.match("PUT", path, api_version)
    assert match is not None, "no PUT route for %s" % path
    candidates = PUT_EXAMPLES.get((match.spec_file, match.path_template))
    assert candidates, "no PUT example for %s" % match.path_template
    example_file = candidates[0]
    if like is not None:
        want = _load(like)
        want_disc = _discriminators(want.get("parameters")) | set().union(*(
            _discriminators(r.get("body")) for r in want.get("responses", {}).values()))

        def score(candidate):
            disc = _discriminators(_load(candidate).get("parameters"))
            return (len(disc & want_disc), os.path.basename(candidate) == os.path.basename(like))
        example_file = max(candidates, key=score)
    ex = _load(example_file)
    name = _body_param(match.spec_file, match.path_template, "PUT")
    return _fix_location(json.loads(json.dumps(ex["parameters"][name])))


@pytest.mark.parametrize("spec_file,template,method,operation_id,example_file", CASES)
def test_example_replay(replayer, spec_file, template, method, operation_id, example_file):
    rel = example_file.split("/examples/", 1)[1]
    if rel in EXCEPTIONS:
        pytest.skip(EXCEPTIONS[rel])
    ex = _load(example_file)
    params = dict(ex["parameters"])
    api = params["api-version"]
    rg = "rg-replay-%d" % next(_RG_SEQ)
    params["subscriptionId"] = replayer.ep["subscription_id"]
    if "resourceGroupName" in params:
        params["resourceGroupName"] = rg
    path = _url(template, params)
    r = replayer.call("PUT", "/subscriptions/%s/resourcegroups/%s" % (
        replayer.ep["subscription_id"], rg), "2021-04-01", {"location": "eastus"})
    assert r.status_code in (200, 201), r.text
    try:
        _replay(replayer, spec_file, template, method, operation_id, example_file, params, api,
                path)
    finally:
        replayer.delete_group(rg)


def _replay(replayer, spec_file, template, method, operation_id, example_file, params, api, path):
    for parent in _ancestors(path):
        seed = _localize_links(_seed_body(parent, api), replayer.links)
        if "/replications/" in path.lower() and parent.lower().endswith(
                path.lower().split("/replications/")[0].rsplit("/", 1)[-1]):
            seed["sku"] = {"name": "Premium"}        # geo-replication is Premium-only
        replayer.ensure(parent, api, seed)
    if method in ("GET", "PATCH", "DELETE") and template.rstrip("/").endswith("}"):
        replayer.ensure(path, api, _localize_links(_seed_body(path, api, like=example_file),
                                                   replayer.links))
    body = None
    name = _body_param(spec_file, template, method)
    if name and name in params:
        body = _localize_links(_fix_location(json.loads(json.dumps(params[name]))),
                               replayer.links)
    match = INDEX.match(method, path, api)
    assert match is not None and match.operation_id == operation_id
    query = {}
    for p in match.parameters:
        if p.get("in") == "query" and p["name"] != "api-version" and p["name"] in params:
            query[p["name"]] = params[p["name"]]
    resp = replayer.call(method, path, api, body, query)
    payload = resp.json() if resp.content else None
    assert resp.status_code in match.success_codes, "%s %s -> %s %s" % (
        method, path, resp.status_code, json.dumps(payload)[:1500])
    errors = match.validate_response(resp.status_code, payload)
    assert errors == [], [str(e) for e in errors]
    if match.is_lro:
        assert replayer.wait(resp) in (None, "Succeeded")
