"""The autoscale pane (`A`): rules in words, the metric against each threshold, the chart, and its keys.

The emulator runs on the tests' fake clock, so "twenty minutes later" is a clock move, not a wait.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tui_helpers import FIXED_NOW, enter_line, open_practice_backend, screen_lines, select_set, settle
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.commands import Session, run_line
from vmss_tui.tui.widgets.autoscale_pane import LOAD_SEND_DELAY

RG = "practice-rg"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def run(backend: Any, *lines: str) -> None:
    """Run command lines on the backend as the command bar would (before the app starts)."""
    session = Session(backend, resource_group=RG)
    for line in lines:
        outcome = run_line(line + " --yes" if line.startswith("autoscale delete") else line, session)
        assert not outcome.error, (line, outcome.error)


def autoscaled(backend: Any, clock: FakeClock, minutes: int = 20) -> None:
    """web with a CPU rule, 80 % load, and `minutes` of autoscale behind it."""
    run(backend, "autoscale create web --min-count 2 --max-count 5 --count 2",
        'autoscale rule create web --condition "Percentage CPU > 50 avg 5m" --scale out 1',
        'autoscale rule create web --condition "Percentage CPU < 20 avg 10m" --scale in 1 --cooldown 10',
        "load web 80")
    clock.advance(minutes * 60)


def pane_text(app: Any) -> str:
    return "\n".join(screen_lines(app))


async def open_pane(pilot: Any, name: str = "web") -> Any:
    await select_set(pilot, name)
    await pilot.press("A")
    await settle(pilot)
    return pilot.app.screen.query_one("#autoscale-pane")


async def test_the_pane_tells_the_rules_the_metric_against_each_threshold_and_what_comes_next(
        make_app: Any, backend: Any, fake_clock: FakeClock) -> None:
    autoscaled(backend, fake_clock)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(pilot)
        assert pane.display and not app.screen.instance_table.display
        assert app.focused is pane
        text = pane_text(app)
        assert "[0] Percentage CPU > 50 avg 5m (avg 1m) -> scale out 1, cooldown 5m" in text
        assert "[1] Percentage CPU < 20 avg 10m (avg 1m) -> scale in 1, cooldown 10m" in text
        assert "now 80 > 50: fired" in text
        assert "now 80 < 20: not fired" in text
        assert "profile default: min 2, max 5, default 2" in text
        assert "Next evaluation in" in text and "load: steady 80" in text
        assert "cap" in text and "5" in text  # the capacity steps reach the maximum
        # back to the instances
        await pilot.press("A")
        await settle(pilot)
        assert not pane.display and app.screen.instance_table.display


async def test_autoscale_actions_land_in_the_activity_log_with_their_reason(
        make_app: Any, backend: Any, fake_clock: FakeClock) -> None:
    run(backend, "autoscale create web --min-count 2 --max-count 10 --count 2",  # web has 6 instances
        'autoscale rule create web --condition "Percentage CPU > 50 avg 5m" --scale out 1', "load web 80")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot)
        log = app.screen.activity
        before = len(log.entries)
        fake_clock.advance(12 * 60)
        await pilot.press("ctrl+r")  # as the live refresh does: the pane reads again
        await settle(pilot)
        told = [entry.line for entry in log.entries[before:] if entry.line.startswith("autoscale web")]
        assert told == [line for line in told if "ScaleOut" in line] and len(told) == 3, told
        assert "at 12:01: ScaleOut: Percentage CPU 80 > 50: 6 -> 7" in told[0], told
        # nothing new: nothing told twice
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert [e.line for e in log.entries if e.line.startswith("autoscale web")] == told


async def test_plus_and_minus_move_the_load_by_ten_percent(make_app: Any, backend: Any,
                                                           fake_clock: FakeClock) -> None:
    autoscaled(backend, fake_clock, minutes=1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot)
        await pilot.press("plus")
        await pilot.pause(LOAD_SEND_DELAY + 0.2)
        await settle(pilot)
        assert backend.get_load(RG, "web").pattern.low == 90
        await pilot.press("minus", "minus", "minus")  # a burst: one command, from the level the last press left
        await pilot.pause(LOAD_SEND_DELAY + 0.2)
        await settle(pilot)
        assert backend.get_load(RG, "web").pattern.low == 60
        assert "load: steady 60" in pane_text(app)
        sent = [entry.line for entry in app.screen.activity.entries if entry.line.startswith("> load")]
        assert sent == ["> load web -g practice-rg 90", "> load web -g practice-rg 60"], sent


async def test_e_disables_autoscale_only_after_a_yes(make_app: Any, backend: Any, fake_clock: FakeClock) -> None:
    autoscaled(backend, fake_clock, minutes=1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert "Disable autoscale of 'web'?" in pane_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert backend.autoscale_setting_for(RG, "web").enabled
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not backend.autoscale_setting_for(RG, "web").enabled
        assert "web: disabled" in pane_text(app)


async def test_a_set_without_a_setting_says_how_to_create_one(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, "batch")
        text = pane_text(app)
        assert "batch has no autoscale setting." in text
        assert "autoscale create batch" in text
        await pilot.press("c")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "command-input"
        assert app.focused.value.startswith("autoscale create batch -g practice-rg --min-count 1")


async def test_instance_keys_do_nothing_to_the_hidden_instances_while_the_pane_is_open(
        make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot)
        count = len(backend.list_instances(RG, "web"))
        await pilot.press("x")
        await settle(pilot)
        assert len(backend.list_instances(RG, "web")) == count
        assert len(app.screen.query("ConfirmDialog")) == 0


async def test_a_read_only_session_shows_the_pane_without_its_change_keys(make_app: Any, backend: Any,
                                                                         fake_clock: FakeClock) -> None:
    autoscaled(backend, fake_clock, minutes=1)
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot)
        await pilot.press("plus", "e")
        await pilot.pause(LOAD_SEND_DELAY + 0.2)
        await settle(pilot)
        assert backend.get_load(RG, "web").pattern.low == 80
        assert backend.autoscale_setting_for(RG, "web").enabled
        assert "Read-only session: the load and autoscale cannot be changed" in pane_text(app)


async def test_a_backend_without_autoscale_says_so_in_one_line(make_app: Any, backend: Any) -> None:
    class NoAutoscale:
        """The practice backend with the autoscale capability hidden (as the Azure adapter without monitor)."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            if "autoscale" in name or name in ("metric_series", "get_load", "change_load"):
                raise AttributeError(name)
            return getattr(self._inner, name)

    app = make_app(backend=NoAutoscale(backend))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot)
        assert "Autoscale is not available on the NoAutoscale backend" in pane_text(app)


