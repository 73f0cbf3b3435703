"""While a newly chosen set's instances are being read, the pane says so (issue 11).

The title used to say "(0)" and the map "No instances." until the read came back: on a loaded
machine or a big set a user read that for seconds as "this set is empty" (the walk in tmux at
120x40 showed "Instances of web (0)" for a set of 6).
"""

from __future__ import annotations

import threading
from typing import Any

from tui_helpers import screen_lines, select_set, settle, wait_until
from vmss_tui.tui.screens.main import MainScreen

RG = "practice-rg"


async def test_the_title_and_map_say_loading_until_the_instances_arrive(make_app: Any, backend: Any,
                                                                        monkeypatch: Any) -> None:
    may_answer = threading.Event()
    asked = threading.Event()
    original = backend.list_instances

    def slow_for_web(resource_group: str, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "web":
            asked.set()
            may_answer.wait(10)
        return original(resource_group, name, *args, **kwargs)

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "demo-set")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        monkeypatch.setattr(backend, "list_instances", slow_for_web)
        screen.sets_table.move_to(f"{RG}/web")
        await wait_until(pilot, asked.is_set)
        await pilot.pause()
        title = str(screen.instance_table.border_title)
        text = "\n".join(screen_lines(app))
        try:
            assert "Instances of web" in title and "(0)" not in title and "loading" in title, title
            assert "No instances." not in text, text
        finally:
            may_answer.set()
        await settle(pilot)
        assert str(screen.instance_table.border_title) == "Instances of web (6)"
        assert "zone 1" in "\n".join(screen_lines(app))


async def test_once_the_instances_arrive_the_key_bar_offers_what_the_map_offers(make_app: Any) -> None:
    """`w` needs the map's loss scenarios: the key bar is brought up to date when the map is drawn."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await select_set(pilot, "batch")  # regional, fault domains 0 and 1: something to lose
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_until(pilot, lambda: screen.fd_map.scenarios != [])
        await pilot.pause()
        assert screen.unavailable_reason("what_if") is None
        assert "w What if" in screen_lines(app)[-1], screen_lines(app)[-1]
