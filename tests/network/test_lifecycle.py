"""Deleting network resources that are still in use, and the emulator's public addresses."""

from __future__ import annotations

import pytest

from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network import (
    BackendAddressPool, InboundNatPool, LoadBalancer, PublicIPAddress, Subnet, SubnetAddresses, TransportProtocol,
    VirtualNetwork,
)
from vmss_tui.domain.network.lifecycle import (
    check_load_balancer_deletable, check_load_balancer_update, check_nsg_deletable, check_public_ip_deletable,
    check_subnet_deletable, check_vnet_deletable, next_public_address,
)

NIC = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic1/ipConfigurations/ipconfig1"


def test_a_subnet_in_use_refuses_deletion_until_its_address_is_released() -> None:
    addresses, _ = SubnetAddresses("subnet-id", "10.0.0.0/24").allocate(NIC)
    with pytest.raises(AzureError) as raised:
        check_subnet_deletable("default", addresses)
    assert (raised.value.code, raised.value.http_status) == ("InUseSubnetCannotBeDeleted", 400)
    assert raised.value.message == (f"Subnet default is in use by {NIC} and cannot be deleted. In order to delete the "
                                    "subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.")
    check_subnet_deletable("default", addresses.release(NIC))
    vnet = VirtualNetwork("v", "eastus", ("10.0.0.0/16",), (Subnet("default", "10.0.0.0/24"),))
    with pytest.raises(AzureError):
        check_vnet_deletable(vnet, {"default": addresses})
    check_vnet_deletable(vnet, {"default": addresses.release(NIC)})


def test_attached_public_ips_nsgs_and_load_balancers_refuse_deletion() -> None:
    pip = PublicIPAddress("pip", "eastus", ip_address="20.1.0.1", ip_configuration_id=NIC)
    with pytest.raises(AzureError) as raised:
        check_public_ip_deletable("pip-id", pip)
    assert raised.value.message == (
        f"Public IP address pip-id can not be deleted since it is still allocated to resource {NIC}. In order to delete "
        "the public IP, disassociate/detach the Public IP address from the resource.  To learn how to do this, see "
        "aka.ms/deletepublicip.")
    check_public_ip_deletable("pip-id", PublicIPAddress("pip", "eastus"))
    with pytest.raises(AzureError) as raised:
        check_nsg_deletable("nsg-id", [NIC])
    assert raised.value.code == "InUseNetworkSecurityGroupCannotBeDeleted"
    check_nsg_deletable("nsg-id", [])
    with pytest.raises(AzureError) as raised:
        check_load_balancer_deletable(LoadBalancer("lb", "eastus", id="lb-id"), {"vmss-id": ["lbBEPool"]})
    assert (raised.value.code, raised.value.message) == (
        "LoadBalancerInUseByVirtualMachineScaleSet",
        "Cannot delete load balancer lb-id since its child resources lbBEPool are in use by virtual machine scale set "
        "vmss-id.")
    check_load_balancer_deletable(LoadBalancer("lb", "eastus"), {})


def test_public_addresses_are_handed_out_once_and_reused_after_release() -> None:
    assert next_public_address([]) == "20.1.0.1"
    assert next_public_address(["20.1.0.1", "20.1.0.2"]) == "20.1.0.3"
    assert next_public_address(["20.1.0.2"]) == "20.1.0.1"
    with pytest.raises(AzureError):
        next_public_address(["198.51.100.1", "198.51.100.2"], prefix="198.51.100.0/30")


def test_an_update_cannot_drop_a_pool_a_scale_set_still_uses() -> None:
    nat_pool = InboundNatPool("ssh", "fe", TransportProtocol.TCP, 50000, 50119, 22)
    before = LoadBalancer("lb", "eastus", backend_address_pools=(BackendAddressPool("pool"),),
                          inbound_nat_pools=(nat_pool,))
    users = {"vmss-id": ["pool", "ssh"]}
    with pytest.raises(AzureError) as raised:
        check_load_balancer_update(
            before, LoadBalancer("lb", "eastus", backend_address_pools=before.backend_address_pools), users)
    assert (raised.value.code, raised.value.message) == (
        "LoadBalancerInboundNatPoolInUseByVirtualMachineScaleSet",
        "Cannot remove inbound nat pool ssh from load balancer since it is in use by virtual machine scale set vmss-id.")
    with pytest.raises(AzureError) as raised:
        check_load_balancer_update(before, LoadBalancer("lb", "eastus", inbound_nat_pools=(nat_pool,)), users)
    assert raised.value.message.startswith("Cannot remove backend address pool pool from load balancer")
    check_load_balancer_update(before, LoadBalancer("lb", "eastus", inbound_nat_pools=(nat_pool,)),
                               {"vmss-id": ["ssh"]})
