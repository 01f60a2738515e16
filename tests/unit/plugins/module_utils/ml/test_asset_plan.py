"""asset_plan: input checks, filters, the per-version decision table, orphans, and the proof that
comparing containers first (and listing versions only where they differ) misses no change."""

import copy
import itertools

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan as plan

GOOD = dict(source_workspace="mlw-a", source_resource_group="rg-a", target_workspace="mlw-b",
            target_resource_group="rg-b", names=None, versions=None, tags=None, parallelism=4, wait_timeout=900)


def files(*specs):
    return [dict(path=p, size=s, md5=m) for p, s, m in specs]


FILES = files(("model.pkl", 10, "aaa="), ("conf/settings.json", 3, "bbb="))


def version(name="fraud", ver="1", uri="azureml://datastores/workspaceblobstore/paths/models/fraud/1/", **kw):
    v = dict(name=name, version=ver, model_uri=uri, model_type="custom_model", description="", tags={},
             properties={}, flavors={}, stage=None, is_archived=False, job_name=None)
    v.update(kw)
    return v


def copied(source, files_=FILES, **kw):
    """The target version the sync registers for ``source``."""
    digest = plan.content_digest(files_)
    v = dict(source, model_uri="azureml://datastores/workspaceblobstore/paths/"
             + plan.copy_path(source["name"], source["version"], digest),
             properties=dict(source["properties"], **{plan.DIGEST_PROPERTY: digest,
                                                      plan.SOURCE_URI_PROPERTY: source["model_uri"]}))
    v.update(kw)
    return v


# ------------------------------------------------------------------------------------- input
def test_good_input_has_no_errors():
    assert plan.input_errors(dict(GOOD, names=["fraud", "churn-*"], versions=["3", "latest", ">=2", "1.0.2"],
                                  tags={"stage": "prod"})) == []


@pytest.mark.parametrize("change, expected", [
    (dict(target_workspace="MLW-A", target_resource_group="RG-A"), "target_workspace: 'MLW-A' in 'RG-A' is the source"),
    (dict(versions=["3", ">= x"]), "versions: '>= x' is not a version filter"),
    (dict(versions=["1 2"]), "versions: '1 2' is not a version filter"),
    (dict(versions=[""]), "versions: '' is not a version filter"),
    (dict(names=["bad name"]), "names: 'bad name' is not a model name"),
    (dict(tags={"a/b": "x"}), "tags: tag name 'a/b'"),
    (dict(parallelism=0), "parallelism: must be a whole number from 1 to 32"),
    (dict(wait_timeout=0), "wait_timeout:"),
    (dict(source_workspace=""), "source_workspace: required"),
])
def test_bad_input_is_one_line_naming_the_option(change, expected):
    errors = plan.input_errors(dict(GOOD, **change))
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors
    assert "\n" not in errors[0]


def test_same_workspace_in_another_subscription_is_allowed():
    params = dict(GOOD, target_workspace="mlw-a", target_resource_group="rg-a",
                  source_subscription_id="s1", target_subscription_id="s2")
    assert plan.input_errors(params) == []


# ------------------------------------------------------------------------------------ filters
def test_name_filter_matching_no_model_is_an_error():
    containers = [dict(name="fraud"), dict(name="churn")]
    assert [c["name"] for c in plan.select_containers(containers, ["fr*"])] == ["fraud"]
    assert [c["name"] for c in plan.select_containers(containers, None)] == ["churn", "fraud"]
    with pytest.raises(plan.PlanError, match=r"^names: no model in the source workspace matches 'fruad'$"):
        plan.select_containers(containers, ["fraud", "fruad"])


@pytest.mark.parametrize("wanted, selected", [
    (None, ["1", "2", "3", "10", "rc1"]),
    (["latest"], ["10"]),
    ([">=3"], ["3", "10"]),
    (["<3"], ["1", "2"]),
    ([">3", "rc1"], ["10", "rc1"]),
    (["2"], ["2"]),
])
def test_version_filters(wanted, selected):
    names = ["1", "2", "3", "10", "rc1"]
    got = [n for n in names if plan.version_selected(version(ver=n), "10", wanted)]
    assert got == selected


def test_tag_filter_needs_every_tag():
    v = version(tags={"stage": "prod", "team": "risk"})
    assert plan.version_selected(v, "1", None, {"stage": "prod"})
    assert not plan.version_selected(v, "1", None, {"stage": "prod", "team": "ops"})


