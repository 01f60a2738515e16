"""Role assignments: built-in role definitions, principals in the emulated directory,
principalType, no updates, no duplicates per scope/principal/role."""
import re

from ..errors import ArmError
from .common import old_props, props, same_id

# Built-in role definitions (name -> GUID), as in Azure; the GUIDs are the same in every tenant.
BUILTIN_ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "AzureML Compute Operator": "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    "AzureML Registry User": "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    "AzureML Metrics Writer (preview)": "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
    "Azure AI Developer": "64702f94-c441-49e6-a78b-ef80e0188fee",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "AcrDelete": "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
    "AcrImageSigner": "6cef56e8-d556-48e5-a04f-b8e64114680f",
    "Storage Account Contributor": "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    "Storage Account Key Operator Service Role": "81a9662b-bebf-436f-a333-f67b29880f12",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Delegator": "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
    "Storage File Data Privileged Contributor": "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    "Storage File Data Privileged Reader": "b8eda974-7b85-4f76-af95-65846b26df6d",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    "Monitoring Contributor": "749f88d5-cbae-40b8-bcfc-e573ddc772fa",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
BUILTIN_ROLE_IDS = {v.lower(): k for k, v in BUILTIN_ROLES.items()}


ROLE_DEF_RE = re.compile(r"^(?:/subscriptions/([^/]+))?/providers/Microsoft\.Authorization/"
                         r"roleDefinitions/([0-9a-fA-F-]{36})$", re.IGNORECASE)


def _ra_scope(rid):
    i = rid.lower().rfind("/providers/microsoft.authorization/roleassignments/")
    return rid[:i] if i > 0 else "/"


def _role_guid(role_definition_id):
    m = ROLE_DEF_RE.match(role_definition_id or "")
    return m.group(2).lower() if m else None


def role_assignment_put(ctx, rid, resource, existing):
    p = props(resource)
    scope = _ra_scope(rid)
    rd = str(p.get("roleDefinitionId") or "")
    m = ROLE_DEF_RE.match(rd)
    guid = m.group(2).lower() if m else None
    if m is None or guid not in BUILTIN_ROLE_IDS or \
            (m.group(1) and m.group(1).lower() != ctx.subscription_id.lower()):
        # Azure: 400 RoleDefinitionDoesNotExist
        shown = guid or rd
        raise ArmError(400, "RoleDefinitionDoesNotExist",
                       f"The specified role definition with ID '{shown}' does not exist.")
    p["roleDefinitionId"] = (f"/subscriptions/{ctx.subscription_id}/providers/"
                             f"Microsoft.Authorization/roleDefinitions/{guid}")
    pid = str(p.get("principalId") or "")
    if existing is not None:
        old = old_props(existing)
        if str(old.get("principalId", "")).lower() != pid.lower() or \
                _role_guid(old.get("roleDefinitionId")) != guid:
            # Azure: 400 RoleAssignmentUpdateNotPermitted (OfficeDev/...company-communicator#569)
            raise ArmError(400, "RoleAssignmentUpdateNotPermitted",
                           "Tenant ID, application ID, principal ID, and scope are not allowed to "
                           "be updated.")
    principal = ctx.directory.principal(pid) if hasattr(ctx.directory, "principal") else None
    known = principal is not None or ctx.directory.has_principal(pid)
    wanted_type = p.get("principalType")
    if not known and not wanted_type:
        # Azure: 400 PrincipalNotFound (Azure/HubAndSpokeResearchEnclave#50). With principalType
        # set ARM skips the directory lookup (for replication delays), so it is accepted then.
        raise ArmError(400, "PrincipalNotFound",
                       f"Principal {pid.replace('-', '')} does not exist in the directory "
                       f"{ctx.tenant_id}. Check that you have the correct principal ID. If you are "
                       "creating this principal and then immediately assigning a role, this error "
                       "might be related to a replication delay. In this case, set the role "
                       "assignment principalType property to a value, such as ServicePrincipal, "
                       "User, or Group.  See https://aka.ms/docs-principaltype")
    actual_type = (principal or {}).get("kind")
    if wanted_type and actual_type and wanted_type != actual_type:
        # Azure: 400 UnmatchedPrincipalType (Azure/azure-dev#5814; "PrinciaplType" is Azure's typo)
        raise ArmError(400, "UnmatchedPrincipalType",
                       f"The PrincipalId '{pid.replace('-', '')}' has type '{actual_type}' , which is "
                       f"different from specified PrinciaplType '{wanted_type}'.")
    p["principalType"] = wanted_type or actual_type or "User"
    for other in ctx.store.find("Microsoft.Authorization/roleAssignments"):
        op = other.get("properties") or {}
        if same_id(other.get("id"), rid):
            continue
        if same_id(op.get("scope") or _ra_scope(other.get("id", "")), scope) and \
                str(op.get("principalId", "")).lower() == pid.lower() and \
                _role_guid(op.get("roleDefinitionId")) == guid:
            # Azure: 409 RoleAssignmentExists (hashicorp/terraform-provider-azurerm#28694)
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
    old = old_props(existing)
    now = ctx.iso()
    p["scope"] = scope
    p["createdOn"] = old.get("createdOn") or now
    p["updatedOn"] = now
    who = None
    try:
        who = ctx.directory.principal_object_id
    except Exception:
        pass
    p["createdBy"] = old.get("createdBy") or who
    p["updatedBy"] = who
    if p.get("createdBy") is None:
        p.pop("createdBy")
    if p.get("updatedBy") is None:
        p.pop("updatedBy")


PUT = {"microsoft.authorization/roleassignments": role_assignment_put}
