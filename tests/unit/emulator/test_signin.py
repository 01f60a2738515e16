"""Sign-in against the emulator with the real azure-identity/MSAL flows, and ARM's bearer check."""

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

ARM_SCOPE = "https://management.azure.com/.default"


def _claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _credential(ep, secret=None, client_id=None, tenant=None):
    return ClientSecretCredential(tenant or ep["tenant_id"], client_id or ep["client_id"],
                                  secret or ep["client_secret"], authority=ep["arm_url"],
                                  disable_instance_discovery=True, connection_verify=ep["ca_cert"])


def _arm_get(ep, path, token=None, auth_header=None):
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if auth_header:
        headers["Authorization"] = auth_header
    return requests.get(ep["arm_url"] + path, headers=headers, verify=ep["ca_cert"])


def _rg_path(ep):
    return "/subscriptions/%s/resourcegroups?api-version=2021-04-01" % ep["subscription_id"]


def test_client_secret_credential_gets_an_arm_token(emulator, arm_credential):
    ep = emulator.endpoint
    token = arm_credential.get_token(ARM_SCOPE)
    claims = _claims(token.token)
    assert claims["aud"] == "https://management.azure.com/"
    assert claims["tid"] == ep["tenant_id"]
    assert claims["oid"] == ep["principal_object_id"]
    assert claims["appid"] == ep["client_id"]
    assert claims["exp"] - claims["iat"] == 3600
    assert token.expires_on > time.time() + 3000
    assert _arm_get(ep, _rg_path(ep), token.token).status_code == 200


def test_core_windows_audience_is_accepted(emulator, arm_credential):
    ep = emulator.endpoint
    token = arm_credential.get_token("https://management.core.windows.net//.default").token
    assert _claims(token)["aud"] == "https://management.core.windows.net/"
    assert _arm_get(ep, _rg_path(ep), token).status_code == 200


def test_wrong_secret_is_refused_like_aad(emulator):
    cred = _credential(emulator.endpoint, secret="not-the-secret")
    with pytest.raises(ClientAuthenticationError) as err:
        cred.get_token(ARM_SCOPE)
    assert "AADSTS7000215" in str(err.value)
    assert "not-the-secret" not in str(err.value)


def test_unknown_client_id_is_refused(emulator):
    cred = _credential(emulator.endpoint, client_id="00000000-0000-0000-0000-00000000dead")
    with pytest.raises(ClientAuthenticationError) as err:
        cred.get_token(ARM_SCOPE)
    assert "AADSTS700016" in str(err.value)


