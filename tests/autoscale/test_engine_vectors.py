"""The autoscale engine against the specification's test vectors (seed-features.md §A.6), one test each.

S1 is the quickstart's setting: min 1, max 10, default 1; R+ = CPU avg > 60 over PT5M, +1, cooldown
PT1M; R- = CPU < 30, -1, cooldown PT5M [TPL-AUTO].
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from vmss_tui.domain.autoscale.engine import Outcome, active_profile, evaluate
from vmss_tui.domain.autoscale.metrics import metric_value
from vmss_tui.domain.autoscale.model import (
    AutoscaleSetting, Capacity, ComparisonOperator, FixedDate, MetricStatistic, MetricTrigger, Profile,
    Recurrence, ScaleAction, ScaleDirection, ScaleRule, ScaleType, TimeAggregation,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)  # a Monday
TARGET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
OPS = {">": ComparisonOperator.GREATER_THAN, ">=": ComparisonOperator.GREATER_THAN_OR_EQUAL,
       "<": ComparisonOperator.LESS_THAN, "<=": ComparisonOperator.LESS_THAN_OR_EQUAL}


def rule(metric: str, op: str, threshold: float, direction: str, value: int, *, kind: str = "ChangeCount",
         cooldown: float = 300, per_instance: bool = False) -> ScaleRule:
    trigger = MetricTrigger(metric, TARGET, 60, MetricStatistic.AVERAGE, 300, TimeAggregation.AVERAGE, OPS[op],
                            threshold, divide_per_instance=per_instance)
    action = ScaleAction(ScaleDirection.INCREASE if direction == "out" else ScaleDirection.DECREASE,
                         ScaleType(kind), value, cooldown)
    return ScaleRule(trigger, action)


def setting(*rules: ScaleRule, minimum: int = 1, maximum: int = 10, default: int = 1, enabled: bool = True,
            extra: tuple[Profile, ...] = ()) -> AutoscaleSetting:
    profile = Profile("default", Capacity(minimum, maximum, default), tuple(rules))
    return AutoscaleSetting("web-autoscale", TARGET, extra + (profile,), enabled=enabled)


R_OUT = rule("Percentage CPU", ">", 60, "out", 1, cooldown=60)
R_IN = rule("Percentage CPU", "<", 30, "in", 1, cooldown=300)
S1 = setting(R_OUT, R_IN)


def run(s: AutoscaleSetting, current: int, metrics: dict[str, float | None], *, last_scale_at=None, now=NOW):
    return evaluate(s, now=now, current=current, last_scale_at=last_scale_at,
                    read_metric=lambda trigger: metrics.get(trigger.metric_name))


def test_a1_cpu_above_the_threshold_adds_one() -> None:
    result = run(S1, 2, {"Percentage CPU": 75})
    assert (result.target, result.outcome) == (3, Outcome.SCALE_OUT)
    assert "Percentage CPU 75 > 60: 2 -> 3" in result.reason


def test_a2_at_the_maximum_nothing_changes() -> None:
    result = run(S1, 10, {"Percentage CPU": 90})
    assert (result.target, result.outcome) == (10, Outcome.AT_LIMIT)


def test_a3_between_the_thresholds_nothing_changes() -> None:
    result = run(S1, 2, {"Percentage CPU": 45})
    assert (result.target, result.outcome) == (2, Outcome.NO_RULE_FIRED)


def test_a4_scale_in_when_the_estimate_stays_below_the_scale_out_threshold() -> None:
    result = run(S1, 3, {"Percentage CPU": 25})  # 25 x 3 / 2 = 37.5, not > 60
    assert (result.target, result.outcome) == (2, Outcome.SCALE_IN)


def test_a5_at_the_minimum_nothing_changes() -> None:
    result = run(S1, 1, {"Percentage CPU": 10})
    assert (result.target, result.outcome) == (1, Outcome.AT_LIMIT)


def test_a6_a_manual_scale_to_zero_is_undone_to_the_minimum() -> None:
    result = run(S1, 0, {"Percentage CPU": 99})
    assert (result.target, result.outcome) == (1, Outcome.MIN_MAX)


def test_a7_a_manual_scale_above_the_maximum_is_undone() -> None:
    result = run(S1, 12, {"Percentage CPU": 70})
    assert (result.target, result.outcome) == (10, Outcome.MIN_MAX)


def test_a8_two_scale_out_rules_take_the_highest() -> None:
    s = setting(rule("Percentage CPU", ">", 60, "out", 3), rule("Network In Total", ">", 10, "out", 5), maximum=20)
    result = run(s, 4, {"Percentage CPU": 70, "Network In Total": 20})
    assert (result.target, result.outcome) == (9, Outcome.SCALE_OUT)


def test_a9_count_and_percent_take_the_higher_count() -> None:
    s = setting(rule("Percentage CPU", ">", 60, "out", 3),
                rule("Network In Total", ">", 10, "out", 15, kind="PercentChangeCount"), maximum=100)
    result = run(s, 40, {"Percentage CPU": 70, "Network In Total": 20})
    assert result.target == 46


def test_a10_two_scale_in_rules_take_the_larger_result() -> None:
    s = setting(rule("Percentage CPU", "<", 30, "in", 50, kind="PercentChangeCount"),
                rule("Available Memory Bytes", ">", 100, "in", 3), maximum=20)
    result = run(s, 10, {"Percentage CPU": 10, "Available Memory Bytes": 500})
    assert (result.target, result.outcome) == (7, Outcome.SCALE_IN)


def test_a11_scale_in_needs_every_scale_in_rule() -> None:
    s = setting(rule("Percentage CPU", "<", 30, "in", 1), rule("Memory", "<", 50, "in", 1))
    result = run(s, 5, {"Percentage CPU": 25, "Memory": 51})
    assert (result.target, result.outcome) == (5, Outcome.NO_RULE_FIRED)
    assert "scale-in needs every scale-in rule" in result.reason


def test_a12_both_scale_in_rules_fire() -> None:
    s = setting(rule("Percentage CPU", "<", 30, "in", 1), rule("Memory", "<", 50, "in", 1))
    assert run(s, 5, {"Percentage CPU": 29, "Memory": 49}).target == 4


def test_a13_any_scale_out_rule_is_enough() -> None:
    s = setting(rule("Percentage CPU", ">", 75, "out", 1), rule("Memory", ">", 75, "out", 1))
    assert run(s, 2, {"Percentage CPU": 76, "Memory": 50}).outcome is Outcome.SCALE_OUT


def test_a14_a_scale_in_that_would_flap_is_skipped() -> None:
    s = setting(rule("Threads", ">=", 600, "out", 1), rule("Threads", "<", 600, "in", 1))
    result = run(s, 3, {"Threads": 1250 / 3})  # 416.7 per instance; on 2 it would be 625 >= 600
    assert (result.target, result.outcome) == (3, Outcome.FLAPPING)
    assert "x 3 / 2 = 625 would fire >= 600" in result.reason


def test_a15_skip_at_60_then_scale_in_at_50() -> None:
    s = setting(rule("Percentage CPU", ">=", 80, "out", 1), rule("Percentage CPU", "<=", 60, "in", 1))
    assert run(s, 3, {"Percentage CPU": 60}).outcome is Outcome.FLAPPING  # 60 x 3 / 2 = 90 >= 80
    assert run(s, 3, {"Percentage CPU": 50}).target == 2  # 75 < 80


def test_a16_a_partial_scale_in_to_the_nearest_count_that_does_not_flap() -> None:
    s = setting(rule("Percentage CPU", ">", 70, "out", 1),
                rule("Requests", "<=", 50, "in", 10, per_instance=True), maximum=40)
    result = run(s, 30, {"Percentage CPU": 65, "Requests": 50})
    # 65 x 30 / k > 70 for k <= 27, so the nearest safe count to 20 is 28 (the doc's own numbers give 27).
    assert (result.target, result.outcome) == (28, Outcome.FLAPPING_OCCURRED)
    assert "30 -> 28, not 20" in result.reason


def test_a17_cooldown_holds_a_second_scale_out() -> None:
    s = setting(rule("Percentage CPU", ">", 60, "out", 1, cooldown=300))
    held = run(s, 3, {"Percentage CPU": 90}, last_scale_at=NOW - timedelta(minutes=3))
    assert (held.target, held.outcome) == (3, Outcome.COOLDOWN)
    assert "cooldown has 2m left" in held.reason
    assert run(s, 3, {"Percentage CPU": 90}, last_scale_at=NOW - timedelta(minutes=5)).target == 4


def test_a18_missing_metrics_below_the_default_scale_to_the_default() -> None:
    result = run(setting(R_OUT, R_IN, default=3), 1, {})
    assert (result.target, result.outcome) == (3, Outcome.DEFAULT_CAPACITY)


def test_a19_missing_metrics_above_the_default_never_scale_in() -> None:
    result = run(setting(R_OUT, R_IN, default=3), 5, {})
    assert (result.target, result.outcome) == (5, Outcome.METRICS_MISSING)


def test_a20_disabled_does_nothing() -> None:
    result = run(setting(R_OUT, R_IN, enabled=False), 2, {"Percentage CPU": 99})
    assert (result.target, result.outcome) == (2, Outcome.DISABLED)


def test_a21_a_fixed_date_profile_wins_over_the_default() -> None:
    fixed = Profile("launch", Capacity(6, 10, 6), (R_OUT,),
                    fixed_date=FixedDate(datetime(2026, 11, 30, 0, 0), datetime(2026, 12, 1, 0, 0), "UTC"))
    result = run(setting(R_OUT, minimum=2, extra=(fixed,)), 2, {"Percentage CPU": 40})
    assert (result.profile, result.target, result.outcome) == ("launch", 6, Outcome.MIN_MAX)


def test_a22_after_a_weekend_recurrence_ends_its_paired_default_applies() -> None:
    weekend = Profile("weekend", Capacity(1, 3, 1), (),
                      recurrence=Recurrence("Pacific Standard Time", ("Saturday", "Sunday"), (6,), (0,)))
    paired = Profile('{"name": "default", "for": "weekend"}', Capacity(2, 10, 2), (),
                     recurrence=Recurrence("Pacific Standard Time", ("Saturday", "Sunday"), (19,), (0,)))
    s = AutoscaleSetting("a", TARGET, (weekend, paired, Profile("default", Capacity(2, 10, 2))))
    saturday_8pm_pacific = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)  # Sat 20:00 PST = Sun 04:00 UTC
    assert active_profile(s, saturday_8pm_pacific).name == paired.name
    saturday_noon_pacific = datetime(2026, 12, 5, 20, 0, tzinfo=timezone.utc)
    assert active_profile(s, saturday_noon_pacific).name == "weekend"


def test_a25_a_queue_metric_is_divided_per_instance() -> None:
    trigger = MetricTrigger("Messages", TARGET, 60, MetricStatistic.SUM, 300, TimeAggregation.AVERAGE,
                            ComparisonOperator.GREATER_THAN_OR_EQUAL, 50, divide_per_instance=True)
    samples = {"queue": [(NOW.timestamp() - 60 * i, 50.0) for i in range(1, 6)]}
    assert metric_value(trigger, samples, NOW.timestamp(), 2) == 25  # no scale-out
    samples = {"queue": [(NOW.timestamp() - 60 * i, 100.0) for i in range(1, 6)]}
    assert metric_value(trigger, samples, NOW.timestamp(), 2) == 50  # scale-out


@pytest.mark.parametrize("aggregation, expected", [
    (TimeAggregation.AVERAGE, 50.0), (TimeAggregation.MINIMUM, 30.0), (TimeAggregation.MAXIMUM, 70.0),
    (TimeAggregation.TOTAL, 250.0), (TimeAggregation.LAST, 70.0), (TimeAggregation.COUNT, 5.0),
])
def test_grains_average_the_instances_then_the_window_aggregates_the_grains(aggregation, expected) -> None:
    trigger = MetricTrigger("Percentage CPU", TARGET, 60, MetricStatistic.AVERAGE, 300, aggregation,
                            ComparisonOperator.GREATER_THAN, 50)
    now = NOW.timestamp()
    # two instances; per minute their average is 30, 40, 50, 60, 70 (oldest first)
    samples = {"0": [(now - 300 + 60 * i, 20.0 + 10 * i) for i in range(5)],
               "1": [(now - 300 + 60 * i, 40.0 + 10 * i) for i in range(5)],
               "old": [(now - 900, 1000.0)]}  # outside the window: ignored
    assert metric_value(trigger, samples, now, 2) == expected


def test_an_empty_window_is_missing_not_zero() -> None:
    trigger = R_OUT.metric_trigger
    assert metric_value(trigger, {"0": [(NOW.timestamp() - 3600, 90.0)]}, NOW.timestamp(), 1) is None


def test_a26_az_scale_grammar() -> None:
    from vmss_tui.domain.autoscale.grammar import parse_scale
    assert parse_scale("to 5") == (ScaleDirection.NONE, ScaleType.EXACT_COUNT, 5)
    assert parse_scale("out 10%") == (ScaleDirection.INCREASE, ScaleType.PERCENT_CHANGE_COUNT, 10)
    assert parse_scale("in 2") == (ScaleDirection.DECREASE, ScaleType.CHANGE_COUNT, 2)
    with pytest.raises(Exception, match=r"usage error: --scale \{in,out,to\} VALUE\[%\]"):
        parse_scale("up 2")


def test_an_exact_count_rule_scales_towards_its_count_either_way() -> None:
    exact = ScaleRule(R_OUT.metric_trigger, ScaleAction(ScaleDirection.NONE, ScaleType.EXACT_COUNT, 5, 60))
    assert run(setting(exact), 2, {"Percentage CPU": 90}).target == 5
    assert run(setting(exact), 8, {"Percentage CPU": 90}).target == 5


def test_a28_condition_and_timegrain_defaults_read_as_az_writes_them() -> None:
    from vmss_tui.domain.autoscale.grammar import parse_condition, parse_timegrain
    condition = parse_condition("Percentage CPU > 50 avg 5m")
    assert (condition.metric_name, condition.operator, condition.threshold, condition.time_window) == (
        "Percentage CPU", ComparisonOperator.GREATER_THAN, 50.0, 300)
    assert condition.time_aggregation is TimeAggregation.AVERAGE
    assert parse_timegrain("avg 1m") == (MetricStatistic.AVERAGE, 60)


@pytest.mark.parametrize("text, named", [("Percentage CPU 50", "Percentage CPU 50"),
                                         ("Percentage CPU > 50 avg", "Percentage CPU > 50 avg"),
                                         ("Percentage CPU > 50 mean 5m", "'mean' is not an aggregation"),
                                         ("Percentage CPU > 50 avg 5x", "'5x' is not a period")])
def test_a_bad_condition_is_one_line_naming_the_problem(text: str, named: str) -> None:
    from vmss_tui.domain.autoscale.grammar import parse_condition
    from vmss_tui.domain.errors import InvalidParameter
    with pytest.raises(InvalidParameter) as caught:
        parse_condition(text)
    assert "\n" not in str(caught.value) and named in str(caught.value)
