"""az's autoscale grammar, so an operator's habits carry over (seed-features.md §A.5 [CLI-AS], [CLI-ACT]).

- `--condition "["NAMESPACE"] METRIC {==,!=,>,>=,<,<=} THRESHOLD {avg,min,max,total,count} PERIOD
  [where DIMENSION {==,!=} VALUE [or VALUE ...] [and ...]]`
- `--scale {in,out,to} VALUE[%]`: `to` is ExactCount, a `%` suffix PercentChangeCount, else ChangeCount.
- `--timegrain "{avg,min,max,sum} PERIOD"` (default `avg 1m`), `--cooldown MINUTES` (default 5).
- PERIOD is az's shorthand (`5m`, `1h`, `1d`, `1h30m`, `30s`; `m` is minutes) or an ISO 8601 duration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import refused_input
from .durations import parse_duration
from .model import ComparisonOperator, MetricStatistic, ScaleDirection, ScaleType, TimeAggregation

_OPERATORS = {"==": ComparisonOperator.EQUALS, "!=": ComparisonOperator.NOT_EQUALS,
              ">": ComparisonOperator.GREATER_THAN, ">=": ComparisonOperator.GREATER_THAN_OR_EQUAL,
              "<": ComparisonOperator.LESS_THAN, "<=": ComparisonOperator.LESS_THAN_OR_EQUAL}
_AGGREGATIONS = {"avg": TimeAggregation.AVERAGE, "min": TimeAggregation.MINIMUM, "max": TimeAggregation.MAXIMUM,
                 "total": TimeAggregation.TOTAL, "count": TimeAggregation.COUNT}
_STATISTICS = {"avg": MetricStatistic.AVERAGE, "min": MetricStatistic.MIN, "max": MetricStatistic.MAX,
               "sum": MetricStatistic.SUM}
AGGREGATION_WORDS = {value: key for key, value in _AGGREGATIONS.items()}
STATISTIC_WORDS = {value: key for key, value in _STATISTICS.items()}

_CONDITION = re.compile(
    r'\s*(?:"(?P<namespace>[^"]+)"\s+)?(?P<metric>"[^"]+"|[^<>=!"]+?)\s*(?P<op>==|!=|>=|<=|>|<)\s*'
    r'(?P<threshold>-?\d+(?:\.\d+)?)\s+(?P<agg>\w+)\s+(?P<period>\S+)(?:\s+where\s+(?P<where>.+?))?\s*')
_SHORTHAND = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")


@dataclass(frozen=True)
class Condition:
    metric_name: str
    operator: ComparisonOperator
    threshold: float
    time_aggregation: TimeAggregation
    time_window: float
    metric_namespace: str | None = None
    dimensions: tuple[dict[str, object], ...] = ()


def parse_period(text: str, *, field: str = "period") -> float:
    """az's PERIOD: `5m`, `1h`, `1d`, `1h30m`, `30s`, or ISO 8601 (`PT5M`) -> seconds."""
    raw = text.strip().lower()
    if raw.startswith("p"):
        return parse_duration(text, field=field)
    match = _SHORTHAND.fullmatch(raw)
    if not raw or match is None or not any(match.groupdict().values()):
        raise refused_input(f"'{text}' is not a period: use 5m, 1h, 1d, 1h30m or an ISO 8601 duration.",
                               target=field)
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def parse_condition(text: str) -> Condition:
    """`Percentage CPU > 50 avg 5m` -> Condition; a one-line error naming the grammar otherwise."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise refused_input(f"'{text}' is not a condition: use METRIC {{==,!=,>,>=,<,<=}} THRESHOLD "
                               "{avg,min,max,total,count} PERIOD, e.g. \"Percentage CPU > 50 avg 5m\".",
                               target="condition")
    aggregation = _AGGREGATIONS.get(match["agg"].lower())
    if aggregation is None:
        raise refused_input(f"'{match['agg']}' is not an aggregation: use avg, min, max, total or count.",
                               target="condition")
    dimensions = _parse_where(match["where"]) if match["where"] else ()
    return Condition(match["metric"].strip().strip('"'), _OPERATORS[match["op"]], float(match["threshold"]),
                     aggregation, parse_period(match["period"], field="condition"), match["namespace"], dimensions)


def _parse_where(text: str) -> tuple[dict[str, object], ...]:
    dimensions = []
    for clause in re.split(r"\s+and\s+", text.strip()):
        match = re.fullmatch(r"\s*(?P<name>[^=!]+?)\s*(?P<op>==|!=)\s*(?P<values>.+?)\s*", clause)
        if match is None:
            raise refused_input(f"'{clause}' is not a dimension filter: use DIMENSION == VALUE [or VALUE].",
                                   target="condition")
        values = [v.strip() for v in re.split(r"\s+or\s+", match["values"])]
        dimensions.append({"DimensionName": match["name"],
                           "Operator": "Equals" if match["op"] == "==" else "NotEquals", "Values": values})
    return tuple(dimensions)


def parse_scale(words: list[str] | str) -> tuple[ScaleDirection, ScaleType, int]:
    """`out 1` / `in 10%` / `to 5` -> (direction, type, value), as az's AutoscaleScaleAction does."""
    tokens = words.split() if isinstance(words, str) else list(words)
    if len(tokens) != 2 or tokens[0].lower() not in ("in", "out", "to"):
        raise refused_input("usage error: --scale {in,out,to} VALUE[%]", target="scale")
    direction_word, value_text = tokens[0].lower(), tokens[1]
    percent = value_text.endswith("%")
    digits = value_text[:-1] if percent else value_text
    if not digits.isdigit() or int(digits) < 1:
        raise refused_input(f"The scale value '{value_text}' must be a whole number, 1 or greater.",
                               target="scale")
    if direction_word == "to":
        return ScaleDirection.NONE, ScaleType.EXACT_COUNT, int(digits)
    direction = ScaleDirection.INCREASE if direction_word == "out" else ScaleDirection.DECREASE
    return direction, ScaleType.PERCENT_CHANGE_COUNT if percent else ScaleType.CHANGE_COUNT, int(digits)


def parse_timegrain(text: str) -> tuple[MetricStatistic, float]:
    """`avg 1m` -> (Average, 60): the statistic across instances and the grain."""
    tokens = text.split()
    if len(tokens) != 2 or tokens[0].lower() not in _STATISTICS:
        raise refused_input(f"'{text}' is not a time grain: use {{avg,min,max,sum}} PERIOD, e.g. \"avg 1m\".",
                               target="timegrain")
    return _STATISTICS[tokens[0].lower()], parse_period(tokens[1], field="timegrain")
