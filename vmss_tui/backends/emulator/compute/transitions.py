"""Instance state over time: the steps an action schedules, and folding finished steps into stored state.

Nothing advances state in the background. An action records on each instance a transition
(`tr`: kind, start, until, the states while running and after) and every read computes the state
at its own `now`; a write first folds finished transitions into the stored docs (`settle`).
"""

from __future__ import annotations

import bisect
from typing import Any

from ....domain.models import PowerState, ProvisioningState
from ..resources import groups
from ..store import Store, Transaction
from ..summary import SetSummary, read_summaries
from ..timing import Speed, duration, staggered
from .shard import SETS_PREFIX, SetShard

STEPS = {
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
ROLLING_BATCH_FRACTION = 0.2


def transition(kind: str, start: float, until: float, op_id: str, **extra: Any) -> dict[str, Any]:
    """The `tr` record of one instance step."""
    mid_power, mid_prov, final_power, final_prov = STEPS[kind]
    return {"kind": kind, "start": start, "until": until, "op": op_id,
            "mid_power": mid_power.value if mid_power else None, "mid_prov": mid_prov.value,
            "power": final_power.value if final_power else None,
            "prov": final_prov.value if final_prov else None, **extra}


def apply_final(doc: dict[str, Any], tr: dict[str, Any]) -> None:
    """Write a finished step's outcome into the instance doc."""
    if tr.get("power"):
        doc["power"] = tr["power"]
    if tr.get("prov"):
        doc["prov"] = tr["prov"]
    for field_name in ("model", "vm_size", "image"):
        if field_name in tr:
            doc[field_name] = tr[field_name]


def effective_power(doc: dict[str, Any], now: float) -> tuple[PowerState, str | None]:
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


def schedule(speed: Speed, docs: list[dict[str, Any]], kind: str, now: float, op: dict[str, Any], *,
             force: bool = False) -> None:
    """Start the same step on several instances at once (they finish staggered)."""
    base = duration("delete" if kind == "delete" else kind, speed) * (0.5 if force else 1.0)
    for index, doc in enumerate(docs):
        if doc.get("tr") and now >= doc["tr"]["until"]:
            apply_final(doc, doc["tr"])
        until = now + staggered(base, index, len(docs))
        doc["tr"] = transition(kind, now, until, op["id"])
        bisect.insort(op["untils"], until)


def schedule_upgrades(speed: Speed, shard: SetShard, docs: list[dict[str, Any]], now: float, op: dict[str, Any], *,
                      rolling: bool) -> None:
    """Upgrade instances to the latest model: all at once, or in batches of 20 % (Rolling)."""
    doc = shard.set_doc
    base = duration("upgrade", speed)
    batch_size = max(1, -(-len(docs) * 2 // 10)) if rolling else max(1, len(docs))
    for index, target in enumerate(docs):
        batch = index // batch_size
        start = now + batch * base
        until = start + base
        target["tr"] = transition("upgrade", start, until, op["id"], model=doc["model"],
                                  vm_size=doc["vm_size"], image=doc["image"])
        bisect.insort(op["untils"], until)
    op["ids"] = [d["instance_id"] for d in docs]


def settle(shard: SetShard, now: float) -> None:
    """Apply transitions that have finished; drop instances whose deletion finished."""
    kept = []
    for doc in shard.instances:
        tr = doc.get("tr")
        if tr and now >= tr["until"]:
            if tr["kind"] == "delete":
                continue
            apply_final(doc, tr)
            doc["tr"] = None
        kept.append(doc)
    shard.instances = kept
    busy = shard.set_doc.get("busy")
    if busy and now >= busy["until"] and busy["kind"] != ProvisioningState.DELETING.value:
        shard.set_doc["busy"] = None


def purge_finished_deletes(store: Store, txn: Transaction, now: float) -> None:
    """Remove shards of sets whose deletion finished, keeping their operations in the subscription shard."""
    for key, found in list(read_summaries(store, txn, SETS_PREFIX)):  # no instance is read
        if isinstance(found, SetSummary) and not found.visible(now):
            groups.keep_operations(txn, [dict(d) for d in txn.db(key).table("operations").all()])
            txn.drop(key)
