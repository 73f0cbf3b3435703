"""Microsoft.Insights: autoscale settings, a scale set's metrics, and the autoscale events of the activity log.

What `az monitor autoscale create|show|update|delete|list`, `az monitor autoscale rule create|list|delete`
(a GET then a PUT of the whole setting), `az monitor metrics list|list-definitions|list-namespaces` and
azure-mgmt-monitor's `autoscale_settings`, `metrics` and `activity_logs` operations call. Bodies are
`vmss_tui.arm.insights`'s (the one codec); the backend's `Autoscale` capability keeps the rules and the
engine. Every shape and default, with its source, is in docs/emulator-fidelity.md, "Autoscale endpoint
and adapter (issue 13)".
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence, runtime_checkable
from urllib.parse import unquote

from ...arm.insights import AutoscaleBadRequest, setting_id, setting_to_arm
from ...backends.protocol import Autoscale
from ...domain import errors, names
from ...domain.autoscale.durations import format_duration, parse_duration
from ...domain.autoscale.engine import Evaluation, Outcome
from ...domain.autoscale.load import AVAILABLE_MEMORY_BYTES, NETWORK_IN_TOTAL, PERCENTAGE_CPU
from ...domain.autoscale.metrics import METRIC_INTERVALS
from ...domain.autoscale.model import AutoscaleSetting, MetricStatistic
from ...domain.models import Operation, ScaleSet
from ..routing import RG, SUB, VMSS, Request, Response, Route
from .resources import require_group

if TYPE_CHECKING:
    from ..app import ArmApp

INSIGHTS = r"/providers/Microsoft\.Insights"
SETTINGS = INSIGHTS + r"/autoscalesettings"
SETTING = SETTINGS + r"/(?P<setting>[^/]+)"
NAMESPACE = "Microsoft.Compute/virtualMachineScaleSets"

INTERVALS = METRIC_INTERVALS
"""The time grains Azure Monitor serves platform metrics at (MetricSpecification.supportedTimeGrainTypes)."""
MAX_SPAN = timedelta(days=31)
"""The longest timespan one query may read (the emulator's own guard: every minute is computed, ~2 s a month)."""
DEFAULT_SPAN = timedelta(hours=1)

_METRICS: dict[str, dict[str, Any]] = {
    PERCENTAGE_CPU.lower(): {"name": PERCENTAGE_CPU, "unit": "Percent", "primary": "Average", "description":
                             "The percentage of allocated compute units that are currently in use by the Virtual "
                             "Machine(s)"},
    NETWORK_IN_TOTAL.lower(): {"name": NETWORK_IN_TOTAL, "unit": "Bytes", "primary": "Total", "description":
                               "The number of bytes received on all network interfaces by the Virtual Machine(s) "
                               "(Incoming Traffic)"},
    AVAILABLE_MEMORY_BYTES.lower(): {"name": AVAILABLE_MEMORY_BYTES, "unit": "Bytes", "primary": "Average",
                                     "description": "Amount of physical memory, in bytes, immediately available "
                                                    "for allocation to a process or for other system use in the "
                                                    "Virtual Machine"},
}
"""The scale-set metrics the emulator computes, as Azure's supported-metrics table names them."""
_AGGREGATIONS = {"average": "average", "minimum": "minimum", "maximum": "maximum", "total": "total", "count": "count"}


class InsightsRoute(Route):
    """A route the Microsoft.Insights resource provider serves: its api-versions, per resource type."""

    @property
    def api_kind(self) -> str:
        return "insights"


@runtime_checkable
class _IndividualDeletes(Protocol):
    """The emulator's autoscale engine, told of Flexible VMs deleted one by one (vector A30)."""

    def vm_deleted_individually(self, resource_group: str, scale_set: str, operation_id: str) -> None:
        ...


def vm_deleted_individually(app: ArmApp, scale_set: ScaleSet, operation: Operation) -> None:
    """After the VM REST DELETE of a Flexible member (`az vm delete`): autoscale "isn't aware of the individual
    VM operations" for a while [AS-TS §Flex]; the scale set's own delete (`delete-instances`) is seen at once.

    A backend without the emulator's engine has nothing to be told.
    """
    backend = app.backend
    if isinstance(backend, _IndividualDeletes):
        app.call(backend.vm_deleted_individually, scale_set.resource_group, scale_set.name, operation.id)


def _autoscale(app: ArmApp) -> Autoscale:
    if not isinstance(app.backend, Autoscale):
        raise errors.OperationNotAllowed("This endpoint's backend serves no Microsoft.Insights resources.")
    return app.backend


def _json(app: ArmApp, setting: AutoscaleSetting) -> dict[str, Any]:
    return setting_to_arm(setting, resource_id=setting_id(app.subscription_id, setting.resource_group, setting.name))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise AutoscaleBadRequest("The request body must be a JSON object.", target="body")
    return body


# ---------------------------------------------------------------- autoscale settings

def list_settings_in_subscription(app: ArmApp, request: Request, sub: str) -> Response:
    settings = app.call(_autoscale(app).list_autoscale_settings, None)
    return app.page(request, [_json(app, s) for s in settings])


def list_settings(app: ArmApp, request: Request, sub: str, rg: str) -> Response:
    group = require_group(app, rg)
    settings = app.call(_autoscale(app).list_autoscale_settings, group)
    return app.page(request, [_json(app, s) for s in settings])


def get_setting(app: ArmApp, request: Request, sub: str, rg: str, setting: str) -> Response:
    names.validate_autoscale_setting_name(setting)
    return Response(200, _json(app, app.call(_autoscale(app).get_autoscale_setting, rg, setting)))


def _existing(app: ArmApp, rg: str, name: str) -> AutoscaleSetting | None:
    try:
        return app.call(_autoscale(app).get_autoscale_setting, rg, name)
    except errors.ResourceNotFound:
        return None


def put_setting(app: ArmApp, request: Request, sub: str, rg: str, setting: str) -> Response:
    """PUT: 201 when created, 200 when replaced [AS-API]; the location cannot change (create+read)."""
    names.validate_autoscale_setting_name(setting)
    body = _object(request.body)
    existing = _existing(app, rg, setting)
    location = body.get("location")
    if existing is not None and isinstance(location, str) and existing.location \
            and _location_key(location) != _location_key(existing.location):
        raise AutoscaleBadRequest(f"The location of autoscale setting '{setting}' is '{existing.location}' and "
                                  f"cannot be changed to '{names.shown(location, 40)}'.", target="location")
    stored, created = app.call(_autoscale(app).put_autoscale_setting, rg, setting, body)
    return Response(201 if created else 200, _json(app, stored))


def patch_setting(app: ArmApp, request: Request, sub: str, rg: str, setting: str) -> Response:
    """PATCH: `tags` and `properties` only (AutoscaleSettingResourcePatch); properties merge key by key."""
    names.validate_autoscale_setting_name(setting)
    body = _object(request.body)
    unknown = sorted(key for key in body if key not in ("tags", "properties"))
    if unknown:
        raise AutoscaleBadRequest(f"A PATCH of an autoscale setting may change only 'tags' and 'properties', "
                                  f"not '{names.shown(unknown[0], 40)}'.", target=unknown[0])
    current = app.call(_autoscale(app).get_autoscale_setting, rg, setting)
    merged = _json(app, current)
    if "tags" in body:
        merged["tags"] = body["tags"]
    if "properties" in body:
        properties = body["properties"]
        if not isinstance(properties, dict):
            raise AutoscaleBadRequest("'properties' must be a JSON object.", target="properties")
        merged["properties"] = {**merged["properties"], **properties}
    stored, _created = app.call(_autoscale(app).put_autoscale_setting, rg, current.name, merged)
    return Response(200, _json(app, stored))


def delete_setting(app: ArmApp, request: Request, sub: str, rg: str, setting: str) -> Response:
    """DELETE: 200 when it existed, 204 when there was nothing to delete [AS-API]."""
    names.validate_autoscale_setting_name(setting)
    require_group(app, rg)
    try:
        app.call(_autoscale(app).delete_autoscale_setting, rg, setting)
    except errors.ResourceNotFound:
        return Response(204)
    return Response(200)


def _location_key(location: str) -> str:
    return location.replace(" ", "").lower()


# ---------------------------------------------------------------- metrics

def _metric(name: str) -> dict[str, Any]:
    found = _METRICS.get(name.strip().lower())
    if found is None:
        raise errors.BadRequest(
            f"Failed to find metric configuration for provider: Microsoft.Compute, resource Type: "
            f"virtualMachineScaleSets, metric: {names.shown(name, 80)}, Valid metrics: "
            + ",".join(m["name"] for m in _METRICS.values()), target="metricnames")
    return found


def _parse_time(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise errors.BadRequest(f"Detected invalid time interval input: '{names.shown(text, 80)}' is not an ISO 8601 "
                                f"{what}.", target="timespan") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def parse_timespan(raw: str | None, now: datetime) -> tuple[datetime, datetime]:
    """`start/end` or `start/duration` (ISO 8601); the last hour when absent."""
    if not raw:
        return now - DEFAULT_SPAN, now
    text = unquote(raw) if "%" in raw else raw  # az quotes the value itself before the query is encoded
    start_text, slash, end_text = text.partition("/")
    if not slash:
        raise errors.BadRequest(f"Detected invalid time interval input: '{names.shown(text, 80)}'; the timespan "
                                "is 'start/end' in ISO 8601.", target="timespan")
    start = _parse_time(start_text, "start time")
    if end_text.strip().upper().startswith("P"):
        try:
            end = start + timedelta(seconds=parse_duration(end_text.strip().upper(), field="timespan"))
        except errors.AzureError as problem:
            raise errors.BadRequest(problem.message, target="timespan") from None
    else:
        end = _parse_time(end_text, "end time")
    if end <= start:
        raise errors.BadRequest(f"Detected invalid time interval input: the end time {end.isoformat()} is not "
                                f"after the start time {start.isoformat()}.", target="timespan")
    return start, end


def parse_interval(raw: str | None, start: datetime, end: datetime) -> tuple[float, str]:
    """(seconds, as echoed) of the `interval` parameter: one of Azure's time grains, or FULL."""
    text = (raw or "PT1M").strip().upper()
    if text == "FULL":
        return (end - start).total_seconds(), "FULL"
    try:
        seconds = parse_duration(text, field="interval")
    except errors.AzureError:
        seconds = -1.0
    shown = format_duration(seconds) if seconds > 0 else text
    if shown not in INTERVALS:
        raise errors.BadRequest(f"Invalid time grain '{names.shown(raw or '', 40)}': use one of "
                                f"{', '.join(INTERVALS)} or FULL.", target="interval")
    return seconds, shown


def _aggregations(raw: str | None, metric: dict[str, Any]) -> list[str]:
    wanted = [part.strip().lower() for part in (raw or metric["primary"]).split(",") if part.strip()]
    for name in wanted:
        if name not in _AGGREGATIONS:
            raise errors.BadRequest(f"Invalid aggregation '{names.shown(name, 40)}': use Average, Count, Maximum, "
                                    "Minimum or Total.", target="aggregation")
    return list(dict.fromkeys(wanted))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(app: ArmApp, rg: str, vmss: str, metric: str, start: datetime, end: datetime,
             statistic: MetricStatistic) -> dict[datetime, float]:
    series = app.call(_autoscale(app).metric_series, rg, vmss, metric, start=start, end=end, interval=60.0,
                      statistic=statistic)
    return {at: value for at, value in series if value is not None}


def metric_points(app: ArmApp, rg: str, vmss: str, metric: str, aggregations: Sequence[str], start: datetime,
                  end: datetime, interval: float, now: datetime) -> list[dict[str, Any]]:
    """One data point per interval from per-minute statistics across the running instances.

    Per minute the backend gives the Sum and Count over instances (one sample per running instance) and
    the Min and Max; an interval's average is its total over its count, as Azure Monitor rolls samples up.
    Minutes that have not ended by `now` hold no data yet.
    """
    needed = set()
    if {"average", "total"} & set(aggregations):
        needed |= {MetricStatistic.SUM, MetricStatistic.COUNT}
    if "count" in aggregations:
        needed.add(MetricStatistic.COUNT)
    if "minimum" in aggregations:
        needed.add(MetricStatistic.MIN)
    if "maximum" in aggregations:
        needed.add(MetricStatistic.MAX)
    until = min(end, now)
    per_minute = {statistic: (_minutes(app, rg, vmss, metric, start, until, statistic) if until > start else {})
                  for statistic in needed}
    points: list[dict[str, Any]] = []
    bucket = start
    step = timedelta(seconds=interval)
    while bucket < end:
        point: dict[str, Any] = {"timeStamp": _iso(bucket)}
        minutes = [bucket + timedelta(minutes=i) for i in range(max(1, int(interval // 60)))]
        minutes = [m for m in minutes if m < end and m + timedelta(minutes=1) <= now]

        def values(statistic: MetricStatistic) -> list[float]:
            found = per_minute.get(statistic, {})
            return [found[m] for m in minutes if m in found]

        counts, totals = values(MetricStatistic.COUNT), values(MetricStatistic.SUM)
        if counts:
            if "average" in aggregations and sum(counts):
                point["average"] = sum(totals) / sum(counts)
            if "total" in aggregations:
                point["total"] = sum(totals)
            if "count" in aggregations:
                point["count"] = float(sum(counts))
        if "minimum" in aggregations and values(MetricStatistic.MIN):
            point["minimum"] = min(values(MetricStatistic.MIN))
        if "maximum" in aggregations and values(MetricStatistic.MAX):
            point["maximum"] = max(values(MetricStatistic.MAX))
        points.append(point)
        bucket += step
    return points


def _now(app: ArmApp) -> datetime:
    clock = getattr(app.backend, "clock", None)
    now = clock.now() if clock is not None and hasattr(clock, "now") else datetime.now(timezone.utc)
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def _resource_uri(app: ArmApp, rg: str, vmss: str) -> tuple[str, str]:
    """The set's ARM id as stored, and its location (404 when there is no such set)."""
    scale_set = app.call(app.backend.get_scale_set, rg, vmss)
    return scale_set.id, scale_set.location


def list_metrics(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    """`GET {scale set}/providers/Microsoft.Insights/metrics`: Response{cost, timespan, interval, value[Metric]}."""
    resource_uri, location = _resource_uri(app, rg, vmss)
    if (request.query.get("$filter") or "").strip():
        raise errors.BadRequest("Dimension filters ($filter, az's --filter/--dimension) are not modelled by the "
                                "emulator: it serves each metric across all instances.", target="$filter")
    now = _now(app)
    start, end = parse_timespan(request.query.get("timespan"), now)
    seconds, interval_text = parse_interval(request.query.get("interval"), start, end)
    if end - start > MAX_SPAN:  # as asked: rounding the start down below must not refuse a 31-day query
        raise errors.BadRequest(f"The timespan is longer than {MAX_SPAN.days} days: ask for a shorter one.",
                                target="timespan")
    if interval_text != "FULL":
        start = datetime.fromtimestamp((start.timestamp() // seconds) * seconds, timezone.utc)  # whole grains
    requested = [n for n in (request.query.get("metricnames") or PERCENTAGE_CPU).split(",") if n.strip()]
    metrics = list({id(found): found for found in (_metric(name) for name in requested)}.values())  # each once
    metadata_only = (request.query.get("resulttype") or "").lower() == "metadata"
    value = []
    for metric in metrics:
        aggregations = _aggregations(request.query.get("aggregation"), metric)
        timeseries = [] if metadata_only else [{
            "metadatavalues": [],
            "data": metric_points(app, rg, vmss, metric["name"], aggregations, start, end, seconds, now)}]
        value.append({"id": f"{resource_uri}/providers/Microsoft.Insights/metrics/{metric['name']}",
                      "type": "Microsoft.Insights/metrics",
                      "name": {"value": metric["name"], "localizedValue": metric["name"]},
                      "displayDescription": metric["description"], "unit": metric["unit"],
                      "timeseries": timeseries, "errorCode": "Success"})
    points = max(1, int((end - start).total_seconds() // seconds))
    return Response(200, {"cost": points * len(metrics), "timespan": f"{_iso(start)}/{_iso(end)}",
                          "interval": interval_text if interval_text != "FULL" else format_duration((end - start).total_seconds()),
                          "value": value, "namespace": NAMESPACE, "resourceregion": location})


def list_metric_definitions(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    """`az monitor metrics list-definitions`: the three metrics the emulator computes."""
    resource_uri, _location = _resource_uri(app, rg, vmss)
    value = [{
        "id": f"{resource_uri}/providers/microsoft.insights/metricdefinitions/{m['name']}",
        "resourceId": resource_uri, "namespace": NAMESPACE,
        "name": {"value": m["name"], "localizedValue": m["name"]},
        "displayDescription": m["description"], "isDimensionRequired": False, "unit": m["unit"],
        "primaryAggregationType": m["primary"],
        "supportedAggregationTypes": ["None", "Average", "Minimum", "Maximum", "Total", "Count"],
        "metricAvailabilities": [{"timeGrain": grain, "retention": "P93D"} for grain in INTERVALS],
        "dimensions": [{"value": "VMName", "localizedValue": "VMName"}],
    } for m in _METRICS.values()]
    return Response(200, {"value": value})


def list_metric_namespaces(app: ArmApp, request: Request, sub: str, rg: str, vmss: str) -> Response:
    """`az monitor metrics list-namespaces`: the platform namespace of a scale set."""
    resource_uri, _location = _resource_uri(app, rg, vmss)
    return Response(200, {"value": [{
        "id": f"{resource_uri}/providers/microsoft.insights/metricNamespaces/Microsoft.Compute-virtualMachineScaleSets",
        "name": "Microsoft.Compute-virtualMachineScaleSets", "type": "Microsoft.Insights/metricNamespaces",
        "classification": "Platform", "properties": {"metricNamespaceName": NAMESPACE}}]})


# ---------------------------------------------------------------- the activity log (autoscale events)

_CLAUSE = re.compile(r"^\s*(?P<field>\w+)\s+(?P<op>eq|ge|le|gt|lt)\s+(?:'(?P<value>[^']*)'|(?P<bare>[^\s']+))\s*$",
                     re.IGNORECASE)
"""One clause; az writes the times bare (`eventTimestamp ge 2026-03-02T09:00:00`), the SDK's docs quote them."""
_FILTER_FIELDS = {"eventtimestamp", "resourcegroupname", "resourceuri", "resourceid", "resourceprovider",
                  "correlationid", "status", "caller"}
SCALE_UP = "Microsoft.Insights/AutoscaleSettings/Scaleup/Action"
SCALE_DOWN = "Microsoft.Insights/AutoscaleSettings/Scaledown/Action"
FLAPPING = "Microsoft.Insights/AutoscaleSettings/Flapping/Action"
CALLER = "Microsoft.Insights/autoscaleSettings"


def parse_filter(raw: str | None) -> list[tuple[str, str, str]]:
    """The `$filter` subset the activity log takes: `field op 'value'` clauses joined by `and`."""
    if not raw or not raw.strip():
        raise errors.BadRequest("The $filter query parameter is required and must include an eventTimestamp "
                                "range, e.g. eventTimestamp ge '2026-01-01T00:00:00Z'.", target="$filter")
    clauses = []
    for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE):
        found = _CLAUSE.match(part)
        if found is None or found.group("field").lower() not in _FILTER_FIELDS:
            raise errors.BadRequest(f"The $filter clause '{names.shown(part, 80)}' is not supported.", target="$filter")
        value = found.group("value") if found.group("value") is not None else found.group("bare")
        clause = (found.group("field").lower(), found.group("op").lower(), value)
        if clause[0] == "eventtimestamp":
            try:
                _parse_time(clause[2], "time")
            except errors.BadRequest:
                raise errors.BadRequest(f"The $filter time '{names.shown(clause[2], 60)}' is not an ISO 8601 time.",
                                        target="$filter") from None
        elif clause[1] != "eq":
            raise errors.BadRequest(f"The $filter clause '{names.shown(part, 80)}' is not supported: "
                                    f"{clause[0]} takes eq.", target="$filter")
        clauses.append(clause)
    if not any(field == "eventtimestamp" and op in ("ge", "gt") for field, op, _ in clauses):
        raise errors.BadRequest("The $filter must include the start of the range: eventTimestamp ge '<time>'.",
                                target="$filter")
    return clauses


def _event_kinds(run: Evaluation) -> list[tuple[str, str, str]]:
    """(operation name, localized name, status) of the events a run writes to the activity log."""
    if run.outcome is Outcome.FLAPPING:
        return [(FLAPPING, "Flapping", "Succeeded")]
    if run.outcome is Outcome.SCALE_FAILED:
        up = run.target >= run.current
        return [(SCALE_UP if up else SCALE_DOWN, f"Autoscale scale {'up' if up else 'down'} failed", "Failed")]
    if not run.acted:
        return []
    up = run.target > run.current
    kinds = [(SCALE_UP if up else SCALE_DOWN, f"Autoscale scale {'up' if up else 'down'} completed", "Succeeded")]
    if run.outcome is Outcome.FLAPPING_OCCURRED:
        kinds.insert(0, (FLAPPING, "Flapping", "Succeeded"))
    return kinds


def autoscale_events(app: ArmApp, setting: AutoscaleSetting, runs: Iterable[Evaluation]) -> list[dict[str, Any]]:
    """EventData of Azure's autoscale events for the runs that acted, flapped or failed."""
    resource_id = setting_id(app.subscription_id, setting.resource_group, setting.name)
    events = []
    for run in runs:
        for operation, localized, status in _event_kinds(run):
            ticks = int(run.at.timestamp() * 10_000_000) + 621_355_968_000_000_000  # .NET ticks, as Azure's ids end
            event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{resource_id}/{operation}/{ticks}"))
            if operation == FLAPPING:
                description = (f"Scale down will occur with updated instance count to avoid flapping. Resource: "
                               f"'{setting.target_resource_uri}'. Current instance count: '{run.current}', "
                               f"intended new instance count: '{run.target}'."
                               if run.outcome is Outcome.FLAPPING_OCCURRED else
                               f"Scale down will not occur to avoid flapping. Resource: "
                               f"'{setting.target_resource_uri}'. Current instance count: '{run.current}'.")
            else:
                description = (f"The autoscale engine attempting to scale resource '{setting.target_resource_uri}' "
                               f"from {run.current} instances count to {run.target} instances count.")
            properties = {"Description": description, "ResourceName": setting.target_resource_uri,
                          "OldInstancesCount": str(run.current), "NewInstancesCount": str(run.target),
                          "ActiveAutoscaleProfile": json.dumps({"Name": run.profile}),
                          "LastScaleActionTime": run.at.strftime("%a, %d %b %Y %H:%M:%S GMT")}
            event_name = "AutoscaleAction"
            if operation == FLAPPING:
                event_name = "FlappingOccurred" if run.outcome is Outcome.FLAPPING_OCCURRED else "Flapping"
            stamp = run.at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
            events.append({
                "authorization": None, "caller": CALLER, "channels": "Admin, Operation",
                "claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/spn": CALLER},
                "correlationId": event_id, "description": description, "eventDataId": event_id,
                "eventName": {"value": event_name, "localizedValue": event_name},
                "category": {"value": "Autoscale", "localizedValue": "Autoscale"},
                "id": f"{resource_id}/events/{event_id}/ticks/{ticks}", "level": "Informational",
                "resourceGroupName": setting.resource_group,
                "resourceProviderName": {"value": "microsoft.insights", "localizedValue": "microsoft.insights"},
                "resourceId": resource_id,
                "resourceType": {"value": "microsoft.insights/autoscalesettings",
                                 "localizedValue": "microsoft.insights/autoscalesettings"},
                "operationId": event_id,
                "operationName": {"value": operation, "localizedValue": localized},
                "properties": properties,
                "status": {"value": status, "localizedValue": status},
                "subStatus": {"value": "", "localizedValue": ""},
                "eventTimestamp": stamp, "submissionTimestamp": stamp,
                "subscriptionId": app.subscription_id, "tenantId": ""})
    return events


def _keeps(event: dict[str, Any], clauses: Sequence[tuple[str, str, str]]) -> bool:
    for field, op, value in clauses:
        if field == "eventtimestamp":
            at, bound = _parse_time(event["eventTimestamp"], "time"), _parse_time(value, "time")
            if not {"ge": at >= bound, "gt": at > bound, "le": at <= bound, "lt": at < bound}.get(op, at == bound):
                return False
            continue
        actual = {"resourcegroupname": event["resourceGroupName"], "resourceuri": event["resourceId"],
                  "resourceid": event["resourceId"], "resourceprovider": event["resourceProviderName"]["value"],
                  "correlationid": event["correlationId"], "status": event["status"]["value"],
                  "caller": event["caller"]}[field]
        if op != "eq" or actual.lower() != value.lower():
            return False
    return True


def list_activity_log(app: ArmApp, request: Request, sub: str) -> Response:
    """`GET /subscriptions/{s}/providers/microsoft.insights/eventtypes/management/values`: autoscale's events only."""
    clauses = parse_filter(request.raw_query.get("$filter") or request.query.get("$filter"))
    since = min(_parse_time(v, "time") for f, op, v in clauses if f == "eventtimestamp" and op in ("ge", "gt"))
    autoscale = _autoscale(app)
    events: list[dict[str, Any]] = []
    for setting in app.call(autoscale.list_autoscale_settings, None):
        runs = app.call(autoscale.autoscale_history, setting.resource_group, setting.name, since)
        events += [event for event in autoscale_events(app, setting, runs) if _keeps(event, clauses)]
    events.sort(key=lambda event: event["eventTimestamp"], reverse=True)  # newest first, as Azure lists them
    return app.page(request, events)


ROUTES = [
    InsightsRoute(SUB + SETTINGS, {"GET": list_settings_in_subscription}, resource_type="autoscalesettings"),
    InsightsRoute(RG + SETTINGS, {"GET": list_settings}, resource_type="autoscalesettings"),
    InsightsRoute(RG + SETTING, {"GET": get_setting, "PUT": put_setting, "PATCH": patch_setting,
                                 "DELETE": delete_setting}, resource_type="autoscalesettings"),
    InsightsRoute(VMSS + INSIGHTS + r"/metrics", {"GET": list_metrics}, resource_type="metrics"),
    InsightsRoute(VMSS + INSIGHTS + r"/metricDefinitions", {"GET": list_metric_definitions},
                  resource_type="metricDefinitions"),
    InsightsRoute(VMSS + INSIGHTS + r"/metricNamespaces", {"GET": list_metric_namespaces},
                  resource_type="metricNamespaces"),
    InsightsRoute(SUB + INSIGHTS + r"/eventtypes/management/values", {"GET": list_activity_log},
                  resource_type="eventtypes"),
]
