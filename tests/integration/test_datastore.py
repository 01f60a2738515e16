"""aml_datastore and aml_datastore_info against the emulator: the training-data account attached as the
same datastore to both workspaces of a pair (check -> apply -> apply again), the datastore usable
(listSecrets gives the key, the key writes to the account in Azurite), the account key never in any
output even at -vvvv, update_credentials=always, immutable fields, bad input and removal."""

import uuid

import pytest
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient

ACCOUNT = "stdstraining"
CONTAINER = "training"
DS_TYPE = "/datastores/"


# Azure gives every workspace these at creation; the test counts the ones it makes.
WORKSPACE_DEFAULTS = ("workspaceblobstore", "workspaceartifactstore", "workspacefilestore",
                      "workspaceworkingdirectory")


def datastores_in(state):
    return {rid: res for rid, res in state.items() if DS_TYPE in rid and "/workspaces/mlw-ds-" in rid
            and rid.rsplit("/", 1)[1] not in WORKSPACE_DEFAULTS}


def one_line_failure(run):
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert "\n" not in msg.strip(), "the error should be one line: %r" % msg
    assert "Traceback" not in msg
    return msg


@pytest.fixture(scope="module")
def training(emulator, pair):
    """A geo-redundant training-data account (as the provision role makes it), its key (listKeys) and
    its training container (in Azurite)."""
    storage = emulator.client(StorageManagementClient, "2023-01-01")
    group = pair["shared"]["resource_group"]
    account = storage.storage_accounts.begin_create(group, ACCOUNT, {
        "location": pair["primary"]["location"], "kind": "StorageV2", "sku": {"name": "Standard_RAGRS"},
    }).result()
    # azure-mgmt-storage >= 24 models are mappings: `.keys` is the mapping method, the list is ["keys"]
    key = storage.storage_accounts.list_keys(group, ACCOUNT)["keys"][0]["value"]
    blob_url = account.primary_endpoints.blob
    service = BlobServiceClient(blob_url, credential=key)
    if not service.get_container_client(CONTAINER).exists():
        service.create_container(CONTAINER)
    return dict(key=key, blob_url=blob_url, id=account.id)


@pytest.fixture(scope="module")
def ds_vars(pair, training):
    return dict(pair=pair, ds_account=ACCOUNT, ds_container=CONTAINER, ds_account_key=training["key"])


@pytest.fixture(scope="module")
def converged(run_playbook, ds_vars):
    """Both workspaces with the datastore (whatever ran before)."""
    run = run_playbook("datastore_pair.yml", ds_vars)
    assert run.rc == 0, run
    return run


def workspace_of(pair, role):
    return dict(workspace="mlw-ds-%s" % pair[role]["location"], resource_group=pair[role]["resource_group"])


