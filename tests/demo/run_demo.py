"""The README's demo: start the emulator, run the demo playbook against it, stop everything.

Runs against the local emulator by default (the embedded default); nothing here talks to Azure.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from emulator.harness import Emulator

REPO = Path(__file__).resolve().parents[2]


def main():
    state_dir = Path(os.environ.get("AMLOPS_DEMO_STATE", REPO / "build" / "demo-state"))
    if state_dir.exists() and os.environ.get("AMLOPS_DEMO_KEEP") != "1":
        import shutil
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    with Emulator(str(state_dir)) as emu, tempfile.TemporaryDirectory() as tmp:
        print("emulator: %s (state in %s)" % (emu.endpoint["arm_url"], state_dir), flush=True)
        env = dict(os.environ)
        env.update(emu.env())
        env["ANSIBLE_COLLECTIONS_PATH"] = os.environ["ANSIBLE_COLLECTIONS_PATH"]
        inventory = Path(tmp) / "inventory.json"
        inventory.write_text(json.dumps({"dr_pairs": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": {"demo": {"bcdr_pair": {
                "name": "demo", "primary_region": "eastus", "secondary_region": "westus",
                "modes": {"inference": "hot/hot", "training": "hot/warm"},
                "compute_clusters": [{"name": "cpu-cluster", "vm_size": "Standard_DS3_v2",
                                      "min_nodes": 0, "max_nodes": 4}],
                # the automation's own service principal may work in both workspaces
                "role_assignments": [{"principal_id": emu.endpoint["principal_object_id"],
                                      "principal_type": "ServicePrincipal",
                                      "role": "AzureML Data Scientist"}],
            }}},
        }}))
        playbook = str(Path(sys.executable).parent / "ansible-playbook")
        rc = 0
        for step, extra in (("provision: what would be built (--check)", ["--check"]),
                            ("provision", []),
                            ("provision again: nothing to change", [])):
            print("\n##### %s" % step, flush=True)
            rc = rc or subprocess.call([playbook, str(REPO / "playbooks" / "provision.yml"), "-i", str(inventory)]
                                       + extra, env=env)
        print("\n##### the pair", flush=True)
        rc = rc or subprocess.call([playbook, str(REPO / "tests" / "demo" / "demo.yml"), "-i", "localhost,",
                                    "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable],
                                   env=env)
    print("emulator stopped", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
