"""The ARM endpoint's Microsoft.Insights routes, read with azure-mgmt-monitor's own client and models.

Autoscale settings (PUT 201/200, GET, PATCH, DELETE 200/204, lists with nextLink), the metrics API
subset `az monitor metrics list` calls, metric definitions and namespaces, and the autoscale events of
the activity log: each answer must deserialize into the SDK's models with the values the emulator holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.domain.autoscale.load import parse_pattern
from vmss_tui.domain.autoscale.model import MetricStatistic
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

RG = "rg"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def cpu_rule(set_id: str, operator: str = "GreaterThan", threshold: float = 50, direction: str = "Increase",
             cooldown: str = "PT5M") -> dict[str, Any]:
    return {"metricTrigger": {"metricName": "Percentage CPU", "metricNamespace": "", "metricResourceUri": set_id,
                              "timeGrain": "PT1M", "statistic": "Average", "timeWindow": "PT5M",
                              "timeAggregation": "Average", "operator": operator, "threshold": threshold},
            "scaleAction": {"direction": direction, "type": "ChangeCount", "value": "1", "cooldown": cooldown}}


def setting_body(set_id: str, rules: list[dict[str, Any]] | None = None, *, minimum: int = 2, maximum: int = 5,
                 default: int = 2, location: str = "westeurope") -> dict[str, Any]:
    """What `az monitor autoscale create` PUTs (notification `operation` in az's lower case)."""
    return {"location": location, "tags": {}, "properties": {
        "targetResourceUri": set_id, "enabled": True,
        "profiles": [{"name": "default", "rules": rules or [],
                      "capacity": {"minimum": str(minimum), "maximum": str(maximum), "default": str(default)}}],
        "notifications": [{"operation": "scale", "email": {"sendToSubscriptionAdministrator": False,
                                                           "sendToSubscriptionCoAdministrators": False,
                                                           "customEmails": []}, "webhooks": []}]}}


@dataclass
class Estate:
    """An emulator on a clock that moves only when told, served over HTTPS."""

    emulator: Any
    server: Any
    clock: FakeClock
    set_id: str

    def monitor(self) -> Any:
        from azure.mgmt.monitor import MonitorManagementClient

        from vmss_tui.backends.azure.testing import StaticTokenCredential

        return MonitorManagementClient(StaticTokenCredential(), self.server.subscription_id,
                                       base_url=self.server.base_url, connection_verify=str(self.server.ca_path),
                                       retry_total=0)

    def adapter(self, **options: Any) -> Any:
        from vmss_tui.backends.azure.testing import StaticTokenCredential

        settings = {"subscription": self.server.subscription_id, "credential": StaticTokenCredential(),
                    "base_url": self.server.base_url, "connection_verify": str(self.server.ca_path),
                    "polling_interval": 0, "retry_total": 0, "clock": self.clock}
        settings.update(options)
        return open_backend("azure", **settings)

    def get(self, path: str, **query: str) -> requests.Response:
        return requests.get(f"{self.server.base_url}{path}", params=query, verify=str(self.server.ca_path),
                            headers={"Authorization": "Bearer emulator"}, timeout=30)

    def load(self, percent: str) -> None:
        self.emulator.change_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern(percent, now)))


@pytest.fixture
def estate(tmp_path: Path) -> Iterator[Estate]:
    from vmss_tui.armserver import serve_in_thread

    clock = FakeClock(START)
    emulator = open_backend("emulator", db=tmp_path / "store", speed="fast", durable=False, clock=clock)
    emulator.create_or_update_resource_group(RG, "westeurope")
    emulator.wait(emulator.create_scale_set(ScaleSetSpec("web", RG, OrchestrationMode.UNIFORM, capacity=2)))
    clock.advance(120)
    server = serve_in_thread(emulator, state_dir=tmp_path / "arm-state")
    try:
        yield Estate(emulator, server, clock, emulator.get_scale_set(RG, "web").id)
    finally:
        server.stop()
        emulator.close()


