"""The scale sets pane: one row per set; the highlighted row drives every other pane.

On the Line API table (line_table.py) like the instances: a refresh that changes one set's
count repaints that cell, not every cell of the pane (DataTable re-renders them all).
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

from textual.binding import Binding

from ...domain.models import ScaleSet
from ..presentation import provisioning_colour_variable, zones_label
from .line_table import Cell, Column, LineTable

COLUMNS: tuple[Column, ...] = (
    Column("name", "Scale set", None, max_width=40, sortable=False),
    Column("mode", "Mode", 8, sortable=False),
    Column("capacity", "Run/Total", 9, sortable=False),
    Column("prov", "State", 9, sortable=False),
    Column("zones", "Zones", 8, sortable=False),
    Column("fds", "FDs", 3, sortable=False),
    Column("size", "Size", 15, sortable=False),
)
"""Display order; fixed widths except the name, so a refresh never re-measures. The pane keeps
the backend's order (by group, then name)."""


def set_row_key(scale_set: ScaleSet) -> str:
    """`group/name`: unique across the subscription (names are unique per group)."""
    return f"{scale_set.resource_group}/{scale_set.name}"


class SetRow(NamedTuple):
    """What one row shows: the set, its running count (None: not counted yet), and whether the
    name carries its group (when sets come from several groups; the header names a single one)."""

    scale_set: ScaleSet
    running: int | None
    show_group: bool


def scale_set_cells(row: SetRow) -> tuple[Cell, ...]:
    """The cells of one scale-set row, in column order."""
    scale_set, running, show_group = row
    running_text = "?" if running is None else str(running)
    name = set_row_key(scale_set) if show_group else scale_set.name
    return (
        Cell(name, None, True),
        Cell(scale_set.orchestration_mode.value),
        Cell(f"{running_text}/{scale_set.capacity}",
             None if running is None or running == scale_set.capacity else "warning"),
        Cell(scale_set.provisioning_state.value, provisioning_colour_variable(scale_set.provisioning_state)),
        Cell(zones_label(scale_set)),
        Cell(str(scale_set.platform_fault_domain_count)),
        Cell(scale_set.vm_size or "-"),
    )


class ScaleSetTable(LineTable[SetRow]):
    """Every scale set the session sees; only changed cells repaint."""

    COLUMNS = COLUMNS

    DEFAULT_CSS = """
    ScaleSetTable {
        height: auto;
    }
    """

    BINDINGS = [
        # k9s: g/G also go to the first/last row (Home/End come with the table).
        Binding("g", "first_row", "First", show=False),
        Binding("G", "last_row", "Last", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.running_counts: dict[str, int] = {}
        self._show_group = False

    def row_key(self, item: SetRow) -> str:
        return set_row_key(item.scale_set)

    def row_cells(self, item: SetRow, marked: bool) -> tuple[Cell, ...]:
        return scale_set_cells(item)

    def measure_text(self, column: str, item: SetRow) -> str:
        return set_row_key(item.scale_set) if item.show_group else item.scale_set.name

    @property
    def scale_sets(self) -> dict[str, ScaleSet]:
        """Every set by `group/name`, in the backend's order."""
        return {key: row.scale_set for key, row in self.items.items()}

    @property
    def cursor_set(self) -> ScaleSet | None:
        """The scale set under the cursor."""
        key = self.cursor_key
        return self.items[key].scale_set if key is not None else None

    def show_sets(self, scale_sets: list[ScaleSet], running: Mapping[str, int] | None = None) -> None:
        """Bring the table to this list (with any new running counts), keeping the cursor on the same set."""
        keys = {set_row_key(s) for s in scale_sets}
        for gone in [key for key in self.running_counts if key not in keys]:
            del self.running_counts[gone]
        self.running_counts.update({key: count for key, count in (running or {}).items() if key in keys})
        self._show_group = len({s.resource_group for s in scale_sets}) > 1
        self.set_rows(SetRow(s, self.running_counts.get(set_row_key(s)), self._show_group) for s in scale_sets)

    def set_running(self, scale_set: ScaleSet, running: int) -> None:
        """Record the running count of one set (and its newest model) and redraw its row if it changed."""
        key = set_row_key(scale_set)
        row = self.items.get(key)
        if row is None:
            return
        self.running_counts[key] = running
        updated = SetRow(scale_set, running, row.show_group)
        if updated != row:
            self.set_rows(updated if k == key else r for k, r in self.items.items())

    def move_to(self, key: str) -> None:
        """Put the cursor on the set with this `group/name` key, if shown."""
        if key != self.cursor_key:
            self.move_cursor_to_key(key)
