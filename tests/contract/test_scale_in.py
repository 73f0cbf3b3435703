"""Which instances a scale-in removes, and that the dry run names exactly those.

Sources: azure-semantics.md §3.2 (candidates, zone balance first, Default = FD balance then
highest id, NewestVM / OldestVM, the scale-in-policy doc tables as test vectors), §2.4
("scale-in removes non-zonal instances first"), §1.2 (protection flags).

The doc tables use instances 1-11 in zones {3,4,5,10} / {2,6,9,11} / {1,7,8}, created in id
order. `build_doc_layout` builds that layout through the protocol: it scales out one instance
at a time with time passing in between (so creation order is id order), keeps each new instance
if it landed in the zone the table wants and otherwise keeps it as a filler, then deletes the
fillers. The real ids differ from the table's (fillers use ids too) but keep its order, so the
table's ids are mapped onto them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vmss_tui.backends.protocol import Backend
from vmss_tui.domain.errors import InvalidParameter
from vmss_tui.domain.models import ScaleInRule, ScaleSetUpdate

from ._support import (
    RG,
    by_id,
    create,
    finish,
    instance_ids,
    scale,
    uniform_spec,
    zone_counts,
)

DOC_ZONES = {3: "1", 4: "1", 5: "1", 10: "1", 2: "2", 6: "2", 9: "2", 11: "2", 1: "3", 7: "3", 8: "3"}
"""Table id -> zone, from DOCS:scale-in-policy (azure-semantics.md §3.2)."""

OLDEST_VM_VICTIMS = [2, 3, 1, 4, 6, 5]
NEWEST_VM_VICTIMS = [11, 10, 9, 8, 5, 7]
DEFAULT_VICTIMS_ON_DOC_LAYOUT = [11, 10, 9, 8, 5, 7]
"""Default on this layout: zone balance, FD count 1 (nothing to balance), then the highest id."""


def build_doc_layout(backend: Backend, let_time_pass: Callable[[float], None],
                     rule: ScaleInRule) -> dict[int, str]:
    """Create zonal set "web" holding the doc table's 11 instances; return table id -> real id."""
    create(backend, uniform_spec("web", zones=("1", "2", "3"), capacity=0, scale_in_policy=rule))
    real_ids: dict[int, str] = {}
    fillers: list[str] = []
    capacity = 0
    for table_id in range(1, 12):
        wanted_zone = DOC_ZONES[table_id]
        while table_id not in real_ids:
            let_time_pass(60)
            capacity += 1
            (new_id,) = scale(backend, "web", capacity).created_instance_ids
            if backend.get_instance(RG, "web", new_id).zone == wanted_zone:
                real_ids[table_id] = new_id
            else:
                fillers.append(new_id)
            assert capacity < 60, "placement never reached the wanted zone"
    if fillers:
        finish(backend, backend.delete_instances(RG, "web", fillers))
    instances = by_id(backend, "web")
    assert {table_id: instances[real].zone for table_id, real in real_ids.items()} == DOC_ZONES
    assert zone_counts(backend, "web") == {"1": 4, "2": 4, "3": 3}
    assert backend.get_scale_set(RG, "web").capacity == 11
    return real_ids


def victims_one_at_a_time(backend: Backend, steps: int) -> list[str]:
    """Scale in by one, `steps` times, and record which instance each step removed."""
    removed: list[str] = []
    for _ in range(steps):
        before = set(instance_ids(backend, "web"))
        capacity = backend.get_scale_set(RG, "web").capacity
        scale(backend, "web", capacity - 1)
        (victim,) = before - set(instance_ids(backend, "web"))
        removed.append(victim)
    return removed


@pytest.mark.parametrize(
    ("rule", "expected_table_ids"),
    [(ScaleInRule.OLDEST_VM, OLDEST_VM_VICTIMS), (ScaleInRule.NEWEST_VM, NEWEST_VM_VICTIMS),
     (ScaleInRule.DEFAULT, DEFAULT_VICTIMS_ON_DOC_LAYOUT)],
    ids=["OldestVM", "NewestVM", "Default"],
)
def test_scale_in_one_at_a_time_follows_the_docs_table(
        backend: Backend, let_time_pass: Callable[[float], None],
        rule: ScaleInRule, expected_table_ids: list[int]) -> None:
    """§3.2 test vectors: OldestVM deletes 2,3,1,4,6,5; NewestVM deletes 11,10,9,8,5,7."""
    real_ids = build_doc_layout(backend, let_time_pass, rule)
    removed = victims_one_at_a_time(backend, 6)
    assert removed == [real_ids[table_id] for table_id in expected_table_ids]


