"""Creation rules and immutable properties of scale sets.

Sources: azure-semantics.md §1.1 (immutable orchestrationMode / platformFaultDomainCount, SPG
true->false only), §2.3 (fault-domain table), §2.4 (zones), §2.6 (error texts); seeds 000/002
("orchestration mode is defined at creation and cannot be changed"), seed 003 (Flexible FD counts).
"""

from __future__ import annotations

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import (
    InvalidParameter,
    PropertyChangeNotAllowed,
    ResourceGroupNotFound,
    ResourceNotFound,
)
from vmss_tui.domain.models import (
    OrchestrationMode,
    ProvisioningState,
    ScaleInRule,
    ScaleSetUpdate,
    UpgradeMode,
)

from ._support import (
    OTHER_RG,
    RG,
    assert_nothing_changes,
    check_error,
    create,
    finish,
    flexible_spec,
    uniform_spec,
)

FD_RANGE = r"The specified fault domain count {value} must fall in the range \d to {high}\."
FD_NOT_ALLOWED = r"The value '{value}' of parameter 'platformFaultDomainCount' is not allowed\. Allowed values are '[^']*5'\."
FLEX_ZONES_WITH_FD = (
    "Specifying Availability Zones is not allowed when Virtual Machine Scale Set has "
    "platformFaultDomainCount higher than 1 with OrchestrationMode: 'Flexible'."
)


def test_a_created_set_reports_what_was_asked_and_has_succeeded(backend: Backend) -> None:
    """The basic create round trip: name, mode, size, image, policies and state as requested."""
    created = create(backend, uniform_spec("web", capacity=2, scale_in_policy=ScaleInRule.OLDEST_VM,
                                           upgrade_policy=UpgradeMode.AUTOMATIC))
    assert created.name == "web"
    assert created.resource_group == RG
    assert created.orchestration_mode is OrchestrationMode.UNIFORM
    assert created.capacity == 2
    assert created.vm_size == "Standard_D2s_v3"
    assert created.image == "Ubuntu2204"
    assert created.scale_in_policy is ScaleInRule.OLDEST_VM
    assert created.upgrade_policy is UpgradeMode.AUTOMATIC
    assert created.provisioning_state is ProvisioningState.SUCCEEDED
    assert created.location == "westeurope"
    assert "/resourceGroups/contract-rg/providers/Microsoft.Compute/virtualMachineScaleSets/web" in created.id


def test_orchestration_mode_cannot_change_after_creation(backend: Backend) -> None:
    """Seeds 000/002: the mode is fixed at creation; Azure answers PropertyChangeNotAllowed."""
    create(backend, uniform_spec("web", capacity=1))
    error = assert_nothing_changes(
        backend, "web",
        lambda: backend.update_scale_set(RG, "web", ScaleSetUpdate(orchestration_mode=OrchestrationMode.FLEXIBLE)),
        PropertyChangeNotAllowed)
    check_error(error, code="PropertyChangeNotAllowed",
                message="Changing property 'orchestrationMode' is not allowed.", target="orchestrationMode")


def test_flexible_mode_cannot_become_uniform_either(backend: Backend) -> None:
    """The rule holds in both directions."""
    create(backend, flexible_spec("flex"))
    error = assert_nothing_changes(
        backend, "flex",
        lambda: backend.update_scale_set(RG, "flex", ScaleSetUpdate(orchestration_mode=OrchestrationMode.UNIFORM)),
        PropertyChangeNotAllowed)
    check_error(error, code="PropertyChangeNotAllowed", target="orchestrationMode")


def test_fault_domain_count_cannot_change_after_creation(backend: Backend) -> None:
    """§2.6: "Changing property 'platformFaultDomainCount' is not allowed." (MicrosoftDocs/azure-docs#108952)."""
    create(backend, uniform_spec("web", capacity=2, platform_fault_domain_count=5))
    error = assert_nothing_changes(
        backend, "web",
        lambda: backend.update_scale_set(RG, "web", ScaleSetUpdate(platform_fault_domain_count=3)),
        PropertyChangeNotAllowed)
    check_error(error, code="PropertyChangeNotAllowed",
                message="Changing property 'platformFaultDomainCount' is not allowed.",
                target="platformFaultDomainCount")


