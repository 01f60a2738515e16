"""How the emulator's cost per request depends on how much it stores (run on demand, not a test).

    PYTHONPATH=tests .venv/bin/python benchmarks/emulator_store.py [--requests 200]
        [--sizes 100 5000] [--per-container 20] [--into-filled-container]

For each size, a fresh state dir is filled in process (through the engine, hooks included) with
a resource group, a workspace and its linked resources, then ML model versions
(``--per-container`` versions per model) until the store holds that many resources. Then the
real server is started on it (``emulator.harness.Emulator``: HTTPS, strict responses) and
``--requests`` GETs of a model version and as many PUTs of a first version of a new model
(each in its own container, so that the ML hooks' per-container version listing stays out of
the figure) are timed over one keep-alive connection per size, alternating between the sizes.
Prints the mean and median per request for each size and the ratio between the largest and
the smallest size (1.0 means the cost does not grow with the store).
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import requests  # noqa: E402

from emulator.harness import Emulator  # noqa: E402
from emulator.server import Emulator as InProcess  # noqa: E402

ML, ST, KV, AI, RG_API = "2024-04-01", "2023-01-01", "2023-07-01", "2020-02-02", "2021-04-01"


def _version_body(i):
    return {"properties": {"modelUri": f"azureml://datastores/workspaceblobstore/paths/m/{i}/",
                           "modelType": "custom_model", "description": f"version {i}"}}


def fill(state_dir, size, per_container):
    """Fill a state dir to ``size`` resources through the engine; returns the workspace path."""
    e = InProcess(state_dir, lro_delay=0.0)
    e.bind("https://127.0.0.1:1")
    d = e.directory
    token = d.issue("bench", "https://management.azure.com/", d.principal(d.principal_object_id))

    def call(method, path, api, body=None):
        status, _h, out = e.engine.handle(method, path, {"api-version": [api]},
                                          {"authorization": "Bearer " + token},
                                          json.dumps(body).encode() if body is not None else b"")
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {out}")
        return out

    rg = f"/subscriptions/{d.subscription_id}/resourceGroups/rg-bench"
    call("PUT", rg, RG_API, {"location": "eastus"})
    sa = f"{rg}/providers/Microsoft.Storage/storageAccounts/stbench"
    kv = f"{rg}/providers/Microsoft.KeyVault/vaults/kv-bench-1"
    ai = f"{rg}/providers/Microsoft.Insights/components/appi-bench"
    call("PUT", sa, ST, {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}})
    call("PUT", kv, KV, {"location": "eastus", "properties": {
        "tenantId": d.tenant_id, "sku": {"family": "A", "name": "standard"}}})
    call("PUT", ai, AI, {"location": "eastus", "kind": "web",
                         "properties": {"Application_Type": "web"}})
    ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-bench"
    call("PUT", ws, ML, {"location": "eastus", "identity": {"type": "SystemAssigned"},
                         "properties": {"storageAccount": sa, "keyVault": kv,
                                        "applicationInsights": ai}})
    i = 0
    while len(e.store.resources) < size:
        model, version = divmod(i, per_container)
        call("PUT", f"{ws}/models/m{model}/versions/{version + 1}", ML, _version_body(i))
        i += 1
    e.store.close()
    return ws, len(e.store.resources)


def timed(session, method, url, body=None):
    started = time.perf_counter()
    r = session.request(method, url, json=body)
    elapsed = time.perf_counter() - started
    if r.status_code >= 300:
        raise RuntimeError(f"{method} {url}: {r.status_code} {r.text[:300]}")
    return elapsed


class Target:
    """One filled state dir served by a real emulator process."""

    def __init__(self, size, per_container, into_m0=False):
        self.state_dir = tempfile.mkdtemp(prefix=f"emu-bench-{size}-")
        started = time.perf_counter()
        self.ws, self.size = fill(self.state_dir, size, per_container)
        self.fill_s = time.perf_counter() - started
        self.emu = Emulator(self.state_dir, lro_delay=0.0, strict_responses=True)
        self.emu.start()
        ep = self.emu.endpoint
        token = self.emu.credential().get_token("https://management.azure.com/.default").token
        self.session = requests.Session()
        self.session.verify = ep["ca_cert"]
        self.session.headers["Authorization"] = "Bearer " + token
        self.base = ep["arm_url"] + self.ws
        self.get = []
        self.put = []
        # --into-filled-container: new versions of model m0 (which holds the fill's versions)
        self.next_in_m0 = min(per_container, self.size) + 1 if into_m0 else None

    def one_get(self):
        self.get.append(timed(self.session, "GET",
                              f"{self.base}/models/m0/versions/1?api-version={ML}"))

    def one_put(self, i):
        path = f"models/bench{i}/versions/1"
        if self.next_in_m0 is not None:
            path = f"models/m0/versions/{self.next_in_m0 + i}"
        self.put.append(timed(self.session, "PUT", f"{self.base}/{path}?api-version={ML}",
                              _version_body(i)))

    def close(self, keep=False):
        self.emu.stop()
        if not keep:
            shutil.rmtree(self.state_dir, ignore_errors=True)


def measure(sizes, n, per_container, keep=False, into_m0=False):
    """Requests alternate between the sizes, so that the load of a shared machine at a given
    moment weighs on every size alike."""
    targets = []
    try:
        for size in sizes:
            targets.append(Target(size, per_container, into_m0))
        for t in targets:                                   # warm up connection and caches
            for _warm_up in range(10):
                t.one_get()
            t.get.clear()
        for _round in range(n):
            for t in targets:
                t.one_get()
        for i in range(n):
            for t in targets:
                t.one_put(i)
    finally:
        for t in targets:
            t.close(keep)
    return targets


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 5000])
    ap.add_argument("--per-container", type=int, default=20,
                    help="model versions per model (the ML hooks list a container's versions "
                         "on each version PUT)")
    ap.add_argument("--into-filled-container", action="store_true",
                    help="PUT the new versions into model m0 (with --per-container 100000 it holds "
                         "every filled version) instead of one new model each: shows what the "
                         "ML hooks' per-container version listing costs")
    ap.add_argument("--keep", action="store_true", help="keep the state dirs")
    a = ap.parse_args(argv)
    results = [{"size": t.size, "fill_s": t.fill_s, "get": t.get, "put": t.put}
               for t in measure(a.sizes, a.requests, a.per_container, a.keep,
                                a.into_filled_container)]
    print(f"{'stored':>7} {'fill s':>7} {'GET mean ms':>12} {'GET median':>11} "
          f"{'PUT mean ms':>12} {'PUT median':>11}")
    for r in results:
        print(f"{r['size']:>7} {r['fill_s']:>7.1f} {statistics.mean(r['get']) * 1e3:>12.2f} "
              f"{statistics.median(r['get']) * 1e3:>11.2f} {statistics.mean(r['put']) * 1e3:>12.2f} "
              f"{statistics.median(r['put']) * 1e3:>11.2f}")
    lo, hi = results[0], results[-1]
    for op in ("get", "put"):
        ratio = statistics.median(hi[op]) / statistics.median(lo[op])
        print(f"{op.upper()} median ratio {hi['size']} vs {lo['size']} stored: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
