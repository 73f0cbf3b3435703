"""`deploy`, `deployment list|show|operations|delete` and `export-template` in the command language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vmss_tui.commands import Session, run_line

from .conftest import GROUP, NAT, NAT_PARAMETERS, SCALE_201, fixture_text, settle
from .test_emulator_deployments import scale_set_resource, template


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def session_for(emulator: Any, asked: list[str] | None = None, answer: bool = True) -> Session:
    session = Session(emulator, output="json", resource_group=GROUP)
    if asked is not None:
        session.confirm = lambda text: asked.append(text) or answer  # type: ignore[assignment]
    return session


def test_deploy_shows_what_if_and_asks_before_changing_anything(emulator: Any, tmp_path: Path, clock: Any) -> None:
    path = write(tmp_path, "web.json", template(scale_set_resource("web", 2)))
    asked: list[str] = []
    refused = run_line(f"deploy {path}", session_for(emulator, asked, answer=False))
    assert refused.exit_code == 1 and "not confirmed" in (refused.error or "")
    assert emulator.list_scale_sets(GROUP) == [] and emulator.list_deployments(GROUP) == []
    assert "  + Microsoft.Compute/virtualMachineScaleSets/web [2024-07-01]" in asked[0]
    assert asked[0].rstrip().endswith("execute the deployment?")
    assert "Resource changes: 1 to create." in asked[0]
    done = run_line(f"deploy {path} --name first", session_for(emulator, []))
    assert done.ok, done.error
    assert done.data["properties"]["provisioningState"] == "Succeeded" and done.data["resourceGroup"] == GROUP
    assert emulator.get_scale_set(GROUP, "web").capacity == 2


def test_what_if_and_validate_change_nothing(emulator: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "web.json", template(scale_set_resource("web", 2)))
    session = session_for(emulator)
    what_if = run_line(f"deploy {path} --what-if -o table", session)
    assert what_if.ok and "Resource changes: 1 to create." in what_if.rendered
    validated = run_line(f"deploy {path} --validate", session)
    assert validated.ok and validated.data["properties"]["validatedResources"][0]["id"].endswith("/web")
    assert emulator.list_scale_sets(GROUP) == []


def test_parameters_by_name_and_from_a_file_and_bad_values_fail_before_anything(emulator: Any, tmp_path: Path) -> None:
    nat = write(tmp_path, "nat.json", fixture_text(NAT))
    params = write(tmp_path, "p.json", json.dumps({"parameters": {k: {"value": v} for k, v in NAT_PARAMETERS.items()}}))
    session = session_for(emulator)
    low = run_line(f"deploy {nat} -p @{params} -p instanceCount=4 --yes", session)
    assert low.exit_code == 1 and low.error.startswith("ERROR: (InvalidTemplate) Deployment template validation")
    assert "less than the minimum allowed value '5'" in low.error
    typo = run_line(f"deploy {nat} -p @{params} -p instanceCount=five --yes", session)
    assert typo.exit_code == 2 and "is not an integer" in typo.error
    assert emulator.list_scale_sets(GROUP) == [] and emulator.list_deployments(GROUP) == []


def test_a_failed_deployment_names_each_failed_resource_and_exits_1(emulator: Any, tmp_path: Path) -> None:
    cdn = {"type": "Microsoft.Cdn/profiles", "apiVersion": "2024-02-01", "name": "edge", "location": "global"}
    path = write(tmp_path, "mixed.json", template(cdn, scale_set_resource("web", 1)))
    outcome = run_line(f"deploy {path} --yes", session_for(emulator))
    assert outcome.exit_code == 1
    assert outcome.error.startswith("ERROR: (DeploymentFailed) At least one resource deployment operation failed.")
    assert "edge: (NoRegisteredProviderFound)" in outcome.error
    operations = run_line("deployment operations mixed -o table", session_for(emulator))
    assert "NoRegisteredProviderFound" in operations.rendered and "Succeeded" in operations.rendered


def test_the_scale_template_scales_and_the_history_lists_show_and_delete(emulator: Any, tmp_path: Path,
                                                                        clock: Any) -> None:
    session = session_for(emulator)
    assert run_line(f"deploy {write(tmp_path, 'c.json', template(scale_set_resource('myvmss', 5)))} --yes",
                    session).ok
    scale = write(tmp_path, "scale.json", fixture_text(SCALE_201).replace("Standard_A2", "Standard_B2s"))
    outcome = run_line(f"deploy {scale} -p vmSSName=myvmss -p instanceCount=3 --name scale-in --yes", session)
    assert outcome.ok, outcome.error
    assert emulator.get_scale_set(GROUP, "myvmss").capacity == 3
    names = [row["name"] for row in run_line("deployment list", session).data]
    assert names == ["scale-in", "c"]
    assert run_line("deployment show scale-in", session).data["properties"]["parameters"]["instanceCount"] == {
        "type": "Int", "value": 3}
    assert run_line("deployment delete c", session).ok
    missing = run_line("deployment show c", session)
    assert missing.exit_code == 1 and "(DeploymentNotFound)" in missing.error


def test_export_template_round_trips_through_deploy(emulator: Any, tmp_path: Path, clock: Any) -> None:
    session = session_for(emulator)
    run_line(f"deploy {write(tmp_path, 'c.json', template(scale_set_resource('web', 3)))} --yes", session)
    exported = run_line("export-template web", session)
    assert exported.ok and exported.data["resources"][0]["sku"]["capacity"] == 3
    path = write(tmp_path, "exported.json", json.dumps(exported.data))
    what_if = run_line(f"deploy {path} --what-if -o table", session)
    assert "Resource changes: 1 no change." in what_if.rendered


def test_deploy_without_a_group_takes_the_set_in_use_or_the_only_group_else_is_a_usage_error(
        emulator: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "web.json", template(scale_set_resource("web", 2)))
    only = run_line(f"deploy {path} --what-if", Session(emulator, output="json"))
    assert only.exit_code == 0 and f"/resourceGroups/{GROUP}/" in only.rendered
    emulator.create_or_update_resource_group("other-rg", "westeurope")
    outcome = run_line(f"deploy {path} --what-if", Session(emulator, output="json"))
    assert outcome.exit_code == 2 and "(MissingResourceGroup)" in outcome.error
    assert "-g/--resource-group (known groups: dep-rg, other-rg)" in outcome.error
    in_use = Session(emulator, output="json")
    in_use.current_set = ("other-rg", "web")  # `use`, or the set the TUI has selected
    assert "/resourceGroups/other-rg/" in run_line(f"deploy {path} --what-if", in_use).rendered
