"""Microsoft.Compute's ARM JSON <-> domain values: scale sets, scale-set VMs and Flexible VMs.

One codec per resource, both directions, as pure functions on plain dicts. The adapter reads
SDK models through `as_dict()` (the wire shape) and the ARM endpoint (`vmss_tui.armserver`)
writes the same shapes; tests/arm check them against azure-mgmt-compute's generated models.
This module imports nothing from `azure`: the ARM endpoint runs on the emulator path.

Public names (the endpoint and the adapter use only these):
- scale sets: `scale_set_to_json`, `scale_set_from_json`, `scale_set_create_body`,
  `scale_set_spec_from_json`, `scale_set_update_body`, `scale_set_update_from_json`, `update_is_empty`;
- scale-set VMs: `scale_set_vm_to_json`, `instance_from_scale_set_vm`, `instance_view_json`;
- Flexible VMs: `vm_to_json`, `instance_from_vm`, `vm_create_body`, `vm_spec_from_json`;
- images: `image_reference`, `image_from_reference`, `image_version_resource_json`, `image_version_json`;
- skus: `scale_set_sku_json`;
- the stored profile and tags: `stored_profile_text`, `merge_patch`, `tags_from_json`.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Mapping

from ..domain.errors import InvalidParameter
from ..domain.ids import SCALE_SET_TYPE, parse_scale_set_id
from ..domain.images import IMAGE_ALIASES, MarketplaceImage
from ..domain.models import (
    Instance,
    OrchestrationMode,
    PowerState,
    Priority,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    VmSize,
    VmSpec,
    unknown_value,
)
from ..domain.reservations import AssociationTarget, check_restrictions, group_reference_id
from ..domain.tags import Tags, as_pairs, validate_tags
from .jsonpath import get_path
from .values import UNKNOWN_TIME, enum_text, format_time, open_enum, read_time

COMPUTE = "Microsoft.Compute"
SCALE_SET_VM_TYPE = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
VM_TYPE = "Microsoft.Compute/virtualMachines"
DEFAULT_ADMIN_USERNAME = "azureuser"

CREATE_PRIORITIES = (Priority.REGULAR, Priority.SPOT)
"""What a create may ask for (the emulator models these two); reads keep every priority Azure sends."""


# ---------------------------------------------------------------- images

def image_reference(image: str | None) -> dict[str, str] | None:
    """An image alias, URN (`publisher:offer:sku:version`) or resource id as an `imageReference`."""
    if not image:
        return None
    for alias, reference in IMAGE_ALIASES.items():
        if alias.lower() == image.lower():
            return dict(reference)
    parts = image.split(":")
    if len(parts) == 4 and not image.startswith("/"):
        return {"publisher": parts[0], "offer": parts[1], "sku": parts[2], "version": parts[3]}
    return {"id": image}


def image_from_reference(reference: Mapping[str, Any] | None) -> str | None:
    """The inverse of `image_reference`: back to the alias when one matches."""
    if not reference:
        return None
    if reference.get("id"):
        return str(reference["id"])
    key = tuple(str(reference.get(k, "")).lower() for k in ("publisher", "offer", "sku"))
    for alias, known in IMAGE_ALIASES.items():
        if tuple(known[k].lower() for k in ("publisher", "offer", "sku")) == key:
            return alias
    if not any(key):
        return None
    return ":".join(str(reference.get(k, "")) for k in ("publisher", "offer", "sku", "version"))


def _provisioning_state(text: Any) -> ProvisioningState:
    return open_enum(ProvisioningState, text)


_INSTANCE_ID_IN_PATH = re.compile(r"/virtualMachines/(?P<iid>[^/]+)$", re.IGNORECASE)


def _instance_id_of(body: Mapping[str, Any]) -> str:
    """`instanceId`, or the last segment of a scale-set VM `id` (Azure's examples omit `instanceId`)."""
    if body.get("instanceId"):
        return str(body["instanceId"])
    match = _INSTANCE_ID_IN_PATH.search(str(body.get("id") or ""))
    return match.group("iid") if match else ""


# ---------------------------------------------------------------- tags and the stored profile

NEVER_RETURNED: tuple[tuple[str, ...], ...] = (
    ("osProfile", "adminPassword"),
    ("osProfile", "customData"),
    ("userData",),
)
"""Profile paths Azure takes in a PUT but never returns in a GET (docs/emulator-fidelity.md, "Tags and the
stored profile"): they are not stored either, so no secret lands in the emulator's files."""

MODELLED: tuple[tuple[str, ...], ...] = (
    ("osProfile", "computerNamePrefix"),
    ("storageProfile", "imageReference"),
    ("priority",),
    ("capacityReservation",),
)
"""Profile paths the emulator models as fields of its own (prefix, image, priority): the fields are the truth,
so the stored copy leaves them out and GET writes the fields over the stored rest."""


def _drop(tree: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = tree
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _prune_empty(tree: dict[str, Any]) -> dict[str, Any]:
    """Objects left empty by `_drop` go too (`osProfile: {}` after its only key was a secret)."""
    for key in list(tree):
        if isinstance(tree[key], dict):
            _prune_empty(tree[key])
            if not tree[key]:
                del tree[key]
    return tree


def stored_profile_text(profile: Mapping[str, Any] | None) -> str:
    """A `virtualMachineProfile` as `ScaleSet.stored_profile` keeps it: no secret, no modelled field, canonical JSON."""
    if not isinstance(profile, Mapping):
        return ""
    kept = copy.deepcopy(dict(profile))
    for path in NEVER_RETURNED + MODELLED:
        _drop(kept, path)
    extensions = get_path(kept, "extensionProfile", "extensions", default=None)
    for extension in extensions if isinstance(extensions, list) else ():
        if isinstance(extension, dict) and isinstance(extension.get("properties"), dict):
            extension["properties"].pop("protectedSettings", None)  # never returned (a secret)
    if get_path(kept, "osProfile", "adminUsername") == DEFAULT_ADMIN_USERNAME:
        _drop(kept, ("osProfile", "adminUsername"))  # GET writes the default back: nothing to keep
    _prune_empty(kept)
    return json.dumps(kept, sort_keys=True, separators=(",", ":")) if kept else ""


def stored_profile_json(text: str) -> dict[str, Any]:
    """The stored profile back as a fresh dict ({} for none)."""
    return json.loads(text) if text else {}


def merge_patch(target: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7396), ARM's PATCH rule: objects merge key by key, a null removes a key,
    anything else (lists included) replaces what was there."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def tags_from_json(value: Any) -> Tags:
    """A body's `tags` object checked against Azure's tag rules, as the domain keeps tags (None: no tags)."""
    return as_pairs(validate_tags(value))


# ---------------------------------------------------------------- scale sets

def scale_set_to_json(scale_set: ScaleSet, network_profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """A domain scale set as the body of `GET virtualMachineScaleSets/{name}`; `network_profile` is the
    `virtualMachineProfile.networkProfile` the network keeps for it (the emulator's network room)."""
    properties: dict[str, Any] = {
        "orchestrationMode": scale_set.orchestration_mode.value,
        "platformFaultDomainCount": scale_set.platform_fault_domain_count,
        "upgradePolicy": {"mode": scale_set.upgrade_policy.value},
        "scaleInPolicy": {"rules": [scale_set.scale_in_policy.value],
                          "forceDeletion": scale_set.force_deletion},
        "provisioningState": scale_set.provisioning_state.value,
        "uniqueId": scale_set.unique_id,
        "timeCreated": format_time(scale_set.time_created),
    }
    if scale_set.single_placement_group is not None:
        properties["singlePlacementGroup"] = scale_set.single_placement_group
    if scale_set.zone_balance or len(scale_set.zones) > 1:
        properties["zoneBalance"] = scale_set.zone_balance
    if scale_set.has_vm_profile:
        properties["virtualMachineProfile"] = _vm_profile(
            scale_set.computer_name_prefix, scale_set.image, scale_set.priority,
            stored=stored_profile_json(scale_set.stored_profile))
        if scale_set.capacity_reservation_group:  # issue 16: modelled, written over the stored profile
            properties["virtualMachineProfile"]["capacityReservation"] = {
                "capacityReservationGroup": {"id": scale_set.capacity_reservation_group}}
        if network_profile is not None:  # issue 14: the network's own record, written over the stored profile
            properties["virtualMachineProfile"]["networkProfile"] = network_profile
    body: dict[str, Any] = {
        "id": scale_set.id,
        "name": scale_set.name,
        "type": SCALE_SET_TYPE,
        "location": scale_set.location,
        "tags": dict(scale_set.tags),
        "sku": {"tier": "Standard", "capacity": scale_set.capacity},
        "properties": properties,
    }
    if scale_set.vm_size:
        body["sku"]["name"] = scale_set.vm_size
    if scale_set.zones:
        body["zones"] = list(scale_set.zones)
    return body


def _vm_profile(computer_name_prefix: str | None, image: str | None, priority: Priority,
                stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored profile (or none) with the modelled fields written over it; `adminUsername` defaults."""
    profile: dict[str, Any] = stored or {}
    os_profile = profile.setdefault("osProfile", {})
    os_profile.setdefault("adminUsername", DEFAULT_ADMIN_USERNAME)
    if computer_name_prefix:
        os_profile["computerNamePrefix"] = computer_name_prefix
    profile["priority"] = priority.value
    reference = image_reference(image)
    if reference:
        profile.setdefault("storageProfile", {})["imageReference"] = reference
    return profile


def scale_set_from_json(body: Mapping[str, Any], subscription_id: str = "") -> ScaleSet:
    """Read a `VirtualMachineScaleSet` body (the SDK model's `as_dict()`) into the domain."""
    properties = body.get("properties") or {}
    resource_id = str(body.get("id") or "")
    parsed = parse_scale_set_id(resource_id)
    resource_group = parsed[1] if parsed else ""
    profile = properties.get("virtualMachineProfile")
    rules = get_path(properties, "scaleInPolicy", "rules", default=[]) or ["Default"]
    fd_count = properties.get("platformFaultDomainCount")
    return ScaleSet(
        name=str(body.get("name") or (parsed[2] if parsed else "")),
        resource_group=resource_group,
        location=str(body.get("location") or ""),
        orchestration_mode=open_enum(OrchestrationMode, properties.get("orchestrationMode"), OrchestrationMode.UNIFORM),
        capacity=int(get_path(body, "sku", "capacity", default=0)),
        vm_size=get_path(body, "sku", "name"),
        image=image_from_reference(get_path(profile, "storageProfile", "imageReference")),
        platform_fault_domain_count=int(fd_count) if fd_count is not None else 1,
        zones=tuple(str(zone) for zone in (body.get("zones") or ())),
        single_placement_group=properties.get("singlePlacementGroup"),
        scale_in_policy=open_enum(ScaleInRule, rules[0], ScaleInRule.DEFAULT),
        upgrade_policy=open_enum(UpgradeMode, get_path(properties, "upgradePolicy", "mode"), UpgradeMode.MANUAL),
        provisioning_state=_provisioning_state(properties.get("provisioningState")),
        time_created=read_time(properties.get("timeCreated")) or UNKNOWN_TIME,
        id=resource_id,
        subscription_id=parsed[0] if parsed else subscription_id,
        unique_id=str(properties.get("uniqueId") or ""),
        computer_name_prefix=str(get_path(profile, "osProfile", "computerNamePrefix", default="")),
        priority=open_enum(Priority, get_path(profile, "priority"), Priority.REGULAR),
        force_deletion=bool(get_path(properties, "scaleInPolicy", "forceDeletion", default=False)),
        zone_balance=bool(properties.get("zoneBalance") or False),
        has_vm_profile=profile is not None,
        tags=as_pairs(body.get("tags") or {}),
        stored_profile=stored_profile_text(profile),
        capacity_reservation_group=get_path(profile, "capacityReservation", "capacityReservationGroup", "id") or None,
    )


def scale_set_create_body(spec: ScaleSetSpec, *, admin_username: str = DEFAULT_ADMIN_USERNAME,
                          ssh_public_key: str | None = None, subnet_id: str | None = None,
                          subscription_id: str = "") -> dict[str, Any]:
    """The PUT body that creates `spec`; None fields are left out so Azure applies its defaults."""
    properties: dict[str, Any] = {
        "orchestrationMode": spec.orchestration_mode.value,
        "upgradePolicy": {"mode": spec.upgrade_policy.value},
        "scaleInPolicy": {"rules": [spec.scale_in_policy.value], "forceDeletion": spec.force_deletion},
    }
    if spec.platform_fault_domain_count is not None:
        properties["platformFaultDomainCount"] = spec.platform_fault_domain_count
    if spec.single_placement_group is not None:
        properties["singlePlacementGroup"] = spec.single_placement_group
    if spec.zone_balance:
        properties["zoneBalance"] = True
    if spec.with_vm_profile or spec.orchestration_mode is OrchestrationMode.UNIFORM:
        profile = _vm_profile(spec.computer_name_prefix, spec.image, spec.priority,
                              stored=stored_profile_json(spec.stored_profile))
        profile["osProfile"]["adminUsername"] = admin_username
        if ssh_public_key:
            profile["osProfile"]["linuxConfiguration"] = {
                "disablePasswordAuthentication": True,
                "ssh": {"publicKeys": [{"path": f"/home/{admin_username}/.ssh/authorized_keys",
                                        "keyData": ssh_public_key}]},
            }
        if subnet_id:
            profile["networkProfile"] = {
                "networkApiVersion": "2020-11-01" if spec.orchestration_mode is OrchestrationMode.FLEXIBLE else None,
                "networkInterfaceConfigurations": [{
                    "name": f"{spec.name[:40]}-nic",
                    "properties": {"primary": True, "ipConfigurations": [
                        {"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}}}]},
                }],
            }
            if profile["networkProfile"]["networkApiVersion"] is None:
                del profile["networkProfile"]["networkApiVersion"]
        if spec.capacity_reservation_group:  # issue 16: a name becomes the group's id in the set's resource group
            profile["capacityReservation"] = {"capacityReservationGroup": {"id": group_reference_id(
                spec.capacity_reservation_group, subscription_id, spec.resource_group)}}
        properties["virtualMachineProfile"] = profile
    body: dict[str, Any] = {"properties": properties, "sku": {"tier": "Standard"}}
    if spec.tags:
        body["tags"] = dict(spec.tags)
    if spec.location:
        body["location"] = spec.location
    if spec.vm_size:
        body["sku"]["name"] = spec.vm_size
    if spec.capacity is not None:
        body["sku"]["capacity"] = spec.capacity
    if spec.zones:
        body["zones"] = list(spec.zones)
    return body


def scale_set_spec_from_json(name: str, resource_group: str, body: Mapping[str, Any]) -> ScaleSetSpec:
    """The inverse of `scale_set_create_body`: what the ARM endpoint asks the backend to create."""
    properties = body.get("properties") or {}
    profile = properties.get("virtualMachineProfile")
    rules = get_path(properties, "scaleInPolicy", "rules", default=None) or ["Default"]
    capacity = get_path(body, "sku", "capacity")
    mode = OrchestrationMode(enum_text(OrchestrationMode, properties.get("orchestrationMode") or "Uniform",
                                        "orchestrationMode"))
    return ScaleSetSpec(
        name=name,
        resource_group=resource_group,
        orchestration_mode=mode,
        location=body.get("location"),
        capacity=int(capacity) if capacity is not None else None,
        vm_size=get_path(body, "sku", "name"),
        image=image_from_reference(get_path(profile, "storageProfile", "imageReference")),
        platform_fault_domain_count=properties.get("platformFaultDomainCount"),
        zones=tuple(str(zone) for zone in (body.get("zones") or ())),
        single_placement_group=properties.get("singlePlacementGroup"),
        scale_in_policy=ScaleInRule(enum_text(ScaleInRule, rules[0], "scaleInPolicy.rules")),
        force_deletion=bool(get_path(properties, "scaleInPolicy", "forceDeletion", default=False)),
        upgrade_policy=UpgradeMode(enum_text(UpgradeMode, get_path(properties, "upgradePolicy", "mode",
                                                                  default="Manual"), "upgradePolicy.mode")),
        computer_name_prefix=get_path(profile, "osProfile", "computerNamePrefix"),
        priority=Priority(enum_text(CREATE_PRIORITIES, get_path(profile, "priority", default="Regular"), "priority")),
        zone_balance=bool(properties.get("zoneBalance") or False),
        with_vm_profile=profile is not None,
        tags=tags_from_json(body.get("tags")),
        stored_profile=stored_profile_text(profile),
        capacity_reservation_group=capacity_reservation_group_from_profile(properties, profile),
    )


def capacity_reservation_group_from_profile(properties: Mapping[str, Any], profile: Any) -> str | None:
    """`virtualMachineProfile.capacityReservation.capacityReservationGroup.id` (None: absent, "": null).

    A proximity placement group or UltraSSD beside it is refused as Azure does [CR-OVERVIEW] (issue 16).
    """
    reservation = get_path(profile, "capacityReservation")
    if not isinstance(reservation, Mapping) or "capacityReservationGroup" not in reservation:
        return None
    group = reservation.get("capacityReservationGroup")
    group_id = group.get("id") if isinstance(group, Mapping) else None
    if group_id is not None and not isinstance(group_id, str):
        raise InvalidParameter("capacityReservationGroup.id must be a string.",
                                      target="capacityReservation.capacityReservationGroup.id")
    if group_id:
        check_restrictions(AssociationTarget(
            name="", location="", zones=(), vm_size=None,
            proximity_placement_group=bool(get_path(properties, "proximityPlacementGroup", "id")),
            ultra_ssd=bool(get_path(properties, "additionalCapabilities", "ultraSSDEnabled"))))
    return group_id or ""


def scale_set_update_body(update: ScaleSetUpdate, current: ScaleSet | None = None) -> dict[str, Any]:
    """The PATCH body for `update`; zones are sent whole, so adding needs the current list.

    Only what Azure's update model (`VirtualMachineScaleSetUpdate`) declares: `zoneBalance` is not in it
    (a PATCH carrying it is ignored), so the adapter changes it with a PUT (`scale_set_put_body`).
    Tags replace the set's whole tags object, as an ARM PATCH does.
    """
    properties: dict[str, Any] = {}
    body: dict[str, Any] = {}
    if update.tags is not None:
        body["tags"] = dict(update.tags)
    if update.vm_size is not None:
        body["sku"] = {"name": update.vm_size}
        if current is not None:
            body["sku"]["capacity"] = current.capacity
    if update.image is not None:
        properties.setdefault("virtualMachineProfile", {})["storageProfile"] = {
            "imageReference": image_reference(update.image)}
    if update.scale_in_policy is not None or update.force_deletion is not None:
        policy: dict[str, Any] = {}
        if update.scale_in_policy is not None:
            policy["rules"] = [update.scale_in_policy.value]
        elif current is not None:
            policy["rules"] = [current.scale_in_policy.value]
        if update.force_deletion is not None:
            policy["forceDeletion"] = update.force_deletion
        properties["scaleInPolicy"] = policy
    if update.upgrade_policy is not None:
        properties["upgradePolicy"] = {"mode": update.upgrade_policy.value}
    if update.capacity_reservation_group is not None:  # issue 16: "" is az's None (null removes it)
        subscription = current.subscription_id if current is not None else ""
        group = current.resource_group if current is not None else ""
        properties.setdefault("virtualMachineProfile", {})["capacityReservation"] = {"capacityReservationGroup": (
            {"id": group_reference_id(update.capacity_reservation_group, subscription, group)}
            if update.capacity_reservation_group else None)}
    if update.single_placement_group is not None:
        properties["singlePlacementGroup"] = update.single_placement_group
    if update.add_zones:
        existing = list(current.zones) if current is not None else []
        body["zones"] = existing + [zone for zone in update.add_zones if zone not in existing]
    # Not in Azure's PATCH model; sent so the service answers PropertyChangeNotAllowed.
    if update.orchestration_mode is not None:
        properties["orchestrationMode"] = update.orchestration_mode.value
    if update.platform_fault_domain_count is not None:
        properties["platformFaultDomainCount"] = update.platform_fault_domain_count
    if properties:
        body["properties"] = properties
    return body


def scale_set_put_body(current: Mapping[str, Any], update: ScaleSetUpdate) -> dict[str, Any]:
    """A PUT body: the set as read (`current`, its wire JSON) with what `update` changes that a PATCH cannot
    carry (`zoneBalance`); the SDK's model leaves the read-only keys out when it sends it."""
    body = copy.deepcopy(dict(current))
    if update.zone_balance is not None:
        body.setdefault("properties", {})["zoneBalance"] = update.zone_balance
    return body


PUT_DEFAULTS: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("tags",), {}),
    (("properties", "upgradePolicy", "mode"), "Manual"),
    (("properties", "scaleInPolicy", "rules"), ["Default"]),
    (("properties", "scaleInPolicy", "forceDeletion"), False),
)
"""What a PUT on an existing set that leaves these out sets them back to (Azure's defaults for a new set):
"properties that aren't included in the template are reset to the default values" [ARM-MODES]. What Azure
never lets change (orchestration mode, fault domain count, zones, single placement group back to true) is
not here: leaving it out keeps it."""


def is_scale_request(body: Mapping[str, Any]) -> bool:
    """A PUT with no `properties` (location and sku only): Compute's scale request, which keeps everything but
    the sku. `az vmss scale` sends exactly that (azure-cli `scale_vmss`) and the 201 scale quickstart template
    is that (seed-features B.3, B10)."""
    return not isinstance(body.get("properties"), Mapping)


def with_put_defaults(body: Mapping[str, Any]) -> dict[str, Any]:
    """A PUT body with each `PUT_DEFAULTS` value it leaves out filled in (the body itself is not changed)."""
    filled = copy.deepcopy(dict(body))
    for path, default in PUT_DEFAULTS:
        node = filled
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        if node.get(path[-1]) is None:
            node[path[-1]] = copy.deepcopy(default)
    return filled


def scale_set_update_from_json(body: Mapping[str, Any], current: ScaleSet, *,
                               replace: bool = False) -> tuple[ScaleSetUpdate, int | None]:
    """A PATCH (or, `replace`, a PUT on an existing set) as (model update, new capacity or None).

    Tags: a PUT replaces them (none in the body: none kept); a PATCH with `tags` replaces the whole object.
    The stored profile: a PUT's profile replaces it; a PATCH's is merged into it (`merge_patch`).
    A PUT's upgrade and scale-in policies go back to Azure's defaults when it leaves them out (`PUT_DEFAULTS`),
    except a PUT with no `properties` at all, Compute's scale request (`is_scale_request`): only its sku counts.
    """
    if replace and is_scale_request(body):
        replace = False
    if replace:
        body = with_put_defaults(body)
    properties = body.get("properties") or {}
    profile = properties.get("virtualMachineProfile") or {}
    tags: Tags | None = None
    if replace or "tags" in body:
        tags = tags_from_json(body.get("tags"))
    stored: str | None = None
    if replace and "virtualMachineProfile" in properties:
        stored = stored_profile_text(profile)
    elif not replace and isinstance(properties.get("virtualMachineProfile"), Mapping):
        stored = stored_profile_text(merge_patch(stored_profile_json(current.stored_profile), profile))
    sku = body.get("sku") or {}
    size = sku.get("name")
    image = image_from_reference(get_path(profile, "storageProfile", "imageReference"))
    rules = get_path(properties, "scaleInPolicy", "rules")
    mode = properties.get("orchestrationMode")
    fd_count = properties.get("platformFaultDomainCount")
    zones = body.get("zones")
    spg = properties.get("singlePlacementGroup")
    upgrade = get_path(properties, "upgradePolicy", "mode")
    force = get_path(properties, "scaleInPolicy", "forceDeletion")
    zone_balance = properties.get("zoneBalance")
    update = ScaleSetUpdate(
        vm_size=size if size and size.lower() != (current.vm_size or "").lower() else None,
        image=image if image and image != current.image else None,
        scale_in_policy=(ScaleInRule(enum_text(ScaleInRule, rules[0], "scaleInPolicy.rules"))
                         if rules and rules[0] != current.scale_in_policy.value else None),
        force_deletion=bool(force) if force is not None and bool(force) != current.force_deletion else None,
        upgrade_policy=(UpgradeMode(enum_text(UpgradeMode, upgrade, "upgradePolicy.mode"))
                        if upgrade and upgrade != current.upgrade_policy.value else None),
        add_zones=tuple(str(zone) for zone in (zones or ()) if str(zone) not in current.zones),
        single_placement_group=spg if spg is not None and spg != current.single_placement_group else None,
        orchestration_mode=(OrchestrationMode(enum_text(OrchestrationMode, mode, "orchestrationMode"))
                            if mode and mode.lower() != current.orchestration_mode.value.lower() else None),
        platform_fault_domain_count=(int(fd_count) if fd_count is not None
                                     and int(fd_count) != current.platform_fault_domain_count else None),
        zone_balance=(bool(zone_balance) if zone_balance is not None
                      and bool(zone_balance) != current.zone_balance else None),
        tags=tags if tags is not None and tags != current.tags else None,
        stored_profile=stored if stored is not None and stored != current.stored_profile else None,
        capacity_reservation_group=_group_change(properties, profile, current, replace),
    )
    if zones is not None and any(zone not in [str(z) for z in zones] for zone in current.zones):
        raise InvalidParameter("Availability zones cannot be removed from a Virtual Machine Scale Set.",
                               target="zones")
    capacity = sku.get("capacity")
    new_capacity = int(capacity) if capacity is not None and int(capacity) != current.capacity else None
    return update, new_capacity


def _group_change(properties: Mapping[str, Any], profile: Any, current: ScaleSet, replace: bool) -> str | None:
    """The capacity reservation group a PATCH/PUT asks for, None when it is what the set has (issue 16)."""
    wanted = capacity_reservation_group_from_profile(properties, profile)
    if wanted is None and replace and "virtualMachineProfile" in properties:
        wanted = ""  # a PUT's profile without it: the association goes
    if wanted is None or wanted.lower() == (current.capacity_reservation_group or "").lower():
        return None
    return wanted


def update_is_empty(update: ScaleSetUpdate) -> bool:
    """True when the update asks for no change at all."""
    return update == ScaleSetUpdate()


# ---------------------------------------------------------------- instances

def instance_view_json(instance: Instance, *, flexible: bool) -> dict[str, Any]:
    """The instance view: statuses, and FD/UD for Uniform (Flexible views omit them)."""
    provisioning = instance.provisioning_state.value.lower()
    view: dict[str, Any] = {
        "computerName": instance.computer_name,
        "statuses": [
            {"code": f"ProvisioningState/{provisioning}", "level": "Info",
             "displayStatus": f"Provisioning {provisioning}", "time": format_time(instance.time_created)},
            {"code": f"PowerState/{instance.power_state.value}", "level": "Info",
             "displayStatus": f"VM {instance.power_state.value}"},
        ],
    }
    if not flexible:
        view["platformFaultDomain"] = instance.fault_domain
        if instance.update_domain is not None:
            view["platformUpdateDomain"] = instance.update_domain
    return view


def _protection_json(instance: Instance) -> dict[str, bool]:
    return {"protectFromScaleIn": instance.protect_from_scale_in,
            "protectFromScaleSetActions": instance.protect_from_scale_set_actions}


def scale_set_vm_to_json(instance: Instance, location: str, *, expand_instance_view: bool = False,
                         flexible: bool = False) -> dict[str, Any]:
    """A Uniform instance as a `VirtualMachineScaleSetVM` body."""
    properties: dict[str, Any] = {
        "latestModelApplied": instance.latest_model_applied,
        "modelDefinitionApplied": "VirtualMachineScaleSet",
        "vmId": instance.vm_id,
        "provisioningState": instance.provisioning_state.value,
        "protectionPolicy": _protection_json(instance),
        "osProfile": {"computerName": instance.computer_name, "adminUsername": DEFAULT_ADMIN_USERNAME},
        "hardwareProfile": {"vmSize": instance.vm_size},
        "timeCreated": format_time(instance.time_created),
    }
    reference = image_reference(instance.image)
    if reference:
        properties["storageProfile"] = {"imageReference": reference}
    if expand_instance_view:
        properties["instanceView"] = instance_view_json(instance, flexible=flexible)
    body: dict[str, Any] = {
        "id": instance.id,
        "name": instance.name,
        "type": SCALE_SET_VM_TYPE,
        "location": location,
        "instanceId": instance.instance_id,
        "sku": {"name": instance.vm_size, "tier": "Standard"},
        "properties": properties,
    }
    if instance.tags:
        body["tags"] = dict(instance.tags)
    if instance.zone:
        body["zones"] = [instance.zone]
    return body


def vm_to_json(instance: Instance, location: str, scale_set: ScaleSet, *,
               expand_instance_view: bool = False) -> dict[str, Any]:
    """A Flexible instance as a plain `VirtualMachine` body linked to its set."""
    properties: dict[str, Any] = {
        "vmId": instance.vm_id,
        "hardwareProfile": {"vmSize": instance.vm_size},
        "osProfile": {"computerName": instance.computer_name, "adminUsername": DEFAULT_ADMIN_USERNAME},
        "provisioningState": instance.provisioning_state.value,
        "timeCreated": format_time(instance.time_created),
        "virtualMachineScaleSet": {"id": scale_set.id},
        "priority": instance.priority.value,
    }
    if scale_set.platform_fault_domain_count > 1:
        properties["platformFaultDomain"] = instance.fault_domain
    reference = image_reference(instance.image)
    if reference:
        properties["storageProfile"] = {"imageReference": reference}
    if instance.nic_id:  # what `az vm show -d` follows to the VM's addresses
        properties["networkProfile"] = {"networkInterfaces": [{"id": instance.nic_id,
                                                               "properties": {"primary": True}}]}
    if expand_instance_view:
        properties["instanceView"] = instance_view_json(instance, flexible=True)
    body: dict[str, Any] = {
        "id": instance.id,
        "name": instance.name,
        "type": VM_TYPE,
        "location": location,
        "properties": properties,
    }
    if instance.tags:
        body["tags"] = dict(instance.tags)
    if instance.zone:
        body["zones"] = [instance.zone]
    return body


def power_state_from_view(view: Mapping[str, Any] | None) -> PowerState | None:
    """The `PowerState/<x>` status of an instance view, or None if it has none.

    A code this version does not know is kept, shown as `unknown (PowerState/<x>)`.
    """
    if not isinstance(view, Mapping):
        return None
    for status in view.get("statuses") or ():
        if not isinstance(status, Mapping):
            continue
        code = str(status.get("code") or "")
        if code.lower().startswith("powerstate/"):
            value = code.split("/", 1)[1].lower()
            for state in PowerState:
                if state is not PowerState.UNKNOWN and state.value == value:
                    return state
            return unknown_value(PowerState, f"unknown ({code})")
    return None


def _power_state(view: Mapping[str, Any] | None) -> PowerState:
    """Without a `PowerState/` status Azure says nothing about power: unknown, never inferred."""
    return power_state_from_view(view) or PowerState.UNKNOWN


def instance_from_scale_set_vm(body: Mapping[str, Any], scale_set: ScaleSet,
                               instance_view: Mapping[str, Any] | None = None) -> Instance:
    """Read a `VirtualMachineScaleSetVM` body (with or without its instance view)."""
    properties = body.get("properties") or {}
    view = instance_view or properties.get("instanceView")
    provisioning = _provisioning_state(properties.get("provisioningState"))
    zones = body.get("zones") or ()
    update_domain = get_path(view, "platformUpdateDomain")
    latest = properties.get("latestModelApplied")
    # Azure may send only `hardwareProfile.vmSizeProperties` (no size name): an instance on the
    # latest model has the set's size; otherwise the size is not known and stays empty.
    vm_size = (get_path(body, "sku", "name", default="") or get_path(properties, "hardwareProfile", "vmSize", default="")
               or (scale_set.vm_size if latest is True and scale_set.vm_size else ""))
    return Instance(
        instance_id=_instance_id_of(body),
        name=str(body.get("name") or ""),
        computer_name=str(get_path(properties, "osProfile", "computerName", default="")
                          or get_path(view, "computerName", default="")),
        scale_set_name=scale_set.name,
        resource_group=scale_set.resource_group,
        zone=str(zones[0]) if zones else None,
        fault_domain=int(get_path(view, "platformFaultDomain", default=0)),
        update_domain=int(update_domain) if update_domain is not None else None,
        power_state=_power_state(view),
        provisioning_state=provisioning,
        latest_model_applied=bool(latest if latest is not None else True),
        protect_from_scale_in=bool(get_path(properties, "protectionPolicy", "protectFromScaleIn", default=False)),
        protect_from_scale_set_actions=bool(get_path(properties, "protectionPolicy", "protectFromScaleSetActions",
                                                 default=False)),
        vm_size=str(vm_size),
        time_created=read_time(properties.get("timeCreated")) or scale_set.time_created,
        id=str(body.get("id") or ""),
        image=image_from_reference(get_path(properties, "storageProfile", "imageReference")) or scale_set.image,
        priority=scale_set.priority,
        vm_id=str(properties.get("vmId") or ""),
        created_by_scale_set=True,
        tags=as_pairs(body.get("tags") or {}),
    )


def looks_created_by_scale_set(vm_name: str, scale_set_name: str, computer_name: str = "") -> bool:
    """Azure records no "added by hand" flag, so read the naming: a set names its VMs
    `{set}_{8 hex}` and their computers `{prefix}{random}`; a VM created on its own gets a
    computer name cut from its VM name."""
    if re.fullmatch(re.escape(scale_set_name) + r"_[0-9a-f]{8}", vm_name, re.IGNORECASE) is None:
        return False
    return not (computer_name and vm_name.lower().startswith(computer_name.lower()))


def instance_from_vm(body: Mapping[str, Any], scale_set: ScaleSet,
                     instance_view: Mapping[str, Any] | None = None,
                     protection: Mapping[str, Any] | None = None) -> Instance:
    """Read a Flexible set's plain `VirtualMachine` body into an instance.

    The VM model has no `latestModelApplied`: a VM the set created is on the latest model
    when its size and image match the set's profile.
    """
    properties = body.get("properties") or {}
    view = instance_view or properties.get("instanceView")
    provisioning = _provisioning_state(properties.get("provisioningState"))
    zones = body.get("zones") or ()
    name = str(body.get("name") or "")
    vm_size = str(get_path(properties, "hardwareProfile", "vmSize", default=""))
    image = image_from_reference(get_path(properties, "storageProfile", "imageReference"))
    computer_name = str(get_path(properties, "osProfile", "computerName", default="")
                        or get_path(view, "computerName", default=""))
    created_by_set = looks_created_by_scale_set(name, scale_set.name, computer_name)
    on_latest = (not created_by_set) or (
        (scale_set.vm_size is None or vm_size.lower() == scale_set.vm_size.lower())
        and (scale_set.image is None or image is None or image == scale_set.image))
    # Azure's VM model has no protectionPolicy: it lives on the set's VM resource
    # (`virtualMachineScaleSets/{set}/virtualMachines/{vm name}`), which the caller reads.
    protection = protection or {}
    return Instance(
        instance_id=name,
        name=name,
        computer_name=computer_name,
        scale_set_name=scale_set.name,
        resource_group=scale_set.resource_group,
        zone=str(zones[0]) if zones else None,
        fault_domain=int(properties.get("platformFaultDomain") or 0),
        update_domain=None,
        power_state=_power_state(view),
        provisioning_state=provisioning,
        latest_model_applied=on_latest,
        protect_from_scale_in=bool(protection.get("protectFromScaleIn", False)),
        protect_from_scale_set_actions=bool(protection.get("protectFromScaleSetActions", False)),
        vm_size=vm_size,
        time_created=read_time(properties.get("timeCreated")) or scale_set.time_created,
        id=str(body.get("id") or ""),
        image=image,
        priority=open_enum(Priority, properties.get("priority"), Priority.REGULAR),
        vm_id=str(properties.get("vmId") or ""),
        created_by_scale_set=created_by_set,
        tags=as_pairs(body.get("tags") or {}),
    )


def vm_create_body(spec: VmSpec, scale_set: ScaleSet, *, admin_username: str = DEFAULT_ADMIN_USERNAME,
                   ssh_public_key: str | None = None) -> dict[str, Any]:
    """The PUT body of a VM added by hand to a Flexible set (`az vm create --vmss`)."""
    properties: dict[str, Any] = {
        "virtualMachineScaleSet": {"id": scale_set.id},
        "priority": spec.priority.value,
        "osProfile": {"adminUsername": admin_username},
    }
    if spec.vm_size:
        properties["hardwareProfile"] = {"vmSize": spec.vm_size}
    if spec.fault_domain is not None:
        properties["platformFaultDomain"] = spec.fault_domain
    reference = image_reference(spec.image)
    if reference:
        properties["storageProfile"] = {"imageReference": reference}
    if ssh_public_key:
        properties["osProfile"]["linuxConfiguration"] = {
            "disablePasswordAuthentication": True,
            "ssh": {"publicKeys": [{"path": f"/home/{admin_username}/.ssh/authorized_keys",
                                    "keyData": ssh_public_key}]},
        }
    body: dict[str, Any] = {"location": scale_set.location, "properties": properties}
    if spec.tags:
        body["tags"] = dict(spec.tags)
    if spec.zone:
        body["zones"] = [spec.zone]
    if spec.capacity_reservation_group:  # issue 16
        properties["capacityReservation"] = {"capacityReservationGroup": {"id": group_reference_id(
            spec.capacity_reservation_group, scale_set.subscription_id, scale_set.resource_group)}}
    return body


def vm_spec_from_json(name: str, body: Mapping[str, Any]) -> VmSpec:
    """The inverse of `vm_create_body`."""
    properties = body.get("properties") or {}
    zones = body.get("zones") or ()
    fault_domain = properties.get("platformFaultDomain")
    return VmSpec(
        name=name,
        zone=str(zones[0]) if zones else None,
        fault_domain=int(fault_domain) if fault_domain is not None else None,
        vm_size=get_path(properties, "hardwareProfile", "vmSize"),
        image=image_from_reference(get_path(properties, "storageProfile", "imageReference")),
        priority=Priority(enum_text(CREATE_PRIORITIES, properties.get("priority") or "Regular", "priority")),
        tags=tags_from_json(body.get("tags")),
        capacity_reservation_group=capacity_reservation_group_from_profile(properties, properties) or None,
    )




# ---------------------------------------------------------------- skus and marketplace images

def scale_set_sku_json(size: VmSize, maximum_capacity: int, default_capacity: int) -> dict[str, Any]:
    """A `VirtualMachineScaleSetSku` row of `GET .../virtualMachineScaleSets/{name}/skus` (`az vmss list-skus`)."""
    return {"resourceType": SCALE_SET_TYPE,
            "sku": {"name": size.name, "tier": "Standard"},
            "capacity": {"minimum": 0, "maximum": maximum_capacity, "defaultCapacity": default_capacity,
                         "scaleType": "Automatic"}}


def image_version_id(subscription_id: str, location: str, image: MarketplaceImage, version: str) -> str:
    """The id Azure gives an image version (its own capitalised path segments)."""
    return (f"/Subscriptions/{subscription_id}/Providers/Microsoft.Compute/Locations/{location}/Publishers/"
            f"{image.publisher}/ArtifactTypes/VMImage/Offers/{image.offer}/Skus/{image.sku}/Versions/{version}")


def image_version_resource_json(subscription_id: str, location: str, image: MarketplaceImage,
                                version: str) -> dict[str, Any]:
    """A `VirtualMachineImageResource`: one entry of the versions list."""
    return {"location": location, "name": version,
            "id": image_version_id(subscription_id, location, image, version)}


def image_version_json(subscription_id: str, location: str, image: MarketplaceImage, version: str) -> dict[str, Any]:
    """A `VirtualMachineImage`: one version with the OS and generation `az vmss create` checks."""
    body = image_version_resource_json(subscription_id, location, image, version)
    body["properties"] = {
        "osDiskImage": {"operatingSystem": image.operating_system},
        "dataDiskImages": [],
        "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": image.operating_system == "Windows"},
        "hyperVGeneration": image.hyper_v_generation,
        "architecture": "x64",
        "imageDeprecationStatus": {"imageState": "Active"},
    }
    return body
