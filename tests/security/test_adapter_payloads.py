"""Issue 10, class 7: the live adapter survives real Azure payloads.

Payloads come from outside truth: azure-mgmt-compute's generated models (built from Azure's
schema: their rest fields and enum classes), and examples of Azure's REST specification
vendored in `tests/security/data/` (sources in its README). The emulator's ARM endpoint is
held to the same schema: every key it sends must exist in the SDK's model.
"""

from __future__ import annotations

import json
import socket
import threading
import typing
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.azure.conftest import RG, Served, arm_state_dir, make_flexible, make_uniform, served  # noqa: F401
from vmss_tui.arm import compute as arm_compute
from vmss_tui.arm import values as arm_values
from vmss_tui.backends import open_backend
from vmss_tui.domain import errors
from vmss_tui.domain import ids as resource_ids
from vmss_tui.domain.models import (
    OrchestrationMode,
    PowerState,
    Priority,
    ProvisioningState,
    ScaleSet,
    is_unknown,
)

sdk = pytest.importorskip("azure.mgmt.compute.models")
_sdk_models = pytest.importorskip("azure.mgmt.compute.models._models")
SdkModel = pytest.importorskip("azure.mgmt.compute._utils.model_base").Model

DATA = Path(__file__).parent / "data"
API_VERSION = "2024-11-01"
SUB = "6f0c7c8e-8a6b-4c55-9d1e-3f1b2a4c5d6e"
SET_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


# ---------------------------------------------------------------- the SDK's schema

_NAMESPACE = {**vars(_sdk_models), **vars(sdk), "_models": sdk}


def _fields(model: type) -> dict[str, Any]:
    """Rest name -> type hint of every field of an SDK model (Azure's schema for that object)."""
    model({})  # the model base fills `_attr_to_rest_field` on first use
    hints = typing.get_type_hints(model, _NAMESPACE)
    return {field._rest_name: hints.get(attr) for attr, field in model._attr_to_rest_field.items()}


def _unwrap(hint: Any) -> tuple[str, Any]:
    """('model'|'enum'|'list'|'dict'|'scalar', inner) of a type hint."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        enums = [a for a in args if isinstance(a, type) and issubclass(a, Enum)]
        if enums:
            return "enum", enums[0]
        return _unwrap(args[0]) if len(args) == 1 else ("scalar", hint)
    if origin is list:
        return "list", typing.get_args(hint)[0]
    if origin is dict:
        return "dict", typing.get_args(hint)[1]
    if isinstance(hint, type) and issubclass(hint, Enum):
        return "enum", hint
    if isinstance(hint, type) and issubclass(hint, SdkModel):
        return "model", hint
    return "scalar", hint


def _resolve(model: type, path: str) -> Any:
    """The type hint at a dotted rest path of `model`; fails if Azure's schema has no such path."""
    hint: Any = model
    for step in path.split("."):
        kind, inner = _unwrap(hint)
        while kind == "list":
            kind, inner = _unwrap(inner)
        assert kind == "model", f"{path}: '{step}' is below a {kind}, not an object"
        fields = _fields(inner)
        assert step in fields, f"{model.__name__} has no '{path}' in Azure's schema (stopped at '{step}')"
        hint = fields[step]
    return hint


def _keys_outside_schema(value: Any, hint: Any, path: str = "") -> list[str]:
    """Every key of `value` (recursively) that the SDK model for `hint` does not define."""
    kind, inner = _unwrap(hint)
    found: list[str] = []
    if kind == "model" and isinstance(value, dict):
        fields = _fields(inner)
        for key, item in value.items():
            if key not in fields:
                found.append(f"{path}{key}")
            else:
                found += _keys_outside_schema(item, fields[key], f"{path}{key}.")
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            found += _keys_outside_schema(item, inner, f"{path}[{index}].")
    elif kind == "dict" and isinstance(value, dict):
        for key, item in value.items():
            found += _keys_outside_schema(item, inner, f"{path}{key}.")
    return found


# ---------------------------------------------------------------- what the adapter reads

