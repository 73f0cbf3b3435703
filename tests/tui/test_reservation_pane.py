"""The reservation pane (`R`): reserved vs allocated per size and zone, the VMs outside any reservation, zone loss.

The estate is the practice one plus a zonal reservation group and a set associated with it, made with the same
command lines an operator types.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.style import Style

from tui_helpers import open_practice_backend, screen_lines, select_set, settle
from vmss_tui.commands import Session, run_line

RG = "practice-rg"


def run(backend: Any, *lines: str) -> None:
    session = Session(backend, resource_group=RG)
    for line in lines:
        outcome = run_line(line, session)
        assert not outcome.error, (line, outcome.error)


def reserved_estate(backend: Any) -> None:
    """shop: 5 VMs over zones 1-3 (0, 3 in zone 1; 1, 4 in zone 2; 2 in zone 3); zone 2 reserves only 1."""
    run(backend, "capacity-reservation group create crg --zones 1 2 3",
        "capacity-reservation create res-z1 --group crg --sku Standard_D2s_v3 --capacity 2 --zone 1",
        "capacity-reservation create res-z2 --group crg --sku Standard_D2s_v3 --capacity 1 --zone 2",
        "capacity-reservation create res-z3 --group crg --sku Standard_D2s_v3 --capacity 2 --zone 3",
        "create shop --mode uniform --capacity 5 --zones 1 2 3 --vm-size Standard_D2s_v3 "
        "--capacity-reservation-group crg")
    zones = {i.instance_id: i.zone for i in backend.list_instances(RG, "shop")}
    assert zones == {"0": "1", "1": "2", "2": "3", "3": "1", "4": "2"}, zones


def text(app: Any) -> str:
    return "\n".join(screen_lines(app))


def unwrapped(app: Any) -> str:
    """The pane's text as it would read on a screen wide enough not to wrap a line."""
    from vmss_tui.tui.widgets.reservation_pane import pane_lines

    view = app.screen.query_one("#reservation-pane").view
    return "\n".join(line.plain for line in pane_lines(view.reading, 400, view=view.view, loading_name="",
                                                         styles={}))


async def open_pane(pilot: Any, name: str) -> Any:
    await select_set(pilot, name)
    await pilot.press("R")
    await settle(pilot)
    return pilot.app.screen.query_one("#reservation-pane")


def row_style(app: Any, starts: str) -> Style:
    """The style of the first cell of the pane's line that starts with `starts` (after the padding)."""
    for strip in app.screen._compositor.render_strips():
        line = strip.text
        at = line.find(starts)
        if at < 0 or line[:at].strip(" │"):
            continue
        offset = 0
        for segment in strip:
            if offset + len(segment.text) > at:
                return segment.style or Style()
            offset += len(segment.text)
    raise AssertionError(f"no line starts with {starts!r}")


async def test_the_vm_beyond_its_reservation_is_highlighted_in_the_warning_colour(make_app: Any,
                                                                                backend: Any) -> None:
    reserved_estate(backend)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(pilot, "shop")
        assert pane.display and not app.screen.instance_table.display and app.focused is pane
        shown = text(app)
        assert "shop · group crg (practice-rg, " in shown
        assert "5 VMs: 4 covered, 1 outside any reservation, 0 deallocated" in shown
        assert "Standard_D2s_v3 2    res-z2             1     2    1   2       1" in shown
        assert "4        2    Standard_D2s_v3 running res-z2      beyond reservation" in shown
        warning = Style.parse(app.theme_variables["warning"]).color
        assert row_style(app, "4        2    Standard_D2s_v3").color == warning
        assert row_style(app, "1        2    Standard_D2s_v3").color != warning
        # deallocating the VM beyond the reservation: it stays associated, draws no more, nothing is outside
        run(backend, "deallocate shop 4")
        await pilot.press("ctrl+r")
        await settle(pilot)
        shown = text(app)
        assert "5 VMs: 4 covered, 0 outside any reservation, 1 deallocated" in shown
        assert "res-z2             1     1    0   1       0" in shown
        await pilot.press("R")
        await settle(pilot)
        assert not pane.display and app.screen.instance_table.display


