"""The default practice estate, explicit stores, and state read from another process later.

Sources: issue 2 / common brief (default store seeded with a Uniform set over 3 zones capacity 6,
Flexible "demo-set" with a set-created VM plus a hand-added "newvm" as in seed 003, an empty
Flexible "batch"; an explicit store starts empty; "State must be right when read from another
process later (compute it from stored timestamps rather than from a background thread)").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, PowerState, ProvisioningState

from ._support import CLOCK_START, RG, finish, uniform_spec

PRACTICE_RG = "practice-rg"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def assert_practice_estate(backend: Any) -> None:
    """The seeded estate as the brief and seed 003's lab describe it."""
    sets = {s.name: s for s in backend.list_scale_sets(PRACTICE_RG)}
    assert set(sets) == {"web", "demo-set", "batch"}
    web = sets["web"]
    assert web.orchestration_mode is OrchestrationMode.UNIFORM
    assert web.zones == ("1", "2", "3")
    assert web.capacity == 6
    assert web.location == "westeurope"
    assert Counter(i.zone for i in backend.list_instances(PRACTICE_RG, "web")) == {"1": 2, "2": 2, "3": 2}
    assert sets["demo-set"].orchestration_mode is OrchestrationMode.FLEXIBLE
    demo_vms = {i.name: i for i in backend.list_instances(PRACTICE_RG, "demo-set")}
    assert len(demo_vms) == 2
    assert demo_vms["newvm"].created_by_scale_set is False
    (set_made,) = [name for name in demo_vms if name != "newvm"]
    assert re.fullmatch(r"demo-set_[0-9a-f]{8}", set_made)
    assert demo_vms[set_made].created_by_scale_set is True
    assert sets["batch"].orchestration_mode is OrchestrationMode.FLEXIBLE
    assert backend.list_instances(PRACTICE_RG, "batch") == []


@pytest.fixture
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user data dir (platformdirs) into tmp_path so the real default store is never touched."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("VMSS_TUI_DB", raising=False)
    return home


def test_the_default_store_is_seeded_with_the_practice_estate(isolated_user_dirs: Path) -> None:
    """db=None opens the default store in the user data dir, seeded on first use."""
    backend = open_backend("emulator", db=None, speed="instant")
    try:
        assert_practice_estate(backend)
        info = backend.info()
        assert info.store_path is not None and str(isolated_user_dirs) in info.store_path
        assert re.fullmatch(GUID, info.subscription_id)
        assert info.default_location == "westeurope"
    finally:
        backend.close()


def test_the_default_store_is_seeded_only_once(isolated_user_dirs: Path) -> None:
    """What the operator deletes from the practice estate stays deleted on the next start."""
    backend = open_backend("emulator", db=None, speed="instant")
    try:
        finish(backend, backend.delete_scale_set(PRACTICE_RG, "batch"))
    finally:
        backend.close()
    reopened = open_backend("emulator", db=None, speed="instant")
    try:
        assert sorted(s.name for s in reopened.list_scale_sets(PRACTICE_RG)) == ["demo-set", "web"]
    finally:
        reopened.close()


def test_an_explicit_store_starts_empty(open_emulator: Callable[..., Any]) -> None:
    """--db PATH starts with no scale sets."""
    backend = open_emulator()
    assert backend.list_scale_sets() == []


def test_the_practice_estate_can_be_seeded_into_an_explicit_store(open_emulator: Callable[..., Any]) -> None:
    """seed_practice_estate() builds the same estate anywhere."""
    backend = open_emulator()
    backend.seed_practice_estate()
    assert_practice_estate(backend)


def test_a_reopened_store_shows_everything_that_was_acknowledged(open_emulator: Callable[..., Any]) -> None:
    """No acknowledged mutation is lost across a close and reopen."""
    first = open_emulator()
    finish(first, first.create_scale_set(uniform_spec("web", capacity=3)))
    finish(first, first.delete_instances(RG, "web", ["1"]))
    first.close()
    second = open_emulator()
    assert [i.instance_id for i in second.list_instances(RG, "web")] == ["0", "2"]
    assert second.get_scale_set(RG, "web").capacity == 2


