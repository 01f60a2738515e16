# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for copying ML asset versions (models) from a source workspace to a target one.

No SDK and no I/O: ``asset_service`` and ``blob.copy_service`` read containers, versions and blob
listings as plain dicts (the keys below) and apply the items this module returns. Three decision
tables live here:

- ``containers_to_list``: which model containers need their versions listed (a no-op sync costs
  the two paged container lists, not a call per version);
- ``plan_version``: copy / update / skip / conflict for one source version;
- ``orphan_items``: copies under the sync's prefix that nothing registered or planned uses.

Shapes: a container ``{name, latest_version, modified, is_archived}``; a version ``{name, version,
model_uri, model_type, description, tags, properties, flavors, stage, is_archived}``; a file
``{path, size, md5}`` (path relative to the version's root, md5 base64 or None).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import hashlib
import json
import re

from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors

# Written into the properties of every version the sync registers: the content it was copied from.
DIGEST_PROPERTY = "amlops.bcdr.source_digest"
# ... and where in the source it came from: a registered version's files are fixed, so a target
# version with both stamps matching the source needs no blob listing on later runs.
SOURCE_URI_PROPERTY = "amlops.bcdr.source_uri"
# Where copies live in the target's default datastore: <prefix>/<name>/<version>/<digest>/...
COPY_PREFIX = "amlops-bcdr/models/"
# The sync's record of the container listings it saw in step (one JSON blob per source workspace).
STATE_PREFIX = "amlops-bcdr/state/models/"
MAX_PARALLELISM = 32
# Fields of a registered version Azure ML lets you change; everything else is fixed at registration.
MUTABLE_FIELDS = ("description", "tags", "stage", "is_archived")
# What the sync copies, per asset type: where its files are (``location``, a version field, None for
# an environment without a build context) and what else makes its content (``spec`` fields).
MODEL = dict(key="model", prefix=COPY_PREFIX, state=STATE_PREFIX, location="model_uri", spec=None)
ENVIRONMENT = dict(key="environment", prefix="amlops-bcdr/environments/", state="amlops-bcdr/state/environments/",
                   location="context_uri",
                   spec=("image", "conda_file", "os_type", "inference_config", "dockerfile_path"))

# Model names: letters, digits, '-', '_', '.'; filters may use shell wildcards (* ? [..]).
NAME_FILTER_RE = re.compile(r"^[A-Za-z0-9_.*?\[\]-]{1,255}$")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
VERSION_CMP_RE = re.compile(r"^(>=|<=|>|<)\s*([0-9]+)$")


class PlanError(ValueError):
    """Bad input, found before any change (one line naming the option)."""


# ---------------------------------------------------------------------------------------------
# input checks (the runner calls input_errors before any call to Azure)
# ---------------------------------------------------------------------------------------------

def _version_filter_error(value):
    text = str(value).strip() if value is not None else ""
    if text == "latest" or VERSION_RE.match(text) or VERSION_CMP_RE.match(text):
        return None
    return ("versions: '%s' is not a version filter: use a version ('3', '1.0.2'), 'latest', "
            "or a comparison with a whole number ('>=3', '<10')" % value)


def _same_workspace(params):
    def side(prefix):
        sub = params.get(prefix + "_subscription_id") or params.get("subscription_id") or ""
        return (str(sub).lower(), str(params.get(prefix + "_resource_group") or "").lower(),
                str(params.get(prefix + "_workspace") or "").lower())
    return side("source") == side("target")


def workspace_pair_errors(params, what="a copy"):
    """The source_/target_ options every copy module shares: all four given, two different workspaces."""
    errors = []
    for option in ("source_workspace", "source_resource_group", "target_workspace", "target_resource_group"):
        if not params.get(option):
            errors.append("%s: required" % option)
    if not errors and _same_workspace(params):
        errors.append("target_workspace: '%s' in '%s' is the source workspace; %s needs two workspaces"
                      % (params["target_workspace"], params["target_resource_group"], what))
    return errors


def input_errors(params):
    """-> one-line errors naming the option; [] when the input is good."""
    errors = workspace_pair_errors(params)
    for name in params.get("names") or []:
        if not isinstance(name, str) or not NAME_FILTER_RE.match(name):
            errors.append("names: '%s' is not a model name or pattern (letters, digits, '-', '_', '.', "
                          "wildcards * ? [])" % (name,))
    for version in params.get("versions") or []:
        error = _version_filter_error(version)
        if error:
            errors.append(error)
    errors.extend(tag_errors(params.get("tags")))
    parallelism = params.get("parallelism")
    if parallelism is not None and (isinstance(parallelism, bool) or not isinstance(parallelism, int)
                                    or not 1 <= parallelism <= MAX_PARALLELISM):
        errors.append("parallelism: must be a whole number from 1 to %d, got '%s'" % (MAX_PARALLELISM, parallelism))
    errors.extend(wait_timeout_errors(params.get("wait_timeout")))
    return errors


# ---------------------------------------------------------------------------------------------
# filters
# ---------------------------------------------------------------------------------------------

def select_containers(containers, names, what="model"):
    """The source containers the name filters select; a filter matching no ``what`` is an error."""
    if not names:
        return sorted(containers, key=lambda c: c["name"])
    chosen, unmatched = {}, []
    for pattern in names:
        hits = [c for c in containers if fnmatch.fnmatchcase(c["name"], pattern)]
        if not hits:
            unmatched.append(pattern)
        for c in hits:
            chosen[c["name"]] = c
    if unmatched:
        raise PlanError("names: no %s in the source workspace matches %s"
                        % (what, ", ".join("'%s'" % n for n in unmatched)))
    return [chosen[n] for n in sorted(chosen)]


def _version_matches(version, latest, wanted):
    if wanted == "latest":
        return version == latest
    cmp = VERSION_CMP_RE.match(wanted)
    if cmp:
        if not version.isdigit():
            return False
        op, bound = cmp.group(1), int(cmp.group(2))
        number = int(version)
        return {">=": number >= bound, "<=": number <= bound, ">": number > bound, "<": number < bound}[op]
    return version == wanted


def version_selected(version, latest_version, versions=None, tags=None):
    """Whether a source version passes the ``versions`` and ``tags`` filters."""
    if versions and not any(_version_matches(str(version["version"]), latest_version, str(w).strip())
                            for w in versions):
        return False
    have = version.get("tags") or {}
    return all(have.get(k) == (None if v is None else str(v)) for k, v in (tags or {}).items())


# ---------------------------------------------------------------------------------------------
# step 1: which containers need a version listing
# ---------------------------------------------------------------------------------------------

def fingerprint(container):
    """What the container list tells about a container's versions (compared for equality only,
    so the two workspaces' clocks never need to agree)."""
    if container is None:
        return None
    return [container.get("latest_version"), container.get("modified"), bool(container.get("is_archived"))]


def containers_to_list(selected, target_containers, record):
    """-> (names to list, names in step): a container is in step when the source and target
    fingerprints both equal what the last run recorded once it had found the two in step.

    Any change of either side since then (a new version, an archived or re-registered one, which
    Azure ML stamps on the container) moves a fingerprint, so the container is listed again;
    without a record everything is listed.
    """
    target_by_name = dict((c["name"], c) for c in target_containers)
    to_list, in_step = [], []
    for container in selected:
        name = container["name"]
        seen = (record or {}).get(name)
        target = target_by_name.get(name)
        if target is not None and seen and seen.get("source") == fingerprint(container) \
                and seen.get("target") == fingerprint(target):
            in_step.append(name)
        else:
            to_list.append(name)
    return to_list, in_step


def record_entry(source_container, target_container):
    return dict(source=fingerprint(source_container), target=fingerprint(target_container))


def next_record(record, selected, target_containers, items):
    """The record after this run's plan: a selected container whose items are all skips (or that
    has none) is in step as listed now; one with anything to do is dropped, so that the next run
    lists it again (and then finds it in step, or reports the conflict again)."""
    busy = set(i["name"] for i in items if i["action"] != "skip")
    targets = dict((c["name"], c) for c in target_containers)
    out = dict(record or {})
    for container in selected:
        name = container["name"]
        if name in busy or name not in targets:
            out.pop(name, None)
        else:
            out[name] = record_entry(container, targets[name])
    return out


def trusted_busy(record, selected, target_containers, items):
    """Containers with something to do whose record entry still matches both fingerprints (only
    with ``full_scan``, which ignores the record): dropped from the record before the apply, so that
    a run killed half-way leaves them to be listed by the next run."""
    busy = set(i["name"] for i in items if i["action"] != "skip")
    targets = dict((c["name"], c) for c in target_containers)
    return sorted(c["name"] for c in selected if c["name"] in busy and c["name"] in targets
                  and (record or {}).get(c["name"]) == record_entry(c, targets[c["name"]]))


def written_containers(items):
    """Names of the containers whose versions this run registered or changed, every item of which
    ended as planned (no error, no conflict): the ones the record after the apply may take in step
    once a listing shows the writes landed (``settled_containers``)."""
    names = set(i["name"] for i in items if i["action"] in ("copy", "update"))
    for item in items:
        if item["name"] in names and ("error" in item or item["action"] not in ("skip", "copy", "update", "delete")):
            names.discard(item["name"])
    return sorted(names)


def settled_containers(items, target_before, target_after, written):
    """The containers of ``written_containers`` whose target versions, listed after the apply (the
    container list read before that listing), are exactly what the plan saw or the apply wrote.

    ``target_before``/``target_after``: {name: {version: version dict}} before the plan / after the
    apply; ``written``: {item key: the version dict the registration returned}. A skipped version
    must be unchanged, a copied or updated one what was registered; anything else (a change made
    by someone else during the run, a version gone) leaves the container to the next run's listing.
    """
    out = set()
    for name in written_containers(items):
        after = target_after.get(name)
        if after is None:
            continue
        ok = True
        for item in items:
            if item["name"] != name or item["action"] == "delete":
                continue
            if item["action"] == "skip":
                want = (target_before.get(name) or {}).get(item["version"])
            else:
                want = written.get(item["key"])
            if want is None or after.get(item["version"]) != want:
                ok = False
                break
        if ok:
            out.add(name)
    return out


def record_after_apply(record, selected, target_before, target_after, items, settled):
    """The record once the apply is over. A container with nothing to do (only skips, or orphans
    deleted without error) is in step as the plan listed it; one the apply wrote to is in step as
    listed after the apply when it is ``settled`` (``target_after``: the container list read after
    the apply, before the version listing that settled it); any other is dropped, so that the next
    run lists it again. The source fingerprint is always the one the plan read: a source change
    during the run moves the source away from it."""
    quiet = dict((c["name"], True) for c in selected)
    for item in items:
        if item["action"] != "skip" and not (item["action"] == "delete" and "error" not in item):
            quiet[item["name"]] = False
    before = dict((c["name"], c) for c in target_before)
    after = dict((c["name"], c) for c in target_after or [])
    out = dict(record or {})
    for container in selected:
        name = container["name"]
        if quiet.get(name) and name in before:
            out[name] = record_entry(container, before[name])
        elif name in settled and name in after:
            out[name] = record_entry(container, after[name])
        else:
            out.pop(name, None)
    return out


# ---------------------------------------------------------------------------------------------
# step 2: one version
# ---------------------------------------------------------------------------------------------

def content_digest(files, spec=None):
    """Identity of a version's content: its files' relative paths, sizes and MD5s, plus the
    ``spec`` (an environment's image, conda file ...) when there is one (32 hex)."""
    lines = sorted("%s\t%d\t%s" % (f["path"], int(f["size"]), f.get("md5") or "") for f in files)
    if spec is not None:
        lines.append("spec\t" + json.dumps(spec, sort_keys=True))
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:32]


