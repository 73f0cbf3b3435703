"""Template deployments: `deploy`, `deployment list|show|operations|delete` and `export-template`.

They need the backend's `Deployments` capability. `deploy` shows what-if (what the template would create,
change or delete) and asks before anything is changed, unless `--yes`; `--what-if` and `--validate` only
check. JSON is what az prints for the same call (`az deployment group create/show/what-if`,
`az deployment operation group list`), with `resourceGroup` added as az adds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backends.protocol import Deployments
from ..domain import errors
from ..domain.names import shown
from . import formatting as fmt
from .parser import UsageError, looks_like_option, parse
from .session import Invocation, Result
from .spec import CommandSpec, ParamSpec
from .what_if_format import what_if_text

TEMPLATE_BYTES_MAX = 4 * 1024 * 1024
"""ARM's template size limit; a bigger file is refused before it is read whole."""


def _deployments(inv: Invocation) -> Deployments:
    backend = inv.backend
    if not isinstance(backend, Deployments):
        raise errors.OperationNotAllowed(f"The {type(backend).__name__} backend has no template deployments.")
    return backend


def _group(inv: Invocation) -> str:
    return inv.group_for("deploy and deployment commands")


def _read_file(path_text: str, what: str) -> str:
    path = Path(path_text).expanduser()
    try:
        if path.stat().st_size > TEMPLATE_BYTES_MAX:
            raise UsageError("InvalidArgumentValue", f"The {what} '{shown(path_text)}' is larger than 4 MB, ARM's "
                                                     "limit.")
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError("InvalidArgumentValue", f"The {what} '{shown(path_text)}' does not exist.") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError, OSError) as exc:
        raise UsageError("InvalidArgumentValue", f"The {what} '{shown(path_text)}' cannot be read: "
                                                 f"{shown(type(exc).__name__)}.") from None


def _template_and_parameters(inv: Invocation) -> tuple[str, dict[str, Any]]:
    """The template text and the parameters `-p` gives, as az reads them (later values win)."""
    from ..domain.templates import InvalidTemplate, parameter_from_text, read_parameters_text  # on first use

    text = _read_file(inv.args["template"], "template file")
    parameters: dict[str, Any] = {}
    try:
        for word in inv.args.get("parameters") or []:
            if word.startswith("@"):
                parameters.update(read_parameters_text(_read_file(word[1:], "parameters file")))
                continue
            name, sep, value = word.partition("=")
            if not sep or not name:
                raise UsageError("InvalidArgumentValue", f"-p '{shown(word)}': write name=value or @file.json.")
            parameters[name] = {"value": parameter_from_text(text, name, value)}
    except InvalidTemplate as exc:
        exc.nothing_sent = True  # checked here, before anything was sent
        raise
    return text, parameters


def _name(inv: Invocation) -> str:
    given = inv.args.get("name")
    return given or Path(inv.args["template"]).stem.split(".")[0] or "deployment"


def _row(body: dict[str, Any]) -> dict[str, Any]:
    properties = body.get("properties") or {}
    return {"Name": body["name"], "State": properties.get("provisioningState"),
            "Timestamp": properties.get("timestamp"), "Mode": properties.get("mode"),
            "ResourceGroup": body.get("resourceGroup", "")}


def _shown(body: dict[str, Any], resource_group: str) -> dict[str, Any]:
    """A deployment as az prints it: ARM's body with `resourceGroup`."""
    return {**body, "resourceGroup": resource_group}


def _table(data: Any) -> str:
    rows = [_row(item) for item in (data if isinstance(data, list) else [data])]
    return fmt.columns_table(rows, [(key, key) for key in ("Name", "State", "Timestamp", "Mode", "ResourceGroup")])


def _operations_table(data: Any) -> str:
    rows = []
    for row in data:
        properties = row["properties"]
        error = (properties.get("statusMessage") or {}).get("error") or {}
        rows.append({"Resource": properties["targetResource"]["resourceName"],
                     "Type": properties["targetResource"]["resourceType"],
                     "Operation": properties["provisioningOperation"], "State": properties["provisioningState"],
                     "Error": f"({error.get('code')}) {error.get('message')}" if error else ""})
    return fmt.columns_table(rows, [(key, key) for key in ("Resource", "Type", "Operation", "State", "Error")])


