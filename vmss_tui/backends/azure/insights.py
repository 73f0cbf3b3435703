"""The live adapter's Autoscale capability: autoscale settings, metrics and the autoscale activity log.

A mixin of `AzureBackend` (like `NetworkReads`): azure-mgmt-monitor's `MonitorManagementClient` is
imported on first use (the emulator path never imports azure). Settings go through the one codec
(`vmss_tui.arm.insights`), so a body the emulator refuses is refused here before it is sent.

What Azure does not publish, and what the adapter gives instead (docs/emulator-fidelity.md, "Autoscale
endpoint and adapter (issue 13)"):
- History: the activity log holds only the runs that scaled, flapped or failed (`Scaleup`/`Scaledown`/
  `Flapping` events); cooldown holds live in resource logs (Log Analytics), which the adapter does not read.
- Status: Azure's engine exposes no dry run. The adapter runs the same pure engine on Azure Monitor's
  metrics; when they cannot be read, `now` says so (`MetricsMissing`, "no dry run: ...").
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from statistics import fmean
from typing import Any, Callable

from ...arm.insights import setting_from_arm, setting_id
from ...domain import errors, names
from .translated import translated
from ...domain.autoscale.durations import format_duration
from ...domain.autoscale.engine import EVALUATION_INTERVAL, Evaluation, Outcome, active_profile, evaluate
from ...domain.autoscale.metrics import METRIC_INTERVALS
from ...domain.autoscale.model import AutoscaleSetting, MetricStatistic, MetricTrigger, TimeAggregation
from ...domain.autoscale.status import AutoscaleStatus

log = logging.getLogger(__name__)

METRIC_GRAINS = METRIC_INTERVALS
"""The intervals Azure Monitor answers platform metrics at."""
ACTIVITY_LOG_DAYS = 89
"""The activity log keeps 90 days; a history without `since` asks for all of it."""
_AGGREGATION = {MetricStatistic.AVERAGE: "Average", MetricStatistic.MIN: "Minimum", MetricStatistic.MAX: "Maximum",
                MetricStatistic.SUM: "Total", MetricStatistic.COUNT: "Count"}
"""A rule's `statistic` (how instances combine) as the metrics API's aggregation over the scale set."""
_SCALE_UP = "microsoft.insights/autoscalesettings/scaleup/action"
_SCALE_DOWN = "microsoft.insights/autoscalesettings/scaledown/action"
_FLAPPING = "microsoft.insights/autoscalesettings/flapping/action"


def _scale_set_id(subscription_id: str, resource_group: str, name: str) -> str:
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Compute/virtualMachineScaleSets/{name}")


def _group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


def _not_found(resource_group: str, name: str) -> errors.ResourceNotFound:
    return errors.ResourceNotFound(
        f"The Resource 'microsoft.insights/autoscalesettings/{name}' under resource group '{resource_group}' "
        "was not found.", target=name)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return _utc(moment).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def evaluations_from_events(events: list[dict[str, Any]]) -> list[Evaluation]:
    """Autoscale activity-log events (EventData as JSON) as the engine's runs, oldest first.

    `Scaleup`/`Scaledown` Succeeded are scale-outs and scale-ins (a min/max or default-capacity correction
    reads the same: the log does not say which), Failed is a failed scale; a `Flapping` event is a skipped
    scale-in, or (`FlappingOccurred`, with the scale-down it precedes) a reduced one. `Started` events are
    the same actions, still running: skipped.
    """
    rows = []
    for event in events:
        operation = str((event.get("operationName") or {}).get("value") or "").lower()
        status = str((event.get("status") or {}).get("value") or "")
        if operation not in (_SCALE_UP, _SCALE_DOWN, _FLAPPING) or status.lower() == "started":
            continue
        properties = event.get("properties") or {}
        try:
            current = int(properties.get("OldInstancesCount"))
            target = int(properties.get("NewInstancesCount", current))
        except (TypeError, ValueError):
            continue
        at = _utc(datetime.fromisoformat(str(event["eventTimestamp"]).replace("Z", "+00:00")))
        profile = str(properties.get("ActiveAutoscaleProfile") or "")
        try:
            decoded = json.loads(profile)
            profile = str(decoded.get("Name") or decoded.get("name") or profile) if isinstance(decoded, dict) else profile
        except ValueError:
            pass
        event_name = str((event.get("eventName") or {}).get("value") or "")
        reason = str(properties.get("Description") or event.get("description") or "")
        if operation == _FLAPPING:
            outcome = Outcome.FLAPPING_OCCURRED if event_name == "FlappingOccurred" else Outcome.FLAPPING
            if outcome is Outcome.FLAPPING:
                target = current
        elif status.lower() == "failed":
            outcome, target = Outcome.SCALE_FAILED, current
        else:
            outcome = Outcome.SCALE_OUT if target > current else Outcome.SCALE_IN
        rows.append(Evaluation(at, profile, current, target, outcome, reason))
    rows.sort(key=lambda run: (run.at, run.outcome is not Outcome.FLAPPING_OCCURRED))
    merged: list[Evaluation] = []
    for run in rows:  # a FlappingOccurred event and its scale-down are one run that scaled in less
        previous = merged[-1] if merged else None
        if (previous is not None and previous.outcome is Outcome.FLAPPING_OCCURRED and run.outcome is Outcome.SCALE_IN
                and abs((run.at - previous.at).total_seconds()) < EVALUATION_INTERVAL):
            merged[-1] = Evaluation(run.at, run.profile or previous.profile, run.current, run.target,
                                    Outcome.FLAPPING_OCCURRED, previous.reason)
            continue
        merged.append(run)
    return merged


def time_aggregate(values: list[float], aggregation: TimeAggregation) -> float | None:
    """The grains of a window combined as the trigger's `timeAggregation` says."""
    if not values:
        return None
    return float({TimeAggregation.AVERAGE: fmean, TimeAggregation.MINIMUM: min, TimeAggregation.MAXIMUM: max,
                  TimeAggregation.TOTAL: sum, TimeAggregation.COUNT: len,
                  TimeAggregation.LAST: lambda v: v[-1]}[aggregation](values))


