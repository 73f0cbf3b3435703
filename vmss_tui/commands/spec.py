"""The shapes every command is declared with, once, for the CLI, the REPL and the TUI.

A `CommandSpec` carries everything a front end needs: the name and aliases the parser
accepts, the parameters (with the completion source of each value), the help text and
examples, whether it changes or destroys things, and the handler that runs it. Nothing
here imports a UI toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

if TYPE_CHECKING:
    from .session import Invocation, Result

ParamKind = Literal["str", "int", "bool", "flag", "choice"]
"""How a parameter's text becomes a value: `flag` takes no value, `bool` takes true/false."""

CompletionSource = Literal["sets", "instances", "commands", "zones", "vm_sizes", "images", "locations",
                           "choices", "groups", ""]
"""Where the REPL and the TUI palette find candidate values for a parameter."""


@dataclass(frozen=True)
class ParamSpec:
    """One positional argument or option of a command."""

    dest: str
    """Key of the parsed value in `Invocation.args`."""
    help: str
    flags: tuple[str, ...] = ()
    """Option spellings such as `("--capacity",)`; empty for a positional."""
    kind: ParamKind = "str"
    multiple: bool = False
    """Positional: takes every remaining word; option: takes one or more words."""
    required: bool = False
    choices: tuple[str, ...] = ()
    """Allowed values (case-insensitive); the canonical spelling is what the handler receives."""
    completion: CompletionSource = ""
    metavar: str = ""
    minimum: int | None = None
    maximum: int | None = None

    @property
    def positional(self) -> bool:
        """True when the parameter is given by position, not by a flag."""
        return not self.flags

    @property
    def label(self) -> str:
        """How usage lines name the value, e.g. `<set>` or `N`."""
        if self.metavar:
            return self.metavar
        return f"<{self.dest.replace('_', '-')}>" if self.positional else self.dest.upper()

    def usage(self) -> str:
        """The parameter as the usage line shows it."""
        if self.positional:
            text = self.label + ("..." if self.multiple else "")
        elif self.kind == "flag":
            text = self.flags[0]
        elif self.choices and len("|".join(self.choices)) <= 30:
            text = f"{self.flags[0]} {'|'.join(self.choices)}"
        else:
            text = f"{self.flags[0]} {self.label}" + ("..." if self.multiple else "")
        return text if self.required else f"[{text}]"


@dataclass(frozen=True)
class CommandSpec:
    """A command of the shell, declared once and rendered by every front end.

    Args:
        name: What the user types.
        summary: One line for `help` and the palette.
        handler: Runs the parsed command against the session's backend.
        params: Positionals (in order) and options.
        aliases: Other names the parser accepts.
        help: A longer explanation for `help <command>`.
        examples: Whole command lines, shown by `help <command>`.
        mutating: Changes something in Azure; refused in read-only mode.
        destructive: Removes instances or sets; asks for confirmation unless `--yes`.
        needs_set: The first positional is a scale-set name, which `use <set>` can supply.
        waits: Starts a long-running operation that is waited on unless `--no-wait`.
        repl_only: Meaningful only inside a session (`use`, `exit`).
        confirm_text: For destructive commands, the text to confirm (None: this line needs none,
            e.g. a scale-out).
        audit_words: The line's words as the audit trail may keep them, for a command whose values
            can be secrets the generic masking cannot name (a template's secure parameters).
        check_only_flags: Flags (by dest) that make a line of a mutating command only look, not
            change (`scale --dry-run`, `deploy --validate`): such a line runs in read-only mode.
    """

    name: str
    summary: str
    handler: Callable[[Invocation], Result]
    params: tuple[ParamSpec, ...] = ()
    aliases: tuple[str, ...] = ()
    help: str = ""
    examples: tuple[str, ...] = ()
    mutating: bool = False
    destructive: bool = False
    needs_set: bool = False
    waits: bool = False
    repl_only: bool = False
    confirm_text: Callable[[Invocation], str | None] | None = None
    check_only_flags: tuple[str, ...] = ("dry_run",)
    audit_words: Callable[[list[str]], list[str]] | None = None

    @property
    def positionals(self) -> tuple[ParamSpec, ...]:
        """Parameters given by position, in order."""
        return tuple(p for p in self.params if p.positional)

    @property
    def options(self) -> tuple[ParamSpec, ...]:
        """Parameters given by flag."""
        return tuple(p for p in self.params if not p.positional)

    def option(self, flag: str) -> ParamSpec | None:
        """The option spelled `flag`, or None."""
        for param in self.options:
            if flag in param.flags:
                return param
        return None

    def usage(self) -> str:
        """One line such as `scale <set> <capacity> [--dry-run]`."""
        parts = [self.name] + [p.usage() for p in self.positionals] + [p.usage() for p in self.options]
        return " ".join(parts)
