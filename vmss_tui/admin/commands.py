"""CLI commands for running vmss-tui as a shared console: `audit`, `ssh-config`, `ssh-console`, `emulator ...`.

These act on the tool itself (its audit trail, its sshd set-up, its emulator), not on Azure, so
they live beside the command language rather than in it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, TextIO

from . import audit
from .identity import VIEWER, current_operator
from .ssh import DEFAULT_GROUPS, adapt_terminal_environment, mouse_default, render_sshd_config

ALLOWED_OVER_SSH = frozenset({"resource_group", "output", "query", "yes", "no_wait", "help", "version"})
"""The global options (keys of `cli.GLOBAL_OPTIONS`) a remote `ssh host <command>` may set.

Only what shapes one command's answer: -g, -o, --query, --yes, --no-wait (and --help/--version,
which send nothing). Everything that picks an endpoint, a credential, a file, a directory, a
backend, a subscription, a speed, a config or a theme comes from the console's own command line
and config. An option added to the CLI later is refused here until it is added on purpose.
"""
SESSION_COMMANDS_OVER_SSH = frozenset({"shell", "audit"})
"""Console words a remote caller may run besides the command language itself (the registry)."""


def _allowed_command_words() -> frozenset[str]:
    from ..commands.registry import COMMAND_INDEX

    return frozenset(key.split(" ", 1)[0] for key in COMMAND_INDEX) | SESSION_COMMANDS_OVER_SSH  # `group create`: `group`


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one `ERROR: (UnrecognizedArguments)` line, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Usage(f"{self.prog}: {message}")


class _Usage(Exception):
    """A command line these admin commands cannot accept (printed as one line, exit 2)."""


def audit_path(config: Any) -> Path:
    """The audit log of this install: the config's `audit_log`, else the user data dir."""
    configured = getattr(config, "audit_log", None)
    return Path(configured).expanduser() if configured else audit.default_audit_path()


def run_audit(argv: list[str], config: Any, output: str | None, stdout: TextIO, stderr: TextIO, *,
              reader: str | None = None, role: str | None = None) -> int:
    """`vmss-tui audit [--since WHEN] [--user NAME]`: the audit trail, oldest first.

    Who reads what: an operator reads every line; a viewer reads only their own lines (a viewer
    asking for another user's lines is refused), because lines name other operators, their
    commands and the addresses they came from.
    """
    from ..commands.formatting import columns_table, render

    parser = _Parser(prog="vmss-tui audit", add_help=False)
    parser.add_argument("--since")
    parser.add_argument("--user")
    parser.add_argument("-o", "--output")
    try:
        options = parser.parse_args(argv)
        since = audit.parse_since(options.since) if options.since else None
    except (_Usage, ValueError) as exc:
        stderr.write(f"ERROR: (InvalidArgumentValue) {exc}\n")
        return 2
    user = options.user
    if role == VIEWER:
        if user is not None and user != reader:
            stderr.write(f"ERROR: (AuthorizationFailed) {reader} has the viewer role and may read only their own "
                         f"audit lines, not {user}'s.\n")
            return 2
        user = reader
    path = audit_path(config)
    records, unreadable = audit.read(path)
    rows = [asdict(r) for r in audit.select(records, since=since, user=user)]
    fmt = options.output or output or ("table" if stdout.isatty() else "json")
    columns = [("Time", "time"), ("Operator", "operator"), ("From", "source_address"), ("Role", "role"),
               ("Command", "command"), ("Outcome", "outcome"), ("Error", "error_code")]
    try:
        text = render(rows, fmt, lambda data: columns_table(data, columns) if data else "(no audit records)")
    except Exception as exc:  # noqa: BLE001 - an unknown -o value
        stderr.write(f"ERROR: (InvalidArgumentValue) {exc}\n")
        return 2
    if text:
        stdout.write(text + "\n")
    if unreadable:
        stderr.write(f"WARNING: {unreadable} line(s) of {path} could not be read (a crash mid-write?)\n")
    return 0


def run_ssh_config(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """`vmss-tui ssh-config [--groups a,b] [--config PATH] [--db PATH]`: the sshd_config block."""
    parser = _Parser(prog="vmss-tui ssh-config", add_help=False)
    parser.add_argument("--groups", default=",".join(DEFAULT_GROUPS))
    parser.add_argument("--console-config", dest="config_path", default="/etc/vmss-tui/config.toml")
    parser.add_argument("--store", dest="db_path")
    try:
        options = parser.parse_args(argv)
    except _Usage as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) {exc}\n")
        return 2
    groups = tuple(g.strip() for g in options.groups.split(",") if g.strip())
    if not groups:
        stderr.write("ERROR: (InvalidArgumentValue) --groups needs at least one group name\n")
        return 2
    stdout.write(render_sshd_config(groups=groups, config_path=options.config_path, db_path=options.db_path))
    return 0


