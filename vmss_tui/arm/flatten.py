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
named `properties` in them is kept where it is. Rule 1 is Compute's (and Network's) convention, not
ARM's: a resource whose SDK model keeps `properties` nested, such as a resource group
(`az group show`), must not go through `az_shape`. docs/emulator-fidelity.md, "One Azure shape
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
    return _shape(resource, True, True)


def _shape(value: Any, flatten: bool, group: bool) -> Any:
    """One pass: merge `properties` (when `flatten`), add `resourceGroup` (when `group`), sort keys."""
    if isinstance(value, dict) or isinstance(value, Mapping):  # dict first: the ABC check is slow
        out: dict[str, Any] = {}
        _merge(value, flatten, group, out)
        if group and "resourceGroup" not in out:
            resource_group = resource_group_of(out.get("id"))
            if resource_group is not None:
                out["resourceGroup"] = resource_group
        return {key: out[key] for key in sorted(out)}
    if isinstance(value, list):
        return [_shape(item, flatten, group) for item in value]
    return value


def _merge(value: Mapping[str, Any], flatten: bool, group: bool, out: dict[str, Any]) -> None:
    """`value`'s members into `out`, a `properties` object's members merged in (az checks the
    merged object for `resourceGroup`, so the check waits for the caller)."""
    for key, item in value.items():
        if flatten and key == "properties" and isinstance(item, Mapping):
            _merge(item, True, group, out)
        elif isinstance(item, (str, int, float, bool)) or item is None:
            out[key] = item  # the common case, without a call
        else:
            out[key] = _shape(item, flatten and key not in VERBATIM_KEYS, group and key != _NO_GROUP_BELOW)


def resource_group_of(resource_id: Any) -> str | None:
    """The group az reads from an id: segment 4 when segment 3 is `resourceGroups` and the id
    names a resource (at least 9 segments), else None."""
    if not isinstance(resource_id, str) or not resource_id:
        return None
    parts = resource_id.split("/")
    if len(parts) < 9 or parts[3].lower() != "resourcegroups":
        return None
    return parts[4]
