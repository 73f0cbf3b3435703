"""The Microsoft.Compute REST subset, served from any `Backend`, independent of the socket layer.

`ArmApp.handle()` turns one HTTP request into one response; `server.py` puts it behind
HTTPS. Routing, JSON shapes, paging, error bodies and the long-running-operation protocol
follow azure-semantics.md §4-§5, so the real `azure-mgmt-compute` SDK (and `az rest`) can
drive the emulator as if it were Azure.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import orjson

from ..arm import compute as arm_compute
from ..arm import jsonpath
from ..arm import lro as arm_lro
from ..backends.protocol import Backend
from ..domain import errors
from ..domain import ids as resource_ids
from ..domain.models import ErrorInfo, Instance, Operation, OperationStatus, PowerAction, ScaleSet
from ..domain.names import shown
from . import validation
from .views import ChainedRows, RowCache

log = logging.getLogger(__name__)

_ACTIONS: dict[str, PowerAction] = {
    "start": PowerAction.START,
    "poweroff": PowerAction.POWER_OFF,
    "deallocate": PowerAction.DEALLOCATE,
    "restart": PowerAction.RESTART,
    "reimage": PowerAction.REIMAGE,
}


@dataclass
class ServerSettings:
    """Knobs for tests, benchmarks and practice; every one can change while the server runs."""

    latency: float = 0.0
    """Seconds added to every request before it is handled (a far-away region)."""
    page_size: int = 100
    """Items per page of every list; more items come through `nextLink`."""
    lro_retry_after: int | None = None
    """`Retry-After` seconds on long-running-operation responses; None sends none."""
    lro_min_polls: int = 0
    """Report each operation as InProgress for at least this many status polls."""
    throttle_next: int = 0
    """Answer the next N requests with 429 TooManyRequests."""
    throttle_every: int = 0
    """Answer every Nth request with 429 (0 = never)."""
    throttle_retry_after: int = 1
    """`Retry-After` seconds sent with a 429."""
    token_expired: bool = False
    """Answer every request with 401 ExpiredAuthenticationToken, as ARM does for a stale token."""
    max_connections: int = 64
    """Open connections served at once; past it the oldest idle one is closed, or the new one if none is idle."""
    idle_timeout: float = 60.0
    """Seconds a connection may wait for (or in the middle of) a read before the server closes it."""
    max_body_bytes: int = validation.MAX_BODY_BYTES
    """Longest request body read; a longer Content-Length is answered 413 without reading it."""
    authority: Any = None
    """The token authority (armserver/authority.py) serving sign-in on this server; when set, only its tokens pass."""


@dataclass
class Response:
    """What `ArmApp.handle` answers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        """JSON-encoded body, empty when there is none."""
        if self.body is None:
            return b""
        return orjson.dumps(self.body)  # UTF-8 JSON, ~10x json.dumps: a page of 100 VMs is most of a request


@dataclass
class _TrackedOperation:
    location: str
    polls: int = 0


class _Route:
    def __init__(self, pattern: str, handler: Callable[..., Response], methods: tuple[str, ...], *,
                 resource_type: str = "virtualMachineScaleSets", schema: validation.Check | None = None) -> None:
        self.regex = re.compile("^" + pattern + "/?$", re.IGNORECASE)
        self.handler = handler
        self.methods = methods
        self.resource_type = resource_type
        """The type whose api-versions apply: `resourceGroups`/`subscriptions` are ARM's own, the rest Compute's."""
        self.schema = schema
        """The JSON types and ranges a PUT/PATCH/POST body must have."""

    @property
    def api_kind(self) -> str:
        return "resources" if self.resource_type in ("resourceGroups", "subscriptions") else "compute"


