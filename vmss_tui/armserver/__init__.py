"""`vmss-tui emulator serve`: the emulator as an ARM endpoint the real Azure SDK can drive.

Offline practice for any SDK script, and the far end of the Azure adapter's end-to-end tests
(adapter -> azure-mgmt-compute -> HTTPS -> this server -> emulator). Never imports `azure`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .app import ArmApp, Response, ServerSettings
from .server import ServerHandle, create_server, serve_in_thread

DEFAULT_PORT = 8443


def default_state_dir() -> Path:
    """Where the local CA and server certificate are kept between runs."""
    from platformdirs import user_data_path

    return user_data_path("vmss-tui", appauthor=False) / "armserver"


def client_snippet(base_url: str, ca_path: Path | str, subscription_id: str) -> str:
    """Python that points `ComputeManagementClient` at a running endpoint (tested verbatim)."""
    return f'''from azure.core.credentials import AccessToken
from azure.mgmt.compute import ComputeManagementClient


class EmulatorCredential:
    """Any non-empty bearer token will do: the emulator checks presence, not validity."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("emulator", 4102444800)


client = ComputeManagementClient(
    EmulatorCredential(),
    "{subscription_id}",
    base_url="{base_url}",
    connection_verify=r"{ca_path}",
    polling_interval=1,
)
for vmss in client.virtual_machine_scale_sets.list_all():
    print(vmss.name, vmss.sku.capacity, vmss.properties.provisioning_state)
'''


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vmss-tui emulator serve",
        description="Serve the emulator as an HTTPS Azure Resource Manager endpoint (Microsoft.Compute subset).")
    parser.add_argument("--db", type=Path, default=None,
                        help="emulator store directory (default: the seeded practice store)")
    parser.add_argument("--seed", action="store_true",
                        help="put the practice estate (web, demo-set, batch) into a new --db store")
    parser.add_argument("--speed", choices=("instant", "fast", "real"), default="fast",
                        help="how long operations take (default: fast)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0 = any)")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="where the local CA and certificate live (default: user data dir)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every request")
    parser.add_argument("--page-size", type=int, default=100, help="items per list page (nextLink beyond)")
    parser.add_argument("--retry-after", type=int, default=1,
                        help="Retry-After seconds on long-running operations (0 = send none)")
    parser.add_argument("--min-polls", type=int, default=0,
                        help="report every operation InProgress for at least this many polls")
    parser.add_argument("--throttle-every", type=int, default=0,
                        help="answer every Nth request with 429 + Retry-After (0 = never)")
    parser.add_argument("--throttle-retry-after", type=int, default=1, help="Retry-After seconds on a 429")
    parser.add_argument("--expired-token", action="store_true",
                        help="answer everything with 401 ExpiredAuthenticationToken")
    return parser


def main(argv: Sequence[str] | None = None, *, audit: Callable[[str, str, int, Any, str], None] | None = None) -> int:
    """Run the endpoint in the foreground until interrupted; print how to connect first.

    `audit` is called after every request (method, target, status, body, client address);
    `vmss-tui emulator serve` passes the audit trail's recorder so changes made here are audited.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    for prefix in (["emulator", "serve"], ["serve"]):
        if arguments[:len(prefix)] == prefix:
            arguments = arguments[len(prefix):]
            break
    options = _parser().parse_args(arguments)
    if options.host not in ("127.0.0.1", "localhost", "::1"):
        print("ERROR: (InvalidParameter) the emulator endpoint serves loopback only "
              "(--host 127.0.0.1, localhost or ::1).", file=sys.stderr)
        return 2
    settings = ServerSettings(
        latency=max(0.0, options.latency_ms) / 1000.0,
        page_size=max(1, options.page_size),
        lro_retry_after=options.retry_after or None,
        lro_min_polls=max(0, options.min_polls),
        throttle_every=max(0, options.throttle_every),
        throttle_retry_after=max(1, options.throttle_retry_after),
        token_expired=options.expired_token,
    )
    from ..backends import open_backend
    from ..domain.errors import AzureError

    try:
        backend = open_backend("emulator", db=options.db, speed=options.speed, seed=True if options.seed else None)
    except AzureError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    try:
        server, certificates = create_server(backend, state_dir=options.state_dir or default_state_dir(),
                                             host=options.host, port=options.port, settings=settings)
    except OSError as error:
        print(f"ERROR: (ServiceUnavailable) cannot listen on {options.host}:{options.port}: {error.strerror}. "
              "Pick another --port (0 = any free port).", file=sys.stderr)
        backend.close()
        return 1
    server.audit = audit  # type: ignore[attr-defined]
    subscription_id = server.app.subscription_id
    print(f"ARM endpoint   {server.base_url}")
    print(f"CA bundle      {certificates.ca_path}")
    print(f"Subscription   {subscription_id}")
    print(f"Store          {backend.info().store_path or '(default)'}  speed={options.speed}")
    print()
    print("Point the Azure SDK at it:")
    print()
    print(client_snippet(server.base_url, certificates.ca_path, subscription_id))
    print("Or drive it with vmss-tui's own Azure adapter:")
    print(f"  VMSS_TUI_AZURE_BASE_URL={server.base_url} VMSS_TUI_AZURE_CA_BUNDLE={certificates.ca_path} "
          f"VMSS_TUI_AZURE_AUTH=emulator vmss-tui --backend azure --subscription {subscription_id} vmss list")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        backend.close()
    return 0


__all__ = ["ArmApp", "Response", "ServerHandle", "ServerSettings", "client_snippet", "default_state_dir",
           "main", "serve_in_thread"]
