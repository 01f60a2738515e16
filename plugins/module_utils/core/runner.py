# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The body of the resource_group, storage_account, key_vault and app_insights modules.

``run_resource`` is the decision table around ``arm_plan.plan_resource``: check the input
before any call, read the current resource, plan, apply unless in check mode, and exit with
``changed``, ``changes``, the ``diff`` and the resource (predicted in check mode).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import PlanError, plan_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff


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