SCALE_SET_READS = [
    "id", "name", "location", "zones", "tags", "sku.name", "sku.capacity",
    "properties.orchestrationMode", "properties.platformFaultDomainCount", "properties.singlePlacementGroup",
    "properties.scaleInPolicy.rules", "properties.scaleInPolicy.forceDeletion", "properties.upgradePolicy.mode",
    "properties.provisioningState", "properties.timeCreated", "properties.uniqueId", "properties.zoneBalance",
    "properties.virtualMachineProfile.priority", "properties.virtualMachineProfile.osProfile.computerNamePrefix",
    "properties.virtualMachineProfile.storageProfile.imageReference.publisher",
    "properties.virtualMachineProfile.storageProfile.imageReference.offer",
    "properties.virtualMachineProfile.storageProfile.imageReference.sku",
    "properties.virtualMachineProfile.storageProfile.imageReference.version",
]
SCALE_SET_VM_READS = [
    "id", "name", "instanceId", "zones", "sku.name", "properties.latestModelApplied", "properties.vmId",
    "properties.provisioningState", "properties.protectionPolicy.protectFromScaleIn",
    "properties.protectionPolicy.protectFromScaleSetActions", "properties.osProfile.computerName",
    "properties.hardwareProfile.vmSize", "properties.hardwareProfile.vmSizeProperties.vCPUsAvailable",
    "properties.timeCreated", "properties.storageProfile.imageReference.publisher",
    "properties.instanceView.platformFaultDomain", "properties.instanceView.platformUpdateDomain",
    "properties.instanceView.computerName", "properties.instanceView.statuses",
]
VM_READS = [
    "id", "name", "zones", "properties.vmId", "properties.provisioningState", "properties.priority",
    "properties.platformFaultDomain", "properties.osProfile.computerName", "properties.hardwareProfile.vmSize",
    "properties.timeCreated", "properties.virtualMachineScaleSet.id",
    "properties.storageProfile.imageReference.publisher", "properties.instanceView.computerName",
    "properties.instanceView.statuses",
]
READS = {sdk.VirtualMachineScaleSet: SCALE_SET_READS, sdk.VirtualMachineScaleSetVM: SCALE_SET_VM_READS,
         sdk.VirtualMachine: VM_READS}

KNOWN_POWER = [state.value for state in PowerState if state is not PowerState.UNKNOWN]
STATUS_CODES = ([f"PowerState/{state}" for state in KNOWN_POWER]
                + ["PowerState/hibernated", "PowerState/Running", "ProvisioningState/succeeded",
                   "ProvisioningState/failed/AllocationFailed", "HibernationState/Hibernated", "OSState/generalized"])


@pytest.mark.parametrize("model", list(READS), ids=lambda m: m.__name__)
def test_every_path_the_adapter_reads_is_in_azures_schema(model: type) -> None:
    for path in READS[model]:
        _resolve(model, path)


def _value_for(hint: Any, path: str) -> st.SearchStrategy[Any]:
    """A value of the SDK type at `path`; enums get every value of the SDK's enum, and text it lacks."""
    if path.endswith("instanceView.statuses"):
        status = st.fixed_dictionaries({"code": st.sampled_from(STATUS_CODES) | st.text(max_size=20)},
                                       optional={"level": st.sampled_from([v.value for v in sdk.StatusLevelTypes]),
                                                 "displayStatus": st.text(max_size=10)})
        return st.lists(status, max_size=4)
    if path == "id":
        return st.sampled_from([f"{SET_ID}/virtualMachines/7", SET_ID, "", "/not/an/arm/id"]) | st.text(max_size=30)
    if path.endswith("virtualMachineScaleSet.id"):
        return st.just(SET_ID)
    kind, inner = _unwrap(hint)
    if kind == "enum":
        return st.sampled_from([member.value for member in inner]) | st.sampled_from(["", "NotYetInvented"])
    if kind == "list":
        item_kind, item = _unwrap(inner)
        if item_kind == "enum":
            return st.lists(st.sampled_from([m.value for m in item]) | st.just("NotYetInvented"), max_size=2)
        return st.lists(st.text(max_size=4), max_size=3)
    if kind == "dict":
        return st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=3)
    if inner is bool:
        return st.booleans()
    if inner is int:
        return st.integers(min_value=0, max_value=1000)
    if inner is datetime:
        return st.datetimes(timezones=st.just(timezone.utc)).map(lambda moment: moment.isoformat()) \
            | st.sampled_from(["2024-05-01T12:00:00.1234567Z", "not a time"])
    return st.text(max_size=20)


