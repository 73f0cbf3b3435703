"""`AzureBackend`: the backend protocol on the real Azure SDK.

Reads are plain SDK calls; mutations start SDK pollers and return at once with an
`Operation` whose snapshots come from the poller (which polls in its own thread). Every SDK
exception is translated at this edge into `vmss_tui.domain.errors` with Azure's code and
message. Uniform instances go through the scale-set VM operations, Flexible instances through
the plain VM operations filtered by `virtualMachineScaleSet/id`.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence, TypeVar

from ...domain import errors
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
    ProgressCallback,
    ProvisioningState,
    ResourceGroup,
    ScaleSet,
    ScaleSetSpec,
    ScaleSetUpdate,
    Usage,
    VmSpec,
    placement_map,
)
from ...arm import compute as arm_compute
from ...arm import errors as arm_errors
from ...arm import jsonpath
from ...arm import lro as arm_lro
from ...arm import values as arm_values
from ...domain import ids as resource_ids
from ...domain.sizes import find_size
from ...domain.summary import ScaleSetSummary
from ...domain.tags import validate_tags
from .insights import AutoscaleReads
from .network import NetworkReads
from .deployments import DeploymentOps
from .reservations import CapacityReservationOps
from .client import make_client, make_credential, resolve_subscription

log = logging.getLogger(__name__)

ReturnType = TypeVar("ReturnType")

RESOURCE_GROUP_API_VERSION = "2021-04-01"
COMPUTE_API_VERSION = "2024-07-01"
SUBSCRIPTION_API_VERSION = "2022-12-01"
_ACTION_KINDS = {
    PowerAction.START: "start",
    PowerAction.POWER_OFF: "powerOff",
    PowerAction.DEALLOCATE: "deallocate",
    PowerAction.RESTART: "restart",
    PowerAction.REIMAGE: "reimage",
}
"""Operation kinds are Azure's action names, as the Activity log shows them."""
_FLEX_PROTECTION = "_vmssTuiProtectionPolicy"
"""Key under which `_list_raw` hands a Flexible VM's protection to `_instances_from_raw` (never sent)."""
CONNECTION_TIMEOUT = 10.0
"""Seconds to open a connection to ARM (azure-core's default is 300)."""
READ_TIMEOUT = 60.0
"""Seconds ARM may stay silent on an open connection (azure-core's default is 300)."""
_WAIT_STEP = 0.05
"""How often `wait` looks at a poller's state (a local read, not a request)."""


