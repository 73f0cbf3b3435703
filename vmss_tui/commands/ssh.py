"""`ssh <set> <instance> [-- ssh args]`: a shell on an instance, in the terminal the command runs in (issue 14).

On Azure it runs OpenSSH (`ssh` from PATH) to the instance's public endpoint: the load balancer's NAT
frontend and port (`-p PORT`), or the VM's own public IP on port 22, as the scale set's VM profile's
`osProfile.adminUsername`. In the emulator, where no SSH server runs, it opens the emulated instance
console (commands/console.py) through the same endpoint check.

Nothing here goes through a shell: OpenSSH gets an argument list, every piece of it checked by an
allow-list (the user name, the address, the port, and each option passed after `--`), because the same
command runs on an SSH bastion (`vmss-tui ssh-console`) where an option such as `-o ProxyCommand=...`
would run a program there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..domain.errors import AzureError, OperationNotAllowed, instance_not_found
from ..domain.models import Instance, ScaleSet
from ..domain.reach import no_endpoint_reason, not_running_reason, parse_endpoint
from ..domain.text import escape_control
from .parser import UsageError
from .session import Invocation, Result
from .spec import CommandSpec, ParamSpec

if TYPE_CHECKING:
    from .console import Terminal

DEFAULT_ADMIN_USERNAME = "azureuser"
"""What `az vmss create` and the emulator put in `osProfile.adminUsername` when none is given."""

SSH_PORT = 22

_USER = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}"
"""A Linux login Azure accepts as adminUsername (letters, digits, `_ . -`, 1-64, not starting with `-` or `.`)."""

_HOST_NAME = r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"

SSH_FLAGS = frozenset({"-4", "-6", "-A", "-a", "-C", "-q", "-t", "-tt", "-T", "-v", "-vv", "-vvv", "-X", "-x", "-Y", "-N"})
"""OpenSSH options without a value that may follow `--`: address family, agent and X11 forwarding on or
off, compression, quiet, terminal allocation, verbosity, no remote command."""

SSH_VALUE_OPTIONS = frozenset({"-i", "-l", "-o", "-L", "-R", "-D", "-c", "-m"})
"""OpenSSH options with a value that may follow `--` (each value is checked too): identity file, login
name, `-o` with an allowed keyword, port forwarding bound to the loopback, ciphers and MACs."""

SSH_CONFIG_KEYWORDS = frozenset(keyword.lower() for keyword in (
    "BatchMode", "CheckHostIP", "Ciphers", "Compression", "ConnectionAttempts", "ConnectTimeout",
    "ExitOnForwardFailure", "ForwardAgent", "HostKeyAlgorithms", "HostKeyAlias", "IdentitiesOnly", "IdentityFile",
    "KexAlgorithms", "LogLevel", "MACs", "NumberOfPasswordPrompts", "PasswordAuthentication",
    "PreferredAuthentications", "PubkeyAuthentication", "RequestTTY", "ServerAliveCountMax", "ServerAliveInterval",
    "StrictHostKeyChecking", "TCPKeepAlive", "UpdateHostKeys", "VisualHostKey",
))
"""`-o` keywords that only tune the connection. Left out on purpose: anything that runs a program or
writes a file on this machine (ProxyCommand, LocalCommand, KnownHostsCommand, PKCS11Provider, ControlPath,
UserKnownHostsFile, ...)."""

_FORWARD = r"\d{1,5}(:[A-Za-z0-9.\-]{1,253}:\d{1,5})?|\d{1,5}:\[[0-9A-Fa-f:.]{2,45}\]:\d{1,5}"
"""`-L`/`-R` `port:host:hostport` or `-D port`: no bind address, so a forward listens on the loopback only."""

_SAFE_VALUE = r"[A-Za-z0-9_@%+=:,./~-]{1,1024}"
"""What an option's value may be made of: no spaces, quotes or shell characters (none is needed)."""


@dataclass(frozen=True)
class SshTarget:
    """Where `ssh` goes: the instance, as whom, and through which address and port."""

    scale_set: ScaleSet
    instance: Instance
    user: str
    host: str
    port: int

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"


