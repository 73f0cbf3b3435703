"""The one registry of commands: declarations and their handlers, side by side.

The CLI, the REPL and the TUI's `:` bar and palette are all generated from `COMMANDS`.
Handlers return JSON-able data (ARM resources as az prints them, see `formatting`) and never print.

The scale-set commands are declared here; the other nouns' commands (`group`, `autoscale`,
`deployment`, `network`, `clock`, `capacity-reservation`, `ssh`) in their own modules, which are
imported when a command of theirs is first looked up (`COMMAND_INDEX`, `NOUN_MODULES`) or when
every command is listed (`COMMANDS`, help, completion, the palette). A one-shot `vmss-tui list`
imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Callable

from ..backends.protocol import Network
from ..domain.errors import InvalidParameter, OperationNotAllowed
from ..domain.models import (
    Instance,
    OrchestrationMode,
    PowerAction,
    Priority,
    ScaleInRule,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    VmSpec,
)
from ..domain.tags import Tags, as_pairs, validate_tags
from . import formatting as fmt
from .network import ADD_VM_PARAMS, CREATE_PARAMS, inbound_ports, network_options
from .resource_groups import parse_tags
from .reservations import CAPACITY_RESERVATION_GROUP, group_option
from .session import Invocation, Result, find_scale_set
from .parser import UsageError
from .spec import CommandSpec, ParamSpec

# ---------------------------------------------------------------- shared parameters

SET = ParamSpec("set", "Scale-set name (may be omitted after `use <set>`).", required=True, completion="sets")
IDS_REQUIRED = ParamSpec("instance_ids", "Instance ids (Uniform: numbers; Flexible: VM names).",
                         multiple=True, required=True, completion="instances", metavar="<id>")
IDS_OPTIONAL = ParamSpec("instance_ids", "Instance ids; none means every instance of the set.",
                         multiple=True, completion="instances", metavar="<id>")
VM_SIZE = ParamSpec("vm_size", "VM size, e.g. Standard_D2s_v3.", flags=("--vm-size",), completion="vm_sizes",
                    metavar="SIZE")
IMAGE = ParamSpec("image", "Image alias (Ubuntu2204, ...) or image id.", flags=("--image",), completion="images",
                  metavar="IMAGE")
SCALE_IN = ParamSpec("scale_in_policy", "Which instances scale-in removes first.", flags=("--scale-in-policy",),
                     kind="choice", choices=tuple(str(r) for r in ScaleInRule), completion="choices")
UPGRADE = ParamSpec("upgrade_policy", "How model changes reach instances.", flags=("--upgrade-policy",),
                    kind="choice", choices=tuple(str(u) for u in UpgradeMode), completion="choices")
FORCE = ParamSpec("force", "Force deletion (skip the graceful shutdown).", flags=("--force",), kind="flag")
TAGS = ParamSpec("tags", 'Tags as key=value, replacing all the set\'s tags (a key alone has an empty value; '
                 '"" removes them all).', flags=("--tags",), multiple=True, metavar="KEY=VALUE")
SET_TAG = ParamSpec("set_values", "az's generic update: tags.<name>=<value> adds or changes one tag.",
                    flags=("--set",), multiple=True, metavar="tags.NAME=VALUE")
REMOVE_TAG = ParamSpec("remove_values", "az's generic update: tags.<name> removes one tag.", flags=("--remove",),
                       multiple=True, metavar="tags.NAME")


def _checked_tags(tags: dict[str, str]) -> Tags:
    """Azure's tag rules checked before anything is sent: a refusal is a usage error (exit 2)."""
    try:
        return as_pairs(validate_tags(tags))
    except InvalidParameter as error:
        raise UsageError("InvalidParameter", error.message) from None


def _tag_name(path: str, option: str) -> str:
    if not path.lower().startswith("tags.") or len(path) == len("tags."):
        raise UsageError("InvalidArgumentValue", f"{option}: '{path}' is not supported; this command changes "
                                                 f"tags only: write {option} tags.<name>"
                                                 + ("=<value>." if option == "--set" else "."))
    return path[len("tags."):]


