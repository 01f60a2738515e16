"""aml_compute and aml_quota_info against the emulator: a cluster in a workspace of its own (check -> apply ->
apply again), a max_nodes change predicted exactly by --check --diff then applied alone, idle time spellings
that never count as a change, fixed fields and bad input refused with one line and nothing changed, and the
quota check in both regions of a pair (fits; a region with a low limit names the family and the numbers)."""

import copy

import pytest

CLUSTER = "cpu-cmp"


def one_line_failure(run):
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert "\n" not in msg.strip(), "the error should be one line: %r" % msg
    assert "Traceback" not in msg
    return msg


def computes_in(state, workspace):
    marker = "/workspaces/%s/computes/" % workspace
    return {rid: res for rid, res in state.items() if marker in rid}


@pytest.fixture(scope="module")
def cmp_ws(run_playbook, pair):
    """A workspace of these tests' own in each region of the seeded pair (mlw-cmp-eastus, mlw-cmp-westus)."""
    out = {}
    for role in ("primary", "secondary"):
        region = pair[role]
        ws = dict(name="mlw-cmp-%s" % region["location"], resource_group=region["resource_group"],
                  location=region["location"], storage_account=region["storage_account"],
                  key_vault=pair["shared"]["key_vault"], application_insights=region["application_insights"])
        run = run_playbook("workspace_one.yml", {"ws": ws})
        assert run.rc == 0, run
        out[role] = dict(workspace=ws["name"], resource_group=ws["resource_group"], location=ws["location"])
    return out


def cmp_args(cmp_ws, role="primary", **kw):
    args = dict(name=CLUSTER, workspace=cmp_ws[role]["workspace"], resource_group=cmp_ws[role]["resource_group"],
                vm_size="Standard_DS3_v2", min_nodes=0, max_nodes=4, idle_time_before_scale_down=120,
                tags={"amlops.bcdr.pair": "cmp"})
    args.update(kw)
    return {k: v for k, v in args.items() if v is not None}


def compute_result(run):
    return run.task("Compute")["result"]


def test_check_apply_again(emulator, run_playbook, cmp_ws):
    args = cmp_args(cmp_ws)
    before = emulator.state()
    assert not computes_in(before, args["workspace"])

    check = run_playbook("compute_one.yml", {"cmp": args}, check=True, diff=True)
    assert check.rc == 0, check
    assert check.changed == 1
    assert emulator.state() == before, "check mode changed the emulator's state"
    predicted = compute_result(check)["compute"]

    apply = run_playbook("compute_one.yml", {"cmp": args})
    assert apply.rc == 0, apply
    assert apply.changed == 1
    created = compute_result(apply)["compute"]
    for field in ("id", "name", "location", "vm_size", "vm_priority", "min_nodes", "max_nodes",
                  "idle_time_before_scale_down", "tags", "compute_type"):
        assert str(predicted[field]).lower() == str(created[field]).lower(), field
    assert created["location"] == "eastus"  # the workspace's region, since none was given
    assert created["provisioning_state"] == "Succeeded"
    [(rid, resource)] = computes_in(emulator.state(), args["workspace"]).items()
    assert rid == created["id"].lower()
    scale = resource["properties"]["properties"]["scaleSettings"]
    assert (scale["minNodeCount"], scale["maxNodeCount"]) == (0, 4)

    again = run_playbook("compute_one.yml", {"cmp": args})
    assert again.rc == 0, again
    assert again.changed == 0, again


def test_max_nodes_change_predicted_then_applied_alone(emulator, run_playbook, cmp_ws):
    args = cmp_args(cmp_ws)
    assert run_playbook("compute_one.yml", {"cmp": args}).rc == 0  # converge
    more = dict(args, max_nodes=8)
    before = emulator.state()

    check = run_playbook("compute_one.yml", {"cmp": more}, check=True, diff=True)
    assert check.rc == 0, check
    assert compute_result(check)["changes"] == {"max_nodes": [4, 8]}
    assert emulator.state() == before

    apply = run_playbook("compute_one.yml", {"cmp": more})
    assert apply.rc == 0, apply
    assert compute_result(apply)["changes"] == {"max_nodes": [4, 8]}
    assert compute_result(apply)["compute"]["max_nodes"] == 8

    # Only the scale settings' maxNodeCount moved in the emulator (and ARM's own modification stamps).
    after = emulator.state()
    [rid] = [r for r in computes_in(before, args["workspace"]) if r.endswith("/computes/%s" % CLUSTER)]
    old, new = copy.deepcopy(before[rid]), copy.deepcopy(after[rid])
    assert new["properties"]["properties"]["scaleSettings"]["maxNodeCount"] == 8
    for res in (old, new):
        res["properties"]["properties"]["scaleSettings"].pop("maxNodeCount")
        res.pop("systemData", None)
        res["properties"].pop("modifiedOn", None)
    assert old == new
    assert {k for k in after if k not in before} == set() and {k for k in before if k not in after} == set()

    assert run_playbook("compute_one.yml", {"cmp": more}).changed == 0
    assert run_playbook("compute_one.yml", {"cmp": args}).changed == 1  # back to 4 for the other tests


