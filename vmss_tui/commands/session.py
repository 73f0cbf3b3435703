"""What a command line runs with and gives back: the session, the handler's view and the outcome.

Shared by the executor (which runs lines), the command handlers in the registry (which receive an
`Invocation` and return a `Result`) and every front end (which keeps a `Session` and shows an
`Outcome`). It sits below all of them, so none of them has to import another to reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..domain.errors import AzureError, ResourceNotFound
from ..domain.models import Operation, OperationStatus, ProgressCallback, ScaleSet
from .formatting import JSON, TableRenderer
from .parser import UsageError
from .spec import CommandSpec

if TYPE_CHECKING:
    from ..admin.audit import AuditTrail
    from ..backends.protocol import Backend
    from .completion_cache import CompletionCache
    from .console import Terminal


ConfirmCallback = Callable[[str], bool]


class Session:
    """What stays the same from one line to the next: backend, defaults and `use` context.

    Args:
        backend: Where commands go.
        resource_group: Default group for set names (None: find the set by name in any group).
        output: Default output format.
        query: Default JMESPath query (rarely set for a whole session).
        yes: Never ask for confirmation.
        read_only: Refuse every mutating command before anything is sent.
        no_wait: Return long operations at once.
        confirm: Asked with the confirmation text before destructive commands; None means
            "cannot ask", which refuses them unless `yes`.
        progress: Called with Operation snapshots while waiting.
    """

    def __init__(self, backend: Backend, resource_group: str | None = None, output: str = "table",
                 query: str | None = None, yes: bool = False, read_only: bool = False,
                 no_wait: bool = False, confirm: ConfirmCallback | None = None,
                 progress: ProgressCallback | None = None) -> None:
        self.backend = backend
        self.resource_group = resource_group
        self.output = output
        self.query = query
        self.yes = yes
        self.read_only = read_only
        self.no_wait = no_wait
        self.confirm = confirm
        self.progress = progress
        self.current_set: tuple[str, str] | None = None
        self.read_only_reason = "--read-only"
        """Said when refusing a mutation: `--read-only`, or the operator's viewer role."""
        self.audit: AuditTrail | None = None
        """Where mutating commands are recorded (run, failed or refused); None records nothing."""
        self.production_check: Callable[[], str | None] | None = None
        """Names the subscription when it is marked production (then every change confirms first).
        Asked only before a changing command, so reads never pay for it (a round trip on Azure)."""
        self._production: tuple[str | None] | None = None
        self.color = True
        """Whether `-o jsonc` may use ANSI colours (front ends turn it off for pipes)."""
        self._completion_cache: CompletionCache | None = None
        self.terminal: Terminal | None = None
        """The terminal `ssh` takes over (the CLI's and the REPL's own, commands/console.py); None where the
        front end cannot lend one (the TUI's `:` bar: its `S` key suspends the app instead)."""

    @property
    def completion_cache(self) -> CompletionCache:
        """Names of sets and instances for completion, refreshed in the background."""
        if self._completion_cache is None:
            from .completion_cache import CompletionCache

            self._completion_cache = CompletionCache(self)
        return self._completion_cache

    def production(self) -> str | None:
        """The production subscription's name when commands go to one, else None (asked once)."""
        if self._production is None:
            self._production = (self.production_check() if self.production_check is not None else None,)
        return self._production[0]

    def prompt(self) -> str:
        """The REPL prompt, showing the `use` context and production: `vmss [PRODUCTION] web> `."""
        head = "vmss [PRODUCTION]" if self.production_check is not None and self.production() else "vmss"
        return f"{head} {self.current_set[1]}> " if self.current_set else f"{head}> "


@dataclass
class Result:
    """What a handler returns: the JSON-able data and how to show it as a table."""

    data: JSON = None
    table: TableRenderer | None = None
    operation: Operation | None = None
    changed: bool = False
    warnings: list[str] = field(default_factory=list)
    exit_requested: bool = False
    plain: bool = False
    """Text meant for people (help): shown as is whatever `-o` says, unless `-o none`."""


