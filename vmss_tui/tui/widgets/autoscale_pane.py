"""The autoscale pane: what autoscale will do for the selected set, and why, with a chart of what it did.

It shows the rules in words (as `autoscale show` prints them), each rule's metric now against its
threshold, the profile in force, the next evaluation, the cooldown left, the simulated load, and a
chart of the metric with the capacity steps over the last window. Its data is read in a thread
worker, only while the pane is shown; what autoscale did since the last read goes to the activity
log (one line per run, with its reason).
"""

from __future__ import annotations

import math
import shlex
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from ..messages import ConfirmationNeeded
from .stand_in import StandInPane, TextBody

if TYPE_CHECKING:
    from ...backends.protocol import Backend
    from ...domain.autoscale.engine import Evaluation
    from ...domain.autoscale.status import AutoscaleStatus

LOAD_STEP = 10.0
"""Percent the `+` and `-` keys move the simulated load."""
LOAD_SEND_DELAY = 0.4
"""Seconds after the last `+`/`-` before the new level is sent: a burst of presses is one `load` command."""
WINDOW_MINUTES_MIN = 10
WINDOW_MINUTES_MAX = 120
"""The chart shows one column per minute: as many minutes as fit, within these bounds."""
CHART_MARGIN = 5
"""Columns left of the chart for its axis labels (`100┤`)."""
CHART_ROWS_NARROW = 3
CHART_ROWS_MAX = 10
LOGGED_RUNS_LIMIT = 8
"""At most this many runs are logged from one refresh (a clock moved by a day): the rest are counted."""
BARS = " ▁▂▃▄▅▆▇█"
PANE_HELP: tuple[tuple[str, str], ...] = (
    ("+ / -", "Autoscale pane: move the simulated load 10 % up or down (emulator)"),
    ("l", "Autoscale pane: the command bar with `load <set> ` (a level, --pattern, --spike)"),
    ("e", "Autoscale pane: enable or disable autoscale (asks first)"),
    ("c", "Autoscale pane: the command bar with `autoscale create` for a set without a setting"),
)
"""The pane's own keys, as the `?` help lists them."""


@dataclass(frozen=True)
class AutoscaleReading:
    """One read of everything the pane shows for one set (made in a worker)."""

    key: tuple[str, str]
    note: str = ""
    """When there is nothing else to show: no capability, no setting, or the read failed."""
    no_setting: bool = False
    status: AutoscaleStatus | None = None
    rule_lines: tuple[tuple[str, int, str], ...] = ()
    """(profile, index, the rule in words), every profile's rules."""
    metric: str = ""
    series: tuple[tuple[datetime, float | None], ...] = ()
    history: tuple[Evaluation, ...] = ()
    load_level: float | None = None
    """The set-wide simulated level now (emulator), which `+` and `-` move from."""
    window_start: datetime | None = None
    window_end: datetime | None = None


def read_autoscale(backend: Backend, resource_group: str, name: str, window_minutes: int) -> AutoscaleReading:
    """(In a worker) everything the pane shows for one set; failures come back as a note, never raised."""
    from ...backends.protocol import Autoscale, LoadSimulation
    from ...commands.autoscale import setting_rule_words
    from ...domain.errors import AzureError

    key = (resource_group, name)
    if not isinstance(backend, Autoscale):
        return AutoscaleReading(key, note=f"Autoscale is not available on the {type(backend).__name__} backend "
                                          "(no Azure Monitor access): manage it in the portal or with az monitor.")
    try:
        setting = backend.autoscale_setting_for(resource_group, name)
        if setting is None:
            return AutoscaleReading(key, no_setting=True, note=f"{name} has no autoscale setting.")
        status = backend.autoscale_status(setting.resource_group, setting.name)
        rule_lines = tuple(setting_rule_words(setting))
        end = status.now.at
        start = end - timedelta(minutes=window_minutes)
        metric = next((r.metric_name for r in status.now.readings), "")
        if not metric:
            metric = next((rule.metric_trigger.metric_name for profile in setting.profiles
                           for rule in profile.rules), "Percentage CPU")
        series = backend.metric_series(resource_group, name, metric, start=start, end=end, interval=60.0)
        history = backend.autoscale_history(setting.resource_group, setting.name, since=start)
        level = None
        if isinstance(backend, LoadSimulation):
            pattern = backend.get_load(resource_group, name).pattern_at(end.timestamp())
            level = pattern.level(end.timestamp()) if pattern is not None else 0.0
    except AzureError as error:
        return AutoscaleReading(key, note=str(error))
    except Exception as error:  # a backend failure is a note in the pane, never a crash
        return AutoscaleReading(key, note=f"ERROR: reading autoscale of {name}: {type(error).__name__}: {error}")
    return AutoscaleReading(key, status=status, rule_lines=rule_lines, metric=metric, series=tuple(series),
                            history=tuple(history), load_level=level, window_start=start, window_end=end)


