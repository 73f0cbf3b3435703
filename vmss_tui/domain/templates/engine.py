"""A template prepared for deployment: parameters checked, variables and resources evaluated, order fixed.

`prepare(template_text, parameters, context)` does everything ARM does before it touches a resource:
parse the JSON, check every parameter value against its declaration (type, allowedValues, min/max value
and length, required), evaluate parameter defaults, variables (lazily, in any order, cycles refused)
and every resource (copy loops, condition, name, full id, body), resolve `dependsOn` in all its
spellings to resource ids, refuse cycles, and lay the resources out in levels that may be created in
parallel. A `reference()` in a resource body or an output is only known at deployment time: the body
keeps a `Deferred` there and `Plan.render(resource, reference)` / `Plan.outputs(reference)` evaluate
it again with the deployment engine's callback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidTemplate, expression_failed, located, placed, validation_failed
from .expressions import (
    Deferred,
    Evaluator,
    ReferenceCallback,
    Scope,
    build_resource_id,
    contains_deferred,
    dotnet_string,
    type_name,
)
from .hashing import murmur_hash64
from .secure import SecureValue, masked
from .source import SourceDocument, read_json

from ..errors import AzureError

PARAMETER_TYPES = {"string": "String", "int": "Int", "bool": "Bool", "object": "Object", "array": "Array",
                   "securestring": "SecureString", "secureobject": "SecureObject"}
"""Declared type (lower case) -> the spelling ARM uses when it reports the type back."""
_JTOKEN_TYPE = {"string": "String, Uri", "securestring": "String, Uri", "int": "Integer", "bool": "Boolean",
                "object": "Object", "secureobject": "Object", "array": "Array"}
LIMITS = {"template_bytes": 4 * 1024 * 1024, "parameters": 256, "variables": 256, "resources": 800, "outputs": 64}
"""ARM's template limits (Microsoft Learn, template best practices: template limits)."""
_NO_REFERENCE = {"location", "sku"}
"""Resource keys ARM needs before anything is deployed: reference() is refused there (a public report of ARM's
"The template function 'reference' is not expected at this location" for sku; location by the same rule, INF)."""
_BODY_SKIP = {"type", "name", "apiversion", "dependson", "copy", "condition", "comments", "resources", "metadata"}


@dataclass(frozen=True)
class DeploymentContext:
    """Where the template is deployed: what resourceGroup(), subscription() and deployment() return."""

    subscription_id: str
    resource_group: str
    location: str
    deployment_name: str
    tenant_id: str = "00000000-0000-0000-0000-000000000000"
    mode: str = "Incremental"
    template_link: str | None = None
    resource_group_tags: Mapping[str, str] = field(default_factory=dict)
    provider_api_versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """'Namespace/type' -> the API versions the target serves, newest first (what `providers()` reports)."""

    @property
    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


@dataclass(frozen=True)
class ParameterValue:
    """A parameter's final value and declared type (`secure` values are SecureValue-wrapped)."""

    name: str
    type: str  # ARM's spelling: String, Int, Bool, Object, Array, SecureString, SecureObject
    value: Any

    @property
    def secure(self) -> bool:
        return self.type.startswith("Secure")

    def shown(self) -> dict[str, Any]:
        """ARM's echo in a deployment's `properties.parameters`: secure values leave out their value."""
        return {"type": self.type} if self.secure else {"type": self.type, "value": self.value}


@dataclass
class PlannedResource:
    """One resource instance of the template, evaluated (a copy loop gives one per index)."""

    id: str
    type: str
    name: str
    api_version: str
    body: dict[str, Any]
    """location, sku, tags, kind, properties ... as the PUT sends them (may hold SecureValue/Deferred)."""
    depends_on: tuple[str, ...] = ()
    copy_name: str | None = None
    copy_index: int | None = None
    line: int | None = None
    column: int | None = None
    _declaration: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _scope: Scope | None = field(default=None, repr=False, compare=False)

    @property
    def deferred(self) -> bool:
        """True when part of the body waits for a `reference()` (render it at deployment time)."""
        return contains_deferred(self.body)

    @property
    def location(self) -> Any:
        return self.body.get("location")

    @property
    def sku(self) -> Any:
        return self.body.get("sku")

    @property
    def tags(self) -> Any:
        return self.body.get("tags")

    @property
    def properties(self) -> Any:
        return self.body.get("properties")

    def printable(self) -> dict[str, Any]:
        """The resource as a screen may show it: secure values as "***", deferred ones as their expression."""
        return {"id": self.id, "type": self.type, "name": self.name, "apiVersion": self.api_version,
                **_printable(masked(self.body)), "dependsOn": list(self.depends_on)}


