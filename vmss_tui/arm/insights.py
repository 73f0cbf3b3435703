"""Microsoft.Insights/autoscaleSettings as ARM JSON (api-version 2022-10-01) <-> domain.autoscale values.

The one serializer for autoscale settings: the endpoint, the adapter and `-o json` use it. Loading
validates as Azure does (seed-features.md §A.1 [AS-API]): required fields, at most 20 profiles and
10 rules each, one default profile, the duration bounds, `Week` recurrences, capacity strings that
are whole numbers with minimum <= default <= maximum. Azure's validation code is not documented; the
emulator answers 400 `BadRequest` (docs/emulator-fidelity.md, "Autoscale").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from ..domain.autoscale.durations import format_duration, parse_duration
from ..domain.autoscale.model import (
    AutoscaleSetting, Capacity, ComparisonOperator, FixedDate, MetricStatistic, MetricTrigger, Profile,
    Recurrence, ScaleAction, ScaleDirection, ScaleRule, ScaleType, TimeAggregation,
)
from ..domain.errors import AzureError

RESOURCE_TYPE = "Microsoft.Insights/autoscaleSettings"
MAX_PROFILES = 20
MAX_RULES = 10
MAX_TAGS = 15
_MINUTE, _HOUR, _WEEK = 60.0, 3600.0, 604800.0
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class AutoscaleBadRequest(AzureError):
    """400 for a setting Azure's schema refuses."""

    code = "BadRequest"
    http_status = 400


def setting_id(subscription_id: str, resource_group: str, name: str) -> str:
    """Azure writes the provider segment in lower case in these ids [AS-API examples]."""
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/microsoft.insights/autoscalesettings/{name}")


def setting_from_arm(body: Mapping[str, Any], *, name: str, resource_group: str = "") -> AutoscaleSetting:
    """A PUT body (or a stored resource) -> AutoscaleSetting, refusing what Azure's schema refuses."""
    if not isinstance(body, Mapping):
        raise _bad("The request body must be a JSON object.")
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise _bad("The 'location' property is required.", "location")
    properties = body.get("properties")
    if not isinstance(properties, Mapping):
        raise _bad("The 'properties' property is required.", "properties")
    tags = _tags(body.get("tags"))
    profiles_json = properties.get("profiles")
    if not isinstance(profiles_json, list):
        raise _bad("The 'properties.profiles' property is required.", "properties.profiles")
    if len(profiles_json) > MAX_PROFILES:
        raise _bad(f"An autoscale setting can have at most {MAX_PROFILES} profiles; "
                   f"this one has {len(profiles_json)}.", "properties.profiles")
    profiles = tuple(_profile(p, i) for i, p in enumerate(profiles_json))
    defaults = [p.name for p in profiles if p.fixed_date is None and p.recurrence is None]
    if len(defaults) > 1:
        raise _bad(f"Only one default profile is allowed; found {len(defaults)}: {', '.join(defaults)}.",
                   "properties.profiles")
    target = properties.get("targetResourceUri")
    if not isinstance(target, str) or not target:
        raise _bad("The 'properties.targetResourceUri' property is required.", "properties.targetResourceUri")
    enabled = properties.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _bad("The 'properties.enabled' property must be true or false.", "properties.enabled")
    notifications = properties.get("notifications") or []
    if not isinstance(notifications, list) or not all(isinstance(n, Mapping) for n in notifications):
        raise _bad("The 'properties.notifications' property must be a list of objects.", "properties.notifications")
    for index, notification in enumerate(notifications):
        if str(notification.get("operation", "")).lower() != "scale":  # az sends "scale"; Azure stores "Scale"
            raise _bad("A notification's 'operation' must be 'Scale'.", f"properties.notifications[{index}].operation")
    notifications = [{**n, "operation": "Scale"} for n in notifications]
    target_location = properties.get("targetResourceLocation")
    return AutoscaleSetting(name=name, target_resource_uri=target, profiles=profiles, location=location,
                            enabled=enabled, notifications=tuple(dict(n) for n in notifications), tags=tags,
                            target_resource_location=target_location if isinstance(target_location, str) else None,
                            resource_group=resource_group)


