"""Every event in the 40-column Activity pane is one row: a line too long for it ends in `…` and Enter shows
it whole; an operation's progress line keeps its bar and percentage on that row (issue 11)."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList, Static

from tui_helpers import FIXED_NOW, enter_line, screen_lines, select_set, settle
from vmss_tui.domain.models import Operation, OperationStatus
from vmss_tui.tui.screens.log_detail import LogDetailScreen
from vmss_tui.tui.screens.main import MainScreen


async def test_a_long_event_takes_one_row_ending_in_an_ellipsis_and_enter_shows_it_whole(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "scale web 3 --resource-group practice-rg")
        await settle(pilot)
        await pilot.press("escape")  # "no" at the confirmation
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.activity.lines[-1] == "cancelled: scale web 3 --resource-group practice-rg"
        log = screen.activity.log_widget
        assert log.virtual_size.height == log.option_count, "an event wrapped onto a second row"
        region = log.content_region
        rows = [line[region.x:region.right].rstrip() for line in screen_lines(app)[region.y:region.bottom]]
        shown = [row for row in rows if "cancelled" in row]
        assert len(shown) == 1 and shown[0].endswith("…"), rows
        log.focus()
        await pilot.press("end", "enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, LogDetailScreen), type(detail)
        assert "cancelled: scale web 3 --resource-group practice-rg" in detail.detail_title + detail.text


async def test_a_short_event_shows_whole_and_enter_opens_nothing(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "scale web 3")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.activity.lines[-1] == "cancelled: scale web 3"
        log = screen.activity.log_widget
        assert isinstance(log, OptionList)
        log.focus()
        await pilot.press("end", "enter")
        await settle(pilot)
        assert app.screen is screen


async def test_a_progress_line_keeps_its_bar_and_percentage_on_one_row(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        operation = Operation(id="op-1", kind="scale", resource_group="practice-rg", scale_set_name="web",
                              status=OperationStatus.IN_PROGRESS, start_time=FIXED_NOW, end_time=None,
                              percent_complete=0.0,
                              message="scale web 6 -> 15 --resource-group practice-rg")
        screen.activity.track(operation)
        await settle(pilot)
        running = screen.activity.query_one("#running", Static)
        assert running.region.height == 1
        region = running.content_region
        row = screen_lines(app)[region.y][region.x:region.right].rstrip()
        assert row.startswith("scale web 6 -> 15") and "…" in row and row.endswith("[............]   0%"), row
        from dataclasses import replace

        screen.activity.track(replace(operation, percent_complete=50.0))
        await settle(pilot)
        row = screen_lines(app)[region.y][region.x:region.right].rstrip()
        assert row.endswith("[######......]  50%") and running.region.height == 1, row


async def test_the_welcome_shows_whole_at_80_and_120_columns(make_app: Any) -> None:
    for size in ((80, 24), (120, 40)):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MainScreen)
            region = screen.activity.log_widget.content_region
            rows = [line[region.x:region.right].rstrip() for line in screen_lines(app)[region.y:region.bottom]]
            assert rows[:2] == ["12:00 Welcome: Tab moves between panes", "12:00 ? lists keys, : runs a command"], rows
