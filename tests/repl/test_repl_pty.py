"""End to end in a real pseudo-terminal (pexpect) and through a real pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from vmss_tui.backends import open_backend

PYTHON = sys.executable


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMSS_TUI_")}
    env.update({"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "TERM": "xterm", "NO_COLOR": "1",
                "PROMPT_TOOLKIT_NO_CPR": "1"})  # pexpect is no terminal: nothing answers cursor queries
    return env


def spawn_shell(estate_db: Path, tmp_path: Path) -> pexpect.spawn:
    child = pexpect.spawn(PYTHON, ["-m", "vmss_tui", "shell", "--db", str(estate_db), "--speed", "instant"],
                          env=environment(tmp_path), encoding="utf-8", timeout=20, dimensions=(40, 120))
    child.expect_exact("vmss>")
    return child


def test_a_shell_in_a_terminal_runs_commands_shows_context_and_exits_on_ctrl_d(estate_db: Path,
                                                                              tmp_path: Path) -> None:
    child = spawn_shell(estate_db, tmp_path)
    child.send("use web\r")
    child.expect_exact("Using web (practice-rg)")
    child.expect_exact("vmss web>")
    child.send("instances\r")
    child.expect(r"InstanceId\s+Zone\s+FD\s+PowerState")
    child.expect_exact("vmss web>")
    child.send("scale 4\r")
    child.expect_exact("Proceed? [y/N]")
    child.send("y\r")
    child.expect(r"Capacity\s+4")
    child.expect_exact("vmss web>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert open_backend("emulator", db=estate_db).get_scale_set("practice-rg", "web").capacity == 4
    history = (tmp_path / "data" / "vmss-tui" / "history").read_text()
    assert "use web" in history and "scale 4" in history


def test_tab_completes_set_names_and_ctrl_c_cancels_the_line_in_a_terminal(estate_db: Path, tmp_path: Path) -> None:
    child = spawn_shell(estate_db, tmp_path)
    child.send("show dem")
    child.expect_exact("show dem")
    child.send("\t")
    child.expect_exact("demo-set")
    child.sendcontrol("c")
    child.expect_exact("vmss>")
    child.send("exit\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_one_shot_scale_in_on_a_terminal_asks_and_no_keeps_everything(estate_db: Path, tmp_path: Path) -> None:
    child = pexpect.spawn(PYTHON, ["-m", "vmss_tui", "scale", "web", "2", "--db", str(estate_db), "--speed",
                                   "instant"], env=environment(tmp_path), encoding="utf-8", timeout=20)
    child.expect_exact("from 6 to 2")
    child.expect_exact("Proceed? [y/N]")
    child.send("n\r")
    child.expect(r"ERROR: \(Cancelled\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert open_backend("emulator", db=estate_db).get_scale_set("practice-rg", "web").capacity == 6


@pytest.mark.parametrize(("script", "code", "capacity"), [
    ("scale web 7\nshow nope\nscale web 8\n", 1, 7),
    ("scale web 7 -o none\nscale web 8 -o none\n", 0, 8),
    ("scale web\nscale web 8\n", 2, 6),
])
def test_a_piped_shell_runs_lines_until_the_first_failure(estate_db: Path, tmp_path: Path, script: str, code: int,
                                                          capacity: int) -> None:
    done = subprocess.run([PYTHON, "-m", "vmss_tui", "shell", "--db", str(estate_db), "--speed", "instant"],
                          input=script, capture_output=True, text=True, env=environment(tmp_path), timeout=60)
    assert done.returncode == code
    assert "vmss>" not in done.stdout
    assert open_backend("emulator", db=estate_db).get_scale_set("practice-rg", "web").capacity == capacity


def test_a_one_shot_command_on_a_terminal_prints_a_table_by_default(estate_db: Path, tmp_path: Path) -> None:
    child = pexpect.spawn(PYTHON, ["-m", "vmss_tui", "list", "--db", str(estate_db)], env=environment(tmp_path),
                          encoding="utf-8", timeout=20, dimensions=(24, 80))
    child.expect(r"Name\s+ResourceGroup\s+Location\s+Mode\s+Zones\s+Capacity\s+State")
    child.expect(r"web\s+practice-rg\s+westeurope\s+Uniform\s+1 2 3\s+6")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
