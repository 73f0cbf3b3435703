"""Simulated time: provisioning and power transitions take time, and progress is observable.

Sources: issue 2 ("Power and provisioning transitions take simulated time (Creating -> Succeeded,
starting -> running, ...) on an injectable clock, with a speed setting"; "Rolling in batches
(20 %)"); azure-semantics.md §1.4 (transitions), §1.1 (upgradePolicy), §4.2 (percentComplete).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.domain.models import (
    OperationStatus,
    PowerAction,
    PowerState,
    ProvisioningState,
    ScaleSetUpdate,
    UpgradeMode,
)

from ._support import RG, finish, run_clock_until_done, uniform_spec


def test_the_backend_reports_its_speed(open_emulator: Callable[..., Any]) -> None:
    """The header shows which speed the emulator runs at."""
    backend = open_emulator(speed="fast")
    assert backend.speed == "fast"
    info = backend.info()
    assert info.kind == "emulator"
    assert info.speed == "fast"
    assert info.store_path is not None


def test_a_new_set_is_creating_until_simulated_time_passes(open_emulator: Callable[..., Any],
                                                           clock: FakeClock) -> None:
    """Creating -> Succeeded happens on the clock, not at once, at speed fast."""
    backend = open_emulator(speed="fast")
    operation = backend.create_scale_set(uniform_spec("web", capacity=2))
    assert operation.status is OperationStatus.IN_PROGRESS
    assert backend.get_scale_set(RG, "web").provisioning_state is ProvisioningState.CREATING
    assert {i.provisioning_state for i in backend.list_instances(RG, "web")} == {ProvisioningState.CREATING}
    final = run_clock_until_done(backend, clock, operation, step=5)
    assert final.status is OperationStatus.SUCCEEDED
    assert backend.get_scale_set(RG, "web").provisioning_state is ProvisioningState.SUCCEEDED
    for instance in backend.list_instances(RG, "web"):
        assert instance.provisioning_state is ProvisioningState.SUCCEEDED
        assert instance.power_state is PowerState.RUNNING


def test_at_instant_speed_everything_is_done_at_once(open_emulator: Callable[..., Any]) -> None:
    """Speed instant, for scripts and tests: no simulated waiting."""
    backend = open_emulator(speed="instant")
    operation = backend.create_scale_set(uniform_spec("web", capacity=2))
    assert backend.get_operation(operation.id).status is OperationStatus.SUCCEEDED
    assert {i.power_state for i in backend.list_instances(RG, "web")} == {PowerState.RUNNING}


@pytest.mark.parametrize(
    ("action", "setup", "in_between", "final"),
    [
        (PowerAction.POWER_OFF, None, PowerState.STOPPING, PowerState.STOPPED),
        (PowerAction.DEALLOCATE, None, PowerState.DEALLOCATING, PowerState.DEALLOCATED),
        (PowerAction.START, PowerAction.DEALLOCATE, PowerState.STARTING, PowerState.RUNNING),
        (PowerAction.START, PowerAction.POWER_OFF, PowerState.STARTING, PowerState.RUNNING),
    ],
    ids=["stop", "deallocate", "start-deallocated", "start-stopped"],
)
def test_power_actions_pass_through_their_in_between_state(
        open_emulator: Callable[..., Any], clock: FakeClock, action: PowerAction,
        setup: PowerAction | None, in_between: PowerState, final: PowerState) -> None:
    """§1.4: stop = running -> stopping -> stopped; deallocate -> deallocating; start -> starting -> running."""
    backend = open_emulator(speed="fast")
    run_clock_until_done(backend, clock, backend.create_scale_set(uniform_spec("web", capacity=2)), step=5)
    if setup is not None:
        run_clock_until_done(backend, clock, backend.power_action(RG, "web", setup), step=5)
    operation = backend.power_action(RG, "web", action, ["0"])
    assert backend.get_instance(RG, "web", "0").power_state is in_between
    assert backend.get_operation(operation.id).status is OperationStatus.IN_PROGRESS
    run_clock_until_done(backend, clock, operation, step=5)
    assert backend.get_instance(RG, "web", "0").power_state is final


def test_a_restart_passes_through_starting_and_is_not_running_meanwhile(open_emulator: Callable[..., Any],
                                                                       clock: FakeClock) -> None:
    """§1.4: restart = running -> starting -> running."""
    backend = open_emulator(speed="fast")
    run_clock_until_done(backend, clock, backend.create_scale_set(uniform_spec("web", capacity=1)), step=5)
    operation = backend.power_action(RG, "web", PowerAction.RESTART, ["0"])
    assert backend.get_instance(RG, "web", "0").power_state is PowerState.STARTING
    run_clock_until_done(backend, clock, operation, step=5)
    assert backend.get_instance(RG, "web", "0").power_state is PowerState.RUNNING


def test_an_action_on_an_instance_still_deallocating_is_a_conflict(open_emulator: Callable[..., Any]) -> None:
    """protocol.power_action: Conflict while an instance is in the middle of another operation (§2.6 text)."""
    from vmss_tui.domain.errors import Conflict

    backend = open_emulator(speed="fast")
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=1)))
    backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"])
    with pytest.raises(Conflict) as info:
        backend.power_action(RG, "web", PowerAction.RESTART, ["0"])
    assert info.value.message.startswith("The request failed due to conflict with a concurrent request.")
    assert backend.get_instance(RG, "web", "0").power_state is PowerState.DEALLOCATING


def test_percent_complete_rises_while_an_operation_runs(open_emulator: Callable[..., Any],
                                                         clock: FakeClock) -> None:
    """§4.2: percentComplete grows from the start to 100 as simulated time passes."""
    backend = open_emulator(speed="fast")
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=1)))
    operation = backend.set_capacity(RG, "web", 6)
    seen: list[float] = []
    run_clock_until_done(backend, clock, operation, step=0.1,
                         observe=lambda: seen.append(backend.get_operation(operation.id).percent_complete))
    assert seen[0] < 100
    assert seen[-1] == 100
    assert seen == sorted(seen), "progress went backwards"
    assert len(set(seen)) >= 3, f"progress jumped straight to the end: {sorted(set(seen))}"


def test_wait_feeds_the_progress_callback_rising_snapshots(open_emulator: Callable[..., Any]) -> None:
    """protocol.wait with a fake clock: the callback sees percentComplete rise to 100."""
    backend = open_emulator(speed="fast")
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=1)))
    snapshots = []
    final = backend.wait(backend.set_capacity(RG, "web", 6), progress=snapshots.append)
    percents = [snapshot.percent_complete for snapshot in snapshots]
    assert final.status is OperationStatus.SUCCEEDED
    assert percents == sorted(percents)
    assert percents[-1] == 100
    assert len(set(percents)) >= 2, f"progress callback saw only {percents}"


def observe_upgrade(backend: Any, clock: FakeClock, mode: UpgradeMode) -> tuple[list[int], int]:
    """Change the size of a 10-instance set in `mode` and watch it roll out.

    Returns the distinct counts of up-to-date instances in the order seen, and the most
    instances seen updating at the same moment.
    """
    run_clock_until_done(backend, clock, backend.create_scale_set(uniform_spec("web", capacity=10,
                                                                                upgrade_policy=mode)), step=5)
    operation = backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size="Standard_D4s_v3"))
    up_to_date_counts: list[int] = []
    most_updating = 0

    def observe() -> None:
        nonlocal most_updating
        instances = backend.list_instances(RG, "web")
        up_to_date = sum(1 for i in instances if i.latest_model_applied)
        if not up_to_date_counts or up_to_date_counts[-1] != up_to_date:
            up_to_date_counts.append(up_to_date)
        updating = sum(1 for i in instances if i.provisioning_state is ProvisioningState.UPDATING)
        most_updating = max(most_updating, updating)

    run_clock_until_done(backend, clock, operation, step=0.25, observe=observe)
    observe()
    return up_to_date_counts, most_updating


def test_rolling_upgrades_go_in_batches_of_20_percent(open_emulator: Callable[..., Any],
                                                      clock: FakeClock) -> None:
    """Issue 2: Rolling in batches (20 %): 10 instances move 2 at a time, never more at once."""
    backend = open_emulator(speed="fast")
    counts, most_updating = observe_upgrade(backend, clock, UpgradeMode.ROLLING)
    assert counts[-1] == 10
    assert counts == sorted(counts)
    assert all(count % 2 == 0 for count in counts), counts
    assert {2, 4, 6, 8} <= set(counts), f"batches seen: {counts}"
    assert most_updating <= 2


def test_automatic_upgrades_move_every_instance_at_once(open_emulator: Callable[..., Any],
                                                        clock: FakeClock) -> None:
    """§1.1 / seed 001: Automatic updates all VMs "as a blast": nothing in between 0 and all."""
    backend = open_emulator(speed="fast")
    counts, _ = observe_upgrade(backend, clock, UpgradeMode.AUTOMATIC)
    assert counts[-1] == 10
    assert set(counts) <= {0, 10}, counts


def test_an_instance_being_deleted_refuses_other_actions_with_azures_text(open_emulator: Callable[..., Any]) -> None:
    """§2.6 (Azure/azure-sdk-for-python#2702): "... is not allowed on VM '{n}' since the VM is marked for deletion"."""
    from vmss_tui.domain.errors import OperationNotAllowed

    backend = open_emulator(speed="fast")
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2)))
    backend.delete_instances(RG, "web", ["0"])
    assert backend.get_instance(RG, "web", "0").provisioning_state is ProvisioningState.DELETING
    with pytest.raises(OperationNotAllowed) as info:
        backend.power_action(RG, "web", PowerAction.RESTART, ["0"])
    assert "is not allowed on VM 'web_0' since the VM is marked for deletion" in info.value.message
    with pytest.raises(OperationNotAllowed) as info:
        backend.set_protection(RG, "web", ["0"], protect_from_scale_in=True)
    assert info.value.message.startswith("Operation 'Update VM' is not allowed on VM 'web_0' since the VM is "
                                         "marked for deletion")


