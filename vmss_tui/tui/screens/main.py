"""The main screen: scale sets, instances, fault-domain map and activity, driven by one selection.

State lives here and changes only in message handlers on the event loop. Every backend
call runs in a thread worker that posts a message back; mutations go through the command
layer (`run_line`) so the TUI, the REPL and the CLI share one code path.
"""

from __future__ import annotations

import asyncio
import shlex
import threading
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ...domain.errors import ResourceNotFound, StoreDamaged
from ...domain.models import BackendInfo, OperationStatus, PowerAction, ScaleSet
from ..messages import (
    BackendFailed,
    BackendReady,
    CommandFinished,
    CommandStarted,
    CompletionsReady,
    ConfirmationNeeded,
    DetailLoaded,
    FirstLoaded,
    FirstScreen,
    InstancesLoaded,
    OperationProgress,
    ScaleSetGone,
    ScaleSetsLoaded,
    SetUnreadable,
)
from ..collection import HOLD_LIMIT, CollectionHold
from ..first_read import error_text, read_first
from ..keys import ACTION_KEYS, HELP_TEXTS, INSTANCE_ACTIONS, MUTATING_ACTIONS, SET_ACTIONS, screen_bindings
from ..presentation import FilterError, detail_fields, parse_filter, running_label
from ..widgets.header_bar import HeaderBar
from ..widgets.instance_table import InstanceTable
from ..widgets.scale_set_table import ScaleSetTable, set_row_key

if TYPE_CHECKING:
    from textual.widgets import Input

    from ...backends.protocol import Backend
    from ..widgets.activity import ActivityPane
    from ..widgets.command_bar import CommandBar
    from ..widgets.fd_map import FaultDomainMap
    from ..widgets.key_bar import KeyBar
    from ...commands import Outcome, Session
    from .dialogs import NewVm

RUNNING_COUNT_SET_LIMIT = 20
"""Up to this many sets, every refresh counts the running instances of each."""

NARROW_WIDTH = 100
"""Below this many columns the side panes move under the instance table."""

REST_MOUNT_DELAY = 0.5
"""Seconds after which the map, the log and the bars mount even if the first rows have not come."""

FIRST_SCREEN_WAIT = 0.3
"""Seconds the screen waits, before its first paint, for the first screen's data: a local store
answers well within it, so the first frame already shows rows (no empty frames, no second trip);
a slow backend paints the panes at once after it and fills them when the data comes."""
SETS_PANE_SHARE = 40
"""The sets pane grows with its sets up to this share (per cent) of the screen's height."""

MAP_LATE_LIMIT = 0.25
"""Seconds after a refresh by which the fault-domain map is redrawn even if the instance rows never painted."""

LOG_LINE_LIMIT = 160
"""Longer log lines (four lines of the 40-column pane) are cut, their full text kept as details (Enter)."""

TEXT_FIELD_IDS = frozenset({"filter", "command-input"})
"""The main screen's text fields: keys typed there are text, not commands."""

INSTANCE_COMMANDS = frozenset({"delete-instances", "start", "stop", "deallocate", "restart", "reimage", "upgrade",
                               "protect", "unprotect"})

class SetsAndInstancesLoaded(Message):
    """A refresh's two answers in one message, so they are handled in one turn of the event loop
    (two messages from a worker thread may have a frame drawn between them: two repaints)."""

    def __init__(self, sets: ScaleSetsLoaded, instances: InstancesLoaded) -> None:
        super().__init__()
        self.sets = sets
        self.instances = instances




def read_first_screen(backend: Backend, resource_group: str | None) -> FirstScreen:
    """The first screen in one trip (`first_read.read_first`, shared with the launcher's child process).

    Never raises: a failure comes back in the result, with what was being done.
    """
    return FirstScreen(**read_first(backend, resource_group))


def start_first_screen_read(backend: Backend, resource_group: str | None) -> Future[FirstScreen]:
    """Read the first screen in a thread of its own, from now on: the launcher starts it as soon as
    the backend is open, so the read overlaps Textual's start instead of following it."""
    future: Future[FirstScreen] = Future()

    def read() -> None:
        future.set_result(read_first_screen(backend, resource_group))

    threading.Thread(target=read, name="vmss-first-screen", daemon=True).start()
    return future