def _printable(value: Any) -> Any:
    if isinstance(value, Deferred):
        return str(value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value


class OutputEvaluationFailed(AzureError):
    """The deployment's resources are in place but an output could not be evaluated."""

    code = "DeploymentOutputEvaluationFailed"
    http_status = 400


def _at(document: SourceDocument, node: Any) -> str:
    position = document.position_of(node)
    return f" at line '{position[0]}' and column '{position[1]}'" if position else ""


def _lookup_name(mapping: Mapping[str, Any], name: str) -> str | None:
    if name in mapping:
        return name
    lowered = name.lower()
    return next((key for key in mapping if key.lower() == lowered), None)


class _Template:
    """The evaluation host: parameters, variables and the deployment context behind the functions."""

    def __init__(self, document: SourceDocument, context: DeploymentContext) -> None:
        self.document = document
        self.template: dict[str, Any] = document.value
        self.context = context
        self.evaluator = Evaluator()
        for section in ("parameters", "variables", "outputs"):
            if not isinstance(self.template.get(section, {}), dict):
                raise validation_failed(f"The template '{section}' property must be an object, not "
                                        f"'{type_name(self.template[section])}'")
        self.declared_parameters: dict[str, Any] = self.template.get("parameters") or {}
        self.declared_variables: dict[str, Any] = dict(self.template.get("variables") or {})
        self.variable_loops: dict[str, dict[str, Any]] = {}
        loops = self.declared_variables.pop("copy", [])
        if not isinstance(loops, list):
            raise validation_failed("The 'copy' property of the template variables must be an array",
                                    "https://aka.ms/arm-copy")
        for loop in loops:
            if not isinstance(loop, dict) or not isinstance(loop.get("name"), str) or not loop["name"] \
                    or "count" not in loop or "input" not in loop:
                raise validation_failed("Each variable copy loop must be an object with 'name', 'count' and 'input'",
                                        "https://aka.ms/arm-copy")
            self.variable_loops[loop["name"]] = loop
        for section, limit in (("parameters", LIMITS["parameters"]), ("variables", LIMITS["variables"]),
                               ("outputs", LIMITS["outputs"])):
            count = len(self.template.get(section) or {})
            if count > limit:
                raise validation_failed(f"The number of template {section} ({count}) exceeds the limit of {limit}",
                                        "https://aka.ms/arm-template-limits")
        self.given: dict[str, Any] = {}
        self.parameter_values: dict[str, ParameterValue] = {}
        self.parameters_in_progress: list[str] = []
        self.variable_values: dict[str, Any] = {}
        self.variables_in_progress: list[str] = []
        self.resource_ids_by_name: dict[str, list[str]] = {}
        self.loop_names: set[str] = set()

    # --- Host --------------------------------------------------------------------------------------
    def parameter(self, name: str) -> Any:
        declared = _lookup_name(self.declared_parameters, name)
        if declared is None:
            raise expression_failed(f"The template parameter '{name}' is not found")
        return self.parameter_value(declared).value

    def variable(self, name: str) -> Any:
        key = _lookup_name(self.declared_variables, name) or _lookup_name(self.variable_loops, name)
        if key is None:
            raise expression_failed(f"The template variable '{name}' is not found")
        if key in self.variable_values:
            return self.variable_values[key]
        if key in self.variables_in_progress:
            chain = " -> ".join(self.variables_in_progress[self.variables_in_progress.index(key):] + [key])
            raise validation_failed(f"The template variable '{key}' is not valid: it refers to itself through "
                                    f"{chain}", "https://aka.ms/arm-template/#variables")
        self.variables_in_progress.append(key)
        try:
            scope = Scope(self, "variable")
            if key in self.declared_variables:
                value = self.evaluator.value(self.declared_variables[key], scope)
            else:
                value = self.evaluator.copy_array(self.variable_loops[key], scope)[1]
        except InvalidTemplate as error:
            raise located(error, f"The template variable '{key}'") from None
        finally:
            self.variables_in_progress.pop()
        self.variable_values[key] = value
        return value

    def resource_group(self) -> dict[str, Any]:
        context = self.context
        return {"id": context.resource_group_id, "name": context.resource_group,
                "type": "Microsoft.Resources/resourceGroups", "location": context.location,
                "tags": dict(context.resource_group_tags), "properties": {"provisioningState": "Succeeded"}}

    def subscription(self) -> dict[str, Any]:
        return {"id": f"/subscriptions/{self.context.subscription_id}",
                "subscriptionId": self.context.subscription_id, "tenantId": self.context.tenant_id,
                "displayName": self.context.subscription_id}

    def tenant(self) -> dict[str, Any]:
        return {"id": f"/tenants/{self.context.tenant_id}", "tenantId": self.context.tenant_id}

    def deployment(self) -> dict[str, Any]:
        template = {key: self.template[key] for key in ("$schema", "contentVersion", "parameters", "variables",
                                                        "resources", "outputs") if key in self.template}
        given = {name: {"value": SecureValue(value) if self.parameter_value(name).secure else value}
                 for name, value in self.given.items()}
        template_hash = murmur_hash64(json.dumps(self.template, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        properties: dict[str, Any] = {}
        if self.context.template_link:
            properties["templateLink"] = {"uri": self.context.template_link}
        properties.update({"template": template, "templateHash": str(template_hash), "parameters": given,
                           "mode": self.context.mode, "provisioningState": "Accepted"})
        return {"name": self.context.deployment_name, "properties": properties}

    def provider(self, namespace: str, resource_type: str | None) -> dict[str, Any]:
        known = {key.lower(): (key, versions) for key, versions in self.context.provider_api_versions.items()}
        if resource_type is None:
            types = [{"resourceType": key.split("/", 1)[1], "locations": [self.context.location],
                      "apiVersions": list(versions)}
                     for key, versions in known.values() if key.lower().startswith(namespace.lower() + "/")]
            if not types:
                raise expression_failed(f"Unable to evaluate template language function 'providers': the resource "
                                        f"provider namespace '{namespace}' is not registered")
            return {"namespace": namespace, "resourceTypes": types}
        found = known.get(f"{namespace}/{resource_type}".lower())
        if found is None:
            raise expression_failed(f"Unable to evaluate template language function 'providers': the resource type "
                                    f"'{resource_type}' of the namespace '{namespace}' is not registered")
        return {"resourceType": found[0].split("/", 1)[1], "locations": [self.context.location],
                "apiVersions": list(found[1])}

    def resolve_reference_target(self, target: str) -> str:
        if target.lower().startswith("/subscriptions/"):
            return target
        matches = self.resource_ids_by_name.get(target.lower(), [])
        if len(matches) == 1:
            return matches[0]
        segments = [part for part in target.strip("/").split("/") if part]
        if len(segments) >= 3 and len(segments) % 2 == 1:
            types = [segments[0]] + segments[1::2]
            return build_resource_id(self.context.subscription_id, self.context.resource_group,
                                     "/".join(types), segments[2::2])
        return target

    # --- parameters ----------------------------------------------------------------------------------
    def check_parameters(self, given: Mapping[str, Any]) -> None:
        """Every rule on the parameters, before anything else is evaluated (ARM's order)."""
        if not isinstance(self.declared_parameters, dict):
            raise validation_failed("The template 'parameters' property must be an object")
        unknown = [name for name in given if _lookup_name(self.declared_parameters, name) is None]
        if unknown:
            supported = ", ".join(self.declared_parameters)
            raise validation_failed(
                f"The template parameters '{', '.join(unknown)}' in the parameters file are not valid; they are not "
                "present in the original template and can therefore not be provided at deployment time. The only "
                f"supported parameters for this template are '{supported}'", "https://aka.ms/arm-deploy/#parameter-file")
        for name, declaration in self.declared_parameters.items():
            if not isinstance(declaration, dict) or not isinstance(declaration.get("type"), str) \
                    or declaration["type"].lower() not in PARAMETER_TYPES:
                kind = declaration.get("type") if isinstance(declaration, dict) else declaration
                raise validation_failed(f"The template parameter '{name}'{_at(self.document, declaration)} has an "
                                        f"invalid type '{kind}'. The supported types are "
                                        f"'{', '.join(PARAMETER_TYPES)}'", "https://aka.ms/arm-template/#parameters",
                                        self.document.place_of(declaration))
        for name, value in given.items():
            declared = _lookup_name(self.declared_parameters, name)
            assert declared is not None
            self.given[declared] = _unwrap_parameter(declared, value)
        for name, declaration in self.declared_parameters.items():
            if name in self.given:
                self.check_value(name, declaration, self.given[name])
            elif "defaultValue" not in declaration:
                raise validation_failed(f"The value for the template parameter '{name}'{_at(self.document, declaration)}"
                                        " is not provided", "https://aka.ms/resource-manager-parameter-files",
                                        self.document.place_of(declaration))
        for name in self.declared_parameters:
            self.parameter_value(name)

    def parameter_value(self, name: str) -> ParameterValue:
        if name in self.parameter_values:
            return self.parameter_values[name]
        declaration = self.declared_parameters[name]
        kind = declaration["type"].lower()
        if name in self.given:
            value = self.given[name]
        else:
            if name in self.parameters_in_progress:
                raise validation_failed(f"The template parameter '{name}' is not valid: its default value refers to "
                                        "itself", "https://aka.ms/arm-template/#parameters")
            self.parameters_in_progress.append(name)
            try:
                value = self.evaluator.value(declaration["defaultValue"], Scope(self, "parameter"))
            except InvalidTemplate as error:
                raise located(error, f"The template parameter '{name}'{_at(self.document, declaration)}",
                              self.document.place_of(declaration)) from None
            finally:
                self.parameters_in_progress.pop()
            if isinstance(value, SecureValue):
                value = value.reveal()
            if value is not None:
                self.check_value(name, declaration, value)
        result = ParameterValue(name, PARAMETER_TYPES[kind], SecureValue(value) if kind.startswith("secure") else value)
        self.parameter_values[name] = result
        return result

    def check_value(self, name: str, declaration: dict[str, Any], value: Any) -> None:
        try:
            self._check_value(name, declaration, value)
        except InvalidTemplate as error:
            raise placed(error, self.document.place_of(declaration)) from None

    def _check_value(self, name: str, declaration: dict[str, Any], value: Any) -> None:
        kind = declaration["type"].lower()
        secure = kind.startswith("secure")
        expected = {"string": str, "securestring": str, "int": int, "bool": bool, "object": dict,
                    "secureobject": dict, "array": list}[kind]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise validation_failed(f"Template parameter JToken type is not valid. Expected '{_JTOKEN_TYPE[kind]}'. "
                                    f"Actual '{type_name(value)}'", "https://aka.ms/resource-manager-parameter-files")
        where = _at(self.document, declaration)
        shown = "" if secure else f" '{dotnet_string(value)}'"
        prefix = f"The provided value{shown} for the template parameter '{name}'{where} is not valid."
        allowed = declaration.get("allowedValues")
        if isinstance(allowed, list):
            candidates = value if isinstance(value, list) else [value]
            if any(not any(_same(candidate, option) for option in allowed) for candidate in candidates):
                options = ",".join(dotnet_string(option) for option in allowed)
                raise validation_failed(f"{prefix} The parameter value is not part of the allowed value(s): '{options}'",
                                        "https://aka.ms/arm-template/#parameters")
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = declaration.get("minValue"), declaration.get("maxValue")
            if isinstance(low, int) and value < low:
                raise validation_failed(f"{prefix} The parameter value is less than the minimum allowed value "
                                        f"'{low}'", "https://aka.ms/arm-template/#parameters")
            if isinstance(high, int) and value > high:
                raise validation_failed(f"{prefix} The parameter value is greater than the maximum allowed value "
                                        f"'{high}'", "https://aka.ms/arm-template/#parameters")
        if isinstance(value, (str, list)):
            shortest, longest = declaration.get("minLength"), declaration.get("maxLength")
            if isinstance(shortest, int) and len(value) < shortest:
                raise validation_failed(f"{prefix} Length of the value should be greater than or equal to "
                                        f"'{shortest}'", "https://aka.ms/arm-template/#parameters")
            if isinstance(longest, int) and len(value) > longest:
                raise validation_failed(f"{prefix} Length of the value should be less than or equal to "
                                        f"'{longest}'", "https://aka.ms/arm-template/#parameters")


def _same(value: Any, option: Any) -> bool:
    if isinstance(value, str) and isinstance(option, str):
        return value == option
    if isinstance(value, bool) or isinstance(option, bool):
        return isinstance(value, bool) and isinstance(option, bool) and value == option
    return value == option


def _unwrap_parameter(name: str, value: Any) -> Any:
    """A plain value, or ARM's parameter-file shape `{"value": ...}` (a Key Vault `reference` is refused)."""
    if isinstance(value, SecureValue):
        value = value.reveal()
    if isinstance(value, dict) and set(value) <= {"value", "metadata"} and "value" in value:
        return value["value"]
    if isinstance(value, dict) and "reference" in value and set(value) <= {"reference", "metadata"}:
        raise validation_failed(f"The value of the template parameter '{name}' is a Key Vault reference; "
                                "references to Key Vault secrets are not supported here: give the value itself",
                                "https://aka.ms/resource-manager-parameter-files")
    return value


@dataclass(eq=False)
class _Declared:
    """One resource instance found in the template before its body is evaluated."""

    declaration: dict[str, Any]
    scope: Scope
    type: str
    name: str
    api_version: str
    id: str
    copy_name: str | None
    copy_index: int | None
    batch: int | None
    enabled: bool


@dataclass
class Plan:
    """The prepared template: resources in dependency order, their parallel levels, and what comes later."""

    context: DeploymentContext
    parameters: dict[str, ParameterValue]
    resources: tuple[PlannedResource, ...]
    levels: tuple[tuple[str, ...], ...]
    """Resource ids per level: every resource of a level depends only on resources of earlier levels."""
    skipped: tuple[str, ...]
    """Ids of resources whose `condition` is false (Complete mode deletes them when they exist)."""
    template: dict[str, Any] = field(repr=False)
    _host: _Template = field(repr=False)

    def resource(self, resource_id: str) -> PlannedResource:
        """The planned resource with this id (case-insensitive); KeyError when the plan has none."""
        lowered = resource_id.lower()
        for resource in self.resources:
            if resource.id.lower() == lowered:
                return resource
        raise KeyError(resource_id)

    def shown_parameters(self) -> dict[str, dict[str, Any]]:
        """`properties.parameters` of the deployment as ARM returns it (secure values without value)."""
        return {name: value.shown() for name, value in self.parameters.items()}

    def render(self, resource: PlannedResource, reference: ReferenceCallback) -> dict[str, Any]:
        """The resource's body with every `reference()` resolved through the engine's callback."""
        if not resource.deferred or resource._scope is None:
            return resource.body
        scope = Scope(self._host, "resource", resource._scope.copy_indexes, resource._scope.resource_loop, reference)
        return _evaluate_body(self._host, resource._declaration, scope, resource.type)

    def outputs(self, reference: ReferenceCallback) -> dict[str, dict[str, Any]]:
        """The template's outputs as ARM returns them: `{name: {"type", "value"}}` (secure ones without value)."""
        declared = self.template.get("outputs") or {}
        if not isinstance(declared, dict):
            raise validation_failed("The template 'outputs' property must be an object")
        results: dict[str, dict[str, Any]] = {}
        host = self._host
        for name, output in declared.items():
            scope = Scope(host, "output", reference=reference, resource_loop=name)
            try:
                if not isinstance(output, dict) or not isinstance(output.get("type"), str) \
                        or output["type"].lower() not in PARAMETER_TYPES:
                    raise expression_failed(f"The template output '{name}' has no valid 'type'")
                if "condition" in output:
                    condition = host.evaluator.value(output["condition"], scope)
                    if condition is False:
                        continue
                    if not isinstance(condition, bool):
                        raise expression_failed(f"The condition of the template output '{name}' is not a boolean")
                if isinstance(output.get("copy"), dict):
                    value: Any = host.evaluator.copy_array({"name": name, **output["copy"]}, scope)[1]
                else:
                    value = host.evaluator.value(output.get("value"), scope)
                if isinstance(value, SecureValue):
                    value = value.reveal()
                kind = output["type"].lower()
                expected = {"string": str, "securestring": str, "int": int, "bool": bool, "object": dict,
                            "secureobject": dict, "array": list}[kind]
                if value is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
                    raise expression_failed(f"The template output '{name}' is not valid: the value of type "
                                            f"'{type_name(value)}' does not match the declared type '{output['type']}'")
            except InvalidTemplate as error:
                raise OutputEvaluationFailed(f"Unable to evaluate template outputs: '{name}'. Please see error details "
                                             "and deployment operations. Please see "
                                             "https://aka.ms/arm-common-errors for usage details.",
                                             details=({"code": error.code, "message": error.message},)) from None
            shown_type = PARAMETER_TYPES[kind]
            results[name] = {"type": shown_type} if kind.startswith("secure") else {"type": shown_type, "value": value}
        return results


def _evaluate_body(host: _Template, declaration: dict[str, Any], scope: Scope, kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in declaration.items():
        if key.lower() in _BODY_SKIP:
            continue
        if key.lower() == "properties" and _inner_scoped_deployment(kind, value):
            # A nested template with inner scope is evaluated by its own deployment, with its own parameters.
            body[key] = {name: item if name.lower() == "template"
                         else host.evaluator.value(item, scope) for name, item in value.items()}
            continue
        if key.lower() in _NO_REFERENCE:
            fixed = Scope(host, "resource", scope.copy_indexes, scope.resource_loop, None, scope.referenced)
            body[key] = host.evaluator.value(value, fixed, property_copy=False)
            continue
        body[key] = host.evaluator.value(value, scope, property_copy=key.lower() == "properties")
    return body


def _inner_scoped_deployment(kind: str, properties: Any) -> bool:
    """A nested `Microsoft.Resources/deployments` whose `expressionEvaluationOptions.scope` is 'inner'."""
    if kind.lower() != "microsoft.resources/deployments" or not isinstance(properties, dict):
        return False
    options = next((item for name, item in properties.items() if name.lower() == "expressionevaluationoptions"), None)
    scope = next((item for name, item in options.items() if name.lower() == "scope"), None) \
        if isinstance(options, dict) else None
    return isinstance(scope, str) and scope.lower() == "inner"


def _text(host: _Template, value: Any, scope: Scope, what: str, declaration: Any) -> str:
    result = host.evaluator.value(value, scope)
    if not isinstance(result, str) or not result:
        raise validation_failed(f"The template resource{_at(host.document, declaration)} has an invalid '{what}': "
                                f"expected a non-empty string, got a value of type '{type_name(result)}'",
                                "https://aka.ms/arm-template/#resources")
    return result


def _declared_resources(host: _Template, declarations: list[Any], parent: _Declared | None) -> list[_Declared]:
    found: list[_Declared] = []
    for declaration in declarations:
        if not isinstance(declaration, dict):
            raise validation_failed("Each template resource must be an object", "https://aka.ms/arm-template/#resources")
        try:
            found.extend(_declared_resource(host, declaration, parent))
        except InvalidTemplate as error:
            raise placed(located(error, _where(host, declaration)), host.document.place_of(declaration)) from None
    return found


def _where(host: _Template, declaration: dict[str, Any]) -> str:
    """How ARM names a resource in its messages: the name as written, and where it starts."""
    return f"The template resource '{declaration.get('name')}'{_at(host.document, declaration)}"


def _declared_resource(host: _Template, declaration: dict[str, Any], parent: _Declared | None) -> list[_Declared]:
    found: list[_Declared] = []
    base = parent.scope if parent else Scope(host, "resource-identity")
    loop = declaration.get("copy")
    instances: list[tuple[Scope, str | None, int | None, int | None]]
    if isinstance(loop, dict):
        loop_name = loop.get("name")
        if not isinstance(loop_name, str) or not loop_name or "count" not in loop:
            raise validation_failed(f"The copy property of the template resource{_at(host.document, declaration)} "
                                    "must have a 'name' and a 'count'", "https://aka.ms/arm-copy")
        host.loop_names.add(loop_name.lower())
        count = host.evaluator.count(loop["count"], base, loop_name)
        serial = str(loop.get("mode", "parallel")).lower() == "serial"
        batch_size = loop.get("batchSize", 1) if serial else None
        if serial and (not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1):
            raise validation_failed(f"The batchSize of the copy loop '{loop_name}' must be a positive integer",
                                    "https://aka.ms/arm-copy")
        instances = [(Scope(host, "resource-identity", {**base.copy_indexes, loop_name.lower(): index}, loop_name),
                      loop_name, index, index // batch_size if batch_size else None) for index in range(count)]
    elif loop is not None:
        raise validation_failed("The copy property of a resource must be an object", "https://aka.ms/arm-copy")
    else:
        instances = [(base, parent.copy_name if parent else None, parent.copy_index if parent else None, None)]
    for scope, loop_name, index, batch in instances:
        kind = _text(host, declaration.get("type"), scope, "type", declaration)
        name = _text(host, declaration.get("name"), scope, "name", declaration)
        api_version = host.evaluator.value(declaration.get("apiVersion"), scope)
        if not isinstance(api_version, str) or not api_version:
            raise validation_failed(f"The template resource '{name}'{_at(host.document, declaration)} is not "
                                    "valid: the required property 'apiVersion' is missing or not a string",
                                    "https://aka.ms/arm-template/#resources")
        if parent is not None and kind.count("/") == 0:
            kind, name = f"{parent.type}/{kind}", f"{parent.name}/{name}"
        type_segments = [part for part in kind.split("/") if part]
        name_segments = name.split("/")
        if len(type_segments) < 2 or len(name_segments) != len(type_segments) - 1 or not all(name_segments):
            raise validation_failed(
                f"The template resource '{name}' for type '{kind}'{_at(host.document, declaration)} has incorrect "
                "segment lengths. A nested resource type must have identical number of segments as its resource "
                "name. A root resource type must have segment length one greater than its resource name",
                "https://aka.ms/arm-syntax-resources")
        enabled = parent.enabled if parent else True
        if enabled and "condition" in declaration:
            condition = host.evaluator.value(declaration["condition"], scope)
            if not isinstance(condition, bool):
                raise validation_failed(f"The condition of the template resource '{name}'"
                                        f"{_at(host.document, declaration)} must be a boolean, not "
                                        f"'{type_name(condition)}'", "https://aka.ms/arm-template/#resources")
            enabled = condition
        resource_id = build_resource_id(host.context.subscription_id, host.context.resource_group, kind,
                                        name_segments)
        item = _Declared(declaration, scope, kind, name, api_version, resource_id, loop_name, index, batch,
                         enabled)
        found.append(item)
        children = declaration.get("resources")
        if isinstance(children, list):
            found.extend(_declared_resources(host, children, item))
    return found


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _dependency_index(declared: list[_Declared]) -> dict[str, list[_Declared]]:
    index: dict[str, list[_Declared]] = {}
    filed: set[tuple[str, int]] = set()

    def add(key: str, item: _Declared) -> None:
        key = key.lower().strip("/")
        if (key, id(item)) not in filed:
            filed.add((key, id(item)))
            index.setdefault(key, []).append(item)

    for item in declared:
        add(item.id, item)
        add(item.id.split("/providers/", 1)[1], item)
        add(f"{item.type}/{item.name}", item)
        add(item.name, item)
        if item.copy_name:
            add(item.copy_name, item)
    return index


def _levels(host: _Template, resources: list[PlannedResource]) -> tuple[tuple[str, ...], ...]:
    """Kahn's layering: level k holds the resources whose dependencies all sit in levels before k."""
    order = {resource.id: position for position, resource in enumerate(resources)}
    missing = {resource.id: len(set(resource.depends_on)) for resource in resources}
    dependents: dict[str, list[str]] = {}
    for resource in resources:
        for need in set(resource.depends_on):
            dependents.setdefault(need, []).append(resource.id)
    level = sorted((rid for rid, count in missing.items() if count == 0), key=order.__getitem__)
    levels: list[tuple[str, ...]] = []
    placed = 0
    while level:
        levels.append(tuple(level))
        placed += len(level)
        following: list[str] = []
        for rid in level:
            for dependent in dependents.get(rid, ()):
                missing[dependent] -= 1
                if missing[dependent] == 0:
                    following.append(dependent)
        level = sorted(following, key=order.__getitem__)
    if placed < len(resources):
        done = {rid for layer in levels for rid in layer}
        waiting = {resource.id: set(resource.depends_on) for resource in resources if resource.id not in done}
        raise validation_failed(f"Circular dependency detected on resource: '{_cycle_member(waiting, done)}'",
                                "https://aka.ms/arm-syntax-resources")
    return tuple(levels)


def _cycle_member(waiting: dict[str, set[str]], done: set[str]) -> str:
    """A resource on a dependency cycle (the first one met walking from the first blocked resource)."""
    current = next(iter(waiting))
    seen: list[str] = []
    while current not in seen:
        seen.append(current)
        current = next(rid for rid in sorted(waiting[current]) if rid not in done)
    return current


def prepare(template_text: str, parameters: Mapping[str, Any] | None, context: DeploymentContext) -> Plan:
    """Parse, validate and evaluate a template as ARM does before it deploys anything.

    `parameters` maps names to plain values or to ARM's parameter-file shape `{"value": ...}`.
    Raises InvalidTemplate (with ARM's message) for anything ARM would refuse."""
    size = len(template_text.encode("utf-8"))
    if size > LIMITS["template_bytes"]:
        raise validation_failed(f"The template is {size} bytes; the limit is {LIMITS['template_bytes']} bytes",
                                "https://aka.ms/arm-template-limits")
    try:
        return _prepare(template_text, parameters, context)
    except RecursionError:
        raise validation_failed("The template nests its values or expressions too deeply to evaluate") from None


def _prepare(template_text: str, parameters: Mapping[str, Any] | None, context: DeploymentContext) -> Plan:
    document = read_json(template_text)
    if not isinstance(document.value, dict):
        raise validation_failed("The template must be a JSON object")
    if document.value.get("functions"):
        raise validation_failed("The template declares user-defined functions (its 'functions' section), which "
                                "the emulator does not evaluate", "https://aka.ms/arm-template/#functions")
    host = _Template(document, context)
    host.check_parameters(dict(parameters or {}))
    for name in list(host.declared_variables) + list(host.variable_loops):
        host.variable(name)
    declarations = host.template.get("resources")
    if declarations is None:
        raise validation_failed("Required property 'resources' not found in JSON. Path '', line 1, position 1")
    if not isinstance(declarations, list):
        raise validation_failed("The template 'resources' property must be an array (language version 2.0 "
                                "symbolic resources are not supported)")
    declared = _declared_resources(host, declarations, None)
    if len(declared) > LIMITS["resources"]:
        raise validation_failed(f"The template declares {len(declared)} resources (copies counted); the limit is "
                                f"{LIMITS['resources']}", "https://aka.ms/arm-template-limits")
    seen: dict[str, _Declared] = {}
    for item in declared:
        if item.enabled:
            if item.id.lower() in seen:
                raise validation_failed(f"The resource '{item.id.split('/providers/', 1)[1]}'"
                                        f"{_at(document, item.declaration)} is defined multiple times in a template",
                                        "https://aka.ms/arm-template/#resources", document.place_of(item.declaration))
            seen[item.id.lower()] = item
            host.resource_ids_by_name.setdefault(item.name.lower(), []).append(item.id)
    enabled = [item for item in declared if item.enabled]
    index = _dependency_index(declared)
    by_id = {item.id.lower(): item for item in enabled}
    batches: dict[tuple[int, int], list[str]] = {}
    for item in enabled:
        if item.batch is not None:
            batches.setdefault((id(item.declaration), item.batch), []).append(item.id)
    resources: list[PlannedResource] = []
    for item in enabled:
        referenced: set[str] = set()
        scope = Scope(host, "resource", item.scope.copy_indexes, item.scope.resource_loop,
                      lambda target, api_version, full: Deferred(target), referenced)
        try:
            body = _evaluate_body(host, item.declaration, scope, item.type)
            targets = [host.evaluator.value(entry, item.scope) for entry in _list(item.declaration.get("dependsOn"))]
        except InvalidTemplate as error:
            raise placed(located(error, _where(host, item.declaration)),
                         host.document.place_of(item.declaration)) from None
        except TypeError:
            raise validation_failed(f"The 'dependsOn' of the template resource '{item.name}' must be an array",
                                    "https://aka.ms/arm-template/#resources") from None
        needs: list[str] = []
        for target in targets:
            if not isinstance(target, str):
                raise validation_failed(f"The 'dependsOn' of the template resource '{item.name}' must hold strings",
                                        "https://aka.ms/arm-template/#resources")
            key = target.lower().strip("/")
            matches = index.get(key, [])
            if "/" not in key:  # a plain name or loop name never means the resource itself
                matches = [match for match in matches if match.id.lower() != item.id.lower()]
            if not matches and key not in host.loop_names:  # a loop of count 0 is a dependency on nothing
                raise validation_failed(f"The resource '{target}' is not defined in the template",
                                        "https://aka.ms/arm-template")
            needs.extend(match.id for match in matches if match.enabled)
        needs.extend(by_id[rid].id for rid in referenced if rid in by_id)
        if item.batch:
            needs.extend(batches.get((id(item.declaration), item.batch - 1), ()))
        position = document.position_of(item.declaration)
        if any(need.lower() == item.id.lower() for need in needs):
            raise validation_failed(f"Circular dependency detected on resource: '{item.id}'",
                                    "https://aka.ms/arm-syntax-resources")
        unique_needs = tuple(dict.fromkeys(needs))
        resources.append(PlannedResource(item.id, item.type, item.name, item.api_version, body, unique_needs,
                                         item.copy_name, item.copy_index, position[0] if position else None,
                                         position[1] if position else None, item.declaration, item.scope))
    levels = _levels(host, resources)
    by_resource_id = {resource.id: resource for resource in resources}
    ordered = tuple(by_resource_id[rid] for level in levels for rid in level)
    skipped = tuple(dict.fromkeys(item.id for item in declared if not item.enabled and item.id.lower() not in seen))
    parameters_shown = {name: host.parameter_value(name) for name in host.declared_parameters}
    return Plan(context, parameters_shown, ordered, levels, skipped, host.template, host)


def read_parameters_text(text: str) -> dict[str, Any]:
    """A parameters file as az reads it: ARM's `{"$schema", "parameters": {...}}` file or a bare name map."""
    document = read_json(text)
    value = document.value
    if not isinstance(value, dict):
        raise validation_failed("A parameters file must hold a JSON object", "https://aka.ms/resource-manager-parameter-files")
    inner = value.get("parameters", value)  # az: parsed.get('parameters', parsed)
    if not isinstance(inner, dict):
        raise validation_failed("The 'parameters' of a parameters file must be a JSON object",
                                "https://aka.ms/resource-manager-parameter-files")
    return dict(inner)


def parameter_from_text(template_text: str, name: str, text: str) -> Any:
    """A `-p name=value` from a command line, typed by the template's declaration exactly as az types it.

    azure-cli `_try_parse_key_value_object`: the name must be declared (same case), object/array/
    secureObject values are JSON, bool is `value.lower() == 'true'`, int is `int(value)`, anything else
    the text itself."""
    document = read_json(template_text)
    declared = (document.value.get("parameters") or {}) if isinstance(document.value, dict) else {}
    if not isinstance(declared, dict) or name not in declared:
        allowed = ", ".join(sorted(declared)) if isinstance(declared, dict) else ""
        raise InvalidTemplate(f"unrecognized template parameter '{name}'. Allowed parameters: {allowed}")
    declaration = declared[name]
    kind = str(declaration.get("type", "")).lower() if isinstance(declaration, dict) else ""
    if kind in ("object", "array", "secureobject"):
        try:
            return json.loads(text)
        except ValueError:
            raise InvalidTemplate(f"The value of the parameter '{name}' is not valid JSON: {text!r}") from None
    if kind == "bool":
        return text.lower() == "true"
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise InvalidTemplate(f"The value of the parameter '{name}' is not an integer: {text!r}") from None
    return text
