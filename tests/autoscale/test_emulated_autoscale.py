"""Autoscale in the emulator: the seed's sentence end to end, driven by the clock, nothing sleeping.

Seed 001: "adds VMs up to a pre-defined limit when average CPU usage is >50% with a time granularity
of 1 minute over a sampling period of 5 minutes"; then load drops and it scales back in.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.domain.autoscale.engine import Outcome
from vmss_tui.domain.autoscale.load import parse_pattern, Spike
from vmss_tui.domain.models import OrchestrationMode, PowerAction, ScaleSetSpec

RG = "rg"
START = FakeClock().now()


def seed_rule(op: str, threshold: float, direction: str, cooldown: str = "PT5M") -> dict:
    return {"metricTrigger": {"metricName": "Percentage CPU", "metricResourceUri": "", "timeGrain": "PT1M",
                              "statistic": "Average", "timeWindow": "PT5M", "timeAggregation": "Average",
                              "operator": op, "threshold": threshold},
            "scaleAction": {"direction": direction, "type": "ChangeCount", "value": "1", "cooldown": cooldown}}


@pytest.fixture
def estate(tmp_path: Path):
    clock = FakeClock(START)
    backend = open_backend("emulator", db=tmp_path / "db", speed="fast", clock=clock)
    backend.create_or_update_resource_group(RG, "westeurope")
    backend.wait(backend.create_scale_set(ScaleSetSpec("web", RG, OrchestrationMode.UNIFORM, capacity=2)))
    clock.advance(120)
    from vmss_tui.backends.emulator.insights.service import InsightsService
    insights = getattr(backend, "insights", None) or InsightsService(backend.ctx, backend.compute.scale_within)
    set_id = backend.get_scale_set(RG, "web").id
    body = {"location": "westeurope", "properties": {
        "targetResourceUri": set_id, "enabled": True,
        "profiles": [{"name": "default", "capacity": {"minimum": "2", "maximum": "5", "default": "2"},
                      "rules": [{**seed_rule("GreaterThan", 50, "Increase"),
                                 "metricTrigger": {**seed_rule("GreaterThan", 50, "Increase")["metricTrigger"],
                                                   "metricResourceUri": set_id}},
                                {**seed_rule("LessThan", 25, "Decrease"),
                                 "metricTrigger": {**seed_rule("LessThan", 25, "Decrease")["metricTrigger"],
                                                   "metricResourceUri": set_id}}]}]}}
    insights.put_autoscale_setting(RG, "web-autoscale", body)
    yield backend, insights, clock
    backend.close()


def capacity(backend) -> int:
    return len([i for i in backend.list_instances(RG, "web") if i.provisioning_state.value != "Deleting"])


def test_cpu_above_50_adds_vms_up_to_the_maximum_then_scales_back_in(estate) -> None:
    backend, insights, clock = estate
    insights.set_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("80", now)))
    clock.advance(6 * 60)  # five minutes of 80 % fill the window; the first scale-out is due
    insights.catch_up_scale_set(RG, "web")
    assert capacity(backend) == 3
    clock.advance(60 * 60)
    insights.catch_up_scale_set(RG, "web")
    assert capacity(backend) == 5  # the maximum, never above
    runs = insights.autoscale_history(RG, "web-autoscale")
    outs = [r for r in runs if r.outcome is Outcome.SCALE_OUT]
    assert [(r.current, r.target) for r in outs] == [(2, 3), (3, 4), (4, 5)]
    # the first run's 5-minute window still holds one minute from before the load: (0 + 4 x 80) / 5 = 64
    assert [r.reason.split(":")[0] for r in outs] == ["Percentage CPU 64 > 50", "Percentage CPU 80 > 50",
                                                      "Percentage CPU 80 > 50"]
    gaps = [(b.at - a.at) for a, b in zip(outs, outs[1:])]
    assert all(gap >= timedelta(minutes=5) for gap in gaps)  # the cooldown held each next one

    insights.set_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("10", now)))
    clock.advance(60 * 60)
    insights.catch_up_scale_set(RG, "web")
    assert capacity(backend) == 2, [(r.at.time(), r.outcome, r.reason) for r in insights.autoscale_history(RG, 'web-autoscale')][-6:]  # back to the minimum
    ins = [r for r in insights.autoscale_history(RG, "web-autoscale") if r.outcome is Outcome.SCALE_IN]
    assert [(r.current, r.target) for r in ins] == [(5, 4), (4, 3), (3, 2)]


def test_a_manual_scale_outside_min_max_is_undone_at_the_next_run(estate) -> None:
    backend, insights, clock = estate
    backend.wait(backend.set_capacity(RG, "web", 9))
    clock.advance(90)
    insights.catch_up_scale_set(RG, "web")
    assert capacity(backend) == 5
    assert insights.autoscale_history(RG, "web-autoscale")[-1].outcome is Outcome.MIN_MAX


def test_instances_that_are_creating_or_stopped_add_no_load(estate) -> None:
    backend, insights, clock = estate
    insights.set_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("80", now)))
    backend.wait(backend.power_action(RG, "web", PowerAction.POWER_OFF, ["0", "1"]))
    clock.advance(10 * 60)
    insights.catch_up_scale_set(RG, "web")
    assert capacity(backend) == 2  # nothing ran: metrics are missing, and 2 is the default
    last = insights.last_evaluation(RG, "web-autoscale")
    assert last.outcome is Outcome.METRICS_MISSING


def test_another_process_reads_the_same_history(estate, tmp_path: Path) -> None:
    backend, insights, clock = estate
    insights.set_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("80", now)))
    clock.advance(20 * 60)
    other = open_backend("emulator", db=tmp_path / "db", speed="fast", clock=clock)
    from vmss_tui.backends.emulator.insights.service import InsightsService
    other_insights = getattr(other, "insights", None) or InsightsService(other.ctx, other.compute.scale_within)
    first = [(r.at, r.target) for r in other_insights.autoscale_history(RG, "web-autoscale")]
    second = [(r.at, r.target) for r in insights.autoscale_history(RG, "web-autoscale")]
    assert first == second and first
    other.close()


def test_one_setting_per_scale_set(estate) -> None:
    backend, insights, clock = estate
    existing = insights.get_autoscale_setting(RG, "web-autoscale")
    from vmss_tui.arm.insights import AutoscaleBadRequest, setting_to_arm
    body = setting_to_arm(existing, resource_id="/x")
    with pytest.raises(AutoscaleBadRequest, match="already has an autoscale setting"):
        insights.put_autoscale_setting(RG, "second", body)


def test_a_spike_shows_in_the_metrics(estate) -> None:
    backend, insights, clock = estate
    insights.set_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("20", now))
                      .with_spike(Spike(95, now + 120, 120)))
    clock.advance(6 * 60)
    now = clock.now().timestamp()
    series = insights.metric_series(RG, "web", "Percentage CPU", start=now - 360, end=now)
    values = [v for _at, v in series]
    assert 95 in values and 20 in values


def test_a_scale_out_refused_by_quota_is_recorded_and_changes_nothing(estate) -> None:
    backend, insights, clock = estate
    backend.set_quota("westeurope", "standardDSv3Family", 4)  # two D2s v3 already use all four vCPUs
    insights.set_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("80", now)))
    clock.advance(6 * 60)
    insights.catch_up_scale_set(RG, "web")
    assert capacity(backend) == 2
    failed = [r for r in insights.autoscale_history(RG, "web-autoscale") if r.outcome is Outcome.SCALE_FAILED]
    assert failed and "QuotaExceeded" in failed[0].reason


def test_a_metric_the_emulator_does_not_produce_reads_as_missing_and_reads_keep_working(estate) -> None:
    backend, insights, clock = estate
    setting = insights.get_autoscale_setting(RG, "web-autoscale")
    from vmss_tui.arm.insights import setting_to_arm
    body = setting_to_arm(setting, resource_id="/x")
    for rule in body["properties"]["profiles"][0]["rules"]:
        rule["metricTrigger"]["metricName"] = "Queue Depth"
    insights.put_autoscale_setting(RG, "web-autoscale", body)
    clock.advance(10 * 60)
    assert len(backend.list_instances(RG, "web")) == 2  # before: InvalidParameter on every read of the set
    assert insights.last_evaluation(RG, "web-autoscale").outcome is Outcome.METRICS_MISSING


def test_metrics_over_a_long_window_that_starts_while_instances_were_created(estate) -> None:
    backend, insights, clock = estate
    insights.set_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("50", now)))
    clock.advance(3 * 86400)
    now = clock.now().timestamp()
    series = insights.metric_series(RG, "web", "Percentage CPU", start=now - 3 * 86400 - 600, end=now,
                                    interval=3600.0)
    assert len(series) == 73 and series[-1][1] == 50.0
    assert 0 < series[0][1] < 50  # the first hour holds the minutes before the load was set (0 %)


def test_a29_a_flexible_set_autoscales_too(tmp_path: Path) -> None:
    clock = FakeClock(START)
    backend = open_backend("emulator", db=tmp_path / "flex", speed="fast", clock=clock)
    backend.create_or_update_resource_group(RG, "westeurope")
    backend.wait(backend.create_scale_set(ScaleSetSpec("pool", RG, OrchestrationMode.FLEXIBLE, capacity=2)))
    clock.advance(120)
    target = backend.get_scale_set(RG, "pool").id
    body = {"location": "westeurope", "properties": {"targetResourceUri": target, "profiles": [{
        "name": "default", "capacity": {"minimum": "2", "maximum": "4", "default": "2"},
        "rules": [{**seed_rule("GreaterThan", 50, "Increase"),
                   "metricTrigger": {**seed_rule("GreaterThan", 50, "Increase")["metricTrigger"],
                                     "metricResourceUri": target}}]}]}}
    backend.put_autoscale_setting(RG, "pool-autoscale", body)
    backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("90", now)))
    clock.advance(30 * 60)
    vms = [i for i in backend.list_instances(RG, "pool") if i.provisioning_state.value != "Deleting"]
    assert len(vms) == 4  # new VMs named by the set's prefix, as Azure's autoscale names them [ORCH]
    outs = [r for r in backend.autoscale_history(RG, "pool-autoscale") if r.outcome is Outcome.SCALE_OUT]
    assert [(r.current, r.target) for r in outs] == [(2, 3), (3, 4)]
    backend.close()


def _estate_with(tmp_path: Path, mode: OrchestrationMode, capacity: int, policy=None, *, maximum: int = 6):
    """A set of `capacity` running instances under the seed's two rules (min 2, max `maximum`)."""
    from vmss_tui.domain.models import ScaleInRule
    clock = FakeClock(START)
    backend = open_backend("emulator", db=tmp_path / "db", speed="fast", clock=clock)
    backend.create_or_update_resource_group(RG, "westeurope")
    backend.wait(backend.create_scale_set(ScaleSetSpec("pool", RG, mode, capacity=capacity,
                                                       scale_in_policy=policy or ScaleInRule.DEFAULT)))
    clock.advance(120)
    target = backend.get_scale_set(RG, "pool").id
    rules = []
    for op, threshold, direction in (("GreaterThan", 50, "Increase"), ("LessThan", 25, "Decrease")):
        rule = seed_rule(op, threshold, direction)
        rules.append({**rule, "metricTrigger": {**rule["metricTrigger"], "metricResourceUri": target}})
    backend.put_autoscale_setting(RG, "pool-autoscale", {"location": "westeurope", "properties": {
        "targetResourceUri": target, "profiles": [{
            "name": "default", "capacity": {"minimum": "2", "maximum": str(maximum), "default": "2"},
            "rules": rules}]}})
    return backend, clock