def spec_of(version, kind=None):
    kind = kind or MODEL
    if kind["spec"] is None:
        return None
    return dict((f, version.get(f) or None) for f in kind["spec"])


def location_of(version, kind=None):
    kind = kind or MODEL
    return (version or {}).get(kind["location"]) or None


def copy_path(name, version, digest, prefix=COPY_PREFIX):
    """Deterministic: a run killed half-way and run again writes the very same blobs."""
    return "%s%s/%s/%s/" % (prefix, name, version, digest)


def sync_digest(target, kind=None):
    """The digest the sync stamped on a target version, if the version is still the sync's copy
    (its files under the sync's path for that digest, or no files at all); None for anything else."""
    kind = kind or MODEL
    if target is None:
        return None
    digest = (target.get("properties") or {}).get(DIGEST_PROPERTY)
    where = location_of(target, kind)
    if digest and (where is None or copy_path(target["name"], target["version"], digest, kind["prefix"]) in where):
        return digest
    return None


def needs_target_files(target, kind=None):
    """A target version with files that is not the sync's copy must have its files compared."""
    kind = kind or MODEL
    return target is not None and location_of(target, kind) is not None and sync_digest(target, kind) is None


def needs_source_files(source, target, kind=None):
    """False when the source has no files, or when the target version is the sync's copy of this
    very source version (its stamps say so): Azure ML fixes a registered version's location, so
    the content is known."""
    kind = kind or MODEL
    where = location_of(source, kind)
    if where is None:
        return False
    stamps = (target or {}).get("properties") or {}
    return not (sync_digest(target, kind) and stamps.get(SOURCE_URI_PROPERTY) == where)


