"""aml_schedule_copy / aml_schedule_info against the emulator, for a pair whose workspaces both have the
compute cpu-cluster and the environment sklearn:1 (the primary also gpu-cluster): schedules recreated in
the secondary with their references mapped to the secondary's, disabled in the primary; a schedule on a
compute the secondary lacks not copied, with the reason; a rerun changes nothing; check mode writes
nothing; a drift in the target is put back; with the primary hanging and `schedules` given, the copy
still lands, the primary's schedules are reported in source_not_disabled, within a bounded time."""

import time

import pytest

from pair_fixtures import make_pair

COPY, INFO = "schedule_copy.yml", "schedule_info.yml"


@pytest.fixture(scope="module")
def pair(emulator):
    ws = make_pair(emulator, "sch")[1]
    for role, computes in (("primary", ("cpu-cluster", "gpu-cluster")), ("secondary", ("cpu-cluster",))):
        w = ws[role]
        location = w.ml.workspaces.get(w.group, w.name).location
        for compute in computes:
            w.ml.compute.begin_create_or_update(w.group, w.name, compute, {
                "location": location, "properties": {"computeType": "AmlCompute", "properties": {
                    "vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": 2, "minNodeCount": 0}}}}).result()
        w.add_environment("sklearn", "1", "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04")
    return ws


def ws_id(w):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s" % (
        w.ml._config.subscription_id, w.group, w.name)


def put_schedule(w, name, compute, enabled=True, expression="0 2 * * *"):
    """A cron schedule of a command job on ``compute`` with sklearn:1, both by the workspace's ARM IDs."""
    body = {"properties": {
        "isEnabled": enabled, "description": "retrain %s" % name, "tags": {"team": "risk"},
        "trigger": {"triggerType": "Cron", "expression": expression},
        "action": {"actionType": "CreateJob", "jobDefinition": {
            "jobType": "Command", "command": "python train.py", "experimentName": "fraud",
            "computeId": "%s/computes/%s" % (ws_id(w), compute),
            "environmentId": "%s/environments/sklearn/versions/1" % ws_id(w)}}}}
    w.ml.schedules.begin_create_or_update(w.group, w.name, name, body).result()


def schedules_of(w):
    """{name: Schedule} of a workspace, disabled ones too."""
    return {s.name: s for s in w.ml.schedules.list(w.group, w.name, list_view_type="All")}


def sides(pair, **extra):
    p, s = pair["primary"], pair["secondary"]
    return dict(dict(source_workspace=p.name, source_resource_group=p.group,
                     target_workspace=s.name, target_resource_group=s.group), **extra)


def names(items):
    return sorted(i["name"] for i in items)


def reset(pair):
    """The primary: nightly and gpu-weekly enabled, paused disabled; the secondary: no schedule."""
    p, s = pair["primary"], pair["secondary"]
    for name in schedules_of(s):
        s.ml.schedules.begin_delete(s.group, s.name, name).result()
    put_schedule(p, "nightly", "cpu-cluster")
    put_schedule(p, "gpu-weekly", "gpu-cluster", expression="0 3 * * 0")
    put_schedule(p, "paused", "cpu-cluster", enabled=False)


def test_info_lists_all_unless_enabled_only(run_playbook, pair):
    reset(pair)
    p = pair["primary"]
    run = run_playbook(INFO, {"info": dict(workspace=p.name, resource_group=p.group)})
    assert run.rc == 0 and run.changed == 0, run
    listed = run.task("Schedules")["result"]["schedules"]
    assert [(s["name"], s["is_enabled"]) for s in listed] == [("gpu-weekly", True), ("nightly", True), ("paused", False)]
    nightly = listed[1]
    assert nightly["trigger"]["expression"] == "0 2 * * *" and nightly["trigger"]["triggerType"] == "Cron"
    assert nightly["action"]["jobDefinition"]["computeId"].lower() == (ws_id(p) + "/computes/cpu-cluster").lower()
    assert nightly["id"].lower() == (ws_id(p) + "/schedules/nightly").lower() and nightly["tags"] == {"team": "risk"}

    enabled = run_playbook(INFO, {"info": dict(workspace=p.name, resource_group=p.group, enabled_only=True)})
    assert names(enabled.task("Schedules")["result"]["schedules"]) == ["gpu-weekly", "nightly"]
    one = run_playbook(INFO, {"info": dict(workspace=p.name, resource_group=p.group, name="paused")})
    assert names(one.task("Schedules")["result"]["schedules"]) == ["paused"]
    none = run_playbook(INFO, {"info": dict(workspace=p.name, resource_group=p.group, name="nope")})
    assert none.rc == 0 and none.task("Schedules")["result"]["schedules"] == []


