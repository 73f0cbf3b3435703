"""Turn a command line into a command and typed arguments, or one clear usage error.

The parser knows only the registry's declarations: it never calls a backend. Binding of
positionals is split from parsing because `use <set>` lets the executor drop the set name,
which needs to know which sets exist.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.limits import MAX_LINE_CHARACTERS
from ..domain.text import escape_control
from .spec import CommandSpec, ParamSpec

OUTPUT_FORMATS = ("table", "json", "jsonc", "tsv", "yaml", "none")

LINE_OPTIONS: tuple[ParamSpec, ...] = (
    ParamSpec("output", "Output format (default: table on a terminal, json otherwise).",
              flags=("-o", "--output"), kind="choice", choices=OUTPUT_FORMATS, completion="choices"),
    ParamSpec("query", "JMESPath query applied to the JSON result before formatting.",
              flags=("--query",), metavar="JMESPATH"),
    ParamSpec("resource_group", "Resource group of the scale set (found by name when omitted).",
              flags=("-g", "--resource-group"), completion="groups", metavar="GROUP"),
    ParamSpec("yes", "Do not ask for confirmation.", flags=("-y", "--yes"), kind="flag"),
    ParamSpec("no_wait", "Return the operation at once instead of waiting for it.",
              flags=("--no-wait",), kind="flag"),
    ParamSpec("help", "Show the command's help.", flags=("-h", "--help"), kind="flag"),
)
"""Options every command accepts; they override the session's settings for one line."""

_NEGATIVE_NUMBER = re.compile(r"^-\d+$")
_TRUE_WORDS = {"true", "yes", "1", "on"}
_FALSE_WORDS = {"false", "no", "0", "off"}


class UsageError(Exception):
    """A line the parser or a handler cannot accept; exit code 2, nothing is sent."""

    exit_code = 2

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"


@dataclass
class ParsedLine:
    """A line split into its command, option values and still-unbound positionals."""

    spec: CommandSpec
    options: dict[str, Any] = field(default_factory=dict)
    """Command options by `dest` (only those given)."""
    line_options: dict[str, Any] = field(default_factory=dict)
    """Per-line overrides from `LINE_OPTIONS` (only those given)."""
    positionals: list[str] = field(default_factory=list)


def tokenize(line: str) -> list[str]:
    """Split like a POSIX shell; `#` starts a comment. A line over the length limit is refused first.

    `shlex` is quadratic in the length of a word, so the length is checked before it runs.
    """
    if len(line) > MAX_LINE_CHARACTERS:
        raise UsageError("InvalidInput", f"The command line is {len(line)} characters; "
                                         f"the limit is {MAX_LINE_CHARACTERS}.")
    try:
        return shlex.split(line, comments=True)
    except ValueError as exc:
        raise UsageError("InvalidSyntax", f"cannot split the line: {exc}") from None


def looks_like_option(token: str) -> bool:
    """True for `-x` / `--xyz` words, but not for negative numbers or a bare `-`."""
    return token.startswith("-") and token != "-" and not _NEGATIVE_NUMBER.match(token)


MAX_COMMAND_WORDS = 3
"""The longest command name: `autoscale rule create`."""


def command_words(tokens: list[str], commands: dict[str, CommandSpec]) -> int:
    """How many leading words name the command (`scale` 1, `group create` 2, `autoscale rule create` 3).

    Words that only begin a command (`autoscale rule`) count too, so the error can list what follows.
    """
    for count in range(min(MAX_COMMAND_WORDS, len(tokens)), 1, -1):
        phrase = " ".join(tokens[:count]).lower()
        if phrase in commands or keys_starting(commands, phrase):
            return count
    return 1


def keys_starting(commands: Mapping[str, CommandSpec], phrase: str) -> list[str]:
    """The command names that begin with the words of `phrase` and go on (`group` -> `group create`, ...).

    The registry's index answers it loading only that noun's commands (`registry.CommandIndex`).
    """
    starting = getattr(commands, "keys_starting", None)
    if starting is not None:
        return starting(phrase)  # type: ignore[no-any-return]
    return [key for key in commands if key.startswith(phrase.lower() + " ")]


def find_command(word: str, commands: dict[str, CommandSpec]) -> CommandSpec:
    """The command named (or aliased) `word`; an unknown word suggests the closest."""
    spec = commands.get(word.lower())
    if spec is not None:
        return spec
    verbs = sorted(key[len(word) + 1:] for key in keys_starting(commands, word))
    if verbs:
        shown = escape_control(word.lower())
        raise UsageError("MissingSubcommand", f"'{shown}' needs one of: {', '.join(verbs)} "
                                              f"(e.g. '{shown} {verbs[0]}'). Try 'help {shown} {verbs[0]}'.")
    import difflib

    suggestion = difflib.get_close_matches(word.lower(), sorted(commands), n=1, cutoff=0.5)
    hint = f" Did you mean '{commands[suggestion[0]].name}'?" if suggestion else ""
    raise UsageError("UnknownCommand", f"'{escape_control(word)}' is not a vmss-tui command.{hint} Try 'help'.")


