"""The collection's sync against a download-and-register loop, side by side in one run (run on demand,
not a test; it loads the machine).

    PYTHONPATH=tests .venv/bin/python benchmarks/sync.py [--models 200] [--versions 5] [--kb 1024]
        [--envs 100] [--env-versions 3] [--new 10] [--parallelism 8] [--rate-mbit 100]

A fresh emulator; the primary workspace of a pair is seeded with M models x V versions (three files per
version, ~KB in all; uploaded in parallel to Azurite, versions registered through ARM with the mgmt
SDK) and E environments x EV versions (image-based). Four target workspaces, each the standby of a pair
of its own, receive the same source:

- the collection: ``ansible-playbook`` of a two-task playbook (``amlops.bcdr.aml_model_copy`` then
  ``amlops.bcdr.aml_env_copy``), as a scheduled sync runs it; wall time includes Ansible's start-up;
- the baseline, what the download-and-register loop does, with the same SDKs in this process: list the
  source's models and their versions, list the target's versions, and for each missing version
  download its files through the controller, upload them to the target's default datastore, register
  the version (same metadata, ``modelUri`` on the target); environments listed and registered. It runs
  ``--parallelism`` versions at a time, like the module (the CLI loop runs one at a time: the
  baseline is faster than the real thing). Its blob traffic uses Azure's endpoint names through the
  emulator's blob proxy (the controller's link: counted, and paced for the rate-limited rows).

Measured: (1) the first full sync, on loopback and with the controller's link at --rate-mbit;
(2) a no-op second sync, with and without the emulator's ARM token bucket (reads 250 burst, 25/s);
(3) the sync after --new new versions. For each: wall seconds, ARM requests (the emulator's access log:
every request under /subscriptions/ it served, throttled answers included), and bytes of blob data
through the controller: the blob proxy's counters, and for the collection also every byte its
processes exchanged with Azurite directly (the module reaches storage at the endpoints ARM gives, which
in the emulator are Azurite's loopback URLs, not through the proxy: a ``sitecustomize`` probe in the
playbook's processes counts the bytes on their plain sockets to Azurite's port, and the requests it
sends there: "storage requests"). The rate-limited rows pace only the proxy: the collection's own
storage calls are control calls (listings, copy requests), whose bytes are printed.
"""
import argparse
import concurrent.futures as cf
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import psutil  # noqa: E402
from azure.mgmt.machinelearningservices import models as ml  # noqa: E402
from azure.storage.blob import BlobServiceClient  # noqa: E402

from emulator.harness import Emulator  # noqa: E402
from pair_fixtures import make_pair  # noqa: E402

PLAYBOOK = """\
- name: Sync models and environments (benchmark)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Copy models
      amlops.bcdr.aml_model_copy:
        source_workspace: "{{ sync.source_workspace }}"
        source_resource_group: "{{ sync.source_resource_group }}"
        target_workspace: "{{ sync.target_workspace }}"
        target_resource_group: "{{ sync.target_resource_group }}"
        parallelism: "{{ sync.parallelism }}"
    - name: Copy environments
      amlops.bcdr.aml_env_copy:
        source_workspace: "{{ sync.source_workspace }}"
        source_resource_group: "{{ sync.source_resource_group }}"
        target_workspace: "{{ sync.target_workspace }}"
        target_resource_group: "{{ sync.target_resource_group }}"
        parallelism: "{{ sync.parallelism }}"
      when: sync.envs | bool
"""

