# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for mirroring a workspace's own registered datastores into another workspace
under the same names, pointing at the same storage, with the target's own credential. No SDK,
no I/O, no secrets (datastore dicts are datastore_service's, which never hold one).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_plan import PlanError
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.copy_kinds_plan import DEFAULT_DATASTORES

LOCATION = ("account_name", "container_name", "endpoint", "protocol")
SUPPORTED_TYPES = ("AzureBlob",)


def input_errors(params):
    """Workspaces differ and are given, names are names or patterns, parallelism in range."""
    # only the options this module has: no versions, tags or wait_timeout to check
    options = ("source_workspace", "source_resource_group", "target_workspace", "target_resource_group",
               "source_subscription_id", "target_subscription_id", "subscription_id", "parallelism", "names")
    checked = dict((k, params.get(k)) for k in options)
    return [e.replace("is not a model name", "is not a datastore name") for e in asset_plan.input_errors(checked)]


def target_credentials(source):
    """The credential type the target's datastore gets: its own account key (read from ARM at
    apply time) where the source uses a key; identity-based (None) for everything else, so that
    no SAS token, client secret or certificate of the source passes through the controller."""
    return "AccountKey" if source.get("credentials_type") == "AccountKey" else "None"


def mirrorable(store):
    """A user-registered datastore: not one Azure ML creates with the workspace."""
    return not store.get("is_default") and store["name"].lower() not in DEFAULT_DATASTORES


def select(stores, names=None):
    chosen = [s for s in stores if mirrorable(s)]
    if not names:
        return sorted(chosen, key=lambda s: s["name"])
    picked, unmatched = {}, []
    for pattern in names:
        hits = [s for s in chosen if fnmatch.fnmatchcase(s["name"], pattern)]
        if not hits:
            unmatched.append(pattern)
        picked.update((s["name"], s) for s in hits)
    if unmatched:
        raise PlanError("names: no user-registered datastore in the source workspace matches %s"
                        % ", ".join("'%s'" % n for n in unmatched))
    return [picked[n] for n in sorted(picked)]


def _norm(store, field):
    value = store.get(field)
    if field in ("endpoint", "protocol"):
        return (value or "").lower()
    return value


def key(name):
    return "datastore:%s" % name


# Tags under this prefix describe the workspace a datastore belongs to (its pair, its region role, the
# DR state): each workspace keeps its own, so they are neither copied nor overwritten.
OWN_TAG_PREFIX = "amlops.bcdr."


def _tags_without_own(tags):
    return dict((k, v) for k, v in (tags or {}).items() if not k.startswith(OWN_TAG_PREFIX))


def desired(source, target=None):
    """The target's datastore (non-secret fields) for a source datastore; the target's own
    ``amlops.bcdr.*`` tags are kept, the source's are not copied."""
    out = dict((f, source.get(f)) for f in LOCATION)
    out.update(name=source["name"], datastore_type=source.get("datastore_type"),
               service_data_access_auth_identity=source.get("service_data_access_auth_identity") or "None",
               credentials_type=target_credentials(source), description=source.get("description") or "",
               tags=_tags_without_own(source.get("tags")))
    if target is not None:
        out["tags"].update((k, v) for k, v in (target.get("tags") or {}).items() if k.startswith(OWN_TAG_PREFIX))
    return out


def plan_datastore(source, target=None):
    """copy (register it) / update (credential type, description or tags) / skip / conflict
    (same name, other storage or identity setting: left alone)."""
    want = desired(source, target)
    item = dict(key=key(source["name"]), name=source["name"], account_name=want["account_name"],
                container_name=want["container_name"], credentials_type=want["credentials_type"],
                source_credentials_type=source.get("credentials_type") or "None", desired=want)
    if source.get("datastore_type") not in SUPPORTED_TYPES:
        item["problem"] = "datastore type '%s' is not mirrored (only %s)" % (
            source.get("datastore_type"), ", ".join(SUPPORTED_TYPES))
        if target is not None:
            return dict(item, action="skip", in_target=True,
                        reason="%s; the target has one under the same name, left as it is" % item["problem"])
        return dict(item, action="copy", in_target=False, reason="%s (the copy will fail)" % item["problem"])
    if target is None:
        return dict(item, action="copy", in_target=False,
                    reason="not in the target: registered with %s" % (
                        "the storage account's key, read in the target's subscription"
                        if want["credentials_type"] == "AccountKey" else "identity-based access"))
    moved = [f for f in LOCATION if _norm(want, f) != _norm(target, f)]
    if moved or target.get("datastore_type") != want["datastore_type"]:
        return dict(item, action="conflict", in_target=True,
                    reason="registered in the target on other storage (%s differ)" % ", ".join(moved or ["type"]))
    if (want["service_data_access_auth_identity"] or "None").lower() != \
            (target.get("service_data_access_auth_identity") or "None").lower():
        return dict(item, action="conflict", in_target=True,
                    reason="registered in the target with another service_data_access_auth_identity")
    changes = {}
    if (target.get("credentials_type") or "None") != want["credentials_type"]:
        changes["credentials_type"] = [target.get("credentials_type") or "None", want["credentials_type"]]
    if (target.get("description") or "") != want["description"]:
        changes["description"] = [target.get("description") or "", want["description"]]
    if dict(target.get("tags") or {}) != want["tags"]:
        changes["tags"] = [dict(target.get("tags") or {}), want["tags"]]
    if changes:
        return dict(item, action="update", changes=changes, in_target=True,
                    reason="differs: %s" % ", ".join(sorted(changes)))
    return dict(item, action="skip", in_target=True, reason="same storage and access already registered")
