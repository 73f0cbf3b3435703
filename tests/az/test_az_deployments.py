"""The real Azure CLI deploys templates through `vmss-tui emulator az` (issue 15).

`az deployment group create/validate/what-if`, `az deployment operation group list` and `az vmss create`
(which deploys a template named vmss_deploy_*) against `vmss-tui emulator serve`; each test checks the
emulator's store afterwards, not only az's exit code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.az.conftest import ServedAz

pytestmark = pytest.mark.slow
RG = "practice-rg"
TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"instanceCount": {"type": "int", "minValue": 1, "maxValue": 10}},
    "resources": [{"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01", "name": "tpl",
                   "location": "[resourceGroup().location]",
                   "sku": {"name": "Standard_B2s", "tier": "Standard", "capacity": "[parameters('instanceCount')]"},
                   "properties": {"upgradePolicy": {"mode": "Manual"}}}],
    "outputs": {"capacity": {"type": "int", "value": "[reference('tpl', '2024-07-01', 'Full').sku.capacity]"}},
}


@pytest.fixture(scope="module")
def template_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("templates") / "tpl.json"
    path.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    return str(path)


def test_sign_in(served_az: ServedAz) -> None:
    run = served_az.vmss_tui("emulator", "az-login", "--state-dir", str(served_az.state_dir))
    assert run.code == 0, run.stderr


def test_az_deployment_group_create_deploys_and_waits_for_the_result(served_az: ServedAz, template_file: str) -> None:
    body = served_az.az_json("deployment", "group", "create", "-g", RG, "-n", "tpl1", "--template-file",
                             template_file, "--parameters", "instanceCount=3")
    assert body["properties"]["provisioningState"] == "Succeeded" and body["resourceGroup"] == RG
    assert body["properties"]["outputs"] == {"capacity": {"type": "Int", "value": 3}}
    assert served_az.read("get_scale_set", RG, "tpl").capacity == 3
    operations = served_az.az_json("deployment", "operation", "group", "list", "-g", RG, "-n", "tpl1")
    assert [op["properties"]["targetResource"]["resourceName"] for op in operations] == ["tpl"]


def test_az_what_if_shows_the_capacity_change_and_changes_nothing(served_az: ServedAz, template_file: str) -> None:
    run = served_az.az("deployment", "group", "what-if", "-g", RG, "--template-file", template_file,
                       "--parameters", "instanceCount=4", "--no-pretty-print", "-o", "json")
    result = run.json()
    (change,) = [c for c in result["changes"] if c["resourceId"].endswith("/tpl")]
    assert change["changeType"] == "Modify"
    assert [(d["path"], d["before"], d["after"]) for d in change["delta"]] == [("sku.capacity", 3, 4)]
    assert served_az.read("get_scale_set", RG, "tpl").capacity == 3


def test_az_validate_and_a_bad_parameter_are_refused_before_anything_changes(served_az: ServedAz,
                                                                             template_file: str) -> None:
    ok = served_az.az_json("deployment", "group", "validate", "-g", RG, "--template-file", template_file,
                           "--parameters", "instanceCount=2")
    assert ok["properties"]["provisioningState"] == "Succeeded"
    bad = served_az.az("deployment", "group", "create", "-g", RG, "-n", "tpl2", "--template-file", template_file,
                       "--parameters", "instanceCount=11")
    assert bad.code != 0 and "InvalidTemplate" in bad.stderr and "maximum allowed value '10'" in bad.stderr
    assert served_az.read("get_scale_set", RG, "tpl").capacity == 3


def _public_key() -> str:
    """A throwaway OpenSSH public key (never --generate-ssh-keys: that writes into the user's ~/.ssh)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


def test_az_vmss_create_deploys_its_vmss_deploy_template(served_az: ServedAz) -> None:
    run = served_az.az("vmss", "create", "-g", RG, "-n", "made", "--image", "Ubuntu2204", "--instance-count", "2",
                       "--vm-sku", "Standard_B2s", "--admin-username", "azureuser", "--ssh-key-values", _public_key(),
                       "--orchestration-mode", "Uniform", "-o", "json", timeout=300)
    body = run.json()
    assert body["vmss"]["provisioningState"] == "Succeeded"
    assert served_az.read("get_scale_set", RG, "made").capacity == 2
    deployments = served_az.read("list_deployments", RG)
    assert any(d["name"].startswith("vmss_deploy_") for d in deployments)
    info = served_az.az_json("vmss", "list-instance-connection-info", "-g", RG, "-n", "made")
    ports = sorted(int(endpoint.rsplit(":", 1)[1]) for endpoint in info.values())
    assert len(ports) == 2 and ports[0] >= 50000