# ------------------------------------------------------------------------- one version
def test_new_version_is_copied_to_a_deterministic_path():
    item = plan.plan_version(version(), FILES)
    assert item["action"] == "copy"
    assert item["bytes"] == 13 and item["files"] == 2
    assert item["path"] == "amlops-bcdr/models/fraud/1/%s/" % plan.content_digest(FILES)
    assert plan.plan_version(version(), list(reversed(FILES)))["path"] == item["path"]


def test_digest_depends_on_path_size_and_md5():
    base = plan.content_digest(FILES)
    assert plan.content_digest(files(("model.pkl", 10, "aaa="), ("conf/settings.json", 3, "ccc="))) != base
    assert plan.content_digest(files(("model.pkl", 11, "aaa="), ("conf/settings.json", 3, "bbb="))) != base
    assert plan.content_digest(files(("model2.pkl", 10, "aaa="), ("conf/settings.json", 3, "bbb="))) != base


def test_copied_version_is_skipped_without_listing_source_files():
    source = version()
    target = copied(source)
    assert not plan.needs_source_files(source, target)
    assert not plan.needs_target_files(target)
    item = plan.plan_version(source, None, target)
    assert item["action"] == "skip" and item["digest"] == plan.content_digest(FILES)


def test_metadata_change_is_an_update():
    source = version(is_archived=True, tags={"stage": "retired"})
    item = plan.plan_version(source, None, copied(version()))
    assert item["action"] == "update"
    assert item["changes"] == {"is_archived": [False, True], "tags": [{}, {"stage": "retired"}]}


def test_other_digest_is_a_conflict():
    source = version()
    target = copied(source, files(("model.pkl", 99, "zzz=")))
    item = plan.plan_version(source, FILES, target)
    assert item["action"] == "conflict" and "other content" in item["reason"]


def test_foreign_version_compared_by_files():
    source = version()
    foreign = version(uri="azureml://datastores/workspaceblobstore/paths/elsewhere/")
    assert plan.needs_target_files(foreign) and plan.needs_source_files(source, foreign)
    assert plan.plan_version(source, FILES, foreign, list(FILES))["action"] == "skip"
    other = files(("model.pkl", 10, "xxx="), ("conf/settings.json", 3, "bbb="))
    assert plan.plan_version(source, FILES, foreign, other)["action"] == "conflict"
    assert plan.plan_version(source, FILES, foreign, None)["action"] == "conflict"


def test_empty_source_path():
    item = plan.plan_version(version(), [])
    assert item["action"] == "copy" and "no files" in item["reason"]
    kept = plan.plan_version(version(), [], version(uri="azureml://datastores/x/paths/y"), FILES)
    assert kept["action"] == "skip" and "no files" in kept["reason"]


# ----------------------------------------------------------------------------- orphans
def test_orphans_are_unused_copies_in_listed_containers():
    source = version()
    digest = plan.content_digest(FILES)
    registered = copied(source)
    blobs = [dict(name=plan.copy_path("fraud", "1", digest) + "model.pkl", size=10),
             dict(name=plan.copy_path("fraud", "1", "0ld") + "model.pkl", size=7),
             dict(name=plan.copy_path("fraud", "2", "new") + "model.pkl", size=5),
             dict(name=plan.copy_path("churn", "1", "0ld") + "a", size=1),
             dict(name=plan.STATE_PREFIX + "x.json", size=1)]
    planned = [dict(name="fraud", version="2", digest="new", action="copy")]
    out = plan.orphan_items(blobs, {"fraud"}, {"fraud": [registered]}, planned)
    assert [(o["key"], o["action"], o["bytes"]) for o in out] == [
        ("orphan:" + plan.copy_path("fraud", "1", "0ld"), "delete", 7)]