def _payloads(model: type) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies with every field the adapter reads, each one dropped at random."""
    parts = {path: _value_for(_resolve(model, path), path) for path in READS[model]}
    return st.fixed_dictionaries({}, optional=parts).map(_nest)


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = body
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return body


def _through_sdk(model: type, body: dict[str, Any]) -> dict[str, Any]:
    """What the adapter gets: the SDK model built from Azure's JSON, then `as_dict()`."""
    return model(body).as_dict()


def _power_codes(body: dict[str, Any]) -> list[str]:
    statuses = ((body.get("properties") or {}).get("instanceView") or {}).get("statuses") or []
    return [s["code"] for s in statuses if str(s.get("code", "")).lower().startswith("powerstate/")]


def _check_power(state: PowerState, body: dict[str, Any]) -> None:
    codes = _power_codes(body)
    if not codes:
        assert state is PowerState.UNKNOWN
        return
    value = codes[0].split("/", 1)[1].lower()
    if value in KNOWN_POWER:
        assert state.value == value
    else:
        assert is_unknown(state) and codes[0] in str(state) and state is not PowerState.RUNNING


def _check_open_enum(value: Any, raw: Any, default: Any) -> None:
    if raw is None or str(raw).strip() == "":
        assert value == default or str(value) == "unknown"
    else:
        assert str(value).lower() == str(raw).lower()


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(_payloads(sdk.VirtualMachineScaleSet))
def test_any_scale_set_body_maps_and_keeps_what_azure_sent(body: dict[str, Any]) -> None:
    received = _through_sdk(sdk.VirtualMachineScaleSet, body)
    scale_set = arm_compute.scale_set_from_json(received, SUB)
    properties = body.get("properties") or {}
    _check_open_enum(scale_set.orchestration_mode, properties.get("orchestrationMode"), OrchestrationMode.UNIFORM)
    _check_open_enum(scale_set.priority, (properties.get("virtualMachineProfile") or {}).get("priority"),
                     Priority.REGULAR)
    _check_open_enum(scale_set.upgrade_policy, (properties.get("upgradePolicy") or {}).get("mode"), "Manual")
    _check_open_enum(scale_set.provisioning_state, properties.get("provisioningState"), None)
    rules = (properties.get("scaleInPolicy") or {}).get("rules")
    _check_open_enum(scale_set.scale_in_policy, rules[0] if rules else None, "Default")


def _a_set(**overrides: Any) -> ScaleSet:
    base = arm_compute.scale_set_from_json({"id": SET_ID, "name": "web", "location": "westeurope",
                                     "sku": {"name": "Standard_D2s_v3", "capacity": 2},
                                     "properties": {"orchestrationMode": "Uniform", "provisioningState": "Succeeded",
                                                    "timeCreated": CREATED.isoformat(),
                                                    "virtualMachineProfile": {"priority": "Regular"}}}, SUB)
    from dataclasses import replace
    return replace(base, **overrides)


@_SETTINGS
@given(_payloads(sdk.VirtualMachineScaleSetVM))
def test_any_scale_set_vm_body_maps_power_ids_and_times_honestly(body: dict[str, Any]) -> None:
    received = _through_sdk(sdk.VirtualMachineScaleSetVM, body)
    instance = arm_compute.instance_from_scale_set_vm(received, _a_set())
    _check_power(instance.power_state, body)
    properties = body.get("properties") or {}
    _check_open_enum(instance.provisioning_state, properties.get("provisioningState"), None)
    if body.get("instanceId"):
        assert instance.instance_id == body["instanceId"]
    elif str(body.get("id", "")).endswith("/virtualMachines/7"):
        assert instance.instance_id == "7"
    created = arm_values.read_time(properties.get("timeCreated"))
    assert instance.time_created == (created or CREATED)


@_SETTINGS
@given(_payloads(sdk.VirtualMachine))
def test_any_flexible_vm_body_maps_priority_and_power_as_sent(body: dict[str, Any]) -> None:
    received = _through_sdk(sdk.VirtualMachine, body)
    flexible = _a_set(orchestration_mode=OrchestrationMode.FLEXIBLE)
    instance = arm_compute.instance_from_vm(received, flexible)
    _check_power(instance.power_state, body)
    _check_open_enum(instance.priority, (body.get("properties") or {}).get("priority"), Priority.REGULAR)


# ---------------------------------------------------------------- every enum value, one by one

