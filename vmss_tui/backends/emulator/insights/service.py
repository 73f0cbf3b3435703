"""Autoscale settings, simulated load and metrics (Microsoft.Insights), evaluated lazily from the clock.

Nothing runs in the background. A setting remembers the next instant the engine is due
(`next_tick`); whoever touches the target set next (a read of the set, a write to it, a read of
the setting, its history or metrics) first catches up: every 60 s tick between then and now is
evaluated in order, in one store transaction, and each scale it decides goes through compute's own
scale path at that tick's time (scale-in policy and protection honoured). A second process reading
later sees the same history because all of it follows from stored timestamps and the clock.

Store shards (this room's own; keys unchanged once written):
- `autoscale/<group>/<name>`: table `setting` (one doc: `arm` the resource as ARM JSON, `next_tick`,
  `last_scale_at`, `created`, `individual_deletes`: the VM-level deletes of Flexible members the engine
  may not have seen yet, each `{op, at, ids}`, kept while compute keeps that operation), table `history`
  (evaluations that acted, flapped, were held by a cooldown or by min/max, and the first run that counted
  VMs deleted individually; the last `HISTORY_KEPT`), table `last` (the latest evaluation).
- `load/<group>/<set>`: table `load` (one doc: the set's simulated load).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from ....arm.insights import AutoscaleBadRequest, setting_from_arm, setting_to_arm, setting_id
from ....domain import errors, names
from ....domain.autoscale.engine import ACTING, EVALUATION_INTERVAL, Evaluation, Outcome, evaluate
from ....domain.autoscale.load import Load
from ....domain.autoscale.model import AutoscaleSetting, MetricStatistic
from ....domain.autoscale.observed import IndividualDelete, UnseenDeletes, next_change, seen_at, unseen_deletes
from ....domain.autoscale.status import AutoscaleStatus
from ....domain.models import OrchestrationMode
from ....domain.sizes import find_size
from ..compute.shard import SetShard, key_part, load as load_set, save as save_set, set_key
from ..engine.context import Context
from ..resources import groups
from ..store import Transaction
from .sampling import LoadSampler

from . import SETTINGS_PREFIX
LOAD_PREFIX = "load/"
HISTORY_KEPT = 5000
CATCH_UP_LIMIT = 7 * 86400
"""At most a week of evaluations is replayed; older ticks are skipped (and the skip is recorded)."""
REFRESHING_KINDS = frozenset({"scale", "deleteInstances"})
"""Compute's operations at the scale set's level that change its count: after one, autoscale reads the count again
(an individual VM delete is a `deleteInstances` too, told apart by the note this room keeps of it)."""
RECORDED = frozenset({Outcome.SCALE_FAILED, Outcome.SCALE_OUT, Outcome.SCALE_IN, Outcome.FLAPPING, Outcome.FLAPPING_OCCURRED,
                      Outcome.MIN_MAX, Outcome.DEFAULT_CAPACITY, Outcome.COOLDOWN, Outcome.METRICS_MISSING})

ScaleWithin = Callable[[Transaction, SetShard, int, float, str], None]
"""Compute's scale path inside an open transaction at a given time (the scale set room provides it)."""


def settings_key(resource_group: str, name: str) -> str:
    names.validate_resource_group_name(resource_group)
    names.validate_autoscale_setting_name(name)
    return f"{SETTINGS_PREFIX}{key_part(resource_group)}/{key_part(name)}"


def load_key(resource_group: str, scale_set: str) -> str:
    names.validate_resource_group_name(resource_group)
    names.validate_scale_set_name(scale_set)
    return f"{LOAD_PREFIX}{key_part(resource_group)}/{key_part(scale_set)}"


def _epoch(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, timezone.utc)


