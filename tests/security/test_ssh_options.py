"""Over SSH only the options that shape one command pass; everything else comes from the console's config.

The rule is an allow-list: `vmss_tui.admin.commands.ALLOWED_OVER_SSH` names the parsed global keys a
remote caller may set. The walk below takes every global option from the CLI's own table, so an option
added to cli.py later is exercised here at once, and is refused over SSH until it is allow-listed on
purpose (at which point `EXPECTED_ALLOWED` must change too: a deliberate, reviewed edit).
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vmss_tui import cli
from vmss_tui.backends import open_backend
from vmss_tui.cli import main
from vmss_tui.commands import COMMAND_INDEX, LINE_OPTIONS, Session, run_line

ME = pwd.getpwuid(os.geteuid()).pw_name
REMOTE = "198.51.100.7 40000 127.0.0.1 22"

EXPECTED_ALLOWED = {"-g", "--resource-group", "-o", "--output", "--query", "--yes", "-y", "--no-wait",
                    "-h", "--help", "--version"}
"""The flags a remote caller may give. Changing this set is a security decision."""

SAMPLE_VALUES = {"resource_group": "practice-rg", "output": "json", "query": "[].name"}


def _every_global_flag() -> list[tuple[str, str, bool]]:
    """(flag, key, takes a value) for every global option cli.py knows."""
    return [(flag, option.key, option.takes_value) for flag, option in cli.GLOBAL_OPTIONS.items()]


@pytest.fixture
def console(tmp_path, monkeypatch):
    """A bastion console: its config pins the store and the audit log; this user is an operator."""
    store = tmp_path / "store"
    backend = open_backend("emulator", db=store, speed="instant", durable=False)
    backend.seed_practice_estate()
    backend.close()
    config = tmp_path / "console.toml"
    audit_log = tmp_path / "audit.jsonl"
    config.write_text(f'db = "{store}"\nspeed = "instant"\naudit_log = "{audit_log}"\n'
                      f'[roles]\ndefault = "viewer"\n[roles.users]\n{ME} = "operator"\n')
    monkeypatch.setenv("SSH_CONNECTION", REMOTE)
    return config, audit_log


def _remote(monkeypatch, config: Path, command: str) -> int:
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", command)
    return main(["--config", str(config), "ssh-console"])


def _records(audit_log: Path) -> list[dict]:
    if not audit_log.exists():
        return []
    return [json.loads(line) for line in audit_log.read_text().splitlines()]


def test_the_allow_list_is_exactly_the_options_that_shape_one_command():
    from vmss_tui.admin.commands import ALLOWED_OVER_SSH

    flags = {flag for flag, key, _ in _every_global_flag() if key in ALLOWED_OVER_SSH}
    assert flags == EXPECTED_ALLOWED
    # Inside a session (REPL, pipe, TUI command bar) the only options are LINE_OPTIONS: all allowed.
    assert {param.dest for param in LINE_OPTIONS} <= ALLOWED_OVER_SSH


@pytest.mark.parametrize("flag,key,takes_value", _every_global_flag(), ids=lambda v: str(v))
def test_every_global_option_is_refused_or_allowed_over_ssh_as_the_allow_list_says(
        console, monkeypatch, capsys, flag, key, takes_value):
    config, audit_log = console
    value = SAMPLE_VALUES.get(key, "/tmp/elsewhere")
    words = [flag, value] if takes_value else [flag]
    for placement in ("after", "before"):
        command = " ".join(["list", *words] if placement == "after" else [*words, "list"])
        before = len(_records(audit_log))
        code = _remote(monkeypatch, config, command)
        captured = capsys.readouterr()
        if flag in EXPECTED_ALLOWED:
            assert "NotAllowedOverSsh" not in captured.err
            # --version names the program, not a command option: after `list` the command parser refuses it.
            if not (flag == "--version" and placement == "after"):
                assert code == 0, (command, captured.err)
            continue
        assert code == 2, (command, captured.err)
        [line] = captured.err.splitlines()
        assert line.startswith("ERROR: (NotAllowedOverSsh) ") and flag in line, line
        assert captured.out == ""
        [record] = _records(audit_log)[before:]
        assert record["outcome"] == "refused" and record["error_code"] == "NotAllowedOverSsh"
        assert record["source_address"] == "198.51.100.7" and record["command"].startswith(("list", flag))


def test_inline_values_and_every_spelling_are_refused_too(console, monkeypatch, capsys):
    config, _ = console
    for command in ("list --base-url=https://attacker.example:8443", "show web --ca-bundle=/tmp/x.pem",
                    "--auth=device list", "list -o json --db=/tmp/x", "scale web 3 --yes --backend azure"):
        assert _remote(monkeypatch, config, command) == 2, command
        assert "(NotAllowedOverSsh)" in capsys.readouterr().err


def test_only_known_command_words_run_over_ssh(console, monkeypatch, capsys):
    config, _ = console
    for command in ("emulator serve", "emulator reset --yes", "ssh-console", "ssh-config", "-o json",
                    "nonsense-command"):
        assert _remote(monkeypatch, config, command) == 2, command
        error = capsys.readouterr().err
        assert error.startswith("ERROR: (") and len(error.splitlines()) == 1, error
    assert _remote(monkeypatch, config, "show web -g practice-rg -o json --query sku.capacity") == 0
    assert json.loads(capsys.readouterr().out) == 6
    assert _remote(monkeypatch, config, "--version") == 0


def test_the_consoles_own_options_reach_the_remote_command(console, monkeypatch, capsys, tmp_path):
    """`--read-only` in the ForceCommand holds for remote commands (it used to be dropped)."""
    config, _ = console
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "scale web 3 --yes")
    assert main(["--config", str(config), "--read-only", "ssh-console"]) == 2
    assert "(ReadOnly)" in capsys.readouterr().err


def test_no_command_option_shadows_a_refused_global():
    """A command option spelled like a refused global would be a way round the allow-list."""
    from vmss_tui.admin.commands import ALLOWED_OVER_SSH

    refused = {flag for flag, key, _ in _every_global_flag() if key not in ALLOWED_OVER_SSH}
    for spec in COMMAND_INDEX.values():
        for param in spec.options:
            assert not (set(param.flags) & refused), (spec.name, param.flags)


def test_a_session_line_cannot_name_a_global_option(backend):
    """The REPL, the pipe and the TUI's `:` bar all run lines through run_line: globals are unknown there."""
    session = Session(backend, output="json")
    for line in ("list --base-url https://attacker.example", "list --ca-bundle /tmp/x.pem", "list --auth cli",
                 "list --db /tmp/x", "list --config /tmp/x.toml", "list --backend azure"):
        outcome = run_line(line, session)
        assert outcome.exit_code == 2 and outcome.error.startswith("ERROR: (UnrecognizedArguments)"), line


