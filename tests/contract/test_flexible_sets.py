"""Flexible scale sets: empty sets, hand-added VMs, zone/FD requests, limits and deletion.

Sources: azure-semantics.md §1.3 (names, instance id = name, FD only when count > 1), §2.1
(no update domains, Spot mix), §2.2 (empty sets, B1ls), §3.1 (FD request rules); seed 000/002
("the scale set will not be deleted if it has any VMs in it"); seed 003 (the lab's "newvm",
the Spot / size / fault-domain table).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import InvalidParameter, OperationNotAllowed, ResourceNotFound
from vmss_tui.domain.models import OrchestrationMode, PowerState, Priority, VmSpec

from ._support import (
    FLEX_AUTO_NAME,
    NON_MPU_SIZE,
    RG,
    assert_nothing_changes,
    check_error,
    create,
    finish,
    flexible_spec,
    instance_ids,
    scale,
)


def add(backend: Backend, set_name: str, spec: VmSpec) -> str:
    """Add a VM by hand and return the id of the one new instance."""
    before = set(instance_ids(backend, set_name))
    finish(backend, backend.add_vm(RG, set_name, spec))
    (new_id,) = set(instance_ids(backend, set_name)) - before
    return new_id


def test_a_flexible_set_can_be_created_empty_without_a_vm_profile(backend: Backend) -> None:
    """§2.2 / seed 000 ("An empty scale set can be created"): no profile, no size, no VMs."""
    created = create(backend, flexible_spec("flex", with_vm_profile=False, vm_size=None, image=None))
    assert created.orchestration_mode is OrchestrationMode.FLEXIBLE
    assert created.has_vm_profile is False
    assert created.vm_size is None
    assert created.capacity == 0
    assert created.single_placement_group is None
    assert backend.list_instances(RG, "flex") == []


def test_a_flexible_set_can_be_created_empty_with_a_vm_profile(backend: Backend) -> None:
    """§2.2: capacity 0 with a profile is valid."""
    created = create(backend, flexible_spec("flex", capacity=0))
    assert created.has_vm_profile is True
    assert created.vm_size == "Standard_D2s_v3"
    assert backend.list_instances(RG, "flex") == []


def test_set_created_vms_are_named_set_underscore_eight_hex_and_the_name_is_the_id(backend: Backend) -> None:
    """§1.3: auto names `{vmss}_{8-char-guid}` (e.g. demo-set_3d68ad8f); the instance id is the VM name."""
    create(backend, flexible_spec("demo-set", capacity=3))
    instances = backend.list_instances(RG, "demo-set")
    assert len(instances) == 3
    for instance in instances:
        assert re.fullmatch(rf"demo-set_{FLEX_AUTO_NAME}", instance.name), instance.name
        assert instance.instance_id == instance.name
        assert instance.created_by_scale_set is True
    assert len({instance.name for instance in instances}) == 3


def test_flexible_vms_have_no_update_domain(backend: Backend) -> None:
    """§2.1 / seed 003: "Update Domains: No"."""
    create(backend, flexible_spec("flex", capacity=2))
    assert [instance.update_domain for instance in backend.list_instances(RG, "flex")] == [None, None]


def test_a_vm_added_by_name_keeps_that_name_as_its_id_like_the_labs_newvm(backend: Backend) -> None:
    """Seed 003 lab: a VM created separately as "newvm" shows up in the set as "newvm"."""
    create(backend, flexible_spec("demo-set", capacity=1))
    new_id = add(backend, "demo-set", VmSpec(name="newvm"))
    assert new_id == "newvm"
    vm = backend.get_instance(RG, "demo-set", "newvm")
    assert vm.name == "newvm"
    assert vm.created_by_scale_set is False
    assert vm.power_state is PowerState.RUNNING
    assert len(backend.list_instances(RG, "demo-set")) == 2


def test_a_vm_added_without_a_name_gets_a_set_underscore_hex_name(backend: Backend) -> None:
    """§1.3: auto name `{vmss}_{8 hex}`."""
    create(backend, flexible_spec("flex"))
    assert re.fullmatch(rf"flex_{FLEX_AUTO_NAME}", add(backend, "flex", VmSpec()))


def test_a_vm_can_be_added_to_a_set_without_a_profile_when_it_names_its_size(backend: Backend) -> None:
    """§2.2: a profile-less set is filled by adding VMs by hand."""
    create(backend, flexible_spec("flex", with_vm_profile=False, vm_size=None, image=None))
    vm_id = add(backend, "flex", VmSpec(name="worker1", vm_size="Standard_D2s_v3", image="Ubuntu2204"))
    assert backend.get_instance(RG, "flex", vm_id).vm_size == "Standard_D2s_v3"


def test_scaling_a_flexible_set_without_a_profile_is_not_allowed(backend: Backend) -> None:
    """protocol.set_capacity: a Flexible set with no VM profile has nothing to scale out from."""
    create(backend, flexible_spec("flex", with_vm_profile=False, vm_size=None, image=None))
    error = assert_nothing_changes(backend, "flex", lambda: backend.set_capacity(RG, "flex", 2), OperationNotAllowed)
    assert error.http_status == 409


def test_an_added_vm_may_ask_for_one_of_the_sets_zones(backend: Backend) -> None:
    """§2.4 / seed 003 ("Assign VM to a Specific Zone: Yes")."""
    create(backend, flexible_spec("flex", zones=("1", "2")))
    vm_id = add(backend, "flex", VmSpec(name="pinned", zone="2"))
    assert backend.get_instance(RG, "flex", vm_id).zone == "2"


def test_an_added_vm_may_not_ask_for_a_zone_the_set_does_not_cover(backend: Backend) -> None:
    """§2.4: zonal VMs join only sets covering their zone."""
    create(backend, flexible_spec("flex", zones=("1", "2"), capacity=1))
    error = assert_nothing_changes(backend, "flex", lambda: backend.add_vm(RG, "flex", VmSpec(zone="3")),
                                   InvalidParameter)
    check_error(error, code="InvalidParameter", mentions=("3",))


def test_a_regional_set_does_not_take_a_zonal_vm(backend: Backend) -> None:
    """§2.4: "regional only regional"."""
    create(backend, flexible_spec("flex", capacity=1))
    assert_nothing_changes(backend, "flex", lambda: backend.add_vm(RG, "flex", VmSpec(zone="1")), InvalidParameter)


def test_an_added_vm_may_ask_for_a_fault_domain_below_the_count(backend: Backend) -> None:
    """§1.3 / §3.1: platformFaultDomain only when the set's FD count > 1, and < count."""
    create(backend, flexible_spec("flex", platform_fault_domain_count=3))
    vm_id = add(backend, "flex", VmSpec(name="fd2", fault_domain=2))
    assert backend.get_instance(RG, "flex", vm_id).fault_domain == 2


