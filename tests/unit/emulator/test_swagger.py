"""Unit tests of emulator.swagger: routing, api-version resolution and the body validator."""

import json
import os
import time

import pytest

from emulator import swagger
from emulator.swagger import SpecIndex, read_only_paths, strip_for_response, strip_read_only

SPEC_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "emulator", "specs")
SUB = "00000000-1111-2222-3333-444444444444"
RG = "/subscriptions/%s/resourceGroups/rg1" % SUB
ML = RG + "/providers/Microsoft.MachineLearningServices"
ML_VERSION = "2024-04-01"


@pytest.fixture(scope="module")
def index():
    return SpecIndex(SPEC_ROOT)


def codes(errors):
    return [e.code for e in errors]


# -- loading and api-versions -------------------------------------------------------------------

def test_loads_fast_and_knows_the_providers(index):
    start = time.perf_counter()
    SpecIndex(SPEC_ROOT)
    assert time.perf_counter() - start < 2.0
    assert index.providers() == {
        "Microsoft.MachineLearningServices": {"2024-04-01"},
        "Microsoft.ContainerRegistry": {"2023-07-01"},
        "Microsoft.Resources": {"2021-04-01"},
        "Microsoft.Storage": {"2023-01-01"},
        "Microsoft.KeyVault": {"2023-07-01"},
        "Microsoft.Insights": {"2020-02-02"},
        "Microsoft.Authorization": {"2022-04-01"},
        "Microsoft.Network": {"2022-04-01"},
    }


def test_resolve_api_version(index):
    assert index.resolve_api_version("Microsoft.MachineLearningServices", "2024-04-01") == ("2024-04-01", True)
    # namespaces and versions are case-insensitive in ARM
    assert index.resolve_api_version("microsoft.machinelearningservices", "2024-04-01") == ("2024-04-01", True)
    # real versions that official clients send, validated against the closest spec on hand
    for version in ("2023-04-01", "2023-08-01-preview", "2024-10-01-preview", "2025-01-01-preview"):
        assert index.resolve_api_version("Microsoft.MachineLearningServices", version) == ("2024-04-01", False)
    assert index.resolve_api_version("Microsoft.Storage", "2026-09-01") == ("2023-01-01", False)
    assert index.resolve_api_version("Microsoft.KeyVault", "2026-05-15") == ("2023-07-01", False)
    assert index.resolve_api_version("Microsoft.ContainerRegistry", "2025-11-01") == ("2023-07-01", False)
    assert index.resolve_api_version("Microsoft.Resources", "2025-04-01") == ("2021-04-01", False)
    # fake versions and unknown providers
    assert index.resolve_api_version("Microsoft.MachineLearningServices", "2024-04-02") is None
    assert index.resolve_api_version("Microsoft.MachineLearningServices", "banana") is None
    assert index.resolve_api_version("Microsoft.Compute", "2024-07-01") is None


def test_sdk_default_versions_are_known():
    # the api-versions the installed official SDKs default to must be accepted
    for ns, version in (("Microsoft.Storage", "2026-09-01"), ("Microsoft.KeyVault", "2026-05-15"),
                        ("Microsoft.ContainerRegistry", "2025-11-01"), ("Microsoft.Resources", "2025-04-01"),
                        ("Microsoft.MachineLearningServices", "2023-04-01"),
                        ("Microsoft.Insights", "2020-02-02"), ("Microsoft.Authorization", "2022-04-01")):
        assert version in swagger.KNOWN_API_VERSIONS[ns]


# -- matching -----------------------------------------------------------------------------------

def test_match_workspace_put(index):
    m = index.match("PUT", ML + "/workspaces/ws1", ML_VERSION)
    assert m.operation_id == "Workspaces_CreateOrUpdate"
    assert m.path_params == {"subscriptionId": SUB, "resourceGroupName": "rg1", "workspaceName": "ws1"}
    assert m.namespace == "Microsoft.MachineLearningServices"
    assert m.resource_type == "Microsoft.MachineLearningServices/workspaces"
    assert m.is_lro and m.exact_version
    assert m.success_codes == [200, 202]
    assert m.body_parameter["in"] == "body" and m.body_parameter["required"]
    assert m.response_schema(200) is not None
    assert m.response_schema(500) is not None  # 'default' (ErrorResponse)


