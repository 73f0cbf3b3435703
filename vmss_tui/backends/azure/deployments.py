"""The live adapter's Deployments capability: ARM template deployments through azure-mgmt-resource-deployments.

A mixin of `AzureBackend` (which supplies the credential, the endpoint options, read-only refusal and error
translation). Bodies go out as ARM's `Deployment` / `DeploymentWhatIf` JSON and come back as the SDK's models,
whose `as_dict()` is the JSON ARM sent (`DeploymentExtended`, `DeploymentOperation`, `WhatIfOperationResult`):
the same dicts the emulator's deployments room returns, so the commands and the TUI read both alike.

`deploy` sends the PUT and returns ARM's first answer (Accepted or Running) without polling; `wait_deployment`
polls the deployment itself, as `az deployment group create` does. `azure.*` is imported on first use only.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any, Callable, Mapping, TypeVar

from ...arm import resources as arm_resources
from ...domain import errors, names

ReturnType = TypeVar("ReturnType")

TERMINAL_STATES = ("Succeeded", "Failed", "Canceled")
"""Where a deployment's provisioningState stops moving."""
EXPORT_KEPT_TOP_LEVEL = ("identity", "plan", "extendedLocation")
"""Top-level members of a live set the exported template carries besides location, sku, tags and zones (the
emulator models none of them; a redeploy without them would take them away, as ARM's PUT replaces)."""
INNER_ERRORS_SHOWN = 5
"""How many inner errors of an InvalidTemplateDeployment / DeploymentFailed the one-line message names."""


def _inner_errors(details: Any) -> list[str]:
    """`(code) message` of each innermost error, depth first (ARM nests the real reason under its wrapper codes)."""
    found: list[str] = []
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, Mapping):
            continue
        deeper = _inner_errors(detail.get("details"))
        message = str(detail.get("message") or "").strip()
        found += deeper or [f"({detail.get('code')}) {message}" + ("" if message.endswith(".") else ".")]
    return found


def _joined(inner: list[str]) -> str:
    """The first `INNER_ERRORS_SHOWN` inner errors in one line, and how many more there are."""
    more = len(inner) - INNER_ERRORS_SHOWN
    return " ".join(inner[:INNER_ERRORS_SHOWN]) + (f" (and {more} more)" if more > 0 else "")


def _error_body(error: BaseException) -> dict[str, Any] | None:
    """ARM's `{"error": {...}}` of a failed response, if it has one."""
    response = getattr(error, "response", None)
    try:
        body = response.json() if response is not None else None
    except Exception:  # a non-JSON error body
        return None
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else None


def _translated(function: Callable[..., ReturnType]) -> Callable[..., ReturnType]:
    """SDK errors become domain errors with Azure's code; a wrapper code (InvalidTemplateDeployment, ...) also
    names its inner errors, which carry the reason."""

    @functools.wraps(function)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> ReturnType:
        try:
            return function(self, *args, **kwargs)
        except errors.AzureError:
            raise
        except Exception as error:
            translated = self._translate_error(error, getattr(self, "endpoint", None))
            body = _error_body(error)
            if body is not None and isinstance(body.get("details"), list) and body["details"]:
                translated.details = tuple(d for d in body["details"] if isinstance(d, dict))
                inner = _inner_errors(body["details"])
                if inner:
                    translated.message = f"{translated.message} Inner errors: {_joined(inner)}"
                    translated.args = (translated.message,)
            raise translated from error

    return wrapper


def template_object(template: Any) -> dict[str, Any]:
    """The template as the JSON object ARM's body carries: a dict as it is, text read as ARM reads it (comments
    allowed); a template that is not JSON is InvalidTemplate with its line and position, before anything is sent."""
    if isinstance(template, Mapping):
        return dict(template)
    from ...domain.templates.source import read_json  # the template reader, on first use

    if not isinstance(template, str):
        raise errors.InvalidParameter("The template must be JSON text or a JSON object.", target="template")
    try:
        value = read_json(template).value
    except errors.AzureError as error:
        error.nothing_sent = True
        raise
    if not isinstance(value, dict):
        refused = errors.AzureError("Deployment template validation failed: the template must be a JSON object.",
                                    code="InvalidTemplate", http_status=400)
        refused.nothing_sent = True
        raise refused
    return value


