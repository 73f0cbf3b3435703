"""An autoscale setting's shape (api-version 2022-10-01), as frozen values.

Field names follow the ARM schema in snake_case; durations are seconds, capacities ints (ARM keeps
them as strings; the codec converts). Sources: seed-features.md §A.1 [AS-API].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class MetricStatistic(StrEnum):
    """How one time grain's values of several instances are combined."""

    AVERAGE = "Average"
    MIN = "Min"
    MAX = "Max"
    SUM = "Sum"
    COUNT = "Count"


class TimeAggregation(StrEnum):
    """How the time grains inside the time window are combined."""

    AVERAGE = "Average"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"
    TOTAL = "Total"
    COUNT = "Count"
    LAST = "Last"


class ComparisonOperator(StrEnum):
    EQUALS = "Equals"
    NOT_EQUALS = "NotEquals"
    GREATER_THAN = "GreaterThan"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqual"
    LESS_THAN = "LessThan"
    LESS_THAN_OR_EQUAL = "LessThanOrEqual"

    def holds(self, value: float, threshold: float) -> bool:
        """Whether `value <op> threshold`: the rule fires."""
        return {
            "Equals": value == threshold, "NotEquals": value != threshold,
            "GreaterThan": value > threshold, "GreaterThanOrEqual": value >= threshold,
            "LessThan": value < threshold, "LessThanOrEqual": value <= threshold,
        }[self.value]

    @property
    def symbol(self) -> str:
        return {"Equals": "==", "NotEquals": "!=", "GreaterThan": ">", "GreaterThanOrEqual": ">=",
                "LessThan": "<", "LessThanOrEqual": "<="}[self.value]


class ScaleDirection(StrEnum):
    NONE = "None"
    INCREASE = "Increase"
    DECREASE = "Decrease"


class ScaleType(StrEnum):
    CHANGE_COUNT = "ChangeCount"
    PERCENT_CHANGE_COUNT = "PercentChangeCount"
    EXACT_COUNT = "ExactCount"
    SERVICE_ALLOWED_NEXT_VALUE = "ServiceAllowedNextValue"


@dataclass(frozen=True)
class MetricTrigger:
    """What a rule watches: `metric_name` of `metric_resource_uri`, sampled and aggregated as below."""

    metric_name: str
    metric_resource_uri: str
    time_grain: float
    statistic: MetricStatistic
    time_window: float
    time_aggregation: TimeAggregation
    operator: ComparisonOperator
    threshold: float
    metric_namespace: str | None = None
    metric_resource_location: str | None = None
    divide_per_instance: bool = False
    dimensions: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True)
class ScaleAction:
    direction: ScaleDirection
    type: ScaleType
    value: int
    cooldown: float


@dataclass(frozen=True)
class ScaleRule:
    metric_trigger: MetricTrigger
    scale_action: ScaleAction


@dataclass(frozen=True)
class Capacity:
    minimum: int
    maximum: int
    default: int


@dataclass(frozen=True)
class FixedDate:
    """A one-off window; naive datetimes are read in `time_zone` (UTC when absent)."""

    start: datetime
    end: datetime
    time_zone: str | None = None


@dataclass(frozen=True)
class Recurrence:
    """A weekly start (ARM allows only `Week`): the profile runs from each start until the next profile starts."""

    time_zone: str
    days: tuple[str, ...]
    hours: tuple[int, ...]
    minutes: tuple[int, ...]
    frequency: str = "Week"


@dataclass(frozen=True)
class Profile:
    name: str
    capacity: Capacity
    rules: tuple[ScaleRule, ...] = ()
    fixed_date: FixedDate | None = None
    recurrence: Recurrence | None = None

    @property
    def kind(self) -> str:
        """`fixed date`, `recurrence` or `default`: the order in which the engine looks for the one that applies."""
        if self.fixed_date is not None:
            return "fixed date"
        if self.recurrence is not None:
            return "recurrence"
        return "default"


@dataclass(frozen=True)
class AutoscaleSetting:
    name: str
    target_resource_uri: str
    profiles: tuple[Profile, ...]
    location: str = ""
    enabled: bool = True
    notifications: tuple[dict[str, object], ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    target_resource_location: str | None = None
    resource_group: str = ""
    """The group the setting itself lives in (it may differ from the target's)."""

    @property
    def target(self) -> tuple[str, str] | None:
        """(resource group, scale set name) of the target when it is a scale set, else None."""
        parts = self.target_resource_uri.strip("/").split("/")
        lowered = [p.lower() for p in parts]
        if (len(parts) == 8 and lowered[0] == "subscriptions" and lowered[2] == "resourcegroups"
                and lowered[4] == "providers" and lowered[5] == "microsoft.compute"
                and lowered[6] == "virtualmachinescalesets"):
            return parts[3], parts[7]
        return None
