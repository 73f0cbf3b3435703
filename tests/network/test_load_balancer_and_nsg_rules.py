"""Rules a load balancer and a network security group must satisfy, and whether traffic gets in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network import (
    DEFAULT_SECURITY_RULES, BackendAddressPool, FrontendIPConfiguration, InboundNatPool, InboundNatRule,
    LoadBalancer, LoadBalancingRule, NetworkSecurityGroup, PublicIPAddress, SecurityRule, SecurityRuleAccess,
    SecurityRuleDirection, SecurityRuleProtocol, Sku, TransportProtocol, public_fqdn, validate_load_balancer,
)
from vmss_tui.domain.network.security import (
    az_nsg_rule, deciding_rule, inbound_allowed, portal_basic_nsg_name, portal_inbound_rules,
    validate_security_rules,
)

TCP = TransportProtocol.TCP


def lb(**changes) -> LoadBalancer:
    base = LoadBalancer("lb", "eastus", sku=Sku.STANDARD,
                        frontend_ip_configurations=(FrontendIPConfiguration("fe", "pip"),),
                        backend_address_pools=(BackendAddressPool("pool"),))
    return replace(base, **changes)


def v2(name: str, start: int, end: int, backend_port: int = 22) -> InboundNatRule:
    return InboundNatRule(name, "fe", TCP, backend_port, frontend_port_range_start=start, frontend_port_range_end=end,
                          backend_address_pool_name="pool")


def refused(balancer: LoadBalancer, **kwargs) -> AzureError:
    with pytest.raises(AzureError) as raised:
        validate_load_balancer(balancer, **kwargs)
    return raised.value


def test_two_nat_rules_v2_with_overlapping_ranges_are_refused() -> None:
    """C12: 200-250 and 240-260."""
    error = refused(lb(inbound_nat_rules=(v2("a", 200, 250), v2("b", 240, 260, backend_port=23))))
    assert error.code == "InboundNatRuleFrontendPortRangesOverlap" and error.http_status == 400
    validate_load_balancer(lb(inbound_nat_rules=(v2("a", 200, 250), v2("b", 251, 260, backend_port=23))))


def test_a_nat_rule_v2_and_a_load_balancing_rule_cannot_share_a_backend_port() -> None:
    """C13: NAT rule V2 backend port 22 and an LB rule to 22 on the same pool."""
    rule = LoadBalancingRule("ssh", "fe", "pool", TCP, 22, 22)
    error = refused(lb(inbound_nat_rules=(v2("a", 50000, 50119),), load_balancing_rules=(rule,)))
    assert error.code == "RulesUseSameBackendPortProtocolAndPool"
    assert "use the same protocol Tcp and backend port 22" in error.message
    floating = replace(rule, enable_floating_ip=True)
    validate_load_balancer(lb(inbound_nat_rules=(v2("a", 50000, 50119),), load_balancing_rules=(floating,)))


def test_nat_rule_shapes_azure_refuses() -> None:
    both = InboundNatRule("r", "fe", TCP, 22, frontend_port=22, frontend_port_range_start=1, frontend_port_range_end=2)
    error = refused(lb(inbound_nat_rules=(both,)))
    assert (error.code, error.message) == ("UnsupportedSetOfInboundNatRulePropertiesWhenFrontendPortIsSpecified",
                                           "If FrontendPort 22 is set, properties FrontendPortRangeStart, "
                                           "FrontendPortRangeEnd should be null.")
    missing = InboundNatRule("r", "fe", TCP, 22, backend_address_pool_name="pool")
    assert refused(lb(inbound_nat_rules=(missing,))).code == "MissedInboundNatRuleV2Properties"
    assert refused(lb(inbound_nat_rules=(v2("r", 0, 10),))).code == "InvalidParameter"
    assert refused(lb(inbound_nat_rules=(v2("r", 100, 90),))).code == "InvalidParameter"
    pool = InboundNatPool("p", "fe", TCP, 50000, 50119, 22)
    assert refused(lb(inbound_nat_pools=(pool,), inbound_nat_rules=(v2("r", 50100, 50200, 23),))).code == \
        "InboundNatRuleFrontendPortRangesOverlap"


def test_a_load_balancer_and_its_public_ip_must_share_a_sku() -> None:
    basic_ip = PublicIPAddress("pip", "eastus", sku=Sku.BASIC)
    error = refused(lb(), public_ips={"pip": basic_ip})
    assert error.code == "DifferentSkuLoadBalancersAndPublicIPAddressNotAllowed"
    validate_load_balancer(lb(), public_ips={"pip": replace(basic_ip, sku=Sku.STANDARD)})


def test_a_labelled_public_ip_has_the_regional_cloudapp_fqdn() -> None:
    assert public_fqdn("mypublicdns", "eastus") == "mypublicdns.eastus.cloudapp.azure.com"
    assert PublicIPAddress("p", "Central India", domain_name_label="Lab").fqdn == "lab.centralindia.cloudapp.azure.com"
    assert PublicIPAddress("p", "eastus").fqdn is None


def test_every_nsg_starts_with_azures_six_default_rules_and_denies_the_internet() -> None:
    nsg = NetworkSecurityGroup("nsg", "eastus")
    assert [(r.name, r.priority, r.direction.value, r.access.value) for r in nsg.default_security_rules] == [
        ("AllowVnetInBound", 65000, "Inbound", "Allow"), ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow"),
        ("DenyAllInBound", 65500, "Inbound", "Deny"), ("AllowVnetOutBound", 65000, "Outbound", "Allow"),
        ("AllowInternetOutBound", 65001, "Outbound", "Allow"), ("DenyAllOutBound", 65500, "Outbound", "Deny")]
    assert nsg.default_security_rules is DEFAULT_SECURITY_RULES
    assert not inbound_allowed(nsg, 22)
    assert deciding_rule(nsg, 22).name == "DenyAllInBound"
    assert inbound_allowed(nsg, 22, source="VirtualNetwork")
    assert inbound_allowed(None, 22)  # a Basic frontend with no security group filters nothing
    assert not inbound_allowed(None, 22, secure_by_default=True)  # Standard: closed until an NSG allows it


def test_the_labs_ssh_rule_lets_ssh_in_and_nothing_else() -> None:
    """Seed 003: "Allow selected ports" -> SSH (22) on the NIC's basic NSG."""
    rules = portal_inbound_rules([22])
    nsg = NetworkSecurityGroup(portal_basic_nsg_name("app-grp-vnet-nic01"), "centralindia", security_rules=rules)
    assert nsg.name == "basicNsgapp-grp-vnet-nic01"
    assert inbound_allowed(nsg, 22) and not inbound_allowed(nsg, 80) and not inbound_allowed(nsg, 3389)
    assert [(r.name, r.priority, r.destination_port_range) for r in portal_inbound_rules([22, 80, 443, 3389])] == [
        ("SSH", 300, "22"), ("HTTP", 320, "80"), ("HTTPS", 340, "443"), ("RDP", 360, "3389")]
    assert [(r.name, r.priority) for r in portal_inbound_rules([3389, 22, 443, 80])] == [
        ("RDP", 300), ("SSH", 320), ("HTTPS", 340), ("HTTP", 360)]  # as a portal-exported template has them
    with pytest.raises(AzureError):
        portal_inbound_rules([8080])
    assert (az_nsg_rule("SSH").name, az_nsg_rule("SSH").destination_port_range) == ("default-allow-ssh", "22")
    assert (az_nsg_rule("RDP").name, az_nsg_rule("RDP").destination_port_range) == ("rdp", "3389")
    assert az_nsg_rule("rdp").name == "default-allow-ssh"  # az compares case-sensitively
    assert az_nsg_rule("NONE") is None


