"""ARM template expressions: `"[concat('a', parameters('b'))]"` parsed and evaluated.

A JSON string is an expression when it starts with '[' and ends with ']'; '[[' at the start escapes the
bracket and the rest is a literal string ('[[x]' is the text '[x]'). Anything else, including text
around an expression, is a literal. An expression is a function call, a string ('' inside one is a
quote) or an integer, followed by any number of `.property` and `[index]` accesses. Function and
property names are case-insensitive. A whole-string expression keeps the type of its value (int,
bool, object, array, null). Function behaviour follows the Microsoft Learn template-functions pages;
each rule and choice is listed in docs/emulator-fidelity.md, "ARM templates (issue 15)".
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from .errors import InvalidTemplate, expression_failed
from .hashing import arm_guid, unique_string
from .secure import SecureValue


# --- values only known at deployment time ------------------------------------------------------------

class Deferred:
    """The value of an expression that needs `reference()`: known only once the resource it reads exists.

    Prints as the expression itself, which is also how what-if shows a value it cannot resolve."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"[{self.text}]"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Deferred) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("Deferred", self.text))


def contains_deferred(value: Any) -> bool:
    """True when some part of `value` waits for a `reference()` at deployment time."""
    if isinstance(value, Deferred):
        return True
    if isinstance(value, dict):
        return any(contains_deferred(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_deferred(item) for item in value)
    return False


# --- syntax --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    text: str


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Call(Node):
    name: str
    arguments: tuple[Node, ...]


@dataclass(frozen=True)
class Property(Node):
    target: Node
    name: str


@dataclass(frozen=True)
class Index(Node):
    target: Node
    index: Node


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<identifier>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<punct>[()\[\],.])
""", re.VERBOSE)
_PUNCT_NAMES = {"(": "LeftParenthesis", ")": "RightParenthesis", "[": "LeftSquareBracket",
                "]": "RightSquareBracket", ",": "Comma", ".": "Dot"}


@dataclass
class _Token:
    kind: str  # string, number, identifier, punct, end
    value: str
    start: int

    @property
    def arm_name(self) -> str:
        if self.kind == "punct":
            return _PUNCT_NAMES[self.value]
        return {"string": "String", "number": "Integer", "identifier": "Identifier", "end": "EndOfData"}[self.kind]


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens: list[_Token] = []
        position = 0
        while position < len(source):
            match = _TOKEN.match(source, position)
            if not match:
                if source[position] == "'":
                    raise self.error("the string literal is not terminated")
                raise self.error(f"the character '{source[position]}' at position '{position}' is not expected")
            position = match.end()
            kind = match.lastgroup or ""
            if kind != "space":
                self.tokens.append(_Token(kind, match.group(0), match.start()))
        self.tokens.append(_Token("end", "", len(source)))
        self.position = 0
        self.depth = 0

    def error(self, detail: str) -> InvalidTemplate:
        return expression_failed(f"Unable to parse language expression '{self.source}': {detail}")

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self, kind: str, value: str | None = None) -> _Token:
        token = self.peek()
        if token.kind != kind or (value is not None and token.value != value):
            wanted = _PUNCT_NAMES[value] if value else {"identifier": "Identifier"}.get(kind, kind)
            raise self.error(f"expected token '{wanted}' and actual '{token.arm_name}'")
        self.position += 1
        return token

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("the expression is empty")
        node = self.expression()
        if self.peek().kind != "end":
            raise self.error(f"expected token 'EndOfData' and actual '{self.peek().arm_name}'")
        return node

    def expression(self) -> Node:
        self.depth += 1
        try:
            return self._expression()
        finally:
            self.depth -= 1

    def _expression(self) -> Node:
        if self.depth > MAX_EXPRESSION_DEPTH:
            raise self.error(f"the expression nests deeper than {MAX_EXPRESSION_DEPTH} levels")
        start = self.peek().start
        token = self.peek()
        node: Node
        if token.kind == "string":
            self.position += 1
            node = Literal(token.value, token.value[1:-1].replace("''", "'"))
        elif token.kind == "number":
            self.position += 1
            node = Literal(token.value, float(token.value) if "." in token.value else int(token.value))
        elif token.kind == "identifier":
            self.position += 1
            self.take("punct", "(")
            arguments: list[Node] = []
            if not (self.peek().kind == "punct" and self.peek().value == ")"):
                arguments.append(self.expression())
                while self.peek().kind == "punct" and self.peek().value == ",":
                    self.position += 1
                    arguments.append(self.expression())
            self.take("punct", ")")
            node = Call(self.source[start:self.tokens[self.position - 1].start + 1], token.value, tuple(arguments))
        else:
            raise self.error(f"expected token 'Identifier' and actual '{token.arm_name}'")
        while self.peek().kind == "punct" and self.peek().value in ".[":
            if self.peek().value == ".":
                self.position += 1
                name = self.take("identifier").value
                node = Property(self.source[start:self.tokens[self.position - 1].start + len(name)], node, name)
            else:
                self.position += 1
                index = self.expression()
                self.take("punct", "]")
                node = Index(self.source[start:self.tokens[self.position - 1].start + 1], node, index)
        return node


_PARSED: dict[str, Node] = {}
MAX_EXPRESSION_LENGTH = 24_576
"""ARM's limit on the characters of one template expression (template limits, Microsoft Learn best-practices)."""
MAX_EXPRESSION_DEPTH = 64
"""Function calls nested deeper than this are refused (an emulator limit, not ARM's)."""


