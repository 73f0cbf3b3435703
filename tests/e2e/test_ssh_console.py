"""Two operators reach the console over real SSH: the viewer is refused, the operator's scale lands.

A real OpenSSH server on loopback forces `vmss-tui ssh-console` (the block `vmss-tui ssh-config`
prints) on two throwaway users; each drives the TUI in a real terminal (tmux) through `ssh -t`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend

from .sshd_harness import available, start_bastion

OPERATOR = "vmsse2e-olga"
VIEWER = "vmsse2e-victor"

reason = available() or (None if shutil.which("tmux") else "needs tmux")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(reason is not None, reason=reason or "")]


@pytest.fixture
def bastion():
    started = start_bastion({OPERATOR: "operator", VIEWER: "viewer"})
    try:
        yield started
    finally:
        subprocess.run(["tmux", "-L", "vmss-e2e", "kill-server"], stderr=subprocess.DEVNULL)
        started.stop()


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "-L", "vmss-e2e", "capture-pane", "-p", "-t", session],
                          capture_output=True, text=True).stdout


def _wait_for(session: str, pattern: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(session)
        if re.search(pattern, screen, re.IGNORECASE):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} never appeared on {session}'s screen:\n{screen}")


def _keys(session: str, *keys: str) -> None:
    for key in keys:
        subprocess.run(["tmux", "-L", "vmss-e2e", "send-keys", "-t", session, key], check=True)
        time.sleep(0.05)


def _open_console(bastion, user: str) -> str:
    """Start `ssh -t user@bastion` in a 100x30 tmux terminal; returns the tmux session name."""
    session = user.split("-")[-1]
    command = " ".join(bastion.ssh_argv(user, tty=True))
    subprocess.run(["tmux", "-L", "vmss-e2e", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                    f"TERM=xterm-256color {command}"], check=True)
    _wait_for(session, r"Scale sets")
    return session


def _run_in_command_bar(session: str, line: str) -> None:
    _keys(session, ":")
    time.sleep(0.3)
    subprocess.run(["tmux", "-L", "vmss-e2e", "send-keys", "-t", session, "-l", line], check=True)
    _keys(session, "Enter")


def test_viewer_is_refused_operator_scale_lands_and_both_are_in_the_audit_trail(bastion):
    # The operator creates a group and a set with remote one-shot commands (no terminal): `ssh host <command>`.
    # (Azure creates nothing in a group that does not exist; the console's store starts empty.)
    group = subprocess.run(bastion.ssh_argv(OPERATOR, "group", "create", "practice-rg", "-l", "westeurope",
                                            "-o", "none"), capture_output=True, text=True, timeout=60)
    assert group.returncode == 0, group.stderr
    created = subprocess.run(bastion.ssh_argv(OPERATOR, "create", "web", "-g", "practice-rg", "--mode", "uniform",
                                              "--capacity", "3", "--yes", "-o", "json"),
                             capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["sku"]["capacity"] == 3

    viewer = _open_console(bastion, VIEWER)
    _wait_for(viewer, r"read-only")
    _run_in_command_bar(viewer, "scale web 5 --yes")
    _wait_for(viewer, r"ReadOnly|read-only.*nothing was sent|viewer role")

    operator = _open_console(bastion, OPERATOR)
    _run_in_command_bar(operator, "scale web 5 --yes")
    store = open_backend("emulator", db=bastion.store, speed="instant")
    deadline = time.monotonic() + 30
    while store.get_scale_set("practice-rg", "web").capacity != 5:
        assert time.monotonic() < deadline, _screen(operator)
        time.sleep(0.2)

    # The viewer's screen shows the operator's change on refresh (several operators, one store).
    _keys(viewer, "C-r")
    _wait_for(viewer, r"web\s+Uniform\s+\d+/5")

    records = [json.loads(line) for line in Path(bastion.audit_log).read_text().splitlines()]
    by_user = {(r["operator"], r["command"], r["outcome"]) for r in records}
    assert (VIEWER, "scale web 5 --yes", "refused") in by_user
    assert (OPERATOR, "scale web 5 --yes", "success") in by_user
    assert all(r["source_address"] == "127.0.0.1" for r in records)
    assert {r["role"] for r in records if r["operator"] == VIEWER} == {"viewer"}


def test_without_a_terminal_a_piped_session_runs_and_a_forbidden_command_is_refused(bastion):
    piped = subprocess.run(bastion.ssh_argv(OPERATOR), input="list -o json\n", capture_output=True, text=True,
                           timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert "no terminal" in piped.stderr and json.loads(piped.stdout) == []
    for smuggled in (["--db", "/tmp"], ["--base-url", "https://127.0.0.1:9"], ["--ca-bundle", "/tmp/x.pem"],
                     ["--auth", "cli"], ["--config", "/tmp/x.toml"]):
        escape = subprocess.run(bastion.ssh_argv(OPERATOR, "list", *smuggled), capture_output=True, text=True,
                                timeout=60)
        assert escape.returncode == 2 and "(NotAllowedOverSsh)" in escape.stderr and smuggled[0] in escape.stderr
