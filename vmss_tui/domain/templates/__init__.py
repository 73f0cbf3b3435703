"""ARM templates as Azure Resource Manager reads them: the language, the checks, and a plan to deploy.

Pure: the only input is text (a template, a parameters file) and values; the deployment engine (the
`Microsoft.Resources/deployments` provider) calls `prepare` and later `Plan.render` / `Plan.outputs`
with its own `reference` callback. Nothing here does I/O or imports a backend.

    plan = prepare(template_text, {"vmssName": "myvmss", "instanceCount": 5, ...}, DeploymentContext(...))
    for level in plan.levels: ...          # ids that can be created in parallel, level after level
    plan.resources[0].id, .type, .api_version, .body, .depends_on
"""

from .engine import (
    PARAMETER_TYPES,
    DeploymentContext,
    OutputEvaluationFailed,
    ParameterValue,
    Plan,
    PlannedResource,
    parameter_from_text,
    prepare,
    read_parameters_text,
)
from .errors import DeploymentFailed, InvalidTemplate, InvalidTemplateDeployment
from .expressions import Deferred, ReferenceCallback, contains_deferred
from .hashing import arm_guid, unique_string
from .secure import MASK, SecureValue, contains_secret, masked, revealed, without_secrets

__all__ = [
    "MASK", "PARAMETER_TYPES", "Deferred", "DeploymentContext", "DeploymentFailed", "InvalidTemplate",
    "InvalidTemplateDeployment", "OutputEvaluationFailed", "ParameterValue", "Plan", "PlannedResource",
    "ReferenceCallback", "SecureValue", "arm_guid", "contains_deferred", "contains_secret", "masked",
    "parameter_from_text", "prepare", "read_parameters_text", "revealed", "unique_string", "without_secrets",
]
