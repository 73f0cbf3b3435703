"""Fixtures for the backend contract suite.

Every test here talks to a backend only through `vmss_tui.backends.protocol.Backend` and the
domain types, so the same test can run against each backend kind in `BACKEND_KINDS`:

Every fresh backend holds the groups in `CONTRACT_GROUPS` (created on the emulator underneath, so
both kinds start alike) and nothing else.

- `emulator`: the in-process emulator on a fresh store in `tmp_path`, speed `instant`, with a
  FakeClock so creation times only move when a test lets time pass.
- `azure`: the live Azure adapter -> azure-mgmt-compute -> HTTPS -> `vmss_tui.armserver` ->
  that same kind of emulator (sharing the FakeClock), so every contract also holds on the wire.

A backend kind that serves the emulator over HTTPS to the Azure SDK adds itself here: it must
yield a fresh Backend per test and make `let_time_pass` move the clock the served emulator uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.sizes import DEFAULT_LOCATION

from ._support import CONTRACT_GROUPS

BACKEND_KINDS = ["emulator", "azure"]

CLOCK_START = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    """The time source of the backend under test; it stands still unless a test moves it."""
    return FakeClock(start=CLOCK_START)


@pytest.fixture(scope="session")
def arm_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One local CA and server certificate for the whole session (generating them costs ~10 ms)."""
    return tmp_path_factory.mktemp("armserver-state")


@pytest.fixture(params=BACKEND_KINDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock,
            arm_state_dir: Path) -> Iterator[Backend]:
    """A fresh, empty backend for one test."""
    kind = request.param
    emulator = open_backend("emulator", db=tmp_path / "store", speed="instant", clock=clock)
    for group in CONTRACT_GROUPS:  # Azure creates nothing in a group that does not exist
        emulator.create_or_update_resource_group(group, DEFAULT_LOCATION)
    if kind == "emulator":
        try:
            yield emulator
        finally:
            emulator.close()
        return
    if kind != "azure":  # pragma: no cover - a new kind must be wired above
        raise AssertionError(f"backend kind {kind!r} is listed but not wired in conftest")
    from vmss_tui.armserver import serve_in_thread
    from vmss_tui.backends.azure.testing import StaticTokenCredential

    server = serve_in_thread(emulator, state_dir=arm_state_dir)
    adapter = open_backend("azure", subscription=server.subscription_id, credential=StaticTokenCredential(),
                           base_url=server.base_url, connection_verify=str(server.ca_path),
                           polling_interval=0, retry_total=0)
    try:
        yield adapter
    finally:
        adapter.close()
        server.stop()
        emulator.close()


@pytest.fixture
def let_time_pass(clock: FakeClock) -> Callable[[float], None]:
    """Move the backend's clock forward by some seconds (to order creation times)."""
    return clock.advance
