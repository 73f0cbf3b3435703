"""The Azure-AsyncOperation status body <-> domain operations."""

from __future__ import annotations

from typing import Any

from ..domain.models import Operation, OperationStatus
from .values import format_time


def operation_status_json(operation: Operation, status: OperationStatus | None = None,
                          status_url_path: str = "") -> dict[str, Any]:
    """The Azure-AsyncOperation body of `operation` (with `status` overriding its own)."""
    effective = status or operation.status
    body: dict[str, Any] = {
        "id": status_url_path or operation.id,
        "name": operation.id,
        "status": effective.value,
        "startTime": format_time(operation.start_time),
        "percentComplete": round(operation.percent_complete if effective is operation.status
                                 else min(operation.percent_complete, 99.0), 1),
    }
    if effective.is_terminal and operation.end_time is not None:
        body["endTime"] = format_time(operation.end_time)
    if effective is OperationStatus.FAILED and operation.error is not None:
        error: dict[str, Any] = {"code": operation.error.code, "message": operation.error.message}
        if operation.error.target:
            error["target"] = operation.error.target
        body["error"] = error
    return body


def operation_status_from_text(text: Any) -> OperationStatus:
    """ARM's open set of statuses: the three terminal ones, anything else still running."""
    for status in (OperationStatus.SUCCEEDED, OperationStatus.FAILED, OperationStatus.CANCELED):
        if str(text or "").lower() == status.value.lower():
            return status
    return OperationStatus.IN_PROGRESS


