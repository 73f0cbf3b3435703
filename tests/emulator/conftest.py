"""Fixtures for emulator-only behaviour: simulated time, quotas, seeding, other processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock

from vmss_tui.domain.sizes import DEFAULT_LOCATION

from ._support import CLOCK_START, RG


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when a test advances it."""
    return FakeClock(start=CLOCK_START)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """An explicit store directory: it starts empty."""
    return tmp_path / "store"


@pytest.fixture
def open_emulator(store_dir: Path, clock: FakeClock) -> Iterator[Callable[..., Any]]:
    """Open emulators on the test's store and clock, with the group RG; every one opened is closed afterwards."""
    opened: list[Any] = []

    def _open(speed: str = "instant", **options: Any) -> Any:
        options.setdefault("db", store_dir)
        options.setdefault("clock", clock)
        backend = open_backend("emulator", speed=speed, **options)
        opened.append(backend)
        if RG not in backend.list_resource_groups():  # Azure creates nothing in a group that does not exist
            backend.create_or_update_resource_group(RG, DEFAULT_LOCATION)
        return backend

    yield _open
    for backend in reversed(opened):
        backend.close()
