"""The reservation pane: what the selected set's capacity reservations cover, and what a zone loss would leave.

Two views (`g` switches): the set's (its group, reserved vs allocated per size and zone, the VMs that run
outside any reservation in the theme's warning colour, and per zone what losing it would leave covered), and
the groups' (every reservation of the groups in the set's resource group, with the sets and VMs that use it).
Its data is read in a thread worker, only while the pane is shown; the numbers come from
domain/reservation_coverage.py. Every name is shown with its control characters escaped.
"""

from __future__ import annotations

import shlex
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message

from ...domain.models import UpgradeMode
from ...domain.text import escape_control
from .stand_in import StandInPane, TextBody

if TYPE_CHECKING:
    from ...backends.protocol import Backend
    from ...domain.models import ScaleSet
    from ...domain.reservation_coverage import SetCoverage
    from ...domain.reservations import CapacityReservationGroup

SET_VIEW = "set"
GROUPS_VIEW = "groups"
NAME_WIDTH = 14
"""Reservation names longer than this are cut (with `…`) in the table; the groups view shows them whole."""
PANE_HELP: tuple[tuple[str, str], ...] = (
    ("g", "Reservation pane: switch between the set's coverage and every group's reservations"),
    ("c", "Reservation pane: the command bar with the command that associates the set with a group"),
)
"""The pane's own keys, as the `?` help lists them."""


def safe(value: object) -> str:
    """Names from Azure or the store, with their control characters escaped."""
    return escape_control(str(value))


@dataclass(frozen=True)
class ReservationReading:
    """One read of everything the pane shows for one set (made in a worker)."""

    key: tuple[str, str]
    note: str = ""
    """When there is nothing else to show: no capability, or the read failed."""
    scale_set: ScaleSet | None = None
    coverage: SetCoverage | None = None
    groups: tuple[CapacityReservationGroup, ...] = ()
    """The groups of the set's resource group (and the set's own group if it lives in another)."""

    @property
    def associated(self) -> bool:
        """True when the set or any of its VMs uses a group."""
        return self.coverage is not None and bool(self.coverage.groups or self.coverage.group_id)


def read_reservations(backend: Backend, resource_group: str, name: str) -> ReservationReading:
    """(In a worker) the set, its VMs and the groups; failures come back as a note, never raised."""
    from ...backends.protocol import CapacityReservations
    from ...domain.errors import AzureError
    from ...domain.reservation_coverage import set_coverage
    from ...domain.reservations import parse_group_id

    key = (resource_group, name)
    if not isinstance(backend, CapacityReservations):
        return ReservationReading(key, note=f"Capacity reservations are not available on the "
                                            f"{type(backend).__name__} backend.")
    try:
        scale_set = backend.get_scale_set(resource_group, name)
        instances = backend.list_instances(resource_group, name)
        groups = list(backend.list_capacity_reservation_groups(resource_group))
        set_group_id = scale_set.capacity_reservation_group or ""
        parsed = parse_group_id(set_group_id)
        if parsed is not None and not any(g.id.lower() == set_group_id.lower() for g in groups):
            try:  # the set's group lives in another resource group
                groups.insert(0, backend.get_capacity_reservation_group(parsed[1], parsed[2]))
            except AzureError:
                pass  # shown as "cannot be read" below
        coverage = set_coverage(scale_set, instances, groups)
    except AzureError as error:
        return ReservationReading(key, note=str(error))
    except Exception as error:  # a backend failure is a note in the pane, never a crash
        return ReservationReading(key, note=f"ERROR: reading capacity reservations of {name}: "
                                            f"{type(error).__name__}: {error}")
    return ReservationReading(key, scale_set=scale_set, coverage=coverage, groups=tuple(groups))


# --- drawing (pure: text in, text out) ----------------------------------------------------------

