"""An ARM resource body as the Azure CLI prints it: one generic function, `az_shape`.

az 2.91 prints `az vmss show`, `az vmss list-instances` and `az vm show` through its generated
(aaz) commands, which return the service's JSON with three changes, and so does this module:

1. every `properties` object is merged into the object that holds it (aaz's `client_flatten`,
   the swagger's `x-ms-client-flatten`; in azure-mgmt-compute every `properties` reachable from
   a scale set, a scale-set VM or a VM is flattened), keys kept exactly as ARM spells them;
2. every object with an ARM `id` inside a resource group gets `resourceGroup` (azure-cli's
   `_add_resource_group` in azure/cli/core/_transforms.py: not below `sourceVault`);
3. keys sorted at every level (knack prints JSON with `sort_keys=True`).

Free-form values (extension `settings`/`protectedSettings`, `tags`) are data, not schema: a key
named `properties` in them is kept where it is. docs/emulator-fidelity.md, "One Azure shape
(issue 12)", lists the sources; tests/test_azure_shape.py checks the result against the SDK.
"""

from __future__ import annotations

from typing import Any, Mapping

VERBATIM_KEYS = frozenset({"tags", "settings", "protectedSettings"})
"""Members whose value is free-form data (no `properties` in it is flattened); tests derive the
free-form fields from azure-mgmt-compute's models and check this set covers them."""

_NO_GROUP_BELOW = "sourceVault"


def az_shape(resource: Mapping[str, Any]) -> dict[str, Any]:
    """`resource` (an ARM body) as az prints it: flattened, with `resourceGroup`, keys sorted."""
    flat = _flatten(resource)
    _add_resource_group(flat)
    return _sorted(flat)


def _flatten(value: Any) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in VERBATIM_KEYS:
                out[key] = _copy(item)
            elif key == "properties" and isinstance(item, Mapping):
                out.update(_flatten(item))
            else:
                out[key] = _flatten(item)
        return out
    if isinstance(value, list):
        return [_flatten(item) for item in value]
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def resource_group_of(resource_id: Any) -> str | None:
    """The group az reads from an id: segment 4 when segment 3 is `resourceGroups` and the id
    names a resource (at least 9 segments), else None."""
    if not isinstance(resource_id, str) or not resource_id:
        return None
    parts = resource_id.split("/")
    if len(parts) < 9 or parts[3].lower() != "resourcegroups":
        return None
    return parts[4]


def _add_resource_group(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _add_resource_group(item)
    elif isinstance(value, dict):
        if "resourceGroup" not in value:
            group = resource_group_of(value.get("id"))
            if group is not None:
                value["resourceGroup"] = group
        for key, item in value.items():
            if key != _NO_GROUP_BELOW:
                _add_resource_group(item)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
