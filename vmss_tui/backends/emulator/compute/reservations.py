"""Capacity reservation groups in the store, and what compute asks of them.

A group lives in `reservations/<resource group>/<group>` with tables `group` (one doc: name, rg, location,
zones, tags, created, members: the set keys that ever held an associated VM), `reservations` (one doc per
reservation: name, sku, capacity, zones, created, uid, tags). Association is stored on the other side: a set
document's `crg` (the group id its profile names) and each instance record's `crg` (the group that VM uses).
Accounting is computed at read time from those records, at the reader's `now`, like every other view:
an associated VM is *allocated* unless deallocated (or being deleted) [CR-OVERVIEW].

Quota: a reservation holds `capacity x vCPUs` of its family; an allocated VM it covers draws on that hold
instead of adding to it, so the held quota is VM usage plus the unused part of every reservation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from ....domain import errors, names
from ....domain import reservations as model
from ....domain.models import OrchestrationMode, PowerState
from ....domain.reservations import CapacityReservation, CapacityReservationGroup
from ....domain.sizes import find_size
from .. import rules
from ..engine.context import Context
from ..resources import groups
from ..store import Transaction
from . import transitions
from .shard import is_deleting, key_part, set_visible

RESERVATIONS_PREFIX = "reservations/"


def group_prefix(resource_group: str) -> str:
    names.validate_resource_group_name(resource_group)
    return f"{RESERVATIONS_PREFIX}{key_part(resource_group)}/"


def group_key(resource_group: str, name: str) -> str:
    """The store key of a group; both names are checked (at every door and again here)."""
    model.validate_name(name)
    return f"{group_prefix(resource_group)}{key_part(name)}"


def _one(txn: Transaction, key: str, table: str) -> dict[str, Any] | None:
    docs = list(txn.view(key).get(table, {}).values())
    return dict(docs[0]) if docs else None


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)


def group_not_found(resource_group: str, name: str) -> errors.ResourceNotFound:
    return errors.ResourceNotFound(
        f"The Resource 'Microsoft.Compute/capacityReservationGroups/{name}' under resource group "
        f"'{resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        target=name)


def reservation_not_found(resource_group: str, group: str, name: str) -> errors.ResourceNotFound:
    return errors.ResourceNotFound(
        f"The Resource 'Microsoft.Compute/capacityReservationGroups/{group}/capacityReservations/{name}' under "
        f"resource group '{resource_group}' was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix", target=name)


class Loaded:
    """One group's records, loaded for a read or a change."""

    def __init__(self, key: str, group: dict[str, Any], reservations: list[dict[str, Any]]) -> None:
        self.key = key
        self.group = group
        self.reservations = reservations

    def slots(self) -> dict[tuple[str, str | None], dict[str, Any]]:
        zones = tuple(self.group["zones"])
        return {model.reservation_slot(zones, r["sku"], r["zones"]): r for r in self.reservations}

    def save(self, txn: Transaction) -> None:
        db = txn.db(self.key)
        for name, docs in (("group", [self.group]), ("reservations", self.reservations)):
            table = db.table(name)
            table.truncate()
            table.insert_multiple(docs)


def load(txn: Transaction, key: str) -> Loaded | None:
    if not txn.exists(key):
        return None
    group = _one(txn, key, "group")
    if group is None:
        return None
    return Loaded(key, group, [dict(d) for d in txn.view(key).get("reservations", {}).values()])


def instance_arm_id(subscription_id: str, set_doc: dict[str, Any], instance: dict[str, Any]) -> str:
    """Uniform: the scale-set VM id [CR-UNIFORM]; Flexible: the plain VM id."""
    base = f"/subscriptions/{subscription_id}/resourceGroups/{set_doc['rg']}/providers/Microsoft.Compute"
    if set_doc["mode"] == OrchestrationMode.UNIFORM.value:
        return f"{base}/virtualMachineScaleSets/{set_doc['name']}/virtualMachines/{instance['instance_id']}"
    return f"{base}/virtualMachines/{instance['name']}"


