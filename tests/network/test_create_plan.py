"""What `az vmss create` builds for networking in each orchestration mode (read from azure-cli's source)."""

from __future__ import annotations

import pytest

from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network import CreateNetworkOptions, Subnet, VirtualNetwork, plan_network
from vmss_tui.domain.network.plan import ExistingLoadBalancer, default_subnet_prefix, hash_string, naming_prefix


def test_uniform_linux_defaults_basic_lb_with_a_nat_pool_50000_50119_to_22() -> None:
    plan = plan_network(CreateNetworkOptions("myScaleSet"))
    assert (plan.vnet.name, plan.vnet.subnet_name, plan.vnet.address_prefix, plan.vnet.subnet_address_prefix,
            plan.vnet.new) == ("myScaleSetVNET", "myScaleSetSubnet", "10.0.0.0/16", "10.0.0.0/24", True)
    lb = plan.load_balancer
    assert (lb.name, lb.sku, lb.effective_sku, lb.backend_pool_name, lb.frontend_ip_name) == (
        "myScaleSetLB", None, "Basic", "myScaleSetLBBEPool", "loadBalancerFrontEnd")
    assert (lb.public_ip.name, lb.public_ip.allocation_method, lb.public_ip.new) == (
        "myScaleSetLBPublicIP", "Dynamic", True)
    assert (lb.nat_pool.name, lb.nat_pool.frontend_port_range_start, lb.nat_pool.frontend_port_range_end,
            lb.nat_pool.backend_port) == ("myScaleSetLBNatPool", 50000, 50119, 22)
    assert lb.nat_rule is None and lb.load_balancing_rule is None and plan.nsg is None
    assert plan.instance_public_ip is None and plan.backend_port == 22


def test_uniform_windows_nat_pool_targets_rdp() -> None:
    plan = plan_network(CreateNetworkOptions("win", os_type="windows"))
    assert plan.load_balancer.nat_pool.backend_port == 3389


def test_a_windows_standard_set_gets_azs_ssh_rule_as_az_builds_it() -> None:
    """create_vmss passes 'rdp' in lower case and build_nsg_resource tests for 'RDP': the rule is SSH on 22."""
    plan = plan_network(CreateNetworkOptions("win", os_type="windows", lb_sku="Standard"))
    assert (plan.nsg.rule_name, plan.nsg.rule_port, plan.load_balancer.nat_rule.backend_port) == (
        "default-allow-ssh", 22, 3389)


def test_standard_lb_gets_nat_rule_v2_an_lb_rule_on_80_a_static_ip_and_an_ssh_nsg() -> None:
    plan = plan_network(CreateNetworkOptions("web", lb_sku="Standard", instance_count=100))
    lb = plan.load_balancer
    assert lb.nat_pool is None
    assert (lb.nat_rule.name, lb.nat_rule.frontend_port_range_start, lb.nat_rule.frontend_port_range_end,
            lb.nat_rule.backend_port, lb.nat_rule.backend_pool_name) == ("NatRule", 50000, 50199, 22, "webLBBEPool")
    assert (lb.load_balancing_rule.name, lb.load_balancing_rule.frontend_port, lb.load_balancing_rule.backend_port,
            lb.load_balancing_rule.idle_timeout_in_minutes) == ("LBRule", 80, 80, 5)
    assert (lb.public_ip.allocation_method, lb.public_ip.sku) == ("Static", "Standard")
    assert (plan.nsg.name, plan.nsg.rule_name, plan.nsg.rule_port) == ("webNSG", "default-allow-ssh", 22)


def test_more_than_100_instances_or_zones_turn_the_default_lb_standard() -> None:
    assert plan_network(CreateNetworkOptions("big", instance_count=101)).load_balancer.sku == "Standard"
    assert plan_network(CreateNetworkOptions("z", zones=("1", "2"))).load_balancer.sku == "Standard"
    with pytest.raises(AzureError) as raised:
        plan_network(CreateNetworkOptions("z", zones=("1",), lb_sku="Basic"))
    assert raised.value.message == "usage error:'Standard' load balancer is required for zonal scale-sets"


