# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Tags, check mode and diff mode of a module that manages one tracked ARM resource
    # (plugins/module_utils/arm_plan.py, arm_runner.py).
    DOCUMENTATION = r'''
options:
  tags:
    description:
      - Tags of the resource. Leave unset to keep the current tags.
    type: dict
  purge_tags:
    description:
      - Remove tags that are not in O(tags). Ignored when O(tags) is unset.
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
'''
