"""Helpers every provider module shares: ids, names, properties, regions, keys."""
import base64
import os

from .. import regions


def type_key(resource_type):
    return (resource_type or "").lower()


def name_of(resource_id):
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def same_id(a, b):
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


def resource_group(resource_id):
    segs = resource_id.strip("/").split("/")
    for i, s in enumerate(segs[:-1]):
        if s.lower() == "resourcegroups":
            return segs[i + 1]
    return None


def props(resource):
    """resource["properties"], created when missing (hooks write server fields into it)."""
    p = resource.get("properties")
    if not isinstance(p, dict):
        p = resource["properties"] = {}
    return p


def old_props(existing):
    """The stored resource's properties ({} on a create)."""
    return ((existing or {}).get("properties") or {}) if isinstance(existing, dict) else {}


def region(resource, existing=None):
    """The resource's location as an ARM region name ('West US 2' -> 'westus2')."""
    return regions.normalize(resource.get("location") or (existing or {}).get("location"))


def new_key():
    return base64.b64encode(os.urandom(64)).decode()


def others_named(ctx, resource_type, name, resource_id):
    """Resources of a globally-named type with this name anywhere in the emulator, other than
    resource_id itself."""
    return [r for r in ctx.store.find(resource_type)
            if str(r.get("name", "")).lower() == name.lower() and not same_id(r.get("id"), resource_id)]