async def test_zone_loss_lines_say_what_must_be_recreated_and_what_stays_covered(make_app: Any,
                                                                                backend: Any) -> None:
    reserved_estate(backend)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, "shop")
        shown = unwrapped(app)
        assert "Lose zone 3: 1 VM to re-create, 0 covered; 1 not covered" in text(app)  # short: on screen as is
        # zone 2's two VMs: zone 1 has no spare (2 of 2), zone 3 one (1 of 2)
        assert "Lose zone 2: 2 VMs to re-create, 1 covered by reservations in zone 3; 1 not covered" in shown
        assert "Lose zone 1: 2 VMs to re-create, 1 covered by reservations in zone 3; 1 not covered" in shown
        assert "Lose zone 3: 1 VM to re-create, 0 covered; 1 not covered" in shown
        run(backend, "capacity-reservation update res-z1 --group crg --capacity 3")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert ("Lose zone 2: 2 VMs to re-create, 2 covered by reservations in zones 1, 3; 0 not covered"
                in unwrapped(app))


async def test_the_groups_view_lists_each_reservation_with_the_vms_that_use_it(make_app: Any,
                                                                              backend: Any) -> None:
    reserved_estate(backend)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(pilot, "shop")
        await pilot.press("g")
        await settle(pilot)
        assert "Reservation groups of shop" in text(app)
        shown = unwrapped(app)
        assert ("res-z2: Standard_D2s_v3 zone 2: 1 reserved, 2 allocated (overallocated, 1 not covered), "
                "2 associated") in shown
        assert "allocated: shop: 1, 4" in shown
        await pilot.press("g")
        await settle(pilot)
        assert "Reservations of shop" in text(app) and pane.view.view == "set"


async def test_a_set_without_a_group_says_so_and_how_to_associate_one(make_app: Any, backend: Any) -> None:
    run(backend, "capacity-reservation group create crg --zones 1 2 3")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, "web")
        shown = text(app)
        assert "web is not associated with a capacity reservation group" in shown
        assert "update web -g practice-rg --capacity-reservation-group crg" in shown
        assert "deallocate web -g practice-rg" in shown
        await pilot.press("c")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "command-input"
        assert app.focused.value == "update web -g practice-rg --capacity-reservation-group crg"
        # the lines it offers, typed in order, associate the set
        from vmss_tui.tui.widgets.reservation_pane import association_steps

        pane = app.screen.query_one("#reservation-pane")
        _how, steps, _command = association_steps(pane.reading)
        assert steps[0].startswith("capacity-reservation create web-z1 --group crg -g practice-rg --sku ")
        run(backend, *steps)
        await pilot.press("escape")
        app.screen.action_refresh()
        await settle(pilot)
        assert "web · group crg (practice-rg, " in text(app)
        assert "6 VMs: 6 covered, 0 outside any reservation, 0 deallocated" in text(app)


async def test_a_group_the_set_cannot_use_is_not_offered(make_app: Any, backend: Any) -> None:
    run(backend, "capacity-reservation group create crg --zones 1")  # web spans zones 1-3: it cannot use crg
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, "web")
        assert "capacity-reservation group create web-crg -g practice-rg -l westeurope --zones 1 2 3" in unwrapped(app)


async def test_r_without_a_set_says_why_it_does_nothing(tmp_path: Any, make_app: Any) -> None:
    from vmss_tui.backends import open_backend

    empty = open_backend("emulator", db=tmp_path / "empty", speed="instant", durable=False, seed=False)
    app = make_app(backend=empty)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.selected_key is None
        await pilot.press("R")
        await settle(pilot)
        told = [(n.title, n.message) for n in app._notifications]
        assert ("Reservations unavailable", "select a scale set first") in told, told
        assert not app.screen.query("#reservation-pane")


async def test_names_with_control_characters_are_shown_escaped(make_app: Any, backend: Any) -> None:
    from vmss_tui.tui.widgets.reservation_pane import ReservationReading, pane_lines
    from vmss_tui.domain.reservation_coverage import set_coverage

    reserved_estate(backend)
    shop = backend.get_scale_set(RG, "shop")
    groups = backend.list_capacity_reservation_groups(RG)
    import dataclasses

    evil_groups = [dataclasses.replace(g, name="crg\x1b[2J", reservations=tuple(
        dataclasses.replace(r, name="r\x1b]0;owned\x07") for r in g.reservations)) for g in groups]
    coverage = set_coverage(shop, backend.list_instances(RG, "shop"), evil_groups)
    reading = ReservationReading((RG, "shop"), scale_set=shop, coverage=coverage, groups=tuple(evil_groups))
    for view in ("set", "groups"):
        lines = "\n".join(line.plain for line in pane_lines(reading, 100, view=view, loading_name="shop",
                                                            styles={}))
        assert "\x1b" not in lines and "\x07" not in lines
        assert "\\x1b" in lines


