"""Parsed stylesheets kept between starts.

Textual parses every stylesheet it meets (the app's `app.tcss`, each widget's DEFAULT_CSS) on
every start, with a tokenizer in pure Python: about a twentieth of the TUI's start before its first
rows. What a parse gives depends only on the CSS text, where it was read from and the theme's
variables, so the parsed rules are kept in `<cache dir>/vmss-tui/stylesheets.pickle`, under a
digest of Textual's version, Python's and the variables, and put in the stylesheet's own parse
cache before its first parse: a start with the same CSS and theme reads one file instead. A CSS
text that changed is simply a new key, parsed as before; the cache is only ever a copy.

The file is a pickle, so it is read only when this user owns it and nobody else may write it
or its folder (what a pickle runs when loaded is whatever its writer put there).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from ..compile_cache import private_to_this_user

FORMAT = 1
"""Bumped when what the file holds changes shape."""


def cache_path() -> Path:
    """Where parsed stylesheets are kept between starts."""
    from platformdirs import user_cache_path

    return user_cache_path("vmss-tui", appauthor=False) / "stylesheets.pickle"


def _textual_files() -> list[tuple[str, int, int]]:
    """The installed Textual's parser and rule classes, by path, modification time and size: any other
    Textual (an upgrade rewrites them) is another key. Cheaper than `textual.__version__`, which reads
    the package metadata (longer than the whole cache saves)."""
    from textual.css import model, parse, styles

    found = []
    for module in (parse, model, styles):
        path = str(module.__file__)
        try:
            status = os.stat(path)
        except OSError:
            return []
        found.append((path, status.st_mtime_ns, status.st_size))
    return found


def variables_digest(variables: dict[str, str]) -> str:
    """What the parsed rules depend on besides their CSS text: Textual, Python and the theme's variables."""
    described = repr((FORMAT, _textual_files(), sys.version_info[:2], sorted(variables.items())))
    return hashlib.sha256(described.encode("utf-8")).hexdigest()


class ParsedStylesheets:
    """The parse cache of one app's stylesheet, filled from and saved to `path`.

    Uses Textual's `Stylesheet._parse_cache` (keyed by CSS text, origin, defaults flag, tie breaker and
    scope): a Textual without it makes this do nothing, never fail.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else cache_path()
        self._digest: str | None = None
        self._loaded: set[Any] = set()

    def fill(self, stylesheet: Any) -> int:
        """Put the kept rules for the stylesheet's current variables into its parse cache; how many sources."""
        cache = getattr(stylesheet, "_parse_cache", None)
        variables = getattr(stylesheet, "_variables", None)
        if cache is None or not isinstance(variables, dict):
            return 0
        self._digest = variables_digest(variables)
        if not private_to_this_user(self.path):
            return 0
        try:
            with open(self.path, "rb") as file:
                kept = pickle.load(file)
        except Exception:  # noqa: BLE001 (unreadable, truncated, or from another version: parse as usual)
            return 0
        if not (isinstance(kept, dict) and kept.get("digest") == self._digest and isinstance(kept.get("rules"), dict)):
            return 0
        for key, rules in kept["rules"].items():
            if isinstance(key, tuple) and isinstance(rules, list):
                cache.set(key, rules)
                self._loaded.add(key)
        return len(self._loaded)

    def save(self, stylesheet: Any) -> bool:
        """Keep what the stylesheet parsed (`new_rules`, then `write`); True when the file was written."""
        rules = self.new_rules(stylesheet)
        return rules is not None and self.write(rules)

    def new_rules(self, stylesheet: Any) -> dict[Any, Any] | None:
        """Everything in the stylesheet's parse cache when it holds something new under the variables it
        started with (a theme changed since has its own variables: not kept), else None.

        On the event loop: Textual's cache is not made for other threads."""
        cache = getattr(stylesheet, "_parse_cache", None)
        variables = getattr(stylesheet, "_variables", None)
        if cache is None or not isinstance(variables, dict) or self._digest != variables_digest(variables):
            return None
        rules = {key: cache.get(key) for key in list(cache.keys())}
        return rules if not set(rules) <= self._loaded else None

    def write(self, rules: dict[Any, Any]) -> bool:
        """Write `rules` (from `new_rules`) to the file, from any thread; an unwritable cache is no error."""
        try:
            data = pickle.dumps({"digest": self._digest, "rules": rules}, protocol=pickle.HIGHEST_PROTOCOL)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, self.path)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return False
        self._loaded = set(rules)
        return True
