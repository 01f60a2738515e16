"""The datastore decision table, on plain dicts (secrets never reach the plan)."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.datastore_plan import (
    PlanError,
    credentials_type,
    plan_datastore,
    validate,
)


def desired(**kw):
    d = dict(account_name="sttraining", container_name="training", endpoint="core.windows.net", protocol="https",
             service_data_access_auth_identity=None, credentials_type="AccountKey", description=None,
             tags=None, purge_tags=True)
    d.update(kw)
    return d


def current(**kw):
    c = dict(id="/subscriptions/s/.../datastores/training_data", name="training_data", datastore_type="AzureBlob",
             account_name="sttraining", container_name="training", endpoint="core.windows.net", protocol="https",
             service_data_access_auth_identity="None", credentials_type="AccountKey", description="", tags={},
             is_default=False)
    c.update(kw)
    return c


@pytest.mark.parametrize("name", ["training_data", "a", "A1_b2", "x" * 255])
def test_valid_names(name):
    validate(name, "sttraining", "training-data")


@pytest.mark.parametrize("name", ["training-data", "", "with space", "x" * 256, None, "dåta"])
def test_invalid_names(name):
    with pytest.raises(PlanError, match="^name: "):
        validate(name)


@pytest.mark.parametrize("account", ["St", "st-training", "sttraining_", "a" * 25])
def test_invalid_account(account):
    with pytest.raises(PlanError, match="^account_name: "):
        validate("ok", account)


@pytest.mark.parametrize("container", ["ab", "Training", "a--b", "-ab", "ab-", "a" * 64])
def test_invalid_container(container):
    with pytest.raises(PlanError, match="^container_name: "):
        validate("ok", "sttraining", container)


def test_credentials_type():
    assert credentials_type(None) is None
    assert credentials_type({}) == "None"
    assert credentials_type({"account_key": None, "sas_token": None}) == "None"
    assert credentials_type({"account_key": "k"}) == "AccountKey"
    assert credentials_type({"sas_token": "sv=1"}) == "Sas"
    with pytest.raises(PlanError, match="^credentials: "):
        credentials_type({"account_key": "k", "sas_token": "s"})


def test_create():
    plan = plan_datastore(desired(description="training", tags={"pair": "it"}), None)
    assert plan["action"] == "create" and plan["send_secret"]
    after = plan["after"]
    assert after["credentials_type"] == "AccountKey"
    assert after["service_data_access_auth_identity"] == "None"
    assert after["tags"] == {"pair": "it"} and after["description"] == "training"
    assert "key" not in str(after).lower().replace("accountkey", "")


def test_create_needs_location():
    with pytest.raises(PlanError, match="set: account_name, container_name"):
        plan_datastore(desired(account_name=None, container_name=None), None)


def test_create_without_credentials_is_identity_based():
    assert plan_datastore(desired(credentials_type=None), None)["after"]["credentials_type"] == "None"


def test_same_is_no_change_and_writes_no_secret():
    plan = plan_datastore(desired(), current())
    assert plan == dict(action="none", changes={}, after=current(), send_secret=False)


def test_case_insensitive_fields_match():
    plan = plan_datastore(desired(endpoint="Core.Windows.Net", protocol="HTTPS",
                                  service_data_access_auth_identity="none"), current())
    assert plan["action"] == "none"


def test_unmanaged_fields_are_left_alone():
    plan = plan_datastore(desired(account_name=None, container_name=None, endpoint=None, protocol=None,
                                  credentials_type=None), current(description="x", tags={"a": "b"}))
    assert plan["action"] == "none"


@pytest.mark.parametrize("field, value", [("account_name", "stother"), ("container_name", "other"),
                                          ("endpoint", "core.chinacloudapi.cn"), ("protocol", "wasbs"),
                                          ("service_data_access_auth_identity", "WorkspaceSystemAssignedIdentity")])
def test_location_is_immutable(field, value):
    with pytest.raises(PlanError, match="^%s cannot be changed on an existing datastore" % field):
        plan_datastore(desired(**{field: value}), current())


def test_description_and_tags_update_carry_the_secret():
    plan = plan_datastore(desired(description="new", tags={"a": "1"}), current(tags={"b": "2"}))
    assert plan["action"] == "update" and plan["send_secret"]
    assert plan["changes"] == {"description": ["", "new"], "tags": [{"b": "2"}, {"a": "1"}]}
    plan = plan_datastore(desired(tags={"a": "1"}, purge_tags=False), current(tags={"b": "2"}))
    assert plan["after"]["tags"] == {"a": "1", "b": "2"}


def test_update_of_keyed_datastore_without_the_key_is_refused():
    with pytest.raises(PlanError, match=r"^credentials: .*give credentials.account_key"):
        plan_datastore(desired(credentials_type=None, description="new"), current())
    with pytest.raises(PlanError, match=r"give credentials.sas_token"):
        plan_datastore(desired(credentials_type=None, description="new"), current(credentials_type="Sas"))
    # an identity-based datastore has no secret to lose
    plan = plan_datastore(desired(credentials_type=None, description="new"), current(credentials_type="None"))
    assert plan["action"] == "update"


def test_credential_type_change():
    plan = plan_datastore(desired(credentials_type="Sas"), current())
    assert plan["changes"] == {"credentials_type": ["AccountKey", "Sas"]}
    assert plan["send_secret"]
    plan = plan_datastore(desired(credentials_type="None"), current())
    assert plan["changes"] == {"credentials_type": ["AccountKey", "None"]}


def test_update_credentials_always_reports_a_masked_change():
    plan = plan_datastore(desired(), current(), update_credentials="always")
    assert plan["action"] == "update" and plan["send_secret"]
    assert plan["changes"] == {"credentials": ["(secret not shown)", "(secret replaced)"]}
    # nothing to rewrite for identity-based access, or when the credentials are not managed
    assert plan_datastore(desired(credentials_type="None"), current(credentials_type="None"),
                          update_credentials="always")["action"] == "none"
    assert plan_datastore(desired(credentials_type=None), current(), update_credentials="always")["action"] == "none"


def test_other_type_with_the_same_name_is_refused():
    with pytest.raises(PlanError, match="type AzureFile"):
        plan_datastore(desired(), current(datastore_type="AzureFile"))


def test_absent():
    assert plan_datastore(desired(), None, "absent")["action"] == "none"
    assert plan_datastore(desired(), current(), "absent")["action"] == "delete"
