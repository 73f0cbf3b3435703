"""What the ARM endpoint accepts: api-versions, body size and depth, JSON types, names in paths.

Everything here refuses with the 4xx body ARM or the Compute resource provider answers, before
the backend sees the request, so no input reaches a backend call it could crash. The sources of
every limit are in docs/emulator-fidelity.md, "The ARM endpoint's input limits".
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping

from ..domain import errors, names

MAX_BODY_BYTES = 4 * 1024 * 1024
"""ARM's request size limit (4 MB); a longer Content-Length is refused before anything is read."""
MAX_JSON_DEPTH = 64
"""Json.NET's default MaxDepth since 13.0.1, which ARM's and the Compute RP's deserializers use."""
MAX_INT64 = 2**63 - 1

COMPUTE_API_VERSIONS: tuple[str, ...] = (
    "2026-04-01", "2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-09-01", "2023-07-01",
    "2023-03-01", "2022-11-01", "2022-08-01", "2022-03-01", "2021-11-01", "2021-07-01", "2021-04-01",
    "2021-03-01", "2020-12-01", "2020-06-01", "2019-12-01", "2019-07-01", "2019-03-01", "2018-10-01",
    "2018-06-01", "2018-04-01", "2017-12-01", "2017-03-30", "2016-04-30-preview", "2016-03-30", "2015-06-15",
    "2015-05-01-preview",
)
"""Microsoft.Compute virtualMachineScaleSets / virtualMachines (and their operations), newest first:
the ComputeRP folders of Azure's REST specs, plus what azure-mgmt-compute 39 sends (2026-04-01)."""

RESOURCES_API_VERSIONS: tuple[str, ...] = (
    "2026-06-01", "2025-04-01", "2025-03-01", "2024-11-01",  # deployments: azure-mgmt-resource-deployments, az
    "2024-08-01", "2024-07-01", "2024-06-01-preview", "2024-03-01", "2023-07-01", "2023-07-01-preview", "2023-03-01-preview",
    "2022-12-01", "2022-11-01-preview", "2022-09-01", "2022-06-01", "2022-05-01", "2022-03-01-preview",
    "2022-01-01", "2021-04-01", "2021-01-01", "2020-10-01", "2020-09-01", "2020-08-01", "2020-07-01",
    "2020-06-01", "2020-05-01", "2020-01-01", "2019-11-01", "2019-10-01", "2019-09-01", "2019-08-01",
    "2019-07-01", "2019-06-01", "2019-05-10", "2019-05-01", "2019-03-01", "2018-11-01", "2018-09-01",
    "2018-08-01", "2018-07-01", "2018-06-01", "2018-05-01", "2018-02-01", "2018-01-01", "2017-12-01",
    "2017-08-01", "2017-06-01", "2017-05-10", "2017-05-01", "2017-03-01", "2016-09-01", "2016-07-01",
    "2016-06-01", "2016-02-01", "2016-01-01", "2015-11-01", "2015-01-01", "2014-04-01-preview", "2014-04-01",
)
"""Microsoft.Resources resourceGroups and subscriptions, as ARM lists them in InvalidApiVersionParameter."""

