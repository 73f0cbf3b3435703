"""Per-set summaries kept by the store, so listing sets costs per set, not per instance.

A set's shard holds up to 1000 instance records (~0.6 MB); `list`, the TUI's sets pane, the
quota check and the purge of deleted sets need only the set document, the capacity, vCPUs in use
and how many instances are in each state. The store keeps those in one small index shard,
`set-summaries.json`, rewritten in the same commit as the set shards it summarises.

Consistency rule: an index entry is used only while its recorded file signature
(inode, mtime_ns, size) equals the set shard's on disk. The signature is taken from the shard's
temp file before the rename (a rename keeps inode, mtime and size), and the index is renamed
after the shards. A kill -9 (or a power cut reordering the renames) can leave the index older or
newer than a shard, but then the signatures differ (the new file's inode existed alongside the old
one, so they cannot be equal) and the reader recounts from the shard itself. The next write under
the lock rebuilds every entry that does not match (that is also how a store written by an older
version gets its index). A damaged or missing index file is rebuilt the same way; it is never
needed for correctness, only for speed.

States change with time without a write (a stop started at t finishes at t + 1.5 s at speed fast),
so an entry stores counts of instances with no transition plus every pending transition grouped by
(kind, start, states before / during / after) with its sorted finish times; a reader resolves them
at its own `now` with a bisect, exactly as the instance views do.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ...domain import errors
from ...domain.models import (
    OrchestrationMode,
    PowerState,
    Priority,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    UpgradeMode,
)
from ...domain.sizes import find_size
from ...domain.summary import ScaleSetSummary

INDEX_KEY = "set-summaries"
"""The index shard's key (file `set-summaries.json` at the store root, outside `sets/`)."""
INDEX_TABLE = "summaries"
SUMMARY_PREFIX = "sets/"
SUMMARY_VERSION = 1
"""Bumped when the entry format changes: entries of another version are rebuilt, never misread."""


@dataclass
class SetSummary:
    """One set's summary as stored, resolved against a time on demand."""

    set_doc: dict[str, Any]
    live: int
    """Instances not marked for deletion: the set's capacity."""
    stable: list[list[Any]] = field(default_factory=list)
    """[power, prov, count] of instances with no transition."""
    pending: list[list[Any]] = field(default_factory=list)
    """[kind, start, power, prov, mid_power, mid_prov, final_power, final_prov, sorted untils]."""
    usage: dict[str, int] = field(default_factory=dict)
    """vCPUs held per size family (instances not deallocated or heading there, not being deleted)."""

    def visible(self, now: float) -> bool:
        """False once a set deletion has finished (the shard is purged at the next write)."""
        busy = self.set_doc.get("busy")
        return not (busy and busy["kind"] == ProvisioningState.DELETING.value and now >= busy["until"])

    def states(self, now: float) -> dict[tuple[str, str], int]:
        """(power, provisioning) -> instances in that state at `now`, as the instance views would show."""
        counts: dict[tuple[str, str], int] = {}

        def add(power: str, prov: str, count: int) -> None:
            if count:
                counts[(power, prov)] = counts.get((power, prov), 0) + count

        for power, prov, count in self.stable:
            add(power, prov, count)
        for kind, start, power, prov, mid_power, mid_prov, final_power, final_prov, untils in self.pending:
            done = bisect.bisect_right(untils, now)
            if kind != "delete":
                add(final_power or power, final_prov or prov, done)
            if now >= start:
                add(mid_power or power, mid_prov, len(untils) - done)
            else:
                add(power, prov, len(untils) - done)
        return counts


