"""The simulated load an operator sets on a scale set, and the metrics it produces.

A pattern is anchored at the moment it was set (`since`), so every process computes the same value
for the same instant from stored numbers: no daemon, no stored samples. An instance contributes only
while it runs (the caller passes the running intervals); a spike lifts the level for a while.
The derived metrics (`Network In Total`, `Available Memory Bytes`) follow the CPU level: a choice,
written in docs/emulator-fidelity.md ("Autoscale").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from ..errors import refused_input
from .durations import short_duration

PERCENTAGE_CPU = "Percentage CPU"
NETWORK_IN_TOTAL = "Network In Total"
AVAILABLE_MEMORY_BYTES = "Available Memory Bytes"
METRIC_NAMES = (PERCENTAGE_CPU, NETWORK_IN_TOTAL, AVAILABLE_MEMORY_BYTES)

NETWORK_BYTES_PER_CPU_PERCENT_MINUTE = 1_000_000
"""`Network In Total` per minute for each percent of CPU: 75 % CPU reads as 75 MB in a minute."""


@dataclass(frozen=True)
class Pattern:
    """A level over time: `steady 75`, `ramp 20..90 30m`, `sine 20..90 30m`."""

    kind: str
    low: float
    high: float = 0.0
    period: float = 0.0
    since: float = 0.0
    until: float = 0.0
    """An instance override's end (`stress --cpu 90 --for 10m`): from then on the set's load applies; 0: none."""

    def level(self, at: float) -> float:
        """The CPU percentage at epoch second `at`."""
        if self.kind == "steady":
            return self.low
        elapsed = max(0.0, at - self.since)
        if self.kind == "ramp":
            if self.period <= 0 or elapsed >= self.period:
                return self.high
            return self.low + (self.high - self.low) * elapsed / self.period
        # sine: starts at the middle going up, one full cycle per period
        middle, amplitude = (self.low + self.high) / 2, (self.high - self.low) / 2
        return middle + amplitude * math.sin(2 * math.pi * elapsed / self.period)

    def describe(self) -> str:
        if self.kind == "steady":
            text = f"steady {_num(self.low)}"
        else:
            text = f"{self.kind} {_num(self.low)}..{_num(self.high)} {short_duration(self.period)}"
        return text + (f" for {short_duration(self.until - self.since)}" if self.until else "")

    def active(self, at: float) -> bool:
        """Whether the pattern applies at `at` (from `since`, until `until` when it has one)."""
        return self.since <= at and (not self.until or at < self.until)

    def to_doc(self) -> dict[str, float | str]:
        doc: dict[str, float | str] = {"kind": self.kind, "low": self.low, "high": self.high, "period": self.period,
                                       "since": self.since}
        if self.until:
            doc["until"] = self.until
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, object]) -> "Pattern":
        return cls(str(doc["kind"]), float(doc["low"]), float(doc.get("high", 0.0)),  # type: ignore[arg-type]
                   float(doc.get("period", 0.0)), float(doc.get("since", 0.0)),  # type: ignore[arg-type]
                   float(doc.get("until", 0.0)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Spike:
    level: float
    start: float
    duration: float

    def active(self, at: float) -> bool:
        return self.start <= at < self.start + self.duration


PATTERNS_KEPT = 50
"""Earlier set-wide patterns kept so that a metric window reaching back past a change reads what ran then."""


@dataclass(frozen=True)
class Load:
    """A set's load: set-wide patterns over time, overrides per instance id, and spikes on top.

    A pattern applies from its `since` on; before it, the pattern that was set earlier (none: 0 %).
    So changing the load never rewrites the past that autoscale already evaluated.
    """

    patterns: tuple[Pattern, ...] = ()
    overrides: dict[str, Pattern] = field(default_factory=dict)
    spikes: tuple[Spike, ...] = ()

    @property
    def pattern(self) -> Pattern | None:
        """The set-wide pattern in force now (the latest one)."""
        return self.patterns[-1] if self.patterns else None

    def pattern_at(self, at: float) -> Pattern | None:
        for pattern in reversed(self.patterns):
            if pattern.since <= at:
                return pattern
        return None

    def cpu(self, instance_id: str, at: float) -> float:
        override = self.overrides.get(instance_id)
        pattern = override if override is not None and override.active(at) else self.pattern_at(at)
        level = pattern.level(at) if pattern is not None else 0.0
        for spike in self.spikes:
            if spike.active(at):
                level = max(level, spike.level)
        return max(0.0, min(100.0, level))

    def with_pattern(self, pattern: Pattern | None, *, since: float | None = None) -> "Load":
        """From `pattern.since` on, every instance without an override runs `pattern` (None: no load)."""
        if pattern is None:
            pattern = Pattern("steady", 0.0, since=since if since is not None else 0.0)
        kept = tuple(p for p in self.patterns if p.since < pattern.since)[-(PATTERNS_KEPT - 1):]
        return replace(self, patterns=kept + (pattern,))

    def with_override(self, instance_id: str, pattern: Pattern | None) -> "Load":
        overrides = dict(self.overrides)
        if pattern is None:
            overrides.pop(instance_id, None)
        else:
            overrides[instance_id] = pattern
        return replace(self, overrides=overrides)

    def without_override(self, instance_id: str, now: float) -> "Load":
        """The instance follows the set's load again from `now` (what it ran before stays in the past)."""
        override = self.overrides.get(instance_id)
        if override is None:
            return self
        if override.since >= now:
            return self.with_override(instance_id, None)
        if override.until and override.until <= now:
            return self
        return self.with_override(instance_id, replace(override, until=now))

    def cleared(self, now: float) -> "Load":
        """No load from `now` on: no pattern, every instance override and running spike ended; the past kept."""
        load = self.with_pattern(None, since=now)
        for instance_id in list(load.overrides):
            load = load.without_override(instance_id, now)
        spikes = tuple(s if s.start + s.duration <= now else Spike(s.level, s.start, now - s.start)
                       for s in load.spikes if s.start < now)
        return replace(load, spikes=spikes)

    def with_spike(self, spike: Spike) -> "Load":
        return replace(self, spikes=tuple(s for s in self.spikes if s.start + s.duration > spike.start - 43200)
                       + (spike,))

    def describe(self, at: float | None = None) -> str:
        current = self.pattern if at is None else self.pattern_at(at)
        parts = [current.describe() if current else "no load"]
        parts += [f"instance {iid}: {p.describe()}" for iid, p in sorted(self.overrides.items())
                  if at is None or not p.until or at < p.until]  # a `stress --for` that has ended is not shown
        parts += [f"spike {_num(s.level)} for {short_duration(s.duration)}" for s in self.spikes
                  if at is None or s.start + s.duration > at]
        return "; ".join(parts)

    def to_doc(self) -> dict[str, object]:
        return {"patterns": [p.to_doc() for p in self.patterns],
                "overrides": {iid: p.to_doc() for iid, p in self.overrides.items()},
                "spikes": [{"level": s.level, "start": s.start, "duration": s.duration} for s in self.spikes]}

    @classmethod
    def from_doc(cls, doc: Mapping[str, object] | None) -> "Load":
        if not doc:
            return cls()
        patterns = doc.get("patterns") or []
        overrides = doc.get("overrides") or {}
        spikes = doc.get("spikes") or []
        return cls(tuple(Pattern.from_doc(p) for p in patterns),  # type: ignore[union-attr]
                   {str(k): Pattern.from_doc(v) for k, v in overrides.items()},  # type: ignore[union-attr]
                   tuple(Spike(float(s["level"]), float(s["start"]), float(s["duration"])) for s in spikes))  # type: ignore[index,union-attr]


