"""The one-shot CLI: `create --tags`, `update --tags/--set tags.k=v/--remove tags.k`, and `-o json` showing them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmss_tui.cli import main


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("VMSS_TUI_DB", "VMSS_TUI_SPEED", "VMSS_TUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--db", str(db), "--speed", "instant"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tags_of(capsys: pytest.CaptureFixture[str], db: Path, name: str) -> dict[str, str]:
    code, out, err = run(capsys, db, "show", name, "-g", "practice-rg", "--query", "tags", "-o", "json")
    assert code == 0, err
    return json.loads(out)


def test_update_set_adds_a_tag_and_show_prints_it_as_az_does(capsys: pytest.CaptureFixture[str],
                                                            estate_db: Path) -> None:
    code, out, err = run(capsys, estate_db, "update", "web", "-g", "practice-rg", "--set", "tags.env=test", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["tags"]["env"] == "test"
    assert tags_of(capsys, estate_db, "web")["env"] == "test"
    code, out, err = run(capsys, estate_db, "show", "web", "-g", "practice-rg", "--query", "tags.env", "-o", "tsv")
    assert (code, out) == (0, "test\n")
    run(capsys, estate_db, "update", "web", "-g", "practice-rg", "--set", "tags.owner=ops")
    both = tags_of(capsys, estate_db, "web")
    assert (both["env"], both["owner"]) == ("test", "ops")  # --set changes one tag, keeps the others
    code, _, err = run(capsys, estate_db, "update", "web", "-g", "practice-rg", "--remove", "tags.env")
    assert code == 0, err
    assert "env" not in tags_of(capsys, estate_db, "web") and tags_of(capsys, estate_db, "web")["owner"] == "ops"


def test_update_tags_replaces_them_all_and_an_empty_value_clears_them(capsys: pytest.CaptureFixture[str],
                                                                     estate_db: Path) -> None:
    run(capsys, estate_db, "update", "web", "-g", "practice-rg", "--set", "tags.env=test")
    code, _, err = run(capsys, estate_db, "update", "web", "-g", "practice-rg", "--tags", "team=blue", "cost=7")
    assert code == 0, err
    assert tags_of(capsys, estate_db, "web") == {"team": "blue", "cost": "7"}
    code, _, err = run(capsys, estate_db, "update", "web", "-g", "practice-rg", "--tags", "")
    assert code == 0, err
    assert tags_of(capsys, estate_db, "web") == {}


def test_create_with_tags_stores_them(capsys: pytest.CaptureFixture[str], estate_db: Path) -> None:
    code, out, err = run(capsys, estate_db, "create", "tagged", "--mode", "uniform", "--capacity", "1",
                         "-g", "practice-rg", "--tags", "env=lab", "owner=me", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["tags"] == {"env": "lab", "owner": "me"}
    assert tags_of(capsys, estate_db, "tagged") == {"env": "lab", "owner": "me"}


@pytest.mark.parametrize(("argv", "named"), [
    (["update", "web", "--set", "tags.a/b=1"], "(InvalidParameter) The tag name 'a/b' is not valid"),
    (["update", "web", "--set", "sku.capacity=3"], "(InvalidArgumentValue) --set: 'sku.capacity' is not supported"),
    (["update", "web", "--set", "tags.env"], "(InvalidArgumentValue) --set: 'tags.env' has no value"),
    (["update", "web", "--tags", *[f"k{i}=v" for i in range(51)]], "(InvalidParameter) A resource can have at most 50"),
    (["create", "x1", "--mode", "uniform", "--tags", "e=" + "v" * 257], "longer than 256 characters"),
])
def test_bad_tags_are_one_line_errors_with_exit_2_and_nothing_changes(capsys: pytest.CaptureFixture[str],
                                                                      estate_db: Path, argv: list[str],
                                                                      named: str) -> None:
    before = tags_of(capsys, estate_db, "web")
    code, out, err = run(capsys, estate_db, *argv, "-g", "practice-rg")
    assert code == 2 and out == ""
    assert err.startswith("ERROR: ") and named in err and err.count("\n") == 1, err
    assert tags_of(capsys, estate_db, "web") == before
    code, _, _ = run(capsys, estate_db, "show", "x1", "-g", "practice-rg")
    assert code != 0


def test_add_vm_with_tags_gives_the_vm_its_tags(capsys: pytest.CaptureFixture[str], estate_db: Path) -> None:
    code, out, err = run(capsys, estate_db, "add-vm", "demo-set", "-g", "practice-rg", "--name", "tagged-vm",
                         "--tags", "role=worker", "-o", "json")
    assert code == 0, err
    code, out, err = run(capsys, estate_db, "instances", "demo-set", "-g", "practice-rg", "-o", "json",
                         "--query", "[?name=='tagged-vm'].tags")
    assert code == 0, err
    assert json.loads(out) == [{"role": "worker"}]


def test_a_tag_value_with_control_characters_is_stored_as_given_and_printed_escaped(
        capsys: pytest.CaptureFixture[str], estate_db: Path) -> None:
    code, _, err = run(capsys, estate_db, "update", "web", "-g", "practice-rg", "--set", "tags.note=\x1b[31mred")
    assert code == 0, err
    for output in ("tsv", "json", "table"):
        code, out, err = run(capsys, estate_db, "show", "web", "-g", "practice-rg", "--query", "tags", "-o", output)
        assert code == 0 and "\x1b" not in out, (output, out)
    code, out, _ = run(capsys, estate_db, "show", "web", "-g", "practice-rg", "--query", "tags.note", "-o", "json")
    assert json.loads(out) == "\x1b[31mred"  # JSON escapes it (\u001b) and reads back the value as stored