# ------------------------------------- the container comparison misses no change (model world)
class World:
    """Two workspaces as the service keeps them. Every change to a version stamps its container
    (Azure ML's lastModifiedAt on the container), which is what the container lists show."""

    def __init__(self):
        self.clock = itertools.count(1)
        self.ws = {"src": {}, "dst": {}}
        self.files = {}

    def register(self, side, v, content):
        containers = self.ws[side]
        c = containers.setdefault(v["name"], dict(versions={}))
        c["versions"][v["version"]] = copy.deepcopy(v)
        c["modified"] = next(self.clock)
        self.files[(side, v["model_uri"])] = list(content)

    def edit(self, side, name, ver, **fields):
        c = self.ws[side][name]
        c["versions"][ver].update(fields)
        c["modified"] = next(self.clock)

    def delete(self, side, name, ver):
        c = self.ws[side][name]
        del c["versions"][ver]
        c["modified"] = next(self.clock)

    def containers(self, side):
        out = []
        for name, c in self.ws[side].items():
            if c["versions"]:
                latest = max(c["versions"], key=lambda x: (len(x), x))
                out.append(dict(name=name, latest_version=latest, modified=c["modified"], is_archived=False))
        return out

    def versions(self, side, name):
        return copy.deepcopy(list(self.ws[side].get(name, {}).get("versions", {}).values()))

    def plan(self, record):
        """(items, listed): what the sync plans with ``record`` ({} = list everything)."""
        selected = plan.select_containers(self.containers("src"), None)
        targets = self.containers("dst")
        to_list, in_step = plan.containers_to_list(selected, targets, record)
        sv, tv, sf, tf = {}, {}, {}, {}
        for name in to_list:
            sv[name], tv[name] = self.versions("src", name), self.versions("dst", name)
            by_ver = dict((t["version"], t) for t in tv[name])
            for v in sv[name]:
                t = by_ver.get(v["version"])
                if plan.needs_source_files(v, t):
                    sf[(name, v["version"])] = self.files[("src", v["model_uri"])]
                if plan.needs_target_files(t):
                    tf[(name, v["version"])] = self.files[("dst", t["model_uri"])]
        items = plan.plan_models(selected, in_step, sv, sf, tv, tf)
        return items, to_list, plan.next_record(record, selected, targets, items)

    def apply(self, items):
        for item in items:
            if item["action"] == "copy":
                src = self.ws["src"][item["name"]]["versions"][item["version"]]
                content = self.files[("src", src["model_uri"])]
                dst = copy.deepcopy(src)
                dst["model_uri"] = "dst:" + item["path"]
                dst["properties"] = dict(src["properties"], **{plan.DIGEST_PROPERTY: item["digest"],
                                                               plan.SOURCE_URI_PROPERTY: src["model_uri"]})
                self.register("dst", dst, content)
            elif item["action"] == "update":
                self.edit("dst", item["name"], item["version"],
                          **dict((k, change[1]) for k, change in item["changes"].items()))

    def sync(self, record):
        """Run until nothing changes; -> the record a no-op run leaves."""
        for _round in range(3):
            items, record = self.plan(record)[0::2]
            self.apply(items)
        return record


def _actions(items):
    return sorted((i["key"], i["action"]) for i in items if i["action"] != "skip")


def seeded_world():
    world = World()
    for name in ("fraud", "churn", "ltv"):
        for ver in ("1", "2"):
            world.register("src", version(name, ver, uri="src:%s/%s/" % (name, ver)),
                           files(("model.pkl", 10 + int(ver), "m%s%s=" % (name, ver))))
    return world


