# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: active_workspace
short_description: The active Azure Machine Learning workspace of a DR pair
version_added: 0.1.0
description:
  - Reads the state tags (C(amlops.bcdr.state.*)) of both workspaces of a DR pair and returns the active
    one - the claim with the highest epoch wins; with no marker anywhere the primary is active at epoch 0.
  - Both workspaces are read at the same time, each bounded by O(timeout) with O(retries) retries, so a
    region that is down (erroring or hanging) costs a few seconds, not minutes. When only one workspace
    answers, the result is that side's claim with C(partial=true) and the silent side named in
    C(unreachable).
  - A workspace that answers with an older epoch than the winner (for example a primary that came back
    after a failover still believing it is active) is listed in C(stale) - it is fenced - never use it as a
    sync source.
  - Credentials as for the modules - the O(subscription_id), O(client_id), O(secret), O(tenant)... options,
    else the C(AZURE_*) environment variables (as AWX's Azure credential injects them), a profile in
    C(~/.azure/credentials), or the Azure CLI.
options:
  _terms:
    description:
      - One or more pairs. Each is either the pair's inventory dict (C(bcdr_pair) - C(name),
        C(primary_region), C(secondary_region), optional C(names) - the workspace names and resource groups
        are those the provision role makes), or a dict with C(primary) and C(secondary), each
        C({workspace, resource_group, subscription_id}) (C(subscription_id) optional).
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds allowed for each request to a workspace (to connect, and to read the answer).
    type: int
    default: 10
  retries:
    description: Retries of a request that timed out or got a transient error.
    type: int
    default: 1
  ignore_invalid:
    description:
      - A workspace whose state tags are malformed fails the lookup (naming the tag) unless this is true, in which
        case that workspace counts as carrying no marker.
    type: bool
    default: false
  auth_source:
    description: Where the credentials come from (see the modules' O(auth_source)).
    type: str
    choices: [auto, cli, credential_file, env, msi]
  profile:
    description: Profile in C(~/.azure/credentials).
    type: str
  subscription_id:
    description: Subscription of the workspaces that do not name their own. Default E(AZURE_SUBSCRIPTION_ID).
    type: str
  client_id:
    description: Service principal client ID. Default E(AZURE_CLIENT_ID).
    type: str
  secret:
    description: Service principal secret. Default E(AZURE_SECRET).
    type: str
  tenant:
    description: Tenant ID. Default E(AZURE_TENANT).
    type: str
  ad_user:
    description: User name. Default E(AZURE_AD_USER).
    type: str
  password:
    description: User password. Default E(AZURE_PASSWORD).
    type: str
  cloud_environment:
    description: Cloud name or ARM metadata URL. Default E(AZURE_CLOUD_ENVIRONMENT), else C(AzureCloud).
    type: str
  cert_validation_mode:
    description: C(validate) or C(ignore) TLS certificates.
    type: str
    choices: [validate, ignore]
notes:
  - A partial answer is a best guess - the side that did not answer may hold a newer claim. Callers that must not
    act on a guess (the sync) check C(partial).
seealso:
  - module: amlops.bcdr.aml_dr_state
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Where do clients go now?
  ansible.builtin.set_fact:
    active: "{{ lookup('amlops.bcdr.active_workspace', bcdr_pair, timeout=5) }}"

- name: Write config.json for MLClient.from_config() / Workspace.from_config()
  ansible.builtin.copy:
    dest: /srv/ml/config.json
    content: "{{ active.config | to_nice_json }}"
    mode: "0644"

- name: An explicit pair, in two subscriptions
  ansible.builtin.debug:
    msg: >-
      {{ lookup('amlops.bcdr.active_workspace',
                {'primary': {'workspace': 'mlw-a', 'resource_group': 'rg-a', 'subscription_id': sub_a},
                 'secondary': {'workspace': 'mlw-b', 'resource_group': 'rg-b', 'subscription_id': sub_b}}) }}
"""

RETURN = r"""
_raw:
  description: One dict per pair given.
  type: list
  elements: dict
  contains:
    role:
      description: The active region role.
      type: str
      sample: secondary
    subscription_id:
      description: Subscription of the active workspace.
      type: str
    resource_group:
      description: Resource group of the active workspace.
      type: str
      sample: rg-fraud-westus
    workspace_name:
      description: Name of the active workspace.
      type: str
      sample: mlw-fraud-westus
    epoch:
      description: The winning epoch (0 when no switch was ever recorded).
      type: int
      sample: 2
    partial:
      description: True when only one workspace answered.
      type: bool
    unreachable:
      description: The workspaces that did not answer, role -> reason.
      type: dict
      sample: {"primary": "reading workspace mlw-fraud-eastus failed: no valid response from Azure in region eastus"}
    stale:
      description: Roles of the workspaces that answered with an older (or conflicting) claim - fenced.
      type: list
      elements: str
      sample: ["primary"]
    conflict:
      description: Both workspaces claim the winning epoch for different regions (the next switch resolves it).
      type: bool
    message:
      description: One line saying who is active and why.
      type: str
      sample: "secondary is active at epoch 2; primary is stale (claims primary at epoch 1; fenced until demoted)"
    config:
      description: The config.json content for C(MLClient.from_config()) and SDK v1 C(Workspace.from_config()).
      type: dict
      sample: {"subscription_id": "xxx", "resource_group": "rg-fraud-westus", "workspace_name": "mlw-fraud-westus"}
    sides:
      description: Per role, what that workspace answered (its state, C(reachable)) and where it is.
      type: dict
    resolution:
      description:
        - The whole resolution (C(resolve_active) in C(pair/dr_state.py)), as the failover plan takes it.
      type: dict
    seconds:
      description: Time the lookup took for this pair.
      type: float
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.amlops.bcdr.plugins.module_utils.core.auth import resolve_auth
from ansible_collections.amlops.bcdr.plugins.module_utils.core.clients import best_effort_clients
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds
from ansible_collections.amlops.bcdr.plugins.module_utils.pair.failover_plan import config_json

AUTH_OPTIONS = ("auth_source", "profile", "subscription_id", "client_id", "secret", "tenant", "ad_user", "password",
                "cloud_environment", "cert_validation_mode")


def pair_workspaces(term, default_subscription):
    """{role: {subscription_id, resource_group, name}} of a pair given as an inventory dict or explicitly."""
    if not isinstance(term, dict):
        raise AnsibleLookupError("active_workspace: each term must be a dict (the pair), got %s" % type(term).__name__)
    if isinstance(term.get("primary"), dict) or isinstance(term.get("secondary"), dict):
        out = {}
        for role in ds.ROLES:
            side = term.get(role)
            if not isinstance(side, dict) or not side.get("workspace") or not side.get("resource_group"):
                raise AnsibleLookupError("active_workspace: %s: must be a dict with workspace and resource_group "
                                         "(and optionally subscription_id)" % role)
            out[role] = dict(subscription_id=side.get("subscription_id") or default_subscription,
                             resource_group=side["resource_group"], name=side["workspace"])
        return out
    from ansible_collections.amlops.bcdr.plugins.module_utils.pair.layout import dr_pair_layout
    if not term.get("name") or not term.get("primary_region") or not term.get("secondary_region"):
        raise AnsibleLookupError("active_workspace: the pair needs name, primary_region and secondary_region (the "
                                 "bcdr_pair of the inventory), or primary and secondary dicts")
    regions = dr_pair_layout(term)["regions"]
    return dict((role, dict(subscription_id=term.get("subscription_id") or default_subscription,
                            resource_group=regions[role]["resource_group"], name=regions[role]["workspace"]))
                for role in ds.ROLES)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        params = dict((name, self.get_option(name)) for name in AUTH_OPTIONS)
        # the secret may come from the environment (AWX injects AZURE_SECRET): scrub it from messages too
        secrets = [v for v in (params.get("secret"), params.get("password"), os.environ.get("AZURE_SECRET"),
                               os.environ.get("AZURE_PASSWORD")) if v]
        try:
            auth = resolve_auth(params)
        except AzureOperationError as exc:
            raise AnsibleLookupError("active_workspace: %s" % scrub(str(exc), secrets=secrets))
        timeout, retries = self.get_option("timeout"), self.get_option("retries")
        if timeout <= 0 or retries < 0:
            raise AnsibleLookupError("active_workspace: timeout must be positive and retries not negative")
        return [self._resolve(term, auth, timeout, retries, secrets) for term in terms]

    def _resolve(self, term, auth, timeout, retries, secrets):
        started = time.monotonic()
        workspaces = pair_workspaces(term, auth.subscription_id)

        def read(role):
            ws = workspaces[role]
            clients = best_effort_clients(auth, timeout, retries, subscription_id=ws["subscription_id"])
            # Imported here: the SDK is only needed once a pair is read.
            from ansible_collections.amlops.bcdr.plugins.module_utils.ml.workspace_service import (
                get_workspace_best_effort,
            )
            found, reason = get_workspace_best_effort(clients, ws["resource_group"], ws["name"])
            return found, scrub(reason, secrets=secrets) if reason else None

        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                answers = dict(zip(ds.ROLES, pool.map(read, ds.ROLES)))
        except AzureOperationError as exc:  # sign-in or permissions: not an outage, the same in both regions
            raise AnsibleLookupError("active_workspace: %s" % scrub(str(exc), secrets=secrets))
        unreachable = dict((role, reason) for role, (_ws, reason) in answers.items() if reason)
        tags = dict((role, ws["tags"] if ws is not None else None) for role, (ws, _reason) in answers.items())
        try:
            res = ds.resolve_active(tags["primary"], tags["secondary"], unreachable=unreachable,
                                    ignore_invalid=self.get_option("ignore_invalid"))
        except ds.StateError as exc:
            raise AnsibleLookupError("active_workspace: %s" % exc)
        active = workspaces[res["active"]]
        sides = {}
        for role in ds.ROLES:
            side = dict(res["sides"][role], **workspaces[role])
            side.pop("errors", None)
            if answers[role][0] is not None:
                side["provisioning_state"] = answers[role][0].get("provisioning_state")
                side["location"] = answers[role][0].get("location")
            sides[role] = side
        return dict(role=res["active"], subscription_id=active["subscription_id"],
                    resource_group=active["resource_group"], workspace_name=active["name"], epoch=res["epoch"],
                    switched_at=res["switched_at"], partial=res["partial"], unreachable=res["unreachable"],
                    stale=res["stale"], conflict=res["conflict"], invalid=res["invalid"], message=res["message"],
                    config=config_json(active), sides=sides, resolution=res,
                    seconds=round(time.monotonic() - started, 3))
