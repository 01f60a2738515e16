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
from emulator.seed import seed_pair

REPO = Path(__file__).resolve().parents[2]


def main():
    state_dir = Path(os.environ.get("AMLOPS_DEMO_STATE", REPO / "build" / "demo-state"))
    if state_dir.exists() and os.environ.get("AMLOPS_DEMO_KEEP") != "1":
        import shutil
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    with Emulator(str(state_dir)) as emu, tempfile.TemporaryDirectory() as tmp:
        print("emulator: %s (state in %s)" % (emu.endpoint["arm_url"], state_dir), flush=True)
        pair = seed_pair(emu.endpoint, "demo")
        print("associated resources (bring-your-own): resource groups, storage, key vault, "
              "Application Insights, container registry created", flush=True)
        env = dict(os.environ)
        env.update(emu.env())
        env["ANSIBLE_COLLECTIONS_PATH"] = os.environ["ANSIBLE_COLLECTIONS_PATH"]
        env.setdefault("ANSIBLE_PYTHON_INTERPRETER", sys.executable)
        vars_file = Path(tmp) / "pair.json"
        vars_file.write_text(json.dumps({"pair": pair}))
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "tests" / "demo" / "demo.yml"),
               "-i", "localhost,", "-c", "local", "-e", "@%s" % vars_file]
        rc = subprocess.call(cmd, env=env)
    print("emulator stopped", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
