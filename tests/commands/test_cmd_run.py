"""Every command run through `run_line` against the emulator, as every front end runs it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.clock import FakeClock
from vmss_tui.commands import Session, confirmation_prompt, run_line

SCALE_SET_KEYS = {"id", "location", "name", "orchestrationMode", "platformFaultDomainCount", "provisioningState",
                  "resourceGroup", "scaleInPolicy", "sku", "tags", "timeCreated", "type", "uniqueId", "upgradePolicy"}
"""Keys every scale set has as `az vmss show` prints it (tests/test_azure_shape.py checks the whole shape)."""
INSTANCE_KEYS = ["hardwareProfile", "id", "instanceId", "instanceView", "latestModelApplied", "location",
                 "modelDefinitionApplied", "name", "osProfile", "protectionPolicy", "provisioningState",
                 "resourceGroup", "sku", "storageProfile", "timeCreated", "type", "vmId", "zones"]
"""A Uniform instance as `az vmss list-instances --expand instanceView` prints it, keys sorted."""


def power(instance: dict) -> str:
    """The power state az shows in a scale-set VM's instance view (`PowerState/running` -> running)."""
    codes = [s["code"] for s in instance["instanceView"]["statuses"] if s["code"].startswith("PowerState/")]
    return codes[0].split("/", 1)[1]


def ok(line: str, session: Session):
    outcome = run_line(line, session)
    assert outcome.exit_code == 0, outcome.error
    assert outcome.error is None
    return outcome


def test_list_prints_every_set_with_the_documented_fields(session: Session) -> None:
    outcome = ok("list", session)
    assert [s["name"] for s in outcome.data] == ["batch", "demo-set", "web"]
    assert all(SCALE_SET_KEYS <= set(s) and list(s) == sorted(s) for s in outcome.data)
    assert json.loads(outcome.rendered) == outcome.data


def test_list_in_a_group_that_does_not_exist_is_an_azure_error(session: Session) -> None:
    outcome = run_line("list -g nowhere", session)
    assert outcome.exit_code == 1
    assert outcome.error.startswith("ERROR: (ResourceGroupNotFound)")


def test_show_prints_one_set(session: Session) -> None:
    data = ok("show web", session).data
    assert data["name"] == "web" and data["sku"]["capacity"] == 6 and data["zones"] == ["1", "2", "3"]
    assert data["orchestrationMode"] == "Uniform"


def test_show_of_an_unknown_set_says_it_was_not_found(session: Session) -> None:
    outcome = run_line("show nope", session)
    assert outcome.exit_code == 1
    assert outcome.error.startswith("ERROR: (ResourceNotFound)") and "nope" in outcome.error


def test_instances_prints_every_instance_with_the_documented_fields(session: Session) -> None:
    data = ok("instances web", session).data
    assert len(data) == 6
    assert all(list(i) == INSTANCE_KEYS for i in data)
    assert {zone for i in data for zone in i["zones"]} == {"1", "2", "3"}
    assert ok("list-instances web", session).data == data


def test_create_makes_a_set_and_prints_it(session: Session) -> None:
    data = ok("create api --mode uniform --capacity 2 --zones 1 2 --vm-size Standard_D2s_v5", session).data
    assert data["name"] == "api" and data["resourceGroup"] == "practice-rg"
    assert data["sku"]["capacity"] == 2 and data["sku"]["name"] == "Standard_D2s_v5" and data["zones"] == ["1", "2"]
    assert len(session.backend.list_instances("practice-rg", "api")) == 2


def test_create_in_a_group_that_does_not_exist_fails_as_azure_until_the_group_is_created(session: Session) -> None:
    refused = run_line("create pool --mode flexible --capacity 1 -g other-rg", session)
    assert refused.exit_code == 1
    assert refused.error == "ERROR: (ResourceGroupNotFound) Resource group 'other-rg' could not be found."
    assert "other-rg" not in session.backend.list_resource_groups()
    ok("group create other-rg -l westeurope", session)
    data = ok("create pool --mode flexible --capacity 1 -g other-rg", session).data
    assert data["resourceGroup"] == "other-rg" and data["orchestrationMode"] == "Flexible"