def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _zones_words(zones: tuple[str, ...]) -> str:
    return ("zone " if len(zones) == 1 else "zones ") + ", ".join(safe(z) for z in zones)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _group_words(group: CapacityReservationGroup) -> str:
    where = _zones_words(group.zones) if group.zones else "regional"
    return f"{safe(group.name)} ({safe(group.resource_group)}, {safe(group.location)}, {where})"


def association_steps(reading: ReservationReading) -> tuple[str, list[str], str]:
    """For a set without a group: how to associate it (seed-features D.3), as (what to do, the command lines in
    order, the line `c` puts in the command bar). The lines are unescaped: `safe` them to print.

    The group offered is one of the resource group's that the set may use (same region; a zonal set's zones all
    among the group's, a regional set a regional group), the one missing fewest reservations; else a new one.
    A reservation is offered for each of the set's zones the group lacks its size in, sized to its VMs there, and a
    larger capacity for one whose spare would not hold them."""
    scale_set = reading.scale_set
    assert scale_set is not None
    from collections import Counter

    from ...domain.sizes import DEFAULT_VM_SIZE

    rg, name = reading.key
    target = ["-g", rg]
    vms = reading.coverage.vms if reading.coverage else ()
    profileless = scale_set.is_flexible and not scale_set.has_vm_profile
    # a set without a profile: the size its VMs have (add-vm's default when it has none)
    size = scale_set.vm_size or (Counter(vm.vm_size for vm in vms).most_common(1) or [(DEFAULT_VM_SIZE, 0)])[0][0]
    set_zones = tuple(scale_set.zones)

    def missing(group: CapacityReservationGroup | None) -> list[str | None]:
        have = {(r.sku_name.lower(), r.zones[0] if r.zones else None) for r in (group.reservations if group else ())}
        return [zone for zone in (set_zones or (None,)) if (size.lower(), zone) not in have]

    usable = [g for g in reading.groups if g.location.lower() == scale_set.location.lower()
              and (set(set_zones) <= set(g.zones) if set_zones else not g.zones)]
    chosen = min(usable, key=lambda g: len(missing(g)), default=None)
    steps = []
    if chosen is None:
        taken = {g.name.lower() for g in reading.groups}
        group = "crg" if "crg" not in taken else f"{name}-crg"
        zones = ["--zones", *set_zones] if set_zones else []
        steps.append(shlex.join(["capacity-reservation", "group", "create", group, *target, "-l",
                                 scale_set.location, *zones]))
    else:
        group = chosen.name
    lacking = missing(chosen)
    for zone in set_zones or (None,):
        count = sum(1 for vm in vms if vm.zone == zone) if zone else len(vms)
        if zone in lacking:
            suffix = ["--zone", zone] if zone else []
            steps.append(shlex.join(["capacity-reservation", "create", f"{name}-z{zone}" if zone else f"{name}-res",
                                     "--group", group, *target, "--sku", size, "--capacity", str(max(1, count)),
                                     *suffix]))
            continue
        assert chosen is not None
        existing = next(r for r in chosen.reservations if r.sku_name.lower() == size.lower()
                        and (r.zones[0] if r.zones else None) == zone)
        short = count - max(0, existing.capacity - len(existing.virtual_machines_allocated))
        if short > 0:  # its spare would not hold the set's VMs: reserve more, or they run beyond it
            steps.append(shlex.join(["capacity-reservation", "update", existing.name, "--group", group, *target,
                                     "--capacity", str(existing.capacity + short)]))
    if profileless:
        zone_words = ["--zone", set_zones[0]] if set_zones else []
        command = shlex.join(["add-vm", name, *target, "--vm-size", size, *zone_words,
                              "--capacity-reservation-group", group])
        return "To associate it (a Flexible set without a profile takes the group with its next VM):", \
            steps + [command], command
    command = shlex.join(["update", name, *target, "--capacity-reservation-group", group])
    steps += [shlex.join(["deallocate", name, *target]), command]
    if scale_set.upgrade_policy is UpgradeMode.MANUAL:  # existing VMs take the group with the model [CR-UNIFORM]
        steps.append(shlex.join(["upgrade", name, *target]))
    steps.append(shlex.join(["start", name, *target]))
    return "To associate it (Azure wants its VMs deallocated first):", \
        steps, command


