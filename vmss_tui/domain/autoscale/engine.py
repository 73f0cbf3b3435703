"""One run of Azure's autoscale engine, as a pure function of the setting, the count, the clock and the metrics.

The order of a run, each step with its source (seed-features.md §A.2):
1. `enabled=false` does nothing [AS-API].
2. The profile that applies now: a fixed-date profile whose window holds now, else the recurrence
   profile that started most recently (a recurrence runs until the next profile starts), else the
   default profile [AS-SET], [AS-BP]. Only that profile's rules are read.
3. Min and max first: a count below the minimum goes to the minimum, above the maximum to the
   maximum, whatever the rules say and without waiting for a cooldown [AS-SET], [AS-BP "Manual
   scaling is reset by autoscale min and max"].
4. Missing metrics: below the default capacity, scale to the default; never scale in [AS-SET].
5. Scale out when ANY increase rule fires, to the HIGHEST of their results [AS-SET], [AS-BP].
6. Otherwise scale in only when ALL decrease rules fire, to the LARGEST of their results [AS-SET].
7. Before a scale-in, the flapping estimate: each scale-out rule's value x current / target must not
   fire that rule. If it would, try the counts between, closest to the target first; scale to the
   first safe one (`FlappingOccurred`), or skip this run (`Flapping`) [AS-FLAP], [AS-BP].
8. Cooldown: a rule acts only when its cooldown has passed since the last scale action of either
   direction [AS-SET], [AS-API].
Results are clamped to [minimum, maximum] [AS-SET].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import lru_cache
from typing import Any, Callable

from .durations import short_duration
from .model import AutoscaleSetting, ComparisonOperator, MetricTrigger, Profile, ScaleAction, ScaleDirection, ScaleRule, ScaleType
from .observed import UnseenDeletes

EVALUATION_INTERVAL = 60.0
"""Seconds between runs: "every 30 to 60 seconds, depending on the resource type" [AS-SET]; one fixed tick keeps replays exact."""

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Outcome(StrEnum):
    """What one run did, in the words the history and the activity pane use."""

    SCALE_OUT = "ScaleOut"
    SCALE_IN = "ScaleIn"
    FLAPPING_OCCURRED = "FlappingOccurred"
    """Scaled in by less than the rule asked, to the nearest count that does not flap."""
    FLAPPING = "Flapping"
    """A scale-in was skipped: every count would have flapped."""
    MIN_MAX = "MinMax"
    """The count was outside the profile's minimum and maximum and was brought back."""
    DEFAULT_CAPACITY = "DefaultCapacity"
    """Metrics were missing and the count was below the default."""
    COOLDOWN = "Cooldown"
    """A rule fired but its cooldown since the last scale action had not passed."""
    AT_LIMIT = "AtLimit"
    """A rule fired but the count is already at the maximum (or minimum)."""
    SCALE_FAILED = "ScaleFailed"
    """The engine decided to scale and the scale set refused (quota, a protected instance, a busy set)."""
    NO_RULE_FIRED = "NoRuleFired"
    METRICS_MISSING = "MetricsMissing"
    DISABLED = "Disabled"


ACTING = frozenset({Outcome.SCALE_OUT, Outcome.SCALE_IN, Outcome.FLAPPING_OCCURRED, Outcome.MIN_MAX,
                    Outcome.DEFAULT_CAPACITY})


@dataclass(frozen=True)
class RuleReading:
    """One rule as this run saw it: the metric value, whether it fired, and the count it asked for."""

    profile: str
    index: int
    direction: ScaleDirection
    metric_name: str
    operator: ComparisonOperator
    threshold: float
    value: float | None
    fired: bool
    proposed: int | None
    cooldown_left: float = 0.0


