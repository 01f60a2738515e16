"""ml/schedule_plan.py: input checks, the target schedule (references mapped), the comparison, and the plan
per schedule (target: create/update/unchanged/not copied; source: disable/nothing/unreachable)."""

import copy

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import schedule_plan as plan

SUB = "00000000-0000-0000-0000-000000000001"
SRC_WS = "/subscriptions/%s/resourceGroups/rg-a/providers/Microsoft.MachineLearningServices/workspaces/ws-a" % SUB
TGT_WS = "/subscriptions/%s/resourceGroups/rg-b/providers/Microsoft.MachineLearningServices/workspaces/ws-b" % SUB


def schedule(name="nightly", enabled=True, **extra):
    out = dict(
        name=name, id="%s/schedules/%s" % (SRC_WS, name), is_enabled=enabled, display_name=name,
        trigger={"triggerType": "Cron", "expression": "0 2 * * *", "timeZone": "UTC"},
        action={"actionType": "CreateJob", "jobDefinition": {
            "jobType": "Command", "command": "python train.py", "status": "NotStarted",
            "computeId": "%s/computes/cpu-cluster" % SRC_WS,
            "environmentId": "azureml:sklearn:1"}},
        description="retrain", tags={"team": "risk"}, properties={}, provisioning_state="Succeeded")
    out.update(extra)
    return out


def params(**extra):
    return dict(dict(source_workspace="ws-a", source_resource_group="rg-a", target_workspace="ws-b",
                     target_resource_group="rg-b", schedules=None, compute_map=None), **extra)


# ---- input ----------------------------------------------------------------------------------

def test_good_input():
    assert plan.input_errors(params()) == []
    assert plan.input_errors(params(schedules=[schedule("a"), schedule("b")], compute_map={"cpu": "cpu-2"})) == []


def test_same_workspace_is_refused():
    errors = plan.input_errors(params(target_workspace="WS-A", target_resource_group="rg-a"))
    assert errors == ["target_workspace: 'WS-A' in 'rg-a' is the source workspace; a copy needs two workspaces"]


def test_bad_schedules_name_the_entry_and_field():
    bad = [schedule("a"), "x", dict(schedule("a")), dict(schedule("c"), id="/nope"),
           dict(schedule("d"), trigger=None), dict(schedule("e"), action={"jobDefinition": {}}),
           dict(schedule("f"), id="/subscriptions/s/schedules/f"), dict(schedule("g"), name="bad name")]
    errors = plan.input_errors(params(schedules=bad))
    assert errors == [
        "schedules[1]: must be a schedule dict (name, id, trigger, action), got str",
        "schedules[2].name: schedule 'a' is listed twice",
        "schedules[3].id: the source schedule's ARM ID is required (.../workspaces/<ws>/schedules/<name>)",
        "schedules[4].trigger: the schedule's REST trigger (with triggerType) is required",
        "schedules[5].action: the schedule's REST action (with actionType) is required",
        "schedules[6].id: '/subscriptions/s/schedules/f' is not a schedule's ARM ID",
        "schedules[7].name: 'bad name' is not a schedule name",
    ]


def test_bad_compute_map():
    assert plan.input_errors(params(compute_map={"cpu": "bad/name"})) == ["compute_map.cpu: 'bad/name' is not a compute name"]
    assert plan.input_errors(params(compute_map=["x"])) == ["compute_map: must be a dict of source compute name -> target compute name"]


def test_info_errors():
    assert plan.info_errors(dict(name=None)) == [] and plan.info_errors(dict(name="nightly")) == []
    assert plan.info_errors(dict(name="a/b")) == ["name: 'a/b' is not a schedule name"]


# ---- the target schedule ----------------------------------------------------------------------

def test_target_properties_map_references_and_enable():
    source = schedule(enabled=False)
    before = copy.deepcopy(source)
    props = plan.target_properties(source, TGT_WS, {"cpu-cluster": "cpu-west"}, enable=True)
    assert source == before, "the source schedule was changed in place"
    definition = props["action"]["jobDefinition"]
    assert definition["computeId"] == "%s/computes/cpu-west" % TGT_WS
    assert definition["environmentId"] == "%s/environments/sklearn/versions/1" % TGT_WS
    assert "status" not in definition, "a server field is sent"
    assert props["isEnabled"] is True and props["trigger"] == source["trigger"]
    assert props["displayName"] == "nightly" and props["tags"] == {"team": "risk"}
    assert "provisioningState" not in props
    assert plan.target_properties(source, TGT_WS, enable=False)["isEnabled"] is False


def test_target_properties_default_display_name():
    props = plan.target_properties(schedule(display_name=None), TGT_WS)
    assert props["displayName"] == "nightly"


def test_differences_ignore_server_fields_defaults_and_empties():
    wanted = plan.target_properties(schedule(), TGT_WS)
    current = copy.deepcopy(wanted)
    current["trigger"].pop("timeZone")                      # the service's default
    current["action"]["jobDefinition"]["status"] = "Running"  # server field
    current["provisioningState"] = "Succeeded"
    current["properties"] = {}
    current["action"]["jobDefinition"]["inputs"] = {}
    assert plan.differences(wanted, current) == []


