"""A `nextLink` walk while the set changes: every page shows the set as it is now, and an instance that
exists for the whole walk is served exactly once (the token records the last instance served, as the
Microsoft REST API guidelines, 9.8.3, advise; a plain offset skipped one after a delete)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from vmss_tui.armserver import ArmApp, ServerSettings
from vmss_tui.armserver.paging import encode_skiptoken
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, PowerAction, ScaleSetSpec

RG = "paging-rg"


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Any]:
    emulator = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    emulator.create_or_update_resource_group(RG, "westeurope")
    try:
        yield emulator
    finally:
        emulator.close()


def _create(backend: Any, name: str, mode: OrchestrationMode, capacity: int) -> None:
    backend.wait(backend.create_scale_set(ScaleSetSpec(name=name, resource_group=RG, orchestration_mode=mode,
                                                       capacity=capacity, single_placement_group=False)))


def _get(app: ArmApp, target: str) -> tuple[list[dict[str, Any]], str | None]:
    response = app.handle("GET", target, {"Authorization": "Bearer t"}, b"", "https://h")
    assert response.status == 200, response.body
    link = response.body.get("nextLink")
    return response.body["value"], (f"{urlsplit(link).path}?{urlsplit(link).query}" if link else None)


def _vms_url(app: ArmApp, name: str) -> str:
    return (f"/subscriptions/{app.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Compute/"
            f"virtualMachineScaleSets/{name}/virtualMachines?api-version=2024-07-01")


def _rest(app: ArmApp, target: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while target:
        page, target = _get(app, target)
        rows += page
    return rows


def test_a_delete_between_pages_skips_no_instance_that_still_exists(backend: Any) -> None:
    _create(backend, "web", OrchestrationMode.UNIFORM, 30)
    app = ArmApp(backend, ServerSettings(page_size=10))
    first, link = _get(app, _vms_url(app, "web"))
    assert [vm["instanceId"] for vm in first] == [str(i) for i in range(10)]
    backend.wait(backend.delete_instances(RG, "web", ["3", "4"]))
    rest = [vm["instanceId"] for vm in _rest(app, link)]
    assert rest == [str(i) for i in range(10, 30)]  # an offset token started at 12: 10 and 11 were never served


def test_a_delete_of_the_last_served_instance_resumes_right_after_it(backend: Any) -> None:
    _create(backend, "web", OrchestrationMode.UNIFORM, 30)
    app = ArmApp(backend, ServerSettings(page_size=10))
    _first, link = _get(app, _vms_url(app, "web"))
    backend.wait(backend.delete_instances(RG, "web", ["9", "0"]))
    assert [vm["instanceId"] for vm in _rest(app, link)] == [str(i) for i in range(10, 30)]


def test_the_next_page_shows_a_change_made_after_the_first(backend: Any) -> None:
    _create(backend, "web", OrchestrationMode.UNIFORM, 30)
    app = ArmApp(backend, ServerSettings(page_size=10))
    url = _vms_url(app, "web") + "&$expand=instanceView"
    _first, link = _get(app, url)
    backend.set_protection(RG, "web", ["15"], protect_from_scale_in=True)
    backend.wait(backend.power_action(RG, "web", PowerAction.POWER_OFF, ["16"]))
    second, link = _get(app, link or "")
    shown = {vm["instanceId"]: vm for vm in second}
    assert shown["15"]["properties"]["protectionPolicy"]["protectFromScaleIn"] is True
    codes = [status["code"] for status in shown["16"]["properties"]["instanceView"]["statuses"]]
    assert "PowerState/stopped" in codes
    assert "PowerState/running" in [s["code"] for s in shown["17"]["properties"]["instanceView"]["statuses"]]


def test_instances_added_during_a_walk_come_on_a_later_page_once(backend: Any) -> None:
    _create(backend, "web", OrchestrationMode.UNIFORM, 25)
    app = ArmApp(backend, ServerSettings(page_size=10))
    first, link = _get(app, _vms_url(app, "web"))
    backend.wait(backend.set_capacity(RG, "web", 32))
    ids = [vm["instanceId"] for vm in first + _rest(app, link)]
    assert ids == [str(i) for i in range(32)]


def test_a_flexible_set_skips_no_vm_after_a_delete_between_pages(backend: Any) -> None:
    _create(backend, "flex", OrchestrationMode.FLEXIBLE, 25)
    app = ArmApp(backend, ServerSettings(page_size=10))
    everything = [vm["name"] for vm in _rest(app, _vms_url(app, "flex"))]
    first, link = _get(app, _vms_url(app, "flex"))
    gone = first[2]["instanceId"]
    backend.wait(backend.delete_instances(RG, "flex", [gone]))
    served = [vm["name"] for vm in first + _rest(app, link)]
    assert served == everything  # each VM once, in creation order; the deleted one only on page 1


def test_an_offset_only_token_from_before_still_pages(backend: Any) -> None:
    _create(backend, "web", OrchestrationMode.UNIFORM, 30)
    app = ArmApp(backend, ServerSettings(page_size=10))
    target = _vms_url(app, "web") + "&$skiptoken=" + encode_skiptoken(20)
    page, link = _get(app, target)
    assert [vm["instanceId"] for vm in page] == [str(i) for i in range(20, 30)] and link is None


@pytest.mark.parametrize("token", ["eyJvIjogMTAsICJrIjogWzFdfQ", "eyJvIjogMTAsICJrIjogdHJ1ZX0", "eyJvIjogLTF9"])
def test_a_token_with_a_key_that_is_not_ours_is_an_invalid_parameter(backend: Any, token: str) -> None:
    _create(backend, "web", OrchestrationMode.UNIFORM, 12)
    app = ArmApp(backend, ServerSettings(page_size=10))
    response = app.handle("GET", _vms_url(app, "web") + "&$skiptoken=" + token, {"Authorization": "Bearer t"},
                          b"", "https://h")
    assert response.status == 400 and response.body["error"]["code"] == "InvalidParameter"
    assert response.body["error"]["target"] == "$skiptoken"


def test_the_subscription_wide_vm_list_skips_no_vm_after_a_delete_between_pages(backend: Any) -> None:
    _create(backend, "flex", OrchestrationMode.FLEXIBLE, 8)
    _create(backend, "other", OrchestrationMode.FLEXIBLE, 8)
    app = ArmApp(backend, ServerSettings(page_size=5))
    url = f"/subscriptions/{app.subscription_id}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01"
    everything = [vm["id"] for vm in _rest(app, url)]
    assert len(everything) == 16
    first, link = _get(app, url)
    flex_vm = next(vm for vm in first if "/virtualMachines/flex" in vm["id"])
    backend.wait(backend.delete_instances(RG, "flex", [flex_vm["name"]]))
    assert [vm["id"] for vm in first + _rest(app, link)] == everything
