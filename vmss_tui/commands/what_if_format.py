"""A `WhatIfOperationResult` as `az deployment group what-if` prints it: one formatter for every front end.

A port of azure-cli's `resource/_formatters.py` (`format_what_if_operation_result`) and the
`ColoredStringBuilder` under it (`resource/_color.py`), kept call for call so the text, and with colour the
escape codes too, are az's own. The result is plain text plus az's colour changes: the CLI and the REPL print
`plain` (a pipe) or `ansi()` (a terminal with colour on); the TUI maps `spans()` onto its theme's colours.
Two things az does not do: every value is printed with control characters escaped, and any text equal to a
secure parameter value is shown as `***`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from ..arm.resources import CHANGE_WEIGHTS, what_if_summary
from ..domain.text import escape_control

MASK = "***"

NOISE_NOTICE = ("Note: The result may contain false positive predictions (noise).\n"
                "You can help us improve the accuracy of the result by opening an issue here: "
                "https://aka.ms/WhatIfIssues\n"
                "NOTICE! - Want to get What-if without noise? Move to Deployment Stacks What-If "
                "https://aka.ms/stackswhatifGA")
"""az's notice above every what-if (azure-cli 2.91's `_format_noise_notice`, word for word)."""

ANSI = {"orange": "\033[38;5;208m", "green": "\033[38;5;77m", "purple": "\033[38;5;141m",
        "blue": "\033[38;5;39m", "cyan": "\033[38;5;51m", "gray": "\033[38;5;246m", "red": "\033[38;5;203m",
        "dark_yellow": "\033[38;5;136m", "reset": "\033[0m"}
"""azure-cli's `Color` enum: 256-colour foregrounds, and the reset code."""

CHANGE_COLOURS = {"Create": "green", "Delete": "orange", "Modify": "purple", "Deploy": "blue",
                  "NoChange": "reset", "Ignore": "gray", "Unsupported": "gray", "NoEffect": "gray"}
PROPERTY_COLOURS = {"Create": "green", "Delete": "orange", "Modify": "purple", "Array": "purple",
                    "NoEffect": "gray"}
DIAGNOSTIC_COLOURS = {"Error": "red", "Warning": "dark_yellow", "Info": "reset"}
CHANGE_SYMBOLS = {"Create": "+", "Delete": "-", "Modify": "~", "Deploy": "!", "NoChange": "=", "Ignore": "*",
                  "Unsupported": "x", "NoEffect": "x"}
PROPERTY_SYMBOLS = {"Create": "+", "Delete": "-", "Modify": "~", "Array": "~", "NoEffect": "x"}
PROPERTY_WEIGHTS = {"Delete": 0, "Create": 1, "Modify": 2, "Array": 2, "NoEffect": 3}


@dataclass
class WhatIfText:
    """The formatted what-if: text pieces and az's colour codes, in the order az writes them."""

    parts: list[tuple[str, str]] = field(default_factory=list)
    """("text", value) or ("colour", name): the builder's contents, a colour change where az writes a code."""

    @property
    def plain(self) -> str:
        """What az prints with colour off (a pipe, NO_COLOR)."""
        return "".join(value for kind, value in self.parts if kind == "text")

    def ansi(self) -> str:
        """What az prints with colour on: the same text with azure-cli's escape codes."""
        return "".join(value if kind == "text" else ANSI[value] for kind, value in self.parts)

    def spans(self) -> Iterator[tuple[int, int, str]]:
        """(start, end, colour) over `plain`, for text not in the terminal's own colour (az's reset)."""
        position, colour = 0, "reset"
        start = 0
        for kind, value in self.parts:
            if kind == "colour":
                if value != colour and position > start and colour != "reset":
                    yield start, position, colour
                if value != colour:
                    colour, start = value, position
                continue
            position += len(value)
        if position > start and colour != "reset":
            yield start, position, colour


