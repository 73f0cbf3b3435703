"""Domain values as az prints them, and that JSON as table, json, jsonc, tsv or yaml.

Scale sets and instances print as the Azure CLI prints the same resource (`az vmss show`,
`az vmss list-instances --expand instanceView`, `az vm show -d`): the ARM body from the one
codec the endpoint serves (`arm.compute`), shaped by `arm.flatten.az_shape`. So `--query
sku.capacity` and every az habit work. Tables stay the operator's concise view: they are drawn
from flat rows of the domain values (`scale_set_row`, `instance_row`), not from the JSON.
Results that are not ARM resources (operations, plans, placement maps) keep shapes of their own.

Handlers return JSON-able data; `--query` applies to that data; only then is it rendered.
Tables are plain text like az's (header, dashes, left-aligned columns) so they read at
80 columns and in a pipe; `rich` is not needed on the one-shot path.

Data may hold anything a store editor or Azure put there: every text format shows control and
bidi characters as visible escapes (`domain.text.escape_control`), so a value is one cell on one
line and never a terminal command; JSON and YAML keep the value but escape those characters too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Iterable

from ..arm import compute as arm_compute
from ..arm.etag import with_etag
from ..arm.flatten import az_shape
from ..domain.models import (
    CapacityPlan,
    Instance,
    Operation,
    PlacementMap,
    ScaleSet,
)
from ..domain.text import escape_control, escape_json_text, has_control

JSON = Any
TableRenderer = Callable[[JSON], str]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# ---------------------------------------------------------------- ARM resources as az prints them


def scale_set_json(scale_set: ScaleSet, *, etag: bool = True, network_profile: dict[str, JSON] | None = None
                   ) -> dict[str, JSON]:
    """A scale set as `az vmss show` prints it; `etag=False` for an item of a list (`az vmss list`),
    which the endpoint serves without one; `network_profile` as the backend's network keeps it."""
    body = arm_compute.scale_set_to_json(scale_set, network_profile)
    return az_shape(with_etag(body) if etag else body)


def instance_json(instance: Instance, scale_set: ScaleSet) -> dict[str, JSON]:
    """An instance as az prints it: a Uniform set's as `az vmss list-instances --expand
    instanceView`, a Flexible set's VM as `az vm show -d`."""
    if scale_set.is_flexible:
        body = arm_compute.vm_to_json(instance, scale_set.location, scale_set, expand_instance_view=True)
        return vm_details(az_shape(with_etag(body)), instance)  # az vm show -d GETs the VM itself: it has an etag
    body = arm_compute.scale_set_vm_to_json(instance, scale_set.location, expand_instance_view=True)
    return az_shape(body)


DETAIL_KEYS = ("fqdns", "macAddresses", "powerState", "privateIps", "publicIps")
"""What `az vm show -d` adds (azure-cli vm/custom.py `get_vm_details`)."""


def vm_details(vm: dict[str, JSON], instance: Instance | None = None) -> dict[str, JSON]:
    """`az vm show -d`: `powerState` joins the display statuses of the `PowerState/` codes
    ("VM running"), the network fields join addresses with "," and the instance view is dropped,
    as azure-cli's `get_vm_details` does. `privateIps` is the primary NIC's address and `publicIps` the
    public IP on the VM's own NIC; `fqdns` and `macAddresses` stay empty (the emulator keeps neither a
    DNS label on a VM's IP nor a MAC address: docs/emulator-fidelity.md)."""
    view = vm.get("instanceView") or {}
    statuses = view.get("statuses") or []
    details: dict[str, JSON] = {key: "" for key in DETAIL_KEYS}
    if instance is not None:
        details["privateIps"] = instance.private_ip or ""
        details["publicIps"] = instance.public_ip or ""
    details["powerState"] = ",".join(str(status.get("displayStatus") or "") for status in statuses
                                     if str(status.get("code") or "").startswith("PowerState/"))
    merged = {key: value for key, value in vm.items() if key != "instanceView"}
    merged.update(details)
    return {key: merged[key] for key in sorted(merged)}


# ---------------------------------------------------------------- the operator's concise rows (tables)


