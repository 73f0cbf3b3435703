"""Fixtures for the wire-level tests: an emulator served over HTTPS and adapters pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

RG = "wire-rg"


@pytest.fixture(scope="session")
def arm_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One local CA and certificate for the session."""
    return tmp_path_factory.mktemp("armserver-state")


@dataclass
class Served:
    """An emulator, the ARM endpoint serving it, and a way to open adapters against it."""

    emulator: Any
    server: Any
    open_adapter: Callable[..., Any]

    @property
    def settings(self) -> Any:
        return self.server.settings


@pytest.fixture
def served(tmp_path: Path, arm_state_dir: Path) -> Iterator[Served]:
    """A fresh empty emulator (instant speed) behind a fresh HTTPS endpoint."""
    from vmss_tui.armserver import serve_in_thread
    from vmss_tui.backends.azure.testing import StaticTokenCredential

    emulator = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    emulator.create_or_update_resource_group(RG, "westeurope")  # sets need their group, as in Azure
    server = serve_in_thread(emulator, state_dir=arm_state_dir)
    adapters: list[Any] = []

    def open_adapter(**overrides: Any) -> Any:
        options: dict[str, Any] = {
            "subscription": server.subscription_id, "credential": StaticTokenCredential(),
            "base_url": server.base_url, "connection_verify": str(server.ca_path),
            "polling_interval": 0, "retry_total": 0,
        }
        options.update(overrides)
        adapter = open_backend("azure", **options)
        adapters.append(adapter)
        return adapter

    try:
        yield Served(emulator=emulator, server=server, open_adapter=open_adapter)
    finally:
        for adapter in adapters:
            adapter.close()
        server.stop()
        emulator.close()


def make_uniform(backend: Any, name: str, capacity: int = 2, **overrides: Any) -> None:
    """Create a Uniform set and wait for it."""
    spec = ScaleSetSpec(name=name, resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM,
                        capacity=capacity, vm_size="Standard_D2s_v3", image="Ubuntu2204", **overrides)
    backend.wait(backend.create_scale_set(spec))


def make_flexible(backend: Any, name: str, capacity: int = 2, **overrides: Any) -> None:
    """Create a Flexible set (with a VM profile) and wait for it."""
    spec = ScaleSetSpec(name=name, resource_group=RG, orchestration_mode=OrchestrationMode.FLEXIBLE,
                        capacity=capacity, vm_size="Standard_D2s_v3", image="Ubuntu2204", **overrides)
    backend.wait(backend.create_scale_set(spec))
