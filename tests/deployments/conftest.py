"""An empty emulator on a fake clock with one resource group, and the quickstart-shaped templates."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.backends.emulator.backend import open_emulator
from vmss_tui.backends.emulator.clock import FakeClock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "templates"
NAT = "vmss-linux-nat.azuredeploy.json"
AUTOSCALE = "vmss-ubuntu-autoscale.azuredeploy.json"
SCALE_201 = "201-vmss-scale-in-or-out.azuredeploy.json"
GROUP = "dep-rg"
NAT_PARAMETERS: dict[str, Any] = {"vmssName": "myvmss", "instanceCount": 5, "adminUsername": "azureuser",
                                  "adminPasswordOrKey": "ssh-rsa AAAAB3NzaC1yc2E user@host",
                                  "vmSku": "Standard_B2s"}


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def emulator(tmp_path: Path, clock: FakeClock) -> Any:
    backend = open_emulator(tmp_path / "db", speed="fast", clock=clock, rng=random.Random(15), durable=False)
    backend.create_or_update_resource_group(GROUP, "westeurope")
    yield backend
    backend.close()


def settle(clock: FakeClock, seconds: float = 3600.0) -> None:
    """Let every recorded operation finish."""
    clock.advance(seconds)
