"""The detail view of one scale set or instance: every field, or the JSON the CLI prints."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from ...domain.text import escape_control


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
        # Escaped here as well as in presentation.detail_fields: this screen shows whatever it is given.
        self.detail_title = escape_control(title)
        self.fields = [(escape_control(label), escape_control(value)) for label, value in fields]
        self.sections = [(escape_control(heading), [(escape_control(label), escape_control(value))
                                                    for label, value in rows])
                         for heading, rows in sections or ()]
        """Headed groups of rows after the fields: a set's load balancer, an instance's NIC and rules."""
        self.json_text = "\n".join(escape_control(line) for line in json_text.split("\n"))

    def compose(self) -> ComposeResult:
        yield Label(Text(self.detail_title), id="detail-title")
        with VerticalScroll(id="detail-body"):
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True)
            table.add_column(overflow="fold")
            for label, value in self.fields:
                table.add_row(Text(label), Text(value))
            for heading, rows in self.sections:
                table.add_row(Text(""), Text(""))
                table.add_row(Text(heading, style="bold underline"), Text(""))
                for label, value in rows:
                    table.add_row(Text(label), Text(value))
            yield Static(table, id="fields-view")
            yield Static(Text(self.json_text), id="json-view")
        yield Footer(show_command_palette=False)  # the palette acts on the main screen's selection

    @property
    def showing_json(self) -> bool:
        """True while the JSON view is shown."""
        return self.has_class("-json")

    def action_toggle_json(self) -> None:
        """Switch between the field list and the JSON."""
        self.toggle_class("-json")
        self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
