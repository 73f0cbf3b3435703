"""Help texts generated from the registry, so help can never disagree with the parser."""

from __future__ import annotations

from .parser import LINE_OPTIONS
from .spec import CommandSpec


def command_help(spec: CommandSpec) -> str:
    """`help <command>`: usage, what it does, parameters, examples."""
    lines = [f"Usage: {spec.usage()}", "", spec.summary]
    if spec.help:
        lines += ["", spec.help]
    if spec.aliases:
        lines += ["", f"Aliases: {', '.join(spec.aliases)}"]
    if spec.params:
        lines += ["", "Arguments:"]
        width = max(len(_param_label(p)) for p in spec.params)
        for param in spec.params:
            lines.append(f"  {_param_label(param).ljust(width)}  {param.help}")
    lines += ["", "Line options: " + ", ".join("/".join(p.flags) for p in LINE_OPTIONS)]
    if spec.mutating:
        notes = ["changes resources (refused with --read-only)"]
        if spec.destructive:
            notes.append("asks for confirmation unless --yes")
        if spec.waits:
            notes.append("waits for the operation unless --no-wait")
        lines += ["", "Note: " + "; ".join(notes) + "."]
    if spec.examples:
        lines += ["", "Examples:"] + [f"  {example}" for example in spec.examples]
    return "\n".join(lines)


def _param_label(param: object) -> str:
    from .spec import ParamSpec

    assert isinstance(param, ParamSpec)
    if param.positional:
        return param.label + ("..." if param.multiple else "")
    value = "" if param.kind == "flag" else f" {param.label}"
    return ", ".join(param.flags) + value


def overview(commands: tuple[CommandSpec, ...]) -> str:
    """`help`: every command with its one-line summary."""
    width = max(len(spec.name) for spec in commands)
    lines = ["Commands (help <command> for details):", ""]
    for spec in commands:
        lines.append(f"  {spec.name.ljust(width)}  {spec.summary}")
    lines += ["", "Every command accepts: -o/--output table|json|jsonc|tsv|yaml|none, --query JMESPATH,",
              "-g/--resource-group GROUP, --yes, --no-wait, -h/--help."]
    return "\n".join(lines)