def test_an_added_vm_may_not_ask_for_a_fault_domain_at_or_above_the_count(backend: Backend) -> None:
    """§3.1: InvalidParameter for a user platformFaultDomain >= FD count."""
    create(backend, flexible_spec("flex", platform_fault_domain_count=3, capacity=1))
    error = assert_nothing_changes(backend, "flex", lambda: backend.add_vm(RG, "flex", VmSpec(fault_domain=3)),
                                   InvalidParameter)
    check_error(error, code="InvalidParameter")


def test_an_added_vm_may_not_ask_for_a_fault_domain_when_the_set_spreads_maximally(backend: Backend) -> None:
    """§3.1: InvalidParameter for a user platformFaultDomain when the FD count is 1."""
    create(backend, flexible_spec("flex", platform_fault_domain_count=1, capacity=1))
    assert_nothing_changes(backend, "flex", lambda: backend.add_vm(RG, "flex", VmSpec(fault_domain=0)),
                           InvalidParameter)


def test_spot_and_regular_vms_mix_in_a_max_spreading_set(backend: Backend) -> None:
    """Seed 003 table: "Mix Spot and On-demand instances: Yes" for MPU sizes or FD count 1."""
    create(backend, flexible_spec("flex", capacity=1))
    vm_id = add(backend, "flex", VmSpec(name="cheap", priority=Priority.SPOT))
    priorities = Counter(instance.priority for instance in backend.list_instances(RG, "flex"))
    assert priorities == {Priority.REGULAR: 1, Priority.SPOT: 1}
    assert backend.get_instance(RG, "flex", vm_id).priority is Priority.SPOT


def test_spot_and_regular_vms_do_not_mix_with_a_non_mpu_size_over_fixed_fault_domains(backend: Backend) -> None:
    """Seed 003 table: "Mix Spot and On-demand instances: No" for non-MPU sizes with FD count > 1."""
    create(backend, flexible_spec("flex", vm_size=NON_MPU_SIZE, platform_fault_domain_count=2, capacity=1))
    error = assert_nothing_changes(
        backend, "flex", lambda: backend.add_vm(RG, "flex", VmSpec(name="cheap", priority=Priority.SPOT)),
        InvalidParameter)
    check_error(error, code="InvalidParameter")


