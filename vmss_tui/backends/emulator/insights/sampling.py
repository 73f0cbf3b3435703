"""Metrics of a scale set at past instants, from its stored instances and its simulated load.

Between two writes to a set each instance carries at most one transition (`tr`), so the power state
at any instant since the last write is exact (`transitions.effective_power`); the insights room
catches up before every write to a set it watches, which keeps that true. An instance contributes
load only while its power state is `running` (not while creating, stopping, stopped or deallocated).

Speed: most instances do not change inside a catch-up window. They are counted once ("static");
only instances with a transition inside the window are looked at minute by minute, and each minute's
numbers are computed once and shared by every rule and every evaluation that reads them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from statistics import fmean
from typing import Any, Sequence

from ....domain.autoscale.load import METRIC_NAMES, Load, metric_at
from ....domain.autoscale.metrics import metric_value
from ....domain.autoscale.model import ComparisonOperator, MetricStatistic, MetricTrigger, TimeAggregation
from ....domain.models import PowerState
from ..compute.transitions import effective_power

MINUTE = 60.0


@dataclass(frozen=True)
class Minute:
    """Who ran during one minute: plain instances (the set-wide pattern) by count, overridden ones by id."""

    plain: int
    overridden: tuple[str, ...]

    @property
    def running(self) -> int:
        return self.plain + len(self.overridden)


class LoadSampler:
    """Answers a trigger's aggregated value at any instant after `since` for one set."""

    def __init__(self, docs: Sequence[dict[str, Any]], load: Load, *, since: float,
                 memory_bytes: float = 8 * 2**30, lookback: float = 12 * 3600) -> None:
        self.load = load
        self.lookback = lookback
        """How far before `since` a window may reach: instances settled before that count once."""
        self.memory_bytes = memory_bytes
        self._minutes: dict[float, Minute] = {}
        self._grains: dict[tuple[str, str, float], float | None] = {}
        self.reset(docs, since)

    def reset(self, docs: Sequence[dict[str, Any]], since: float) -> None:
        """The set changed at `since`. Windows end at or before `since`, so no minute computed so far
        changes (new instances start running later, deletions start now); old minutes are dropped."""
        if len(self._minutes) > 4 * (self.lookback / MINUTE + 2):
            horizon = since - self.lookback - MINUTE
            self._minutes = {m: v for m, v in self._minutes.items() if m >= horizon}
            self._grains = {k: v for k, v in self._grains.items() if k[2] >= horizon}
        self._changes = sorted({t for doc in docs if doc.get("tr") for t in (doc["tr"]["start"], doc["tr"]["until"])})
        static_plain = 0
        static_overridden: list[str] = []
        dynamic: list[dict[str, Any]] = []
        for doc in docs:
            tr = doc.get("tr")
            if tr and tr["until"] > since - self.lookback:  # may change inside a window we will be asked about
                dynamic.append(doc)
            elif effective_power(doc, since)[0] is PowerState.RUNNING:
                if doc["instance_id"] in self.load.overrides:
                    static_overridden.append(doc["instance_id"])
                else:
                    static_plain += 1
        self._static = Minute(static_plain, tuple(static_overridden))
        # A transition's state is final from its `until` on: sorted by `until`, the settled ones are a
        # prefix whose running counts are summed once, so a minute looks only at transitions still under way.
        dynamic.sort(key=lambda doc: doc["tr"]["until"])
        self._dynamic = dynamic
        self._untils = [doc["tr"]["until"] for doc in dynamic]
        settled_plain = [0]
        for doc in dynamic:
            final_running = (doc["tr"].get("power") or doc["power"]) == PowerState.RUNNING.value \
                and doc["tr"]["kind"] != "delete" and doc["instance_id"] not in self.load.overrides
            settled_plain.append(settled_plain[-1] + (1 if final_running else 0))
        self._settled_plain = settled_plain
        self._overridden_positions = [i for i, doc in enumerate(dynamic) if doc["instance_id"] in self.load.overrides]

    def minute(self, at: float) -> Minute:
        """Who ran at the start of the minute `at` (a multiple of 60)."""
        found = self._minutes.get(at)
        if found is not None:
            return found
        settled = bisect.bisect_right(self._untils, at)
        plain, overridden = self._static.plain + self._settled_plain[settled], list(self._static.overridden)
        looked_at = [self._dynamic[i] for i in self._overridden_positions if i < settled] + self._dynamic[settled:]
        for doc in looked_at:
            if effective_power(doc, at)[0] is PowerState.RUNNING:  # creating, stopping, restarting: no load
                if doc["instance_id"] in self.load.overrides:
                    overridden.append(doc["instance_id"])
                else:
                    plain += 1
        found = Minute(plain, tuple(overridden))
        self._minutes[at] = found
        return found

    def value(self, trigger: MetricTrigger, now: float, instance_count: int) -> float | None:
        """The trigger's value at `now`, None when no instance ran inside its window.

        A metric the emulator does not produce reads as missing, as Azure treats a metric it cannot
        read ("a problem reading the resource metric": the default capacity applies).
        """
        if trigger.metric_name not in METRIC_NAMES:
            return None
        if trigger.time_grain != MINUTE or trigger.dimensions:
            return metric_value(trigger, self.samples(trigger.metric_name, now - trigger.time_window, now),
                                now, instance_count)
        grains: list[float] = []
        first = _minute_at_or_after(now - trigger.time_window)
        at = first
        while at < now:
            grain = self._grain(trigger, at)
            if grain is not None:
                grains.append(grain)
            at += MINUTE
        if not grains:
            return None
        value = {
            TimeAggregation.AVERAGE: fmean, TimeAggregation.MINIMUM: min, TimeAggregation.MAXIMUM: max,
            TimeAggregation.TOTAL: sum, TimeAggregation.COUNT: len, TimeAggregation.LAST: lambda v: v[-1],
        }[trigger.time_aggregation](grains)
        if trigger.divide_per_instance and instance_count > 0:
            value = value / instance_count
        return float(value)

    def _grain(self, trigger: MetricTrigger, at: float) -> float | None:
        key = (trigger.metric_name, trigger.statistic.value, at)
        if key in self._grains:
            return self._grains[key]
        value = self._grain_uncached(trigger, at)
        self._grains[key] = value
        return value

    def stable_span(self, at: float) -> tuple[float, float] | None:
        """(since, until) around `at` during which no input of any metric changes, or None while one moves.

        Inputs are who runs (instance transitions) and the load (pattern changes, ramps, spikes);
        a sine moves all the time, a ramp until it ends. The engine skips runs inside a stable span
        whose window is stable too: their outcome is the same (the catch-up's main saving).
        """
        load = self.load
        points = list(self._changes)
        for pattern in (*load.patterns, *load.overrides.values()):
            points.append(pattern.since)
            if pattern.until:  # an instance override that ends (`stress --for 10m`)
                points.append(pattern.until)
            if pattern.kind == "ramp":
                points.append(pattern.since + pattern.period)
        for spike in load.spikes:
            points += [spike.start, spike.start + spike.duration]
        for pattern in (load.pattern_at(at), *load.overrides.values()):
            if pattern is None:
                continue
            if pattern.kind == "sine" and pattern.since <= at:
                return None
            if pattern.kind == "ramp" and pattern.since <= at < pattern.since + pattern.period:
                return None
        before = [p for p in points if p <= at]
        after = [p for p in points if p > at]
        return (max(before) if before else float("-inf"), min(after) if after else float("inf"))

    def _grain_uncached(self, trigger: MetricTrigger, at: float) -> float | None:
        minute = self.minute(at)
        if minute.running == 0:
            return None
        metric = trigger.metric_name
        values = [metric_at(metric, self.load.cpu(iid, at), self.memory_bytes) for iid in minute.overridden]
        plain_value = metric_at(metric, self.load.cpu("", at), self.memory_bytes) if minute.plain else 0.0
        statistic = trigger.statistic
        if statistic is MetricStatistic.COUNT:
            return float(minute.running)
        if statistic is MetricStatistic.SUM:
            return plain_value * minute.plain + sum(values)
        if statistic is MetricStatistic.AVERAGE:
            return (plain_value * minute.plain + sum(values)) / minute.running
        everyone = values + ([plain_value] if minute.plain else [])
        return min(everyone) if statistic is MetricStatistic.MIN else max(everyone)

    def samples(self, metric: str, start: float, end: float) -> dict[str, list[tuple[float, float]]]:
        """Per-instance points (the slow, general path: grains longer than a minute, dimensions)."""
        result: dict[str, list[tuple[float, float]]] = {}
        at = _minute_at_or_after(start)
        while at < end:
            minute = self.minute(at)
            for iid in minute.overridden:
                result.setdefault(iid, []).append((at, metric_at(metric, self.load.cpu(iid, at), self.memory_bytes)))
            for index in range(minute.plain):  # plain instances are alike: one series each, same values
                result.setdefault(f"plain-{index}", []).append(
                    (at, metric_at(metric, self.load.cpu("", at), self.memory_bytes)))
            at += MINUTE
        return result

    def series(self, metric: str, statistic: MetricStatistic, start: float, end: float,
               interval: float = MINUTE) -> list[tuple[float, float | None]]:
        """(minute, value) for `metrics` and the chart: the statistic across instances per interval."""
        trigger = MetricTrigger(metric, "", MINUTE, statistic, interval, TimeAggregation.AVERAGE,
                                ComparisonOperator.GREATER_THAN, 0.0)
        points: list[tuple[float, float | None]] = []
        at = _minute_at_or_after(start)
        while at < end:
            if interval == MINUTE:
                points.append((at, self._grain(trigger, at)))
            else:
                points.append((at, self.value(trigger, at + interval, 0)))
            at += interval
        return points


def _minute_at_or_after(at: float) -> float:
    whole = (at // MINUTE) * MINUTE
    return whole if whole >= at else whole + MINUTE

