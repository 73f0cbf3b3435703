"""Row bookkeeping shared by the scale-set and instance tables."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist


def cursor_row_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, or None when the table shows no rows."""
    if table.row_count == 0:
        return None
    try:
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    except CellDoesNotExist:
        return None
    return None if row_key.value is None else str(row_key.value)
