"""The detail view (`v`): every field in two columns, long values folded under their column, the same key
bar as the main screen, and cheap enough to open and close all day (issue 11)."""

from __future__ import annotations

import statistics
import time
from typing import Any

from tui_helpers import screen_lines, select_set, settle
from vmss_tui.tui.screens.detail import DetailScreen

SCROLLBAR = " ▁▂▃▄▅▆▇█"


async def test_long_values_fold_under_their_column_and_sections_keep_their_headings(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        lines = [line.rstrip(SCROLLBAR) for line in screen_lines(app)]
        assert lines[0] == " Scale set web (practice-rg)"
        assert lines[1] == " name                         web"
        assert lines[8] == " platform fault domain count  1"
        id_row = lines.index(" id                           /subscriptions/6513270e-269e-4d37-b2a7-4de452e6")
        assert lines[id_row + 1] == "                              b438/resourceGroups/practice-rg/providers/Micro"
        assert lines[id_row + 2] == "                              soft.Compute/virtualMachineScaleSets/web"
        await pilot.press("end")
        await settle(pilot)
        lines = [line.rstrip(SCROLLBAR) for line in screen_lines(app)]
        heading = lines.index(" Load balancer")
        assert lines[heading - 1].strip() == ""  # a blank row before each section
        assert lines[heading + 1] == " name                         webLB"


async def test_a_long_value_wraps_at_a_word_under_its_column(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "v")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        lines = [line.rstrip(SCROLLBAR) for line in screen_lines(app)]
        rule = lines.index(" 65001                           AllowAzureLoadBalancerInBound  Allow  Any")
        assert lines[rule + 1] == "                                 port *  from AzureLoadBalancer"


async def test_the_detail_key_bar_is_the_main_screens_with_its_own_keys(make_app: Any) -> None:
    from vmss_tui.tui.widgets.key_bar import KeyBar

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("v")
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)  # the look of the main screen's bar, not Textual's Footer
        assert screen_lines(app)[-1].rstrip() == " j JSON / fields  esc Back"  # no `q Quit`: q goes back here
        assert bar.region.y == 23
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, DetailScreen)


async def test_opening_a_detail_costs_under_a_tenth_of_a_second_of_cpu(make_app: Any) -> None:
    """An operator presses v and Esc constantly: opening it was ~230 ms of CPU (a Rich table, a Footer, a new
    screen each time); now ~50."""
    app = make_app()
    costs: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        for _ in range(6):
            start = time.process_time()
            await pilot.press("v")
            while not (isinstance(app.screen, DetailScreen) and app.screen.is_mounted):
                await pilot.pause()
            await pilot.pause()
            costs.append(time.process_time() - start)
            await pilot.press("escape")
            await settle(pilot)
    assert statistics.median(costs[1:]) < 0.100, [round(cost * 1000) for cost in costs]


async def test_the_next_detail_shows_its_own_fields_from_the_top_whatever_the_last_one_showed(make_app: Any) -> None:
    """The screen is kept between details: a set's JSON, scrolled down, must not leak into an instance's view."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("j", "end")
        await settle(pilot)
        assert app.screen.showing_json
        await pilot.press("escape", "tab", "down", "v")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and not detail.showing_json
        lines = [line.rstrip(SCROLLBAR) for line in screen_lines(app)]
        assert lines[0] == " Instance web_1 of web (practice-rg)"
        assert lines[1] == " instance id                     1"
        assert lines[-1].rstrip() == " j JSON / fields  esc Back"
        await pilot.press("j")
        await settle(pilot)
        assert '"instanceId": "1"' in "\n".join(screen_lines(app))
