"""The Activity pane: operations in flight with a progress bar, then a scrollable log of results."""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from ...domain.models import Operation, OperationStatus
from ...domain.text import escape_control
from ..presentation import ProgressLine

LOG_LINES_KEPT = 1000


def operation_label(operation: Operation) -> str:
    """`scale web 2 -> 5` or `start web (2 instances)`."""
    if operation.message:
        return operation.message
    label = f"{operation.kind} {operation.scale_set_name}"
    if operation.instance_ids:
        label += f" ({len(operation.instance_ids)} instance{'s' if len(operation.instance_ids) != 1 else ''})"
    return label


def operation_result(operation: Operation) -> str:
    """The one-line outcome of a finished operation, naming what came and went."""
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
    ActivityPane > RichLog {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.running: dict[str, Operation] = {}
        """Operations still in progress, by id, in start order."""
        self.lines: list[str] = []
        """Every line written to the log (plain text), oldest first."""

    def compose(self) -> ComposeResult:
        yield Static(id="running", classes="-empty")
        yield RichLog(id="log", max_lines=LOG_LINES_KEPT, wrap=True, markup=False, highlight=False, auto_scroll=True,
                      min_width=20)

    @property
    def log_widget(self) -> RichLog:
        """The scrollable log."""
        return self.query_one("#log", RichLog)

    def write(self, moment: datetime, line: str, variable: str | None, colours: Mapping[str, str]) -> None:
        """Append one timestamped line, coloured by a theme variable."""
        text = Text(moment.strftime("%H:%M:%S "), style="dim", end="")
        text.append(escape_control(line), style=colours.get(variable, "") if variable else "")
        self.lines.append(line)
        self.log_widget.write(text)

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
        running = self.query_one("#running", Static)
        running.set_class(not self.running, "-empty")
        text = Text(end="")
        for index, operation in enumerate(self.running.values()):
            if index:
                text.append("\n")
            text.append(ProgressLine(operation_label(operation), operation.percent_complete, width=12).render())
        running.update(text)
