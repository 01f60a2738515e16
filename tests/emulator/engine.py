"""The generic, spec-driven ARM engine.

For every ARM request: bearer token, faults, api-version, route (``swagger.SpecIndex``),
request validation, then either an action handler (``emulator.actions.OPERATION_HANDLERS``)
or the generic behaviour for the method (PUT/PATCH/GET/DELETE/HEAD on stored resources), with
long-running operations as ARM does them. Type-specific server fields come from
``emulator.hooks``. Errors are ``ArmError``s, turned into ARM's error body by ``handle``.

LROs need no background thread: an operation record carries its due time, and every request
first "settles" the operations that are due (provisioningState -> Succeeded, deletes done).
"""
import copy
import importlib
import datetime
import json
import logging
import re
import threading
import time
import uuid
from urllib.parse import quote, unquote, urlencode

from . import regions
from .errors import ArmError
from .store import key_of, parent_id
from .swagger import KNOWN_API_VERSIONS, path_namespace, strip_read_only

try:                                   # swagger internals, for "does the schema have field X"
    from .swagger import _target as _schema_target
except ImportError:                    # pragma: no cover
    def _schema_target(s):
        return s

log = logging.getLogger("emulator.engine")

# The other people's modules: optional until they exist (import errors inside them are loud).


def _optional(name):
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"{__package__}.{name}":
            raise
        return None


_hooks = _optional("hooks")
_actions = _optional("actions")

POLL_RE = re.compile(r"^/subscriptions/([^/]+)/providers/([^/]+)/locations/([^/]+)/"
                     r"(operationStatuses|operationResults)/([^/]+)$", re.IGNORECASE)

# Child types whose parent ARM creates implicitly on PUT (Azure ML creates the asset
# container when a first version is registered; azure-ai-ml never PUTs containers).
_ML = "microsoft.machinelearningservices/"
IMPLICIT_PARENT_TYPES = {
    _ML + "workspaces/%s/versions" % t for t in ("models", "environments", "components", "data",
                                                 "codes", "featuresets", "featurestoreentities")
} | {_ML + "registries/%s/versions" % t for t in ("models", "environments", "components",
                                                  "data", "codes")}

TERMINAL = ("Succeeded", "Failed", "Canceled")


