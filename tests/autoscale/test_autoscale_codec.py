"""The autoscale setting's ARM JSON: what Azure's schema accepts, refuses, and what GET gives back."""

from __future__ import annotations

import copy

import pytest

from vmss_tui.arm.insights import AutoscaleBadRequest, setting_from_arm, setting_id, setting_to_arm
from vmss_tui.domain.autoscale.model import ComparisonOperator, ScaleDirection

VMSS = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
        "Microsoft.Compute/virtualMachineScaleSets/web")


def quickstart_body() -> dict:
    """The setting of the vmss-ubuntu-autoscale quickstart (threshold 60 out, 30 in; PT1M grain, PT5M window)."""
    def rule(op: str, threshold: float, direction: str, cooldown: str) -> dict:
        return {"metricTrigger": {"metricName": "Percentage CPU", "metricNamespace": "",
                                  "metricResourceUri": VMSS, "timeGrain": "PT1M", "statistic": "Average",
                                  "timeWindow": "PT5M", "timeAggregation": "Average", "operator": op,
                                  "threshold": threshold},
                "scaleAction": {"direction": direction, "type": "ChangeCount", "value": "1", "cooldown": cooldown}}
    return {"location": "westeurope", "tags": {"env": "test"}, "properties": {
        "name": "autoscalewad", "enabled": True, "targetResourceUri": VMSS,
        "profiles": [{"name": "Profile1", "capacity": {"minimum": "1", "maximum": "10", "default": "1"},
                      "rules": [rule("GreaterThan", 60, "Increase", "PT1M"),
                                rule("LessThan", 30, "Decrease", "PT5M")]}]}}


def test_the_quickstart_setting_loads_with_its_rules() -> None:
    setting = setting_from_arm(quickstart_body(), name="autoscalewad")
    profile = setting.profiles[0]
    assert (profile.capacity.minimum, profile.capacity.maximum, profile.capacity.default) == (1, 10, 1)
    out, in_ = profile.rules
    assert out.metric_trigger.operator is ComparisonOperator.GREATER_THAN
    assert (out.metric_trigger.time_grain, out.metric_trigger.time_window) == (60, 300)
    assert in_.scale_action.direction is ScaleDirection.DECREASE and in_.scale_action.cooldown == 300


def test_get_gives_back_what_was_put_in_azure_s_own_model() -> None:
    from azure.mgmt.monitor.models import AutoscaleSettingResource
    body = quickstart_body()
    resource_id = setting_id("00000000-0000-0000-0000-000000000000", "rg", "autoscalewad")
    served = setting_to_arm(setting_from_arm(body, name="autoscalewad"), resource_id=resource_id)
    model = AutoscaleSettingResource.deserialize(served)
    assert model.profiles[0].capacity.maximum == "10"
    assert model.profiles[0].rules[0].metric_trigger.time_window.total_seconds() == 300
    assert model.target_resource_uri == VMSS and model.tags == {"env": "test"}
    # everything we serve is in Azure's schema: serialize the model back and nothing we sent is lost
    again = model.serialize(keep_readonly=True)
    assert again["properties"]["profiles"] == served["properties"]["profiles"]
    assert served["type"] == "Microsoft.Insights/autoscaleSettings"
    assert "/providers/microsoft.insights/autoscalesettings/autoscalewad" in served["id"]


def test_a23_more_than_20_profiles_or_10_rules_is_refused() -> None:
    body = quickstart_body()
    profile = body["properties"]["profiles"][0]
    body["properties"]["profiles"] = [dict(profile, name=f"p{i}", fixedDate={
        "timeZone": "UTC", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}) for i in range(21)]
    with pytest.raises(AutoscaleBadRequest, match="at most 20 profiles"):
        setting_from_arm(body, name="a")
    body = quickstart_body()
    body["properties"]["profiles"][0]["rules"] = body["properties"]["profiles"][0]["rules"] * 6  # 12 rules
    with pytest.raises(AutoscaleBadRequest, match="at most 10"):
        setting_from_arm(body, name="a")


