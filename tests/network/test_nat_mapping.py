"""Which frontend port every instance gets from a NAT pool (V1) or a NAT rule V2, over scale-out and scale-in.

The rule (vmss_tui/domain/network/nat.py, docs/emulator-fidelity.md "NAT port mapping"): a member keeps its
port while it stays; new members take the lowest free ports in ascending instance-id order; members beyond
the range's size fail the change as Azure fails it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network import (
    BackendAddressPool, FrontendIPConfiguration, InboundNatPool, InboundNatRule, LoadBalancer, Sku,
    TransportProtocol, assign_frontend_ports, az_frontend_port_range_end, check_nat_pool_allowed, sync_backend_pool,
    sync_nat_pool,
)
from vmss_tui.domain.network.models import scale_set_nic_ip_configuration_id

SET_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
          "Microsoft.Compute/virtualMachineScaleSets/vmss")
LB_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"


def ipconfig(instance: str) -> str:
    return scale_set_nic_ip_configuration_id(SET_ID, instance, "nic", "ipconfig")


def never(requested: int) -> AzureError:
    raise AssertionError(f"range reported too small for {requested}")


def v1_lb(start: int = 50000, end: int = 50119) -> LoadBalancer:
    return LoadBalancer(name="lb", location="eastus", id=LB_ID,
                        frontend_ip_configurations=(FrontendIPConfiguration("loadBalancerFrontEnd", "pip-id"),),
                        backend_address_pools=(BackendAddressPool("bepool"),),
                        inbound_nat_pools=(InboundNatPool("natpool", "loadBalancerFrontEnd", TransportProtocol.TCP,
                                                          start, end, 22),))


def v2_lb(start: int = 50000, end: int = 50119, sku: Sku = Sku.STANDARD) -> LoadBalancer:
    return LoadBalancer(name="lb", location="eastus", id=LB_ID, sku=sku,
                        frontend_ip_configurations=(FrontendIPConfiguration("loadBalancerFrontEnd", "pip-id"),),
                        backend_address_pools=(BackendAddressPool("bepool"),),
                        inbound_nat_rules=(InboundNatRule("NatRule", "loadBalancerFrontEnd", TransportProtocol.TCP,
                                                          22, frontend_port_range_start=start,
                                                          frontend_port_range_end=end,
                                                          backend_address_pool_name="bepool"),))


def v1_ports(lb: LoadBalancer) -> dict[str, int]:
    return {rule.name.rsplit(".", 1)[1]: rule.frontend_port for rule in lb.inbound_nat_rules}


def v2_ports(lb: LoadBalancer) -> dict[str, int]:
    pool = lb.pool("bepool")
    return {a.name.rsplit("_", 1)[1]: a.inbound_nat_rules_port_mapping[0].frontend_port
            for a in pool.load_balancer_backend_addresses}


def test_the_seeds_three_instances_get_50000_50001_50002_to_port_22() -> None:
    """Seed 001: Public IP -> 50000 -> vmss_0:22, 50001 -> vmss_1:22, 50002 -> vmss_2:22."""
    lb = sync_nat_pool(v1_lb(), "natpool", {i: ipconfig(i) for i in ("0", "1", "2")})
    assert [(r.name, r.frontend_port, r.backend_port, r.backend_ip_configuration_id) for r in lb.inbound_nat_rules] == [
        ("natpool.0", 50000, 22, ipconfig("0")), ("natpool.1", 50001, 22, ipconfig("1")),
        ("natpool.2", 50002, 22, ipconfig("2"))]


def test_the_docs_surviving_instances_1_and_3_sit_on_50001_and_50003() -> None:
    """The tutorial's sample: overprovisioned extras 0 and 2 deleted, 1 and 3 remain on 50001 and 50003."""
    lb = sync_nat_pool(v1_lb(), "natpool", {i: ipconfig(i) for i in ("0", "1", "2", "3")})
    lb = sync_nat_pool(lb, "natpool", {i: ipconfig(i) for i in ("1", "3")})
    assert v1_ports(lb) == {"1": 50001, "3": 50003}


