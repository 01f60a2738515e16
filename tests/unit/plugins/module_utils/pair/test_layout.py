"""The DR pair layout and its input checks, on plain data."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.pair.layout import (
    clusters_for,
    pair_errors,
    pair_layout,
)

REGIONS = ["eastus", "westus", "westeurope", "northeurope"]
CLUSTERS = [
    dict(name="cpu", vm_size="Standard_DS3_v2", min_nodes=1, max_nodes=4, resource_class="training"),
    dict(name="serve", vm_size="Standard_DS2_v2", min_nodes=2, max_nodes=2, resource_class="inference"),
]


def test_good_input_has_no_errors():
    assert pair_errors("fraud", "East US", "westus", REGIONS, modes={"training": "hot/warm"},
                       clusters=CLUSTERS, training_storage_sku="Standard_RAGRS") == []


def test_same_region_and_unknown_region_and_bad_name_all_reported():
    errors = pair_errors("Fraud_1", "eastus", "East US", REGIONS)
    assert any(e.startswith("secondary_region: 'eastus' is the same region as primary_region") for e in errors)
    assert any(e.startswith("name: 'Fraud_1' must be 2 to 12") for e in errors)
    errors = pair_errors("fraud", "eastus", "marsnorth", REGIONS)
    assert errors == ["secondary_region: 'marsnorth' is not an Azure region that hosts Azure Machine "
                      "Learning (for example: eastus, westus, westeurope, northeurope)"]


def test_cluster_and_mode_and_sku_errors():
    bad = [dict(name="a", max_nodes=2, min_nodes=3), dict(name="a", max_nodes=0, resource_class="batch")]
    errors = pair_errors("fraud", "eastus", "westus", REGIONS, modes={"training": "lukewarm", "serving": "hot/hot"},
                         clusters=bad, training_storage_sku="Standard_LRS")
    assert "modes.training: 'lukewarm' is not one of hot/hot, hot/warm, hot/cold" in errors
    assert "modes: unknown resource class 'serving' (use training, inference)" in errors
    assert "compute_clusters[1].name: cluster name 'a' is listed twice" in errors
    assert "compute_clusters[1].resource_class: must be one of training, inference" in errors
    assert any(e.startswith("training_storage_sku: 'Standard_LRS' is not geo-redundant") for e in errors)
    # Scale settings are aml_compute's own checks, run over the pair by dr_pair_errors (test_preflight.py).
    assert not any("min_nodes" in e or "max_nodes" in e for e in errors)


@pytest.mark.parametrize("mode, expected", [
    ("hot/hot", [("cpu", 1)]),
    ("hot/warm", [("cpu", 0)]),
    ("hot/cold", []),
])
def test_secondary_clusters_follow_the_training_mode(mode, expected):
    clusters = clusters_for("secondary", CLUSTERS[:1], {"training": mode})
    assert [(c["name"], c["min_nodes"]) for c in clusters] == expected
    assert [c["name"] for c in clusters_for("primary", CLUSTERS[:1], {"training": mode})] == ["cpu"]


def test_inference_defaults_to_hot_hot():
    assert [c["name"] for c in clusters_for("secondary", CLUSTERS, {})] == ["serve"]


def test_layout_names_tags_and_overrides():
    layout = pair_layout("fraud", "East US", "westus", names={"key_vault": "kv-mine",
                                                              "secondary": {"workspace": "ws-dr"}},
                         tags={"cost": "ml"})
    assert layout["shared"]["key_vault"] == "kv-mine"
    assert layout["shared"]["location"] == "eastus"
    assert layout["regions"]["primary"]["storage_account"] == "stfraudeastus"
    assert layout["regions"]["secondary"]["workspace"] == "ws-dr"
    assert layout["regions"]["primary"]["workspace"] == "mlw-fraud-eastus"
    assert layout["regions"]["secondary"]["tags"] == {"cost": "ml", "amlops.bcdr.pair": "fraud",
                                                      "amlops.bcdr.role": "secondary"}
    # Storage and registry names obey Azure's rules: lowercase alphanumerics, at most 24 (storage).
    long = pair_layout("abcdefghijkl", "southeastasia", "eastasia")
    name = long["regions"]["primary"]["storage_account"]
    assert len(name) <= 24 and name.isalnum() and name.islower()
    assert long["shared"]["container_registry"].isalnum()


def test_the_pairs_own_tags_are_tags_azure_accepts():
    from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors
    layout = pair_layout("fraud", "eastus", "westus")
    for tags in [layout["shared"]["tags"]] + [layout["regions"][r]["tags"] for r in ("primary", "secondary")]:
        assert tag_errors(tags) == []