class AutoscaleReads:
    """`Autoscale` for the live adapter (mixed into AzureBackend, which supplies credential and options)."""

    _credential: Any
    _lock: Any
    _resource_client_options: dict[str, Any]
    subscription_id: str
    _monitor_client_instance: Any = None
    _clock: Any = None
    """Anything with `now()`; None reads the system clock (tests point it at the emulator's clock)."""

    @staticmethod
    def _translate_error(error: Exception, endpoint: Any) -> Exception:
        return error

    def _monitor_client(self) -> Any:
        """azure-mgmt-monitor's MonitorManagementClient on the same credential, endpoint and timeouts."""
        with self._lock:
            if self._monitor_client_instance is None:
                from azure.mgmt.monitor import MonitorManagementClient

                options = {key: value for key, value in self._resource_client_options.items() if value is not None}
                options.pop("polling_interval", None)
                hook = getattr(self, "_observe_response", None)
                if hook is not None:
                    options["raw_response_hook"] = hook
                self._monitor_client_instance = MonitorManagementClient(self._credential, self.subscription_id,
                                                                        **options)
            return self._monitor_client_instance

    def _monitor_now(self) -> datetime:
        return _utc(self._clock.now()) if self._clock is not None else datetime.now(timezone.utc)

    def _refuse_writes(self, what: str) -> None:
        refuse = getattr(self, "_refuse_if_read_only", None)
        if refuse is not None:
            refuse(what)

    def _status_hook(self, statuses: list[int]) -> Callable[[Any], None]:
        """A per-call response hook that records the status and still reports throttling (it replaces the client's)."""
        observe = getattr(self, "_observe_response", None)

        def hook(response: Any) -> None:
            statuses.append(response.http_response.status_code)
            if observe is not None:
                observe(response)

        return hook

    @staticmethod
    def _setting_of(model: Any) -> AutoscaleSetting:
        body = model.serialize(keep_readonly=True)
        return setting_from_arm(body, name=str(model.name), resource_group=_group_of(str(model.id or "")))

    # --- settings ---------------------------------------------------------------------------

    @translated
    def put_autoscale_setting(self, resource_group: str, name: str,
                              body: dict[str, Any]) -> tuple[AutoscaleSetting, bool]:
        names.validate_resource_group_name(resource_group)
        names.validate_autoscale_setting_name(name)
        setting_from_arm(body, name=name, resource_group=resource_group)  # what Azure's schema refuses, unsent
        self._refuse_writes("autoscale create/update")
        statuses: list[int] = []
        model = self._monitor_client().autoscale_settings.create_or_update(
            resource_group, name, body, raw_response_hook=self._status_hook(statuses))
        return self._setting_of(model), bool(statuses) and statuses[-1] == 201  # 201 created, 200 replaced

    @translated
    def get_autoscale_setting(self, resource_group: str, name: str) -> AutoscaleSetting:
        names.validate_resource_group_name(resource_group)
        names.validate_autoscale_setting_name(name)
        return self._setting_of(self._monitor_client().autoscale_settings.get(resource_group, name))

    @translated
    def list_autoscale_settings(self, resource_group: str | None = None) -> list[AutoscaleSetting]:
        operations = self._monitor_client().autoscale_settings
        if resource_group is not None:
            names.validate_resource_group_name(resource_group)
            pages = operations.list_by_resource_group(resource_group)
        else:
            pages = operations.list_by_subscription()
        found = []
        for model in pages:
            try:
                found.append(self._setting_of(model))
            except errors.AzureError as problem:  # one setting the codec cannot read must not hide the others
                log.warning("autoscale setting %s skipped: %s", names.shown(str(model.id or model.name), 200),
                            problem.message)
        return sorted(found, key=lambda s: (s.resource_group.lower(), s.name.lower()))

    @translated
    def delete_autoscale_setting(self, resource_group: str, name: str) -> None:
        """Azure answers 204 when there was nothing to delete: that is ResourceNotFound, as in the emulator."""
        names.validate_resource_group_name(resource_group)
        names.validate_autoscale_setting_name(name)
        self._refuse_writes("autoscale delete")
        statuses: list[int] = []
        self._monitor_client().autoscale_settings.delete(
            resource_group, name, raw_response_hook=self._status_hook(statuses))
        if statuses and statuses[-1] == 204:
            raise _not_found(resource_group, name)

    def autoscale_setting_for(self, resource_group: str, scale_set: str) -> AutoscaleSetting | None:
        """The setting in the set's group whose targetResourceUri is the set (az creates it there)."""
        for setting in self.list_autoscale_settings(resource_group):
            target = setting.target
            if target and target[0].lower() == resource_group.lower() and target[1].lower() == scale_set.lower():
                return setting
        return None

    # --- history ------------------------------------------------------------------------------

    @translated
    def _autoscale_events(self, resource_id: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
        query = (f"eventTimestamp ge '{_iso(since)}' and eventTimestamp le '{_iso(until)}' "
                 f"and resourceUri eq '{resource_id}'")
        return [event.serialize(keep_readonly=True)
                for event in self._monitor_client().activity_logs.list(filter=query)]

    def autoscale_history(self, resource_group: str, name: str, since: datetime | None = None) -> list[Evaluation]:
        """The runs the activity log shows (scaled, flapped, failed), oldest first."""
        setting = self.get_autoscale_setting(resource_group, name)
        now = self._monitor_now()
        start = _utc(since) if since is not None else now - timedelta(days=ACTIVITY_LOG_DAYS)
        resource_id = setting_id(self.subscription_id, setting.resource_group, setting.name)
        return evaluations_from_events(self._autoscale_events(resource_id, start, now))

    # --- metrics ------------------------------------------------------------------------------

    @translated
    def _metric_points(self, resource_uri: str, metric: str, start: datetime, end: datetime, interval: float,
                       statistic: MetricStatistic) -> list[tuple[datetime, float | None]]:
        grain = format_duration(interval)
        if grain not in METRIC_GRAINS:
            raise errors.InvalidParameter(f"Azure Monitor has no {grain} interval; use one of "
                                          f"{', '.join(METRIC_GRAINS)}.", target="interval")
        aggregation = _AGGREGATION[statistic]
        response = self._monitor_client().metrics.list(
            resource_uri, timespan=f"{_iso(start)}/{_iso(end)}", interval=grain, metricnames=metric,
            aggregation=aggregation)
        attribute = aggregation.lower()
        points: list[tuple[datetime, float | None]] = []
        for found in response.value or ():
            for series in found.timeseries or ():
                for point in series.data or ():
                    value = getattr(point, attribute, None)
                    points.append((_utc(point.time_stamp), None if value is None else float(value)))
        return sorted(points, key=lambda item: item[0])

    def metric_series(self, resource_group: str, scale_set: str, metric: str, *, start: datetime, end: datetime,
                      interval: float = 60.0, statistic: MetricStatistic = MetricStatistic.AVERAGE
                      ) -> list[tuple[datetime, float | None]]:
        names.validate_resource_group_name(resource_group)
        names.validate_scale_set_name(scale_set)
        return self._metric_points(_scale_set_id(self.subscription_id, resource_group, scale_set), metric,
                                   start, end, interval, statistic)

    # --- status -------------------------------------------------------------------------------

    def autoscale_status(self, resource_group: str, name: str) -> AutoscaleStatus:
        """A setting (by its name or its scale set's) with a dry run of the engine on Azure Monitor's metrics."""
        try:
            setting = self.get_autoscale_setting(resource_group, name)
        except errors.ResourceNotFound:
            found = self.autoscale_setting_for(resource_group, name)
            if found is None:
                raise
            setting = found
        now = self._monitor_now()
        target = setting.target
        current = 0
        if target is not None:
            scale_set = self.get_scale_set(*target)  # type: ignore[attr-defined]
            current = int(scale_set.capacity)
        history = self.autoscale_history(setting.resource_group, setting.name, now - timedelta(days=7))
        scales = [run for run in history if run.acted]
        last_scale_at = scales[-1].at if scales else None
        problems: list[str] = []

        def read_metric(trigger: MetricTrigger) -> float | None:
            uri = trigger.metric_resource_uri or setting.target_resource_uri
            try:
                points = self._metric_points(uri, trigger.metric_name, now - timedelta(seconds=trigger.time_window),
                                             now, trigger.time_grain, trigger.statistic)
            except errors.AzureError as problem:
                problems.append(f"{trigger.metric_name}: {problem.message}")
                return None
            value = time_aggregate([v for _at, v in points if v is not None], trigger.time_aggregation)
            if value is not None and trigger.divide_per_instance and current > 0:
                value /= current
            return value

        dry = evaluate(setting, now=now, current=current, last_scale_at=last_scale_at, read_metric=read_metric)
        if problems:
            profile = active_profile(setting, now)
            dry = Evaluation(now, profile.name if profile else "", current, current, Outcome.METRICS_MISSING,
                             "no dry run: Azure Monitor's metrics could not be read (" + "; ".join(problems) + ")",
                             dry.readings)
        cooldowns = [r.scale_action.cooldown for p in setting.profiles for r in p.rules]
        left = 0.0
        if last_scale_at is not None and cooldowns:
            left = max(0.0, (last_scale_at + timedelta(seconds=max(cooldowns)) - now).total_seconds())
        return AutoscaleStatus(setting, current, dry, history[-1] if history else None,
                               now + timedelta(seconds=EVALUATION_INTERVAL), left, "")
