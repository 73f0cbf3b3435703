"""App-wide messages: what workers report back to the event loop.

Workers never touch widgets; they post one of these and a handler on the screen owns
the state change. Polling results use `can_replace` so a burst of refreshes queued
behind a slow frame collapses into the newest one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from ..domain.models import BackendInfo, Instance, Operation, ScaleSet


@dataclass
class BackendReady(Message):
    """The backend answered `info()`: the header can say where commands go."""

    info: BackendInfo


@dataclass
class ScaleSetsLoaded(Message):
    """A fresh list of every scale set the session can see."""

    scale_sets: list[ScaleSet]
    running: dict[str, int]
    """Running instances per set, keyed `group/name`."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ScaleSetsLoaded)


@dataclass
class InstancesLoaded(Message):
    """A fresh snapshot of one scale set and its instances."""

    scale_set: ScaleSet
    instances: list[Instance]

    @property
    def set_key(self) -> tuple[str, str]:
        """(resource group, name) of the set the snapshot belongs to."""
        return (self.scale_set.resource_group, self.scale_set.name)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, InstancesLoaded) and message.set_key == self.set_key


@dataclass
class BackendFailed(Message):
    """A backend call failed; shown as a notification, never as a crash."""

    doing: str
    """What the app was doing, e.g. `loading instances of web`."""
    error: str
    """One line, `(Code) message` for Azure errors."""


@dataclass
class OperationProgress(Message):
    """A snapshot of a long-running operation while a command waits on it."""

    operation: Operation

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, OperationProgress) and message.operation.id == self.operation.id


@dataclass
class CommandStarted(Message):
    """A command line was handed to the command layer."""

    line: str


@dataclass
class CommandFinished(Message):
    """The command layer finished a line; `outcome` is its `Outcome`."""

    line: str
    outcome: Any


@dataclass
class ConfirmationNeeded(Message):
    """A destructive line needs the user's yes first; `prompt` names what will be removed."""

    line: str
    prompt: str


@dataclass
class CompletionsReady(Message):
    """Completions for the command bar's current text."""

    text: str
    completions: list[Any]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CompletionsReady)


@dataclass
class DetailLoaded(Message):
    """Everything the detail view shows about one scale set or instance."""

    title: str
    fields: list[tuple[str, str]]
    json_text: str
    sections: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    """Headed groups of rows after the fields (the network sections, issue 14)."""


@dataclass(frozen=True)
class FirstScreen:
    """What the first frame shows, read in one trip: the backend, every set, and the instances of
    the set opened on; or, when the read failed, what it was doing and why (`info` may still be known)."""

    info: BackendInfo | None
    scale_sets: list[ScaleSet]
    chosen: ScaleSet | None
    """The set the app opens on (the first with instances), None when there is none."""
    instances: list[Instance]
    running: dict[str, int] | None = None
    """Running instances per set row key (`group/name`) where the backend counts them cheaply;
    None when some set is not counted (the other sets are counted after the first rows)."""
    failed_doing: str = ""
    error: str = ""


@dataclass
class FirstLoaded(Message):
    """The first screen arrived from its reading thread after the screen was mounted."""

    first: FirstScreen


@dataclass
class ScaleSetGone(Message):
    """A set (or some of its instances) vanished since it was listed: refresh, never alarm."""

    resource_group: str
    name: str
    instances_only: bool = False


@dataclass
class SetUnreadable(Message):
    """A listed set's own data cannot be read (a damaged emulator file): its pane says so, the rest goes on."""

    resource_group: str
    name: str
    error: str