@pytest.mark.parametrize(
    ("mode", "zones", "expected_default"),
    [
        (OrchestrationMode.UNIFORM, (), 5),
        (OrchestrationMode.UNIFORM, ("1",), 1),
        (OrchestrationMode.UNIFORM, ("1", "2", "3"), 1),
        (OrchestrationMode.FLEXIBLE, (), 1),
        (OrchestrationMode.FLEXIBLE, ("1", "2", "3"), 1),
    ],
    ids=["uniform-regional-5", "uniform-zonal-1", "uniform-zone-spanning-1", "flexible-regional-1",
         "flexible-zonal-1"],
)
def test_fault_domain_count_defaults_follow_the_mode_and_placement_table(
        backend: Backend, mode: OrchestrationMode, zones: tuple[str, ...], expected_default: int) -> None:
    """§2.3 table (manage-fault-domains): the default FD count per mode and deployment."""
    spec = uniform_spec("s", zones=zones) if mode is OrchestrationMode.UNIFORM else flexible_spec("s", zones=zones)
    assert create(backend, spec).platform_fault_domain_count == expected_default


@pytest.mark.parametrize(
    ("mode", "zones", "fault_domain_count"),
    [
        (OrchestrationMode.UNIFORM, (), 1),
        (OrchestrationMode.UNIFORM, (), 2),
        (OrchestrationMode.UNIFORM, (), 3),
        (OrchestrationMode.UNIFORM, (), 4),
        (OrchestrationMode.UNIFORM, (), 5),
        (OrchestrationMode.UNIFORM, ("1", "2", "3"), 1),
        (OrchestrationMode.UNIFORM, ("1", "2", "3"), 5),
        (OrchestrationMode.UNIFORM, ("2",), 5),
        (OrchestrationMode.FLEXIBLE, (), 1),
        (OrchestrationMode.FLEXIBLE, (), 2),
        (OrchestrationMode.FLEXIBLE, (), 3),
        (OrchestrationMode.FLEXIBLE, ("1", "2"), 1),
    ],
)
def test_every_fault_domain_count_the_table_allows_is_accepted(
        backend: Backend, mode: OrchestrationMode, zones: tuple[str, ...], fault_domain_count: int) -> None:
    """§2.3 table: Uniform regional 1-5, zonal 1 or 5; Flexible regional 1-3, zonal 1."""
    make = uniform_spec if mode is OrchestrationMode.UNIFORM else flexible_spec
    created = create(backend, make("s", zones=zones, platform_fault_domain_count=fault_domain_count, capacity=1))
    assert created.platform_fault_domain_count == fault_domain_count


@pytest.mark.parametrize("fault_domain_count", [0, 6])
def test_uniform_regional_fault_domain_count_outside_1_to_5_is_invalid(backend: Backend, fault_domain_count: int) -> None:
    """§2.3: Uniform regional allows 1-5; §2.6 gives the range message with target platformFaultDomainCount."""
    with pytest.raises(InvalidParameter) as info:
        backend.create_scale_set(uniform_spec("web", platform_fault_domain_count=fault_domain_count))
    check_error(info.value, code="InvalidParameter", target="platformFaultDomainCount",
                pattern=FD_RANGE.format(value=fault_domain_count, high=5))
    assert backend.list_scale_sets() == []


@pytest.mark.parametrize("fault_domain_count", [2, 3, 4])
def test_uniform_zonal_fault_domain_count_must_be_1_or_5(backend: Backend, fault_domain_count: int) -> None:
    """§2.3: zonal Uniform allows only 1 and 5; §2.6: "The value 'N' of parameter ... Allowed values are '5'."."""
    with pytest.raises(InvalidParameter) as info:
        backend.create_scale_set(uniform_spec("web", zones=("1", "2", "3"),
                                              platform_fault_domain_count=fault_domain_count))
    check_error(info.value, code="InvalidParameter", target="platformFaultDomainCount",
                pattern=FD_NOT_ALLOWED.format(value=fault_domain_count))
    assert backend.list_scale_sets() == []


def test_flexible_regional_fault_domain_count_above_the_region_maximum_is_invalid(backend: Backend) -> None:
    """§2.3 / seed 003: Flexible regional max is 3 (the region's maximum); 4 gets the range message."""
    with pytest.raises(InvalidParameter) as info:
        backend.create_scale_set(flexible_spec("flex", platform_fault_domain_count=4))
    check_error(info.value, code="InvalidParameter", target="platformFaultDomainCount",
                pattern=FD_RANGE.format(value=4, high=3))


