# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The body of every state-changing module: input checks, read, plan, apply unless check mode,
result/diff/exit. ``run_resource`` runs one resource, ``run_collection`` many items (with the per-request
bounds of ``request_argument_spec``), ``run_info`` a read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amlops.bcdr.plugins.module_utils.core.clients import AzureClients
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import build_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import azure_errors, secrets_of
from ansible_collections.amlops.bcdr.plugins.module_utils.core.retries import RetrySettings


def input_failures(params, validators):
    """The one-line errors of ``validators`` (each ``fn(params) -> [str]``, or raising ValueError)."""
    errors = []
    for check in validators:
        try:
            errors.extend(check(params) or ())
        except ValueError as exc:  # PlanError and friends: one line naming the option
            errors.append(str(exc))
    return errors


def _fail_on_input(module, validators):
    errors = input_failures(module.params, validators)
    if errors:
        module.fail_json(msg=scrub("; ".join(errors), secrets=secrets_of(module)))


# ---------------------------------------------------------------------------------------------
# One resource: a module describes it with a Resource; run_resource owns the rest.

class Resource(object):
    """One resource as ``run_resource`` sees it; a module overrides the calls its service makes.

    The defaults fit a resource named by the ``name`` option in ``resource_group``. No hook but
    ``read``/``plan``/``create``/``update``/``delete`` may call Azure, and ``prepare`` runs before any
    call: a ValueError (PlanError) it raises fails the module with its one line, changing nothing.
    """

    label = "resource"          # in messages: "<label> <name>"
    result_key = None           # where the resource is returned with state=present
    resource_type = None        # ARM type of the predicted ID, "Microsoft.ContainerRegistry/registries"
    unknown_until_created = {}  # fields only Azure fills in, as check mode predicts them

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = self.params.get("name")
        self.group = self.params.get("resource_group")
        self.state = self.params.get("state") or "present"

    def what(self):
        return "%s %s" % (self.label, self.name)

    def prepare(self):
        """Pure: turn the options into what the plan needs; raise ValueError on bad input."""

    def read(self, clients):
        raise NotImplementedError

    def plan(self, clients, current):
        """-> {action: create|update|delete|none, changes, after, ...} (``after``: the resource after)."""
        raise NotImplementedError

    def create(self, clients, plan, wait):
        """-> the new resource. Like ``update``, it may update ``plan`` in place when it finds the
        work already done by another run; ``changed``/``changes`` are read from the plan afterwards."""
        raise NotImplementedError

    def update(self, clients, plan, current, wait):
        raise NotImplementedError

    def delete(self, clients, plan, current, wait):
        raise NotImplementedError

    def id_names(self):
        return [self.name]

    def predict(self, plan):
        """Check mode: the new resource as Azure will return it, as far as known, with its ID."""
        after = dict(plan["after"], **self.unknown_until_created)
        after.update(id=build_resource_id(self.module.auth.subscription_id, self.group, self.resource_type,
                                          self.id_names()),
                     name=self.name, resource_group=self.group)
        return after

    def diff(self, current, plan, after):
        """--diff: before and after (None: no diff for this run)."""
        return make_diff(current, plan["after"])

    def returned(self, plan, after):
        """The result keys that describe the resource."""
        return {self.result_key: after} if self.state == "present" else {}


def run_resource(module, resource, validators=()):
    """Run one single-resource module to its end (exit_json or fail_json): the decision table.

    ``validators``: ``fn(params) -> [error lines]`` (the plan file's ``input_errors``), run before
    any call to Azure; all their lines fail the module at once, joined by "; ".
    """
    _fail_on_input(module, validators)
    try:
        resource.prepare()
    except ValueError as exc:
        module.fail_json(msg=scrub(str(exc), secrets=secrets_of(module)))
    params = module.params
    wait = dict(wait=params.get("wait", True), wait_timeout=params.get("wait_timeout", 900))
    with module.azure_errors(resource.what()):
        clients = module.clients
        current = resource.read(clients)
        try:
            plan = resource.plan(clients, current)
        except ValueError as exc:
            module.fail_json(msg=scrub(str(exc), secrets=secrets_of(module)))

        after = plan["after"]
        if plan["action"] == "none":
            pass
        elif module.check_mode:
            if plan["action"] == "create":
                after = resource.predict(plan)
        elif plan["action"] == "create":
            after = resource.create(clients, plan, wait)
        elif plan["action"] == "update":
            after = resource.update(clients, plan, current, wait)
        else:
            resource.delete(clients, plan, current, wait)
            after = None

        result = dict(changed=plan["action"] != "none", changes=plan["changes"])
        if module._diff:
            diff = resource.diff(current, plan, after)
            if diff is not None:
                result["diff"] = diff
        result.update(resource.returned(plan, after))
    module.exit_json(**result)


