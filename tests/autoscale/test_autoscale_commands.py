"""The autoscale commands as an operator types them (one-shot CLI), the seed's sentence end to end.

Time is moved with `vmss-tui emulator clock advance`, the way a script practising offline would.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from vmss_tui.cli import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VMSS_TUI_DB", str(tmp_path / "db"))
    monkeypatch.setenv("VMSS_TUI_SPEED", "fast")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def _run(*words: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr("sys.stdout", out)
        monkeypatch.setattr("sys.stderr", err)
        code = main(list(words))
        return code, out.getvalue(), err.getvalue()

    assert _run("group", "create", "rg", "-l", "westeurope", "-o", "none")[0] == 0
    assert _run("create", "web", "--mode", "uniform", "--capacity", "2", "-g", "rg", "-o", "none")[0] == 0
    return _run


def test_the_seed_sentence_with_az_s_grammar_and_a_moving_clock(run) -> None:
    code, out, err = run("autoscale", "create", "web", "--min-count", "2", "--max-count", "4", "--count", "2")
    assert code == 0 and "Follow up with `autoscale rule create web`" in err
    assert json.loads(out)["profiles"][0]["capacity"] == {"default": "2", "maximum": "4", "minimum": "2"}
    code, _out, err = run("autoscale", "rule", "create", "web", "--condition", "Percentage CPU > 50 avg 5m",
                          "--scale", "out", "1", "-o", "none")
    assert code == 0 and "has rules to scale out but none to scale in" in err
    assert run("autoscale", "rule", "create", "web", "--condition", "Percentage CPU < 25 avg 5m",
               "--scale", "in", "1", "-o", "none")[0] == 0
    assert run("load", "web", "80", "-o", "none")[0] == 0
    assert run("emulator", "clock", "advance", "30m", "-o", "none")[0] == 0
    code, out, _ = run("autoscale", "history", "web", "-o", "json")
    outs = [(row["current"], row["target"]) for row in json.loads(out) if row["outcome"] == "ScaleOut"]
    assert outs == [(2, 3), (3, 4)]  # up to the maximum and no further
    code, out, _ = run("show", "web", "--query", "sku.capacity", "-o", "tsv")
    assert out.strip() == "4"
    assert run("load", "web", "5", "-o", "none")[0] == 0
    assert run("emulator", "clock", "advance", "30m", "-o", "none")[0] == 0
    code, out, _ = run("show", "web", "--query", "sku.capacity", "-o", "tsv")
    assert out.strip() == "2"
    code, out, _ = run("autoscale", "show", "web", "-o", "table")
    assert "Percentage CPU 5 < 25 fired, already at the minimum 2" in out and "Load     steady 5" in out


def test_the_rule_json_is_what_az_writes(run) -> None:
    run("autoscale", "create", "web", "--min-count", "1", "--max-count", "3", "--count", "1", "-o", "none")
    code, out, _ = run("autoscale", "rule", "create", "web", "--condition", "Percentage CPU > 70 avg 10m",
                       "--scale", "out", "20%", "--cooldown", "7", "-o", "json")
    rule = json.loads(out)["rule"]
    assert rule["scaleAction"] == {"direction": "Increase", "type": "PercentChangeCount", "value": "20",
                                   "cooldown": "PT7M"}
    assert rule["metricTrigger"]["timeWindow"] == "PT10M" and rule["metricTrigger"]["timeGrain"] == "PT1M"
    assert rule["metricTrigger"]["statistic"] == "Average" and rule["metricTrigger"]["operator"] == "GreaterThan"


@pytest.mark.parametrize("words, code, message", [
    (("autoscale", "show", "web"), 1, "has no autoscale setting"),
    (("autoscale", "rule", "create", "web", "--condition", "CPU high", "--scale", "out", "1"), 2, None),
    (("autoscale", "rule"), 2, "'autoscale rule' needs one of: create, delete, list"),
    (("load", "web", "120"), 2, "between 0 and 100"),
    (("load", "web", "--pattern", "zigzag 1..2 3m"), 2, "is not a load pattern"),
    (("emulator", "clock", "set", "2001-01-01T00:00:00Z"), 2, "only moves forward"),
    # refused here, before anything is stored: exit 2, as az refuses them before sending
    (("emulator", "clock", "set", "notatime"), 2, "is not a date-time"),
    (("clock", "set", "notatime"), 2, "is not a date-time"),
    (("autoscale", "simulate", "web", "--for", "30d"), 2, "at most 7d"),
    (("metrics", "web", "--interval", "7m"), 2, "Azure Monitor has no PT7M interval"),
    (("autoscale", "rule", "delete", "web", "--index", "9"), 2, "has no rule 9"),
    (("autoscale", "profile", "create", "web", "--name", "p", "--count", "2", "--start", "yesterday",
      "--end", "2026-12-26T00:00:00"), 2, "'yesterday' is not a date-time"),
    (("autoscale", "profile", "create", "web", "--name", "p", "--count", "2", "--recurrence", "week", "sat",
      "--timezone", "Mars/Olympus"), 2, "'Mars/Olympus' is not a time zone"),
])
def test_bad_input_is_one_line_with_the_right_exit_code(run, words, code, message) -> None:
    if words[:2] in (("autoscale", "rule"), ("autoscale", "profile")) and len(words) > 2:
        run("autoscale", "create", "web", "--count", "2", "-o", "none")
    got, _out, err = run(*words)
    lines = [line for line in err.splitlines() if line.startswith("ERROR")]
    assert got == code, err
    assert len(lines) == 1 and "Traceback" not in err
    if message:
        assert message in lines[0]


def test_a_second_setting_for_one_set_is_refused_and_nothing_changes(run) -> None:
    run("autoscale", "create", "web", "--count", "2", "-o", "none")
    code, _out, err = run("autoscale", "create", "web", "--count", "3", "--name", "other")
    assert code == 1 and "already has an autoscale setting" in err
    code, out, _ = run("autoscale", "show", "web", "--query", "profiles[0].capacity.default", "-o", "tsv")
    assert out.strip() == "2"


def test_simulate_changes_nothing(run) -> None:
    run("autoscale", "create", "web", "--min-count", "2", "--max-count", "6", "--count", "2", "-o", "none")
    run("autoscale", "rule", "create", "web", "--condition", "Percentage CPU > 50 avg 5m", "--scale", "out", "1",
        "-o", "none")
    code, out, _ = run("autoscale", "simulate", "web", "--pattern", "90", "--for", "1h", "-o", "json")
    assert code == 0 and any(row["outcome"] == "ScaleOut" for row in json.loads(out))
    code, out, _ = run("show", "web", "--query", "sku.capacity", "-o", "tsv")
    assert out.strip() == "2"
    assert json.loads(run("autoscale", "history", "web", "-o", "json")[1]) == []


def test_load_clear_ends_the_spike_and_the_overrides_too(run) -> None:
    assert run("load", "web", "30", "-o", "none")[0] == 0
    assert run("load", "web", "--spike", "95", "10m", "-o", "none")[0] == 0
    assert run("load", "web", "--instance", "0", "90", "-o", "none")[0] == 0
    code, out, err = run("load", "web", "--clear", "-o", "table")
    assert code == 0, err
    assert out.strip() == "web: steady 0"
    run("emulator", "clock", "advance", "3m", "-o", "none")
    series = json.loads(run("metrics", "web", "--since", "2m", "-o", "json")[1])["timeseries"]
    assert [point["average"] for point in series if point["average"] is not None][-1] == 0.0


def test_load_shows_a_spike_only_while_it_lasts(run) -> None:
    run("load", "web", "40", "-o", "none")
    run("load", "web", "--spike", "95", "10m", "-o", "none")
    assert run("load", "web", "-o", "table")[1].strip() == "web: steady 40; spike 95 for 10m"
    run("emulator", "clock", "advance", "11m", "-o", "none")
    assert run("load", "web", "-o", "table")[1].strip() == "web: steady 40"


def test_a27_create_with_only_a_count_is_a_fixed_profile_and_no_warning(run) -> None:
    code, out, err = run("autoscale", "create", "web", "--count", "2")
    assert code == 0 and "WARNING" not in err
    assert json.loads(out)["profiles"] == [{"name": "default", "rules": [],
                                            "capacity": {"default": "2", "minimum": "2", "maximum": "2"}}]


def test_rule_list_takes_the_indexes_rule_delete_takes(run) -> None:
    run("autoscale", "create", "web", "--min-count", "1", "--max-count", "4", "--count", "2", "-o", "none")
    for condition, scale in (("Percentage CPU > 70 avg 5m", "out 1"), ("Percentage CPU < 20 avg 5m", "in 1"),
                             ("Percentage CPU > 90 avg 5m", "to 4")):
        run("autoscale", "rule", "create", "web", "--condition", condition, "--scale", *scale.split(), "-o", "none")
    code, out, err = run("autoscale", "rule", "list", "web", "--index", "0", "2", "-o", "table")
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["0", "2"]
    assert "scale to 4" in out and "scale in 1" not in out
    code, _out, err = run("autoscale", "rule", "list", "web", "--index", "5")
    assert code == 2 and "has no rule 5" in err


def test_a_clock_advance_finishes_power_transitions_at_real_speed_too(run) -> None:
    assert run("stop", "web", "--speed", "real", "--no-wait", "-o", "none")[0] == 0
    query = ("list-instances", "web", "--speed", "real", "--query",
             "[].instanceView.statuses[?starts_with(code, 'PowerState/')].code[]", "-o", "json")
    assert set(json.loads(run(*query)[1])) == {"PowerState/stopping"}  # Azure's minutes, in real time
    assert run("emulator", "clock", "advance", "10m", "-o", "none")[0] == 0  # no one waited
    assert set(json.loads(run(*query)[1])) == {"PowerState/stopped"}


def test_a28_rule_create_without_cooldown_or_timegrain_takes_azs_defaults(run) -> None:
    run("autoscale", "create", "web", "--min-count", "1", "--max-count", "3", "--count", "1", "-o", "none")
    code, out, err = run("autoscale", "rule", "create", "web", "--condition", "Percentage CPU > 60 avg 5m",
                         "--scale", "out", "1", "-o", "json")
    assert code == 0, err
    rule = json.loads(out)["rule"]
    assert rule["scaleAction"]["cooldown"] == "PT5M"
    assert (rule["metricTrigger"]["timeGrain"], rule["metricTrigger"]["statistic"]) == ("PT1M", "Average")


def test_rule_list_json_is_azs_rules_with_their_index(run) -> None:
    run("autoscale", "create", "web", "--min-count", "1", "--max-count", "4", "--count", "2", "-o", "none")
    run("autoscale", "rule", "create", "web", "--condition", "Percentage CPU > 70 avg 5m", "--scale", "out", "1",
        "-o", "none")
    code, out, err = run("autoscale", "rule", "list", "web", "--query", "[].[index, scaleAction.direction]", "-o", "json")
    assert code == 0, err
    assert json.loads(out) == [[0, "Increase"]]  # as `az monitor autoscale rule list` prints a rule


def test_the_metrics_chart_draws_a_low_load_and_names_bytes_in_megabytes(run) -> None:
    run("load", "web", "2", "-o", "none")
    run("emulator", "clock", "advance", "10m", "-o", "none")
    code, out, err = run("metrics", "web", "--since", "5m", "-o", "table")
    assert code == 0, err
    header, bars, _times = out.splitlines()
    assert bars.strip() and set(bars) <= {"▁", "-"}  # 2 % is a floor line, not blank cells
    code, out, err = run("metrics", "web", "--metric", "Network In Total", "--since", "5m", "-o", "table")
    assert code == 0, err
    assert out.splitlines()[0].startswith("Network In Total (Bytes)  min 2.0 MB  max 2.0 MB  now 2.0 MB"), out
