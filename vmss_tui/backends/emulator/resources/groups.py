"""The subscription and its resource groups, stored in the subscription shard (`subscription.json`).

Tables of that shard: `subscription` (one doc: id, name, created), `resource_groups` (name,
location, optional tags), `quotas` (compute's, see compute/quota.py) and `operations` (records of
operations whose scale set is gone). Keys are unchanged from earlier versions: no migration.
"""

from __future__ import annotations

from typing import Any

from ....domain import errors, names
from ....domain.sizes import DEFAULT_LOCATION
from .. import rules
from ..engine.context import Context
from ..store import Transaction

META = "subscription"
"""The store key of the subscription shard."""
DEFAULT_RESOURCE_GROUP = "practice-rg"
"""The practice estate's group."""
GROUPS_TABLE = "resource_groups"
DAMAGED_HELP = ("run 'vmss-tui emulator check' to see the damage and 'vmss-tui emulator check --repair' to rebuild "
                "it from the scale sets (the damaged file is kept).")


def view_meta(txn: Transaction) -> dict[str, dict[str, Any]]:
    """The subscription shard's raw tables; a damaged one says how to get out (check, then repair)."""
    try:
        return txn.view(META)
    except errors.StoreDamaged as exc:
        raise errors.StoreDamaged(
            f"{exc.message.split(' Nothing was reset')[0]} Nothing was reset or moved. This is the subscription's own "
            f"file (its id, resource groups and quotas): {DAMAGED_HELP}", target=exc.target) from None


def ensure_meta(ctx: Context, txn: Transaction) -> None:
    """Give a new store its subscription (a random id from the emulator's randomness)."""
    table = txn.db(META).table("subscription")
    if not table.all():
        table.insert({"id": ctx.new_uuid(), "name": "Emulated subscription", "created": ctx.now()})


def meta_doc(txn: Transaction) -> dict[str, Any]:
    """The subscription doc (id, name); an all-zero id while a store has none."""
    docs = txn.db(META).table("subscription").all()
    if not docs:
        return {"id": "00000000-0000-0000-0000-000000000000", "name": "Emulated subscription"}
    return dict(docs[0])


def find_group(txn: Transaction, resource_group: str) -> dict[str, Any] | None:
    """The stored group of that name (case-insensitive, as ARM), or None."""
    for row in txn.db(META).table(GROUPS_TABLE).all():
        if row["name"].lower() == resource_group.lower():
            return dict(row)
    return None


def require_group(txn: Transaction, resource_group: str) -> dict[str, Any]:
    """The stored group, or Azure's ResourceGroupNotFound."""
    names.validate_resource_group_name(resource_group)
    found = find_group(txn, resource_group)
    if found is None:
        raise errors.resource_group_not_found(resource_group)
    return found


def group_rows(txn: Transaction) -> list[dict[str, Any]]:
    """Every stored group, sorted by name (case-insensitive)."""
    return sorted((dict(row) for row in txn.db(META).table(GROUPS_TABLE).all()), key=lambda r: r["name"].lower())


def ensure_group(ctx: Context, txn: Transaction, resource_group: str, location: str | None) -> str:
    """The group's location, creating the group first when it does not exist."""
    found = find_group(txn, resource_group)
    if found is not None:
        return found["location"]
    group_location = rules.validate_location(location or DEFAULT_LOCATION)
    txn.db(META).table(GROUPS_TABLE).insert({"name": resource_group, "location": group_location})
    return group_location