@pytest.mark.parametrize(
    ("rule", "expected_table_ids"),
    [(ScaleInRule.OLDEST_VM, OLDEST_VM_VICTIMS), (ScaleInRule.NEWEST_VM, NEWEST_VM_VICTIMS)],
    ids=["OldestVM", "NewestVM"],
)
def test_one_big_scale_in_removes_the_same_instances_the_dry_run_named(
        backend: Backend, let_time_pass: Callable[[float], None],
        rule: ScaleInRule, expected_table_ids: list[int]) -> None:
    """plan_capacity must name exactly what set_capacity then removes: here the table's six."""
    real_ids = build_doc_layout(backend, let_time_pass, rule)
    before = instance_ids(backend, "web")
    plan = backend.plan_capacity(RG, "web", 5)
    assert instance_ids(backend, "web") == before, "a dry run must change nothing"
    assert plan.current_capacity == 11
    assert plan.target_capacity == 5
    assert plan.to_create == ()
    expected = [real_ids[table_id] for table_id in expected_table_ids]
    assert sorted(removal.instance_id for removal in plan.to_remove) == sorted(expected)
    operation = scale(backend, "web", 5)
    assert sorted(operation.removed_instance_ids) == sorted(expected)
    assert sorted(set(before) - set(instance_ids(backend, "web"))) == sorted(expected)


def test_scale_in_balances_zones_before_anything_else(backend: Backend) -> None:
    """§3.2 step 1: the victim comes from the fullest zone even if it holds the oldest ids."""
    create(backend, uniform_spec("web", zones=("1", "2", "3"), capacity=6))
    instances = backend.list_instances(RG, "web")
    newest_in_2 = max((i for i in instances if i.zone == "2"), key=lambda i: int(i.instance_id))
    newest_in_3 = max((i for i in instances if i.zone == "3"), key=lambda i: int(i.instance_id))
    finish(backend, backend.delete_instances(RG, "web", [newest_in_2.instance_id, newest_in_3.instance_id]))
    assert zone_counts(backend, "web") == {"1": 2, "2": 1, "3": 1}
    operation = scale(backend, "web", 3)
    (victim,) = operation.removed_instance_ids
    assert victim not in instance_ids(backend, "web")
    assert zone_counts(backend, "web") == {"1": 1, "2": 1, "3": 1}


def test_default_policy_balances_fault_domains_before_taking_the_highest_id(backend: Backend) -> None:
    """§3.2 step 2 (Default): the fullest FD loses an instance, though the highest id lives elsewhere.

    Ten instances over five FDs, then deletes leave FD0 = {0,5}, FD1..FD3 one each, FD4 empty;
    the next scale-out puts id 10 in FD4. Scaling in by one must remove 5 (fullest FD), not 10;
    the next step, with FDs even, removes the highest id, 10.
    """
    create(backend, uniform_spec("web", platform_fault_domain_count=5, capacity=10))
    finish(backend, backend.delete_instances(RG, "web", ["4", "9", "8", "7", "6"]))
    scale(backend, "web", 6)
    layout = {instance.instance_id: instance.fault_domain for instance in backend.list_instances(RG, "web")}
    assert layout == {"0": 0, "5": 0, "1": 1, "2": 2, "3": 3, "10": 4}
    assert sorted(removal.instance_id for removal in backend.plan_capacity(RG, "web", 4).to_remove) == ["10", "5"]
    assert victims_one_at_a_time(backend, 2) == ["5", "10"]


def test_default_policy_removes_the_highest_ids_when_fault_domains_are_even(backend: Backend) -> None:
    """§3.2: within balanced FDs the newest (highest id) goes: 10 -> 5 removes 9, 8, 7, 6, 5."""
    create(backend, uniform_spec("web", platform_fault_domain_count=5, capacity=10))
    operation = scale(backend, "web", 5)
    assert sorted(operation.removed_instance_ids, key=int) == ["5", "6", "7", "8", "9"]
    assert instance_ids(backend, "web") == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize("flag", ["protect_from_scale_in", "protect_from_scale_set_actions"])
def test_protected_instances_are_never_removed_by_scale_in(backend: Backend, flag: str) -> None:
    """§3.2: candidates exclude protectFromScaleIn and protectFromScaleSetActions instances."""
    create(backend, uniform_spec("web", capacity=6))
    flags = {"protect_from_scale_in": True}
    if flag == "protect_from_scale_set_actions":
        flags["protect_from_scale_set_actions"] = True
    backend.set_protection(RG, "web", ["4", "5"], **flags)
    plan = backend.plan_capacity(RG, "web", 2)
    assert {"4", "5"} <= set(plan.protected_instance_ids)
    assert sorted(removal.instance_id for removal in plan.to_remove) == ["0", "1", "2", "3"]
    scale(backend, "web", 2)
    assert instance_ids(backend, "web") == ["4", "5"]


