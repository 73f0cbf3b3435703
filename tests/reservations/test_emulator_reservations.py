"""Capacity reservations in the emulator: seed-features D.5 vectors D1-D24 and seed 004's association paths."""

from __future__ import annotations

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.domain import errors
from vmss_tui.domain.models import (
    OrchestrationMode,
    PowerAction,
    PowerState,
    Priority,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    VmSpec,
)

RG = "rg"
UNIFORM = OrchestrationMode.UNIFORM
FLEXIBLE = OrchestrationMode.FLEXIBLE


@pytest.fixture
def emu(tmp_path):
    backend = open_backend("emulator", db=tmp_path / "db", speed="instant", durable=False)
    backend.create_or_update_resource_group(RG, "eastus")
    yield backend
    backend.close()


def zonal_group(emu, name="crg", zones=("1", "2", "3")):
    group, created = emu.create_or_update_capacity_reservation_group(RG, name, location="eastus", zones=zones)
    return group, created


def uniform_spec(name="web", capacity=3, zones=("1",), group="crg", **extra):
    fields = dict(name=name, resource_group=RG, orchestration_mode=UNIFORM, capacity=capacity,
                  vm_size="Standard_D2s_v3", zones=zones, single_placement_group=False,
                  capacity_reservation_group=group)
    fields.update(extra)
    return ScaleSetSpec(**fields)


def reservation(emu, group="crg"):
    return emu.get_capacity_reservation(RG, group, "res1")


def test_d1_a_group_reserves_nothing_and_starts_empty(emu):
    group, created = zonal_group(emu)
    assert created and group.zones == ("1", "2", "3") and group.reservations == ()
    assert group.id.endswith("/providers/Microsoft.Compute/capacityReservationGroups/crg")


def test_d2_a_reservation_shows_its_sku_zone_and_reservation_id(emu):
    zonal_group(emu)
    res, created = emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=5, zones=("1",))
    got = reservation(emu)
    assert created and got.sku_name == "Standard_D2s_v3" and got.capacity == 5 and got.zones == ("1",)
    assert got.reservation_id and got.provisioning_state == "Succeeded" and got.state == "available"


def test_d3_d4_one_reservation_per_size_and_zone(emu):
    zonal_group(emu)
    emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=5, zones=("1",))
    with pytest.raises(errors.Conflict):
        emu.put_capacity_reservation(RG, "crg", "res2", sku="Standard_D2s_v3", capacity=1, zones=("1",))
    emu.put_capacity_reservation(RG, "crg", "res3", sku="Standard_D2s_v3", capacity=1, zones=("2",))
    assert [r.name for r in emu.get_capacity_reservation_group(RG, "crg").reservations] == ["res1", "res3"]


def test_d5_the_reservation_location_must_be_the_groups(emu):
    emu.create_or_update_capacity_reservation_group(RG, "regional", location="eastus")
    with pytest.raises(errors.InvalidParameter, match="does not match the location"):
        emu.put_capacity_reservation(RG, "regional", "res1", sku="Standard_D2s_v3", capacity=1, location="westus")


def test_d6_an_unsupported_size_gets_azures_not_supported(emu):
    zonal_group(emu)
    with pytest.raises(errors.AzureError) as caught:
        emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_A0", capacity=1, zones=("1",))
    assert caught.value.code == "NotSupported"
    assert caught.value.message == "Capacity Reservation is not supported for VM size Standard_A0."
    with pytest.raises(errors.AzureError, match="not supported for VM size Standard_M8ms"):
        emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_M8ms", capacity=1, zones=("1",))


def test_d7_a_reservation_beyond_quota_fails_entirely(emu):
    zonal_group(emu)
    emu.set_quota("eastus", "standardDSv3Family", 16)  # 8 x D2s_v3
    with pytest.raises(errors.QuotaExceeded):
        emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=10, zones=("1",))
    assert emu.get_capacity_reservation_group(RG, "crg").reservations == ()
    emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=8, zones=("1",))
    assert emu.quota_usage("eastus")["standardDSv3Family"] == (16, 16)  # reserved capacity holds quota


