"""The README's demo (scripts/demo.sh): the whole DR story against the local emulator.

1. provision the pair (--check, apply, apply again: changed=0);
2. a data scientist seeds the PRIMARY with azure-ai-ml's MLClient (models from local folders, an
   MLflow model, an environment from an image and one from a Docker build context);
3. playbooks/sync.yml (--check --diff, apply, apply again: changed=0), then MLClient on the
   SECONDARY lists and downloads them (byte-identical);
4. the primary region HANGS; playbooks/failover.yml -e target=secondary writes config.json, and
   MLClient.from_config() on it works in the secondary;
5. the primary recovers; the failback (-e target=primary) syncs the outage's work back and switches;
   the active workspace read back through the lookup and aml_dr_state_info.

Each step checks what it shows; the first that fails ends the demo with a non-zero exit. Every
playbook's whole output is kept in build/demo-logs/ (AMLOPS_DEMO_VERBOSE=1 prints it too).
Nothing here talks to Azure: the emulator is the embedded default.
"""

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from emulator.harness import Emulator
from emulator.mlclient import cloud_metadata, cloud_name, ml_client, patched_environ

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PLAYBOOKS = REPO / "playbooks"
PAIR = "demo"
PRIMARY = ("rg-demo-eastus", "mlw-demo-eastus")
SECONDARY = ("rg-demo-westus", "mlw-demo-westus")
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20240709.v1"
VERBOSE = os.environ.get("AMLOPS_DEMO_VERBOSE") == "1"