def _metadata_changes(source, target):
    changes = {}
    for field in MUTABLE_FIELDS:
        want, have = source.get(field), target.get(field)
        if field == "tags":
            want, have = want or {}, have or {}
        elif field == "is_archived":
            want, have = bool(want), bool(have)
        else:
            want, have = want or None, have or None
        if want != have:
            changes[field] = [have, want]
    return changes


def version_key(name, version, kind=None):
    kind = kind or MODEL
    return "%s:%s:%s" % (kind["key"], name, version)


def plan_version(source, source_files, target=None, target_files=None, kind=None):
    """Decide what to do with one selected source version.

    ``source_files``: the files under the source version's location (empty: nothing to copy, the
    copy will fail for this item alone; None: not listed, allowed only when not
    ``needs_source_files``). ``target``: the target's version of the same name and version, or
    None. ``target_files``: the target version's files, needed only when ``needs_target_files``.

    copy     -> not in the target: copy the files, then register (nothing registered before
                the files are verified);
    update   -> same content, registered by the sync, only mutable metadata differs;
    skip     -> same content (and metadata);
    conflict -> same name and version, different content: reported, left alone.
    """
    kind = kind or MODEL
    name, version = source["name"], str(source["version"])
    has_files = location_of(source, kind) is not None
    key = version_key(name, version, kind)
    if source_files is None and has_files:
        digest = target["properties"][DIGEST_PROPERTY]
        item = dict(key=key, name=name, version=version, digest=digest, files=None, bytes=None)
    else:
        source_files = source_files or []
        digest = content_digest(source_files, spec_of(source, kind))
        item = dict(key=key, name=name, version=version, digest=digest,
                    files=len(source_files), bytes=sum(int(f["size"]) for f in source_files))
    if target is None:
        reason = "not in the target"
        if has_files and not source_files:
            reason = "not in the target; the source path has no files (the copy will fail)"
        path = copy_path(name, version, digest, kind["prefix"]) if has_files else None
        return dict(item, action="copy", reason=reason, path=path, in_target=False)
    if has_files and source_files is not None and not source_files:
        return dict(item, action="skip", in_target=True,
                    reason="the source path has no files; the target's version is left as it is")
    their_digest = sync_digest(target, kind)
    if their_digest:
        if their_digest != digest:
            return dict(item, action="conflict", in_target=True,
                        reason="registered in the target with other content (digest %s, source %s)"
                        % (their_digest, digest))
        changes = _metadata_changes(source, target)
        if changes:
            return dict(item, action="update", changes=changes, in_target=True,
                        reason="metadata differs: %s" % ", ".join(sorted(changes)))
        return dict(item, action="skip", reason="already copied", in_target=True)
    if location_of(target, kind) is None:
        target_files = []
    if target_files is not None and content_digest(target_files, spec_of(target, kind)) == digest:
        return dict(item, action="skip", in_target=True,
                    reason="same content already registered in the target (not by this sync)")
    return dict(item, action="conflict", in_target=True,
                reason="registered in the target with other content (same name and version)")


