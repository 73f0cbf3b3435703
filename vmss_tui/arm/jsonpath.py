"""Reading nested ARM JSON without a chain of `.get()` calls."""

from __future__ import annotations

from typing import Any, Mapping


def get_path(mapping: Mapping[str, Any] | None, *path: str, default: Any = None) -> Any:
    """Walk nested dicts; any missing or null step gives `default`."""
    current: Any = mapping
    for step in path:
        if not isinstance(current, Mapping):
            return default
        current = current.get(step)
        if current is None:
            return default
    return current


