"""Microsoft.Compute: scale sets, their VMs (Uniform), plain VMs of Flexible sets, and operation status.

One handler per verb: each parses the request, calls the backend one call at a time (`app.call`)
and writes the answer with the `vmss_tui.arm.compute` codec.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Sequence

from ...arm import compute as arm_compute
from ...arm import etag as arm_etag
from ...arm import resources as arm_resources
from ...arm.jsonpath import get_path
from ...domain import errors
from ...domain import ids as resource_ids
from ...backends.protocol import ResourceGroups
from ...domain.images import MARKETPLACE_IMAGES, find_marketplace_image, version_key
from ...domain.models import Instance, Operation, PowerAction, ScaleSet
from ...domain.sizes import FLEXIBLE_FORBIDDEN_SIZES, SIZES
from .. import validation
from ..routing import COMPUTE, LOCATION, RG, SUB, VM, VMSS, VMSS_VM, Request, Response, Route
from ..views import ChainedRows
from . import insights, network
from .resources import require_group

if TYPE_CHECKING:
    from ..app import ArmApp

POWER_ACTIONS: dict[str, PowerAction] = {
    "start": PowerAction.START,
    "poweroff": PowerAction.POWER_OFF,
    "deallocate": PowerAction.DEALLOCATE,
    "restart": PowerAction.RESTART,
    "reimage": PowerAction.REIMAGE,
    "reimageall": PowerAction.REIMAGE,  # what `az vmss reimage --instance-ids` sends (all disks; one disk here)
}
_ACTION = r"/(?P<action>start|powerOff|deallocate|restart|reimage)"
_VMSS_VM_ACTION = r"/(?P<action>start|powerOff|deallocate|restart|reimage|reimageall)"
_IMAGE_VERSIONS = (r"/publishers/(?P<publisher>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)"
                   r"/skus/(?P<skuname>[^/]+)/versions")


# ---------------------------------------------------------------- scale sets

def list_all_scale_sets(app: ArmApp, request: Request, sub: str) -> Response:
    sets = app.call(app.backend.list_scale_sets, None)
    return app.page(request, [arm_compute.scale_set_to_json(s) for s in sets])


def list_scale_sets(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    require_group(app, rg)
    sets = app.call(app.backend.list_scale_sets, rg)
    return app.page(request, [served_scale_set_json(app, s) for s in sets])  # Azure lists whole models


def served_scale_set_json(app: ArmApp, scale_set: ScaleSet) -> dict[str, Any]:
    """A set's body as GET serves it (network profile included): its etag is the one `If-Match` compares."""
    return arm_compute.scale_set_to_json(scale_set, network.network_profile_of(app, scale_set.resource_group,
                                                                                 scale_set.name))


def get_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    return with_etag(Response(200, served_scale_set_json(app, app.call(app.backend.get_scale_set, rg, vmss))))


def delete_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    try:
        scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    except errors.ResourceNotFound:
        require_group(app, rg)  # a missing group is ResourceGroupNotFound, not an idempotent 204
        check_preconditions(request, None)
        return Response(204)  # ARM deletes are idempotent
    check_preconditions(request, served_scale_set_json(app, scale_set))
    operation = app.call(app.backend.delete_scale_set, rg, vmss, force=_flag(request.query.get("forcedeletion")))
    return app.operations.accepted(request, operation, scale_set.location)


def _existing_scale_set(app: ArmApp, rg: str, vmss: str) -> ScaleSet | None:
    try:
        return app.call(app.backend.get_scale_set, rg, vmss)
    except errors.ResourceNotFound:
        return None


def put_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    existing = _existing_scale_set(app, rg, vmss)
    check_preconditions(request, served_scale_set_json(app, existing) if existing is not None else None)
    if existing is None:
        spec = arm_compute.scale_set_spec_from_json(vmss, rg, require_object(request.body))
        operation = app.call(app.backend.create_scale_set, spec)
        created = app.call(app.backend.get_scale_set, rg, vmss)
        return with_etag(app.operations.started(request, operation, created.location, 201,
                                                _creating(arm_compute.scale_set_to_json(created))))
    return _update_scale_set(app, request, rg, vmss, existing, replace=True)