def test_flexible_defaults_standard_lb_with_nat_rule_v2_and_refuses_a_nat_pool() -> None:
    plan = plan_network(CreateNetworkOptions("demo-set", orchestration_mode="Flexible"))
    lb = plan.load_balancer
    assert (lb.sku, lb.nat_pool, lb.nat_rule.name, lb.nat_rule.frontend_port_range_end) == (
        "Standard", None, "NatRule", 50119)
    assert (plan.vnet.name, plan.vnet.subnet_name) == ("demo-setVNET", "demo-setSubnet")
    assert plan.nsg.name == "demo-setNSG"
    with pytest.raises(AzureError) as raised:
        plan_network(CreateNetworkOptions("demo-set", orchestration_mode="Flexible", nat_pool_name="pool"))
    assert (raised.value.code, raised.value.message) == (
        "ArgumentUsageError", "usage error: --nat-pool-name is not supported for Flex mode")
    assert raised.value.nothing_sent


def test_the_operator_names_what_az_would_otherwise_name() -> None:
    plan = plan_network(CreateNetworkOptions("s", vnet_name="prod-vnet", subnet="apps", load_balancer="front", backend_pool_name="pool1", lb_sku="Standard",
                                             backend_port=2222, nsg="my-nsg", public_ip_per_vm=True,
                                             vm_domain_name="labvms"))
    assert (plan.vnet.name, plan.vnet.subnet_name, plan.vnet.new) == ("prod-vnet", "apps", True)
    assert (plan.load_balancer.name, plan.load_balancer.backend_pool_name, plan.load_balancer.public_ip.name) == (
        "front", "pool1", "frontPublicIP")
    assert plan.load_balancer.nat_rule.backend_port == 2222
    assert (plan.nsg.name, plan.nsg.new, plan.nsg.rule_name) == ("my-nsg", True, None)
    assert (plan.instance_public_ip.name, plan.instance_public_ip.idle_timeout_in_minutes,
            plan.instance_public_ip.domain_name_label) == ("instancepublicip", 10, "labvms")


def test_no_load_balancer_means_no_public_ip_either() -> None:
    plan = plan_network(CreateNetworkOptions("s", load_balancer=""))
    assert plan.load_balancer is None
    with pytest.raises(AzureError) as raised:
        plan_network(CreateNetworkOptions("s", load_balancer="", public_ip_address="pip"))
    assert "--public-ip-address can only be used when creating a new load balancer" in raised.value.message


def test_an_existing_vnet_with_room_in_the_location_is_reused() -> None:
    """az skips GatewaySubnet and subnets failing `2**(32-mask) - 2 > count * 1.5` (a /30 for 2 instances)."""
    existing = VirtualNetwork("shared", "eastus", ("10.1.0.0/16",), (Subnet("GatewaySubnet", "10.1.0.0/24"),
                                                                    Subnet("tiny", "10.1.1.0/30"),
                                                                    Subnet("apps", "10.1.2.0/24")))
    plan = plan_network(CreateNetworkOptions("s", existing_vnets=(existing,)))
    assert (plan.vnet.name, plan.vnet.subnet_name, plan.vnet.new) == ("shared", "apps", False)
    elsewhere = VirtualNetwork("far", "westus", ("10.2.0.0/16",), (Subnet("apps", "10.2.0.0/24"),))
    assert plan_network(CreateNetworkOptions("s", existing_vnets=(elsewhere,))).vnet.name == "sVNET"
    # az's check subtracts 2, not Azure's 5: a /29 (3 usable) passes for 2 instances, as in az.
    slim = VirtualNetwork("slim", "eastus", ("10.3.0.0/16",), (Subnet("s29", "10.3.0.0/29"),))
    assert plan_network(CreateNetworkOptions("s", existing_vnets=(slim,))).vnet.subnet_name == "s29"


def test_an_existing_load_balancer_lends_its_only_pool_and_nat_pool() -> None:
    existing = {"shared-lb": ExistingLoadBalancer(("pool",), ("ssh",))}
    plan = plan_network(CreateNetworkOptions("s", load_balancer="shared-lb", existing_load_balancers=existing))
    assert (plan.load_balancer.new, plan.load_balancer.backend_pool_name, plan.load_balancer.nat_pool.name) == (
        False, "pool", "ssh")
    two = {"shared-lb": ExistingLoadBalancer(("a", "b"), ())}
    with pytest.raises(AzureError) as raised:
        plan_network(CreateNetworkOptions("s", load_balancer="shared-lb", existing_load_balancers=two))
    assert raised.value.message.startswith("Multiple possible values found for '--backend-pool-name': a, b")


