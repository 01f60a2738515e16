"""The sync role's decisions on plain data: its pre-flight (the copy module's own checks, with the
role's variable names), the direction from a resolution (fencing, demotion of a stale standby,
refusals), and the per-pair report from registered module results."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds
from ansible_collections.amlops.bcdr.plugins.module_utils.pair.sync_plan import (
    asset_outcome, input_errors, sync_direction, sync_report,
)

PAIR = dict(name="fraud", primary_region="eastus", secondary_region="westus")


def claim(active, epoch, at="2026-11-30T10:00:00Z"):
    return {ds.TAG_ACTIVE: active, ds.TAG_EPOCH: str(epoch), ds.TAG_SWITCHED_AT: at}


# --- pre-flight --------------------------------------------------------------------------------

def test_good_input_has_no_errors():
    assert input_errors(PAIR, ["models"], filters={"models": {"names": ["fraud-*"], "versions": ["latest"]}},
                        parallelism=4, wait_timeout=900, state_timeout=10) == []


@pytest.mark.parametrize("kwargs, expected", [
    (dict(assets=[]), "sync_assets: give at least one asset type"),
    (dict(assets=["pipelines"]), "sync_assets: 'pipelines' is not an asset type this collection syncs"),
    (dict(filters={"environments": {}}), "sync_filters.environments: not among sync_assets (models)"),
    (dict(filters={"models": {"name": ["x"]}}), "sync_filters.models.name: unknown key"),
    (dict(assets=["datastores"], filters={"datastores": {"versions": ["1"]}}),
     "sync_filters.datastores.versions: unknown key (known: names)"),
    (dict(filters={"models": {"versions": [">=x"]}}), "sync_filters.models.versions: '>=x' is not a version filter"),
    (dict(parallelism=0), "sync_parallelism: must be a whole number from 1 to 32"),
    (dict(wait_timeout=0), "sync_wait_timeout: "),
    (dict(state_timeout=0), "sync_state_timeout: must be a positive number of seconds, got 0"),
    (dict(source="both"), "sync_source: 'both' is not one of primary, secondary"),
    (dict(request_timeout=0), "sync_request_timeout: must be a whole number of seconds of at least 1, got 0"),
    (dict(request_retries=-1), "sync_request_retries: must be a whole number from 0 to 10, got -1"),
])
def test_each_bad_input_is_one_line_naming_the_variable(kwargs, expected):
    args = dict(assets=["models"], filters={}, parallelism=4, wait_timeout=900, state_timeout=10,
                request_timeout=30, request_retries=2)
    args.update(kwargs)
    errors = input_errors(PAIR, **args)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_a_pair_whose_names_make_one_workspace_is_refused():
    pair = dict(PAIR, names={"secondary": {"workspace": "mlw-fraud-eastus", "resource_group": "rg-fraud-eastus"}})
    errors = input_errors(pair, ["models"], state_timeout=10)
    assert errors == ["sync_pair: target_workspace: 'mlw-fraud-eastus' in 'rg-fraud-eastus' is the source "
                      "workspace; a copy needs two workspaces"]


def test_an_incomplete_pair_is_refused():
    assert input_errors({"name": "fraud"}, ["models"])[0].startswith("sync_pair: needs name, primary_region")


# --- direction and fencing ---------------------------------------------------------------------

def test_no_marker_anywhere_syncs_primary_to_secondary():
    d = sync_direction(ds.resolve_active({}, {}))
    assert (d["source"], d["target"], d["epoch"], d["error"], d["demote"]) == ("primary", "secondary", 0, None, None)
    assert d["message"] == "primary -> secondary (epoch 0)"


def test_after_a_failover_the_sync_goes_back_and_demotes_the_stale_primary():
    res = ds.resolve_active(claim("primary", 1), claim("secondary", 2, "2026-11-30T12:00:00Z"))
    d = sync_direction(res)
    assert (d["source"], d["target"], d["epoch"], d["error"]) == ("secondary", "primary", 2, None)
    assert d["demote"] == "primary"
    assert d["demote_claim"] == dict(active="secondary", epoch=2, switched_at="2026-11-30T12:00:00Z")
    assert "the primary workspace is stale (claims primary at epoch 1) and is demoted first" in d["message"]


def test_a_standby_that_agrees_is_not_demoted():
    d = sync_direction(ds.resolve_active(claim("secondary", 1), claim("secondary", 1)))
    assert (d["source"], d["demote"]) == ("secondary", None)


def test_a_stale_source_is_refused_with_one_line():
    res = ds.resolve_active(claim("primary", 1), claim("secondary", 2))
    d = sync_direction(res, "primary")
    assert d["error"].startswith("refusing to sync from the primary workspace: it is stale (claims primary at "
                                 "epoch 1) while secondary is active at epoch 2")
    assert d["demote"] is None and "\n" not in d["error"]


def test_the_standby_as_source_is_refused():
    d = sync_direction(ds.resolve_active({}, {}), "secondary")
    assert d["error"] == "refusing to sync from the secondary workspace: primary is active at epoch 0"


@pytest.mark.parametrize("silent", ["primary", "secondary"])
def test_a_side_that_did_not_answer_stops_the_sync(silent):
    tags = dict(primary={}, secondary={})
    tags[silent] = None
    res = ds.resolve_active(tags["primary"], tags["secondary"], unreachable={silent: "timed out"})
    d = sync_direction(res)
    assert d["error"] == "cannot sync: the %s workspace did not answer (timed out)" % silent
    assert d["demote"] is None


def test_two_claims_at_one_epoch_are_refused():
    res = ds.resolve_active(claim("primary", 2, "2026-11-30T10:00:00Z"), claim("secondary", 2, "2026-11-30T11:00:00Z"))
    assert res["conflict"]
    d = sync_direction(res)
    assert d["error"].startswith("refusing to sync: both workspaces claim epoch 2 for different regions")
    assert d["demote"] is None


# --- the report --------------------------------------------------------------------------------

def model_result(copied=(), unchanged=(), conflicts=(), failed=(), selected=3, **extra):
    items = [dict(key=k, action="copy") for k in copied] + [dict(key=k, action="skip") for k in unchanged] + \
        [dict(key=k, action="conflict", reason="other files") for k in conflicts] + \
        [dict(key=k, action="copy", error="boom %s" % k) for k in failed]
    result = dict(copied=[i for i in items if i["action"] == "copy" and "error" not in i],
                  unchanged=[i for i in items if i["action"] == "skip"],
                  conflicts=[i for i in items if i["action"] == "conflict"], updated=[], deleted=[],
                  failed_items=[i for i in items if "error" in i],
                  models=items, summary={"copy": len(copied), "failed": len(failed)},
                  containers=dict(selected=selected, listed=1, in_step=selected - 1), seconds=1.5, changed=bool(copied))
    if failed:
        result.update(failed=True, msg="%d of %d items failed: boom" % (len(failed), len(items)))
    result.update(extra)
    return result


def test_a_clean_run_is_ok_and_records_the_models_covered():
    direction = sync_direction(ds.resolve_active({}, {}))
    report = sync_report("fraud", direction, {"models": model_result(copied=["model:a:1"], unchanged=["model:b:1"])},
                         seconds=3.2)
    assert report["ok"] and report["problems"] is None
    assert report["assets"]["models"] == dict(copied=1, updated=0, unchanged=1, conflicts=0, failed=0, deleted=0,
                                              covered=3)
    assert report["counts"] == {"models": 3} and report["direction"] == "primary -> secondary"
    assert ds.format_counts(report["counts"]) == "models=3"


def test_conflicts_and_failures_are_named_in_one_line():
    direction = sync_direction(ds.resolve_active({}, {}))
    report = sync_report("fraud", direction, {"models": model_result(copied=["model:a:1"], conflicts=["model:c:2"],
                                                                     failed=["model:d:1"])})
    assert not report["ok"]
    assert report["problems"] == ("sync of pair fraud (primary -> secondary) did not finish: models: 1 conflict "
                                  "(left alone): model:c:2 (other files); models: 1 failed: model:d:1: boom model:d:1")
    assert report["assets"]["models"]["copied"] == 1


def test_a_module_that_failed_before_planning_counts_as_a_failure():
    outcome = asset_outcome("models", dict(failed=True, msg="target_workspace: 'x' has no default blob datastore"))
    assert outcome["failed"] == 1 and outcome["copied"] == 0
    report = sync_report("fraud", dict(source="primary", target="secondary", epoch=0),
                         {"models": dict(failed=True, msg="no default blob datastore")}, check_mode=True)
    assert report["problems"].endswith("would not finish: models: 1 failed: no default blob datastore")