def group_usage(txn: Transaction, loaded: Loaded, now: float
                ) -> tuple[list[str], dict[tuple[str, str | None], tuple[list[str], list[str]]]]:
    """(every associated VM id, slot -> (associated ids, allocated ids)) at `now`."""
    subscription_id = groups.meta_doc(txn)["id"]
    gid = loaded.group["id"].lower()
    zonal = bool(loaded.group["zones"])
    associated: list[str] = []
    per_slot: dict[tuple[str, str | None], tuple[list[str], list[str]]] = {}
    for set_key_ in loaded.group.get("members", []):
        try:
            if not txn.exists(set_key_):
                continue
            tables = txn.view(set_key_)
        except errors.StoreDamaged:
            continue
        set_docs = list(tables.get("scale_set", {}).values())
        if not set_docs or not set_visible(set_docs[0], now):
            continue
        set_doc = set_docs[0]
        for instance in tables.get("instances", {}).values():
            if (instance.get("crg") or "").lower() != gid or is_deleting(instance):
                continue
            if instance.get("tr") and instance["tr"]["kind"] == "delete":
                continue
            vm_id = instance_arm_id(subscription_id, set_doc, instance)
            associated.append(vm_id)
            slot = (instance["vm_size"].lower(), instance.get("zone") if zonal else None)
            lists = per_slot.setdefault(slot, ([], []))
            lists[0].append(vm_id)
            if transitions.effective_power(instance, now)[0] is not PowerState.DEALLOCATED:
                lists[1].append(vm_id)
    return associated, per_slot

def held_vcpus(txn: Transaction, location: str, now: float) -> dict[str, int]:
    """Quota a region's reservations hold beyond the allocated VMs they cover (family -> vCPUs)."""
    held: dict[str, int] = {}
    for key in txn.shard_keys(RESERVATIONS_PREFIX):
        loaded = load(txn, key)
        if loaded is None or loaded.group["location"] != location or not loaded.reservations:
            continue
        _, per_slot = group_usage(txn, loaded, now)
        for slot, doc in loaded.slots().items():
            size = find_size(doc["sku"])
            if size is None:
                continue
            allocated = len(per_slot.get(slot, ([], []))[1])
            unused = max(0, doc["capacity"] - allocated)
            if unused:
                held[size.family] = held.get(size.family, 0) + unused * size.vcpus
    return held