@pytest.mark.parametrize("raw", [m.value for m in sdk.VirtualMachinePriorityTypes])
def test_every_priority_of_the_sdk_reads_as_sent_on_sets_and_vms(raw: str) -> None:
    scale_set = arm_compute.scale_set_from_json(_through_sdk(sdk.VirtualMachineScaleSet, {
        "id": SET_ID, "properties": {"virtualMachineProfile": {"priority": raw}}}), SUB)
    assert scale_set.priority.value == raw
    vm = arm_compute.instance_from_vm(_through_sdk(sdk.VirtualMachine, {"name": "web_0a1b2c3d", "properties": {
        "priority": raw, "virtualMachineScaleSet": {"id": SET_ID}}}), scale_set)
    assert vm.priority.value == raw


@pytest.mark.parametrize(("path", "enum"), [
    ("orchestrationMode", sdk.OrchestrationMode), ("upgradePolicy.mode", sdk.UpgradeMode),
    ("scaleInPolicy.rules", sdk.VirtualMachineScaleSetScaleInRules)])
def test_every_scale_set_enum_value_of_the_sdk_reads_as_sent(path: str, enum: type[Enum]) -> None:
    for member in enum:
        leaf: Any = [member.value] if path.endswith("rules") else member.value
        body = {"id": SET_ID, "properties": _nest({path: leaf})}
        scale_set = arm_compute.scale_set_from_json(_through_sdk(sdk.VirtualMachineScaleSet, body), SUB)
        read = {"orchestrationMode": scale_set.orchestration_mode, "upgradePolicy.mode": scale_set.upgrade_policy,
                "scaleInPolicy.rules": scale_set.scale_in_policy}[path]
        assert read.value == member.value and not is_unknown(read)


def test_low_priority_no_longer_breaks_a_whole_list() -> None:
    """Was: ValueError "'Low' is not a valid Priority" for the whole resource group."""
    sets = [arm_compute.scale_set_from_json({"id": SET_ID.replace("/web", f"/s{i}"), "properties": {
        "virtualMachineProfile": {"priority": priority}}}, SUB) for i, priority in enumerate(("Low", "SpotPlus"))]
    assert [s.priority for s in sets] == [Priority.LOW, Priority.SPOT_PLUS]
    assert [str(s.priority) for s in sets] == ["Low", "SpotPlus"]


def test_unknown_values_are_kept_as_sent_and_marked_unknown() -> None:
    scale_set = arm_compute.scale_set_from_json({"id": SET_ID, "properties": {
        "orchestrationMode": "Elastic", "upgradePolicy": {"mode": "Gradual"}, "scaleInPolicy": {"rules": ["Cheapest"]},
        "provisioningState": "Migrating", "virtualMachineProfile": {"priority": "Frugal"}}}, SUB)
    read = [scale_set.orchestration_mode, scale_set.upgrade_policy, scale_set.scale_in_policy,
            scale_set.provisioning_state, scale_set.priority]
    assert [str(value) for value in read] == ["Elastic", "Gradual", "Cheapest", "Migrating", "Frugal"]
    assert all(is_unknown(value) for value in read)
    assert scale_set.provisioning_state is not ProvisioningState.SUCCEEDED


def test_an_unknown_or_missing_power_status_is_never_running() -> None:
    """Was: running, even with provisioningState Failed."""
    for statuses in ([], [{"code": "ProvisioningState/failed/AllocationFailed"}], [{"code": "PowerState/hibernated"}]):
        body = {"id": f"{SET_ID}/virtualMachines/3", "properties": {
            "provisioningState": "Failed", "instanceView": {"statuses": statuses}}}
        instance = arm_compute.instance_from_scale_set_vm(_through_sdk(sdk.VirtualMachineScaleSetVM, body), _a_set())
        assert instance.power_state is not PowerState.RUNNING
        assert instance.provisioning_state is ProvisioningState.FAILED
    assert str(instance.power_state) == "unknown (PowerState/hibernated)"


# ---------------------------------------------------------------- Azure's own examples

