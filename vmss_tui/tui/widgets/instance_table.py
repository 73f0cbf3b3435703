"""The instances of one scale set, on the Line API table: every row at once, only changed rows repainted.

A poll hands the table the whole snapshot; rows whose instance did not change keep their
cells and their cached strip, so a 1000-instance refresh rebuilds only what changed and
repaints only the changed lines on screen. Cursor, marks, filter and sort survive every poll.
"""

from __future__ import annotations

from typing import Any

from ...domain.models import Instance
from ..keys import instance_pane_bindings
from ..presentation import (
    address_label,
    created_label,
    instance_colour_variable,
    instance_glyph,
    instance_label,
    instance_matches,
    natural_key,
    protection_label,
    provisioning_colour_variable,
)
from .line_table import Cell, Column, LineTable

MARK_GLYPH = "▶"

COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", 1, sortable=False),
    Column("id", "Instance", None, max_width=40),
    Column("zone", "Zone", 4),
    Column("fd", "FD", 2),
    Column("ud", "UD", 2, drop_order=3),
    Column("power", "Power", 14),
    Column("prov", "State", 9),
    Column("model", "Latest", 6, drop_order=4),
    Column("prot", "Protect", 7, drop_order=5),
    Column("private_ip", "Private IP", None, max_width=39, drop_order=6),
    Column("endpoint", "Endpoint", None, max_width=47, drop_order=7),
    Column("size", "Size", None, max_width=16, drop_order=2),
    Column("created", "Created", 16, drop_order=1),
)
"""Display order. Fixed widths fit every value a state can take, so a refresh never re-measures;
names, addresses and sizes are measured from the data. Narrow panes drop Created, then Size, UD,
Latest, Protect, Private IP and last the Endpoint: the endpoint is how an operator reaches an
instance (SSH through the NAT port), the private address matters from inside the network. At
120x40 the pane is 78 cells: the addresses and every state column fit (Protect goes first when a
scrollbar takes a cell); at 80x24 both addresses show too; at 66 only the endpoint does."""

SORTABLE_COLUMNS = tuple(column.key for column in COLUMNS if column.sortable)

FilterWords = list[tuple[str | None, str]]


def short_size(vm_size: str) -> str:
    """`Standard_D2s_v3` as `D2s_v3`: every size has the prefix, so it only costs the table width."""
    return vm_size.removeprefix("Standard_")


def instance_row_cells(instance: Instance, marked: bool) -> tuple[Cell, ...]:
    """The cells of one row in column order, as plain values (cheap to build and compare)."""
    return (
        Cell(MARK_GLYPH, "accent", True) if marked else Cell(" "),
        Cell(instance_label(instance)),
        Cell(instance.zone or "-"),
        Cell(str(instance.fault_domain)),
        Cell("-" if instance.update_domain is None else str(instance.update_domain)),
        Cell(f"{instance_glyph(instance)} {instance.power_state.value}", instance_colour_variable(instance)),
        Cell(instance.provisioning_state.value, provisioning_colour_variable(instance.provisioning_state)),
        Cell("yes", None) if instance.latest_model_applied else Cell("no", "warning"),
        Cell(protection_label(instance)),
        Cell(address_label(instance.private_ip)),
        Cell(address_label(instance.public_endpoint)),
        Cell(short_size(instance.vm_size)),
        Cell(created_label(instance.time_created)),
    )


def instance_sort_value(column: str, instance: Instance) -> Any:
    """What a column sorts by: numbers as numbers, names naturally (`web_10` after `web_9`)."""
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
    if column == "private_ip":
        return natural_key(instance.private_ip or "")  # 10.0.0.10 after 10.0.0.9
    if column == "endpoint":
        return natural_key(instance.public_endpoint or "")
    return instance.time_created


class InstanceTable(LineTable[Instance]):
    """Instances of the selected scale set, with marks, a filter and a sort column."""

    COLUMNS = COLUMNS
    ROW_MARGIN = 0  # the mark column is the margin: blank unless the row is marked
    BINDINGS = instance_pane_bindings()

    DEFAULT_CSS = """
    InstanceTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.filter_words: FilterWords = []
        self._set_key: tuple[str, str] | None = None

    def row_key(self, item: Instance) -> str:
        return item.instance_id

    def row_cells(self, item: Instance, marked: bool) -> tuple[Cell, ...]:
        return instance_row_cells(item, marked)

    def sort_value(self, column: str, item: Instance) -> Any:
        return instance_sort_value(column, item)

    def measure_text(self, column: str, item: Instance) -> str:
        if column == "id":
            return instance_label(item)
        if column == "private_ip":
            return address_label(item.private_ip)
        if column == "endpoint":
            return address_label(item.public_endpoint)
        return short_size(item.vm_size)

    def same_item(self, previous: Instance, item: Instance) -> bool:
        # The emulator hands back the same view for an unchanged instance, so a refresh that
        # changed every instance skips a thousand field-by-field comparisons; a backend that builds
        # new views each time (Azure) costs the visible rows' cells, which are then diffed.
        return False

    def same_measure(self, previous: Instance, item: Instance) -> bool:
        return (previous.instance_id == item.instance_id and previous.vm_size == item.vm_size
                and previous.private_ip == item.private_ip and previous.public_endpoint == item.public_endpoint)

    # ------------------------------------------------------------------ the screen's API

    @property
    def instances(self) -> dict[str, Instance]:
        """Every instance of the set by id, shown or filtered out, in the backend's order."""
        return self.items

    @property
    def cursor_instance_id(self) -> str | None:
        """The instance under the cursor, if any row is shown."""
        return self.cursor_key

    @property
    def shown_ids(self) -> list[str]:
        """Ids of the rows on screen, in display order."""
        return self.shown_keys

    def target_ids(self) -> list[str]:
        """What a bulk action acts on: the marked instances, else the cursor row."""
        return self.target_keys()

    def show_instances(self, set_key: tuple[str, str] | None, instances: list[Instance]) -> None:
        """Bring the table to this snapshot; a different set resets marks, cursor and scroll."""
        reset = set_key != self._set_key
        self._set_key = set_key
        self.set_rows(instances, reset=reset)

    def set_filter(self, words: FilterWords) -> None:
        """Show only instances matching every filter word (rows keep their sorted order)."""
        self.filter_words = words
        self.set_row_filter((lambda instance: instance_matches(instance, words)) if words else None)