def association_command(reading: ReservationReading | None) -> str | None:
    """The line `c` puts in the command bar for a set without a group (None when it has one)."""
    if reading is None or reading.scale_set is None or reading.associated:
        return None
    return association_steps(reading)[2]


def _fit(header: tuple[str, ...], rows: list[tuple[str, ...]], width: int, droppable: tuple[int, ...]
         ) -> tuple[list[int], list[int]]:
    """(the columns kept, their widths): columns in `droppable` go, in that order, until a line fits `width`."""
    kept = list(range(len(header)))
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(len(header))]
    for column in droppable:
        if sum(widths[i] for i in kept) + len(kept) - 1 <= width:
            break
        kept.remove(column)
    return kept, widths


def slot_table(coverage: SetCoverage, width: int, styles: dict[str, str]) -> list[Text]:
    """Reserved vs allocated per size and zone; rows with VMs outside the reservation in the warning colour.

    Alloc counts every VM drawing on the reservation (other sets' too), Over those beyond its quantity, Set this
    set's VMs there, Outside this set's VMs that run without reserved capacity."""
    header = ("Size", "Zone", "Reservation", "Reserved", "Alloc", "Over", "Set", "Outside")
    rows = []
    for slot in coverage.slots:
        rows.append(((_cut(safe(slot.sku_name), 18), safe(slot.zone) if slot.zone else "-",
                      _cut(safe(slot.reservation.name), NAME_WIDTH) if slot.reservation else "(none)",
                      str(slot.reserved) if slot.reservation else "-", str(slot.allocated) if slot.reservation else "-",
                      str(slot.overallocated) if slot.reservation else "-", str(slot.set_allocated),
                      str(slot.set_outside)), slot))
    kept, widths = _fit(header, [cells for cells, _ in rows], width, (2, 6))
    right = {3, 4, 5, 6, 7}

    def line(cells: tuple[str, ...]) -> str:
        return " ".join(cells[i].rjust(widths[i]) if i in right else cells[i].ljust(widths[i])
                        for i in kept).rstrip()

    lines = [Text(line(header), style="bold")]
    for cells, slot in rows:
        style = styles.get("warning", "") if slot.set_outside or slot.overallocated else ""
        lines.append(Text(line(cells), style=style))
    return lines


def zone_loss_line(loss: Any) -> str:
    """"Lose zone 2: 3 VMs to re-create, 2 covered by reservations in zones 1, 3; 1 not covered"."""
    count = len(loss.to_recreate)
    if count == 0:
        return f"Lose zone {safe(loss.zone)}: no VM of the set runs there"
    text = f"Lose zone {safe(loss.zone)}: {_plural(count, 'VM')} to re-create, {loss.covered} covered"
    if loss.covered:
        zones = [z for z in loss.covering_zones if z != "regional"]
        where = []
        if zones:
            where.append(f"reservations in {_zones_words(tuple(zones))}")
        if "regional" in loss.covering_zones:
            where.append("a regional reservation")
        text += " by " + " and ".join(where)
    elif not loss.remaining_zones:
        text += " (the set has no other zone)"
    return text + f"; {loss.not_covered} not covered"