def test_match_details(index):
    m = index.match("GET", ML + "/workspaces/ws1/models/m1/versions", ML_VERSION)
    assert m.operation_id == "ModelVersions_List"
    assert m.resource_type == "Microsoft.MachineLearningServices/workspaces/models/versions"
    assert m.pageable == {"nextLinkName": "nextLink", "itemName": "value"}
    assert not m.is_lro
    assert {p["name"] for p in m.parameters} >= {"subscriptionId", "workspaceName", "name", "api-version", "$skip"}
    m = index.match("POST", ML + "/workspaces/ws1/diagnose", ML_VERSION)
    assert m.is_lro and m.final_state_via == "location"


def test_match_is_case_insensitive_on_literals_and_decodes_params(index):
    path = "/SUBSCRIPTIONS/%s/resourcegroups/rg1/providers/microsoft.machinelearningservices/WORKSPACES/ws%%2D1" % SUB
    m = index.match("get", path, ML_VERSION)
    assert m.operation_id == "Workspaces_Get"
    assert m.path_params["workspaceName"] == "ws-1"


def test_match_prefers_more_literal_segments(index):
    # '/{scope}/providers/Microsoft.Authorization/roleAssignments' also matches a resource
    # group scope, but the resource group route has more literal segments
    m = index.match("GET", RG + "/providers/Microsoft.Authorization/roleAssignments", "2022-04-01")
    assert m.operation_id == "RoleAssignments_ListForResourceGroup"
    # a scope spanning several segments
    m = index.match("PUT", ML + "/workspaces/ws1/providers/Microsoft.Authorization/roleAssignments/"
                    "11111111-2222-3333-4444-555555555555", "2022-04-01")
    assert m.operation_id == "RoleAssignments_Create"
    assert m.path_params["scope"] == RG[1:] + "/providers/Microsoft.MachineLearningServices/workspaces/ws1"
    # literal action beats a {name} segment
    m = index.match("POST", ML + "/workspaces/ws1/listKeys", ML_VERSION)
    assert m.operation_id == "Workspaces_ListKeys"


def test_match_api_versions(index):
    path = ML + "/workspaces/ws1/models/m1/versions/1"
    assert index.match("GET", path, "2099-01-01") is None
    assert index.match("GET", path, "not-a-version") is None
    assert index.match("GET", path, None) is None
    m = index.match("GET", path, "2023-08-01-preview")  # what azure-ai-ml sends for models
    assert m.operation_id == "ModelVersions_Get"
    assert m.exact_version is False and m.spec_api_version == ML_VERSION
    # no fallback to Microsoft.Resources' generic route for a bad Storage version
    assert index.match("GET", RG + "/providers/Microsoft.Storage/storageAccounts/sa1", "2019-10-01") is None


def test_match_any_version_and_misc(index):
    m = index.match_any_version("GET", ML + "/workspaces/ws1")
    assert m.operation_id == "Workspaces_Get" and m.exact_version is False
    assert index.match_any_version("GET", RG + "/providers/Microsoft.MachineLearningServices/nothing/x") is None
    assert index.allowed_methods(ML + "/workspaces/ws1") == ["DELETE", "GET", "PATCH", "PUT"]
    assert swagger.path_namespace(ML + "/workspaces/ws1") == "Microsoft.MachineLearningServices"
    assert swagger.path_namespace(RG) == "Microsoft.Resources"
    assert index.match("GET", RG, "2021-04-01").resource_type == "Microsoft.Resources/resourceGroups"
    assert index.match("DELETE", ML + "/workspaces/ws1/nothing", ML_VERSION) is None


