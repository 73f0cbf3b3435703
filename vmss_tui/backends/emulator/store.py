"""Crash-safe, process-safe TinyDB storage for the emulator.

Stock TinyDB rewrites its file in place (a kill -9 mid-write leaves it unreadable) and
caches state per process (two processes lose each other's updates). This module keeps
TinyDB's document API but changes what sits under it:

- A store is a directory of shards, one TinyDB JSON file each (one per scale set plus a
  small `subscription` shard), so a change to one set rewrites only that set's file.
- Every read-modify-write runs in `Store.transaction()`, which holds an exclusive
  `flock` on `<root>/.lock` for its whole duration, revalidates cached shards by
  (inode, mtime, size), and on success writes each changed shard once: temp file,
  fsync, `os.replace`, fsync of the directory. Readers need no lock: they always see a
  whole old file or a whole new one.
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
import hashlib
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

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
DAMAGED_MARK = ".damaged-"
"""`<shard>.json.damaged-<time>`: a damaged file set aside by `emulator check --repair` (kept, never read)."""
LEGACY_CORRUPT_MARK = ".corrupt-"
"""`<stem>.corrupt-<time>.json.bad`: where older versions' readers moved an unparsable shard."""
KEY_PART_MAX_BYTES = 200
"""A key part becomes a file or directory name: well under NAME_MAX (255) with the suffixes added."""
MTIME_TICK_NS = 50_000_000
"""Filesystem timestamps move in coarse ticks and inodes get reused, so two writes inside one tick
can share (inode, mtime, size). A signature is only trusted once its mtime is this far in the past."""


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


@dataclass
class _Shard:
    """One shard's parsed content plus what is needed to tell if the file changed since."""

    key: str
    data: dict[str, dict[str, Any]]
    signature: tuple[int, int, int] | None
    dirty: bool = False
    dropped: bool = False
    digest: bytes = b""
    trusted: bool = False
    """True once the file's mtime was safely in the past when we read it (see `load_shard`)."""