class _Builder:
    """azure-cli's ColoredStringBuilder with colour on (no indents: the what-if formatter pushes none)."""

    def __init__(self, secrets: tuple[str, ...], align_limit: int | None) -> None:
        self.out = WhatIfText()
        self.colours: list[str] = []
        self.secrets = secrets
        self.align_limit = align_limit

    def append(self, value: object, colour: str | None = None) -> _Builder:
        if colour:
            self._push(colour)
        text = str(value)
        if text != "\n":
            for secret in self.secrets:
                text = text.replace(secret, MASK)
            text = escape_control(text)
        self.out.parts.append(("text", text))
        if colour:
            self._pop()
        return self

    def line(self, value: object = "", colour: str | None = None) -> _Builder:
        self.append(value, colour)
        return self.append("\n")

    def scope(self, colour: str) -> _Scope:
        return _Scope(self, colour)

    def _push(self, colour: str) -> None:
        self.colours.append(colour)
        self.out.parts.append(("colour", colour))

    def _pop(self) -> None:
        self.colours.pop()
        self.out.parts.append(("colour", self.colours[-1] if self.colours else "reset"))

    def aligned(self, width: int, level: int) -> int:
        """A value column, or none when it would be further right than the screen allows (the TUI's choice)."""
        return 0 if self.align_limit is not None and width + 2 * level > self.align_limit else width


class _Scope:
    def __init__(self, builder: _Builder, colour: str) -> None:
        self.builder, self.colour = builder, colour

    def __enter__(self) -> None:
        self.builder._push(self.colour)

    def __exit__(self, *_: object) -> None:
        self.builder._pop()


def format_what_if(result: Mapping[str, Any], *, secrets: tuple[str, ...] = (), notice: str = NOISE_NOTICE,
                   align_limit: int | None = None) -> WhatIfText:
    """`result` (a `WhatIfOperationResult`'s JSON) as `az deployment group what-if` prints it.

    `secrets` are masked wherever they appear; `notice` is az's note above the legend; `align_limit` keeps
    a column of values no further right than that (az lines values up however far right that is)."""
    builder = _Builder(tuple(secret for secret in secrets if secret), align_limit)
    properties = result.get("properties") if isinstance(result.get("properties"), Mapping) else result
    changes = _changes(properties.get("changes"))
    potential = _changes(properties.get("potentialChanges"))
    for number, notice_line in enumerate(notice.split("\n")):
        builder.append("\n" if number else "").append(notice_line)
    builder.line().line()
    _legend(builder, changes)
    _resource_changes(builder, changes, definite=True)
    _stats(builder, changes, definite=True)
    _resource_changes(builder, potential, definite=False)
    _stats(builder, potential, definite=False)
    _diagnostics(builder, changes + potential, properties.get("diagnostics") or [])
    return builder.out


def change_counts_line(changes: list[dict[str, Any]]) -> str:
    """az's summary: "Resource changes: 1 to create, 1 to modify." (az's order: delete, create, ... ignore)."""
    return what_if_summary({"properties": {"changes": changes}})


def split_resource_id(resource_id: str) -> tuple[str, str]:
    """(scope, relative id) as az splits them (azure-cli's resource/_utils.py `split_resource_id`)."""
    remaining = resource_id
    group = re.match(r"^\/?providers\/Microsoft.Management\/managementGroups\/(?P<id>[\w\d_\.\(\)-]+)", remaining,
                     flags=re.IGNORECASE)
    remaining = remaining[len(group.group(0)) if group else 0:]
    subscription = re.match(r"^\/?subscriptions\/(?P<id>[a-f0-9-]+)", remaining, flags=re.IGNORECASE)
    remaining = remaining[len(subscription.group(0)) if subscription else 0:]
    resource_group = re.match(r"^\/resourceGroups\/(?P<name>[-\w\._\(\)]+)", remaining, flags=re.IGNORECASE)
    remaining = remaining[len(resource_group.group(0)) if resource_group else 0:]
    relative_match = re.match(r"^\/providers/(?P<relative>.+$)", remaining, flags=re.IGNORECASE)
    relative = relative_match.group("relative") if relative_match else ""
    if group:
        group_id = f"Microsoft.Management/ManagementGroups/{group.group('id')}"
        return (f"/providers/{group_id}", relative) if relative else ("/", group_id)
    if subscription:
        scope = f"/subscriptions/{subscription.group('id').lower()}"
        if resource_group:
            group_part = f"resourceGroups/{resource_group.group('name')}"
            return (f"{scope}/{group_part}", relative) if relative_match else (scope, group_part)
        return scope, relative
    return "/", relative


# --- az's functions, one for one ------------------------------------------------------------------------