def vm_table(coverage: SetCoverage, width: int, styles: dict[str, str]) -> list[Text]:
    """Every VM and what it draws on: outside ones in the warning colour (bold), deallocated ones dimmed."""
    header = ("Instance", "Zone", "Size", "Power", "Reservation", "Coverage")
    rows = [((_cut(safe(vm.instance_id), 20), safe(vm.zone) if vm.zone else "-", _cut(safe(vm.vm_size), 18),
              safe(vm.power_state), _cut(safe(vm.reservation.name), NAME_WIDTH) if vm.reservation else "-",
              vm.status), vm) for vm in coverage.vms]
    kept, widths = _fit(header, [cells for cells, _ in rows], width, (2, 3, 4))

    def line(cells: tuple[str, ...]) -> str:
        return " ".join(cells[i].ljust(widths[i]) for i in kept).rstrip()

    lines = [Text(line(header), style="bold")]
    for cells, vm in rows:
        style = f"bold {styles.get('warning', '')}".strip() if vm.outside else (
            styles.get("muted", "") if not vm.allocated else "")
        lines.append(Text(line(cells), style=style))
    return lines


def set_view_lines(reading: ReservationReading, width: int, styles: dict[str, str]) -> list[Text]:
    coverage = reading.coverage
    assert coverage is not None and reading.scale_set is not None
    lines: list[Text] = []

    def add(text: str, style: str = "", indent: int = 2) -> None:
        for piece in textwrap.wrap(text, width, subsequent_indent=" " * indent, break_on_hyphens=False) or [""]:
            lines.append(Text(piece, style=style))

    name = safe(reading.key[1])
    if coverage.group is not None:
        add(f"{name} · group {_group_words(coverage.group)}")
    elif coverage.group_id:
        add(f"{name} · group {safe(coverage.group_id)}: cannot be read", styles.get("error", ""))
    elif coverage.groups:
        add(f"{name} · no group in its profile; its VMs use "
            + ", ".join(_group_words(g) for g in coverage.groups))
    else:
        add(f"{name} is not associated with a capacity reservation group: its VMs run on regular capacity, "
            "without reserved capacity.", styles.get("warning", ""))
        how, steps, _command = association_steps(reading)
        add(how)
        for step in steps:
            add(f"  {safe(step)}", indent=4)
    outside = coverage.outside
    deallocated = sum(1 for vm in coverage.vms if not vm.allocated)
    summary = Text(f"{_plural(len(coverage.vms), 'VM')}: {coverage.covered} covered, ")
    summary.append(f"{len(outside)} outside any reservation",
                   style=styles.get("warning", "") + " bold" if outside else "")
    summary.append(f", {deallocated} deallocated")
    lines += summary.wrap(_console(), width)
    if coverage.groups and coverage.slots:
        lines.append(Text(""))
        lines += slot_table(coverage, width, styles)
        for slot in coverage.slots:
            if slot.reservation is not None and slot.others and slot.overallocated and slot.set_allocated:
                add(f"{safe(slot.reservation.name)} also holds {_plural(slot.others, 'VM')} of other sets: Azure does "
                    "not say which VMs are beyond it, so this set's newest count as outside (the most it can have)",
                    styles.get("muted", ""))
    if coverage.zone_losses:
        lines.append(Text(""))
        lines.append(Text("If a zone were lost (its VMs re-created in the set's other zones):", style="bold"))
        for loss in coverage.zone_losses:
            style = styles.get("warning", "") if loss.not_covered else ""
            add("  " + zone_loss_line(loss), style, indent=4)
    elif coverage.vms:
        lines.append(Text(""))
        add("Regional set: Azure places its VMs in no zone you can see, so there is no zone-loss view.",
            styles.get("muted", ""))
    if coverage.vms and coverage.groups:
        lines.append(Text(""))
        lines += vm_table(coverage, width, styles)
    return lines


def _users(vm_ids: tuple[str, ...]) -> str:
    """`web: 0, 3; VMs: flex_a` from a reservation's VM ids."""
    from ...domain.reservation_coverage import vm_owner

    by_owner: dict[str, list[str]] = {}
    for vm_id in vm_ids:
        owner, name = vm_owner(vm_id)
        by_owner.setdefault(safe(owner) if owner else "VMs", []).append(safe(name))
    return "; ".join(f"{owner}: {', '.join(names)}" for owner, names in by_owner.items())


