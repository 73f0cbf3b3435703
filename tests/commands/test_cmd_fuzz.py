"""Random input never produces a traceback: every line ends in an Outcome with at most one error line."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmss_tui.backends import open_backend
from vmss_tui.commands import COMMAND_INDEX, LINE_OPTIONS, Session, complete, run_line
from vmss_tui.commands.parser import UsageError, bind, parse, tokenize

WORDS = sorted(COMMAND_INDEX) + [flag for spec in COMMAND_INDEX.values() for p in spec.options for flag in p.flags] \
    + [flag for p in LINE_OPTIONS for flag in p.flags] \
    + ["web", "demo-set", "batch", "nope", "0", "1", "5", "-1", "99999999999999999999", "newvm", "true", "x",
       "uniform", "flexible", "json", "[].name", "'", '"', "--", "-", "=", "--yes", "1.5", "\\", "#", "\x00", "é", "\u2028", "a\u0085b"]

word_lines = st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join)
any_lines = st.one_of(word_lines, st.text(max_size=60))


@settings(max_examples=300, deadline=None)
@given(line=any_lines)
def test_the_parser_accepts_or_rejects_any_line_with_a_usage_error(line: str) -> None:
    try:
        tokens = tokenize(line)
        if tokens:
            bind(parse(tokens, COMMAND_INDEX))
    except UsageError as error:
        assert "\n" not in str(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=any_lines)
def test_running_any_line_gives_an_outcome_and_never_an_internal_error(tmp_path_factory, line: str) -> None:
    db = tmp_path_factory.mktemp("fuzz")
    backend = open_backend("emulator", db=db, speed="instant", durable=False)
    backend.seed_practice_estate()
    session = Session(backend, output="json", read_only=False)
    outcome = run_line(line, session)
    assert outcome.exit_code in (0, 1, 2)
    if outcome.exit_code:
        assert outcome.error is not None and outcome.error.startswith("ERROR: ")
        assert len(outcome.error.splitlines()) == 1
        assert "internal error" not in outcome.error, outcome.debug_traceback
    complete(line, session)


# ---------------------------------------------------------------- slow mode: the issue 10 fuzz run
#
# `pytest -m slow` (and CI, which runs every test) runs 10,000 one-shot CLI lines here and 5,000
# REPL lines in tests/repl/test_repl_fuzz.py, with hostile words: NUL and other control characters,
# very long tokens, unicode and bidi overrides, path traversal names, odd option spellings, and
# every global option of the CLI. No line may end in a traceback or an "internal error".

import io  # noqa: E402
import time  # noqa: E402
from contextlib import redirect_stderr, redirect_stdout  # noqa: E402

import pytest  # noqa: E402

from vmss_tui import cli  # noqa: E402
from vmss_tui.commands import run_tokens  # noqa: E402
from vmss_tui.config import OUTPUTS  # noqa: E402

from tests.fuzz_support import CLI_WORDS, CONSOLE_WORDS, FuzzEstate  # noqa: E402

CLI_LINES = 10_000
argv_lines = st.lists(st.one_of(st.sampled_from(CLI_WORDS), st.text(max_size=30)), min_size=0, max_size=8)
"""One-shot argv: hostile and ordinary words of the CLI, and any text."""


def _one_shot(argv: list[str], session: Session) -> tuple[int, str]:
    """What `vmss-tui <argv>` does after opening the backend: global options, then the command."""
    try:
        found = cli.split_globals(argv)
    except cli.CliUsageError as error:
        return 2, f"ERROR: (UnrecognizedArguments) {error}"
    if not found.command or found.command[0] in CONSOLE_WORDS or found.values.get("help") \
            or found.values.get("version"):
        return 0, ""
    output = found.values.get("output")
    if output is not None and output not in OUTPUTS:
        return 2, "ERROR: (InvalidArgumentValue) output"
    session.output = output or "json"
    session.query = found.values.get("query")
    session.resource_group = found.values.get("resource_group")
    session.yes = bool(found.values.get("yes"))
    session.no_wait = bool(found.values.get("no_wait"))
    outcome = run_tokens(found.command, session)
    return outcome.exit_code, outcome.error or ""


@pytest.mark.slow
def test_slow_ten_thousand_cli_lines_never_end_in_a_traceback_or_internal_error(tmp_path_factory) -> None:
    estate = FuzzEstate(tmp_path_factory)
    failures: list[tuple[list[str], str]] = []
    started = time.monotonic()

    @settings(max_examples=CLI_LINES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(argv=argv_lines)
    def one_line(argv: list[str]) -> None:
        code, error = _one_shot(argv, estate.session())
        if code not in (0, 1, 2) or "internal error" in error or "Traceback" in error or "\n" in error:
            failures.append((argv, error))
        assert not failures, failures[-1]

    try:
        one_line()
    finally:
        estate.close()
    elapsed = time.monotonic() - started
    print(f"\nCLI fuzz: {estate.lines} lines in {elapsed:.0f} s, {len(failures)} failing")
    assert estate.lines >= CLI_LINES and not failures


@pytest.mark.slow
def test_slow_whole_cli_process_path_never_prints_a_traceback(tmp_path_factory, monkeypatch) -> None:
    """A sample through `cli.main` itself: argv limits, settings, the backend opened per line."""
    db = tmp_path_factory.mktemp("fuzz-main")
    monkeypatch.setenv("VMSS_TUI_DB", str(db))
    monkeypatch.setenv("VMSS_TUI_SPEED", "instant")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(command=st.sampled_from(ONE_SHOT_COMMANDS), rest=argv_lines)
    def one_process(command: str, rest: list[str]) -> None:
        argv = [command, *(word for word in rest if word.partition("=")[0] not in PROCESS_UNSAFE)]
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(argv)
        assert code in (0, 1, 2)
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), (argv, err.getvalue())

    one_process()


ONE_SHOT_COMMANDS = sorted(name for name, spec in COMMAND_INDEX.items() if not spec.repl_only)
PROCESS_UNSAFE = {flag for flag, option in cli.GLOBAL_OPTIONS.items() if not option.line_option} | CONSOLE_WORDS
"""Words the in-process `main` sample leaves out: options that pick a store, config, backend or
endpoint (a random `--db /` would write there), and words that start a console or server."""
