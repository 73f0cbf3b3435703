"""The seed-features vectors B1-B8, B12, B13, B17 and templates shaped like the quickstarts, at the library level.

Templates in tests/fixtures/templates are our own, written to the shapes seed-features.md B.1/B.2 describes
(see SOURCES.md there)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vmss_tui.domain.templates import (
    Deferred,
    DeploymentContext,
    InvalidTemplate,
    OutputEvaluationFailed,
    prepare,
    unique_string,
)

from .conftest import SUBSCRIPTION, fixture_text, template

RG_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/my-rg"
NAT = "vmss-linux-nat.azuredeploy.json"
AUTOSCALE = "vmss-ubuntu-autoscale.azuredeploy.json"
TYPICAL = {"vmssName": "myvmss", "instanceCount": 5, "adminUsername": "azureuser",
           "adminPasswordOrKey": "ssh-rsa AAAAB3NzaC1yc2E user@host"}


def nat_plan(context: DeploymentContext, name: str = NAT, **changes: Any) -> Any:
    parameters = {**TYPICAL, **changes}
    return prepare(fixture_text(name), {key: value for key, value in parameters.items() if value is not None}, context)


def by_type(plan: Any, kind: str) -> Any:
    return next(resource for resource in plan.resources if resource.type == kind)


@pytest.mark.parametrize("name", [NAT, AUTOSCALE])
def test_b1_the_nat_template_names_everything_from_the_infix(name: str, context: DeploymentContext) -> None:
    plan = nat_plan(context, name)
    infix = ("myvmss" + unique_string(RG_ID))[:9].lower()
    assert infix.startswith("myvmss") and len(infix) == 9
    names = {resource.type: resource.name for resource in plan.resources}
    assert names["Microsoft.Network/virtualNetworks"] == f"{infix}vnet"
    assert names["Microsoft.Network/publicIPAddresses"] == f"{infix}pip"
    assert names["Microsoft.Network/loadBalancers"] == f"{infix}lb"
    assert names["Microsoft.Compute/virtualMachineScaleSets"] == infix
    scale_set = by_type(plan, "Microsoft.Compute/virtualMachineScaleSets")
    assert scale_set.id == f"{RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets/{infix}"
    assert scale_set.api_version == "2017-03-30" and scale_set.location == "westeurope"
    assert scale_set.sku == {"name": "Standard_A1", "tier": "Standard", "capacity": 5}
    pool = by_type(plan, "Microsoft.Network/loadBalancers").properties["inboundNatPools"][0]
    assert pool["name"] == f"{infix}natpool"
    assert pool["properties"]["protocol"] == "Tcp"
    assert (pool["properties"]["frontendPortRangeStart"], pool["properties"]["frontendPortRangeEnd"],
            pool["properties"]["backendPort"]) == (50000, 50119, 22)
    ip_config = scale_set.properties["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0][
        "properties"]["ipConfigurations"][0]["properties"]
    assert ip_config["loadBalancerInboundNatPools"] == [
        {"id": f"{RG_ID}/providers/Microsoft.Network/loadBalancers/{infix}lb/inboundNatPools/{infix}natpool"}]
    assert ip_config["subnet"]["id"] == (f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/{infix}vnet/subnets/"
                                         f"{infix}subnet")
    assert by_type(plan, "Microsoft.Network/publicIPAddresses").properties["dnsSettings"] == {"domainNameLabel": "myvmss"}


def test_b1_levels_put_the_network_first_and_the_scale_set_after_its_dependencies(context: DeploymentContext) -> None:
    plan = nat_plan(context)
    kinds = [[plan.resource(rid).type.split("/")[-1] for rid in level] for level in plan.levels]
    assert kinds == [["virtualNetworks", "publicIPAddresses"], ["loadBalancers"], ["virtualMachineScaleSets"]]
    assert [resource.type.split("/")[-1] for resource in plan.resources] == [kind for level in kinds for kind in level]


@pytest.mark.parametrize(("changes", "message"), [
    ({"instanceCount": 4}, "The provided value '4' for the template parameter 'instanceCount' at line '24' and "
                           "column '22' is not valid. The parameter value is less than the minimum allowed value '5'"),
    ({"instanceCount": 101}, "The provided value '101' for the template parameter 'instanceCount' at line '24' and "
                             "column '22' is not valid. The parameter value is greater than the maximum allowed "
                             "value '100'"),
    ({"vmssName": "v" * 62}, "for the template parameter 'vmssName' at line '19' and column '17' is not valid. "
                             "Length of the value should be less than or equal to '61'"),
    ({"ubuntuOSVersion": "18.04-LTS"}, "The provided value '18.04-LTS' for the template parameter 'ubuntuOSVersion' "
                                       "at line '13' and column '24' is not valid. The parameter value is not part "
                                       "of the allowed value(s): '14.04.4-LTS,16.04-LTS'"),
    ({"adminUsername": None}, "The value for the template parameter 'adminUsername' at line '35' and column '22' is "
                              "not provided"),
    ({"instanceCount": "5"}, "Template parameter JToken type is not valid. Expected 'Integer'. Actual 'String'"),
    ({"noSuchParameter": 1}, "The template parameters 'noSuchParameter' in the parameters file are not valid"),
])
def test_b2_to_b6_bad_parameters_fail_before_anything_is_evaluated(changes: dict[str, Any], message: str,
                                                                   context: DeploymentContext) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        nat_plan(context, **changes)
    assert caught.value.message.startswith("Deployment template validation failed: '")
    assert message in caught.value.message
    assert (caught.value.code, caught.value.http_status) == ("InvalidTemplate", 400)


def test_parameter_checks_come_before_a_broken_variable(context: DeploymentContext) -> None:
    text = template([], parameters={"count": {"type": "int", "minValue": 5}},
                    variables={"broken": "[substring('ab', 5, 1)]"})
    with pytest.raises(InvalidTemplate, match="less than the minimum allowed value '5'"):
        prepare(text, {"count": 1}, context)
    with pytest.raises(InvalidTemplate, match="The index and length parameters"):
        prepare(text, {"count": 5}, context)


def test_secure_parameter_values_are_not_echoed_in_errors(context: DeploymentContext) -> None:
    text = template([], parameters={"secret": {"type": "securestring", "minLength": 12}})
    with pytest.raises(InvalidTemplate) as caught:
        prepare(text, {"secret": "hunter2"}, context)
    assert "hunter2" not in caught.value.message and "The provided value for the template parameter 'secret'" \
        in caught.value.message


def test_parameter_file_shape_and_plain_values_are_the_same(context: DeploymentContext) -> None:
    wrapped = {key: {"value": value} for key, value in TYPICAL.items()}
    assert [r.body for r in prepare(fixture_text(NAT), wrapped, context).resources] == \
        [r.body for r in nat_plan(context).resources]


def test_b7_password_authentication_leaves_linux_configuration_out(context: DeploymentContext) -> None:
    plan = nat_plan(context, authenticationType="password", adminPasswordOrKey="P@ssw0rd-long-enough")
    os_profile = by_type(plan, "Microsoft.Compute/virtualMachineScaleSets").properties["virtualMachineProfile"][
        "osProfile"]
    assert os_profile["linuxConfiguration"] is None
    assert os_profile["adminPassword"].reveal() == "P@ssw0rd-long-enough" and str(os_profile["adminPassword"]) == "***"


def test_b8_ssh_keys_go_to_the_admins_authorized_keys(context: DeploymentContext) -> None:
    plan = nat_plan(context)
    linux = by_type(plan, "Microsoft.Compute/virtualMachineScaleSets").properties["virtualMachineProfile"][
        "osProfile"]["linuxConfiguration"]
    key = linux["ssh"]["publicKeys"][0]
    assert linux["disablePasswordAuthentication"] is True
    assert key["path"] == "/home/azureuser/.ssh/authorized_keys"
    assert key["keyData"].reveal() == TYPICAL["adminPasswordOrKey"]
    assert "AAAAB3" not in json.dumps(by_type(plan, "Microsoft.Compute/virtualMachineScaleSets").printable())


def test_b12_a_root_resource_name_with_a_slash_has_incorrect_segment_lengths(context: DeploymentContext) -> None:
    text = template([{"type": "Microsoft.Network/virtualNetworks", "name": "a/b", "apiVersion": "2020-08-01",
                      "location": "westeurope"}])
    with pytest.raises(InvalidTemplate) as caught:
        prepare(text, None, context)
    assert ("The template resource 'a/b' for type 'Microsoft.Network/virtualNetworks' at line '5' and column '5' has "
            "incorrect segment lengths.") in caught.value.message


def test_b12_child_types_take_a_name_per_segment(context: DeploymentContext) -> None:
    text = template([{"type": "Microsoft.Network/virtualNetworks/subnets", "name": "vnet/default",
                      "apiVersion": "2020-08-01", "properties": {}},
                     {"type": "Microsoft.Network/virtualNetworks", "name": "vnet2", "apiVersion": "2020-08-01",
                      "resources": [{"type": "subnets", "name": "s1", "apiVersion": "2020-08-01",
                                     "dependsOn": ["vnet2"]}]}])
    plan = prepare(text, None, context)
    ids = {resource.id.removeprefix(RG_ID) for resource in plan.resources}
    assert ids == {"/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default",
                   "/providers/Microsoft.Network/virtualNetworks/vnet2",
                   "/providers/Microsoft.Network/virtualNetworks/vnet2/subnets/s1"}


def test_b13_a_dependency_cycle_is_refused(context: DeploymentContext) -> None:
    text = template([{"type": "Microsoft.Network/publicIPAddresses", "name": "a", "apiVersion": "2020-08-01",
                      "dependsOn": ["[resourceId('Microsoft.Network/publicIPAddresses', 'b')]"]},
                     {"type": "Microsoft.Network/publicIPAddresses", "name": "b", "apiVersion": "2020-08-01",
                      "dependsOn": ["Microsoft.Network/publicIPAddresses/a"]}])
    with pytest.raises(InvalidTemplate) as caught:
        prepare(text, None, context)
    assert "Circular dependency detected on resource: '" in caught.value.message
    assert f"{RG_ID}/providers/Microsoft.Network/publicIPAddresses/" in caught.value.message


@pytest.mark.parametrize("spelling", [
    "[concat('Microsoft.Network/loadBalancers/', 'lb1')]",
    "[resourceId('Microsoft.Network/loadBalancers', 'lb1')]",
    "[resourceId('Microsoft.Network/loadBalancers/', 'lb1')]",
    "lb1",
    f"{RG_ID}/providers/microsoft.network/LOADBALANCERS/lb1",
])
def test_b17_every_spelling_of_depends_on_is_the_same_edge(spelling: str, context: DeploymentContext) -> None:
    text = template([{"type": "Microsoft.Compute/virtualMachineScaleSets", "name": "set", "apiVersion": "2017-03-30",
                      "dependsOn": [spelling, "[resourceId('Microsoft.Network/loadBalancers', 'lb1')]"]},
                     {"type": "Microsoft.Network/loadBalancers", "name": "lb1", "apiVersion": "2017-04-01"}])
    plan = prepare(text, None, context)
    scale_set = plan.resource(f"{RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets/set")
    assert scale_set.depends_on == (f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb1",)
    assert [resource.name for resource in plan.resources] == ["lb1", "set"]


def test_a_dependency_on_a_resource_not_in_the_template_is_refused(context: DeploymentContext) -> None:
    text = template([{"type": "Microsoft.Network/publicIPAddresses", "name": "a", "apiVersion": "2020-08-01",
                      "dependsOn": ["Microsoft.Network/loadBalancers/ghost"]}])
    with pytest.raises(InvalidTemplate, match="The resource 'Microsoft.Network/loadBalancers/ghost' is not defined "
                                              "in the template"):
        prepare(text, None, context)


def test_a_resource_defined_twice_is_refused(context: DeploymentContext) -> None:
    resource = {"type": "Microsoft.Network/publicIPAddresses", "name": "a", "apiVersion": "2020-08-01"}
    with pytest.raises(InvalidTemplate, match="is defined multiple times in a template"):
        prepare(template([resource, dict(resource)]), None, context)


def test_resource_copy_loops_condition_and_serial_batches(context: DeploymentContext) -> None:
    text = template([
        {"type": "Microsoft.Network/publicIPAddresses", "name": "[concat('ip', copyIndex(1))]",
         "apiVersion": "2020-08-01", "copy": {"name": "ips", "count": "[parameters('count')]", "mode": "serial",
                                              "batchSize": 2}},
        {"type": "Microsoft.Network/loadBalancers", "name": "lb", "apiVersion": "2020-08-01", "dependsOn": ["ips"],
         "properties": {"copy": [{"name": "frontendIPConfigurations", "count": "[parameters('count')]",
                                  "input": {"name": "[concat('fe', copyIndex('frontendIPConfigurations'))]"}}]}},
        {"condition": "[equals(parameters('count'), 99)]", "type": "Microsoft.Network/virtualNetworks",
         "name": "never", "apiVersion": "2020-08-01"},
        {"type": "Microsoft.Network/networkSecurityGroups", "name": "nsg", "apiVersion": "2020-08-01",
         "dependsOn": ["never"]},
    ], parameters={"count": {"type": "int", "defaultValue": 3}})
    plan = prepare(text, None, context)
    names = [resource.name for resource in plan.resources]
    assert names == ["ip1", "nsg", "ip2", "ip3", "lb"] or set(names) == {"ip1", "ip2", "ip3", "lb", "nsg"}
    ip3 = plan.resource(f"{RG_ID}/providers/Microsoft.Network/publicIPAddresses/ip3")
    assert ip3.copy_name == "ips" and ip3.copy_index == 2
    assert ip3.depends_on == (f"{RG_ID}/providers/Microsoft.Network/publicIPAddresses/ip1",
                              f"{RG_ID}/providers/Microsoft.Network/publicIPAddresses/ip2")
    lb = plan.resource(f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb")
    assert len(lb.depends_on) == 3
    assert lb.properties == {"frontendIPConfigurations": [{"name": "fe0"}, {"name": "fe1"}, {"name": "fe2"}]}
    assert plan.skipped == (f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/never",)
    assert plan.resource(f"{RG_ID}/providers/Microsoft.Network/networkSecurityGroups/nsg").depends_on == ()


def test_reference_waits_for_deployment_and_makes_an_implicit_dependency(context: DeploymentContext) -> None:
    text = template([
        {"type": "Microsoft.Network/publicIPAddresses", "name": "ip", "apiVersion": "2020-08-01"},
        {"type": "Microsoft.Network/loadBalancers", "name": "lb", "apiVersion": "2020-08-01",
         "properties": {"address": "[reference('ip').ipAddress]", "fixed": "[concat('a', 'b')]"}},
    ], outputs={"address": {"type": "string", "value": "[reference(resourceId('Microsoft.Network/publicIPAddresses',"
                                                         " 'ip')).ipAddress]"},
                "count": {"type": "int", "value": "[length(createArray(1, 2))]"},
                "hidden": {"type": "securestring", "value": "[parameters('secret')]"}},
        parameters={"secret": {"type": "securestring", "defaultValue": "s3cret"}})
    plan = prepare(text, None, context)
    ip_id = f"{RG_ID}/providers/Microsoft.Network/publicIPAddresses/ip"
    lb = plan.resources[1]
    assert lb.depends_on == (ip_id,) and lb.deferred
    assert lb.properties["address"] == Deferred("reference('ip').ipAddress")
    assert lb.printable()["properties"]["address"] == "[reference('ip').ipAddress]"
    calls: list[tuple[str, Any, bool]] = []

    def reference(target: str, api_version: Any, full: bool) -> dict[str, Any]:
        calls.append((target, api_version, full))
        return {"ipAddress": "20.1.2.3"}

    assert plan.render(lb, reference)["properties"] == {"address": "20.1.2.3", "fixed": "ab"}
    assert plan.outputs(reference) == {"address": {"type": "String", "value": "20.1.2.3"},
                                       "count": {"type": "Int", "value": 2}, "hidden": {"type": "SecureString"}}
    assert calls[0] == (ip_id, None, False)


def test_an_output_of_the_wrong_type_fails_with_arms_code(context: DeploymentContext) -> None:
    plan = prepare(template([], outputs={"n": {"type": "int", "value": "text"}}), None, context)
    with pytest.raises(OutputEvaluationFailed) as caught:
        plan.outputs(lambda target, api, full: {})
    assert caught.value.code == "DeploymentOutputEvaluationFailed" and "'n'" in caught.value.message


def test_broken_json_names_its_line_and_position(context: DeploymentContext) -> None:
    text = fixture_text(NAT).replace('"maxLength": 61,', '"maxLength": 61,,', 1)
    with pytest.raises(InvalidTemplate) as caught:
        prepare(text, TYPICAL, context)
    assert caught.value.message == ("Deployment template parse failed: 'Invalid property identifier character: ,. "
                                    "Path 'parameters.vmssName.maxLength', line 21, position 23.'.")


def test_the_autoscale_quickstart_targets_the_scale_set_it_creates(context: DeploymentContext) -> None:
    plan = nat_plan(context, AUTOSCALE)
    scale_set = by_type(plan, "Microsoft.Compute/virtualMachineScaleSets")
    autoscale = by_type(plan, "Microsoft.Insights/autoscaleSettings")
    assert autoscale.name == "autoscalewad" and autoscale.depends_on == (scale_set.id,)
    assert autoscale.properties["targetResourceUri"] == scale_set.id
    assert plan.levels[-1] == (autoscale.id,)
    rules = autoscale.properties["profiles"][0]["rules"]
    assert [rule["metricTrigger"]["metricResourceUri"] for rule in rules] == [scale_set.id, scale_set.id]


def test_the_scale_existing_quickstart_points_autoscale_at_an_existing_set(context: DeploymentContext) -> None:
    plan = prepare(fixture_text("vmss-scale-existing.azuredeploy.json"), {"namingInfix": "myvmss"}, context)
    (autoscale,) = plan.resources
    assert autoscale.id == f"{RG_ID}/providers/Microsoft.Insights/autoscaleSettings/autoscalewad"
    assert autoscale.location == "westeurope"
    assert autoscale.properties["targetResourceUri"] == \
        f"{RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets/myvmss"
    assert autoscale.properties["profiles"][0]["rules"][0]["scaleAction"]["value"] == "3"


def test_the_201_scale_template_is_a_sku_only_put(context: DeploymentContext) -> None:
    plan = prepare(fixture_text("201-vmss-scale-in-or-out.azuredeploy.json"),
                   {"vmSSName": "myvmss", "instanceCount": 2}, context)
    (scale_set,) = plan.resources
    assert scale_set.api_version == "2015-06-15"
    assert scale_set.body == {"location": "westeurope", "sku": {"name": "Standard_A2", "tier": "Standard",
                                                                "capacity": 2}}


def test_output_copy_loops_and_conditions(context: DeploymentContext) -> None:
    outputs = {"names": {"type": "array", "copy": {"count": 3, "input": "[concat('vm', copyIndex())]"}},
               "skipped": {"condition": "[equals(1, 2)]", "type": "string", "value": "never"}}
    plan = prepare(template([], outputs=outputs), None, context)
    assert plan.outputs(lambda target, api, full: {}) == {"names": {"type": "Array", "value": ["vm0", "vm1", "vm2"]}}


def test_command_line_values_are_typed_by_the_declaration_and_parameter_files_read_both_shapes() -> None:
    from vmss_tui.domain.templates import parameter_from_text, read_parameters_text

    text = fixture_text(NAT)
    assert parameter_from_text(text, "instanceCount", "5") == 5
    assert parameter_from_text(text, "vmssName", "5") == "5"
    with pytest.raises(InvalidTemplate, match="unrecognized template parameter 'VMSSNAME'. Allowed parameters: "
                                              "adminPasswordOrKey, adminUsername, authenticationType, instanceCount"):
        parameter_from_text(text, "VMSSNAME", "5")
    with pytest.raises(InvalidTemplate, match="is not an integer"):
        parameter_from_text(text, "instanceCount", "five")
    assert parameter_from_text(template([], parameters={"on": {"type": "bool"}}), "on", "TRUE") is True
    assert parameter_from_text(template([], parameters={"on": {"type": "bool"}}), "on", "yes") is False
    assert parameter_from_text(template([], parameters={"tags": {"type": "object"}}), "tags", '{"a": 1}') == {"a": 1}
    file_shape = ('{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
                  ' "contentVersion": "1.0.0.0", "parameters": {"vmssName": {"value": "myvmss"}}}')
    assert read_parameters_text(file_shape) == {"vmssName": {"value": "myvmss"}}
    assert read_parameters_text('{"vmssName": {"value": "myvmss"}}') == {"vmssName": {"value": "myvmss"}}
    with pytest.raises(InvalidTemplate, match="line 1, position"):
        read_parameters_text('{"vmssName": ')


def test_the_output_az_vmss_create_writes_reads_the_newest_api_version_through_providers() -> None:
    # azure-cli's ArmTemplateBuilder.add_output: reference(resourceId(...), providers(ns, type).apiVersions[0])
    context = DeploymentContext(SUBSCRIPTION, "my-rg", "westeurope", "vmss_deploy_x",
                                provider_api_versions={"Microsoft.Compute/virtualMachineScaleSets":
                                                       ("2024-07-01", "2023-09-01")})
    outputs = {"vmss": {"type": "object", "value": "[reference(resourceId('Microsoft.Compute/virtualMachineScaleSets', "
                                                   "'web'),providers('Microsoft.Compute', "
                                                   "'virtualMachineScaleSets').apiVersions[0])]"}}
    plan = prepare(template([], outputs=outputs), None, context)
    seen: list[Any] = []
    result = plan.outputs(lambda target, api, full: seen.append((target, api)) or {"provisioningState": "Succeeded"})
    assert result == {"vmss": {"type": "Object", "value": {"provisioningState": "Succeeded"}}}
    assert seen == [(f"{RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets/web", "2024-07-01")]
    unknown = {"x": {"type": "array", "value": "[providers('Microsoft.Nope', 'things').apiVersions]"}}
    with pytest.raises(OutputEvaluationFailed):
        prepare(template([], outputs=unknown), None, context).outputs(lambda target, api, full: {})


def test_depending_on_an_empty_copy_loop_or_a_shared_name_is_not_an_error(context: DeploymentContext) -> None:
    text = template([
        {"type": "Microsoft.Network/publicIPAddresses", "name": "[concat('ip', copyIndex())]", "apiVersion": "1",
         "copy": {"name": "ips", "count": 0}},
        {"type": "Microsoft.Network/loadBalancers", "name": "web", "apiVersion": "1", "dependsOn": ["ips"]},
        {"type": "Microsoft.Compute/virtualMachineScaleSets", "name": "web", "apiVersion": "1", "dependsOn": ["web"]},
    ])
    plan = prepare(text, None, context)
    assert [resource.type.split("/")[-1] for resource in plan.resources] == ["loadBalancers", "virtualMachineScaleSets"]
    assert plan.resources[1].depends_on == (plan.resources[0].id,)
    with pytest.raises(KeyError):
        plan.resource(f"{RG_ID}/providers/Microsoft.Network/publicIPAddresses/ip0")


def test_nested_templates_are_evaluated_in_the_outer_scope_unless_they_ask_for_inner(context: DeploymentContext) -> None:
    inner_template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                      "contentVersion": "1.0.0.0", "parameters": {"who": {"type": "string"}},
                      "resources": [], "outputs": {"greeting": {"type": "string",
                                                                "value": "[concat('hi ', parameters('who'))]"}}}
    outer_template = {**inner_template, "parameters": {}, "outputs": {"where": {"type": "string",
                                                                             "value": "[resourceGroup().name]"}}}
    text = template([
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
         "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                        "parameters": {"who": {"value": "[resourceGroup().location]"}}, "template": inner_template}},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer",
         "properties": {"mode": "Incremental", "template": outer_template}},
    ])
    plan = prepare(text, None, context)
    inner, outer = plan.resources
    assert inner.properties["template"] == inner_template
    assert inner.properties["parameters"] == {"who": {"value": "westeurope"}}
    assert outer.properties["template"]["outputs"]["where"]["value"] == "my-rg"


def test_a_longer_cycle_names_a_resource_on_it_not_one_waiting_behind_it(context: DeploymentContext) -> None:
    def ip(name: str, *needs: str) -> dict[str, Any]:
        return {"type": "Microsoft.Network/publicIPAddresses", "name": name, "apiVersion": "1", "dependsOn": list(needs)}

    text = template([ip("free"), ip("behind", "a"), ip("a", "b"), ip("b", "c"), ip("c", "a")])
    with pytest.raises(InvalidTemplate) as caught:
        prepare(text, None, context)
    named = caught.value.message.split("Circular dependency detected on resource: '")[1].split("'")[0]
    assert named.rsplit("/", 1)[1] in {"a", "b", "c"}


def test_errors_carry_arms_template_violation_with_line_column_and_path(context: DeploymentContext) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        nat_plan(context, adminUsername=None)
    assert caught.value.to_body()["error"]["additionalInfo"] == [
        {"type": "TemplateViolation",
         "info": {"lineNumber": 35, "linePosition": 22, "path": "properties.template.parameters.adminUsername"}}]
    with pytest.raises(InvalidTemplate) as caught:
        prepare(template([{"type": "Microsoft.Network/virtualNetworks", "name": "a/b", "apiVersion": "1"}]), None,
                context)
    assert caught.value.to_body()["error"]["additionalInfo"][0]["info"] == {
        "lineNumber": 5, "linePosition": 5, "path": "properties.template.resources[0]"}
    with pytest.raises(InvalidTemplate) as caught:
        prepare(template([{"type": "Microsoft.Network/virtualNetworks", "name": "a", "apiVersion": "1",
                           "dependsOn": ["ghost"]}]), None, context)
    assert caught.value.to_body()["error"]["additionalInfo"][0]["info"] == {"lineNumber": 0, "linePosition": 0,
                                                                            "path": ""}
    assert "Please see https://aka.ms/arm-template for usage details" in caught.value.message


def test_reference_is_refused_where_arm_needs_the_value_before_deploying(context: DeploymentContext) -> None:
    text = template([{"type": "Microsoft.Network/publicIPAddresses", "name": "a", "apiVersion": "1"},
                     {"type": "Microsoft.Network/publicIPAddresses", "name": "b", "apiVersion": "1",
                      "sku": {"name": "[reference('a').sku]"}}])
    with pytest.raises(InvalidTemplate, match="The template resource 'b' at line '10' and column '5' is not valid: "
                                              "The template function 'reference' is not expected at this location"):
        prepare(text, None, context)