def test_check_apply_apply_again(emulator, run_playbook, ds_vars, training):
    before = emulator.state()
    check = run_playbook("datastore_pair.yml", ds_vars, check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.task("Training-data datastore in both workspaces")["result"]["results"]
    assert [r["changed"] for r in predicted] == [True, True]
    assert predicted[0]["datastore"]["account_name"] == ACCOUNT
    assert predicted[0]["datastore"]["credentials_type"] == "AccountKey"
    assert emulator.state() == before, "check mode changed the emulator's state"

    apply = run_playbook("datastore_pair.yml", ds_vars, diff=True)
    assert apply.rc == 0, apply
    created = apply.task("Training-data datastore in both workspaces")["result"]["results"]
    assert [r["changed"] for r in created] == [True, True]
    for guess, real in zip(predicted, created):
        for field in ("name", "account_name", "container_name", "endpoint", "protocol", "credentials_type",
                      "description", "tags", "service_data_access_auth_identity"):
            assert guess["datastore"][field] == real["datastore"][field], field
        assert real["datastore"]["id"].lower() == guess["datastore"]["id"].lower()
    assert len(datastores_in(emulator.state())) == 2
    for key in datastores_in(emulator.state()):
        assert key.endswith("/datastores/training_data")

    again = run_playbook("datastore_pair.yml", ds_vars)
    assert again.rc == 0, again
    assert again.changed == 0, again
    listed = again.task("Datastores of the secondary workspace")["result"]["datastores"]
    ours = [d for d in listed if d["name"] == "training_data"]
    assert len(ours) == 1 and ours[0]["account_name"] == ACCOUNT
    for secret in (training["key"],):
        assert secret not in again.stdout + apply.stdout + check.stdout


def test_datastore_is_usable(emulator, converged, training, pair):
    """What the workspace stored is the account's key, and that key writes to the account."""
    ml = emulator.client(MachineLearningServicesMgmtClient, "2024-04-01")
    for role in ("primary", "secondary"):
        ws = workspace_of(pair, role)
        secrets = ml.datastores.list_secrets(ws["resource_group"], ws["workspace"], "training_data")
        assert secrets.secrets_type == "AccountKey"
        assert secrets.key == training["key"]
        blob = BlobServiceClient(training["blob_url"], credential=secrets.key).get_blob_client(
            CONTAINER, "probe-%s.txt" % role)
        payload = ("training data written with the %s datastore's key" % role).encode()
        blob.upload_blob(payload, overwrite=True)
        assert blob.download_blob().readall() == payload


def test_key_never_in_output_and_always_rewrites(emulator, run_playbook, ds_vars, training):
    run_playbook("datastore_pair.yml", ds_vars)
    run = run_playbook("datastore_pair.yml", dict(ds_vars, ds_update_credentials="always"), diff=True, verbosity=4)
    assert run.rc == 0, run
    results = run.task("Training-data datastore in both workspaces")["result"]["results"]
    assert [r["changed"] for r in results] == [True, True]
    assert [r["changes"] for r in results] == [{"credentials": ["(secret not shown)", "(secret replaced)"]}] * 2
    assert training["key"] not in run.stdout and training["key"] not in run.stderr
    assert emulator.endpoint["client_secret"] not in run.stdout
    # still the same key in the workspace, and on_create is quiet again
    assert run_playbook("datastore_pair.yml", ds_vars).changed == 0


def test_change_description_then_back(emulator, run_playbook, ds_vars):
    run_playbook("datastore_pair.yml", ds_vars)
    changed = dict(ds_vars, ds_description="Training data, replicated to westus")
    before = emulator.state()
    check = run_playbook("datastore_pair.yml", changed, check=True, diff=True)
    assert emulator.state() == before
    guesses = check.task("Training-data datastore in both workspaces")["result"]["results"]
    assert [g["changes"] for g in guesses] == [
        {"description": ["Geo-redundant training data", "Training data, replicated to westus"]}] * 2
    apply = run_playbook("datastore_pair.yml", changed)
    assert [r["changes"] for r in apply.task("Training-data datastore in both workspaces")["result"]["results"]] \
        == [g["changes"] for g in guesses]
    assert run_playbook("datastore_pair.yml", changed).changed == 0
    back = run_playbook("datastore_pair.yml", ds_vars)
    assert [r["changed"] for r in back.task("Training-data datastore in both workspaces")["result"]["results"]] \
        == [True, True]


def test_identity_based_datastore_and_removal(emulator, run_playbook, converged, pair):
    ds = dict(workspace_of(pair, "primary"), name="curated", account_name=ACCOUNT, container_name="curated",
              credentials={})
    first = run_playbook("datastore_one.yml", {"ds": ds})
    assert first.rc == 0, first
    assert first.task("Datastore")["result"]["datastore"]["credentials_type"] == "None"
    assert run_playbook("datastore_one.yml", {"ds": ds}).changed == 0
    # always has no secret to rewrite for identity-based access
    assert run_playbook("datastore_one.yml", {"ds": dict(ds, update_credentials="always")}).changed == 0

    gone = dict(ds, state="absent")
    assert run_playbook("datastore_one.yml", {"ds": gone}, check=True).changed == 1
    assert any(k.endswith("/datastores/curated") for k in emulator.state())
    removed = run_playbook("datastore_one.yml", {"ds": gone})
    assert removed.changed == 1
    assert removed.task("Read it back")["result"]["datastores"] == []
    assert not any(k.endswith("/datastores/curated") for k in emulator.state())
    assert run_playbook("datastore_one.yml", {"ds": gone}).changed == 0


def bad_cases(pair, key):
    primary = workspace_of(pair, "primary")
    existing = dict(primary, name="training_data", account_name=ACCOUNT, container_name=CONTAINER,
                    credentials={"account_key": key})
    return {
        "invalid datastore name": (dict(existing, name="training-data"), "name: 'training-data' is not a valid"),
        "invalid account name": (dict(existing, account_name="St_Bad"), "account_name: "),
        "container cannot change": (dict(existing, container_name="elsewhere"),
                                    "container_name cannot be changed on an existing datastore"),
        "update without the key": (dict(existing, credentials=None, description="new"),
                                   "give credentials.account_key"),
        "key and SAS together": (dict(existing, credentials={"account_key": key, "sas_token": "sv=2022&sig=x"}),
                                 "mutually exclusive"),
        "missing workspace": (dict(existing, workspace="mlw-ds-nowhere"), "mlw-ds-nowhere"),
    }


@pytest.mark.parametrize("case", ["invalid datastore name", "invalid account name", "container cannot change",
                                  "update without the key", "key and SAS together", "missing workspace"])
def test_bad_input_fails_cleanly(case, emulator, run_playbook, converged, pair, training):
    ds, expected = bad_cases(pair, training["key"])[case]
    if ds.get("credentials") is None:
        ds.pop("credentials")
    before = emulator.state()
    run = run_playbook("datastore_one.yml", {"ds": ds}, verbosity=4)
    msg = one_line_failure(run)
    assert expected in msg, msg
    assert emulator.state() == before, "a failed call changed the emulator's state"
    assert training["key"] not in run.stdout and training["key"] not in run.stderr


def test_wrong_key_is_not_echoed(emulator, run_playbook, ds_vars, pair):
    """A key Azure refuses (or any failure) never comes back in the error."""
    wrong = uuid.uuid4().hex * 2
    ds = dict(workspace_of(pair, "primary"), name="wrongkey", account_name=ACCOUNT, container_name="nosuchcontainer",
              credentials={"account_key": wrong}, workspace="mlw-ds-missing")
    run = run_playbook("datastore_one.yml", {"ds": ds}, verbosity=4)
    assert run.rc != 0
    assert wrong not in run.stdout and wrong not in run.stderr