def test_every_route_matches_its_own_template(index):
    seen = 0
    for spec_file, doc in index._docs.items():
        for template, item in (doc.get("paths") or {}).items():
            segs = template.strip("/").split("/")
            if all(s.startswith("{") for s in segs):
                continue  # '/{resourceId}' conveniences are not routed
            url = "/" + "/".join("v%d" % i if s.startswith("{") else s for i, s in enumerate(segs))
            for method in item:
                if method not in swagger._METHODS:
                    continue
                m = index.match_any_version(method, url)
                assert m is not None and m.path_template == template, (method, template, m)
                exact = index.match(method, url, m.spec_api_version)
                assert exact.path_template == template and exact.exact_version
                seen += 1
    assert seen > 400


def test_matching_is_fast(index):
    path = ML + "/workspaces/ws1/computes/c1"
    start = time.perf_counter()
    for _unused in range(1000):
        index.match("PUT", path, ML_VERSION)
    assert (time.perf_counter() - start) / 1000 < 0.0005


# -- request validation -------------------------------------------------------------------------

def model_version_put(index, version=ML_VERSION):
    return index.match("PUT", ML + "/workspaces/ws1/models/m1/versions/1", version)


def test_valid_body(index):
    m = model_version_put(index)
    assert m.validate_request({}, {"properties": {"description": "d", "modelUri": "azureml://x",
                                                  "tags": {"a": "b"}, "isArchived": False}}) == []


def test_wrong_type(index):
    errors = model_version_put(index).validate_request({}, {"properties": {"isArchived": "yes"}})
    assert codes(errors) == ["INVALID_TYPE"]
    assert errors[0].path == "/properties/isArchived"
    assert errors[0].message.startswith("properties.isArchived: expected boolean")


def test_missing_required_body_and_property(index):
    m = model_version_put(index)
    assert codes(m.validate_request({}, None)) == ["REQUIRED_PARAMETER_MISSING"]
    errors = m.validate_request({}, {})
    assert codes(errors) == ["OBJECT_MISSING_REQUIRED_PROPERTY"] and errors[0].path == "/properties"
    # an ACR registry needs a sku
    m = index.match("PUT", RG + "/providers/Microsoft.ContainerRegistry/registries/acrone1", "2023-07-01")
    errors = m.validate_request({}, {"location": "westus"})
    assert codes(errors) == ["OBJECT_MISSING_REQUIRED_PROPERTY"] and errors[0].path == "/sku"


def test_enum_non_extensible_vs_extensible(index):
    m = index.match("POST", RG + "/providers/Microsoft.ContainerRegistry/registries/acrone1/regenerateCredential",
                    "2023-07-01")
    errors = m.validate_request({}, {"name": "password3"})
    assert codes(errors) == ["ENUM_MISMATCH"]
    assert errors[0].message == "name: value 'password3' is not one of ['password', 'password2']"
    assert m.validate_request({}, {"name": "PASSWORD2"}) == []  # ARM compares case-insensitively
    # ACR sku name is modelAsString (extensible): unknown values pass
    m = index.match("PUT", RG + "/providers/Microsoft.ContainerRegistry/registries/acrone1", "2023-07-01")
    assert m.validate_request({}, {"location": "westus", "sku": {"name": "Ultra"}}) == []


def test_path_parameter_pattern_and_length(index):
    errors = index.match("GET", ML + "/workspaces/bad%20name!", ML_VERSION).validate_request({}, None)
    assert codes(errors) == ["PATTERN"] and errors[0].path == "path:workspaceName"
    assert "bad name!" in errors[0].message
    errors = index.match("GET", ML + "/workspaces/" + "w" * 40, ML_VERSION).validate_request({}, None)
    assert codes(errors) == ["PATTERN"]  # the pattern caps workspace names at 33 characters
    long_rg = "/subscriptions/%s/resourceGroups/%s" % (SUB, "r" * 91)
    errors = index.match("GET", long_rg + "/providers/Microsoft.MachineLearningServices/workspaces/ws1",
                         ML_VERSION).validate_request({}, None)
    assert codes(errors) == ["MAX_LENGTH"] and errors[0].path == "path:resourceGroupName"


