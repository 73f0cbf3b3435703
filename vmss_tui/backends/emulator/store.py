"""Crash-safe, process-safe TinyDB storage for the emulator.

Stock TinyDB rewrites its file in place (a kill -9 mid-write leaves it unreadable) and
caches state per process (two processes lose each other's updates). This module keeps
TinyDB's document API but changes what sits under it:

- A store is a directory of shards, one TinyDB JSON file each (one per scale set plus a
  small `subscription` shard), so a change to one set rewrites only that set's file.
- Every read-modify-write runs in `Store.transaction()`, which holds an exclusive
  `flock` on `<root>/.lock` for its whole duration, revalidates cached shards by
  (inode, mtime, size), and on success writes each changed shard once: temp file,
  fsync, `os.replace`, fsync of the directory.
- A commit that changes more than one shard (not counting the self-checking summary index)
  is all or nothing, even after a kill -9 or a power cut at any moment: once every temp file
  is fsynced, one journal file (`.commit-journal`, checksummed) names every rename and deletion
  with the new content's digest; then they are applied, the directories fsynced, and the
  journal removed. Whoever next takes the lock (a writer, a reader, opening the store) rolls a
  whole journal forward and discards a partial one (the commit never happened) with its temps.
- Readers (`Store.snapshot()`) hold a shared `flock` on a second file, `.commit-lock`, which a
  writer holds exclusively only from writing its journal to removing it: a commit is never seen
  half applied, and a reader waits for a commit's renames (milliseconds), never for a writer's
  whole transaction. A reader that may not write (a read-only user) reads a pending journal's
  new files in place instead of rolling it forward.
- TinyDB writes go into memory during the transaction, so a bulk change (scale 0 ->
  1000) is one file write, however many TinyDB calls made it.
- A shard that fails to parse is reported (StoreDamaged), never reset and never moved by a
  reader: only `vmss-tui emulator check --repair` sets damaged files aside, under the lock.
- Every key is checked before it becomes a path: a key that would resolve outside the store's
  directory (separators, `..`, NUL, absolute paths, a symlinked directory) is refused, whoever asks.
- A write that fails (disk full, read-only store) changes no shard of the transaction, leaves no
  temp file behind and is one clear error (StoreWriteFailed).
- TinyDB tables here renumber documents on insert, so a document read back and inserted again
  never keeps a doc_id that a newer one reuses (stock TinyDB overwrote one of them).
"""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from ...domain.errors import InvalidStoreKey, StoreDamaged, StoreWriteFailed
from .shard_cache import ShardCache

if TYPE_CHECKING:
    from .summary import SummaryIndex

SHARD_SUFFIX = ".json"
LOCK_NAME = ".lock"
COMMIT_LOCK_NAME = ".commit-lock"
"""Readers share it; a writer holds it exclusively while it applies a journaled commit."""
JOURNAL_NAME = ".commit-journal"
"""The intent record of a multi-shard commit in flight (or interrupted): see `_write_journal`."""
JOURNAL_VERSION = 1
DAMAGED_MARK = ".damaged-"
"""`<shard>.json.damaged-<time>`: a damaged file set aside by `emulator check --repair` (kept, never read)."""
LEGACY_CORRUPT_MARK = ".corrupt-"
"""`<stem>.corrupt-<time>.json.bad`: where older versions' readers moved an unparsable shard."""
CHECKED_PATHS_KEPT = 4096
"""Shard keys whose approved path a cache hit may stat (forgotten all at once past this many)."""
KEY_PART_MAX_BYTES = 200
"""A key part becomes a file or directory name: well under NAME_MAX (255) with the suffixes added."""
MTIME_TICK_NS = 50_000_000
"""Filesystem timestamps move in coarse ticks and inodes get reused, so two writes inside one tick
can share (inode, mtime, size). A signature is only trusted once its mtime is this far in the past,
or while this process holds the file's inode open (`_InodePin`): then no other file can have it."""


_fault_hook: Callable[[str], None] | None = None
"""Tests only: called with the name of each step of a commit and of a roll-forward ("temps-written",
"journal-written", "unlinked-N", "renamed-N", "dirs-synced", "journal-removed", "recover-renamed-N",
...), so a crash test can os._exit at exactly that point. Nothing else sets it."""


def _step(name: str) -> None:
    if _fault_hook is not None:
        _fault_hook(name)


_TEMP_NAME = re.compile(r"[^/]+\.json\.[0-9]+\.tmp")
_DIGEST = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class PendingCommit:
    """A whole journal: what an interrupted multi-shard commit still has to do (or has done)."""

    renames: tuple[tuple[str, str, str], ...]
    """(key, temp file name in the key's directory, blake2b-128 hex of the new content)."""
    unlinks: tuple[str, ...]
    """Keys whose files the commit deletes."""
    renamed: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.renamed.update({key: tmp for key, tmp, _digest in self.renames})

    def describe(self) -> str:
        """One line for a person: which shards the commit writes and deletes."""
        parts = []
        if self.renames:
            parts.append("writes " + ", ".join(ascii(key)[1:-1] for key, _t, _d in self.renames))
        if self.unlinks:
            parts.append("deletes " + ", ".join(ascii(key)[1:-1] for key in self.unlinks))
        return "; ".join(parts) or "nothing"


