"""The REPL driven through prompt_toolkit's pipe input: the same commands, context, history, keys."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from vmss_tui.commands import Session
from vmss_tui.repl import CommandCompleter, run_repl, run_script, usage_hint

CTRL_C, CTRL_D, UP = "\x03", "\x04", "\x1b[A"


def drive(session: Session, keys: str, history=None) -> tuple[int, str, str]:
    """Type `keys` into the REPL and return (exit code, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        code = run_repl(session, input=pipe, output=DummyOutput(), stdout=stdout, stderr=stderr,
                        history=history or InMemoryHistory())
    return code, stdout.getvalue(), stderr.getvalue()


def test_a_command_typed_at_the_prompt_prints_its_result(session: Session) -> None:
    code, out, err = drive(session, "show web --query sku.capacity\rexit\r")
    assert code == 0 and out == "6\n" and err == ""


def test_ctrl_d_leaves_the_repl(session: Session) -> None:
    code, out, _ = drive(session, "list --query length(@)\r" + CTRL_D)
    assert code == 0 and out == "3\n"


def test_ctrl_c_cancels_the_line_without_running_it(session: Session) -> None:
    code, out, _ = drive(session, "scale web 9" + CTRL_C + "show web --query sku.capacity\rexit\r")
    assert code == 0 and out == "6\n"
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 6


def test_use_sets_the_context_shown_in_the_prompt_and_later_lines_omit_the_set(session: Session) -> None:
    code, out, _ = drive(session, "use web\rscale 8\rshow --query sku.capacity\r" + CTRL_D)
    assert code == 0
    assert session.current_set == ("practice-rg", "web") and session.prompt() == "vmss web> "
    assert out.splitlines()[-1] == "8"


def test_every_command_works_in_the_repl(session: Session) -> None:
    lines = [
        "list", "show web", "instances web", "list-instances demo-set", "create api --mode uniform --capacity 1",
        "update api --image Debian12", "upgrade api", "scale api 3", "scale api 2 --dry-run", "scale api 1 --yes",
        "add-vm demo-set --name extra", "stop web 0", "deallocate web 1", "start web", "restart web 2",
        "reimage web 3", "protect web 4", "unprotect web 4", "delete-instances web 5 --yes", "fd-map web",
        "use web", "use -", "help", "help scale", "delete api --yes",
    ]
    code, out, err = drive(session, "".join(f"{line} -o json\r" if not line.startswith(("use", "help")) else f"{line}\r"
                                            for line in lines) + "exit\r")
    assert code == 0 and err == "", err
    names = [s.name for s in session.backend.list_scale_sets()]
    assert "api" not in names and session.backend.get_scale_set("practice-rg", "web").capacity == 5
    assert "Usage: scale <set> <capacity> [--dry-run]" in out


def test_errors_are_printed_and_the_repl_keeps_going(session: Session) -> None:
    code, out, err = drive(session, "scal web 3\rshow nope\rscale web x\rshow web --query name\rexit\r")
    assert code == 0 and out == '"web"\n'
    assert err.splitlines() == [
        "ERROR: (UnknownCommand) 'scal' is not a vmss-tui command. Did you mean 'scale'? Try 'help'.",
        "ERROR: (ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachineScaleSets/nope' was not found "
        "in any resource group of this subscription.",
        "ERROR: (InvalidArgumentValue) scale <capacity>: 'x' is not a whole number.",
    ]


def test_a_destructive_command_asks_and_y_goes_ahead(session: Session) -> None:
    drive(session, "delete-instances web 0 1\ry\rexit\r")
    assert len(session.backend.list_instances("practice-rg", "web")) == 4


def test_a_destructive_command_asks_and_anything_else_changes_nothing(session: Session) -> None:
    _, _, err = drive(session, "scale web 2\rn\rexit\r")
    assert "(Cancelled)" in err
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 6


def test_read_only_refuses_mutations_in_the_repl(session: Session) -> None:
    session.read_only = True
    _, _, err = drive(session, "stop web\rexit\r")
    assert err.startswith("ERROR: (ReadOnly)")


def test_history_is_kept_in_a_file_across_runs(session: Session, tmp_path: Path) -> None:
    history_file = tmp_path / "history"
    drive(session, "show web --query sku.capacity\rexit\r", history=FileHistory(str(history_file)))
    assert "show web --query sku.capacity" in history_file.read_text()
    # A new REPL on the same file: Up twice recalls the command before `exit`.
    _, out, _ = drive(session, UP + UP + "\rexit\r", history=FileHistory(str(history_file)))
    assert out == "6\n"


def test_the_completer_offers_set_names_and_ids_through_prompt_toolkit(session: Session) -> None:
    completer = CommandCompleter(session)
    found = list(completer.get_completions(Document("stop demo-set n"), CompleteEvent()))
    assert [c.text for c in found] == ["newvm"] and found[0].start_position == -1
    assert [c.text for c in completer.get_completions(Document("scale w"), CompleteEvent())] == ["web"]


def test_tab_completes_a_set_name_at_the_prompt(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    import vmss_tui.repl.shell as shell

    prompts: list = []

    class WatchedPromptSession(shell.PromptSession):  # type: ignore[misc]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            prompts.append(self)

    monkeypatch.setattr(shell, "PromptSession", WatchedPromptSession)

    def wait_for_line(text: str) -> bool:
        """Wait (as a person watches the screen) until the prompt line reads `text`."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if prompts and prompts[0].default_buffer.text == text:
                return True
            time.sleep(0.02)
        return False

    stdout = io.StringIO()
    seen: dict[str, bool] = {}
    with create_pipe_input() as pipe:
        def typist() -> None:
            pipe.send_text("show we")
            seen["typed"] = wait_for_line("show we")
            pipe.send_text("\t")  # completion runs in a thread: wait for it to land, not a fixed time
            seen["completed"] = wait_for_line("show web")
            pipe.send_text(" --query name\rexit\r")

        threading.Thread(target=typist, daemon=True).start()
        run_repl(session, input=pipe, output=DummyOutput(), stdout=stdout, stderr=io.StringIO(),
                 history=InMemoryHistory())
    assert seen == {"typed": True, "completed": True}
    assert json.loads(stdout.getvalue()) == "web"


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("", "Tab completes"),
        ("scale ", "scale <set> <capacity> [--dry-run]"),
        ("scale web 3 --dry-run", "--dry-run: Show exactly which instances"),
        ("frob", "unknown command 'frob'"),
        ("show 'unfinished", "show <set>"),
    ],
)
def test_the_toolbar_shows_the_usage_of_the_command_being_typed(typed: str, hint: str) -> None:
    assert hint in usage_hint(typed)


def test_piped_lines_run_in_order_and_stop_at_the_first_failure(session: Session) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_script(session, ["scale web 7", "show nope", "scale web 8"], stdout, stderr)
    assert code == 1 and stderr.getvalue().startswith("ERROR: (ResourceNotFound)")
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 7


def test_piped_usage_errors_stop_with_exit_2(session: Session) -> None:
    code = run_script(session, ["# comment", "", "scale web"], io.StringIO(), io.StringIO())
    assert code == 2


def test_piped_destructive_commands_without_yes_are_refused(session: Session) -> None:
    stderr = io.StringIO()
    assert run_script(session, ["delete web"], io.StringIO(), stderr) == 2
    assert "pass --yes" in stderr.getvalue()


def test_the_history_file_keeps_no_secret_and_only_its_owner_reads_it(session: Session) -> None:
    """The REPL's own history file (the user data dir) masks secrets as the audit trail does, mode 0600."""
    import stat

    from vmss_tui.repl import default_history_path

    template = Path(__file__).parents[1] / "fixtures" / "templates" / "vmss-linux-nat.azuredeploy.json"
    stdout, stderr = io.StringIO(), io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(f"deploy {template} -p vmssName=lab adminPasswordOrKey=hunter2-Secret --what-if\r"
                       "create x --mode uniform --admin-password hunter3-Secret --what-if\rexit\r")
        run_repl(session, input=pipe, output=DummyOutput(), stdout=stdout, stderr=stderr)
    path = default_history_path()
    kept = path.read_text()
    assert "vmssName=lab" in kept and "adminPasswordOrKey=***" in kept
    assert "hunter2" not in kept and "hunter3" not in kept
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
