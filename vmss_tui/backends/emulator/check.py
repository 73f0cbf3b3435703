"""`vmss-tui emulator check [--repair [--discard RG/SET]...]`: find and mend damage in an emulator store.

Readers never move or reset anything: a damaged file is reported where it lies. This module is
the only place that sets damaged files aside, and it does so holding the store's write lock, keeping
every damaged file (renamed `<file>.damaged-<time>`). What can be rebuilt is rebuilt:

- a missing, empty or unparsable `subscription.json` next to existing sets: its subscription id
  (recorded in every set created since), its resource groups (from the sets) — quotas and groups
  without sets cannot be recovered, and the report says so;
- a commit a crash interrupted after recording its journal is completed (every shard it wrote
  gets its new file, every shard it deleted goes); one interrupted before its journal was whole is
  discarded (none of it had happened). Any user who may write does this on opening the store;
  `check` reports it without doing it. A journal that is whole but names files this store never
  writes is set aside (`.commit-journal.damaged-<time>`), never applied;
- stale temp files of interrupted writes are removed.

A scale set whose own file is damaged cannot be rebuilt: it stays listed as Damaged until someone
restores the file or gives the name up with `--discard RG/SET`.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ...domain import errors, names
from .backend import META, SETS_PREFIX, _set_key
from .store import DAMAGED_MARK, JOURNAL_NAME, Store, Transaction


@dataclass
class Finding:
    """One problem in the store, and what `--repair` can do about it."""

    path: Path
    problem: str
    remedy: str
    label: str = "DAMAGED"
    """PENDING for an interrupted commit, which is not damage: readers already see it whole."""


@dataclass
class Report:
    """What a check found and what a repair did."""

    root: Path
    findings: list[Finding] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)


def check_store(store: Store) -> Report:
    """Look for damage without changing anything (a shared read lock, no writes; an interrupted commit is
    reported and read through, not completed, when the store was opened with recover=False)."""
    report = Report(store.root)
    journal_finding = _journal_finding(store)
    if journal_finding is not None:
        report.findings.append(journal_finding)
        if journal_finding.label != "PENDING":
            return report  # a journal that is not ours: what it would change is unknown, so read nothing
    with store.snapshot() as txn:  # through a whole journal: the store as it is once completed
        set_data = _readable_sets(txn, report)
        meta_problem = _meta_problem(txn, bool(set_data) or bool(report.findings))
    if meta_problem:
        report.findings.insert(0, Finding(store.path_for(META), meta_problem,
                                          "--repair keeps it and rebuilds it from the scale sets"))
    for key, paths in store.legacy_corrupt_files(SETS_PREFIX).items():
        if key in set_data:
            continue
        for path in paths:
            report.findings.append(Finding(path, f"scale set {_shown_key(key)} was moved aside by an older version, "
                                                 "so it is listed as Damaged",
                                           f"restore the file as {key}.json, or --repair --discard {_shown_key(key)}"))
    stale = store.stale_temp_files()
    if stale:
        report.findings.append(Finding(stale[0].parent, f"{len(stale)} temp file(s) of interrupted writes",
                                       "--repair removes them"))
    return report


def _journal_finding(store: Store) -> Finding | None:
    """An interrupted commit waiting in the journal, as a finding (None when there is none)."""
    if not store.journal_path.exists():
        return None
    try:
        pending = store.pending_commit()
    except errors.StoreDamaged as exc:
        return Finding(store.journal_path, f"the commit journal is whole but cannot be applied: {exc.message}",
                       "--repair sets it aside, unapplied (nothing of it has been done by this program)")
    if pending is None:
        return Finding(store.journal_path, "a commit was interrupted by a crash before its journal was whole, so "
                                           "none of it happened (readers already ignore it)",
                       "--repair discards it and its temp files", "PENDING")
    return Finding(store.journal_path, f"a commit was half applied when a crash interrupted it ({pending.describe()}); "
                                       "readers already see it whole",
                   "--repair completes it (so does any command run by a user who may write the store)", "PENDING")


def repair_store(store: Store, discard: list[str]) -> Report:
    """Under the write lock: finish an interrupted commit, keep and rebuild the subscription shard,
    set discarded sets aside, drop temps."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    report = Report(store.root)
    try:
        report.repaired += store.recover()
    except errors.StoreDamaged:
        kept = store.set_journal_aside(f"{JOURNAL_NAME}{DAMAGED_MARK}{stamp}")
        report.repaired.append(f"set the commit journal that cannot be applied aside as {kept.name}, unapplied")
        report.repaired += store.recover()
    with store.transaction() as txn:
        for tmp in store.stale_temp_files():
            tmp.unlink(missing_ok=True)
            report.repaired.append(f"removed the stale temp file {tmp.name}")
        for item in discard:
            _discard(store, txn, item, stamp, report)
        findings = Report(store.root)
        set_data = _readable_sets(txn, findings)
        problem = _meta_problem(txn, bool(set_data) or bool(findings.findings)
                                or bool(store.legacy_corrupt_files(SETS_PREFIX)))
        if problem:
            _rebuild_meta(store, txn, set_data, stamp, report)
    after = check_store(store)
    report.findings = after.findings
    return report