def admin_username(scale_set: ScaleSet) -> str:
    """`osProfile.adminUsername` of the set's VM profile (azureuser when the profile names none)."""
    import json

    try:
        profile = json.loads(scale_set.stored_profile) if scale_set.stored_profile else {}
    except ValueError:
        profile = {}
    os_profile = profile.get("osProfile") if isinstance(profile, dict) else None
    user = os_profile.get("adminUsername") if isinstance(os_profile, dict) else None
    return user if isinstance(user, str) and user else DEFAULT_ADMIN_USERNAME



def check_host(host: str) -> str:
    """An IP address or a DNS name, nothing else (so no `-oProxyCommand=...` can pose as a host)."""
    import ipaddress

    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if re.fullmatch(_HOST_NAME, host):
        return host
    raise OperationNotAllowed(f"The endpoint '{escape_control(host)}' is not an IP address or a host name.",
                              target="endpoint")


def check_user(user: str) -> str:
    if not re.fullmatch(_USER, user) or user.endswith("."):
        raise OperationNotAllowed(f"The VM profile's adminUsername '{escape_control(user)}' is not a login "
                                  "name ssh can be given.", target="adminUsername")
    return user


def instance_of(backend: Any, scale_set: ScaleSet, instance_id: str) -> Instance:
    """The instance by id (Flexible: the VM name, case-insensitive), or Azure's not-found."""
    for instance in backend.list_instances(scale_set.resource_group, scale_set.name):
        if instance.instance_id.lower() == instance_id.lower():
            return instance
    raise instance_not_found(scale_set.resource_group, scale_set.name, instance_id)


def endpoint_of(backend: Any, scale_set: ScaleSet, instance: Instance) -> tuple[str, int] | None:
    """The instance's public endpoint: the one its instance view names, else az's connection info (Uniform)."""
    found = parse_endpoint(instance.public_endpoint)
    if found is not None:
        return found
    from ..backends.protocol import Network

    if scale_set.is_flexible or not isinstance(backend, Network):
        return None
    try:
        info = backend.connection_info(scale_set.resource_group, scale_set.name)
    except AzureError:
        return None
    return parse_endpoint(info.get(f"instance {instance.instance_id}"))




def resolve_target(backend: Any, scale_set: ScaleSet, instance_id: str) -> SshTarget:
    """Everything checked before anything runs: the instance, that it runs, its endpoint and the user."""
    instance = instance_of(backend, scale_set, instance_id)
    reason = not_running_reason(instance)
    if reason is not None:
        raise OperationNotAllowed(reason, target=instance.instance_id)
    endpoint = endpoint_of(backend, scale_set, instance)
    if endpoint is None:
        raise OperationNotAllowed(no_endpoint_reason(scale_set, instance), target=instance.instance_id)
    host, port = endpoint
    return SshTarget(scale_set, instance, check_user(admin_username(scale_set)), check_host(host), port)


# --- OpenSSH --------------------------------------------------------------------------------------------

def _refuse(word: str, why: str) -> UsageError:
    return UsageError("InvalidArgumentValue", f"ssh: '{escape_control(word)}' {why}; after -- only these OpenSSH "
                                              f"options are passed on: {', '.join(sorted(SSH_FLAGS))}, -i FILE, "
                                              f"-l USER, -L/-R PORT:HOST:PORT, -D PORT, -c, -m, and -o with "
                                              f"connection settings (ConnectTimeout, StrictHostKeyChecking, ...), "
                                              f"then an optional remote command.")


def _check_value(option: str, value: str) -> str:
    if option == "-o":
        keyword, separator, setting = value.partition("=")
        if not separator:
            keyword, _, setting = value.partition(" ")
        if keyword.strip().lower() not in SSH_CONFIG_KEYWORDS:
            raise _refuse(f"-o {value}", "is not a connection setting this command passes on")
        if not setting.strip() or not re.fullmatch(_SAFE_VALUE, setting.strip()):
            raise _refuse(f"-o {value}", "has a value with characters ssh settings do not need")
        return f"{keyword.strip()}={setting.strip()}"
    if option in ("-L", "-R", "-D"):
        if not re.fullmatch(_FORWARD, value) or (option == "-D") != (":" not in value):
            raise _refuse(f"{option} {value}", "is not PORT:HOST:HOSTPORT (-L/-R) or PORT (-D) without a bind "
                                               "address")
        return value
    if option == "-l":
        return check_user_option(value)
    if not re.fullmatch(_SAFE_VALUE, value) or value.startswith("-"):
        raise _refuse(f"{option} {value}", "has a value with characters this option does not need")
    return value