class InsightsService:
    """Autoscale settings and what the engine did; the load an operator sets; metrics."""

    def __init__(self, ctx: Context, scale_within: ScaleWithin) -> None:
        self.ctx = ctx
        self._scale_within = scale_within

    # --- settings ---------------------------------------------------------------------------

    def put_autoscale_setting(self, resource_group: str, name: str, body: dict[str, Any]) -> tuple[AutoscaleSetting, bool]:
        """Create or replace a setting (ARM's PUT); one setting per target resource [AS-SET]."""
        key = settings_key(resource_group, name)
        setting = setting_from_arm(body, name=name, resource_group=resource_group)
        target = setting.target
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            group = groups.require_group_for_change(txn, resource_group, now)
            subscription_id = groups.meta_doc(txn)["id"]
            if target is None:
                raise AutoscaleBadRequest(
                    f"The target resource '{setting.target_resource_uri}' is not a virtual machine scale set "
                    "of this subscription; the emulator autoscales scale sets.", target="properties.targetResourceUri")
            target_shard = load_set(txn, set_key(*target))
            if target_shard is None:
                raise errors.ResourceNotFound(
                    f"The target resource '{setting.target_resource_uri}' could not be found.",
                    target="properties.targetResourceUri")
            for other_key, other in self._settings(txn):
                other_setting = _setting_of(other)
                if other_key != key and other_setting.target and _same_set(other_setting.target, target):
                    raise AutoscaleBadRequest(
                        f"The target resource '{setting.target_resource_uri}' already has an autoscale setting "
                        f"('{other_setting.name}'); a resource can have only one.", target="properties.targetResourceUri")
            table = txn.db(key).table("setting")
            existing = table.all()
            stored_name = existing[0]["arm"]["name"] if existing else name
            resource_id = setting_id(subscription_id, group["name"], stored_name)
            arm = setting_to_arm(setting, resource_id=resource_id)
            doc = dict(existing[0]) if existing else {"created": now, "next_tick": now + EVALUATION_INTERVAL,
                                                      "last_scale_at": None}
            doc["arm"] = arm
            table.truncate()
            table.insert(doc)
            return setting_from_arm(arm, name=stored_name, resource_group=group["name"]), not existing

    def get_autoscale_setting(self, resource_group: str, name: str) -> AutoscaleSetting:
        key = settings_key(resource_group, name)
        self.catch_up(key)
        with self.ctx.store.snapshot() as txn:
            docs = txn.db(key).table("setting").all() if txn.exists(key) else []
            if not docs:
                groups.require_group(txn, resource_group, self.ctx.now())
                raise _not_found(resource_group, name)
            return _setting_of(docs[0])

    def list_autoscale_settings(self, resource_group: str | None = None) -> list[AutoscaleSetting]:
        with self.ctx.store.snapshot() as txn:
            if resource_group is not None:
                groups.require_group(txn, resource_group, self.ctx.now())
            found = [_setting_of(doc) for _key, doc in self._settings(txn)]
        if resource_group is not None:
            found = [s for s in found if s.resource_group.lower() == resource_group.lower()]
        return sorted(found, key=lambda s: (s.resource_group.lower(), s.name.lower()))

    def delete_autoscale_setting(self, resource_group: str, name: str) -> None:
        key = settings_key(resource_group, name)
        with self.ctx.store.transaction() as txn:
            if not txn.exists(key) or not txn.db(key).table("setting").all():
                groups.require_group(txn, resource_group, self.ctx.now())
                raise _not_found(resource_group, name)
            txn.drop(key)

    def setting_for_scale_set(self, resource_group: str, scale_set: str) -> AutoscaleSetting | None:
        """The setting that targets this set, if any (after catching it up)."""
        key = self._key_targeting(resource_group, scale_set)
        if key is None:
            return None
        self.catch_up(key)
        with self.ctx.store.snapshot() as txn:
            docs = txn.db(key).table("setting").all() if txn.exists(key) else []
            return _setting_of(docs[0]) if docs else None

    def autoscale_history(self, resource_group: str, name: str, since: float | None = None) -> list[Evaluation]:
        """Every recorded run (acted, flapped, held), oldest first; `since` is an epoch."""
        key = settings_key(resource_group, name)
        self.catch_up(key)
        with self.ctx.store.snapshot() as txn:
            if not txn.exists(key):
                raise _not_found(resource_group, name)
            tables = txn.view(key)
        runs = [Evaluation.from_doc(doc) for _id, doc in sorted(tables.get("history", {}).items(),
                                                                 key=lambda item: int(item[0]))]
        return [run for run in runs if since is None or run.at.timestamp() >= since]

    def last_evaluation(self, resource_group: str, name: str) -> Evaluation | None:
        key = settings_key(resource_group, name)
        with self.ctx.store.snapshot() as txn:
            if not txn.exists(key):
                return None
            docs = list(txn.view(key).get("last", {}).values())
        return Evaluation.from_doc(docs[0]) if docs else None

    def next_evaluation_at(self, resource_group: str, name: str) -> datetime | None:
        key = settings_key(resource_group, name)
        with self.ctx.store.snapshot() as txn:
            docs = list(txn.view(key).get("setting", {}).values()) if txn.exists(key) else []
        return _epoch(float(docs[0]["next_tick"])) if docs else None

    # --- load and metrics -------------------------------------------------------------------

    def get_load(self, resource_group: str, scale_set: str) -> Load:
        key = load_key(resource_group, scale_set)
        with self.ctx.store.snapshot() as txn:
            docs = list(txn.view(key).get("load", {}).values()) if txn.exists(key) else []
        return Load.from_doc(docs[0]) if docs else Load()

    def set_load(self, resource_group: str, scale_set: str, change: Callable[[Load, float], Load]) -> Load:
        """Change a set's simulated load; the engine first catches up under the old load (it applied until now)."""
        target_key = self._key_targeting(resource_group, scale_set)
        if target_key is not None:
            self.catch_up(target_key)
        key = load_key(resource_group, scale_set)
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            if load_set(txn, set_key(resource_group, scale_set)) is None:
                raise errors.scale_set_not_found(resource_group, scale_set)
            table = txn.db(key).table("load")
            docs = table.all()
            updated = change(Load.from_doc(docs[0]) if docs else Load(), now)
            table.truncate()
            table.insert(updated.to_doc())
            return updated

    def metric_series(self, resource_group: str, scale_set: str, metric: str, *, start: float, end: float,
                      interval: float = 60.0, statistic: MetricStatistic = MetricStatistic.AVERAGE
                      ) -> list[tuple[datetime, float | None]]:
        """The metric across the set's running instances per interval, as `az monitor metrics list` reads it."""
        target_key = self._key_targeting(resource_group, scale_set)
        if target_key is not None:
            self.catch_up(target_key)
        load = self.get_load(resource_group, scale_set)
        with self.ctx.store.snapshot() as txn:
            shard = load_set(txn, set_key(resource_group, scale_set))
            if shard is None:
                raise errors.scale_set_not_found(resource_group, scale_set)
        sampler = LoadSampler(shard.instances, load, since=start, memory_bytes=_memory_bytes(shard))
        return [(_epoch(at), value) for at, value in sampler.series(metric, statistic, start, end, interval)]

    def status(self, resource_group: str, name: str) -> AutoscaleStatus:
        """The setting on a set with a dry run now: the rules' metrics against their thresholds."""
        try:  # a scale set's name, or a setting's (which need not be a valid set name)
            key = self._key_targeting(resource_group, name)
        except errors.AzureError:
            key = None
        key = key or settings_key(resource_group, name)
        self.catch_up(key)
        with self.ctx.store.snapshot() as txn:
            if not txn.exists(key):
                raise _not_found(resource_group, name)
            tables = txn.view(key)
            doc = next(iter(tables.get("setting", {}).values()))
            last_docs = list(tables.get("last", {}).values())
            setting = _setting_of(doc)
            target = setting.target
            shard = load_set(txn, set_key(*target)) if target else None
            load = self._stored_load(txn, *target) if target else Load()
        now = self.ctx.now()
        last_scale = doc.get("last_scale_at")
        current = len(shard.live_instances()) if shard else 0
        unseen = _unseen(doc, shard, now) if shard else None
        counted = current + (unseen.count if unseen else 0)
        lookback = max((r.metric_trigger.time_window for p in setting.profiles for r in p.rules), default=0.0)
        sampler = LoadSampler(shard.instances if shard else [], load, since=now, lookback=lookback,
                              memory_bytes=_memory_bytes(shard) if shard else 8 * 2**30)
        dry = evaluate(setting, now=_epoch(now), current=counted,
                       last_scale_at=_epoch(last_scale) if last_scale is not None else None,
                       read_metric=lambda trigger: sampler.value(trigger, now, counted))
        if unseen is not None:
            dry = replace(dry, unseen=unseen, reason=f"{dry.reason}; {unseen.words(_epoch(now))}")
        cooldowns = [r.scale_action.cooldown for p in setting.profiles for r in p.rules]
        left = max(0.0, last_scale + max(cooldowns) - now) if last_scale is not None and cooldowns else 0.0
        return AutoscaleStatus(setting, current, dry, Evaluation.from_doc(last_docs[0]) if last_docs else None,
                               _epoch(float(doc["next_tick"])), left, load.describe(now))

    def simulate(self, resource_group: str, scale_set: str, load: Load, seconds: float) -> list[Evaluation]:
        """What autoscale would do under `load` for the next `seconds`, on a copy: nothing is stored."""
        key = self._key_targeting(resource_group, scale_set)
        if key is None:
            raise errors.ResourceNotFound(
                f"Scale set '{scale_set}' in resource group '{resource_group}' has no autoscale setting; "
                "create one first (autoscale create).", target=scale_set)
        self.catch_up(key)
        runs: list[Evaluation] = []
        try:
            with self.ctx.store.transaction() as txn:  # the scale path needs one; it is always rolled back
                doc = dict(next(iter(txn.view(key).get("setting", {}).values())))
                setting = _setting_of(doc)
                now = self.ctx.now()
                doc["next_tick"] = max(float(doc["next_tick"]), now)
                runs = self._run(txn, setting, doc, now + seconds, load=load, store=False)
                raise _RollBack
        except _RollBack:
            pass
        shown = ACTING | {Outcome.FLAPPING, Outcome.SCALE_FAILED}
        return [run for run in runs if run.outcome in shown or run is runs[-1]]

    def vm_deleted_individually(self, resource_group: str, scale_set: str, operation_id: str) -> None:
        """Note that compute's operation `operation_id` deleted Flexible VMs one by one (`az vm delete`), not
        through the scale set: the engine keeps counting them until it sees them (vector A30, [AS-TS]).

        Called after the delete (its own transaction). Nothing is noted when no setting watches the set.
        """
        key = self._key_targeting(resource_group, scale_set)
        if key is None:
            return
        with self.ctx.store.transaction() as txn:
            shard = load_set(txn, set_key(resource_group, scale_set))
            if shard is None or OrchestrationMode(shard.set_doc["mode"]) is not OrchestrationMode.FLEXIBLE:
                return
            op = next((op for op in shard.operations if op["id"] == operation_id), None)
            table = txn.db(key).table("setting")
            stored = table.all()
            if op is None or not op["removed"] or not stored:
                return
            doc = dict(stored[0])
            kept = {o["id"] for o in shard.operations}
            notes = [n for n in doc.get("individual_deletes", []) if n["op"] in kept and n["op"] != operation_id]
            notes.append({"op": operation_id, "at": float(op["start"]), "ids": [str(i) for i in op["removed"]]})
            doc["individual_deletes"] = notes
            table.truncate()
            table.insert(doc)

    def catch_up_all(self) -> None:
        """Catch up every setting that is due (the sets pane reads every set)."""
        now = self.ctx.now()
        with self.ctx.store.snapshot() as txn:
            due = [key for key, doc in self._settings(txn) if float(doc["next_tick"]) <= now]
        for key in due:
            self.catch_up(key)

    def _stored_load(self, txn: Transaction, resource_group: str, scale_set: str) -> Load:
        key = load_key(resource_group, scale_set)
        return Load.from_doc(next(iter(txn.view(key).get("load", {}).values()), None) if txn.exists(key) else None)

    # --- the engine -------------------------------------------------------------------------

    def catch_up_scale_set(self, resource_group: str, scale_set: str) -> None:
        """Run the evaluations due for the setting on this set, if there is one (before a write or a read)."""
        key = self._key_targeting(resource_group, scale_set)
        if key is not None:
            self.catch_up(key)

    def catch_up(self, key: str) -> None:
        """Evaluate every tick from the setting's `next_tick` up to now, in one transaction."""
        now = self.ctx.now()
        with self.ctx.store.snapshot() as txn:
            if not txn.exists(key):
                return
            docs = list(txn.view(key).get("setting", {}).values())
        if not docs or float(docs[0]["next_tick"]) > now:
            return
        with self.ctx.store.transaction() as txn:
            now = self.ctx.now()
            table = txn.db(key).table("setting")
            stored = table.all()
            if not stored or float(stored[0]["next_tick"]) > now:
                return  # another process caught up first
            doc = dict(stored[0])
            setting = _setting_of(doc)
            runs = self._run(txn, setting, doc, now)
            table.truncate()
            table.insert(doc)
            if runs:
                last_docs = list(txn.view(key).get("last", {}).values()) if txn.exists(key) else []
                previous = Evaluation.from_doc(last_docs[0]) if last_docs else None
                recorded = [r.to_doc() for r in _worth_keeping(runs, previous)][-HISTORY_KEPT:]
                if recorded:
                    history = txn.db(key).table("history")
                    history.insert_multiple(recorded)  # appended; the oldest go once there are too many
                    if len(history) > HISTORY_KEPT + HISTORY_KEPT // 10:
                        ids = sorted(doc.doc_id for doc in history.all())
                        history.remove(doc_ids=ids[:len(ids) - HISTORY_KEPT])
                last = txn.db(key).table("last")
                last.truncate()
                last.insert(runs[-1].to_doc())

    def _run(self, txn: Transaction, setting: AutoscaleSetting, doc: dict[str, Any], now: float, *,
             load: Load | None = None, store: bool = True) -> list[Evaluation]:
        tick = float(doc["next_tick"])
        runs: list[Evaluation] = []
        if now - tick > CATCH_UP_LIMIT:
            tick = now - CATCH_UP_LIMIT
        target = setting.target
        shard = load_set(txn, set_key(*target)) if target else None
        if shard is None:
            doc["next_tick"] = now + EVALUATION_INTERVAL
            return runs
        if load is None:
            load = self._stored_load(txn, *target)
        lookback = max((r.metric_trigger.time_window for p in setting.profiles for r in p.rules), default=0.0)
        sampler = LoadSampler(shard.instances, load, since=tick, memory_bytes=_memory_bytes(shard), lookback=lookback)
        last_scale = doc.get("last_scale_at")
        changed = False
        simple = len(setting.profiles) == 1 and setting.profiles[0].kind == "default"
        current = len(shard.live_instances())
        deletes = _individual_deletes(doc, shard)
        live_ids = _live_ids(shard) if deletes else frozenset()
        while tick <= now:
            unseen = unseen_deletes(deletes, tick, live_ids) if deletes else None
            counted = current + (unseen.count if unseen else 0)  # the engine's count: what it has seen [AS-TS]
            run = evaluate(setting, now=_epoch(tick), current=counted,
                           last_scale_at=_epoch(last_scale) if last_scale is not None else None,
                           read_metric=lambda trigger, at=tick, count=counted: sampler.value(trigger, at, count))
            if unseen is not None:
                run = replace(run, unseen=unseen, reason=f"{run.reason}; {unseen.words()}")
            if run.acted:
                before = (dict(shard.set_doc), list(shard.instances), list(shard.operations))  # checks come first
                try:
                    self._scale_within(txn, shard, run.target, tick, f"autoscale {setting.name}: {run.reason}")
                except errors.AzureError as exc:  # Azure logs a failed scale action and tries again next run
                    shard.set_doc, shard.instances, shard.operations = before
                    run = replace(run, target=run.current, outcome=Outcome.SCALE_FAILED,
                                  reason=f"{run.reason}; the scale failed: {exc}")
                else:
                    last_scale = tick
                    changed = True
                    save_set(txn, shard)  # the next quota check counts what autoscale already added
                    sampler.reset(shard.instances, tick)
                    current = len(shard.live_instances())
                    if deletes:  # its own scale read the set's count again: the deletes before it are seen
                        deletes = _individual_deletes(doc, shard)
                        live_ids = _live_ids(shard)
            if not runs or not _same(runs[-1], run):
                runs.append(run)
            evaluated, tick = tick, tick + EVALUATION_INTERVAL
            if not run.acted and simple:
                skipped_to = self._skip_quiet_runs(sampler, setting, run, tick, lookback, last_scale)
                change = next_change(deletes, evaluated) if deletes else float("inf")
                if skipped_to > change:  # the engine's count changes then: that run is evaluated
                    skipped_to = tick + max(0.0, -(-(change - tick) // EVALUATION_INTERVAL)) * EVALUATION_INTERVAL
                if skipped_to > now:  # never past now: a later change (of load, say) must be evaluated
                    skipped_to = tick + (-(-(now - tick) // EVALUATION_INTERVAL)) * EVALUATION_INTERVAL
                    if skipped_to <= now:
                        skipped_to += EVALUATION_INTERVAL
                tick = skipped_to
        doc["next_tick"] = tick
        doc["last_scale_at"] = last_scale
        if doc.get("individual_deletes"):  # kept while compute keeps their operation (needed to tell them apart)
            kept = {op["id"] for op in shard.operations}
            doc["individual_deletes"] = [n for n in doc["individual_deletes"] if n["op"] in kept]
        if changed and store:
            save_set(txn, shard)
        return runs

    @staticmethod
    def _skip_quiet_runs(sampler: LoadSampler, setting: AutoscaleSetting, run: Evaluation, tick: float,
                         lookback: float, last_scale: float | None) -> float:
        """The next tick whose outcome can differ from `run`'s: inputs steady over its window and after."""
        span = sampler.stable_span(tick - EVALUATION_INTERVAL)
        if span is None or span[0] > tick - EVALUATION_INTERVAL - lookback:
            return tick
        until = span[1]
        if run.outcome is Outcome.COOLDOWN and last_scale is not None:
            cooldown = max((r.scale_action.cooldown for p in setting.profiles for r in p.rules), default=0.0)
            until = min(until, last_scale + cooldown)
        if until <= tick:
            return tick
        if until == float("inf"):
            return until
        steps = -(-(until - tick) // EVALUATION_INTERVAL)
        return tick + steps * EVALUATION_INTERVAL

    # --- helpers ----------------------------------------------------------------------------

    def _settings(self, txn: Transaction) -> Iterator[tuple[str, dict[str, Any]]]:
        for key in txn.shard_keys(SETTINGS_PREFIX):
            try:
                docs = list(txn.view(key).get("setting", {}).values())
            except errors.StoreDamaged:
                continue
            if docs:
                yield key, docs[0]

    def _key_targeting(self, resource_group: str, scale_set: str) -> str | None:
        """The key of the setting whose target is this set (only the stored target is read, not parsed)."""
        with self.ctx.store.snapshot() as txn:
            for key, doc in self._settings(txn):
                target = _target_of(doc)
                if target and _same_set(target, (resource_group, scale_set)):
                    return key
        return None


class _RollBack(Exception):
    """Raised to leave a transaction without writing anything (a simulation)."""


def _same(a: Evaluation, b: Evaluation) -> bool:
    """Consecutive runs that changed nothing and say the same are kept once (history stays readable)."""
    if a.acted or b.acted or a.outcome is not b.outcome or a.unseen != b.unseen:
        return False
    return a.outcome is Outcome.COOLDOWN or a.reason == b.reason  # a cooldown counting down is one hold


def _worth_keeping(runs: list[Evaluation], previous: Evaluation | None) -> list[Evaluation]:
    """The runs the history keeps: those in RECORDED, and a quiet run whose count first differs from the
    set's because of VMs deleted individually (once per change, however many catch-ups see it)."""
    kept = []
    for run in runs:
        if run.outcome in RECORDED:
            kept.append(run)
        elif run.unseen is not None and (previous is None or previous.unseen is None
                                         or (previous.unseen.count, previous.unseen.last_deleted_at)
                                         != (run.unseen.count, run.unseen.last_deleted_at)):
            kept.append(run)
        previous = run
    return kept


def _individual_deletes(doc: dict[str, Any], shard: SetShard) -> list[IndividualDelete]:
    """The setting's notes of VM-level deletes, each with when the engine sees it: its delay, or the first
    scale-set-level change of the count after it (compute's operations are in the order they were asked)."""
    notes = doc.get("individual_deletes") or []
    if not notes:
        return []
    operations = shard.operations
    position = {op["id"]: index for index, op in enumerate(operations)}
    individual = {note["op"] for note in notes}
    deletes = []
    for note in notes:
        index = position.get(note["op"])
        if index is None:
            continue  # compute no longer keeps its operation: a hundred operations later, long seen
        refreshed = next((float(op["start"]) for op in operations[index + 1:]
                          if op["kind"] in REFRESHING_KINDS and op["id"] not in individual), None)
        deletes.append(IndividualDelete(note["op"], float(note["at"]), tuple(note["ids"]),
                                        seen_at(float(note["at"]), refreshed)))
    return deletes


def _live_ids(shard: SetShard) -> frozenset[str]:
    return frozenset(str(d["instance_id"]) for d in shard.live_instances())


def _unseen(doc: dict[str, Any], shard: SetShard, moment: float) -> UnseenDeletes | None:
    deletes = _individual_deletes(doc, shard)
    return unseen_deletes(deletes, moment, _live_ids(shard)) if deletes else None


def _target_of(doc: dict[str, Any]) -> tuple[str, str] | None:
    uri = doc["arm"]["properties"]["targetResourceUri"]
    return AutoscaleSetting("", uri, ()).target


def _setting_of(doc: dict[str, Any]) -> AutoscaleSetting:
    arm = doc["arm"]
    resource_group = arm["id"].split("/")[4]
    return setting_from_arm(arm, name=arm["name"], resource_group=resource_group)


def _same_set(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return a[0].lower() == b[0].lower() and a[1].lower() == b[1].lower()


def _memory_bytes(shard: SetShard) -> float:
    size = find_size(shard.set_doc.get("vm_size", ""))
    memory_gib = getattr(size, "memory_gib", None) if size is not None else None
    return float(memory_gib or 8) * 2**30


def _not_found(resource_group: str, name: str) -> errors.ResourceNotFound:
    return errors.ResourceNotFound(
        f"The Resource 'microsoft.insights/autoscalesettings/{name}' under resource group '{resource_group}' "
        "was not found.", target=name)
