"""Helpers for the contract suite: build specs, wait on operations, read state through the protocol only.

Nothing here may reach into a backend's internals: the same helpers run against the emulator
and, through the Azure SDK, against the emulator served over HTTPS.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any, Callable

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.models import (
    Instance,
    Operation,
    OperationStatus,
    OrchestrationMode,
    ScaleSet,
    ScaleSetSpec,
)

RG = "contract-rg"
"""Every contract test works in this resource group (the fixture creates it)."""
OTHER_RG = "another-rg"
"""A second group, for listing across groups."""
CONTRACT_GROUPS = (RG, OTHER_RG)

SIZE = "Standard_D2s_v3"
"""A memory-preserving, 2-vCPU size: the everyday choice."""

BIGGER_SIZE = "Standard_D4s_v3"
IMAGE = "Ubuntu2204"
OTHER_IMAGE = "Ubuntu2404"
NON_MPU_SIZE = "Standard_G1"
"""A G-series size: no memory-preserving updates, which narrows Flexible sets with FD count > 1."""

FLEX_AUTO_NAME = r"[0-9a-f]{8}"


def uniform_spec(name: str = "web", **overrides: Any) -> ScaleSetSpec:
    """A Uniform set spec with explicit size, image and prefix so names are predictable."""
    spec = ScaleSetSpec(
        name=name,
        resource_group=RG,
        orchestration_mode=OrchestrationMode.UNIFORM,
        capacity=0,
        vm_size=SIZE,
        image=IMAGE,
        computer_name_prefix=name,
    )
    return replace(spec, **overrides)


def flexible_spec(name: str = "flex", **overrides: Any) -> ScaleSetSpec:
    """A Flexible set spec with a VM profile and no instances."""
    spec = ScaleSetSpec(
        name=name,
        resource_group=RG,
        orchestration_mode=OrchestrationMode.FLEXIBLE,
        capacity=0,
        vm_size=SIZE,
        image=IMAGE,
        computer_name_prefix=name,
    )
    return replace(spec, **overrides)


def finish(backend: Backend, operation: Operation) -> Operation:
    """Wait for an operation and insist it succeeded (failures show Azure's error)."""
    final = backend.wait(operation)
    assert final.status is OperationStatus.SUCCEEDED, f"{final.kind} ended {final.status}: {final.error}"
    return final


def create(backend: Backend, spec: ScaleSetSpec) -> ScaleSet:
    """Create a set, wait for it, and return it as the backend reports it."""
    finish(backend, backend.create_scale_set(spec))
    return backend.get_scale_set(spec.resource_group, spec.name)


def scale(backend: Backend, name: str, capacity: int, rg: str = RG) -> Operation:
    """Set capacity and wait."""
    return finish(backend, backend.set_capacity(rg, name, capacity))


def instance_ids(backend: Backend, name: str, rg: str = RG) -> list[str]:
    """Ids of a set's instances in the backend's order."""
    return [instance.instance_id for instance in backend.list_instances(rg, name)]


def by_id(backend: Backend, name: str, rg: str = RG) -> dict[str, Instance]:
    """A set's instances keyed by instance id."""
    return {instance.instance_id: instance for instance in backend.list_instances(rg, name)}


def zone_counts(backend: Backend, name: str, rg: str = RG) -> Counter[str | None]:
    """How many instances sit in each zone."""
    return Counter(instance.zone for instance in backend.list_instances(rg, name))


def fault_domain_counts(backend: Backend, name: str, rg: str = RG) -> Counter[int]:
    """How many instances sit in each fault domain."""
    return Counter(instance.fault_domain for instance in backend.list_instances(rg, name))


def state_of(backend: Backend, name: str, rg: str = RG) -> tuple[ScaleSet, list[Instance]]:
    """Everything an operator can see about one set: compared before and after a failed mutation."""
    return backend.get_scale_set(rg, name), backend.list_instances(rg, name)


def check_error(error: AzureError, *, code: str, message: str | None = None,
                pattern: str | None = None, target: str | None = None,
                mentions: tuple[str, ...] = ()) -> None:
    """Check an error carries Azure's code and, where the documents quote it, Azure's text."""
    assert error.code == code, f"code {error.code!r}, expected {code!r}: {error.message}"
    if message is not None:
        assert error.message == message
    if pattern is not None:
        assert re.fullmatch(pattern, error.message), error.message
    if target is not None:
        assert error.target == target, f"target {error.target!r}, expected {target!r}"
    for word in mentions:
        assert word in error.message, f"{word!r} not in {error.message!r}"


def assert_nothing_changes(backend: Backend, name: str, action: Callable[[], object],
                           error_type: type[AzureError], rg: str = RG) -> AzureError:
    """Run a mutation that must fail and check the set and its instances are exactly as before."""
    before = state_of(backend, name, rg)
    with pytest.raises(error_type) as info:
        action()
    assert state_of(backend, name, rg) == before
    return info.value
