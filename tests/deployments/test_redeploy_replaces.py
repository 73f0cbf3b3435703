"""A template redeploy onto an existing scale set is ARM's PUT: the set becomes what the template gives, and what the
template leaves out goes back to Azure's default (tags, upgrade policy, scale-in policy) [ARM-MODES]; the
instances stay and the capacity is the template's. A PUT with no `properties` at all (location and sku only:
the 201 scale template, `az vmss scale`) is Compute's scale request and keeps everything but the sku."""

from __future__ import annotations

import json
from typing import Any

from vmss_tui.armserver import ArmApp, ServerSettings

from .conftest import GROUP, SCALE_201, fixture_text, settle
from .test_emulator_deployments import changes_by_name, scale_set_resource, template


def customised(capacity: int = 2) -> dict[str, Any]:
    """A set with tags, Automatic upgrades and the NewestVM scale-in rule: none of them Azure's default."""
    resource = scale_set_resource("web", capacity, tags={"env": "lab"})
    resource["properties"]["upgradePolicy"] = {"mode": "Automatic"}
    resource["properties"]["scaleInPolicy"] = {"rules": ["NewestVM"]}
    return resource


def plain(capacity: int) -> dict[str, Any]:
    """The same set written without tags, upgrade policy or scale-in policy."""
    resource = scale_set_resource("web", capacity)
    del resource["properties"]["upgradePolicy"]
    return resource


def test_a_redeploy_sets_what_the_template_leaves_out_back_to_azures_defaults(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "first", template(customised()))
    settle(clock)
    before = emulator.get_scale_set(GROUP, "web")
    assert (before.tags, before.upgrade_policy.value, before.scale_in_policy.value) == (
        (("env", "lab"),), "Automatic", "NewestVM")
    kept_ids = [i.instance_id for i in emulator.list_instances(GROUP, "web")]
    preview = changes_by_name(emulator.what_if_deployment(GROUP, "second", template(plain(4))))["web"]
    assert preview["changeType"] == "Modify"
    assert {d["path"]: (d["propertyChangeType"], d.get("before"), d.get("after")) for d in preview["delta"]} == {
        "sku.capacity": ("Modify", 2, 4),
        "tags.env": ("Delete", "lab", None),
        "properties.upgradePolicy.mode": ("Modify", "Automatic", "Manual"),
        "properties.scaleInPolicy.rules": ("Modify", ["NewestVM"], ["Default"])}
    emulator.deploy(GROUP, "second", template(plain(4)))
    settle(clock)
    assert emulator.get_deployment(GROUP, "second")["properties"]["provisioningState"] == "Succeeded"
    after = emulator.get_scale_set(GROUP, "web")
    assert (after.tags, after.upgrade_policy.value, after.scale_in_policy.value, after.capacity) == (
        (), "Manual", "Default", 4)
    instances = [i.instance_id for i in emulator.list_instances(GROUP, "web")]
    assert instances[:2] == kept_ids and len(instances) == 4  # the instances stay; two more for the capacity
    again = changes_by_name(emulator.what_if_deployment(GROUP, "third", template(plain(4))))["web"]
    assert again["changeType"] == "NoChange"


def test_the_capacity_only_template_keeps_every_other_property_even_the_ones_it_does_not_write(
        emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "first", template(customised(5)))
    settle(clock)
    scale_only = fixture_text(SCALE_201).replace("Standard_A2", "Standard_B2s")
    preview = changes_by_name(emulator.what_if_deployment(GROUP, "scale", scale_only,
                                                         {"vmSSName": "web", "instanceCount": 3}))["web"]
    assert [(d["path"], d["before"], d["after"]) for d in preview["delta"]] == [("sku.capacity", 5, 3)]
    emulator.deploy(GROUP, "scale", scale_only, {"vmSSName": "web", "instanceCount": 3})
    settle(clock)
    after = emulator.get_scale_set(GROUP, "web")
    assert (after.tags, after.upgrade_policy.value, after.scale_in_policy.value, after.capacity) == (
        (("env", "lab"),), "Automatic", "NewestVM", 3)


def test_the_endpoints_put_follows_the_same_rule(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "first", template(customised(2)))
    settle(clock)
    app = ArmApp(emulator, ServerSettings())
    path = (f"/subscriptions/{app.subscription_id}/resourceGroups/{GROUP}/providers/Microsoft.Compute/"
            "virtualMachineScaleSets/web?api-version=2024-07-01")

    def put(body: dict[str, Any]) -> Any:
        return app.handle("PUT", path, {"Authorization": "Bearer t"}, json.dumps(body).encode(), "https://h")

    # az vmss scale: PUT {location, sku} only
    assert put({"location": "westeurope", "sku": {"name": "Standard_B2s", "capacity": 3}}).status == 200
    settle(clock)
    scaled = emulator.get_scale_set(GROUP, "web")
    assert (scaled.tags, scaled.upgrade_policy.value, scaled.capacity) == ((("env", "lab"),), "Automatic", 3)
    whole = {key: value for key, value in plain(3).items() if key not in ("type", "apiVersion", "name")}
    whole["location"] = "westeurope"
    whole["properties"]["overprovision"] = True  # the endpoint reads JSON types strictly (a template is lenient)
    assert put(whole).status == 200
    settle(clock)
    replaced = emulator.get_scale_set(GROUP, "web")
    assert (replaced.tags, replaced.upgrade_policy.value, replaced.scale_in_policy.value) == ((), "Manual", "Default")


def test_a_redeploy_without_an_extension_removes_it_and_what_if_says_so(emulator: Any, clock: Any) -> None:
    from vmss_tui.arm.compute import scale_set_to_json

    with_extension = scale_set_resource("web", 2)
    with_extension["properties"]["virtualMachineProfile"]["extensionProfile"] = {"extensions": [
        {"name": "health", "properties": {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                                          "typeHandlerVersion": "1.0", "settings": {"protocol": "tcp", "port": 22}}}]}
    emulator.deploy(GROUP, "first", template(with_extension))
    settle(clock)
    profile = scale_set_to_json(emulator.get_scale_set(GROUP, "web"))["properties"]["virtualMachineProfile"]
    assert profile["extensionProfile"]["extensions"][0]["name"] == "health"
    assert changes_by_name(emulator.what_if_deployment(GROUP, "same", template(with_extension)))["web"][
        "changeType"] == "NoChange"
    preview = changes_by_name(emulator.what_if_deployment(GROUP, "second", template(scale_set_resource("web", 2))))
    assert preview["web"]["changeType"] == "Modify"
    assert [(d["path"], d["propertyChangeType"]) for d in preview["web"]["delta"]] == [
        ("properties.virtualMachineProfile.extensionProfile", "Delete")]
    emulator.deploy(GROUP, "second", template(scale_set_resource("web", 2)))
    settle(clock)
    profile = scale_set_to_json(emulator.get_scale_set(GROUP, "web"))["properties"]["virtualMachineProfile"]
    assert "extensionProfile" not in profile or not profile["extensionProfile"].get("extensions")
