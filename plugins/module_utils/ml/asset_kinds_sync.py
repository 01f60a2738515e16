# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The I/O the data-asset and component copy modules share: where a version's files are (datastore
URIs and blob URLs resolved to storage accounts), their listings, the server-side copy into the
target's default datastore, and the record of containers found in step (asset_plan's tables).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import threading

from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as blobs
from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import UriError, parse_asset_uri
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import azure_errors

try:
    from urllib.parse import unquote, urlsplit
except ImportError:  # pragma: no cover - Python 2
    from urllib import unquote  # noqa
    from urlparse import urlsplit  # noqa
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_service as assets
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_sync import by_version, target_after_apply


def workspace_id(subscription, group, workspace):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s"
            % (subscription, group, workspace)).lower()


class KindSync:
    """Per-run state of one copy module: storage access, the target's default datastore, the
    datastores read so far. Thread-safe where apply workers share it."""

    def __init__(self, module, state_prefix):
        self.module = module
        p = module.params
        self.source = dict(group=p["source_resource_group"], workspace=p["source_workspace"])
        self.target = dict(group=p["target_resource_group"], workspace=p["target_workspace"])
        self.timeout = p.get("wait_timeout") or 900
        self.state_prefix = state_prefix
        self.access = None
        self.target_store = None
        self.subscription = None
        self.stats = {}
        self.written = {}  # item key -> the version as its registration returned it (after_apply)
        self._plan = None  # what the plan read, for the record written after the apply
        self._list_containers = None
        self._datastores = {}
        self._lock = threading.Lock()

    def on(self, side, doing="reading"):
        """SDK errors of the calls inside -> one line naming the side and its workspace (a region that
        is down or hangs ends the run with that line)."""
        where = self.source if side == "source" else self.target
        return azure_errors("%s the %s workspace '%s'" % (doing, side, where["workspace"]))

    # ---- setup and datastores -----------------------------------------------------------------
    def setup(self, clients):
        self.subscription = self.module.auth.subscription_id
        self.access = blobs.StorageAccess(clients)
        with self.on("target"):
            store = assets.default_datastore(clients, self.target["group"], self.target["workspace"])
        if store is None or not store.get("account_name") or not store.get("container_name"):
            raise asset_plan.PlanError("target_workspace: '%s' has no default blob datastore to copy into"
                                       % self.target["workspace"])
        self.target_store = store

    def datastore(self, clients, group, workspace, name):
        """A datastore of a workspace (cached), or None."""
        key = (group.lower(), workspace.lower(), name.lower())
        with self._lock:
            if key in self._datastores:
                return self._datastores[key]
        found = assets.get_datastore(clients, group, workspace, name)
        with self._lock:
            self._datastores[key] = found
        return found

    # ---- where files are ----------------------------------------------------------------------
    def split_url(self, url):
        """A blob URL -> (account, container, path): by the accounts' ARM blob endpoints, else by an
        Azure endpoint name (``<account>.blob.<suffix>``) of an account of the subscription, the
        form Azure ML writes for code uploaded by its client."""
        try:
            return self.access.split_url(url)
        except UriError:
            parts = urlsplit(url.split("?", 1)[0])
            label, _sep, rest = parts.netloc.partition(".")
            if rest.startswith("blob.") and label in self.access.accounts():
                container, _sep, path = unquote(parts.path.lstrip("/")).partition("/")
                if container:
                    return label, container, path
            raise

    def locate(self, clients, side, uri):
        """An asset URI -> {account, container, path}; raises UriError."""
        where = parse_asset_uri(uri)
        if where["kind"] == "url":
            account, container, path = self.split_url(where["url"])
            return dict(account=account, container=container, path=path)
        group = where["resource_group"] or side["group"]
        workspace = where["workspace"] or side["workspace"]
        store = self.datastore(clients, group, workspace, where["datastore"])
        if store is None:
            raise UriError("datastore '%s' does not exist in workspace '%s'" % (where["datastore"], workspace))
        if not store.get("account_name") or not store.get("container_name"):
            raise UriError("datastore '%s' is not a blob container" % where["datastore"])
        return dict(account=store["account_name"], container=store["container_name"], path=where["path"])

    def files_of(self, clients, side, uri):
        """(location with its shape, files) under an asset URI; raises UriError/CopyError."""
        with self.on("source" if side is self.source else "target"):
            loc = self.locate(clients, side, uri)
            shape, files = blobs.list_version_files(self.access, loc["account"], loc["container"], loc["path"])
        return dict(loc, shape=shape), files

    def copy_files(self, source, files, path):
        """Server-side copy of ``files`` (from ``source``, a located, shaped path) to ``path`` in the
        target's default datastore, each verified (size, MD5); -> bytes copied."""
        target = dict(account=self.target_store["account_name"], container=self.target_store["container_name"],
                      path=path)
        return blobs.copy_files(self.access, source, target, files, self.timeout)

    # ---- containers first -----------------------------------------------------------------------
    def state_blob(self):
        p = self.module.params
        scope = json.dumps([workspace_id(self.subscription, self.source["group"], self.source["workspace"]),
                            sorted(p.get("versions") or []), sorted((p.get("tags") or {}).items())])
        return self.state_prefix + hashlib.sha256(scope.encode("utf-8")).hexdigest()[:24] + ".json"

    def containers(self, clients, lister, select):
        """-> (selected, target containers, names to list, names in step, record state) from the two
        paged container lists and the record (asset_plan.containers_to_list)."""
        self._list_containers = lister
        with self.on("source"):
            found = lister(clients, self.source["group"], self.source["workspace"])
        selected = select(found)
        with self.on("target"):
            target_containers = lister(clients, self.target["group"], self.target["workspace"])
            state = blobs.read_json(self.access, self.target_store["account_name"],
                                    self.target_store["container_name"], self.state_blob()) or {}
        record = {} if self.module.params.get("full_scan") else (state.get("containers") or {})
        to_list, in_step = asset_plan.containers_to_list(selected, target_containers, record)
        self.stats = dict(selected=len(selected), listed=len(to_list), in_step=len(in_step))
        return selected, target_containers, to_list, in_step, state

    def record(self, state, selected, target_containers, items, target_versions=None, list_versions=None):
        """Keep what the plan read for the record of containers in step, which ``after_apply`` writes
        once the writes have landed; drop now the entries of containers with work whose fingerprints
        still match the record (``full_scan``), so that a run killed half-way leaves them to be listed.
        ``target_versions``: {name: [version]} the plan listed in the target; ``list_versions``
        ``(clients, group, workspace, name)``: the version list of the kind (without it, a container
        copied into is listed again by the next run). Check mode writes nothing."""
        self._plan = dict(state=state, selected=selected, target_containers=target_containers,
                          target_versions=dict((n, by_version(vs)) for n, vs in (target_versions or {}).items()),
                          list_versions=list_versions)
        stale = asset_plan.trusted_busy(state.get("containers"), selected, target_containers, items)
        if stale and not self.module.check_mode:
            kept = dict((k, v) for k, v in (state.get("containers") or {}).items() if k not in stale)
            self._plan["state"] = self._write_record(dict(state, containers=kept))

    def _write_record(self, state):
        with self.on("target", "writing to"):
            blobs.write_json(self.access, self.target_store["account_name"], self.target_store["container_name"],
                             self.state_blob(), state)
        return state

    def after_apply(self, clients, items):
        """The record after the apply (run_collection calls it; never in check mode): see
        asset_plan.record_after_apply and asset_sync.AssetSync.after_apply."""
        ctx = self._plan
        if ctx is None:
            return
        after_containers, after_versions = None, {}
        if ctx["list_versions"] is not None:
            with self.on("target"):
                after_containers, after_versions = target_after_apply(
                    clients, items, self.target, self._list_containers, ctx["list_versions"],
                    self.module.params["parallelism"])
        settled = asset_plan.settled_containers(items, ctx["target_versions"], after_versions, self.written)
        before = ctx["state"].get("containers") or {}
        after = asset_plan.record_after_apply(before, ctx["selected"], ctx["target_containers"], after_containers,
                                              items, settled)
        if after != before:
            self._write_record(dict(ctx["state"], containers=after))


def run_with_containers(module, sync, run_collection, plan_items, apply_item, validators, result_key):
    """run_collection with the container counts in the result (it takes no extra fields itself)."""
    exit_json, fail_json = module.exit_json, module.fail_json
    module.exit_json = lambda **result: exit_json(containers=sync.stats, **result)
    module.fail_json = lambda **result: fail_json(containers=sync.stats, **result)
    run_collection(module, plan_items, apply_item, validators=validators,
                   parallelism=module.params["parallelism"], result_key=result_key, after_apply=sync.after_apply)
