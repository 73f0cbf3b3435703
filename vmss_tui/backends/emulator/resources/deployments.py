"""Microsoft.Resources/deployments in the emulator: a template deployed resource by resource, in dependency order.

A deployment is checked whole before anything is touched (the template engine's `prepare`: its JSON, its
expressions, every parameter against its rules), then each planned resource is put through the room
that owns its ARM type (`kinds.py`), level by level; a resource whose dependency failed is not deployed.
No thread runs it: each deployment operation records when it starts (when its last dependency finishes)
and when it finishes (its room's own operation end), and every read computes `Accepted`, `Running`,
then `Succeeded`/`Failed`/`Canceled` from those times and the clock, like the rest of the emulator.
The rooms apply their changes when the deployment is submitted; their own records say when they finish.

Stored per resource group in the shard `deployments/{group}`: one document per deployment (the last
`DEPLOYMENTS_KEPT`), holding its template, shown parameters, outputs, error and operations.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from ....arm import resources as arm_resources
from ....domain import errors, names
from ....domain.templates import (
    DeploymentContext,
    DeploymentFailed,
    InvalidTemplate,
    OutputEvaluationFailed,
    Plan,
    PlannedResource,
    prepare,
    revealed,
)
from ..compute.shard import key_part
from ..engine.context import Context
from ..timing import Speed
from . import groups
from .kinds import Applied, KindTable, ResourceKind, unmodelled

DEPLOYMENTS_PREFIX = "deployments/"
DEPLOYMENTS_KEPT = 800
"""ARM keeps 800 deployments per resource group (Microsoft Learn, deployment history)."""
ACCEPTED_SECONDS = 1.0
"""How long a new deployment reads `Accepted` before `Running` (INF: ARM queues it briefly)."""
MODES = ("Incremental", "Complete")
TERMINAL = ("Succeeded", "Failed", "Canceled")
DEFAULT_PROVIDER_API_VERSIONS: dict[str, tuple[str, ...]] = {
    "Microsoft.Compute/virtualMachineScaleSets": ("2024-07-01", "2024-03-01", "2023-09-01"),
    "Microsoft.Insights/autoscaleSettings": ("2022-10-01", "2015-04-01"),
}
"""What `providers()` reports when the caller (the endpoint) gives no list of its own."""


validate_deployment_name = arm_resources.validate_deployment_name
deployment_not_found = arm_resources.deployment_not_found


def deployments_key(resource_group: str) -> str:
    names.validate_resource_group_name(resource_group)
    return f"{DEPLOYMENTS_PREFIX}{key_part(resource_group)}"


def group_deleted(txn: Any, resource_group: str) -> int:
    """Drop the group's deployment history in the caller's transaction; returns how many deployments went.

    A deployment is a resource of its group: ARM deletes the history with the group, so a group made
    again under the same name starts with none (Microsoft Learn, "Deployment history")."""
    key = deployments_key(resource_group)
    if not txn.exists(key):
        return 0
    count = len(txn.db(key).table("deployments").all())
    txn.drop(key)
    return count


def template_hash(text: str) -> str:
    """A stable decimal hash of the template (ARM shows `templateHash` as a decimal number; its algorithm is not
    published, INF)."""
    return str(int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big"))


class DeploymentService:
    """The deployments provider: deploy, validate, what-if, read, cancel, delete, export."""

    def __init__(self, ctx: Context, kinds: KindTable) -> None:
        self.ctx = ctx
        self.kinds = kinds

    # --- preparing ---------------------------------------------------------------------

    def _subscription_id(self) -> str:
        with self.ctx.store.snapshot() as txn:
            return str(groups.meta_doc(txn)["id"])

    def _plan(self, resource_group: str, name: str, template: str | Mapping[str, Any],
              parameters: Mapping[str, Any] | None, mode: str,
              provider_api_versions: Mapping[str, tuple[str, ...]] | None) -> tuple[Plan, str, dict[str, Any]]:
        validate_deployment_name(name)
        if mode not in MODES:
            raise errors.InvalidParameter(f"The deployment mode '{names.shown(str(mode))}' is not valid: "
                                          "use Incremental or Complete.", target="mode")
        text = template if isinstance(template, str) else json.dumps(template, indent=2)
        now = self.ctx.now()
        with self.ctx.store.snapshot() as txn:
            group = groups.require_group(txn, resource_group, now)
            subscription_id = groups.meta_doc(txn)["id"]
        context = DeploymentContext(subscription_id, group["name"], group["location"], name, mode=mode,
                                    resource_group_tags=dict(group.get("tags") or {}),
                                    provider_api_versions=dict(provider_api_versions or DEFAULT_PROVIDER_API_VERSIONS))
        return prepare(text, parameters, context), text, group

    def _reference(self, target: str, api_version: Any, full: bool) -> dict[str, Any]:
        """`reference()` at deployment time: the resource as its room shows it now."""
        parts = target.split("/")
        lowered = [part.lower() for part in parts]
        try:
            resource_group = parts[lowered.index("resourcegroups") + 1]
            provider = lowered.index("providers")
        except (ValueError, IndexError):
            raise errors.ResourceNotFound(f"The resource '{target}' was not found.", target=target) from None
        segments = parts[provider + 2:]  # type1, name1, type2, name2 ...: a child's type and name have a part each
        resource_type = "/".join([parts[provider + 1]] + segments[0::2])
        kind = self.kinds.find(resource_type)
        current = kind.read(resource_group, "/".join(segments[1::2])) if kind is not None and segments else None
        if current is None:
            raise errors.ResourceNotFound(f"The Resource '{'/'.join(parts[provider + 1:])}' under resource group "
                                          f"'{resource_group}' was not found.", target=target)
        return current if full else dict(current.get("properties") or {})

    def _finished_reference(self, target: str, api_version: Any, full: bool) -> dict[str, Any]:
        """`reference()` in outputs: the resource as it is once the deployment ends. The rooms hold the final model
        already; only its provisioning state is still moving, so it reads Succeeded (outputs are only given when
        every operation succeeded)."""
        current = self._reference(target, api_version, True)
        properties = dict(current.get("properties") or {})
        if "provisioningState" in properties:
            properties["provisioningState"] = "Succeeded"
        return {**current, "properties": properties} if full else properties

    # --- deploying ---------------------------------------------------------------------

    def deploy(self, resource_group: str, name: str, template: str | Mapping[str, Any],
               parameters: Mapping[str, Any] | None = None, *, mode: str = "Incremental",
               provider_api_versions: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
        """Check the template, put each resource through its room, store the deployment; its ARM JSON.

        InvalidTemplate (nothing touched, nothing stored) when the template or a parameter breaks a rule."""
        plan, text, group = self._plan(resource_group, name, template, parameters, mode, provider_api_versions)
        key = deployments_key(group["name"])
        now = self.ctx.now()
        with self.ctx.store.snapshot() as txn:
            for doc in txn.db(key).table("deployments").all() if txn.exists(key) else []:
                if doc["name"].lower() == name.lower() and _state(doc, now) in ("Accepted", "Running"):
                    raise errors.AzureError(
                        f"Unable to edit or replace deployment '{name}': previous deployment from "
                        f"'{arm_resources.iso(doc['start'])}' is still active (expiration time is "
                        f"'{arm_resources.iso(doc['start'] + 86400)}'). Please see https://aka.ms/arm-deploy for "
                        "usage details.", code="DeploymentActive", http_status=409)
        start = now + (0.0 if self.ctx.speed is Speed.INSTANT else ACCEPTED_SECONDS)
        operations: list[dict[str, Any]] = []
        finished: dict[str, float] = {}
        failed: set[str] = set()
        failures: list[tuple[str, dict[str, Any]]] = []
        for level in plan.levels:
            for resource_id in level:
                resource = plan.resource(resource_id)
                if any(dep.lower() in failed for dep in resource.depends_on):
                    failed.add(resource_id.lower())  # never started: ARM does not deploy what depends on a failure
                    continue
                begin = max([start] + [finished.get(dep.lower(), start) for dep in resource.depends_on])
                applied = self._put(plan, resource)
                took = max(0.0, applied.finish - self.ctx.now())
                finished[resource_id.lower()] = begin + took
                operations.append(_operation(self.ctx.new_uuid(), resource, begin, begin + took, applied, "Create"))
                if applied.status != "Succeeded":
                    failed.add(resource_id.lower())
                    failures.append((resource.id, applied.error or {"code": "Failed", "message": "Failed."}))
        if mode == "Complete":
            deleted_at = max([start] + list(finished.values()))
            for kind, resource_id, resource_name in self._not_in_template(plan, group["name"]):
                applied = self._delete(kind, group["name"], resource_name)
                took = max(0.0, applied.finish - self.ctx.now())
                target = {"id": resource_id, "type": kind.type, "name": resource_name}
                operations.append(_operation(self.ctx.new_uuid(), target, deleted_at, deleted_at + took, applied,
                                             "Delete"))
                if applied.status != "Succeeded":
                    failures.append((resource_id, applied.error or {"code": "Failed", "message": "Failed."}))
        finish = max([start] + [op["finish"] for op in operations])
        deployment_id = f"{plan.context.resource_group_id}/providers/Microsoft.Resources/deployments/{name}"
        outputs: dict[str, Any] | None = None
        error: dict[str, Any] | None = None
        if failures:
            error = DeploymentFailed.from_failures(deployment_id, failures).to_body()["error"]
        else:
            try:
                outputs = plan.outputs(self._finished_reference)
            except (OutputEvaluationFailed, InvalidTemplate, errors.AzureError) as exc:
                error = exc.to_body()["error"]
        doc = {"name": name, "rg": group["name"], "id": deployment_id, "mode": mode, "start": now,
               "running": start, "finish": finish, "outcome": "Failed" if error else "Succeeded",
               "error": error, "outputs": outputs, "parameters": plan.shown_parameters(),
               "templateHash": template_hash(text), "template": _template_object(plan),
               "correlationId": self.ctx.new_uuid(), "operations": operations, "canceled": None,
               "outputResources": [op["target"]["id"] for op in operations
                                   if op["operation"] == "Create" and op["status"] == "Succeeded"],
               "providers": sorted({resource.type for resource in plan.resources})}
        self._store(group["name"], doc)
        return arm_resources.deployment_json(doc, self.ctx.now())

    def _put(self, plan: Plan, resource: PlannedResource) -> Applied:
        kind = self.kinds.find(resource.type)
        if kind is None:
            return _failed(unmodelled(resource.type), self.ctx.now())
        try:
            body = revealed(plan.render(resource, self._reference))
            return kind.put(plan.context.resource_group, resource.name, dict(body))
        except (errors.AzureError, InvalidTemplate) as exc:
            return _failed(exc, self.ctx.now())

    def _delete(self, kind: ResourceKind, resource_group: str, name: str) -> Applied:
        try:
            return kind.delete(resource_group, name)
        except errors.AzureError as exc:
            return _failed(exc, self.ctx.now())

    def _not_in_template(self, plan: Plan, resource_group: str) -> list[tuple[ResourceKind, str, str]]:
        """What Complete mode deletes: modelled resources of the group the template does not deploy (a resource
        whose condition is false is deleted too), lowest delete rank first."""
        wanted = {resource.id.lower() for resource in plan.resources}
        prefix = plan.context.resource_group_id
        found: list[tuple[ResourceKind, str, str]] = []
        for kind in self.kinds.all():
            for resource_name in kind.names(resource_group):
                resource_id = f"{prefix}/providers/{kind.type}/{resource_name}"
                if resource_id.lower() not in wanted:
                    found.append((kind, resource_id, resource_name))
        return found

    def _store(self, resource_group: str, doc: dict[str, Any]) -> None:
        key = deployments_key(resource_group)
        with self.ctx.store.transaction() as txn:
            groups.require_group_for_change(txn, resource_group, self.ctx.now())
            table = txn.db(key).table("deployments")
            kept = [dict(d) for d in table.all() if d["name"].lower() != doc["name"].lower()]
            kept = (kept + [doc])[-DEPLOYMENTS_KEPT:]
            table.truncate()
            table.insert_multiple(kept)

    # --- checking without deploying ----------------------------------------------------

    def validate(self, resource_group: str, name: str, template: str | Mapping[str, Any],
                 parameters: Mapping[str, Any] | None = None, *, mode: str = "Incremental",
                 provider_api_versions: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
        """ARM's preflight: the template checks, then every resource's type must have a room here."""
        plan, text, _group = self._plan(resource_group, name, template, parameters, mode, provider_api_versions)
        return arm_resources.validation_json(plan.context.resource_group_id, name, mode, plan.shown_parameters(),
                                             template_hash(text), [resource.id for resource in plan.resources],
                                             self.ctx.now())

    def what_if(self, resource_group: str, name: str, template: str | Mapping[str, Any],
                parameters: Mapping[str, Any] | None = None, *, mode: str = "Incremental",
                provider_api_versions: Mapping[str, tuple[str, ...]] | None = None,
                result_format: str = "FullResourcePayloads") -> dict[str, Any]:
        """What a deployment would change, resource by resource, without changing anything.

        `ResourceIdOnly` gives ids only: a resource that exists and is in the template is `Deploy` (ARM cannot say
        more without payloads) [ARM-WHATIF]."""
        if result_format.lower() not in ("fullresourcepayloads", "resourceidonly"):
            raise errors.InvalidParameter(f"The what-if result format '{names.shown(str(result_format))}' is not "
                                          "valid: use FullResourcePayloads or ResourceIdOnly.", target="resultFormat")
        plan, _text, group = self._plan(resource_group, name, template, parameters, mode, provider_api_versions)
        changes: list[dict[str, Any]] = []
        for resource in plan.resources:
            kind = self.kinds.find(resource.type)
            desired = _printable_body(resource)
            if kind is None:
                changes.append({"resourceId": resource.id, "changeType": "Unsupported",
                                "unsupportedReason": unmodelled(resource.type).message, "after": None})
                continue
            current = kind.read(group["name"], resource.name)
            after = {"id": resource.id, "name": resource.name, "type": resource.type,
                     "apiVersion": resource.api_version, **desired}
            if current is None:
                changes.append({"resourceId": resource.id, "changeType": "Create", "after": after})
                continue
            delta = kind.changes(current, desired)
            changes.append({"resourceId": resource.id, "changeType": "Modify" if delta else "NoChange",
                            "before": {"apiVersion": resource.api_version, **current}, "after": after,
                            **({"delta": delta} if delta else {})})
        wanted = {resource.id.lower() for resource in plan.resources}
        for kind in self.kinds.all():
            for resource_name in kind.names(group["name"]):
                resource_id = f"{plan.context.resource_group_id}/providers/{kind.type}/{resource_name}"
                if resource_id.lower() in wanted:
                    continue
                change_type = "Delete" if mode == "Complete" else "Ignore"
                current = kind.read(group["name"], resource_name)
                changes.append({"resourceId": resource_id, "changeType": change_type,
                                "before": None if current is None else {"apiVersion": kind.api_version, **current}})
        if result_format.lower() == "resourceidonly":
            changes = [{"resourceId": c["resourceId"],
                        "changeType": "Deploy" if c["changeType"] in ("Modify", "NoChange") else c["changeType"],
                        **({"unsupportedReason": c["unsupportedReason"]} if "unsupportedReason" in c else {})}
                       for c in changes]
        return arm_resources.what_if_json(changes)

    # --- reading, cancelling, deleting -------------------------------------------------

    def _docs(self, resource_group: str) -> list[dict[str, Any]]:
        key = deployments_key(resource_group)
        with self.ctx.store.snapshot() as txn:
            groups.require_group(txn, resource_group, self.ctx.now())
            return [dict(d) for d in txn.db(key).table("deployments").all()] if txn.exists(key) else []

    def _doc(self, resource_group: str, name: str) -> dict[str, Any]:
        for doc in self._docs(resource_group):
            if doc["name"].lower() == name.lower():
                return doc
        raise deployment_not_found(resource_group, name)

    def get(self, resource_group: str, name: str) -> dict[str, Any]:
        return arm_resources.deployment_json(self._doc(resource_group, name), self.ctx.now())

    def list(self, resource_group: str) -> list[dict[str, Any]]:
        now = self.ctx.now()
        return [arm_resources.deployment_json(doc, now) for doc in
                sorted(self._docs(resource_group), key=lambda d: d["start"], reverse=True)]

    def operations(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        doc = self._doc(resource_group, name)
        return arm_resources.deployment_operations_json(doc, self.ctx.now())

    def wait(self, resource_group: str, name: str, timeout: float | None = None) -> dict[str, Any]:
        """Sleep on the emulator's clock until the deployment ends (or `timeout` emulator seconds pass)."""
        started = self.ctx.now()
        while True:
            body = self.get(resource_group, name)
            if body["properties"]["provisioningState"] in TERMINAL:
                return body
            doc = self._doc(resource_group, name)
            now = self.ctx.now()
            if timeout is not None and now - started >= timeout:
                return body
            due = doc["running"] if now < doc["running"] else doc["finish"]
            self.ctx.clock.sleep(max(0.05, min(due - now, 1.0)))

    def cancel(self, resource_group: str, name: str) -> None:
        """Stop a deployment that is still Accepted or Running: what has not finished reads Canceled.

        Changes rooms already applied stay applied (ARM does not roll back either)."""
        key = deployments_key(resource_group)
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            groups.require_group(txn, resource_group, now)
            table = txn.db(key).table("deployments")
            docs = [dict(d) for d in table.all()]
            for doc in docs:
                if doc["name"].lower() == name.lower():
                    if _state(doc, now) not in ("Accepted", "Running"):
                        raise errors.AzureError(
                            f"The deployment '{doc['name']}' cannot be canceled: it is {_state(doc, now)}; only an "
                            "Accepted or Running deployment can be canceled.", code="DeploymentCannotBeCancelled",
                            http_status=409)
                    doc["canceled"] = now
                    table.truncate()
                    table.insert_multiple(docs)
                    return
        raise deployment_not_found(resource_group, name)

    def delete(self, resource_group: str, name: str) -> None:
        """Remove a finished deployment from the history (the resources it made stay)."""
        key = deployments_key(resource_group)
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            groups.require_group(txn, resource_group, now)
            table = txn.db(key).table("deployments")
            docs = [dict(d) for d in table.all()]
            kept = [d for d in docs if d["name"].lower() != name.lower()]
            if len(kept) == len(docs):
                raise deployment_not_found(resource_group, name)
            gone = next(d for d in docs if d["name"].lower() == name.lower())
            if _state(gone, now) in ("Accepted", "Running"):
                raise errors.AzureError(f"The deployment '{gone['name']}' is still running; cancel it first.",
                                        code="DeploymentActive", http_status=409)
            table.truncate()
            table.insert_multiple(kept)

    # --- export ------------------------------------------------------------------------

    def export_scale_set(self, resource_group: str, name: str) -> dict[str, Any]:
        """The scale set as a template that redeploys to the same thing (what the compute room keeps of it)."""
        kind = self.kinds.find("Microsoft.Compute/virtualMachineScaleSets")
        current = kind.read(resource_group, name) if kind is not None else None
        if current is None:
            raise errors.scale_set_not_found(resource_group, name)
        return arm_resources.exported_scale_set_template(current)


def _failed(error: Exception, now: float) -> Applied:
    body = error.to_body()["error"] if isinstance(error, (errors.AzureError, InvalidTemplate)) else {
        "code": "InternalError", "message": str(error)}
    return Applied(finish=now, status="Failed", error={k: body[k] for k in ("code", "message", "target", "details")
                                                       if body.get(k)}, status_code="BadRequest")


def _operation(operation_id: str, resource: Any, start: float, finish: float, applied: Applied,
               provisioning_operation: str) -> dict[str, Any]:
    if isinstance(resource, dict):
        target = resource
    else:
        target = {"id": resource.id, "type": resource.type, "name": resource.name}
    return {"id": operation_id, "target": target, "start": start, "finish": finish, "status": applied.status,
            "statusCode": applied.status_code, "error": applied.error, "operation": provisioning_operation}


_state = arm_resources.deployment_state
"""The deployment's provisioning state at a time, from its stored times."""


def _template_object(plan: Plan) -> dict[str, Any]:
    return plan.template if isinstance(plan.template, dict) else {}


def _printable_body(resource: PlannedResource) -> dict[str, Any]:
    shown = resource.printable()
    return {key: value for key, value in shown.items() if key not in ("id", "type", "name", "apiVersion", "dependsOn")}
