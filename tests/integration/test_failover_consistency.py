"""Asset consistency across a failover and failback, against the emulator (issue 8, "Tests"):

- split brain: after a failover with the primary hanging, the primary comes back still claiming to be
  active at its older epoch and gets a version registered in it; the sync then goes secondary -> primary
  (the stale primary is demoted, never read as a source), the failback syncs back and switches, and no
  version is lost on either side (docs/sync.md: versions only in the target are left alone);
- failover during a running sync: the sync is SIGKILLed after its first copy started, the pair fails over
  with the primary erroring, then syncs secondary -> primary, fails back and syncs primary -> secondary:
  it converges, nothing is lost, no version is half-registered or listed twice."""

import json
import subprocess
import sys
import time
from pathlib import Path

from pair_fixtures import STATE, claim, make_pair, pair_inventory
from sync_checks import COPY_PREFIX, _kill_tree, check_converged, check_partial, snapshot, versions

REPO = Path(__file__).resolve().parents[2]
SYNC = str(REPO / "playbooks" / "sync.yml")
FAILOVER = str(REPO / "playbooks" / "failover.yml")


def files(name, version, size=2000):
    body = ("%s %s " % (name, version)).encode()
    return {"model.bin": (body * size)[:size * 8], "MLmodel": b"flavors: {}\n" + body}


def inventory(bcdr_pair, tmp):
    inv = pair_inventory(bcdr_pair)
    inv["dr_pairs"]["hosts"][bcdr_pair["name"]].update(
        failover_report_dir=str(tmp / "reports"), failover_timeout=2, failover_retries=1,
        failover_registry_timeout=6, failover_config_destinations=[str(tmp / "config.json")])
    inv["dr_pairs"]["vars"] = dict(ansible_connection="local", ansible_python_interpreter=sys.executable)
    return inv


def last_report(tmp):
    return json.loads(sorted((tmp / "reports").glob("*.json"), key=lambda p: p.stat().st_mtime_ns)[-1].read_text())


def summary(run):
    return run.task("amlops.bcdr.sync : Sync summary")["result"]["msg"]


def marker(ws):
    tags = ws.state_tags()
    return tags.get(STATE + "active"), tags.get(STATE + "epoch")


def no_duplicates(ws):
    return sorted(key for key, listed in versions(ws).items() if len(listed) != 1)


def test_split_brain_is_fenced_and_failback_loses_nothing(emulator, run_playbook, tmp_path):
    bcdr_pair, ws = make_pair(emulator, "fcb")
    primary, secondary = ws["primary"], ws["secondary"]
    inv = inventory(bcdr_pair, tmp_path)
    for key in (("fraud", "1"), ("fraud", "2"), ("churn", "1")):
        primary.add_model(*key, files(*key))
    for side in (primary, secondary):           # as after an earlier switch: both agree, primary at epoch 1
        side.set_state_tags(claim("primary", 1))
    first = run_playbook(SYNC, inventory=inv)
    assert first.rc == 0, first
    assert check_converged(primary, secondary) == []
    before_outage = snapshot(primary)

    emulator.set_faults(outages={"eastus": "hang"}, hang_seconds=60)
    try:
        over = run_playbook(FAILOVER, {"target": "secondary", "max_rpo": "1h"}, inventory=inv)
        assert over.rc == 0, over
        assert marker(secondary) == ("secondary", "2")
        # work in the DR region during the outage: a new version of a model and a new model
        secondary.add_model("fraud", "3", files("fraud", "3"))
        secondary.add_model("outage", "1", files("outage", "1"))
    finally:
        emulator.clear_faults()
    # the primary comes back never having heard of the switch, and someone registers a version in it
    assert marker(primary) == ("primary", "1")
    primary.add_model("late", "1", files("late", "1", size=3000))
    late = snapshot(primary)[("late", "1")]
    outage = dict((k, v) for k, v in snapshot(secondary).items() if k in {("fraud", "3"), ("outage", "1")})
    assert len(outage) == 2

    run = run_playbook(SYNC, inventory=inv)
    assert run.rc == 0, run
    done = summary(run)
    assert done["direction"] == "secondary (mlw-fcb-westus) -> primary (mlw-fcb-eastus)", done
    assert done["demoted"] == "the primary workspace was stale and now records secondary active at epoch 2", done
    assert marker(primary) == ("secondary", "2")
    assert ("late", "1") not in secondary.models(), "the stale primary was used as a source"
    assert snapshot(primary)[("late", "1")] == late, "the stale primary's own version was touched"

    back = run_playbook(FAILOVER, {"target": "primary"}, inventory=inv)
    assert back.rc == 0, back
    assert marker(primary) == marker(secondary) == ("primary", "3")
    report = last_report(tmp_path)
    assert (report["action"], report["epoch_before"], report["epoch_after"]) == ("switch", 2, 3)
    assert [e["status"] for e in report["timeline"] if e["step"] == "sync"] == ["ok"]
    print("failback report, for a human: %s" % report["human"])

    # the source of truth: what existed before the outage, plus the outage's work (both sides), plus the
    # version registered in the stale primary, which docs/sync.md says stays where it was (left alone)
    p, s = snapshot(primary), snapshot(secondary)
    truth = {**before_outage, **outage}
    for key, content in truth.items():
        assert p.get(key) == content, ("primary", key, p.get(key), content)
        assert s.get(key) == content, ("secondary", key, s.get(key), content)
    assert p == {**truth, ("late", "1"): late}, sorted(p)
    assert s == truth, sorted(s)
    assert no_duplicates(primary) == no_duplicates(secondary) == []


