"""Who is at the keyboard: the SSH user and address when there is one, else the local user."""

from __future__ import annotations

import getpass
import grp
import os
import pwd
from dataclasses import dataclass, field
from typing import Mapping

OPERATOR = "operator"
VIEWER = "viewer"
ROLES = (OPERATOR, VIEWER)


@dataclass(frozen=True)
class Operator:
    """The person a command is attributed to in the audit trail."""

    user: str
    groups: tuple[str, ...] = field(default_factory=tuple)
    source_address: str | None = None
    """The SSH client's address (from SSH_CONNECTION), or None for a local session."""
    over_ssh: bool = False


def current_operator(environ: Mapping[str, str] | None = None, *, with_groups: bool = True) -> Operator:
    """The operator of this process.

    Under sshd the process runs as the logged-in user, so the effective uid names the SSH user;
    SSH_CONNECTION ("client_ip client_port server_ip server_port") gives the source address.
    `with_groups=False` skips the group lookup (a scan of the group database, slow under LDAP)
    when no role depends on groups.
    """
    env = os.environ if environ is None else environ
    try:
        user = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        user = env.get("USER") or env.get("LOGNAME") or getpass.getuser()
    connection = env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or ""
    source = connection.split()[0] if connection.strip() else None
    groups = _groups_of(user) if with_groups else ()
    return Operator(user=user, groups=groups, source_address=source, over_ssh=source is not None)


def _groups_of(user: str) -> tuple[str, ...]:
    """Primary and supplementary group names of a user (empty if the user is unknown here)."""
    names: set[str] = set()
    try:
        primary_gid = pwd.getpwnam(user).pw_gid
        names.add(grp.getgrgid(primary_gid).gr_name)
    except KeyError:
        pass
    for group in grp.getgrall():
        if user in group.gr_mem:
            names.add(group.gr_name)
    return tuple(sorted(names))


def resolve_role(operator: Operator, roles: Mapping[str, object] | None) -> str:
    """The operator's role from the config's `[roles]` table.

    `[roles]` has `users = {name = "operator"|"viewer"}`, `groups = {name = ...}` and `default`.
    A user entry wins over group entries; among groups the least privileged wins (a viewer group
    makes a member a viewer); with no match the `default` applies (operator when there is no
    `[roles]` table at all, so a personal install is not locked out; viewer is advised on a bastion).
    """
    if not roles:
        return OPERATOR
    users = roles.get("users") if isinstance(roles.get("users"), Mapping) else {}
    groups = roles.get("groups") if isinstance(roles.get("groups"), Mapping) else {}
    assert isinstance(users, Mapping) and isinstance(groups, Mapping)
    if operator.user in users:
        return str(users[operator.user])
    matched = [str(groups[g]) for g in operator.groups if g in groups]
    if matched:
        return VIEWER if VIEWER in matched else OPERATOR
    default = roles.get("default", OPERATOR)
    return str(default)