def test_differences_name_the_fields():
    wanted = plan.target_properties(schedule(), TGT_WS)
    current = copy.deepcopy(wanted)
    current["trigger"]["expression"] = "0 3 * * *"
    current["isEnabled"] = False
    current["action"]["jobDefinition"]["computeId"] = "%s/computes/cpu-cluster" % SRC_WS
    assert plan.differences(wanted, current) == ["action", "trigger", "isEnabled"]


# ---- the plan -----------------------------------------------------------------------------------

def target_copy(source, **changes):
    """The target's schedule as the service would list it after a copy of ``source``."""
    props = plan.target_properties(source, TGT_WS)
    out = dict(name=source["name"], id="%s/schedules/%s" % (TGT_WS, source["name"]), is_enabled=props["isEnabled"],
               display_name=props["displayName"], trigger=props["trigger"], action=props["action"],
               description=props.get("description"), tags=props["tags"], properties=props["properties"],
               provisioning_state="Succeeded")
    out.update(changes)
    return out


def item_for(source, current=None, missing=(), **kw):
    wanted = plan.target_properties(source, TGT_WS)
    return plan.plan_schedule(source, current, wanted, list(missing), TGT_WS, **kw)


def test_create_and_disable_in_source():
    source = schedule()
    item = item_for(source, source_live=source)
    assert item["key"] == "schedule:nightly" and item["action"] == "create"
    assert item["in_target"] is False
    assert item["target_id"] == TGT_WS + "/schedules/nightly" and item["source_id"] == source["id"]
    assert (item["source_action"], item["source_reason"]) == (plan.DISABLE, "enabled in the source")


def test_unchanged_target_source_already_disabled():
    source = schedule(enabled=False)
    item = item_for(source, target_copy(source), source_live=source)
    assert (item["action"], item["source_action"]) == ("skip", plan.SOURCE_DONE)
    assert item["source_reason"] == "already disabled in the source"


def test_unchanged_target_source_still_enabled_is_a_disable():
    source = schedule()
    item = item_for(source, target_copy(source), source_live=source)
    assert (item["action"], item["source_action"]) == ("disable_source", plan.DISABLE)
    assert item["in_target"] is True


def test_update_lists_the_changes():
    source = schedule()
    current = target_copy(source, is_enabled=False, description="old")
    item = item_for(source, current, source_live=source)
    assert item["action"] == "update" and item["changes"] == ["isEnabled", "description"]
    assert item["reason"] == "differs in the target: isEnabled, description"


def test_missing_reference_is_not_copied_and_left_enabled_in_source():
    source = schedule()
    missing = [dict(kind="compute", name="cpu-cluster", version=None, id=TGT_WS + "/computes/cpu-cluster")]
    item = item_for(source, None, missing, source_live=source)
    assert item["action"] == "not_copied"
    assert item["reason"] == "compute 'cpu-cluster' does not exist in ws-b"
    assert item["in_target"] is False
    assert item["source_action"] == plan.SOURCE_DONE


def test_unreachable_source_and_other_source_steps():
    source = schedule()
    item = item_for(source, source_error="the source workspace 'ws-a' did not answer: timed out")
    assert item["action"] == "create" and item["source_action"] == plan.UNREACHABLE
    assert item["source_reason"] == "the source workspace 'ws-a' did not answer: timed out"
    assert item_for(source, source_live=None)["source_reason"] == "not in the source"
    off = item_for(source, target_copy(source), source_live=source, disable_source=False)
    assert (off["action"], off["source_action"]) == ("skip", plan.SOURCE_DONE)


def test_a_target_left_disabled_does_not_disable_the_source():
    source = schedule()
    wanted = plan.target_properties(source, TGT_WS, enable=False)
    item = plan.plan_schedule(source, None, wanted, [], TGT_WS, source_live=source)
    assert (item["action"], item["source_action"]) == ("create", plan.SOURCE_DONE)
    assert item["source_reason"] == "disabled in the target (enable_target is false): left as it is in the source"


def test_outcome_lists():
    a, b, c, d, e = (schedule(n) for n in "abcde")
    items = [
        item_for(a, source_live=a),                                                   # created, disabled
        item_for(b, target_copy(b), source_live=b),                                   # unchanged, disabled
        item_for(c, target_copy(c, description="x"), source_error="down"),            # updated, not disabled
        item_for(d, None, [dict(kind="compute", name="gpu", version=None, id="x")]),  # not copied
        dict(item_for(e, source_live=e), error="boom"),                               # failed: in no list
    ]
    out = plan.outcome_lists(items)
    assert [i["name"] for i in out["created"]] == ["a"]
    assert [i["name"] for i in out["unchanged"]] == ["b"]
    assert [i["name"] for i in out["updated"]] == ["c"]
    assert out["not_copied"] == [{"name": "d", "reason": "compute 'gpu' does not exist in ws-b"}]
    assert out["disabled_in_source"] == [{"name": "a", "id": a["id"]}, {"name": "b", "id": b["id"]}]
    assert out["source_not_disabled"] == [{"name": "c", "reason": "down"}]


@pytest.mark.parametrize("sid, ws", [
    (SRC_WS + "/schedules/x", SRC_WS),
    (SRC_WS.lower() + "/Schedules/x", SRC_WS.lower()),
])
def test_workspace_of(sid, ws):
    assert plan.workspace_of(sid) == ws