@dataclass(frozen=True)
class Evaluation:
    """The result of one run; `target != current` means it scaled."""

    at: datetime
    profile: str
    current: int
    target: int
    outcome: Outcome
    reason: str
    readings: tuple[RuleReading, ...] = ()
    unseen: UnseenDeletes | None = None
    """Flexible VMs deleted individually that this run still counted in `current` (vector A30)."""

    @property
    def acted(self) -> bool:
        return self.target != self.current

    def to_doc(self) -> dict[str, object]:
        """What the store keeps of a run (the history `autoscale history` prints)."""
        return {"at": self.at.timestamp(), "profile": self.profile, "current": self.current, "target": self.target,
                "outcome": self.outcome.value, "reason": self.reason,
                "readings": [{"index": r.index, "direction": r.direction.value, "metric": r.metric_name,
                              "operator": r.operator.value, "threshold": r.threshold, "value": r.value,
                              "fired": r.fired, "proposed": r.proposed, "cooldown_left": r.cooldown_left}
                             for r in self.readings],
                **({"unseen": self.unseen.to_doc()} if self.unseen is not None else {})}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Evaluation":
        readings = tuple(RuleReading(str(doc.get("profile", "")), int(r["index"]), ScaleDirection(r["direction"]),
                                     str(r["metric"]), ComparisonOperator(r["operator"]), float(r["threshold"]),
                                     None if r.get("value") is None else float(r["value"]), bool(r["fired"]),
                                     r.get("proposed"), float(r.get("cooldown_left", 0.0)))
                         for r in doc.get("readings", []))
        return cls(datetime.fromtimestamp(float(doc["at"]), timezone.utc), str(doc.get("profile", "")),
                   int(doc["current"]), int(doc["target"]), Outcome(doc["outcome"]), str(doc.get("reason", "")),
                   readings, UnseenDeletes.from_doc(doc.get("unseen")))


MetricReader = Callable[[MetricTrigger], "float | None"]
"""The trigger's aggregated value now (metrics.metric_value over the stored load), None when missing."""


def evaluate(setting: AutoscaleSetting, *, now: datetime, current: int, last_scale_at: datetime | None,
             read_metric: MetricReader) -> Evaluation:
    """One engine run at `now` for a target with `current` instances."""
    profile = active_profile(setting, now)
    if not setting.enabled:
        return Evaluation(now, profile.name if profile else "", current, current, Outcome.DISABLED,
                          "autoscale is disabled")
    if profile is None:
        return Evaluation(now, "", current, current, Outcome.NO_RULE_FIRED, "no profile applies")
    capacity = profile.capacity
    if current < capacity.minimum:
        return Evaluation(now, profile.name, current, capacity.minimum, Outcome.MIN_MAX,
                          f"{current} is below the minimum {capacity.minimum} of profile '{profile.name}'")
    if current > capacity.maximum:
        return Evaluation(now, profile.name, current, capacity.maximum, Outcome.MIN_MAX,
                          f"{current} is above the maximum {capacity.maximum} of profile '{profile.name}'")
    readings = [_read(profile, index, rule, current, now, last_scale_at, read_metric)
                for index, rule in enumerate(profile.rules)]
    if not readings:
        return Evaluation(now, profile.name, current, current, Outcome.NO_RULE_FIRED,
                          f"profile '{profile.name}' has no rules")
    missing = [r for r in readings if r.value is None]
    if missing and current < capacity.default:
        return Evaluation(now, profile.name, current, capacity.default, Outcome.DEFAULT_CAPACITY,
                          f"metrics missing ({missing[0].metric_name}); {current} is below the default "
                          f"{capacity.default}", tuple(readings))
    outs = [r for r in readings if r.direction is ScaleDirection.INCREASE]
    ins = [r for r in readings if r.direction is ScaleDirection.DECREASE]
    fired_out = [r for r in outs if r.fired]
    if fired_out:
        return _scale_out(now, profile, current, fired_out, tuple(readings))
    if missing:
        return Evaluation(now, profile.name, current, current, Outcome.METRICS_MISSING,
                          f"metrics missing ({missing[0].metric_name}); autoscale does not scale in "
                          f"at or above the default {capacity.default}", tuple(readings))
    if ins and all(r.fired for r in ins):
        return _scale_in(now, profile, current, ins, outs, tuple(readings))
    return Evaluation(now, profile.name, current, current, Outcome.NO_RULE_FIRED,
                      _quiet_reason(outs, ins), tuple(readings))


