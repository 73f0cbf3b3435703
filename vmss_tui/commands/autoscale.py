"""Autoscale, metrics and simulated load, in az's grammar so an operator's habits carry over.

`autoscale create|show|update|enable|disable|delete|history|simulate`, `autoscale rule create|list|
delete`, `autoscale profile create|list|delete`, `metrics`, `load`. Settings are looked up by the
scale set they target (as the portal's "Scaling" blade does); `-o json` prints the setting as
`az monitor autoscale show` does. Rules written with `--condition` and `--scale` become the JSON az
builds (seed-features.md §A.5); a change is a read-modify-PUT of the whole setting, as az does.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from typing import TYPE_CHECKING

from ..backends.protocol import Autoscale, LoadSimulation
from ..domain.autoscale.durations import format_duration, short_duration
from ..domain.autoscale.load import METRIC_NAMES, PERCENTAGE_CPU, Load, Spike, parse_pattern, parse_short_duration
from ..domain.autoscale.model import AutoscaleSetting, ScaleDirection
from ..domain.errors import InvalidParameter, OperationNotAllowed, ResourceNotFound, refused_input
from ..domain.text import escape_control
from . import formatting as fmt
from .parser import UsageError
from .session import Invocation, Result
from .spec import CommandSpec, ParamSpec

if TYPE_CHECKING:
    from ..domain.autoscale.engine import Evaluation
    from ..domain.autoscale.observed import UnseenDeletes

SET = ParamSpec("set", "Scale-set name (may be omitted after `use <set>`).", required=True, completion="sets")
PROFILE = ParamSpec("profile_name", "Profile (default: the default profile).", flags=("--profile-name",),
                    metavar="PROFILE")
DEFAULT_PROFILE_NAME = "default"
"""az's name for the profile `autoscale create` makes (DEFAULT_PROFILE_NAME in azure-cli)."""


def _autoscale(inv: Invocation) -> Autoscale:
    backend = inv.backend
    if not isinstance(backend, Autoscale):
        raise OperationNotAllowed(f"The {type(backend).__name__} backend has no autoscale operations.")
    return backend


def _load_backend(inv: Invocation) -> LoadSimulation:
    backend = inv.backend
    if not isinstance(backend, LoadSimulation):
        raise OperationNotAllowed("Simulated load exists only in the emulator: on Azure the load is real.")
    return backend


def _setting_of_set(inv: Invocation) -> AutoscaleSetting:
    group, name = inv.group_and_name
    setting = _autoscale(inv).autoscale_setting_for(group, name)
    if setting is None:
        raise ResourceNotFound(f"Scale set '{name}' has no autoscale setting. Create one with: "
                               f"autoscale create {name} --min-count N --max-count N --count N", target=name)
    return setting


def setting_json(inv: Invocation, setting: AutoscaleSetting) -> dict[str, Any]:
    """A setting as `az monitor autoscale show` prints it."""
    from ..arm.flatten import az_shape
    from ..arm.insights import setting_id, setting_to_arm
    subscription = inv.backend.info().subscription_id
    return az_shape(setting_to_arm(setting, resource_id=setting_id(subscription, setting.resource_group,
                                                                    setting.name)))


def _put(inv: Invocation, setting: AutoscaleSetting, body: dict[str, Any]) -> AutoscaleSetting:
    stored, _created = _autoscale(inv).put_autoscale_setting(setting.resource_group, setting.name, body)
    return stored


def _arm(inv: Invocation, setting: AutoscaleSetting) -> dict[str, Any]:
    from ..arm.insights import setting_id, setting_to_arm
    return setting_to_arm(setting, resource_id=setting_id(inv.backend.info().subscription_id,
                                                          setting.resource_group, setting.name))


def _default_profile(body: dict[str, Any], name: str | None) -> dict[str, Any]:
    profiles = body["properties"]["profiles"]
    wanted = name or DEFAULT_PROFILE_NAME
    for profile in profiles:
        if profile["name"] == wanted:
            return profile
    if name is None:
        for profile in profiles:
            if "fixedDate" not in profile and "recurrence" not in profile:
                return profile
    raise ResourceNotFound(f"Profile '{wanted}' does not exist; profiles: "
                           + ", ".join(p["name"] for p in profiles) + ".", target="profile")


# --- tables -------------------------------------------------------------------------------

