"""Emulator housekeeping: quota rows like `az vm list-usage`, and a reset that keeps the old store."""

from __future__ import annotations

from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.manage import quota_rows, reset_store
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec


def test_quota_rows_show_what_the_family_uses_against_its_limit(tmp_path):
    backend = open_backend("emulator", db=tmp_path, speed="instant")
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg", orchestration_mode=OrchestrationMode.UNIFORM,
                                          capacity=3, vm_size="Standard_D4s_v3", location="westeurope"))
    backend.set_quota("westeurope", "standardDSv3Family", 40)
    rows = {row["name"]: row for row in quota_rows(backend, "westeurope")}
    assert rows["standardDSv3Family"]["currentValue"] == 12 and rows["standardDSv3Family"]["limit"] == 40
    assert rows["Total Regional vCPUs"]["currentValue"] == 12


def test_reset_moves_the_old_store_aside_and_starts_the_seeded_estate_again(tmp_path):
    root = tmp_path / "store"
    backend = open_backend("emulator", db=root, speed="instant", seed=True)
    backend.set_capacity("practice-rg", "web", 2)
    backup = reset_store(root, seed=True)
    assert backup is not None and (backup / "subscription.json").exists()
    fresh = open_backend("emulator", db=root, speed="instant")
    assert fresh.get_scale_set("practice-rg", "web").capacity == 6
    assert open_backend("emulator", db=backup, speed="instant").get_scale_set("practice-rg", "web").capacity == 2
