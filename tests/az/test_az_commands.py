"""`vmss-tui emulator az-login` / `emulator az` when something is missing: one clear line, nothing run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(tmp_path: Path, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("VMSS_TUI_", "AZURE_"))}
    base.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    base.update(env)
    return subprocess.run([sys.executable, "-m", "vmss_tui", *arguments], env=base, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("command", [["emulator", "az-login"], ["emulator", "az", "vmss", "list"]])
def test_without_az_it_says_how_to_get_it_in_one_line(tmp_path: Path, command: list[str]) -> None:
    run = _run(tmp_path, *command, PATH=str(tmp_path / "empty-bin"))
    assert run.returncode == 2
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: (AzNotFound) The Azure CLI (az) is not installed"), lines
    assert "--az PATH" in lines[0] and "VMSS_TUI_AZ" in lines[0]


def test_an_az_option_that_is_not_an_executable_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "az"
    for run in (_run(tmp_path, "emulator", "az-login", "--az", str(missing)),
                _run(tmp_path, "emulator", "az-login", VMSS_TUI_AZ=str(missing))):
        assert run.returncode == 2
        assert run.stderr.startswith("ERROR: (AzNotFound)") and str(missing) in run.stderr
        assert len(run.stderr.splitlines()) == 1


def test_without_a_running_endpoint_it_says_to_start_one(tmp_path: Path) -> None:
    fake_az = tmp_path / "bin" / "az"
    fake_az.parent.mkdir()
    fake_az.write_text("#!/bin/sh\necho az must not run >&2\nexit 9\n")
    fake_az.chmod(0o755)
    run = _run(tmp_path, "emulator", "az-login", "--az", str(fake_az), "--state-dir", str(tmp_path / "state"))
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("ERROR: (EndpointNotRunning) No emulator endpoint has run with the state dir")
    assert "vmss-tui emulator serve" in run.stderr and "az must not run" not in run.stderr


def test_az_login_help_says_what_it_does_and_az_without_words_is_one_line(tmp_path: Path) -> None:
    helped = _run(tmp_path, "emulator", "az-login", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: vmss-tui emulator az-login")
    assert 'eval "$(vmss-tui emulator az-login)"' in helped.stdout
    bare = _run(tmp_path, "emulator", "az")
    assert bare.returncode == 2 and bare.stdout == ""
    assert len(bare.stderr.splitlines()) == 1 and bare.stderr.startswith("ERROR: (UnrecognizedArguments) no az command")


def test_approve_says_what_it_needs_in_one_line(tmp_path: Path) -> None:
    helped = _run(tmp_path, "emulator", "approve", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: vmss-tui emulator approve")
    bare = _run(tmp_path, "emulator", "approve")
    assert bare.returncode == 2 and bare.stderr.startswith("ERROR: (UnrecognizedArguments)")
    assert len(bare.stderr.splitlines()) == 1
    odd = _run(tmp_path, "emulator", "approve", "\x1b[31mABC")
    assert odd.returncode == 2 and odd.stderr.startswith("ERROR: (InvalidParameter)") and "\x1b" not in odd.stderr
    nobody = _run(tmp_path, "emulator", "approve", "--state-dir", str(tmp_path / "state"), "ABCD2EFGH")
    assert nobody.returncode == 2 and nobody.stdout == ""
    assert nobody.stderr.startswith("ERROR: (EndpointNotRunning)") and len(nobody.stderr.splitlines()) == 1
