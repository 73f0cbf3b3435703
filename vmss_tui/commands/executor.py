"""Run one command line against a session: parse, check, confirm, call the handler, format.

`run_line` is the single entry point of every front end. It never raises for a user or
Azure error: everything becomes an `Outcome` with an exit code (0 ok, 1 the operation or
Azure failed, 2 the line was not acceptable and nothing was sent) and one `ERROR:` line.

Refusals are exit 2 and send nothing: read-only mode, a destructive command that was not
confirmed and cannot ask (no confirm callback), a usage error. A confirmation the user
declined is exit 1 ("Cancelled").
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Any, TextIO

from ..domain.errors import AzureError
from ..domain.limits import MAX_LINE_CHARACTERS
from .formatting import render
from .masking import mask_secrets
from .parser import (OUTPUT_FORMATS, ParsedLine, UsageError, bind, command_words, parse, required_positional_count,
                     tokenize)
from .registry import COMMAND_INDEX
from .session import (ConfirmCallback, Invocation, Outcome, Result, Session, StoppedWaiting, find_scale_set,
                      is_mutating)
from .spec import CommandSpec


def _effective(parsed: ParsedLine, session: Session) -> dict[str, Any]:
    line = parsed.line_options
    return {
        "output": line.get("output", session.output),
        "query": line.get("query", session.query),
        "yes": bool(line.get("yes", False) or session.yes),
        "no_wait": bool(line.get("no_wait", False) or session.no_wait),
        "resource_group": line.get("resource_group", session.resource_group),
    }


def _set_names(session: Session, resource_group: str | None) -> set[str]:
    return {s.name.lower() for s in session.backend.list_scale_sets(resource_group)}


def _bind_with_context(parsed: ParsedLine, session: Session) -> tuple[dict[str, Any], bool]:
    """Bind positionals, filling the set from `use` when the line leaves it out.

    Returns the arguments and whether the context supplied the set.
    """
    spec = parsed.spec
    words = parsed.positionals
    if not (spec.needs_set and session.current_set):
        return bind(parsed), False
    context_name = session.current_set[1]
    implicit: bool
    if len(words) < required_positional_count(spec) or not words:
        implicit = True
    elif words[0].lower() == context_name.lower():
        implicit = False
    elif spec.positionals[-1].multiple and len(spec.positionals) > 1:
        # `start 3 4` in context vs `start other-set 3`: only an existing set name is a set.
        implicit = words[0].lower() not in _set_names(session, parsed.line_options.get("resource_group"))
    else:
        implicit = False
    if implicit:
        return bind(parsed, [context_name] + list(words)), True
    return bind(parsed), False


@dataclass
class _Prepared:
    invocation: Invocation
    parsed: ParsedLine


def _prepare(tokens: list[str], session: Session) -> _Prepared:
    parsed = parse(tokens, COMMAND_INDEX)
    spec = parsed.spec
    options = _effective(parsed, session)
    if options["output"] not in OUTPUT_FORMATS:
        raise UsageError("InvalidArgumentValue", f"output format '{options['output']}' is not one of: "
                                                 f"{', '.join(OUTPUT_FORMATS)}.")
    invocation = Invocation(spec=spec, args={}, session=session, **options)
    if parsed.line_options.get("help"):
        return _Prepared(invocation, parsed)
    if is_mutating(spec, parsed.options) and session.read_only:
        raise UsageError("ReadOnly", f"'{spec.name}' changes resources and this session is read-only "
                                     f"({session.read_only_reason}); nothing was sent.")
    args, from_context = _bind_with_context(parsed, session)
    invocation.args = args
    if spec.needs_set:
        name = args[spec.positionals[0].dest]
        if from_context and session.current_set is not None:
            group = session.current_set[0]
        else:
            group = options["resource_group"]
        from ..domain.names import validate_resource_group_name, validate_scale_set_name

        validate_scale_set_name(name)  # every door, every backend: Azure's name rules before any call
        if group:
            validate_resource_group_name(group)
        invocation.scale_set = find_scale_set(session, name, group)
    return _Prepared(invocation, parsed)


def prepare_invocation(line: str, session: Session) -> Invocation:
    """A line read and checked as `run_line` reads it (read-only refused, names checked), nothing run: for a
    front end that shows a command's preview its own way (the TUI's deploy screen). Raises UsageError or
    AzureError."""
    return _prepare(tokenize(line), session).invocation


def _compile_query(query: str | None) -> Any:
    if not query:
        return None
    import jmespath
    from jmespath.exceptions import JMESPathError

    from ..domain.limits import MAX_QUERY_CHARACTERS

    if len(query) > MAX_QUERY_CHARACTERS:
        raise UsageError("InvalidInput", f"The --query is {len(query)} characters; the limit is {MAX_QUERY_CHARACTERS}.")
    try:
        return jmespath.compile(query)
    except JMESPathError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError("InvalidQuery", f"--query '{query}' is not valid JMESPath: {first_line}") from None
    except RecursionError:
        raise UsageError("InvalidQuery", "--query is nested too deeply to be JMESPath a person wrote.") from None


def _one_line(text: str) -> str:
    """Error text on one line whatever the user typed (line separators included), control characters escaped."""
    from ..domain.text import escape_control

    return escape_control(" ".join(text.splitlines()))


def _error_outcome(exc: BaseException, command: str | None) -> Outcome:
    if isinstance(exc, UsageError):
        return Outcome(exit_code=2, error=_one_line(f"ERROR: {exc}"), command=command)
    if isinstance(exc, AzureError):
        # A name or value refused before anything was sent (domain/names.py) is exit 2, like a usage error.
        return Outcome(exit_code=2 if exc.nothing_sent else 1, error=_one_line(f"ERROR: {exc}"), command=command)
    import traceback

    message = str(exc).splitlines()[0] if str(exc) else ""
    return Outcome(exit_code=1, error=f"ERROR: internal error: {type(exc).__name__}: {message}".rstrip(": "),
                   command=command, debug_traceback=traceback.format_exc())


def run_line(line: str, session: Session) -> Outcome:
    """Run one command line; never raises for user, Azure or internal errors."""
    try:
        tokens = tokenize(line)
    except UsageError as exc:
        outcome = _error_outcome(exc, None)
        words = line[:MAX_LINE_CHARACTERS].split(maxsplit=1)
        if session.audit is not None and words and _names_mutating_command(words[0]):
            _record(session, _audited_text(line.split(), line.strip()), outcome)
        return outcome
    if not tokens:
        return Outcome()
    return _run_audited(tokens, session, typed=line.strip())


def refuse_overlong_line(start: str, length: int, session: Session) -> Outcome:
    """A line too long to read whole (from a pipe): refused by its length, audited like any refusal.

    `start` is what was read of it (a few hundred characters), used only to tell whether it
    asked for a change.
    """
    outcome = _error_outcome(UsageError("InvalidInput", f"The command line is {length} characters; "
                                                         f"the limit is {MAX_LINE_CHARACTERS}."), None)
    words = start.split(maxsplit=1)
    if session.audit is not None and words and _names_mutating_command(words[0]):
        _record(session, _audited_text(start.split(), start.strip()) + " ...", outcome)
    return outcome


def run_tokens(tokens: list[str], session: Session) -> Outcome:
    """Run a line that is already split into words (the one-shot CLI's argv)."""
    return _run_audited(tokens, session, typed=shlex.join(tokens))


def _run_audited(tokens: list[str], session: Session, typed: str) -> Outcome:
    """Run a line; a mutating one (even refused or failed) leaves a line in the audit trail."""
    outcome = _run(tokens, session)
    if session.audit is not None and _is_mutating_line(tokens):
        _record(session, _audited_text(tokens, typed), outcome)
    return outcome


def kept_text(line: str) -> str:
    """A line as a file may keep it (the REPL's history): the values a command or the generic rules call
    secret are masked, as in the audit trail."""
    try:
        tokens = tokenize(line)
    except UsageError:
        tokens = line.split()
    return mask_secrets(_audited_text(tokens, line.strip())) if tokens else line


def _audited_text(tokens: list[str], typed: str) -> str:
    """The line as the audit trail keeps it: a command that can carry secrets masks its own words."""
    spec = COMMAND_INDEX.get(" ".join(tokens[:command_words(tokens, COMMAND_INDEX)]).lower())
    if spec is None or spec.audit_words is None:
        return typed
    return shlex.join(spec.audit_words(tokens))


def _record(session: Session, typed: str, outcome: Outcome) -> None:
    """Append the line and how it ended to the session's audit trail (a failed write warns)."""
    assert session.audit is not None
    operation = outcome.operation
    if operation is not None:
        group: str | None = operation.resource_group
    elif outcome.resource_group is not None:
        group = outcome.resource_group
    else:
        group = session.current_set[0] if session.current_set else session.resource_group
    warning = session.audit.record(typed, exit_code=outcome.exit_code, error=outcome.error, resource_group=group,
                                   outcome=outcome.audit_outcome)
    if warning:
        outcome.warnings.append(warning)


def _names_mutating_command(word: str) -> bool:
    spec = COMMAND_INDEX.get(word.lower())
    if spec is None:  # a noun alone (`group`): it counts when any of its verbs changes something
        return any(s.mutating for key, s in COMMAND_INDEX.items() if key.startswith(f"{word.lower()} "))
    return spec.mutating


def _is_mutating_line(tokens: list[str]) -> bool:
    """Whether a line asks for a change (parsed again, cheaply, so refusals count too).

    A line that does not parse counts when its first word is a changing command: the attempt
    is audited as refused.
    """
    try:
        parsed = parse(tokens, COMMAND_INDEX)
    except (UsageError, AzureError):
        return bool(tokens) and _names_mutating_command(" ".join(tokens[:command_words(tokens, COMMAND_INDEX)]))
    return not parsed.line_options.get("help") and is_mutating(parsed.spec, parsed.options)


def _check_targets(invocation: Invocation) -> None:
    """Before asking: the instances a command names exist (the set was found while preparing).

    So `delete-instances web 99` says 99 does not exist instead of asking to delete it, as
    `stop web 999` does (the backend checks those before starting).
    """
    ids = invocation.args.get("instance_ids")
    if not ids or invocation.scale_set is None:
        return
    from ..domain.errors import instance_not_found

    group, name = invocation.group_and_name
    known = {instance.instance_id.lower() for instance in invocation.backend.list_instances(group, name)}
    for instance_id in ids:
        if str(instance_id).lower() not in known:
            raise instance_not_found(group, name, str(instance_id))


def _run(tokens: list[str], session: Session) -> Outcome:
    command: str | None = None
    invocation: Invocation | None = None
    try:
        prepared = _prepare(tokens, session)
        invocation = prepared.invocation
        spec = invocation.spec
        command = spec.name
        if prepared.parsed.line_options.get("help"):
            from .help import command_help

            return Outcome(rendered=command_help(spec), command=command)
        compiled_query = _compile_query(invocation.query)
        text = _confirmation_text(invocation)
        if text is not None and not invocation.yes:
            _check_targets(invocation)
            if session.confirm is None:
                raise UsageError("ConfirmationRequired",
                                 f"'{spec.name}' needs confirmation and cannot ask here; pass --yes to go ahead. "
                                 f"Nothing was changed.")
            if not session.confirm(text):
                return Outcome(exit_code=1, error=f"ERROR: (Cancelled) {spec.name} was not confirmed; "
                                                  f"nothing was changed.", command=command,
                               resource_group=invocation.target_group)
        result = spec.handler(invocation)
    except StoppedWaiting as stopped:
        operation = stopped.operation
        return Outcome(exit_code=1, command=command, operation=operation, changed=True, audit_outcome="started",
                       error=f"ERROR: (StoppedWaiting) stopped waiting; operation {operation.id} "
                             f"({operation.message or operation.kind}) continues. "
                             f"Check it with: operation {operation.id}")
    except Exception as exc:  # noqa: BLE001 - the one place where anything becomes an error line
        outcome = _error_outcome(exc, command)
        if invocation is not None:
            outcome.resource_group = invocation.target_group
        return outcome
    if result.changed:
        session.completion_cache.invalidate()
    data = result.data
    table = result.table
    try:
        if compiled_query is not None:
            data = compiled_query.search(data)
            table = None
        if result.plain and compiled_query is None and invocation.output != "none":
            rendered = str(data)
        else:
            rendered = render(data, invocation.output, table, color=session.color)
    except Exception as exc:  # noqa: BLE001 - a query that fails on this data, or output that cannot be made
        return _unprintable_result(exc, invocation, result, compiled_query is not None)
    return Outcome(exit_code=0, data=data, rendered=rendered, changed=result.changed,
                   operation=result.operation, command=command, exit_requested=result.exit_requested,
                   warnings=list(result.warnings), resource_group=invocation.target_group)


def _unprintable_result(exc: Exception, invocation: Invocation, result: Result, by_query: bool) -> Outcome:
    """The command ran but its result could not be shown: after a change that is exit 1, naming it."""
    code = "InvalidQuery" if by_query else "OutputFailed"
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    what = f"--query failed on the result: {first_line}" if by_query else f"the result could not be shown: {first_line}"
    name = invocation.spec.name
    if not result.changed:
        outcome = _error_outcome(UsageError(code, f"{name}: {what}"), name)
        outcome.resource_group = invocation.target_group
        return outcome
    operation = result.operation
    done = f"{name} was carried out" + (f" (operation {operation.id}, {operation.status})" if operation else "")
    return Outcome(exit_code=1, error=_one_line(f"ERROR: ({code}) {done}, but {what}"), command=name,
                   changed=True, operation=operation, resource_group=invocation.target_group,
                   audit_outcome="success", warnings=list(result.warnings))


def _confirmation_text(invocation: Invocation) -> str | None:
    """What to confirm: a destructive command's own text; on production, every change confirms."""
    spec = invocation.spec
    if not is_mutating(spec, invocation.args):
        return None
    text = spec.confirm_text(invocation) if spec.destructive and spec.confirm_text is not None else None
    production = invocation.session.production()
    if production is None:
        return text
    warning = f"PRODUCTION: this changes subscription '{production}'."
    if text:
        return f"{warning}\n{text}"
    target = f" {invocation.scale_set.name}" if invocation.scale_set is not None else ""
    return f"{warning} Run '{spec.name}{target}'?"


def confirmation_prompt(line: str, session: Session) -> str | None:
    """The exact text a dialog must show before `line` runs, or None when it needs no confirmation.

    None also when `--yes` is given (on the line or the session) or the line does not parse
    (running it will report why).
    """
    try:
        tokens = tokenize(line)
        if not tokens:
            return None
        prepared = _prepare(tokens, session)
    except (UsageError, AzureError):
        return None
    invocation = prepared.invocation
    if invocation.yes or prepared.parsed.line_options.get("help"):
        return None
    try:
        return _confirmation_text(invocation)
    except (UsageError, AzureError):
        return None


def debug_enabled() -> bool:
    """True when VMSS_TUI_DEBUG=1 asks for tracebacks of internal errors."""
    return os.environ.get("VMSS_TUI_DEBUG", "") not in ("", "0")


def print_outcome(outcome: Outcome, stdout: TextIO, stderr: TextIO) -> None:
    """Write an Outcome as the CLI and the REPL show it: the result to stdout, warnings and the error to stderr."""
    if outcome.rendered:
        stdout.write(outcome.rendered + "\n")
        stdout.flush()
    for warning in outcome.warnings:
        stderr.write(f"WARNING: {warning}\n")
    if outcome.error:
        stderr.write(outcome.error + "\n")
        if outcome.debug_traceback and debug_enabled():
            stderr.write(outcome.debug_traceback)
    stderr.flush()


__all__ = ["ConfirmCallback", "Invocation", "Outcome", "Result", "Session", "StoppedWaiting",
           "confirmation_prompt", "debug_enabled", "find_scale_set", "is_mutating", "print_outcome",
           "refuse_overlong_line", "run_line", "run_tokens"]
