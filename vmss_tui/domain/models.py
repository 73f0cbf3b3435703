"""Frozen domain values shared by every backend and front end.

Field names follow Azure's REST/SDK names in snake_case so that the JSON output
(camelCase of the same names) reads like `az vmss` output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Callable


class OrchestrationMode(StrEnum):
    """How a scale set manages its VMs; fixed when the set is created."""

    UNIFORM = "Uniform"
    FLEXIBLE = "Flexible"


class PowerState(StrEnum):
    """The `PowerState/<x>` code of an instance view."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    DEALLOCATING = "deallocating"
    DEALLOCATED = "deallocated"
    UNKNOWN = "unknown"
    """Azure sent no `PowerState/` status (e.g. a body without its instance view): not known, not guessed."""


class ProvisioningState(StrEnum):
    """ARM provisioning state of a scale set or instance."""

    CREATING = "Creating"
    UPDATING = "Updating"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    DELETING = "Deleting"


class ScaleInRule(StrEnum):
    """`scaleInPolicy.rules[0]`: which instances a scale-in removes first."""

    DEFAULT = "Default"
    NEWEST_VM = "NewestVM"
    OLDEST_VM = "OldestVM"


class UpgradeMode(StrEnum):
    """`upgradePolicy.mode`: how model changes reach existing instances."""

    MANUAL = "Manual"
    AUTOMATIC = "Automatic"
    ROLLING = "Rolling"


class Priority(StrEnum):
    """VM priority: on-demand (Regular) or evictable (Spot); Low and SpotPlus as Azure's schema has them."""

    REGULAR = "Regular"
    SPOT = "Spot"
    LOW = "Low"
    """The old name of Spot (`VirtualMachinePriorityTypes.LOW`): evictable; kept as Azure sent it."""
    SPOT_PLUS = "SpotPlus"
    """`VirtualMachinePriorityTypes.SPOT_PLUS`: read and shown; `create` still offers Regular and Spot only."""


def unknown_value(enum_type: type[StrEnum], shown: str) -> Any:
    """A value of `enum_type` that Azure sent but this version does not know.

    Azure's enums are open ("extensible" in the REST spec), so a read must keep the text
    instead of failing or mapping it to a known member: the result is an instance of
    `enum_type` whose value (and `str`) is `shown`, equal to no member.
    """
    value = str.__new__(enum_type, shown)
    value._name_ = f"UNKNOWN({shown})"
    value._value_ = shown
    return value


def is_unknown(value: StrEnum) -> bool:
    """True for a value made by `unknown_value` (or a member named UNKNOWN)."""
    return value._name_.startswith("UNKNOWN")


class PowerAction(StrEnum):
    """Actions that change an instance's power state or disk; values are the CLI verbs."""

    START = "start"
    POWER_OFF = "stop"
    DEALLOCATE = "deallocate"
    RESTART = "restart"
    REIMAGE = "reimage"


class OperationStatus(StrEnum):
    """Status of a long-running operation, as the Azure-AsyncOperation body reports it."""

    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        """True once the operation will not change any more."""
        return self is not OperationStatus.IN_PROGRESS


@dataclass(frozen=True)
class VmSize:
    """One entry of the VM size catalogue (what the Resource SKUs API would tell)."""

    name: str
    """ARM size name, e.g. `Standard_D2s_v3`."""
    family: str
    """Quota family, e.g. `standardDSv3Family`: vCPU quotas are counted per family."""
    vcpus: int
    memory_gib: float
    memory_preserving_updates: bool
    """False for the G, H, L, M and N series, which limits Flexible sets with FD count > 1."""


