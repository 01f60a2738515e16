"""The pure part of ml/snapshot_service.py: input checks and the snapshot's plan."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import snapshot_service as s

NOW = "2026-11-30T17:00:00Z"


def params(**extra):
    return dict(dict(name="workloads", workspace="w", resource_group="g", state="present", content={"a": 1}), **extra)


def test_blob_name():
    assert s.blob_name("workloads") == "amlops-bcdr/state/snapshots/workloads.json"


@pytest.mark.parametrize("name", ["workloads", "w1.v2", "a-b_c", "x" * 100])
def test_good_names(name):
    assert s.input_errors(params(name=name)) == []


@pytest.mark.parametrize("name", ["", "../x", "a/b", "-x", ".x", "a..b", "x" * 101, None, "sp ace"])
def test_bad_names_name_the_option(name):
    errors = s.input_errors(params(name=name))
    assert len(errors) == 1 and errors[0].startswith("name: ")


def test_content_rules():
    assert s.input_errors(params(content=None)) == ["content: required with state=present (the document to record)"]
    assert s.input_errors(params(content=[1])) == ["content: must be a dictionary, got list"]
    assert s.input_errors(params(content={"a": object()}))[0].startswith("content: cannot be written as JSON")
    assert s.input_errors(params(state="absent", content=None)) == []
    assert s.input_errors(params(state="absent")) == ["content: not allowed with state=absent"]
    big = {"blob": "x" * (s.MAX_BYTES + 1)}
    assert s.input_errors(params(content=big))[0].startswith("content: %d bytes as JSON" % (s.MAX_BYTES + 1 + len('{"blob": ""}')))


def test_plan_create_when_absent():
    plan = s.plan_snapshot("workloads", {"jobs": [1]}, None, "present", NOW)
    assert plan["action"] == "create"
    assert plan["after"] == {"name": "workloads", "taken_at": NOW, "content": {"jobs": [1]}}
    assert plan["changes"] == {"jobs": "added"}


def test_plan_unchanged_keeps_taken_at():
    current = {"name": "workloads", "taken_at": "2026-11-30T09:00:00Z", "content": {"jobs": [1], "n": {"1": 2}}}
    # what JSON reads back: a tuple is a list, an int key a string
    plan = s.plan_snapshot("workloads", {"jobs": (1,), "n": {1: 2}}, current, "present", NOW)
    assert plan == {"action": "none", "changes": {}, "after": current}


def test_plan_update_lists_changed_keys():
    current = {"name": "workloads", "taken_at": "2026-11-30T09:00:00Z", "content": {"jobs": [1], "old": 1, "same": 0}}
    plan = s.plan_snapshot("workloads", {"jobs": [2], "new": 1, "same": 0}, current, "present", NOW)
    assert plan["action"] == "update" and plan["after"]["taken_at"] == NOW
    assert plan["changes"] == {"jobs": "changed", "new": "added", "old": "removed"}


def test_plan_absent():
    assert s.plan_snapshot("w", None, None, "absent", NOW)["action"] == "none"
    plan = s.plan_snapshot("w", None, {"name": "w", "taken_at": None, "content": {"a": 1}}, "absent", NOW)
    assert plan["action"] == "delete" and plan["changes"] == {"a": "removed"} and plan["after"] is None
