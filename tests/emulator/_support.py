"""Small helpers for the emulator-only tests (the contract suite has its own, protocol-only set)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable

from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.models import Operation, OperationStatus, OrchestrationMode, ScaleSetSpec

CLOCK_START = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
"""Where every fake clock in these tests starts."""

RG = "emu-rg"
LOCATION = "westeurope"
SIZE = "Standard_D2s_v3"
SIZE_FAMILY = "standardDSv3Family"
NON_MPU_SIZE = "Standard_G1"
NON_MPU_FAMILY = "standardGFamily"


def uniform_spec(name: str = "web", **overrides: Any) -> ScaleSetSpec:
    """A Uniform spec with explicit size and image."""
    return replace(ScaleSetSpec(name=name, resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM,
                                capacity=0, vm_size=SIZE, image="Ubuntu2204", computer_name_prefix=name),
                   **overrides)


def flexible_spec(name: str = "flex", **overrides: Any) -> ScaleSetSpec:
    """A Flexible spec with a VM profile."""
    return replace(ScaleSetSpec(name=name, resource_group=RG, orchestration_mode=OrchestrationMode.FLEXIBLE,
                                capacity=0, vm_size=SIZE, image="Ubuntu2204", computer_name_prefix=name),
                   **overrides)


def finish(backend: Backend, operation: Operation) -> Operation:
    """Wait and insist on success."""
    final = backend.wait(operation)
    assert final.status is OperationStatus.SUCCEEDED, f"{final.kind} ended {final.status}: {final.error}"
    return final


def run_clock_until_done(backend: Backend, clock: FakeClock, operation: Operation, *, step: float = 1.0,
                         limit: float = 4 * 3600,
                         observe: Callable[[], None] | None = None) -> Operation:
    """Advance the fake clock in steps until the operation finishes, calling `observe` at each step."""
    waited = 0.0
    while True:
        if observe is not None:
            observe()
        snapshot = backend.get_operation(operation.id)
        if snapshot.done:
            return snapshot
        assert waited < limit, f"{operation.kind} still running after {limit} simulated seconds"
        clock.advance(step)
        waited += step
