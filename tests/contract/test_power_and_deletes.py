"""Power actions on chosen instances and whole sets, protection, and deleting instances.

Sources: azure-semantics.md §1.4 (power states and transitions; restart when not running ->
OperationNotAllowed "The operation requires the VM to be running (or set to run)."
MicrosoftDocs/azure-docs#32404; reimage keeps the instance id), §4.1 (instanceIds omitted = all),
§1.2 / §2.5 (protection never blocks user deletes; deleting instances lowers sku.capacity).
"""

from __future__ import annotations

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import InvalidParameter, OperationNotAllowed, ResourceNotFound
from vmss_tui.domain.models import PowerAction, PowerState, ProvisioningState

from ._support import (
    RG,
    assert_nothing_changes,
    by_id,
    check_error,
    create,
    finish,
    instance_ids,
    uniform_spec,
)

REQUIRES_RUNNING = "The operation requires the VM to be running (or set to run)."


def power_states(backend: Backend, name: str = "web") -> dict[str, PowerState]:
    """Instance id -> power state."""
    return {i.instance_id: i.power_state for i in backend.list_instances(RG, name)}


@pytest.mark.parametrize(
    ("action", "expected"),
    [(PowerAction.POWER_OFF, PowerState.STOPPED), (PowerAction.DEALLOCATE, PowerState.DEALLOCATED)],
)
def test_stopping_or_deallocating_chosen_instances_touches_only_them(
        backend: Backend, action: PowerAction, expected: PowerState) -> None:
    """§4.1: an action with instanceIds affects just those instances."""
    create(backend, uniform_spec("web", capacity=3))
    finish(backend, backend.power_action(RG, "web", action, ["1"]))
    assert power_states(backend) == {"0": PowerState.RUNNING, "1": expected, "2": PowerState.RUNNING}


@pytest.mark.parametrize(
    ("action", "expected"),
    [(PowerAction.POWER_OFF, PowerState.STOPPED), (PowerAction.DEALLOCATE, PowerState.DEALLOCATED)],
)
def test_a_whole_set_action_reaches_every_instance(backend: Backend, action: PowerAction,
                                                   expected: PowerState) -> None:
    """§4.1: instanceIds omitted means all instances."""
    create(backend, uniform_spec("web", capacity=3))
    finish(backend, backend.power_action(RG, "web", action))
    assert set(power_states(backend).values()) == {expected}


@pytest.mark.parametrize("first", [PowerAction.POWER_OFF, PowerAction.DEALLOCATE])
def test_start_brings_stopped_and_deallocated_instances_back_to_running(backend: Backend,
                                                                         first: PowerAction) -> None:
    """§1.4: start: stopped|deallocated -> starting -> running."""
    create(backend, uniform_spec("web", capacity=2))
    finish(backend, backend.power_action(RG, "web", first))
    finish(backend, backend.power_action(RG, "web", PowerAction.START))
    assert set(power_states(backend).values()) == {PowerState.RUNNING}


def test_restart_of_a_running_instance_leaves_it_running(backend: Backend) -> None:
    """§1.4: restart: running -> starting -> running, without deallocation."""
    create(backend, uniform_spec("web", capacity=2))
    finish(backend, backend.power_action(RG, "web", PowerAction.RESTART, ["0"]))
    assert power_states(backend) == {"0": PowerState.RUNNING, "1": PowerState.RUNNING}


@pytest.mark.parametrize("first", [PowerAction.POWER_OFF, PowerAction.DEALLOCATE])
def test_restart_of_a_stopped_or_deallocated_instance_is_not_allowed(backend: Backend,
                                                                      first: PowerAction) -> None:
    """§1.4 (MicrosoftDocs/azure-docs#32404): 409 OperationNotAllowed with Azure's text."""
    create(backend, uniform_spec("web", capacity=2))
    finish(backend, backend.power_action(RG, "web", first, ["1"]))
    error = assert_nothing_changes(
        backend, "web", lambda: backend.power_action(RG, "web", PowerAction.RESTART, ["1"]), OperationNotAllowed)
    check_error(error, code="OperationNotAllowed", message=REQUIRES_RUNNING)
    assert error.http_status == 409


def test_a_restart_that_includes_a_deallocated_instance_restarts_nothing(backend: Backend) -> None:
    """A failed request leaves every named instance as it was, the running ones included."""
    create(backend, uniform_spec("web", capacity=2))
    finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["1"]))
    error = assert_nothing_changes(
        backend, "web", lambda: backend.power_action(RG, "web", PowerAction.RESTART, ["0", "1"]), OperationNotAllowed)
    check_error(error, code="OperationNotAllowed", message=REQUIRES_RUNNING)


def test_reimage_keeps_the_instance_id_and_comes_back_running(backend: Backend) -> None:
    """§1.4: reimage keeps the instance ID and comes back running."""
    create(backend, uniform_spec("web", capacity=2))
    before = by_id(backend, "web")
    finish(backend, backend.power_action(RG, "web", PowerAction.REIMAGE, ["0"]))
    after = by_id(backend, "web")
    assert sorted(after) == ["0", "1"]
    assert after["0"].name == before["0"].name
    assert after["0"].power_state is PowerState.RUNNING
    assert after["0"].provisioning_state is ProvisioningState.SUCCEEDED