def test_flexible_regional_maximum_follows_a_two_fault_domain_region(backend: Backend) -> None:
    """Seed 003: "Regional - 3 (depending on the regional fault domain max count)": canadaeast has 2."""
    with pytest.raises(InvalidParameter) as info:
        backend.create_scale_set(flexible_spec("flex", location="canadaeast", platform_fault_domain_count=3))
    check_error(info.value, code="InvalidParameter", target="platformFaultDomainCount",
                pattern=FD_RANGE.format(value=3, high=2))


def test_flexible_with_zones_and_more_than_one_fault_domain_is_rejected_with_azures_text(backend: Backend) -> None:
    """§2.6 (kubernetes-sigs/cluster-api-provider-azure#4451): zones + FD>1 on Flexible."""
    with pytest.raises(InvalidParameter) as info:
        backend.create_scale_set(flexible_spec("flex", zones=("1", "2"), platform_fault_domain_count=2))
    check_error(info.value, code="InvalidParameter", message=FLEX_ZONES_WITH_FD)
    assert backend.list_scale_sets() == []


@pytest.mark.parametrize("bad_zone", ["0", "4", "west"])
def test_zones_other_than_1_2_3_are_invalid(backend: Backend, bad_zone: str) -> None:
    """§1.1 / issue 2: availability zones are "1", "2" and "3"."""
    with pytest.raises(InvalidParameter) as info:
        backend.create_scale_set(uniform_spec("web", zones=("1", bad_zone)))
    check_error(info.value, code="InvalidParameter", mentions=(bad_zone,))
    assert backend.list_scale_sets() == []


def test_zones_can_be_added_to_a_zonal_set(backend: Backend) -> None:
    """§2.4 (use-availability-zones): zones can be added to an existing set."""
    create(backend, uniform_spec("web", zones=("1",), capacity=2))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(add_zones=("2", "3"))))
    assert backend.get_scale_set(RG, "web").zones == ("1", "2", "3")


def test_adding_zones_does_not_move_existing_instances(backend: Backend) -> None:
    """§2.4: "VMs not moved" when zones are added."""
    create(backend, uniform_spec("web", zones=("1",), capacity=2))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(add_zones=("2",))))
    assert {instance.zone for instance in backend.list_instances(RG, "web")} == {"1"}


def test_adding_a_zone_outside_1_to_3_is_invalid(backend: Backend) -> None:
    """Zones stay within 1-3 after an update too, and the set is left as it was."""
    create(backend, uniform_spec("web", zones=("1",), capacity=1))
    error = assert_nothing_changes(
        backend, "web", lambda: backend.update_scale_set(RG, "web", ScaleSetUpdate(add_zones=("4",))),
        InvalidParameter)
    check_error(error, code="InvalidParameter", mentions=("4",))


def test_regional_uniform_sets_use_a_single_placement_group_by_default(backend: Backend) -> None:
    """§2.1: singlePlacementGroup defaults to true for a regional Uniform set."""
    assert create(backend, uniform_spec("web", capacity=1)).single_placement_group is True


@pytest.mark.parametrize("zones", [("1",), ("1", "2")], ids=["zonal", "zone-spanning"])
def test_zonal_uniform_sets_do_not_use_a_single_placement_group_by_default(backend: Backend,
                                                                          zones: tuple[str, ...]) -> None:
    """§2.1 (use-availability-zones, since api 2017-12-01): zonal Uniform defaults to false."""
    assert create(backend, uniform_spec("web", zones=zones, capacity=1)).single_placement_group is False


def test_single_placement_group_may_be_turned_off(backend: Backend) -> None:
    """§1.1: singlePlacementGroup true -> false is allowed."""
    create(backend, uniform_spec("web", capacity=1, single_placement_group=True))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(single_placement_group=False)))
    assert backend.get_scale_set(RG, "web").single_placement_group is False


def test_single_placement_group_can_never_be_turned_back_on(backend: Backend) -> None:
    """§1.1: never false -> true; §2.6 reuses PropertyChangeNotAllowed with the property as target."""
    create(backend, uniform_spec("web", capacity=1, single_placement_group=False))
    error = assert_nothing_changes(
        backend, "web", lambda: backend.update_scale_set(RG, "web", ScaleSetUpdate(single_placement_group=True)),
        PropertyChangeNotAllowed)
    check_error(error, code="PropertyChangeNotAllowed",
                message="Changing property 'singlePlacementGroup' is not allowed.", target="singlePlacementGroup")


