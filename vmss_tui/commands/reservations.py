"""Capacity reservation commands (issue 16): `capacity-reservation group create|list|show|delete` and
`capacity-reservation create|update|show|list|delete`, plus the `--capacity-reservation-group` option of
`create`, `update` and `add-vm`.

They need the backend's CapacityReservations capability. JSON is what az prints for the same resource
(`az capacity reservation group show`, `az capacity reservation show`): the ARM body of arm/reservations.py,
flattened by `arm.flatten.az_shape`. The tables add what az does not show: reserved vs allocated per size
and zone, and how many VMs run beyond the reservation (not covered by its SLA).
"""

from __future__ import annotations

from typing import Any

from ..arm import reservations as codec
from ..arm.flatten import az_shape
from ..backends.protocol import CapacityReservations
from ..domain.errors import Conflict, OperationNotAllowed, ResourceNotFound
from ..domain.reservation_coverage import Coverage, SetCoverage, set_coverage
from ..domain.reservations import CapacityReservation, CapacityReservationGroup, zone_loss
from . import formatting as fmt
from .parser import UsageError
from .resource_groups import parse_tags
from .session import Invocation, Result
from .spec import CommandSpec, ParamSpec

NAME = ParamSpec("name", "Name.", required=True, metavar="<name>")
GROUP = ParamSpec("group", "The capacity reservation group.", flags=("--group", "--capacity-reservation-group", "-c"),
                  required=True, metavar="GROUP")
LOCATION = ParamSpec("location", "Region (default: the resource group's).", flags=("--location", "-l"),
                     completion="locations", metavar="LOCATION")
TAGS = ParamSpec("tags", "Tags as key=value.", flags=("--tags",), multiple=True, metavar="KEY=VALUE")
INSTANCE_VIEW = ParamSpec("instance_view", "Add the instance view: VMs allocated per reservation.",
                          flags=("--instance-view",), kind="flag")

CAPACITY_RESERVATION_GROUP = ParamSpec(
    "capacity_reservation_group", "Capacity reservation group (name in the set's resource group, or its id); "
    "None removes it (update).", flags=("--capacity-reservation-group", "--crg"), metavar="GROUP|None")
"""The option `create`, `update` and `add-vm` take, as `az vmss create|update` and `az vm create` do."""


def group_option(args: dict[str, Any], *, allow_none: bool) -> str | None:
    """`--capacity-reservation-group`: az maps the literal 'None' to null [CLI-VM update_vmss]; "" here."""
    value = args.get("capacity_reservation_group")
    if value is None:
        return None
    if value.lower() == "none":
        if not allow_none:
            raise UsageError("InvalidArgumentValue", "--capacity-reservation-group None only applies to update.")
        return ""
    return value


def _backend(inv: Invocation) -> CapacityReservations:
    backend = inv.backend
    if not isinstance(backend, CapacityReservations):
        raise OperationNotAllowed(f"The {type(backend).__name__} backend has no capacity reservation operations.")
    return backend


def _group(inv: Invocation) -> str:
    return inv.group_for("capacity-reservation commands")


def _group_rows(group: CapacityReservationGroup) -> list[dict[str, Any]]:
    return [_reservation_row(r) for r in group.reservations]


def _reservation_row(r: CapacityReservation) -> dict[str, Any]:
    allocated = len(r.virtual_machines_allocated)
    return {"Name": r.name, "Size": r.sku_name, "Zone": ",".join(r.zones) or "-", "Reserved": r.capacity,
            "Allocated": allocated, "Associated": len(r.virtual_machines_associated), "State": r.state,
            "NotCovered": r.not_covered}


_COLUMNS = [(key, key) for key in ("Name", "Size", "Zone", "Reserved", "Allocated", "Associated", "State",
                                    "NotCovered")]


def _group_result(group: CapacityReservationGroup, *, instance_view: bool, changed: bool = False,
                  warnings: list[str] | None = None) -> Result:
    header = (f"{group.name} ({group.resource_group}, {group.location}, "
              f"{'zones ' + ','.join(group.zones) if group.zones else 'regional'}): "
              f"{len(group.virtual_machines_associated)} VM(s) associated")

    def table(_data: Any) -> str:
        rows = _group_rows(group)
        return header + ("\n" + fmt.columns_table(rows, _COLUMNS) if rows else "\nno capacity reservations")

    return Result(data=az_shape(codec.group_json(group, instance_view=instance_view)), table=table, changed=changed,
                  warnings=warnings or [])