# --- drawing (pure: text in, text out) ----------------------------------------------------------

def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _short(seconds: float) -> str:
    from ...domain.autoscale.durations import short_duration

    return short_duration(max(0.0, seconds))


def capacity_at(history: tuple[Evaluation, ...], at: datetime, now_capacity: int) -> int:
    """The count at `at` from the runs that scaled: the last target before it, else the first run's start."""
    acted = [run for run in history if run.target != run.current]
    before = [run for run in acted if run.at <= at]
    if before:
        return before[-1].target
    return acted[0].current if acted else now_capacity


def chart_lines(reading: AutoscaleReading, width: int, rows: int, styles: dict[str, str]) -> list[Text]:
    """The metric as bars (one column per minute), each threshold as a dotted row, then the capacity steps."""
    status = reading.status
    assert status is not None
    points = list(reading.series)[-max(1, width - CHART_MARGIN):]
    values = [value for _, value in points]
    known = [v for v in values if v is not None]
    lines: list[Text] = []
    percent = reading.metric == "Percentage CPU"
    top = 100.0 if percent else max(known + [r.threshold for r in status.now.readings] + [1.0])
    title = Text(f"{reading.metric}, per minute", style="bold")
    if known:
        title.append(f"  now {_number(round(known[-1], 1))}  max {_number(round(max(known), 1))}")
    else:
        title.append("  no data: no instance ran in this window")
    lines.append(title)
    thresholds = {}
    for reading_ in status.now.readings:
        if reading_.metric_name == reading.metric:
            row = min(rows - 1, max(0, math.ceil(reading_.threshold / top * rows) - 1))
            thresholds.setdefault(row, (reading_.threshold, reading_.direction.value))
    eighths = [None if v is None else round(max(0.0, min(v, top)) / top * rows * 8) for v in values]
    for row in range(rows - 1, -1, -1):
        label = _number(top) if row == rows - 1 else ("0" if row == 0 else "")
        marked = thresholds.get(row)
        if marked is not None:
            label = _number(marked[0])
        line = Text(f"{label[-(CHART_MARGIN - 1):]:>{CHART_MARGIN - 1}}┤", style=styles.get("muted", ""))
        for level in eighths:
            filled = -1 if level is None else level - row * 8
            if level is None and marked is None:
                line.append("·" if row == 0 else " ", style=styles.get("muted", ""))  # no instance ran
                continue
            if filled >= 8:
                line.append("█", style=styles.get("bar", ""))
            elif filled > 0:
                line.append(BARS[filled], style=styles.get("bar", ""))
            elif marked is not None:
                line.append("┄", style=styles.get("out" if marked[1] == "Increase" else "in", ""))
            else:
                line.append(" ")
        lines.append(line)
    # capacity steps: the count where it changes, a line while it holds
    steps = Text(f"{'cap':>{CHART_MARGIN - 1}} ", style=styles.get("muted", ""))
    previous: int | None = None
    pending = ""
    for at, _ in points:
        count = capacity_at(reading.history, at + timedelta(seconds=59), status.capacity)
        if count != previous:
            pending = str(count)
            previous = count
        if pending:
            steps.append(pending[0], style=styles.get("capacity", "bold"))
            pending = pending[1:]
        else:
            steps.append("─", style=styles.get("capacity", ""))
    lines.append(steps)
    if points:
        first, last = f"{points[0][0]:%H:%M}", f"{points[-1][0]:%H:%M}"
        gap = max(1, len(points) - len(first) - len(last))
        lines.append(Text(" " * CHART_MARGIN + first + " " * gap + last, style=styles.get("muted", "")))
    return lines


