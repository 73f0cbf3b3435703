"""How much input any door reads: one limit per kind, checked before any parsing work.

Tokenizing is the cost that grows with input (the standard library's `shlex` is quadratic in
the length of one word: a 10 MB line took over a minute), so every line is measured first and
refused whole when it is too long. 16,384 characters is far above any real command (Azure's
longest names are 90 characters; a `--query` is rarely 200) and tokenizes in milliseconds.
"""

from __future__ import annotations

from .errors import AzureError

MAX_LINE_CHARACTERS = 16384
"""One command line: a REPL or piped line, the TUI command bar, an SSH remote command, or argv joined."""
MAX_QUERY_CHARACTERS = 4096
"""One `--query` JMESPath expression."""
MAX_CONFIG_BYTES = 1024 * 1024
"""The config file (a real one is a few hundred bytes)."""


class InputTooLong(AzureError):
    """Input longer than the door takes: refused before any work, nothing sent."""

    code = "InvalidInput"
    http_status = 400


def check_line(line: str, what: str = "command line") -> None:
    """Refuse a line longer than MAX_LINE_CHARACTERS (the message gives both lengths)."""
    if len(line) > MAX_LINE_CHARACTERS:
        raise InputTooLong(f"The {what} is {len(line)} characters; the limit is {MAX_LINE_CHARACTERS}.")


def check_argv(argv: list[str]) -> None:
    """Refuse a one-shot command line whose words (with separating spaces) exceed the line limit."""
    total = sum(len(word) for word in argv) + max(0, len(argv) - 1)
    if total > MAX_LINE_CHARACTERS:
        raise InputTooLong(f"The command line is {total} characters; the limit is {MAX_LINE_CHARACTERS}.")


def check_query(query: str) -> None:
    """Refuse a --query longer than MAX_QUERY_CHARACTERS."""
    if len(query) > MAX_QUERY_CHARACTERS:
        raise InputTooLong(f"The --query is {len(query)} characters; the limit is {MAX_QUERY_CHARACTERS}.")