def _reservation_result(reservation: CapacityReservation, *, instance_view: bool = True,
                        changed: bool = False) -> Result:
    row = _reservation_row(reservation)
    warnings = []
    if reservation.not_covered:
        warnings.append(f"{reservation.not_covered} VM(s) of '{reservation.name}' run beyond its reserved quantity "
                        f"({reservation.capacity}): they have no capacity SLA")
    return Result(data=az_shape(codec.reservation_json(reservation, instance_view=instance_view)),
                  table=lambda _data: fmt.key_value_table(row), changed=changed, warnings=warnings)


def _group_create(inv: Invocation) -> Result:
    args = inv.args
    group, created = _backend(inv).create_or_update_capacity_reservation_group(
        _group(inv), args["name"], location=args["location"], zones=tuple(args["zones"]),
        tags=parse_tags(args["tags"]))
    warnings = [] if created else [f"capacity reservation group '{group.name}' already existed: only tags change"]
    return _group_result(group, instance_view=False, changed=True, warnings=warnings)


def _group_list(inv: Invocation) -> Result:
    groups = _backend(inv).list_capacity_reservation_groups(inv.resource_group)

    def table(_data: Any) -> str:
        rows = [{"Name": g.name, "ResourceGroup": g.resource_group, "Location": g.location,
                 "Zones": ",".join(g.zones) or "-", "Reservations": len(g.reservations),
                 "Reserved": sum(r.capacity for r in g.reservations),
                 "Allocated": sum(len(r.virtual_machines_allocated) for r in g.reservations),
                 "Associated": len(g.virtual_machines_associated)} for g in groups]
        return fmt.columns_table(rows, [(k, k) for k in ("Name", "ResourceGroup", "Location", "Zones",
                                                         "Reservations", "Reserved", "Allocated", "Associated")])

    return Result(data=[az_shape(codec.group_json(g)) for g in groups], table=table)


def _group_show(inv: Invocation) -> Result:
    group = _backend(inv).get_capacity_reservation_group(_group(inv), inv.args["name"])
    if inv.args["lose_zone"]:
        return _zone_loss_result(group, inv.args["lose_zone"])
    return _group_result(group, instance_view=bool(inv.args["instance_view"]))


def _zone_loss_result(group: CapacityReservationGroup, zone: str) -> Result:
    """`--lose-zone Z`: what the group would still cover (an emulator view: domain/reservations.zone_loss)."""
    rows = zone_loss(group, zone)
    data = [{"skuName": r.sku_name, "reservedLeft": r.reserved_left, "allocatedLeft": r.allocated_left,
             "vmsLost": r.vms_lost, "replacementsCovered": r.replacements_covered,
             "replacementsNotCovered": r.replacements_not_covered} for r in rows]
    table_rows = [{"Size": r.sku_name, "ReservedLeft": r.reserved_left, "AllocatedLeft": r.allocated_left,
                   "VMsLost": r.vms_lost, "Covered": r.replacements_covered,
                   "NotCovered": r.replacements_not_covered} for r in rows]
    header = f"If zone {zone} of {group.name} were lost:"
    return Result(data=data, table=lambda _data: header + "\n" + fmt.columns_table(
        table_rows, [(k, k) for k in ("Size", "ReservedLeft", "AllocatedLeft", "VMsLost", "Covered", "NotCovered")]))


def _group_delete(inv: Invocation) -> Result:
    _backend(inv).delete_capacity_reservation_group(_group(inv), inv.args["name"])
    return Result(data=None, changed=True)


def _create(inv: Invocation) -> Result:
    args = inv.args
    backend = _backend(inv)
    group = _group(inv)
    try:  # create never changes an existing reservation: that is `update`'s job
        existing = backend.get_capacity_reservation(group, args["group"], args["name"])
    except ResourceNotFound:
        existing = None
    if existing is not None:
        raise Conflict(f"Capacity reservation '{existing.name}' already exists in group '{existing.group_name}'; use "
                       "'capacity-reservation update' to change its capacity.", target=args["name"])
    reservation, _created = backend.put_capacity_reservation(
        group, args["group"], args["name"], sku=args["sku"], capacity=args["capacity"],
        zones=(args["zone"],) if args["zone"] else (), location=args["location"], tags=parse_tags(args["tags"]))
    return _reservation_result(reservation, changed=True)


