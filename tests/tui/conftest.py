"""Fixtures for the TUI tests: a seeded emulator on a fake clock and an app factory.

Everything a snapshot shows is fixed: the emulator's clock and random names, the app's
own clock (Activity timestamps), no cursor blink and no live-refresh timer unless a test
asks for one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from textual.widgets import Input

from tui_helpers import FIXED_NOW, NO_TIMER, open_practice_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.tui.app import VmssApp

@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blinking cursors make snapshots depend on timing."""
    monkeypatch.setattr(Input, "cursor_blink", False)

@pytest.fixture(autouse=True)
def no_user_themes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Themes a developer keeps in their own config dir must not change snapshots."""
    monkeypatch.setattr("vmss_tui.tui.theming.user_theme_dir", lambda: tmp_path / "no-user-themes")

@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(start=FIXED_NOW)

@pytest.fixture
def backend(tmp_path: Path, fake_clock: FakeClock) -> Any:
    return open_practice_backend(tmp_path / "store", clock=fake_clock)

AppFactory = Callable[..., VmssApp]

@pytest.fixture
def make_app(backend: Any) -> AppFactory:
    """Build the real app on the practice backend; keyword arguments override the defaults."""

    def factory(**overrides: Any) -> VmssApp:
        options: dict[str, Any] = {"theme": "dark", "read_only": False, "clock": lambda: FIXED_NOW,
                                   "refresh_interval": NO_TIMER, "idle_refresh_interval": NO_TIMER}
        options.update(overrides)
        chosen_backend = options.pop("backend", backend)
        return VmssApp(chosen_backend, **options)

    return factory

