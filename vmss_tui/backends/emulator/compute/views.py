"""Stored records -> domain views (`Instance`, a damaged set's `ScaleSet`), as seen at a time."""

from __future__ import annotations

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


def instance_view(set_doc: dict[str, Any], record: dict[str, Any], now: float, subscription_id: str) -> Instance | None:
    """One instance as seen at `now`; None once its deletion has finished."""
    uniform = set_doc["mode"] == OrchestrationMode.UNIFORM.value
    power = PowerState(record["power"])
    prov = ProvisioningState(record["prov"])
    model, vm_size, image = record["model"], record["vm_size"], record["image"]
    tr = record.get("tr")
    if tr:
        if now >= tr["until"]:
            if tr["kind"] == "delete":
                return None
            power = PowerState(tr["power"]) if tr.get("power") else power
            prov = ProvisioningState(tr["prov"]) if tr.get("prov") else prov
            model, vm_size, image = tr.get("model", model), tr.get("vm_size", vm_size), tr.get("image", image)
        elif now >= tr["start"]:
            power = PowerState(tr["mid_power"]) if tr.get("mid_power") else power
            prov = ProvisioningState(tr["mid_prov"])
    if uniform:
        resource_id = (f"/subscriptions/{subscription_id}/resourceGroups/{set_doc['rg']}/providers/"
                       f"Microsoft.Compute/virtualMachineScaleSets/{set_doc['name']}/virtualMachines/"
                       f"{record['instance_id']}")
    else:
        resource_id = (f"/subscriptions/{subscription_id}/resourceGroups/{set_doc['rg']}/providers/"
                       f"Microsoft.Compute/virtualMachines/{record['name']}")
    return Instance(
        instance_id=record["instance_id"], name=record["name"], computer_name=record["computer_name"],
        scale_set_name=set_doc["name"], resource_group=set_doc["rg"], zone=record["zone"],
        fault_domain=record["fd"], update_domain=record.get("ud") if uniform else None, power_state=power,
        provisioning_state=prov,
        latest_model_applied=(not record.get("by_set", True)) or model >= set_doc["model"],
        protect_from_scale_in=bool(record.get("protect_scale_in")),
        protect_from_scale_set_actions=bool(record.get("protect_actions")), vm_size=vm_size,
        time_created=epoch_datetime(record["created"]), id=resource_id, image=image,
        priority=Priority(record.get("priority", Priority.REGULAR.value)), vm_id=record["vm_id"],
        created_by_scale_set=record.get("by_set", True),
    )


def instance_views(set_doc: dict[str, Any], records: Iterable[dict[str, Any]], now: float,
                   subscription_id: str) -> list[Instance]:
    """A set's instances at `now`: Uniform by numeric id, Flexible in creation order."""
    records = list(records)
    views = [view for view in (instance_view(set_doc, record, now, subscription_id) for record in records)
             if view is not None]
    if set_doc["mode"] == OrchestrationMode.UNIFORM.value:
        views.sort(key=lambda i: int(i.instance_id))
    else:
        order = {r["instance_id"]: r["seq"] for r in records}
        views.sort(key=lambda i: order[i.instance_id])
    return views


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