def test_copy_disable_rerun_check_drift(emulator, run_playbook, pair):
    reset(pair)
    p, s = pair["primary"], pair["secondary"]
    before = emulator.state()

    check = run_playbook(COPY, {"sched": sides(pair)}, check=True, diff=True)
    assert check.rc == 0 and check.changed == 1, check
    planned = check.task("Copy schedules")["result"]
    assert emulator.state() == before, "check mode changed the emulator's state"
    assert names(planned["created"]) == ["nightly", "paused"] and planned["updated"] == planned["unchanged"] == []
    assert planned["not_copied"] == [{"name": "gpu-weekly",
                                      "reason": "compute 'gpu-cluster' does not exist in %s" % s.name}]
    assert names(planned["disabled_in_source"]) == ["nightly"] and planned["source_not_disabled"] == []
    # --diff: the schedules in the target, before and after (the one not copied in neither)
    assert "+schedule:nightly" in check.stdout and "+schedule:paused" in check.stdout, check.stdout
    assert "schedule:gpu-weekly" not in check.stdout

    apply = run_playbook(COPY, {"sched": sides(pair)})
    assert apply.rc == 0 and apply.changed == 1, apply
    done = apply.task("Copy schedules")["result"]
    for key in ("created", "updated", "unchanged", "not_copied", "disabled_in_source", "source_not_disabled"):
        assert names(done[key]) == names(planned[key]), key          # the check was the exact plan
    target, source = schedules_of(s), schedules_of(p)
    assert sorted(target) == ["nightly", "paused"]
    for name in ("nightly", "paused"):
        copied = target[name].properties
        assert copied.is_enabled, "%s is not enabled in the target" % name
        job = copied.action.job_definition
        assert job.compute_id.lower() == (ws_id(s) + "/computes/cpu-cluster").lower()
        assert job.environment_id.lower() == (ws_id(s) + "/environments/sklearn/versions/1").lower()
        assert copied.trigger.expression == source[name].properties.trigger.expression
        assert copied.description == "retrain %s" % name and copied.tags == {"team": "risk"}
    assert not source["nightly"].properties.is_enabled, "nightly still fires in the source"
    assert source["gpu-weekly"].properties.is_enabled, "a schedule not copied was disabled in the source"
    assert not source["paused"].properties.is_enabled

    again = run_playbook(COPY, {"sched": sides(pair)})
    assert again.rc == 0 and again.changed == 0, again
    rerun = again.task("Copy schedules")["result"]
    assert names(rerun["unchanged"]) == ["nightly", "paused"] and rerun["created"] == rerun["updated"] == []
    assert rerun["disabled_in_source"] == [] and names(rerun["not_copied"]) == ["gpu-weekly"]

    # a drift in the target (another trigger, disabled) is put back
    put_schedule(s, "nightly", "cpu-cluster", enabled=False, expression="0 5 * * *")
    fix = run_playbook(COPY, {"sched": sides(pair)})
    assert fix.rc == 0 and fix.changed == 1, fix
    fixed = fix.task("Copy schedules")["result"]["updated"]
    assert names(fixed) == ["nightly"] and fixed[0]["changes"] == ["trigger", "isEnabled"]
    nightly = schedules_of(s)["nightly"].properties
    assert nightly.is_enabled and nightly.trigger.expression == "0 2 * * *"


def test_source_hanging_with_schedules_given(emulator, run_playbook, pair):
    reset(pair)
    p, s = pair["primary"], pair["secondary"]
    listed = run_playbook(INFO, {"info": dict(workspace=p.name, resource_group=p.group)})
    recorded = listed.task("Schedules")["result"]["schedules"]    # what the sync's snapshot holds
    source_before = {n: (x.properties.is_enabled, x.properties.trigger.expression) for n, x in schedules_of(p).items()}

    # a hang far longer than the module may take: an unbounded call to the primary would show
    emulator.set_faults(outages={p.ml.workspaces.get(p.group, p.name).location: "hang"}, hang_seconds=120)
    try:
        started = time.monotonic()
        run = run_playbook(COPY, {"sched": sides(pair, schedules=recorded, timeout=3, retries=0)})
        wall = time.monotonic() - started
    finally:
        emulator.clear_faults()
    assert run.rc == 0 and run.changed == 1, run
    result = run.task("Copy schedules")["result"]
    print("schedule copy with the source hanging: %.1fs; %s" % (wall, result["source_not_disabled"][0]["reason"]))
    assert names(result["created"]) == ["nightly", "paused"] and names(result["not_copied"]) == ["gpu-weekly"]
    assert result["disabled_in_source"] == [] and names(result["source_not_disabled"]) == ["nightly", "paused"]
    assert all("did not answer" in i["reason"] for i in result["source_not_disabled"]), result["source_not_disabled"]
    # one bounded read of the source (3 s) plus ansible's start-up and the target's calls
    assert wall < 40, wall
    assert sorted(schedules_of(s)) == ["nightly", "paused"]
    assert {n: (x.properties.is_enabled, x.properties.trigger.expression)
            for n, x in schedules_of(p).items()} == source_before, "the hanging source was changed"

    # the source back: the rerun disables what it could not before, the target unchanged
    back = run_playbook(COPY, {"sched": sides(pair, schedules=recorded, timeout=3, retries=0)})
    assert back.rc == 0 and back.changed == 1, back
    result = back.task("Copy schedules")["result"]
    assert names(result["unchanged"]) == ["nightly", "paused"] and names(result["disabled_in_source"]) == ["nightly"]
    assert result["source_not_disabled"] == []
    assert not schedules_of(p)["nightly"].properties.is_enabled


@pytest.mark.parametrize("extra, message", [
    ("same", "is the source workspace; a copy needs two workspaces"),
    (dict(schedules=[{"name": "x"}]), "schedules[0].id: the source schedule's ARM ID is required"),
    (dict(compute_map={"cpu": "a b"}), "compute_map.cpu: 'a b' is not a compute name"),
    (dict(timeout=0), "timeout: must be a whole number of seconds of at least 1"),
])
def test_bad_input_changes_nothing(emulator, run_playbook, pair, extra, message):
    if extra == "same":
        extra = dict(target_workspace=pair["primary"].name, target_resource_group=pair["primary"].group)
    before = emulator.state()
    run = run_playbook(COPY, {"sched": sides(pair, **extra)})
    assert run.rc != 0, run
    msg = run.task("Copy schedules")["result"]["msg"]
    assert message in msg and "\n" not in msg, msg
    assert emulator.state() == before
