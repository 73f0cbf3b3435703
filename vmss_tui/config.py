"""The user's config file: defaults for every front end, so daily use needs few flags.

Location: `platformdirs.user_config_path("vmss-tui") / "config.toml"`, or `--config PATH`.
A missing file means all defaults; a file that does not parse or has a wrong value is an
error naming the file and the key (the tool never guesses).

Schema (TOML; every key optional)::

    theme = "vmss-dark"          # TUI theme name
    backend = "emulator"         # "emulator" or "azure"
    resource_group = "practice-rg"   # default -g for set names and `create`
    speed = "fast"               # emulator speed: "instant", "fast" or "real"
    output = "table"             # default -o on a terminal (pipes still default to json)
    subscription = "00000000-0000-0000-0000-000000000000"   # default --subscription
    db = "/path/to/store"        # emulator store directory (default: the seeded practice store)
    mouse = true                 # TUI mouse support

    audit_log = "/var/log/vmss-tui/audit.jsonl"   # where mutating commands are recorded
                                 # (default: the user data dir's vmss-tui/audit.jsonl)

    [subscriptions."00000000-0000-0000-0000-000000000000"]
    name = "Contoso production"
    production = true            # the TUI header turns the error colour; every change, from any
                                 # front end, asks first (one-shot commands then need --yes)

    [roles]                      # who may change things (absent: everyone is an operator)
    default = "viewer"           # anyone not named below
    [roles.users]
    alice = "operator"
    [roles.groups]
    vmss-operators = "operator"  # a user in a "viewer" group is a viewer
    vmss-viewers = "viewer"

Precedence: command-line option > environment variable (VMSS_TUI_DB, VMSS_TUI_SPEED) >
config file > built-in default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .domain.errors import AzureError

BACKENDS = ("emulator", "azure")
SPEEDS = ("instant", "fast", "real")
OUTPUTS = ("table", "json", "jsonc", "tsv", "yaml", "none")
ROLES = ("operator", "viewer")


class ConfigError(AzureError):
    """The config file cannot be read or holds a value of the wrong kind."""

    code = "InvalidConfig"
    http_status = 400


@dataclass(frozen=True)
class SubscriptionConfig:
    """What the user told us about one subscription."""

    subscription_id: str
    name: str = ""
    production: bool = False


@dataclass(frozen=True)
class Config:
    """Settings read from the config file (defaults where the file says nothing)."""

    path: Path | None = None
    theme: str | None = None
    backend: str = "emulator"
    resource_group: str | None = None
    speed: str | None = None
    output: str | None = None
    subscription: str | None = None
    db: str | None = None
    mouse: bool = True
    subscriptions: dict[str, SubscriptionConfig] = field(default_factory=dict)
    audit_log: str | None = None
    roles: dict[str, Any] | None = None
    """`{"default": role, "users": {name: role}, "groups": {name: role}}`, or None when not configured."""

    def subscription_info(self, subscription_id: str | None) -> SubscriptionConfig | None:
        """The configured entry for a subscription id (case-insensitive), or None."""
        if not subscription_id:
            return None
        return self.subscriptions.get(subscription_id.lower())


def default_config_path() -> Path:
    """Where the config file lives unless `--config` says otherwise."""
    from platformdirs import user_config_path

    return user_config_path("vmss-tui", appauthor=False) / "config.toml"


def _string(data: dict[str, Any], key: str, where: Path, choices: tuple[str, ...] = ()) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a string, not {type(value).__name__}.", target=key)
    if choices and value not in choices:
        raise ConfigError(f"{where}: '{key}' is '{value}'; choose one of: {', '.join(choices)}.", target=key)
    return value


def _bool(data: dict[str, Any], key: str, where: Path, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be true or false.", target=key)
    return value


def _roles(table: Any, where: Path) -> dict[str, Any] | None:
    """Validate `[roles]`: every value is "operator" or "viewer"."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [roles] must be a table.", target="roles")
    unknown = sorted(set(table) - {"default", "users", "groups"})
    if unknown:
        raise ConfigError(f"{where}: [roles] has unknown key(s) {', '.join(unknown)}; known: default, users, groups.",
                          target=unknown[0])
    roles: dict[str, Any] = {"default": _string(table, "default", where, ROLES) or "operator"}
    for section in ("users", "groups"):
        entries = table.get(section, {})
        if not isinstance(entries, dict):
            raise ConfigError(f"{where}: [roles.{section}] must be a table.", target=section)
        for name, role in entries.items():
            if role not in ROLES:
                raise ConfigError(f"{where}: [roles.{section}] {name} = {role!r}; choose one of: {', '.join(ROLES)}.",
                                  target=name)
        roles[section] = dict(entries)
    return roles


def load_config(path: Path | str | None = None) -> Config:
    """Read the config file; a missing default file gives defaults, a missing explicit one is an error."""
    explicit = path is not None
    config_path = Path(path) if path is not None else default_config_path()
    if not config_path.exists():
        if explicit:
            raise ConfigError(f"config file {config_path} does not exist.", target=str(config_path))
        return Config()
    import tomllib

    from .domain.limits import MAX_CONFIG_BYTES

    try:
        with config_path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)  # bounded: --config /dev/zero must not read forever
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {config_path} is larger than the limit of {MAX_CONFIG_BYTES} bytes.",
                              target=str(config_path))
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {config_path}: {exc}", target=str(config_path)) from None
    except RecursionError:
        raise ConfigError(f"cannot read config file {config_path}: nested too deeply.", target=str(config_path)) from None
    known = {"theme", "backend", "resource_group", "speed", "output", "subscription", "db", "mouse",
             "subscriptions", "audit_log", "roles"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{config_path}: unknown key(s) {', '.join(unknown)}; known keys: "
                          f"{', '.join(sorted(known))}.", target=unknown[0])
    subscriptions: dict[str, SubscriptionConfig] = {}
    table = data.get("subscriptions", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{config_path}: [subscriptions] must be a table.", target="subscriptions")
    for sub_id, entry in table.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{config_path}: [subscriptions.\"{sub_id}\"] must be a table.", target=sub_id)
        where = config_path
        subscriptions[sub_id.lower()] = SubscriptionConfig(
            subscription_id=sub_id, name=_string(entry, "name", where) or "",
            production=_bool(entry, "production", where, False))
    roles = _roles(data.get("roles"), config_path)
    return Config(
        path=config_path,
        audit_log=_string(data, "audit_log", config_path),
        roles=roles,
        theme=_string(data, "theme", config_path),
        backend=_string(data, "backend", config_path, BACKENDS) or "emulator",
        resource_group=_string(data, "resource_group", config_path),
        speed=_string(data, "speed", config_path, SPEEDS),
        output=_string(data, "output", config_path, OUTPUTS),
        subscription=_string(data, "subscription", config_path),
        db=_string(data, "db", config_path),
        mouse=_bool(data, "mouse", config_path, True),
        subscriptions=subscriptions,
    )


def production_name(config: Config | None, backend: Any) -> str | None:
    """The subscription's name when the config (or the backend itself) marks it production, else None."""
    info = backend.info()
    entry = config.subscription_info(info.subscription_id) if config is not None else None
    if not (info.production or (entry is not None and entry.production)):
        return None
    return (entry.name if entry is not None and entry.name else "") or info.subscription_name or info.subscription_id
