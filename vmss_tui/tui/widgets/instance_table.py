"""The instances of one scale set: a DataTable kept up to date cell by cell.

Refreshes never clear and reload: rows are diffed by instance id and only changed
cells are rewritten (`update_cell`), so the cursor, the marks and the scroll position
survive every poll and a 1000-row refresh costs one partial repaint.
"""

from __future__ import annotations

from typing import Any, Mapping

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from ...domain.models import Instance
from ..keys import instance_pane_bindings
from ..presentation import (
    created_label,
    instance_colour_variable,
    instance_glyph,
    instance_label,
    instance_matches,
    natural_key,
    protection_label,
    provisioning_colour_variable,
    styled,
)
from .rows import cursor_row_key

MARK_GLYPH = "▶"

FIRST_PASS_ROWS = 60
"""New rows in the first pass: a screenful, so the first rows paint at once."""
ROWS_PER_PASS = 300
"""New rows in each later pass, after a repaint: big enough to finish soon, small enough not to freeze."""

COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("mark", " ", 1),
    ("id", "Instance", None),
    ("zone", "Zone", 4),
    ("fd", "FD", 2),
    ("ud", "UD", 2),
    ("power", "Power", 14),
    ("prov", "State", 9),
    ("model", "Latest", 6),
    ("prot", "Protect", 7),
    ("size", "Size", 12),
    ("created", "Created", 16),
)
"""(column key, header, width) in display order; fixed widths fit every value a state can take,
so a refresh never has to re-measure a column (None: measured, for names)."""

SORTABLE_COLUMNS = tuple(key for key, _, _ in COLUMNS if key != "mark")


CellSpec = tuple[str, "str | None", bool]
"""(text, theme variable or None, bold): what a cell shows, before colours are looked up."""


def short_size(vm_size: str) -> str:
    """`Standard_D2s_v3` as `D2s_v3`: every size has the prefix, so it only costs the table width."""
    return vm_size.removeprefix("Standard_")


def instance_cell_specs(instance: Instance, marked: bool) -> dict[str, CellSpec]:
    """The cells of one row, keyed by column, as plain values (cheap to build and compare)."""
    return {
        "mark": (MARK_GLYPH if marked else " ", "accent", True),
        "id": (instance_label(instance), None, False),
        "zone": (instance.zone or "-", None, False),
        "fd": (str(instance.fault_domain), None, False),
        "ud": ("-" if instance.update_domain is None else str(instance.update_domain), None, False),
        "power": (f"{instance_glyph(instance)} {instance.power_state.value}", instance_colour_variable(instance),
                  False),
        "prov": (instance.provisioning_state.value, provisioning_colour_variable(instance.provisioning_state),
                 False),
        "model": ("yes" if instance.latest_model_applied else "no",
                  None if instance.latest_model_applied else "warning", False),
        "prot": (protection_label(instance), None, False),
        "size": (short_size(instance.vm_size), None, False),
        "created": (created_label(instance.time_created), None, False),
    }


def render_cell(spec: CellSpec, colours: Mapping[str, str]) -> Text:
    """A cell's Text, coloured by its theme variable."""
    text, variable, bold = spec
    return styled(text, variable, colours, bold=bold)


def instance_cells(instance: Instance, marked: bool, colours: Mapping[str, str]) -> dict[str, Text]:
    """The cells of one row as coloured Text, keyed by column."""
    return {key: render_cell(spec, colours) for key, spec in instance_cell_specs(instance, marked).items()}


def _sort_value(column: str, instance: Instance) -> Any:
    if column == "id":
        return natural_key(instance_label(instance))
    if column == "zone":
        return instance.zone or ""
    if column == "fd":
        return instance.fault_domain
    if column == "ud":
        return -1 if instance.update_domain is None else instance.update_domain
    if column == "power":
        return instance.power_state.value
    if column == "prov":
        return instance.provisioning_state.value
    if column == "model":
        return instance.latest_model_applied
    if column == "prot":
        return protection_label(instance)
    if column == "size":
        return instance.vm_size
    return instance.time_created