def _readable_sets(txn: Transaction, report: Report) -> dict[str, dict[str, Any]]:
    """key -> set document of every set shard that parses; the others become findings."""
    result: dict[str, dict[str, Any]] = {}
    for key in txn.shard_keys(SETS_PREFIX):
        try:
            docs = list(txn.view(key).get("scale_set", {}).values())
        except errors.StoreDamaged as exc:
            report.findings.append(Finding(
                txn_path(txn, key), f"scale set {_shown_key(key)} cannot be read: {exc.message}",
                f"restore the file from a backup, or --repair --discard {_shown_key(key)} (keeps the file)"))
            continue
        if docs:
            result[key] = docs[0]
    return result


def txn_path(txn: Transaction, key: str) -> Path:
    """The file of a key (for reports)."""
    return txn._store.path_for(key)


def _meta_problem(txn: Transaction, has_sets: bool) -> str | None:
    """Why the subscription shard is damaged, or None."""
    try:
        data = txn.view(META)
    except errors.StoreDamaged as exc:
        return exc.message
    if data.get("subscription") or not has_sets:
        return None
    path = txn._store.path_for(META)
    state = "empty" if path.exists() else "missing"
    return (f"the subscription file is {state} while scale sets exist: its subscription id, resource groups and "
            "quotas are unknown")


def _rebuild_meta(store: Store, txn: Transaction, set_data: dict[str, dict[str, Any]], stamp: str,
                  report: Report) -> None:
    path = store.path_for(META)
    try:  # a shard that parses but lost its subscription row keeps its quotas, groups and operations
        previous = {table: [dict(doc) for doc in docs.values()] for table, docs in txn.view(META).items()}
    except errors.StoreDamaged:
        previous = {}
    if path.exists():
        kept = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}")
        os.replace(path, kept)
        store.forget(META)
        report.repaired.append(f"kept the damaged {path.name} as {kept.name}")
    recorded = Counter(doc["sub"] for doc in set_data.values() if doc.get("sub"))
    if recorded:
        subscription_id, _count = recorded.most_common(1)[0]
        origin = f"recovered from {sum(recorded.values())} scale set(s)"
    else:
        subscription_id = str(uuid.uuid4())
        origin = "NEW: no scale set recorded the old one, so resource ids change"
    meta = txn.db(META)
    meta.table("subscription").truncate()
    meta.table("subscription").insert({"id": subscription_id, "name": "Emulated subscription",
                                       "created": time.time()})
    for table, rows in previous.items():
        if table not in ("subscription", "resource_groups"):
            meta.table(table).insert_multiple(rows)
    groups: dict[str, dict[str, str]] = {row["name"].lower(): row for row in previous.get("resource_groups", [])
                                         if isinstance(row.get("name"), str)}
    for doc in set_data.values():
        groups.setdefault(doc["rg"].lower(), {"name": doc["rg"], "location": doc["location"]})
    meta.table("resource_groups").truncate()
    meta.table("resource_groups").insert_multiple(sorted(groups.values(), key=lambda g: g["name"].lower()))
    report.repaired.append(
        f"rebuilt {path.name}: subscription id {subscription_id} ({origin}); resource groups "
        f"{', '.join(g['name'] for g in groups.values()) or '(none)'}"
        + ("; quotas kept" if previous.get("quotas") else
           ". Quotas and resource groups without scale sets could not be recovered: quotas are back to the "
           "defaults; set them again with 'vmss-tui emulator quota --set FAMILY=VCPUS'"))


