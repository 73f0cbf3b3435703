"""Shared vocabulary and estate for the slow fuzz runs (tests/commands and tests/repl).

Hostile words: NUL and other control characters, bidi overrides and invisible characters, very
long tokens, path traversal names, odd option spellings, shell metacharacters, broken JMESPath,
and every global option of the CLI next to every command word and option of the registry.
"""

from __future__ import annotations

from vmss_tui import cli
from vmss_tui.backends import open_backend
from vmss_tui.commands import COMMAND_INDEX, LINE_OPTIONS, Session

HOSTILE = [
    "\x00", "web\x00", "\x1b[2J", "\x1b]0;owned\x07", "\r", "\x7f", "\x9b31m", "\u202eweb", "\u2028", "\ufeff",
    "名前", "web\u0301", "😀", "\udcff", "../../../etc/passwd", "..", ".", "/", "a/b", "..\\..\\x", "%2e%2e%2f",
    "practice-rg/../x", "a" * 300, "9" * 5000, "w" * 20000, "-" * 50, "--", "---", "--=", "-o=", "--query=",
    "-o=json", "--yes=no", "--output=xml", "-g=", "--resource-group=../x", "--capacity=-1", "--capacity=1e9",
    "nan", "inf", "-0", "0x10", "1_000", "２", "max_by(@,&x)", "[?x=='", "(" * 200, "[" * 100, "@", "`{}`",
    "'", '"', "\\", "#", "=", "$(id)", "`id`", ";", "&&", "|", "*", "~", "\t", "\n",
]
CLI_WORDS = sorted(COMMAND_INDEX) \
    + [flag for spec in COMMAND_INDEX.values() for p in spec.options for flag in p.flags] \
    + [flag for p in LINE_OPTIONS for flag in p.flags] + sorted(cli.GLOBAL_OPTIONS) \
    + ["web", "demo-set", "batch", "nope", "practice-rg", "0", "1", "2", "5", "-1", "99999999999999999999",
       "newvm", "true", "false", "uniform", "flexible", "json", "tsv", "table", "yaml", "none", "[].name",
       "Standard_B1s", "Ubuntu2204", "westeurope", "OldestVM", "Rolling", "1.5", "é", "a\u0085b"] + HOSTILE
CONSOLE_WORDS = {"emulator", "audit", "ssh-config", "ssh-console", "shell", "exit", "quit", "use"}
"""Words that start another program (server, console, REPL) or only work in the shell: not one-shot lines."""


class FuzzEstate:
    """One practice estate reused across examples, renewed every `every` lines (deletes empty it)."""

    def __init__(self, tmp_path_factory, every: int = 400) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.every = every
        self.used = 0
        self.lines = 0
        self.backend = None

    def session(self) -> Session:
        """A fresh JSON session (like a script's) on the current estate."""
        if self.backend is None or self.used >= self.every:
            if self.backend is not None:
                self.backend.close()
            self.backend = open_backend("emulator", db=self.tmp_path_factory.mktemp("fuzz"), speed="instant",
                                        durable=False)
            self.backend.seed_practice_estate()
            self.used = 0
        self.used += 1
        self.lines += 1
        return Session(self.backend, output="json")

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