def check_user_option(value: str) -> str:
    if not re.fullmatch(_USER, value):
        raise _refuse(f"-l {value}", "is not a login name")
    return value


def split_ssh_arguments(words: Sequence[str]) -> tuple[list[str], list[str]]:
    """(checked options, remote command) from what followed `--`, read as OpenSSH reads it.

    Options come first (each on the allow-list, a value in the next word or attached: `-i key`, `-ikey`,
    `-oConnectTimeout=5`); the first other word starts the remote command, which runs on the instance.
    """
    options: list[str] = []
    index = 0
    words = list(words)
    while index < len(words):
        word = words[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        index += 1
        if word in SSH_FLAGS:
            options.append(word)
            continue
        option, attached = word[:2], word[2:]
        if option not in SSH_VALUE_OPTIONS:
            raise _refuse(word, "is not an OpenSSH option this command passes on")
        if attached:
            value = attached
        elif index < len(words):
            value = words[index]
            index += 1
        else:
            raise UsageError("MissingArgumentValue", f"ssh: {option} needs a value.")
        options += [option, _check_value(option, value)]
    command = words[index:]
    if command and command[0].startswith("-"):
        raise _refuse(command[0], "would be read by ssh as an option, not as the remote command")
    return options, command


def ssh_argv(target: SshTarget, extra: Sequence[str], ssh_path: str = "ssh") -> list[str]:
    """The argument list for OpenSSH: `ssh -p PORT [options] -- user@host [command...]`."""
    options, command = split_ssh_arguments(extra)
    argv = [ssh_path]
    if target.port != SSH_PORT:
        argv += ["-p", str(target.port)]
    argv += options
    return argv + ["--", f"{target.user}@{target.host}", *command]


def find_ssh() -> str:
    """OpenSSH's `ssh` on PATH, or a clear error."""
    import shutil

    found = shutil.which("ssh")
    if found is None:
        raise AzureError("OpenSSH's ssh was not found on PATH; install the OpenSSH client "
                         "(apt install openssh-client, or Windows' optional feature) and try again.",
                         code="SshNotFound")
    return found


def run_openssh(argv: list[str]) -> int:
    """Run ssh in this terminal (no shell) and return its exit status."""
    import subprocess

    try:
        return subprocess.run(argv, check=False).returncode  # noqa: S603 - an argument list, every word checked
    except OSError as error:
        raise AzureError(f"ssh could not be started: {error.strerror or error}.", code="SshFailed") from None


# --- the emulator's console -------------------------------------------------------------------------------

def _nic_and_subnet(backend: Any, instance: Instance) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The instance's NIC and its subnet as ARM JSON (found by its private address), or None."""
    from ..backends.protocol import Network

    if not isinstance(backend, Network) or not instance.private_ip:
        return None
    for nic in backend.list_scale_set_nics(instance.resource_group, instance.scale_set_name):
        for config in (nic.get("properties") or {}).get("ipConfigurations") or []:
            props = config.get("properties") or {}
            if props.get("privateIPAddress") != instance.private_ip:
                continue
            parts = ((props.get("subnet") or {}).get("id") or "").split("/")
            if len(parts) < 11:
                return None
            vnet = backend.get_network_resource("vnet", parts[4], parts[8])
            for subnet in (vnet.get("properties") or {}).get("subnets") or []:
                if subnet.get("name", "").lower() == parts[10].lower():
                    return nic, subnet
    return None


def _prefix_length(subnet: dict[str, Any] | None) -> int | None:
    """The subnet's prefix length for `ip addr` (None when it cannot say)."""
    import ipaddress

    if subnet is None:
        return None
    try:
        return ipaddress.ip_network((subnet.get("properties") or {}).get("addressPrefix") or "", strict=False).prefixlen
    except ValueError:
        return None


def security_refusal(backend: Any, nic: dict[str, Any], subnet: dict[str, Any], port: int = SSH_PORT) -> str | None:
    """Why the NSGs on the subnet and the NIC keep inbound TCP `port` out (both must allow it), or None."""
    from ..arm.network import nsg_from_arm
    from ..domain.network.security import deciding_rule, inbound_allowed

    for holder in (subnet, nic):
        nsg_id = ((holder.get("properties") or {}).get("networkSecurityGroup") or {}).get("id") or ""
        parts = nsg_id.split("/")
        if len(parts) < 9:
            continue
        body = backend.get_network_resource("nsg", parts[4], parts[8])
        nsg = nsg_from_arm(body, parts[8], str(body.get("location") or ""))
        if not inbound_allowed(nsg, port):
            rule = deciding_rule(nsg, port)
            return (f"the network security group '{nsg.name}' denies inbound TCP {port} (rule {rule.name}, priority "
                    f"{rule.priority}); allow it, e.g. with an inbound rule for port {port}")
    return None


def open_console(backend: Any, target: SshTarget, terminal: Terminal, *, read_only_reason: str | None = None,
                 record: Callable[[str, int, str | None], None] | None = None) -> int:
    """The emulated console of `target` in `terminal`, until the user leaves; its exit status."""
    from .console import ConsoleContext, EmulatedConsole

    try:
        found = _nic_and_subnet(backend, target.instance)
    except AzureError:
        found = None
    if found is not None:
        try:
            refusal = security_refusal(backend, *found)
        except AzureError:  # a group that cannot be read decides nothing here
            refusal = None
        if refusal is not None:  # what a real client sees: no answer on the port
            raise AzureError(f"ssh: connect to host {target.host} port {target.port}: Connection timed out: "
                             f"{refusal}.", code="ConnectionTimedOut")
    context = ConsoleContext(backend=backend, scale_set=target.scale_set, instance=target.instance, user=target.user,
                             endpoint=target.endpoint, read_only_reason=read_only_reason, record=record,
                             prefix_length=_prefix_length(found[1] if found is not None else None))
    return EmulatedConsole(context, terminal).run()


def is_emulated(backend: Any) -> bool:
    from ..backends.protocol import LoadSimulation

    return isinstance(backend, LoadSimulation)


def run_ssh(backend: Any, scale_set: ScaleSet, instance_id: str, extra: Sequence[str], terminal: Terminal, *,
            read_only_reason: str | None = None,
            record: Callable[[str, int, str | None], None] | None = None,
            openssh: Callable[[list[str]], int] = run_openssh) -> int:
    """The whole `ssh`: check, then OpenSSH (Azure) or the console (emulator); the session's exit status.

    Raises a one-line error (UsageError, AzureError) before anything runs when a check fails.
    """
    emulated = is_emulated(backend)
    split_ssh_arguments(extra)  # the line's own mistakes first: exit 2, nothing looked up
    if emulated and extra:
        raise UsageError("InvalidArgumentValue", "ssh: the emulated console takes no ssh options or remote "
                                                 "command; type the commands at its prompt.")
    if not emulated and read_only_reason is not None:
        raise UsageError("ReadOnly", f"ssh opens a shell that can change the instance, and this session is "
                                     f"read-only ({read_only_reason}); nothing was run.")
    target = resolve_target(backend, scale_set, instance_id)
    from .console import ctrl_c_interrupts

    if emulated:
        with ctrl_c_interrupts():
            try:
                return open_console(backend, target, terminal, read_only_reason=read_only_reason, record=record)
            except BrokenPipeError:  # the reader of its output went away (`| head`): ended as by SIGPIPE
                return 141
    argv = ssh_argv(target, extra, find_ssh())
    if record is not None:
        record(f"ssh {' '.join(argv[1:])}", 0, None)
    with ctrl_c_interrupts():
        try:
            return openssh(argv)
        except KeyboardInterrupt:  # before ssh took the terminal (connecting): it was stopped, as a shell would
            return 130


# --- the command ------------------------------------------------------------------------------------------

def _ssh(inv: Invocation) -> Result:
    assert inv.scale_set is not None
    session = inv.session
    terminal = session.terminal
    if terminal is None:
        raise UsageError("NoTerminal", "ssh takes over the terminal, which this front end cannot lend; in the TUI "
                                       "press S on the instance, or run `vmss-tui ssh SET INSTANCE`.")
    group = inv.scale_set.resource_group
    typed_prefix = f"ssh {inv.scale_set.name} {inv.args['instance']}: "

    def record(typed: str, exit_code: int, error: str | None) -> None:
        if session.audit is not None:
            session.audit.record(typed_prefix + typed, exit_code=exit_code, error=error, resource_group=group)

    status = run_ssh(inv.backend, inv.scale_set, inv.args["instance"], list(inv.args["ssh_args"] or ()), terminal,
                     read_only_reason=session.read_only_reason if session.read_only else None, record=record)
    if status != 0:
        raise AzureError(f"The ssh session ended with exit status {status}.", code="SshFailed")
    return Result(data=None, table=lambda _data: "")


SSH_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "ssh", "A shell on an instance: OpenSSH on Azure, the emulated console in the emulator.", _ssh,
        needs_set=True,
        params=(ParamSpec("set", "Scale-set name (may be omitted after `use <set>`).", required=True, completion="sets"),
                ParamSpec("instance", "Instance id (Uniform: a number; Flexible: the VM name).", required=True,
                          completion="instances", metavar="<instance>"),
                ParamSpec("ssh_args", "After --: OpenSSH options (-i, -L, -v, -o ConnectTimeout=5, ...) and a "
                                      "remote command.", multiple=True, metavar="-- <ssh-args>")),
        help="Goes in through the instance's public endpoint (the load balancer's NAT port, or its own public IP) "
             "as the VM profile's admin user. In the emulator it opens the instance's emulated console: hostname, "
             "ip addr, uptime, and `stress --cpu 90 --for 10m`, which drives the CPU autoscale reads.",
        examples=("ssh web 0", "ssh web 0 -- -i ~/.ssh/lab_key", "ssh web 0 -- uptime", "ssh lab-set newvm"),
    ),
)


