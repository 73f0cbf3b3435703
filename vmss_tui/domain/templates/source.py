"""Template JSON read with the line and column of every object and array, and ARM's parse errors.

ARM names a place in the template in its messages ("at line '43' and column '26'") and Newtonsoft's
reader, which ARM uses, reports broken JSON as "... Path 'resources[0]', line 5, position 12.". The
standard `json` module keeps no positions, so this reader walks the text itself: strict JSON plus the
`//` and `/* */` comments ARM templates may carry. Strings are decoded by `json`'s own scanner.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Any

from .errors import parse_failed

MAX_DEPTH = 128
"""Objects and arrays nested deeper than this are refused (an emulator limit: templates nest a dozen levels)."""
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_WHITESPACE = " \t\n\r\ufeff"


@dataclass
class SourceDocument:
    """The parsed value and, for each object or array in it, where it starts (1-based line, column)."""

    value: Any
    positions: dict[int, tuple[int, int]] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)

    def position_of(self, node: Any) -> tuple[int, int] | None:
        """Where `node` (an object or array of this document) starts, or None for a value built later."""
        return self.positions.get(id(node))

    def place_of(self, node: Any, prefix: str = "properties.template") -> tuple[int, int, str] | None:
        """(line, column, path) of `node` as ARM's TemplateViolation names it (the path inside the request)."""
        position = self.positions.get(id(node))
        if position is None:
            return None
        path = self.paths.get(id(node), "")
        return position[0], position[1], prefix + ("." if path and not path.startswith("[") else "") + path


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.line_starts = [0] + [match.end() for match in re.finditer(r"\n", text)]
        self.positions: dict[int, tuple[int, int]] = {}
        self.paths: dict[int, str] = {}
        self.path: list[str | int] = []

    # --- positions and errors -------------------------------------------------------------------
    def line_column(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def path_text(self) -> str:
        text = ""
        for part in self.path:
            if isinstance(part, int):
                text += f"[{part}]"
            elif re.fullmatch(r"[A-Za-z_$][\w$]*", part):
                text += ("." if text else "") + part
            else:
                text += "['" + part.replace("'", "\\'") + "']"
        return text

    def fail(self, reason: str, index: int | None = None) -> Exception:
        line, column = self.line_column(min(self.index if index is None else index, max(len(self.text) - 1, 0)))
        if (self.index if index is None else index) >= len(self.text):
            line, column = self.line_column(len(self.text))
            column = max(column - 1, 0)
        return parse_failed(f"{reason} Path '{self.path_text()}', line {line}, position {column}.",
                            (line, column, self.path_text()))

    # --- lexing ------------------------------------------------------------------------------------
    def skip_space(self) -> None:
        text = self.text
        while self.index < len(text):
            char = text[self.index]
            if char in _WHITESPACE:
                self.index += 1
            elif text.startswith("//", self.index):
                end = text.find("\n", self.index)
                self.index = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.index):
                end = text.find("*/", self.index + 2)
                if end < 0:
                    self.index = len(text)
                    raise self.fail("Unexpected end while parsing comment.")
                self.index = end + 2
            else:
                return

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.index] if self.index < len(self.text) else ""

    # --- values ------------------------------------------------------------------------------------
    def value(self) -> Any:
        if len(self.path) > MAX_DEPTH:
            raise self.fail(f"The JSON is nested deeper than {MAX_DEPTH} levels.")
        char = self.peek()
        if not char:
            raise self.fail("Unexpected end when reading JSON.")
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char == '"':
            return self.string()
        match = _NUMBER.match(self.text, self.index)
        if match and match.end() > self.index:
            self.index = match.end()
            number = match.group(0)
            return float(number) if match.group(1) or match.group(2) else int(number)
        for word, result in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.index):
                self.index += len(word)
                return result
        raise self.fail(f"Unexpected character encountered while parsing value: {char}.")

    def string(self) -> str:
        try:
            result, self.index = scanstring(self.text, self.index + 1, True)
        except json.JSONDecodeError as error:
            raise self.fail(f"Unterminated string or invalid escape: {error.msg}.", error.pos) from None
        return result

    def object(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self.positions[id(result)] = self.line_column(self.index)
        self.paths[id(result)] = self.path_text()
        self.index += 1
        if self.peek() == "}":
            self.index += 1
            return result
        while True:
            char = self.peek()
            if char != '"':
                raise self.fail(f"Invalid property identifier character: {char or 'end of text'}.")
            key = self.string()
            if result:
                self.path.pop()  # Newtonsoft's path names the last property read until the next one starts
            self.path.append(key)
            if self.peek() != ":":
                raise self.fail(f"Invalid character after parsing property name. Expected ':' but got: "
                                f"{self.peek() or 'end of text'}.")
            self.index += 1
            result[key] = self.value()
            char = self.peek()
            if char == ",":
                self.index += 1
                if self.peek() == "}":  # ARM's reader accepts a trailing comma
                    self.index += 1
                    self.path.pop()
                    return result
                continue
            if char == "}":
                self.index += 1
                self.path.pop()
                return result
            raise self.fail(f"After parsing a value an unexpected character was encountered: {char or 'end of text'}.")

    def array(self) -> list[Any]:
        result: list[Any] = []
        self.positions[id(result)] = self.line_column(self.index)
        self.paths[id(result)] = self.path_text()
        self.index += 1
        if self.peek() == "]":
            self.index += 1
            return result
        while True:
            if result:
                self.path.pop()
            self.path.append(len(result))
            result.append(self.value())
            char = self.peek()
            if char == ",":
                self.index += 1
                if self.peek() == "]":
                    self.index += 1
                    self.path.pop()
                    return result
                continue
            if char == "]":
                self.index += 1
                self.path.pop()
                return result
            raise self.fail(f"After parsing a value an unexpected character was encountered: {char or 'end of text'}.")


def read_json(text: str) -> SourceDocument:
    """Parse `text`; broken JSON raises InvalidTemplate with Newtonsoft's path, line and position."""
    reader = _Reader(text)
    value = reader.value()
    if reader.peek():
        raise reader.fail(f"Additional text encountered after finished reading JSON content: {reader.peek()}.")
    return SourceDocument(value, reader.positions, reader.paths)
