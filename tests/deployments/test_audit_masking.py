"""A template's secure parameters never reach the audit trail, however the line spells them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmss_tui.cli import main

TEMPLATE = Path(__file__).parents[1] / "fixtures" / "templates" / "vmss-linux-nat.azuredeploy.json"
SECRET = "hunter2-Secret!"


def audit_commands(capsys) -> list[str]:
    capsys.readouterr()
    assert main(["audit", "-o", "json"]) == 0
    return [record["command"] for record in json.loads(capsys.readouterr().out)]


@pytest.mark.parametrize(
    "parameters",
    [
        ["-p", "vmssName=lab", "-p", f"adminPasswordOrKey={SECRET}"],
        ["-p", "vmssName=lab", f"adminPasswordOrKey={SECRET}"],  # one -p takes every word up to the next option
        [f"--parameters=adminPasswordOrKey={SECRET}", "-p", "vmssName=lab"],
        ["-p", "vmssName=lab", f"ADMINPASSWORDORKEY={SECRET}"],  # ARM's parameter names ignore case
    ],
)
def test_a_deploy_line_is_audited_without_its_secure_values(capsys, estate_db: Path, parameters) -> None:
    main(["deploy", str(TEMPLATE), "-g", "practice-rg", *parameters, "--yes", "--db", str(estate_db),
          "--speed", "instant"])
    [command] = audit_commands(capsys)
    assert SECRET not in command
    assert "=***" in command and "vmssName=lab" in command  # a plain parameter stays readable


def test_an_unreadable_template_masks_every_value(capsys, estate_db: Path, tmp_path: Path) -> None:
    code = main(["deploy", str(tmp_path / "missing.json"), "-g", "practice-rg", "-p", f"anything={SECRET}",
                 "--yes", "--db", str(estate_db)])
    assert code == 2
    [command] = audit_commands(capsys)
    assert SECRET not in command and "anything=***" in command


def test_a_deploy_line_that_cannot_be_split_is_audited_masked(capsys, estate_db: Path) -> None:
    from vmss_tui.backends import open_backend
    from vmss_tui.commands import Session, run_line

    class Trail:
        lines: list[str] = []

        def record(self, typed: str, **_: object) -> None:
            self.lines.append(typed)

    session = Session(open_backend("emulator", db=estate_db, speed="instant", durable=False))
    session.audit = Trail()  # type: ignore[assignment]
    outcome = run_line(f"deploy {TEMPLATE} -p vmssName=lab adminPasswordOrKey='{SECRET}", session)
    assert outcome.exit_code == 2
    assert len(Trail.lines) == 1 and "hunter2" not in Trail.lines[0] and "adminPasswordOrKey=***" in Trail.lines[0]
