"""Microsoft.Resources/deployments: PUT, GET, list, validate, whatIf (LRO), operations, cancel, delete.

What `az deployment group create/validate/what-if`, `az deployment operation group list` and `az vmss create`
(which deploys a template named `vmss_deploy_*`) call. Bodies come from the backend's `Deployments`
capability already in ARM's shape (`vmss_tui.arm.resources`); this module parses requests and adds the
long-running-operation headers: a PUT answers 201 with `Azure-AsyncOperation` pointing at
`.../deployments/{name}/operationStatuses/{id}`, a whatIf answers 202 with a `Location` to read the result from.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ...backends.protocol import Deployments
from ...domain import errors
from .. import validation
from ..routing import RG, Request, Response, Route
from .resources import require_group

if TYPE_CHECKING:
    from ..app import ArmApp

DEPLOYMENTS = RG + r"/providers/Microsoft\.Resources/deployments"
DEPLOYMENT = DEPLOYMENTS + r"/(?P<name>[^/]+)"
LEGACY_DEPLOYMENT = RG + r"/deployments/(?P<name>[^/]+)"
"""The operations' path in Azure's REST spec (DeploymentOperations_List/_Get): no providers segment."""
RETRY_AFTER_SECONDS = 1
WHAT_IF_RESULTS_KEPT = 64
_what_if_results: "OrderedDict[str, dict[str, Any]]" = OrderedDict()
_what_if_lock = threading.Lock()


AZ_TEMPLATE_SPLICE = ", template:"
"""azure-cli's JsonCTemplatePolicy (command_modules/resource/custom.py) sends the template file's own text spliced
into the body: `json.dumps(body without template)[:-2] + ", template:" + text + "}}"`, JSONC that ARM reads."""


SPLICE_TRIES = 8
"""Places tried for the splice (a parameter value may hold the same text); a bounded number keeps a 4 MB body
full of them one parse each, not thousands."""


def parse_deployment_body(raw: bytes) -> Any:
    """The body as `validation.parse_body` reads it, or az's spliced JSONC: the template then stays its own text
    (comments and all), which the template engine reads with the file's own lines and columns."""
    try:
        return validation.parse_body(raw)
    except errors.AzureError as refused:
        if len(raw) > validation.MAX_BODY_BYTES:
            raise
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise refused from None
        start = text.find(AZ_TEMPLATE_SPLICE)
        tries = 0
        while start != -1 and text.rstrip().endswith("}}") and tries < SPLICE_TRIES:
            tries += 1
            try:
                head = validation.parse_body((text[:start] + "}}").encode("utf-8"))
            except errors.AzureError:
                head = None
            if isinstance(head, dict) and isinstance(head.get("properties"), dict) and len(head) == 1:
                head["properties"]["template"] = text[start + len(AZ_TEMPLATE_SPLICE):text.rstrip().rfind("}}")]
                return head
            start = text.find(AZ_TEMPLATE_SPLICE, start + 1)
        raise refused from None


def _capability(app: ArmApp) -> Deployments:
    if not isinstance(app.backend, Deployments):
        raise errors.AzureError("This endpoint's backend does not deploy templates.", code="NotSupported",
                                http_status=400)
    return app.backend


