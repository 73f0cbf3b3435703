"""Commands for resource groups and regional usage: `group create|list|show|delete` and `usage`.

They need the backend's ResourceGroups capability (both backends have it). JSON is what az prints
for the same resource: `az group show` (the ARM resource group) and `az vm list-usage`.
"""

from __future__ import annotations

from typing import Any

from ..backends.protocol import ResourceGroups
from ..domain.errors import OperationNotAllowed
from ..domain.models import ResourceGroup, Usage
from . import formatting as fmt
from .parser import UsageError
from .session import Invocation, Result
from .spec import CommandSpec, ParamSpec

GROUP_NAME = ParamSpec("name", "Resource group name.", required=True, completion="groups", metavar="<group>")


def _groups(inv: Invocation) -> ResourceGroups:
    backend = inv.backend
    if not isinstance(backend, ResourceGroups):
        raise OperationNotAllowed(f"The {type(backend).__name__} backend has no resource-group operations.")
    return backend


def group_json(group: ResourceGroup) -> dict[str, Any]:
    """A group as `az group show` prints it."""
    return {"id": group.id, "location": group.location, "managedBy": None, "name": group.name,
            "properties": {"provisioningState": group.provisioning_state}, "tags": dict(group.tags) or None,
            "type": "Microsoft.Resources/resourceGroups"}


def usage_json(usage: Usage) -> dict[str, Any]:
    """One row as `az vm list-usage` prints it (az adds `localName` for its table)."""
    return {"currentValue": usage.current_value, "limit": usage.limit, "localName": usage.localized_name,
            "name": {"localizedValue": usage.localized_name, "value": usage.name}, "unit": usage.unit}


def _group_row(group: dict[str, Any]) -> dict[str, Any]:
    tags = group.get("tags") or {}
    return {"Name": group["name"], "Location": group["location"],
            "Status": group["properties"]["provisioningState"],
            "Tags": ", ".join(f"{key}={value}" for key, value in tags.items())}


def _groups_table(data: Any) -> str:
    rows = [_group_row(group) for group in data]
    return fmt.columns_table(rows, [(key, key) for key in ("Name", "Location", "Status", "Tags")])


def _group_table(data: Any) -> str:
    return fmt.key_value_table(_group_row(data))


def _usage_table(data: Any) -> str:
    rows = [{"Name": row["localName"], "CurrentValue": row["currentValue"], "Limit": row["limit"]} for row in data]
    return fmt.columns_table(rows, [(key, key) for key in ("Name", "CurrentValue", "Limit")])


def parse_tags(words: list[str]) -> dict[str, str] | None:
    """`--tags env=test owner=ops` as az takes them (`key` alone is an empty value; `""` clears all)."""
    if not words:
        return None
    tags: dict[str, str] = {}
    for word in words:
        if word == "":
            continue
        key, _, value = word.partition("=")
        if not key:
            raise UsageError("InvalidArgumentValue", f"--tags: '{word}' has no name; write key=value.")
        tags[key] = value
    return tags


def _group_create(inv: Invocation) -> Result:
    args = inv.args
    group, created = _groups(inv).create_or_update_resource_group(args["name"], args["location"],
                                                                  parse_tags(args["tags"]))
    warnings = [] if created else [f"resource group '{group.name}' already existed: its tags were replaced"]
    return Result(data=group_json(group), table=_group_table, changed=True, warnings=warnings)


def _group_list(inv: Invocation) -> Result:
    groups = _groups(inv).list_resource_group_details()
    return Result(data=[group_json(group) for group in groups], table=_groups_table)


def _group_show(inv: Invocation) -> Result:
    return Result(data=group_json(_groups(inv).get_resource_group(inv.args["name"])), table=_group_table)


def _group_delete(inv: Invocation) -> Result:
    operation = _groups(inv).delete_resource_group(inv.args["name"])
    result = Result(data=fmt.operation_json(operation), table=fmt.operation_table, operation=operation,
                    changed=True)
    if inv.no_wait:
        return result
    final = inv.wait(operation)
    return Result(data=fmt.operation_json(final), table=fmt.operation_table, operation=final, changed=True)


def _confirm_group_delete(inv: Invocation) -> str:
    """Names every set (and its instance count) the delete removes: read before anything is sent."""
    group = _groups(inv).get_resource_group(inv.args["name"])
    sets = inv.backend.list_scale_sets(group.name)
    lines = [f"Delete resource group '{group.name}' ({group.location}) and everything in it? "
             f"This cannot be undone." + ("" if sets else " It holds no scale sets.")]
    lines += [f"  scale set {s.name} ({s.orchestration_mode}, {s.capacity} instance(s))" for s in sets]
    return "\n".join(lines)


def _usage(inv: Invocation) -> Result:
    location = inv.args["location"] or inv.backend.info().default_location
    rows = _groups(inv).list_usage(location)
    return Result(data=[usage_json(row) for row in rows], table=_usage_table)


LOCATION_REQUIRED = ParamSpec("location", "Region, e.g. westeurope.", flags=("--location", "-l"), required=True,
                              completion="locations", metavar="LOCATION")

RESOURCE_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "group create", "Create a resource group (or replace its tags).", _group_create, mutating=True,
        params=(GROUP_NAME, LOCATION_REQUIRED,
                ParamSpec("tags", "Tags as key=value (a key alone has an empty value).", flags=("--tags",),
                          multiple=True, metavar="KEY=VALUE")),
        help="Like `az group create`: a group that exists keeps its location (another one is refused with "
             "InvalidResourceGroupLocation) and gets the tags given.",
        examples=("group create lab-rg -l westeurope", "group create lab-rg -l westeurope --tags env=test"),
    ),
    CommandSpec(
        "group list", "List resource groups.", _group_list,
        examples=("group list", "group list --query \"[].name\" -o tsv"),
    ),
    CommandSpec(
        "group show", "Show one resource group.", _group_show, params=(GROUP_NAME,),
        examples=("group show practice-rg", "group show practice-rg --query location -o tsv"),
    ),
    CommandSpec(
        "group delete", "Delete a resource group and every scale set and VM in it (asks unless --yes).",
        _group_delete, mutating=True, destructive=True, waits=True, params=(GROUP_NAME,),
        confirm_text=_confirm_group_delete,
        help=("Everything in the group goes: Uniform and Flexible scale sets, their instances and VMs, its network "
              "resources (virtual networks, load balancers, public IPs, NSGs), its capacity reservation groups and "
              "its deployment history."),
        examples=("group delete lab-rg", "group delete lab-rg --yes --no-wait"),
    ),
    CommandSpec(
        "usage", "Compute quotas and usage in a region (like az vm list-usage).", _usage,
        params=(ParamSpec("location", "Region (default: the backend's).", flags=("--location", "-l"),
                          completion="locations", metavar="LOCATION"),),
        examples=("usage -l westeurope", "usage -l westeurope --query \"[?name.value=='cores']\""),
    ),
)
