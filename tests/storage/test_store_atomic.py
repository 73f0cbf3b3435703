"""A change that spans several shards commits atomically: after a kill -9 at any moment, all of it or none.

The writer child commits, in one transaction per generation g, four shards (sets a, b, c and the
subscription shard) all stamped g, creates set d on even generations and deletes it on odd ones,
and lets the summary index follow. After a kill, every shard must carry one generation, set d must
exist exactly when that generation is even, and the summary index must describe the files on disk.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from vmss_tui.backends.emulator import check as check_module
from vmss_tui.backends.emulator import store as store_module
from vmss_tui.backends.emulator.store import JOURNAL_NAME, Store
from vmss_tui.backends.emulator.summary import INDEX_KEY, INDEX_TABLE, SummaryIndex, file_signature
from vmss_tui.domain import errors

PYTHON = sys.executable
SETS = ["sets/rg/a", "sets/rg/b", "sets/rg/c"]

COMMIT = textwrap.dedent(
    """
    def commit(store, gen):
        with store.transaction() as txn:
            for name in ("a", "b", "c"):
                db = txn.db("sets/rg/" + name)
                db.table("scale_set").truncate()
                db.table("scale_set").insert({"name": name, "gen": gen})
                db.table("instances").truncate()
                # the size changes every generation: a shard never keeps its length
                db.table("instances").insert_multiple(
                    {"power": "running", "prov": "Succeeded", "tr": None, "vm_size": "Standard_D2s_v3",
                     "gen": gen, "pad": "x" * 200} for _ in range(5 + gen % 7 * 20))
            txn.db("subscription").table("counter").truncate()
            txn.db("subscription").table("counter").insert({"gen": gen})
            if not txn.db("subscription").table("subscription").all():
                txn.db("subscription").table("subscription").insert(
                    {"id": "00000000-0000-0000-0000-000000000012", "name": "Emulated subscription", "created": 0})
            if gen % 2 == 0:
                txn.db("sets/rg/d").table("scale_set").truncate()
                txn.db("sets/rg/d").table("scale_set").insert({"name": "d", "gen": gen})
            else:
                txn.drop("sets/rg/d")
    """
)

STEP_WRITER = COMMIT + textwrap.dedent(
    """
    import os, sys
    from vmss_tui.backends.emulator import store as store_module
    from vmss_tui.backends.emulator.store import Store
    from vmss_tui.backends.emulator.summary import SummaryIndex
    root, step, kill_gen = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store(root, index=SummaryIndex())
    for gen in range(1, kill_gen + 1):
        if gen == kill_gen:
            store_module._fault_hook = lambda name: os._exit(9) if name == step else None
        commit(store, gen)
    print("not killed", flush=True)
    """
)

REPLACE_KILLER = COMMIT + textwrap.dedent(
    """
    import os, sys
    from vmss_tui.backends.emulator import store as store_module
    from vmss_tui.backends.emulator.store import Store
    from vmss_tui.backends.emulator.summary import SummaryIndex
    root, nth, kill_gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = Store(root, index=SummaryIndex())
    for gen in range(1, kill_gen):
        commit(store, gen)
    real_replace, calls = os.replace, []

    def replace_then_die(src, dst):
        calls.append(dst)
        if len(calls) == nth:
            os._exit(9)  # killed between two renames of one commit
        real_replace(src, dst)

    store_module.os.replace = replace_then_die
    commit(store, kill_gen)
    """
)

LOOP_WRITER = COMMIT + textwrap.dedent(
    """
    import sys
    from vmss_tui.backends.emulator.store import Store
    from vmss_tui.backends.emulator.summary import SummaryIndex
    store = Store(sys.argv[1], index=SummaryIndex())
    gen = 0
    while True:
        gen += 1
        commit(store, gen)
        print(gen, flush=True)
    """
)

RECOVERY_KILLER = textwrap.dedent(
    """
    import os, sys
    from vmss_tui.backends.emulator import store as store_module
    from vmss_tui.backends.emulator.store import Store
    store_module._fault_hook = lambda name: os._exit(9) if name == sys.argv[2] else None
    Store(sys.argv[1])
    print("not killed", flush=True)
    """
)

MIX_READER = textwrap.dedent(
    """
    import sys, time
    from vmss_tui.backends.emulator.store import Store
    store = Store(sys.argv[1])
    mixes = reads = 0
    deadline = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < deadline:
        with store.snapshot() as txn:
            gens = [next(iter(txn.view(k).get("scale_set", {}).values()), {}).get("gen")
                    for k in ("sets/rg/a", "sets/rg/b", "sets/rg/c")]
            gens.append(next(iter(txn.view("subscription").get("counter", {}).values()), {}).get("gen"))
        reads += 1
        if len(set(gens)) > 1:
            mixes += 1
    print(reads, mixes, flush=True)
    """
)


def _run(script: str, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=120)


def _generation(root: Path) -> int:
    """Open the store (which recovers) and check all-or-nothing and the index; return the generation."""
    store = Store(root, index=SummaryIndex())
    assert not (root / JOURNAL_NAME).exists(), "opening the store left the journal behind"
    assert not list(root.rglob("*.tmp")), "opening the store left temp files behind"
    with store.snapshot() as txn:
        gens = {key: txn.view(key)["scale_set"]["1"]["gen"] for key in SETS}
        counter = txn.view("subscription")["counter"]["1"]["gen"]
        instance_gens = {doc["gen"] for key in SETS for doc in txn.view(key)["instances"].values()}
        d_exists = txn.exists("sets/rg/d")
        d_gen = txn.view("sets/rg/d")["scale_set"]["1"]["gen"] if d_exists else None
    generation = counter
    assert set(gens.values()) == {generation}, f"a commit was split: sets {gens}, subscription {counter}"
    assert instance_gens == {generation}, f"instances of several commits: {instance_gens}"
    assert d_exists == (generation % 2 == 0), f"set d exists={d_exists} at generation {generation}"
    if d_exists:
        assert d_gen == generation
    index = orjson.loads((root / f"{INDEX_KEY}.json").read_bytes())[INDEX_TABLE]
    on_disk = sorted(key for key in [*SETS, "sets/rg/d"] if (root / f"{key}.json").exists())
    assert sorted(index) == on_disk, f"the summary index lists {sorted(index)}, the files are {on_disk}"
    for key in on_disk:
        entry = index[key]
        assert tuple(entry["sig"]) == file_signature(root / f"{key}.json"), f"index entry of {key} is stale"
        assert entry["set"]["gen"] == generation, f"index entry of {key} is of another commit"
    return generation


def _prepare(root: Path, generations: int) -> None:
    """A store at `generations` written by a child that ran to completion."""
    done = _run(STEP_WRITER, root, "never", generations)
    assert done.stdout.strip() == "not killed", done.stderr


BEFORE_JOURNAL = ["temps-written"]
AFTER_JOURNAL = ["journal-written", "renamed-1", "renamed-2", "renamed-3", "renamed-4", "renamed-5",
                 "dirs-synced", "journal-removed"]
STEPS = ([(step, 3) for step in BEFORE_JOURNAL + AFTER_JOURNAL + ["unlinked-1"]]  # 3 deletes set d
         + [(step, 4) for step in BEFORE_JOURNAL + AFTER_JOURNAL + ["renamed-6"]])  # 4 creates it (6 renames)


@pytest.mark.parametrize(("step", "kill_gen"), STEPS, ids=[f"{step}-gen{gen}" for step, gen in STEPS])
def test_a_kill_9_at_each_step_of_a_multi_shard_commit_leaves_all_of_it_or_none(tmp_path, step, kill_gen):
    killed = _run(STEP_WRITER, tmp_path, step, kill_gen)
    assert killed.returncode == 9, f"the child was not killed at {step}: {killed.stdout} {killed.stderr}"
    expected = kill_gen - 1 if step in BEFORE_JOURNAL else kill_gen
    assert _generation(tmp_path) == expected


@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5])
def test_a_kill_9_between_any_two_renames_of_one_commit_leaves_all_of_it_or_none(tmp_path, nth):
    """The same without the test hook: the child dies inside its nth os.replace of the commit."""
    killed = _run(REPLACE_KILLER, tmp_path, nth, 3)
    assert killed.returncode == 9, killed.stderr
    assert _generation(tmp_path) in (2, 3)


@pytest.mark.parametrize("recover_step", ["recover-unlinked-1", "recover-renamed-1", "recover-renamed-3",
                                          "recover-journal-removed"])
def test_a_kill_9_while_completing_an_interrupted_commit_still_completes_it(tmp_path, recover_step):
    killed = _run(STEP_WRITER, tmp_path, "unlinked-1", 3)
    assert killed.returncode == 9
    again = _run(RECOVERY_KILLER, tmp_path, recover_step)
    assert again.returncode == 9, f"the recovering child was not killed at {recover_step}: {again.stderr}"
    assert _generation(tmp_path) == 3


def test_a_journal_torn_by_a_crash_is_discarded_with_its_temp_files(tmp_path):
    killed = _run(STEP_WRITER, tmp_path, "journal-written", 3)
    assert killed.returncode == 9
    journal = tmp_path / JOURNAL_NAME
    journal.write_bytes(journal.read_bytes()[:-20])  # what a crash in the middle of writing it leaves
    assert _generation(tmp_path) == 2


@pytest.mark.parametrize("trial", range(8))
def test_a_kill_9_at_a_random_moment_of_a_multi_shard_writer_leaves_all_or_nothing(tmp_path, trial):
    _assert_random_kill(tmp_path, random.Random(trial))


@pytest.mark.slow
def test_a_hundred_and_fifty_random_kills_of_a_multi_shard_writer_never_split_a_commit(tmp_path):
    rng = random.Random(1212)
    for trial in range(150):
        _assert_random_kill(tmp_path / f"t{trial}", rng)


def _assert_random_kill(root: Path, rng: random.Random) -> None:
    proc = subprocess.Popen([PYTHON, "-c", LOOP_WRITER, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(rng.uniform(0.5, 1.5))
    finally:
        proc.send_signal(signal.SIGKILL)
        output, _ = proc.communicate(timeout=60)
    acknowledged = [int(line) for line in output.split()]
    if not acknowledged and not (root / "subscription.json").exists():
        return  # killed before the first commit: nothing to check
    generation = _generation(root)
    assert generation >= (acknowledged[-1] if acknowledged else 0), "an acknowledged commit was lost"


def test_a_reader_in_another_process_never_sees_part_of_a_commit(tmp_path):
    _prepare(tmp_path, 1)
    writer = subprocess.Popen([PYTHON, "-c", LOOP_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        reader = _run(MIX_READER, tmp_path, 3.0)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.communicate(timeout=60)
    reads, mixes = map(int, reader.stdout.split())
    assert reads > 20, f"the reader hardly ran ({reads} reads): {reader.stderr}"
    assert mixes == 0, f"{mixes} of {reads} reads saw shards of two commits at once"


def _pending_store(root: Path) -> None:
    """A store whose writer died after the first rename of generation 3 (a whole journal waits)."""
    killed = _run(STEP_WRITER, root, "renamed-1", 3)
    assert killed.returncode == 9
    assert (root / JOURNAL_NAME).exists()


def test_a_reader_that_may_not_write_reads_an_interrupted_commit_whole(tmp_path):
    _pending_store(tmp_path)
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    reader = Store(tmp_path, index=SummaryIndex(), recover=False)  # reads as a read-only user must
    with reader.snapshot() as txn:
        assert {txn.view(key)["scale_set"]["1"]["gen"] for key in SETS} == {3}
        assert txn.view("subscription")["counter"]["1"]["gen"] == 3
        assert "sets/rg/d" not in txn.shard_keys("sets/")
        assert txn.shard_keys("sets/") == SETS
    after = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert after == before, "a reader that was told not to write changed the store"
    assert _generation(tmp_path) == 3  # and a reader that may write completes it


def test_the_next_transaction_completes_an_interrupted_commit_before_it_reads(tmp_path):
    _pending_store(tmp_path)
    store = Store(tmp_path, index=SummaryIndex(), recover=False)
    with store.transaction() as txn:
        assert txn.view("sets/rg/c")["scale_set"]["1"]["gen"] == 3
        assert not (tmp_path / JOURNAL_NAME).exists()
    assert _generation(tmp_path) == 3


def test_emulator_check_reports_an_interrupted_commit_and_repair_completes_it(tmp_path):
    _pending_store(tmp_path)
    out, err = _Capture(), _Capture()
    assert check_module.run_check([], {"db": str(tmp_path)}, out, err) == 1
    assert "PENDING" in out.text and "interrupted" in out.text and "sets/rg/a" in out.text, out.text
    assert "--repair" in out.text, out.text
    assert (tmp_path / JOURNAL_NAME).exists(), "check without --repair changed the store"
    assert "stale temp" not in out.text, "the commit's own new files were called stale"
    out = _Capture()
    assert check_module.run_check(["--repair"], {"db": str(tmp_path)}, out, err) == 0, out.text + err.text
    assert "completed a commit interrupted by a crash" in out.text, out.text
    assert _generation(tmp_path) == 3


def test_a_journal_naming_a_file_outside_the_store_is_refused_not_applied(tmp_path):
    _prepare(tmp_path, 2)
    outside = tmp_path.parent / "victim.json"
    outside.write_text("{}")
    body = orjson.dumps({"v": 1, "renames": [], "unlinks": ["../victim"]})
    (tmp_path / JOURNAL_NAME).write_bytes(body + b"\n" + store_module._digest_hex(body).encode() + b"\n")
    with pytest.raises(errors.StoreDamaged, match="cannot be applied"):
        with Store(tmp_path).snapshot():
            pass
    assert outside.exists()
    out, err = _Capture(), _Capture()
    assert check_module.run_check([], {"db": str(tmp_path)}, out, err) == 1
    assert JOURNAL_NAME in out.text and "cannot be applied" in out.text, out.text
    out = _Capture()
    assert check_module.run_check(["--repair"], {"db": str(tmp_path)}, out, err) == 0, out.text + err.text
    assert "aside" in out.text and outside.exists(), out.text
    assert len(list(tmp_path.glob(f"{JOURNAL_NAME}.damaged-*"))) == 1 and not (tmp_path / JOURNAL_NAME).exists()
    assert _generation(tmp_path) == 2


def test_a_commit_whose_rename_fails_after_the_journal_is_completed_by_the_next_reader(tmp_path, monkeypatch):
    """Once recorded, a commit happens: a failed rename is not reported as 'nothing changed'."""
    _prepare(tmp_path, 2)
    store = Store(tmp_path, index=SummaryIndex())
    real_replace, calls = os.replace, []

    def failing_second_rename(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", failing_second_rename)
    commit = {}
    exec(COMMIT, commit)
    with pytest.raises(errors.StoreWriteFailed) as raised:
        commit["commit"](store, 3)
    assert "completed the next time" in raised.value.message and "Nothing was changed" not in raised.value.message
    monkeypatch.setattr(store_module.os, "replace", real_replace)
    assert _generation(tmp_path) == 3


def test_one_shard_commits_write_no_journal_and_several_do(tmp_path, monkeypatch):
    store = Store(tmp_path, index=SummaryIndex())
    journals: list[bytes] = []
    real_write_journal = Store._write_journal

    def recording(self, commit):
        journals.append(store_module._encode_journal(commit))
        real_write_journal(self, commit)

    monkeypatch.setattr(Store, "_write_journal", recording)
    with store.transaction() as txn:
        txn.db("sets/rg/a").table("scale_set").insert({"name": "a"})
    assert journals == []
    with store.transaction() as txn:
        txn.db("sets/rg/a").table("scale_set").insert({"name": "a2"})
        txn.db("subscription").table("counter").insert({"gen": 1})
    assert len(journals) == 1 and b"sets/rg/a" in journals[0] and b"subscription" in journals[0]


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)


def test_a_reader_holding_a_lock_a_writer_needs_does_not_deadlock_with_it(tmp_path):
    """A reader waits for a commit's renames, never for a writer's whole transaction.

    Thread B holds an ordinary lock (as the emulated clock holds its own) and opens a snapshot
    while thread A, inside a transaction, waits for that lock: had readers waited for A's whole
    transaction, neither would ever go on.
    """
    import threading

    store = Store(tmp_path, index=SummaryIndex())
    _prepare(tmp_path, 2)
    shared = threading.Lock()
    reader_has_it = threading.Event()
    seen: list[int] = []

    def reader() -> None:
        with shared:
            reader_has_it.set()
            time.sleep(0.3)  # A is inside its transaction by now, waiting for `shared`
            with store.snapshot() as txn:
                seen.append(txn.view("subscription")["counter"]["1"]["gen"])

    thread = threading.Thread(target=reader, daemon=True)
    commit: dict = {}
    exec(COMMIT, commit)
    with store.transaction() as txn:
        thread.start()
        assert reader_has_it.wait(10)
        got_it = shared.acquire(timeout=10)
        assert got_it, "the reader never let go: it was waiting for this transaction"
        shared.release()
        txn.db("subscription").table("note").insert({"by": "A"})
    thread.join(10)
    assert seen == [2]
    commit["commit"](store, 3)  # and a multi-shard commit after it still goes through
    assert _generation(tmp_path) == 3


def test_a_transaction_inside_a_snapshot_does_not_deadlock_with_another_writer(tmp_path):
    import threading

    _prepare(tmp_path, 2)
    store = Store(tmp_path, index=SummaryIndex())
    commit: dict = {}
    exec(COMMIT, commit)
    other = threading.Thread(target=lambda: [commit["commit"](Store(tmp_path, index=SummaryIndex()), g)
                                             for g in range(3, 9)], daemon=True)
    with store.snapshot() as txn:
        assert txn.view("subscription")["counter"]["1"]["gen"] == 2
        other.start()
        time.sleep(0.2)
        with store.transaction() as inner:
            inner.db("subscription").table("note").insert({"inside": "snapshot"})
    other.join(30)
    assert not other.is_alive(), "the other writer never finished"
    assert _generation(tmp_path) == 8


def test_a_user_who_may_only_read_sees_an_interrupted_commit_whole_and_changes_nothing():
    if os.geteuid() != 0:
        pytest.skip("needs root to run the reader as another user")
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="vmss-readonly-journal-"))  # outside pytest's 0700 tmp tree
    try:
        store_dir = root / "store"
        _pending_store(store_dir)
        for path in [root, *root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)  # others may read, never write
        before = sorted((str(p), p.stat().st_ino) for p in store_dir.rglob("*"))
        reader = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PYTHON, "-c",
             "import sys\n"
             "from vmss_tui.backends.emulator.store import Store\n"
             "from vmss_tui.backends.emulator.summary import SummaryIndex\n"
             "with Store(sys.argv[1], index=SummaryIndex()).snapshot() as txn:\n"
             "    print(sorted({txn.view(k)['scale_set']['1']['gen'] for k in txn.shard_keys('sets/')}),"
             " txn.exists('sets/rg/d'))",
             str(store_dir)],
            capture_output=True, text=True, env={**os.environ, "HOME": "/tmp"}, timeout=120)
        assert reader.returncode == 0, reader.stderr
        assert reader.stdout.strip() == "[3] False"  # generation 3 whole: its sets, and d deleted
        assert sorted((str(p), p.stat().st_ino) for p in store_dir.rglob("*")) == before
        assert _generation(store_dir) == 3  # the owner's next open completes it
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_emulator_check_reports_a_torn_journal_and_repair_discards_it(tmp_path):
    killed = _run(STEP_WRITER, tmp_path, "journal-written", 3)
    assert killed.returncode == 9
    journal = tmp_path / JOURNAL_NAME
    journal.write_bytes(journal.read_bytes()[:-20])
    out, err = _Capture(), _Capture()
    assert check_module.run_check([], {"db": str(tmp_path)}, out, err) == 1
    assert "PENDING" in out.text and "none of it happened" in out.text, out.text
    assert journal.exists() and list(tmp_path.rglob("*.tmp")), "check without --repair changed the store"
    out = _Capture()
    assert check_module.run_check(["--repair"], {"db": str(tmp_path)}, out, err) == 0, out.text + err.text
    assert "discarded a commit" in out.text, out.text
    assert _generation(tmp_path) == 2


GROUP_DELETER = textwrap.dedent(
    """
    import os, sys
    from vmss_tui.backends import open_backend
    from vmss_tui.backends.emulator import store as store_module
    from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec
    root, step = sys.argv[1], sys.argv[2]
    backend = open_backend("emulator", db=root, speed="real")
    backend.create_or_update_resource_group("rg", "westeurope")
    for name in ("a", "b", "c"):
        backend.create_scale_set(ScaleSetSpec(name=name, resource_group="rg", capacity=3,
                                              orchestration_mode=OrchestrationMode.UNIFORM))
    store_module._fault_hook = lambda name: os._exit(9) if name == step else None
    backend.delete_resource_group("rg")
    print("not killed", flush=True)
    """
)


@pytest.mark.parametrize("step", ["temps-written", "journal-written", "renamed-1", "renamed-3", "dirs-synced"])
def test_a_resource_group_delete_killed_at_any_step_marks_every_set_or_none(tmp_path, step):
    """`group delete` rewrites every set of the group and the subscription shard in one commit."""
    from vmss_tui.backends import open_backend

    killed = _run(GROUP_DELETER, tmp_path, step)
    assert killed.returncode == 9, f"not killed at {step}: {killed.stdout} {killed.stderr}"
    backend = open_backend("emulator", db=tmp_path, speed="real")
    states = {s.name: s.provisioning_state.value for s in backend.list_scale_sets("rg")}
    group_state = backend.get_resource_group("rg").provisioning_state
    if step == "temps-written":
        assert sorted(states) == ["a", "b", "c"] and "Deleting" not in states.values(), states
        assert group_state == "Succeeded"
    else:
        assert states == {"a": "Deleting", "b": "Deleting", "c": "Deleting"} and group_state == "Deleting", \
            (states, group_state)
    assert not (tmp_path / JOURNAL_NAME).exists()


def test_a_store_already_open_completes_an_interrupted_commit_at_its_next_read(tmp_path):
    """Another process died mid-commit after this one opened the store: the next snapshot completes it."""
    _prepare(tmp_path, 2)
    store = Store(tmp_path, index=SummaryIndex())
    with store.snapshot() as txn:  # shards of generation 2 are parsed and cached here
        assert {txn.view(key)["scale_set"]["1"]["gen"] for key in SETS} == {2}
    killed = _run(STEP_WRITER, tmp_path, "renamed-2", 3)
    assert killed.returncode == 9 and (tmp_path / JOURNAL_NAME).exists()
    with store.snapshot() as txn:
        assert {txn.view(key)["scale_set"]["1"]["gen"] for key in SETS} == {3}
        assert not txn.exists("sets/rg/d")
    assert not (tmp_path / JOURNAL_NAME).exists(), "the reader did not complete the commit"
