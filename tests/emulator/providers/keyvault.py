"""Key vaults: name rules, global uniqueness, the subscription's tenant, irreversible purge
protection, vaultUri and defaults."""
import re

from ..errors import ArmError
from .common import name_of, old_props, others_named, props

VAULT_TYPE = "microsoft.keyvault/vaults"
VAULT_NAME_RE = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")


def check_vault_name(name):
    if not VAULT_NAME_RE.match(name or ""):
        # Azure: 400 VaultNameNotValid (Key Vault RP wording; not confirmed against a capture)
        raise ArmError(400, "VaultNameNotValid",
                       f"The vault name '{name}' is invalid. A vault's name must be between 3-24 "
                       "alphanumeric characters. The name must begin with a letter, end with a letter "
                       "or digit, and not contain consecutive hyphens. Follow this link for more "
                       "information: https://go.microsoft.com/fwlink/?linkid=2147742")


def vault_put(ctx, rid, resource, existing):
    name = name_of(rid)
    check_vault_name(name)
    if others_named(ctx, "Microsoft.KeyVault/vaults", name, rid):
        # Azure: 409 VaultAlreadyExists (Azure/ARO-Landing-Zone-Accelerator#28)
        raise ArmError(409, "VaultAlreadyExists",
                       f"The vault name '{name}' is already in use. Vault names are globally unique so "
                       "it is possible that the name is already taken. If you are sure that the vault "
                       "name was not taken then it is possible that a vault with the same name was "
                       "recently deleted but not purged after being placed in a recoverable state. If "
                       "the vault is in a recoverable state then the vault will need to be purged "
                       "before reusing the name. For more information about VaultAlreadyExists, soft "
                       "delete and purging a vault follow this link "
                       "https://go.microsoft.com/fwlink/?linkid=2147740.")
    p = props(resource)
    tenant = str(p.get("tenantId") or "")
    if tenant.lower() != ctx.tenant_id.lower():
        # Azure refuses a tenant the subscription does not trust (the exact code is not
        # documented; BadRequest is what ARM answers for invalid property values).
        raise ArmError(400, "BadRequest",
                       f"The tenant '{tenant}' is not valid for this subscription: a vault's tenantId "
                       f"must be the subscription's tenant '{ctx.tenant_id}'.")
    old = old_props(existing)
    if old.get("enablePurgeProtection") and p.get("enablePurgeProtection") is False:
        raise ArmError(400, "BadRequest",
                       'The property "enablePurgeProtection" cannot be set to false. Enabling the purge '
                       "protection for a vault is an irreversible action.")
    p["vaultUri"] = f"https://{name}.vault.azure.net/"
    p.setdefault("accessPolicies", [])
    p.setdefault("enableSoftDelete", True)
    p.setdefault("softDeleteRetentionInDays", 90)
    p.setdefault("enableRbacAuthorization", False)
    p.setdefault("publicNetworkAccess", "Enabled")
    p.pop("createMode", None)           # write-only in practice: GET never shows it


PUT = {VAULT_TYPE: vault_put}
NAME_CHECKS = {VAULT_TYPE: check_vault_name}
