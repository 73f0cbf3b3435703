"""Credential, subscription and `ComputeManagementClient` construction for the live adapter."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ...domain.errors import AuthenticationFailed, AzureError, InvalidParameter
from ...arm.errors import LOGIN_HINT

AUTH_MODES = ("default", "cli", "env", "device", "emulator")
"""`emulator` signs in to `vmss-tui emulator serve`'s own token authority as this OS user's client."""

EMULATOR_AUTHORITY_FILE = "authority.json"
"""In the endpoint's state dir (beside ca.pem): its tenant and registered clients, owner-only
(written by vmss_tui/armserver/authority.py, which registers the OS user's client at start)."""


EMULATOR_ENDPOINT_FILE = "endpoint.json"
"""In the endpoint's state dir: where it last listened (base URL, tenant, subscription), for `emulator az-login`."""


@dataclass(frozen=True)
class EmulatorSignIn:
    """A client of the emulator endpoint's token authority: what `az login --service-principal` takes."""

    tenant_id: str
    client_id: str
    secret: str
    name: str


def emulator_state_dir(ca_bundle: str | Path | None = None) -> Path:
    """The endpoint state dir: the CA bundle's folder when it holds the authority, else the default one.

    `vmss-tui emulator serve` prints `<state dir>/ca.pem` as the CA bundle, so `--ca-bundle` names it.
    """
    if ca_bundle:
        folder = Path(ca_bundle).expanduser().parent
        if (folder / EMULATOR_AUTHORITY_FILE).exists():
            return folder
    from platformdirs import user_data_path

    return user_data_path("vmss-tui", appauthor=False) / "armserver"  # = armserver.default_state_dir()


def emulator_sign_in(state_dir: str | Path, name: str | None = None) -> EmulatorSignIn:
    """This OS user's client (or `name`'s) from the endpoint state dir.

    Raises:
        AuthenticationFailed: no authority there (the endpoint never ran) or no client for the user.
    """
    import getpass

    name = name or getpass.getuser()
    path = Path(state_dir) / EMULATOR_AUTHORITY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuthenticationFailed(f"No emulator token authority in {path.parent}: start `vmss-tui emulator serve` "
                                   "(with the same --state-dir) first.") from None
    except (OSError, ValueError) as error:
        raise AuthenticationFailed(f"The emulator's authority file {path} cannot be read: {error}.") from None
    for client in data.get("clients") or ():
        if isinstance(client, dict) and client.get("name") == name:
            return EmulatorSignIn(str(data.get("tenantId")), str(client.get("clientId")), str(client.get("secret")),
                                  name)
    raise AuthenticationFailed(f"The emulator endpoint in {path.parent} has no client for '{name}': restart "
                               "`vmss-tui emulator serve` as this user (it registers its user's client).")


class EmulatorCredential:
    """A TokenCredential that signs in to the emulator endpoint's authority with client credentials.

    The endpoint accepts only tokens its authority issued; the token names this OS user's client,
    which the audit trail records as the operator. Tokens are reused until 5 minutes before expiry.
    """

    def __init__(self, base_url: str | None, ca_bundle: str | Path | None = None,
                 state_dir: str | Path | None = None, timeout: float = 30.0) -> None:
        """`base_url` None is refused at the first token, not here: a session that sends nothing needs none."""
        self.base_url = (base_url or "").rstrip("/")
        self.ca_bundle = ca_bundle
        self.state_dir = Path(state_dir) if state_dir else emulator_state_dir(ca_bundle)
        self.timeout = timeout
        self._cached: dict[str, Any] = {}

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        import time

        from .testing import _AccessToken

        if not self.base_url:  # never guess an endpoint to send a client secret to
            raise InvalidParameter("--auth emulator needs --base-url (or VMSS_TUI_AZURE_BASE_URL): the endpoint "
                                   "`vmss-tui emulator serve` printed.", target="base-url")
        scope = scopes[0] if scopes else f"{self.base_url}/.default"
        cached = self._cached.get(scope)
        if cached is not None and cached.expires_on - 300 > time.time():
            return cached
        import requests

        from ...domain.errors import ServiceUnavailable

        verify = str(self.ca_bundle) if self.ca_bundle else True
        try:  # the discovery document first: an untrusted or absent endpoint is named before any secret is read
            discovery = requests.get(f"{self.base_url}/organizations/v2.0/.well-known/openid-configuration",
                                     verify=verify, timeout=self.timeout)
            token_endpoint = discovery.json()["token_endpoint"] if discovery.status_code == 200 else None
        except requests.RequestException as error:
            text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            hint = (" Point --ca-bundle (connection_verify) at the endpoint's CA bundle."
                    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text else "")
            raise ServiceUnavailable(f"Could not reach the emulator's token authority at {self.base_url}: "
                                     f"{text}.{hint}") from None
        except (ValueError, KeyError, TypeError):
            token_endpoint = None
        if not isinstance(token_endpoint, str) or not token_endpoint.startswith(self.base_url + "/"):
            raise AuthenticationFailed(f"{self.base_url} serves no emulator token authority "
                                       f"(HTTP {discovery.status_code} for its OpenID configuration): --auth emulator "
                                       "signs in to `vmss-tui emulator serve` only.")
        sign_in = emulator_sign_in(self.state_dir)
        try:
            answer = requests.post(token_endpoint,
                                   data={"grant_type": "client_credentials", "client_id": sign_in.client_id,
                                         "client_secret": sign_in.secret, "scope": scope},
                                   verify=verify, timeout=self.timeout)
        except requests.RequestException as error:
            raise ServiceUnavailable(f"Could not reach the emulator's token authority at {self.base_url}: "
                                     f"{type(error).__name__}.") from None
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            description = body.get("error_description") if isinstance(body, dict) else None
            raise AuthenticationFailed(f"The emulator's token authority refused to sign in {sign_in.name}: "
                                       f"{description or f'HTTP {answer.status_code}'}")
        token = _AccessToken(str(body["access_token"]), int(time.time() + float(body.get("expires_in", 0))))
        self._cached[scope] = token
        return token

    def close(self) -> None:
        """Nothing to release (the SDK closes credentials it was given)."""


def make_credential(auth: str | None, *, base_url: str | None = None, connection_verify: Any = None) -> Any:
    """The azure-identity credential for `--auth` (default: DefaultAzureCredential).

    `--auth emulator` signs in to the emulator endpoint at `base_url` (its CA bundle: `connection_verify`).
    """
    mode = (auth or "default").lower()
    if mode not in AUTH_MODES:
        raise InvalidParameter(f"Unknown --auth '{auth}'; choose from: {', '.join(AUTH_MODES)}.", target="auth")
    if mode == "emulator":
        return EmulatorCredential(base_url, connection_verify if isinstance(connection_verify, (str, Path)) else None)
    from azure import identity

    if mode == "cli":
        return identity.AzureCliCredential()
    if mode == "env":
        missing = [name for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID") if not os.environ.get(name)]
        if missing:
            raise AuthenticationFailed(f"--auth env needs {' and '.join(missing)} in the environment.")
        return identity.EnvironmentCredential()
    if mode == "device":
        return identity.DeviceCodeCredential()
    return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True)


def azure_cli_default_subscription(profile_path: Path | None = None) -> str | None:
    """The subscription `az account set` chose, read from the az CLI profile (no az process)."""
    path = profile_path or Path(os.environ.get("AZURE_CONFIG_DIR", Path.home() / ".azure")) / "azureProfile.json"
    try:
        profile = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None
    for subscription in profile.get("subscriptions") or ():
        if subscription.get("isDefault"):
            return str(subscription.get("id") or "") or None
    return None


def resolve_subscription(option: str | None, config: Any = None,
                         environ: Mapping[str, str] | None = None,
                         cli_default: Callable[[], str | None] = azure_cli_default_subscription) -> str:
    """`--subscription`, then AZURE_SUBSCRIPTION_ID, then the config, then the az CLI default."""
    environment = os.environ if environ is None else environ
    configured = config.get("subscription") if isinstance(config, Mapping) else getattr(config, "subscription", None)
    for candidate in (option, environment.get("AZURE_SUBSCRIPTION_ID"), configured, cli_default()):
        if candidate:
            return str(candidate).strip()
    raise AzureError(
        "No subscription chosen: pass --subscription <id>, set AZURE_SUBSCRIPTION_ID, put `subscription` in the "
        f"config, or run `az account set --subscription <id>`. {LOGIN_HINT}",
        code="SubscriptionNotFound", http_status=400)


def make_client(credential: Any, subscription_id: str, *, base_url: str | None, connection_verify: Any,
                polling_interval: float | None, retry_total: int | None, pool_size: int,
                raw_response_hook: Callable[[Any], None], connection_timeout: float = 10.0,
                read_timeout: float = 60.0) -> Any:
    """A sync ComputeManagementClient with a connection pool big enough for concurrent refresh.

    Every request (compute calls, `send_request`, LRO polls) goes through one transport whose
    connect and read timeouts are set here: azure-core's own defaults are 300 s each.
    """
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from azure.mgmt.compute import ComputeManagementClient

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(10, pool_size))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    transport_options: dict[str, Any] = {"connection_timeout": connection_timeout, "read_timeout": read_timeout}
    if connection_verify is not None:
        transport_options["connection_verify"] = connection_verify
    transport = RequestsTransport(session=session, session_owner=True, **transport_options)
    client_options: dict[str, Any] = {"transport": transport, "raw_response_hook": raw_response_hook}
    if base_url:
        client_options["base_url"] = base_url.rstrip("/")
    if polling_interval is not None:
        client_options["polling_interval"] = polling_interval
    if retry_total is not None:
        client_options["retry_total"] = retry_total
    if connection_verify is not None:
        client_options["connection_verify"] = connection_verify
    return ComputeManagementClient(credential, subscription_id, **client_options)
