# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The per-request bounds of the copy modules (core/runner.py request_argument_spec(), applied by
    # run_collection to every SDK client of the run: ARM and blob data plane).
    DOCUMENTATION = r'''
options:
  timeout:
    description:
      - Seconds allowed for each request to Azure, to connect and again to read the answer (ARM and storage
        calls alike; a server-side blob copy is one short request, then polled).
      - With O(retries), bounds how long a region that stops answering holds the module - about
        (O(retries) + 1) x O(timeout) seconds plus a few seconds of backoff for the call that hangs - instead
        of the SDK defaults (300 seconds per read, several tries).
    type: int
    default: 60
  retries:
    description:
      - Retries of a request that timed out, could not connect or got a transient answer (429, 5xx), 0 to 10.
        A C(Retry-After) from Azure is honoured.
    type: int
    default: 4
'''