def test_rule_priorities_and_ports_are_checked() -> None:
    def rule(name: str, priority: int, port: str = "22", direction=SecurityRuleDirection.INBOUND) -> SecurityRule:
        return SecurityRule(name, priority, direction, SecurityRuleAccess.ALLOW, SecurityRuleProtocol.TCP, port)

    validate_security_rules([rule("a", 100), rule("b", 100, direction=SecurityRuleDirection.OUTBOUND),
                             rule("c", 4096, "1000-2000"), rule("d", 200, "*")])
    with pytest.raises(AzureError) as raised:
        validate_security_rules([rule("allow_ssh", 101), rule("NRMS-Rule-101", 101)])
    assert (raised.value.code, raised.value.message) == (
        "SecurityRuleConflict", "Security rule allow_ssh conflicts with rule NRMS-Rule-101. Rules cannot have the "
        "same Priority and Direction. To learn more, see aka.ms/nsgrules.")
    for bad in (rule("x", 99), rule("x", 4097)):
        with pytest.raises(AzureError) as raised:
            validate_security_rules([bad])
        assert raised.value.code == "SecurityRuleInvalidPriority"
    for port in ("70000", "20-10", "ssh", ""):
        with pytest.raises(AzureError) as raised:
            validate_security_rules([rule("x", 100, port)])
        assert raised.value.code == "SecurityRuleInvalidPortRange"