def setting_to_arm(setting: AutoscaleSetting, *, resource_id: str) -> dict[str, Any]:
    """The resource as GET returns it."""
    properties: dict[str, Any] = {
        "profiles": [_profile_json(p) for p in setting.profiles],
        "notifications": [dict(n) for n in setting.notifications],
        "enabled": setting.enabled,
        "predictiveAutoscalePolicy": {"scaleMode": "Disabled"},
        "name": setting.name,
        "targetResourceUri": setting.target_resource_uri,
    }
    if setting.target_resource_location:
        properties["targetResourceLocation"] = setting.target_resource_location
    return {"id": resource_id, "name": setting.name, "type": RESOURCE_TYPE, "location": setting.location,
            "tags": dict(setting.tags), "properties": properties}


# --- loading --------------------------------------------------------------------------------------

def _profile(raw: Any, index: int) -> Profile:
    where = f"properties.profiles[{index}]"
    if not isinstance(raw, Mapping):
        raise _bad("A profile must be a JSON object.", where)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise _bad("A profile's 'name' is required.", f"{where}.name")
    capacity = _capacity(raw.get("capacity"), f"{where}.capacity")
    rules_json = raw.get("rules")
    if not isinstance(rules_json, list):
        raise _bad(f"Profile '{name}' needs 'rules' (an empty list is allowed).", f"{where}.rules")
    if len(rules_json) > MAX_RULES:
        raise _bad(f"Profile '{name}' has {len(rules_json)} rules; a profile can have at most {MAX_RULES}.",
                   f"{where}.rules")
    rules = tuple(_rule(r, f"{where}.rules[{i}]") for i, r in enumerate(rules_json))
    fixed = raw.get("fixedDate")
    recurrence = raw.get("recurrence")
    return Profile(name, capacity, rules,
                   _fixed_date(fixed, f"{where}.fixedDate") if fixed is not None else None,
                   _recurrence(recurrence, f"{where}.recurrence") if recurrence is not None and fixed is None else None)


def _capacity(raw: Any, where: str) -> Capacity:
    if not isinstance(raw, Mapping):
        raise _bad("A profile's 'capacity' with minimum, maximum and default is required.", where)
    values = {}
    for key in ("minimum", "maximum", "default"):
        text = raw.get(key)
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str) or not text.strip().isdigit():
            raise _bad(f"The capacity '{key}' must be a whole number written as a string, such as \"1\".",
                       f"{where}.{key}")
        values[key] = int(text)
    if values["minimum"] > values["maximum"]:
        raise _bad(f"The minimum capacity {values['minimum']} is above the maximum {values['maximum']}.", where)
    if not values["minimum"] <= values["default"] <= values["maximum"]:
        raise _bad(f"The default capacity {values['default']} must be between the minimum {values['minimum']} "
                   f"and the maximum {values['maximum']}.", f"{where}.default")
    return Capacity(values["minimum"], values["maximum"], values["default"])


def _rule(raw: Any, where: str) -> ScaleRule:
    if not isinstance(raw, Mapping):
        raise _bad("A rule must be a JSON object with metricTrigger and scaleAction.", where)
    trigger = raw.get("metricTrigger")
    action = raw.get("scaleAction")
    if not isinstance(trigger, Mapping):
        raise _bad("A rule's 'metricTrigger' is required.", f"{where}.metricTrigger")
    if not isinstance(action, Mapping):
        raise _bad("A rule's 'scaleAction' is required.", f"{where}.scaleAction")
    return ScaleRule(_trigger(trigger, f"{where}.metricTrigger"), _action(action, f"{where}.scaleAction"))


