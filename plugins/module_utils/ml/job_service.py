# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML SDK calls for jobs (list, get, submit; api-version 2024-04-01) and the existence checks of the
references a resubmitted job holds. Plain dicts out, no SDK model leaves: a job's ``definition`` is its
REST ``properties`` as the service answered them, and is sent back as JSON (nothing lost to the models).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_kinds_service

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # reported by the module through the client factory
    ResourceNotFoundError = None


def job_to_dict(job):
    """The aml_job_info shape of a JobBase."""
    raw = job.serialize(keep_readonly=True)
    definition = dict(raw.get("properties") or {})
    system = raw.get("systemData") or {}
    return dict(
        name=job.name,
        id=job.id,
        job_type=definition.get("jobType"),
        status=definition.get("status"),
        compute_id=definition.get("computeId"),
        experiment_name=definition.get("experimentName"),
        display_name=definition.get("displayName"),
        tags=dict(definition.get("tags") or {}),
        properties=dict(definition.get("properties") or {}),
        created_at=system.get("createdAt"),
        definition=definition,
    )


def list_jobs(clients, group, workspace):
    """Every job of the workspace (archived ones too), as dicts."""
    return [job_to_dict(j) for j in clients.ml().jobs.list(group, workspace, list_view_type="All")]


def get_job(clients, group, workspace, name):
    try:
        return job_to_dict(clients.ml().jobs.get(group, workspace, name))
    except ResourceNotFoundError:
        return None


def submit_job(clients, group, workspace, name, properties):
    """PUT the job ``name`` with these REST properties; -> the job as the service answered."""
    body = io.BytesIO(json.dumps(dict(properties=properties)).encode("utf-8"))
    return job_to_dict(clients.ml().jobs.create_or_update(group, workspace, name, body,
                                                          content_type="application/json"))


def reference_exists(clients, group, workspace, ref):
    """Whether the reference (job_plan.references item) exists in the workspace (one GET)."""
    return asset_kinds_service.asset_exists(clients, group, workspace, ref["kind"], ref["name"], ref.get("version"))
