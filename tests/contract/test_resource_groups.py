"""Resource groups as ARM has them (`az group create|show|list|delete`) and `az vm list-usage`.

Runs on every backend kind that has the ResourceGroups capability.
"""

from __future__ import annotations

import pytest

from vmss_tui.backends.protocol import Backend, ResourceGroups
from vmss_tui.domain.errors import (
    AzureError,
    InvalidParameter,
    InvalidResourceGroupLocation,
    ResourceGroupNotFound,
    ResourceNotFound,
)
from vmss_tui.domain.models import OperationStatus, VmSpec

from ._support import RG, check_error, create, finish, flexible_spec, uniform_spec


@pytest.fixture
def groups(backend: Backend) -> ResourceGroups:
    if not isinstance(backend, ResourceGroups):
        pytest.skip(f"{type(backend).__name__} has no ResourceGroups capability")
    return backend


def test_a_created_group_is_shown_and_listed_with_its_location_and_tags(groups: ResourceGroups) -> None:
    group, created = groups.create_or_update_resource_group("Lab-RG", "West Europe", {"env": "test"})
    assert created
    assert (group.name, group.location, group.tags, group.provisioning_state) == \
        ("Lab-RG", "westeurope", {"env": "test"}, "Succeeded")
    assert group.id.endswith("/resourceGroups/Lab-RG")
    shown = groups.get_resource_group("lab-rg")  # names are case-insensitive; the stored spelling comes back
    assert (shown.name, shown.location, shown.tags) == ("Lab-RG", "westeurope", {"env": "test"})
    assert "Lab-RG" in [g.name for g in groups.list_resource_group_details()]


def test_creating_an_existing_group_again_replaces_its_tags(groups: ResourceGroups) -> None:
    groups.create_or_update_resource_group("lab-rg", "westeurope", {"env": "test", "owner": "ops"})
    group, created = groups.create_or_update_resource_group("LAB-RG", "westeurope", {"env": "prod"})
    assert not created
    assert (group.name, group.tags) == ("lab-rg", {"env": "prod"})
    assert groups.get_resource_group("lab-rg").tags == {"env": "prod"}


def test_an_existing_group_in_another_location_is_refused_with_azures_text(groups: ResourceGroups) -> None:
    groups.create_or_update_resource_group("lab-rg", "westeurope", {"env": "test"})
    with pytest.raises(InvalidResourceGroupLocation) as info:
        groups.create_or_update_resource_group("lab-rg", "eastus", {"env": "prod"})
    check_error(info.value, code="InvalidResourceGroupLocation",
                message="Invalid resource group location 'eastus'. The Resource group already exists in location "
                        "'westeurope'.")
    assert info.value.http_status == 409
    unchanged = groups.get_resource_group("lab-rg")
    assert (unchanged.location, unchanged.tags) == ("westeurope", {"env": "test"})


def test_a_bad_tag_name_is_refused_and_nothing_is_created(groups: ResourceGroups) -> None:
    with pytest.raises(InvalidParameter):
        groups.create_or_update_resource_group("lab-rg", "westeurope", {"a/b": "x"})
    with pytest.raises(ResourceGroupNotFound):
        groups.get_resource_group("lab-rg")


def test_a_missing_group_is_resource_group_not_found_with_azures_text(groups: ResourceGroups) -> None:
    with pytest.raises(ResourceGroupNotFound) as info:
        groups.get_resource_group("nope-rg")
    check_error(info.value, code="ResourceGroupNotFound", message="Resource group 'nope-rg' could not be found.")
    with pytest.raises(ResourceGroupNotFound):
        groups.delete_resource_group("nope-rg")


def test_a_scale_set_in_a_group_that_does_not_exist_is_refused_and_no_group_appears(backend: Backend) -> None:
    with pytest.raises(ResourceGroupNotFound) as info:
        backend.create_scale_set(uniform_spec("web", resource_group="nope-rg", capacity=1))
    check_error(info.value, code="ResourceGroupNotFound", message="Resource group 'nope-rg' could not be found.")
    assert "nope-rg" not in [g.lower() for g in backend.list_resource_groups()]
    assert [s.name for s in backend.list_scale_sets()] == []


def test_deleting_a_group_removes_every_set_and_vm_in_it_then_the_group(backend: Backend,
                                                                         groups: ResourceGroups) -> None:
    groups.create_or_update_resource_group("doomed-rg", "westeurope")
    create(backend, uniform_spec("web", resource_group="doomed-rg", capacity=2))
    create(backend, flexible_spec("flex", resource_group="doomed-rg"))
    finish(backend, backend.add_vm("doomed-rg", "flex", VmSpec(name="vm1")))
    create(backend, uniform_spec("keep", capacity=1))  # another group: untouched
    final = backend.wait(groups.delete_resource_group("doomed-rg"))
    assert final.status is OperationStatus.SUCCEEDED
    with pytest.raises(ResourceGroupNotFound):
        groups.get_resource_group("doomed-rg")
    assert [(s.resource_group, s.name) for s in backend.list_scale_sets()] == [(RG, "keep")]
    with pytest.raises((ResourceNotFound, ResourceGroupNotFound)):
        backend.get_scale_set("doomed-rg", "web")
    with pytest.raises(ResourceGroupNotFound):  # the group is really gone: nothing can be created in it
        backend.create_scale_set(uniform_spec("web", resource_group="doomed-rg"))
    assert len(backend.list_instances(RG, "keep")) == 1


def test_usage_reports_regional_vcpus_vms_sets_and_each_family_like_az(groups: ResourceGroups,
                                                                      backend: Backend) -> None:
    groups.create_or_update_resource_group("usage-rg", "northeurope")
    create(backend, uniform_spec("web", resource_group="usage-rg", capacity=3, location="northeurope"))  # 3 x 2 vCPUs
    rows = groups.list_usage("northeurope")
    assert [row.name for row in rows[:3]] == ["cores", "virtualMachines", "virtualMachineScaleSets"]
    by_name = {row.name: row for row in rows}
    assert (by_name["cores"].localized_name, by_name["cores"].current_value) == ("Total Regional vCPUs", 6)
    assert by_name["virtualMachines"].current_value == 3
    assert by_name["virtualMachineScaleSets"].current_value == 1
    family = by_name["standardDSv3Family"]
    assert (family.localized_name, family.current_value) == ("Standard DSv3 Family vCPUs", 6)
    assert family.limit >= 6 and by_name["cores"].limit >= 6
    assert by_name["standardBSFamily"].current_value == 0  # every family is listed, used or not
    other = {row.name: row.current_value for row in groups.list_usage("westeurope")}
    assert other["cores"] == 0 and other["virtualMachineScaleSets"] == 0


def test_usage_of_an_unknown_region_is_refused(groups: ResourceGroups) -> None:
    with pytest.raises(AzureError):
        groups.list_usage("atlantis")
