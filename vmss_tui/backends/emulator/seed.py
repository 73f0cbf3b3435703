"""The practice estate a new default store starts with (and `emulator reset` rebuilds).

Its networks are built through the network room's own create paths, as an operator would build them:

- `web` (seed 001, "RDP / SSH to VM Scale Set instances" and "Round Robin load balancing"): what
  `az vmss create` builds for a zonal Uniform set (`create`'s default, the room's `plan_network`): a virtual
  network and subnet, a Standard load balancer on a public IP frontend with a backend pool, an inbound NAT
  rule from port 50000 to port 22 of each instance, an HTTP load-balancing rule (80 -> 80) and an NSG
  allowing SSH; then the rule gets a probe, as `az network lb probe create` + `az network lb rule update
  --probe-name` would do it (a PUT of the load balancer, the endpoint's path).
- `demo-set` (seed 003's lab): a Flexible set in a virtual network without a load balancer (the portal's
  default), and the lab's `newvm` with its own public IP and an NSG allowing SSH (22).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...domain.models import OrchestrationMode, ScaleSetNetwork, ScaleSetSpec, VmSpec
from ...domain.sizes import DEFAULT_LOCATION
from .resources.groups import DEFAULT_RESOURCE_GROUP
from .timing import Speed

if TYPE_CHECKING:
    from .backend import EmulatorBackend

WEB_PROBE = {"name": "HttpProbe", "properties": {"protocol": "Http", "port": 80, "requestPath": "/",
                                                 "intervalInSeconds": 15, "numberOfProbes": 2}}
"""The health probe of `web`'s HTTP rule (seed 001: "probes ... with a specified protocol, interval and request path")."""


def seed_practice_estate(backend: EmulatorBackend) -> None:
    """A zone-spanning Uniform set behind a load balancer, the seed-003 Flexible lab and an empty Flexible set."""
    speed, backend.speed = backend.speed, Speed.INSTANT
    try:
        backend.create_or_update_resource_group(DEFAULT_RESOURCE_GROUP, DEFAULT_LOCATION)
        backend.create_scale_set(ScaleSetSpec(
            name="web", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.UNIFORM,
            location=DEFAULT_LOCATION, capacity=6, vm_size="Standard_D2s_v3", image="Ubuntu2204",
            zones=("1", "2", "3"), network=ScaleSetNetwork()))
        _add_probe(backend, DEFAULT_RESOURCE_GROUP, "webLB", WEB_PROBE)
        backend.create_scale_set(ScaleSetSpec(
            name="demo-set", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.FLEXIBLE,
            location="centralindia", capacity=1, vm_size="Standard_B1s", image="Ubuntu2204",
            network=ScaleSetNetwork(load_balancer="")))
        backend.add_vm(DEFAULT_RESOURCE_GROUP, "demo-set", VmSpec(name="newvm", vm_size="Standard_B1s",
                                                                  public_ip=True, inbound_ports=(22,)))
        backend.create_scale_set(ScaleSetSpec(
            name="batch", resource_group=DEFAULT_RESOURCE_GROUP, orchestration_mode=OrchestrationMode.FLEXIBLE,
            location=DEFAULT_LOCATION, platform_fault_domain_count=2, with_vm_profile=False, capacity=0))
    finally:
        backend.speed = speed


def _add_probe(backend: EmulatorBackend, resource_group: str, lb_name: str, probe: dict[str, Any]) -> None:
    """Add a probe to a load balancer and point its load-balancing rules at it: GET, change, PUT, as az does."""
    body = backend.get_network_resource("lb", resource_group, lb_name)
    props = body["properties"]
    props["probes"] = [*props.get("probes", []), probe]
    probe_id = f"{body['id']}/probes/{probe['name']}"
    for rule in props.get("loadBalancingRules", []):
        rule["properties"]["probe"] = {"id": probe_id}
    backend.put_network_resource("lb", resource_group, lb_name, body)
