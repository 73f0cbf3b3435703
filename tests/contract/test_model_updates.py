"""Model changes and how they reach existing instances under each upgrade mode.

Sources: azure-semantics.md §1.1 (upgradePolicy: Automatic = all VMs at once, Manual = via
manualUpgrade, Rolling), §4.1 (update_instances = manualupgrade); seed 001 ("Manual means ...
changes will only take effect when new VMs are created"; "Automatic means update all the VMs");
issue 2 ("changing the VM size or image marks existing instances latestModelApplied = false").
"""

from __future__ import annotations

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import ResourceNotFound
from vmss_tui.domain.models import ScaleInRule, ScaleSetUpdate, UpgradeMode

from ._support import (
    BIGGER_SIZE,
    OTHER_IMAGE,
    RG,
    SIZE,
    assert_nothing_changes,
    by_id,
    create,
    finish,
    scale,
    uniform_spec,
)


def latest_flags(backend: Backend) -> dict[str, bool]:
    """Instance id -> latestModelApplied for set "web"."""
    return {i.instance_id: i.latest_model_applied for i in backend.list_instances(RG, "web")}


def test_a_size_change_in_manual_mode_leaves_instances_behind_the_model(backend: Backend) -> None:
    """Manual: the model changes, the instances keep their old size and report latestModelApplied false."""
    create(backend, uniform_spec("web", capacity=3))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    assert backend.get_scale_set(RG, "web").vm_size == BIGGER_SIZE
    assert latest_flags(backend) == {"0": False, "1": False, "2": False}
    assert {i.vm_size for i in backend.list_instances(RG, "web")} == {SIZE}


def test_an_image_change_in_manual_mode_leaves_instances_behind_the_model(backend: Backend) -> None:
    """Manual: an image change marks instances latestModelApplied false too."""
    create(backend, uniform_spec("web", capacity=2))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(image=OTHER_IMAGE)))
    assert backend.get_scale_set(RG, "web").image == OTHER_IMAGE
    assert latest_flags(backend) == {"0": False, "1": False}


def test_a_policy_change_does_not_mark_instances_out_of_date(backend: Backend) -> None:
    """Only the VM model (size, image) makes instances stale; the scale-in policy is not part of it."""
    create(backend, uniform_spec("web", capacity=2))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(scale_in_policy=ScaleInRule.OLDEST_VM)))
    assert latest_flags(backend) == {"0": True, "1": True}


def test_upgrading_chosen_instances_brings_only_them_to_the_latest_model(backend: Backend) -> None:
    """§4.1 manualUpgrade with instanceIds: the chosen instances get the new size, the rest wait."""
    create(backend, uniform_spec("web", capacity=3))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    finish(backend, backend.upgrade_instances(RG, "web", ["1"]))
    instances = by_id(backend, "web")
    assert latest_flags(backend) == {"0": False, "1": True, "2": False}
    assert instances["1"].vm_size == BIGGER_SIZE
    assert instances["0"].vm_size == SIZE


def test_upgrading_all_brings_every_instance_to_the_latest_model(backend: Backend) -> None:
    """protocol.upgrade_instances(None): every instance not on the latest model."""
    create(backend, uniform_spec("web", capacity=3))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE, image=OTHER_IMAGE)))
    finish(backend, backend.upgrade_instances(RG, "web"))
    assert latest_flags(backend) == {"0": True, "1": True, "2": True}
    assert {(i.vm_size, i.image) for i in backend.list_instances(RG, "web")} == {(BIGGER_SIZE, OTHER_IMAGE)}


def test_new_instances_in_manual_mode_come_from_the_new_model(backend: Backend) -> None:
    """Seed 001: with Manual, changes take effect "when new VMs are created"."""
    create(backend, uniform_spec("web", capacity=1))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    scale(backend, "web", 2)
    instances = by_id(backend, "web")
    assert (instances["1"].vm_size, instances["1"].latest_model_applied) == (BIGGER_SIZE, True)
    assert (instances["0"].vm_size, instances["0"].latest_model_applied) == (SIZE, False)


@pytest.mark.parametrize("mode", [UpgradeMode.AUTOMATIC, UpgradeMode.ROLLING])
def test_automatic_and_rolling_modes_bring_every_instance_to_the_new_model(backend: Backend,
                                                                           mode: UpgradeMode) -> None:
    """§1.1: Automatic updates all VMs at once; Rolling in batches; both end with all on the model."""
    create(backend, uniform_spec("web", capacity=5, upgrade_policy=mode))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    assert set(latest_flags(backend).values()) == {True}
    assert {i.vm_size for i in backend.list_instances(RG, "web")} == {BIGGER_SIZE}


def test_upgrading_an_unknown_instance_is_resource_not_found_and_upgrades_nothing(backend: Backend) -> None:
    """protocol.upgrade_instances: an id not in the set fails the whole request."""
    create(backend, uniform_spec("web", capacity=2))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    assert_nothing_changes(backend, "web", lambda: backend.upgrade_instances(RG, "web", ["0", "42"]),
                           ResourceNotFound)


INSTANCE_PROTECTION = (
    "DOCS:virtual-machine-scale-sets-instance-protection: protectFromScaleSetActions 'protects the instance from "
    "operations initiated on the scale set (upgrade, reimage, deallocate, ...)'; SDK docstring: 'model updates or "
    "actions ... initiated on the virtual machine scale set should not be applied to the VM'"
)


def test_an_automatic_model_update_skips_instances_protected_from_scale_set_actions(backend: Backend) -> None:
    """DOCS:instance-protection: scale-set-initiated upgrades leave such an instance on its old model."""
    create(backend, uniform_spec("web", capacity=3, upgrade_policy=UpgradeMode.AUTOMATIC))
    backend.set_protection(RG, "web", ["1"], protect_from_scale_in=True, protect_from_scale_set_actions=True)
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    instances = by_id(backend, "web")
    assert latest_flags(backend) == {"0": True, "1": False, "2": True}
    assert instances["1"].vm_size == SIZE


def test_upgrading_all_instances_skips_those_protected_from_scale_set_actions(backend: Backend) -> None:
    """DOCS:instance-protection: a set-wide manual upgrade is a scale-set action too."""
    create(backend, uniform_spec("web", capacity=3))
    backend.set_protection(RG, "web", ["2"], protect_from_scale_in=True, protect_from_scale_set_actions=True)
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    finish(backend, backend.upgrade_instances(RG, "web"))
    assert latest_flags(backend) == {"0": True, "1": True, "2": False}


def test_scale_in_protection_alone_does_not_hold_back_an_automatic_upgrade(backend: Backend) -> None:
    """DOCS:instance-protection: protectFromScaleIn "doesn't block operations initiated on the scale set (upgrade ...)"."""
    create(backend, uniform_spec("web", capacity=2, upgrade_policy=UpgradeMode.AUTOMATIC))
    backend.set_protection(RG, "web", ["0"], protect_from_scale_in=True)
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size=BIGGER_SIZE)))
    assert latest_flags(backend) == {"0": True, "1": True}
