"""The resource store: every ARM resource the emulator holds, persisted in SQLite (state.db).

Resources are keyed by their lowercased resource ID (ARM IDs are case-insensitive) and hold
the JSON exactly as GET returns it. Next to them: per-resource engine metadata (timestamps,
pending long-running operation), LRO operation records, secrets, directory principals,
faults and a free-form ``extra`` space for hooks/actions.

Each of those is a ``Table``: a dict in memory (reads stay dict lookups) whose changes reach
one SQLite table, one row per entry, so the cost of a request does not grow with the number
of stored resources. Callers may mutate the values they got from a table in place (``r =
store.resources.get(k); r["properties"][...] = ...; store.save()``): every value handed out
is remembered as possibly changed, and ``save()`` re-serializes those entries only, writing
the ones whose JSON differs from what is on disk. ``save()`` commits; inside ``batch()`` (the
engine wraps each request in one) the commit happens once, at the end. SQLite in WAL mode
makes every commit atomic and durable against a kill -9 (synchronous=NORMAL: only a power
loss could drop the last commits).

The resources table has the parent key and the lowercased type as indexed columns, so
``children``, ``find`` and ``delete`` (descendants are a key range) never scan everything.
Row insertions and deletions are executed at once inside the open transaction, so queries
see them before the commit.

One re-entrant lock guards everything; callers that need several steps to be atomic (the
engine does, per request) hold ``store.lock`` around them.
"""
import copy
import json
import os
import sqlite3
import threading

DB_NAME = "state.db"
LEGACY_JSON = "state.json"          # the pre-SQLite state file, imported once if found
TABLES = ("resources", "meta", "operations", "secrets", "principals", "faults", "extra")


def key_of(resource_id):
    return "/" + resource_id.strip("/").lower()


def parent_id(resource_id):
    """Parent of an ARM ID: strip the last type/name pair (and a bare /providers/NS)."""
    parts = resource_id.strip("/").split("/")
    if len(parts) <= 2:                    # /subscriptions/{id}
        return None
    parts = parts[:-2]
    if len(parts) >= 2 and parts[-2].lower() == "providers":
        parts = parts[:-2]
    return "/" + "/".join(parts) if parts else None


def is_descendant(key, ancestor_key):
    return key.startswith(ancestor_key.rstrip("/") + "/")


def _range(key):
    """(low, high) bounds of the keys strictly under ``key``: '/' + 1 == '0'."""
    base = key.rstrip("/")
    return base + "/", base + "0"


def _dumps(value):
    # json.dumps (C encoder) is ~5x faster than json.dump's chunked Python path
    return json.dumps(value, separators=(",", ":"))


class Table(dict):
    """A dict whose entries are rows of one SQLite table (see the module docstring).

    Every accessor that hands a value out marks its key as possibly changed; ``Store.save``
    writes those (when their JSON changed) and commits. Always used under ``store.lock``.
    """

    def __init__(self, store, name):
        super().__init__()
        self._store = store
        self._name = name
        self._touched = set()     # keys whose value was handed out or set since the last save
        self._saved = {}          # key -> JSON text on disk

    # -- internal ----------------------------------------------------------------------
    def _load(self, rows):
        for key, text in rows:
            dict.__setitem__(self, key, json.loads(text))
            self._saved[key] = text

    def _row_added(self, key, value):
        self._store._row_added(self._name, key, value)

    def _row_removed(self, key):
        self._touched.discard(key)
        self._saved.pop(key, None)
        self._store._row_removed(self._name, key)

    def _flush(self, conn):
        if not self._touched:
            return 0
        touched, self._touched = self._touched, set()
        n = 0
        for key in touched:
            if not dict.__contains__(self, key):
                continue
            value = dict.__getitem__(self, key)
            text = _dumps(value)
            if self._saved.get(key) == text:
                continue
            self._store._write_row(self._name, key, value, text)
            self._saved[key] = text
            n += 1
        return n

    def raw_items(self):
        """Items without marking them changed (for read-only iteration)."""
        return dict.items(self)

    # -- dict API ----------------------------------------------------------------------
    def __getitem__(self, key):
        with self._store.lock:
            value = dict.__getitem__(self, key)
            self._touched.add(key)
            return value

    def get(self, key, default=None):
        with self._store.lock:
            if dict.__contains__(self, key):
                self._touched.add(key)
                return dict.__getitem__(self, key)
            return default

    def setdefault(self, key, default=None):
        with self._store.lock:
            if not dict.__contains__(self, key):
                dict.__setitem__(self, key, default)
                self._row_added(key, default)
            self._touched.add(key)
            return dict.__getitem__(self, key)

    def __setitem__(self, key, value):
        with self._store.lock:
            new = not dict.__contains__(self, key)
            dict.__setitem__(self, key, value)
            if new:
                self._row_added(key, value)
            self._touched.add(key)

    def __delitem__(self, key):
        with self._store.lock:
            dict.__delitem__(self, key)
            self._row_removed(key)

    _MISSING = object()

    def pop(self, key, default=_MISSING):
        with self._store.lock:
            if dict.__contains__(self, key):
                value = dict.pop(self, key)
                self._row_removed(key)
                return value
            if default is Table._MISSING:
                raise KeyError(key)
            return default

    def popitem(self):
        with self._store.lock:
            key, value = dict.popitem(self)
            self._row_removed(key)
            return key, value

    def clear(self):
        with self._store.lock:
            for key in list(dict.keys(self)):
                self._row_removed(key)
            dict.clear(self)

    def update(self, *args, **kwargs):
        with self._store.lock:
            for key, value in dict(*args, **kwargs).items():
                self[key] = value

    def items(self):
        with self._store.lock:
            self._touched.update(dict.keys(self))
            return list(dict.items(self))

    def values(self):
        with self._store.lock:
            self._touched.update(dict.keys(self))
            return list(dict.values(self))

    def copy(self):
        return dict(dict.items(self))

    def __deepcopy__(self, memo):
        return {k: copy.deepcopy(v, memo) for k, v in dict.items(self)}

    def __reduce__(self):               # pickles (and copies) as a plain dict
        return dict, (self.copy(),)


