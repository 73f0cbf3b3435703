"""Template deployments through the `Deployments` capability: the emulator, and the live adapter
(azure-mgmt-resource-deployments -> HTTPS -> the ARM endpoint -> the emulator) give the same answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vmss_tui.arm.resources import what_if_summary
from vmss_tui.backends.protocol import Backend, Deployments
from vmss_tui.domain import errors

from ._support import RG, SIZE, check_error

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def scale_set(name: str = "web", capacity: Any = "[parameters('count')]") -> dict[str, Any]:
    return {"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01", "name": name,
            "location": "[resourceGroup().location]",
            "sku": {"name": SIZE, "tier": "Standard", "capacity": capacity},
            "properties": {"upgradePolicy": {"mode": "Manual"},
                           "virtualMachineProfile": {
                               "storageProfile": {"imageReference": {"publisher": "Canonical",
                                                                     "offer": "ubuntu-24_04-lts",
                                                                     "sku": "server", "version": "latest"}},
                               "osProfile": {"computerNamePrefix": name, "adminUsername": "azureuser"}}}}


def template(*resources: dict[str, Any]) -> str:
    return json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0",
                       "parameters": {"count": {"type": "int", "defaultValue": 2, "minValue": 1, "maxValue": 10}},
                       "resources": list(resources),
                       "outputs": {"prefix": {"type": "string", "value": "[concat('web-', parameters('count'))]"}}},
                      indent=2)


def deployments(backend: Backend) -> Deployments:
    assert isinstance(backend, Deployments), f"{type(backend).__name__} does not deploy templates"
    return backend


def test_deploy_then_show_list_operations_and_delete(backend: Backend) -> None:
    arm = deployments(backend)
    submitted = arm.deploy(RG, "first", template(scale_set()), {"count": 3})
    assert submitted["name"] == "first"
    assert submitted["properties"]["provisioningState"] in ("Accepted", "Running", "Succeeded")
    done = arm.wait_deployment(RG, "first", timeout=30)
    assert done["properties"]["provisioningState"] == "Succeeded", done["properties"].get("error")
    assert done["properties"]["outputs"] == {"prefix": {"type": "String", "value": "web-3"}}
    assert done["properties"]["parameters"]["count"] == {"type": "Int", "value": 3}
    assert backend.get_scale_set(RG, "web").capacity == 3
    shown = arm.get_deployment(RG, "first")
    assert shown["id"].endswith(f"/resourceGroups/{RG}/providers/Microsoft.Resources/deployments/first")
    assert [body["name"] for body in arm.list_deployments(RG)] == ["first"]
    (operation,) = arm.list_deployment_operations(RG, "first")
    assert operation["properties"]["provisioningState"] == "Succeeded"
    assert operation["properties"]["targetResource"]["resourceName"] == "web"
    assert operation["properties"]["targetResource"]["resourceType"] == "Microsoft.Compute/virtualMachineScaleSets"
    arm.delete_deployment(RG, "first")
    with pytest.raises(errors.ResourceNotFound) as missing:
        arm.get_deployment(RG, "first")
    check_error(missing.value, code="DeploymentNotFound")
    with pytest.raises(errors.ResourceNotFound) as again:
        arm.delete_deployment(RG, "first")
    check_error(again.value, code="DeploymentNotFound")
    assert [s.name for s in backend.list_scale_sets(RG)] == ["web"]  # the history goes, the set stays


def test_validate_lists_what_it_would_deploy_and_changes_nothing(backend: Backend) -> None:
    arm = deployments(backend)
    checked = arm.validate_deployment(RG, "check", template(scale_set(), scale_set("api")), {"count": 2})
    assert sorted(r["id"].rsplit("/", 1)[1] for r in checked["properties"]["validatedResources"]) == ["api", "web"]
    assert backend.list_scale_sets(RG) == [] and arm.list_deployments(RG) == []


def test_a_parameter_out_of_range_is_invalid_template_from_every_door(backend: Backend) -> None:
    arm = deployments(backend)
    for attempt in (lambda: arm.deploy(RG, "big", template(scale_set()), {"count": 11}),
                    lambda: arm.validate_deployment(RG, "big", template(scale_set()), {"count": 11}),
                    lambda: arm.what_if_deployment(RG, "big", template(scale_set()), {"count": 11})):
        with pytest.raises(errors.AzureError) as refused:
            attempt()
        check_error(refused.value, code="InvalidTemplate", mentions=("maximum allowed value '10'",))
        assert refused.value.http_status == 400
    assert backend.list_scale_sets(RG) == [] and arm.list_deployments(RG) == []


def test_what_if_shows_create_and_modify_with_the_property_that_changes(backend: Backend) -> None:
    arm = deployments(backend)
    arm.wait_deployment(RG, arm.deploy(RG, "one", template(scale_set()), {"count": 2})["name"], timeout=30)
    result = arm.what_if_deployment(RG, "two", template(scale_set(), scale_set("api")), {"count": 4})
    changes = {c["resourceId"].rsplit("/", 1)[1]: c for c in result["properties"]["changes"]}
    assert changes["api"]["changeType"] == "Create"
    assert changes["web"]["changeType"] == "Modify"
    assert [(d["path"], d["before"], d["after"]) for d in changes["web"]["delta"]] == [("sku.capacity", 2, 4)]
    assert what_if_summary(result) == "Resource changes: 1 to create, 1 to modify."
    ids_only = arm.what_if_deployment(RG, "two", template(scale_set()), {"count": 4}, result_format="ResourceIdOnly")
    assert [c["changeType"] for c in ids_only["properties"]["changes"]] == ["Deploy"]
    assert backend.get_scale_set(RG, "web").capacity == 2 and len(backend.list_scale_sets(RG)) == 1


def test_an_unmodelled_type_fails_its_resource_and_the_deployment_says_so(backend: Backend) -> None:
    arm = deployments(backend)
    cdn = {"type": "Microsoft.Cdn/profiles", "apiVersion": "2024-02-01", "name": "edge", "location": "global"}
    arm.deploy(RG, "mixed", template(cdn, scale_set()))
    done = arm.wait_deployment(RG, "mixed", timeout=30)
    assert done["properties"]["provisioningState"] == "Failed"
    assert done["properties"]["error"]["code"] == "DeploymentFailed"
    states = {op["properties"]["targetResource"]["resourceName"]: op["properties"]["provisioningState"]
              for op in arm.list_deployment_operations(RG, "mixed")}
    assert states == {"edge": "Failed", "web": "Succeeded"}


def test_an_exported_set_redeploys_to_no_change(backend: Backend) -> None:
    arm = deployments(backend)
    arm.wait_deployment(RG, arm.deploy(RG, "one", template(scale_set()), {"count": 3})["name"], timeout=30)
    exported = arm.export_scale_set_template(RG, "web")
    (resource,) = exported["resources"]
    assert resource["sku"]["capacity"] == 3 and resource["sku"]["name"] == SIZE
    assert "provisioningState" not in resource["properties"]
    result = arm.what_if_deployment(RG, "again", exported)
    assert [c["changeType"] for c in result["properties"]["changes"]] == ["NoChange"], result


def test_a_bad_deployment_name_is_refused_before_anything_is_sent(backend: Backend) -> None:
    arm = deployments(backend)
    with pytest.raises(errors.InvalidParameter) as refused:
        arm.deploy(RG, "no spaces", template(scale_set()))
    assert "deployment name 'no spaces' is not valid" in refused.value.message
    assert arm.list_deployments(RG) == []


def test_the_live_adapter_in_read_only_mode_checks_and_previews_but_sends_no_deployment(
        tmp_path: Any, clock: Any, arm_state_dir: Any) -> None:
    from vmss_tui.armserver import serve_in_thread
    from vmss_tui.backends import open_backend
    from vmss_tui.backends.azure.testing import StaticTokenCredential
    from vmss_tui.domain.sizes import DEFAULT_LOCATION

    emulator = open_backend("emulator", db=tmp_path / "store", speed="instant", clock=clock)
    emulator.create_or_update_resource_group(RG, DEFAULT_LOCATION)
    server = serve_in_thread(emulator, state_dir=arm_state_dir)
    adapter = open_backend("azure", subscription=server.subscription_id, credential=StaticTokenCredential(),
                           base_url=server.base_url, connection_verify=str(server.ca_path), polling_interval=0,
                           retry_total=0, read_only=True)
    try:
        arm = deployments(adapter)
        assert arm.validate_deployment(RG, "check", template(scale_set()))["properties"]["validatedResources"]
        assert arm.what_if_deployment(RG, "check", template(scale_set()))["properties"]["changes"][0][
            "changeType"] == "Create"
        for change in (lambda: arm.deploy(RG, "check", template(scale_set())),
                       lambda: arm.delete_deployment(RG, "check"), lambda: arm.cancel_deployment(RG, "check")):
            with pytest.raises(errors.ReadOnlyMode):
                change()
        assert emulator.list_scale_sets(RG) == [] and emulator.list_deployments(RG) == []
    finally:
        adapter.close()
        server.stop()
        emulator.close()


def test_the_commands_read_both_backends_alike(backend: Backend, tmp_path: Any) -> None:
    from vmss_tui.commands import Session, run_line

    path = tmp_path / "web.json"
    path.write_text(template(scale_set()), encoding="utf-8")
    session = Session(backend, output="json", resource_group=RG)
    preview = run_line(f"deploy {path} -p count=3 --what-if -o table", session)
    assert preview.ok and "Resource changes: 1 to create." in preview.rendered, preview.error
    done = run_line(f"deploy {path} -p count=3 --name web --yes", session)
    assert done.ok, done.error
    assert done.data["properties"]["provisioningState"] == "Succeeded" and done.data["resourceGroup"] == RG
    listed = run_line("deployment list -o table", session)
    assert listed.ok and "web" in listed.rendered and "Succeeded" in listed.rendered
    operations = run_line("deployment operations web -o table", session)
    assert operations.ok and "Microsoft.Compute/virtualMachineScaleSets" in operations.rendered
    exported = run_line(f"export-template web -g {RG}", session)
    assert exported.ok and exported.data["resources"][0]["sku"]["capacity"] == 3
    too_many = run_line(f"deploy {path} -p count=11 --yes", session)
    assert too_many.exit_code == 1 and too_many.error.startswith("ERROR: (InvalidTemplate) ")


def test_a_finished_deployment_cannot_be_cancelled(backend: Backend) -> None:
    arm = deployments(backend)
    arm.wait_deployment(RG, arm.deploy(RG, "done", template(scale_set()))["name"], timeout=30)
    with pytest.raises(errors.AzureError) as refused:
        arm.cancel_deployment(RG, "done")
    check_error(refused.value, code="DeploymentCannotBeCancelled")
    assert refused.value.http_status == 409
    with pytest.raises(errors.ResourceNotFound) as missing:
        arm.cancel_deployment(RG, "never")
    check_error(missing.value, code="DeploymentNotFound")
