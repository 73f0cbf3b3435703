"""Pure pieces of the TUI: filters, sorting keys, the fault-domain map's sums, themes, entry point."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.domain.models import (
    Instance,
    OrchestrationMode,
    PowerState,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    UpgradeMode,
    placement_map,
)
from vmss_tui.tui.app import production_subscriptions, resolve_theme_name, run_app
from vmss_tui.tui.presentation import FilterError, instance_glyph, instance_matches, natural_key, parse_filter
from vmss_tui.tui.theming import ThemeError, load_themes, theme_from_mapping
from vmss_tui.tui.widgets.command_bar import apply_completion
from vmss_tui.tui.widgets.fd_map import LossScenario, balance_sentence, loss_outcome, loss_scenarios

WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def make_instance(instance_id: str, *, zone: str | None = "1", fd: int = 0,
                  power: PowerState = PowerState.RUNNING) -> Instance:
    return Instance(instance_id=instance_id, name=f"web_{instance_id}", computer_name=f"web{instance_id:0>6}",
                    scale_set_name="web", resource_group="rg", zone=zone, fault_domain=fd, update_domain=0,
                    power_state=power, provisioning_state=ProvisioningState.SUCCEEDED, latest_model_applied=True,
                    protect_from_scale_in=False, protect_from_scale_set_actions=False, vm_size="Standard_D2s_v3",
                    time_created=WHEN, id=f"/x/{instance_id}")


def make_set(zones: tuple[str, ...], fd_count: int) -> ScaleSet:
    return ScaleSet(name="web", resource_group="rg", location="westeurope",
                    orchestration_mode=OrchestrationMode.UNIFORM, capacity=0, vm_size="Standard_D2s_v3",
                    image="Ubuntu2204", platform_fault_domain_count=fd_count, zones=zones,
                    single_placement_group=False, scale_in_policy=ScaleInRule.DEFAULT,
                    upgrade_policy=UpgradeMode.MANUAL, provisioning_state=ProvisioningState.SUCCEEDED,
                    time_created=WHEN, id="/x")


@pytest.mark.parametrize(("text", "matching"), [
    ("power:stopped", {"1"}),
    ("zone:2", {"2"}),
    ("fd:1", {"2"}),
    ("stopped", {"1"}),
    ("web_0", {"0"}),
    ("zone:1 power:running", {"0"}),
    ("model:latest", {"0", "1", "2"}),
    ("", {"0", "1", "2"}),
])
def test_filter_words_select_the_instances_a_user_expects(text: str, matching: set[str]) -> None:
    instances = [make_instance("0"), make_instance("1", power=PowerState.STOPPED),
                 make_instance("2", zone="2", fd=1)]
    words = parse_filter(text)
    assert {i.instance_id for i in instances if instance_matches(i, words)} == matching


def addressed(instance_id: str, private_ip: str | None, endpoint: str | None) -> Instance:
    return replace(make_instance(instance_id), private_ip=private_ip, public_endpoint=endpoint)


@pytest.mark.parametrize(("text", "matching"), [
    ("ip:10.0.0.4", {"0"}),  # a whole address: not 10.0.0.40
    ("ip:10.0.0.", {"0", "1"}),  # a prefix that ends at a dot
    ("ip:10.0.0.0/24", {"0", "1"}),  # a range
    ("ip:10.0.1.0/24", {"2"}),
    ("ip:20.1.0.1", {"0", "1"}),  # the public address of the NAT endpoint
    ("ip:20.1.0.1:50001", {"1"}),
    ("endpoint:20.1.0.1:50000", {"0"}),
    ("endpoint:20.1.0.2", {"2"}),
    ("10.0.1.5", {"2"}),  # a plain word matches anywhere, addresses included
    ("50001", {"1"}),
    ("ip:10.0.0.4 power:running", {"0"}),
])
def test_filter_words_find_instances_by_their_addresses(text: str, matching: set[str]) -> None:
    instances = [addressed("0", "10.0.0.4", "20.1.0.1:50000"), addressed("1", "10.0.0.40", "20.1.0.1:50001"),
                 addressed("2", "10.0.1.5", "20.1.0.2:22"), addressed("3", None, None)]
    words = parse_filter(text)
    assert {i.instance_id for i in instances if instance_matches(i, words)} == matching


def test_an_instance_without_addresses_matches_no_address_filter_and_no_none() -> None:
    bare = addressed("3", None, None)
    for text in ("ip:10.", "endpoint:2", "none", "ip:none"):
        assert not instance_matches(bare, parse_filter(text)), text


def test_a_malformed_address_range_is_refused_by_name() -> None:
    with pytest.raises(FilterError, match="'10.0.0.0/99'"):
        parse_filter("ip:10.0.0.0/99")


def test_a_filter_naming_an_unknown_field_says_which_fields_exist() -> None:
    with pytest.raises(FilterError, match="unknown filter field 'colour'.*power"):
        parse_filter("colour:red")


def test_natural_sort_puts_ten_after_nine() -> None:
    assert sorted(["web_10", "web_9", "web_1"], key=natural_key) == ["web_1", "web_9", "web_10"]


def test_each_power_state_has_its_own_glyph_so_states_differ_without_colour() -> None:
    glyphs = {instance_glyph(make_instance("0", power=state)) for state in PowerState}
    assert len(glyphs) == len(PowerState)


def test_max_spreading_offers_only_zone_losses() -> None:
    scale_set = make_set(("1", "2", "3"), 1)
    scenarios = loss_scenarios(placement_map(scale_set, [make_instance("0")]))
    assert [s.label for s in scenarios] == ["zone 1", "zone 2", "zone 3"]


def test_a_regional_set_with_fault_domains_offers_each_fault_domain() -> None:
    scale_set = make_set((), 3)
    scenarios = loss_scenarios(placement_map(scale_set, [make_instance("0", zone=None)]))
    assert [s.label for s in scenarios] == ["fault domain 0", "fault domain 1", "fault domain 2"]


def test_a_regional_max_spreading_set_has_nothing_to_lose() -> None:
    assert loss_scenarios(placement_map(make_set((), 1), [make_instance("0", zone=None)])) == []


def test_losing_a_zone_counts_the_survivors_and_the_running_ones() -> None:
    instances = [make_instance("0", zone="1"), make_instance("1", zone="2"),
                 make_instance("2", zone="2", power=PowerState.DEALLOCATED), make_instance("3", zone="3")]
    outcome = loss_outcome(instances, LossScenario("zone", "2"))
    assert (outcome.remaining, outcome.remaining_running, outcome.total) == (2, 2, 4)
    assert outcome.sentence == "If zone 2 is lost: 2 of 4 instances (50%) remain, 2 running."


def test_the_loss_sentence_ties_its_percentage_to_the_instances_that_remain_not_the_running_ones() -> None:
    instances = [make_instance("0", zone="1", power=PowerState.DEALLOCATED), make_instance("1", zone="2"),
                 make_instance("2", zone="2"), make_instance("3", zone="3")]
    outcome = loss_outcome(instances, LossScenario("zone", "2"))
    assert outcome.sentence == "If zone 2 is lost: 2 of 4 instances (50%) remain, 1 running."


def test_balance_names_the_emptiest_and_fullest_when_off_by_more_than_one() -> None:
    assert balance_sentence({"1": 2, "2": 2, "3": 1}, "zone") == "zones balanced (2/2/1)"
    assert balance_sentence({"1": 3, "2": 1}, "zone") == "zones unbalanced (3/1): zone 2 has 1, zone 1 has 3"


@pytest.mark.parametrize(("value", "text", "start", "expected"), [
    ("sca", "scale", -3, "scale "),
    ("scale w", "web", -1, "scale web "),
    ("scale web ", "5", 0, "scale web 5 "),
])
def test_accepting_a_completion_replaces_the_word_being_typed(value: str, text: str, start: int,
                                                              expected: str) -> None:
    assert apply_completion(value, text, start) == expected


def test_the_built_in_themes_load_from_the_themes_folder() -> None:
    themes = load_themes(include_user_dir=False)
    assert {"vmss-dark", "vmss-light", "vmss-high-contrast"} <= set(themes)
    assert themes["vmss-light"].dark is False


def test_a_theme_file_with_a_field_textual_does_not_know_is_refused_by_name() -> None:
    with pytest.raises(ThemeError, match="unknown theme field.*sparkle"):
        theme_from_mapping({"name": "x", "primary": "#000000", "sparkle": True}, source="x.yaml")


def test_a_broken_user_theme_is_skipped_and_a_good_one_is_added(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: [unclosed", encoding="utf-8")
    (tmp_path / "mine.yaml").write_text("name: mine\nprimary: '#123456'\n", encoding="utf-8")
    themes = load_themes([tmp_path], include_user_dir=False)
    assert "mine" in themes and "vmss-dark" in themes


def test_short_theme_names_find_the_vmss_themes() -> None:
    available = {"vmss-dark", "nord"}
    assert resolve_theme_name("dark", available) == "vmss-dark"
    assert resolve_theme_name("nord", available) == "nord"
    assert resolve_theme_name("neon", available) is None


def test_production_subscriptions_come_from_a_config_object_or_a_dict() -> None:
    from vmss_tui.config import Config, SubscriptionConfig

    config = Config(subscriptions={"abc": SubscriptionConfig("abc", "Prod", production=True),
                                   "def": SubscriptionConfig("def", "Dev")})
    assert production_subscriptions(config) == frozenset({"abc"})
    assert production_subscriptions({"subscriptions": {"ABC": {"production": True}}}) == frozenset({"abc"})
    assert production_subscriptions(None) == frozenset()


def test_run_app_without_a_terminal_says_so_and_exits_2(tmp_path: Path, capsys: Any) -> None:
    code = run_app(backend_options={"db": str(tmp_path / "store"), "speed": "instant"}, theme=None,
                   read_only=False, mouse=False)
    assert code == 2
    assert "needs a terminal" in capsys.readouterr().err


def test_run_app_with_a_store_path_that_is_a_file_prints_one_error_line(tmp_path: Path, capsys: Any) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    code = run_app(backend_options={"db": str(not_a_dir)}, theme=None, read_only=False, mouse=False)
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: (InvalidParameter)") and err.count("\n") == 1


def test_instances_compare_equal_when_nothing_changed_so_polls_skip_them() -> None:
    instance = make_instance("0")
    assert instance == replace(instance)
    assert instance != replace(instance, power_state=PowerState.STOPPED)
