"""The Activity pane: operations in flight with a progress bar, then one short line per event.

Each event is one line that fits the pane (`08:41 scale web 1000 -> 10: Succeeded (990 removed)`);
whatever is longer (a command's table, every removed id) is kept with the line and shown on
Enter. Lines are plain `Text` with control characters escaped: data never becomes markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...domain.models import Operation, OperationStatus
from ...domain.text import escape_control
from ..presentation import ProgressLine

LOG_LINES_KEPT = 1000
DETAIL_MARK = " …"
"""Ends a line whose details Enter shows."""


def operation_label(operation: Operation) -> str:
    """`scale web 2 -> 5` or `start web (2 instances)`."""
    if operation.message:
        return operation.message
    label = f"{operation.kind} {operation.scale_set_name}"
    if operation.instance_ids:
        label += f" ({len(operation.instance_ids)} instance{'s' if len(operation.instance_ids) != 1 else ''})"
    return label


def operation_result(operation: Operation) -> str:
    """The full outcome of a finished operation, naming every instance that came and went."""
    if operation.status is OperationStatus.FAILED and operation.error is not None:
        return f"ERROR: ({operation.error.code}) {operation.error.message}"
    parts = [operation.status.value]
    if operation.created_instance_ids:
        parts.append(f"created {', '.join(operation.created_instance_ids)}")
    if operation.removed_instance_ids:
        parts.append(f"removed {', '.join(operation.removed_instance_ids)}")
    if operation.skipped_instance_ids:
        parts.append(f"skipped (protected) {', '.join(operation.skipped_instance_ids)}")
    return "; ".join(parts)


def operation_summary(operation: Operation) -> str:
    """The outcome in a few words: `Succeeded (990 removed)`; errors name their code only."""
    if operation.status is OperationStatus.FAILED and operation.error is not None:
        return f"ERROR ({operation.error.code})"
    counts = [f"{len(ids)} {what}" for ids, what in ((operation.created_instance_ids, "created"),
                                                     (operation.removed_instance_ids, "removed"),
                                                     (operation.skipped_instance_ids, "skipped"))
              if ids]
    return operation.status.value + (f" ({', '.join(counts)})" if counts else "")


@dataclass(frozen=True)
class ActivityEntry:
    """One event of the log: its line, and the details Enter shows (empty: none)."""

    moment: datetime
    line: str
    variable: str | None
    details: str = ""


class ActivityPane(Vertical):
    """Running operations on top, the log of everything that happened below."""

    DEFAULT_CSS = """
    ActivityPane {
        height: 1fr;
    }
    ActivityPane > #running {
        height: auto;
        max-height: 4;
        color: $warning;
    }
    ActivityPane > #running.-empty {
        display: none;
    }
    ActivityPane > OptionList {
        height: 1fr;
        border: none;
        padding: 0;
        background: $surface;
        scrollbar-size-vertical: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ActivityPane > OptionList:focus {
        border: none;
    }
    """

    @dataclass
    class DetailsWanted(Message):
        """Enter on a line that has details."""

        pane: ActivityPane
        entry: ActivityEntry

        @property
        def control(self) -> ActivityPane:
            return self.pane

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.running: dict[str, Operation] = {}
        """Operations still in progress, by id, in start order."""
        self.entries: list[ActivityEntry] = []
        """Every event still kept, oldest first."""

    @property
    def lines(self) -> list[str]:
        """The text of every kept line, oldest first."""
        return [entry.line for entry in self.entries]

    def compose(self) -> ComposeResult:
        yield RunningLines(self, id="running", classes="-empty")
        yield OptionList(id="log")

    @property
    def log_widget(self) -> OptionList:
        """The list of lines."""
        return self.query_one("#log", OptionList)

    def write(self, moment: datetime, line: str, variable: str | None, colours: Mapping[str, str],
              details: str = "") -> None:
        """Append one event, its line coloured by a theme variable, its details kept for Enter."""
        entry = ActivityEntry(moment, escape_control(line), variable, details)
        self.entries.append(entry)
        text = Text(moment.strftime("%H:%M "), style="dim", end="")
        text.append(entry.line, style=colours.get(variable, "") if variable else "")
        if details:
            text.append(DETAIL_MARK, style="dim")
        log = self.log_widget
        log.add_option(Option(text))
        if len(self.entries) > LOG_LINES_KEPT:
            del self.entries[0]
            log.remove_option_at_index(0)
        at_end = log.highlighted is None or log.highlighted >= log.option_count - 2
        if at_end:
            log.highlighted = log.option_count - 1
            log.scroll_end(animate=False)

    @on(OptionList.OptionSelected, "#log")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = self.entries[event.option_index]
        if entry.details:
            self.post_message(self.DetailsWanted(self, entry))
        elif not self._fits(entry):  # shown cut with `…`: Enter shows it whole
            self.post_message(self.DetailsWanted(self, ActivityEntry(entry.moment, entry.line, entry.variable,
                                                                     entry.line)))

    def _fits(self, entry: ActivityEntry) -> bool:
        """True when the entry's row shows all of its line at the log's present width."""
        log = self.log_widget
        padding = log.get_component_styles("option-list--option").padding
        room = log.scrollable_content_region.width - padding.left - padding.right
        return cell_len(entry.moment.strftime("%H:%M ") + entry.line) <= room

    def track(self, operation: Operation) -> bool:
        """Show a snapshot of an operation; returns True the first time it finishes."""
        if operation.done:
            was_running = self.running.pop(operation.id, None) is not None
            self._draw_running()
            return was_running
        self.running[operation.id] = operation
        self._draw_running()
        return False

    def _draw_running(self) -> None:
        running = self.query_one("#running", RunningLines)
        running.set_class(not self.running, "-empty")
        running.refresh(layout=True)


PROGRESS_BAR_WIDTH = 12


def progress_row(label: str, percent: float, width: int) -> str:
    """`scale web 6 -> 1…  [###.........]  25%` in `width` cells: the label is shortened, never the bar."""
    bar = ProgressLine("", percent, width=PROGRESS_BAR_WIDTH).render()  # "  [....]  25%"
    label = escape_control(label)
    room = width - cell_len(bar)
    if cell_len(label) > room:
        label = _cut(label, max(room, 1))
    return label + bar


def _cut(label: str, cells: int) -> str:
    """`label` in at most `cells` cells, its end replaced by `…`."""
    text = Text(label, end="")
    text.truncate(cells, overflow="ellipsis")
    return text.plain


class RunningLines(Static):
    """One row per operation in flight, drawn at the pane's width when it paints."""

    def __init__(self, pane: ActivityPane, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.pane = pane

    def render(self) -> Text:
        width = self.content_region.width or self.size.width or 40
        rows = [progress_row(operation_label(operation), operation.percent_complete, width)
                for operation in self.pane.running.values()]
        return Text("\n".join(rows), end="", no_wrap=True, overflow="ellipsis")