def test_create_with_an_option_that_does_not_apply_to_the_mode_changes_nothing(session: Session) -> None:
    outcome = run_line("create pool --mode uniform --no-vm-profile", session)
    assert outcome.exit_code == 2
    assert "applies only to --mode flexible" in outcome.error
    assert "pool" not in [s.name for s in session.backend.list_scale_sets()]


def test_create_with_azure_rejecting_the_fault_domain_count_is_exit_1(session: Session) -> None:
    outcome = run_line("create pool --mode flexible --fault-domains 2 --zones 1 2", session)
    assert outcome.exit_code == 1
    assert outcome.error.startswith("ERROR: (InvalidParameter)")


def test_create_of_an_existing_name_is_refused(session: Session) -> None:
    outcome = run_line("create web --mode uniform", session)
    assert outcome.exit_code == 1 and outcome.error.startswith("ERROR: (")


def test_update_changes_the_model_and_marks_instances_outdated(session: Session) -> None:
    data = ok("update web --vm-size Standard_D4s_v3 --scale-in-policy OldestVM", session).data
    assert data["sku"]["name"] == "Standard_D4s_v3" and data["scaleInPolicy"]["rules"] == ["OldestVM"]
    instances = ok("instances web", session).data
    assert not any(i["latestModelApplied"] for i in instances)


def test_update_with_nothing_to_change_is_a_usage_error(session: Session) -> None:
    outcome = run_line("update web", session)
    assert outcome.exit_code == 2 and "nothing to change" in outcome.error


def test_upgrade_brings_instances_to_the_latest_model(session: Session) -> None:
    ok("update web --image Debian12", session)
    upgraded = ok("upgrade web 0 1", session).data
    assert [i["instanceId"] for i in upgraded] == ["0", "1"]
    assert all(i["latestModelApplied"] for i in upgraded)
    rest = ok("upgrade web", session).data
    assert {i["instanceId"] for i in rest} == {"2", "3", "4", "5"}


def test_scale_out_prints_the_set_with_its_new_capacity(session: Session) -> None:
    outcome = ok("scale web 8", session)
    assert outcome.data["sku"]["capacity"] == 8 and outcome.changed
    assert len(session.backend.list_instances("practice-rg", "web")) == 8


def test_scale_dry_run_lists_the_instances_and_reasons_and_changes_nothing(session: Session) -> None:
    outcome = ok("scale web 4 --dry-run -o table", session)
    assert outcome.data["currentCapacity"] == 6 and outcome.data["targetCapacity"] == 4
    removed = [r["instanceId"] for r in outcome.data["toRemove"]]
    assert len(removed) == 2 and all(r["reason"] for r in outcome.data["toRemove"])
    for instance_id in removed:
        assert f"remove {instance_id}" in outcome.rendered
    assert "dry run" in outcome.rendered
    assert not outcome.changed
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 6


def test_scale_dry_run_outward_lists_the_instances_to_create(session: Session) -> None:
    data = ok("scale web 8 --dry-run", session).data
    assert [p["instanceId"] for p in data["toCreate"]] == ["6", "7"]


def test_scale_in_without_yes_and_without_a_way_to_ask_is_refused(session: Session) -> None:
    outcome = run_line("scale web 2", session)
    assert outcome.exit_code == 2
    assert "pass --yes" in outcome.error
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 6


def test_scale_in_asks_and_a_no_changes_nothing(session: Session) -> None:
    asked: list[str] = []
    session.confirm = lambda text: asked.append(text) or False
    outcome = run_line("scale web 4", session)
    assert outcome.exit_code == 1 and "(Cancelled)" in outcome.error
    assert "from 6 to 4" in asked[0]
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 6


def test_scale_in_asks_and_a_yes_goes_ahead(session: Session) -> None:
    session.confirm = lambda text: True
    assert ok("scale web 4", session).data["sku"]["capacity"] == 4


def test_scale_in_with_yes_on_the_line_does_not_ask(session: Session) -> None:
    session.confirm = lambda text: pytest.fail("asked although --yes was given")
    assert ok("scale web 3 --yes", session).data["sku"]["capacity"] == 3


