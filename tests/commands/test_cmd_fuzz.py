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
