"""At 80x24 what the bottom of the screen says is whole (issue 11's walk in tmux at 80x24).

The `/` filter's hint used to run past the 80th column ("... (Enter keeps, Esc" and nothing more).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tui_helpers import screen_lines, select_set


async def test_the_hint_of_each_text_field_fits_in_80_columns(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        for opener in ("slash", "colon"):
            await pilot.press("tab", opener)
            await pilot.pause()
            field = app.focused
            assert isinstance(field, Input) and field.placeholder
            lines = screen_lines(app)
            assert any(field.placeholder in line for line in lines), (
                f"the hint {field.placeholder!r} is cut:\n" + "\n".join(lines[-3:]))
            await pilot.press("escape")
            await pilot.pause()