def test_vms_in_a_reservation_draw_on_its_quota_not_more(emu):
    zonal_group(emu)
    emu.set_quota("eastus", "standardDSv3Family", 16)
    emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=8, zones=("1",))
    emu.create_scale_set(uniform_spec(capacity=8))  # covered: no quota beyond the reservation's
    assert emu.quota_usage("eastus")["standardDSv3Family"] == (16, 16)
    with pytest.raises(errors.QuotaExceeded):  # a ninth is not covered and needs quota of its own
        emu.set_capacity(RG, "web", 9)


def make_d8(emu, capacity=5):
    zonal_group(emu)
    emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=capacity, zones=("1",))


def test_d8_uniform_instances_are_associated_and_allocated(emu):
    make_d8(emu)
    emu.create_scale_set(uniform_spec())
    got = reservation(emu)
    suffixes = sorted(vm_id.rsplit("/", 3)[-3:][0] + "/" + vm_id.rsplit("/", 1)[1] for vm_id in got.virtual_machines_allocated)
    assert suffixes == ["web/0", "web/1", "web/2"]
    assert "/virtualMachineScaleSets/web/virtualMachines/0" in got.virtual_machines_allocated[0]
    group = emu.get_capacity_reservation_group(RG, "crg")
    assert len(group.virtual_machines_associated) == 3
    assert emu.get_scale_set(RG, "web").capacity_reservation_group == group.id


def test_d8_a_group_given_by_id_in_any_case_works(emu):
    make_d8(emu)
    group_id = emu.get_capacity_reservation_group(RG, "crg").id.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")
    emu.create_scale_set(uniform_spec(group=group_id.replace(group_id.split("/")[2], emu.info().subscription_id)))
    assert len(reservation(emu).virtual_machines_allocated) == 3


def test_d9_single_placement_group_true_is_refused(emu):
    make_d8(emu)
    with pytest.raises(errors.InvalidParameter, match="singlePlacementGroup set to false"):
        emu.create_scale_set(uniform_spec(single_placement_group=True))


def test_d10_a_size_the_group_lacks_is_refused(emu):
    make_d8(emu)
    with pytest.raises(errors.InvalidParameter, match="no capacity reservation for VM size Standard_D4s_v3"):
        emu.create_scale_set(uniform_spec(vm_size="Standard_D4s_v3"))


def test_d11_a_zone_the_group_lacks_is_refused(emu):
    emu.create_or_update_capacity_reservation_group(RG, "crg", location="eastus", zones=("1",))
    emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=5, zones=("1",))
    with pytest.raises(errors.InvalidParameter, match="zones must match"):
        emu.create_scale_set(uniform_spec(zones=("2",)))
    with pytest.raises(errors.InvalidParameter, match="zones must match"):  # regional set, zonal group
        emu.create_scale_set(uniform_spec(zones=(), platform_fault_domain_count=1))


def test_d12_spot_is_refused(emu):
    make_d8(emu)
    with pytest.raises(errors.AzureError, match="Spot") as caught:
        emu.create_scale_set(uniform_spec(priority=Priority.SPOT))
    assert caught.value.code == "NotSupported"


def test_d13_more_than_three_fault_domains_is_refused(emu):
    emu.create_or_update_capacity_reservation_group(RG, "regional", location="eastus")
    emu.put_capacity_reservation(RG, "regional", "res1", sku="Standard_D2s_v3", capacity=5)
    with pytest.raises(errors.AzureError, match="at most 3 fault domains") as caught:
        emu.create_scale_set(uniform_spec(group="regional", zones=(), platform_fault_domain_count=5))
    assert caught.value.code == "NotSupported"


