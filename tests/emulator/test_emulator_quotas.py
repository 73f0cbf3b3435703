"""Regional vCPU quotas per VM family.

Sources: seed 001 ("The number of VMs you can create is limited by your Compute core quota in
any region"); issue 2 ("a regional vCPU quota per VM family that an operation exceeding it fails
with Azure's quota error"); azure-semantics.md §1.4 / STATES (deallocated VMs release compute,
stopped ones keep it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vmss_tui.domain.errors import QuotaExceeded
from vmss_tui.domain.models import PowerAction, PowerState, ScaleSetUpdate, UpgradeMode, VmSpec

from ._support import LOCATION, RG, SIZE_FAMILY, finish, flexible_spec, uniform_spec


def state(backend: Any, name: str = "web") -> tuple[Any, Any]:
    """The set and its instances, for before/after comparisons."""
    return backend.get_scale_set(RG, name), backend.list_instances(RG, name)


@pytest.fixture
def backend_with_8_vcpus(open_emulator: Callable[..., Any]) -> Any:
    """An emulator whose westeurope DSv3 quota is 8 vCPUs (four Standard_D2s_v3)."""
    backend = open_emulator()
    backend.set_quota(LOCATION, SIZE_FAMILY, 8)
    return backend


def test_quota_usage_counts_the_vcpus_of_running_instances(backend_with_8_vcpus: Any) -> None:
    """`az vm list-usage`: used and limit per family."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=3)))
    assert backend.quota_usage(LOCATION)[SIZE_FAMILY] == (6, 8)


def test_a_scale_out_beyond_the_quota_fails_and_changes_nothing(backend_with_8_vcpus: Any) -> None:
    """An operation exceeding the family quota fails with QuotaExceeded, naming the family and region."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=3)))
    before = state(backend)
    with pytest.raises(QuotaExceeded) as info:
        backend.set_capacity(RG, "web", 5)
    assert info.value.code == "QuotaExceeded"
    assert SIZE_FAMILY in info.value.message
    assert LOCATION in info.value.message.lower()
    assert state(backend) == before
    assert backend.quota_usage(LOCATION)[SIZE_FAMILY] == (6, 8)


def test_a_scale_out_exactly_to_the_quota_succeeds(backend_with_8_vcpus: Any) -> None:
    """The limit itself is usable."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4)))
    assert backend.quota_usage(LOCATION)[SIZE_FAMILY] == (8, 8)


def test_a_create_beyond_the_quota_creates_nothing(backend_with_8_vcpus: Any) -> None:
    """A failed create leaves no half-made set behind."""
    backend = backend_with_8_vcpus
    with pytest.raises(QuotaExceeded):
        backend.create_scale_set(uniform_spec("web", capacity=5))
    assert backend.list_scale_sets() == []
    assert backend.quota_usage(LOCATION).get(SIZE_FAMILY, (0, 8)) == (0, 8)


def test_deallocated_instances_free_their_quota(backend_with_8_vcpus: Any) -> None:
    """STATES: deallocated VMs release their compute, so their vCPUs can be used elsewhere."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4)))
    finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"]))
    assert backend.quota_usage(LOCATION)[SIZE_FAMILY] == (6, 8)
    finish(backend, backend.set_capacity(RG, "web", 5))
    assert backend.quota_usage(LOCATION)[SIZE_FAMILY] == (8, 8)


def test_stopped_instances_keep_their_quota(backend_with_8_vcpus: Any) -> None:
    """STATES: a stopped (not deallocated) VM stays allocated."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4)))
    finish(backend, backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0"]))
    assert backend.quota_usage(LOCATION)[SIZE_FAMILY] == (8, 8)
    with pytest.raises(QuotaExceeded):
        backend.set_capacity(RG, "web", 5)


def test_starting_a_deallocated_instance_needs_the_quota_again(backend_with_8_vcpus: Any) -> None:
    """protocol.power_action: starting deallocated instances needs vCPU quota; without it nothing starts."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4)))
    finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"]))
    finish(backend, backend.set_capacity(RG, "web", 5))
    before = state(backend)
    with pytest.raises(QuotaExceeded):
        backend.power_action(RG, "web", PowerAction.START, ["0"])
    assert state(backend) == before
    assert backend.get_instance(RG, "web", "0").power_state is PowerState.DEALLOCATED


def test_quota_is_per_family(backend_with_8_vcpus: Any) -> None:
    """A full DSv3 family does not block another family."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4)))
    finish(backend, backend.create_scale_set(uniform_spec("api", capacity=2, vm_size="Standard_E2s_v5")))
    assert backend.quota_usage(LOCATION)["standardESv5Family"][0] == 4


def test_quota_is_per_region(backend_with_8_vcpus: Any) -> None:
    """The westeurope limit does not count VMs in northeurope."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4)))
    finish(backend, backend.create_scale_set(uniform_spec("north", capacity=2, location="northeurope")))
    assert backend.quota_usage(LOCATION)[SIZE_FAMILY] == (8, 8)
    assert backend.quota_usage("northeurope")[SIZE_FAMILY][0] == 4


def test_adding_a_vm_beyond_the_quota_fails(backend_with_8_vcpus: Any) -> None:
    """Hand-added Flexible VMs count against the same quota."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(flexible_spec("flex", capacity=4)))
    before = state(backend, "flex")
    with pytest.raises(QuotaExceeded):
        backend.add_vm(RG, "flex", VmSpec(name="one-too-many"))
    assert state(backend, "flex") == before


def test_an_automatic_upgrade_to_a_bigger_size_beyond_the_quota_fails(backend_with_8_vcpus: Any) -> None:
    """Moving 4 VMs from 2 to 4 vCPUs needs 16 vCPUs: with 8 the model change is refused."""
    backend = backend_with_8_vcpus
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4, upgrade_policy=UpgradeMode.AUTOMATIC)))
    before = state(backend)
    with pytest.raises(QuotaExceeded):
        backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size="Standard_D4s_v3"))
    assert state(backend) == before


def test_the_total_regional_vcpu_quota_caps_all_families_together(open_emulator: Callable[..., Any]) -> None:
    """Azure also caps the sum over families per region ("Total Regional vCPUs")."""
    backend = open_emulator()
    backend.set_quota(LOCATION, "Total Regional vCPUs", 10)
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=3)))
    before = backend.list_scale_sets()
    with pytest.raises(QuotaExceeded) as info:
        backend.create_scale_set(uniform_spec("api", capacity=3, vm_size="Standard_E2s_v5"))
    assert "Total Regional" in info.value.message
    assert backend.list_scale_sets() == before
    assert backend.quota_usage(LOCATION)["Total Regional vCPUs"] == (6, 10)