def test_scale_out_needs_no_confirmation(session: Session) -> None:
    assert confirmation_prompt("scale web 7", session) is None
    assert ok("scale web 7", session).data["sku"]["capacity"] == 7


def test_confirmation_prompt_for_scale_in_lists_the_instances_the_policy_removes(session: Session) -> None:
    plan = session.backend.plan_capacity("practice-rg", "web", 4)
    text = confirmation_prompt("scale web 4", session)
    assert text is not None
    for removal in plan.to_remove:
        assert removal.instance_id in text and removal.reason in text


def test_confirmation_prompt_is_none_for_yes_and_for_lines_that_do_not_parse(session: Session) -> None:
    assert confirmation_prompt("delete web --yes", session) is None
    assert confirmation_prompt("delete", session) is None
    assert confirmation_prompt("list", session) is None
    assert "Delete scale set 'web'" in confirmation_prompt("delete web", session)
    assert "3, 4" in confirmation_prompt("delete-instances web 3 4", session)


def test_delete_instances_removes_them_and_lowers_capacity(session: Session) -> None:
    data = ok("delete-instances web 3 4 --yes", session).data
    assert data["status"] == "Succeeded" and sorted(data["removedInstanceIds"] or data["instanceIds"]) == ["3", "4"]
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 4


def test_delete_instances_of_an_unknown_id_deletes_nothing(session: Session) -> None:
    outcome = run_line("delete-instances web 3 99 --yes", session)
    assert outcome.exit_code == 1 and outcome.error.startswith("ERROR: (ResourceNotFound)")
    assert len(session.backend.list_instances("practice-rg", "web")) == 6


def test_delete_removes_the_set(session: Session) -> None:
    data = ok("delete web --yes", session).data
    assert data["status"] == "Succeeded"
    assert "web" not in [s.name for s in session.backend.list_scale_sets()]


def test_delete_of_a_flexible_set_with_vms_is_refused_by_azure(session: Session) -> None:
    outcome = run_line("delete demo-set --yes", session)
    assert outcome.exit_code == 1 and outcome.error.startswith("ERROR: (OperationNotAllowed)")


@pytest.mark.parametrize(("verb", "state"), [("stop", "stopped"), ("deallocate", "deallocated")])
def test_power_actions_on_chosen_instances_print_those_instances(session: Session, verb: str, state: str) -> None:
    data = ok(f"{verb} web 0 1", session).data
    assert [i["instanceId"] for i in data] == ["0", "1"] and {power(i) for i in data} == {state}
    others = [i for i in ok("instances web", session).data if i["instanceId"] not in ("0", "1")]
    assert {power(i) for i in others} == {"running"}


def test_start_restart_and_reimage_of_the_whole_set(session: Session) -> None:
    ok("stop web", session)
    assert {power(i) for i in ok("start web", session).data} == {"running"}
    assert len(ok("restart web", session).data) == 6
    assert {power(i) for i in ok("reimage web 2", session).data} == {"running"}


def test_restart_of_a_stopped_instance_is_refused_by_azure(session: Session) -> None:
    ok("stop web 0", session)
    outcome = run_line("restart web 0", session)
    assert outcome.exit_code == 1 and outcome.error.startswith("ERROR: (OperationNotAllowed)")


def test_a_set_wide_action_warns_about_instances_it_skipped(session: Session) -> None:
    ok("protect web 0 --scale-set-actions", session)
    outcome = ok("stop web", session)
    assert any("0" in warning and "skipped" in warning for warning in outcome.warnings)


def test_protect_and_unprotect_change_the_flags(session: Session) -> None:
    def policies(line: str) -> list[tuple[bool, bool]]:
        return [(i["protectionPolicy"]["protectFromScaleIn"], i["protectionPolicy"]["protectFromScaleSetActions"])
                for i in ok(line, session).data]

    assert policies("protect web 0 1") == [(True, False), (True, False)]
    assert policies("protect web 0 --scale-set-actions") == [(True, True)]
    assert policies("unprotect web 0 --scale-set-actions") == [(True, False)]
    assert policies("unprotect web 0 1") == [(False, False), (False, False)]


def test_protected_instances_are_kept_by_a_scale_in(session: Session) -> None:
    ok("protect web 5", session)
    data = ok("scale web 3 --dry-run", session).data
    assert "5" not in [r["instanceId"] for r in data["toRemove"]]