# Loaded by every Python process of the playbook (PYTHONPATH): counts the bytes each process exchanges
# over plain (non-TLS) sockets with BENCH_PORT, written at exit to BENCH_DIR/<pid>.json.
SITECUSTOMIZE = """\
import atexit, json, os, socket
_PORT = int(os.environ.get("BENCH_PORT") or 0)
_DIR = os.environ.get("BENCH_DIR")
if _PORT and _DIR:
    _peer, _count = {}, {"sent": 0, "received": 0, "requests": 0}
    _METHODS = (b"GET ", b"PUT ", b"HEAD ", b"POST ", b"DELETE ")
    _connect, _recv, _recv_into, _send, _sendall = (socket.socket.connect, socket.socket.recv,
        socket.socket.recv_into, socket.socket.send, socket.socket.sendall)
    def _ours(sock):
        try:
            return _peer.get(sock.fileno()) == _PORT
        except OSError:
            return False
    def connect(self, address):
        try:
            _peer[self.fileno()] = address[1] if isinstance(address, tuple) else None
        except Exception:
            pass
        return _connect(self, address)
    def recv(self, *a, **k):
        data = _recv(self, *a, **k)
        if _ours(self):
            _count["received"] += len(data)
        return data
    def recv_into(self, *a, **k):
        n = _recv_into(self, *a, **k)
        if _ours(self):
            _count["received"] += n
        return n
    def send(self, data, *a, **k):
        n = _send(self, data, *a, **k)
        if _ours(self):
            _count["sent"] += n
        return n
    def sendall(self, data, *a, **k):
        out = _sendall(self, data, *a, **k)
        if _ours(self):
            _count["sent"] += len(data)
            if bytes(data[:7]).startswith(_METHODS):   # http.client sends a request's head in one call
                _count["requests"] += 1
        return out
    socket.socket.connect, socket.socket.recv, socket.socket.recv_into = connect, recv, recv_into
    socket.socket.send, socket.socket.sendall = send, sendall
    @atexit.register
    def _write():
        if _count["sent"] or _count["received"]:  # "requests": storage requests (bytes: sent + received)
            with open(os.path.join(_DIR, "%d.json" % os.getpid()), "w") as fh:
                json.dump(_count, fh)
"""