def test_query_parameters(index):
    m = index.match("GET", ML + "/workspaces/ws1/models/m1/versions", ML_VERSION)
    assert m.validate_request({"$top": "5", "api-version": ML_VERSION}, None) == []
    errors = m.validate_request({"$top": "five"}, None)
    assert codes(errors) == ["INVALID_TYPE"] and errors[0].path == "query:$top"
    m = index.match("GET", RG + "/providers/Microsoft.Authorization/roleAssignments", "2022-04-01")
    assert m.validate_request({"$filter": "atScope()"}, None) == []


def test_unknown_discriminator_value(index):
    m = index.match("PUT", ML + "/workspaces/ws1/computes/c1", ML_VERSION)
    errors = m.validate_request({}, {"location": "eastus", "properties": {"computeType": "Bogus"}})
    assert codes(errors) == ["DISCRIMINATOR_VALUE_NOT_FOUND"]
    assert errors[0].path == "/properties/computeType"


def test_discriminator_selects_child(index):
    m = index.match("PUT", ML + "/workspaces/ws1/computes/c1", ML_VERSION)
    ok = {"properties": {"computeType": "AmlCompute",
                         "properties": {"vmSize": "STANDARD_NC6", "scaleSettings": {"maxNodeCount": 1}}}}
    assert m.validate_request({}, ok) == []
    # AmlCompute's nested properties are checked: maxNodeCount must be an integer
    bad = {"properties": {"computeType": "amlcompute",
                          "properties": {"scaleSettings": {"maxNodeCount": "1"}}}}
    errors = m.validate_request({}, bad)
    assert codes(errors) == ["INVALID_TYPE"]
    assert errors[0].path == "/properties/properties/scaleSettings/maxNodeCount"
    # 'agentCount' belongs to AKS, not AmlCompute
    bad = {"properties": {"computeType": "AmlCompute", "properties": {"agentCount": 2}}}
    assert codes(m.validate_request({}, bad)) == ["OBJECT_ADDITIONAL_PROPERTIES"]


def test_unknown_property_exact_vs_closest_version(index):
    body = {"properties": {"description": "d", "brandNewSetting": True}, "extra": 1}
    errors = model_version_put(index).validate_request({}, body)
    assert sorted(e.path for e in errors) == ["/extra", "/properties/brandNewSetting"]
    assert set(codes(errors)) == {"OBJECT_ADDITIONAL_PROPERTIES"}
    newer = model_version_put(index, "2024-10-01-preview")
    assert newer.exact_version is False
    assert newer.validate_request({}, body) == []
    # the closest spec still applies to what it does know
    assert codes(newer.validate_request({}, {"properties": {"isArchived": 1}})) == ["INVALID_TYPE"]


def test_read_only_properties_are_accepted_and_ignored(index):
    m = index.match("PUT", ML + "/workspaces/ws1", ML_VERSION)
    body = {
        "id": "/whatever", "name": "ws1", "type": "Microsoft.MachineLearningServices/workspaces",
        "systemData": {"createdBy": "someone", "createdAt": "not even a date"},
        "location": "eastus",
        "properties": {"friendlyName": "fn", "provisioningState": "Succeeded", "workspaceId": 12},
    }
    assert m.validate_request({}, body) == []
    stripped = strip_read_only(m, body)
    assert stripped == {"location": "eastus", "properties": {"friendlyName": "fn"}}
    assert sorted(read_only_paths(m, body)) == sorted(
        ["/id", "/name", "/type", "/systemData", "/properties/provisioningState", "/properties/workspaceId"])
    assert body["properties"]["provisioningState"] == "Succeeded"  # a copy, not in place


def test_null_handling_on_real_specs(index):
    m = model_version_put(index)
    errors = m.validate_request({}, {"properties": None})  # required, not x-nullable
    assert codes(errors) == ["INVALID_TYPE"] and "null is not allowed" in errors[0].message
    assert m.validate_request({}, {"properties": {"description": None}}) == []  # x-nullable: true
    assert codes(m.validate_request({}, None)) == ["REQUIRED_PARAMETER_MISSING"]