def _request(request: Request) -> tuple[Any, dict[str, Any] | None, str]:
    """(template, parameters, mode) of a deployment body (`DeploymentProperties`)."""
    body = request.body
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        raise errors.AzureError("The request content was invalid and could not be deserialized: 'properties' is "
                                "required.", code="InvalidRequestContent", http_status=400)
    template = properties.get("template")
    if template is None:
        link = "templateLink" if properties.get("templateLink") else "template"
        raise errors.AzureError(
            f"The deployment has no inline 'template'{' (the emulator does not fetch a templateLink)' if link == 'templateLink' else ''}: "
            "pass the template itself (az: --template-file).", code="InvalidRequestContent", http_status=400)
    if not isinstance(template, (dict, str)):
        raise errors.AzureError("The deployment's 'template' must be a JSON object.", code="InvalidRequestContent",
                                http_status=400)
    if properties.get("parametersLink"):
        raise errors.AzureError("The emulator does not fetch a parametersLink: pass the parameters themselves.",
                                code="InvalidRequestContent", http_status=400)
    parameters = properties.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise errors.AzureError("The deployment's 'parameters' must be a JSON object.", code="InvalidRequestContent",
                                http_status=400)
    mode = properties.get("mode") or "Incremental"
    if not isinstance(mode, str):
        raise errors.InvalidParameter("The deployment mode must be Incremental or Complete.", target="mode")
    canonical = {"incremental": "Incremental", "complete": "Complete"}.get(mode.lower(), mode)
    return template, parameters, canonical


def _versions() -> dict[str, tuple[str, ...]]:
    return {"Microsoft.Compute/virtualMachineScaleSets": validation.COMPUTE_API_VERSIONS,
            "Microsoft.Compute/virtualMachines": validation.COMPUTE_API_VERSIONS}


def _status_url(request: Request, sub: str, rg: str, name: str, correlation: str) -> str:
    query = urlencode({"api-version": request.api_version})
    return (f"{request.base_url}/subscriptions/{sub}/resourceGroups/{quote(rg, safe='')}/providers/"
            f"Microsoft.Resources/deployments/{quote(name, safe='')}/operationStatuses/{correlation}?{query}")