def test_the_pane_reads_nothing_on_a_backend_without_reservations(tmp_path: Any) -> None:
    from vmss_tui.tui.widgets.reservation_pane import read_reservations

    backend = open_practice_backend(tmp_path / "store")

    class NoReservations:
        def __getattr__(self, name: str) -> Any:
            if "capacity_reservation" in name:
                raise AttributeError(name)
            return getattr(backend, name)

    reading = read_reservations(NoReservations(), RG, "web")  # type: ignore[arg-type]
    assert reading.coverage is None and "not available on the NoReservations backend" in reading.note


async def test_the_pane_follows_the_live_refresh_and_reads_nothing_once_closed(make_app: Any, backend: Any) -> None:
    from tui_helpers import wait_until

    reserved_estate(backend)
    reads: list[str] = []
    original = backend.list_capacity_reservation_groups

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return original(*args, **kwargs)

    backend.list_capacity_reservation_groups = counted
    app = make_app(refresh_interval=0.2, idle_refresh_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, "shop")
        run(backend, "deallocate shop 4")
        await wait_until(pilot, lambda: "0 outside any reservation, 1 deallocated" in text(app))
        await pilot.press("R")
        await settle(pilot)
        before = len(reads)
        await pilot.pause(0.8)  # four ticks
        assert len(reads) == before


async def test_a_read_only_session_shows_the_pane_without_the_associate_key(make_app: Any) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, "web")
        assert "web is not associated with a capacity reservation group" in text(app)
        assert "c Associate" not in screen_lines(app)[-1]
        await pilot.press("c")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#reservation-pane")


async def test_enter_on_a_set_goes_to_the_pane_while_it_is_open_and_a_goes_back_to_autoscale(
        make_app: Any, backend: Any) -> None:
    reserved_estate(backend)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(pilot, "web")
        assert "c Associate" in screen_lines(app)[-1]
        app.screen.sets_table.focus()
        await pilot.press("up", "enter")  # the sets are sorted: batch, demo-set, shop, web
        await settle(pilot)
        assert app.focused is pane and pane.key == (RG, "shop")
        assert "shop · group crg" in text(app)
        await pilot.press("A")  # one pane at a time: autoscale takes its place
        await settle(pilot)
        assert not pane.display and app.screen.query_one("#autoscale-pane").display
        await pilot.press("R")
        await settle(pilot)
        assert pane.display and not app.screen.query_one("#autoscale-pane").display
        assert not app.screen.instance_table.display


@pytest.mark.parametrize("name", ["web", "demo-set", "batch"])
def test_the_offered_lines_associate_each_kind_of_set(tmp_path: Any, name: str) -> None:
    """Uniform (Manual upgrade), Flexible with a profile in another region than its resource group, and a
    Flexible set without a profile (its next VM takes the group)."""
    from vmss_tui.domain.reservation_coverage import Coverage
    from vmss_tui.tui.widgets.reservation_pane import association_steps, read_reservations

    backend = open_practice_backend(tmp_path / "store")
    run(backend, "capacity-reservation group create crg")  # regional, in the resource group's region
    _how, steps, command = association_steps(read_reservations(backend, RG, name))
    assert command in steps
    run(backend, *steps)
    after = read_reservations(backend, RG, name)
    assert after.coverage is not None and after.coverage.group is not None
    made_by_the_set = {i.instance_id for i in backend.list_instances(RG, name) if i.created_by_scale_set}
    assert made_by_the_set or name == "batch"
    for vm in after.coverage.vms:
        if vm.instance_id in made_by_the_set or name == "batch":
            assert vm.status == Coverage.COVERED, (vm.instance_id, vm.status)


def test_a_full_reservation_is_offered_more_capacity(tmp_path: Any) -> None:
    from vmss_tui.domain.reservation_coverage import Coverage
    from vmss_tui.tui.widgets.reservation_pane import association_steps, read_reservations

    backend = open_practice_backend(tmp_path / "store")  # web: 2 VMs in each of zones 1-3
    run(backend, "capacity-reservation group create crg --zones 1 2 3",
        *(f"capacity-reservation create r{z} --group crg --sku Standard_D2s_v3 --capacity 1 --zone {z}" for z in "123"))
    _how, steps, _command = association_steps(read_reservations(backend, RG, "web"))
    assert "capacity-reservation update r2 --group crg -g practice-rg --capacity 2" in steps
    run(backend, *steps)
    after = read_reservations(backend, RG, "web").coverage
    assert after is not None and {vm.status for vm in after.vms} == {Coverage.COVERED}
