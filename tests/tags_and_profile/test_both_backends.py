"""Tags through the backend protocol, on the emulator and on the live adapter talking HTTPS to the endpoint:
the adapter's PATCH carries tags (the whole object), its zoneBalance goes by PUT, VM tags go both ways."""

from __future__ import annotations

from typing import Any

from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec, ScaleSetUpdate, VmSpec

from ..contract._support import CONTRACT_GROUPS

RG = CONTRACT_GROUPS[0]


def test_tags_given_at_create_and_replaced_by_update_are_what_the_set_shows(backend: Any) -> None:
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="web", resource_group=RG, capacity=1,
                                                       orchestration_mode=OrchestrationMode.UNIFORM,
                                                       tags=(("env", "lab"),))))
    assert backend.get_scale_set(RG, "web").tags == (("env", "lab"),)
    backend.wait(backend.update_scale_set(RG, "web", ScaleSetUpdate(tags=(("env", "prod"), ("team", "blue")))))
    assert backend.get_scale_set(RG, "web").tags == (("env", "prod"), ("team", "blue"))
    assert [s.tags for s in backend.list_scale_sets(RG)] == [(("env", "prod"), ("team", "blue"))]
    backend.wait(backend.update_scale_set(RG, "web", ScaleSetUpdate(tags=())))
    assert backend.get_scale_set(RG, "web").tags == ()


def test_zone_balance_changes_through_either_backend_and_keeps_the_tags(backend: Any) -> None:
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="zoned", resource_group=RG, capacity=2,
                                                       orchestration_mode=OrchestrationMode.UNIFORM,
                                                       zones=("1", "2"), tags=(("env", "lab"),))))
    assert backend.get_scale_set(RG, "zoned").zone_balance is False
    backend.wait(backend.update_scale_set(RG, "zoned", ScaleSetUpdate(zone_balance=True)))
    changed = backend.get_scale_set(RG, "zoned")
    assert changed.zone_balance is True and changed.tags == (("env", "lab"),) and changed.capacity == 2


def test_a_vms_tags_are_kept_and_replaced_on_both_kinds_of_set(backend: Any) -> None:
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="flex", resource_group=RG, capacity=0,
                                                       orchestration_mode=OrchestrationMode.FLEXIBLE,
                                                       platform_fault_domain_count=1)))
    backend.wait(backend.add_vm(RG, "flex", VmSpec(name="flex-a", tags=(("role", "worker"),))))
    assert backend.get_instance(RG, "flex", "flex-a").tags == (("role", "worker"),)
    assert backend.set_instance_tags(RG, "flex", "flex-a", (("role", "web"),)).tags == (("role", "web"),)
    assert backend.get_instance(RG, "flex", "flex-a").tags == (("role", "web"),)
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="web", resource_group=RG, capacity=1,
                                                       orchestration_mode=OrchestrationMode.UNIFORM)))
    backend.set_instance_tags(RG, "web", "0", (("owner", "ops"),))
    assert backend.get_instance(RG, "web", "0").tags == (("owner", "ops"),)
    assert [i.tags for i in backend.list_instances(RG, "web")] == [(("owner", "ops"),)]
