"""The offline emulator: Azure's resource providers on crash-safe TinyDB storage.

`open_emulator` and `EmulatorBackend` are loaded on first use, so importing this package (for
`default_store_path`) does not load the store and its dependencies.
"""

from __future__ import annotations

from typing import Any

from .paths import default_store_path


def __getattr__(name: str) -> Any:
    if name in ("open_emulator", "EmulatorBackend"):
        from . import backend

        return getattr(backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EmulatorBackend", "default_store_path", "open_emulator"]