# ---------------------------------------------------------------- autoscale settings


def test_put_creates_with_201_then_replaces_with_200_and_get_reads_it_as_the_sdk_models_it(estate: Estate) -> None:
    client = estate.monitor()
    statuses: list[int] = []
    hook = {"raw_response_hook": lambda r: statuses.append(r.http_response.status_code)}
    created = client.autoscale_settings.create_or_update(RG, "web-autoscale", setting_body(estate.set_id), **hook)
    body = setting_body(estate.set_id, [cpu_rule(estate.set_id), cpu_rule(estate.set_id, "LessThan", 25, "Decrease")])
    client.autoscale_settings.create_or_update(RG, "web-autoscale", body, **hook)
    assert statuses == [201, 200]
    assert created.id.endswith("/providers/microsoft.insights/autoscalesettings/web-autoscale")
    assert created.notifications[0].operation == "Scale"
    read = client.autoscale_settings.get(RG, "web-autoscale")
    profile = read.profiles[0]
    assert (profile.capacity.minimum, profile.capacity.maximum, profile.capacity.default) == ("2", "5", "2")
    rule = profile.rules[0]
    assert rule.metric_trigger.time_grain == timedelta(minutes=1)
    assert rule.metric_trigger.time_window == timedelta(minutes=5)
    assert (rule.metric_trigger.operator, rule.metric_trigger.threshold) == ("GreaterThan", 50)
    assert (rule.scale_action.direction, rule.scale_action.cooldown) == ("Increase", timedelta(minutes=5))
    assert profile.rules[1].scale_action.direction == "Decrease"
    assert read.target_resource_uri == estate.set_id and read.enabled is True
    assert estate.emulator.get_autoscale_setting(RG, "web-autoscale").profiles[0].rules[1].metric_trigger.threshold == 25


def test_a_refused_setting_is_answered_with_azures_error_body_and_nothing_is_stored(estate: Estate) -> None:
    from azure.core.exceptions import HttpResponseError

    client = estate.monitor()
    eleven = setting_body(estate.set_id, [cpu_rule(estate.set_id)] * 11)
    with pytest.raises(HttpResponseError) as refused:
        client.autoscale_settings.create_or_update(RG, "web-autoscale", eleven)
    assert refused.value.status_code == 400
    body = refused.value.response.json()
    assert body["error"]["code"] == "BadRequest"
    assert body["error"]["target"] == "properties.profiles[0].rules"
    assert "at most 10" in body["error"]["message"]
    assert estate.emulator.list_autoscale_settings(RG) == []


def test_a_second_setting_on_the_same_scale_set_is_refused(estate: Estate) -> None:
    from azure.core.exceptions import HttpResponseError

    client = estate.monitor()
    client.autoscale_settings.create_or_update(RG, "first", setting_body(estate.set_id))
    with pytest.raises(HttpResponseError) as refused:
        client.autoscale_settings.create_or_update(RG, "second", setting_body(estate.set_id))
    assert refused.value.status_code == 400 and "already has an autoscale setting ('first')" in str(refused.value)


def test_patch_changes_tags_and_properties_only(estate: Estate) -> None:
    client = estate.monitor()
    client.autoscale_settings.create_or_update(RG, "web-autoscale", setting_body(estate.set_id))
    patched = client.autoscale_settings.update(RG, "web-autoscale", {"tags": {"team": "web"},
                                                                      "properties": {"enabled": False}})
    assert patched.tags == {"team": "web"} and patched.enabled is False
    assert patched.profiles[0].capacity.maximum == "5"  # the rest of the properties stays
    refused = requests.patch(f"{estate.server.base_url}{estate.set_id.split('/providers/')[0]}/providers/"
                             "Microsoft.Insights/autoscalesettings/web-autoscale?api-version=2022-10-01",
                             json={"location": "northeurope"}, verify=str(estate.server.ca_path),
                             headers={"Authorization": "Bearer emulator"}, timeout=30)
    assert refused.status_code == 400 and refused.json()["error"]["target"] == "location"
    assert estate.emulator.get_autoscale_setting(RG, "web-autoscale").location == "westeurope"