def run_ssh_console(settings: Any, *, console_options: Any, run_tui: Callable[[], int], run_pipe: Callable[[], int],
                    run_command: Callable[[Any], int], split_globals: Callable[[list[str]], Any],
                    record_refusal: Callable[[str, str, str | None], str | None], stderr: TextIO,
                    environ: dict[str, str] | None = None) -> int:
    """The ForceCommand of the bastion: a remote command, the TUI, or commands from a pipe.

    - `ssh host list -o json` (SSH_ORIGINAL_COMMAND): that one command, on the console's own
      global options and config; the remote words may carry only `ALLOWED_OVER_SSH` options and
      only command words of the command language (or `shell`, `audit`). Anything else is refused
      (exit 2) and audited as refused.
    - `ssh -t host`: the full-screen TUI, mouse off by default, TERM made usable.
    - `ssh host` without a terminal: a clear line on stderr, then commands read from stdin.
    The TUI and the pipe run lines through the command language, which has no global options.
    """
    env = os.environ if environ is None else environ
    original = env.get("SSH_ORIGINAL_COMMAND", "").strip()
    if original:
        refusal, remote = _check_remote_command(original, split_globals)
        if refusal is not None:
            group = remote.values.get("resource_group") if remote is not None else None
            warning = record_refusal(original, refusal, group)
            stderr.write(refusal + "\n")
            if warning:
                stderr.write(f"WARNING: {warning}\n")
            return 2
        assert remote is not None
        console_values = {key: value for key, value in console_options.values.items()
                          if key not in ALLOWED_OVER_SSH}
        merged = type(remote)(values={**console_values, **remote.values}, command=list(remote.command),
                              spelled=dict(remote.spelled))
        return run_command(merged)
    if sys.stdin.isatty() and sys.stdout.isatty():
        for change in adapt_terminal_environment(os.environ):
            stderr.write(f"vmss-tui: {change}\n")
        if not mouse_default(env):
            settings.mouse = False
        return run_tui()
    operator = current_operator(env)
    stderr.write(f"vmss-tui: no terminal for {operator.user} (connect with `ssh -t` for the full-screen console); "
                 "reading commands from standard input.\n")
    return run_pipe()


def _check_remote_command(original: str, split_globals: Callable[[list[str]], Any]) -> tuple[str | None, Any]:
    """(the one-line refusal or None, the parsed remote globals) of an SSH remote command."""
    from ..domain.limits import InputTooLong, check_line

    try:
        check_line(original, "remote command")
        words = shlex.split(original)
    except InputTooLong as exc:
        return f"ERROR: {exc}", None
    except ValueError as exc:
        return f"ERROR: (UnrecognizedArguments) cannot read the command: {exc}", None
    try:
        remote = split_globals(words)
    except Exception as exc:  # noqa: BLE001 - the CLI's own usage error
        return f"ERROR: (UnrecognizedArguments) {exc}", None
    refused = [key for key in remote.values if key not in ALLOWED_OVER_SSH]
    if refused:
        flag = remote.spelled.get(refused[0], refused[0])
        return (f"ERROR: (NotAllowedOverSsh) {flag} is set by this console's configuration and cannot be given "
                "over SSH; a remote command may give only -g, -o, --query, --yes, --no-wait and its own "
                "options."), remote
    if not remote.command:
        if remote.values.get("help") or remote.values.get("version"):
            return None, remote
        return "ERROR: (MissingCommand) no command given; try `ssh <bastion> help`.", remote
    if remote.command[0].lower() not in _allowed_command_words():
        return (f"ERROR: (NotAllowedOverSsh) '{remote.command[0]}' cannot be run through the console; "
                "`ssh <bastion> help` lists the commands."), remote
    return None, remote


