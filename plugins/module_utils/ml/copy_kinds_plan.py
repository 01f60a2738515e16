# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers the data-asset and component copies share (input checks, name filters, mutable
metadata, version order); the model-specific tables stay in ``asset_plan``, reused from here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_plan import PlanError

# Azure ML creates these with every workspace, on the workspace's own storage: never mirrored.
DEFAULT_DATASTORES = ("workspaceblobstore", "workspaceartifactstore", "workspacefilestore",
                      "workspaceworkingdirectory")
# Data and component versions: what Azure ML lets you change after registration.
MUTABLE_FIELDS = ("description", "tags", "is_archived")


def input_errors(params, noun):
    """asset_plan's checks (workspaces differ, filters, parallelism, wait_timeout), worded for ``noun``."""
    return [e.replace("is not a model name", "is not a %s name" % noun) for e in asset_plan.input_errors(params)]


def select_containers(containers, names, noun):
    """The source containers the name filters select; a filter matching nothing is an error."""
    if not names:
        return sorted(containers, key=lambda c: c["name"])
    chosen, unmatched = {}, []
    for pattern in names:
        hits = [c for c in containers if fnmatch.fnmatchcase(c["name"], pattern)]
        if not hits:
            unmatched.append(pattern)
        chosen.update((c["name"], c) for c in hits)
    if unmatched:
        raise PlanError("names: no %s in the source workspace matches %s"
                        % (noun, ", ".join("'%s'" % n for n in unmatched)))
    return [chosen[n] for n in sorted(chosen)]


def metadata_changes(source, target, fields=MUTABLE_FIELDS):
    """{field: [target's, source's]} for the mutable fields that differ."""
    changes = {}
    for field in fields:
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


def version_order(version):
    text = str(version)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def same_or_update(item, source, target, reason="already in the target"):
    """skip, or update when only mutable metadata differs (the content is already known equal)."""
    changes = metadata_changes(source, target)
    if changes:
        return dict(item, action="update", changes=changes, in_target=True,
                    reason="metadata differs: %s" % ", ".join(sorted(changes)))
    return dict(item, action="skip", in_target=True, reason=reason)


def files_equal(a, b):
    def norm(files):
        return sorted((f["path"], int(f["size"]), f.get("md5") or "") for f in files)
    return a is not None and b is not None and norm(a) == norm(b)


# ---------------------------------------------------------------------------------------------
# orphaned copies (a run killed between copy and registration whose source then changed, or a
# superseded copy): deleted by a later run, as asset_plan.orphan_items does for models
# ---------------------------------------------------------------------------------------------

def parse_copy_path(blob_name, prefix):
    """'<prefix><name>/<version>/<digest>/<file>' -> (name, version, digest), else None."""
    if not blob_name.startswith(prefix):
        return None
    parts = blob_name[len(prefix):].split("/", 3)
    if len(parts) < 4 or not all(parts[:3]):
        return None
    return parts[0], parts[1], parts[2]


def copy_groups(copy_blobs, prefix):
    """{(name, version, digest): {blobs, bytes}} of the copies under ``prefix``."""
    groups = {}
    for blob in copy_blobs:
        where = parse_copy_path(blob["name"], prefix)
        if where is None:
            continue
        group = groups.setdefault(where, dict(blobs=[], bytes=0))
        group["blobs"].append(blob["name"])
        group["bytes"] += int(blob.get("size") or 0)
    return groups


def orphan_items(copy_blobs, prefix, used, judged=None):
    """Delete items for the copies under ``prefix`` that nothing in ``used`` ({(name, version,
    digest)}: stamped on a registered version or planned now) uses; only names in ``judged`` are
    judged when it is given (the containers this run read)."""
    groups = copy_groups(copy_blobs, prefix)
    out = []
    for where in sorted(groups):
        if where in used or (judged is not None and where[0] not in judged):
            continue
        path = "%s%s/%s/%s/" % ((prefix,) + where)
        out.append(dict(key="orphan:%s" % path, action="delete", name=where[0], version=where[1], digest=where[2],
                        files=len(groups[where]["blobs"]), bytes=groups[where]["bytes"], path=path, in_target=True,
                        blobs=groups[where]["blobs"],
                        reason="copied files no registered version uses (an interrupted or superseded copy)"))
    return out