def _read(profile: Profile, index: int, rule: ScaleRule, current: int, now: datetime,
          last_scale_at: datetime | None, read_metric: MetricReader) -> RuleReading:
    trigger, action = rule.metric_trigger, rule.scale_action
    value = read_metric(trigger)
    fired = value is not None and trigger.operator.holds(value, trigger.threshold)
    proposed = _apply(action, current, profile) if fired else None
    left = 0.0
    if last_scale_at is not None:
        left = max(0.0, action.cooldown - (now - last_scale_at).total_seconds())
    return RuleReading(profile.name, index, _direction(action, current), trigger.metric_name, trigger.operator,
                       trigger.threshold, value, fired, proposed, left)


def _direction(action: ScaleAction, current: int) -> ScaleDirection:
    """An ExactCount rule written with `--scale to N` has no direction: it scales out or in towards N."""
    if action.type is ScaleType.EXACT_COUNT and action.direction is ScaleDirection.NONE:
        if action.value > current:
            return ScaleDirection.INCREASE
        if action.value < current:
            return ScaleDirection.DECREASE
    return action.direction


def _apply(action: ScaleAction, current: int, profile: Profile) -> int:
    """The count one action asks for, clamped to the profile's capacity.

    PercentChangeCount rounding is not documented: up for an increase, down for a decrease, and at
    least one instance either way (docs/emulator-fidelity.md, "Autoscale").
    """
    if action.type is ScaleType.EXACT_COUNT:
        wanted = action.value
    else:
        if action.type is ScaleType.PERCENT_CHANGE_COUNT:
            exact = current * action.value / 100
            step = max(1, math.ceil(exact) if action.direction is ScaleDirection.INCREASE else math.floor(exact))
        else:
            step = action.value
        sign = 1 if action.direction is ScaleDirection.INCREASE else -1 if action.direction is ScaleDirection.DECREASE else 0
        wanted = current + sign * step
    return max(profile.capacity.minimum, min(profile.capacity.maximum, wanted))


def _scale_out(now: datetime, profile: Profile, current: int, fired: list[RuleReading],
               readings: tuple[RuleReading, ...]) -> Evaluation:
    if all((r.proposed or current) <= current for r in fired):
        return Evaluation(now, profile.name, current, current, Outcome.AT_LIMIT,
                          f"{_words(fired[0])} fired, already at the maximum {profile.capacity.maximum}", readings)
    ready = [r for r in fired if r.cooldown_left <= 0]
    if not ready:
        left = min(r.cooldown_left for r in fired)
        return Evaluation(now, profile.name, current, current, Outcome.COOLDOWN,
                          f"{_words(fired[0])} fired, cooldown has {short_duration(left)} left", readings)
    best = max(ready, key=lambda r: r.proposed or 0)
    target = best.proposed or current
    if target <= current:
        return Evaluation(now, profile.name, current, current, Outcome.AT_LIMIT,
                          f"{_words(best)} fired, already at the maximum {profile.capacity.maximum}", readings)
    others = "" if len(ready) == 1 else f" (highest of {len(ready)} rules)"
    return Evaluation(now, profile.name, current, target, Outcome.SCALE_OUT,
                      f"{_words(best)}: {current} -> {target}{others}", readings)


def _scale_in(now: datetime, profile: Profile, current: int, ins: list[RuleReading], outs: list[RuleReading],
              readings: tuple[RuleReading, ...]) -> Evaluation:
    if all((r.proposed if r.proposed is not None else current) >= current for r in ins):
        return Evaluation(now, profile.name, current, current, Outcome.AT_LIMIT,
                          f"{_words(ins[0])} fired, already at the minimum {profile.capacity.minimum}", readings)
    waiting = [r for r in ins if r.cooldown_left > 0]
    if waiting:
        left = max(r.cooldown_left for r in waiting)
        return Evaluation(now, profile.name, current, current, Outcome.COOLDOWN,
                          f"{_words(waiting[0])} fired, cooldown has {short_duration(left)} left", readings)
    best = max(ins, key=lambda r: r.proposed if r.proposed is not None else current)
    target = best.proposed if best.proposed is not None else current
    if target >= current:
        return Evaluation(now, profile.name, current, current, Outcome.AT_LIMIT,
                          f"{_words(best)} fired, already at the minimum {profile.capacity.minimum}", readings)
    for count in range(target, current):
        flapping = [r for r in outs if r.value is not None and _fires_at(r, r.value * current / count)]
        if not flapping:
            if count == target:
                return Evaluation(now, profile.name, current, target, Outcome.SCALE_IN,
                                  f"{_words(best)}: {current} -> {target}", readings)
            estimate = flapping_estimate(outs, current, target)
            return Evaluation(now, profile.name, current, count, Outcome.FLAPPING_OCCURRED,
                              f"{_words(best)}: {current} -> {count}, not {target}: {estimate}", readings)
    return Evaluation(now, profile.name, current, current, Outcome.FLAPPING,
                      f"{_words(best)} fired, scale-in skipped: {flapping_estimate(outs, current, target)}",
                      readings)


