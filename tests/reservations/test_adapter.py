"""The live adapter's capacity reservations (azure-mgmt-compute's operations) over real HTTPS against the
emulator's endpoint: the same domain values the emulator gives, and Azure's refusals as the same errors."""

from __future__ import annotations

import pytest

from tests.azure.conftest import RG, Served, arm_state_dir, make_uniform, served  # noqa: F401
from vmss_tui.backends.protocol import CapacityReservations
from vmss_tui.domain import errors

pytest.importorskip("azure.mgmt.compute")


def test_the_adapter_creates_reads_and_deletes_what_the_emulator_holds(served: Served) -> None:
    adapter = served.open_adapter()
    assert isinstance(adapter, CapacityReservations)
    group, created = adapter.create_or_update_capacity_reservation_group(RG, "crg", zones=("1", "2"))
    assert created and group.location == "westeurope" and group.zones == ("1", "2")
    reservation, created = adapter.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=2,
                                                            zones=("1",))
    assert created and reservation.capacity == 2 and reservation.zones == ("1",)
    make_uniform(served.emulator, "web", capacity=3, zones=("1",), single_placement_group=False,
                 capacity_reservation_group="crg")
    seen = adapter.get_capacity_reservation(RG, "crg", "res1")
    assert seen == served.emulator.get_capacity_reservation(RG, "crg", "res1")
    assert seen.state == "overallocated" and seen.not_covered == 1
    assert adapter.get_capacity_reservation_group(RG, "crg") == served.emulator.get_capacity_reservation_group(RG, "crg")
    assert [g.name for g in adapter.list_capacity_reservation_groups(RG)] == ["crg"]
    with pytest.raises(errors.OperationNotAllowed):
        adapter.delete_capacity_reservation(RG, "crg", "res1")
    with pytest.raises(errors.PropertyChangeNotAllowed):
        adapter.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D4s_v3")
    resized, created = adapter.put_capacity_reservation(RG, "crg", "res1", capacity=5)
    assert not created and resized.capacity == 5


def test_the_adapter_gets_azures_not_supported_and_nested_resource_refusals(served: Served) -> None:
    adapter = served.open_adapter()
    adapter.create_or_update_capacity_reservation_group(RG, "crg")
    with pytest.raises(errors.AzureError) as unsupported:
        adapter.put_capacity_reservation(RG, "crg", "res1", sku="Standard_A0", capacity=1)
    assert unsupported.value.code == "NotSupported"
    assert unsupported.value.message == "Capacity Reservation is not supported for VM size Standard_A0."
    adapter.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=1)
    with pytest.raises(errors.AzureError) as nested:
        adapter.delete_capacity_reservation_group(RG, "crg")
    assert nested.value.code == "CannotDeleteResource"
    adapter.delete_capacity_reservation(RG, "crg", "res1")
    adapter.delete_capacity_reservation_group(RG, "crg")
    assert adapter.list_capacity_reservation_groups(RG) == []


def test_the_adapter_associates_and_dissociates_a_set_by_group_name(served: Served) -> None:
    from vmss_tui.domain.models import OrchestrationMode, PowerAction, ScaleSetSpec, ScaleSetUpdate, VmSpec
    adapter = served.open_adapter()
    adapter.create_or_update_capacity_reservation_group(RG, "crg", zones=("1",))
    adapter.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=2, zones=("1",))
    adapter.wait(adapter.create_scale_set(ScaleSetSpec(
        name="web", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=2, zones=("1",),
        vm_size="Standard_D2s_v3", single_placement_group=False, capacity_reservation_group="crg")))
    group_id = adapter.get_capacity_reservation_group(RG, "crg").id
    assert adapter.get_scale_set(RG, "web").capacity_reservation_group == group_id
    assert len(adapter.get_capacity_reservation(RG, "crg", "res1").virtual_machines_allocated) == 2
    with pytest.raises(errors.OperationNotAllowed):
        adapter.wait(adapter.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group="")))
    adapter.wait(adapter.power_action(RG, "web", PowerAction.DEALLOCATE))
    adapter.wait(adapter.update_scale_set(RG, "web", ScaleSetUpdate(capacity_reservation_group="")))
    assert adapter.get_scale_set(RG, "web").capacity_reservation_group is None
    adapter.wait(adapter.create_scale_set(ScaleSetSpec(
        name="flex", resource_group=RG, orchestration_mode=OrchestrationMode.FLEXIBLE, capacity=0, zones=("1",),
        with_vm_profile=False)))
    adapter.wait(adapter.add_vm(RG, "flex", VmSpec(name="vm1", zone="1", vm_size="Standard_D2s_v3",
                                                   capacity_reservation_group="crg")))
    allocated = adapter.get_capacity_reservation(RG, "crg", "res1").virtual_machines_allocated
    assert [vm.rsplit("/", 1)[1] for vm in allocated] == ["vm1"]
