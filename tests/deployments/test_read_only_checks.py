"""`deploy --validate` and `deploy --what-if` change nothing, so a read-only session runs them (issue 15).

A real deployment stays refused before anything is sent; the one-shot CLI gives the same answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.cli import main
from vmss_tui.commands import Session, run_line

from .conftest import GROUP
from .test_emulator_deployments import scale_set_resource, template


def _template_file(tmp_path: Path) -> str:
    path = tmp_path / "web.json"
    path.write_text(template(scale_set_resource("web", 2)), encoding="utf-8")
    return str(path)


def test_a_read_only_session_validates_and_previews_but_does_not_deploy(emulator: Any, tmp_path: Path) -> None:
    path = _template_file(tmp_path)
    session = Session(emulator, output="json", resource_group=GROUP, read_only=True)
    validated = run_line(f"deploy {path} --validate", session)
    assert validated.ok, validated.error
    assert validated.data["properties"]["validatedResources"][0]["id"].endswith("/virtualMachineScaleSets/web")
    previewed = run_line(f"deploy {path} --what-if -o table", session)
    assert previewed.ok, previewed.error
    assert "Resource changes: 1 to create." in previewed.rendered
    refused = run_line(f"deploy {path} --yes", session)
    assert refused.exit_code == 2 and refused.error.startswith("ERROR: (ReadOnly) 'deploy' changes resources")
    assert emulator.list_scale_sets(GROUP) == [] and emulator.list_deployments(GROUP) == []


@pytest.fixture
def quiet_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("VMSS_TUI_DB", "VMSS_TUI_SPEED", "VMSS_TUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def test_the_one_shot_cli_with_read_only_validates_and_refuses_a_deployment(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, quiet_environment: None) -> None:
    db = tmp_path / "db"
    assert main(["group", "create", GROUP, "--location", "westeurope", "--db", str(db), "--speed", "instant"]) == 0
    capsys.readouterr()
    path = _template_file(tmp_path)
    common = ["-g", GROUP, "--db", str(db), "--speed", "instant", "--read-only"]
    assert main(["deploy", path, "--validate", *common]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["properties"]["provisioningState"] == "Succeeded"
    assert main(["deploy", path, "--what-if", "-o", "json", *common]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["properties"]["changes"][0]["changeType"] == "Create"
    assert main(["deploy", path, "--yes", *common]) == 2
    assert capsys.readouterr().err.startswith("ERROR: (ReadOnly) 'deploy' changes resources")
    assert main(["list", "-g", GROUP, "--db", str(db), "--speed", "instant"]) == 0
    assert json.loads(capsys.readouterr().out) == []
