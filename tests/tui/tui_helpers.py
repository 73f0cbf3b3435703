"""Helpers shared by the TUI tests (fixtures live in conftest.py)."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock

FIXED_NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
NO_TIMER = 3600.0
"""A refresh interval no test lives long enough to reach."""


def open_practice_backend(path: Path, *, speed: str = "instant", clock: FakeClock | None = None) -> Any:
    """The seeded practice estate (web, demo-set, batch) on a throwaway store."""
    return open_backend("emulator", db=path, speed=speed, clock=clock or FakeClock(start=FIXED_NOW),
                        rng=random.Random(7), durable=False, seed=True)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker is done and every message they posted has been handled."""
    for _ in range(500):
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in pilot.app.workers):
                return
    raise AssertionError("workers still running after 500 pauses")


async def select_set(pilot: Pilot[Any], name: str) -> None:
    """Move the scale-set cursor to `name` and wait for its instances."""
    from vmss_tui.tui.screens.main import MainScreen

    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    screen.sets_table.move_to(f"practice-rg/{name}")
    await settle(pilot)
    assert screen.selected_key == ("practice-rg", name)


async def wait_until(pilot: Pilot[Any], predicate: Any, timeout: float = 5.0) -> None:
    """Let the app run (timers included) until `predicate()` holds; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


async def enter_line(pilot: Pilot[Any], opener: str, line: str) -> None:
    """Open the `:` bar or the `/` filter with its key, put `line` in it, and press Enter.

    Typing key by key is covered by the completion tests; elsewhere it only costs time.
    """
    from textual.widgets import Input

    await pilot.press(opener)
    field = pilot.app.focused
    assert isinstance(field, Input)
    field.value = line
    await pilot.press("enter")


def screen_lines(app: Any) -> list[str]:
    """The text of the active screen as the terminal shows it, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
