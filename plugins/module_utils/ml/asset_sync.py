# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The copy modules' engine (aml_model_copy, aml_env_copy): reads for ``asset_plan``, then one item
at a time for ``core.runner.run_collection``; their shared options. No SDK here: ``asset_service``
and ``blob.copy_service`` make the calls.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as blobs
from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import UriError, datastore_uri, parse_asset_uri
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import azure_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ItemError, request_argument_spec, run_collection
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_service as assets

# blobs one shared listing of a container's versions may read before the versions are listed one by one
SHARED_LISTING_LIMIT = 5000


def workspace_id(subscription, group, workspace):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s"
            % (subscription, group, workspace)).lower()


def copy_argument_spec():
    """The options of the asset copy modules (models, environments, data, components)."""
    spec = dict(
        source_workspace=dict(type="str", required=True),
        source_resource_group=dict(type="str", required=True),
        target_workspace=dict(type="str", required=True),
        target_resource_group=dict(type="str", required=True),
        names=dict(type="list", elements="str"),
        versions=dict(type="list", elements="str"),
        tags=dict(type="dict"),
        parallelism=dict(type="int", default=8),
        wait_timeout=dict(type="int", default=900),
        full_scan=dict(type="bool", default=False),
    )
    spec.update(request_argument_spec())
    return spec


def by_version(versions):
    """[version] -> {version string: version}."""
    return dict((str(v["version"]), v) for v in versions or [])


def target_after_apply(clients, items, target, list_containers, list_versions, parallelism):
    """-> (the target's container list, {name: {version: version}} of the containers the apply wrote
    to) read after the apply, the container list first (asset_plan.record_after_apply says why);
    (None, {}) when the apply wrote no version. The version lists run ``parallelism`` at a time."""
    names = plan.written_containers(items)
    if not names:
        return None, {}
    group, workspace = target["group"], target["workspace"]
    containers = list_containers(clients, group, workspace)
    with ThreadPoolExecutor(max_workers=max(1, min(len(names), int(parallelism)))) as pool:
        listed = list(pool.map(lambda name: list_versions(clients, group, workspace, name), names))
    return containers, dict((name, by_version(vs)) for name, vs in zip(names, listed))