def convert(param: ParamSpec, text: str, command: str) -> Any:
    """Convert one word to the parameter's type, or raise a UsageError naming it."""
    where = f"{command} {param.flags[0] if param.flags else param.label}"
    if param.kind == "int":
        try:
            number = int(text, 10)
        except ValueError:
            raise UsageError("InvalidArgumentValue",
                             f"{where}: '{text}' is not a whole number.") from None
        if param.minimum is not None and number < param.minimum:
            raise UsageError("InvalidArgumentValue", f"{where}: {number} is below the minimum {param.minimum}.")
        if param.maximum is not None and number > param.maximum:
            raise UsageError("InvalidArgumentValue", f"{where}: {number} is above the maximum {param.maximum}.")
        return number
    if param.kind == "bool":
        lowered = text.lower()
        if lowered in _TRUE_WORDS:
            return True
        if lowered in _FALSE_WORDS:
            return False
        raise UsageError("InvalidArgumentValue", f"{where}: '{text}' is not true or false.")
    if param.kind == "choice":
        for choice in param.choices:
            if choice.lower() == text.lower():
                return choice
        raise UsageError("InvalidArgumentValue",
                         f"{where}: '{text}' is not one of: {', '.join(param.choices)}.")
    return text


def _option_for(flag: str, spec: CommandSpec) -> ParamSpec | None:
    found = spec.option(flag)
    if found is not None:
        return found
    for param in LINE_OPTIONS:
        if flag in param.flags:
            return param
    return None


def _unknown_option(flag: str, spec: CommandSpec) -> UsageError:
    known = [f for p in spec.options for f in p.flags] + [f for p in LINE_OPTIONS for f in p.flags]
    import difflib

    suggestion = difflib.get_close_matches(flag, known, n=1, cutoff=0.6)
    hint = f" Did you mean '{suggestion[0]}'?" if suggestion else ""
    return UsageError("UnrecognizedArguments",
                      f"{spec.name}: unknown option '{flag}'.{hint} Usage: {spec.usage()}")


def parse(tokens: list[str], commands: dict[str, CommandSpec]) -> ParsedLine:
    """Parse the words of one line (the first is the command)."""
    if not tokens:
        raise UsageError("MissingCommand", "no command given. Try 'help'.")
    index = command_words(tokens, commands)
    spec = find_command(" ".join(tokens[:index]), commands)
    parsed = ParsedLine(spec=spec)
    only_positionals = False
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if only_positionals or not looks_like_option(token):
            parsed.positionals.append(token)
            continue
        if token == "--":
            only_positionals = True
            continue
        flag, has_inline, inline_value = token.partition("=")
        param = _option_for(flag, spec)
        if param is None:
            raise _unknown_option(flag, spec)
        target = parsed.line_options if param in LINE_OPTIONS else parsed.options
        if param.kind == "flag":
            if has_inline:
                raise UsageError("InvalidArgumentValue", f"{spec.name} {flag}: takes no value.")
            target[param.dest] = True
            continue
        values: list[str] = []
        if has_inline:
            values.append(inline_value)
        if param.multiple:
            while index < len(tokens) and not looks_like_option(tokens[index]):
                values.append(tokens[index])
                index += 1
        elif not has_inline and index < len(tokens) and (not looks_like_option(tokens[index])):
            values.append(tokens[index])
            index += 1
        if not values:
            raise UsageError("MissingArgumentValue", f"{spec.name} {flag}: expected a value ({param.label}).")
        converted = [convert(param, value, spec.name) for value in values]
        if param.multiple:
            target.setdefault(param.dest, []).extend(converted)
        else:
            target[param.dest] = converted[0]
    return parsed


def bind(parsed: ParsedLine, positionals: list[str] | None = None) -> dict[str, Any]:
    """Assign positionals (by default the parsed ones) to the command's parameters and convert them."""
    spec = parsed.spec
    words = list(parsed.positionals if positionals is None else positionals)
    args: dict[str, Any] = {}
    for param in spec.positionals:
        if param.multiple:
            taken, words = words, []
            if param.required and not taken:
                raise UsageError("MissingArgument",
                                 f"{spec.name}: missing {param.label}... Usage: {spec.usage()}")
            args[param.dest] = [convert(param, word, spec.name) for word in taken]
            continue
        if not words:
            if param.required:
                raise UsageError("MissingArgument", f"{spec.name}: missing {param.label}. Usage: {spec.usage()}")
            args[param.dest] = None
            continue
        args[param.dest] = convert(param, words.pop(0), spec.name)
    if words:
        extra = " ".join(words)
        raise UsageError("UnrecognizedArguments", f"{spec.name}: unexpected argument(s) '{extra}'. "
                                                  f"Usage: {spec.usage()}")
    for param in spec.options:
        if param.required and param.dest not in parsed.options:
            raise UsageError("MissingArgument", f"{spec.name}: missing {param.usage()}. Usage: {spec.usage()}")
        default: Any = [] if param.multiple else (False if param.kind == "flag" else None)
        args[param.dest] = parsed.options.get(param.dest, default)
    return args


def required_positional_count(spec: CommandSpec) -> int:
    """How many positional words the command needs at least (the set included)."""
    return sum(1 for p in spec.positionals if p.required)