def patch_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    existing = _existing_scale_set(app, rg, vmss)
    check_preconditions(request, served_scale_set_json(app, existing) if existing is not None else None)
    if existing is None:
        raise errors.scale_set_not_found(rg, vmss)
    return _update_scale_set(app, request, rg, vmss, existing)


def _update_scale_set(app: ArmApp, request: Request, rg: str, vmss: str, existing: ScaleSet, *,
                      replace: bool = False) -> Response:
    """PUT on an existing set (`replace`: tags and profile replaced) or PATCH (tags replaced, profile merged)."""
    update, new_capacity = arm_compute.scale_set_update_from_json(require_object(request.body), existing,
                                                                  replace=replace)
    operation: Operation | None = None
    if not arm_compute.update_is_empty(update):
        operation = app.call(app.backend.update_scale_set, rg, vmss, update)
    if new_capacity is not None:
        if operation is not None:  # one PATCH, two backend operations: the model first
            app.backend.wait(operation)
        operation = app.call(app.backend.set_capacity, rg, vmss, new_capacity)
    current = app.call(app.backend.get_scale_set, rg, vmss)
    body = served_scale_set_json(app, current)
    if operation is None:
        return with_etag(Response(200, body))
    return with_etag(app.operations.started(request, operation, current.location, 200, body))


