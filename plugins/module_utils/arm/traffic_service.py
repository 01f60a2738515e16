# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SDK calls for Traffic Manager profiles and their endpoints (Microsoft.Network/trafficManagerProfiles
2022-04-01, azure-mgmt-trafficmanager): read as plain dicts, write one whole profile per change.

A profile is written with one PUT that carries all its endpoints (so that priorities can be swapped in one
step), built from the profile as Azure holds it: what the module does not manage (probe intervals, custom
headers, weights...) is sent back unchanged. Profiles and endpoints are synchronous in ARM (no LRO).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import build_resource_id, parse_resource_id

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # reported by the module through missing_required_lib
    ResourceNotFoundError = None

PROFILE_TYPE = "Microsoft.Network/trafficManagerProfiles"
ENDPOINT_TYPES = {"externalendpoints": "external", "azureendpoints": "azure", "nestedendpoints": "nested"}
EXTERNAL_TYPE = PROFILE_TYPE + "/externalEndpoints"
# server-side fields a request must not carry back
_READ_ONLY = (("properties", "dnsConfig", "fqdn"), ("properties", "monitorConfig", "profileMonitorStatus"))


def rest_dict(model):
    """The REST JSON of an SDK model: 1.x models are msrest (``serialize``), 2.x typespec (``as_dict``)."""
    if hasattr(model, "serialize"):
        return model.serialize(keep_readonly=True)
    return model.as_dict()


def _endpoint_kind(type_value):
    return ENDPOINT_TYPES.get(str(type_value or "").rsplit("/", 1)[-1].lower(), str(type_value or ""))


def endpoint_dict(rest):
    props = rest.get("properties") or {}
    return dict(name=rest.get("name"), type=_endpoint_kind(rest.get("type")), target=props.get("target"),
                priority=props.get("priority"), status=props.get("endpointStatus"),
                monitor_status=props.get("endpointMonitorStatus"))


def profile_dict(rest):
    """One profile as the module returns it (and the plan reads it)."""
    props = rest.get("properties") or {}
    dns, monitor = props.get("dnsConfig") or {}, props.get("monitorConfig") or {}
    protocol = monitor.get("protocol")
    endpoints = [endpoint_dict(e) for e in props.get("endpoints") or []]
    return dict(
        id=rest.get("id"), name=rest.get("name"),
        resource_group=parse_resource_id(rest["id"]).resource_group if rest.get("id") else None,
        relative_name=dns.get("relativeName"), fqdn=dns.get("fqdn"), ttl=dns.get("ttl"),
        routing_method=props.get("trafficRoutingMethod"),
        monitor=dict(protocol=protocol, port=monitor.get("port"), path=None if protocol == "TCP" else monitor.get("path")),
        profile_status=props.get("profileStatus"), profile_monitor_status=monitor.get("profileMonitorStatus"),
        endpoints=sorted(endpoints, key=lambda e: (e["priority"] is None, e["priority"] or 0, (e["name"] or "").lower())),
        tags=dict(rest.get("tags") or {}),
    )


def _absent_is_none(read):
    try:
        return read()
    except ResourceNotFoundError:
        return None


def _endpoint_body(endpoint):
    return {"name": endpoint["name"], "type": EXTERNAL_TYPE,
            "properties": {"target": endpoint["target"], "priority": endpoint["priority"],
                           "endpointStatus": endpoint["status"]}}


def _without_read_only(body):
    for path in _READ_ONLY:
        node = body
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    for endpoint in (body.get("properties") or {}).get("endpoints") or []:
        (endpoint.get("properties") or {}).pop("endpointMonitorStatus", None)
    return body


