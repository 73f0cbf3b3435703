"""A metric trigger's value from per-instance samples, aggregated as the trigger says.

Azure samples the metric at `time_grain`, combines the instances of each grain with `statistic`
(`Average` across instances for `Percentage CPU`), then combines the grains inside `time_window` with
`time_aggregation` ("ten 1-minute averages over PT10M, averaged"). Sources: seed-features.md §A.2.4
[AS-SET table], [AS-BP]. A window with no samples at all is "metrics missing" (None), which the engine
answers with the default capacity (§A.2.10).
"""

from __future__ import annotations

from statistics import fmean
from typing import Mapping, Sequence

from .model import MetricStatistic, MetricTrigger, TimeAggregation

METRIC_INTERVALS = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D")
"""The intervals Azure Monitor answers platform metrics at (`supportedTimeGrainTypes`): the endpoint,
the live adapter and the `metrics` command accept these and no other."""

Samples = Mapping[str, Sequence[tuple[float, float]]]
"""Per instance id, its (epoch seconds, value) points, oldest first: what the load model produced."""


def grain_values(trigger: MetricTrigger, samples: Samples, now: float) -> list[tuple[float, float]]:
    """(grain start, value) for each grain of the window that has any sample, oldest first."""
    grain = trigger.time_grain
    start = now - trigger.time_window
    per_grain: dict[float, dict[str, list[float]]] = {}
    for instance, points in samples.items():
        for at, value in points:
            if start <= at < now:
                bucket = start + ((at - start) // grain) * grain
                per_grain.setdefault(bucket, {}).setdefault(instance, []).append(value)
    result: list[tuple[float, float]] = []
    for bucket in sorted(per_grain):
        by_instance = per_grain[bucket]
        if trigger.statistic is MetricStatistic.COUNT:
            result.append((bucket, float(sum(len(values) for values in by_instance.values()))))
            continue
        per_instance = [fmean(values) for values in by_instance.values()]
        combined = {
            MetricStatistic.AVERAGE: fmean, MetricStatistic.MIN: min,
            MetricStatistic.MAX: max, MetricStatistic.SUM: sum,
        }[trigger.statistic](per_instance)
        result.append((bucket, float(combined)))
    return result


def metric_value(trigger: MetricTrigger, samples: Samples, now: float, instance_count: int) -> float | None:
    """The one number the rule compares with its threshold, or None when the window holds no sample."""
    grains = [value for _at, value in grain_values(trigger, samples, now)]
    if not grains:
        return None
    value = {
        TimeAggregation.AVERAGE: fmean, TimeAggregation.MINIMUM: min, TimeAggregation.MAXIMUM: max,
        TimeAggregation.TOTAL: sum, TimeAggregation.COUNT: len, TimeAggregation.LAST: lambda v: v[-1],
    }[trigger.time_aggregation](grains)
    if trigger.divide_per_instance and instance_count > 0:
        value = value / instance_count  # queue-type metrics: 50 messages on 2 instances is 25 each [AS-BP]
    return float(value)