class Store:
    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.path = os.path.join(state_dir, DB_NAME)
        self.lock = threading.RLock()
        self._batch = 0
        self._dirty = False
        self.resources = Table(self, "resources")     # key -> resource JSON
        self.meta = Table(self, "meta")       # key -> {"created", "updated", "pending", "hidden"}
        self.operations = Table(self, "operations")   # operation id -> LRO record
        self.secrets = Table(self, "secrets")  # name -> value (client secret, JWT key, keys ...)
        self.principals = Table(self, "principals")   # object id -> principal record
        self.faults = Table(self, "faults")   # current fault configuration
        self.extra = Table(self, "extra")     # free-form space for hooks/actions
        self._tables = {name: getattr(self, name) for name in TABLES}
        fresh = not os.path.exists(self.path)
        if fresh:       # created 0600: it holds the client secret and account keys
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._schema()
        self.load()
        if fresh:
            self._import_legacy_json()

    # ---- persistence -------------------------------------------------------------------
    def _schema(self):
        c = self._conn
        c.execute("CREATE TABLE IF NOT EXISTS resources (key TEXT PRIMARY KEY, parent TEXT, "
                  "type TEXT, body TEXT NOT NULL) WITHOUT ROWID")
        c.execute("CREATE INDEX IF NOT EXISTS resources_parent ON resources (parent, type, key)")
        c.execute("CREATE INDEX IF NOT EXISTS resources_type ON resources (type, key)")
        for name in TABLES[1:]:
            c.execute(f"CREATE TABLE IF NOT EXISTS {name} (key TEXT PRIMARY KEY, "
                      "body TEXT NOT NULL) WITHOUT ROWID")

    def load(self):
        with self.lock:
            for name, table in self._tables.items():
                dict.clear(table)
                table._saved.clear()
                table._touched.clear()
                table._load(self._conn.execute(f"SELECT key, body FROM {name}"))

    def _import_legacy_json(self):
        """A state dir written before state.db: take its state.json over once."""
        legacy = os.path.join(self.state_dir, LEGACY_JSON)
        if not os.path.exists(legacy):
            return
        with open(legacy, encoding="utf-8") as f:
            data = json.load(f)
        with self.batch():
            for name, table in self._tables.items():
                for key, value in (data.get(name) or {}).items():
                    table[key] = value
            self.save()
        os.replace(legacy, legacy + ".imported")

    def _begin(self):
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN")

    def _row_added(self, name, key, value):
        """A new row, inserted at once (so queries see it); its body is written by save()."""
        self._begin()
        if name == "resources":
            self._conn.execute(
                "INSERT OR REPLACE INTO resources (key, parent, type, body) VALUES (?, ?, ?, ?)",
                (key, parent_id(key), _type_of(value), "null"))
        else:
            self._conn.execute(f"INSERT OR REPLACE INTO {name} (key, body) VALUES (?, ?)",
                               (key, "null"))

    def _row_removed(self, name, key):
        self._begin()
        self._conn.execute(f"DELETE FROM {name} WHERE key = ?", (key,))

    def _write_row(self, name, key, value, text):
        self._begin()
        if name == "resources":
            self._conn.execute("UPDATE resources SET body = ?, type = ? WHERE key = ?",
                               (text, _type_of(value), key))
        else:
            self._conn.execute(f"UPDATE {name} SET body = ? WHERE key = ?", (text, key))

    def save(self):
        """Write what changed and commit (deferred to the end of an enclosing batch)."""
        with self.lock:
            if self._batch:
                self._dirty = True
                return
            for table in self._tables.values():
                table._flush(self._conn)
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")
            self._dirty = False

    def close(self):
        with self.lock:
            self.save()
            self._conn.close()

    def batch(self):
        """Context manager: hold the lock, save once at the end (for multi-step mutations)."""
        store = self

        class _Batch:
            def __enter__(self):
                store.lock.acquire()
                store._batch += 1
                return store

            def __exit__(self, *exc):
                store._batch -= 1
                try:
                    if not store._batch and store._dirty:
                        store.save()
                finally:
                    store.lock.release()
        return _Batch()

    # ---- queries -------------------------------------------------------------------------
    def _keys(self, sql, args):
        with self.lock:
            return [row[0] for row in self._conn.execute(sql, args)]

    def _copies(self, keys):
        with self.lock:
            return [copy.deepcopy(dict.__getitem__(self.resources, k)) for k in keys
                    if dict.__contains__(self.resources, k)]

    def keys_under(self, resource_id, include_self=True):
        """Keys of a resource's descendants at any depth (and its own), by key range."""
        k = key_of(resource_id)
        lo, hi = _range(k)
        keys = self._keys("SELECT key FROM resources WHERE key >= ? AND key < ? ORDER BY key",
                          (lo, hi))
        if include_self and dict.__contains__(self.resources, k):
            keys.insert(0, k)
        return keys

    # ---- resources ---------------------------------------------------------------------
    def get(self, resource_id):
        """A copy of the stored resource, or None."""
        with self.lock:
            k = key_of(resource_id)
            if not dict.__contains__(self.resources, k):
                return None
            return copy.deepcopy(dict.__getitem__(self.resources, k))

    def exists(self, resource_id):
        with self.lock:
            return key_of(resource_id) in self.resources

    def put(self, resource_id, resource, meta=None):
        with self.lock:
            k = key_of(resource_id)
            self.resources[k] = copy.deepcopy(resource)
            if meta is not None:
                self.meta[k] = meta
            else:
                self.meta.setdefault(k, {})
            self.save()

    def get_meta(self, resource_id):
        with self.lock:
            return self.meta.setdefault(key_of(resource_id), {})

    def delete(self, resource_id):
        """Delete a resource and all its descendants; returns the deleted keys."""
        with self.lock:
            gone = self.keys_under(resource_id)
            for x in gone:
                self.resources.pop(x, None)
                self.meta.pop(x, None)
            if gone:
                self.save()
            return gone

    def children(self, parent, resource_type=None):
        """Direct children of ``parent`` (optionally of one ARM type), as copies."""
        pk = key_of(parent)
        if resource_type:
            keys = self._keys("SELECT key FROM resources WHERE parent = ? AND type = ? "
                              "ORDER BY key", (pk, resource_type.lower()))
        else:
            keys = self._keys("SELECT key FROM resources WHERE parent = ? ORDER BY key", (pk,))
        return self._copies(keys)

    def find(self, resource_type, scope_prefix="/"):
        """All resources of one ARM type at any depth under a scope, sorted by ID."""
        rt = resource_type.lower()
        if scope_prefix.strip("/"):
            lo, hi = _range(key_of(scope_prefix))
            keys = self._keys("SELECT key FROM resources WHERE type = ? AND key >= ? AND key < ? "
                              "ORDER BY key", (rt, lo, hi))
        else:
            keys = self._keys("SELECT key FROM resources WHERE type = ? ORDER BY key", (rt,))
        return self._copies(keys)

    def snapshot(self):
        with self.lock:
            return {k: copy.deepcopy(v) for k, v in sorted(self.resources.raw_items())}


def _type_of(value):
    t = value.get("type") if isinstance(value, dict) else None
    return t.lower() if isinstance(t, str) else None


def read_table(state_dir, name, key=None):
    """Read one table (or one entry) of a state dir from another process (read-only)."""
    path = os.path.join(state_dir, DB_NAME)
    if name not in TABLES or not os.path.exists(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if key is None:
            return {k: json.loads(b) for k, b in conn.execute(f"SELECT key, body FROM {name}")}
        row = conn.execute(f"SELECT body FROM {name} WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None
    except sqlite3.Error:                  # no such table yet, or not a database
        return None
    finally:
        conn.close()
