# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Bounded waiting for long-running operations (plugins/module_utils/module.py wait_argument_spec()).
    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait for long-running operations to finish before returning.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true). The module fails, naming what it waited for, when this
        runs out; the operation may still finish in Azure.
    type: int
    default: 900
'''