def pane_lines(reading: AutoscaleReading | None, width: int, *, read_only: bool, loading_name: str,
               styles: dict[str, str], chart_rows: int) -> list[Text]:
    """Everything the pane shows, as lines no wider than `width` (long lines wrap, indented)."""
    width = max(20, width)
    lines: list[Text] = []

    def add(text: str, style: str = "", indent: int = 0) -> None:
        for piece in textwrap.wrap(text, width, subsequent_indent=" " * indent, break_on_hyphens=False) or [""]:
            lines.append(Text(piece, style=style))

    if reading is None:
        add(f"Reading autoscale of {loading_name}…", styles.get("muted", ""))
        return lines
    name = reading.key[1]
    if reading.status is None:
        add(reading.note, styles.get("error", "") if reading.note.startswith("ERROR") else "")
        if reading.no_setting:
            add(f"Create one (c opens it in the command bar): autoscale create {name} --min-count 1 "
                f"--max-count 5 --count 2, then: autoscale rule create {name} --condition "
                f"\"Percentage CPU > 50 avg 5m\" --scale out 1", indent=2)
        return lines
    status = reading.status
    setting = status.setting
    now = status.now
    profile = next((p for p in setting.profiles if p.name == now.profile), None)
    head = Text(f"{name}: ", style="bold")
    head.append("enabled" if setting.enabled else "disabled",
                style=styles.get("success" if setting.enabled else "warning", ""))
    head.append(f" · {status.capacity} instance(s)")
    if profile is not None:
        capacity = profile.capacity
        kind = "" if profile.kind == "default" else f" ({profile.kind})"
        head.append(f" · profile {_display_profile(profile.name)}{kind}: min {capacity.minimum}, "
                    f"max {capacity.maximum}, default {capacity.default}")
    for piece in head.wrap(_console(), width):
        lines.append(piece)
    outcome_style = {"ScaleOut": "success", "ScaleIn": "success", "ScaleFailed": "error",
                     "Disabled": "warning"}.get(now.outcome.value, "")
    add(f"Now: {now.outcome.value}: {now.reason}", styles.get(outcome_style, ""), indent=5)
    timing = f"Next evaluation in {_short((status.next_evaluation_at - now.at).total_seconds())}"
    timing += f" · cooldown {_short(status.cooldown_left)} left" if status.cooldown_left > 0 else " · no cooldown"
    if status.load:
        timing += f" · load: {status.load}"
    add(timing, indent=2)
    readings = {(r.profile, r.index): r for r in now.readings}
    if not reading.rule_lines:
        add(f"No rules: add one with autoscale rule create {name} --condition \"Percentage CPU > 50 avg 5m\" "
            "--scale out 1", styles.get("warning", ""), indent=2)
    for profile_name, index, words in reading.rule_lines:
        in_force = profile_name == now.profile
        prefix = f"[{index}] " if len(setting.profiles) == 1 else f"{_display_profile(profile_name)} [{index}] "
        style = "" if in_force else styles.get("muted", "")
        add(prefix + words, style, indent=6)
        rule_reading = readings.get((profile_name, index))
        if rule_reading is None:
            if not in_force:
                add("    (profile not in force now)", styles.get("muted", ""))
            continue
        if rule_reading.value is None:
            verdict = Text("    now: no data (no instance ran in the window)", style=styles.get("muted", ""))
        else:
            verdict = Text(f"    now {_number(round(rule_reading.value, 1))} {rule_reading.operator.symbol} "
                           f"{_number(rule_reading.threshold)}: ")
            verdict.append("fired" if rule_reading.fired else "not fired",
                           style=styles.get("warning" if rule_reading.fired else "muted", "") + " bold")
            if rule_reading.fired and rule_reading.cooldown_left > 0:
                verdict.append(f" (cooldown {_short(rule_reading.cooldown_left)} left)")
        for piece in verdict.wrap(_console(), width):
            lines.append(piece)
    if status.last is not None and status.last.target != status.last.current:
        add(f"Last action {status.last.at:%H:%M}: {status.last.outcome.value} {status.last.current} -> "
            f"{status.last.target}: {status.last.reason}", styles.get("muted", ""), indent=2)
    lines.append(Text(""))
    lines += chart_lines(reading, width, chart_rows, styles)
    if read_only:
        add("Read-only session: the load and autoscale cannot be changed from here.", styles.get("muted", ""))
    return [line[:width] if line.cell_len > width else line for line in lines]


