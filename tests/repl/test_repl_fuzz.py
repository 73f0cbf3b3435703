"""Random lines typed into the REPL never end it with a traceback."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from vmss_tui.backends import open_backend
from vmss_tui.commands import COMMAND_INDEX, Session
from vmss_tui.repl import run_repl, run_script

printable = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
commandish = st.tuples(st.sampled_from(sorted(COMMAND_INDEX)), printable).map(" ".join)
lines = st.lists(st.one_of(printable, commandish), min_size=1, max_size=4)


def fresh_session(tmp_path_factory) -> Session:
    backend = open_backend("emulator", db=tmp_path_factory.mktemp("fuzz"), speed="instant", durable=False)
    backend.seed_practice_estate()
    return Session(backend, output="json")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=lines)
def test_random_lines_typed_at_the_prompt_never_raise(tmp_path_factory, typed: list[str]) -> None:
    session = fresh_session(tmp_path_factory)
    stderr = io.StringIO()
    with create_pipe_input() as pipe:
        # Each line, then Ctrl-C (clears a pending confirmation or line), then finally Ctrl-D.
        pipe.send_text("".join(f"{line}\r\x03" for line in typed) + "\x04")
        code = run_repl(session, input=pipe, output=DummyOutput(), stdout=io.StringIO(), stderr=stderr,
                        history=InMemoryHistory())
    assert code == 0
    assert "Traceback" not in stderr.getvalue() and "internal error" not in stderr.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=lines)
def test_random_piped_lines_end_with_an_exit_code_and_error_lines_only(tmp_path_factory, typed: list[str]) -> None:
    session = fresh_session(tmp_path_factory)
    stderr = io.StringIO()
    code = run_script(session, typed, io.StringIO(), stderr)
    assert code in (0, 1, 2)
    for line in stderr.getvalue().splitlines():
        assert line.startswith(("ERROR: (", "WARNING: ")), line


# ---------------------------------------------------------------- slow mode: the issue 10 fuzz run
#
# 5,000 REPL lines: 4,500 through the scripted REPL (what `vmss-tui shell` and the SSH console do
# with a pipe: the bounded line reader, run_line, the printer) with any character at all, and 500
# typed at the interactive prompt (control characters left out there: they are key presses).

import time  # noqa: E402

import pytest  # noqa: E402

from vmss_tui.repl.shell import bounded_lines  # noqa: E402

from tests.fuzz_support import CLI_WORDS, HOSTILE, FuzzEstate  # noqa: E402

PIPED_LINES = 4_500
TYPED_LINES = 500
TYPED_PER_EXAMPLE = 10

hostile_words = st.sampled_from(CLI_WORDS)
any_text = st.text(max_size=80)  # every code point hypothesis draws, C0/C1 controls and NUL included
hostile_lines = st.one_of(
    st.lists(hostile_words, min_size=1, max_size=8).map(" ".join),
    st.tuples(st.sampled_from(sorted(COMMAND_INDEX)), any_text).map(" ".join),
    any_text,
    st.sampled_from(["scale web " + "9" * 20000, "show " + "w" * 17000, "list " + "x" * 40000]),
)
typeable = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)
typed_lines = st.one_of(
    st.lists(st.sampled_from([w for w in CLI_WORDS if w.isprintable() and "\udcff" not in w]), min_size=1,
             max_size=6).map(" ".join),
    st.tuples(st.sampled_from(sorted(COMMAND_INDEX)), typeable).map(" ".join),
    typeable,
)


def _clean(stderr_text: str) -> bool:
    return "Traceback" not in stderr_text and "internal error" not in stderr_text


@pytest.mark.slow
def test_slow_piped_repl_lines_with_any_character_never_raise(tmp_path_factory) -> None:
    estate = FuzzEstate(tmp_path_factory)
    failures: list[tuple[str, str]] = []
    started = time.monotonic()

    @settings(max_examples=PIPED_LINES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(line=hostile_lines)
    def one_line(line: str) -> None:
        stderr = io.StringIO()
        stream = io.StringIO(line.replace("\n", " ").replace("\r", " ") + "\n")
        code = run_script(estate.session(), bounded_lines(stream), io.StringIO(), stderr)
        if code not in (0, 1, 2) or not _clean(stderr.getvalue()) or any(
                not row.startswith(("ERROR: (", "WARNING: ")) for row in stderr.getvalue().splitlines()):
            failures.append((line, stderr.getvalue()))
        assert not failures, failures[-1]

    try:
        one_line()
    finally:
        estate.close()
    print(f"\nREPL pipe fuzz: {estate.lines} lines in {time.monotonic() - started:.0f} s, {len(failures)} failing")
    assert estate.lines >= PIPED_LINES


@pytest.mark.slow
def test_slow_lines_typed_at_the_prompt_never_raise(tmp_path_factory) -> None:
    estate = FuzzEstate(tmp_path_factory, every=40)
    typed_count = 0
    started = time.monotonic()

    @settings(max_examples=TYPED_LINES // TYPED_PER_EXAMPLE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(typed=st.lists(typed_lines, min_size=TYPED_PER_EXAMPLE, max_size=TYPED_PER_EXAMPLE))
    def one_session(typed: list[str]) -> None:
        nonlocal typed_count
        stderr = io.StringIO()
        with create_pipe_input() as pipe:
            pipe.send_text("".join(f"{line}\r\x03" for line in typed) + "\x04")
            code = run_repl(estate.session(), input=pipe, output=DummyOutput(), stdout=io.StringIO(), stderr=stderr,
                            history=InMemoryHistory())
        typed_count += len(typed)
        assert code == 0 and _clean(stderr.getvalue()), (typed, stderr.getvalue())

    try:
        one_session()
    finally:
        estate.close()
    print(f"\nREPL prompt fuzz: {typed_count} lines in {time.monotonic() - started:.0f} s")
    assert typed_count >= TYPED_LINES


def test_the_hostile_words_reach_both_fuzzers() -> None:
    assert set(HOSTILE) <= set(CLI_WORDS)