def test_protection_flags_are_reported_on_the_instance(backend: Backend) -> None:
    """§1.2: protectionPolicy lives on the instance model and is off by default."""
    create(backend, uniform_spec("web", capacity=2))
    changed = backend.set_protection(RG, "web", ["1"], protect_from_scale_in=True,
                                     protect_from_scale_set_actions=True)
    assert [(i.instance_id, i.protect_from_scale_in, i.protect_from_scale_set_actions) for i in changed] == [
        ("1", True, True)]
    instances = by_id(backend, "web")
    assert (instances["0"].protect_from_scale_in, instances["0"].protect_from_scale_set_actions) == (False, False)
    assert (instances["1"].protect_from_scale_in, instances["1"].protect_from_scale_set_actions) == (True, True)


def test_scale_set_action_protection_requires_scale_in_protection(backend: Backend) -> None:
    """§1.2 (instance-protection): protectFromScaleSetActions true forbids protectFromScaleIn false."""
    create(backend, uniform_spec("web", capacity=1))
    before = backend.list_instances(RG, "web")
    with pytest.raises(InvalidParameter):
        backend.set_protection(RG, "web", ["0"], protect_from_scale_in=False, protect_from_scale_set_actions=True)
    assert backend.list_instances(RG, "web") == before


def test_unprotecting_lets_scale_in_remove_the_instance_again(backend: Backend) -> None:
    """Protection is a switch: once off, the instance is an ordinary candidate."""
    create(backend, uniform_spec("web", capacity=3))
    backend.set_protection(RG, "web", ["2"], protect_from_scale_in=True)
    backend.set_protection(RG, "web", ["2"], protect_from_scale_in=False)
    scale(backend, "web", 2)
    assert "2" not in instance_ids(backend, "web")


def test_a_scale_out_dry_run_names_the_ids_and_places_that_scale_out_creates(backend: Backend) -> None:
    """plan_capacity for Uniform knows the next ids (the counter) and where they will go."""
    create(backend, uniform_spec("web", zones=("1", "2", "3"), capacity=2))
    plan = backend.plan_capacity(RG, "web", 5)
    assert backend.get_scale_set(RG, "web").capacity == 2
    assert plan.to_remove == ()
    planned = {(p.instance_id, p.zone, p.fault_domain) for p in plan.to_create}
    operation = scale(backend, "web", 5)
    created = {(i, backend.get_instance(RG, "web", i).zone, backend.get_instance(RG, "web", i).fault_domain)
               for i in operation.created_instance_ids}
    assert planned == created
    assert {p.instance_id for p in plan.to_create} == {"2", "3", "4"}


def test_non_zonal_instances_go_first_after_zones_are_added_to_a_regional_set(backend: Backend) -> None:
    """§2.4 (use-availability-zones): zones can be added, VMs are not moved, and scale-in removes
    the non-zonal instances first."""
    create(backend, uniform_spec("web", capacity=3, single_placement_group=False))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(add_zones=("1", "2", "3"))))
    assert {instance.zone for instance in backend.list_instances(RG, "web")} == {None}
    created = scale(backend, "web", 6).created_instance_ids
    assert {backend.get_instance(RG, "web", i).zone for i in created} == {"1", "2", "3"}
    operation = scale(backend, "web", 3)
    assert sorted(operation.removed_instance_ids) == ["0", "1", "2"]
    assert zone_counts(backend, "web") == {"1": 1, "2": 1, "3": 1}


def protect_zone_one_and_scale_to_three(backend: Backend, zone_balance: bool) -> None:
    """Six instances over zones 1-3 with zone 1's two protected, so removing three must unbalance the zones."""
    create(backend, uniform_spec("web", zones=("1", "2", "3"), capacity=6, zone_balance=zone_balance))
    in_zone_1 = [i.instance_id for i in backend.list_instances(RG, "web") if i.zone == "1"]
    backend.set_protection(RG, "web", in_zone_1, protect_from_scale_in=True)


def test_strict_zone_balance_refuses_a_scale_in_that_would_unbalance_zones(backend: Backend) -> None:
    """DOCS:zone-balancing: "Strict zone balance - only allow the scaling operation to continue if zone
    balance can be maintained. If that is not possible, the scaling operation will fail."."""
    from vmss_tui.domain.errors import AzureError

    from ._support import assert_nothing_changes

    protect_zone_one_and_scale_to_three(backend, zone_balance=True)
    assert_nothing_changes(backend, "web", lambda: backend.set_capacity(RG, "web", 3), AzureError)


def test_best_effort_zone_balance_allows_the_imbalance_and_restores_it_on_the_next_scale_out(backend: Backend) -> None:
    """DOCS:zone-balancing: best effort allows temporary imbalance; later scale-outs add VMs to the zones
    needing more to restore balance."""
    protect_zone_one_and_scale_to_three(backend, zone_balance=False)
    scale(backend, "web", 3)
    counts = zone_counts(backend, "web")
    assert counts["1"] == 2
    assert counts.get("2", 0) + counts.get("3", 0) == 1
    scale(backend, "web", 6)
    assert zone_counts(backend, "web") == {"1": 2, "2": 2, "3": 2}
