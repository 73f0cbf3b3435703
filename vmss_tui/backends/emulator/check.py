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
- stale temp files of interrupted writes are removed;
- the capacity reservation and network rooms (issue 16): a file of theirs that does not parse is reported
  with its path (`--discard KEY` sets it aside, kept; the public-address file is rebuilt from the NICs and
  public IP addresses instead); a scale set or VM associated with a capacity reservation group that does
  not exist loses that association, and a set whose VMs draw on a group it is not a member of is added (the
  group's accounting reads only its members); the network's records that disagree with the sets (NICs of
  VMs that are gone, an address allocated twice, addresses and NAT mappings nobody holds) are put right by
  the network room's own paths (network/consistency.py). The report says what each repair did.

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
from ...domain import reservations as reservation_model
from .backend import META, SETS_PREFIX, _set_key
from .compute import shard as set_shard
from .compute.reservations import RESERVATIONS_PREFIX, group_key
from .engine.context import Context
from .network import store_keys as network_keys
from .store import DAMAGED_MARK, JOURNAL_NAME, Store, Transaction

ROOM_PREFIXES = (RESERVATIONS_PREFIX, network_keys.NETWORK_PREFIX)
"""Rooms whose shards `--discard KEY` may set aside when they are damaged."""


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
        if not meta_problem:  # the rooms' ids name the subscription: judge them once it is whole
            _damaged_room_shards(txn, report)
            for room, scan in (("capacity reservation", _reservation_problems),
                               ("network", lambda t: _network_problems(store, t))):
                try:
                    problems = scan(txn)
                except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                    report.findings.append(Finding(store.root, f"the {room} records hold a value this version does "
                                                               f"not understand ({type(exc).__name__}: "
                                                               f"{names.shown(str(exc), 120)}), so they were not checked",
                                                   "restore the room's files from a backup"))
                    continue
                for problem in problems:
                    report.findings.append(Finding(txn_path(txn, problem.key), problem.text, problem.remedy))
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
    if not problem:  # a transaction of its own: records it does not understand abort it whole
        rooms = Report(store.root)
        try:
            with store.transaction() as txn:
                _mend_rooms(store, txn, stamp, rooms)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            report.repaired.append(f"could not mend the capacity reservation and network records "
                                   f"({type(exc).__name__}: {names.shown(str(exc), 120)}); none of that was written")
        else:
            report.repaired += rooms.repaired
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
    """Set a damaged set's file(s) aside (kept), freeing its name; a readable set is refused.

    `item` may also be the store key of a damaged reservation or network file (as the report names it)."""
    if item.startswith(ROOM_PREFIXES):
        _discard_room_shard(store, txn, item, stamp, report)
        return
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


def _damaged_room_shards(txn: Transaction, report: Report) -> None:
    """Every file of the reservation and network rooms that does not parse, as a finding."""
    for prefix in (*ROOM_PREFIXES, network_keys.PUBLIC_ADDRESSES.rsplit("/", 1)[0] + "/"):
        for key in txn.shard_keys(prefix):
            try:
                txn.view(key)
            except errors.StoreDamaged as exc:
                remedy = ("--repair keeps it and rebuilds it from the NICs and public IP addresses"
                          if key == network_keys.PUBLIC_ADDRESSES else
                          f"restore the file from a backup, or --repair --discard {key} (keeps the file; what it "
                          "held is gone)")
                report.findings.append(Finding(txn_path(txn, key), f"{_room_label(key)} cannot be read: {exc.message}",
                                               remedy))


def _room_label(key: str) -> str:
    parts = key.split("/")
    if key.startswith(RESERVATIONS_PREFIX) and len(parts) == 3:
        return f"capacity reservation group {parts[1]}/{parts[2]}"
    if key == network_keys.PUBLIC_ADDRESSES:
        return "the public address register"
    if key.startswith(network_keys.NETWORK_PREFIX) and len(parts) == 4:
        kind = "the NIC record of scale set" if parts[2] == network_keys.BINDINGS else parts[2]
        return f"{kind} {parts[1]}/{parts[3]}"
    return f"store file {key}"


def _damaged(txn: Transaction, key: str) -> bool:
    try:
        txn.view(key)
    except errors.StoreDamaged:
        return True
    return False


@dataclass
class _Problem:
    key: str
    text: str
    remedy: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def _group_state(txn: Transaction, group_id: str) -> str:
    """"ok", "missing" or "damaged" for the capacity reservation group a VM or set names."""
    parsed = reservation_model.parse_group_id(group_id)
    if parsed is None:
        return "missing"
    _sub, rg, name = parsed
    try:
        key = group_key(rg, name)
    except errors.AzureError:
        return "missing"
    try:
        if not txn.exists(key) or not txn.view(key).get("group"):
            return "missing"
    except errors.StoreDamaged:
        return "damaged"  # reported as damage; its associations are left alone
    return "ok"


def _reservation_problems(txn: Transaction) -> list[_Problem]:
    """Associations that name a group that does not exist, and sets missing from a group's members."""
    problems: list[_Problem] = []
    states: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    for key in txn.shard_keys(RESERVATIONS_PREFIX):
        try:
            group = next(iter(txn.view(key).get("group", {}).values()), None)
        except errors.StoreDamaged:
            continue
        if group is not None:
            members[str(group.get("id", "")).lower()] = set(group.get("members", []))
    for key in txn.shard_keys(SETS_PREFIX):
        try:
            tables = txn.view(key)
        except errors.StoreDamaged:
            continue
        set_docs = list(tables.get("scale_set", {}).values())
        if not set_docs:
            continue
        set_doc = set_docs[0]
        shown = _shown_key(key)

        def state(group_id: str) -> str:
            if group_id.lower() not in states:
                states[group_id.lower()] = _group_state(txn, group_id)
            return states[group_id.lower()]

        if isinstance(set_doc.get("crg"), str) and set_doc["crg"] and state(set_doc["crg"]) == "missing":
            problems.append(_Problem(key, f"scale set {shown} is associated with capacity reservation group "
                                          f"{names.shown(set_doc['crg'], 300)}, which does not exist",
                                     "--repair removes the association from the set", "set-crg",
                                     {"group": set_doc["crg"]}))
        dangling: dict[str, list[str]] = {}
        unlisted: dict[str, list[str]] = {}
        for doc in tables.get("instances", {}).values():
            group_id = doc.get("crg")
            if not group_id or not isinstance(group_id, str):
                continue
            if state(group_id) == "missing":
                dangling.setdefault(group_id, []).append(str(doc.get("instance_id")))
            elif state(group_id) == "ok" and key not in members.get(group_id.lower(), {key}):
                unlisted.setdefault(group_id, []).append(str(doc.get("instance_id")))
        for group_id, ids in sorted(dangling.items()):
            problems.append(_Problem(key, f"scale set {shown}: {len(ids)} VM(s) ({_some(ids)}) are associated with "
                                          f"capacity reservation group {names.shown(group_id, 300)}, which does not "
                                          "exist", "--repair removes their association (they keep running, "
                                          "uncovered)", "vm-crg", {"group": group_id}))
        for group_id, ids in sorted(unlisted.items()):
            problems.append(_Problem(key, f"scale set {shown}: {len(ids)} VM(s) ({_some(ids)}) draw on capacity "
                                          f"reservation group {names.shown(group_id, 300)}, which does not list the set "
                                          "among its members, so its accounting leaves them out",
                                     "--repair adds the set to the group's members", "member",
                                     {"group": group_id}))
    return problems


def _some(ids: list[str]) -> str:
    ordered = sorted(ids, key=lambda i: (len(i), i))
    return ", ".join(ordered[:5]) + (f" and {len(ordered) - 5} more" if len(ordered) > 5 else "")


def _network_room(store: Store) -> Any:
    from .network.service import NetworkService

    return NetworkService(Context(store=store))


def _network_problems(store: Store, txn: Transaction) -> list[Any]:
    if not txn.shard_keys(network_keys.NETWORK_PREFIX) and not txn.exists(network_keys.PUBLIC_ADDRESSES):
        return []  # no network anywhere: the network room is not even imported
    from .network import consistency

    return consistency.scan(_network_room(store), txn)


def _mend_rooms(store: Store, txn: Transaction, stamp: str, report: Report) -> None:
    """Under the write lock: put right what the reservation and network scans find."""
    for problem in _reservation_problems(txn):
        if problem.kind == "member":
            parsed = reservation_model.parse_group_id(problem.data["group"])
            assert parsed is not None
            gkey = group_key(parsed[1], parsed[2])
            table = txn.db(gkey).table("group")
            group = dict(table.all()[0])
            group["members"] = [*group.get("members", []), problem.key]
            table.truncate()
            table.insert(group)
            report.repaired.append(f"added scale set {_shown_key(problem.key)} to the members of capacity reservation "
                                   f"group {group['name']}")
            continue
        loaded = set_shard.load(txn, problem.key)
        if loaded is None:
            continue
        wanted = problem.data["group"].lower()
        if problem.kind == "set-crg" and (loaded.set_doc.get("crg") or "").lower() == wanted:
            loaded.set_doc["crg"] = None
            report.repaired.append(f"removed scale set {_shown_key(problem.key)}'s association with capacity "
                                   f"reservation group {names.shown(problem.data['group'], 300)}, which does not exist")
        elif problem.kind == "vm-crg":
            cleared = [doc for doc in loaded.instances if (doc.get("crg") or "").lower() == wanted]
            for doc in cleared:
                doc.pop("crg", None)
            report.repaired.append(f"removed the association of {len(cleared)} VM(s) of scale set "
                                   f"{_shown_key(problem.key)} with capacity reservation group "
                                   f"{names.shown(problem.data['group'], 300)}, which does not exist")
        set_shard.save(txn, loaded)
    if _damaged(txn, network_keys.PUBLIC_ADDRESSES):
        path = store.path_for(network_keys.PUBLIC_ADDRESSES)
        kept = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}")
        os.replace(path, kept)
        store.forget(network_keys.PUBLIC_ADDRESSES)
        report.repaired.append(f"kept the damaged {path.name} as {kept.name}")
        from .network import consistency

        held = consistency.rebuild_public(_network_room(store), txn)
        report.repaired.append(f"rebuilt {path.name}: {len(held)} public address(es) from the NICs and public IP "
                               "addresses")
    problems = _network_problems(store, txn)
    if problems:
        from .network import consistency

        report.repaired += consistency.mend(_network_room(store), txn, problems)


def _discard_room_shard(store: Store, txn: Transaction, key: str, stamp: str, report: Report) -> None:
    """Set a damaged reservation or network file aside (kept); a readable one is refused."""
    path = store.path_for(key)  # refuses a key that is not a plain store key
    if not path.exists():
        raise errors.ResourceNotFound(f"No store file '{names.shown(key, 200)}' was found.", target=key)
    if not _damaged(txn, key):
        raise errors.OperationNotAllowed(
            f"'{names.shown(key, 200)}' is not damaged; --discard only sets damaged files aside.", target=key)
    kept = path.with_name(f"{path.name}{DAMAGED_MARK}{stamp}")
    os.replace(path, kept)
    store.forget(key)
    report.repaired.append(f"set {path.name} ({_room_label(key)}) aside as {kept.name}")


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
    parser.add_argument("--discard", action="append", default=[], metavar="RG/SET|KEY")
    try:
        options, extra = parser.parse_known_args(argv)
    except argparse.ArgumentError as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) vmss-tui emulator check: {exc}\n")
        return 2
    if extra or (options.discard and not options.repair):
        stderr.write("ERROR: (UnrecognizedArguments) usage: vmss-tui emulator check [--repair [--discard RG/SET|KEY]...]\n")
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
