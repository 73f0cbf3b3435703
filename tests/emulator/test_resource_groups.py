"""Emulator-only resource-group behaviour: a group delete over time, all or nothing, and quotas in usage."""

from __future__ import annotations

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.domain import errors
from vmss_tui.domain.models import OperationStatus, ProvisioningState
from vmss_tui.domain.sizes import DEFAULT_LOCATION

from ._support import RG, finish, uniform_spec


def test_a_group_delete_shows_deleting_refuses_new_sets_then_everything_is_gone(open_emulator, clock) -> None:
    backend = open_emulator(speed="fast")
    finish_now = open_emulator(speed="instant")  # same store and clock: creates without waiting
    finish(finish_now, finish_now.create_scale_set(uniform_spec("web", capacity=3)))
    operation = backend.delete_resource_group(RG)
    assert operation.status is OperationStatus.IN_PROGRESS and operation.scale_set_name == ""
    assert "1 scale set(s)" in operation.message
    assert backend.get_resource_group(RG).provisioning_state == "Deleting"
    assert backend.get_scale_set(RG, "web").provisioning_state is ProvisioningState.DELETING
    with pytest.raises(errors.ResourceGroupBeingDeleted) as info:
        backend.create_scale_set(uniform_spec("other"))
    assert info.value.message == (f"The resource group '{RG}' is in deprovisioning state and cannot perform this "
                                  "operation.")
    assert backend.delete_resource_group(RG).id == operation.id  # asked again: the same operation
    final = backend.wait(operation)
    assert final.status is OperationStatus.SUCCEEDED
    assert RG not in backend.list_resource_groups()
    assert backend.list_scale_sets() == []
    group, created = backend.create_or_update_resource_group(RG, "westeurope")  # the name is free again
    assert created and group.location == "westeurope"


def test_a_group_delete_with_a_damaged_set_in_it_changes_nothing(open_emulator, store_dir) -> None:
    backend = open_emulator()
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2)))
    finish(backend, backend.create_scale_set(uniform_spec("api", capacity=1)))
    damaged = next((store_dir / "sets" / RG).glob("web*.json"))
    damaged.write_bytes(b"\x00garbage")
    with pytest.raises(errors.StoreDamaged):
        backend.delete_resource_group(RG)
    assert backend.get_resource_group(RG).provisioning_state == "Succeeded"
    assert backend.get_scale_set(RG, "api").provisioning_state is ProvisioningState.SUCCEEDED
    assert len(backend.list_instances(RG, "api")) == 1


def test_usage_shows_the_quotas_set_with_emulator_quota(open_emulator) -> None:
    backend = open_emulator()
    backend.set_quota("westeurope", "standardDSv3Family", 40)
    backend.set_quota("westeurope", "Total Regional vCPUs", 100)
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2, location="westeurope")))
    rows = {row.name: row for row in backend.list_usage("westeurope")}
    assert (rows["standardDSv3Family"].current_value, rows["standardDSv3Family"].limit) == (4, 40)
    assert (rows["cores"].current_value, rows["cores"].limit) == (4, 100)
    assert "Total Regional vCPUs" not in rows  # shown once, as `cores`


def test_the_practice_estate_has_its_group_and_a_new_store_has_none(tmp_path) -> None:
    seeded = open_backend("emulator", db=tmp_path / "seeded", speed="instant", seed=True)
    group = seeded.get_resource_group("practice-rg")
    assert (group.name, group.location) == ("practice-rg", DEFAULT_LOCATION)
    empty = open_backend("emulator", db=tmp_path / "empty", speed="instant")
    assert empty.list_resource_group_details() == []
