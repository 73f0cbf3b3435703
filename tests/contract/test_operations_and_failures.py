"""Long-running operations, and the promise that a failed mutation changes nothing.

Sources: azure-semantics.md §4.2 (LRO: terminal statuses Succeeded | Failed | Canceled,
percentComplete), §2.6 (error codes); protocol.py (get_operation / wait).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import (
    AzureError,
    Conflict,
    InvalidParameter,
    OperationNotAllowed,
    PropertyChangeNotAllowed,
    ResourceNotFound,
)
from vmss_tui.domain.models import (
    OperationStatus,
    OrchestrationMode,
    PowerAction,
    ScaleSetUpdate,
    VmSpec,
)

from ._support import RG, assert_nothing_changes, create, finish, uniform_spec


def test_wait_returns_a_succeeded_operation_at_100_percent(backend: Backend) -> None:
    """§4.2: a finished operation reports status Succeeded."""
    create(backend, uniform_spec("web", capacity=1))
    operation = backend.set_capacity(RG, "web", 3)
    final = backend.wait(operation)
    assert final.id == operation.id
    assert final.status is OperationStatus.SUCCEEDED
    assert final.done is True
    assert final.percent_complete == 100
    assert final.error is None
    assert final.end_time is not None and final.end_time >= final.start_time
    assert final.scale_set_name == "web"
    assert final.resource_group == RG


def test_an_operation_can_be_looked_up_by_its_id(backend: Backend) -> None:
    """protocol.get_operation: the current state of an operation this backend started."""
    operation = backend.create_scale_set(uniform_spec("web", capacity=2))
    finish(backend, operation)
    looked_up = backend.get_operation(operation.id)
    assert looked_up.id == operation.id
    assert looked_up.status is OperationStatus.SUCCEEDED
    assert looked_up.scale_set_name == "web"


def test_an_unknown_operation_id_is_resource_not_found(backend: Backend) -> None:
    """protocol.get_operation raises ResourceNotFound for an id it never issued."""
    with pytest.raises(ResourceNotFound):
        backend.get_operation("00000000-0000-0000-0000-000000000000")


def test_wait_reports_the_final_snapshot_to_the_progress_callback(backend: Backend) -> None:
    """protocol.wait: progress is called with each snapshot, and once at the end."""
    create(backend, uniform_spec("web", capacity=1))
    snapshots = []
    final = backend.wait(backend.set_capacity(RG, "web", 2), progress=snapshots.append)
    assert snapshots, "progress was never called"
    assert snapshots[-1].status is OperationStatus.SUCCEEDED
    assert snapshots[-1].percent_complete == 100
    assert final.status is OperationStatus.SUCCEEDED


def test_creating_a_set_whose_name_is_taken_is_a_conflict(backend: Backend) -> None:
    """protocol.create_scale_set: Conflict when the name exists; the existing set is untouched."""
    create(backend, uniform_spec("web", capacity=2))
    error = assert_nothing_changes(backend, "web",
                                   lambda: backend.create_scale_set(uniform_spec("web", capacity=5)), Conflict)
    assert error.http_status == 409


FAILING_MUTATIONS: dict[str, tuple[Callable[[Backend], object], type[AzureError]]] = {
    "capacity above the placement-group limit": (lambda b: b.set_capacity(RG, "web", 101), OperationNotAllowed),
    "negative capacity": (lambda b: b.set_capacity(RG, "web", -3), InvalidParameter),
    "orchestration mode change": (
        lambda b: b.update_scale_set(RG, "web", ScaleSetUpdate(orchestration_mode=OrchestrationMode.FLEXIBLE)),
        PropertyChangeNotAllowed),
    "fault domain count change": (
        lambda b: b.update_scale_set(RG, "web", ScaleSetUpdate(platform_fault_domain_count=2)),
        PropertyChangeNotAllowed),
    "size change together with a forbidden change": (
        lambda b: b.update_scale_set(RG, "web", ScaleSetUpdate(vm_size="Standard_D4s_v3",
                                                               platform_fault_domain_count=2)),
        PropertyChangeNotAllowed),
    "adding a VM by hand to Uniform": (lambda b: b.add_vm(RG, "web", VmSpec(name="extra")), OperationNotAllowed),
    "deleting a known and an unknown instance": (
        lambda b: b.delete_instances(RG, "web", ["0", "77"]), ResourceNotFound),
    "restarting a running and a deallocated instance": (
        lambda b: b.power_action(RG, "web", PowerAction.RESTART, ["0", "2"]), OperationNotAllowed),
    "protecting a known and an unknown instance": (
        lambda b: b.set_protection(RG, "web", ["0", "77"], protect_from_scale_in=True), ResourceNotFound),
    "upgrading an unknown instance": (lambda b: b.upgrade_instances(RG, "web", ["77"]), ResourceNotFound),
}


@pytest.mark.parametrize("what", list(FAILING_MUTATIONS))
def test_a_failed_mutation_leaves_the_set_and_its_instances_exactly_as_before(backend: Backend, what: str) -> None:
    """Bad input never loses or half-applies anything: compare everything visible before and after."""
    action, error_type = FAILING_MUTATIONS[what]
    create(backend, uniform_spec("web", capacity=3, single_placement_group=True))
    finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["2"]))
    assert_nothing_changes(backend, "web", lambda: action(backend), error_type)


def test_a_concurrent_refresh_matches_reading_each_set_on_its_own(backend: Backend) -> None:
    """protocol.ConcurrentRefresh (optional): one entry per key, in order; a missing set is its own 404."""
    from vmss_tui.backends.protocol import ConcurrentRefresh

    if not isinstance(backend, ConcurrentRefresh):
        pytest.skip("this backend does not offer ConcurrentRefresh")
    create(backend, uniform_spec("web", capacity=2))
    create(backend, uniform_spec("api", capacity=1))
    results = backend.refresh_scale_sets([(RG, "web"), (RG, "ghost"), (RG, "api")])
    assert len(results) == 3
    assert results[0] == (backend.get_scale_set(RG, "web"), backend.list_instances(RG, "web"))
    assert isinstance(results[1], ResourceNotFound)
    assert results[2] == (backend.get_scale_set(RG, "api"), backend.list_instances(RG, "api"))
