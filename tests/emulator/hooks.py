"""Per-type server-side behaviour of the emulated resources: the dispatch the engine calls; the
behaviour itself is in ``emulator.providers`` (one module per resource provider).

``on_put(ctx, resource_type, resource_id, resource, existing)`` mutates ``resource`` in place
(server-side read-only fields: endpoints, keys, ids, timestamps) and refuses what Azure refuses
by raising ``ArmError(status, code, message)``. ``on_delete(ctx, resource_type, resource_id,
resource)`` cleans up side state (keys, Azurite accounts). ``pre_validate`` checks names before
the swagger validation (whose pattern errors would otherwise answer the generic
InvalidRequestContent where the provider gives its own code).

The engine strips readOnly fields from a PUT body, so every server field is recomputed on each
write, keeping the values that must stay stable (keys, creation times, generated ids) from
``existing``. Everything added must be in the spec's response schema (strict responses).
"""
import re

from .providers import (authorization, endpoints, insights, jobs, keyvault, ml, registry,
                        resources, storage, trafficmanager)
from .providers.common import type_key
# What emulator.actions uses (storage keys and Azurite, name checks for checkNameAvailability).
from .providers.common import new_key as _new_key  # noqa: F401 pylint: disable=unused-import
from .providers.keyvault import check_vault_name  # noqa: F401 pylint: disable=unused-import
from .providers.registry import check_registry_name  # noqa: F401 pylint: disable=unused-import
from .providers.storage import (SA_TYPE, check_storage_name,  # noqa: F401 pylint: disable=unused-import
                                storage_keys, sync_azurite)

_PROVIDERS = (storage, keyvault, registry, insights, ml, authorization, resources,
              endpoints, jobs, trafficmanager)
_PUT = {t: fn for mod in _PROVIDERS for t, fn in mod.PUT.items()}
_DELETE = {t: fn for mod in _PROVIDERS for t, fn in getattr(mod, "DELETE", {}).items()}
_NAME_CHECKS = {t: fn for mod in _PROVIDERS for t, fn in getattr(mod, "NAME_CHECKS", {}).items()}
# DELETE_CHECKS {type: fn(ctx, rid)}: refusals of a DELETE request (before anything changes);
# LIST_FILTERS {type: fn(ctx, query, items)}: list filters the engine does not know;
# LRO_DELAYS {type: fn(ctx, default)}: seconds a create/update of that type takes.
_DELETE_CHECKS = {t: fn for mod in _PROVIDERS for t, fn in getattr(mod, "DELETE_CHECKS", {}).items()}
_LIST_FILTERS = {t: fn for mod in _PROVIDERS for t, fn in getattr(mod, "LIST_FILTERS", {}).items()}
_LRO_DELAYS = {t: fn for mod in _PROVIDERS for t, fn in getattr(mod, "LRO_DELAYS", {}).items()}


def pre_validate(ctx, match, method, path_params, body):
    if method == "DELETE":
        check = _DELETE_CHECKS.get(type_key(match.resource_type))
        if check is not None:
            check(ctx, ctx._engine.canonical_id(match))  # pylint: disable=protected-access
        return
    if method != "PUT":
        return
    ml.coerce_property_bag(type_key(match.resource_type), body)
    check = _NAME_CHECKS.get(type_key(match.resource_type))
    if check is not None:
        last = re.findall(r"\{([^}]+)\}", match.path_template)
        check(path_params.get(last[-1], "") if last else "")


def on_put(ctx, resource_type, resource_id, resource, existing):
    t = type_key(resource_type)
    fn = _PUT.get(t) or ml.asset_put_hook(t)
    return fn(ctx, resource_id, resource, existing) if fn is not None else None


def on_delete(ctx, resource_type, resource_id, resource):
    t = type_key(resource_type)
    fn = _DELETE.get(t) or ml.asset_delete_hook(t)
    return fn(ctx, resource_id, resource) if fn is not None else None


def filter_list(ctx, match, query, items):
    fn = _LIST_FILTERS.get(type_key(match.resource_type))
    return fn(ctx, query, items) if fn is not None else items


def lro_delay(ctx, resource_type, default):
    fn = _LRO_DELAYS.get(type_key(resource_type))
    return fn(ctx, default) if fn is not None else default
