"""The errors Azure Resource Manager reports for a template, with its codes and message shapes.

ARM wraps what went wrong in one sentence and a fixed prefix: "Deployment template parse failed" when
the JSON itself is broken, "Deployment template validation failed" when the template or a parameter
breaks a rule, "Deployment template language expression evaluation failed" when an expression cannot
be evaluated. All are `InvalidTemplate` (400). Preflight failures of the resources themselves come back
as `InvalidTemplateDeployment` with the per-resource errors in `details`; runtime failures as
`DeploymentFailed` with one `ResourceDeploymentFailure` per failed resource. Sources and the exact
texts: docs/emulator-fidelity.md, "ARM templates (issue 15)".
"""

from __future__ import annotations

from typing import Any

from ..errors import AzureError

DOCS_EXPRESSIONS = "https://aka.ms/arm-template-expressions"
DOCS_TEMPLATE = "https://aka.ms/arm-template"
DOCS_PARAMETER_FILES = "https://aka.ms/resource-manager-parameter-files"
DOCS_DEPLOYMENT_OPERATIONS = "https://aka.ms/arm-deployment-operations"


class InvalidTemplate(AzureError):
    """400: the template, its JSON, an expression or a parameter value breaks ARM's rules.

    Nothing was deployed: ARM checks all of this before it touches a resource. It is Azure's answer (the
    emulator's deployments provider raises it as ARM would), so `nothing_sent` stays False; a command that
    checks a template locally before sending it may set it on the error it shows."""

    code = "InvalidTemplate"
    http_status = 400
    place: tuple[int, int, str] | None = None
    """(line, column, JSON path) of what is wrong; ARM reports it as `additionalInfo` of type TemplateViolation."""

    def to_body(self) -> dict[str, Any]:
        """ARM's body, with the TemplateViolation entry ARM adds (zeros and an empty path when it has no place)."""
        body = super().to_body()
        line, column, path = self.place or (0, 0, "")
        body["error"]["additionalInfo"] = [{"type": "TemplateViolation",
                                            "info": {"lineNumber": line, "linePosition": column, "path": path}}]
        return body


def placed(error: InvalidTemplate, place: tuple[int, int, str] | None) -> InvalidTemplate:
    """`error` with the template place it is about (kept when it already has one)."""
    if place is not None and error.place is None:
        error.place = place
    return error


def parse_failed(reason: str, place: tuple[int, int, str] | None = None) -> InvalidTemplate:
    """The JSON text is not a JSON document (Newtonsoft's own words inside ARM's prefix)."""
    return placed(InvalidTemplate(f"Deployment template parse failed: '{reason}'."), place)


def validation_failed(reason: str, docs: str = DOCS_TEMPLATE,
                      place: tuple[int, int, str] | None = None) -> InvalidTemplate:
    """A rule of the template language is broken (segment lengths, a cycle, a parameter value)."""
    sentence = reason if reason.endswith(".") else reason + "."
    return placed(InvalidTemplate(f"Deployment template validation failed: '{sentence} Please see {docs} for usage "
                                  "details.'."), place)


def expression_failed(reason: str) -> InvalidTemplate:
    """An expression could not be evaluated (an unknown function, a wrong type, a missing property).

    `located()` later names the resource, variable or parameter it sits in, as ARM's message does."""
    sentence = reason if reason.endswith(".") else reason + "."
    error = InvalidTemplate("Deployment template language expression evaluation failed: "
                            f"'{sentence} Please see {DOCS_EXPRESSIONS} for usage details.'.")
    error.reason = reason.rstrip(".")  # type: ignore[attr-defined]
    return error


def located(error: InvalidTemplate, where: str, place: tuple[int, int, str] | None = None) -> InvalidTemplate:
    """ARM's "The template resource 'x' at line 'L' and column 'C' is not valid: ..." around an expression error.

    Only the innermost place names it (a variable used by a resource is named, not the resource)."""
    reason = getattr(error, "reason", None)
    if reason is None:
        return error
    wrapped = InvalidTemplate(f"Deployment template validation failed: '{where} is not valid: {reason}. "
                              f"Please see {DOCS_EXPRESSIONS} for usage details.'.")
    return placed(wrapped, place)


class InvalidTemplateDeployment(AzureError):
    """400: preflight refused the deployment; `details` holds one `{code, message, target?}` per reason."""

    code = "InvalidTemplateDeployment"
    http_status = 400

    @classmethod
    def for_deployment(cls, deployment_name: str, tracking_id: str,
                       details: list[dict[str, Any]]) -> "InvalidTemplateDeployment":
        """ARM's text: the deployment is not valid according to the validation procedure."""
        return cls(f"The template deployment '{deployment_name}' is not valid according to the validation "
                   f"procedure. The tracking id is '{tracking_id}'. See inner errors for details.",
                   details=tuple(details))


class DeploymentFailed(AzureError):
    """A deployment ran and at least one resource operation failed; `details` has one entry per failure."""

    code = "DeploymentFailed"
    http_status = 400

    @classmethod
    def from_failures(cls, deployment_id: str, failures: list[tuple[str, dict[str, Any]]]) -> "DeploymentFailed":
        """`failures` is (resource id, the provider's error `{code, message}`) for each failed resource."""
        details = tuple({"code": "ResourceDeploymentFailure", "target": resource_id,
                         "message": "The resource operation completed with terminal provisioning state 'Failed'.",
                         "details": [error]} for resource_id, error in failures)
        return cls("At least one resource deployment operation failed. Please list deployment operations for "
                   f"details. Please see {DOCS_DEPLOYMENT_OPERATIONS} for usage details.",
                   target=deployment_id, details=details)
