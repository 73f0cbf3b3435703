"""The first screen's data, read while Textual is still being imported.

Textual's import is most of a start (a bare Textual app spends ~370 ms there) and the emulator's
own (its modules, the store, the first set's 1000 instances) comes on top of it: one Python
thread cannot do the two at once. So `vmss-tui` forks before it imports Textual: the child opens
the emulator, reads the first screen (`read_first`), sends it back through a pipe and exits, on
another core, while the parent imports Textual and builds the app. The parent opens its own
backend only after the first rows are painted (`OpenedLater`), off the event loop.

Textual-free on purpose: nothing here may pull the UI toolkit into the child.
"""

from __future__ import annotations

import os
import pickle
import select
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..backends.protocol import Backend

CHILD_ANSWER_TIMEOUT = 15.0
"""Seconds the parent waits for the child's answer before it reads the store itself (a child that
hangs or dies costs the start this much at most, never the app)."""


def set_key(resource_group: str, name: str) -> str:
    """`group/name`: the sets pane's row key (`widgets.scale_set_table.set_row_key`), without Textual."""
    return f"{resource_group}/{name}"


def read_first(backend: Backend, resource_group: str | None) -> dict[str, Any]:
    """The first screen in one trip: the backend, the sets, and the instances of the set to open on,
    as the keyword arguments of `messages.FirstScreen`.

    Never raises: a failure comes back in the result, with what was being done.
    """
    try:
        info = backend.info()
    except Exception as error:
        return {"info": None, "scale_sets": [], "chosen": None, "instances": [], "failed_doing": "connecting",
                "error": error_text(error)}
    try:
        # Summaries: the sets with their running counts where the backend keeps them (the emulator).
        summaries = backend.list_scale_set_summaries(resource_group)
        scale_sets = [summary.scale_set for summary in summaries]
        counted = {set_key(s.scale_set.resource_group, s.scale_set.name): s.running
                   for s in summaries if s.running is not None}
        # Open on the first set that has instances: more to see than an empty set.
        chosen = next((s for s in scale_sets if s.capacity > 0), scale_sets[0] if scale_sets else None)
        instances = backend.list_instances(chosen.resource_group, chosen.name) if chosen is not None else []
    except Exception as error:  # every backend failure becomes a notification
        return {"info": info, "scale_sets": [], "chosen": None, "instances": [], "failed_doing": "listing scale sets",
                "error": error_text(error)}
    return {"info": info, "scale_sets": scale_sets, "chosen": chosen, "instances": instances,
            "running": counted if len(counted) == len(scale_sets) else None}


PACKED_INSTANCES = "packed-instances"
"""Tags the instances as `pack_instances` sends them through the pipe."""


def pack_instances(instances: list[Any]) -> Any:
    """The instances as their class, their field names once and one tuple of values each: a third less
    to unpickle than a thousand objects that each name every field. Anything else is sent as it is."""
    if not instances:
        return instances
    kind = type(instances[0])
    names = tuple(getattr(instances[0], "__dict__", ()))
    if not names:
        return instances
    rows = []
    for instance in instances:
        fields = getattr(instance, "__dict__", None)
        if type(instance) is not kind or fields is None or tuple(fields) != names:
            return instances
        rows.append(tuple(fields.values()))
    return (PACKED_INSTANCES, kind, names, rows)


def unpack_instances(packed: Any) -> Any:
    """The instances `pack_instances` packed, made as unpickling makes them (no `__init__` runs)."""
    if not (isinstance(packed, tuple) and len(packed) == 4 and packed[0] == PACKED_INSTANCES):
        return packed
    _tag, kind, names, rows = packed
    make = object.__new__
    instances = []
    for row in rows:
        instance = make(kind)
        instance.__dict__.update(zip(names, row))
        instances.append(instance)
    return instances


