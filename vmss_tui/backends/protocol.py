"""The one backend protocol every front end talks to.

Both the offline emulator and the live Azure adapter implement it. It is synchronous:
TinyDB, the REPL and the sync Azure SDK all block, and the TUI calls it only from
worker threads. Mutations start a long-running operation and return at once with an
`Operation`; `wait()` follows it to the end (reporting progress), which is how `--no-wait`
and the default waiting behaviour are both served.

Every method raises only `vmss_tui.domain.errors.AzureError` subclasses.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence, runtime_checkable

from ..domain.autoscale.model import MetricStatistic
from ..domain.errors import AzureError

from ..domain.models import (
    BackendInfo,
    CapacityPlan,
    Instance,
    Operation,
    PlacementMap,
    PowerAction,
    ProgressCallback,
    ResourceGroup,
    ScaleSet,
    ScaleSetSpec,
    ScaleSetUpdate,
    Usage,
    VmSpec,
)
from ..domain.summary import ScaleSetSummary

if TYPE_CHECKING:  # annotations only: these pull in the engine and time zones, which a start-up does not need
    from ..domain.autoscale.engine import Evaluation
    from ..domain.autoscale.load import Load
    from ..domain.autoscale.model import AutoscaleSetting
    from ..domain.autoscale.status import AutoscaleStatus
from ..domain.reservations import CapacityReservation, CapacityReservationGroup


@runtime_checkable
class ScaleSets(Protocol):
    """Capability: scale sets (`az vmss list|show|create|update|scale|delete`); part of every `Backend`."""

    def list_scale_sets(self, resource_group: str | None = None) -> list[ScaleSet]:
        """List scale sets.

        Args:
            resource_group: Only this group; None for every group in the subscription.

        Returns:
            Scale sets sorted by (resource group, name).

        Raises:
            ResourceGroupNotFound: The named group does not exist.
        """
        ...

    def list_scale_set_summaries(self, resource_group: str | None = None) -> list[ScaleSetSummary]:
        """List scale sets with their instance counts, at a cost that grows with sets, not instances.

        Args:
            resource_group: Only this group; None for every group in the subscription.

        Returns:
            The same sets, in the same order, as `list_scale_sets`. `state_counts` is None where
            counting would cost a call per set (the Azure adapter): front ends count those from
            `list_instances` of the sets they show.

        Raises:
            ResourceGroupNotFound: The named group does not exist.
        """
        ...

    def get_scale_set(self, resource_group: str, name: str) -> ScaleSet:
        """Get one scale set.

        Raises:
            ResourceNotFound: No such set in that group (names are case-insensitive).
        """
        ...

    def create_scale_set(self, spec: ScaleSetSpec) -> Operation:
        """Create a scale set (and, for Uniform or a Flexible set with a profile, its instances).

        Args:
            spec: The requested set; None fields take Azure's defaults for the mode and placement.

        Returns:
            The create operation (instances start in Creating).

        Raises:
            InvalidParameter: Bad FD count, zones, capacity, size or image.
            OperationNotAllowed: Capacity above the set's limit.
            QuotaExceeded: Not enough regional vCPU quota for the family.
            Conflict: A set with that name already exists.
            ResourceGroupNotFound: The group does not exist (the emulator creates it instead).
        """
        ...

    def update_scale_set(self, resource_group: str, name: str, update: ScaleSetUpdate) -> Operation:
        """Change the scale-set model (size, image, policies, zones).

        A size or image change marks existing instances `latest_model_applied=False`;
        Automatic upgrade mode then upgrades them all at once, Rolling in batches of 20 %.

        Raises:
            PropertyChangeNotAllowed: orchestrationMode, platformFaultDomainCount, or
                singlePlacementGroup false -> true.
            InvalidParameter: A bad value, or removing zones.
            ResourceNotFound: No such set.
        """
        ...

    def delete_scale_set(self, resource_group: str, name: str, *, force: bool = False) -> Operation:
        """Delete a scale set; a Uniform set takes its instances with it.

        Raises:
            OperationNotAllowed: A Flexible set that still has VMs.
            ResourceNotFound: No such set.
        """
        ...

    def plan_capacity(self, resource_group: str, name: str, capacity: int) -> CapacityPlan:
        """Say exactly which instances `set_capacity` would create or remove, and why; change nothing.

        Raises:
            The same validation errors as `set_capacity`.
        """
        ...

    def set_capacity(self, resource_group: str, name: str, capacity: int) -> Operation:
        """Scale out or in to `capacity` instances.

        Scale-out places each new instance in the emptiest zone, then the emptiest fault domain.
        Scale-in skips protected instances, balances zones, then applies the scale-in policy.

        Raises:
            InvalidParameter: Negative capacity.
            OperationNotAllowed: Above the set's limit (100 with a single placement group,
                1000 otherwise, 200 for a Flexible non-MPU size with FD count > 1), or a Flexible
                set with no VM profile.
            QuotaExceeded: Not enough vCPU quota.
            ResourceNotFound: No such set.
        """
        ...


@runtime_checkable
class Instances(Protocol):
    """Capability: a set's instances and Flexible VMs (power, protection, tags, upgrade, placement); part of
    every `Backend`."""

    def add_vm(self, resource_group: str, name: str, spec: VmSpec) -> Operation:
        """Add a VM by hand to a Flexible set.

        Raises:
            OperationNotAllowed: The set is Uniform, or the set is full.
            InvalidParameter: A zone the set does not cover, a fault domain out of range or
                given when the FD count is 1, a forbidden size or Spot/size mix.
            QuotaExceeded: Not enough vCPU quota.
        """
        ...

    def list_instances(self, resource_group: str, name: str) -> list[Instance]:
        """Instances of a set, ordered by creation (Uniform: by numeric id).

        Raises:
            ResourceNotFound: No such set.
        """
        ...

    def get_instance(self, resource_group: str, name: str, instance_id: str) -> Instance:
        """One instance.

        Raises:
            ResourceNotFound: No such set or instance.
        """
        ...

    def delete_instances(self, resource_group: str, name: str, instance_ids: list[str], *,
                         force: bool = False) -> Operation:
        """Delete chosen instances; capacity drops by as many. Protection does not block this.

        Raises:
            ResourceNotFound: An id is not in the set (nothing is deleted).
            InvalidParameter: No ids given.
        """
        ...

    def power_action(self, resource_group: str, name: str, action: PowerAction,
                     instance_ids: list[str] | None = None) -> Operation:
        """Start, power off, deallocate, restart or reimage instances.

        Args:
            action: What to do.
            instance_ids: These instances; None for the whole set, which skips instances
                protected from scale-set actions (listed in `Operation.skipped_instance_ids`).

        Raises:
            OperationNotAllowed: e.g. restart of an instance that is not running, reimage of a
                deallocated one, any action on an instance marked for deletion.
            QuotaExceeded: Starting deallocated instances needs vCPU quota again.
            Conflict: An instance is in the middle of another operation.
            ResourceNotFound: An id is not in the set.
        """
        ...

    def set_protection(self, resource_group: str, name: str, instance_ids: list[str], *,
                       protect_from_scale_in: bool | None = None,
                       protect_from_scale_set_actions: bool | None = None) -> list[Instance]:
        """Set instance protection; None leaves a flag as it is. Immediate, not an LRO.

        Raises:
            InvalidParameter: Scale-set-action protection without scale-in protection.
            ResourceNotFound: An id is not in the set.
        """
        ...

    def set_instance_tags(self, resource_group: str, name: str, instance_id: str,
                          tags: tuple[tuple[str, str], ...]) -> Instance:
        """Replace one VM's tags (all of them; () removes them). Immediate, not an LRO.

        Raises:
            InvalidParameter: Tags outside Azure's limits (domain/tags.py).
            ResourceNotFound: The id is not in the set.
        """
        ...

    def upgrade_instances(self, resource_group: str, name: str,
                          instance_ids: list[str] | None = None) -> Operation:
        """Bring instances to the latest scale-set model (`manualUpgrade`).

        Args:
            instance_ids: These instances; None for every instance not on the latest model.

        Raises:
            ResourceNotFound: An id is not in the set.
            OperationNotAllowed: An instance marked for deletion.
        """
        ...

    def placement(self, resource_group: str, name: str) -> PlacementMap:
        """Zones x fault domains with the instances in each.

        Raises:
            ResourceNotFound: No such set.
        """
        ...


@runtime_checkable
class Backend(ScaleSets, Instances, Protocol):
    """The core every backend offers: scale sets and instances (capabilities of their own, above), plus info,
    operations and close. Groups, autoscale, network, deployments and reservations are capability protocols
    below; a front end asks for the one it needs (`isinstance(backend, Network)`)."""

    def info(self) -> BackendInfo:
        """Describe the backend for headers and audit lines.

        Returns:
            Kind, subscription and, for the emulator, store path and speed.
        """
        ...

    def list_resource_groups(self) -> list[str]:
        """Names of the resource groups the backend can see, sorted."""
        ...

    def get_operation(self, operation_id: str) -> Operation:
        """The current state of an operation this backend started.

        Raises:
            ResourceNotFound: Unknown operation id.
        """
        ...

    def wait(self, operation: Operation, *, progress: ProgressCallback | None = None,
             timeout: float | None = None) -> Operation:
        """Block until the operation finishes, calling `progress` with each new snapshot.

        Args:
            operation: What `create_scale_set`, `set_capacity`, ... returned.
            progress: Called with each snapshot while waiting (and once at the end).
            timeout: Give up after this many seconds and return the last snapshot.

        Returns:
            The final snapshot (status Succeeded, Failed or Canceled), or the last one on timeout.
        """
        ...

    def close(self) -> None:
        """Release files, sockets and threads."""
        ...


@runtime_checkable
class ConcurrentRefresh(Protocol):
    """Optional capability: refresh many scale sets at once.

    The Azure adapter fans the calls out over a thread pool, so N sets cost about two round
    trips instead of 2N. Front ends check `isinstance(backend, ConcurrentRefresh)` and fall
    back to `get_scale_set` + `list_instances` per set otherwise.
    """

    def refresh_scale_sets(self, keys: Sequence[tuple[str, str]]
                           ) -> list[tuple[ScaleSet, list[Instance]] | AzureError]:
        """Each (resource group, name) as (set, its instances), or the error that set raised.

        Args:
            keys: (resource group, scale set name) pairs.

        Returns:
            One entry per key, in the same order; a failure for one set does not fail the others.
        """
        ...


@runtime_checkable
class ResourceGroups(Protocol):
    """Capability: resource groups as ARM has them (`az group create|show|list|delete`) and regional usage.

    Both backends implement it; front ends check `isinstance(backend, ResourceGroups)`.
    """

    def get_resource_group(self, name: str) -> ResourceGroup:
        """One group (names are case-insensitive, the stored spelling is returned).

        Raises:
            ResourceGroupNotFound: No such group.
        """
        ...

    def list_resource_group_details(self) -> list[ResourceGroup]:
        """Every group of the subscription, sorted by name."""
        ...

    def create_or_update_resource_group(self, name: str, location: str,
                                        tags: dict[str, str] | None = None) -> tuple[ResourceGroup, bool]:
        """Create a group, or update its tags; returns the group and whether it was created.

        Raises:
            InvalidParameter / InvalidResourceGroupLocation: Bad name, or a different location for an existing group.
        """
        ...

    def delete_resource_group(self, name: str) -> Operation:
        """Start deleting a group and everything in it (scale sets, VMs, later network resources).

        Raises:
            ResourceGroupNotFound: No such group.
        """
        ...

    def list_usage(self, location: str) -> list[Usage]:
        """Compute quotas and usage in a region, as `az vm list-usage --location L` reports them."""
        ...


@runtime_checkable
class Autoscale(Protocol):
    """Capability: autoscale settings (Microsoft.Insights/autoscaleSettings), what the engine did, and metrics.

    The emulator evaluates lazily from its clock; the Azure adapter reads and writes Azure's settings
    and reads Azure Monitor's metrics and autoscale activity log.
    """

    def put_autoscale_setting(self, resource_group: str, name: str,
                              body: dict[str, Any]) -> tuple[AutoscaleSetting, bool]:
        """Create or replace a setting from its ARM JSON; returns it and whether it was created.

        Raises:
            BadRequest: What Azure's schema refuses (limits, bounds, a second setting on one target).
        """
        ...

    def get_autoscale_setting(self, resource_group: str, name: str) -> AutoscaleSetting:
        ...

    def list_autoscale_settings(self, resource_group: str | None = None) -> list[AutoscaleSetting]:
        ...

    def delete_autoscale_setting(self, resource_group: str, name: str) -> None:
        ...

    def autoscale_setting_for(self, resource_group: str, scale_set: str) -> AutoscaleSetting | None:
        """The setting whose target is this scale set, if any."""
        ...

    def autoscale_history(self, resource_group: str, name: str, since: datetime | None = None) -> list[Evaluation]:
        """Runs that acted, flapped, failed or were held (cooldown, min/max), oldest first."""
        ...

    def autoscale_status(self, resource_group: str, name: str) -> AutoscaleStatus:
        """A setting (by its name or its scale set's) with what the engine would decide now."""
        ...

    def metric_series(self, resource_group: str, scale_set: str, metric: str, *, start: datetime, end: datetime,
                      interval: float = 60.0, statistic: MetricStatistic = MetricStatistic.AVERAGE
                      ) -> list[tuple[datetime, float | None]]:
        """A scale set's metric per interval (None where no instance reported)."""
        ...


@runtime_checkable
class LoadSimulation(Protocol):
    """Emulator only: the load that drives the metrics, and autoscale dry runs under a load."""

    def get_load(self, resource_group: str, scale_set: str) -> Load:
        ...

    def change_load(self, resource_group: str, scale_set: str, change: Callable[[Load, float], Load]) -> Load:
        """Apply `change(load, now)` and store the result; autoscale first catches up under the old load."""
        ...

    def simulate_autoscale(self, resource_group: str, scale_set: str, load: Load, seconds: float) -> list[Evaluation]:
        """What autoscale would do under `load` for `seconds`, on a copy: nothing is stored."""
        ...


@runtime_checkable
class EmulatedClock(Protocol):
    """Emulator only: the clock every process on the store reads, which an operator fast-forwards."""

    def clock_now(self) -> datetime:
        ...

    def clock_ahead_seconds(self) -> float:
        """How far the emulated clock runs ahead of the system clock."""
        ...

    def advance_clock(self, seconds: float) -> datetime:
        """Move the clock forward (never back); returns the new "now"."""
        ...

    def set_clock(self, moment: datetime) -> datetime:
        """Move the clock to `moment`, which must not be in its past."""
        ...


@runtime_checkable
class Network(Protocol):
    """Capability: Microsoft.Network as the commands use it (issue 14).

    Resources come back as ARM JSON (vmss_tui/arm/network.py's shapes), which `-o json` flattens as az
    prints them. `kind` is a command noun: `vnet`, `public-ip`, `lb` or `nsg`.
    """

    def connection_info(self, resource_group: str, name: str) -> dict[str, str]:
        """`az vmss list-instance-connection-info`: `{"instance 0": "20.1.2.3:50000", ...}`.

        Raises:
            ResourceNotFoundError / CLIError / ArgumentUsageError: az's refusals (no load balancer, internal
            load balancer, Flexible set, empty pool).
        """
        ...

    def list_network_resources(self, kind: str, resource_group: str) -> list[dict[str, Any]]:
        """Every resource of a kind in a group, sorted by name."""
        ...

    def get_network_resource(self, kind: str, resource_group: str, name: str) -> dict[str, Any]:
        """One resource; ResourceNotFound when there is none."""
        ...

    def delete_network_resource(self, kind: str, resource_group: str, name: str) -> None:
        """Delete one resource; one still in use is refused with Azure's error naming the user."""
        ...

    def create_virtual_network(self, resource_group: str, name: str, *, location: str | None = None,
                               address_prefixes: tuple[str, ...] = ("10.0.0.0/16",), subnet_name: str | None = None,
                               subnet_prefix: str | None = None) -> dict[str, Any]:
        ...

    def create_public_ip(self, resource_group: str, name: str, *, location: str | None = None, sku: str = "Standard",
                         allocation_method: str | None = None, dns_name: str | None = None) -> dict[str, Any]:
        ...

    def create_load_balancer(self, resource_group: str, name: str, *, location: str | None = None,
                             sku: str = "Standard", public_ip: str | None = None,
                             backend_pool_name: str | None = None) -> dict[str, Any]:
        ...

    def create_nsg(self, resource_group: str, name: str, *, location: str | None = None,
                   inbound_ports: tuple[int, ...] = ()) -> dict[str, Any]:
        ...

    def list_scale_set_nics(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        """The NICs of a set's instances (`GET .../virtualMachineScaleSets/{set}/networkInterfaces`)."""
        ...

    def scale_set_network_profile(self, resource_group: str, name: str) -> dict[str, Any] | None:
        """The set's `virtualMachineProfile.networkProfile` (ARM JSON); None when it has none."""
        ...


@runtime_checkable
class Deployments(Protocol):
    """ARM template deployments (Microsoft.Resources/deployments): bodies are ARM's JSON (`DeploymentExtended`,
    `DeploymentOperation`, `WhatIfOperationResult`), as az prints them. `template` is the template's text or
    its JSON object; `parameters` maps names to plain values or to `{"value": ...}`."""

    def deploy(self, resource_group: str, name: str, template: Any, parameters: dict[str, Any] | None = None, *,
               mode: str = "Incremental") -> dict[str, Any]:
        """Check everything first (InvalidTemplate: nothing touched), then deploy; the deployment as submitted."""
        ...

    def validate_deployment(self, resource_group: str, name: str, template: Any,
                            parameters: dict[str, Any] | None = None, *, mode: str = "Incremental") -> dict[str, Any]:
        ...

    def what_if_deployment(self, resource_group: str, name: str, template: Any,
                           parameters: dict[str, Any] | None = None, *, mode: str = "Incremental",
                           result_format: str = "FullResourcePayloads") -> dict[str, Any]:
        ...

    def get_deployment(self, resource_group: str, name: str) -> dict[str, Any]:
        ...

    def list_deployments(self, resource_group: str) -> list[dict[str, Any]]:
        ...

    def list_deployment_operations(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        ...

    def wait_deployment(self, resource_group: str, name: str, timeout: float | None = None) -> dict[str, Any]:
        """The deployment once it has ended (Succeeded, Failed or Canceled), or as it is when `timeout` passes."""
        ...

    def cancel_deployment(self, resource_group: str, name: str) -> None:
        ...

    def delete_deployment(self, resource_group: str, name: str) -> None:
        ...

    def export_scale_set_template(self, resource_group: str, name: str) -> dict[str, Any]:
        """The scale set as a template that redeploys to the same set."""
        ...


@runtime_checkable
class CapacityReservations(Protocol):
    """Capacity reservation groups and their reservations (Microsoft.Compute); values from
    domain/reservations.py, with what is associated and allocated computed at read time."""

    def create_or_update_capacity_reservation_group(self, resource_group: str, name: str, *,
                                                    location: str | None = None, zones: tuple[str, ...] = (),
                                                    tags: dict[str, str] | None = None
                                                    ) -> tuple[CapacityReservationGroup, bool]:
        """(group, created); only tags may change on an existing group."""
        ...

    def get_capacity_reservation_group(self, resource_group: str, name: str) -> CapacityReservationGroup:
        ...

    def list_capacity_reservation_groups(self, resource_group: str | None = None) -> list[CapacityReservationGroup]:
        ...

    def delete_capacity_reservation_group(self, resource_group: str, name: str) -> None:
        """Refused while it holds reservations or VMs are associated with it."""
        ...

    def put_capacity_reservation(self, resource_group: str, group: str, name: str, *, sku: str | None = None,
                                 capacity: int | None = None, zones: tuple[str, ...] | None = None,
                                 location: str | None = None, tags: dict[str, str] | None = None
                                 ) -> tuple[CapacityReservation, bool]:
        """Create (needs sku and capacity; quota checked, all or nothing) or change capacity/tags only."""
        ...

    def get_capacity_reservation(self, resource_group: str, group: str, name: str) -> CapacityReservation:
        ...

    def list_capacity_reservations(self, resource_group: str, group: str) -> list[CapacityReservation]:
        ...

    def delete_capacity_reservation(self, resource_group: str, group: str, name: str) -> None:
        """Refused while VMs are associated with it."""
        ...
