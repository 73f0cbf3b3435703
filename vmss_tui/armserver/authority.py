"""The emulator's own token authority, served on the ARM endpoint's HTTPS server.

What `az login --service-principal` and azure-identity need from Microsoft Entra ID, and no more:
the OpenID discovery documents (`/{tenant}/v2.0/.well-known/openid-configuration` and the v1 form
`/{tenant}/.well-known/openid-configuration`), the signing keys (`/{tenant}/discovery/v2.0/keys`)
and a token endpoint (`/{tenant}/oauth2/v2.0/token`, `/{tenant}/oauth2/token`) that grants
client credentials to the clients registered here. Device code sign-in (`az login --use-device-code`)
is served too: `/{tenant}/oauth2/v2.0/devicecode` starts a flow, and the code is approved by a
registered client proving its secret (`vmss-tui emulator approve CODE`, the stand-in for the
device-login page), after which the polling app gets an access token, an ID token and a refresh
token naming that client. Tokens are RS256 JWTs signed with a key kept
in the endpoint's state directory (0600), and the endpoint accepts only tokens this authority
issued: right signature, issuer, audience and not expired. The token's client name becomes the
operator in the audit trail. Design and sources: docs/emulator-fidelity.md, "Sign-in and az".

Never imports `azure`; PyJWT (a dependency of msal, so of azure-identity) signs and checks.
"""

from __future__ import annotations

import fcntl
import getpass
import hmac
import json
import os
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from ..backends.azure.client import EMULATOR_AUTHORITY_FILE, EMULATOR_ENDPOINT_FILE
from ..domain.names import shown
from .tls import _write

AUTHORITY_FILE = EMULATOR_AUTHORITY_FILE
"""Tenant id and registered clients (ids, names, secrets): readable by the owner only. The
adapter's `--auth emulator` and `emulator az-login` read it (backends/azure/client.py)."""
SIGNING_KEY_FILE = "token-signing-key.pem"
"""The RSA key tokens are signed with: readable by the owner only."""
TOKEN_LIFETIME_SECONDS = 3600
"""Entra ID's default access-token lifetime is 60-90 minutes; one hour, as its `expires_in` 3599 says."""
ARM_AUDIENCES = ("https://management.core.windows.net", "https://management.azure.com")
"""Resources a token may be asked for besides the endpoint's own URL: the public cloud's ARM
audiences, which the Azure SDK (`https://management.azure.com/.default`) and az ask for."""
REFRESH_TOKEN_LIFETIME_SECONDS = 90 * 24 * 3600
"""Entra ID's refresh tokens last 90 days (sliding); the emulator's are signed JWTs, so they survive a restart."""
DEVICE_CODE_LIFETIME_SECONDS = 900
"""Entra ID's device codes expire after 15 minutes (`expires_in: 900`)."""
DEVICE_CODE_INTERVAL_SECONDS = 1
"""How often the app should poll; Entra says 5. One second keeps `az login --use-device-code` quick here."""
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_DOMAIN = "vmss-tui.emulator"
"""The tenant's domain (`GET /tenants` reports it): a device-code sign-in's user is `<client name>@` it."""
_USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PUBLIC_CLIENT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

Answer = tuple[int, Any, dict[str, str]]
"""What a route answers: status, JSON body (or None), headers; the ARM app wraps it in its Response."""


@dataclass(frozen=True)
class Client:
    """An application registered with the authority: who may ask for tokens, and under what name."""

    client_id: str
    name: str
    """Shown as the operator in the audit trail."""
    secret: str


@dataclass
class DeviceFlow:
    """A device-code sign-in waiting for, or given, approval (kept in the serving process only)."""

    device_code: str
    user_code: str
    public_client_id: str
    """The app that asked (az's own public client id): the ID token's audience."""
    audience: str
    scope: str
    expires_at: float
    approved_by: "Client | None" = None


class AuthorityError(Exception):
    """The authority's files cannot be read or written."""