def test_a_deleted_instance_disappears_once_the_delete_finishes(open_emulator: Callable[..., Any],
                                                                clock: FakeClock) -> None:
    """Deleting shows while it runs; afterwards the instance is gone and capacity has dropped."""
    from vmss_tui.domain.errors import ResourceNotFound

    backend = open_emulator(speed="fast")
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2)))
    operation = backend.delete_instances(RG, "web", ["1"])
    run_clock_until_done(backend, clock, operation, step=5)
    with pytest.raises(ResourceNotFound):
        backend.get_instance(RG, "web", "1")
    assert [i.instance_id for i in backend.list_instances(RG, "web")] == ["0"]
    assert backend.get_scale_set(RG, "web").capacity == 1


def test_a_scale_set_being_deleted_shows_deleting_then_is_gone(open_emulator: Callable[..., Any],
                                                               clock: FakeClock) -> None:
    """provisioningState Deleting while the delete runs, then 404."""
    from vmss_tui.domain.errors import ResourceNotFound

    backend = open_emulator(speed="fast")
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2)))
    operation = backend.delete_scale_set(RG, "web")
    assert backend.get_scale_set(RG, "web").provisioning_state is ProvisioningState.DELETING
    run_clock_until_done(backend, clock, operation, step=5)
    with pytest.raises(ResourceNotFound):
        backend.get_scale_set(RG, "web")


