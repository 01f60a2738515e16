"""The identity side: a one-tenant AAD look-alike and ARM's bearer-token check.

The real azure-identity/MSAL flows run against it with ``authority=arm_url`` and
``disable_instance_discovery=True``: OIDC discovery, the v2.0 token endpoint (client
credentials with a secret, and ROPC for registered users), user realm discovery.
Tokens are HS256 JWTs signed with a key kept in the state (they survive restarts).
"""
import base64
import datetime
import hashlib
import hmac
import json
import secrets
import time
import uuid
from urllib.parse import parse_qs

from .errors import ArmError

# Audiences ARM accepts (what AAD issues for the management scopes).
ARM_AUDIENCES = (
    "https://management.core.windows.net/", "https://management.core.windows.net",
    "https://management.azure.com/", "https://management.azure.com",
)
TOKEN_LIFETIME = 3600
# Public client id of the Azure CLI: what ROPC users typically sign in with.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _utc(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%m/%d/%Y %H:%M:%S")


class Directory:
    """The tenant: the service principal the emulator hands out, plus registered principals.

    Principal records (kept in store.principals, keyed by object id):
    ``{"object_id", "display_name", "kind": "User"|"ServicePrincipal"|"Group",
       "client_id"?, "client_secret"?, "user_principal_name"?, "password"?}``
    """

    def __init__(self, store):
        self.store = store
        s = store.secrets
        with store.lock:
            changed = False
            for name, make in (("tenant_id", lambda: str(uuid.uuid4())),
                               ("subscription_id", lambda: str(uuid.uuid4())),
                               ("client_id", lambda: str(uuid.uuid4())),
                               ("client_secret", lambda: secrets.token_urlsafe(30)),
                               ("principal_object_id", lambda: str(uuid.uuid4())),
                               ("jwt_key", lambda: secrets.token_hex(32))):
                if name not in s:
                    s[name] = make()
                    changed = True
            oid = s["principal_object_id"]
            if oid not in store.principals:
                store.principals[oid] = {
                    "object_id": oid, "display_name": "amlops-bcdr-emulator-sp",
                    "kind": "ServicePrincipal", "client_id": s["client_id"],
                    "client_secret": s["client_secret"]}
                changed = True
            if changed:
                store.save()

    tenant_id = property(lambda self: self.store.secrets["tenant_id"])
    subscription_id = property(lambda self: self.store.secrets["subscription_id"])
    client_id = property(lambda self: self.store.secrets["client_id"])
    client_secret = property(lambda self: self.store.secrets["client_secret"])
    principal_object_id = property(lambda self: self.store.secrets["principal_object_id"])

    def has_principal(self, object_id):
        return str(object_id).lower() in {k.lower() for k in self.store.principals}

    def principal(self, object_id):
        for k, p in self.store.principals.items():
            if k.lower() == str(object_id).lower():
                return p
        return None

    def register(self, object_id=None, display_name=None, kind="User", **extra):
        if kind not in ("User", "ServicePrincipal", "Group"):
            raise ValueError("kind must be User, ServicePrincipal or Group")
        oid = str(object_id or uuid.uuid4())
        rec = {"object_id": oid, "display_name": display_name or f"{kind.lower()}-{oid[:8]}",
               "kind": kind}
        if kind == "ServicePrincipal":
            rec["client_id"] = extra.get("client_id") or str(uuid.uuid4())
            rec["client_secret"] = extra.get("client_secret") or secrets.token_urlsafe(30)
        if kind == "User":
            rec["user_principal_name"] = (extra.get("user_principal_name")
                                          or f"{rec['display_name']}@emulator.onmicrosoft.com")
            rec["password"] = extra.get("password") or secrets.token_urlsafe(16)
        with self.store.lock:
            self.store.principals[oid] = rec
            self.store.save()
        return dict(rec)

    def by_client_id(self, client_id):
        for p in self.store.principals.values():
            if p.get("client_id") == client_id:
                return p
        return None

    def by_upn(self, upn):
        for p in self.store.principals.values():
            if p.get("user_principal_name", "").lower() == (upn or "").lower():
                return p
        return None

    def known_tenant(self, tenant):
        return tenant.lower() in (self.tenant_id.lower(), "common", "organizations")

    # ---- tokens ------------------------------------------------------------------------
    def _sign(self, claims):
        header = _b64url(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "emulator"}).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self.store.secrets["jwt_key"].encode(), f"{header}.{payload}".encode(),
                       hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(sig)}"

    def issue(self, issuer, audience, principal, lifetime=TOKEN_LIFETIME, app_id=None):
        now = int(time.time())
        claims = {"aud": audience, "iss": issuer, "iat": now, "nbf": now, "exp": now + lifetime,
                  "tid": self.tenant_id, "oid": principal["object_id"],
                  "sub": principal["object_id"],
                  "appid": app_id or principal.get("client_id") or AZURE_CLI_CLIENT_ID,
                  "idtyp": "user" if principal["kind"] == "User" else "app", "ver": "1.0"}
        if principal["kind"] == "User":
            claims["upn"] = principal.get("user_principal_name")
            claims["name"] = principal.get("display_name")
        return self._sign(claims)

    def verify_arm_token(self, authorization, arm_url):
        """Check an ARM request's Authorization header; returns the token claims or raises."""
        challenge = {"WWW-Authenticate": (
            f'Bearer authorization_uri="{arm_url}/{self.tenant_id}", '
            'error="invalid_token", error_description="The authentication failed because of '
            'missing \'Authorization\' header."')}
        if not authorization:
            raise ArmError(401, "AuthenticationFailed",
                           "Authentication failed. The 'Authorization' header is missing.",
                           headers=challenge)
        scheme, _unused, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token.count(".") != 2:
            challenge["WWW-Authenticate"] = challenge["WWW-Authenticate"].replace(
                "missing 'Authorization' header", "invalid 'Authorization' header")
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' "
                           "header is provided in an invalid format.", headers=challenge)
        invalid = {"WWW-Authenticate": f'Bearer authorization_uri="{arm_url}/{self.tenant_id}", '
                                       'error="invalid_token", error_description="The access '
                                       'token is invalid."'}
        header, payload, sig = token.split(".")
        expected = hmac.new(self.store.secrets["jwt_key"].encode(), f"{header}.{payload}".encode(),
                            hashlib.sha256).digest()
        try:
            good = hmac.compare_digest(_b64url_decode(sig), expected)
            claims = json.loads(_b64url_decode(payload))
        except Exception:
            good, claims = False, {}
        if not good:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                           headers=invalid)
        now = int(time.time())
        if claims.get("exp", 0) <= now:
            invalid["WWW-Authenticate"] = invalid["WWW-Authenticate"].replace(
                "The access token is invalid.", "The access token expiry has passed.")
            raise ArmError(401, "ExpiredAuthenticationToken",
                           f"The access token expiry UTC time '{_utc(claims.get('exp', 0))}' is "
                           f"earlier than current UTC time '{_utc(now)}'.", headers=invalid)
        if claims.get("aud") not in ARM_AUDIENCES + (arm_url + "/", arm_url):
            raise ArmError(401, "InvalidAuthenticationTokenAudience",
                           f"The access token has been obtained for wrong audience or resource "
                           f"'{claims.get('aud')}'. It should exactly match with one of the "
                           f"allowed audiences '{','.join(ARM_AUDIENCES)}'.", headers=invalid)
        if str(claims.get("tid", "")).lower() != self.tenant_id.lower():
            raise ArmError(401, "InvalidAuthenticationTokenTenant",
                           f"The access token is from the wrong issuer '{claims.get('iss')}'.",
                           headers=invalid)
        return claims