def plan_models(selected, in_step, source_versions, source_files, target_versions, target_files,
                versions=None, tags=None, kind=None):
    """All version items of the listed containers, in name/version order.

    ``source_versions``/``target_versions``: {container name: [version]} for the listed
    containers; ``source_files``: {(name, version): [file]} for the selected source versions that
    ``needs_source_files`` (a missing entry there means an empty listing);
    ``target_files``: {(name, version): [file]} where ``needs_target_files``.
    """
    kind = kind or MODEL
    items = []
    for container in selected:
        name = container["name"]
        if name in in_step:
            continue
        targets = dict((str(v["version"]), v) for v in target_versions.get(name) or [])
        for source in sorted(source_versions.get(name) or [], key=lambda v: _version_order(v["version"])):
            if not version_selected(source, container.get("latest_version"), versions, tags):
                continue
            ver = str(source["version"])
            target = targets.get(ver)
            files = None
            if needs_source_files(source, target, kind):
                files = source_files.get((name, ver)) or []
            items.append(plan_version(source, files, target, target_files.get((name, ver)), kind))
    return items


def _version_order(version):
    text = str(version)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


# ---------------------------------------------------------------------------------------------
# step 3: orphaned copies
# ---------------------------------------------------------------------------------------------

def parse_copy_path(blob_name, prefix=COPY_PREFIX):
    """'<prefix><name>/<version>/<digest>/<file>' -> (name, version, digest), else None."""
    if not blob_name.startswith(prefix):
        return None
    parts = blob_name[len(prefix):].split("/", 3)
    if len(parts) < 4 or not all(parts[:3]):
        return None
    return parts[0], parts[1], parts[2]


