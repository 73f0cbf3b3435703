"""Every screen and dialog, pictured at 80x24 and 120x40 (pytest-textual-snapshot).

Update only after looking at the report: `pytest tests/tui --snapshot-update`.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import pytest
from textual.pilot import Pilot

from tui_helpers import FIXED_NOW, enter_line, open_practice_backend, select_set, settle
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.domain.models import PowerAction

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
RG = "practice-rg"

RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


def keys_on(set_name: str, *keys: str, line: tuple[str, str] | None = None) -> RunBefore:
    """Select a set, press keys (then enter `line` in the bar its opener opens), and wait for workers."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await select_set(pilot, set_name)
        if keys:
            await pilot.press(*keys)
        if line is not None:
            await enter_line(pilot, *line)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
class TestMainScreen:
    def test_flexible_set_as_the_app_opens(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("demo-set"), terminal_size=size)

    def test_uniform_set_with_instances_focused(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "tab", "down"), terminal_size=size)

    def test_empty_flexible_set_without_profile(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("batch"), terminal_size=size)

    def test_read_only_session(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(read_only=True), run_before=keys_on("web", "tab"), terminal_size=size)

    def test_marked_rows(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "tab", "space", "down", "space"),
                            terminal_size=size)

    def test_filter_by_zone(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "slash", *"zone:2"), terminal_size=size)

    def test_what_if_zone_one_is_lost(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "tab", "w"), terminal_size=size)

    def test_fault_domain_grid_of_a_regional_set(self, snap_compare: Any, make_app: Any, backend: Any,
                                                 size: Any) -> None:
        from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

        backend.create_scale_set(ScaleSetSpec(name="api", resource_group=RG,
                                              orchestration_mode=OrchestrationMode.UNIFORM, capacity=7,
                                              platform_fault_domain_count=3))
        backend.power_action(RG, "api", PowerAction.POWER_OFF, ["2"])
        assert snap_compare(make_app(), run_before=keys_on("api", "tab", "w", "w"), terminal_size=size)

    def test_restart_of_a_deallocated_instance_shows_azures_error(self, snap_compare: Any, make_app: Any,
                                                                  backend: Any, size: Any) -> None:
        backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"])
        assert snap_compare(make_app(), run_before=keys_on("web", "tab", "r"), terminal_size=size)

    def test_operation_in_progress(self, snap_compare: Any, make_app: Any, tmp_path: Any, size: Any) -> None:
        clock = FakeClock(start=FIXED_NOW)
        slow_backend = open_practice_backend(tmp_path / "slow", speed="fast", clock=clock)
        assert snap_compare(make_app(backend=slow_backend),
                            run_before=keys_on("web", line=("colon", "scale web 9 --no-wait")),
                            terminal_size=size)

    def test_light_theme(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(theme="light"), run_before=keys_on("web", "tab"), terminal_size=size)

    def test_high_contrast_theme(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(theme="high-contrast"), run_before=keys_on("web", "tab"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
class TestCommandBar:
    def test_completions_for_a_partial_command(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "colon", *"s"), terminal_size=size)

    def test_output_of_a_read_command_lands_in_the_activity_log(self, snap_compare: Any, make_app: Any,
                                                                size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", line=("colon", "fd-map web")),
                            terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
class TestDialogs:
    def test_help(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "question_mark"), terminal_size=size)

    def test_capacity(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "s"), terminal_size=size)

    def test_scale_in_confirmation_names_the_victims(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "s", "3", "enter"), terminal_size=size)

    def test_delete_confirmation(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "tab", "space", "space", "x"), terminal_size=size)

    def test_add_vm(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("demo-set", "a"), terminal_size=size)

    def test_instance_detail(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "tab", "enter"), terminal_size=size)

    def test_instance_detail_as_json(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "tab", "enter", "j"), terminal_size=size)

    def test_scale_set_detail(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        assert snap_compare(make_app(), run_before=keys_on("web", "v"), terminal_size=size)

    def test_command_palette(self, snap_compare: Any, make_app: Any, size: Any) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await keys_on("web", "tab")(pilot)
            await pilot.press("ctrl+p", *"vmss: re")
            await pilot.pause(0.3)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)
