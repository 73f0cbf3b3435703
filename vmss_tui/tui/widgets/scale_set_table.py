"""The scale sets pane: one row per set; the highlighted row drives every other pane."""

from __future__ import annotations

from typing import Mapping

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from ...domain.models import ScaleSet
from ..presentation import provisioning_colour_variable, styled, zones_label
from .rows import cursor_row_key

COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("name", "Scale set", None),
    ("mode", "Mode", 8),
    ("capacity", "Run/Total", 9),
    ("prov", "State", 9),
    ("zones", "Zones", 8),
    ("fds", "FDs", 3),
    ("size", "Size", 15),
)
"""(column key, header, width); fixed widths so refreshes never re-measure."""


def set_row_key(scale_set: ScaleSet) -> str:
    """`group/name`: unique across the subscription (names are unique per group)."""
    return f"{scale_set.resource_group}/{scale_set.name}"


def scale_set_cells(scale_set: ScaleSet, running: int | None, colours: Mapping[str, str],
                    show_group: bool = False) -> dict[str, Text]:
    """The cells of one scale-set row; `running` None means not counted yet.

    The group is named only when sets come from several groups (the header names a single one).
    """
    running_text = "?" if running is None else str(running)
    name = f"{scale_set.resource_group}/{scale_set.name}" if show_group else scale_set.name
    return {
        "name": Text(name, style="bold", end=""),
        "mode": Text(scale_set.orchestration_mode.value, end=""),
        "capacity": styled(f"{running_text}/{scale_set.capacity}",
                           None if running is None or running == scale_set.capacity else "warning", colours),
        "prov": styled(scale_set.provisioning_state.value,
                       provisioning_colour_variable(scale_set.provisioning_state), colours),
        "zones": Text(zones_label(scale_set), end=""),
        "fds": Text(str(scale_set.platform_fault_domain_count), end=""),
        "size": Text(scale_set.vm_size or "-", end=""),
    }


class ScaleSetTable(DataTable[Text]):
    """Every scale set the session sees, updated cell by cell."""

    DEFAULT_CSS = """
    ScaleSetTable {
        height: auto;
    }
    """

    BINDINGS = [
        # k9s: Home/End go to the first/last row (DataTable scrolls sideways on them).
        Binding("home,ctrl+home,g", "first_row", "First", show=False),
        Binding("end,ctrl+end,G", "last_row", "Last", show=False),
    ]

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self.scale_sets: dict[str, ScaleSet] = {}
        self.running_counts: dict[str, int] = {}
        self._cells: dict[str, dict[str, str]] = {}

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            self.add_column(header, key=key, width=width)

    @property
    def cursor_set(self) -> ScaleSet | None:
        """The scale set under the cursor."""
        key = cursor_row_key(self)
        return self.scale_sets.get(key) if key is not None else None

    def show_sets(self, scale_sets: list[ScaleSet]) -> None:
        """Bring the table to this list, keeping the cursor on the same set."""
        colours = self.app.theme_variables
        cursor = self.cursor_set
        self.scale_sets = {set_row_key(s): s for s in scale_sets}
        for gone in [key for key in self._cells if key not in self.scale_sets]:
            del self._cells[gone]
            self.running_counts.pop(gone, None)
            try:
                self.remove_row(gone)
            except RowDoesNotExist:
                pass
        for key, scale_set in self.scale_sets.items():
            self._write_row(key, scale_set, colours)
        if cursor is not None:
            self.move_to(set_row_key(cursor))

    def set_running(self, scale_set: ScaleSet, running: int) -> None:
        """Record the running count of one set (and its newest model) and redraw its row."""
        key = set_row_key(scale_set)
        if key not in self.scale_sets:
            return
        self.scale_sets[key] = scale_set
        self.running_counts[key] = running
        self._write_row(key, scale_set, self.app.theme_variables)

    def _write_row(self, key: str, scale_set: ScaleSet, colours: Mapping[str, str]) -> None:
        show_group = len({s.resource_group for s in self.scale_sets.values()}) > 1
        cells = scale_set_cells(scale_set, self.running_counts.get(key), colours, show_group)
        plain = {column: cell.plain + "\0" + str(cell.style) for column, cell in cells.items()}
        previous = self._cells.get(key)
        if previous is None:
            self.add_row(*(cells[column] for column, _, _ in COLUMNS), key=key)
        else:
            for column, value in plain.items():
                if previous[column] != value:
                    self.update_cell(key, column, cells[column])
        self._cells[key] = plain

    def move_to(self, key: str) -> None:
        """Put the cursor on the set with this `group/name` key, if shown."""
        try:
            row_index = self.get_row_index(key)
        except RowDoesNotExist:
            return
        if row_index != self.cursor_row:
            self.move_cursor(row=row_index, animate=False)

    def rerender(self) -> None:
        """Rewrite every row (after a theme change)."""
        self._cells.clear()
        cursor = self.cursor_set
        self.clear()
        for key, scale_set in self.scale_sets.items():
            self._write_row(key, scale_set, self.app.theme_variables)
        if cursor is not None:
            self.move_to(set_row_key(cursor))