def summarize(tables: dict[str, dict[str, Any]]) -> SetSummary | None:
    """A set shard's summary from its raw tables (None for a shard with no set document)."""
    set_docs = list(tables.get("scale_set", {}).values())
    if not set_docs:
        return None
    stable: dict[tuple[str, str], int] = {}
    pending: dict[tuple[Any, ...], list[float]] = {}
    usage: dict[str, int] = {}
    live = 0
    for doc in tables.get("instances", {}).values():
        tr = doc.get("tr")
        if not tr:
            stable[(doc["power"], doc["prov"])] = stable.get((doc["power"], doc["prov"]), 0) + 1
        else:
            group = (tr["kind"], tr["start"], doc["power"], doc["prov"], tr.get("mid_power"), tr.get("mid_prov"),
                     tr.get("power"), tr.get("prov"))
            pending.setdefault(group, []).append(tr["until"])
        if tr and tr["kind"] == "delete":
            continue
        live += 1
        power = (tr.get("power") if tr else None) or doc["power"]  # the same rule as the backend's quota usage
        if power != PowerState.DEALLOCATED.value:
            size = find_size((tr or {}).get("vm_size") or doc["vm_size"])
            if size is not None:
                usage[size.family] = usage.get(size.family, 0) + size.vcpus
    return SetSummary(
        set_doc=dict(set_docs[0]), live=live,
        stable=[[power, prov, count] for (power, prov), count in sorted(stable.items())],
        pending=[[*group, sorted(untils)] for group, untils in sorted(pending.items(), key=lambda kv: repr(kv[0]))],
        usage=usage)


def _entry(summary: SetSummary | None, signature: tuple[int, int, int] | None, digest: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"v": SUMMARY_VERSION, "sig": list(signature) if signature else None, "digest": digest}
    if summary is not None:
        entry.update(set=summary.set_doc, live=summary.live, stable=summary.stable, pending=summary.pending,
                     usage=summary.usage)
    return entry


def _from_entry(entry: dict[str, Any]) -> SetSummary | None:
    if "set" not in entry:
        return None
    return SetSummary(set_doc=entry["set"], live=entry["live"], stable=entry["stable"], pending=entry["pending"],
                      usage=entry["usage"])


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size) of a file, or None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class SummaryIndex:
    """The store's hook: keeps `set-summaries.json` in step with the set shards, in the same commit."""

    key = INDEX_KEY

    def __init__(self, prefix: str = SUMMARY_PREFIX) -> None:
        self.prefix = prefix

    def updated(self, store: Any, staged: list[tuple[str, dict[str, Any], Path, bytes]],
                dropped: list[str]) -> dict[str, dict[str, Any]] | None:
        """The index's new tables for a commit (None when nothing changed); called under the store lock.

        Args:
            store: The Store committing.
            staged: (key, tables, temp file, payload) of each shard about to be renamed into place.
            dropped: Keys of shards this commit deletes.
        """
        if not any(key.startswith(self.prefix) for key, _t, _p, _b in staged) and not any(
                key.startswith(self.prefix) for key in dropped):
            return None  # no set changed (an autoscale run, a group): entries are checked by signature on read
        try:
            current = dict(store.load_shard(INDEX_KEY, private_copy=False).data.get(INDEX_TABLE, {}))
        except errors.StoreDamaged:
            current = {}  # rebuilt below from the shards; the damaged bytes are replaced by a good index
        entries = dict(current)
        written = set()
        for key, tables, tmp, payload in staged:
            if not key.startswith(self.prefix):
                continue
            written.add(key)
            entries[key] = _entry(summarize(tables), file_signature(tmp),
                                  hashlib.blake2b(payload, digest_size=16).hexdigest())
        for key in dropped:
            entries.pop(key, None)
        on_disk = set(store.list_shard_keys(self.prefix))
        for key in list(entries):
            if key not in on_disk and key not in written:
                entries.pop(key)
        for key in on_disk - written - set(dropped):
            signature = file_signature(store.path_for(key))
            entry = entries.get(key)
            if entry is not None and entry.get("v") == SUMMARY_VERSION and entry.get("sig") == (
                    list(signature) if signature else None):
                continue
            try:
                shard = store.load_shard(key, private_copy=False)
            except errors.StoreDamaged:
                entries[key] = {"v": SUMMARY_VERSION, "sig": list(signature) if signature else None,
                                "damaged": True}
                continue
            entries[key] = _entry(summarize(shard.data), shard.signature, shard.digest.hex())
        if entries == current:
            return None
        return {INDEX_TABLE: entries}


