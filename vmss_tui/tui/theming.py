"""Themes are data: YAML files of Textual `Theme` fields, found where the app is installed.

Built-in themes ship in the wheel as `vmss_tui/_themes` (hatch force-include of the
top-level `themes/`); a checkout reads `themes/` directly. Users may drop more YAML
files into `<config dir>/vmss-tui/themes/`; a user file wins over a built-in one of the
same name.

Parsed files are kept in `<cache dir>/vmss-tui/themes.json`, each under its path with its size
and modification time, so a start whose theme files have not changed reads one small JSON file
instead of importing the YAML parser (a tenth of the TUI's own start-up) and parsing every file.
A changed, new or unreadable file is parsed from YAML again; the cache is only ever a copy.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any, Iterable

from textual.theme import Theme

DEFAULT_THEME = "dark"
"""The theme used when neither `--theme` nor the config file names one."""

_THEME_FIELDS = frozenset(f.name for f in fields(Theme))


class ThemeError(ValueError):
    """A theme file that cannot be turned into a Textual theme; the message names the file."""


def builtin_theme_dirs() -> list[Path]:
    """Folders holding the built-in theme files: package data first, then the checkout's `themes/`.

    The package is read from its folder (as Textual reads the app's CSS): no zip imports.
    """
    here = Path(__file__).resolve()
    return [folder for folder in (here.parents[1] / "_themes", here.parents[2] / "themes") if folder.is_dir()]


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


def theme_cache_path() -> Path:
    """Where parsed theme files are kept between starts (see the module's docstring)."""
    from platformdirs import user_cache_path

    return user_cache_path("vmss-tui", appauthor=False) / "themes.json"


class _ParsedFiles:
    """Theme files parsed from YAML, reused from the cache file while a file's size and mtime hold."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        self.entries: dict[str, list[Any]] = {}
        """Path -> [mtime_ns, size, parsed content] of every theme file read this time."""
        try:
            cached = json.loads(path.read_bytes())
            self._cached: dict[str, Any] = cached if isinstance(cached, dict) else {}
        except (OSError, ValueError):
            self._cached = {}

    def read(self, file: Path) -> Any:
        """The parsed content of `file`: from the cache when unchanged, else from its YAML.

        Raises OSError when the file cannot be read and ThemeError when it is not YAML.
        """
        stat = file.stat()
        key = str(file)
        stamp = [stat.st_mtime_ns, stat.st_size]
        cached = self._cached.get(key)
        if isinstance(cached, list) and len(cached) == 3 and cached[:2] == stamp:
            self.entries[key] = cached
            return cached[2]
        import yaml  # only when a file changed: importing the parser costs more than the rest

        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise ThemeError(f"{file.name}: not a YAML file ({error})") from error
        try:
            json.dumps(data)
        except (TypeError, ValueError):  # a value JSON cannot hold (a date): parsed every time
            return data
        self.entries[key] = [*stamp, data]
        self.changed = True
        return data

    def save(self) -> None:
        """Write the cache when a file was parsed or one is gone; an unwritable cache dir is no error."""
        if not self.changed and set(self.entries) == set(self._cached):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_text(json.dumps(self.entries), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass


def _theme_files(folder: Path) -> Iterable[Path]:
    return sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith((".yaml", ".yml"))),
        key=lambda entry: entry.name,
    )


def load_themes(extra_dirs: Iterable[Path] = (), *, include_user_dir: bool = True) -> dict[str, Theme]:
    """All themes by name: built-ins, then the user folder, then `extra_dirs` (later ones win).

    A broken user theme is skipped rather than stopping the app; a broken built-in raises,
    because that is a packaging bug.
    """
    parsed = _ParsedFiles(theme_cache_path())
    themes: dict[str, Theme] = {}
    for folder in reversed(builtin_theme_dirs()):
        for entry in _theme_files(folder):
            theme = theme_from_mapping(parsed.read(entry), source=entry.name)
            themes[theme.name] = theme
    user_dirs: list[Path] = [user_theme_dir()] if include_user_dir else []
    for folder_path in [*user_dirs, *extra_dirs]:
        if not folder_path.is_dir():
            continue
        for entry in _theme_files(folder_path):
            try:
                theme = theme_from_mapping(parsed.read(entry), source=str(entry))
            except (ThemeError, OSError):
                continue
            themes[theme.name] = theme
    parsed.save()
    return themes
