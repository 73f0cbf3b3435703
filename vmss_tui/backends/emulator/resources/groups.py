"""The subscription and its resource groups, stored in the subscription shard (`subscription.json`).

Tables of that shard: `subscription` (one doc: id, name, created), `resource_groups` (name,
location, optional tags), `quotas` (compute's, see compute/quota.py) and `operations` (records of
operations whose scale set is gone). Keys are unchanged from earlier versions: no migration.
"""

from __future__ import annotations

from typing import Any

from ....domain import errors, names
from ....domain.models import ResourceGroup
from ....domain.tags import validate_tags  # one tag rule for every resource
from .. import rules
from ..engine.context import Context
from ..engine.operations import OPERATIONS_KEPT
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


def visible(row: dict[str, Any], now: float | None) -> bool:
    """False once the group's deletion has finished (its row goes at the next group write)."""
    deleting = row.get("deleting")
    return not (deleting and now is not None and now >= deleting["until"])


def find_group(txn: Transaction, resource_group: str, now: float | None = None) -> dict[str, Any] | None:
    """The stored group of that name (case-insensitive, as ARM), or None; with `now`, a deleted group is None."""
    for row in txn.db(META).table(GROUPS_TABLE).all():
        if row["name"].lower() == resource_group.lower() and visible(row, now):
            return dict(row)
    return None


def require_group(txn: Transaction, resource_group: str, now: float | None = None) -> dict[str, Any]:
    """The stored group, or Azure's ResourceGroupNotFound."""
    names.validate_resource_group_name(resource_group)
    found = find_group(txn, resource_group, now)
    if found is None:
        raise errors.resource_group_not_found(resource_group)
    return found


def require_group_for_change(txn: Transaction, resource_group: str, now: float) -> dict[str, Any]:
    """A group something is created in: it must exist and not be on its way out (Azure's two errors)."""
    found = require_group(txn, resource_group, now)
    if found.get("deleting"):
        raise errors.resource_group_being_deleted(found["name"])
    return found


def group_rows(txn: Transaction, now: float | None = None) -> list[dict[str, Any]]:
    """Every stored group (with `now`: not deleted yet), sorted by name (case-insensitive)."""
    return sorted((dict(row) for row in txn.db(META).table(GROUPS_TABLE).all() if visible(row, now)),
                  key=lambda r: r["name"].lower())


def group_view(row: dict[str, Any], subscription_id: str) -> ResourceGroup:
    """The stored group as ARM shows it: `Deleting` while a delete runs."""
    return ResourceGroup(name=row["name"], location=row["location"], subscription_id=subscription_id,
                         tags=dict(row.get("tags") or {}),
                         provisioning_state="Deleting" if row.get("deleting") else "Succeeded")


def _write_rows(txn: Transaction, rows: list[dict[str, Any]]) -> None:
    table = txn.db(META).table(GROUPS_TABLE)
    table.truncate()
    table.insert_multiple(rows)


def create_or_update(txn: Transaction, resource_group: str, location: str, tags: dict[str, str] | None,
                     now: float) -> tuple[dict[str, Any], bool]:
    """Create a group, or replace an existing one's tags (a PUT replaces them, as ARM does).

    Returns the stored row and whether it was created.
    """
    names.validate_resource_group_name(resource_group)
    if not isinstance(location, str) or not location.strip():
        raise errors.InvalidParameter("A resource group needs a location.", target="location")
    normalized = rules.validate_location(location)
    checked = validate_tags(tags)
    purge_deleted(txn, now)
    rows = [dict(row) for row in txn.db(META).table(GROUPS_TABLE).all()]
    for row in rows:
        if row["name"].lower() == resource_group.lower():
            if row.get("deleting"):
                raise errors.resource_group_being_deleted(row["name"])
            if row["location"] != normalized:
                raise errors.invalid_resource_group_location(location, row["location"])
            row["tags"] = checked
            _write_rows(txn, rows)
            return row, False
    row = {"name": resource_group, "location": normalized, "tags": checked}
    rows.append(row)
    _write_rows(txn, rows)
    return row, True


def mark_deleting(txn: Transaction, resource_group: str, until: float, op_id: str) -> None:
    """Record that the group goes away at `until` (reads show it `Deleting` until then)."""
    rows = [dict(row) for row in txn.db(META).table(GROUPS_TABLE).all()]
    for row in rows:
        if row["name"].lower() == resource_group.lower():
            row["deleting"] = {"until": until, "op": op_id}
    _write_rows(txn, rows)


def purge_deleted(txn: Transaction, now: float) -> None:
    """Drop the rows of groups whose deletion has finished."""
    rows = [dict(row) for row in txn.db(META).table(GROUPS_TABLE).all()]
    kept = [row for row in rows if visible(row, now)]
    if len(kept) != len(rows):
        _write_rows(txn, kept)


def keep_operations(txn: Transaction, operations: list[dict[str, Any]]) -> None:
    """Store operation records in the subscription shard (a group's, or those of a set that is gone)."""
    meta_ops = txn.db(META).table("operations")
    kept = ([dict(d) for d in meta_ops.all()] + operations)[-OPERATIONS_KEPT:]
    meta_ops.truncate()
    meta_ops.insert_multiple(kept)
