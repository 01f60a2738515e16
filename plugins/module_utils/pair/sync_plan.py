# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sync role's decisions for one pair: its pre-flight, its direction (active -> standby, with
fencing and the demotion of a stale standby), and its per-pair report (counts per asset type, the
RPO record, the one line a failed run ends with).

Pure: no SDK and no I/O. The role reads the pair's DR state (aml_dr_state_info), runs the copy
modules, and hands their results here through the ``dr_sync_*`` filters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import request_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds

# Asset type -> what its copy module is called and under which key it returns every item.
ASSET_TYPES = {
    "models": dict(module="amlops.bcdr.aml_model_copy", items="models"),
    "environments": dict(module="amlops.bcdr.aml_env_copy", items="environments"),
    "datastores": dict(module="amlops.bcdr.aml_datastore_copy", items="datastores", filters=("names",)),
    "data": dict(module="amlops.bcdr.aml_data_copy", items="data"),
    "components": dict(module="amlops.bcdr.aml_component_copy", items="components"),
}
FILTER_KEYS = ("names", "versions", "tags")
# The lists the runner returns, and the name each count goes by in the report.
OUTCOMES = (("copied", "copied"), ("updated", "updated"), ("unchanged", "unchanged"), ("conflicts", "conflicts"),
            ("deleted", "deleted"))


# ---------------------------------------------------------------------------------------------
# pre-flight
# ---------------------------------------------------------------------------------------------

def input_errors(pair, assets, filters=None, parallelism=None, wait_timeout=None, state_timeout=None,
                 source=None, available=None, request_timeout=None, request_retries=None):
    """One line per problem, naming the role's variable; [] when good. The filters of each asset
    type go through the copy module's own check (asset_plan.input_errors) with the pair's
    workspaces, so the role refuses what the module would refuse, before any call."""
    errors = []
    if not isinstance(pair, dict) or not all(pair.get(k) for k in ("name", "primary_region", "secondary_region")):
        return ["sync_pair: needs name, primary_region and secondary_region (the inventory host's bcdr_pair)"]
    available = list(available if available is not None else ASSET_TYPES)
    if not isinstance(assets, list) or not assets:
        errors.append("sync_assets: give at least one asset type (%s)" % ", ".join(available))
        assets = []
    for asset in assets:
        if asset not in available:
            errors.append("sync_assets: '%s' is not an asset type this collection syncs (%s)"
                          % (asset, ", ".join(available)))
    filters = filters or {}
    if not isinstance(filters, dict):
        errors.append("sync_filters: must be a dict of asset type -> {names, versions, tags}")
        filters = {}
    for asset in sorted(filters, key=str):
        if asset not in assets:
            errors.append("sync_filters.%s: not among sync_assets (%s)" % (asset, ", ".join(assets) or "none"))
        elif not isinstance(filters[asset], dict):
            errors.append("sync_filters.%s: must be a dict with names, versions and/or tags" % asset)
        else:
            known = filter_keys(asset)
            errors.extend("sync_filters.%s.%s: unknown key (known: %s)" % (asset, key, ", ".join(known))
                          for key in sorted(filters[asset], key=str) if key not in known)
    if source not in (None, "") and source not in ds.ROLES:
        errors.append("sync_source: '%s' is not one of %s (or leave it unset: the active workspace)"
                      % (source, ", ".join(ds.ROLES)))
    errors.extend("sync_state_timeout" + e[len("timeout"):] for e in ds.input_errors(dict(timeout=state_timeout)))
    # the copy modules' own check of their timeout/retries options, under the role's names
    errors.extend("sync_request_" + e for e in request_errors(dict(timeout=request_timeout, retries=request_retries)))
    if errors:
        return errors
    workspaces = pair_workspaces(pair)
    labels = dict(parallelism="sync_parallelism", wait_timeout="sync_wait_timeout")
    for asset in assets:
        given = filters.get(asset) or {}
        labels.update((key, "sync_filters.%s.%s" % (asset, key)) for key in FILTER_KEYS)
        params = dict(source_workspace=workspaces["primary"]["name"],
                      source_resource_group=workspaces["primary"]["resource_group"],
                      target_workspace=workspaces["secondary"]["name"],
                      target_resource_group=workspaces["secondary"]["resource_group"],
                      parallelism=parallelism, wait_timeout=wait_timeout,
                      **dict((k, given.get(k)) for k in FILTER_KEYS))
        for error in asset_plan.input_errors(params):
            option, sep, rest = error.partition(":")
            line = labels[option] + sep + rest if option in labels else "sync_pair: " + error
            if line not in errors:
                errors.append(line)
    return errors


def filter_keys(asset):
    """The filters an asset type's copy module takes (datastores: names only)."""
    return ASSET_TYPES.get(asset, {}).get("filters", FILTER_KEYS)


def pair_workspaces(pair):
    """{role: {name, resource_group}} of the pair's workspaces (the names the provision role gives)."""
    from ansible_collections.amlops.bcdr.plugins.module_utils.pair.layout import dr_pair_layout
    regions = dr_pair_layout(pair)["regions"]
    return dict((role, dict(name=regions[role]["workspace"], resource_group=regions[role]["resource_group"]))
                for role in ds.ROLES)


# ---------------------------------------------------------------------------------------------
# direction and fencing
# ---------------------------------------------------------------------------------------------