NETWORK_API_VERSIONS: tuple[str, ...] = (
    "2026-03-01", "2025-09-01", "2025-07-01", "2025-05-01", "2025-03-01", "2025-01-01", "2024-10-01", "2024-07-01",
    "2024-05-01", "2024-03-01", "2024-01-01", "2023-11-01", "2023-09-01", "2023-06-01", "2023-05-01", "2023-04-01",
    "2023-02-01", "2022-11-01", "2022-09-01", "2022-07-01", "2022-05-01", "2022-01-01", "2021-08-01", "2021-05-01",
    "2021-03-01", "2021-02-01", "2020-11-01", "2020-08-01", "2020-07-01", "2020-06-01", "2020-05-01", "2020-04-01",
    "2020-03-01", "2019-12-01", "2019-11-01", "2019-09-01", "2019-08-01", "2019-07-01", "2019-06-01", "2019-04-01",
    "2019-02-01", "2018-12-01", "2018-11-01", "2018-10-01", "2018-08-01", "2018-07-01", "2018-06-01", "2018-04-01",
    "2018-02-01", "2018-01-01", "2017-11-01", "2017-10-01", "2017-09-01", "2017-08-01", "2017-06-01", "2017-03-30",
    "2017-03-01",
)
"""Microsoft.Network's api-versions (issue 14): azure-mgmt-network 33 sends 2026-03-01 (2018-10-01 for a
scale set's NICs); az 2.91's aaz `network` commands 2025-07-01 (public-ip 2025-09-01); its vmss code 2022-01-01."""
INSIGHTS_API_VERSIONS: dict[str, tuple[str, ...]] = {
    "autoscalesettings": ("2022-10-01", "2021-05-01-preview", "2015-04-01"),
    "metrics": ("2024-02-01", "2023-10-01", "2021-05-01", "2019-07-01", "2018-01-01"),
    "metricDefinitions": ("2024-02-01", "2023-10-01", "2021-05-01", "2018-01-01"),
    "metricNamespaces": ("2024-02-01", "2017-12-01-preview"),
    "eventtypes": ("2015-04-01",),
}
"""Microsoft.Insights per type (issue 13): az 2.91 sends 2022-10-01 (autoscale), 2018-01-01 (metrics list and
list-definitions), 2017-12-01-preview (list-namespaces), 2015-04-01 (activity log); azure-mgmt-monitor 7 sends
2022-10-01, 2024-02-01 and 2015-04-01."""
RESERVATION_API_VERSIONS: tuple[str, ...] = COMPUTE_API_VERSIONS[:COMPUTE_API_VERSIONS.index("2021-04-01") + 1]
"""capacityReservationGroups and capacityReservations (issue 16): Compute's versions from 2021-04-01, the first
that has them ([CR-UNIFORM]: the profile's capacityReservation needs api >= 2021-04-01)."""
SKU_API_VERSIONS: tuple[str, ...] = ("2021-07-01", "2019-04-01", "2017-09-01", "2017-03-30")
"""Microsoft.Compute/skus (Resource SKUs): az 2.91's `vm list-skus` (and `vmss create --zones`) sends 2019-04-01."""
_NETWORK_KNOWN = frozenset(NETWORK_API_VERSIONS)
_COMPUTE_KNOWN = frozenset(COMPUTE_API_VERSIONS)
_RESOURCES_KNOWN = frozenset(RESOURCES_API_VERSIONS)
_API_VERSION_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(-[A-Za-z0-9]{1,20})?")


class RequestRefused(errors.AzureError):
    """A request refused before routing, with its own HTTP status (400, 413, ...)."""


def check_api_version(version: str | None, kind: str, resource_type: str, location: str) -> None:
    """Refuse a missing or unknown api-version as ARM does for this kind of resource.

    Args:
        version: The `api-version` query value, None when absent.
        kind: "compute" (served by the Compute RP) or "resources" (served by ARM itself).
        resource_type: The type named in the message, e.g. `virtualMachineScaleSets`.
        location: The location the Compute RP's message names.
    """
    if version is None:
        raise RequestRefused("The api-version query parameter (?api-version=) is required for all requests.",
                             code="MissingApiVersionParameter", http_status=400)
    known, listed = ((_COMPUTE_KNOWN, COMPUTE_API_VERSIONS) if kind == "compute"
                     else (_NETWORK_KNOWN, NETWORK_API_VERSIONS) if kind == "network"
                     else (frozenset(RESERVATION_API_VERSIONS), RESERVATION_API_VERSIONS) if kind == "reservations"
                     else (frozenset(SKU_API_VERSIONS), SKU_API_VERSIONS) if kind == "skus"
                     else (frozenset(INSIGHTS_API_VERSIONS[resource_type]), INSIGHTS_API_VERSIONS[resource_type])
                     if kind == "insights"
                     else (_RESOURCES_KNOWN, RESOURCES_API_VERSIONS))
    if version in known:
        return
    shown = names.shown(version, 40)
    if kind in ("compute", "network", "insights", "reservations", "skus") and _API_VERSION_SHAPE.fullmatch(version):
        raise RequestRefused(
            f"No registered resource provider found for location '{location}' and API version '{shown}' for type "
            f"'{resource_type}'. The supported api-versions are '{', '.join(listed)}'. The supported locations "
            f"are '{location}'.", code="NoRegisteredProviderFound", http_status=400)
    raise RequestRefused(f"The api-version '{shown}' is invalid. The supported versions are '{','.join(listed)}'.",
                         code="InvalidApiVersionParameter", http_status=400)


