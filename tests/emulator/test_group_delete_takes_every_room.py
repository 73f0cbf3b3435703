"""Deleting a resource group takes everything in it from every room, in one transaction.

A group made again under the same name starts empty: before, the old group's deployment history
and autoscale settings came back with it (found driving the real az: tests/az/test_az_groups.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [{"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01", "name": "tpl",
                   "location": "[resourceGroup().location]",
                   "sku": {"name": "Standard_B2s", "tier": "Standard", "capacity": 1},
                   "properties": {"upgradePolicy": {"mode": "Manual"}}}],
}


def _vmss_tui(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VMSS_TUI_", "AZURE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "vmss_tui", "--db", str(tmp_path / "store"), "--speed", "instant",
                           *arguments], env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_a_group_made_again_has_no_deployments_autoscale_or_load_of_the_old_one(tmp_path: Path) -> None:
    template = tmp_path / "tpl.json"
    template.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    for line in (["group", "create", "lab-rg", "-l", "westeurope"],
                 ["deploy", str(template), "-g", "lab-rg", "--name", "first", "--yes"],
                 ["autoscale", "create", "tpl", "-g", "lab-rg", "--count", "1", "--max-count", "3"],
                 ["load", "tpl", "70", "-g", "lab-rg"]):
        done = _vmss_tui(tmp_path, *line)
        assert done.returncode == 0, (line, done.stderr)
    shown = _vmss_tui(tmp_path, "autoscale", "show", "tpl", "-g", "lab-rg", "-o", "json")
    assert json.loads(shown.stdout)["name"] == "tpl", shown.stderr

    assert _vmss_tui(tmp_path, "group", "delete", "lab-rg", "--yes").returncode == 0
    assert _vmss_tui(tmp_path, "group", "create", "lab-rg", "-l", "westeurope").returncode == 0

    from vmss_tui.backends import open_backend

    backend = open_backend("emulator", db=tmp_path / "store", speed="instant")
    try:
        assert backend.list_deployments("lab-rg") == []
        assert backend.list_autoscale_settings("lab-rg") == []
        assert [s for s in backend.list_scale_sets() if s.resource_group == "lab-rg"] == []
    finally:
        backend.close()
    store = tmp_path / "store"
    leftovers = [p for p in store.rglob("*") if p.is_file() and "lab-rg" in p.relative_to(store).as_posix()
                 and ("autoscale" in p.parts or "load" in p.parts or "deployments" in p.parts)]
    assert leftovers == []
