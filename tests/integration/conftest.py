"""Integration tests: real ansible-playbook runs against the emulator.

`run_playbook` runs ansible-playbook in a subprocess with the emulator's AZURE_* variables (as
AWX's Azure credential would inject them) and returns the task results recorded by the test-only
`amlops_results` callback, plus the raw output so that tests can look for leaked secrets.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.seed import seed_pair

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"


def collections_path(tmp_root):
    """ansible_collections/amlops/bcdr -> the working tree."""
    base = tmp_root / "collections"
    link = base / "ansible_collections" / "amlops" / "bcdr"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO)
    return base


class PlaybookRun:
    def __init__(self, rc, stdout, stderr, records):
        self.rc, self.stdout, self.stderr = rc, stdout, stderr
        self.tasks = [r for r in records if r["kind"] == "task"]
        stats = [r for r in records if r["kind"] == "stats"]
        self.stats = stats[-1]["hosts"] if stats else {}

    @property
    def changed(self):
        """Total 'changed' over all hosts, as the PLAY RECAP counts it."""
        return sum(h["changed"] for h in self.stats.values())

    @property
    def failed(self):
        return [t for t in self.tasks if t["status"] == "failed"]

    def task(self, name):
        found = [t for t in self.tasks if t["task"] == name]
        assert found, "no task named %r in %s" % (name, [t["task"] for t in self.tasks])
        return found[-1]

    def results(self, action):
        return [t for t in self.tasks if t["action"].endswith(action)]

    def __repr__(self):
        failed = ["%s: %s" % (t["task"], t["result"].get("msg")) for t in self.failed]
        return "PlaybookRun(rc=%s, changed=%s, failed=%s)\n%s\n%s" % (
            self.rc, self.changed, failed, self.stdout[-3000:], self.stderr[-2000:])


@pytest.fixture(scope="session")
def ansible_env(emulator, tmp_path_factory):
    root = tmp_path_factory.mktemp("ansible")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_"))}
    env.update(emulator.env())
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_path(root)),
        ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="amlops_results",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_LOCAL_TEMP=str(root / "tmp"),
        ANSIBLE_HOME=str(root / "home"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
    )
    return env


@pytest.fixture(scope="session")
def run_playbook(ansible_env, tmp_path_factory):
    results_dir = tmp_path_factory.mktemp("results")
    counter = [0]
    playbook_bin = str(Path(sys.executable).parent / "ansible-playbook")
    if not os.path.exists(playbook_bin):
        playbook_bin = shutil.which("ansible-playbook")

    def run(playbook, extra_vars=None, check=False, diff=False, verbosity=0, env=None, timeout=600,
            inventory=None, forks=None):
        """``inventory``: None for localhost, or a dict written as a YAML (JSON) inventory file."""
        counter[0] += 1
        results_file = results_dir / ("run-%03d.jsonl" % counter[0])
        cmd = [playbook_bin, str(PLAYBOOKS / playbook if not os.path.isabs(str(playbook)) else playbook)]
        if inventory is None:
            cmd += ["-i", "localhost,", "-c", "local"]
        else:
            inventory_file = results_dir / ("inventory-%03d.json" % counter[0])
            inventory_file.write_text(json.dumps(inventory))
            cmd += ["-i", str(inventory_file)]
        if forks:
            cmd += ["--forks", str(forks)]
        if extra_vars:
            # A vars file, as users pass secrets (from a vault or a credential), never the command line.
            vars_file = results_dir / ("vars-%03d.json" % counter[0])
            vars_file.write_text(json.dumps(extra_vars))
            cmd += ["-e", "@%s" % vars_file]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        run_env = dict(ansible_env, AMLOPS_RESULTS_FILE=str(results_file))
        for key, value in (env or {}).items():
            if value is None:
                run_env.pop(key, None)
            else:
                run_env[key] = value
        proc = subprocess.run(cmd, check=False, env=run_env, capture_output=True, text=True, timeout=timeout, cwd=str(HERE))
        records = []
        if results_file.exists():
            records = [json.loads(line) for line in results_file.read_text().splitlines() if line.strip()]
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, records)

    return run


@pytest.fixture(scope="session")
def pair(emulator):
    """Associated resources of one DR pair (bring-your-own style), seeded through the SDKs."""
    return seed_pair(emulator.endpoint, "it")
