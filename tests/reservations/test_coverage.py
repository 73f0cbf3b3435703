"""domain/reservation_coverage.py: what a set's reservations cover, with Azure's figures ([CR-OVERVIEW],
[CR-OVERALLOC]).

The values are built by hand as Azure reports them (`virtualMachinesAssociated`, `utilizationInfo.
virtualMachinesAllocated`), so these tests hold for the live adapter as much as for the emulator; one test at the
end reads them from the emulator.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from vmss_tui.domain.models import (
    Instance,
    OrchestrationMode,
    PowerState,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    UpgradeMode,
)
from vmss_tui.domain.reservation_coverage import Coverage, set_coverage, vm_owner
from vmss_tui.domain.reservations import CapacityReservation, CapacityReservationGroup

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute"
GROUP_ID = f"{SUB}/capacityReservationGroups/crg"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
SIZE = "Standard_D2s_v3"


def vm_id(set_name: str, instance_id: str) -> str:
    return f"{SUB}/virtualMachineScaleSets/{set_name}/virtualMachines/{instance_id}"


def scale_set(name: str = "web", zones: tuple[str, ...] = ("1", "2", "3"), group: str | None = GROUP_ID) -> ScaleSet:
    return ScaleSet(name=name, resource_group="rg", location="eastus", orchestration_mode=OrchestrationMode.UNIFORM,
                    capacity=0, vm_size=SIZE, image=None, platform_fault_domain_count=1, zones=zones,
                    single_placement_group=False, scale_in_policy=ScaleInRule.DEFAULT,
                    upgrade_policy=UpgradeMode.MANUAL, provisioning_state=ProvisioningState.SUCCEEDED, time_created=T0,
                    id=f"{SUB}/virtualMachineScaleSets/{name}",
                    capacity_reservation_group=group)


def instance(number: int, zone: str | None = "1", power: PowerState = PowerState.RUNNING, set_name: str = "web",
             size: str = SIZE) -> Instance:
    return Instance(instance_id=str(number), name=f"{set_name}_{number}", computer_name=f"{set_name}{number:06d}",
                    scale_set_name=set_name, resource_group="rg", zone=zone, fault_domain=0, update_domain=0,
                    power_state=power, provisioning_state=ProvisioningState.SUCCEEDED, latest_model_applied=True,
                    protect_from_scale_in=False, protect_from_scale_set_actions=False, vm_size=size,
                    time_created=T0 + timedelta(minutes=number), id=vm_id(set_name, str(number)))


def reservation(name: str, capacity: int, associated: list[str], allocated: list[str],
                zone: str | None = "1", size: str = SIZE) -> CapacityReservation:
    return CapacityReservation(
        name=name, group_name="crg", resource_group="rg", location="eastus", sku_name=size, capacity=capacity,
        zones=(zone,) if zone else (), id=f"{GROUP_ID}/capacityReservations/{name}", reservation_id="r",
        time_created=T0, provisioning_time=T0, provisioning_state="Succeeded", platform_fault_domain_count=1,
        virtual_machines_associated=tuple(associated), virtual_machines_allocated=tuple(allocated))


def group(*reservations: CapacityReservation, zones: tuple[str, ...] = ("1", "2", "3")) -> CapacityReservationGroup:
    associated = tuple(vm for r in reservations for vm in r.virtual_machines_associated)
    return CapacityReservationGroup(name="crg", resource_group="rg", location="eastus", zones=zones, id=GROUP_ID,
                                    reservations=reservations, virtual_machines_associated=associated)


def test_capacity_2_with_3_vms_leaves_the_newest_beyond_the_reservation() -> None:
    # [CR-OVERVIEW]'s example: capacity 2, three VMs -> allocated 3, associated 3 (overallocated by 1)
    ids = [vm_id("web", str(n)) for n in range(3)]
    coverage = set_coverage(scale_set(zones=("1",)), [instance(n) for n in range(3)],
                            [group(reservation("res1", 2, ids, ids), zones=("1",))])
    assert [vm.status for vm in coverage.vms] == [Coverage.COVERED, Coverage.COVERED, Coverage.BEYOND]
    assert [vm.instance_id for vm in coverage.outside] == ["2"]
    (slot,) = coverage.slots
    assert (slot.reserved, slot.allocated, slot.associated, slot.overallocated, slot.set_outside) == (2, 3, 3, 1, 1)


def test_a_deallocated_vm_stays_associated_and_stops_drawing() -> None:
    # [CR-OVERVIEW]: deallocate VM0 -> allocated 2, associated 3; nothing runs beyond the reservation any more
    ids = [vm_id("web", str(n)) for n in range(3)]
    vms = [instance(0, power=PowerState.DEALLOCATED), instance(1), instance(2)]
    coverage = set_coverage(scale_set(zones=("1",)), vms, [group(reservation("res1", 2, ids, ids[1:]), zones=("1",))])
    assert [vm.status for vm in coverage.vms] == [Coverage.DEALLOCATED, Coverage.COVERED, Coverage.COVERED]
    assert coverage.outside == () and coverage.covered == 2 and coverage.allocated == 2
    (slot,) = coverage.slots
    assert (slot.allocated, slot.associated, slot.overallocated) == (2, 3, 0)


def test_vms_of_other_sets_take_the_reserved_quantity_first() -> None:
    mine = [vm_id("web", "0"), vm_id("web", "1")]
    theirs = [vm_id("api", "0")]
    res = reservation("res1", 2, mine + theirs, theirs + mine)
    coverage = set_coverage(scale_set(zones=("1",)), [instance(0), instance(1)], [group(res, zones=("1",))])
    assert [vm.status for vm in coverage.vms] == [Coverage.COVERED, Coverage.BEYOND]
    (slot,) = coverage.slots
    assert slot.others == 1 and slot.set_allocated == 2 and slot.overallocated == 1


def test_vms_without_a_group_run_outside_unless_deallocated() -> None:
    coverage = set_coverage(scale_set(group=None), [instance(0), instance(1, power=PowerState.DEALLOCATED),
                                                    instance(2, power=PowerState.STOPPED)], [])
    assert [vm.status for vm in coverage.vms] == [Coverage.NOT_ASSOCIATED] * 3
    assert [vm.instance_id for vm in coverage.outside] == ["0", "2"]  # stopped but allocated still holds hardware
    (slot,) = coverage.slots
    assert slot.reservation is None and slot.set_outside == 2 and slot.zone == "1"
    assert coverage.group is None and coverage.groups == ()


def test_a_vm_whose_size_the_group_does_not_reserve_has_no_matching_reservation() -> None:
    big = instance(1, size="Standard_D4s_v3")
    res = reservation("res1", 2, [vm_id("web", "0")], [vm_id("web", "0")])
    grp = CapacityReservationGroup(name="crg", resource_group="rg", location="eastus", zones=("1",), id=GROUP_ID,
                                   reservations=(res,), virtual_machines_associated=(vm_id("web", "0"), big.id))
    coverage = set_coverage(scale_set(zones=("1",)), [instance(0), big], [grp])
    assert [vm.status for vm in coverage.vms] == [Coverage.COVERED, Coverage.NO_MATCH]
    assert [vm.instance_id for vm in coverage.outside] == ["1"]
    assert [(s.sku_name, s.reservation is None) for s in coverage.slots] == [(SIZE, False), ("Standard_D4s_v3", True)]


def test_ids_in_azures_upper_case_still_match() -> None:
    upper = vm_id("web", "0").upper()
    coverage = set_coverage(scale_set(group=GROUP_ID.upper(), zones=("1",)), [instance(0)],
                            [group(reservation("res1", 1, [upper], [upper]), zones=("1",))])
    assert coverage.vms[0].status == Coverage.COVERED and coverage.group is not None


def zonal_estate() -> tuple[ScaleSet, list[Instance], list[CapacityReservationGroup]]:
    """Zones 1-3 reserve 2 each; web runs 1 VM in zone 1, 3 in zone 2 (one beyond), 1 in zone 3."""
    vms = [instance(0, "1"), instance(1, "2"), instance(2, "2"), instance(3, "2"), instance(4, "3")]
    by_zone = {z: [v.id for v in vms if v.zone == z] for z in "123"}
    grp = group(*(reservation(f"res{z}", 2, by_zone[z], by_zone[z], zone=z) for z in "123"))
    return scale_set(), vms, [grp]


def test_losing_a_zone_tells_what_must_be_recreated_and_what_the_other_zones_cover() -> None:
    coverage = set_coverage(*zonal_estate())
    losses = {loss.zone: loss for loss in coverage.zone_losses}
    lose2 = losses["2"]
    assert lose2.to_recreate == ("1", "2", "3")
    assert (lose2.covered, lose2.not_covered, lose2.covering_zones) == (2, 1, ("1", "3"))
    lose1 = losses["1"]  # zone 2 has no spare (3 allocated, 2 reserved): only zone 3's spare covers
    assert (len(lose1.to_recreate), lose1.covered, lose1.not_covered, lose1.covering_zones) == (1, 1, 0, ("3",))
    assert [vm.instance_id for vm in coverage.outside] == ["3"]


def test_a_single_zone_set_has_nowhere_to_recreate() -> None:
    ids = [vm_id("web", "0")]
    coverage = set_coverage(scale_set(zones=("1",)), [instance(0)],
                            [group(reservation("res1", 1, ids, ids), reservation("res2", 5, [], [], zone="2"))])
    (loss,) = coverage.zone_losses
    assert loss.remaining_zones == () and loss.covered == 0 and loss.not_covered == 1


def test_a_regional_reservation_covers_any_zone() -> None:
    ids = [vm_id("web", "0")]
    regional = group(reservation("res", 3, ids, ids, zone=None), zones=())
    coverage = set_coverage(scale_set(zones=("1", "2")), [instance(0, "1")], [regional])
    assert coverage.vms[0].status == Coverage.COVERED
    lose1 = coverage.zone_losses[0]
    assert (lose1.covered, lose1.covering_zones) == (1, ("regional",))


def test_a_set_without_a_group_has_nothing_covered_after_a_zone_loss() -> None:
    coverage = set_coverage(scale_set(group=None, zones=("1", "2")), [instance(0, "1")], [])
    assert (coverage.zone_losses[0].covered, coverage.zone_losses[0].not_covered) == (0, 1)


def test_vm_owner_reads_both_kinds_of_id() -> None:
    assert vm_owner(vm_id("web", "3")) == ("web", "3")
    assert vm_owner(f"{SUB}/virtualMachines/flex_vm1".upper()) == (None, "FLEX_VM1")


def test_the_emulator_reports_what_the_coverage_needs(tmp_path) -> None:
    from vmss_tui.backends import open_backend
    from vmss_tui.commands import Session, run_line

    backend = open_backend("emulator", db=tmp_path / "db", speed="instant", durable=False)
    session = Session(backend)
    for line in ("group create lab -l westeurope", "capacity-reservation group create crg -g lab --zones 1 2",
                 "capacity-reservation create res1 -g lab --group crg --sku Standard_D2s_v3 --capacity 1 --zone 1",
                 "capacity-reservation create res2 -g lab --group crg --sku Standard_D2s_v3 --capacity 2 --zone 2",
                 "create web -g lab --mode uniform --capacity 4 --zones 1 2 --vm-size Standard_D2s_v3 "
                 "--capacity-reservation-group crg"):
        assert run_line(line, session).exit_code == 0, line
    web = backend.get_scale_set("lab", "web")
    coverage = set_coverage(web, backend.list_instances("lab", "web"), backend.list_capacity_reservation_groups("lab"))
    per_zone = {slot.zone: (slot.reserved, slot.allocated, slot.overallocated) for slot in coverage.slots}
    assert per_zone == {"1": (1, 2, 1), "2": (2, 2, 0)}
    assert [(vm.zone, vm.status) for vm in coverage.outside] == [("1", Coverage.BEYOND)]
    backend.close()
