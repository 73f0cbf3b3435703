"""Regional vCPU quotas: limits stored in the subscription shard, usage counted from the set summaries.

A quota row is {location, family, limit}; the family `Total Regional vCPUs` is the regional cap.
Usage is every instance not deallocated (or heading there) and not being deleted.
"""

from __future__ import annotations

import re
from typing import Any

from ....domain import errors, names
from ....domain.models import PowerState, Usage
from ....domain.sizes import SIZES, find_size
from .. import rules
from ..engine.context import Context
from ..resources.groups import META
from ..store import Store, Transaction
from ..summary import SetSummary, read_summaries
from .shard import SETS_PREFIX, SetShard

DEFAULT_FAMILY_QUOTA = 2500
DEFAULT_TOTAL_REGIONAL_QUOTA = 5000
TOTAL_REGIONAL = "Total Regional vCPUs"
QUOTA_FAMILY = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ]{0,63}")
CORES = "cores"
VIRTUAL_MACHINES = "virtualMachines"
VIRTUAL_MACHINE_SCALE_SETS = "virtualMachineScaleSets"
DEFAULT_COUNT_LIMITS = {VIRTUAL_MACHINES: 25000, VIRTUAL_MACHINE_SCALE_SETS: 2500}
"""Azure's default per-region limits for VMs and scale sets (azure-subscription-service-limits, "Virtual
Machines limits"); `emulator quota set` may change them by these names."""
_COUNT_NAMES = {VIRTUAL_MACHINES: "Virtual Machines", VIRTUAL_MACHINE_SCALE_SETS: "Virtual Machine Scale Sets"}


def quota_limits(txn: Transaction, location: str) -> dict[str, int]:
    return {r["family"]: r["limit"] for r in txn.db(META).table("quotas").all() if r["location"] == location}


def usage(store: Store, txn: Transaction, location: str, now: float, skip_key: str | None = None) -> dict[str, int]:
    """vCPUs held per family: every instance not deallocated (or heading there) and not being deleted."""
    held: dict[str, int] = {}
    for key, found in read_summaries(store, txn, SETS_PREFIX):  # summary.summarize counts them
        if key == skip_key or not isinstance(found, SetSummary):
            continue
        if found.set_doc["location"] != location or not found.visible(now):
            continue
        for family, vcpus in found.usage.items():
            held[family] = held.get(family, 0) + vcpus
    from .reservations import held_vcpus  # capacity reservations hold quota too (issue 16)
    for family, vcpus in held_vcpus(txn, location, now).items():
        held[family] = held.get(family, 0) + vcpus
    return held


def check_quota(ctx: Context, txn: Transaction, location: str, needed: dict[str, int],
                skip_key: str | None = None) -> None:
    """Refuse a change that would take a family, or the region, over its vCPU quota."""
    if not any(needed.values()):
        return
    held = usage(ctx.store, txn, location, ctx.now(), skip_key=skip_key)
    limits = quota_limits(txn, location)
    for family, extra in needed.items():
        limit = limits.get(family, DEFAULT_FAMILY_QUOTA)
        if held.get(family, 0) + extra > limit:
            raise quota_error(family, location, limit, held.get(family, 0), extra)
    total_limit = limits.get(TOTAL_REGIONAL, DEFAULT_TOTAL_REGIONAL_QUOTA)
    total_used = sum(held.values())
    total_extra = sum(needed.values())
    if total_used + total_extra > total_limit:
        raise quota_error("Total Regional Cores", location, total_limit, total_used, total_extra)


def check_upgrade_quota(ctx: Context, txn: Transaction, shard: SetShard, targets: list[dict[str, Any]]) -> None:
    """An upgrade to a bigger size needs the extra vCPUs of every running target."""
    new_size = find_size(shard.set_doc["vm_size"]) if shard.set_doc["vm_size"] else None
    if new_size is None:
        return
    needed: dict[str, int] = {}
    for doc in targets:
        if doc["power"] == PowerState.DEALLOCATED.value:
            continue
        old = find_size(doc["vm_size"])
        if old is not None and old.name != new_size.name:
            needed[new_size.family] = needed.get(new_size.family, 0) + new_size.vcpus
            if old.family == new_size.family:
                needed[new_size.family] -= old.vcpus
    check_quota(ctx, txn, shard.set_doc["location"], {f: v for f, v in needed.items() if v > 0})