def scale_set_row(scale_set: ScaleSet) -> dict[str, JSON]:
    """A scale set as one flat row, for the `list` and `show` tables."""
    return {
        "name": scale_set.name,
        "resourceGroup": scale_set.resource_group,
        "location": scale_set.location,
        "orchestrationMode": str(scale_set.orchestration_mode),
        "capacity": scale_set.capacity,
        "vmSize": scale_set.vm_size,
        "image": scale_set.image,
        "platformFaultDomainCount": scale_set.platform_fault_domain_count,
        "zones": list(scale_set.zones),
        "singlePlacementGroup": scale_set.single_placement_group,
        "scaleInPolicy": str(scale_set.scale_in_policy),
        "upgradePolicy": str(scale_set.upgrade_policy),
        "provisioningState": str(scale_set.provisioning_state),
        "timeCreated": _iso(scale_set.time_created),
        "id": scale_set.id,
    }


def instance_row(instance: Instance) -> dict[str, JSON]:
    """An instance as one flat row, for the `instances` table."""
    return {
        "instanceId": instance.instance_id,
        "name": instance.name,
        "computerName": instance.computer_name,
        "zone": instance.zone,
        "faultDomain": instance.fault_domain,
        "updateDomain": instance.update_domain,
        "powerState": str(instance.power_state),
        "provisioningState": str(instance.provisioning_state),
        "latestModelApplied": instance.latest_model_applied,
        "protectFromScaleIn": instance.protect_from_scale_in,
        "protectFromScaleSetActions": instance.protect_from_scale_set_actions,
        "vmSize": instance.vm_size,
        "timeCreated": _iso(instance.time_created),
        "id": instance.id,
        "privateIp": instance.private_ip,
        "publicEndpoint": instance.public_endpoint,
    }


def table_of(renderer: Callable[[Any], str], rows: Any) -> TableRenderer:
    """A table renderer that draws `rows` (the concise view) whatever JSON the command prints.

    `render` hands a table its escaped JSON; these rows are escaped here the same way."""
    return lambda _data: renderer(escaped_data(rows))


def operation_json(operation: Operation) -> dict[str, JSON]:
    """A long-running operation, as `--no-wait` and `delete` print it."""
    return {
        "id": operation.id,
        "kind": operation.kind,
        "resourceGroup": operation.resource_group,
        "scaleSetName": operation.scale_set_name,
        "status": str(operation.status),
        "percentComplete": operation.percent_complete,
        "startTime": _iso(operation.start_time),
        "endTime": _iso(operation.end_time),
        "instanceIds": list(operation.instance_ids),
        "createdInstanceIds": list(operation.created_instance_ids),
        "removedInstanceIds": list(operation.removed_instance_ids),
        "skippedInstanceIds": list(operation.skipped_instance_ids),
        "error": ({"code": operation.error.code, "message": operation.error.message}
                  if operation.error else None),
        "message": operation.message,
    }


def plan_json(plan: CapacityPlan) -> dict[str, JSON]:
    """What `scale --dry-run` prints."""
    return {
        "resourceGroup": plan.resource_group,
        "scaleSetName": plan.scale_set_name,
        "currentCapacity": plan.current_capacity,
        "targetCapacity": plan.target_capacity,
        "toCreate": [{"instanceId": p.instance_id, "zone": p.zone, "faultDomain": p.fault_domain,
                      "updateDomain": p.update_domain} for p in plan.to_create],
        "toRemove": [{"instanceId": r.instance_id, "zone": r.zone, "faultDomain": r.fault_domain,
                      "reason": r.reason} for r in plan.to_remove],
        "protectedInstanceIds": list(plan.protected_instance_ids),
        "notes": list(plan.notes),
    }


def placement_json(placement: PlacementMap) -> dict[str, dict[str, list[str]]]:
    """`{zone: {faultDomain: [instanceId, ...]}}` with string keys (zone "null" when regional)."""
    return {
        ("null" if zone is None else zone): {str(fd): list(ids) for fd, ids in row.items()}
        for zone, row in placement.as_nested_dict().items()
    }


# ---------------------------------------------------------------- rendering


def render(data: JSON, output: str, table: TableRenderer | None = None, *, color: bool = True) -> str:
    """Render data in one of the output formats; the result has no trailing newline.

    None renders as nothing in every format, as az prints nothing for an empty result. JSON, jsonc
    and YAML sort keys at every level, as az does (knack dumps JSON with `sort_keys=True` and YAML
    with PyYAML's default sorting), so a `--query` projection prints as az prints it too; tables and
    tsv keep the data's order (a projection's own order, resources' sorted keys).
    """
    if output == "none" or data is None:
        return ""
    if output == "json":
        return escape_json_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))
    if output == "jsonc":
        return (colour_json(data) if color
                else escape_json_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)))
    if output == "yaml":
        import yaml  # lazy: only yaml output pays for it

        # PyYAML escapes C0 and C1 itself but prints bidi and format characters raw when
        # allow_unicode is on: data holding any of them is dumped all-ASCII instead.
        unicode_ok = not _holds_control(data)
        return yaml.safe_dump(data, sort_keys=True, allow_unicode=unicode_ok,
                              default_flow_style=False).rstrip("\n")
    data = escaped_data(data)  # every text renderer below, custom table lambdas included, sees safe text
    if output == "tsv":
        return tsv(data)
    if table is not None:
        return table(data)
    return generic_table(data)


