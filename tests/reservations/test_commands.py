"""`capacity-reservation ...` commands and `--capacity-reservation-group` on create/update/add-vm."""

from __future__ import annotations

from vmss_tui.commands import Session, run_line


def ok(line: str, session: Session):
    outcome = run_line(line, session)
    assert outcome.exit_code == 0, outcome.error
    return outcome


def setup(session: Session, capacity: int = 2) -> None:
    ok("group create lab -l westeurope", session)
    ok("capacity-reservation group create crg -g lab --zones 1 2", session)
    ok(f"capacity-reservation create res1 -g lab --group crg --sku Standard_D2s_v3 --capacity {capacity} --zone 1",
       session)


def test_group_and_reservation_print_azs_flattened_shape(session: Session) -> None:
    setup(session)
    group = ok("capacity-reservation group show crg -g lab --instance-view", session).data
    assert group["type"] == "Microsoft.Compute/capacityReservationGroups" and group["zones"] == ["1", "2"]
    assert group["resourceGroup"] == "lab" and "properties" not in group
    assert [r["id"].rsplit("/", 1)[1] for r in group["capacityReservations"]] == ["res1"]
    assert group["instanceView"]["capacityReservations"][0]["name"] == "res1"
    res = ok("capacity-reservation show res1 -g lab -c crg --instance-view", session).data
    assert res["sku"] == {"capacity": 2, "name": "Standard_D2s_v3"} and res["zones"] == ["1"]
    assert res["provisioningState"] == "Succeeded" and res["reservationId"]
    assert res["instanceView"]["utilizationInfo"]["virtualMachinesAllocated"] == []


def test_create_update_and_add_vm_take_the_group_and_the_table_flags_overallocation(session: Session) -> None:
    setup(session)
    ok("create web -g lab --mode uniform --capacity 2 --zones 1 --capacity-reservation-group crg", session)
    shown = ok("show web -g lab", session).data
    assert shown["virtualMachineProfile"]["capacityReservation"]["capacityReservationGroup"]["id"].endswith("/crg")
    ok("scale web 3 -g lab", session)
    table = ok("capacity-reservation group show crg -g lab -o table", session).rendered
    assert "overallocated" in table and "3 VM(s) associated" in table
    outcome = ok("capacity-reservation show res1 -g lab --group crg", session)
    assert any("no capacity SLA" in w for w in outcome.warnings)
    refused = run_line("update web -g lab --capacity-reservation-group None", session)
    assert refused.exit_code == 1 and "OperationNotAllowed" in refused.error
    ok("capacity-reservation update res1 -g lab --group crg --capacity 0", session)
    ok("update web -g lab --capacity-reservation-group None", session)


def test_flexible_without_profile_first_vm_carries_the_group(session: Session) -> None:
    setup(session)
    ok("create flex -g lab --mode flexible --no-vm-profile --capacity 0 --zones 1", session)
    ok("add-vm flex -g lab --name vm1 --zone 1 --vm-size Standard_D2s_v3 --capacity-reservation-group crg", session)
    res = ok("capacity-reservation show res1 -g lab --group crg", session).data
    assert [vm["id"].rsplit("/", 1)[1] for vm in res["virtualMachinesAssociated"]] == ["vm1"]


def test_refusals_are_one_line_azure_errors(session: Session) -> None:
    setup(session)
    unsupported = run_line("capacity-reservation create r2 -g lab --group crg --sku Standard_A0 --capacity 1 --zone 1",
                           session)
    assert unsupported.exit_code == 1
    assert unsupported.error == "ERROR: (NotSupported) Capacity Reservation is not supported for VM size Standard_A0."
    again = run_line("capacity-reservation create res1 -g lab --group crg --sku Standard_D2s_v3 --capacity 9 --zone 1",
                     session)
    assert again.exit_code == 1 and "Conflict" in again.error
    assert ok("capacity-reservation show res1 -g lab --group crg", session).data["sku"]["capacity"] == 2
    nested = run_line("capacity-reservation group delete crg -g lab --yes", session)
    assert nested.exit_code == 1 and "CannotDeleteResource" in nested.error
    ok("capacity-reservation delete res1 -g lab --group crg --yes", session)
    ok("capacity-reservation group delete crg -g lab --yes", session)
    assert ok("capacity-reservation group list -g lab", session).data == []


def test_create_refuses_none_and_control_characters_are_escaped(session: Session) -> None:
    setup(session)
    outcome = run_line("create web -g lab --mode uniform --capacity-reservation-group None", session)
    assert outcome.exit_code == 2
    bad = run_line("capacity-reservation group show 'a\x1b[31m' -g lab", session)
    assert bad.exit_code != 0 and "\x1b" not in (bad.error or "")


def test_lose_zone_shows_what_the_other_zones_reservations_still_cover(session: Session) -> None:
    setup(session, capacity=3)
    ok("capacity-reservation create res2 -g lab --group crg --sku Standard_D2s_v3 --capacity 2 --zone 2", session)
    ok("create web -g lab --mode uniform --capacity 4 --zones 1 2 --capacity-reservation-group crg", session)
    rows = ok("capacity-reservation group show crg -g lab --lose-zone 1", session).data
    assert rows == [{"skuName": "Standard_D2s_v3", "reservedLeft": 2, "allocatedLeft": 2, "vmsLost": 2,
                     "replacementsCovered": 0, "replacementsNotCovered": 2}]
    ok("capacity-reservation update res2 -g lab --group crg --capacity 3", session)
    rows = ok("capacity-reservation group show crg -g lab --lose-zone 1", session).data
    assert rows[0]["replacementsCovered"] == 1 and rows[0]["replacementsNotCovered"] == 1
    assert run_line("capacity-reservation group show crg -g lab --lose-zone 3", session).exit_code == 1


def test_coverage_shows_each_vm_and_flags_those_outside_any_reservation(session: Session) -> None:
    setup(session, capacity=2)
    ok("create web -g lab --mode uniform --capacity 2 --zones 1 --capacity-reservation-group crg "
       "--upgrade-policy Manual", session)
    rows = ok("capacity-reservation coverage web -g lab", session).data
    assert [(r["instanceId"], r["coverage"]) for r in rows] == [("0", "covered"), ("1", "covered")]
    ok("scale web 3 -g lab", session)
    outcome = ok("capacity-reservation coverage web -g lab", session)
    # Two reserved, three allocated: the newest VM is the one beyond the reservation, as the TUI's pane says.
    assert [(r["instanceId"], r["coverage"]) for r in outcome.data] == [
        ("0", "covered"), ("1", "covered"), ("2", "overallocated")]
    assert any("outside any capacity reservation: 2" in w for w in outcome.warnings)
    ok("create plain -g lab --mode uniform --capacity 1 --zones 1", session)
    outcome = ok("capacity-reservation coverage plain -g lab", session)
    assert outcome.data[0]["coverage"] == "none" and outcome.data[0]["capacityReservation"] is None
    assert any("outside any capacity reservation" in w for w in outcome.warnings)
    assert "NONE" in ok("capacity-reservation coverage plain -g lab -o table", session).rendered
