"""Roles, the audit trail and the console's entry points, driven through the real `vmss-tui` CLI."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.cli import main

ME = pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture
def console(tmp_path, monkeypatch):
    """A config naming this user's role, a store holding one empty group `rg` and an audit log, like a bastion's."""
    store = open_backend("emulator", db=tmp_path / "store", speed="instant")
    store.create_or_update_resource_group("rg", "westeurope")  # sets need their group, as in Azure
    store.close()
    monkeypatch.setenv("VMSS_TUI_DB", str(tmp_path / "store"))
    monkeypatch.setenv("VMSS_TUI_SPEED", "instant")
    monkeypatch.delenv("SSH_ORIGINAL_COMMAND", raising=False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)

    def configure(role: str) -> Path:
        config = tmp_path / "config.toml"
        config.write_text(f'audit_log = "{tmp_path / "audit.jsonl"}"\n[roles]\ndefault = "viewer"\n'
                          f'[roles.users]\n{ME} = "{role}"\n')
        return config

    return configure, tmp_path / "audit.jsonl"


def _audit(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_viewer_is_refused_every_change_and_the_refusal_is_audited(console, capsys):
    configure, audit_log = console
    config = configure("viewer")
    assert main(["--config", str(config), "create", "web", "-g", "rg", "--mode", "uniform", "-o", "none"]) == 2
    error = capsys.readouterr().err
    assert "(ReadOnly)" in error and f"{ME} has the viewer role" in error
    assert main(["--config", str(config), "list", "-o", "json"]) == 0  # reading is fine
    [record] = _audit(audit_log)
    assert record["operator"] == ME and record["outcome"] == "refused" and record["error_code"] == "ReadOnly"
    assert record["role"] == "viewer" and record["command"].startswith("create web")


def test_an_operators_changes_and_failures_are_audited_with_azure_codes(console, capsys):
    configure, audit_log = console
    config = configure("operator")
    assert main(["--config", str(config), "create", "web", "-g", "rg", "--mode", "uniform", "--capacity", "2",
                 "-o", "none"]) == 0
    assert main(["--config", str(config), "add-vm", "web", "-o", "none"]) == 1
    assert main(["--config", str(config), "show", "web", "-o", "none"]) == 0  # not a change: not audited
    records = _audit(audit_log)
    assert [(r["outcome"], r["error_code"]) for r in records] == [("success", None), ("failed", "OperationNotAllowed")]
    assert records[0]["resource_group"] == "rg" and records[0]["backend"] == "emulator"
    assert len(records[0]["subscription"]) == 36


def test_audit_lists_and_filters_the_trail(console, capsys):
    configure, audit_log = console
    config = configure("operator")
    main(["--config", str(config), "create", "web", "-g", "rg", "--mode", "uniform", "-o", "none"])
    capsys.readouterr()
    assert main(["--config", str(config), "audit", "--since", "1h", "--user", ME, "-o", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["command"].startswith("create web")
    assert main(["--config", str(config), "audit", "--user", "nobody-else", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--config", str(config), "audit", "--since", "last tuesday"]) == 2
    assert "30m, 2h, 7d" in capsys.readouterr().err


def test_emulator_quota_can_be_set_and_shown_and_a_quota_error_follows(console, capsys):
    configure, _ = console
    config = configure("operator")
    assert main(["--config", str(config), "emulator", "quota", "--set", "standardDSv3Family=4", "-o", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["standardDSv3Family"]["limit"] == 4
    assert main(["--config", str(config), "create", "web", "-g", "rg", "--mode", "uniform", "--capacity", "3",
                 "-o", "none"]) == 1
    assert "(QuotaExceeded)" in capsys.readouterr().err


def test_emulator_reset_needs_yes_without_a_terminal_and_keeps_the_old_store(console, capsys, tmp_path):
    configure, _ = console
    config = configure("operator")
    main(["--config", str(config), "create", "web", "-g", "rg", "--mode", "uniform", "-o", "none"])
    assert main(["--config", str(config), "emulator", "reset"]) == 2
    assert "(ConfirmationRequired)" in capsys.readouterr().err
    assert main(["--config", str(config), "emulator", "reset", "--yes"]) == 0
    assert "the old one is at" in capsys.readouterr().out
    assert main(["--config", str(config), "list", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_remote_command_runs_on_the_consoles_store_and_cannot_pick_another(console, capsys, monkeypatch):
    configure, audit_log = console
    config = configure("operator")
    main(["--config", str(config), "create", "web", "-g", "rg", "--mode", "uniform", "-o", "none"])
    capsys.readouterr()
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.4 52000 127.0.0.1 22")
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "scale web 3 --yes -o json")
    assert main(["--config", str(config), "ssh-console"]) == 0
    assert json.loads(capsys.readouterr().out)["sku"]["capacity"] == 3
    assert _audit(audit_log)[-1]["source_address"] == "198.51.100.4"
    for forbidden, code in (("list --db /tmp/elsewhere", "NotAllowedOverSsh"), ("emulator serve", "NotAllowedOverSsh"),
                            ("ssh-console", "NotAllowedOverSsh"), ("list 'unterminated", "UnrecognizedArguments")):
        monkeypatch.setenv("SSH_ORIGINAL_COMMAND", forbidden)
        assert main(["--config", str(config), "ssh-console"]) == 2
        assert f"({code})" in capsys.readouterr().err


def test_without_a_terminal_the_console_says_so_and_reads_commands_from_stdin(console, tmp_path):
    configure, _ = console
    config = configure("operator")
    env = {**os.environ, "VMSS_TUI_DB": str(tmp_path / "store"), "VMSS_TUI_SPEED": "instant",
           "SSH_CONNECTION": "198.51.100.4 52000 127.0.0.1 22"}
    env.pop("SSH_ORIGINAL_COMMAND", None)
    result = subprocess.run([sys.executable, "-m", "vmss_tui", "--config", str(config), "ssh-console"],
                            input="create web -g rg --mode uniform --capacity 2 -o none\nlist -o tsv\n",
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "no terminal" in result.stderr and "ssh -t" in result.stderr
    assert "web" in result.stdout


def test_a_config_with_an_unknown_role_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VMSS_TUI_DB", str(tmp_path / "store"))
    config = tmp_path / "config.toml"
    config.write_text('[roles.users]\nalice = "admin"\n')
    assert main(["--config", str(config), "list"]) == 2
    assert "choose one of: operator, viewer" in capsys.readouterr().err