def test_wait_with_a_timeout_returns_the_running_snapshot(open_emulator: Callable[..., Any]) -> None:
    """protocol.wait: on timeout it gives up and returns the last snapshot, still in progress."""
    backend = open_emulator(speed="fast")
    operation = backend.create_scale_set(uniform_spec("web", capacity=2))
    snapshot = backend.wait(operation, timeout=0)
    assert snapshot.status is OperationStatus.IN_PROGRESS
    assert snapshot.done is False
    assert 0 <= snapshot.percent_complete < 100


def expected_duration(open_emulator: Callable[..., Any], speed: str, name: str) -> float:
    """Simulated seconds a 4-instance deallocate is expected to take at `speed`."""
    backend = open_emulator(speed=speed)
    finish(backend, backend.create_scale_set(uniform_spec(name, capacity=4)))
    operation = backend.power_action(RG, name, PowerAction.DEALLOCATE)
    assert operation.end_time is not None
    return (operation.end_time - operation.start_time).total_seconds()


def test_fast_speed_runs_azures_durations_twenty_times_faster_than_real(open_emulator: Callable[..., Any]) -> None:
    """Issue 2: `fast` is Azure's typical durations divided by 20 (allowing for per-instance spread)."""
    real = expected_duration(open_emulator, "real", "slowpoke")
    fast = expected_duration(open_emulator, "fast", "quick")
    assert real > 0 and fast > 0
    assert 12 <= real / fast <= 34, (real, fast)
