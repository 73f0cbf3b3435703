"""`vmss-tui <command>`: one command, az-style output, exit codes 0/1/2, errors as one stderr line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.cli import main, split_globals


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path: Path) -> None:
    """No user config, no env defaults leaking in from the developer's shell."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("VMSS_TUI_DB", raising=False)
    monkeypatch.delenv("VMSS_TUI_SPEED", raising=False)
    monkeypatch.delenv("VMSS_TUI_DEBUG", raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_prints_json_when_stdout_is_not_a_terminal(capsys, estate_db: Path) -> None:
    code, out, err = run(capsys, "list", "--db", str(estate_db), "--speed", "instant")
    assert code == 0 and err == ""
    assert [s["name"] for s in json.loads(out)] == ["batch", "demo-set", "web"]


def test_global_options_work_before_and_after_the_command(capsys, estate_db: Path) -> None:
    before = run(capsys, "--db", str(estate_db), "-o", "tsv", "--query", "[].name", "list")
    after = run(capsys, "list", "--db", str(estate_db), "-o", "tsv", "--query", "[].name")
    assert before == after == (0, "batch\ndemo-set\nweb\n", "")


def test_the_db_and_speed_come_from_the_environment(capsys, estate_db: Path, monkeypatch) -> None:
    monkeypatch.setenv("VMSS_TUI_DB", str(estate_db))
    monkeypatch.setenv("VMSS_TUI_SPEED", "instant")
    code, out, _ = run(capsys, "show", "web", "--query", "sku.capacity")
    assert (code, out) == (0, "6\n")


def _power(instance: dict) -> str:
    """A scale-set VM's power state as az shows it in the instance view (`PowerState/running` -> running)."""
    return next(s["code"] for s in instance["instanceView"]["statuses"] if s["code"].startswith("PowerState/"))[11:]


@pytest.mark.parametrize(
    ("argv", "check"),
    [
        (["show", "web"], lambda d: d["sku"]["capacity"] == 6),
        (["instances", "web"], lambda d: len(d) == 6),
        (["list-instances", "demo-set"], lambda d: {vm["name"] for vm in d} >= {"newvm"}),
        (["create", "api", "--mode", "flexible", "--capacity", "1"], lambda d: d["orchestrationMode"] == "Flexible"),
        (["update", "web", "--upgrade-policy", "Automatic"], lambda d: d["upgradePolicy"] == {"mode": "Automatic"}),
        (["scale", "web", "8"], lambda d: d["sku"]["capacity"] == 8),
        (["scale", "web", "2", "--dry-run"], lambda d: len(d["toRemove"]) == 4),
        (["scale", "web", "2", "--yes"], lambda d: d["sku"]["capacity"] == 2),
        (["add-vm", "demo-set", "--name", "vm9"], lambda d: d[0]["name"] == "vm9"),
        (["delete-instances", "web", "0", "--yes"], lambda d: d["status"] == "Succeeded"),
        (["stop", "web", "1"], lambda d: _power(d[0]) == "stopped"),
        (["deallocate", "web"], lambda d: {_power(i) for i in d} == {"deallocated"}),
        (["restart", "web", "2"], lambda d: _power(d[0]) == "running"),
        (["reimage", "web", "2"], lambda d: _power(d[0]) == "running"),
        (["start", "web"], lambda d: {_power(i) for i in d} == {"running"}),
        (["protect", "web", "3"], lambda d: d[0]["protectionPolicy"]["protectFromScaleIn"] is True),
        (["unprotect", "web", "3"], lambda d: d[0]["protectionPolicy"]["protectFromScaleIn"] is False),
        (["upgrade", "web"], lambda d: d == []),
        (["fd-map", "web"], lambda d: set(d) == {"1", "2", "3"}),
        (["delete", "batch", "--yes"], lambda d: d["status"] == "Succeeded"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_every_command_runs_one_shot(capsys, estate_db: Path, argv: list[str], check) -> None:
    code, out, err = run(capsys, *argv, "--db", str(estate_db), "--speed", "instant")
    assert code == 0, err
    assert check(json.loads(out))


def test_help_lists_commands_and_command_help_explains_one(capsys, estate_db: Path) -> None:
    code, out, _ = run(capsys, "help", "--db", str(estate_db))
    assert code == 0 and "delete-instances" in out
    code, out, _ = run(capsys, "scale", "--help", "--db", str(estate_db))
    assert code == 0 and out.startswith("Usage: scale <set> <capacity> [--dry-run]")


def test_help_opens_no_backend_so_no_store_is_created(capsys, tmp_path: Path) -> None:
    store = tmp_path / "never"
    assert run(capsys, "help", "--db", str(store))[0] == 0
    assert run(capsys, "delete", "--help", "--db", str(store))[0] == 0
    assert not store.exists()


def test_global_help_and_version_need_no_backend(capsys) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "exit codes: 0 ok, 1 operation failed, 2 usage error" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("vmss-tui ")


@pytest.mark.parametrize(
    ("argv", "code", "error"),
    [
        (["scal", "web", "5"], 2, "ERROR: (UnknownCommand) 'scal' is not a vmss-tui command. Did you mean 'scale'?"),
        (["scale", "web"], 2, "ERROR: (MissingArgument) scale: missing <capacity>."),
        (["scale", "web", "5", "6"], 2, "ERROR: (UnrecognizedArguments) scale: unexpected argument(s) '6'."),
        (["scale", "web", "lots"], 2, "ERROR: (InvalidArgumentValue) scale <capacity>: 'lots' is not a whole number."),
        (["show", "nope"], 1, "ERROR: (ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachineScaleSets/nope'"),
        (["stop", "web", "42"], 1, "ERROR: (ResourceNotFound)"),
        (["add-vm", "web"], 1, "ERROR: (OperationNotAllowed) add-vm works only on Flexible scale sets"),
        (["scale", "web", "2"], 2, "ERROR: (ConfirmationRequired) 'scale' needs confirmation and cannot ask here; "
                                   "pass --yes"),
        (["delete", "web"], 2, "ERROR: (ConfirmationRequired)"),
        (["delete-instances", "web", "1"], 2, "ERROR: (ConfirmationRequired)"),
        (["scale", "web", "9", "--read-only"], 2, "ERROR: (ReadOnly) 'scale' changes resources and this session is "
                                                  "read-only"),
        (["list", "--speed", "warp"], 2, "ERROR: (InvalidArgumentValue) --speed: 'warp' is not one of"),
        (["--frobnicate", "list"], 2, "ERROR: (UnrecognizedArguments) unknown global option '--frobnicate'"),
        (["list", "--db"], 2, "ERROR: (UnrecognizedArguments) --db: expected a value"),
        (["use", "web"], 2, "ERROR: (UnrecognizedArguments) 'use' works only inside the shell"),
        (["list", "-o", "xml"], 2, "ERROR: (InvalidArgumentValue)"),
        (["list", "--query", "[[["], 2, "ERROR: (InvalidQuery)"),
        (["shell", "extra"], 2, "ERROR: (UnrecognizedArguments) shell: unexpected argument(s) 'extra'"),
        (["emulator", "start"], 2, "ERROR: (UnrecognizedArguments) usage: vmss-tui emulator serve"),
    ],
)
def test_bad_input_is_one_error_line_with_the_right_exit_code_and_changes_nothing(
        capsys, estate_db: Path, argv: list[str], code: int, error: str) -> None:
    got_code, out, err = run(capsys, "--db", str(estate_db), "--speed", "instant", *argv)
    assert got_code == code
    assert err.startswith(error), err
    assert err.count("\n") == 1 and out == ""
    backend = open_backend("emulator", db=estate_db, speed="instant")
    assert backend.get_scale_set("practice-rg", "web").capacity == 6
    assert len(backend.list_scale_sets()) == 3


def test_a_failed_operation_is_exit_1(capsys, estate_db: Path) -> None:
    code, _, err = run(capsys, "delete", "demo-set", "--yes", "--db", str(estate_db), "--speed", "instant")
    assert code == 1 and err.startswith("ERROR: (OperationNotAllowed)")


def test_no_wait_prints_the_operation(capsys, estate_db: Path) -> None:
    code, out, _ = run(capsys, "scale", "web", "7", "--no-wait", "--db", str(estate_db), "--speed", "real")
    operation = json.loads(out)
    assert code == 0 and operation["status"] == "InProgress" and operation["kind"]


def test_an_internal_error_is_one_line_and_the_traceback_only_with_debug(capsys, estate_db: Path,
                                                                        monkeypatch) -> None:
    import vmss_tui.commands.registry as registry

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(registry.fmt, "scale_set_json", broken)
    code, _, err = run(capsys, "list", "--db", str(estate_db))
    assert code == 1 and err == "ERROR: internal error: ZeroDivisionError: boom\n"
    monkeypatch.setenv("VMSS_TUI_DEBUG", "1")
    code, _, err = run(capsys, "list", "--db", str(estate_db))
    assert code == 1 and "Traceback (most recent call last)" in err


def test_without_the_tui_module_vmss_tui_says_so_in_one_line(capsys, monkeypatch, estate_db: Path) -> None:
    monkeypatch.setitem(sys.modules, "vmss_tui.tui.app", None)
    code, _, err = run(capsys, "--db", str(estate_db))
    assert code == 1 and err.startswith("ERROR: vmss_tui.tui.app.run_app is not available") and err.count("\n") == 1


def test_without_the_arm_server_emulator_serve_says_so_in_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "vmss_tui.armserver", None)
    code, _, err = run(capsys, "emulator", "serve", "--port", "0")
    assert code == 1 and err.startswith("ERROR: vmss_tui.armserver.main is not available")


def test_the_tui_is_started_with_the_backend_and_session_options(capsys, monkeypatch, estate_db: Path) -> None:
    import types

    calls = []
    fake = types.ModuleType("vmss_tui.tui.app")
    fake.run_app = lambda **kwargs: calls.append(kwargs) or 0
    monkeypatch.setitem(sys.modules, "vmss_tui.tui.app", fake)
    code, _, _ = run(capsys, "--db", str(estate_db), "--read-only", "--theme", "dark", "--no-mouse")
    assert code == 0
    assert calls[0]["read_only"] is True and calls[0]["theme"] == "dark" and calls[0]["mouse"] is False
    assert calls[0]["backend_options"]["db"] == str(estate_db)


def test_emulator_serve_passes_its_arguments_through(capsys, monkeypatch) -> None:
    import types

    calls = []
    fake = types.ModuleType("vmss_tui.armserver")
    fake.main = lambda argv, audit=None, **store: calls.append((argv, store)) or 0
    monkeypatch.setitem(sys.modules, "vmss_tui.armserver", fake)
    monkeypatch.setenv("VMSS_TUI_SPEED", "instant")
    assert run(capsys, "--db", "/tmp/x", "emulator", "serve", "--port", "0", "-o", "json")[0] == 0
    assert calls == [(["--port", "0", "-o", "json"], {"db": "/tmp/x", "db_origin": "--db", "speed": "instant"})]


def test_split_globals_leaves_line_options_after_the_command_to_the_command_parser() -> None:
    found = split_globals(["-o", "json", "scale", "web", "3", "--db", "d", "-o", "yaml", "--read-only"])
    assert found.values == {"output": "json", "db": "d", "read_only": True}
    assert found.command == ["scale", "web", "3", "-o", "yaml"]


# ---------------------------------------------------------------- real processes

def spawn(*argv: str, env_extra: dict[str, str] | None = None, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMSS_TUI_")}
    env.update({"XDG_CONFIG_HOME": str(tmp / "config"), "XDG_DATA_HOME": str(tmp / "data")})
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "vmss_tui", *argv], capture_output=True, text=True, env=env,
                          timeout=60)


def test_a_real_process_prints_json_in_a_pipe_and_exits_0(estate_db: Path, tmp_path: Path) -> None:
    done = spawn("list", "--db", str(estate_db), "--speed", "instant", tmp=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert len(json.loads(done.stdout)) == 3


def test_a_real_process_reports_a_usage_error_without_a_traceback(estate_db: Path, tmp_path: Path) -> None:
    done = spawn("scale", "web", "many", "--db", str(estate_db), tmp=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "ERROR: (InvalidArgumentValue) scale <capacity>: 'many' is not a whole number.\n"


def test_a_real_process_refuses_a_scale_in_without_yes_when_stdin_is_not_a_terminal(
        estate_db: Path, tmp_path: Path) -> None:
    done = spawn("scale", "web", "1", "--db", str(estate_db), env_extra={"VMSS_TUI_SPEED": "instant"}, tmp=tmp_path)
    assert done.returncode == 2 and "pass --yes" in done.stderr
    assert open_backend("emulator", db=estate_db).get_scale_set("practice-rg", "web").capacity == 6


def test_a_real_process_with_an_azure_error_exits_1(estate_db: Path, tmp_path: Path) -> None:
    done = spawn("restart", "web", "99", "--db", str(estate_db), tmp=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith("ERROR: (ResourceNotFound)")
    assert "Traceback" not in done.stderr


def test_progress_is_one_line_rewritten_in_place_and_cleared_at_the_end() -> None:
    import io
    from datetime import datetime, timezone

    from vmss_tui.cli import ProgressLine
    from vmss_tui.domain.models import Operation, OperationStatus

    def snapshot(status: OperationStatus, percent: float) -> Operation:
        return Operation(id="op1", kind="scale", resource_group="rg", scale_set_name="web", status=status,
                         start_time=datetime.now(timezone.utc), end_time=None, percent_complete=percent,
                         message="scale web 6 -> 8")

    stream = io.StringIO()
    progress = ProgressLine(stream)
    progress(snapshot(OperationStatus.IN_PROGRESS, 10))
    progress(snapshot(OperationStatus.IN_PROGRESS, 60))
    progress(snapshot(OperationStatus.SUCCEEDED, 100))
    assert stream.getvalue() == ("\r\x1b[Kscale web 6 -> 8: InProgress 10%"
                                 "\r\x1b[Kscale web 6 -> 8: InProgress 60%"
                                 "\r\x1b[K")
    assert "\n" not in stream.getvalue()


def test_changing_the_mode_or_fault_domain_count_gets_azures_property_change_error(capsys, estate_db: Path) -> None:
    code, _, err = run(capsys, "update", "web", "--mode", "flexible")
    assert code == 1 and err.strip() == "ERROR: (PropertyChangeNotAllowed) Changing property 'orchestrationMode' is not allowed."
    code, _, err = run(capsys, "update", "web", "--fault-domains", "5")
    assert code == 1 and "Changing property 'platformFaultDomainCount'" in err
    code, out, _ = run(capsys, "show", "web")
    assert json.loads(out)["orchestrationMode"] == "Uniform"
