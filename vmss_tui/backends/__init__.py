"""Backends behind one protocol; `open_backend` imports only the one asked for.

The Azure adapter costs ~0.6 s of imports, so it is imported here lazily and never on
the emulator path.
"""

from __future__ import annotations

from typing import Any

from .emulator import default_store_path
from .protocol import Backend

BACKEND_NAMES = ("emulator", "azure")


def open_backend(kind: str = "emulator", **options: Any) -> Backend:
    """Open a backend by name.

    Args:
        kind: `emulator` or `azure`.
        **options: Passed to the backend's factory; for the emulator `db` (path or None for the
            seeded default store), `speed` (`instant|fast|real`), `clock`; for Azure `subscription`,
            `auth`, `base_url`, `connection_verify`, ...

    Raises:
        ValueError: Unknown backend name.
    """
    if kind == "emulator":
        from .emulator.backend import open_emulator

        return open_emulator(**options)
    if kind == "azure":
        from .azure import open_azure  # lazy: keeps `azure` off the emulator path

        return open_azure(**options)
    raise ValueError(f"unknown backend '{kind}' (choose from: {', '.join(BACKEND_NAMES)})")


__all__ = ["BACKEND_NAMES", "Backend", "default_store_path", "open_backend"]