def _translate(error: BaseException, endpoint: "_Endpoint | None" = None) -> errors.AzureError:
    """Any SDK or transport exception as the matching domain error, keeping Azure's code."""
    if isinstance(error, errors.AzureError):
        return error
    from azure.core import exceptions as core

    if isinstance(error, (core.ServiceRequestTimeoutError, core.ServiceResponseTimeoutError)):
        # A stalled TLS handshake runs under the connect timeout but surfaces as a read timeout,
        # so name both limits rather than claim which one expired.
        endpoint = endpoint or _Endpoint()
        what = ("did not accept a connection" if isinstance(error, core.ServiceRequestTimeoutError)
                else "did not answer")
        return errors.ServiceUnavailable(
            f"{endpoint.host} {what} in time (connect timeout {endpoint.connection_timeout:g} s, "
            f"read timeout {endpoint.read_timeout:g} s).", code="RequestTimeout")

    if isinstance(error, core.HttpResponseError) and getattr(error, "response", None) is not None \
            and getattr(error, "status_code", None):
        status = int(error.status_code or 0)
        code, message, target = None, None, None
        odata = getattr(error, "error", None)
        if odata is not None and getattr(odata, "code", None):
            code, message, target = odata.code, odata.message, getattr(odata, "target", None)
        else:
            try:
                info = arm_errors.error_info_from_json(error.response.json())
            except Exception:  # a non-JSON error body
                info = None
            if info is not None:
                code, message, target = info.code, info.message, info.target
        retry_after = _retry_after(error.response.headers)
        message = message or (getattr(error, "reason", None) or str(error)).strip()
        return arm_errors.domain_error(status, code, message, target=target, retry_after=retry_after)
    if isinstance(error, core.ClientAuthenticationError):
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no credential worked"
        return errors.AuthenticationFailed(f"Could not get an Azure access token: {first_line} {arm_errors.LOGIN_HINT}")
    if isinstance(error, (core.ServiceRequestError, core.ServiceResponseError)):
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        hint = ""
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
            hint = " Point --ca-bundle (connection_verify) at the endpoint's CA bundle."
        return errors.ServiceUnavailable(f"Could not reach Azure Resource Manager: {text}.{hint}")
    if isinstance(error, core.AzureError):
        return errors.AzureError(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
    raise error


@dataclass(frozen=True)
class _Endpoint:
    """Where requests go and how long they may take: named in timeout messages."""

    host: str = "management.azure.com"
    connection_timeout: float = 0.0
    read_timeout: float = 0.0


def _lost_track(error: BaseException) -> bool:
    """True when polling stopped for a reason of ours (token, network), not because the operation ended."""
    from azure.core import exceptions as core

    if isinstance(error, (core.ClientAuthenticationError, core.ServiceRequestError, core.ServiceResponseError)):
        return True
    return isinstance(error, core.HttpResponseError) and getattr(error, "status_code", None) == 401


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    try:
        value = (headers or {}).get("Retry-After")
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _edge(function: Callable[..., ReturnType]) -> Callable[..., ReturnType]:
    """Translate exceptions of a public method into domain errors (the protocol's promise)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> ReturnType:
        try:
            return function(*args, **kwargs)
        except errors.AzureError:
            raise
        except Exception as error:  # translated or re-raised by _translate
            endpoint = getattr(args[0], "endpoint", None) if args else None
            raise _translate(error, endpoint) from error

    return wrapper


@dataclass
class _Tracked:
    """An operation this adapter started: its poller and what we know around it."""

    template: Operation
    poller: Any | None
    done_event: threading.Event = field(default_factory=threading.Event)
    final: Operation | None = None
    before_ids: tuple[str, ...] | None = None
    """Instance ids before a capacity change; the diff afterwards gives created/removed ids."""
    list_after: Callable[[], list[Instance]] | None = None


class AzureBackend(NetworkReads, AutoscaleReads, CapacityReservationOps, DeploymentOps):
    """Scale sets of one Azure subscription, through azure-mgmt-compute."""

    _translate_error = staticmethod(lambda error, endpoint: _translate(error, endpoint))  # for NetworkReads

    def __init__(self, *, subscription: str | None = None, auth: str | None = None, credential: Any = None,
                 base_url: str | None = None, connection_verify: Any = None,
                 polling_interval: float | None = None, retry_total: int | None = None,
                 max_workers: int = 32, notice: Callable[[str], None] | None = None,
                 read_only: bool = False, production: bool = False, config: Any = None,
                 subnet_id: str | None = None, admin_username: str = arm_compute.DEFAULT_ADMIN_USERNAME,
                 ssh_public_key: str | None = None, connection_timeout: float = CONNECTION_TIMEOUT,
                 read_timeout: float = READ_TIMEOUT, clock: Any = None, **_ignored: Any) -> None:
        # Environment fallbacks let `--backend azure` reach `vmss-tui emulator serve` without extra flags.
        base_url = base_url or os.environ.get("VMSS_TUI_AZURE_BASE_URL") or None
        connection_verify = connection_verify or os.environ.get("VMSS_TUI_AZURE_CA_BUNDLE") or None
        auth = auth or os.environ.get("VMSS_TUI_AZURE_AUTH") or None
        self.subscription_id = resolve_subscription(subscription, config)
        self.base_url = (base_url or "https://management.azure.com").rstrip("/")
        from urllib.parse import urlsplit

        self.endpoint = _Endpoint(host=urlsplit(self.base_url).netloc or self.base_url,
                                  connection_timeout=connection_timeout, read_timeout=read_timeout)
        self._notice = notice
        self._clock = clock  # AutoscaleReads' "now" (a test points it at the emulator's clock)
        self._read_only = read_only
        self._production = production
        self._subnet_id = subnet_id
        self._admin_username = admin_username
        self._ssh_public_key = ssh_public_key
        self._max_workers = max(1, max_workers)
        self._lock = threading.Lock()
        self._operations: dict[str, _Tracked] = {}
        self._modes: dict[tuple[str, str], OrchestrationMode] = {}
        self._subscription_name: str | None = None
        self._last_throttle: tuple[float, float] | None = None
        self.throttle_count = 0
        self._pool: ThreadPoolExecutor | None = None
        self._operation_locations: list[str] = []
        self._remote_poll_seconds = 2.0 if polling_interval is None else max(0.05, polling_interval)
        self._owns_credential = credential is None
        try:
            self._credential = credential if credential is not None else make_credential(auth, base_url=base_url, connection_verify=connection_verify)
            self._client = make_client(self._credential, self.subscription_id, base_url=base_url,
                                       connection_verify=connection_verify, polling_interval=polling_interval,
                                       retry_total=retry_total, pool_size=self._max_workers * 2,
                                       raw_response_hook=self._observe_response,
                                       connection_timeout=connection_timeout, read_timeout=read_timeout)
        except errors.AzureError:
            raise
        except Exception as error:
            raise _translate(error, self.endpoint) from error
        # For the resource-groups client, built on first use (azure-mgmt-resource is imported only then).
        self._resource_client: Any = None
        self._resource_client_options = {
            "base_url": base_url.rstrip("/") if base_url else None, "connection_verify": connection_verify,
            "polling_interval": polling_interval, "retry_total": retry_total,
            "connection_timeout": connection_timeout, "read_timeout": read_timeout}

    # ------------------------------------------------------------ plumbing

    def _observe_response(self, pipeline_response: Any) -> None:
        """Per attempt (inside the SDK's retry loop): note throttling so it can be shown, not hidden."""
        response = pipeline_response.http_response
        if response.status_code != 429:
            return
        retry_after = _retry_after(response.headers) or 0.0
        with self._lock:
            self._last_throttle = (time.monotonic(), retry_after)
            self.throttle_count += 1
        text = (f"Azure is throttling requests (429 TooManyRequests); waiting {retry_after:g} s as its "
                f"Retry-After asks, then retrying.")
        log.warning(text)
        if self._notice is not None:
            try:
                self._notice(text)
            except Exception:  # a broken notice sink must not break the request
                log.debug("notice callback failed", exc_info=True)

    def _throttle_note(self) -> str:
        with self._lock:
            last = self._last_throttle
        if last is None:
            return ""
        seen_at, retry_after = last
        if time.monotonic() - seen_at > max(retry_after, 1.0) + 1.0:
            return ""
        return f"throttled by Azure (429): retrying after {retry_after:g} s"

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="vmss-tui-azure")
            return self._pool

    def _remember_mode(self, scale_set: ScaleSet) -> ScaleSet:
        with self._lock:
            self._modes[(scale_set.resource_group.lower(), scale_set.name.lower())] = scale_set.orchestration_mode
        return scale_set

    def _refuse_if_read_only(self, what: str) -> None:
        if self._read_only:
            raise errors.ReadOnlyMode(f"Read-only mode: '{what}' was not sent to Azure.")

    def _raw_get(self, url: str) -> Any:
        """GET an ARM URL outside the compute operation groups (groups, subscription)."""
        from azure.core.rest import HttpRequest

        response = self._client.send_request(HttpRequest("GET", url))
        if response.status_code >= 400:
            try:
                info = arm_errors.error_info_from_json(response.json())
            except Exception:
                info = None
            raise arm_errors.domain_error(response.status_code, info.code if info else None,
                                    info.message if info else (response.reason or f"HTTP {response.status_code}"),
                                    target=info.target if info else None,
                                    retry_after=_retry_after(response.headers))
        return response.json()

    # ------------------------------------------------------------ info and reads

    def info(self) -> BackendInfo:
        if self._subscription_name is None:
            try:
                body = self._raw_get(f"{self.base_url}/subscriptions/{self.subscription_id}"
                                     f"?api-version={SUBSCRIPTION_API_VERSION}")
                self._subscription_name = str(body.get("displayName") or "")
            except Exception:  # the header must render even when Azure cannot be reached
                log.debug("subscription name lookup failed", exc_info=True)
                self._subscription_name = ""
        return BackendInfo(kind="azure", subscription_id=self.subscription_id,
                           subscription_name=self._subscription_name or "", read_only=self._read_only,
                           production=self._production)

    @_edge
    def list_resource_groups(self) -> list[str]:
        names: list[str] = []
        url: str | None = (f"{self.base_url}/subscriptions/{self.subscription_id}/resourcegroups"
                           f"?api-version={RESOURCE_GROUP_API_VERSION}")
        while url:
            page = self._raw_get(url)
            names.extend(str(item["name"]) for item in page.get("value") or ())
            url = page.get("nextLink")
        return sorted(names, key=str.lower)

    # ------------------------------------------------------------ resource groups and usage (ResourceGroups)

    def _groups_client(self) -> Any:
        """azure-mgmt-resource's ResourceManagementClient on the same credential, endpoint and timeouts."""
        with self._lock:
            if self._resource_client is None:
                from azure.mgmt.resource.resources import ResourceManagementClient

                options = {key: value for key, value in self._resource_client_options.items() if value is not None}
                self._resource_client = ResourceManagementClient(
                    self._credential, self.subscription_id, api_version=RESOURCE_GROUP_API_VERSION,
                    raw_response_hook=self._observe_response, **options)
            return self._resource_client

    def _group_from(self, model: Any) -> ResourceGroup:
        properties = getattr(model, "properties", None)
        return ResourceGroup(name=str(model.name), location=str(model.location), subscription_id=self.subscription_id,
                             tags=dict(model.tags or {}),
                             provisioning_state=str(getattr(properties, "provisioning_state", None) or "Succeeded"))

    @_edge
    def get_resource_group(self, name: str) -> ResourceGroup:
        from ...domain import names

        names.validate_resource_group_name(name)
        return self._group_from(self._groups_client().resource_groups.get(name))

    @_edge
    def list_resource_group_details(self) -> list[ResourceGroup]:
        groups = [self._group_from(model) for model in self._groups_client().resource_groups.list()]
        return sorted(groups, key=lambda group: group.name.lower())

    @_edge
    def create_or_update_resource_group(self, name: str, location: str,
                                        tags: dict[str, str] | None = None) -> tuple[ResourceGroup, bool]:
        from ...domain import names

        names.validate_resource_group_name(name)
        self._refuse_if_read_only("group create")
        operations = self._groups_client().resource_groups
        statuses: list[int] = []
        body = {"location": location, "tags": dict(tags or {})}
        model = operations.create_or_update(name, body,
                                            raw_response_hook=lambda r: statuses.append(r.http_response.status_code))
        return self._group_from(model), bool(statuses) and statuses[-1] == 201  # ARM: 201 created, 200 updated

    @_edge
    def delete_resource_group(self, name: str) -> Operation:
        self._refuse_if_read_only("group delete")
        current = self.get_resource_group(name)  # ARM's DELETE of a missing group is a 404 too; say it first
        sets = [s.name for s in self.list_scale_sets(current.name)]
        poller = self._groups_client().resource_groups.begin_delete(current.name)
        message = f"delete resource group {current.name} and everything in it: {len(sets)} scale set(s)"
        return self._track(self._template("deleteResourceGroup", current.name, "", message,
                                          removed=tuple(f"virtualMachineScaleSets/{s}" for s in sets)), poller)

    @_edge
    def list_usage(self, location: str) -> list[Usage]:
        rows = []
        for usage in self._client.usage.list(location):
            name = getattr(usage, "name", None)
            rows.append(Usage(name=str(getattr(name, "value", "") or ""),
                              localized_name=str(getattr(name, "localized_value", "") or ""),
                              current_value=int(usage.current_value or 0), limit=int(usage.limit or 0),
                              unit=str(usage.unit or "Count")))
        return rows

    @_edge
    def list_scale_sets(self, resource_group: str | None = None) -> list[ScaleSet]:
        operations = self._client.virtual_machine_scale_sets
        pages = operations.list(resource_group) if resource_group is not None else operations.list_all()
        sets = [self._remember_mode(arm_compute.scale_set_from_json(item.as_dict(), self.subscription_id))
                for item in pages]
        return sorted(sets, key=lambda s: (s.resource_group.lower(), s.name.lower()))

    def list_scale_set_summaries(self, resource_group: str | None = None) -> list[ScaleSetSummary]:
        """The sets with capacity (from the list call) but no state counts.

        Counting power states would need one call per set (the Uniform `instanceView` statusesSummary,
        or listing a Flexible set's VMs with their instance views), which is what the front ends already
        do for the sets they show; a list of sets stays one paged call.
        """
        return [ScaleSetSummary(scale_set) for scale_set in self.list_scale_sets(resource_group)]

    @_edge
    def get_scale_set(self, resource_group: str, name: str) -> ScaleSet:
        body = self._client.virtual_machine_scale_sets.get(resource_group, name).as_dict()
        return self._remember_mode(arm_compute.scale_set_from_json(body, self.subscription_id))

    @_edge
    def list_instances(self, resource_group: str, name: str) -> list[Instance]:
        addresses = self._executor().submit(self._addresses_or_none, resource_group, name)  # beside the VM list
        instances = self._list_instances_of(self.get_scale_set(resource_group, name))
        return self._with_addresses(instances, addresses.result())

    def _list_instances_of(self, scale_set: ScaleSet) -> list[Instance]:
        """One list call: scale-set VMs (Uniform) or VMs filtered by the set (Flexible), with views."""
        raw = self._list_raw(scale_set.resource_group, scale_set.name, scale_set.orchestration_mode)
        return self._instances_from_raw(scale_set, raw)

    @_edge
    def get_instance(self, resource_group: str, name: str, instance_id: str) -> Instance:
        scale_set = self.get_scale_set(resource_group, name)
        instance = self._get_instance_of(scale_set, instance_id)
        return self._with_addresses([instance], self._addresses_or_none(resource_group, name))[0]

    def _get_instance_of(self, scale_set: ScaleSet, instance_id: str) -> Instance:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            if scale_set.is_flexible:
                body = self._client.virtual_machines.get(scale_set.resource_group, instance_id,
                                                         expand="instanceView").as_dict()
                owner = resource_ids.parse_scale_set_id(jsonpath.get_path(body, "properties", "virtualMachineScaleSet", "id") or "")
                if owner is None or owner[2].lower() != scale_set.name.lower() \
                        or owner[1].lower() != scale_set.resource_group.lower():
                    raise errors.instance_not_found(scale_set.resource_group, scale_set.name, instance_id)
                protection = self._flexible_protection(scale_set.resource_group, scale_set.name,
                                                       str(body.get("name") or instance_id))
                return arm_compute.instance_from_vm(body, scale_set, protection=protection)
            body = self._client.virtual_machine_scale_set_vms.get(scale_set.resource_group, scale_set.name,
                                                                  instance_id, expand="instanceView").as_dict()
            return arm_compute.instance_from_scale_set_vm(body, scale_set)
        except ResourceNotFoundError:
            raise errors.instance_not_found(scale_set.resource_group, scale_set.name, instance_id) from None

    @_edge
    def placement(self, resource_group: str, name: str) -> PlacementMap:
        scale_set = self.get_scale_set(resource_group, name)
        return placement_map(scale_set, self._list_instances_of(scale_set))

    @_edge
    def refresh_scale_sets(self, keys: Sequence[tuple[str, str]]
                           ) -> list[tuple[ScaleSet, list[Instance]] | errors.AzureError]:
        """Fetch many sets and their instances at once over a thread pool.

        Every request goes out together: the sets, and the instance lists of sets whose mode
        is already known (it never changes). A set seen for the first time needs its mode
        first, so it costs a second round trip once.
        """
        pool = self._executor()
        set_futures = [pool.submit(self._guarded, self.get_scale_set, *key) for key in keys]
        address_futures = [pool.submit(self._addresses_or_none, *key) for key in keys]  # NICs, LB: issue 14
        list_futures: dict[int, Any] = {}
        for index, (resource_group, name) in enumerate(keys):
            with self._lock:
                mode = self._modes.get((resource_group.lower(), name.lower()))
            if mode is not None:
                list_futures[index] = (mode, pool.submit(self._guarded, self._list_raw, resource_group, name, mode))
        scale_sets = [future.result() for future in set_futures]
        for index, scale_set in enumerate(scale_sets):
            known = list_futures.get(index)
            if isinstance(scale_set, ScaleSet) and (known is None or known[0] is not scale_set.orchestration_mode):
                list_futures[index] = (scale_set.orchestration_mode, pool.submit(
                    self._guarded, self._list_raw, scale_set.resource_group, scale_set.name,
                    scale_set.orchestration_mode))
        results: list[tuple[ScaleSet, list[Instance]] | errors.AzureError] = []
        for index, scale_set in enumerate(scale_sets):
            if not isinstance(scale_set, ScaleSet):
                results.append(scale_set)
                continue
            raw = list_futures[index][1].result()
            if isinstance(raw, errors.AzureError):
                results.append(raw)
                continue
            results.append((scale_set, self._with_addresses(self._instances_from_raw(scale_set, raw),
                                                            address_futures[index].result())))
        return results

    def _guarded(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run in a pool thread; hand back a domain error instead of raising it."""
        try:
            return function(*args)
        except errors.AzureError as error:
            return error
        except Exception as error:
            try:
                return _translate(error, self.endpoint)
            except Exception as unexpected:  # not an Azure error: report it as one for that set only
                return errors.AzureError(str(unexpected) or type(unexpected).__name__)

    def _list_raw(self, resource_group: str, name: str, mode: OrchestrationMode) -> list[dict[str, Any]]:
        """The instance list of a set as wire dicts; needs only the set's key and mode.

        Flexible VMs are plain VMs, whose model has no protection: each row also carries the
        `protectionPolicy` of the VM's scale-set VM resource under `_FLEX_PROTECTION`.
        """
        if mode is OrchestrationMode.FLEXIBLE:
            set_id = resource_ids.scale_set_id(self.subscription_id, resource_group, name)
            pages = self._client.virtual_machines.list(
                resource_group, filter=f"'virtualMachineScaleSet/id' eq '{set_id}'", expand="instanceView")
            rows = [item.as_dict() for item in pages]
            return self._with_flexible_protection(resource_group, name, rows)
        pages = self._client.virtual_machine_scale_set_vms.list(resource_group, name, expand="instanceView")
        return [item.as_dict() for item in pages]

    def _flexible_protection(self, resource_group: str, name: str, vm_name: str) -> dict[str, Any]:
        """`protectionPolicy` of a Flexible VM, read where Azure keeps it (api-version >= 2023-09-01):
        `virtualMachineScaleSets/{set}/virtualMachines/{vm name}`. A VM gone meanwhile has none."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            body = self._client.virtual_machine_scale_set_vms.get(resource_group, name, vm_name).as_dict()
        except ResourceNotFoundError:
            return {}
        policy = jsonpath.get_path(body, "properties", "protectionPolicy")
        return dict(policy) if isinstance(policy, Mapping) else {}

    def _with_flexible_protection(self, resource_group: str, name: str,
                                  rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One GET per VM (Azure has no list of them for Flexible), a few at a time."""
        if not rows:
            return rows
        names = [str(row.get("name") or "") for row in rows]
        with ThreadPoolExecutor(max_workers=min(8, len(rows)), thread_name_prefix="vmss-tui-protection") as pool:
            policies = list(pool.map(lambda vm_name: self._flexible_protection(resource_group, name, vm_name),
                                     names))
        return [dict(row, **{_FLEX_PROTECTION: policy}) for row, policy in zip(rows, policies)]

    @staticmethod
    def _instances_from_raw(scale_set: ScaleSet, raw: list[dict[str, Any]]) -> list[Instance]:
        if scale_set.is_flexible:
            instances = [arm_compute.instance_from_vm(vm, scale_set, protection=vm.get(_FLEX_PROTECTION)) for vm in raw]
            return sorted(instances, key=lambda i: (i.time_created, i.name.lower()))
        instances = [arm_compute.instance_from_scale_set_vm(vm, scale_set) for vm in raw]
        return sorted(instances, key=lambda i: (int(i.instance_id) if i.instance_id.isdigit() else 1 << 62,
                                                i.instance_id))

    # ------------------------------------------------------------ capacity planning

    @_edge
    def plan_capacity(self, resource_group: str, name: str, capacity: int) -> CapacityPlan:
        scale_set = self.get_scale_set(resource_group, name)
        return self._plan(scale_set, self._list_instances_of(scale_set), capacity)

    def _plan(self, scale_set: ScaleSet, instances: list[Instance], capacity: int) -> CapacityPlan:
        """Azure's placement and scale-in rules applied client-side (Azure has no dry run)."""
        from ..emulator import rules  # pure functions; imports neither tinydb nor azure

        rules.validate_capacity(capacity)
        live = [i for i in instances if i.provisioning_state is not ProvisioningState.DELETING]
        current = len(live)
        if capacity != current and not scale_set.has_vm_profile:
            raise errors.OperationNotAllowed(
                f"Virtual Machine Scale Set '{scale_set.name}' has no VM profile, so its capacity cannot be changed; "
                "add VMs to it with add-vm, or delete them.", target="sku.capacity")
        size = find_size(scale_set.vm_size) if scale_set.vm_size else None
        limit = rules.instance_limit(scale_set.orchestration_mode, scale_set.single_placement_group,
                                     scale_set.platform_fault_domain_count, size, scale_set.image)
        if capacity > limit:
            raise rules.over_limit_error(scale_set.name, limit)
        uniform = not scale_set.is_flexible
        ordered = sorted(live, key=lambda i: (i.time_created, int(i.instance_id) if i.instance_id.isdigit() else 0))
        slots = [rules.Slot(instance_id=i.instance_id, zone=i.zone, fault_domain=i.fault_domain,
                            update_domain=i.update_domain, order=position,
                            numeric_id=int(i.instance_id) if uniform and i.instance_id.isdigit() else -1,
                            protected=i.protect_from_scale_in or i.protect_from_scale_set_actions)
                 for position, i in enumerate(ordered)]
        protected = tuple(s.instance_id for s in slots if s.protected)
        to_create: list[PlannedInstance] = []
        to_remove: list[PlannedRemoval] = []
        notes: list[str] = []
        if capacity > current:
            placements = rules.place_new_instances(capacity - current, slots, scale_set.zones,
                                                   scale_set.platform_fault_domain_count,
                                                   with_update_domains=uniform)
            next_id = max((int(i.instance_id) for i in instances if i.instance_id.isdigit()), default=-1) + 1
            for index, (zone, fault_domain, update_domain) in enumerate(placements):
                to_create.append(PlannedInstance(instance_id=str(next_id + index) if uniform else None, zone=zone,
                                                 fault_domain=fault_domain, update_domain=update_domain))
            if uniform:
                notes.append("Azure does not promise instance ids; the ids shown are the likely next ones.")
        elif capacity < current:
            victims = rules.choose_scale_in_victims(current - capacity, slots, scale_set.zones,
                                                    scale_set.scale_in_policy, scale_set.orchestration_mode)
            to_remove = [PlannedRemoval(instance_id=v.slot.instance_id, zone=v.slot.zone,
                                        fault_domain=v.slot.fault_domain, reason=v.reason) for v in victims]
            if protected:
                notes.append(f"{len(protected)} protected instance(s) are never chosen: {', '.join(protected)}")
        else:
            notes.append("capacity unchanged: nothing to do")
        return CapacityPlan(resource_group=scale_set.resource_group, scale_set_name=scale_set.name,
                            current_capacity=current, target_capacity=capacity, to_create=tuple(to_create),
                            to_remove=tuple(to_remove), protected_instance_ids=protected, notes=tuple(notes))

    # ------------------------------------------------------------ mutations

    @_edge
    def create_scale_set(self, spec: ScaleSetSpec) -> Operation:
        self._refuse_if_read_only("create")
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError

        if spec.location is None:
            try:
                group = self._raw_get(f"{self.base_url}/subscriptions/{self.subscription_id}/resourcegroups/"
                                      f"{spec.resource_group}?api-version={RESOURCE_GROUP_API_VERSION}")
                spec = replace(spec, location=group.get("location"))
            except (errors.ResourceGroupNotFound, errors.ResourceNotFound):
                pass  # Azure answers the PUT with ResourceGroupNotFound (the emulator creates the group)
        body = arm_compute.scale_set_create_body(spec, admin_username=self._admin_username,
                                          ssh_public_key=self._ssh_public_key, subnet_id=self._subnet_id,
                                          subscription_id=self.subscription_id)
        try:
            poller = self._client.virtual_machine_scale_sets.begin_create_or_update(
                spec.resource_group, spec.name, body, match_condition=MatchConditions.IfMissing)
        except HttpResponseError as error:
            if error.status_code != 412:  # 412: If-None-Match * found an existing set
                raise
            raise errors.Conflict(
                f"A virtual machine scale set named '{spec.name}' already exists in resource group "
                f"'{spec.resource_group}'. Use 'update' to change it.", target=spec.name) from None
        capacity = spec.capacity if spec.capacity is not None else "default"
        template = self._template("create", spec.resource_group, spec.name,
                                  f"create {spec.name} ({spec.orchestration_mode}, capacity {capacity})")
        return self._track(template, poller, before_ids=(),
                           list_after=lambda: self.list_instances(spec.resource_group, spec.name))

    @_edge
    def update_scale_set(self, resource_group: str, name: str, update: ScaleSetUpdate) -> Operation:
        self._refuse_if_read_only("update")
        if update.zone_balance is not None:
            return self._update_scale_set_by_put(resource_group, name, update)
        current = self.get_scale_set(resource_group, name)
        body = arm_compute.scale_set_update_body(update, current)
        poller = self._client.virtual_machine_scale_sets.begin_update(resource_group, current.name, body)
        return self._track(self._template("update", resource_group, current.name, f"update {current.name}"), poller)

    def _update_scale_set_by_put(self, resource_group: str, name: str, update: ScaleSetUpdate) -> Operation:
        """A change Azure's PATCH model cannot carry (`zoneBalance`): the set as read, the update's PATCH body
        merged into it, PUT back with `If-Match` its etag, so a change made meanwhile is refused, not lost."""
        from azure.core import MatchConditions
        from azure.mgmt.compute import models

        raw = self._client.virtual_machine_scale_sets.get(resource_group, name)
        wire = raw.as_dict()
        current = arm_compute.scale_set_from_json(wire, self.subscription_id)
        merged = arm_compute.merge_patch(wire, arm_compute.scale_set_update_body(update, current))
        body = models.VirtualMachineScaleSet(arm_compute.scale_set_put_body(merged, update))
        etag = wire.get("etag")
        poller = self._client.virtual_machine_scale_sets.begin_create_or_update(
            resource_group, current.name, body, etag=etag,
            match_condition=MatchConditions.IfNotModified if etag else None)
        return self._track(self._template("update", resource_group, current.name, f"update {current.name}"), poller)

    @_edge
    def delete_scale_set(self, resource_group: str, name: str, *, force: bool = False) -> Operation:
        self._refuse_if_read_only("delete")
        current = self.get_scale_set(resource_group, name)  # Azure's DELETE of a missing set is a quiet 204
        poller = self._client.virtual_machine_scale_sets.begin_delete(resource_group, current.name,
                                                                       force_deletion=True if force else None)
        return self._track(self._template("delete", resource_group, current.name, f"delete {current.name}"), poller)

    @_edge
    def set_capacity(self, resource_group: str, name: str, capacity: int) -> Operation:
        self._refuse_if_read_only("scale")
        scale_set = self.get_scale_set(resource_group, name)
        before = self._list_instances_of(scale_set)
        poller = self._client.virtual_machine_scale_sets.begin_update(
            resource_group, scale_set.name, {"sku": {"capacity": capacity}})
        template = self._template("scale", resource_group, scale_set.name,
                                  f"scale {scale_set.name} {len(before)} -> {capacity}")
        return self._track(template, poller, before_ids=tuple(i.instance_id for i in before),
                           list_after=lambda: self._list_instances_of(scale_set))

    @_edge
    def add_vm(self, resource_group: str, name: str, spec: VmSpec) -> Operation:
        self._refuse_if_read_only("add-vm")
        scale_set = self.get_scale_set(resource_group, name)
        if not scale_set.is_flexible:
            raise errors.OperationNotAllowed(
                f"Virtual machines cannot be added to Virtual Machine Scale Set '{scale_set.name}' because it uses "
                "Uniform orchestration mode; its instances come only from the scale set model. Change its "
                "capacity instead.", target=scale_set.name)
        vm_name = spec.name or f"{scale_set.name}_{uuid.uuid4().hex[:8]}"  # what `az vm create --vmss` picks
        body = arm_compute.vm_create_body(spec, scale_set, admin_username=self._admin_username,
                                   ssh_public_key=self._ssh_public_key)
        if self._subnet_id:
            body["properties"]["networkProfile"] = {
                "networkApiVersion": "2020-11-01",
                "networkInterfaceConfigurations": [{"name": f"{vm_name[:40]}-nic", "properties": {
                    "primary": True,
                    "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": self._subnet_id}}}],
                }}],
            }
        poller = self._client.virtual_machines.begin_create_or_update(resource_group, vm_name, body)
        template = self._template("addVm", resource_group, scale_set.name, f"add VM {vm_name} to {scale_set.name}",
                                  instance_ids=(vm_name,), created=(vm_name,))
        return self._track(template, poller)

    @_edge
    def delete_instances(self, resource_group: str, name: str, instance_ids: list[str], *,
                         force: bool = False) -> Operation:
        self._refuse_if_read_only("delete-instances")
        if not instance_ids:
            raise errors.InvalidParameter("instanceIds must name at least one instance.", target="instanceIds")
        poller = self._client.virtual_machine_scale_sets.begin_delete_instances(
            resource_group, name, {"instanceIds": list(instance_ids)}, force_deletion=True if force else None)
        template = self._template("deleteInstances", resource_group, name,
                                  f"delete {len(instance_ids)} instance(s) of {name}",
                                  instance_ids=tuple(instance_ids), removed=tuple(instance_ids))
        return self._track(template, poller)

    @_edge
    def power_action(self, resource_group: str, name: str, action: PowerAction,
                     instance_ids: list[str] | None = None) -> Operation:
        self._refuse_if_read_only(str(action))
        skipped: tuple[str, ...] = ()
        targets: tuple[str, ...] = tuple(instance_ids or ())
        if instance_ids is None:
            # Azure skips instances protected from scale-set actions on a set-wide action; say which.
            instances = self.list_instances(resource_group, name)
            skipped = tuple(i.instance_id for i in instances if i.protect_from_scale_set_actions)
            targets = tuple(i.instance_id for i in instances if not i.protect_from_scale_set_actions)
        operations = self._client.virtual_machine_scale_sets
        begin = {
            PowerAction.START: operations.begin_start,
            PowerAction.POWER_OFF: operations.begin_power_off,
            PowerAction.DEALLOCATE: operations.begin_deallocate,
            PowerAction.RESTART: operations.begin_restart,
            PowerAction.REIMAGE: operations.begin_reimage,
        }[PowerAction(action)]
        poller = begin(resource_group, name, {"instanceIds": list(instance_ids)} if instance_ids is not None else None)
        scope = f"{len(targets)} instance(s)" if instance_ids is not None else "all instances"
        template = self._template(_ACTION_KINDS[PowerAction(action)], resource_group, name,
                                  f"{action} {scope} of {name}",
                                  instance_ids=targets, skipped=skipped)
        return self._track(template, poller)

    @_edge
    def set_instance_tags(self, resource_group: str, name: str, instance_id: str,
                          tags: tuple[tuple[str, str], ...]) -> Instance:
        """A Uniform VM: GET and PUT back with the tags (its update is a PUT); a Flexible VM: PATCH `tags`."""
        from azure.core.exceptions import ResourceNotFoundError

        self._refuse_if_read_only("tag")
        checked = validate_tags(dict(tags))  # refused unsent, as the emulator refuses them
        scale_set = self.get_scale_set(resource_group, name)
        instance = self._get_instance_of(scale_set, instance_id)
        try:
            if scale_set.is_flexible:
                self._client.virtual_machines.begin_update(resource_group, instance.name, {"tags": checked}).result()
            else:
                vms = self._client.virtual_machine_scale_set_vms
                body = vms.get(resource_group, scale_set.name, instance.instance_id).as_dict()
                body["tags"] = checked
                vms.begin_update(resource_group, scale_set.name, instance.instance_id, body).result()
        except ResourceNotFoundError:
            raise errors.instance_not_found(resource_group, scale_set.name, instance_id) from None
        return self._get_instance_of(scale_set, instance.instance_id)

    @_edge
    def set_protection(self, resource_group: str, name: str, instance_ids: list[str], *,
                       protect_from_scale_in: bool | None = None,
                       protect_from_scale_set_actions: bool | None = None) -> list[Instance]:
        self._refuse_if_read_only("protect")
        scale_set = self.get_scale_set(resource_group, name)
        vms = self._client.virtual_machine_scale_set_vms

        def protect_one(instance_id: str) -> None:
            from azure.core.exceptions import ResourceNotFoundError

            try:
                body = vms.get(resource_group, scale_set.name, instance_id).as_dict()
            except ResourceNotFoundError:
                raise errors.instance_not_found(resource_group, scale_set.name, instance_id) from None
            policy = dict(jsonpath.get_path(body, "properties", "protectionPolicy") or {})
            if protect_from_scale_in is not None:
                policy["protectFromScaleIn"] = protect_from_scale_in
            if protect_from_scale_set_actions is not None:
                policy["protectFromScaleSetActions"] = protect_from_scale_set_actions
            policy.setdefault("protectFromScaleIn", False)
            policy.setdefault("protectFromScaleSetActions", False)
            body.setdefault("properties", {})["protectionPolicy"] = policy
            vms.begin_update(resource_group, scale_set.name, instance_id, body).result()

        if not instance_ids:
            raise errors.InvalidParameter("Name at least one instance to protect or unprotect.", target="instanceIds")
        # Azure updates one VM per call, so check every instance before changing any.
        by_id = {i.instance_id.lower(): i for i in self._list_instances_of(scale_set)}
        for instance_id in instance_ids:
            current = by_id.get(instance_id.lower())
            if current is None:
                raise errors.instance_not_found(resource_group, scale_set.name, instance_id)
            scale_in = current.protect_from_scale_in if protect_from_scale_in is None else protect_from_scale_in
            actions = (current.protect_from_scale_set_actions if protect_from_scale_set_actions is None
                       else protect_from_scale_set_actions)
            if actions and not scale_in:
                raise errors.InvalidParameter(
                    f"Instance '{current.instance_id}': protectFromScaleSetActions requires "
                    "protectFromScaleIn to be true as well.", target="protectionPolicy")
            if current.provisioning_state is ProvisioningState.DELETING:
                raise errors.OperationNotAllowed(
                    f"Operation 'Update VM' is not allowed on VM '{current.name}' since the VM is marked for "
                    "deletion.", target=current.name)
        wanted = {by_id[instance_id.lower()].instance_id for instance_id in instance_ids}
        for instance_id in sorted(wanted, key=lambda i: list(by_id).index(i.lower())):
            protect_one(instance_id)
        return [i for i in self._list_instances_of(scale_set) if i.instance_id in wanted]

    @_edge
    def upgrade_instances(self, resource_group: str, name: str,
                          instance_ids: list[str] | None = None) -> Operation:
        self._refuse_if_read_only("upgrade")
        skipped: tuple[str, ...] = ()
        if instance_ids is None:
            stale = [i for i in self.list_instances(resource_group, name) if not i.latest_model_applied]
            skipped = tuple(i.instance_id for i in stale if i.protect_from_scale_set_actions)
            instance_ids = [i.instance_id for i in stale if not i.protect_from_scale_set_actions]
            if not instance_ids:
                now = datetime.now(timezone.utc)
                template = self._template("manualUpgrade", resource_group, name,
                                          f"upgrade {name}: every instance is on the latest model", skipped=skipped)
                done = replace(template, status=OperationStatus.SUCCEEDED, end_time=now, percent_complete=100.0)
                return self._track(done, None)
        poller = self._client.virtual_machine_scale_sets.begin_update_instances(
            resource_group, name, {"instanceIds": list(instance_ids)})
        template = self._template("manualUpgrade", resource_group, name,
                                  f"upgrade {len(instance_ids)} instance(s) of {name}",
                                  instance_ids=tuple(instance_ids), skipped=skipped)
        return self._track(template, poller)

    # ------------------------------------------------------------ operations

    def _template(self, kind: str, resource_group: str, name: str, message: str, *,
                  instance_ids: tuple[str, ...] = (), created: tuple[str, ...] = (),
                  removed: tuple[str, ...] = (), skipped: tuple[str, ...] = ()) -> Operation:
        return Operation(id="", kind=kind, resource_group=resource_group, scale_set_name=name,
                         status=OperationStatus.IN_PROGRESS, start_time=datetime.now(timezone.utc), end_time=None,
                         percent_complete=0.0, instance_ids=instance_ids, created_instance_ids=created,
                         removed_instance_ids=removed, skipped_instance_ids=skipped, message=message)

    def _track(self, template: Operation, poller: Any, *, before_ids: tuple[str, ...] | None = None,
               list_after: Callable[[], list[Instance]] | None = None) -> Operation:
        """Register a started operation under Azure's operation id and return its first snapshot."""
        operation_id = _operation_id(poller) if poller is not None else ""
        operation_id = operation_id or f"local-{uuid.uuid4()}"
        tracked = _Tracked(template=replace(template, id=operation_id), poller=poller, before_ids=before_ids,
                           list_after=list_after)
        if poller is None:
            tracked.final = tracked.template
            tracked.done_event.set()
        else:
            poller.add_done_callback(lambda _result: tracked.done_event.set())
        with self._lock:
            self._operations[operation_id] = tracked
        return self._snapshot(tracked)

    def _snapshot(self, tracked: _Tracked) -> Operation:
        """The operation as the poller last saw it (no request is made here)."""
        if tracked.final is not None:
            return tracked.final
        poller = tracked.poller
        template = tracked.template
        if not poller.done():
            body = _last_status_body(poller)
            percent = body.get("percentComplete") if isinstance(body, dict) else None
            note = self._throttle_note()
            return replace(template, status=OperationStatus.IN_PROGRESS,
                           percent_complete=float(percent) if isinstance(percent, (int, float)) else 0.0,
                           message=f"{template.message} ({note})" if note else template.message)
        error_info: ErrorInfo | None = None
        try:
            poller.result(timeout=0)
            status = OperationStatus.SUCCEEDED
        except Exception as error:  # the poller re-raises what ended the operation
            if _lost_track(error):
                with self._lock:  # the poller is dead: later looks ask Azure's status endpoint afresh
                    if self._operations.get(tracked.template.id) is tracked:
                        del self._operations[tracked.template.id]
                raise self._lost_track_error(tracked, error) from error
            status = OperationStatus.FAILED
            error_info = _error_info(error)
            if error_info.code.lower() in ("canceled", "operationcanceled"):
                status = OperationStatus.CANCELED
        body = _last_status_body(poller)
        end_time = arm_values.parse_time(body.get("endTime")) if isinstance(body, dict) else None
        start_time = arm_values.parse_time(body.get("startTime")) if isinstance(body, dict) else None
        final = replace(template, status=status, error=error_info, percent_complete=100.0,
                        end_time=end_time or datetime.now(timezone.utc), start_time=start_time or template.start_time)
        if status is OperationStatus.SUCCEEDED and tracked.list_after is not None:
            try:
                after = tuple(i.instance_id for i in tracked.list_after())
            except errors.AzureError:
                after = None
            if after is not None:
                before = set(tracked.before_ids or ())
                created = tuple(i for i in after if i not in before)
                removed = tuple(i for i in (tracked.before_ids or ()) if i not in set(after))
                final = replace(final, created_instance_ids=created, removed_instance_ids=removed,
                                instance_ids=final.instance_ids or created + removed)
        tracked.final = final
        return final

    def _lost_track_error(self, tracked: _Tracked | Operation, error: BaseException,
                          status_url: str = "") -> errors.AzureError:
        """Polling failed on our side (an expired token, the network): the operation itself goes on."""
        translated = _translate(error, self.endpoint)
        template = tracked.template if isinstance(tracked, _Tracked) else tracked
        operation_id = template.id
        if isinstance(tracked, _Tracked):
            status_url = _status_url(tracked.poller)
        follow = f"`vmss-tui operation {operation_id}`"
        if status_url:
            follow += f" or `az rest --method get --url '{status_url}'`"
        about = f" ({template.message})" if template.message else ""
        translated.message = (f"{translated.message} Stopped waiting for operation {operation_id}{about}; "
                              f"it continues in Azure: follow it with {follow}.")
        translated.args = (translated.message,)
        return translated

    @_edge
    def get_operation(self, operation_id: str) -> Operation:
        with self._lock:
            tracked = self._operations.get(operation_id)
        if tracked is None:
            return self._remote_operation(operation_id)
        return self._snapshot(tracked)

    def _remote_operation(self, operation_id: str, like: Operation | None = None) -> Operation:
        """An operation another process started (`--no-wait`): ask Compute's status endpoint.

        The status URL is per location, so try the locations of the subscription's scale sets.
        """
        from urllib.parse import quote

        with self._lock:
            locations = list(self._operation_locations)
        if not locations:
            locations = sorted({s.location.lower() for s in self.list_scale_sets() if s.location})
        for location in locations:
            url = (f"{self.base_url}/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/locations/"
                   f"{location}/operations/{quote(operation_id, safe='')}?api-version={COMPUTE_API_VERSION}")
            try:
                body = self._raw_get(url)
            except errors.ResourceNotFound:
                continue
            with self._lock:
                self._operation_locations = [location] + [x for x in self._operation_locations if x != location]
            status = arm_lro.operation_status_from_text(body.get("status"))
            base = like or Operation(id=operation_id, kind="operation", resource_group="", scale_set_name="",
                                     status=status, start_time=datetime.now(timezone.utc), end_time=None,
                                     percent_complete=0.0)
            percent = body.get("percentComplete")
            return replace(base, id=operation_id, status=status,
                           start_time=arm_values.parse_time(body.get("startTime")) or base.start_time,
                           end_time=arm_values.parse_time(body.get("endTime")) or base.end_time,
                           percent_complete=(100.0 if status.is_terminal else
                                             float(percent) if isinstance(percent, (int, float)) else 0.0),
                           error=arm_errors.error_info_from_json(body) if status is OperationStatus.FAILED else None)
        raise errors.ResourceNotFound(f"Operation '{operation_id}' was not found.", target=operation_id)

    @_edge
    def wait(self, operation: Operation, *, progress: ProgressCallback | None = None,
             timeout: float | None = None) -> Operation:
        with self._lock:
            tracked = self._operations.get(operation.id)
        deadline = None if timeout is None else time.monotonic() + timeout
        if tracked is None:  # started elsewhere: poll Compute's status endpoint ourselves
            while True:
                try:
                    current = self._remote_operation(operation.id, like=operation)
                except (errors.AuthenticationFailed, errors.ServiceUnavailable) as error:
                    raise self._lost_track_error(operation, error) from error
                if progress is not None:
                    progress(current)
                if current.done or (deadline is not None and time.monotonic() >= deadline):
                    return current
                pause = self._remote_poll_seconds
                time.sleep(pause if deadline is None else max(0.0, min(pause, deadline - time.monotonic())))
        last: Operation | None = None
        while True:
            current = self._snapshot(tracked)
            if progress is not None and (current != last or current.done):
                progress(current)
            last = current
            if current.done:
                return current
            if deadline is not None and time.monotonic() >= deadline:
                return current
            step = _WAIT_STEP if deadline is None else max(0.0, min(_WAIT_STEP, deadline - time.monotonic()))
            tracked.done_event.wait(step)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        for closable in (self._client, self._resource_client, self._monitor_client_instance,
                         self._deployments_client_instance,
                         self._credential if self._owns_credential else None):
            try:
                if closable is not None and hasattr(closable, "close"):
                    closable.close()
            except Exception:  # closing twice or a half-built client
                log.debug("close failed", exc_info=True)


