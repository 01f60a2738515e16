"""blob.uri: the asset URI forms Azure ML writes, and blob URLs matched to accounts by their ARM endpoints."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import (
    UriError, blob_url, datastore_uri, parse_asset_uri, split_blob_url,
)

ENDPOINTS = {
    "stprod": "https://stprod.blob.core.windows.net/",
    "stdr": "https://stdr.blob.core.usgovcloudapi.net/",
    "stemu": "http://127.0.0.1:10000/stemu/",
    "stemu2": "http://127.0.0.1:10000/stemu2/",
}


def test_long_datastore_form():
    got = parse_asset_uri("azureml://subscriptions/s1/resourcegroups/rg-a/workspaces/mlw-a/datastores/"
                          "workspaceblobstore/paths/models/fraud/3/")
    assert got == dict(kind="datastore", subscription="s1", resource_group="rg-a", workspace="mlw-a",
                       datastore="workspaceblobstore", path="models/fraud/3/")


def test_long_form_with_resource_groups_spelled_as_arm_does():
    got = parse_asset_uri("azureml://subscriptions/s1/resourceGroups/rg-a/workspaces/w/datastores/d/paths/a%20b.pkl")
    assert got["resource_group"] == "rg-a" and got["path"] == "a b.pkl"


def test_short_datastore_form():
    got = parse_asset_uri("azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/model.pkl")
    assert got == dict(kind="datastore", subscription=None, resource_group=None, workspace=None,
                       datastore="workspaceblobstore", path="LocalUpload/abc/model.pkl")


@pytest.mark.parametrize("bad", ["", "azureml://jobs/123/outputs/artifacts/paths/model/", "runs:/abc/model",
                                 "azureml://datastores/x", "/local/model.pkl", None])
def test_unsupported_forms_are_one_clear_error(bad):
    with pytest.raises(UriError, match="is not a location this sync can copy from"):
        parse_asset_uri(bad)


def test_host_style_url():
    url = "https://stprod.blob.core.windows.net/models/fraud/3/model.pkl"
    assert parse_asset_uri(url) == dict(kind="url", url=url)
    assert split_blob_url(url, ENDPOINTS) == ("stprod", "models", "fraud/3/model.pkl")


def test_sovereign_cloud_endpoint_comes_from_arm():
    assert split_blob_url("https://stdr.blob.core.usgovcloudapi.net/c/p/", ENDPOINTS) == ("stdr", "c", "p/")


def test_emulator_path_style_url_longest_endpoint_wins():
    assert split_blob_url("http://127.0.0.1:10000/stemu/models/m/1/a.bin", ENDPOINTS) == ("stemu", "models", "m/1/a.bin")
    assert split_blob_url("http://127.0.0.1:10000/stemu2/c/x", ENDPOINTS) == ("stemu2", "c", "x")


def test_host_style_url_of_a_path_style_account():
    # azure-ai-ml writes https://<account>.blob.<suffix>/ URLs (a build context) for an emulator account
    assert split_blob_url("https://stemu.blob.core.windows.net/c/ctx/Dockerfile", ENDPOINTS) == ("stemu", "c", "ctx/Dockerfile")
    with pytest.raises(UriError, match="not in a storage account"):      # only for a path-style account
        split_blob_url("https://stdr.blob.core.windows.net/c/x", ENDPOINTS)


def test_query_string_is_ignored_and_quoted_names_decoded():
    assert split_blob_url("https://stprod.blob.core.windows.net/c/a%20b.txt?sv=1&sig=abc", ENDPOINTS) == \
        ("stprod", "c", "a b.txt")


@pytest.mark.parametrize("url, why", [
    ("https://other.blob.core.windows.net/c/x", "is not in a storage account of this subscription"),
    ("http://127.0.0.1:10001/stemu/c/x", "is not in a storage account of this subscription"),
    ("https://stprod.blob.core.windows.net/", "names no blob container"),
])
def test_unknown_account_or_no_container(url, why):
    with pytest.raises(UriError, match=why):
        split_blob_url(url, ENDPOINTS)


def test_error_never_shows_the_sas():
    with pytest.raises(UriError) as err:
        split_blob_url("https://nobody.blob.core.windows.net/c/x?sig=SECRET", ENDPOINTS)
    assert "SECRET" not in str(err.value)


def test_build_urls():
    assert blob_url("http://127.0.0.1:10000/stemu/", "c", "a b/c.txt") == "http://127.0.0.1:10000/stemu/c/a%20b/c.txt"
    assert datastore_uri("s", "rg", "ws", "workspaceblobstore", "amlops-bcdr/models/m/1/d/") == \
        "azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/amlops-bcdr/models/m/1/d/"
    assert parse_asset_uri(datastore_uri("s", "rg", "ws", "d", "p/"))["path"] == "p/"
