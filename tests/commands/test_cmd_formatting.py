"""Output formats: the same data as json, jsonc, tsv, yaml, table and none."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from vmss_tui.commands import Session, run_line
from vmss_tui.commands.formatting import colour_json, columns_table, generic_table, render, tsv

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def rendered(line: str, session: Session) -> str:
    outcome = run_line(line, session)
    assert outcome.exit_code == 0, outcome.error
    return outcome.rendered


def test_json_output_parses_back_to_the_data(session: Session) -> None:
    outcome = run_line("instances web -o json", session)
    assert json.loads(outcome.rendered) == outcome.data


def test_jsonc_is_coloured_json(session: Session) -> None:
    text = rendered("show web -o jsonc", session)
    assert "\x1b[" in text
    assert json.loads(ANSI.sub("", text)) == json.loads(rendered("show web -o json", session))


def test_jsonc_without_colour_support_is_plain_json(session: Session) -> None:
    session.color = False
    assert "\x1b[" not in rendered("show web -o jsonc", session)


def test_yaml_output_parses_back_to_the_data(session: Session) -> None:
    outcome = run_line("list -o yaml", session)
    assert yaml.safe_load(outcome.rendered) == outcome.data


def test_tsv_prints_one_line_per_object_with_values_in_azs_sorted_key_order(session: Session) -> None:
    outcome = run_line("instances web -o tsv", session)
    lines = outcome.rendered.splitlines()
    assert len(lines) == 6
    first = dict(zip(sorted(outcome.data[0]), lines[0].split("\t")))
    assert (first["id"].endswith("/virtualMachines/0"), first["instanceId"], first["name"]) == (True, "0", "web_0")
    assert first["instanceView"] == "" and first["zones"] == "1"  # an object is an empty cell, a list its length


def test_none_output_prints_nothing(session: Session) -> None:
    assert rendered("list -o none", session) == ""


def test_list_table_has_az_style_header_and_dashes_and_fits_80_columns(session: Session) -> None:
    lines = rendered("list -o table", session).splitlines()
    assert lines[0].split() == ["Name", "ResourceGroup", "Location", "Mode", "Zones", "Capacity", "State"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert [line.split()[0] for line in lines[2:]] == ["batch", "demo-set", "web"]
    assert max(len(line) for line in lines) <= 80


def test_instances_table_shows_power_state_and_protection_within_80_columns(session: Session) -> None:
    run_line("protect web 1 --scale-set-actions", session)
    run_line("stop web 2", session)
    lines = rendered("instances web -o table", session).splitlines()
    assert "PowerState" in lines[0] and "Protection" in lines[0]
    row_1 = next(line for line in lines if line.startswith("1 "))
    row_2 = next(line for line in lines if line.startswith("2 "))
    assert "in+actions" in row_1 and "stopped" in row_2
    assert max(len(line) for line in rendered("instances demo-set -o table", session).splitlines()) <= 80


def test_show_as_a_table_is_one_field_per_line(session: Session) -> None:
    lines = rendered("show web -o table", session).splitlines()
    assert lines[0].split() == ["Name", "web"]
    assert any(line.split() == ["Capacity", "6"] for line in lines)


def test_columns_table_pads_columns_to_the_widest_cell() -> None:
    text = columns_table([{"a": "x", "b": 1}, {"a": "longer", "b": None}], [("A", "a"), ("B", "b")])
    assert text.splitlines() == ["A       B", "------  -", "x       1", "longer"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, ""),
        ([], ""),
        ("text", "text"),
        (3, "3"),
        (True, "True"),
        (["a", "b"], "Result\n------\na\nb"),
        ({"k": "v", "flag": False}, "K     v\nFlag  False"),
    ],
)
def test_generic_table_renders_any_query_result(data, expected: str) -> None:
    assert generic_table(data) == expected


def test_tsv_of_scalars_and_lists() -> None:
    assert tsv(5) == "5"
    assert tsv(["a", "b"]) == "a\nb"
    assert tsv([{"a": 1, "zones": ["1", "2"], "nested": {"x": 1}, "none": None}]) == "1\t2\t\tNone"
    assert tsv(True) == "true" and tsv([[True, None]]) == "True\tNone"


def test_render_rejects_nothing_and_json_keeps_unicode() -> None:
    assert render({"name": "ñ"}, "json") == '{\n  "name": "ñ"\n}'
    assert ANSI.sub("", colour_json([])) == "[]"


def test_instances_table_gains_a_state_column_while_instances_are_changing(estate_db) -> None:
    from vmss_tui.backends import open_backend
    from vmss_tui.backends.emulator.clock import FakeClock

    from datetime import datetime, timezone

    clock = FakeClock(start=datetime.now(timezone.utc))
    session = Session(open_backend("emulator", db=estate_db, speed="fast", clock=clock, durable=False))
    assert "State" not in rendered("instances web -o table", session).splitlines()[0].split()
    run_line("scale web 8 --no-wait", session)
    lines = rendered("instances web -o table", session).splitlines()
    assert "State" in lines[0].split()
    assert any("Creating" in line for line in lines[2:])