def iso(dt=None):
    dt = dt or datetime.datetime.now(datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def iso_ts(ts):
    return iso(datetime.datetime.fromtimestamp(ts, datetime.timezone.utc))


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (what ARM PATCH does): null removes, objects merge."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class EngineContext:
    """What hooks and action handlers get: the state and a few helpers."""

    def __init__(self, engine):
        self._engine = engine
        self.store = engine.store
        self.directory = engine.directory
        self.faults = engine.faults
        self.index = engine.index
        self.config = engine.config
        self.azurite = None                # set by the server when emulator.azurite exists
        self.ArmError = ArmError

    arm_url = property(lambda self: self._engine.arm_url)
    subscription_id = property(lambda self: self.directory.subscription_id)
    tenant_id = property(lambda self: self.directory.tenant_id)

    @staticmethod
    def now():
        return datetime.datetime.now(datetime.timezone.utc)

    iso = staticmethod(iso)

    def hidden(self, resource_id):
        """Write-only/secret values sent with the resource (e.g. datastore credentials.secrets),
        as {JSON pointer: value}; never part of a response."""
        return copy.deepcopy(self.store.meta.get(key_of(resource_id), {}).get("hidden", {}))

    def full_resource(self, resource_id):
        """The stored resource with its hidden values put back (for listSecrets & co)."""
        r = self.store.get(resource_id)
        return None if r is None else self._engine.inject_hidden(r, self.hidden(resource_id))

    @property
    def lro_delay(self):
        return self.faults.lro_delay(float(self.config.get("lro_delay", 0.0)))

    def start_operation(self, match, request, final_status=200, final_body=None, kind="post",
                        resource_id=None):
        """Start an LRO for an action handler; returns the (202, None, headers) to answer with.

        The Location URL answers 202 until lro_delay has passed, then (final_status, final_body).
        """
        op = self._engine.new_operation(kind, resource_id or request.resource_id, match,
                                        request.api_version, final_status, final_body)
        return 202, None, self._engine.lro_headers(op, location=True, async_op=True)


class Request:
    """An ARM request as action handlers see it."""

    def __init__(self, method, path, query, headers, body, api_version, match=None,
                 principal=None, resource_id=None):
        self.method = method
        self.path = path
        self.query = query                # {name: str} (first value of each parameter)
        self.headers = headers            # {lowercased name: value}
        self.body = body
        self.api_version = api_version
        self.match = match
        self.path_params = match.path_params if match else {}
        self.principal = principal or {}  # token claims (oid, appid, tid, upn ...)
        # The resource the request is about: the path itself, or for a POST action the path
        # without its action segment (".../storageAccounts/sa/listKeys" -> ".../sa").
        self.resource_id = resource_id


class Engine:
    def __init__(self, store, directory, faults, index, config, recorder=None):
        self.store = store
        self.directory = directory
        self.faults = faults
        self.index = index
        self.config = config              # dict: lro_delay, page_size, strict_responses, ...
        self.recorder = recorder
        self.arm_url = config.get("arm_url", "")
        self.ctx = EngineContext(self)
        self._violations_lock = threading.Lock()
        self._pending = {oid for oid, op in store.operations.raw_items()
                         if op.get("status") == "InProgress"}
        self._last_prune = 0.0

    # =============================================================================== entry
    def handle(self, method, path, query, headers, raw_body, url=None):
        """-> (status, headers, body or None). ``query``: {name: [values]} as parse_qs gives."""
        q = {k: v[0] if isinstance(v, list) else v for k, v in query.items()}
        rl_headers = {}
        match = None
        body = None
        try:
            claims = self.directory.verify_arm_token(headers.get("authorization"), self.arm_url)
            sub = self._subscription_of(path)
            rl_headers = self.faults.before_request(method, sub or "-", claims.get("oid", "-"))
            self.settle()
            poll = POLL_RE.match(path)
            if poll and poll.group(5) in self.store.operations:
                status, out_headers, body_out = self._poll(poll, q)
                return status, {**rl_headers, **out_headers}, body_out
            api_version = q.get("api-version")
            if not api_version:
                raise ArmError(400, "MissingApiVersionParameter",
                               "The api-version query parameter (?api-version=) is required for "
                               "all requests.")
            if sub is not None and sub.lower() != self.directory.subscription_id.lower():
                raise ArmError(404, "SubscriptionNotFound",
                               f"The subscription '{sub}' could not be found.")
            match = self._route(method, path, api_version)
            body = self._parse_body(raw_body)
            self.faults.check_region(self._region_for(match, body))
            # ARM itself answers for a missing resource group, before the provider sees the body
            rid = self._request_resource_id(match)
            rg_id, rg = self._resource_group_of(rid)
            if rg_id and key_of(rg_id) != key_of(rid) and not self.store.exists(rg_id):
                raise ArmError(404, "ResourceGroupNotFound",
                               f"Resource group '{rg}' could not be found.")
            self._check_location_given(match, body)
            # Resource providers check their own names (and answer with their own codes,
            # e.g. storage's AccountNameInvalid) before the generic swagger validation would:
            # emulator.hooks.pre_validate(ctx, match, method, path_params, body) may raise.
            if _hooks is not None and hasattr(_hooks, "pre_validate"):
                _hooks.pre_validate(self.ctx, match, method, match.path_params, body)
            errors = match.validate_request(q, body)
            if errors:
                first = errors[0]
                raise ArmError(400, "InvalidRequestContent",
                               f"The request content was invalid: {first.message}",
                               target=first.path or None,
                               details=[{"code": e.code, "target": e.path, "message": e.message}
                                        for e in errors[:20]])
            request = Request(method, path, q, headers, body, api_version, match, claims, rid)
            with self.store.batch():
                status, out_headers, body_out = self._dispatch(match, request)
        except ArmError as e:
            status, out_headers, body_out = e.status, dict(e.headers), e.body()
        if match is not None and self.config.get("strict_responses"):
            status, out_headers, body_out = self._check_response(
                match, method, path, status, out_headers, body_out)
        rid_header = str(uuid.uuid4())
        out_headers = {"x-ms-request-id": rid_header,
                       "x-ms-correlation-request-id":
                           headers.get("x-ms-correlation-request-id") or rid_header,
                       **rl_headers, **out_headers}
        if body_out is not None:
            out_headers.setdefault("Content-Type", "application/json; charset=utf-8")
        # every request served as a spec operation, at whatever api-version the client sent
        # (oav_check validates other versions against the vendored spec's)
        if match is not None and self.recorder is not None:
            self.recorder.record(method, url or path, headers, body, status, out_headers, body_out)
        return status, out_headers, body_out

    # ============================================================================ routing
    @staticmethod
    def _subscription_of(path):
        segs = path.strip("/").split("/")
        if len(segs) >= 2 and segs[0].lower() == "subscriptions":
            return unquote(segs[1])
        return None

    def _route(self, method, path, api_version):
        match = self.index.match(method, path, api_version)
        if match is not None:
            return match
        any_match = self.index.match_any_version(method, path)
        if any_match is None:
            allowed = self.index.allowed_methods(path)
            if allowed:
                raise ArmError(405, "HttpMethodNotAllowed",
                               f"The requested resource does not support http method "
                               f"'{method}'.")
            ns = path_namespace(path)
            if ns is None or self.index.canonical_namespace(ns) is None:
                raise ArmError(404, "NoRegisteredProviderFound",
                               f"No registered resource provider found for namespace '{ns}' and "
                               f"API version '{api_version}'.")
            rtype = "/".join(s for i, s in enumerate(self._type_segments(path)) if i % 2 == 0)
            raise ArmError(404, "InvalidResourceType",
                           f"The resource type '{rtype}' could not be found in the namespace "
                           f"'{self.index.canonical_namespace(ns)}' for api version "
                           f"'{api_version}'.")
        ns = self.index.canonical_namespace(any_match.namespace) or any_match.namespace
        supported = sorted(KNOWN_API_VERSIONS.get(ns, ()) or
                           self.index.providers().get(ns, ()), reverse=True)
        raise ArmError(400, "InvalidApiVersionParameter",
                       f"The api-version '{api_version}' is invalid. The supported versions are "
                       f"'{','.join(supported)}'.")

    @staticmethod
    def _type_segments(path):
        segs = [s for s in path.strip("/").split("/") if s]
        for i in range(len(segs) - 2, -1, -1):
            if segs[i].lower() == "providers":
                return segs[i + 2:]
        return segs[2:]

    @staticmethod
    def _parse_body(raw):
        if not raw or not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise ArmError(400, "InvalidRequestContent",
                           f"The request content was invalid and could not be deserialized: "
                           f"'{e}'.")

    # ====================================================================== identities
    @staticmethod
    def canonical_id(match, strip_last=False):
        """The request path as an ARM ID, with ARM's spelling of the literal segments."""
        segs = match.path_template.split("?")[0].strip("/").split("/")
        if strip_last:
            segs = segs[:-1]
        out = []
        for seg in segs:
            if seg.startswith("{"):
                val = match.path_params.get(seg[1:-1], "").strip("/")
                out.extend(val.split("/"))
            else:
                out.append(seg)
        # ARM spells these two this way in IDs whatever the URL said.
        out = ["resourceGroups" if s.lower() == "resourcegroups" else
               "subscriptions" if s.lower() == "subscriptions" else s for s in out]
        return "/" + "/".join(out)

    def _request_resource_id(self, match):
        last = match.path_template.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if match.method == "POST" and not last.startswith("{"):
            return self.canonical_id(match, strip_last=True)
        return self.canonical_id(match)

    @staticmethod
    def _arm_type(match):
        return match.resource_type

    def _region_for(self, match, body):
        if match.method == "PUT" and isinstance(body, dict) and isinstance(body.get("location"), str):
            return regions.normalize(body["location"])
        return self.region_of(self._request_resource_id(match))

    def region_of(self, resource_id):
        """Location of the resource or its nearest stored ancestor (None at subscription level)."""
        k = key_of(resource_id)
        with self.store.lock:
            while k:     # one segment at a time: collection paths have an odd length
                r = self.store.resources.get(k)
                if r is not None and isinstance(r.get("location"), str):
                    return regions.normalize(r["location"])
                k = k.rsplit("/", 1)[0]
        return None

    @staticmethod
    def _resource_group_of(resource_id):
        segs = resource_id.strip("/").split("/")
        for i, s in enumerate(segs[:-1]):
            if s.lower() == "resourcegroups":
                return "/" + "/".join(segs[:i + 2]), segs[i + 1]
        return None, None

    def _not_found(self, match, resource_id):
        rg_id, rg = self._resource_group_of(resource_id)
        if rg_id and key_of(rg_id) != key_of(resource_id) and not self.store.exists(rg_id):
            return ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if match.resource_type.lower() == "microsoft.resources/resourcegroups":
            return ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        segs = resource_id.strip("/").split("/")
        tail = "/".join(segs[len(segs) - 1 - segs[::-1].index(next(
            s for s in segs[::-1] if s.lower() == "providers")) + 1:]) if any(
            s.lower() == "providers" for s in segs) else "/".join(segs[-2:])
        if rg:
            msg = (f"The Resource '{tail}' under resource group '{rg}' was not found. For more "
                   "details please go to https://aka.ms/ARMResourceNotFoundFix")
        else:
            msg = f"The Resource '{tail}' was not found."
        return ArmError(404, "ResourceNotFound", msg)

    # ========================================================================== schemas
    def _resource_schema(self, match, status_codes=(200, 201)):
        """Compiled schema of the resource body this operation returns (or None)."""
        responses = getattr(match, "_responses", {})
        for code in status_codes:
            entry = responses.get(str(code))
            if entry and entry[1]:
                return entry[1][1]
        return None

    def _sub_schema(self, schema, name, value=None):
        """Schema of property ``name`` of an object schema; picks the discriminated subtype
        from ``value`` (the object holding the property)."""
        if schema is None:
            return None
        s = _schema_target(schema)
        disc = getattr(s, "discriminator", None)
        if disc and isinstance(value, dict) and isinstance(value.get(disc), str):
            try:
                table = self.index._disc_table(s)
                s = _schema_target(table.get(value[disc]) or s)
            except Exception:
                pass
        props = getattr(s, "properties", None) or {}
        return props.get(name)

    def _schema_has(self, schema, body, *path):
        cur, val = schema, body
        for name in path:
            nxt = self._sub_schema(cur, name, val)
            if nxt is None:
                return None
            cur = nxt
            val = val.get(name) if isinstance(val, dict) else None
        return _schema_target(cur)

    def _resolve(self, s, value):
        s = _schema_target(s)
        disc = getattr(s, "discriminator", None)
        if disc and isinstance(value, dict) and isinstance(value.get(disc), str):
            try:
                table = self.index._disc_table(s)
                dv = value[disc]
                chosen = table.get(dv) or next(
                    (v for k, v in table.items() if k.lower() == dv.lower()), None)
                if chosen is not None:
                    s = _schema_target(chosen)
            except Exception:
                pass
        return s

    def extract_hidden(self, schema, value, parts=(), out=None):
        """Remove write-only and x-ms-secret properties from ``value`` (in place); returns
        {JSON pointer: value}. ARM never returns them (datastore secrets, passwords ...), but
        actions like listSecrets need them, so they are kept aside in the resource's meta."""
        out = {} if out is None else out
        if schema is None:
            return out
        s = self._resolve(schema, value)
        if isinstance(value, list) and getattr(s, "items", None) is not None:
            for i, item in enumerate(value):
                self.extract_hidden(s.items, item, parts + (i,), out)
            return out
        props = getattr(s, "properties", None)
        if not isinstance(value, dict) or props is None:
            return out
        for name in list(value):
            ps = props.get(name)
            if ps is None:
                add = getattr(s, "additional", None)
                if add is not None and add is not True:
                    self.extract_hidden(add, value[name], parts + (name,), out)
                continue
            t = _schema_target(ps)
            if ps.write_only or t.write_only or ps.secret or t.secret:
                ptr = "".join("/" + str(p).replace("~", "~0").replace("/", "~1")
                              for p in parts + (name,))
                out[ptr] = value.pop(name)
                # A polymorphic secret keeps its kind, as Azure answers it: a datastore's
                # credentials.secrets comes back as {"secretsType": "AccountKey"}, no values.
                disc = getattr(t, "discriminator", None)
                if disc and isinstance(out[ptr], dict) and disc in out[ptr]:
                    value[name] = {disc: out[ptr][disc]}
            else:
                self.extract_hidden(ps, value[name], parts + (name,), out)
        return out

    @staticmethod
    def inject_hidden(resource, hidden):
        """A copy of ``resource`` with the hidden values put back at their pointers."""
        out = copy.deepcopy(resource)
        for ptr, val in (hidden or {}).items():
            toks = [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]
            cur = out
            for t in toks[:-1]:
                if isinstance(cur, list):
                    cur = cur[int(t)]
                else:
                    cur = cur.setdefault(t, {})
            if isinstance(cur, list):
                cur[int(toks[-1])] = copy.deepcopy(val)
            else:
                cur[toks[-1]] = copy.deepcopy(val)
        return out

    def _validate_as_request(self, schema, value, strict_unknown=True):
        try:
            from .swagger import _Ctx
        except ImportError:        # pragma: no cover - validator internals changed
            return []
        ctx = _Ctx(request=True, strict_unknown=strict_unknown)
        self.index._validate(schema, value, [], ctx)
        return ctx.errors

    def _state_value(self, schema, body, wanted):
        """A provisioningState the schema accepts: ``wanted`` if its enum allows it."""
        s = self._schema_has(schema, body, "properties", "provisioningState")
        if s is None:
            return None
        enum = getattr(s, "enum", None)
        if not enum or wanted in enum:
            return wanted
        for alt in {"Creating": ("Accepted", "Provisioning", "Updating", "RegisteringDns"),
                    "Updating": ("Accepted", "Provisioning", "Creating", "RegisteringDns"),
                    "Deleting": ("Deleting",)}.get(wanted, ()):
            if alt in enum:
                return alt
        return "Succeeded" if "Succeeded" in enum else enum[0]

    # ============================================================================= LROs
    def new_operation(self, kind, resource_id, match, api_version, final_status=None,
                      final_body=None, delay=None):
        now = time.time()
        delay = self.ctx.lro_delay if delay is None else delay
        opid = str(uuid.uuid4())
        op = {"id": opid, "kind": kind, "resource_id": resource_id,
              "resource_key": key_of(resource_id) if resource_id else None,
              "namespace": match.namespace, "location": self.region_of(resource_id) or "global",
              "api_version": api_version, "start": now, "due": now + delay,
              "status": "InProgress", "final_status": final_status, "final_body": final_body,
              "final_state_via": match.final_state_via, "method": match.method,
              "success_codes": match.success_codes}
        with self.store.lock:
            self.store.operations[opid] = op
            self._pending.add(opid)
            self._prune_operations(now)
            self.store.save()
        return op

    def _prune_operations(self, now):
        """Finished operations are kept 10 minutes (for late pollers), then dropped; the
        sweep runs at most once a minute so that its cost is not paid per request."""
        if len(self.store.operations) < 200 or now - self._last_prune < 60:
            return
        self._last_prune = now
        for oid, op in list(self.store.operations.raw_items()):
            if op["status"] != "InProgress" and op.get("end", now) < now - 600:
                del self.store.operations[oid]

    @staticmethod
    def poll_hint(op):
        """Tell pollers when to come back, as ARM does with Retry-After; in milliseconds
        (azure-core reads retry-after-ms first) because emulated operations take tens of ms."""
        remaining = op["due"] - time.time()
        return {"retry-after-ms": str(max(10, min(int(remaining * 1000) + 1, 5000)))}

    def lro_headers(self, op, location=False, async_op=True):
        base = (f"{self.arm_url}/subscriptions/{self.directory.subscription_id}/providers/"
                f"{op['namespace']}/locations/{op['location']}")
        q = "?" + urlencode({"api-version": op["api_version"]})
        h = self.poll_hint(op) if op.get("status") == "InProgress" else {}
        if async_op:
            h["Azure-AsyncOperation"] = f"{base}/operationStatuses/{op['id']}{q}"
        if location:
            h["Location"] = f"{base}/operationResults/{op['id']}{q}"
        return h

    def settle(self):
        """Complete every operation whose time has come (lazily, on each request)."""
        if not self._pending:
            return
        now = time.time()
        with self.store.batch():
            for oid in sorted(self._pending, key=lambda o: self.store.operations[o]["due"]):
                op = self.store.operations.get(oid)
                if op is None or op["status"] != "InProgress":
                    self._pending.discard(oid)
                    continue
                if op["due"] > now:
                    continue
                self._complete(op, now)
                self._pending.discard(oid)

    def _complete(self, op, now, status="Succeeded"):
        k = op.get("resource_key")
        meta = self.store.meta.get(k, {}) if k else {}
        pending = meta.get("pending")
        if op["kind"] == "delete" and k in self.store.resources:
            self._delete_now(op["resource_id"])
        elif op["kind"] in ("create", "update") and pending and pending.get("op") == op["id"]:
            r = self.store.resources.get(k)
            props = r.get("properties") if r else None
            if isinstance(props, dict) and props.get("provisioningState") not in TERMINAL \
                    and "provisioningState" in props:
                props["provisioningState"] = "Succeeded"
            meta.pop("pending", None)
        op["status"] = status
        op["end"] = now
        self.store.save()

    def _delete_now(self, resource_id):
        """Remove a resource and its descendants, telling the hooks (children first)."""
        doomed = sorted(self.store.keys_under(resource_id), key=len, reverse=True)
        if _hooks is not None and hasattr(_hooks, "on_delete"):
            for x in doomed:
                r = self.store.resources.get(x)
                if r is not None:
                    _hooks.on_delete(self.ctx, r.get("type"), r.get("id"), r)
        doomed_set = set(doomed)
        for oid in list(self._pending):                  # creates that never finished
            op = self.store.operations.get(oid)
            if op is not None and op.get("resource_key") in doomed_set and \
                    op["status"] == "InProgress" and op["kind"] in ("create", "update"):
                op["status"], op["end"] = "Canceled", time.time()
                self._pending.discard(oid)
        self.store.delete(resource_id)

    def _poll(self, m, q):
        op = self.store.operations[m.group(5)]
        self.faults.check_region(op.get("location"))
        status = op["status"]
        if m.group(4).lower() == "operationstatuses":
            body = {"id": f"/subscriptions/{m.group(1)}/providers/{m.group(2)}/locations/"
                          f"{m.group(3)}/operationStatuses/{op['id']}",
                    "name": op["id"], "status": status, "startTime": iso_ts(op["start"])}
            if status != "InProgress":
                body["endTime"] = iso_ts(op.get("end", op["due"]))
            if status == "Failed":
                body["error"] = op.get("error") or {"code": "InternalServerError",
                                                    "message": "The operation failed."}
            # final-state-via azure-async-operation on a POST: the result is this body.
            if status == "Succeeded" and op.get("method") == "POST" and \
                    op.get("final_state_via") == "azure-async-operation" and \
                    isinstance(op.get("final_body"), dict):
                body = {**op["final_body"], **body}
            return 200, (self.poll_hint(op) if status == "InProgress" else {}), body
        # operationResults (the Location URL)
        if status == "InProgress":
            return 202, self.lro_headers(op, location=True, async_op=False), None
        if status == "Failed":
            err = op.get("error") or {"code": "InternalServerError", "message": "failed"}
            return 500, {}, {"error": err}
        if op["kind"] in ("create", "update"):
            r = self.store.resources.get(op["resource_key"])
            if r is None:
                return 204, {}, None
            return 200, {}, self._view(op["resource_key"], r)
        if op["kind"] == "delete":
            return 204, {}, None
        fb = op.get("final_body")
        fs = op.get("final_status") or (200 if fb is not None else 204)
        if fs == 202:
            fs = 200 if fb is not None else 204
        return fs, {}, fb

    # ========================================================================= dispatch
    def _dispatch(self, match, request):
        handlers = getattr(_actions, "OPERATION_HANDLERS", {}) if _actions else {}
        handler = handlers.get(match.operation_id) or BUILTIN_HANDLERS.get(match.operation_id)
        if handler is not None:
            status, body, headers = handler(self.ctx, match, request)
            headers = dict(headers or {})
            # An LRO action that answered synchronously becomes a real LRO (202 + Location).
            if match.is_lro and match.method in ("POST",) and status in (200, 201, 204) \
                    and not ({"location", "azure-asyncoperation"} & {h.lower() for h in headers}) \
                    and 202 in match.success_codes:
                status, body, headers = self.ctx.start_operation(match, request, status, body)
            return status, headers, body
        if match.method == "PUT":
            return self._put(match, request)
        if match.method == "PATCH":
            return self._patch(match, request)
        if match.method == "DELETE":
            return self._delete(match, request)
        if match.method == "HEAD":
            return self._head(match, request)
        if match.method == "GET":
            if self._is_collection(match):
                return self._list(match, request)
            return self._get(match, request)
        raise ArmError(501, "EmulatorOperationNotImplemented",
                       f"The emulator has no handler for operation '{match.operation_id}' "
                       f"({match.method} {match.path_template}); add one to "
                       "emulator.actions.OPERATION_HANDLERS.")

    def _is_collection(self, match):
        if match.pageable is not None:
            return True
        last = match.path_template.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if last.startswith("{"):
            return False
        s = self._resource_schema(match, (200,))
        props = getattr(_schema_target(s), "properties", None) if s is not None else None
        return bool(props) and "value" in props and "id" not in props

    def _view(self, key, resource):
        """The stored resource as GET returns it."""
        return copy.deepcopy(resource)

    # -- GET / HEAD ----------------------------------------------------------------------
    def _get(self, match, request):
        rid = request.resource_id
        r = self.store.resources.get(key_of(rid))
        if r is None:
            raise self._not_found(match, rid)
        return 200, self._etag_header(r), self._view(key_of(rid), r)

    def _head(self, match, request):
        rid = request.resource_id
        if key_of(rid) in self.store.resources:
            return (204 if 204 in match.success_codes else 200), {}, None
        return 404, {}, None

    def _list(self, match, request):
        coll = self.canonical_id(match)
        scope = coll.rsplit("/", 1)[0]
        if scope.lower().endswith("/providers/" + match.namespace.lower()) or \
                re.search(r"/providers/[^/]+$", scope):
            scope = scope.rsplit("/", 2)[0]
        if key_of(scope).count("/") > 2 and key_of(scope) not in self.store.resources:
            # Azure ML lists the versions of an asset that does not exist (yet) as an empty
            # list: azure-ai-ml asks for codes/<new guid>/versions?hash=... before an upload.
            if not (match.resource_type.lower() in IMPLICIT_PARENT_TYPES
                    and key_of(scope.rsplit("/", 2)[0]) in self.store.resources):
                raise self._not_found(match, scope)
        # indexed by type and key range: no scan of every stored resource
        items = self.store.find(match.resource_type, scope)
        items = self._filter_list(items, request, match)
        page = match.pageable or {"itemName": "value", "nextLinkName": None}
        item_name = page.get("itemName") or "value"
        next_name = page.get("nextLinkName")
        token_param = self._skip_param(match)
        start = 0
        raw_token = request.query.get(token_param) or request.query.get("$skipToken")
        if raw_token:
            try:
                start = max(0, int(raw_token))
            except ValueError:
                raise ArmError(400, "InvalidSkipToken", f"The skip token '{raw_token}' is invalid.")
        size = int(self.config.get("page_size") or 50)
        count = request.query.get("count")        # ML lists: "maximum number of results"
        if count and "count" in self._query_params(match) and str(count).isdigit() \
                and int(count) > 0:
            size = int(count)
        body = {}
        if next_name:
            chunk = items[start:start + size]
            body[item_name] = chunk          # store.find returns copies
            if start + size < len(items):
                q = {k: v for k, v in request.query.items() if k not in (token_param, "$skipToken")}
                q[token_param] = str(start + size)
                body[next_name] = f"{self.arm_url}{request.path}?{urlencode(q, quote_via=quote)}"
        else:
            body[item_name] = items
        return 200, {}, body

    @staticmethod
    def _skip_param(match):
        names = {p.get("name") for p in match.parameters if p.get("in") == "query"}
        for cand in ("$skipToken", "$skiptoken", "$skip"):
            if cand in names:
                return cand
        return "$skipToken"

    @staticmethod
    def _query_params(match):
        return {p.get("name") for p in match.parameters if p.get("in") == "query"}

    @staticmethod
    def _name_value_terms(text):
        """'tag1,tag2=value2' -> [('tag1', None), ('tag2', 'value2')] (ML list filters)."""
        out = []
        for term in str(text).split(","):
            name, sep, value = term.strip().partition("=")
            if name:
                out.append((name, value if sep else None))
        return out

    def _filter_list(self, items, request, match=None):
        """The list filters the specs declare and clients rely on, each applied only where the
        operation declares it: ML listViewType (by properties.isArchived), isDefault, names,
        searchText, orderBy/orderByAsc (datastores), version, tags/$tags, properties, hash/
        hashVersion (code versions), $orderBy createdtime/modifiedtime, offset, $top; and
        principalId eq in $filter (role assignments)."""
        q = request.query
        declared = self._query_params(match) if match is not None else set(q)

        def props(r):
            p = r.get("properties")
            return p if isinstance(p, dict) else {}

        view = (q.get("listViewType") or "").lower()
        if view or any("isArchived" in props(r) for r in items[:1]):
            def archived(r):
                return bool(props(r).get("isArchived"))
            if view in ("", "activeonly"):
                items = [r for r in items if not archived(r)]
            elif view == "archivedonly":
                items = [r for r in items if archived(r)]
        if "isDefault" in declared and q.get("isDefault") is not None:
            want = str(q["isDefault"]).lower() == "true"
            items = [r for r in items if bool(props(r).get("isDefault")) == want]
        if "names" in declared and q.get("names"):
            names = {n.strip() for n in str(q["names"]).split(",") if n.strip()}
            items = [r for r in items if r.get("name") in names]
        if "searchText" in declared and q.get("searchText"):
            text = str(q["searchText"]).lower()
            items = [r for r in items if text in str(r.get("name", "")).lower()]
        if "version" in declared and q.get("version"):
            items = [r for r in items if r.get("name") == q["version"]]
        for tag_param in ("tags", "$tags"):
            if tag_param in declared and q.get(tag_param):
                for name, value in self._name_value_terms(q[tag_param]):
                    items = [r for r in items if name in (props(r).get("tags") or {}) and
                             (value is None or (props(r).get("tags") or {})[name] == value)]
        if "properties" in declared and q.get("properties"):
            for name, value in self._name_value_terms(q["properties"]):
                items = [r for r in items if name in (props(r).get("properties") or {}) and
                         (value is None or (props(r).get("properties") or {})[name] == value)]
        for param, prop in (("hash", "hash_sha256"), ("hashVersion", "hash_version")):
            if param in declared and q.get(param):
                items = [r for r in items
                         if str((props(r).get("properties") or {}).get(prop)) == q[param]]
        order, desc = None, False
        if "orderBy" in declared and q.get("orderBy"):                   # datastores
            order = str(q["orderBy"]).lower()
            desc = str(q.get("orderByAsc", "false")).lower() != "true"
        elif "$orderBy" in declared and q.get("$orderBy"):               # asset versions
            field, _sp, direction = str(q["$orderBy"]).strip().partition(" ")
            order, desc = field.lower(), direction.strip().lower() == "desc"
        if order in ("createdtime", "modifiedtime", "name"):
            def sort_key(r):
                sd = r.get("systemData") or {}
                if order == "name":
                    return str(r.get("name", ""))
                return str(sd.get("createdAt" if order == "createdtime" else "lastModifiedAt", ""))
            items = sorted(items, key=sort_key, reverse=desc)
        flt = q.get("$filter") or ""
        m = re.search(r"principalId\s+eq\s+'([^']+)'", flt, re.IGNORECASE)
        if m:
            items = [r for r in items if props(r).get("principalId", "").lower()
                     == m.group(1).lower()]
        if match is not None and _hooks is not None and hasattr(_hooks, "filter_list"):
            items = _hooks.filter_list(self.ctx, match, q, items)    # per type (providers/)
        offset = q.get("offset")
        if "offset" in declared and offset and str(offset).isdigit():
            items = items[int(offset):]
        top = q.get("$top")
        if top and str(top).isdigit():
            items = items[:int(top)]
        return items

    # -- PUT / PATCH -----------------------------------------------------------------------
    def _check_preconditions(self, request, existing):
        if_match = request.headers.get("if-match")
        if_none = request.headers.get("if-none-match")
        etag = (existing or {}).get("etag")
        if if_none == "*" and existing is not None:
            raise ArmError(412, "PreconditionFailed", "The resource already exists "
                           "(If-None-Match: *).")
        if if_match and if_match != "*" and (existing is None or if_match.strip() != str(etag)):
            raise ArmError(412, "PreconditionFailed", "The condition specified using HTTP "
                           "conditional header(s) is not met (If-Match).")
        if if_match == "*" and existing is None:
            raise ArmError(412, "PreconditionFailed", "The resource does not exist (If-Match: *).")

    def _check_parent(self, match, rid, body, claims):
        """404 unless the parent exists; returns the ID of a parent created implicitly."""
        parent = parent_id(rid)
        if parent is None or key_of(parent).count("/") <= 2:     # subscription scope
            return
        if key_of(parent) in self.store.resources:
            pm = self.store.meta.get(key_of(parent), {}).get("pending")
            if pm and pm.get("kind") == "delete":
                raise ArmError(409, "Conflict", f"The parent resource '{parent}' is being deleted.")
            return
        rg_id, rg = self._resource_group_of(rid)
        if rg_id and not self.store.exists(rg_id):
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if match.resource_type.lower() in IMPLICIT_PARENT_TYPES:
            grand = parent_id(parent)
            if grand is not None and key_of(grand) in self.store.resources:
                self._create_implicit_parent(match, parent, body, claims)
                return parent
            parent = grand
        raise ArmError(404, "ParentResourceNotFound",
                       f"Can not perform requested operation on nested resource. Parent resource "
                       f"'{parent.rsplit('/', 1)[-1]}' not found.")

    def _create_implicit_parent(self, match, parent, body, claims):
        ptype = match.resource_type.rsplit("/", 1)[0]
        props = {}
        dtype = ((body or {}).get("properties") or {}).get("dataType")
        if dtype:
            props["dataType"] = dtype
        resource = {"id": parent, "name": parent.rsplit("/", 1)[-1], "type": ptype,
                    "properties": props}
        resource["systemData"] = self._system_data(None, claims)
        if _hooks is not None and hasattr(_hooks, "on_put"):
            _hooks.on_put(self.ctx, ptype, parent, resource, None)
        now = time.time()
        self.store.put(parent, resource, {"created": now, "updated": now})

    def _check_location_given(self, match, body):
        """ARM itself refuses a PUT of a tracked (top-level, located) resource without a
        location, before the resource provider sees it, whatever the schema says (the ML
        workspace schema, for one, does not mark location required)."""
        if match.method != "PUT" or not isinstance(body, dict):
            return
        if match.resource_type.count("/") != 1:        # child resources: the provider decides
            return
        loc = body.get("location")
        if isinstance(loc, str) and loc.strip():
            return
        schema = self._resource_schema(match)
        if schema is None or self._sub_schema(schema, "location", body) is None:
            return
        raise ArmError(400, "LocationRequired",
                       "The location property is required for this definition.")

    def _validate_location(self, match, body, schema, existing):
        loc = body.get("location") if isinstance(body, dict) else None
        loc_schema = self._sub_schema(schema, "location", body) if schema is not None else None
        if not isinstance(loc, str):
            return
        norm = regions.normalize(loc)
        required = "location" in getattr(_schema_target(schema), "required", ()) if schema else False
        if (required or loc_schema is not None) and norm not in regions.REGIONS:
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{loc}' is not available for resource type "
                           f"'{match.resource_type}'. List of available regions for the resource "
                           f"type is '{','.join(sorted(regions.REGIONS - {'global'}))}'.")
        if existing is not None and isinstance(existing.get("location"), str) and \
                regions.normalize(existing["location"]) != norm:
            raise ArmError(400, "InvalidResourceLocation",
                           f"The resource '{existing.get('name')}' already exists in location "
                           f"'{existing['location']}' in resource group. A resource with the same "
                           f"name cannot be created in location '{loc}'. Please select a new "
                           "resource name.")
        body["location"] = norm

    def _system_data(self, existing, claims):
        claims = claims or {}
        who = claims.get("upn") or claims.get("appid") or claims.get("oid")
        kind = "User" if claims.get("idtyp") == "user" else "Application"
        now = iso()
        prev = (existing or {}).get("systemData") or {}
        return {"createdBy": prev.get("createdBy", who),
                "createdByType": prev.get("createdByType", kind),
                "createdAt": prev.get("createdAt", now),
                "lastModifiedBy": who, "lastModifiedByType": kind, "lastModifiedAt": now}

    def _server_fields(self, match, rid, resource, existing, schema, claims):
        """id/name/type, systemData, etag and identity ids, where the schema has them."""
        has = (lambda name: self._sub_schema(schema, name, resource) is not None) \
            if schema is not None else (lambda name: name in ("id", "name", "type"))
        out = {}
        for name, value in (("id", rid), ("name", rid.rsplit("/", 1)[-1]),
                            ("type", match.resource_type)):
            if has(name):
                out[name] = value
        out.update(resource)
        if has("systemData"):
            out["systemData"] = self._system_data(existing, claims)
        if has("etag"):
            out["etag"] = f'W/"{uuid.uuid4()}"'
        ident = out.get("identity")
        if isinstance(ident, dict):
            self._identity_ids(ident, (existing or {}).get("identity") or {}, schema, out)
        return out

    def _identity_ids(self, ident, prev, schema, resource):
        id_schema = self._sub_schema(schema, "identity", resource)
        kind = str(ident.get("type", "")).lower()
        props = getattr(_schema_target(id_schema), "properties", None) or {} if id_schema else {}
        if "systemassigned" in kind:
            if "principalId" in props:
                oid = prev.get("principalId") or str(uuid.uuid4())
                ident["principalId"] = oid
                if not self.directory.has_principal(oid):
                    self.directory.register(object_id=oid, kind="ServicePrincipal",
                                            display_name=resource.get("name"))
            if "tenantId" in props:
                ident["tenantId"] = self.directory.tenant_id
        else:
            ident.pop("principalId", None)
            ident.pop("tenantId", None)
        uais = ident.get("userAssignedIdentities")
        if isinstance(uais, dict):
            prev_uais = prev.get("userAssignedIdentities") or {}
            for uid in list(uais):
                old = prev_uais.get(uid) or {}
                uais[uid] = {"principalId": old.get("principalId") or str(uuid.uuid4()),
                             "clientId": old.get("clientId") or str(uuid.uuid4())}

    def _put(self, match, request):
        rid = request.resource_id
        k = key_of(rid)
        existing = self.store.resources.get(k)
        meta = self.store.meta.get(k, {})
        pending = meta.get("pending")
        if existing is not None and pending and pending.get("kind") == "delete":
            raise ArmError(409, "ResourceGroupBeingDeleted" if self._is_rg(match) else "Conflict",
                           f"The resource '{rid}' is being deleted; another operation cannot be "
                           "performed on it until the deletion completes.")
        self._check_preconditions(request, existing)
        body = copy.deepcopy(request.body) if isinstance(request.body, dict) else {}
        schema = self._resource_schema(match)
        self._validate_location(match, body, schema, existing)
        implicit = self._check_parent(match, rid, body, request.principal)
        stored = strip_read_only(match, body, drop_unknown=not match.exact_version)
        try:
            return self._write(match, request, rid, stored, existing, schema,
                               creating=existing is None)
        except Exception:
            if implicit:             # a refused first version leaves no container behind
                self.store.delete(implicit)
            raise

    def _patch(self, match, request):
        rid = request.resource_id
        k = key_of(rid)
        existing = self.store.resources.get(k)
        if existing is None:
            raise self._not_found(match, rid)
        pending = self.store.meta.get(k, {}).get("pending")
        if pending and pending.get("kind") == "delete":
            raise ArmError(409, "Conflict", f"The resource '{rid}' is being deleted.")
        self._check_preconditions(request, existing)
        patch = strip_read_only(match, request.body, drop_unknown=not match.exact_version) or {}
        if "location" in patch:
            patch["location"] = regions.normalize(patch["location"])
        tags = patch.pop("tags", None) if isinstance(patch, dict) else None
        merged = merge_patch(existing, patch)
        if tags is not None:            # ARM PATCH replaces the tags as a whole
            merged["tags"] = tags
        schema = self._resource_schema(match)
        if schema is not None:
            # The merged resource must still be valid (e.g. AmlCompute settings patched onto
            # a Kubernetes compute): checked against the resource schema, readOnly ignored.
            full = self.inject_hidden(merged, self.store.meta.get(k, {}).get("hidden"))
            errors = self._validate_as_request(schema, full, match.exact_version)
            if errors:
                raise ArmError(400, "InvalidRequestContent",
                               f"The request content was invalid: the updated resource would "
                               f"not be valid: {errors[0].message}", target=errors[0].path,
                               details=[{"code": e.code, "target": e.path, "message": e.message}
                                        for e in errors[:20]])
        return self._write(match, request, rid, merged, existing, schema, creating=False)

    @staticmethod
    def _is_rg(match):
        return match.resource_type.lower() == "microsoft.resources/resourcegroups"

    def _write(self, match, request, rid, stored, existing, schema, creating):
        k = key_of(rid)
        resource = self._server_fields(match, rid, stored, existing, schema, request.principal)
        lro = match.is_lro
        delay = self.ctx.lro_delay if lro else 0.0
        if lro and _hooks is not None and hasattr(_hooks, "lro_delay"):  # per type (deployments)
            delay = _hooks.lro_delay(self.ctx, match.resource_type, delay)
        # provisioningState where the schema has it: in progress for an LRO with a delay
        if isinstance(resource.get("properties"), dict) or \
                self._schema_has(schema, resource, "properties") is not None:
            wanted = ("Creating" if creating else "Updating") if lro and delay > 0 else "Succeeded"
            state = self._state_value(schema, resource, wanted)
            if state is not None:
                resource.setdefault("properties", {})
                if isinstance(resource["properties"], dict):
                    resource["properties"]["provisioningState"] = state
        if _hooks is not None and hasattr(_hooks, "on_put"):
            _hooks.on_put(self.ctx, match.resource_type, rid, resource,
                          copy.deepcopy(existing) if existing is not None else None)
        hidden = self.extract_hidden(schema, resource)
        now = time.time()
        meta = dict(self.store.meta.get(k, {}))
        if match.method == "PATCH":
            hidden = {**meta.get("hidden", {}), **hidden}
        if hidden:
            meta["hidden"] = hidden
        else:
            meta.pop("hidden", None)
        meta.setdefault("created", now)
        meta["updated"] = now
        meta.pop("pending", None)
        headers = {}
        op = None
        if lro:
            op = self.new_operation("create" if creating else "update", rid, match,
                                    request.api_version, delay=delay)
            if delay > 0:
                meta["pending"] = {"kind": op["kind"], "op": op["id"], "due": op["due"]}
            else:
                op["status"], op["end"] = "Succeeded", now
                self._pending.discard(op["id"])
        self.store.put(rid, resource, meta)
        view = self._view(k, resource)
        headers.update(self._etag_header(resource))
        codes = match.success_codes
        if creating and 201 in codes:
            status = 201
        elif 200 in codes:
            status = 200
        elif 201 in codes:
            status = 201
        else:
            status = 202
        if op is not None:
            headers.update(self.lro_headers(op, location=match.final_state_via == "location"
                                            or status == 202))
        if status == 202 and self._resource_schema(match, (202,)) is None:
            view = None
        return status, headers, view

    @staticmethod
    def _etag_header(resource):
        etag = resource.get("etag") if isinstance(resource, dict) else None
        return {"ETag": etag} if isinstance(etag, str) else {}

    # -- DELETE ----------------------------------------------------------------------------
    def _delete(self, match, request):
        rid = request.resource_id
        k = key_of(rid)
        existing = self.store.resources.get(k)
        codes = match.success_codes
        if existing is None:
            if 204 in codes:
                return 204, {}, None
            if self._is_rg(match):
                raise self._not_found(match, rid)
            return (200 if 200 in codes else 202), {}, None
        self._check_preconditions(request, existing)
        pending = self.store.meta.get(k, {}).get("pending")
        if pending and pending.get("kind") == "delete":       # already being deleted
            op = self.store.operations.get(pending["op"])
            if op is not None:
                return 202, self.lro_headers(op, location=True), None
        if not match.is_lro:
            self._delete_now(rid)
            return (200 if 200 in codes else 204), {}, None
        delay = self.ctx.lro_delay
        op = self.new_operation("delete", rid, match, request.api_version, delay=delay)
        if delay > 0:
            r = self.store.resources[k]
            schema = self._resource_schema(match) or self._get_schema_for(match, rid)
            state = self._state_value(schema, r, "Deleting") if schema is not None else (
                "Deleting" if "provisioningState" in (r.get("properties") or {}) else None)
            if state is not None and isinstance(r.get("properties"), dict):
                r["properties"]["provisioningState"] = state
            self.store.meta.setdefault(k, {})["pending"] = {"kind": "delete", "op": op["id"],
                                                            "due": op["due"]}
            self.store.save()
        else:
            self._complete(op, time.time())
            self._pending.discard(op["id"])
        status = 202 if 202 in codes else (200 if 200 in codes else 204)
        return status, self.lro_headers(op, location=True), None

    def _get_schema_for(self, match, rid):
        """The GET schema of the resource at rid (DELETE operations declare no body)."""
        path = rid
        m = self.index.match("GET", path, match.spec_api_version)
        return self._resource_schema(m, (200,)) if m is not None else None

    # -- strict responses ---------------------------------------------------------------------
    def _check_response(self, match, method, path, status, headers, body):
        if status >= 400 and match.response_schema("default") is None and \
                str(status) not in {str(c) for c in match.success_codes}:
            # Some specs (ACR 2023-07-01) declare no error response at all; ARM still answers
            # errors in its standard shape, which is all we can check here.
            ok = isinstance(body, dict) and isinstance(body.get("error"), dict) and \
                {"code", "message"} <= set(body["error"])
            if ok:
                return status, headers, body
        try:
            errors = match.validate_response(status, body)
        except Exception as e:   # a validator crash is an emulator bug too
            errors = [f"validator raised {e!r}"]
        if not errors:
            return status, headers, body
        lines = [str(e) for e in errors]
        with self._violations_lock:
            state_dir = self.config.get("state_dir")
            if state_dir:
                with open(f"{state_dir}/violations.log", "a", encoding="utf-8") as f:
                    f.write(json.dumps({"time": iso(), "operation": match.operation_id,
                                        "method": method, "path": path, "status": status,
                                        "errors": lines[:20], "body": body}) + "\n")
        log.error("response violates spec: %s %s -> %s: %s", method, path, status, lines[:3])
        return 500, {}, {"error": {
            "code": "EmulatorResponseInvalid",
            "message": f"The emulator produced a {status} response for {match.operation_id} "
                       f"that violates the spec: {lines[0]}",
            "details": [{"code": "ResponseViolation", "message": m} for m in lines[:20]]}}


