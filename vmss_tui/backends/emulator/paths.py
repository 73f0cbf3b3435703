"""Where the default (seeded) emulator store lives."""

from __future__ import annotations

from pathlib import Path


def default_store_path() -> Path:
    """The user data dir's `emulator` folder.

    In its own module, so the emulator's modules reach it without importing the package facade
    (that loop is what tests/test_import_hygiene.py forbids).
    """
    from platformdirs import user_data_path

    return user_data_path("vmss-tui", appauthor=False) / "emulator"
