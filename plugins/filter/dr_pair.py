# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the provision role uses to check a DR pair's input and lay out its resources."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.module_utils.pair.layout import layout_errors, pair_errors, pair_layout, pair_settings


def dr_pair_errors(pair, known_regions):
    """``pair``: dict with name, primary_region, secondary_region and optionally modes, compute_clusters,
    training_storage_sku. Returns a list of messages, empty when the input is good."""
    if not isinstance(pair, dict):
        raise AnsibleFilterError("dr_pair_errors expects a dict, got %s" % type(pair).__name__)
    errors = pair_errors(pair.get("name"), pair.get("primary_region"), pair.get("secondary_region"), known_regions,
                         modes=pair.get("modes"), clusters=pair.get("compute_clusters"),
                         training_storage_sku=pair.get("training_storage_sku"))
    if not errors:
        errors = layout_errors(dr_pair_layout(pair))
    return errors


def dr_pair_layout(pair):
    """Names, regions, tags and clusters of every resource of the pair."""
    if not isinstance(pair, dict):
        raise AnsibleFilterError("dr_pair_layout expects a dict, got %s" % type(pair).__name__)
    layout = pair_layout(pair.get("name"), pair.get("primary_region"), pair.get("secondary_region"),
                         names=pair.get("names"), modes=pair.get("modes"), clusters=pair.get("compute_clusters"),
                         tags=pair.get("tags"))
    layout["settings"] = pair_settings(pair)
    layout["existing"] = dict(pair.get("existing") or {})
    layout["role_assignments"] = list(pair.get("role_assignments") or [])
    return layout


class FilterModule(object):
    def filters(self):
        return {"dr_pair_errors": dr_pair_errors, "dr_pair_layout": dr_pair_layout}