class DemoFailed(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise DemoFailed(what)


def say(text=""):
    print(text, flush=True)


@contextlib.contextmanager
def quiet():
    """azure-ai-ml's progress bars and "Downloading ..." lines: kept out of the demo's output."""
    # (its "Downloading ..." lines go through a logging handler made on the real stdout)
    logging.disable(logging.INFO)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def stored_in(uri):
    """The workspace (azureml:// URI) or storage host (blob URL) a path points into."""
    if "/workspaces/" in uri:
        return "workspace " + uri.split("/workspaces/", 1)[1].split("/", 1)[0]
    return uri.split("/")[2] if "://" in uri else uri


def header(text):
    say("\n" + "#" * 100 + "\n# " + text + "\n" + "#" * 100)


class Run:
    """One ansible-playbook run: rc, wall time, the task results (JSON lines of the test callback)."""

    def __init__(self, rc, seconds, stdout, records, log):
        self.rc, self.seconds, self.stdout, self.records, self.log = rc, seconds, stdout, records, log
        stats = [r for r in records if r["kind"] == "stats"]
        self.stats = stats[-1]["hosts"] if stats else {}
        self.changed = sum(h.get("changed", 0) for h in self.stats.values())

    def task(self, suffix):
        found = [r for r in self.records if r["kind"] == "task" and r["task"].endswith(suffix)]
        return found[-1]["result"] if found else None

    def changed_tasks(self):
        names = []
        for r in self.records:
            if r["kind"] == "task" and r["status"] == "ok" and r["result"].get("changed"):
                name = r["task"].split(" : ", 1)[-1]
                if name not in names:
                    names.append(name)
        return names

    def failed(self):
        return [r for r in self.records if r["kind"] == "task" and r["status"] == "failed"]


class Demo:
    def __init__(self, emu, tmp, logs):
        self.emu, self.tmp, self.logs = emu, tmp, logs
        self.count = 0
        self.env = dict(os.environ)
        self.env.update(emu.env())
        self.env.update(ANSIBLE_CALLBACK_PLUGINS=str(REPO / "tests" / "integration" / "callback_plugins"),
                        ANSIBLE_CALLBACKS_ENABLED="amlops_results", ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
                        ANSIBLE_DISPLAY_SKIPPED_HOSTS="false", ANSIBLE_NOCOLOR="1")
        self.playbook_bin = str(Path(sys.executable).parent / "ansible-playbook")
        self.config_json = tmp / "ml-client" / "config.json"
        self.config_json.parent.mkdir()
        self.inventory = tmp / "inventory.json"
        self.inventory.write_text(json.dumps({"dr_pairs": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": {PAIR: {
                "bcdr_pair": {
                    "name": PAIR, "primary_region": "eastus", "secondary_region": "westus",
                    "modes": {"inference": "hot/hot", "training": "hot/warm"},
                    "compute_clusters": [{"name": "cpu-cluster", "vm_size": "Standard_DS3_v2",
                                          "min_nodes": 0, "max_nodes": 4}],
                    # the automation's own service principal may work in both workspaces
                    "role_assignments": [{"principal_id": emu.endpoint["principal_object_id"],
                                          "principal_type": "ServicePrincipal",
                                          "role": "AzureML Data Scientist"}],
                },
                # where the data scientists' config.json lives (a jump host's path, in real life)
                "failover_config_destinations": [str(self.config_json)],
                "failover_report_dir": str(tmp / "reports"),
                # each call to a workspace bounded: the region being left may hang
                "failover_timeout": 3, "failover_retries": 1, "failover_registry_timeout": 6,
            }},
        }}))

    # ---- ansible-playbook ----------------------------------------------------------------
    def playbook(self, label, playbook, *args):
        self.count += 1
        slug = "%02d-%s" % (self.count, "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-"))
        results = self.tmp / ("%s.jsonl" % slug)
        log = self.logs / ("%s.log" % slug)
        cmd = [self.playbook_bin, str(playbook), "-i", str(self.inventory)] + list(args)
        shown = "ansible-playbook %s %s" % (os.path.relpath(playbook, REPO), " ".join(args))
        say("\n$ %s" % shown.strip())
        started = time.monotonic()
        proc = subprocess.Popen(cmd, env=dict(self.env, AMLOPS_RESULTS_FILE=str(results)),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = []
        with open(log, "w") as fh:
            for line in proc.stdout:
                out.append(line)
                fh.write(line)
                if VERBOSE:
                    sys.stdout.write(line)
        rc = proc.wait()
        records = [json.loads(x) for x in results.read_text().splitlines() if x.strip()] if results.exists() else []
        run = Run(rc, time.monotonic() - started, "".join(out), records, log)
        say("  rc=%d changed=%d in %.1fs (full output: %s)"
            % (rc, run.changed, run.seconds, os.path.relpath(log, REPO)))
        if rc != 0:
            for r in run.failed():
                say("  FAILED %s: %s" % (r["task"], r["result"].get("msg")))
            say("".join(out[-30:]))
            raise DemoFailed("%s: ansible-playbook exited %d" % (label, rc))
        return run

    def show_changes(self, run, verb):
        names = run.changed_tasks()
        say("  %s %d task(s)%s" % (verb, len(names), ":" if names else ""))
        for name in names:
            say("    - " + name)

    # ---- 1. provision ----------------------------------------------------------------------
    def provision(self):
        header("1. Provision the DR pair: eastus (primary) + westus (secondary)")
        before = self.emu.state()
        check = self.playbook("provision check", PLAYBOOKS / "provision.yml", "--check")
        self.show_changes(check, "--check: would change")
        expect(check.changed > 0, "provision --check predicted no change on an empty subscription")
        expect(self.emu.state() == before, "provision --check changed the emulator's state")
        say("  the emulator's state is unchanged by --check")
        run = self.playbook("provision", PLAYBOOKS / "provision.yml")
        expect(run.changed_tasks() == check.changed_tasks(), "provision changed %s, --check predicted %s" % (
            run.changed_tasks(), check.changed_tasks()))
        say("  changed the %d tasks --check predicted, no more, no fewer" % len(run.changed_tasks()))
        run = self.playbook("provision again", PLAYBOOKS / "provision.yml")
        expect(run.changed == 0, "provision run again reported changed=%d" % run.changed)
        say("  run again: changed=0 (idempotent)")
        run = self.playbook("the pair", HERE / "demo.yml")
        lines = (run.task("Show the pair") or {}).get("msg") or []
        for line in lines:
            say("  " + line)
        expect(len(lines) == 2, "the pair's workspaces read back: %s" % lines)

    # ---- 2. seed the primary with MLClient ---------------------------------------------------
    def seed(self):
        header("2. A data scientist registers models and environments in the PRIMARY with azure-ai-ml's MLClient")
        from azure.ai.ml.constants import AssetTypes
        from azure.ai.ml.entities import BuildContext, Environment, Model

        src = self.tmp / "src"
        files = {
            "fraud-model": {"weights.bin": os.urandom(200_000), "config.json": b'{"threshold": 0.7}\n',
                            "tokenizer/vocab/vocab.txt": b"fraud\nlegit\n", "tokenizer/merges.txt": b"fr aud\n"},
            "churn-mlflow": {"MLmodel": textwrap.dedent("""\
                                artifact_path: model
                                flavors:
                                  python_function: {env: conda.yaml, loader_module: mlflow.sklearn, model_path: model.pkl}
                                  sklearn: {pickled_model: model.pkl, serialization_format: cloudpickle}
                                mlflow_version: 2.8.0
                                """).encode(),
                             "conda.yaml": b"dependencies:\n  - python=3.10\n  - scikit-learn=1.3\n",
                             "model.pkl": os.urandom(50_000)},
            "ltv-model": {"model.onnx": os.urandom(30_000)},
            "docker-ctx": {"Dockerfile": ("FROM %s\nCOPY requirements.txt /tmp/\n"
                                          "RUN pip install -r /tmp/requirements.txt\n" % IMAGE).encode(),
                           "requirements.txt": b"torch==2.1.0\n"},
            "conda": {"conda.yml": b"name: score\ndependencies:\n  - python=3.10\n  - pip:\n    - scikit-learn==1.3.0\n"},
        }
        for folder, content in files.items():
            for rel, data in content.items():
                path = src / folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        with patched_environ(self.emu), quiet():
            ml = ml_client(self.emu, *PRIMARY)
            self.models = [
                ml.models.create_or_update(Model(path=str(src / "fraud-model"), name="fraud", version="1",
                                                 type=AssetTypes.CUSTOM_MODEL, tags={"team": "risk"},
                                                 description="a folder of several files, one nested folder")),
                ml.models.create_or_update(Model(path=str(src / "churn-mlflow"), name="churn", version="1",
                                                 type=AssetTypes.MLFLOW_MODEL, description="an MLflow model")),
                ml.models.create_or_update(Model(path=str(src / "ltv-model"), name="ltv", version="3",
                                                 type=AssetTypes.CUSTOM_MODEL)),
            ]
            self.envs = [
                ml.environments.create_or_update(Environment(name="score-env", version="1", image=IMAGE,
                                                             conda_file=str(src / "conda" / "conda.yml"),
                                                             description="image + conda file")),
                ml.environments.create_or_update(Environment(name="train-env", version="1",
                                                             build=BuildContext(path=str(src / "docker-ctx")),
                                                             description="a Docker build context")),
            ]
            listed = sorted((m.name, m.version) for c in ml.models.list() for m in ml.models.list(name=c.name))
        for m, folder in zip(self.models, ("fraud-model", "churn-mlflow", "ltv-model")):
            local = [p for p in (src / folder).rglob("*") if p.is_file()]
            say("  model       %-10s %-13s from %s/ (%d files, %d bytes) -> %s" % (
                "%s:%s" % (m.name, m.version), m.type, folder, len(local), sum(p.stat().st_size for p in local),
                stored_in(m.path)))
        for e in self.envs:
            built = ("image %s + conda file" % e.image if e.image
                     else "Docker build context docker-ctx/ -> %s" % stored_in(e.build.path))
            say("  environment %-10s %s" % ("%s:%s" % (e.name, e.version), built))
        say("  MLClient(primary).models.list(): %s" % ", ".join("%s:%s" % x for x in listed))
        expect(len(listed) == 3, "the primary lists %d model versions, not 3" % len(listed))

    # ---- 3. sync --------------------------------------------------------------------------------
    def sync(self):
        header("3. playbooks/sync.yml: the secondary catches up with the primary")
        sync = PLAYBOOKS / "sync.yml"
        before = self.emu.state()
        check = self.playbook("sync check", sync, "--check", "--diff")
        expect(self.emu.state() == before, "sync --check changed the emulator's state")
        for asset in ("models", "environments"):
            say("  plan (%s): copy %s" % (asset, ", ".join(self.copied(check, asset)) or "-"))
        for item in (check.task("Mirror datastores") or {}).get("updated", []):
            say("  plan (datastores): update %s: %s" % (item["key"], json.dumps(item.get("changes"))))
        self.show_summary(check.task("Sync summary"))
        say("  the emulator's state is unchanged by --check")
        run = self.playbook("sync", sync)
        self.show_summary(run.task("Sync summary"))
        for asset in ("models", "environments"):
            expect(self.copied(run, asset) == self.copied(check, asset), "sync copied %s %s, --check planned %s" % (
                asset, self.copied(run, asset), self.copied(check, asset)))
        say("  copied exactly what --check planned")
        run = self.playbook("sync again", sync)
        expect(run.changed == 0, "sync run again reported changed=%d" % run.changed)
        say("  run again: changed=0 (nothing to copy)")

        say("\n  MLClient on the SECONDARY (%s) lists, gets and downloads them:" % SECONDARY[1])
        rows = []
        with patched_environ(self.emu), quiet():
            primary, secondary = ml_client(self.emu, *PRIMARY), ml_client(self.emu, *SECONDARY)
            for m in self.models:
                got = secondary.models.get(m.name, m.version)
                a = self.download(primary, m.name, m.version, "primary")
                b = self.download(secondary, m.name, m.version, "secondary")
                rows.append(("model %s:%s" % (m.name, m.version), got.type, len(b), sum(v[0] for v in b.values()),
                             "yes" if a == b else "NO", stored_in(got.path)))
                expect(a == b and a, "model %s:%s downloaded from the secondary differs" % (m.name, m.version))
                expect(got.type == m.type and got.tags == m.tags, "model %s:%s lost its type or tags" % (
                    m.name, m.version))
            for e in self.envs:
                got = secondary.environments.get(e.name, e.version)
                same = (got.image == e.image and got.conda_file == e.conda_file
                        and (got.build is None) == (e.build is None))
                rows.append(("environment %s:%s" % (e.name, e.version), "image" if got.image else "build context",
                             "", "", "yes" if same else "NO", stored_in(got.build.path) if got.build else "(an image)"))
                expect(same, "environment %s:%s differs in the secondary" % (e.name, e.version))
            listed = sorted("%s:%s" % (m.name, m.version) for c in secondary.models.list()
                            for m in secondary.models.list(name=c.name))
        say("  %-24s %-14s %5s %8s %-10s %s"
            % ("asset in the secondary", "type", "files", "bytes", "identical", "files stored in"))
        for row in rows:
            say("  %-24s %-14s %5s %8s %-10s %s" % row)
        say("  MLClient(secondary).models.list(): %s" % ", ".join(listed))

    def download(self, client, name, version, side):
        """{path under the model's folder: (size, sha256)} of a model version as azure-ai-ml downloads it
        (into <download_path>/<name>/<the stored folder's name>/)."""
        out = self.tmp / "download" / side / name / version
        client.models.download(name, version, download_path=str(out))
        return {p.relative_to(out).as_posix().split("/", 2)[-1]: (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
                for p in sorted(out.rglob("*")) if p.is_file()}

    @staticmethod
    def copied(run, asset):
        return sorted(i["key"] for i in (run.task("Copy " + asset) or {}).get("copied", []))

    @staticmethod
    def show_summary(summary):
        if not summary:
            return
        msg = summary.get("msg", {})
        if isinstance(msg, list):
            for line in msg:
                say("  | " + line)
            return
        say("  | %s, epoch %s, demoted: %s, RPO record: %s, %ss" % (
            msg.get("direction"), msg.get("epoch"), msg.get("demoted"), msg.get("rpo_record"), msg.get("seconds")))
        for asset, counts in sorted((msg.get("assets") or {}).items()):
            if any(counts.values()):
                say("  |   %-12s %s" % (asset, ", ".join("%s=%s" % kv for kv in counts.items() if kv[1])))

    # ---- 4. failover ------------------------------------------------------------------------------
    def failover(self):
        header("4. The primary region (eastus) HANGS: playbooks/failover.yml -e target=secondary")
        self.emu.set_faults(outages={"eastus": "hang"}, hang_seconds=120)
        say("  emulator faults: %s" % json.dumps(self.emu.faults()))
        run = self.playbook("failover", PLAYBOOKS / "failover.yml", "-e", "target=secondary", "-e", "max_rpo=1h")
        self.show_summary(run.task("Summary"))
        say("  failover took %.1fs of wall time (ansible-playbook start to end), every call to eastus bounded"
            % run.seconds)
        expect(self.config_json.exists(), "no config.json at %s" % self.config_json)
        say("  %s written: %s" % (self.config_json, json.dumps(json.loads(self.config_json.read_text()))))
        from azure.ai.ml import MLClient
        with patched_environ(self.emu), quiet():
            ml = MLClient.from_config(self.emu.credential(), path=str(self.config_json),
                                      cloud=cloud_name(self.emu), cloud_metadata=cloud_metadata(self.emu))
            listed = sorted("%s:%s" % (m.name, m.version) for c in ml.models.list() for m in ml.models.list(name=c.name))
        say("  MLClient.from_config(path=...) -> workspace %s; models: %s" % (ml.workspace_name, ", ".join(listed)))
        expect(ml.workspace_name == SECONDARY[1], "config.json names %s" % ml.workspace_name)
        expect(len(listed) == len(self.models), "the secondary lists %s" % listed)
        with patched_environ(self.emu), quiet():
            # work goes on in the secondary during the outage: it must come back with the failback
            src = self.tmp / "src" / "fraud-model-2"
            shutil.copytree(self.tmp / "src" / "fraud-model", src)
            (src / "config.json").write_bytes(b'{"threshold": 0.65}\n')
            from azure.ai.ml.entities import Model
            self.outage_model = ml.models.create_or_update(Model(path=str(src), name="fraud", version="2",
                                                                 description="retrained during the outage"))
        say("  during the outage a data scientist registers fraud:2 in the secondary")

    # ---- 5. failback ---------------------------------------------------------------------------
    def failback(self):
        header("5. The primary recovers: failback -e target=primary (reverse sync, then switch)")
        self.emu.clear_faults()
        say("  emulator faults cleared: %s" % json.dumps(self.emu.faults()))
        run = self.playbook("failback", PLAYBOOKS / "failover.yml", "-e", "target=primary")
        sync_summary = run.task("Sync summary")
        if sync_summary:
            say("  reverse sync:")
            self.show_summary(sync_summary)
        self.show_summary(run.task("failover : Summary"))
        run = self.playbook("active workspace", HERE / "active.yml")
        for line in (run.task("Show the active workspace") or {}).get("msg", []):
            say("  " + line)
        active = ((run.task("Who is active (the amlops.bcdr.active_workspace lookup)") or {})
                  .get("ansible_facts", {}).get("active", {}))
        expect(active.get("workspace_name") == PRIMARY[1], "the lookup says %s is active" % active)
        say("  %s: %s" % (self.config_json, json.dumps(json.loads(self.config_json.read_text()))))
        with patched_environ(self.emu), quiet():
            primary = ml_client(self.emu, *PRIMARY)
            back = self.download(primary, "fraud", "2", "primary-after")
            there = self.download(ml_client(self.emu, *SECONDARY), "fraud", "2", "secondary-outage")
        expect(back == there, "fraud:2 in the primary differs from the secondary's")
        say("  fraud:2 (registered during the outage) is in the primary, byte-identical (%d files)" % len(back))
        expect(json.loads(self.config_json.read_text())["workspace_name"] == PRIMARY[1],
               "config.json does not name the primary again")


def main():
    started = time.monotonic()
    state_dir = Path(os.environ.get("AMLOPS_DEMO_STATE", REPO / "build" / "demo-state"))
    logs = REPO / "build" / "demo-logs"
    for folder in (state_dir, logs):
        if folder.exists() and os.environ.get("AMLOPS_DEMO_KEEP") != "1":
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
    step = "starting the emulator"
    try:
        with Emulator(str(state_dir)) as emu, tempfile.TemporaryDirectory() as tmp:
            say("emulator: %s (state in %s)" % (emu.arm_url, os.path.relpath(state_dir, REPO)))
            demo = Demo(emu, Path(tmp), logs)
            for step, fn in (("1. provision", demo.provision), ("2. seed", demo.seed), ("3. sync", demo.sync),
                             ("4. failover", demo.failover), ("5. failback", demo.failback)):
                fn()
        say("\nemulator stopped")
    except DemoFailed as e:
        say("\nDEMO FAILED at step %s: %s" % (step, e))
        return 1
    except Exception as e:          # an SDK error or a broken emulator: still a clear last line
        import traceback
        traceback.print_exc()
        say("\nDEMO FAILED at step %s: %s: %s" % (step, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
        return 1
    say("demo done in %.0fs: provision, seed, sync, failover with the primary hanging, failback" % (
        time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
