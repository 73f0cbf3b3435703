"""`clock show|advance|set` in the command language: the REPL, the `:` bar and one-shot move the emulated clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmss_tui.cli import main


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("VMSS_TUI_DB", "VMSS_TUI_SPEED", "VMSS_TUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def run(capsys, estate_db: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--db", str(estate_db), "--speed", "instant"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clock_advance_moves_the_clock_every_process_reads(capsys, estate_db: Path) -> None:
    code, out, err = run(capsys, estate_db, "clock", "advance", "10m")
    assert (code, err) == (0, "")
    assert 599 <= json.loads(out)["aheadOfSystemClockSeconds"] <= 601
    # A later process (here: the admin command) reads the same clock.
    code, out, _ = run(capsys, estate_db, "emulator", "clock", "show")
    assert code == 0 and 599 <= json.loads(out)["aheadOfSystemClockSeconds"] <= 601


def test_a_clock_advance_lets_autoscale_act_on_the_load(capsys, estate_db: Path) -> None:
    for line in (["autoscale", "create", "web", "--min-count", "2", "--max-count", "10", "--count", "6"],
                 ["autoscale", "rule", "create", "web", "--condition", "Percentage CPU > 50 avg 5m",
                  "--scale", "out", "1"],
                 ["load", "web", "90"]):
        assert run(capsys, estate_db, *line)[0] == 0
    assert run(capsys, estate_db, "clock", "advance", "7m")[0] == 0
    code, out, _ = run(capsys, estate_db, "show", "web", "--query", "sku.capacity")
    assert code == 0 and int(out) > 6


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["clock", "advance", "soon"], 2, "ERROR: (InvalidParameter)"),
        (["clock", "set", "yesterday"], 2, "ERROR: (InvalidParameter) 'yesterday' is not a date-time"),
        (["clock", "set", "2000-01-01T00:00:00Z"], 2, "the emulated clock only moves forward"),
        (["clock", "advance"], 2, "ERROR:"),
        (["clock", "advance", "10m", "--read-only"], 2, "ERROR: (ReadOnly)"),
    ],
)
def test_bad_clock_lines_fail_in_one_line_and_leave_the_clock(capsys, estate_db: Path, argv, code, message) -> None:
    got, out, err = run(capsys, estate_db, *argv)
    assert got == code and out == "" and len(err.strip().splitlines()) == 1
    assert message.lower() in err.lower()
    assert json.loads(run(capsys, estate_db, "clock", "show")[1])["aheadOfSystemClockSeconds"] < 1