MUTATIONS = {
    "new version": lambda w: w.register("src", version("fraud", "3", uri="src:fraud/3/"), files(("m", 1, "n="))),
    "new container": lambda w: w.register("src", version("nps", "1", uri="src:nps/1/"), files(("m", 1, "p="))),
    "archived in the source": lambda w: w.edit("src", "churn", "1", is_archived=True),
    "unarchived in the source": lambda w: (w.edit("src", "churn", "1", is_archived=True),
                                           w.edit("dst", "churn", "1", is_archived=True),
                                           w.edit("src", "churn", "1", is_archived=False)),
    "tags edited in the source": lambda w: w.edit("src", "ltv", "1", tags={"stage": "prod"}),
    "re-registered in the target with other content": lambda w: (
        w.delete("dst", "ltv", "1"),
        w.register("dst", version("ltv", "1", uri="dst:elsewhere/"), files(("model.pkl", 99, "zz=")))),
    "re-registered in the target by hand, keeping the sync's stamps": lambda w: (
        w.delete("dst", "fraud", "2"),
        w.register("dst", dict(w.versions("src", "fraud")[1], model_uri="dst:by-hand/", properties={
            plan.DIGEST_PROPERTY: plan.content_digest(files(("model.pkl", 12, "mfraud2="))),
            plan.SOURCE_URI_PROPERTY: "src:fraud/2/"}), files(("x", 1, "x=")))),
    "target version deleted": lambda w: w.delete("dst", "churn", "2"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_container_comparison_misses_no_change(mutation):
    world = seeded_world()
    record = world.sync({})
    items, listed = world.plan(record)[:2]
    assert listed == [] and items == [], "a no-op sync should list no versions"

    MUTATIONS[mutation](world)
    pruned, listed = world.plan(record)[:2]
    full = world.plan({})[0]
    assert _actions(full), "the mutation should need an action"
    assert _actions(pruned) == _actions(full)
    assert len(listed) == 1, "only the changed container is listed"


def test_conflict_is_reported_again_and_never_recorded_in_step():
    world = seeded_world()
    record = world.sync({})
    MUTATIONS["re-registered in the target with other content"](world)
    for _round in range(2):
        items, listed, record = world.plan(record)
        world.apply(items)
        assert _actions(items) == [("model:ltv:1", "conflict")]
        assert listed == ["ltv"]


def test_filters_left_out_of_record_scope():
    """A container recorded in step lists nothing; a record from another scope is not used here
    (the module keys its record by source workspace and version/tag filters)."""
    world = seeded_world()
    record = world.sync({})
    assert set(record) == {"fraud", "churn", "ltv"}
    assert world.plan({})[1] == ["churn", "fraud", "ltv"]


# ------------------------------- the record written after the apply (asset_sync.after_apply)
def sync_once(world, record, during=None):
    """One run as the module makes it: plan with ``record``, apply (``during`` changes the world after
    the writes, before the listings after the apply: someone else's change during the run), then the
    record from a container list and the written containers' version lists read after the apply.
    -> (items, listed, record)."""
    selected = plan.select_containers(world.containers("src"), None)
    targets = world.containers("dst")
    items, listed = world.plan(record)[:2]
    before_versions = dict((n, dict((v["version"], v) for v in world.versions("dst", n))) for n in listed)
    world.apply(items)
    written = dict((i["key"], world.ws["dst"][i["name"]]["versions"][i["version"]]) for i in items
                   if i["action"] in ("copy", "update"))
    if during is not None:
        during(world)
    after_containers = world.containers("dst")
    after_versions = dict((n, dict((v["version"], v) for v in world.versions("dst", n)))
                          for n in plan.written_containers(items))
    settled = plan.settled_containers(items, before_versions, after_versions, written)
    return items, listed, plan.record_after_apply(record, selected, targets, after_containers, items, settled)


def test_the_run_after_a_copy_costs_what_a_no_op_costs():
    world = seeded_world()
    items, listed, record = sync_once(world, {})
    assert len([i for i in items if i["action"] == "copy"]) == 6 and listed == ["churn", "fraud", "ltv"]
    assert set(record) == {"churn", "fraud", "ltv"}
    items, listed, _record = sync_once(world, record)
    assert listed == [] and items == []


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_record_written_after_a_copy_misses_no_change_between_runs(mutation):
    world = seeded_world()
    record = sync_once(world, {})[2]
    MUTATIONS[mutation](world)
    pruned, listed = world.plan(record)[:2]
    full = world.plan({})[0]
    assert _actions(full), "the mutation should need an action"
    assert _actions(pruned) == _actions(full)
    assert len(listed) == 1, "only the changed container is listed"


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_change_made_during_the_copy_is_found_by_the_next_run(mutation):
    """The container list after the apply shows our writes and the other change alike: the version
    listing after it tells them apart (a source change moves the source away from the fingerprint
    the plan read)."""
    world = seeded_world()
    items, _listed, record = sync_once(world, {}, during=MUTATIONS[mutation])
    assert len([i for i in items if i["action"] == "copy"]) == 6, "the run copies every container"
    pruned = world.plan(record)[0]
    full = world.plan({})[0]
    assert _actions(full), "the change should need an action"
    assert _actions(pruned) == _actions(full)


def test_settled_needs_every_item_of_the_container_as_planned():
    src = version("fraud", "1", uri="src:fraud/1/")
    written = dict(src, model_uri="dst:x/", properties={plan.DIGEST_PROPERTY: "d"})
    items = [dict(key="model:fraud:1", name="fraud", version="1", action="copy", digest="d")]
    assert plan.settled_containers(items, {}, {"fraud": {"1": written}}, {"model:fraud:1": written}) == {"fraud"}
    # a failed copy, a conflict beside it, or the version changed after our write: left to the next run
    assert plan.settled_containers([dict(items[0], error="boom")], {}, {"fraud": {"1": written}},
                                   {"model:fraud:1": written}) == set()
    conflict = dict(key="model:fraud:2", name="fraud", version="2", action="conflict")
    assert plan.settled_containers(items + [conflict], {}, {"fraud": {"1": written}},
                                   {"model:fraud:1": written}) == set()
    assert plan.settled_containers(items, {}, {"fraud": {"1": dict(written, description="edited")}},
                                   {"model:fraud:1": written}) == set()
    # a skipped version beside the copy must be as the plan saw it
    skip = dict(key="model:fraud:0", name="fraud", version="0", action="skip")
    seen = version("fraud", "0")
    assert plan.settled_containers(items + [skip], {"fraud": {"0": seen}}, {"fraud": {"1": written, "0": seen}},
                                   {"model:fraud:1": written}) == {"fraud"}
    assert plan.settled_containers(items + [skip], {"fraud": {"0": seen}}, {"fraud": {"1": written}},
                                   {"model:fraud:1": written}) == set()


def test_full_scan_drops_the_entries_of_containers_with_work_before_the_apply():
    source = dict(name="fraud", latest_version="2", modified="t1", is_archived=False)
    target = dict(source, modified="t2")
    record = {"fraud": plan.record_entry(source, target), "ltv": {"source": None, "target": None}}
    items = [dict(key="model:fraud:1", name="fraud", version="1", action="update")]
    assert plan.trusted_busy(record, [source], [target], items) == ["fraud"]
    assert plan.trusted_busy(record, [source], [dict(target, modified="t3")], items) == []
    assert plan.trusted_busy(record, [source], [target], [dict(items[0], action="skip")]) == []


# ------------------------------------------------------------------------------ environments
ENV = plan.ENVIRONMENT


def env(ver="1", image="mcr.microsoft.com/azureml/base:1", conda="name: x\n", context=None, **kw):
    v = dict(name="infer", version=ver, image=image, conda_file=conda, os_type="Linux", inference_config=None,
             context_uri=context, dockerfile_path="Dockerfile" if context else None, description="", tags={},
             properties={}, stage=None, is_archived=False, auto_rebuild="Disabled")
    v.update(kw)
    return v


def test_image_environment_needs_no_files_and_is_copied_by_spec():
    source = env()
    assert not plan.needs_source_files(source, None, ENV)
    item = plan.plan_version(source, None, None, None, ENV)
    assert item["action"] == "copy" and item["path"] is None and item["key"] == "environment:infer:1"
    assert item["digest"] == plan.content_digest([], plan.spec_of(source, ENV))


def test_environment_spec_decides_skip_or_conflict():
    source = env()
    same_by_hand = env()
    assert not plan.needs_target_files(same_by_hand, ENV)
    assert plan.plan_version(source, None, same_by_hand, None, ENV)["action"] == "skip"
    other_conda = env(conda="name: y\n")
    assert plan.plan_version(source, None, other_conda, None, ENV)["action"] == "conflict"
    stamped = env(properties={plan.DIGEST_PROPERTY: plan.content_digest([], plan.spec_of(source, ENV))},
                  tags={"t": "1"})
    item = plan.plan_version(source, None, stamped, None, ENV)
    assert item["action"] == "update" and item["changes"] == {"tags": [{"t": "1"}, {}]}


def test_build_context_environment_copies_its_files():
    source = env(image=None, conda=None, context="azureml://datastores/workspaceblobstore/paths/envs/infer/1/")
    assert plan.needs_source_files(source, None, ENV)
    item = plan.plan_version(source, FILES, None, None, ENV)
    assert item["action"] == "copy" and item["path"].startswith("amlops-bcdr/environments/infer/1/")
    # the Dockerfile's name is part of the content
    other = dict(source, dockerfile_path="docker/Dockerfile")
    assert plan.plan_version(other, FILES, None, None, ENV)["digest"] != item["digest"]
    # a copy by the sync is recognised by its stamps and path, without listing
    copy_ = dict(source, context_uri="azureml://datastores/workspaceblobstore/paths/" + item["path"],
                 properties={plan.DIGEST_PROPERTY: item["digest"], plan.SOURCE_URI_PROPERTY: source["context_uri"]})
    assert not plan.needs_source_files(source, copy_, ENV) and not plan.needs_target_files(copy_, ENV)
    assert plan.plan_version(source, None, copy_, None, ENV)["action"] == "skip"