def test_a_whole_set_action_skips_instances_protected_from_scale_set_actions(backend: Backend) -> None:
    """§1.2 / protocol.power_action: set-wide actions leave protected instances alone and say so."""
    create(backend, uniform_spec("web", capacity=3))
    backend.set_protection(RG, "web", ["2"], protect_from_scale_in=True, protect_from_scale_set_actions=True)
    operation = finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE))
    assert power_states(backend) == {"0": PowerState.DEALLOCATED, "1": PowerState.DEALLOCATED,
                                     "2": PowerState.RUNNING}
    assert operation.skipped_instance_ids == ("2",)


def test_scale_in_protection_alone_does_not_shield_from_whole_set_actions(backend: Backend) -> None:
    """Only protectFromScaleSetActions exempts an instance from set-wide actions."""
    create(backend, uniform_spec("web", capacity=2))
    backend.set_protection(RG, "web", ["1"], protect_from_scale_in=True)
    finish(backend, backend.power_action(RG, "web", PowerAction.POWER_OFF))
    assert set(power_states(backend).values()) == {PowerState.STOPPED}


def test_deleting_instances_ignores_protection_and_lowers_capacity(backend: Backend) -> None:
    """§2.5: protection never blocks user deletes; deleting instances lowers sku.capacity."""
    create(backend, uniform_spec("web", capacity=4))
    backend.set_protection(RG, "web", ["1", "2"], protect_from_scale_in=True, protect_from_scale_set_actions=True)
    operation = finish(backend, backend.delete_instances(RG, "web", ["1", "2"]))
    assert sorted(operation.removed_instance_ids) == ["1", "2"]
    assert instance_ids(backend, "web") == ["0", "3"]
    assert backend.get_scale_set(RG, "web").capacity == 2


def test_deleting_an_unknown_instance_deletes_nothing(backend: Backend) -> None:
    """protocol.delete_instances: an id not in the set fails the request and nothing is deleted."""
    create(backend, uniform_spec("web", capacity=3))
    error = assert_nothing_changes(backend, "web", lambda: backend.delete_instances(RG, "web", ["0", "9"]),
                                   ResourceNotFound)
    assert error.http_status == 404


def test_deleting_instances_needs_at_least_one_id(backend: Backend) -> None:
    """§2.5: instanceIds is required for POST .../delete."""
    create(backend, uniform_spec("web", capacity=1))
    assert_nothing_changes(backend, "web", lambda: backend.delete_instances(RG, "web", []), InvalidParameter)


def test_a_power_action_on_an_unknown_instance_changes_nothing(backend: Backend) -> None:
    """protocol.power_action: ResourceNotFound for an id not in the set, and the others stay put."""
    create(backend, uniform_spec("web", capacity=2))
    assert_nothing_changes(backend, "web",
                           lambda: backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0", "5"]),
                           ResourceNotFound)


def test_protection_on_an_unknown_instance_changes_nothing(backend: Backend) -> None:
    """protocol.set_protection: ResourceNotFound and no instance flagged."""
    create(backend, uniform_spec("web", capacity=2))
    assert_nothing_changes(backend, "web",
                           lambda: backend.set_protection(RG, "web", ["0", "5"], protect_from_scale_in=True),
                           ResourceNotFound)


def test_actions_on_named_protected_instances_still_apply(backend: Backend) -> None:
    """DOCS:instance-protection: protection "doesn't block user-initiated instance operations"."""
    create(backend, uniform_spec("web", capacity=2))
    backend.set_protection(RG, "web", ["0"], protect_from_scale_in=True, protect_from_scale_set_actions=True)
    operation = finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"]))
    assert power_states(backend) == {"0": PowerState.DEALLOCATED, "1": PowerState.RUNNING}
    assert operation.skipped_instance_ids == ()


def test_protected_instances_do_not_block_deleting_the_whole_scale_set(backend: Backend) -> None:
    """DOCS:instance-protection: scale-set-action protection "doesn't block deletion of the whole scale set"."""
    create(backend, uniform_spec("web", capacity=2))
    backend.set_protection(RG, "web", ["0", "1"], protect_from_scale_in=True, protect_from_scale_set_actions=True)
    finish(backend, backend.delete_scale_set(RG, "web"))
    with pytest.raises(ResourceNotFound):
        backend.get_scale_set(RG, "web")


def test_flexible_vms_take_set_level_power_actions_by_name(backend: Backend) -> None:
    """§2.1 [INF]: VMSS-level batch actions on a Flexible set use the VM names as instance ids."""
    from ._support import flexible_spec

    create(backend, flexible_spec("flex", capacity=2))
    first, second = instance_ids(backend, "flex")
    finish(backend, backend.power_action(RG, "flex", PowerAction.POWER_OFF, [first]))
    assert power_states(backend, "flex") == {first: PowerState.STOPPED, second: PowerState.RUNNING}
    finish(backend, backend.power_action(RG, "flex", PowerAction.DEALLOCATE))
    assert set(power_states(backend, "flex").values()) == {PowerState.DEALLOCATED}