class InstanceTable(DataTable[Text]):
    """Instances of the selected scale set, with marks, a filter and a sort column."""

    BINDINGS = instance_pane_bindings()

    DEFAULT_CSS = """
    InstanceTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self.instances: dict[str, Instance] = {}
        """Every instance of the set by id, shown or filtered out."""
        self.marked: set[str] = set()
        """Instance ids marked with space for a bulk action."""
        self.filter_words: list[tuple[str | None, str]] = []
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._cells: dict[str, dict[str, CellSpec]] = {}
        """Per row: each cell as last written, to rewrite only the cells that changed."""
        self._drawn: dict[str, tuple[Instance, bool]] = {}
        """Per row: the instance and mark it was last drawn from (frozen values compare cheaply)."""
        self._set_key: tuple[str, str] | None = None

    def on_mount(self) -> None:
        self._reset_columns()

    def _reset_columns(self) -> None:
        # Clearing the columns too lets widths shrink back when the next set has shorter names.
        self.clear(columns=True)
        for key, header, width in COLUMNS:
            self.add_column(header, key=key, width=width)

    # ------------------------------------------------------------------ queries

    @property
    def cursor_instance_id(self) -> str | None:
        """The instance under the cursor, if any row is shown."""
        return cursor_row_key(self)

    @property
    def shown_ids(self) -> list[str]:
        """Ids of the rows on screen, in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    def target_ids(self) -> list[str]:
        """What a bulk action acts on: the marked instances, else the cursor row."""
        if self.marked:
            order = {iid: index for index, iid in enumerate(self.instances)}
            return sorted((iid for iid in self.marked if iid in self.instances), key=lambda iid: order[iid])
        cursor = self.cursor_instance_id
        return [cursor] if cursor else []

    # ------------------------------------------------------------------ updates

    def _colours(self) -> Mapping[str, str]:
        return self.app.theme_variables

    def show_instances(self, set_key: tuple[str, str] | None, instances: list[Instance]) -> None:
        """Bring the table to this snapshot: add, remove and rewrite only what changed.

        A different set resets marks and cursor; the same set keeps both.
        """
        if set_key != self._set_key:
            self._set_key = set_key
            self.marked.clear()
            self.instances = {}
            self._cells.clear()
            self._drawn.clear()
            self._reset_columns()
        self.instances = {i.instance_id: i for i in instances}
        self.marked &= set(self.instances)
        self._sync_rows()

    def set_filter(self, words: list[tuple[str | None, str]]) -> None:
        """Show only instances matching every filter word."""
        self.filter_words = words
        self._sync_rows()

    def rerender(self) -> None:
        """Rewrite every cell (after a theme change): colours live in the cells."""
        self._cells.clear()
        self._drawn.clear()
        self._reset_columns()
        self._sync_rows()

    def _sync_rows(self) -> None:
        colours = self._colours()
        cursor_id = self.cursor_instance_id
        wanted = [i for i in self.instances.values() if instance_matches(i, self.filter_words)]
        wanted_ids = {i.instance_id for i in wanted}
        for gone in [iid for iid in self._cells if iid not in wanted_ids]:
            del self._cells[gone]
            self._drawn.pop(gone, None)
            try:
                self.remove_row(gone)
            except RowDoesNotExist:
                pass
        added = 0
        budget = FIRST_PASS_ROWS if not self._cells else ROWS_PER_PASS
        more_to_add = False
        resort = False
        for instance in wanted:
            instance_id = instance.instance_id
            marked = instance_id in self.marked
            if self._drawn.get(instance_id) == (instance, marked):
                continue  # unchanged since the last draw: the common case of a poll
            previous = self._cells.get(instance_id)
            if previous is None and added >= budget:
                more_to_add = True
                continue
            specs = instance_cell_specs(instance, marked)
            if previous is None:
                self.add_row(*(render_cell(specs[key], colours) for key, _, _ in COLUMNS), key=instance_id)
                added += 1
            else:
                for key, spec in specs.items():
                    if previous[key] != spec:
                        self.update_cell(instance_id, key, render_cell(spec, colours))
                        if key == self.sort_column:
                            resort = True
            self._cells[instance_id] = specs
            self._drawn[instance_id] = (instance, marked)
        if self.sort_column and (added or resort):
            self._apply_sort()
        if cursor_id is not None and cursor_id in self._cells:
            self._move_cursor_to(cursor_id)
        if more_to_add:
            # A big set arrives a screenful at a time: the first rows paint at once and the
            # UI never freezes while Textual measures a thousand new rows.
            self.call_after_refresh(self._sync_rows)

    def _move_cursor_to(self, instance_id: str) -> None:
        try:
            row_index = self.get_row_index(instance_id)
        except RowDoesNotExist:
            return
        if row_index != self.cursor_row:
            self.move_cursor(row=row_index, animate=False, scroll=False)

    def _apply_sort(self) -> None:
        column = self.sort_column
        if column is None:
            return
        instances = self.instances
        cursor_id = self.cursor_instance_id
        # The Instance cell holds the instance id, so the sort key can look the instance up.
        self.sort("id", key=lambda cell: _sort_value(column, instances[cell.plain]),
                  reverse=self.sort_reverse)
        if cursor_id is not None:
            self._move_cursor_to(cursor_id)

    def cycle_sort(self, column: str | None = None) -> str:
        """Sort by the next column (or by `column`; the same column again flips the order)."""
        if column is not None:
            if column == self.sort_column:
                self.sort_reverse = not self.sort_reverse
            else:
                self.sort_column, self.sort_reverse = column, False
        else:
            order = list(SORTABLE_COLUMNS)
            index = order.index(self.sort_column) + 1 if self.sort_column in order else 0
            self.sort_column = order[index % len(order)]
            self.sort_reverse = False
        self._apply_sort()
        return self.sort_column or ""

    def toggle_mark(self, instance_id: str) -> bool:
        """Mark or unmark one instance; returns True when it is now marked."""
        if instance_id in self.marked:
            self.marked.discard(instance_id)
        else:
            self.marked.add(instance_id)
        self._refresh_mark(instance_id)
        return instance_id in self.marked

    def clear_marks(self) -> None:
        """Unmark every instance."""
        previously = list(self.marked)
        self.marked.clear()
        for instance_id in previously:
            self._refresh_mark(instance_id)

    def _refresh_mark(self, instance_id: str) -> None:
        if instance_id not in self._cells:
            return
        spec: CellSpec = (MARK_GLYPH if instance_id in self.marked else " ", "accent", True)
        self.update_cell(instance_id, "mark", render_cell(spec, self._colours()))
        self._cells[instance_id]["mark"] = spec
        drawn = self._drawn.get(instance_id)
        if drawn is not None:
            self._drawn[instance_id] = (drawn[0], instance_id in self.marked)
