"""The Textual app: `VmssApp(backend, ...)` for tests, `run_app(...)` for the `vmss-tui` command."""

from __future__ import annotations

import gc
import sys
import threading
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType

from .css_cache import ParsedStylesheets
from .first_read import ForkedRead, OpenedLater
from .messages import FirstScreen
from .screens.main import MainScreen, start_first_screen_read
from .theming import DEFAULT_THEME, ThemeError, load_themes

if TYPE_CHECKING:
    from ..backends.protocol import Backend
    from ..commands import Session

THEME_PREFIX = "vmss-"

START_CACHES_SAVE_DELAY = 2.0
"""Seconds after the first rows by which the stylesheets parsed and the functions compiled so far
are kept for the next start (the side panes and bars have mounted by then)."""


def _selection_commands() -> Any:
    """The palette's provider, imported when the palette first opens (not at start-up)."""
    from .palette import SelectionCommands

    return SelectionCommands


def resolve_theme_name(requested: str | None, available: set[str]) -> str | None:
    """Find a theme by its name or its short name (`dark` for `vmss-dark`); None if unknown."""
    if not requested:
        return None
    for candidate in (requested, THEME_PREFIX + requested):
        if candidate in available:
            return candidate
    return None


def _config_value(config: Any, key: str, default: Any = None) -> Any:
    """Read a setting from a `vmss_tui.config.Config` or a plain dict."""
    if config is None:
        return default
    if isinstance(config, dict):
        return config.get(key, default)
    return getattr(config, key, default)


def production_subscriptions(config: Any) -> frozenset[str]:
    """Lower-case ids of the subscriptions the config marks `production = true`."""
    subscriptions = _config_value(config, "subscriptions", {}) or {}
    marked: set[str] = set()
    for subscription_id, entry in subscriptions.items():
        flag = entry.get("production") if isinstance(entry, dict) else getattr(entry, "production", False)
        if flag:
            marked.add(str(subscription_id).lower())
    return frozenset(marked)


