# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The options the copy modules (aml_*_copy) share word for word (ml/asset_sync.py copy_argument_spec()
# and aml_datastore_copy's own spec). An option whose meaning differs per kind (names, full_scan, and
# versions or wait_timeout where the wording differs) stays in the module.


class ModuleDocFragment(object):

    # Every copy module: the source and target workspaces.
    DOCUMENTATION = r'''
options:
  source_workspace:
    description: Name of the workspace to copy from.
    type: str
    required: true
  source_resource_group:
    description: Resource group of the source workspace.
    type: str
    required: true
  target_workspace:
    description: Name of the workspace to copy to. Must differ from the source workspace.
    type: str
    required: true
  target_resource_group:
    description: Resource group of the target workspace.
    type: str
    required: true
'''

    # A copy of versioned assets (models, environments, data, components): tags and parallelism.
    VERSIONED = r'''
options:
  tags:
    description: Copy only versions that carry all these tags with these values.
    type: dict
  parallelism:
    description:
      - How many versions are copied at the same time (1 to 32); the containers to compare are read as many at a time.
      - Against the emulator on 2 cores, a first sync of 300 versions took 8.5 s at 4, 7.6 s at 8 and 7.2 s at 16;
        8 gets most of that gain without doubling the requests in flight against the ARM and storage limits.
    type: int
    default: 8
'''

    # versions, for the kinds that describe it in the short form (data, components).
    VERSIONS = r'''
options:
  versions:
    description: Versions to copy, each a version, C(latest), or a comparison with a whole number (C(>=3)).
    type: list
    elements: str
'''

    # wait_timeout, for the kinds that copy files (models, data, components).
    FILES = r'''
options:
  wait_timeout:
    description: How long to wait, in seconds, for the server-side copy of one file.
    type: int
    default: 900
'''
