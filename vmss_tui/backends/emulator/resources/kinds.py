"""The resource types a deployment can create, each through the room that owns it (a small dispatch table).

A deployment never writes another room's records: it asks the room, by ARM type, to read, put, list
or delete a resource, with the same ARM JSON the endpoint would send. A type no room models is not in
the table, and the deployment fails that one resource with a clear error (`NoRegisteredProviderFound`).
Another room adds its types with `register` (helper rooms such as Microsoft.Network do so when they
are composed into the backend).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Protocol

from ....arm import compute as arm_compute
from ....arm import insights as arm_insights
from ....arm import network as arm_network
from ....arm.jsonpath import get_path
from ....domain import errors
from ....domain.models import ScaleSetNetwork
from ..engine.context import Context


@dataclass
class Applied:
    """What a room did with one PUT or DELETE: when it finishes (emulator time) and how it ends."""

    finish: float
    status: str = "Succeeded"
    """Succeeded or Failed (the room's own operation record decides)."""
    error: dict[str, Any] | None = None
    status_code: str = "OK"
    """The HTTP status word ARM shows on the deployment operation: Created, OK, Accepted."""


class ResourceKind(Protocol):
    """One ARM type's door in its room."""

    type: str
    """ARM's spelling, e.g. Microsoft.Compute/virtualMachineScaleSets."""
    api_version: str
    """The API version ARM reads it with when no template names one (what-if's Delete and Ignore)."""
    delete_rank: int
    """Complete mode deletes lower ranks first (an autoscale setting before the scale set it watches)."""

    def read(self, resource_group: str, name: str) -> dict[str, Any] | None:
        """The resource as ARM's GET returns it, or None when it does not exist."""

    def put(self, resource_group: str, name: str, body: dict[str, Any]) -> Applied:
        """Create or update from a template's body (location, sku, properties ...)."""

    def delete(self, resource_group: str, name: str) -> Applied:
        """Delete the resource (Complete mode)."""

    def names(self, resource_group: str) -> list[str]:
        """Names of this type in the group (Complete mode and what-if's Ignore/Delete)."""

    def changes(self, current: dict[str, Any], desired: dict[str, Any]) -> list[dict[str, Any]]:
        """What-if's property changes `{path, propertyChangeType, before, after}`: empty when a PUT would change nothing."""


def _same(before: Any, after: Any) -> bool:
    """Equal as the room stores them: names case-insensitive, "5" and 5 the same (ARM's lenient reading)."""
    if isinstance(before, str) and isinstance(after, str):
        return before.lower() == after.lower()
    if isinstance(before, bool) or isinstance(after, bool):
        return str(before).lower() == str(after).lower()
    if isinstance(before, (int, float)) and isinstance(after, (str, int, float)):
        try:
            return float(after) == float(before)
        except ValueError:
            return False
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(_same(a, b) for a, b in zip(before, after))
    return bool(before == after)


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Property changes from `before` to `after`, object by object (arrays compared whole, as one Modify)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str.lower):
            where = f"{path}.{key}" if path else key
            if key not in before:
                found.append({"path": where, "propertyChangeType": "Create", "after": after[key]})
            elif key not in after:
                found.append({"path": where, "propertyChangeType": "Delete", "before": before[key]})
            else:
                found += diff(before[key], after[key], where)
        return found
    if _same(before, after):
        return []
    return [{"path": path, "propertyChangeType": "Modify", "before": before, "after": after}]


# ---------------------------------------------------------------- Microsoft.Compute

SCALE_SET_PATHS: tuple[tuple[str, ...], ...] = (
    ("sku", "name"), ("sku", "capacity"), ("zones",),
    ("properties", "upgradePolicy", "mode"), ("properties", "orchestrationMode"),
    ("properties", "platformFaultDomainCount"), ("properties", "singlePlacementGroup"),
    ("properties", "zoneBalance"), ("properties", "scaleInPolicy", "rules"),
    ("properties", "scaleInPolicy", "forceDeletion"),
    ("properties", "virtualMachineProfile", "storageProfile", "imageReference"),
)
"""What the compute room keeps of a scale set's PUT body; anything else a template sets has no effect here."""


