"""The emulator store keeps every acknowledged change through crashes and concurrent writers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator import store as store_module
from vmss_tui.backends.emulator.store import Store
from vmss_tui.domain.errors import StoreCorrupted
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

PYTHON = sys.executable

WRITER = textwrap.dedent(
    """
    import sys
    from vmss_tui.backends.emulator.store import Store
    store = Store(sys.argv[1])
    counter = 0
    while True:
        counter += 1
        with store.transaction() as txn:
            table = txn.db("sets/rg/big").table("docs")
            table.truncate()
            # Alternately grow and shrink the file: the case where TinyDB's in-place write leaves a tail.
            size = 200 if counter % 2 else 20
            table.insert_multiple({"n": counter, "pad": "x" * 250} for _ in range(size))
            txn.db("subscription").table("counter").truncate()
            txn.db("subscription").table("counter").insert({"n": counter})
        print(counter, flush=True)
    """
)


def _run_writer_and_kill(root: Path, after_seconds: float) -> int:
    """Start a writer, SIGKILL it after a while, return the last counter it acknowledged."""
    proc = subprocess.Popen([PYTHON, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True)
    time.sleep(after_seconds)
    proc.send_signal(signal.SIGKILL)
    output, _ = proc.communicate()
    acknowledged = [int(line) for line in output.split()]
    return acknowledged[-1] if acknowledged else 0


def _assert_store_whole(root: Path, acknowledged: int) -> None:
    for shard in root.rglob("*.json"):
        json.loads(shard.read_text())  # every shard parses
    store = Store(root)
    with store.snapshot() as txn:
        counter_rows = txn.db("subscription").table("counter").all()
        docs = txn.db("sets/rg/big").table("docs").all()
    stored = counter_rows[0]["n"] if counter_rows else 0
    assert stored >= acknowledged, f"acknowledged write {acknowledged} lost (store has {stored})"
    assert all(doc["n"] == docs[0]["n"] for doc in docs), "a shard mixes two transactions"
    assert not list(root.rglob("*.tmp")), "stale temp files were not cleaned up on open"


@pytest.mark.parametrize("trial", range(12))
def test_a_kill_9_at_any_moment_leaves_every_state_file_readable_and_loses_no_acknowledged_write(tmp_path, trial):
    rng = random.Random(trial)
    acknowledged = _run_writer_and_kill(tmp_path, rng.uniform(0.15, 0.6))
    _assert_store_whole(tmp_path, acknowledged)


@pytest.mark.slow
def test_two_hundred_kill_9_trials_never_corrupt_the_store(tmp_path):
    rng = random.Random(2026)
    for trial in range(200):
        root = tmp_path / f"t{trial}"
        acknowledged = _run_writer_and_kill(root, rng.uniform(0.12, 0.45))
        _assert_store_whole(root, acknowledged)


COUNTER_WORKER = textwrap.dedent(
    """
    import sys
    from vmss_tui.backends.emulator.store import Store
    store = Store(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        with store.transaction() as txn:
            table = txn.db("subscription").table("counter")
            rows = table.all()
            value = rows[0]["n"] if rows else 0
            table.truncate()
            table.insert({"n": value + 1})
    """
)


def test_four_processes_incrementing_one_counter_lose_no_update(tmp_path):
    per_process = 60
    workers = [subprocess.Popen([PYTHON, "-c", COUNTER_WORKER, str(tmp_path), str(per_process)]) for _ in range(4)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    with Store(tmp_path).snapshot() as txn:
        assert txn.db("subscription").table("counter").all()[0]["n"] == 4 * per_process


SCALER = textwrap.dedent(
    """
    import sys
    from vmss_tui.backends import open_backend
    backend = open_backend("emulator", db=sys.argv[1], speed="instant")
    from vmss_tui.domain.models import PowerAction
    for _ in range(int(sys.argv[2])):
        backend.power_action("rg", "web", PowerAction.START)
        # capacity is read outside the lock on purpose: racing scale-outs (and scale-ins) must stay consistent
        op = backend.set_capacity("rg", "web", backend.get_scale_set("rg", "web").capacity + 1)
        print(*op.created_instance_ids, flush=True)
    """
)


def test_concurrent_scale_outs_from_several_processes_never_reuse_an_instance_id(tmp_path):
    backend = open_backend("emulator", db=tmp_path, speed="instant")
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg", orchestration_mode=OrchestrationMode.UNIFORM,
                                          capacity=0, single_placement_group=False))
    workers = [subprocess.Popen([PYTHON, "-c", SCALER, str(tmp_path), "10"], stdout=subprocess.PIPE, text=True)
               for _ in range(3)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0]
    handed_out = [int(i) for out in outputs for i in out.split()]
    assert len(handed_out) == len(set(handed_out)), "an instance id was handed out twice"
    assert sorted(handed_out) == list(range(len(handed_out))), "the per-set counter skipped or repeated"
    live = {int(i.instance_id) for i in backend.list_instances("rg", "web")}
    assert live <= set(handed_out)


def test_a_state_file_that_does_not_parse_is_reported_where_it_lies_never_moved_or_reset(tmp_path):
    backend = open_backend("emulator", db=tmp_path, speed="instant")
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=2))
    shard = tmp_path / "sets" / "rg" / "web.json"
    original = shard.read_bytes()
    shard.write_bytes(original[: len(original) // 2])
    fresh = open_backend("emulator", db=tmp_path, speed="instant")
    with pytest.raises(StoreCorrupted) as raised:
        fresh.get_scale_set("rg", "web")
    assert raised.value.code == "StoreDamaged" and "emulator check" in raised.value.message
    assert [str(s.provisioning_state) for s in fresh.list_scale_sets()] == ["Damaged"]
    assert sorted(p.name for p in (tmp_path / "sets" / "rg").iterdir()) == ["web.json"]
    assert shard.read_bytes() == original[: len(original) // 2]


def test_scaling_zero_to_a_thousand_writes_the_store_once(tmp_path, monkeypatch):
    backend = open_backend("emulator", db=tmp_path, speed="instant")
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="big", resource_group="rg", orchestration_mode=OrchestrationMode.UNIFORM,
                                          capacity=0, single_placement_group=False))
    replaced: list[str] = []
    real_replace = os.replace

    def counting_replace(src, dst):
        replaced.append(str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", counting_replace)
    backend.set_capacity("rg", "big", 1000)
    # the set's file once, then the small summary index (renamed last: see summary.py)
    assert replaced == [str(tmp_path / "sets" / "rg" / "big.json"), str(tmp_path / "set-summaries.json")]
    assert len(backend.list_instances("rg", "big")) == 1000


def test_a_failed_operation_writes_nothing(tmp_path, monkeypatch):
    backend = open_backend("emulator", db=tmp_path, speed="instant")
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=2))
    shard = tmp_path / "sets" / "rg" / "web.json"
    before = shard.read_bytes()
    with pytest.raises(Exception):
        backend.set_capacity("rg", "web", 101)  # single placement group: over the 100 limit
    assert shard.read_bytes() == before
    assert backend.get_scale_set("rg", "web").capacity == 2


def test_another_process_reading_later_sees_operations_finished_from_their_timestamps(tmp_path):
    backend = open_backend("emulator", db=tmp_path, speed="fast")
    backend.create_or_update_resource_group("rg", "westeurope")
    op = backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg",
                                               orchestration_mode=OrchestrationMode.UNIFORM, capacity=3))
    assert {i.provisioning_state.value for i in backend.list_instances("rg", "web")} == {"Creating"}
    remaining = (op.end_time.timestamp() - time.time()) + 0.2
    time.sleep(max(0.0, remaining))
    reader = subprocess.run(
        [PYTHON, "-c", "import sys; from vmss_tui.backends import open_backend; "
                       "b = open_backend('emulator', db=sys.argv[1]); "
                       "print(sorted({(i.power_state.value, i.provisioning_state.value) "
                       "for i in b.list_instances('rg', 'web')}))", str(tmp_path)],
        capture_output=True, text=True, check=True)
    assert reader.stdout.strip() == "[('running', 'Succeeded')]"


def test_a_user_without_write_access_can_still_open_and_read_an_existing_store():
    if os.geteuid() != 0:
        pytest.skip("needs root to run the reader as another user")
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="vmss-readonly-"))  # outside pytest's 0700 tmp tree
    try:
        backend = open_backend("emulator", db=root / "store", speed="instant")
        backend.create_or_update_resource_group("rg", "westeurope")
        backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg",
                                              orchestration_mode=OrchestrationMode.UNIFORM, capacity=2))
        for path in [root, *root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)  # others may read, never write
        reader = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PYTHON, "-c",
             "import sys; from vmss_tui.backends import open_backend; "
             "print(open_backend('emulator', db=sys.argv[1]).get_scale_set('rg', 'web').capacity)",
             str(root / "store")],
            capture_output=True, text=True, env={**os.environ, "HOME": "/tmp"})
        assert reader.returncode == 0, reader.stderr
        assert reader.stdout.strip() == "2"
    finally:
        shutil.rmtree(root, ignore_errors=True)
