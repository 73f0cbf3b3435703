"""Networking commands (issue 14): `connection-info` and `network vnet|public-ip|lb|nsg list|show|create|delete`,
plus the networking options `create` and `add-vm` accept.

They need the backend's Network capability. JSON is what az prints for the same resource (`az network
lb show`, `az vmss list-instance-connection-info`): the ARM body, flattened by `arm.flatten.az_shape`.
"""

from __future__ import annotations

from typing import Any

from ..arm.flatten import az_shape
from ..backends.protocol import Network
from ..domain.errors import OperationNotAllowed
from ..domain.models import ScaleSetNetwork
from . import formatting as fmt
from .parser import UsageError
from .session import Invocation, Result
from .spec import CommandSpec, ParamSpec

SET = ParamSpec("set", "Scale-set name (may be omitted after `use <set>`).", required=True, completion="sets")
NAME = ParamSpec("name", "Resource name.", required=True, metavar="<name>")
LOCATION = ParamSpec("location", "Region (default: the group's).", flags=("--location", "-l"), completion="locations",
                     metavar="LOCATION")


def _network(inv: Invocation) -> Network:
    backend = inv.backend
    if not isinstance(backend, Network):
        raise OperationNotAllowed(f"The {type(backend).__name__} backend has no network operations.")
    return backend


def _group(inv: Invocation) -> str:
    return inv.group_for("network commands")


# --- create/add-vm options ------------------------------------------------------------------------

CREATE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("vnet_name", "Virtual network (default: an existing one with room, else <set>VNET).",
              flags=("--vnet-name",), metavar="NAME"),
    ParamSpec("subnet", "Subnet name (with --vnet-name) or id.", flags=("--subnet",), metavar="NAME"),
    ParamSpec("lb", "Load balancer (default <set>LB; \"\" for none).", flags=("--lb",), metavar="NAME"),
    ParamSpec("backend_pool_name", "Backend pool (default <lb>BEPool).", flags=("--backend-pool-name",),
              metavar="NAME"),
    ParamSpec("lb_sku", "Load balancer SKU.", flags=("--lb-sku",), kind="choice", choices=("Basic", "Standard"),
              completion="choices"),
    ParamSpec("public_ip_per_vm", "Give each instance its own public IP.", flags=("--public-ip-per-vm",), kind="flag"),
    ParamSpec("nsg", "Network security group (default with a Standard LB: <set>NSG allowing SSH).", flags=("--nsg",),
              metavar="NAME"),
    ParamSpec("backend_port", "Port the NAT rules forward to (default 22; 3389 for Windows).",
              flags=("--backend-port",), kind="int", minimum=1, maximum=65535, metavar="PORT"),
)
"""`az vmss create`'s networking options."""

ADD_VM_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("public_ip", "Give the VM its own public IP (<vm>PublicIP, Standard, Static).", flags=("--public-ip",),
              kind="flag"),
    ParamSpec("inbound_ports", "Open these ports in the VM's NIC security group (22, 80, 443, 3389).",
              flags=("--inbound-ports",), multiple=True, metavar="PORT"),
)
"""The lab's networking choices for a VM added by hand (seed 003: public IP, SSH open)."""


def network_options(args: dict[str, Any]) -> ScaleSetNetwork:
    """`create`'s networking options as the backend takes them (az's defaults where none is given)."""
    return ScaleSetNetwork(vnet_name=args.get("vnet_name"), subnet=args.get("subnet"), load_balancer=args.get("lb"),
                           backend_pool_name=args.get("backend_pool_name"), lb_sku=args.get("lb_sku"),
                           public_ip_per_vm=bool(args.get("public_ip_per_vm")), nsg=args.get("nsg"),
                           backend_port=args.get("backend_port"))


def inbound_ports(args: dict[str, Any]) -> tuple[int, ...]:
    ports = []
    for word in args.get("inbound_ports") or ():
        if not word.isdigit() or not 1 <= int(word) <= 65535:
            raise UsageError("InvalidArgumentValue", f"--inbound-ports: '{word}' is not a port number (1-65535).")
        ports.append(int(word))
    return tuple(ports)


# --- connection-info -------------------------------------------------------------------------------

def _connection_table(data: Any) -> str:
    rows = [{"Instance": key, "Endpoint": value} for key, value in data.items()]
    return fmt.columns_table(rows, [("Instance", "Instance"), ("Endpoint", "Endpoint")])