class ServiceResource(Resource):
    """A resource in a resource group (or a resource group) read and written through a service
    object (``arm.resource_service``, or ``ServiceFunctions``) and planned by
    ``planner(desired, current, state)``.

    ``complete(clients, current, desired)`` returns the desired state completed with what needs
    Azure (a default tenant), or raises PlanError for a check that needs the current resource.
    ``unknown_until_created``: the fields check mode predicts as unknown (None) for a new resource.
    """

    def __init__(self, module, service, planner, desired, result_key, complete=None, unknown_until_created=None):
        super(ServiceResource, self).__init__(module)
        self.service = service
        self.label = service.label
        self.planner = planner
        self.desired = desired
        self.result_key = result_key
        self.complete = complete
        self.unknown_until_created = unknown_until_created or {}

    def read(self, clients):
        return self.service.get(clients, self.group, self.name)

    def plan(self, clients, current):
        desired = self.desired
        if self.complete is not None:
            desired = self.complete(clients, current, desired)
        return self.planner(desired, current, self.state)

    def create(self, clients, plan, wait):
        return self.service.create(clients, self.group, self.name, plan["after"], **wait)

    def update(self, clients, plan, current, wait):
        return self.service.update(clients, self.group, self.name, plan["patch"], current, **wait)

    def delete(self, clients, plan, current, wait):
        self.service.delete(clients, self.group, self.name, **wait)

    def predict(self, plan):
        after = dict(plan["after"], **self.unknown_until_created)
        after.update(id=self.service.resource_id(self.module.auth.subscription_id, self.group, self.name),
                     name=self.name)
        if self.group is not None:
            after["resource_group"] = self.group
        return after


class ServiceFunctions(object):
    """The service object of ServiceResource, made of a service module's four functions
    (``get(clients, group, name)``, ``create(.., after, **wait)``, ``update(.., patch, **wait)``,
    ``delete(.., **wait)``) and the resource's ARM type."""

    def __init__(self, label, resource_type, get, create, update, delete):
        self.label = label
        self.resource_type = resource_type
        self.get = get
        self.create = create
        self.delete = delete
        self._update = update

    def update(self, clients, group, name, patch, current, **wait):
        return self._update(clients, group, name, patch, **wait)

    def resource_id(self, subscription, group, name):
        return build_resource_id(subscription, group, self.resource_type, [name])


def run_info(module, what, read):
    """An _info module's body: ``read(clients) -> result dict`` under the error wrapper about
    ``what`` (a ValueError it raises is one line about the input); it never changes anything."""
    with module.azure_errors(what):
        try:
            result = read(module.clients)
        except ValueError as exc:
            module.fail_json(msg=scrub(str(exc), secrets=secrets_of(module)))
    module.exit_json(changed=False, **result)


def one_or_all(get_one, list_all, name):
    """[the one named ``name``] ([] when it does not exist) when a name is given, else the whole list."""
    if name:
        found = get_one(name)
        return [found] if found else []
    return list_all()


# ---------------------------------------------------------------------------------------------
# Collections: many items planned at once, the changing ones applied in a bounded thread pool.

class ItemError(Exception):
    """One item of a collection failed; the other items still run. ``str()`` is the reason."""


# where each action's items are listed in the result; any other action is listed under its own name.
# Never "skipped"/"failed"/"changed": Ansible reads those top-level keys as the task's own status
# (a non-empty "skipped" list made a run that copied things a SKIPPED task).
LIST_KEYS = dict(copy="copied", skip="unchanged", conflict="conflicts", create="created", update="updated", delete="deleted")
FAILED_KEY = "failed_items"
# actions whose items end present in the target (the others that exist before the plan stay)
_ADDING = ("copy", "create")