def test_unknown_tenant_is_refused(emulator):
    ep = emulator.endpoint
    tenant = "11111111-1111-1111-1111-111111111111"
    cred = _credential(ep, tenant=tenant)
    with pytest.raises(ClientAuthenticationError) as err:
        cred.get_token(ARM_SCOPE)
    # MSAL reports the failed OIDC discovery, as it does against real AAD ...
    assert "Unable to get authority configuration" in str(err.value)
    # ... which answered AAD's 400 invalid_tenant
    r = requests.get("%s/%s/v2.0/.well-known/openid-configuration" % (ep["arm_url"], tenant),
                     verify=ep["ca_cert"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_tenant"
    assert r.json()["error_description"].startswith("AADSTS90002")


def test_arm_without_bearer_is_401(emulator):
    ep = emulator.endpoint
    r = _arm_get(ep, _rg_path(ep))
    assert r.status_code == 401
    assert r.json() == {"error": {"code": "AuthenticationFailed", "message":
                                  "Authentication failed. The 'Authorization' header is missing."}}
    www = r.headers["WWW-Authenticate"]
    assert www.startswith('Bearer authorization_uri="') and 'error="invalid_token"' in www
    assert r.headers["x-ms-request-id"] and r.headers["x-ms-correlation-request-id"]


def test_arm_with_malformed_header_is_401(emulator):
    ep = emulator.endpoint
    r = _arm_get(ep, _rg_path(ep), auth_header="Basic dXNlcjpwYXNz")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AuthenticationFailed"


def test_forged_token_is_401(emulator, arm_credential):
    ep = emulator.endpoint
    token = arm_credential.get_token(ARM_SCOPE).token
    header, payload, _unused = token.split(".")
    claims = _claims(token)
    claims["oid"] = "00000000-0000-0000-0000-000000000001"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = _arm_get(ep, _rg_path(ep), "%s.%s.%s" % (header, forged_payload, token.split(".")[2]))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationToken"


def _sign(key, claims):
    def enc(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    h = enc(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    p = enc(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), ("%s.%s" % (h, p)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (h, p, enc(sig))


def _jwt_key(emulator):
    from emulator.store import read_table
    return read_table(emulator.state_dir, "secrets", "jwt_key")


def test_expired_token_is_401(emulator, arm_credential):
    ep = emulator.endpoint
    claims = _claims(arm_credential.get_token(ARM_SCOPE).token)
    claims["exp"] = int(time.time()) - 10
    r = _arm_get(ep, _rg_path(ep), _sign(_jwt_key(emulator), claims))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert "invalid_token" in r.headers["WWW-Authenticate"]


def test_token_for_another_audience_is_401(emulator, arm_credential):
    ep = emulator.endpoint
    token = arm_credential.get_token("https://storage.azure.com/.default").token
    r = _arm_get(ep, _rg_path(ep), token)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def _ropc(ep, username, password):
    return requests.post("%s/%s/oauth2/v2.0/token" % (ep["arm_url"], ep["tenant_id"]),
                         data={"grant_type": "password", "username": username,
                               "password": password, "client_info": "1",
                               "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                               "scope": ARM_SCOPE + " offline_access openid profile"},
                         verify=ep["ca_cert"])


def test_username_password_grant_for_a_registered_user(emulator):
    """The ROPC grant as MSAL sends it. (MSAL's own ROPC first asks
    https://<host>/common/userrealm/ on port 443 - it drops the authority's port - so
    UsernamePasswordCredential only works end to end with the emulator on port 443.)"""
    ep = emulator.endpoint
    user = emulator.register_principal(display_name="alice", kind="User", password="S3cret-pw!")
    realm = requests.get("%s/common/userrealm/%s?api-version=1.0" % (
        ep["arm_url"], user["user_principal_name"]), verify=ep["ca_cert"]).json()
    assert realm["account_type"] == "Managed"
    r = _ropc(ep, user["user_principal_name"], "S3cret-pw!")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"access_token", "refresh_token", "id_token", "client_info"} <= set(body)
    claims = _claims(body["access_token"])
    assert claims["oid"] == user["object_id"] and claims["upn"] == user["user_principal_name"]
    assert _arm_get(ep, _rg_path(ep), body["access_token"]).status_code == 200

    bad = _ropc(ep, user["user_principal_name"], "wrong")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    assert bad.json()["error_description"].startswith("AADSTS50126")
    assert _ropc(ep, "nobody@example.com", "x").json()["error_description"].startswith(
        "AADSTS50034")


def test_registered_service_principal_signs_in_as_itself(emulator):
    ep = emulator.endpoint
    sp = emulator.register_principal(display_name="ci-runner", kind="ServicePrincipal")
    cred = _credential(ep, secret=sp["client_secret"], client_id=sp["client_id"])
    assert _claims(cred.get_token(ARM_SCOPE).token)["oid"] == sp["object_id"]


def test_cloud_metadata_endpoint_both_shapes(emulator):
    ep = emulator.endpoint
    arm = ep["arm_url"] + "/"
    r = requests.get(ep["arm_url"] + "/metadata/endpoints?api-version=2022-09-01",
                     verify=ep["ca_cert"])
    assert r.status_code == 200
    (cloud,) = r.json()
    assert cloud["name"] == "AzureEmulator" and cloud["resourceManager"] == arm
    auth = cloud["authentication"]
    assert auth["loginEndpoint"] == arm and auth["tenant"] == "common"
    assert "https://management.azure.com/" in auth["audiences"]
    assert {"storage", "keyVaultDns", "acrLoginServer"} <= set(cloud["suffixes"])
    old = requests.get(ep["arm_url"] + "/metadata/endpoints?api-version=1.0",
                       verify=ep["ca_cert"]).json()
    assert old["authentication"]["loginEndpoint"] == arm and "galleryEndpoint" in old