def _failure(body: dict[str, Any]) -> errors.AzureError:
    """A failed deployment as one error line: ARM's message, then each failed resource's own error."""
    error = body["properties"].get("error") or {"code": "DeploymentFailed", "message": "The deployment failed."}
    reasons = []
    for detail in error.get("details") or []:
        inner = (detail.get("details") or [detail])[0]
        target = str(detail.get("target") or "").rsplit("/", 1)[-1]
        reasons.append(f"{target}: ({inner.get('code')}) {inner.get('message')}")
    message = error.get("message", "") + ("" if not reasons else " " + " ".join(reasons))
    return errors.AzureError(message, code=error.get("code", "DeploymentFailed"), http_status=400)


def _deploy(inv: Invocation) -> Result:
    backend = _deployments(inv)
    group = _group(inv)
    text, parameters = _template_and_parameters(inv)
    name, mode = _name(inv), inv.args.get("mode") or "Incremental"
    if inv.args.get("dry_run"):
        result = backend.what_if_deployment(group, name, text, parameters, mode=mode)
        secrets, color = secret_values(text, parameters), inv.session.color
        return Result(data=result, table=lambda data: what_if_text(data, color=color, secrets=secrets))
    if inv.args.get("validate"):
        checked = backend.validate_deployment(group, name, text, parameters, mode=mode)
        return Result(data=_shown(checked, group), table=_table)
    submitted = backend.deploy(group, name, text, parameters, mode=mode)
    if inv.no_wait:
        return Result(data=_shown(submitted, group), table=_table, changed=True)
    final = backend.wait_deployment(group, name)
    if final["properties"]["provisioningState"] != "Succeeded":
        raise _failure(final)
    return Result(data=_shown(final, group), table=_table, changed=True)


def _confirm_deploy(inv: Invocation) -> str | None:
    """The what-if to read before agreeing (nothing is sent to change anything yet)."""
    if inv.args.get("validate"):
        return None
    backend = _deployments(inv)
    group = _group(inv)
    text, parameters = _template_and_parameters(inv)
    result = backend.what_if_deployment(group, _name(inv), text, parameters, mode=inv.args.get("mode") or "Incremental")
    changes = what_if_text(result, secrets=secret_values(text, parameters))  # plain: stderr escapes codes
    return changes + "\n\nAre you sure you want to execute the deployment?"


@dataclass(frozen=True)
class DeployRequest:
    """A `deploy` line read exactly as `run_line` reads it, for a front end that shows what-if its own way."""

    resource_group: str
    name: str
    template: str
    parameters: dict[str, Any]
    mode: str
    what_if_only: bool
    validate_only: bool
    no_wait: bool
    yes: bool
    shown_line: str
    """The line as typed, with the values of secure parameters as ***: what a screen or a log may show."""
    secret_values: tuple[str, ...]
    """The text of every secure parameter value given, so a screen can mask it wherever it turns up."""


def secure_parameter_names(template_text: str) -> frozenset[str]:
    """The template's `securestring` and `secureObject` parameters (lower case; ARM's names are case-insensitive)."""
    from ..domain.templates.source import read_json  # on first use

    try:
        value = read_json(template_text).value
    except Exception:  # the template's own check reports its errors
        return frozenset()
    declared = value.get("parameters") if isinstance(value, dict) else None
    if not isinstance(declared, dict):
        return frozenset()
    return frozenset(name.lower() for name, declaration in declared.items() if isinstance(declaration, dict)
                     and str(declaration.get("type", "")).lower() in ("securestring", "secureobject"))


def secret_values(template_text: str, parameters: dict[str, Any]) -> tuple[str, ...]:
    """The text of every secure parameter value given, to be masked wherever it would be shown."""
    secure = secure_parameter_names(template_text)
    return tuple(str(entry.get("value")) if not isinstance(entry.get("value"), (dict, list))
                 else json.dumps(entry.get("value"))
                 for name, entry in parameters.items()
                 if name.lower() in secure and isinstance(entry, dict) and entry.get("value") not in (None, ""))


