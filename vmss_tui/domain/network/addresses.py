"""Address prefixes and private-address allocation as Azure's virtual networks do them.

Pure values: a `SubnetAddresses` knows its prefix and the addresses handed out, and answers with a new
value on every allocation or release. Azure reserves the first four addresses and the last address of
every subnet (x.x.x.0 network, .1 gateway, .2 and .3 Azure DNS, the last one broadcast), so a /24 holds
251 usable addresses and the first NIC gets x.x.x.4. Sources in docs/emulator-fidelity.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..names import shown
from . import errors

RESERVED_AT_START = 4
RESERVED_AT_END = 1
SMALLEST_SUBNET_PREFIX_LENGTH = 29
"""The smallest IPv4 subnet Azure supports is a /29 (three usable addresses)."""


def parse_prefix(prefix: str, resource_id: str) -> ipaddress.IPv4Network:
    """An IPv4 CIDR prefix as Azure accepts it: host bits clear, prefix length given."""
    text = (prefix or "").strip()
    try:
        if not text.partition("/")[2].isdigit():
            raise ValueError(text)  # CIDR only: a prefix length, not a netmask
        interface = ipaddress.IPv4Interface(text)
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError):
        raise errors.invalid_address_prefix_format(prefix, resource_id) from None
    if interface.ip != interface.network.network_address:
        raise errors.invalid_cidr_notation(prefix, resource_id, str(interface.network))
    return interface.network


def usable_count(network: ipaddress.IPv4Network) -> int:
    """How many addresses of a subnet Azure can hand out (total minus the five reserved)."""
    return max(0, network.num_addresses - RESERVED_AT_START - RESERVED_AT_END)


def is_reserved(network: ipaddress.IPv4Network, address: ipaddress.IPv4Address) -> bool:
    offset = int(address) - int(network.network_address)
    return offset < RESERVED_AT_START or offset >= network.num_addresses - RESERVED_AT_END


def validate_subnet_prefixes(vnet_name: str, vnet_prefixes: Iterable[str],
                             subnets: Mapping[str, str]) -> None:
    """Check a virtual network's subnets the way Azure does on create/update.

    `subnets` maps subnet name to its address prefix, in the order given. Each prefix must be a clean
    CIDR, no smaller than a /29, inside one of the virtual network's address prefixes, and must not
    overlap any subnet before it.
    """
    spaces = [parse_prefix(prefix, vnet_name) for prefix in vnet_prefixes]
    seen: list[ipaddress.IPv4Network] = []
    for subnet_name, prefix in subnets.items():
        network = parse_prefix(prefix, f"{vnet_name}/subnets/{subnet_name}")
        if network.prefixlen > SMALLEST_SUBNET_PREFIX_LENGTH:
            raise errors.invalid_subnet(subnet_name, vnet_name)
        if not any(network.subnet_of(space) for space in spaces):
            raise errors.subnet_range_outside_vnet(subnet_name, vnet_name)
        if any(network.overlaps(other) for other in seen):
            raise errors.subnet_ranges_overlap(subnet_name, vnet_name)
        seen.append(network)


@dataclass(frozen=True)
class SubnetAddresses:
    """A subnet's private addresses: which are handed out, and to which IP configuration.

    Every change returns a new value; an address held by one holder is never handed to another until
    it is released.
    """

    subnet_id: str
    address_prefix: str
    holders: Mapping[str, str] = field(default_factory=dict)
    """Address (dotted string) -> id of the IP configuration that holds it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "holders", MappingProxyType(dict(self.holders)))

    @property
    def network(self) -> ipaddress.IPv4Network:
        return parse_prefix(self.address_prefix, self.subnet_id)

    @property
    def capacity(self) -> int:
        return usable_count(self.network)

    @property
    def free_count(self) -> int:
        return self.capacity - len(self.holders)

    def holder_of(self, address: str) -> str | None:
        return self.holders.get(address)

    def address_of(self, holder_id: str) -> str | None:
        return next((address for address, holder in self.holders.items() if holder == holder_id), None)

    def next_free(self) -> str:
        """The lowest free usable address (Dynamic allocation), or SubnetIsFull."""
        network = self.network
        first = int(network.network_address) + RESERVED_AT_START
        last = int(network.broadcast_address) - RESERVED_AT_END
        for value in range(first, last + 1):
            candidate = str(ipaddress.IPv4Address(value))
            if candidate not in self.holders:
                return candidate
        raise errors.subnet_is_full(self.subnet_id, self.address_prefix)

    def allocate(self, holder_id: str, address: str | None = None) -> tuple[SubnetAddresses, str]:
        """Hand an address to `holder_id`: the one asked for (Static) or the next free one (Dynamic).

        A holder that already has an address keeps it (asking again is not a second allocation).
        """
        held = self.address_of(holder_id)
        if held is not None and (address is None or address == held):
            return self, held
        if address is None:
            chosen = self.next_free()
        else:
            chosen = self._check_static(address)
        holders = {a: h for a, h in self.holders.items() if h != holder_id}
        holders[chosen] = holder_id
        return SubnetAddresses(self.subnet_id, self.address_prefix, holders), chosen

    def allocate_many(self, holder_ids: Iterable[str]) -> tuple[SubnetAddresses, dict[str, str]]:
        """Dynamic addresses for several holders at once, all or none (one scale-out)."""
        holder_list = [holder for holder in holder_ids if self.address_of(holder) is None]
        if len(holder_list) > self.free_count:
            raise errors.subnet_is_full(self.subnet_id, self.address_prefix, len(holder_list))
        current = self
        given: dict[str, str] = {}
        for holder in holder_list:
            current, given[holder] = current.allocate(holder)
        return current, given

    def release(self, holder_id: str) -> SubnetAddresses:
        """Give back whatever `holder_id` holds (nothing if it holds nothing)."""
        holders = {a: h for a, h in self.holders.items() if h != holder_id}
        return SubnetAddresses(self.subnet_id, self.address_prefix, holders)

    def _check_static(self, address: str) -> str:
        try:
            wanted = ipaddress.IPv4Address(address)
        except ipaddress.AddressValueError:
            raise errors.invalid_network_value(f"Private IP address '{shown(address)}' is not a valid IPv4 address.",
                                               target="privateIPAddress") from None
        network = self.network
        if wanted not in network:
            raise errors.private_ip_not_in_subnet(str(wanted), self.subnet_id)
        if is_reserved(network, wanted):
            raise errors.private_ip_reserved(str(wanted), self.subnet_id)
        if str(wanted) in self.holders:
            raise errors.private_ip_in_use(str(wanted), self.subnet_id, self.holders[str(wanted)])
        return str(wanted)
