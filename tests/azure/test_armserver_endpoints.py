"""What `az` calls that the endpoint answers as Azure does (issue 12 section 2), request by request (no socket).

Shapes are from azure-rest-api-specs (Resources/Subscriptions, Compute) and the SDK's models; the
choices are written in docs/emulator-fidelity.md, "The ARM endpoint (issue 12)".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from vmss_tui.armserver import ArmApp
from vmss_tui.domain.images import IMAGE_ALIASES
from vmss_tui.domain.models import OrchestrationMode, PowerState
from vmss_tui.domain.sizes import SIZES

from .test_armserver_routing import BASE, RG, app, call, create_sets, emulator, sets_path  # noqa: F401

RESOURCES_API = "api-version=2022-12-01"
GROUPS_API = "api-version=2021-04-01"


def groups_path(app: ArmApp) -> str:
    return f"/subscriptions/{app.subscription_id}/resourceGroups"


def compute_location_path(app: ArmApp, location: str = "westeurope") -> str:
    return f"/subscriptions/{app.subscription_id}/providers/Microsoft.Compute/locations/{location}"


def poll_to_the_end(app: ArmApp, url: str) -> Any:
    for _ in range(50):
        response = call(app, "GET", url.removeprefix(BASE))
        if response.status != 202:
            return response
    raise AssertionError(f"{url} still 202 after 50 polls")


# ---------------------------------------------------------------- subscriptions and tenants

def test_get_subscriptions_lists_the_one_subscription_with_its_tenant_as_az_login_reads_it(app: ArmApp) -> None:
    response = call(app, "GET", "/subscriptions", query=RESOURCES_API)
    assert response.status == 200
    (subscription,) = response.body["value"]
    assert subscription["subscriptionId"] == app.subscription_id
    assert subscription["id"] == f"/subscriptions/{app.subscription_id}"
    assert subscription["state"] == "Enabled" and subscription["displayName"]
    assert subscription["tenantId"] and subscription["subscriptionPolicies"]["spendingLimit"]
    assert response.body["count"] == {"type": "Total", "value": 1}


def test_get_tenants_lists_the_tenant_the_subscriptions_name(app: ArmApp) -> None:
    response = call(app, "GET", "/tenants", query=RESOURCES_API)
    assert response.status == 200
    (tenant,) = response.body["value"]
    subscription = call(app, "GET", "/subscriptions", query=RESOURCES_API).body["value"][0]
    assert tenant["tenantId"] == subscription["tenantId"]
    assert tenant["id"] == f"/tenants/{tenant['tenantId']}" and tenant["tenantCategory"] == "Home"
    assert tenant["defaultDomain"] in tenant["domains"]


def test_the_tenant_is_the_token_authoritys_when_one_serves_sign_in(app: ArmApp) -> None:
    class Authority:
        tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"

        def serve(self, *args: Any) -> None:
            return None

        def check_bearer(self, *args: Any) -> None:
            return None

    app.settings.authority = Authority()
    assert call(app, "GET", "/tenants", query=RESOURCES_API).body["value"][0]["tenantId"] == Authority.tenant_id
    assert call(app, "GET", f"/subscriptions/{app.subscription_id}",
                query=RESOURCES_API).body["tenantId"] == Authority.tenant_id


# ---------------------------------------------------------------- resource groups

def test_group_put_creates_201_then_updates_200_keeping_the_stored_spelling_and_tags(app: ArmApp) -> None:
    created = call(app, "PUT", groups_path(app) + "/Team-RG", {"location": "westeurope", "tags": {"env": "test"}},
                   query=GROUPS_API)
    assert created.status == 201
    assert created.body == {
        "id": f"/subscriptions/{app.subscription_id}/resourceGroups/Team-RG", "name": "Team-RG",
        "type": "Microsoft.Resources/resourceGroups", "location": "westeurope", "tags": {"env": "test"},
        "properties": {"provisioningState": "Succeeded"}}
    updated = call(app, "PUT", groups_path(app) + "/team-rg", {"location": "westeurope", "tags": {"env": "prod"}},
                   query=GROUPS_API)
    assert updated.status == 200 and updated.body["name"] == "Team-RG" and updated.body["tags"] == {"env": "prod"}
    shown = call(app, "GET", groups_path(app) + "/TEAM-rg", query=GROUPS_API)
    assert shown.status == 200 and shown.body["tags"] == {"env": "prod"}


def test_group_put_without_a_location_is_refused_and_another_location_is_invalid(app: ArmApp) -> None:
    missing = call(app, "PUT", groups_path(app) + "/g", {"tags": {}}, query=GROUPS_API)
    assert missing.status == 400 and missing.body["error"]["code"] == "LocationRequired"
    call(app, "PUT", groups_path(app) + "/g", {"location": "westeurope"}, query=GROUPS_API)
    moved = call(app, "PUT", groups_path(app) + "/g", {"location": "eastus"}, query=GROUPS_API)
    assert moved.status == 409 and moved.body["error"]["code"] == "InvalidResourceGroupLocation"


def test_group_head_is_204_when_it_exists_and_404_without_a_body_when_not(app: ArmApp) -> None:
    call(app, "PUT", groups_path(app) + "/g", {"location": "westeurope"}, query=GROUPS_API)
    assert call(app, "HEAD", groups_path(app) + "/G", query=GROUPS_API).status == 204
    absent = call(app, "HEAD", groups_path(app) + "/nope", query=GROUPS_API)
    assert absent.status == 404 and absent.body is None


def test_group_list_has_every_group_with_location_and_tags(app: ArmApp) -> None:
    for name in ("b-rg", "a-rg"):
        call(app, "PUT", groups_path(app) + f"/{name}", {"location": "westeurope", "tags": {"n": name}},
             query=GROUPS_API)
    listed = call(app, "GET", groups_path(app), query=GROUPS_API).body["value"]
    names = [group["name"] for group in listed]
    assert {"a-rg", "b-rg"} <= set(names) and names == sorted(names, key=str.lower)
    assert next(g for g in listed if g["name"] == "a-rg")["tags"] == {"n": "a-rg"}


def test_group_delete_is_202_with_a_location_to_poll_and_removes_the_sets_in_it(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=2)
    response = call(app, "DELETE", groups_path(app) + f"/{RG}", query=GROUPS_API)
    assert response.status == 202 and response.body is None and "Azure-AsyncOperation" not in response.headers
    location = response.headers["Location"]
    assert location.startswith(f"{BASE}/subscriptions/{app.subscription_id}/operationresults/")
    assert "api-version=2021-04-01" in location
    assert poll_to_the_end(app, location).status == 200
    gone = call(app, "GET", groups_path(app) + f"/{RG}", query=GROUPS_API)
    assert gone.status == 404 and gone.body["error"]["code"] == "ResourceGroupNotFound"
    assert emulator.list_scale_sets(None) == []


def test_deleting_a_group_that_does_not_exist_is_resource_group_not_found(app: ArmApp) -> None:
    response = call(app, "DELETE", groups_path(app) + "/nope", query=GROUPS_API)
    assert response.status == 404 and response.body["error"]["code"] == "ResourceGroupNotFound"


@pytest.mark.parametrize("method, suffix", [
    ("GET", "/providers/Microsoft.Compute/virtualMachineScaleSets"),
    ("GET", "/providers/Microsoft.Compute/virtualMachineScaleSets/web"),
    ("GET", "/providers/Microsoft.Compute/virtualMachineScaleSets/web/virtualMachines"),
    ("GET", "/providers/Microsoft.Compute/virtualMachineScaleSets/web/virtualMachines/0"),
    ("POST", "/providers/Microsoft.Compute/virtualMachineScaleSets/web/restart"),
    ("DELETE", "/providers/Microsoft.Compute/virtualMachineScaleSets/web"),
    ("GET", "/providers/Microsoft.Compute/virtualMachines"),
    ("GET", "/providers/Microsoft.Compute/virtualMachines/vm1"),
    ("PUT", "/providers/Microsoft.Compute/virtualMachineScaleSets/web"),
])
def test_every_group_scoped_route_answers_resource_group_not_found_for_a_missing_group(
        app: ArmApp, method: str, suffix: str) -> None:
    body = {"location": "westeurope", "sku": {"name": "Standard_D2s_v3", "capacity": 1},
            "properties": {"orchestrationMode": "Uniform"}} if method == "PUT" else None
    response = call(app, method, groups_path(app) + "/no-such-rg" + suffix, body)
    assert response.status == 404, response.body
    assert response.body["error"]["code"] == "ResourceGroupNotFound"
    assert "no-such-rg" in response.body["error"]["message"]


def test_a_missing_scale_set_vm_is_not_found_as_compute_says_it(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    for suffix in ("/web/virtualMachines/99", "/web/virtualMachines/99/instanceView"):
        response = call(app, "GET", sets_path(app) + suffix)
        assert response.status == 404 and response.body["error"]["code"] == "NotFound"
        assert response.body["error"]["message"] == "The entity was not found in this Azure location."


# ---------------------------------------------------------------- usage, skus, reimageall

def test_usages_list_the_regions_quotas_as_az_vm_list_usage_reads_them(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=2)
    response = call(app, "GET", compute_location_path(app) + "/usages")
    assert response.status == 200
    rows = {row["name"]["value"]: row for row in response.body["value"]}
    cores = rows["cores"]
    assert cores["name"]["localizedValue"] == "Total Regional vCPUs" and cores["unit"] == "Count"
    expected = {u.name: u for u in emulator.list_usage("westeurope")}
    assert cores["currentValue"] == expected["cores"].current_value > 0
    assert cores["limit"] == expected["cores"].limit
    assert set(rows) == set(expected)


def test_reimageall_with_instance_ids_reimages_those_instances(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=2)
    response = call(app, "POST", sets_path(app) + "/web/reimageall", {"instanceIds": ["1"]})
    assert response.status == 202 and "Azure-AsyncOperation" in response.headers
    assert poll_to_the_end(app, response.headers["Location"]).status in (200, 204)
    operation_id = urlsplit(response.headers["Azure-AsyncOperation"]).path.rsplit("/", 1)[1]
    operation = emulator.get_operation(operation_id)
    assert operation.status.value == "Succeeded"
    assert operation.kind.lower() == "reimage" and operation.instance_ids == ("1",)


def test_list_skus_gives_each_size_with_the_sets_capacity_range(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    response = call(app, "GET", sets_path(app) + "/web/skus")
    assert response.status == 200
    skus = response.body["value"]
    assert {sku["sku"]["name"] for sku in skus} == {size.name for size in SIZES.values()}
    first = skus[0]
    assert first["resourceType"] == "Microsoft.Compute/virtualMachineScaleSets"
    assert first["sku"]["tier"] == "Standard"
    assert first["capacity"]["minimum"] == 0 and first["capacity"]["scaleType"] == "Automatic"
    assert first["capacity"]["maximum"] in (100, 1000) and first["capacity"]["defaultCapacity"] >= 1


def test_list_skus_of_a_missing_set_is_resource_not_found(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    response = call(app, "GET", sets_path(app) + "/nope/skus")
    assert response.status == 404 and response.body["error"]["code"] == "ResourceNotFound"


# ---------------------------------------------------------------- image look-ups

def _versions_path(app: ArmApp, reference: dict[str, str]) -> str:
    return (compute_location_path(app) + f"/publishers/{reference['publisher']}/artifacttypes/vmimage/offers/"
            f"{reference['offer']}/skus/{reference['sku']}/versions")


def test_the_image_versions_az_vmss_create_asks_for_come_from_the_catalogue(app: ArmApp) -> None:
    reference = IMAGE_ALIASES["Ubuntu2204"]
    listed = call(app, "GET", _versions_path(app, reference), query="api-version=2024-07-01&$top=1&$orderby=name%20desc")
    assert listed.status == 200 and isinstance(listed.body, list) and len(listed.body) == 1
    (latest,) = listed.body
    assert latest["location"] == "westeurope" and latest["name"]
    assert latest["id"].lower().endswith(f"/versions/{latest['name']}".lower())
    shown = call(app, "GET", _versions_path(app, reference) + f"/{latest['name']}")
    assert shown.status == 200 and shown.body["name"] == latest["name"]
    assert shown.body["properties"]["osDiskImage"]["operatingSystem"] == "Linux"
    assert shown.body["properties"]["hyperVGeneration"] == "V2"


def test_all_versions_are_listed_newest_last_without_top(app: ArmApp) -> None:
    listed = call(app, "GET", _versions_path(app, IMAGE_ALIASES["Win2022Datacenter"])).body
    names = [item["name"] for item in listed]
    assert len(names) >= 2 and names == sorted(names, key=lambda v: [int(p) for p in v.split(".")])
    shown = call(app, "GET", _versions_path(app, IMAGE_ALIASES["Win2022Datacenter"]) + f"/{names[0]}")
    assert shown.body["properties"]["osDiskImage"]["operatingSystem"] == "Windows"


def test_an_image_outside_the_catalogue_is_azures_not_found(app: ArmApp) -> None:
    reference = {"publisher": "Nobody", "offer": "nothing", "sku": "none"}
    listed = call(app, "GET", _versions_path(app, reference))
    assert listed.status == 404 and listed.body["error"]["code"] in ("NotFound", "ResourceNotFound")
    version = call(app, "GET", _versions_path(app, IMAGE_ALIASES["Ubuntu2204"]) + "/1.2.3")
    assert version.status == 404


# ---------------------------------------------------------------- etags, preconditions, create state

def test_scale_sets_and_their_vms_carry_an_etag_that_changes_when_the_set_changes(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=1)
    first = call(app, "GET", sets_path(app) + "/web")
    etag = first.body["etag"]
    assert etag.startswith('"') and etag.endswith('"') and first.headers["ETag"] == etag
    assert call(app, "GET", sets_path(app) + "/web").body["etag"] == etag
    vm = call(app, "GET", sets_path(app) + "/web/virtualMachines/0")
    assert vm.body["etag"].startswith('"')
    call(app, "PATCH", sets_path(app) + "/web", {"tags": {"env": "test"}, "sku": {"capacity": 2}})
    assert call(app, "GET", sets_path(app) + "/web").body["etag"] != etag


def test_if_match_with_a_stale_etag_is_412_precondition_failed_and_changes_nothing(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=1)
    etag = call(app, "GET", sets_path(app) + "/web").body["etag"]
    call(app, "PATCH", sets_path(app) + "/web", {"sku": {"capacity": 2}})
    stale = call(app, "PATCH", sets_path(app) + "/web", {"sku": {"capacity": 3}}, headers={
        "Authorization": "Bearer t", "If-Match": etag})
    assert stale.status == 412 and stale.body["error"]["code"] == "PreconditionFailed"
    assert emulator.get_scale_set(RG, "web").capacity == 2
    current = call(app, "GET", sets_path(app) + "/web").body["etag"]
    fresh = call(app, "PATCH", sets_path(app) + "/web", {"sku": {"capacity": 3}}, headers={
        "Authorization": "Bearer t", "If-Match": current})
    assert fresh.status == 200 and emulator.get_scale_set(RG, "web").capacity == 3
    delete = call(app, "DELETE", sets_path(app) + "/web", headers={"Authorization": "Bearer t", "If-Match": etag})
    assert delete.status == 412 and emulator.get_scale_set(RG, "web")


def test_if_match_star_on_a_missing_set_and_if_none_match_star_on_an_existing_one_are_412(
        app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=1)
    body = {"location": "westeurope", "sku": {"name": "Standard_D2s_v3", "capacity": 1},
            "properties": {"orchestrationMode": "Uniform"}}
    missing = call(app, "PUT", sets_path(app) + "/new", body, headers={"Authorization": "Bearer t", "If-Match": "*"})
    assert missing.status == 412
    existing = call(app, "PUT", sets_path(app) + "/web", body,
                    headers={"Authorization": "Bearer t", "If-None-Match": "*"})
    assert existing.status == 412 and existing.body["error"]["code"] == "PreconditionFailed"


def test_a_creates_201_body_says_creating(app: ArmApp, emulator: Any) -> None:
    body = {"location": "westeurope", "sku": {"name": "Standard_D2s_v3", "capacity": 2},
            "properties": {"orchestrationMode": "Uniform"}}
    response = call(app, "PUT", sets_path(app) + "/new", body)
    assert response.status == 201
    assert response.body["properties"]["provisioningState"] == "Creating"
    assert response.body["etag"]


# ---------------------------------------------------------------- LRO header forms

def test_lro_headers_have_computes_forms_and_the_monitor_url_answers_the_location_protocol(
        app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=1)
    response = call(app, "POST", sets_path(app) + "/web/restart", {"instanceIds": ["0"]})
    status_url, location = response.headers["Azure-AsyncOperation"], response.headers["Location"]
    prefix = f"{BASE}/subscriptions/{app.subscription_id}/providers/Microsoft.Compute/locations/westeurope/operations/"
    assert status_url.startswith(prefix) and location.startswith(prefix)
    assert urlsplit(status_url).path == urlsplit(location).path
    status_query, location_query = parse_qs(urlsplit(status_url).query), parse_qs(urlsplit(location).query)
    assert "monitor" not in status_query and location_query["monitor"] == ["true"]
    assert status_query["api-version"] == location_query["api-version"] == ["2026-04-01"]
    assert status_query["p"] == location_query["p"]
    assert call(app, "GET", status_url.removeprefix(BASE)).body["status"] == "Succeeded"
    assert poll_to_the_end(app, location).status == 204
    assert [i.power_state for i in emulator.list_instances(RG, "web")] == [PowerState.RUNNING]


def test_a_flexible_create_201_also_says_creating(app: ArmApp) -> None:
    body = {"location": "westeurope", "sku": {"name": "Standard_D2s_v3", "capacity": 1},
            "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1,
                           "virtualMachineProfile": {"osProfile": {"computerNamePrefix": "f"}}}}
    response = call(app, "PUT", sets_path(app) + "/flex", body)
    assert response.status == 201 and response.body["properties"]["provisioningState"] == "Creating"
    assert OrchestrationMode.FLEXIBLE.value == response.body["properties"]["orchestrationMode"]


def test_listing_scale_set_vms_of_a_flexible_set_lists_its_vms_by_their_vm_ids(app: ArmApp, emulator: Any) -> None:
    """Azure: with Flexible orchestration "the list Virtual Machine Scale Sets VM command provides a list of
    scale sets VM IDs" (the set's VMs, each instance id its VM name)."""
    create_sets(emulator, "flex", mode=OrchestrationMode.FLEXIBLE, capacity=2)
    response = call(app, "GET", sets_path(app) + "/flex/virtualMachines", query="api-version=2024-07-01&$expand=instanceView")
    assert response.status == 200, response.body
    vms = response.body["value"]
    names = sorted(i.name for i in emulator.list_instances(RG, "flex"))
    assert sorted(vm["instanceId"] for vm in vms) == names
    for vm in vms:
        assert "/providers/Microsoft.Compute/virtualMachines/" in vm["id"] and vm["id"].endswith("/" + vm["instanceId"])
        assert vm["properties"]["instanceView"]["statuses"][1]["code"] == "PowerState/running"


@pytest.mark.parametrize("version", ["2024-11-01", "2024-07-01", "2025-04-01"])
def test_the_resources_api_versions_az_sends_for_groups_are_accepted(app: ArmApp, version: str) -> None:
    """azure-cli 2.91 sends 2024-11-01 for `az group ...`; each is a stable folder of the Resources spec."""
    created = call(app, "PUT", groups_path(app) + "/v-rg", {"location": "westeurope"}, query=f"api-version={version}")
    assert created.status in (200, 201), created.body