@dataclass
class Outcome:
    """Everything a front end needs to show after running a line."""

    exit_code: int = 0
    data: JSON = None
    rendered: str = ""
    error: str | None = None
    changed: bool = False
    operation: Operation | None = None
    command: str | None = None
    exit_requested: bool = False
    warnings: list[str] = field(default_factory=list)
    """`WARNING: ...` lines for stderr (e.g. instances a set-wide action skipped)."""
    debug_traceback: str | None = None
    """The traceback of an internal error; front ends print it only with VMSS_TUI_DEBUG=1."""
    resource_group: str | None = None
    """The group the line acted on (resolved set, -g, or the session default), for the audit trail."""
    audit_outcome: str | None = None
    """What happened to the change, when the exit code alone would mislead the audit trail:
    `success` (the change was made though printing its result failed) or `started` (it continues)."""

    @property
    def ok(self) -> bool:
        """True when the line succeeded."""
        return self.exit_code == 0


@dataclass
class Invocation:
    """A parsed, bound and checked command, as its handler receives it."""

    spec: CommandSpec
    args: dict[str, Any]
    session: Session
    output: str
    query: str | None
    yes: bool
    no_wait: bool
    resource_group: str | None
    """The group given on the line or the session's default; None when neither."""
    scale_set: ScaleSet | None = None
    """The resolved set for commands that name one."""

    @property
    def backend(self) -> Backend:
        """The session's backend."""
        return self.session.backend

    @property
    def group_and_name(self) -> tuple[str, str]:
        """(resource group, name) of the resolved set."""
        assert self.scale_set is not None, "handler of a command without a set asked for one"
        return self.scale_set.resource_group, self.scale_set.name

    sent: Operation | None = None
    """The last operation this invocation started (set by `wait`), so a later failure can name it."""

    @property
    def target_group(self) -> str | None:
        """The resource group the line acts on: the resolved set's, else -g or the session's."""
        if self.sent is not None:
            return self.sent.resource_group
        if self.scale_set is not None:
            return self.scale_set.resource_group
        return self.resource_group

    def group_for(self, commands: str) -> str:
        """The group a group-scoped command acts on: -g or the session's default, else the set in use (`use`,
        the TUI's selection), else the only group there is; `commands` names them in the error."""
        if self.resource_group:
            return self.resource_group
        if self.session.current_set is not None:
            return self.session.current_set[0]
        from .parser import UsageError

        groups = self.backend.list_resource_groups()
        if len(groups) == 1:
            return groups[0]
        known = f" (known groups: {', '.join(groups)})" if groups else ""
        raise UsageError("MissingResourceGroup", f"{commands} need a resource group: pass -g/--resource-group{known}.")

    def wait(self, operation: Operation) -> Operation:
        """Wait for an operation (progress to the session); a failed one raises its Azure error."""
        self.sent = operation
        try:
            final = self.backend.wait(operation, progress=self.session.progress)
        except KeyboardInterrupt:
            raise StoppedWaiting(operation) from None
        if final.status is OperationStatus.FAILED or final.status is OperationStatus.CANCELED:
            from ..domain.errors import error_from_code

            if final.error is not None:
                raise error_from_code(final.error.code, final.error.message, target=final.error.target)
            raise AzureError(f"Operation {final.id} ended {final.status}.", code=f"Operation{final.status}")
        if not final.done:
            raise StoppedWaiting(final)
        return final


class StoppedWaiting(Exception):
    """The user (Ctrl-C) or a timeout stopped the wait; the operation continues in Azure."""

    def __init__(self, operation: Operation) -> None:
        super().__init__(operation.id)
        self.operation = operation


def is_mutating(spec: CommandSpec, args: dict[str, Any] | None = None) -> bool:
    """True when running this line would change something (`scale --dry-run`, `deploy --validate` do not)."""
    if not spec.mutating:
        return False
    return not any((args or {}).get(flag, False) for flag in spec.check_only_flags)


def find_scale_set(session: Session, name: str, resource_group: str | None) -> ScaleSet:
    """The set called `name`: in `resource_group`, or the only one of that name in any group."""
    backend = session.backend
    if resource_group:
        return backend.get_scale_set(resource_group, name)
    matches = [s for s in backend.list_scale_sets() if s.name.lower() == name.lower()]
    if not matches:
        raise ResourceNotFound(
            f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{name}' was not found in any "
            f"resource group of this subscription.", target=name)
    if len(matches) > 1:
        groups = ", ".join(s.resource_group for s in matches)
        raise UsageError("AmbiguousName",
                         f"scale set '{name}' exists in several resource groups ({groups}); "
                         f"choose one with -g/--resource-group.")
    return matches[0]


__all__ = ["ConfirmCallback", "Invocation", "Outcome", "Result", "Session", "StoppedWaiting", "find_scale_set",
           "is_mutating"]
