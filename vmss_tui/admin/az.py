"""`vmss-tui emulator az-login` and `vmss-tui emulator az ...`: the real Azure CLI against the emulator.

az gets a config directory of its own under the endpoint's state dir (AZURE_CONFIG_DIR), so the
user's own `~/.azure` sign-ins are never touched or used. In it: a registered cloud whose resource
manager, authority and graph endpoints are all the emulator endpoint, MSAL's instance discovery
off, telemetry and surveys off, and a service-principal sign-in as this OS user's client of the
endpoint's token authority. Every az run gets the endpoint's CA bundle and a proxy on a closed
loopback port for anything not on loopback, so no call of az's own can leave the machine: it fails
at once instead. `emulator az` runs az in that environment (as `awslocal` does for LocalStack),
signing in first when needed, and passes its exit code through.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, TextIO

from ..backends.azure.client import (EMULATOR_ENDPOINT_FILE, EmulatorSignIn, emulator_sign_in,
                                     emulator_state_dir)
from ..domain.errors import AzureError
from ..domain.names import shown

CLOUD_NAME = "vmss-tui-emulator"
AZ_CONFIG_FOLDER = "az"
"""AZURE_CONFIG_DIR, under the endpoint's state dir."""
LOGIN_MARKER = "vmss-tui-login.json"
"""In AZURE_CONFIG_DIR: the endpoint and client az last signed in to (a change means sign in again)."""
CLOSED_PROXY = "http://127.0.0.1:9"
"""Where az's requests to anything but loopback go: the discard port, closed here, so they fail at once."""
LOOPBACK = "127.0.0.1,localhost,::1"
AZ_TIMEOUT_SECONDS = 300.0
IMAGE_ALIAS_DOC_PATH = "/vmss-tui/image-aliases.json"
"""az's image alias document on the endpoint (armserver/providers/compute.py serves it from the catalogue)."""


class AzSetupError(AzureError):
    """az cannot be set up against the endpoint (not found, endpoint not running, sign-in refused)."""


@dataclass(frozen=True)
class Endpoint:
    """A running (or last run) `vmss-tui emulator serve`, as its state dir records it."""

    base_url: str
    tenant_id: str
    subscription_id: str
    state_dir: Path

    @property
    def ca_path(self) -> Path:
        return self.state_dir / "ca.pem"

    @property
    def config_dir(self) -> Path:
        return self.state_dir / AZ_CONFIG_FOLDER


