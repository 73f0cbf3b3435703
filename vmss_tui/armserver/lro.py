"""ARM's long-running-operation protocol: status URLs, 201/202 headers, and polls counted per operation.

Header forms as Microsoft.Compute sends them (a recorded azure-sdk session, docs/emulator-fidelity.md):
`Azure-AsyncOperation: .../providers/Microsoft.Compute/locations/{loc}/operations/{id}?p=...&api-version=V`
and, on 202s, `Location:` the same URL with `monitor=true`. A GET of the monitor URL answers 202 while
the operation runs and 204 when it succeeded (the operation's error when it failed). Microsoft.Resources
(a group delete) sends only `Location: /subscriptions/{sub}/operationresults/{id}?api-version=V`.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote, urlencode, urlsplit

from ..arm import lro as arm_lro
from ..domain import errors
from ..domain.models import ErrorInfo, Operation, OperationStatus
from .routing import Request, Response, error_response


@dataclass
class _Tracked:
    location: str
    polls: int = 0


class OperationTracker:
    """Status URLs of the operations this server started, and how often each was polled."""

    def __init__(self, settings: Any, subscription_id: str, default_location: str,
                 get_operation: Callable[[str], Operation]) -> None:
        self.settings = settings
        self.subscription_id = subscription_id
        self.default_location = default_location
        self._get_operation = get_operation
        self._lock = threading.Lock()
        self._operations: dict[str, _Tracked] = {}

    def poll_count(self, operation_id: str) -> int:
        """How many times clients asked for this operation's status (any status URL)."""
        with self._lock:
            tracked = self._operations.get(operation_id)
            return tracked.polls if tracked else 0

    # ------------------------------------------------------------ starting

    def _compute_status_url(self, request: Request, operation: Operation, location: str, *, monitor: bool) -> str:
        with self._lock:
            self._operations[operation.id] = _Tracked(location=location)
        query = {"p": str(uuid.uuid5(uuid.NAMESPACE_URL, operation.id))}
        if monitor:
            query["monitor"] = "true"
        query["api-version"] = request.api_version
        return (f"{request.base_url}/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/"
                f"locations/{location}/operations/{quote(operation.id, safe='')}?{urlencode(query)}")

    def _headers(self, request: Request, operation: Operation, location: str, *, with_location: bool) -> dict[str, str]:
        headers = {"Azure-AsyncOperation": self._compute_status_url(request, operation, location, monitor=False)}
        if with_location:
            headers["Location"] = self._compute_status_url(request, operation, location, monitor=True)
        if self.settings.lro_retry_after is not None:
            headers["Retry-After"] = str(self.settings.lro_retry_after)
        return headers

    def accepted(self, request: Request, operation: Operation, location: str) -> Response:
        """202 for POST and DELETE: no body, status in both headers."""
        return Response(202, None, self._headers(request, operation, location, with_location=True))

    def started(self, request: Request, operation: Operation, location: str, status: int,
                body: dict[str, Any]) -> Response:
        """200/201 for PUT and PATCH: the resource as it is now, status in Azure-AsyncOperation."""
        return Response(status, body, self._headers(request, operation, location, with_location=False))

    def accepted_by_resources(self, request: Request, operation: Operation) -> Response:
        """202 for a Microsoft.Resources delete: only `Location`, under the subscription."""
        with self._lock:
            self._operations[operation.id] = _Tracked(location=self.default_location)
        query = urlencode({"api-version": request.api_version})
        headers = {"Location": (f"{request.base_url}/subscriptions/{self.subscription_id}/operationresults/"
                                f"{quote(operation.id, safe='')}?{query}")}
        headers["Retry-After"] = str(self.settings.lro_retry_after if self.settings.lro_retry_after is not None
                                     else 0)
        return Response(202, None, headers)

    # ------------------------------------------------------------ polling

    def effective_status(self, op_id: str) -> tuple[Operation, OperationStatus]:
        operation = self._get_operation(op_id)
        with self._lock:
            tracked = self._operations.setdefault(op_id, _Tracked(location=self.default_location))
            polls_so_far = tracked.polls
            tracked.polls += 1
        if operation.status.is_terminal and polls_so_far < self.settings.lro_min_polls:
            return operation, OperationStatus.IN_PROGRESS
        return operation, operation.status

    def status(self, request: Request, op: str) -> Response:
        """The Azure-AsyncOperation body; with `monitor=true`, the Location protocol instead."""
        if request.query.get("monitor", "").lower() == "true":
            return self.result(request, op)
        operation, status = self.effective_status(op)
        headers: dict[str, str] = {}
        if not status.is_terminal and self.settings.lro_retry_after is not None:
            headers["Retry-After"] = str(self.settings.lro_retry_after)
        return Response(200, arm_lro.operation_status_json(operation, status, urlsplit(request.path).path), headers)

    def result(self, request: Request, op: str) -> Response:
        """The Location protocol: 202 (same URL) while running, 204 on success, the error on failure."""
        operation, status = self.effective_status(op)
        if not status.is_terminal:
            headers = {"Location": f"{request.base_url}{request.path}?{urlencode(request.raw_query)}"}
            if self.settings.lro_retry_after is not None:
                headers["Retry-After"] = str(self.settings.lro_retry_after)
            return Response(202, None, headers)
        if status is OperationStatus.SUCCEEDED:
            return Response(204)
        error = operation.error or ErrorInfo("OperationCanceled", "The operation was canceled.")
        return error_response(errors.error_from_code(error.code, error.message, target=error.target))

    def resources_result(self, request: Request, op: str) -> Response:
        """Microsoft.Resources' operationresults: 202 (same URL) while running, 200 when done, else the error."""
        response = self.result(request, op)
        return Response(200, None, response.headers) if response.status == 204 else response