# ============================================================================ built-ins
def _generic_resources_list(ctx, match, request):
    """Resources_ListByResourceGroup / Resources_List: GenericResourceExpanded items."""
    eng = ctx._engine
    scope = eng.canonical_id(match).rsplit("/", 1)[0]
    # top-level resources (.../providers/NS/type/name) are the direct children of their
    # resource group (or of the subscription): read through the store's parent index
    parents = [scope]
    if scope.strip("/").count("/") == 1:             # /subscriptions/{id}: every group
        parents += [g["id"] for g in ctx.store.children(scope, "Microsoft.Resources/resourceGroups")]
    rows = sorted((r for p in parents for r in ctx.store.children(p)),
                  key=lambda r: key_of(r.get("id", "")))
    items = []
    for r in rows:
        k = key_of(r.get("id", ""))
        if r.get("type", "").lower() == "microsoft.resources/resourcegroups":
            continue
        tail = k.split("/providers/", 1)[1].split("/") if k.count("/providers/") == 1 else []
        if len(tail) != 3:
            continue
        item = {f: r[f] for f in ("id", "name", "type", "location", "tags", "sku", "kind",
                                  "identity", "managedBy", "plan") if f in r}
        items.append(item)
    size = int(ctx.config.get("page_size") or 50)
    start = int(request.query.get("$skipToken") or 0)
    body = {"value": items[start:start + size]}
    if start + size < len(items):
        q = dict(request.query)
        q["$skipToken"] = str(start + size)
        body["nextLink"] = f"{ctx.arm_url}{request.path}?{urlencode(q, quote_via=quote)}"
    return 200, body, {}


BUILTIN_HANDLERS = {
    "Resources_ListByResourceGroup": _generic_resources_list,
    "Resources_List": _generic_resources_list,
}
