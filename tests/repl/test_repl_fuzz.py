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
