"""The real app in a real terminal (tmux): keys sent in one burst, as SSH delivers them.

Pilot posts keys one by one and waits in between; a terminal hands the app a burst of bytes
at once, which is when keys used to be lost or reordered (Textualize/textual#6605).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from vmss_tui.backends import open_backend

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

RG = "practice-rg"


class Terminal:
    """One tmux server running the app at a fixed size."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def send(self, *keys: str) -> None:
        """Every key in one `send-keys` call: one write, one burst."""
        self.tmux("send-keys", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen showed:\n{screen}")
            time.sleep(0.1)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    open_backend("emulator", db=path, speed="instant", seed=True).close()
    return path


@pytest.fixture
def terminal(store: Path) -> Iterator[Terminal]:
    socket = f"vmss-test-{os.getpid()}-{time.monotonic_ns()}"
    command = f"{sys.executable} -m vmss_tui --db {store} --speed instant --no-mouse -g {RG}"
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", command], check=True,
                   env=dict(os.environ, TERM="xterm-256color"))
    term = Terminal(socket)
    try:
        term.wait_for("Instances of")
        yield term
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def capacity(store: Path, name: str = "web") -> int:
    backend = open_backend("emulator", db=store, speed="instant")
    try:
        return backend.get_scale_set(RG, name).capacity
    finally:
        backend.close()


def test_a_burst_with_a_backspace_in_the_scale_dialog_scales_to_what_was_typed(terminal: Terminal,
                                                                             store: Path) -> None:
    terminal.send("End")  # the sets pane has focus: the last set is web
    terminal.wait_for("practice-rg/web")
    terminal.send("s")
    terminal.wait_for("New capacity")
    terminal.send("1", "2", "BSpace", "5", "Enter")
    terminal.wait_for("6 to 15")
    terminal.send("y")
    deadline = time.monotonic() + 20
    while capacity(store) != 15 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert capacity(store) == 15


def test_a_burst_into_the_filter_shows_and_applies_every_key(terminal: Terminal) -> None:
    terminal.send("End")
    terminal.wait_for("practice-rg/web")
    terminal.send("Tab", "/", "z", "o", "n", "e", ":", "3", "BSpace", "2")
    screen = terminal.wait_for("(2 of 6) filter: zone:2")
    bottom = screen.rstrip("\n").splitlines()[-3:]
    assert any("zone:2" in line for line in bottom), screen


def test_a_burst_into_the_command_bar_runs_the_line_as_typed(terminal: Terminal, store: Path) -> None:
    terminal.send(":", *"scale web 88", "BSpace", "BSpace", *"7 --yes", "Enter")
    terminal.wait_for("scale web 6 -> 7")
    assert capacity(store) == 7
