"""Capacity planning: where new instances go and which ones a scale-in removes (no I/O)."""

from __future__ import annotations

from typing import Any, Iterable

from ....domain import errors
from ....domain.models import (
    CapacityPlan,
    OrchestrationMode,
    PlannedInstance,
    PlannedRemoval,
    ScaleInRule,
)
from ....domain.sizes import find_size
from .. import rules
from .shard import SetShard, is_deleting


def slots(docs: Iterable[dict[str, Any]], uniform: bool) -> list[rules.Slot]:
    return [rules.Slot(instance_id=d["instance_id"], zone=d["zone"], fault_domain=d["fd"],
                       update_domain=d.get("ud"), order=d["seq"],
                       numeric_id=int(d["instance_id"]) if uniform else -1,
                       protected=bool(d.get("protect_scale_in") or d.get("protect_actions")))
            for d in docs]


def initial_single_placement_group(mode: OrchestrationMode, zones: tuple[str, ...], requested: bool | None,
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


def plan(shard: SetShard, capacity: int) -> CapacityPlan:
    """What a change of capacity would create and remove, or Azure's refusal."""
    doc = shard.set_doc
    mode = OrchestrationMode(doc["mode"])
    rules.validate_capacity(capacity)
    live = [d for d in shard.instances if not is_deleting(d)]
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
    placed = slots(live, uniform)
    to_create: list[PlannedInstance] = []
    to_remove: list[PlannedRemoval] = []
    protected = tuple(s.instance_id for s in placed if s.protected)
    if capacity > current:
        placements = rules.place_new_instances(capacity - current, placed, doc["zones"], doc["fd"],
                                               with_update_domains=uniform)
        for index, (zone, fd, ud) in enumerate(placements):
            planned_id = str(doc["next_id"] + index) if uniform else None
            to_create.append(PlannedInstance(instance_id=planned_id, zone=zone, fault_domain=fd, update_domain=ud))
    elif capacity < current:
        victims = rules.choose_scale_in_victims(current - capacity, placed, doc["zones"],
                                                ScaleInRule(doc["rule"]), mode)
        to_remove = [PlannedRemoval(instance_id=v.slot.instance_id, zone=v.slot.zone,
                                    fault_domain=v.slot.fault_domain, reason=v.reason) for v in victims]
        if protected:
            notes.append(f"{len(protected)} protected instance(s) are never chosen: {', '.join(protected)}")
        if doc["zone_balance"]:
            require_zone_balance(doc, [s for s in placed if s.instance_id not in
                                             {r.instance_id for r in to_remove}], capacity)
    else:
        notes.append("capacity unchanged: nothing to do")
    return CapacityPlan(resource_group=doc["rg"], scale_set_name=doc["name"], current_capacity=current,
                        target_capacity=capacity, to_create=tuple(to_create), to_remove=tuple(to_remove),
                        protected_instance_ids=protected, notes=tuple(notes))


def require_zone_balance(doc: dict[str, Any], remaining: list[rules.Slot], capacity: int) -> None:
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

