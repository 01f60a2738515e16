# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure quota arithmetic for AmlCompute clusters in one region.

Given the region's ML usages (``Usages_List``), its VM size table (``VirtualMachineSizes_List``),
the clusters a play wants and the clusters that already exist, say which quotas are short:

- every VM family quota ("Standard DSv2 Family Cluster Dedicated vCPUs") must hold the
  dedicated clusters of that family at their maximum size (``max_nodes`` x the size's vCPUs);
- so must the regional total of dedicated vCPUs ("Total Cluster Dedicated Regional vCPUs") and,
  when Azure reports one, the regional total of low-priority vCPUs.

Azure counts the cores of allocated nodes in a usage's ``current``; a requested cluster that
already exists holds ``current_node_count`` x vCPUs of it, which is given back before comparing,
so that running the provision playbook again does not count its own clusters twice.

No SDK and no I/O here; unit-tested on plain data.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.compute_plan import input_errors as compute_errors

DEDICATED_SUFFIX = "clusterdedicatedvcpus"
TOTAL_DEDICATED = "Total Cluster Dedicated Regional vCPUs"


class QuotaPlanError(ValueError):
    """Input the quota check cannot work with (e.g. a VM size the region does not offer)."""


def _key(text):
    """Lower case, letters and digits only: 'Standard DSv2 Family' == 'standardDSv2Family'."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def usage_family(name, usage_id=None):
    """The VM family a usage is about, in the VM size table's spelling, or None for other usages.

    'Standard DSv2 Family Cluster Dedicated vCPUs' (or an ID ending in
    'Standard_DSv2_Family_Cluster_Dedicated_vCPUs') -> 'standardDSv2Family'.
    """
    for text in (name, (usage_id or "").rstrip("/").rsplit("/", 1)[-1]):
        words = [w for w in re.split(r"[\s_]+", text or "") if w]
        if len(words) > 4 and _key("".join(words[-4:])) == "family" + DEDICATED_SUFFIX:
            family = words[:-3]
            return family[0].lower() + "".join(family[1:])
        if len(words) == 1 and words[0].lower().endswith("family"):
            return words[0]
    return None


def _is_total_dedicated(usage):
    return _key(usage.get("name")) == _key(TOTAL_DEDICATED)


def _is_total_low_priority(usage):
    key = _key(usage.get("name"))
    return "lowpriority" in key and ("total" in key or "regional" in key) and usage.get("family") is None


def _size_table(vm_sizes):
    return dict((_key(s.get("name")), s) for s in vm_sizes or [])


def _same_cluster(requested, existing):
    if _key(requested.get("name")) != _key(existing.get("name")):
        return False
    want_ws = requested.get("workspace")
    return not want_ws or not existing.get("workspace") or _key(want_ws) == _key(existing.get("workspace"))


def _describe(cluster, size):
    return "%s (%s x %s, %s vCPUs)" % (cluster["name"], cluster["max_nodes"], size["name"], size["vcpus"])


def shortfall_message(shortfall):
    """One line for a failed assert: what is short, by how much, for which clusters."""
    return "%s: %s needs %s cores for %s; %s of %s available" % (
        shortfall["region"], shortfall["family"], shortfall["needed"],
        ", ".join(shortfall["descriptions"]), shortfall["available"], shortfall["limit"])


def plan_quota(region, usages, vm_sizes, clusters, existing=None):
    """The shortfalls in ``region`` (an empty list when the requested clusters fit).

    ``usages``: [{name, family (None unless a VM family quota), current, limit, unit}] for the
    region (not per workspace). ``vm_sizes``: [{name, family, vcpus}]. ``clusters``: the requested
    [{name, vm_size, max_nodes, vm_priority?, workspace?}]. ``existing``: clusters in the region
    [{name, workspace?, vm_size, vm_priority?, current_node_count}].

    Each shortfall: region, family, needed, available, limit, current, clusters (names), and
    shortfall_message.
    """
    sizes = _size_table(vm_sizes)
    existing = existing or []
    by_family = dict((_key(u["family"]), u) for u in usages if u.get("family"))
    total_dedicated = [u for u in usages if _is_total_dedicated(u)]
    total_low = [u for u in usages if _is_total_low_priority(u)]

    # bucket -> [usage or None, needed, held, [(cluster, size)]]
    buckets = {}

    def add(bucket_key, usage, family_label, cluster, size, held):
        entry = buckets.setdefault(bucket_key, dict(usage=usage, family=family_label, needed=0, held=0, items=[]))
        entry["needed"] += cluster["max_nodes"] * size["vcpus"]
        entry["held"] += held
        entry["items"].append((cluster, size))

    for index, cluster in enumerate(clusters or []):
        size = sizes.get(_key(cluster.get("vm_size")))
        if size is None:
            raise QuotaPlanError("clusters[%d].vm_size: '%s' is not offered for AmlCompute in %s"
                                 % (index, cluster.get("vm_size"), region))
        low = (cluster.get("vm_priority") or "Dedicated").lower() == "lowpriority"
        held = 0
        for other in existing:
            if not _same_cluster(cluster, other):
                continue
            other_size = sizes.get(_key(other.get("vm_size")))
            other_low = (other.get("vm_priority") or "Dedicated").lower() == "lowpriority"
            if other_size is not None and other_low == low and _key(other_size.get("family")) == _key(size.get("family")):
                held += int(other.get("current_node_count") or 0) * other_size["vcpus"]
        if low:
            for usage in total_low:
                add("low:" + _key(usage["name"]), usage, usage["name"], cluster, size, held)
            continue
        family = size.get("family")
        add("family:" + _key(family), by_family.get(_key(family)), family, cluster, size, held)
        for usage in total_dedicated:
            add("total:" + _key(usage["name"]), usage, usage["name"], cluster, size, held)

    shortfalls = []
    for key in sorted(buckets):
        entry = buckets[key]
        usage = entry["usage"] or dict(current=0, limit=0)  # no quota reported for the family: none granted
        current, limit = int(usage.get("current") or 0), int(usage.get("limit") or 0)
        available = max(0, limit - current + entry["held"])
        if entry["needed"] <= available:
            continue
        shortfall = dict(
            region=region, family=entry["family"], needed=entry["needed"], available=available,
            limit=limit, current=current, clusters=[c["name"] for c, _s in entry["items"]],
            descriptions=[_describe(c, s) for c, s in entry["items"]],
        )
        shortfall["shortfall_message"] = shortfall_message(shortfall)
        del shortfall["descriptions"]
        shortfalls.append(shortfall)
    return shortfalls


def input_errors(params):
    """Everything wrong with the aml_quota_info module's options, one line each naming the option
    ([] when good): the clusters are checked as aml_compute checks them."""
    errors = []
    location = params.get("location")
    if not isinstance(location, str) or not re.match(r"^[A-Za-z0-9 ]+$", location):
        errors.append("location: '%s' is not an Azure region name (letters and digits, like eastus)" % (location,))
    for index, cluster in enumerate(params.get("clusters") or []):
        label = "clusters[%d]." % index
        found = compute_errors(dict((k, cluster.get(k)) for k in ("name", "max_nodes", "vm_priority")))
        errors += [label + e for e in found]
    return errors
