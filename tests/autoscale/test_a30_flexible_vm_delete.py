"""Vector A30: a Flexible VM deleted by itself (`az vm delete`, the VM REST DELETE) is not seen by autoscale at once.

"Autoscale scaling actions are delayed up to several hours after a manual scaling action is applied to a
Flex ... (VMSS) resource for a specific set of Virtual Machine operations. For example, Azure VM CLI
Delete, or Azure VM Rest API Delete where the operation is performed on an individual VM. In these cases,
the autoscale service isn't aware of the individual VM operations. To avoid this scenario, use the same
operation, but at Virtual Machine Scale Set level" [AS-TS, §Flex Virtual Machine Scale Sets].

The emulator keeps counting such a VM for `INDIVIDUAL_DELETE_UNSEEN_FOR` (its choice: the docs give no
length) unless a scale-set-level change (delete-instances, a scale, autoscale's own action) comes first.
Every VM DELETE here goes over HTTPS to the endpoint, as az sends it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.domain.autoscale.engine import Outcome
from vmss_tui.domain.autoscale.load import parse_pattern
from vmss_tui.domain.autoscale.observed import INDIVIDUAL_DELETE_UNSEEN_FOR
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

RG = "rg"
SETTING = "pool-autoscale"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
API = "2024-07-01"


@dataclass
class Flex:
    """A Flexible set of 3 running VMs, autoscale min 3 / max 6 under a quiet load, served over HTTPS."""

    backend: Any
    server: Any
    clock: FakeClock
    db: Path

    def url(self, path: str) -> str:
        return (f"{self.server.base_url}/subscriptions/{self.server.subscription_id}/resourceGroups/{RG}"
                f"/providers/Microsoft.Compute/{path}?api-version={API}")

    def send(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, self.url(path), json=body, verify=str(self.server.ca_path), timeout=30,
                                headers={"Authorization": "Bearer emulator"})

    def vm_delete(self, name: str) -> None:
        """`az vm delete`: the VM REST DELETE on one VM."""
        answer = self.send("DELETE", f"virtualMachines/{name}")
        assert answer.status_code in (200, 202, 204), answer.text

    def delete_instances(self, *names: str) -> None:
        """`az vmss delete-instances`: the scale set's POST delete."""
        answer = self.send("POST", "virtualMachineScaleSets/pool/delete", {"instanceIds": list(names)})
        assert answer.status_code in (200, 202), answer.text

    def live(self) -> list[str]:
        return sorted(i.name for i in self.backend.list_instances(RG, "pool")
                      if i.provisioning_state.value != "Deleting")

    def runs(self) -> list[tuple[Outcome, int, int]]:
        return [(r.outcome, r.current, r.target) for r in self.backend.autoscale_history(RG, SETTING)]


@pytest.fixture
def flex(tmp_path: Path) -> Iterator[Flex]:
    from vmss_tui.armserver import serve_in_thread

    clock = FakeClock(START)
    backend = open_backend("emulator", db=tmp_path / "db", speed="fast", clock=clock)
    backend.create_or_update_resource_group(RG, "westeurope")
    backend.wait(backend.create_scale_set(ScaleSetSpec("pool", RG, OrchestrationMode.FLEXIBLE, capacity=3)))
    clock.advance(120)
    target = backend.get_scale_set(RG, "pool").id
    trigger = {"metricName": "Percentage CPU", "metricResourceUri": target, "timeGrain": "PT1M",
               "statistic": "Average", "timeWindow": "PT5M", "timeAggregation": "Average",
               "operator": "GreaterThan", "threshold": 50}
    backend.put_autoscale_setting(RG, SETTING, {"location": "westeurope", "properties": {
        "targetResourceUri": target, "profiles": [{
            "name": "default", "capacity": {"minimum": "3", "maximum": "6", "default": "3"},
            "rules": [{"metricTrigger": trigger, "scaleAction": {"direction": "Increase", "type": "ChangeCount",
                                                                  "value": "1", "cooldown": "PT5M"}}]}]}})
    backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("30", now)))
    clock.advance(10 * 60)
    server = serve_in_thread(backend, state_dir=tmp_path / "arm-state")
    try:
        yield Flex(backend, server, clock, tmp_path / "db")
    finally:
        server.stop()
        backend.close()


def test_a30_vms_deleted_one_by_one_are_not_replaced_until_the_delay_has_passed(flex: Flex) -> None:
    first, second, third = flex.live()
    flex.vm_delete(first)
    flex.vm_delete(second)
    flex.clock.advance(10 * 60)
    assert flex.live() == [third]  # below the minimum of 3, and autoscale did not bring it back
    status = flex.backend.autoscale_status(RG, SETTING)
    assert status.capacity == 1 and status.now.current == 3  # the set has 1; the engine counts 3
    assert status.now.unseen is not None and status.now.unseen.count == 2
    assert ("counting 3, not the set's 1 (2 VMs deleted individually 10m ago are not yet seen by autoscale"
            in status.now.reason), status.now.reason
    assert "use delete-instances" in status.now.reason
    assert not [run for run in flex.runs() if run[0] is Outcome.MIN_MAX]

    flex.clock.advance(INDIVIDUAL_DELETE_UNSEEN_FOR - 10 * 60 - 120)  # two minutes before the engine sees them
    assert flex.live() == [third]
    flex.clock.advance(180)
    assert len(flex.live()) == 3  # seen: 1 is below the minimum, brought back to 3
    assert flex.runs()[-1] == (Outcome.MIN_MAX, 1, 3)
    assert flex.backend.autoscale_status(RG, SETTING).now.unseen is None