def groups_view_lines(reading: ReservationReading, width: int, styles: dict[str, str]) -> list[Text]:
    """Every group (the set's first) and each reservation's utilization: which sets and VMs use it."""
    from ...domain.reservations import zone_loss

    lines: list[Text] = []

    def add(text: str, style: str = "", indent: int = 4) -> None:
        for piece in textwrap.wrap(text, width, subsequent_indent=" " * indent, break_on_hyphens=False) or [""]:
            lines.append(Text(piece, style=style))

    rg = safe(reading.key[0])
    set_group = reading.coverage.group if reading.coverage else None
    groups = sorted(reading.groups, key=lambda g: (g is not set_group, g.name.lower()))
    if not groups:
        add(f"No capacity reservation group in {rg}. Create one: capacity-reservation group create crg -g {rg}")
        return lines
    add(f"Capacity reservation groups in {rg}" + (f" ({safe(reading.key[1])} uses {safe(set_group.name)})"
                                                   if set_group else ""), "bold")
    for group in groups:
        lines.append(Text(""))
        add(f"{_group_words(group)}: {_plural(len(group.reservations), 'reservation')}, "
            f"{_plural(len(group.virtual_machines_associated), 'VM')} associated", "bold")
        if not group.reservations:
            add("  no reservation: add one with capacity-reservation create NAME --group "
                f"{safe(group.name)} -g {safe(group.resource_group)} --sku SIZE --capacity N", styles.get("muted", ""))
        for reservation in group.reservations:
            allocated = len(reservation.virtual_machines_allocated)
            where = f" {_zones_words(reservation.zones)}" if reservation.zones else " regional"
            text = (f"  {safe(reservation.name)}: {safe(reservation.sku_name)}{where}: "
                    f"{reservation.capacity} reserved, "
                    f"{allocated} allocated ({reservation.state}")
            text += f", {reservation.not_covered} not covered)" if reservation.not_covered else ")"
            text += f", {len(reservation.virtual_machines_associated)} associated"
            add(text, styles.get("warning", "") if reservation.not_covered else "")
            if reservation.virtual_machines_allocated:
                add(f"      allocated: {_users(reservation.virtual_machines_allocated)}", indent=8)
            idle = tuple(vm for vm in reservation.virtual_machines_associated
                         if not any(vm.lower() == a.lower() for a in reservation.virtual_machines_allocated))
            if idle:
                add(f"      deallocated: {_users(idle)}", styles.get("muted", ""), indent=8)
        for zone in group.zones:
            rows = [row for row in zone_loss(group, zone) if row.vms_lost]
            for row in rows:
                add(f"  lose zone {safe(zone)}: {_plural(row.vms_lost, safe(row.sku_name) + ' VM')} allocated there; "
                    f"spare in the other zones covers {row.replacements_covered}, "
                    f"{row.replacements_not_covered} not covered",
                    styles.get("warning", "") if row.replacements_not_covered else styles.get("muted", ""))
    return lines


def pane_lines(reading: ReservationReading | None, width: int, *, view: str, loading_name: str,
               styles: dict[str, str]) -> list[Text]:
    """Everything the pane shows, as lines no wider than `width` (long lines wrap, indented)."""
    width = max(20, width)
    if reading is None:
        waiting = (f"Reading capacity reservations of {safe(loading_name)}…" if loading_name
                   else "No scale set selected.")
        return [Text(waiting, style=styles.get("muted", ""))]
    if reading.coverage is None:
        style = styles.get("error", "") if reading.note.startswith("ERROR") else ""
        return [Text(piece, style=style) for piece in textwrap.wrap(safe(reading.note), width) or [""]]
    lines = (groups_view_lines if view == GROUPS_VIEW else set_view_lines)(reading, width, styles)
    return [line[:width] if line.cell_len > width else line for line in lines]


_CONSOLE: Any = None


def _console() -> Any:
    global _CONSOLE
    if _CONSOLE is None:
        from rich.console import Console

        _CONSOLE = Console(width=200, color_system=None)
    return _CONSOLE