def test_add_vm_adds_a_named_vm_to_a_flexible_set(session: Session) -> None:
    data = ok("add-vm demo-set --name extra1", session).data
    assert [vm["name"] for vm in data] == ["extra1"] and data[0]["powerState"] == "VM running"
    assert "extra1" in [i.instance_id for i in session.backend.list_instances("practice-rg", "demo-set")]


def test_add_vm_on_a_uniform_set_is_refused_before_anything_is_sent(session: Session) -> None:
    outcome = run_line("add-vm web", session)
    assert outcome.exit_code == 1
    assert outcome.error.startswith("ERROR: (OperationNotAllowed) add-vm works only on Flexible")


def test_add_vm_in_a_fault_domain_the_set_does_not_have_is_refused(session: Session) -> None:
    outcome = run_line("add-vm batch --fault-domain 5", session)
    assert outcome.exit_code == 1 and outcome.error.startswith("ERROR: (InvalidParameter)")


def test_fd_map_prints_zones_by_fault_domains(session: Session) -> None:
    data = ok("fd-map web", session).data
    assert set(data) == {"1", "2", "3"}
    assert sorted(i for zone in data.values() for ids in zone.values() for i in ids) == [str(n) for n in range(6)]
    regional = ok("fd-map demo-set", session).data
    assert list(regional) == ["null"]


def test_fd_map_table_has_a_column_per_fault_domain(session: Session) -> None:
    rendered = ok("fd-map web -o table", session).rendered
    assert rendered.splitlines()[0].split() == ["Zone", "FD", "0"]


def test_no_wait_returns_the_running_operation_which_operation_can_show(estate_db) -> None:
    clock = FakeClock(start=datetime.now(timezone.utc))
    backend = open_backend("emulator", db=estate_db, speed="fast", clock=clock, durable=False)
    session = Session(backend, output="json")
    outcome = ok("scale web 9 --no-wait", session)
    assert outcome.data["status"] == "InProgress" and outcome.operation is not None
    operation_id = outcome.data["id"]
    assert ok(f"operation {operation_id}", session).data["status"] == "InProgress"
    clock.advance(3600)
    assert ok(f"operation {operation_id}", session).data["status"] == "Succeeded"


def test_waiting_reports_progress_until_the_operation_is_done(estate_db) -> None:
    backend = open_backend("emulator", db=estate_db, speed="fast", clock=FakeClock(start=datetime.now(timezone.utc)), durable=False)
    snapshots = []
    session = Session(backend, output="json", progress=snapshots.append)
    assert ok("scale web 8", session).data["sku"]["capacity"] == 8
    assert snapshots and snapshots[-1].done and any(not s.done for s in snapshots)


def test_ctrl_c_while_waiting_leaves_the_operation_running_and_says_how_to_follow_it(session: Session,
                                                                                   monkeypatch) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(session.backend, "wait", interrupted)
    outcome = run_line("scale web 8", session)
    assert outcome.exit_code == 1 and "(StoppedWaiting)" in outcome.error
    assert f"operation {outcome.operation.id}" in outcome.error


def test_read_only_refuses_every_mutating_command_and_sends_nothing(session: Session, monkeypatch) -> None:
    session.read_only = True
    for name in ("set_capacity", "create_scale_set", "delete_scale_set", "power_action", "plan_capacity",
                 "list_scale_sets", "get_scale_set"):
        monkeypatch.setattr(session.backend, name, lambda *a, **k: pytest.fail("a request was sent"))
    for line in ("scale web 2 --yes", "create x --mode uniform", "delete web --yes", "stop web",
                 "delete-instances web 1 --yes", "protect web 0", "update web --image Debian12", "add-vm demo-set",
                 "upgrade web", "unprotect web 0"):
        outcome = run_line(line, session)
        assert outcome.exit_code == 2, line
        assert outcome.error.startswith("ERROR: (ReadOnly)") and "nothing was sent" in outcome.error


def test_read_only_still_allows_reading_and_dry_runs(session: Session) -> None:
    session.read_only = True
    ok("list", session)
    ok("scale web 2 --dry-run", session)