class MainScreen(Screen[None]):
    """Scale sets, instances, the fault-domain map and the activity log of one backend."""

    BINDINGS: ClassVar[list[BindingType]] = screen_bindings()

    def __init__(self, backend: Backend, *, read_only: bool, production_subscriptions: frozenset[str] = frozenset(),
                 resource_group: str | None = None, clock: Callable[[], datetime] = datetime.now,
                 refresh_interval: float = 2.0, idle_refresh_interval: float = 10.0,
                 first_screen: Future[FirstScreen] | None = None) -> None:
        """`first_screen` is the read `start_first_screen_read` began; without one the screen starts it."""
        super().__init__()
        self.backend = backend
        self._collection = CollectionHold()
        """The collector held from a refresh's read until its rows are painted (`collection`)."""
        self._first_screen = first_screen
        self.read_only = read_only
        self.production_subscriptions = production_subscriptions
        self.resource_group = resource_group
        self.clock = clock
        self.refresh_interval = refresh_interval
        self.idle_refresh_interval = idle_refresh_interval
        self.info: BackendInfo | None = None
        self.selected_key: tuple[str, str] | None = None
        """(resource group, name) of the set the instance pane shows."""
        self.selected_set: ScaleSet | None = None
        self.commands_in_flight = 0
        self.detached_operations: set[str] = set()
        """Operations started with --no-wait: the app polls them itself until they finish."""
        self._since_idle_refresh = 0.0
        self._loaded_once = False
        self._binding_state: tuple[bool, ...] = ()
        self._rest_mounting = False
        self._rest_mounted = asyncio.Event()
        self.rest_ready = False
        """True once the map, the log, the filter, the command bar and the key bar are mounted."""
        self._pending_log: list[tuple[datetime, str, str | None, str]] = []
        self._marks_lines: set[str] = set()
        self._after_rest: list[Callable[[], None]] = []
        self._unreadable: dict[tuple[str, str], str] = {}
        """Sets whose data cannot be read (damaged), with the reason, while they stay so."""
        self._unreadable_reported: set[tuple[str, str]] = set()
        """Handlers that need the side panes, held until they are mounted (in arrival order)."""
        """Command lines built from the marked rows: sending one clears the marks."""
        self._instances_pending: tuple[str, str] | None = None
        """The set whose instances are being read after it was chosen: its pane says loading, not (0)."""
        self._map_blank = False
        """True while the map is blank for a set being read (its keys are refreshed when it is drawn)."""

    @property
    def session(self) -> Session:
        """The app's command session (made on first use, see `VmssApp.session`)."""
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # Only what the first rows need: the rest mounts once they are on screen (`_mount_rest`).
        yield HeaderBar(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield ScaleSetTable(id="sets")
                yield InstanceTable(id="instances")
            yield Vertical(id="side")
        yield Vertical(id="bottom")

    async def _mount_rest(self) -> None:
        """Mount the map, the log, the filter, the command bar and the key bar (after the first rows).

        Safe to call any number of times; every call returns once they are mounted.
        """
        if self._rest_mounting:
            await self._rest_mounted.wait()
            return
        self._rest_mounting = True
        self.app.first_rows_shown()  # type: ignore[attr-defined]
        self.warm_up()
        # Imported here, not at start-up: none of them is in the first frame.
        from ..widgets.activity import ActivityPane
        from ..widgets.command_bar import CommandBar
        from ..widgets.fd_map import FaultDomainMap
        from ..widgets.key_bar import KeyBar
        from ..widgets.text_field import TextField

        map_pane = VerticalScroll(FaultDomainMap(id="fd-map"), id="map-pane")
        map_pane.border_title = "Fault domains"
        activity = ActivityPane(id="activity")
        activity.border_title = "Activity"
        # The key bar under it says Enter keeps and Esc clears; the hint fits in 80 columns.
        filter_input = TextField(id="filter",
                                 placeholder="filter: words or field:value, e.g. power:stopped zone:2 ip:10.0.0.4")
        filter_input.display = False
        command_bar = CommandBar(id="command-bar")
        command_bar.display = False
        key_bar = KeyBar(id="keys")
        # The app may be closing (q in the first moments): a detached container takes no children.
        side, bottom = self.query_one("#side"), self.query_one("#bottom")
        if not (side.is_attached and bottom.is_attached):
            return
        await side.mount(map_pane, activity)
        if not bottom.is_attached:
            return
        await bottom.mount(filter_input, command_bar, key_bar)
        if not all(pane.is_attached for pane in (map_pane, activity, filter_input, command_bar, key_bar)):
            return  # the app closed while they mounted (q in the first moments): nothing left to fill
        self.rest_ready = True
        self._rest_mounted.set()
        for moment, line, variable, details in self._pending_log:
            self.activity.write(moment, line, variable, self.app.theme_variables, details)
        self._pending_log.clear()
        held, self._after_rest = self._after_rest, []
        for handler in held:
            handler()
        self._redraw_map()
        self._binding_state = ()
        self._refresh_bindings_if_changed()

    @property
    def header(self) -> HeaderBar:
        return self.query_one(HeaderBar)

    @property
    def sets_table(self) -> ScaleSetTable:
        return self.query_one(ScaleSetTable)

    @property
    def instance_table(self) -> InstanceTable:
        return self.query_one(InstanceTable)

    @property
    def fd_map(self) -> FaultDomainMap:
        return self.query_one("#fd-map")  # type: ignore[return-value]

    @property
    def activity(self) -> ActivityPane:
        return self.query_one("#activity")  # type: ignore[return-value]

    @property
    def command_bar(self) -> CommandBar:
        return self.query_one("#command-bar")  # type: ignore[return-value]

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter")  # type: ignore[return-value]

    @property
    def key_bar(self) -> KeyBar:
        return self.query_one("#keys")  # type: ignore[return-value]

    async def on_mount(self) -> None:
        first_screen = self._first_screen or start_first_screen_read(self.backend, self.resource_group)
        self._first_screen = None
        self.sets_table.border_title = "Scale sets"
        self.instance_table.border_title = "Instances"
        self._show_header()
        self._size_panes(self.app.size.width, self.app.size.height)
        self.sets_table.focus()
        self._log("Welcome: Tab moves between panes", None)  # each fits the 40-column pane on one row
        self._log("? lists keys, : runs a command", None)
        self.set_timer(REST_MOUNT_DELAY, self._mount_rest)
        self.set_interval(self.refresh_interval, self._tick, name="live-refresh")
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        # The first paint waits (briefly) for the data, so it shows rows rather than empty panes.
        try:
            first = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(first_screen)), FIRST_SCREEN_WAIT)
        except asyncio.TimeoutError:
            self.wait_first_screen(first_screen)
        else:
            self._show_first(first)

    def on_resize(self, event: Resize) -> None:
        self._size_panes(event.size.width, event.size.height)

    def _size_panes(self, width: int, height: int) -> None:
        """Side panes under the instances when narrow; the sets pane as tall as its sets, up to a third."""
        self.set_class(width < NARROW_WIDTH, "-narrow")
        try:
            sets_table = self.sets_table
        except NoMatches:  # a resize before the first compose
            return
        wanted = sets_table.row_count + 2  # the border line and the header
        sets_table.styles.max_height = max(4, min(wanted, (height - 2) * SETS_PANE_SHARE // 100))

    def _theme_changed(self, _theme: Any) -> None:
        self.sets_table.rerender()
        self.instance_table.rerender()
        if self.rest_ready:
            self.fd_map.redraw()
            self.key_bar.refresh()

    # ------------------------------------------------------------------ workers (no widget access)

    def _failed(self, doing: str, error: BaseException) -> None:
        self.post_message(BackendFailed(doing, error_text(error)))

    @work(thread=True, group="warm-up", exit_on_error=False)
    def warm_up(self) -> None:
        """After the first rows, off the event loop: the command session (and the command layer's imports)."""
        self.session  # noqa: B018 (made on first use)

    @work(thread=True, exclusive=True, group="sets", exit_on_error=False)
    def wait_first_screen(self, first_screen: Future[FirstScreen]) -> None:
        """(When the first screen's read outlasted the wait before the first paint) post it when it comes."""
        self.post_message(FirstLoaded(first_screen.result()))

    @work(thread=True, exclusive=True, group="sets", exit_on_error=False)
    def load_sets(self, first: bool = False, with_instances_of: tuple[str, str] | None = None) -> None:
        """List every scale set (with running counts) and, the first time, describe the backend.

        `with_instances_of` (the selected set) also reads that set's instances in the same trip:
        a refresh is one worker, and the set itself comes from the list, not a second call.
        """
        backend = self.backend
        try:
            if first:
                self.post_message(BackendReady(backend.info()))
            summaries = backend.list_scale_set_summaries(self.resource_group)
            scale_sets = [summary.scale_set for summary in summaries]
            # The emulator's summaries carry the counts (no instance is read). Where they do not (Azure),
            # counting costs one list per set: only while there are few; otherwise the selected set's
            # count comes with its instances.
            running: dict[str, int] = {set_row_key(s.scale_set): s.running for s in summaries if s.running is not None}
            selected = self.selected_key  # its count comes with its own instance refresh
            if len(scale_sets) <= RUNNING_COUNT_SET_LIMIT:
                for scale_set in scale_sets:
                    if (scale_set.resource_group, scale_set.name) == selected or set_row_key(scale_set) in running:
                        continue
                    try:
                        instances = backend.list_instances(scale_set.resource_group, scale_set.name)
                    except (ResourceNotFound, StoreDamaged):
                        continue  # gone since listed, or damaged (listed as such): its count stays unknown
                    running[set_row_key(scale_set)] = running_label(instances)
        except Exception as error:  # every backend failure becomes a notification
            self._failed("listing scale sets", error)
            return
        listed = None if with_instances_of is None else next(
            (s for s in scale_sets if (s.resource_group, s.name) == with_instances_of), None)  # None: gone
        # The instances are read before anything is posted, so the sets and the instances arrive
        # together: one repaint, and no frame drawn on the event loop while this thread reads.
        instances_message = None if listed is None else self._instances_message(*with_instances_of, listed)
        sets_message = ScaleSetsLoaded(scale_sets, running)
        if isinstance(instances_message, InstancesLoaded):
            self.post_message(SetsAndInstancesLoaded(sets_message, instances_message))  # handled in one turn
            return
        self.post_message(sets_message)
        if instances_message is not None:
            self.post_message(instances_message)

    @work(thread=True, exclusive=True, group="instances", exit_on_error=False)
    def load_instances(self, resource_group: str, name: str) -> None:
        """Fetch one set and its instances."""
        self._read_instances(resource_group, name)

    def _read_instances(self, resource_group: str, name: str, scale_set: ScaleSet | None = None) -> None:
        """(In a worker) read a set (unless given) and its instances and post them."""
        self.post_message(self._instances_message(resource_group, name, scale_set))

    def _instances_message(self, resource_group: str, name: str, scale_set: ScaleSet | None = None) -> Message:
        """(In a worker) read a set (unless given) and its instances: what to post about them."""
        backend = self.backend
        try:
            if scale_set is None:
                scale_set = backend.get_scale_set(resource_group, name)
            instances = backend.list_instances(resource_group, name)
        except ResourceNotFound:
            # Deleted (here or elsewhere) since it was listed: the sets pane moves on, nothing to alarm anyone.
            return ScaleSetGone(resource_group, name)
        except StoreDamaged as error:
            return SetUnreadable(resource_group, name, str(error))
        except Exception as error:
            return BackendFailed(f"loading instances of {name}", error_text(error))
        return InstancesLoaded(scale_set, instances)

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_line(self, line: str) -> None:
        """Ask the command layer whether the line needs a yes first (scale-in plans its victims here)."""
        try:
            prompt = _confirmation_prompt(line, self.session)
        except Exception as error:
            self._failed(f"preparing '{line}'", error)
            return
        self.post_message(ConfirmationNeeded(line, prompt or ""))

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_instance_line(self, line: str, resource_group: str, name: str, instance_ids: list[str]) -> None:
        """Check that the instances still exist before asking anything about them."""
        try:
            existing = {i.instance_id for i in self.backend.list_instances(resource_group, name)}
            missing = [instance_id for instance_id in instance_ids if instance_id not in existing]
            if missing:
                self.post_message(BackendFailed(
                    line, f"ERROR: (ResourceNotFound) instance(s) {', '.join(missing)} of {name} not found: "
                          f"gone since the list was drawn; the list is refreshed. Nothing was changed."))
                self.post_message(ScaleSetGone(resource_group, name, instances_only=True))
                return
            prompt = _confirmation_prompt(line, self.session)
        except Exception as error:
            self._failed(f"preparing '{line}'", error)
            return
        self.post_message(ConfirmationNeeded(line, prompt or ""))

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_scale(self, line: str, resource_group: str, name: str, capacity: int) -> None:
        """Plan the capacity change first: a bad capacity fails before any question, a scale-out names
        what it creates, a scale-in what its policy removes."""
        try:
            plan = self.backend.plan_capacity(resource_group, name, capacity)
            prompt = _confirmation_prompt(line, self.session) or ""
        except Exception as error:
            self._failed(f"preparing '{line}'", error)
            return
        if plan.to_create:
            lines = [f"Scale '{name}' ({resource_group}) out from {plan.current_capacity} to "
                     f"{plan.target_capacity}? This creates {len(plan.to_create)} instance(s):"]
            lines += [f"  {p.instance_id or '(name chosen by Azure)'}  zone {p.zone or '-'}  FD {p.fault_domain}"
                      for p in plan.to_create]
            lines += list(plan.notes)
            prompt = "\n".join([*([prompt] if prompt else []), *lines])
        self.post_message(ConfirmationNeeded(line, prompt))

    @work(thread=True, group="commands", exit_on_error=False)
    def execute_line(self, line: str) -> None:
        """Run one line through the command layer; progress and the outcome come back as messages."""
        self.post_message(CommandStarted(line))
        from ...commands import run_line

        outcome = run_line(line, self.session)
        self.post_message(CommandFinished(line, outcome))

    @work(thread=True, exclusive=True, group="operations", exit_on_error=False)
    def poll_operations(self, operation_ids: list[str]) -> None:
        """Fresh snapshots of operations nobody is waiting on (started with --no-wait)."""
        backend = self.backend
        for operation_id in operation_ids:
            try:
                operation = backend.get_operation(operation_id)
            except Exception as error:
                self._failed("following an operation", error)
                continue
            self.post_message(OperationProgress(operation))

    @work(thread=True, exclusive=True, group="complete", exit_on_error=False)
    def compute_completions(self, text: str) -> None:
        """Completions for the command bar (may consult the backend for names)."""
        try:
            from ...commands import complete

            completions = complete(text, self.session)
        except Exception:
            completions = []
        self.post_message(CompletionsReady(text, completions))

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load_detail(self, resource_group: str, name: str, instance_id: str | None) -> None:
        """Fetch the freshest model of a set or instance for the detail view."""
        from ...commands.formatting import instance_json, scale_set_json

        backend = self.backend
        try:
            if instance_id is None:
                scale_set = backend.get_scale_set(resource_group, name)
                message = DetailLoaded(f"Scale set {name} ({resource_group})", detail_fields(scale_set),
                                       _json(scale_set_json(scale_set)))
            else:
                instance = backend.get_instance(resource_group, name, instance_id)
                owner = backend.get_scale_set(resource_group, name)  # az's shape differs by mode
                message = DetailLoaded(f"Instance {instance.name} of {name} ({resource_group})",
                                       detail_fields(instance), _json(instance_json(instance, owner)))
        except Exception as error:
            self._failed("loading details", error)
            return
        from ...backends.protocol import Network

        if isinstance(backend, Network):  # issue 14: the set's load balancer, or the instance's NIC, NAT and rules
            from ..network_detail import instance_network_sections, scale_set_network_sections

            message.sections = (scale_set_network_sections(backend, resource_group, name) if instance_id is None
                                else instance_network_sections(backend, resource_group, name, instance_id))
        self.post_message(message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died of an unexpected error is reported, never fatal."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.app.notify(f"{type(error).__name__}: {error}", title="Internal error", severity="error")

    def progress_from_worker(self, operation: Any) -> None:
        """The session's progress callback: runs in a worker thread, so it only posts."""
        self.post_message(OperationProgress(operation))

    # ------------------------------------------------------------------ message handlers (own the state)

    @on(BackendReady)
    def _backend_ready(self, message: BackendReady) -> None:
        self.info = message.info
        self._show_header()

    @on(FirstLoaded)
    def _first_loaded(self, message: FirstLoaded) -> None:
        self._show_first(message.first)

    def _show_first(self, first: FirstScreen) -> None:
        """Header, sets and the chosen set's rows in one go; counting the other sets comes after."""
        if first.info is not None:
            self.info = first.info
            self._show_header()
        if first.error:
            self._backend_failed(BackendFailed(first.failed_doing, first.error))
            return
        self.sets_table.show_sets(first.scale_sets, first.running)
        self._size_panes(self.app.size.width, self.app.size.height)
        chosen = first.chosen
        if chosen is not None:
            key = (chosen.resource_group, chosen.name)
            self.selected_key = key
            self.selected_set = chosen
            self.app.set_current_set(key)  # type: ignore[attr-defined]
            self.sets_table.move_to(set_row_key(chosen))
            self.sets_table.set_running(chosen, running_label(first.instances))
            self.instance_table.show_instances(key, first.instances)
            self._title_instances()
        self._show_header()
        self._loaded_once = True
        if not first.scale_sets and self.read_only:
            self._log("No scale sets here (and this session is read-only).", None)
        elif not first.scale_sets:
            self._log_how_to_start()
        self.call_after_refresh(self._mount_rest)
        if len(first.scale_sets) > 1 and first.running is None:
            self.load_sets()  # the other sets' running counts

    def on_unmount(self) -> None:
        self._collection.release()  # the app closes before a held refresh painted: never leave it off

    @on(ScaleSetGone)
    def _set_gone(self, message: ScaleSetGone) -> None:
        self._collection.release()  # no rows of this read to wait for
        if message.instances_only:
            self._refresh_selected()
        elif (message.resource_group, message.name) == self.selected_key:
            self.load_sets()

    @on(SetUnreadable)
    def _set_unreadable(self, message: SetUnreadable) -> None:
        """The chosen set cannot be read: an empty pane that says so, and the reason logged once."""
        self._collection.release()
        key = (message.resource_group, message.name)
        if key != self.selected_key:
            return
        self.instance_table.show_instances(key, [])
        self._instances_pending = None
        self._unreadable[key] = message.error
        self._title_instances()
        self._redraw_map()
        if key not in self._unreadable_reported:
            self._unreadable_reported.add(key)
            error = message.error if message.error.startswith("ERROR") else f"ERROR: {message.error}"
            self._log(error, "error", details=error)

    @on(ScaleSetsLoaded)
    def _sets_loaded(self, message: ScaleSetsLoaded) -> None:
        table = self.sets_table
        table.show_sets(message.scale_sets, message.running)
        self._size_panes(self.app.size.width, self.app.size.height)
        if not message.scale_sets:
            self._select(None)
        elif self.selected_key is None or not any(
                (s.resource_group, s.name) == self.selected_key for s in message.scale_sets):
            if not self._loaded_once:
                # Open on the first set that has instances: more to see than an empty set.
                populated = next((s for s in message.scale_sets if s.capacity > 0), None)
                if populated is not None:
                    table.move_to(set_row_key(populated))
            self._select_from_cursor()
        if not self._loaded_once:
            self._loaded_once = True
            if not message.scale_sets and self.read_only:
                self._log("No scale sets here (and this session is read-only).", None)
            elif not message.scale_sets:
                self._log_how_to_start()

    @on(SetsAndInstancesLoaded)
    def _sets_and_instances_loaded(self, message: SetsAndInstancesLoaded) -> None:
        self._sets_loaded(message.sets)
        self._instances_loaded(message.instances)

    @on(InstancesLoaded)
    def _instances_loaded(self, message: InstancesLoaded) -> None:
        if message.set_key != self.selected_key:
            return
        self._instances_pending = None
        self._unreadable.pop(message.set_key, None)
        self._unreadable_reported.discard(message.set_key)
        self.selected_set = message.scale_set
        self.sets_table.set_running(message.scale_set, running_label(message.instances))
        table = self.instance_table
        table.show_instances(message.set_key, message.instances)
        if self._collection.held and not table.call_after_paint(self._collection.release):
            self._collection.release()  # nothing to paint: collect again now (`collection`)
        self._title_instances()
        # The map is drawn in the frame after the rows (one frame drawing both also repaints every
        # pane between them); a timer catches a repaint that never comes (the table covered).
        if table.call_after_paint(self._redraw_map):
            self.set_timer(MAP_LATE_LIMIT, self._redraw_map)
        else:
            self._redraw_map()
        self._refresh_bindings_if_changed()

    @on(BackendFailed)
    def _backend_failed(self, message: BackendFailed) -> None:
        self._collection.release()
        error = message.error if message.error.startswith("ERROR") else f"ERROR: {message.error}"
        self.app.notify(error, title=f"Failed {message.doing}", severity="error", timeout=8)
        self._log(error, "error", details=f"{message.doing}\n{error}")
        if message.doing.startswith("loading instances") and self._instances_pending is not None:
            self._instances_pending = None  # not loading any more: the pane shows what it has
            self._title_instances()
            self._redraw_map()

    @on(ConfirmationNeeded)
    def _confirmation_needed(self, message: ConfirmationNeeded) -> None:
        if not message.prompt:
            self.execute_line(message.line)
            return
        from .dialogs import ConfirmDialog

        line = message.line

        def answered(agreed: bool | None) -> None:
            if agreed:
                self.execute_line(shlex.join([*shlex.split(line), "--yes"]))
            else:
                self._marks_lines.discard(line)
                self._log(f"cancelled: {line}", None)

        self.app.push_screen(ConfirmDialog(message.prompt, line=line), answered)

    @on(CommandStarted)
    def _command_started(self, message: CommandStarted) -> None:
        self.commands_in_flight += 1
        line = message.line.removesuffix(" --yes")
        if line in self._marks_lines:
            self._marks_lines.discard(line)
            self.instance_table.clear_marks()
            self._title_instances()
            self._refresh_bindings_if_changed()
        self._log(f"> {message.line}", "primary")

    def _hold_until_rest(self, handler: Callable[[], None]) -> bool:
        """Run `handler` once the side panes are mounted; True when it had to wait."""
        if self.rest_ready:
            return False
        self._after_rest.append(handler)
        return True

    @on(OperationProgress)
    def _operation_progress(self, message: OperationProgress) -> None:
        if self._hold_until_rest(lambda: self._operation_progress(message)):
            return
        operation = message.operation
        finished_now = self.activity.track(operation)
        if finished_now and operation.id in self.detached_operations:
            self.detached_operations.discard(operation.id)
            self._report_operation(operation.message or operation.kind, operation)
            self._refresh_all()
            return
        if (self.selected_key is not None and not message.operation.done
                and (message.operation.resource_group, message.operation.scale_set_name) == self.selected_key):
            self._refresh_selected()

    @on(CommandFinished)
    def _command_finished(self, message: CommandFinished) -> None:
        if self._hold_until_rest(lambda: self._command_finished(message)):
            return
        self.commands_in_flight = max(0, self.commands_in_flight - 1)
        outcome: Outcome = message.outcome
        operation = outcome.operation
        if operation is not None:
            self.activity.track(operation)
        for warning in outcome.warnings:
            self._log(warning, "warning")
        if outcome.error:
            self._log(outcome.error, "error")
            self.app.notify(outcome.error, title=message.line, severity="error", timeout=8)
        elif operation is not None:
            if not operation.done:
                self.detached_operations.add(operation.id)
                self._log(f"{_activity().operation_label(operation)}: started, following it here", "warning")
            else:
                self._report_operation(message.line, operation)
        elif outcome.rendered:
            output = outcome.rendered.rstrip("\n")
            output_lines = output.splitlines()
            if len(output_lines) == 1 and len(output) <= LOG_LINE_LIMIT:
                self._log(output, None)
            else:
                self._log(f"{message.line}: {len(output_lines)} lines of output", None, details=output)  # ` …`: Enter
        elif outcome.changed:
            self._log(f"done: {message.line}", "success")
        if outcome.exit_requested:
            self.app.exit(0)
            return
        current = self.session.current_set
        if current is not None and current != self.selected_key:
            self.sets_table.move_to(f"{current[0]}/{current[1]}")
        if outcome.changed or operation is not None:
            self._refresh_all()

    def _report_operation(self, title: str, operation: Any) -> None:
        failed = operation.status is OperationStatus.FAILED
        activity = _activity()
        label, result = activity.operation_label(operation), activity.operation_result(operation)
        self._log(f"{label}: {activity.operation_summary(operation)}", "error" if failed else "success",
                  details=f"{label}\n{result}")
        if failed:
            self.app.notify(result, title=title, severity="error", timeout=8)

    @on(CompletionsReady)
    def _completions_ready(self, message: CompletionsReady) -> None:
        if not self.rest_ready:
            return  # the bar that asked is not there (cannot happen: it mounts before it opens)
        self.command_bar.show_completions(message.text, message.completions)

    @on(DetailLoaded)
    def _detail_loaded(self, message: DetailLoaded) -> None:
        from .detail import DetailScreen

        DetailScreen.show(self.app, message.title, message.fields, message.json_text, message.sections)

    def on_activity_pane_details_wanted(self, message: ActivityPane.DetailsWanted) -> None:
        from .log_detail import LogDetailScreen

        entry = message.entry
        self.app.push_screen(LogDetailScreen(f"{entry.moment:%H:%M:%S} {entry.line}", entry.details))

    # ------------------------------------------------------------------ selection

    @on(ScaleSetTable.RowHighlighted, "#sets")
    def _set_highlighted(self, event: ScaleSetTable.RowHighlighted) -> None:
        self._select_from_cursor()

    @on(InstanceTable.RowHighlighted, "#instances")
    def _instance_highlighted(self, event: InstanceTable.RowHighlighted) -> None:
        self._redraw_map()
        self._refresh_bindings_if_changed()

    @on(InstanceTable.RowSelected, "#instances")
    def _instance_chosen(self, event: InstanceTable.RowSelected) -> None:
        self.action_detail()

    @on(ScaleSetTable.RowSelected, "#sets")
    def _set_chosen(self, event: ScaleSetTable.RowSelected) -> None:
        (self._autoscale_pane() if self.autoscale_shown else
         self._reservation_pane() if self.reservations_shown else self.instance_table).focus()

    @on(InstanceTable.HeaderSelected, "#instances")
    def _header_clicked(self, event: InstanceTable.HeaderSelected) -> None:
        if event.column_key != "mark":
            self.instance_table.cycle_sort(event.column_key)
            self._title_instances()

    def _select_from_cursor(self) -> None:
        self._select(self.sets_table.cursor_set)

    def _select(self, scale_set: ScaleSet | None) -> None:
        key = None if scale_set is None else (scale_set.resource_group, scale_set.name)
        if key == self.selected_key:
            return
        self.selected_key = key
        self.selected_set = scale_set
        self.app.set_current_set(key)  # type: ignore[attr-defined]
        if key is None:
            self.instance_table.show_instances(None, [])
        else:
            self.instance_table.show_instances(key, [])
            self._instances_pending = key
            self.load_instances(*key)
        self._title_instances()
        self._redraw_map()
        self._show_header()
        self._refresh_bindings_if_changed()
        if self.autoscale_shown:
            self._autoscale_pane().show_set(key)
        if self.reservations_shown:
            self._reservation_pane().show_set(key)

    def _refresh_all(self) -> None:
        """Every set and the selected set's instances, in one worker trip."""
        if self.selected_key is not None and self._collection.hold():
            self.set_timer(HOLD_LIMIT, self._collection.release)  # whatever becomes of the read
        self.load_sets(with_instances_of=self.selected_key)
        if self.autoscale_shown:
            self._autoscale_pane().reload()
        if self.reservations_shown:
            self._reservation_pane().reload()

    # ------------------------------------------------------------------ panes in place of the instances (`A`, `R`)

    _stand_in: str | None = None
    """The id of the pane shown in place of the instances (`autoscale-pane`, `reservation-pane`), or None."""

    @property
    def autoscale_shown(self) -> bool:
        """True while the autoscale pane stands in for the instances."""
        return self._stand_in == "autoscale-pane"

    @property
    def reservations_shown(self) -> bool:
        """True while the reservation pane stands in for the instances."""
        return self._stand_in == "reservation-pane"

    def _autoscale_pane(self) -> Any:
        return self.query_one("#autoscale-pane")

    def _reservation_pane(self) -> Any:
        return self.query_one("#reservation-pane")

    async def action_autoscale(self) -> None:
        """The autoscale pane in place of the instances, or back; the activity log takes the map's room."""
        from ..widgets.autoscale_pane import AutoscalePane

        await self._toggle_stand_in("autoscale-pane", lambda: AutoscalePane(
            self.backend, read_only=self.read_only, refresh_interval=self.refresh_interval, id="autoscale-pane"),
            hide_map=True)

    async def action_reservations(self) -> None:
        """The reservation pane in place of the instances, or back."""
        from ..widgets.reservation_pane import ReservationPane

        await self._toggle_stand_in("reservation-pane", lambda: ReservationPane(
            self.backend, read_only=self.read_only, id="reservation-pane"), hide_map=False)

    async def _toggle_stand_in(self, pane_id: str, make: Callable[[], Any], *, hide_map: bool) -> None:
        """Show the pane in place of the instances (it reads its data only while shown), or go back.

        One pane stands in at a time: showing one puts the other away first."""
        if self._stand_in not in (None, pane_id):
            self._put_away_stand_in()
        found = self.query(f"#{pane_id}")
        if found:
            pane = found.first()
        else:
            pane = make()
            pane.display = False
            await self.query_one("#left").mount(pane)
        showing = not pane.display
        pane.display = showing
        self._stand_in = pane_id if showing else None
        self.instance_table.display = not showing
        await self._mount_rest()
        self.query_one("#map-pane").display = not (showing and hide_map)
        if showing:
            pane.show_set(self.selected_key)
            pane.focus()
        else:
            self.instance_table.focus()
        self._refresh_bindings_if_changed()
        self._show_keys()

    def _put_away_stand_in(self) -> None:
        if self._stand_in is not None:
            self.query_one(f"#{self._stand_in}").display = False
        self._stand_in = None
        self.instance_table.display = True
        if self.rest_ready:
            self.query_one("#map-pane").display = True

    def on_autoscale_pane_acted(self, message: Any) -> None:
        """What autoscale did since the pane last read: one activity line each, and fresh rows."""
        for line, variable in message.lines:
            self._log(line, variable)
        self._refresh_all()

    def on_autoscale_pane_loaded(self, _message: Any) -> None:
        self._show_keys()  # the pane's keys follow what it read (a set without a setting, read-only)

    def on_reservation_pane_keys_changed(self, _message: Any) -> None:
        self._show_keys()

    def _refresh_selected(self) -> None:
        if self.selected_key is not None:
            self.load_instances(*self.selected_key)

    def _tick(self) -> None:
        """Live refresh: every tick while operations run, every idle interval otherwise."""
        busy = (self.rest_ready and bool(self.activity.running)) or self.commands_in_flight > 0
        self._since_idle_refresh += self.refresh_interval
        if self.detached_operations:
            self.poll_operations(sorted(self.detached_operations))
        if busy or self._since_idle_refresh >= self.idle_refresh_interval:
            self._since_idle_refresh = 0.0
            self._refresh_all()

    # ------------------------------------------------------------------ drawing helpers

    def _show_header(self) -> None:
        info = self.info
        production = bool(info and (info.production or info.subscription_id.lower() in self.production_subscriptions))
        group = self.resource_group or (self.selected_key[0] if self.selected_key else None)
        self.header.show(info, group, self.read_only, production,
                         self.selected_key[1] if self.selected_key else None)

    def _title_instances(self) -> None:
        table = self.instance_table
        if self.selected_key is None:
            table.border_title = "Instances"
            return
        title = f"Instances of {self.selected_key[1]}"
        if self.selected_key in self._unreadable:
            table.border_title = f"{title}: damaged, cannot be read (the log says why)"
            return
        if self._instances_pending == self.selected_key:
            table.border_title = f"{title} (loading…)"
            return
        shown, total = table.row_count, len(table.instances)
        title += f" ({shown} of {total})" if shown != total else f" ({total})"
        if table.filter_words and self.rest_ready:
            title += f" filter: {self.filter_input.value.strip()}"
        if table.marked:
            title += f" {len(table.marked)} marked"
        if table.sort_column:
            title += f" sort: {table.sort_column}{' desc' if table.sort_reverse else ''}"
        table.border_title = title

    def _redraw_map(self) -> None:
        if not self.rest_ready:
            return
        table = self.instance_table
        if self._instances_pending is not None and self._instances_pending == self.selected_key:
            self.fd_map.show(None, [], None)  # blank, not "No instances.", until they are read
            self._map_blank = True
            return
        self.fd_map.show(self.selected_set, list(table.instances.values()), table.cursor_instance_id)
        if self._map_blank:  # `w` is offered once the map has loss scenarios again
            self._map_blank = False
            self._refresh_bindings_if_changed()

    def _log_how_to_start(self) -> None:
        """An empty subscription: the two commands that make a first set, each whole on its row at 80
        columns (a set needs a group that exists, as on Azure: `ResourceGroupNotFound` otherwise)."""
        for line in ("No scale sets yet. To make one:", ":group create rg -l eastus", ":create web --mode uniform -g rg"):
            self._log(line, None)

    def _log(self, line: str, variable: str | None, details: str = "") -> None:
        """One line in the Activity log; a long one is cut, its whole text kept as details (Enter)."""
        if len(line) > LOG_LINE_LIMIT and not details:
            line, details = line[:LOG_LINE_LIMIT - 1] + "…", line
        if not self.rest_ready:
            self._pending_log.append((self.clock(), line, variable, details))
            return
        self.activity.write(self.clock(), line, variable, self.app.theme_variables, details)

    # ------------------------------------------------------------------ actions

    def unavailable_reason(self, action: str) -> str | None:
        """Why an action cannot run right now, or None when it can (read-only hides instead)."""
        if action in SET_ACTIONS and self.selected_key is None:
            return "select a scale set first"
        scale_set = self.selected_set
        if action == "add_vm" and scale_set is not None and not scale_set.is_flexible:
            return "Uniform sets create their own instances; only Flexible sets take hand-added VMs"
        if action == "scale" and scale_set is not None and scale_set.is_flexible and not scale_set.has_vm_profile:
            return "this Flexible set has no VM profile, so it cannot scale; add VMs by hand (a)"
        if action in INSTANCE_ACTIONS and not self.instance_table.target_ids():
            return "no instance under the cursor or marked"
        if (action in INSTANCE_ACTIONS or action in ("sort", "filter", "what_if")) and self.autoscale_shown:
            return "the autoscale pane is open (A: instances)"
        if (action in INSTANCE_ACTIONS or action in ("sort", "filter")) and self.reservations_shown:
            return "the reservation pane is open (R: instances)"
        if action == "what_if" and not self.rest_ready:
            return "the fault-domain map is still loading"
        if action == "what_if" and not self.fd_map.scenarios:
            return "no zone or fault domain to lose for this set"
        if action == "ssh":
            from ...domain.reach import ssh_unavailable_reason

            instance = self.instance_table.instances.get(self.instance_table.cursor_instance_id or "")
            return ssh_unavailable_reason(instance, scale_set, read_only=self.read_only,
                                          emulated=self.info is not None and self.info.kind == "emulator")
        return None

    def _refresh_bindings_if_changed(self) -> None:
        """Redraw the key bar only when some action's availability changed."""
        state = tuple(self.unavailable_reason(action) is None for _, action, _, _ in ACTION_KEYS)
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()
            self._show_keys()

    def on_descendant_focus(self, _event: Any) -> None:
        self._show_keys()

    def _show_keys(self) -> None:
        """The key bar for the focused pane: its most useful keys first (`?` lists the rest)."""
        if not self.rest_ready:
            return
        focused = self.focused
        if focused is self.filter_input:
            self.key_bar.show_keys([("enter", "Keep filter"), ("esc", "Clear")], tail=False)
            return
        if focused is not None and focused.id == "command-input":
            self.key_bar.show_keys([("tab", "Complete"), ("up/down", "Pick"), ("enter", "Run"), ("esc", "Close")],
                                   tail=False)
            return
        if focused is not None and focused.id in ("autoscale-pane", "reservation-pane"):
            self.key_bar.show_keys(focused.key_bar_keys())  # type: ignore[attr-defined]
            return
        if focused is self.instance_table:
            order = INSTANCE_PANE_KEYS
        elif focused is not None and focused.id == "log":
            order = LOG_PANE_KEYS
        elif focused is not None and focused.id == "map-pane":
            order = MAP_PANE_KEYS
        else:
            order = SETS_PANE_KEYS
        self.key_bar.show_keys([(key, label) for key, action, label in order
                                if action is None or self.check_action(action, ()) is True])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("command_bar", "filter") and self.focused is not None and self.focused.id in TEXT_FIELD_IDS:
            return False  # typed into a field (`zone:2`), not an opener
        if action == "explain":
            target = str(parameters[0]) if parameters else ""
            if self.read_only and target in MUTATING_ACTIONS:
                return True
            return True if self.unavailable_reason(target) else False
        if action in MUTATING_ACTIONS and self.read_only:
            return False
        if self.unavailable_reason(action):
            return None
        return True

    def action_explain(self, action: str) -> None:
        """Say why a disabled action did nothing."""
        if self.read_only and action in MUTATING_ACTIONS:
            reason = "this session is read-only (--read-only)"
        else:
            reason = self.unavailable_reason(action) or "not available"
        description = next((d for _, a, d, _ in ACTION_KEYS if a == action), action)
        self.app.notify(reason, title=f"{description} unavailable", severity="warning")

    def _set_words(self) -> list[str]:
        assert self.selected_key is not None
        return [self.selected_key[1], "-g", self.selected_key[0]]

    def submit(self, words: list[str]) -> None:
        """Send a command line built from words (quoted with shlex) through the command layer."""
        self.prepare_line(shlex.join(words))

    def action_scale(self) -> None:
        from .dialogs import CapacityDialog

        scale_set = self.selected_set
        if scale_set is None:
            return
        hint = "Both ways, you see which instances come or go before anything happens."

        def chosen(capacity: int | None) -> None:
            if capacity is None or self.selected_key is None:
                return
            name, _, group = self._set_words()
            self.prepare_scale(shlex.join(["scale", name, str(capacity), "-g", group]), group, name, capacity)

        self.app.push_screen(CapacityDialog(scale_set.name, scale_set.capacity, hint), chosen)

    def action_add_vm(self) -> None:
        from .dialogs import AddVmDialog

        scale_set = self.selected_set
        if scale_set is None:
            return

        def chosen(new_vm: NewVm | None) -> None:
            if new_vm is None or self.selected_key is None:
                return
            words = ["add-vm", *self._set_words()]
            if new_vm.name:
                words += ["--name", new_vm.name]
            if new_vm.zone:
                words += ["--zone", new_vm.zone]
            if new_vm.fault_domain:
                words += ["--fault-domain", new_vm.fault_domain]
            if new_vm.vm_size:
                words += ["--vm-size", new_vm.vm_size]
            self.submit(words)

        self.app.push_screen(AddVmDialog(scale_set.name, scale_set.zones, scale_set.platform_fault_domain_count),
                             chosen)

    def _instance_command(self, verb: str) -> None:
        targets = self.instance_table.target_ids()
        if not targets or self.selected_key is None:
            return
        name, _, group = self._set_words()
        line = shlex.join([verb, name, *targets, "-g", group])
        if self.instance_table.marked:
            # The marks are spent once this line is sent (not if it is cancelled at the prompt).
            self._marks_lines.add(line)
        self.prepare_instance_line(line, group, name, list(targets))

    def action_delete(self) -> None:
        self._instance_command("delete-instances")

    def action_start(self) -> None:
        self._instance_command(str(PowerAction.START))

    def action_stop(self) -> None:
        self._instance_command(str(PowerAction.POWER_OFF))

    def action_deallocate(self) -> None:
        self._instance_command(str(PowerAction.DEALLOCATE))

    def action_restart(self) -> None:
        self._instance_command(str(PowerAction.RESTART))

    def action_reimage(self) -> None:
        self._instance_command(str(PowerAction.REIMAGE))

    def action_upgrade(self) -> None:
        self._instance_command("upgrade")

    ssh_runner: Callable[[Session, str, str, str], str] | None = None
    """Runs `ssh` in the real terminal while the app is suspended; returns the activity line (tests inject one)."""

    def action_ssh(self) -> None:
        """S: suspend the app, ssh to the cursor row (the emulator: its console), and come back as it was."""
        from textual.app import SuspendNotSupported

        instance_id = self.instance_table.cursor_instance_id
        if self.selected_key is None or instance_id is None:
            return
        group, name = self.selected_key
        runner = self.ssh_runner
        if runner is None:
            from ...commands.ssh import run_in_terminal as runner
        try:
            with self.app.suspend():
                line = runner(self.session, group, name, instance_id)
        except SuspendNotSupported:
            self.app.notify(f"This terminal cannot hand itself over; run: vmss-tui ssh {name} {instance_id} -g {group}",
                            title="SSH unavailable", severity="warning")
            return
        self._log(line, None)
        self.load_instances(group, name)

    def action_protect(self) -> None:
        """Protect the targets from scale-in, or lift protection when all of them have it."""
        table = self.instance_table
        targets = table.target_ids()
        if not targets:
            return
        all_protected = all(table.instances[iid].protect_from_scale_in for iid in targets if iid in table.instances)
        self._instance_command("unprotect" if all_protected else "protect")

    def action_refresh(self) -> None:
        if self.detached_operations:
            self.poll_operations(sorted(self.detached_operations))
        self._refresh_all()

    def action_mark(self) -> None:
        table = self.instance_table
        cursor = table.cursor_instance_id
        if cursor is None:
            return
        table.toggle_mark(cursor)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1, animate=False)
        self._title_instances()
        self._refresh_bindings_if_changed()

    def action_clear(self) -> None:
        table = self.instance_table
        if table.marked:
            table.clear_marks()
        elif table.filter_words and self.rest_ready:
            self.filter_input.value = ""
            table.set_filter([])
        self._title_instances()
        self._refresh_bindings_if_changed()

    def action_what_if(self) -> None:
        if not self.rest_ready:
            return  # the map is not there yet (the binding is disabled until it is)
        scenario = self.fd_map.next_scenario()
        if scenario is not None:
            self.query_one("#map-pane").border_title = f"Fault domains: without {scenario.label}"
        else:
            self.query_one("#map-pane").border_title = "Fault domains"

    def action_detail(self) -> None:
        if self.selected_key is None:
            return
        instance_id = None if self.focused is self.sets_table else self.instance_table.cursor_instance_id
        self.load_detail(self.selected_key[0], self.selected_key[1], instance_id)

    def action_sort(self) -> None:
        self.instance_table.cycle_sort()
        self._title_instances()

    async def action_filter(self) -> None:
        await self._mount_rest()  # a `/` in the first half second still opens the filter
        field = self.filter_input
        field.display = True
        # Focus now, not after the queued keys: the rest of a burst (`/zone:2`) belongs to the field.
        self.set_focus(field)

    async def action_command_bar(self, text: str = "") -> None:
        await self._mount_rest()
        self.command_bar.open(text)

    def action_help(self) -> None:
        from .help import HelpRow, HelpScreen

        rows: list[HelpRow] = []
        for key, action, _description, _show in ACTION_KEYS:
            reason = ""
            if self.read_only and action in MUTATING_ACTIONS:
                reason = "read-only session"
            else:
                reason = self.unavailable_reason(action) or ""
            rows.append(HelpRow(_key_label(key), HELP_TEXTS.get(action, action), reason))
        rows += [HelpRow("enter", "Detail of the cursor row (sets: go to its instances)"),
                 HelpRow("escape", "Clear marks, then the filter"),
                 HelpRow("tab", "Next pane"),
                 HelpRow("ctrl+p", "Command palette: commands that fit the selection"),
                 HelpRow("q", "Quit")]
        from ..widgets.autoscale_pane import PANE_HELP

        rows += [HelpRow(key, text) for key, text in PANE_HELP]
        from ..widgets import reservation_pane

        rows += [HelpRow(key, text) for key, text in reservation_pane.PANE_HELP]
        from ...commands import COMMANDS

        commands = [(spec.usage(), spec.summary) for spec in COMMANDS if not spec.repl_only]
        self.app.push_screen(HelpScreen(rows, commands))

    # ------------------------------------------------------------------ filter and command bar events

    # Handlers by name (`on_input_changed`), not `@on(Input.Changed, ...)`: the classes are imported
    # after the first rows. The command bar's own input posts the same messages: only #filter's count.

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self._filter_changed(event)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self._filter_done(event)

    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            words = parse_filter(event.value)
        except FilterError as error:
            # Show every row while the filter cannot be read, and say why in a tooltip and the log.
            self.filter_input.tooltip = str(error)
            self.filter_input.add_class("-invalid")
            self.instance_table.set_filter([])
            self._title_instances()
            return
        self.filter_input.remove_class("-invalid")
        self.instance_table.set_filter(words)
        self._title_instances()
        self._redraw_map()
        self._refresh_bindings_if_changed()

    def _filter_done(self, event: Input.Submitted) -> None:
        self.filter_input.display = False
        self.set_focus(self.instance_table)

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.rest_ready and self.focused is self.filter_input:
            event.stop()
            self.filter_input.value = ""
            self.instance_table.set_filter([])
            self.filter_input.display = False
            self._title_instances()
            self.instance_table.focus()

    def on_command_bar_completion_wanted(self, event: CommandBar.CompletionWanted) -> None:
        self.compute_completions(event.text)

    def on_command_bar_submitted(self, event: CommandBar.Submitted) -> None:
        self.command_bar.close()
        self.set_focus(self.instance_table)
        if event.line and event.line.split(maxsplit=1)[0].lower() == "deploy":
            from .deploy import DeployScreen, opens_screen  # on first use

            if opens_screen(event.line):
                self.app.push_screen(DeployScreen(event.line, report=self.post_message))
                return
        if event.line:
            self.prepare_line(event.line)

    def on_deploy_report(self, message: Any) -> None:
        """A line from the deploy screen (`:deploy`) for the log; once a deployment ends, fresh panes."""
        self._log(message.line, message.variable, details=message.details)
        if message.refresh:
            self._refresh_all()

    def on_command_bar_closed(self, event: CommandBar.Closed) -> None:
        self.command_bar.close()
        self.set_focus(self.instance_table)


SETS_PANE_KEYS: tuple[tuple[str, str | None, str], ...] = (
    ("s", "scale", "Scale"), ("a", "add_vm", "Add VM"), ("enter", None, "Instances"), ("/", "filter", "Filter"),
    (":", "command_bar", "Cmd"), ("v", "detail", "Detail"), ("w", "what_if", "What if"),
    ("A", "autoscale", "Autoscale"), ("R", "reservations", "Reservations"), ("^r", "refresh", "Refresh"),
    ("tab", None, "Next pane"),
)
"""(key label, action or None when always available, label), most useful first: the key bar keeps what fits."""
INSTANCE_PANE_KEYS: tuple[tuple[str, str | None, str], ...] = (
    ("x", "delete", "Del"), ("p", "stop", "Stop"), ("t", "start", "Start"), ("s", "scale", "Scale"),
    ("/", "filter", "Filter"), (":", "command_bar", "Cmd"), ("r", "restart", "Restart"), ("v", "detail", "Detail"),
    ("d", "deallocate", "Dealloc"), ("space", "mark", "Mark"), ("w", "what_if", "What if"), ("o", "sort", "Sort"),
    ("i", "reimage", "Reimage"), ("P", "protect", "Protect"), ("u", "upgrade", "Upgrade"),
    ("A", "autoscale", "Autoscale"), ("R", "reservations", "Reservations"), ("S", "ssh", "SSH"),
)
MAP_PANE_KEYS: tuple[tuple[str, str | None, str], ...] = (
    ("w", "what_if", "What if"), ("up/down", None, "Scroll"), ("s", "scale", "Scale"), ("v", "detail", "Detail"),
    ("/", "filter", "Filter"), (":", "command_bar", "Cmd"), ("^r", "refresh", "Refresh"), ("tab", None, "Next pane"),
)
LOG_PANE_KEYS: tuple[tuple[str, str | None, str], ...] = (
    ("enter", None, "Details"), (":", "command_bar", "Cmd"), ("tab", None, "Next pane"),
)


def _key_label(key: str) -> str:
    names = {"slash": "/", "colon": ":", "question_mark": "?", "space": "space", "delete": "del"}
    return " / ".join(names.get(part, part) for part in key.split(","))


def _activity() -> Any:
    """The activity pane's module (its wording of operations), imported after the first rows."""
    from ..widgets import activity

    return activity


def _confirmation_prompt(line: str, session: Session) -> str | None:
    """The command layer's question before a change (imported on first use, not at start-up)."""
    from ...commands import confirmation_prompt

    return confirmation_prompt(line, session)


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2)