class ScaleSetKind:
    """Scale sets through the compute room: a create, or ARM's PUT on an existing set (what the template leaves out
    goes back to Azure's default, `arm_compute.PUT_DEFAULTS`), except a PUT with no `properties`, which only
    scales (`arm_compute.is_scale_request`)."""

    type = "Microsoft.Compute/virtualMachineScaleSets"
    api_version = "2024-07-01"  # what az 2.91 sends
    delete_rank = 50

    def __init__(self, ctx: Context, compute: Any) -> None:
        self.ctx = ctx
        self.compute = compute

    def read(self, resource_group: str, name: str) -> dict[str, Any] | None:
        try:
            return arm_compute.scale_set_to_json(self.compute.get_scale_set(resource_group, name))
        except errors.ResourceNotFound:
            return None

    def _applied(self, operation: Any, created: bool) -> Applied:
        record = self.compute.operation_record(operation.id, (operation.resource_group, operation.scale_set_name))
        return Applied(finish=float(record["end"]), status=str(record["status"]), error=record.get("error"),
                       status_code="Created" if created else "OK")

    def put(self, resource_group: str, name: str, body: dict[str, Any]) -> Applied:
        try:
            current = self.compute.get_scale_set(resource_group, name)
        except errors.ResourceNotFound:
            spec = arm_compute.scale_set_spec_from_json(name, resource_group, body)
            network = network_from_profile(body)
            if network is not None:
                spec = replace(spec, network=network)
            return self._applied(self.compute.create_scale_set(spec), True)
        update, capacity = arm_compute.scale_set_update_from_json(body, current, replace=True)
        applied = Applied(finish=self.ctx.now())
        if not arm_compute.update_is_empty(update):
            operation = self.compute.update_scale_set(resource_group, name, update)
            applied = self._applied(operation, False)
            if capacity is not None and applied.status == "Succeeded" and applied.finish > self.ctx.now():
                from ..engine import operations  # the model change first, then the capacity (as the endpoint does)

                operations.wait(self.ctx, self.compute.operation_record, operation)
        if capacity is not None and applied.status == "Succeeded":
            applied = self._applied(self.compute.set_capacity(resource_group, name, capacity), False)
        return applied

    def delete(self, resource_group: str, name: str) -> Applied:
        return self._applied(self.compute.delete_scale_set(resource_group, name), False)

    def names(self, resource_group: str) -> list[str]:
        return [s.name for s in self.compute.list_scale_sets(resource_group)]

    def changes(self, current: dict[str, Any], desired: dict[str, Any]) -> list[dict[str, Any]]:
        paths = SCALE_SET_PATHS
        if not arm_compute.is_scale_request(desired):  # what the PUT leaves out is compared as its default
            desired = arm_compute.with_put_defaults(desired)
            paths = (("tags",),) + SCALE_SET_PATHS
        found: list[dict[str, Any]] = []
        for path in paths:
            after = get_path(desired, *path)
            if after is None:
                continue
            before = get_path(current, *path)
            if path == ("zones",) and isinstance(after, list) and isinstance(before, list) \
                    and sorted(map(str, after)) == sorted(map(str, before)):
                continue
            found += diff(before, after, ".".join(path)) if before is not None else [
                {"path": ".".join(path), "propertyChangeType": "Create", "after": after}]
        wanted = get_path(desired, "properties", "virtualMachineProfile")
        if isinstance(wanted, dict) and not arm_compute.is_scale_request(desired):
            # The PUT replaces the rest of the profile the room stores (extensions, disks, network, osProfile):
            # compared as the room keeps it (no secret, no field compared above), property by property.
            kept_before = arm_compute.stored_profile_json(arm_compute.stored_profile_text(
                get_path(current, "properties", "virtualMachineProfile")))
            kept_after = _unmasked(arm_compute.stored_profile_json(arm_compute.stored_profile_text(wanted)),
                                   kept_before)
            found += diff(kept_before, kept_after, "properties.virtualMachineProfile")
        return found


def _unmasked(after: Any, before: Any) -> Any:
    """`after` with each secure value what-if cannot read (printed as `***`) taken as what is there now: a secret
    is never compared, so it is never reported as a change (INF: what-if shows no secret)."""
    from ....domain.templates.secure import MASK

    if after == MASK:
        return before
    if isinstance(after, dict) and isinstance(before, dict):
        return {key: _unmasked(value, before.get(key)) for key, value in after.items()}
    if isinstance(after, list) and isinstance(before, list):
        return [_unmasked(value, before[index] if index < len(before) else None) for index, value in enumerate(after)]
    return after


def _id_parts(resource_id: Any) -> list[str]:
    return resource_id.split("/") if isinstance(resource_id, str) else []


def _after(parts: list[str], segment: str) -> str | None:
    lowered = [part.lower() for part in parts]
    return parts[lowered.index(segment.lower()) + 1] if segment.lower() in lowered[:-1] else None


