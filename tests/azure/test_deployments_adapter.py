"""The live adapter's deployments: ARM's wrapper errors keep their inner reasons in the one line a user reads, and
request bodies are ARM's `Deployment` shape (the round trips themselves are in tests/contract/test_deployments.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.resource.deployments")

from azure.core.exceptions import HttpResponseError  # noqa: E402
from azure.mgmt.core.exceptions import ARMErrorFormat  # noqa: E402

from vmss_tui.backends.azure.backend import _translate  # noqa: E402
from vmss_tui.backends.azure.deployments import (  # noqa: E402
    DeploymentOps,
    _translated,
    deployment_body,
)
from vmss_tui.domain import errors  # noqa: E402


class _Response:
    """What azure-core's HttpResponseError reads of a response."""

    status_code = 400
    reason = "Bad Request"
    headers: dict[str, str] = {}
    content_type = "application/json"
    request = None

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def json(self) -> dict[str, Any]:
        return self.body

    def text(self, encoding: str | None = None) -> str:
        return json.dumps(self.body)


class _Refused(DeploymentOps):
    _translate_error = staticmethod(lambda error, endpoint: _translate(error, endpoint))

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    @_translated
    def validate(self) -> None:
        raise HttpResponseError(response=_Response(self.body), error_format=ARMErrorFormat)


def test_an_invalid_template_deployment_names_its_inner_errors() -> None:
    body = {"error": {"code": "InvalidTemplateDeployment",
                      "message": "The template deployment 'web' is not valid according to the validation procedure. "
                                 "See inner errors for details.",
                      "details": [{"code": "ValidationForResourceFailed", "message": "Validation failed.",
                                   "details": [{"code": "SkuNotAvailable",
                                                "message": "The requested size Standard_A2 is not available."}]},
                                  {"code": "RequestDisallowedByPolicy", "message": "Denied by policy 'no-a'."}]}}
    with pytest.raises(errors.AzureError) as refused:
        _Refused(body).validate()
    assert refused.value.code == "InvalidTemplateDeployment" and refused.value.http_status == 400
    assert str(refused.value) == (
        "(InvalidTemplateDeployment) The template deployment 'web' is not valid according to the validation "
        "procedure. See inner errors for details. Inner errors: (SkuNotAvailable) The requested size Standard_A2 "
        "is not available. (RequestDisallowedByPolicy) Denied by policy 'no-a'.")
    assert refused.value.details[1]["code"] == "RequestDisallowedByPolicy"


def test_an_error_without_details_is_azures_line_as_it_is() -> None:
    body = {"error": {"code": "DeploymentActive", "message": "Unable to edit or replace deployment 'web'."}}
    with pytest.raises(errors.AzureError) as refused:
        _Refused(body).validate()
    assert str(refused.value) == "(DeploymentActive) Unable to edit or replace deployment 'web'."


def test_the_body_is_arms_deployment_shape() -> None:
    text = '{\n  // a comment ARM accepts\n  "resources": []\n}'
    body = deployment_body(text, {"count": 3, "name": {"value": "web"}}, "Complete")
    assert body == {"properties": {"template": {"resources": []}, "mode": "Complete",
                                   "parameters": {"count": {"value": 3}, "name": {"value": "web"}}}}
    with pytest.raises(errors.AzureError) as broken:
        deployment_body('{"resources": [', None, "Incremental")
    assert broken.value.code == "InvalidTemplate" and broken.value.nothing_sent
    with pytest.raises(errors.InvalidParameter):
        deployment_body("{}", None, "Sideways")
