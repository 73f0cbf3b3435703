"""The prompt-toolkit REPL: the command language with completion, inline help and history.

Interactive: `vmss web> ` prompt showing the `use` context, Tab/while-typing completion
(backend names fetched off the UI thread, see `commands.completion`), a bottom toolbar with
the usage of the command being typed, history in the user data dir, Ctrl-C cancels the
line, Ctrl-D (or `exit`) leaves.

Scripted (stdin is not a terminal): read lines, no prompt, run each, and stop at the first
failing line, returning its exit code, the way `set -e` scripts and `az` scripts expect.
"""

from __future__ import annotations

import sys
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, ThreadedCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import HTML
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from ..commands import COMMAND_INDEX, LINE_OPTIONS, Session, complete, run_line
from ..commands.executor import kept_text, print_outcome, refuse_overlong_line
from ..commands.parser import command_words, tokenize
from ..domain.limits import MAX_LINE_CHARACTERS

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from ..commands.executor import Outcome


def default_history_path() -> Path:
    """The REPL history file: `<user data dir>/vmss-tui/history`."""
    from platformdirs import user_data_path

    return user_data_path("vmss-tui", appauthor=False) / "history"


class CommandCompleter(Completer):
    """prompt_toolkit adapter over `commands.complete` (wrapped in a ThreadedCompleter)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        for item in complete(document.text_before_cursor, self.session):
            yield Completion(item.text, start_position=item.start_position, display=item.display or item.text,
                             display_meta=item.meta)


def usage_hint(text: str) -> str:
    """The bottom-toolbar text for a partly typed line: the current command's usage."""
    if len(text) > MAX_LINE_CHARACTERS:
        return f"the line is {len(text)} characters; the limit is {MAX_LINE_CHARACTERS}"
    try:
        words = tokenize(text)
    except Exception:  # noqa: BLE001 - an unfinished quote is normal while typing
        words = text.split()
    if not words:
        return "Tab completes · help lists commands · Ctrl-D exits"
    spec = COMMAND_INDEX.get(" ".join(words[:command_words(words, COMMAND_INDEX)]).lower())
    if spec is None:
        return f"unknown command '{words[0]}' · help lists commands"
    hint = f"{spec.usage()}  —  {spec.summary}"
    last = text.split()[-1] if text.split() and not text.endswith(" ") else ""
    for param in list(spec.options) + list(LINE_OPTIONS):
        if last and last in param.flags:
            hint = f"{last}: {param.help}"
    return hint


def _write_outcome(outcome: Outcome, stdout: TextIO, stderr: TextIO) -> None:
    print_outcome(outcome, stdout, stderr)


@dataclass(frozen=True)
class OverlongLine:
    """A piped line longer than the limit: only its start was kept, the rest was read and dropped."""

    start: str
    length: int


def bounded_lines(stream: TextIO, limit: int = MAX_LINE_CHARACTERS) -> Iterator[str | OverlongLine]:
    """The lines of a pipe, never holding more than `limit` characters of one line in memory."""
    while True:
        text = stream.readline(limit + 2)
        if not text:
            return
        if len(text.rstrip("\r\n")) <= limit:
            yield text
            continue
        start, length = text[:256], len(text)
        while not text.endswith("\n"):
            text = stream.readline(1 << 20)
            if not text:
                break
            length += len(text)
        yield OverlongLine(start, length - (1 if text.endswith("\n") else 0))


def run_script(session: Session, lines: Iterable[str | OverlongLine], stdout: TextIO, stderr: TextIO) -> int:
    """Run lines from a pipe; stop at the first failure and return its exit code."""
    for line in lines:
        if isinstance(line, OverlongLine):
            outcome = refuse_overlong_line(line.start, line.length, session)
        else:
            outcome = run_line(line, session)
        _write_outcome(outcome, stdout, stderr)
        if outcome.exit_code != 0:
            return outcome.exit_code
        if outcome.exit_requested:
            return 0
    return 0


def run_repl(session: Session, *, interactive: bool | None = None, input: Input | None = None,
             output: Output | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
             history: History | None = None) -> int:
    """Run the REPL until `exit`, Ctrl-D or the end of piped input.

    Args:
        session: The command session (its `current_set` is the `use` context).
        interactive: Prompt with completion; default: stdin is a terminal. Always True when
            `input` is given (tests drive the prompt with a pipe input).
        input: prompt_toolkit input (tests: `create_pipe_input()`).
        output: prompt_toolkit output (tests: `DummyOutput()`).
        stdout: Where results go (default sys.stdout).
        stderr: Where errors and warnings go (default sys.stderr).
        history: Line history (default: FileHistory in the user data dir).

    Returns:
        0 after `exit`/Ctrl-D interactively; in scripted mode the first failure's exit code.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if interactive is None:
        interactive = input is not None or sys.stdin.isatty()
    if not interactive:
        return run_script(session, bounded_lines(sys.stdin), stdout, stderr)
    if history is None:
        history = _file_history(stderr)
    prompt_session: PromptSession[str] = PromptSession(
        history=history, completer=ThreadedCompleter(CommandCompleter(session)), complete_while_typing=True,
        bottom_toolbar=lambda: usage_hint(prompt_session.default_buffer.document.text_before_cursor),
        input=input, output=output, enable_history_search=False,
    )
    if session.confirm is None and not session.yes:
        session.confirm = _make_confirm(input, output)
    session.completion_cache.prefetch()
    while True:
        try:
            line = prompt_session.prompt(lambda: HTML("<b>{}</b>").format(session.prompt()))
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        try:
            outcome = run_line(line, session)
        except KeyboardInterrupt:
            stderr.write("Interrupted.\n")
            continue
        _write_outcome(outcome, stdout, stderr)
        if outcome.exit_requested:
            return 0


class MaskedFileHistory(FileHistory):
    """The history file keeps lines as the audit trail does: a secret typed once is not on disk for good."""

    def store_string(self, string: str) -> None:
        super().store_string(kept_text(string))


def _file_history(stderr: TextIO) -> History:
    path = default_history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)  # a shared bastion: other users read no one's commands
        return MaskedFileHistory(str(path))
    except OSError as exc:
        stderr.write(f"WARNING: history will not be kept ({path}: {exc.strerror}).\n")
        return InMemoryHistory()


def _make_confirm(input: Any, output: Any) -> Any:
    def confirm(text: str) -> bool:
        asker: PromptSession[str] = PromptSession(input=input, output=output)
        try:
            answer = asker.prompt(f"{text}\nProceed? [y/N] ")
        except (KeyboardInterrupt, EOFError):
            return False
        return answer.strip().lower() in ("y", "yes")

    return confirm
