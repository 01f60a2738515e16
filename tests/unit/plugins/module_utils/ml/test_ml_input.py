"""ml plan files' input_errors (aml_compute, aml_workspace, aml_datastore): checked before any call,
one line per problem naming the option."""

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import compute_plan, datastore_plan, quota_plan, workspace_plan

SUB = "/subscriptions/s/resourceGroups/rg/providers/"
COMPUTE = dict(name="cpu-cluster", workspace="mlw-fraud-eastus", resource_group="rg", vm_size="Standard_DS3_v2",
               vm_priority="Dedicated", min_nodes=0, max_nodes=4, idle_time_before_scale_down="PT2M", wait_timeout=900)
WORKSPACE = dict(name="mlw-fraud-eastus", resource_group="rg", storage_account=SUB + "Microsoft.Storage/storageAccounts/st",
                 key_vault=SUB + "Microsoft.KeyVault/vaults/kv", application_insights=SUB + "Microsoft.Insights/components/ai",
                 container_registry=SUB + "Microsoft.ContainerRegistry/registries/acr", tags={"a": "b"}, wait_timeout=60)
DATASTORE = dict(name="training_data", workspace="mlw", resource_group="rg", account_name="sttrain",
                 container_name="training-data", credentials={"account_key": "k3y=="}, tags={})


def test_good_options_pass():
    assert compute_plan.input_errors(COMPUTE) == []
    assert compute_plan.input_errors(dict(name="cpu", max_nodes=1)) == []
    assert workspace_plan.input_errors(WORKSPACE) == []
    assert datastore_plan.input_errors(DATASTORE) == []


def test_compute():
    def errors(**change):
        return compute_plan.input_errors(dict(COMPUTE, **change))
    assert errors(idle_time_before_scale_down=-5) == ["idle_time_before_scale_down: must not be negative (got -5)"]
    assert errors(idle_time_before_scale_down="soon") == [
        "idle_time_before_scale_down: 'soon' is neither a number of seconds nor an ISO 8601 duration such as "
        "PT2M or PT120S"]
    assert errors(min_nodes=5) == ["min_nodes (5) must not be greater than max_nodes (4)"]
    assert errors(max_nodes=0) == ["max_nodes: must be 1 or more (got 0)"]
    assert errors(min_nodes="two") == ["min_nodes: must be a whole number, got 'two'"]
    assert errors(name="9lives") == ["name: '9lives' is not a valid compute name: 3 to 24 characters, letters, digits "
                                     "and '-', starting with a letter"]
    assert errors(workspace="w s") == ["workspace: 'w s' is not a valid workspace name: 3 to 33 characters, letters, "
                                       "digits, '-' and '_', starting with a letter or digit"]
    assert errors(vm_priority="Spot") == ["vm_priority: 'Spot' is not one of Dedicated, LowPriority"]
    assert errors(wait_timeout=0) == ["wait_timeout: must be a positive number of seconds (got 0)"]
    assert errors(tags={"a>b": "c"}) == [
        "tags: tag name 'a>b' contains one of < > % & \\ ? /, which Azure does not allow in tag names"]


def test_workspace():
    def errors(**change):
        return workspace_plan.input_errors(dict(WORKSPACE, **change))
    assert errors(name="bad name!") == ["name: 'bad name!' is not a valid workspace name: 3 to 33 characters, letters, "
                                        "digits, '-' and '_', starting with a letter or digit"]
    assert errors(key_vault="not-an-id") == [
        "key_vault: 'not-an-id' is not a resource ID of type Microsoft.KeyVault/vaults (expected "
        "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>)"]
    # An ID of the wrong type is refused as well.
    assert errors(storage_account=WORKSPACE["key_vault"])[0].startswith(
        "storage_account: '%s' is not a resource ID of type Microsoft.Storage/storageAccounts" % WORKSPACE["key_vault"])
    assert errors(wait_timeout=-1) == ["wait_timeout: must be a positive number of seconds (got -1)"]
    assert errors(tags={"x": "y" * 300}) == ["tags.x: the value is 300 characters long; Azure allows at most 256"]


def test_datastore_never_echoes_a_secret():
    def errors(**change):
        return datastore_plan.input_errors(dict(DATASTORE, **change))
    assert errors(name="training data!") == [
        "name: 'training data!' is not a valid datastore name: 1 to 255 letters, digits and '_'"]
    assert errors(container_name="Training_Data") == [
        "container_name: 'Training_Data' is not a blob container name: 3 to 63 lower-case letters, digits and "
        "single hyphens, starting and ending with a letter or digit"]
    assert errors(account_name="St-Train") == [
        "account_name: 'St-Train' is not a storage account name: 3 to 24 lower-case letters and digits"]
    both = errors(credentials={"account_key": "k3y-secret==", "sas_token": "sv=1&sig=s3cret"})
    assert both == ["credentials: account_key and sas_token are mutually exclusive"]
    assert "s3cret" not in both[0] and "k3y-secret" not in both[0]
    assert errors(tags={"a%b": "c"}) == [
        "tags: tag name 'a%b' contains one of < > % & \\ ? /, which Azure does not allow in tag names"]


def test_quota_clusters_are_checked_as_computes():
    assert quota_plan.input_errors(dict(location="East US", clusters=[dict(name="cpu", vm_size="x", max_nodes=2)])) == []
    assert quota_plan.input_errors(dict(location="east-us!", clusters=[
        dict(name="9x", vm_size="x", max_nodes=0, vm_priority="Spot")])) == [
        "location: 'east-us!' is not an Azure region name (letters and digits, like eastus)",
        "clusters[0].name: '9x' is not a valid compute name: 3 to 24 characters, letters, digits and '-', starting "
        "with a letter",
        "clusters[0].max_nodes: must be 1 or more (got 0)",
        "clusters[0].vm_priority: 'Spot' is not one of Dedicated, LowPriority"]
