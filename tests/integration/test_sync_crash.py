"""Crash safety of aml_model_copy, run by ansible-playbook against the emulator: the run is SIGKILLed
(ansible-playbook with all its descendants: workers, the module) at a point drawn from a seeded RNG over
the measured duration of a full run of the module, 20 times. Right after each kill the target may be
behind, but holds no duplicate version and no version without all of its files; the rerun then converges
to exactly the source's set, byte for byte, each version once, with no orphaned blob under the sync's
folder. Each round first adds to the source as many new versions as the measured run copied (so that
every kill interrupts real work), and some rounds replace, before the rerun, a source version the killed
run had not registered yet (its partial copy, if any, must then be removed as an orphan).

The 20 rounds run as 4 lanes of 5, each lane on a pair of its own, side by side (the wall time is mostly
Ansible's and the SDKs' start-up). A failure names its lane, round and seed; lane L round R uses seed
CRASH_SEED0 + 100 * L + R, so ``CRASH_LANES=1 CRASH_SEED0=<1000 + 100 * L>`` replays lane L (kill times
are relative to the module's start, so a loaded machine shifts them little)."""

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from emulator.harness import Emulator
from pair_fixtures import make_pair
from sync_checks import (COPY_PREFIX, MODEL_COPY, check_converged, check_partial, model_copy_vars, run_and_kill,
                         stored_files, uri_path, versions)

LANES = int(os.environ.get("CRASH_LANES", "4"))
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "5"))
SEED0 = int(os.environ.get("CRASH_SEED0", "1000"))
MODELS = ("fraud", "churn", "ltv")


def model_files(rng, name, version, salt=""):
    """A few small files, one nested, with content unique to the version (so digests differ)."""
    body = ("%s %s %s " % (name, version, salt)).encode()
    return {"model.bin": body * rng.randint(200, 1500),
            "MLmodel": b"flavors:\n  python_function: {}\n" + body,
            "conda.yaml": b"dependencies: [python=3.10]\n# " + body,
            "code/sub/score.py": b"def run(x):\n    return x  # " + body + b"\n"}


@pytest.fixture(scope="module")
def crash_emulator(tmp_path_factory):
    """An emulator of its own, traffic not recorded: 20 rounds of the same calls would only lengthen the
    oav check of the suite's traffic, and the kills stay away from the session emulator's other users."""
    emu = Emulator(tmp_path_factory.mktemp("crash-emulator"))
    emu.start()
    yield emu
    emu.stop()


def _blob_names(ws, prefix):
    return [b.name for b in ws.blobs.get_container_client(ws.container).list_blobs(name_starts_with=prefix)]


