"""Modal dialogs: confirm a destructive line, ask a capacity, describe a VM to add."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..widgets.text_field import TextField

LIST_LINES_SHOWN = 6
"""Items of a long list (the indented lines of a prompt) shown before `... and N more`."""


def collapse_prompt(prompt: str, shown: int = LIST_LINES_SHOWN) -> tuple[str, int]:
    """The prompt with its list cut to `shown` items and a line counting the rest; and that count.

    List items are the prompt's indented lines (the command layer writes victims so).
    """
    lines = prompt.split("\n")
    items = [index for index, line in enumerate(lines) if line.startswith("  ")]
    hidden = items[shown:]
    if not hidden:
        return prompt, 0
    keep = [line for index, line in enumerate(lines) if index not in set(hidden)]
    keep.insert(items[shown], f"  ... and {len(hidden)} more (l lists them all)")
    return "\n".join(keep), len(hidden)

_DIALOG_CSS = """
{name} {{
    align: center middle;
    background: $background 60%;
}}
{name} > Vertical {{
    width: 76;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    border: round $primary;
    background: $surface;
    padding: 0 1;
}}
{name} .title {{
    text-style: bold;
    width: 1fr;
    margin-bottom: 1;
}}
{name} .hint {{
    color: $text-muted;
}}
{name} .error-line {{
    color: $error;
    height: auto;
}}
{name} Horizontal.buttons {{
    height: auto;
    align-horizontal: right;
    margin-top: 1;
}}
{name} Button {{
    margin-left: 2;
    min-width: 10;
}}
{name} Input {{
    margin-bottom: 1;
    background: $panel;
}}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Asks before a destructive command, showing exactly what the command layer says it removes."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="ConfirmDialog") + """
    ConfirmDialog #prompt-scroll {
        height: auto;
        max-height: 14;
    }
    ConfirmDialog #prompt-scroll.-expanded {
        max-height: 1fr;
    }
    ConfirmDialog > Vertical {
        max-height: 100%;
    }
    ConfirmDialog Button#yes {
        background: $error;
        color: $text;
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
        Binding("l", "list_all", "List all"),
    ]

    def __init__(self, prompt: str, *, title: str = "Please confirm", line: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.title_text = title
        self.line = line
        self.collapsed_prompt, self.hidden_items = collapse_prompt(prompt)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            with VerticalScroll(id="prompt-scroll"):
                yield Static(self.collapsed_prompt, id="prompt", markup=False)
            if self.line:
                yield Static(f"command: {self.line}", classes="hint", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("No", id="no", variant="default", compact=True)
                yield Button("Yes", id="yes", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, agreed: bool) -> None:
        self.dismiss(agreed)

    def action_list_all(self) -> None:
        """Show every item of the list, scrollable with the arrows and PageUp/PageDown."""
        if not self.hidden_items:
            return
        self.hidden_items = 0
        self.query_one("#prompt", Static).update(self.prompt)
        scroll = self.query_one("#prompt-scroll", VerticalScroll)
        scroll.add_class("-expanded")
        scroll.focus()


class CapacityDialog(ModalScreen[int | None]):
    """Asks for the new capacity of a scale set."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="CapacityDialog")

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scale_set_name: str, current_capacity: int, limit_hint: str = "") -> None:
        super().__init__()
        self.scale_set_name = scale_set_name
        self.current_capacity = current_capacity
        self.limit_hint = limit_hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Scale {self.scale_set_name}", classes="title")
            yield Static(f"Current capacity: {self.current_capacity}. New capacity:", markup=False)
            yield TextField(str(self.current_capacity), id="capacity", type="integer", compact=True)
            yield Static(self.limit_hint or "Scale-in shows which instances go before anything happens.",
                         classes="hint", markup=False)
            yield Static("", id="error", classes="error-line", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Scale", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#capacity", Input)
        field.focus()
        field.select_all()

    def _value(self) -> int | None:
        text = self.query_one("#capacity", Input).value.strip()
        try:
            value = int(text)
        except ValueError:
            self.query_one("#error", Static).update(f"'{text}' is not a whole number")
            return None
        if value < 0:
            self.query_one("#error", Static).update("capacity cannot be negative")
            return None
        return value

    @on(Input.Submitted)
    def _submitted(self) -> None:
        value = self._value()
        if value is not None:
            self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submitted()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class NewVm:
    """What the add-VM dialog collected; empty strings mean "let Azure choose"."""

    name: str = ""
    zone: str = ""
    fault_domain: str = ""
    vm_size: str = ""


class AddVmDialog(ModalScreen[NewVm | None]):
    """Describes a VM to add by hand to a Flexible scale set."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="AddVmDialog") + """
    AddVmDialog .field-label {
        margin-top: 0;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scale_set_name: str, zones: tuple[str, ...], fault_domain_count: int) -> None:
        super().__init__()
        self.scale_set_name = scale_set_name
        self.zones = zones
        self.fault_domain_count = fault_domain_count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Add a VM to {self.scale_set_name}", classes="title")
            yield Static("Name (empty: Azure names it)", classes="field-label", markup=False)
            yield TextField(id="name", placeholder="e.g. newvm", compact=True)
            if self.zones:
                yield Static(f"Zone ({', '.join(self.zones)}; empty: Azure chooses)", classes="field-label",
                             markup=False)
                yield TextField(id="zone", compact=True)
            else:
                yield Static("Zone: none (a regional set)", classes="field-label hint", markup=False)
            if self.fault_domain_count > 1:
                yield Static(f"Fault domain (0-{self.fault_domain_count - 1}; empty: Azure chooses)",
                             classes="field-label", markup=False)
                yield TextField(id="fault-domain", type="integer", compact=True)
            else:
                yield Static("Fault domain: Azure chooses (FD count 1, max spreading)", classes="field-label hint",
                             markup=False)
            yield Static("Size (empty: the set's size)", classes="field-label", markup=False)
            yield TextField(id="size", placeholder="e.g. Standard_D2s_v3", compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Add VM", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _collect(self) -> NewVm:
        def value(widget_id: str) -> str:
            found = self.query(f"#{widget_id}")
            return found.first(Input).value.strip() if found else ""

        return NewVm(name=value("name"), zone=value("zone"), fault_domain=value("fault-domain"),
                     vm_size=value("size"))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.dismiss(self._collect())

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self._collect() if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
