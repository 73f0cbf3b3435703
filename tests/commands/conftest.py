"""Fixtures: the practice estate in a throwaway emulator store, and a command session on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.commands import Session


@pytest.fixture
def estate_db(tmp_path: Path) -> Path:
    """A store directory holding the practice estate: Uniform web (6), Flexible demo-set (2), empty batch."""
    db = tmp_path / "db"
    backend = open_backend("emulator", db=db, speed="instant", durable=False)
    backend.seed_practice_estate()
    backend.close()
    return db


@pytest.fixture
def backend(estate_db: Path):
    """The emulator on the practice estate, finishing every operation at once."""
    opened = open_backend("emulator", db=estate_db, speed="instant", durable=False)
    yield opened
    opened.close()


@pytest.fixture
def session(backend) -> Session:
    """A session printing JSON that may not ask for confirmation (like a script)."""
    return Session(backend, output="json")