def _holds_control(data: JSON) -> bool:
    if isinstance(data, str):
        return has_control(data)
    if isinstance(data, dict):
        return any(_holds_control(k) or _holds_control(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_holds_control(v) for v in data)
    return False


def escaped_data(data: JSON) -> JSON:
    """`data` with every string (dict keys too) passed through `escape_control`; clean data is returned as is."""
    if not _holds_control(data):
        return data
    if isinstance(data, str):
        return escape_control(data)
    if isinstance(data, dict):
        return {escape_control(k) if isinstance(k, str) else k: escaped_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [escaped_data(v) for v in data]
    return data


def _cell(value: JSON) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return " ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))  # ASCII-only: every control character escaped
    return escape_control(str(value))


def columns_table(rows: Iterable[dict[str, JSON]], columns: list[tuple[str, str]]) -> str:
    """A plain az-style table: `columns` are (header, key) pairs; no rows print nothing, as in az."""
    rows = list(rows)
    if not rows:
        return ""
    body = [[_cell(row.get(key)) for _, key in columns] for row in rows]
    headers = [header for header, _ in columns]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in body]
    return "\n".join(lines)


def key_value_table(data: dict[str, JSON]) -> str:
    """One object as `Key  value` lines: reads better at 80 columns than one wide row."""
    if not data:
        return ""
    width = max(len(_title(key)) for key in data)
    return "\n".join(f"{_title(key).ljust(width)}  {_cell(value)}".rstrip() for key, value in data.items())


def _title(key: str) -> str:
    return escape_control(key[:1].upper() + key[1:])


def generic_table(data: JSON) -> str:
    """A table for any JSON, as az does after `--query`: lists of objects get columns."""
    if data is None:
        return ""
    if isinstance(data, list):
        if not data:
            return ""
        if all(isinstance(item, dict) for item in data):
            keys: list[str] = []
            for item in data:
                for key, value in item.items():
                    if key not in keys and not isinstance(value, dict):
                        keys.append(key)
            return columns_table(data, [(_title(k), k) for k in keys])
        return columns_table([{"Result": _cell(item)} for item in data], [("Result", "Result")])
    if isinstance(data, dict):
        return key_value_table(data)
    return _cell(data)


def tsv(data: JSON) -> str:
    """Tab-separated values as az prints them (knack's `_TsvOutput`): one line per item of a list
    (or for the one object), a cell per value in the object's order (az resources are printed
    with sorted keys, a `--query` projection keeps its own order); a nested object is an empty
    cell and a list is its length, so every line of one list has the same columns; null is
    `None` and a bare boolean line is `true`/`false`."""
    if data is None:
        return ""
    lines = []
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            lines.append("\t".join(_tsv_cell(value) for value in item.values()))
        elif isinstance(item, list):
            lines.append("\t".join(_tsv_cell(value) for value in item))
        elif isinstance(item, bool):
            lines.append(str(item).lower())
        else:
            lines.append(_tsv_cell(item))
    return "\n".join(lines)


def _tsv_cell(value: JSON) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict):
        return ""
    return escape_control(value if isinstance(value, str) else str(value))


_KEY, _STRING, _NUMBER, _LITERAL, _RESET = "\x1b[94m", "\x1b[32m", "\x1b[36m", "\x1b[35m", "\x1b[0m"