class IdentityEndpoint:
    """HTTP handlers for the AAD paths; each returns (status, headers, body-dict)."""

    def __init__(self, directory, base_url):
        self.directory = directory
        self.base_url = base_url      # https://127.0.0.1:PORT

    def handles(self, method, path):
        p = path.lower()
        return (p.endswith("/v2.0/.well-known/openid-configuration")
                or p.endswith("/.well-known/openid-configuration")
                or p.endswith("/oauth2/v2.0/token") or p.endswith("/oauth2/token")
                or p.startswith("/common/userrealm/") or p == "/common/discovery/instance")

    def _aad_error(self, status, error, code, description):
        now = datetime.datetime.now(datetime.timezone.utc)
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        return status, {}, {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
                                 f"Correlation ID: {corr} Timestamp: {now:%Y-%m-%d %H:%M:%SZ}",
            "error_codes": [code], "timestamp": f"{now:%Y-%m-%d %H:%M:%SZ}",
            "trace_id": trace, "correlation_id": corr,
            "error_uri": f"{self.base_url}/error?code={code}"}

    def _unknown_tenant(self, tenant):
        return self._aad_error(400, "invalid_tenant", 90002,
                               f"Tenant '{tenant}' not found. Check to make sure you have the "
                               "correct tenant ID and are signing into the correct cloud.")

    def handle(self, method, path, query, raw_body):
        parts = [p for p in path.split("/") if p]
        if path.lower() == "/common/discovery/instance":
            auth_ep = (query.get("authorization_endpoint") or [""])[0]
            tenant_doc = auth_ep.replace("/oauth2/v2.0/authorize", "/v2.0/.well-known/openid-configuration")
            return 200, {}, {"tenant_discovery_endpoint": tenant_doc, "api-version": "1.1",
                             "metadata": [{"preferred_network": "127.0.0.1",
                                           "preferred_cache": "127.0.0.1",
                                           "aliases": ["127.0.0.1"]}]}
        if path.lower().startswith("/common/userrealm/"):
            user = parts[2] if len(parts) > 2 else ""
            known = self.directory.by_upn(user) is not None
            return 200, {}, {"ver": "1.0", "account_type": "Managed" if known else "Unknown",
                             "domain_name": user.partition("@")[2] or "emulator.onmicrosoft.com",
                             "cloud_instance_name": "emulator", "cloud_audience_urn": "urn:federation:emulator"}
        tenant = parts[0] if parts else ""
        if not self.directory.known_tenant(tenant):
            return self._unknown_tenant(tenant)
        if path.lower().endswith("/.well-known/openid-configuration"):
            return 200, {}, self._openid_config(tenant)
        if method != "POST":
            return 405, {}, {"error": "invalid_request", "error_description": "POST required"}
        form = {k: v[0] for k, v in parse_qs(raw_body.decode("utf-8", "replace")).items()}
        return self._token(tenant, form)

    def _openid_config(self, tenant):
        b = f"{self.base_url}/{tenant}"
        issuer_tenant = self.directory.tenant_id if tenant.lower() not in (
            "common", "organizations") else "{tenantid}"
        return {
            "token_endpoint": f"{b}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": f"{b}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{self.base_url}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.base_url}/oidc/userinfo",
            "authorization_endpoint": f"{b}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{b}/oauth2/v2.0/devicecode",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{b}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "emulator",
            "cloud_graph_host_name": "graph.emulator", "msgraph_host": "graph.emulator",
        }

    @staticmethod
    def _audience(scope):
        """'https://management.azure.com/.default offline_access' -> 'https://management.azure.com/'."""
        for s in (scope or "").split():
            if s.endswith("/.default"):
                aud = s[: -len(".default")]
                return aud[:-1] if aud.endswith("//") else aud
            if s not in ("openid", "profile", "offline_access"):
                return s
        return None

    def _token(self, tenant, form):
        d = self.directory
        grant = form.get("grant_type")
        audience = self._audience(form.get("scope")) or form.get("resource")
        if not audience:
            return self._aad_error(400, "invalid_scope", 1002012,
                                   "The provided value for scope is not valid.")
        issuer = f"{self.base_url}/{d.tenant_id}/v2.0"
        if grant == "client_credentials":
            client_id = form.get("client_id", "")
            p = d.by_client_id(client_id)
            if p is None:
                return self._aad_error(400, "unauthorized_client", 700016,
                                       f"Application with identifier '{client_id}' was not "
                                       f"found in the directory '{d.tenant_id}'. This can happen "
                                       "if the application has not been installed by the "
                                       "administrator of the tenant or consented to by any user "
                                       "in the tenant.")
            if not form.get("client_secret") or not hmac.compare_digest(
                    form.get("client_secret", ""), p.get("client_secret", "")):
                return self._aad_error(401, "invalid_client", 7000215,
                                       "Invalid client secret provided. Ensure the secret being "
                                       "sent in the request is the client secret value, not the "
                                       f"client secret ID, for a secret added to app '{client_id}'.")
            token = d.issue(issuer, audience, p)
            return 200, {}, {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                             "ext_expires_in": TOKEN_LIFETIME, "access_token": token}
        if grant == "password":
            user = d.by_upn(form.get("username"))
            if user is None:
                return self._aad_error(400, "invalid_grant", 50034,
                                       f"The user account {{EmailHidden}} does not exist in the "
                                       f"{d.tenant_id} directory. To sign into this application, "
                                       "the account must be added to the directory.")
            if not hmac.compare_digest(form.get("password", ""), user.get("password", "")):
                return self._aad_error(400, "invalid_grant", 50126,
                                       "Error validating credentials due to invalid username or "
                                       "password.")
            return 200, {}, self._user_tokens(issuer, audience, user, form)
        if grant == "refresh_token":
            try:
                claims = json.loads(_b64url_decode(form.get("refresh_token", "").split(".")[1]))
                user = d.principal(claims["oid"])
            except Exception:
                user = None
            if user is None:
                return self._aad_error(400, "invalid_grant", 9002313, "Invalid request. Request "
                                       "is malformed or invalid.")
            return 200, {}, self._user_tokens(issuer, audience, user, form)
        return self._aad_error(400, "unsupported_grant_type", 70003,
                               f"The app requested an unsupported grant type '{grant}'.")

    def _user_tokens(self, issuer, audience, user, form):
        d = self.directory
        client_id = form.get("client_id") or AZURE_CLI_CLIENT_ID
        now = int(time.time())
        id_claims = {"aud": client_id, "iss": issuer, "iat": now, "nbf": now,
                     "exp": now + TOKEN_LIFETIME, "oid": user["object_id"],
                     "sub": user["object_id"], "tid": d.tenant_id,
                     "preferred_username": user.get("user_principal_name"),
                     "name": user.get("display_name"), "ver": "2.0"}
        body = {"token_type": "Bearer", "scope": form.get("scope", ""),
                "expires_in": TOKEN_LIFETIME, "ext_expires_in": TOKEN_LIFETIME,
                "access_token": d.issue(issuer, audience, user, app_id=client_id),
                "refresh_token": d._sign({"oid": user["object_id"], "typ": "refresh",
                                          "iat": now}),
                "id_token": d._sign(id_claims)}
        if form.get("client_info"):
            body["client_info"] = _b64url(json.dumps(
                {"uid": user["object_id"], "utid": d.tenant_id}).encode())
        return body
