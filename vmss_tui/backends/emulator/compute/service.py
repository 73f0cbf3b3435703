"""Scale sets, their instances and Flexible VMs: each change is a transaction that loads the set's
shard, checks Azure's rules, schedules the steps and saves the shard (one atomic write).
"""

from __future__ import annotations

import bisect
import random
from contextlib import contextmanager
from typing import Any, Iterator, Protocol

from ....domain import errors, names
from ....domain.models import (
    CapacityPlan,
    Instance,
    Operation,
    OrchestrationMode,
    PlacementMap,
    PowerAction,
    PowerState,
    Priority,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    VmSpec,
    placement_map,
)
from ....domain.sizes import DEFAULT_IMAGE, DEFAULT_VM_SIZE, find_size, is_specialty
from ....domain.summary import ScaleSetSummary
from ....domain.tags import validate_tags
from .. import rules
from ..engine import operations
from ..engine.context import Context
from ..resources import groups
from ..store import Transaction
from ..summary import read_summaries, read_summary, scale_set_view, summary_view
from ..timing import duration, staggered
from .view_cache import InstanceViewCache
from . import planning, quota, transitions, views
from .reservations import ReservationService
from ....domain.reservations import AssociationTarget
from .shard import (
    SETS_PREFIX,
    SetShard,
    damaged_set_error,
    group_prefix,
    key_part,
    load,
    readable_sets,
    save,
    set_key,
    set_visible,
    split_key,
)

_AZURE_ACTION_NAMES = {
    PowerAction.START: "start",
    PowerAction.POWER_OFF: "powerOff",
    PowerAction.DEALLOCATE: "deallocate",
    PowerAction.RESTART: "restart",
    PowerAction.REIMAGE: "reimage",
}

FLEXIBLE_AUTO_NAME_MAX = 44
"""`{set}_{8 hex}` names are capped at 44 characters (instance-ids doc); the set part is cut to fit."""


def flexible_vm_name(set_name: str, rng: random.Random) -> str:
    """A VM name for a Flexible set: the set name (shortened to fit 44 characters) and 8 hex digits."""
    stem = set_name[: FLEXIBLE_AUTO_NAME_MAX - 9].rstrip(".-")
    return f"{stem}_{rng.getrandbits(32):08x}"


class NetworkEvents(Protocol):
    """What compute tells the network room, one call per event, inside compute's transaction.

    The room writes each instance's `ip` (private address) and `ep` (public endpoint) into the records
    it is given; compute knows nothing else of networking.
    """

    def scale_set_created(self, txn: Transaction, set_doc: dict[str, Any], instances: list[dict[str, Any]],
                          options: Any) -> None: ...

    def members_changed(self, txn: Transaction, set_doc: dict[str, Any], instances: list[dict[str, Any]]) -> None: ...

    def vm_added(self, txn: Transaction, set_doc: dict[str, Any], vm_doc: dict[str, Any], spec: VmSpec) -> None: ...

    def scale_set_deleted(self, txn: Transaction, set_doc: dict[str, Any]) -> None: ...


class _NoNetwork:
    """No network room composed: every event is ignored."""

    def scale_set_created(self, *args: Any) -> None:
        return None

    def members_changed(self, *args: Any) -> None:
        return None

    def vm_added(self, *args: Any) -> None:
        return None

    def scale_set_deleted(self, *args: Any) -> None:
        return None