def parse_expression(source: str) -> Node:
    """The syntax tree of one expression (the text between the outer brackets)."""
    node = _PARSED.get(source)
    if node is None:
        if len(source) + 2 > MAX_EXPRESSION_LENGTH:
            raise expression_failed(f"The template language expression is {len(source) + 2} characters long; the "
                                    f"limit is {MAX_EXPRESSION_LENGTH}")
        node = _Parser(source).parse()
        if len(_PARSED) < 4096:
            _PARSED[source] = node
    return node


def expression_text(value: str) -> str | None:
    """The expression inside a template string, or None when the string is a literal."""
    if len(value) >= 2 and value.startswith("[") and value.endswith("]") and not value.startswith("[["):
        return value[1:-1]
    return None


def literal_text(value: str) -> str:
    """A literal template string as ARM reads it: a leading '[[' stands for '['."""
    if value.startswith("[[") and value.endswith("]"):
        return value[1:]
    return value


# --- evaluation ----------------------------------------------------------------------------------------

ReferenceCallback = Callable[[str, "str | None", bool], Any]
"""(resource id or name, api version or None, full) -> the resource's properties (or the whole resource)."""


class Host(Protocol):
    """What an expression can ask of the template around it (the engine implements this)."""

    def parameter(self, name: str) -> Any: ...
    def variable(self, name: str) -> Any: ...
    def resource_group(self) -> dict[str, Any]: ...
    def subscription(self) -> dict[str, Any]: ...
    def tenant(self) -> dict[str, Any]: ...
    def deployment(self) -> dict[str, Any]: ...
    def provider(self, namespace: str, resource_type: str | None) -> dict[str, Any]: ...
    def resolve_reference_target(self, target: str) -> str: ...


@dataclass
class Scope:
    """Where an expression is evaluated: which functions are allowed there and the loop indexes in force."""

    host: Host
    place: str  # "parameter", "variable", "resource", "resource-identity", "output"
    copy_indexes: dict[str, int] = field(default_factory=dict)
    resource_loop: str | None = None
    reference: ReferenceCallback | None = None
    referenced: set[str] | None = None

    def inner(self, loop: str, index: int) -> "Scope":
        indexes = dict(self.copy_indexes)
        indexes[loop.lower()] = index
        return Scope(self.host, self.place, indexes, self.resource_loop, self.reference, self.referenced)


def type_name(value: Any) -> str:
    """ARM's name for the type of a value, as its messages say it."""
    if isinstance(value, SecureValue):
        return type_name(value.reveal())
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if value is None:
        return "Null"
    return type(value).__name__


def _not_expected(name: str, why: str = "") -> InvalidTemplate:
    return expression_failed(f"The template function '{name}' is not expected at this location.{(' ' + why) if why else ''}")


def _function_error(name: str, detail: str) -> InvalidTemplate:
    return expression_failed(f"Unable to evaluate template language function '{name}': {detail}")


def _expect(name: str, value: Any, *kinds: type) -> None:
    wanted = [kind for kind in kinds]
    if isinstance(value, bool) and bool not in wanted:
        ok = False
    else:
        ok = isinstance(value, tuple(wanted))
    if not ok:
        names = {str: "String", int: "Integer", bool: "Boolean", dict: "Object", list: "Array", float: "Float"}
        expected = "' or '".join(names[kind] for kind in kinds)
        raise expression_failed(f"The template language function '{name}' expects its parameter to be of type "
                                f"'{expected}'. The provided value is of type '{type_name(value)}'")


