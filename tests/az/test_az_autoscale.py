"""The real Azure CLI's `az monitor autoscale` and `az monitor metrics list` against `vmss-tui emulator serve`.

az 2.91 creates the setting with one PUT (its aaz `AutoScaleCreate`), adds and deletes rules with a GET
then a PUT of the whole setting (`AutoScaleUpdate`), and reads metrics at api-version 2018-01-01. Each
command is checked against the emulator's store afterwards, not only by its exit code. The tests run in
file order on one served practice estate (practice-rg/web, Uniform x6).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator

import pytest

from tests.az.conftest import ServedAz, serve_practice_estate
from vmss_tui.domain.autoscale.load import parse_pattern
from vmss_tui.domain.autoscale.model import ComparisonOperator, ScaleDirection, ScaleType, TimeAggregation

pytestmark = pytest.mark.slow
RG = "practice-rg"
SETTING = "web-autoscale"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, az_path: str) -> Iterator[ServedAz]:
    for served_az in serve_practice_estate(tmp_path_factory.mktemp("az-autoscale"), az_path):
        login = served_az.vmss_tui("emulator", "az-login", "--state-dir", str(served_az.state_dir))
        assert login.code == 0, login.stderr
        yield served_az


def _stored(served: ServedAz):
    return served.read("get_autoscale_setting", RG, SETTING)


def test_az_monitor_autoscale_create_stores_one_default_profile(served: ServedAz) -> None:
    run = served.az("monitor", "autoscale", "create", "-g", RG, "--resource", "web", "--resource-type",
                    "Microsoft.Compute/virtualMachineScaleSets", "--name", SETTING, "--min-count", "2",
                    "--max-count", "8", "--count", "6", "-o", "json")
    created = run.json()
    assert "Follow up with `az monitor autoscale rule create`" in run.stderr
    assert created["name"] == SETTING and created["profiles"][0]["capacity"] == {
        "default": "6", "maximum": "8", "minimum": "2"}
    stored = _stored(served)
    assert stored.target == (RG, "web") and stored.enabled
    assert [(p.name, p.capacity.minimum, p.capacity.maximum, p.capacity.default) for p in stored.profiles] == [
        ("default", 2, 8, 6)]
    assert stored.notifications[0]["operation"] == "Scale"
    assert stored.location == served.read("get_scale_set", RG, "web").location  # the group's, as az reads it


def test_az_monitor_autoscale_rule_create_appends_rules_with_azs_defaults(served: ServedAz) -> None:
    out = served.az_json("monitor", "autoscale", "rule", "create", "-g", RG, "--autoscale-name", SETTING,
                         "--condition", "Percentage CPU > 70 avg 5m", "--scale", "out", "2")
    assert out["scaleAction"]["cooldown"] == "PT5M" and out["metricTrigger"]["timeGrain"] == "PT1M"
    run = served.az("monitor", "autoscale", "rule", "create", "-g", RG, "--autoscale-name", SETTING,
                    "--condition", "Percentage CPU < 25 avg 10m", "--scale", "in", "20%", "--cooldown", "10")
    assert run.code == 0, run.stderr
    rules = _stored(served).profiles[0].rules
    assert len(rules) == 2
    out_rule, in_rule = rules
    trigger = out_rule.metric_trigger
    assert (trigger.metric_name, trigger.operator, trigger.threshold, trigger.time_window, trigger.time_grain,
            trigger.time_aggregation) == ("Percentage CPU", ComparisonOperator.GREATER_THAN, 70.0, 300.0, 60.0,
                                          TimeAggregation.AVERAGE)
    assert trigger.metric_resource_uri.lower() == served.read("get_scale_set", RG, "web").id.lower()
    assert (out_rule.scale_action.direction, out_rule.scale_action.type, out_rule.scale_action.value,
            out_rule.scale_action.cooldown) == (ScaleDirection.INCREASE, ScaleType.CHANGE_COUNT, 2, 300.0)
    assert (in_rule.scale_action.direction, in_rule.scale_action.type, in_rule.scale_action.value,
            in_rule.scale_action.cooldown) == (ScaleDirection.DECREASE, ScaleType.PERCENT_CHANGE_COUNT, 20, 600.0)
    assert in_rule.metric_trigger.time_window == 600.0


def test_az_monitor_autoscale_rule_list_shows_the_stored_rules(served: ServedAz) -> None:
    rules = served.az_json("monitor", "autoscale", "rule", "list", "-g", RG, "--autoscale-name", SETTING)
    assert [(r["metricTrigger"]["operator"], r["metricTrigger"]["threshold"], r["scaleAction"]["direction"])
            for r in rules] == [("GreaterThan", 70.0, "Increase"), ("LessThan", 25.0, "Decrease")]


def test_az_monitor_autoscale_rule_delete_removes_by_index(served: ServedAz) -> None:
    run = served.az("monitor", "autoscale", "rule", "delete", "-g", RG, "--autoscale-name", SETTING,
                    "--index", "1")
    assert run.code == 0, run.stderr
    rules = _stored(served).profiles[0].rules
    assert [r.scale_action.direction for r in rules] == [ScaleDirection.INCREASE]


def test_az_monitor_autoscale_show_reads_the_stored_setting(served: ServedAz) -> None:
    shown = served.az_json("monitor", "autoscale", "show", "-g", RG, "-n", SETTING)
    stored = _stored(served)
    assert shown["id"].lower().endswith(f"/resourcegroups/{RG}/providers/microsoft.insights/autoscalesettings/{SETTING}")
    assert shown["targetResourceUri"] == stored.target_resource_uri and shown["enabled"] is True
    assert [r["metricTrigger"]["threshold"] for r in shown["profiles"][0]["rules"]] == [70.0]
    missing = served.az("monitor", "autoscale", "show", "-g", RG, "-n", "nothing-here")
    assert missing.code != 0 and "ResourceNotFound" in missing.stderr


def test_az_monitor_metrics_list_reads_the_emulated_cpu_after_a_load_and_a_clock_advance(served: ServedAz) -> None:
    backend = served.backend()
    try:
        backend.change_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("35", now)))
        backend.clock.advance(15 * 60)  # the stored clock: the serving process sees it too
        now = backend.clock.now()
    finally:
        backend.close()
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=10)
    set_id = served.read("get_scale_set", RG, "web").id
    answer = served.az_json("monitor", "metrics", "list", "--resource", set_id, "--metric", "Percentage CPU",
                            "--interval", "1m", "--aggregation", "Average", "--start-time", start.isoformat(),
                            "--end-time", end.isoformat())
    metric = answer["value"][0]
    assert metric["name"]["value"] == "Percentage CPU" and metric["unit"] == "Percent"
    assert answer["interval"] == "PT1M"
    data = metric["timeseries"][0]["data"]
    backend = served.backend()
    try:
        expected = backend.metric_series(RG, "web", "Percentage CPU", start=start, end=end)
    finally:
        backend.close()
    assert [point.get("average") for point in data] == [value for _at, value in expected]
    assert [point.get("average") for point in data][-5:] == [35.0] * 5
    unknown = served.az("monitor", "metrics", "list", "--resource", set_id, "--metric", "Disk Magic")
    assert unknown.code != 0 and "Valid metrics: Percentage CPU" in unknown.stderr


def test_az_monitor_metrics_list_with_its_default_offset_and_the_definitions(served: ServedAz) -> None:
    set_id = served.read("get_scale_set", RG, "web").id
    answer = served.az_json("monitor", "metrics", "list", "--resource", set_id, "--metric", "Percentage CPU",
                            "--offset", "30m")
    assert answer["interval"] == "PT1M"
    assert 30 <= len(answer["value"][0]["timeseries"][0]["data"]) <= 31  # az's end is now: 30 whole minutes
    definitions = served.az_json("monitor", "metrics", "list-definitions", "--resource", set_id)
    assert [d["name"]["value"] for d in definitions] == ["Percentage CPU", "Network In Total", "Available Memory Bytes"]


def test_the_seed_sentence_through_az_cpu_above_the_threshold_adds_vms_up_to_the_maximum(served: ServedAz) -> None:
    backend = served.backend()
    try:
        started = backend.clock.now()
        backend.change_load(RG, "web", lambda load, now: load.with_pattern(parse_pattern("90", now)))
        backend.clock.advance(10 * 60)  # the 5-minute window fills with 90 %: > 70, scale out by 2, max 8
        now = backend.clock.now()
    finally:
        backend.close()
    capacity = served.az("vmss", "show", "-g", RG, "-n", "web", "--query", "sku.capacity", "-o", "tsv")
    assert capacity.code == 0 and capacity.stdout.strip() == "8", capacity.stderr
    setting_id = served.az_json("monitor", "autoscale", "show", "-g", RG, "-n", SETTING)["id"]
    events = served.az_json("monitor", "activity-log", "list", "--resource-id", setting_id,
                            "--start-time", started.isoformat(), "--end-time", now.isoformat())
    assert [(e["operationName"]["value"], e["properties"]["OldInstancesCount"], e["properties"]["NewInstancesCount"])
            for e in events] == [("Microsoft.Insights/AutoscaleSettings/Scaleup/Action", "6", "8")]


def test_az_monitor_autoscale_update_list_and_delete(served: ServedAz) -> None:
    updated = served.az_json("monitor", "autoscale", "update", "-g", RG, "-n", SETTING, "--max-count", "10")
    assert updated["profiles"][0]["capacity"]["maximum"] == "10"
    assert _stored(served).profiles[0].capacity.maximum == 10
    listed = served.az_json("monitor", "autoscale", "list", "-g", RG)
    assert [s["name"] for s in listed] == [SETTING]
    run = served.az("monitor", "autoscale", "delete", "-g", RG, "-n", SETTING)
    assert run.code == 0, run.stderr
    assert served.read("list_autoscale_settings", RG) == []


def test_a27_az_monitor_autoscale_create_with_only_a_count_stores_a_fixed_profile(served: ServedAz) -> None:
    run = served.az("monitor", "autoscale", "create", "-g", RG, "--resource", "web", "--resource-type",
                    "Microsoft.Compute/virtualMachineScaleSets", "--name", "web-fixed", "--count", "2", "-o", "json")
    assert run.code == 0, run.stderr
    assert "Follow up" not in run.stderr  # az warns only when min, max and count differ
    stored = served.read("get_autoscale_setting", RG, "web-fixed")
    assert [(p.name, p.capacity.minimum, p.capacity.maximum, p.capacity.default, p.rules) for p in stored.profiles] == [
        ("default", 2, 2, 2, ())]


def test_a30_az_vm_delete_of_a_flexible_member_is_not_seen_by_autoscale_for_hours(served: ServedAz) -> None:
    """[AS-TS §Flex]: after `az vm delete` autoscale keeps counting the VM; the emulator for 3 h (its choice)."""
    from vmss_tui.domain.autoscale.observed import INDIVIDUAL_DELETE_UNSEEN_FOR

    run = served.az("monitor", "autoscale", "create", "-g", RG, "--resource", "demo-set", "--resource-type",
                    "Microsoft.Compute/virtualMachineScaleSets", "--name", "demo-fixed", "--count", "2", "-o", "none")
    assert run.code == 0, run.stderr
    names = sorted(i.name for i in served.read("list_instances", RG, "demo-set"))
    assert len(names) == 2 and "newvm" in names
    run = served.az("vm", "delete", "-g", RG, "-n", "newvm", "--yes")
    assert run.code == 0, run.stderr
    backend = served.backend()
    try:
        backend.clock.advance(10 * 60)
        live = [i.name for i in backend.list_instances(RG, "demo-set") if i.provisioning_state.value != "Deleting"]
        status = backend.autoscale_status(RG, "demo-fixed")
    finally:
        backend.close()
    assert len(live) == 1 and "newvm" not in live  # not replaced, although the minimum is 2
    assert status.now.current == 2 and status.now.unseen is not None and status.now.unseen.count == 1
    shown = served.vmss_tui("autoscale", "show", "demo-set", "-g", RG, "--db", str(served.db), "-o", "table")
    assert shown.code == 0, shown.stderr
    assert "counting 2, not the set's 1 (1 VM deleted individually 10m" in shown.stdout, shown.stdout
    backend = served.backend()
    try:
        backend.clock.advance(INDIVIDUAL_DELETE_UNSEEN_FOR)
        live = [i.name for i in backend.list_instances(RG, "demo-set") if i.provisioning_state.value != "Deleting"]
    finally:
        backend.close()
    assert len(live) == 2  # seen at last: 1 is below the minimum of 2