def _discard(store: Store, txn: Transaction, item: str, stamp: str, report: Report) -> None:
    """Set a damaged set's file(s) aside (kept), freeing its name; a readable set is refused."""
    group, sep, name = item.partition("/")
    if not sep:
        raise errors.InvalidInputValue(f"--discard '{names.shown(item)}': expected RESOURCE_GROUP/SCALE_SET.",
                                       target="discard")
    key = _set_key(group, name)
    moved = []
    path = store.path_for(key)
    if path.exists():
        try:
            txn.view(key)
        except errors.StoreDamaged:
            pass
        else:
            raise errors.OperationNotAllowed(
                f"Scale set {group}/{name} is not damaged; --discard only sets damaged files aside (use "
                "'vmss-tui delete' to delete a set).", target=item)
        moved.append(path)
    moved += store.legacy_corrupt_files(key.rsplit("/", 1)[0] + "/").get(key, [])
    if not moved:
        raise errors.ResourceNotFound(f"No damaged file of scale set {group}/{name} was found.", target=item)
    for old in moved:
        kept = old.with_name(f"{old.name}{DAMAGED_MARK}{stamp}")
        os.replace(old, kept)
        report.repaired.append(f"set {old.name} of scale set {group}/{name} aside as {kept.name}; the name is free")
    store.forget(key)


def _shown_key(key: str) -> str:
    return key[len(SETS_PREFIX):] if key.startswith(SETS_PREFIX) else key


def render(report: Report, repairing: bool) -> str:
    """The report as lines for a person."""
    lines = [f"Emulator store {report.root}"]
    lines += [f"  repaired: {line}" for line in report.repaired]
    if not report.findings:
        lines.append("  no damage found")
    for finding in report.findings:
        lines.append(f"  {finding.label} {finding.path}: {finding.problem.rstrip('.')}. Way out: {finding.remedy.rstrip('.')}.")
    if report.findings and not repairing:
        lines.append("Nothing was changed. Run 'vmss-tui emulator check --repair' to mend what can be mended.")
    return "\n".join(lines)


def run_check(argv: list[str], backend_options: dict[str, Any], stdout: TextIO, stderr: TextIO) -> int:
    """The CLI command: exit 0 when the store is whole (after repairing), 1 when damage remains, 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="vmss-tui emulator check", add_help=False, exit_on_error=False)
    parser.add_argument("--repair", action="store_true")
    parser.add_argument("--discard", action="append", default=[], metavar="RG/SET")
    try:
        options, extra = parser.parse_known_args(argv)
    except argparse.ArgumentError as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) vmss-tui emulator check: {exc}\n")
        return 2
    if extra or (options.discard and not options.repair):
        stderr.write("ERROR: (UnrecognizedArguments) usage: vmss-tui emulator check [--repair [--discard RG/SET]...]\n")
        return 2
    db = backend_options.get("db")
    if db:
        root = Path(db).expanduser()
    else:
        from . import default_store_path

        root = default_store_path()
    if not root.is_dir():
        stdout.write(f"Emulator store {root}\n  there is no store here yet: nothing to check\n")
        return 0
    try:
        store = Store(root, recover=False)  # check reports an interrupted commit; only --repair completes it
        report = repair_store(store, options.discard) if options.repair else check_store(store)
    except errors.AzureError as exc:
        stderr.write(" ".join(f"ERROR: {exc}".split()) + "\n")
        return 2 if exc.nothing_sent else 1
    stdout.write(render(report, options.repair) + "\n")
    return 1 if report.findings else 0
