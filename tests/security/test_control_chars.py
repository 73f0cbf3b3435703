"""Issue 10, class 3: nothing from data reaches the terminal raw.

Hostile text is written straight into the emulator's store (as a local user who can write the
store, or a real Azure payload, would deliver it, past every input validator) and into the audit
trail; every renderer must show it as visible escapes: no ESC/CSI/OSC/BEL/C1 byte, no bidi
override, and no newline that forges a row.
"""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.admin import audit
from vmss_tui.cli import main
from vmss_tui.domain.text import escape_control, escape_json_text, has_control

CLEAR_AND_TITLE = "\x1b[2J\x1b[H\x1b]0;pwned\x07"
HOSTILE_IMAGE = f"Canonical:{CLEAR_AND_TITLE}:22_04\x9b31m:latest\nforged-row  with  columns"
HOSTILE_SIZE = "Standard_D2s_v3\x1b[8m\u202e"
HOSTILE_ADDRESS = "10.0.0.5\x1b[8m\u202e"
HOSTILE_COMPUTER = "web\r\x1b[1Aevil\tname"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\r", "\x00")
"""Characters that must never reach a terminal from data."""

ME = pwd.getpwuid(os.geteuid()).pw_name


def assert_no_raw_controls(text: str) -> None:
    for char in RAW:
        assert char not in text, f"raw {char!r} reached the terminal: {text!r}"


@pytest.fixture
def hostile_db(estate_db: Path) -> Path:
    """The practice estate with ESC sequences and newlines in web's image and one instance's fields."""
    shard = estate_db / "sets" / "practice-rg" / "web.json"
    data = json.loads(shard.read_bytes())
    for document in data["scale_set"].values():
        document["image"] = HOSTILE_IMAGE
        document["location"] = "westeurope\x1b]2;title\x07"
    for document in data["instances"].values():
        if document["instance_id"] == "1":
            document["vm_size"] = HOSTILE_SIZE
            document["ip"] = HOSTILE_ADDRESS  # web is on a network: its table shows addresses, not sizes
            document["computer_name"] = HOSTILE_COMPUTER
            document["image"] = HOSTILE_IMAGE
    shard.write_text(json.dumps(data))
    return estate_db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- the shared function