def colour_json(data: JSON, indent: int = 0) -> str:
    """Indented JSON with ANSI colours for keys, strings, numbers and literals (`-o jsonc`), keys sorted."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(data, dict):
        if not data:
            return "{}"
        parts = [f"{inner}{_KEY}{escape_json_text(json.dumps(str(k), ensure_ascii=False))}{_RESET}: "
                 f"{colour_json(v, indent + 1)}"
                 for k, v in sorted(data.items())]
        return "{\n" + ",\n".join(parts) + f"\n{pad}}}"
    if isinstance(data, list):
        if not data:
            return "[]"
        return "[\n" + ",\n".join(f"{inner}{colour_json(v, indent + 1)}" for v in data) + f"\n{pad}]"
    if isinstance(data, str):
        return f"{_STRING}{escape_json_text(json.dumps(data, ensure_ascii=False))}{_RESET}"
    if isinstance(data, bool) or data is None:
        return f"{_LITERAL}{json.dumps(data)}{_RESET}"
    return f"{_NUMBER}{json.dumps(data)}{_RESET}"


# ---------------------------------------------------------------- command tables

SCALE_SET_COLUMNS = [("Name", "name"), ("ResourceGroup", "resourceGroup"), ("Location", "location"),
                     ("Mode", "orchestrationMode"), ("Zones", "zones"), ("Capacity", "capacity"),
                     ("State", "provisioningState")]
"""`list` columns; the VM size is in `show` (az's own vmss table leaves it out too)."""

INSTANCE_COLUMNS = [("InstanceId", "instanceId"), ("Zone", "zone"), ("FD", "faultDomain"),
                    ("PowerState", "powerState"), ("Latest", "latestModelApplied"), ("Protection", "protection"),
                    ("VmSize", "vmSize")]
"""`instances` columns; a State column joins them while any instance is not Succeeded."""

NETWORK_INSTANCE_COLUMNS = [("PrivateIp", "privateIp"), ("Endpoint", "publicEndpoint")]
"""Joined (in place of VmSize, to stay within 80 columns) when the set's instances have NICs (issue 14)."""


def scale_sets_table(data: JSON) -> str:
    """`list` as a table."""
    return columns_table(data, SCALE_SET_COLUMNS)


def _protection(row: dict[str, JSON]) -> str:
    if row.get("protectFromScaleSetActions"):
        return "in+actions"
    return "in" if row.get("protectFromScaleIn") else ""


def instances_table(data: JSON) -> str:
    """`instances` (and commands that print instances) as a table."""
    rows = [dict(row, protection=_protection(row)) for row in data]
    columns = list(INSTANCE_COLUMNS)
    if any(row.get("privateIp") for row in rows):  # a set with a network: its addresses replace VmSize (in show)
        columns = [c for c in columns if c[1] != "vmSize"] + NETWORK_INSTANCE_COLUMNS
        if not any(row["protection"] for row in rows):  # and an empty Protection column (a Flexible VM's long name)
            columns = [c for c in columns if c[1] != "protection"]
    if any(row.get("provisioningState") != "Succeeded" for row in rows):
        columns.insert(4, ("State", "provisioningState"))
    return columns_table(rows, columns)


def operation_table(data: JSON) -> str:
    """An operation as key/value lines, its error (if any) spelled out."""
    shown = {k: v for k, v in data.items() if v not in ([], None, "")}
    return key_value_table(shown)


def plan_table(data: JSON) -> str:
    """`scale --dry-run` as lines saying which instances come and go, and why."""
    lines = [f"scale {data['scaleSetName']} ({data['resourceGroup']}): "
             f"{data['currentCapacity']} -> {data['targetCapacity']}  (dry run: nothing was changed)"]
    for item in data["toCreate"]:
        ident = item["instanceId"] or "(new VM, name chosen by Azure)"
        lines.append(f"  + create {ident}  zone {item['zone'] or '-'}  FD {item['faultDomain']}")
    for item in data["toRemove"]:
        lines.append(f"  - remove {item['instanceId']}  zone {item['zone'] or '-'}  FD {item['faultDomain']}"
                     f"  because {item['reason']}")
    if data["protectedInstanceIds"] and data["targetCapacity"] < data["currentCapacity"]:
        lines.append(f"  kept (protected from scale-in): {', '.join(data['protectedInstanceIds'])}")
    if not data["toCreate"] and not data["toRemove"]:
        lines.append("  no instances would change")
    lines += [f"  note: {note}" for note in data["notes"]]
    return "\n".join(lines)


def placement_table(data: JSON) -> str:
    """`fd-map` as zones down, fault domains across, instance ids in the cells."""
    fault_domains = sorted({int(fd) for row in data.values() for fd in row})
    rows = []
    for zone, row in data.items():
        cells = {f"fd{fd}": " ".join(row.get(str(fd), [])) or "." for fd in fault_domains}
        rows.append({"zone": "regional" if zone == "null" else zone, **cells})
    columns = [("Zone", "zone")] + [(f"FD {fd}", f"fd{fd}") for fd in fault_domains]
    return columns_table(rows, columns)
