"""The failover's wall time (the control plane's RTO) with the primary region hanging, against the
same failover with the primary healthy, in one run (run on demand, not a test).

    PYTHONPATH=tests .venv/bin/python benchmarks/failover_rto.py [--rounds 1] [--timeout 5]
        [--hang-seconds 60]

A fresh emulator (HTTPS, strict responses) gets one DR pair as the provision role names it (both
workspaces, a compute cluster in each, the shared registry replicated to the secondary region); both
workspaces carry the claim "primary at epoch 1" and the secondary a recent sync record. Each round
runs ``ansible-playbook playbooks/failover.yml -e target=secondary`` twice, from the same starting
state: once with the primary region healthy (the switch also demotes the primary) and once with it
hanging (every call to eastus holds the connection for --hang-seconds; the failover's reads of it are
bounded by --timeout). Prints each run's wall time, the report's own total, and the ratio
hanging/healthy. Target: under 60 s with the primary hanging, within 1.5x of the healthy run.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))

from azure.mgmt.containerregistry import ContainerRegistryManagementClient  # noqa: E402
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient  # noqa: E402
from azure.mgmt.machinelearningservices import models as mlm  # noqa: E402

from emulator.harness import Emulator  # noqa: E402
from emulator.seed import seed_pair  # noqa: E402

STATE = "amlops.bcdr.state."
PAIR = dict(name="rto", primary_region="eastus", secondary_region="westus", modes={"training": "hot/warm"},
            compute_clusters=[dict(name="cpu-cluster", vm_size="Standard_DS3_v2", max_nodes=2)])
WS = {"primary": ("rg-rto-eastus", "mlw-rto-eastus"), "secondary": ("rg-rto-westus", "mlw-rto-westus")}


def build_pair(emulator):
    ml = emulator.client(MachineLearningServicesMgmtClient, "2024-04-01")
    seeded = seed_pair(emulator.endpoint, "rto")
    for role in ("primary", "secondary"):
        region = seeded[role]
        group, name = WS[role]
        ml.workspaces.begin_create_or_update(group, name, mlm.Workspace(
            location=region["location"], storage_account=region["storage_account"],
            key_vault=seeded["shared"]["key_vault"], application_insights=region["application_insights"],
            container_registry=seeded["shared"]["container_registry"])).result()
        ml.compute.begin_create_or_update(group, name, "cpu-cluster", {
            "location": region["location"], "properties": {"computeType": "AmlCompute", "properties": {
                "vmSize": "Standard_DS3_v2", "vmPriority": "Dedicated",
                "scaleSettings": {"maxNodeCount": 2, "minNodeCount": 0}}}}).result()
    registry = seeded["shared"]["container_registry"]
    emulator.client(ContainerRegistryManagementClient, "2023-07-01").replications.begin_create(
        seeded["shared"]["resource_group"], registry.rsplit("/", 1)[-1], "westus", {"location": "westus"}).result()
    return ml, dict(PAIR, existing={"container_registry_id": registry})


def arrange(ml):
    """Both sides claim the primary at epoch 1; the secondary was synced a minute ago."""
    synced = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    for role in ("primary", "secondary"):
        tags = {STATE + "active": "primary", STATE + "epoch": "1", STATE + "switched_at": "2026-11-30T09:00:00Z"}
        if role == "secondary":
            tags.update({STATE + "last_sync": synced, STATE + "sync_source": "primary"})
        ml.workspaces.begin_update(*WS[role], {"tags": tags}).result()


def run_failover(env, inventory, workdir):
    started = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           os.path.join(REPO, "playbooks", "failover.yml"), "-i", inventory,
                           "-e", "target=secondary"], env=env, cwd=workdir, capture_output=True, text=True,
                          check=False)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        failed = [line for line in proc.stdout.splitlines() if line.startswith(("fatal:", "failed:"))]
        shown = "\n".join(failed) or proc.stdout[-4000:]
        sys.exit("failover failed (rc=%d):\n%s\n%s" % (proc.returncode, shown, proc.stderr[-2000:]))
    reports = sorted((os.path.join(workdir, "reports", f) for f in os.listdir(os.path.join(workdir, "reports"))),
                     key=os.path.getmtime)
    with open(reports[-1]) as fh:
        return wall, json.load(fh)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=5, help="failover_timeout (seconds per request)")
    parser.add_argument("--hang-seconds", type=float, default=60)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="failover-rto-")
    emulator = Emulator(os.path.join(workdir, "state"))
    emulator.start()
    try:
        ml, pair = build_pair(emulator)
        collections = os.path.join(workdir, "collections", "ansible_collections", "amlops")
        os.makedirs(collections)
        os.symlink(REPO, os.path.join(collections, "bcdr"))
        local = dict(ansible_connection="local", ansible_python_interpreter=sys.executable)
        inventory = os.path.join(workdir, "inventory.json")
        with open(inventory, "w") as fh:
            json.dump({"dr_pairs": {"vars": local, "hosts": {"rto": dict(
                bcdr_pair=pair, failover_timeout=args.timeout, failover_report_dir=os.path.join(workdir, "reports"),
                failover_config_destinations=[os.path.join(workdir, "config.json")])}}}, fh)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_"))}
        env.update(emulator.env(), ANSIBLE_COLLECTIONS_PATH=os.path.join(workdir, "collections"),
                   ANSIBLE_HOME=os.path.join(workdir, "ansible-home"), ANSIBLE_NOCOLOR="1")

        results = {"healthy": [], "hanging": []}
        for _round in range(args.rounds):
            for mode in ("healthy", "hanging"):
                arrange(ml)
                if mode == "hanging":
                    emulator.set_faults(outages={"eastus": "hang"}, hang_seconds=args.hang_seconds)
                try:
                    wall, report = run_failover(env, inventory, workdir)
                finally:
                    emulator.clear_faults()
                assert (report["action"], report["epoch_after"]) == ("switch", 2), report
                results[mode].append(wall)
                steps = ", ".join("%s %.1fs" % (e["step"], e["seconds"] or 0) for e in report["timeline"])
                print("primary %-7s: failover %.1fs wall (report %.1fs: %s); skipped: %s" % (
                    mode, wall, report["seconds_wall"], steps,
                    ", ".join("%s %s" % (s["step"], s["role"]) for s in report["skipped"]) or "nothing"))
        healthy = min(results["healthy"])
        hanging = min(results["hanging"])
        print("failover wall time, best of %d: primary healthy %.1fs, primary hanging %.1fs, ratio %.2f "
              "(target: hanging < 60s, ratio <= 1.5)" % (args.rounds, healthy, hanging, hanging / healthy))
    finally:
        emulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
