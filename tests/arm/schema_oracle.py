"""The SDK's generated models as the schema of our ARM JSON (test-only; the emulator path never imports azure).

azure-mgmt-compute's models are TypeSpec-generated: each field is a `rest_field(name="<wireName>",
visibility=[...])` with a type annotation. A model keeps unknown keys silently, so constructing one
proves nothing; `schema_problems` walks our JSON along the model's declared fields instead and names
every key the model does not declare, every value of the wrong JSON type, every enum text outside the
model's enum, and (for request bodies) every read-only key.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from typing import Any

import pytest

sdk = pytest.importorskip("azure.mgmt.compute.models")
_sdk_models = pytest.importorskip("azure.mgmt.compute.models._models")
_model_base = pytest.importorskip("azure.mgmt.compute._utils.model_base")

_NAMESPACE = {**vars(_sdk_models), "_models": sdk}


def _fields(model: type) -> dict[str, tuple[Any, list[str]]]:
    """wire name -> (type annotation, visibility) of every field the model declares."""
    model()  # the generated base computes its field table on first construction
    hints = typing.get_type_hints(model, globalns=_NAMESPACE)
    return {field._rest_name: (hints.get(attr), list(field._visibility or []))
            for attr, field in model._attr_to_rest_field.items()}


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else typing.Union[tuple(args)]  # type: ignore[return-value]
    return annotation


def schema_problems(model: type, body: Any, *, request: bool = False, path: str = "") -> list[str]:
    """Every way `body` departs from `model`'s schema (empty when it conforms)."""
    if not isinstance(body, dict):
        return [f"{path or '<body>'}: expected an object, got {type(body).__name__}"]
    problems: list[str] = []
    fields = _fields(model)
    for key, value in body.items():
        where = f"{path}.{key}" if path else key
        if key not in fields:
            problems.append(f"{where}: not a field of {model.__name__}")
            continue
        annotation, visibility = fields[key]
        if request and visibility == ["read"]:
            problems.append(f"{where}: read-only in {model.__name__}, must not be sent")
        if value is not None:
            problems += _value_problems(annotation, value, where, request)
    return problems


def _value_problems(annotation: Any, value: Any, where: str, request: bool) -> list[str]:
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Union:  # Union[str, SomeEnum]: an open enum, whose known values we must use
        members = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, enum.Enum)]
        if not isinstance(value, str):
            return [f"{where}: expected text, got {value!r}"]
        if members and value.lower() not in {m.value.lower() for m in members[0]}:
            return [f"{where}: {value!r} is not one of {members[0].__name__}'s values"]
        return []
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {value!r}"]
        (item,) = typing.get_args(annotation)
        return [p for i, v in enumerate(value) for p in _value_problems(item, v, f"{where}[{i}]", request)]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        item = typing.get_args(annotation)[1]
        return [p for k, v in value.items() for p in _value_problems(item, v, f"{where}.{k}", request)]
    if isinstance(annotation, type) and issubclass(annotation, _model_base.Model):
        return schema_problems(annotation, value, request=request, path=where)
    expected = {str: str, bool: bool, int: int, float: (int, float)}.get(annotation)  # type: ignore[call-overload]
    if expected is not None:
        if isinstance(value, bool) and annotation is not bool or not isinstance(value, expected):
            return [f"{where}: expected {annotation.__name__}, got {value!r}"]
    elif annotation is not None and getattr(annotation, "__name__", "") == "datetime":
        if not isinstance(value, str):
            return [f"{where}: expected an ISO-8601 timestamp, got {value!r}"]
    return []


def round_trips(model: type, body: dict[str, Any]) -> dict[str, Any]:
    """`body` read into the SDK model, every declared attribute read (deserialised), then serialised back."""
    instance = model(body)
    _touch(instance)
    return json.loads(json.dumps(instance.as_dict(), cls=_model_base.SdkJSONEncoder))


def _touch(instance: Any) -> None:
    """Read every attribute that is set, recursively: a value of the wrong shape raises here."""
    for attr, field in type(instance)._attr_to_rest_field.items():
        if field._rest_name not in instance:
            continue
        value = getattr(instance, attr)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, _model_base.Model):
                _touch(item)