def test_scale_in_keeps_the_survivors_ports_and_scale_out_moves_nobody() -> None:
    """C3/C4: instance 1 leaves; 3 keeps 50003; new instances take the lowest free ports, nobody moves."""
    lb = sync_nat_pool(v1_lb(), "natpool", {i: ipconfig(i) for i in ("0", "1", "2", "3")})
    lb = sync_nat_pool(lb, "natpool", {i: ipconfig(i) for i in ("1", "3")})
    lb = sync_nat_pool(lb, "natpool", {"3": ipconfig("3")})
    assert v1_ports(lb) == {"3": 50003}
    lb = sync_nat_pool(lb, "natpool", {i: ipconfig(i) for i in ("3", "4", "5", "6", "7")})
    assert v1_ports(lb) == {"3": 50003, "4": 50000, "5": 50001, "6": 50002, "7": 50004}


def test_a_late_batch_starts_again_at_the_start_of_the_range() -> None:
    """A real set's listing: instances 117, 118, 119, 120, 122 on 50000-50004 once the earlier ones left."""
    lb = sync_nat_pool(v1_lb(), "natpool", {i: ipconfig(i) for i in ("0", "1")})
    lb = sync_nat_pool(lb, "natpool", {})
    lb = sync_nat_pool(lb, "natpool", {i: ipconfig(i) for i in ("122", "117", "120", "119", "118")})
    assert v1_ports(lb) == {"117": 50000, "118": 50001, "119": 50002, "120": 50003, "122": 50004}


def test_instance_ids_beyond_the_range_still_fit_while_ports_are_free() -> None:
    lb = sync_nat_pool(v1_lb(50000, 50002), "natpool", {i: ipconfig(i) for i in ("0", "7", "9")})
    assert v1_ports(lb) == {"0": 50000, "7": 50001, "9": 50002}


def test_a_nat_pool_of_two_ports_refuses_a_third_instance_and_changes_nothing() -> None:
    """C5: NAT pool 50000-50001, scale to 3."""
    before = sync_nat_pool(v1_lb(50000, 50001), "natpool", {i: ipconfig(i) for i in ("0", "1")})
    with pytest.raises(AzureError) as raised:
        sync_nat_pool(before, "natpool", {i: ipconfig(i) for i in ("0", "1", "2")})
    assert raised.value.code == "InboundNatPoolFrontendPortRangeSmallerThanRequestedPorts"
    assert raised.value.http_status == 400
    assert "50000-50001" in raised.value.message and "3 ports" in raised.value.message
    assert v1_ports(before) == {"0": 50000, "1": 50001}


def test_a_nat_rule_v2_maps_each_pool_member_and_refuses_more_members_than_ports() -> None:
    lb = sync_backend_pool(v2_lb(50000, 50001), "bepool", {i: ipconfig(i) for i in ("0", "1")})
    assert v2_ports(lb) == {"0": 50000, "1": 50001}
    assert lb.pool("bepool").load_balancer_backend_addresses[1].inbound_nat_rules_port_mapping[0].backend_port == 22
    with pytest.raises(AzureError) as raised:
        sync_backend_pool(lb, "bepool", {i: ipconfig(i) for i in ("0", "1", "2")})
    assert raised.value.code == "InboundNatRuleFrontendPortRangeSmallerThanRequestedPorts"


def test_flexible_vm_names_take_the_lowest_free_ports_in_name_order() -> None:
    members = {"demo-set_3d68ad8f": "/nic-a/ipConfigurations/ipconfig1", "newvm": "/nic-b/ipConfigurations/ipconfig1"}
    lb = sync_backend_pool(v2_lb(), "bepool", members)
    addresses = lb.pool("bepool").load_balancer_backend_addresses
    assert [(a.network_interface_ip_configuration_id, a.inbound_nat_rules_port_mapping[0].frontend_port)
            for a in addresses] == [("/nic-a/ipConfigurations/ipconfig1", 50000),
                                    ("/nic-b/ipConfigurations/ipconfig1", 50001)]


def test_a_basic_load_balancer_lists_no_nat_rule_v2_mappings() -> None:
    """NAT rule V2 needs a Standard load balancer; on Basic the pool lists no addresses (az then says so)."""
    lb = sync_backend_pool(v2_lb(sku=Sku.BASIC), "bepool", {"0": ipconfig("0")})
    assert lb.pool("bepool").load_balancer_backend_addresses == ()
    assert lb.pool("bepool").backend_ip_configuration_ids == (ipconfig("0"),)


