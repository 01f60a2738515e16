# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for Azure Blob datastores of ML workspaces.

Azure never returns a datastore's secret (account key or SAS token) on GET, so the plan compares
non-secret fields only: the storage location, the credential *type*, description and tags. Whether
to send the secret again on an otherwise unchanged datastore is the caller's choice
(``update_credentials``: ``on_create`` or ``always``), as ansible's user/password modules do.

Datastore dicts (from datastore_service.py): ``name``, ``id``, ``datastore_type``,
``account_name``, ``container_name``, ``endpoint``, ``protocol``,
``service_data_access_auth_identity``, ``credentials_type``, ``description``, ``tags``,
``is_default``. No secrets, ever.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import merge_tags
from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors

# Azure ML datastore names: letters, digits and underscores (the service refuses '-', although the
# 2024-04-01 path pattern allows it); up to 255 characters.
DATASTORE_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,255}$")
# Storage account names: 3-24 lower-case letters and digits.
ACCOUNT_NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
# Blob container names: 3-63 lower-case letters, digits and single hyphens, starting and ending
# with a letter or digit ('$root' and '$web' are special containers).
CONTAINER_NAME_RE = re.compile(r"^(?:\$root|\$web|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})$")

# What the spec fixes at creation (x-ms-mutability create/read): a different value is refused.
IMMUTABLE = ("account_name", "container_name", "endpoint", "protocol", "service_data_access_auth_identity")
CASE_INSENSITIVE = ("endpoint", "protocol", "service_data_access_auth_identity")
CREDENTIAL_TYPES = ("AccountKey", "Sas", "None")
SECRET_TYPES = ("AccountKey", "Sas")
SECRET_CHANGE = ["(secret not shown)", "(secret replaced)"]


class PlanError(ValueError):
    """Bad input, or a change Azure does not allow; the message names the option."""


def name_errors(name, account_name=None, container_name=None):
    """The datastore, account and container names Azure would refuse, one line each."""
    errors = []
    if not isinstance(name, str) or not DATASTORE_NAME_RE.match(name):
        errors.append("name: '%s' is not a valid datastore name: 1 to 255 letters, digits and '_'" % (name,))
    if account_name is not None and not (isinstance(account_name, str) and ACCOUNT_NAME_RE.match(account_name)):
        errors.append("account_name: '%s' is not a storage account name: 3 to 24 lower-case letters and digits"
                      % (account_name,))
    if container_name is not None and not (isinstance(container_name, str) and CONTAINER_NAME_RE.match(container_name)):
        errors.append("container_name: '%s' is not a blob container name: 3 to 63 lower-case letters, digits "
                      "and single hyphens, starting and ending with a letter or digit" % (container_name,))
    return errors


def validate(name, account_name=None, container_name=None):
    errors = name_errors(name, account_name, container_name)
    if errors:
        raise PlanError(errors[0])


def credentials_type(credentials):
    """The credential type the ``credentials`` option asks for: AccountKey, Sas, None (an empty
    dict: identity-based access), or Python None when the option is not set (not managed)."""
    if credentials is None:
        return None
    account_key, sas_token = credentials.get("account_key"), credentials.get("sas_token")
    if account_key and sas_token:
        raise PlanError("credentials: account_key and sas_token are mutually exclusive")
    if account_key:
        return "AccountKey"
    if sas_token:
        return "Sas"
    return "None"


def _same(field, want, have):
    if field in CASE_INSENSITIVE and isinstance(want, str) and isinstance(have, str):
        return want.lower() == have.lower()
    return want == have


def plan_datastore(desired, current, state="present", update_credentials="on_create"):
    """Decide what to do.

    ``desired``: ``account_name``, ``container_name``, ``endpoint``, ``protocol``,
    ``service_data_access_auth_identity``, ``credentials_type`` (AccountKey, Sas, None; or
    Python None when the credentials are not managed), ``description``, ``tags``, ``purge_tags``
    (None values mean 'not managed'). No secrets: the caller keeps them.
    ``current``: the datastore as read, or None.

    Returns ``action`` (create/update/delete/none), ``changes`` (field -> [before, after], never a
    secret), ``after`` (the predicted datastore) and ``send_secret`` (whether the write carries
    the secret the caller holds).
    """
    if state == "absent":
        action = "none" if current is None else "delete"
        return dict(action=action, changes={}, after=None, send_secret=False)

    if current is None:
        missing = [f for f in ("account_name", "container_name") if not desired.get(f)]
        if missing:
            raise PlanError("to create the datastore, set: %s" % ", ".join(missing))
        after = dict(
            datastore_type="AzureBlob",
            account_name=desired["account_name"],
            container_name=desired["container_name"],
            endpoint=desired.get("endpoint") or "core.windows.net",
            protocol=desired.get("protocol") or "https",
            service_data_access_auth_identity=desired.get("service_data_access_auth_identity") or "None",
            credentials_type=desired.get("credentials_type") or "None",
            description=desired.get("description"),
            tags=merge_tags(desired.get("tags"), {}, True),
            is_default=False,
        )
        return dict(action="create", changes={}, after=after, send_secret=True)

    if (current.get("datastore_type") or "AzureBlob") != "AzureBlob":
        raise PlanError("a datastore with this name exists but is of type %s, not AzureBlob; use another name"
                        % current.get("datastore_type"))
    for field in IMMUTABLE:
        want = desired.get(field)
        if want is not None and not _same(field, want, current.get(field)):
            raise PlanError(
                "%s cannot be changed on an existing datastore (it is '%s', asked for '%s'); remove the "
                "datastore first (state=absent) or use another name" % (field, current.get(field), want))

    changes = {}
    after = dict(current)
    want_type = desired.get("credentials_type")
    if want_type is not None and want_type != current.get("credentials_type"):
        changes["credentials_type"] = [current.get("credentials_type"), want_type]
        after["credentials_type"] = want_type
    if desired.get("description") is not None and desired["description"] != (current.get("description") or ""):
        changes["description"] = [current.get("description") or "", desired["description"]]
        after["description"] = desired["description"]
    tags_after = merge_tags(desired.get("tags"), current.get("tags"), desired.get("purge_tags", True))
    if tags_after != (current.get("tags") or {}):
        changes["tags"] = [current.get("tags") or {}, tags_after]
    after["tags"] = tags_after

    if update_credentials == "always" and want_type in SECRET_TYPES and "credentials_type" not in changes:
        # Azure cannot tell us whether the secret differs: 'always' writes it, and says so.
        changes["credentials"] = list(SECRET_CHANGE)
    if changes and want_type is None and current.get("credentials_type") in SECRET_TYPES:
        # A datastore update is a PUT of the whole datastore, credentials included, and Azure does
        # not give the stored secret back: without it the update would drop the credentials.
        option = "credentials.account_key" if current.get("credentials_type") == "AccountKey" else "credentials.sas_token"
        raise PlanError(
            "credentials: changing %s of this datastore rewrites it whole, credentials included; give %s "
            "(its credentials are of type %s)" % (", ".join(sorted(changes)), option, current.get("credentials_type")))
    return dict(action="update" if changes else "none", changes=changes, after=after, send_secret=bool(changes))


def input_errors(params):
    """Everything wrong with the aml_datastore module's options, one line each naming the option
    ([] when good). Pure: the module and the provision role's pre-flight run it before any call.
    Never echoes a secret: only the credential *type* is looked at."""
    errors = name_errors(params.get("name"), params.get("account_name"), params.get("container_name"))
    try:
        credentials_type(params.get("credentials"))
    except PlanError as exc:
        errors.append(str(exc))
    return errors + tag_errors(params.get("tags"))