def test_escape_control_makes_every_control_and_bidi_character_visible() -> None:
    assert escape_control("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert escape_control("tab\there\nnew\rret") == "tab\\there\\nnew\\rret"
    assert escape_control("\x00\x7f\x85\x9b") == "\\x00\\x7f\\x85\\x9b"
    assert escape_control("abc\u202edef\u2066\u2028") == "abc\\u202edef\\u2066\\u2028"
    assert escape_control("\ud800") == "\\ud800"


def test_clean_text_comes_back_unchanged_including_non_ascii() -> None:
    for text in ("web_0", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest", "Zürich ☁ 東京",
                 "👨\u200d👩\u200d👧", ""):
        assert escape_control(text) == text
        assert not has_control(text)


def test_escape_json_text_stays_json_with_the_same_values() -> None:
    data = {"image": HOSTILE_IMAGE, "size": HOSTILE_SIZE, "note": "a\x7fb\x85c\ufeff"}
    text = escape_json_text(json.dumps(data, indent=2, ensure_ascii=False))
    assert_no_raw_controls(text)
    assert "\x85" not in text and "\x7f" not in text
    assert json.loads(text) == data


# ---------------------------------------------------------------- the one-shot CLI


def test_show_as_a_table_escapes_the_image_and_forges_no_line(capsys, hostile_db: Path) -> None:
    code, out, err = run(capsys, "show", "web", "--db", str(hostile_db), "--speed", "instant", "-o", "table")
    assert code == 0, err
    assert_no_raw_controls(out)
    image_lines = [line for line in out.splitlines() if line.startswith("Image")]
    assert image_lines == [f"Image                       {escape_control(HOSTILE_IMAGE)}".rstrip()] or (
        len(image_lines) == 1 and "\\x1b[2J" in image_lines[0] and "\\nforged-row" in image_lines[0])
    assert not any(line.startswith("forged-row") for line in out.splitlines())


def test_list_as_a_table_keeps_one_line_per_scale_set(capsys, hostile_db: Path) -> None:
    code, out, err = run(capsys, "list", "--db", str(hostile_db), "--speed", "instant", "-o", "table")
    assert code == 0, err
    assert_no_raw_controls(out)
    lines = out.splitlines()
    assert len(lines) == 2 + 3  # header, dashes, batch, demo-set, web
    assert "westeurope\\x1b]2;title\\x07" in lines[-1]


def test_instances_as_table_and_tsv_keep_one_line_per_instance(capsys, hostile_db: Path) -> None:
    for output, query in (("table", []), ("tsv", ["--query", "[].{id:instanceId, size:sku.name}"])):
        code, out, err = run(capsys, "instances", "web", "--db", str(hostile_db), "--speed", "instant",
                             "-o", output, *query)
        assert code == 0, err
        assert_no_raw_controls(out)
        assert len(out.splitlines()) == (6 + 2 if output == "table" else 6), out
        assert "\\x1b[8m\\u202e" in out


def test_show_as_tsv_keeps_each_part_of_the_image_in_one_field(capsys, hostile_db: Path) -> None:
    code, out, err = run(capsys, "show", "web", "--db", str(hostile_db), "--speed", "instant", "-o", "tsv",
                         "--query", "virtualMachineProfile.storageProfile.imageReference")
    assert code == 0, err
    assert_no_raw_controls(out)
    assert len(out.splitlines()) == 1
    publisher, offer, sku, version = HOSTILE_IMAGE.split(":")  # az prints imageReference's keys sorted
    assert out.rstrip("\n").split("\t") == [escape_control(part) for part in (offer, publisher, sku, version)]


@pytest.mark.parametrize("output", ["json", "jsonc", "yaml"])
def test_json_jsonc_and_yaml_escape_c1_and_bidi_and_keep_the_value(capsys, hostile_db: Path, output: str) -> None:
    code, out, err = run(capsys, "instances", "web", "--db", str(hostile_db), "--speed", "instant", "-o", output)
    assert code == 0, err
    assert_no_raw_controls(out)
    if output == "json":
        sizes = {row["instanceId"]: row["sku"]["name"] for row in json.loads(out)}
        assert sizes["1"] == HOSTILE_SIZE
    if output == "yaml":
        import yaml

        sizes = {row["instanceId"]: row["sku"]["name"] for row in yaml.safe_load(out)}
        assert sizes["1"] == HOSTILE_SIZE


def test_query_results_as_tables_are_escaped_too(capsys, hostile_db: Path) -> None:
    code, out, err = run(capsys, "instances", "web", "--db", str(hostile_db), "--speed", "instant", "-o", "table",
                         "--query", "[].{id:instanceId, size:vmSize, name:computerName}")
    assert code == 0, err
    assert_no_raw_controls(out)
    assert len(out.splitlines()) == 6 + 2


def test_error_lines_escape_what_the_user_or_the_store_put_in_them(capsys, hostile_db: Path) -> None:
    code, out, err = run(capsys, "show", "nope\x1b]0;owned\x07\nWARNING: forged", "--db", str(hostile_db),
                         "--speed", "instant")
    assert code != 0
    assert_no_raw_controls(err)
    assert len(err.splitlines()) == 1 and err.startswith("ERROR: ("), err


# ---------------------------------------------------------------- the audit trail


def test_audit_table_escapes_commands_and_forges_no_row(capsys, tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "audit.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(f'audit_log = "{log}"\n[roles.users]\n{ME} = "operator"\n')
    monkeypatch.setenv("VMSS_TUI_DB", str(tmp_path / "store"))
    hostile = f"create web --image '{CLEAR_AND_TITLE}'\n2026-01-01T00:00:00+00:00  root  success"
    audit.append(log, audit.AuditRecord(time=audit.now_iso(), operator="mallory\x1b[2J", source_address="10.0.0.9",
                                        backend="emulator", subscription="s", resource_group="rg",
                                        command=hostile, outcome="success", role="operator"))
    audit.append(log, audit.AuditRecord(time=audit.now_iso(), operator=ME, source_address=None, backend="emulator",
                                        subscription="s", resource_group="rg", command="scale web 3",
                                        outcome="success", role="operator"))
    code, out, err = run(capsys, "--config", str(config), "audit", "-o", "table")
    assert code == 0, err
    assert_no_raw_controls(out)
    assert len(out.splitlines()) == 2 + 2, out
    assert "\\x1b]0;pwned\\x07" in out and "\\n2026-01-01" in out


# ---------------------------------------------------------------- the TUI


def _open_hostile_backend(path: Path) -> Any:
    import random
    from datetime import datetime, timezone

    from vmss_tui.backends import open_backend
    from vmss_tui.backends.emulator.clock import FakeClock

    def opened(seed: bool) -> Any:
        return open_backend("emulator", db=path, speed="instant", durable=False, seed=seed, rng=random.Random(7),
                            clock=FakeClock(start=datetime(2026, 1, 1, 12, tzinfo=timezone.utc)))

    opened(True).close()
    shard = path / "sets" / "practice-rg" / "web.json"
    data = json.loads(shard.read_bytes())
    for document in data["scale_set"].values():
        document["image"] = HOSTILE_IMAGE
    for document in data["instances"].values():
        if document["instance_id"] == "1":
            document["vm_size"] = HOSTILE_SIZE
            document["computer_name"] = HOSTILE_COMPUTER + "[bold]not markup[/]"
    shard.write_text(json.dumps(data))
    return opened(False)


async def _settle(pilot: Any) -> None:
    for _ in range(500):
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers still running")


def _screen_text(app: Any) -> str:
    """Every character the screen would send to the terminal (styles aside)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def test_tui_instance_cells_and_detail_view_show_escapes_not_terminal_commands(tmp_path: Path) -> None:
    from vmss_tui.tui.app import VmssApp
    from vmss_tui.tui.screens.detail import DetailScreen
    from vmss_tui.tui.screens.main import MainScreen

    backend = _open_hostile_backend(tmp_path / "store")
    app = VmssApp(backend, theme="dark", read_only=False, refresh_interval=3600.0, idle_refresh_interval=3600.0)
    async with app.run_test(size=(160, 40)) as pilot:
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.sets_table.move_to("practice-rg/web")
        await _settle(pilot)
        shown = _screen_text(app)
        assert_no_raw_controls(shown)
        assert "D2s_v3\\x1b[" in shown  # the size cell of instance 1, escaped (and cut to the column)

        await pilot.press("tab", "down", "enter")
        await _settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert ("vm size", escape_control(HOSTILE_SIZE)) in detail.fields
        assert ("computer name", escape_control(HOSTILE_COMPUTER) + "[bold]not markup[/]") in detail.fields
        shown = _screen_text(app)
        assert_no_raw_controls(shown)
        assert "\\x1b[8m\\u202e" in shown and "[bold]not markup[/]" in shown
        await pilot.press("j")
        await pilot.pause()
        assert_no_raw_controls(_screen_text(app))


async def test_tui_toasts_are_literal_and_escaped(tmp_path: Path) -> None:
    from textual.widgets._toast import Toast

    from vmss_tui.tui.app import VmssApp

    backend = _open_hostile_backend(tmp_path / "store")
    app = VmssApp(backend, theme="dark", read_only=False, refresh_interval=3600.0, idle_refresh_interval=3600.0)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await _settle(pilot)
        app.notify(f"(ResourceNotFound) [bold red]web{CLEAR_AND_TITLE}[/] not found", title=f"show {HOSTILE_SIZE}",
                   severity="error")
        await pilot.pause(0.2)
        [toast] = app.screen.query(Toast)
        assert "(ResourceNotFound) [bold red]web\\x1b[2J" in toast.render().plain
        shown = _screen_text(app)
        assert_no_raw_controls(shown)
        assert "red]web\\x1b[2J" in shown  # the toast is on screen, markup shown as text


def test_every_stderr_line_of_the_cli_is_escaped_whoever_wrote_it(capsys, tmp_path: Path) -> None:
    """Messages written outside the command layer (config, usage, warnings) quote paths and names too."""
    hostile_config = tmp_path / "\x1b]0;pwned\x07\x1b[2Jconfig.toml"
    assert main(["--db", str(tmp_path / "db"), "--config", str(hostile_config), "list"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b]0;pwned\\x07" in err
    assert err.count("\n") == 1


def test_the_progress_line_keeps_its_own_terminal_codes_but_escapes_the_data_in_it() -> None:
    """stderr is escaped at the stream; the progress line's own \\r and erase-line must still work."""
    import io
    from types import SimpleNamespace

    from vmss_tui.cli import ProgressLine, _EscapingLines

    terminal = io.StringIO()
    progress = ProgressLine(_EscapingLines(terminal))
    progress(SimpleNamespace(message="scale web\x1b]0;owned\x07", kind="scale", scale_set_name="web",
                             done=False, status="InProgress", percent_complete=50.0))
    progress(SimpleNamespace(message=None, kind="scale", scale_set_name="web", done=True, status="Succeeded",
                             percent_complete=100.0))
    written = terminal.getvalue()
    assert written.startswith("\r\x1b[K") and written.endswith("\r\x1b[K")
    assert "\\x1b]0;owned\\x07" in written and "\x07" not in written


def test_an_unknown_global_option_with_a_newline_is_one_escaped_error_line(capsys) -> None:
    from vmss_tui.cli import main
    code = main(["--bad\nopt", "list"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--bad\\nopt" in err
