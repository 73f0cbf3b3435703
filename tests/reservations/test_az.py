"""The real Azure CLI against the served emulator: `az capacity reservation group create|show|list` and
`az capacity reservation create|show|update|list|delete` (skips without az, fails in CI without it)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.az.conftest import ServedAz, az_path, serve_practice_estate  # noqa: F401 (az_path: the fixture)
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

pytestmark = pytest.mark.slow
RG = "practice-rg"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, az_path: str) -> Iterator[ServedAz]:
    for served_az in serve_practice_estate(tmp_path_factory.mktemp("az-crg"), az_path):
        login = served_az.vmss_tui("emulator", "az-login", "--state-dir", str(served_az.state_dir))
        assert login.code == 0, login.stderr
        yield served_az


def test_az_creates_and_reads_groups_and_reservations(served: ServedAz) -> None:
    group = served.az_json("capacity", "reservation", "group", "create", "-g", RG, "-n", "crg", "--zones", "1", "2")
    assert group["name"] == "crg" and group["zones"] == ["1", "2"]
    created = served.az_json("capacity", "reservation", "create", "-g", RG, "-c", "crg", "-n", "res1",
                             "--sku", "Standard_D2s_v3", "--capacity", "2", "--zone", "1")
    assert created["sku"] == {"capacity": 2, "name": "Standard_D2s_v3"} and created["provisioningState"] == "Succeeded"
    updated = served.az_json("capacity", "reservation", "update", "-g", RG, "-c", "crg", "-n", "res1",
                             "--capacity", "3")
    assert updated["sku"]["capacity"] == 3
    assert served.read("get_capacity_reservation", RG, "crg", "res1").capacity == 3
    shown = served.az_json("capacity", "reservation", "show", "-g", RG, "-c", "crg", "-n", "res1",
                           "--instance-view")
    assert shown["instanceView"]["utilizationInfo"]["virtualMachinesAllocated"] == []
    listed = served.az_json("capacity", "reservation", "group", "list", "-g", RG)
    assert [g["name"] for g in listed] == ["crg"]
    assert served.az_json("capacity", "reservation", "group", "show", "-g", RG, "-n", "crg")["capacityReservations"]


def test_az_sees_a_scale_sets_vms_allocated_and_refused_deletes(served: ServedAz) -> None:
    served.az_json("capacity", "reservation", "group", "create", "-g", RG, "-n", "crg2")
    served.az_json("capacity", "reservation", "create", "-g", RG, "-c", "crg2", "-n", "res1",
                   "--sku", "Standard_D2s_v3", "--capacity", "1")
    backend = served.backend()
    try:
        backend.wait(backend.create_scale_set(ScaleSetSpec(
            name="reserved", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=2,
            vm_size="Standard_D2s_v3", platform_fault_domain_count=1, capacity_reservation_group="crg2")))
    finally:
        backend.close()
    shown = served.az_json("capacity", "reservation", "show", "-g", RG, "-c", "crg2", "-n", "res1", "--instance-view")
    assert len(shown["instanceView"]["utilizationInfo"]["virtualMachinesAllocated"]) == 2
    vmss = served.az_json("vmss", "show", "-g", RG, "-n", "reserved")
    assert vmss["virtualMachineProfile"]["capacityReservation"]["capacityReservationGroup"]["id"].endswith("/crg2")
    refused = served.az("capacity", "reservation", "delete", "-g", RG, "-c", "crg2", "-n", "res1", "--yes")
    assert refused.code != 0 and "OperationNotAllowed" in refused.stderr


def test_az_vmss_create_with_a_capacity_reservation_group(served: ServedAz) -> None:
    group = served.az_json("capacity", "reservation", "group", "create", "-g", RG, "-n", "crg3", "--zones", "1")
    served.az_json("capacity", "reservation", "create", "-g", RG, "-c", "crg3", "-n", "res1",
                   "--sku", "Standard_D2s_v3", "--capacity", "2", "--zone", "1")
    run = served.az("vmss", "create", "-g", RG, "-n", "azreserved", "--image", "Ubuntu2204", "--vm-sku",
                    "Standard_D2s_v3", "--instance-count", "2", "--zones", "1", "--orchestration-mode", "Uniform",
                    "--single-placement-group", "false", "--capacity-reservation-group", group["id"],
                    "--admin-username", "azureuser", "--generate-ssh-keys", "--lb", "")
    assert run.code == 0, run.stderr
    shown = served.az_json("capacity", "reservation", "show", "-g", RG, "-c", "crg3", "-n", "res1", "--instance-view")
    allocated = shown["instanceView"]["utilizationInfo"]["virtualMachinesAllocated"]
    assert sorted(vm["id"].rsplit("/", 1)[1] for vm in allocated) == ["0", "1"]