READ_STATE = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime
    from vmss_tui.backends import open_backend
    from vmss_tui.backends.emulator.clock import FakeClock

    db, now, command = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    backend = open_backend("emulator", db=db, speed="fast", clock=FakeClock(start=now))
    if command == "scale":
        backend.set_capacity("emu-rg", "web", 4)
    print(json.dumps([
        [i.instance_id, str(i.provisioning_state), str(i.power_state)]
        for i in backend.list_instances("emu-rg", "web")
    ]))
    backend.close()
    """
)


def read_in_other_process(store_dir: Path, at_seconds: float, command: str = "read") -> list[list[str]]:
    """Open the store in a fresh interpreter whose clock is `at_seconds` after CLOCK_START."""
    moment = (CLOCK_START + timedelta(seconds=at_seconds)).isoformat()
    result = subprocess.run([sys.executable, "-c", READ_STATE, str(store_dir), moment, command],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_another_process_later_sees_the_finished_state_from_stored_timestamps(
        open_emulator: Callable[..., Any], store_dir: Path) -> None:
    """A create left running is Creating to a reader at the same moment and done to a reader an hour later."""
    backend = open_emulator(speed="fast")
    backend.create_scale_set(uniform_spec("web", capacity=2))
    backend.close()
    same_moment = read_in_other_process(store_dir, 0)
    assert {row[1] for row in same_moment} == {str(ProvisioningState.CREATING)}
    an_hour_later = read_in_other_process(store_dir, 3600)
    assert an_hour_later == [["0", str(ProvisioningState.SUCCEEDED), str(PowerState.RUNNING)],
                             ["1", str(ProvisioningState.SUCCEEDED), str(PowerState.RUNNING)]]


def test_a_change_made_by_another_process_is_seen_by_an_open_backend(
        open_emulator: Callable[..., Any], store_dir: Path, clock: Any) -> None:
    """Two processes on one store: the open one reads the other's scale-out, with fresh ids."""
    backend = open_emulator(speed="fast")
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2)))
    other = read_in_other_process(store_dir, 3600, command="scale")
    assert [row[0] for row in other] == ["0", "1", "2", "3"]
    clock.advance(7200)
    assert [i.instance_id for i in backend.list_instances(RG, "web")] == ["0", "1", "2", "3"]
    assert {i.power_state for i in backend.list_instances(RG, "web")} == {PowerState.RUNNING}


ADD_VMS = textwrap.dedent(
    """
    import sys
    from vmss_tui.backends import open_backend
    from vmss_tui.domain.models import VmSpec

    db, worker = sys.argv[1], sys.argv[2]
    backend = open_backend("emulator", db=db, speed="instant")
    for index in range(5):
        backend.add_vm("emu-rg", "flex", VmSpec(name=f"w{worker}-vm{index}"))
        current = backend.get_scale_set("emu-rg", "web").capacity
        backend.set_capacity("emu-rg", "web", current + 1)
    backend.close()
    """
)


def test_processes_working_on_one_store_at_once_lose_no_vm_and_never_share_an_id(
        open_emulator: Callable[..., Any], store_dir: Path) -> None:
    """Issue 2: concurrent processes lose no update and never reuse an id."""
    from vmss_tui.backends.emulator.clock import SystemClock

    from ._support import flexible_spec

    # The workers run on the system clock; so must the reader, or their instant deletions (a racing
    # worker's stale capacity read can scale in) would still look in flight at the reader's fixed time.
    backend = open_emulator(clock=SystemClock())
    finish(backend, backend.create_scale_set(flexible_spec("flex")))
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=0, single_placement_group=False)))
    workers = [subprocess.Popen([sys.executable, "-c", ADD_VMS, str(store_dir), str(worker)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for worker in range(4)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
    flexible_names = sorted(i.instance_id for i in backend.list_instances(RG, "flex"))
    assert flexible_names == sorted(f"w{w}-vm{i}" for w in range(4) for i in range(5))
    uniform_ids = [i.instance_id for i in backend.list_instances(RG, "web")]
    assert len(uniform_ids) == len(set(uniform_ids)) == backend.get_scale_set(RG, "web").capacity
    assert len({i.name for i in backend.list_instances(RG, "web")}) == len(uniform_ids)