def _trigger(raw: Mapping[str, Any], where: str) -> MetricTrigger:
    for key in ("metricName", "metricResourceUri", "timeGrain", "statistic", "timeWindow", "operator", "threshold"):
        if raw.get(key) in (None, ""):
            raise _bad(f"The metric trigger's '{key}' is required.", f"{where}.{key}")
    grain = _bounded(raw["timeGrain"], f"{where}.timeGrain", _MINUTE, 12 * _HOUR, "between 1 minute and 12 hours")
    window = _bounded(raw["timeWindow"], f"{where}.timeWindow", 5 * _MINUTE, 12 * _HOUR,
                      "between 5 minutes and 12 hours")
    threshold = raw["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise _bad("The metric trigger's 'threshold' must be a number.", f"{where}.threshold")
    dimensions = raw.get("dimensions") or []
    if not isinstance(dimensions, list):
        raise _bad("The metric trigger's 'dimensions' must be a list.", f"{where}.dimensions")
    return MetricTrigger(
        metric_name=str(raw["metricName"]), metric_resource_uri=str(raw["metricResourceUri"]),
        time_grain=grain, statistic=_enum(MetricStatistic, raw["statistic"], f"{where}.statistic"),
        time_window=window,
        time_aggregation=_enum(TimeAggregation, raw.get("timeAggregation") or "Average", f"{where}.timeAggregation"),
        operator=_enum(ComparisonOperator, raw["operator"], f"{where}.operator"), threshold=float(threshold),
        metric_namespace=raw.get("metricNamespace") or None,
        metric_resource_location=raw.get("metricResourceLocation") or None,
        divide_per_instance=bool(raw.get("dividePerInstance", False)),
        dimensions=tuple(dict(d) for d in dimensions if isinstance(d, Mapping)))


def _action(raw: Mapping[str, Any], where: str) -> ScaleAction:
    for key in ("direction", "type", "cooldown"):
        if raw.get(key) in (None, ""):
            raise _bad(f"The scale action's '{key}' is required.", f"{where}.{key}")
    value_text = raw.get("value", "1")
    if isinstance(value_text, int) and not isinstance(value_text, bool):
        value_text = str(value_text)
    if not isinstance(value_text, str) or not value_text.strip().isdigit() or int(value_text) < 1:
        raise _bad("The scale action's 'value' must be 1 or greater.", f"{where}.value")
    return ScaleAction(_enum(ScaleDirection, raw["direction"], f"{where}.direction"),
                       _enum(ScaleType, raw["type"], f"{where}.type"), int(value_text),
                       _bounded(raw["cooldown"], f"{where}.cooldown", _MINUTE, _WEEK, "between 1 minute and 1 week"))


def _fixed_date(raw: Any, where: str) -> FixedDate:
    if not isinstance(raw, Mapping):
        raise _bad("'fixedDate' must be an object with start and end.", where)
    start, end = _datetime(raw.get("start"), f"{where}.start"), _datetime(raw.get("end"), f"{where}.end")
    if end <= start:
        raise _bad("The fixed date's 'end' must be after its 'start'.", f"{where}.end")
    return FixedDate(start, end, raw.get("timeZone") or None)


def _recurrence(raw: Any, where: str) -> Recurrence:
    if not isinstance(raw, Mapping):
        raise _bad("'recurrence' must be an object with frequency and schedule.", where)
    if raw.get("frequency") != "Week":
        raise _bad("A recurrence's 'frequency' must be 'Week'.", f"{where}.frequency")
    schedule = raw.get("schedule")
    if not isinstance(schedule, Mapping):
        raise _bad("A recurrence's 'schedule' is required.", f"{where}.schedule")
    days = schedule.get("days")
    hours = schedule.get("hours")
    minutes = schedule.get("minutes")
    zone = schedule.get("timeZone")
    if not isinstance(zone, str) or not zone:
        raise _bad("A recurrence's 'timeZone' is required.", f"{where}.schedule.timeZone")
    from ..domain.autoscale.engine import zone_for
    try:
        zone_for(zone)
    except ValueError:
        raise _bad(f"'{zone}' is not a time zone Azure knows.", f"{where}.schedule.timeZone") from None
    if not isinstance(days, list) or not days or any(str(d).capitalize() not in _DAYS for d in days):
        raise _bad("A recurrence's 'days' must name days of the week.", f"{where}.schedule.days")
    if (not isinstance(hours, list) or not hours
            or any(not isinstance(h, int) or isinstance(h, bool) or not 0 <= h <= 23 for h in hours)):
        raise _bad("A recurrence's 'hours' must be whole hours 0-23.", f"{where}.schedule.hours")
    if (not isinstance(minutes, list) or not minutes
            or any(not isinstance(m, int) or isinstance(m, bool) or not 0 <= m <= 59 for m in minutes)):
        raise _bad("A recurrence's 'minutes' must be whole minutes 0-59.", f"{where}.schedule.minutes")
    return Recurrence(zone, tuple(str(d).capitalize() for d in days), tuple(hours), tuple(minutes))


def _datetime(raw: Any, where: str) -> datetime:
    if not isinstance(raw, str):
        raise _bad("A date-time such as 2026-12-24T00:00:00Z is required.", where)
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"'{raw}' is not a date-time such as 2026-12-24T00:00:00Z.", where) from None


