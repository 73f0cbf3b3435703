"""Credentials for pointing the adapter (or any SDK client) at the emulator's ARM endpoint."""

from __future__ import annotations

import time
from typing import Any, NamedTuple


class _AccessToken(NamedTuple):
    """Same fields as `azure.core.credentials.AccessToken`, without importing azure."""

    token: str
    expires_on: int


class StaticTokenCredential:
    """A TokenCredential that hands out a fixed token: the emulator checks presence, not validity."""

    def __init__(self, token: str = "emulator", lifetime: float = 3600.0) -> None:
        self.token = token
        self.lifetime = lifetime
        self.requests = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> _AccessToken:
        self.requests += 1
        return _AccessToken(self.token, int(time.time() + self.lifetime))