class AssetSync:
    """One copy run of one asset type (``kind``: asset_plan.MODEL or ENVIRONMENT; ``ops``: the
    matching asset_service functions)."""

    def __init__(self, module, kind, ops):
        self.module = module
        self.kind = kind
        self.ops = ops
        p = module.params
        self.source = dict(group=p["source_resource_group"], workspace=p["source_workspace"])
        self.target = dict(group=p["target_resource_group"], workspace=p["target_workspace"])
        self.timeout = p["wait_timeout"]
        self.subscription = None
        self.access = None
        self.target_store = None
        self.details = {}  # item key -> what apply needs (source location, files, version)
        self.stats = {}
        self.written = {}  # item key -> the version as its registration returned it (after_apply)
        self._plan = None  # what the plan read, for the record written after the apply
        self._copies = None  # {copy folder: {blob name: blob}} under the sync's prefix, as the plan listed them
        self._datastores = {}

    def run(self, result_key):
        """Run the module to its end (run_collection exits)."""
        module = self.module
        # run_collection exits by itself and takes no extra result fields: the container counts ride along.
        exit_json, fail_json = module.exit_json, module.fail_json
        module.exit_json = lambda **result: exit_json(containers=self.stats, **result)
        module.fail_json = lambda **result: fail_json(containers=self.stats, **result)
        run_collection(module, self.plan_items, self.apply_item, validators=(plan.input_errors,),
                       parallelism=module.params["parallelism"], result_key=result_key, after_apply=self.after_apply)

    def on(self, side, doing="reading"):
        """SDK errors of the calls inside -> one line naming the side and its workspace (with the
        per-request bounds, a region that is down or hangs ends the run with that line)."""
        where = self.source if side == "source" else self.target
        return azure_errors("%s the %s workspace '%s'" % (doing, side, where["workspace"]))

    # ---- reads --------------------------------------------------------------------------
    def _datastore(self, clients, group, workspace, name):
        key = (group.lower(), workspace.lower(), name.lower())
        if key not in self._datastores:
            found = assets.get_datastore(clients, group, workspace, name)
            if found is None:
                raise UriError("datastore '%s' does not exist in workspace '%s'" % (name, workspace))
            self._datastores[key] = found
        return self._datastores[key]

    def locate(self, clients, side, uri):
        """A version's location -> {account, container, path} in one of the subscription's accounts."""
        where = parse_asset_uri(uri)
        if where["kind"] == "url":
            account, container, path = self.access.split_url(where["url"])
            return dict(account=account, container=container, path=path)
        group = where["resource_group"] or side["group"]
        workspace = where["workspace"] or side["workspace"]
        store = self._datastore(clients, group, workspace, where["datastore"])
        if not store.get("account_name") or not store.get("container_name"):
            raise UriError("datastore '%s' is not a blob container" % where["datastore"])
        return dict(account=store["account_name"], container=store["container_name"], path=where["path"])

    def files_of(self, clients, side, version):
        """(location with its shape, files) of a version's location; raises UriError/CopyError."""
        with self.on("source" if side is self.source else "target"):
            loc = self.locate(clients, side, plan.location_of(version, self.kind))
            shape, files = blobs.list_version_files(self.access, loc["account"], loc["container"], loc["path"])
        return dict(loc, shape=shape), files

    def source_files_shared(self, clients, versions):
        """{version string: (location with its shape, files)} of those of one container's ``versions``
        (they need their source files) whose folders share a folder below the container's root: one
        listing of that folder instead of one per version. Bounded: a shared folder holding more than
        SHARED_LISTING_LIMIT blobs, a version that cannot be located, or a failed listing leaves the
        versions out (files_of lists them one by one, and reports their errors)."""
        located = {}
        for version in versions:
            uri = plan.location_of(version, self.kind)
            if uri is None:
                continue
            try:
                with self.on("source"):
                    located[str(version["version"])] = self.locate(clients, self.source, uri)
            except (UriError, blobs.CopyError):
                continue
        groups = {}
        for ver, loc in located.items():
            groups.setdefault((loc["account"], loc["container"]), []).append(ver)
        found = {}
        for (account, container), vers in groups.items():
            if len(vers) < 2:
                continue
            prefix = blobs.shared_prefix([located[v]["path"] for v in vers])
            if not prefix:
                continue
            try:
                with self.on("source"):
                    listed = blobs.list_blobs_bounded(self.access, account, container, prefix, SHARED_LISTING_LIMIT)
            except (UriError, blobs.CopyError):
                listed = None
            if listed is None:
                continue
            for v in vers:
                shape, files = blobs.version_files(listed, located[v]["path"])
                found[v] = (dict(located[v], shape=shape), files)
        return found

    def state_blob(self):
        p = self.module.params
        scope = json.dumps([workspace_id(self.subscription, self.source["group"], self.source["workspace"]),
                            sorted(p.get("versions") or []), sorted((p.get("tags") or {}).items())])
        return self.kind["state"] + hashlib.sha256(scope.encode("utf-8")).hexdigest()[:24] + ".json"

    def plan_items(self, clients):
        p = self.module.params
        kind = self.kind
        self.subscription = self.module.auth.subscription_id
        self.access = blobs.StorageAccess(clients)
        source, target = self.source, self.target

        def on_side(side, fn, *args):
            with self.on(side):
                return fn(*args)

        # the first reads do not depend on each other: at once (a no-op sync is little more than them)
        with ThreadPoolExecutor(max_workers=4) as pool:
            store_f = pool.submit(on_side, "target", assets.default_datastore, clients, target["group"], target["workspace"])
            source_f = pool.submit(on_side, "source", self.ops["list_containers"], clients, source["group"],
                                   source["workspace"])
            target_f = pool.submit(on_side, "target", self.ops["list_containers"], clients, target["group"],
                                   target["workspace"])
            accounts_f = pool.submit(on_side, "target", self.access.accounts)
            store = store_f.result()
            if store is None or not store.get("account_name") or not store.get("container_name"):
                raise plan.PlanError("target_workspace: '%s' has no default blob datastore to copy into"
                                     % target["workspace"])
            self.target_store = store
            t_account, t_container = store["account_name"], store["container_name"]
            source_containers = source_f.result()
            selected = plan.select_containers(source_containers, p.get("names"), kind["key"])
            target_containers = target_f.result()
            accounts_f.result()
        state_name = self.state_blob()
        with self.on("target"):
            state = blobs.read_json(self.access, t_account, t_container, state_name) or {}
        record = {} if p.get("full_scan") else (state.get("containers") or {})
        to_list, in_step = plan.containers_to_list(selected, target_containers, record)
        self.stats = dict(selected=len(selected), listed=len(to_list), in_step=len(in_step))

        source_versions, target_versions, source_files, target_files = {}, {}, {}, {}
        problems = {}
        latest = dict((c["name"], c.get("latest_version")) for c in selected)
        in_target = set(c["name"] for c in target_containers)

        def read(name):
            """The reads of one container: its version lists, and the files of the versions that need them."""
            out = dict(name=name, source_files={}, target_files={}, problems={}, details={})
            with self.on("source"):
                out["source"] = self.ops["list_versions"](clients, self.source["group"], self.source["workspace"], name)
            out["target"] = []
            if name in in_target:  # a container the target does not have has no versions there
                with self.on("target"):
                    out["target"] = self.ops["list_versions"](clients, self.target["group"], self.target["workspace"],
                                                              name)
            targets = by_version(out["target"])
            chosen = [v for v in out["source"]
                      if plan.version_selected(v, latest[name], p.get("versions"), p.get("tags"))]
            # the versions of a container usually sit in one folder: one listing of it for them all
            shared = self.source_files_shared(clients, [v for v in chosen if plan.needs_source_files(
                v, targets.get(str(v["version"])), kind)])
            for version in chosen:
                key = (name, str(version["version"]))
                target = targets.get(key[1])
                detail = dict(version=version)
                if key[1] in shared:
                    detail["source"], out["source_files"][key] = shared[key[1]]
                    detail["files"] = out["source_files"][key]
                elif plan.needs_source_files(version, target, kind):
                    try:
                        detail["source"], out["source_files"][key] = self.files_of(clients, self.source, version)
                        detail["files"] = out["source_files"][key]
                    except (UriError, blobs.CopyError) as exc:
                        out["problems"][key] = str(exc)
                        out["source_files"][key] = []
                if plan.needs_target_files(target, kind):
                    try:
                        out["target_files"][key] = self.files_of(clients, self.target, target)[1]
                    except (UriError, blobs.CopyError):
                        out["target_files"][key] = None  # unreadable: compared as different (a conflict)
                out["details"][plan.version_key(key[0], key[1], kind)] = detail
            return out

        # the containers are read `parallelism` at a time: on a first sync these reads are half the requests
        if to_list:
            with ThreadPoolExecutor(max_workers=max(1, min(len(to_list), int(p["parallelism"])))) as pool:
                for out in pool.map(read, to_list):
                    source_versions[out["name"]], target_versions[out["name"]] = out["source"], out["target"]
                    source_files.update(out["source_files"])
                    target_files.update(out["target_files"])
                    problems.update(out["problems"])
                    self.details.update(out["details"])

        items = plan.plan_models(selected, in_step, source_versions, source_files, target_versions, target_files,
                                 p.get("versions"), p.get("tags"), kind)
        for item in items:
            problem = problems.get((item["name"], item["version"]))
            if problem:
                item["reason"] = "%s; the source cannot be read: %s" % (item["reason"], problem)
                self.details[item["key"]]["problem"] = problem

        if to_list:
            with self.on("target"):
                copies = blobs.list_blobs(self.access, t_account, t_container, kind["prefix"])
            self._copies = {}  # what the target already holds, by copy folder: the copies skip their own listing
            for blob in copies:
                where = plan.parse_copy_path(blob["name"], kind["prefix"])
                if where is not None:
                    self._copies.setdefault(plan.copy_path(where[0], where[1], where[2], kind["prefix"]),
                                            {})[blob["name"]] = blob
            orphans = plan.orphan_items(copies, set(to_list), target_versions, items, kind["prefix"])
            for orphan in orphans:
                self.details[orphan["key"]] = dict(blobs=[b["name"] for b in copies
                                                          if b["name"].startswith(orphan["path"])])
            items.extend(orphans)

        self._plan = dict(state_name=state_name, state=state, selected=selected, target_containers=target_containers,
                          target_versions=dict((n, by_version(vs)) for n, vs in target_versions.items()))
        stale = plan.trusted_busy(state.get("containers"), selected, target_containers, items)
        if stale and not self.module.check_mode:
            record = dict((k, v) for k, v in (state.get("containers") or {}).items() if k not in stale)
            self._plan["state"] = self._write_record(dict(state, containers=record))
        return items

    def _write_record(self, state):
        with self.on("target", "writing to"):
            blobs.write_json(self.access, self.target_store["account_name"], self.target_store["container_name"],
                             self._plan["state_name"], state)
        return state

    def after_apply(self, clients, items):
        """The record of containers in step, written once the writes have landed (run_collection calls
        it after the apply): the containers copied into are taken in step as a container list read now
        shows them, when a listing of their target versions made after it shows exactly what the
        plan saw and the apply registered (asset_plan.settled_containers); so the next run lists
        nothing it need not, and a change made during the run is still found."""
        if self._plan is None:
            return
        ctx = self._plan
        with self.on("target"):
            after_containers, after_versions = target_after_apply(
                clients, items, self.target, self.ops["list_containers"], self.ops["list_versions"],
                self.module.params["parallelism"])
        settled = plan.settled_containers(items, ctx["target_versions"], after_versions, self.written)
        before = ctx["state"].get("containers") or {}
        record = plan.record_after_apply(before, ctx["selected"], ctx["target_containers"], after_containers, items,
                                         settled)
        if record != before:
            self._write_record(dict(ctx["state"], containers=record))

    # ---- one item -----------------------------------------------------------------------
    def apply_item(self, clients, item):
        detail = self.details.get(item["key"]) or {}
        if item["action"] == "copy":
            return self._copy(clients, item, detail)
        if item["action"] == "update":
            return self._update(clients, item)
        if item["action"] == "delete":
            blobs.delete_blobs(self.access, self.target_store["account_name"], self.target_store["container_name"],
                               detail.get("blobs") or [])
            return {}
        raise ItemError("nothing to do for action %s" % item["action"])

    def _copy(self, clients, item, detail):
        if detail.get("problem"):
            raise ItemError("the source of %s cannot be read: %s" % (item["key"], detail["problem"]))
        field = self.kind["location"]
        source_uri = plan.location_of(detail["version"], self.kind)
        version = dict(detail["version"])
        copied, outcome = 0, {}
        if source_uri is not None:
            files = detail.get("files") or []
            if not files:
                raise ItemError("the source path of %s has no files (%s); nothing was copied or registered"
                                % (item["key"], source_uri))
            source = detail["source"]
            target = dict(account=self.target_store["account_name"], container=self.target_store["container_name"],
                          path=item["path"])
            held = self._copies.get(item["path"], {}) if self._copies is not None else None
            copied = blobs.copy_files(self.access, source, target, files, self.timeout, held=held)
            relative = item["path"] + (files[0]["path"] if source["shape"] == "file" else "")
            version[field] = datastore_uri(self.subscription, self.target["group"], self.target["workspace"],
                                           self.target_store["name"], relative)
            outcome = dict(bytes_copied=copied, target_uri=version[field])
        version["properties"] = dict(version.get("properties") or {})
        version["properties"][plan.DIGEST_PROPERTY] = item["digest"]
        if source_uri is not None:
            version["properties"][plan.SOURCE_URI_PROPERTY] = source_uri
        if "job_name" in version:
            version["job_name"] = None  # the source's job does not exist in the target workspace
        with self.on("target", "writing to"):
            self.written[item["key"]] = self.ops["put_version"](clients, self.target["group"], self.target["workspace"],
                                                                version)
        return outcome

    def _update(self, clients, item):
        with self.on("target"):
            current = self.ops["get_version"](clients, self.target["group"], self.target["workspace"],
                                              item["name"], item["version"])
        if current is None:
            raise ItemError("%s disappeared from the target during the run" % item["key"])
        for field, change in item["changes"].items():
            current[field] = change[1]
        with self.on("target", "writing to"):
            self.written[item["key"]] = self.ops["put_version"](clients, self.target["group"], self.target["workspace"],
                                                                current)
        return {}
