"""Themes are data: YAML files of Textual `Theme` fields, found where the app is installed.

Built-in themes ship in the wheel as `vmss_tui/_themes` (hatch force-include of the
top-level `themes/`); a checkout reads `themes/` directly. Users may drop more YAML
files into `<config dir>/vmss-tui/themes/`; a user file wins over a built-in one of the
same name.
"""

from __future__ import annotations

from dataclasses import fields
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Iterable

import yaml
from textual.theme import Theme

DEFAULT_THEME = "dark"
"""The theme used when neither `--theme` nor the config file names one."""

_THEME_FIELDS = frozenset(f.name for f in fields(Theme))


class ThemeError(ValueError):
    """A theme file that cannot be turned into a Textual theme; the message names the file."""


def builtin_theme_dirs() -> list[Traversable]:
    """Folders holding the built-in theme files: package data first, then the checkout's `themes/`."""
    found: list[Traversable] = []
    try:
        packaged = resources.files("vmss_tui").joinpath("_themes")
        if packaged.is_dir():
            found.append(packaged)
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    checkout = Path(__file__).resolve().parents[2] / "themes"
    if checkout.is_dir():
        found.append(checkout)
    return found


def user_theme_dir() -> Path:
    """Where a user's own theme files live."""
    from platformdirs import user_config_path

    return user_config_path("vmss-tui", appauthor=False) / "themes"


def theme_from_mapping(data: Any, *, source: str) -> Theme:
    """Build a Textual theme from parsed YAML, refusing anything that is not a Theme field."""
    if not isinstance(data, dict):
        raise ThemeError(f"{source}: a theme file must hold a mapping of Textual Theme fields")
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ThemeError(f"{source}: unknown theme field(s) {', '.join(unknown)}")
    if "name" not in data or "primary" not in data:
        raise ThemeError(f"{source}: a theme needs at least 'name' and 'primary'")
    try:
        return Theme(**data)
    except (TypeError, ValueError) as error:
        raise ThemeError(f"{source}: {error}") from error


def _theme_files(folder: Traversable) -> Iterable[Traversable]:
    return sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith((".yaml", ".yml"))),
        key=lambda entry: entry.name,
    )


def load_themes(extra_dirs: Iterable[Path] = (), *, include_user_dir: bool = True) -> dict[str, Theme]:
    """All themes by name: built-ins, then the user folder, then `extra_dirs` (later ones win).

    A broken user theme is skipped rather than stopping the app; a broken built-in raises,
    because that is a packaging bug.
    """
    themes: dict[str, Theme] = {}
    for folder in reversed(builtin_theme_dirs()):
        for entry in _theme_files(folder):
            theme = theme_from_mapping(yaml.safe_load(entry.read_text(encoding="utf-8")), source=entry.name)
            themes[theme.name] = theme
    user_dirs: list[Path] = [user_theme_dir()] if include_user_dir else []
    for folder_path in [*user_dirs, *extra_dirs]:
        if not folder_path.is_dir():
            continue
        for entry in _theme_files(folder_path):
            try:
                theme = theme_from_mapping(yaml.safe_load(entry.read_text(encoding="utf-8")), source=str(entry))
            except (ThemeError, yaml.YAMLError, OSError):
                continue
            themes[theme.name] = theme
    return themes
