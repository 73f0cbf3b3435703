"""The network sections of the detail view (issue 14), read through the backend's Network capability.

A scale set's section: its virtual network and subnet, security group, load balancer (SKU, frontends),
load-balancing rules, probes, NAT pools and rules, and which of its instances are in the backend pool.
An instance's section: its NIC, private IP, subnet, virtual network, public IP, its NAT mapping
(`frontend ip:port -> backend port`) and the inbound rules of its NIC's security group.

Everything is read as ARM JSON (the shapes of `vmss_tui/arm/network.py`, which the live adapter gets from
azure-mgmt-network), from the worker thread that loads the detail; no textual here. Every value is escaped:
names and addresses can come from Azure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..backends.protocol import Network
from ..domain.errors import AzureError, ResourceNotFound
from ..domain.text import escape_control

Rows = list[tuple[str, str]]
Section = tuple[str, Rows]

NO_NETWORK = "No network: this set was created without one"
_VMSS_VM = re.compile(r"/virtualMachines/([^/]+)/networkInterfaces/", re.IGNORECASE)


def scale_set_network_sections(network: Network, resource_group: str, name: str) -> list[Section]:
    """The "Network" and "Load balancer" sections of a scale set's detail."""
    return _guarded(lambda: _ScaleSetReader(network, resource_group, name).sections())


def instance_network_sections(network: Network, resource_group: str, name: str, instance_id: str) -> list[Section]:
    """The "Network" and "Security rules" sections of an instance's detail."""
    return _guarded(lambda: _ScaleSetReader(network, resource_group, name).instance_sections(instance_id))


def _guarded(read: Callable[[], list[Section]]) -> list[Section]:
    """A failed network read is a line in the view, never a failed detail."""
    try:
        sections = read()
    except AzureError as error:
        sections = [("Network", [("network", f"could not be read: {error}")])]
    except Exception as error:  # a body shaped as no one expected: say so, keep the rest of the detail
        sections = [("Network", [("network", f"could not be read: {type(error).__name__}: {error}")])]
    return [(escape_control(title), [(escape_control(label), escape_control(value)) for label, value in rows])
            for title, rows in sections]