def _changes(value: Any) -> list[dict[str, Any]]:
    return [change for change in value if isinstance(change, dict)] if isinstance(value, list) else []


def _weight(kind: str) -> int:
    return CHANGE_WEIGHTS.get(kind, len(CHANGE_WEIGHTS))  # a type az does not know (az would stop: KeyError)


def _property_weight(change: dict[str, Any]) -> int:
    return PROPERTY_WEIGHTS.get(str(change.get("propertyChangeType", "")), len(PROPERTY_WEIGHTS))


def _legend(builder: _Builder, changes: list[dict[str, Any]]) -> None:
    if not changes:
        return
    kinds: set[str] = set()

    def properties(deltas: Any) -> None:
        for delta in _changes(deltas):
            kind = str(delta.get("propertyChangeType", ""))
            kinds.add("Modify" if kind == "Array" else kind)
            properties(delta.get("children"))

    for change in changes:
        kinds.add(str(change.get("changeType", "")))
        properties(change.get("delta"))
    ordered = sorted(kinds, key=_weight)
    builder.append("Resource and property changes are indicated with ")
    builder.line("this symbol:" if len(ordered) == 1 else "these symbols:")
    for kind in ordered:
        _indent(builder)
        builder.append(CHANGE_SYMBOLS.get(kind, "?"), CHANGE_COLOURS.get(kind, "reset")).append(" ")
        builder.line(kind.title())


def _stats(builder: _Builder, changes: list[dict[str, Any]], definite: bool) -> None:
    if definite:
        builder.line().append("Resource changes: ")
        if not changes:
            builder.append("no change.")
            return
    elif changes:
        builder.line().append("Potential changes: ")
    if changes:
        builder.append(change_counts_line(changes)[len("Resource changes: "):-1]).append(".")


def _diagnostics(builder: _Builder, changes: list[dict[str, Any]], diagnostics: list[Any]) -> None:
    unsupported = [change for change in changes if change.get("changeType") == "Unsupported"]
    listed = [diag for diag in diagnostics if isinstance(diag, dict)]
    if not unsupported and not listed:
        return
    builder.line().line().append(f"Diagnostics ({len(unsupported) + len(listed)}): ").line()
    for change in unsupported:
        with builder.scope(DIAGNOSTIC_COLOURS["Warning"]):
            builder.append(change.get("resourceId")).append(" (Unsupported) ")
            builder.append(change.get("unsupportedReason")).line()
    for diag in listed:
        with builder.scope(DIAGNOSTIC_COLOURS.get(str(diag.get("level")), "reset")):
            builder.append(diag.get("target")).append(" (").append(diag.get("code")).append(") ")
            builder.append(diag.get("message")).line()


def _scope_of(change: dict[str, Any]) -> str:
    if change.get("resourceId"):
        return split_resource_id(str(change["resourceId"]))[0]
    extension = change.get("extension")
    if isinstance(extension, dict) and extension:
        return f"{extension.get('name')}@{extension.get('version')}"
    return "Unknown"


def _relative_id(change: dict[str, Any]) -> str | None:
    if change.get("resourceId"):
        return split_resource_id(str(change["resourceId"]))[1]
    identifiers = change.get("identifiers")
    if isinstance(identifiers, dict) and identifiers:
        return ", ".join(f"{key}={json.dumps(value)}" for key, value in sorted(identifiers.items()))
    return None


def _resource_changes(builder: _Builder, changes: list[dict[str, Any]], definite: bool) -> None:
    if not changes:
        return
    scopes: dict[str, list[dict[str, Any]]] = {}
    for change in sorted(changes, key=lambda c: _scope_of(c).upper()):
        scopes.setdefault(_scope_of(change).upper(), []).append(change)
    builder.line()
    builder.append("The deployment will update the following " if definite
                   else "The following change MAY OR MAY NOT be deployed to the following ")
    builder.line("scope:" if len(scopes) == 1 else "scopes:")
    for in_scope in scopes.values():
        builder.line().line(f"Scope: {_scope_of(in_scope[0])}")
        ordered = sorted(in_scope, key=lambda c: (_weight(str(c.get("changeType", ""))), _relative_id(c) or ""))
        index = 0
        while index < len(ordered):  # az's groupby on change type: one colour scope per run
            kind = str(ordered[index].get("changeType", ""))
            with builder.scope(CHANGE_COLOURS.get(kind, "reset")):
                while index < len(ordered) and str(ordered[index].get("changeType", "")) == kind:
                    _resource_change(builder, ordered[index], ordered[index] == ordered[-1])
                    index += 1