def test_delete_answers_200_then_204_and_get_then_404(estate: Estate) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    client = estate.monitor()
    client.autoscale_settings.create_or_update(RG, "web-autoscale", setting_body(estate.set_id))
    statuses: list[int] = []
    for _ in range(2):
        client.autoscale_settings.delete(RG, "web-autoscale",
                                         raw_response_hook=lambda r: statuses.append(r.http_response.status_code))
    assert statuses == [200, 204]
    with pytest.raises(ResourceNotFoundError) as missing:
        client.autoscale_settings.get(RG, "web-autoscale")
    assert missing.value.error.code == "ResourceNotFound"


def test_lists_by_group_and_subscription_follow_next_link(estate: Estate) -> None:
    for name in ("api", "jobs"):
        estate.emulator.wait(estate.emulator.create_scale_set(
            ScaleSetSpec(name, RG, OrchestrationMode.UNIFORM, capacity=1)))
    client = estate.monitor()
    for name in ("web", "api", "jobs"):
        set_id = estate.emulator.get_scale_set(RG, name).id
        client.autoscale_settings.create_or_update(RG, f"{name}-autoscale", setting_body(set_id, minimum=1,
                                                                                            default=1))
    estate.server.settings.page_size = 2
    before = estate.server.app.requests_served
    assert [s.name for s in client.autoscale_settings.list_by_resource_group(RG)] == [
        "api-autoscale", "jobs-autoscale", "web-autoscale"]
    assert estate.server.app.requests_served - before == 2  # two pages
    assert len(list(client.autoscale_settings.list_by_subscription())) == 3


