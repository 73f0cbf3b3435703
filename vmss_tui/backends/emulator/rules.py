"""Azure's scale-set rules as pure functions: validation, limits, placement, scale-in.

Nothing here touches storage or time, so each rule is testable on its own and the
sources for each are listed in docs/emulator-fidelity.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from ...domain import errors, names
from ...domain.models import OrchestrationMode, ScaleInRule
from ...domain.sizes import (
    FLEXIBLE_FORBIDDEN_SIZES,
    REGIONS,
    find_size,
    is_specialty,
    region_fault_domain_max,
    region_has_zones,
)
from ...domain.models import VmSize

VALID_ZONES = ("1", "2", "3")
UNIFORM_UPDATE_DOMAINS = 5
SINGLE_PLACEMENT_GROUP_LIMIT = 100
SCALE_SET_LIMIT = 1000
CUSTOM_IMAGE_LIMIT = 600
FLEXIBLE_NON_MPU_FIXED_SPREADING_LIMIT = 200

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def validate_resource_name(name: str, kind: str = "virtualMachineScaleSets") -> None:
    """A scale set (or, with kind `resourceGroups`, a resource group) name: see domain/names.py."""
    if kind == "resourceGroups":
        names.validate_resource_group_name(name)
    else:
        names.validate_scale_set_name(name)


def validate_location(location: str) -> str:
    """Known region names only, lower-cased as ARM stores them."""
    normalized = location.replace(" ", "").lower()
    if normalized not in REGIONS:
        raise errors.AzureError(
            f"The provided location '{location}' is not available for resource type "
            f"'Microsoft.Compute/virtualMachineScaleSets'. List of available regions for the resource type is "
            f"'{','.join(sorted(REGIONS))}'.",
            code="LocationNotAvailableForResourceType", http_status=400, target="location",
        )
    return normalized


def validate_zones(zones: Iterable[str], location: str, resource_name: str) -> tuple[str, ...]:
    """Zones 1-3, in a region that has zones; returned sorted and de-duplicated."""
    requested = tuple(str(z).strip() for z in zones)
    if not requested:
        return ()
    supported = VALID_ZONES if region_has_zones(location) else ()
    bad = [z for z in requested if z not in supported]
    if bad:
        raise errors.InvalidParameter(
            f"The zone(s) '{','.join(bad)}' for resource '{resource_name}' is not supported. The supported zones "
            f"for location '{location}' are '{','.join(supported)}'.",
            target="zones",
        )
    return tuple(sorted(set(requested)))


def resolve_size(name: str | None, default: str, mode: OrchestrationMode) -> VmSize:
    """A catalogue size, refusing unknown ones and those Flexible sets cannot use."""
    size_name = name or default
    size = find_size(size_name)
    if size is None:
        from ...domain.sizes import SIZES

        raise errors.InvalidParameter(
            f"The value '{size_name}' provided for the VM size is not valid. The valid sizes in the current region "
            f"are: {', '.join(s.name for s in SIZES.values())}.",
            target="vmSize",
        )
    if mode is OrchestrationMode.FLEXIBLE and size.name.lower() in FLEXIBLE_FORBIDDEN_SIZES:
        raise errors.InvalidParameter(
            "Virtual Machine Scale Sets with Flexible Orchestration Mode or Virtual Machines referencing such "
            f"Virtual Machine Scale Sets cannot use VM Size '{size.name}'.",
            target="vmSize",
        )
    return size


def validate_image(image: str) -> str:
    """An `az` alias, a URN (publisher:offer:sku:version) or an ARM image id: see domain/names.py."""
    return names.validate_image_reference(image)


def is_custom_managed_image(image: str | None) -> bool:
    """Legacy managed images (`.../Microsoft.Compute/images/...`) cap Uniform sets at 600."""
    return bool(image) and "/providers/microsoft.compute/images/" in (image or "").lower()


def resolve_fault_domain_count(mode: OrchestrationMode, zones: Sequence[str], location: str,
                               requested: int | None) -> int:
    """Apply the allowed-values and defaults table (azure-semantics §2.3)."""
    zonal = bool(zones)
    if mode is OrchestrationMode.UNIFORM:
        if zonal:
            if requested is None:
                return 1
            if requested not in (1, 5):
                raise errors.InvalidParameter(
                    f"The value '{requested}' of parameter 'platformFaultDomainCount' is not allowed. "
                    "Allowed values are '1, 5'.",
                    target="platformFaultDomainCount",
                )
            return requested
        if requested is None:
            return 5
        if not 1 <= requested <= 5:
            raise errors.InvalidParameter(
                f"The specified fault domain count {requested} must fall in the range 1 to 5.",
                target="platformFaultDomainCount",
            )
        return requested
    if zonal:
        if requested is not None and requested > 1:
            raise errors.InvalidParameter(
                "Specifying Availability Zones is not allowed when Virtual Machine Scale Set has "
                "platformFaultDomainCount higher than 1 with OrchestrationMode: 'Flexible'.",
                target="platformFaultDomainCount",
            )
        if requested is not None and requested < 1:
            raise errors.InvalidParameter(
                f"The value '{requested}' of parameter 'platformFaultDomainCount' is not allowed. "
                "Allowed values are '1'.",
                target="platformFaultDomainCount",
            )
        return 1
    regional_max = region_fault_domain_max(location)
    if requested is None:
        return 1
    if not 1 <= requested <= regional_max:
        raise errors.InvalidParameter(
            f"The specified fault domain count {requested} must fall in the range 1 to {regional_max}.",
            target="platformFaultDomainCount",
        )
    return requested


def instance_limit(mode: OrchestrationMode, single_placement_group: bool | None, fault_domain_count: int,
                   size: VmSize | None, image: str | None) -> int:
    """The most instances the set may hold (seeds 002/003, placement-groups doc)."""
    if mode is OrchestrationMode.UNIFORM:
        if single_placement_group:
            return SINGLE_PLACEMENT_GROUP_LIMIT
        return CUSTOM_IMAGE_LIMIT if is_custom_managed_image(image) else SCALE_SET_LIMIT
    if fault_domain_count > 1 and size is not None and is_specialty(size):
        return FLEXIBLE_NON_MPU_FIXED_SPREADING_LIMIT
    return SCALE_SET_LIMIT


def over_limit_error(name: str, limit: int) -> errors.OperationNotAllowed:
    """Azure's text for a capacity above the set's limit."""
    return errors.OperationNotAllowed(
        f"Unable to create or update VirtualMachineScaleSet '{name}' as it exceeds the total limit of "
        f"'{limit}' Virtual Machine instances.",
        target="sku.capacity",
    )


def validate_capacity(capacity: int) -> None:
    """Capacity is a count; how many a set may hold is its limit's business (409, not 400)."""
    if capacity < 0:
        raise errors.InvalidParameter(
            f"The value {capacity} of parameter 'sku.capacity' is out of range. The value must be between 0 and "
            f"{SCALE_SET_LIMIT}, inclusive.",
            target="sku.capacity",
        )


