# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for copying component versions between workspaces: the references a component
spec holds (its code asset, its environment) parsed and mapped to the target workspace, and the
copy / update / skip / conflict decision. No SDK, no I/O.

Shapes: a component version ``{name, version, spec (the componentSpec dict), description, tags,
properties, is_archived}``; a code version ``{name, version, code_uri, description, tags,
properties}``; files ``{path, size, md5}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import copy_kinds_plan as kinds
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_plan import DIGEST_PROPERTY, content_digest

NOUN = "component"
CODE_PREFIX = "amlops-bcdr/codes/"
STATE_PREFIX = "amlops-bcdr/state/components/"

# azureml:/subscriptions/<s>/resourceGroups/<g>/providers/Microsoft.MachineLearningServices/workspaces/<w>/<kind>/<n>/versions/<v>
_ARM_REF_RE = re.compile(r"^(azureml:)?/subscriptions/[^/]+/resource[Gg]roups/[^/]+/providers/"
                         r"Microsoft\.MachineLearningServices/workspaces/[^/]+/(codes|environments)/([^/]+)"
                         r"/versions/([^/]+)$", re.IGNORECASE)
# azureml:<name>:<version>
_SHORT_REF_RE = re.compile(r"^azureml:([^:/@]+):([^:/@]+)$")


def input_errors(params):
    return kinds.input_errors(params, NOUN)


def version_key(name, version):
    return "component:%s:%s" % (name, version)


def code_path(name, version, digest):
    return "%s%s/%s/%s/" % (CODE_PREFIX, name, version, digest)


def parse_ref(ref, kind):
    """An asset reference in a component spec -> {name, version, form} or None (not a
    name+version reference of that kind: an inline spec, a label such as ``@latest``, a path)."""
    if not isinstance(ref, str):
        return None
    text = ref.strip()
    arm = _ARM_REF_RE.match(text)
    if arm:
        if arm.group(2).lower() != kind:
            return None
        return dict(name=arm.group(3), version=arm.group(4), form="arm", prefix=arm.group(1) or "")
    short = _SHORT_REF_RE.match(text)
    if short:
        return dict(name=short.group(1), version=short.group(2), form="short", prefix="azureml:")
    return None


def workspace_ref(subscription, group, workspace, kind, name, version, prefix="azureml:"):
    return ("%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s/"
            "%s/%s/versions/%s" % (prefix, subscription, group, workspace, kind, name, version))


def refs(spec):
    """(code ref or None, environment ref or None) of a component spec (command components)."""
    spec = spec or {}
    return parse_ref(spec.get("code"), "codes"), parse_ref(spec.get("environment"), "environments")


# Any workspace asset reference (a pipeline component's jobs name other components, data, models ...).
_ANY_REF_RE = re.compile(r"^(azureml:)?/subscriptions/[^/]+/resource[Gg]roups/[^/]+/providers/"
                         r"Microsoft\.MachineLearningServices/workspaces/[^/]+/"
                         r"(codes|environments|components|data|models)/([^/]+)/versions/([^/]+)$", re.IGNORECASE)


def _walk(value, fn):
    if isinstance(value, dict):
        return dict((k, _walk(v, fn)) for k, v in value.items())
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    if isinstance(value, str):
        found = _ANY_REF_RE.match(value.strip())
        if found:
            return fn(found)
    return value


def target_spec(spec, subscription, group, workspace):
    """The spec with every workspace asset reference (its code, its environment, and in a pipeline
    component the components, data and models its jobs use) moved to the target workspace: same
    kinds, names and versions; everything else as the source has it."""
    return _walk(copy.deepcopy(spec or {}), lambda m: workspace_ref(
        subscription, group, workspace, m.group(2), m.group(3), m.group(4), m.group(1) or ""))


def comparable(spec):
    """A spec with its references reduced to kind:name:version, so specs of two workspaces compare."""
    out = _walk(copy.deepcopy(spec or {}), lambda m: "%s:%s:%s" % (m.group(2).lower(), m.group(3), m.group(4)))
    for field, kind in (("code", "codes"), ("environment", "environments")):
        ref = parse_ref(out.get(field), kind)
        if ref:  # the short azureml:<name>:<version> form
            out[field] = "%s:%s:%s" % (kind, ref["name"], ref["version"])
    return out


def code_sync_digest(code):
    """The digest the sync stamped on a target code version still at the sync's path, else None."""
    if code is None:
        return None
    digest = (code.get("properties") or {}).get(DIGEST_PROPERTY)
    # the sync registers a folder's code_uri without its trailing '/', as Azure ML's client does
    if digest and code_path(code["name"], code["version"], digest).rstrip("/") in (code.get("code_uri") or ""):
        return digest
    return None


def plan_code(source_code, source_files, target_code=None, target_files=None):
    """The code part of a component item: -> dict(action copy|skip|conflict, digest, reason)."""
    digest = content_digest(source_files or [])
    out = dict(name=source_code["name"], version=str(source_code["version"]), digest=digest,
               files=len(source_files or []), bytes=sum(int(f["size"]) for f in source_files or []),
               path=code_path(source_code["name"], source_code["version"], digest))
    if target_code is None:
        return dict(out, action="copy", reason="code %s:%s copied" % (out["name"], out["version"]))
    theirs = code_sync_digest(target_code)
    if theirs == digest or (theirs is None and kinds.files_equal(source_files, target_files)):
        return dict(out, action="skip", reason="code %s:%s already in the target" % (out["name"], out["version"]))
    return dict(out, action="conflict",
                reason="code %s:%s is registered in the target with other files" % (out["name"], out["version"]))


def plan_version(source, target=None, code=None, environment=None, env_in_target=True):
    """copy / update / skip / conflict for one component version.

    ``code``: plan_code's result (or None: no code asset reference); ``environment``: the parsed
    environment reference (or None); ``env_in_target``: whether the target has it now (a copy is
    still planned without it: environments are copied by aml_env_copy, which runs first; the copy
    checks again and fails alone, registering nothing, if it is still missing).
    """
    name, version = source["name"], str(source["version"])
    item = dict(key=version_key(name, version), name=name, version=version)
    if code is not None:
        item["code"] = dict((k, code[k]) for k in ("name", "version", "action", "digest", "files", "bytes", "path"))
    if environment is not None:
        item["environment"] = "%s:%s" % (environment["name"], environment["version"])
    if target is None:
        if code is not None and code["action"] == "conflict":
            return dict(item, action="conflict", in_target=False, reason=code["reason"])
        reason = "not in the target"
        if code is not None and code["action"] == "copy":
            reason += "; its code is copied first"
        if environment is not None and not env_in_target:
            reason += "; environment %s is not in the target yet (aml_env_copy copies it)" % item["environment"]
        return dict(item, action="copy", in_target=False, reason=reason)
    if comparable(source.get("spec")) != comparable(target.get("spec")):
        return dict(item, action="conflict", in_target=True,
                    reason="registered in the target with another spec (same name and version)")
    return kinds.same_or_update(item, source, target, "same spec already registered in the target")
