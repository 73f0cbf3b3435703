"""`deploy --what-if` and `deploy`'s confirmation print what `az deployment group what-if` prints.

Outside truth: azure-cli's own formatter (`resource/_formatters.py`, run in az's Python) on the very what-if
result the emulator gave; with colour on, the same escape codes az writes. Skipped where az is not installed
(CI has it in /opt/az-venv).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.commands.what_if_format import format_what_if
from vmss_tui.backends import open_backend
from vmss_tui.cli import main
from vmss_tui.commands import Session, run_line

from .conftest import GROUP
from .test_emulator_deployments import scale_set_resource, template

AZ_FORMAT = ("import json, sys\n"
             "import azure.mgmt.resource.deployments.models as models\n"
             "from azure.cli.command_modules.resource._formatters import format_what_if_operation_result\n"
             "given = json.load(sys.stdin)\n"
             "result = models.WhatIfOperationResult.deserialize(given['result'])\n"
             "print(format_what_if_operation_result(result, enable_color=given['color']), end='')\n")


def az_formatted(result: dict[str, Any], color: bool = False) -> str:
    """What `az deployment group what-if` prints for `result` (its formatter's text, before print's newline)."""
    az = os.environ.get("VMSS_TUI_AZ") or shutil.which("az") or "/opt/az-venv/bin/az"
    python = Path(az).resolve().parent / "python"
    if not python.is_file():
        pytest.skip("azure-cli's Python is not installed (set VMSS_TUI_AZ, as for tests/az)")
    return subprocess.run([str(python), "-c", AZ_FORMAT], input=json.dumps({"result": result, "color": color}),
                          text=True, capture_output=True, check=True, timeout=120).stdout


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with two scale sets deployed from a template: `web` (3) and `old`."""
    db = tmp_path / "db"
    backend = open_backend("emulator", db=db, speed="instant", durable=False)
    backend.create_or_update_resource_group(GROUP, "westeurope")
    backend.deploy(GROUP, "first", template(scale_set_resource("web", 3), scale_set_resource("old")))
    backend.wait_deployment(GROUP, "first")
    backend.close()
    return db


NEXT = template(scale_set_resource("web", 4, tags={"env": "prod"}), scale_set_resource("api"))
"""Against `store`: web modified (capacity, a tag), api created, old deleted in Complete mode."""


