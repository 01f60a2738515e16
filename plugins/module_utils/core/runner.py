# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The body of every state-changing module: input checks, read, plan, apply unless check mode,
result/diff/exit. ``run_resource`` runs one resource; ``run_collection`` many items at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import PlanError, plan_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import azure_errors


def tracked_argument_spec(in_resource_group=True, **options):
    """name, resource_group, state, location, tags, purge_tags (documented by each module and the
    ``amlops.bcdr.azure_tracked_resource`` fragment), plus the type's own ``options``."""
    spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        location=dict(type="str"),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    if in_resource_group:
        spec["resource_group"] = dict(type="str", required=True)
    spec.update(options)
    return spec


def run_resource(module, service, spec, desired, result_key, validators=(), prepare=None):
    """Run one tracked-resource module to its end (exit_json or fail_json).

    ``service``: an ``arm_services`` service. ``spec``: its ``arm_plan.ResourceSpec``.
    ``desired``: the managed options. ``validators``: callables raising PlanError on bad input,
    run before any call to Azure. ``prepare(clients, current, desired)`` returns the desired
    state completed with what needs Azure (a default tenant) or raises PlanError (a check that
    needs the current resource); it runs before the plan, so its errors also change nothing.
    """
    params = module.params
    name, group, state = params["name"], params.get("resource_group"), params["state"]
    try:
        for check in validators:
            check()
    except (PlanError, ValueError) as exc:
        module.fail_json(msg=str(exc))

    with module.azure_errors("%s %s" % (spec.label, name)):
        clients = module.clients
        current = service.get(clients, group, name)
        try:
            if prepare is not None:
                desired = prepare(clients, current, desired)
            plan = plan_resource(spec, desired, current, state)
        except PlanError as exc:
            module.fail_json(msg=str(exc))

        action = plan["action"]
        result = dict(changed=action != "none", changes=plan["changes"])
        if module._diff:
            result["diff"] = make_diff(current, plan["after"])
        after = plan["after"]
        if action != "none" and not module.check_mode:
            wait = dict(wait=params.get("wait", True), wait_timeout=params.get("wait_timeout", 900))
            if action == "create":
                after = service.create(clients, group, name, plan["after"], **wait)
            elif action == "update":
                after = service.update(clients, group, name, plan["patch"], current, **wait)
            else:
                service.delete(clients, group, name, **wait)
        elif action == "create":
            # Check mode: what Azure will return, as far as it is known, so later tasks can use the ID.
            after = dict(plan["after"], id=service.resource_id(module.auth.subscription_id, group, name), name=name)
            if group is not None:
                after["resource_group"] = group
        if state == "present":
            result[result_key] = after
    module.exit_json(**result)


# ---------------------------------------------------------------------------------------------
# Collections: many items planned at once, the changing ones applied in a bounded thread pool.

class ItemError(Exception):
    """One item of a collection failed; the other items still run. ``str()`` is the reason."""


# where each action's items are listed in the result; any other action is listed under its own name
LIST_KEYS = dict(copy="copied", skip="skipped", conflict="conflicts", create="created", update="updated", delete="deleted")
# actions whose items end present in the target (the others that exist before the plan stay)
_ADDING = ("copy", "create")


def _secrets(params):
    return [params.get(k) for k in ("secret", "password") if params.get(k)]


def input_failures(params, validators):
    """The one-line errors of ``validators`` (each ``fn(params) -> [str]``, or raising ValueError)."""
    errors = []
    for check in validators:
        try:
            errors.extend(check(params) or ())
        except ValueError as exc:  # PlanError and friends: one line naming the option
            errors.append(str(exc))
    return errors


def _apply_one(apply_item, clients, item, secrets):
    """(outcome fields, error text or None) for one changing item; never raises."""
    started = time.monotonic()
    try:
        with azure_errors("%s %s" % (item["action"], item["key"])):
            extra = apply_item(clients, item) or {}
        error = None
    except (ItemError, AzureOperationError) as exc:
        extra, error = {}, str(exc)
    except Exception as exc:  # a bug in one item must not hide what the others did
        extra, error = {}, "%s: %s" % (type(exc).__name__, exc)
    extra = dict(extra, seconds=round(time.monotonic() - started, 3))
    return extra, (scrub(error, secrets=secrets) if error is not None else None)


def run_collection(module, plan_items, apply_item, validators=(), parallelism=4, result_key="items",
                   changing_actions=("copy", "create", "update", "delete")):
    """Run a many-items module to its end (exit_json, or fail_json when an item failed).

    ``validators``: ``fn(params) -> [error lines]`` run before any call to Azure.
    ``plan_items(clients) -> [{key, action, reason, ...}]``; ``apply_item(clients, item) -> {extra
    outcome fields}``, raising ``ItemError`` for that item alone; only items whose action is in
    ``changing_actions`` are applied, by at most ``parallelism`` threads, never in check mode.
    The result lists every item once: under ``LIST_KEYS[action]`` or ``failed`` (with ``error``),
    and all of them under ``result_key``; ``summary`` counts those lists. ``--diff`` lists the keys
    in the target before and after (an item is taken to be there unless its action adds it; an
    ``in_target`` field says otherwise).
    """
    started = time.monotonic()
    params = module.params
    secrets = _secrets(params)
    errors = input_failures(params, validators)
    if errors:
        module.fail_json(msg="; ".join(errors))

    try:
        with azure_errors("planning"):
            clients = module.clients
            items = [dict(item) for item in plan_items(clients)]
    except (AzureOperationError, ValueError) as exc:
        module.fail_json(msg=scrub(str(exc), secrets=secrets))
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        module.fail_json(msg="the plan lists an item twice: %s" % sorted(k for k in set(keys) if keys.count(k) > 1)[0])

    changing = [item for item in items if item["action"] in changing_actions]
    if changing and not module.check_mode:
        with ThreadPoolExecutor(max_workers=max(1, int(parallelism))) as pool:
            outcomes = list(pool.map(lambda item: _apply_one(apply_item, clients, item, secrets), changing))
        for item, (extra, error) in zip(changing, outcomes):
            item.update(extra)
            if error is not None:
                item["error"] = error

    result = dict(plan=[dict(key=i["key"], action=i["action"], reason=i.get("reason", "")) for i in items],
                  failed=[i for i in items if "error" in i], seconds=0.0)
    result[result_key] = items
    for key in LIST_KEYS.values():
        result[key] = []
    summary = dict(failed=len(result["failed"]))
    for item in items:
        if "error" not in item:
            result.setdefault(LIST_KEYS.get(item["action"], item["action"]), []).append(item)
            summary[item["action"]] = summary.get(item["action"], 0) + 1
    result["summary"] = summary
    done = [i for i in changing if "error" not in i]
    result["changed"] = bool(done)
    if module._diff:
        before = [i["key"] for i in items if i.get("in_target", i["action"] not in _ADDING)]
        gone = set(i["key"] for i in done if i["action"] == "delete")
        after = [k for k in before if k not in gone] + [i["key"] for i in done if i["action"] in _ADDING]
        result["diff"] = dict(before="".join(k + "\n" for k in sorted(before)),
                              after="".join(k + "\n" for k in sorted(after)))
    result["seconds"] = round(time.monotonic() - started, 3)
    if result["failed"]:
        module.fail_json(msg="%d of %d items failed: %s" % (len(result["failed"]), len(items), result["failed"][0]["error"]),
                         **result)
    module.exit_json(**result)