class TokenAuthority:
    """Issues and checks the endpoint's access tokens; its keys and clients live in `state_dir`."""

    def __init__(self, state_dir: Path | str) -> None:
        self.state_dir = Path(state_dir)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._loaded_mtime = -1.0
        self._clients: dict[str, Client] = {}
        self.tenant_id = ""
        self._private_key: Any = None
        self._public_key: Any = None
        self._kid = ""
        self._device_flows: dict[str, DeviceFlow] = {}
        """By user code; guarded by `_lock`."""
        self._load_or_create()

    # ------------------------------------------------------------ state on disk

    @property
    def authority_path(self) -> Path:
        return self.state_dir / AUTHORITY_FILE

    @property
    def key_path(self) -> Path:
        return self.state_dir / SIGNING_KEY_FILE

    def _load_or_create(self) -> None:
        """Read the tenant, clients and signing key, creating them (owner-only files) the first time."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.state_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.state_dir / ".authority.lock"):
            if not self.key_path.exists():
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                _write(self.key_path, key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()), private=True)
            if not self.authority_path.exists():
                data = {"tenantId": str(uuid.uuid4()), "clients": []}
                _write(self.authority_path, json.dumps(data, indent=2).encode(), private=True)
        try:
            self._private_key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise AuthorityError(f"the token signing key {self.key_path} cannot be read: {error}") from None
        self._public_key = self._private_key.public_key()
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self._public_key.public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo))
        self._kid = digest.finalize().hex()[:32]
        self._reload_clients()

    def _reload_clients(self) -> None:
        """Re-read the clients when the file changed (another process registered one)."""
        try:
            mtime = self.authority_path.stat().st_mtime
        except OSError as error:
            raise AuthorityError(f"the authority file {self.authority_path} cannot be read: {error}") from None
        if mtime == self._loaded_mtime:
            return
        try:
            data = json.loads(self.authority_path.read_text(encoding="utf-8"))
            clients = {str(c["clientId"]).lower(): Client(str(c["clientId"]), str(c["name"]), str(c["secret"]))
                       for c in data.get("clients", [])}
            tenant = str(uuid.UUID(str(data["tenantId"])))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise AuthorityError(f"the authority file {self.authority_path} cannot be read: {error}") from None
        with self._lock:
            self._clients, self.tenant_id, self._loaded_mtime = clients, tenant, mtime

    def client_for(self, name: str | None = None) -> Client:
        """The client registered under `name` (default: the OS user), registering it the first time."""
        name = name or getpass.getuser()
        if not _CLIENT_NAME.match(name):
            raise AuthorityError(f"'{shown(name)}' cannot name a client: use letters, digits, '.', '_', '@' or '-' "
                                 "(at most 64, starting with a letter or digit)")
        self._reload_clients()
        for client in self._clients.values():
            if client.name == name:
                return client
        with _locked(self.state_dir / ".authority.lock"):
            data = json.loads(self.authority_path.read_text(encoding="utf-8"))
            for entry in data.get("clients", []):
                if entry.get("name") == name:
                    break
            else:
                secret = secrets.token_urlsafe(32)
                while secret.startswith("-"):  # `az login -p <secret>` would read it as an option
                    secret = secrets.token_urlsafe(32)
                data.setdefault("clients", []).append({"clientId": str(uuid.uuid4()), "name": name, "secret": secret})
                _write(self.authority_path, json.dumps(data, indent=2).encode(), private=True)
        self._loaded_mtime = -1.0
        self._reload_clients()
        return next(c for c in self._clients.values() if c.name == name)

    # ------------------------------------------------------------ tokens

    def issuer(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/{self.tenant_id}/v2.0"

    def allowed_audiences(self, base_url: str) -> tuple[str, ...]:
        """Every spelling of the resources a token may be for, with and without the trailing slash."""
        resources = (*ARM_AUDIENCES, base_url.rstrip("/"))
        return tuple(spelling for resource in resources for spelling in (resource, resource + "/"))

    def issue(self, client: Client, audience: str, base_url: str, *, lifetime: int = TOKEN_LIFETIME_SECONDS,
              now: float | None = None) -> str:
        """A signed access token for `client`, valid for `audience` for `lifetime` seconds."""
        import jwt

        issued = int(time.time() if now is None else now)
        claims = {"aud": audience, "iss": self.issuer(base_url), "iat": issued, "nbf": issued,
                  "exp": issued + lifetime, "sub": client.client_id, "oid": client.client_id,
                  "appid": client.client_id, "azp": client.client_id, "app_displayname": client.name,
                  "tid": self.tenant_id, "idtyp": "app", "ver": "2.0", "uti": secrets.token_urlsafe(16)}
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self._kid})

    def check_bearer(self, token: str, base_url: str) -> Answer | None:
        """None when `token` is one of ours and valid (its client becomes `current_principal()`), else ARM's 401."""
        import jwt

        self._local.principal = None
        audiences = self.allowed_audiences(base_url)
        try:
            claims = jwt.decode(token, self._public_key, algorithms=["RS256"], audience=list(audiences),
                                issuer=self.issuer(base_url),
                                options={"require": ["exp", "iat", "aud", "iss", "sub"]})
        except jwt.ExpiredSignatureError:
            expiry = _unverified_claims(token).get("exp")
            now = datetime.now(timezone.utc)
            expired = (datetime.fromtimestamp(float(expiry), timezone.utc)
                       if isinstance(expiry, (int, float)) else now)
            return self._refuse("ExpiredAuthenticationToken",
                                f"The access token expiry UTC time '{expired:%m/%d/%Y %I:%M:%S %p}' is earlier than "
                                f"current UTC time '{now:%m/%d/%Y %I:%M:%S %p}'.", base_url)
        except jwt.InvalidAudienceError:
            got = _unverified_claims(token).get("aud")
            allowed = ",".join(f"'{a}'" for a in audiences)
            return self._refuse("InvalidAuthenticationTokenAudience",
                                f"The access token has been obtained for wrong audience or resource "
                                f"'{shown(str(got), 200)}'. It should exactly match with one of the allowed "
                                f"audiences {allowed}.", base_url)
        except jwt.InvalidIssuerError:
            return self._refuse("InvalidAuthenticationTokenTenant",
                                "The access token is from the wrong issuer. It must match the tenant "
                                f"'{self.issuer(base_url)}' associated with this subscription.", base_url)
        except jwt.PyJWTError:
            return self._refuse("InvalidAuthenticationToken",
                                "The access token is invalid: it was not issued by this endpoint's authority "
                                f"({base_url.rstrip('/')}/{self.tenant_id}).", base_url)
        self._reload_clients()
        # The client the token names: an app token's oid is its own client id; a device-code sign-in's oid is the
        # client that approved it (its appid is the public app that asked, az's).
        client = self._clients.get(str(claims.get("oid") or claims.get("appid", "")).lower())
        if client is None:  # the client was removed since the token was issued
            return self._refuse("InvalidAuthenticationToken",
                                "The access token is invalid: its application is no longer registered.", base_url)
        self._local.principal = client.name
        return None

    def current_principal(self) -> str | None:
        """The client name of the last token this thread checked (for its request's audit line)."""
        return getattr(self._local, "principal", None)

    def answered_sign_in(self) -> bool:
        """True when this thread's last request was one of the authority's own (discovery, keys, token)."""
        return bool(getattr(self._local, "sign_in", False))

    def _refuse(self, code: str, message: str, base_url: str) -> Answer:
        challenge = (f'Bearer authorization_uri="{base_url.rstrip("/")}/{self.tenant_id}", error="invalid_token", '
                     f'error_description="{code}"')
        return 401, {"error": {"code": code, "message": message}}, {"WWW-Authenticate": challenge}

    # ------------------------------------------------------------ routes

    def serve(self, method: str, target: str, headers: Mapping[str, str], body: bytes, base_url: str,
              ) -> Answer | None:
        """Answer an authority request, or None when `target` is not one (the ARM routes take it)."""
        path = unquote(urlsplit(target).path).rstrip("/")
        match = _ROUTE.match(path)
        self._local.principal, self._local.sign_in = None, match is not None
        if match is None:
            return None
        tenant, route = match.group("tenant"), match.group("route").lower()
        base = base_url.rstrip("/")
        if tenant.lower() not in (self.tenant_id, "organizations", "common"):
            return _oauth_error(400, "invalid_request", 90002,
                                f"Tenant '{shown(tenant)}' not found. Check to make sure you have the correct "
                                "tenant ID and are signing into the correct cloud.")
        if route in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
            if method not in ("GET", "HEAD"):
                return 405, {"error": "invalid_request", "error_description": "Use GET."}, {}
            return 200, self.discovery_document(base, version="" if route.startswith(".") else "v2.0"), {}
        if route == "discovery/v2.0/keys" or route == "discovery/keys":
            return 200, self.jwks(), {}
        if route == "oauth2/v2.0/deviceauth":
            return self._device_approval(method, headers, body, base)
        if method != "POST":
            return 405, {"error": "invalid_request",
                         "error_description": "AADSTS900561: The endpoint only accepts POST requests."}, {}
        if route == "oauth2/v2.0/devicecode":
            return self._device_code(headers, body, base)
        return self._token(headers, body, base, v1=(route == "oauth2/token"))

    def discovery_document(self, base: str, *, version: str = "v2.0") -> dict[str, Any]:
        """The OpenID Provider metadata MSAL reads (authorization and token endpoints, issuer, keys)."""
        root = f"{base}/{self.tenant_id}"
        v2 = version == "v2.0"
        return {
            "token_endpoint": f"{root}/oauth2/v2.0/token" if v2 else f"{root}/oauth2/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{root}/discovery/v2.0/keys" if v2 else f"{root}/discovery/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "grant_types_supported": ["client_credentials", DEVICE_GRANT, "refresh_token"],
            **({"device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode"} if v2 else {}),
            "issuer": self.issuer(base) if v2 else f"{root}/",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize" if v2 else f"{root}/oauth2/authorize",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout" if v2 else f"{root}/oauth2/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid", "azp",
                                 "app_displayname", "idtyp", "ver"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": urlsplit(base).netloc,
            "cloud_graph_host_name": urlsplit(base).netloc,
            "msgraph_host": urlsplit(base).netloc,
        }

    def jwks(self) -> dict[str, Any]:
        """The public signing key as a JSON Web Key Set, so anyone can check a token's signature."""
        import base64

        numbers = self._public_key.public_numbers()

        def b64(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self._kid, "n": b64(numbers.n),
                          "e": b64(numbers.e)}]}

    def _token(self, headers: Mapping[str, str], body: bytes, base: str, *, v1: bool) -> Answer:
        """The token endpoint: client credentials, and (v2) the device-code and refresh-token grants."""
        form = _form(headers, body)
        if not isinstance(form, dict):
            return form
        grant = form.get("grant_type", "")
        if grant == DEVICE_GRANT and not v1:
            return self._device_token(form, base)
        if grant == "refresh_token" and not v1:
            return self._refreshed(form, base)
        return self._client_credentials(form, headers, base, v1=v1)

    def _client_credentials(self, form: dict[str, str], headers: Mapping[str, str], base: str, *,
                            v1: bool) -> Answer:
        """The client-credentials grant: a registered client's id and secret buy a token for an ARM audience."""
        lowered = {k.lower(): v for k, v in headers.items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = lowered.get("authorization", "")
        if basic.lower().startswith("basic "):
            import base64
            import binascii

            try:
                decoded = base64.b64decode(basic[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            user, _, password = decoded.partition(":")
            client_id, secret = client_id or unquote(user), secret or unquote(password)
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", 70003,
                                f"The app requested an unsupported grant type '{shown(grant)}': this authority "
                                "grants client_credentials (az login --service-principal), and on the v2.0 endpoint "
                                "device codes (az login --use-device-code) and refresh tokens.")
        client = self._authenticated(client_id, secret)
        if not isinstance(client, Client):
            return client
        audience = self._audience(form, base, v1=v1)
        if not isinstance(audience, str):
            return audience
        token = self.issue(client, audience, base)
        resources = [audience]
        answer: dict[str, Any] = {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS - 1,
                                  "ext_expires_in": TOKEN_LIFETIME_SECONDS - 1, "access_token": token}
        if v1:
            answer.update({"expires_on": str(int(time.time()) + TOKEN_LIFETIME_SECONDS - 1),
                           "resource": resources[0]})
        return 200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"}

    def _authenticated(self, client_id: str, secret: str) -> "Client | Answer":
        """The registered client whose secret this is, or Entra ID's refusal."""
        if not client_id:
            return _oauth_error(400, "invalid_request", 900144,
                                "The request body must contain the following parameter: 'client_id'.")
        self._reload_clients()
        client = self._clients.get(client_id.lower())
        if client is None:
            return _oauth_error(400, "unauthorized_client", 700016,
                                f"Application with identifier '{shown(client_id)}' was not found in the directory "
                                f"'{self.tenant_id}'. Run `vmss-tui emulator az-login` to register this user's "
                                "client.")
        if not secret:
            return _oauth_error(401, "invalid_client", 7000218,
                                "The request body must contain the following parameter: 'client_assertion' or "
                                "'client_secret'.")
        if not hmac.compare_digest(secret.encode(), client.secret.encode()):
            return _oauth_error(401, "invalid_client", 7000215,
                                "Invalid client secret provided. Ensure the secret being sent in the request is the "
                                f"client secret value, not the client secret ID, for a secret added to app "
                                f"'{client.client_id}'.")
        return client

    def _audience(self, form: Mapping[str, str], base: str, *, v1: bool) -> "str | Answer":
        """The one ARM resource a token request's scope (v2) or resource (v1) names, or `invalid_scope`."""
        if v1:
            resources = [form.get("resource", "")]
        else:
            resources = [s for s in form.get("scope", "").split() if s not in _RESERVED_SCOPES]
            resources = [s[:-len("/.default")] if s.endswith("/.default") else "" for s in resources]
        if len(resources) != 1 or resources[0] not in self.allowed_audiences(base):
            asked = form.get("resource" if v1 else "scope", "")
            return _oauth_error(400, "invalid_scope", 70011,
                                f"The provided value for the input parameter 'scope' is not valid: "
                                f"'{shown(asked, 200)}'. This authority issues tokens for the ARM endpoint only: "
                                f"'{base}/.default' or 'https://management.azure.com/.default'.")
        return resources[0]

    # ------------------------------------------------------------ device code and refresh tokens

    def _device_code(self, headers: Mapping[str, str], body: bytes, base: str) -> Answer:
        """Start a device-code sign-in (RFC 8628 section 3.1-3.2, as Entra ID answers it)."""
        form = _form(headers, body)
        if not isinstance(form, dict):
            return form
        public_client_id = form.get("client_id", "")
        if not _PUBLIC_CLIENT_ID.match(public_client_id):
            return _oauth_error(400, "invalid_request", 900144,
                                "The request body must contain the following parameter: 'client_id' (a GUID).")
        audience = self._audience(form, base, v1=False)
        if not isinstance(audience, str):
            return audience
        now = time.time()
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        flow = DeviceFlow(secrets.token_urlsafe(32), user_code, public_client_id, audience, form.get("scope", ""),
                          now + DEVICE_CODE_LIFETIME_SECONDS)
        with self._lock:
            self._device_flows = {code: f for code, f in self._device_flows.items() if f.expires_at > now}
            if len(self._device_flows) >= 256:  # a loop asking for codes cannot grow the server without bound
                return _oauth_error(400, "temporarily_unavailable", 90100,
                                    "Too many device codes are waiting for approval; try again later.")
            self._device_flows[user_code] = flow
        verification = f"{base}/{self.tenant_id}/oauth2/v2.0/deviceauth"
        return 200, {"user_code": user_code, "device_code": flow.device_code, "verification_uri": verification,
                     "expires_in": DEVICE_CODE_LIFETIME_SECONDS, "interval": DEVICE_CODE_INTERVAL_SECONDS,
                     "message": (f"To sign in to the vmss-tui emulator, run `vmss-tui emulator approve {user_code}` "
                                 "in another terminal, as the user to sign in as (it proves that user's client "
                                 "secret; the emulator's stand-in for the device login page).")}, \
            {"Cache-Control": "no-store"}

    def _device_approval(self, method: str, headers: Mapping[str, str], body: bytes, base: str) -> Answer:
        """Approve a waiting device code as the registered client whose id and secret come with it."""
        if method != "POST":
            return 405, {"error": "invalid_request", "error_description": (
                "Approve a device code with `vmss-tui emulator approve CODE` (POST user_code, client_id and "
                "client_secret here).")}, {}
        form = _form(headers, body)
        if not isinstance(form, dict):
            return form
        client = self._authenticated(form.get("client_id", ""), form.get("client_secret", ""))
        if not isinstance(client, Client):
            return client
        user_code = form.get("user_code", "").strip().upper().replace("-", "")
        with self._lock:
            flow = self._device_flows.get(user_code)
            if flow is None or flow.expires_at <= time.time():
                return _oauth_error(400, "expired_token", 70019,
                                    f"The code '{shown(user_code, 40)}' is not waiting for approval: it was never "
                                    "issued, was already used, or expired (codes last 15 minutes).")
            if flow.approved_by is not None:
                return _oauth_error(400, "invalid_grant", 70000,
                                    f"The code '{user_code}' was already approved.")
            flow.approved_by = client
        return 200, {"approved": True, "user_code": user_code, "name": client.name,
                     "username": f"{client.name}@{USER_DOMAIN}"}, {"Cache-Control": "no-store"}

    def _device_token(self, form: Mapping[str, str], base: str) -> Answer:
        """Poll for a device code's tokens: pending until approved, then once, then never again."""
        device_code = form.get("device_code", "")
        with self._lock:
            flow = next((f for f in self._device_flows.values()
                         if hmac.compare_digest(f.device_code.encode(), device_code.encode())), None)
            if flow is None:
                return _oauth_error(400, "invalid_grant", 70000,
                                    "The provided device code is not valid: it was never issued or was already used.")
            if flow.expires_at <= time.time():
                del self._device_flows[flow.user_code]
                return _oauth_error(400, "expired_token", 70019,
                                    "Verification code expired. Start the sign-in again (codes last 15 minutes).")
            if flow.approved_by is None:
                return _oauth_error(400, "authorization_pending", 70016,
                                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
            del self._device_flows[flow.user_code]
        return self._user_tokens(flow.approved_by, flow.public_client_id, flow.audience, flow.scope, base)

    def _refreshed(self, form: Mapping[str, str], base: str) -> Answer:
        """A refresh token (ours, unexpired, for this app, its client still registered) buys new tokens."""
        import jwt

        try:
            claims = jwt.decode(form.get("refresh_token", ""), self._public_key, algorithms=["RS256"],
                                audience=self._refresh_audience(base), issuer=self.issuer(base),
                                options={"require": ["exp", "iat", "aud", "iss", "sub", "azp"]})
        except jwt.PyJWTError:
            return _oauth_error(400, "invalid_grant", 9002313,
                                "Invalid request. The refresh token is malformed, expired or was not issued by this "
                                "authority. Sign in again (az login).")
        if str(claims["azp"]).lower() != form.get("client_id", "").lower():
            return _oauth_error(400, "invalid_grant", 70000,
                                "The refresh token was issued to a different application.")
        self._reload_clients()
        client = self._clients.get(str(claims["sub"]).lower())
        if client is None:
            return _oauth_error(400, "invalid_grant", 700016,
                                "The client the refresh token names is no longer registered. Sign in again.")
        audience = self._audience(form, base, v1=False)
        if not isinstance(audience, str):
            return audience
        return self._user_tokens(client, str(claims["azp"]), audience, form.get("scope", ""), base)

    def _refresh_audience(self, base: str) -> str:
        """A refresh token's audience: the authority itself, never an ARM audience (so it is no access token)."""
        return f"{self.issuer(base)}/refresh"

    def _user_tokens(self, client: Client, public_client_id: str, audience: str, scope: str, base: str) -> Answer:
        """Access, ID and refresh tokens for a signed-in user (the approving client), as Entra ID returns them."""
        import base64

        import jwt

        now = int(time.time())
        username = f"{client.name}@{USER_DOMAIN}"
        access = jwt.encode({"aud": audience, "iss": self.issuer(base), "iat": now, "nbf": now,
                             "exp": now + TOKEN_LIFETIME_SECONDS, "sub": client.client_id, "oid": client.client_id,
                             "appid": public_client_id, "azp": public_client_id, "name": client.name,
                             "upn": username, "unique_name": username, "tid": self.tenant_id, "idtyp": "user",
                             "scp": "user_impersonation", "ver": "2.0", "uti": secrets.token_urlsafe(16)},
                            self._private_key, algorithm="RS256", headers={"kid": self._kid})
        id_token = jwt.encode({"aud": public_client_id, "iss": self.issuer(base), "iat": now, "nbf": now,
                               "exp": now + TOKEN_LIFETIME_SECONDS, "sub": client.client_id, "oid": client.client_id,
                               "tid": self.tenant_id, "name": client.name, "preferred_username": username,
                               "ver": "2.0"}, self._private_key, algorithm="RS256", headers={"kid": self._kid})
        refresh = jwt.encode({"aud": self._refresh_audience(base), "iss": self.issuer(base), "iat": now,
                              "exp": now + REFRESH_TOKEN_LIFETIME_SECONDS, "sub": client.client_id,
                              "azp": public_client_id, "typ": "refresh", "uti": secrets.token_urlsafe(16)},
                             self._private_key, algorithm="RS256", headers={"kid": self._kid})
        info = base64.urlsafe_b64encode(json.dumps({"uid": client.client_id, "utid": self.tenant_id}).encode())
        granted = " ".join(part for part in scope.split() if part != "offline_access") or f"{audience}/.default"
        return 200, {"token_type": "Bearer", "scope": granted, "expires_in": TOKEN_LIFETIME_SECONDS - 1,
                     "ext_expires_in": TOKEN_LIFETIME_SECONDS - 1, "access_token": access, "refresh_token": refresh,
                     "id_token": id_token, "client_info": info.decode().rstrip("=")}, \
            {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _form(headers: Mapping[str, str], body: bytes) -> "dict[str, str] | Answer":
    """An OAuth request's form body, or Entra ID's refusal of a body that is not one."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if not lowered.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
        return _oauth_error(400, "invalid_request", 900144,
                            "The request body must be application/x-www-form-urlencoded.")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body),
                              max_num_fields=32))
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", 900144, "The request body is not a form.")


_ROUTE = re.compile(r"^/(?P<tenant>[^/]+)/(?P<route>v2\.0/\.well-known/openid-configuration|"
                    r"\.well-known/openid-configuration|discovery/v2\.0/keys|discovery/keys|oauth2/v2\.0/token|"
                    r"oauth2/token|oauth2/v2\.0/devicecode|oauth2/v2\.0/deviceauth)$", re.IGNORECASE)


def _oauth_error(status: int, error: str, code: int, description: str) -> Answer:
    """An error as Entra ID sends it: OAuth's `error` plus `AADSTS<code>: ...` and `error_codes`."""
    now = datetime.now(timezone.utc)
    return status, {"error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code],
                    "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"), "trace_id": str(uuid.uuid4()),
                    "correlation_id": str(uuid.uuid4())}, {"Cache-Control": "no-store"}


def _unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token already known to be ours but refused (for the message only)."""
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


class _locked:
    """An exclusive flock on `path` while the files beside it are created or changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.descriptor = -1

    def __enter__(self) -> "_locked":
        self.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.descriptor, fcntl.LOCK_UN)
        os.close(self.descriptor)


ENDPOINT_FILE = EMULATOR_ENDPOINT_FILE
"""Where the running endpoint is (base URL, tenant, subscription), for `vmss-tui emulator az-login`."""


def attach_authority(settings: Any, state_dir: Path | str) -> TokenAuthority:
    """The authority of the endpoint whose state is in `state_dir`, set on its `ServerSettings`.

    Registers the OS user's client so `emulator az-login` and `--auth emulator` can sign in at once.
    """
    authority = TokenAuthority(state_dir)
    authority.client_for()
    settings.authority = authority
    return authority


def announce(authority: TokenAuthority, base_url: str, subscription_id: str) -> None:
    """Write where the endpoint listens, so `emulator az-login` finds it without being told."""
    data = {"baseUrl": base_url, "tenantId": authority.tenant_id, "subscriptionId": subscription_id,
            "pid": os.getpid()}
    _write(authority.state_dir / ENDPOINT_FILE, json.dumps(data, indent=2).encode(), private=True)


def audited(audit: Any, authority: TokenAuthority) -> Any:
    """The endpoint's audit hook with the operator taken from the request's token.

    Sign-in requests are not changes and are not recorded; a request without a valid token is
    recorded as `anonymous` (it was refused with 401 and changed nothing).
    """
    if audit is None:
        return None

    def record(method: str, target: str, status: int, body: object, client_address: str) -> None:
        if authority.answered_sign_in():
            return
        audit(method, target, status, body, client_address, operator=authority.current_principal() or "anonymous")

    return record
