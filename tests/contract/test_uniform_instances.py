"""Uniform scale sets: instances come only from the model, with counter ids and derived names.

Sources: azure-semantics.md §1.2 (ids, names, computer names), §2.1 (capacity, update domains,
no hand-added VMs), §2.6 (capacity limit text); seed 000 ("deleting the scale set will delete all
of the VM instances"); seed 001 ("VM instances ... will be created with names like myvm_0, myvm_1").
"""

from __future__ import annotations

from collections import Counter

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import InvalidParameter, OperationNotAllowed, ResourceNotFound
from vmss_tui.domain.models import Priority, ProvisioningState, PowerState, VmSpec

from ._support import (
    RG,
    assert_nothing_changes,
    check_error,
    create,
    finish,
    instance_ids,
    scale,
    uniform_spec,
)

LIMIT_100 = "Unable to create or update VirtualMachineScaleSet 'web' as it exceeds the total limit of '100' Virtual Machine instances."


def base36(number: int) -> str:
    """Upper-case base 36, as Azure writes the id part of a computer name."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if number == 0:
            return text


def test_instance_ids_count_up_from_zero(backend: Backend) -> None:
    """§3.1: instanceId = next value of a per-set counter, starting at 0."""
    create(backend, uniform_spec("web", capacity=3))
    assert instance_ids(backend, "web") == ["0", "1", "2"]


def test_instance_ids_are_never_reused_after_a_scale_in(backend: Backend) -> None:
    """§1.2 [INF]: the counter never goes back, so "highest id = newest" holds for scale-in."""
    create(backend, uniform_spec("web", capacity=3))
    scale(backend, "web", 5)
    assert instance_ids(backend, "web") == ["0", "1", "2", "3", "4"]
    scale(backend, "web", 2)
    scale(backend, "web", 4)
    ids = instance_ids(backend, "web")
    assert len(ids) == 4
    assert {"5", "6"} <= set(ids)
    assert not {"2", "3", "4"} & set(ids)


def test_instance_ids_are_not_reused_after_deleting_instances(backend: Backend) -> None:
    """Deleting the newest instance does not hand its id to the next one."""
    create(backend, uniform_spec("web", capacity=3))
    finish(backend, backend.delete_instances(RG, "web", ["2"]))
    scale(backend, "web", 3)
    assert instance_ids(backend, "web") == ["0", "1", "3"]


def test_different_sets_count_ids_independently(backend: Backend) -> None:
    """The counter is per set."""
    create(backend, uniform_spec("web", capacity=2))
    create(backend, uniform_spec("api", capacity=2))
    assert instance_ids(backend, "api") == ["0", "1"]


def test_instance_names_are_the_set_name_underscore_id(backend: Backend) -> None:
    """§1.2 / seed 001: names like myvm_0, myvm_1."""
    create(backend, uniform_spec("web", capacity=3))
    assert [instance.name for instance in backend.list_instances(RG, "web")] == ["web_0", "web_1", "web_2"]


def test_computer_names_are_the_prefix_and_a_six_character_base36_id(backend: Backend) -> None:
    """§1.2/§3.1: computerName = prefix + base36(id) zero-padded to 6 (SPEC example `test000000`)."""
    create(backend, uniform_spec("web", computer_name_prefix="webvm", capacity=38, single_placement_group=False))
    names = {instance.instance_id: instance.computer_name for instance in backend.list_instances(RG, "web")}
    assert names["0"] == "webvm000000"
    assert names["10"] == "webvm00000A"
    assert names["35"] == "webvm00000Z"
    assert names["36"] == "webvm000010"
    assert all(names[str(i)] == "webvm" + base36(i).zfill(6) for i in range(38))


def test_instances_start_running_on_the_latest_model(backend: Backend) -> None:
    """After the create operation succeeds every instance runs the set's model."""
    create(backend, uniform_spec("web", capacity=2))
    for instance in backend.list_instances(RG, "web"):
        assert instance.provisioning_state is ProvisioningState.SUCCEEDED
        assert instance.power_state is PowerState.RUNNING
        assert instance.latest_model_applied is True
        assert instance.vm_size == "Standard_D2s_v3"
        assert instance.scale_set_name == "web"
        assert instance.protect_from_scale_in is False
        assert instance.protect_from_scale_set_actions is False


def test_get_instance_returns_the_same_instance_the_list_shows(backend: Backend) -> None:
    """protocol.get_instance: one instance by id."""
    create(backend, uniform_spec("web", capacity=2))
    assert backend.get_instance(RG, "web", "1") == backend.list_instances(RG, "web")[1]


def test_an_unknown_instance_id_is_resource_not_found(backend: Backend) -> None:
    """protocol.get_instance raises ResourceNotFound (404) for an id that is not in the set."""
    create(backend, uniform_spec("web", capacity=2))
    with pytest.raises(ResourceNotFound) as info:
        backend.get_instance(RG, "web", "7")
    assert info.value.http_status == 404


def test_a_uniform_set_may_be_created_empty_and_scaled_later(backend: Backend) -> None:
    """§2.2: capacity 0 is valid in both modes ("0-100" / "0-1,000")."""
    assert create(backend, uniform_spec("web", capacity=0)).capacity == 0
    assert backend.list_instances(RG, "web") == []
    scale(backend, "web", 2)
    assert backend.get_scale_set(RG, "web").capacity == 2