def test_formats(index):
    m = index.match("PUT", ML + "/workspaces/ws1/computes/c1", ML_VERSION)

    def aml(settings):
        return {"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": settings}}}
    assert m.validate_request({}, aml({"maxNodeCount": 1, "nodeIdleTimeBeforeScaleDown": "PT5M"})) == []
    errors = m.validate_request({}, aml({"maxNodeCount": 1, "nodeIdleTimeBeforeScaleDown": "five minutes"}))
    assert codes(errors) == ["INVALID_FORMAT"]
    errors = m.validate_request({}, aml({"maxNodeCount": 2 ** 40}))
    assert codes(errors) == ["INVALID_FORMAT"]  # int32 overflow


# -- response validation ------------------------------------------------------------------------

def test_response_codes_and_error_bodies(index):
    m = index.match("GET", ML + "/workspaces/ws1", ML_VERSION)
    assert codes(m.validate_response(201, {})) == ["INVALID_RESPONSE_CODE"]
    error = {"error": {"code": "ResourceNotFound", "message": "nope"}}
    assert m.validate_response(404, error) == []
    assert codes(m.validate_response(404, {"code": "ResourceNotFound"})) == ["OBJECT_ADDITIONAL_PROPERTIES"]
    d = index.match("DELETE", ML + "/workspaces/ws1", ML_VERSION)
    assert d.validate_response(202, None) == []
    assert codes(d.validate_response(204, {"unexpected": True})) == ["INVALID_RESPONSE_BODY"]


def test_response_read_only_allowed_unknown_refused(index):
    m = index.match("GET", ML + "/workspaces/ws1/models/m1/versions/1", ML_VERSION)
    body = {"id": ML + "/workspaces/ws1/models/m1/versions/1", "name": "1",
            "type": "Microsoft.MachineLearningServices/workspaces/models/versions",
            "properties": {"provisioningState": "Succeeded", "description": "d"}}
    assert m.validate_response(200, body) == []
    body["properties"]["surprise"] = 1
    assert codes(m.validate_response(200, body)) == ["OBJECT_ADDITIONAL_PROPERTIES"]
    del body["properties"]
    assert codes(m.validate_response(200, body)) == ["OBJECT_MISSING_REQUIRED_PROPERTY"]


def test_write_only_secrets_are_refused_in_responses_and_stripped(index):
    m = index.match("PUT", ML + "/workspaces/ws1/datastores/ds1", ML_VERSION)
    stored = {"properties": {"datastoreType": "AzureBlob", "accountName": "sa", "containerName": "c",
                             "credentials": {"credentialsType": "AccountKey",
                                             "secrets": {"secretsType": "AccountKey", "key": "k3y"}}}}
    assert m.validate_request({}, stored) == []
    assert codes(m.validate_response(200, stored)) == ["WRITEONLY_PROPERTY_NOT_ALLOWED_IN_RESPONSE"]
    shown = strip_for_response(m, 200, stored)
    assert shown["properties"]["credentials"] == {"credentialsType": "AccountKey"}
    assert m.validate_response(200, shown) == []
    # POST actions (listSecrets) may return secrets
    ls = index.match("POST", ML + "/workspaces/ws1/datastores/ds1/listSecrets", ML_VERSION)
    assert ls.validate_response(200, {"secretsType": "AccountKey", "key": "k3y"}) == []


def test_validation_is_fast(index):
    m = index.match("PUT", ML + "/workspaces/ws1/computes/c1", ML_VERSION)
    body = {"location": "eastus", "properties": {
        "computeType": "AmlCompute", "description": "d",
        "properties": {"vmSize": "STANDARD_NC6", "scaleSettings": {"maxNodeCount": 1, "minNodeCount": 0}}}}
    m.validate_request({}, body)
    start = time.perf_counter()
    for _unused in range(1000):
        assert m.validate_request({}, body) == []
    assert (time.perf_counter() - start) / 1000 < 0.001


# -- a synthetic spec: x-nullable, x-ms-paths, cross-file refs, several versions ---------------