def no_provider(namespace: str, resource_type: str, version: str, location: str) -> RequestRefused:
    """A namespace/type this endpoint does not serve: ARM's NoRegisteredProviderFound."""
    return RequestRefused(
        f"No registered resource provider found for location '{location}' and API version "
        f"'{names.shown(version, 40)}' for type '{names.shown(resource_type, 80)}' in namespace "
        f"'{names.shown(namespace, 80)}'. This endpoint serves Microsoft.Compute (scale sets, VMs, capacity "
        "reservations), Microsoft.Network, Microsoft.Insights (autoscale, metrics) and Microsoft.Resources "
        "(subscriptions, resource groups, deployments).",
        code="NoRegisteredProviderFound", http_status=400)


# ---------------------------------------------------------------- the body


def _invalid_content(detail: str) -> RequestRefused:
    return RequestRefused(f"The request content was invalid and could not be deserialized: '{detail}'.",
                          code="InvalidRequestContent", http_status=400)


def parse_body(raw: bytes) -> Any:
    """The JSON body, or None when empty; refused as ARM refuses content it cannot deserialize."""
    if len(raw) > MAX_BODY_BYTES:
        raise body_too_large(len(raw))
    if not raw or not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise _invalid_content(f"the body is not UTF-8 (byte {problem.start})") from None
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:  # only then can it be too deep: walk it
        _check_depth_of_text(text)
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as problem:
        raise _invalid_content(f"{problem.msg}. Path '', line {problem.lineno}, position {problem.colno}") from None
    except RecursionError:  # pragma: no cover - the depth walk refuses first
        raise _invalid_content(f"The reader's MaxDepth of {MAX_JSON_DEPTH} has been exceeded") from None
    return body


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"Unexpected character encountered while parsing value: {name}", name, 0)