_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourceGroups/(?P<rg>[^/]+)"
_COMPUTE = r"/providers/Microsoft\.Compute"
_VMSS = _RG + _COMPUTE + r"/virtualMachineScaleSets/(?P<vmss>[^/]+)"
_VMSS_VM = _VMSS + r"/virtualMachines/(?P<iid>[^/]+)"
_VM = _RG + _COMPUTE + r"/virtualMachines/(?P<vm>[^/]+)"
_ACTION = r"/(?P<action>start|powerOff|deallocate|restart|reimage)"
_PROVIDER = re.compile(r"/providers/(?P<namespace>[^/]+)(?:/(?P<type>[^/]+))?", re.IGNORECASE)


class ArmApp:
    """Serves one backend's subscription as ARM would."""

    def __init__(self, backend: Backend, settings: ServerSettings | None = None) -> None:
        self.backend = backend
        self.settings = settings or ServerSettings()
        self.subscription_id = backend.info().subscription_id
        self.default_location = backend.info().default_location or "westeurope"
        self._backend_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._operations: dict[str, _TrackedOperation] = {}
        self._rows = RowCache()  # wire rows of recent lists, converted as pages are read
        self._request_count = 0
        self.requests_served = 0
        self._routes = [
            _Route(_SUB, self._get_subscription, ("GET",), resource_type="subscriptions"),
            _Route(_SUB + r"/resourceGroups", self._list_groups, ("GET",), resource_type="resourceGroups"),
            _Route(_RG, self._get_group, ("GET",), resource_type="resourceGroups"),
            _Route(_SUB + _COMPUTE + r"/virtualMachineScaleSets", self._list_all_scale_sets, ("GET",)),
            _Route(_SUB + _COMPUTE + r"/virtualMachines", self._list_all_vms, ("GET",),
                   resource_type="virtualMachines"),
            _Route(_SUB + _COMPUTE + r"/locations/(?P<loc>[^/]+)/operations/(?P<op>[^/]+)",
                   self._operation_status, ("GET",)),
            _Route(_SUB + _COMPUTE + r"/locations/(?P<loc>[^/]+)/operationResults/(?P<op>[^/]+)",
                   self._operation_result, ("GET",)),
            _Route(_RG + _COMPUTE + r"/virtualMachineScaleSets", self._list_scale_sets, ("GET",)),
            _Route(_VMSS, self._scale_set, ("GET", "PUT", "PATCH", "DELETE"), schema=validation.SCALE_SET_BODY),
            _Route(_VMSS + r"/instanceView", self._scale_set_instance_view, ("GET",)),
            _Route(_VMSS + r"/(?P<action>start|powerOff|deallocate|restart|reimage|manualUpgrade|delete)",
                   self._scale_set_action, ("POST",), schema=validation.INSTANCE_IDS_BODY),
            _Route(_VMSS + r"/virtualMachines", self._list_scale_set_vms, ("GET",)),
            _Route(_VMSS_VM, self._scale_set_vm, ("GET", "PUT", "DELETE"), schema=validation.SCALE_SET_VM_BODY),
            _Route(_VMSS_VM + r"/instanceView", self._scale_set_vm_instance_view, ("GET",)),
            _Route(_VMSS_VM + _ACTION, self._scale_set_vm_action, ("POST",)),
            _Route(_RG + _COMPUTE + r"/virtualMachines", self._list_vms, ("GET",), resource_type="virtualMachines"),
            _Route(_VM, self._vm, ("GET", "PUT", "DELETE"), resource_type="virtualMachines",
                   schema=validation.VM_BODY),
            _Route(_VM + r"/instanceView", self._vm_instance_view, ("GET",), resource_type="virtualMachines"),
            _Route(_VM + _ACTION, self._vm_action, ("POST",), resource_type="virtualMachines"),
        ]

    def poll_count(self, operation_id: str) -> int:
        """How many times clients asked for this operation's status (both status URLs)."""
        with self._state_lock:
            tracked = self._operations.get(operation_id)
            return tracked.polls if tracked else 0

    # ------------------------------------------------------------ entry point

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
               base_url: str) -> Response:
        """Answer one request; never raises (errors become ARM error bodies)."""
        request_id = str(uuid.uuid4())
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            response = self._handle(method.upper(), target, headers, body, base_url.rstrip("/"))
        except errors.AzureError as error:
            response = _error_response(error)
        except Exception:  # the server must answer, whatever the backend did
            log.exception("internal error serving %s %s", method, target)
            response = Response(500, {"error": {"code": "InternalServerError",
                                                "message": "The server encountered an internal error."}})
        response.headers.setdefault("x-ms-request-id", request_id)
        response.headers.setdefault("x-ms-correlation-request-id",
                                    headers.get("x-ms-client-request-id", request_id))
        with self._state_lock:
            self.requests_served += 1
        return response

    def _handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
                base_url: str) -> Response:
        if self.settings.authority is not None:  # sign-in routes (armserver/authority.py), before any token check
            answered = self.settings.authority.serve(method, target, headers, body, base_url)
            if answered is not None:
                return Response(*answered)
        authorization = headers.get("authorization", "")
        if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            return Response(401, {"error": {
                "code": "AuthenticationFailed",
                "message": "Authentication failed. The 'Authorization' header is missing or not a Bearer token."}})
        if self.settings.authority is not None and not self.settings.token_expired:
            refused = self.settings.authority.check_bearer(authorization[7:].strip(), base_url)
            if refused is not None:
                return Response(*refused)
        if self.settings.token_expired or _jwt_expired(authorization[7:].strip()):
            now = datetime.now(timezone.utc)
            return Response(401, {"error": {
                "code": "ExpiredAuthenticationToken",
                "message": (f"The access token expiry UTC time '{now:%m/%d/%Y %I:%M:%S %p}' is earlier than "
                            f"current UTC time '{now:%m/%d/%Y %I:%M:%S %p}'.")}})
        throttled = self._take_throttle()
        if throttled:
            retry_after = self.settings.throttle_retry_after
            return Response(429, {"error": {
                "code": "OperationNotAllowed",
                "message": ("The server rejected the request because too many requests have been received "
                            "for this subscription."),
                "details": [{"code": "TooManyRequests", "target": "HighCostGet30Min",
                             "message": '{"operationGroup":"HighCostGet30Min","startTime":"'
                                        + datetime.now(timezone.utc).isoformat()
                                        + '","endTime":"","allowedRequestCount":900,"measuredRequestCount":901}'}],
            }}, {"Retry-After": str(retry_after)})

        split = urlsplit(target)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        query_lower = {k.lower(): v for k, v in query.items()}
        api_version = query_lower.get("api-version")
        if api_version is None:
            validation.check_api_version(None, "compute", "", self.default_location)
        for route in self._routes:
            match = route.regex.match(path)
            if match is None:
                continue
            if method not in route.methods:
                return Response(405, {"error": {
                    "code": "MethodNotAllowed",
                    "message": f"The requested resource does not support http method '{method}'."}})
            validation.check_api_version(api_version, route.api_kind, route.resource_type, self.default_location)
            params = match.groupdict()
            if params["sub"].lower() != self.subscription_id.lower():
                return Response(404, {"error": {
                    "code": "SubscriptionNotFound",
                    "message": f"The subscription '{shown(params['sub'])}' could not be found."}})
            validation.check_path_names(params)
            parsed_body = validation.parse_body(body)
            if route.schema is not None and method in ("PUT", "PATCH", "POST"):
                validation.check_body(parsed_body, route.schema)
            request = _Request(method=method, path=path, query=query_lower, raw_query=query,
                               body=parsed_body, base_url=base_url, headers=dict(headers))
            return route.handler(request, **params)
        provider = _PROVIDER.search(path)
        if provider is not None and provider.group("namespace").lower() != "microsoft.compute":
            raise validation.no_provider(provider.group("namespace"), provider.group("type") or "",
                                         api_version, self.default_location)
        return Response(404, {"error": {
            "code": "InvalidResourceType",
            "message": f"The resource type could not be found for the path '{shown(path, 200)}'."}})

    def _take_throttle(self) -> bool:
        with self._state_lock:
            self._request_count += 1
            if self.settings.throttle_next > 0:
                self.settings.throttle_next -= 1
                return True
            every = self.settings.throttle_every
            return bool(every) and self._request_count % every == 0

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the backend one request at a time: the backend protocol is not thread-safe."""
        with self._backend_lock:
            return function(*args, **kwargs)

    # ------------------------------------------------------------ subscription and groups

    def _get_subscription(self, request: _Request, sub: str) -> Response:
        info = self._call(self.backend.info)
        return Response(200, {"id": f"/subscriptions/{self.subscription_id}",
                              "subscriptionId": self.subscription_id,
                              "displayName": info.subscription_name or "vmss-tui emulator",
                              "state": "Enabled"})

    def _group_json(self, name: str) -> dict[str, Any]:
        return {"id": f"/subscriptions/{self.subscription_id}/resourceGroups/{name}", "name": name,
                "type": "Microsoft.Resources/resourceGroups", "location": self.default_location,
                "properties": {"provisioningState": "Succeeded"}}

    def _list_groups(self, request: _Request, sub: str) -> Response:
        groups = self._call(self.backend.list_resource_groups)
        return self._page(request, [self._group_json(name) for name in groups])

    def _get_group(self, request: _Request, sub: str, rg: str) -> Response:
        groups = self._call(self.backend.list_resource_groups)
        for name in groups:
            if name.lower() == rg.lower():
                return Response(200, self._group_json(name))
        raise errors.resource_group_not_found(rg)

    # ------------------------------------------------------------ scale sets

    def _list_all_scale_sets(self, request: _Request, sub: str) -> Response:
        sets = self._call(self.backend.list_scale_sets, None)
        return self._page(request, [arm_compute.scale_set_to_json(s) for s in sets])

    def _list_scale_sets(self, request: _Request, sub: str, rg: str) -> Response:
        sets = self._call(self.backend.list_scale_sets, rg)
        return self._page(request, [arm_compute.scale_set_to_json(s) for s in sets])

    def _scale_set(self, request: _Request, sub: str, rg: str, vmss: str) -> Response:
        if request.method == "GET":
            return Response(200, arm_compute.scale_set_to_json(self._call(self.backend.get_scale_set, rg, vmss)))
        if request.method == "DELETE":
            try:
                scale_set = self._call(self.backend.get_scale_set, rg, vmss)
            except errors.ResourceNotFound:
                return Response(204)  # ARM deletes are idempotent
            force = _flag(request.query.get("forcedeletion"))
            operation = self._call(self.backend.delete_scale_set, rg, vmss, force=force)
            return self._accepted(request, operation, scale_set.location)
        existing: ScaleSet | None
        try:
            existing = self._call(self.backend.get_scale_set, rg, vmss)
        except errors.ResourceNotFound:
            existing = None
        if existing is None:
            if request.method == "PATCH":
                raise errors.scale_set_not_found(rg, vmss)
            spec = arm_compute.scale_set_spec_from_json(vmss, rg, _require_object(request.body))
            operation = self._call(self.backend.create_scale_set, spec)
            created = self._call(self.backend.get_scale_set, rg, vmss)
            return self._started(request, operation, created.location, 201, arm_compute.scale_set_to_json(created))
        if request.method == "PUT" and request.headers.get("if-none-match", "").strip() == "*":
            return Response(412, {"error": {
                "code": "PreconditionFailed",
                "message": "The condition specified using HTTP conditional header(s) is not met."}})
        update, new_capacity = arm_compute.scale_set_update_from_json(_require_object(request.body), existing)
        operation: Operation | None = None
        if not arm_compute.update_is_empty(update):
            operation = self._call(self.backend.update_scale_set, rg, vmss, update)
        if new_capacity is not None:
            if operation is not None:  # one PATCH, two backend operations: the model first
                self.backend.wait(operation)
            operation = self._call(self.backend.set_capacity, rg, vmss, new_capacity)
        current = self._call(self.backend.get_scale_set, rg, vmss)
        if operation is None:
            return Response(200, arm_compute.scale_set_to_json(current))
        return self._started(request, operation, current.location, 200, arm_compute.scale_set_to_json(current))

    def _scale_set_instance_view(self, request: _Request, sub: str, rg: str, vmss: str) -> Response:
        scale_set = self._call(self.backend.get_scale_set, rg, vmss)
        if scale_set.is_flexible:
            raise errors.OperationNotAllowed(
                f"Operation 'VirtualMachineScaleSets.instanceView.GET' is not allowed on Virtual Machine "
                f"Scale Set '{scale_set.name}' since it is in Flexible orchestration mode.", target=scale_set.name)
        instances = self._call(self.backend.list_instances, rg, vmss)
        counts: dict[str, int] = {}
        for instance in instances:
            code = f"PowerState/{instance.power_state.value}"
            counts[code] = counts.get(code, 0) + 1
        provisioning = scale_set.provisioning_state.value.lower()
        return Response(200, {
            "virtualMachine": {"statusesSummary": [{"code": code, "count": count}
                                                   for code, count in sorted(counts.items())]},
            "extensions": [],
            "statuses": [{"code": f"ProvisioningState/{provisioning}", "level": "Info",
                          "displayStatus": f"Provisioning {provisioning}"}],
            "orchestrationServices": [],
        })

    def _scale_set_action(self, request: _Request, sub: str, rg: str, vmss: str, action: str) -> Response:
        scale_set = self._call(self.backend.get_scale_set, rg, vmss)
        body = request.body if isinstance(request.body, dict) else {}
        instance_ids = body.get("instanceIds")
        if instance_ids is not None and not isinstance(instance_ids, list):
            raise errors.InvalidParameter("The value of parameter 'instanceIds' must be an array.",
                                          target="instanceIds")
        ids = [str(i) for i in instance_ids] if instance_ids is not None else None
        verb = action.lower()
        if verb == "delete":
            if not ids:
                raise errors.InvalidParameter("Required parameter 'instanceIds' is missing (null).",
                                              target="instanceIds")
            operation = self._call(self.backend.delete_instances, rg, vmss, ids,
                                   force=_flag(request.query.get("forcedeletion")))
        elif verb == "manualupgrade":
            if ids is None:
                raise errors.InvalidParameter("Required parameter 'instanceIds' is missing (null).",
                                              target="instanceIds")
            operation = self._call(self.backend.upgrade_instances, rg, vmss, ids)
        else:
            operation = self._call(self.backend.power_action, rg, vmss, _ACTIONS[verb], ids)
        return self._accepted(request, operation, scale_set.location)

    # ------------------------------------------------------------ Uniform instances (scale-set VMs)

    def _list_scale_set_vms(self, request: _Request, sub: str, rg: str, vmss: str) -> Response:
        scale_set = self._call(self.backend.get_scale_set, rg, vmss)
        if scale_set.is_flexible:
            raise errors.OperationNotAllowed(
                f"Operation 'VirtualMachineScaleSetVMs.List' is not allowed on Virtual Machine Scale Set "
                f"'{scale_set.name}' since it is in Flexible orchestration mode; list its virtual machines "
                f"with the filter 'virtualMachineScaleSet/id' instead.", target=scale_set.name)
        instances = self._call(self.backend.list_instances, rg, vmss)
        expand = "instanceview" in request.query.get("$expand", "").lower()
        location = scale_set.location
        # Only the requested page is converted; rows are reused while the backend's views are unchanged.
        rows = self._rows.rows(("vmss", rg.lower(), vmss.lower(), location, expand), instances,
                               lambda i: arm_compute.scale_set_vm_to_json(i, location, expand_instance_view=expand))
        return self._page(request, rows)

    def _scale_set_vm(self, request: _Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
        scale_set = self._call(self.backend.get_scale_set, rg, vmss)
        if request.method == "DELETE":
            operation = self._call(self.backend.delete_instances, rg, vmss, [iid],
                                   force=_flag(request.query.get("forcedeletion")))
            return self._accepted(request, operation, scale_set.location)
        if request.method == "PUT":
            policy = jsonpath.get_path(_require_object(request.body), "properties", "protectionPolicy") or {}
            updated = self._call(self.backend.set_protection, rg, vmss, [iid],
                                 protect_from_scale_in=policy.get("protectFromScaleIn"),
                                 protect_from_scale_set_actions=policy.get("protectFromScaleSetActions"))
            return Response(200, arm_compute.scale_set_vm_to_json(updated[0], scale_set.location,
                                                           flexible=scale_set.is_flexible))
        instance = self._call(self.backend.get_instance, rg, vmss, iid)
        expand = "instanceview" in request.query.get("$expand", "").lower()
        return Response(200, arm_compute.scale_set_vm_to_json(instance, scale_set.location, expand_instance_view=expand,
                                                       flexible=scale_set.is_flexible))

    def _scale_set_vm_instance_view(self, request: _Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
        scale_set = self._call(self.backend.get_scale_set, rg, vmss)
        instance = self._call(self.backend.get_instance, rg, vmss, iid)
        return Response(200, arm_compute.instance_view_json(instance, flexible=scale_set.is_flexible))

    def _scale_set_vm_action(self, request: _Request, sub: str, rg: str, vmss: str, iid: str,
                             action: str) -> Response:
        scale_set = self._call(self.backend.get_scale_set, rg, vmss)
        operation = self._call(self.backend.power_action, rg, vmss, _ACTIONS[action.lower()], [iid])
        return self._accepted(request, operation, scale_set.location)

    # ------------------------------------------------------------ Flexible instances (plain VMs)

    def _flexible_sets(self, rg: str | None) -> list[ScaleSet]:
        return [s for s in self._call(self.backend.list_scale_sets, rg) if s.is_flexible]

    def _vm_rows(self, rg: str | None, filter_text: str, expand: bool) -> Sequence[dict[str, Any]]:
        wanted = _filter_scale_set_id(filter_text)
        rows: list[dict[str, Any]] = []
        if wanted is not None:
            _, wanted_rg, wanted_name = wanted
            if rg is not None and wanted_rg.lower() != rg.lower():
                return rows
            try:
                sets = [self._call(self.backend.get_scale_set, wanted_rg, wanted_name)]
            except errors.ResourceNotFound:
                return rows
            sets = [s for s in sets if s.is_flexible]
        else:
            sets = self._flexible_sets(rg)
        parts = []
        for scale_set in sets:
            instances = self._call(self.backend.list_instances, scale_set.resource_group, scale_set.name)
            parts.append(self._rows.rows(
                ("vm", scale_set, expand), instances,
                lambda i, s=scale_set: arm_compute.vm_to_json(i, s.location, s, expand_instance_view=expand)))
        return ChainedRows(parts)  # converted page by page, as read

    def _list_vms(self, request: _Request, sub: str, rg: str) -> Response:
        self._get_group(request, sub, rg)
        expand = "instanceview" in request.query.get("$expand", "").lower()
        return self._page(request, self._vm_rows(rg, request.query.get("$filter", ""), expand))

    def _list_all_vms(self, request: _Request, sub: str) -> Response:
        expand = "instanceview" in request.query.get("$expand", "").lower()
        return self._page(request, self._vm_rows(None, request.query.get("$filter", ""), expand))

    def _find_vm(self, rg: str, vm: str) -> tuple[ScaleSet, Instance]:
        for scale_set in self._flexible_sets(rg):
            for instance in self._call(self.backend.list_instances, scale_set.resource_group, scale_set.name):
                if instance.name.lower() == vm.lower():
                    return scale_set, instance
        raise errors.ResourceNotFound(
            f"The Resource 'Microsoft.Compute/virtualMachines/{vm}' under resource group '{rg}' was not found. "
            "For more details please go to https://aka.ms/ARMResourceNotFoundFix", target=vm)

    def _vm(self, request: _Request, sub: str, rg: str, vm: str) -> Response:
        if request.method == "PUT":
            return self._put_vm(request, rg, vm)
        if request.method == "DELETE":
            try:
                scale_set, instance = self._find_vm(rg, vm)
            except errors.ResourceNotFound:
                return Response(204)
            operation = self._call(self.backend.delete_instances, scale_set.resource_group, scale_set.name,
                                   [instance.instance_id], force=_flag(request.query.get("forcedeletion")))
            return self._accepted(request, operation, scale_set.location)
        scale_set, instance = self._find_vm(rg, vm)
        expand = "instanceview" in request.query.get("$expand", "").lower()
        return Response(200, arm_compute.vm_to_json(instance, scale_set.location, scale_set, expand_instance_view=expand))

    def _put_vm(self, request: _Request, rg: str, vm: str) -> Response:
        body = _require_object(request.body)
        try:
            scale_set, instance = self._find_vm(rg, vm)
        except errors.ResourceNotFound:
            pass
        else:  # an update of an existing VM changes nothing modelled: Azure's VM model has no
            # protectionPolicy; protection is PUT on virtualMachineScaleSets/{set}/virtualMachines/{vm}.
            return Response(200, arm_compute.vm_to_json(instance, scale_set.location, scale_set))
        reference = jsonpath.get_path(body, "properties", "virtualMachineScaleSet", "id")
        parsed = resource_ids.parse_scale_set_id(reference or "")
        if parsed is None:
            raise errors.InvalidParameter(
                "This endpoint serves scale-set VMs only: set properties.virtualMachineScaleSet.id to a "
                "Flexible scale set.", target="virtualMachineScaleSet")
        _, set_rg, set_name = parsed
        if set_rg.lower() != rg.lower():
            raise errors.InvalidParameter(
                "The virtual machine and its scale set must be in the same resource group.",
                target="virtualMachineScaleSet")
        spec = arm_compute.vm_spec_from_json(vm, body)
        operation = self._call(self.backend.add_vm, set_rg, set_name, spec)
        scale_set, instance = self._find_vm(rg, vm)
        return self._started(request, operation, scale_set.location, 201,
                             arm_compute.vm_to_json(instance, scale_set.location, scale_set))

    def _vm_instance_view(self, request: _Request, sub: str, rg: str, vm: str) -> Response:
        _, instance = self._find_vm(rg, vm)
        return Response(200, arm_compute.instance_view_json(instance, flexible=True))

    def _vm_action(self, request: _Request, sub: str, rg: str, vm: str, action: str) -> Response:
        scale_set, instance = self._find_vm(rg, vm)
        operation = self._call(self.backend.power_action, scale_set.resource_group, scale_set.name,
                               _ACTIONS[action.lower()], [instance.instance_id])
        return self._accepted(request, operation, scale_set.location)

    # ------------------------------------------------------------ long-running operations

    def _status_urls(self, request: _Request, operation: Operation, location: str) -> tuple[str, str]:
        with self._state_lock:
            self._operations[operation.id] = _TrackedOperation(location=location)
        query = urlencode({"p": str(uuid.uuid5(uuid.NAMESPACE_URL, operation.id)),
                           "api-version": request.api_version})
        prefix = (f"{request.base_url}/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/"
                  f"locations/{location}")
        op_id = quote(operation.id, safe="")
        return f"{prefix}/operations/{op_id}?{query}", f"{prefix}/operationResults/{op_id}?{query}"

    def _lro_headers(self, request: _Request, operation: Operation, location: str, *,
                     with_location: bool) -> dict[str, str]:
        status_url, result_url = self._status_urls(request, operation, location)
        headers = {"Azure-AsyncOperation": status_url}
        if with_location:
            headers["Location"] = result_url
        if self.settings.lro_retry_after is not None:
            headers["Retry-After"] = str(self.settings.lro_retry_after)
        return headers

    def _accepted(self, request: _Request, operation: Operation, location: str) -> Response:
        """202 for POST and DELETE: no body, status in both headers."""
        return Response(202, None, self._lro_headers(request, operation, location, with_location=True))

    def _started(self, request: _Request, operation: Operation, location: str, status: int,
                 body: dict[str, Any]) -> Response:
        """200/201 for PUT and PATCH: the resource as it is now, status in Azure-AsyncOperation."""
        return Response(status, body, self._lro_headers(request, operation, location, with_location=False))

    def _effective_status(self, op_id: str) -> tuple[Operation, OperationStatus]:
        operation = self._call(self.backend.get_operation, op_id)
        with self._state_lock:
            tracked = self._operations.setdefault(op_id, _TrackedOperation(location=self.default_location))
            polls_so_far = tracked.polls
            tracked.polls += 1
        if operation.status.is_terminal and polls_so_far < self.settings.lro_min_polls:
            return operation, OperationStatus.IN_PROGRESS
        return operation, operation.status

    def _operation_status(self, request: _Request, sub: str, loc: str, op: str) -> Response:
        operation, status = self._effective_status(op)
        headers: dict[str, str] = {}
        if not status.is_terminal and self.settings.lro_retry_after is not None:
            headers["Retry-After"] = str(self.settings.lro_retry_after)
        body = arm_lro.operation_status_json(operation, status, urlsplit(request.path).path)
        return Response(200, body, headers)

    def _operation_result(self, request: _Request, sub: str, loc: str, op: str) -> Response:
        operation, status = self._effective_status(op)
        if not status.is_terminal:
            headers = {"Location": f"{request.base_url}{request.path}?{urlencode(request.raw_query)}"}
            if self.settings.lro_retry_after is not None:
                headers["Retry-After"] = str(self.settings.lro_retry_after)
            return Response(202, None, headers)
        if status is OperationStatus.SUCCEEDED:
            return Response(204)
        error = operation.error or ErrorInfo("OperationCanceled", "The operation was canceled.")
        failure = errors.error_from_code(error.code, error.message, target=error.target)
        return _error_response(failure)

    # ------------------------------------------------------------ paging

    def _page(self, request: _Request, items: Sequence[dict[str, Any]]) -> Response:
        """One page of `items`; the rest through an absolute `nextLink` with `$skiptoken`."""
        offset = _decode_skiptoken(request.query.get("$skiptoken"))
        size = max(1, self.settings.page_size)
        page = items[offset:offset + size]
        body: dict[str, Any] = {"value": page}
        if offset + size < len(items):
            query = {k: v for k, v in request.raw_query.items() if k.lower() != "$skiptoken"}
            query["$skiptoken"] = _encode_skiptoken(offset + size)
            body["nextLink"] = f"{request.base_url}{quote(request.path)}?{urlencode(query)}"
        return Response(200, body)


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    raw_query: dict[str, str]
    body: Any
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")


def _error_response(error: errors.AzureError) -> Response:
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, int(round(retry_after))))
    return Response(error.http_status or 500, error.to_body(), headers)


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.AzureError("The request content was invalid and could not be deserialized: "
                                "expected a JSON object.", code="InvalidRequestContent", http_status=400)
    return body


def _flag(text: str | None) -> bool:
    return str(text or "").lower() == "true"


def _filter_scale_set_id(filter_text: str) -> tuple[str, str, str] | None:
    """The scale-set id in `'virtualMachineScaleSet/id' eq '<id>'`, the filter Azure documents."""
    match = re.search(r"virtualMachineScaleSet/id'?\s+eq\s+'?([^'\s]+)'?", filter_text or "", re.IGNORECASE)
    return resource_ids.parse_scale_set_id(match.group(1)) if match else None


def _encode_skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _decode_skiptoken(token: str | None) -> int:
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        return max(0, int(json.loads(base64.urlsafe_b64decode(padded))["o"]))
    except (ValueError, KeyError, TypeError):
        raise errors.InvalidParameter("The $skiptoken is invalid.", target="$skiptoken") from None


def _jwt_expired(token: str) -> bool:
    """True for a JWT whose `exp` has passed; opaque tokens are never "expired"."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(payload["exp"]) < time.time()
    except (ValueError, KeyError, TypeError):
        return False
