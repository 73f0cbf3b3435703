"""The instance table as a user drives it: order, filter, marks, cursor keys, mouse, repaints, big sets."""

from __future__ import annotations

from typing import Any

from textual import events

from tui_helpers import select_set, settle
from vmss_tui.domain.models import OrchestrationMode, PowerAction, PowerState, ScaleSetSpec
from vmss_tui.tui.screens.dialogs import ConfirmDialog
from vmss_tui.tui.screens.main import MainScreen

RG = "practice-rg"


def main_screen(app: Any) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def type_filter(pilot: Any, text: str) -> None:
    """Open `/` and put `text` in the filter (each change filters at once, as typing does)."""
    screen = main_screen(pilot.app)
    if not screen.filter_input.display:
        await pilot.press("slash")
    screen.filter_input.value = text
    await pilot.pause()


# ----------------------------------------------------------------------------- order, sort, filter

async def test_widening_a_filter_brings_rows_back_in_their_order(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await type_filter(pilot, "zone:3")
        assert table.shown_ids == ["2", "5"]
        await type_filter(pilot, "zone:")
        assert table.shown_ids == ["0", "1", "2", "3", "4", "5"]
        await type_filter(pilot, "zone:3")
        await pilot.press("escape")
        assert table.shown_ids == ["0", "1", "2", "3", "4", "5"]


async def test_widening_a_filter_keeps_the_chosen_sort(make_app: Any, backend: Any) -> None:
    backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0", "3"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        table.cycle_sort("power")
        table.cycle_sort("power")  # descending: stopped first
        assert table.shown_ids[:2] == ["0", "3"]
        await type_filter(pilot, "zone:1")
        await type_filter(pilot, "")
        assert table.shown_ids == ["0", "3", "1", "2", "4", "5"]


async def test_o_cycles_the_sort_column_and_a_header_click_sorts_by_that_column(make_app: Any,
                                                                               backend: Any) -> None:
    backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        table = screen.instance_table
        await pilot.press("tab", "o")
        assert table.sort_column == "id"
        await pilot.click("#instances", offset=(table.column_x("zone") + 1, table.header_y))
        assert table.sort_column == "zone" and not table.sort_reverse
        assert [table.instances[i].zone for i in table.shown_ids] == ["1", "1", "2", "2", "3", "3"]
        assert "sort: zone" in str(table.border_title)
        await pilot.click("#instances", offset=(table.column_x("zone") + 1, table.header_y))
        assert table.sort_reverse
        assert [table.instances[i].zone for i in table.shown_ids] == ["3", "3", "2", "2", "1", "1"]


async def test_a_sorted_column_that_changes_on_refresh_moves_the_row(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        table.cycle_sort("power")
        backend.power_action(RG, "web", PowerAction.POWER_OFF, ["2"])
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert table.shown_ids[-1] == "2", "stopped sorts after running"


# ----------------------------------------------------------------------------- marks

async def test_space_marks_and_moves_down_and_escape_clears_the_marks(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.press("tab", "space", "space")
        assert table.marked == {"0", "1"}
        assert table.cursor_instance_id == "2"
        assert table.get_cell("0", "mark").plain.strip()
        assert table.target_ids() == ["0", "1"]
        await pilot.press("escape")
        assert table.marked == set()
        assert not table.get_cell("0", "mark").plain.strip()
        assert table.target_ids() == ["2"]


async def test_marks_clear_once_a_bulk_action_is_sent_so_the_next_key_acts_on_the_cursor_row(
        make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.press("tab", "space", "down", "space")
        assert table.marked == {"0", "2"}
        await pilot.press("d")
        await settle(pilot)
        assert backend.get_instance(RG, "web", "0").power_state is PowerState.DEALLOCATED
        assert backend.get_instance(RG, "web", "2").power_state is PowerState.DEALLOCATED
        assert table.marked == set(), "the bulk action used the marks"
        assert table.cursor_instance_id == "3"
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "3" in dialog.prompt and "0" not in dialog.prompt.replace("web_", "")
        await pilot.press("n")


async def test_marks_stay_when_the_bulk_action_is_cancelled_at_its_prompt(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.press("tab", "space", "down", "space")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert table.marked == {"0", "2"}, "nothing was sent, so the marks still stand"
        assert "2 marked" in (table.border_title or "")


# ----------------------------------------------------------------------------- cursor keys and mouse

async def test_home_end_page_up_and_page_down_move_the_cursor_like_k9s(make_app: Any, backend: Any) -> None:
    backend.set_capacity(RG, "web", 100)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.press("tab", "end")
        assert table.cursor_instance_id == "99"
        await pilot.press("home")
        assert table.cursor_instance_id == "0"
        page = table.page_height
        assert page > 5
        await pilot.press("pagedown")
        assert table.cursor_row == page
        await pilot.press("pagedown", "pageup")
        assert table.cursor_row == page
        await pilot.press("pageup", "pageup")
        assert table.cursor_row == 0
        await pilot.press("down", "down", "up")
        assert table.cursor_instance_id == "1"


async def test_the_cursor_stays_visible_when_it_moves_past_the_bottom(make_app: Any, backend: Any) -> None:
    backend.set_capacity(RG, "web", 100)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.press("tab")
        for _ in range(table.page_height + 3):
            await pilot.press("down")
        first, last = table.visible_rows
        assert first <= table.cursor_row <= last
        await pilot.press("end")
        first, last = table.visible_rows
        assert last == 99 and table.cursor_row == 99


async def test_a_click_puts_the_cursor_on_that_row_and_the_wheel_scrolls(make_app: Any, backend: Any) -> None:
    backend.set_capacity(RG, "web", 100)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.click("#instances", offset=(5, table.header_y + 3))
        assert table.cursor_instance_id == "2"
        assert app.focused is table
        for _ in range(3):
            table.post_message(events.MouseScrollDown(table, 5, 5, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert table.scroll_y > 0
        assert table.cursor_instance_id == "2", "the wheel scrolls, it does not move the cursor"


def create_plain_set(backend: Any, name: str, capacity: int) -> None:
    """A Uniform set without a network (the practice `web` sits in a /24 subnet: 251 addresses)."""
    backend.wait(backend.create_scale_set(ScaleSetSpec(
        name=name, resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=capacity,
        vm_size="Standard_D2s_v3", image="Ubuntu2204", zones=("1", "2", "3"), single_placement_group=False)))


async def test_all_1000_rows_show_at_once_and_end_reaches_the_last(make_app: Any, backend: Any) -> None:
    create_plain_set(backend, "wide", 1000)
    app = make_app()
    counts: list[tuple[int, int]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        table = main_screen(app).instance_table
        original = table.show_instances

        def recording(set_key: Any, instances: list[Any]) -> None:
            original(set_key, instances)
            counts.append((table.row_count, len(instances)))

        table.show_instances = recording  # type: ignore[method-assign]
        await select_set(pilot, "wide")
        assert counts[-1] == (1000, 1000), "every row is there as soon as the instances arrive"
        assert all(shown == total for shown, total in counts)
        assert "(1000)" in str(table.border_title) and "of 1000" not in str(table.border_title)
        await pilot.press("tab", "end")
        assert table.cursor_instance_id == "999"
        first, last = table.visible_rows
        assert last == 999
        await type_filter(pilot, "zone:2")
        assert "of 1000)" in str(table.border_title), "the (N of M) notation is for filters"


# ----------------------------------------------------------------------------- repaints

async def test_a_refresh_that_changes_one_row_repaints_only_that_row(make_app: Any, backend: Any) -> None:
    backend.set_capacity(RG, "web", 100)  # the NAT rule of the practice `web` has 120 ports
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.press("tab")
        await settle(pilot)
        built_before = table.rows_built
        painted: list[int] = []
        original = table.render_line

        def counting(y: int) -> Any:
            painted.append(y)
            return original(y)

        table.render_line = counting  # type: ignore[method-assign]
        backend.power_action(RG, "web", PowerAction.POWER_OFF, ["4"])
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "stopped" in table.get_cell("4", "power").plain
        assert table.rows_built - built_before == 1, "one row changed, one row rebuilt"
        assert painted and set(painted) == {table.header_height + 4}, f"lines repainted: {sorted(set(painted))}"


async def test_a_cursor_move_repaints_two_lines(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await pilot.press("tab")
        await settle(pilot)
        painted: list[int] = []
        original = table.render_line

        def counting(y: int) -> Any:
            painted.append(y)
            return original(y)

        table.render_line = counting  # type: ignore[method-assign]
        await pilot.press("down")
        await pilot.pause()
        assert set(painted) == {table.header_height + 0, table.header_height + 1}


async def test_cell_text_from_data_is_shown_escaped(make_app: Any, backend: Any) -> None:
    from dataclasses import replace

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        instances = list(table.instances.values())
        hostile = replace(instances[0], instance_id="evil\x1b[2J[bold]x")
        table.show_instances(main_screen(app).selected_key, [hostile, *instances[1:]])
        await pilot.pause()
        cell = table.get_cell("evil\x1b[2J[bold]x", "id")
        assert "\x1b" not in cell.plain and "\\x1b[2J[bold]x" in cell.plain
        line = table.render_line(table.header_height + 0)
        assert "\x1b" not in line.text and "[bold]" in line.text


async def test_a_narrow_pane_leaves_whole_columns_out_instead_of_cutting_them(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        header = table.render_line(0).text
        assert "Created" not in header, "the least needed column goes first"
        for name in ("Instance", "Zone", "Power", "State", "Protect"):
            assert name in header
        row = table.render_line(table.header_height + 0).text
        assert "running" in row and "Succeeded" in row
        assert len(header.rstrip()) <= table.size.width
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert "Created" in table.render_line(0).text


# ----------------------------------------------------------------------------- addresses (issue 14)

def header_and_row(table: Any, instance_id: str) -> tuple[str, str]:
    row = table.shown_ids.index(instance_id) - table.scroll_offset.y
    return table.render_line(0).text, table.render_line(table.header_height + row).text


async def test_each_instance_shows_its_private_address_and_its_endpoint(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        header, row = header_and_row(table, "0")
        assert "Private IP" in header and "Endpoint" in header
        assert "10.0.0.4" in row and "20.1.0.1:50000" in row
        assert "20.1.0.1:50005" in header_and_row(table, "5")[1]
        for name in ("Instance", "Zone", "FD", "Power", "State", "Protect"):
            assert name in header, f"{name} still fits next to the addresses at 120 columns"


async def test_both_addresses_show_at_120_columns_even_with_a_scrollbar(make_app: Any, backend: Any) -> None:
    backend.set_capacity(RG, "web", 40)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        assert table.row_count > table.page_height, "the pane scrolls"
        header, row = header_and_row(table, "0")
        assert "Private IP" in header and "Endpoint" in header
        assert "10.0.0.4" in row and "20.1.0.1:50000" in row
        assert len(header.rstrip()) <= table.scrollable_content_region.width


async def test_both_addresses_show_at_80_columns(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        header, row = header_and_row(table, "0")
        assert "Private IP" in header and "Endpoint" in header
        assert "10.0.0.4" in row and "20.1.0.1:50000" in row
        assert "running" in row and "Succeeded" in row


async def test_a_pane_too_narrow_for_both_addresses_keeps_the_endpoint(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(66, 24)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        header, row = header_and_row(table, "0")
        assert "Endpoint" in header and "20.1.0.1:50000" in row, "the endpoint is how an operator gets in"
        assert "Private IP" not in header and "10.0.0.4" not in row
        assert "Power" in header and "running" in row


async def test_a_set_without_a_network_shows_empty_address_cells(make_app: Any, backend: Any) -> None:
    create_plain_set(backend, "plain", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "plain")
        table = main_screen(app).instance_table
        header, row = header_and_row(table, "0")
        assert "Private IP" in header and "Endpoint" in header
        assert "None" not in row
        assert table.cell("0", "private_ip").text == "" and table.cell("0", "endpoint").text == ""
        await select_set(pilot, "demo-set")  # the lab's first VM has no public address, newvm has its own
        assert table.cell("newvm", "endpoint").text == "20.1.0.2:22"
        first = next(key for key in table.shown_ids if key != "newvm")
        assert table.cell(first, "endpoint").text == "" and table.cell(first, "private_ip").text.startswith("10.")


async def test_the_filter_finds_an_instance_by_its_address(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        await type_filter(pilot, "ip:10.0.0.6")
        assert table.shown_ids == ["2"]
        await type_filter(pilot, "50004")
        assert table.shown_ids == ["4"]
        await type_filter(pilot, "ip:20.1.0.1")
        assert table.shown_ids == ["0", "1", "2", "3", "4", "5"]


async def test_sorting_by_private_address_puts_ten_after_nine(make_app: Any, backend: Any) -> None:
    backend.set_capacity(RG, "web", 12)
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await select_set(pilot, "web")
        table = main_screen(app).instance_table
        table.cycle_sort("private_ip")
        addresses = [table.instances[key].private_ip for key in table.shown_ids]
        assert addresses[5:8] == ["10.0.0.9", "10.0.0.10", "10.0.0.11"]
        assert "Private IP▲" in table.render_line(0).text


# ----------------------------------------------------------------------------- the map after a refresh

async def test_a_refresh_paints_the_rows_first_and_the_map_in_the_next_frame(make_app: Any, backend: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        table, fd_map = screen.instance_table, screen.fd_map
        order: list[str] = []
        render_line, draw = table.render_line, fd_map._draw

        def rows(y: int) -> Any:
            order.append("rows")
            return render_line(y)

        def map_drawn(*args: Any, **kwargs: Any) -> None:
            order.append("map")
            draw(*args, **kwargs)

        table.render_line = rows  # type: ignore[method-assign]
        fd_map._draw = map_drawn  # type: ignore[method-assign]
        backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0"])
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.pause()
        assert "map" in order and order.index("rows") < order.index("map")
        assert fd_map.placement is not None
        assert any(i.instance_id == "0" and i.power_state is PowerState.STOPPED for i in fd_map._instances)


async def test_the_map_follows_a_change_to_a_row_off_screen(make_app: Any, backend: Any) -> None:
    backend.set_capacity(RG, "web", 100)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        screen = main_screen(app)
        backend.power_action(RG, "web", PowerAction.POWER_OFF, ["99"])
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert table_row_is_off_screen(screen.instance_table, "99")
        assert any(i.instance_id == "99" and i.power_state is PowerState.STOPPED for i in screen.fd_map._instances)


def table_row_is_off_screen(table: Any, instance_id: str) -> bool:
    first, last = table.visible_rows
    return not first <= table.shown_ids.index(instance_id) <= last