def test_d14_overallocation_is_allowed_and_flagged(emu):
    make_d8(emu, capacity=2)
    emu.create_scale_set(uniform_spec(capacity=2))
    assert reservation(emu).state == "consumed"
    emu.set_capacity(RG, "web", 3)
    got = reservation(emu)
    assert len(got.virtual_machines_allocated) == 3 and got.state == "overallocated" and got.not_covered == 1


def test_d15_a_deallocated_vm_stays_associated_but_is_not_allocated(emu):
    make_d8(emu, capacity=2)
    emu.create_scale_set(uniform_spec(capacity=3))
    emu.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"])
    got = reservation(emu)
    assert len(got.virtual_machines_allocated) == 2 and len(got.virtual_machines_associated) == 3


def test_d16_a_reservation_with_associated_vms_cannot_be_deleted(emu):
    make_d8(emu)
    emu.create_scale_set(uniform_spec())
    emu.power_action(RG, "web", PowerAction.DEALLOCATE)  # deallocated VMs are still associated
    with pytest.raises(errors.OperationNotAllowed, match="cannot be deleted while virtual machines are associated"):
        emu.delete_capacity_reservation(RG, "crg", "res1")
    assert reservation(emu).capacity == 5  # nothing changed


def test_d17_a_group_with_a_reservation_cannot_be_deleted_then_the_right_order_works(emu):
    make_d8(emu)
    with pytest.raises(errors.AzureError) as caught:
        emu.delete_capacity_reservation_group(RG, "crg")
    assert caught.value.code == "CannotDeleteResource" and caught.value.http_status == 409
    emu.delete_capacity_reservation(RG, "crg", "res1")
    emu.delete_capacity_reservation_group(RG, "crg")
    with pytest.raises(errors.ResourceNotFound):
        emu.get_capacity_reservation_group(RG, "crg")


def test_a_group_with_associated_vms_and_no_reservation_cannot_be_deleted(emu):
    emu.create_or_update_capacity_reservation_group(RG, "crg", location="eastus")
    emu.create_scale_set(ScaleSetSpec(name="flex", resource_group=RG, orchestration_mode=FLEXIBLE,
                                      with_vm_profile=False, capacity=0, location="eastus"))
    emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=1)
    emu.add_vm(RG, "flex", VmSpec(name="vm1", vm_size="Standard_D2s_v3", capacity_reservation_group="crg"))
    emu.power_action(RG, "flex", PowerAction.DEALLOCATE)
    emu.put_capacity_reservation(RG, "crg", "res1", capacity=0)
    with pytest.raises(errors.OperationNotAllowed):
        emu.delete_capacity_reservation(RG, "crg", "res1")


def test_d18_removing_the_group_from_a_running_set_is_refused_until_deallocated(emu):
    make_d8(emu)
    emu.create_scale_set(uniform_spec(upgrade_policy=UpgradeMode.AUTOMATIC))
    with pytest.raises(errors.OperationNotAllowed, match="deallocate it first"):
        emu.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group=""))
    emu.power_action(RG, "web", PowerAction.DEALLOCATE)
    emu.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group=""))
    assert emu.get_scale_set(RG, "web").capacity_reservation_group is None
    assert reservation(emu).virtual_machines_associated == ()
    emu.delete_capacity_reservation(RG, "crg", "res1")  # nothing associated any more


def test_d19_capacity_zero_lets_the_group_go_without_deallocating(emu):
    make_d8(emu)
    emu.create_scale_set(uniform_spec(upgrade_policy=UpgradeMode.AUTOMATIC))
    emu.put_capacity_reservation(RG, "crg", "res1", capacity=0)
    assert reservation(emu).state == "overallocated"
    emu.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group=""))
    assert all(i.power_state is PowerState.RUNNING for i in emu.list_instances(RG, "web"))
    assert reservation(emu).virtual_machines_associated == ()