def test_general_purpose_and_specialty_sizes_mix_only_with_fault_domain_count_1(backend: Backend) -> None:
    """Seed 003 table: "Mix General Purpose and Specialty SKU Types: Yes (FDCount = 1) / No"."""
    create(backend, flexible_spec("spread", capacity=1))
    add(backend, "spread", VmSpec(name="gpu", vm_size=NON_MPU_SIZE))
    create(backend, flexible_spec("fixed", platform_fault_domain_count=2, capacity=1))
    assert_nothing_changes(backend, "fixed", lambda: backend.add_vm(RG, "fixed", VmSpec(vm_size=NON_MPU_SIZE)),
                           InvalidParameter)


def test_a_non_mpu_vm_may_not_pick_its_fault_domain_in_a_fixed_spreading_set(backend: Backend) -> None:
    """Seed 003 table: "Assign VM to a Specific Fault domain: No" for non-MPU sizes with FD count > 1."""
    create(backend, flexible_spec("flex", vm_size=NON_MPU_SIZE, platform_fault_domain_count=2))
    assert_nothing_changes(backend, "flex", lambda: backend.add_vm(RG, "flex", VmSpec(fault_domain=1)),
                           InvalidParameter)


def test_flexible_sets_refuse_the_b1ls_size_with_azures_text(backend: Backend) -> None:
    """§2.2 (MicrosoftDocs/azure-docs#102050): Standard_B1ls cannot be used with Flexible."""
    with pytest.raises(InvalidParameter) as info:
        backend.create_scale_set(flexible_spec("flex", vm_size="Standard_B1ls", capacity=1))
    check_error(info.value, code="InvalidParameter",
                message="Virtual Machine Scale Sets with Flexible Orchestration Mode or Virtual Machines referencing "
                        "such Virtual Machine Scale Sets cannot use VM Size 'Standard_B1ls'.")
    assert backend.list_scale_sets() == []


def test_a_flexible_set_with_vms_cannot_be_deleted(backend: Backend) -> None:
    """Seeds 000/002: "the scale set will not be deleted if it has any VMs in it"."""
    create(backend, flexible_spec("flex", capacity=1))
    add(backend, "flex", VmSpec(name="newvm"))
    error = assert_nothing_changes(backend, "flex", lambda: backend.delete_scale_set(RG, "flex"), OperationNotAllowed)
    assert error.http_status == 409


def test_a_flexible_set_with_vms_is_deleted_with_them_when_forced(backend: Backend) -> None:
    """REST spec, Virtual Machine Scale Sets - Delete: `forceDeletion=true` force-deletes the set; its VMs go with it."""
    create(backend, flexible_spec("flex", capacity=1))
    add(backend, "flex", VmSpec(name="newvm"))
    assert len(instance_ids(backend, "flex")) == 2
    finish(backend, backend.delete_scale_set(RG, "flex", force=True))
    with pytest.raises(ResourceNotFound):
        backend.get_scale_set(RG, "flex")


def test_a_flexible_set_can_be_deleted_once_its_vms_are_gone(backend: Backend) -> None:
    """Seed 000: VMs have to be deleted individually first; then the set goes."""
    create(backend, flexible_spec("flex", capacity=1))
    add(backend, "flex", VmSpec(name="newvm"))
    finish(backend, backend.delete_instances(RG, "flex", instance_ids(backend, "flex")))
    finish(backend, backend.delete_scale_set(RG, "flex"))
    with pytest.raises(ResourceNotFound):
        backend.get_scale_set(RG, "flex")


def test_flexible_scale_out_adds_set_named_vms(backend: Backend) -> None:
    """A Flexible set with a profile scales out from its model like Uniform, with random names."""
    create(backend, flexible_spec("flex", capacity=1))
    operation = scale(backend, "flex", 3)
    names = instance_ids(backend, "flex")
    assert len(names) == 3
    assert len(operation.created_instance_ids) == 2
    assert set(operation.created_instance_ids) <= set(names)


def test_a_flexible_vm_is_a_plain_virtual_machine_resource(backend: Backend) -> None:
    """§1.3 / seed 000: Flexible instances are standard Microsoft.Compute/virtualMachines resources."""
    created = create(backend, flexible_spec("flex", capacity=1))
    add(backend, "flex", VmSpec(name="newvm"))
    subscription_part = created.id.split("/resourceGroups/")[0]
    assert backend.get_instance(RG, "flex", "newvm").id == (
        f"{subscription_part}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/newvm")
    for instance in backend.list_instances(RG, "flex"):
        assert "/virtualMachineScaleSets/" not in instance.id


