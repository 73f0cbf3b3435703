"""The endpoint's Microsoft.Network routes, request by request, checked against azure-mgmt-network's models.

azure-mgmt-network's generated models (TypeSpec `rest_field`s) are the schema: every key we send must be a
declared field of the right JSON type, and the body must read back through the model. Then what az's
`list-instance-connection-info` reads (the scale set's network profile, the load balancer, the public IP)
is followed through the SDK objects and must give what the emulator's `connection-info` gives.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

net = pytest.importorskip("azure.mgmt.network.models")
_net_models = pytest.importorskip("azure.mgmt.network.models._models")
_net_base = pytest.importorskip("azure.mgmt.network._utils.model_base")

from vmss_tui.armserver import ArmApp, Response, ServerSettings  # noqa: E402
from vmss_tui.backends import open_backend  # noqa: E402
from vmss_tui.domain.models import OrchestrationMode, ScaleSetNetwork, ScaleSetSpec  # noqa: E402

BASE = "https://127.0.0.1:9999"
RG = "net-rg"
_NAMESPACE = {**vars(_net_models), "_models": net}


def _fields(model: type) -> dict[str, Any]:
    model()
    hints = typing.get_type_hints(model, globalns=_NAMESPACE)
    return {field._rest_name: hints.get(attr) for attr, field in model._attr_to_rest_field.items()}


def schema_problems(model: type, body: Any, path: str = "") -> list[str]:
    """Every key of `body` the model does not declare, and every value of the wrong JSON type."""
    if not isinstance(body, dict):
        return [f"{path or '<body>'}: expected an object"]
    problems: list[str] = []
    fields = _fields(model)
    for key, value in body.items():
        where = f"{path}.{key}" if path else key
        if key not in fields:
            problems.append(f"{where}: not a field of {model.__name__}")
        elif value is not None:
            problems += _value_problems(fields[key], value, where)
    return problems


def _value_problems(annotation: Any, value: Any, where: str) -> list[str]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else typing.Union[tuple(args)]  # type: ignore[assignment]
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        members = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, enum.Enum)]
        if not isinstance(value, str):
            return [f"{where}: expected text, got {value!r}"]
        if members and value.lower() not in {m.value.lower() for m in members[0]}:
            return [f"{where}: {value!r} is not one of {members[0].__name__}'s values"]
        return []
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        (item,) = typing.get_args(annotation)
        return [p for i, v in enumerate(value) for p in _value_problems(item, v, f"{where}[{i}]")]
    if isinstance(annotation, type) and issubclass(annotation, _net_base.Model):
        return schema_problems(annotation, value, where)
    expected = {str: str, bool: bool, int: int}.get(annotation)  # type: ignore[call-overload]
    if expected is not None and (isinstance(value, bool) and annotation is not bool or not isinstance(value, expected)):
        return [f"{where}: expected {annotation.__name__}, got {value!r}"]
    return []


def read_back(model: type, body: dict[str, Any]) -> Any:
    """The body through the SDK model and back out: what an SDK client would see."""
    instance = model(body)
    json.dumps(instance.as_dict(), cls=_net_base.SdkJSONEncoder)
    return instance


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Any]:
    backend = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    backend.create_or_update_resource_group(RG, "westeurope")
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="web", resource_group=RG, capacity=3,
                                                       orchestration_mode=OrchestrationMode.UNIFORM,
                                                       network=ScaleSetNetwork())))
    yield backend
    backend.close()


@pytest.fixture
def app(emulator: Any) -> ArmApp:
    return ArmApp(emulator, ServerSettings())


def call(app: ArmApp, method: str, path: str, body: Any = None, api: str = "2022-01-01") -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    return app.handle(method, f"{path}?api-version={api}", {"Authorization": "Bearer token"}, raw, BASE)


def network_path(app: ArmApp, collection: str, name: str = "") -> str:
    path = f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Network/{collection}"
    return f"{path}/{name}" if name else path


@pytest.mark.parametrize(("collection", "name", "model"), [
    ("loadBalancers", "webLB", "LoadBalancer"), ("virtualNetworks", "webVNET", "VirtualNetwork"),
    ("publicIPAddresses", "webLBPublicIP", "PublicIPAddress"),
])
def test_every_network_body_is_what_azure_mgmt_networks_models_declare(app: ArmApp, collection: str, name: str,
                                                                       model: str) -> None:
    shown = call(app, "GET", network_path(app, collection, name))
    assert shown.status == 200, shown.body
    assert schema_problems(getattr(net, model), shown.body) == []
    assert read_back(getattr(net, model), shown.body).name == name
    listed = call(app, "GET", network_path(app, collection), api="2025-07-01")
    assert listed.status == 200 and [item["name"] for item in listed.body["value"]] == [name]


def test_an_nsg_and_the_scale_sets_nics_match_the_models(app: ArmApp, emulator: Any) -> None:
    emulator.create_nsg(RG, "lab-nsg", inbound_ports=(22, 80))
    nsg = call(app, "GET", network_path(app, "networkSecurityGroups", "lab-nsg")).body
    assert schema_problems(net.NetworkSecurityGroup, nsg) == []
    rules = read_back(net.NetworkSecurityGroup, nsg).security_rules
    assert [(r.name, r.priority, r.destination_port_range) for r in rules] == [("SSH", 300, "22"), ("HTTP", 320, "80")]
    nics = call(app, "GET", f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Compute/"
                            "virtualMachineScaleSets/web/networkInterfaces", api="2018-10-01")
    assert nics.status == 200
    for body in nics.body["value"]:
        assert schema_problems(net.NetworkInterface, body) == []
    addresses = [read_back(net.NetworkInterface, b).ip_configurations[0].private_ip_address for b in nics.body["value"]]
    assert addresses == ["10.0.0.4", "10.0.0.5", "10.0.0.6"]


def test_what_az_reads_for_connection_info_gives_the_emulators_answer(app: ArmApp, emulator: Any) -> None:
    """az: GET the set, its primary NIC configuration's NAT pool -> GET the LB -> GET its frontend's public IP."""
    vmss = call(app, "GET", f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Compute/"
                            "virtualMachineScaleSets/web", api="2024-07-01").body
    nic_config = vmss["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    assert nic_config["properties"]["primary"] is True
    pool_id = nic_config["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatPools"][0]["id"]
    lb_id = pool_id.split("/inboundNatPools/")[0]
    lb = read_back(net.LoadBalancer, call(app, "GET", lb_id).body)
    pip = read_back(net.PublicIPAddress, call(app, "GET", lb.frontend_ip_configurations[0].public_ip_address.id).body)
    from_sdk = {f"instance {rule.backend_ip_configuration.id.split('/virtualMachines/')[1].split('/')[0]}":
                f"{pip.ip_address}:{rule.frontend_port}" for rule in lb.inbound_nat_rules}
    assert from_sdk == emulator.connection_info(RG, "web")
    assert sorted(from_sdk.values()) == [f"{pip.ip_address}:{p}" for p in (50000, 50001, 50002)]


def test_az_network_creates_and_deletes_through_put_and_delete(app: ArmApp) -> None:
    vnet_body = {"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
                                                          "subnets": [{"name": "default",
                                                                       "properties": {"addressPrefix": "10.9.0.0/24"}}]}}
    created = call(app, "PUT", network_path(app, "virtualNetworks", "lab-vnet"), vnet_body, api="2025-07-01")
    assert created.status == 201 and schema_problems(net.VirtualNetwork, created.body) == []
    assert call(app, "PUT", network_path(app, "virtualNetworks", "lab-vnet"), vnet_body).status == 200
    overlapping = {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
        "subnets": [{"name": "a", "properties": {"addressPrefix": "10.9.0.0/24"}},
                    {"name": "b", "properties": {"addressPrefix": "10.9.0.128/25"}}]}}
    refused = call(app, "PUT", network_path(app, "virtualNetworks", "lab-vnet"), overlapping)
    assert refused.status == 400 and refused.body["error"]["code"] == "NetcfgSubnetRangesOverlap"
    nsg_body = {"location": "westeurope", "properties": {"securityRules": [
        {"name": "ssh", "properties": {"priority": 1000, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                                       "destinationPortRange": "22"}},
        {"name": "web", "properties": {"priority": 1000, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                                       "destinationPortRange": "80"}}]}}
    conflict = call(app, "PUT", network_path(app, "networkSecurityGroups", "n"), nsg_body)
    assert conflict.status == 400 and conflict.body["error"]["code"] == "SecurityRuleConflict"
    in_use = call(app, "DELETE", network_path(app, "loadBalancers", "webLB"))
    assert in_use.status == 400 and in_use.body["error"]["code"] == "LoadBalancerInUseByVirtualMachineScaleSet"
    assert call(app, "DELETE", network_path(app, "virtualNetworks", "lab-vnet")).status == 200
    assert call(app, "DELETE", network_path(app, "virtualNetworks", "lab-vnet")).status == 204
    assert call(app, "GET", network_path(app, "virtualNetworks", "lab-vnet")).status == 404
    bad_name = call(app, "GET", network_path(app, "virtualNetworks", "bad%01name"))
    assert bad_name.status == 400 and bad_name.body["error"]["code"] == "InvalidResourceName"


def test_an_api_version_the_network_provider_never_had_is_refused(app: ArmApp) -> None:
    refused = call(app, "GET", network_path(app, "loadBalancers"), api="2099-01-01")
    assert refused.status == 400 and refused.body["error"]["code"] == "NoRegisteredProviderFound"
