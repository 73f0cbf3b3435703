"""Credential, subscription and `ComputeManagementClient` construction for the live adapter."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping

from ...domain.errors import AuthenticationFailed, AzureError, InvalidParameter
from .wire import LOGIN_HINT

AUTH_MODES = ("default", "cli", "env", "device", "emulator")
"""`emulator` sends a fixed token: only for `vmss-tui emulator serve`, which checks presence only."""


def make_credential(auth: str | None) -> Any:
    """The azure-identity credential for `--auth` (default: DefaultAzureCredential)."""
    mode = (auth or "default").lower()
    if mode not in AUTH_MODES:
        raise InvalidParameter(f"Unknown --auth '{auth}'; choose from: {', '.join(AUTH_MODES)}.", target="auth")
    if mode == "emulator":
        from .testing import StaticTokenCredential

        return StaticTokenCredential()
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
