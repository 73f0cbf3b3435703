"""ARM JSON <-> domain conversions: pure functions shared by the adapter and the ARM endpoint."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from vmss_tui.arm import compute as arm_compute
from vmss_tui.arm import errors as arm_errors
from vmss_tui.arm import lro as arm_lro
from vmss_tui.arm import values as arm_values
from vmss_tui.backends.azure.client import azure_cli_default_subscription, resolve_subscription
from vmss_tui.domain import errors
from vmss_tui.domain import ids as resource_ids
from vmss_tui.domain.models import (
    ErrorInfo,
    Instance,
    Operation,
    OperationStatus,
    OrchestrationMode,
    PowerState,
    Priority,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    VmSpec,
)

SUB = "6f0c7c8e-8a6b-4c55-9d1e-3f1b2a4c5d6e"
CREATED = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=timezone.utc)


def uniform_set(**overrides: object) -> ScaleSet:
    base = ScaleSet(
        name="web", resource_group="prod-rg", location="westeurope",
        orchestration_mode=OrchestrationMode.UNIFORM, capacity=6, vm_size="Standard_D2s_v3", image="Ubuntu2204",
        platform_fault_domain_count=1, zones=("1", "2", "3"), single_placement_group=False,
        scale_in_policy=ScaleInRule.NEWEST_VM, upgrade_policy=UpgradeMode.AUTOMATIC,
        provisioning_state=ProvisioningState.SUCCEEDED, time_created=CREATED,
        id=resource_ids.scale_set_id(SUB, "prod-rg", "web"), subscription_id=SUB, unique_id="0d9a8d0e-0000-4000-8000-1",
        computer_name_prefix="web", priority=Priority.REGULAR, force_deletion=True, zone_balance=True,
        has_vm_profile=True, tags=(("env", "prod"),),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def uniform_instance(**overrides: object) -> Instance:
    base = Instance(
        instance_id="4", name="web_4", computer_name="web000004", scale_set_name="web", resource_group="prod-rg",
        zone="2", fault_domain=0, update_domain=4, power_state=PowerState.DEALLOCATED,
        provisioning_state=ProvisioningState.SUCCEEDED, latest_model_applied=False, protect_from_scale_in=True,
        protect_from_scale_set_actions=True, vm_size="Standard_D2s_v3", time_created=CREATED,
        id=resource_ids.scale_set_id(SUB, "prod-rg", "web") + "/virtualMachines/4", image="Ubuntu2204",
        priority=Priority.REGULAR, vm_id="11111111-2222-4333-8444-555555555555", created_by_scale_set=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_a_scale_set_survives_the_trip_through_arm_json_unchanged() -> None:
    scale_set = uniform_set()
    assert arm_compute.scale_set_from_json(arm_compute.scale_set_to_json(scale_set)) == scale_set


def test_a_flexible_set_without_a_profile_sends_no_vm_profile_and_reads_back_as_profileless() -> None:
    scale_set = uniform_set(orchestration_mode=OrchestrationMode.FLEXIBLE, vm_size=None, image=None, capacity=0,
                            has_vm_profile=False, single_placement_group=None, zones=(), zone_balance=False,
                            computer_name_prefix="")
    body = arm_compute.scale_set_to_json(scale_set)
    assert "virtualMachineProfile" not in body["properties"]
    assert "name" not in body["sku"] and "singlePlacementGroup" not in body["properties"]
    assert arm_compute.scale_set_from_json(body) == scale_set


def test_scale_set_json_uses_azures_camel_case_names_and_nesting() -> None:
    body = arm_compute.scale_set_to_json(uniform_set())
    assert body["type"] == "Microsoft.Compute/virtualMachineScaleSets"
    assert body["sku"] == {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 6}
    assert body["properties"]["scaleInPolicy"] == {"rules": ["NewestVM"], "forceDeletion": True}
    assert body["properties"]["upgradePolicy"] == {"mode": "Automatic"}
    assert body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["offer"] == \
        "0001-com-ubuntu-server-jammy"


@pytest.mark.parametrize("image", ["Ubuntu2204", "Debian12", "Win2022Datacenter", "Canonical:myoffer:mysku:1.2.3",
                                   "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/images/golden"])
def test_images_round_trip_through_image_references(image: str) -> None:
    assert arm_compute.image_from_reference(arm_compute.image_reference(image)) == image


def test_a_create_spec_round_trips_through_the_put_body() -> None:
    spec = ScaleSetSpec(name="api", resource_group="rg", orchestration_mode=OrchestrationMode.FLEXIBLE,
                        location="northeurope", capacity=3, vm_size="Standard_D4s_v3", image="Ubuntu2404",
                        platform_fault_domain_count=1, zones=("1", "2"), single_placement_group=False,
                        scale_in_policy=ScaleInRule.OLDEST_VM, force_deletion=True,
                        upgrade_policy=UpgradeMode.MANUAL, computer_name_prefix="api", priority=Priority.SPOT,
                        zone_balance=True)
    assert arm_compute.scale_set_spec_from_json("api", "rg", arm_compute.scale_set_create_body(spec)) == spec


def test_none_fields_of_a_spec_are_left_out_so_azure_applies_its_defaults() -> None:
    spec = ScaleSetSpec(name="api", resource_group="rg", orchestration_mode=OrchestrationMode.UNIFORM)
    body = arm_compute.scale_set_create_body(spec)
    assert "location" not in body and "capacity" not in body["sku"] and "name" not in body["sku"]
    assert "platformFaultDomainCount" not in body["properties"]


def test_an_unknown_orchestration_mode_is_azures_invalid_parameter_naming_the_property() -> None:
    with pytest.raises(errors.InvalidParameter) as caught:
        arm_compute.scale_set_spec_from_json("x", "rg", {"properties": {"orchestrationMode": "Mixed"}})
    assert caught.value.target == "orchestrationMode"


def test_a_patch_with_only_a_capacity_is_a_capacity_change_and_no_model_update() -> None:
    update, capacity = arm_compute.scale_set_update_from_json({"sku": {"capacity": 9}}, uniform_set())
    assert arm_compute.update_is_empty(update) and capacity == 9


def test_a_patch_body_carries_the_changed_model_and_reads_back_as_the_same_update() -> None:
    current = uniform_set(zones=("1",), zone_balance=False)
    update = ScaleSetUpdate(vm_size="Standard_D4s_v3", image="Debian12", scale_in_policy=ScaleInRule.OLDEST_VM,
                            upgrade_policy=UpgradeMode.MANUAL, add_zones=("2",))
    body = arm_compute.scale_set_update_body(update, current)
    assert body["zones"] == ["1", "2"]
    parsed, capacity = arm_compute.scale_set_update_from_json(body, current)
    assert parsed == update and capacity is None


def test_removing_a_zone_in_a_put_is_refused() -> None:
    with pytest.raises(errors.InvalidParameter):
        arm_compute.scale_set_update_from_json({"zones": ["1"]}, uniform_set())


def test_asking_to_change_an_immutable_property_reaches_the_service() -> None:
    body = arm_compute.scale_set_update_body(ScaleSetUpdate(platform_fault_domain_count=3), uniform_set())
    update, _ = arm_compute.scale_set_update_from_json(body, uniform_set())
    assert update.platform_fault_domain_count == 3


def test_a_uniform_instance_round_trips_with_its_instance_view() -> None:
    instance = uniform_instance()
    body = arm_compute.scale_set_vm_to_json(instance, "westeurope", expand_instance_view=True)
    assert body["properties"]["instanceView"]["statuses"][1]["code"] == "PowerState/deallocated"
    assert arm_compute.instance_from_scale_set_vm(body, uniform_set()) == instance


def test_without_an_instance_view_power_is_unknown_not_inferred() -> None:
    for provisioning in (ProvisioningState.CREATING, ProvisioningState.FAILED, ProvisioningState.SUCCEEDED):
        body = arm_compute.scale_set_vm_to_json(uniform_instance(provisioning_state=provisioning), "westeurope")
        assert arm_compute.instance_from_scale_set_vm(body, uniform_set()).power_state is PowerState.UNKNOWN


def test_a_flexible_vm_round_trips_and_its_instance_view_has_no_fault_or_update_domain() -> None:
    flexible = uniform_set(name="flex", orchestration_mode=OrchestrationMode.FLEXIBLE, platform_fault_domain_count=3,
                           zones=(), zone_balance=False)
    instance = uniform_instance(instance_id="flex_0a1b2c3d", name="flex_0a1b2c3d", computer_name="flexAbCdEf12",
                                scale_set_name="flex", zone=None, fault_domain=2, update_domain=None,
                                latest_model_applied=True, id="/vm/flex_0a1b2c3d")
    body = arm_compute.vm_to_json(instance, "westeurope", flexible, expand_instance_view=True)
    view = body["properties"]["instanceView"]
    assert "platformFaultDomain" not in view and "platformUpdateDomain" not in view
    assert body["properties"]["virtualMachineScaleSet"]["id"] == flexible.id
    assert "protectionPolicy" not in body["properties"]  # not in Azure's VM model
    protection = arm_compute.scale_set_vm_to_json(instance, "westeurope", flexible=True)["properties"]["protectionPolicy"]
    assert arm_compute.instance_from_vm(body, flexible, protection=protection) == instance


def test_a_vm_added_by_hand_is_told_apart_from_one_the_set_created() -> None:
    assert arm_compute.looks_created_by_scale_set("flex_0a1b2c3d", "flex", "flexAbCdEf12")
    assert not arm_compute.looks_created_by_scale_set("newvm", "flex", "newvm")
    assert not arm_compute.looks_created_by_scale_set("flex_0a1b2c3d", "flex", "flex_0a1b2c3d")


def test_a_flexible_vm_on_an_older_size_is_not_on_the_latest_model() -> None:
    flexible = uniform_set(name="flex", orchestration_mode=OrchestrationMode.FLEXIBLE, vm_size="Standard_D4s_v3")
    instance = uniform_instance(instance_id="flex_0a1b2c3d", name="flex_0a1b2c3d", computer_name="flexAbCdEf12",
                                scale_set_name="flex")
    body = arm_compute.vm_to_json(instance, "westeurope", flexible)
    assert arm_compute.instance_from_vm(body, flexible).latest_model_applied is False


def test_a_vm_spec_round_trips_through_the_vm_put_body() -> None:
    spec = VmSpec(name="newvm", zone="2", fault_domain=1, vm_size="Standard_B2s", image="Debian12",
                  priority=Priority.SPOT)
    flexible = uniform_set(orchestration_mode=OrchestrationMode.FLEXIBLE)
    assert arm_compute.vm_spec_from_json("newvm", arm_compute.vm_create_body(spec, flexible)) == spec


def test_azure_timestamps_with_seven_fraction_digits_parse() -> None:
    assert arm_values.parse_time("2026-03-01T09:00:00.1234567Z") == datetime(2026, 3, 1, 9, 0, 0, 123456,
                                                                         tzinfo=timezone.utc)
    assert arm_values.parse_time("2026-03-01T09:00:00+00:00") == datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def test_a_failed_operation_body_carries_the_error_and_a_forced_in_progress_stays_below_100() -> None:
    failed = Operation(id="op1", kind="scale", resource_group="rg", scale_set_name="web",
                       status=OperationStatus.FAILED, start_time=CREATED, end_time=CREATED, percent_complete=100.0,
                       error=ErrorInfo("QuotaExceeded", "no cores", "standardDSv3Family"))
    body = arm_lro.operation_status_json(failed)
    assert body["status"] == "Failed" and body["error"]["code"] == "QuotaExceeded"
    running = arm_lro.operation_status_json(replace(failed, status=OperationStatus.SUCCEEDED),
                                         OperationStatus.IN_PROGRESS)
    assert running["status"] == "InProgress" and running["percentComplete"] < 100 and "error" not in running


@pytest.mark.parametrize("text, expected", [("Succeeded", OperationStatus.SUCCEEDED),
                                            ("failed", OperationStatus.FAILED),
                                            ("Canceled", OperationStatus.CANCELED),
                                            ("Accepted", OperationStatus.IN_PROGRESS),
                                            ("Updating", OperationStatus.IN_PROGRESS)])
def test_any_status_but_the_three_terminal_ones_means_still_running(text: str, expected: OperationStatus) -> None:
    assert arm_lro.operation_status_from_text(text) is expected


def test_known_azure_codes_become_their_domain_class() -> None:
    error = arm_errors.domain_error(409, "OperationNotAllowed", "nope", target="web")
    assert type(error) is errors.OperationNotAllowed and error.target == "web"
    assert str(error) == "(OperationNotAllowed) nope"
    assert type(arm_errors.domain_error(404, "ResourceGroupNotFound", "gone")) is errors.ResourceGroupNotFound


def test_an_unknown_code_keeps_azures_code_and_takes_the_class_of_its_http_status() -> None:
    error = arm_errors.domain_error(401, "ExpiredAuthenticationToken", "The access token expiry UTC time ...")
    assert isinstance(error, errors.AuthenticationFailed)
    assert error.code == "ExpiredAuthenticationToken"
    assert "az login" in error.message


def test_a_429_becomes_too_many_requests_with_the_retry_after() -> None:
    error = arm_errors.domain_error(429, "OperationNotAllowed", "too many requests", retry_after=7)
    assert isinstance(error, errors.TooManyRequests) and error.retry_after == 7 and error.http_status == 429


def test_the_subscription_comes_from_the_option_then_the_environment_then_the_config_then_az() -> None:
    env = {"AZURE_SUBSCRIPTION_ID": "from-env"}
    assert resolve_subscription("from-option", {"subscription": "cfg"}, env, lambda: "az") == "from-option"
    assert resolve_subscription(None, {"subscription": "cfg"}, env, lambda: "az") == "from-env"
    assert resolve_subscription(None, {"subscription": "cfg"}, {}, lambda: "az") == "cfg"
    assert resolve_subscription(None, None, {}, lambda: "az") == "az"


def test_no_subscription_anywhere_says_how_to_choose_one() -> None:
    with pytest.raises(errors.AzureError) as caught:
        resolve_subscription(None, None, {}, lambda: None)
    assert caught.value.code == "SubscriptionNotFound" and "az account set" in caught.value.message


def test_the_az_cli_default_subscription_is_read_from_its_profile_with_a_bom(tmp_path: Path) -> None:
    profile = tmp_path / "azureProfile.json"
    profile.write_text('\ufeff{"subscriptions": [{"id": "a", "isDefault": false}, {"id": "b", "isDefault": true}]}',
                       encoding="utf-8")
    assert azure_cli_default_subscription(profile) == "b"
    assert azure_cli_default_subscription(tmp_path / "missing.json") is None