def test_capacity_above_100_with_a_single_placement_group_is_refused_with_azures_text(backend: Backend) -> None:
    """§2.6 (hashicorp/terraform-azurerm-nomad#6): a single placement group holds at most 100 VMs."""
    create(backend, uniform_spec("web", capacity=2, single_placement_group=True))
    error = assert_nothing_changes(backend, "web", lambda: backend.set_capacity(RG, "web", 101), OperationNotAllowed)
    check_error(error, code="OperationNotAllowed", message=LIMIT_100)


def test_plan_capacity_refuses_the_same_over_limit_capacity(backend: Backend) -> None:
    """protocol.plan_capacity raises the same validation errors as set_capacity."""
    create(backend, uniform_spec("web", capacity=2, single_placement_group=True))
    with pytest.raises(OperationNotAllowed):
        backend.plan_capacity(RG, "web", 101)


def test_creating_with_more_than_100_and_a_single_placement_group_is_refused(backend: Backend) -> None:
    """§1.1: singlePlacementGroup true means at most 100 VMs; an explicit true cannot hold 101."""
    with pytest.raises(OperationNotAllowed) as info:
        backend.create_scale_set(uniform_spec("web", capacity=101, single_placement_group=True))
    check_error(info.value, code="OperationNotAllowed", message=LIMIT_100)
    assert backend.list_scale_sets() == []


def test_capacity_above_1000_is_refused_even_without_a_placement_group(backend: Backend) -> None:
    """§2.1: Uniform holds at most 1000 VMs with singlePlacementGroup false."""
    create(backend, uniform_spec("web", capacity=1, single_placement_group=False))
    error = assert_nothing_changes(backend, "web", lambda: backend.set_capacity(RG, "web", 1001), OperationNotAllowed)
    check_error(error, code="OperationNotAllowed", mentions=("'1000'",))


def test_negative_capacity_is_an_invalid_parameter(backend: Backend) -> None:
    """protocol.set_capacity: negative capacity is InvalidParameter."""
    create(backend, uniform_spec("web", capacity=1))
    error = assert_nothing_changes(backend, "web", lambda: backend.set_capacity(RG, "web", -1), InvalidParameter)
    assert error.http_status == 400


def test_uniform_instances_are_spread_over_five_update_domains(backend: Backend) -> None:
    """§2.1: Uniform sets have 5 update domains; 10 instances fill each one twice."""
    create(backend, uniform_spec("web", capacity=10))
    update_domains = Counter(instance.update_domain for instance in backend.list_instances(RG, "web"))
    assert update_domains == {0: 2, 1: 2, 2: 2, 3: 2, 4: 2}


def test_adding_a_vm_by_hand_to_a_uniform_set_is_not_allowed(backend: Backend) -> None:
    """§2.1 / seed 000: Uniform VMs are created only from the scale-set configuration."""
    create(backend, uniform_spec("web", capacity=1))
    error = assert_nothing_changes(backend, "web", lambda: backend.add_vm(RG, "web", VmSpec(name="extra")),
                                   OperationNotAllowed)
    assert error.http_status == 409


def test_a_spot_uniform_set_is_all_spot(backend: Backend) -> None:
    """§2.1: Uniform is all-Spot or all-Regular."""
    create(backend, uniform_spec("web", capacity=3, priority=Priority.SPOT))
    assert {instance.priority for instance in backend.list_instances(RG, "web")} == {Priority.SPOT}


def test_deleting_a_uniform_set_deletes_its_instances(backend: Backend) -> None:
    """Seed 000: "deleting the scale set will delete all of the VM instances"."""
    create(backend, uniform_spec("web", capacity=3))
    finish(backend, backend.delete_scale_set(RG, "web"))
    assert backend.list_scale_sets(RG) == []
    with pytest.raises(ResourceNotFound):
        backend.get_scale_set(RG, "web")
    with pytest.raises(ResourceNotFound):
        backend.list_instances(RG, "web")


def test_scale_out_reports_the_instances_it_created(backend: Backend) -> None:
    """The operation names what it did: an operator sees `web_2, web_3` created."""
    create(backend, uniform_spec("web", capacity=2))
    operation = scale(backend, "web", 4)
    assert sorted(operation.created_instance_ids) == ["2", "3"]
    assert backend.get_scale_set(RG, "web").capacity == 4


def test_reducing_20_to_15_removes_the_five_highest_indexes(backend: Backend) -> None:
    """Seed 001 FAQ: "If I reduce my VMSS capacity from 20 to 15 ... the last 5 VMs (largest indexes)"."""
    create(backend, uniform_spec("web", capacity=20))
    operation = scale(backend, "web", 15)
    assert sorted(operation.removed_instance_ids, key=int) == ["15", "16", "17", "18", "19"]
    assert instance_ids(backend, "web") == [str(i) for i in range(15)]


def test_a_uniform_instance_is_a_child_resource_of_its_scale_set(backend: Backend) -> None:
    """§1.2: Uniform VMs live at virtualMachineScaleSets/{vmss}/virtualMachines/{instanceId}."""
    created = create(backend, uniform_spec("web", capacity=1))
    (instance,) = backend.list_instances(RG, "web")
    assert instance.id == f"{created.id}/virtualMachines/0"
