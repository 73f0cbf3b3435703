"""One scale set's store shard: its key, its records loaded for a change, and saving them back.

A set lives in `sets/<group>/<name>.json` with three tables: `scale_set` (one doc), `instances`
and `operations`. Stored keys are unchanged from earlier versions (no migration); the short ones:
`rg` resource group, `fd` fault-domain count, `spg` single placement group, `tr` the instance's
transition in progress, `ud` update domain, `prov` provisioning state, `by_set` created by the
scale set's model (not added as a Flexible VM), `seq` creation order.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterator

from ....domain import errors, names
from ....domain.models import ProvisioningState
from ..engine.operations import OPERATIONS_KEPT
from ..store import KEY_PART_MAX_BYTES, Transaction

SETS_PREFIX = "sets/"


def set_key(resource_group: str, name: str) -> str:
    """The store key of a set; the names are checked first (Azure's rules), whoever called."""
    names.validate_resource_group_name(resource_group)
    names.validate_scale_set_name(name)
    return f"{SETS_PREFIX}{key_part(resource_group)}/{key_part(name)}"


def group_prefix(resource_group: str) -> str:
    names.validate_resource_group_name(resource_group)
    return f"{SETS_PREFIX}{key_part(resource_group)}/"


def key_part(name: str) -> str:
    """A name as one path part: lower-cased; a long Unicode group name is shortened with a hash to fit."""
    lowered = name.lower()
    if len(lowered.encode("utf-8")) <= KEY_PART_MAX_BYTES:
        return lowered
    digest = hashlib.blake2b(lowered.encode("utf-8"), digest_size=8).hexdigest()
    return f"{lowered[:30]}~{digest}"


def split_key(key: str) -> tuple[str, str]:
    """(group part, name part) of a set key."""
    group, name = key[len(SETS_PREFIX):].split("/", 1)
    return group, name


class SetShard:
    """One scale set's records, loaded for a transaction: the set, its instances, its operations."""

    def __init__(self, key: str, set_doc: dict[str, Any], instances: list[dict[str, Any]],
                 operations: list[dict[str, Any]]) -> None:
        self.key = key
        self.set_doc = set_doc
        self.instances = instances
        self.operations = operations

    def live_instances(self) -> list[dict[str, Any]]:
        """Instances not on their way out."""
        return [doc for doc in self.instances if not is_deleting(doc)]


def is_deleting(doc: dict[str, Any]) -> bool:
    """True for an instance whose deletion has started (it no longer counts toward capacity)."""
    return bool(doc.get("tr") and doc["tr"]["kind"] == "delete")


def damaged_set_error(resource_group: str, name: str, reason: str) -> errors.StoreDamaged:
    return errors.StoreDamaged(
        f"Scale set '{name}' in resource group '{resource_group}' is damaged in the emulator store and cannot be "
        f"read or reused. {reason.rstrip('.')}. Run 'vmss-tui emulator check'; 'vmss-tui emulator check "
        f"--repair --discard {resource_group}/{name}' sets its file aside (kept) and frees the name.",
        target=name)


def load(txn: Transaction, key: str) -> SetShard | None:
    """A set's records as private copies, or None when there is no such set."""
    try:
        if not txn.exists(key):
            return None
    except errors.StoreDamaged as exc:
        raise damaged_set_error(*split_key(key), exc.message) from None
    db = txn.db(key)
    set_docs = db.table("scale_set").all()
    if not set_docs:
        return None
    return SetShard(key, dict(set_docs[0]), [dict(d) for d in db.table("instances").all()],
                    [dict(d) for d in db.table("operations").all()])


def save(txn: Transaction, shard: SetShard) -> None:
    """Write the shard's three tables; the store turns this into one atomic file write."""
    db = txn.db(shard.key)
    for table_name, docs in (("scale_set", [shard.set_doc]), ("instances", shard.instances),
                             ("operations", shard.operations[-OPERATIONS_KEPT:])):
        table = db.table(table_name)
        table.truncate()
        table.insert_multiple(docs)


def readable_sets(txn: Transaction, prefix: str) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    """(key, raw tables) of every set shard that parses; damaged ones are skipped (list shows them)."""
    for key in txn.shard_keys(prefix):
        try:
            yield key, txn.view(key)
        except errors.StoreDamaged:
            continue


def set_visible(set_doc: dict[str, Any], now: float) -> bool:
    """False once the set's deletion has finished (its shard goes at the next write)."""
    busy = set_doc.get("busy")
    return not (busy and busy["kind"] == ProvisioningState.DELETING.value and now >= busy["until"])
