"""Microsoft.Resources/deployments on the ARM endpoint, request by request, bodies read with the SDK's models
(azure-mgmt-resource-deployments, the package az's `az deployment group` uses)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vmss_tui.armserver import ArmApp, Response, ServerSettings

from .conftest import GROUP, NAT, NAT_PARAMETERS, fixture_text, settle
from .test_emulator_deployments import scale_set_resource

models = pytest.importorskip("azure.mgmt.resource.deployments.models")

BASE = "https://127.0.0.1:9999"
API = "api-version=2025-04-01"  # what az 2.91 sends for deployments


@pytest.fixture
def app(emulator: Any) -> ArmApp:
    return ArmApp(emulator, ServerSettings())


def call(app: ArmApp, method: str, path: str, body: Any = None, query: str = API) -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    return app.handle(method, f"{path}?{query}", {"Authorization": "Bearer token"}, raw, BASE)


def path(app: ArmApp, name: str = "", suffix: str = "") -> str:
    base = f"/subscriptions/{app.subscription_id}/resourceGroups/{GROUP}/providers/Microsoft.Resources/deployments"
    return base + (f"/{name}" if name else "") + suffix


def deployment_body(template: Any, parameters: dict[str, Any] | None = None, mode: str = "Incremental") -> dict:
    return {"properties": {"template": template, "mode": mode,
                           "parameters": {k: {"value": v} for k, v in (parameters or {}).items()}}}


def template_of(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0", "resources": list(resources),
            "outputs": {"vmss": {"type": "object",
                                 "value": "[reference(resourceId('Microsoft.Compute/virtualMachineScaleSets', 'web'),"
                                          "providers('Microsoft.Compute', 'virtualMachineScaleSets').apiVersions[0])]"}}}


def test_put_answers_201_accepted_with_an_async_status_that_ends_succeeded(app: ArmApp, clock: Any) -> None:
    created = call(app, "PUT", path(app, "vmss_deploy_abc"), deployment_body(template_of(scale_set_resource())))
    assert created.status == 201
    deployment = models.DeploymentExtended(created.body)
    assert deployment.properties.provisioning_state == "Accepted" and deployment.name == "vmss_deploy_abc"
    status_url = created.headers["Azure-AsyncOperation"]
    assert status_url.startswith(BASE) and "/operationStatuses/" in status_url
    status_path, _, query = status_url[len(BASE):].partition("?")
    clock.advance(2)
    assert call(app, "GET", status_path, query=query).body == {"status": "Running"}
    settle(clock)
    assert call(app, "GET", status_path, query=query).body == {"status": "Succeeded"}
    shown = models.DeploymentExtended(call(app, "GET", path(app, "vmss_deploy_abc")).body)
    assert shown.properties.provisioning_state == "Succeeded"
    assert shown.properties.outputs["vmss"]["value"]["provisioningState"] == "Succeeded"  # providers() resolved
    assert [r.id.rsplit("/", 1)[1] for r in shown.properties.output_resources] == ["web"]
    listed = call(app, "GET", path(app))
    assert [models.DeploymentExtended(row).name for row in listed.body["value"]] == ["vmss_deploy_abc"]
    operations = call(app, "GET", path(app, "vmss_deploy_abc", "/operations")).body["value"]
    (operation,) = [models.DeploymentOperation(row) for row in operations]
    assert operation.properties.provisioning_state == "Succeeded"
    assert operation.properties.target_resource.resource_type == "Microsoft.Compute/virtualMachineScaleSets"
    one = call(app, "GET", path(app, "vmss_deploy_abc", f"/operations/{operation.operation_id}"))
    assert one.status == 200 and one.body["operationId"] == operation.operation_id
    legacy = path(app, "vmss_deploy_abc", "/operations").replace("/providers/Microsoft.Resources", "")
    assert call(app, "GET", legacy.replace("resourceGroups", "resourcegroups")).body["value"] == operations


def test_invalid_parameters_are_a_400_invalid_template_and_nothing_is_created(app: ArmApp, emulator: Any) -> None:
    response = call(app, "PUT", path(app, "nat"), deployment_body(json.loads(fixture_text(NAT)),
                                                                  {**NAT_PARAMETERS, "instanceCount": 4}))
    assert response.status == 400 and response.body["error"]["code"] == "InvalidTemplate"
    assert response.body["error"]["additionalInfo"][0]["type"] == "TemplateViolation"
    validate = call(app, "POST", path(app, "nat", "/validate"),
                    deployment_body(json.loads(fixture_text(NAT)), {**NAT_PARAMETERS, "instanceCount": 101}))
    assert validate.status == 400 and "maximum allowed value '100'" in validate.body["error"]["message"]
    assert emulator.list_scale_sets(GROUP) == [] and call(app, "GET", path(app)).body["value"] == []


def test_validate_lists_the_resources_it_would_deploy(app: ArmApp) -> None:
    response = call(app, "POST", path(app, "check", "/validate"), deployment_body(template_of(scale_set_resource())))
    assert response.status == 200
    result = models.DeploymentValidateResult(response.body)
    assert [r.id.rsplit("/", 1)[1] for r in result.properties.validated_resources] == ["web"]
    assert call(app, "GET", path(app, "check")).status == 404  # validating stores nothing


def test_what_if_is_a_long_running_post_whose_location_holds_the_result(app: ArmApp, clock: Any) -> None:
    call(app, "PUT", path(app, "one"), deployment_body(template_of(scale_set_resource(capacity=2))))
    settle(clock)
    started = call(app, "POST", path(app, "two", "/whatIf"),
                   deployment_body(template_of(scale_set_resource(capacity=3), scale_set_resource("api"))))
    assert started.status == 202
    location_path, _, query = started.headers["Location"][len(BASE):].partition("?")
    result = models.WhatIfOperationResult(call(app, "GET", location_path, query=query).body)
    kinds = {change.resource_id.rsplit("/", 1)[1]: change for change in result.changes}
    assert kinds["api"].change_type == models.ChangeType.CREATE
    assert kinds["web"].change_type == models.ChangeType.MODIFY
    (delta,) = kinds["web"].delta
    assert (delta.path, delta.property_change_type, delta.before, delta.after) == ("sku.capacity", "Modify", 2, 3)


def test_cancel_and_delete(app: ArmApp, clock: Any, emulator: Any) -> None:
    call(app, "PUT", path(app, "slow"), deployment_body(template_of(scale_set_resource())))
    clock.advance(2)
    assert call(app, "POST", path(app, "slow", "/cancel")).status == 204
    assert call(app, "GET", path(app, "slow")).body["properties"]["provisioningState"] == "Canceled"
    assert call(app, "POST", path(app, "slow", "/cancel")).status == 409
    assert call(app, "DELETE", path(app, "slow")).status == 204  # Deployments_Delete: 202 or 204, never 200
    assert call(app, "GET", path(app, "slow")).body["error"]["code"] == "DeploymentNotFound"
    assert call(app, "DELETE", path(app, "slow")).status == 204
    assert [s.name for s in emulator.list_scale_sets(GROUP)] == ["web"]


def test_a_template_link_or_a_bad_body_is_refused_in_one_line(app: ArmApp) -> None:
    linked = call(app, "PUT", path(app, "x"), {"properties": {"templateLink": {"uri": "https://example/t.json"},
                                                              "mode": "Incremental"}})
    assert linked.status == 400 and "templateLink" in linked.body["error"]["message"]
    assert call(app, "PUT", path(app, "x"), {"nope": 1}).status == 400
    bad_name = call(app, "PUT", path(app, "bad%20name"), deployment_body(template_of()))
    assert bad_name.status == 400
    missing_group = app.handle("GET", path(app).replace(GROUP, "no-such-rg") + "?" + API,
                               {"Authorization": "Bearer t"}, b"", BASE)
    assert missing_group.status == 404 and missing_group.body["error"]["code"] == "ResourceGroupNotFound"


def test_azs_spliced_template_body_is_read_with_the_files_own_text(app: ArmApp, emulator: Any) -> None:
    # azure-cli's JsonCTemplatePolicy: json.dumps(body without template)[:-2] + ", template:" + file text + "}}"
    file_text = ('{\n  // a comment az keeps\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
                 'deploymentTemplate.json#",\n  "contentVersion": "1.0.0.0",\n  "parameters": {"n": {"type": "int", '
                 '"maxValue": 3}},\n  "resources": []\n}')
    rest = json.dumps({"properties": {"parameters": {"n": {"value": 9}}, "mode": "Incremental"}})
    raw = (rest[:-2] + ", template:" + file_text + "}}").encode()
    response = app.handle("PUT", path(app, "spliced") + "?" + API, {"Authorization": "Bearer t"}, raw, BASE)
    assert response.status == 400 and response.body["error"]["code"] == "InvalidTemplate"
    assert "at line '5'" in response.body["error"]["message"]  # the file's own line numbers
    rest = json.dumps({"properties": {"parameters": {"n": {"value": 2}}, "mode": "Incremental"}})
    raw = (rest[:-2] + ", template:" + file_text + "}}").encode()
    ok = app.handle("PUT", path(app, "spliced") + "?" + API, {"Authorization": "Bearer t"}, raw, BASE)
    assert ok.status == 201
    broken = app.handle("PUT", path(app, "x") + "?" + API, {"Authorization": "Bearer t"}, b'{"properties": {, x}}', BASE)
    assert broken.status == 400 and broken.body["error"]["code"] == "InvalidRequestContent"
