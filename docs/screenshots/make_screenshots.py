"""Export the README's screenshots as SVG (Textual's own export) from the real app on the emulator.

Run from the repository root: `.venv/bin/python docs/screenshots/make_screenshots.py`.
The practice estate is seeded on a throwaway store with fixed randomness and a fixed clock,
so the pictures only change when the app does.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.domain.models import OrchestrationMode, PowerAction, ScaleSetSpec
from vmss_tui.tui.app import VmssApp

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


async def _settle(pilot: Any) -> None:
    for _ in range(200):
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            await pilot.pause()
            return


async def shoot(name: str, size: tuple[int, int], keys: list[str], *, set_name: str = "web",
                speed: str = "instant", prepare: Any = None, theme: str = "dark") -> None:
    """Open the app, select a set, press keys, and save `name.svg`."""
    store = Path(tempfile.mkdtemp(prefix="vmss-shots-")) / "store"
    clock = FakeClock(start=NOW)
    backend = open_backend("emulator", db=store, speed=speed, clock=clock, rng=random.Random(7), durable=False,
                           seed=True)
    if prepare is not None:
        prepare(backend)
    app = VmssApp(backend, theme=theme, clock=lambda: NOW, refresh_interval=3600, idle_refresh_interval=3600)
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        app.main_screen.sets_table.move_to(f"practice-rg/{set_name}")
        await _settle(pilot)
        for key in keys:
            await pilot.press(key)
            await _settle(pilot)
        app.save_screenshot(str(HERE / f"{name}.svg"))
    print(f"wrote {name}.svg")


def _api_set(backend: Any) -> None:
    backend.create_scale_set(ScaleSetSpec(name="api", resource_group="practice-rg",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=7,
                                          platform_fault_domain_count=3))
    backend.power_action("practice-rg", "api", PowerAction.POWER_OFF, ["2"])
    backend.power_action("practice-rg", "api", PowerAction.DEALLOCATE, ["5"])


async def main() -> None:
    await shoot("main-120x40", (120, 40), ["tab", "down"])
    await shoot("main-80x24", (80, 24), ["tab", "down"])
    await shoot("fault-domains-what-if", (120, 40), ["tab", "w"], set_name="api", prepare=_api_set)
    await shoot("scale-in-confirmation", (120, 40), ["s", "3", "enter"])
    await shoot("command-bar", (120, 40), ["colon", "s", "c"])
    await shoot("scaling-in-progress", (120, 40), ["colon", *"scale web 12 --no-wait", "enter"], speed="fast")
    await shoot("light-theme-80x24", (80, 24), ["tab"], theme="light")


if __name__ == "__main__":
    asyncio.run(main())
