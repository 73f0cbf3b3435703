"""`:deploy` in the TUI (issue 15): the what-if diff to read first, agreement, then the operations live."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from textual.widgets import Tree

from tui_helpers import FIXED_NOW, enter_line, screen_lines, settle, wait_until
from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.tui.screens.deploy import DeployScreen, iter_tree_text
from vmss_tui.tui.screens.main import MainScreen

RG = "practice-rg"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "templates"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
NAT_PARAMETERS = {"vmssName": "natvmss", "instanceCount": 5, "adminUsername": "azureuser",
                  "adminPasswordOrKey": "hunter2-not-for-screens", "authenticationType": "password",
                  "vmSku": "Standard_B2s"}


def scale_set_template(name: str, capacity: int) -> str:
    resource = {"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01", "name": name,
                "location": "[resourceGroup().location]",
                "sku": {"name": "Standard_B2s", "tier": "Standard", "capacity": capacity},
                "properties": {"upgradePolicy": {"mode": "Manual"},
                               "virtualMachineProfile": {
                                   "storageProfile": {"imageReference": {"publisher": "Canonical",
                                                                         "offer": "ubuntu-24_04-lts",
                                                                         "sku": "server", "version": "latest"}},
                                   "osProfile": {"computerNamePrefix": name, "adminUsername": "azureuser"}}}}
    return json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [resource]}, indent=2)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def main_screen(app: Any) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def open_deploy(pilot: Any, line: str) -> DeployScreen:
    """Type the line into the `:` bar and wait until the deploy screen has read it (what-if or an error)."""
    await settle(pilot)
    await enter_line(pilot, "colon", line)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DeployScreen), type(screen)
    await wait_until(pilot, lambda: screen.phase != "reading")
    await settle(pilot)
    return screen


def status_text(screen: DeployScreen) -> str:
    return str(screen.query_one("#deploy-status").render())


def log_lines(app: Any) -> list[str]:
    return [entry.line for entry in main_screen(app).activity.entries]


def screen_text(app: Any) -> str:
    return "\n".join(screen_lines(app))


async def test_a_new_template_shows_create_and_the_summary_before_anything_is_sent(make_app: Any, backend: Any,
                                                                                  tmp_path: Path) -> None:
    path = write(tmp_path, "fresh.json", scale_set_template("fresh", 2))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_deploy(pilot, f"deploy {path} -g {RG}")
        assert screen.phase == "review"
        text = screen_text(app)
        assert "+ Microsoft.Compute/virtualMachineScaleSets/fresh [2024-07-01]" in text
        assert "      sku.capacity: 2" in text  # the created resource's properties, as az lists them
        assert "Resource changes: 1 to create, 10 to ignore. Deploy?" in text
        assert backend.list_deployments(RG) == []
        assert all(s.name != "fresh" for s in backend.list_scale_sets(RG))


async def test_redeploying_an_unchanged_template_says_no_change_and_a_capacity_change_property_by_property(
        make_app: Any, backend: Any, tmp_path: Path) -> None:
    backend.deploy(RG, "first", scale_set_template("fresh", 2))
    same = write(tmp_path, "fresh.json", scale_set_template("fresh", 2))
    bigger = write(tmp_path, "bigger.json", scale_set_template("fresh", 3))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_deploy(pilot, f"deploy {same} -g {RG}")
        text = screen_text(app)
        assert "= Microsoft.Compute/virtualMachineScaleSets/fresh" in text
        assert "Resource changes: 1 no change, 10 to ignore." in text
        await pilot.press("n")
        await settle(pilot)
        screen = await open_deploy(pilot, f"deploy {bigger} -g {RG}")
        assert screen.phase == "review"
        text = screen_text(app)
        assert "~ Microsoft.Compute/virtualMachineScaleSets/fresh" in text
        assert "~ sku.capacity: 2 => 3" in text
        assert "Resource changes: 1 to modify, 10 to ignore." in text
        assert [d["name"] for d in backend.list_deployments(RG)] == ["first"]


async def test_agreeing_deploys_and_the_tree_reaches_succeeded_and_the_set_appears(make_app: Any, backend: Any,
                                                                                  tmp_path: Path) -> None:
    path = write(tmp_path, "fresh.json", scale_set_template("fresh", 2))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deploy(pilot, f"deploy {path} -g {RG} --name web-rollout")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.phase == "ended")
        await settle(pilot)
        labels = list(iter_tree_text(screen.query_one(Tree)))
        assert labels[0].startswith("deployment web-rollout  Succeeded")
        assert any(label.startswith("✔ Microsoft.Compute/virtualMachineScaleSets/fresh  Succeeded")
                   for label in labels)
        assert backend.get_deployment(RG, "web-rollout")["properties"]["provisioningState"] == "Succeeded"
        main = main_screen(app)
        await wait_until(pilot, lambda: f"{RG}/fresh" in main.sets_table.scale_sets)
        assert any(line.startswith("deployment web-rollout: Succeeded") for line in log_lines(app))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main
        assert "fresh" in screen_text(app)


async def test_declining_sends_nothing(make_app: Any, backend: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "fresh.json", scale_set_template("fresh", 2))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("n", "escape"):
            await open_deploy(pilot, f"deploy {path} -g {RG}")
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
        assert backend.list_deployments(RG) == []
        assert all(s.name != "fresh" for s in backend.list_scale_sets(RG))
        assert sum(line.startswith("cancelled: deploy") for line in log_lines(app)) == 2


async def test_a_bad_parameter_is_invalid_template_in_one_line_and_nothing_is_created(make_app: Any, backend: Any,
                                                                                     tmp_path: Path) -> None:
    nat = FIXTURES / "vmss-linux-nat.azuredeploy.json"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deploy(pilot, f"deploy {nat} -g {RG} -p vmssName=nat -p instanceCount=4 "
                                          "-p adminUsername=azureuser -p adminPasswordOrKey=pw")
        assert screen.phase == "error"
        status = status_text(screen)
        assert status.startswith("ERROR: (InvalidTemplate) Deployment template validation failed")
        assert "less than the minimum allowed value '5'" in status and "\n" not in status
        assert "ERROR: (InvalidTemplate)" in screen_text(app)
        assert "Deploy?" not in screen_text(app)
        await pilot.press("y")  # nothing to agree to
        await settle(pilot)
        assert backend.list_deployments(RG) == []
        assert len(backend.list_scale_sets(RG)) == 3


async def test_read_only_refuses_before_asking(make_app: Any, backend: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "fresh.json", scale_set_template("fresh", 2))
    app = make_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deploy(pilot, f"deploy {path} -g {RG}")
        assert screen.phase == "error"
        assert status_text(screen).startswith("ERROR: (ReadOnly) 'deploy' changes resources and this session is "
                                              "read-only")
        assert "Resource changes" not in screen_text(app) and "Deploy?" not in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert backend.list_deployments(RG) == []
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_deploy(pilot, f"deploy {path} -g {RG} --what-if")  # looking changes nothing: allowed
        assert screen.phase == "checked" and "Resource changes: 1 to create" in screen_text(app)
        assert backend.list_deployments(RG) == []


async def test_a_secure_parameter_is_never_on_screen_nor_in_the_log(make_app: Any, backend: Any) -> None:
    nat = FIXTURES / "vmss-linux-nat.azuredeploy.json"
    words = " ".join(f"-p {name}={value}" for name, value in NAT_PARAMETERS.items())
    secret = NAT_PARAMETERS["adminPasswordOrKey"]
    app = make_app()
    async with app.run_test(size=(120, 200)) as pilot:
        screen = await open_deploy(pilot, f"deploy {nat} -g {RG} {words}")
        assert screen.phase == "review"
        text = screen_text(app)
        assert "adminPasswordOrKey=***" in text and secret not in text
        assert 'adminPassword: "***"' in text
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.phase == "ended")
        await settle(pilot)
        assert secret not in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        entries = main_screen(app).activity.entries
        assert entries and not any(secret in entry.line or secret in entry.details for entry in entries)


async def test_a_secret_is_hidden_even_when_the_line_fails_before_the_template_is_read(make_app: Any) -> None:
    """A template that is not there: the line fails before a template says which parameters are secure, so
    every value is hidden, including those after the first word of one -p."""
    missing = FIXTURES / "no-such-template.json"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_deploy(pilot, f"deploy {missing} -p vmssName=lab adminPasswordOrKey=Hunter2-Secret")
        text = screen_text(app)
        assert "(InvalidArgumentValue) The template file" in text
        assert "Hunter2" not in text and "adminPasswordOrKey=***" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not any("Hunter2" in entry.line or "Hunter2" in entry.details
                       for entry in main_screen(app).activity.entries)


async def test_a_failed_resource_shows_its_own_error_under_it(make_app: Any, backend: Any, tmp_path: Path) -> None:
    mixed = json.loads(scale_set_template("fresh", 1))
    mixed["resources"].insert(0, {"type": "Microsoft.Cdn/profiles", "apiVersion": "2024-02-01", "name": "edge",
                                  "location": "global", "sku": {"name": "Standard_Microsoft"}})
    path = write(tmp_path, "mixed.json", json.dumps(mixed))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deploy(pilot, f"deploy {path} -g {RG}")
        assert "+ Microsoft.Compute/virtualMachineScaleSets/fresh" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.phase == "ended")
        await settle(pilot)
        labels = list(iter_tree_text(screen.query_one(Tree)))
        assert labels[0].startswith("deployment mixed  Failed")
        at = next(i for i, label in enumerate(labels) if label.startswith("✖ Microsoft.Cdn/profiles/edge  Failed"))
        assert labels[at + 1].startswith("(NoRegisteredProviderFound)")
        assert any(label.startswith("✔ Microsoft.Compute/virtualMachineScaleSets/fresh  Succeeded")
                   for label in labels)
        assert status_text(screen).startswith("ERROR: (DeploymentFailed) At least one resource deployment operation "
                                              "failed.")
        assert any(entry.line.startswith("deployment mixed: ERROR: (DeploymentFailed)")
                   and "edge: (NoRegisteredProviderFound)" in entry.details
                   for entry in main_screen(app).activity.entries)


async def test_c_cancels_a_running_deployment_and_esc_leaves_one_running(tmp_path: Path, make_app: Any) -> None:
    clock = FakeClock(start=FIXED_NOW)
    slow = open_backend("emulator", db=tmp_path / "slow", speed="fast", clock=clock, rng=random.Random(7),
                        durable=False, seed=True)
    path = write(tmp_path, "fresh.json", scale_set_template("fresh", 2))
    app = make_app(backend=slow)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deploy(pilot, f"deploy {path} -g {RG} --name one")
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.phase == "running")
        await settle(pilot)
        assert list(iter_tree_text(screen.query_one(Tree)))[0].startswith("deployment one  Accepted")
        assert "c Cancel deployment" in screen_text(app)
        await pilot.press("c")
        await wait_until(pilot, lambda: screen.phase == "ended")
        await settle(pilot)
        assert slow.get_deployment(RG, "one")["properties"]["provisioningState"] == "Canceled"
        assert list(iter_tree_text(screen.query_one(Tree)))[0].startswith("deployment one  Canceled")
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_deploy(pilot, f"deploy {path} -g {RG} --name two")
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.phase == "running")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert any(line.startswith("deployment two goes on in the background") for line in log_lines(app))
        assert slow.get_deployment(RG, "two")["properties"]["provisioningState"] in ("Accepted", "Running")
        clock.advance(3600)
        assert slow.get_deployment(RG, "two")["properties"]["provisioningState"] == "Succeeded"


async def test_yes_deploys_without_asking_and_no_wait_hands_the_deployment_to_the_background(
        make_app: Any, backend: Any, tmp_path: Path) -> None:
    first = write(tmp_path, "first.json", scale_set_template("first", 1))
    second = write(tmp_path, "second.json", scale_set_template("second", 1))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deploy(pilot, f"deploy {first} -g {RG} --yes")
        await wait_until(pilot, lambda: screen.phase == "ended")
        assert "Deploy?" not in screen_text(app)
        assert backend.get_deployment(RG, "first")["properties"]["provisioningState"] == "Succeeded"
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_deploy(pilot, f"deploy {second} -g {RG} --no-wait")
        assert screen.phase == "review"
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        assert any(line.startswith("deployment second: submitted (--no-wait)") for line in log_lines(app))
        await wait_until(pilot, lambda: f"{RG}/second" in main_screen(app).sets_table.scale_sets)


async def test_validate_checks_without_deploying_and_help_keeps_the_plain_path(make_app: Any, backend: Any,
                                                                              tmp_path: Path) -> None:
    path = write(tmp_path, "fresh.json", scale_set_template("fresh", 2))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deploy(pilot, f"deploy {path} -g {RG} --validate")
        assert screen.phase == "checked"
        assert "passed validation: 1 resource(s)" in status_text(screen)
        assert "Microsoft.Compute/virtualMachineScaleSets/fresh" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await enter_line(pilot, "colon", "deploy --help")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert backend.list_deployments(RG) == []


SUBSCRIPTION = "/subscriptions/6513270e-269e-4d37-b2a7-4de452e6b438/resourceGroups/rg/providers/"
EVERY_KIND_OF_CHANGE = {"status": "Succeeded", "properties": {"changes": [
    {"resourceId": SUBSCRIPTION + "Microsoft.Compute/virtualMachineScaleSets/web", "changeType": "Modify",
     "before": {"apiVersion": "2024-07-01"}, "after": {"apiVersion": "2024-07-01"},
     "delta": [{"path": "sku.capacity", "propertyChangeType": "Modify", "before": 3, "after": 4},
               {"path": "tags.env", "propertyChangeType": "Create", "after": "prod"},
               {"path": "tags.old", "propertyChangeType": "Delete", "before": "x"},
               {"path": "properties.virtualMachineProfile.osProfile", "propertyChangeType": "Modify",
                "children": [{"path": "computerNamePrefix", "propertyChangeType": "Modify", "before": "a",
                              "after": "b"}]},
               {"path": "zones", "propertyChangeType": "Array",
                "children": [{"path": "0", "propertyChangeType": "Delete", "before": "1"},
                             {"path": "1", "propertyChangeType": "Create", "after": "3"}]},
               {"path": "properties.overprovision", "propertyChangeType": "NoEffect", "after": False}]},
    {"resourceId": SUBSCRIPTION + "Microsoft.Network/virtualNetworks/vnet", "changeType": "Create",
     "after": {"apiVersion": "2023-09-01", "name": "vnet", "location": "westeurope",
               "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                              "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]},
               "tags": {}}},
    {"resourceId": SUBSCRIPTION + "Microsoft.Network/publicIPAddresses/old", "changeType": "Delete",
     "before": {"apiVersion": "2023-09-01", "name": "old", "sku": {"name": "Standard"}}},
    {"resourceId": SUBSCRIPTION + "Microsoft.Network/loadBalancers/lb", "changeType": "NoChange",
     "before": {"apiVersion": "2023-09-01"}},
    {"resourceId": SUBSCRIPTION + "Microsoft.Insights/autoscaleSettings/auto", "changeType": "Ignore"},
    {"resourceId": SUBSCRIPTION + "Microsoft.Compute/virtualMachineScaleSets/api", "changeType": "Deploy"},
]}}


def test_the_diff_is_what_az_deployment_group_what_if_prints() -> None:
    """Outside truth: azure-cli's own formatter (resource/_formatters.py) on the same WhatIfOperationResult."""
    import os
    import shutil
    import subprocess

    import pytest

    from vmss_tui.tui.screens.deploy import theme_styles, what_if_text

    az = os.environ.get("VMSS_TUI_AZ") or shutil.which("az") or "/opt/az-venv/bin/az"
    python = Path(az).resolve().parent / "python"
    if not python.is_file():
        pytest.skip("azure-cli's Python is not installed (set VMSS_TUI_AZ, as for tests/az)")
    script = ("import json, sys\n"
              "import azure.mgmt.resource.deployments.models as models\n"
              "from azure.cli.command_modules.resource._formatters import format_what_if_operation_result\n"
              "result = models.WhatIfOperationResult.deserialize(json.load(sys.stdin))\n"
              "print(format_what_if_operation_result(result, enable_color=False), end='')\n")
    az_text = subprocess.run([str(python), "-c", script], input=json.dumps(EVERY_KIND_OF_CHANGE), text=True,
                             capture_output=True, check=True, timeout=120).stdout
    ours = what_if_text(EVERY_KIND_OF_CHANGE, theme_styles({})).plain
    start = "Resource and property changes"
    assert ours[ours.index(start):].rstrip() == az_text[az_text.index(start):].rstrip()
    assert ours.splitlines()[0] == az_text.splitlines()[0]  # the noise note
