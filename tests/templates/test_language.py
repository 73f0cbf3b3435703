"""The expression language as ARM evaluates it (Microsoft Learn template-syntax and template-functions pages)."""

from __future__ import annotations

import pytest

from vmss_tui.domain.templates import DeploymentContext, InvalidTemplate, SecureValue, masked, prepare

from .conftest import SUBSCRIPTION, evaluate, template

RG_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/my-rg"


@pytest.mark.parametrize(("value", "expected"), [
    ("plain text", "plain text"),
    ("[[not an expression]", "[not an expression]"),
    ("text [concat('a')]", "text [concat('a')]"),
    ("['it''s']", "it's"),
    ("[json('null')]", None),
    ("[add(2, 3)]", 5),
    ("[json('{\"a\": [1, 2]}')]", {"a": [1, 2]}),
    ("[json('{\"a\": [1, 2]}').a[1]]", 2),
    ("[createObject('Key', 'v')['key']]", "v"),
    ("[equals(1, 1)]", True),
    ("[true()]", True),
    ("[not(false())]", True),
    ("[concat('a', 1, 'b')]", "a1b"),
    ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
    ("[toUpper('ab')]", "AB"),
    ("[substring('abcdef', 2, 3)]", "cde"),
    ("[substring('abcdef', 2)]", "cdef"),
    ("[length(createArray(1, 2, 3))]", 3),
    ("[length('four')]", 4),
    ("[if(equals(1, 2), 'yes', 'no')]", "no"),
    ("[if(true(), 'safe', substring('ab', 5, 1))]", "safe"),
    ("[string(true())]", "True"),
    ("[string(createObject('a', 1))]", '{"a":1}'),
    ("[int('42')]", 42),
    ("[bool('TRUE')]", True),
    ("[empty('')]", True),
    ("[empty(createArray())]", True),
    ("[contains('abc', 'b')]", True),
    ("[contains(createObject('Name', 1), 'name')]", True),
    ("[split('a,b;c', createArray(',', ';'))]", ["a", "b", "c"]),
    ("[replace('a-b-c', '-', '')]", "abc"),
    ("[trim('  x  ')]", "x"),
    ("[format('{0}-{1:D3}', 'vm', 7)]", "vm-007"),
    ("[padLeft('7', 3, '0')]", "007"),
    ("[union(createObject('a', 1, 'b', createObject('x', 1)), createObject('b', createObject('y', 2)))]",
     {"a": 1, "b": {"x": 1, "y": 2}}),
    ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
    ("[first(createArray('x', 'y'))]", "x"),
    ("[last('xyz')]", "z"),
    ("[sub(10, 4)]", 6),
    ("[mul(3, 4)]", 12),
    ("[div(-7, 2)]", -3),
    ("[mod(-7, 2)]", -1),
    ("[less(1, 2)]", True),
    ("[greaterOrEquals('b', 'a')]", True),
    ("[resourceGroup().name]", "my-rg"),
    ("[resourceGroup().id]", RG_ID),
    ("[resourceGroup().location]", "westeurope"),
    ("[subscription().subscriptionId]", SUBSCRIPTION),
    ("[subscription().tenantId]", "11111111-1111-1111-1111-111111111111"),
    ("[deployment().name]", "dep1"),
    ("[RESOURCEGROUP().NAME]", "my-rg"),
    ("[resourceId('Microsoft.Network/loadBalancers/', 'lb1')]",
     f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb1"),
    ("[resourceId('Microsoft.Network/loadBalancers/inboundNatPools/', 'lb1', 'pool')]",
     f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb1/inboundNatPools/pool"),
    ("[resourceId('other-rg', 'Microsoft.Network/virtualNetworks', 'v')]",
     f"/subscriptions/{SUBSCRIPTION}/resourceGroups/other-rg/providers/Microsoft.Network/virtualNetworks/v"),
    ("[resourceId('sub2', 'rg2', 'Microsoft.Network/virtualNetworks', 'v')]",
     "/subscriptions/sub2/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v"),
])
def test_expressions_evaluate_as_arm_does_and_keep_their_type(value: object, expected: object,
                                                               context: DeploymentContext) -> None:
    result = evaluate(value, context)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("value", "message"), [
    ("[concat('a']", "Unable to parse language expression 'concat('a'': expected token 'RightParenthesis' and "
                    "actual 'EndOfData'"),
    ("[noSuchFunction()]", "The template function 'noSuchFunction' is not valid"),
    ("[substring('abc', 1, 5)]", "The index and length parameters must refer to a location within the string. "
                                 "The index parameter: '1', the length parameter: '5', the length of the string "
                                 "parameter: '3'"),
    ("[toLower(1)]", "The template language function 'toLower' expects its parameter to be of type 'String'. "
                     "The provided value is of type 'Integer'"),
    ("[resourceGroup().nope]", "The language expression property 'nope' doesn't exist, available properties are "
                               "'id, name, type, location, tags, properties'"),
    ("[createArray(1)[3]]", "The language expression property array index '3' is out of bounds"),
    ("[copyIndex()]", "The template function 'copyIndex' is not expected at this location"),
    ("[newGuid()]", "The template function 'newGuid' is not expected at this location"),
    ("[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb1')]",
     "the type 'Microsoft.Network/loadBalancers/inboundNatPools' requires '2' resource name argument(s)"),
])
def test_bad_expressions_fail_with_arms_words(value: str, message: str, context: DeploymentContext) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        evaluate(value, context)
    assert caught.value.code == "InvalidTemplate" and caught.value.http_status == 400
    assert message in caught.value.message
    assert caught.value.message.startswith("Deployment template validation failed: 'The template resource 'probe' at "
                                           "line '5' and column '5' is not valid: ")
    assert caught.value.message.endswith("Please see https://aka.ms/arm-template-expressions for usage details.'.")


def test_an_expression_error_names_the_variable_or_parameter_it_sits_in(context: DeploymentContext) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        evaluate("[variables('outer')]", context, variables={"outer": "[variables('inner')]",
                                                             "inner": "[toLower(1)]"})
    assert caught.value.message.startswith("Deployment template validation failed: 'The template variable 'inner' is "
                                           "not valid: The template language function 'toLower' expects")
    with pytest.raises(InvalidTemplate) as caught:
        evaluate("x", context, parameters={"p": {"type": "string", "defaultValue": "[variables('v')]"}},
                 variables={"v": "x"})
    assert "The template parameter 'p' at line '5' and column '10' is not valid: The template function " \
           "'variables' is not expected at this location" in caught.value.message


def test_variables_use_each_other_in_any_order_and_a_cycle_is_refused(context: DeploymentContext) -> None:
    variables = {"full": "[concat(variables('prefix'), '-', variables('suffix'))]", "prefix": "[toLower('WEB')]",
                 "suffix": "[string(variables('count'))]", "count": 3}
    assert evaluate("[variables('full')]", context, variables=variables) == "web-3"
    with pytest.raises(InvalidTemplate, match="The template variable 'a' is not valid: it refers to itself"):
        evaluate("x", context, variables={"a": "[variables('b')]", "b": "[variables('a')]"})


def test_variable_copy_loops_build_arrays(context: DeploymentContext) -> None:
    variables = {"copy": [{"name": "disks", "count": 3, "input": {"lun": "[copyIndex('disks')]",
                                                                   "name": "[concat('d', copyIndex('disks', 1))]"}}]}
    assert evaluate("[variables('disks')]", context, variables=variables) == [
        {"lun": 0, "name": "d1"}, {"lun": 1, "name": "d2"}, {"lun": 2, "name": "d3"}]


def test_reference_is_not_allowed_in_variables(context: DeploymentContext) -> None:
    with pytest.raises(InvalidTemplate, match="The template function 'reference' is not expected at this location"):
        evaluate("x", context, variables={"a": "[reference('x').y]"})


def test_parameter_defaults_may_be_expressions_over_other_parameters(context: DeploymentContext) -> None:
    parameters = {"base": {"type": "string", "defaultValue": "[resourceGroup().location]"},
                  "name": {"type": "string", "defaultValue": "[concat(parameters('base'), '-vm')]"},
                  "id": {"type": "string", "defaultValue": "[newGuid()]"}}
    assert evaluate("[parameters('name')]", context, parameters=parameters) == "westeurope-vm"
    assert len(evaluate("[parameters('id')]", context, parameters=parameters)) == 36


def test_secure_values_flow_into_properties_but_never_print(context: DeploymentContext) -> None:
    parameters = {"password": {"type": "securestring"}}
    value = evaluate("[concat('pw:', parameters('password'))]", context, {"password": "hunter2"},
                     parameters=parameters)
    assert isinstance(value, SecureValue) and value.reveal() == "pw:hunter2"
    assert str(value) == repr(value) == f"{value}" == "***" and masked({"p": value}) == {"p": "***"}
    text = template([], parameters=parameters)
    plan = prepare(text, {"password": {"value": "hunter2"}}, context)
    assert plan.shown_parameters() == {"password": {"type": "SecureString"}}
    assert "hunter2" not in repr(plan.parameters)


def test_deployment_returns_the_local_template_shape(context: DeploymentContext) -> None:
    value = evaluate("[deployment()]", context, parameters={"p": {"type": "string"}}, given={"p": "x"})
    assert value["name"] == "dep1" and "templateLink" not in value["properties"]
    assert value["properties"]["template"]["contentVersion"] == "1.0.0.0"
    assert value["properties"]["parameters"] == {"p": {"value": "x"}}
    assert value["properties"]["mode"] == "Incremental" and value["properties"]["templateHash"].isdigit()
    linked = DeploymentContext(SUBSCRIPTION, "my-rg", "westeurope", "dep1", template_link="https://example/t.json")
    assert evaluate("[deployment().properties.templateLink.uri]", linked) == "https://example/t.json"


@pytest.mark.parametrize(("resource", "message"), [
    ({"type": "Microsoft.Network/virtualNetworks", "name": "v"}, "the required property 'apiVersion' is missing"),
    ({"type": "Microsoft.Network/virtualNetworks", "name": "v", "apiVersion": "2020-08-01", "condition": "yes"},
     "The condition of the template resource 'v' at line '5' and column '5' must be a boolean"),
    ({"type": "Microsoft.Network/virtualNetworks", "name": "[copyIndex()]", "apiVersion": "2020-08-01",
      "copy": {"name": "n", "count": 801}}, "The copy count of 'n' must be between 0 and 800"),
    ({"type": "Microsoft.Network/virtualNetworks", "name": "v", "apiVersion": "2020-08-01",
      "copy": {"name": "n", "count": "[reference('x').count]"}},
     "The template function 'reference' is not expected at this location"),
])
def test_resource_declarations_are_checked(resource: dict[str, object], message: str,
                                           context: DeploymentContext) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        prepare(template([resource]), None, context)
    assert message in caught.value.message


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "The template must be a JSON object"),
    ('{"parameters": [], "resources": []}', "The template 'parameters' property must be an object, not 'Array'"),
    ('{"outputs": [], "resources": []}', "The template 'outputs' property must be an object"),
    ('{"variables": {"copy": 3}, "resources": []}', "The 'copy' property of the template variables must be an array"),
    ('{"variables": {"copy": [{"name": 1}]}, "resources": []}', "Each variable copy loop must be an object"),
    ('{"resources": {}}', "must be an array"),
    ('{"parameters": {"a": {}}, "resources": []}', "has an invalid type"),
    ('{"functions": [{"namespace": "n", "members": {}}], "resources": []}', "declares user-defined functions"),
    ("[" * 2000, "The JSON is nested deeper than 128 levels"),
    ('{"resources": [{"type": "a/b", "apiVersion": "1", "name": "[' + "concat(" * 300 + "'a'" + ")" * 300 + ']"}]}',
     "the expression nests deeper than 64 levels"),
    ('{"resources": [{"type": "a/b", "apiVersion": "1", "name": "[concat(\'' + "x" * 25000 + '\')]"}]}',
     "the limit is 24576"),
    ('{"resources": [{"type": "a/b", "name": "[string(copyIndex())]", "apiVersion": "1", '
     '"copy": {"name": "n", "count": 500}}, {"type": "a/c", "name": "[string(copyIndex())]", "apiVersion": "1", '
     '"copy": {"name": "m", "count": 301}}]}', "The template declares 801 resources (copies counted); the limit is 800"),
])
def test_malformed_templates_are_refused_with_one_clear_error(text: str, message: str,
                                                              context: DeploymentContext) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        prepare(text, None, context)
    assert message in caught.value.message and caught.value.code == "InvalidTemplate"


def test_a_missing_comma_is_reported_as_newtonsoft_reports_it(context: DeploymentContext) -> None:
    # MicrosoftDocs/azure-docs deploy-powershell (Test-AzResourceGroupDeployment): "After parsing a value an
    # unexpected character was encountered: ". Path 'variables', line 31, position 3."
    lines = template([], variables={"a": 1}).splitlines()
    at = next(number for number, line in enumerate(lines) if line.startswith('  "resources"'))
    lines[at - 1] = lines[at - 1].rstrip(",")
    with pytest.raises(InvalidTemplate) as caught:
        prepare("\n".join(lines), None, context)
    assert caught.value.message == ("Deployment template parse failed: 'After parsing a value an unexpected character "
                                    f"was encountered: \". Path 'variables', line {at + 1}, position 3.'.")
