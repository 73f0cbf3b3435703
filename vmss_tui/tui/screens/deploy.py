"""`:deploy` in the TUI: what the template would change, read before agreeing, then the deployment live.

The `:` bar hands a `deploy <template.json> ...` line here. The line is read by the command layer
(`read_deploy_line`: the same parsing, read-only refusal, parameter files and checks as `run_line`),
what-if runs in a thread worker, and the diff is drawn as az draws it (`az deployment group what-if`:
symbols, colours by change type, property-by-property changes, the "Resource changes:" line), in the
theme's colours. Enter or `y` deploys through the command layer (`deploy ... --yes --no-wait`, so the
audit trail has it), then a tree of the deployment's operations is refreshed from
`list_deployment_operations` until the deployment ends; `c` cancels it, Esc leaves it running.
Every line for the activity log and the "refresh the panes" signal go to the main screen as a
`DeployReport` message. Secure parameter values are never drawn: the line is shown with them as ***,
and any value equal to one is masked wherever the diff would show it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Label, Static, Tree

from ...commands.what_if_format import change_counts_line, format_what_if, split_resource_id
from ...domain.text import escape_control
from ..widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from textual.widgets.tree import TreeNode

    from ...commands.deployments import DeployRequest
    from ...commands.session import Session

POLL_INTERVAL = 1.0
"""Seconds between two reads of a running deployment and its operations."""
TERMINAL_STATES = ("Succeeded", "Failed", "Canceled")
LOG_LINE_LIMIT = 160
"""Activity lines longer than this are cut, their whole text kept as details (the main screen's own rule)."""

# --- what-if, drawn as az draws it (arm/what_if_format.py, a port of azure-cli's resource/_formatters.py) --------

SPAN_STYLES = {"green": "success", "orange": "error", "red": "error", "purple": "warning", "dark_yellow": "warning",
               "blue": "primary", "cyan": "primary", "gray": "muted"}
"""az's colours as theme variables: green create, a red delete, a warm modify, blue deploy, grey ignore."""
NOTICE = "Note: The result may contain false positive predictions (noise)."
"""The first line of az's notice; the rest (an issue link, an advert for deployment stacks) is not for a screen."""


def theme_styles(variables: dict[str, str]) -> dict[str, str]:
    """The styles the diff and the tree use, from the app's theme variables (no colour written here)."""
    return {"success": variables.get("success", ""), "error": variables.get("error", ""),
            "warning": variables.get("warning", ""), "primary": variables.get("primary", ""),
            "muted": "dim", "bold": "bold", "": ""}


def what_if_text(result: dict[str, Any], styles: dict[str, str], secrets: tuple[str, ...] = (),
                 align_limit: int = 10_000) -> Text:
    """A `WhatIfOperationResult` as `az deployment group what-if` prints it, in the theme's colours.

    `secrets` (secure parameter values) are masked wherever they would appear; values line up in a column as
    az lines them up, unless that column would be further right than `align_limit`."""
    formatted = format_what_if(result, secrets=secrets, notice=NOTICE, align_limit=align_limit)
    text = Text(formatted.plain)
    for start, end, colour in formatted.spans():
        style = styles.get(SPAN_STYLES.get(colour, ""), "")
        if style:
            text.stylize(style, start, end)
    summary = text.plain.rfind("Resource changes: ")
    if summary >= 0 and styles.get("bold"):
        line_end = text.plain.find("\n", summary)
        text.stylize(styles["bold"], summary, len(text.plain) if line_end < 0 else line_end)
    text.rstrip()
    return text


# --- the operations tree -------------------------------------------------------------------------------

STATE_GLYPHS = {"Succeeded": "✔", "Failed": "✖", "Canceled": "○", "Running": "◐", "Accepted": "◔",
                "Waiting": "·", "NotStarted": "·"}
STATE_COLOURS = {"Succeeded": "success", "Failed": "error", "Canceled": "muted", "Running": "warning",
                 "Accepted": "warning", "Waiting": "muted", "NotStarted": "muted"}


def duration_seconds(iso: str | None) -> float | None:
    """ISO 8601 `duration` (ARM's `PT1M2.5S`, `P1DT2H`) in seconds; None when there is none."""
    if not iso:
        return None
    match = re.fullmatch(r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?",
                         iso)
    if match is None:
        return None
    days, hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def short_duration(seconds: float | None) -> str:
    """`0.4s`, `12s`, `3m 05s`, `1h 02m`: how long, at a glance."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


@dataclass(frozen=True)
class OperationRow:
    """One line of the tree: a resource the deployment touches, and how that is going."""

    key: str
    """The target resource's id, lower case (one row per resource and operation)."""
    resource: str
    """`Provider/type/name`."""
    operation: str
    state: str
    duration: str = ""
    error: str = ""


def operation_rows(operations: list[dict[str, Any]]) -> list[OperationRow]:
    """`DeploymentOperation` bodies (newest first, as ARM lists them) as rows, oldest first."""
    rows = []
    for body in reversed(operations):
        properties = body.get("properties") or {}
        target = properties.get("targetResource") or {}
        resource_id = str(target.get("id") or "")
        resource = split_resource_id(resource_id)[1] or "/".join(
            part for part in (target.get("resourceType"), target.get("resourceName")) if part)
        error = ((properties.get("statusMessage") or {}).get("error") or {}) if isinstance(
            properties.get("statusMessage"), dict) else {}
        operation = str(properties.get("provisioningOperation") or "")
        rows.append(OperationRow(key=f"{operation}:{resource_id.lower()}", resource=resource, operation=operation,
                                 state=str(properties.get("provisioningState") or ""),
                                 duration=short_duration(duration_seconds(properties.get("duration"))),
                                 error=_error_line(error) if error else ""))
    return rows


def _error_line(error: dict[str, Any]) -> str:
    """`(Code) message`, then each inner detail's own `(Code) message`."""
    parts = [f"({error.get('code')}) {error.get('message', '')}".strip()]
    for detail in error.get("details") or []:
        if isinstance(detail, dict):
            parts.append(f"({detail.get('code')}) {detail.get('message', '')}".strip())
    return " ".join(parts)


def waiting_rows(changes: list[dict[str, Any]], mode: str) -> list[OperationRow]:
    """What the deployment will touch, from what-if, before ARM lists its operations: every resource of the
    template (ARM puts each, unchanged ones too) and, in Complete mode, each one it deletes."""
    rows = []
    for change in changes:
        kind = change.get("changeType")
        if kind in ("Ignore", "Unsupported") or (kind == "Delete" and mode != "Complete"):
            continue
        operation = "Delete" if kind == "Delete" else "Create"
        resource_id = str(change.get("resourceId") or "")
        rows.append(OperationRow(key=f"{operation}:{resource_id.lower()}", resource=split_resource_id(resource_id)[1],
                                 operation=operation, state="Waiting"))
    return rows


def row_label(row: OperationRow, styles: dict[str, str]) -> Text:
    colour = styles.get(STATE_COLOURS.get(row.state, ""), "") or None
    text = Text()
    text.append(STATE_GLYPHS.get(row.state, "?") + " ", style=colour)
    text.append(escape_control(row.resource))
    if row.operation == "Delete":
        text.append(" (delete)", style=styles.get("error") or None)
    text.append("  ")
    state = "not started (a dependency failed)" if row.state == "NotStarted" else row.state
    text.append(escape_control(state), style=colour)
    if row.duration:
        text.append(f"  {row.duration}", style="dim")
    return text


def wrapped(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken at spaces where it can be, the later ones indented
    (so the lines of one error read as one under a failed resource)."""
    import textwrap

    return textwrap.wrap(text, max(10, width), subsequent_indent="  ", break_long_words=True,
                         break_on_hyphens=False) or [""]


# --- widgets -------------------------------------------------------------------------------------------


class DiffView(Widget):
    """The what-if text, drawn for the width it has: property columns aligned as az aligns them up to half the
    width (a longer path gets one space), long lines wrapped with a hanging indent."""

    DEFAULT_CSS = """
    DiffView {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._draw: Callable[[int], Text] = lambda _width: Text()
        self._cache: tuple[int, list[Text]] | None = None

    def show(self, draw: Callable[[int], Text]) -> None:
        """`draw(align_limit)` makes the text; it is called again when the width changes."""
        self._draw = draw
        self._cache = None
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[Text]:
        if self._cache is not None and self._cache[0] == width:
            return self._cache[1]
        lines: list[Text] = []
        for line in self._draw(max(20, width // 2)).split("\n", allow_blank=True):
            lines.extend(hanging_wrap(line, width))
        self._cache = (width, lines)
        return lines

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_region.width or self.size.width))


def hanging_wrap(line: Text, width: int) -> list[Text]:
    """One line of the diff in pieces of `width`: the first as it starts, the others indented under it."""
    if width <= 0 or line.cell_len <= width:
        return [line]
    plain = line.plain
    indent = len(plain) - len(plain.lstrip(" ")) + 4
    if indent > width // 2:
        indent = 2
    pieces: list[Text] = []
    start, room = 0, width
    while start < len(plain):
        end = min(len(plain), start + room)
        if end < len(plain):
            space = max(plain.rfind(" ", start + 1, end),
                        *(plain.rfind(mark, start + 1, end - 1) for mark in "/.,"))
            if space > start + room // 2:
                end = space + 1
        piece = line[start:end]
        piece.rstrip()
        pieces.append(piece if not pieces else Text(" " * indent) + piece)
        start, room = end, width - indent
        while start < len(plain) and plain[start] == " " and pieces:
            start += 1
    return pieces


class DeployReport(Message):
    """For the main screen: a line for the activity log and, after a deployment, fresh panes."""

    def __init__(self, line: str, variable: str | None, details: str = "", refresh: bool = False) -> None:
        super().__init__()
        self.line = line
        self.variable = variable
        self.details = details
        self.refresh = refresh


class WhatIfRead(Message):
    def __init__(self, request: DeployRequest | None, result: dict[str, Any] | None, error: str,
                 production: str | None = None) -> None:
        super().__init__()
        self.request, self.result, self.error, self.production = request, result, error, production


class DeploySubmitted(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class DeploymentPolled(Message):
    def __init__(self, deployment: dict[str, Any] | None, operations: list[dict[str, Any]], error: str) -> None:
        super().__init__()
        self.deployment, self.operations, self.error = deployment, operations, error


class CancelSent(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def error_line(error: BaseException) -> str:
    """An error as one `ERROR: (Code) message` line, as the command layer prints it."""
    from ...commands.parser import UsageError
    from ...domain.errors import AzureError

    if isinstance(error, (UsageError, AzureError)):
        return escape_control(" ".join(f"ERROR: {error}".splitlines()))
    return escape_control(f"ERROR: internal error: {type(error).__name__}: {' '.join(str(error).splitlines())}")


def opens_screen(line: str) -> bool:
    """Whether a `:` line is a deployment this screen runs (`deploy ... --help` keeps the plain path)."""
    try:
        words = shlex.split(line)
    except ValueError:
        return False  # the command layer says what is wrong with it
    return bool(words) and words[0].lower() == "deploy" and not {"-h", "--help"} & set(words)


class DeployScreen(Screen[None]):
    """What-if, agreement, then the deployment's operations live; Esc goes back at any point."""

    DEFAULT_CSS = """
    DeployScreen > #deploy-title {
        height: auto;
        max-height: 4;
        width: 1fr;
        background: $panel;
        text-style: bold;
        padding: 0 1;
    }
    DeployScreen > #deploy-target {
        height: 1;
        width: 1fr;
        color: $text-muted;
        padding: 0 1;
    }
    DeployScreen > #deploy-body {
        height: 1fr;
        border-top: solid $border-blurred;
        scrollbar-size-vertical: 1;
    }
    DeployScreen > #deploy-body:focus-within {
        border-top: solid $border;
    }
    DeployScreen #deploy-tree {
        height: auto;
        padding: 0 1;
        background: $surface;
    }
    DeployScreen > #deploy-status {
        height: auto;
        max-height: 6;
        padding: 0 1;
        background: $panel;
    }
    DeployScreen > #deploy-status.-error {
        color: $error;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,y", "agree", "Deploy", show=False),
        Binding("n", "decline", "Cancel", show=False),
        Binding("escape", "close", "Back", show=False),
        Binding("c", "cancel_deployment", "Cancel deployment", show=False),
        Binding("q", "close", "Back", show=False),
    ]

    def __init__(self, line: str, *, poll_interval: float = POLL_INTERVAL,
                 report: Callable[[DeployReport], object] | None = None) -> None:
        """`line` is the `deploy ...` line as typed; `report` takes the lines for the activity log."""
        super().__init__()
        self.line = line
        self.poll_interval = poll_interval
        self._report_to = report
        self.phase = "reading"
        """reading, review, error, checked (what-if or validate only), submitting, running, ended."""
        self.request: DeployRequest | None = None
        self.changes: list[dict[str, Any]] = []
        self.deployment: dict[str, Any] | None = None
        self.rows: dict[str, OperationRow] = {}
        self._tree_nodes: dict[str, TreeNode[str]] = {}
        self._poll_timer: Any = None
        self._cancel_requested = False
        self._what_if_result: dict[str, Any] | None = None

    # ------------------------------------------------------------------ layout

    @property
    def session(self) -> Session:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        yield Label(Text(_shown_line_first_guess(self.line)), id="deploy-title")
        yield Label("", id="deploy-target")
        with VerticalScroll(id="deploy-body"):
            yield DiffView(id="deploy-diff")
            tree: Tree[str] = Tree("deployment", id="deploy-tree")
            tree.display = False
            tree.guide_depth = 3
            yield tree
        yield Static("Reading the template and asking Azure what it would change...", id="deploy-status",
                     markup=False)
        yield KeyBar(id="deploy-keys")

    def on_mount(self) -> None:
        self.query_one("#deploy-body").focus()
        self._show_keys()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.read_what_if()

    def _theme_changed(self, _theme: Any) -> None:
        """The diff and the tree in the new theme's colours."""
        request, result = self.request, self._what_if_result
        if result is not None and request is not None:
            styles, secrets = self.styles_map, request.secret_values
            self.query_one(DiffView).show(lambda limit: what_if_text(result, styles, secrets, limit))
        styles = self.styles_map
        for key, node in self._tree_nodes.items():
            node.set_label(row_label(self.rows[key], styles))

    @property
    def styles_map(self) -> dict[str, str]:
        return theme_styles(self.app.theme_variables)

    def _show_status(self, text: str | Text, error: bool = False) -> None:
        status = self.query_one("#deploy-status", Static)
        status.set_class(error, "-error")
        status.update(text if isinstance(text, Text) else Text(escape_control(text)))

    def _show_keys(self) -> None:
        keys = {
            "reading": [("esc", "Back")],
            "review": [("enter/y", "Deploy"), ("n/esc", "Cancel"), ("up/down", "Scroll")],
            "error": [("esc", "Back")],
            "checked": [("esc", "Back"), ("up/down", "Scroll")],
            "submitting": [("esc", "Back (the deployment goes on)")],
            "running": [("c", "Cancel deployment"), ("esc", "Back (it goes on)"), ("up/down", "Move")],
            "ended": [("esc", "Back"), ("up/down", "Move")],
        }[self.phase]
        self.query_one(KeyBar).show_keys(keys, tail=False)

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self._show_keys()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("agree", "decline"):
            return self.phase == "review"
        if action == "cancel_deployment":
            return self.phase == "running" and not self._cancel_requested
        return True

    def _tell(self, line: str, variable: str | None, details: str = "", refresh: bool = False) -> None:
        """A line for the activity log: a long one is cut (as the main screen cuts its own), its whole text kept
        as details (Enter on it)."""
        if len(line) > LOG_LINE_LIMIT:
            details = details or line
            line = line[:LOG_LINE_LIMIT - 1] + "…"
        message = DeployReport(line, variable, details, refresh)
        if self._report_to is not None:
            self._report_to(message)

    # ------------------------------------------------------------------ workers (no widget access)

    @work(thread=True, exclusive=True, group="deploy-what-if", exit_on_error=False)
    def read_what_if(self) -> None:
        """Read the line as the command layer does, then what-if (or validate) it; nothing is changed."""
        from ...commands.deployments import read_deploy_line
        from ...commands.executor import prepare_invocation

        session = self.session
        try:
            request = read_deploy_line(self.line, prepare_invocation(self.line, session))
        except Exception as error:  # a refusal or a bad line: one line, nothing sent
            self.post_message(WhatIfRead(None, None, error_line(error)))
            return
        backend: Any = session.backend
        try:
            if request.validate_only:
                result = backend.validate_deployment(request.resource_group, request.name, request.template,
                                                     request.parameters, mode=request.mode)
            elif request.yes:
                result = None  # the line said --yes: no question, so nothing to show first
            else:
                result = backend.what_if_deployment(request.resource_group, request.name, request.template,
                                                    request.parameters, mode=request.mode)
            production = session.production() if not (request.what_if_only or request.validate_only) else None
        except Exception as error:
            self.post_message(WhatIfRead(request, None, error_line(error)))
            return
        self.post_message(WhatIfRead(request, result, "", production))

    @work(thread=True, exclusive=True, group="deploy-submit", exit_on_error=False)
    def submit(self, line: str) -> None:
        """Deploy through the command layer (audited like any change), without waiting: the tree follows it."""
        from ...commands import run_line

        outcome = run_line(line, self.session)
        self.post_message(DeploySubmitted(outcome.error or ""))

    @work(thread=True, exclusive=True, group="deploy-poll", exit_on_error=False)
    def poll(self) -> None:
        """The deployment and its operations as they are now."""
        request = self.request
        assert request is not None
        backend: Any = self.session.backend
        try:
            deployment = backend.get_deployment(request.resource_group, request.name)
            operations = backend.list_deployment_operations(request.resource_group, request.name)
        except Exception as error:
            self.post_message(DeploymentPolled(None, [], error_line(error)))
            return
        self.post_message(DeploymentPolled(deployment, operations, ""))

    @work(thread=True, exclusive=True, group="deploy-cancel", exit_on_error=False)
    def cancel_it(self, line: str) -> None:
        from ...commands import run_line

        outcome = run_line(line, self.session)
        self.post_message(CancelSent(outcome.error or ""))

    # ------------------------------------------------------------------ message handlers

    def on_what_if_read(self, message: WhatIfRead) -> None:
        request = message.request
        if request is not None:
            self.request = request
            self.query_one("#deploy-title", Label).update(Text(escape_control(request.shown_line)))
            self.query_one("#deploy-target", Label).update(Text(escape_control(
                f"deployment '{request.name}' into {request.resource_group} ({request.mode})"), no_wrap=True,
                overflow="ellipsis"))
        if message.error:
            self._set_phase("error")
            self._show_status(message.error, error=True)
            self.query_one(DiffView).show(lambda _limit: Text("Nothing was deployed: the line, the template and its "
                                                              "parameters are checked before anything is sent."))
            self._tell(message.error, "error", details=f"{self._shown_line()}\n{message.error}")
            return
        assert request is not None
        if request.validate_only:
            resources = (message.result or {}).get("properties", {}).get("validatedResources") or []
            self._set_phase("checked")
            listed = Text("\n".join(escape_control(split_resource_id(str(r.get("id", "")))[1]) for r in resources))
            self.query_one(DiffView).show(lambda _limit: listed)
            done = (f"The template and its parameters passed validation: {len(resources)} resource(s). "
                    "Nothing was deployed.")
            self._show_status(done)
            self._tell(f"{request.name}: {done}", "success")
            return
        if request.yes:
            self._deploy()
            return
        result = message.result or {}
        self._what_if_result = result
        self.changes = list((result.get("properties") or {}).get("changes") or [])
        styles, secrets = self.styles_map, request.secret_values
        self.query_one(DiffView).show(lambda limit: what_if_text(result, styles, secrets, limit))
        summary = change_counts_line(self.changes)
        if request.what_if_only:
            self._set_phase("checked")
            self._show_status(f"{summary} Nothing was deployed (--what-if).")
            whole = what_if_text(result, {}, request.secret_values).plain
            self._tell(f"what-if {request.name}: {summary}", None, details=whole)
            return
        self._set_phase("review")
        question = Text()
        if message.production:
            question.append(escape_control(f"PRODUCTION: this changes subscription '{message.production}'.\n"),
                            style=self.styles_map["error"] or None)
        question.append(summary + " ", style="bold")
        question.append("Deploy? ")
        question.append("enter/y", style="bold")
        question.append(" deploys, ")
        question.append("n/esc", style="bold")
        question.append(" cancels.")
        self._show_status(question)

    def _shown_line(self) -> str:
        return self.request.shown_line if self.request is not None else _shown_line_first_guess(self.line)

    def action_agree(self) -> None:
        if self.phase == "review":
            self._deploy()

    def _deploy(self) -> None:
        request = self.request
        assert request is not None
        self._set_phase("submitting")
        self._show_status(f"Deploying '{request.name}'...")
        self._tell(f"> {request.shown_line}", "primary")
        words = shlex.split(self.line)
        words += [word for word in ("--yes", "--no-wait") if word not in words]
        self.submit(shlex.join(words))

    def action_decline(self) -> None:
        if self.phase == "review":
            self._tell(f"cancelled: {self._shown_line()} (nothing was sent)", None)
            self.dismiss(None)

    def on_deploy_submitted(self, message: DeploySubmitted) -> None:
        request = self.request
        assert request is not None
        if message.error:
            self._set_phase("error")
            self._show_status(message.error, error=True)
            self.query_one(DiffView).show(lambda _limit: Text("The deployment was not started."))
            self._tell(message.error, "error", details=f"{request.shown_line}\n{message.error}")
            return
        if request.no_wait:
            self._tell(f"deployment {request.name}: submitted (--no-wait); it goes on in the background "
                      f"(`deployment show {request.name} -g {request.resource_group}` follows it)", "warning",
                      refresh=True)
            self.dismiss(None)
            return
        self._set_phase("running")
        self.query_one(DiffView).display = False
        tree = self.query_one(Tree)
        tree.display = True
        tree.root.set_label(Text(f"deployment {request.name}"))
        tree.root.expand()
        self._show_rows(self._ordered_rows([]))
        tree.focus()
        self._show_status(f"Deploying '{request.name}': c cancels it, esc leaves it running.")
        self.poll()
        self._poll_timer = self.set_interval(self.poll_interval, self._tick, name="deploy-poll")

    def _tick(self) -> None:
        if self.phase == "running" and not any(w.is_running for w in self.workers if w.group == "deploy-poll"):
            self.poll()

    def _show_rows(self, rows: list[OperationRow]) -> None:
        """The tree as `rows` say, in their order: labels change in place; a new row redraws the list."""
        tree = self.query_one(Tree)
        styles = self.styles_map
        if [row.key for row in rows] != [node.data for node in tree.root.children]:
            cursor = tree.cursor_line
            tree.root.remove_children()
            self._tree_nodes.clear()
            self.rows.clear()
            for row in rows:
                self._tree_nodes[row.key] = tree.root.add(row_label(row, styles), data=row.key, expand=True,
                                                          allow_expand=False)
            tree.cursor_line = cursor
        width = max(20, (tree.content_region.width or tree.size.width or 76) - 10)
        for row in rows:
            node, old = self._tree_nodes[row.key], self.rows.get(row.key)
            self.rows[row.key] = row
            if old != row:
                node.set_label(row_label(row, styles))
            if row.error and (old is None or old.error != row.error):
                node.remove_children()
                for piece in wrapped(escape_control(row.error), width):
                    node.add_leaf(Text(piece, style=styles.get("error") or None))
                node.allow_expand = True
                node.expand()

    def _ordered_rows(self, operations: list[dict[str, Any]]) -> list[OperationRow]:
        """The operations ARM lists, in the order they started, then what has not started yet."""
        started = operation_rows(operations)
        keys = {row.key for row in started}
        request = self.request
        waiting = waiting_rows(self.changes, request.mode if request is not None else "Incremental")
        return started + [row for row in waiting if row.key not in keys]

    def on_deployment_polled(self, message: DeploymentPolled) -> None:
        request = self.request
        if request is None or self.phase not in ("running",):
            return
        if message.error:
            self._show_status(f"{message.error} (reading again in a moment)", error=True)
            return
        self.deployment = message.deployment
        self._show_rows(self._ordered_rows(message.operations))
        properties = (message.deployment or {}).get("properties") or {}
        state = str(properties.get("provisioningState") or "")
        duration = short_duration(duration_seconds(properties.get("duration")))
        styles = self.styles_map
        root = Text(f"deployment {escape_control(request.name)}  ")
        root.append(state, style=styles.get(STATE_COLOURS.get(state, ""), "") or None)
        if duration:
            root.append(f"  {duration}", style="dim")
        self.query_one(Tree).root.set_label(root)
        if state not in TERMINAL_STATES:
            return
        self._ended(state, message.deployment or {}, duration)

    def _ended(self, state: str, deployment: dict[str, Any], duration: str) -> None:
        request = self.request
        assert request is not None
        if self._poll_timer is not None:
            self._poll_timer.stop()
        never = "Canceled" if state == "Canceled" else "NotStarted"
        self._show_rows([row if row.state != "Waiting" else OperationRow(row.key, row.resource, row.operation, never)
                         for row in self.rows.values()])
        self._set_phase("ended")
        done = sum(1 for row in self.rows.values() if row.state == "Succeeded")
        if state == "Succeeded":
            line = f"deployment {request.name}: Succeeded in {duration or '0s'} ({done} resource operation(s))"
            self._show_status(line + ". esc goes back.")
            self._tell(line, "success", refresh=True)
        elif state == "Failed":
            from ...commands.deployments import deployment_failure_text

            error = escape_control(deployment_failure_text(deployment))
            top = (deployment.get("properties") or {}).get("error") or {}
            failed = sum(1 for row in self.rows.values() if row.state == "Failed")
            self._show_status(escape_control(f"ERROR: ({top.get('code', 'DeploymentFailed')}) "
                                             f"{top.get('message', 'The deployment failed.')}".split(" Please ")[0])
                              + f" {failed} failed: each one's error is under it above.", error=True)
            self._tell(f"deployment {request.name}: {error}", "error", details=error, refresh=True)
        else:
            line = f"deployment {request.name}: Canceled after {duration or '0s'} ({done} resource(s) finished first)"
            self._show_status(line + ". esc goes back.")
            self._tell(line, "warning", refresh=True)

    def action_cancel_deployment(self) -> None:
        request = self.request
        if self.phase != "running" or request is None or self._cancel_requested:
            return
        self._cancel_requested = True
        self.refresh_bindings()
        self._show_status(f"Canceling '{request.name}'...")
        self.cancel_it(shlex.join(["deployment", "cancel", request.name, "-g", request.resource_group, "--yes"]))

    def on_cancel_sent(self, message: CancelSent) -> None:
        request = self.request
        assert request is not None
        if message.error:
            self._cancel_requested = False
            self.refresh_bindings()
            self._show_status(message.error, error=True)
            self._tell(message.error, "error")
            return
        self._tell(f"deployment {request.name}: cancel requested", "warning")
        self.poll()

    def action_close(self) -> None:
        request = self.request
        if self.phase == "review":
            self.action_decline()
            return
        if self.phase in ("submitting", "running") and request is not None:
            self._tell(f"deployment {request.name} goes on in the background (left its screen); "
                      f"`deployment show {request.name} -g {request.resource_group}` follows it", "warning",
                      refresh=True)
        elif self.phase == "reading":
            self._tell(f"left: {self._shown_line()} (nothing was sent)", None)
        self.dismiss(None)


def _shown_line_first_guess(line: str) -> str:
    """The line before the template is read (its secure parameters are not known yet): every `-p` value hidden."""
    from ...commands.deployments import masked_parameter_words

    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    return escape_control(shlex.join(masked_parameter_words(words, None)))


def iter_tree_text(tree: Tree[Any]) -> Iterator[str]:
    """Every label of the tree, depth first (for tests and the snapshot reader)."""
    stack = [tree.root]
    while stack:
        node = stack.pop(0)
        yield node.label.plain
        stack = list(node.children) + stack