def _new_tags(inv: Invocation) -> Tags | None:
    """The set's tags after `--tags` (replace all), then `--set tags.k=v` and `--remove tags.k`; None: untouched."""
    args = inv.args
    replaced = parse_tags(args["tags"] or [])
    if replaced is None and not args["set_values"] and not args["remove_values"]:
        return None
    current = inv.scale_set.tags if inv.scale_set is not None else ()
    tags = dict(replaced) if replaced is not None else dict(current)
    for word in args["set_values"] or ():
        path, equals, value = word.partition("=")
        if not equals:
            raise UsageError("InvalidArgumentValue", f"--set: '{word}' has no value; write --set tags.<name>=<value>.")
        tags[_tag_name(path, "--set")] = value
    for path in args["remove_values"] or ():
        tags.pop(_tag_name(path, "--remove"), None)
    return _checked_tags(tags)


def _instances_result(inv: Invocation, instances: list[Instance], **extra: Any) -> Result:
    scale_set = inv.scale_set if inv.scale_set is not None else inv.backend.get_scale_set(*inv.group_and_name)
    return Result(data=[fmt.instance_json(i, scale_set) for i in instances],
                  table=fmt.table_of(fmt.instances_table, [fmt.instance_row(i) for i in instances]), **extra)


def _network_profile(inv: Invocation, scale_set: Any) -> dict[str, Any] | None:
    """What the set's network keeps as its `networkProfile` (the endpoint serves the same), if the backend has one."""
    backend = inv.backend
    return backend.scale_set_network_profile(scale_set.resource_group, scale_set.name) \
        if isinstance(backend, Network) else None


def _scale_set_result(inv: Invocation, scale_set: Any, **extra: Any) -> Result:
    return Result(data=fmt.scale_set_json(scale_set, network_profile=_network_profile(inv, scale_set)),
                  table=fmt.table_of(fmt.key_value_table, fmt.scale_set_row(scale_set)), **extra)


def _operation_result(operation: Any) -> Result:
    return Result(data=fmt.operation_json(operation), table=fmt.operation_table, operation=operation,
                  changed=True)


# ---------------------------------------------------------------- handlers


def _list(inv: Invocation) -> Result:
    sets = inv.backend.list_scale_sets(inv.resource_group)
    return Result(data=[fmt.scale_set_json(s, etag=False, network_profile=_network_profile(inv, s)) for s in sets],
                  table=fmt.table_of(fmt.scale_sets_table, [fmt.scale_set_row(s) for s in sets]))


def _show(inv: Invocation) -> Result:
    assert inv.scale_set is not None
    return _scale_set_result(inv, inv.scale_set)


def _group_for_create(inv: Invocation) -> str:
    return inv.group_for("create")


def _create(inv: Invocation) -> Result:
    args = inv.args
    mode = OrchestrationMode.FLEXIBLE if args["mode"] == "flexible" else OrchestrationMode.UNIFORM
    if args["no_vm_profile"] and mode is OrchestrationMode.UNIFORM:
        raise UsageError("InvalidArgumentValue", "create --no-vm-profile applies only to --mode flexible; "
                                                 "a Uniform set always has a VM profile.")
    spec = ScaleSetSpec(
        name=args["set"], resource_group=_group_for_create(inv), orchestration_mode=mode,
        location=args["location"], capacity=args["capacity"], vm_size=args["vm_size"], image=args["image"],
        platform_fault_domain_count=args["fault_domains"], zones=tuple(args["zones"]),
        single_placement_group=args["single_placement_group"],
        scale_in_policy=ScaleInRule(args["scale_in_policy"] or "Default"),
        upgrade_policy=UpgradeMode(args["upgrade_policy"] or "Manual"),
        priority=Priority.SPOT if args["spot"] else Priority.REGULAR,
        with_vm_profile=not args["no_vm_profile"], network=network_options(args),
        tags=_checked_tags(parse_tags(args["tags"] or []) or {}),
        capacity_reservation_group=group_option(args, allow_none=False),
    )
    operation = inv.backend.create_scale_set(spec)
    if inv.no_wait:
        return _operation_result(operation)
    final = inv.wait(operation)
    created = inv.backend.get_scale_set(spec.resource_group, spec.name)
    return _scale_set_result(inv, created, operation=final, changed=True)


