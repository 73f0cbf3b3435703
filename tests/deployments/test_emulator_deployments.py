"""Template deployments in the emulator (issue 15): modes, states over time, what-if, failures, export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vmss_tui.arm.resources import what_if_summary
from vmss_tui.commands.what_if_format import what_if_text
from vmss_tui.domain import errors
from vmss_tui.domain.templates import InvalidTemplate

from .conftest import GROUP, NAT, NAT_PARAMETERS, SCALE_201, fixture_text, settle

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def scale_set_resource(name: str = "web", capacity: Any = 2, **extra: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01", "name": name,
            "location": "[resourceGroup().location]",
            "sku": {"name": "Standard_B2s", "tier": "Standard", "capacity": capacity},
            "properties": {"upgradePolicy": {"mode": "Manual"}, "overprovision": "true",
                           "virtualMachineProfile": {
                               "storageProfile": {"imageReference": {"publisher": "Canonical",
                                                                     "offer": "ubuntu-24_04-lts",
                                                                     "sku": "server", "version": "latest"}},
                               "osProfile": {"computerNamePrefix": name, "adminUsername": "azureuser"}}},
            **extra}


def template(*resources: dict[str, Any], **sections: Any) -> str:
    return json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0", **sections, "resources": list(resources)},
                      indent=2)


def changes_by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["resourceId"].rsplit("/", 1)[1]: change for change in result["properties"]["changes"]}


def test_a_deployment_is_accepted_then_running_then_succeeded_with_its_operations(emulator: Any, clock: Any) -> None:
    text = template(scale_set_resource(), outputs={
            "prefix": {"type": "string",
                       "value": "[reference('web').virtualMachineProfile.osProfile.computerNamePrefix]"}})
    submitted = emulator.deploy(GROUP, "first", text)
    assert submitted["properties"]["provisioningState"] == "Accepted"
    assert submitted["properties"]["outputs"] is None
    clock.advance(1.5)
    assert emulator.get_deployment(GROUP, "first")["properties"]["provisioningState"] == "Running"
    (running,) = emulator.list_deployment_operations(GROUP, "first")
    assert running["properties"]["provisioningState"] == "Running"
    assert running["properties"]["targetResource"]["resourceName"] == "web"
    settle(clock)
    done = emulator.get_deployment(GROUP, "first")["properties"]
    assert done["provisioningState"] == "Succeeded"
    assert done["outputs"] == {"prefix": {"type": "String", "value": "web"}}
    assert [ref["id"].rsplit("/", 1)[1] for ref in done["outputResources"]] == ["web"]
    (operation,) = emulator.list_deployment_operations(GROUP, "first")
    assert operation["properties"]["provisioningState"] == "Succeeded"
    assert operation["properties"]["statusCode"] == "Created"
    assert emulator.get_scale_set(GROUP, "web").capacity == 2


def test_a_second_deployment_of_the_same_name_waits_until_the_first_is_done(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "same", template(scale_set_resource()))
    with pytest.raises(errors.AzureError) as caught:
        emulator.deploy(GROUP, "same", template(scale_set_resource()))
    assert (caught.value.code, caught.value.http_status) == ("DeploymentActive", 409)


def test_cancel_stops_a_running_deployment_and_a_finished_one_cannot_be_cancelled(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "slow", template(scale_set_resource()))
    clock.advance(2)
    emulator.cancel_deployment(GROUP, "slow")
    settle(clock)
    assert emulator.get_deployment(GROUP, "slow")["properties"]["provisioningState"] == "Canceled"
    (operation,) = emulator.list_deployment_operations(GROUP, "slow")
    assert operation["properties"]["provisioningState"] == "Canceled"
    with pytest.raises(errors.AzureError) as caught:
        emulator.cancel_deployment(GROUP, "slow")
    assert caught.value.http_status == 409


@pytest.mark.parametrize(("changes", "words"), [
    ({"instanceCount": 4}, "less than the minimum allowed value '5'"),
    ({"instanceCount": 101}, "greater than the maximum allowed value '100'"),
    ({"vmssName": "v" * 62}, "Length of the value should be less than or equal to '61'"),
    ({"ubuntuOSVersion": "18.04-LTS"}, "is not part of the allowed value(s)"),
])
def test_out_of_range_parameters_fail_before_anything_is_created(emulator: Any, changes: dict[str, Any],
                                                                 words: str) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        emulator.deploy(GROUP, "bad", fixture_text(NAT), {**NAT_PARAMETERS, **changes})
    assert words in caught.value.message
    assert emulator.list_scale_sets(GROUP) == []
    assert emulator.list_deployments(GROUP) == []


def test_a_type_the_emulator_does_not_model_fails_that_resource_and_what_depends_on_it(emulator: Any,
                                                                                      clock: Any) -> None:
    cdn = {"type": "Microsoft.Cdn/profiles", "apiVersion": "2024-02-01", "name": "edge",
           "location": "global", "sku": {"name": "Standard_Microsoft"}}
    text = template(cdn, scale_set_resource("behind", dependsOn=["[resourceId('Microsoft.Cdn/profiles', 'edge')]"]),
                    scale_set_resource("free"), outputs={"x": {"type": "string", "value": "never"}})
    emulator.deploy(GROUP, "mixed", text)
    settle(clock)
    body = emulator.get_deployment(GROUP, "mixed")["properties"]
    assert body["provisioningState"] == "Failed" and body["outputs"] is None
    assert body["error"]["code"] == "DeploymentFailed"
    (failure,) = body["error"]["details"]
    assert failure["code"] == "ResourceDeploymentFailure"
    assert failure["target"].endswith("/providers/Microsoft.Cdn/profiles/edge")
    assert failure["details"][0]["code"] == "NoRegisteredProviderFound"
    assert "Microsoft.Cdn/profiles" in failure["details"][0]["message"]
    assert [s.name for s in emulator.list_scale_sets(GROUP)] == ["free"]  # 'behind' never started
    states = {op["properties"]["targetResource"]["resourceName"]: op["properties"]["provisioningState"]
              for op in emulator.list_deployment_operations(GROUP, "mixed")}
    assert states == {"edge": "Failed", "free": "Succeeded"}


def test_a_provider_error_is_the_failed_resources_error(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "nosize", template(scale_set_resource("big", sku={"name": "Standard_Nope", "capacity": 1})))
    settle(clock)
    (operation,) = emulator.list_deployment_operations(GROUP, "nosize")
    assert operation["properties"]["statusMessage"]["error"]["code"] == "InvalidParameter"
    assert "Standard_Nope" in operation["properties"]["statusMessage"]["error"]["message"]


def _set_json(emulator: Any, name: str) -> dict[str, Any]:
    from vmss_tui.arm.compute import scale_set_to_json

    return scale_set_to_json(emulator.get_scale_set(GROUP, name))


def test_the_capacity_only_template_scales_out_and_in_and_keeps_everything_else(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "create", template(scale_set_resource("myvmss", 5, tags={"env": "lab"},
                                                                 zones=["1", "2"])))
    settle(clock)
    before = _set_json(emulator, "myvmss")
    # The 201 template's shape with the set's own size, so only the capacity changes (the template as written,
    # with its Standard_A2, is in test_quickstart_sizes.py).
    scale_only = fixture_text(SCALE_201).replace("Standard_A2", "Standard_B2s")
    for capacity in (7, 2):
        emulator.deploy(GROUP, f"scale{capacity}", scale_only, {"vmSSName": "myvmss", "instanceCount": capacity})
        settle(clock)
        assert emulator.get_deployment(GROUP, f"scale{capacity}")["properties"]["provisioningState"] == "Succeeded"
        after = _set_json(emulator, "myvmss")
        assert after["sku"]["capacity"] == capacity
        assert len(emulator.list_instances(GROUP, "myvmss")) == capacity
        keep = lambda body: {k: v for k, v in body.items() if k != "sku"} | {"size": body["sku"].get("name")}  # noqa: E731
        assert keep(after) == keep(before)


def test_deploying_twice_changes_nothing_and_what_if_says_no_change(emulator: Any, clock: Any) -> None:
    text = template(scale_set_resource("web", 3))
    emulator.deploy(GROUP, "one", text)
    settle(clock)
    before = _set_json(emulator, "web")
    instances = [i.instance_id for i in emulator.list_instances(GROUP, "web")]
    result = emulator.what_if_deployment(GROUP, "two", text)
    assert [c["changeType"] for c in result["properties"]["changes"]] == ["NoChange"]
    assert what_if_summary(result) == "Resource changes: 1 no change."
    emulator.deploy(GROUP, "two", text)
    settle(clock)
    assert emulator.get_deployment(GROUP, "two")["properties"]["provisioningState"] == "Succeeded"
    assert _set_json(emulator, "web") == before
    assert [i.instance_id for i in emulator.list_instances(GROUP, "web")] == instances


def test_what_if_shows_create_and_modify_property_by_property(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "one", template(scale_set_resource("web", 3)))
    settle(clock)
    result = emulator.what_if_deployment(GROUP, "two", template(scale_set_resource("web", 4), scale_set_resource("api")))
    changes = changes_by_name(result)
    assert changes["api"]["changeType"] == "Create"
    assert changes["web"]["changeType"] == "Modify"
    assert changes["web"]["delta"] == [{"path": "sku.capacity", "propertyChangeType": "Modify", "before": 3,
                                        "after": 4}]
    assert what_if_summary(result) == "Resource changes: 1 to create, 1 to modify."
    text = what_if_text(result)
    assert "  + Microsoft.Compute/virtualMachineScaleSets/api" in text and "    ~ sku.capacity: 3 => 4" in text
    assert emulator.get_scale_set(GROUP, "web").capacity == 3 and len(emulator.list_scale_sets(GROUP)) == 1


def test_complete_mode_deletes_what_the_template_lacks_and_what_if_says_so(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "both", template(scale_set_resource("a"), scale_set_resource("c")))
    settle(clock)
    wanted = template(scale_set_resource("a"), scale_set_resource("b"))
    incremental = changes_by_name(emulator.what_if_deployment(GROUP, "x", wanted))
    assert {name: c["changeType"] for name, c in incremental.items()} == {"a": "NoChange", "b": "Create",
                                                                           "c": "Ignore"}
    complete = emulator.what_if_deployment(GROUP, "x", wanted, mode="Complete")
    assert {name: c["changeType"] for name, c in changes_by_name(complete).items()} == {
        "a": "NoChange", "b": "Create", "c": "Delete"}
    assert what_if_summary(complete) == "Resource changes: 1 to delete, 1 to create, 1 no change."  # az's order
    emulator.deploy(GROUP, "x", wanted, mode="Complete")
    settle(clock)
    assert sorted(s.name for s in emulator.list_scale_sets(GROUP)) == ["a", "b"]
    deletes = [op["properties"] for op in emulator.list_deployment_operations(GROUP, "x")
               if op["properties"]["provisioningOperation"] == "Delete"]
    assert [d["targetResource"]["resourceName"] for d in deletes] == ["c"]


def test_incremental_mode_leaves_what_the_template_lacks(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "both", template(scale_set_resource("a"), scale_set_resource("c")))
    settle(clock)
    emulator.deploy(GROUP, "x", template(scale_set_resource("a"), scale_set_resource("b")))
    settle(clock)
    assert sorted(s.name for s in emulator.list_scale_sets(GROUP)) == ["a", "b", "c"]


def test_an_autoscale_setting_is_created_after_the_scale_set_it_targets(emulator: Any, clock: Any) -> None:
    autoscale = json.loads(fixture_text("vmss-ubuntu-autoscale.azuredeploy.json"))["resources"][-1]
    autoscale["properties"]["targetResourceUri"] = "[resourceId('Microsoft.Compute/virtualMachineScaleSets', 'web')]"
    for rule in autoscale["properties"]["profiles"][0]["rules"]:
        rule["metricTrigger"]["metricResourceUri"] = autoscale["properties"]["targetResourceUri"]
    autoscale["dependsOn"] = ["[resourceId('Microsoft.Compute/virtualMachineScaleSets', 'web')]"]
    autoscale["location"] = "[resourceGroup().location]"
    emulator.deploy(GROUP, "auto", template(scale_set_resource("web", 2), autoscale))
    settle(clock)
    assert emulator.get_deployment(GROUP, "auto")["properties"]["provisioningState"] == "Succeeded"
    operations = {op["properties"]["targetResource"]["resourceName"]: op["properties"]
                  for op in emulator.list_deployment_operations(GROUP, "auto")}
    assert operations["autoscalewad"]["timestamp"] >= operations["web"]["timestamp"]
    setting = emulator.get_autoscale_setting(GROUP, "autoscalewad")
    assert setting.target_resource_uri.lower().endswith("/virtualmachinescalesets/web")
    again = emulator.what_if_deployment(GROUP, "again", template(scale_set_resource("web", 2), autoscale))
    changes = changes_by_name(again)
    assert changes["autoscalewad"]["changeType"] == "NoChange"
    # An hour without load: autoscale took the set to its minimum, so the template's capacity is a change.
    assert emulator.get_scale_set(GROUP, "web").capacity == 1
    assert changes["web"]["delta"] == [{"path": "sku.capacity", "propertyChangeType": "Modify", "before": 1,
                                        "after": 2}]


def test_export_template_redeploys_to_the_same_set(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "one", template(scale_set_resource("web", 3, tags={"env": "lab"}, zones=["1", "3"])))
    settle(clock)
    exported = emulator.export_scale_set_template(GROUP, "web")
    assert exported["parameters"]["virtualMachineScaleSets_name"]["defaultValue"] == "web"
    what_if = emulator.what_if_deployment(GROUP, "again", exported)
    assert [c["changeType"] for c in what_if["properties"]["changes"]] == ["NoChange"]
    emulator.create_or_update_resource_group("copy-rg", "westeurope")
    emulator.deploy("copy-rg", "copy", exported)
    settle(clock)
    original, copy = _set_json(emulator, "web"), emulator.get_scale_set("copy-rg", "web")
    from vmss_tui.arm.compute import scale_set_to_json

    copied = scale_set_to_json(copy)
    drop = lambda body: {k: v for k, v in body.items() if k != "id"} | {"properties": {  # noqa: E731
        k: v for k, v in body["properties"].items() if k not in ("uniqueId", "timeCreated")}}
    assert drop(copied) == drop(original)


def test_deployment_history_list_show_and_delete(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "one", template(scale_set_resource("web", 1)))
    settle(clock)
    emulator.deploy(GROUP, "two", template(scale_set_resource("web", 1)))
    settle(clock)
    assert [d["name"] for d in emulator.list_deployments(GROUP)] == ["two", "one"]
    emulator.delete_deployment(GROUP, "one")
    assert [d["name"] for d in emulator.list_deployments(GROUP)] == ["two"]
    assert emulator.get_scale_set(GROUP, "web").capacity == 1  # the resources stay
    with pytest.raises(errors.ResourceNotFound) as caught:
        emulator.get_deployment(GROUP, "one")
    assert caught.value.code == "DeploymentNotFound"


def test_secure_parameters_are_never_stored_or_shown(emulator: Any, clock: Any, tmp_path: Any) -> None:
    text = template(scale_set_resource("web", 1), parameters={"secret": {"type": "securestring"}},
                    outputs={"echo": {"type": "securestring", "value": "[parameters('secret')]"}})
    emulator.deploy(GROUP, "s", text, {"secret": "hunter2-very-secret"})
    settle(clock)
    shown = json.dumps(emulator.get_deployment(GROUP, "s"))
    assert "hunter2" not in shown
    stored = "".join(path.read_text(errors="replace") for path in (tmp_path / "db").rglob("*.json"))
    assert "hunter2" not in stored


def test_a_bad_deployment_name_or_mode_is_refused(emulator: Any) -> None:
    with pytest.raises(errors.InvalidParameter):
        emulator.deploy(GROUP, "bad/name", template())
    with pytest.raises(errors.InvalidParameter):
        emulator.deploy(GROUP, "ok", template(), mode="Sometimes")
    with pytest.raises(errors.ResourceGroupNotFound):
        emulator.deploy("no-such-rg", "ok", template())




def test_resource_id_only_what_if_says_deploy_for_what_exists(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "one", template(scale_set_resource("web", 3)))
    settle(clock)
    result = emulator.what_if_deployment(GROUP, "two", template(scale_set_resource("web", 4), scale_set_resource("api")),
                                         result_format="ResourceIdOnly")
    assert {name: c for name, c in changes_by_name(result).items()} == {
        "api": {"resourceId": changes_by_name(result)["api"]["resourceId"], "changeType": "Create"},
        "web": {"resourceId": changes_by_name(result)["web"]["resourceId"], "changeType": "Deploy"}}
    assert what_if_summary(result) == "Resource changes: 1 to create, 1 to deploy."


def test_output_names_come_back_camel_cased_as_arms_serializer_writes_them() -> None:
    from vmss_tui.arm.resources import camel_case

    assert [camel_case(n) for n in ("VMSS", "URLValue", "myOutput", "Name", "ID", "IPAddress", "")] == [
        "vmss", "urlValue", "myOutput", "name", "id", "ipAddress", ""]