def cli(capsys: Any, db: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--db", str(db), "--speed", "instant"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def what_if_result(db: Path, path: str) -> dict[str, Any]:
    backend = open_backend("emulator", db=db, speed="instant", durable=False)
    try:
        return run_line(f"deploy {path} --mode Complete --what-if -o json",
                        Session(backend, output="json", resource_group=GROUP)).data
    finally:
        backend.close()


def test_deploy_what_if_prints_what_az_prints_for_the_same_result(capsys: Any, store: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "next.json", NEXT)
    code, out, err = cli(capsys, store, "deploy", path, "-g", GROUP, "--mode", "Complete", "--what-if", "-o", "json")
    assert code == 0, err
    printed = json.loads(out)  # -o json is the WhatIfOperationResult itself, as before
    result = what_if_result(store, path)  # the same, in the emulator's key order (ARM's; -o json sorts keys)
    assert printed == result and result["status"] == "Succeeded"
    kinds = sorted(change["changeType"] for change in result["properties"]["changes"])
    assert kinds == ["Create", "Delete", "Modify"]
    code, out, err = cli(capsys, store, "deploy", path, "-g", GROUP, "--mode", "Complete", "--what-if", "-o", "table")
    assert code == 0 and err == ""
    assert out == az_formatted(result) + "\n"  # az print()s the formatter's text
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "Scope: /subscriptions/" in out and "  ~ Microsoft.Compute/virtualMachineScaleSets/web [2024-07-01]\n" in out  # as ARM reads it
    assert out.rstrip().endswith("Resource changes: 1 to delete, 1 to create, 1 to modify.")


def test_with_colour_on_the_escape_codes_are_az_s_own(store: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "next.json", NEXT)
    backend = open_backend("emulator", db=store, speed="instant", durable=False)
    try:
        session = Session(backend, output="table", resource_group=GROUP)
        result = run_line(f"deploy {path} --mode Complete --what-if -o json", session).data
        session.color = True
        coloured = run_line(f"deploy {path} --mode Complete --what-if", session)
        session.color = False
        plain = run_line(f"deploy {path} --mode Complete --what-if", session)
    finally:
        backend.close()
    assert coloured.rendered == az_formatted(result, color=True)
    assert "\x1b[38;5;77m+\x1b[0m" in coloured.rendered  # Create in az's green
    assert plain.rendered == az_formatted(result)


def test_the_confirmation_is_az_s_what_if_then_its_question(store: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "next.json", NEXT)
    backend = open_backend("emulator", db=store, speed="instant", durable=False)
    asked: list[str] = []
    try:
        session = Session(backend, output="json", resource_group=GROUP)
        session.confirm = lambda text: asked.append(text) or False  # type: ignore[assignment]
        refused = run_line(f"deploy {path}", session)
        result = run_line(f"deploy {path} --what-if", session).data
        assert backend.get_scale_set(GROUP, "web").capacity == 3
    finally:
        backend.close()
    assert refused.exit_code == 1
    assert asked == [az_formatted(result) + "\n\nAre you sure you want to execute the deployment?"]


def test_secure_values_are_masked_in_the_what_if_text(emulator: Any, tmp_path: Path) -> None:
    secret = "Sup3r-s3cret-value"
    text = json.loads(template(scale_set_resource("web", 2, tags={"note": "[parameters('note')]"})))
    text["parameters"] = {"note": {"type": "securestring"}}
    path = write(tmp_path, "secure.json", json.dumps(text))
    session = Session(emulator, output="table", resource_group=GROUP)
    session.color = False
    shown = run_line(f"deploy {path} -p note={secret} --what-if", session)
    assert shown.ok, shown.error
    assert secret not in shown.rendered
    assert 'tags.note:' in shown.rendered and '"***"' in shown.rendered
    # where a result carries the value itself (Azure echoes what the template put in a tag), the text masks it
    echoed = {"properties": {"changes": [{"resourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/"
                                                        "resourceGroups/rg/providers/Microsoft.Compute/"
                                                        "virtualMachineScaleSets/web", "changeType": "Create",
                                          "after": {"tags": {"note": f"key={secret};"}}}]}}
    masked = format_what_if(echoed, secrets=(secret,))
    assert secret not in masked.plain and secret not in masked.ansi() and 'tags.note: "key=***;"' in masked.plain


def test_what_if_text_escapes_control_characters_and_keeps_az_s_layout() -> None:
    change = {"resourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                            "Microsoft.Compute/virtualMachineScaleSets/web", "changeType": "Modify",
              "delta": [{"path": "tags.note", "propertyChangeType": "Create", "after": "a\x1b[2Jb"}]}
    text = format_what_if({"properties": {"changes": [change]}})
    assert "\x1b" not in text.plain and 'tags.note: "a\\x1b[2Jb"' in text.plain
    assert "\x1b[2J" not in text.ansi()
    green = [text.plain[start:end] for start, end, colour in text.spans() if colour == "green"]
    assert green == ["+", "+", '"a\\x1b[2Jb"']  # the legend's symbol, the property's, the value


def run_in_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """What `vmss-tui ARGV` writes to stdout when stdout is a terminal (a pty), line ends as written."""
    import pty
    import sys

    main_end, terminal_end = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "vmss_tui", *argv], stdout=terminal_end,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, timeout=120)
        os.close(terminal_end)
        terminal_end = -1
        chunks = []
        while True:
            try:
                chunk = os.read(main_end, 65536)
            except OSError:  # the other end is closed and everything is read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main_end)
        if terminal_end >= 0:
            os.close(terminal_end)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_on_a_terminal_az_s_colours_and_no_colour_with_no_color(store: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "next.json", NEXT)
    result = what_if_result(store, path)
    env = {key: value for key, value in os.environ.items() if not key.startswith("VMSS_TUI_") and key != "NO_COLOR"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    argv = ["deploy", path, "-g", GROUP, "--mode", "Complete", "--what-if", "--db", str(store), "--speed", "instant"]
    assert run_in_a_terminal(argv, env) == az_formatted(result, color=True) + "\n"
    assert run_in_a_terminal(argv, {**env, "NO_COLOR": "1"}) == az_formatted(result) + "\n"