def _update(inv: Invocation) -> Result:
    args = inv.args
    update = ScaleSetUpdate(
        vm_size=args["vm_size"], image=args["image"],
        scale_in_policy=ScaleInRule(args["scale_in_policy"]) if args["scale_in_policy"] else None,
        upgrade_policy=UpgradeMode(args["upgrade_policy"]) if args["upgrade_policy"] else None,
        add_zones=tuple(args["add_zones"]), single_placement_group=args["single_placement_group"],
        # Immutable in Azure: passed on so the answer is Azure's PropertyChangeNotAllowed, not silence.
        orchestration_mode=(OrchestrationMode.FLEXIBLE if args["mode"] == "flexible" else OrchestrationMode.UNIFORM)
        if args["mode"] else None,
        platform_fault_domain_count=args["fault_domains"],
        tags=_new_tags(inv),
        capacity_reservation_group=group_option(args, allow_none=True),
    )
    if update == ScaleSetUpdate():
        raise UsageError("MissingArgument", "update: nothing to change; give at least one of --vm-size, --image, "
                                            "--scale-in-policy, --upgrade-policy, --add-zones, "
                                            "--single-placement-group, --tags, --set tags.<name>=<value>, "
                                            "--remove tags.<name>.")
    group, name = inv.group_and_name
    operation = inv.backend.update_scale_set(group, name, update)
    if inv.no_wait:
        return _operation_result(operation)
    final = inv.wait(operation)
    return _scale_set_result(inv, inv.backend.get_scale_set(group, name), operation=final, changed=True)