# --- front ends that lend the terminal for a moment (the TUI's `S`) ------------------------------------------


def run_in_terminal(session: Any, resource_group: str, set_name: str, instance_id: str,
                    terminal: Terminal | None = None, *, wait_for_enter: bool = True) -> str:
    """`ssh` in the process's terminal (the TUI suspends itself around this); the line for its activity log.

    A failure is printed in the terminal, and waits for Enter so it can be read before the app repaints.
    """
    from .console import StdioTerminal

    terminal = terminal or StdioTerminal()
    typed = f"ssh {set_name} {instance_id}"

    def record(line: str, exit_code: int, error: str | None) -> None:
        if session.audit is not None:
            session.audit.record(f"{typed}: {line}", exit_code=exit_code, error=error, resource_group=resource_group)

    try:
        scale_set = session.backend.get_scale_set(resource_group, set_name)
        status = run_ssh(session.backend, scale_set, instance_id, (), terminal,
                         read_only_reason=session.read_only_reason if session.read_only else None, record=record)
    except KeyboardInterrupt:
        return f"{typed}: interrupted"
    except (UsageError, AzureError) as error:
        message = escape_control(" ".join(f"ERROR: {error}".splitlines()))
        terminal.write(message + "\n")
        if wait_for_enter:
            _wait_for_enter(terminal)
        return f"{typed}: {message}"
    if status != 0 and wait_for_enter:
        terminal.write(f"ssh ended with exit status {status}.\n")
        _wait_for_enter(terminal)
    return f"{typed}: session ended (exit status {status})"


def _wait_for_enter(terminal: Terminal) -> None:
    try:
        terminal.read_line("Press Enter to return to vmss-tui. ")
    except (EOFError, KeyboardInterrupt):
        pass
