"""What the panes that stand in for the instances (`A` autoscale, `R` reservations) share: the scrolling
frame, and a text body drawn for the width it has."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget


class TextBody(Widget):
    """A pane's text, laid out for its width by `_lines` (the subclass's)."""

    DEFAULT_CSS = """
    TextBody {
        height: auto;
        padding: 0 1;
    }
    """

    def _lines(self, width: int) -> list[Text]:
        raise NotImplementedError  # each pane lays out its own reading

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_region.width or self.size.width))


class StandInPane(VerticalScroll):
    """A pane shown in place of the instances: the frame the instance table has, focused like it."""

    DEFAULT_CSS = """
    StandInPane {
        height: 1fr;
        border: none;
        border-top: solid $border-blurred;
        border-title-color: $text-muted;
        border-title-style: bold;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    StandInPane:focus {
        border-top: solid $border;
        border-title-color: $text;
    }
    """
