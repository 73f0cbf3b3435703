"""The one-line key bar: the keys that matter most for the focused pane, always ending in `? more  q Quit`.

It replaces Textual's `Footer`, which lists bindings in declaration order and cuts the
line wherever the width ends (at 80 columns `?` and `q` fell off), and recomposes on
every focus change. Here the screen hands over keys in priority order and the bar keeps
as many as fit.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

TAIL: tuple[tuple[str, str], ...] = (("?", "more"), ("q", "Quit"))
"""Always shown, at the end: the way to every other key, and the way out."""
GAP = "  "


def key_bar_text(keys: list[tuple[str, str]], width: int, key_style: str = "bold", tail_keys: bool = True) -> Text:
    """`keys` in order, as many as fit in `width` beside the tail; a key never shows without its label."""
    tail = Text(end="")
    for key, label in TAIL if tail_keys else ():
        tail.append(GAP)
        tail.append(key, style=key_style)
        tail.append(f" {label}")
    text = Text(end="")
    room = width - tail.cell_len
    for key, label in keys:
        piece_length = len(GAP) * bool(text.cell_len) + len(key) + 1 + len(label)
        if text.cell_len + piece_length > room:
            continue  # a shorter one further down may still fit
        if text.cell_len:
            text.append(GAP)
        text.append(key, style=key_style)
        text.append(f" {label}")
    if not text.cell_len:
        tail = tail[len(GAP):]
    text.append_text(tail)
    return text


class KeyBar(Widget):
    """The bottom line of the main screen."""

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.keys: list[tuple[str, str]] = []
        self.tail = True

    def show_keys(self, keys: list[tuple[str, str]], tail: bool = True) -> None:
        """Show these (key, label) pairs, most important first, then `? more  q Quit` unless a text
        field has focus (there `?` and `q` are typed); redraws only on a change."""
        if keys != self.keys or tail != self.tail:
            self.keys, self.tail = keys, tail
            self.refresh()

    def render(self) -> Text:
        key_style = f"bold {self.app.theme_variables.get('accent', '')}".strip()
        return key_bar_text(self.keys, self.content_region.width or self.size.width, key_style, self.tail)
