"""The store's per-set summaries agree with a full recount of the instances, through every change,
as time passes without a write, and after a write interrupted between the shard and the index."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from vmss_tui.arm import compute as arm_compute
from vmss_tui.armserver.app import ArmApp, ServerSettings
from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator import store as store_module
from vmss_tui.backends.emulator.summary import INDEX_KEY, INDEX_TABLE, _from_entry, file_signature
from vmss_tui.domain import errors
from vmss_tui.domain.models import PowerAction, PowerState, ProvisioningState, VmSpec

from ._support import RG, flexible_spec, uniform_spec


def _recount(backend: Any, name: str) -> tuple[int, Counter]:
    """(capacity, (power, provisioning) counts) from every instance, the slow way."""
    instances = backend.list_instances(RG, name)
    states = Counter((i.power_state, i.provisioning_state) for i in instances)
    capacity = sum(1 for i in instances if i.provisioning_state is not ProvisioningState.DELETING)
    return capacity, states


def _assert_agrees(backend: Any, store_dir: Path, name: str, *, from_index: bool = True) -> None:
    """The summary the backend serves, and the stored index entry itself, match a recount now."""
    capacity, states = _recount(backend, name)
    summaries = {s.scale_set.name: s for s in backend.list_scale_set_summaries(RG)}
    summary = summaries[name]
    assert summary.scale_set.capacity == capacity
    assert backend.get_scale_set(RG, name).capacity == capacity
    assert Counter({(p, s): n for p, s, n in summary.state_counts}) == states
    assert summary.running == sum(n for (p, s), n in states.items()
                                  if p is PowerState.RUNNING and s is not ProvisioningState.CREATING)
    if from_index:  # the entry on disk is current and says the same (not only the recount fallback)
        key = f"sets/{RG}/{name}".lower()
        entry = orjson.loads((store_dir / f"{INDEX_KEY}.json").read_bytes())[INDEX_TABLE][key]
        assert tuple(entry["sig"]) == file_signature(store_dir / f"{key}.json")
        stored = _from_entry(entry)
        assert stored is not None and stored.live == capacity
        now = backend.clock.now().timestamp()
        assert Counter({(PowerState(p), ProvisioningState(s)): n for (p, s), n in stored.states(now).items()}) \
            == states


def test_summary_agrees_after_every_change_and_as_time_passes(open_emulator, store_dir, clock):
    backend = open_emulator(speed="fast")
    backend.create_scale_set(uniform_spec("web", capacity=10, single_placement_group=False))
    steps = [
        lambda: None,
        lambda: backend.set_capacity(RG, "web", 15),
        lambda: backend.set_capacity(RG, "web", 8),
        lambda: backend.power_action(RG, "web", PowerAction.POWER_OFF, ["1", "2"]),
        lambda: backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["3"]),
        lambda: backend.power_action(RG, "web", PowerAction.START, ["1", "3"]),
        lambda: backend.power_action(RG, "web", PowerAction.RESTART, ["0", "6"]),
        lambda: backend.delete_instances(RG, "web", ["4", "5"]),
        lambda: backend.set_protection(RG, "web", ["6"], protect_from_scale_in=True),
    ]
    for step in steps:
        try:
            step()
        except errors.Conflict:
            clock.advance(200)  # an instance still busy from the step before: let it finish, then retry
            step()
        # No write happens while the clock moves: the summary resolves pending steps itself.
        for seconds in (0.0, 0.5, 1.0, 2.0, 3.5, 10.0):
            clock.advance(seconds)
            _assert_agrees(backend, store_dir, "web")


def test_flexible_add_vm_and_set_delete_are_summarised(open_emulator, store_dir, clock):
    backend = open_emulator(speed="fast")
    backend.create_scale_set(flexible_spec("flex", capacity=2))
    backend.add_vm(RG, "flex", VmSpec(name="hand-made"))
    for seconds in (0.0, 1.0, 6.0):
        clock.advance(seconds)
        _assert_agrees(backend, store_dir, "flex")
    backend.create_scale_set(uniform_spec("gone", capacity=3))
    clock.advance(10)
    backend.delete_scale_set(RG, "gone")
    assert "gone" in {s.scale_set.name for s in backend.list_scale_set_summaries(RG)}
    clock.advance(100)  # the deletion finished without a write: the set is no longer listed
    assert "gone" not in {s.scale_set.name for s in backend.list_scale_set_summaries(RG)}
    backend.set_capacity(RG, "flex", 3)  # the next write purges its shard and its index entry
    index = orjson.loads((store_dir / f"{INDEX_KEY}.json").read_bytes())[INDEX_TABLE]
    assert f"sets/{RG}/gone".lower() not in index
    _assert_agrees(backend, store_dir, "flex")


def test_listing_sets_reads_no_set_file(open_emulator, monkeypatch):
    """list (and the TUI's sets pane) costs grow with sets, not instances: no set shard is parsed."""
    backend = open_emulator()
    for name in ("a", "b", "c"):
        backend.create_scale_set(uniform_spec(name, capacity=20))
    fresh = open_emulator()  # another process: nothing cached
    parsed: list[str] = []
    real_parse = store_module.Store._parse

    def counting_parse(self, path, raw):
        parsed.append(path.name)
        return real_parse(self, path, raw)

    monkeypatch.setattr(store_module.Store, "_parse", counting_parse)
    summaries = fresh.list_scale_set_summaries()
    assert [s.scale_set.capacity for s in summaries] == [20, 20, 20]
    assert [s.running for s in summaries] == [20, 20, 20]
    assert [s.name for s in fresh.list_scale_sets()] == ["a", "b", "c"]
    assert not [name for name in parsed if name in ("a.json", "b.json", "c.json")], parsed


def test_an_index_left_behind_by_an_interrupted_write_is_never_believed(open_emulator, store_dir, monkeypatch):
    """The shard is renamed, the index rename never happens (a crash there): the listing recounts."""
    backend = open_emulator()
    backend.create_scale_set(uniform_spec("web", capacity=6))
    real_replace = os.replace

    def crash_before_index(src, dst):
        if str(dst).endswith(f"{INDEX_KEY}.json"):
            raise OSError(5, "simulated crash before the index rename")
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", crash_before_index)
    with pytest.raises(errors.StoreWriteFailed):
        backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0", "1", "2"])
    monkeypatch.setattr(store_module.os, "replace", real_replace)
    reader = open_emulator()
    stopped = sum(1 for i in reader.list_instances(RG, "web") if i.power_state is PowerState.STOPPED)
    assert stopped == 3  # the shard did change
    _assert_agrees(reader, store_dir, "web", from_index=False)
    reader.power_action(RG, "web", PowerAction.START, ["0"])  # the next write brings the index back in step
    _assert_agrees(reader, store_dir, "web")


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from vmss_tui.backends import open_backend
    from vmss_tui.domain.models import PowerAction
    backend = open_backend("emulator", db=sys.argv[1], speed="instant")
    n = 0
    while True:
        n += 1
        action = PowerAction.POWER_OFF if n % 2 else PowerAction.START
        backend.power_action("emu-rg", "web", action, [str(i) for i in range(n % 7 + 1)])
        backend.set_capacity("emu-rg", "web", 20 + n % 5)
        print(n, flush=True)
    """
)


@pytest.mark.parametrize("trial", range(12))
def test_summary_agrees_after_a_kill_9_mid_write(tmp_path, trial):
    store_dir = tmp_path / "store"
    backend = open_backend("emulator", db=store_dir, speed="instant")
    backend.create_or_update_resource_group(RG, "eastus")
    backend.create_scale_set(uniform_spec("web", capacity=20))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(store_dir)], stdout=subprocess.PIPE,
                            text=True)
    time.sleep(random.Random(trial).uniform(0.6, 1.6))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    reader = open_backend("emulator", db=store_dir, speed="instant")
    _assert_agrees(reader, store_dir, "web", from_index=False)
    reader.power_action(RG, "web", PowerAction.START, None)
    _assert_agrees(reader, store_dir, "web")


def test_endpoint_pages_walked_by_next_link_equal_the_full_list(open_emulator):
    backend = open_emulator()
    backend.create_scale_set(uniform_spec("web", capacity=250, single_placement_group=False))
    app = ArmApp(backend, ServerSettings(page_size=100))
    sub = backend.info().subscription_id
    base = "https://emulator.test"
    url = (f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/web/"
           "virtualMachines?api-version=2024-07-01")

    def walk() -> list[dict[str, Any]]:
        rows, target, pages = [], url, 0
        while target:
            response = app.handle("GET", target, {"Authorization": "Bearer t"}, b"", base)
            assert response.status == 200, response.body
            body = orjson.loads(response.body_bytes())
            rows += body["value"]
            pages += 1
            target = body["nextLink"][len(base):] if body.get("nextLink") else None
        assert pages == 3
        return rows

    location = backend.get_scale_set(RG, "web").location
    expected = [orjson.loads(orjson.dumps(arm_compute.scale_set_vm_to_json(i, location)))
                for i in backend.list_instances(RG, "web")]
    first = walk()
    assert first == expected
    backend.set_protection(RG, "web", ["207"], protect_from_scale_in=True)  # a change is seen, never a stale row
    walked = walk()
    assert walked == [orjson.loads(orjson.dumps(arm_compute.scale_set_vm_to_json(i, location)))
                      for i in backend.list_instances(RG, "web")]
    assert walked[207] != first[207] and walked[:207] == first[:207]
