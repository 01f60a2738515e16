# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The options most modules share (plugins/module_utils/core/module.py COMMON_OPTIONS and
# resource_argument_spec()), with check and diff mode. A module describes O(name) itself (each
# resource type has its own naming rules); Ansible merges what a module writes for an option over
# what is here, so a module also overrides a description that genuinely differs. Each variant is a
# plain string (ansible-test's yamllint reads fragments as literals, not expressions).


class ModuleDocFragment(object):

    # One resource in a resource group: name, resource_group, state, location, tags, purge_tags.
    DOCUMENTATION = r'''
options:
  name:
    description: Name of the resource.
    type: str
    required: true
  resource_group:
    description: Resource group of the resource. It must exist.
    type: str
    required: true
  state:
    description: Whether the resource should exist.
    type: str
    choices: [present, absent]
    default: present
  location:
    description: Azure region, for example C(eastus). Required to create the resource; cannot change.
    type: str
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

    # A resource group itself: the same options but resource_group.
    NO_RESOURCE_GROUP = r'''
options:
  name:
    description: Name of the resource.
    type: str
    required: true
  state:
    description: Whether the resource should exist.
    type: str
    choices: [present, absent]
    default: present
  location:
    description: Azure region, for example C(eastus). Required to create the resource; cannot change.
    type: str
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

    # A child of an Azure Machine Learning workspace: name, workspace, resource_group, state.
    IN_WORKSPACE = r'''
options:
  name:
    description: Name of the resource.
    type: str
    required: true
  workspace:
    description: Name of the Azure Machine Learning workspace. It must exist.
    type: str
    required: true
  resource_group:
    description: Resource group of the workspace.
    type: str
    required: true
  state:
    description: Whether the resource should exist.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
'''

    # workspace and resource_group alone (a module that reads a workspace's children).
    WORKSPACE = r'''
options:
  workspace:
    description: Name of the Azure Machine Learning workspace. It must exist.
    type: str
    required: true
  resource_group:
    description: Resource group of the workspace.
    type: str
    required: true
'''

    # tags and purge_tags alone.
    TAGS = r'''
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
'''

    # Full check and diff mode, for a module with options of its own.
    CHECK_AND_DIFF = r'''
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
'''

    # An _info module: it reads, so check mode is the same run; no diff.
    READ_ONLY = r'''
attributes:
  check_mode:
    description: Can run in check mode.
    support: full
    details: The module only reads.
  diff_mode:
    description: Does not return a diff.
    support: none
'''