def default_computer_name_prefix(name: str, image: str | None) -> str:
    """`az` derives the prefix from the set name: 15 characters (9 for Windows)."""
    cleaned = re.sub(r"[^A-Za-z0-9-]", "", name) or "vm"
    limit = 9 if image and image.lower().startswith("win") else 15
    return cleaned[:limit]


def uniform_computer_name(prefix: str, instance_id: int) -> str:
    """`{prefix}{base-36 id, 6 characters}`, e.g. web00000A for instance 10."""
    digits = ""
    value = instance_id
    while True:
        value, rem = divmod(value, 36)
        digits = _BASE36[rem] + digits
        if value == 0:
            break
    return f"{prefix}{digits.zfill(6)}"


def validate_vm_name(name: str) -> None:
    """VM names follow the same ARM naming rules (max 64): see domain/names.py."""
    names.validate_vm_name(name)


# --- placement -----------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """Where an instance sits: the inputs to placement and scale-in."""

    instance_id: str
    zone: str | None
    fault_domain: int
    update_domain: int | None
    order: int
    """Creation order (a per-set sequence number): higher is newer."""
    numeric_id: int
    """Uniform instance id as a number (-1 for Flexible names)."""
    protected: bool = False


def place_new_instances(count: int, existing: Sequence[Slot], zones: Sequence[str], fault_domain_count: int,
                        with_update_domains: bool, forced_zone: str | None = None,
                        forced_fault_domain: int | None = None) -> list[tuple[str | None, int, int | None]]:
    """Choose (zone, fault domain, update domain) for each new instance.

    Emptiest zone first (ties: lowest zone), then the emptiest fault domain in that zone
    (ties: lowest), then the emptiest update domain. Every instance counts, deallocated too
    (zone-balancing doc). FD count 1 means max spreading: FD 0 for all.
    """
    zone_counts: dict[str | None, int] = {z: 0 for z in zones}
    fd_counts: dict[tuple[str | None, int], int] = {}
    ud_counts = [0] * UNIFORM_UPDATE_DOMAINS
    for slot in existing:
        if slot.zone in zone_counts:
            zone_counts[slot.zone] += 1
        fd_counts[(slot.zone, slot.fault_domain)] = fd_counts.get((slot.zone, slot.fault_domain), 0) + 1
        if slot.update_domain is not None and 0 <= slot.update_domain < UNIFORM_UPDATE_DOMAINS:
            ud_counts[slot.update_domain] += 1
    placements: list[tuple[str | None, int, int | None]] = []
    for _ in range(count):
        if forced_zone is not None:
            zone: str | None = forced_zone
        elif zones:
            zone = min(zones, key=lambda z: (zone_counts[z], int(z)))
        else:
            zone = None
        if forced_fault_domain is not None:
            fault_domain = forced_fault_domain
        elif fault_domain_count > 1:
            fault_domain = min(range(fault_domain_count), key=lambda fd: (fd_counts.get((zone, fd), 0), fd))
        else:
            fault_domain = 0
        update_domain: int | None = None
        if with_update_domains:
            update_domain = min(range(UNIFORM_UPDATE_DOMAINS), key=lambda ud: (ud_counts[ud], ud))
            ud_counts[update_domain] += 1
        if zone in zone_counts:
            zone_counts[zone] += 1
        fd_counts[(zone, fault_domain)] = fd_counts.get((zone, fault_domain), 0) + 1
        placements.append((zone, fault_domain, update_domain))
    return placements