def test_az_reserves_room_for_overprovisioned_vms_in_the_range() -> None:
    """C6/C7: end = max(50119, 49999 + count * (1 if overprovision disabled else 2))."""
    assert az_frontend_port_range_end(100, False) == 50199
    assert az_frontend_port_range_end(100, True) == 50119
    assert az_frontend_port_range_end(2, False) == 50119
    assert az_frontend_port_range_end(100, None) == 50199  # Flexible: az passes None, counted as overprovision


def test_a_flexible_set_cannot_reference_a_nat_pool() -> None:
    """C11."""
    with pytest.raises(AzureError) as raised:
        check_nat_pool_allowed("Flexible", "demo-set", [LB_ID + "/inboundNatPools/natpool"])
    assert raised.value.http_status == 400 and "Flexible" in raised.value.message
    check_nat_pool_allowed("Uniform", "vmss", [LB_ID + "/inboundNatPools/natpool"])
    check_nat_pool_allowed("Flexible", "demo-set", [])


# --- Property: random scale sequences --------------------------------------------------------------

scale_steps = st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=6)), min_size=1, max_size=25)


def replay(steps: list[tuple[bool, int]], range_size: int, sync, ports_of, lb: LoadBalancer) -> None:
    """Scale out (new ids, as Azure numbers them: never reused) or in (remove random-ish survivors)."""
    members: list[str] = []
    next_id = 0
    before: dict[str, int] = {}
    for grow, amount in steps:
        if grow:
            wanted = members + [str(next_id + k) for k in range(amount)]
        else:
            wanted = [m for index, m in enumerate(members) if index % (amount + 1) != 0]
        try:
            lb = sync(lb, {m: ipconfig(m) for m in wanted})
        except AzureError as error:
            assert len(wanted) > range_size and "SmallerThanRequestedPorts" in error.code
            continue
        if grow:
            next_id += amount
        members = wanted
        ports = ports_of(lb)
        assert sorted(ports) == sorted(members)
        assert len(set(ports.values())) == len(ports), f"two instances share a port: {ports}"
        assert all(50000 <= port < 50000 + range_size for port in ports.values())
        for member, port in before.items():
            if member in ports:
                assert ports[member] == port, f"instance {member} moved from {port} to {ports[member]}"
        before = ports


@settings(max_examples=150, deadline=None)
@given(steps=scale_steps, range_size=st.integers(min_value=1, max_value=12))
def test_nat_pool_ports_stay_unique_and_never_move_over_any_scale_sequence(steps, range_size) -> None:
    replay(steps, range_size, lambda lb, m: sync_nat_pool(lb, "natpool", m), v1_ports,
           v1_lb(50000, 50000 + range_size - 1))


@settings(max_examples=150, deadline=None)
@given(steps=scale_steps, range_size=st.integers(min_value=1, max_value=12))
def test_nat_rule_v2_ports_stay_unique_and_never_move_over_any_scale_sequence(steps, range_size) -> None:
    replay(steps, range_size, lambda lb, m: sync_backend_pool(lb, "bepool", m), v2_ports,
           v2_lb(50000, 50000 + range_size - 1))


@settings(max_examples=200, deadline=None)
@given(current=st.dictionaries(st.text("0123456789ab", min_size=1, max_size=3), st.integers(0, 30), max_size=8),
       members=st.lists(st.text("0123456789ab", min_size=1, max_size=3), max_size=12))
def test_assignment_never_shares_a_port_and_keeps_every_valid_current_port(current, members) -> None:
    """Even from an arbitrary (possibly inconsistent) starting table."""
    try:
        ports = assign_frontend_ports(10, 25, current, members, lambda n: AzureError("full", code="Full"))
    except AzureError:
        assert len(set(members)) > 16
        return
    assert sorted(ports) == sorted(set(members))
    assert len(set(ports.values())) == len(ports)
    assert all(10 <= p <= 25 for p in ports.values())
    kept = {m: p for m, p in current.items() if m in ports and 10 <= p <= 25}
    if len(set(kept.values())) == len(kept):  # a consistent table: every such port is kept
        assert all(ports[m] == p for m, p in kept.items())