def _api_version(change: dict[str, Any]) -> Any:
    before, after = change.get("before"), change.get("after")
    if before:
        return before.get("apiVersion") if isinstance(before, dict) else None
    if after:
        return after.get("apiVersion") if isinstance(after, dict) else None
    return None


def _resource_change(builder: _Builder, change: dict[str, Any], last: bool) -> None:
    relative = _relative_id(change)
    if relative is None:
        return
    kind = str(change.get("changeType", ""))
    api_version = _api_version(change)
    builder.line()

    def head(b: _Builder) -> None:
        b.append(CHANGE_SYMBOLS.get(kind, "?")).append(" ")

    def tail(b: _Builder) -> None:
        if api_version:
            with b.scope("reset"):
                b.append(" ").append("[").append(api_version).append("]")

    _path(builder, relative, 0, 1, head, tail)
    before, after, delta = change.get("before"), change.get("after"), _changes(change.get("delta"))
    if kind == "Create" and after:
        _json(builder, after, level=2)
    elif kind == "Delete" and before:
        _json(builder, before, level=2)
    elif delta:
        with builder.scope("reset"):
            builder.line()
            _property_changes(builder, sorted(delta, key=lambda c: (_property_weight(c), str(c.get("path") or ""))))
    elif last:
        builder.line()


def _property_changes(builder: _Builder, changes: list[dict[str, Any]], level: int = 2) -> None:
    width = builder.aligned(_property_width(changes), level)
    for change in changes:
        _property_change(builder, change, width, level)
        builder.line()


def _property_change(builder: _Builder, change: dict[str, Any], width: int, level: int) -> None:
    kind = str(change.get("propertyChangeType", ""))
    before, after, children = change.get("before"), change.get("after"), _changes(change.get("children"))
    if kind == "Create":
        _property_path(builder, change, after, width, level)
        with builder.scope(PROPERTY_COLOURS["Create"]):
            _json(builder, after, level=level + 1)
    elif kind == "Delete":
        _property_path(builder, change, before, width, level)
        with builder.scope(PROPERTY_COLOURS["Delete"]):
            _json(builder, before, level=level + 1)
    elif kind == "Modify":
        _property_path(builder, change, before, width, level)
        _property_modify(builder, before, after, children, level + 1)
    elif kind == "Array":
        _property_path(builder, change, change.get("children"), width, level)
        _property_array(builder, change, children, level + 1)
    else:  # NoEffect, and what az would refuse ("Unknown property change type")
        _property_path(builder, change, after, width, level)
        with builder.scope(PROPERTY_COLOURS["NoEffect"]):
            _json(builder, after, level=level + 1)


def _property_path(builder: _Builder, change: dict[str, Any], shown: Any, width: int, level: int) -> None:
    path = str(change.get("path") or "")
    if not path:
        return
    kind = str(change.get("propertyChangeType", ""))
    padding = width - len(path) + 1 if width else 1  # no column (see `aligned`): one space, as az has at least
    if _nonempty_array(shown):
        padding = 1
    if _nonempty_object(shown):
        padding = 0
    if kind == "Modify" and change.get("children"):
        padding = 0

    def head(b: _Builder) -> None:
        b.append(PROPERTY_SYMBOLS.get(kind, "?"), PROPERTY_COLOURS.get(kind, "reset")).append(" ")

    _path(builder, path, padding, level, head, _colon)


def _property_modify(builder: _Builder, before: Any, after: Any, children: list[dict[str, Any]], level: int) -> None:
    if children:
        builder.line().line()
        _property_changes(builder, sorted(children, key=lambda c: (_property_weight(c), str(c.get("path") or ""))),
                          level)
        return
    with builder.scope(PROPERTY_COLOURS["Delete"]):
        _json(builder, before, level=level)
    if _nonempty_object(before):
        builder.line()
        _indent(builder, level)
    else:
        builder.append(" ")
    builder.append("=>")
    if not _nonempty_object(after):
        builder.append(" ")
    with builder.scope(PROPERTY_COLOURS["Create"]):
        _json(builder, after, level=level)
    if not _leaf(before) and _leaf(after):
        builder.line()


