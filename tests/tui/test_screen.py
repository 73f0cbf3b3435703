"""The screen around the tables (issue 11): what a user sees and types, bursts of keys, dialogs, the log."""

from __future__ import annotations

from typing import Any

from textual import events

from tui_helpers import enter_line, screen_lines, select_set, settle, wait_until
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec
from vmss_tui.tui.screens.main import MainScreen

RG = "practice-rg"


def main_screen(app: Any) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def burst(app: Any, keys: list[str]) -> None:
    """Queue every key at once, as a terminal delivers a burst (SSH, a paste, a fast typist)."""
    for key in keys:
        character = key if len(key) == 1 else {"backspace": "\x7f", "enter": "\r", "space": " ", "colon": ":",
                                               "slash": "/"}.get(key)
        app.post_message(events.Key(key, character))


KEY_NAMES = {":": "colon", "/": "slash", " ": "space"}


def keys_of(text: str) -> list[str]:
    return [KEY_NAMES.get(character, character) for character in text]


# ----------------------------------------------------------------------------- typed text is visible

async def test_the_command_bar_shows_the_text_being_typed(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("colon", *keys_of("scale web 5"))
        await pilot.pause()
        assert any("scale web 5" in line for line in screen_lines(app)), "\n".join(screen_lines(app))


async def test_the_filter_shows_the_text_being_typed(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "slash", *keys_of("zone:2"))
        await pilot.pause()
        lines = screen_lines(app)
        assert any("zone:2" in line and "Instances of" not in line for line in lines), "\n".join(lines)


async def test_the_pane_title_shows_a_filter_with_markup_as_typed(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "slash", "[bold]x [/] y")
        await pilot.pause()
        lines = screen_lines(app)
        title = next(line for line in lines if "Instances of web" in line)
        assert "filter: [bold]x [/] y" in title, title


# ----------------------------------------------------------------------------- bursts of keys

async def test_a_burst_with_a_backspace_in_the_scale_dialog_scales_to_what_was_typed(make_app: Any,
                                                                                   backend: Any) -> None:
    from vmss_tui.tui.screens.dialogs import CapacityDialog, ConfirmDialog

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, CapacityDialog)
        burst(app, ["1", "2", "backspace", "5", "enter"])
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog), "a scale-out shows its plan first"
        await pilot.press("y")
        await settle(pilot)
        assert backend.get_scale_set(RG, "web").capacity == 15


