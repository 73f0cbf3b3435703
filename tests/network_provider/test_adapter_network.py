"""The live adapter's network reads (azure-mgmt-network) over real HTTPS against the emulator's endpoint:
what `connection-info` and `network ...` answer on Azure is what they answer on the emulator."""

from __future__ import annotations

import pytest

from tests.azure.conftest import RG, Served, arm_state_dir, make_flexible, make_uniform, served  # noqa: F401
from vmss_tui.backends.protocol import Network
from vmss_tui.domain import errors
from vmss_tui.domain.models import ScaleSetNetwork

pytest.importorskip("azure.mgmt.network")


def test_the_adapter_reads_connection_info_as_az_does_and_gets_the_emulators_answer(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=3, network=ScaleSetNetwork())
    adapter = served.open_adapter()
    assert isinstance(adapter, Network)
    info = adapter.connection_info(RG, "web")
    assert info == served.emulator.connection_info(RG, "web")
    assert sorted(int(v.rsplit(":", 1)[1]) for v in info.values()) == [50000, 50001, 50002]


def test_the_adapter_gives_azs_refusals_for_a_set_without_a_network_and_a_flexible_set(served: Served) -> None:
    make_uniform(served.emulator, "plain", capacity=1)
    make_flexible(served.emulator, "flex", capacity=1, network=ScaleSetNetwork())
    adapter = served.open_adapter()
    with pytest.raises(errors.AzureError) as no_lb:
        adapter.connection_info(RG, "plain")
    assert no_lb.value.message == "No load balancer exists to retrieve public IP address"
    with pytest.raises(errors.AzureError) as flexible:
        adapter.connection_info(RG, "flex")
    assert "not available for VMSS in Flex mode" in flexible.value.message


def test_the_adapter_lists_shows_creates_and_deletes_network_resources(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=2, network=ScaleSetNetwork())
    adapter = served.open_adapter()
    assert [lb["name"] for lb in adapter.list_network_resources("lb", RG)] == ["webLB"]
    lb = adapter.get_network_resource("lb", RG, "webLB")
    assert len(lb["properties"]["inboundNatRules"]) == 2
    nsg = adapter.create_nsg(RG, "lab-nsg", inbound_ports=(22, 443))
    assert [r["name"] for r in nsg["properties"]["securityRules"]] == ["SSH", "HTTPS"]
    assert served.emulator.get_network_resource("nsg", RG, "lab-nsg")["properties"]["securityRules"][1][
        "properties"]["priority"] == 320
    with pytest.raises(errors.AzureError) as in_use:
        adapter.delete_network_resource("lb", RG, "webLB")
    assert in_use.value.code == "LoadBalancerInUseByVirtualMachineScaleSet"
    adapter.delete_network_resource("nsg", RG, "lab-nsg")
    assert [n["name"] for n in served.emulator.list_network_resources("nsg", RG)] == []
    nics = adapter.list_scale_set_nics(RG, "web")
    assert [n["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] for n in nics] \
        == ["10.0.0.4", "10.0.0.5"]
