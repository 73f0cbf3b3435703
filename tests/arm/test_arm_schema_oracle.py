"""Our ARM JSON against azure-mgmt-compute's generated models: every key declared, every enum Azure's,
no read-only key in a request body, and the SDK reads it and writes it back unchanged."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from vmss_tui.arm import compute as arm_compute
from vmss_tui.arm import resources as arm_resources
from vmss_tui.domain.images import MARKETPLACE_IMAGES
from vmss_tui.domain.models import (
    OrchestrationMode,
    PowerState,
    Priority,
    ScaleInRule,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    Usage,
    VmSpec,
)
from vmss_tui.domain.sizes import SIZES

from .schema_oracle import round_trips, schema_problems, sdk
from .test_arm_compute_codec import uniform_instance, uniform_set

SUBNET = ("/subscriptions/6f0c7c8e-8a6b-4c55-9d1e-3f1b2a4c5d6e/resourceGroups/prod-rg/providers/"
          "Microsoft.Network/virtualNetworks/vnet/subnets/default")


def flexible_set() -> Any:
    return uniform_set(name="batch", orchestration_mode=OrchestrationMode.FLEXIBLE, platform_fault_domain_count=3,
                       zones=(), zone_balance=False, single_placement_group=None, priority=Priority.SPOT)


RESPONSES = {
    "uniform scale set": (lambda: sdk.VirtualMachineScaleSet, lambda: arm_compute.scale_set_to_json(uniform_set())),
    "flexible scale set without a profile": (
        lambda: sdk.VirtualMachineScaleSet,
        lambda: arm_compute.scale_set_to_json(replace(flexible_set(), has_vm_profile=False, capacity=0))),
    "scale-set VM with its instance view": (
        lambda: sdk.VirtualMachineScaleSetVM,
        lambda: arm_compute.scale_set_vm_to_json(uniform_instance(), "westeurope", expand_instance_view=True)),
    "scale-set VM instance view": (
        lambda: sdk.VirtualMachineScaleSetVMInstanceView,
        lambda: arm_compute.instance_view_json(uniform_instance(), flexible=False)),
    "Flexible VM with its instance view": (
        lambda: sdk.VirtualMachine,
        lambda: arm_compute.vm_to_json(
            uniform_instance(name="batch_1a2b3c4d", instance_id="batch_1a2b3c4d", power_state=PowerState.RUNNING,
                             update_domain=None, fault_domain=2),
            "westeurope", flexible_set(), expand_instance_view=True)),
    "scale-set sku row (az vmss list-skus)": (
        lambda: sdk.VirtualMachineScaleSetSku,
        lambda: arm_compute.scale_set_sku_json(SIZES["standard_d2s_v3"], 1000, 1)),
    "usage row (az vm list-usage)": (
        lambda: sdk.Usage,
        lambda: arm_resources.usage_json(Usage(name="cores", localized_name="Total Regional vCPUs",
                                               current_value=4, limit=100))),
    "marketplace image version list entry": (
        lambda: sdk.VirtualMachineImageResource,
        lambda: arm_compute.image_version_resource_json("sub", "westeurope", MARKETPLACE_IMAGES[0],
                                                        MARKETPLACE_IMAGES[0].versions[-1])),
    "marketplace image version": (
        lambda: sdk.VirtualMachineImage,
        lambda: arm_compute.image_version_json("sub", "westeurope", MARKETPLACE_IMAGES[3],
                                               MARKETPLACE_IMAGES[3].versions[0])),
    "Flexible VM instance view": (
        lambda: sdk.VirtualMachineInstanceView,
        lambda: arm_compute.instance_view_json(uniform_instance(update_domain=None), flexible=True)),
}

REQUESTS = {
    "create of a Uniform set with a key and a subnet": (
        lambda: sdk.VirtualMachineScaleSet,
        lambda: arm_compute.scale_set_create_body(
            ScaleSetSpec(name="web", resource_group="prod-rg", orchestration_mode=OrchestrationMode.UNIFORM,
                         location="westeurope", capacity=3,
                         vm_size="Standard_D2s_v3", image="Ubuntu2204", zones=("1", "2"), zone_balance=True,
                         platform_fault_domain_count=1, single_placement_group=False,
                         scale_in_policy=ScaleInRule.OLDEST_VM, upgrade_policy=UpgradeMode.ROLLING,
                         computer_name_prefix="web", priority=Priority.SPOT),
            ssh_public_key="ssh-ed25519 AAAA test", subnet_id=SUBNET)),
    "create of a Flexible set with a subnet": (
        lambda: sdk.VirtualMachineScaleSet,
        lambda: arm_compute.scale_set_create_body(
            ScaleSetSpec(name="batch", resource_group="prod-rg", orchestration_mode=OrchestrationMode.FLEXIBLE,
                         location="westeurope", capacity=2, platform_fault_domain_count=1, with_vm_profile=True),
            subnet_id=SUBNET)),
    "update of size, image, policies and zones": (
        lambda: sdk.VirtualMachineScaleSetUpdate,
        lambda: arm_compute.scale_set_update_body(
            ScaleSetUpdate(vm_size="Standard_D4s_v3", image="Debian12", scale_in_policy=ScaleInRule.OLDEST_VM,
                           force_deletion=True, upgrade_policy=UpgradeMode.AUTOMATIC, single_placement_group=False,
                           add_zones=("3",)),
            uniform_set())),
    "VM added by hand to a Flexible set": (
        lambda: sdk.VirtualMachine,
        lambda: arm_compute.vm_create_body(
            VmSpec(name="extra", zone="1", fault_domain=None, vm_size="Standard_D2s_v3", image="Ubuntu2204"),
            flexible_set(), ssh_public_key="ssh-ed25519 AAAA test")),
}


@pytest.mark.parametrize("case", sorted(RESPONSES))
def test_every_response_body_is_in_the_sdk_schema_and_round_trips_through_the_sdk_model(case: str) -> None:
    model_of, body_of = RESPONSES[case]
    model, body = model_of(), body_of()
    assert schema_problems(model, body) == []
    assert round_trips(model, body) == body


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_every_request_body_is_in_the_sdk_schema_with_no_read_only_key(case: str) -> None:
    model_of, body_of = REQUESTS[case]
    model, body = model_of(), body_of()
    assert schema_problems(model, body, request=True) == []
    assert round_trips(model, body) == body


def test_the_oracle_names_a_misspelt_key_a_wrong_enum_and_a_read_only_key_in_a_request() -> None:
    body = arm_compute.scale_set_to_json(uniform_set())
    body["properties"]["upgradePolicy"] = {"mode": "Sometimes"}
    body["properties"]["scaleInPolicy"]["forceDelete"] = True
    body["sku"]["capacity"] = "6"
    problems = schema_problems(sdk.VirtualMachineScaleSet, body, request=True)
    assert "properties.upgradePolicy.mode: 'Sometimes' is not one of UpgradeMode's values" in problems
    assert "properties.scaleInPolicy.forceDelete: not a field of ScaleInPolicy" in problems
    assert "sku.capacity: expected int, got '6'" in problems
    assert "id: read-only in VirtualMachineScaleSet, must not be sent" in problems


def test_the_two_keys_a_patch_sends_outside_azures_update_model_are_the_ones_that_ask_for_a_refusal() -> None:
    """orchestrationMode and platformFaultDomainCount cannot change; they are sent so Azure refuses by name."""
    body = arm_compute.scale_set_update_body(
        ScaleSetUpdate(orchestration_mode=OrchestrationMode.FLEXIBLE, platform_fault_domain_count=2), uniform_set())
    assert sorted(schema_problems(sdk.VirtualMachineScaleSetUpdate, body, request=True)) == [
        "properties.orchestrationMode: not a field of VirtualMachineScaleSetUpdateProperties",
        "properties.platformFaultDomainCount: not a field of VirtualMachineScaleSetUpdateProperties",
    ]


def test_a_zone_balance_change_is_not_sent_in_a_patch_that_azure_would_ignore() -> None:
    """zoneBalance is not in Azure's PATCH model (VirtualMachineScaleSetUpdateProperties): the adapter PUTs it."""
    body = arm_compute.scale_set_update_body(ScaleSetUpdate(zone_balance=True), uniform_set(zone_balance=False))
    assert schema_problems(sdk.VirtualMachineScaleSetUpdate, body, request=True) == []