class ComputeService:
    """Microsoft.Compute scale sets over the shared store and clock."""

    def __init__(self, ctx: Context, network: NetworkEvents | None = None) -> None:
        self.ctx = ctx
        self._views = InstanceViewCache()
        self.network: NetworkEvents = network or _NoNetwork()
        self.reservations = ReservationService(ctx, quota.check_quota)

    def _now(self) -> float:
        return self.ctx.now()

    # --- reads ----------------------------------------------------------------------------------

    def list_scale_sets(self, resource_group: str | None = None) -> list[ScaleSet]:
        return [summary.scale_set for summary in self.list_scale_set_summaries(resource_group)]

    def list_scale_set_summaries(self, resource_group: str | None = None) -> list[ScaleSetSummary]:
        """Every set with its instance counts, from the store's per-set summaries (no instance is read)."""
        now = self._now()
        with self.ctx.store.snapshot() as txn:
            prefix = SETS_PREFIX if resource_group is None else group_prefix(resource_group)
            if resource_group is not None:
                groups.require_group(txn, resource_group, now)
            result = []
            meta = groups.meta_doc(txn)
            damaged: dict[str, str] = {key: "an older version moved its unreadable file aside"
                                       for key in self.ctx.store.legacy_corrupt_files(prefix)}
            for key, found in read_summaries(self.ctx.store, txn, prefix):
                if isinstance(found, errors.StoreDamaged):
                    group, name = split_key(key)
                    damaged[key] = damaged_set_error(group, name, found.message).message
                    continue
                damaged.pop(key, None)
                if found is not None and found.visible(now):
                    result.append(summary_view(found, now, meta["id"]))
            result += [ScaleSetSummary(self._damaged_view(txn, key, reason, meta["id"]), state_counts=())
                       for key, reason in damaged.items()]
        return sorted(result, key=lambda s: (s.scale_set.resource_group.lower(), s.scale_set.name.lower()))

    def _damaged_view(self, txn: Transaction, key: str, reason: str, subscription_id: str) -> ScaleSet:
        """A set whose file cannot be read, under its group's stored spelling when the group is known."""
        group_part, name = split_key(key)
        group = next((row["name"] for row in groups.group_rows(txn) if key_part(row["name"]) == group_part),
                     group_part)
        return views.damaged_view(group, name, reason, subscription_id)

    def get_scale_set(self, resource_group: str, name: str) -> ScaleSet:
        now = self._now()
        key = set_key(resource_group, name)
        with self.ctx.store.snapshot() as txn:
            found = read_summary(self.ctx.store, txn, key)  # the set's summary: no instance is read
            if isinstance(found, errors.StoreDamaged):
                group_part, name_part = split_key(key)
                raise damaged_set_error(group_part, name_part, found.message)
            if found is None or not found.visible(now):
                raise errors.scale_set_not_found(resource_group, name)
            return scale_set_view(found.set_doc, found.live, now, groups.meta_doc(txn)["id"])

    def list_instances(self, resource_group: str, name: str) -> list[Instance]:
        now = self._now()
        key = set_key(resource_group, name)
        with self.ctx.store.snapshot() as txn:
            tables = self._visible_set_tables(txn, key, resource_group, name, now)
            meta_id = groups.meta_doc(txn)["id"]
        return list(self._views.views(key, tables, now, meta_id))  # reused whole, or per unchanged instance

    def _visible_set_tables(self, txn: Transaction, key: str, resource_group: str, name: str,
                            now: float) -> dict[str, dict[str, Any]]:
        """A set shard's raw tables (not copied: read only), with `_require_set`'s errors."""
        try:
            tables = txn.view(key)
        except errors.StoreDamaged as exc:
            group_part, name_part = split_key(key)
            raise damaged_set_error(group_part, name_part, exc.message) from None
        set_docs = list(tables.get("scale_set", {}).values())
        if not set_docs or not set_visible(set_docs[0], now):
            raise errors.scale_set_not_found(resource_group, name)
        return tables

    def get_instance(self, resource_group: str, name: str, instance_id: str) -> Instance:
        names.validate_instance_id(instance_id, uniform=None)
        for instance in self.list_instances(resource_group, name):
            if instance.instance_id.lower() == instance_id.lower():
                return instance
        raise errors.instance_not_found(resource_group, name, instance_id)

    def placement(self, resource_group: str, name: str) -> PlacementMap:
        return placement_map(self.get_scale_set(resource_group, name), self.list_instances(resource_group, name))


    # --- mutations -------------------------------------------------------------------------------

    def create_scale_set(self, spec: ScaleSetSpec) -> Operation:
        key = set_key(spec.resource_group, spec.name)  # checks both names
        if spec.computer_name_prefix is not None:
            names.validate_computer_name_prefix(spec.computer_name_prefix,
                                                windows=(spec.image or "").lower().startswith("win"))
        if spec.image is not None:
            rules.validate_image(spec.image)
        tags = validate_tags(dict(spec.tags))  # again at the store, whoever called
        mode = OrchestrationMode(spec.orchestration_mode)
        with self.ctx.store.transaction() as txn:
            now = self._now()  # read under the lock: state committed by others is in the past
            group_location = groups.require_group_for_change(txn, spec.resource_group, now)["location"]
            location = rules.validate_location(spec.location or group_location)
            if key in self.ctx.store.legacy_corrupt_files(group_prefix(spec.resource_group)):
                raise damaged_set_error(spec.resource_group, spec.name, "an older version moved its file aside")
            existing = load(txn, key)
            if existing is not None and set_visible(existing.set_doc, now):
                raise errors.Conflict(
                    f"A virtual machine scale set named '{existing.set_doc['name']}' already exists in resource "
                    f"group '{spec.resource_group}'. Use 'update' to change it.", target=spec.name)
            zones = rules.validate_zones(spec.zones, location, spec.name)
            fd_count = rules.resolve_fault_domain_count(mode, zones, location, spec.platform_fault_domain_count)
            has_profile = spec.with_vm_profile or mode is OrchestrationMode.UNIFORM
            size = rules.resolve_size(spec.vm_size, DEFAULT_VM_SIZE, mode) if has_profile else None
            image = rules.validate_image(spec.image or DEFAULT_IMAGE) if has_profile else None
            if not has_profile and (spec.vm_size or spec.image):
                raise errors.InvalidParameter(
                    "A VM size or image needs a VM profile; create the Flexible set with a profile or give them "
                    "to each VM you add.", target="virtualMachineProfile")
            if spec.capacity is not None:
                rules.validate_capacity(spec.capacity)
            capacity = spec.capacity if spec.capacity is not None else (2 if has_profile else 0)
            if capacity > 0 and not has_profile:
                raise errors.InvalidParameter(
                    "A Flexible scale set without a VM profile must be created with capacity 0; add VMs to it "
                    "one by one.", target="sku.capacity")
            if spec.zone_balance and len(zones) < 2:
                raise errors.InvalidParameter(
                    "zoneBalance can only be set when the scale set spans more than one zone.", target="zoneBalance")
            requested_spg = spec.single_placement_group
            if spec.capacity_reservation_group and requested_spg is None and mode is OrchestrationMode.UNIFORM:
                requested_spg = False  # a reservation needs it false [CR-UNIFORM]; the emulator's default then
            spg = planning.initial_single_placement_group(mode, zones, requested_spg, capacity)
            crg_id = None
            if spec.capacity_reservation_group:
                crg_id = self.reservations.check_and_join(
                    txn, self.reservations.resolve(txn, spec.capacity_reservation_group, spec.resource_group),
                    AssociationTarget(name=spec.name, location=location, zones=tuple(zones),
                                      vm_size=size.name if size else None, priority=str(Priority(spec.priority)),
                                      uniform=mode is OrchestrationMode.UNIFORM, single_placement_group=spg,
                                      platform_fault_domain_count=fd_count), key)
            limit = rules.instance_limit(mode, spg, fd_count, size, image)
            if capacity > limit:
                raise rules.over_limit_error(spec.name, limit)
            prefix = spec.computer_name_prefix or rules.default_computer_name_prefix(spec.name, image)
            if not 1 <= len(prefix) <= 15:
                raise errors.InvalidParameter("computerNamePrefix must be 1 to 15 characters long.",
                                              target="computerNamePrefix")
            set_doc = {
                "name": spec.name, "rg": spec.resource_group, "location": location, "mode": str(mode),
                "vm_size": size.name if size else None, "image": image, "fd": fd_count, "zones": list(zones),
                "spg": spg, "rule": str(ScaleInRule(spec.scale_in_policy)), "force": spec.force_deletion,
                "upgrade": str(UpgradeMode(spec.upgrade_policy)), "created": now,
                "unique_id": self.ctx.new_uuid(),
                "prefix": prefix, "priority": str(Priority(spec.priority)), "zone_balance": spec.zone_balance,
                "has_profile": has_profile, "model": 1, "next_id": 0, "seq": 0, "busy": None,
                "sub": groups.meta_doc(txn)["id"],  # lets `emulator check --repair` recover a lost subscription id
            }
            if tags:
                set_doc["tags"] = tags
            if spec.stored_profile and has_profile:
                set_doc["profile"] = spec.stored_profile  # opaque JSON text, echoed by GET (arm/compute.py)
            if crg_id:
                set_doc["crg"] = crg_id
            shard = SetShard(key, set_doc, [], existing.operations if existing else [])
            op = self._new_operation(shard, "create", now, f"create {spec.name} ({mode}, capacity {capacity})")
            if capacity:
                billed = capacity - self._reserved_cover(txn, set_doc, size.name if size else None,
                                                         list(zones) or [None], capacity, now)
                quota.check_quota(self.ctx, txn, location, {size.family: size.vcpus * billed} if size else {}, skip_key=key)
                self._add_instances(shard, capacity, now, op, by_set=True)
            set_until = max([now + duration("createSet", self.ctx.speed), *op["untils"]])
            set_doc["busy"] = {"kind": ProvisioningState.CREATING.value, "until": set_until}
            op["end"] = set_until
            self.network.scale_set_created(txn, set_doc, shard.instances, spec.network)
            save(txn, shard)
        return operations.operation_view(op, now)

    def update_scale_set(self, resource_group: str, name: str, update: ScaleSetUpdate) -> Operation:
        if update.image is not None:
            rules.validate_image(update.image)
        new_tags = validate_tags(dict(update.tags)) if update.tags is not None else None
        with self._changing(resource_group, name) as (txn, shard, now):
            doc = shard.set_doc
            mode = OrchestrationMode(doc["mode"])
            if update.orchestration_mode is not None and OrchestrationMode(update.orchestration_mode) is not mode:
                raise errors.property_change_not_allowed("orchestrationMode")
            if update.platform_fault_domain_count is not None and update.platform_fault_domain_count != doc["fd"]:
                raise errors.property_change_not_allowed("platformFaultDomainCount")
            changes: list[str] = []
            if update.single_placement_group is not None and update.single_placement_group != doc["spg"]:
                if mode is OrchestrationMode.FLEXIBLE and update.single_placement_group:
                    raise errors.InvalidParameter(
                        "singlePlacementGroup cannot be set to true on a scale set with Flexible orchestration mode.",
                        target="singlePlacementGroup")
                if doc["spg"] is False and update.single_placement_group:
                    raise errors.property_change_not_allowed("singlePlacementGroup")
                doc["spg"] = update.single_placement_group
                changes.append(f"singlePlacementGroup={str(update.single_placement_group).lower()}")
            if update.add_zones:
                new_zones = rules.validate_zones(update.add_zones, doc["location"], doc["name"])
                merged = tuple(sorted(set(doc["zones"]) | set(new_zones)))
                if merged != tuple(doc["zones"]):
                    if mode is OrchestrationMode.FLEXIBLE and doc["fd"] > 1:
                        rules.resolve_fault_domain_count(mode, merged, doc["location"], doc["fd"])
                    if mode is OrchestrationMode.UNIFORM and not doc["zones"] and doc["fd"] not in (1, 5):
                        raise errors.InvalidParameter(
                            f"The value '{doc['fd']}' of parameter 'platformFaultDomainCount' is not allowed. "
                            "Allowed values are '1, 5'.", target="platformFaultDomainCount")
                    doc["zones"] = list(merged)
                    changes.append(f"zones={','.join(merged)}")
            for attr, field_name, convert in (
                ("scale_in_policy", "rule", lambda v: str(ScaleInRule(v))),
                ("upgrade_policy", "upgrade", lambda v: str(UpgradeMode(v))),
                ("force_deletion", "force", bool),
                ("zone_balance", "zone_balance", bool),
            ):
                value = getattr(update, attr)
                if value is not None and convert(value) != doc[field_name]:
                    if attr == "zone_balance" and value and len(doc["zones"]) < 2:
                        raise errors.InvalidParameter(
                            "zoneBalance can only be set when the scale set spans more than one zone.",
                            target="zoneBalance")
                    doc[field_name] = convert(value)
                    changes.append(f"{attr}={doc[field_name]}")
            if update.capacity_reservation_group is not None:
                change = self._associate_existing(txn, shard, update.capacity_reservation_group, now)
                if change:
                    changes.append(change)
            if new_tags is not None and new_tags != doc.get("tags", {}):
                doc["tags"] = new_tags  # the whole object replaced, as ARM does
                changes.append("tags")
            if update.stored_profile is not None and update.stored_profile != doc.get("profile", ""):
                if not doc["has_profile"]:
                    raise errors.InvalidParameter(
                        "This Flexible scale set has no VM profile; a profile is given when the set is created.",
                        target="virtualMachineProfile")
                # Kept and echoed; not a model change the emulator tracks (docs/emulator-fidelity.md).
                doc["profile"] = update.stored_profile
                changes.append("virtualMachineProfile")
            model_changed = False
            if update.vm_size is not None or update.image is not None:
                if not doc["has_profile"]:
                    raise errors.InvalidParameter(
                        "This Flexible scale set has no VM profile; set the size and image on each VM instead.",
                        target="virtualMachineProfile")
                if update.vm_size is not None:
                    size = rules.resolve_size(update.vm_size, DEFAULT_VM_SIZE, mode)
                    if size.name != doc["vm_size"]:
                        limit = rules.instance_limit(mode, doc["spg"], doc["fd"], size, doc["image"])
                        if len(shard.live_instances()) > limit:
                            raise rules.over_limit_error(doc["name"], limit)
                        if doc.get("crg"):  # [CR-MODIFY]: the group needs a reservation for the new size
                            self.reservations.check_and_join(
                                txn, self.reservations.resolve(txn, doc["crg"], doc["rg"]), AssociationTarget(
                                    name=doc["name"], location=doc["location"], zones=tuple(doc["zones"]),
                                    vm_size=size.name, priority=doc["priority"],
                                    uniform=mode is OrchestrationMode.UNIFORM, single_placement_group=doc["spg"],
                                    platform_fault_domain_count=doc["fd"]), shard.key)
                        doc["vm_size"] = size.name
                        model_changed = True
                        changes.append(f"vmSize={size.name}")
                if update.image is not None:
                    image = rules.validate_image(update.image)
                    if image != doc["image"]:
                        doc["image"] = image
                        model_changed = True
                        changes.append(f"image={image}")
            op = self._new_operation(shard, "update", now,
                                     f"update {doc['name']}: {', '.join(changes) or 'no change'}")
            if model_changed:
                doc["model"] += 1
                upgrade = UpgradeMode(doc["upgrade"])
                if upgrade is not UpgradeMode.MANUAL:
                    targets = [d for d in shard.live_instances()
                               if d.get("by_set", True) and not d.get("protect_actions")]
                    quota.check_upgrade_quota(self.ctx, txn, shard, targets)
                    transitions.schedule_upgrades(self.ctx.speed, shard, targets, now, op, rolling=upgrade is UpgradeMode.ROLLING)
            until = max([now + duration("updateSet", self.ctx.speed), *op["untils"]])
            doc["busy"] = {"kind": ProvisioningState.UPDATING.value, "until": until}
            op["end"] = until
        return operations.operation_view(op, now)

    def delete_scale_set(self, resource_group: str, name: str, *, force: bool = False) -> Operation:
        with self._changing(resource_group, name) as (txn, shard, now):
            doc = shard.set_doc
            live = shard.live_instances()
            if doc["mode"] == OrchestrationMode.FLEXIBLE.value and live and not force:
                # S000: not while it has VMs; forceDeletion=true (REST spec) deletes them with it (fidelity doc)
                raise errors.OperationNotAllowed(
                    f"Virtual Machine Scale Set '{doc['name']}' with Flexible orchestration mode cannot be deleted "
                    f"while it contains virtual machines ({len(live)}). Delete its VMs first, or delete it with "
                    "forceDeletion=true to delete them with it.", target=doc["name"])
            op = self._new_operation(shard, "delete", now, f"delete {doc['name']}")
            transitions.schedule(self.ctx.speed, live, "delete", now, op, force=force)
            until = max([now + duration("deleteSet", self.ctx.speed) * (0.5 if force else 1.0), *op["untils"]])
            doc["busy"] = {"kind": ProvisioningState.DELETING.value, "until": until}
            op["end"] = until
            op["removed"] = [d["instance_id"] for d in live]
            self.network.scale_set_deleted(txn, doc)
        return operations.operation_view(op, now)

    def plan_capacity(self, resource_group: str, name: str, capacity: int) -> CapacityPlan:
        now = self._now()
        with self.ctx.store.snapshot() as txn:
            shard = self._require_set(txn, resource_group, name, now)
            return planning.plan(shard, capacity)

    def set_capacity(self, resource_group: str, name: str, capacity: int) -> Operation:
        with self._changing(resource_group, name) as (txn, shard, now):
            op = self.scale_within(txn, shard, capacity, now)
        return operations.operation_view(op, now)

    def scale_within(self, txn: Transaction, shard: SetShard, capacity: int, now: float,
                     message: str | None = None) -> dict[str, Any]:
        """The one scale path, inside the caller's transaction at `now`: a manual scale and autoscale's.

        The caller saves the shard. Scale-in policy, protection, quota and zone balance apply alike.
        """
        doc = shard.set_doc
        plan = planning.plan(shard, capacity)
        op = self._new_operation(shard, "scale", now, message or
                                 f"scale {doc['name']} {plan.current_capacity} -> {plan.target_capacity}")
        if plan.to_create:
            size = find_size(doc["vm_size"])
            assert size is not None
            billed = len(plan.to_create) - self._reserved_cover(
                txn, doc, size.name, [p.zone for p in plan.to_create], len(plan.to_create), now)
            quota.check_quota(self.ctx, txn, doc["location"], {size.family: size.vcpus * billed})
            self._add_instances(shard, len(plan.to_create), now, op, by_set=True)
        if plan.to_remove:
            victims = {r.instance_id for r in plan.to_remove}
            removed_docs = [d for d in shard.live_instances() if d["instance_id"] in victims]
            transitions.schedule(self.ctx.speed, removed_docs, "delete", now, op, force=doc["force"])
            op["removed"] = [r.instance_id for r in plan.to_remove]
        if plan.to_create or plan.to_remove:
            self.network.members_changed(txn, doc, shard.instances)
        if op["untils"]:
            doc["busy"] = {"kind": ProvisioningState.UPDATING.value, "until": max(op["untils"])}
        op["end"] = max([now, *op["untils"]])
        return op

    def add_vm(self, resource_group: str, name: str, spec: VmSpec) -> Operation:
        if spec.name is not None:
            names.validate_vm_name(spec.name)
        vm_tags = validate_tags(dict(spec.tags))
        if spec.image is not None:
            rules.validate_image(spec.image)
        with self._changing(resource_group, name) as (txn, shard, now):
            doc = shard.set_doc
            mode = OrchestrationMode(doc["mode"])
            if mode is OrchestrationMode.UNIFORM:
                raise errors.OperationNotAllowed(
                    f"Virtual machines cannot be added to Virtual Machine Scale Set '{doc['name']}' because it uses "
                    "Uniform orchestration mode; its instances come only from the scale set model. Change its "
                    "capacity instead.", target=doc["name"])
            size = rules.resolve_size(spec.vm_size or doc["vm_size"], DEFAULT_VM_SIZE, mode)
            image = rules.validate_image(spec.image or doc["image"] or DEFAULT_IMAGE)
            vm_name = spec.name or flexible_vm_name(doc["name"], self.ctx.rng)
            names.validate_vm_name(vm_name)
            self._require_unique_vm_name(txn, resource_group, vm_name)
            zone = spec.zone
            if zone is not None:
                zone = str(zone)
                if not doc["zones"]:
                    raise errors.InvalidParameter(
                        f"The VM '{vm_name}' asks for zone '{zone}' but Virtual Machine Scale Set '{doc['name']}' "
                        "is regional; a zonal VM can only join a scale set that covers its zone.", target="zones")
                if zone not in doc["zones"]:
                    raise errors.InvalidParameter(
                        f"The VM '{vm_name}' asks for zone '{zone}' but Virtual Machine Scale Set '{doc['name']}' "
                        f"covers zones {', '.join(doc['zones'])}.", target="zones")
            fixed_spreading = doc["fd"] > 1
            if spec.fault_domain is not None:
                if not fixed_spreading:
                    raise errors.InvalidParameter(
                        "platformFaultDomain can only be set when the scale set's platformFaultDomainCount is greater "
                        f"than 1 (it is {doc['fd']}: max spreading).", target="platformFaultDomain")
                if not 0 <= spec.fault_domain < doc["fd"]:
                    raise errors.InvalidParameter(
                        f"The value {spec.fault_domain} of parameter 'platformFaultDomain' is out of range. The value "
                        f"must be between 0 and {doc['fd'] - 1}, inclusive.", target="platformFaultDomain")
                if is_specialty(size):
                    raise errors.InvalidParameter(
                        f"A VM of size '{size.name}' (no memory-preserving updates) cannot be assigned to a specific "
                        "fault domain in a scale set with fixed spreading.", target="platformFaultDomain")
            live = shard.live_instances()
            if fixed_spreading:
                reference = [find_size(d["vm_size"]) for d in live] + ([find_size(doc["vm_size"])]
                                                                         if doc["vm_size"] else [])
                kinds = {is_specialty(s) for s in reference if s is not None}
                if kinds and kinds != {is_specialty(size)}:
                    raise errors.InvalidParameter(
                        "General purpose and specialty (G, H, L, M, N series) VM sizes can only be mixed in a "
                        "scale set with platformFaultDomainCount 1.", target="vmSize")
                specialty = is_specialty(size) or any(kinds)
                priorities = {d.get("priority", Priority.REGULAR.value) for d in live}
                if doc["vm_size"] and doc["has_profile"]:
                    priorities.add(doc["priority"])
                if specialty and priorities and priorities != {str(Priority(spec.priority))}:
                    raise errors.InvalidParameter(
                        "Spot and Regular priority VMs cannot be mixed in a scale set with fixed spreading "
                        "(platformFaultDomainCount > 1) whose VM sizes lack memory-preserving updates.",
                        target="priority")
            limit = rules.instance_limit(mode, doc["spg"], doc["fd"], size, image)
            if len(live) + 1 > limit:
                raise rules.over_limit_error(doc["name"], limit)
            crg_id = doc.get("crg")
            if spec.capacity_reservation_group is not None:
                crg_id = self.reservations.resolve(txn, spec.capacity_reservation_group, doc["rg"]).group["id"] \
                    if spec.capacity_reservation_group else None
            if crg_id:
                self.reservations.check_and_join(
                    txn, self.reservations.resolve(txn, crg_id, doc["rg"]),
                    AssociationTarget(name=vm_name, location=doc["location"], zones=(zone,) if zone else tuple(doc["zones"]),
                                      vm_size=size.name, priority=str(Priority(spec.priority)), uniform=False,
                                      single_placement_group=False, platform_fault_domain_count=doc["fd"]),
                    shard.key)
                if not doc["has_profile"] and not doc.get("crg") and not live:
                    doc["crg"] = crg_id  # seed 004 option 2: the first VM deployed carries the association
            vm_doc = {"crg": crg_id}
            billed = 1 - self._reserved_cover(txn, vm_doc, size.name, [zone], 1, now)
            quota.check_quota(self.ctx, txn, doc["location"], {size.family: size.vcpus * billed})
            if doc["spg"] is None:
                # Seed 003: false after the first VM when it supports memory-preserving updates or FD count is 1.
                doc["spg"] = bool(fixed_spreading and is_specialty(size))
            op = self._new_operation(shard, "addVm", now, f"add VM {vm_name} to {doc['name']}")
            self._add_instances(shard, 1, now, op, by_set=False, name=vm_name, zone=zone,
                                fault_domain=spec.fault_domain, size=size.name, image=image,
                                priority=str(Priority(spec.priority)), crg=crg_id)
            if vm_tags:
                shard.instances[-1]["tags"] = vm_tags
            self.network.vm_added(txn, doc, shard.instances[-1], spec)
            op["end"] = max([now, *op["untils"]])
        return operations.operation_view(op, now)

    def delete_instances(self, resource_group: str, name: str, instance_ids: list[str], *,
                         force: bool = False) -> Operation:
        if not instance_ids:
            raise errors.InvalidParameter("instanceIds must name at least one instance.", target="instanceIds")
        with self._changing(resource_group, name) as (txn, shard, now):
            targets = self._find_instances(shard, resource_group, instance_ids)
            fresh = [d for d in targets if not (d.get("tr") and d["tr"]["kind"] == "delete")]
            op = self._new_operation(shard, "deleteInstances", now,
                                     f"delete {len(targets)} instance(s) of {shard.set_doc['name']}")
            transitions.schedule(self.ctx.speed, fresh, "delete", now, op, force=force or shard.set_doc["force"])
            op["removed"] = [d["instance_id"] for d in targets]
            op["ids"] = op["removed"]
            self.network.members_changed(txn, shard.set_doc, shard.instances)
            op["end"] = max([now, *op["untils"]])
            if op["untils"]:
                shard.set_doc["busy"] = {"kind": ProvisioningState.UPDATING.value, "until": op["end"]}
        return operations.operation_view(op, now)

    def power_action(self, resource_group: str, name: str, action: PowerAction,
                     instance_ids: list[str] | None = None) -> Operation:
        action = PowerAction(action)
        azure_name = _AZURE_ACTION_NAMES[action]
        with self._changing(resource_group, name) as (txn, shard, now):
            doc = shard.set_doc
            skipped: list[str] = []
            if instance_ids is None:
                if action is PowerAction.REIMAGE and doc["mode"] == OrchestrationMode.FLEXIBLE.value:
                    raise errors.OperationNotAllowed(
                        f"Operation 'VirtualMachineScaleSets.reimageAll' is not allowed on Virtual Machine Scale Set "
                        f"'{doc['name']}' with Flexible orchestration mode; reimage its VMs one by one.",
                        target=doc["name"])
                live = shard.live_instances()
                skipped = [d["instance_id"] for d in live if d.get("protect_actions")]
                targets = [d for d in live if not d.get("protect_actions")]
            else:
                targets = self._find_instances(shard, resource_group, instance_ids)
                for target in targets:
                    if target.get("tr") and target["tr"]["kind"] == "delete":
                        raise errors.OperationNotAllowed(
                            f"Operation '{azure_name}' is not allowed on VM '{target['name']}' since the VM is "
                            "marked for deletion. You can only retry the Delete operation (or wait for an "
                            "ongoing one to complete).", target=target["name"])
            kind = str(action)
            changing: list[dict[str, Any]] = []
            for target in targets:
                power, busy_kind = transitions.effective_power(target, now)
                if busy_kind is not None and busy_kind != kind:
                    raise errors.concurrent_conflict()
                if busy_kind == kind:
                    continue  # the same action is already under way: idempotent, like Azure
                if action is PowerAction.RESTART and power is not PowerState.RUNNING:
                    raise errors.requires_running(target["name"])
                if action is PowerAction.REIMAGE and power is PowerState.DEALLOCATED:
                    raise errors.OperationNotAllowed(
                        f"Operation 'reimage' is not allowed on VM '{target['name']}' since the VM is deallocated "
                        "or marked to be deallocated.", target=target["name"])
                if action is PowerAction.START and power is PowerState.RUNNING:
                    continue
                if action is PowerAction.POWER_OFF and power in (PowerState.STOPPED, PowerState.DEALLOCATED):
                    continue
                if action is PowerAction.DEALLOCATE and power is PowerState.DEALLOCATED:
                    continue
                changing.append(target)
            if action is PowerAction.START:
                waking = [d for d in changing if transitions.effective_power(d, now)[0] is PowerState.DEALLOCATED]
                needed: dict[str, int] = {}
                for d in waking:
                    size = find_size(d["vm_size"])
                    if size is not None:
                        needed[size.family] = needed.get(size.family, 0) + size.vcpus
                covered: dict[tuple[str, str], list[dict[str, Any]]] = {}
                for d in waking:
                    if d.get("crg") and find_size(d["vm_size"]) is not None:
                        covered.setdefault((d["crg"], d["vm_size"]), []).append(d)
                for (crg_id, vm_size), docs in covered.items():
                    size = find_size(vm_size)
                    assert size is not None
                    needed[size.family] -= size.vcpus * self._reserved_cover(
                        txn, {"crg": crg_id}, vm_size, [d.get("zone") for d in docs], len(docs), now)
                quota.check_quota(self.ctx, txn, doc["location"], needed)
            verb = {PowerAction.POWER_OFF: "stop"}.get(action, kind)
            scope = "all instances" if instance_ids is None else f"{len(targets)} instance(s)"
            op = self._new_operation(shard, azure_name, now, f"{verb} {scope} of {doc['name']}")
            transitions.schedule(self.ctx.speed, changing, kind, now, op)
            op["ids"] = [d["instance_id"] for d in targets]
            op["skipped"] = skipped
            op["end"] = max([now, *op["untils"]])
        return operations.operation_view(op, now)

    def set_protection(self, resource_group: str, name: str, instance_ids: list[str], *,
                       protect_from_scale_in: bool | None = None,
                       protect_from_scale_set_actions: bool | None = None) -> list[Instance]:
        if not instance_ids:
            raise errors.InvalidParameter("Name at least one instance to protect or unprotect.", target="instanceIds")
        with self._changing(resource_group, name) as (txn, shard, now):
            targets = self._find_instances(shard, resource_group, instance_ids)
            for target in targets:
                scale_in = target.get("protect_scale_in", False) if protect_from_scale_in is None \
                    else protect_from_scale_in
                actions = target.get("protect_actions", False) if protect_from_scale_set_actions is None \
                    else protect_from_scale_set_actions
                if actions and not scale_in:
                    raise errors.InvalidParameter(
                        f"Instance '{target['instance_id']}': protectFromScaleSetActions requires "
                        "protectFromScaleIn to be true as well.", target="protectionPolicy")
                if target.get("tr") and target["tr"]["kind"] == "delete" and now < target["tr"]["until"]:
                    raise errors.OperationNotAllowed(
                        f"Operation 'Update VM' is not allowed on VM '{target['name']}' since the VM is marked for "
                        "deletion.", target=target["name"])
            for target in targets:
                if protect_from_scale_in is not None:
                    target["protect_scale_in"] = protect_from_scale_in
                if protect_from_scale_set_actions is not None:
                    target["protect_actions"] = protect_from_scale_set_actions
                    if protect_from_scale_set_actions:
                        target["protect_scale_in"] = True
            meta_id = groups.meta_doc(txn)["id"]
            wanted = {d["instance_id"] for d in targets}
            return [i for i in views.instance_views(shard.set_doc, shard.instances, now, meta_id)[0] if i.instance_id in wanted]

    def set_instance_tags(self, resource_group: str, name: str, instance_id: str,
                          tags: tuple[tuple[str, str], ...]) -> Instance:
        """Replace one VM's tags (a PUT of the VM, or a PATCH's whole `tags`). Immediate, not an LRO."""
        checked = validate_tags(dict(tags))  # again at the store, whoever called
        with self._changing(resource_group, name) as (txn, shard, now):
            (target,) = self._find_instances(shard, resource_group, [instance_id])
            if checked:
                target["tags"] = checked
            else:
                target.pop("tags", None)
            meta_id = groups.meta_doc(txn)["id"]
            return next(i for i in views.instance_views(shard.set_doc, shard.instances, now, meta_id)[0]
                        if i.instance_id == target["instance_id"])

    def upgrade_instances(self, resource_group: str, name: str,
                          instance_ids: list[str] | None = None) -> Operation:
        with self._changing(resource_group, name) as (txn, shard, now):
            doc = shard.set_doc
            skipped: list[str] = []
            if instance_ids is None:
                stale = [d for d in shard.live_instances()
                         if d.get("by_set", True) and d.get("model", 0) < doc["model"]]
                skipped = [d["instance_id"] for d in stale if d.get("protect_actions")]
                targets = [d for d in stale if not d.get("protect_actions")]
            else:
                targets = self._find_instances(shard, resource_group, instance_ids)
                for target in targets:
                    if target.get("tr") and target["tr"]["kind"] == "delete":
                        raise errors.OperationNotAllowed(
                            f"Operation 'manualUpgrade' is not allowed on VM '{target['name']}' since the VM is "
                            "marked for deletion.", target=target["name"])
            for target in targets:
                if transitions.effective_power(target, now)[1] not in (None, "upgrade"):
                    raise errors.concurrent_conflict()
            targets = [d for d in targets if d.get("by_set", True)]
            quota.check_upgrade_quota(self.ctx, txn, shard, targets)
            for target in targets:  # [CR-UNIFORM]: Manual upgrade mode applies the association here
                if (target.get("crg") or None) != (doc.get("crg") or None):
                    target["crg"] = doc.get("crg")
            op = self._new_operation(shard, "manualUpgrade", now,
                                     f"upgrade {len(targets)} instance(s) of {doc['name']} to model {doc['model']}")
            transitions.schedule_upgrades(self.ctx.speed, shard, targets, now, op, rolling=False)
            op["skipped"] = skipped
            op["end"] = max([now, *op["untils"]])
        return operations.operation_view(op, now)

    @contextmanager
    def _changing(self, resource_group: str, name: str) -> Iterator[tuple[Transaction, SetShard, float]]:
        """Lock the store, read the clock under the lock, load the set; save it if the body succeeds."""
        with self.ctx.store.transaction() as txn:
            now = self._now()  # under the lock: whatever others committed is in the past
            shard = self._require_set_for_write(txn, resource_group, name, now)
            yield txn, shard, now
            save(txn, shard)


    # --- helpers -------------------------------------------------------------------------------

    def _add_instances(self, shard: SetShard, count: int, now: float, op: dict[str, Any], *, by_set: bool,
                       name: str | None = None, zone: str | None = None, fault_domain: int | None = None,
                       size: str | None = None, image: str | None = None, priority: str | None = None,
                       crg: str | None = None) -> None:
        doc = shard.set_doc
        crg = crg if not by_set else doc.get("crg")
        uniform = doc["mode"] == OrchestrationMode.UNIFORM.value
        placements = rules.place_new_instances(
            count, planning.slots(shard.live_instances(), uniform), doc["zones"], doc["fd"],
            with_update_domains=uniform, forced_zone=zone, forced_fault_domain=fault_domain)
        base = duration("create", self.ctx.speed)
        new_ids = []
        for index, (placed_zone, placed_fd, placed_ud) in enumerate(placements):
            if uniform:
                numeric = doc["next_id"]
                doc["next_id"] += 1
                instance_id = str(numeric)
                vm_name = f"{doc['name']}_{instance_id}"
                computer_name = rules.uniform_computer_name(doc["prefix"], numeric)
            else:
                vm_name = name or flexible_vm_name(doc["name"], self.ctx.rng)
                instance_id = vm_name
                if by_set:
                    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                    computer_name = doc["prefix"] + "".join(self.ctx.rng.choice(alphabet) for _ in range(8))
                else:
                    computer_name = vm_name[:15]
            until = now + staggered(base, index, count)
            doc["seq"] += 1
            shard.instances.append({
                "instance_id": instance_id, "name": vm_name, "computer_name": computer_name, "zone": placed_zone,
                "fd": placed_fd, "ud": placed_ud, "vm_size": size or doc["vm_size"], "image": image or doc["image"],
                "priority": priority or doc["priority"], "model": doc["model"], "protect_scale_in": False,
                "protect_actions": False, "created": now, "vm_id": self.ctx.new_uuid(),
                "by_set": by_set, "seq": doc["seq"], "power": PowerState.STARTING.value,
                "prov": ProvisioningState.CREATING.value,
                "tr": transitions.transition("create", now, until, op["id"]),
                **({"crg": crg} if crg else {}),
            })
            new_ids.append(instance_id)
            bisect.insort(op["untils"], until)
        op["created"] = op["created"] + new_ids
        op["ids"] = op["ids"] + new_ids


    def _reserved_cover(self, txn: Transaction, doc: dict[str, Any], vm_size: str | None,
                        zones: list[str | None], count: int, now: float) -> int:
        """How many of `count` new allocations a reservation covers: those need no quota of their own."""
        if not doc.get("crg") or not vm_size:
            return 0
        return min(count, self.reservations.spare(txn, doc["crg"], vm_size, zones, now))

    def _associate_existing(self, txn: Transaction, shard: SetShard, group_ref: str, now: float) -> str:
        """`update --capacity-reservation-group G|None` on an existing set; returns what changed.

        Associating: every VM deallocated, or capacity 0, first [CR-UNIFORM], [CR-FLEX]. Dissociating: the
        VMs deallocated, or the reservations they draw on at capacity 0 [CR-REMOVE-VMSS]. Existing VMs take the
        change per the upgrade policy: Automatic and Rolling now, Manual on `update-instances` [CR-UNIFORM].
        """
        doc = shard.set_doc
        live = shard.live_instances()
        allocated = [d for d in live if transitions.effective_power(d, now)[0] is not PowerState.DEALLOCATED]
        old = doc.get("crg")
        if group_ref:
            loaded = self.reservations.resolve(txn, group_ref, doc["rg"])
            new = loaded.group["id"]
            if old and old.lower() == new.lower():
                return ""
            if allocated:
                raise errors.OperationNotAllowed(
                    f"Virtual Machine Scale Set '{doc['name']}' has {len(allocated)} allocated VM(s): deallocate it "
                    "(or scale it to 0) before associating it with a capacity reservation group, then start it.",
                    target="capacityReservationGroup")
            self.reservations.check_and_join(
                txn, loaded, AssociationTarget(
                    name=doc["name"], location=doc["location"], zones=tuple(doc["zones"]), vm_size=doc["vm_size"],
                    priority=doc["priority"], uniform=doc["mode"] == OrchestrationMode.UNIFORM.value,
                    single_placement_group=doc["spg"], platform_fault_domain_count=doc["fd"]), shard.key)
        else:
            new = None
            if not old:
                return ""
            drawing = [d for d in allocated if (d.get("crg") or "").lower() == old.lower()]
            if drawing and not self.reservations.all_capacity_zero(txn, old, drawing):
                raise errors.OperationNotAllowed(
                    f"Virtual Machine Scale Set '{doc['name']}' has {len(drawing)} allocated VM(s) drawing on capacity "
                    "reservations: deallocate it first, or set those reservations' capacity to 0, then remove the "
                    "capacity reservation group.", target="capacityReservationGroup")
        if new:
            doc["crg"] = new
        else:
            doc.pop("crg", None)
        doc["model"] += 1
        if UpgradeMode(doc["upgrade"]) is not UpgradeMode.MANUAL:
            for d in live:
                if d.get("by_set", True) and not d.get("protect_actions"):
                    d["model"] = doc["model"]
                    if new:
                        d["crg"] = new
                    else:
                        d.pop("crg", None)
        return f"capacityReservationGroup={new or 'None'}"

    def _find_instances(self, shard: SetShard, resource_group: str, instance_ids: list[str]) -> list[dict[str, Any]]:
        uniform = shard.set_doc["mode"] == OrchestrationMode.UNIFORM.value
        for instance_id in instance_ids:
            names.validate_instance_id(str(instance_id), uniform=uniform)
        by_id = {d["instance_id"].lower(): d for d in shard.instances}
        found = []
        seen = set()
        for instance_id in instance_ids:
            doc = by_id.get(str(instance_id).lower())
            if doc is None:
                raise errors.instance_not_found(resource_group, shard.set_doc["name"], str(instance_id))
            if doc["instance_id"] not in seen:
                seen.add(doc["instance_id"])
                found.append(doc)
        return found

    def _require_unique_vm_name(self, txn: Transaction, resource_group: str, vm_name: str) -> None:
        for _key, raw in readable_sets(txn, group_prefix(resource_group)):
            data = raw.get("instances", {}).values()
            if any(d["name"].lower() == vm_name.lower() for d in data):
                raise errors.Conflict(
                    f"A virtual machine named '{vm_name}' already exists in resource group '{resource_group}'.",
                    target=vm_name)

    def _new_operation(self, shard: SetShard, kind: str, now: float, message: str) -> dict[str, Any]:
        return operations.new_operation(self.ctx, shard.operations, shard.set_doc["rg"], shard.set_doc["name"], kind,
                                        now, message)

    def _require_set(self, txn: Transaction, resource_group: str, name: str, now: float) -> SetShard:
        shard = load(txn, set_key(resource_group, name))
        if shard is None or not set_visible(shard.set_doc, now):
            raise errors.scale_set_not_found(resource_group, name)
        return shard

    def _require_set_for_write(self, txn: Transaction, resource_group: str, name: str, now: float) -> SetShard:
        """Load a set for a change, folding finished steps into stored state first."""
        shard = self._require_set(txn, resource_group, name, now)
        transitions.settle(shard, now)
        busy = shard.set_doc.get("busy")
        if busy and busy["kind"] == ProvisioningState.DELETING.value:
            raise errors.OperationNotAllowed(
                f"Virtual Machine Scale Set '{shard.set_doc['name']}' is being deleted; no other operation is "
                "allowed on it.", target=shard.set_doc["name"])
        transitions.purge_finished_deletes(self.ctx.store, txn, now)
        return shard

    def operation_record(self, operation_id: str, scale_set: tuple[str, str] | None = None) -> dict[str, Any]:
        """The stored record of an operation, from its set's shard or (set deleted) the subscription shard.

        `scale_set` (resource group, name), when known, is looked in first: a wait poll then reads one
        shard instead of every set's.
        """
        with self.ctx.store.snapshot() as txn:
            if scale_set is not None and scale_set[1]:
                try:
                    hinted = [(None, txn.view(set_key(*scale_set)))]
                except errors.AzureError:
                    hinted = []
                found = operations.find_record(operation_id, hinted)
                if found is not None:
                    return found
            found = operations.find_record(operation_id, [*readable_sets(txn, SETS_PREFIX),
                                                          (groups.META, txn.view(groups.META))])
            if found is not None:
                return found
        raise operations.not_found(operation_id)

    # --- resource group deletion ---------------------------------------------------------------

    def delete_group_contents(self, txn: Transaction, resource_group: str, now: float,
                              group_op: dict[str, Any]) -> float:
        """Start deleting every set (and its instances or Flexible VMs) of a group, in the caller's transaction.

        Returns when the last of them is gone; the group operation lists what is removed.
        """
        prefix = group_prefix(resource_group)
        for key in self.ctx.store.legacy_corrupt_files(prefix):
            raise damaged_set_error(resource_group, split_key(key)[1], "an older version moved its file aside")
        ends = [now]
        removed: list[str] = []
        for key in txn.shard_keys(prefix):
            shard = load(txn, key)  # a damaged set fails the whole delete: nothing is changed
            if shard is None or not set_visible(shard.set_doc, now):
                continue
            transitions.settle(shard, now)
            doc = shard.set_doc
            live = shard.live_instances()
            removed.append(f"virtualMachineScaleSets/{doc['name']}")
            if doc["mode"] == OrchestrationMode.FLEXIBLE.value:
                removed += [f"virtualMachines/{d['name']}" for d in live]
            busy = doc.get("busy")
            if busy and busy["kind"] == ProvisioningState.DELETING.value:
                ends.append(busy["until"])  # already on its way out
                continue
            op = self._new_operation(shard, "delete", now,
                                     f"delete {doc['name']} (its resource group {resource_group} is deleted)")
            transitions.schedule(self.ctx.speed, live, "delete", now, op)
            until = max([now + duration("deleteSet", self.ctx.speed), *op["untils"]])
            doc["busy"] = {"kind": ProvisioningState.DELETING.value, "until": until}
            op["end"] = until
            op["removed"] = [d["instance_id"] for d in live]
            save(txn, shard)
            ends.append(until)
        group_op["removed"] = removed
        return max(ends)