@dataclass(frozen=True)
class ScaleSet:
    """A virtual machine scale set as an operator sees it."""

    name: str
    resource_group: str
    location: str
    orchestration_mode: OrchestrationMode
    capacity: int
    """`sku.capacity`: how many instances the set holds (or is heading for)."""
    vm_size: str | None
    """Size in the VM profile; None for a Flexible set created without a profile."""
    image: str | None
    platform_fault_domain_count: int
    zones: tuple[str, ...]
    """Empty for a regional set."""
    single_placement_group: bool | None
    """None for a Flexible set until its first VM decides it."""
    scale_in_policy: ScaleInRule
    upgrade_policy: UpgradeMode
    provisioning_state: ProvisioningState
    time_created: datetime
    id: str
    """ARM resource id."""
    subscription_id: str = ""
    unique_id: str = ""
    computer_name_prefix: str = ""
    priority: Priority = Priority.REGULAR
    force_deletion: bool = False
    zone_balance: bool = False
    has_vm_profile: bool = True
    tags: tuple[tuple[str, str], ...] = ()
    """Sorted (name, value) pairs (domain/tags.py has Azure's rules)."""
    stored_profile: str = ""
    """The `virtualMachineProfile` as last PUT or PATCHed, less what Azure never returns (passwords, custom
    data, protected settings), as canonical JSON text; "" when none was given. Opaque: GET echoes it with the
    fields modelled above (size, image, prefix, priority) written over it."""
    capacity_reservation_group: str | None = None
    """The id of the capacity reservation group the VM profile names (None: not associated)."""

    @property
    def is_flexible(self) -> bool:
        """True for Flexible orchestration."""
        return self.orchestration_mode is OrchestrationMode.FLEXIBLE

    @property
    def is_zonal(self) -> bool:
        """True when the set spans or sits in availability zones."""
        return bool(self.zones)


@dataclass(frozen=True)
class Instance:
    """One VM of a scale set (a scale-set VM for Uniform, a plain VM for Flexible)."""

    instance_id: str
    """Decimal string for Uniform; the VM name for Flexible."""
    name: str
    computer_name: str
    scale_set_name: str
    resource_group: str
    zone: str | None
    fault_domain: int
    update_domain: int | None
    """None for Flexible, which has no update domains."""
    power_state: PowerState
    provisioning_state: ProvisioningState
    latest_model_applied: bool
    protect_from_scale_in: bool
    protect_from_scale_set_actions: bool
    vm_size: str
    time_created: datetime
    id: str
    image: str | None = None
    priority: Priority = Priority.REGULAR
    vm_id: str = ""
    created_by_scale_set: bool = True
    """False for a VM added to a Flexible set by hand."""
    private_ip: str | None = None
    """The primary NIC's private address (None: the set has no network, or not read)."""
    public_endpoint: str | None = None
    """How to reach it from outside: `ip:port` through the load balancer's NAT, or its own public IP."""
    public_ip: str | None = None
    """Its own public IP address (a VM with a public IP on its NIC), not a load balancer's."""
    nic_id: str | None = None
    """The resource id of its primary NIC (a Flexible VM's `networkProfile.networkInterfaces`)."""
    tags: tuple[tuple[str, str], ...] = ()
    """The VM's own tags as sorted (name, value) pairs (a scale set's tags are not copied to its VMs)."""


@dataclass(frozen=True)
class ErrorInfo:
    """Azure's `{code, message, target}` error, as carried by a finished operation."""

    code: str
    message: str
    target: str | None = None


@dataclass(frozen=True)
class Operation:
    """A long-running operation: what the SDK's poller or the Activity log tracks."""

    id: str
    kind: str
    """What was asked, e.g. `scale`, `start`, `deleteInstances`."""
    resource_group: str
    scale_set_name: str
    status: OperationStatus
    start_time: datetime
    end_time: datetime | None
    """When it finished, or the expected finish while it runs (None if unknown)."""
    percent_complete: float
    instance_ids: tuple[str, ...] = ()
    """Instances the operation acts on (created, changed or removed)."""
    created_instance_ids: tuple[str, ...] = ()
    removed_instance_ids: tuple[str, ...] = ()
    skipped_instance_ids: tuple[str, ...] = ()
    """Instances a set-wide action left alone because they are protected from scale-set actions."""
    error: ErrorInfo | None = None
    message: str = ""
    """One human line about what happens, e.g. `scale web 2 -> 5`."""

    @property
    def done(self) -> bool:
        """True once the operation reached a terminal status."""
        return self.status.is_terminal


ProgressCallback = Callable[[Operation], None]
"""Called with fresh Operation snapshots while a caller waits on one."""