def plain_parameter_names(template_text: str) -> frozenset[str] | None:
    """The template's parameters that are not secure (lower case), or None when it cannot be read."""
    from ..domain.templates.source import read_json  # on first use

    try:
        value = read_json(template_text).value
    except Exception:  # the template's own check reports its errors
        return None
    declared = value.get("parameters") if isinstance(value, dict) else None
    if not isinstance(declared, dict):
        return frozenset() if isinstance(value, dict) else None
    return frozenset(name.lower() for name, declaration in declared.items() if isinstance(declaration, dict)
                     and str(declaration.get("type", "")).lower() not in ("securestring", "secureobject"))


def masked_parameter_words(words: list[str], plain: frozenset[str] | None) -> list[str]:
    """The words of a line with the value of every `-p name=value` masked unless the template declares `name`
    as a plain parameter (an allow-list: an unknown name, or an unreadable template, shows no value).
    `@file.json` references stay: they name a file, not a secret."""
    masked: list[str] = []
    in_parameters = False
    for word in words:
        flag, equals, rest = word.partition("=")
        if flag in ("-p", "--parameters"):
            masked.append(f"{flag}={_masked_parameter(rest, plain)}" if equals else word)
            in_parameters = True
        elif in_parameters and not looks_like_option(word):
            masked.append(_masked_parameter(word, plain))  # -p takes every word up to the next option
        else:
            masked.append(word)
            in_parameters = False
    return masked


def _masked_parameter(word: str, plain: frozenset[str] | None) -> str:
    name, sep, _value = word.partition("=")
    if word.startswith("@") or not sep:
        return word
    return word if plain is not None and name.lower() in plain else f"{name}=***"


def deploy_audit_words(tokens: list[str]) -> list[str]:
    """A `deploy` line as the audit trail keeps it: parameter values masked unless the template says plain."""
    plain: frozenset[str] | None = None
    try:
        template = parse(tokens, {"deploy": DEPLOY}).positionals[0]
        plain = plain_parameter_names(_read_file(template, "template file"))
    except (UsageError, IndexError):
        pass  # unreadable: every value is masked
    return masked_parameter_words(tokens, plain)


def read_deploy_line(line: str, invocation: Invocation) -> DeployRequest:
    """A `deploy` line (`invocation` is what `executor.prepare_invocation` read of it) with its template and every
    `-p` read and checked as `deploy` checks them; raises the same UsageError or AzureError. Nothing is sent."""
    import shlex

    from .parser import tokenize

    if invocation.spec.name != "deploy":
        raise UsageError("InvalidArgumentValue", "Only a `deploy` line can be read as a deployment.")
    _deployments(invocation)
    group = _group(invocation)
    text, parameters = _template_and_parameters(invocation)
    secrets = secret_values(text, parameters)
    return DeployRequest(resource_group=group, name=_name(invocation), template=text, parameters=parameters,
                         mode=invocation.args.get("mode") or "Incremental",
                         what_if_only=bool(invocation.args.get("dry_run")),
                         validate_only=bool(invocation.args.get("validate")), no_wait=invocation.no_wait,
                         yes=invocation.yes,
                         shown_line=shlex.join(masked_parameter_words(tokenize(line), plain_parameter_names(text))),
                         secret_values=secrets)


def deployment_failure_text(body: dict[str, Any]) -> str:
    """A failed deployment in one line, as `deploy` reports it: ARM's error, then each failed resource's own."""
    return f"ERROR: {_failure(body)}"


def _list(inv: Invocation) -> Result:
    group = _group(inv)
    return Result(data=[_shown(body, group) for body in _deployments(inv).list_deployments(group)], table=_table)


def _show(inv: Invocation) -> Result:
    group = _group(inv)
    return Result(data=_shown(_deployments(inv).get_deployment(group, inv.args["name"]), group), table=_table)