def mb(n):
    return n / 1e6


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = Path(work)
        self.emu = Emulator(self.work / "emulator", lro_delay=0.01)
        self.rows = []

    # ---- set-up ------------------------------------------------------------------------------
    def start(self):
        self.emu.start()
        os.environ.update(self.emu.env())     # the baseline's clients: the emulator's CA and the blob proxy
        ep = self.emu.endpoint
        self.azurite_port = int(ep["azurite_blob_url"].rstrip("/").rsplit(":", 1)[1].split("/")[0])
        link = self.work / "collections" / "ansible_collections" / "amlops" / "bcdr"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO)
        probe = self.work / "probe"
        probe.mkdir()
        (probe / "sitecustomize.py").write_text(SITECUSTOMIZE)
        (self.work / "sync.yml").write_text(PLAYBOOK)
        self.ansible_env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        self.ansible_env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.work / "collections"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_LOCAL_TEMP=str(self.work / "tmp"), ANSIBLE_HOME=str(self.work / "home"),
            ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_RETRY_FILES_ENABLED="0",
            PYTHONPATH=os.pathsep.join([str(probe), os.environ.get("PYTHONPATH", "")]),
            BENCH_PORT=str(self.azurite_port))
        started = time.monotonic()
        _pair, ws = make_pair(self.emu, "bench")
        self.src = ws["primary"]
        self.targets = {"collection": ws["secondary"]}
        for key, stem in (("baseline", "benchb"), ("collection-rate", "benchc"), ("baseline-rate", "benchd")):
            self.targets[key] = make_pair(self.emu, stem)[1]["secondary"]
        print("pairs and workspaces: %.1fs" % (time.monotonic() - started), flush=True)

    def seed(self):
        a = self.args
        started = time.monotonic()
        rng = os.urandom
        size = a.kb * 1024

        def files(name, version):
            small = b"flavors:\n  python_function: {}\n# %s %s\n" % (name.encode(), version.encode())
            conda = b"dependencies: [python=3.10, scikit-learn]\n"
            return {"model.bin": rng(max(1, size - len(small) - len(conda))), "MLmodel": small,
                    "env/conda.yaml": conda}

        def upload(job):
            name, version = job
            folder = "models/%s/%s/" % (name, version)
            for path, data in files(name, version).items():
                self.src.blobs.get_blob_client(self.src.container, folder + path).upload_blob(data, overwrite=True)
            return job

        def register(job):
            name, version = job
            self.src.ml.model_versions.create_or_update(
                self.src.group, self.src.name, name, version, ml.ModelVersion(properties=ml.ModelVersionProperties(
                    model_uri=self.src.datastore_uri("models/%s/%s/" % (name, version)),
                    model_type="custom_model", description="%s v%s" % (name, version), tags={"team": "risk"})))

        jobs = [("model-%03d" % m, str(v)) for m in range(a.models) for v in range(1, a.versions + 1)]
        with cf.ThreadPoolExecutor(16) as pool:
            list(pool.map(upload, jobs))
        uploaded = time.monotonic()
        with cf.ThreadPoolExecutor(8) as pool:
            list(pool.map(register, jobs))
            list(pool.map(self.register_env, [("env-%03d" % e, str(v)) for e in range(a.envs)
                                              for v in range(1, a.env_versions + 1)]))
        print("seeded %d model versions (%.0f MB) in %.1fs (uploads %.1fs) and %d environment versions"
              % (len(jobs), mb(len(jobs) * size), time.monotonic() - started, uploaded - started,
                 a.envs * a.env_versions), flush=True)

    def register_env(self, job):
        name, version = job
        self.src.ml.environment_versions.create_or_update(
            self.src.group, self.src.name, name, version, ml.EnvironmentVersion(properties=ml.EnvironmentVersionProperties(
                image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:2024%04d.v%s" % (int(name[-3:]), version),
                description="%s v%s" % (name, version))))

    # ---- measuring ---------------------------------------------------------------------------
    def log_lines(self):
        with open(self.emu.state_dir + "/emulator.log") as fh:
            return fh.read().splitlines()

    def arm_requests(self, since):
        lines = self.log_lines()[since:]
        arm = [ln for ln in lines if re.search(r" INFO [A-Z]+ /subscriptions/", ln)]
        return len(arm), sum(1 for ln in arm if " -> 429 " in ln)

    def cpu(self):
        """CPU seconds so far: (this process + its reaped children (ansible-playbook and its modules),
        the emulator's server process, Azurite's process tree), from /proc (utime + stime)."""
        try:
            with open(self.emu.state_dir + "/azurite/pid") as fh:
                azurite = json.load(fh)["pid"]
        except (OSError, ValueError, KeyError):
            azurite = None

        def tree(pid, skip=None):
            # a process and its descendants, less the subtree of ``skip`` (Azurite is the emulator's child)
            total, todo = 0.0, [pid]
            while todo:
                try:
                    proc = psutil.Process(todo.pop())
                    t = proc.cpu_times()
                    total += t.user + t.system
                    todo.extend(c.pid for c in proc.children() if c.pid != skip)
                except psutil.Error:
                    pass
            return total
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return dict(own=me.ru_utime + me.ru_stime, children=kids.ru_utime + kids.ru_stime,
                    emulator=tree(self.emu.proc.pid, skip=azurite), azurite=tree(azurite) if azurite else 0.0)

    def measure(self, label, who, fn):
        since = len(self.log_lines())
        self.emu.proxy_stats(reset=True)
        cpu0 = self.cpu()
        started = time.monotonic()
        extra = fn() or {}
        wall = time.monotonic() - started
        cpu1 = self.cpu()
        cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
        # the collection is the reaped ansible-playbook tree; the baseline is this process's threads
        mine = cpu["children"] if who == "collection" else cpu["own"]
        extra["cpu"] = (mine, cpu["emulator"], cpu["azurite"])
        proxy = self.emu.proxy_stats()
        arm, throttled = self.arm_requests(since)
        row = dict(step=label, who=who, wall=wall, arm=arm, throttled=throttled,
                   proxy=proxy["bytes_up"] + proxy["bytes_down"], **extra)
        self.rows.append(row)
        print("  %-34s %-10s %8.1fs  ARM %5d (429: %d)  proxy %9.1f MB  direct %s" % (
            label, who, wall, arm, throttled, mb(row["proxy"]),
            "%.2f MB, %d storage requests" % (mb(row["direct"]), row["storage"]) if "direct" in row else "-"),
            flush=True)
        print("  %-34s %-10s CPU s: %s %.1f, emulator %.1f, azurite %.1f (2 cores: %.1f s available)" % (
            "", who, who, row["cpu"][0], row["cpu"][1], row["cpu"][2], 2 * wall), flush=True)
        return row

    def collection(self, target_key, check_ok=True):
        """ansible-playbook of the two modules into ``target_key``; -> direct bytes to Azurite."""
        dst = self.targets[target_key]
        probe = Path(tempfile.mkdtemp(dir=self.work))
        vars_file = probe / "vars.json"
        vars_file.write_text(json.dumps({"sync": dict(
            source_workspace=self.src.name, source_resource_group=self.src.group, target_workspace=dst.name,
            target_resource_group=dst.group, parallelism=self.args.parallelism, envs=self.args.envs > 0)}))
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(self.work / "sync.yml"),
               "-i", "localhost,", "-c", "local", "-e", "@%s" % vars_file]
        proc = subprocess.run(cmd, env=dict(self.ansible_env, BENCH_DIR=str(probe)), capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0 and check_ok:
            raise SystemExit("the collection's sync failed:\n" + proc.stdout[-3000:] + proc.stderr[-2000:])
        counts = [json.loads(p.read_text()) for p in probe.glob("[0-9]*.json")]
        recap = re.search(r"changed=(\d+)", proc.stdout)
        return dict(direct=sum(c["sent"] + c["received"] for c in counts),
                    storage=sum(c.get("requests", 0) for c in counts),
                    changed=int(recap.group(1)) if recap else None)

    # ---- the baseline -------------------------------------------------------------------------
    def proxied(self, ws):
        """A blob client at Azure's endpoint name: through the blob proxy, as azure-ai-ml / az do."""
        return BlobServiceClient("https://%s.blob.core.windows.net" % ws.account, credential=ws.key)

    def baseline(self, target_key):
        src, dst = self.src, self.targets[target_key]
        src_blobs, dst_blobs = self.proxied(src).get_container_client(src.container), \
            self.proxied(dst).get_container_client(dst.container)

        def versions(ws, kind):
            containers = getattr(ws.ml, kind + "_containers").list(ws.group, ws.name)
            lister = getattr(ws.ml, kind + "_versions")
            return dict((c.name, dict((v.name, v) for v in lister.list(ws.group, ws.name, c.name)))
                        for c in containers)

        source, target = versions(src, "model"), versions(dst, "model")
        todo = [(name, ver, v) for name, vers in sorted(source.items()) for ver, v in sorted(vers.items())
                if ver not in target.get(name, {})]

        def copy(job):
            name, ver, v = job
            path = v.properties.model_uri.split("/paths/", 1)[1]
            folder = "baseline/%s/%s/" % (name, ver)
            for blob in src_blobs.list_blobs(name_starts_with=path):   # az ml model download
                data = src_blobs.download_blob(blob.name).readall()
                dst_blobs.upload_blob(folder + blob.name[len(path):], data, overwrite=True)  # az ml model create
            p = v.properties
            dst.ml.model_versions.create_or_update(dst.group, dst.name, name, ver, ml.ModelVersion(
                properties=ml.ModelVersionProperties(model_uri=dst.datastore_uri(folder), model_type=p.model_type,
                                                     description=p.description, tags=p.tags,
                                                     properties=p.properties, stage=p.stage)))

        with cf.ThreadPoolExecutor(self.args.parallelism) as pool:
            list(pool.map(copy, todo))
        envs = 0
        if self.args.envs:
            source_envs, target_envs = versions(src, "environment"), versions(dst, "environment")
            missing = [(n, ver, v) for n, vers in source_envs.items() for ver, v in vers.items()
                       if ver not in target_envs.get(n, {})]

            def env(job):
                n, ver, v = job
                dst.ml.environment_versions.create_or_update(dst.group, dst.name, n, ver, ml.EnvironmentVersion(
                    properties=ml.EnvironmentVersionProperties(image=v.properties.image,
                                                               description=v.properties.description)))
            with cf.ThreadPoolExecutor(self.args.parallelism) as pool:
                list(pool.map(env, missing))
            envs = len(missing)
        return dict(copied=len(todo), envs=envs)

    # ---- the run ------------------------------------------------------------------------------
    def add_versions(self, n):
        per = []
        for i in range(n):
            name = "model-%03d" % (i * max(1, self.args.models // n) % self.args.models)
            version = str(self.args.versions + 1 + sum(1 for p in per if p[0] == name))
            per.append((name, version))
            self.src.add_model(name, version, {"model.bin": os.urandom(self.args.kb * 1024), "MLmodel": b"x"})
        return per

    def cold_start(self):
        """What a scripted loop pays once per process and the CLI once per call: Python, the SDKs, a token."""
        code = ("import sys; sys.path.insert(0, %r); from azure.mgmt.machinelearningservices import "
                "MachineLearningServicesMgmtClient; import azure.storage.blob; from emulator.harness import Emulator; "
                "e = Emulator(%r); e.endpoint = __import__('json').load(open(%r)); "
                "e.credential().get_token('https://management.azure.com/.default')"
                % (str(REPO / "tests"), self.emu.state_dir, self.emu.state_dir + "/endpoint.json"))
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", code], check=True, env=os.environ)
        return time.monotonic() - started

    def run(self):
        a = self.args
        self.cold = self.cold_start()
        print("a fresh Python process importing the SDKs and getting a token: %.1fs" % self.cold, flush=True)
        rate = a.rate_mbit * 1_000_000 // 8
        print("\n(1) first full sync", flush=True)
        self.measure("first sync, loopback", "collection", lambda: self.collection("collection"))
        if a.first_only:     # for iterating on the collection's first sync: no baseline, no later steps
            self.measure("2nd sync", "collection", lambda: self.collection("collection"))
            return
        self.measure("first sync, loopback", "baseline", lambda: self.baseline("baseline"))
        self.emu.set_blob_rate(rate)
        try:
            self.measure("first sync, %d Mbit/s" % a.rate_mbit, "collection",
                         lambda: self.collection("collection-rate"))
            self.measure("first sync, %d Mbit/s" % a.rate_mbit, "baseline", lambda: self.baseline("baseline-rate"))
        finally:
            self.emu.set_blob_rate(None)
        print("\n(2) no-op second sync", flush=True)
        # the first sync recorded the containers it copied into as in step after its apply: the second
        # sync reads the container lists only (before a721724 it listed every version once more)
        self.measure("no-op (2nd sync)", "collection", lambda: self.collection("collection"))
        self.measure("no-op (2nd sync)", "baseline", lambda: self.baseline("baseline"))
        self.measure("no-op (3rd sync)", "collection", lambda: self.collection("collection"))
        self.measure("no-op (3rd sync)", "baseline", lambda: self.baseline("baseline"))
        self.emu.set_faults(token_bucket=True)
        try:
            self.measure("no-op (4th), ARM token bucket", "collection", lambda: self.collection("collection"))
            self.emu.set_faults(token_bucket=True)   # a full bucket for each
            self.measure("no-op (4th), ARM token bucket", "baseline", lambda: self.baseline("baseline"))
        finally:
            self.emu.clear_faults()
        print("\n(3) after %d new versions" % a.new, flush=True)
        self.add_versions(a.new)
        self.measure("%d new versions" % a.new, "collection", lambda: self.collection("collection"))
        self.measure("%d new versions" % a.new, "baseline", lambda: self.baseline("baseline"))
        self.table()

    def table(self):
        a = self.args
        print("\n%d models x %d versions x ~%d KB (%.0f MB), %d environments x %d versions, parallelism %d"
              % (a.models, a.versions, a.kb, mb(a.models * a.versions * a.kb * 1024), a.envs, a.env_versions,
                 a.parallelism))
        print("| step | collection: wall s | baseline: wall s | baseline/collection | ARM requests (coll. / base.)"
              " | collection's storage requests | blob bytes through the controller: collection (proxy + its direct"
              " storage calls) / baseline | CPU s: collection / emulator / Azurite (coll. run) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        steps = []
        for r in self.rows:
            if r["step"] not in steps:
                steps.append(r["step"])
        for step in steps:
            c = [r for r in self.rows if r["step"] == step and r["who"] == "collection"][0]
            b = [r for r in self.rows if r["step"] == step and r["who"] == "baseline"][0]
            print("| %s | %.1f | %.1f | %.1fx | %d (429: %d) / %d (429: %d) | %d | %.1f MB + %.2f MB / %.1f MB "
                  "| %.1f / %.1f / %.1f |" % (
                      step, c["wall"], b["wall"], b["wall"] / c["wall"], c["arm"], c["throttled"], b["arm"],
                      b["throttled"], c["storage"], mb(c["proxy"]), mb(c["direct"]), mb(b["proxy"]), *c["cpu"]))
        print("\nThe collection's wall times include ansible-playbook's start-up and each module's (Python, SDK imports, "
              "sign-in); the baseline runs in this process with warm clients and pays none: a script pays %.1fs more "
              "once (a fresh Python importing the SDKs and getting a token, measured here), the az CLI about that "
              "per call." % self.cold)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--kb", type=int, default=1024, help="size of each version's files, KB")
    parser.add_argument("--envs", type=int, default=100)
    parser.add_argument("--env-versions", type=int, default=3)
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--parallelism", type=int, default=8, help="the modules' default (8)")
    parser.add_argument("--rate-mbit", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--first-only", action="store_true",
                        help="only the collection's first sync on loopback and its 2nd sync (for iterating)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-sync-")
    bench = Bench(args, work)
    try:
        bench.start()
        bench.seed()
        bench.run()
    finally:
        bench.emu.stop()
        if not args.keep:
            subprocess.run(["rm", "-rf", work], check=False)
        else:
            print("work folder:", work)


if __name__ == "__main__":
    main()
