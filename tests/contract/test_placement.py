"""Where new instances land: the emptiest zone, then the emptiest fault domain.

Sources: azure-semantics.md §3.1 (placement, FD=1 "max spreading" reports FD 0), §2.3
(fault-domain counts), DOCS:zone-balancing quoted in §3.1 ("balanced" = within +/-1).
"""

from __future__ import annotations

from collections import Counter

from vmss_tui.backends.protocol import Backend

from ._support import (
    RG,
    create,
    fault_domain_counts,
    finish,
    flexible_spec,
    scale,
    uniform_spec,
    zone_counts,
)

ZONES = ("1", "2", "3")


def assert_zones_balanced(backend: Backend, name: str) -> None:
    """Zone counts within +/-1 (an empty zone counts as 0)."""
    counts = zone_counts(backend, name)
    per_zone = [counts.get(zone, 0) for zone in ZONES]
    assert max(per_zone) - min(per_zone) <= 1, per_zone


def test_zones_stay_balanced_within_one_after_every_scale_out(backend: Backend) -> None:
    """§3.1: each new VM goes to the emptiest zone, so counts never differ by more than one."""
    create(backend, uniform_spec("web", zones=ZONES, capacity=0))
    for capacity in range(1, 11):
        scale(backend, "web", capacity)
        assert_zones_balanced(backend, "web")


def test_a_zone_emptied_by_deletes_gets_the_next_instances(backend: Backend) -> None:
    """§3.1: the emptiest zone is filled first, even when that is not the lowest zone."""
    create(backend, uniform_spec("web", zones=ZONES, capacity=6))
    zone_two = [instance.instance_id for instance in backend.list_instances(RG, "web") if instance.zone == "2"]
    assert len(zone_two) == 2
    finish(backend, backend.delete_instances(RG, "web", zone_two))
    operation = scale(backend, "web", 6)
    new_zones = {backend.get_instance(RG, "web", new_id).zone for new_id in operation.created_instance_ids}
    assert new_zones == {"2"}
    assert zone_counts(backend, "web") == {"1": 2, "2": 2, "3": 2}


def test_a_regional_five_fault_domain_set_fills_each_fault_domain_evenly(backend: Backend) -> None:
    """§3.1: fixed FD=N puts each VM in the emptiest FD; 10 VMs over 5 FDs are 2 each."""
    create(backend, uniform_spec("web", platform_fault_domain_count=5, capacity=10))
    assert fault_domain_counts(backend, "web") == {0: 2, 1: 2, 2: 2, 3: 2, 4: 2}
    assert {instance.zone for instance in backend.list_instances(RG, "web")} == {None}


def test_a_fault_domain_emptied_by_a_delete_gets_the_next_instance(backend: Backend) -> None:
    """§3.1: emptiest FD first after a delete."""
    create(backend, uniform_spec("web", platform_fault_domain_count=5, capacity=5))
    in_fd_3 = [i.instance_id for i in backend.list_instances(RG, "web") if i.fault_domain == 3]
    assert len(in_fd_3) == 1
    finish(backend, backend.delete_instances(RG, "web", in_fd_3))
    operation = scale(backend, "web", 5)
    (new_id,) = operation.created_instance_ids
    assert backend.get_instance(RG, "web", new_id).fault_domain == 3


def test_a_zone_spanning_five_fault_domain_set_fills_every_zone_and_fault_domain_cell(backend: Backend) -> None:
    """§3.1: zones first, then FDs within each zone: 15 VMs over 3 zones x 5 FDs is one per cell."""
    create(backend, uniform_spec("web", zones=ZONES, platform_fault_domain_count=5, capacity=15,
                                 single_placement_group=False))
    cells = Counter((instance.zone, instance.fault_domain) for instance in backend.list_instances(RG, "web"))
    assert cells == {(zone, fd): 1 for zone in ZONES for fd in range(5)}


def test_fault_domain_count_1_puts_every_instance_in_fault_domain_0(backend: Backend) -> None:
    """§2.3: FD=1 is "max spreading" and all instances report FD 0."""
    create(backend, uniform_spec("web", platform_fault_domain_count=1, capacity=4))
    assert fault_domain_counts(backend, "web") == {0: 4}
    placement = backend.placement(RG, "web")
    assert placement.max_spreading is True
    assert placement.fault_domain_count == 1


def test_a_flexible_three_fault_domain_set_spreads_evenly(backend: Backend) -> None:
    """§3.1 applies to Flexible too: 6 VMs over 3 FDs are 2 each."""
    create(backend, flexible_spec("flex", platform_fault_domain_count=3, capacity=6))
    assert fault_domain_counts(backend, "flex") == {0: 2, 1: 2, 2: 2}


def test_flexible_vms_added_without_a_zone_go_to_the_emptiest_zone(backend: Backend) -> None:
    """§3.1: placement applies to hand-added VMs that do not pick a zone."""
    from vmss_tui.domain.models import VmSpec

    create(backend, flexible_spec("flex", zones=ZONES))
    for _ in range(3):
        finish(backend, backend.add_vm(RG, "flex", VmSpec()))
    assert zone_counts(backend, "flex") == {"1": 1, "2": 1, "3": 1}


def test_the_placement_map_shows_exactly_the_instances_in_each_zone_and_fault_domain(backend: Backend) -> None:
    """The fd-map view must agree with the instances, cell by cell."""
    create(backend, uniform_spec("web", zones=ZONES, platform_fault_domain_count=5, capacity=8,
                                 single_placement_group=False))
    finish(backend, backend.delete_instances(RG, "web", ["1", "4"]))
    placement = backend.placement(RG, "web")
    instances = backend.list_instances(RG, "web")
    assert placement.scale_set_name == "web"
    assert placement.zones == ZONES
    assert placement.fault_domain_count == 5
    assert placement.max_spreading is False
    from_cells = {instance_id: (cell.zone, cell.fault_domain)
                  for cell in placement.cells for instance_id in cell.instance_ids}
    assert from_cells == {instance.instance_id: (instance.zone, instance.fault_domain) for instance in instances}
    assert sum(len(cell.instance_ids) for cell in placement.cells) == len(instances) == 6


def test_a_regional_set_has_one_placement_row_without_a_zone(backend: Backend) -> None:
    """A regional set's map has the single zone row None."""
    create(backend, uniform_spec("web", platform_fault_domain_count=3, capacity=3))
    placement = backend.placement(RG, "web")
    assert placement.zones == (None,)
    assert {cell.fault_domain: cell.instance_ids for cell in placement.cells} == {0: ("0",), 1: ("1",), 2: ("2",)}


def test_deallocated_instances_still_count_for_zone_balance(backend: Backend) -> None:
    """§3.1 (DOCS:zone-balancing): deallocated VMs count when deciding which zone is emptiest."""
    from vmss_tui.domain.models import PowerAction

    create(backend, uniform_spec("web", zones=ZONES, capacity=6))
    instances = backend.list_instances(RG, "web")
    in_zone_2 = [i.instance_id for i in instances if i.zone == "2"]
    one_in_zone_3 = [i.instance_id for i in instances if i.zone == "3"][:1]
    finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE, in_zone_2))
    finish(backend, backend.delete_instances(RG, "web", one_in_zone_3))
    (new_id,) = scale(backend, "web", 6).created_instance_ids
    assert backend.get_instance(RG, "web", new_id).zone == "3"
