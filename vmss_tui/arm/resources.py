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
