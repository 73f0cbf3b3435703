"""Stored records -> domain views (`Instance`, a damaged set's `ScaleSet`), as seen at a time."""

from __future__ import annotations

import math
from datetime import datetime
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


def resolve(record: dict[str, Any], now: float) -> Resolved | None:
    """The instance's state at `now` from its stored doc and transition; None once its deletion finished."""
    power, prov = record["power"], record["prov"]
    model, vm_size, image = record["model"], record["vm_size"], record["image"]
    tr = record.get("tr")
    if tr:
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
    """An `Instance` from a complete field dict, without the frozen dataclass's `__init__`.

    That `__init__` sets each of its 22 fields through `object.__setattr__` and costs about four
    times the rest of a view; a status refresh right after a change to every instance of a
    1000-instance set builds 1000 of them. The result is the same object (equal, hashable,
    frozen); tests/emulator/test_views.py checks that against the constructor, field by field.
    """
    instance = object.__new__(Instance)
    instance.__dict__.update(values)
    return instance


_UNIFORM = OrchestrationMode.UNIFORM.value
_REGULAR = Priority.REGULAR.value


def _build(set_doc: dict[str, Any], record: dict[str, Any], resolved: Resolved, subscription_id: str,
           created_at: dict[float, datetime] | None = None) -> Instance:
    power, prov, model, vm_size, image = resolved
    uniform = set_doc["mode"] == _UNIFORM
    prefix = f"/subscriptions/{subscription_id}/resourceGroups/{set_doc['rg']}/providers/Microsoft.Compute/"
    if uniform:
        resource_id = f"{prefix}virtualMachineScaleSets/{set_doc['name']}/virtualMachines/{record['instance_id']}"
    else:
        resource_id = f"{prefix}virtualMachines/{record['name']}"
    created = record["created"]
    time_created = created_at.get(created) if created_at is not None else None
    if time_created is None:  # instances created together share one timestamp: convert it once
        time_created = epoch_datetime(created)
        if created_at is not None:
            created_at[created] = time_created
    by_set = record.get("by_set", True)
    return _new_instance({
        "instance_id": record["instance_id"], "name": record["name"], "computer_name": record["computer_name"],
        "scale_set_name": set_doc["name"], "resource_group": set_doc["rg"], "zone": record["zone"],
        "fault_domain": record["fd"], "update_domain": record.get("ud") if uniform else None,
        "power_state": _POWER[power], "provisioning_state": _PROVISIONING[prov],
        "latest_model_applied": (not by_set) or model >= set_doc["model"],
        "protect_from_scale_in": bool(record.get("protect_scale_in")),
        "protect_from_scale_set_actions": bool(record.get("protect_actions")), "vm_size": vm_size,
        "time_created": time_created, "id": resource_id, "image": image,
        "priority": _PRIORITY[record.get("priority", _REGULAR)], "vm_id": record["vm_id"],
        "created_by_scale_set": by_set, "private_ip": record.get("ip"), "public_endpoint": record.get("ep"),
        "public_ip": record.get("pub"), "nic_id": record.get("nic"),
        "tags": tuple(sorted((record.get("tags") or {}).items())),
    })


def instance_view(set_doc: dict[str, Any], record: dict[str, Any], now: float, subscription_id: str) -> Instance | None:
    """One instance as seen at `now`; None once its deletion has finished."""
    resolved = resolve(record, now)
    return None if resolved is None else _build(set_doc, record, resolved, subscription_id)


ViewMemo = dict[str, tuple[tuple[Any, ...], Resolved, Instance]]
"""instance id -> (its stored fields, its resolved state, the view built from them)."""


def _with_state(view: Instance, resolved: Resolved, set_model: int) -> Instance:
    """`view` with another resolved state (power, provisioning, model, size, image); the rest is unchanged."""
    power, prov, model, vm_size, image = resolved
    instance = object.__new__(Instance)
    values = instance.__dict__  # filled in place: no copy of the fields, no keyword dict
    values.update(view.__dict__)
    values["power_state"] = _POWER[power]
    values["provisioning_state"] = _PROVISIONING[prov]
    values["vm_size"] = vm_size
    values["image"] = image
    values["latest_model_applied"] = (not view.created_by_scale_set) or model >= set_model
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
    few instances of a 1000-instance set, only those are rebuilt; when only the state moved (a stop of
    every instance), the old view is copied with the new state instead of built again.
    """
    memo = memo or {}
    created_at: dict[float, datetime] = {}
    fresh: ViewMemo = {}
    views: list[Instance] = []
    order: dict[str, int] = {}
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
        instance_id = record["instance_id"]
        stored = (record["name"], record["computer_name"], record["zone"], record["fd"], record.get("ud"),
                  record.get("protect_scale_in"), record.get("protect_actions"), record["created"],
                  record.get("priority"), record["vm_id"], record.get("by_set", True), record.get("ip"),
                  record.get("ep"), tuple((record.get("tags") or {}).items()))
        known = memo.get(instance_id)
        if known is None or known[0] != stored:
            view = _build(set_doc, record, resolved, subscription_id, created_at)
        elif known[1] != resolved:
            view = _with_state(known[2], resolved, set_doc["model"])
        else:
            view = known[2]
        fresh[instance_id] = (stored, resolved, view)
        views.append(view)
        order[instance_id] = record["seq"]
    if set_doc["mode"] == _UNIFORM:
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
