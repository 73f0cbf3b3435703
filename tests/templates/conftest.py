"""Shared helpers for the template tests: a deployment context and the quickstart-shaped templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.domain.templates import DeploymentContext, Plan, prepare

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "templates"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def context() -> DeploymentContext:
    return DeploymentContext(SUBSCRIPTION, "my-rg", "westeurope", "dep1",
                             tenant_id="11111111-1111-1111-1111-111111111111")


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def template(resources: list[Any], **sections: Any) -> str:
    body: dict[str, Any] = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                            "contentVersion": "1.0.0.0", **sections, "resources": resources}
    return json.dumps(body, indent=2)


def evaluate(expression: Any, context: DeploymentContext, given: dict[str, Any] | None = None,
             **sections: Any) -> Any:
    """The value of one template value, read back from a resource property (so its type is kept)."""
    text = template([{"type": "Microsoft.Test/things", "name": "probe", "apiVersion": "2020-01-01",
                      "properties": {"value": expression}}], **sections)
    return prepare(text, given, context).resources[0].properties["value"]


def plan_of(text: str, context: DeploymentContext, parameters: dict[str, Any] | None = None) -> Plan:
    return prepare(text, parameters, context)
