"""`vmss-tui emulator serve`: the emulator as an ARM endpoint the real Azure SDK can drive.

Offline practice for any SDK script, and the far end of the Azure adapter's end-to-end tests
(adapter -> azure-mgmt-compute -> HTTPS -> this server -> emulator). Never imports `azure`.
"""

from __future__ import annotations

import argparse
import shlex
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
    """Python that points `ComputeManagementClient` at a running endpoint (tested verbatim).

    It signs in to the endpoint's token authority as the user's own client, whose secret is in
    the authority file beside the CA bundle (owner-only): the endpoint accepts no other token.
    """
    authority_path = Path(ca_path).parent / "authority.json"
    return f'''import getpass
import json

from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient

# Sign in as your own client of the endpoint's token authority (the file is readable by you only).
with open(r"{authority_path}", encoding="utf-8") as file:
    authority = json.load(file)
me = next(c for c in authority["clients"] if c["name"] == getpass.getuser())
credential = ClientSecretCredential(authority["tenantId"], me["clientId"], me["secret"],
                                    authority="{base_url}", disable_instance_discovery=True,
                                    connection_verify=r"{ca_path}")
client = ComputeManagementClient(
    credential,
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
                        help="emulator store directory (default: vmss-tui's --db, VMSS_TUI_DB, the config's db, "
                             "else the seeded practice store)")
    parser.add_argument("--seed", action="store_true",
                        help="put the practice estate (web, demo-set, batch) into a new --db store")
    parser.add_argument("--speed", choices=("instant", "fast", "real"), default=None,
                        help="how long operations take (default: VMSS_TUI_SPEED, the config's speed, else fast)")
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


def adapter_command_lines(base_url: str, ca_path: Path | str, subscription_id: str) -> list[str]:
    """Shell lines that drive the endpoint with vmss-tui's Azure adapter, quoted to run as printed (tested so)."""
    base, ca = shlex.quote(base_url), shlex.quote(str(ca_path))
    subscription = shlex.quote(subscription_id)
    return [
        f"vmss-tui --backend azure --auth emulator --base-url {base} --ca-bundle {ca} --subscription {subscription} "
        "list",
        f"export VMSS_TUI_AZURE_BASE_URL={base} VMSS_TUI_AZURE_CA_BUNDLE={ca} VMSS_TUI_AZURE_AUTH=emulator",
        f"vmss-tui --backend azure --subscription {subscription} list",
    ]


def main(argv: Sequence[str] | None = None, *, audit: Callable[[str, str, int, Any, str], None] | None = None,
         db: str | Path | None = None, db_origin: str = "", speed: str | None = None) -> int:
    """Run the endpoint in the foreground until interrupted; print how to connect first.

    `audit` is called after every request (method, target, status, body, client address);
    `vmss-tui emulator serve` passes the audit trail's recorder so changes made here are audited.
    `db` (with `db_origin`, how it was chosen) and `speed` are what the vmss-tui command resolved
    from --db before the command, VMSS_TUI_DB / VMSS_TUI_SPEED and the config file, so the endpoint
    serves the store every other command would use; --db or --speed after `serve` wins over them.
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
    from .authority import AuthorityError, announce, attach_authority, audited

    try:  # sign-in on the same server: only tokens its authority issued are accepted (authority.py)
        authority = attach_authority(settings, options.state_dir or default_state_dir())
    except (AuthorityError, OSError) as error:
        print(f"ERROR: (AuthenticationFailed) the token authority cannot start: {error}", file=sys.stderr)
        return 1
    from ..backends import open_backend
    from ..domain.errors import AzureError
    from ..domain.text import escape_control

    if options.db is not None:
        db, db_origin = options.db, "--db"
    elif db is None:
        db_origin = "the practice store: no --db, VMSS_TUI_DB or config db"
    speed = options.speed or speed or "fast"
    try:
        backend = open_backend("emulator", db=db, speed=speed, seed=True if options.seed else None)
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
    server.audit = audited(audit, authority)  # type: ignore[attr-defined]
    subscription_id = server.app.subscription_id
    announce(authority, server.base_url, subscription_id)
    store_path = backend.info().store_path or str(db)
    print(f"ARM endpoint   {server.base_url}")
    print(escape_control(f"CA bundle      {certificates.ca_path}"))
    print(f"Subscription   {subscription_id}")
    print(escape_control(f"Store          {store_path}  ({db_origin})  speed={speed}"))
    print()
    print("Point the Azure SDK at it:")
    print()
    for line in client_snippet(server.base_url, certificates.ca_path, subscription_id).split("\n"):
        print(escape_control(line))
    one_line, export, command = adapter_command_lines(server.base_url, certificates.ca_path, subscription_id)
    print("Or drive it with vmss-tui's own Azure adapter (any vmss-tui command; `list` here):")
    print(escape_control(f"  {one_line}"))
    print("or set it up once for this shell:")
    print(escape_control(f"  {export}"))
    print(escape_control(f"  {command}"))
    print("Press Ctrl+C to stop.", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        backend.close()
    return 0


__all__ = ["ArmApp", "Response", "ServerHandle", "ServerSettings", "adapter_command_lines", "client_snippet",
           "default_state_dir", "main", "serve_in_thread"]
