"""Servers the tests start in their own process: wait for them patiently, stop them whatever happens.

CI machines are shared and slow (2 loaded cores): a server may take far longer than on a laptop to
print that it is ready. So the wait is generous (READY_SECONDS), reads output in background threads
(a blocking read would never time out), and when it gives up it says what the server printed so far.
The server runs in a process group of its own, and `running_server` stops that group on the way out,
whether the test passed, failed or was interrupted, so no test leaves a server behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

READY_SECONDS = float(os.environ.get("VMSS_TUI_TEST_READY_SECONDS", "120"))
"""How long a server may take to say it is ready (generous: CI must not depend on an idle machine)."""
STOP_SECONDS = 30.0
"""How long a server gets to exit after SIGINT before its process group is killed."""


_WITH_CTRL_C = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                "os.execvp(sys.argv[1], sys.argv[1:])")
"""Runs the server with Ctrl+C (SIGINT) at its default even when the test run was started with it
ignored (a background job of a non-interactive shell): an ignored SIGINT survives exec, and a Python
server would then never see KeyboardInterrupt and could not shut down cleanly."""


class ServerProcess:
    """A server process in its own process group; stdout and stderr collected line by line."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | str | None = None,
                 ) -> None:
        self.argv = list(argv)
        self.process = subprocess.Popen([sys.executable, "-c", _WITH_CTRL_C, *self.argv], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env, cwd=cwd, start_new_session=True)
        self._lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(name, stream), daemon=True)
                         for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._changed:
                self._lines[name].append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def stdout(self) -> str:
        with self._changed:
            return "".join(self._lines["stdout"])

    @property
    def stderr(self) -> str:
        with self._changed:
            return "".join(self._lines["stderr"])

    def seen(self) -> str:
        """What the server printed so far, for a failure message."""
        code = self.process.poll()
        state = "still running" if code is None else f"exited with code {code}"
        return (f"server {state}: {' '.join(self.argv)}\n--- stdout so far ---\n{self.stdout}"
                f"--- stderr so far ---\n{self.stderr}")

    def wait_for(self, marker: str, timeout: float = READY_SECONDS) -> str:
        """Stdout so far once a line holding `marker` is in it; fails saying what was seen instead."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                text = "".join(self._lines["stdout"])
                if marker in text:
                    return text
                reading = any(reader.is_alive() for reader in self._readers)
                remaining = deadline - time.monotonic()
                if not reading or remaining <= 0:
                    break
                self._changed.wait(min(remaining, 1.0))
        if any(reader.is_alive() for reader in self._readers):
            why = f"took over {timeout:.0f} s"
        else:
            why = "exited"
            try:
                self.process.wait(timeout=STOP_SECONDS)  # its output ended: let the exit code arrive
            except subprocess.TimeoutExpired:
                pass
        raise AssertionError(f"the server {why} before printing {marker!r}.\n{self.seen()}")

    def stop(self, grace: float = STOP_SECONDS) -> int:
        """SIGINT to the server's process group (Ctrl+C), then SIGKILL if it lingers; its exit code."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGINT)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=grace)
        for reader in self._readers:
            reader.join(timeout=5)
        if any(reader.is_alive() for reader in self._readers):
            # Something the server started still holds its output open: end the rest of its group.
            # (Linux does not reuse a process id while a group of that id has members, so this is safe.)
            self._signal_group(signal.SIGKILL)
            for reader in self._readers:
                reader.join(timeout=grace)
        return self.process.returncode

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)  # the group started with the server (start_new_session)
        except ProcessLookupError:
            pass


@contextmanager
def running_server(argv: Sequence[str], ready: str, *, env: dict[str, str] | None = None,
                   cwd: Path | str | None = None, timeout: float = READY_SECONDS) -> Iterator[ServerProcess]:
    """Start a server, wait until its stdout shows `ready`, and stop it on the way out, always."""
    server = ServerProcess(argv, env=env, cwd=cwd)
    try:
        server.wait_for(ready, timeout)
        yield server
    finally:
        server.stop()