def test_query_is_applied_before_formatting(session: Session) -> None:
    outcome = ok("list --query [].name -o tsv", session)
    assert outcome.data == ["batch", "demo-set", "web"]
    assert outcome.rendered == "batch\ndemo-set\nweb"
    assert ok("show web --query sku.capacity -o json", session).rendered == "6"


def test_query_result_as_a_table_gets_generic_columns(session: Session) -> None:
    rendered = ok("list --query \"[].{Name:name, Cap:sku.capacity}\" -o table", session).rendered
    assert rendered.splitlines()[0].split() == ["Name", "Cap"]
    assert rendered.splitlines()[-1].split() == ["web", "6"]


def test_an_invalid_query_is_a_usage_error_and_nothing_runs(session: Session) -> None:
    outcome = run_line("scale web 8 --query '[[['", session)
    assert outcome.exit_code == 2 and outcome.error.startswith("ERROR: (InvalidQuery)")
    assert session.backend.get_scale_set("practice-rg", "web").capacity == 6


def test_line_options_override_the_session_for_one_line_only(session: Session) -> None:
    assert ok("show web -o yaml", session).rendered.startswith("etag: '\"")  # keys sorted, as az prints them
    assert ok("show web", session).rendered.startswith("{")


def test_use_sets_the_context_so_later_lines_may_omit_the_set(session: Session) -> None:
    ok("use web", session)
    assert session.current_set == ("practice-rg", "web") and session.prompt() == "vmss web> "
    assert ok("show", session).data["name"] == "web"
    assert ok("scale 7", session).data["sku"]["capacity"] == 7
    assert [i["instanceId"] for i in ok("stop 0 1", session).data] == ["0", "1"]
    assert ok("instances demo-set", session).data[0]["name"].startswith("demo-set_")
    assert [i["instanceId"] for i in ok("start web 0", session).data] == ["0"]
    ok("use -", session)
    assert session.current_set is None and session.prompt() == "vmss> "
    assert run_line("show", session).exit_code == 2


def test_use_of_an_unknown_set_keeps_the_old_context(session: Session) -> None:
    ok("use web", session)
    assert run_line("use nope", session).exit_code == 1
    assert session.current_set == ("practice-rg", "web")


def test_a_name_in_two_groups_must_be_disambiguated_with_g(session: Session) -> None:
    ok("group create second-rg -l westeurope", session)
    ok("create web --mode uniform --capacity 1 -g second-rg", session)
    outcome = run_line("show web", session)
    assert outcome.exit_code == 2
    assert "practice-rg" in outcome.error and "second-rg" in outcome.error and "-g" in outcome.error
    assert ok("show web -g second-rg", session).data["sku"]["capacity"] == 1


def test_help_lists_commands_and_explains_one(session: Session) -> None:
    overview = ok("help", session).rendered
    assert "scale" in overview and "fd-map" in overview
    detail = ok("help scale", session).rendered
    assert detail.startswith("Usage: scale <set> <capacity> [--dry-run]") and "Examples:" in detail
    assert ok("scale --help", session).rendered == detail
    assert run_line("help scael", session).error.endswith("Did you mean 'scale'? Try 'help'.")


def test_exit_asks_the_front_end_to_leave(session: Session) -> None:
    assert ok("exit", session).exit_requested
    assert ok("quit", session).exit_requested


def test_blank_lines_and_comments_do_nothing(session: Session) -> None:
    for line in ("", "   ", "# a comment"):
        outcome = ok(line, session)
        assert outcome.command is None and outcome.rendered == ""


def test_an_unexpected_exception_becomes_one_error_line(session: Session, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(session.backend, "list_scale_sets", broken)
    outcome = run_line("list", session)
    assert outcome.exit_code == 1
    assert outcome.error == "ERROR: internal error: RuntimeError: disk on fire"
    assert "Traceback" in outcome.debug_traceback


def test_a_change_refreshes_the_completion_cache(session: Session) -> None:
    assert ("practice-rg", "api") not in session.completion_cache.sets()
    ok("create api --mode uniform --capacity 1", session)
    assert ("practice-rg", "api") in session.completion_cache.sets()
