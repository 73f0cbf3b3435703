"""Instance-count limits that need more vCPUs than a default quota (so the quota is raised first).

Sources: azure-semantics.md §2.1 (Uniform 100 with SPG / 1000 without; Flexible 1000, 200 for
non-MPU G/H/L/M/N sizes with FD count > 1), §1.1 (creating with more than 100 turns SPG off, as
az does), §2.6 (limit text); seed 003 table ("Maximum ... Instance Count 1000 / 200").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vmss_tui.domain.errors import OperationNotAllowed
from vmss_tui.domain.models import VmSpec

from ._support import (
    LOCATION,
    NON_MPU_FAMILY,
    NON_MPU_SIZE,
    RG,
    SIZE_FAMILY,
    finish,
    flexible_spec,
    uniform_spec,
)


@pytest.fixture
def roomy(open_emulator: Callable[..., Any]) -> Any:
    """An instant emulator with quota for thousands of vCPUs in the families used here."""
    backend = open_emulator()
    for family in (SIZE_FAMILY, NON_MPU_FAMILY):
        backend.set_quota(LOCATION, family, 10_000)
    return backend


def limit_message(name: str, limit: int) -> str:
    """§2.6 (hashicorp/terraform-azurerm-nomad#6), with the limit that applies."""
    return (f"Unable to create or update VirtualMachineScaleSet '{name}' as it exceeds the total limit of "
            f"'{limit}' Virtual Machine instances.")


def test_creating_more_than_100_without_choosing_a_placement_group_turns_it_off(roomy: Any) -> None:
    """§1.1: as az does, a create above 100 gets singlePlacementGroup false instead of an error."""
    finish(roomy, roomy.create_scale_set(uniform_spec("web", capacity=101)))
    created = roomy.get_scale_set(RG, "web")
    assert created.single_placement_group is False
    assert created.capacity == 101
    assert len(roomy.list_instances(RG, "web")) == 101


def test_a_single_placement_group_set_holds_exactly_100(roomy: Any) -> None:
    """100 is allowed with singlePlacementGroup true; 101 is refused with Azure's text."""
    finish(roomy, roomy.create_scale_set(uniform_spec("web", capacity=100, single_placement_group=True)))
    with pytest.raises(OperationNotAllowed) as info:
        roomy.set_capacity(RG, "web", 101)
    assert info.value.message == limit_message("web", 100)
    assert len(roomy.list_instances(RG, "web")) == 100


def test_a_uniform_set_without_a_placement_group_holds_1000(roomy: Any) -> None:
    """§2.1: 1000 VMs with singlePlacementGroup false."""
    finish(roomy, roomy.create_scale_set(uniform_spec("web", capacity=0, single_placement_group=False)))
    finish(roomy, roomy.set_capacity(RG, "web", 1000))
    assert len(roomy.list_instances(RG, "web")) == 1000
    assert roomy.get_scale_set(RG, "web").capacity == 1000


def test_a_uniform_set_without_a_placement_group_refuses_the_1001st_instance(roomy: Any) -> None:
    """§2.6: the 1000 limit is refused like the 100 one, with Azure's limit text."""
    finish(roomy, roomy.create_scale_set(uniform_spec("web", capacity=1000, single_placement_group=False)))
    with pytest.raises(OperationNotAllowed) as info:
        roomy.set_capacity(RG, "web", 1001)
    assert info.value.message == limit_message("web", 1000)
    assert roomy.get_scale_set(RG, "web").capacity == 1000


def test_a_flexible_non_mpu_set_over_fixed_fault_domains_holds_200(roomy: Any) -> None:
    """Seed 003: non-MPU sizes with FD count > 1 are limited to 200 instances."""
    finish(roomy, roomy.create_scale_set(flexible_spec("gpu", vm_size=NON_MPU_SIZE,
                                                       platform_fault_domain_count=2, capacity=200)))
    before = roomy.list_instances(RG, "gpu")
    with pytest.raises(OperationNotAllowed) as info:
        roomy.set_capacity(RG, "gpu", 201)
    assert "'200'" in info.value.message
    with pytest.raises(OperationNotAllowed):
        roomy.add_vm(RG, "gpu", VmSpec(name="one-more"))
    assert roomy.list_instances(RG, "gpu") == before


def test_a_flexible_non_mpu_set_with_max_spreading_is_not_held_to_200(roomy: Any) -> None:
    """Seed 003: with platformFaultDomainCount=1 the limit is 1000, whatever the size."""
    finish(roomy, roomy.create_scale_set(flexible_spec("gpu", vm_size=NON_MPU_SIZE,
                                                       platform_fault_domain_count=1, capacity=201)))
    assert len(roomy.list_instances(RG, "gpu")) == 201


def test_a_flexible_mpu_set_over_fixed_fault_domains_is_not_held_to_200(roomy: Any) -> None:
    """Seed 003: sizes with memory-preserving updates keep the 1000 limit at any FD count."""
    finish(roomy, roomy.create_scale_set(flexible_spec("web", platform_fault_domain_count=2, capacity=201)))
    assert len(roomy.list_instances(RG, "web")) == 201


def test_a_uniform_set_from_a_legacy_managed_image_holds_600(roomy: Any) -> None:
    """§2.1 (DOCS:design-overview): 1000 VMs, but 600 from a legacy managed image."""
    image = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/img-rg/providers/Microsoft.Compute/images/golden"
    finish(roomy, roomy.create_scale_set(uniform_spec("web", image=image, capacity=600, single_placement_group=False)))
    with pytest.raises(OperationNotAllowed) as info:
        roomy.set_capacity(RG, "web", 601)
    assert info.value.message == limit_message("web", 600)
    assert roomy.get_scale_set(RG, "web").capacity == 600