def network_from_profile(body: Mapping[str, Any]) -> ScaleSetNetwork | None:
    """The networking a template's scale set asks for, read from its primary NIC's ip configuration ids
    (subnet, load balancer backend pool, inbound NAT pool), in the network room's terms; None when the body
    names no subnet (a set without a network, as an ARM PUT without a network profile)."""
    configs = get_path(body, "properties", "virtualMachineProfile", "networkProfile",
                       "networkInterfaceConfigurations", default=None) or []
    primary = next((c for c in configs if isinstance(c, dict) and get_path(c, "properties", "primary", default=False)),
                   configs[0] if configs and isinstance(configs[0], dict) else None)
    ip_configs = get_path(primary, "properties", "ipConfigurations", default=None) or [] if primary else []
    ip = get_path(ip_configs[0], "properties", default=None) if ip_configs and isinstance(ip_configs[0], dict) else None
    if not isinstance(ip, dict):
        return None
    subnet = _id_parts(get_path(ip, "subnet", "id", default=None))
    if not subnet:
        return None
    pools = [_id_parts(get_path(p, "id", default=None)) for p in ip.get("loadBalancerBackendAddressPools") or []]
    nat_pools = [_id_parts(get_path(p, "id", default=None)) for p in ip.get("loadBalancerInboundNatPools") or []]
    pool = pools[0] if pools else []
    nat = nat_pools[0] if nat_pools else []
    return ScaleSetNetwork(vnet_name=_after(subnet, "virtualNetworks"), subnet=_after(subnet, "subnets"),
                           load_balancer=_after(pool, "loadBalancers") or _after(nat, "loadBalancers") or "",
                           backend_pool_name=_after(pool, "backendAddressPools"),
                           nat_pool_name=_after(nat, "inboundNatPools"), nsg="")


# ---------------------------------------------------------------- Microsoft.Network

class NetworkKind:
    """Virtual networks, public IPs, load balancers and NSGs through the network room's PUT (it replaces the
    resource and keeps what it hands out itself: addresses, pool members, NAT rules)."""

    api_version = arm_network.API_VERSION
    delete_rank = 90  # after the scale sets that use them

    def __init__(self, resource_type: str, collection: str, network: Any) -> None:
        self.type = resource_type
        self.collection = collection
        self.network = network

    def read(self, resource_group: str, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.network.get_resource(self.collection, resource_group, name))
        except errors.ResourceNotFound:
            return None

    def put(self, resource_group: str, name: str, body: dict[str, Any]) -> Applied:
        _resource, created = self.network.put_resource(self.collection, resource_group, name, body)
        return Applied(finish=self.network.ctx.now(), status_code="Created" if created else "OK")

    def delete(self, resource_group: str, name: str) -> Applied:
        self.network.delete_resource(self.collection, resource_group, name)
        return Applied(finish=self.network.ctx.now())

    def names(self, resource_group: str) -> list[str]:
        return [str(row["name"]) for row in self.network.list_resources(self.collection, resource_group)]

    def changes(self, current: dict[str, Any], desired: dict[str, Any]) -> list[dict[str, Any]]:
        # What the template sets, compared where the room shows the same property (ids, etags and what the
        # room computes are not in a template).
        return [change for change in diff(_shared(current, desired), desired)
                if change["propertyChangeType"] != "Delete"]


def _shared(current: Any, desired: Any) -> Any:
    """`current` cut to the keys `desired` has, recursively (lists by position)."""
    if isinstance(current, dict) and isinstance(desired, dict):
        return {key: _shared(current[key], desired[key]) for key in desired if key in current}
    if isinstance(current, list) and isinstance(desired, list):
        return [_shared(c, d) for c, d in zip(current, desired)] + current[len(desired):]
    return current


class NatRuleKind:
    """`Microsoft.Network/loadBalancers/inboundNatRules` (az vmss create's NAT rule V2): a rule put into its load
    balancer through the network room's PUT of the whole balancer. Complete mode leaves rules to their parent."""

    type = "Microsoft.Network/loadBalancers/inboundNatRules"
    api_version = arm_network.API_VERSION
    delete_rank = 80

    def __init__(self, network: Any) -> None:
        self.network = network

    def _split(self, name: str) -> tuple[str, str]:
        parent, _, rule = name.partition("/")
        if not parent or not rule or "/" in rule:
            raise errors.InvalidParameter(f"The inbound NAT rule name '{name}' must be '<load balancer>/<rule>'.",
                                          target="name")
        return parent, rule

    def _balancer(self, resource_group: str, parent: str) -> dict[str, Any] | None:
        try:
            return dict(self.network.get_resource("loadBalancers", resource_group, parent))
        except errors.ResourceNotFound:
            return None

    def read(self, resource_group: str, name: str) -> dict[str, Any] | None:
        parent, rule = self._split(name)
        balancer = self._balancer(resource_group, parent) or {}
        return next((dict(r) for r in get_path(balancer, "properties", "inboundNatRules", default=None) or []
                     if str(r.get("name", "")).lower() == rule.lower()), None)

    def put(self, resource_group: str, name: str, body: dict[str, Any]) -> Applied:
        parent, rule = self._split(name)
        balancer = self._balancer(resource_group, parent)
        if balancer is None:
            raise errors.ResourceNotFound(f"The load balancer '{parent}' of inbound NAT rule '{rule}' was not found.",
                                          target=parent)
        properties = dict(balancer.get("properties") or {})
        rules = [dict(r) for r in properties.get("inboundNatRules") or []
                 if str(r.get("name", "")).lower() != rule.lower()]
        created = len(rules) == len(properties.get("inboundNatRules") or [])
        rules.append({"name": rule, "properties": dict(body.get("properties") or {})})
        properties["inboundNatRules"] = rules
        self.network.put_resource("loadBalancers", resource_group, parent, {**balancer, "properties": properties})
        return Applied(finish=self.network.ctx.now(), status_code="Created" if created else "OK")

    def delete(self, resource_group: str, name: str) -> Applied:
        parent, rule = self._split(name)
        balancer = self._balancer(resource_group, parent)
        if balancer is not None:
            properties = dict(balancer.get("properties") or {})
            properties["inboundNatRules"] = [r for r in properties.get("inboundNatRules") or []
                                             if str(r.get("name", "")).lower() != rule.lower()]
            self.network.put_resource("loadBalancers", resource_group, parent, {**balancer, "properties": properties})
        return Applied(finish=self.network.ctx.now())

    def names(self, resource_group: str) -> list[str]:
        return []

    def changes(self, current: dict[str, Any], desired: dict[str, Any]) -> list[dict[str, Any]]:
        return [change for change in diff(_shared(current, desired), desired)
                if change["propertyChangeType"] != "Delete"]