def _bounded(raw: Any, where: str, low: float, high: float, words: str) -> float:
    try:
        seconds = parse_duration(raw, field=where)
    except AzureError as exc:
        raise _bad(exc.message, where) from None
    if not low <= seconds <= high:
        raise _bad(f"'{raw}' is out of range: {where.rsplit('.', 1)[-1]} must be {words}.", where)
    return seconds


def _enum(kind: Any, raw: Any, where: str) -> Any:
    for member in kind:
        if isinstance(raw, str) and raw.lower() == member.value.lower():
            return member
    allowed = ", ".join(m.value for m in kind)
    raise _bad(f"'{raw}' is not allowed for {where.rsplit('.', 1)[-1]}; use one of: {allowed}.", where)


def _tags(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise _bad("'tags' must be an object of strings.", "tags")
    if len(raw) > MAX_TAGS:
        raise _bad(f"At most {MAX_TAGS} tags are allowed; found {len(raw)}.", "tags")
    for key, value in raw.items():
        if len(key) > 128 or len(value) > 256:
            raise _bad("A tag name can have at most 128 characters and a value at most 256.", "tags")
    return dict(raw)


def _bad(message: str, target: str | None = None) -> AutoscaleBadRequest:
    return AutoscaleBadRequest(message, target=target)


# --- dumping --------------------------------------------------------------------------------------

def _profile_json(profile: Profile) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": profile.name,
        "capacity": {"minimum": str(profile.capacity.minimum), "maximum": str(profile.capacity.maximum),
                     "default": str(profile.capacity.default)},
        "rules": [_rule_json(rule) for rule in profile.rules],
    }
    if profile.fixed_date is not None:
        window = profile.fixed_date
        body["fixedDate"] = {"timeZone": window.time_zone or "UTC", "start": _iso(window.start), "end": _iso(window.end)}
    if profile.recurrence is not None:
        rec = profile.recurrence
        body["recurrence"] = {"frequency": rec.frequency, "schedule": {
            "timeZone": rec.time_zone, "days": list(rec.days), "hours": list(rec.hours), "minutes": list(rec.minutes)}}
    return body


def _rule_json(rule: ScaleRule) -> dict[str, Any]:
    trigger, action = rule.metric_trigger, rule.scale_action
    metric: dict[str, Any] = {
        "metricName": trigger.metric_name,
        "metricNamespace": trigger.metric_namespace or "",
        "metricResourceUri": trigger.metric_resource_uri,
        "timeGrain": format_duration(trigger.time_grain),
        "statistic": trigger.statistic.value,
        "timeWindow": format_duration(trigger.time_window),
        "timeAggregation": trigger.time_aggregation.value,
        "operator": trigger.operator.value,
        "threshold": trigger.threshold,
        "dimensions": [dict(d) for d in trigger.dimensions],
        "dividePerInstance": trigger.divide_per_instance,
    }
    if trigger.metric_resource_location:
        metric["metricResourceLocation"] = trigger.metric_resource_location
    return {"metricTrigger": metric, "scaleAction": {
        "direction": action.direction.value, "type": action.type.value, "value": str(action.value),
        "cooldown": format_duration(action.cooldown)}}


def _iso(moment: datetime) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z") if moment.tzinfo is not None else text