def _connection_info(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    return Result(data=_network(inv).connection_info(group, name), table=_connection_table)


# --- network <kind> list|show|create|delete --------------------------------------------------------

def _props(arm: dict[str, Any]) -> dict[str, Any]:
    return arm.get("properties") or {}


def _row(kind: str, arm: dict[str, Any]) -> dict[str, Any]:
    props = _props(arm)
    row: dict[str, Any] = {"Name": arm["name"], "Location": arm.get("location")}
    if kind == "vnet":
        row["AddressPrefixes"] = ", ".join(props.get("addressSpace", {}).get("addressPrefixes", []))
        row["Subnets"] = ", ".join(f"{s['name']} {_props(s).get('addressPrefix')} "
                                   f"({len(_props(s).get('ipConfigurations', []))} used)"
                                   for s in props.get("subnets", []))
    elif kind == "public-ip":
        row.update(Sku=(arm.get("sku") or {}).get("name"), Allocation=props.get("publicIPAllocationMethod"),
                   IpAddress=props.get("ipAddress"), Fqdn=(props.get("dnsSettings") or {}).get("fqdn"),
                   AttachedTo=_short(props.get("ipConfiguration", {}).get("id")))
    elif kind == "lb":
        row.update(Sku=(arm.get("sku") or {}).get("name"),
                   Frontends=", ".join(f["name"] for f in props.get("frontendIPConfigurations", [])),
                   Pools=", ".join(f"{p['name']} ({len(_props(p).get('backendIPConfigurations', []))})"
                                   for p in props.get("backendAddressPools", [])),
                   NatPools=", ".join(f"{p['name']} {_props(p)['frontendPortRangeStart']}-"
                                      f"{_props(p)['frontendPortRangeEnd']}->{_props(p)['backendPort']}"
                                      for p in props.get("inboundNatPools", [])),
                   NatRules=_nat_rules(props.get("inboundNatRules", [])),
                   Rules=", ".join(f"{r['name']} {_props(r)['frontendPort']}->{_props(r)['backendPort']}"
                                   for r in props.get("loadBalancingRules", [])))
    elif kind == "nsg":
        row["Rules"] = ", ".join(f"{r['name']} {_props(r)['access']} {_props(r)['destinationPortRange']} "
                                 f"({_props(r)['priority']})" for r in props.get("securityRules", []))
        row["UsedBy"] = len(props.get("networkInterfaces", [])) + len(props.get("subnets", []))
    return row


def _nat_rules(rules: list[dict[str, Any]]) -> str:
    v2 = [r for r in rules if "frontendPortRangeStart" in _props(r)]
    single = len(rules) - len(v2)
    parts = [f"{r['name']} {_props(r)['frontendPortRangeStart']}-{_props(r)['frontendPortRangeEnd']}->"
             f"{_props(r)['backendPort']}" for r in v2]
    if single:
        parts.append(f"{single} per instance")
    return ", ".join(parts)


def _short(resource_id: str | None) -> str | None:
    """The tail of an id that says what holds the address (`.../loadBalancers/webLB/frontendIPConfigurations/f`)."""
    if not resource_id:
        return None
    parts = resource_id.split("/")
    return "/".join(parts[-4:]) if len(parts) > 4 else resource_id


_LIST_COLUMNS = {
    "vnet": ["Name", "Location", "AddressPrefixes", "Subnets"],
    "public-ip": ["Name", "Sku", "Allocation", "IpAddress", "Fqdn"],
    "lb": ["Name", "Sku", "Pools", "NatPools", "NatRules"],
    "nsg": ["Name", "Location", "Rules"],
}


def _list(kind: str) -> Any:
    def handler(inv: Invocation) -> Result:
        resources = _network(inv).list_network_resources(kind, _group(inv))
        rows = [_row(kind, arm) for arm in resources]
        return Result(data=[az_shape(arm) for arm in resources],
                      table=fmt.table_of(lambda data: fmt.columns_table(data, [(c, c) for c in _LIST_COLUMNS[kind]]),
                                         rows))
    return handler


def _show(kind: str) -> Any:
    def handler(inv: Invocation) -> Result:
        arm = _network(inv).get_network_resource(kind, _group(inv), inv.args["name"])
        return Result(data=az_shape(arm), table=fmt.table_of(fmt.key_value_table, _row(kind, arm)))
    return handler


def _delete(kind: str) -> Any:
    def handler(inv: Invocation) -> Result:
        group = _group(inv)
        _network(inv).delete_network_resource(kind, group, inv.args["name"])
        return Result(data=None, table=lambda _data: "", changed=True)
    return handler


def _created(kind: str, arm: dict[str, Any]) -> Result:
    return Result(data=az_shape(arm), table=fmt.table_of(fmt.key_value_table, _row(kind, arm)), changed=True)


def _vnet_create(inv: Invocation) -> Result:
    args = inv.args
    prefixes = tuple(args["address_prefixes"] or ("10.0.0.0/16",))
    arm = _network(inv).create_virtual_network(_group(inv), args["name"], location=args["location"],
                                               address_prefixes=prefixes, subnet_name=args["subnet_name"],
                                               subnet_prefix=args["subnet_prefix"])
    return _created("vnet", arm)


def _public_ip_create(inv: Invocation) -> Result:
    args = inv.args
    arm = _network(inv).create_public_ip(_group(inv), args["name"], location=args["location"],
                                         sku=args["sku"] or "Standard", allocation_method=args["allocation_method"],
                                         dns_name=args["dns_name"])
    return _created("public-ip", arm)


def _lb_create(inv: Invocation) -> Result:
    args = inv.args
    arm = _network(inv).create_load_balancer(_group(inv), args["name"], location=args["location"],
                                             sku=args["sku"] or "Standard", public_ip=args["public_ip_address"],
                                             backend_pool_name=args["backend_pool_name"])
    return _created("lb", arm)


def _nsg_create(inv: Invocation) -> Result:
    arm = _network(inv).create_nsg(_group(inv), inv.args["name"], location=inv.args["location"],
                                   inbound_ports=inbound_ports(inv.args))
    return _created("nsg", arm)


SKU = ParamSpec("sku", "SKU (default Standard).", flags=("--sku",), kind="choice", choices=("Basic", "Standard"),
                completion="choices")

_NOUNS = {"vnet": "virtual network", "public-ip": "public IP address", "lb": "load balancer",
          "nsg": "network security group"}

_PLURALS = {"vnet": "virtual networks", "public-ip": "public IP addresses", "lb": "load balancers",
            "nsg": "network security groups"}

_CREATE: dict[str, tuple[Any, tuple[ParamSpec, ...], str, tuple[str, ...]]] = {
    "vnet": (_vnet_create, (
        ParamSpec("address_prefixes", "Address prefixes (default 10.0.0.0/16).", flags=("--address-prefixes",),
                  multiple=True, metavar="CIDR"),
        ParamSpec("subnet_name", "A first subnet.", flags=("--subnet-name",), metavar="NAME"),
        ParamSpec("subnet_prefix", "The subnet's prefix (default: the first address prefix).",
                  flags=("--subnet-prefixes", "--subnet-prefix"), metavar="CIDR")),
        "Like `az network vnet create`: subnets must lie inside the address space and not overlap.",
        ("network vnet create lab-vnet --address-prefixes 10.1.0.0/16 --subnet-name default "
         "--subnet-prefixes 10.1.0.0/24",)),
    "public-ip": (_public_ip_create, (
        SKU, ParamSpec("allocation_method", "Static or Dynamic (default: Static for Standard).",
                       flags=("--allocation-method",), kind="choice", choices=("Static", "Dynamic"),
                       completion="choices"),
        ParamSpec("dns_name", "DNS label: <label>.<region>.cloudapp.azure.com.", flags=("--dns-name",),
                  metavar="LABEL")),
        "A Static address is held from creation; a Dynamic one only while attached.",
        ("network public-ip create lab-ip --dns-name mylab",)),
    "lb": (_lb_create, (
        SKU, ParamSpec("public_ip_address", "Frontend public IP (default <lb>PublicIP, created when missing).",
                       flags=("--public-ip-address",), metavar="NAME"),
        ParamSpec("backend_pool_name", "Backend pool (default <lb>bepool).", flags=("--backend-pool-name",),
                  metavar="NAME")),
        "Like `az network lb create`: one frontend on a public IP and one backend pool.",
        ("network lb create lab-lb --sku Standard",)),
    "nsg": (_nsg_create, (
        ParamSpec("inbound_ports", "Allow these ports from anywhere (SSH 22, HTTP 80, HTTPS 443, RDP 3389), "
                                   "priorities 300, 320, ... as the portal makes them.",
                  flags=("--inbound-ports",), multiple=True, metavar="PORT"),),
        "Every group carries Azure's six default rules; inbound traffic is denied unless a rule allows it.",
        ("network nsg create lab-nsg --inbound-ports 22 80",)),
}


def _commands() -> tuple[CommandSpec, ...]:
    specs: list[CommandSpec] = [
        CommandSpec(
            "connection-info", "How to reach each instance from outside (like az vmss list-instance-connection-info).",
            _connection_info, needs_set=True, params=(SET,),
            help="The load balancer's public IP and each instance's NAT port, read as az reads them: "
                 "`\"instance 0\": \"20.1.2.3:50000\"`. A Flexible set is refused as az refuses it.",
            examples=("connection-info web", "connection-info web --query '\"instance 0\"' -o tsv"),
        ),
    ]
    for kind, noun in _NOUNS.items():
        handler, params, help_text, examples = _CREATE[kind]
        specs += [
            CommandSpec(f"network {kind} list", f"List the {_PLURALS[kind]} of a group.", _list(kind),
                        examples=(f"network {kind} list -g practice-rg",)),
            CommandSpec(f"network {kind} show", f"Show one {noun}.", _show(kind), params=(NAME,),
                        examples=(f"network {kind} show NAME -g practice-rg -o json",)),
            CommandSpec(f"network {kind} create", f"Create a {noun}.", handler, mutating=True,
                        params=(NAME, LOCATION, *params), help=help_text, examples=examples),
            CommandSpec(f"network {kind} delete", f"Delete a {noun} (refused while something uses it).",
                        _delete(kind), mutating=True, destructive=True, params=(NAME,),
                        confirm_text=lambda inv, noun=noun: f"Delete {noun} '{inv.args['name']}'?",
                        examples=(f"network {kind} delete NAME --yes",)),
        ]
    return tuple(specs)


NETWORK_COMMANDS: tuple[CommandSpec, ...] = _commands()