def _live(backend) -> list[str]:
    return sorted((i.instance_id for i in backend.list_instances(RG, "pool")
                   if i.provisioning_state.value != "Deleting"), key=lambda i: (len(i), i))


def test_autoscale_scale_in_skips_an_instance_protected_from_scale_in(tmp_path: Path) -> None:
    backend, clock = _estate_with(tmp_path, OrchestrationMode.UNIFORM, 4)
    backend.set_protection(RG, "pool", ["3"], protect_from_scale_in=True)
    backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("10", now)))
    clock.advance(60 * 60)
    assert _live(backend) == ["0", "3"]  # highest ids first [TUT-AS-CLI], but never the protected one
    ins = [r for r in backend.autoscale_history(RG, "pool-autoscale") if r.outcome is Outcome.SCALE_IN]
    assert [(r.current, r.target) for r in ins] == [(4, 3), (3, 2)]
    backend.close()


def test_autoscale_scale_in_follows_the_sets_scale_in_policy(tmp_path: Path) -> None:
    from vmss_tui.domain.models import ScaleInRule
    backend, clock = _estate_with(tmp_path, OrchestrationMode.UNIFORM, 2, ScaleInRule.OLDEST_VM)
    backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("80", now)))
    clock.advance(30 * 60)
    assert _live(backend) == ["0", "1", "2", "3", "4", "5"]  # scaled out to the maximum
    backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("5", now)))
    clock.advance(60 * 60)
    assert _live(backend) == ["4", "5"]  # OldestVM: the two newest are kept
    backend.close()


def test_the_seed_sentence_on_a_flexible_set_out_to_the_maximum_and_back_in(tmp_path: Path) -> None:
    from vmss_tui.domain.models import ScaleInRule
    backend, clock = _estate_with(tmp_path, OrchestrationMode.FLEXIBLE, 2, ScaleInRule.NEWEST_VM, maximum=4)
    first = _live(backend)
    backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("80", now)))
    clock.advance(30 * 60)
    assert len(_live(backend)) == 4
    backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("5", now)))
    clock.advance(30 * 60)
    assert _live(backend) == first  # NewestVM: the VMs autoscale added are the ones removed
    runs = [(r.outcome, r.current, r.target) for r in backend.autoscale_history(RG, "pool-autoscale")
            if r.outcome in (Outcome.SCALE_OUT, Outcome.SCALE_IN)]
    assert runs == [(Outcome.SCALE_OUT, 2, 3), (Outcome.SCALE_OUT, 3, 4), (Outcome.SCALE_IN, 4, 3),
                    (Outcome.SCALE_IN, 3, 2)]
    backend.close()
