"""The resource store: every ARM resource the emulator holds, persisted in state.json.

Resources are keyed by their lowercased resource ID (ARM IDs are case-insensitive) and hold
the JSON exactly as GET returns it. Next to them: per-resource engine metadata (timestamps,
pending long-running operation), LRO operation records, secrets, directory principals and
faults. Everything is written atomically (temp file + os.replace) after each mutation, so a
restart (or a kill -9) never loses or half-writes state.

One re-entrant lock guards everything; callers that need several steps to be atomic (the
engine does, per request) hold ``store.lock`` around them.
"""
import copy
import json
import os
import threading


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


class Store:
    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.path = os.path.join(state_dir, "state.json")
        self.lock = threading.RLock()
        self.resources = {}      # key -> resource JSON
        self.meta = {}           # key -> {"created": ts, "updated": ts, "pending": {...}}
        self.operations = {}     # operation id -> LRO record
        self.secrets = {}        # name -> value (client secret, JWT key, account keys ...)
        self.principals = {}     # object id -> principal record
        self.faults = {}         # current fault configuration
        self.extra = {}          # free-form space for hooks/actions (kept in state)
        self._batch = 0
        self._dirty = False
        self.load()

    # ---- persistence -------------------------------------------------------------------
    def load(self):
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as f:
            data = json.load(f)
        self.resources = data.get("resources", {})
        self.meta = data.get("meta", {})
        self.operations = data.get("operations", {})
        self.secrets = data.get("secrets", {})
        self.principals = data.get("principals", {})
        self.faults = data.get("faults", {})
        self.extra = data.get("extra", {})

    def save(self):
        with self.lock:
            if self._batch:
                self._dirty = True
                return
            data = {"resources": self.resources, "meta": self.meta,
                    "operations": self.operations, "secrets": self.secrets,
                    "principals": self.principals, "faults": self.faults, "extra": self.extra}
            tmp = self.path + ".tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            # json.dumps (C encoder) is ~5x faster than json.dump's chunked Python path
            text = json.dumps(data, separators=(",", ":"))
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path)
            self._dirty = False

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

    # ---- resources ---------------------------------------------------------------------
    def get(self, resource_id):
        """A copy of the stored resource, or None."""
        with self.lock:
            r = self.resources.get(key_of(resource_id))
            return copy.deepcopy(r) if r is not None else None

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
            k = key_of(resource_id)
            gone = [x for x in self.resources if x == k or is_descendant(x, k)]
            for x in gone:
                self.resources.pop(x, None)
                self.meta.pop(x, None)
            if gone:
                self.save()
            return gone

    def children(self, parent, resource_type=None):
        """Direct children of ``parent`` (optionally of one ARM type), as copies."""
        pk = key_of(parent)
        out = []
        with self.lock:
            for k, r in sorted(self.resources.items()):
                if not is_descendant(k, pk) or parent_id(k) != pk:
                    continue
                if resource_type and r.get("type", "").lower() != resource_type.lower():
                    continue
                out.append(copy.deepcopy(r))
        return out

    def find(self, resource_type, scope_prefix="/"):
        """All resources of one ARM type at any depth under a scope, sorted by ID."""
        sk = key_of(scope_prefix) if scope_prefix.strip("/") else ""
        rt = resource_type.lower()
        out = []
        with self.lock:
            for k, r in sorted(self.resources.items()):
                if sk and not is_descendant(k, sk):
                    continue
                if r.get("type", "").lower() == rt:
                    out.append(copy.deepcopy(r))
        return out

    def snapshot(self):
        with self.lock:
            return copy.deepcopy(self.resources)
