"""`connection-info`: the same keys and values as `az vmss list-instance-connection-info`, and the Flexible
equivalent from per-VM public IPs (seed-features.md C.4 and vectors C1, C2, C8-C10, C14, C15)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network import (
    BackendAddressPool, FlexibleVmEndpoints, FrontendIPConfiguration, InboundNatPool, InboundNatRule,
    LoadBalancer, PublicIPAddress, ScaleSetIpConfigurationRefs, ScaleSetNicConfigurationRefs, Sku,
    TransportProtocol, flexible_connection_info, list_instance_connection_info, sync_backend_pool, sync_nat_pool,
)
from vmss_tui.domain.network.models import scale_set_nic_ip_configuration_id

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
SET_ID = f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/v"
LB_ID = f"{SUB}/Microsoft.Network/loadBalancers/vLB"
PIP_ID = f"{SUB}/Microsoft.Network/publicIPAddresses/vLBPublicIP"


def ipconfig(instance: str) -> str:
    return scale_set_nic_ip_configuration_id(SET_ID, instance, "n", "c")


def nic_configs(nat_pool: bool = True, backend_pool: bool = True) -> list[ScaleSetNicConfigurationRefs]:
    ip = ScaleSetIpConfigurationRefs(
        "c", load_balancer_inbound_nat_pool_ids=(f"{LB_ID}/inboundNatPools/vLBNatPool",) if nat_pool else (),
        load_balancer_backend_address_pool_ids=(f"{LB_ID}/backendAddressPools/vLBBEPool",) if backend_pool else ())
    return [ScaleSetNicConfigurationRefs("n", primary=True, ip_configurations=(ip,))]


def base_lb(sku: Sku = Sku.BASIC, public: bool = True) -> LoadBalancer:
    frontend = FrontendIPConfiguration("loadBalancerFrontEnd", PIP_ID if public else None,
                                       subnet_id=None if public else "subnet-id")
    return LoadBalancer("vLB", "eastus", id=LB_ID, sku=sku, frontend_ip_configurations=(frontend,),
                        backend_address_pools=(BackendAddressPool("vLBBEPool"),))


def lookups(lb: LoadBalancer, address: str | None = "13.92.224.66"):
    def lb_by_id(resource_id: str) -> LoadBalancer:
        assert resource_id == LB_ID
        return lb

    def pip_by_id(resource_id: str) -> PublicIPAddress:
        assert resource_id == PIP_ID
        return PublicIPAddress("vLBPublicIP", "eastus", ip_address=address)
    return lb_by_id, pip_by_id


def v1(instances: list[str], survivors: list[str] | None = None) -> LoadBalancer:
    lb = base_lb()
    lb = replace(lb, inbound_nat_pools=(
        InboundNatPool("vLBNatPool", "loadBalancerFrontEnd", TransportProtocol.TCP, 50000, 50119, 22),))
    lb = sync_nat_pool(lb, "vLBNatPool", {i: ipconfig(i) for i in instances})
    if survivors is not None:
        lb = sync_nat_pool(lb, "vLBNatPool", {i: ipconfig(i) for i in survivors})
    return lb


def test_the_tutorials_sample_output_exactly() -> None:
    """C2: surviving ids {1, 3}, public IP 13.92.224.66."""
    info = list_instance_connection_info("Uniform", nic_configs(), *lookups(v1(["0", "1", "2", "3"], ["1", "3"])))
    assert json.dumps(info) == '{"instance 1": "13.92.224.66:50001", "instance 3": "13.92.224.66:50003"}'


def test_five_instances_give_five_unique_ports_in_the_default_range() -> None:
    """C1."""
    info = list_instance_connection_info("Uniform", nic_configs(), *lookups(v1(["0", "1", "2", "3", "4"])))
    assert list(info) == [f"instance {i}" for i in range(5)]
    ports = [int(value.split(":")[1]) for value in info.values()]
    assert len(set(ports)) == 5 and all(50000 <= p <= 50119 for p in ports)


def test_a_rule_from_instance_7_reads_as_instance_7() -> None:
    """C15: the key is `instance ` + the backend IP configuration id's child_name_1."""
    lb = base_lb()
    rule = InboundNatRule("natpool.7", "loadBalancerFrontEnd", TransportProtocol.TCP, 22, frontend_port=50007,
                          backend_ip_configuration_id=ipconfig("7"), created_from_pool="natpool")
    lb = replace(lb, inbound_nat_rules=(rule,))
    assert list_instance_connection_info("Uniform", nic_configs(), *lookups(lb, "20.1.2.3")) == {
        "instance 7": "20.1.2.3:50007"}