class ReservationService:
    """Microsoft.Compute capacityReservationGroups and their capacityReservations."""

    def __init__(self, ctx: Context, check_quota: Callable[..., None]) -> None:
        self.ctx = ctx
        self._check_quota_of = check_quota
        """quota.check_quota, given by compute (quota counts reservations: no import cycle)."""

    # --- accounting -----------------------------------------------------------------------------

    def usage(self, txn: Transaction, loaded: Loaded, now: float
              ) -> tuple[list[str], dict[tuple[str, str | None], tuple[list[str], list[str]]]]:
        return group_usage(txn, loaded, now)

    def spare(self, txn: Transaction, group_id: str, vm_size: str, zones: Iterable[str | None], now: float) -> int:
        """Reserved but unallocated VMs of a size over some zones: new VMs there need no extra quota."""
        loaded = self._load_by_id(txn, group_id)
        if loaded is None:
            return 0
        _, per_slot = self.usage(txn, loaded, now)
        slots = loaded.slots()
        zonal = bool(loaded.group["zones"])
        total = 0
        for zone in set(zones) if zonal else {None}:
            doc = slots.get((vm_size.lower(), zone))
            if doc is not None:
                total += max(0, doc["capacity"] - len(per_slot.get((vm_size.lower(), zone), ([], []))[1]))
        return total

    # --- association (called by compute inside its transaction) ----------------------------------

    def _load_by_id(self, txn: Transaction, group_id: str) -> Loaded | None:
        parsed = model.parse_group_id(group_id)
        if parsed is None:
            return None
        _sub, rg, name = parsed
        try:
            return load(txn, group_key(rg, name))
        except errors.AzureError:
            return None

    def resolve(self, txn: Transaction, group_ref: str, default_resource_group: str) -> Loaded:
        """A group named by id (az passes the full id) or by name in the set's resource group."""
        subscription_id = groups.meta_doc(txn)["id"]
        parsed = model.parse_group_id(group_ref)
        if parsed is not None:
            sub, rg, name = parsed
            if sub.lower() != subscription_id.lower():
                # [CR-OVERVIEW]: only the subscription that created the reservation may use it
                raise errors.AzureError(
                    f"Capacity reservation group '{names.shown(group_ref, 300)}' belongs to another subscription; only "
                    "the subscription "
                    "that created it can use it.", code="NotSupported", http_status=400,
                    target="capacityReservationGroup")
        elif "/" in group_ref:
            raise errors.InvalidParameter(
                f"'{names.shown(group_ref, 200)}' is not a capacity reservation group id or name.",
                target="capacityReservationGroup")
        else:
            rg, name = default_resource_group, group_ref
        loaded = load(txn, group_key(rg, name))
        if loaded is None:
            raise group_not_found(rg, name)
        return loaded

    def check_and_join(self, txn: Transaction, loaded: Loaded, target: model.AssociationTarget, set_key_: str) -> str:
        """Check an association (raises Azure's refusal) and note the set as a member; returns the group id."""
        model.check_association(target, group_name=loaded.group["name"], group_location=loaded.group["location"],
                                group_zones=tuple(loaded.group["zones"]), slots=loaded.slots().keys())
        if set_key_ not in loaded.group.setdefault("members", []):
            loaded.group["members"].append(set_key_)
            loaded.save(txn)
        return loaded.group["id"]

    def all_capacity_zero(self, txn: Transaction, group_id: str, instances: list[dict[str, Any]]) -> bool:
        """True when every reservation these VMs draw on reserves 0 ([CR-REMOVE-VMSS] option 2)."""
        loaded = self._load_by_id(txn, group_id)
        if loaded is None:
            return True
        slots = loaded.slots()
        zonal = bool(loaded.group["zones"])
        for instance in instances:
            doc = slots.get((instance["vm_size"].lower(), instance.get("zone") if zonal else None))
            if doc is not None and doc["capacity"] > 0:
                return False
        return True

    # --- groups ---------------------------------------------------------------------------------

    def create_or_update_group(self, resource_group: str, name: str, *, location: str | None = None,
                               zones: tuple[str, ...] = (), tags: dict[str, str] | None = None
                               ) -> tuple[CapacityReservationGroup, bool]:
        key = group_key(resource_group, name)
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            row = groups.require_group_for_change(txn, resource_group, now)
            loc = rules.validate_location(location or row["location"])
            zone_list = rules.validate_zones(zones, loc, name) if zones else ()
            existing = load(txn, key)
            if existing is not None:
                if loc != existing.group["location"]:
                    raise errors.property_change_not_allowed("location")
                if zones and tuple(zone_list) != tuple(existing.group["zones"]):
                    raise errors.property_change_not_allowed("zones")
                if tags is not None:
                    existing.group["tags"] = dict(tags)
                existing.save(txn)
                return self._group_view(txn, existing, now), False
            sub = groups.meta_doc(txn)["id"]
            loaded = Loaded(key, {"name": name, "rg": row["name"], "location": loc, "zones": list(zone_list),
                                  "tags": dict(tags or {}), "created": now, "members": [],
                                  "id": model.group_id(sub, row["name"], name)}, [])
            loaded.save(txn)
            return self._group_view(txn, loaded, now), True

    def get_group(self, resource_group: str, name: str) -> CapacityReservationGroup:
        key = group_key(resource_group, name)
        with self.ctx.store.snapshot() as txn:
            now = self.ctx.now()
            groups.require_group(txn, resource_group, now)
            loaded = load(txn, key)
            if loaded is None:
                raise group_not_found(resource_group, name)
            return self._group_view(txn, loaded, now)

    def list_groups(self, resource_group: str | None = None) -> list[CapacityReservationGroup]:
        with self.ctx.store.snapshot() as txn:
            now = self.ctx.now()
            if resource_group is not None:
                groups.require_group(txn, resource_group, now)
            prefix = RESERVATIONS_PREFIX if resource_group is None else group_prefix(resource_group)
            found = [load(txn, key) for key in txn.shard_keys(prefix)]
            views = [self._group_view(txn, loaded, now) for loaded in found if loaded is not None]
        return sorted(views, key=lambda g: (g.resource_group.lower(), g.name.lower()))

    def delete_group(self, resource_group: str, name: str) -> None:
        """Only an empty group with no associated VM can go [SPEC-14711]."""
        key = group_key(resource_group, name)
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            groups.require_group_for_change(txn, resource_group, now)
            loaded = load(txn, key)
            if loaded is None:
                raise group_not_found(resource_group, name)
            if loaded.reservations:
                ids = ", ".join(f"'{RESERVATION_NESTED}/{loaded.group['name']}/capacityReservations/{r['name']}'"
                                for r in loaded.reservations)
                raise errors.AzureError(
                    f"Cannot delete resource while nested resources exist. Some existing nested resource IDs include: "
                    f"{ids}. Please delete all nested resources before deleting this resource.",
                    code="CannotDeleteResource", http_status=409, target=name)
            associated, _ = self.usage(txn, loaded, now)
            if associated:
                raise _still_associated("capacity reservation group", loaded.group["name"], associated)
            txn.drop(key)

    # --- reservations ---------------------------------------------------------------------------

    def put_reservation(self, resource_group: str, group: str, name: str, *, sku: str | None = None,
                        capacity: int | None = None, zones: tuple[str, ...] | None = None,
                        location: str | None = None, tags: dict[str, str] | None = None
                        ) -> tuple[CapacityReservation, bool]:
        """Create a reservation (all or nothing, quota checked) or change its capacity (the only mutable part)."""
        model.validate_name(name, "capacity reservation")
        key = group_key(resource_group, group)
        if capacity is not None:
            model.validate_capacity(capacity)
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            groups.require_group_for_change(txn, resource_group, now)
            loaded = load(txn, key)
            if loaded is None:
                raise group_not_found(resource_group, group)
            existing = next((r for r in loaded.reservations if r["name"].lower() == name.lower()), None)
            if existing is not None:
                model.check_reservation_change(
                    name=existing["name"], sku_name=existing["sku"], zones=tuple(existing["zones"]),
                    location=loaded.group["location"], new_sku_name=sku,
                    new_zones=tuple(str(z) for z in zones) if zones is not None else None,
                    new_location=rules.validate_location(location) if location else None)
                if capacity is not None and capacity > existing["capacity"]:
                    size = model.supported_size(existing["sku"])
                    self._check_quota(txn, loaded, existing, capacity, size, now)
                if capacity is not None:
                    existing["capacity"] = capacity
                    existing["changed"] = now
                if tags is not None:
                    existing["tags"] = dict(tags)
                loaded.save(txn)
                return self._reservation_view(txn, loaded, existing, now), False
            if sku is None or capacity is None:
                raise errors.InvalidParameter("A new capacity reservation needs sku.name and sku.capacity.",
                                              target="sku")
            loc = rules.validate_location(location) if location else loaded.group["location"]
            zone_list = tuple(str(z) for z in (zones or ()))
            model.check_new_reservation(
                group_name=loaded.group["name"], group_location=loaded.group["location"],
                group_zones=tuple(loaded.group["zones"]), existing_slots=loaded.slots().keys(), location=loc,
                sku_name=sku, zones=zone_list)
            size = model.supported_size(sku)
            doc = {"name": name, "sku": size.name, "capacity": capacity, "zones": list(zone_list), "created": now,
                   "changed": now, "uid": self.ctx.new_uuid(), "tags": dict(tags or {})}
            self._check_quota(txn, loaded, doc, capacity, size, now)
            loaded.reservations.append(doc)
            loaded.save(txn)
            return self._reservation_view(txn, loaded, doc, now), True

    def _check_quota(self, txn: Transaction, loaded: Loaded, doc: dict[str, Any], new_capacity: int, size: Any,
                     now: float) -> None:
        """[CR-CREATE]: reserving needs quota like VMs; all or nothing (10 asked = 10 reserved, or none).

        A slot holds max(reserved, allocated) VMs' worth of quota (allocated VMs beyond the reservation hold
        their own), so only the growth of that maximum needs new quota.
        """
        _, per_slot = self.usage(txn, loaded, now)
        slot = model.reservation_slot(loaded.group["zones"], doc["sku"], doc["zones"])
        allocated = len(per_slot.get(slot, ([], []))[1])
        old = doc["capacity"] if doc in loaded.reservations else 0
        needed = max(new_capacity, allocated) - max(old, allocated)
        if needed > 0:
            self._check_quota_of(self.ctx, txn, loaded.group["location"], {size.family: needed * size.vcpus})

    def get_reservation(self, resource_group: str, group: str, name: str) -> CapacityReservation:
        key = group_key(resource_group, group)
        with self.ctx.store.snapshot() as txn:
            now = self.ctx.now()
            groups.require_group(txn, resource_group, now)
            loaded = load(txn, key)
            if loaded is None:
                raise group_not_found(resource_group, group)
            doc = next((r for r in loaded.reservations if r["name"].lower() == name.lower()), None)
            if doc is None:
                raise reservation_not_found(resource_group, group, name)
            return self._reservation_view(txn, loaded, doc, now)

    def list_reservations(self, resource_group: str, group: str) -> list[CapacityReservation]:
        return list(self.get_group(resource_group, group).reservations)

    def delete_reservation(self, resource_group: str, group: str, name: str) -> None:
        """Only once no VM is associated with it [CR-MODIFY]."""
        key = group_key(resource_group, group)
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            groups.require_group_for_change(txn, resource_group, now)
            loaded = load(txn, key)
            if loaded is None:
                raise group_not_found(resource_group, group)
            doc = next((r for r in loaded.reservations if r["name"].lower() == name.lower()), None)
            if doc is None:
                raise reservation_not_found(resource_group, group, name)
            _, per_slot = self.usage(txn, loaded, now)
            slot = model.reservation_slot(loaded.group["zones"], doc["sku"], doc["zones"])
            associated = per_slot.get(slot, ([], []))[0]
            if associated:
                raise _still_associated("capacity reservation", doc["name"], associated)
            loaded.reservations.remove(doc)
            loaded.save(txn)

    def group_deleted(self, txn: Transaction, resource_group: str) -> list[str]:
        """A resource group delete takes its reservation groups with it; returns what went."""
        removed = []
        for key in txn.shard_keys(group_prefix(resource_group)):
            loaded = load(txn, key)
            if loaded is not None:
                removed.append(f"capacityReservationGroups/{loaded.group['name']}")
                removed += [f"capacityReservationGroups/{loaded.group['name']}/capacityReservations/{r['name']}"
                            for r in loaded.reservations]
            txn.drop(key)
        return removed

    # --- views ----------------------------------------------------------------------------------

    def _reservation_view(self, txn: Transaction, loaded: Loaded, doc: dict[str, Any], now: float,
                          per_slot: dict[tuple[str, str | None], tuple[list[str], list[str]]] | None = None
                          ) -> CapacityReservation:
        if per_slot is None:
            _, per_slot = self.usage(txn, loaded, now)
        slot = model.reservation_slot(loaded.group["zones"], doc["sku"], doc["zones"])
        associated, allocated = per_slot.get(slot, ([], []))
        sub = groups.meta_doc(txn)["id"]
        g = loaded.group
        return CapacityReservation(
            name=doc["name"], group_name=g["name"], resource_group=g["rg"], location=g["location"],
            sku_name=doc["sku"], capacity=doc["capacity"], zones=tuple(doc["zones"]),
            id=model.reservation_id(sub, g["rg"], g["name"], doc["name"]), reservation_id=doc["uid"],
            time_created=_ts(doc["created"]), provisioning_time=_ts(doc.get("changed", doc["created"])),
            provisioning_state="Succeeded", platform_fault_domain_count=3 if not doc["zones"] else 1,
            virtual_machines_associated=tuple(associated), virtual_machines_allocated=tuple(allocated),
            tags=tuple(sorted(doc.get("tags", {}).items())))

    def _group_view(self, txn: Transaction, loaded: Loaded, now: float) -> CapacityReservationGroup:
        associated, per_slot = self.usage(txn, loaded, now)
        g = loaded.group
        return CapacityReservationGroup(
            name=g["name"], resource_group=g["rg"], location=g["location"], zones=tuple(g["zones"]), id=g["id"],
            reservations=tuple(self._reservation_view(txn, loaded, r, now, per_slot)
                               for r in sorted(loaded.reservations, key=lambda r: r["name"].lower())),
            virtual_machines_associated=tuple(associated), tags=tuple(sorted(g.get("tags", {}).items())))


RESERVATION_NESTED = "Microsoft.Compute/capacityReservationGroups"


def _still_associated(kind: str, name: str, associated: list[str]) -> errors.OperationNotAllowed:
    """Emulator-defined code and text: Azure's are not in the sources (seed-features D, open gap 1)."""
    shown = ", ".join(associated[:5]) + (f" and {len(associated) - 5} more" if len(associated) > 5 else "")
    return errors.OperationNotAllowed(
        f"The {kind} '{name}' cannot be deleted while virtual machines are associated with it ({len(associated)}: "
        f"{shown}). Disassociate them first.", target=name)