def _operations(inv: Invocation) -> Result:
    group = _group(inv)
    rows = _deployments(inv).list_deployment_operations(group, inv.args["name"])
    return Result(data=[{**row, "resourceGroup": group} for row in rows], table=_operations_table)


def _cancel(inv: Invocation) -> Result:
    _deployments(inv).cancel_deployment(_group(inv), inv.args["name"])
    return Result(data=None, changed=True)


def _delete(inv: Invocation) -> Result:
    _deployments(inv).delete_deployment(_group(inv), inv.args["name"])
    return Result(data=None, changed=True)


def _export(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    template = _deployments(inv).export_scale_set_template(group, name)
    return Result(data=template, table=lambda data: json.dumps(data, indent=2))


DEPLOYMENT_NAME = ParamSpec("name", "Deployment name.", required=True, metavar="<deployment>")

DEPLOY = CommandSpec(
        "deploy", "Deploy an ARM template into a resource group (shows what-if and asks first).", _deploy,
        mutating=True, destructive=True, confirm_text=_confirm_deploy, check_only_flags=("dry_run", "validate"),
        audit_words=deploy_audit_words,
        params=(ParamSpec("template", "The template file (JSON).", required=True, metavar="<template.json>"),
                ParamSpec("parameters", "Parameters: name=value or @params.json (repeatable; later ones win).",
                          flags=("-p", "--parameters"), multiple=True, metavar="NAME=VALUE|@FILE"),
                ParamSpec("mode", "Incremental leaves other resources; Complete deletes what the template lacks.",
                          flags=("--mode",), kind="choice", choices=("Incremental", "Complete")),
                ParamSpec("dry_run", "Only show what the deployment would change.", flags=("--what-if",),
                          kind="flag"),
                ParamSpec("validate", "Only check the template and parameters (ARM's preflight).",
                          flags=("--validate",), kind="flag"),
                ParamSpec("name", "Deployment name (default: the template file's name).", flags=("--name", "-n"),
                          metavar="NAME")),
        help="Like `az deployment group create --confirm-with-what-if`: the template and every parameter are "
             "checked before anything is touched (InvalidTemplate), then what-if lists each resource as Create, "
             "Modify (property by property), Delete (Complete mode), NoChange or Ignore, and you confirm. "
             "Resources are created in dependency order; --no-wait returns the deployment at once.",
        examples=("deploy vmss.json -g lab-rg -p vmssName=web -p instanceCount=5",
                  "deploy scale.json -g lab-rg -p @params.json --what-if",
                  "deploy lab.json -g lab-rg --mode Complete --yes"),
)

DEPLOYMENT_COMMANDS: tuple[CommandSpec, ...] = (
    DEPLOY,
    CommandSpec("deployment list", "List a group's deployments, newest first.", _list,
                examples=("deployment list -g lab-rg",)),
    CommandSpec("deployment show", "Show one deployment (state, outputs, error).", _show, params=(DEPLOYMENT_NAME,),
                examples=("deployment show web -g lab-rg",)),
    CommandSpec("deployment operations", "Each resource a deployment touched, with its state and error.",
                _operations, params=(DEPLOYMENT_NAME,), examples=("deployment operations web -g lab-rg",)),
    CommandSpec("deployment cancel", "Cancel a deployment that is still running (what it finished stays).",
                _cancel, mutating=True, params=(DEPLOYMENT_NAME,), examples=("deployment cancel web -g lab-rg",),
                help="Like `az deployment group cancel`: only an Accepted or Running deployment can be canceled "
                     "(DeploymentCannotBeCancelled otherwise); resources already deployed are not rolled back."),
    CommandSpec("deployment delete", "Remove a deployment from the history (its resources stay).", _delete,
                mutating=True, params=(DEPLOYMENT_NAME,), examples=("deployment delete web -g lab-rg",)),
    CommandSpec("export-template", "Print a scale set as a template that redeploys to the same set.", _export,
                needs_set=True, params=(ParamSpec("set", "Scale-set name (may be omitted after `use <set>`).", required=True,
                                  completion="sets"),),
                examples=("export-template web", "export-template web -o json")),
)