def parameter_values(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each parameter in ARM's `{"value": ...}` shape (a value already in that shape, or a Key Vault
    `reference`, goes as it is)."""
    shaped: dict[str, Any] = {}
    for name, value in (parameters or {}).items():
        if isinstance(value, Mapping) and ("value" in value or "reference" in value) \
                and set(value) <= {"value", "reference", "metadata"}:
            shaped[name] = dict(value)
        else:
            shaped[name] = {"value": value}
    return shaped


def deployment_body(template: Any, parameters: Mapping[str, Any] | None, mode: str) -> dict[str, Any]:
    """ARM's `Deployment` body (properties.template, parameters, mode)."""
    if mode not in ("Incremental", "Complete"):
        raise errors.InvalidParameter(f"The deployment mode '{names.shown(str(mode))}' is not valid: use "
                                      "Incremental or Complete.", target="mode")
    return {"properties": {"template": template_object(template), "parameters": parameter_values(parameters),
                           "mode": mode}}


def _json(model: Any) -> dict[str, Any]:
    """A model of the SDK as the JSON ARM sent (these models keep the wire's own names)."""
    if model is None:
        return {}
    return model.as_dict() if hasattr(model, "as_dict") else dict(model)


class DeploymentOps:
    """`Deployments` for the live adapter (mixed into AzureBackend)."""

    subscription_id: str
    endpoint: Any
    _credential: Any
    _client: Any
    _lock: Any
    _resource_client_options: dict[str, Any]
    _remote_poll_seconds: float
    _observe_response: Callable[[Any], None]
    _refuse_if_read_only: Callable[[str], None]
    _translate_error: Callable[[BaseException, Any], errors.AzureError]
    _deployments_client_instance: Any = None

    def _deployments(self) -> Any:
        """azure-mgmt-resource-deployments' client on the adapter's credential, endpoint and timeouts."""
        with self._lock:
            if self._deployments_client_instance is None:
                from azure.mgmt.resource.deployments import DeploymentsMgmtClient

                options = {key: value for key, value in self._resource_client_options.items() if value is not None}
                self._deployments_client_instance = DeploymentsMgmtClient(
                    self._credential, self.subscription_id, raw_response_hook=self._observe_response, **options)
            return self._deployments_client_instance

    @staticmethod
    def _names(resource_group: str, name: str | None = None) -> None:
        """Azure's name rules before anything is sent."""
        names.validate_resource_group_name(resource_group)
        if name is not None:
            arm_resources.validate_deployment_name(name)

    @_translated
    def deploy(self, resource_group: str, name: str, template: Any, parameters: dict[str, Any] | None = None, *,
               mode: str = "Incremental", **_ignored: Any) -> dict[str, Any]:
        """PUT the deployment; ARM's first answer (it checks the template first: InvalidTemplate changes nothing)."""
        self._names(resource_group, name)
        body = deployment_body(template, parameters, mode)
        self._refuse_if_read_only("deploy")
        poller = self._deployments().deployments.begin_create_or_update(resource_group, name, body, polling=False)
        return _json(poller.result())

    @_translated
    def validate_deployment(self, resource_group: str, name: str, template: Any,
                            parameters: dict[str, Any] | None = None, *, mode: str = "Incremental",
                            **_ignored: Any) -> dict[str, Any]:
        """ARM's preflight (`POST .../validate`); a result that carries an error is raised as that error."""
        self._names(resource_group, name)
        body = deployment_body(template, parameters, mode)
        result = _json(self._deployments().deployments.begin_validate(resource_group, name, body).result())
        problem = result.get("error")
        if isinstance(problem, dict) and problem.get("code"):
            from ...arm import errors as arm_errors

            failed = arm_errors.domain_error(400, str(problem["code"]), str(problem.get("message") or ""),
                                             target=problem.get("target"))
            inner = _inner_errors(problem.get("details"))
            if inner:
                failed.message = f"{failed.message} Inner errors: {_joined(inner)}"
                failed.args = (failed.message,)
            raise failed
        return result

    @_translated
    def what_if_deployment(self, resource_group: str, name: str, template: Any,
                           parameters: dict[str, Any] | None = None, *, mode: str = "Incremental",
                           result_format: str = "FullResourcePayloads", **_ignored: Any) -> dict[str, Any]:
        """`POST .../whatIf` followed to its result (`WhatIfOperationResult`); nothing changes."""
        self._names(resource_group, name)
        if result_format.lower() not in ("fullresourcepayloads", "resourceidonly"):
            raise errors.InvalidParameter(f"The what-if result format '{names.shown(str(result_format))}' is not "
                                          "valid: use FullResourcePayloads or ResourceIdOnly.", target="resultFormat")
        body = deployment_body(template, parameters, mode)
        body["properties"]["whatIfSettings"] = {
            "resultFormat": "ResourceIdOnly" if result_format.lower() == "resourceidonly" else "FullResourcePayloads"}
        result = _json(self._deployments().deployments.begin_what_if(resource_group, name, body).result())
        problem = result.get("error")
        if isinstance(problem, dict) and problem.get("code"):
            from ...arm import errors as arm_errors

            raise arm_errors.domain_error(400, str(problem["code"]), str(problem.get("message") or ""),
                                          target=problem.get("target"))
        return result

    @_translated
    def get_deployment(self, resource_group: str, name: str) -> dict[str, Any]:
        self._names(resource_group, name)
        return _json(self._deployments().deployments.get(resource_group, name))

    @_translated
    def list_deployments(self, resource_group: str) -> list[dict[str, Any]]:
        """A group's deployments, newest first (ARM's list has no order of its own)."""
        self._names(resource_group)
        found = [_json(item) for item in self._deployments().deployments.list_by_resource_group(resource_group)]
        return sorted(found, key=lambda body: str((body.get("properties") or {}).get("timestamp") or ""),
                      reverse=True)

    @_translated
    def list_deployment_operations(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        self._names(resource_group, name)
        return [_json(item) for item in self._deployments().deployment_operations.list(resource_group, name)]

    def wait_deployment(self, resource_group: str, name: str, timeout: float | None = None) -> dict[str, Any]:
        """Poll the deployment until it has ended, or until `timeout` seconds have passed."""
        started = time.monotonic()
        while True:
            body = self.get_deployment(resource_group, name)
            if (body.get("properties") or {}).get("provisioningState") in TERMINAL_STATES:
                return body
            if timeout is not None and time.monotonic() - started >= timeout:
                return body
            time.sleep(max(0.05, self._remote_poll_seconds))

    @_translated
    def cancel_deployment(self, resource_group: str, name: str) -> None:
        self._names(resource_group, name)
        self._refuse_if_read_only("deployment cancel")
        self._deployments().deployments.cancel(resource_group, name)

    @_translated
    def delete_deployment(self, resource_group: str, name: str) -> None:
        """Remove the deployment from the history (its resources stay). ARM answers 204 for one it does not have;
        the emulator's room says DeploymentNotFound, so the adapter looks first and says the same."""
        self._names(resource_group, name)
        self._refuse_if_read_only("deployment delete")
        client = self._deployments().deployments
        if not client.check_existence(resource_group, name):
            raise arm_resources.deployment_not_found(resource_group, name)
        client.begin_delete(resource_group, name).result()

    @_translated
    def export_scale_set_template(self, resource_group: str, name: str) -> dict[str, Any]:
        """The set as a template that redeploys to it, built the way the emulator builds it: the set's GET body
        without what the REST spec marks read-only (the SDK's own list), plus identity, plan and extended
        location when the set has them. ARM's own `exportTemplate` is not used: it names every referenced
        resource as a parameter and needs the group's other resources to make sense of them."""
        names.validate_resource_group_name(resource_group)
        names.validate_scale_set_name(name)
        model = self._client.virtual_machine_scale_sets.get(resource_group, name)
        body = model.as_dict(exclude_readonly=True)
        full = model.as_dict()
        body.setdefault("name", full.get("name", name))
        body.setdefault("type", full.get("type", "Microsoft.Compute/virtualMachineScaleSets"))
        template = arm_resources.exported_scale_set_template(body)
        resource = template["resources"][0]
        for key in EXPORT_KEPT_TOP_LEVEL:
            if body.get(key):
                resource[key] = json.loads(json.dumps(body[key]))
        return template