def test_the_capacity_before_the_first_step_is_where_that_step_started() -> None:
    from vmss_tui.domain.autoscale.engine import Evaluation, Outcome
    from vmss_tui.tui.widgets.autoscale_pane import capacity_at

    runs = (Evaluation(FIXED_NOW, "default", 2, 3, Outcome.SCALE_OUT, ""),
            Evaluation(FIXED_NOW + timedelta(minutes=1), "default", 3, 3, Outcome.COOLDOWN, ""),
            Evaluation(FIXED_NOW + timedelta(minutes=5), "default", 3, 4, Outcome.SCALE_OUT, ""))
    assert capacity_at(runs, FIXED_NOW - timedelta(minutes=1), 9) == 2
    assert capacity_at(runs, FIXED_NOW + timedelta(minutes=3), 9) == 3
    assert capacity_at(runs, FIXED_NOW + timedelta(minutes=9), 9) == 4
    assert capacity_at((), FIXED_NOW, 9) == 9


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_of_the_pane(snap_compare: Any, make_app: Any, backend: Any, fake_clock: FakeClock,
                              size: Any) -> None:
    autoscaled(backend, fake_clock, minutes=25)

    async def run_before(pilot: Any) -> None:
        await open_pane(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


async def test_enter_on_a_set_goes_to_the_autoscale_pane_while_it_is_open(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(pilot)
        app.screen.sets_table.focus()
        await pilot.press("up", "enter")
        await settle(pilot)
        assert app.focused is pane
        assert pane.key == ("practice-rg", app.screen.selected_key[1]) and pane.key[1] != "web"


async def test_the_pane_tells_the_cooldown_left_after_a_scale(make_app: Any, backend: Any,
                                                              fake_clock: FakeClock) -> None:
    autoscaled(backend, fake_clock, minutes=2)  # web's 6 instances went to the maximum 5: a scale, a cooldown
    left = backend.autoscale_status(RG, "web").cooldown_left
    assert 0 < left <= 600  # the longest cooldown of the rules (10m) since that scale
    from vmss_tui.domain.autoscale.durations import short_duration
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot)
        text = pane_text(app)
        assert f"cooldown {short_duration(left)} left" in text, text
        fake_clock.advance(left + 1)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "no cooldown" in pane_text(app)  # at the maximum: no new scale, no new cooldown