@dataclass(frozen=True)
class ScaleSetSpec:
    """What `create` asks for; None means "Azure's default for this mode and placement"."""

    name: str
    resource_group: str
    orchestration_mode: OrchestrationMode
    location: str | None = None
    capacity: int | None = None
    vm_size: str | None = None
    image: str | None = None
    platform_fault_domain_count: int | None = None
    zones: tuple[str, ...] = ()
    single_placement_group: bool | None = None
    scale_in_policy: ScaleInRule = ScaleInRule.DEFAULT
    force_deletion: bool = False
    upgrade_policy: UpgradeMode = UpgradeMode.MANUAL
    computer_name_prefix: str | None = None
    priority: Priority = Priority.REGULAR
    zone_balance: bool = False
    with_vm_profile: bool = True
    """Flexible only: False creates an empty set with no VM profile (add VMs by hand)."""
    network: ScaleSetNetwork | None = None
    """What `az vmss create` builds for networking; None: no network (an ARM PUT without a network profile)."""
    capacity_reservation_group: str | None = None
    """A capacity reservation group (id, or name in the set's resource group) the profile associates with."""
    tags: tuple[tuple[str, str], ...] = ()
    stored_profile: str = ""
    """The PUT's `virtualMachineProfile` as `ScaleSet.stored_profile` keeps it ("": none beyond the modelled fields)."""


@dataclass(frozen=True)
class ScaleSetNetwork:
    """The networking options of `az vmss create`; None means az's default, "" means none (`--lb ""`)."""

    vnet_name: str | None = None
    subnet: str | None = None
    load_balancer: str | None = None
    backend_pool_name: str | None = None
    lb_sku: str | None = None
    public_ip_per_vm: bool = False
    nsg: str | None = None
    backend_port: int | None = None
    nat_rule_name: str | None = None
    nat_pool_name: str | None = None


@dataclass(frozen=True)
class ScaleSetUpdate:
    """A PATCH of the scale-set model; None leaves a property as it is.

    Immutable properties are here too so that asking to change them gets Azure's
    PropertyChangeNotAllowed rather than being silently ignored.
    """

    vm_size: str | None = None
    image: str | None = None
    scale_in_policy: ScaleInRule | None = None
    force_deletion: bool | None = None
    upgrade_policy: UpgradeMode | None = None
    add_zones: tuple[str, ...] = ()
    single_placement_group: bool | None = None
    orchestration_mode: OrchestrationMode | None = None
    platform_fault_domain_count: int | None = None
    zone_balance: bool | None = None
    capacity_reservation_group: str | None = None
    """A group id or name to associate with; "" dissociates (az's literal 'None')."""
    tags: tuple[tuple[str, str], ...] | None = None
    """The new tags, replacing all the old ones (ARM's rule for PATCH and PUT); () removes them all."""
    stored_profile: str | None = None
    """The new `ScaleSet.stored_profile` (a PATCH's merge is done by the caller); None leaves it."""


@dataclass(frozen=True)
class VmSpec:
    """A VM added by hand to a Flexible set (`az vm create --vmss`)."""

    name: str | None = None
    zone: str | None = None
    fault_domain: int | None = None
    vm_size: str | None = None
    image: str | None = None
    priority: Priority = Priority.REGULAR
    public_ip: bool = False
    """The lab's choice: the VM gets its own public IP (`{vm}PublicIP`)."""
    inbound_ports: tuple[int, ...] = ()
    """Ports the VM's security group opens (the portal's SSH 22, HTTP 80, HTTPS 443, RDP 3389)."""
    tags: tuple[tuple[str, str], ...] = ()
    capacity_reservation_group: str | None = None
    """The VM's capacity reservation group (id or name); None: the set's, if its profile names one."""


@dataclass(frozen=True)
class PlannedInstance:
    """An instance a capacity change would create."""

    instance_id: str | None
    """Known in advance for Uniform (the counter); None for Flexible (random names)."""
    zone: str | None
    fault_domain: int
    update_domain: int | None = None


@dataclass(frozen=True)
class PlannedRemoval:
    """An instance a capacity change would remove, with the rule that chose it."""

    instance_id: str
    zone: str | None
    fault_domain: int
    reason: str


