# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter that turns a DR pair's ``traffic_manager`` key into traffic_manager_profile arguments for one active
side (the rule is arm/traffic_plan.py's ``endpoint_statuses``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.module_utils.arm import traffic_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.pair import layout as pair_layout


def _is_layout(value):
    return isinstance(value.get("regions"), dict) and isinstance(value.get("shared"), dict)


def dr_traffic_manager_profiles(pair, active="primary"):
    """``pair``: the pair (bcdr_pair), or its dr_pair_layout when that carries ``traffic_manager`` (and ``modes``).
    ``active``: the active side (``primary``/``secondary``, or the active_workspace lookup's answer). Returns the
    amlops.bcdr.traffic_manager_profile arguments of each profile ([] without ``traffic_manager``)."""
    if not isinstance(pair, dict):
        raise AnsibleFilterError("dr_traffic_manager_profiles expects a dict (the pair), got %s" % type(pair).__name__)
    if isinstance(active, dict):  # the active_workspace lookup's answer
        active = active.get("role")
    if _is_layout(pair):
        if "traffic_manager" not in pair:
            raise AnsibleFilterError("dr_traffic_manager_profiles: this pair layout has no traffic_manager key; "
                                     "pass the pair (bcdr_pair) instead")
        layout, source = pair, pair
    else:
        layout, source = pair_layout.dr_pair_layout(pair), pair
    errors = traffic_plan.pair_traffic_manager_errors(source, layout)
    if errors:
        raise AnsibleFilterError("dr_traffic_manager_profiles: %s" % "; ".join(errors))
    mode = (source.get("modes") or {}).get("inference") or "hot/hot"
    locations = dict((role, layout["regions"][role]["location"]) for role in traffic_plan.ROLES)
    try:
        return traffic_plan.traffic_manager_profiles(layout["pair"], locations, layout["shared"]["resource_group"],
                                                     source.get("traffic_manager"), mode, active,
                                                     tags=layout["shared"].get("tags"))
    except ValueError as exc:
        raise AnsibleFilterError("dr_traffic_manager_profiles: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"dr_traffic_manager_profiles": dr_traffic_manager_profiles}
