"""The real Azure CLI reads the emulator's networking: `az vmss list-instance-connection-info` and `az network`.

A Uniform set made with az's default network (virtual network, Basic load balancer with a NAT pool, a
public IP) is added to the served store; az then finds each instance's NAT port exactly as the
emulator's own `connection-info` prints it, and `az network lb|vnet|public-ip show` read the resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.az.conftest import ServedAz, serve_practice_estate
from vmss_tui.domain.models import OrchestrationMode, ScaleSetNetwork, ScaleSetSpec

pytestmark = pytest.mark.slow
RG = "practice-rg"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, az_path: str) -> Iterator[ServedAz]:
    for served_az in serve_practice_estate(tmp_path_factory.mktemp("az-network"), az_path):
        login = served_az.vmss_tui("emulator", "az-login", "--state-dir", str(served_az.state_dir))
        assert login.code == 0, login.stderr
        backend = served_az.backend()
        try:
            backend.wait(backend.create_scale_set(ScaleSetSpec(
                name="natweb", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=3,
                network=ScaleSetNetwork())))
            backend.wait(backend.create_scale_set(ScaleSetSpec(  # an ARM PUT without a network profile
                name="plain", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=1)))
        finally:
            backend.close()
        yield served_az


def test_az_list_instance_connection_info_finds_the_nat_ports_the_emulator_shows(served: ServedAz) -> None:
    info = served.az_json("vmss", "list-instance-connection-info", "-g", RG, "-n", "natweb")
    assert info == served.read("connection_info", RG, "natweb")
    address = info["instance 0"].split(":")[0]
    assert info == {f"instance {i}": f"{address}:{50000 + i}" for i in range(3)}


def test_az_says_no_load_balancer_for_a_set_made_without_a_network(served: ServedAz) -> None:
    run = served.az("vmss", "list-instance-connection-info", "-g", RG, "-n", "plain")
    assert run.code != 0
    assert "No load balancer exists to retrieve public IP address" in run.stderr


def test_az_network_lb_show_and_friends_read_the_sets_network(served: ServedAz) -> None:
    lb = served.az_json("network", "lb", "show", "-g", RG, "-n", "natwebLB")
    assert lb["sku"]["name"] == "Basic"
    assert [p["name"] for p in lb["inboundNatPools"]] == ["natwebLBNatPool"]
    assert sorted(r["frontendPort"] for r in lb["inboundNatRules"]) == [50000, 50001, 50002]
    # az's default subnet is the group's first one in the location with room: the practice estate's webSubnet
    vnet = served.az_json("network", "vnet", "show", "-g", RG, "-n", "webVNET")
    assert vnet["subnets"][0]["addressPrefix"] == "10.0.0.0/24"
    assert len(vnet["subnets"][0]["ipConfigurations"]) == 6 + 3
    pip = served.az_json("network", "public-ip", "show", "-g", RG, "-n", "natwebLBPublicIP")
    assert pip["ipAddress"] == served.read("connection_info", RG, "natweb")["instance 0"].split(":")[0]
    names = [item["name"] for item in served.az_json("network", "lb", "list", "-g", RG)]
    assert names == ["natwebLB", "webLB"]


def test_az_finds_the_practice_estates_nat_ports_from_50000(served: ServedAz) -> None:
    info = served.az_json("vmss", "list-instance-connection-info", "-g", RG, "-n", "web")
    assert info == served.read("connection_info", RG, "web")
    address = info["instance 0"].split(":")[0]
    assert info == {f"instance {i}": f"{address}:{50000 + i}" for i in range(6)}


def test_az_network_nsg_create_is_stored(served: ServedAz, tmp_path: Path) -> None:
    created = served.az_json("network", "nsg", "create", "-g", RG, "-n", "lab-nsg")
    assert created["NewNSG"]["name"] == "lab-nsg" if "NewNSG" in created else created["name"] == "lab-nsg"
    stored = served.read("get_network_resource", "nsg", RG, "lab-nsg")
    assert len(stored["properties"]["defaultSecurityRules"]) == 6


def test_az_network_tags_are_kept_on_create_and_update(served: ServedAz) -> None:
    # Before, both answered success and the tags were silently dropped.
    created = served.az_json("network", "nsg", "create", "-g", RG, "-n", "tagged-nsg", "--tags", "env=dev")
    assert created["NewNSG"]["tags"] == {"env": "dev"}
    updated = served.az("network", "nsg", "update", "-g", RG, "-n", "tagged-nsg", "--set", "tags.team=blue", "-o",
                        "none")
    assert updated.code == 0, updated.stderr
    stored = {r["name"]: r for r in served.read("list_network_resources", "nsg", RG)}
    assert stored["tagged-nsg"]["tags"] == {"env": "dev", "team": "blue"}
    assert served.az_json("network", "nsg", "show", "-g", RG, "-n", "tagged-nsg", "--query", "tags") == \
        {"env": "dev", "team": "blue"}
    vnet = served.az_json("network", "vnet", "create", "-g", RG, "-n", "tagged-vnet", "--address-prefixes",
                          "10.42.0.0/16", "--tags", "owner=ops")
    assert vnet["newVNet"]["tags"] == {"owner": "ops"}
    assert served.read("get_network_resource", "vnet", RG, "tagged-vnet")["tags"] == {"owner": "ops"}
