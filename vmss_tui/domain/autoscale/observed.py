"""The count autoscale sees: Flexible VMs deleted by themselves stay counted for a while (vector A30).

"Autoscale scaling actions are delayed up to several hours after a manual scaling action is applied to a
Flex ... (VMSS) resource for a specific set of Virtual Machine operations. For example, Azure VM CLI Delete,
or Azure VM Rest API Delete where the operation is performed on an individual VM. In these cases, the
autoscale service isn't aware of the individual VM operations." The fix it gives: the same operation at the
scale set's level (delete-instances), whose count change autoscale "detects" [AS-TS §Flex].

So the engine's count ("Observed Capacity", "the active number of instances ... as seen by the autoscale
engine" [AS-TS]) is the set's live count plus the VMs deleted individually that it has not seen yet. A
deletion is seen `INDIVIDUAL_DELETE_UNSEEN_FOR` after it, or at once when the set's count is read again by a
scale-set-level change that came after it: a delete-instances, a scale, autoscale's own scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from .durations import short_duration

INDIVIDUAL_DELETE_UNSEEN_FOR = 3 * 3600.0
"""Seconds autoscale keeps counting a Flexible VM deleted by itself. Azure says only "up to several hours"
[AS-TS]; 3 h is the emulator's choice (docs/emulator-fidelity.md, "Laziness, catch-up and the clock")."""


@dataclass(frozen=True)
class IndividualDelete:
    """One VM-level delete of Flexible VMs, as the insights room keeps it."""

    operation_id: str
    at: float
    """When it was asked (epoch seconds, emulated)."""
    instance_ids: tuple[str, ...]
    seen_at: float
    """When the engine sees it: `at` + the delay, or the first scale-set-level change after it if sooner."""

    def unseen_ids(self, moment: float, live_ids: frozenset[str]) -> tuple[str, ...]:
        """The deleted VMs the engine still counts at `moment` (a VM of that name made again counts as live)."""
        if moment >= self.seen_at:
            return ()
        return tuple(i for i in self.instance_ids if i not in live_ids)


def seen_at(deleted_at: float, refreshed_at: float | None) -> float:
    """When an individual delete at `deleted_at` is seen, given the first scale-set-level change after it."""
    latest = deleted_at + INDIVIDUAL_DELETE_UNSEEN_FOR
    return latest if refreshed_at is None else min(latest, refreshed_at)


@dataclass(frozen=True)
class UnseenDeletes:
    """VMs deleted individually that the engine still counts: why its count is above the set's."""

    count: int
    set_count: int
    """The set's own count (the engine counts `set_count + count`)."""
    first_deleted_at: datetime
    last_deleted_at: datetime
    seen_by: datetime
    """When the engine will have seen the last of them, unless a scale-set-level change comes first."""

    def words(self, now: datetime | None = None) -> str:
        """`counting 5, not the set's 3 (2 VMs deleted individually 10m ago are not yet seen by autoscale, ...)`.

        With `now`, times are "ago" and "more" (the status); without, clock times (a stored run's reason).
        """
        vms = "1 VM" if self.count == 1 else f"{self.count} VMs"
        if now is not None:
            newest = short_duration(max(0.0, (now - self.last_deleted_at).total_seconds()))
            oldest = short_duration(max(0.0, (now - self.first_deleted_at).total_seconds()))
            when = f"{newest} ago" if oldest == newest else f"{oldest} to {newest} ago"
            until = f"for up to {short_duration(max(0.0, (self.seen_by - now).total_seconds()))} more"
        else:
            first, last = _clock(self.first_deleted_at), _clock(self.last_deleted_at)
            when = f"at {last}" if first == last else f"between {first} and {last}"
            until = f"until {_clock(self.seen_by)} at the latest"
        verb = "is" if self.count == 1 else "are"
        return (f"counting {self.set_count + self.count}, not the set's {self.set_count} ({vms} deleted individually "
                f"{when} {verb} not yet seen by autoscale, {until}; use delete-instances)")

    def to_doc(self) -> dict[str, Any]:
        return {"count": self.count, "set_count": self.set_count, "first": self.first_deleted_at.timestamp(),
                "last": self.last_deleted_at.timestamp(), "seen_by": self.seen_by.timestamp()}

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> "UnseenDeletes | None":
        if not doc:
            return None
        return cls(int(doc["count"]), int(doc["set_count"]), _epoch(doc["first"]), _epoch(doc["last"]),
                   _epoch(doc["seen_by"]))


def unseen_deletes(deletes: Iterable[IndividualDelete], moment: float, live_ids: frozenset[str]
                   ) -> UnseenDeletes | None:
    """What the engine does not see yet at `moment`, or None when its count is the set's."""
    pending = [(d, d.unseen_ids(moment, live_ids)) for d in deletes]
    pending = [(d, ids) for d, ids in pending if ids]
    if not pending:
        return None
    return UnseenDeletes(count=sum(len(ids) for _d, ids in pending), set_count=len(live_ids),
                         first_deleted_at=_epoch(min(d.at for d, _ids in pending)),
                         last_deleted_at=_epoch(max(d.at for d, _ids in pending)),
                         seen_by=_epoch(max(d.seen_at for d, _ids in pending)))


def next_change(deletes: Iterable[IndividualDelete], after: float) -> float:
    """The first instant after `after` when one of them becomes seen (the engine's count changes); inf if none."""
    return min((d.seen_at for d in deletes if d.seen_at > after), default=float("inf"))


def _epoch(moment: float) -> datetime:
    return datetime.fromtimestamp(float(moment), timezone.utc)


def _clock(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%H:%M")
