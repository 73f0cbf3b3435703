"""Looking after the emulator itself: vCPU quotas and starting the practice estate over."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from .backend import EmulatorBackend, open_emulator


def quota_rows(backend: EmulatorBackend, location: str) -> list[dict[str, Any]]:
    """One row per VM family in use or with a set limit, plus the regional total (like `az vm list-usage`)."""
    rows = []
    for family, (used, limit) in backend.quota_usage(location).items():
        rows.append({"location": location, "name": family, "currentValue": used, "limit": limit})
    return rows


def reset_store(root: Path, *, seed: bool) -> Path | None:
    """Move a store aside (never delete it) and start a fresh one; returns where the old one went."""
    backup: Path | None = None
    if root.exists():
        backup = root.with_name(f"{root.name}.bak-{time.strftime('%Y%m%dT%H%M%S')}")
        shutil.move(str(root), str(backup))
    open_emulator(db=root, speed="instant", seed=seed)
    return backup
