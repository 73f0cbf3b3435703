"""Tags and the stored virtualMachineProfile through the ARM endpoint, as the SDK and az see them.

A PUT's tags and full profile (network profile, OS disk, extensions, osProfile) are kept and echoed
back by GET and list, less what Azure never returns (adminPassword, customData, protectedSettings);
the emulator's own fields (size, image, prefix, priority) stay its truth. PATCH merges the profile as
JSON merge patch and replaces the whole tags object, as ARM does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.armserver import ArmApp, Response, ServerSettings
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

from ..arm.schema_oracle import round_trips, schema_problems, sdk

BASE = "https://127.0.0.1:9999"
RG = "tag-rg"
API = "2024-07-01"
SUBNET = "/subscriptions/x/resourceGroups/tag-rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Any]:
    backend = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    backend.create_or_update_resource_group(RG, "westeurope")
    yield backend
    backend.close()


@pytest.fixture
def app(emulator: Any) -> ArmApp:
    return ArmApp(emulator, ServerSettings())


def call(app: ArmApp, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    return app.handle(method, f"{path}?api-version={API}", {"Authorization": "Bearer token", **(headers or {})},
                      raw, BASE)


def set_path(app: ArmApp, name: str = "web") -> str:
    return (f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Compute/"
            f"virtualMachineScaleSets/{name}")


def full_profile() -> dict[str, Any]:
    """What `az vmss create` and Terraform PUT: a profile with much the emulator does not model."""
    return {
        "osProfile": {"computerNamePrefix": "web", "adminUsername": "ops", "adminPassword": "S3cret!pass",
                      "customData": "I2Nsb3VkLWNvbmZpZw==",
                      "linuxConfiguration": {"disablePasswordAuthentication": False, "provisionVMAgent": True}},
        "storageProfile": {
            "imageReference": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                               "sku": "22_04-lts-gen2", "version": "latest"},
            "osDisk": {"createOption": "FromImage", "caching": "ReadWrite", "diskSizeGB": 64,
                       "managedDisk": {"storageAccountType": "Premium_LRS"}},
        },
        "networkProfile": {"networkInterfaceConfigurations": [{
            "name": "web-nic", "properties": {"primary": True, "ipConfigurations": [
                {"name": "ipconfig1", "properties": {"subnet": {"id": SUBNET}}}]}}]},
        "extensionProfile": {"extensions": [{
            "name": "health", "properties": {
                "publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                "typeHandlerVersion": "1.0", "autoUpgradeMinorVersion": True,
                "settings": {"protocol": "http", "port": 80, "requestPath": "/health"},
                "protectedSettings": {"token": "do-not-echo"}}}]},
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
        "priority": "Regular",
    }


def create_body(**extra: Any) -> dict[str, Any]:
    body = {"location": "westeurope", "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 2},
            "tags": {"env": "test", "owner": "ops"},
            "properties": {"orchestrationMode": "Uniform", "upgradePolicy": {"mode": "Manual"},
                           "virtualMachineProfile": full_profile()}}
    body.update(extra)
    return body


def created(app: ArmApp, name: str = "web", **extra: Any) -> dict[str, Any]:
    response = call(app, "PUT", set_path(app, name), create_body(**extra))
    assert response.status == 201, response.body
    return response.body


def test_a_put_keeps_tags_and_the_whole_profile_and_get_echoes_them_as_azure_does(app: ArmApp) -> None:
    answer = created(app)
    assert answer["tags"] == {"env": "test", "owner": "ops"}
    shown = call(app, "GET", set_path(app))
    assert shown.status == 200
    body = shown.body
    assert body["tags"] == {"env": "test", "owner": "ops"}
    profile = body["properties"]["virtualMachineProfile"]
    assert profile["storageProfile"]["osDisk"] == {"createOption": "FromImage", "caching": "ReadWrite",
                                                   "diskSizeGB": 64,
                                                   "managedDisk": {"storageAccountType": "Premium_LRS"}}
    assert profile["networkProfile"]["networkInterfaceConfigurations"][0]["name"] == "web-nic"
    assert profile["diagnosticsProfile"] == {"bootDiagnostics": {"enabled": True}}
    extension = profile["extensionProfile"]["extensions"][0]
    assert extension["properties"]["settings"] == {"protocol": "http", "port": 80, "requestPath": "/health"}
    # Never returned by Azure: the password, custom data and an extension's protected settings.
    assert "protectedSettings" not in extension["properties"]
    assert profile["osProfile"] == {"computerNamePrefix": "web", "adminUsername": "ops",
                                    "linuxConfiguration": {"disablePasswordAuthentication": False,
                                                           "provisionVMAgent": True}}
    assert "do-not-echo" not in json.dumps(body) and "S3cret" not in json.dumps(body)
    # What the emulator models stays its own: the image reference and the size come from its state.
    assert profile["storageProfile"]["imageReference"]["offer"] == "0001-com-ubuntu-server-jammy"
    assert body["sku"]["name"] == "Standard_D2s_v3"
    assert schema_problems(sdk.VirtualMachineScaleSet, body) == []
    assert round_trips(sdk.VirtualMachineScaleSet, body)["properties"]["virtualMachineProfile"] == profile


def test_the_list_carries_each_sets_tags(app: ArmApp) -> None:
    created(app)
    created(app, "api", tags={"tier": "backend"})
    listed = call(app, "GET", set_path(app).rsplit("/", 1)[0])
    assert {item["name"]: item["tags"] for item in listed.body["value"]} == {
        "api": {"tier": "backend"}, "web": {"env": "test", "owner": "ops"}}


def test_a_patch_replaces_the_whole_tags_object(app: ArmApp) -> None:
    created(app)
    patched = call(app, "PATCH", set_path(app), {"tags": {"env": "prod"}})
    assert patched.status == 200, patched.body
    assert patched.body["tags"] == {"env": "prod"}
    assert call(app, "GET", set_path(app)).body["tags"] == {"env": "prod"}
    # A PATCH without tags leaves them; an empty object clears them.
    call(app, "PATCH", set_path(app), {"properties": {"upgradePolicy": {"mode": "Automatic"}}})
    assert call(app, "GET", set_path(app)).body["tags"] == {"env": "prod"}
    call(app, "PATCH", set_path(app), {"tags": {}})
    assert call(app, "GET", set_path(app)).body["tags"] == {}


def test_a_patch_of_the_profile_merges_objects_and_replaces_lists(app: ArmApp) -> None:
    created(app)
    new_extension = {"name": "script", "properties": {"publisher": "Microsoft.Azure.Extensions",
                                                      "type": "CustomScript", "typeHandlerVersion": "2.1"}}
    patch = {"properties": {"virtualMachineProfile": {
        "storageProfile": {"osDisk": {"diskSizeGB": 128}},
        "extensionProfile": {"extensions": [new_extension]}}}}
    answer = call(app, "PATCH", set_path(app), patch)
    assert answer.status == 200, answer.body
    profile = call(app, "GET", set_path(app)).body["properties"]["virtualMachineProfile"]
    assert profile["storageProfile"]["osDisk"] == {"createOption": "FromImage", "caching": "ReadWrite",
                                                   "diskSizeGB": 128,
                                                   "managedDisk": {"storageAccountType": "Premium_LRS"}}
    assert profile["extensionProfile"]["extensions"] == [new_extension]
    assert profile["networkProfile"]["networkInterfaceConfigurations"][0]["name"] == "web-nic"
    assert profile["osProfile"]["adminUsername"] == "ops"


def test_a_put_on_an_existing_set_replaces_its_tags_and_profile(app: ArmApp) -> None:
    created(app)
    body = call(app, "GET", set_path(app)).body  # what az's generic update does: GET, change, PUT back
    body["tags"]["env"] = "staging"
    body["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]["caching"] = "ReadOnly"
    for key in ("id", "name", "type", "etag"):
        body.pop(key)
    answer = call(app, "PUT", set_path(app), body)
    assert answer.status == 200, answer.body
    shown = call(app, "GET", set_path(app)).body
    assert shown["tags"] == {"env": "staging", "owner": "ops"}
    assert shown["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]["caching"] == "ReadOnly"
    without_tags = {k: v for k, v in body.items() if k != "tags"}
    assert call(app, "PUT", set_path(app), without_tags).status == 200
    assert call(app, "GET", set_path(app)).body["tags"] == {}  # a PUT replaces the resource: no tags, none kept


def test_a_tags_only_change_leaves_every_instance_on_the_latest_model(app: ArmApp, emulator: Any) -> None:
    created(app)
    call(app, "PATCH", set_path(app), {"tags": {"env": "prod"}})
    assert all(i.latest_model_applied for i in emulator.list_instances(RG, "web"))


@pytest.mark.parametrize(("tags", "code", "named"), [
    ({f"k{i}": "v" for i in range(51)}, "InvalidParameter", "at most 50 tags"),
    ({"a/b": "v"}, "InvalidParameter", "tag name 'a/b' is not valid"),
    ({"x" * 513: "v"}, "InvalidParameter", "is not valid: 1 to 512 characters"),
    ({"env": "v" * 257}, "InvalidParameter", "longer than 256 characters"),
    ({"env": 5}, "InvalidRequestFormat", "Cannot parse the request"),  # the body schema refuses it at the door
])
def test_tags_azure_refuses_are_refused_by_name_and_nothing_stored_changes(app: ArmApp, tags: dict[str, Any],
                                                                           code: str, named: str) -> None:
    created(app)
    refused = call(app, "PATCH", set_path(app), {"tags": tags})
    assert refused.status == 400, refused.body
    assert refused.body["error"]["code"] == code and named in refused.body["error"]["message"], refused.body
    assert call(app, "GET", set_path(app)).body["tags"] == {"env": "test", "owner": "ops"}
    refused_create = call(app, "PUT", set_path(app, "other"), create_body(tags=tags))
    assert refused_create.status == 400
    assert call(app, "GET", set_path(app, "other")).status == 404


def test_a_set_created_without_a_profile_body_still_shows_the_modelled_profile(emulator: Any, app: ArmApp) -> None:
    emulator.wait(emulator.create_scale_set(ScaleSetSpec(name="plain", resource_group=RG, capacity=1,
                                                         orchestration_mode=OrchestrationMode.UNIFORM,
                                                         tags=(("team", "blue"),))))
    body = call(app, "GET", set_path(app, "plain")).body
    assert body["tags"] == {"team": "blue"}
    assert body["properties"]["virtualMachineProfile"]["osProfile"]["adminUsername"] == "azureuser"
    assert schema_problems(sdk.VirtualMachineScaleSet, body) == []


def test_a_patch_answers_with_the_body_get_gives_network_profile_included(emulator: Any, app: ArmApp) -> None:
    from vmss_tui.domain.models import ScaleSetNetwork

    emulator.wait(emulator.create_scale_set(ScaleSetSpec(name="netted", resource_group=RG, capacity=1,
                                                         orchestration_mode=OrchestrationMode.UNIFORM,
                                                         network=ScaleSetNetwork())))
    answer = call(app, "PATCH", set_path(app, "netted"), {"tags": {"env": "test"}})
    assert answer.status == 200, answer.body
    shown = call(app, "GET", set_path(app, "netted")).body
    assert answer.body["properties"]["virtualMachineProfile"]["networkProfile"] == \
        shown["properties"]["virtualMachineProfile"]["networkProfile"]
    assert answer.body["etag"] == shown["etag"]


def test_if_match_with_the_etag_get_gave_is_met_for_a_set_with_a_network(emulator: Any, app: ArmApp) -> None:
    """The adapter's zoneBalance PUT sends If-Match: the tag must be the one GET served (network profile included)."""
    from vmss_tui.domain.models import ScaleSetNetwork

    emulator.wait(emulator.create_scale_set(ScaleSetSpec(name="netted", resource_group=RG, capacity=1,
                                                         orchestration_mode=OrchestrationMode.UNIFORM,
                                                         network=ScaleSetNetwork())))
    etag = call(app, "GET", set_path(app, "netted")).body["etag"]
    answer = call(app, "PATCH", set_path(app, "netted"), {"tags": {"env": "test"}}, headers={"If-Match": etag})
    assert answer.status == 200, answer.body
    stale = call(app, "PATCH", set_path(app, "netted"), {"tags": {"env": "prod"}}, headers={"If-Match": etag})
    assert stale.status == 412
    assert call(app, "GET", set_path(app, "netted")).body["tags"] == {"env": "test"}