def sync_direction(resolution, source=None):
    """From the pair's resolution (``resolve_active``, as aml_dr_state_info returns it): which side
    to copy from and to, whether to refuse, and which side to demote first.

    ``source``: None (the active side) or a role the caller insists on; either way the fencing
    rule (``dr_state.sync_source_error``) decides whether it may be copied from. Also refused:
    both sides claiming the winning epoch (two partial switches: a switch resolves it, not a sync)
    and a source whose state tags are malformed.

    Returns ``{source, target, epoch, error, demote, demote_claim, message}``; ``demote`` is the
    target's role when it is stale (it is rewritten to the winning claim before copying), and
    ``demote_claim`` the aml_dr_state options that do it (``{active, epoch, switched_at}``).
    """
    source = source or resolution["active"]
    error = ds.sync_source_error(resolution, source)
    if error is None and resolution.get("conflict"):
        error = ("refusing to sync: both workspaces claim epoch %d for different regions; a failover or failback "
                 "(-e target=...) writes a higher epoch and resolves it" % resolution["epoch"])
    if error is None and source in (resolution.get("invalid") or {}):
        error = ("refusing to sync from the %s workspace: its state tags are malformed (%s)"
                 % (source, "; ".join(resolution["invalid"][source])))
    target = ds.other_role(source) if source in ds.ROLES else None
    demote, claim = None, None
    if error is None and target in resolution["stale"]:
        demote = target
        tags = ds.demote_tags(resolution)
        claim = dict(active=tags[ds.TAG_ACTIVE], epoch=int(tags[ds.TAG_EPOCH]), switched_at=tags[ds.TAG_SWITCHED_AT])
    if error:
        message = error
    else:
        message = "%s -> %s (epoch %d)" % (source, target, resolution["epoch"])
        if demote:
            side = resolution["sides"][demote]
            was = ("claims %s at epoch %d" % (side["active"], side["epoch"])) if side.get("claims") else "no marker"
            message += "; the %s workspace is stale (%s) and is demoted first" % (demote, was)
    return dict(source=source, target=target, epoch=resolution["epoch"], error=error, demote=demote,
                demote_claim=claim, message=message)


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------

def asset_outcome(asset, result):
    """One copy module's registered result -> ``{copied, updated, unchanged, conflicts, deleted,
    failed, covered, conflict_keys, failed_keys, error, seconds}`` (counts are numbers).

    Failed items are the runner's ``failed_items`` (else the items with an ``error``); a module that
    failed before planning (no ``summary``) counts as one failure with its message. ``failed`` at the
    top of a registered result is Ansible's own flag.
    """
    result = result or {}
    items = result.get(ASSET_TYPES.get(asset, {}).get("items", asset)) or []
    out = dict((name, len(result.get(key) or [])) for key, name in OUTCOMES)
    failed_items = result.get("failed_items") or [i for i in items if isinstance(i, dict) and i.get("error")]
    summary = result.get("summary") or {}
    out["failed"] = summary.get("failed", len(failed_items)) if summary else (1 if result.get("failed") else 0)
    out["conflict_keys"] = ["%s (%s)" % (i.get("key"), i.get("reason")) for i in result.get("conflicts") or []]
    out["failed_keys"] = ["%s: %s" % (i.get("key"), i["error"]) for i in failed_items]
    out["error"] = result.get("msg") if result.get("failed") else None
    containers = result.get("containers") or {}
    # What the record says the sync covered: assets (containers) selected, else the versions seen.
    out["covered"] = containers.get("selected", out["copied"] + out["updated"] + out["unchanged"])
    out["seconds"] = result.get("seconds")
    return out


def sync_report(pair_name, direction, results, seconds=None, check_mode=False):
    """The per-pair summary a scheduled run prints, from ``sync_direction`` and
    ``{asset type: registered result}``: ``{pair, direction, epoch, demoted, assets, counts, ok,
    problems, seconds}``. ``ok`` is true when nothing failed and nothing conflicts (only then is
    the RPO record written); ``problems`` is the one line the play fails with otherwise."""
    assets = dict((asset, asset_outcome(asset, result)) for asset, result in (results or {}).items())
    problems = []
    for asset in sorted(assets):
        o = assets[asset]
        if o["conflicts"]:
            plural = "" if o["conflicts"] == 1 else "s"
            problems.append("%s: %d conflict%s (left alone): %s"
                            % (asset, o["conflicts"], plural, ", ".join(o["conflict_keys"])))
        if o["failed"]:
            detail = ", ".join(o["failed_keys"]) or o["error"] or "failed"
            problems.append("%s: %d failed: %s" % (asset, o["failed"], detail))
    source, target = direction.get("source"), direction.get("target")
    report = dict(pair=pair_name, direction="%s -> %s" % (source, target), epoch=direction.get("epoch"),
                  demoted=direction.get("demote"),
                  assets=dict((a, dict((k, o[k]) for k in ("copied", "updated", "unchanged", "conflicts", "failed",
                                                           "deleted", "covered")))
                              for a, o in assets.items()),
                  counts=dict((a, o["covered"]) for a, o in assets.items()),
                  ok=not problems, check_mode=bool(check_mode), seconds=seconds)
    report["problems"] = None
    if problems:
        report["problems"] = "sync of pair %s (%s) %s: %s" % (
            pair_name, report["direction"], "would not finish" if check_mode else "did not finish", "; ".join(problems))
    return report