# --- widgets ----------------------------------------------------------------------------------------

class ReservationView(TextBody):
    """The pane's text, drawn for the width it has."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reading: ReservationReading | None = None
        self.loading_name = ""
        self.view = SET_VIEW

    def _styles(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {"muted": "dim", "warning": variables.get("warning", ""), "error": variables.get("error", ""),
                "success": variables.get("success", "")}

    def _lines(self, width: int) -> list[Text]:
        return pane_lines(self.reading, width, view=self.view, loading_name=self.loading_name, styles=self._styles())


class ReservationPane(StandInPane):
    """The reservation pane of the main screen (`R`): shown in place of the instances."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "switch_view", "Groups", show=False),
        Binding("c", "associate", "Associate", show=False),
    ]

    def __init__(self, backend: Backend, *, read_only: bool, id: str | None = None) -> None:
        """It reads when shown, on `reload` (the screen's live refresh calls it) and never while hidden."""
        super().__init__(id=id)
        self.backend = backend
        self.read_only = read_only
        self.key: tuple[str, str] | None = None
        self.border_title = "Reservations"

    def compose(self) -> Any:
        yield ReservationView(id="reservation-view")

    @property
    def view(self) -> ReservationView:
        return self.query_one(ReservationView)

    @property
    def reading(self) -> ReservationReading | None:
        return self.view.reading

    def _title(self) -> None:
        what = "Reservation groups" if self.view.view == GROUPS_VIEW else "Reservations"
        self.border_title = f"{what} of {safe(self.key[1])}" if self.key else what

    def show_set(self, key: tuple[str, str] | None) -> None:
        """Show this set (None: nothing selected) and read it now."""
        if key != self.key:
            self.key = key
            view = self.view
            view.reading = None
            view.loading_name = key[1] if key else ""
            self._title()
            view.refresh(layout=True)
        self.reload()

    def reload(self) -> None:
        """Read the shown set again (only while the pane is displayed)."""
        if self.key is None or not self.display:
            return
        self.read(self.key)

    @work(thread=True, exclusive=True, group="reservations", exit_on_error=False)
    def read(self, key: tuple[str, str]) -> None:
        self.post_message(self.Loaded(read_reservations(self.backend, key[0], key[1])))

    @dataclass
    class Loaded(Message):
        reading: ReservationReading

    class KeysChanged(Message):
        """What the pane's keys do changed (a read, or the other view): the screen redraws its key bar."""

    def on_reservation_pane_loaded(self, message: ReservationPane.Loaded) -> None:
        message.stop()
        if message.reading.key != self.key:
            return
        view = self.view
        view.reading = message.reading
        view.refresh(layout=True)
        self.refresh_bindings()
        self.post_message(self.KeysChanged())

    # --- keys ---------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "associate":
            return not self.read_only and association_command(self.reading) is not None
        if action == "switch_view":
            return self.reading is not None and self.reading.coverage is not None
        return True

    def key_bar_keys(self) -> list[tuple[str, str]]:
        """The key bar while the pane has focus: what works on what it shows, most useful first."""
        keys: list[tuple[str, str]] = []
        if self.check_action("switch_view", ()) is True:
            keys.append(("g", "Set view" if self.view.view == GROUPS_VIEW else "Groups"))
        if self.check_action("associate", ()) is True:
            keys.append(("c", "Associate"))
        return keys + [("R", "Instances"), (":", "Cmd"), ("up/down", "Scroll"), ("tab", "Next pane")]

    def action_switch_view(self) -> None:
        view = self.view
        view.view = SET_VIEW if view.view == GROUPS_VIEW else GROUPS_VIEW
        self._title()
        view.refresh(layout=True)
        self.scroll_home(animate=False)
        self.post_message(self.KeysChanged())

    async def action_associate(self) -> None:
        line = association_command(self.reading)
        if line is not None:
            await self.screen.run_action(f"command_bar({line!r})")
