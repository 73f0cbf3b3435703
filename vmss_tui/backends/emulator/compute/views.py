"""Stored records -> domain views (`Instance`, a damaged set's `ScaleSet`), as seen at a time."""

from __future__ import annotations

import math
from datetime import datetime
from operator import itemgetter
from typing import Any, Iterable

from ....domain.models import (
    Instance,
    OrchestrationMode,
    PowerState,
    Priority,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    UpgradeMode,
    unknown_value,
)
from ..engine.operations import epoch_datetime

DAMAGED = "Damaged"
"""The provisioning state shown for a set whose file cannot be read (an emulator-only value)."""


Resolved = tuple[str, str, int, str, "str | None"]
"""(power, provisioning, model, vm size, image) of an instance as seen at some time, as stored strings."""


_STORED_STATE = itemgetter("power", "prov", "model", "vm_size", "image")
"""An instance's state as stored (a transition in `tr` may have moved it since)."""


def resolve(record: dict[str, Any], now: float) -> Resolved | None:
    """The instance's state at `now` from its stored doc and transition; None once its deletion finished."""
    tr = record.get("tr")
    if not tr:
        return _STORED_STATE(record)
    power, prov, model, vm_size, image = _STORED_STATE(record)
    if now >= tr["until"]:
        if tr["kind"] == "delete":
            return None
        power = tr.get("power") or power
        prov = tr.get("prov") or prov
        model, vm_size, image = tr.get("model", model), tr.get("vm_size", vm_size), tr.get("image", image)
    elif now >= tr["start"]:
        power = tr.get("mid_power") or power
        prov = tr["mid_prov"]
    return power, prov, model, vm_size, image


_POWER = {state.value: state for state in PowerState}
_PROVISIONING = {state.value: state for state in ProvisioningState}
_PRIORITY = {priority.value: priority for priority in Priority}


def _new_instance(values: dict[str, Any]) -> Instance:
    """An `Instance` from a complete field dict (which it then owns), without the frozen dataclass's `__init__`.

    That `__init__` sets each of its 22 fields through `object.__setattr__` and costs about four
    times the rest of a view; a status refresh right after a change to every instance of a
    1000-instance set builds 1000 of them. The dict becomes the object's own `__dict__` (no copy).
    The result is the same object (equal, hashable, frozen); tests/emulator/test_views.py checks
    that against the constructor, field by field.
    """
    instance = object.__new__(Instance)
    object.__setattr__(instance, "__dict__", values)  # the frozen dataclass refuses a plain assignment
    return instance


_UNIFORM = OrchestrationMode.UNIFORM.value
_REGULAR = Priority.REGULAR.value

Stored = tuple[Any, ...]
"""What `stored_fields` reads of a record (None where absent): all `_build` reads of it, so a view is
reused exactly while these and the resolved state are unchanged."""


def stored_fields(record: dict[str, Any]) -> Stored:
    """The stored keys a view is built from besides its state (`resolve`), in the order `_build` unpacks
    them (a literal tuple: twice as fast as a loop over a key list)."""
    get = record.get
    return (record["instance_id"], record["name"], record["computer_name"], record["zone"], record["fd"], get("ud"),
            record["created"], get("by_set"), get("protect_scale_in"), get("protect_actions"), get("priority"),
            record["vm_id"], get("ip"), get("ep"), get("pub"), get("nic"), get("tags"))


def _build(set_doc: dict[str, Any], stored: Stored, resolved: Resolved, subscription_id: str,
           created_at: dict[float, datetime] | None = None) -> Instance:
    (instance_id, name, computer_name, zone, fd, ud, created, by_set, protect_scale_in, protect_actions,
     priority, vm_id, ip, ep, pub, nic, tags) = stored
    power, prov, model, vm_size, image = resolved
    uniform = set_doc["mode"] == _UNIFORM
    prefix = f"/subscriptions/{subscription_id}/resourceGroups/{set_doc['rg']}/providers/Microsoft.Compute/"
    if uniform:
        resource_id = f"{prefix}virtualMachineScaleSets/{set_doc['name']}/virtualMachines/{instance_id}"
    else:
        resource_id = f"{prefix}virtualMachines/{name}"
    time_created = created_at.get(created) if created_at is not None else None
    if time_created is None:  # instances created together share one timestamp: convert it once
        time_created = epoch_datetime(created)
        if created_at is not None:
            created_at[created] = time_created
    by_set = True if by_set is None else by_set
    return _new_instance({
        "instance_id": instance_id, "name": name, "computer_name": computer_name,
        "scale_set_name": set_doc["name"], "resource_group": set_doc["rg"], "zone": zone,
        "fault_domain": fd, "update_domain": ud if uniform else None,
        "power_state": _POWER[power], "provisioning_state": _PROVISIONING[prov],
        "latest_model_applied": (not by_set) or model >= set_doc["model"],
        "protect_from_scale_in": bool(protect_scale_in),
        "protect_from_scale_set_actions": bool(protect_actions), "vm_size": vm_size,
        "time_created": time_created, "id": resource_id, "image": image,
        "priority": _PRIORITY[_REGULAR if priority is None else priority], "vm_id": vm_id,
        "created_by_scale_set": by_set, "private_ip": ip, "public_endpoint": ep,
        "public_ip": pub, "nic_id": nic,
        "tags": tuple(sorted(tags.items())) if tags else (),
    })