def find_az(option: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The az executable: --az, else VMSS_TUI_AZ, else `az` on PATH.

    Raises:
        AzSetupError: none of them names an executable file.
    """
    env = os.environ if environ is None else environ
    for origin, candidate in (("--az", option), ("VMSS_TUI_AZ", env.get("VMSS_TUI_AZ"))):
        if candidate:
            path = Path(candidate).expanduser()
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
            raise AzSetupError(f"{origin} names '{candidate}', which is not an executable file.",
                               code="AzNotFound", http_status=400)
    found = shutil.which("az", path=env.get("PATH"))
    if found:
        return found
    raise AzSetupError("The Azure CLI (az) is not installed or not on PATH: install it "
                       "(`pip install azure-cli` in a venv of its own), or pass --az PATH or set VMSS_TUI_AZ.",
                       code="AzNotFound", http_status=400)


def load_endpoint(state_dir: Path | str | None) -> Endpoint:
    """The endpoint recorded in `state_dir` (default: the one `emulator serve` uses), checked to be answering.

    Raises:
        AzSetupError: no endpoint has run with this state dir, or it does not answer now.
    """
    directory = Path(state_dir).expanduser() if state_dir else emulator_state_dir()
    path = directory / EMULATOR_ENDPOINT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        endpoint = Endpoint(str(data["baseUrl"]).rstrip("/"), str(data["tenantId"]), str(data["subscriptionId"]),
                            directory)
    except FileNotFoundError:
        raise AzSetupError(f"No emulator endpoint has run with the state dir {directory}: start "
                           "`vmss-tui emulator serve` (in another terminal) first.", code="EndpointNotRunning",
                           http_status=400) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AzSetupError(f"{path} cannot be read ({error}): restart `vmss-tui emulator serve`.",
                           code="EndpointNotRunning", http_status=400) from None
    _check_answering(endpoint)
    return endpoint


def _check_answering(endpoint: Endpoint) -> None:
    """The endpoint's discovery document answers over TLS with its CA (a stopped server fails here)."""
    import ssl
    import urllib.error
    import urllib.request

    url = f"{endpoint.base_url}/{endpoint.tenant_id}/v2.0/.well-known/openid-configuration"
    try:
        context = ssl.create_default_context(cafile=str(endpoint.ca_path))
        with urllib.request.urlopen(url, context=context, timeout=10) as answer:  # noqa: S310 - loopback https
            json.loads(answer.read())
    except (OSError, ValueError, urllib.error.URLError) as error:
        reason = getattr(error, "reason", None) or error
        raise AzSetupError(f"The emulator endpoint {endpoint.base_url} (state dir {endpoint.state_dir}) does not "
                           f"answer ({reason}): is `vmss-tui emulator serve` running?", code="EndpointNotRunning",
                           http_status=400) from None


def az_environment(endpoint: Endpoint, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment az runs in: its own config dir, the endpoint's CA, nothing off loopback."""
    env = dict(os.environ if base is None else base)
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID",
                 "AZURE_ACCESS_TOKEN", "AZURE_CORE_CLOUD", "AZURE_CLOUD_NAME", "http_proxy", "https_proxy",
                 "no_proxy", "all_proxy", "ALL_PROXY"):
        env.pop(name, None)
    env.update(export_variables(endpoint))
    env.update(AZURE_CORE_COLLECT_TELEMETRY="false", AZURE_CORE_SURVEY_MESSAGE="false",
               AZURE_CORE_INSTANCE_DISCOVERY="false", AZURE_CORE_NO_COLOR="true")
    return env


def export_variables(endpoint: Endpoint) -> dict[str, str]:
    """What `az-login` tells the shell to export (and `emulator az` sets)."""
    return {"AZURE_CONFIG_DIR": str(endpoint.config_dir), "REQUESTS_CA_BUNDLE": str(endpoint.ca_path),
            "HTTPS_PROXY": CLOSED_PROXY, "HTTP_PROXY": CLOSED_PROXY, "NO_PROXY": LOOPBACK}


def _write_core_config(config_dir: Path) -> None:
    """MSAL instance discovery, telemetry and survey prompts off in az's own config file."""
    config_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config_dir, 0o700)  # az keeps the service principal's secret in here
    path = config_dir / "config"
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    if not parser.has_section("core"):
        parser.add_section("core")
    for key, value in (("instance_discovery", "false"), ("collect_telemetry", "false"),
                       ("survey_message", "false"), ("first_run", "yes"), ("only_show_errors", "false")):
        parser.set("core", key, value)
    if not parser.has_section("auto-upgrade"):
        parser.add_section("auto-upgrade")
    parser.set("auto-upgrade", "enable", "no")
    with open(path, "w", encoding="utf-8") as handle:
        parser.write(handle)