def test_a_hand_added_vm_uses_its_name_as_computer_name(backend: Backend) -> None:
    """Seed 003 lab table: instance "newvm" has computer name "newvm"."""
    create(backend, flexible_spec("demo-set", capacity=1))
    add(backend, "demo-set", VmSpec(name="newvm"))
    assert backend.get_instance(RG, "demo-set", "newvm").computer_name == "newvm"


def test_set_created_flexible_vms_get_the_computer_name_prefix(backend: Backend) -> None:
    """§1.3: computer name = prefix + a generated suffix (seed 003 shows demo-setmiH1E9OV)."""
    create(backend, flexible_spec("demo-set", computer_name_prefix="demo-set", capacity=2))
    names = [i.computer_name for i in backend.list_instances(RG, "demo-set")]
    assert all(name.startswith("demo-set") and len(name) > len("demo-set") for name in names), names
    assert len(set(names)) == 2


def test_the_first_vm_turns_a_flexible_sets_placement_group_off_for_mpu_sizes(backend: Backend) -> None:
    """Seed 003 table: "Single Placement Group: ... set to false based on first VM deployed" (MPU or FD 1)."""
    assert create(backend, flexible_spec("flex")).single_placement_group is None
    add(backend, "flex", VmSpec(name="first"))
    assert backend.get_scale_set(RG, "flex").single_placement_group is False


def test_the_first_non_mpu_vm_over_fixed_fault_domains_turns_the_placement_group_on(backend: Backend) -> None:
    """Seed 003 table: "... set to true based on first VM deployed" (non-MPU size, FD count > 1)."""
    create(backend, flexible_spec("gpu", vm_size=NON_MPU_SIZE, platform_fault_domain_count=2))
    add(backend, "gpu", VmSpec(name="first"))
    assert backend.get_scale_set(RG, "gpu").single_placement_group is True


def test_reimaging_a_whole_flexible_set_is_not_allowed(backend: Backend) -> None:
    """§2.1 (DOCS:orchestration-modes-api-comparison): reimageAll is Uniform-only; Flexible VMs are reimaged one by one."""
    from vmss_tui.domain.models import PowerAction

    create(backend, flexible_spec("flex", capacity=2))
    error = assert_nothing_changes(backend, "flex",
                                   lambda: backend.power_action(RG, "flex", PowerAction.REIMAGE), OperationNotAllowed)
    assert error.http_status == 409
    (first, _) = instance_ids(backend, "flex")
    finish(backend, backend.power_action(RG, "flex", PowerAction.REIMAGE, [first]))
    assert backend.get_instance(RG, "flex", first).power_state is PowerState.RUNNING


def test_a_flexible_sets_capacity_counts_every_vm_in_it_hand_added_ones_too(backend: Backend) -> None:
    """§1.1 (SDK `Sku` docstring): sku.capacity is "the number of virtual machines in the scale set".

    azure-semantics.md §2.5 guesses [INF] that deleting a hand-added VM leaves capacity alone; the SDK
    docstring is the stronger source, so capacity follows the VMs both ways.
    """
    create(backend, flexible_spec("flex", capacity=2))
    add(backend, "flex", VmSpec(name="newvm"))
    assert backend.get_scale_set(RG, "flex").capacity == 3
    finish(backend, backend.delete_instances(RG, "flex", ["newvm"]))
    assert backend.get_scale_set(RG, "flex").capacity == 2


def test_flexible_vms_are_listed_in_creation_order(backend: Backend,
                                                   let_time_pass: Callable[[float], None]) -> None:
    """protocol.list_instances: ordered by creation, not by name."""
    create(backend, flexible_spec("flex"))
    for name in ("zeta", "alpha", "mid"):
        let_time_pass(30)
        add(backend, "flex", VmSpec(name=name))
    assert instance_ids(backend, "flex") == ["zeta", "alpha", "mid"]


def test_set_created_vm_names_stay_valid_vm_names_for_long_set_names(backend: Backend) -> None:
    """§1.3: auto names are capped (44 characters per the docs), never longer than a VM name may be (64)."""
    long_name = "f" * 60
    create(backend, flexible_spec(long_name, computer_name_prefix="flex", capacity=2))
    for instance in backend.list_instances(RG, long_name):
        assert len(instance.name) <= 64, instance.name
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*_[0-9a-f]{8}", instance.name)
