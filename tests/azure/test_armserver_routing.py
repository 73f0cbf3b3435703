"""The ARM endpoint's routing, shapes and LRO protocol, driven request by request (no socket)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from vmss_tui.armserver import ArmApp, Response, ServerSettings
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

BASE = "https://127.0.0.1:9999"
API = "api-version=2026-04-01"
RG = "route-rg"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Any]:
    backend = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    if hasattr(backend, "create_or_update_resource_group"):  # sets need their group, as in Azure
        backend.create_or_update_resource_group(RG, "westeurope")
    yield backend
    backend.close()


@pytest.fixture
def app(emulator: Any) -> ArmApp:
    return ArmApp(emulator, ServerSettings())


def call(app: ArmApp, method: str, path: str, body: Any = None, *, query: str = API,
         headers: dict[str, str] | None = None) -> Response:
    target = path if "?" in path else f"{path}?{query}" if query else path
    sent = {"Authorization": "Bearer token"} if headers is None else headers
    raw = json.dumps(body).encode() if body is not None else b""
    return app.handle(method, target, sent, raw, BASE)


def sets_path(app: ArmApp) -> str:
    return (f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/"
            "Microsoft.Compute/virtualMachineScaleSets")


def create_sets(emulator: Any, *names: str, mode: OrchestrationMode = OrchestrationMode.UNIFORM,
                capacity: int = 1) -> None:
    for name in names:
        emulator.wait(emulator.create_scale_set(ScaleSetSpec(name=name, resource_group=RG, orchestration_mode=mode,
                                                             capacity=capacity)))


def test_a_request_without_a_bearer_token_is_refused_with_401(app: ArmApp) -> None:
    response = call(app, "GET", sets_path(app), headers={})
    assert response.status == 401 and response.body["error"]["code"] == "AuthenticationFailed"
    assert call(app, "GET", sets_path(app), headers={"Authorization": "Bearer "}).status == 401


def test_any_non_empty_bearer_token_is_accepted(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    assert call(app, "GET", sets_path(app), headers={"authorization": "Bearer whatever"}).status == 200


def test_a_request_without_api_version_gets_azures_missing_api_version_error(app: ArmApp) -> None:
    response = call(app, "GET", sets_path(app), query="")
    assert response.status == 400 and response.body["error"]["code"] == "MissingApiVersionParameter"


def test_another_subscription_is_not_found(app: ArmApp) -> None:
    response = call(app, "GET", "/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
                                "Microsoft.Compute/virtualMachineScaleSets")
    assert response.status == 404 and response.body["error"]["code"] == "SubscriptionNotFound"


def test_unknown_paths_and_methods_get_arm_errors(app: ArmApp) -> None:
    unknown = call(app, "GET", f"/subscriptions/{app.subscription_id}/providers/Microsoft.Compute/disks")
    assert unknown.status == 404 and unknown.body["error"]["code"] == "InvalidResourceType"
    assert call(app, "POST", sets_path(app)).status == 405


def test_every_response_carries_a_request_id(app: ArmApp) -> None:
    for response in (call(app, "GET", sets_path(app)), call(app, "GET", sets_path(app), headers={})):
        assert len(response.headers["x-ms-request-id"]) == 36


def test_paths_are_matched_case_insensitively(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    response = call(app, "GET", sets_path(app).lower().replace(RG, RG) + "/WEB")
    assert response.status == 200 and response.body["name"] == "web"


def test_a_missing_scale_set_is_a_404_with_azures_error_body(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    response = call(app, "GET", sets_path(app) + "/nope")
    assert response.status == 404
    assert response.body["error"]["code"] == "ResourceNotFound"
    assert "virtualMachineScaleSets/nope" in response.body["error"]["message"]
    assert response.body["error"]["target"] == "nope"


def test_lists_page_with_an_absolute_next_link_that_carries_api_version_and_a_skiptoken(
        app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "a", "b", "c", "d", "e")
    app.settings.page_size = 2
    names: list[str] = []
    response = call(app, "GET", sets_path(app))
    pages = 1
    while True:
        names += [item["name"] for item in response.body["value"]]
        link = response.body.get("nextLink")
        if not link:
            break
        assert link.startswith(BASE + "/subscriptions/") and "api-version=2026-04-01" in link
        assert "%24skiptoken=" in link or "$skiptoken=" in link
        split = urlsplit(link)
        response = call(app, "GET", f"{split.path}?{split.query}")
        pages += 1
    assert names == ["a", "b", "c", "d", "e"] and pages == 3


def test_a_bad_skiptoken_is_an_invalid_parameter(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    response = call(app, "GET", sets_path(app), query=API + "&$skiptoken=garbage")
    assert response.status == 400 and response.body["error"]["target"] == "$skiptoken"


def test_a_post_action_answers_202_with_both_status_urls_and_no_body(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=2)
    response = call(app, "POST", sets_path(app) + "/web/deallocate", {"instanceIds": ["0"]})
    assert response.status == 202 and response.body is None
    status_url = response.headers["Azure-AsyncOperation"]
    assert "/providers/Microsoft.Compute/locations/westeurope/operations/" in status_url
    assert "/operations/" in response.headers["Location"] and "monitor=true" in response.headers["Location"]
    status = call(app, "GET", status_url.removeprefix(BASE))
    assert status.status == 200 and status.body["status"] == "Succeeded" and status.body["name"]
    assert call(app, "GET", response.headers["Location"].removeprefix(BASE)).status == 204
    assert {i.instance_id: i.power_state.value for i in emulator.list_instances(RG, "web")} == \
        {"0": "deallocated", "1": "running"}


def test_forced_polls_report_in_progress_before_the_real_status(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=1)
    app.settings.lro_min_polls = 2
    app.settings.lro_retry_after = 3
    response = call(app, "POST", sets_path(app) + "/web/restart")
    assert response.headers["Retry-After"] == "3"
    location = response.headers["Location"].removeprefix(BASE)
    status_url = response.headers["Azure-AsyncOperation"].removeprefix(BASE)
    first = call(app, "GET", status_url)
    second = call(app, "GET", location)
    third = call(app, "GET", status_url)
    assert first.body["status"] == "InProgress" and first.headers["Retry-After"] == "3"
    assert second.status == 202 and "Location" in second.headers
    assert third.body["status"] == "Succeeded"


def test_put_creates_with_201_and_an_async_operation_header(app: ArmApp) -> None:
    body = {"location": "westeurope", "sku": {"name": "Standard_D2s_v3", "capacity": 2},
            "properties": {"orchestrationMode": "Uniform",
                           "virtualMachineProfile": {"osProfile": {"computerNamePrefix": "web"}}}}
    response = call(app, "PUT", sets_path(app) + "/web", body)
    assert response.status == 201 and "Azure-AsyncOperation" in response.headers
    assert response.body["properties"]["provisioningState"] in ("Creating", "Succeeded")
    assert response.body["sku"]["capacity"] == 2


def test_put_with_if_none_match_star_on_an_existing_set_is_a_precondition_failure(app: ArmApp,
                                                                                     emulator: Any) -> None:
    create_sets(emulator, "web")
    response = call(app, "PUT", sets_path(app) + "/web", {"location": "westeurope"},
                    headers={"Authorization": "Bearer t", "If-None-Match": "*"})
    assert response.status == 412 and response.body["error"]["code"] == "PreconditionFailed"


def test_patch_of_the_capacity_scales_the_set(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=1)
    response = call(app, "PATCH", sets_path(app) + "/web", {"sku": {"capacity": 3}})
    assert response.status == 200 and "Azure-AsyncOperation" in response.headers
    assert len(emulator.list_instances(RG, "web")) == 3


def test_changing_an_immutable_property_is_property_change_not_allowed(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    response = call(app, "PATCH", sets_path(app) + "/web", {"properties": {"orchestrationMode": "Flexible"}})
    assert response.status == 409 and response.body["error"]["code"] == "PropertyChangeNotAllowed"


def test_deleting_a_missing_set_is_a_quiet_204_as_in_arm(app: ArmApp) -> None:
    assert call(app, "DELETE", sets_path(app) + "/ghost").status == 204


def test_invalid_json_is_invalid_request_content(app: ArmApp) -> None:
    response = app.handle("PUT", sets_path(app) + f"/web?{API}", {"Authorization": "Bearer t"}, b"{nope", BASE)
    assert response.status == 400 and response.body["error"]["code"] == "InvalidRequestContent"


def test_uniform_only_calls_on_a_flexible_set_are_operation_not_allowed(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "flex", mode=OrchestrationMode.FLEXIBLE)
    for suffix in ("/flex/instanceView",):
        response = call(app, "GET", sets_path(app) + suffix)
        assert response.status == 409 and response.body["error"]["code"] == "OperationNotAllowed"


def test_flexible_instances_are_plain_vms_filtered_by_their_scale_set(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "flex", "other", mode=OrchestrationMode.FLEXIBLE, capacity=2)
    flex_id = emulator.get_scale_set(RG, "flex").id
    response = call(app, "GET", f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/"
                                f"Microsoft.Compute/virtualMachines",
                    query=f"{API}&$filter='virtualMachineScaleSet/id' eq '{flex_id}'&$expand=instanceView")
    assert response.status == 200 and len(response.body["value"]) == 2
    for vm in response.body["value"]:
        assert vm["type"] == "Microsoft.Compute/virtualMachines"
        assert vm["properties"]["virtualMachineScaleSet"]["id"] == flex_id
        assert vm["properties"]["instanceView"]["statuses"][1]["code"] == "PowerState/running"
    everything = call(app, "GET", f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/"
                                  f"Microsoft.Compute/virtualMachines")
    assert len(everything.body["value"]) == 4


def test_a_uniform_set_lists_its_instances_as_scale_set_vms(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web", capacity=3)
    response = call(app, "GET", sets_path(app) + "/web/virtualMachines", query=API + "&$expand=instanceView")
    assert [vm["instanceId"] for vm in response.body["value"]] == ["0", "1", "2"]
    assert all("platformFaultDomain" in vm["properties"]["instanceView"] for vm in response.body["value"])
    summary = call(app, "GET", sets_path(app) + "/web/instanceView").body
    assert summary["virtualMachine"]["statusesSummary"] == [{"code": "PowerState/running", "count": 3}]


def test_forced_throttling_answers_429_with_retry_after_and_azures_details(app: ArmApp, emulator: Any) -> None:
    create_sets(emulator, "web")
    app.settings.throttle_next = 1
    app.settings.throttle_retry_after = 4
    throttled = call(app, "GET", sets_path(app))
    assert throttled.status == 429 and throttled.headers["Retry-After"] == "4"
    assert throttled.body["error"]["details"][0]["code"] == "TooManyRequests"
    assert call(app, "GET", sets_path(app)).status == 200


def test_a_forced_token_expiry_answers_azures_expired_token_error(app: ArmApp) -> None:
    app.settings.token_expired = True
    response = call(app, "GET", sets_path(app))
    assert response.status == 401 and response.body["error"]["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in response.body["error"]["message"]