def _setting_table(data: Any) -> str:
    lines = [f"Name     {data['name']}   enabled: {data['enabled']}   target: {data['targetResourceUri'].split('/')[-1]}"]
    for profile in data["profiles"]:
        capacity = profile["capacity"]
        when = ""
        if profile.get("fixedDate"):
            when = f" from {profile['fixedDate']['start']} to {profile['fixedDate']['end']}"
        elif profile.get("recurrence"):
            schedule = profile["recurrence"]["schedule"]
            when = (f" every {'/'.join(d[:3] for d in schedule['days'])} at "
                    f"{schedule['hours'][0]:02d}:{schedule['minutes'][0]:02d} ({schedule['timeZone']})")
        lines.append(f"Profile  {profile['name']}{when}: min {capacity['minimum']}, max {capacity['maximum']}, "
                     f"default {capacity['default']}")
        for index, rule in enumerate(profile["rules"]):
            lines.append(f"  [{index}] {rule_words(rule)}")
        if not profile["rules"]:
            lines.append("  (no rules: add one with autoscale rule create)")
    return "\n".join(escape_control(line) for line in lines)


def rule_words(rule: dict[str, Any]) -> str:
    """`Percentage CPU > 50 avg 5m (avg 1m) -> out 1, cooldown 5m`: a rule as az's grammar writes it."""
    from ..domain.autoscale.grammar import AGGREGATION_WORDS
    trigger, action = rule["metricTrigger"], rule["scaleAction"]
    from ..domain.autoscale.durations import parse_duration
    from ..domain.autoscale.model import ComparisonOperator, TimeAggregation
    operator = ComparisonOperator(trigger["operator"]).symbol
    aggregation = AGGREGATION_WORDS.get(TimeAggregation(trigger["timeAggregation"]), trigger["timeAggregation"])
    window = short_duration(parse_duration(trigger["timeWindow"]))
    grain = short_duration(parse_duration(trigger["timeGrain"]))
    statistic = {"Average": "avg", "Min": "min", "Max": "max", "Sum": "sum"}.get(trigger["statistic"], trigger["statistic"])
    threshold = trigger["threshold"]
    threshold_text = str(int(threshold)) if float(threshold).is_integer() else str(threshold)
    if action["type"] == "ExactCount":
        scale = f"to {action['value']}"
    else:
        scale = ("out " if action["direction"] == "Increase" else "in ") + str(action["value"]) + (
            "%" if action["type"] == "PercentChangeCount" else "")
    cooldown = short_duration(parse_duration(action["cooldown"]))
    return (f"{trigger['metricName']} {operator} {threshold_text} {aggregation} {window} ({statistic} {grain}) "
            f"-> scale {scale}, cooldown {cooldown}")


def setting_rule_words(setting: AutoscaleSetting) -> list[tuple[str, int, str]]:
    """(profile, index, words) for every rule of every profile, worded as `autoscale show` words them."""
    from ..arm.insights import setting_to_arm
    body = setting_to_arm(setting, resource_id="")
    return [(profile["name"], index, rule_words(rule)) for profile in body["properties"]["profiles"]
            for index, rule in enumerate(profile["rules"])]


def _rules_table(data: Any) -> str:
    rows = [{"Index": row["index"], "Profile": row["profile"], "Rule": rule_words(row)} for row in data]
    return fmt.columns_table(rows, [("Index", "Index"), ("Profile", "Profile"), ("Rule", "Rule")])


def _history_table(data: Any) -> str:
    rows = [{"Time": row["time"][11:19], "Outcome": row["outcome"], "Capacity": f"{row['current']} -> {row['target']}"
             if row["current"] != row["target"] else str(row["current"]), "Why": row["reason"]} for row in data]
    return fmt.columns_table(rows, [("Time", "Time"), ("Outcome", "Outcome"), ("Capacity", "Capacity"), ("Why", "Why")])


def evaluation_json(run: Evaluation) -> dict[str, Any]:
    return {"time": run.at.isoformat().replace("+00:00", "Z"), "profile": run.profile, "outcome": run.outcome.value,
            "current": run.current, "target": run.target, "reason": run.reason,
            "rules": [{"index": r.index, "direction": r.direction.value, "metric": r.metric_name,
                       "operator": r.operator.value, "threshold": r.threshold, "value": r.value, "fired": r.fired,
                       "proposed": r.proposed} for r in run.readings],
            **({"unseen": _unseen_json(run.unseen)} if run.unseen is not None else {})}


def _unseen_json(unseen: UnseenDeletes) -> dict[str, Any]:
    """Flexible VMs deleted individually that the run still counted in `current` (vector A30)."""
    return {"count": unseen.count, "setCount": unseen.set_count,
            "firstDeleted": unseen.first_deleted_at.isoformat().replace("+00:00", "Z"),
            "lastDeleted": unseen.last_deleted_at.isoformat().replace("+00:00", "Z"),
            "seenBy": unseen.seen_by.isoformat().replace("+00:00", "Z")}


# --- autoscale create / show / update / enable / disable / delete ------------------------------