def test_both_nat_names_are_refused() -> None:
    with pytest.raises(AzureError) as raised:
        plan_network(CreateNetworkOptions("s", nat_pool_name="p", nat_rule_name="r"))
    assert raised.value.code == "MutuallyExclusiveArgumentError"


def test_the_default_subnet_grows_with_the_instance_count_as_az_sizes_it() -> None:
    """254 > count * 1.5 fits a /24; more instances take /23, /22, ... (az stops at /17)."""
    assert default_subnet_prefix("10.0.0.0/16", 169, overprovision=True) == "10.0.0.0/24"
    assert default_subnet_prefix("10.0.0.0/16", 170, overprovision=True) == "10.0.0.0/23"
    assert default_subnet_prefix("10.0.0.0/16", 253, overprovision=False) == "10.0.0.0/24"
    assert default_subnet_prefix("10.0.0.0/16", 1000, overprovision=True) == "10.0.0.0/21"
    assert default_subnet_prefix("10.0.0.0/16", 10**6, overprovision=True) == "10.0.0.0/17"


def test_nic_names_carry_azs_hashed_prefix() -> None:
    assert hash_string("abc", length=20) == "ba7816bf8f01cfea4141"
    prefix = naming_prefix("sub", "rg", "my-scale-set")
    assert len(prefix) == 9 and prefix.startswith("myscal"[:5])
    assert plan_network(CreateNetworkOptions("my-scale-set", subscription_id="sub", resource_group="rg")).nic_name == \
        f"{prefix}Nic"


def test_az_vm_create_defaults_nic_nsg_and_public_ip() -> None:
    from vmss_tui.domain.network.plan import VmNetworkOptions, plan_vm_network
    plan = plan_vm_network(VmNetworkOptions("newvm"))
    assert (plan.nic_name, plan.ip_config_name, plan.private_ip_allocation_method) == (
        "newvmVMNic", "ipconfignewvm", "Dynamic")
    assert (plan.vnet.name, plan.vnet.subnet_name, plan.vnet.address_prefix, plan.vnet.subnet_address_prefix) == (
        "newvmVNET", "newvmSubnet", "10.0.0.0/16", "10.0.0.0/24")
    assert (plan.nsg.name, plan.nsg.rule_name, plan.nsg.rule_port) == ("newvmNSG", "default-allow-ssh", 22)
    assert (plan.public_ip.name, plan.public_ip.allocation_method) == ("newvmPublicIP", "Dynamic")
    windows = plan_vm_network(VmNetworkOptions("win", os_type="windows", public_ip_sku="Standard"))
    assert (windows.nsg.rule_name, windows.nsg.rule_port, windows.public_ip.allocation_method) == ("rdp", 3389, "Static")


def test_a_vm_added_next_to_a_set_joins_the_sets_virtual_network() -> None:
    """Seed 003's `newvm`: az picks the first subnet of the group's virtual network in the location."""
    from vmss_tui.domain.network.plan import VmNetworkOptions, plan_vm_network
    lab = VirtualNetwork("app-grp-vnet", "centralindia", ("10.0.0.0/16",), (Subnet("default", "10.0.0.0/20"),))
    plan = plan_vm_network(VmNetworkOptions("newvm", location="centralindia", existing_vnets=(lab,),
                                            nsg_rule="NONE", public_ip_address="", nsg=""))
    assert (plan.vnet.name, plan.vnet.subnet_name, plan.vnet.new) == ("app-grp-vnet", "default", False)
    assert plan.nsg is None and plan.public_ip is None
    named = plan_vm_network(VmNetworkOptions("newvm", vnet_name="app-grp-vnet", subnet="apps", existing_vnets=(lab,)))
    assert (named.vnet.name, named.vnet.subnet_name, named.vnet.new, named.vnet.address_prefix) == (
        "app-grp-vnet", "apps", True, None)
