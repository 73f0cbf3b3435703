"""Microsoft.Compute: scale sets, their VMs (Uniform), plain VMs of Flexible sets, and operation status.

One handler per verb: each parses the request, calls the backend one call at a time (`app.call`)
and writes the answer with the `vmss_tui.arm.compute` codec.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Sequence

from ...arm import compute as arm_compute
from ...arm.jsonpath import get_path
from ...domain import errors
from ...domain import ids as resource_ids
from ...domain.models import Instance, Operation, PowerAction, ScaleSet
from .. import validation
from ..routing import COMPUTE, LOCATION, RG, SUB, VM, VMSS, VMSS_VM, Request, Response, Route
from ..views import ChainedRows
from .resources import require_group

if TYPE_CHECKING:
    from ..app import ArmApp

POWER_ACTIONS: dict[str, PowerAction] = {
    "start": PowerAction.START,
    "poweroff": PowerAction.POWER_OFF,
    "deallocate": PowerAction.DEALLOCATE,
    "restart": PowerAction.RESTART,
    "reimage": PowerAction.REIMAGE,
}
_ACTION = r"/(?P<action>start|powerOff|deallocate|restart|reimage)"


# ---------------------------------------------------------------- scale sets

def list_all_scale_sets(app: ArmApp, request: Request, sub: str) -> Response:
    sets = app.call(app.backend.list_scale_sets, None)
    return app.page(request, [arm_compute.scale_set_to_json(s) for s in sets])


def list_scale_sets(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    sets = app.call(app.backend.list_scale_sets, rg)
    return app.page(request, [arm_compute.scale_set_to_json(s) for s in sets])


def get_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    return Response(200, arm_compute.scale_set_to_json(app.call(app.backend.get_scale_set, rg, vmss)))


def delete_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    try:
        scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    except errors.ResourceNotFound:
        return Response(204)  # ARM deletes are idempotent
    operation = app.call(app.backend.delete_scale_set, rg, vmss, force=_flag(request.query.get("forcedeletion")))
    return app.operations.accepted(request, operation, scale_set.location)


def _existing_scale_set(app: ArmApp, rg: str, vmss: str) -> ScaleSet | None:
    try:
        return app.call(app.backend.get_scale_set, rg, vmss)
    except errors.ResourceNotFound:
        return None


def put_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    existing = _existing_scale_set(app, rg, vmss)
    if existing is None:
        spec = arm_compute.scale_set_spec_from_json(vmss, rg, require_object(request.body))
        operation = app.call(app.backend.create_scale_set, spec)
        created = app.call(app.backend.get_scale_set, rg, vmss)
        return app.operations.started(request, operation, created.location, 201,
                                      arm_compute.scale_set_to_json(created))
    if request.headers.get("if-none-match", "").strip() == "*":
        return Response(412, {"error": {
            "code": "PreconditionFailed",
            "message": "The condition specified using HTTP conditional header(s) is not met."}})
    return _update_scale_set(app, request, rg, vmss, existing)


def patch_scale_set(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    existing = _existing_scale_set(app, rg, vmss)
    if existing is None:
        raise errors.scale_set_not_found(rg, vmss)
    return _update_scale_set(app, request, rg, vmss, existing)


def _update_scale_set(app: ArmApp, request: Request, rg: str, vmss: str, existing: ScaleSet) -> Response:
    update, new_capacity = arm_compute.scale_set_update_from_json(require_object(request.body), existing)
    operation: Operation | None = None
    if not arm_compute.update_is_empty(update):
        operation = app.call(app.backend.update_scale_set, rg, vmss, update)
    if new_capacity is not None:
        if operation is not None:  # one PATCH, two backend operations: the model first
            app.backend.wait(operation)
        operation = app.call(app.backend.set_capacity, rg, vmss, new_capacity)
    current = app.call(app.backend.get_scale_set, rg, vmss)
    if operation is None:
        return Response(200, arm_compute.scale_set_to_json(current))
    return app.operations.started(request, operation, current.location, 200, arm_compute.scale_set_to_json(current))


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
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    if scale_set.is_flexible:
        raise errors.OperationNotAllowed(
            f"Operation 'VirtualMachineScaleSetVMs.List' is not allowed on Virtual Machine Scale Set "
            f"'{scale_set.name}' since it is in Flexible orchestration mode; list its virtual machines "
            f"with the filter 'virtualMachineScaleSet/id' instead.", target=scale_set.name)
    instances = app.call(app.backend.list_instances, rg, vmss)
    expand = request.expand_instance_view
    location = scale_set.location
    # Only the requested page is converted; rows are reused while the backend's views are unchanged.
    rows = app.rows.rows(("vmss", rg.lower(), vmss.lower(), location, expand), instances,
                         lambda i: arm_compute.scale_set_vm_to_json(i, location, expand_instance_view=expand))
    return app.page(request, rows)


def get_scale_set_vm(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    instance = app.call(app.backend.get_instance, rg, vmss, iid)
    return Response(200, arm_compute.scale_set_vm_to_json(instance, scale_set.location,
                                                          expand_instance_view=request.expand_instance_view,
                                                          flexible=scale_set.is_flexible))


def put_scale_set_vm(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    policy = get_path(require_object(request.body), "properties", "protectionPolicy") or {}
    updated = app.call(app.backend.set_protection, rg, vmss, [iid],
                       protect_from_scale_in=policy.get("protectFromScaleIn"),
                       protect_from_scale_set_actions=policy.get("protectFromScaleSetActions"))
    return Response(200, arm_compute.scale_set_vm_to_json(updated[0], scale_set.location,
                                                          flexible=scale_set.is_flexible))


def delete_scale_set_vm(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    operation = app.call(app.backend.delete_instances, rg, vmss, [iid],
                         force=_flag(request.query.get("forcedeletion")))
    return app.operations.accepted(request, operation, scale_set.location)


def get_scale_set_vm_instance_view(app: ArmApp, request: Request, sub: str, rg: str, vmss: str,
                                   iid: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    instance = app.call(app.backend.get_instance, rg, vmss, iid)
    return Response(200, arm_compute.instance_view_json(instance, flexible=scale_set.is_flexible))


def post_scale_set_vm_action(app: ArmApp, request: Request, sub: str, rg: str, vmss: str, iid: str,
                             action: str) -> Response:
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
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
            lambda i, s=scale_set: arm_compute.vm_to_json(i, s.location, s, expand_instance_view=expand)))
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
    return Response(200, arm_compute.vm_to_json(instance, scale_set.location, scale_set,
                                                expand_instance_view=request.expand_instance_view))


def delete_vm(app: ArmApp, request: Request, sub: str, rg: str, vm: str) -> Response:
    try:
        scale_set, instance = _find_vm(app, rg, vm)
    except errors.ResourceNotFound:
        return Response(204)
    operation = app.call(app.backend.delete_instances, scale_set.resource_group, scale_set.name,
                         [instance.instance_id], force=_flag(request.query.get("forcedeletion")))
    return app.operations.accepted(request, operation, scale_set.location)


def put_vm(app: ArmApp, request: Request, sub: str, rg: str, vm: str) -> Response:
    body = require_object(request.body)
    try:
        scale_set, instance = _find_vm(app, rg, vm)
    except errors.ResourceNotFound:
        pass
    else:  # an update of an existing VM changes nothing modelled: Azure's VM model has no
        # protectionPolicy; protection is PUT on virtualMachineScaleSets/{set}/virtualMachines/{vm}.
        return Response(200, arm_compute.vm_to_json(instance, scale_set.location, scale_set))
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
    return app.operations.started(request, operation, scale_set.location, 201,
                                  arm_compute.vm_to_json(instance, scale_set.location, scale_set))


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


ROUTES = [
    Route(SUB + COMPUTE + r"/virtualMachineScaleSets", {"GET": list_all_scale_sets}),
    Route(SUB + COMPUTE + r"/virtualMachines", {"GET": list_all_vms}, resource_type="virtualMachines"),
    Route(LOCATION + r"/operations/(?P<op>[^/]+)", {"GET": get_operation_status}),
    Route(LOCATION + r"/operationResults/(?P<op>[^/]+)", {"GET": get_operation_result}),
    Route(RG + COMPUTE + r"/virtualMachineScaleSets", {"GET": list_scale_sets}),
    Route(VMSS, {"GET": get_scale_set, "PUT": put_scale_set, "PATCH": patch_scale_set, "DELETE": delete_scale_set},
          schema=validation.SCALE_SET_BODY),
    Route(VMSS + r"/instanceView", {"GET": get_scale_set_instance_view}),
    Route(VMSS + r"/(?P<action>start|powerOff|deallocate|restart|reimage|manualUpgrade|delete)",
          {"POST": post_scale_set_action}, schema=validation.INSTANCE_IDS_BODY),
    Route(VMSS + r"/virtualMachines", {"GET": list_scale_set_vms}),
    Route(VMSS_VM, {"GET": get_scale_set_vm, "PUT": put_scale_set_vm, "DELETE": delete_scale_set_vm},
          schema=validation.SCALE_SET_VM_BODY),
    Route(VMSS_VM + r"/instanceView", {"GET": get_scale_set_vm_instance_view}),
    Route(VMSS_VM + _ACTION, {"POST": post_scale_set_vm_action}),
    Route(RG + COMPUTE + r"/virtualMachines", {"GET": list_vms}, resource_type="virtualMachines"),
    Route(VM, {"GET": get_vm, "PUT": put_vm, "DELETE": delete_vm}, resource_type="virtualMachines",
          schema=validation.VM_BODY),
    Route(VM + r"/instanceView", {"GET": get_vm_instance_view}, resource_type="virtualMachines"),
    Route(VM + _ACTION, {"POST": post_vm_action}, resource_type="virtualMachines"),
]
