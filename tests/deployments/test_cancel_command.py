"""`deployment cancel <name>`: stops a running deployment (what finished stays); a finished one cannot be canceled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmss_tui.commands import Session, run_line

from .conftest import GROUP
from .test_emulator_deployments import scale_set_resource, template


def test_cancel_stops_a_running_deployment_and_refuses_a_finished_one(emulator: Any, tmp_path: Path,
                                                                      clock: Any) -> None:
    path = tmp_path / "web.json"
    path.write_text(template(scale_set_resource("web", 2)), encoding="utf-8")
    session = Session(emulator, output="json", resource_group=GROUP)
    started = run_line(f"deploy {path} --name slow --yes --no-wait", session)
    assert started.ok, started.error
    assert emulator.get_deployment(GROUP, "slow")["properties"]["provisioningState"] in ("Accepted", "Running")
    canceled = run_line("deployment cancel slow", session)
    assert canceled.ok, canceled.error
    assert emulator.get_deployment(GROUP, "slow")["properties"]["provisioningState"] == "Canceled"
    again = run_line("deployment cancel slow", session)
    assert again.exit_code == 1
    assert again.error.startswith("ERROR: (DeploymentCannotBeCancelled) The deployment 'slow' cannot be canceled")
    read_only = run_line("deployment cancel slow", Session(emulator, resource_group=GROUP, read_only=True))
    assert read_only.exit_code == 2 and read_only.error.startswith("ERROR: (ReadOnly)")
    missing = run_line("deployment cancel nope", session)
    assert missing.exit_code == 1 and "(DeploymentNotFound)" in missing.error
