"""Long-running operations: the stored record, the `Operation` view of it at a time, and waiting.

An operation record holds its start, its end and the sorted finish times ("untils") of every step,
so its progress at any moment is computed, never advanced by a thread. Stored keys (`rg`, `set`,
`untils`, ...) are unchanged from earlier versions: no migration.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timezone
from typing import Any, Callable

from ....domain import errors
from ....domain.models import ErrorInfo, Operation, OperationStatus, ProgressCallback
from .context import Context

OPERATIONS_KEPT = 100
"""Operation records kept per shard (the oldest are dropped)."""

RecordReader = Callable[[str, "tuple[str, str] | None"], dict[str, Any]]
"""(operation id, (resource group, set name) hint) -> the stored record, or ResourceNotFound."""


def epoch_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def new_operation(ctx: Context, operations: list[dict[str, Any]], resource_group: str, target_name: str,
                  kind: str, now: float, message: str) -> dict[str, Any]:
    """A fresh record appended to `operations` (the shard it is saved with)."""
    op = {"id": ctx.new_uuid(), "kind": kind, "rg": resource_group, "set": target_name, "start": now, "end": now,
          "untils": [], "ids": [], "created": [], "removed": [], "skipped": [],
          "status": OperationStatus.SUCCEEDED.value, "error": None, "message": message}
    operations.append(op)
    return op


def find_record(operation_id: str, shards: Any) -> dict[str, Any] | None:
    """The record with this id among (key, tables) pairs, or None."""
    for _key, data in shards:
        for doc in data.get("operations", {}).values():
            if doc["id"] == operation_id:
                return doc
    return None


def not_found(operation_id: str) -> errors.ResourceNotFound:
    return errors.ResourceNotFound(f"Operation '{operation_id}' was not found.", target=operation_id)


def operation_view(op: dict[str, Any], now: float) -> Operation:
    """The operation as seen at `now`: running until its end, then its recorded status."""
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
        start_time=epoch_datetime(op["start"]), end_time=epoch_datetime(end),
        percent_complete=min(100.0, percent) if running else 100.0,
        instance_ids=tuple(op["ids"]), created_instance_ids=tuple(op["created"]),
        removed_instance_ids=tuple(op["removed"]), skipped_instance_ids=tuple(op["skipped"]), error=error,
        message=op["message"],
    )


def wait(ctx: Context, read_record: RecordReader, operation: Operation, *, progress: ProgressCallback | None = None,
         timeout: float | None = None) -> Operation:
    """Poll the stored record until the operation is done (or `timeout` seconds of emulator time pass)."""
    started = ctx.now()
    current = operation
    while True:
        try:
            record = read_record(operation.id, (operation.resource_group, operation.scale_set_name))
        except errors.ResourceNotFound:
            return current
        now = ctx.now()
        current = operation_view(record, now)
        if progress is not None:
            progress(current)
        if current.done:
            return current
        if timeout is not None and now - started >= timeout:
            return current
        # Wake exactly when the next step of this operation finishes (at most every 0.25 s).
        next_step = min([u for u in record["untils"] if u > now] or [record["end"]])
        delay = min(0.25, max(0.01, next_step - now))
        if timeout is not None:
            delay = min(delay, max(0.0, started + timeout - now))
        ctx.clock.sleep(delay)
