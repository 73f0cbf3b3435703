"""Every door answers a huge input within seconds with one clear error, before any parsing work.

Limits: a command line (REPL, pipe, TUI command bar, one-shot argv, SSH remote command) is at most
16,384 characters, a --query 4,096, the config file 1 MiB. The time went into `shlex` (quadratic in
the length of one word: a 10 MB pipe line ran for over a minute), so lengths are checked first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from vmss_tui.cli import main
from vmss_tui.commands import Session, complete, run_line
from vmss_tui.domain.limits import MAX_LINE_CHARACTERS

TEN_MB = 10 * 1024 * 1024
QUICK = 5.0
"""Seconds: generous, the point is "not minutes"."""


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """Run `call` and fail if it takes longer than `seconds` (it keeps running in a daemon thread)."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still working after {seconds} s"
    assert result, "the call raised"
    assert time.monotonic() - started < seconds
    return result[0]


def _one_error_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, lines[:3]
    assert len(lines[0]) < 300 and "Traceback" not in text and "internal error" not in text
    return lines[0]


def test_a_10_mb_line_in_the_session_is_refused_at_once(session: Session):
    outcome = within(QUICK, lambda: run_line("list " + "x" * TEN_MB, session))
    assert outcome.exit_code == 2
    assert outcome.error == (f"ERROR: (InvalidInput) The command line is {TEN_MB + 5} characters; "
                             f"the limit is {MAX_LINE_CHARACTERS}.")


def test_the_limit_is_exact(session: Session):
    fits = "list" + " " * (MAX_LINE_CHARACTERS - 4)
    assert run_line(fits, session).exit_code == 0
    assert run_line(fits + " ", session).error.startswith("ERROR: (InvalidInput)")


def test_completion_of_a_huge_line_returns_at_once(session: Session):
    assert within(QUICK, lambda: complete("scale " + "w" * TEN_MB, session)) == []


def test_a_10_mb_line_in_pipe_mode_is_one_error_and_exit_2(estate_db: Path, tmp_path: Path):
    env = {**os.environ, "VMSS_TUI_DB": str(estate_db), "VMSS_TUI_SPEED": "instant",
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "vmss_tui", "shell"], input="list " + "x" * TEN_MB + "\nlist\n",
                            capture_output=True, text=True, env=env, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert _one_error_line(result.stderr) == (f"ERROR: (InvalidInput) The command line is {TEN_MB + 5} characters; "
                                              f"the limit is {MAX_LINE_CHARACTERS}.")
    assert elapsed < QUICK + 3  # + interpreter start-up


def test_a_10_mb_one_shot_argument_is_refused_at_once(estate_db: Path, monkeypatch, capsys):
    monkeypatch.setenv("VMSS_TUI_DB", str(estate_db))
    assert within(QUICK, lambda: main(["show", "w" * TEN_MB])) == 2
    assert _one_error_line(capsys.readouterr().err).startswith("ERROR: (InvalidInput) The command line is ")


def test_a_long_remote_ssh_command_is_refused_at_once(estate_db: Path, monkeypatch, capsys):
    monkeypatch.setenv("VMSS_TUI_DB", str(estate_db))
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.7 40000 127.0.0.1 22")
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "show " + "w" * 120_000)  # near Linux's one-variable limit
    assert within(QUICK, lambda: main(["ssh-console"])) == 2
    assert _one_error_line(capsys.readouterr().err).startswith("ERROR: (InvalidInput) The remote command is ")


@pytest.mark.parametrize("query,code", [("a." * 3000 + "b", "InvalidInput"), ("(" * 2000 + "a" + ")" * 2000, "InvalidQuery"),
                                        ("[" * 1500, "InvalidQuery")])
def test_a_huge_or_deeply_nested_query_is_refused_before_anything_runs(session: Session, query: str, code: str):
    outcome = within(QUICK, lambda: run_line(f"list --query '{query}'", session))
    assert outcome.exit_code == 2 and outcome.error.startswith(f"ERROR: ({code})"), outcome.error
    assert len(outcome.error) < 300


def test_a_huge_config_file_is_refused_at_once(tmp_path: Path, capsys):
    config = tmp_path / "config.toml"
    config.write_text("theme = \"" + "x" * TEN_MB + "\"\n")
    assert within(QUICK, lambda: main(["--config", str(config), "list"])) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("ERROR: (InvalidConfig)") and "limit" in line


def test_a_config_that_never_ends_is_refused(tmp_path: Path):
    """`--config /dev/zero` used to read forever."""
    result = subprocess.run([sys.executable, "-m", "vmss_tui", "--config", "/dev/zero", "list"], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 2 and _one_error_line(result.stderr).startswith("ERROR: (InvalidConfig)")


def test_a_deeply_nested_config_is_a_config_error(tmp_path: Path, capsys):
    config = tmp_path / "config.toml"
    config.write_text("theme = " + "[" * 5000 + "]" * 5000 + "\n")
    assert within(QUICK, lambda: main(["--config", str(config), "list"])) == 2
    assert _one_error_line(capsys.readouterr().err).startswith("ERROR: (InvalidConfig)")
