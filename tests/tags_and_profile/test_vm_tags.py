"""Tags on a Flexible set's VMs (`virtualMachines/{vm}`) and on a Uniform set's VMs (`.../virtualMachines/{id}`):
a PUT's tags are kept, GET and list show them, a PUT on an existing VM replaces them (az's generic update)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.armserver import ArmApp, ServerSettings
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

from ..arm.schema_oracle import schema_problems, sdk
from .test_endpoint_tags_and_profile import RG, call, set_path


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Any]:
    backend = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    backend.create_or_update_resource_group(RG, "westeurope")
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="flex", resource_group=RG, capacity=0,
                                                       orchestration_mode=OrchestrationMode.FLEXIBLE,
                                                       platform_fault_domain_count=1)))
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="web", resource_group=RG, capacity=2,
                                                       orchestration_mode=OrchestrationMode.UNIFORM)))
    yield backend
    backend.close()


@pytest.fixture
def app(emulator: Any) -> ArmApp:
    return ArmApp(emulator, ServerSettings())


def vm_path(app: ArmApp, name: str) -> str:
    return f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/{name}"


def test_a_flexible_vm_keeps_its_tags_and_a_put_replaces_them(app: ArmApp) -> None:
    body = {"location": "westeurope", "tags": {"role": "worker"},
            "properties": {"virtualMachineScaleSet": {"id": set_path(app, "flex")},
                           "hardwareProfile": {"vmSize": "Standard_D2s_v3"}}}
    created = call(app, "PUT", vm_path(app, "flex-vm1"), body)
    assert created.status == 201, created.body
    shown = call(app, "GET", vm_path(app, "flex-vm1")).body
    assert shown["tags"] == {"role": "worker"}
    assert schema_problems(sdk.VirtualMachine, shown) == []
    listed = call(app, "GET", vm_path(app, "").rstrip("/")).body["value"]
    assert [vm["tags"] for vm in listed] == [{"role": "worker"}]
    shown["tags"] = {"role": "web", "env": "test"}  # az vm update --set tags.env=test: GET, change, PUT back
    replaced = call(app, "PUT", vm_path(app, "flex-vm1"), shown)
    assert replaced.status == 200, replaced.body
    assert call(app, "GET", vm_path(app, "flex-vm1")).body["tags"] == {"role": "web", "env": "test"}
    refused = call(app, "PUT", vm_path(app, "flex-vm1"), {**shown, "tags": {"a?b": "1"}})
    assert refused.status == 400 and refused.body["error"]["code"] == "InvalidParameter"
    assert call(app, "GET", vm_path(app, "flex-vm1")).body["tags"] == {"role": "web", "env": "test"}


def test_a_scale_set_vm_keeps_the_tags_a_put_gives_it(app: ArmApp) -> None:
    path = set_path(app, "web") + "/virtualMachines/0"
    body = call(app, "GET", path).body
    assert "tags" not in body or body["tags"] == {}
    body["tags"] = {"owner": "ops"}
    answer = call(app, "PUT", path, body)
    assert answer.status == 200, answer.body
    shown = call(app, "GET", path).body
    assert shown["tags"] == {"owner": "ops"}
    assert schema_problems(sdk.VirtualMachineScaleSetVM, shown) == []
    listed = call(app, "GET", set_path(app, "web") + "/virtualMachines").body["value"]
    assert {vm["instanceId"]: vm.get("tags", {}) for vm in listed} == {"0": {"owner": "ops"}, "1": {}}