def _merge(rest, patch):
    """The PUT body: the profile as Azure holds it (``rest``) with ``patch`` applied."""
    body = _without_read_only(copy.deepcopy(rest))
    props = body.setdefault("properties", {})
    if "routing_method" in patch:
        props["trafficRoutingMethod"] = patch["routing_method"]
    if "ttl" in patch:
        props.setdefault("dnsConfig", {})["ttl"] = patch["ttl"]
    if "monitor" in patch:
        monitor = props.setdefault("monitorConfig", {})
        for field in ("protocol", "port", "path"):
            if patch["monitor"].get(field) is None:
                monitor.pop(field, None)
            else:
                monitor[field] = patch["monitor"][field]
    if "tags" in patch:
        body["tags"] = dict(patch["tags"])
    if "endpoints" in patch:
        held = dict((str(e.get("name")).lower(), e) for e in props.get("endpoints") or [])
        endpoints = []
        for endpoint in patch["endpoints"]:
            rest_endpoint = held.get(endpoint["name"].lower())
            if rest_endpoint is None:
                endpoints.append(_endpoint_body(endpoint))
                continue
            rest_endpoint.setdefault("properties", {}).update(target=endpoint["target"], priority=endpoint["priority"],
                                                              endpointStatus=endpoint["status"])
            endpoints.append(rest_endpoint)
        props["endpoints"] = endpoints
    return body


class Profiles(object):
    """The service object ``core.runner.ServiceResource`` drives (get/create/update/delete/resource_id)."""

    label = "Traffic Manager profile"
    resource_type = PROFILE_TYPE

    def resource_id(self, subscription, resource_group, name):
        # the ID as Traffic Manager answers it: its type segment in lower case
        return build_resource_id(subscription, resource_group, "Microsoft.Network/trafficmanagerprofiles", [name])

    @staticmethod
    def _raw(clients, resource_group, name):
        return _absent_is_none(lambda: rest_dict(clients.trafficmanager().profiles.get(resource_group, name)))

    def get(self, clients, resource_group, name):
        raw = self._raw(clients, resource_group, name)
        return None if raw is None else profile_dict(raw)

    def list(self, clients, resource_group=None):
        profiles = clients.trafficmanager().profiles
        found = profiles.list_by_resource_group(resource_group) if resource_group else profiles.list_by_subscription()
        return sorted((profile_dict(rest_dict(p)) for p in found), key=lambda p: (p["id"] or "").lower())

    def create(self, clients, resource_group, name, after, wait=True, wait_timeout=900):
        monitor = dict((k, v) for k, v in (("protocol", after["monitor"]["protocol"]), ("port", after["monitor"]["port"]),
                                           ("path", after["monitor"]["path"])) if v is not None)
        body = {"location": "global", "tags": dict(after.get("tags") or {}),
                "properties": {"profileStatus": "Enabled", "trafficRoutingMethod": after["routing_method"],
                               "dnsConfig": {"relativeName": after["relative_name"], "ttl": after["ttl"]},
                               "monitorConfig": monitor,
                               "endpoints": [_endpoint_body(e) for e in after["endpoints"]]}}
        return self._put(clients, resource_group, name, body)

    def update(self, clients, resource_group, name, patch, current, wait=True, wait_timeout=900):
        raw = self._raw(clients, resource_group, name)
        if raw is None:  # deleted since it was read: write it whole
            raise ResourceNotFoundError("Traffic Manager profile %s was deleted while it was being updated" % name)
        return self._put(clients, resource_group, name, _merge(raw, patch))

    @staticmethod
    def _put(clients, resource_group, name, body):
        return profile_dict(rest_dict(clients.trafficmanager().profiles.create_or_update(resource_group, name, body)))

    def delete(self, clients, resource_group, name, wait=True, wait_timeout=900):
        clients.trafficmanager().profiles.delete(resource_group, name)

    def relative_name_available(self, clients, relative_name):
        """False when another profile (anywhere in Azure) holds ``relative_name``.trafficmanager.net."""
        body = {"name": relative_name, "type": PROFILE_TYPE}
        answer = clients.trafficmanager().profiles.check_traffic_manager_relative_dns_name_availability(body)
        return bool(answer.name_available)