def _display_profile(name: str) -> str:
    """A paired default profile's JSON name (`{"name": "default", "for": "weekend"}`) as words."""
    if name.startswith("{"):
        import json

        try:
            parsed = json.loads(name)
            return f"{parsed['name']} (after {parsed['for']})"
        except (ValueError, KeyError, TypeError):
            return name
    return name


_CONSOLE: Any = None


def _console() -> Any:
    global _CONSOLE
    if _CONSOLE is None:
        from rich.console import Console

        _CONSOLE = Console(width=200, color_system=None)
    return _CONSOLE


def acted_lines(name: str, runs: list[Evaluation]) -> list[tuple[str, str | None]]:
    """What autoscale did, one activity line per run: scaled, flapped, or failed to scale."""
    from ...domain.autoscale.engine import ACTING, Outcome

    told = [run for run in runs if run.outcome in ACTING or run.outcome in (Outcome.FLAPPING, Outcome.SCALE_FAILED)]
    lines: list[tuple[str, str | None]] = []
    if len(told) > LOGGED_RUNS_LIMIT:
        lines.append((f"autoscale {name}: {len(told) - LOGGED_RUNS_LIMIT} earlier run(s) acted "
                      f"(autoscale history {name} lists them)", None))
        told = told[-LOGGED_RUNS_LIMIT:]
    for run in told:
        change = f"{run.current} -> {run.target}"
        said = f"{change}: " if run.target != run.current and change not in run.reason else ""
        variable = "error" if run.outcome is Outcome.SCALE_FAILED else (
            "warning" if run.outcome is Outcome.FLAPPING else "success")
        lines.append((f"autoscale {name} at {run.at:%H:%M}: {run.outcome.value}: {said}{run.reason}", variable))
    return lines


# --- widgets ----------------------------------------------------------------------------------------

