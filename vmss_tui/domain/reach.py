"""How an instance is reached from outside (`ssh`, the TUI's `S`): its endpoint, and why it cannot be.

Pure and light (the TUI asks on every key-bar refresh): the endpoint comes from what the instance view
already names, `ip:port` through the load balancer's NAT or the VM's own public IP.
"""

from __future__ import annotations

from .models import Instance, PowerState, ScaleSet


def parse_endpoint(text: str | None) -> tuple[str, int] | None:
    """`20.1.2.3:50000` -> ("20.1.2.3", 50000); None for nothing or az's `None:None` of a missing address."""
    if not text:
        return None
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or host == "None" or not port.isdigit() or not 1 <= int(port) <= 65535:
        return None
    return host, int(port)


def not_running_reason(instance: Instance) -> str | None:
    """Why ssh cannot reach it now (None when it runs)."""
    if instance.power_state is PowerState.RUNNING:
        return None
    return (f"Instance '{instance.instance_id}' is {instance.power_state}: ssh reaches only a running instance "
            f"(start it first).")


def no_endpoint_reason(scale_set: ScaleSet, instance: Instance) -> str:
    """Why there is no way in, and what gives one."""
    return (f"Instance '{instance.instance_id}' of '{scale_set.name}' has no public endpoint: no load balancer NAT "
            f"rule maps a port to it and it has no public IP. Give the set a load balancer (create ... --lb NAME) "
            f"or public IPs (--public-ip-per-vm), or reach it through a VM that has one.")


def ssh_unavailable_reason(instance: Instance | None, scale_set: ScaleSet | None, *, emulated: bool,
                           read_only: bool) -> str | None:
    """Why `ssh` cannot reach this instance now (None: try it), from what the front end already shows."""
    if instance is None or scale_set is None:
        return "no instance under the cursor"
    reason = not_running_reason(instance)
    if reason is not None:
        return reason
    if read_only and not emulated:
        return "this session is read-only, and ssh opens a shell that can change the instance"
    if parse_endpoint(instance.public_endpoint) is None and (emulated or scale_set.is_flexible):
        # Live Uniform: az's connection info may still find a NAT port the instance view does not name.
        return no_endpoint_reason(scale_set, instance)
    return None
