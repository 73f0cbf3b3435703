"""`vmss-tui deploy --what-if` prints what the real `az deployment group what-if` prints (issue 15).

The same template and parameters against the same served store: az through `vmss-tui emulator az` (its
pretty print, over the endpoint's whatIf), vmss-tui one-shot on the store; the two texts are compared whole.
"""

from __future__ import annotations

import json

import pytest

from tests.az.conftest import ServedAz

pytestmark = pytest.mark.slow
RG = "practice-rg"
TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"instanceCount": {"type": "int"}, "env": {"type": "string", "defaultValue": "test"}},
    "resources": [{"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01", "name": "wif",
                   "location": "[resourceGroup().location]", "tags": {"env": "[parameters('env')]"},
                   "sku": {"name": "Standard_B2s", "tier": "Standard", "capacity": "[parameters('instanceCount')]"},
                   "properties": {"upgradePolicy": {"mode": "Manual"}}}],
}


def test_vmss_tui_what_if_text_is_az_s(served_az: ServedAz, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("what-if") / "wif.json"
    path.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    signed_in = served_az.vmss_tui("emulator", "az-login", "--state-dir", str(served_az.state_dir))
    assert signed_in.code == 0, signed_in.stderr
    created = served_az.az("deployment", "group", "create", "-g", RG, "-n", "wif1", "--template-file", str(path),
                           "--parameters", "instanceCount=2", "-o", "none")
    assert created.code == 0, created.stderr
    grown = path.with_name("grown.json")  # a second set: a Create body; Complete mode: every other resource deleted
    grown.write_text(json.dumps({**TEMPLATE, "resources": [*TEMPLATE["resources"],
                                                           {**TEMPLATE["resources"][0], "name": "wif-new"}]}),
                     encoding="utf-8")
    cases = ((path, ["instanceCount=2"], "Incremental"), (path, ["instanceCount=3", "env=prod"], "Incremental"),
             (grown, ["instanceCount=1"], "Complete"))
    for template, parameters, mode in cases:
        az = served_az.az("deployment", "group", "what-if", "-g", RG, "--template-file", str(template),
                          "--parameters", *parameters, "--mode", mode)
        assert az.code == 0, az.stderr
        ours = served_az.vmss_tui("deploy", str(template), "-g", RG, *[f"-p={p}" for p in parameters], "--what-if",
                                  "--mode", mode, "-o", "table", "--db", str(served_az.db), "--speed", "instant")
        assert ours.code == 0, ours.stderr
        assert ours.stdout == az.stdout
        assert "Resource changes: " in ours.stdout
    assert served_az.read("get_scale_set", RG, "wif").capacity == 2
    assert "  + Microsoft.Compute/virtualMachineScaleSets/wif-new [2024-07-01]" in ours.stdout
    assert "  - Microsoft.Compute/virtualMachineScaleSets/web" in ours.stdout