def sync_and_kill(env, bcdr_pair, target, work):
    """Run playbooks/sync.yml (one copy at a time); SIGKILL it with all its processes as soon as the first
    blob of a copy shows up in the target's storage. -> seconds from start to kill, or None if it ended."""
    work.mkdir(parents=True, exist_ok=True)
    vars_file = work / "vars.json"
    vars_file.write_text(json.dumps({"bcdr_hosts": "localhost", "bcdr_pair": bcdr_pair, "sync_parallelism": 1}))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), SYNC, "-i", "localhost,", "-c", "local",
               "-e", "@%s" % vars_file]
    started = time.monotonic()
    with open(work / "out.log", "wb") as out:
        proc = subprocess.Popen(command, env=dict(env, AMLOPS_RESULTS_FILE=str(work / "results.jsonl")), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=str(work))
        client = target.blobs.get_container_client(target.container)
        while proc.poll() is None and time.monotonic() - started < 240:
            if next(iter(client.list_blobs(name_starts_with=COPY_PREFIX)), None) is not None:
                killed = _kill_tree(proc.pid)
                proc.wait(10)
                for pid in killed:      # nothing of that run may keep copying behind the next steps
                    deadline = time.monotonic() + 5
                    while Path("/proc/%d" % pid).exists() and time.monotonic() < deadline:
                        if Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] == "Z":
                            break
                        time.sleep(0.05)
                return time.monotonic() - started
            time.sleep(0.05)
    return None


def test_failover_during_a_running_sync_converges(emulator, run_playbook, ansible_env, tmp_path):
    bcdr_pair, ws = make_pair(emulator, "fck")
    primary, secondary = ws["primary"], ws["secondary"]
    inv = inventory(bcdr_pair, tmp_path)
    originals = [("m%d" % i, "1") for i in range(8)] + [("m0", "2"), ("m1", "2")]
    for key in originals:
        primary.add_model(*key, files(*key))
    for side in (primary, secondary):
        side.set_state_tags(claim("primary", 1))
    truth = snapshot(primary)

    seconds = sync_and_kill(ansible_env, bcdr_pair, secondary, tmp_path / "killed")
    assert seconds is not None, "the sync ended before its first copy was seen: %s" % (tmp_path / "killed")
    problems, _source, found, _target = check_partial(primary, secondary)
    assert problems == [], problems                       # nothing half-registered, nothing twice
    print("killed %.1fs after the start, %d of %d versions registered in the secondary"
          % (seconds, len(found), len(truth)))
    assert len(found) < len(truth), "the kill came after the sync's work was done"

    emulator.set_faults(outages={"eastus": "error"})
    try:
        # the interrupted sync wrote no RPO record: the target was never synced, so the failover is forced
        over = run_playbook(FAILOVER, {"target": "secondary", "force": "true"}, inventory=inv)
        assert over.rc == 0, over
        assert marker(secondary) == ("secondary", "2")
        assert last_report(tmp_path)["forced"] == ["rpo"], last_report(tmp_path)["forced"]
        secondary.add_model("outage", "1", files("outage", "1"))
    finally:
        emulator.clear_faults()
    truth[("outage", "1")] = snapshot(secondary)[("outage", "1")]
    assert marker(primary) == ("primary", "1")

    reverse = run_playbook(SYNC, inventory=inv)
    assert reverse.rc == 0, reverse
    assert summary(reverse)["direction"] == "secondary (mlw-fck-westus) -> primary (mlw-fck-eastus)"
    assert marker(primary) == ("secondary", "2")
    p = snapshot(primary)
    assert p == truth, "missing %s, extra %s" % (sorted(set(truth) - set(p)), sorted(set(p) - set(truth)))

    back = run_playbook(FAILOVER, {"target": "primary"}, inventory=inv)
    assert back.rc == 0, back
    assert marker(primary) == marker(secondary) == ("primary", "3")

    forward = run_playbook(SYNC, inventory=inv)
    assert forward.rc == 0, forward
    assert summary(forward)["direction"] == "primary (mlw-fck-eastus) -> secondary (mlw-fck-westus)"
    assert snapshot(primary) == truth
    # the secondary holds exactly the primary's versions, byte for byte, each once, no orphaned copy
    assert check_converged(primary, secondary) == []
    assert no_duplicates(primary) == []