def test_d20_existing_uniform_set_manual_mode_needs_update_instances(emu):
    make_d8(emu)
    emu.create_scale_set(uniform_spec(group=None, upgrade_policy=UpgradeMode.MANUAL))
    with pytest.raises(errors.OperationNotAllowed, match="deallocate it"):  # step 0: deallocate first
        emu.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group="crg"))
    emu.power_action(RG, "web", PowerAction.DEALLOCATE)
    emu.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group="crg"))
    assert reservation(emu).virtual_machines_associated == ()  # Manual: not yet
    assert not any(i.latest_model_applied for i in emu.list_instances(RG, "web"))
    emu.upgrade_instances(RG, "web")
    emu.power_action(RG, "web", PowerAction.START)
    got = reservation(emu)
    assert len(got.virtual_machines_associated) == 3 and len(got.virtual_machines_allocated) == 3


def test_existing_uniform_set_automatic_mode_associates_at_once(emu):
    make_d8(emu)
    emu.create_scale_set(uniform_spec(group=None, upgrade_policy=UpgradeMode.AUTOMATIC))
    emu.set_capacity(RG, "web", 0)  # capacity 0 is the other way in
    emu.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group="crg"))
    emu.set_capacity(RG, "web", 2)
    assert len(reservation(emu).virtual_machines_allocated) == 2


def test_d21_seed_004_option_1_flexible_set_with_a_profile(emu):
    make_d8(emu)
    emu.create_scale_set(ScaleSetSpec(name="flex", resource_group=RG, orchestration_mode=FLEXIBLE, capacity=2,
                                      vm_size="Standard_D2s_v3", zones=("1",), capacity_reservation_group="crg"))
    got = reservation(emu)
    assert len(got.virtual_machines_allocated) == 2
    assert all("/providers/Microsoft.Compute/virtualMachines/flex_" in vm for vm in got.virtual_machines_allocated)
    emu.set_capacity(RG, "flex", 3)  # later VMs from the profile draw on it too
    assert len(reservation(emu).virtual_machines_allocated) == 3


def test_seed_004_option_2_flexible_set_without_a_profile_first_vm(emu):
    make_d8(emu)
    emu.create_scale_set(ScaleSetSpec(name="flex", resource_group=RG, orchestration_mode=FLEXIBLE, capacity=0,
                                      with_vm_profile=False, zones=("1",)))
    emu.add_vm(RG, "flex", VmSpec(name="vm1", vm_size="Standard_D2s_v3", zone="1", capacity_reservation_group="crg"))
    assert emu.get_scale_set(RG, "flex").capacity_reservation_group is not None
    emu.add_vm(RG, "flex", VmSpec(name="vm2", vm_size="Standard_D2s_v3", zone="1"))  # follows the first VM's group
    allocated = reservation(emu).virtual_machines_allocated
    assert [vm.rsplit("/", 1)[1] for vm in allocated] == ["vm1", "vm2"]


def test_d22_seed_004_existing_flexible_set_two_steps(emu):
    make_d8(emu)
    emu.create_scale_set(ScaleSetSpec(name="flex", resource_group=RG, orchestration_mode=FLEXIBLE, capacity=2,
                                      vm_size="Standard_D2s_v3", zones=("1",), upgrade_policy=UpgradeMode.MANUAL))
    emu.power_action(RG, "flex", PowerAction.DEALLOCATE)
    emu.update_scale_set(RG, "flex", ScaleSetUpdate(capacity_reservation_group="crg"))  # step 1: the set
    assert reservation(emu).virtual_machines_associated == ()
    emu.upgrade_instances(RG, "flex")  # step 2: the VMs deployed, per the upgrade mode
    assert len(reservation(emu).virtual_machines_associated) == 2


def test_d23_only_capacity_may_change(emu):
    make_d8(emu)
    with pytest.raises(errors.PropertyChangeNotAllowed, match="sku.name"):
        emu.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D4s_v3", capacity=5)
    with pytest.raises(errors.PropertyChangeNotAllowed, match="zones"):
        emu.put_capacity_reservation(RG, "crg", "res1", capacity=5, zones=("2",))
    emu.put_capacity_reservation(RG, "crg", "res1", capacity=7)
    assert reservation(emu).capacity == 7


