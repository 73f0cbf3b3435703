"""The functions `dataclasses` and `namedtuple` write, compiled once instead of on every start.

Every `@dataclass` has its `__init__`, `__repr__`, `__eq__` (and, frozen, `__setattr__`,
`__delattr__`, `__hash__`) written as source text and compiled when its module is imported; so has
every named tuple's `__new__`. The TUI meets about 400 of them (its own domain values and messages,
and Textual's) before its first rows: compiling them is a sixth of its start, and the same text
compiles to the same code every time. `install()` keeps the compiled code in
`<cache dir>/vmss-tui/compiled.marshal` (keyed by the source text, for this interpreter's byte-code
version and optimisation level) and hands `dataclasses` and `collections` an `exec`/`eval` that
takes the code from there; text it has not seen is compiled as before (`dont_inherit`: exactly
what their own `exec`/`eval` of the text would compile) and kept by `save()`.

The file holds code, so it is read only when this user owns it and nobody else may write it or
its folder, as Python itself trusts the `.pyc` files beside the sources.
"""

from __future__ import annotations

import builtins
import marshal
import os
import stat
import sys
from pathlib import Path
from typing import Any

MAX_ENTRIES = 4000
"""More kept functions than this (old versions' classes pile up across upgrades): keep only this run's."""


def cache_path() -> Path:
    """Where compiled functions are kept between starts."""
    from platformdirs import user_cache_path

    return user_cache_path("vmss-tui", appauthor=False) / "compiled.marshal"


def _version_key() -> bytes:
    """What compiled code depends on besides its text: the byte-code format and the optimisation level."""
    from importlib.util import MAGIC_NUMBER

    return MAGIC_NUMBER + bytes([sys.flags.optimize])


def private_to_this_user(path: Path) -> bool:
    """The file and its folder belong to this user and only this user may write them."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    for checked in (path, path.parent):
        try:
            found = os.stat(checked, follow_symlinks=False)
        except OSError:
            return False
        if uid is not None and found.st_uid != uid:
            return False
        if found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
        if checked == path and not stat.S_ISREG(found.st_mode):
            return False
    return True


class CompiledFunctions:
    """Source text -> compiled code, read from `path` and written back with what was new."""

    def __init__(self, path: Path | None = None) -> None:
        """`path` None: the user's cache dir (`cache_path`), looked up again when saving."""
        self._path = path
        self.kept: dict[str, bytes] = {}
        """Marshalled code by source text, as read (unmarshalled on first use)."""
        self.used: dict[str, bytes] = {}
        """What this process compiled or took from `kept`."""
        self.new = 0
        path = self.path
        try:
            if private_to_this_user(path):
                with open(path, "rb") as file:
                    data = file.read()
                found = marshal.loads(data)
                if isinstance(found, dict) and found.get("version") == _version_key() \
                        and isinstance(found.get("code"), dict):
                    self.kept = found["code"]
        except (OSError, ValueError, EOFError, TypeError):
            self.kept = {}

    @property
    def path(self) -> Path:
        return self._path if self._path is not None else cache_path()

    def compiled(self, source: str, mode: str) -> Any:
        """The code `compile(source, "<string>", mode)` gives, from the cache when it has it."""
        key = f"{mode}:{source}"
        kept = self.kept.get(key)
        if kept is not None:
            try:
                code = marshal.loads(kept)
                self.used[key] = kept
                return code
            except (ValueError, EOFError, TypeError):
                pass
        code = compile(source, "<string>", mode, dont_inherit=True)
        self.used[key] = marshal.dumps(code)
        self.new += 1
        return code

    def save(self) -> bool:
        """Write the file when this process compiled something new; an unwritable cache is no error."""
        if not self.new:
            return False
        merged = {**self.kept, **self.used}
        if len(merged) > MAX_ENTRIES:
            merged = dict(self.used)
        path = self.path
        try:
            data = marshal.dumps({"version": _version_key(), "code": merged})
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except (OSError, ValueError):
            return False
        self.kept, self.new = merged, 0
        return True


_installed: CompiledFunctions | None = None


def install(path: Path | None = None) -> CompiledFunctions:
    """Give `dataclasses` and `collections` the caching `exec`/`eval` (once per process)."""
    global _installed
    if _installed is not None:
        return _installed
    import collections
    import dataclasses

    functions = CompiledFunctions(path)

    def exec_compiled(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if isinstance(source, str):
            source = functions.compiled(source, "exec")
        builtins.exec(source, globals, locals)

    def eval_compiled(source: Any, globals: Any = None, locals: Any = None, /) -> Any:
        if isinstance(source, str):
            source = functions.compiled(source, "eval")
        return builtins.eval(source, globals, locals)

    # A module-level name found before the builtin: only these two modules' own calls go through it.
    dataclasses.exec = exec_compiled  # type: ignore[attr-defined]
    collections.eval = eval_compiled  # type: ignore[attr-defined]
    _installed = functions
    return functions


def save() -> bool:
    """Keep what this process compiled for the next start (see `CompiledFunctions.save`)."""
    return _installed.save() if _installed is not None else False