def _run_az(az: str, arguments: Sequence[str], env: dict[str, str], what: str, *,
            stdin: str = "") -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run([az, *arguments], env=env, capture_output=True, text=True, input=stdin,
                              timeout=AZ_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise AzSetupError(f"az took over {AZ_TIMEOUT_SECONDS:.0f} s to {what}.", code="AzFailed",
                           http_status=500) from None
    except OSError as error:
        raise AzSetupError(f"az ({az}) cannot be run: {error.strerror or error}.", code="AzNotFound",
                           http_status=400) from None
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
        detail = (errors or lines or [f"exit code {done.returncode}"])[0]
        raise AzSetupError(f"az could not {what}: {detail}", code="AzFailed", http_status=500)
    return done


def az_login(az: str, endpoint: Endpoint, sign_in: EmulatorSignIn | None = None) -> EmulatorSignIn:
    """Register the emulator's cloud in az's own config dir, make it active and sign in as this user's client."""
    sign_in = sign_in or emulator_sign_in(endpoint.state_dir)
    _write_core_config(endpoint.config_dir)
    env = az_environment(endpoint)
    base = endpoint.base_url
    endpoints = ["--endpoint-resource-manager", base + "/", "--endpoint-active-directory", base,
                 "--endpoint-active-directory-resource-id", base + "/",
                 "--endpoint-active-directory-graph-resource-id", base + "/",
                 "--endpoint-microsoft-graph-resource-id", base + "/", "--endpoint-management", base + "/",
                 "--endpoint-gallery", base + "/", "--endpoint-sql-management", base + "/",
                 "--endpoint-vm-image-alias-doc", base + IMAGE_ALIAS_DOC_PATH]  # served unsigned
    clouds = configparser.ConfigParser()
    clouds.read(endpoint.config_dir / "clouds.config", encoding="utf-8")
    verb = "update" if clouds.has_section(CLOUD_NAME) else "register"  # the port may have changed
    _run_az(az, ["cloud", verb, "--name", CLOUD_NAME, *endpoints, "--skip-endpoint-discovery", "--only-show-errors"],
            env,
            f"{verb} the emulator's cloud")
    _run_az(az, ["cloud", "set", "--name", CLOUD_NAME, "--only-show-errors"], env, "make the emulator's cloud active")
    # The secret reaches az on its standard input (az's `@-` expansion), never on a command line another
    # local user could read, nor in a file; `--password=` because a secret may start with '-'.
    # One subscription, the endpoint's, by id: `--skip-subscription-discovery --subscription` reads
    # GET /subscriptions/{id} only (a plain `az login --service-principal` lists them all).
    _run_az(az, ["login", "--service-principal", "--username", sign_in.client_id, "--password=@-",
                 "--tenant", sign_in.tenant_id, "--skip-subscription-discovery", "--subscription",
                 endpoint.subscription_id, "--only-show-errors", "--output", "none"], env,
            "sign in to the emulator's token authority", stdin=sign_in.secret)
    marker = {"baseUrl": base, "tenantId": sign_in.tenant_id, "clientId": sign_in.client_id}
    (endpoint.config_dir / LOGIN_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return sign_in


def login_is_current(endpoint: Endpoint, sign_in: EmulatorSignIn) -> bool:
    """True when az's config dir is signed in to this endpoint as this client (no new sign-in needed)."""
    try:
        marker = json.loads((endpoint.config_dir / LOGIN_MARKER).read_text(encoding="utf-8"))
        profile = json.loads((endpoint.config_dir / "azureProfile.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return False
    wanted = {"baseUrl": endpoint.base_url, "tenantId": sign_in.tenant_id, "clientId": sign_in.client_id}
    accounts = [s for s in profile.get("subscriptions") or () if isinstance(s, dict)]
    # This user's service principal, or a user az signed in by device code (`az login --use-device-code`,
    # approved with `vmss-tui emulator approve`) in this endpoint's tenant: either is kept.
    return marker == wanted and any(
        s.get("user", {}).get("name") == sign_in.client_id
        or (s.get("user", {}).get("type") == "user" and s.get("tenantId") == sign_in.tenant_id) for s in accounts)


def approve_device_code(endpoint: Endpoint, sign_in: EmulatorSignIn, user_code: str) -> str:
    """Approve a waiting `az login --use-device-code` as this user's client; returns the user az signs in as.

    The emulator's stand-in for Entra ID's device login page: the approval proves the client's secret
    (a file only its owner can read), so only that OS user can approve a sign-in under their name.

    Raises:
        AzSetupError: the code is unknown, used or expired, or the secret is refused.
    """
    import ssl
    import urllib.error
    import urllib.parse
    import urllib.request

    form = urllib.parse.urlencode({"user_code": user_code, "client_id": sign_in.client_id,
                                   "client_secret": sign_in.secret}).encode()
    request = urllib.request.Request(f"{endpoint.base_url}/{endpoint.tenant_id}/oauth2/v2.0/deviceauth", data=form,
                                     method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        context = ssl.create_default_context(cafile=str(endpoint.ca_path))
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:  # noqa: S310 - loopback https
            return str(json.loads(answer.read())["username"])
    except urllib.error.HTTPError as error:
        try:
            body = json.loads(error.read())
            code, description = str(body["error"]), str(body["error_description"])
        except (ValueError, KeyError, TypeError):
            code, description = "AzFailed", f"HTTP {error.code}"
        raise AzSetupError(description, code=code, http_status=500) from None
    except (OSError, ValueError, KeyError) as error:
        reason = getattr(error, "reason", None) or error
        raise AzSetupError(f"The emulator endpoint {endpoint.base_url} does not answer ({reason}): is "
                           "`vmss-tui emulator serve` running?", code="EndpointNotRunning", http_status=400) from None


class _Usage(Exception):
    """A command line az-login / az cannot accept (printed as one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Usage(f"{self.prog}: {message}")


def _parse(prog: str, argv: list[str], *, passthrough: bool) -> tuple[argparse.Namespace, list[str]]:
    parser = _Parser(prog=prog, add_help=False)
    parser.add_argument("--az", default=None)
    parser.add_argument("--state-dir", type=Path, default=None)
    if not passthrough:
        return parser.parse_args(argv), []
    # `emulator az [--az PATH] [--state-dir DIR] ARGS...`: our options only before az's own words.
    ours: list[str] = []
    index = 0
    while index < len(argv) and argv[index] in ("--az", "--state-dir") and index + 1 < len(argv):
        ours += argv[index:index + 2]
        index += 2
    return parser.parse_args(ours), argv[index:]


USAGE = """usage: vmss-tui emulator az-login [--az PATH] [--state-dir DIR]
       vmss-tui emulator az [--az PATH] [--state-dir DIR] ARGS...

The real Azure CLI against a running `vmss-tui emulator serve` (same --state-dir; default the
user data dir). az-login registers the emulator as a cloud in az's own config dir under the
state dir, signs in as your client of the endpoint's token authority and prints the exports
for a shell in which az reaches only the emulator: eval "$(vmss-tui emulator az-login)".
az ARGS... runs az with that environment, signing in first when needed; its exit code is kept.
az is --az, else VMSS_TUI_AZ, else az on PATH. `az login --use-device-code` works too: approve the
code it prints with `vmss-tui emulator approve CODE`.
"""


def run_az_login(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """`vmss-tui emulator az-login [--az PATH] [--state-dir DIR]`: sign az in; print the shell's exports."""
    if any(word in ("-h", "--help") for word in argv):
        stdout.write(USAGE)
        return 0
    try:
        options, _ = _parse("vmss-tui emulator az-login", argv, passthrough=False)
    except _Usage as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) {exc}\n")
        return 2
    try:
        az = find_az(options.az)
        endpoint = load_endpoint(options.state_dir)
        sign_in = az_login(az, endpoint)
    except AzureError as error:
        stderr.write(f"ERROR: {error}\n")
        return 2 if error.http_status == 400 else 1
    stderr.write(f"az is signed in to the emulator at {endpoint.base_url} as {sign_in.name} "
                 f"(client {sign_in.client_id}, subscription {endpoint.subscription_id}).\n"
                 "Run the lines below in your shell (eval \"$(vmss-tui emulator az-login)\" does it); in that shell az "
                 "reaches only the emulator: anything off this machine fails at once.\n")
    stdout.write("".join(f"export {name}={shlex.quote(value)}\n" for name, value in export_variables(endpoint).items()))
    if shutil.which("az") != az:  # found through --az or VMSS_TUI_AZ: let plain `az` in that shell be this one
        stdout.write(f"alias az={shlex.quote(az)}\n")
    return 0


APPROVE_USAGE = """usage: vmss-tui emulator approve [--state-dir DIR] CODE

Approve a waiting `az login --use-device-code` against the emulator (the code az printed), signing
az in as you: the emulator's stand-in for Entra ID's device login page. Only the OS user whose
client it is can approve under that name (it proves the client's secret, readable by that user only).
"""


def run_approve(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """`vmss-tui emulator approve [--state-dir DIR] CODE`: approve a device-code sign-in as this user."""
    if any(word in ("-h", "--help") for word in argv):
        stdout.write(APPROVE_USAGE)
        return 0
    parser = _Parser(prog="vmss-tui emulator approve", add_help=False)
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument("code")
    try:
        options = parser.parse_args(argv)
    except _Usage as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) {exc}\n")
        return 2
    code = options.code.strip().upper().replace("-", "")
    if not code.isalnum() or not 6 <= len(code) <= 16 or not code.isascii():
        stderr.write(f"ERROR: (InvalidParameter) '{shown(options.code, 40)}' is not a device code: use the "
                     "letters and digits az printed (e.g. ABCD2EFGH).\n")
        return 2
    try:
        endpoint = load_endpoint(options.state_dir)
        sign_in = emulator_sign_in(endpoint.state_dir)
        username = approve_device_code(endpoint, sign_in, code)
    except AzureError as error:
        stderr.write(f"ERROR: {error}\n")
        return 2 if error.http_status == 400 else 1
    stdout.write(f"Approved {code}: az signs in to the emulator at {endpoint.base_url} as {username}.\n")
    return 0


def run_az(argv: list[str], stderr: TextIO) -> int:
    """`vmss-tui emulator az [--az PATH] [--state-dir DIR] ARGS...`: az against the emulator, exit code passed on."""
    if not argv:
        stderr.write("ERROR: (UnrecognizedArguments) no az command given: vmss-tui emulator az [--az PATH] "
                     "[--state-dir DIR] ARGS..., e.g. vmss-tui emulator az vmss list -o table\n")
        return 2
    try:
        options, arguments = _parse("vmss-tui emulator az", argv, passthrough=True)
    except _Usage as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) {exc}\n")
        return 2
    try:
        az = find_az(options.az)
        endpoint = load_endpoint(options.state_dir)
        sign_in = emulator_sign_in(endpoint.state_dir)
        if not login_is_current(endpoint, sign_in):
            stderr.write(f"vmss-tui: signing az in to the emulator at {endpoint.base_url} as {sign_in.name}\n")
            az_login(az, endpoint, sign_in)
    except AzureError as error:
        stderr.write(f"ERROR: {error}\n")
        return 2 if error.http_status == 400 else 1
    try:
        return subprocess.run([az, *arguments], env=az_environment(endpoint)).returncode
    except OSError as error:
        stderr.write(f"ERROR: (AzNotFound) az ({az}) cannot be run: {error.strerror or error}.\n")
        return 2
    except KeyboardInterrupt:
        return 130