def _update(inv: Invocation) -> Result:
    args = inv.args
    if args["capacity"] is None and not args["tags"]:
        raise UsageError("MissingArgument", "capacity-reservation update: give --capacity N and/or --tags; only "
                                            "the capacity (and tags) of a reservation can change.")
    backend = _backend(inv)
    group = _group(inv)
    backend.get_capacity_reservation(group, args["group"], args["name"])  # update never creates
    reservation, _created = backend.put_capacity_reservation(group, args["group"], args["name"],
                                                             capacity=args["capacity"], tags=parse_tags(args["tags"]))
    return _reservation_result(reservation, changed=True)


def _show(inv: Invocation) -> Result:
    args = inv.args
    return _reservation_result(_backend(inv).get_capacity_reservation(_group(inv), args["group"], args["name"]),
                               instance_view=bool(args["instance_view"]))


def _list(inv: Invocation) -> Result:
    reservations = _backend(inv).list_capacity_reservations(_group(inv), inv.args["group"])
    return Result(data=[az_shape(codec.reservation_json(r)) for r in reservations],
                  table=lambda _data: fmt.columns_table([_reservation_row(r) for r in reservations], _COLUMNS))


def _delete(inv: Invocation) -> Result:
    args = inv.args
    _backend(inv).delete_capacity_reservation(_group(inv), args["group"], args["name"])
    return Result(data=None, changed=True)


_COVERAGE_WORDS = {Coverage.COVERED: "covered", Coverage.BEYOND: "overallocated", Coverage.DEALLOCATED: "deallocated",
                   Coverage.NO_MATCH: "none", Coverage.NOT_ASSOCIATED: "none"}
"""The JSON word for each status of the TUI's reservation pane (one judgement: `set_coverage`)."""


def coverage_rows(coverage: SetCoverage) -> list[dict[str, Any]]:
    """Each VM of a set with the reservation it draws on: `covered`, `overallocated` (beyond its reservation's
    quantity, so without the SLA: the set's newest VMs, as the TUI's pane counts them), `deallocated`
    (associated, not drawing) or `none` (no reservation: outside any reservation)."""
    return [{"instanceId": vm.instance_id, "name": vm.name, "zone": vm.zone, "vmSize": vm.vm_size,
             "powerState": vm.power_state, "capacityReservationGroup": vm.group.id if vm.group else None,
             "capacityReservation": vm.reservation.id if vm.reservation else None,
             "coverage": _COVERAGE_WORDS.get(vm.status, vm.status)}
            for vm in coverage.vms]


def _coverage(inv: Invocation) -> Result:
    assert inv.scale_set is not None
    group, name = inv.group_and_name
    backend = _backend(inv)
    coverage = set_coverage(inv.scale_set, inv.backend.list_instances(group, name),
                            backend.list_capacity_reservation_groups())
    rows = coverage_rows(coverage)
    outside = [vm.instance_id for vm in coverage.outside]
    warnings = [f"{len(outside)} VM(s) of '{name}' run outside any capacity reservation: {', '.join(outside[:10])}"
                + (" ..." if len(outside) > 10 else "")] if outside else []

    def table(_data: Any) -> str:
        shown = [{"Instance": r["instanceId"], "Zone": r["zone"] or "-", "Size": r["vmSize"], "Power": r["powerState"],
                  "Reservation": (r["capacityReservation"] or "-").rsplit("/", 1)[-1],
                  "Coverage": r["coverage"].upper() if r["coverage"] in ("none", "overallocated") else r["coverage"]}
                 for r in rows]
        return fmt.columns_table(shown, [(k, k) for k in ("Instance", "Zone", "Size", "Power", "Reservation",
                                                          "Coverage")])

    return Result(data=rows, table=table, warnings=warnings)


def _confirm_reservation_delete(inv: Invocation) -> str:
    return (f"Delete capacity reservation '{inv.args['name']}' of group '{inv.args['group']}'? Its reserved "
            "capacity is released.")


def _confirm_group_delete(inv: Invocation) -> str:
    return f"Delete capacity reservation group '{inv.args['name']}'?"


