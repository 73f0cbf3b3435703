"""The live adapter's Autoscale capability (azure-mgmt-monitor) over HTTPS against the emulator's endpoint.

The same contract the emulator keeps: a setting created, a rule added, read back; metrics after a load
and a clock advance; what autoscale did, read back from the activity log; a dry run on Azure Monitor's
metrics. The emulator runs on a FakeClock that the adapter reads too, so nothing sleeps.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from vmss_tui.arm.insights import AutoscaleBadRequest
from vmss_tui.backends.protocol import Autoscale
from vmss_tui.domain import errors
from vmss_tui.domain.autoscale.engine import Outcome
from vmss_tui.domain.autoscale.model import ComparisonOperator, MetricStatistic, ScaleDirection

from .test_autoscale_endpoint import RG, Estate, cpu_rule, estate, setting_body  # noqa: F401 (fixture)


def with_rule(body: dict, rule: dict) -> dict:
    """What `az monitor autoscale rule create` PUTs: the setting as read, one rule appended."""
    changed = copy.deepcopy(body)
    changed["properties"]["profiles"][0]["rules"].append(rule)
    return changed


def test_the_adapter_is_an_autoscale_backend(estate: Estate) -> None:
    adapter = estate.adapter()
    try:
        assert isinstance(adapter, Autoscale)
    finally:
        adapter.close()


def test_create_a_setting_add_a_rule_and_read_it_back(estate: Estate) -> None:
    adapter = estate.adapter()
    try:
        body = setting_body(estate.set_id)
        created, was_new = adapter.put_autoscale_setting(RG, "web-autoscale", body)
        assert was_new and created.profiles[0].rules == ()
        updated, was_new = adapter.put_autoscale_setting(RG, "web-autoscale", with_rule(body, cpu_rule(estate.set_id)))
        assert not was_new
        read = adapter.get_autoscale_setting(RG, "web-autoscale")
        assert read == updated == estate.emulator.get_autoscale_setting(RG, "web-autoscale")
        trigger = read.profiles[0].rules[0].metric_trigger
        assert (trigger.metric_name, trigger.operator, trigger.threshold, trigger.time_window) == (
            "Percentage CPU", ComparisonOperator.GREATER_THAN, 50.0, 300.0)
        assert read.profiles[0].rules[0].scale_action.direction is ScaleDirection.INCREASE
        assert read.resource_group == RG and read.target == (RG, "web")
        assert adapter.autoscale_setting_for(RG, "WEB") == read
        assert adapter.autoscale_setting_for(RG, "other") is None
        assert [s.name for s in adapter.list_autoscale_settings()] == ["web-autoscale"]
    finally:
        adapter.close()


def test_a_setting_azure_would_refuse_is_refused_before_anything_is_sent(estate: Estate) -> None:
    adapter = estate.adapter()
    try:
        before = estate.server.app.requests_served
        with pytest.raises(AutoscaleBadRequest, match="at most 10"):
            adapter.put_autoscale_setting(RG, "web-autoscale", setting_body(estate.set_id, [cpu_rule(estate.set_id)] * 11))
        assert estate.server.app.requests_served == before
    finally:
        adapter.close()


def test_azures_own_refusal_comes_back_as_a_domain_error_with_its_code(estate: Estate) -> None:
    adapter = estate.adapter()
    try:
        adapter.put_autoscale_setting(RG, "first", setting_body(estate.set_id))
        with pytest.raises(errors.AzureError) as refused:
            adapter.put_autoscale_setting(RG, "second", setting_body(estate.set_id))
        assert refused.value.code == "BadRequest" and "already has an autoscale setting" in refused.value.message
    finally:
        adapter.close()


def test_delete_then_reads_say_not_found(estate: Estate) -> None:
    adapter = estate.adapter()
    try:
        adapter.put_autoscale_setting(RG, "web-autoscale", setting_body(estate.set_id))
        adapter.delete_autoscale_setting(RG, "web-autoscale")
        assert estate.emulator.list_autoscale_settings(RG) == []
        with pytest.raises(errors.ResourceNotFound):
            adapter.get_autoscale_setting(RG, "web-autoscale")
        with pytest.raises(errors.ResourceNotFound):
            adapter.delete_autoscale_setting(RG, "web-autoscale")
    finally:
        adapter.close()


def test_read_only_mode_sends_no_autoscale_write(estate: Estate) -> None:
    adapter = estate.adapter(read_only=True)
    try:
        with pytest.raises(errors.ReadOnlyMode):
            adapter.put_autoscale_setting(RG, "web-autoscale", setting_body(estate.set_id))
        assert estate.emulator.list_autoscale_settings(RG) == []
    finally:
        adapter.close()


def test_metrics_after_a_load_and_a_clock_advance(estate: Estate) -> None:
    estate.load("65")
    estate.clock.advance(8 * 60)
    now = estate.clock.now()
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=6)
    adapter = estate.adapter()
    try:
        read = adapter.metric_series(RG, "web", "Percentage CPU", start=start, end=end)
        assert read == estate.emulator.metric_series(RG, "web", "Percentage CPU", start=start, end=end)
        assert [value for _at, value in read[-3:]] == [65.0, 65.0, 65.0]
        counts = adapter.metric_series(RG, "web", "Percentage CPU", start=start, end=end,
                                       statistic=MetricStatistic.COUNT)
        assert [value for _at, value in counts[-3:]] == [2.0, 2.0, 2.0]
        with pytest.raises(errors.InvalidParameter, match="PT5M"):
            adapter.metric_series(RG, "web", "Percentage CPU", start=start, end=end, interval=120)
    finally:
        adapter.close()


def test_history_from_the_activity_log_matches_what_the_engine_did(estate: Estate) -> None:
    body = setting_body(estate.set_id, [cpu_rule(estate.set_id), cpu_rule(estate.set_id, "LessThan", 25, "Decrease")])
    estate.emulator.put_autoscale_setting(RG, "web-autoscale", body)
    estate.load("80")
    estate.clock.advance(12 * 60)
    adapter = estate.adapter()
    try:
        history = adapter.autoscale_history(RG, "web-autoscale")
        engine = [r for r in estate.emulator.autoscale_history(RG, "web-autoscale") if r.acted]
        assert [(r.at, r.current, r.target, r.outcome) for r in history] == [
            (r.at, r.current, r.target, Outcome.SCALE_OUT) for r in engine]
        assert [(r.current, r.target) for r in history] == [(2, 3), (3, 4)]
        assert "from 2 instances count to 3 instances count" in history[0].reason
        later = adapter.autoscale_history(RG, "web-autoscale", since=history[1].at)
        assert [(r.current, r.target) for r in later] == [(3, 4)]
    finally:
        adapter.close()


def test_status_is_a_dry_run_on_azure_monitors_metrics(estate: Estate) -> None:
    body = setting_body(estate.set_id, [cpu_rule(estate.set_id, threshold=60),
                                        cpu_rule(estate.set_id, "LessThan", 25, "Decrease")])
    estate.emulator.put_autoscale_setting(RG, "web-autoscale", body)
    estate.load("40")
    estate.clock.advance(10 * 60)
    adapter = estate.adapter()
    try:
        status = adapter.autoscale_status(RG, "web")  # by the scale set's name, as the pane asks
        assert status.setting.name == "web-autoscale" and status.capacity == 2
        assert status.now.outcome is Outcome.NO_RULE_FIRED
        assert [reading.value for reading in status.now.readings] == [40.0, 40.0]
        assert status.last is None and status.cooldown_left == 0.0
        estate.load("75")
        estate.clock.advance(6 * 60)
        estate.emulator.list_instances(RG, "web")
        later = adapter.autoscale_status(RG, "web-autoscale")
        assert later.last is not None and later.last.outcome is Outcome.SCALE_OUT
        assert later.capacity == 3 and later.cooldown_left > 0
    finally:
        adapter.close()


def test_status_says_there_is_no_dry_run_when_the_metrics_cannot_be_read(estate: Estate) -> None:
    rule = cpu_rule(estate.set_id)
    rule["metricTrigger"]["metricName"] = "Queue Depth"
    estate.emulator.put_autoscale_setting(RG, "web-autoscale", setting_body(estate.set_id, [rule]))
    adapter = estate.adapter()
    try:
        status = adapter.autoscale_status(RG, "web-autoscale")
        assert status.now.outcome is Outcome.METRICS_MISSING
        assert status.now.reason.startswith("no dry run: Azure Monitor's metrics could not be read (Queue Depth:")
    finally:
        adapter.close()


def test_throttling_of_an_autoscale_write_is_reported_and_retried(estate: Estate) -> None:
    notices: list[str] = []
    adapter = estate.adapter(retry_total=2, notice=notices.append)
    try:
        estate.server.settings.throttle_retry_after = 0
        estate.server.settings.throttle_next = 1
        _setting, created = adapter.put_autoscale_setting(RG, "web-autoscale", setting_body(estate.set_id))
        assert created and estate.emulator.get_autoscale_setting(RG, "web-autoscale").name == "web-autoscale"
        assert notices and "429" in notices[0]
    finally:
        adapter.close()


def test_the_autoscale_commands_work_on_the_live_adapter(estate: Estate, capsys: pytest.CaptureFixture[str]) -> None:
    """`--backend azure`: create, rule create, show (with its dry run) and history, as on a real subscription."""
    import json

    from vmss_tui.armserver.authority import attach_authority
    from vmss_tui.cli import main

    attach_authority(estate.server.settings, estate.server.ca_path.parent)
    azure = ["--backend", "azure", "--auth", "emulator", "--base-url", estate.server.base_url,
             "--ca-bundle", str(estate.server.ca_path), "--subscription", estate.server.subscription_id]
    try:
        assert main([*azure, "autoscale", "create", "web", "-g", RG, "--min-count", "2", "--max-count", "4",
                     "--count", "2", "-o", "none"]) == 0
        assert main([*azure, "autoscale", "rule", "create", "web", "-g", RG, "--condition",
                     "Percentage CPU > 50 avg 5m", "--scale", "out", "1", "-o", "none"]) == 0
        capsys.readouterr()
        stored = estate.emulator.autoscale_setting_for(RG, "web")
        assert stored is not None and stored.profiles[0].rules[0].metric_trigger.threshold == 50.0
        assert main([*azure, "autoscale", "show", "web", "-g", RG, "-o", "json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["profiles"][0]["rules"][0]["metricTrigger"]["operator"] == "GreaterThan"
        assert main([*azure, "autoscale", "show", "web", "-g", RG, "-o", "table"]) == 0
        table = capsys.readouterr().out
        assert "Now      2 instance(s), profile 'default'" in table
        assert main([*azure, "autoscale", "history", "web", "-g", RG, "-o", "json"]) == 0
        assert json.loads(capsys.readouterr().out) == []
        assert main([*azure, "load", "web", "80", "-g", RG]) == 1
        assert "Simulated load exists only in the emulator" in capsys.readouterr().err
    finally:
        estate.server.settings.authority = None


def _event(operation: str, status: str, at: str, old: int, new: int, event_name: str = "AutoscaleAction") -> dict:
    return {"operationName": {"value": f"Microsoft.Insights/AutoscaleSettings/{operation}/Action"},
            "status": {"value": status}, "eventName": {"value": event_name}, "eventTimestamp": at,
            "properties": {"OldInstancesCount": str(old), "NewInstancesCount": str(new),
                           "ActiveAutoscaleProfile": '{"Name": "default"}',
                           "Description": f"The autoscale engine attempting to scale resource 'x' from {old} "
                                          f"instances count to {new} instances count."}}


def test_activity_log_events_become_runs_as_well_as_the_log_allows() -> None:
    from vmss_tui.backends.azure.insights import evaluations_from_events

    runs = evaluations_from_events([
        _event("Scaleup", "Succeeded", "2026-03-02T10:05:00.1234567Z", 2, 3),
        _event("Scaleup", "Started", "2026-03-02T10:05:00Z", 2, 3),  # the same action, still running: skipped
        _event("Scaledown", "Succeeded", "2026-03-02T11:00:01Z", 30, 27),
        _event("Flapping", "Succeeded", "2026-03-02T11:00:00Z", 30, 27, "FlappingOccurred"),
        _event("Flapping", "Succeeded", "2026-03-02T12:00:00Z", 3, 2, "Flapping"),
        _event("Scaleup", "Failed", "2026-03-02T13:00:00Z", 3, 4),
        {"operationName": {"value": "Microsoft.Compute/virtualMachineScaleSets/write"}, "status": {"value": "x"}},
    ])
    assert [(r.outcome, r.current, r.target, r.profile) for r in runs] == [
        (Outcome.SCALE_OUT, 2, 3, "default"),
        (Outcome.FLAPPING_OCCURRED, 30, 27, "default"),  # its Flapping event and its scale-down are one run
        (Outcome.FLAPPING, 3, 3, "default"),
        (Outcome.SCALE_FAILED, 3, 3, "default")]
    assert runs[0].reason.endswith("from 2 instances count to 3 instances count.")
