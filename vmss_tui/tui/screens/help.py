"""`?` help: every key, what it does, and why it is unavailable when it is."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


@dataclass(frozen=True)
class HelpRow:
    """One line of help: key, description, and the reason it is unavailable (empty if available)."""

    key: str
    description: str
    unavailable_reason: str = ""


class HelpScreen(ModalScreen[None]):
    """Keys of the main screen and the command language's commands."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > Vertical {
        width: 100;
        max-width: 100%;
        height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen Label {
        text-style: bold;
        width: 1fr;
    }
    HelpScreen .hint {
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, rows: list[HelpRow], commands: list[tuple[str, str]], muted_colour: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.commands = commands

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(no_wrap=True, style="bold")
        keys.add_column()
        for row in self.rows:
            description = Text(row.description)
            if row.unavailable_reason:
                description.append(f"  (unavailable: {row.unavailable_reason})", style="italic dim")
            keys.add_row(Text(row.key), description)
        commands = Table.grid(padding=(0, 2))
        commands.add_column(no_wrap=True, style="bold")
        commands.add_column()
        for usage, summary in self.commands:
            commands.add_row(Text(usage), Text(summary))
        with Vertical():
            yield Label("Keys")
            with VerticalScroll():
                yield Static(keys)
                yield Static("")
                yield Label("Commands (type : then a command; Tab completes)")
                yield Static(commands)
            yield Static("Esc closes.  Actions work on the marked rows (space), else the cursor row.",
                         classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
