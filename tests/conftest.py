"""Suite-wide isolation: no test reads or writes the real user's config, data or audit trail."""

from __future__ import annotations

import pytest


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
