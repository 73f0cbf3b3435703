"""A table on Textual's Line API: fixed column widths, one cached strip per row, only changed rows repainted.

`DataTable` keys its row, cell and line caches on one update counter, so a single changed cell
re-renders every visible cell through Rich (~110 ms for a 1000-row status refresh, perf-notes.md).
Here each shown row keeps one `Strip`, keyed by what the row shows (its cells, cursor, widths,
horizontal scroll and the resolved theme styles); a refresh rebuilds the strips of rows whose
cells changed and repaints only the visible lines whose row or content changed. Rows are lazy:
a thousand rows cost a thousand small tuples, and only the visible ones are ever drawn, so a big
set shows at once instead of a screenful at a time.

Subclasses say what a row is: `row_key`, `row_cells` and `sort_value` over their own items.
The base owns order (default order, sort column, filter), the cursor, marks, the sticky header,
keys (k9s-like: Home/End to the first/last row, PageUp/PageDown by a page) and the mouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Generic, Iterable, Mapping, NamedTuple, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color, ColorParseError
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...domain.text import escape_control, has_control

RowT = TypeVar("RowT")

ELLIPSIS = "…"

FITTED_CACHE_SIZE = 20_000
"""Padded cell values kept (a 1000-row set with a dozen columns needs a few thousand); cleared when full."""


@dataclass(frozen=True)
class Column:
    """One column: its key, header, and how wide it is."""

    key: str
    header: str
    width: int | None = None
    """Fixed width in cells (wide enough for every value the column can take), or None to
    measure the widest value of the data, up to `max_width`."""
    max_width: int = 32
    """Cap of a measured column; longer values end in an ellipsis."""
    drop_order: int | None = None
    """When the table is too narrow, columns with a drop order are hidden, lowest first
    (None: always shown)."""
    sortable: bool = True


class Cell(NamedTuple):
    """What a cell shows, before colours are looked up: cheap to build and compare."""

    text: str
    colour: str | None = None
    """A theme variable (`success`, `warning`, ...), never a literal colour."""
    bold: bool = False


class _Placed(NamedTuple):
    """A shown column and where it sits in the row (x counts from the row's left edge)."""

    index: int
    column: Column
    x: int
    width: int


class _Styles(NamedTuple):
    """Rich styles resolved from CSS and the theme for one focus/theme state."""

    base: Style
    header: Style
    cursor: Style


class LineTable(ScrollView, Generic[RowT], can_focus=True):
    """Rows of items in fixed-width columns, drawn line by line from cached strips."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    """The columns in display order (subclasses set them)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"line-table--header", "line-table--cursor"}

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    header_height = 1

    ROW_MARGIN: ClassVar[int] = 1
    """Blank cells before the first column (a table whose first column is blank itself needs none)."""

    # ------------------------------------------------------------------ messages

    class _RowMessage(Message):
        """Something happened on one row: which table, which row (key and position)."""

        def __init__(self, table: LineTable[Any], row_key: str, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.row_key = row_key
            self.cursor_row = cursor_row

        @property
        def control(self) -> LineTable[Any]:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor moved onto another row."""

    class RowSelected(_RowMessage):
        """Enter on the cursor row, or a click on the row that already had the cursor."""

    class HeaderSelected(Message):
        """A click on a column header (the owner decides what it does, usually sort)."""

        def __init__(self, table: LineTable[Any], column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> LineTable[Any]:
            return self.table

    # ------------------------------------------------------------------ state

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: dict[str, RowT] = {}
        """Every row's item by key, shown or filtered out, in the default order."""
        self.marked: set[str] = set()
        """Row keys marked for a bulk action."""
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.cursor_row = 0
        """Index of the cursor in the shown rows."""
        self.rows_built = 0
        """How many row strips were built since mount: a repaint costs only the rows it rebuilds."""
        self._row_filter: Callable[[RowT], bool] | None = None
        self._cells: dict[str, tuple[Cell, ...]] = {}
        """Each row's cells as last computed, text already escaped."""
        self._order: list[str] = []
        """Keys of the shown rows, in display order."""
        self._positions: dict[str, int] = {}
        self._cursor_key: str | None = None
        self._measured: dict[str, int] = {}
        self._value_widths: dict[str, dict[str, int]] = {}
        """Per measured column, each row's value width."""
        """Widths of measured columns (widest value up to the cap), redone only when rows change."""
        self._placed: tuple[_Placed, ...] = ()
        self._table_width = 0
        self._layout_generation = 0
        self._strips: dict[str, tuple[tuple[Any, ...], Strip]] = {}
        self._header_strip: tuple[tuple[Any, ...], Strip] | None = None
        self._styles: _Styles | None = None
        self._style_state: tuple[Any, ...] = ()
        self._style_generation = 0
        self._cell_styles: dict[tuple[str | None, bool], Style] = {}
        self._drawn_styles: dict[tuple[str | None, bool, bool], Style] = {}
        """A cell's full style on screen (base, its colour, cursor), per resolved styles."""
        self._fitted: dict[tuple[str, int], str] = {}
        self._paint_pending = False
        """Rows were asked to repaint and no line has been drawn since."""
        self._after_paint: list[Callable[[], object]] = []
        """A cell value padded or cut to its column's width (and the gap after it), by value and width."""
        self._frame_state: tuple[_Styles, int, int, int] | None = None
        """(styles, width, horizontal and vertical scroll) while `render_lines` draws a frame."""

    # ------------------------------------------------------------------ what subclasses provide

    def row_key(self, item: RowT) -> str:
        """The unique key of an item's row."""
        raise NotImplementedError

    def row_cells(self, item: RowT, marked: bool) -> tuple[Cell, ...]:
        """The cells of an item's row, one per column in `COLUMNS` order (raw data: the table escapes it)."""
        raise NotImplementedError

    def sort_value(self, column: str, item: RowT) -> Any:
        """What a column sorts by; the cell text unless a subclass knows better."""
        return self.row_cells(item, False)[self._column_index(column)].text

    def measure_text(self, column: str, item: RowT) -> str:
        """The raw text of a measured column (`width=None`) for one item; subclasses answer it
        without building the whole row, since every row is measured while only visible ones are drawn."""
        return self.row_cells(item, False)[self._column_index(column)].text

    def same_item(self, previous: RowT, item: RowT) -> bool:
        """True when another object stands for an unchanged row (compared once per row and refresh).

        Equality by default. A subclass whose backend hands back the same object for an unchanged
        row may answer False at once: a changed row only drops its cells, and a visible one repaints
        just the cells that differ, so an equal row costs its cells, not a repaint."""
        return previous == item

    def same_measure(self, previous: RowT, item: RowT) -> bool:
        """True when a changed item's measured columns (`width=None`) cannot have changed, so a
        refresh of a thousand status changes measures nothing; subclasses that know say so."""
        return False

    # ------------------------------------------------------------------ queries

    @property
    def row_count(self) -> int:
        """How many rows are shown (after the filter)."""
        return len(self._order)

    @property
    def shown_keys(self) -> list[str]:
        """Keys of the shown rows, in display order."""
        return list(self._order)

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, or None when no row is shown."""
        return self._cursor_key

    def cell(self, row_key: str, column: str) -> Cell:
        """A row's cell as shown (escaped text, theme variable, bold)."""
        return self._row_cells(row_key)[self._column_index(column)]

    def get_cell(self, row_key: str, column: str) -> Text:
        """A row's cell as Rich `Text` in the current theme's colours."""
        text, colour, bold = self.cell(row_key, column)
        return Text(text, style=self._cell_style(colour, bold), end="")

    @property
    def page_height(self) -> int:
        """How many rows fit on screen below the header."""
        return max(1, self.scrollable_content_region.height - self.header_height)

    @property
    def visible_rows(self) -> tuple[int, int]:
        """Indices of the first and last shown rows on screen."""
        top = self.scroll_offset.y
        return top, min(len(self._order), top + self.page_height) - 1

    @property
    def header_y(self) -> int:
        """The header's line within the widget (below any border)."""
        return self.gutter.top

    def column_x(self, column: str) -> int:
        """Where a shown column starts within the widget, after horizontal scrolling."""
        placed = next(p for p in self._placed if p.column.key == column)
        return self.gutter.left + placed.x - self.scroll_offset.x

    def target_keys(self) -> list[str]:
        """What a bulk action acts on: the marked rows in default order, else the cursor row."""
        if self.marked:
            return [key for key in self.items if key in self.marked]
        return [self._cursor_key] if self._cursor_key is not None else []

    # ------------------------------------------------------------------ updates

    def set_rows(self, items: Iterable[RowT], *, reset: bool = False) -> None:
        """Bring the table to these rows, in this default order.

        Only rows whose item or mark changed get new cells; only visible lines whose row or
        cells changed repaint. `reset` (another data set) also drops marks, cursor and scroll.
        """
        if reset:
            self.marked.clear()
            self._cells.clear()
            self._strips.clear()
            self.cursor_row = 0
            self._cursor_key = None
            if self.is_mounted:
                self.scroll_to(0, 0, animate=False, force=True)
        previous_items = {} if reset else self.items
        self.items = {self.row_key(item): item for item in items}
        self.marked &= self.items.keys()
        # Cells are built lazily, for rows drawn: a changed row only drops its cells here, and
        # keeps the old ones aside so a visible row repaints just the cells that differ.
        changed: dict[str, tuple[Cell, ...] | None] = {}
        cells = self._cells
        removed = [key for key in previous_items if key not in self.items]
        for key in removed:
            cells.pop(key, None)
            self._strips.pop(key, None)
        remeasure: list[str] = []
        same_measure = self.same_measure
        same_item = self.same_item
        get_previous = previous_items.get
        pop_cells = cells.pop
        for key, item in self.items.items():
            previous = get_previous(key)
            if previous is item:
                continue  # unchanged (a backend that keeps its views hands back the same object)
            if previous is not None and same_item(previous, item):
                continue
            changed[key] = pop_cells(key, None)
            if previous is None or not same_measure(previous, item):
                remeasure.append(key)
        if reset:
            self._measure()
        elif remeasure or removed:
            self._measure(remeasure, removed)
        self._reorder(changed, keep_cursor_visible=reset)

    def set_row_filter(self, predicate: Callable[[RowT], bool] | None) -> None:
        """Show only rows whose item passes `predicate` (None: every row)."""
        self._row_filter = predicate
        self._reorder({}, keep_cursor_visible=True)

    def sort_by(self, column: str | None, reverse: bool = False) -> None:
        """Sort by a column (None: the default order); ties keep the default order."""
        self.sort_column, self.sort_reverse = column, reverse
        self._refresh_header()
        self._reorder({}, keep_cursor_visible=True)

    def cycle_sort(self, column: str | None = None) -> str:
        """Sort by the next sortable column (or by `column`; the same column again flips the order)."""
        if column is not None:
            reverse = not self.sort_reverse if column == self.sort_column else False
            self.sort_by(column, reverse)
        else:
            order = [c.key for c in self.COLUMNS if c.sortable]
            index = order.index(self.sort_column) + 1 if self.sort_column in order else 0
            self.sort_by(order[index % len(order)])
        return self.sort_column or ""

    def toggle_mark(self, row_key: str) -> bool:
        """Mark or unmark one row; returns True when it is now marked."""
        if row_key in self.marked:
            self.marked.discard(row_key)
        else:
            self.marked.add(row_key)
        self._redraw_rows({row_key})
        return row_key in self.marked

    def clear_marks(self) -> None:
        """Unmark every row (after a bulk action used them, or on Escape)."""
        previously = set(self.marked)
        self.marked.clear()
        self._redraw_rows(previously)

    def rerender(self) -> None:
        """Rebuild every row from its item (after a theme change: colours live in the strips)."""
        self._cells.clear()
        self._cell_styles.clear()
        self._drawn_styles.clear()
        self._strips.clear()
        self._header_strip = None
        self._styles = None
        self._measure()
        self.refresh()

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        """Put the cursor on a shown row (clamped), scrolling it into view unless `scroll` is False."""
        del animate  # the cursor jumps; accepted for DataTable callers
        if not self._order:
            self._set_cursor(0)
            return
        self._set_cursor(max(0, min(row, len(self._order) - 1)))
        if scroll:
            self._scroll_cursor_into_view()

    def move_cursor_to_key(self, row_key: str, *, scroll: bool = True) -> None:
        """Put the cursor on the row with this key, if it is shown."""
        position = self._positions.get(row_key)
        if position is not None:
            self.move_cursor(row=position, scroll=scroll)

    # ------------------------------------------------------------------ internals: rows and order

    def _column_index(self, column: str) -> int:
        return next(index for index, c in enumerate(self.COLUMNS) if c.key == column)

    def _row_cells(self, key: str) -> tuple[Cell, ...]:
        """A row's cells with data text escaped, built on first use and kept until the item changes."""
        cells = self._cells.get(key)
        if cells is None:
            raw = self.row_cells(self.items[key], key in self.marked)
            if has_control("".join(cell.text for cell in raw)):
                raw = tuple(Cell(escape_control(c.text), c.colour, c.bold) for c in raw)
            cells = self._cells[key] = raw
        return cells

    def _redraw_rows(self, keys: set[str]) -> None:
        for key in keys:
            self._cells.pop(key, None)
        self._refresh_rows(self._positions[key] for key in keys if key in self._positions)

    def _measure(self, changed: Iterable[str] | None = None, removed: Iterable[str] = ()) -> None:
        """Widths of measured columns: the widest value (escaped) up to each cap.

        Each row's value widths are kept, so a refresh measures only the rows that changed.
        """
        items = self.items
        measure_text = self.measure_text
        measured: dict[str, int] = {}
        for column in self.COLUMNS:
            if column.width is not None:
                continue
            name = column.key
            widths = self._value_widths.setdefault(name, {})
            if changed is None:
                widths.clear()
            for key in removed:
                widths.pop(key, None)
            for key in items if changed is None else changed:
                text = measure_text(name, items[key])
                # Printable ASCII (nearly every name) is one cell a character and needs no escape.
                widths[key] = len(text) if text.isascii() and text.isprintable() else cell_len(escape_control(text))
            measured[name] = min(column.max_width, max(widths.values(), default=0))
        if measured != self._measured:
            self._measured = measured
            self._layout()

    def _layout(self) -> None:
        """Which columns show and where: drop columns by their drop order until the rest fit."""
        # A column has room for its header; a sort arrow that does not fit goes in the gap after it.
        widths = [max(c.width if c.width is not None else self._measured.get(c.key, 0), cell_len(c.header))
                  for c in self.COLUMNS]
        available = self.scrollable_content_region.width if self.is_mounted else 0
        shown = list(range(len(self.COLUMNS)))

        def total(indices: list[int]) -> int:
            return self.ROW_MARGIN + sum(widths[i] + 1 for i in indices)

        droppable = sorted((c.drop_order, i) for i, c in enumerate(self.COLUMNS) if c.drop_order is not None)
        for _, index in droppable:
            if available <= 0 or total(shown) <= available:
                break
            shown.remove(index)
        placed: list[_Placed] = []
        x = self.ROW_MARGIN
        for index in shown:
            placed.append(_Placed(index, self.COLUMNS[index], x, widths[index]))
            x += widths[index] + 1
        if tuple(placed) != self._placed:
            self._placed = tuple(placed)
            self._table_width = x
            self._layout_generation += 1
            self._header_strip = None
            self._update_virtual_size()
            if self.is_mounted:
                self.refresh()

    def _update_virtual_size(self) -> None:
        size = Size(self._table_width, self.header_height + len(self._order))
        if size != self.virtual_size:
            self.virtual_size = size

    def _reorder(self, changed: Mapping[str, tuple[Cell, ...] | None], *, keep_cursor_visible: bool) -> None:
        """Filter and sort, keep the cursor on its row, and repaint the visible lines that differ."""
        keys: Iterable[str] = self.items
        predicate = self._row_filter
        if predicate is not None:
            items = self.items
            keys = [key for key in keys if predicate(items[key])]
        order = list(keys)
        column = self.sort_column
        if column is not None:
            items = self.items
            sort_value = self.sort_value
            order.sort(key=lambda key: sort_value(column, items[key]), reverse=self.sort_reverse)
        old_order = self._order
        self._order = order
        self._positions = {key: index for index, key in enumerate(order)}
        self._update_virtual_size()
        cursor_key = self._cursor_key
        if cursor_key is not None and cursor_key in self._positions:
            new_row = self._positions[cursor_key]
        else:
            new_row = min(self.cursor_row, max(0, len(order) - 1))
        if self.is_mounted:
            self._repaint_changes(old_order, changed)
        self._set_cursor(new_row)
        if keep_cursor_visible:
            self._scroll_cursor_into_view()

    def _repaint_changes(self, old_order: list[str], changed: Mapping[str, tuple[Cell, ...] | None]) -> None:
        """Repaint what differs on screen: a line whose row changed, or just the cells that changed in it.

        Textual writes only the dirty regions to the terminal, so a status change repaints the
        status cells of the visible rows, not their whole lines.
        """
        order = self._order
        top = self.scroll_offset.y
        scroll_x = self.scroll_offset.x
        full_rows: list[int] = []
        regions: list[Region] = []
        for row in range(top, top + self.page_height):
            key = order[row] if row < len(order) else None
            if key != (old_order[row] if row < len(old_order) else None):
                full_rows.append(row)
            elif key is not None and key in changed:
                before = changed[key]
                if before is None:
                    full_rows.append(row)
                    continue
                after = self._row_cells(key)
                spans = [(p.x, p.x + p.width + 1) for p in self._placed if before[p.index] != after[p.index]]
                if spans:
                    x1 = spans[0][0]
                    x2 = spans[-1][1]
                    y = self.header_height + row - top
                    regions.append(Region(x1 - scroll_x, y, x2 - x1, 1))
        self._refresh_rows(full_rows, regions)

    def _refresh_rows(self, rows: Iterable[int], extra: Iterable[Region] = ()) -> None:
        """Repaint these shown rows if on screen (whole lines), plus any `extra` content regions."""
        if not self.is_mounted:
            return
        top = self.scroll_offset.y
        bottom = top + self.page_height
        # Clipped to the content: a wider region would also repaint the scrollbar beside it.
        content = Region(0, 0, *self.size)
        width = self.size.width
        regions = [Region(0, self.header_height + row - top, width, 1)
                   for row in set(rows) if top <= row < bottom]
        regions.extend(region.intersection(content) for region in extra)
        regions = [region for region in regions if region]
        if regions:
            self._paint_pending = True
            self.refresh(*regions)

    def _refresh_header(self) -> None:
        """Repaint the sticky header line (it does not scroll, so not through `refresh_lines`)."""
        self._header_strip = None
        if self.is_mounted:
            self.refresh(Region(0, 0, self.size.width, self.header_height))

    def _set_cursor(self, row: int) -> None:
        """Move the cursor index, repaint the two rows involved, and say so when the row changed."""
        old_row = self.cursor_row
        old_key = self._cursor_key
        self.cursor_row = row
        self._cursor_key = self._order[row] if row < len(self._order) else None
        if old_row != row:
            self._refresh_rows((old_row, row))
        if self._cursor_key is not None and self._cursor_key != old_key:
            self.post_message(self.RowHighlighted(self, self._cursor_key, row))

    def _scroll_cursor_into_view(self) -> None:
        if not self.is_mounted or not self._order:
            return
        top = self.scroll_offset.y
        page = self.page_height
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, force=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, force=True)

    # ------------------------------------------------------------------ internals: drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_generation += 1

    def on_resize(self, _event: events.Resize) -> None:
        self._layout()

    def on_mount(self) -> None:
        self._layout()

    def _resolve_styles(self) -> _Styles:
        state = (self._style_generation, self.has_focus, self.app.theme)
        if self._styles is None or state != self._style_state:
            base = self.rich_style
            header = base + self.get_component_rich_style("line-table--header")
            cursor = self.get_component_rich_style("line-table--cursor")
            styles = _Styles(base, header, cursor)
            if styles != self._styles:
                self._strips.clear()
                self._header_strip = None
                self._cell_styles.clear()
                self._drawn_styles.clear()
            self._styles = styles
            self._style_state = state
        return self._styles

    def _cell_style(self, colour: str | None, bold: bool) -> Style:
        """A cell's own style from a theme variable (cached until the theme changes)."""
        key = (colour, bold)
        style = self._cell_styles.get(key)
        if style is None:
            style = Style(bold=True) if bold else Style()
            value = self._theme_colours().get(colour) if colour else None
            if value:
                try:
                    style += Style(color=Color.parse(value).rich_color)
                except ColorParseError:
                    pass
            self._cell_styles[key] = style
        return style

    def _theme_colours(self) -> Mapping[str, str]:
        return self.app.theme_variables

    def call_after_paint(self, callback: Callable[[], object]) -> bool:
        """Run `callback` once the rows this table has asked to repaint are on screen (after that frame).

        Returns False, scheduling nothing, when no repaint of rows is pending or the table is not
        shown: the caller then does its work at once. So a slower pane (the fault-domain map) is
        drawn in the frame after the rows a key asked for, not in theirs.
        """
        if not (self._paint_pending and self.is_mounted and self.display):
            return False
        self._after_paint.append(callback)
        return True

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of one frame shares (styles, width, scroll) is looked up once per frame, not per line.
        scroll_x, scroll_y = self.scroll_offset
        self._frame_state = (self._resolve_styles(), self.size.width, scroll_x, scroll_y)
        try:
            return super().render_lines(crop)
        finally:
            self._frame_state = None

    def render_line(self, y: int) -> Strip:
        if self._after_paint:
            # Called while the frame is drawn: the callbacks run once it is done.
            waiting, self._after_paint = self._after_paint, []
            for callback in waiting:
                self.call_later(callback)
        self._paint_pending = False
        frame_state = self._frame_state
        if frame_state is None:  # called on its own, not while a frame is drawn
            scroll_x, scroll_y = self.scroll_offset
            frame_state = (self._resolve_styles(), self.size.width, scroll_x, scroll_y)
        styles, width, scroll_x, scroll_y = frame_state
        if y < self.header_height:
            return self._header_line(styles, scroll_x, width)
        row = y - self.header_height + scroll_y
        if row >= len(self._order):
            return Strip.blank(width, styles.base)
        key = self._order[row]
        cells = self._row_cells(key)
        is_cursor = row == self.cursor_row
        signature = (cells, is_cursor, scroll_x, width, self._layout_generation)
        cached = self._strips.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        strip = self._build_row(cells, styles, is_cursor, scroll_x, width)
        self._strips[key] = (signature, strip)
        self.rows_built += 1
        return strip

    def _build_row(self, cells: tuple[Cell, ...], styles: _Styles, is_cursor: bool, scroll_x: int,
                   width: int) -> Strip:
        row_style = styles.base + styles.cursor if is_cursor else styles.base
        drawn_styles = self._drawn_styles
        fitted = self._fitted
        if len(fitted) > FITTED_CACHE_SIZE:
            fitted.clear()
        # Neighbouring cells of one style become one segment as the row is built (fewer style
        # codes to the terminal, and no `simplify` pass over the strip afterwards).
        segments: list[Segment] = []
        pieces = [" " * self.ROW_MARGIN]
        current = row_style
        for index, _column, _x, column_width in self._placed:
            text, colour, bold = cells[index]
            style_key = (colour, bold, is_cursor)
            style = drawn_styles.get(style_key)
            if style is None:
                style = styles.base + self._cell_style(colour, bold)
                if is_cursor:
                    style += styles.cursor
                drawn_styles[style_key] = style
            # Most cell values repeat down a column (states, zones, sizes): pad each one once.
            piece = fitted.get((text, column_width))
            if piece is None:
                piece = fitted[(text, column_width)] = _fit(text, column_width) + " "
            if style is not current and style != current:
                segments.append(Segment("".join(pieces), current))
                pieces = []
                current = style
            pieces.append(piece)
        table_width = self._table_width
        if scroll_x == 0 and table_width <= width:
            # The usual case: the row fits, so it is padded to the width instead of cropped.
            if table_width < width:
                if current is not row_style:
                    segments.append(Segment("".join(pieces), current))
                    pieces = []
                    current = row_style
                pieces.append(" " * (width - table_width))
            segments.append(Segment("".join(pieces), current))
            return Strip(segments, width)
        segments.append(Segment("".join(pieces), current))
        return Strip(segments, table_width).crop_extend(scroll_x, scroll_x + width, row_style)

    def _header_line(self, styles: _Styles, scroll_x: int, width: int) -> Strip:
        signature = (self.sort_column, self.sort_reverse, scroll_x, width, self._layout_generation)
        if self._header_strip is not None and self._header_strip[0] == signature:
            return self._header_strip[1]
        pieces = [" " * self.ROW_MARGIN]
        for _index, column, _x, column_width in self._placed:
            if column.key != self.sort_column:
                pieces.append(_fit(column.header, column_width) + " ")
                continue
            # The arrow follows the header's text; a header as wide as its column puts it in the gap.
            titled = column.header + ("▼" if self.sort_reverse else "▲")
            if cell_len(titled) <= column_width:
                pieces.append(_fit(titled, column_width) + " ")
            else:
                pieces.append(_fit(column.header, column_width) + titled[-1])
        segments = [Segment("".join(pieces), styles.header)]
        strip = Strip(segments, self._table_width).crop_extend(scroll_x, scroll_x + width, styles.header)
        self._header_strip = (signature, strip)
        return strip

    # ------------------------------------------------------------------ border title

    @property  # type: ignore[override]
    def border_title(self) -> str | None:
        """The pane title as plain text (Textual's own, but an unchanged title costs nothing)."""
        title = self._border_title
        return None if title is None else title.plain

    @border_title.setter
    def border_title(self, title: str | None) -> None:
        # Textual repaints the whole widget on every title assignment; pollers set the same
        # title each refresh, which would turn a one-row change into a full repaint.
        if title is not None and self._border_title is not None and self._border_title.plain == title:
            return
        if title is None:
            self._border_title = None
        else:
            # Plain text, never markup: titles carry data (a set's name, the typed filter).
            self._border_title = Content(escape_control(title)).expand_tabs(4).split()[0]
        if self.is_mounted:
            top = self.styles.gutter.top
            # Only the border line carries the title: repaint it alone (regions are content-relative).
            self.refresh(Region(-self.gutter.left, -top, self.outer_size.width, 1)) if top else self.refresh()

    # ------------------------------------------------------------------ keys and mouse

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_down(self) -> None:
        """A page further: the cursor moves by the rows on screen, and the view with it (k9s)."""
        page = self.page_height
        self.scroll_to(y=self.scroll_offset.y + page, animate=False, force=True)
        self.move_cursor(row=self.cursor_row + page)

    def action_page_up(self) -> None:
        page = self.page_height
        self.scroll_to(y=max(0, self.scroll_offset.y - page), animate=False, force=True)
        self.move_cursor(row=self.cursor_row - page)

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._order) - 1)

    def action_select_cursor(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.RowSelected(self, self._cursor_key, self.cursor_row))

    async def _on_click(self, event: events.Click) -> None:
        await super()._on_click(event)
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y < self.header_height:
            x = offset.x + self.scroll_offset.x
            for placed in self._placed:
                if placed.x <= x <= placed.x + placed.width:
                    self.post_message(self.HeaderSelected(self, placed.column.key))
                    break
            return
        row = offset.y - self.header_height + self.scroll_offset.y
        if row >= len(self._order):
            return
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row)


def _fit(text: str, width: int) -> str:
    """`text` padded or cut to exactly `width` cells; a cut value ends in an ellipsis."""
    if len(text) == width and text.isascii():
        return text
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + ELLIPSIS if width > 1 else set_cell_size(text, width)
    return set_cell_size(text, width)
