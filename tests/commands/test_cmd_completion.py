"""Completion: commands, options, option values, set names and instance ids, without blocking."""

from __future__ import annotations

import threading
import time

from vmss_tui.commands import Session, complete, run_line
from vmss_tui.commands.completion import CompletionCache


def texts(line: str, session: Session) -> list[str]:
    return [c.text for c in complete(line, session)]


def test_an_empty_line_offers_every_command_with_its_summary(session: Session) -> None:
    items = complete("", session)
    assert {"list", "scale", "delete-instances", "fd-map", "help"} <= {c.text for c in items}
    scale = next(c for c in items if c.text == "scale")
    assert scale.meta.startswith("Set the capacity") and scale.start_position == 0


def test_a_command_prefix_completes_to_matching_commands(session: Session) -> None:
    assert texts("sc", session) == ["scale"]
    assert set(texts("de", session)) == {"delete", "delete-instances", "deallocate", "deploy", "deployment cancel", "deployment delete",
                                          "deployment list", "deployment operations", "deployment show"}
    assert complete("sc", session)[0].start_position == -2


def test_set_names_complete_from_the_backend(session: Session) -> None:
    assert texts("scale w", session) == ["web"]
    assert set(texts("show ", session)) == {"batch", "demo-set", "web"}
    assert texts("show D", session) == ["demo-set"]


def test_instance_ids_complete_for_the_named_set_and_skip_ones_already_typed(session: Session) -> None:
    assert texts("delete-instances web ", session) == ["0", "1", "2", "3", "4", "5"]
    assert texts("delete-instances web 0 3 ", session) == ["1", "2", "4", "5"]
    assert texts("stop demo-set n", session) == ["newvm"]
    meta = {c.text: c.meta for c in complete("start web ", session)}
    assert meta["0"] == "running"


def test_options_complete_for_the_command_and_the_line(session: Session) -> None:
    assert texts("scale web 3 --d", session) == ["--dry-run"]
    offered = set(texts("create x --", session))
    assert {"--mode", "--capacity", "--zones", "--output", "--query", "--yes", "--no-wait"} <= offered
    assert "--mode" not in texts("create x --mode uniform --", session)


def test_option_values_complete_from_choices_and_catalogues(session: Session) -> None:
    assert texts("create x --mode ", session) == ["uniform", "flexible"]
    assert texts("list -o j", session) == ["json", "jsonc"]
    assert "Standard_D2s_v3" in texts("create x --vm-size Standard_D", session)
    assert texts("create x --zones 1 ", session) == ["2", "3"]
    assert texts("update web --scale-in-policy o", session) == ["OldestVM"]
    assert "westeurope" in texts("create x --location west", session)
    assert texts("list -g pr", session) == ["practice-rg"]
    assert texts("help sc", session) == ["scale"]


def test_in_a_use_context_ids_of_the_context_set_and_set_names_are_both_offered(session: Session) -> None:
    run_line("use web", session)
    offered = texts("stop ", session)
    assert "0" in offered and "demo-set" in offered
    assert texts("stop 0 ", session)[:1] == ["1"]


def test_unknown_commands_and_positions_past_the_last_argument_offer_nothing(session: Session) -> None:
    assert texts("frobnicate ", session) == []
    assert texts("show web ", session) == []
    assert texts("list ", session) == []


def test_an_unclosed_quote_does_not_break_completion(session: Session) -> None:
    assert texts("show 'w", session) == ["web"]


def test_a_slow_backend_never_blocks_completion_longer_than_the_wait(session: Session) -> None:
    release = threading.Event()
    cache = CompletionCache(session, wait_seconds=0.05)

    def slow_loader():
        release.wait(5)
        return ["late"]

    started = time.monotonic()
    assert cache.get("slow", slow_loader, []) == []
    assert time.monotonic() - started < 1.0
    release.set()
    deadline = time.monotonic() + 5
    while cache.get("slow", slow_loader, []) != ["late"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_cached_lists_are_reused_until_the_ttl_runs_out(session: Session) -> None:
    calls: list[int] = []
    cache = CompletionCache(session, ttl=60)
    loader = lambda: calls.append(1) or ["a"]  # noqa: E731
    assert cache.get("k", loader, []) == ["a"]
    assert cache.get("k", loader, []) == ["a"]
    assert len(calls) == 1
    cache.invalidate()
    assert cache.get("k", loader, []) == ["a"]
    assert len(calls) == 2


def test_a_failing_backend_offers_nothing_instead_of_raising(session: Session, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("backend down")

    monkeypatch.setattr(session.backend, "list_scale_sets", broken)
    assert texts("show ", session) == []