def test_a30_vmss_delete_instances_is_seen_at_the_next_run(flex: Flex) -> None:
    first, second, third = flex.live()
    flex.delete_instances(first, second)
    flex.clock.advance(120)
    assert len(flex.live()) == 3 and third in flex.live()
    assert flex.runs()[-1] == (Outcome.MIN_MAX, 1, 3)


def test_a_scale_set_level_delete_after_an_individual_one_makes_both_seen_at_once(flex: Flex) -> None:
    first, second, _third = flex.live()
    flex.vm_delete(first)
    flex.clock.advance(5 * 60)
    assert len(flex.live()) == 2 and flex.backend.autoscale_status(RG, SETTING).now.current == 3
    flex.delete_instances(second)  # the scale set's own delete: autoscale reads the set's count again
    flex.clock.advance(120)
    assert len(flex.live()) == 3
    assert flex.runs()[-1] == (Outcome.MIN_MAX, 1, 3)


def test_the_engine_acts_on_the_count_it_sees_and_its_own_scale_refreshes_it(flex: Flex) -> None:
    first, _second, _third = flex.live()
    flex.vm_delete(first)
    flex.clock.advance(60)
    flex.backend.change_load(RG, "pool", lambda load, now: load.with_pattern(parse_pattern("90", now)))
    flex.clock.advance(6 * 60)  # CPU > 50: one more than the 3 it counts, which is 2 more VMs than the set has
    outs = [run for run in flex.backend.autoscale_history(RG, SETTING) if run.outcome is Outcome.SCALE_OUT]
    assert [(r.current, r.target) for r in outs][:1] == [(3, 4)]
    assert "counting 3, not the set's 2" in outs[0].reason
    assert flex.backend.autoscale_status(RG, SETTING).now.unseen is None  # its own scale read the set again


def test_another_process_sees_the_same_unseen_deletes(flex: Flex) -> None:
    first, _second, _third = flex.live()
    flex.vm_delete(first)
    flex.clock.advance(3 * 60)
    other = open_backend("emulator", db=flex.db, speed="fast", clock=flex.clock)
    try:
        mine, theirs = flex.backend.autoscale_status(RG, SETTING), other.autoscale_status(RG, SETTING)
        assert (theirs.capacity, theirs.now.current, theirs.now.unseen) == (mine.capacity, mine.now.current,
                                                                            mine.now.unseen)
        assert theirs.now.unseen is not None and theirs.now.unseen.count == 1
    finally:
        other.close()


def test_autoscale_show_and_history_say_why_the_deleted_vms_were_not_replaced(flex: Flex) -> None:
    from vmss_tui.commands.executor import run_line
    from vmss_tui.commands.session import Session

    first, second, _third = flex.live()
    flex.vm_delete(first)
    flex.vm_delete(second)
    flex.clock.advance(10 * 60)
    session = Session(flex.backend, resource_group=RG)

    def run(line: str) -> str:
        outcome = run_line(line, session)
        assert outcome.exit_code == 0, outcome.error
        return outcome.rendered

    shown = run("autoscale show pool -o table")
    assert ("counting 3, not the set's 1 (2 VMs deleted individually 10m ago are not yet seen by autoscale"
            in shown), shown
    history = run("autoscale history pool -o table")
    assert "counting 3, not the set's 1 (2 VMs deleted individually at 09:12" in history, history
    rows = json.loads(run("autoscale history pool -o json"))
    assert rows[-1]["unseen"]["count"] == 2 and rows[-1]["current"] == 3


def test_the_history_keeps_a_run_that_counts_unseen_vms_once_per_change_however_often_it_is_read(flex: Flex) -> None:
    first, second, _third = flex.live()
    flex.vm_delete(first)
    for _minute in range(20):  # a reader every minute (the TUI's refresh): each catches up one run
        flex.clock.advance(60)
        flex.backend.autoscale_status(RG, SETTING)
    flex.vm_delete(second)
    for _minute in range(5):
        flex.clock.advance(60)
        flex.backend.autoscale_status(RG, SETTING)
    unseen = [(run.current, run.unseen.count) for run in flex.backend.autoscale_history(RG, SETTING)
              if run.unseen is not None]
    assert unseen == [(3, 1), (3, 2)]


def test_the_words_say_how_many_when_and_until_when() -> None:
    from vmss_tui.domain.autoscale.observed import IndividualDelete, seen_at, unseen_deletes

    at = START.timestamp()
    deletes = [IndividualDelete("a", at, ("vm1",), seen_at(at, None)),
               IndividualDelete("b", at + 600, ("vm2", "vm3"), seen_at(at + 600, at + 900))]
    both = unseen_deletes(deletes, at + 700, frozenset({"vm4"}))
    assert both is not None and (both.count, both.set_count) == (3, 1)
    assert both.words() == ("counting 4, not the set's 1 (3 VMs deleted individually between 09:00 and 09:10 are "
                            "not yet seen by autoscale, until 12:00 at the latest; use delete-instances)")
    one = unseen_deletes(deletes, at + 900, frozenset({"vm4"}))  # a scale-set-level change at 09:15 saw b's
    assert one is not None and one.words(datetime.fromtimestamp(at + 1200, timezone.utc)) == (
        "counting 2, not the set's 1 (1 VM deleted individually 20m ago is not yet seen by autoscale, "
        "for up to 2h40m more; use delete-instances)")
    assert unseen_deletes(deletes, at + INDIVIDUAL_DELETE_UNSEEN_FOR, frozenset({"vm4"})) is None
    assert unseen_deletes(deletes, at, frozenset({"vm1", "vm2", "vm3"})) is None  # made again: counted as live