NETWORK_TYPES = {"Microsoft.Network/virtualNetworks": "virtualNetworks",
                 "Microsoft.Network/publicIPAddresses": "publicIPAddresses",
                 "Microsoft.Network/loadBalancers": "loadBalancers",
                 "Microsoft.Network/networkSecurityGroups": "networkSecurityGroups"}
"""ARM type -> the network room's collection."""


# ---------------------------------------------------------------- Microsoft.Insights

class AutoscaleKind:
    """Autoscale settings through the insights room (its PUT replaces the whole setting, as ARM's does)."""

    type = arm_insights.RESOURCE_TYPE
    api_version = "2022-10-01"  # what az 2.91 and azure-mgmt-monitor 7 send
    delete_rank = 10

    def __init__(self, ctx: Context, insights: Any, subscription_id: Callable[[], str]) -> None:
        self.ctx = ctx
        self.insights = insights
        self.subscription_id = subscription_id

    def _json(self, setting: Any) -> dict[str, Any]:
        return arm_insights.setting_to_arm(setting, resource_id=arm_insights.setting_id(
            self.subscription_id(), setting.resource_group, setting.name))

    def read(self, resource_group: str, name: str) -> dict[str, Any] | None:
        try:
            return self._json(self.insights.get_autoscale_setting(resource_group, name))
        except errors.ResourceNotFound:
            return None

    def put(self, resource_group: str, name: str, body: dict[str, Any]) -> Applied:
        _setting, created = self.insights.put_autoscale_setting(resource_group, name, body)
        return Applied(finish=self.ctx.now(), status_code="Created" if created else "OK")

    def delete(self, resource_group: str, name: str) -> Applied:
        self.insights.delete_autoscale_setting(resource_group, name)
        return Applied(finish=self.ctx.now())

    def names(self, resource_group: str) -> list[str]:
        return [s.name for s in self.insights.list_autoscale_settings(resource_group)]

    def changes(self, current: dict[str, Any], desired: dict[str, Any]) -> list[dict[str, Any]]:
        # Both sides through the same codec, so only what the setting means is compared.
        normal = arm_insights.setting_to_arm(arm_insights.setting_from_arm(desired, name=current.get("name", "")),
                                             resource_id=current.get("id", ""))
        keep = ("location", "tags", "properties")
        return diff({k: current.get(k) for k in keep if k in normal},
                    {k: normal.get(k) for k in keep if k in normal})


@dataclass
class KindTable:
    """ARM type (case-insensitive) -> the room's door for it."""

    kinds: dict[str, ResourceKind] = field(default_factory=dict)

    def register(self, kind: ResourceKind) -> None:
        self.kinds[kind.type.lower()] = kind

    def find(self, resource_type: str) -> ResourceKind | None:
        return self.kinds.get(resource_type.lower())

    def all(self) -> list[ResourceKind]:
        return sorted(self.kinds.values(), key=lambda kind: kind.delete_rank)

    def types(self) -> Mapping[str, ResourceKind]:
        return dict(self.kinds)


def unmodelled(resource_type: str) -> errors.AzureError:
    """The error of a resource whose type no emulator room serves (ARM's code for a type without a provider)."""
    return errors.AzureError(
        f"No registered resource provider found for location and API version for type '{resource_type}': the "
        "emulator does not model this resource type, so this resource was not deployed.",
        code="NoRegisteredProviderFound", http_status=400)
