"""Microsoft.Network as pure values and Azure's rules, shared by the emulator, the endpoint and the adapter.

`models` holds the resources (virtual networks, NICs, public IPs, load balancers, NSGs),
`addresses` prefixes and private-address allocation, `nat` the frontend port every instance gets from
a NAT pool or a NAT rule V2 and the load balancer's rules, `security` NSG rules, `connection` what
`az vmss list-instance-connection-info` prints, `plan` what `az vmss create` builds for networking, `names` the allow-lists for names and DNS
labels, `lifecycle` what may be deleted, and `errors` Azure's error codes and texts. No I/O here, and no Azure SDK.
"""

from .addresses import SubnetAddresses, parse_prefix, usable_count, validate_subnet_prefixes
from .connection import (
    FlexibleVmEndpoints,
    ScaleSetIpConfigurationRefs,
    ScaleSetNicConfigurationRefs,
    flexible_connection_info,
    list_instance_connection_info,
)
from .models import (
    DEFAULT_SECURITY_RULES,
    BackendAddressPool,
    FrontendIPConfiguration,
    InboundNatPool,
    InboundNatRule,
    IPAllocationMethod,
    LoadBalancer,
    LoadBalancerBackendAddress,
    LoadBalancingRule,
    NatRulePortMapping,
    NetworkInterface,
    NetworkSecurityGroup,
    NicIpConfiguration,
    Probe,
    ProbeProtocol,
    PublicIPAddress,
    SecurityRule,
    SecurityRuleAccess,
    SecurityRuleDirection,
    SecurityRuleProtocol,
    Sku,
    Subnet,
    TransportProtocol,
    VirtualNetwork,
    public_fqdn,
)
from .nat import (
    assign_frontend_ports,
    az_frontend_port_range_end,
    check_nat_pool_allowed,
    sync_backend_pool,
    sync_nat_pool,
    validate_load_balancer,
)
from .names import validate_domain_name_label, validate_network_name
from .plan import CreateNetworkOptions, NetworkPlan, VmNetworkOptions, VmNetworkPlan, plan_network, plan_vm_network

__all__ = [
    "DEFAULT_SECURITY_RULES", "BackendAddressPool", "CreateNetworkOptions", "FlexibleVmEndpoints",
    "FrontendIPConfiguration", "IPAllocationMethod", "InboundNatPool", "InboundNatRule", "LoadBalancer",
    "LoadBalancerBackendAddress", "LoadBalancingRule", "NatRulePortMapping", "NetworkInterface", "NetworkPlan",
    "NetworkSecurityGroup", "NicIpConfiguration", "Probe", "ProbeProtocol", "PublicIPAddress",
    "ScaleSetIpConfigurationRefs", "ScaleSetNicConfigurationRefs", "SecurityRule", "SecurityRuleAccess",
    "SecurityRuleDirection", "SecurityRuleProtocol", "Sku", "Subnet", "SubnetAddresses", "TransportProtocol",
    "VirtualNetwork", "VmNetworkOptions", "VmNetworkPlan", "assign_frontend_ports", "az_frontend_port_range_end", "check_nat_pool_allowed",
    "flexible_connection_info", "list_instance_connection_info", "parse_prefix", "plan_network", "plan_vm_network", "public_fqdn",
    "sync_backend_pool", "sync_nat_pool", "usable_count", "validate_domain_name_label", "validate_load_balancer",
    "validate_network_name", "validate_subnet_prefixes",
]