@pytest.mark.parametrize("spelling", ["PT2M", "PT120S", "120", 120])
def test_idle_time_spellings_are_no_change(emulator, run_playbook, cmp_ws, spelling):
    assert run_playbook("compute_one.yml", {"cmp": cmp_args(cmp_ws)}).rc == 0  # created with 120 (seconds)
    run = run_playbook("compute_one.yml", {"cmp": cmp_args(cmp_ws, idle_time_before_scale_down=spelling)},
                       diff=True)
    assert run.rc == 0, run
    assert run.changed == 0, run
    assert compute_result(run)["compute"]["idle_time_before_scale_down"] == 120


def test_idle_time_change_is_a_scale_update(emulator, run_playbook, cmp_ws):
    args = cmp_args(cmp_ws, name="cpu-cmp-idle")
    assert run_playbook("compute_one.yml", {"cmp": args}).changed == 1
    run = run_playbook("compute_one.yml", {"cmp": dict(args, idle_time_before_scale_down="PT5M")})
    assert compute_result(run)["changes"] == {"idle_time_before_scale_down": [120, 300]}
    assert run_playbook("compute_one.yml", {"cmp": dict(args, idle_time_before_scale_down=300)}).changed == 0
    assert run_playbook("compute_one.yml", {"cmp": dict(args, state="absent")}).changed == 1


@pytest.mark.parametrize("field,value", [
    ("vm_size", "Standard_DS2_v2"), ("vm_priority", "LowPriority"), ("location", "westus"),
    ("tags", {"amlops.bcdr.pair": "other"}),
])
def test_fixed_field_change_refused_nothing_changed(emulator, run_playbook, cmp_ws, field, value):
    assert run_playbook("compute_one.yml", {"cmp": cmp_args(cmp_ws)}).rc == 0
    before = emulator.state()
    run = run_playbook("compute_one.yml", {"cmp": cmp_args(cmp_ws, max_nodes=9, **{field: value})})
    msg = one_line_failure(run)
    assert "%s cannot be changed once the compute cluster exists" % field in msg, msg
    assert emulator.state() == before