_RANGE = r"(?P<low>\d+(?:\.\d+)?)\s*\.\.\s*(?P<high>\d+(?:\.\d+)?)"
_DURATION = r"(?P<period>\d+(?:\.\d+)?)\s*(?P<unit>[smhd])"


def parse_pattern(text: str, since: float) -> Pattern:
    """`75`, `steady 75`, `ramp 20..90 30m`, `sine 20..90 30m` -> Pattern; one-line error naming the problem."""
    words = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", words):
        return Pattern("steady", _percent(float(words), text), since=since)
    match = re.fullmatch(r"steady\s+(\d+(?:\.\d+)?)", words)
    if match:
        return Pattern("steady", _percent(float(match.group(1)), text), since=since)
    match = re.fullmatch(rf"(?P<kind>ramp|sine)\s+{_RANGE}\s+{_DURATION}", words)
    if match is None:
        raise refused_input(f"'{text}' is not a load pattern: use 75, 'steady 75', 'ramp 20..90 30m' "
                               "or 'sine 20..90 30m'.", target="pattern")
    low, high = _percent(float(match["low"]), text), _percent(float(match["high"]), text)
    period = parse_short_duration(match["period"] + match["unit"])
    if period <= 0:
        raise refused_input(f"The period of '{text}' must be longer than zero.", target="pattern")
    return Pattern(match["kind"], low, high, period, since)


def parse_short_duration(text: str) -> float:
    """`90s`, `5m`, `2h`, `1d` (what people type) -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text.lower())
    if match is None:
        raise refused_input(f"'{text}' is not a duration: use 90s, 5m, 2h or 1d.", target="duration")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _percent(value: float, text: str) -> float:
    if not 0 <= value <= 100:
        raise refused_input(f"A CPU level must be between 0 and 100, not {_num(value)} in '{text}'.",
                               target="pattern")
    return value


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


Running = Mapping[str, Sequence[tuple[float, float | None]]]
"""Per instance id, the (start, end or None) epochs during which it ran."""


def _running_at(intervals: Sequence[tuple[float, float | None]], at: float) -> bool:
    return any(start <= at and (end is None or at < end) for start, end in intervals)


def metric_at(metric: str, cpu: float, memory_bytes: float) -> float:
    """One instance's value of `metric` for a minute at `cpu` percent."""
    if metric == PERCENTAGE_CPU:
        return cpu
    if metric == NETWORK_IN_TOTAL:
        return cpu * NETWORK_BYTES_PER_CPU_PERCENT_MINUTE
    if metric == AVAILABLE_MEMORY_BYTES:
        return memory_bytes * (1 - 0.6 * cpu / 100)  # a busy VM keeps 40 % of its memory free at full CPU
    raise refused_input(f"Metric '{metric}' is not one the emulator produces; use one of: "
                           + ", ".join(METRIC_NAMES) + ".", target="metricName")


def samples(load: Load, metric: str, running: Running, start: float, end: float, *,
            memory_bytes: float = 8 * 2**30, step: float = 60.0) -> dict[str, list[tuple[float, float]]]:
    """Per instance, one (minute, value) point for each minute in [start, end) during which it ran."""
    first = math.floor(start / step) * step
    result: dict[str, list[tuple[float, float]]] = {}
    for instance_id, intervals in running.items():
        points = []
        at = first
        while at < end:
            if at >= start and _running_at(intervals, at):
                points.append((at, metric_at(metric, load.cpu(instance_id, at), memory_bytes)))
            at += step
        if points:
            result[instance_id] = points
    return result
