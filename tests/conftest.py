"""Suite-wide fixtures: isolation from the real user's files, and the practice estate.

No test reads or writes the real user's config, data or audit trail. `estate_db`, `backend` and
`session` give the command, CLI and REPL tests the practice estate in a throwaway store; a
directory with its own `backend` fixture (the contract suite) overrides it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.commands import Session


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point platformdirs (XDG) at a fresh directory; tests that need their own still override it."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for variable in ("VMSS_TUI_DB", "VMSS_TUI_SPEED", "SSH_ORIGINAL_COMMAND", "SSH_CONNECTION", "SSH_CLIENT"):
        monkeypatch.delenv(variable, raising=False)


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