def _digest_hex(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def _encode_journal(commit: PendingCommit) -> bytes:
    """The journal's bytes: a JSON body, then its own digest on the last line (a torn write fails it)."""
    body = orjson.dumps({"v": JOURNAL_VERSION, "renames": [list(r) for r in commit.renames],
                         "unlinks": list(commit.unlinks)})
    return body + b"\n" + _digest_hex(body).encode() + b"\n"


def _decode_journal(raw: bytes) -> PendingCommit | None:
    """A whole journal's commit, or None for a torn one (its own digest does not match: never applied).

    Raises:
        ValueError: The journal is whole but names something this store never writes (not ours).
    """
    body, sep, tail = raw.rstrip(b"\n").rpartition(b"\n")
    if not sep or tail.decode("ascii", "replace") != _digest_hex(body):
        return None
    data = orjson.loads(body)
    if not isinstance(data, dict) or data.get("v") != JOURNAL_VERSION:
        raise ValueError("it is of an unknown version")
    renames, unlinks = data.get("renames"), data.get("unlinks")
    if not isinstance(renames, list) or not isinstance(unlinks, list):
        raise ValueError("it is not a list of renames and deletions")
    for item in renames:
        if not (isinstance(item, list) and len(item) == 3 and all(isinstance(x, str) for x in item)
                and _key_problem(item[0]) is None and _TEMP_NAME.fullmatch(item[1])
                and item[1].startswith(item[0].rsplit("/", 1)[-1] + SHARD_SUFFIX + ".")
                and _DIGEST.fullmatch(item[2])):
            raise ValueError("it names a rename this store never makes")
    if not all(isinstance(key, str) and _key_problem(key) is None for key in unlinks):
        raise ValueError("it names a deletion this store never makes")
    return PendingCommit(renames=tuple(tuple(item) for item in renames),  # type: ignore[misc]
                         unlinks=tuple(unlinks))


@dataclass
class _HeldLock:
    """This thread's hold on one store's lock file: its own descriptor, so threads exclude each other."""

    fd: int | None
    mode: int
    depth: int
    pid: int


_held_locks = threading.local()
"""Per thread: (real store root, lock file name) -> _HeldLock. Keyed by root, not Store, so two Store
objects on one directory in one thread nest instead of deadlocking on each other."""


class _Table(Table):
    """A TinyDB table whose inserts take a fresh doc_id even for a document that was read back.

    Stock TinyDB keeps a `Document`'s own doc_id on insert, and after `truncate()` it numbers plain
    dicts from 1 again, so `rows = table.all() + [new]; truncate(); insert_multiple(rows)` wrote the
    new row over the first old one: the second `emulator quota --set` dropped the first quota.
    """

    def insert(self, document: Any) -> int:
        return super().insert(dict(document) if isinstance(document, Document) else document)

    def insert_multiple(self, documents: Any) -> list[int]:
        return super().insert_multiple([dict(d) if isinstance(d, Document) else d for d in documents])


class _ShardStorage(Storage):
    """TinyDB storage over an in-memory dict owned by the transaction (no I/O of its own)."""

    def __init__(self, shard: "_Shard", writable: bool) -> None:
        self._shard = shard
        self._writable = writable

    def read(self) -> dict[str, dict[str, Any]] | None:
        return self._shard.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if not self._writable:
            raise RuntimeError("write to the emulator store outside a transaction")
        self._shard.data = data
        self._shard.dirty = True

    def close(self) -> None:
        """Nothing to release: the transaction owns the data."""


Signature = tuple[int, int, int, int]
"""(inode, mtime_ns, size, device) of a shard file: see `_signature`."""


class _InodePin:
    """An open read-only descriptor on a shard file this process just wrote or read, kept while its
    mtime is too recent to trust (see `MTIME_TICK_NS`).

    While the inode is open it cannot be freed, so no other file can get its number: a path whose
    (inode, mtime, size) still matches is this very file. The store never writes a file in place
    (temp file, then `os.replace`), so the same file means the same bytes, and a reader need not read
    them again. Closed when the shard is trusted, or when the cache lets the shard go.
    """

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the descriptor goes with the process
            pass


def _pin(path: Path) -> tuple[_InodePin | None, Signature | None]:
    """Open `path` read-only: the pin and the signature of the file it opened (None, None if gone).

    Only for a file this process has just written under the store lock: a reader pins the file
    it read (`Store._read_shard`)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None, None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    return _InodePin(fd), (st.st_ino, st.st_mtime_ns, st.st_size, st.st_dev)


@dataclass
class _Shard:
    """One shard's parsed content plus what is needed to tell if the file changed since."""

    key: str
    data: dict[str, dict[str, Any]]
    signature: Signature | None
    dirty: bool = False
    dropped: bool = False
    digest: bytes = b""
    trusted: bool = False
    """True once the file's mtime was safely in the past when we read it (see `load_shard`)."""
    pin: _InodePin | None = field(default=None, repr=False, compare=False)
    """The file held open while it is not yet trusted (see `_InodePin`)."""

    def same_file(self, signature: Signature | None) -> bool:
        """True if the file with `signature` is certainly the one this content came from."""
        if signature is None or self.signature != signature:
            return False
        if self.trusted:
            return True
        if self.pin is None or self.pin.fd is None:
            return False
        if time.time_ns() - signature[1] > MTIME_TICK_NS:  # any later write gets a later mtime
            self.trusted = True
            self.pin.close()
            self.pin = None
        return True


def _signature(path: Path) -> tuple[int, int, int, int] | None:
    """(inode, mtime_ns, size, device): os.replace always makes a new inode, so this spots any write."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size, st.st_dev)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable: without this a power cut can forget it (etcd #6368)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Transaction:
    """A view of the store: read-only (snapshot) or read-write (holding the store lock)."""

    def __init__(self, store: "Store", writable: bool) -> None:
        self._store = store
        self._writable = writable
        self._shards: dict[str, _Shard] = {}
        self._dbs: dict[str, TinyDB] = {}
        self._listed: dict[str, list[str]] = {}
        self.memo: dict[Any, Any] = {}
        """Per-transaction results derived from shards this transaction has not changed (the files cannot
        change while it holds its lock): summaries read once however often a quota is checked."""

    @property
    def writable(self) -> bool:
        """True inside `Store.transaction()`."""
        return self._writable

    def db(self, key: str) -> TinyDB:
        """The TinyDB database of a shard (empty if the shard does not exist yet)."""
        if key not in self._dbs:
            shard = self._shard(key)
            db = TinyDB(storage=_ShardStorage, shard=shard, writable=self._writable)
            db.table_class = _Table
            self._dbs[key] = db
        return self._dbs[key]

    def view(self, key: str) -> dict[str, dict[str, Any]]:
        """A shard's raw tables for reading only: no copy, so scans over many shards stay cheap.

        Callers must not mutate what they get; use `db()` to change a shard.
        """
        if key in self._shards:
            return self._shards[key].data
        return self._store.load_shard(key, private_copy=False).data

    def touched(self, key: str) -> bool:
        """True if this transaction changed the shard (its content here differs from the file)."""
        shard = self._shards.get(key)
        return shard is not None and shard.dirty

    def exists(self, key: str) -> bool:
        """True if the shard has content (on disk or written in this transaction)."""
        shard = self._shard(key)
        return not shard.dropped and bool(shard.data)

    def shard_keys(self, prefix: str = "") -> list[str]:
        """Existing shard keys under a prefix (e.g. `sets/`), as this transaction sees them."""
        listed = self._listed.get(prefix)
        if listed is None:  # the directory cannot change under this transaction's lock: list it once
            listed = self._listed[prefix] = self._store.list_shard_keys(prefix)
        keys = set(listed)
        for key, shard in self._shards.items():
            if key.startswith(prefix):
                if shard.dropped or not shard.data:
                    keys.discard(key)
                else:
                    keys.add(key)
        return sorted(keys)

    def drop(self, key: str) -> None:
        """Delete a shard when the transaction commits."""
        if not self._writable:
            raise RuntimeError("drop outside a transaction")
        shard = self._shard(key)
        shard.dropped = True
        shard.dirty = True
        shard.data = {}
        self._dbs.pop(key, None)

    def _shard(self, key: str) -> _Shard:
        if key not in self._shards:
            self._shards[key] = self._store.load_shard(key, private_copy=self._writable)
        return self._shards[key]

    def _dirty_shards(self) -> list[_Shard]:
        return [shard for shard in self._shards.values() if shard.dirty]


class Store:
    """A directory of TinyDB shards with locked, atomic, batched transactions."""

    def __init__(self, root: Path | str, *, durable: bool = True, index: "SummaryIndex | None" = None,
                 recover: bool = True) -> None:
        """Open (creating if needed) a store directory.

        Args:
            root: The store directory.
            durable: fsync files and directories (turn off only for throwaway test stores).
            index: Keeps a summary index shard in step with the shards, in the same commit (see summary.py).
            recover: Complete (or discard) an interrupted commit on open and before reads. False for
                `emulator check`, which reports it and reads through it; writers always recover first.
        """
        self.root = Path(root)
        self.durable = durable
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(self.root, exc) from None
        self._real_root = os.path.realpath(self.root)
        # plain strings: every snapshot looks for the journal and opens a lock file (pathlib costs ~10x)
        self._journal_file = os.path.join(self.root, JOURNAL_NAME)
        self._lock_files = {name: os.path.join(self.root, name) for name in (LOCK_NAME, COMMIT_LOCK_NAME)}
        self.index = index
        self._cache = ShardCache()  # bounded: a long-running TUI or endpoint never holds every set parsed
        self._checked_paths: dict[str, Path] = {}
        """Key -> the path `path_for` approved for it, stat-ed on a cache hit (see `load_shard`)."""
        self._cache_lock = threading.Lock()
        self.recover_on_read = recover
        self.journal_every_commit = False
        """Journal single-shard commits too (only to measure what the journal costs; see bench/emulator.py)."""
        self._pending: PendingCommit | None = None
        """A whole journal this process could not (or was told not to) roll forward: reads go through it."""
        if recover:
            self._recover_on_open()

    # --- paths and files -------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """The JSON file of a shard key, refusing any key that would resolve outside the store.

        Raises:
            InvalidStoreKey: An empty, absolute or NUL/control-character key, a `.`/`..`/empty
                part, a backslash, an over-long part, or a path that leaves the root (symlinks too).
        """
        reason = _key_problem_of_text(key) if isinstance(key, str) else _key_problem(key)
        path = self.root / f"{key}{SHARD_SUFFIX}"
        if reason is None:
            real_parent = os.path.realpath(path.parent)
            if os.path.commonpath([self._real_root, real_parent]) != self._real_root:
                reason = "it resolves outside the store"
            elif os.path.islink(path):
                reason = "the shard file is a symbolic link"
        if reason is not None:
            shown = ascii(key)[1:-1][:120]
            raise InvalidStoreKey(f"The emulator store '{self.root}' refuses the key '{shown}': {reason}.",
                                  target="key")
        return path

    def list_shard_keys(self, prefix: str = "") -> list[str]:
        """Shard keys on disk under a prefix."""
        base = self.root / prefix if prefix.endswith("/") else self.root
        if not base.exists():
            return []
        keys = []
        for path in base.rglob(f"*{SHARD_SUFFIX}"):
            key = path.relative_to(self.root).as_posix()[: -len(SHARD_SUFFIX)]
            if key.startswith(prefix) and LEGACY_CORRUPT_MARK not in key and _key_problem(key) is None:
                keys.append(key)
        pending = self._pending
        if pending is not None:  # read through an interrupted commit: as it will be once completed
            found = set(keys) - set(pending.unlinks)
            found |= {key for key in pending.renamed if key.startswith(prefix)}
            return sorted(found)
        return sorted(keys)

    def legacy_corrupt_files(self, prefix: str = "") -> dict[str, list[Path]]:
        """Shards an older version's reader moved aside (`<stem>.corrupt-<time>.json.bad`), by key.

        They were silently missing from every listing; now they count as damaged until
        `emulator check --repair --discard` sets them aside for good.
        """
        base = self.root / prefix if prefix.endswith("/") else self.root
        if not base.exists():
            return {}
        found: dict[str, list[Path]] = {}
        for path in base.rglob(f"*{LEGACY_CORRUPT_MARK}*{SHARD_SUFFIX}.bad"):
            stem = path.name.split(LEGACY_CORRUPT_MARK, 1)[0]
            key = (path.parent / stem).relative_to(self.root).as_posix()
            if key.startswith(prefix) and _key_problem(key) is None:
                found.setdefault(key, []).append(path)
        return found

    @property
    def journal_path(self) -> Path:
        """Where a multi-shard commit's intent record lives while it is applied."""
        return self.root / JOURNAL_NAME

    def _recover_on_open(self) -> None:
        """A crash can leave a journal (complete: roll forward; torn: discard) or temp files (garbage).

        Both are only written under the store lock, so holding it here means none is in flight.
        """
        if not self.journal_path.exists() and not any(self.root.rglob("*.tmp")):
            return  # the usual case: no lock needed, so read-only users can open the store
        try:
            self.recover()
        except (StoreWriteFailed, StoreDamaged):
            pass  # a read-only user cannot mend; readers read through a whole journal, `check` reports

    def recover(self) -> list[str]:
        """Under the write lock: finish or discard an interrupted commit, delete stale temps; what was done.

        Raises:
            StoreWriteFailed: The lock or a file could not be written (read-only store or user).
            StoreDamaged: A whole journal whose new files are not the ones it recorded (nothing more applied).
        """
        with self._shared_released(), self._lock(LOCK_NAME, exclusive=True, required=True):
            return self._recover_locked()

    def pending_commit(self) -> PendingCommit | None:
        """The whole journal of an interrupted commit, if one is waiting (None for none or a torn one).

        Raises:
            StoreDamaged: A journal that is whole but names files this store never writes.
        """
        try:
            raw = self.journal_path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return _decode_journal(raw)
        except ValueError as exc:
            raise StoreDamaged(
                f"The emulator store's commit journal '{self.journal_path}' cannot be applied ({exc}). Nothing "
                "was changed; see 'vmss-tui emulator check'.", target=str(self.journal_path)) from None

    def set_journal_aside(self, name: str) -> Path:
        """Under the write lock, rename a journal that cannot be applied to `name` (kept, never applied)."""
        with (self._shared_released(), self._lock(LOCK_NAME, exclusive=True, required=True),
              self._lock(COMMIT_LOCK_NAME, exclusive=True, required=True)):
            kept = self.root / name
            os.replace(self.journal_path, kept)
            if self.durable:
                _fsync_directory(self.root)
            self._pending = None
            return kept

    def _recover_locked(self) -> list[str]:
        """Holding the write lock: the same, with readers held off while files move."""
        done: list[str] = []
        try:
            with self._lock(COMMIT_LOCK_NAME, exclusive=True, required=True):
                if self.journal_path.exists():
                    pending = self.pending_commit()
                    if pending is not None:
                        self._roll_forward(pending)
                        done.append(f"completed a commit interrupted by a crash ({pending.describe()})")
                    else:
                        done.append("discarded a commit that a crash interrupted before it was recorded whole "
                                    "(none of it had been applied)")
                for tmp in self.root.rglob("*.tmp"):
                    tmp.unlink(missing_ok=True)
                    done.append(f"removed the stale temp file {tmp.name}")
                if self.journal_path.exists():  # a torn journal goes last: its temps are gone by now
                    self.journal_path.unlink()
                    if self.durable:
                        _fsync_directory(self.root)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise StoreWriteFailed(
                f"The emulator store '{self.root}' could not complete a commit a crash interrupted: {reason}. "
                "Readers still see it whole; a user who may write the store completes it by opening it.",
                target=str(self.root)) from None
        self._pending = None
        return done

    def _roll_forward(self, pending: PendingCommit) -> None:
        """Apply a whole journal (idempotent: what was already renamed or deleted is skipped), then drop it."""
        touched_dirs: set[Path] = set()
        for number, key in enumerate(pending.unlinks, 1):
            path = self.path_for(key)
            try:
                path.unlink()
                touched_dirs.add(path.parent)
            except FileNotFoundError:
                pass
            self.forget(key)
            _step(f"recover-unlinked-{number}")
        for number, (key, tmp_name, digest) in enumerate(pending.renames, 1):
            path = self.path_for(key)
            tmp = path.with_name(tmp_name)
            try:
                raw = tmp.read_bytes()
            except FileNotFoundError:
                continue  # renamed before the crash
            if _digest_hex(raw) != digest:
                raise StoreDamaged(
                    f"The emulator store's interrupted commit cannot be completed: '{tmp}' is not the file it "
                    "recorded. Nothing more was applied; see 'vmss-tui emulator check'.", target=str(tmp))
            os.replace(tmp, path)
            touched_dirs.add(path.parent)
            self.forget(key)
            _step(f"recover-renamed-{number}")
        if self.durable:
            for directory in touched_dirs:
                _fsync_directory(directory)
        self.journal_path.unlink(missing_ok=True)
        if self.durable:
            _fsync_directory(self.root)
        _step("recover-journal-removed")

    def forget(self, key: str) -> None:
        """Drop a shard from this process's cache (after maintenance moved its file)."""
        with self._cache_lock:
            self._cache.pop(key, None)

    def stale_temp_files(self) -> list[Path]:
        """Temp files a crashed or failed writer left, not counting those a whole pending journal installs."""
        try:
            pending = self.pending_commit()
        except StoreDamaged:
            pending = None
        keep = set()
        if pending is not None:
            keep = {self.path_for(key).with_name(tmp) for key, tmp, _d in pending.renames}
        return sorted(path for path in self.root.rglob("*.tmp") if path not in keep)

    # --- reading ---------------------------------------------------------------------

    def load_shard(self, key: str, *, private_copy: bool) -> _Shard:
        """A shard's content, from the cache when the file has not changed since it was parsed.

        A cache hit only compares the file's signature, so it may stat the path `path_for` approved
        before (about half of a cached read's cost is that check); whatever is read from a file, and
        every write, goes through `path_for` again. A path that now leads elsewhere (a directory
        swapped for a symbolic link) has another signature, so it is checked before it is read.
        """
        checked = self._checked_paths.get(key) if self._pending is None else None
        path = checked if checked is not None else self._source(key)
        signature = _signature(path) if path is not None else None
        with self._cache_lock:  # `same_file` may trust the shard and close its pin: one thread at a time
            cached = self._cache.get(key)
            known = cached is not None and cached.same_file(signature)
        if not known:
            if checked is not None:  # about to read: check the key's path again
                path = self._source(key)
                signature = _signature(path) if path is not None else None
            elif path is not None and self._pending is None:
                if len(self._checked_paths) >= CHECKED_PATHS_KEPT:
                    self._checked_paths.clear()
                self._checked_paths[key] = path
            cached = self._read_shard(key, path, signature, cached)
            with self._cache_lock:
                self._cache[key] = cached
        if private_copy:
            # Writers work on their own copy so an aborted transaction leaves the cache intact.
            return _Shard(key=key, data=_copy_tables(cached.data), signature=signature)
        return cached

    def _source(self, key: str) -> Path | None:
        """The file that holds a shard now: its own, or a pending journal's new file (None: deleted)."""
        path = self.path_for(key)
        pending = self._pending
        if pending is not None:
            if key in pending.unlinks:
                return None
            tmp_name = pending.renamed.get(key)
            if tmp_name is not None and path.with_name(tmp_name).exists():
                return path.with_name(tmp_name)  # same inode, mtime and size as after the rename
        return path

    def _read_shard(self, key: str, path: Path | None, signature: Signature | None,
                    cached: _Shard | None) -> _Shard:
        """Read a shard file, reusing the parsed cache when the bytes are the same."""
        if path is None or signature is None:
            return _Shard(key=key, data={}, signature=None, trusted=True)
        try:
            with open(path, "rb") as file:
                st = os.fstat(file.fileno())  # the very file read (it may have been replaced since the stat)
                raw = file.read()
                signature = (st.st_ino, st.st_mtime_ns, st.st_size, st.st_dev)
                trusted = time.time_ns() - st.st_mtime_ns > MTIME_TICK_NS
                pin = None if trusted else _InodePin(os.dup(file.fileno()))
        except FileNotFoundError:
            return _Shard(key=key, data={}, signature=None, trusted=True)
        digest = hashlib.blake2b(raw, digest_size=16).digest()
        data = cached.data if cached is not None and cached.digest == digest else self._parse(path, raw)
        return _Shard(key=key, data=data, signature=signature, digest=digest, trusted=trusted, pin=pin)

    def _parse(self, path: Path, raw: bytes) -> dict[str, dict[str, Any]]:
        """Parse a shard file's bytes; report (never move, never reset) a file that is not valid JSON.

        An empty file is damage too: the store never writes one (an empty shard is deleted).
        """
        try:
            if not raw.strip():
                raise ValueError("the file is empty")
            data = orjson.loads(raw)
            if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
                raise ValueError("it is not a JSON object of tables")
            return data
        except (ValueError, orjson.JSONDecodeError) as exc:
            reason = " ".join(str(exc).split())[:160]
            raise StoreDamaged(
                f"The emulator state file '{path}' could not be read ({reason}). Nothing was reset or moved; "
                "see what is damaged with 'vmss-tui emulator check'.", target=str(path)
            ) from None

    # --- transactions ----------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[Transaction]:
        """A read-only view under the shared commit lock: every commit is wholly before or after it.

        A journal seen under that lock was left by a writer that died mid-commit (a live one holds
        the lock exclusively until its journal is gone): it is rolled forward first, or read
        through when this process may not write (or was told not to: `emulator check`).

        Raises:
            StoreDamaged: A journal this store never wrote (nothing of it is applied or read).
        """
        with self._lock(COMMIT_LOCK_NAME, exclusive=False, required=False):
            if os.path.exists(self._journal_file):  # one stat: the only cost of all this when nothing crashed
                if self.recover_on_read and not self._holds(LOCK_NAME):
                    try:  # lets this thread's shared hold go meanwhile (nothing was read yet)
                        self.recover()
                    except StoreWriteFailed:
                        pass  # a read-only user: read through the journal below
                self._pending = self.pending_commit() if os.path.exists(self._journal_file) else None
            elif self._pending is not None:
                self._pending = None
            yield Transaction(self, writable=False)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Exclusive read-modify-write: lock, work, then write each changed shard atomically once.

        If the body raises, nothing is written and the exception propagates. If writing fails
        (StoreWriteFailed), no shard of the transaction changed.
        """
        with self._shared_released(), self._lock(LOCK_NAME, exclusive=True, required=True):
            if os.path.exists(self._journal_file) or self._pending is not None:
                self._recover_locked()
            txn = Transaction(self, writable=True)
            try:
                yield txn
            except BaseException:
                self._forget(txn)
                raise
            try:
                self._commit(txn)
            except BaseException:
                self._forget(txn)
                raise

    def _forget(self, txn: Transaction) -> None:
        """Drop cached shards an aborted transaction touched: their documents may have been changed."""
        with self._cache_lock:
            for key in txn._shards:
                self._cache.pop(key, None)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """The exclusive write lock (kept for callers of the old name)."""
        with self._lock(LOCK_NAME, exclusive=True, required=True):
            yield

    def _held(self) -> dict[tuple[str, str], _HeldLock]:
        held: dict[tuple[str, str], _HeldLock] | None = getattr(_held_locks, "by_root", None)
        if held is None:
            held = _held_locks.by_root = {}
        return held

    def _holds(self, name: str) -> bool:
        """True if this thread holds the lock file `name` of this store directory (in any mode)."""
        entry = self._held().get((self._real_root, name))
        return entry is not None and entry.pid == os.getpid() and entry.mode != fcntl.LOCK_UN

    @contextmanager
    def _lock(self, name: str, *, exclusive: bool, required: bool) -> Iterator[None]:
        """flock on a sidecar file that is never replaced: `.lock` (writers, for a whole transaction)
        or `.commit-lock` (shared by readers, exclusive while a journaled commit is applied).

        Reentrant per thread and store directory (an inner exclusive request upgrades the thread's
        hold for its duration). Each thread holds its own descriptor, so threads exclude each other
        as processes do. Order: `.lock` before `.commit-lock`, never the other way round (a
        transaction inside a snapshot lets the snapshot's shared hold go first: `_shared_released`).

        Args:
            name: The lock file.
            exclusive: LOCK_EX rather than LOCK_SH.
            required: Fail (StoreWriteFailed) when the lock file cannot be opened at all; readers
                of a store on a read-only file system with no lock file go on without it.
        """
        held = self._held()
        slot = (self._real_root, name)
        entry = held.get(slot)
        if entry is not None and entry.pid != os.getpid():  # inherited through fork: not ours
            entry = None
        want = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        if entry is not None:
            previous = entry.mode
            if previous == fcntl.LOCK_UN or (want == fcntl.LOCK_EX and previous != fcntl.LOCK_EX):
                if entry.fd is None:
                    if required:
                        raise _write_error(self.root, OSError(errno.EROFS, os.strerror(errno.EROFS)))
                else:
                    _flock(entry.fd, want)
                    entry.mode = want
            entry.depth += 1
            try:
                yield
            finally:
                entry.depth -= 1
                if entry.mode != previous and entry.fd is not None:
                    _flock(entry.fd, previous)
                    entry.mode = previous
            return
        fd = self._open_lock_file(name, required)
        if fd is not None:
            try:
                _flock(fd, want)
            except BaseException:
                os.close(fd)
                raise
        held[slot] = _HeldLock(fd=fd, mode=want, depth=1, pid=os.getpid())
        try:
            yield
        finally:
            held.pop(slot, None)
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)

    @contextmanager
    def _shared_released(self) -> Iterator[None]:
        """Let go of this thread's shared commit lock while it takes the write lock (a transaction
        inside a snapshot): holding it while waiting for a writer that waits for it would deadlock."""
        entry = self._held().get((self._real_root, COMMIT_LOCK_NAME))
        if entry is None or entry.pid != os.getpid() or entry.mode != fcntl.LOCK_SH or entry.fd is None:
            yield
            return
        _flock(entry.fd, fcntl.LOCK_UN)
        entry.mode = fcntl.LOCK_UN
        try:
            yield
        finally:
            _flock(entry.fd, fcntl.LOCK_SH)
            entry.mode = fcntl.LOCK_SH

    def _open_lock_file(self, name: str, required: bool) -> int | None:
        # 0o666 less the umask: on a shared console (umask 007, setgid dir) every operator can lock.
        try:
            return os.open(self._lock_files[name], os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            try:  # a user who may only read: flock works on a read-only descriptor
                return os.open(self._lock_files[name], os.O_RDONLY)
            except OSError:
                if required:
                    raise _write_error(self.root, exc) from None
                return None

    def _commit(self, txn: Transaction) -> None:
        """Write each dirty shard: every temp file (fsynced) first, then the renames, then directory fsyncs.

        Writing all temp files before renaming any means a full disk or a read-only store fails
        the whole transaction with no shard changed and no temp file left behind. When more than
        one shard changes, a journal recorded after the temps and removed after the directory
        fsyncs makes the renames and deletions one atomic step (see `_recover_locked`). A single
        shard needs none: its rename is atomic, and the summary index checks itself (summary.py).
        """
        dirty = txn._dirty_shards()
        removed = [shard for shard in dirty if shard.dropped or not shard.data]
        staged: list[tuple[_Shard, Path, Path, bytes]] = []
        journaled = False
        try:
            for shard in dirty:
                if shard.dropped or not shard.data:
                    continue
                path = self.path_for(shard.key)
                path.parent.mkdir(parents=True, exist_ok=True)
                payload = orjson.dumps(shard.data)  # ~15x faster than json.dumps on a 1000-instance shard
                tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                staged.append((shard, path, tmp, payload))
                self._write_temp(tmp, payload)
            if self.index is not None:  # staged last, so renamed after the shards it summarises
                index_data = self.index.updated(self, [(s.key, s.data, t, b) for s, _p, t, b in staged],
                                                [s.key for s in removed])
                if index_data is not None:
                    index_shard = _Shard(key=self.index.key, data=index_data, signature=None, dirty=True)
                    path = self.path_for(index_shard.key)
                    payload = orjson.dumps(index_data)
                    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                    staged.append((index_shard, path, tmp, payload))
                    self._write_temp(tmp, payload)
            _step("temps-written")
            unlinks = [shard.key for shard in removed if self.path_for(shard.key).exists()]
            index_key = self.index.key if self.index is not None else None
            shard_changes = len(unlinks) + sum(1 for shard, *_rest in staged if shard.key != index_key)
            journaled = shard_changes > 1 or bool(self.journal_every_commit and staged + unlinks)
        except OSError as exc:
            _discard_temps(tmp for _shard, _path, tmp, _payload in staged)
            raise _write_error(self.root, exc) from None
        if not journaled:
            self._apply(removed, staged, unlinks, journaled=False)
            return
        recorded = False
        try:  # readers wait from here until the journal is gone: they see all of the commit or none
            with self._lock(COMMIT_LOCK_NAME, exclusive=True, required=True):
                try:
                    self._write_journal(PendingCommit(
                        renames=tuple((shard.key, tmp.name, _digest_hex(payload))
                                      for shard, _p, tmp, payload in staged),
                        unlinks=tuple(unlinks)))
                except OSError as exc:
                    raise _write_error(self.root, exc) from None
                recorded = True
                _step("journal-written")
                self._apply(removed, staged, unlinks, journaled=True)
        except StoreWriteFailed:
            if not recorded:  # nothing happened: leave no debris (a torn journal would be discarded anyway)
                _discard_temps([*(tmp for _shard, _path, tmp, _payload in staged), self.journal_path])
            raise

    def _apply(self, removed: list[_Shard], staged: list[tuple[_Shard, Path, Path, bytes]], unlinks: list[str],
               *, journaled: bool) -> None:
        """Delete, rename, fsync the directories, then (journaled) drop the journal: the commit's visible part."""
        touched_dirs: set[Path] = set()
        try:
            number = 0
            for shard in removed:
                path = self.path_for(shard.key)
                if shard.key in unlinks:
                    path.unlink(missing_ok=True)
                    touched_dirs.add(path.parent)
                    number += 1
                    _step(f"unlinked-{number}")
                with self._cache_lock:
                    self._cache.pop(shard.key, None)
            for number, (shard, path, tmp, payload) in enumerate(staged, 1):
                os.replace(tmp, path)
                touched_dirs.add(path.parent)
                # under the store lock nobody else replaces it: the file opened is the one just written
                shard.pin, shard.signature = _pin(path)
                shard.digest = hashlib.blake2b(payload, digest_size=16).digest()
                shard.trusted = False
                shard.dirty = False
                with self._cache_lock:
                    self._cache[shard.key] = shard
                _step(f"renamed-{number}")
            if self.durable:
                for directory in touched_dirs:
                    _fsync_directory(directory)
            _step("dirs-synced")
            if journaled:  # only once every rename is durable: a journal gone too early could split the commit
                self.journal_path.unlink()
                if self.durable:
                    _fsync_directory(self.root)
                _step("journal-removed")
        except OSError as exc:  # a rename or unlink refused after the temp files were written
            if not journaled:
                _discard_temps(tmp for _shard, _path, tmp, _payload in staged)
                raise _write_error(self.root, exc) from None
            reason = exc.strerror or str(exc)
            raise StoreWriteFailed(
                f"The emulator store '{self.root}' could not finish a commit: {reason}. The change is recorded "
                f"whole in {JOURNAL_NAME} and is completed the next time the store is read or written "
                "(or by 'vmss-tui emulator check --repair').", target=str(self.root)) from None

    def _write_journal(self, commit: PendingCommit) -> None:
        """Record a commit's renames and deletions durably before any of them happens.

        The journal's last line is the digest of the rest, so a journal torn by a crash is told
        apart from a whole one; the directory fsync makes its name durable before any rename is.
        """
        self._write_temp(self.journal_path, _encode_journal(commit))
        if self.durable:
            _fsync_directory(self.root)

    def _write_temp(self, tmp: Path, payload: bytes) -> None:
        """Write a temp file whole (os.write may write less than asked) and fsync it when durable."""
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)