def flapping_estimate(outs: list[RuleReading], current: int, target: int) -> str:
    """The estimate in words: `Percentage CPU 25 x 3 / 2 = 37.5 would fire > 60`."""
    for reading in outs:
        if reading.value is not None and _fires_at(reading, reading.value * current / target):
            estimate = reading.value * current / target
            return (f"{reading.metric_name} {_num(reading.value)} x {current} / {target} = {_num(estimate)} "
                    f"would fire {reading.operator.symbol} {_num(reading.threshold)}")
    return "no scale-out rule would fire"


def _fires_at(reading: RuleReading, value: float) -> bool:
    return reading.operator.holds(value, reading.threshold)


def _words(reading: RuleReading) -> str:
    value = "no data" if reading.value is None else _num(reading.value)
    return f"{reading.metric_name} {value} {reading.operator.symbol} {_num(reading.threshold)}"


def _quiet_reason(outs: list[RuleReading], ins: list[RuleReading]) -> str:
    parts = [_words(r) + (" fired" if r.fired else " not met") for r in outs + ins]
    if ins and not all(r.fired for r in ins) and any(r.fired for r in ins):
        parts.append("scale-in needs every scale-in rule")
    return "; ".join(parts) or "no rules"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


# --- Which profile applies ------------------------------------------------------------------------

def active_profile(setting: AutoscaleSetting, now: datetime) -> Profile | None:
    """Fixed date first, then the most recently started recurrence, then the default profile [AS-SET]."""
    now = _aware(now)
    for profile in setting.profiles:
        window = profile.fixed_date
        if window is not None:
            zone = zone_for(window.time_zone)
            start, end = _in_zone(window.start, zone), _in_zone(window.end, zone)
            if start <= now <= end:
                return profile
    latest: tuple[datetime, Profile] | None = None
    for profile in setting.profiles:
        if profile.recurrence is not None:
            started = last_start(profile, now)
            if started is not None and (latest is None or started > latest[0]):
                latest = (started, profile)
    if latest is not None:
        return latest[1]
    for profile in setting.profiles:
        if profile.fixed_date is None and profile.recurrence is None:
            return profile
    return None


def last_start(profile: Profile, now: datetime) -> datetime | None:
    """The most recent moment at or before `now` when this weekly profile started, in UTC."""
    recurrence = profile.recurrence
    if recurrence is None:
        return None
    zone = zone_for(recurrence.time_zone)
    local_now = _aware(now).astimezone(zone)
    days = {_DAYS.index(d.capitalize()) for d in recurrence.days if d.capitalize() in _DAYS}
    best: datetime | None = None
    for back in range(8):
        day = (local_now - timedelta(days=back)).date()
        if day.weekday() not in days:
            continue
        for hour in recurrence.hours or (0,):
            for minute in recurrence.minutes or (0,):
                start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                if start <= local_now and (best is None or start > best):
                    best = start
        if best is not None:
            break
    return best.astimezone(timezone.utc) if best is not None else None


@lru_cache(maxsize=64)
def zone_for(name: str | None) -> tzinfo:
    """A time zone from the Windows name Azure uses ("Pacific Standard Time") or an IANA name; UTC when absent."""
    if not name or name.strip().upper() in ("UTC", "COORDINATED UNIVERSAL TIME", "GMT"):
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # ~70 ms: only settings with a time zone pay it

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    from tzlocal.windows_tz import win_tz  # Azure autoscale names Windows time zones [AS-API timeZone]
    iana = win_tz.get(name)
    if iana is None:
        raise ValueError(name)
    return ZoneInfo(iana)


def _in_zone(moment: datetime, zone: tzinfo) -> datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
