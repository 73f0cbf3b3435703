"""`-o json` prints what az prints for the same resource, checked against outside truth.

The oracle is built from azure-mgmt-compute's generated models and azure-cli's own output rules,
independently of `vmss_tui.arm.flatten`:
- which keys a resource has and which `properties` are flattened: the SDK model (`__flattened_items`,
  the TypeSpec form of the swagger's `x-ms-client-flatten` that az's aaz commands follow with
  `client_flatten=True`); keys keep their ARM spelling (aaz's `serialized_name`), values as sent;
- `resourceGroup` on every object with a resource id: azure-cli's `_add_resource_group`
  (src/azure-cli-core/azure/cli/core/_transforms.py), transcribed below;
- `az vm show -d`: azure-cli's `get_vm_details` (vm/custom.py): `powerState` and the network
  fields joined with ",", `instanceView` dropped;
- keys sorted: knack's `format_json` dumps with `sort_keys=True`.
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.compute")

from azure.mgmt.compute import models as sdk  # noqa: E402
from azure.mgmt.compute._utils import model_base  # noqa: E402

from vmss_tui.arm import compute as arm_compute  # noqa: E402
from vmss_tui.armserver.providers.compute import etag_of as endpoint_etag  # noqa: E402
from vmss_tui.arm.flatten import VERBATIM_KEYS, az_shape  # noqa: E402
from vmss_tui.cli import main  # noqa: E402
from vmss_tui.commands import Session, run_line  # noqa: E402
from vmss_tui.commands.formatting import render  # noqa: E402

# ---------------------------------------------------------------- the oracle


def _flattened_items(model_type: type) -> list[str] | None:
    for klass in model_type.__mro__:
        items = getattr(klass, f"_{klass.__name__}__flattened_items", None)
        if items is not None:
            return items
    return None


def _sdk_walk(value: Any) -> Any:
    """What aaz prints of a deserialized SDK model: known keys only, flattened `properties`."""
    if isinstance(value, model_base.Model):
        out: dict[str, Any] = {}
        flattened = _flattened_items(type(value)) is not None
        for attr, field in value._attr_to_rest_field.items():
            rest = field._rest_name
            if rest not in value:
                continue
            typed = getattr(value, attr)
            walked = _sdk_walk(typed) if isinstance(typed, (model_base.Model, list)) else value[rest]
            if rest == "properties" and flattened:
                out.update(walked)
            else:
                out[rest] = walked
        return out
    if isinstance(value, list):
        return [_sdk_walk(item) for item in value]
    return value


def _az_add_resource_group(obj: Any) -> None:
    """azure-cli core/_transforms.py `_add_resource_group`, as written there."""
    if isinstance(obj, list):
        for array_item in obj:
            _az_add_resource_group(array_item)
    elif isinstance(obj, dict):
        try:
            if "resourceGroup" not in obj:
                if obj["id"]:
                    parts = re.split("/", obj["id"])
                    if parts[3].lower() != "resourcegroups":
                        raise KeyError()
                    parts[8]  # noqa: B018 - az's _parse_id reads the name: an IndexError skips the id
                    obj["resourceGroup"] = parts[4]
        except (KeyError, IndexError, TypeError):
            pass
        for item_key in obj:
            if item_key != "sourceVault":
                _az_add_resource_group(obj[item_key])


def _az_vm_details(vm: dict[str, Any], private_ip: str | None = None, public_ip: str | None = None
                   ) -> dict[str, Any]:
    """azure-cli vm/custom.py `get_vm_details` on a VM whose primary NIC has `private_ip` and `public_ip` (FQDN
    and MAC are not kept: a gap written in formatting.vm_details)."""
    statuses = vm["instanceView"]["statuses"]
    vm["powerState"] = ",".join(s["displayStatus"] for s in statuses if s["code"].startswith("PowerState/"))
    for key in ("publicIps", "fqdns", "privateIps", "macAddresses"):
        vm[key] = ""
    vm["privateIps"] = private_ip or ""
    vm["publicIps"] = public_ip or ""
    del vm["instanceView"]
    return vm


def az_prints(model_type: type, arm_body: dict[str, Any], *, details: bool = False,
              private_ip: str | None = None, public_ip: str | None = None) -> str:
    """The text `az ... -o json` prints for `arm_body`, per the rules above."""
    data = _sdk_walk(model_type(json.loads(json.dumps(arm_body))))
    _az_add_resource_group(data)
    if details:
        data = _az_vm_details(data, private_ip, public_ip)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def printed(line: str, session: Session) -> str:
    outcome = run_line(line, session)
    assert outcome.exit_code == 0, outcome.error
    return outcome.rendered


# ---------------------------------------------------------------- the three resources


def _served(body: dict[str, Any]) -> dict[str, Any]:
    """A single resource as the endpoint's GET serves it: with the endpoint's `etag`."""
    return {**body, "etag": endpoint_etag(body)}


def test_show_prints_the_scale_set_as_az_vmss_show(session: Session, backend) -> None:
    for name in ("web", "demo-set", "batch"):
        scale_set = backend.get_scale_set("practice-rg", name)
        network_profile = backend.scale_set_network_profile("practice-rg", name)  # as the endpoint serves it
        expected = az_prints(sdk.VirtualMachineScaleSet, _served(arm_compute.scale_set_to_json(scale_set,
                                                                                               network_profile)))
        assert printed(f"show {name} -o json", session) == expected


def test_list_prints_the_sets_as_az_vmss_list_without_etags(session: Session, backend) -> None:
    expected = [json.loads(az_prints(sdk.VirtualMachineScaleSet, arm_compute.scale_set_to_json(
        s, backend.scale_set_network_profile(s.resource_group, s.name)))) for s in backend.list_scale_sets()]
    listed = json.loads(printed("list -o json", session))
    assert listed == expected and not any("etag" in s for s in listed)


def test_uniform_instances_print_as_az_vmss_list_instances_expand_instance_view(session: Session,
                                                                                 backend) -> None:
    scale_set = backend.get_scale_set("practice-rg", "web")
    bodies = [arm_compute.scale_set_vm_to_json(i, scale_set.location, expand_instance_view=True)
              for i in backend.list_instances("practice-rg", "web")]
    expected = [json.loads(az_prints(sdk.VirtualMachineScaleSetVM, body)) for body in bodies]
    text = printed("instances web -o json", session)
    assert json.loads(text) == expected
    assert text == json.dumps(expected, indent=2, sort_keys=True)


def test_flexible_vms_print_as_az_vm_show_with_details(session: Session, backend) -> None:
    scale_set = backend.get_scale_set("practice-rg", "demo-set")
    instances = backend.list_instances("practice-rg", "demo-set")
    bodies = [_served(arm_compute.vm_to_json(i, scale_set.location, scale_set, expand_instance_view=True))
              for i in instances]
    expected = [json.loads(az_prints(sdk.VirtualMachine, body, details=True, private_ip=i.private_ip,
                                     public_ip=i.public_ip))
                for body, i in zip(bodies, instances)]
    data = json.loads(printed("instances demo-set -o json", session))
    assert data == expected
    assert [vm["privateIps"] for vm in data] == ["10.0.0.4", "10.0.0.5"]  # the practice lab is on a network
    assert [vm["publicIps"] for vm in data] == ["", "20.1.0.2"]  # seed 003's VM has its own public IP
    assert all(vm["networkProfile"]["networkInterfaces"][0]["id"].endswith("Nic") for vm in data)
    assert {vm["powerState"] for vm in data} == {"VM running"}


def test_instances_after_a_change_print_the_changed_state_in_azs_shape(session: Session) -> None:
    data = json.loads(printed("stop web 0 1 -o json", session))
    powers = {vm["instanceId"]: [status["code"] for status in vm["instanceView"]["statuses"]
                                 if status["code"].startswith("PowerState/")]
              for vm in data}
    assert powers == {"0": ["PowerState/stopped"], "1": ["PowerState/stopped"]}
    protected = json.loads(printed("protect web 2 -o json", session))
    assert protected[0]["protectionPolicy"] == {"protectFromScaleIn": True, "protectFromScaleSetActions": False}


# ---------------------------------------------------------------- the generic flattening on richer bodies

_SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
_RICH_SCALE_SET: dict[str, Any] = {
    "id": f"{_SUB}/resourceGroups/Rg1/providers/Microsoft.Compute/virtualMachineScaleSets/ss",
    "name": "ss", "type": "Microsoft.Compute/virtualMachineScaleSets", "location": "westus",
    "tags": {"properties": "a tag named properties stays a tag"},
    "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 2},
    "unknownTopLevel": "az's schema drops keys it does not know",
    "properties": {
        "orchestrationMode": "Uniform", "upgradePolicy": {"mode": "Manual"},
        "timeCreated": "2026-01-02T03:04:05.1234567+00:00",
        "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "ss", "adminUsername": "azureuser",
                          "secrets": [{"sourceVault": {"id": f"{_SUB}/resourceGroups/kv-rg/providers/"
                                                             f"Microsoft.KeyVault/vaults/kv"},
                                       "vaultCertificates": []}]},
            "storageProfile": {"osDisk": {"createOption": "FromImage", "diskSizeGB": 30,
                                          "managedDisk": {"storageAccountType": "Premium_LRS"}}},
            "networkProfile": {"networkInterfaceConfigurations": [{
                "name": "nic", "properties": {"primary": True, "ipConfigurations": [{
                    "name": "ip", "properties": {"subnet": {
                        "id": f"{_SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
                    }}}]}}]},
            "extensionProfile": {"extensions": [{
                "name": "ext", "properties": {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript",
                                              "typeHandlerVersion": "2.1",
                                              "settings": {"properties": {"kept": "as the user wrote it"},
                                                           "id": "not/an/arm/id"}}}]},
        },
    },
}


def test_nested_properties_flatten_as_the_sdk_says_and_free_form_settings_do_not() -> None:
    expected = az_prints(sdk.VirtualMachineScaleSet, _RICH_SCALE_SET)
    shaped = az_shape(_RICH_SCALE_SET)
    shaped.pop("unknownTopLevel")  # the codec never writes keys Azure's model lacks; az would drop them
    assert render(shaped, "json") == expected
    nic = shaped["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    assert nic["ipConfigurations"][0]["subnet"]["resourceGroup"] == "net-rg"
    assert "resourceGroup" not in shaped["virtualMachineProfile"]["osProfile"]["secrets"][0]["sourceVault"]
    extension = shaped["virtualMachineProfile"]["extensionProfile"]["extensions"][0]
    assert extension["settings"]["properties"] == {"kept": "as the user wrote it"}
    assert shaped["virtualMachineProfile"]["storageProfile"]["osDisk"]["diskSizeGB"] == 30
    assert shaped["tags"] == {"properties": "a tag named properties stays a tag"}
    assert shaped["resourceGroup"] == "Rg1"


def _free_form_fields(root: type, seen: set[type]) -> set[str]:
    """Rest names of fields typed Any (free-form JSON) in the models reachable from `root`."""
    if root in seen:
        return set()
    seen.add(root)
    root({})  # the model computes its rest fields on first use
    names = {"_models": sdk, "_enums": sdk}
    hints = typing.get_type_hints(root, {**vars(sdk), **names})
    found: set[str] = set()
    for attr, field in root._attr_to_rest_field.items():
        hint = hints.get(attr)
        if hint is not None and "typing.Any" in str(hint):
            found.add(field._rest_name)
        for arg in _model_types(hint):
            found |= _free_form_fields(arg, seen)
    return found


def _model_types(hint: Any) -> list[type]:
    if isinstance(hint, type) and issubclass(hint, model_base.Model):
        return [hint]
    return [found for arg in typing.get_args(hint) for found in _model_types(arg)]


def test_every_free_form_field_of_the_three_models_is_copied_verbatim() -> None:
    seen: set[type] = set()
    free_form = set()
    for root in (sdk.VirtualMachineScaleSet, sdk.VirtualMachineScaleSetVM, sdk.VirtualMachine):
        free_form |= _free_form_fields(root, seen)
    assert free_form and free_form <= VERBATIM_KEYS


# ---------------------------------------------------------------- az habits


def test_query_sku_capacity_prints_the_capacity(capsys, estate_db) -> None:
    code = main(["show", "web", "--db", str(estate_db), "--speed", "instant", "--query", "sku.capacity"])
    out = capsys.readouterr().out
    assert (code, out) == (0, "6\n")


def test_tables_stay_the_concise_view(session: Session) -> None:
    lines = printed("instances demo-set -o table", session).splitlines()
    assert lines[0].split() == ["InstanceId", "Zone", "FD", "PowerState", "Latest", "PrivateIp", "Endpoint"]
    assert len(lines) == 4 and all("  running  " in line for line in lines[2:])
    shown = printed("show web -o table", session).splitlines()
    assert "Capacity                  6" in shown


def test_json_and_yaml_sort_keys_as_az_does_and_tsv_keeps_the_projections_order(session: Session) -> None:
    query = '--query "[?name==\'web\'].{name:name, capacity:sku.capacity}"'
    assert printed(f"list {query} -o json", session) == '[\n  {\n    "capacity": 6,\n    "name": "web"\n  }\n]'
    assert printed(f"list {query} -o yaml", session) == "- capacity: 6\n  name: web"
    assert printed(f"list {query} -o tsv", session) == "web\t6"


# ---------------------------------------------------------------- the real az, when it is installed


@pytest.mark.slow
def test_the_real_az_prints_what_vmss_tui_prints(tmp_path) -> None:
    """az 2.91 against `emulator serve` on the practice estate, and vmss-tui on the same store."""
    from tests.az.conftest import find_az_or_skip, serve_practice_estate

    az = find_az_or_skip()
    for served in serve_practice_estate(tmp_path, az):
        assert served.vmss_tui("emulator", "az-login", "--state-dir", str(served.state_dir)).code == 0
        pairs = [
            (["vmss", "show", "-g", "practice-rg", "-n", "web"], ["show", "web"]),
            (["vmss", "list", "-g", "practice-rg"], ["list"]),
            (["vmss", "list-instances", "-g", "practice-rg", "-n", "web", "--expand", "instanceView"],
             ["instances", "web"]),
            (["vm", "show", "-d", "-g", "practice-rg", "-n", "newvm"],
             ["instances", "demo-set", "--query", "[?name=='newvm'] | [0]"]),
            (["vmss", "show", "-g", "practice-rg", "-n", "web", "--query", "sku.capacity"],
             ["show", "web", "--query", "sku.capacity"]),
        ]
        for az_args, ours in pairs:
            by_az = served.az(*az_args, "-o", "json")
            by_us = served.vmss_tui(*ours, "--db", str(served.db), "--speed", "instant", "-o", "json")
            assert (by_az.code, by_us.code) == (0, 0), (az_args, by_az.stderr, by_us.stderr)
            assert json.loads(by_us.stdout) == json.loads(by_az.stdout), az_args
            assert by_us.stdout.strip() == by_az.stdout.strip(), az_args  # the same text: keys sorted alike


def test_a_flexible_vm_with_a_nic_shows_its_private_address_as_az_vm_show_d(session: Session) -> None:
    assert printed("create pool --mode flexible --capacity 1 --vnet-name v1 -o none", session) == ""
    [vm] = json.loads(printed("instances pool -o json", session))
    assert vm["privateIps"].startswith("10.") and vm["publicIps"] == "" and vm["powerState"] == "VM running"