def _count(name: str, arguments: list[Any], low: int, high: int | None = None) -> None:
    if len(arguments) < low or (high is not None and len(arguments) > high):
        if high is None:
            wanted = f"at least '{low}' parameter(s)"
        elif low == high:
            wanted = f"'{low}' parameter(s)"
        else:
            wanted = f"'{low}' to '{high}' parameters"
        raise expression_failed(f"The template language function '{name}' must have {wanted}")


def dotnet_string(value: Any) -> str:
    """How ARM turns a value into text (`string()`, `concat()`): .NET's words for booleans, compact JSON."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def _lookup(mapping: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    if key in mapping:
        return True, mapping[key]
    lowered = key.lower()
    for name, item in mapping.items():
        if name.lower() == lowered:
            return True, item
    return False, None


def arm_equals(left: Any, right: Any) -> bool:
    """ARM's deep equality: objects compare property by property, numbers by value, strings exactly."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return len(left) == len(right) and all(
            _lookup(right, key)[0] and arm_equals(value, _lookup(right, key)[1]) for key, value in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(arm_equals(a, b) for a, b in zip(left, right))
    return bool(type(left) is type(right) or (isinstance(left, (int, float)) and isinstance(right, (int, float)))) \
        and left == right


class Evaluator:
    """Evaluates expressions and template values (strings, objects with `copy` arrays, arrays) in a scope."""

    def value(self, value: Any, scope: Scope, *, property_copy: bool = True) -> Any:
        """A template value with every expression in it evaluated (and `copy` arrays expanded)."""
        if isinstance(value, str):
            text = expression_text(value)
            if text is None:
                return literal_text(value)
            return self.expression(text, scope)
        if isinstance(value, dict):
            result: dict[str, Any] = {}
            copies = value.get("copy") if property_copy else None
            for key, item in value.items():
                if property_copy and key == "copy" and isinstance(copies, list):
                    continue
                result[key] = self.value(item, scope, property_copy=property_copy)
            if isinstance(copies, list):
                for loop in copies:
                    name, items = self.copy_array(loop, scope)
                    result[name] = items
            return result
        if isinstance(value, list):
            return [self.value(item, scope, property_copy=property_copy) for item in value]
        return value

    def copy_array(self, loop: Any, scope: Scope) -> tuple[str, Any]:
        """One `{"name", "count", "input"}` of a property or variable `copy` array: (name, list of inputs)."""
        if not isinstance(loop, dict) or not isinstance(loop.get("name"), str) or "count" not in loop \
                or "input" not in loop:
            raise expression_failed("The copy property must be an object with 'name', 'count' and 'input' properties")
        name = loop["name"]
        count = self.count(loop["count"], scope, name)
        return name, [self.value(loop["input"], scope.inner(name, index)) for index in range(count)]

    def count(self, value: Any, scope: Scope, loop: str) -> int:
        """A copy loop's count: an integer from 0 to 800 (ARM's limits); reference() is not allowed in it."""
        count = self.value(value, Scope(scope.host, scope.place, scope.copy_indexes, scope.resource_loop,
                                         None, scope.referenced))
        if isinstance(count, SecureValue):
            count = count.reveal()
        if isinstance(count, bool) or not isinstance(count, int):
            raise expression_failed(f"The copy count of '{loop}' must be an integer; it is of type '{type_name(count)}'")
        if count < 0 or count > 800:
            raise expression_failed(f"The copy count of '{loop}' must be between 0 and 800; it is '{count}'")
        return count

    def expression(self, source: str, scope: Scope) -> Any:
        return self.node(parse_expression(source), scope)

    def node(self, node: Node, scope: Scope) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Property):
            return self.access(self.node(node.target, scope), node.name, node)
        if isinstance(node, Index):
            target = self.node(node.target, scope)
            index = self.node(node.index, scope)
            if isinstance(index, Deferred):
                return Deferred(node.text)
            if isinstance(index, SecureValue):
                index = index.reveal()
            return self.access(target, index, node)
        assert isinstance(node, Call)
        name = node.name.lower()
        if name == "if":
            return self.call_if(node, scope)
        arguments = [self.node(argument, scope) for argument in node.arguments]
        if any(isinstance(argument, Deferred) for argument in arguments):
            return Deferred(node.text)
        function = FUNCTIONS.get(name)
        if function is None:
            raise expression_failed(f"The template function '{node.name}' is not valid")
        if name in ("parameters", "variables") or not any(isinstance(a, SecureValue) for a in arguments):
            return function(self, node, arguments, scope)
        plain = [argument.reveal() if isinstance(argument, SecureValue) else argument for argument in arguments]
        result = function(self, node, plain, scope)
        return SecureValue(result) if isinstance(result, (str, dict, list)) else result

    def call_if(self, node: Call, scope: Scope) -> Any:
        if len(node.arguments) != 3:
            raise expression_failed("The template language function 'if' must have '3' parameter(s)")
        condition = self.node(node.arguments[0], scope)
        if isinstance(condition, Deferred):
            return Deferred(node.text)
        if isinstance(condition, SecureValue):
            condition = condition.reveal()
        _expect("if", condition, bool)
        return self.node(node.arguments[1] if condition else node.arguments[2], scope)

    def access(self, target: Any, key: Any, node: Node) -> Any:
        if isinstance(target, Deferred):
            return Deferred(node.text)
        if isinstance(target, SecureValue):
            result = self.access(target.reveal(), key, node)
            return SecureValue(result) if isinstance(result, (str, dict, list)) else result
        if isinstance(target, dict) and isinstance(key, str):
            found, item = _lookup(target, key)
            if not found:
                available = ", ".join(target.keys())
                raise expression_failed(f"The language expression property '{key}' doesn't exist, available "
                                        f"properties are '{available}'")
            return item
        if isinstance(target, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(target):
                raise expression_failed(f"The language expression property array index '{key}' is out of bounds")
            return target[key]
        raise expression_failed(f"The language expression property '{key}' can't be evaluated on a value of "
                                f"type '{type_name(target)}'")


# --- the functions -------------------------------------------------------------------------------------

Function = Callable[[Evaluator, Call, list[Any], Scope], Any]
FUNCTIONS: dict[str, Function] = {}


def _function(*names: str) -> Callable[[Function], Function]:
    def register(implementation: Function) -> Function:
        for name in names:
            FUNCTIONS[name.lower()] = implementation
        return implementation
    return register


@_function("parameters")
def _parameters(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("parameters", args, 1, 1)
    _expect("parameters", args[0], str)
    return scope.host.parameter(args[0])


@_function("variables")
def _variables(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("variables", args, 1, 1)
    _expect("variables", args[0], str)
    if scope.place == "parameter":
        raise _not_expected("variables", "Variables can't be used in parameter default values.")
    return scope.host.variable(args[0])


@_function("concat")
def _concat(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("concat", args, 1)
    if all(isinstance(arg, list) or arg is None for arg in args) and any(isinstance(arg, list) for arg in args):
        return [item for arg in args if arg is not None for item in arg]
    for arg in args:
        if isinstance(arg, (dict, list)):
            raise expression_failed("The template language function 'concat' expects its parameters to be all of "
                                    f"type 'String' or all of type 'Array'. One parameter is of type '{type_name(arg)}'")
    return "".join(dotnet_string(arg) for arg in args)


@_function("toLower")
def _to_lower(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("toLower", args, 1, 1)
    _expect("toLower", args[0], str)
    return args[0].lower()


@_function("toUpper")
def _to_upper(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("toUpper", args, 1, 1)
    _expect("toUpper", args[0], str)
    return args[0].upper()


@_function("substring")
def _substring(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("substring", args, 1, 3)
    text = args[0]
    _expect("substring", text, str)
    start = args[1] if len(args) > 1 else 0
    _expect("substring", start, int)
    length = args[2] if len(args) > 2 else len(text) - start
    _expect("substring", length, int)
    if start < 0 or length < 0 or start + length > len(text):
        raise expression_failed("The index and length parameters must refer to a location within the string. "
                                f"The index parameter: '{start}', the length parameter: '{length}', the length "
                                f"of the string parameter: '{len(text)}'")
    return text[start:start + length]


@_function("length")
def _length(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("length", args, 1, 1)
    _expect("length", args[0], str, list, dict)
    return len(args[0])


@_function("uniqueString")
def _unique_string(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("uniqueString", args, 1)
    for arg in args:
        _expect("uniqueString", arg, str)
    return unique_string(*args)


@_function("guid")
def _guid(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("guid", args, 1)
    for arg in args:
        _expect("guid", arg, str)
    return arm_guid(*args)


@_function("newGuid")
def _new_guid(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("newGuid", args, 0, 0)
    if scope.place != "parameter":
        raise _not_expected("newGuid", "The function can only be used within the default value of a parameter.")
    return str(uuid.uuid4())


@_function("utcNow")
def _utc_now(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("utcNow", args, 0, 1)
    if scope.place != "parameter":
        raise _not_expected("utcNow", "The function can only be used within the default value of a parameter.")
    now = datetime.now(timezone.utc)
    if not args:
        return now.strftime("%Y%m%dT%H%M%SZ")
    _expect("utcNow", args[0], str)
    formats = {"u": "%Y-%m-%d %H:%M:%SZ", "d": "%m/%d/%Y", "s": "%Y-%m-%dT%H:%M:%S", "o": "%Y-%m-%dT%H:%M:%S.%f0Z"}
    if args[0] in formats:
        return now.strftime(formats[args[0]])
    pattern = args[0]
    for dotnet, python in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")):
        pattern = pattern.replace(dotnet, python)
    return now.strftime(pattern)


@_function("resourceGroup")
def _resource_group(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("resourceGroup", args, 0, 0)
    return scope.host.resource_group()


@_function("subscription")
def _subscription(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("subscription", args, 0, 0)
    return scope.host.subscription()


@_function("tenant")
def _tenant(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("tenant", args, 0, 0)
    return scope.host.tenant()


@_function("deployment")
def _deployment(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("deployment", args, 0, 0)
    return scope.host.deployment()


@_function("providers")
def _providers(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("providers", args, 1, 2)
    for arg in args:
        _expect("providers", arg, str)
    return scope.host.provider(args[0], args[1] if len(args) > 1 else None)


def build_resource_id(subscription_id: str, resource_group: str | None, resource_type: str, names: list[str]) -> str:
    """/subscriptions/{s}[/resourceGroups/{g}]/providers/{ns}/{type1}/{name1}/{type2}/{name2}..."""
    segments = [part for part in resource_type.strip("/").split("/") if part]
    namespace, types = segments[0], segments[1:]
    path = "/".join(f"{kind}/{name}" for kind, name in zip(types, names))
    scope_path = f"/subscriptions/{subscription_id}" + (f"/resourceGroups/{resource_group}" if resource_group else "")
    return f"{scope_path}/providers/{namespace}/{path}"


def _resource_names(function: str, resource_type: str, names: list[Any]) -> list[str]:
    for name in names:
        _expect(function, name, str)
    segments = [part for part in resource_type.strip("/").split("/") if part]
    wanted = len(segments) - 1
    if len(segments) < 2:
        raise _function_error(function, f"the type '{resource_type}' is not a valid resource type")
    if len(names) != wanted:
        split = [part for name in names for part in name.split("/")]
        if len(split) == wanted and all(split):
            return split
        raise _function_error(function, f"the type '{resource_type.strip('/')}' requires '{wanted}' resource name "
                                        f"argument(s)")
    return list(names)


@_function("resourceId")
def _resource_id(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("resourceId", args, 2)
    for arg in args:
        _expect("resourceId", arg, str)
    type_position = next((i for i, arg in enumerate(args) if "/" in arg), None)
    if type_position is None or type_position > 2:
        raise _function_error("resourceId", "no resource type (a 'Namespace/type' argument) was given")
    group = scope.host.resource_group()
    subscription_id = scope.host.subscription()["subscriptionId"]
    resource_group = group["name"]
    if type_position == 1:
        resource_group = args[0]
    elif type_position == 2:
        subscription_id, resource_group = args[0], args[1]
    resource_type = args[type_position]
    names = _resource_names("resourceId", resource_type, args[type_position + 1:])
    return build_resource_id(subscription_id, resource_group, resource_type, names)


@_function("subscriptionResourceId")
def _subscription_resource_id(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("subscriptionResourceId", args, 2)
    type_position = next((i for i, arg in enumerate(args) if isinstance(arg, str) and "/" in arg), None)
    if type_position not in (0, 1):
        raise _function_error("subscriptionResourceId", "no resource type (a 'Namespace/type' argument) was given")
    subscription_id = args[0] if type_position == 1 else scope.host.subscription()["subscriptionId"]
    names = _resource_names("subscriptionResourceId", args[type_position], args[type_position + 1:])
    return build_resource_id(subscription_id, None, args[type_position], names)


@_function("reference")
def _reference(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("reference", args, 1, 3)
    _expect("reference", args[0], str)
    if scope.reference is None:
        raise _not_expected("reference", "The reference function can only be used in the properties of a resource "
                                         "or in the outputs of a template.")
    api_version = args[1] if len(args) > 1 else None
    full = len(args) > 2 and isinstance(args[2], str) and args[2].lower() == "full"
    target = scope.host.resolve_reference_target(args[0])
    if scope.referenced is not None:
        scope.referenced.add(target.lower())
    result = scope.reference(target, api_version, full)
    if isinstance(result, Deferred):
        return Deferred(node.text)
    return result


@_function("equals")
def _equals(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("equals", args, 2, 2)
    return arm_equals(args[0], args[1])


@_function("not")
def _not(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("not", args, 1, 1)
    _expect("not", args[0], bool)
    return not args[0]


@_function("and")
def _and(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("and", args, 2)
    for arg in args:
        _expect("and", arg, bool)
    return all(args)


@_function("or")
def _or(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("or", args, 2)
    for arg in args:
        _expect("or", arg, bool)
    return any(args)


@_function("true")
def _true(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("true", args, 0, 0)
    return True


@_function("false")
def _false(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("false", args, 0, 0)
    return False


@_function("json")
def _json(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("json", args, 1, 1)
    _expect("json", args[0], str)
    try:
        return json.loads(args[0])
    except ValueError:
        raise _function_error("json", f"the value '{args[0]}' is not valid JSON") from None


@_function("string")
def _string(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("string", args, 1, 1)
    return dotnet_string(args[0])


@_function("int")
def _int(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("int", args, 1, 1)
    value = args[0]
    if isinstance(value, bool):
        raise _function_error("int", "the value 'True' or 'False' can't be converted to an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    _expect("int", value, str, int)
    try:
        return int(value.strip())
    except ValueError:
        raise _function_error("int", f"the value '{value}' can't be converted to an integer") from None


@_function("bool")
def _bool(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("bool", args, 1, 1)
    value = args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    _expect("bool", value, str, bool, int)
    if value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _function_error("bool", f"the value '{value}' can't be converted to a boolean")


@_function("array")
def _array(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("array", args, 1, 1)
    return args[0] if isinstance(args[0], list) else [args[0]]


@_function("empty")
def _empty(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("empty", args, 1, 1)
    value = args[0]
    if value is None:
        return True
    _expect("empty", value, str, list, dict)
    return len(value) == 0


@_function("contains")
def _contains(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("contains", args, 2, 2)
    container, item = args
    if isinstance(container, str):
        return dotnet_string(item) in container
    if isinstance(container, list):
        return any(arm_equals(element, item) for element in container)
    if isinstance(container, dict):
        return isinstance(item, str) and _lookup(container, item)[0]
    _expect("contains", container, str, list, dict)
    return False


@_function("split")
def _split(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("split", args, 2, 2)
    _expect("split", args[0], str)
    delimiters = args[1] if isinstance(args[1], list) else [args[1]]
    for delimiter in delimiters:
        _expect("split", delimiter, str)
    if not delimiters or any(delimiter == "" for delimiter in delimiters):
        return [args[0]]
    return re.split("|".join(re.escape(delimiter) for delimiter in delimiters), args[0])


@_function("replace")
def _replace(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("replace", args, 3, 3)
    for arg in args:
        _expect("replace", arg, str)
    if args[1] == "":
        raise _function_error("replace", "the old string can't be empty")
    return args[0].replace(args[1], args[2])


@_function("trim")
def _trim(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("trim", args, 1, 1)
    _expect("trim", args[0], str)
    return args[0].strip()


@_function("startsWith")
def _starts_with(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("startsWith", args, 2, 2)
    for arg in args:
        _expect("startsWith", arg, str)
    return args[0].lower().startswith(args[1].lower())


@_function("endsWith")
def _ends_with(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("endsWith", args, 2, 2)
    for arg in args:
        _expect("endsWith", arg, str)
    return args[0].lower().endswith(args[1].lower())


@_function("indexOf")
def _index_of(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("indexOf", args, 2, 2)
    if isinstance(args[0], list):
        return next((i for i, item in enumerate(args[0]) if arm_equals(item, args[1])), -1)
    for arg in args:
        _expect("indexOf", arg, str)
    return args[0].lower().find(args[1].lower())


@_function("lastIndexOf")
def _last_index_of(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("lastIndexOf", args, 2, 2)
    if isinstance(args[0], list):
        return next((i for i in range(len(args[0]) - 1, -1, -1) if arm_equals(args[0][i], args[1])), -1)
    for arg in args:
        _expect("lastIndexOf", arg, str)
    return args[0].lower().rfind(args[1].lower())


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def _format_item(value: Any, spec: str | None) -> str:
    if not spec or isinstance(value, (str, bool)) or value is None:
        return dotnet_string(value)
    kind, digits = spec[0].upper(), spec[1:]
    if isinstance(value, (int, float)):
        if kind == "N":
            return f"{value:,.{int(digits) if digits else 2}f}"
        if kind == "D" and isinstance(value, int):
            return f"{value:0{int(digits) if digits else 1}d}"
        if kind == "X" and isinstance(value, int):
            text = f"{value:0{int(digits) if digits else 1}x}"
            return text.upper() if spec[0] == "X" else text
        if kind == "P":
            return f"{value * 100:,.{int(digits) if digits else 2}f} %"
        if kind == "F":
            return f"{value:.{int(digits) if digits else 2}f}"
    return dotnet_string(value)


@_function("format")
def _format(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("format", args, 1)
    _expect("format", args[0], str)
    values = args[1:]

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "{{":
            return "{"
        if match.group(0) == "}}":
            return "}"
        position = int(match.group(1))
        if position >= len(values):
            raise _function_error("format", f"the format item '{{{position}}}' has no matching argument")
        text = _format_item(values[position], match.group(3))
        if match.group(2):
            width = int(match.group(2))
            text = text.ljust(-width) if width < 0 else text.rjust(width)
        return text

    return _FORMAT_ITEM.sub(replace, args[0])


@_function("padLeft")
def _pad_left(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("padLeft", args, 2, 3)
    value = args[0]
    _expect("padLeft", value, str, int)
    _expect("padLeft", args[1], int)
    pad = args[2] if len(args) > 2 else " "
    _expect("padLeft", pad, str)
    if len(pad) != 1:
        raise _function_error("padLeft", "the padding character must be a single character")
    return dotnet_string(value).rjust(args[1], pad)


def _deep_union(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    result = dict(left)
    for key, value in right.items():
        found, existing = _lookup(result, key)
        if found and isinstance(existing, dict) and isinstance(value, dict):
            for name in list(result):
                if name.lower() == key.lower():
                    del result[name]
            result[key] = _deep_union(existing, value)
        else:
            for name in list(result):
                if name.lower() == key.lower():
                    del result[name]
            result[key] = value
    return result


@_function("union")
def _union(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("union", args, 2)
    if all(isinstance(arg, dict) for arg in args):
        result: dict[str, Any] = {}
        for arg in args:
            result = _deep_union(result, arg)
        return result
    if all(isinstance(arg, list) for arg in args):
        items: list[Any] = []
        for arg in args:
            for item in arg:
                if not any(arm_equals(item, existing) for existing in items):
                    items.append(item)
        return items
    raise expression_failed("The template language function 'union' expects its parameters to be all objects or "
                            "all arrays")


@_function("intersection")
def _intersection(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("intersection", args, 2)
    if all(isinstance(arg, dict) for arg in args):
        return {key: value for key, value in args[0].items()
                if all(_lookup(other, key)[0] and arm_equals(_lookup(other, key)[1], value) for other in args[1:])}
    if all(isinstance(arg, list) for arg in args):
        items: list[Any] = []
        for item in args[0]:
            if all(any(arm_equals(item, other) for other in arg) for arg in args[1:]) \
                    and not any(arm_equals(item, existing) for existing in items):
                items.append(item)
        return items
    raise expression_failed("The template language function 'intersection' expects its parameters to be all "
                            "objects or all arrays")


@_function("createArray")
def _create_array(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    return list(args)


@_function("createObject")
def _create_object(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    if len(args) % 2:
        raise _function_error("createObject", "the function requires an even number of parameters (name, value pairs)")
    result: dict[str, Any] = {}
    for position in range(0, len(args), 2):
        _expect("createObject", args[position], str)
        result[args[position]] = args[position + 1]
    return result


@_function("coalesce")
def _coalesce(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("coalesce", args, 1)
    return next((arg for arg in args if arg is not None), None)


@_function("first")
def _first(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("first", args, 1, 1)
    _expect("first", args[0], str, list)
    if isinstance(args[0], str):
        return args[0][:1]
    return args[0][0] if args[0] else None


@_function("last")
def _last(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("last", args, 1, 1)
    _expect("last", args[0], str, list)
    if isinstance(args[0], str):
        return args[0][-1:]
    return args[0][-1] if args[0] else None


@_function("take")
def _take(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("take", args, 2, 2)
    _expect("take", args[0], str, list)
    _expect("take", args[1], int)
    return args[0][:max(args[1], 0)]


@_function("skip")
def _skip(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("skip", args, 2, 2)
    _expect("skip", args[0], str, list)
    _expect("skip", args[1], int)
    return args[0][max(args[1], 0):]


@_function("range")
def _range(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("range", args, 2, 2)
    for arg in args:
        _expect("range", arg, int)
    if args[1] < 0 or args[1] > 10000:
        raise _function_error("range", "the count must be between 0 and 10000")
    return list(range(args[0], args[0] + args[1]))


def _numbers(name: str, args: list[Any]) -> list[int]:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not values:
        raise _function_error(name, "at least one integer is needed")
    for value in values:
        _expect(name, value, int)
    return values


@_function("min")
def _min(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("min", args, 1)
    return min(_numbers("min", args))


@_function("max")
def _max(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("max", args, 1)
    return max(_numbers("max", args))


def _two_integers(name: str, args: list[Any]) -> tuple[int, int]:
    _count(name, args, 2, 2)
    for arg in args:
        _expect(name, arg, int)
    return args[0], args[1]


def _truncating_division(name: str, left: int, right: int) -> tuple[int, int]:
    if right == 0:
        raise _function_error(name, "the divisor can't be zero")
    quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
    return quotient, left - quotient * right


@_function("add")
def _add(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _two_integers("add", args)
    return left + right


@_function("sub")
def _sub(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _two_integers("sub", args)
    return left - right


@_function("mul")
def _mul(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _two_integers("mul", args)
    return left * right


@_function("div")
def _div(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _two_integers("div", args)
    return _truncating_division("div", left, right)[0]


@_function("mod")
def _mod(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _two_integers("mod", args)
    return _truncating_division("mod", left, right)[1]


def _comparable(name: str, args: list[Any]) -> tuple[Any, Any]:
    _count(name, args, 2, 2)
    left, right = args
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    for arg in args:
        _expect(name, arg, int, float)
    return left, right


@_function("less")
def _less(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _comparable("less", args)
    return left < right


@_function("lessOrEquals")
def _less_or_equals(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _comparable("lessOrEquals", args)
    return left <= right


@_function("greater")
def _greater(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _comparable("greater", args)
    return left > right


@_function("greaterOrEquals")
def _greater_or_equals(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    left, right = _comparable("greaterOrEquals", args)
    return left >= right


@_function("copyIndex")
def _copy_index(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("copyIndex", args, 0, 2)
    loop: str | None = None
    offset = 0
    if args and isinstance(args[0], str):
        loop = args[0]
        if len(args) > 1:
            _expect("copyIndex", args[1], int)
            offset = args[1]
    elif args:
        if len(args) > 1:
            raise expression_failed("The template language function 'copyIndex' takes a loop name and an offset, "
                                    "in that order")
        _expect("copyIndex", args[0], int, str)
        offset = args[0]
    name = (loop or scope.resource_loop or "").lower()
    if not name or name not in scope.copy_indexes:
        where = f" The copy loop '{loop}' is not in force here." if loop else ""
        raise _not_expected("copyIndex", "The function can only be used within a resource, property or variable "
                                         f"with a copy loop.{where}")
    return scope.copy_indexes[name] + offset


@_function("base64")
def _base64(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("base64", args, 1, 1)
    _expect("base64", args[0], str)
    return base64.b64encode(args[0].encode("utf-8")).decode("ascii")


@_function("base64ToString")
def _base64_to_string(evaluator: Evaluator, node: Call, args: list[Any], scope: Scope) -> Any:
    _count("base64ToString", args, 1, 1)
    _expect("base64ToString", args[0], str)
    try:
        return base64.b64decode(args[0], validate=True).decode("utf-8")
    except ValueError:
        raise _function_error("base64ToString", "the value is not valid base64 text") from None
