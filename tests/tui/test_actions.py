"""Every action of the main screen, driven by keys as a user would, against the emulator."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tui_helpers import FIXED_NOW, enter_line, open_practice_backend, select_set, settle, wait_until
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.domain.models import PowerState
from vmss_tui.tui.screens.detail import DetailScreen
from vmss_tui.tui.screens.dialogs import AddVmDialog, CapacityDialog, ConfirmDialog
from vmss_tui.tui.screens.main import MainScreen

RG = "practice-rg"


def main_screen(app: Any) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def power(backend: Any, instance_id: str, set_name: str = "web") -> PowerState:
    return backend.get_instance(RG, set_name, instance_id).power_state


async def test_the_app_opens_on_the_first_set_with_instances_and_names_the_backend(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.selected_key == (RG, "demo-set")
        assert screen.sets_table.row_count == 3
        header = str(screen.header.render())
        assert "emulator (instant)" in header and "practice-rg/demo-set" in header
        assert screen.sets_table.running_counts[f"{RG}/web"] == 6


async def test_moving_the_set_cursor_shows_that_sets_instances_and_map(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        assert screen.instance_table.shown_ids == ["0", "1", "2", "3", "4", "5"]
        map_text = _map_text(screen)
        assert "zone 1" in map_text and "zone 3" in map_text
        assert "Max spreading" in map_text


async def test_stop_on_the_cursor_row_powers_off_that_instance_and_updates_its_row(make_app: Any,
                                                                                backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "p")
        await settle(pilot)
        screen = main_screen(app)
        assert power(backend, "0") is PowerState.STOPPED
        assert "stopped" in screen.instance_table.get_cell("0", "power").plain
        assert any("Succeeded" in line for line in screen.activity.lines)


async def test_start_brings_a_stopped_instance_back(make_app: Any, backend: Any) -> None:
    from vmss_tui.domain.models import PowerAction

    backend.power_action(RG, "web", PowerAction.POWER_OFF, ["1"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "down", "t")
        await settle(pilot)
        assert power(backend, "1") is PowerState.RUNNING


async def test_deallocate_acts_on_every_marked_row(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "space", "down", "space")
        screen = main_screen(app)
        assert screen.instance_table.marked == {"0", "2"}
        await pilot.press("d")
        await settle(pilot)
        assert power(backend, "0") is PowerState.DEALLOCATED
        assert power(backend, "1") is PowerState.RUNNING
        assert power(backend, "2") is PowerState.DEALLOCATED
        assert screen.instance_table.marked == set(), "the marks were used by the deallocate"
        assert screen.instance_table.target_ids() == ["3"], "the next key acts on the cursor row"


async def test_restart_of_a_deallocated_instance_shows_azures_error_and_changes_nothing(make_app: Any,
                                                                                       backend: Any) -> None:
    from vmss_tui.domain.models import PowerAction

    backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "r")
        await settle(pilot)
        screen = main_screen(app)
        errors = [line for line in screen.activity.lines if line.startswith("ERROR")]
        assert errors and "(OperationNotAllowed)" in errors[0]
        assert any("OperationNotAllowed" in n.message for n in app._notifications)
        assert power(backend, "0") is PowerState.DEALLOCATED


async def test_reimage_runs_on_the_cursor_instance(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "down", "down", "i")
        await settle(pilot)
        screen = main_screen(app)
        assert any(line.startswith("> reimage web 2") for line in screen.activity.lines)
        assert any("Succeeded" in line for line in screen.activity.lines)
        assert power(backend, "2") is PowerState.RUNNING


async def test_delete_asks_first_naming_the_instance_and_no_keeps_it(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "0" in dialog.prompt
        await pilot.press("n")
        await settle(pilot)
        assert len(backend.list_instances(RG, "web")) == 6


async def test_delete_confirmed_with_y_removes_the_marked_instances(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "down", "space", "space", "x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        remaining = [i.instance_id for i in backend.list_instances(RG, "web")]
        assert remaining == ["0", "3", "4", "5"]
        assert main_screen(app).instance_table.shown_ids == ["0", "3", "4", "5"]


async def test_scale_out_asks_the_capacity_then_shows_what_it_creates(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("s")
        assert isinstance(app.screen, CapacityDialog)
        await pilot.press("8", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert backend.get_scale_set(RG, "web").capacity == 8
        assert main_screen(app).instance_table.row_count == 8


async def test_scale_in_shows_the_instances_its_policy_removes_before_agreeing(make_app: Any,
                                                                              backend: Any) -> None:
    plan = backend.plan_capacity(RG, "web", 4)
    victims = {removal.instance_id for removal in plan.to_remove}
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("s", "4", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        for victim in victims:
            assert victim in dialog.prompt
        await pilot.press("y")
        await settle(pilot)
        left = {i.instance_id for i in backend.list_instances(RG, "web")}
        assert len(left) == 4 and not (left & victims)


async def test_a_capacity_that_is_not_a_number_is_refused_in_the_dialog(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("s", "minus", "3", "enter")
        dialog = app.screen
        assert isinstance(dialog, CapacityDialog)
        assert "negative" in str(dialog.query_one("#error").render())
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_add_vm_on_a_uniform_set_is_disabled_and_says_why(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        binding = screen.active_bindings["a"]
        assert binding.binding.action == "add_vm" and binding.enabled is False
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen), "no dialog opens"
        assert any("only Flexible sets" in n.message for n in app._notifications)


async def test_add_vm_typed_in_the_command_bar_on_uniform_shows_azures_error(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "add-vm web --name extra")
        await settle(pilot)
        errors = [line for line in main_screen(app).activity.lines if line.startswith("ERROR")]
        assert errors and "(OperationNotAllowed)" in errors[0]


async def test_add_vm_on_a_flexible_set_adds_the_named_vm(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "demo-set")
        await pilot.press("a")
        assert isinstance(app.screen, AddVmDialog)
        await pilot.press(*"extra", "enter")
        await settle(pilot)
        names = [i.name for i in backend.list_instances(RG, "demo-set")]
        assert "extra" in names
        assert "extra" in main_screen(app).instance_table.shown_ids


async def test_protect_toggles_scale_in_protection_on_and_off(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "P")
        await settle(pilot)
        assert backend.get_instance(RG, "web", "0").protect_from_scale_in
        assert main_screen(app).instance_table.get_cell("0", "prot").plain == "in"
        await pilot.press("P")
        await settle(pilot)
        assert not backend.get_instance(RG, "web", "0").protect_from_scale_in


async def test_upgrade_brings_an_outdated_instance_to_the_latest_model(make_app: Any, backend: Any) -> None:
    from vmss_tui.domain.models import ScaleSetUpdate

    backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size="Standard_D4s_v3"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        assert screen.instance_table.get_cell("0", "model").plain == "no"
        await pilot.press("tab", "u")
        await settle(pilot)
        assert backend.get_instance(RG, "web", "0").latest_model_applied
        assert screen.instance_table.get_cell("0", "model").plain == "yes"
        assert not backend.get_instance(RG, "web", "1").latest_model_applied


async def test_refresh_picks_up_outside_changes_keeping_cursor_and_marks(make_app: Any, backend: Any) -> None:
    from vmss_tui.domain.models import PowerAction

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "space", "down", "down")
        screen = main_screen(app)
        backend.power_action(RG, "web", PowerAction.POWER_OFF, ["3"])
        backend.set_capacity(RG, "web", 7)
        await pilot.press("ctrl+r")
        await settle(pilot)
        table = screen.instance_table
        assert "stopped" in table.get_cell("3", "power").plain
        assert table.row_count == 7
        assert table.cursor_instance_id == "3", "space moved the cursor to 1, then down twice"
        assert table.marked == {"0"}


async def test_a_failing_backend_becomes_a_notification_not_a_crash(make_app: Any, backend: Any,
                                                                   monkeypatch: Any) -> None:
    from vmss_tui.domain.errors import ServiceUnavailable

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")

        def unreachable(*_args: Any, **_kwargs: Any) -> Any:
            raise ServiceUnavailable("The backend could not be reached.")

        monkeypatch.setattr(backend, "list_instances", unreachable)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.is_running
        assert any("ServiceUnavailable" in n.message for n in app._notifications)
        assert main_screen(app).instance_table.row_count == 6, "the last good state stays on screen"


async def test_read_only_hides_mutating_keys_and_says_so_in_the_header(make_app: Any, backend: Any) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        assert "READ-ONLY" in str(screen.header.render())
        await pilot.press("tab")
        shown = {b.binding.action for b in screen.active_bindings.values() if b.binding.show}
        assert not shown & {"screen.stop", "screen.delete", "scale", "add_vm"}
        await pilot.press("p")
        await settle(pilot)
        assert power(backend, "0") is PowerState.RUNNING
        assert any("read-only" in n.message for n in app._notifications)


async def test_read_only_refuses_a_mutating_line_typed_in_the_command_bar(make_app: Any, backend: Any) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "scale web 2")
        await settle(pilot)
        assert backend.get_scale_set(RG, "web").capacity == 6
        assert any("read-only" in line for line in main_screen(app).activity.lines)


async def test_live_refresh_shows_new_instances_creating_then_running(tmp_path: Any, make_app: Any) -> None:
    clock = FakeClock(start=FIXED_NOW)
    slow_backend = open_practice_backend(tmp_path / "fast", speed="fast", clock=clock)
    app = make_app(backend=slow_backend, refresh_interval=0.25, idle_refresh_interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        table.focus()
        await pilot.press("down", "space")
        slow_backend.set_capacity(RG, "web", 9)
        await wait_until(pilot, lambda: table.row_count == 9)
        assert table.get_cell("8", "prov").plain == "Creating"
        clock.advance(600)
        await wait_until(pilot, lambda: table.get_cell("8", "prov").plain == "Succeeded")
        assert "running" in table.get_cell("8", "power").plain
        assert table.cursor_instance_id == "2" and table.marked == {"1"}, "polling kept cursor and marks"


async def test_slash_filters_by_field_and_escape_clears(make_app: Any, backend: Any) -> None:
    from vmss_tui.domain.models import PowerAction

    backend.power_action(RG, "web", PowerAction.POWER_OFF, ["1", "4"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("slash")
        screen = main_screen(app)
        screen.filter_input.value = "power:stopped"
        await pilot.pause()
        table = screen.instance_table
        assert table.shown_ids == ["1", "4"]
        await pilot.press("escape")
        assert table.row_count == 6


async def test_a_filter_on_an_unknown_field_is_flagged_and_keeps_the_rows(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("slash")
        screen = main_screen(app)
        screen.filter_input.value = "colour:red"
        await pilot.pause()
        assert screen.filter_input.has_class("-invalid")
        assert screen.instance_table.row_count == 6


async def test_sorting_keeps_the_cursor_on_the_same_instance(make_app: Any, backend: Any) -> None:
    from vmss_tui.domain.models import PowerAction

    backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab")
        table = main_screen(app).instance_table
        assert table.cursor_instance_id == "0"
        for _ in range(5):  # id, zone, fd, ud, power
            await pilot.press("o")
        assert table.sort_column == "power"
        assert table.shown_ids[-1] == "0", "stopped sorts after running"
        assert table.cursor_instance_id == "0"


async def test_the_command_bar_completes_like_the_repl_and_runs_the_line(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("colon", *"sca")
        await settle(pilot)
        bar_input = app.screen.query_one("#command-input", Input)
        await pilot.press("tab")
        assert bar_input.value == "scale "
        await pilot.press(*"web 7", "enter")
        await settle(pilot)
        assert backend.get_scale_set(RG, "web").capacity == 7


async def test_the_palette_offers_commands_that_fit_the_selection(make_app: Any) -> None:
    from vmss_tui.tui.palette import palette_entries

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        texts = [entry.text for entry in palette_entries(screen)]
        assert "scale web" in texts and "restart web 0" in texts
        assert not any(text.startswith("add-vm") for text in texts)
        await select_set(pilot, "demo-set")
        assert any(entry.text == "add-vm demo-set" for entry in palette_entries(screen))


async def test_the_palette_in_read_only_mode_offers_no_mutating_command(make_app: Any) -> None:
    from vmss_tui.commands import get_command
    from vmss_tui.tui.palette import palette_entries

    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        entries = list(palette_entries(main_screen(app)))
        assert entries
        for entry in entries:
            spec = get_command(entry.command)
            assert spec is not None and not spec.mutating


async def test_ctrl_p_then_a_command_runs_the_screens_action(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("ctrl+p")
        await pilot.press(*"scale w")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CapacityDialog)


async def test_enter_opens_the_instance_detail_and_j_shows_its_json(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "down", "enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert "web_1" in detail.detail_title
        assert ("instance id", "1") in detail.fields
        await pilot.press("j")
        assert detail.showing_json
        assert '"instanceId": "1"' in detail.json_text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_v_on_the_scale_set_pane_opens_the_sets_detail(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("v")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert detail.detail_title.startswith("Scale set web")
        assert ("orchestration mode", "Uniform") in detail.fields


async def test_what_if_cycles_through_zone_losses_with_the_capacity_left(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("w")
        screen = main_screen(app)
        assert "If zone 1 is lost: 4 of 6 instances (67%) remain" in _map_text(screen)
        await pilot.press("w", "w")
        assert "If zone 3 is lost" in _map_text(screen)
        await pilot.press("w")
        assert "is lost" not in _map_text(screen)


async def test_the_help_screen_lists_every_key_with_why_it_is_unavailable(make_app: Any) -> None:
    from vmss_tui.tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = {row.description: row for row in help_screen.rows}
        assert "Uniform" in rows["Add a VM by hand (Flexible sets only)"].unavailable_reason
        assert {row.key for row in help_screen.rows} >= {"s", "a", "x / del", "t", "p", "d", "r", "i", "P", "u"}


async def test_q_quits_with_exit_code_zero(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
    assert app.return_code in (0, None)


def _map_text(screen: MainScreen) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(screen.fd_map.as_renderable())
    return console.export_text()
