"""The detail view of one scale set or instance: every field, or the JSON the CLI prints.

Opened and closed all day (`v`, Esc), so it is cheap: the fields are drawn as one strip per row
(no Rich table to measure and lay out), the bottom line is the main screen's key bar (not Textual's
Footer, which composes a widget per key), and the JSON is only built into a widget when `j` asks.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label, Static

from ...domain.text import escape_control
from ..widgets.key_bar import KeyBar

SCREEN_NAME = "detail"
"""The detail screen is installed under this name and reused."""
GAP = 2
"""Columns between a label and its value."""
BOLD = Style(bold=True)
HEADING = Style(bold=True, underline=True)

Row = tuple[str, str, bool]
"""(label, value, is a section heading); ("", "", False) is a blank row."""


class FieldRows(Widget):
    """Labels in a column as wide as the longest, values beside them; a value too long for the rest of
    the line wraps at a word (or is cut where it has none) and goes on under its column."""

    DEFAULT_CSS = """
    FieldRows {
        height: auto;
    }
    """

    def __init__(self, rows: list[Row], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._base = Style()
        self._set_rows(rows)

    def _set_rows(self, rows: list[Row]) -> None:
        self.rows = rows
        self.label_width = max((cell_len(label) for label, _value, _heading in rows), default=0)
        self._lines: list[tuple[str, str, Style]] = []
        self._lines_width = -1

    def show(self, rows: list[Row]) -> None:
        """Show other rows (the screen is reused from one resource to the next)."""
        self._set_rows(rows)
        self.refresh(layout=True)

    def lines(self, width: int) -> list[tuple[str, str, Style]]:
        """(label cell, value piece, label style) per screen row at this width, built once per width."""
        if width != self._lines_width:
            value_width = max(1, width - self.label_width - GAP)
            lines: list[tuple[str, str, Style]] = []
            for label, value, heading in self.rows:
                style = HEADING if heading else BOLD
                if value.isprintable() and cell_len(value) <= value_width:
                    lines.append((label, value, style))
                    continue
                wrapped = Text(value).wrap(self.app.console, value_width, justify="left", overflow="fold")
                for number, piece in enumerate(wrapped):
                    lines.append((label if number == 0 else "", piece.plain.rstrip(), style))
            self._lines, self._lines_width = lines, width
        return self._lines

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self.lines(width))

    def render_lines(self, crop: Any) -> list[Strip]:
        self._base = self.rich_style  # once per paint, not per row
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self.lines(width)
        base = self._base
        if y >= len(lines):
            return Strip.blank(width, base)
        label, value, style = lines[y]
        padding = " " * (self.label_width - cell_len(label) + GAP)
        segments = [Segment(label, base + style), Segment(padding, base + BOLD), Segment(value, base)]
        return Strip(segments).crop_extend(0, width, base)


class DetailScreen(Screen[None]):
    """All fields of one resource; `j` switches to JSON and back."""

    DEFAULT_CSS = """
    DetailScreen > Label#detail-title {
        height: 1;
        width: 1fr;
        background: $panel;
        text-style: bold;
        padding: 0 1;
    }
    DetailScreen > VerticalScroll {
        height: 1fr;
        padding: 0 1;
    }
    DetailScreen #json-view {
        display: none;
    }
    DetailScreen.-json #json-view {
        display: block;
    }
    DetailScreen.-json #fields-view {
        display: none;
    }
    """

    BINDINGS = [
        Binding("j", "toggle_json", "JSON / fields"),
        Binding("escape,q", "close", "Back"),
    ]

    def __init__(self, title: str, fields: list[tuple[str, str]], json_text: str,
                 sections: list[tuple[str, list[tuple[str, str]]]] | None = None) -> None:
        super().__init__()
        self._take(title, fields, json_text, sections)

    def _take(self, title: str, fields: list[tuple[str, str]], json_text: str,
              sections: list[tuple[str, list[tuple[str, str]]]] | None) -> None:
        # Escaped here as well as in presentation.detail_fields: this screen shows whatever it is given.
        self.detail_title = escape_control(title)
        self.fields = [(escape_control(label), escape_control(value)) for label, value in fields]
        self.sections = [(escape_control(heading), [(escape_control(label), escape_control(value))
                                                    for label, value in rows])
                         for heading, rows in sections or ()]
        """Headed groups of rows after the fields: a set's load balancer, an instance's NIC and rules."""
        self.json_text = "\n".join(escape_control(line) for line in json_text.split("\n"))

    @classmethod
    def show(cls, app: App[Any], title: str, fields: list[tuple[str, str]], json_text: str,
             sections: list[tuple[str, list[tuple[str, str]]]] | None = None) -> DetailScreen:
        """Push the detail view of one resource; the screen is made once and kept, as building a screen
        (its widgets, their styles, a layout of the screen under it) was most of the cost of `v`."""
        if app.is_screen_installed(SCREEN_NAME):
            screen = app.get_screen(SCREEN_NAME)
            assert isinstance(screen, cls)
            screen._take(title, fields, json_text, sections)
            screen._redraw()
        else:
            screen = cls(title, fields, json_text, sections)
            app.install_screen(screen, SCREEN_NAME)
        app.push_screen(screen)
        return screen

    def _rows(self) -> list[Row]:
        rows: list[Row] = [(label, value, False) for label, value in self.fields]
        for heading, section_rows in self.sections:
            rows.append(("", "", False))
            rows.append((heading, "", True))
            rows.extend((label, value, False) for label, value in section_rows)
        return rows

    def _redraw(self) -> None:
        """Show what `_take` was given, as a fresh screen would: fields, from the top."""
        self.query_one("#detail-title", Label).update(Text(self.detail_title))
        self.query_one(FieldRows).show(self._rows())
        for json_view in self.query("#json-view"):
            json_view.remove()
        self.remove_class("-json")
        self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)

    def compose(self) -> ComposeResult:
        yield Label(Text(self.detail_title), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield FieldRows(self._rows(), id="fields-view")
        # The main screen's key bar, with this screen's keys; no `q Quit`, as q goes back here.
        key_bar = KeyBar(id="detail-keys")
        key_bar.keys, key_bar.tail = [("j", "JSON / fields"), ("esc", "Back")], False  # set before its first paint
        yield key_bar

    @property
    def showing_json(self) -> bool:
        """True while the JSON view is shown."""
        return self.has_class("-json")

    def action_toggle_json(self) -> None:
        """Switch between the field list and the JSON (its widget made the first time it is asked for)."""
        body = self.query_one("#detail-body", VerticalScroll)
        if not self.query("#json-view"):
            body.mount(Static(Text(self.json_text), id="json-view"))
        self.toggle_class("-json")
        body.scroll_home(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
