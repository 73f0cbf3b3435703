"""When a reader may believe a cached shard without reading its file again (issue 11: a `nextLink` walk
right after a write re-read the 1000-instance file for every page).

A file's (inode, mtime, size) can repeat inside one coarse mtime tick when an inode is reused, so a
signature alone is believed only once its mtime is old. A shard this process wrote or read keeps its
file open meanwhile: an open inode cannot be reused, so a matching signature is the same file."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.backends.emulator import store as store_module
from vmss_tui.backends.emulator.store import MTIME_TICK_NS, Store

KEY = "sets/rg/web"


def _write(store: Store, value: str) -> None:
    with store.transaction() as txn:
        table = txn.db(KEY).table("t")
        table.truncate()
        table.insert({"v": value})


def _read(store: Store) -> str:
    with store.snapshot() as txn:
        return next(iter(txn.view(KEY)["t"].values()))["v"]


@pytest.fixture
def file_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    original = Store._read_shard

    def counted(self: Store, key: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(key)
        return original(self, key, *args, **kwargs)

    monkeypatch.setattr(Store, "_read_shard", counted)
    return reads


def test_reads_right_after_a_write_do_not_read_the_file_again(tmp_path: Path, file_reads: list[str]) -> None:
    store = Store(tmp_path, durable=False)
    _write(store, "a" * 100)
    file_reads.clear()  # the write looked for the file first
    for _ in range(10):  # ten pages of a walk, inside the mtime tick of the write
        assert _read(store) == "a" * 100
    assert file_reads == []


def test_a_shard_written_by_another_process_in_the_same_tick_with_the_same_size_is_read(tmp_path: Path) -> None:
    mine, other = Store(tmp_path, durable=False), Store(tmp_path, durable=False)
    _write(mine, "a" * 100)
    assert _read(mine) == "a" * 100
    mtime = os.stat(tmp_path / f"{KEY}.json").st_mtime_ns
    _write(other, "b" * 100)
    _write(other, "c" * 100)  # a second write: its temp file may take the first file's freed inode
    os.utime(tmp_path / f"{KEY}.json", ns=(mtime, mtime))  # the same tick as mine
    assert _read(mine) == "c" * 100


def test_a_reader_of_a_fresh_file_sees_the_next_write_by_another_store(tmp_path: Path) -> None:
    writer, reader = Store(tmp_path, durable=False), Store(tmp_path, durable=False)
    for value in "abcdefgh":
        _write(writer, value * 50)
        path = tmp_path / f"{KEY}.json"
        mtime = os.stat(path).st_mtime_ns
        assert _read(reader) == value * 50
        os.utime(path, ns=(mtime, mtime))


def test_once_its_mtime_is_old_a_shard_is_believed_and_its_file_closed(tmp_path: Path, file_reads: list[str]) -> None:
    store = Store(tmp_path, durable=False)
    _write(store, "a")
    file_reads.clear()
    time.sleep(MTIME_TICK_NS / 1e9 + 0.02)
    assert _read(store) == "a" and file_reads == []
    cached = store._cache.get(KEY)
    assert cached.trusted and cached.pin is None


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
def test_files_held_open_stay_bounded_by_the_shard_cache(tmp_path: Path) -> None:
    store = Store(tmp_path, durable=False)
    before = len(os.listdir("/proc/self/fd"))
    for index in range(150):
        with store.transaction() as txn:
            txn.db(f"sets/rg/s{index}").table("t").insert({"v": index})
    held = len(os.listdir("/proc/self/fd")) - before
    assert held <= store._cache.max_shards + 2
    store._cache = store_module.ShardCache()  # the cache let go: so do the files
    assert len(os.listdir("/proc/self/fd")) - before <= 2


def test_a_directory_swapped_for_a_link_out_of_the_store_after_a_read_is_refused(tmp_path: Path) -> None:
    from vmss_tui.domain.errors import InvalidStoreKey

    root, outside = tmp_path / "store", tmp_path / "outside"
    store = Store(root, durable=False)
    _write(store, "mine")
    assert _read(store) == "mine"  # the key's path is now approved and cached
    (outside / "rg").mkdir(parents=True)
    (outside / "rg" / "web.json").write_text('{"t": {"1": {"v": "theirs"}}}')
    (root / "sets" / "rg").rename(tmp_path / "moved")
    (root / "sets" / "rg").symlink_to(outside / "rg", target_is_directory=True)
    with pytest.raises(InvalidStoreKey):
        _read(store)
