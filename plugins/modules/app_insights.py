#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: app_insights
short_description: Create, update, adopt or delete an Application Insights component
version_added: 0.1.0
description:
  - Manages one Application Insights component, for example the one of each region's workspace in a DR pair.
  - An existing component is adopted as it is; when it already matches the options, the module reports no change.
    Properties the module does not manage are kept when it updates a component.
  - Idempotent; supports check mode and C(--diff). O(location), O(kind) and O(application_type) are fixed when
    the component is created; asking for a different value fails before any change.
  - The returned C(instrumentation_key), C(app_id) and C(connection_string) identify the component to telemetry
    clients; they are not credentials (they grant no read access to the data) and are returned as they are.
    C(--diff) output masks them anyway.
  - Calls Microsoft.Insights api-version 2020-02-02.
options:
  name:
    description:
      - Name of the component, 1 to 260 characters without C(%), C(&), C(\\), C(?), C(/) or control
        characters, not ending with C(.) or a space. Checked before any call to Azure.
  application_type:
    description: Type of application monitored. C(web) when creating and unset; cannot change.
    type: str
    choices: [web, other]
  kind:
    description: Kind of application. C(web) when creating and unset; cannot change.
    type: str
    choices: [web, ios, other, store, java, phone]
  retention_in_days:
    description: Days the data is kept. Leave unset to keep the current value (Azure creates 90).
    type: int
    choices: [30, 60, 90, 120, 180, 270, 365, 550, 730]
  ingestion_mode:
    description: Where telemetry is ingested. Leave unset to keep the current mode.
    type: str
    choices: [ApplicationInsights, ApplicationInsightsWithDiagnosticSettings, LogAnalytics]
  workspace_resource_id:
    description:
      - Resource ID of the Log Analytics workspace of a workspace-based component. Leave unset to keep the
        current one.
    type: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Application Insights of the primary workspace
  amlops.bcdr.app_insights:
    name: appi-fraud-eastus
    resource_group: rg-fraud-eastus
    location: eastus
    retention_in_days: 90
    tags:
      amlops.bcdr/pair: fraud
  register: appi

- name: Delete a component
  amlops.bcdr.app_insights:
    name: appi-scratch
    resource_group: rg-scratch
    state: absent
"""

RETURN = r"""
app_insights:
  description: The component after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.Insights/components/appi-fraud-eastus
    name:
      description: Name.
      type: str
      sample: appi-fraud-eastus
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-eastus
    location:
      description: Region, lower case without spaces.
      type: str
      sample: eastus
    kind:
      description: Kind of application.
      type: str
      sample: web
    application_type:
      description: Type of application.
      type: str
      sample: web
    app_id:
      description: Application ID (an identifier; unknown in check mode before creation).
      type: str
      sample: 0c2f9f9e-5d7b-4a2e-9d3e-1f2a3b4c5d6e
    instrumentation_key:
      description: Instrumentation key (an identifier for telemetry clients, not a credential).
      type: str
      sample: 3b1f0e2a-8d4c-4f6a-9b7e-2c5d8e1f4a6b
    connection_string:
      description: Connection string for telemetry clients (identifiers and endpoints, not a credential).
      type: str
      sample: InstrumentationKey=3b1f0e2a-8d4c-4f6a-9b7e-2c5d8e1f4a6b;IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/
    retention_in_days:
      description: Retention in days.
      type: int
      sample: 90
    ingestion_mode:
      description: Ingestion mode.
      type: str
      sample: ApplicationInsights
    workspace_resource_id:
      description: Log Analytics workspace ID, if workspace-based.
      type: str
      sample: null
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr/pair": "fraud"}
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
changes:
  description: Fields changed by an update, as C([before, after]).
  returned: always
  type: dict
  sample: {"retention_in_days": [90, 30]}
"""

from functools import partial

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import APP_INSIGHTS, input_errors, plan_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_service import AppInsightsComponents
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ServiceResource, run_resource

DESIRED_OPTIONS = ("location", "application_type", "kind", "retention_in_days", "ingestion_mode",
                   "workspace_resource_id", "tags", "purge_tags")


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        wait=False,
        application_type=dict(type="str", choices=["web", "other"]),
        kind=dict(type="str", choices=["web", "ios", "other", "store", "java", "phone"]),
        retention_in_days=dict(type="int", choices=[30, 60, 90, 120, 180, 270, 365, 550, 730]),
        ingestion_mode=dict(type="str", choices=["ApplicationInsights", "ApplicationInsightsWithDiagnosticSettings",
                                                 "LogAnalytics"]),
        workspace_resource_id=dict(type="str"),
    ))
    desired = dict((k, module.params[k]) for k in DESIRED_OPTIONS)
    run_resource(module, ServiceResource(module, AppInsightsComponents(), partial(plan_resource, APP_INSIGHTS), desired,
                                         "app_insights"),
                 validators=[partial(input_errors, kind="app_insights")])


if __name__ == "__main__":
    main()
