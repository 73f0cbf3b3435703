"""The parser: every declared example parses, and every kind of bad input gets one clear error."""

from __future__ import annotations

import pytest

from vmss_tui.commands import COMMAND_INDEX, COMMANDS
from vmss_tui.commands.parser import UsageError, bind, command_words, parse, tokenize


def parse_line(line: str):
    parsed = parse(tokenize(line), COMMAND_INDEX)
    return parsed, bind(parsed)


@pytest.mark.parametrize("example", [e for spec in COMMANDS for e in spec.examples], ids=lambda e: e)
def test_every_example_in_the_registry_parses(example: str) -> None:
    parsed, _ = parse_line(example)
    words = example.split()
    assert parsed.spec.name == COMMAND_INDEX[" ".join(words[:command_words(words, COMMAND_INDEX)])].name


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("scale web 5", {"set": "web", "capacity": 5, "dry_run": False}),
        ("scale web 5 --dry-run", {"set": "web", "capacity": 5, "dry_run": True}),
        ("scale --dry-run web 5", {"set": "web", "capacity": 5, "dry_run": True}),
        ("create s --mode Flexible --zones 1 2 3 --capacity 2",
         {"set": "s", "mode": "flexible", "zones": ["1", "2", "3"], "capacity": 2}),
        ("create s --mode=uniform --capacity=0", {"mode": "uniform", "capacity": 0}),
        ("create s --mode uniform --scale-in-policy newestvm", {"scale_in_policy": "NewestVM"}),
        ("create s --mode uniform --single-placement-group FALSE", {"single_placement_group": False}),
        ("delete-instances web 3 4", {"set": "web", "instance_ids": ["3", "4"], "force": False}),
        ("start web", {"set": "web", "instance_ids": []}),
        ("protect web 0 --scale-set-actions", {"instance_ids": ["0"], "scale_set_actions": True}),
        ("update web --add-zones 2 3 --image Debian12", {"add_zones": ["2", "3"], "image": "Debian12"}),
        ("list-instances web", {"set": "web"}),
        ("LIST", {}),
        ("add-vm demo-set -n vm1 --fault-domain 0", {"name": "vm1", "fault_domain": 0}),
        ("show -- -odd-name", {"set": "-odd-name"}),
    ],
)
def test_lines_bind_to_typed_arguments(line: str, expected: dict) -> None:
    _, args = parse_line(line)
    for key, value in expected.items():
        assert args[key] == value


def test_line_options_are_kept_apart_from_command_arguments() -> None:
    parsed, args = parse_line("instances web -o yaml --query [0] -g rg1 --yes --no-wait")
    assert parsed.line_options == {"output": "yaml", "query": "[0]", "resource_group": "rg1", "yes": True,
                                   "no_wait": True}
    assert args == {"set": "web"}


@pytest.mark.parametrize(
    ("line", "code", "fragment"),
    [
        ("scal web 5", "UnknownCommand", "Did you mean 'scale'?"),
        ("frobnicate", "UnknownCommand", "is not a vmss-tui command"),
        ("scale web", "MissingArgument", "missing <capacity>"),
        ("scale", "MissingArgument", "missing <set>"),
        ("scale web 5 6", "UnrecognizedArguments", "unexpected argument(s) '6'"),
        ("show web extra", "UnrecognizedArguments", "unexpected argument(s) 'extra'"),
        ("scale web five", "InvalidArgumentValue", "'five' is not a whole number"),
        ("scale web 2.5", "InvalidArgumentValue", "'2.5' is not a whole number"),
        ("scale web -1", "InvalidArgumentValue", "-1 is below the minimum 0"),
        ("create s --mode sideways", "InvalidArgumentValue", "'sideways' is not one of: uniform, flexible"),
        ("create s", "MissingArgument", "missing"),
        ("create s --mode uniform --capacity", "MissingArgumentValue", "--capacity: expected a value"),
        ("create s --mode uniform --single-placement-group maybe", "InvalidArgumentValue", "not true or false"),
        ("scale web 5 --dry-rnu", "UnrecognizedArguments", "Did you mean '--dry-run'?"),
        ("scale web 5 --dry-run=yes", "InvalidArgumentValue", "takes no value"),
        ("list -o xml", "InvalidArgumentValue", "'xml' is not one of: table, json"),
        ("delete-instances web", "MissingArgument", "missing <id>..."),
        ("show 'web", "InvalidSyntax", "No closing quotation"),
        ("add-vm demo-set --fault-domain -2", "InvalidArgumentValue", "below the minimum 0"),
    ],
)
def test_bad_input_gets_one_clear_usage_error(line: str, code: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_line(line)
    assert caught.value.code == code
    assert fragment in caught.value.message
    assert "\n" not in str(caught.value)


def test_usage_lines_show_required_and_optional_parameters() -> None:
    assert COMMAND_INDEX["scale"].usage() == "scale <set> <capacity> [--dry-run]"
    assert COMMAND_INDEX["delete-instances"].usage() == "delete-instances <set> <id>... [--force]"
    assert COMMAND_INDEX["start"].usage() == "start <set> [<id>...]"
    assert COMMAND_INDEX["create"].usage().startswith("create <set> --mode uniform|flexible [--capacity N]")


def test_every_command_of_the_issue_is_declared() -> None:
    wanted = {"list", "show", "create", "update", "delete", "scale", "add-vm", "instances", "list-instances",
              "delete-instances", "start", "stop", "deallocate", "restart", "reimage", "protect", "unprotect",
              "upgrade", "fd-map", "use", "help", "exit"}
    assert wanted <= set(COMMAND_INDEX)


def test_every_command_and_parameter_has_help_text() -> None:
    for spec in COMMANDS:
        assert spec.summary, spec.name
        for param in spec.params:
            assert param.help, f"{spec.name} {param.dest}"


def test_mutating_and_destructive_flags_match_what_the_commands_do() -> None:
    destructive = {spec.name for spec in COMMANDS if spec.destructive}
    assert {"delete", "delete-instances", "scale", "group delete", "autoscale delete"} <= destructive
    deletes = {spec.name for spec in COMMANDS if spec.name == "delete" or spec.name.endswith(" delete")}
    # a rule or profile is re-added in one line; a deployment delete removes only its record, as in ARM
    assert deletes - {"autoscale rule delete", "autoscale profile delete", "deployment delete"} <= destructive
    read_only = {spec.name for spec in COMMANDS if not spec.mutating}
    assert {"list", "show", "instances", "fd-map", "operation", "use", "help", "exit", "group list", "group show",
            "usage", "autoscale show", "autoscale rule list", "autoscale profile list", "autoscale history",
            "autoscale simulate", "metrics"} <= read_only
    changing_verbs = ("create", "delete", "update", "enable", "disable", "add-vm", "scale", "start", "stop")
    assert not {name for name in read_only if name.split(" ")[-1] in changing_verbs}
    assert not destructive & read_only