def read_summaries(store: Any, txn: Any, prefix: str
                   ) -> Iterator[tuple[str, SetSummary | None | errors.StoreDamaged]]:
    """(key, summary) for every set shard under `prefix`, as `txn` sees it.

    A summary comes from the index when its signature matches the shard file, otherwise from the
    shard itself (a shard this transaction touched always comes from the transaction). A shard that
    cannot be read yields its StoreDamaged error; a shard with no set document yields None.
    """
    entries = _index_entries(txn)
    for key in txn.shard_keys(prefix):
        yield key, _summary_of(store, txn, key, entries)


def read_summary(store: Any, txn: Any, key: str) -> SetSummary | None | errors.StoreDamaged:
    """One set shard's summary (None when the shard does not exist or holds no set), as `read_summaries`."""
    return _summary_of(store, txn, key, _index_entries(txn))


def _index_entries(txn: Any) -> dict[str, dict[str, Any]]:
    try:
        return txn.view(INDEX_KEY).get(INDEX_TABLE, {})
    except errors.StoreDamaged:
        return {}  # only slower: every summary is recounted from its shard until the next write rebuilds it


def _summary_of(store: Any, txn: Any, key: str, entries: dict[str, dict[str, Any]]
                ) -> SetSummary | None | errors.StoreDamaged:
    touched = txn.touched(key)
    memo = getattr(txn, "memo", None)
    if memo is not None and not touched and ("summary", key) in memo:
        return memo[("summary", key)]
    found = _summary_uncached(store, txn, key, entries, touched)
    if memo is not None and not touched:
        memo[("summary", key)] = found
    return found


def _summary_uncached(store: Any, txn: Any, key: str, entries: dict[str, dict[str, Any]], touched: bool
                      ) -> SetSummary | None | errors.StoreDamaged:
    entry = entries.get(key)
    if (entry is not None and not touched and entry.get("v") == SUMMARY_VERSION
            and not entry.get("damaged") and entry.get("sig") is not None
            and tuple(entry["sig"]) == file_signature(store.path_for(key))):
        return _from_entry(entry)
    try:
        tables = txn.view(key)
    except errors.StoreDamaged as exc:
        return exc
    return summarize(tables)


def summary_view(summary: SetSummary, now: float, subscription_id: str) -> ScaleSetSummary:
    """The protocol's ScaleSetSummary of a set at `now`."""
    counts = sorted(summary.states(now).items())
    return ScaleSetSummary(
        scale_set=scale_set_view(summary.set_doc, summary.live, now, subscription_id),
        state_counts=tuple((PowerState(power), ProvisioningState(prov), count) for (power, prov), count in counts))


def scale_set_view(doc: dict[str, Any], capacity: int, now: float, subscription_id: str) -> ScaleSet:
    """A set as the protocol shows it, from its stored document and its capacity."""
    busy = doc.get("busy")
    state = ProvisioningState(busy["kind"]) if busy and now < busy["until"] else ProvisioningState.SUCCEEDED
    return ScaleSet(
        name=doc["name"], resource_group=doc["rg"], location=doc["location"],
        orchestration_mode=OrchestrationMode(doc["mode"]), capacity=capacity, vm_size=doc["vm_size"],
        image=doc["image"], platform_fault_domain_count=doc["fd"], zones=tuple(doc["zones"]),
        single_placement_group=doc["spg"], scale_in_policy=ScaleInRule(doc["rule"]),
        upgrade_policy=UpgradeMode(doc["upgrade"]), provisioning_state=state,
        time_created=datetime.fromtimestamp(doc["created"], tz=timezone.utc),
        id=(f"/subscriptions/{subscription_id}/resourceGroups/{doc['rg']}/providers/Microsoft.Compute/"
            f"virtualMachineScaleSets/{doc['name']}"),
        subscription_id=subscription_id, unique_id=doc["unique_id"], computer_name_prefix=doc["prefix"],
        priority=Priority(doc["priority"]), force_deletion=doc["force"], zone_balance=doc["zone_balance"],
        has_vm_profile=doc["has_profile"],
        tags=tuple(sorted((doc.get("tags") or {}).items())), stored_profile=doc.get("profile", ""),
        capacity_reservation_group=doc.get("crg"),
    )
