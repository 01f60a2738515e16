# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Authentication options, merged into every module (plugins/module_utils/auth.py AUTH_ARGUMENT_SPEC).
    # Names and environment variables are those of azure.azcollection.
    DOCUMENTATION = r'''
options:
  auth_source:
    description:
      - Where the credentials come from.
      - C(auto) tries, in order, O(client_id)/O(secret)/O(tenant) (or O(x509_certificate_path)), then
        O(ad_user)/O(password) (parameters or their environment variables), then a profile in C(~/.azure/credentials),
        then the Azure CLI (if C(az) is on C(PATH)), then a managed identity (which needs O(subscription_id)).
      - C(env) reads only the C(AZURE_*) environment variables; C(credential_file) only the profile in
        C(~/.azure/credentials); C(cli) the Azure CLI login (C(az login)), with the CLI's default subscription
        unless O(subscription_id) is set; C(msi) the managed identity of the host (O(client_id) selects a
        user-assigned identity).
      - Can also be set with the E(ANSIBLE_AZURE_AUTH_SOURCE) (or E(AZURE_AUTH_SOURCE)) environment variable.
    type: str
    default: auto
    choices: [auto, cli, credential_file, env, msi]
  profile:
    description:
      - Profile (section) to read from C(~/.azure/credentials); C(default) when not set.
      - Can also be set with the E(AZURE_PROFILE) environment variable.
    type: str
  subscription_id:
    description:
      - The Azure subscription ID.
      - Can also be set with the E(AZURE_SUBSCRIPTION_ID) environment variable.
    type: str
  client_id:
    description:
      - Application (client) ID of a service principal, the client ID of a user-assigned managed identity, or
        the public client used with O(ad_user) (the Azure CLI's when not set).
      - Can also be set with the E(AZURE_CLIENT_ID) environment variable.
    type: str
  secret:
    description:
      - Client secret of the service principal.
      - Can also be set with the E(AZURE_SECRET) environment variable.
    type: str
  tenant:
    description:
      - Tenant (directory) ID. Required with O(secret) or O(x509_certificate_path).
      - Can also be set with the E(AZURE_TENANT) environment variable.
    type: str
  ad_user:
    description:
      - Microsoft Entra user name, for user/password sign-in (no multi-factor authentication).
      - Can also be set with the E(AZURE_AD_USER) environment variable.
    type: str
  password:
    description:
      - Password of O(ad_user).
      - Can also be set with the E(AZURE_PASSWORD) environment variable.
    type: str
  cloud_environment:
    description:
      - C(AzureCloud), C(AzureChinaCloud) or C(AzureUSGovernment) (case-insensitive), or the URL of an Azure
        Resource Manager endpoint whose C(/metadata/endpoints) document describes the cloud (Azure Stack Hub).
      - For a cloud given by URL, sign-in uses that cloud's login endpoint without instance discovery.
      - Can also be set with the E(AZURE_CLOUD_ENVIRONMENT) environment variable, or in the credentials profile.
    type: str
    default: AzureCloud
  cert_validation_mode:
    description:
      - C(validate) checks the TLS certificates of Azure endpoints (with the CA bundle in E(REQUESTS_CA_BUNDLE)
        when set); C(ignore) does not, for a TLS-intercepting proxy or a test endpoint. Default C(validate).
      - Can also be set with the E(AZURE_CERT_VALIDATION_MODE) environment variable.
    type: str
    choices: [validate, ignore]
  adfs_authority_url:
    description:
      - Authority URL of an AD FS server to sign in with (Azure Stack Hub with AD FS); tenant C(adfs) is used
        when O(tenant) is not set.
      - Can also be set with the E(AZURE_ADFS_AUTHORITY_URL) environment variable.
    type: str
  x509_certificate_path:
    description:
      - Path to a PEM file holding the private key and the certificate of a service principal, used instead of
        O(secret) (with O(client_id) and O(tenant)).
      - Can also be set with the E(AZURE_X509_CERTIFICATE_PATH) environment variable.
    type: path
  thumbprint:
    description:
      - Accepted for compatibility with azure.azcollection; the thumbprint is computed from
        O(x509_certificate_path), so this value is not used.
      - Can also be set with the E(AZURE_THUMBPRINT) environment variable.
    type: str
  disable_instance_discovery:
    description:
      - Skip Microsoft Entra instance discovery (validation of the authority at C(login.microsoftonline.com)).
      - When not set, discovery is skipped for clouds given by metadata URL and for AD FS, and kept otherwise.
      - Can also be set with the E(AZURE_DISABLE_INSTANCE_DISCOVERY) environment variable.
    type: bool
requirements:
  - python >= 3.9
  - azure-identity
notes:
  - Secrets (O(secret), O(password), storage keys, SAS signatures, tokens) are removed from every message the
    modules return.
'''
