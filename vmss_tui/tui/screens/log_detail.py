"""The details of one Activity line: a command's whole output, every instance an operation touched."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from ...domain.text import escape_control


class LogDetailScreen(Screen[None]):
    """Plain text, scrollable, never markup; Esc or q goes back."""

    DEFAULT_CSS = """
    LogDetailScreen > Label {
        height: 1;
        width: 1fr;
        background: $panel;
        text-style: bold;
        padding: 0 1;
    }
    LogDetailScreen > VerticalScroll {
        height: 1fr;
        padding: 0 1;
    }
    LogDetailScreen > #hint {
        height: 1;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape,q", "close", "Back")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.detail_title = escape_control(title)
        self.text = "\n".join(escape_control(line) for line in text.split("\n"))

    def compose(self) -> ComposeResult:
        yield Label(Text(self.detail_title))
        with VerticalScroll(id="log-detail-body"):
            yield Static(Text(self.text, no_wrap=True), id="log-detail-text")
        yield Static("esc back   arrows / pgup / pgdn scroll", id="hint")

    def on_mount(self) -> None:
        self.query_one("#log-detail-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
