"""`group create|list|show|delete` and `usage`: az's JSON, tables, --query, confirmation and read-only."""

from __future__ import annotations

from vmss_tui.commands import Session, run_line
from vmss_tui.commands.executor import confirmation_prompt

GROUP_KEYS = ["id", "location", "managedBy", "name", "properties", "tags", "type"]


def ok(line: str, session: Session):
    outcome = run_line(line, session)
    assert outcome.exit_code == 0, outcome.error
    return outcome


def test_group_create_show_and_list_print_what_az_prints(session: Session) -> None:
    created = ok("group create Lab-RG -l 'West Europe' --tags env=test owner=ops", session).data
    assert sorted(created) == GROUP_KEYS
    assert (created["name"], created["location"], created["tags"]) == ("Lab-RG", "westeurope",
                                                                        {"env": "test", "owner": "ops"})
    assert created["type"] == "Microsoft.Resources/resourceGroups"
    assert created["properties"] == {"provisioningState": "Succeeded"}
    assert created["id"].endswith("/resourceGroups/Lab-RG")
    assert ok("group show lab-rg", session).data == created
    assert [g["name"] for g in ok("group list", session).data] == ["Lab-RG", "practice-rg"]
    assert ok("group show lab-rg --query location -o tsv", session).rendered == "westeurope"


def test_group_tables_are_the_operators_short_view(session: Session) -> None:
    ok("group create lab-rg -l westeurope --tags env=test", session)
    table = ok("group list -o table", session).rendered.splitlines()
    assert table[0].split() == ["Name", "Location", "Status", "Tags"]
    assert table[2].split() == ["lab-rg", "westeurope", "Succeeded", "env=test"]


def test_group_create_with_another_location_is_azures_error_and_exit_1(session: Session) -> None:
    outcome = run_line("group create practice-rg -l eastus", session)
    assert outcome.exit_code == 1
    assert outcome.error == ("ERROR: (InvalidResourceGroupLocation) Invalid resource group location 'eastus'. "
                             "The Resource group already exists in location 'westeurope'.")


def test_group_delete_asks_listing_what_goes_and_removes_it_all_with_yes(session: Session) -> None:
    prompt = confirmation_prompt("group delete practice-rg", session)
    assert prompt is not None and "practice-rg" in prompt
    for name in ("web", "demo-set", "batch"):
        assert f"scale set {name} " in prompt
    refused = run_line("group delete practice-rg", session)  # the session cannot ask: nothing is sent
    assert refused.exit_code == 2 and "ConfirmationRequired" in refused.error
    assert len(session.backend.list_scale_sets()) == 3
    done = ok("group delete practice-rg --yes", session)
    assert done.data["status"] == "Succeeded" and done.changed
    assert session.backend.list_scale_sets() == []
    assert run_line("group show practice-rg", session).exit_code == 1


def test_usage_prints_az_vm_list_usage_rows_and_takes_query(session: Session) -> None:
    rows = ok("usage -l westeurope", session).data
    assert rows[0] == {"currentValue": 12, "limit": 5000, "localName": "Total Regional vCPUs",
                       "name": {"localizedValue": "Total Regional vCPUs", "value": "cores"}, "unit": "Count"}
    assert ok("usage -l westeurope --query \"[?name.value=='standardDSv3Family'].currentValue | [0]\"",
              session).data == 12
    table = ok("usage -l westeurope -o table", session).rendered.splitlines()
    assert table[0].split() == ["Name", "CurrentValue", "Limit"]


def test_a_noun_alone_names_its_verbs_and_help_lists_them(session: Session) -> None:
    outcome = run_line("group", session)
    assert outcome.exit_code == 2
    assert "(MissingSubcommand)" in outcome.error and "create, delete, list, show" in outcome.error
    text = ok("help group", session).rendered
    assert "group create" in text and "group delete" in text and "  scale " not in text
    assert "group create <group> --location" in ok("help group create", session).rendered


def test_read_only_sessions_list_groups_but_change_nothing(backend) -> None:
    session = Session(backend, output="json", read_only=True)
    assert [g["name"] for g in ok("group list", session).data] == ["practice-rg"]
    assert ok("usage -l westeurope", session).data
    for line in ("group create x-rg -l westeurope", "group delete practice-rg --yes"):
        outcome = run_line(line, session)
        assert outcome.exit_code == 2 and "(ReadOnly)" in outcome.error
    assert backend.list_resource_groups() == ["practice-rg"]


def test_the_ssh_console_takes_the_group_noun_as_a_command_word() -> None:
    from vmss_tui.admin.commands import _allowed_command_words

    assert {"group", "usage"} <= _allowed_command_words()
    assert not any(" " in word for word in _allowed_command_words())
