"""The SQLite store: rows per entry, in-place changes saved, kill -9 safe, indexed queries."""

import json
import os
import signal
import subprocess
import sys
import textwrap

from emulator.store import Store, key_of, read_table

SUB = "/subscriptions/s1"
RG = SUB + "/resourceGroups/rg"
WS = RG + "/providers/Microsoft.MachineLearningServices/workspaces/ws"
WS_TYPE = "Microsoft.MachineLearningServices/workspaces"
VER_TYPE = "Microsoft.MachineLearningServices/workspaces/models/versions"


def _ws(name):
    rid = RG + "/providers/Microsoft.MachineLearningServices/workspaces/" + name
    return rid, {"id": rid, "name": name, "type": WS_TYPE, "properties": {}}


def test_in_place_changes_are_saved_and_reads_write_nothing(tmp_path):
    s = Store(str(tmp_path))
    s.put(RG, {"id": RG, "type": "Microsoft.Resources/resourceGroups"})
    s.put(*_ws("ws"))
    s.operations["op1"] = {"status": "InProgress"}
    s.secrets["quotas"] = {}
    s.save()
    before = s._conn.total_changes
    s.get(WS)
    s.resources.get(key_of(WS))              # handed out, not changed
    list(s.operations.items())
    s.save()
    assert s._conn.total_changes == before   # nothing rewritten for reads
    s.resources.get(key_of(WS))["properties"]["provisioningState"] = "Succeeded"
    s.operations["op1"]["status"] = "Succeeded"
    s.secrets.setdefault("quotas", {})["eastus"] = {"x": 1}
    s.save()
    assert s._conn.total_changes == before + 3   # exactly the three changed rows
    again = Store(str(tmp_path))
    assert again.get(WS)["properties"]["provisioningState"] == "Succeeded"
    assert again.operations["op1"]["status"] == "Succeeded"
    assert again.secrets["quotas"] == {"eastus": {"x": 1}}


def test_pop_clear_and_delete_remove_rows(tmp_path):
    s = Store(str(tmp_path))
    s.put(RG, {"id": RG, "type": "Microsoft.Resources/resourceGroups"})
    for name in ("ws", "ws2"):                           # ws2 shares the prefix "ws"
        rid, body = _ws(name)
        s.put(rid, body)
    s.put(WS + "/models/m", {"id": WS + "/models/m", "type": WS_TYPE + "/models"})
    s.put(WS + "/models/m/versions/1", {"id": WS + "/models/m/versions/1", "type": VER_TYPE})
    s.faults["outages"] = {"westus": "error"}
    s.faults["seed"] = 3
    s.save()
    gone = s.delete(WS)
    assert sorted(gone) == sorted(key_of(x) for x in
                                  (WS, WS + "/models/m", WS + "/models/m/versions/1"))
    s.faults.pop("seed")
    s.save()
    again = Store(str(tmp_path))
    assert set(again.resources) == {key_of(RG), key_of(_ws("ws2")[0])}
    assert again.faults.copy() == {"outages": {"westus": "error"}}
    again.faults.clear()
    again.save()
    assert read_table(str(tmp_path), "faults") == {}


def test_children_and_find_are_indexed_and_ordered(tmp_path):
    s = Store(str(tmp_path))
    s.put(RG, {"id": RG, "type": "Microsoft.Resources/resourceGroups"})
    with s.batch():
        for name in ("b", "a", "c"):
            rid, body = _ws(name)
            s.put(rid, body)
        for v in ("2", "1"):
            vid = WS + "/models/m/versions/" + v
            s.put(vid, {"id": vid, "type": VER_TYPE})
        # queries see rows inserted in the open transaction
        assert [r["name"] for r in s.children(RG, WS_TYPE)] == ["a", "b", "c"]
    assert [r["id"].rsplit("/", 1)[1] for r in s.find(VER_TYPE, WS)] == ["1", "2"]
    assert s.find(VER_TYPE, _ws("a")[0]) == []
    assert len(s.find(WS_TYPE)) == 3
    plans = {}
    for what, sql, args in (
            ("children", "SELECT key FROM resources WHERE parent = ? AND type = ? ORDER BY key",
             ("/x", "t")),
            ("find", "SELECT key FROM resources WHERE type = ? AND key >= ? AND key < ? "
                     "ORDER BY key", ("t", "/a/", "/a0")),
            ("under", "SELECT key FROM resources WHERE key >= ? AND key < ? ORDER BY key",
             ("/a/", "/a0"))):
        rows = s._conn.execute("EXPLAIN QUERY PLAN " + sql, args)
        plans[what] = " ".join(row[-1] for row in rows)
    assert "resources_parent" in plans["children"]
    assert "resources_type" in plans["find"]
    assert "PRIMARY KEY" in plans["under"] and "SCAN" not in plans["under"].replace(
        "SEARCH", "")


def test_kill_9_keeps_every_commit_and_no_half_batch(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {os.path.dirname(os.path.dirname(os.path.dirname(__file__)))!r})
        from emulator.store import Store
        s = Store({str(tmp_path)!r})
        for i in range(50):
            rid = "/subscriptions/s1/resourceGroups/rg%d" % i
            s.put(rid, {{"id": rid, "type": "Microsoft.Resources/resourceGroups"}})
        s.__enter_batch = s.batch().__enter__()
        s.put("/subscriptions/s1/resourceGroups/half", {{"id": "half", "type": "t"}})
        s.resources["/subscriptions/s1/resourcegroups/rg0"]["tags"] = {{"x": "y"}}
        s.save()                                       # deferred: the batch is still open
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    s = Store(str(tmp_path))
    assert len(s.resources) == 50
    assert "tags" not in s.get(SUB + "/resourceGroups/rg0")
    assert s.get(SUB + "/resourceGroups/half") is None


def test_state_json_of_an_older_state_dir_is_imported(tmp_path):
    legacy = {"resources": {key_of(RG): {"id": RG, "type": "Microsoft.Resources/resourceGroups"}},
              "meta": {key_of(RG): {"created": 1.0}}, "secrets": {"jwt_key": "k"},
              "operations": {}, "principals": {"p1": {"object_id": "p1"}}, "faults": {},
              "extra": {}}
    (tmp_path / "state.json").write_text(json.dumps(legacy))
    s = Store(str(tmp_path))
    assert s.get(RG)["id"] == RG and s.secrets["jwt_key"] == "k"
    assert [r["id"] for r in s.children(SUB)] == [RG]
    assert not (tmp_path / "state.json").exists()
    assert read_table(str(tmp_path), "principals") == {"p1": {"object_id": "p1"}}
    assert oct(os.stat(s.path).st_mode & 0o777) == "0o600"
