"""Action handlers: ``OPERATION_HANDLERS[operationId](ctx, match, request) -> (status, body, headers)``.

POST actions and the few GETs the generic engine cannot serve from stored resources (keys,
secrets, name availability, usages/quotas, VM sizes, importImage ...). Bodies follow the specs
(the engine validates responses strictly). Errors are ``ArmError``s.
"""
from .errors import ArmError, not_found
from .store import key_of
from . import hooks


def _resource_or_404(ctx, request, rtype, label=None):
    r = ctx.store.get(request.resource_id)
    if r is None:
        rg = request.path_params.get("resourceGroupName")
        raise not_found(label or rtype, request.resource_id.rstrip("/").rsplit("/", 1)[-1], rg)
    return r


# ============================================================================ storage
def _storage_keys_body(rec):
    return {"keys": [{"keyName": k, "value": rec[k], "permissions": "FULL",
                      "creationTime": rec.get(k + "Time")} for k in ("key1", "key2")]}


def _storage_rec(ctx, request):
    r = _resource_or_404(ctx, request, "Microsoft.Storage/storageAccounts")
    rec = hooks.storage_keys(ctx).get(r["name"])
    if not isinstance(rec, dict):
        raise ArmError(409, "StorageAccountIsNotProvisioned",
                       f"The storage account provisioning state must be 'Succeeded' before "
                       f"executing the operation.")
    return r, rec


def storage_list_keys(ctx, match, request):
    _, rec = _storage_rec(ctx, request)
    return 200, _storage_keys_body(rec), {}


def storage_regenerate_key(ctx, match, request):
    r, rec = _storage_rec(ctx, request)
    key_name = ((request.body or {}).get("keyName") or "").lower()
    if key_name not in ("key1", "key2"):
        raise ArmError(400, "InvalidValuesForRequestParameters",
                       "Values for request parameters are invalid: keyName.")
    with ctx.store.lock:
        rec[key_name] = hooks._new_key()
        rec[key_name + "Time"] = ctx.iso()
        stored = ctx.store.resources.get(key_of(r["id"]))
        if stored is not None:
            kct = stored.setdefault("properties", {}).setdefault("keyCreationTime", {})
            kct[key_name] = rec[key_name + "Time"]
        ctx.store.save()
    hooks.sync_azurite(ctx)
    return 200, _storage_keys_body(rec), {}


def storage_check_name(ctx, match, request):
    name = (request.body or {}).get("name") or ""
    try:
        hooks.check_storage_name(name)
    except ArmError as e:
        return 200, {"nameAvailable": False, "reason": "AccountNameInvalid",
                     "message": e.message}, {}
    if any(r.get("name", "").lower() == name.lower() for r in ctx.store.find(hooks.SA_TYPE)):
        return 200, {"nameAvailable": False, "reason": "AlreadyExists",
                     "message": f"The storage account named {name} is already taken."}, {}
    return 200, {"nameAvailable": True}, {}


OPERATION_HANDLERS = {
    "StorageAccounts_ListKeys": storage_list_keys,
    "StorageAccounts_RegenerateKey": storage_regenerate_key,
    "StorageAccounts_CheckNameAvailability": storage_check_name,
}
