"""The emulator backend: Azure's scale-set behaviour over the crash-safe TinyDB store.

State is never advanced by a background thread. Each change records *when* its steps
finish (a "transition" on each instance, an operation record with the finish times), and
every read computes the state at `clock.now()` from those timestamps. So a second process
reading the store later sees exactly what the first one would, and tests drive time with
a FakeClock. Write transactions also fold finished transitions into the stored state.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from ...domain import errors, names
from ...domain.models import (
    BackendInfo,
    CapacityPlan,
    ErrorInfo,
    Instance,
    Operation,
    OperationStatus,
    OrchestrationMode,
    PlacementMap,
    PlannedInstance,
    PlannedRemoval,
    PowerAction,
    PowerState,
    Priority,
    ProgressCallback,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    VmSpec,
    placement_map,
    unknown_value,
)
from ...domain.summary import ScaleSetSummary
from ...domain.sizes import DEFAULT_IMAGE, DEFAULT_LOCATION, DEFAULT_VM_SIZE, find_size, is_specialty
from . import rules
from .clock import Clock, SystemClock
from .store import KEY_PART_MAX_BYTES, Store, Transaction
from .summary import SetSummary, SummaryIndex, read_summaries, read_summary, scale_set_view, summary_view
from .view_cache import InstanceViewCache
from .timing import Speed, duration, parse_speed, staggered

META = "subscription"
SETS_PREFIX = "sets/"
DEFAULT_RESOURCE_GROUP = "practice-rg"
DEFAULT_FAMILY_QUOTA = 2500
DEFAULT_TOTAL_REGIONAL_QUOTA = 5000
TOTAL_REGIONAL = "Total Regional vCPUs"
OPERATIONS_KEPT = 100
ROLLING_BATCH_FRACTION = 0.2

_MID = {
    # action kind: (power while running, provisioning while running, final power, final provisioning)
    "create": (PowerState.STARTING, ProvisioningState.CREATING, PowerState.RUNNING, ProvisioningState.SUCCEEDED),
    "start": (PowerState.STARTING, ProvisioningState.UPDATING, PowerState.RUNNING, ProvisioningState.SUCCEEDED),
    "stop": (PowerState.STOPPING, ProvisioningState.UPDATING, PowerState.STOPPED, ProvisioningState.SUCCEEDED),
    "deallocate": (PowerState.DEALLOCATING, ProvisioningState.UPDATING, PowerState.DEALLOCATED,
                   ProvisioningState.SUCCEEDED),
    "restart": (PowerState.STARTING, ProvisioningState.UPDATING, PowerState.RUNNING, ProvisioningState.SUCCEEDED),
    "reimage": (PowerState.STARTING, ProvisioningState.UPDATING, PowerState.RUNNING, ProvisioningState.SUCCEEDED),
    "upgrade": (None, ProvisioningState.UPDATING, None, ProvisioningState.SUCCEEDED),
    "delete": (None, ProvisioningState.DELETING, None, None),
}

_AZURE_ACTION_NAMES = {
    PowerAction.START: "start",
    PowerAction.POWER_OFF: "powerOff",
    PowerAction.DEALLOCATE: "deallocate",
    PowerAction.RESTART: "restart",
    PowerAction.REIMAGE: "reimage",
}


DAMAGED = "Damaged"
"""The provisioning state shown for a set whose file cannot be read (an emulator-only value)."""
_QUOTA_FAMILY = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ]{0,63}")


def _set_key(resource_group: str, name: str) -> str:
    """The store key of a set; the names are checked first (Azure's rules), whoever called."""
    names.validate_resource_group_name(resource_group)
    names.validate_scale_set_name(name)
    return f"{SETS_PREFIX}{_key_part(resource_group)}/{_key_part(name)}"


def _group_prefix(resource_group: str) -> str:
    names.validate_resource_group_name(resource_group)
    return f"{SETS_PREFIX}{_key_part(resource_group)}/"


def _key_part(name: str) -> str:
    """A name as one path part: lower-cased; a long Unicode group name is shortened with a hash to fit."""
    lowered = name.lower()
    if len(lowered.encode("utf-8")) <= KEY_PART_MAX_BYTES:
        return lowered
    digest = hashlib.blake2b(lowered.encode("utf-8"), digest_size=8).hexdigest()
    return f"{lowered[:30]}~{digest}"


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


class _Shard:
    """One scale set's records, loaded for a transaction: the set, its instances, its operations."""

    def __init__(self, key: str, set_doc: dict[str, Any], instances: list[dict[str, Any]],
                 operations: list[dict[str, Any]]) -> None:
        self.key = key
        self.set_doc = set_doc
        self.instances = instances
        self.operations = operations

    def live_instances(self) -> list[dict[str, Any]]:
        """Instances not on their way out."""
        return [doc for doc in self.instances if not (doc.get("tr") and doc["tr"]["kind"] == "delete")]


class EmulatorBackend:
    """An offline Azure subscription: resource groups, scale sets and their instances."""

    def __init__(self, store: Store, *, clock: Clock | None = None, speed: Speed | str = Speed.FAST,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.speed = parse_speed(speed)
        self._rng = rng or random.Random()
        self._views = InstanceViewCache()
        with self.store.snapshot() as snapshot:
            initialised = bool(self._view_meta(snapshot).get("subscription"))
        if not initialised:  # only a new store needs the write lock just to open it
            with self.store.transaction() as txn:
                if not txn.view(META).get("subscription") and self._has_set_files(txn):
                    raise self._missing_subscription_error()
                self._ensure_meta(txn)

    def _view_meta(self, txn: Transaction) -> dict[str, dict[str, Any]]:
        """The subscription shard; a damaged one says how to get out (check, then repair)."""
        try:
            return txn.view(META)
        except errors.StoreDamaged as exc:
            raise errors.StoreDamaged(
                f"{exc.message.split(' Nothing was reset')[0]} Nothing was reset or moved. This is the subscription's own file (its id, resource groups and "
                "quotas): run 'vmss-tui emulator check' to see the damage and 'vmss-tui emulator check --repair' "
                "to rebuild it from the scale sets (the damaged file is kept).", target=exc.target) from None

    def _has_set_files(self, txn: Transaction) -> bool:
        return bool(txn.shard_keys(SETS_PREFIX) or self.store.legacy_corrupt_files(SETS_PREFIX))

    def _missing_subscription_error(self) -> errors.StoreDamaged:
        path = self.store.path_for(META)
        state = "empty" if path.exists() else "missing"
        return errors.StoreDamaged(
            f"The emulator store '{self.store.root}' holds scale sets but its subscription file '{path.name}' is "
            f"{state}, so its subscription id, resource groups and quotas are unknown. Nothing was reset: run "
            "'vmss-tui emulator check' to see the damage and 'vmss-tui emulator check --repair' to rebuild it "
            "from the scale sets (the damaged file is kept).", target=str(path))

    # --- protocol: info and reads ---------------------------------------------------------

    def info(self) -> BackendInfo:
        with self.store.snapshot() as txn:
            meta = self._meta_doc(txn)
        return BackendInfo(kind="emulator", subscription_id=meta["id"], subscription_name=meta["name"],
                           default_location=DEFAULT_LOCATION, store_path=str(self.store.root),
                           speed=str(self.speed))

    def list_resource_groups(self) -> list[str]:
        with self.store.snapshot() as txn:
            return sorted((doc["name"] for doc in txn.db(META).table("resource_groups").all()), key=str.lower)

    def list_scale_sets(self, resource_group: str | None = None) -> list[ScaleSet]:
        return [summary.scale_set for summary in self.list_scale_set_summaries(resource_group)]

    def list_scale_set_summaries(self, resource_group: str | None = None) -> list[ScaleSetSummary]:
        """Every set with its instance counts, from the store's per-set summaries (no instance is read)."""
        now = self._now()
        with self.store.snapshot() as txn:
            prefix = SETS_PREFIX if resource_group is None else _group_prefix(resource_group)
            if resource_group is not None:
                self._require_group(txn, resource_group)
            result = []
            meta = self._meta_doc(txn)
            damaged: dict[str, str] = {key: "an older version moved its unreadable file aside"
                                       for key in self.store.legacy_corrupt_files(prefix)}
            for key, found in read_summaries(self.store, txn, prefix):
                if isinstance(found, errors.StoreDamaged):
                    group, name = key[len(SETS_PREFIX):].split("/", 1)
                    damaged[key] = self._damaged_set_error(group, name, found.message).message
                    continue
                damaged.pop(key, None)
                if found is not None and found.visible(now):
                    result.append(summary_view(found, now, meta["id"]))
            result += [ScaleSetSummary(self._damaged_view(txn, key, reason, meta["id"]), state_counts=())
                       for key, reason in damaged.items()]
        return sorted(result, key=lambda s: (s.scale_set.resource_group.lower(), s.scale_set.name.lower()))

    def _damaged_view(self, txn: Transaction, key: str, reason: str, subscription_id: str) -> ScaleSet:
        """A set whose file cannot be read: listed (state Damaged) so nobody reuses its name unawares."""
        group_part, name = key[len(SETS_PREFIX):].split("/", 1)
        group = next((row["name"] for row in txn.db(META).table("resource_groups").all()
                      if _key_part(row["name"]) == group_part), group_part)
        return ScaleSet(
            name=name, resource_group=group, location="", orchestration_mode=unknown_value(OrchestrationMode, ""),
            capacity=0, vm_size=None, image=None, platform_fault_domain_count=0, zones=(),
            single_placement_group=None, scale_in_policy=ScaleInRule.DEFAULT, upgrade_policy=UpgradeMode.MANUAL,
            provisioning_state=unknown_value(ProvisioningState, DAMAGED), time_created=_dt(0),
            id=(f"/subscriptions/{subscription_id}/resourceGroups/{group}/providers/Microsoft.Compute/"
                f"virtualMachineScaleSets/{name}"),
            subscription_id=subscription_id, tags=(("vmss-tui-damaged", reason[:200]),),
        )

    def get_scale_set(self, resource_group: str, name: str) -> ScaleSet:
        now = self._now()
        key = _set_key(resource_group, name)
        with self.store.snapshot() as txn:
            found = read_summary(self.store, txn, key)  # the set's summary: no instance is read
            if isinstance(found, errors.StoreDamaged):
                group_part, name_part = key[len(SETS_PREFIX):].split("/", 1)
                raise self._damaged_set_error(group_part, name_part, found.message)
            if found is None or not found.visible(now):
                raise errors.scale_set_not_found(resource_group, name)
            return scale_set_view(found.set_doc, found.live, now, self._meta_doc(txn)["id"])

    def list_instances(self, resource_group: str, name: str) -> list[Instance]:
        now = self._now()
        key = _set_key(resource_group, name)
        with self.store.snapshot() as txn:
            tables = self._visible_set_tables(txn, key, resource_group, name, now)
            meta_id = self._meta_doc(txn)["id"]
        views = self._views.get(key, tables, now, meta_id)  # reused while the shard is unchanged and nothing is due
        if views is None:
            shard = _Shard(key, next(iter(tables["scale_set"].values())), list(tables.get("instances", {}).values()),
                           [])  # read-only: the views copy what they show
            views = self._views.put(key, tables, now, meta_id, self._instance_views(shard, now, meta_id))
        return list(views)

    def _visible_set_tables(self, txn: Transaction, key: str, resource_group: str, name: str,
                            now: float) -> dict[str, dict[str, Any]]:
        """A set shard's raw tables (not copied: read only), with `_require_set`'s errors."""
        try:
            tables = txn.view(key)
        except errors.StoreDamaged as exc:
            group_part, name_part = key[len(SETS_PREFIX):].split("/", 1)
            raise self._damaged_set_error(group_part, name_part, exc.message) from None
        set_docs = list(tables.get("scale_set", {}).values())
        if not set_docs or not self._set_visible(set_docs[0], now):
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

    def get_operation(self, operation_id: str) -> Operation:
        return self._operation_view(self._operation_record(operation_id), self._now())

    def _operation_record(self, operation_id: str, scale_set: tuple[str, str] | None = None) -> dict[str, Any]:
        """The stored record of an operation, from its set's shard or (set deleted) the meta shard.

        `scale_set` (resource group, name), when known, is looked in first: a wait poll then reads one
        shard instead of every set's.
        """
        with self.store.snapshot() as txn:
            if scale_set is not None:
                try:
                    hinted = txn.view(_set_key(*scale_set))
                except errors.AzureError:
                    hinted = {}
                for doc in hinted.get("operations", {}).values():
                    if doc["id"] == operation_id:
                        return doc
            for key, data in [*self._readable_sets(txn, SETS_PREFIX), (META, txn.view(META))]:
                for doc in data.get("operations", {}).values():
                    if doc["id"] == operation_id:
                        return doc
        raise errors.ResourceNotFound(f"Operation '{operation_id}' was not found.", target=operation_id)

    def wait(self, operation: Operation, *, progress: ProgressCallback | None = None,
             timeout: float | None = None) -> Operation:
        started = self._now()
        current = operation
        while True:
            try:
                record = self._operation_record(operation.id, (operation.resource_group, operation.scale_set_name))
            except errors.ResourceNotFound:
                return current
            now = self._now()
            current = self._operation_view(record, now)
            if progress is not None:
                progress(current)
            if current.done:
                return current
            if timeout is not None and now - started >= timeout:
                return current
            # Wake exactly when the next instance of this operation finishes (at most every 0.25 s).
            next_step = min([u for u in record["untils"] if u > now] or [record["end"]])
            delay = min(0.25, max(0.01, next_step - now))
            if timeout is not None:
                delay = min(delay, max(0.0, started + timeout - now))
            self.clock.sleep(delay)

    def close(self) -> None:
        """Nothing stays open between calls: every call opens and closes its own transaction."""

    # --- protocol: mutations ----------------------------------------------------------------

    def create_scale_set(self, spec: ScaleSetSpec) -> Operation:
        key = _set_key(spec.resource_group, spec.name)  # checks both names
        if spec.computer_name_prefix is not None:
            names.validate_computer_name_prefix(spec.computer_name_prefix,
                                                windows=(spec.image or "").lower().startswith("win"))
        if spec.image is not None:
            rules.validate_image(spec.image)
        mode = OrchestrationMode(spec.orchestration_mode)
        with self.store.transaction() as txn:
            now = self._now()  # read under the lock: state committed by others is in the past
            group_location = self._ensure_group(txn, spec.resource_group, spec.location)
            location = rules.validate_location(spec.location or group_location)
            if key in self.store.legacy_corrupt_files(_group_prefix(spec.resource_group)):
                raise self._damaged_set_error(spec.resource_group, spec.name, "an older version moved its file aside")
            existing = self._load(txn, key)
            if existing is not None and self._set_visible(existing.set_doc, now):
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
            spg = self._initial_single_placement_group(mode, zones, spec.single_placement_group, capacity)
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
                "unique_id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
                "prefix": prefix, "priority": str(Priority(spec.priority)), "zone_balance": spec.zone_balance,
                "has_profile": has_profile, "model": 1, "next_id": 0, "seq": 0, "busy": None,
                "sub": self._meta_doc(txn)["id"],  # lets `emulator check --repair` recover a lost subscription id
            }
            shard = _Shard(key, set_doc, [], existing.operations if existing else [])
            op = self._new_operation(shard, "create", now, f"create {spec.name} ({mode}, capacity {capacity})")
            if capacity:
                self._check_quota(txn, location, {size.family: size.vcpus * capacity} if size else {}, skip_key=key)
                self._add_instances(shard, capacity, now, op, by_set=True)
            set_until = max([now + duration("createSet", self.speed), *op["untils"]])
            set_doc["busy"] = {"kind": ProvisioningState.CREATING.value, "until": set_until}
            op["end"] = set_until
            self._save(txn, shard)
        return self._operation_view(op, now)

    def update_scale_set(self, resource_group: str, name: str, update: ScaleSetUpdate) -> Operation:
        if update.image is not None:
            rules.validate_image(update.image)
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
                    self._check_upgrade_quota(txn, shard, targets)
                    self._schedule_upgrades(shard, targets, now, op, rolling=upgrade is UpgradeMode.ROLLING)
            until = max([now + duration("updateSet", self.speed), *op["untils"]])
            doc["busy"] = {"kind": ProvisioningState.UPDATING.value, "until": until}
            op["end"] = until
        return self._operation_view(op, now)

    def delete_scale_set(self, resource_group: str, name: str, *, force: bool = False) -> Operation:
        with self._changing(resource_group, name) as (txn, shard, now):
            doc = shard.set_doc
            live = shard.live_instances()
            if doc["mode"] == OrchestrationMode.FLEXIBLE.value and live:
                raise errors.OperationNotAllowed(
                    f"Virtual Machine Scale Set '{doc['name']}' with Flexible orchestration mode cannot be deleted "
                    f"while it contains virtual machines ({len(live)}). Delete its VMs first.", target=doc["name"])
            op = self._new_operation(shard, "delete", now, f"delete {doc['name']}")
            self._schedule(shard, live, "delete", now, op, force=force)
            until = max([now + duration("deleteSet", self.speed) * (0.5 if force else 1.0), *op["untils"]])
            doc["busy"] = {"kind": ProvisioningState.DELETING.value, "until": until}
            op["end"] = until
            op["removed"] = [d["instance_id"] for d in live]
        return self._operation_view(op, now)

    def plan_capacity(self, resource_group: str, name: str, capacity: int) -> CapacityPlan:
        now = self._now()
        with self.store.snapshot() as txn:
            shard = self._require_set(txn, resource_group, name, now)
            return self._plan(shard, capacity, now)

    def set_capacity(self, resource_group: str, name: str, capacity: int) -> Operation:
        with self._changing(resource_group, name) as (txn, shard, now):
            doc = shard.set_doc
            plan = self._plan(shard, capacity, now)
            op = self._new_operation(shard, "scale", now,
                                     f"scale {doc['name']} {plan.current_capacity} -> {plan.target_capacity}")
            if plan.to_create:
                size = find_size(doc["vm_size"])
                assert size is not None
                self._check_quota(txn, doc["location"], {size.family: size.vcpus * len(plan.to_create)})
                self._add_instances(shard, len(plan.to_create), now, op, by_set=True)
            if plan.to_remove:
                victims = {r.instance_id for r in plan.to_remove}
                removed_docs = [d for d in shard.live_instances() if d["instance_id"] in victims]
                self._schedule(shard, removed_docs, "delete", now, op, force=doc["force"])
                op["removed"] = [r.instance_id for r in plan.to_remove]
            if op["untils"]:
                doc["busy"] = {"kind": ProvisioningState.UPDATING.value, "until": max(op["untils"])}
            op["end"] = max([now, *op["untils"]])
        return self._operation_view(op, now)

    def add_vm(self, resource_group: str, name: str, spec: VmSpec) -> Operation:
        if spec.name is not None:
            names.validate_vm_name(spec.name)
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
            vm_name = spec.name or _flexible_vm_name(doc["name"], self._rng)
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
            self._check_quota(txn, doc["location"], {size.family: size.vcpus})
            if doc["spg"] is None:
                # Seed 003: false after the first VM when it supports memory-preserving updates or FD count is 1.
                doc["spg"] = bool(fixed_spreading and is_specialty(size))
            op = self._new_operation(shard, "addVm", now, f"add VM {vm_name} to {doc['name']}")
            self._add_instances(shard, 1, now, op, by_set=False, name=vm_name, zone=zone,
                                fault_domain=spec.fault_domain, size=size.name, image=image,
                                priority=str(Priority(spec.priority)))
            op["end"] = max([now, *op["untils"]])
        return self._operation_view(op, now)

    def delete_instances(self, resource_group: str, name: str, instance_ids: list[str], *,
                         force: bool = False) -> Operation:
        if not instance_ids:
            raise errors.InvalidParameter("instanceIds must name at least one instance.", target="instanceIds")
        with self._changing(resource_group, name) as (txn, shard, now):
            targets = self._find_instances(shard, resource_group, instance_ids)
            fresh = [d for d in targets if not (d.get("tr") and d["tr"]["kind"] == "delete")]
            op = self._new_operation(shard, "deleteInstances", now,
                                     f"delete {len(targets)} instance(s) of {shard.set_doc['name']}")
            self._schedule(shard, fresh, "delete", now, op, force=force or shard.set_doc["force"])
            op["removed"] = [d["instance_id"] for d in targets]
            op["ids"] = op["removed"]
            op["end"] = max([now, *op["untils"]])
            if op["untils"]:
                shard.set_doc["busy"] = {"kind": ProvisioningState.UPDATING.value, "until": op["end"]}
        return self._operation_view(op, now)

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
                power, busy_kind = self._effective_power(target, now)
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
                waking = [d for d in changing if self._effective_power(d, now)[0] is PowerState.DEALLOCATED]
                needed: dict[str, int] = {}
                for d in waking:
                    size = find_size(d["vm_size"])
                    if size is not None:
                        needed[size.family] = needed.get(size.family, 0) + size.vcpus
                self._check_quota(txn, doc["location"], needed)
            verb = {PowerAction.POWER_OFF: "stop"}.get(action, kind)
            scope = "all instances" if instance_ids is None else f"{len(targets)} instance(s)"
            op = self._new_operation(shard, azure_name, now, f"{verb} {scope} of {doc['name']}")
            self._schedule(shard, changing, kind, now, op)
            op["ids"] = [d["instance_id"] for d in targets]
            op["skipped"] = skipped
            op["end"] = max([now, *op["untils"]])
        return self._operation_view(op, now)

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
            meta_id = self._meta_doc(txn)["id"]
            wanted = {d["instance_id"] for d in targets}
            return [i for i in self._instance_views(shard, now, meta_id) if i.instance_id in wanted]

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
                if self._effective_power(target, now)[1] not in (None, "upgrade"):
                    raise errors.concurrent_conflict()
            targets = [d for d in targets if d.get("by_set", True)]
            self._check_upgrade_quota(txn, shard, targets)
            op = self._new_operation(shard, "manualUpgrade", now,
                                     f"upgrade {len(targets)} instance(s) of {doc['name']} to model {doc['model']}")
            self._schedule_upgrades(shard, targets, now, op, rolling=False)
            op["skipped"] = skipped
            op["end"] = max([now, *op["untils"]])
        return self._operation_view(op, now)

    @contextmanager
    def _changing(self, resource_group: str, name: str) -> Iterator[tuple[Transaction, _Shard, float]]:
        """Lock the store, read the clock under the lock, load the set; save it if the body succeeds."""
        with self.store.transaction() as txn:
            now = self._now()  # under the lock: whatever others committed is in the past
            shard = self._require_set_for_write(txn, resource_group, name, now)
            yield txn, shard, now
            self._save(txn, shard)

    # --- emulator-only extras -------------------------------------------------------------

    def set_quota(self, location: str, family: str, vcpus: int) -> None:
        """Set a regional vCPU quota (`family` may be 'Total Regional vCPUs')."""
        location = rules.validate_location(location)
        if vcpus < 0:
            raise errors.InvalidParameter("A quota limit cannot be negative.", target="limit")
        if not _QUOTA_FAMILY.fullmatch(family):
            raise errors.InvalidInputValue(
                f"The quota name '{names.shown(family)}' is not valid: letters, digits and spaces, at most 64.",
                target="family")
        with self.store.transaction() as txn:
            table = txn.db(META).table("quotas")
            rows = [dict(r) for r in table.all() if not (r["location"] == location and r["family"] == family)]
            rows.append({"location": location, "family": family, "limit": vcpus})
            table.truncate()
            table.insert_multiple(rows)

    def quota_usage(self, location: str) -> dict[str, tuple[int, int]]:
        """family -> (vCPUs in use, limit) for a region, including the total regional row."""
        location = rules.validate_location(location)
        with self.store.snapshot() as txn:
            usage = self._usage(txn, location, now=self._now())
            limits = self._quota_limits(txn, location)
        families = set(usage) | {f for f in limits if f != TOTAL_REGIONAL}
        result = {f: (usage.get(f, 0), limits.get(f, DEFAULT_FAMILY_QUOTA)) for f in sorted(families)}
        result[TOTAL_REGIONAL] = (sum(usage.values()), limits.get(TOTAL_REGIONAL, DEFAULT_TOTAL_REGIONAL_QUOTA))
        return result

    def seed_practice_estate(self) -> None:
        """The practice estate: a zone-spanning Uniform set, the seed-003 Flexible lab, an empty Flexible set."""
        speed, self.speed = self.speed, Speed.INSTANT
        try:
            self.create_scale_set(ScaleSetSpec(
                name="web", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.UNIFORM,
                location=DEFAULT_LOCATION, capacity=6, vm_size="Standard_D2s_v3", image="Ubuntu2204",
                zones=("1", "2", "3")))
            self.create_scale_set(ScaleSetSpec(
                name="demo-set", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.FLEXIBLE,
                location="centralindia", capacity=1, vm_size="Standard_B1s", image="Ubuntu2204"))
            self.add_vm(DEFAULT_RESOURCE_GROUP, "demo-set", VmSpec(name="newvm", vm_size="Standard_B1s"))
            self.create_scale_set(ScaleSetSpec(
                name="batch", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.FLEXIBLE,
                location=DEFAULT_LOCATION, platform_fault_domain_count=2, with_vm_profile=False, capacity=0))
        finally:
            self.speed = speed

    # --- records ------------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _ensure_meta(self, txn: Transaction) -> None:
        table = txn.db(META).table("subscription")
        if not table.all():
            table.insert({"id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
                          "name": "Emulated subscription", "created": self._now()})

    def _meta_doc(self, txn: Transaction) -> dict[str, Any]:
        docs = txn.db(META).table("subscription").all()
        if not docs:
            return {"id": "00000000-0000-0000-0000-000000000000", "name": "Emulated subscription"}
        return dict(docs[0])

    def _ensure_group(self, txn: Transaction, resource_group: str, location: str | None) -> str:
        table = txn.db(META).table("resource_groups")
        for row in table.all():
            if row["name"].lower() == resource_group.lower():
                return row["location"]
        group_location = rules.validate_location(location or DEFAULT_LOCATION)
        table.insert({"name": resource_group, "location": group_location})
        return group_location

    def _require_group(self, txn: Transaction, resource_group: str) -> None:
        names.validate_resource_group_name(resource_group)
        for row in txn.db(META).table("resource_groups").all():
            if row["name"].lower() == resource_group.lower():
                return
        raise errors.resource_group_not_found(resource_group)

    def _load(self, txn: Transaction, key: str) -> _Shard | None:
        try:
            if not txn.exists(key):
                return None
        except errors.StoreDamaged as exc:
            group, name = key[len(SETS_PREFIX):].split("/", 1)
            raise self._damaged_set_error(group, name, exc.message) from None
        db = txn.db(key)
        set_docs = db.table("scale_set").all()
        if not set_docs:
            return None
        return _Shard(key, dict(set_docs[0]), [dict(d) for d in db.table("instances").all()],
                      [dict(d) for d in db.table("operations").all()])

    def _damaged_set_error(self, resource_group: str, name: str, reason: str) -> errors.StoreDamaged:
        return errors.StoreDamaged(
            f"Scale set '{name}' in resource group '{resource_group}' is damaged in the emulator store and cannot be "
            f"read or reused. {reason.rstrip('.')}. Run 'vmss-tui emulator check'; 'vmss-tui emulator check "
            f"--repair --discard {resource_group}/{name}' sets its file aside (kept) and frees the name.",
            target=name)

    def _readable_sets(self, txn: Transaction, prefix: str) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """(key, raw tables) of every set shard that parses; damaged ones are skipped (list shows them)."""
        for key in txn.shard_keys(prefix):
            try:
                yield key, txn.view(key)
            except errors.StoreDamaged:
                continue

    def _save(self, txn: Transaction, shard: _Shard) -> None:
        """Write the shard's three tables; the store turns this into one atomic file write."""
        db = txn.db(shard.key)
        for table_name, docs in (("scale_set", [shard.set_doc]), ("instances", shard.instances),
                                 ("operations", shard.operations[-OPERATIONS_KEPT:])):
            table = db.table(table_name)
            table.truncate()
            table.insert_multiple(docs)

    def _set_visible(self, set_doc: dict[str, Any], now: float) -> bool:
        busy = set_doc.get("busy")
        return not (busy and busy["kind"] == ProvisioningState.DELETING.value and now >= busy["until"])

    def _require_set(self, txn: Transaction, resource_group: str, name: str, now: float) -> _Shard:
        shard = self._load(txn, _set_key(resource_group, name))
        if shard is None or not self._set_visible(shard.set_doc, now):
            raise errors.scale_set_not_found(resource_group, name)
        return shard

    def _require_set_for_write(self, txn: Transaction, resource_group: str, name: str, now: float) -> _Shard:
        """Load a set for a change, folding finished steps into stored state first."""
        shard = self._require_set(txn, resource_group, name, now)
        self._settle(shard, now)
        busy = shard.set_doc.get("busy")
        if busy and busy["kind"] == ProvisioningState.DELETING.value:
            raise errors.OperationNotAllowed(
                f"Virtual Machine Scale Set '{shard.set_doc['name']}' is being deleted; no other operation is "
                "allowed on it.", target=shard.set_doc["name"])
        self._purge_finished_deletes(txn, now)
        return shard

    def _settle(self, shard: _Shard, now: float) -> None:
        """Apply transitions that have finished; drop instances whose deletion finished."""
        kept = []
        for doc in shard.instances:
            tr = doc.get("tr")
            if tr and now >= tr["until"]:
                if tr["kind"] == "delete":
                    continue
                self._apply_final(doc, tr)
                doc["tr"] = None
            kept.append(doc)
        shard.instances = kept
        busy = shard.set_doc.get("busy")
        if busy and now >= busy["until"] and busy["kind"] != ProvisioningState.DELETING.value:
            shard.set_doc["busy"] = None

    def _purge_finished_deletes(self, txn: Transaction, now: float) -> None:
        """Remove shards of sets whose deletion finished, keeping their operations in the meta shard."""
        for key, found in list(read_summaries(self.store, txn, SETS_PREFIX)):  # no instance is read
            if isinstance(found, SetSummary) and not found.visible(now):
                ops = [dict(d) for d in txn.db(key).table("operations").all()]
                meta_ops = txn.db(META).table("operations")
                kept = ([dict(d) for d in meta_ops.all()] + ops)[-OPERATIONS_KEPT:]
                meta_ops.truncate()
                meta_ops.insert_multiple(kept)
                txn.drop(key)

    @staticmethod
    def _apply_final(doc: dict[str, Any], tr: dict[str, Any]) -> None:
        if tr.get("power"):
            doc["power"] = tr["power"]
        if tr.get("prov"):
            doc["prov"] = tr["prov"]
        for field_name in ("model", "vm_size", "image"):
            if field_name in tr:
                doc[field_name] = tr[field_name]

    def _effective_power(self, doc: dict[str, Any], now: float) -> tuple[PowerState, str | None]:
        """(power state as seen now, kind of the step in progress or pending, if any)."""
        tr = doc.get("tr")
        power = PowerState(doc["power"])
        if not tr or now >= tr["until"]:
            if tr and tr.get("power"):
                power = PowerState(tr["power"])
            return power, None
        if now >= tr["start"] and tr.get("mid_power"):
            power = PowerState(tr["mid_power"])
        return power, tr["kind"]

    def _new_operation(self, shard: _Shard, kind: str, now: float, message: str) -> dict[str, Any]:
        op = {"id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)), "kind": kind,
              "rg": shard.set_doc["rg"], "set": shard.set_doc["name"], "start": now, "end": now, "untils": [],
              "ids": [], "created": [], "removed": [], "skipped": [], "status": OperationStatus.SUCCEEDED.value,
              "error": None, "message": message}
        shard.operations.append(op)
        return op

    def _add_instances(self, shard: _Shard, count: int, now: float, op: dict[str, Any], *, by_set: bool,
                       name: str | None = None, zone: str | None = None, fault_domain: int | None = None,
                       size: str | None = None, image: str | None = None, priority: str | None = None) -> None:
        doc = shard.set_doc
        uniform = doc["mode"] == OrchestrationMode.UNIFORM.value
        placements = rules.place_new_instances(
            count, self._slots(shard.live_instances(), uniform), doc["zones"], doc["fd"],
            with_update_domains=uniform, forced_zone=zone, forced_fault_domain=fault_domain)
        base = duration("create", self.speed)
        new_ids = []
        for index, (placed_zone, placed_fd, placed_ud) in enumerate(placements):
            if uniform:
                numeric = doc["next_id"]
                doc["next_id"] += 1
                instance_id = str(numeric)
                vm_name = f"{doc['name']}_{instance_id}"
                computer_name = rules.uniform_computer_name(doc["prefix"], numeric)
            else:
                vm_name = name or _flexible_vm_name(doc["name"], self._rng)
                instance_id = vm_name
                if by_set:
                    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                    computer_name = doc["prefix"] + "".join(self._rng.choice(alphabet) for _ in range(8))
                else:
                    computer_name = vm_name[:15]
            until = now + staggered(base, index, count)
            doc["seq"] += 1
            shard.instances.append({
                "instance_id": instance_id, "name": vm_name, "computer_name": computer_name, "zone": placed_zone,
                "fd": placed_fd, "ud": placed_ud, "vm_size": size or doc["vm_size"], "image": image or doc["image"],
                "priority": priority or doc["priority"], "model": doc["model"], "protect_scale_in": False,
                "protect_actions": False, "created": now, "vm_id": str(uuid.UUID(int=self._rng.getrandbits(128),
                                                                                  version=4)),
                "by_set": by_set, "seq": doc["seq"], "power": PowerState.STARTING.value,
                "prov": ProvisioningState.CREATING.value,
                "tr": self._transition("create", now, until, op["id"]),
            })
            new_ids.append(instance_id)
            bisect.insort(op["untils"], until)
        op["created"] = op["created"] + new_ids
        op["ids"] = op["ids"] + new_ids

    @staticmethod
    def _transition(kind: str, start: float, until: float, op_id: str, **extra: Any) -> dict[str, Any]:
        mid_power, mid_prov, final_power, final_prov = _MID[kind]
        return {"kind": kind, "start": start, "until": until, "op": op_id,
                "mid_power": mid_power.value if mid_power else None, "mid_prov": mid_prov.value,
                "power": final_power.value if final_power else None,
                "prov": final_prov.value if final_prov else None, **extra}

    def _schedule(self, shard: _Shard, docs: list[dict[str, Any]], kind: str, now: float, op: dict[str, Any],
                  *, force: bool = False) -> None:
        """Start the same step on several instances at once (they finish staggered)."""
        base = duration("delete" if kind == "delete" else kind, self.speed) * (0.5 if force else 1.0)
        for index, doc in enumerate(docs):
            if doc.get("tr") and now >= doc["tr"]["until"]:
                self._apply_final(doc, doc["tr"])
            until = now + staggered(base, index, len(docs))
            doc["tr"] = self._transition(kind, now, until, op["id"])
            bisect.insort(op["untils"], until)

    def _schedule_upgrades(self, shard: _Shard, docs: list[dict[str, Any]], now: float, op: dict[str, Any], *,
                           rolling: bool) -> None:
        """Upgrade instances to the latest model: all at once, or in batches of 20 % (Rolling)."""
        doc = shard.set_doc
        base = duration("upgrade", self.speed)
        batch_size = max(1, -(-len(docs) * 2 // 10)) if rolling else max(1, len(docs))
        for index, target in enumerate(docs):
            batch = index // batch_size
            start = now + batch * base
            until = start + base
            target["tr"] = self._transition("upgrade", start, until, op["id"], model=doc["model"],
                                            vm_size=doc["vm_size"], image=doc["image"])
            bisect.insort(op["untils"], until)
        op["ids"] = [d["instance_id"] for d in docs]

    @staticmethod
    def _slots(docs: Iterable[dict[str, Any]], uniform: bool) -> list[rules.Slot]:
        return [rules.Slot(instance_id=d["instance_id"], zone=d["zone"], fault_domain=d["fd"],
                           update_domain=d.get("ud"), order=d["seq"],
                           numeric_id=int(d["instance_id"]) if uniform else -1,
                           protected=bool(d.get("protect_scale_in") or d.get("protect_actions")))
                for d in docs]

    def _find_instances(self, shard: _Shard, resource_group: str, instance_ids: list[str]) -> list[dict[str, Any]]:
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
        for _key, raw in self._readable_sets(txn, _group_prefix(resource_group)):
            data = raw.get("instances", {}).values()
            if any(d["name"].lower() == vm_name.lower() for d in data):
                raise errors.Conflict(
                    f"A virtual machine named '{vm_name}' already exists in resource group '{resource_group}'.",
                    target=vm_name)

    # --- capacity planning ----------------------------------------------------------------------

    @staticmethod
    def _initial_single_placement_group(mode: OrchestrationMode, zones: tuple[str, ...], requested: bool | None,
                                        capacity: int) -> bool | None:
        if mode is OrchestrationMode.FLEXIBLE:
            if requested:
                raise errors.InvalidParameter(
                    "singlePlacementGroup cannot be true on a scale set with Flexible orchestration mode; leave it "
                    "unset (the first VM decides) or false.", target="singlePlacementGroup")
            return requested
        if requested is None:
            # az turns the single placement group off above 100 instances; zonal sets default to false.
            return not zones and capacity <= rules.SINGLE_PLACEMENT_GROUP_LIMIT
        return requested

    def _plan(self, shard: _Shard, capacity: int, now: float) -> CapacityPlan:
        doc = shard.set_doc
        mode = OrchestrationMode(doc["mode"])
        rules.validate_capacity(capacity)
        live = [d for d in shard.instances
                if not (d.get("tr") and d["tr"]["kind"] == "delete")]
        current = len(live)
        notes: list[str] = []
        if capacity != current and not doc["has_profile"]:
            raise errors.OperationNotAllowed(
                f"Virtual Machine Scale Set '{doc['name']}' has no VM profile, so its capacity cannot be changed; "
                "add VMs to it with add-vm, or delete them.", target="sku.capacity")
        size = find_size(doc["vm_size"]) if doc["vm_size"] else None
        limit = rules.instance_limit(mode, doc["spg"], doc["fd"], size, doc["image"])
        if capacity > limit:
            raise rules.over_limit_error(doc["name"], limit)
        uniform = mode is OrchestrationMode.UNIFORM
        slots = self._slots(live, uniform)
        to_create: list[PlannedInstance] = []
        to_remove: list[PlannedRemoval] = []
        protected = tuple(s.instance_id for s in slots if s.protected)
        if capacity > current:
            placements = rules.place_new_instances(capacity - current, slots, doc["zones"], doc["fd"],
                                                   with_update_domains=uniform)
            for index, (zone, fd, ud) in enumerate(placements):
                planned_id = str(doc["next_id"] + index) if uniform else None
                to_create.append(PlannedInstance(instance_id=planned_id, zone=zone, fault_domain=fd, update_domain=ud))
        elif capacity < current:
            victims = rules.choose_scale_in_victims(current - capacity, slots, doc["zones"],
                                                    ScaleInRule(doc["rule"]), mode)
            to_remove = [PlannedRemoval(instance_id=v.slot.instance_id, zone=v.slot.zone,
                                        fault_domain=v.slot.fault_domain, reason=v.reason) for v in victims]
            if protected:
                notes.append(f"{len(protected)} protected instance(s) are never chosen: {', '.join(protected)}")
            if doc["zone_balance"]:
                self._require_zone_balance(doc, [s for s in slots if s.instance_id not in
                                                 {r.instance_id for r in to_remove}], capacity)
        else:
            notes.append("capacity unchanged: nothing to do")
        return CapacityPlan(resource_group=doc["rg"], scale_set_name=doc["name"], current_capacity=current,
                            target_capacity=capacity, to_create=tuple(to_create), to_remove=tuple(to_remove),
                            protected_instance_ids=protected, notes=tuple(notes))

    @staticmethod
    def _require_zone_balance(doc: dict[str, Any], remaining: list[rules.Slot], capacity: int) -> None:
        """Strict zone balance (zoneBalance=true): a scaling operation that cannot keep zones within one
        instance of each other fails instead of running (zone-balancing doc)."""
        counts = {zone: 0 for zone in doc["zones"]}
        for slot in remaining:
            if slot.zone in counts:
                counts[slot.zone] += 1
        if counts and max(counts.values()) - min(counts.values()) > 1:
            shown = ", ".join(f"zone {zone}: {count}" for zone, count in counts.items())
            raise errors.OperationNotAllowed(
                f"Scaling Virtual Machine Scale Set '{doc['name']}' to {capacity} would leave its zones unbalanced "
                f"({shown}) and zoneBalance is true. Remove protection or choose a capacity that keeps every "
                "zone within one instance of the others.", target="sku.capacity")

    # --- quota ------------------------------------------------------------------------------------

    def _quota_limits(self, txn: Transaction, location: str) -> dict[str, int]:
        return {r["family"]: r["limit"] for r in txn.db(META).table("quotas").all() if r["location"] == location}

    def _usage(self, txn: Transaction, location: str, now: float, skip_key: str | None = None) -> dict[str, int]:
        """vCPUs held per family: every instance not deallocated (or heading there) and not being deleted."""
        usage: dict[str, int] = {}
        for key, found in read_summaries(self.store, txn, SETS_PREFIX):  # summary.summarize counts them
            if key == skip_key or not isinstance(found, SetSummary):
                continue
            if found.set_doc["location"] != location or not found.visible(now):
                continue
            for family, vcpus in found.usage.items():
                usage[family] = usage.get(family, 0) + vcpus
        return usage

    def _check_quota(self, txn: Transaction, location: str, needed: dict[str, int], skip_key: str | None = None) -> None:
        """Refuse a change that would take a family, or the region, over its vCPU quota."""
        if not any(needed.values()):
            return
        usage = self._usage(txn, location, self._now(), skip_key=skip_key)
        limits = self._quota_limits(txn, location)
        for family, extra in needed.items():
            limit = limits.get(family, DEFAULT_FAMILY_QUOTA)
            if usage.get(family, 0) + extra > limit:
                raise _quota_error(family, location, limit, usage.get(family, 0), extra)
        total_limit = limits.get(TOTAL_REGIONAL, DEFAULT_TOTAL_REGIONAL_QUOTA)
        total_used = sum(usage.values())
        total_extra = sum(needed.values())
        if total_used + total_extra > total_limit:
            raise _quota_error("Total Regional Cores", location, total_limit, total_used, total_extra)

    def _check_upgrade_quota(self, txn: Transaction, shard: _Shard, targets: list[dict[str, Any]]) -> None:
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
        self._check_quota(txn, shard.set_doc["location"], {f: v for f, v in needed.items() if v > 0})

    # --- views --------------------------------------------------------------------------------------

    def _scale_set_view(self, shard: _Shard, now: float, subscription_id: str) -> ScaleSet:
        return scale_set_view(shard.set_doc, len(shard.live_instances()), now, subscription_id)

    def _instance_views(self, shard: _Shard, now: float, subscription_id: str) -> list[Instance]:
        doc = shard.set_doc
        uniform = doc["mode"] == OrchestrationMode.UNIFORM.value
        views = []
        for record in shard.instances:
            power = PowerState(record["power"])
            prov = ProvisioningState(record["prov"])
            model, vm_size, image = record["model"], record["vm_size"], record["image"]
            tr = record.get("tr")
            if tr:
                if now >= tr["until"]:
                    if tr["kind"] == "delete":
                        continue
                    power = PowerState(tr["power"]) if tr.get("power") else power
                    prov = ProvisioningState(tr["prov"]) if tr.get("prov") else prov
                    model, vm_size, image = tr.get("model", model), tr.get("vm_size", vm_size), tr.get("image", image)
                elif now >= tr["start"]:
                    power = PowerState(tr["mid_power"]) if tr.get("mid_power") else power
                    prov = ProvisioningState(tr["mid_prov"])
            if uniform:
                resource_id = (f"/subscriptions/{subscription_id}/resourceGroups/{doc['rg']}/providers/"
                               f"Microsoft.Compute/virtualMachineScaleSets/{doc['name']}/virtualMachines/"
                               f"{record['instance_id']}")
            else:
                resource_id = (f"/subscriptions/{subscription_id}/resourceGroups/{doc['rg']}/providers/"
                               f"Microsoft.Compute/virtualMachines/{record['name']}")
            views.append(Instance(
                instance_id=record["instance_id"], name=record["name"], computer_name=record["computer_name"],
                scale_set_name=doc["name"], resource_group=doc["rg"], zone=record["zone"],
                fault_domain=record["fd"], update_domain=record.get("ud") if uniform else None, power_state=power,
                provisioning_state=prov,
                latest_model_applied=(not record.get("by_set", True)) or model >= doc["model"],
                protect_from_scale_in=bool(record.get("protect_scale_in")),
                protect_from_scale_set_actions=bool(record.get("protect_actions")), vm_size=vm_size,
                time_created=_dt(record["created"]), id=resource_id, image=image,
                priority=Priority(record.get("priority", Priority.REGULAR.value)), vm_id=record["vm_id"],
                created_by_scale_set=record.get("by_set", True),
            ))
        if uniform:
            views.sort(key=lambda i: int(i.instance_id))
        else:
            order = {r["instance_id"]: r["seq"] for r in shard.instances}
            views.sort(key=lambda i: order[i.instance_id])
        return views

    def _operation_view(self, op: dict[str, Any], now: float) -> Operation:
        untils = op["untils"]
        end = op["end"]
        running = now < end
        if untils:
            percent = 100.0 * bisect.bisect_right(untils, now) / len(untils)
        else:
            percent = 100.0 if not running else 100.0 * (now - op["start"]) / max(1e-9, end - op["start"])
        status = OperationStatus.IN_PROGRESS if running else OperationStatus(op["status"])
        error = ErrorInfo(**op["error"]) if op.get("error") and not running else None
        return Operation(
            id=op["id"], kind=op["kind"], resource_group=op["rg"], scale_set_name=op["set"], status=status,
            start_time=_dt(op["start"]), end_time=_dt(end), percent_complete=min(100.0, percent) if running else 100.0,
            instance_ids=tuple(op["ids"]), created_instance_ids=tuple(op["created"]),
            removed_instance_ids=tuple(op["removed"]), skipped_instance_ids=tuple(op["skipped"]), error=error,
            message=op["message"],
        )


FLEXIBLE_AUTO_NAME_MAX = 44
"""`{set}_{8 hex}` names are capped at 44 characters (instance-ids doc); the set part is cut to fit."""


def _flexible_vm_name(set_name: str, rng: random.Random) -> str:
    """A VM name for a Flexible set: the set name (shortened to fit 44 characters) and 8 hex digits."""
    stem = set_name[: FLEXIBLE_AUTO_NAME_MAX - 9].rstrip(".-")
    return f"{stem}_{rng.getrandbits(32):08x}"


def _quota_error(family: str, location: str, limit: int, used: int, extra: int) -> errors.QuotaExceeded:
    """Azure's quota text, as `az` prints it."""
    return errors.QuotaExceeded(
        f"Operation could not be completed as it results in exceeding approved {family} Cores quota. Additional "
        f"details - Deployment Model: Resource Manager, Location: {location}, Current Limit: {limit}, Current Usage: "
        f"{used}, Additional Required: {extra}, (Minimum) New Limit Required: {used + extra}. Submit a request for "
        "Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView.",
        target=family,
    )


def open_emulator(db: str | Path | None = None, speed: Speed | str | None = None, clock: Clock | None = None,
                  rng: random.Random | None = None, durable: bool = True, seed: bool | None = None,
                  **_ignored: Any) -> EmulatorBackend:
    """Open the emulator on a store directory.

    Args:
        db: Store directory; None for the default store in the user data dir.
        speed: instant | fast | real (default fast).
        clock: Injectable clock (FakeClock in tests).
        rng: Injectable randomness for names and ids.
        durable: fsync writes (off only for throwaway stores).
        seed: Seed the practice estate when the store is new; default True only for the default store.
    """
    if db is None:
        from . import default_store_path

        root = default_store_path()
        seed = True if seed is None else seed
    else:
        root = Path(db).expanduser()
        seed = False if seed is None else seed
    if root.exists() and not root.is_dir():
        raise errors.InvalidParameter(f"The emulator store '{root}' is a file; --db needs a directory.",
                                      target="db")
    is_new = not (root / f"{META}.json").exists()
    backend = EmulatorBackend(Store(root, durable=durable, index=SummaryIndex()), clock=clock, speed=parse_speed(speed), rng=rng)
    if is_new and seed:
        backend.seed_practice_estate()
    return backend