def _create(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    args = inv.args
    count = args["count"]
    minimum = args["min_count"] if args["min_count"] is not None else count
    maximum = args["max_count"] if args["max_count"] is not None else count
    if not minimum <= count <= maximum:
        raise UsageError("InvalidArgumentValue",
                         f"--count {count} must be between --min-count {minimum} and --max-count {maximum}.")
    scale_set = inv.scale_set
    setting_name = args["name"] or name
    body = {"location": scale_set.location, "properties": {
        "enabled": not args["disabled"], "targetResourceUri": scale_set.id, "name": setting_name,
        "profiles": [{"name": DEFAULT_PROFILE_NAME, "capacity": {"minimum": str(minimum), "maximum": str(maximum),
                                                                 "default": str(count)}, "rules": []}],
        "notifications": [{"operation": "Scale", "email": {"sendToSubscriptionAdministrator": False,
                                                           "sendToSubscriptionCoAdministrators": False,
                                                           "customEmails": []}, "webhooks": []}]}}
    if _autoscale(inv).autoscale_setting_for(group, name) is not None:
        raise InvalidParameter(f"Scale set '{name}' already has an autoscale setting; a resource can have only one. "
                               f"Change it with autoscale update {name}, or delete it first.", target=name)
    setting, _ = _autoscale(inv).put_autoscale_setting(group, setting_name, body)
    warnings = [] if minimum == maximum == count else [
        f"Follow up with `autoscale rule create {name}` to add scaling rules."]
    return Result(data=setting_json(inv, setting), table=_setting_table, changed=True, warnings=warnings)


def _show(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    return Result(data=setting_json(inv, setting), table=lambda data: _status_table(inv, setting, data))


def _status_table(inv: Invocation, setting: AutoscaleSetting, data: Any) -> str:
    text = _setting_table(data)
    group, name = inv.group_and_name
    status = _autoscale(inv).autoscale_status(group, name)
    lines = [text, "", f"Now      {status.capacity} instance(s), profile '{status.now.profile}': "
                       f"{status.now.outcome.value}: {status.now.reason}"]
    next_in = max(0.0, (status.next_evaluation_at - status.now.at).total_seconds())
    lines.append(f"Next     evaluation in {short_duration(next_in)}"
                 + (f"; cooldown {short_duration(status.cooldown_left)} left" if status.cooldown_left else ""))
    if status.load:
        lines.append(f"Load     {status.load}")
    if status.last is not None and status.last.outcome is not status.now.outcome:
        lines.append(f"Last     {status.last.at.isoformat()[11:19]} {status.last.outcome.value}: {status.last.reason}")
    return "\n".join(lines)


def _update(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    args = inv.args
    body = _arm(inv, setting)
    for profile in body["properties"]["profiles"]:
        if "fixedDate" in profile or ("recurrence" in profile and not profile["name"].startswith("{")):
            continue
        capacity = profile["capacity"]
        fixed = capacity["minimum"] == capacity["maximum"] == capacity["default"]
        if args["count"] is not None:
            capacity["default"] = str(args["count"])
            if fixed and args["min_count"] is None and args["max_count"] is None:  # az: min and max follow count
                capacity["minimum"] = capacity["maximum"] = str(args["count"])
        if args["min_count"] is not None:
            capacity["minimum"] = str(args["min_count"])
        if args["max_count"] is not None:
            capacity["maximum"] = str(args["max_count"])
    if args["enabled"] is not None:
        body["properties"]["enabled"] = args["enabled"]
    return Result(data=setting_json(inv, _put(inv, setting, body)), table=_setting_table, changed=True)


def _enable(enabled: bool) -> Any:
    def handler(inv: Invocation) -> Result:
        setting = _setting_of_set(inv)
        body = _arm(inv, setting)
        body["properties"]["enabled"] = enabled
        return Result(data=setting_json(inv, _put(inv, setting, body)), table=_setting_table, changed=True)
    return handler


def _delete(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    _autoscale(inv).delete_autoscale_setting(setting.resource_group, setting.name)
    return Result(data=None, changed=True, warnings=[f"autoscale setting '{setting.name}' deleted: "
                                                      f"{inv.group_and_name[1]} keeps its current capacity"])


def _confirm_delete(inv: Invocation) -> str:
    setting = _setting_of_set(inv)
    return (f"Delete autoscale setting '{setting.name}' of scale set '{inv.group_and_name[1]}'? "
            "The set keeps its current capacity and nothing scales it any more.")


# --- rules and profiles --------------------------------------------------------------------

def _rule_create(inv: Invocation) -> Result:
    from ..domain.autoscale.grammar import parse_condition, parse_scale, parse_timegrain
    setting = _setting_of_set(inv)
    args = inv.args
    condition = parse_condition(args["condition"])
    direction, scale_type, value = parse_scale(args["scale"])
    statistic, grain = parse_timegrain(args["timegrain"] or "avg 1m")
    cooldown_minutes = args["cooldown"] if args["cooldown"] is not None else 5
    body = _arm(inv, setting)
    profile = _default_profile(body, args["profile_name"])
    metric: dict[str, Any] = {
        "metricName": condition.metric_name, "metricNamespace": condition.metric_namespace or "",
        "metricResourceUri": args["source"] or setting.target_resource_uri, "timeGrain": format_duration(grain),
        "statistic": statistic.value, "timeWindow": format_duration(condition.time_window),
        "timeAggregation": condition.time_aggregation.value, "operator": condition.operator.value,
        "threshold": condition.threshold, "dimensions": [dict(d) for d in condition.dimensions],
        "dividePerInstance": False}
    profile["rules"].append({"metricTrigger": metric, "scaleAction": {
        "direction": direction.value, "type": scale_type.value, "value": str(value),
        "cooldown": format_duration(cooldown_minutes * 60)}})
    stored = _put(inv, setting, body)
    warnings = _direction_warnings(stored, profile["name"])
    index = len(profile["rules"]) - 1
    return Result(data={"index": index, "profile": profile["name"], "rule": profile["rules"][-1]},
                  table=lambda data: f"[{data['index']}] {rule_words(data['rule'])}", changed=True, warnings=warnings)


def _direction_warnings(setting: AutoscaleSetting, profile_name: str) -> list[str]:
    """az's advice after `rule create` when a profile can only scale one way."""
    for profile in setting.profiles:
        if profile.name != profile_name:
            continue
        directions = {r.scale_action.direction for r in profile.rules}
        if ScaleDirection.INCREASE in directions and ScaleDirection.DECREASE not in directions:
            return [f"Profile '{profile_name}' has rules to scale out but none to scale in. "
                    "Recommend creating at least 1 scale in rule."]
        if ScaleDirection.DECREASE in directions and ScaleDirection.INCREASE not in directions:
            return [f"Profile '{profile_name}' has rules to scale in but none to scale out. "
                    "Recommend creating at least 1 scale out rule."]
    return []


def _rule_list(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    body = _arm(inv, setting)
    rows = []
    for profile in body["properties"]["profiles"]:
        if inv.args["profile_name"] and profile["name"] != inv.args["profile_name"]:
            continue
        # az's rows: the rule with its synthetic `index` added (and, here, the profile it belongs to)
        rows += [{**rule, "index": i, "profile": profile["name"]} for i, rule in enumerate(profile["rules"])]
    if inv.args["index"]:
        wanted = _indexes(inv.args["index"])
        for index in sorted(wanted):
            if not any(row["index"] == index for row in rows):
                raise refused_input(f"{_profile_words(body, inv.args['profile_name'])} has no rule {index}: "
                                    f"see autoscale rule list {inv.group_and_name[1]}.", target="index")
        rows = [row for row in rows if row["index"] in wanted]
    return Result(data=rows, table=_rules_table)


def _profile_words(body: dict[str, Any], name: str | None) -> str:
    names = [p["name"] for p in body["properties"]["profiles"] if not name or p["name"] == name]
    return f"Profile '{names[0]}'" if len(names) == 1 else "No profile (" + ", ".join(names) + ")"


def _indexes(words: list[str]) -> set[int]:
    try:
        return {int(word) for word in words}
    except ValueError:
        raise UsageError("InvalidArgumentValue", "--index takes rule numbers (see autoscale rule list) or '*'.") from None


def _rule_delete(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    body = _arm(inv, setting)
    profile = _default_profile(body, inv.args["profile_name"])
    wanted = inv.args["index"]
    if wanted == ["*"]:
        profile["rules"] = []
    else:
        indexes = sorted(_indexes(wanted), reverse=True)
        for index in indexes:
            if not 0 <= index < len(profile["rules"]):
                raise refused_input(f"Profile '{profile['name']}' has no rule {index}: it has "
                                    f"{len(profile['rules'])} rule(s), numbered from 0.", target="index")
        for index in indexes:
            del profile["rules"][index]
    stored = _put(inv, setting, body)
    return Result(data=setting_json(inv, stored), table=_setting_table, changed=True)


def _profile_create(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    args = inv.args
    body = _arm(inv, setting)
    count = args["count"]
    minimum = args["min_count"] if args["min_count"] is not None else count
    maximum = args["max_count"] if args["max_count"] is not None else count
    profile: dict[str, Any] = {"name": args["name"], "capacity": {
        "minimum": str(minimum), "maximum": str(maximum), "default": str(count)}, "rules": []}
    zone = args["timezone"] or "UTC"
    _check_zone(zone)
    profiles = body["properties"]["profiles"]
    if any(p["name"] == args["name"] for p in profiles):
        raise refused_input(f"Profile '{args['name']}' already exists.", target="name")
    if args["recurrence"]:
        words = [w.lower() for w in args["recurrence"]]
        if words[0] != "week" or len(words) < 2:
            raise UsageError("InvalidArgumentValue", "usage error: --recurrence week DAY [DAY ...]")
        days = [_day(word) for word in words[1:]]
        start = _clock_time(args["start"] or "00:00")
        end = _clock_time(args["end"] or "23:59")
        profile["recurrence"] = {"frequency": "Week", "schedule": {"timeZone": zone, "days": days,
                                                                   "hours": [start[0]], "minutes": [start[1]]}}
        default = _default_profile(body, None)
        profiles.append(profile)
        # the paired default profile az and the portal write: it starts when this one ends [CLI-AS]
        import json as _json
        profiles.append({"name": _json.dumps({"name": default["name"], "for": args["name"]}),
                         "capacity": dict(default["capacity"]), "rules": list(default["rules"]),
                         "recurrence": {"frequency": "Week", "schedule": {"timeZone": zone, "days": days,
                                                                          "hours": [end[0]], "minutes": [end[1]]}}})
    else:
        if not (args["start"] and args["end"]):
            raise UsageError("InvalidArgumentValue", "usage error: fixed schedule: --start DATETIME --end DATETIME")
        for flag in ("start", "end"):
            _check_moment(args[flag], flag)
        profile["fixedDate"] = {"timeZone": zone, "start": args["start"], "end": args["end"]}
        profiles.append(profile)
    stored = _put(inv, setting, body)
    return Result(data=setting_json(inv, stored), table=_setting_table, changed=True)


def _check_zone(name: str) -> None:
    """az checks --timezone against its list before sending; here the engine's own zone table decides."""
    from ..domain.autoscale.engine import zone_for
    try:
        zone_for(name)
    except ValueError:
        raise refused_input(f"'{name}' is not a time zone Azure knows: use a Windows name such as "
                            "\"W. Europe Standard Time\" or an IANA name such as Europe/Amsterdam.",
                            target="timezone") from None


def _check_moment(text: str, flag: str) -> None:
    """az parses --start/--end of a fixed-date profile before sending (get_datetime_type)."""
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise refused_input(f"--{flag} '{text}' is not a date-time such as 2026-12-24T00:00:00.",
                            target=flag) from None


def _day(word: str) -> str:
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        if day.lower().startswith(word) and len(word) >= 2:
            return day
    raise UsageError("InvalidArgumentValue", f"'{word}' is not a day of the week.")


def _clock_time(text: str) -> tuple[int, int]:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise UsageError("InvalidArgumentValue", f"'{text}' is not a time of day such as 06:00.") from None
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise UsageError("InvalidArgumentValue", f"'{text}' is not a time of day such as 06:00.")
    return hours, minutes


def _profile_list(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    profiles = _arm(inv, setting)["properties"]["profiles"]
    rows = [{"name": p["name"], "minimum": p["capacity"]["minimum"], "maximum": p["capacity"]["maximum"],
             "default": p["capacity"]["default"], "rules": len(p["rules"]),
             "kind": "fixed date" if "fixedDate" in p else "recurrence" if "recurrence" in p else "default"}
            for p in profiles]
    return Result(data=profiles, table=lambda _data: fmt.columns_table(rows, [
        ("Name", "name"), ("Kind", "kind"), ("Min", "minimum"), ("Max", "maximum"), ("Default", "default"),
        ("Rules", "rules")]))


def _profile_delete(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    body = _arm(inv, setting)
    name = inv.args["name"]
    profiles = body["properties"]["profiles"]
    kept = [p for p in profiles if p["name"] != name and not (p["name"].startswith("{") and f'"for": "{name}"' in p["name"])]
    if len(kept) == len(profiles):
        raise ResourceNotFound(f"Profile '{name}' does not exist.", target="name")
    body["properties"]["profiles"] = kept
    return Result(data=setting_json(inv, _put(inv, setting, body)), table=_setting_table, changed=True)


# --- history, metrics, load, simulate --------------------------------------------------------

def _since(text: str | None, default: float) -> float:
    return parse_short_duration(text) if text else default


def _history(inv: Invocation) -> Result:
    setting = _setting_of_set(inv)
    since_seconds = _since(inv.args["since"], 24 * 3600)
    now = datetime.now(timezone.utc)
    backend = inv.backend
    clock = getattr(getattr(backend, "ctx", None), "clock", None)
    if clock is not None:
        now = clock.now()
    runs = _autoscale(inv).autoscale_history(setting.resource_group, setting.name,
                                             since=now - timedelta(seconds=since_seconds))
    return Result(data=[evaluation_json(run) for run in runs], table=_history_table)


def _metrics(inv: Invocation) -> Result:
    from ..domain.autoscale.grammar import parse_period
    group, name = inv.group_and_name
    metric = inv.args["metric"] or PERCENTAGE_CPU
    interval = parse_period(inv.args["interval"] or "1m", field="interval")
    from ..domain.autoscale.metrics import METRIC_INTERVALS
    if format_duration(interval) not in METRIC_INTERVALS:  # the same refusal on Azure and in the emulator
        raise refused_input(f"Azure Monitor has no {format_duration(interval)} interval; use one of "
                            "1m, 5m, 15m, 30m, 1h, 6h, 12h, 1d.", target="interval")
    since = _since(inv.args["since"], 30 * 60)
    clock = getattr(getattr(inv.backend, "ctx", None), "clock", None)
    end = clock.now() if clock is not None else datetime.now(timezone.utc)
    series = _autoscale(inv).metric_series(group, name, metric, start=end - timedelta(seconds=since), end=end,
                                           interval=interval)
    data = {"name": metric, "interval": format_duration(interval), "unit": _unit(metric),
            "timeseries": [{"timeStamp": at.isoformat().replace("+00:00", "Z"), "average": value}
                           for at, value in series]}
    return Result(data=data, table=lambda d: chart(d["timeseries"], metric))


def _unit(metric: str) -> str:
    return {"Percentage CPU": "Percent", "Network In Total": "Bytes", "Available Memory Bytes": "Bytes"}.get(metric, "")


BARS = "▁▂▃▄▅▆▇█"
"""Eight levels; the lowest is a floor line, so a low load is not drawn as blank (`-` is no data)."""


def chart(points: list[dict[str, Any]], metric: str, width: int = 60) -> str:
    """A terminal chart: one sparkline row per point group, min/max labels; `-` where nothing ran."""
    values = [p["average"] for p in points]
    known = [v for v in values if v is not None]
    if not known:
        return f"{metric}: no data (no instance ran in that time)"
    low, high = min(known), max(known)
    top = 100.0 if metric == PERCENTAGE_CPU else high or 1.0
    step = max(1, math.ceil(len(values) / width))
    cells = []
    for start in range(0, len(values), step):
        chunk = [v for v in values[start:start + step] if v is not None]
        if not chunk:
            cells.append("-")
            continue
        level = sum(chunk) / len(chunk)
        cells.append(BARS[min(len(BARS) - 1, max(0, round(level / top * (len(BARS) - 1))))])
    first, last = points[0]["timeStamp"][11:16], points[-1]["timeStamp"][11:16]
    return (f"{metric} ({_unit(metric)})  min {_amount(low, metric)}  max {_amount(high, metric)}  "
            f"now {_amount(known[-1], metric)}\n"
            f"{''.join(cells)}\n{first}{' ' * max(1, len(cells) - len(first) - len(last))}{last}")


def _amount(value: float, metric: str) -> str:
    """A chart label: percent as is, bytes in decimal units (75 MB, not 75000000.0)."""
    if _unit(metric) != "Bytes":
        return f"{value:.1f}"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} B"


def _load(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    args = inv.args
    backend = _load_backend(inv)
    choices = [bool(args["level"]), bool(args["pattern"]), bool(args["spike"]), bool(args["clear"])]
    if sum(choices) == 0:
        load = backend.get_load(group, name)
        return Result(data=load.to_doc(), table=lambda _d: f"{name}: {load.describe(_now(inv).timestamp())}")
    if sum(choices) > 1:
        raise UsageError("InvalidArgumentValue", "Give one of: a level, --pattern, --spike or --clear.")
    instance = args["instance"]

    def change(load: Load, now: float) -> Load:
        if args["clear"]:
            return load.without_override(instance, now) if instance else load.cleared(now)
        if args["spike"]:
            level_text, duration_text = args["spike"]
            spike = Spike(parse_pattern(level_text, now).low, now, parse_short_duration(duration_text))
            return load.with_spike(spike)
        pattern = parse_pattern(args["pattern"] or args["level"], now)
        return load.with_override(instance, pattern) if instance else load.with_pattern(pattern)

    if args["spike"] and len(args["spike"]) != 2:
        raise UsageError("InvalidArgumentValue", "usage: --spike LEVEL DURATION, e.g. --spike 95 10m")
    if instance:
        ids = {i.instance_id for i in inv.backend.list_instances(group, name)}
        if instance not in ids:
            raise ResourceNotFound(f"Scale set '{name}' has no instance '{instance}'.", target=instance)
    updated = backend.change_load(group, name, change)
    return Result(data=updated.to_doc(), table=lambda _d: f"{name}: {updated.describe(_now(inv).timestamp())}",
                  changed=True)


def _now(inv: Invocation) -> datetime:
    """The emulated clock's now (the system clock's on Azure)."""
    clock = getattr(getattr(inv.backend, "ctx", None), "clock", None)
    return clock.now() if clock is not None else datetime.now(timezone.utc)


def _simulate(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    backend = _load_backend(inv)
    seconds = parse_short_duration(inv.args["for"] or "1h")
    if seconds > 7 * 86400:
        raise refused_input("--for can be at most 7d.", target="for")
    clock = getattr(getattr(inv.backend, "ctx", None), "clock", None)
    now = (clock.now() if clock is not None else datetime.now(timezone.utc)).timestamp()
    load = backend.get_load(group, name)
    if inv.args["pattern"]:
        load = load.with_pattern(parse_pattern(inv.args["pattern"], now))
    runs = backend.simulate_autoscale(group, name, load, seconds)
    return Result(data=[evaluation_json(run) for run in runs], table=_simulation_table)


def _simulation_table(data: Any) -> str:
    if not data:
        return "autoscale would do nothing"
    acted = [row for row in data if row["current"] != row["target"]]
    head = (f"autoscale would scale {len(acted)} time(s); capacity "
            + " -> ".join([str(data[0]["current"])] + [str(row["target"]) for row in acted]))
    return head + "\n" + _history_table(data)


SET_CREATE_PARAMS = (
    ParamSpec("min_count", "Minimum capacity (default: --count).", flags=("--min-count",), kind="int", minimum=0,
              metavar="N"),
    ParamSpec("max_count", "Maximum capacity (default: --count).", flags=("--max-count",), kind="int", minimum=0,
              metavar="N"),
)

AUTOSCALE_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "autoscale create", "Create the autoscale setting of a scale set (one default profile, no rules yet).",
        _create, mutating=True, needs_set=True,
        params=(SET, ParamSpec("count", "Default capacity (used when metrics are missing).", flags=("--count",),
                               kind="int", minimum=0, required=True, metavar="N"), *SET_CREATE_PARAMS,
                ParamSpec("disabled", "Create it disabled.", flags=("--disabled",), kind="flag"),
                ParamSpec("name", "Setting name (default: the scale set's).", flags=("--name", "-n"), metavar="NAME")),
        help="Like az monitor autoscale create: min and max default to --count. Add rules with autoscale rule create.",
        examples=("autoscale create web --min-count 2 --max-count 10 --count 2",),
    ),
    CommandSpec(
        "autoscale show", "The setting, the metrics now against each rule, and when it runs next.", _show,
        needs_set=True, params=(SET,), examples=("autoscale show web", "autoscale show web -o json"),
    ),
    CommandSpec(
        "autoscale update", "Change capacity limits or enable/disable.", _update, mutating=True, needs_set=True,
        params=(SET, ParamSpec("count", "Default capacity.", flags=("--count",), kind="int", minimum=0, metavar="N"),
                *SET_CREATE_PARAMS,
                ParamSpec("enabled", "true or false.", flags=("--enabled",), kind="bool", choices=("true", "false"),
                          completion="choices", metavar="true|false")),
        examples=("autoscale update web --max-count 20", "autoscale update web --count 3"),
    ),
    CommandSpec("autoscale enable", "Turn autoscale on.", _enable(True), mutating=True, needs_set=True, params=(SET,)),
    CommandSpec("autoscale disable", "Turn autoscale off (the set keeps its capacity).", _enable(False),
                mutating=True, needs_set=True, params=(SET,)),
    CommandSpec(
        "autoscale delete", "Delete the autoscale setting (asks unless --yes).", _delete, mutating=True,
        destructive=True, needs_set=True, params=(SET,), confirm_text=_confirm_delete,
    ),
    CommandSpec(
        "autoscale rule create", "Add a scale rule in az's grammar.", _rule_create, mutating=True, needs_set=True,
        params=(SET,
                ParamSpec("condition", 'e.g. "Percentage CPU > 50 avg 5m".', flags=("--condition",), required=True,
                          metavar="CONDITION"),
                ParamSpec("scale", "out N | in N | to N, N may end in %.", flags=("--scale",), multiple=True,
                          required=True, metavar="DIRECTION VALUE"),
                ParamSpec("cooldown", "Minutes to wait after any scale action (default 5).", flags=("--cooldown",),
                          kind="int", minimum=1, maximum=10080, metavar="MINUTES"),
                ParamSpec("timegrain", 'Statistic and grain, default "avg 1m".', flags=("--timegrain",),
                          metavar="STAT PERIOD"),
                ParamSpec("source", "Metric source resource id (default: the scale set).", flags=("--source",),
                          metavar="ID"),
                PROFILE),
        examples=('autoscale rule create web --condition "Percentage CPU > 50 avg 5m" --scale out 1',
                  'autoscale rule create web --condition "Percentage CPU < 25 avg 10m" --scale in 1 --cooldown 10'),
    ),
    CommandSpec("autoscale rule list", "The rules, numbered for rule delete.", _rule_list, needs_set=True,
                params=(SET, ParamSpec("index", "Only these rule numbers.", flags=("--index",), multiple=True,
                                       metavar="I"), PROFILE),
                examples=("autoscale rule list web", "autoscale rule list web --index 0 2")),
    CommandSpec(
        "autoscale rule delete", "Delete rules by number ('*' for all).", _rule_delete, mutating=True,
        needs_set=True, params=(SET, ParamSpec("index", "Rule numbers from rule list, or '*'.", flags=("--index",),
                                               multiple=True, required=True, metavar="I"), PROFILE),
        examples=("autoscale rule delete web --index 0", "autoscale rule delete web --index '*'"),
    ),
    CommandSpec(
        "autoscale profile create", "Add a fixed-date or weekly profile.", _profile_create, mutating=True,
        needs_set=True,
        params=(SET, ParamSpec("name", "Profile name.", flags=("--name", "-n"), required=True, metavar="NAME"),
                ParamSpec("count", "Default capacity.", flags=("--count",), kind="int", minimum=0, required=True,
                          metavar="N"),
                *SET_CREATE_PARAMS,
                ParamSpec("recurrence", "week DAY [DAY ...]", flags=("--recurrence",), multiple=True,
                          metavar="week DAY"),
                ParamSpec("start", "HH:MM (weekly) or a date-time (fixed).", flags=("--start",), metavar="WHEN"),
                ParamSpec("end", "HH:MM (weekly) or a date-time (fixed).", flags=("--end",), metavar="WHEN"),
                ParamSpec("timezone", "Time zone (Windows or IANA name; default UTC).", flags=("--timezone",),
                          metavar="ZONE")),
        examples=("autoscale profile create web --name weekend --count 1 --recurrence week sat sun "
                  "--start 06:00 --end 19:00 --timezone \"W. Europe Standard Time\"",),
    ),
    CommandSpec("autoscale profile list", "The profiles of a setting.", _profile_list, needs_set=True, params=(SET,)),
    CommandSpec("autoscale profile delete", "Delete a profile (and its paired default).", _profile_delete,
                mutating=True, needs_set=True,
                params=(SET, ParamSpec("name", "Profile name.", flags=("--name", "-n"), required=True,
                                       metavar="NAME"))),
    CommandSpec(
        "autoscale history", "What autoscale did and why: scaled, flapped, held by cooldown or min/max.", _history,
        needs_set=True,
        params=(SET, ParamSpec("since", "How far back, e.g. 1h, 30m, 2d (default 1d).", flags=("--since",),
                               metavar="AGE")),
        examples=("autoscale history web --since 1h",),
    ),
    CommandSpec(
        "autoscale simulate", "What autoscale would do under a load, on a copy: nothing changes.", _simulate,
        needs_set=True,
        params=(SET, ParamSpec("pattern", "Load pattern (default: the set's load now).", flags=("--pattern",),
                               metavar="PATTERN"),
                ParamSpec("for", "How long to simulate, e.g. 2h (default 1h, at most 7d).", flags=("--for",),
                          metavar="DURATION")),
        examples=('autoscale simulate web --pattern "sine 20..90 30m" --for 2h',),
    ),
    CommandSpec(
        "metrics", "A scale set's metric over time: a chart on a terminal, az's shape with -o json.", _metrics,
        needs_set=True,
        params=(SET, ParamSpec("metric", "Percentage CPU (default), Network In Total or Available Memory Bytes.",
                               flags=("--metric",), kind="choice", choices=METRIC_NAMES, completion="choices",
                               metavar="METRIC"),
                ParamSpec("interval", "Grain, e.g. 1m, 5m (default 1m).", flags=("--interval",), metavar="PERIOD"),
                ParamSpec("since", "How far back, e.g. 30m, 2h (default 30m).", flags=("--since",), metavar="AGE")),
        examples=("metrics web", "metrics web --since 2h --interval 5m"),
    ),
    CommandSpec(
        "load", "Set the emulator's simulated CPU load of a set (or one instance).", _load, mutating=True,
        needs_set=True,
        params=(SET, ParamSpec("level", "A CPU level 0-100 for every instance.", metavar="<level>"),
                ParamSpec("instance", "Only this instance.", flags=("--instance",), completion="instances",
                          metavar="ID"),
                ParamSpec("pattern", "steady 75 | ramp 20..90 30m | sine 20..90 30m", flags=("--pattern",),
                          metavar="PATTERN"),
                ParamSpec("spike", "LEVEL DURATION: a spike starting now, e.g. 95 10m.", flags=("--spike",),
                          multiple=True, metavar="LEVEL DURATION"),
                ParamSpec("clear", "Back to no load (or the set's load, with --instance).", flags=("--clear",),
                          kind="flag")),
        help="Without arguments, shows the load. Instances add load only while they run.",
        examples=("load web 75", 'load web --pattern "sine 20..90 30m"', "load web --instance 3 90",
                  "load web --spike 95 10m", "load web --clear"),
    ),
)
