"""What the sync tests check on a pair after a run: each workspace's model versions with their files
(relative path -> size and MD5 of the bytes actually stored, read back through azure-storage-blob), the
blobs under the sync's own folder in the target, and the invariants every run must keep:

- a target version exists only with every file of its source version (same sizes, same MD5s);
- after a complete run the target holds exactly the source's versions, each version once, and no blob
  under the sync's folder that no registered version uses (no orphan).

Shared by test_sync_crash, test_sync_faults and test_sync_bad_input."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

COPY_PREFIX = "amlops-bcdr/models/"
MODEL_COPY = str(Path(__file__).resolve().parent / "playbooks" / "model_copy.yml")


def uri_path(uri):
    """The datastore-relative path of an ``azureml://.../paths/<path>`` modelUri."""
    assert "/paths/" in uri, uri
    return uri.split("/paths/", 1)[1]


_CONTENT = {}  # (account, container, blob name, etag) -> (size, md5): each stored blob is read once


def stored_files(ws, prefix=""):
    """{blob name: (size, md5 hex of the stored bytes)} of every blob under ``prefix``, each blob's
    bytes downloaded (once per etag: a rewritten blob is read again)."""
    client = ws.blobs.get_container_client(ws.container)
    out = {}
    for blob in client.list_blobs(name_starts_with=prefix):
        key = (ws.account, ws.container, blob.name, blob.etag)
        if key not in _CONTENT:
            data = client.download_blob(blob.name).readall()
            _CONTENT[key] = (len(data), hashlib.md5(data).hexdigest())
        out[blob.name] = _CONTENT[key]
    return out


def files_under(ws, prefix, stored=None):
    """{relative path: (size, md5)} under ``prefix`` (from ``stored`` when the caller listed already)."""
    stored = stored_files(ws, prefix) if stored is None else stored
    return dict((name[len(prefix):], v) for name, v in stored.items() if name.startswith(prefix))


def versions(ws):
    """{(name, version): [version objects]} as the workspace lists them (a list, to see duplicates)."""
    out = {}
    for container in ws.ml.model_containers.list(ws.group, ws.name):
        for v in ws.ml.model_versions.list(ws.group, ws.name, container.name):
            out.setdefault((container.name, v.name), []).append(v)
    return out


def snapshot(ws, found=None):
    """{(name, version): {relative path: (size, md5)}} of every registered model version."""
    found = versions(ws) if found is None else found
    stored = stored_files(ws)
    return dict((key, files_under(ws, uri_path(listed[0].properties.model_uri), stored))
                for key, listed in found.items())


def check_partial(src, dst):
    """Invariants that hold at any instant, even right after a kill: no duplicate version, and no
    version registered in the target without all its files, byte-identical to its source's.
    -> (problems, source snapshot, target versions, target snapshot)"""
    source = snapshot(src)
    found = versions(dst)
    target = snapshot(dst, found)
    problems = []
    for key, listed in sorted(found.items()):
        if len(listed) != 1:
            problems.append("%s listed %d times" % (key, len(listed)))
        if key not in source:
            problems.append("%s is in the target but not in the source" % (key,))
        elif not target[key] or target[key] != source[key]:
            problems.append("%s registered with files %s, the source has %s" % (key, target[key], source[key]))
    return problems, source, found, target


def check_converged(src, dst):
    """After a complete run: exactly the source's set, byte for byte, and no orphaned blob."""
    problems, source, found, _target = check_partial(src, dst)
    if set(found) != set(source):
        problems.append("target versions differ: missing %s, extra %s"
                        % (sorted(set(source) - set(found)), sorted(set(found) - set(source))))
    used = set()
    stored = stored_files(dst, COPY_PREFIX)
    for listed in found.values():
        path = uri_path(listed[0].properties.model_uri)
        used.update(name for name in stored if name.startswith(path))
    orphans = sorted(set(stored) - used)
    if orphans:
        problems.append("orphaned blobs under %s: %s" % (COPY_PREFIX, orphans))
    return problems


def model_copy_vars(src, dst, **options):
    return {"sync": dict(source_workspace=src.name, source_resource_group=src.group,
                         target_workspace=dst.name, target_resource_group=dst.group, **options)}


def playbook_command(playbook, vars_file):
    binary = str(Path(sys.executable).parent / "ansible-playbook")
    return [binary, playbook, "-i", "localhost,", "-c", "local", "-e", "@%s" % vars_file]


def _descendants(root):
    """Process ids of ``root`` and all its descendants (Ansible's workers call setsid(), so a
    process group or session does not hold them all)."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(pid))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _module_started(remote_tmp, marker):
    """True once Ansible has put the module's AnsiballZ file into its (per-run) remote temp folder,
    which it does right before executing it."""
    try:
        for tmp in os.listdir(remote_tmp):
            if marker in os.listdir(os.path.join(remote_tmp, tmp)):
                return True
    except OSError:
        pass
    return False


def _kill_tree(root):
    """SIGKILL ``root`` and every descendant at once, as a crash of the controller would: all are
    stopped first (so none forks or is re-parented meanwhile), then killed. -> the pids killed."""
    stopped = set()
    while True:
        tree = set(_descendants(root)) - stopped
        if not tree:
            break
        for pid in tree:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        stopped |= tree
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return stopped


def run_and_kill(env, playbook, extra_vars, work_dir, after=None, marker="AnsiballZ_aml_model_copy.py", kill_when=None):
    """Start ansible-playbook; once the module is started (its AnsiballZ file ``marker`` there), wait
    ``after`` seconds and SIGKILL the playbook with all its descendants (workers, the module).
    ``after=None``: let it finish. ``kill_when``: a callable polled once the module runs; the run is
    killed as soon as it returns true (e.g. the first copied blob appears), whatever ``after`` says.
    -> dict(killed, rc, changed (the recap's, when it finished),
    module_seconds: from the module's start to the kill or the playbook's end; None if never seen)."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    vars_file = work_dir / "vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    remote_tmp = str(work_dir / "remote-tmp")
    run_env = dict(env, AMLOPS_RESULTS_FILE=str(work_dir / "results.jsonl"), ANSIBLE_REMOTE_TEMP=remote_tmp)
    with open(work_dir / "out.log", "wb") as out:
        proc = subprocess.Popen(playbook_command(playbook, vars_file), env=run_env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=str(work_dir))
        module_started = None
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            now = time.monotonic()
            if module_started is None and _module_started(remote_tmp, marker):
                module_started = now
            if module_started is not None and after is not None and now - module_started >= after:
                break
            if module_started is not None and kill_when is not None and kill_when():
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            ended = time.monotonic()
            return dict(killed=False, rc=proc.returncode, changed=_changed(work_dir / "results.jsonl"),
                        module_seconds=None if module_started is None else ended - module_started)
        killed = _kill_tree(proc.pid)
        proc.wait(10)
        ran = time.monotonic() - module_started if module_started is not None else None
    # nothing of that run may live on (a module still copying would race the rerun)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        alive = [pid for pid in killed if os.path.exists("/proc/%d" % pid) and not _zombie(pid)]
        if not alive:
            return dict(killed=True, rc=None, module_seconds=ran, processes=len(killed))
        time.sleep(0.05)
    raise AssertionError("processes %s of the killed run are still running" % alive)


def _changed(results_file):
    """'changed' summed over the hosts of the play recap the amlops_results callback recorded."""
    if not results_file.exists():
        return None
    stats = [r for r in (json.loads(line) for line in results_file.read_text().splitlines() if line.strip())
             if r.get("kind") == "stats"]
    return sum(h["changed"] for h in stats[-1]["hosts"].values()) if stats else None


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
