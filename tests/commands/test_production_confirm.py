"""On a subscription marked production every change confirms first; reads never ask, or pay to check."""

from __future__ import annotations

from vmss_tui.commands import Session, confirmation_prompt, run_line


def _production_session(backend, asked: list[str], answer: bool) -> tuple[Session, list[int]]:
    checks: list[int] = []

    def check() -> str:
        checks.append(1)
        return "Contoso prod"

    def confirm(text: str) -> bool:
        asked.append(text)
        return answer

    session = Session(backend, output="json", confirm=confirm)
    session.production_check = check
    return session, checks


def test_a_start_on_production_asks_and_a_no_changes_nothing(backend):
    asked: list[str] = []
    session, _ = _production_session(backend, asked, answer=False)
    before = [i.power_state for i in backend.list_instances("practice-rg", "web")]
    outcome = run_line("stop web 0", session)
    assert outcome.exit_code == 1 and "(Cancelled)" in outcome.error
    assert asked == ["PRODUCTION: this changes subscription 'Contoso prod'. Run 'stop web'?"]
    assert [i.power_state for i in backend.list_instances("practice-rg", "web")] == before


def test_a_scale_in_on_production_shows_the_warning_and_the_victims(backend):
    asked: list[str] = []
    session, _ = _production_session(backend, asked, answer=True)
    assert run_line("scale web 4", session).exit_code == 0
    assert asked[0].startswith("PRODUCTION: this changes subscription 'Contoso prod'.\n")
    assert "removes 2 instance(s)" in asked[0]


def test_yes_skips_the_question_and_without_a_terminal_a_change_needs_it(backend):
    session, _ = _production_session(backend, [], answer=True)
    session.confirm = None
    refused = run_line("start web", session)
    assert refused.exit_code == 2 and "(ConfirmationRequired)" in refused.error
    assert run_line("start web --yes", session).exit_code == 0
    assert confirmation_prompt("start web --yes", session) is None


def test_reads_never_ask_and_never_run_the_production_check(backend):
    asked: list[str] = []
    session, checks = _production_session(backend, asked, answer=False)
    for line in ("list", "show web", "instances web", "fd-map web", "scale web 2 --dry-run"):
        assert run_line(line, session).exit_code == 0, line
    assert asked == [] and checks == []


def test_a_subscription_not_marked_production_asks_only_for_destructive_changes(backend):
    asked: list[str] = []
    session = Session(backend, output="json", confirm=lambda text: asked.append(text) or True)
    session.production_check = lambda: None
    assert run_line("stop web 0", session).exit_code == 0
    assert asked == []


def test_the_repl_prompt_says_production(backend):
    session, checks = _production_session(backend, [], answer=True)
    assert session.prompt() == "vmss [PRODUCTION]> "
    assert run_line("use web", session).exit_code == 0
    assert session.prompt() == "vmss [PRODUCTION] web> "
    assert len(checks) == 1  # asked once, then remembered
    assert Session(backend).prompt() == "vmss> "