class AutoscaleView(TextBody):
    """The pane's text, drawn for the width it has (the chart takes one column per minute)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reading: AutoscaleReading | None = None
        self.loading_name = ""
        self.read_only = False

    def _styles(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {"muted": "dim", "bar": variables.get("primary", ""),
                "out": variables.get("warning", ""), "in": variables.get("accent", ""),
                "capacity": f"bold {variables.get('secondary', '')}".strip(),
                "success": variables.get("success", ""), "warning": variables.get("warning", ""),
                "error": variables.get("error", "")}

    def _chart_rows(self, width: int, styles: dict[str, str]) -> int:
        """As many rows as the pane has left under the text (3 to 10): a tall pane shows a finer chart."""
        viewport = self.parent.size.height if isinstance(self.parent, Widget) else 0
        if self.reading is None or self.reading.status is None or viewport <= 0:
            return CHART_ROWS_NARROW
        text = pane_lines(self.reading, width, read_only=self.read_only, loading_name=self.loading_name,
                          styles=styles, chart_rows=0)
        return max(CHART_ROWS_NARROW, min(CHART_ROWS_MAX, viewport - len(text)))

    def _lines(self, width: int) -> list[Text]:
        styles = self._styles()
        return pane_lines(self.reading, width, read_only=self.read_only, loading_name=self.loading_name,
                          styles=styles, chart_rows=self._chart_rows(width, styles))


class AutoscalePane(StandInPane):
    """The autoscale pane of the main screen (`A`): shown in place of the instances."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "load(1)", "Load +10 %", show=False),
        Binding("minus", "load(-1)", "Load -10 %", show=False),
        Binding("l", "load_bar", "Set load", show=False),
        Binding("e", "enable", "Enable/disable", show=False),
        Binding("c", "create", "Create setting", show=False),
    ]

    @dataclass
    class Acted(Message):
        """Autoscale ran and did something since the last read: lines for the activity log."""

        lines: list[tuple[str, str | None]] = field(default_factory=list)

    def __init__(self, backend: Backend, *, read_only: bool, refresh_interval: float, id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend = backend
        self.read_only = read_only
        self.refresh_interval = refresh_interval
        self.key: tuple[str, str] | None = None
        self._last_seen: dict[tuple[str, str], datetime | None] = {}
        """Per set, the time of the newest history run already told in the log (None: no run yet)."""
        self.border_title = "Autoscale"
        self._window = 0
        self.pending_level: float | None = None
        """The level `+`/`-` asked for and not yet sent (a burst of presses is sent once)."""
        self._send_timer: Any = None

    def compose(self) -> Any:
        yield AutoscaleView(id="autoscale-view")

    @property
    def view(self) -> AutoscaleView:
        return self.query_one(AutoscaleView)

    @property
    def reading(self) -> AutoscaleReading | None:
        return self.view.reading

    def on_mount(self) -> None:
        self.view.read_only = self.read_only
        self.set_interval(self.refresh_interval, self._tick, name="autoscale-refresh")

    def _tick(self) -> None:
        if self.display and self.key is not None:
            self.reload()

    def show_set(self, key: tuple[str, str] | None) -> None:
        """Show this set (None: nothing selected) and read it now."""
        if key != self.key:
            self.key = key
            view = self.view
            view.reading = None
            view.loading_name = key[1] if key else ""
            self.border_title = f"Autoscale of {key[1]}" if key else "Autoscale"
            view.refresh(layout=True)
        self.reload()

    def reload(self) -> None:
        """Read the shown set again (only while the pane is displayed)."""
        if self.key is None or not self.display:
            return
        self._window = self._window_minutes()
        self.read(self.key, self._window)

    def _window_minutes(self) -> int:
        """One chart column per minute: as many as the pane's width holds (its padding and scrollbar aside)."""
        width = self.size.width or (self.parent.size.width if isinstance(self.parent, Widget) else 0) or 60
        return max(WINDOW_MINUTES_MIN, min(WINDOW_MINUTES_MAX, width - 3 - CHART_MARGIN))

    def on_resize(self) -> None:
        if self.display and self.key is not None and self._window_minutes() != self._window:
            self.reload()

    @work(thread=True, exclusive=True, group="autoscale", exit_on_error=False)
    def read(self, key: tuple[str, str], minutes: int) -> None:
        self.post_message(self.Loaded(read_autoscale(self.backend, key[0], key[1], minutes)))

    @dataclass
    class Loaded(Message):
        reading: AutoscaleReading

    def on_autoscale_pane_loaded(self, message: AutoscalePane.Loaded) -> None:
        # (not stopped: the screen hears it too, to redraw the key bar for what was read)
        reading = message.reading
        if reading.key != self.key:
            return
        self._tell_new_runs(reading)
        view = self.view
        view.reading = reading
        view.refresh(layout=True)
        self.refresh_bindings()

    def _tell_new_runs(self, reading: AutoscaleReading) -> None:
        """Runs newer than the last read go to the activity log; the first read only sets the mark."""
        if reading.status is None:
            return
        latest = reading.history[-1].at if reading.history else None
        if reading.status.last is not None and (latest is None or reading.status.last.at > latest):
            latest = reading.status.last.at
        if reading.key not in self._last_seen:
            self._last_seen[reading.key] = latest
            return
        seen = self._last_seen[reading.key]
        new = [run for run in reading.history if seen is None or run.at > seen]
        self._last_seen[reading.key] = latest if latest is not None else seen
        lines = acted_lines(reading.key[1], new)
        if lines:
            self.post_message(self.Acted(lines))

    # --- keys ---------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in ("load", "load_bar", "enable", "create"):
            return True
        if self.read_only:
            return False
        reading = self.reading
        if reading is None:
            return False
        if action == "create":
            return reading.no_setting
        if action == "enable":
            return reading.status is not None
        return reading.load_level is not None or (reading.no_setting and action == "load_bar")

    def key_bar_keys(self) -> list[tuple[str, str]]:
        """The key bar while the pane has focus: what works on what it shows, most useful first."""
        keys: list[tuple[str, str]] = []
        reading = self.reading
        enabled = reading is not None and reading.status is not None and reading.status.setting.enabled
        for key, action, label in (("+/-", "load", "Load ±10%"), ("e", "enable", "Disable" if enabled else "Enable"),
                                   ("l", "load_bar", "Set load"), ("c", "create", "Create")):
            if self.check_action(action, ()) is True:
                keys.append((key, label))
        return keys + [("A", "Instances"), (":", "Cmd"), ("s", "Scale"), ("up/down", "Scroll"), ("tab", "Next pane")]

    def _set_words(self) -> list[str]:
        assert self.key is not None
        return [self.key[1], "-g", self.key[0]]

    def action_load(self, direction: int) -> None:
        reading = self.reading
        if reading is None or reading.load_level is None or self.key is None:
            return
        level = self.pending_level if self.pending_level is not None else reading.load_level
        stepped = (math.floor(level / LOAD_STEP) + 1) * LOAD_STEP if direction > 0 else \
            (math.ceil(level / LOAD_STEP) - 1) * LOAD_STEP
        stepped = max(0.0, min(100.0, stepped))
        if stepped == level:
            self.app.notify(f"The load is already {_number(level)} %.", severity="warning")
            return
        self.pending_level = stepped
        self.border_title = f"Autoscale of {self.key[1]}: load → {_number(stepped)} %"
        if self._send_timer is not None:
            self._send_timer.stop()
        self._send_timer = self.set_timer(LOAD_SEND_DELAY, self._send_load)

    def _send_load(self) -> None:
        """Send the level the presses came to, as one `load` line."""
        self._send_timer = None
        level, self.pending_level = self.pending_level, None
        if level is None or self.key is None:
            return
        self.border_title = f"Autoscale of {self.key[1]}"
        # Simulated load only (emulator), undone by the other key: sent without a question.
        self.post_message(ConfirmationNeeded(shlex.join(["load", *self._set_words(), _number(level)]), ""))

    async def action_load_bar(self) -> None:
        if self.key is None:
            return
        await self.screen.run_action(f"command_bar({shlex.join(['load', *self._set_words()]) + ' '!r})")

    async def action_create(self) -> None:
        if self.key is None:
            return
        line = shlex.join(["autoscale", "create", *self._set_words(), "--min-count", "1", "--max-count", "5",
                           "--count", "2"])
        await self.screen.run_action(f"command_bar({line!r})")

    def action_enable(self) -> None:
        reading = self.reading
        if reading is None or reading.status is None or self.key is None:
            return
        setting = reading.status.setting
        name = self.key[1]
        if setting.enabled:
            verb = "disable"
            prompt = (f"Disable autoscale of '{name}'? Nothing scales it until you enable it again; it keeps its "
                      f"{reading.status.capacity} instance(s).")
        else:
            verb = "enable"
            profile = next((p for p in setting.profiles if p.name == reading.status.now.profile), None)
            limits = (f" A count outside min {profile.capacity.minimum} and max {profile.capacity.maximum} is "
                      "brought back at the next evaluation.") if profile is not None else ""
            prompt = (f"Enable autoscale of '{name}'? Its rules act from the next evaluation (within a minute)."
                      + limits)
        self.post_message(ConfirmationNeeded(shlex.join(["autoscale", verb, *self._set_words()]), prompt))
