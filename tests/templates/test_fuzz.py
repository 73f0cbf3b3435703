"""Whatever the template text, prepare() answers with a plan or one InvalidTemplate, never a crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmss_tui.domain.templates import DeploymentContext, InvalidTemplate, OutputEvaluationFailed, prepare
from vmss_tui.domain.templates.expressions import FUNCTIONS

from .conftest import fixture_text

CONTEXT = DeploymentContext("00000000-0000-0000-0000-000000000000", "my-rg", "westeurope", "fuzz")
TOKENS = sorted(FUNCTIONS) + ["(", ")", "[", "]", ",", ".", "'a'", "''", "'it''s'", "0", "-1", "9" * 30, "1.5",
                              "'Microsoft.Network/loadBalancers/'", "'x/y'", "parameters('p')", "variables('v')",
                              "copyIndex()", "'\x00'", "'\u202e'", " ", "name", "id", "[0]", "['k']"]
NAT = fixture_text("vmss-linux-nat.azuredeploy.json")
PARAMETERS = {"vmssName": "myvmss", "instanceCount": 5, "adminUsername": "azureuser", "adminPasswordOrKey": "k"}


def _probe(expression: str) -> str:
    return json.dumps({"parameters": {"p": {"type": "string", "defaultValue": "x"}}, "variables": {"v": [1, {"k": 2}]},
                       "resources": [{"type": "Microsoft.Test/things", "name": "probe", "apiVersion": "1",
                                      "properties": {"value": expression}}],
                       "outputs": {"o": {"type": "string", "value": expression}}})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=14))
def test_any_expression_gives_a_value_or_one_template_error(tokens: list[str]) -> None:
    expression = "[" + "".join(tokens) + "]"
    try:
        plan = prepare(_probe(expression), None, CONTEXT)
        plan.outputs(lambda target, api, full: {"x": 1})
    except (InvalidTemplate, OutputEvaluationFailed):
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(NAT) - 1), st.integers(0, 8), st.text(max_size=4))
def test_a_damaged_quickstart_template_gives_a_plan_or_one_template_error(at: int, cut: int, insert: str) -> None:
    text = NAT[:at] + insert + NAT[at + cut:]
    try:
        prepare(text, PARAMETERS, CONTEXT)
    except InvalidTemplate as error:
        assert error.message.startswith("Deployment template ")
