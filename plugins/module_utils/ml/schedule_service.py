# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML SDK calls for schedules (list, get, create or update, disable; api-version 2024-04-01). Plain dicts
out, no SDK model leaves: ``trigger`` and ``action`` are the REST dicts, and a schedule is written back as
JSON (nothing lost to the models).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json

from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_for_lro

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # reported by the module through the client factory
    ResourceNotFoundError = None

POLLING_INTERVAL = 1  # seconds between polls of a schedule write (the service answers within seconds)


def schedule_to_dict(schedule):
    """The aml_schedule_info shape of a Schedule."""
    raw = schedule.serialize(keep_readonly=True)
    p = dict(raw.get("properties") or {})
    return dict(
        name=schedule.name,
        id=schedule.id,
        is_enabled=p.get("isEnabled", True),
        display_name=p.get("displayName"),
        trigger=p.get("trigger"),
        action=p.get("action"),
        description=p.get("description"),
        tags=dict(p.get("tags") or {}),
        properties=dict(p.get("properties") or {}),
        provisioning_state=p.get("provisioningState"),
    )


def list_schedules(clients, group, workspace, enabled_only=False):
    """The workspace's schedules (all of them unless ``enabled_only``: the service lists only the enabled
    ones when not told otherwise), sorted by name."""
    view = "EnabledOnly" if enabled_only else "All"
    found = [schedule_to_dict(s) for s in clients.ml().schedules.list(group, workspace, list_view_type=view)]
    return sorted(found, key=lambda s: s["name"] or "")


def get_schedule(clients, group, workspace, name):
    try:
        return schedule_to_dict(clients.ml().schedules.get(group, workspace, name))
    except ResourceNotFoundError:
        return None


def put_schedule(clients, group, workspace, name, properties, timeout):
    """Create or replace the schedule ``name`` with these REST properties, waiting at most ``timeout``
    seconds; -> the schedule as the service answered."""
    body = io.BytesIO(json.dumps(dict(properties=properties)).encode("utf-8"))
    poller = clients.ml().schedules.begin_create_or_update(group, workspace, name, body,
                                                           content_type="application/json",
                                                           polling_interval=POLLING_INTERVAL)
    done = wait_for_lro(poller, timeout, "schedule %s in workspace %s" % (name, workspace))
    return schedule_to_dict(done) if done is not None else None