async def test_a_burst_into_the_filter_keeps_every_key_in_order(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab")
        burst(app, ["slash", *keys_of("zone:3"), "backspace", "2"])
        await settle(pilot)
        screen = main_screen(app)
        assert screen.filter_input.value == "zone:2"
        assert screen.instance_table.shown_ids == ["1", "4"]


async def test_a_burst_into_the_command_bar_runs_the_line_as_typed(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        burst(app, ["colon", *keys_of("scale web 88"), "backspace", "backspace", *keys_of("7 --yes"), "enter"])
        await settle(pilot)
        assert backend.get_scale_set(RG, "web").capacity == 7


# ----------------------------------------------------------------------------- deleting the selected set

async def test_deleting_the_selected_set_moves_the_selection_without_an_error(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "delete web --yes")
        await settle(pilot)
        screen = main_screen(app)
        assert [s.name for s in backend.list_scale_sets(RG)] == ["batch", "demo-set"]
        failures = [n for n in app._notifications if n.severity == "error"]
        assert not failures, [f"{n.title}: {n.message}" for n in failures]
        assert screen.selected_key is not None and screen.selected_key[1] in ("batch", "demo-set")
        assert not any("ResourceNotFound" in line for line in screen.activity.lines)


# ----------------------------------------------------------------------------- validate before asking

async def test_delete_of_an_instance_already_gone_says_so_and_asks_nothing(make_app: Any, backend: Any) -> None:
    from vmss_tui.tui.screens.dialogs import ConfirmDialog

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab")
        backend.delete_instances(RG, "web", ["0"])  # behind the app's back: its row is still shown
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        messages = [n.message for n in app._notifications] + main_screen(app).activity.lines
        assert any("0" in text and "not found" in text.lower() for text in messages), messages


async def test_scale_beyond_the_limit_is_refused_before_any_confirmation(make_app: Any, backend: Any) -> None:
    from vmss_tui.tui.screens.dialogs import ConfirmDialog

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("s", *"5000", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        assert backend.get_scale_set(RG, "web").capacity == 6
        assert any("ERROR" in line for line in main_screen(app).activity.lines)


# ----------------------------------------------------------------------------- confirmations say everything

async def test_a_big_scale_in_confirmation_counts_the_victims_it_does_not_list_and_lists_them_on_request(
        make_app: Any, backend: Any) -> None:
    from textual.widgets import Static

    from vmss_tui.tui.screens.dialogs import ConfirmDialog

    backend.create_scale_set(ScaleSetSpec(name="wide", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM,
                                          capacity=100, single_placement_group=False))
    plan = backend.plan_capacity(RG, "wide", 10)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "wide")
        await pilot.press("s", *"10", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        lines = screen_lines(app)
        assert any("and 84 more" in line for line in lines), "\n".join(lines)
        await pilot.press("l")
        await pilot.pause()
        shown = str(dialog.query_one("#prompt", Static).render())
        for removal in plan.to_remove:
            assert f"  {removal.instance_id}  " in shown


async def test_a_scale_out_shows_the_instances_it_creates_before_it_runs(make_app: Any, backend: Any) -> None:
    from vmss_tui.tui.screens.dialogs import ConfirmDialog

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("s", "8", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "6 to 8" in dialog.prompt and "creates 2" in dialog.prompt
        assert backend.get_scale_set(RG, "web").capacity == 6, "nothing happens before the yes"
        await pilot.press("n")
        await settle(pilot)
        assert backend.get_scale_set(RG, "web").capacity == 6


# ----------------------------------------------------------------------------- the first frame

async def test_the_very_first_frame_already_shows_the_instances(make_app: Any, monkeypatch: Any) -> None:
    """No empty panes first and rows a few frames later: the first paint waits for the first read."""
    from textual.screen import Screen

    frames: list[list[str]] = []
    paint = Screen._compositor_refresh

    def recorded(screen: Screen[Any]) -> None:
        paint(screen)
        if isinstance(screen, MainScreen) and not frames:
            frames.append([strip.text for strip in screen._compositor.render_strips()])

    monkeypatch.setattr(Screen, "_compositor_refresh", recorded)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: bool(frames))
        first = "\n".join(frames[0])
        assert "Instances of demo-set (2)" in first, first
        assert "running" in first, first


async def test_quitting_as_soon_as_the_rows_show_exits_cleanly(make_app: Any) -> None:
    """q right after the first rows, while the side panes are still mounting: no traceback."""
    import asyncio

    for pause in (0.0, 0.002, 0.01, 0.03):
        app = make_app()
        async with app.run_test(size=(120, 40)):
            deadline = asyncio.get_running_loop().time() + 60
            while not (app.screen_stack and main_screen(app).instance_table.row_count):
                assert asyncio.get_running_loop().time() < deadline, f"no rows in 60 s (pause {pause})"
                await asyncio.sleep(0.001)
            await asyncio.sleep(pause)
            app.exit(0)
        assert app.return_code == 0  # and run_test raised nothing the app hit while closing


async def test_keys_typed_after_q_in_one_burst_do_nothing(make_app: Any) -> None:
    """`qs` in one read from the terminal (a typo, a paste, SSH): the app quits, no dialog opens on it."""
    for keys in ("qs", "qa", "quest", "qv", "qw", "q:", "qA", "qR", "q/", "qx"):
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await select_set(pilot, "web")
            await pilot.press("tab")
            for key in keys:  # every key queued before the first is handled, as one read delivers them
                app.post_message(events.Key(key, key))
            await pilot.pause()
        assert app.return_code == 0, keys


# ----------------------------------------------------------------------------- the footer

async def test_the_footer_lists_the_main_keys_at_120_and_at_80_columns(make_app: Any) -> None:
    for size in ((120, 40), (80, 24)):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await select_set(pilot, "web")
            await pilot.press("tab")
            await pilot.pause()
            footer = screen_lines(app)[-1]
            for shown in ("x ", "s Scale", "/ Filter", "? ", "q Quit"):
                assert shown in footer, f"{size}: {shown!r} missing from {footer!r}"
            assert "palettel" not in footer


async def test_the_key_bar_shows_the_fault_domain_maps_own_keys_when_it_has_focus(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        for _ in range(4):  # sets -> instances -> map
            if app.focused is not None and app.focused.id == "map-pane":
                break
            await pilot.press("tab")
            await pilot.pause()
        assert app.focused is not None and app.focused.id == "map-pane", app.focused
        footer = screen_lines(app)[-1]
        for shown in ("w What if", "Scroll", "tab Next pane", "q Quit"):
            assert shown in footer, f"{shown!r} missing from {footer!r}"
        for sets_key in ("a Add VM", "enter Instances"):
            assert sets_key not in footer, f"the sets pane's {sets_key!r} shows on the map: {footer!r}"


async def test_the_same_warning_pressed_again_is_one_toast_not_a_pile(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "demo-set")  # regional, FD count 1: nothing to lose, `w` is unavailable
        await pilot.press(*["w"] * 6)
        await pilot.pause(0.2)
        await pilot.pause()
        titles = [n.title for n in app._notifications]  # the toasts on screen (run_test's text omits them)
        assert titles.count("What if unavailable") == 1, titles


async def test_what_if_zone_loss_is_visible_at_80x24(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "w")
        await pilot.pause()
        lines = screen_lines(app)
        assert any("If zone 1 is lost" in line for line in lines), "\n".join(lines)


# ----------------------------------------------------------------------------- the activity log

async def test_a_scale_in_is_one_readable_line_in_the_activity_log(make_app: Any, backend: Any) -> None:
    backend.create_scale_set(ScaleSetSpec(name="wide", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM,
                                          capacity=60, single_placement_group=False))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "wide")
        before = len(main_screen(app).activity.lines)
        await enter_line(pilot, "colon", "scale wide 10 --yes")
        await settle(pilot)
        written = main_screen(app).activity.lines[before:]
        assert any("scale wide 60 -> 10: Succeeded (50 removed)" in line for line in written), written
        assert all(len(line) < 80 for line in written), written


async def test_a_read_command_is_summed_up_in_the_log_with_its_output_on_request(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        before = len(main_screen(app).activity.lines)
        await enter_line(pilot, "colon", "instances web")
        await settle(pilot)
        written = main_screen(app).activity.lines[before:]
        assert len(written) <= 2, written
        assert not any("westeurope" in line for line in written), "no table dumped into the log"


async def test_markup_in_logged_data_is_shown_as_typed(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "show [red]x[/red]")
        await settle(pilot)
        assert any("[red]x[/red]" in line for line in screen_lines(app))


# ----------------------------------------------------------------------------- the sets pane

async def test_home_and_end_move_the_sets_cursor_to_the_first_and_last_set(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "demo-set")
        screen = main_screen(app)
        screen.sets_table.focus()
        await pilot.press("end")
        await settle(pilot)
        assert screen.selected_key == (RG, "web")
        await pilot.press("home")
        await settle(pilot)
        assert screen.selected_key == (RG, "batch")


async def test_the_sets_pane_shows_every_set_when_there_is_room(make_app: Any, backend: Any) -> None:
    for index in range(9):
        backend.create_scale_set(ScaleSetSpec(name=f"extra{index}", resource_group=RG,
                                              orchestration_mode=OrchestrationMode.FLEXIBLE, capacity=0))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        for name in ("batch", "web", *(f"extra{index}" for index in range(9))):
            assert any(f" {name} " in line for line in lines), f"{name} not on screen:\n" + "\n".join(lines)


# ----------------------------------------------------------------------------- the first load

async def test_the_first_load_lists_each_sets_instances_at_most_once(make_app: Any, backend: Any,
                                                                     monkeypatch: Any) -> None:
    listed: list[str] = []
    original = backend.list_instances

    def counting(resource_group: str, name: str, *args: Any, **kwargs: Any) -> Any:
        listed.append(name)
        return original(resource_group, name, *args, **kwargs)

    monkeypatch.setattr(backend, "list_instances", counting)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert main_screen(app).instance_table.row_count == 2
    assert len(listed) == len(set(listed)), listed


# ----------------------------------------------------------------------------- keys before the side panes mount

async def test_keys_and_bindings_before_the_side_panes_mount_do_not_crash(make_app: Any, backend: Any,
                                                                          monkeypatch: Any) -> None:
    import threading

    from textual.widgets import Input

    from vmss_tui.tui.keys import ACTION_KEYS

    monkeypatch.setattr("vmss_tui.tui.screens.main.REST_MOUNT_DELAY", 3600.0)
    backend_may_answer = threading.Event()
    original_info = backend.info

    def slow_info() -> Any:
        backend_may_answer.wait(10)
        return original_info()

    monkeypatch.setattr(backend, "info", slow_info)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        assert not screen.rest_ready
        for _key, action, _description, _show in ACTION_KEYS:
            screen.unavailable_reason(action)
            screen.check_action(action, ())
        screen._show_keys()
        screen.on_descendant_focus(None)
        await pilot.press("escape", "w", "tab", "escape", "w", "question_mark")
        await pilot.pause()
        await pilot.press("escape")
        assert not screen.rest_ready
        backend_may_answer.set()
        await settle(pilot)
        await pilot.pause(0.1)
        assert screen.rest_ready
        assert screen.instance_table.row_count == 2
        await pilot.press("slash")
        assert isinstance(app.focused, Input)


async def test_a_command_that_finishes_before_the_side_panes_mount_is_logged_once_they_do(
        make_app: Any, backend: Any, monkeypatch: Any) -> None:
    from vmss_tui.domain.models import PowerState

    held = True
    original_mount_rest = MainScreen._mount_rest

    async def held_mount_rest(self: MainScreen) -> None:
        if not held:  # the side panes are still on their way
            await original_mount_rest(self)

    monkeypatch.setattr(MainScreen, "_mount_rest", held_mount_rest)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await wait_until(pilot, lambda: screen.instance_table.row_count == 2)
        assert not screen.rest_ready
        group, name = screen.selected_key or ("", "")
        first_id = screen.instance_table.shown_ids[0]
        await pilot.press("tab", "p")
        await wait_until(
            pilot, lambda: backend.get_instance(group, name, first_id).power_state is PowerState.STOPPED)
        await settle(pilot)
        held = False
        await screen._mount_rest()
        await settle(pilot)
        assert screen.rest_ready
        assert screen.commands_in_flight == 0
        assert any("stop" in line.lower() for line in screen.activity.lines), screen.activity.lines


# ----------------------------------------------------------------------------- a damaged set

def _damage_batch(tmp_path: Any) -> None:
    """Cut the batch set's file short, as a crash or a full disk would (tests/security/test_store_damage.py)."""
    shard = tmp_path / "store" / "sets" / RG / "batch.json"
    shard.write_bytes(shard.read_bytes()[:40])


def _set_row(app: Any, name: str) -> str:
    return next(line for line in screen_lines(app) if f" {name} " in line)


async def test_a_damaged_set_is_listed_as_damaged_and_the_other_sets_keep_refreshing(
        make_app: Any, backend: Any, tmp_path: Any) -> None:
    _damage_batch(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert "Damaged" in _set_row(app, "batch")
        assert screen.selected_key is not None and screen.selected_key[1] != "batch"
        assert screen.instance_table.row_count > 0
        assert not app._notifications, [n.message for n in app._notifications]
        # Another process scales web: the next refresh shows it, the damaged set notwithstanding.
        backend.set_capacity(RG, "web", 9)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "/9" in _set_row(app, "web"), _set_row(app, "web")
        assert "Damaged" in _set_row(app, "batch")
        # Choosing the damaged set says what is wrong with it, once, in its pane.
        screen.sets_table.move_to(f"{RG}/batch")
        await settle(pilot)
        assert screen.instance_table.row_count == 0
        assert "damaged" in (screen.instance_table.border_title or "").lower()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len([n for n in app._notifications if "StoreDamaged" in n.message]) <= 1


async def test_a_set_whose_instances_cannot_be_counted_does_not_stop_the_sets_refresh(
        make_app: Any, backend: Any, tmp_path: Any, monkeypatch: Any) -> None:
    """As with Azure, where the sets pane counts by listing each set's instances."""
    import dataclasses

    original = backend.list_scale_set_summaries

    def uncounted(resource_group: Any = None) -> Any:
        return [dataclasses.replace(summary, state_counts=None) for summary in original(resource_group)]

    monkeypatch.setattr(backend, "list_scale_set_summaries", uncounted)
    _damage_batch(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        backend.set_capacity(RG, "web", 9)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "/9" in _set_row(app, "web"), _set_row(app, "web")
        assert "Damaged" in _set_row(app, "batch")
        assert not app._notifications, [n.message for n in app._notifications]