def test_policies_can_be_changed_after_creation(backend: Backend) -> None:
    """Scale-in rule and upgrade mode are ordinary mutable properties (§1.1)."""
    create(backend, uniform_spec("web", capacity=1))
    finish(backend, backend.update_scale_set(
        RG, "web", ScaleSetUpdate(scale_in_policy=ScaleInRule.NEWEST_VM, upgrade_policy=UpgradeMode.ROLLING)))
    updated = backend.get_scale_set(RG, "web")
    assert updated.scale_in_policy is ScaleInRule.NEWEST_VM
    assert updated.upgrade_policy is UpgradeMode.ROLLING


def test_scale_sets_are_listed_sorted_by_group_then_name(backend: Backend) -> None:
    """protocol.list_scale_sets: sorted by (resource group, name), filterable by group."""
    create(backend, uniform_spec("zeta"))
    create(backend, uniform_spec("alpha"))
    create(backend, uniform_spec("mid", resource_group=OTHER_RG))
    listed = [(s.resource_group, s.name) for s in backend.list_scale_sets()]
    assert listed == [(OTHER_RG, "mid"), (RG, "alpha"), (RG, "zeta")]
    assert [s.name for s in backend.list_scale_sets(RG)] == ["alpha", "zeta"]
    assert backend.list_resource_groups() == [OTHER_RG, RG]


def test_listing_an_unknown_resource_group_is_resource_group_not_found(backend: Backend) -> None:
    """protocol.list_scale_sets raises ResourceGroupNotFound (404) for a group that does not exist."""
    with pytest.raises(ResourceGroupNotFound) as info:
        backend.list_scale_sets("no-such-rg")
    check_error(info.value, code="ResourceGroupNotFound", mentions=("no-such-rg",))
    assert info.value.http_status == 404


def test_scale_set_names_are_case_insensitive(backend: Backend) -> None:
    """ARM resource names are case-insensitive (protocol.get_scale_set)."""
    create(backend, uniform_spec("web", capacity=1))
    assert backend.get_scale_set(RG, "WEB").name == "web"


def test_an_unknown_scale_set_is_resource_not_found_404(backend: Backend) -> None:
    """§2.6: "The Resource 'Microsoft.Compute/virtualMachineScaleSets/{n}' under resource group '{rg}' was not found."."""
    create(backend, uniform_spec("web", capacity=1))
    with pytest.raises(ResourceNotFound) as info:
        backend.get_scale_set(RG, "ghost")
    check_error(info.value, code="ResourceNotFound",
                pattern=r"The Resource 'Microsoft\.Compute/virtualMachineScaleSets/ghost' under resource group "
                        r"'contract-rg' was not found\..*")
    assert info.value.http_status == 404


@pytest.mark.parametrize("call", [
    "list_instances", "placement", "set_capacity", "plan_capacity", "delete_scale_set", "update_scale_set",
    "power_action", "upgrade_instances",
])
def test_every_call_on_an_unknown_scale_set_is_resource_not_found(backend: Backend, call: str) -> None:
    """§2.6: any request naming a missing set gets 404 ResourceNotFound, never a crash or a new set."""
    from vmss_tui.domain.models import PowerAction

    calls = {
        "list_instances": lambda: backend.list_instances(RG, "ghost"),
        "placement": lambda: backend.placement(RG, "ghost"),
        "set_capacity": lambda: backend.set_capacity(RG, "ghost", 2),
        "plan_capacity": lambda: backend.plan_capacity(RG, "ghost", 2),
        "delete_scale_set": lambda: backend.delete_scale_set(RG, "ghost"),
        "update_scale_set": lambda: backend.update_scale_set(RG, "ghost", ScaleSetUpdate(vm_size="Standard_D4s_v3")),
        "power_action": lambda: backend.power_action(RG, "ghost", PowerAction.START),
        "upgrade_instances": lambda: backend.upgrade_instances(RG, "ghost"),
    }
    create(backend, uniform_spec("web", capacity=1))
    with pytest.raises(ResourceNotFound) as info:
        calls[call]()
    assert info.value.code == "ResourceNotFound"
    assert info.value.http_status == 404
    assert [s.name for s in backend.list_scale_sets()] == ["web"]