def test_a23_the_limits_are_exact_20_profiles_and_10_rules_pass_21_and_11_do_not() -> None:
    def with_counts(profiles: int, rules: int) -> dict:
        body = quickstart_body()
        first = body["properties"]["profiles"][0]
        first["rules"] = [copy.deepcopy(first["rules"][i % 2]) for i in range(rules)]
        body["properties"]["profiles"] = [first] + [dict(copy.deepcopy(first), name=f"p{i}", rules=[], fixedDate={
            "timeZone": "UTC", "start": f"2026-12-{i + 1:02d}T00:00:00Z", "end": f"2026-12-{i + 1:02d}T12:00:00Z"})
            for i in range(profiles - 1)]
        return body

    setting = setting_from_arm(with_counts(20, 10), name="a")
    assert len(setting.profiles) == 20 and len(setting.profiles[0].rules) == 10
    with pytest.raises(AutoscaleBadRequest, match="at most 20 profiles"):
        setting_from_arm(with_counts(21, 10), name="a")
    with pytest.raises(AutoscaleBadRequest, match="has 11 rules; a profile can have at most 10"):
        setting_from_arm(with_counts(20, 11), name="a")


@pytest.mark.parametrize("path, value, message", [
    (("timeWindow",), "PT4M", "timeWindow must be between 5 minutes and 12 hours"),
    (("timeGrain",), "PT30S", "timeGrain must be between 1 minute and 12 hours"),
    (("operator",), "Above", "'Above' is not allowed for operator"),
    (("threshold",), "high", "'threshold' must be a number"),
])
def test_a_bad_trigger_is_one_line_naming_the_field(path, value, message) -> None:
    body = quickstart_body()
    body["properties"]["profiles"][0]["rules"][0]["metricTrigger"][path[0]] = value
    with pytest.raises(AutoscaleBadRequest) as caught:
        setting_from_arm(body, name="a")
    assert message in caught.value.message and "\n" not in str(caught.value)
    assert caught.value.http_status == 400 and caught.value.code == "BadRequest"


@pytest.mark.parametrize("change, message", [
    (lambda b: b["properties"]["profiles"][0]["capacity"].update(minimum="5", maximum="2"), "above the maximum"),
    (lambda b: b["properties"]["profiles"][0]["capacity"].update(default="20"), "must be between"),
    (lambda b: b["properties"]["profiles"][0]["capacity"].update(minimum="one"), "whole number"),
    (lambda b: b["properties"]["profiles"][0]["rules"][0]["scaleAction"].update(value="0"), "1 or greater"),
    (lambda b: b["properties"]["profiles"][0]["rules"][0]["scaleAction"].update(cooldown="P8D"),
     "between 1 minute and 1 week"),
    (lambda b: b["properties"]["profiles"].append(copy.deepcopy(b["properties"]["profiles"][0])),
     "Only one default profile"),
    (lambda b: b.pop("location"), "'location' property is required"),
    (lambda b: b["properties"]["profiles"][0].update(recurrence={"frequency": "Day", "schedule": {}}),
     "'frequency' must be 'Week'"),
    (lambda b: b["properties"]["profiles"][0].update(recurrence={"frequency": "Week", "schedule": {
        "timeZone": "Mars Standard Time", "days": ["Saturday"], "hours": [6], "minutes": [0]}}),
     "not a time zone"),
])
def test_what_azure_s_schema_refuses_is_refused(change, message) -> None:
    body = quickstart_body()
    change(body)
    with pytest.raises(AutoscaleBadRequest, match=message):
        setting_from_arm(body, name="a")


def test_a_windows_time_zone_recurrence_round_trips() -> None:
    body = quickstart_body()
    body["properties"]["profiles"][0]["recurrence"] = {"frequency": "Week", "schedule": {
        "timeZone": "Pacific Standard Time", "days": ["Saturday", "Sunday"], "hours": [6], "minutes": [0]}}
    served = setting_to_arm(setting_from_arm(body, name="a"), resource_id="/x")
    assert served["properties"]["profiles"][0]["recurrence"] == body["properties"]["profiles"][0]["recurrence"]
