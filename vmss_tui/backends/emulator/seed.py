"""The practice estate a new default store starts with (and `emulator reset` rebuilds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.models import OrchestrationMode, ScaleSetSpec, VmSpec
from ...domain.sizes import DEFAULT_LOCATION
from .resources.groups import DEFAULT_RESOURCE_GROUP
from .timing import Speed

if TYPE_CHECKING:
    from .backend import EmulatorBackend


def seed_practice_estate(backend: EmulatorBackend) -> None:
    """A zone-spanning Uniform set, the seed-003 Flexible lab and an empty Flexible set, in practice-rg."""
    speed, backend.speed = backend.speed, Speed.INSTANT
    try:
        backend.create_or_update_resource_group(DEFAULT_RESOURCE_GROUP, DEFAULT_LOCATION)
        backend.create_scale_set(ScaleSetSpec(
            name="web", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.UNIFORM,
            location=DEFAULT_LOCATION, capacity=6, vm_size="Standard_D2s_v3", image="Ubuntu2204",
            zones=("1", "2", "3")))
        backend.create_scale_set(ScaleSetSpec(
            name="demo-set", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.FLEXIBLE,
            location="centralindia", capacity=1, vm_size="Standard_B1s", image="Ubuntu2204"))
        backend.add_vm(DEFAULT_RESOURCE_GROUP, "demo-set", VmSpec(name="newvm", vm_size="Standard_B1s"))
        backend.create_scale_set(ScaleSetSpec(
            name="batch", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.FLEXIBLE,
            location=DEFAULT_LOCATION, platform_fault_domain_count=2, with_vm_profile=False, capacity=0))
    finally:
        backend.speed = speed
