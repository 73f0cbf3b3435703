"""The offline emulator: Azure's scale-set behaviour on crash-safe TinyDB storage."""

from __future__ import annotations

from pathlib import Path


def default_store_path() -> Path:
    """Where the default (seeded) emulator store lives: the user data dir.

    Here, not in `backends/__init__`, so the emulator's modules reach it without importing the
    package that opens them (that loop is what tests/test_import_hygiene.py forbids).
    """
    from platformdirs import user_data_path

    return user_data_path("vmss-tui", appauthor=False) / "emulator"


__all__ = ["default_store_path"]