BAD = {
    "name starting with a digit": (dict(name="1-cluster"), "name: '1-cluster' is not a valid compute name"),
    "name too long": (dict(name="c" * 25), "is not a valid compute name: 3 to 24 characters"),
    "name with an underscore": (dict(name="cpu_cluster"), "is not a valid compute name"),
    "idle time not a duration": (dict(idle_time_before_scale_down="two minutes"),
                                 "idle_time_before_scale_down: 'two minutes' is neither"),
    "min above max": (dict(min_nodes=5, max_nodes=2), "min_nodes (5) must not be greater than max_nodes (2)"),
    "unknown workspace": (dict(workspace="mlw-cmp-nowhere"), "workspace: 'mlw-cmp-nowhere' was not found"),
    "create without max_nodes": (dict(name="cpu-cmp-new", max_nodes=None), "set: max_nodes"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_one_line_nothing_changed(emulator, run_playbook, cmp_ws, case):
    overrides, expected = BAD[case]
    args = cmp_args(cmp_ws)
    args.update(overrides)
    args = {k: v for k, v in args.items() if v is not None}
    before = emulator.state()
    msg = one_line_failure(run_playbook("compute_one.yml", {"cmp": args}))
    assert expected in msg, msg
    assert emulator.state() == before


def test_check_mode_before_the_workspace_exists(emulator, run_playbook, cmp_ws):
    """--check before a first provision run: the workspace is only planned, the cluster is predicted."""
    args = cmp_args(cmp_ws, workspace="mlw-cmp-planned", location="eastus")
    before = emulator.state()
    check = run_playbook("compute_one.yml", {"cmp": args}, check=True)
    assert check.rc == 0, check
    assert check.changed == 1
    assert compute_result(check)["compute"]["id"].endswith("/workspaces/mlw-cmp-planned/computes/cpu-cmp")
    msg = one_line_failure(run_playbook("compute_one.yml", {"cmp": dict(args, location=None)}, check=True))
    assert msg.startswith("location: set it"), msg
    assert emulator.state() == before


def test_delete_and_delete_again(emulator, run_playbook, cmp_ws):
    args = cmp_args(cmp_ws, name="cpu-cmp-scratch")
    assert run_playbook("compute_one.yml", {"cmp": args}).changed == 1
    gone = dict(args, state="absent")
    assert run_playbook("compute_one.yml", {"cmp": gone}, check=True).changed == 1
    assert computes_in(emulator.state(), args["workspace"]).get(
        compute_result(run_playbook("compute_one.yml", {"cmp": args}))["compute"]["id"].lower())
    assert run_playbook("compute_one.yml", {"cmp": gone}).changed == 1
    assert not any(rid.endswith("/computes/cpu-cmp-scratch") for rid in emulator.state())
    assert run_playbook("compute_one.yml", {"cmp": gone}).changed == 0


# ---------------------------------------------------------------------------------------------- quota

def set_quota(emulator, region, family, limit):
    """The emulator's per-region quota table (see tests/emulator/harness.py)."""
    return emulator.set_quota(region, family, limit)


def quota_args(cmp_ws, role, max_nodes=4, vm_size="Standard_DS3_v2"):
    return dict(location=cmp_ws[role]["location"], workspace=cmp_ws[role]["workspace"],
                resource_group=cmp_ws[role]["resource_group"],
                clusters=[dict(name=CLUSTER, vm_size=vm_size, max_nodes=max_nodes)])


def test_quota_fits_in_both_regions(emulator, run_playbook, cmp_ws):
    for role in ("primary", "secondary"):
        run = run_playbook("quota_one.yml", {"quota": quota_args(cmp_ws, role)})
        assert run.rc == 0, run
        result = run.task("Quota")["result"]
        assert result["changed"] is False
        assert result["shortfalls"] == []
        families = {u["family"] for u in result["usages"] if u["family"]}
        assert "standardDSv2Family" in families, result["usages"]


def test_low_limit_is_a_shortfall_naming_family_and_numbers(emulator, run_playbook, cmp_ws):
    set_quota(emulator, "eastus", "standardDSv2Family", 10)
    try:
        run = run_playbook("quota_one.yml", {"quota": quota_args(cmp_ws, "primary", max_nodes=10)})
        assert run.rc == 0, run
        result = run.task("Quota")["result"]
        usage = [u for u in result["usages"] if u["family"] == "standardDSv2Family"][0]
        assert usage["limit"] == 10
        [short] = result["shortfalls"]
        assert (short["region"], short["family"], short["needed"], short["limit"]) == \
            ("eastus", "standardDSv2Family", 40, 10)
        assert short["clusters"] == [CLUSTER]
        assert short["shortfall_message"].startswith(
            "eastus: standardDSv2Family needs 40 cores for cpu-cmp (10 x Standard_DS3_v2, 4 vCPUs); ")
        assert short["shortfall_message"].endswith("%d of 10 available" % short["available"])
        # The secondary region keeps its own (larger) quota.
        other = run_playbook("quota_one.yml", {"quota": quota_args(cmp_ws, "secondary", max_nodes=10)})
        assert other.task("Quota")["result"]["shortfalls"] == []
    finally:
        set_quota(emulator, "eastus", "standardDSv2Family", 100)


def test_unknown_vm_size_is_one_clear_line(emulator, run_playbook, cmp_ws):
    msg = one_line_failure(run_playbook("quota_one.yml", {"quota": quota_args(cmp_ws, "primary",
                                                                              vm_size="Standard_Nope_v9")}))
    assert "clusters[0].vm_size: 'Standard_Nope_v9' is not offered for AmlCompute in eastus" in msg


def test_pair_play_checks_quota_in_both_regions_before_any_change(emulator, run_playbook, pair):
    pair_vars = dict(pair=pair, pair_name="cmq")
    set_quota(emulator, "westus", "standardDSv2Family", 8)
    try:
        before = emulator.state()
        run = run_playbook("compute_pair.yml", dict(pair_vars, cluster=dict(
            name="cpu-cluster", vm_size="Standard_DS3_v2", min_nodes=0, max_nodes=4, idle_time_before_scale_down=120)))
        assert run.rc != 0, run
        failed = run.failed[0]
        assert failed["task"] == "Enough quota in both regions"
        assert "westus: standardDSv2Family needs 16 cores for cpu-cluster (4 x Standard_DS3_v2, 4 vCPUs)" in run.stdout
        # The workspaces were made (the play's first task), but no cluster.
        assert not [rid for rid in emulator.state() if "/workspaces/mlw-cmq-" in rid and "/computes/" in rid]
        assert {rid for rid in emulator.state() if "/computes/" in rid} == {rid for rid in before if "/computes/" in rid}
    finally:
        set_quota(emulator, "westus", "standardDSv2Family", 100)

    apply = run_playbook("compute_pair.yml", pair_vars)
    assert apply.rc == 0, apply
    assert [r["changed"] for r in apply.task("Clusters of the pair")["result"]["results"]] == [True, True]
    again = run_playbook("compute_pair.yml", pair_vars)
    assert again.rc == 0, again
    assert again.changed == 0, again
