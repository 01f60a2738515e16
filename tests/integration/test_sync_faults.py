"""aml_model_copy under faults, run by ansible-playbook against the emulator.

- 429 with Retry-After and 5xx on a fraction of ARM calls: the run still converges (the target holds
  exactly the source's versions, byte for byte), and the emulator's access log shows the faults were
  served;
- the source region down (503s, then connections that hang) or the target region down: the module fails
  within a bounded time with one line naming the unreachable side, and the target is unchanged (the
  emulator's state and every blob of the target's default datastore, before and after)."""

import re
import time

import pytest

from pair_fixtures import make_pair
from sync_checks import MODEL_COPY, check_converged, model_copy_vars, stored_files, versions

FILES = {"model.pkl": b"weights " * 300, "MLmodel": b"flavors: {}\n", "code/score.py": b"def run(x):\n    return x\n"}
HANG = 3    # seconds the emulator holds a connection to a "hanging" region before dropping it
BOUND = 60  # the module should fail within this (its own timeouts and retries, not the outage, decide)


@pytest.fixture(scope="module")
def fault_pair(emulator):
    bcdr_pair, ws = make_pair(emulator, "flt")
    src, dst = ws["primary"], ws["secondary"]
    for name in ("fraud", "churn", "ltv"):
        for version in ("1", "2"):
            src.add_model(name, version, dict(FILES, **{"model.pkl": (name + version).encode() * 200}))
    return bcdr_pair, src, dst


@pytest.fixture
def faults(emulator):
    yield emulator
    emulator.clear_faults()


def served_statuses(emulator, since):
    """Status codes the emulator answered ARM calls with after line ``since`` of its access log."""
    with open("%s/emulator.log" % emulator.state_dir) as fh:
        lines = fh.read().splitlines()[since:]
    return [m.group(1) for m in (re.search(r" -> (\d{3}|hang) ", line) for line in lines) if m]


def log_length(emulator):
    with open("%s/emulator.log" % emulator.state_dir) as fh:
        return len(fh.read().splitlines())


def test_throttling_and_server_errors_on_a_fraction_of_calls_converge(faults, run_playbook, fault_pair):
    _pair, src, dst = fault_pair
    since = log_length(faults)
    faults.set_faults(throttle={"rate": 0.15, "retry_after": 1}, server_errors={"rate": 0.1, "status": 503}, seed=7)
    run = run_playbook(MODEL_COPY, model_copy_vars(src, dst))
    statuses = served_statuses(faults, since)
    faults.clear_faults()
    assert statuses.count("429") >= 1 and statuses.count("503") >= 1, statuses
    assert run.rc == 0, run
    assert check_converged(src, dst) == []
    again = run_playbook(MODEL_COPY, model_copy_vars(src, dst))
    assert again.rc == 0 and again.changed == 0, again
    print("faults: %d ARM answers, %d x 429, %d x 503; converged in one run"
          % (len(statuses), statuses.count("429"), statuses.count("503")))


@pytest.mark.parametrize("side, mode", [("source", "error"), ("source", "hang"), ("target", "error"),
                                        ("target", "hang")])
def test_a_region_down_fails_bounded_with_one_line_and_changes_nothing(faults, run_playbook, fault_pair, side, mode):
    _pair, src, dst = fault_pair
    # new work in the source, so that a run that got through would change the target
    version = str(10 + len(versions(src)))
    src.add_model("fraud", version, dict(FILES, **{"model.pkl": b"new " * 100 + version.encode()}))
    region = (src if side == "source" else dst).ml.workspaces.get((src if side == "source" else dst).group,
                                                                  (src if side == "source" else dst).name).location
    state, blobs = faults.state(), stored_files(dst)
    faults.set_faults(outages={region: mode}, hang_seconds=HANG)
    started = time.monotonic()
    run = run_playbook(MODEL_COPY, model_copy_vars(src, dst), timeout=BOUND * 3)
    wall = time.monotonic() - started
    faults.clear_faults()
    assert run.rc != 0, run
    failed = run.failed
    assert len(failed) == 1, run
    msg = failed[0]["result"]["msg"]
    print("%s region (%s) %s: failed after %.1fs: %s" % (side, region, mode, wall, msg))
    assert "\n" not in msg and len(msg) < 400, msg
    assert faults.state() == state, "the target changed"
    assert stored_files(dst) == blobs, "the target's storage changed"
    # the line names the side that did not answer, and the module's own per-request bounds (timeout, retries:
    # its defaults here), not the outage, decide when it gives up
    name = src.name if side == "source" else dst.name
    assert "the %s workspace '%s'" % (side, name) in msg, msg
    assert wall < BOUND, "failed only after %.0fs (bound %ds)" % (wall, BOUND)


def test_once_the_regions_are_back_the_sync_converges(emulator, run_playbook, fault_pair):
    _pair, src, dst = fault_pair
    assert emulator.faults().get("outages") in (None, {}), emulator.faults()
    back = run_playbook(MODEL_COPY, model_copy_vars(src, dst))
    assert back.rc == 0, back
    assert check_converged(src, dst) == []
    assert len(versions(dst)) == len(versions(src)) >= 10
