"""What `vmss-tui emulator check` finds wrong between the network room's records and the scale sets.

The network room keeps, per scale set, a binding (each instance's NIC: its private address, its public
address) and, per virtual network, who holds each address of each subnet; `netpublic/addresses` holds the
subscription's public addresses. A crash of an older version, a hand edit or a restored backup can leave
them disagreeing with the sets. `scan` reads (never writes) and says what disagrees; `mend` puts it right
with the room's own paths, so a mended store is what the emulator itself would have written:

- a binding of a scale set that no longer exists: its NICs, addresses and NAT mappings are released
  (`scale_set_deleted`), the resources az made for the set stay (as in Azure);
- NICs of instances that no longer exist, and instances of a set with a network that have no NIC: the set's
  members are synced (`members_changed`: departed NICs released, new ones given an address and a NAT port);
- an address held twice in a subnet: the NIC the virtual network records as its holder keeps it, every
  other one gets the lowest free address (its instance's private IP changes, and the report says so);
- an address held by a NIC that does not exist (in a subnet, or among the public addresses): released;
- a NAT rule or backend-pool member of a load balancer naming a NIC that does not exist: the load balancer is
  synced with the NICs its sets have;
- a set whose NICs use a virtual network or load balancer that does not exist is only reported: nothing
  records what it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ....arm import network as codec
from ....domain import errors
from ....domain.network.addresses import SubnetAddresses
from ....domain.network.models import child_id, network_id
from ..compute import shard as set_shard
from ..compute.shard import is_deleting, set_key
from ..store import Transaction
from . import store_keys as keys
from .service import LBS, PIPS, VNETS, NetworkService, _one, allocate_dynamic

BINDING_TABLE = "binding"


@dataclass
class Problem:
    """One disagreement: where it lies (a store key), what it is, and what `mend` does about it."""

    key: str
    text: str
    remedy: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def _set_state(txn: Transaction, binding: dict[str, Any]) -> tuple[str, dict[str, Any] | None, list[dict[str, Any]]]:
    """(set key, set doc or None when the set is gone, its live instances); StoreDamaged when its file is."""
    key = set_key(binding["rg"], binding["set"])
    if not txn.exists(key):
        return key, None, []
    tables = txn.view(key)
    docs = list(tables.get("scale_set", {}).values())
    if not docs or (docs[0].get("busy") or {}).get("kind") == "Deleting":
        return key, None, []
    live = [doc for doc in tables.get("instances", {}).values() if not is_deleting(doc)]
    return key, docs[0], live


def _readable(txn: Transaction, key: str, table: str) -> dict[str, Any] | None:
    try:
        return _one(txn, key, table)
    except errors.StoreDamaged:
        return None  # reported by the caller's scan of damaged shards


def scan(service: NetworkService, txn: Transaction) -> list[Problem]:
    """Every disagreement between the network room's records and the sets (reads only)."""
    problems: list[Problem] = []
    groups = sorted({key.split("/")[1] for key in txn.shard_keys(keys.NETWORK_PREFIX)})
    claimed_public: dict[str, str] = {}  # public address -> holder a live record names
    for group_part in groups:
        prefix = f"{keys.NETWORK_PREFIX}{group_part}/"
        bindings: list[tuple[str, dict[str, Any]]] = []
        for key in txn.shard_keys(f"{prefix}{keys.BINDINGS}/"):
            binding = _readable(txn, key, BINDING_TABLE)
            if binding is not None:
                bindings.append((key, binding))
        holders: dict[str, tuple[str, dict[str, Any], str]] = {}  # live NICs: ip config id (lower) -> where
        recorded: set[str] = set()  # every NIC a binding records (a stale one's addresses go with its binding)
        for key, binding in bindings:
            for iid, nic in binding["nics"].items():
                recorded.add(service._ip_config_id(txn, binding, iid).lower())
                if nic.get("pip"):
                    claimed_public[nic["pip"]] = service._ip_config_id(txn, binding, iid)
            try:
                _set_key, set_doc, live = _set_state(txn, binding)
            except errors.StoreDamaged:
                continue  # the set's own file is reported as damaged; its NICs cannot be judged
            shown = f"{binding['rg']}/{binding['set']}"
            if set_doc is None:
                problems.append(Problem(key, f"scale set {shown} no longer exists but its {len(binding['nics'])} "
                                             "NIC(s) still hold addresses and NAT mappings",
                                        "--repair releases them (the network resources made for the set stay)",
                                        "stale-binding", {"binding": binding}))
                continue
            for collection, name in ((VNETS, binding.get("vnet")), (LBS, binding.get("lb"))):
                if not name or not binding.get("profile"):
                    continue
                resource_key = keys.resource_key(binding["rg"], collection, name)
                try:
                    gone = not txn.exists(resource_key)
                except errors.StoreDamaged:
                    continue  # reported as damage
                if gone:
                    kind = "virtual network" if collection == VNETS else "load balancer"
                    problems.append(Problem(key, f"scale set {shown}'s NICs use {kind} {name}, which does not "
                                                 "exist (a scale-out of the set fails)",
                                            f"restore the {kind}'s file from a backup (nothing can rebuild it)",
                                            "missing-resource"))
            live_ids = {doc["instance_id"] for doc in live}
            departed = sorted(iid for iid in binding["nics"] if iid not in live_ids)
            missing = sorted(doc["instance_id"] for doc in live if doc.get("by_set", True)
                             and doc["instance_id"] not in binding["nics"]) if binding.get("profile") else []
            if departed or missing:
                parts = []
                if departed:
                    parts.append(f"NIC(s) of instance(s) that no longer exist: {', '.join(departed[:10])}"
                                 + (f" and {len(departed) - 10} more" if len(departed) > 10 else ""))
                if missing:
                    parts.append(f"instance(s) without a NIC: {', '.join(missing[:10])}"
                                 + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
                problems.append(Problem(key, f"scale set {shown}: " + "; ".join(parts),
                                        "--repair syncs the set's NICs with its instances (departed ones released, "
                                        "missing ones created)", "members", {"binding": binding}))
            for iid, nic in binding["nics"].items():
                if iid not in live_ids:
                    continue
                holders[service._ip_config_id(txn, binding, iid).lower()] = (key, binding, iid)
        problems += _scan_addresses(txn, prefix, holders, recorded)
        problems += _scan_load_balancers(txn, prefix, recorded)
        for key in txn.shard_keys(f"{prefix}{PIPS}/"):
            resource = _readable(txn, key, "resource")
            if resource and resource["arm"].get("properties", {}).get("ipAddress"):
                claimed_public[resource["arm"]["properties"]["ipAddress"]] = resource["arm"]["id"]
    problems += _scan_public(txn, claimed_public)
    return problems


def _scan_addresses(txn: Transaction, prefix: str, holders: dict[str, tuple[str, dict[str, Any], str]],
                    recorded: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for key in txn.shard_keys(f"{prefix}{VNETS}/"):
        resource = _readable(txn, key, "resource")
        held = _readable(txn, key, "addresses")
        if resource is None:
            continue
        vnet_name = resource["arm"]["name"]
        for subnet, by_address in (held or {}).items():
            leaked = {address: holder for address, holder in by_address.items() if holder.lower() not in recorded}
            if leaked:
                problems.append(Problem(key, f"virtual network {vnet_name}, subnet {subnet}: address(es) "
                                             f"{', '.join(sorted(leaked)[:10])} held by NIC(s) that do not exist",
                                        "--repair releases them", "leaked-address",
                                        {"vnet": vnet_name, "subnet": subnet, "addresses": sorted(leaked)}))
        # the same address on two NICs of this network (only one of them can be the holder it records)
        by_ip: dict[tuple[str, str], list[tuple[str, dict[str, Any], str]]] = {}
        for entry in holders.values():
            _bkey, binding, iid = entry
            nic = binding["nics"][iid]
            if nic.get("vnet", "").lower() == vnet_name.lower() and nic.get("ip"):
                by_ip.setdefault((nic["subnet"].lower(), nic["ip"]), []).append(entry)
        for (subnet, address), entries in sorted(by_ip.items()):
            if len(entries) < 2:
                continue
            recorded = (held or {}).get(subnet, {}).get(address, "").lower()
            names = [f"{b['set']}/{iid}" for _k, b, iid in entries]
            problems.append(Problem(key, f"virtual network {vnet_name}, subnet {subnet}: address {address} is "
                                         f"allocated twice ({', '.join(names)})",
                                    "--repair keeps it for the NIC the network records as its holder and gives the "
                                    "others the next free address", "duplicate-address",
                                    {"vnet": vnet_name, "subnet": subnet, "address": address,
                                     "recorded": recorded}))
    return problems


def _scan_load_balancers(txn: Transaction, prefix: str, recorded: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for key in txn.shard_keys(f"{prefix}{LBS}/"):
        resource = _readable(txn, key, "resource")
        if resource is None:
            continue
        arm = resource["arm"]
        lb = codec.load_balancer_from_arm(arm, arm["name"], arm["location"], arm["id"])
        named = [rule.backend_ip_configuration_id for rule in lb.inbound_nat_rules
                 if rule.created_from_pool and rule.backend_ip_configuration_id]
        for pool in lb.backend_address_pools:
            named += [member.network_interface_ip_configuration_id for member in pool.load_balancer_backend_addresses]
            named += list(pool.backend_ip_configuration_ids)
        unknown = sorted({config for config in named if config and config.lower() not in recorded})
        if unknown:
            problems.append(Problem(key, f"load balancer {lb.name}: NAT mapping(s) or pool member(s) of "
                                         f"{len(unknown)} NIC(s) that do not exist (e.g. {unknown[0]})",
                                    "--repair syncs the load balancer with the NICs of its scale sets", "stale-nat",
                                    {"lb": lb.name}))
    return problems


def _scan_public(txn: Transaction, claimed: dict[str, str]) -> list[Problem]:
    held = _readable(txn, keys.PUBLIC_ADDRESSES, "held") or {}
    leaked = sorted(address for address in held if address not in claimed)
    if not leaked:
        return []
    return [Problem(keys.PUBLIC_ADDRESSES, f"public address(es) {', '.join(leaked[:10])} held by NIC(s) or public "
                                           "IP address(es) that do not exist", "--repair releases them",
                    "leaked-public", {"addresses": leaked})]


def mend(service: NetworkService, txn: Transaction, problems: list[Problem]) -> list[str]:
    """Put right what `scan` found (in the caller's write transaction); returns what was done, one line each."""
    done: list[str] = []
    for problem in (p for p in problems if p.kind == "stale-binding"):
        binding = problem.data["binding"]
        service.scale_set_deleted(txn, {"rg": binding["rg"], "name": binding["set"]})
        done.append(f"released the {len(binding['nics'])} NIC(s) of scale set {binding['rg']}/{binding['set']}, "
                    "which no longer exists")
    for problem in (p for p in problems if p.kind == "members"):
        binding = problem.data["binding"]
        loaded = set_shard.load(txn, set_key(binding["rg"], binding["set"]))
        if loaded is None:
            continue
        try:
            service.members_changed(txn, loaded.set_doc, loaded.instances)
        except errors.AzureError as exc:
            done.append(f"could not sync the NICs of scale set {binding['rg']}/{binding['set']}: {exc.message}")
            continue
        set_shard.save(txn, loaded)
        done.append(f"synced the NICs of scale set {binding['rg']}/{binding['set']} with its instances")
    for problem in (p for p in problems if p.kind == "duplicate-address"):
        done += _readdress(service, txn, problem)
    for problem in (p for p in problems if p.kind == "leaked-address"):
        group = problem.key.split("/")[1]
        found = service._vnet(txn, _group_name(txn, problem.key, group), problem.data["vnet"])
        if found is None:
            continue
        vnet, held = found
        subnet = problem.data["subnet"]
        held[subnet] = {a: h for a, h in held.get(subnet, {}).items() if a not in problem.data["addresses"]}
        service._save_vnet(txn, _group_name(txn, problem.key, group), vnet, held)
        done.append(f"released {', '.join(problem.data['addresses'])} in subnet {subnet} of {vnet.name}")
    for problem in (p for p in problems if p.kind == "stale-nat"):
        done += _sync_lb(service, txn, problem)
    for problem in (p for p in problems if p.kind == "leaked-public"):
        service._release_public(txn, problem.data["addresses"])
        done.append(f"released the public address(es) {', '.join(problem.data['addresses'])}")
    return done


def _group_name(txn: Transaction, key: str, group_part: str) -> str:
    """The resource group's own name for a network key (its ARM resource records it)."""
    resource = _readable(txn, key, "resource")
    if resource is not None:
        return str(resource["arm"]["id"]).split("/resourceGroups/", 1)[1].split("/", 1)[0]
    return group_part


def _readdress(service: NetworkService, txn: Transaction, problem: Problem) -> list[str]:
    group = _group_name(txn, problem.key, problem.key.split("/")[1])
    found = service._vnet(txn, group, problem.data["vnet"])
    if found is None:
        return []
    vnet, held = found
    subnet_name, address = problem.data["subnet"], problem.data["address"]
    subnet = next((s for s in vnet.subnets if s.name.lower() == subnet_name), None)
    if subnet is None:
        return []
    done = []
    for bkey in txn.shard_keys(f"{keys.NETWORK_PREFIX}{problem.key.split('/')[1]}/{keys.BINDINGS}/"):
        binding = service._binding(txn, *_binding_names(txn, bkey))
        if binding is None:
            continue
        changed = False
        for iid, nic in binding["nics"].items():
            if nic.get("ip") != address or nic.get("subnet", "").lower() != subnet_name \
                    or nic.get("vnet", "").lower() != vnet.name.lower():
                continue
            config_id = service._ip_config_id(txn, binding, iid)
            if config_id.lower() == problem.data["recorded"]:
                continue  # the holder the network records keeps it
            if not problem.data["recorded"]:
                problem.data["recorded"] = config_id.lower()  # none recorded: the first one keeps it
                current = held.setdefault(subnet_name, {})
                current[address] = config_id
                continue
            own = next((a for a, h in held.get(subnet_name, {}).items() if h.lower() == config_id.lower()), None)
            if own is not None:  # the network records another address for this NIC: that one is its own
                nic["ip"] = own
            else:
                subnet_id = child_id(network_id(service._sub(txn), group, "virtualNetworks", vnet.name), "subnets",
                                     subnet.name)
                addresses = SubnetAddresses(subnet_id, subnet.address_prefix, held.get(subnet_name, {}))
                addresses, given = allocate_dynamic(addresses, [config_id])
                held[subnet_name] = dict(addresses.holders)
                nic["ip"] = given[config_id]
            changed = True
            done.append(f"gave {binding['set']}/{iid} the address {nic['ip']} in subnet {subnet.name} of {vnet.name}"
                        + (" (the one the network records for it)" if own is not None else " (the next free one)")
                        + f"; {address} stays with its recorded holder")
        if changed:
            service._save_vnet(txn, group, vnet, held)
            _write_binding(txn, bkey, binding)
            loaded = set_shard.load(txn, set_key(binding["rg"], binding["set"]))
            if loaded is not None:
                service._write_endpoints(txn, binding, {d["instance_id"]: d for d in loaded.instances
                                                        if not is_deleting(d)})
                set_shard.save(txn, loaded)
    return done


def _binding_names(txn: Transaction, key: str) -> tuple[str, str]:
    binding = _one(txn, key, BINDING_TABLE) or {}
    return binding.get("rg", ""), binding.get("set", "")


def _write_binding(txn: Transaction, key: str, binding: dict[str, Any]) -> None:
    table = txn.db(key).table(BINDING_TABLE)
    table.truncate()
    table.insert(binding)


def _sync_lb(service: NetworkService, txn: Transaction, problem: Problem) -> list[str]:
    group = _group_name(txn, problem.key, problem.key.split("/")[1])
    lb_name = problem.data["lb"]
    lb = service._lb(txn, group, lb_name)
    if lb is None:
        return []
    users = []
    for bkey in txn.shard_keys(f"{keys.NETWORK_PREFIX}{problem.key.split('/')[1]}/{keys.BINDINGS}/"):
        binding = service._binding(txn, *_binding_names(txn, bkey))
        if binding is not None and (binding.get("lb") or "").lower() == lb_name.lower() and binding.get("profile"):
            users.append(binding)
    from ....domain.network.nat import sync_backend_pool, sync_nat_pool

    pools_synced: set[str] = set()
    nat_pools_synced: set[str] = set()
    for binding in users:
        loaded = set_shard.load(txn, set_key(binding["rg"], binding["set"]))
        live = [d["instance_id"] for d in loaded.instances if not is_deleting(d) and d.get("by_set", True)] \
            if loaded is not None else []
        service._sync_load_balancer(txn, binding, [iid for iid in live if iid in binding["nics"]])
        pools_synced.add((binding.get("pool") or "").lower())
        nat_pools_synced.add((binding.get("nat_pool") or "").lower())
    lb = service._lb(txn, group, lb_name)
    assert lb is not None
    for pool in lb.inbound_nat_pools:  # pools no set uses any more: no member left
        if pool.name.lower() not in nat_pools_synced:
            lb = sync_nat_pool(lb, pool.name, {})
    for backend in lb.backend_address_pools:
        if backend.name.lower() not in pools_synced:
            lb = sync_backend_pool(lb, backend.name, {})
    service._save_lb(txn, group, lb)
    return [f"synced load balancer {lb_name} with the NICs of its scale sets"]


def rebuild_public(service: NetworkService, txn: Transaction) -> dict[str, str]:
    """The public address register from what holds public addresses: each public IP resource's address
    and each per-VM public address a NIC records (the register was damaged and set aside)."""
    held: dict[str, str] = {}
    for key in txn.shard_keys(keys.NETWORK_PREFIX):
        resource = _readable(txn, key, "resource")
        if resource is not None and resource["arm"].get("type") == codec.PUBLIC_IP_TYPE:
            address = resource["arm"].get("properties", {}).get("ipAddress")
            if address:
                held[address] = resource["arm"]["id"]
        binding = _readable(txn, key, BINDING_TABLE)
        if binding is not None:
            per_vm = (binding.get("pip_per_vm") or {}).get("name", "")
            for iid, nic in binding["nics"].items():
                if nic.get("pip"):
                    held[nic["pip"]] = f"{service._ip_config_id(txn, binding, iid)}/publicIPAddresses/{per_vm}"
    table = txn.db(keys.PUBLIC_ADDRESSES).table("held")
    table.truncate()
    table.insert(held)
    return held