def test_d24_ppg_and_ultrassd_are_refused_by_the_rule():
    from vmss_tui.domain.reservations import AssociationTarget, check_association
    base = dict(name="web", location="eastus", zones=("1",), vm_size="Standard_D2s_v3")
    slots = [("standard_d2s_v3", "1")]
    for extra, text in (({"proximity_placement_group": True}, "proximity placement group"),
                        ({"ultra_ssd": True}, "UltraSSD")):
        with pytest.raises(errors.AzureError, match=text) as caught:
            check_association(AssociationTarget(**base, **extra), group_name="crg", group_location="eastus",
                              group_zones=("1",), slots=slots)
        assert caught.value.code == "NotSupported"


def test_start_and_add_vm_draw_on_the_reservation(emu):
    make_d8(emu, capacity=1)
    emu.create_scale_set(uniform_spec(capacity=2))
    emu.power_action(RG, "web", PowerAction.DEALLOCATE)
    assert reservation(emu).virtual_machines_allocated == ()
    emu.power_action(RG, "web", PowerAction.START, ["1"])
    assert [vm.rsplit("/", 1)[1] for vm in reservation(emu).virtual_machines_allocated] == ["1"]


def test_the_group_region_must_match_the_sets(emu):
    emu.create_or_update_capacity_reservation_group(RG, "west", location="westus")
    emu.put_capacity_reservation(RG, "west", "res1", sku="Standard_D2s_v3", capacity=1)
    with pytest.raises(errors.InvalidParameter, match="region must match"):
        emu.create_scale_set(uniform_spec(group="west", zones=(), location="eastus", platform_fault_domain_count=1))


def test_bad_names_are_refused_before_anything_is_stored(emu):
    with pytest.raises(errors.InvalidResourceName):
        emu.create_or_update_capacity_reservation_group(RG, "../etc", location="eastus")
    with pytest.raises(errors.InvalidResourceName):
        emu.put_capacity_reservation(RG, "crg", "a\x1bb", sku="Standard_D2s_v3", capacity=1)
    assert emu.list_capacity_reservation_groups() == []


def test_deleting_the_resource_group_takes_its_reservation_groups(emu):
    make_d8(emu)
    emu.wait(emu.delete_resource_group(RG))
    assert emu.list_capacity_reservation_groups() == []


def test_resizing_an_associated_set_needs_a_reservation_for_the_new_size(emu):
    make_d8(emu)
    emu.create_scale_set(uniform_spec())
    with pytest.raises(errors.InvalidParameter, match="no capacity reservation for VM size Standard_D4s_v3"):
        emu.update_scale_set(RG, "web", ScaleSetUpdate(vm_size="Standard_D4s_v3"))
    assert emu.get_scale_set(RG, "web").vm_size == "Standard_D2s_v3"
    emu.put_capacity_reservation(RG, "crg", "res4", sku="Standard_D4s_v3", capacity=3, zones=("1",))
    emu.update_scale_set(RG, "web", ScaleSetUpdate(vm_size="Standard_D4s_v3"))
    assert emu.get_scale_set(RG, "web").vm_size == "Standard_D4s_v3"


def test_a_group_reference_with_control_characters_is_refused_escaped(emu):
    make_d8(emu)
    for reference in ("a/\x1b[31m", f"/subscriptions/x\x07/resourceGroups/{RG}/providers/Microsoft.Compute/"
                                    "capacityReservationGroups/crg"):
        with pytest.raises(errors.AzureError) as caught:
            emu.create_scale_set(uniform_spec(group=reference))
        assert "\x1b" not in caught.value.message and "\x07" not in caught.value.message
    assert emu.list_scale_sets(RG) == []