# Per-request bounds of a collection module's clients: the ``timeout``/``retries`` options, documented by
# the amlops.bcdr.azure_requests doc fragment. Without them a region that hangs holds a module for
# azure-core's 300 s read timeout on each of several tries.
MAX_RETRIES = 10


def request_argument_spec(timeout=60, retries=4):
    """The ``timeout`` (seconds to connect and to read, per request) and ``retries`` options."""
    return dict(timeout=dict(type="int", default=timeout), retries=dict(type="int", default=retries))


def request_errors(params):
    """One line per bad ``timeout``/``retries`` value (pure; run before any call)."""
    errors = []
    timeout, retries = params.get("timeout"), params.get("retries")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1):
        errors.append("timeout: must be a whole number of seconds of at least 1, got %r" % (timeout,))
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)
                                or not 0 <= retries <= MAX_RETRIES):
        errors.append("retries: must be a whole number from 0 to %d, got %r" % (MAX_RETRIES, retries))
    return errors


def request_client_options(timeout, retries):
    """(retry settings, client keyword arguments) bounding each request of every client (ARM and blob)
    to about ``(retries + 1) * timeout`` seconds plus a few seconds of backoff."""
    settings = RetrySettings(total=retries, backoff=0.5, max_backoff=4)
    # connection_timeout/read_timeout: azure-core's transport and azure-storage-blob's alike.
    # initial_backoff/increment_base: storage's own retry policy (it waits 15 s + 3**n by default);
    # the management clients ignore them.
    return settings, dict(connection_timeout=timeout, read_timeout=timeout, initial_backoff=1, increment_base=2)


def collection_clients(module):
    """``module.clients``, or clients bounded by the module's ``timeout``/``retries`` when it has them."""
    params = module.params
    if params.get("timeout") is None:
        return module.clients
    settings, kwargs = request_client_options(params["timeout"], params.get("retries") or 0)
    return AzureClients(module.auth, retry_settings=settings, **kwargs)


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
                   changing_actions=("copy", "create", "update", "delete"), after_apply=None):
    """Run a many-items module to its end (exit_json, or fail_json when an item failed).

    ``validators``: ``fn(params) -> [error lines]`` run before any call to Azure (``request_errors`` too).
    A module with the ``request_argument_spec`` options gets clients bounded by them (every SDK client,
    ARM and blob, built during the run).
    ``plan_items(clients) -> [{key, action, reason, ...}]``; ``apply_item(clients, item) -> {extra
    outcome fields}``, raising ``ItemError`` for that item alone; only items whose action is in
    ``changing_actions`` are applied, by at most ``parallelism`` threads, never in check mode.
    The result lists every item once: under ``LIST_KEYS[action]`` or ``failed_items`` (with ``error``),
    and all of them under ``result_key``; ``summary`` counts them per action, plus ``failed``. ``--diff`` lists the keys
    in the target before and after (an item is taken to be there unless its action adds it; an
    ``in_target`` field says otherwise).
    ``after_apply(clients, items)``, when given, runs once after the apply (never in check mode), the
    items carrying their outcome (``error`` on a failed one): what must wait for the writes to land
    (the copy modules' record of containers in step). An Azure error or ValueError it raises fails the
    module with its line and the full result.
    """
    started = time.monotonic()
    secrets = secrets_of(module)
    _fail_on_input(module, (request_errors,) + tuple(validators))

    try:
        with azure_errors("planning"):
            clients = collection_clients(module)
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
    after_error = None
    if after_apply is not None and not module.check_mode:
        try:
            with azure_errors("after the apply"):
                after_apply(clients, items)
        except (AzureOperationError, ValueError) as exc:
            after_error = scrub(str(exc), secrets=secrets)

    result = dict(plan=[dict(key=i["key"], action=i["action"], reason=i.get("reason", "")) for i in items],
                  seconds=0.0)
    result[FAILED_KEY] = [i for i in items if "error" in i]
    result[result_key] = items
    for key in LIST_KEYS.values():
        result[key] = []
    summary = dict(failed=len(result[FAILED_KEY]))
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
    failed = result[FAILED_KEY]
    if after_error is not None:
        module.fail_json(msg=after_error, **result)
    if failed:
        module.fail_json(msg="%d of %d items failed: %s" % (len(failed), len(items), failed[0]["error"]),
                         **result)
    module.exit_json(**result)