class _Listener:
    """A TCP listener on loopback that records every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.socket.close()


@pytest.fixture
def listener():
    opened = _Listener()
    yield opened
    opened.close()


def _azure_console(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A console on the Azure backend (emulator sign-in, so a token exists to be stolen)."""
    config = tmp_path / "azure-console.toml"
    config.write_text(f'backend = "azure"\nsubscription = "00000000-0000-0000-0000-000000000001"\n'
                      f'audit_log = "{tmp_path / "audit.jsonl"}"\n')
    env = {**os.environ, "SSH_CONNECTION": REMOTE, "VMSS_TUI_AZURE_AUTH": "emulator",
           "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("VMSS_TUI_AZURE_BASE_URL", None)
    return config, env


def test_a_remote_base_url_opens_no_connection_and_sends_no_token(tmp_path, listener):
    import certifi

    config, env = _azure_console(tmp_path)
    for command in (f"list --base-url https://127.0.0.1:{listener.port}",
                    f"list --base-url https://127.0.0.1:{listener.port} --ca-bundle {certifi.where()}"):
        env["SSH_ORIGINAL_COMMAND"] = command
        try:
            result = subprocess.run([sys.executable, "-m", "vmss_tui", "--config", str(config), "ssh-console"],
                                    capture_output=True, text=True, env=env, timeout=60)
        except subprocess.TimeoutExpired:
            result = None
        assert listener.connections == 0, "the console connected where the remote caller said"
        assert result is not None and result.returncode == 2, result and result.stderr
        assert "(NotAllowedOverSsh)" in result.stderr and "--base-url" in result.stderr


def test_a_piped_session_over_ssh_cannot_change_the_endpoint(tmp_path, listener):
    config, env = _azure_console(tmp_path)
    env.pop("SSH_ORIGINAL_COMMAND", None)
    result = subprocess.run([sys.executable, "-m", "vmss_tui", "--config", str(config), "ssh-console"],
                            input=f"list --base-url https://127.0.0.1:{listener.port}\n",
                            capture_output=True, text=True, env=env, timeout=60)
    assert listener.connections == 0
    assert result.returncode == 2 and "(UnrecognizedArguments)" in result.stderr, result.stderr