@pytest.mark.parametrize("zones", [(), ("1",)], ids=["regional", "single-zone"])
def test_strict_zone_balance_needs_more_than_one_zone(backend: Backend, zones: tuple[str, ...]) -> None:
    """§1.1: properties.zoneBalance applies only with more than one zone."""
    with pytest.raises(InvalidParameter):
        backend.create_scale_set(uniform_spec("web", zones=zones, zone_balance=True))
    assert backend.list_scale_sets() == []


def test_strict_zone_balance_is_accepted_across_zones(backend: Backend) -> None:
    """§1.1: zoneBalance true on a zone-spanning set is kept."""
    assert create(backend, uniform_spec("web", zones=("1", "2"), zone_balance=True)).zone_balance is True


def test_a_computer_name_prefix_longer_than_15_characters_is_invalid(backend: Backend) -> None:
    """§1.1: computerNamePrefix is 1-15 characters."""
    create(backend, uniform_spec("ok", computer_name_prefix="a" * 15))
    with pytest.raises(InvalidParameter):
        backend.create_scale_set(uniform_spec("web", computer_name_prefix="a" * 16))
    assert [s.name for s in backend.list_scale_sets()] == ["ok"]


def test_the_scale_set_resource_id_names_a_guid_subscription(backend: Backend) -> None:
    """§1.1 / §4.3: /subscriptions/{GUID}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{n}."""
    import re

    created = create(backend, uniform_spec("web"))
    assert re.fullmatch(
        r"/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/resourceGroups/contract-rg/"
        r"providers/Microsoft\.Compute/virtualMachineScaleSets/web", created.id), created.id
    assert created.subscription_id and created.subscription_id in created.id


def test_a_flexible_set_cannot_ask_for_a_single_placement_group(backend: Backend) -> None:
    """§2.2 (orchestration-modes): singlePlacementGroup is an unsupported parameter for Flexible (use null)."""
    with pytest.raises(InvalidParameter):
        backend.create_scale_set(flexible_spec("flex", single_placement_group=True))
    assert backend.list_scale_sets() == []


def test_adding_zones_to_a_flexible_set_with_fixed_fault_domains_is_rejected(backend: Backend) -> None:
    """§2.6: zones with FD count > 1 on Flexible are refused, whether asked at create or added later."""
    create(backend, flexible_spec("flex", platform_fault_domain_count=2, capacity=1))
    error = assert_nothing_changes(
        backend, "flex", lambda: backend.update_scale_set(RG, "flex", ScaleSetUpdate(add_zones=("1",))),
        InvalidParameter)
    check_error(error, code="InvalidParameter", message=FLEX_ZONES_WITH_FD)


def test_a_regional_uniform_set_with_three_fault_domains_cannot_become_zonal(backend: Backend) -> None:
    """§2.3 table: a zonal Uniform set has FD count 1 or 5, and the FD count cannot change (§1.1)."""
    create(backend, uniform_spec("web", platform_fault_domain_count=3, capacity=1, single_placement_group=False))
    error = assert_nothing_changes(
        backend, "web", lambda: backend.update_scale_set(RG, "web", ScaleSetUpdate(add_zones=("1", "2"))),
        InvalidParameter)
    check_error(error, code="InvalidParameter", target="platformFaultDomainCount")


def test_restating_immutable_properties_unchanged_is_not_a_change(backend: Backend) -> None:
    """§2.6: the error is about *changing* a property; sending the current values back is accepted."""
    create(backend, uniform_spec("web", capacity=1, platform_fault_domain_count=5, single_placement_group=True))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(
        orchestration_mode=OrchestrationMode.UNIFORM, platform_fault_domain_count=5, single_placement_group=True)))
    unchanged = backend.get_scale_set(RG, "web")
    assert (unchanged.platform_fault_domain_count, unchanged.single_placement_group) == (5, True)


def test_resource_group_names_are_case_insensitive(backend: Backend) -> None:
    """ARM resource group names are case-insensitive."""
    create(backend, uniform_spec("web", capacity=1))
    assert backend.get_scale_set(RG.upper(), "web").name == "web"
    assert [i.instance_id for i in backend.list_instances(RG.upper(), "web")] == ["0"]