CAPACITY_RESERVATION_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "capacity-reservation group create", "Create a capacity reservation group (regional, or zonal with --zones).",
        _group_create, mutating=True,
        params=(NAME, LOCATION, ParamSpec("zones", "Availability zones, e.g. --zones 1 2 3.", flags=("--zones",),
                                          multiple=True, completion="zones", metavar="ZONE"), TAGS),
        help="Like `az capacity reservation group create`: a group reserves nothing itself; add reservations to "
             "it. Its location and zones cannot change later.",
        examples=("capacity-reservation group create crg -g practice-rg -l westeurope --zones 1 2 3",),
    ),
    CommandSpec(
        "capacity-reservation group list", "List capacity reservation groups with reserved vs allocated.",
        _group_list, examples=("capacity-reservation group list", "capacity-reservation group list -o json"),
    ),
    CommandSpec(
        "capacity-reservation group show", "Show a group: its reservations, reserved vs allocated per size and zone.",
        _group_show, params=(NAME, INSTANCE_VIEW,
                             ParamSpec("lose_zone", "What if this zone were lost: what stays reserved, how many VMs "
                                       "go, and how many replacements the other zones' spare reservations cover.",
                                       flags=("--lose-zone",), completion="zones", metavar="ZONE")),
        examples=("capacity-reservation group show crg", "capacity-reservation group show crg --instance-view -o json"),
    ),
    CommandSpec(
        "capacity-reservation group delete", "Delete an empty capacity reservation group (asks unless --yes).",
        _group_delete, mutating=True, destructive=True, params=(NAME,), confirm_text=_confirm_group_delete,
        help="Refused while it holds reservations or VMs are associated with it: delete the reservations and "
             "disassociate the VMs first.",
        examples=("capacity-reservation group delete crg --yes",),
    ),
    CommandSpec(
        "capacity-reservation create", "Reserve capacity for one VM size (and zone) in a group.", _create,
        mutating=True,
        params=(NAME, GROUP,
                ParamSpec("sku", "VM size, e.g. Standard_D2s_v3.", flags=("--sku",), required=True,
                          completion="vm_sizes", metavar="SIZE"),
                ParamSpec("capacity", "How many VMs to reserve.", flags=("--capacity",), kind="int", minimum=0,
                          required=True, metavar="N"),
                ParamSpec("zone", "Zone (required in a zonal group).", flags=("--zone", "-z"), completion="zones",
                          metavar="ZONE"),
                LOCATION, TAGS),
        help="All or nothing, and it needs quota like VMs do. One reservation per size (per zone in a zonal "
             "group); afterwards only the capacity can change.",
        examples=("capacity-reservation create res1 --group crg --sku Standard_D2s_v3 --capacity 5 --zone 1",),
    ),
    CommandSpec(
        "capacity-reservation update", "Change a reservation's capacity (0 keeps it, reserving nothing).", _update,
        mutating=True,
        params=(NAME, GROUP, ParamSpec("capacity", "New reserved quantity.", flags=("--capacity",), kind="int",
                                       minimum=0, metavar="N"), TAGS),
        examples=("capacity-reservation update res1 --group crg --capacity 0",),
    ),
    CommandSpec(
        "capacity-reservation show", "Show a reservation with the VMs allocated against it.", _show,
        params=(NAME, GROUP, INSTANCE_VIEW),
        examples=("capacity-reservation show res1 --group crg", "capacity-reservation show res1 -c crg -o json"),
    ),
    CommandSpec(
        "capacity-reservation list", "List the reservations of a group.", _list, params=(GROUP,),
        examples=("capacity-reservation list --group crg",),
    ),
    CommandSpec(
        "capacity-reservation coverage", "Each VM of a set and the reservation it draws on; VMs outside any "
        "reservation are flagged.", _coverage, needs_set=True,
        params=(ParamSpec("set", "Scale-set name (may be omitted after `use <set>`).", required=True,
                          completion="sets"),),
        help="Coverage: covered, OVERALLOCATED (its reservation has more VMs allocated than reserved: some run "
             "without the capacity SLA), deallocated (associated, not drawing), NONE (outside any reservation).",
        examples=("capacity-reservation coverage web", "capacity-reservation coverage web -o json"),
    ),
    CommandSpec(
        "capacity-reservation delete", "Delete a reservation (asks unless --yes).", _delete, mutating=True,
        destructive=True, params=(NAME, GROUP), confirm_text=_confirm_reservation_delete,
        help="Refused while VMs are associated with it (deallocated ones too): disassociate them first.",
        examples=("capacity-reservation delete res1 --group crg --yes",),
    ),
)