def _delete(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    operation = inv.backend.delete_scale_set(group, name, force=inv.args["force"])
    if inv.no_wait:
        return _operation_result(operation)
    return _operation_result(inv.wait(operation))


def _confirm_delete(inv: Invocation) -> str:
    assert inv.scale_set is not None
    s = inv.scale_set
    return (f"Delete scale set '{s.name}' in resource group '{s.resource_group}' ({s.orchestration_mode}, "
            f"{s.capacity} instance(s))? This cannot be undone.")


def _scale(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    capacity = inv.args["capacity"]
    if inv.args["dry_run"]:
        plan = inv.backend.plan_capacity(group, name, capacity)
        return Result(data=fmt.plan_json(plan), table=fmt.plan_table)
    operation = inv.backend.set_capacity(group, name, capacity)
    if inv.no_wait:
        return _operation_result(operation)
    final = inv.wait(operation)
    return _scale_set_result(inv, inv.backend.get_scale_set(group, name), operation=final, changed=True)


def _confirm_scale(inv: Invocation) -> str | None:
    assert inv.scale_set is not None
    capacity = inv.args["capacity"]
    if capacity >= inv.scale_set.capacity:
        return None
    group, name = inv.group_and_name
    plan = inv.backend.plan_capacity(group, name, capacity)
    lines = [f"Scale '{name}' ({group}) in from {plan.current_capacity} to {plan.target_capacity}? "
             f"The scale-in policy ({inv.scale_set.scale_in_policy}) removes {len(plan.to_remove)} instance(s):"]
    lines += [f"  {r.instance_id}  zone {r.zone or '-'}  FD {r.fault_domain}  ({r.reason})" for r in plan.to_remove]
    if plan.protected_instance_ids:
        lines.append(f"Kept because protected: {', '.join(plan.protected_instance_ids)}")
    return "\n".join(lines)


def _add_vm(inv: Invocation) -> Result:
    assert inv.scale_set is not None
    group, name = inv.group_and_name
    if not inv.scale_set.is_flexible:
        raise OperationNotAllowed(f"add-vm works only on Flexible scale sets; '{name}' is Uniform "
                                  f"(use 'scale {name} N' to add instances).", target=name)
    args = inv.args
    spec = VmSpec(name=args["name"], zone=args["zone"], fault_domain=args["fault_domain"],
                  vm_size=args["vm_size"], image=args["image"],
                  priority=Priority.SPOT if args["spot"] else Priority.REGULAR,
                  public_ip=bool(args["public_ip"]), inbound_ports=inbound_ports(args),
                  capacity_reservation_group=group_option(args, allow_none=False),
                  tags=_checked_tags(parse_tags(args["tags"] or []) or {}))
    operation = inv.backend.add_vm(group, name, spec)
    if inv.no_wait:
        return _operation_result(operation)
    final = inv.wait(operation)
    created = final.created_instance_ids or final.instance_ids
    instances = [inv.backend.get_instance(group, name, ident) for ident in created]
    return _instances_result(inv, instances, operation=final, changed=True)


def _instances(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    return _instances_result(inv, inv.backend.list_instances(group, name))


def _delete_instances(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    operation = inv.backend.delete_instances(group, name, list(inv.args["instance_ids"]), force=inv.args["force"])
    if inv.no_wait:
        return _operation_result(operation)
    return _operation_result(inv.wait(operation))


def _confirm_delete_instances(inv: Invocation) -> str:
    assert inv.scale_set is not None
    ids = inv.args["instance_ids"]
    s = inv.scale_set
    return (f"Delete {len(ids)} instance(s) of '{s.name}' ({s.resource_group}): {', '.join(ids)}? "
            f"Capacity drops from {s.capacity} to {max(0, s.capacity - len(ids))}; protection does not "
            f"prevent this.")


def _power(action: PowerAction) -> Any:
    def handler(inv: Invocation) -> Result:
        group, name = inv.group_and_name
        ids = list(inv.args["instance_ids"]) or None
        operation = inv.backend.power_action(group, name, action, ids)
        if inv.no_wait:
            return _operation_result(operation)
        final = inv.wait(operation)
        touched = set(final.instance_ids or ids or ())
        instances = [i for i in inv.backend.list_instances(group, name) if not touched or i.instance_id in touched]
        warnings = []
        if final.skipped_instance_ids:
            warnings.append(f"skipped instances protected from scale-set actions: "
                            f"{', '.join(final.skipped_instance_ids)}")
        return _instances_result(inv, instances, operation=final, changed=True, warnings=warnings)

    return handler


def _protect(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    scale_set_actions = inv.args["scale_set_actions"]
    # Azure refuses scale-set-action protection without scale-in protection, so it implies it.
    instances = inv.backend.set_protection(
        group, name, list(inv.args["instance_ids"]), protect_from_scale_in=True,
        protect_from_scale_set_actions=True if scale_set_actions else None)
    return _instances_result(inv, instances, changed=True)


def _unprotect(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    only_actions = inv.args["scale_set_actions"] and not inv.args["scale_in"]
    # Dropping scale-in protection must drop scale-set-action protection too (Azure's rule).
    instances = inv.backend.set_protection(
        group, name, list(inv.args["instance_ids"]),
        protect_from_scale_in=None if only_actions else False, protect_from_scale_set_actions=False)
    return _instances_result(inv, instances, changed=True)


def _upgrade(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    ids = list(inv.args["instance_ids"]) or None
    operation = inv.backend.upgrade_instances(group, name, ids)
    if inv.no_wait:
        return _operation_result(operation)
    final = inv.wait(operation)
    touched = set(final.instance_ids or ids or ())
    instances = [i for i in inv.backend.list_instances(group, name) if i.instance_id in touched]
    return _instances_result(inv, instances, operation=final, changed=True)


def _fd_map(inv: Invocation) -> Result:
    group, name = inv.group_and_name
    return Result(data=fmt.placement_json(inv.backend.placement(group, name)), table=fmt.placement_table)


def _text(text: str) -> Result:
    return Result(data=text, table=lambda data: str(data), plain=True)


def _use(inv: Invocation) -> Result:
    target = inv.args["set"]
    session = inv.session
    if target is None:
        if session.current_set is None:
            return _text("No scale set in use. 'use <set>' lets later commands omit the set name.")
        group, name = session.current_set
        return Result(data={"resourceGroup": group, "name": name},
                      table=lambda data: f"Using {data['name']} ({data['resourceGroup']}).")
    if target == "-":
        session.current_set = None
        return _text("No scale set in use.")
    found = find_scale_set(session, target, inv.resource_group)
    session.current_set = (found.resource_group, found.name)
    return Result(data={"resourceGroup": found.resource_group, "name": found.name},
                  table=lambda data: f"Using {data['name']} ({data['resourceGroup']}); "
                                     f"commands may now omit the set name.")


def _help(inv: Invocation) -> Result:
    from .help import command_help, overview
    from .parser import find_command

    words = inv.args["topic"]
    commands = all_commands()
    if not words:
        return _text(overview(commands))
    topic = " ".join(words).lower()
    nouns = tuple(spec for spec in commands if spec.name.startswith(f"{topic} "))
    if nouns and topic not in COMMAND_INDEX:  # `help group`: the commands of that noun
        return _text(overview(nouns))
    return _text(command_help(find_command(topic, COMMAND_INDEX)))


def _exit(inv: Invocation) -> Result:
    return Result(exit_requested=True)


def _operation(inv: Invocation) -> Result:
    operation = inv.backend.get_operation(inv.args["operation_id"])
    return Result(data=fmt.operation_json(operation), table=fmt.operation_table, operation=operation)


# ---------------------------------------------------------------- declarations

SCALE_SET_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "list", "List scale sets (in one group with -g).", _list, aliases=("ls",),
        examples=("list", "list -g practice-rg -o json", "list --query \"[].{name:name, capacity:sku.capacity}\""),
    ),
    CommandSpec(
        "show", "Show one scale set.", _show, params=(SET,), needs_set=True,
        examples=("show web", "show web --query sku.capacity -o tsv"),
    ),
    CommandSpec(
        "create", "Create a scale set.", _create, mutating=True, waits=True,
        params=(
            ParamSpec("set", "Name of the new scale set.", required=True),
            ParamSpec("mode", "Orchestration mode (fixed once created).", flags=("--mode",), kind="choice",
                      choices=("uniform", "flexible"), required=True, completion="choices"),
            ParamSpec("capacity", "Number of instances.", flags=("--capacity",), kind="int", minimum=0,
                      metavar="N"),
            ParamSpec("fault_domains", "Platform fault domain count (Azure's default for the mode if omitted).",
                      flags=("--fault-domains",), kind="int", minimum=1, metavar="N"),
            ParamSpec("zones", "Availability zones, e.g. --zones 1 2 3.", flags=("--zones",), multiple=True,
                      completion="zones", metavar="ZONE"),
            VM_SIZE, IMAGE, SCALE_IN, UPGRADE,
            ParamSpec("single_placement_group", "Limit the set to one placement group (100 VMs).",
                      flags=("--single-placement-group",), kind="bool", completion="choices",
                      choices=("true", "false"), metavar="true|false"),
            ParamSpec("location", "Region (default: the backend's).", flags=("--location", "-l"),
                      completion="locations", metavar="LOCATION"),
            ParamSpec("spot", "Spot priority for the set's VMs.", flags=("--spot",), kind="flag"),
            ParamSpec("no_vm_profile", "Flexible only: an empty set with no VM profile; add VMs by hand.",
                      flags=("--no-vm-profile",), kind="flag"),
            TAGS,
            *CREATE_PARAMS, CAPACITY_RESERVATION_GROUP,
        ),
        help="Without -g the group is the session's default, or the only group there is.",
        examples=("create web2 --mode uniform --capacity 3 --zones 1 2 3 -g practice-rg",
                  "create pool --mode flexible --fault-domains 3 --capacity 2"),
    ),
    CommandSpec(
        "update", "Change the scale-set model (size, image, policies, zones) or its tags.", _update, mutating=True,
        waits=True, needs_set=True,
        params=(SET, VM_SIZE, IMAGE, SCALE_IN, UPGRADE,
                ParamSpec("add_zones", "Zones to add (zones can never be removed).", flags=("--add-zones",),
                          multiple=True, completion="zones", metavar="ZONE"),
                ParamSpec("single_placement_group", "true -> false only.", flags=("--single-placement-group",),
                          kind="bool", completion="choices", choices=("true", "false"), metavar="true|false"),
                ParamSpec("mode", "Orchestration mode: fixed at creation, so a change is refused as Azure does.",
                          flags=("--mode",), kind="choice", choices=("uniform", "flexible"), completion="choices"),
                ParamSpec("fault_domains", "Platform fault domain count: fixed at creation (refused as Azure does).",
                          flags=("--fault-domains",), kind="int", minimum=1, metavar="N"),
                TAGS, SET_TAG, REMOVE_TAG, CAPACITY_RESERVATION_GROUP),
        help="A size or image change leaves existing instances on the old model until 'upgrade' "
             "(Manual) or the upgrade policy rolls them. The orchestration mode and fault domain count "
             "cannot change: asking gets Azure's PropertyChangeNotAllowed.",
        examples=("update web --vm-size Standard_D4s_v3", "update web --scale-in-policy OldestVM",
                  "update web --set tags.env=test", "update web --remove tags.env"),
    ),
    CommandSpec(
        "delete", "Delete a scale set (asks unless --yes).", _delete, mutating=True, destructive=True,
        waits=True, needs_set=True, params=(SET, FORCE), confirm_text=_confirm_delete,
        help="A Flexible set must have no VMs left.", examples=("delete batch --yes",),
    ),
    CommandSpec(
        "scale", "Set the capacity; --dry-run shows which instances would come and go.", _scale,
        mutating=True, destructive=True, waits=True, needs_set=True,
        params=(SET, ParamSpec("capacity", "Desired number of instances.", required=True, kind="int", minimum=0,
                               metavar="<capacity>"),
                ParamSpec("dry_run", "Show exactly which instances would be created or removed, and why; "
                                     "change nothing.", flags=("--dry-run",), kind="flag")),
        confirm_text=_confirm_scale,
        help="Scaling in asks for confirmation (listing the instances the policy removes) unless --yes.",
        examples=("scale web 8", "scale web 4 --dry-run", "scale web 2 --yes --no-wait"),
    ),
    CommandSpec(
        "add-vm", "Add a VM by hand to a Flexible set.", _add_vm, mutating=True, waits=True, needs_set=True,
        params=(SET,
                ParamSpec("name", "VM name (default: <set>_<8 hex>).", flags=("--name", "-n"), metavar="NAME"),
                ParamSpec("zone", "Zone (one the set covers).", flags=("--zone",), completion="zones",
                          metavar="ZONE"),
                ParamSpec("fault_domain", "Fault domain (only with an FD count above 1).", flags=("--fault-domain",),
                          kind="int", minimum=0, metavar="FD"),
                VM_SIZE, IMAGE,
                ParamSpec("spot", "Spot priority.", flags=("--spot",), kind="flag"), *ADD_VM_PARAMS,
                CAPACITY_RESERVATION_GROUP, TAGS),
        examples=("add-vm demo-set --name newvm2", "add-vm demo-set --zone 1 --vm-size Standard_B2s",
                  "add-vm demo-set --tags role=worker"),
    ),
    CommandSpec(
        "instances", "List the instances of a set.", _instances, aliases=("list-instances",), needs_set=True,
        params=(SET,), examples=("instances web",
                                 "instances web --query \"[?instanceView.statuses[?code=='PowerState/running']].instanceId\""),
    ),
    CommandSpec(
        "delete-instances", "Delete chosen instances (asks unless --yes).", _delete_instances, mutating=True,
        destructive=True, waits=True, needs_set=True, params=(SET, IDS_REQUIRED, FORCE),
        confirm_text=_confirm_delete_instances, examples=("delete-instances web 3 4 --yes",),
    ),
    *(
        CommandSpec(
            str(action), f"{str(action).capitalize()} instances (no ids: the whole set).", _power(action),
            mutating=True, waits=True, needs_set=True, params=(SET, IDS_OPTIONAL),
            help="Set-wide actions skip instances protected from scale-set actions.",
            examples=(f"{action} web", f"{action} web 0 1"),
        )
        for action in (PowerAction.START, PowerAction.POWER_OFF, PowerAction.DEALLOCATE, PowerAction.RESTART,
                       PowerAction.REIMAGE)
    ),
    CommandSpec(
        "protect", "Protect instances from scale-in (and from scale-set actions).", _protect, mutating=True,
        needs_set=True,
        params=(SET, IDS_REQUIRED,
                ParamSpec("scale_in", "Protect from scale-in (the default).", flags=("--scale-in",), kind="flag"),
                ParamSpec("scale_set_actions", "Also protect from set-wide actions (implies --scale-in).",
                          flags=("--scale-set-actions",), kind="flag")),
        examples=("protect web 0", "protect web 0 1 --scale-set-actions"),
    ),
    CommandSpec(
        "unprotect", "Remove instance protection.", _unprotect, mutating=True, needs_set=True,
        params=(SET, IDS_REQUIRED,
                ParamSpec("scale_in", "Remove scale-in protection (and so scale-set-action protection).",
                          flags=("--scale-in",), kind="flag"),
                ParamSpec("scale_set_actions", "Remove only scale-set-action protection.",
                          flags=("--scale-set-actions",), kind="flag")),
        help="Without flags both protections are removed.", examples=("unprotect web 0",),
    ),
    CommandSpec(
        "upgrade", "Bring instances to the latest scale-set model.", _upgrade, mutating=True, waits=True,
        needs_set=True, params=(SET, IDS_OPTIONAL), examples=("upgrade web", "upgrade web 0 1"),
    ),
    CommandSpec(
        "fd-map", "Zones x fault domains with the instances in each.", _fd_map, needs_set=True, params=(SET,),
        aliases=("placement",), examples=("fd-map web", "fd-map web -o json"),
    ),
    CommandSpec(
        "operation", "Show a long-running operation (what --no-wait printed).", _operation,
        params=(ParamSpec("operation_id", "Operation id.", required=True, metavar="<operation-id>"),),
        examples=("operation 3f1c...",),
    ),
    CommandSpec(
        "use", "Make later commands act on this set (use - to stop).", _use, repl_only=True,
        params=(ParamSpec("set", "Scale-set name, or - to clear.", completion="sets"),),
        examples=("use web", "use -"),
    ),
    CommandSpec(
        "help", "List commands, or explain one.", _help,
        params=(ParamSpec("topic", "A command name.", completion="commands", metavar="<command>", multiple=True),),
        examples=("help", "help scale", "help group create"),
    ),
    CommandSpec("exit", "Leave the shell (Ctrl-D works too).", _exit, aliases=("quit",), repl_only=True),
)
"""The commands declared here (the scale set's own), in the order help lists them."""


# ---------------------------------------------------------------- the other nouns, loaded on first use


def _resource_group_commands() -> tuple[CommandSpec, ...]:
    from .resource_groups import RESOURCE_COMMANDS

    return RESOURCE_COMMANDS


def _deployment_commands() -> tuple[CommandSpec, ...]:
    from .deployments import DEPLOYMENT_COMMANDS

    return DEPLOYMENT_COMMANDS


def _network_commands() -> tuple[CommandSpec, ...]:
    from .network import NETWORK_COMMANDS

    return NETWORK_COMMANDS


def _autoscale_commands() -> tuple[CommandSpec, ...]:
    from .autoscale import AUTOSCALE_COMMANDS

    return AUTOSCALE_COMMANDS


def _clock_commands() -> tuple[CommandSpec, ...]:
    from .clock import CLOCK_COMMANDS

    return CLOCK_COMMANDS


def _capacity_reservation_commands() -> tuple[CommandSpec, ...]:
    from .reservations import CAPACITY_RESERVATION_COMMANDS

    return CAPACITY_RESERVATION_COMMANDS


def _ssh_commands() -> tuple[CommandSpec, ...]:
    from .ssh import SSH_COMMANDS

    return SSH_COMMANDS


NOUN_MODULES: tuple[tuple[tuple[str, ...], Callable[[], tuple[CommandSpec, ...]]], ...] = (
    (("group", "usage"), _resource_group_commands),
    (("deploy", "deployment", "export-template"), _deployment_commands),
    (("connection-info", "network"), _network_commands),
    (("autoscale", "metrics", "load"), _autoscale_commands),
    (("clock",), _clock_commands),
    (("capacity-reservation",), _capacity_reservation_commands),
    (("ssh",), _ssh_commands),
)
"""Each module's commands (after the scale set's, in this order) and the first words of every name and
alias they declare: a lookup of one of those words imports that module, and only that one.
`tests/commands/test_lazy_registry.py` holds every module to its words."""


def _index_of(commands: tuple[CommandSpec, ...]) -> dict[str, CommandSpec]:
    return {key: spec for spec in commands for key in (spec.name, *spec.aliases)}


class CommandIndex(Mapping[str, CommandSpec]):
    """Every name and alias, lower-case, to its command: the scale set's at once, another noun's
    when a key of that noun is first asked for (`get`, `in`, `[]`, `keys_starting`); iterating
    (or `len`) loads every noun, in registry order."""

    def __init__(self, own: tuple[CommandSpec, ...],
                 nouns: tuple[tuple[tuple[str, ...], Callable[[], tuple[CommandSpec, ...]]], ...]) -> None:
        self._own = own
        self._nouns = nouns
        self._loader_of = {word: loader for words, loader in nouns for word in words}
        self._loaded: dict[Callable[[], tuple[CommandSpec, ...]], tuple[CommandSpec, ...]] = {}
        self._entries = _index_of(own)
        self._complete = False

    def _load_word(self, key: str) -> None:
        loader = self._loader_of.get(key.split(" ", 1)[0])
        if loader is not None and loader not in self._loaded:
            commands = self._loaded[loader] = loader()
            self._entries.update(_index_of(commands))

    def all_commands(self) -> tuple[CommandSpec, ...]:
        """Every command, the scale set's first, then each noun's in `NOUN_MODULES` order."""
        for _words, loader in self._nouns:
            if loader not in self._loaded:
                self._loaded[loader] = loader()
        commands = self._own + tuple(spec for _words, loader in self._nouns for spec in self._loaded[loader])
        if not self._complete:
            self._entries = _index_of(commands)  # registry order, whatever was loaded first
            self._complete = True
        return commands

    def keys_starting(self, phrase: str) -> list[str]:
        """The keys that begin with the words of `phrase` and go on (`autoscale rule` -> `autoscale rule create`,
        ...), loading only the noun `phrase` begins with."""
        phrase = phrase.lower()
        self._load_word(phrase)
        return [key for key in self._entries if key.startswith(phrase + " ")]

    def __getitem__(self, key: str) -> CommandSpec:
        if key not in self._entries:
            self._load_word(key)
        return self._entries[key]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key not in self._entries:
            self._load_word(key)
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        self.all_commands()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self.all_commands()
        return len(self._entries)


COMMAND_INDEX = CommandIndex(SCALE_SET_COMMANDS, NOUN_MODULES)
"""Every name and alias, lower-case, to its command."""


def all_commands() -> tuple[CommandSpec, ...]:
    """Every command in registry order (imports every noun's module)."""
    return COMMAND_INDEX.all_commands()


def __getattr__(name: str) -> Any:
    """`COMMANDS`, every command in registry order, is made when first asked for (it loads every noun)."""
    if name == "COMMANDS":
        return all_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_command(name: str) -> CommandSpec | None:
    """The command called or aliased `name`, or None."""
    return COMMAND_INDEX.get(name.lower())