class VmssApp(App[int]):
    """Scale sets, instances, fault domains and activity of one backend, keyboard first."""

    CSS_PATH = "app.tcss"
    TITLE = "vmss-tui"
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {_selection_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", show=True),
    ]

    def __init__(self, backend: Backend, *, theme: str | None = None, read_only: bool = False,
                 config: Any = None, resource_group: str | None = None,
                 clock: Callable[[], datetime] | None = None, refresh_interval: float = 2.0,
                 idle_refresh_interval: float = 10.0, owns_backend: bool = False,
                 session_setup: Callable[[Session], None] | None = None,
                 first_screen: Future[FirstScreen] | None = None,
                 keep_start_caches: Callable[[], Any] | None = None) -> None:
        """`session_setup` lets the launcher configure the command session as it does the REPL's
        (audit trail, why it is read-only), so every front end records and refuses alike.
        `first_screen` is the first screen's read, already under way (`start_first_screen_read`).
        `keep_start_caches` writes the launcher's start-up caches (`compile_cache.save`), off the
        event loop, once the first rows are painted: a start that is killed later keeps them too."""
        # Textual's __init__ derives the CSS variables of its default theme, only for
        # `_register_themes` to derive them again for ours: skip the first (a tenth of the App's set-up).
        self._css_variables_deferred = True
        super().__init__()
        self._css_variables_deferred = False
        self.first_screen = first_screen
        self.backend = backend
        self.read_only = read_only
        self.config = config
        self.resource_group = resource_group or _config_value(config, "resource_group")
        self.clock = clock or datetime.now
        self.refresh_interval = refresh_interval
        self.idle_refresh_interval = idle_refresh_interval
        self.owns_backend = owns_backend
        self.requested_theme = theme or _config_value(config, "theme")
        self._session: Session | None = None
        self._session_setup = session_setup
        self._session_lock = threading.Lock()
        self._session_progress: Callable[[Any], None] | None = None
        self._current_set: tuple[str, str] | None = None
        self.collection_paused = False
        """True while `run_app` keeps the garbage collector off, until the first rows are painted."""
        self.theme_warning: str | None = None
        self._keep_start_caches = keep_start_caches
        self.parsed_css = ParsedStylesheets()
        """Stylesheets parsed by earlier starts (`css_cache`), in the stylesheet before its first parse."""
        self._register_themes()
        self.parsed_css.fill(self.stylesheet)

    @property
    def session(self) -> Session:
        """The command session (every command of the TUI runs through it), made on first use.

        The command layer is not needed for the first rows: importing it (parser, registry,
        formatting) and the launcher's setup (audit trail) come after them. Safe from any thread.
        """
        with self._session_lock:
            if self._session is None:
                from ..commands import Session

                session = Session(self.backend, resource_group=self.resource_group, read_only=self.read_only)
                if self._session_setup is not None:
                    self._session_setup(session)
                if session.production_check is None:
                    session.production_check = self._production_name
                session.progress = self._session_progress
                session.current_set = self._current_set
                self._session = session
            return self._session

    def set_current_set(self, key: tuple[str, str] | None) -> None:
        """The set commands act on when they name none (the selection); kept until the session exists."""
        with self._session_lock:
            self._current_set = key
            if self._session is not None:
                self._session.current_set = key

    def first_rows_shown(self) -> None:
        """The main screen's first rows are painted: open the backend if only the launcher's child
        has so far (see `first_read`), and collect garbage again (see `run_app`)."""
        if isinstance(self.backend, OpenedLater):
            self.backend.open_in_background()
        if self.collection_paused:
            self.collection_paused = False
            gc.freeze()
            gc.enable()
        self.set_timer(START_CACHES_SAVE_DELAY, self._keep_start_caches_now)

    def _keep_start_caches_now(self) -> None:
        """Write what this start parsed (`css_cache`) and compiled (the launcher's) for the next one,
        off the event loop."""
        rules = self.parsed_css.new_rules(self.stylesheet)
        launcher_caches = self._keep_start_caches

        def keep() -> None:
            if rules is not None:
                self.parsed_css.write(rules)
            if launcher_caches is not None:
                launcher_caches()

        threading.Thread(target=keep, name="vmss-keep-start-caches", daemon=True).start()

    def _production_name(self) -> str | None:
        """The subscription's name when it is production (the header's rule): every change then confirms."""
        info = self.backend.info()
        if not (info.production or info.subscription_id.lower() in production_subscriptions(self.config)):
            return None
        return info.subscription_name or info.subscription_id

    def get_css_variables(self) -> dict[str, str]:
        if self._css_variables_deferred:
            return {}  # `_register_themes` sets them, before anything is parsed
        return super().get_css_variables()

    def _register_themes(self) -> None:
        try:
            themes = load_themes()
        except ThemeError as error:
            self.theme_warning = str(error)
            self.stylesheet.set_variables(self.get_css_variables())  # Textual's default theme, as without ours
            return
        for theme in themes.values():
            self.register_theme(theme)
        available = set(self.available_themes)
        chosen = resolve_theme_name(self.requested_theme, available)
        if self.requested_theme and chosen is None:
            names = ", ".join(sorted(name.removeprefix(THEME_PREFIX) for name in themes))
            self.theme_warning = f"unknown theme '{self.requested_theme}' (themes: {names}); using {DEFAULT_THEME}"
        self._start_with_theme(chosen or resolve_theme_name(DEFAULT_THEME, available) or self.theme)

    def _start_with_theme(self, name: str) -> None:
        """Put the theme in place before the app runs, as Textual's theme watcher would, minus its
        queued `refresh_css`: that re-parses every stylesheet from scratch (and empties the parse
        cache, so the next widget class parses everything a third time). Here the stylesheet gets
        this theme's variables before its one and only first parse."""
        self.set_reactive(App.theme, name)
        theme = self.current_theme
        classes = {name: False for name in self.classes if name.startswith("-theme-")}
        classes.update({f"-theme-{theme.name}": True, "-dark-mode": theme.dark, "-light-mode": not theme.dark})
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    @property
    def main_screen(self) -> MainScreen:
        """The main screen (the bottom of the screen stack)."""
        screen = self.screen_stack[0] if self.screen_stack else None
        assert isinstance(screen, MainScreen)
        return screen

    def get_default_screen(self) -> MainScreen:
        screen = MainScreen(self.backend, read_only=self.read_only,
                            production_subscriptions=production_subscriptions(self.config),
                            resource_group=self.resource_group, clock=self.clock,
                            refresh_interval=self.refresh_interval,
                            idle_refresh_interval=self.idle_refresh_interval,
                            first_screen=self.first_screen)
        self.first_screen = None
        self._session_progress = screen.progress_from_worker
        return screen

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts carry names and Azure messages: literal text (no markup), control characters escaped.

        The same toast again (a key pressed five times) replaces the one still showing, with a fresh
        timeout, instead of piling five copies over the screen.
        """
        from ..domain.text import escape_control

        message, title = escape_control(message), escape_control(title)
        for shown in list(self._notifications):
            if (shown.message, shown.title, shown.severity) == (message, title, severity):
                self._unnotify(shown, refresh=False)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    async def on_event(self, event: Any) -> None:
        """Keys that arrive after `q` (one read from the terminal: `qs`) do nothing: they would open
        dialogs on a closing app."""
        if isinstance(event, events.Key) and self.return_code is not None:
            return
        await super().on_event(event)

    def on_mount(self) -> None:
        if self.theme_warning:
            self.notify(self.theme_warning, severity="warning")

    def on_unmount(self) -> None:
        self.parsed_css.save(self.stylesheet)  # what a dialog or pane opened later parsed too
        if self.owns_backend:
            self.backend.close()


def run_app(*, backend_kind: str = "emulator", backend_options: dict[str, Any] | None = None,
            theme: str | None = None, read_only: bool = False, mouse: bool = True, config: Any = None,
            resource_group: str | None = None,
            session_setup: Callable[[Session, Backend], None] | None = None,
            first_read: ForkedRead | None = None, keep_start_caches: Callable[[], Any] | None = None) -> int:
    """Open the backend and run the app until the user quits; returns the exit code.

    A backend that cannot be opened is one `ERROR:` line on stderr and exit code 1.
    `resource_group` (the CLI's `-g`) limits the app to one group; the config's default applies otherwise.
    `first_read` is the launcher's child process, started before Textual was imported, that opened
    the same backend and read the first screen (`first_read.ForkedRead`): with its answer this
    process opens its own backend only after the first rows are painted.
    """
    from ..domain.errors import AzureError

    def open_it() -> Backend:
        from ..backends import open_backend  # with the child's answer, only after the first rows

        return open_backend(backend_kind, **(backend_options or {}))

    # Everything imported so far lives as long as the process: keep it out of every garbage
    # collection from here on, and collect nothing until the first rows are painted (the backend,
    # the app, its widgets and those rows live on too; they are frozen then). Without this, the
    # allocations of the start set off a full collection that walks every object of Textual, Rich
    # and the app: a tenth of the start-up, more on a loaded 2-core machine.
    gc.freeze()
    gc.disable()
    group = resource_group or _config_value(config, "resource_group")
    backend: Backend
    first_screen: Future[FirstScreen]
    if first_read is not None:
        # Opened here only after the first rows; the child's answer fills `first_screen`, below.
        backend = OpenedLater(open_it)  # type: ignore[assignment]
        first_screen = Future()
    else:
        try:
            backend = open_it()
        except (AzureError, ValueError, OSError) as error:
            gc.enable()
            print(f"ERROR: {error}", file=sys.stderr)
            return 1
    if not sys.stdout.isatty():
        gc.enable()
        backend.close()
        print("ERROR: the TUI needs a terminal; use 'vmss-tui shell' or a one-shot command instead.",
              file=sys.stderr)
        return 2
    if first_read is None:
        # The first screen's data is read from now on, while the app and Textual start.
        first_screen = start_first_screen_read(backend, group)
    setup = (lambda session: session_setup(session, backend)) if session_setup is not None else None
    app = VmssApp(backend, theme=theme, read_only=read_only, config=config, resource_group=resource_group,
                  owns_backend=True, session_setup=setup, first_screen=first_screen,
                  keep_start_caches=keep_start_caches)
    if first_read is not None:  # the app is built; the child has usually answered meanwhile
        answer = first_read.answer()
        if answer is not None and answer[0] == "failed":
            gc.enable()
            print(f"ERROR: {answer[1]}", file=sys.stderr)
            return 1
        if answer is not None and answer[0] == "read":
            first_screen.set_result(FirstScreen(**answer[1]))
        else:  # no answer (the child died or hung): open and read here, as without the child
            try:
                opened = backend.opened()  # type: ignore[attr-defined]
            except (AzureError, ValueError, OSError) as error:
                gc.enable()
                print(f"ERROR: {error}", file=sys.stderr)
                return 1
            start_first_screen_read(opened, group).add_done_callback(
                lambda done: first_screen.set_result(done.result()))
    app.collection_paused = True
    try:
        app.run(mouse=mouse)
    finally:
        gc.enable()
    return app.return_code or 0
