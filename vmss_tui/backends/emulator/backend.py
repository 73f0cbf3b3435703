"""The emulator backend: an offline Azure subscription composed of resource providers over one store.

State is never advanced by a background thread. Each change records *when* its steps
finish (a "transition" on each instance, an operation record with the finish times), and
every read computes the state at `clock.now()` from those timestamps. So a second process
reading the store later sees exactly what the first one would, and tests drive time with
a FakeClock. Write transactions also fold finished transitions into the stored state.

The rooms, like moto's one package per service:
- `engine/`: the shared context (store, clock, speed, randomness) and LRO records;
- `resources/`: the subscription and its resource groups (Microsoft.Resources);
- `compute/`: scale sets, instances, Flexible VMs and quotas (Microsoft.Compute);
- `seed.py`: the practice estate.
This class only composes them and answers the backend protocol.
"""

from __future__ import annotations

import random
from pathlib import Path
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from ...domain import errors
from ...domain.models import (
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
from ...domain.autoscale.model import MetricStatistic
from ...domain.sizes import DEFAULT_LOCATION
from ...domain.summary import ScaleSetSummary
from ...domain.reservations import CapacityReservation, CapacityReservationGroup
from .clock import Clock, StoreClock, SystemClock
from .compute.quota import (
    DEFAULT_FAMILY_QUOTA,
    DEFAULT_TOTAL_REGIONAL_QUOTA,
    TOTAL_REGIONAL,
    list_usage,
    quota_usage,
    set_quota,
)
from .compute.service import ComputeService
from .compute.shard import SETS_PREFIX, key_part, set_key
from .compute.views import DAMAGED
from .engine import operations
from .engine.context import Context
from .insights import SETTINGS_PREFIX as _AUTOSCALE_PREFIX
from .resources import groups
from .resources.groups import DEFAULT_RESOURCE_GROUP, META
from .seed import seed_practice_estate
from .store import Store, Transaction
from .summary import SummaryIndex
from .timing import Speed, duration, parse_speed

_set_key = set_key  # the name `emulator check` imports

if TYPE_CHECKING:
    from ...domain.autoscale.engine import Evaluation
    from ...domain.autoscale.load import Load
    from ...domain.autoscale.model import AutoscaleSetting
    from ...domain.autoscale.status import AutoscaleStatus
    from .insights.service import InsightsService
    from .network.service import NetworkService
    from .resources.deployments import DeploymentService


class _RoomOnFirstUse:
    """A provider room built the first time it is used: a command imports only the rooms it needs
    (the network, insights and deployments rooms pull in templates, codecs and time zones)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._room: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._room is None:
            self._room = self._build()
        return getattr(self._room, name)


def _network_room(ctx: Context) -> NetworkService:
    from .network.service import NetworkService
    return NetworkService(ctx)


def _insights_room(ctx: Context, compute: ComputeService) -> InsightsService:
    from .insights.service import InsightsService
    return InsightsService(ctx, compute.scale_within)

__all__ = ["DAMAGED", "DEFAULT_FAMILY_QUOTA", "DEFAULT_LOCATION", "DEFAULT_RESOURCE_GROUP",
           "DEFAULT_TOTAL_REGIONAL_QUOTA", "META", "SETS_PREFIX", "TOTAL_REGIONAL", "EmulatorBackend", "open_emulator"]


class EmulatorBackend:
    """An offline Azure subscription: resource groups, scale sets and their instances."""

    def __init__(self, store: Store, *, clock: Clock | None = None, speed: Speed | str = Speed.FAST,
                 rng: random.Random | None = None) -> None:
        self.ctx = Context(store=store, clock=clock or SystemClock(), speed=parse_speed(speed),
                           rng=rng or random.Random())
        self.network: NetworkService = _RoomOnFirstUse(lambda: _network_room(self.ctx))  # type: ignore[assignment]
        self.compute = ComputeService(self.ctx, self.network)
        self.insights: InsightsService = _RoomOnFirstUse(  # type: ignore[assignment]
            lambda: _insights_room(self.ctx, self.compute))
        self.deployments: DeploymentService = _RoomOnFirstUse(self._deployments_room)  # type: ignore[assignment]
        with self.store.snapshot() as snapshot:
            initialised = bool(groups.view_meta(snapshot).get("subscription"))
        if not initialised:  # only a new store needs the write lock just to open it
            with self.store.transaction() as txn:
                if not txn.view(META).get("subscription") and self._has_set_files(txn):
                    raise self._missing_subscription_error()
                groups.ensure_meta(self.ctx, txn)

    def _deployments_room(self) -> DeploymentService:
        """Template deployments, with every ARM type routed to the room that models it."""
        from .resources.deployments import DeploymentService
        from .resources.kinds import NETWORK_TYPES, AutoscaleKind, KindTable, NatRuleKind, NetworkKind, ScaleSetKind

        kinds = KindTable()
        kinds.register(ScaleSetKind(self.ctx, self.compute))
        kinds.register(AutoscaleKind(self.ctx, self.insights, lambda: self.info().subscription_id))
        for network_type, collection in NETWORK_TYPES.items():
            kinds.register(NetworkKind(network_type, collection, self.network))
        kinds.register(NatRuleKind(self.network))
        return DeploymentService(self.ctx, kinds)

    @property
    def kinds(self) -> Any:
        """The ARM types template deployments can create, each with the room that models it."""
        return self.deployments.kinds

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def speed(self) -> Speed:
        return self.ctx.speed

    @speed.setter
    def speed(self, value: Speed | str) -> None:
        self.ctx.speed = parse_speed(value)

    def _has_set_files(self, txn: Transaction) -> bool:
        return bool(txn.shard_keys(SETS_PREFIX) or self.store.legacy_corrupt_files(SETS_PREFIX))

    def _missing_subscription_error(self) -> errors.StoreDamaged:
        path = self.store.path_for(META)
        state = "empty" if path.exists() else "missing"
        return errors.StoreDamaged(
            f"The emulator store '{self.store.root}' holds scale sets but its subscription file '{path.name}' is "
            f"{state}, so its subscription id, resource groups and quotas are unknown. Nothing was reset: "
            f"{groups.DAMAGED_HELP}", target=str(path))

    # --- protocol: info, groups and operations ---------------------------------------------

    def info(self) -> BackendInfo:
        with self.store.snapshot() as txn:
            meta = groups.meta_doc(txn)
        return BackendInfo(kind="emulator", subscription_id=meta["id"], subscription_name=meta["name"],
                           default_location=DEFAULT_LOCATION, store_path=str(self.store.root),
                           speed=str(self.speed))

    def list_resource_groups(self) -> list[str]:
        now = self.ctx.now()
        with self.store.snapshot() as txn:
            return [row["name"] for row in groups.group_rows(txn, now)]

    def get_operation(self, operation_id: str) -> Operation:
        return operations.operation_view(self.compute.operation_record(operation_id), self.ctx.now())

    def wait(self, operation: Operation, *, progress: ProgressCallback | None = None,
             timeout: float | None = None) -> Operation:
        return operations.wait(self.ctx, self.compute.operation_record, operation, progress=progress,
                               timeout=timeout)

    def close(self) -> None:
        """Nothing stays open between calls: every call opens and closes its own transaction."""

    # --- protocol: scale sets and instances (Microsoft.Compute) ----------------------------

    def list_scale_sets(self, resource_group: str | None = None) -> list[ScaleSet]:
        self._autoscale_first()
        return self.compute.list_scale_sets(resource_group)

    def list_scale_set_summaries(self, resource_group: str | None = None) -> list[ScaleSetSummary]:
        self._autoscale_first()
        return self.compute.list_scale_set_summaries(resource_group)

    def _autoscale_first(self, resource_group: str | None = None, name: str | None = None) -> None:
        """Let autoscale run what was due before anyone reads or changes a set it watches.

        A store this process cannot write (a viewer's read-only copy) shows the last stored state.
        """
        if not self.store.list_shard_keys(_AUTOSCALE_PREFIX):
            return  # no autoscale setting anywhere: nothing is due (and the insights room is not imported)
        try:
            if name is None:
                self.insights.catch_up_all()
            else:
                self.insights.catch_up_scale_set(resource_group or "", name)
        except (errors.StoreWriteFailed, errors.ReadOnlyMode):
            pass

    def get_scale_set(self, resource_group: str, name: str) -> ScaleSet:
        self._autoscale_first(resource_group, name)
        return self.compute.get_scale_set(resource_group, name)

    def list_instances(self, resource_group: str, name: str) -> list[Instance]:
        self._autoscale_first(resource_group, name)
        return self.compute.list_instances(resource_group, name)

    def get_instance(self, resource_group: str, name: str, instance_id: str) -> Instance:
        return self.compute.get_instance(resource_group, name, instance_id)

    def placement(self, resource_group: str, name: str) -> PlacementMap:
        self._autoscale_first(resource_group, name)
        return self.compute.placement(resource_group, name)

    def create_scale_set(self, spec: ScaleSetSpec) -> Operation:
        return self.compute.create_scale_set(spec)

    def update_scale_set(self, resource_group: str, name: str, update: ScaleSetUpdate) -> Operation:
        self._autoscale_first(resource_group, name)
        return self.compute.update_scale_set(resource_group, name, update)

    def delete_scale_set(self, resource_group: str, name: str, *, force: bool = False) -> Operation:
        self._autoscale_first(resource_group, name)
        return self.compute.delete_scale_set(resource_group, name, force=force)

    def plan_capacity(self, resource_group: str, name: str, capacity: int) -> CapacityPlan:
        return self.compute.plan_capacity(resource_group, name, capacity)

    def set_capacity(self, resource_group: str, name: str, capacity: int) -> Operation:
        self._autoscale_first(resource_group, name)
        return self.compute.set_capacity(resource_group, name, capacity)

    def add_vm(self, resource_group: str, name: str, spec: VmSpec) -> Operation:
        self._autoscale_first(resource_group, name)
        return self.compute.add_vm(resource_group, name, spec)

    def delete_instances(self, resource_group: str, name: str, instance_ids: list[str], *,
                         force: bool = False) -> Operation:
        self._autoscale_first(resource_group, name)
        return self.compute.delete_instances(resource_group, name, instance_ids, force=force)

    def power_action(self, resource_group: str, name: str, action: PowerAction,
                     instance_ids: list[str] | None = None) -> Operation:
        self._autoscale_first(resource_group, name)
        return self.compute.power_action(resource_group, name, action, instance_ids)

    def set_protection(self, resource_group: str, name: str, instance_ids: list[str], *,
                       protect_from_scale_in: bool | None = None,
                       protect_from_scale_set_actions: bool | None = None) -> list[Instance]:
        self._autoscale_first(resource_group, name)
        return self.compute.set_protection(resource_group, name, instance_ids,
                                           protect_from_scale_in=protect_from_scale_in,
                                           protect_from_scale_set_actions=protect_from_scale_set_actions)

    def set_instance_tags(self, resource_group: str, name: str, instance_id: str,
                          tags: tuple[tuple[str, str], ...]) -> Instance:
        self._autoscale_first(resource_group, name)
        return self.compute.set_instance_tags(resource_group, name, instance_id, tags)

    def upgrade_instances(self, resource_group: str, name: str, instance_ids: list[str] | None = None) -> Operation:
        self._autoscale_first(resource_group, name)
        return self.compute.upgrade_instances(resource_group, name, instance_ids)

    # --- capability: resource groups and usage (Microsoft.Resources) -----------------------

    def get_resource_group(self, name: str) -> ResourceGroup:
        now = self.ctx.now()
        with self.store.snapshot() as txn:
            return groups.group_view(groups.require_group(txn, name, now), groups.meta_doc(txn)["id"])

    def list_resource_group_details(self) -> list[ResourceGroup]:
        now = self.ctx.now()
        with self.store.snapshot() as txn:
            subscription_id = groups.meta_doc(txn)["id"]
            return [groups.group_view(row, subscription_id) for row in groups.group_rows(txn, now)]

    def create_or_update_resource_group(self, name: str, location: str,
                                        tags: dict[str, str] | None = None) -> tuple[ResourceGroup, bool]:
        with self.store.transaction() as txn:
            row, created = groups.create_or_update(txn, name, location, tags, self.ctx.now())
            return groups.group_view(row, groups.meta_doc(txn)["id"]), created

    def delete_resource_group(self, name: str) -> Operation:
        """Delete a group and every set and VM in it: one transaction marks them all (all or nothing)."""
        with self.store.transaction() as txn:
            now = self.ctx.now()  # under the lock: whatever others committed is in the past
            groups.purge_deleted(txn, now)
            row = groups.require_group(txn, name, now)
            if row.get("deleting"):  # already under way: the same operation again, as ARM answers a repeat
                record = operations.find_record(row["deleting"]["op"], [(META, txn.view(META))])
                if record is not None:
                    return operations.operation_view(record, now)
            op = operations.new_operation(self.ctx, [], row["name"], "", "deleteResourceGroup", now, "")
            end = self.compute.delete_group_contents(txn, row["name"], now, op)
            removed_network = self.network.group_deleted(txn, row["name"])
            removed_network += self.compute.reservations.group_deleted(txn, row["name"])
            from .insights.service import LOAD_PREFIX  # the rooms' modules are imported on use
            from .resources.deployments import group_deleted as deployments_deleted

            deployments_deleted(txn, row["name"])
            # Microsoft.Insights resources of the group (autoscale settings) and the load set on its sets go too.
            for prefix in (_AUTOSCALE_PREFIX, LOAD_PREFIX):
                for key in txn.shard_keys(f"{prefix}{key_part(row['name'])}/"):
                    txn.drop(key)
            op["end"] = max(end, now + duration("deleteSet", self.speed))
            sets = sum(1 for r in op["removed"] if r.startswith("virtualMachineScaleSets/"))
            vms = len(op["removed"]) - sets
            op["message"] = (f"delete resource group {row['name']} and everything in it: {sets} scale set(s)"
                             + (f", {vms} Flexible VM(s)" if vms else "")
                             + (f", {len(removed_network)} network resource(s)" if removed_network else ""))
            op["removed"] = op["removed"] + removed_network
            groups.mark_deleting(txn, row["name"], op["end"], op["id"])
            groups.keep_operations(txn, [op])
        return operations.operation_view(op, now)

    def list_usage(self, location: str) -> list[Usage]:
        return list_usage(self.ctx, location)

    # --- capability: autoscale, load and metrics (Microsoft.Insights) ----------------------

    def put_autoscale_setting(self, resource_group: str, name: str, body: dict[str, Any]) -> tuple[AutoscaleSetting, bool]:
        return self.insights.put_autoscale_setting(resource_group, name, body)

    def get_autoscale_setting(self, resource_group: str, name: str) -> AutoscaleSetting:
        return self.insights.get_autoscale_setting(resource_group, name)

    def list_autoscale_settings(self, resource_group: str | None = None) -> list[AutoscaleSetting]:
        self._autoscale_first()
        return self.insights.list_autoscale_settings(resource_group)

    def delete_autoscale_setting(self, resource_group: str, name: str) -> None:
        self.insights.delete_autoscale_setting(resource_group, name)

    def autoscale_setting_for(self, resource_group: str, scale_set: str) -> AutoscaleSetting | None:
        return self.insights.setting_for_scale_set(resource_group, scale_set)

    def autoscale_history(self, resource_group: str, name: str, since: datetime | None = None) -> list[Evaluation]:
        return self.insights.autoscale_history(resource_group, name, since.timestamp() if since else None)

    def autoscale_status(self, resource_group: str, name: str) -> AutoscaleStatus:
        return self.insights.status(resource_group, name)

    def metric_series(self, resource_group: str, scale_set: str, metric: str, *, start: datetime, end: datetime,
                      interval: float = 60.0, statistic: MetricStatistic = MetricStatistic.AVERAGE
                      ) -> list[tuple[datetime, float | None]]:
        return self.insights.metric_series(resource_group, scale_set, metric, start=start.timestamp(),
                                           end=end.timestamp(), interval=interval, statistic=statistic)

    def get_load(self, resource_group: str, scale_set: str) -> Load:
        return self.insights.get_load(resource_group, scale_set)

    def change_load(self, resource_group: str, scale_set: str, change: Callable[[Load, float], Load]) -> Load:
        return self.insights.set_load(resource_group, scale_set, change)

    def simulate_autoscale(self, resource_group: str, scale_set: str, load: Load, seconds: float) -> list[Evaluation]:
        return self.insights.simulate(resource_group, scale_set, load, seconds)

    def vm_deleted_individually(self, resource_group: str, scale_set: str, operation_id: str) -> None:
        """The endpoint's VM DELETE of a Flexible member: autoscale does not see it at once (vector A30)."""
        if self.store.list_shard_keys(_AUTOSCALE_PREFIX):  # no setting anywhere: nothing watches the set
            self.insights.vm_deleted_individually(resource_group, scale_set, operation_id)

    # --- capability: the emulated clock ----------------------------------------------------

    def _store_clock(self) -> StoreClock:
        if not isinstance(self.clock, StoreClock):
            raise errors.InvalidParameter("This emulator runs on an injected clock; there is no stored clock "
                                          "to move.", target="clock")
        return self.clock

    def clock_now(self) -> datetime:
        return self.clock.now()

    def clock_ahead_seconds(self) -> float:
        return self._store_clock().offset() if isinstance(self.clock, StoreClock) else 0.0

    def advance_clock(self, seconds: float) -> datetime:
        return self._store_clock().advance(seconds)

    def set_clock(self, moment: datetime) -> datetime:
        return self._store_clock().set(moment)

    # --- capability: networking (Microsoft.Network) ---------------------------------------

    def connection_info(self, resource_group: str, name: str) -> dict[str, str]:
        scale_set = self.compute.get_scale_set(resource_group, name)
        return self.network.connection_info(scale_set.resource_group, scale_set.name, str(scale_set.orchestration_mode))

    def list_network_resources(self, kind: str, resource_group: str) -> list[dict[str, Any]]:
        return self.network.list_resources(_collection(kind), resource_group)

    def get_network_resource(self, kind: str, resource_group: str, name: str) -> dict[str, Any]:
        return self.network.get_resource(_collection(kind), resource_group, name)

    def delete_network_resource(self, kind: str, resource_group: str, name: str) -> None:
        self.network.delete_resource(_collection(kind), resource_group, name)

    def put_network_resource(self, kind: str, resource_group: str, name: str,
                             body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or replace a resource from its ARM body (the endpoint's PUT); returns (resource, created)."""
        return self.network.put_resource(_collection(kind), resource_group, name, body)

    def create_virtual_network(self, resource_group: str, name: str, *, location: str | None = None,
                               address_prefixes: tuple[str, ...] = ("10.0.0.0/16",), subnet_name: str | None = None,
                               subnet_prefix: str | None = None) -> dict[str, Any]:
        return self.network.create_virtual_network(resource_group, name, location=location,
                                                   address_prefixes=address_prefixes, subnet_name=subnet_name,
                                                   subnet_prefix=subnet_prefix)

    def create_public_ip(self, resource_group: str, name: str, *, location: str | None = None, sku: str = "Standard",
                         allocation_method: str | None = None, dns_name: str | None = None) -> dict[str, Any]:
        return self.network.create_public_ip(resource_group, name, location=location, sku=sku,
                                             allocation_method=allocation_method, dns_name=dns_name)

    def create_load_balancer(self, resource_group: str, name: str, *, location: str | None = None,
                             sku: str = "Standard", public_ip: str | None = None,
                             backend_pool_name: str | None = None) -> dict[str, Any]:
        return self.network.create_load_balancer(resource_group, name, location=location, sku=sku,
                                                 public_ip=public_ip, backend_pool_name=backend_pool_name)

    def create_nsg(self, resource_group: str, name: str, *, location: str | None = None,
                   inbound_ports: tuple[int, ...] = ()) -> dict[str, Any]:
        return self.network.create_nsg(resource_group, name, location=location, inbound_ports=inbound_ports)

    def list_scale_set_nics(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        scale_set = self.compute.get_scale_set(resource_group, name)
        return self.network.list_scale_set_nics(scale_set.resource_group, scale_set.name)

    def get_network_interface(self, resource_group: str, name: str) -> dict[str, Any]:
        return self.network.get_network_interface(resource_group, name)

    def scale_set_network_profile(self, resource_group: str, name: str) -> dict[str, Any] | None:
        return self.network.network_profile(resource_group, name)

    # --- capability: capacity reservations (Microsoft.Compute) -----------------------------

    def create_or_update_capacity_reservation_group(self, resource_group: str, name: str, *,
                                                    location: str | None = None, zones: tuple[str, ...] = (),
                                                    tags: dict[str, str] | None = None
                                                    ) -> tuple[CapacityReservationGroup, bool]:
        return self.compute.reservations.create_or_update_group(resource_group, name, location=location,
                                                                zones=zones, tags=tags)

    def get_capacity_reservation_group(self, resource_group: str, name: str) -> CapacityReservationGroup:
        return self.compute.reservations.get_group(resource_group, name)

    def list_capacity_reservation_groups(self, resource_group: str | None = None) -> list[CapacityReservationGroup]:
        return self.compute.reservations.list_groups(resource_group)

    def delete_capacity_reservation_group(self, resource_group: str, name: str) -> None:
        self.compute.reservations.delete_group(resource_group, name)

    def put_capacity_reservation(self, resource_group: str, group: str, name: str, *, sku: str | None = None,
                                 capacity: int | None = None, zones: tuple[str, ...] | None = None,
                                 location: str | None = None, tags: dict[str, str] | None = None
                                 ) -> tuple[CapacityReservation, bool]:
        return self.compute.reservations.put_reservation(resource_group, group, name, sku=sku, capacity=capacity,
                                                         zones=zones, location=location, tags=tags)

    def get_capacity_reservation(self, resource_group: str, group: str, name: str) -> CapacityReservation:
        return self.compute.reservations.get_reservation(resource_group, group, name)

    def list_capacity_reservations(self, resource_group: str, group: str) -> list[CapacityReservation]:
        return self.compute.reservations.list_reservations(resource_group, group)

    def delete_capacity_reservation(self, resource_group: str, group: str, name: str) -> None:
        self.compute.reservations.delete_reservation(resource_group, group, name)

    # --- capability: template deployments (Microsoft.Resources/deployments) ---------------

    def deploy(self, resource_group: str, name: str, template: Any, parameters: dict[str, Any] | None = None, *,
               mode: str = "Incremental", provider_api_versions: dict[str, tuple[str, ...]] | None = None
               ) -> dict[str, Any]:
        return self.deployments.deploy(resource_group, name, template, parameters, mode=mode,
                                       provider_api_versions=provider_api_versions)

    def validate_deployment(self, resource_group: str, name: str, template: Any,
                            parameters: dict[str, Any] | None = None, *, mode: str = "Incremental",
                            provider_api_versions: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
        return self.deployments.validate(resource_group, name, template, parameters, mode=mode,
                                         provider_api_versions=provider_api_versions)

    def what_if_deployment(self, resource_group: str, name: str, template: Any,
                           parameters: dict[str, Any] | None = None, *, mode: str = "Incremental",
                           provider_api_versions: dict[str, tuple[str, ...]] | None = None,
                           result_format: str = "FullResourcePayloads") -> dict[str, Any]:
        return self.deployments.what_if(resource_group, name, template, parameters, mode=mode,
                                        provider_api_versions=provider_api_versions, result_format=result_format)

    def get_deployment(self, resource_group: str, name: str) -> dict[str, Any]:
        return self.deployments.get(resource_group, name)

    def list_deployments(self, resource_group: str) -> list[dict[str, Any]]:
        return self.deployments.list(resource_group)

    def list_deployment_operations(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        return self.deployments.operations(resource_group, name)

    def wait_deployment(self, resource_group: str, name: str, timeout: float | None = None) -> dict[str, Any]:
        return self.deployments.wait(resource_group, name, timeout)

    def cancel_deployment(self, resource_group: str, name: str) -> None:
        self.deployments.cancel(resource_group, name)

    def delete_deployment(self, resource_group: str, name: str) -> None:
        self.deployments.delete(resource_group, name)

    def export_scale_set_template(self, resource_group: str, name: str) -> dict[str, Any]:
        return self.deployments.export_scale_set(resource_group, name)

    # --- emulator-only administration ------------------------------------------------------

    def set_quota(self, location: str, family: str, vcpus: int) -> None:
        """Set a regional vCPU quota (`family` may be 'Total Regional vCPUs')."""
        set_quota(self.ctx, location, family, vcpus)

    def quota_usage(self, location: str) -> dict[str, tuple[int, int]]:
        """family -> (vCPUs in use, limit) for a region, including the total regional row."""
        return quota_usage(self.ctx, location)

    def seed_practice_estate(self) -> None:
        """The practice estate: a zone-spanning Uniform set, the seed-003 Flexible lab, an empty Flexible set."""
        seed_practice_estate(self)


def _collection(kind: str) -> str:
    """`vnet`, `public-ip`, `lb`, `nsg` (the command nouns) -> the store collection."""
    from .network.store_keys import COLLECTIONS  # the network room is imported only when it is used

    try:
        return dict(zip(("vnet", "public-ip", "lb", "nsg"), COLLECTIONS))[kind]
    except KeyError:
        raise errors.InvalidParameter(f"Unknown network resource kind '{kind}'; use vnet, public-ip, lb or nsg.",
                                      target="kind") from None


def open_emulator(db: str | Path | None = None, speed: Speed | str | None = None, clock: Clock | None = None,
                  rng: random.Random | None = None, durable: bool = True, seed: bool | None = None,
                  **_ignored: Any) -> EmulatorBackend:
    """Open the emulator on a store directory.

    Args:
        db: Store directory; None for the default store in the user data dir.
        speed: instant | fast | real (default fast).
        clock: Injectable clock (FakeClock in tests).
        rng: Injectable randomness for names and ids.
        durable: fsync writes (off only for throwaway stores).
        seed: Seed the practice estate when the store is new; default True only for the default store.
    """
    if db is None:
        from .paths import default_store_path

        root = default_store_path()
        seed = True if seed is None else seed
    else:
        root = Path(db).expanduser()
        seed = False if seed is None else seed
    if root.exists() and not root.is_dir():
        raise errors.InvalidParameter(f"The emulator store '{root}' is a file; --db needs a directory.",
                                      target="db")
    is_new = not (root / f"{META}.json").exists()
    store = Store(root, durable=durable, index=SummaryIndex())
    backend = EmulatorBackend(store, clock=clock or StoreClock(store),
                              speed=parse_speed(speed), rng=rng)
    if is_new and seed:
        backend.seed_practice_estate()
    return backend