def instance_view(set_doc: dict[str, Any], record: dict[str, Any], now: float, subscription_id: str) -> Instance | None:
    """One instance as seen at `now`; None once its deletion has finished."""
    resolved = resolve(record, now)
    return None if resolved is None else _build(set_doc, stored_fields(record), resolved, subscription_id)


ViewMemo = dict[str, tuple[Stored, Resolved, Instance]]
"""instance id -> (its stored fields, its resolved state, the view built from them)."""


def _with_state(view: Instance, resolved: Resolved, set_model: int) -> Instance:
    """`view` with another resolved state (power, provisioning, model, size, image); the rest is unchanged."""
    power, prov, model, vm_size, image = resolved
    values = view.__dict__.copy()  # a flat copy of a dict with the same keys: the cheapest way to 22 fields
    values["power_state"] = _POWER[power]
    values["provisioning_state"] = _PROVISIONING[prov]
    values["vm_size"] = vm_size
    values["image"] = image
    values["latest_model_applied"] = (not values["created_by_scale_set"]) or model >= set_model
    instance = object.__new__(Instance)
    object.__setattr__(instance, "__dict__", values)
    return instance


def set_fingerprint(set_doc: dict[str, Any], subscription_id: str) -> tuple[Any, ...]:
    """The set-level inputs of every instance view (a change to any of them rebuilds them all)."""
    return set_doc["name"], set_doc["rg"], set_doc["mode"], set_doc["model"], subscription_id


def instance_views(set_doc: dict[str, Any], records: Iterable[dict[str, Any]], now: float,
                   subscription_id: str, memo: ViewMemo | None = None) -> tuple[list[Instance], ViewMemo, float]:
    """A set's instances at `now` (Uniform by numeric id, Flexible in creation order), the memo for the next
    call, and the first time after `now` at which any of them changes state (inf when none is pending).

    A view from `memo` is reused when the instance's stored fields and resolved state are what it was
    built from (the caller keeps a memo only while `set_fingerprint` is unchanged): after a change to a
    few instances of a 1000-instance set, only those are rebuilt, and an unchanged instance keeps its
    memo entry (no new object); when only the state moved (a stop of every instance), the old view is
    copied with the new state instead of built again.
    """
    memo = memo or {}
    created_at: dict[float, datetime] = {}
    fresh: ViewMemo = {}
    views: list[Instance] = []
    uniform = set_doc["mode"] == _UNIFORM
    order: dict[str, int] = {}
    set_model = set_doc["model"]
    stored_state = _STORED_STATE
    due = math.inf
    for record in records:
        tr = record.get("tr")
        if tr:
            start, until = tr["start"], tr["until"]
            if now < start < due:
                due = start
            if now < until < due:
                due = until
            resolved = resolve(record, now)
            if resolved is None:
                continue
        else:
            resolved = stored_state(record)
        stored = stored_fields(record)
        instance_id = stored[0]
        known = memo.get(instance_id)
        if known is None or known[0] != stored:
            entry = (stored, resolved, _build(set_doc, stored, resolved, subscription_id, created_at))
        elif known[1] != resolved:
            entry = (known[0], resolved, _with_state(known[2], resolved, set_model))
        else:
            entry = known
        fresh[instance_id] = entry
        views.append(entry[2])
        if not uniform:
            order[instance_id] = record["seq"]
    if uniform:
        views.sort(key=lambda i: int(i.instance_id))
    else:
        views.sort(key=lambda i: order[i.instance_id])
    return views, fresh, due


def damaged_view(group: str, name: str, reason: str, subscription_id: str) -> ScaleSet:
    """A set whose file cannot be read: listed (state Damaged) so nobody reuses its name unawares."""
    return ScaleSet(
        name=name, resource_group=group, location="", orchestration_mode=unknown_value(OrchestrationMode, ""),
        capacity=0, vm_size=None, image=None, platform_fault_domain_count=0, zones=(),
        single_placement_group=None, scale_in_policy=ScaleInRule.DEFAULT, upgrade_policy=UpgradeMode.MANUAL,
        provisioning_state=unknown_value(ProvisioningState, DAMAGED), time_created=epoch_datetime(0),
        id=(f"/subscriptions/{subscription_id}/resourceGroups/{group}/providers/Microsoft.Compute/"
            f"virtualMachineScaleSets/{name}"),
        subscription_id=subscription_id, tags=(("vmss-tui-damaged", reason[:200]),),
    )