def _clock(argv: list[str], backend_options: dict[str, Any], output: str | None, stdout: TextIO) -> int:
    """`emulator clock show | advance DURATION | set ISO-TIME`: the emulated clock every process reads."""
    from ..backends.emulator.backend import open_emulator
    from ..commands.clock import clock_json, clock_table, parse_moment
    from ..commands.formatting import render
    from ..domain.autoscale.load import parse_short_duration

    parser = _Parser(prog="vmss-tui emulator clock", add_help=False)
    parser.add_argument("words", nargs="*")
    parser.add_argument("-o", "--output", dest="clock_output")
    options = parser.parse_args(argv)
    argv = options.words
    output = options.clock_output or output
    verb = argv[0] if argv else "show"
    backend = open_emulator(**{k: v for k, v in backend_options.items() if k != "clock"})
    if verb == "advance":
        if len(argv) != 2:
            raise _Usage("usage: vmss-tui emulator clock advance DURATION (e.g. 15m, 2h, 1d)")
        backend.advance_clock(parse_short_duration(argv[1]))
    elif verb == "set":
        if len(argv) != 2:
            raise _Usage("usage: vmss-tui emulator clock set ISO-TIME (e.g. 2026-12-24T06:00:00Z)")
        backend.set_clock(parse_moment(argv[1]))
    elif verb != "show" or len(argv) > 1:
        raise _Usage("usage: vmss-tui emulator clock show | advance DURATION | set ISO-TIME")
    data = clock_json(backend.clock_now(), backend.clock_ahead_seconds())
    fmt = output or ("table" if stdout.isatty() else "json")
    if fmt == "none":
        return 0
    stdout.write(render(data, fmt, clock_table) + "\n")
    return 0


def run_emulator_admin(argv: list[str], backend_options: dict[str, Any], yes: bool, output: str | None,
                       stdout: TextIO, stderr: TextIO) -> int:
    """`vmss-tui emulator quota [--location L] [--set FAMILY=N]` and `vmss-tui emulator reset [--yes]`."""
    from ..backends.emulator.backend import DEFAULT_LOCATION, open_emulator
    from ..backends.emulator.manage import quota_rows, reset_store
    from ..commands.formatting import columns_table, render
    from ..domain.errors import AzureError

    action = argv[0] if argv else ""
    if action in ("az-login", "az"):  # the real Azure CLI against the emulator endpoint (admin/az.py)
        from .az import run_az, run_az_login

        return run_az_login(argv[1:], stdout, stderr) if action == "az-login" else run_az(argv[1:], stderr)
    if action == "approve":  # approve `az login --use-device-code` as this user (admin/az.py)
        from .az import run_approve

        return run_approve(argv[1:], stdout, stderr)
    if action == "check":
        from ..backends.emulator.check import run_check

        return run_check(argv[1:], backend_options, stdout, stderr)
    try:
        if action == "quota":
            parser = _Parser(prog="vmss-tui emulator quota", add_help=False)
            parser.add_argument("--location", default=DEFAULT_LOCATION)
            parser.add_argument("--set", dest="limits", action="append", default=[], metavar="FAMILY=VCPUS")
            parser.add_argument("-o", "--output")
            options = parser.parse_args(argv[1:])
            backend = open_emulator(**backend_options)
            for item in options.limits:
                family, sep, value = item.partition("=")
                if not sep or not value.strip().isdigit():
                    raise _Usage(f"--set {item!r}: expected FAMILY=VCPUS, e.g. standardDSv3Family=100")
                backend.set_quota(options.location, family.strip(), int(value))
            rows = quota_rows(backend, options.location)
            fmt = options.output or output or ("table" if stdout.isatty() else "json")
            columns = [("Name", "name"), ("CurrentValue", "currentValue"), ("Limit", "limit"), ("Location", "location")]
            stdout.write(render(rows, fmt, lambda data: columns_table(data, columns)) + "\n")
            return 0
        if action == "clock":
            return _clock(argv[1:], backend_options, output, stdout)
        if action == "reset":
            parser = _Parser(prog="vmss-tui emulator reset", add_help=False)
            parser.add_argument("--yes", "-y", action="store_true")
            options = parser.parse_args(argv[1:])
            from ..backends import default_store_path

            db = backend_options.get("db")
            root = Path(db).expanduser() if db else default_store_path()
            if not (options.yes or yes):
                if not (sys.stdin.isatty() and stderr.isatty()):
                    stderr.write("ERROR: (ConfirmationRequired) 'emulator reset' needs confirmation and cannot ask "
                                 "here; pass --yes to go ahead. Nothing was changed.\n")
                    return 2
                stderr.write(f"Move the emulator store {root} aside and start {'the practice estate' if not db else 'empty'}"
                             " again?\nProceed? [y/N] ")
                stderr.flush()
                if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                    stderr.write("ERROR: (Cancelled) nothing was changed.\n")
                    return 1
            backup = reset_store(root, seed=not db)
            stdout.write(f"Emulator store reset: {root}" + (f" (the old one is at {backup})" if backup else "") + "\n")
            return 0
    except _Usage as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) {exc}\n")
        return 2
    except AzureError as exc:
        stderr.write(f"ERROR: {exc}\n")
        return 2 if exc.nothing_sent else 1
    stderr.write("ERROR: (UnrecognizedArguments) usage: vmss-tui emulator serve|quota|reset|check|clock|az-login|az|approve [options]\n")
    return 2