def _example(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["responses"]["200"]["body"]


def test_spec_example_with_vm_size_properties_keeps_id_size_and_time() -> None:
    """VirtualMachineScaleSetVM_Get_WithVMSizeProperties: no instanceId, no sku, no vmSize, no timeCreated."""
    body = _through_sdk(sdk.VirtualMachineScaleSetVM, _example("VirtualMachineScaleSetVM_Get_WithVMSizeProperties.json"))
    instance = arm_compute.instance_from_scale_set_vm(body, _a_set())
    assert instance.instance_id == "0"
    assert instance.vm_size == "Standard_D2s_v3"  # on the latest model: the set's size
    assert instance.time_created == CREATED  # not 1970: an instance cannot predate its set
    assert instance.power_state is PowerState.UNKNOWN
    assert instance.computer_name == "test000000"


def test_spec_example_minimum_list_maps_without_a_crash() -> None:
    for item in _example("VirtualMachineScaleSetVM_List_MinimumSet_Gen.json")["value"]:
        instance = arm_compute.instance_from_scale_set_vm(_through_sdk(sdk.VirtualMachineScaleSetVM, item), _a_set())
        assert instance.instance_id == "0"
        assert instance.power_state is PowerState.UNKNOWN
        assert str(instance.provisioning_state) == "unknown"


# ---------------------------------------------------------------- the emulator's endpoint vs the schema

def _raw_get(adapter: Any, path: str) -> Any:
    from azure.core.rest import HttpRequest

    separator = "&" if "?" in path else "?"
    response = adapter._client.send_request(HttpRequest(
        "GET", f"{adapter.base_url}/subscriptions/{adapter.subscription_id}/resourceGroups/{RG}/providers/"
               f"Microsoft.Compute/{path}{separator}api-version={API_VERSION}"))
    assert response.status_code == 200, response.text()
    return response.json()


def test_every_emulator_response_has_only_keys_azures_schema_has(served: Served) -> None:
    """Was: `properties.protectionPolicy` on plain Flexible VMs, which Azure's VM model lacks."""
    make_uniform(served.emulator, "web", 2)
    make_flexible(served.emulator, "fx", 2)
    adapter = served.open_adapter()
    flex_vm = adapter.list_instances(RG, "fx")[0].name
    set_id = resource_ids.scale_set_id(adapter.subscription_id, RG, "fx")
    bodies: list[tuple[str, Any, Any]] = [
        ("scale set", _raw_get(adapter, "virtualMachineScaleSets/web"), sdk.VirtualMachineScaleSet),
        ("Flexible scale set", _raw_get(adapter, "virtualMachineScaleSets/fx"), sdk.VirtualMachineScaleSet),
        ("scale-set instance view", _raw_get(adapter, "virtualMachineScaleSets/web/instanceView"),
         sdk.VirtualMachineScaleSetInstanceView),
        ("Uniform scale-set VM", _raw_get(adapter, "virtualMachineScaleSets/web/virtualMachines/0?$expand=instanceView"),
         sdk.VirtualMachineScaleSetVM),
        ("Uniform scale-set VM view", _raw_get(adapter, "virtualMachineScaleSets/web/virtualMachines/0/instanceView"),
         sdk.VirtualMachineScaleSetVMInstanceView),
        ("Flexible scale-set VM", _raw_get(adapter, f"virtualMachineScaleSets/fx/virtualMachines/{flex_vm}"),
         sdk.VirtualMachineScaleSetVM),
        ("Flexible VM", _raw_get(adapter, f"virtualMachines/{flex_vm}?$expand=instanceView"), sdk.VirtualMachine),
        ("Flexible VM view", _raw_get(adapter, f"virtualMachines/{flex_vm}/instanceView"),
         sdk.VirtualMachineInstanceView),
    ]
    for item in _raw_get(adapter, "virtualMachineScaleSets/web/virtualMachines?$expand=instanceView")["value"]:
        bodies.append(("Uniform list item", item, sdk.VirtualMachineScaleSetVM))
    for item in _raw_get(adapter, f"virtualMachines?$filter='virtualMachineScaleSet/id' eq '{set_id}'"
                                  f"&$expand=instanceView")["value"]:
        bodies.append(("Flexible list item", item, sdk.VirtualMachine))
    invented = {what: keys for what, body, model in bodies if (keys := _keys_outside_schema(body, model))}
    assert invented == {}
    for what, body, model in bodies:  # and each deserializes through the SDK's model
        assert model(body).as_dict() == body, what


def test_flexible_protection_goes_through_the_scale_set_vm_resource(served: Served) -> None:
    """Azure's instance-protection doc: Flexible protection is the scale-set VM's protectionPolicy."""
    make_flexible(served.emulator, "fx", 2)
    adapter = served.open_adapter()
    first, second = (i.instance_id for i in adapter.list_instances(RG, "fx"))
    adapter.set_protection(RG, "fx", [first], protect_from_scale_in=True, protect_from_scale_set_actions=True)
    by_id = {i.instance_id: i for i in adapter.list_instances(RG, "fx")}
    assert by_id[first].protect_from_scale_in and by_id[first].protect_from_scale_set_actions
    assert not by_id[second].protect_from_scale_in
    assert adapter.get_instance(RG, "fx", first).protect_from_scale_set_actions
    assert served.emulator.get_instance(RG, "fx", first).protect_from_scale_in  # really stored
    scale_set_vm = _raw_get(adapter, f"virtualMachineScaleSets/fx/virtualMachines/{first}")
    assert scale_set_vm["properties"]["protectionPolicy"] == {"protectFromScaleIn": True,
                                                              "protectFromScaleSetActions": True}
    assert "protectionPolicy" not in _raw_get(adapter, f"virtualMachines/{first}")["properties"]
    plan = adapter.plan_capacity(RG, "fx", 1)
    assert plan.protected_instance_ids == (first,)
    assert [removal.instance_id for removal in plan.to_remove] == [second]


# ---------------------------------------------------------------- timeouts and a 401 while waiting

@pytest.fixture
def silent_server() -> Any:
    """A TCP server that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    server.close()


def test_a_silent_endpoint_times_out_with_a_message_naming_it(silent_server: int) -> None:
    from vmss_tui.backends.azure.testing import StaticTokenCredential

    adapter = open_backend("azure", subscription=SUB, credential=StaticTokenCredential(),
                           base_url=f"https://127.0.0.1:{silent_server}", retry_total=0,
                           connection_timeout=0.5, read_timeout=0.5)
    try:
        started = datetime.now(timezone.utc)
        with pytest.raises(errors.AzureError) as caught:
            adapter.list_scale_sets("rg")
        assert (datetime.now(timezone.utc) - started).total_seconds() < 10
    finally:
        adapter.close()
    assert caught.value.code == "RequestTimeout"
    assert f"127.0.0.1:{silent_server}" in caught.value.message
    assert "did not answer in time (connect timeout 0.5 s, read timeout 0.5 s)" in caught.value.message


def test_the_default_timeouts_are_short_and_on_every_request() -> None:
    from vmss_tui.backends.azure.backend import CONNECTION_TIMEOUT, READ_TIMEOUT
    from vmss_tui.backends.azure.testing import StaticTokenCredential

    adapter = open_backend("azure", subscription=SUB, credential=StaticTokenCredential())
    try:
        config = adapter._client._client._pipeline._transport.connection_config
        assert (config.timeout, config.read_timeout) == (CONNECTION_TIMEOUT, READ_TIMEOUT)
        assert CONNECTION_TIMEOUT <= 30 and READ_TIMEOUT <= 120
    finally:
        adapter.close()


def test_a_401_while_waiting_says_the_operation_continues_and_how_to_follow_it(served: Served) -> None:
    """Was: the operation was reported Failed, though Azure carries on with it."""
    make_uniform(served.emulator, "web", 2)
    adapter = served.open_adapter()
    served.settings.lro_min_polls = 10_000
    operation = adapter.set_capacity(RG, "web", 3)
    served.settings.token_expired = True
    with pytest.raises(errors.AuthenticationFailed) as caught:
        adapter.wait(operation, timeout=20)
    message = caught.value.message
    assert caught.value.code == "ExpiredAuthenticationToken"
    assert "continues in Azure" in message
    assert f"vmss-tui operation {operation.id}" in message
    assert "az rest --method get --url" in message
    served.settings.token_expired = False
    served.settings.lro_min_polls = 0
    # Following it as the message says works once the token is good again: Azure's status endpoint answers.
    followed = adapter.wait(adapter.get_operation(operation.id), timeout=20)
    assert followed.status.value == "Succeeded"
    assert len(served.emulator.list_instances(RG, "web")) == 3


def test_a_401_while_following_an_operation_started_elsewhere_says_the_same(served: Served) -> None:
    make_uniform(served.emulator, "web", 2)
    started_here = served.open_adapter()
    served.settings.lro_min_polls = 10_000
    operation = started_here.set_capacity(RG, "web", 3)
    follower = served.open_adapter()  # another process: knows only the id
    served.settings.token_expired = True
    with pytest.raises(errors.AuthenticationFailed) as caught:
        follower.wait(operation, timeout=20)
    assert "continues in Azure" in caught.value.message
    assert f"vmss-tui operation {operation.id}" in caught.value.message
