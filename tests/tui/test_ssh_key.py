"""`S` on an instance: the app suspends, the ssh runner gets the terminal, and the app comes back as it was."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from tui_helpers import select_set, settle
from vmss_tui.domain.models import PowerAction
from vmss_tui.tui.screens.main import MainScreen

RG = "practice-rg"


def main_screen(app: Any) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


@pytest.fixture
def suspends(monkeypatch: pytest.MonkeyPatch, make_app: Any) -> tuple[Any, list[str]]:
    """The app, with `suspend()` recorded (the headless driver cannot hand a terminal over) and a runner injected."""
    app = make_app()
    events: list[str] = []

    @contextmanager
    def suspend() -> Iterator[None]:
        events.append("suspended")
        yield
        events.append("resumed")

    monkeypatch.setattr(app, "suspend", suspend)

    def runner(session: Any, group: str, name: str, instance_id: str) -> str:
        events.append(f"ssh {group}/{name}/{instance_id} while {events[-1]}")
        return f"ssh {name} {instance_id}: session ended (exit status 0)"

    monkeypatch.setattr(MainScreen, "ssh_runner", staticmethod(runner))
    return app, events


async def test_s_runs_ssh_on_the_cursor_row_inside_a_suspend_and_the_app_carries_on(suspends: Any) -> None:
    app, events = suspends
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "down", "down")
        screen = main_screen(app)
        before = (screen.selected_key, screen.instance_table.cursor_instance_id, app.focused)
        await pilot.press("S")
        await settle(pilot)
        assert events == ["suspended", f"ssh {RG}/web/2 while suspended", "resumed"]
        assert (screen.selected_key, screen.instance_table.cursor_instance_id, app.focused) == before
        assert any("ssh web 2: session ended" in line for line in screen.activity.lines)
        await pilot.press("down")  # keys reach the app again
        assert screen.instance_table.cursor_instance_id == "3"


async def test_s_explains_why_when_the_instance_cannot_be_reached(suspends: Any, backend: Any) -> None:
    app, events = suspends
    backend.wait(backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"]))
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "S")
        await settle(pilot)
        assert events == []
        assert any("is deallocated" in n.message and "start it first" in n.message for n in app._notifications)


async def test_s_on_a_vm_without_a_public_endpoint_says_what_would_give_one(suspends: Any, backend: Any) -> None:
    app, events = suspends
    no_endpoint = next(i for i in backend.list_instances(RG, "demo-set") if i.public_endpoint is None)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "demo-set")
        screen = main_screen(app)
        await pilot.press("tab", *["down"] * screen.instance_table.shown_ids.index(no_endpoint.instance_id))
        assert screen.instance_table.cursor_instance_id == no_endpoint.instance_id
        await pilot.press("S")
        await settle(pilot)
        assert events == []
        assert any("has no public endpoint" in n.message for n in app._notifications)