def test_a_public_ip_without_an_address_prints_none_as_az_formats_it() -> None:
    info = list_instance_connection_info("Uniform", nic_configs(), *lookups(v1(["0"]), None))
    assert info == {"instance 0": "None:50000"}


def test_nat_rule_v2_on_a_standard_load_balancer_reads_the_pool_mappings() -> None:
    lb = base_lb(Sku.STANDARD)
    lb = replace(lb, inbound_nat_rules=(InboundNatRule(
        "NatRule", "loadBalancerFrontEnd", TransportProtocol.TCP, 22, frontend_port_range_start=50000,
        frontend_port_range_end=50119, backend_address_pool_name="vLBBEPool"),))
    lb = sync_backend_pool(lb, "vLBBEPool", {i: ipconfig(i) for i in ("0", "2")})
    info = list_instance_connection_info("Uniform", nic_configs(nat_pool=False), *lookups(lb, "20.1.2.3"))
    assert info == {"instance 0": "20.1.2.3:50000", "instance 2": "20.1.2.3:50001"}


def expect(code: str, message: str, orchestration="Uniform", nics=None, lb=None) -> None:
    with pytest.raises(AzureError) as raised:
        list_instance_connection_info(orchestration, nic_configs() if nics is None else nics,
                                      *lookups(lb or v1(["0"])))
    assert (raised.value.code, raised.value.message) == (code, message)


def test_the_errors_az_prints() -> None:
    expect("ArgumentUsageError", 'This command is not available for VMSS in Flex mode. Please use the "az network '
           'public-ip list/show" to retrieve networking information.', orchestration="Flexible")  # C10
    expect("CLIError", "could not find a primary NIC which is needed to search to load balancer",
           nics=[ScaleSetNicConfigurationRefs("n", primary=False)])
    expect("ResourceNotFoundError", "No load balancer exists to retrieve public IP address",
           nics=nic_configs(nat_pool=False, backend_pool=False))  # C9
    expect("CLIError", "The VM scale-set uses an internal load balancer, hence no connection information",
           lb=base_lb(public=False))  # C8
    basic_v2 = base_lb(Sku.BASIC)
    basic_v2 = replace(basic_v2, inbound_nat_rules=(InboundNatRule(
        "NatRule", "loadBalancerFrontEnd", TransportProtocol.TCP, 22, frontend_port_range_start=50000,
        frontend_port_range_end=50119, backend_address_pool_name="vLBBEPool"),))
    basic_v2 = sync_backend_pool(basic_v2, "vLBBEPool", {"0": ipconfig("0")})
    expect("CLIError", "There is no connection information. If you are using NAT rule V2, please confirm whether "
           "the load balancer SKU is Standard", nics=nic_configs(nat_pool=False), lb=basic_v2)  # C14


def test_the_flexible_lab_reaches_newvm_on_its_own_public_ip_and_the_set_vm_through_nat() -> None:
    """Seed 003: `newvm` has its own public IP and SSH open; the set's own VM sits behind a NAT rule V2."""
    lb = base_lb(Sku.STANDARD)
    lb = replace(lb, inbound_nat_rules=(InboundNatRule(
        "NatRule", "loadBalancerFrontEnd", TransportProtocol.TCP, 22, frontend_port_range_start=50000,
        frontend_port_range_end=50119, backend_address_pool_name="vLBBEPool"),))
    set_vm_ipconfig = f"{SUB}/Microsoft.Network/networkInterfaces/app-grp-vnet-nic01-a0c74660/ipConfigurations/ipconfig1"
    lb = sync_backend_pool(lb, "vLBBEPool", {"demo-set_3d68ad8f": set_vm_ipconfig})
    newvm_ip = PublicIPAddress("newvm-ip", "centralindia", sku=Sku.STANDARD, ip_address="20.1.2.9")
    vms = [FlexibleVmEndpoints("newvm", f"{SUB}/Microsoft.Network/networkInterfaces/newvm123/ipConfigurations/ipconfig1",
                               newvm_ip),
           FlexibleVmEndpoints("demo-set_3d68ad8f", set_vm_ipconfig),
           FlexibleVmEndpoints("lonely", "/no/mapping")]
    info = flexible_connection_info(vms, [lb], lookups(lb, "20.1.2.3")[1])
    assert info == {"instance demo-set_3d68ad8f": "20.1.2.3:50000", "instance newvm": "20.1.2.9:22"}
