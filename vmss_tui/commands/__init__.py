"""The one command language of vmss-tui: declared once, run by the CLI, the REPL and the TUI.

Public API (see the project's commands API brief)::

    session = Session(backend, resource_group=None, output="table", ...)
    outcome = run_line("scale web 5 -o json", session)
    text = confirmation_prompt("delete-instances web 3 4", session)
    items = complete("scale w", session)

No UI toolkit is imported here: only the domain, the backend protocol, and (lazily) jmespath
and yaml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .executor import confirmation_prompt, run_line, run_tokens
from .parser import LINE_OPTIONS, OUTPUT_FORMATS, UsageError
from .registry import COMMAND_INDEX, get_command
from .session import Invocation, Outcome, Result, Session
from .spec import CommandSpec, ParamSpec

if TYPE_CHECKING:
    from .completion import Completion, CompletionCache, complete
    from .registry import COMMANDS


def __getattr__(name: str) -> Any:
    """Completion loads on first use: the one-shot CLI never needs it. So does the list of every
    command (`COMMANDS`), which imports every noun's module (see `registry`)."""
    if name in ("Completion", "CompletionCache", "complete"):
        from . import completion

        return getattr(completion, name)
    if name == "COMMANDS":
        from .registry import all_commands

        return all_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COMMANDS", "COMMAND_INDEX", "LINE_OPTIONS", "OUTPUT_FORMATS", "CommandSpec", "Completion", "CompletionCache",
    "Invocation", "Outcome", "ParamSpec", "Result", "Session", "UsageError", "complete", "confirmation_prompt",
    "get_command", "run_line", "run_tokens",
]
