# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the provision role uses to check a DR pair's input and lay out its resources."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import layout


def dr_pair_errors(pair, known_regions, wait_timeout=None):
    """``pair``: the role's ``provision_pair``. Returns a list of messages, each naming the pair's key
    (``compute_clusters[0].idle_seconds: ...``), empty when the input is good. ``wait_timeout``: the
    role's ``provision_wait_timeout``, checked too."""
    return layout.dr_pair_errors(pair, known_regions, wait_timeout=wait_timeout)


def dr_pair_layout(pair, active=None):
    """Names, regions, tags and clusters of every resource of the pair; ``active``: the region role active
    now (default primary): its clusters run as asked, the standby's per the mode."""
    if not isinstance(pair, dict):
        raise AnsibleFilterError("dr_pair_layout expects a dict, got %s" % type(pair).__name__)
    try:
        return layout.dr_pair_layout(pair, active=active or None)
    except ValueError as exc:
        raise AnsibleFilterError("dr_pair_layout: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"dr_pair_errors": dr_pair_errors, "dr_pair_layout": dr_pair_layout}
