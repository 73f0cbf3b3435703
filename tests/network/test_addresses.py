"""Private addresses of a subnet, and the prefixes of a virtual network, as Azure allocates and checks them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network import SubnetAddresses, parse_prefix, usable_count, validate_subnet_prefixes

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default"


def test_the_first_nic_gets_dot_4_and_the_next_dot_5() -> None:
    """Azure reserves x.x.x.0-3; the docs' VMs get 192.168.1.4 then 192.168.1.5."""
    subnet = SubnetAddresses(SUBNET, "192.168.1.0/24")
    subnet, first = subnet.allocate("nic1/ipconfig1")
    subnet, second = subnet.allocate("nic2/ipconfig1")
    assert (first, second) == ("192.168.1.4", "192.168.1.5")
    assert subnet.holder_of("192.168.1.4") == "nic1/ipconfig1"


def test_a_slash_24_holds_251_addresses_and_the_252nd_fails_with_subnet_is_full() -> None:
    subnet = SubnetAddresses(SUBNET, "10.0.0.0/24")
    assert subnet.capacity == usable_count(parse_prefix("10.0.0.0/24", SUBNET)) == 251
    subnet, given = subnet.allocate_many(f"vm{i}" for i in range(251))
    assert given["vm0"] == "10.0.0.4" and given["vm250"] == "10.0.0.254"
    assert "10.0.0.255" not in subnet.holders  # the last address is reserved too
    with pytest.raises(AzureError) as raised:
        subnet.allocate("vm251")
    assert raised.value.code == "SubnetIsFull" and raised.value.http_status == 400
    assert raised.value.message == (f"Subnet {SUBNET} with address prefix 10.0.0.0/24 does not have enough "
                                    "capacity for 1 IP addresses.")


def test_a_scale_out_that_does_not_fit_takes_no_address_at_all() -> None:
    subnet = SubnetAddresses(SUBNET, "10.0.0.0/29")  # 8 addresses, 3 usable
    subnet, _ = subnet.allocate("vm0")
    with pytest.raises(AzureError) as raised:
        subnet.allocate_many(["vm1", "vm2", "vm3"])
    assert "capacity for 3 IP addresses" in raised.value.message
    assert dict(subnet.holders) == {"10.0.0.4": "vm0"}


def test_a_released_address_is_handed_out_again_and_never_while_held() -> None:
    subnet = SubnetAddresses(SUBNET, "10.0.0.0/24")
    subnet, _ = subnet.allocate_many(["a", "b", "c"])
    subnet = subnet.release("b")
    subnet, again = subnet.allocate("d")
    assert again == "10.0.0.5"
    subnet, next_one = subnet.allocate("e")
    assert next_one == "10.0.0.7"
    assert subnet.allocate("a")[1] == "10.0.0.4"  # asking again is not a second address


def test_a_static_address_must_be_free_usable_and_inside_the_subnet() -> None:
    subnet = SubnetAddresses(SUBNET, "10.0.0.0/24")
    subnet, chosen = subnet.allocate("nic1", "10.0.0.10")
    assert chosen == "10.0.0.10"
    codes = {}
    for address in ("10.0.0.10", "10.0.0.2", "10.0.0.255", "10.0.1.4", "not-an-ip"):
        with pytest.raises(AzureError) as raised:
            subnet.allocate("nic2", address)
        codes[address] = raised.value.code
    assert codes == {"10.0.0.10": "PrivateIPAddressInUse", "10.0.0.2": "PrivateIPAddressInReservedRange",
                     "10.0.0.255": "PrivateIPAddressInReservedRange", "10.0.1.4": "PrivateIPAddressNotInSubnet",
                     "not-an-ip": "InvalidParameter"}
    assert subnet.allocate("nic3")[1] == "10.0.0.4"  # dynamic allocation steps around the static one


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 12)), max_size=60))
def test_no_address_is_ever_held_twice_and_every_holder_keeps_its_own(operations) -> None:
    subnet = SubnetAddresses(SUBNET, "10.0.0.0/28")  # 11 usable
    held: dict[str, str] = {}
    for allocate, holder_number in operations:
        holder = f"nic{holder_number}"
        if allocate:
            try:
                subnet, address = subnet.allocate(holder)
            except AzureError as error:
                assert error.code == "SubnetIsFull" and len(held) == 11
                continue
            assert held.setdefault(holder, address) == address
        else:
            subnet = subnet.release(holder)
            held.pop(holder, None)
        assert {h: a for a, h in subnet.holders.items()} == held
        assert len(set(held.values())) == len(held)


def test_prefixes_are_checked_as_azure_checks_them() -> None:
    validate_subnet_prefixes("vnet", ["10.0.0.0/16"], {"a": "10.0.0.0/24", "b": "10.0.1.0/24"})
    cases = {
        "NetcfgSubnetRangeOutsideVnet": {"a": "10.1.0.0/24"},
        "NetcfgSubnetRangesOverlap": {"a": "10.0.0.0/24", "b": "10.0.0.0/25"},
        "NetcfgInvalidSubnet": {"a": "10.0.0.0/30"},
        "InvalidCIDRNotation": {"a": "10.0.0.1/24"},
        "InvalidAddressPrefixFormat": {"a": "10.0.0.0"},
    }
    for bad in ("10.0.0.0/255.255.255.0", "10.0.0.0/33", "010.0.0.0/8", "10.0.0.0/ 8", "fe80::/64", ""):
        with pytest.raises(AzureError) as raised:
            validate_subnet_prefixes("vnet", [bad], {})
        assert raised.value.code == "InvalidAddressPrefixFormat", bad
    with pytest.raises(AzureError) as raised:
        validate_subnet_prefixes("vnet", ["10.0.0.0/16"], {"a": "10.0.0.0/24\x1b[2J"})
    assert "\x1b" not in raised.value.message
    for code, subnets in cases.items():
        with pytest.raises(AzureError) as raised:
            validate_subnet_prefixes("vnet", ["10.0.0.0/16"], subnets)
        assert raised.value.code == code, subnets
    with pytest.raises(AzureError) as raised:
        validate_subnet_prefixes("vnet1", ["10.0.0.0/16"], {"cloudshellsubnet": "10.1.0.0/16"})
    assert raised.value.message == ("Subnet 'cloudshellsubnet' is not valid because its IP address range is outside "
                                    "the IP address range of virtual network 'vnet1'.")
    with pytest.raises(AzureError) as raised:
        validate_subnet_prefixes("v", ["10.10.10.0/16"], {})
    assert "should be 10.10.0.0/16" in raised.value.message