def _check_depth_of_text(text: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH, counting brackets outside strings (no recursion)."""
    depth = 0
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise _invalid_content(f"The reader's MaxDepth of {MAX_JSON_DEPTH} has been exceeded. "
                                       f"Position {index + 1}")
        elif char in "]}":
            depth -= 1


def body_too_large(length: int) -> RequestRefused:
    """413 for a body over ARM's 4 MB limit."""
    return RequestRefused(f"The request content length {length} exceeds the maximum of {MAX_BODY_BYTES} bytes.",
                          code="RequestContentTooLarge", http_status=413)


# ---------------------------------------------------------------- types, as in the Compute schema


def _wrong_type(path: str, value: Any, expected: str) -> errors.AzureError:
    shown = names.shown(json.dumps(value) if not isinstance(value, str) else f'"{value}"', 60)
    return errors.AzureError(
        "Cannot parse the request.", code="InvalidRequestFormat", http_status=400, target=path,
        details=({"code": "InvalidRequestFormat", "target": path,
                  "message": f"Error converting value {shown} to type '{expected}'. Path '{path}'."},))


Check = Callable[[Any, str], None]


def _string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise _wrong_type(path, value, "String")


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _wrong_type(path, value, "Boolean")


def _integer(minimum: int | None = None, maximum: int = MAX_INT64, type_name: str = "Int64") -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT64:
            raise _wrong_type(path, value, type_name)
        if (minimum is not None and value < minimum) or value > maximum:
            bound = f"at least {minimum}" if minimum is not None and value < minimum else f"at most {maximum}"
            raise errors.InvalidParameter(f"The value {value} of parameter '{path}' is not valid: it must be {bound}.",
                                          target=path)
    return check


def _array_of(item: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _wrong_type(path, value, "Array")
        for index, element in enumerate(value):
            if element is not None:
                item(element, f"{path}[{index}]")
    return check


def _map_of(item: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _wrong_type(path, value, "Object")
        for key, element in value.items():
            if element is not None:
                item(element, f"{path}.{key}")
    return check


def _object(**fields: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _wrong_type(path or "$", value, "Object")
        lowered = {key.lower(): key for key in value}
        for name, field_check in fields.items():
            key = lowered.get(name.lower())
            if key is not None and value[key] is not None:
                field_check(value[key], f"{path}.{name}" if path else name)
    return check


_IMAGE_REFERENCE = _object(publisher=_string, offer=_string, sku=_string, version=_string, id=_string,
                           sharedGalleryImageId=_string, communityGalleryImageId=_string)
_PROTECTION = _object(protectFromScaleIn=_boolean, protectFromScaleSetActions=_boolean)
_TAGS = _map_of(_string)

SCALE_SET_BODY = _object(
    location=_string,
    tags=_TAGS,
    zones=_array_of(_string),
    sku=_object(name=_string, tier=_string, capacity=_integer(minimum=0)),
    properties=_object(
        orchestrationMode=_string,
        # Only the type here: the range (1-5, 1 or 5 when zonal) is the rules' documented message.
        platformFaultDomainCount=_integer(minimum=-(2**31), maximum=2**31 - 1, type_name="Int32"),
        singlePlacementGroup=_boolean,
        zoneBalance=_boolean,
        overprovision=_boolean,
        scaleInPolicy=_object(rules=_array_of(_string), forceDeletion=_boolean),
        upgradePolicy=_object(mode=_string),
        virtualMachineProfile=_object(
            priority=_string,
            osProfile=_object(computerNamePrefix=_string, adminUsername=_string),
            storageProfile=_object(imageReference=_IMAGE_REFERENCE),
        ),
    ),
)
"""The parts of VirtualMachineScaleSet / VirtualMachineScaleSetUpdate the endpoint reads."""

VM_BODY = _object(
    location=_string,
    tags=_TAGS,
    zones=_array_of(_string),
    properties=_object(
        platformFaultDomain=_integer(minimum=0, maximum=2**31 - 1, type_name="Int32"),
        priority=_string,
        hardwareProfile=_object(vmSize=_string),
        storageProfile=_object(imageReference=_IMAGE_REFERENCE),
        virtualMachineScaleSet=_object(id=_string),
        protectionPolicy=_PROTECTION,
        osProfile=_object(computerName=_string),
    ),
)
"""The parts of VirtualMachine the endpoint reads (Flexible instances)."""

SCALE_SET_VM_BODY = _object(properties=_object(protectionPolicy=_PROTECTION))
"""The part of VirtualMachineScaleSetVM the endpoint reads: protection."""

INSTANCE_IDS_BODY = _object(instanceIds=_array_of(_string))
"""VirtualMachineScaleSetVMInstanceIDs / ...RequiredIDs: instance ids are strings."""


def check_body(body: Any, schema: Check) -> dict[str, Any] | None:
    """Refuse a body whose known fields have the wrong JSON type or range; None stays None."""
    if body is None:
        return None
    schema(body, "")
    return body


# ---------------------------------------------------------------- names in paths

_NAME_CHECKS: dict[str, Callable[[str], Any]] = {
    "rg": names.validate_resource_group_name,
    "vmss": names.validate_scale_set_name,
    "vm": names.validate_vm_name,
    "iid": lambda value: names.validate_instance_id(value, uniform=None),
}
_OPAQUE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
"""Locations, operation ids and marketplace image names: what this endpoint hands out or lists."""
_OPAQUE_KINDS = {"loc": "location", "op": "operation id", "publisher": "publisher", "offer": "offer",
                 "skuname": "image sku", "version": "image version"}


def check_path_names(params: Mapping[str, str | None]) -> None:
    """Every name in the path, by the same validators the CLI, REPL and TUI use."""
    for key, value in params.items():
        if value is None:
            continue
        check = _NAME_CHECKS.get(key)
        if check is not None:
            check(value)
        elif key in _OPAQUE_KINDS and not _OPAQUE.fullmatch(value):
            raise errors.InvalidParameter(f"The {_OPAQUE_KINDS[key]} '{names.shown(value, 40)}' is not valid.",
                                          target=key)