def get_scale_set_instance_view(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    if scale_set.is_flexible:
        raise errors.OperationNotAllowed(
            f"Operation 'VirtualMachineScaleSets.instanceView.GET' is not allowed on Virtual Machine "
            f"Scale Set '{scale_set.name}' since it is in Flexible orchestration mode.", target=scale_set.name)
    instances = app.call(app.backend.list_instances, rg, vmss)
    counts: dict[str, int] = {}
    for instance in instances:
        code = f"PowerState/{instance.power_state.value}"
        counts[code] = counts.get(code, 0) + 1
    provisioning = scale_set.provisioning_state.value.lower()
    return Response(200, {
        "virtualMachine": {"statusesSummary": [{"code": code, "count": count}
                                               for code, count in sorted(counts.items())]},
        "extensions": [],
        "statuses": [{"code": f"ProvisioningState/{provisioning}", "level": "Info",
                      "displayStatus": f"Provisioning {provisioning}"}],
        "orchestrationServices": [],
    })


def post_scale_set_action(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, action: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    body = request.body if isinstance(request.body, dict) else {}
    instance_ids = body.get("instanceIds")
    if instance_ids is not None and not isinstance(instance_ids, list):
        raise errors.InvalidParameter("The value of parameter 'instanceIds' must be an array.",
                                      target="instanceIds")
    ids = [str(i) for i in instance_ids] if instance_ids is not None else None
    verb = action.lower()
    if verb == "delete":
        if not ids:
            raise errors.InvalidParameter("Required parameter 'instanceIds' is missing (null).",
                                          target="instanceIds")
        operation = app.call(app.backend.delete_instances, rg, vmss, ids,
                             force=_flag(request.query.get("forcedeletion")))
    elif verb == "manualupgrade":
        if ids is None:
            raise errors.InvalidParameter("Required parameter 'instanceIds' is missing (null).",
                                          target="instanceIds")
        operation = app.call(app.backend.upgrade_instances, rg, vmss, ids)
    else:
        operation = app.call(app.backend.power_action, rg, vmss, POWER_ACTIONS[verb], ids)
    return app.operations.accepted(request, operation, scale_set.location)


# ---------------------------------------------------------------- Uniform instances (scale-set VMs)

def list_scale_set_vms(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    """Uniform: the set's instances. Flexible: its VMs, each by its VM id (Azure's documented behaviour)."""
    instances = app.call(app.backend.list_instances, rg, vmss)
    expand = request.expand_instance_view
    family = ("vmss", rg.lower(), vmss.lower(), expand)
    # The next pages of a walk share view objects with the first: the set's location and mode (which
    # never change) are known from it, so only the instances are read again.
    key = app.rows.known_key(family, instances)
    if key is None:
        scale_set = app.call(app.backend.get_scale_set, rg, vmss)
        key = family + (scale_set.location, scale_set.is_flexible)
    location, flexible = key[4], key[5]  # type: ignore[index]
    # Only the requested page is converted; a row is reused while the backend's view of it is unchanged.
    # Keys for the paging token: Uniform instances are listed by numeric id, Flexible VMs in creation order.
    rows = app.rows.rows(key, instances,
                         lambda i: arm_compute.scale_set_vm_to_json(i, location, expand_instance_view=expand,
                                                                    flexible=flexible), family=family,
                         item_key=_vm_key if flexible else _instance_number, ordered=not flexible)
    return app.page(request, rows)


def _instance_number(instance: Instance) -> int:
    return int(instance.instance_id)


def _vm_key(instance: Instance) -> str:
    """A VM's resource id (names repeat across groups in a subscription-wide list)."""
    return instance.id.lower()


def _instance(app: ArmApp, rg: str, vmss: str, iid: str) -> Instance:
    """The set's instance; Compute's NotFound when the set exists and the instance does not."""
    try:
        return app.call(app.backend.get_instance, rg, vmss, iid)
    except errors.ResourceNotFound:
        raise errors.AzureError("The entity was not found in this Azure location.", code="NotFound",
                                http_status=404, target=iid) from None


def get_scale_set_vm(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    instance = _instance(app, rg, vmss, iid)
    return with_etag(Response(200, arm_compute.scale_set_vm_to_json(
        instance, scale_set.location, expand_instance_view=request.expand_instance_view,
        flexible=scale_set.is_flexible)))


def put_scale_set_vm(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    check_preconditions(request, arm_compute.scale_set_vm_to_json(_instance(app, rg, vmss, iid), scale_set.location,
                                                                  flexible=scale_set.is_flexible))
    body = require_object(request.body)
    tags = arm_compute.tags_from_json(body.get("tags"))  # a PUT replaces them: checked before anything changes
    policy = get_path(body, "properties", "protectionPolicy") or {}
    updated = app.call(app.backend.set_protection, rg, vmss, [iid],
                       protect_from_scale_in=policy.get("protectFromScaleIn"),
                       protect_from_scale_set_actions=policy.get("protectFromScaleSetActions"))[0]
    if tags != updated.tags:
        updated = app.call(app.backend.set_instance_tags, rg, vmss, updated.instance_id, tags)
    return with_etag(Response(200, arm_compute.scale_set_vm_to_json(updated, scale_set.location,
                                                                    flexible=scale_set.is_flexible)))


def delete_scale_set_vm(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    operation = app.call(app.backend.delete_instances, rg, vmss, [iid],
                         force=_flag(request.query.get("forcedeletion")))
    return app.operations.accepted(request, operation, scale_set.location)


def get_scale_set_vm_instance_view(app: ArmApp, request: Request, sub: str, rg: str, vmss: str,
                                   iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    instance = _instance(app, rg, vmss, iid)
    return Response(200, arm_compute.instance_view_json(instance, flexible=scale_set.is_flexible))


def post_scale_set_vm_action(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str,
                             action: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    _instance(app, rg, vmss, iid)
    operation = app.call(app.backend.power_action, rg, vmss, POWER_ACTIONS[action.lower()], [iid])
    return app.operations.accepted(request, operation, scale_set.location)


# ---------------------------------------------------------------- Flexible instances (plain VMs)

def _flexible_sets(app: ArmApp, rg: str | None) -> list[ScaleSet]:
    return [s for s in app.call(app.backend.list_scale_sets, rg) if s.is_flexible]


def _vm_rows(app: ArmApp, rg: str | None, filter_text: str, expand: bool) -> Sequence[dict[str, Any]]:
    wanted = _filter_scale_set_id(filter_text)
    if wanted is not None:
        _, wanted_rg, wanted_name = wanted
        if rg is not None and wanted_rg.lower() != rg.lower():
            return []
        try:
            sets = [app.call(app.backend.get_scale_set, wanted_rg, wanted_name)]
        except errors.ResourceNotFound:
            return []
        sets = [s for s in sets if s.is_flexible]
    else:
        sets = _flexible_sets(app, rg)
    parts = []
    for scale_set in sets:
        instances = app.call(app.backend.list_instances, scale_set.resource_group, scale_set.name)
        parts.append(app.rows.rows(
            ("vm", scale_set, expand), instances,
            lambda i, s=scale_set: arm_compute.vm_to_json(i, s.location, s, expand_instance_view=expand),
            item_key=_vm_key))
    return ChainedRows(parts)  # converted page by page, as read


def list_vms(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    require_group(app, rg)
    return app.page(request, _vm_rows(app, rg, request.query.get("$filter", ""), request.expand_instance_view))


def list_all_vms(app: ArmApp, request: Request, sub: str) -> Response:
    return app.page(request, _vm_rows(app, None, request.query.get("$filter", ""), request.expand_instance_view))


def _find_vm(app: ArmApp, rg: str, vm: str) -> tuple[ScaleSet, Instance]:
    for scale_set in _flexible_sets(app, rg):
        for instance in app.call(app.backend.list_instances, scale_set.resource_group, scale_set.name):
            if instance.name.lower() == vm.lower():
                return scale_set, instance
    raise errors.ResourceNotFound(
        f"The Resource 'Microsoft.Compute/virtualMachines/{vm}' under resource group '{rg}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix", target=vm)


def get_vm(app: ArmApp, request: Request, sub: str, rg: str, vm: str) -> Response:
    scale_set, instance = _find_vm(app, rg, vm)
    return with_etag(Response(200, arm_compute.vm_to_json(instance, scale_set.location, scale_set,
                                                          expand_instance_view=request.expand_instance_view)))


def delete_vm(app: ArmApp, request: Request, sub: str, rg: str, vm: str) -> Response:
    try:
        scale_set, instance = _find_vm(app, rg, vm)
    except errors.ResourceNotFound:
        require_group(app, rg)  # a missing group is ResourceGroupNotFound, not an idempotent 204
        check_preconditions(request, None)
        return Response(204)
    check_preconditions(request, arm_compute.vm_to_json(instance, scale_set.location, scale_set))
    operation = app.call(app.backend.delete_instances, scale_set.resource_group, scale_set.name,
                         [instance.instance_id], force=_flag(request.query.get("forcedeletion")))
    insights.vm_deleted_individually(app, scale_set, operation)  # autoscale does not see it at once [AS-TS]
    return app.operations.accepted(request, operation, scale_set.location)


def put_vm(app: ArmApp, request: Request, sub: str, rg: str, vm: str) -> Response:
    body = require_object(request.body)
    try:
        scale_set, instance = _find_vm(app, rg, vm)
    except errors.ResourceNotFound:
        check_preconditions(request, None)
    else:  # an update of an existing VM changes only its tags here: Azure's VM model has no
        # protectionPolicy; protection is PUT on virtualMachineScaleSets/{set}/virtualMachines/{vm}.
        current = arm_compute.vm_to_json(instance, scale_set.location, scale_set)
        check_preconditions(request, current)
        tags = arm_compute.tags_from_json(body.get("tags"))  # a PUT replaces them (none given: none kept)
        if tags == instance.tags:
            return with_etag(Response(200, current))
        instance = app.call(app.backend.set_instance_tags, scale_set.resource_group, scale_set.name,
                            instance.instance_id, tags)
        return with_etag(Response(200, arm_compute.vm_to_json(instance, scale_set.location, scale_set)))
    parsed = resource_ids.parse_scale_set_id(get_path(body, "properties", "virtualMachineScaleSet", "id") or "")
    if parsed is None:
        raise errors.InvalidParameter(
            "This endpoint serves scale-set VMs only: set properties.virtualMachineScaleSet.id to a "
            "Flexible scale set.", target="virtualMachineScaleSet")
    _, set_rg, set_name = parsed
    if set_rg.lower() != rg.lower():
        raise errors.InvalidParameter(
            "The virtual machine and its scale set must be in the same resource group.",
            target="virtualMachineScaleSet")
    spec = arm_compute.vm_spec_from_json(vm, body)
    operation = app.call(app.backend.add_vm, set_rg, set_name, spec)
    scale_set, instance = _find_vm(app, rg, vm)
    return with_etag(app.operations.started(request, operation, scale_set.location, 201,
                                            _creating(arm_compute.vm_to_json(instance, scale_set.location, scale_set))))


def patch_vm(app: ArmApp, request: Request, sub: str, rg: str, vm: str) -> Response:
    """`az vm update`'s PATCH (`VirtualMachineUpdate`): `tags` replace the whole object; nothing else here is modelled."""
    body = require_object(request.body)
    scale_set, instance = _find_vm(app, rg, vm)
    check_preconditions(request, arm_compute.vm_to_json(instance, scale_set.location, scale_set))
    if "tags" in body:
        tags = arm_compute.tags_from_json(body.get("tags"))
        if tags != instance.tags:
            instance = app.call(app.backend.set_instance_tags, scale_set.resource_group, scale_set.name,
                                instance.instance_id, tags)
    return with_etag(Response(200, arm_compute.vm_to_json(instance, scale_set.location, scale_set)))


def get_vm_instance_view(app: ArmApp, request: Request, sub: str, rg: str, vm: str) -> Response:
    _, instance = _find_vm(app, rg, vm)
    return Response(200, arm_compute.instance_view_json(instance, flexible=True))


def post_vm_action(app: ArmApp, request: Request, sub: str, rg: str, vm: str, action: str) -> Response:
    scale_set, instance = _find_vm(app, rg, vm)
    operation = app.call(app.backend.power_action, scale_set.resource_group, scale_set.name,
                         POWER_ACTIONS[action.lower()], [instance.instance_id])
    return app.operations.accepted(request, operation, scale_set.location)


# ---------------------------------------------------------------- operation status

def get_operation_status(app: ArmApp, request: Request, sub: str, loc: str, op: str) -> Response:
    return app.operations.status(request, op)


def get_operation_result(app: ArmApp, request: Request, sub: str, loc: str, op: str) -> Response:
    return app.operations.result(request, op)


# ---------------------------------------------------------------- skus, usage, marketplace images

def list_scale_set_skus(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    """`az vmss list-skus`: each size the set may move to, with the capacity range the set allows."""
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    # Uniform sets in one placement group stop at 100 VMs; others at 1000 (Azure's documented limits).
    maximum = 100 if (not scale_set.is_flexible and scale_set.single_placement_group) else 1000
    sizes = [size for key, size in SIZES.items()
             if not (scale_set.is_flexible and key in FLEXIBLE_FORBIDDEN_SIZES)]
    return app.page(request, [arm_compute.scale_set_sku_json(size, maximum, 1) for size in sizes])


def list_usages(app: ArmApp, request: Request, sub: str, loc: str) -> Response:
    """`az vm list-usage --location L`: the region's compute quotas and what is used of them."""
    groups = app.backend if isinstance(app.backend, ResourceGroups) else None
    if groups is None:
        raise errors.OperationNotAllowed("This endpoint's backend does not report usage.")
    usages = app.call(groups.list_usage, loc)
    return app.page(request, [arm_resources.usage_json(usage) for usage in usages])


def _marketplace_image(publisher: str, offer: str, skuname: str) -> Any:
    image = find_marketplace_image(publisher, offer, skuname)
    if image is None:
        raise errors.AzureError("Artifact: VMImage was not found.", code="NotFound", http_status=404)
    return image


def list_image_versions(app: ArmApp, request: Request, sub: str, loc: str, publisher: str, offer: str,
                        skuname: str) -> Response:
    """The versions of one marketplace image: a bare JSON array, as Azure answers (no `value`, no paging)."""
    image = _marketplace_image(publisher, offer, skuname)
    versions = sorted(image.versions, key=version_key)
    if request.query.get("$orderby", "").strip().lower() == "name desc":
        versions.reverse()
    top = request.query.get("$top")
    if top is not None:
        if not top.isdigit():
            raise errors.InvalidParameter(f"The value '{top}' of parameter '$top' is not valid.", target="$top")
        versions = versions[:int(top)]
    return Response(200, [arm_compute.image_version_resource_json(app.subscription_id, loc, image, version)
                          for version in versions])


def get_image_version(app: ArmApp, request: Request, sub: str, loc: str, publisher: str, offer: str,
                      skuname: str, version: str) -> Response:
    image = _marketplace_image(publisher, offer, skuname)
    chosen = {v.lower(): v for v in image.versions}
    if version.lower() == "latest":
        version = max(image.versions, key=version_key)
    elif version.lower() not in chosen:
        raise errors.AzureError("Artifact: VMImage was not found.", code="NotFound", http_status=404)
    else:
        version = chosen[version.lower()]
    return Response(200, arm_compute.image_version_json(app.subscription_id, loc, image, version))


# ---------------------------------------------------------------- etags and preconditions

etag_of = arm_etag.etag_of
"""A strong entity tag of the resource as served (one rule with the CLI's `-o json`: `arm/etag.py`)."""


def with_etag(response: Response) -> Response:
    """The resource body with its `etag`, and the same tag in the `ETag` header."""
    if isinstance(response.body, dict):
        etag = etag_of(response.body)
        response.body["etag"] = etag
        response.headers["ETag"] = etag
    return response


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def check_preconditions(request: Request, current: dict[str, Any] | None) -> None:
    """`If-Match` / `If-None-Match` against the resource as it is now (None: it does not exist); 412 if unmet."""
    if_match = request.headers.get("if-match")
    if_none_match = request.headers.get("if-none-match")
    etag = etag_of(current) if current is not None else None
    failed = False
    if if_match is not None and if_match.strip():
        tags = _tags(if_match)
        failed = etag is None or ("*" not in tags and etag not in tags)
    if not failed and if_none_match is not None and if_none_match.strip() and etag is not None:
        tags = _tags(if_none_match)
        failed = "*" in tags or etag in tags
    if failed:
        raise errors.AzureError("The condition specified using HTTP conditional header(s) is not met.",
                                code="PreconditionFailed", http_status=412)


def _creating(body: dict[str, Any]) -> dict[str, Any]:
    """A create's 201 says `Creating`, whatever the backend reached already (Azure answers before it works)."""
    body.setdefault("properties", {})["provisioningState"] = "Creating"
    return body


# ---------------------------------------------------------------- helpers

def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.AzureError("The request content was invalid and could not be deserialized: "
                                "expected a JSON object.", code="InvalidRequestContent", http_status=400)
    return body


def _flag(text: str | None) -> bool:
    return str(text or "").lower() == "true"


def _filter_scale_set_id(filter_text: str) -> tuple[str, str, str] | None:
    """The scale-set id in `'virtualMachineScaleSet/id' eq '<id>'`, the filter Azure documents."""
    match = re.search(r"virtualMachineScaleSet/id'?\s+eq\s+'?([^'\s]+)'?", filter_text or "", re.IGNORECASE)
    return resource_ids.parse_scale_set_id(match.group(1)) if match else None


IMAGE_ALIAS_DOC_PATH = "/vmss-tui/image-aliases.json"
"""Where the endpoint serves az's image alias document (`az cloud register --endpoint-vm-image-alias-doc`)."""


def image_alias_document() -> dict[str, Any]:
    """The emulator's image catalogue as az's alias document (`outputs.aliases.value.{Linux,Windows}`).

    az reads it, without a token (on Azure it is a public file on GitHub), for `az vm image list` and to
    resolve `--image Ubuntu2204`; served here so az offers exactly the images the emulator publishes.
    """
    aliases: dict[str, dict[str, Any]] = {"Linux": {}, "Windows": {}}
    for image in MARKETPLACE_IMAGES:
        aliases[image.operating_system][image.alias] = {
            "publisher": image.publisher, "offer": image.offer, "sku": image.sku, "version": "latest",
            "architecture": "x64"}
    return {"$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json",
            "contentVersion": "1.0.0.0", "parameters": {}, "variables": {}, "resources": [],
            "outputs": {"aliases": {"type": "object", "value": aliases}}}


ROUTES = [
    Route(SUB + COMPUTE + r"/virtualMachineScaleSets", {"GET": list_all_scale_sets}),
    Route(SUB + COMPUTE + r"/virtualMachines", {"GET": list_all_vms}, resource_type="virtualMachines"),
    Route(LOCATION + r"/operations/(?P<op>[^/]+)", {"GET": get_operation_status}),
    Route(LOCATION + r"/operationResults/(?P<op>[^/]+)", {"GET": get_operation_result}),
    Route(LOCATION + r"/usages", {"GET": list_usages}, resource_type="locations/usages"),
    Route(LOCATION + _IMAGE_VERSIONS, {"GET": list_image_versions}, resource_type="locations/publishers"),
    Route(LOCATION + _IMAGE_VERSIONS + r"/(?P<version>[^/]+)", {"GET": get_image_version},
          resource_type="locations/publishers"),
    Route(RG + COMPUTE + r"/virtualMachineScaleSets", {"GET": list_scale_sets}),
    Route(VMSS, {"GET": get_scale_set, "PUT": put_scale_set, "PATCH": patch_scale_set, "DELETE": delete_scale_set},
          schema=validation.SCALE_SET_BODY),
    Route(VMSS + r"/instanceView", {"GET": get_scale_set_instance_view}),
    Route(VMSS + r"/skus", {"GET": list_scale_set_skus}),
    Route(VMSS + r"/(?P<action>start|powerOff|deallocate|restart|reimage|reimageall|manualUpgrade|delete)",
          {"POST": post_scale_set_action}, schema=validation.INSTANCE_IDS_BODY),
    Route(VMSS + r"/virtualMachines", {"GET": list_scale_set_vms}),
    Route(VMSS_VM, {"GET": get_scale_set_vm, "PUT": put_scale_set_vm, "DELETE": delete_scale_set_vm},
          schema=validation.SCALE_SET_VM_BODY),
    Route(VMSS_VM + r"/instanceView", {"GET": get_scale_set_vm_instance_view}),
    Route(VMSS_VM + _VMSS_VM_ACTION, {"POST": post_scale_set_vm_action}),
    Route(RG + COMPUTE + r"/virtualMachines", {"GET": list_vms}, resource_type="virtualMachines"),
    Route(VM, {"GET": get_vm, "PUT": put_vm, "PATCH": patch_vm, "DELETE": delete_vm}, resource_type="virtualMachines",
          schema=validation.VM_BODY),
    Route(VM + r"/instanceView", {"GET": get_vm_instance_view}, resource_type="virtualMachines"),
    Route(VM + _ACTION, {"POST": post_vm_action}, resource_type="virtualMachines"),
]