def error_text(error: BaseException) -> str:
    """An error as the log and the toasts say it: Azure's own line, else its type and message."""
    from ..domain.errors import AzureError

    return str(error) if isinstance(error, AzureError) else f"{type(error).__name__}: {error}"


class ForkedRead:
    """A child process that opens the backend and reads the first screen (see the module docstring).

    `answer()` gives `("read", FirstScreen keyword arguments)`, `("failed", message)` when the
    backend could not be opened (the message the launcher prints), or None when the child gave no
    answer (it crashed, or took longer than `CHILD_ANSWER_TIMEOUT`): the caller then does it itself.
    """

    def __init__(self, open_backend: Callable[[], Backend], resource_group: str | None,
                 open_errors: tuple[type[BaseException], ...]) -> None:
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(readable)
            _answer_and_exit(writable, open_backend, resource_group, open_errors)
        os.close(writable)
        self._pid = pid
        self._readable = readable

    @classmethod
    def start(cls, open_backend: Callable[[], Backend], resource_group: str | None,
              open_errors: tuple[type[BaseException], ...]) -> ForkedRead | None:
        """Fork the reader; None where this system cannot fork (the caller reads in-process)."""
        if not hasattr(os, "fork"):
            return None
        try:
            return cls(open_backend, resource_group, open_errors)
        except OSError:
            return None

    def answer(self, timeout: float = CHILD_ANSWER_TIMEOUT) -> tuple[str, Any] | None:
        chunks: list[bytes] = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._readable], [], [], left)[0]:
                    return None  # no answer in time: the child is killed below
                chunk = os.read(self._readable, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            answer = pickle.loads(b"".join(chunks)) if chunks else None
            if not (isinstance(answer, tuple) and len(answer) == 2):
                return None
            if answer[0] == "read" and isinstance(answer[1], dict) and "instances" in answer[1]:
                answer[1]["instances"] = unpack_instances(answer[1]["instances"])
            return answer
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        finally:
            os.close(self._readable)
            self._reap()

    def _reap(self) -> None:
        try:
            pid, _status = os.waitpid(self._pid, os.WNOHANG)
            if pid == 0:  # still running (it timed out): it has nothing left to give
                os.kill(self._pid, 9)
                os.waitpid(self._pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def _answer_and_exit(writable: int, open_backend: Callable[[], Backend], resource_group: str | None,
                     open_errors: tuple[type[BaseException], ...]) -> None:
    """The child's whole life: open, read, pickle, write, and leave without running the parent's
    exit handlers or flushing its buffers (`os._exit`)."""
    try:
        try:
            backend = open_backend()
        except open_errors as error:
            answer: tuple[str, Any] = ("failed", str(error))
        else:
            try:
                first = read_first(backend, resource_group)
                first["instances"] = pack_instances(first["instances"])
                answer = ("read", first)
            finally:
                backend.close()
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            written = os.write(writable, view)
            view = view[written:]
    except BaseException:  # noqa: BLE001 (no answer: the parent reads the store itself)
        pass
    finally:
        os._exit(0)


class OpenedLater:
    """Stands for the backend until it is opened: on first use, or by `open_in_background` once the
    first rows are painted. Every attribute is the opened backend's; `close` closes it only if opened."""

    def __init__(self, open_backend: Callable[[], Backend]) -> None:
        self._open_backend = open_backend
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    def opened(self) -> Backend:
        """The backend, opened now if it is not yet (from any thread; opened once)."""
        with self._lock:
            if self._backend is None:
                self._backend = self._open_backend()
            return self._backend

    def open_in_background(self) -> None:
        """Open it in a thread of its own, so the first use finds it ready; a failure waits for that use."""

        def open_quietly() -> None:
            try:
                self.opened()
            except Exception:  # noqa: BLE001 (raised again, and reported, where it is used)
                pass

        threading.Thread(target=open_quietly, name="vmss-open-backend", daemon=True).start()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.opened(), name)

    def close(self) -> None:
        with self._lock:
            backend = self._backend
        if backend is not None:
            backend.close()
