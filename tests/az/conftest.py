"""The real Azure CLI against `vmss-tui emulator serve`: finding az, one served practice estate per module.

az is found as `vmss-tui emulator az` finds it (VMSS_TUI_AZ, then PATH). Without it the end-to-end
tests skip with the reason, except in CI (CI set), where a missing az fails: .ci/run installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.server_process import ServerProcess, running_server

READY = "Press Ctrl+C"
AZ_SECONDS = 240.0
"""One az command's limit: az starts in ~1 s, but CI's 2 cores are shared and loaded."""


def find_az_or_skip() -> str:
    """The az executable; skip (fail in CI) when there is none."""
    candidate = os.environ.get("VMSS_TUI_AZ") or shutil.which("az")
    if candidate and Path(candidate).is_file():
        return candidate
    why = ("the Azure CLI is not installed: set VMSS_TUI_AZ to its az (e.g. python3 -m venv /opt/az-venv && "
           "/opt/az-venv/bin/pip install azure-cli; VMSS_TUI_AZ=/opt/az-venv/bin/az), as .ci/run does")
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the az end-to-end suite, but {why}")
    pytest.skip(why)


@dataclass
class AzRun:
    code: int
    stdout: str
    stderr: str
    seconds: float

    def json(self) -> Any:
        assert self.code == 0, f"az failed ({self.code}):\n{self.stderr}"
        return json.loads(self.stdout) if self.stdout.strip() else None


@dataclass
class ServedAz:
    """A served emulator store, signed in az, and ways to run az and read the store."""

    server: ServerProcess
    db: Path
    state_dir: Path
    env: dict[str, str]
    base_url: str
    subscription: str

    def vmss_tui(self, *arguments: str, timeout: float = AZ_SECONDS) -> AzRun:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "vmss_tui", *arguments], env=self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return AzRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started)

    def az(self, *arguments: str, timeout: float = AZ_SECONDS) -> AzRun:
        """`vmss-tui emulator az --state-dir S ARGS...`, as a user types it."""
        return self.vmss_tui("emulator", "az", "--state-dir", str(self.state_dir), *arguments, timeout=timeout)

    def az_json(self, *arguments: str) -> Any:
        return self.az(*arguments, "-o", "json").json()

    def backend(self) -> Any:
        """The served store, opened afresh (another process changes it)."""
        from vmss_tui.backends import open_backend

        return open_backend("emulator", db=self.db, speed="instant")

    def read(self, function: str, *arguments: Any) -> Any:
        backend = self.backend()
        try:
            return getattr(backend, function)(*arguments)
        finally:
            backend.close()


def serve_practice_estate(tmp: Path, az: str) -> Iterator[ServedAz]:
    """`vmss-tui emulator serve --seed` on a store of its own, at instant speed, with its own state dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VMSS_TUI_", "AZURE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"), VMSS_TUI_AZ=az)
    db, state_dir = tmp / "store", tmp / "arm-state"
    argv = [sys.executable, "-m", "vmss_tui", "emulator", "serve", "--port", "0", "--db", str(db), "--seed",
            "--state-dir", str(state_dir), "--speed", "instant"]
    with running_server(argv, READY, env=env, cwd=tmp) as server:
        shown = {}
        for line in server.stdout.splitlines():
            key, _, value = line.partition("  ")
            shown.setdefault(key.strip(), value.strip())
        yield ServedAz(server=server, db=db, state_dir=state_dir, env=env, base_url=shown["ARM endpoint"],
                       subscription=shown["Subscription"])


@pytest.fixture(scope="module")
def az_path() -> str:
    return find_az_or_skip()


@pytest.fixture(scope="module")
def served_az(tmp_path_factory: pytest.TempPathFactory, az_path: str) -> Iterator[ServedAz]:
    yield from serve_practice_estate(tmp_path_factory.mktemp("az-e2e"), az_path)
