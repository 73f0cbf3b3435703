"""Microsoft.Resources' ARM JSON: subscriptions, tenants and resource groups (azure-rest-api-specs
`specification/resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json`
and `.../2021-04-01/resources.json`), and Compute's regional usage rows."""

from __future__ import annotations

from typing import Any, Mapping

from ..domain.errors import AzureError, InvalidParameter
from ..domain.models import ResourceGroup, Usage
from .jsonpath import get_path

GROUP_TYPE = "Microsoft.Resources/resourceGroups"


def subscription_json(subscription_id: str, tenant_id: str, display_name: str) -> dict[str, Any]:
    """A `Subscription` as `GET /subscriptions[/{id}]` returns it (what `az login` and `az account show` read)."""
    return {
        "id": f"/subscriptions/{subscription_id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": subscription_id,
        "tenantId": tenant_id,
        "displayName": display_name,
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                 "spendingLimit": "Off"},
    }


def tenant_json(tenant_id: str, domain: str) -> dict[str, Any]:
    """A `TenantIdDescription` as `GET /tenants` returns it."""
    return {
        "id": f"/tenants/{tenant_id}",
        "tenantId": tenant_id,
        "tenantCategory": "Home",
        "countryCode": "US",
        "displayName": "vmss-tui emulator",
        "domains": [domain],
        "defaultDomain": domain,
        "tenantType": "AAD",
    }


def group_json(group: ResourceGroup) -> dict[str, Any]:
    """A `ResourceGroup` as `GET/PUT .../resourceGroups/{name}` returns it."""
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "type": GROUP_TYPE,
        "location": group.location,
        "properties": {"provisioningState": group.provisioning_state},
    }
    if group.tags:
        body["tags"] = dict(group.tags)
    return body