def quota_error(family: str, location: str, limit: int, used: int, extra: int) -> errors.QuotaExceeded:
    """Azure's quota text, as `az` prints it."""
    return errors.QuotaExceeded(
        f"Operation could not be completed as it results in exceeding approved {family} Cores quota. Additional "
        f"details - Deployment Model: Resource Manager, Location: {location}, Current Limit: {limit}, Current Usage: "
        f"{used}, Additional Required: {extra}, (Minimum) New Limit Required: {used + extra}. Submit a request for "
        "Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView.",
        target=family,
    )


def set_quota(ctx: Context, location: str, family: str, vcpus: int) -> None:
    """Set a regional vCPU quota (`family` may be 'Total Regional vCPUs')."""
    location = rules.validate_location(location)
    if vcpus < 0:
        raise errors.InvalidParameter("A quota limit cannot be negative.", target="limit")
    if not QUOTA_FAMILY.fullmatch(family):
        raise errors.InvalidInputValue(
            f"The quota name '{names.shown(family)}' is not valid: letters, digits and spaces, at most 64.",
            target="family")
    with ctx.store.transaction() as txn:
        table = txn.db(META).table("quotas")
        rows = [dict(r) for r in table.all() if not (r["location"] == location and r["family"] == family)]
        rows.append({"location": location, "family": family, "limit": vcpus})
        table.truncate()
        table.insert_multiple(rows)


def quota_usage(ctx: Context, location: str) -> dict[str, tuple[int, int]]:
    """family -> (vCPUs in use, limit) for a region, including the total regional row."""
    location = rules.validate_location(location)
    with ctx.store.snapshot() as txn:
        held = usage(ctx.store, txn, location, now=ctx.now())
        limits = quota_limits(txn, location)
    families = set(held) | {f for f in limits if f != TOTAL_REGIONAL}
    result = {f: (held.get(f, 0), limits.get(f, DEFAULT_FAMILY_QUOTA)) for f in sorted(families)}
    result[TOTAL_REGIONAL] = (sum(held.values()), limits.get(TOTAL_REGIONAL, DEFAULT_TOTAL_REGIONAL_QUOTA))
    return result


def family_display_name(family: str) -> str:
    """What az prints for a family quota: `standardDSv3Family` -> `Standard DSv3 Family vCPUs`; a range of
    A sizes with a dash (`standardA0_A7Family` -> `Standard A0-A7 Family vCPUs`, az vm list-usage's text)."""
    if family.startswith("standard") and family.endswith("Family") and len(family) > len("standardFamily"):
        middle = re.sub(r"^(A\d+)_(A\d+)$", r"\1-\2", family[len("standard"):-len("Family")])
        return f"Standard {middle} Family vCPUs"
    return family


def list_usage(ctx: Context, location: str) -> list[Usage]:
    """`az vm list-usage --location L`: regional vCPUs (`cores`), VM and scale-set counts, then each family."""
    location = rules.validate_location(location)
    now = ctx.now()
    sets = machines = 0
    with ctx.store.snapshot() as txn:
        held = usage(ctx.store, txn, location, now)
        limits = quota_limits(txn, location)
        for _key, found in read_summaries(ctx.store, txn, SETS_PREFIX):
            if isinstance(found, SetSummary) and found.set_doc["location"] == location and found.visible(now):
                sets += 1
                machines += found.live
    special = {TOTAL_REGIONAL, *DEFAULT_COUNT_LIMITS}
    families = sorted({size.family for size in SIZES.values()} | set(held) | (set(limits) - special),
                      key=str.lower)
    rows = [Usage(name=CORES, localized_name=TOTAL_REGIONAL, current_value=sum(held.values()),
                  limit=limits.get(TOTAL_REGIONAL, DEFAULT_TOTAL_REGIONAL_QUOTA))]
    for name, count in ((VIRTUAL_MACHINES, machines), (VIRTUAL_MACHINE_SCALE_SETS, sets)):
        rows.append(Usage(name=name, localized_name=_COUNT_NAMES[name], current_value=count,
                          limit=limits.get(name, DEFAULT_COUNT_LIMITS[name])))
    rows += [Usage(name=family, localized_name=family_display_name(family), current_value=held.get(family, 0),
                   limit=limits.get(family, DEFAULT_FAMILY_QUOTA)) for family in families]
    return rows
