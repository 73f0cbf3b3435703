"""An empty subscription tells a new user how to make a first set, and the words work as written.

The hint used to be one long line, cut to "No scale sets yet: create one, e…" in the 40-column
Activity pane at 80x24, and the command it named failed on an empty store: `create ... -g my-rg`
answers ResourceGroupNotFound while the group does not exist, as on Azure.
"""

from __future__ import annotations

from typing import Any

from tui_helpers import enter_line, screen_lines, settle, wait_until
from vmss_tui.backends import open_backend
from vmss_tui.tui.screens.main import MainScreen

HINT = ("No scale sets yet. To make one:", ":group create rg -l eastus", ":create web --mode uniform -g rg")


async def test_the_hint_is_whole_at_80x24_and_its_commands_make_a_set(make_app: Any, tmp_path: Any) -> None:
    empty = open_backend("emulator", db=tmp_path / "empty", speed="instant", durable=False, seed=False)
    app = make_app(backend=empty)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: HINT[-1] in "\n".join(screen_lines(app)))
        shown = "\n".join(screen_lines(app))
        for line in HINT:
            assert line in shown, line
        for command in HINT[1:]:
            await enter_line(pilot, "colon", command.removeprefix(":"))
            await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_until(pilot, lambda: any(s.name == "web" for s in empty.list_scale_sets()))
    empty.close()