def lane(ansible_env, work, lane_no, pair):
    """One pair, ROUNDS kills; -> its counters. Raises AssertionError naming the round and seed."""
    src, dst = pair
    extra = model_copy_vars(src, dst, parallelism=2)
    setup = random.Random(SEED0 + 100 * lane_no)
    for name in MODELS:
        for version in ("1", "2"):
            src.add_model(name, version, model_files(setup, name, version), description="v" + version)
    # the kill window: the module's lifetime in a full run with a round's worth of work, measured here
    first = run_and_kill(ansible_env, MODEL_COPY, extra, work / ("lane%d-first" % lane_no))
    assert first["rc"] == 0 and first["module_seconds"], (lane_no, first)
    full = first["module_seconds"]
    assert check_converged(src, dst) == [], lane_no

    counts = dict(killed=0, behind=0, half_way=0, replaced=0, kills=[])
    for round_no in range(ROUNDS):
        seed = SEED0 + 100 * lane_no + round_no
        rng = random.Random(seed)
        where = "lane %d round %d (seed %d)" % (lane_no, round_no, seed)
        new = [(name, str(3 + 2 * round_no + k)) for name in MODELS for k in (0, 1)]
        if rng.random() < 0.3:
            new.append(("new%d" % round_no, "1"))
        for name, ver in new:
            src.add_model(name, ver, model_files(rng, name, ver))

        # over the module's whole life, and every other round over its last 40% (after the SDK imports
        # and the plan: the copies and registrations), so that enough kills land mid-apply
        after = rng.uniform(0, full) if round_no % 2 == 0 else rng.uniform(0.6 * full, full)
        kill_when = None
        if round_no == 1:
            # one round a lane is killed right after its first new copy lands, so that every run of the
            # test catches copies half-way, however fast or slow the machine is
            def kill_when(before=frozenset(_blob_names(dst, COPY_PREFIX))):
                return bool(set(_blob_names(dst, COPY_PREFIX)) - before)
        killed = run_and_kill(ansible_env, MODEL_COPY, extra, work / ("lane%d-round%d" % (lane_no, round_no)),
                              None if kill_when else after, kill_when=kill_when)
        assert killed["killed"] or killed["rc"] == 0, (where, killed)
        counts["killed"] += killed["killed"]
        counts["kills"].append("first copy" if kill_when else "%.1f" % after)
        problems, source, found, _target = check_partial(src, dst)
        assert problems == [], "%s, killed %.2fs into the module: %s" % (where, after, problems)
        missing = sorted(set(source) - set(found))
        counts["behind"] += bool(missing)
        # caught half-way: part of the round's versions registered, or copies not registered yet
        registered = set(uri_path(v[0].properties.model_uri) for v in found.values())
        unregistered = [b for b in stored_files(dst, COPY_PREFIX) if not any(b.startswith(p) for p in registered)]
        counts["half_way"] += bool(unregistered) or 0 < len(missing) < len(new)

        # a source version the killed run had not registered is replaced by other content: a partial
        # copy of the old content is now an orphan the rerun must delete
        if missing and rng.random() < 0.5:
            name, ver = rng.choice(missing)
            src.ml.model_versions.delete(src.group, src.name, name, ver)
            src.add_model(name, ver, model_files(rng, name, ver, salt="replaced"))
            counts["replaced"] += 1

        rerun = run_and_kill(ansible_env, MODEL_COPY, extra, work / ("lane%d-rerun%d" % (lane_no, round_no)))
        assert rerun["rc"] == 0, "%s: the rerun failed (see %s)" % (where, work)
        assert check_converged(src, dst) == [], where
    # once converged, a run has nothing to do
    last = run_and_kill(ansible_env, MODEL_COPY, extra, work / ("lane%d-last" % lane_no))
    assert last["rc"] == 0 and last["changed"] == 0, (lane_no, last)
    counts["versions"] = len(versions(dst))
    return counts


def test_sigkill_at_random_points_then_rerun_converges(crash_emulator, ansible_env, tmp_path):
    env = dict(ansible_env, **crash_emulator.env())
    started, cpu = time.monotonic(), time.process_time()
    lock = threading.Lock()

    def one(lane_no):
        with lock:  # pair creation is a burst of ARM calls; one at a time keeps the LROs quick
            pair = make_pair(crash_emulator, "crash%d" % lane_no)
        return lane(env, tmp_path, lane_no, (pair[1]["primary"], pair[1]["secondary"]))

    with ThreadPoolExecutor(LANES) as pool:
        results = list(pool.map(one, range(LANES)))

    total = dict((k, sum(r[k] for r in results)) for k in ("killed", "behind", "half_way", "replaced"))
    rounds = LANES * ROUNDS
    # the kills interrupted real work, not only finished or not-yet-started runs
    assert total["killed"] >= rounds * 3 // 4, total
    assert total["half_way"] >= min(3, LANES), total
    print("crash: %d kills in %d rounds, target behind after the kill %d, caught half-way %d, source versions "
          "replaced %d; kill points (s into the module) %s; %.0fs wall, %.0fs CPU in pytest" % (
              total["killed"], rounds, total["behind"], total["half_way"], total["replaced"],
              " | ".join(" ".join(r["kills"]) for r in results), time.monotonic() - started,
              time.process_time() - cpu))