def _write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(doc, fh)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("specs")
    base = os.path.join(str(root), "specification", "widget", "resource-manager", "Microsoft.MachineLearningServices")
    common = os.path.join(str(root), "specification", "common", "shared.json")
    _write(common, {"swagger": "2.0", "definitions": {"Error": {"type": "object", "properties": {
        "code": {"type": "string"}}}}})
    for folder, version in (("stable", "2023-04-01"), ("preview", "2024-07-01-preview")):
        _write(os.path.join(base, folder, version, "widget.json"), {
            "swagger": "2.0", "info": {"version": version},
            "paths": {},
            "x-ms-paths": {
                "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/widgets/{name}?kind=w": {
                    "put": {"operationId": "Widgets_Put",
                            "parameters": [{"name": "sub", "in": "path", "required": True, "type": "string"},
                                           {"name": "name", "in": "path", "required": True, "type": "string"},
                                           {"name": "body", "in": "body", "required": True,
                                            "schema": {"$ref": "#/definitions/Widget"}}],
                            "responses": {"200": {"schema": {"$ref": "#/definitions/Widget"}},
                                          "default": {"schema": {"$ref": "../../../../../common/shared.json#/definitions/Error"}}}}}},
            "definitions": {"Widget": {"type": "object", "required": ["a", "b"], "properties": {
                "a": {"type": "string"},
                "b": {"type": "string", "x-nullable": True},
                "c": {"type": "string"},
                "d": {"type": "string", "x-nullable": False},
                "items": {"type": "array", "uniqueItems": True, "maxItems": 2, "items": {"type": "integer", "minimum": 1}},
            }}},
        })
    return SpecIndex(str(root))


def test_synthetic_x_nullable(synthetic):
    m = synthetic.match("PUT", "/subscriptions/s/providers/Microsoft.MachineLearningServices/widgets/w1",
                        "2023-04-01")
    assert m.operation_id == "Widgets_Put" and m.exact_version
    assert m.validate_request({}, {"a": "x", "b": None, "c": None}) == []  # x-nullable / optional
    errors = m.validate_request({}, {"a": None, "b": "y"})  # required and not x-nullable
    assert codes(errors) == ["INVALID_TYPE"] and errors[0].path == "/a"
    errors = m.validate_request({}, {"a": "x", "b": "y", "d": None})  # optional but x-nullable: false
    assert codes(errors) == ["INVALID_TYPE"] and errors[0].path == "/d"
    assert codes(m.validate_request({}, None)) == ["REQUIRED_PARAMETER_MISSING"]
    assert codes(m.validate_response(400, {"code": 5})) == ["INVALID_TYPE"]  # cross-file default


def test_synthetic_arrays(synthetic):
    m = synthetic.match("PUT", "/subscriptions/s/providers/Microsoft.MachineLearningServices/widgets/w1",
                        "2023-04-01")
    assert m.validate_request({}, {"a": "x", "b": "y", "items": [1, 2]}) == []
    assert codes(m.validate_request({}, {"a": "x", "b": "y", "items": [1, 1]})) == ["ARRAY_UNIQUE"]
    assert codes(m.validate_request({}, {"a": "x", "b": "y", "items": [1, 2, 3]})) == ["ARRAY_LENGTH_LONG"]
    errors = m.validate_request({}, {"a": "x", "b": "y", "items": [0]})
    assert codes(errors) == ["MINIMUM"] and errors[0].path == "/items/0"
    assert errors[0].message.startswith("items[0]: ")


def test_synthetic_closest_version(synthetic):
    assert synthetic.providers() == {"Microsoft.MachineLearningServices": {"2023-04-01", "2024-07-01-preview"}}
    assert synthetic.resolve_api_version("Microsoft.MachineLearningServices", "2024-07-01-preview") == (
        "2024-07-01-preview", True)
    assert synthetic.resolve_api_version("Microsoft.MachineLearningServices", "2024-10-01-preview") == (
        "2024-07-01-preview", False)
    assert synthetic.resolve_api_version("Microsoft.MachineLearningServices", "2022-10-01") == (
        "2023-04-01", False)
    m = synthetic.match("PUT", "/subscriptions/s/providers/Microsoft.MachineLearningServices/widgets/w1",
                        "2024-04-01")  # closer to 2024-07-01-preview than to 2023-04-01
    assert m.spec_api_version == "2024-07-01-preview" and not m.exact_version