def test_an_unknown_api_version_is_refused_as_arm_does(estate: Estate) -> None:
    answer = estate.get(f"/subscriptions/{estate.server.subscription_id}/resourceGroups/{RG}/providers/"
                        "Microsoft.Insights/autoscalesettings", **{"api-version": "2099-01-01"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert "2022-10-01" in answer.json()["error"]["message"]


# ---------------------------------------------------------------- metrics


def test_metrics_per_minute_are_the_emulators_average_across_running_instances(estate: Estate) -> None:
    estate.load("70")
    estate.clock.advance(10 * 60)
    now = estate.clock.now()
    start = now - timedelta(minutes=12)
    response = estate.monitor().metrics.list(estate.set_id, timespan=f"{start.isoformat()}/{now.isoformat()}",
                                             interval="PT1M", metricnames="Percentage CPU", aggregation="Average")
    metric = response.value[0]
    assert (metric.name.value, metric.unit, response.interval) == ("Percentage CPU", "Percent", "PT1M")
    served = [(p.time_stamp, p.average) for p in metric.timeseries[0].data]
    whole_start = start.replace(second=0, microsecond=0)
    expected = estate.emulator.metric_series(RG, "web", "Percentage CPU", start=whole_start, end=now)
    finished = [(at, value) for at, value in expected if at + timedelta(minutes=1) <= now]
    assert served[:len(finished)] == finished
    assert [value for _at, value in served[-5:-1]] == [70.0] * 4
    assert served[-1][1] is None  # the minute that has not ended holds no data yet


def test_a_five_minute_interval_rolls_up_samples_with_minimum_maximum_total_and_count(estate: Estate) -> None:
    estate.emulator.change_load(RG, "web", lambda load, now: load.with_override("0", parse_pattern("90", now)))
    estate.load("30")
    estate.clock.advance(10 * 60)
    now = estate.clock.now()
    start = now - timedelta(minutes=10)
    response = estate.monitor().metrics.list(estate.set_id, timespan=f"{start.isoformat()}/{now.isoformat()}",
                                             interval="PT5M", metricnames="Percentage CPU",
                                             aggregation="Average,Minimum,Maximum,Total,Count")
    full = [p for p in response.value[0].timeseries[0].data if p.count == 10.0]  # 5 minutes x 2 instances
    assert full, [(p.time_stamp, p.count) for p in response.value[0].timeseries[0].data]
    point = full[0]
    assert (point.minimum, point.maximum, point.total, point.average) == (30.0, 90.0, 600.0, 60.0)
    assert point.time_stamp.minute % 5 == 0


def test_metrics_refuse_an_unknown_metric_and_an_interval_azure_has_not(estate: Estate) -> None:
    from azure.core.exceptions import HttpResponseError

    client = estate.monitor()
    with pytest.raises(HttpResponseError) as unknown:
        client.metrics.list(estate.set_id, metricnames="Disk Magic")
    assert unknown.value.status_code == 400
    assert "Valid metrics: Percentage CPU,Network In Total,Available Memory Bytes" in str(unknown.value)
    with pytest.raises(HttpResponseError) as interval:
        client.metrics.list(estate.set_id, interval="PT2M")
    assert interval.value.status_code == 400 and "PT5M" in str(interval.value)


def test_metric_definitions_and_namespaces_deserialize(estate: Estate) -> None:
    client = estate.monitor()
    definitions = list(client.metric_definitions.list(estate.set_id))
    assert [(d.name.value, d.unit, d.primary_aggregation_type) for d in definitions] == [
        ("Percentage CPU", "Percent", "Average"), ("Network In Total", "Bytes", "Total"),
        ("Available Memory Bytes", "Bytes", "Average")]
    namespaces = list(client.metric_namespaces.list(estate.set_id))
    assert namespaces[0].properties.metric_namespace_name == "Microsoft.Compute/virtualMachineScaleSets"


# ---------------------------------------------------------------- the activity log


def test_autoscale_scale_outs_are_activity_log_events(estate: Estate) -> None:
    client = estate.monitor()
    body = setting_body(estate.set_id, [cpu_rule(estate.set_id), cpu_rule(estate.set_id, "LessThan", 25, "Decrease")])
    client.autoscale_settings.create_or_update(RG, "web-autoscale", body)
    estate.load("80")
    estate.clock.advance(12 * 60)
    estate.emulator.list_instances(RG, "web")  # the engine catches up when the set is read
    since = (START - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    setting_uri = client.autoscale_settings.get(RG, "web-autoscale").id
    events = list(client.activity_logs.list(filter=f"eventTimestamp ge '{since}' and resourceUri eq '{setting_uri}'"))
    assert [e.operation_name.value for e in events] == ["Microsoft.Insights/AutoscaleSettings/Scaleup/Action"] * 2
    assert [(e.properties["OldInstancesCount"], e.properties["NewInstancesCount"]) for e in events] == [
        ("3", "4"), ("2", "3")]  # newest first
    assert events[0].category.value == "Autoscale" and events[0].status.value == "Succeeded"
    assert events[0].caller == "Microsoft.Insights/autoscaleSettings"
    runs = [r for r in estate.emulator.autoscale_history(RG, "web-autoscale") if r.acted]
    assert sorted(e.event_timestamp for e in events) == [r.at for r in runs]
    other = list(client.activity_logs.list(filter=f"eventTimestamp ge '{since}' and resourceGroupName eq 'elsewhere'"))
    assert other == []


@pytest.mark.parametrize("query, words", [
    ("resourceGroupName eq 'rg'", "eventTimestamp ge"),
    ("eventTimestamp ge 'last tuesday'", "is not an ISO 8601 time"),
    ("eventTimestamp ge '2026-03-01T00:00:00Z' and resourceGroupName ge 'rg'", "resourcegroupname takes eq"),
    ("eventTimestamp ge '2026-03-01T00:00:00Z' or level eq 'Error'", "is not supported"),
])
def test_the_activity_log_refuses_a_filter_it_cannot_answer(estate: Estate, query: str, words: str) -> None:
    answer = estate.get(f"/subscriptions/{estate.server.subscription_id}/providers/microsoft.insights/eventtypes/"
                        "management/values", **{"api-version": "2015-04-01", "$filter": query})
    assert answer.status_code == 400 and answer.json()["error"]["target"] == "$filter"
    assert words in answer.json()["error"]["message"]


def test_statistics_of_the_emulator_agree_with_the_served_count(estate: Estate) -> None:
    estate.load("40")
    estate.clock.advance(3 * 60)
    now = estate.clock.now()
    counts = estate.emulator.metric_series(RG, "web", "Percentage CPU", start=now - timedelta(minutes=2), end=now,
                                           statistic=MetricStatistic.COUNT)
    assert [value for _at, value in counts] == [2.0, 2.0]


def test_azs_lower_case_notification_operation_is_accepted_and_stored_as_azure_writes_it(estate: Estate) -> None:
    """az 2.91's `autoscale create` PUTs `"operation": "scale"` (the SDK's model always writes "Scale")."""
    url = (f"{estate.server.base_url}{estate.set_id.split('/providers/')[0]}/providers/Microsoft.Insights/"
           "autoscalesettings/web-autoscale?api-version=2022-10-01")
    answer = requests.put(url, json=setting_body(estate.set_id), verify=str(estate.server.ca_path),
                          headers={"Authorization": "Bearer emulator"}, timeout=30)
    assert answer.status_code == 201, answer.text
    assert answer.json()["properties"]["notifications"][0]["operation"] == "Scale"
    assert estate.emulator.get_autoscale_setting(RG, "web-autoscale").notifications[0]["operation"] == "Scale"


@pytest.mark.parametrize("query, target, words", [
    ({"timespan": "yesterday/today"}, "timespan", "not an ISO 8601 start time"),
    ({"timespan": "2026-03-02T10:00:00Z/2026-03-02T09:00:00Z"}, "timespan", "is not after the start time"),
    ({"timespan": "2026-01-01T00:00:00Z/2026-03-01T00:00:00Z", "interval": "PT1H"}, "timespan", "longer than 31 days"),
    ({"aggregation": "Median"}, "aggregation", "Invalid aggregation 'median'"),
    ({"$filter": "VMName eq '*'"}, "$filter", "Dimension filters"),
])
def test_metrics_refuse_a_query_they_cannot_answer_with_one_clear_error(estate: Estate, query: dict, target: str,
                                                                       words: str) -> None:
    answer = estate.get(f"{estate.set_id}/providers/Microsoft.Insights/metrics",
                        **{"api-version": "2018-01-01", **query})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["target"]) == ("BadRequest", target) and words in error["message"]


def test_a_setting_name_azure_refuses_is_refused_at_the_door(estate: Estate) -> None:
    answer = estate.get(f"/subscriptions/{estate.server.subscription_id}/resourceGroups/{RG}/providers/"
                        "Microsoft.Insights/autoscalesettings/bad%3Cname%3E", **{"api-version": "2022-10-01"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidResourceName"


def test_a_metric_named_twice_is_served_once(estate: Estate) -> None:
    answer = estate.get(f"{estate.set_id}/providers/Microsoft.Insights/metrics",
                        **{"api-version": "2018-01-01", "metricnames": "Percentage CPU,percentage cpu,Network In Total"})
    assert [m["name"]["value"] for m in answer.json()["value"]] == ["Percentage CPU", "Network In Total"]


def test_a_31_day_query_is_served_even_when_its_start_is_rounded_down_to_the_interval(estate: Estate) -> None:
    end = estate.clock.now().replace(minute=17, second=30)
    start = end - timedelta(days=31)
    answer = estate.get(f"{estate.set_id}/providers/Microsoft.Insights/metrics",
                        **{"api-version": "2018-01-01", "interval": "PT1H",
                           "timespan": f"{start.isoformat()}/{end.isoformat()}"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["value"][0]["timeseries"][0]["data"]) == 31 * 24 + 1