def group_from_json(body: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """(location, tags) of a group PUT body; ARM's LocationRequired when there is no location."""
    location = body.get("location")
    if not isinstance(location, str) or not location.strip():
        raise AzureError("The location property is required for this definition.", code="LocationRequired",
                         http_status=400, target="location")
    tags = body.get("tags") or {}
    if not isinstance(tags, Mapping) or not all(isinstance(v, str) for v in tags.values()):
        raise InvalidParameter("The tags must be an object of strings.", target="tags")
    if get_path(body, "properties", "provisioningState") not in (None, "Succeeded"):
        raise InvalidParameter("provisioningState is read-only.", target="properties.provisioningState")
    return location, {str(k): str(v) for k, v in tags.items()}


def usage_json(usage: Usage) -> dict[str, Any]:
    """A Compute `Usage` row, as `GET .../locations/{loc}/usages` returns it (`az vm list-usage`)."""
    return {"unit": usage.unit, "currentValue": usage.current_value, "limit": usage.limit,
            "name": {"value": usage.name, "localizedValue": usage.localized_name}}


# ---------------------------------------------------------------- deployments (issue 15)
#
# Shapes: azure-mgmt-resource-deployments 2.0.0's generated models `DeploymentExtended`,
# `DeploymentPropertiesExtended`, `DeploymentOperation`, `DeploymentOperationProperties`, `StatusMessage`,
# `TargetResource`, `DeploymentValidateResult`, `WhatIfOperationResult`, `WhatIfChange` and
# `WhatIfPropertyChange` (tests/deployments deserialize every body with them).

DEPLOYMENT_TYPE = "Microsoft.Resources/deployments"


def validate_deployment_name(name: str) -> None:
    """ARM's deployment names: 1-64 characters of letters, digits, `-._()` (the REST spec's pattern); checked by
    the emulator's deployments room and by the live adapter before anything is sent."""
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not all(
            ch.isascii() and (ch.isalnum() or ch in "-._()") for ch in name):
        from ..domain.names import shown

        raise InvalidParameter(
            f"The deployment name '{shown(str(name))}' is not valid: use 1 to 64 letters, digits, '-', '.', "
            "'_', '(' or ')'.", target="deploymentName")


def deployment_not_found(resource_group: str, name: str) -> AzureError:
    """ARM's 404 for a deployment the group does not have."""
    from ..domain.errors import ResourceNotFound

    return ResourceNotFound(f"Deployment '{name}' could not be found.", code="DeploymentNotFound", target=name)


def iso(epoch: float) -> str:
    """ARM's timestamp text for an emulator time (UTC, with the offset)."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def iso_duration(seconds: float) -> str:
    """ARM's `duration` (ISO 8601, e.g. PT12.5S)."""
    return f"PT{max(0.0, seconds):.3f}S".replace(".000S", "S")


def deployment_state(doc: Mapping[str, Any], now: float) -> str:
    if doc.get("canceled") is not None and doc["canceled"] <= now:
        return "Canceled"
    if now < doc["running"]:
        return "Accepted"
    if now < doc["finish"]:
        return "Running"
    return str(doc["outcome"])


def _providers(types: list[str]) -> list[dict[str, Any]]:
    by_namespace: dict[str, list[str]] = {}
    for resource_type in types:
        namespace, _, rest = resource_type.partition("/")
        by_namespace.setdefault(namespace, []).append(rest)
    return [{"namespace": namespace, "resourceTypes": [{"resourceType": rest} for rest in rests]}
            for namespace, rests in by_namespace.items()]


def camel_case(name: str) -> str:
    """Newtonsoft's ToCamelCase, which ARM's serializer applies to dictionary keys such as output names: "VMSS" ->
    "vmss", "URLValue" -> "urlValue", "myOutput" unchanged. azure-cli relies on it: `az vmss create` declares the
    output 'VMSS' and reads `deployment_result['vmss']` (command_modules/vm/custom.py)."""
    if not name or not name[0].isupper():
        return name
    chars = list(name)
    for index, char in enumerate(chars):
        if index == 1 and not char.isupper():
            break
        has_next = index + 1 < len(chars)
        if index > 0 and has_next and not chars[index + 1].isupper():
            if chars[index + 1] == " ":
                chars[index] = char.lower()
            break
        chars[index] = char.lower()
    return "".join(chars)


def deployment_json(doc: Mapping[str, Any], now: float) -> dict[str, Any]:
    """A stored deployment as `GET .../deployments/{name}` returns it at `now` (outputs and error once it ended)."""
    state = deployment_state(doc, now)
    ended = state in ("Succeeded", "Failed", "Canceled")
    until = min(now, doc["canceled"]) if state == "Canceled" else (doc["finish"] if ended else now)
    properties: dict[str, Any] = {
        "templateHash": doc["templateHash"],
        "parameters": doc["parameters"],
        "mode": doc["mode"],
        "provisioningState": state,
        "timestamp": iso(until),
        "duration": iso_duration(until - doc["start"]),
        "correlationId": doc["correlationId"],
        "providers": _providers(doc.get("providers") or []),
        "dependencies": [],
        "outputs": ({camel_case(key): value for key, value in doc["outputs"].items()}
                    if state == "Succeeded" and doc["outputs"] is not None else None),
        "outputResources": [{"id": rid} for rid in doc.get("outputResources") or []] if ended else [],
    }
    if state == "Failed" and doc.get("error"):
        properties["error"] = doc["error"]
    return {"id": doc["id"], "name": doc["name"], "type": DEPLOYMENT_TYPE, "properties": properties}


def deployment_operations_json(doc: Mapping[str, Any], now: float) -> list[dict[str, Any]]:
    """The deployment's operations that have started by `now`, newest first, each with its own state and error."""
    canceled = doc.get("canceled")
    rows: list[dict[str, Any]] = []
    for op in doc.get("operations") or []:
        if op["start"] > now and (canceled is None or op["start"] > canceled):
            continue
        if canceled is not None and canceled <= now and op["finish"] > canceled:
            state, until = "Canceled", canceled
        elif now < op["finish"]:
            state, until = "Running", now
        else:
            state, until = op["status"], op["finish"]
        target = op["target"]
        properties: dict[str, Any] = {
            "provisioningOperation": op["operation"],
            "provisioningState": state,
            "timestamp": iso(until),
            "duration": iso_duration(until - op["start"]),
            "trackingId": op["id"],
            "serviceRequestId": op["id"],
            "targetResource": {"id": target["id"], "resourceType": target["type"], "resourceName": target["name"]},
        }
        if state in ("Succeeded", "Failed"):
            properties["statusCode"] = op["statusCode"]
            properties["statusMessage"] = ({"status": "Failed", "error": op["error"]} if state == "Failed"
                                           else {"status": "OK"})
        rows.append({"id": f"{doc['id']}/operations/{op['id']}", "operationId": op["id"], "properties": properties})
    return list(reversed(rows))


def validation_json(group_id: str, name: str, mode: str, parameters: Mapping[str, Any], hash_text: str,
                    resource_ids: list[str], now: float) -> dict[str, Any]:
    """`DeploymentValidateResult` of a preflight that passed."""
    return {"id": f"{group_id}/providers/{DEPLOYMENT_TYPE}/{name}", "name": name, "type": DEPLOYMENT_TYPE,
            "properties": {"templateHash": hash_text, "parameters": dict(parameters), "mode": mode,
                           "provisioningState": "Succeeded", "timestamp": iso(now), "duration": "PT0S",
                           "correlationId": "", "providers": [], "dependencies": [],
                           "validatedResources": [{"id": rid} for rid in resource_ids]}}


def what_if_json(changes: list[dict[str, Any]]) -> dict[str, Any]:
    """`WhatIfOperationResult`: one `WhatIfChange` per resource, sorted by id as az shows them."""
    return {"status": "Succeeded",
            "properties": {"changes": sorted(changes, key=lambda change: change["resourceId"].lower())}}


CHANGE_WEIGHTS = {"Delete": 0, "Create": 1, "Deploy": 2, "Modify": 3, "NoChange": 4, "Unsupported": 5, "Ignore": 6,
                  "NoEffect": 7}
"""az's order of change types (azure-cli resource/_formatters.py `_change_type_to_weight`)."""
CHANGE_COUNT_WORDS = {"Create": "to create", "Delete": "to delete", "Deploy": "to deploy", "Modify": "to modify",
                      "Ignore": "to ignore", "NoChange": "no change", "Unsupported": "unsupported"}


def what_if_summary(result: Mapping[str, Any]) -> str:
    """az's last line: "Resource changes: 1 to create, 1 to modify." (az's order: delete, create, deploy, modify,
    no change, unsupported, ignore; zero counts left out). The whole text: commands/what_if_format.py."""
    counts: dict[str, int] = {}
    for change in get_path(result, "properties", "changes", default=None) or []:
        kind = str(change.get("changeType", "")) if isinstance(change, Mapping) else ""
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{counts[kind]} {CHANGE_COUNT_WORDS[kind]}"
             for kind in sorted(counts, key=lambda k: CHANGE_WEIGHTS.get(k, len(CHANGE_WEIGHTS)))
             if kind in CHANGE_COUNT_WORDS]
    return "Resource changes: " + (", ".join(parts) + "." if parts else "no change.")


_READ_ONLY = ("provisioningState", "uniqueId", "timeCreated")


def exported_scale_set_template(scale_set: Mapping[str, Any]) -> dict[str, Any]:
    """A scale set (its GET body) as a template that redeploys to the same set (ARM's exportTemplate shape:
    a parameter for the name, read-only properties left out)."""
    properties = {key: value for key, value in (scale_set.get("properties") or {}).items() if key not in _READ_ONLY}
    resource: dict[str, Any] = {
        "type": scale_set.get("type", "Microsoft.Compute/virtualMachineScaleSets"),
        "apiVersion": "2024-07-01",
        "name": "[parameters('virtualMachineScaleSets_name')]",
        "location": scale_set["location"],
        "sku": dict(scale_set.get("sku") or {}),
        "properties": properties,
    }
    if scale_set.get("tags"):
        resource["tags"] = dict(scale_set["tags"])
    if scale_set.get("zones"):
        resource["zones"] = list(scale_set["zones"])
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"virtualMachineScaleSets_name": {"defaultValue": scale_set["name"], "type": "String"}},
            "variables": {}, "resources": [resource]}