def _props(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    props = (body or {}).get("properties")
    return props if isinstance(props, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _id(ref: Any) -> str:
    return str(ref.get("id") or "") if isinstance(ref, Mapping) else ""


def _group_and_name(resource_id: str) -> tuple[str, str]:
    """(resource group, name) of a top-level resource id."""
    group = resource_id.split("/resourceGroups/", 1)[1].split("/", 1)[0] if "/resourceGroups/" in resource_id else ""
    return group, resource_id.rstrip("/").rsplit("/", 1)[-1]


def _parent_id(child_id: str, collection: str) -> str:
    """The id of the resource owning a child (`.../loadBalancers/lb/backendAddressPools/p` -> `.../loadBalancers/lb`)."""
    marker = f"/{collection}/"
    head, _, rest = child_id.partition(marker)
    return f"{head}{marker}{rest.split('/', 1)[0]}" if rest else ""


def _last(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1] if resource_id else ""


def _port_range(start: Any, end: Any) -> str:
    return f"{start}" if start == end else f"{start}-{end}"


class _ScaleSetReader:
    """Reads once what both sections need: the set's NIC profile, its NICs, and the resources they name."""

    def __init__(self, network: Network, resource_group: str, name: str) -> None:
        self.network = network
        self.resource_group = resource_group
        self.name = name
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    # --- reads -----------------------------------------------------------------------------

    def _get(self, kind: str, resource_id: str) -> dict[str, Any] | None:
        """A top-level resource by id, read once; None when it is gone."""
        group, name = _group_and_name(resource_id)
        key = (kind, resource_id.lower())
        if key not in self._cache:
            try:
                self._cache[key] = self.network.get_network_resource(kind, group or self.resource_group, name)
            except ResourceNotFound:
                self._cache[key] = None
        return self._cache[key]

    def _primary_ip_configuration(self, nic_properties: Mapping[str, Any]) -> Mapping[str, Any]:
        configs = _list(nic_properties.get("ipConfigurations"))
        return next((c for c in configs if _props(c).get("primary")), configs[0] if configs else {})

    def _profile_nic(self) -> Mapping[str, Any] | None:
        profile = self.network.scale_set_network_profile(self.resource_group, self.name)
        configs = _list((profile or {}).get("networkInterfaceConfigurations"))
        if not configs:
            return None
        return next((c for c in configs if _props(c).get("primary")), configs[0])

    def _nics(self) -> list[Mapping[str, Any]]:
        return _list(self.network.list_scale_set_nics(self.resource_group, self.name))

    @staticmethod
    def _instance_of(nic: Mapping[str, Any]) -> str:
        vm = _id(_props(nic).get("virtualMachine"))
        if vm:
            return _last(vm)
        found = _VMSS_VM.search(str(nic.get("id") or ""))
        return found.group(1) if found else ""

    def _public_address(self, pip_id: str) -> str:
        """`20.1.0.1 (webLBPublicIP)`; a per-VM public IP of a Uniform set is not a top-level resource."""
        if "/virtualMachineScaleSets/" in pip_id:
            return _last(pip_id)
        pip = self._get("public-ip", pip_id)
        address = _props(pip).get("ipAddress") if pip else None
        fqdn = (_props(pip).get("dnsSettings") or {}).get("fqdn") if pip else None
        text = f"{address or 'no address yet'} ({_last(pip_id)})"
        return f"{text} {fqdn}" if fqdn else text

    def _subnet_rows(self, subnet_id: str) -> Rows:
        vnet_id = _parent_id(subnet_id, "virtualNetworks")
        subnet_name = _last(subnet_id)
        vnet = self._get("vnet", vnet_id) if vnet_id else None
        prefix = next((_props(s).get("addressPrefix") for s in _list(_props(vnet).get("subnets"))
                       if str(s.get("name") or "").lower() == subnet_name.lower()), None)
        return [("subnet", f"{subnet_name} ({prefix})" if prefix else subnet_name),
                ("virtual network", _last(vnet_id) or "-")]

    # --- the scale set ---------------------------------------------------------------------

    def sections(self) -> list[Section]:
        nic = self._profile_nic()
        if nic is None:
            return [("Network", [("network", NO_NETWORK)])]
        nic_props = _props(nic)
        config = _props(self._primary_ip_configuration(nic_props))
        rows: Rows = []
        subnet_id = _id(config.get("subnet"))
        if subnet_id:
            rows += self._subnet_rows(subnet_id)
        nsg_id = _id(nic_props.get("networkSecurityGroup"))
        rows.append(("security group", _last(nsg_id) if nsg_id else "none"))
        if config.get("publicIPAddressConfiguration"):
            rows.append(("public IP per VM", str(config["publicIPAddressConfiguration"].get("name") or "yes")))
        sections: list[Section] = [("Network", rows)]
        lb_ids = list(dict.fromkeys(
            _parent_id(_id(ref), "loadBalancers")
            for key in ("loadBalancerBackendAddressPools", "loadBalancerInboundNatPools")
            for ref in _list(config.get(key)) if _id(ref)))
        if not lb_ids:
            rows.append(("load balancer", "none"))
            return sections
        members = {}
        for nic_body in self._nics():
            for ip_config in _list(_props(nic_body).get("ipConfigurations")):
                if ip_config.get("id"):
                    members[str(ip_config["id"]).lower()] = self._instance_of(nic_body)
        for lb_id in lb_ids:
            sections.append(("Load balancer", self._load_balancer_rows(lb_id, members)))
        return sections

    def _load_balancer_rows(self, lb_id: str, members: Mapping[str, str]) -> Rows:
        lb = self._get("lb", lb_id)
        if lb is None:
            return [("load balancer", f"{_last(lb_id)} (not found)")]
        props = _props(lb)
        rows: Rows = [("name", str(lb.get("name") or _last(lb_id))),
                      ("SKU", str((lb.get("sku") or {}).get("name") or "Basic"))]
        for frontend in _list(props.get("frontendIPConfigurations")):
            fp = _props(frontend)
            pip_id = _id(fp.get("publicIPAddress"))
            where = self._public_address(pip_id) if pip_id else (
                f"{fp.get('privateIPAddress') or '-'} (internal, {_last(_id(fp.get('subnet')))})")
            rows.append(("frontend", f"{frontend.get('name')}: {where}"))
        for rule in _list(props.get("loadBalancingRules")):
            rp = _props(rule)
            probe = _last(_id(rp.get("probe")))
            rows.append(("rule", f"{rule.get('name')}: {rp.get('protocol')} {rp.get('frontendPort')} -> "
                                                     f"{rp.get('backendPort')}, pool {_last(_id(rp.get('backendAddressPool')))}"
                                                     f", probe {probe or 'none'}"))
        for probe in _list(props.get("probes")):
            pp = _props(probe)
            path = f" path {pp['requestPath']}" if pp.get("requestPath") else ""
            rows.append(("probe", f"{probe.get('name')}: {pp.get('protocol')} port {pp.get('port')}{path}, every "
                                                       f"{pp.get('intervalInSeconds')} s, out after {pp.get('numberOfProbes')} failures"))
        for pool in _list(props.get("inboundNatPools")):
            np = _props(pool)
            rows.append(("NAT pool", f"{pool.get('name')}: {np.get('protocol')} {_port_range(np.get('frontendPortRangeStart'), np.get('frontendPortRangeEnd'))} -> {np.get('backendPort')}"))
        single = 0
        for rule in _list(props.get("inboundNatRules")):
            np = _props(rule)
            if np.get("backendAddressPool"):
                rows.append(("NAT rule", f"{rule.get('name')}: {np.get('protocol')} "
                             f"{_port_range(np.get('frontendPortRangeStart'), np.get('frontendPortRangeEnd'))} -> "
                             f"{np.get('backendPort')}, pool {_last(_id(np.get('backendAddressPool')))}"))
            else:
                single += 1
        if single:
            rows.append(("NAT rules", f"{single} single-VM rule(s) (each instance's is in its detail)"))
        for pool in _list(props.get("backendAddressPools")):
            rows.append(("backend pool", f"{pool.get('name')}: {self._pool_members(pool, members)}"))
        return rows

    def _pool_members(self, pool: Mapping[str, Any], members: Mapping[str, str]) -> str:
        pp = _props(pool)
        config_ids = [_id(ref) for ref in _list(pp.get("backendIPConfigurations"))]
        config_ids += [_id(_props(a).get("networkInterfaceIPConfiguration"))
                       for a in _list(pp.get("loadBalancerBackendAddresses"))]
        ours: list[str] = []
        others = 0
        for config_id in dict.fromkeys(c.lower() for c in config_ids if c):
            instance = members.get(config_id)
            if instance:
                ours.append(instance)
            else:
                others += 1
        ours = sorted(set(ours), key=lambda i: (0, int(i), "") if i.isdigit() else (1, 0, i.lower()))
        text = f"instances {', '.join(ours)}" if ours else "none of this set's instances"
        return f"{text} (and {others} other member(s))" if others else text

    # --- one instance ----------------------------------------------------------------------

    def instance_sections(self, instance_id: str) -> list[Section]:
        nics = [n for n in self._nics() if self._instance_of(n).lower() == instance_id.lower()]
        if not nics:
            if self._profile_nic() is None:
                return [("Network", [("network", NO_NETWORK)])]
            return [("Network", [("network", "No NIC: this instance has no network interface")])]
        nic = nics[0]
        nic_props = _props(nic)
        ip_config = self._primary_ip_configuration(nic_props)
        config = _props(ip_config)
        rows: Rows = [("NIC", str(nic.get("name") or "-")),
                      ("private IP", str(config.get("privateIPAddress") or "-"))]
        subnet_id = _id(config.get("subnet"))
        if subnet_id:
            rows += self._subnet_rows(subnet_id)
        pip_id = _id(config.get("publicIPAddress"))
        rows.append(("public IP", self._public_address(pip_id) if pip_id else "none"))
        rows += self._nat_rows(str(ip_config.get("id") or ""), config)
        sections: list[Section] = [("Network", rows)]
        nsg_id = _id(nic_props.get("networkSecurityGroup"))
        rows.append(("security group", _last(nsg_id) if nsg_id else "none"))
        if nsg_id:
            sections.append(("Inbound security rules", [("security group", _last(nsg_id))]
                             + self._security_rows(nsg_id)))
        return sections

    def _nat_rows(self, config_id: str, config: Mapping[str, Any]) -> Rows:
        lb_ids = list(dict.fromkeys(
            _parent_id(_id(ref), "loadBalancers")
            for key in ("loadBalancerBackendAddressPools", "loadBalancerInboundNatRules")
            for ref in _list(config.get(key)) if _id(ref)))
        mappings: list[str] = []
        for lb_id in lb_ids:
            lb = self._get("lb", lb_id)
            if lb is None:
                continue
            props = _props(lb)
            frontends = {str(f.get("name") or "").lower(): _id(_props(f).get("publicIPAddress"))
                         for f in _list(props.get("frontendIPConfigurations"))}
            rules = {str(r.get("name") or "").lower(): r for r in _list(props.get("inboundNatRules"))}

            def frontend_address(rule: Mapping[str, Any]) -> str:
                pip_id = frontends.get(_last(_id(_props(rule).get("frontendIPConfiguration"))).lower(), "")
                pip = self._get("public-ip", pip_id) if pip_id else None
                return str(_props(pip).get("ipAddress") or "None") if pip else "(internal)"

            for rule in rules.values():  # NAT rule V1 (single-VM, or created from a NAT pool)
                rp = _props(rule)
                if _id(rp.get("backendIPConfiguration")).lower() == config_id.lower() and rp.get("frontendPort"):
                    mappings.append(f"{frontend_address(rule)}:{rp['frontendPort']} -> port {rp.get('backendPort')}"
                                    f" ({rule.get('name')} on {lb.get('name')})")
            for pool in _list(props.get("backendAddressPools")):  # NAT rule V2: the pool's port mappings
                for member in _list(_props(pool).get("loadBalancerBackendAddresses")):
                    mp = _props(member)
                    if _id(mp.get("networkInterfaceIPConfiguration")).lower() != config_id.lower():
                        continue
                    for mapping in _list(mp.get("inboundNatRulesPortMapping")):
                        rule = rules.get(str(mapping.get("inboundNatRuleName") or "").lower(), {})
                        mappings.append(f"{frontend_address(rule)}:{mapping.get('frontendPort')} -> port "
                                        f"{mapping.get('backendPort')} ({mapping.get('inboundNatRuleName')} on "
                                        f"{lb.get('name')})")
        return [("NAT", m) for m in mappings] or [("NAT", "none")]

    def _security_rows(self, nsg_id: str) -> Rows:
        nsg = self._get("nsg", nsg_id)
        if nsg is None:
            return [("security group", f"{_last(nsg_id)} (not found)")]
        props = _props(nsg)
        rules = [r for r in _list(props.get("securityRules")) + _list(props.get("defaultSecurityRules"))
                 if str(_props(r).get("direction") or "Inbound").lower() == "inbound"]
        rules.sort(key=lambda r: int(_props(r).get("priority") or 0))
        return [(str(_props(r).get("priority")), _rule_text(r)) for r in rules] or [("rules", "none")]


def _rule_text(rule: Mapping[str, Any]) -> str:
    props = _props(rule)
    ports = props.get("destinationPortRange") or ", ".join(_strings(props.get("destinationPortRanges"))) or "*"
    source = props.get("sourceAddressPrefix") or ", ".join(_strings(props.get("sourceAddressPrefixes"))) or "*"
    protocol = "Any" if props.get("protocol") in (None, "*") else props.get("protocol")
    return f"{rule.get('name')}  {props.get('access')}  {protocol} port {ports}  from {source}"


def _strings(value: Any) -> Iterable[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
