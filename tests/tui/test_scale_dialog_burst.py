"""Keys typed in one burst after a Backspace in the scale dialog all count (issue 11).

`12`, Backspace, `5`, Enter used to scale to 12: the keys after the Backspace were lost. This
is the scale-in half (the scale-out half, which also shows its plan first, is in test_screen.py),
so it holds whatever the dialog does after Enter.
"""

from __future__ import annotations

from typing import Any

from textual import events

from tui_helpers import select_set, settle

RG = "practice-rg"


def burst(app: Any, keys: list[str]) -> None:
    """Queue every key at once, as a terminal delivers a burst (SSH, a paste, a fast typist)."""
    for key in keys:
        app.post_message(events.Key(key, {"backspace": "\x7f", "enter": "\r"}.get(key, key)))


async def test_a_burst_with_a_backspace_in_the_scale_dialog_scales_in_to_what_was_typed(make_app: Any,
                                                                                       backend: Any) -> None:
    from vmss_tui.tui.screens.dialogs import CapacityDialog, ConfirmDialog

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, CapacityDialog)
        burst(app, ["9", "backspace", "4", "enter"])
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog), f"no confirmation of the typed capacity: {type(dialog).__name__} is on top"
        assert "6 to 4" in dialog.prompt, dialog.prompt
        await pilot.press("y")
        await settle(pilot)
        assert backend.get_scale_set(RG, "web").capacity == 4