def _signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size): os.replace always makes a new inode, so this spots any write."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


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
        keys = set(self._store.list_shard_keys(prefix))
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

    def __init__(self, root: Path | str, *, durable: bool = True, index: "SummaryIndex | None" = None) -> None:
        """Open (creating if needed) a store directory.

        Args:
            root: The store directory.
            durable: fsync files and directories (turn off only for throwaway test stores).
            index: Keeps a summary index shard in step with the shards, in the same commit (see summary.py).
        """
        self.root = Path(root)
        self.durable = durable
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(self.root, exc) from None
        self._real_root = os.path.realpath(self.root)
        self.index = index
        self._cache = ShardCache()  # bounded: a long-running TUI or endpoint never holds every set parsed
        self._cache_lock = threading.Lock()
        self._thread_lock = threading.RLock()
        self._remove_stale_temp_files()

    # --- paths and files -------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """The JSON file of a shard key, refusing any key that would resolve outside the store.

        Raises:
            InvalidStoreKey: An empty, absolute or NUL/control-character key, a `.`/`..`/empty
                part, a backslash, an over-long part, or a path that leaves the root (symlinks too).
        """
        reason = _key_problem(key)
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

    def _remove_stale_temp_files(self) -> None:
        """A crash between writing a temp file and renaming it leaves the temp behind; it is garbage.

        Temp files are only written under the store lock, so holding it here means none is in flight.
        """
        if not any(self.root.rglob("*.tmp")):
            return  # the usual case: no lock needed, so read-only users can open the store
        try:
            with self._file_lock():
                for tmp in self.root.rglob("*.tmp"):
                    try:
                        tmp.unlink()
                    except OSError:
                        pass
        except StoreWriteFailed:
            pass  # a read-only user cannot lock or delete: readers ignore temp files anyway

    def forget(self, key: str) -> None:
        """Drop a shard from this process's cache (after maintenance moved its file)."""
        with self._cache_lock:
            self._cache.pop(key, None)

    def stale_temp_files(self) -> list[Path]:
        """Temp files a crashed or failed writer left (readers ignore them; writers under the lock may delete)."""
        return sorted(self.root.rglob("*.tmp"))

    # --- reading ---------------------------------------------------------------------

    def load_shard(self, key: str, *, private_copy: bool) -> _Shard:
        """A shard's content, from the cache when the file has not changed since it was parsed."""
        path = self.path_for(key)
        signature = _signature(path)
        with self._cache_lock:
            cached = self._cache.get(key)
        if cached is None or cached.signature != signature or not cached.trusted:
            cached = self._read_shard(key, path, signature, cached)
            with self._cache_lock:
                self._cache[key] = cached
        if private_copy:
            # Writers work on their own copy so an aborted transaction leaves the cache intact.
            return _Shard(key=key, data=_copy_tables(cached.data), signature=signature)
        return cached

    def _read_shard(self, key: str, path: Path, signature: tuple[int, int, int] | None,
                    cached: _Shard | None) -> _Shard:
        """Read a shard file, reusing the parsed cache when the bytes are the same."""
        if signature is None:
            return _Shard(key=key, data={}, signature=None, trusted=True)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return _Shard(key=key, data={}, signature=None, trusted=True)
        digest = hashlib.blake2b(raw, digest_size=16).digest()
        trusted = time.time_ns() - signature[1] > MTIME_TICK_NS
        if cached is not None and cached.digest == digest:
            return _Shard(key=key, data=cached.data, signature=signature, digest=digest, trusted=trusted)
        return _Shard(key=key, data=self._parse(path, raw), signature=signature, digest=digest, trusted=trusted)

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
        """A lock-free, read-only view; each shard is read whole (old or new, never partial)."""
        yield Transaction(self, writable=False)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Exclusive read-modify-write: lock, work, then write each changed shard atomically once.

        If the body raises, nothing is written and the exception propagates. If writing fails
        (StoreWriteFailed), no shard of the transaction changed.
        """
        with self._thread_lock, self._file_lock():
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
        """flock on a sidecar file that is never replaced, held across the whole read-modify-write."""
        # 0o666 less the umask: on a shared console (umask 007, setgid dir) every operator can lock.
        try:
            fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise _write_error(self.root, exc) from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    break
                except OSError as exc:  # EINTR from a signal: try again
                    if exc.errno != errno.EINTR:
                        raise
            yield
        finally:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _commit(self, txn: Transaction) -> None:
        """Write each dirty shard: every temp file (fsynced) first, then the renames, then directory fsyncs.

        Writing all temp files before renaming any means a full disk or a read-only store fails
        the whole transaction with no shard changed and no temp file left behind.
        """
        staged: list[tuple[_Shard, Path, Path, bytes]] = []
        try:
            for shard in txn._dirty_shards():
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
                                                [s.key for s in txn._dirty_shards() if s.dropped or not s.data])
                if index_data is not None:
                    index_shard = _Shard(key=self.index.key, data=index_data, signature=None, dirty=True)
                    path = self.path_for(index_shard.key)
                    payload = orjson.dumps(index_data)
                    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                    staged.append((index_shard, path, tmp, payload))
                    self._write_temp(tmp, payload)
        except OSError as exc:
            _discard_temps(tmp for _shard, _path, tmp, _payload in staged)
            raise _write_error(self.root, exc) from None
        touched_dirs: set[Path] = set()
        try:
            for shard in txn._dirty_shards():
                if shard.dropped or not shard.data:
                    path = self.path_for(shard.key)
                    if path.exists():
                        path.unlink()
                        touched_dirs.add(path.parent)
                    with self._cache_lock:
                        self._cache.pop(shard.key, None)
            for shard, path, tmp, payload in staged:
                os.replace(tmp, path)
                touched_dirs.add(path.parent)
                shard.signature = _signature(path)
                shard.digest = hashlib.blake2b(payload, digest_size=16).digest()
                shard.trusted = False
                shard.dirty = False
                with self._cache_lock:
                    self._cache[shard.key] = shard
            if self.durable:
                for directory in touched_dirs:
                    _fsync_directory(directory)
        except OSError as exc:  # a rename or unlink refused after the temp files were written
            _discard_temps(tmp for _shard, _path, tmp, _payload in staged)
            raise _write_error(self.root, exc) from None

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
