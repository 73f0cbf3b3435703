"""The `:` command bar: one line of the shared command language, with the REPL's completion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList

from .text_field import TextField
from textual.widgets.option_list import Option

MAX_COMPLETIONS_SHOWN = 50


def apply_completion(value: str, text: str, start_position: int) -> str:
    """Replace the last `-start_position` characters of `value` with `text` (prompt-toolkit's rule)."""
    keep = len(value) + start_position if start_position < 0 else len(value)
    completed = value[:keep] + text
    return completed if completed.endswith(" ") else completed + " "


class CommandBar(Vertical):
    """An input line with a completion list above it; posts `Submitted` or `Closed`."""

    DEFAULT_CSS = """
    CommandBar {
        height: auto;
        background: $panel;
    }
    CommandBar > OptionList {
        height: auto;
        max-height: 6;
        border: none;
        background: $surface;
        padding: 0 1;
    }
    CommandBar > OptionList.-empty {
        display: none;
    }
    CommandBar > Input {
        border: none;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    CommandBar > Input:focus {
        border: none;
    }
    """

    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("down", "next_completion", "Next", show=False),
        Binding("up", "previous_completion", "Previous", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    @dataclass
    class Submitted(Message):
        """The user pressed Enter on a line."""

        bar: CommandBar
        line: str

        @property
        def control(self) -> CommandBar:
            return self.bar

    @dataclass
    class Closed(Message):
        """The bar was dismissed without running anything."""

        bar: CommandBar

        @property
        def control(self) -> CommandBar:
            return self.bar

    @dataclass
    class CompletionWanted(Message):
        """The text changed: the screen should compute completions in a worker."""

        bar: CommandBar
        text: str

        @property
        def control(self) -> CommandBar:
            return self.bar

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._completions: list[Any] = []
        self._completions_for = ""
        self.history: list[str] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="completions", classes="-empty")
        yield TextField(placeholder="command, e.g. scale web 5  (Tab completes, Enter runs, Esc closes)",
                    id="command-input", select_on_focus=False)

    @property
    def input(self) -> Input:
        """The text field."""
        return self.query_one("#command-input", Input)

    @property
    def option_list(self) -> OptionList:
        """The completion list."""
        return self.query_one("#completions", OptionList)

    def open(self, text: str = "") -> None:
        """Show the bar, focused, with `text` already typed."""
        self.display = True
        self.input.value = text
        self.input.cursor_position = len(text)
        # Focus now, not after the queued keys: the rest of a burst (`:scale web 5`) belongs here.
        self.screen.set_focus(self.input)
        self.post_message(self.CompletionWanted(self, text))

    def close(self) -> None:
        """Hide the bar and its completions."""
        self.display = False
        self.show_completions(self.input.value, [])

    def show_completions(self, text: str, completions: list[Any]) -> None:
        """List completions for `text` (ignored when the text has moved on since)."""
        if text != self.input.value:
            return
        self._completions = completions[:MAX_COMPLETIONS_SHOWN]
        self._completions_for = text
        option_list = self.option_list
        option_list.clear_options()
        for completion in self._completions:
            label = Text(getattr(completion, "display", None) or completion.text, end="")
            meta = getattr(completion, "meta", "")
            if meta:
                label.append(f"  {meta}", style="dim")
            option_list.add_option(Option(label))
        option_list.set_class(not self._completions, "-empty")
        if self._completions:
            option_list.highlighted = 0

    @on(Input.Changed, "#command-input")
    def _text_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.CompletionWanted(self, event.value))

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        if line:
            self.history.append(line)
        self.post_message(self.Submitted(self, line))

    @on(OptionList.OptionSelected, "#completions")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._accept(event.option_index)
        self.input.focus()

    def action_complete(self) -> None:
        """Accept the highlighted completion (Tab)."""
        if not self._completions:
            return
        self._accept(self.option_list.highlighted or 0)

    def _accept(self, index: int) -> None:
        if not 0 <= index < len(self._completions):
            return
        completion = self._completions[index]
        value = apply_completion(self.input.value, completion.text, completion.start_position)
        self.input.value = value
        self.input.cursor_position = len(value)

    def action_next_completion(self) -> None:
        if self._completions:
            highlighted = self.option_list.highlighted
            self.option_list.highlighted = 0 if highlighted is None else min(highlighted + 1,
                                                                               len(self._completions) - 1)

    def action_previous_completion(self) -> None:
        if self._completions:
            highlighted = self.option_list.highlighted or 0
            self.option_list.highlighted = max(highlighted - 1, 0)

    def action_close(self) -> None:
        self.post_message(self.Closed(self))