def _property_array(builder: _Builder, parent: dict[str, Any], children: list[dict[str, Any]], level: int) -> None:
    if not parent.get("path"):
        level -= 1
        _indent(builder, level)
    if not children:
        builder.line("[]")
        return
    builder.append("[").line()

    def position(change: dict[str, Any]) -> tuple[int, int]:
        try:
            index = int(str(change.get("path")))
        except ValueError:
            index = 0
        return index, _property_weight(change)

    _property_changes(builder, sorted(children, key=position), level)
    _indent(builder, level)
    builder.append("]")


def _property_width(changes: list[dict[str, Any]]) -> int:
    def counts(change: dict[str, Any]) -> bool:
        kind = change.get("propertyChangeType")
        if kind == "Create":
            return _leaf(change.get("after"))
        if kind in ("Delete", "Modify"):
            return _leaf(change.get("before"))
        return not change.get("children")

    return max((len(str(change.get("path") or "")) for change in changes if counts(change)), default=0)


def _json(builder: _Builder, value: Any, path: str = "", width: int = 0, level: int = 0) -> None:
    if _leaf(value):
        _path(builder, path, width - len(path) + 1 if width else 1, level, tail=_colon)
        _leaf_value(builder, value)
    elif _nonempty_array(value):
        _path(builder, path, 1, level, tail=_colon)
        _array(builder, value, level)
    else:
        _object(builder, value, path, width, level)


def _leaf_value(builder: _Builder, value: Any) -> None:
    if value is None:
        builder.append("null")
    elif isinstance(value, bool):
        builder.append(str(value).lower())
    elif isinstance(value, str):
        builder.append('"').append(value).append('"')
    elif isinstance(value, (list, dict)):
        builder.append(value)  # empty: az appends the Python value itself, `[]` or `{}`
    else:
        builder.append(value)


def _array(builder: _Builder, value: list[Any], level: int) -> None:
    builder.append("[", "reset").line()
    width = len(str(max((index for index, child in enumerate(value) if _leaf(child)), default=0)))
    for index, child in enumerate(value):
        if _nonempty_object(child):
            _path(builder, str(index), 0, level + 1, tail=_colon)
            _object(builder, child, level=level + 1)
        else:
            _json(builder, child, str(index), width, level + 1)
        builder.line()
    _indent(builder, level)
    builder.append("]", "reset")


def _object(builder: _Builder, value: dict[str, Any], path: str = "", width: int = 0, level: int = 0) -> None:
    root = not path
    if root:
        builder.line().line()
        width = builder.aligned(_object_width(value), level + 1)
        level += 1
    for key, child in value.items():
        _json(builder, child, key if root else f"{path}.{key}", width, level)
        if not _nonempty_object(child):
            builder.line()


def _object_width(value: dict[str, Any]) -> int:
    width = 0
    for key, child in value.items():
        if _nonempty_array(child):
            continue
        width = max(width, len(key) + 1 + _object_width(child) if _nonempty_object(child) else len(key))
    return width


def _path(builder: _Builder, path: str, padding: int, level: int, head: Callable[[_Builder], None] | None = None,
          tail: Callable[[_Builder], None] | None = None) -> None:
    if not path:
        return
    _indent(builder, level)
    if head is not None:
        head(builder)
    builder.append(path)
    if tail is not None:
        tail(builder)
    builder.append(" " * padding)


def _colon(builder: _Builder) -> None:
    builder.append(":", "reset")


def _indent(builder: _Builder, level: int = 1) -> None:
    builder.append("  " * level)


def _leaf(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str)) or value in ([], {})


def _nonempty_object(value: Any) -> bool:
    return isinstance(value, dict) and bool(value)


def _nonempty_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value)


def what_if_text(result: Mapping[str, Any], *, color: bool = False, secrets: tuple[str, ...] = ()) -> str:
    """The what-if result exactly as `az deployment group what-if` prints it: az's colour codes when `color`
    (a terminal, colour on), plain otherwise; secure values as ***."""
    formatted = format_what_if(result, secrets=secrets)
    return formatted.ansi() if color else formatted.plain