def put_deployment(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    """`az deployment group create`: 201 (Accepted) with Azure-AsyncOperation; GET shows it run."""
    backend = _capability(app)
    template, parameters, mode = _request(request)
    body = app.call(backend.deploy, rg, name, template, parameters, mode=mode,
                    provider_api_versions=_versions())
    headers = {"Azure-AsyncOperation": _status_url(request, sub, rg, name, body["properties"]["correlationId"]),
               "Retry-After": str(RETRY_AFTER_SECONDS)}
    return Response(201, body, headers)


def get_deployment(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    return Response(200, app.call(_capability(app).get_deployment, rg, name))


def head_deployment(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    """`az deployment group exists`-style check: 204 when it exists, 404 when not."""
    try:
        app.call(_capability(app).get_deployment, rg, name)
    except errors.ResourceNotFound:
        return Response(404)
    return Response(204)


def delete_deployment(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    """Removes the deployment from the history (its resources stay): 204 No Content, done at once, as Azure's REST
    spec allows (Deployments_Delete answers 202 or 204; 200 is not among them and the SDK refuses it); 204 too
    when there was none."""
    try:
        app.call(_capability(app).delete_deployment, rg, name)
    except errors.ResourceNotFound as exc:
        if exc.code != "DeploymentNotFound":
            raise
    return Response(204)


def list_deployments(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    require_group(app, rg)
    return app.page(request, app.call(_capability(app).list_deployments, rg))


def deployment_status(app: ArmApp, request: Request, sub: str, rg: str, name: str, correlation: str) -> Response:
    """The PUT's Azure-AsyncOperation: `{"status": ...}` from the deployment's state now, with its error."""
    body = app.call(_capability(app).get_deployment, rg, name)
    properties = body["properties"]
    if properties.get("correlationId") != correlation:
        raise errors.ResourceNotFound(f"The operation '{correlation}' was not found.", target=correlation)
    state = properties["provisioningState"]
    answer: dict[str, Any] = {"status": state}
    if state == "Failed" and properties.get("error"):
        answer["error"] = properties["error"]
    headers = {} if state in ("Succeeded", "Failed", "Canceled") else {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return Response(200, answer, headers)


def list_operations(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    return app.page(request, app.call(_capability(app).list_deployment_operations, rg, name))


def get_operation(app: ArmApp, request: Request, sub: str, rg: str, name: str, op: str) -> Response:
    for row in app.call(_capability(app).list_deployment_operations, rg, name):
        if row["operationId"] == op:
            return Response(200, row)
    raise errors.ResourceNotFound(f"Deployment operation '{op}' could not be found.",
                                  code="DeploymentOperationNotFound", target=op)


def validate_deployment(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    """`az deployment group validate`: 200 with the validated resources, or ARM's 400."""
    template, parameters, mode = _request(request)
    body = app.call(_capability(app).validate_deployment, rg, name, template, parameters, mode=mode,
                    provider_api_versions=_versions())
    return Response(200, body)


def what_if(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    """`az deployment group what-if`: 202 with a Location where the result waits (the result is computed now)."""
    template, parameters, mode = _request(request)
    settings = request.body["properties"].get("whatIfSettings") or {}
    result_format = settings.get("resultFormat") if isinstance(settings, dict) else None
    result = app.call(_capability(app).what_if_deployment, rg, name, template, parameters, mode=mode,
                      provider_api_versions=_versions(), result_format=str(result_format or "FullResourcePayloads"))
    result_id = str(uuid.uuid4())
    with _what_if_lock:
        _what_if_results[result_id] = result
        while len(_what_if_results) > WHAT_IF_RESULTS_KEPT:
            _what_if_results.popitem(last=False)
    query = urlencode({"api-version": request.api_version})
    location = (f"{request.base_url}/subscriptions/{sub}/resourceGroups/{quote(rg, safe='')}/providers/"
                f"Microsoft.Resources/deployments/{quote(name, safe='')}/whatIfOperationResults/{result_id}?{query}")
    return Response(202, None, {"Location": location, "Retry-After": "0"})


def what_if_result(app: ArmApp, request: Request, sub: str, rg: str, name: str, result_id: str) -> Response:
    with _what_if_lock:
        result = _what_if_results.get(result_id)
    if result is None:
        raise errors.ResourceNotFound(f"The what-if result '{result_id}' was not found (results are kept for the "
                                      "last 64 requests).", target=result_id)
    return Response(200, result)


def cancel_deployment(app: ArmApp, request: Request, sub: str, rg: str, name: str) -> Response:
    app.call(_capability(app).cancel_deployment, rg, name)
    return Response(204)


_KIND = "resourceGroups"  # Microsoft.Resources' api-versions (routing.RESOURCES_TYPES)

ROUTES = [
    Route(DEPLOYMENTS, {"GET": list_deployments}, resource_type=_KIND),
    Route(DEPLOYMENT, {"GET": get_deployment, "PUT": put_deployment, "DELETE": delete_deployment,
                       "HEAD": head_deployment}, resource_type=_KIND),
    Route(DEPLOYMENT + r"/operationStatuses/(?P<correlation>[^/]+)", {"GET": deployment_status}, resource_type=_KIND),
    Route(DEPLOYMENT + r"/operations", {"GET": list_operations}, resource_type=_KIND),
    Route(DEPLOYMENT + r"/operations/(?P<op>[^/]+)", {"GET": get_operation}, resource_type=_KIND),
    Route(LEGACY_DEPLOYMENT + r"/operations", {"GET": list_operations}, resource_type=_KIND),
    Route(LEGACY_DEPLOYMENT + r"/operations/(?P<op>[^/]+)", {"GET": get_operation}, resource_type=_KIND),
    Route(DEPLOYMENT + r"/validate", {"POST": validate_deployment}, resource_type=_KIND),
    Route(DEPLOYMENT + r"/whatIf", {"POST": what_if}, resource_type=_KIND),
    Route(DEPLOYMENT + r"/whatIfOperationResults/(?P<result_id>[^/]+)", {"GET": what_if_result},
          resource_type=_KIND),
    Route(DEPLOYMENT + r"/cancel", {"POST": cancel_deployment}, resource_type=_KIND),
]
for _route in ROUTES:
    _route.parse_body = parse_deployment_body  # type: ignore[attr-defined]  # app.py reads it when a route has one
