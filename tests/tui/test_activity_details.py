"""The activity log (issue 11): one short line per event, and its details on demand (Enter on the line).

The 40-column pane used to get az tables and every removed id of a 990-instance scale-in dumped
into it; now each event is one line and the rest waits behind Enter.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from tui_helpers import enter_line, select_set, settle
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec
from vmss_tui.tui.screens.log_detail import LogDetailScreen
from vmss_tui.tui.screens.main import MainScreen

RG = "practice-rg"


def main_screen(app: Any) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def open_last_line(pilot: Any) -> LogDetailScreen:
    """Tab to the log, put the cursor on its last line and press Enter, as a user would."""
    app = pilot.app
    for _ in range(6):
        if app.focused is not None and app.focused.id == "log":
            break
        await pilot.press("tab")
        await settle(pilot)
    assert app.focused is not None and app.focused.id == "log", app.focused
    await pilot.press("end", "enter")
    await settle(pilot)
    detail = app.screen
    assert isinstance(detail, LogDetailScreen), type(detail)
    return detail


def detail_text(detail: LogDetailScreen) -> str:
    return str(detail.query_one("#log-detail-text", Static).render())


async def test_enter_on_a_scale_in_line_lists_every_instance_it_removed(make_app: Any, backend: Any) -> None:
    backend.create_scale_set(ScaleSetSpec(name="wide", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM,
                                          capacity=60, single_placement_group=False))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "wide")
        await enter_line(pilot, "colon", "scale wide 10 --yes")
        await settle(pilot)
        last = main_screen(app).activity.lines[-1]
        assert "60 -> 10" in last and "50 removed" in last and "59" not in last, last
        detail = await open_last_line(pilot)
        removed = {str(number) for number in range(10, 60)}
        words = set(detail_text(detail).replace(",", " ").split())
        assert removed <= words, f"missing from the details: {sorted(removed - words, key=int)}"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_enter_on_a_read_command_shows_its_whole_output(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "instances web")
        await settle(pilot)
        assert "westeurope" not in " ".join(main_screen(app).activity.lines), "no table in the log itself"
        detail = await open_last_line(pilot)
        text = detail_text(detail)
        for instance_id in "012345":
            assert any(line.split()[:1] == [instance_id] for line in text.splitlines()), text
