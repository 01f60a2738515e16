"""Online endpoints and deployments on plain dicts: asset references (name:version -> the workspace's ARM ID,
registry URIs, another workspace's asset refused), input checks naming the option, the endpoint's traffic
(unknown deployments, zero shares), and the deployment's decision table (scale PATCH vs PUT, fixed
instance_type, delete refused while it gets traffic)."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.endpoint_plan import (
    PlanError,
    auth_mode_option,
    deployment_input_errors,
    endpoint_input_errors,
    environment_variables,
    input_errors,
    parse_reference,
    plan_deployment,
    plan_endpoint,
    references_to_check,
    resolve_reference,
    same_reference,
)

SUB = "00000000-0000-0000-0000-000000000001"
WS_ID = "/subscriptions/%s/resourceGroups/rg-a/providers/Microsoft.MachineLearningServices/workspaces/mlw-a" % SUB
MODEL_ID = WS_ID + "/models/fraud/versions/3"
ENV_ID = WS_ID + "/environments/serve/versions/7"


def resolve(value, option="model"):
    return resolve_reference(value, option, SUB, "rg-a", "mlw-a")


# ------------------------------------------------------------------------------------------- references

def test_short_reference_becomes_the_workspace_arm_id():
    rid, ref = resolve("fraud:3")
    assert rid == MODEL_ID
    assert (ref["form"], ref["owner"], ref["name"], ref["version"]) == ("arm", "mlw-a", "fraud", "3")
    assert ref["kind"] == "models"
    assert resolve("azureml:fraud:3")[0] == MODEL_ID
    assert resolve("serve:7", "environment")[0] == ENV_ID


def test_arm_ids_are_taken_as_they_are_without_prefix_or_trailing_slash():
    assert resolve("azureml:" + MODEL_ID)[0] == MODEL_ID
    assert resolve(MODEL_ID + "/")[0] == MODEL_ID
    upper = MODEL_ID.replace("resourceGroups/rg-a", "resourcegroups/RG-A")
    assert resolve(upper)[0] == upper  # same workspace whatever the case


def test_registry_references_pass_through():
    uri = "azureml://registries/shared-reg/models/fraud/versions/3"
    rid, ref = resolve(uri)
    assert rid == uri and ref["form"] == "registry" and ref["owner"] == "shared-reg"
    label = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"
    assert resolve(label, "environment")[1]["label"] == "latest"


def test_another_workspaces_asset_is_refused_naming_the_option():
    other = MODEL_ID.replace("/workspaces/mlw-a/", "/workspaces/mlw-b/")
    with pytest.raises(PlanError) as exc:
        resolve(other)
    assert str(exc.value).startswith("model: ") and "workspace 'mlw-b'" in str(exc.value)


@pytest.mark.parametrize("value,fragment", [
    ("fraud", "is not a model reference"),
    ("azureml:fraud", "is not a model reference"),
    ("fraud@latest", "is not a model reference"),
    (ENV_ID, "names environments, not models"),
    (WS_ID + "/models/fraud", "is not a model reference"),  # a version is needed
    ("azureml://registries/r/environments/e/versions/1", "names environments, not models"),
    ("", "expected a reference"),
])
def test_bad_references(value, fragment):
    with pytest.raises(PlanError) as exc:
        parse_reference(value, "model")
    assert str(exc.value).startswith("model: ") and fragment in str(exc.value), str(exc.value)


def test_same_reference_ignores_case_prefix_and_slash():
    assert same_reference("azureml:" + MODEL_ID.upper() + "/", MODEL_ID)
    assert same_reference(None, "")
    assert not same_reference(MODEL_ID, MODEL_ID.replace("/versions/3", "/versions/4"))


# ---------------------------------------------------------------------------------------- input checks

def test_good_inputs_have_no_errors():
    assert endpoint_input_errors(dict(name="fraud-score", workspace="mlw-a", auth_mode="aml_token",
                                      traffic={"blue": 60, "green": 40}, tags={"a": "b"}, wait_timeout=600)) == []
    assert deployment_input_errors(dict(name="blue", endpoint="fraud-score", workspace="mlw-a", model="fraud:3",
                                        environment=ENV_ID, instance_count=2, instance_type="Standard_DS3_v2",
                                        environment_variables={"N": 3, "S": "x"})) == []


@pytest.mark.parametrize("params,start", [
    (dict(name="1-endpoint"), "name: '1-endpoint' is not a valid online endpoint name"),
    (dict(name="e" * 33), "name: "),
    (dict(name="ends-with-"), "name: "),
    (dict(name="ok-name", auth_mode="Key"), "auth_mode: 'Key' is not one of"),
    (dict(name="ok-name", traffic={"blue": 60, "green": 30}), "traffic: the shares must sum to 100"),
    (dict(name="ok-name", traffic={"blue": 101}), "traffic: the share of deployment 'blue' must be a whole percent"),
    (dict(name="ok-name", traffic={"blue": "50", "green": 50}), "traffic: the share of deployment 'blue'"),
    (dict(name="ok-name", traffic=["blue"]), "traffic: expected a dict"),
    (dict(name="ok-name", wait_timeout=0), "wait_timeout: "),
])
def test_endpoint_input_errors_name_the_option(params, start):
    errors = endpoint_input_errors(params)
    assert len(errors) == 1 and errors[0].startswith(start), errors


@pytest.mark.parametrize("params,start", [
    (dict(name="blue", endpoint="bad_endpoint"), "endpoint: 'bad_endpoint' is not a valid online endpoint name"),
    (dict(name="b", endpoint="ep-a"), "name: 'b' is not a valid online deployment name"),
    (dict(name="blue", endpoint="ep-a", model="fraud"), "model: 'fraud' is not a model reference"),
    (dict(name="blue", endpoint="ep-a", environment=MODEL_ID), "environment: "),
    (dict(name="blue", endpoint="ep-a", code_id="nope"), "code_id: 'nope' is not a code reference"),
    (dict(name="blue", endpoint="ep-a", instance_count=0), "instance_count: must be a whole number of at least 1"),
    (dict(name="blue", endpoint="ep-a", instance_count=True), "instance_count: "),
    (dict(name="blue", endpoint="ep-a", environment_variables={"A": {"b": 1}}), "environment_variables: the value of 'A'"),
    (dict(name="blue", endpoint="ep-a", wait_timeout=-5), "wait_timeout: "),
])
def test_deployment_input_errors_name_the_option(params, start):
    errors = deployment_input_errors(params)
    assert len(errors) == 1 and errors[0].startswith(start), errors
    assert input_errors(params) == errors  # the dispatcher picks the deployment's checks


def test_environment_variables_are_strings():
    assert environment_variables({"N": 3, "F": 1.5, "S": "x"}) == {"N": "3", "F": "1.5", "S": "x"}
    assert environment_variables(None) is None


def test_auth_mode_option_round_trip():
    assert [auth_mode_option(v) for v in ("Key", "AMLToken", "aadtoken")] == ["key", "aml_token", "aad_token"]


# -------------------------------------------------------------------------------------------- endpoint

def endpoint(**kw):
    e = dict(id=WS_ID + "/onlineEndpoints/ep-a", name="ep-a", location="eastus", auth_mode="key",
             traffic={"blue": 100}, mirror_traffic={}, scoring_uri="https://ep-a.eastus.inference.ml.azure.com/score",
             provisioning_state="Succeeded", tags={"pair": "p"}, description="")
    e.update(kw)
    return e


def want_endpoint(**kw):
    d = dict(name="ep-a", location="eastus", auth_mode=None, description=None, tags=None, traffic=None)
    d.update(kw)
    return d


def test_endpoint_create_defaults():
    plan = plan_endpoint(want_endpoint(), None)
    assert plan["action"] == "create"
    assert (plan["after"]["auth_mode"], plan["after"]["traffic"], plan["after"]["location"]) == ("key", {}, "eastus")


def test_endpoint_new_with_traffic_names_unknown_deployments():
    with pytest.raises(PlanError) as exc:
        plan_endpoint(want_endpoint(traffic={"blue": 100}), None, deployments=[])
    assert str(exc.value).startswith("traffic: endpoint 'ep-a' has no deployment 'blue' (it has: none)")


def test_endpoint_traffic_to_an_unknown_deployment_lists_the_known_ones():
    with pytest.raises(PlanError) as exc:
        plan_endpoint(want_endpoint(traffic={"blue": 50, "grey": 50}), endpoint(), deployments=["blue", "green"])
    assert "has no deployment 'grey' (it has: blue, green)" in str(exc.value)


def test_endpoint_unset_options_keep_and_zero_shares_are_no_change():
    assert plan_endpoint(want_endpoint(), endpoint())["action"] == "none"
    same = plan_endpoint(want_endpoint(traffic={"Blue": 100, "green": 0}), endpoint(traffic={"blue": 100, "green": 0}),
                         deployments=["blue", "green"])
    assert same["action"] == "none"


def test_endpoint_traffic_and_auth_changes():
    plan = plan_endpoint(want_endpoint(traffic={"blue": 50, "green": 50}, auth_mode="aml_token"), endpoint(),
                         deployments=["blue", "green"])
    assert plan["action"] == "update"
    assert plan["changes"] == {"traffic": [{"blue": 100}, {"blue": 50, "green": 50}], "auth_mode": ["key", "aml_token"]}
    assert plan["after"]["traffic"] == {"blue": 50, "green": 50} and plan["after"]["auth_mode"] == "aml_token"
    assert plan["after"]["scoring_uri"] == endpoint()["scoring_uri"]  # the rest is kept


def test_endpoint_tags_are_exact_when_given():
    plan = plan_endpoint(want_endpoint(tags={}), endpoint())
    assert plan["changes"] == {"tags": [{"pair": "p"}, {}]}


def test_endpoint_absent():
    assert plan_endpoint(want_endpoint(), endpoint(), "absent")["action"] == "delete"
    assert plan_endpoint(want_endpoint(), None, "absent")["action"] == "none"


# ------------------------------------------------------------------------------------------ deployment

def deployment(**kw):
    d = dict(id=WS_ID + "/onlineEndpoints/ep-a/deployments/blue", name="blue", endpoint="ep-a", location="eastus",
             model=MODEL_ID, environment=ENV_ID, code_id=None, scoring_script=None, instance_type="Standard_DS3_v2",
             instance_count=2, environment_variables={"A": "1"}, provisioning_state="Succeeded", tags={}, description="")
    d.update(kw)
    return d


def want_deployment(**kw):
    d = dict(name="blue", endpoint="ep-a", location="eastus", model=None, environment=None, code_id=None,
             scoring_script=None, instance_type=None, instance_count=None, environment_variables=None,
             description=None, tags=None)
    d.update(kw)
    return d


def test_deployment_create_needs_instance_type_and_defaults_one_instance():
    with pytest.raises(PlanError) as exc:
        plan_deployment(want_deployment(model=MODEL_ID), None)
    assert str(exc.value).startswith("instance_type: set it")
    plan = plan_deployment(want_deployment(model=MODEL_ID, environment=ENV_ID, instance_type="Standard_DS3_v2"), None)
    assert plan["action"] == "create" and plan["after"]["instance_count"] == 1
    assert references_to_check(plan) == ["model", "environment"]


def test_deployment_code_needs_a_scoring_script():
    with pytest.raises(PlanError) as exc:
        plan_deployment(want_deployment(instance_type="Standard_DS3_v2", code_id=WS_ID + "/codes/c/versions/1"), None)
    assert str(exc.value).startswith("scoring_script: ")


def test_deployment_same_spec_is_no_change_whatever_the_reference_spelling():
    plan = plan_deployment(want_deployment(model="azureml:" + MODEL_ID.lower(), environment=ENV_ID,
                                           instance_type="standard_ds3_v2", instance_count=2,
                                           environment_variables={"A": "1"}), deployment())
    assert plan["action"] == "none" and references_to_check(plan) == []


def test_deployment_count_alone_is_a_scale():
    plan = plan_deployment(want_deployment(instance_count=5), deployment())
    assert (plan["action"], plan["method"], plan["changes"]) == ("update", "scale", {"instance_count": [2, 5]})
    assert plan["after"]["instance_count"] == 5 and references_to_check(plan) == []


def test_deployment_other_changes_are_a_put_that_checks_the_references():
    new_model = MODEL_ID.replace("/versions/3", "/versions/4")
    plan = plan_deployment(want_deployment(model=new_model, instance_count=3), deployment())
    assert plan["method"] == "put"
    assert plan["changes"] == {"model": [MODEL_ID, new_model], "instance_count": [2, 3]}
    assert references_to_check(plan) == ["model", "environment"]


def test_deployment_instance_type_is_fixed():
    with pytest.raises(PlanError) as exc:
        plan_deployment(want_deployment(instance_type="Standard_F4s_v2", instance_count=3), deployment())
    assert str(exc.value).startswith("instance_type: deployment 'blue' runs on Standard_DS3_v2")


def test_deployment_variables_and_tags_exact_when_given():
    plan = plan_deployment(want_deployment(environment_variables={}, tags={"t": "1"}), deployment())
    assert plan["changes"] == {"environment_variables": [{"A": "1"}, {}], "tags": [{}, {"t": "1"}]}
    assert plan["method"] == "put"


def test_deployment_delete_refused_while_it_gets_traffic():
    with pytest.raises(PlanError) as exc:
        plan_deployment(want_deployment(), deployment(), "absent", endpoint_traffic={"Blue": 30, "green": 70})
    assert str(exc.value).startswith("state: deployment 'blue' still gets 30% of endpoint 'ep-a''s traffic")
    assert plan_deployment(want_deployment(), deployment(), "absent", {"blue": 0, "green": 100})["action"] == "delete"
    assert plan_deployment(want_deployment(), None, "absent")["action"] == "none"


def test_endpoint_check_mode_takes_unknown_deployments_as_planned():
    plan = plan_endpoint(want_endpoint(traffic={"blue": 100}), None, deployments=[], planned_ok=True)
    assert plan["action"] == "create" and plan["unverified"] == ["blue"]
    assert plan["after"]["traffic"] == {"blue": 100}


def test_failed_provisioning_is_written_again():
    plan = plan_deployment(want_deployment(), deployment(provisioning_state="Failed"))
    assert (plan["action"], plan["method"]) == ("update", "put")
    assert plan["changes"] == {"provisioning_state": ["Failed", "Succeeded"]}
    assert references_to_check(plan) == ["model", "environment"]
    plan = plan_endpoint(want_endpoint(), endpoint(provisioning_state="Failed"))
    assert plan["action"] == "update" and plan["changes"] == {"provisioning_state": ["Failed", "Succeeded"]}