def orphan_items(copy_blobs, listed, target_versions, items, prefix=COPY_PREFIX):
    """Delete items for copies under the sync's prefix that no registered version and no planned
    item uses. Only containers listed in this run are judged (the others were not read)."""
    used = set()
    for name in listed:
        for v in target_versions.get(name) or []:
            digest = (v.get("properties") or {}).get(DIGEST_PROPERTY)
            if digest:  # stamped, even if re-pointed: keep its copy rather than guess
                used.add((name, str(v["version"]), digest))
    for item in items:
        if item.get("digest"):
            used.add((item["name"], item["version"], item["digest"]))
    groups = {}
    for blob in copy_blobs:
        where = parse_copy_path(blob["name"], prefix)
        if where is None or where[0] not in listed or where in used:
            continue
        group = groups.setdefault(where, dict(blobs=[], bytes=0))
        group["blobs"].append(blob["name"])
        group["bytes"] += int(blob.get("size") or 0)
    out = []
    for (name, version, digest) in sorted(groups):
        group = groups[(name, version, digest)]
        path = copy_path(name, version, digest, prefix)
        out.append(dict(key="orphan:%s" % path, action="delete", name=name, version=version, digest=digest,
                        files=len(group["blobs"]), bytes=group["bytes"], path=path, in_target=True,
                        reason="copied files no registered version uses (an interrupted or superseded copy)"))
    return out