def _flock(fd: int, operation: int) -> None:
    while True:
        try:
            fcntl.flock(fd, operation)
            return
        except OSError as exc:  # EINTR from a signal: try again
            if exc.errno != errno.EINTR:
                raise


def _key_problem(key: object) -> str | None:
    """Why a shard key may not become a path, or None: an allow-list of plain relative parts."""
    if not isinstance(key, str) or not key:
        return "it is empty"
    if key.startswith("/"):
        return "it is an absolute path"
    if "\\" in key:
        return "it contains a backslash"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        return "it contains a control character"
    for part in key.split("/"):
        if part in ("", ".", ".."):
            return "it has an empty, '.' or '..' part"
        if len(part.encode("utf-8", "surrogatepass")) > KEY_PART_MAX_BYTES:
            return "a part is too long for a file name"
    return None


@functools.lru_cache(maxsize=4096)
def _key_problem_of_text(key: str) -> str | None:
    """`_key_problem` of a string key, remembered: it depends on the text alone (the file system is
    checked by `path_for` every time), and every read asks it of the same few keys."""
    return _key_problem(key)


def _discard_temps(temps: Iterable[Path]) -> None:
    """Remove a failed commit's temp files: a full disk must not stay full of our debris."""
    for tmp in temps:
        try:
            tmp.unlink()
        except OSError:
            pass


def _write_error(root: Path, exc: OSError) -> StoreWriteFailed:
    """One line for a failed write: what the system said, and that nothing changed."""
    reason = exc.strerror or str(exc)
    name = errno.errorcode.get(exc.errno or 0, "")
    hint = {
        errno.ENOSPC: " Free some space and try again.",
        errno.EDQUOT: " Free some space and try again.",
        errno.EROFS: " The store is on a read-only file system: reading works, changes do not.",
        errno.EACCES: " This user may read the store but not change it.",
        errno.EPERM: " This user may read the store but not change it.",
    }.get(exc.errno or 0, "")
    return StoreWriteFailed(
        f"The emulator store '{root}' could not be written: {reason}{f' ({name})' if name else ''}. "
        f"Nothing was changed.{hint}", target=str(root))


def _copy_tables(data: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Copy the table maps, not the documents: TinyDB replaces tables on every write, and a document
    it mutates in place (Table.update) belongs to a shard that is then written (cache replaced) or
    aborted (cache dropped), so the cached version is never seen changed."""
    return {table: dict(docs) for table, docs in data.items()}