@dataclass(frozen=True)
class CapacityPlan:
    """What `scale --dry-run` shows: exactly which instances would come and go, and why."""

    resource_group: str
    scale_set_name: str
    current_capacity: int
    target_capacity: int
    to_create: tuple[PlannedInstance, ...] = ()
    to_remove: tuple[PlannedRemoval, ...] = ()
    protected_instance_ids: tuple[str, ...] = ()
    """Instances skipped by scale-in because they are protected."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackendInfo:
    """What the header shows about where commands go."""

    kind: str
    """`emulator` or `azure`."""
    subscription_id: str
    subscription_name: str = ""
    default_location: str = ""
    store_path: str | None = None
    speed: str | None = None
    read_only: bool = False
    production: bool = False


@dataclass(frozen=True)
class PlacementCell:
    """The instances in one (zone, fault domain) cell of the placement map."""

    zone: str | None
    fault_domain: int
    instance_ids: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PlacementMap:
    """Zones x fault domains with the instances in each: the `fd-map` view."""

    scale_set_name: str
    zones: tuple[str | None, ...]
    """`(None,)` for a regional set."""
    fault_domain_count: int
    max_spreading: bool
    """FD count 1: Azure spreads over as many FDs as it can and reports FD 0 for all."""
    cells: tuple[PlacementCell, ...]

    def cell(self, zone: str | None, fault_domain: int) -> PlacementCell:
        """The cell at (zone, fault domain); an empty cell if none holds instances."""
        for candidate in self.cells:
            if candidate.zone == zone and candidate.fault_domain == fault_domain:
                return candidate
        return PlacementCell(zone=zone, fault_domain=fault_domain)

    def as_nested_dict(self) -> dict[str | None, dict[int, list[str]]]:
        """`{zone: {faultDomain: [instanceId, ...]}}`, the `fd-map -o json` shape."""
        nested: dict[str | None, dict[int, list[str]]] = {}
        for zone in self.zones:
            nested[zone] = {fd: [] for fd in range(self.fault_domain_count)}
        for cell in self.cells:
            nested.setdefault(cell.zone, {}).setdefault(cell.fault_domain, []).extend(cell.instance_ids)
        return nested


def placement_map(scale_set: ScaleSet, instances: list[Instance] | tuple[Instance, ...]) -> PlacementMap:
    """Group instances into (zone, fault domain) cells; works for any backend."""
    zones: tuple[str | None, ...] = scale_set.zones if scale_set.zones else (None,)
    extra_zones = sorted({i.zone for i in instances if i.zone is not None and i.zone not in zones})
    if extra_zones:
        zones = tuple(zones) + tuple(extra_zones)
    if any(i.zone is None for i in instances) and None not in zones:
        zones = (None,) + tuple(zones)
    fault_domain_count = max(1, scale_set.platform_fault_domain_count)
    grouped: dict[tuple[str | None, int], list[str]] = {}
    for instance in instances:
        grouped.setdefault((instance.zone, instance.fault_domain), []).append(instance.instance_id)
    cells = tuple(
        PlacementCell(zone=zone, fault_domain=fd, instance_ids=tuple(ids))
        for (zone, fd), ids in sorted(grouped.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
    )
    return PlacementMap(
        scale_set_name=scale_set.name,
        zones=zones,
        fault_domain_count=fault_domain_count,
        max_spreading=scale_set.platform_fault_domain_count == 1,
        cells=cells,
    )


@dataclass(frozen=True)
class ResourceGroup:
    """A resource group: the container `az group create` makes and `az group delete` empties."""

    name: str
    location: str
    subscription_id: str
    tags: dict[str, str] = field(default_factory=dict)
    provisioning_state: str = "Succeeded"
    """`Succeeded`, or `Deleting` while a group delete runs (ARM's values)."""

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass(frozen=True)
class Usage:
    """One row of `az vm list-usage`: a compute quota and how much of it is used in a region."""

    name: str
    """Azure's quota name: `cores`, `virtualMachines`, `virtualMachineScaleSets`, or a family such as `standardDSv3Family`."""
    localized_name: str
    """What az prints, e.g. `Total Regional vCPUs`, `Standard DSv3 Family vCPUs`."""
    current_value: int
    limit: int
    unit: str = "Count"
