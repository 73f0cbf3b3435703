"""`clock show | advance | set`: fast-forward the emulator's clock from any front end.

The same clock `vmss-tui emulator clock` moves, offered in the command language so the REPL and
the TUI's `:` bar can practise "load it, wait ten minutes, watch autoscale act" without leaving.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..backends.protocol import EmulatedClock
from ..domain.autoscale.load import parse_short_duration
from ..domain.errors import OperationNotAllowed, refused_input
from . import formatting as fmt
from .session import Invocation, Result
from .spec import CommandSpec, ParamSpec


def _clock(inv: Invocation) -> EmulatedClock:
    backend = inv.backend
    if not isinstance(backend, EmulatedClock):
        raise OperationNotAllowed("Only the emulator has a clock to move: Azure runs on real time.")
    return backend


def clock_json(now: datetime, ahead_seconds: float) -> dict[str, Any]:
    """The clock as `clock show -o json` prints it."""
    return {"now": now.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
            "aheadOfSystemClockSeconds": round(ahead_seconds, 3)}


def clock_table(data: dict[str, Any]) -> str:
    return fmt.key_value_table({"Now": data["now"],
                                "Ahead of the system clock": f"{data['aheadOfSystemClockSeconds']:.0f} s"})


def parse_moment(text: str) -> datetime:
    """An ISO date-time such as 2026-12-24T06:00:00Z (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise refused_input(f"'{text}' is not a date-time such as 2026-12-24T06:00:00Z.", target="time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _result(clock: EmulatedClock, changed: bool) -> Result:
    return Result(data=clock_json(clock.clock_now(), clock.clock_ahead_seconds()), table=clock_table,
                  changed=changed)


def _show(inv: Invocation) -> Result:
    return _result(_clock(inv), changed=False)


def _advance(inv: Invocation) -> Result:
    clock = _clock(inv)
    clock.advance_clock(parse_short_duration(inv.args["duration"]))
    return _result(clock, changed=True)


def _set(inv: Invocation) -> Result:
    clock = _clock(inv)
    clock.set_clock(parse_moment(inv.args["time"]))
    return _result(clock, changed=True)


CLOCK_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("clock show", "The emulated clock: now, and how far ahead of the system clock.", _show,
                examples=("clock show",)),
    CommandSpec(
        "clock advance", "Move the emulated clock forward: operations finish, autoscale runs its evaluations.",
        _advance, mutating=True,
        params=(ParamSpec("duration", "How far, e.g. 90s, 15m, 2h, 1d.", required=True, metavar="DURATION"),),
        examples=("clock advance 10m",),
    ),
    CommandSpec(
        "clock set", "Move the emulated clock to a date-time (never back).", _set, mutating=True,
        params=(ParamSpec("time", "ISO date-time, UTC unless it says otherwise.", required=True,
                          metavar="ISO-TIME"),),
        examples=("clock set 2026-12-24T06:00:00Z",),
    ),
)
