"""App-level options: themes, NO_COLOR, the production header, scale sets in several groups."""

from __future__ import annotations

from typing import Any

from tui_helpers import select_set, settle
from vmss_tui.domain.models import BackendInfo
from vmss_tui.tui.screens.main import MainScreen


async def test_an_unknown_theme_falls_back_to_dark_with_a_warning(make_app: Any) -> None:
    app = make_app(theme="neon")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "vmss-dark"
        assert any("unknown theme 'neon'" in n.message for n in app._notifications)


async def test_the_config_file_theme_is_used_when_no_theme_is_given(make_app: Any) -> None:
    app = make_app(theme=None, config={"theme": "vmss-light"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "vmss-light"


async def test_no_color_switches_the_app_to_monochrome(make_app: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color


async def test_a_subscription_marked_production_colours_the_header(make_app: Any, backend: Any) -> None:
    subscription_id = backend.info().subscription_id
    app = make_app(config={"subscriptions": {subscription_id: {"production": True}}})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.header.has_class("-production")
        assert "PRODUCTION" in str(screen.header.render())


async def test_a_backend_reporting_production_colours_the_header_too(make_app: Any, backend: Any,
                                                                     monkeypatch: Any) -> None:
    real_info = backend.info()
    monkeypatch.setattr(backend, "info", lambda: BackendInfo(kind="azure", subscription_id=real_info.subscription_id,
                                                             subscription_name="Contoso", production=True))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.header.has_class("-production")
        assert "azure" in str(screen.header.render())


async def test_sets_in_several_groups_are_named_with_their_group(make_app: Any, backend: Any) -> None:
    from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

    backend.create_or_update_resource_group("other-rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="other-rg",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        names = [screen.sets_table.get_cell(key, "name").plain for key in screen.sets_table.scale_sets]
        assert "other-rg/web" in names and "practice-rg/web" in names
        await select_set(pilot, "web")
        await pilot.press("tab", "p")
        await settle(pilot)
        assert any(line.endswith("-g practice-rg") for line in screen.activity.lines), "lines name the group"


async def test_an_operation_started_with_no_wait_is_followed_until_it_finishes(make_app: Any, tmp_path: Any) -> None:
    from tui_helpers import FIXED_NOW, enter_line, open_practice_backend, wait_until
    from vmss_tui.backends.emulator.clock import FakeClock

    clock = FakeClock(start=FIXED_NOW)
    slow_backend = open_practice_backend(tmp_path / "slow", speed="fast", clock=clock)
    app = make_app(backend=slow_backend, refresh_interval=0.2, idle_refresh_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await enter_line(pilot, "colon", "scale web 8 --no-wait")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_until(pilot, lambda: bool(screen.activity.running))
        clock.advance(900)
        await wait_until(pilot, lambda: not screen.activity.running)
        assert any("scale web 6 -> 8" in line and "Succeeded" in line for line in screen.activity.lines)


async def test_switching_theme_recolours_the_cells_already_drawn(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        dark_style = str(screen.instance_table.get_cell("0", "power").style)
        app.theme = "vmss-light"
        await settle(pilot)
        light_style = str(screen.instance_table.get_cell("0", "power").style)
        assert light_style != dark_style
        assert app.theme_variables["success"].lower() in light_style.lower()


async def test_a_resource_group_that_does_not_exist_is_reported_not_fatal(make_app: Any) -> None:
    app = make_app(resource_group="missing-rg")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.is_running
        assert any("ResourceGroupNotFound" in n.message for n in app._notifications)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert "missing-rg" in str(screen.header.render())


async def test_read_only_and_production_stay_visible_in_an_80_column_header(make_app: Any, backend: Any) -> None:
    subscription_id = backend.info().subscription_id
    app = make_app(read_only=True, config={"subscriptions": {subscription_id: {"production": True}}})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        visible = screen.header.render().plain[: screen.header.content_size.width]
        assert "READ-ONLY" in visible and "PRODUCTION" in visible, visible


async def test_on_a_production_subscription_even_a_start_asks_first(make_app: Any, backend: Any) -> None:
    subscription_id = backend.info().subscription_id
    app = make_app(config={"subscriptions": {subscription_id: {"production": True}}})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await select_set(pilot, "web")
        before = [i.power_state for i in backend.list_instances("practice-rg", "web")]
        await pilot.press("tab", "p")  # stop the cursor instance: not destructive, yet production confirms
        await settle(pilot)
        from vmss_tui.tui.screens.dialogs import ConfirmDialog

        assert isinstance(app.screen, ConfirmDialog), type(app.screen).__name__
        dialog_text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "PRODUCTION: this changes subscription" in dialog_text
        await pilot.press("escape")
        await settle(pilot)
        assert [i.power_state for i in backend.list_instances("practice-rg", "web")] == before


async def test_resizing_down_to_a_small_window_and_back_keeps_the_app_working(make_app: Any) -> None:
    """Terminals over SSH get resized: every size keeps the header, the selection and the keys."""
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await select_set(pilot, "web")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        for width, height in ((80, 24), (60, 18), (40, 12), (132, 43)):
            await pilot.resize_terminal(width, height)
            await settle(pilot)
            assert app.size == (width, height)
            visible = screen.header.render().plain[: screen.header.content_size.width]
            assert "READ-ONLY" in visible, (width, height, visible)
            assert screen.sets_table.cursor_set is not None and screen.sets_table.cursor_set.name == "web"
        await pilot.press("down")
        await settle(pilot)
        assert screen.sets_table.cursor_set is not None  # still responding to keys after the resizes
