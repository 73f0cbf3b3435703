"""The TUI's start-up path: what it imports and reads before the first rows, and that what it leaves
for later still works on first use."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.tui import theming
from vmss_tui.tui.theming import load_themes


def _fresh_interpreter(code: str, cache: Path) -> str:
    """Run `code` in a new interpreter whose theme cache is `cache`; its last stdout line."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), XDG_CONFIG_HOME=str(cache / "config"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_second_start_reads_the_themes_without_the_yaml_parser(tmp_path: Path) -> None:
    code = ("import sys\nfrom vmss_tui.tui.theming import load_themes\n"
            "names = sorted(load_themes())\nprint(names, 'yaml' in sys.modules)")
    first = _fresh_interpreter(code, tmp_path)
    second = _fresh_interpreter(code, tmp_path)
    assert first.endswith("True")  # nothing cached yet: parsed from YAML
    assert second == first.removesuffix("True") + "False"  # the same themes, without importing yaml


@pytest.fixture
def theme_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache" / "themes.json"
    monkeypatch.setattr(theming, "theme_cache_path", lambda: cache)
    return cache


def test_an_edited_theme_file_is_read_again_not_taken_from_the_cache(tmp_path: Path, theme_cache: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\nprimary: '#123456'\n", encoding="utf-8")
    assert load_themes([tmp_path], include_user_dir=False)["mine"].primary == "#123456"
    assert theme_cache.exists()
    mine.write_text("name: mine\nprimary: '#654321'\n", encoding="utf-8")
    os.utime(mine, ns=(time.time_ns(), time.time_ns() + 1_000_000))  # a new mtime even on a coarse clock
    assert load_themes([tmp_path], include_user_dir=False)["mine"].primary == "#654321"


def test_a_damaged_cache_file_is_ignored_and_rewritten(tmp_path: Path, theme_cache: Path) -> None:
    theme_cache.parent.mkdir(parents=True)
    theme_cache.write_text("{not json", encoding="utf-8")
    assert "vmss-dark" in load_themes(include_user_dir=False)
    assert "vmss-dark" in load_themes(include_user_dir=False)
    assert theme_cache.read_text(encoding="utf-8").startswith("{")


def test_a_cached_entry_still_passes_the_theme_field_allow_list(tmp_path: Path, theme_cache: Path) -> None:
    """The cache is a copy of parsed YAML, not a way around the checks: a field Textual does not know,
    planted in the cache for an unchanged file, is refused as it would be from the file."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\nprimary: '#123456'\n", encoding="utf-8")
    load_themes([tmp_path], include_user_dir=False)
    import json

    entries = json.loads(theme_cache.read_text(encoding="utf-8"))
    entries[str(mine)][2]["sparkle"] = True
    theme_cache.write_text(json.dumps(entries), encoding="utf-8")
    assert "mine" not in load_themes([tmp_path], include_user_dir=False)  # skipped, as a broken user theme is


def test_a_theme_cache_dir_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setattr(theming, "theme_cache_path", lambda: blocker / "themes.json")
    assert "vmss-dark" in load_themes(include_user_dir=False)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_what_the_first_frame_leaves_for_later_opens_on_first_use_in_a_fresh_process(tmp_path: Path) -> None:
    """The real start (`python -m vmss_tui` in a terminal) imports help, detail and the palette only
    when first used: each opens the first time its key is pressed."""
    from test_terminal import Terminal

    store = tmp_path / "store"
    open_backend("emulator", db=store, speed="instant", seed=True).close()
    socket = f"vmss-startup-{os.getpid()}-{time.monotonic_ns()}"
    command = f"{sys.executable} -m vmss_tui --db {store} --speed instant --no-mouse -g practice-rg"
    env = dict(os.environ, TERM="xterm-256color", XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", command], check=True, env=env)
    term = Terminal(socket)
    try:
        term.wait_for("Instances of")
        term.send("?")
        term.wait_for("Esc closes.")
        term.send("Escape")
        term.wait_for("Instances of")
        term.send("Tab", "v")  # the instance under the cursor
        term.wait_for("j JSON / fields")
        term.send("Escape")
        term.wait_for("Instances of")
        term.send("C-p")
        term.wait_for("Search for commands")
        term.send("Escape")
        deadline = time.monotonic() + 20
        while "Search for commands" in term.screen():  # closed before the next key, not an Alt+key
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.1)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


# --- The first screen read by a child process while the parent imports Textual ----------------------

OPEN_ERRORS = (ValueError, OSError)


def test_the_child_reads_the_same_first_screen_as_the_app_would_itself(tmp_path: Path) -> None:
    from vmss_tui.tui.first_read import ForkedRead
    from vmss_tui.tui.messages import FirstScreen
    from vmss_tui.tui.screens.main import read_first_screen

    store = tmp_path / "store"
    open_backend("emulator", db=store, speed="instant", seed=True).close()
    forked = ForkedRead.start(lambda: open_backend("emulator", db=store, speed="instant"), "practice-rg",
                              OPEN_ERRORS)
    assert forked is not None
    answer = forked.answer()
    assert answer is not None and answer[0] == "read"
    backend = open_backend("emulator", db=store, speed="instant")
    try:
        assert FirstScreen(**answer[1]) == read_first_screen(backend, "practice-rg")
    finally:
        backend.close()
    assert FirstScreen(**answer[1]).instances  # rows to show, not an empty read


def test_a_store_the_child_cannot_open_comes_back_as_the_error_line(tmp_path: Path) -> None:
    from vmss_tui.tui.first_read import ForkedRead

    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    forked = ForkedRead.start(lambda: open_backend("emulator", db=a_file, speed="instant"), None,
                              (*OPEN_ERRORS, Exception))
    assert forked is not None
    assert forked.answer() == ("failed", f"(InvalidParameter) The emulator store '{a_file}' is a file; "
                                         "--db needs a directory.")


def test_a_child_that_dies_or_hangs_gives_no_answer_and_is_reaped(tmp_path: Path) -> None:
    from vmss_tui.tui.first_read import ForkedRead

    def dies() -> Any:
        os._exit(3)

    def hangs() -> Any:
        time.sleep(30)

    died = ForkedRead.start(dies, None, OPEN_ERRORS)
    assert died is not None and died.answer() is None
    hung = ForkedRead.start(hangs, None, OPEN_ERRORS)
    assert hung is not None
    started = time.monotonic()
    assert hung.answer(timeout=0.5) is None
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(hung._pid, os.WNOHANG)  # killed and reaped: no zombie left behind


def test_the_parents_backend_opens_once_on_first_use_and_not_just_to_close(tmp_path: Path) -> None:
    from vmss_tui.tui.first_read import OpenedLater

    store = tmp_path / "store"
    opened: list[Any] = []

    def opener() -> Any:
        backend = open_backend("emulator", db=store, speed="instant", seed=True)
        opened.append(backend)
        return backend

    unused = OpenedLater(opener)
    unused.close()
    assert opened == []
    later = OpenedLater(opener)
    assert later.info().subscription_id == later.info().subscription_id
    assert len(opened) == 1
    later.close()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_a_store_that_cannot_be_opened_stops_the_tui_with_one_error_line(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    socket = f"vmss-startup-{os.getpid()}-{time.monotonic_ns()}"
    command = (f"{sys.executable} -m vmss_tui --db {a_file} --speed instant --no-mouse; "
               "echo exit=$?; sleep 30")
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40", command], check=True,
                   env=dict(os.environ, TERM="xterm-256color"))
    from test_terminal import Terminal

    term = Terminal(socket)
    try:
        screen = term.wait_for("exit=")
        assert "ERROR: (InvalidParameter) The emulator store" in screen and "exit=1" in screen
        assert "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


@pytest.fixture
def app_run_records_first_screen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`run_app` up to `App.run`: a terminal is pretended, and `run` records the first screen the app
    would show (waiting for it as the main screen does) instead of taking over the terminal."""
    from vmss_tui.tui.app import VmssApp

    shown: list[Any] = []

    def run(self: VmssApp, **_options: Any) -> None:
        shown.append(self.first_screen.result(timeout=20) if self.first_screen is not None else None)
        self.backend.close()

    class Terminal:
        """`sys` as `run_app` sees it: stdout is a terminal, everything else is the real `sys`."""

        class stdout:  # noqa: N801
            @staticmethod
            def isatty() -> bool:
                return True

        def __getattr__(self, name: str) -> Any:
            return getattr(sys, name)

    monkeypatch.setattr("vmss_tui.tui.app.sys", Terminal())
    monkeypatch.setattr(VmssApp, "run", run)
    return shown


def test_run_app_shows_what_the_child_read(tmp_path: Path, app_run_records_first_screen: list[Any]) -> None:
    from vmss_tui.tui.app import run_app
    from vmss_tui.tui.first_read import ForkedRead

    store = tmp_path / "store"
    open_backend("emulator", db=store, speed="instant", seed=True).close()
    options = {"db": store, "speed": "instant"}
    forked = ForkedRead.start(lambda: open_backend("emulator", **options), "practice-rg", OPEN_ERRORS)
    assert run_app(backend_options=options, resource_group="practice-rg", first_read=forked) == 0
    [first] = app_run_records_first_screen
    assert first.chosen is not None and len(first.instances) == first.chosen.capacity > 0


def test_run_app_reads_the_store_itself_when_the_child_dies(tmp_path: Path,
                                                           app_run_records_first_screen: list[Any]) -> None:
    from vmss_tui.tui.app import run_app
    from vmss_tui.tui.first_read import ForkedRead

    store = tmp_path / "store"
    open_backend("emulator", db=store, speed="instant", seed=True).close()

    def dies() -> Any:
        os._exit(3)

    forked = ForkedRead.start(dies, "practice-rg", OPEN_ERRORS)
    assert run_app(backend_options={"db": store, "speed": "instant"}, resource_group="practice-rg",
                   first_read=forked) == 0
    [first] = app_run_records_first_screen
    assert first.error == "" and first.instances


def test_run_app_stops_with_the_childs_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  app_run_records_first_screen: list[Any]) -> None:
    from vmss_tui.tui.app import run_app
    from vmss_tui.tui.first_read import ForkedRead

    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    options = {"db": a_file, "speed": "instant"}
    forked = ForkedRead.start(lambda: open_backend("emulator", **options), None, OPEN_ERRORS)
    assert run_app(backend_options=options, first_read=forked) == 1
    assert app_run_records_first_screen == []  # the app never started
    assert capsys.readouterr().err.startswith("ERROR: (InvalidParameter) The emulator store")


def test_no_child_is_forked_while_another_thread_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock another thread holds at fork time stays locked in the child (it would hang until the
    15 s fallback): with a second thread alive the TUI reads the first screen in-process."""
    import threading
    from types import SimpleNamespace

    from vmss_tui import cli

    monkeypatch.setattr(cli.sys.stdout, "isatty", lambda: True)
    settings = SimpleNamespace(backend="emulator", backend_options={"db": str(tmp_path / "db")},
                               resource_group=None, config=None)
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        assert cli._fork_first_read(settings) is None
    finally:
        release.set()
        other.join()
    if threading.active_count() == 1:  # (earlier tests in this process may have left daemon threads)
        forked = cli._fork_first_read(settings)
        assert forked is not None and forked.answer() is not None
