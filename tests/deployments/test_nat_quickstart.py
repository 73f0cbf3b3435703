"""The Linux NAT quickstart's shape (tests/fixtures/templates, seed-features B.1) deployed into the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from vmss_tui.domain.templates import unique_string

from .conftest import GROUP, NAT, NAT_PARAMETERS, fixture_text, settle

NETWORK_TYPES = ("Microsoft.Network/virtualNetworks", "Microsoft.Network/publicIPAddresses",
                 "Microsoft.Network/loadBalancers")
"""Registered by the backend from the network room; the skips name what is missing should that change."""


def network_modelled(emulator: Any) -> bool:
    return all(emulator.kinds.find(kind) is not None for kind in NETWORK_TYPES)


def test_nat_template_gives_a_scale_set_whose_connection_info_lists_ssh_from_port_50000(emulator: Any,
                                                                                     clock: Any) -> None:
    if not network_modelled(emulator):
        pytest.skip("the network room does not take template PUTs of virtual networks, public IPs and load "
                    "balancers yet (its types are not registered in the deployment kinds table)")
    emulator.deploy(GROUP, "nat", fixture_text(NAT), NAT_PARAMETERS)
    settle(clock)
    assert emulator.get_deployment(GROUP, "nat")["properties"]["provisioningState"] == "Succeeded"
    group_id = f"/subscriptions/{emulator.info().subscription_id}/resourceGroups/{GROUP}"
    infix = ("myvmss" + unique_string(group_id))[:9].lower()
    assert emulator.get_scale_set(GROUP, infix).capacity == 5
    ports = sorted(int(endpoint.rsplit(":", 1)[1]) for endpoint in emulator.connection_info(GROUP, infix).values())
    assert ports[0] == 50000 and len(ports) == 5 and ports[-1] <= 50119


def test_redeploying_the_nat_template_is_no_change_for_every_resource(emulator: Any, clock: Any) -> None:
    if not network_modelled(emulator):
        pytest.skip("networking does not take template PUTs")
    emulator.deploy(GROUP, "nat", fixture_text(NAT), NAT_PARAMETERS)
    settle(clock)
    result = emulator.what_if_deployment(GROUP, "again", fixture_text(NAT), NAT_PARAMETERS)
    changes = {c["resourceId"].split("/providers/")[1].split("/")[1]: c for c in result["properties"]["changes"]}
    assert {kind: c["changeType"] for kind, c in changes.items()} == {
        "virtualMachineScaleSets": "NoChange", "virtualNetworks": "NoChange", "publicIPAddresses": "NoChange",
        "loadBalancers": "NoChange"}, [c.get("delta") for c in changes.values()]
    bigger = emulator.what_if_deployment(GROUP, "again", fixture_text(NAT), {**NAT_PARAMETERS, "instanceCount": 6})
    modified = [c for c in bigger["properties"]["changes"] if c["changeType"] == "Modify"]
    assert [d["path"] for c in modified for d in c["delta"]] == ["sku.capacity"]