def _operation_id(poller: Any) -> str:
    """Azure's operation id: the last path segment of the Azure-AsyncOperation (or Location) URL."""
    from urllib.parse import unquote, urlsplit

    initial = getattr(poller.polling_method(), "_initial_response", None)
    headers = getattr(getattr(initial, "http_response", None), "headers", None) or {}
    for header in ("Azure-AsyncOperation", "Location"):
        url = headers.get(header)
        if url:
            segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
            if segment:
                return unquote(segment)
    return ""


def _status_url(poller: Any) -> str:
    """The Azure-AsyncOperation (or Location) URL the poller follows, if any."""
    initial = getattr(poller.polling_method(), "_initial_response", None)
    headers = getattr(getattr(initial, "http_response", None), "headers", None) or {}
    return str(headers.get("Azure-AsyncOperation") or headers.get("Location") or "")


def _last_status_body(poller: Any) -> dict[str, Any]:
    """The JSON of the poller's most recent response (an Azure-AsyncOperation body while polling)."""
    response = getattr(poller.polling_method(), "_pipeline_response", None)
    http_response = getattr(response, "http_response", None)
    if http_response is None:
        return {}
    try:
        body = http_response.json()
    except Exception:  # 202/204 without a body
        return {}
    return body if isinstance(body, dict) else {}


def _error_info(error: BaseException) -> ErrorInfo:
    """What ended a failed operation: the op's own `{code, message}` for a Failed status."""
    odata = getattr(error, "error", None)
    if odata is not None and getattr(odata, "code", None):
        return ErrorInfo(code=str(odata.code), message=str(odata.message or ""), target=getattr(odata, "target", None))
    try:
        translated = _translate(error)
    except BaseException:  # not an Azure error at all: report it as the failure reason
        return ErrorInfo(code="InternalError", message=str(error) or type(error).__name__)
    return ErrorInfo(code=translated.code, message=translated.message, target=translated.target)