# --- scale-in --------------------------------------------------------------------------

@dataclass(frozen=True)
class Victim:
    """An instance chosen for removal and the rule that chose it."""

    slot: Slot
    reason: str


def choose_scale_in_victims(remove_count: int, slots: Sequence[Slot], set_zones: Sequence[str],
                            rule: ScaleInRule, mode: OrchestrationMode) -> list[Victim]:
    """Pick which instances a scale-in removes (scale-in-policy doc, azure-semantics §3.2).

    1. Protected instances are never picked.
    2. Non-zonal instances left in a zonal set go first.
    3. Zone balance: only the fullest zone(s) are eligible; on a tie, the zone holding the
       candidate the policy would pick overall.
    4. Default: the fullest fault domain in that zone (best effort), then the highest instance
       id (Uniform) or the newest VM (Flexible, whose ids are names; the API's docstring says
       "the newest ones"). NewestVM / OldestVM: newest / oldest by creation time, no FD balancing.

    Raises:
        OperationNotAllowed: fewer unprotected instances than must be removed.
    """
    remaining = list(slots)
    victims: list[Victim] = []
    zonal = bool(set_zones)
    for _ in range(remove_count):
        candidates = [s for s in remaining if not s.protected]
        if not candidates:
            raise errors.OperationNotAllowed(
                f"Cannot scale in by {remove_count}: only {len(victims) + len(candidates)} instance(s) are not "
                "protected from scale-in. Remove protection or delete instances explicitly.",
                target="sku.capacity",
            )
        non_zonal = [s for s in candidates if s.zone is None] if zonal else []
        if non_zonal:
            pool = non_zonal
            zone_reason = "non-zonal instance in a zonal set goes first"
        elif zonal and len(set_zones) > 1:
            zone_counts: dict[str | None, int] = {}
            for slot in remaining:
                zone_counts[slot.zone] = zone_counts.get(slot.zone, 0) + 1
            zones_with_candidates = {s.zone for s in candidates}
            fullest = max(zone_counts[z] for z in zones_with_candidates)
            tied = [z for z in zones_with_candidates if zone_counts[z] == fullest]
            if len(tied) > 1:
                best = _policy_pick([s for s in candidates if s.zone in tied], rule, mode)
                chosen_zone = best.zone
            else:
                chosen_zone = tied[0]
            pool = [s for s in candidates if s.zone == chosen_zone]
            zone_reason = f"zone {chosen_zone} is the fullest ({fullest})"
        else:
            pool = candidates
            zone_reason = ""
        if rule is ScaleInRule.DEFAULT:
            pool_zones = {s.zone for s in pool}
            fd_counts: dict[int, int] = {}
            for slot in remaining:
                if slot.zone in pool_zones:
                    fd_counts[slot.fault_domain] = fd_counts.get(slot.fault_domain, 0) + 1
            fds_with_candidates = {s.fault_domain for s in pool}
            fullest_fd = max(fd_counts.get(fd, 0) for fd in fds_with_candidates)
            tied_fds = {fd for fd in fds_with_candidates if fd_counts.get(fd, 0) == fullest_fd}
            fd_pool = [s for s in pool if s.fault_domain in tied_fds]
            victim = _policy_pick(fd_pool, rule, mode)
            newest = "highest instance id" if mode is OrchestrationMode.UNIFORM else "newest VM"
            reason = f"fault domain {victim.fault_domain} is the fullest; {newest}"
        else:
            victim = _policy_pick(pool, rule, mode)
            reason = "newest VM (NewestVM policy)" if rule is ScaleInRule.NEWEST_VM else "oldest VM (OldestVM policy)"
        if zone_reason:
            reason = f"{zone_reason}; {reason}"
        victims.append(Victim(slot=victim, reason=reason))
        remaining.remove(victim)
    return victims


def _policy_pick(pool: Sequence[Slot], rule: ScaleInRule, mode: OrchestrationMode) -> Slot:
    """The single instance a policy prefers overall (used for zone tie-breaks too)."""
    if rule is ScaleInRule.NEWEST_VM:
        return max(pool, key=lambda s: s.order)
    if rule is ScaleInRule.OLDEST_VM:
        return min(pool, key=lambda s: s.order)
    return max(pool, key=lambda s: (s.numeric_id, s.order))
