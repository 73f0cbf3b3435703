"""A scale-out's instances, their addresses and the load balancer's NAT rules are one commit: a kill -9 at any
step of it leaves all of them or none. And the room's one-pass address allocation is the domain's rule."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmss_tui.backends.emulator.network.service import allocate_dynamic
from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network.addresses import SubnetAddresses

SCALER = textwrap.dedent(
    """
    import os, sys
    from vmss_tui.backends import open_backend
    from vmss_tui.backends.emulator import store as store_module
    from vmss_tui.domain.models import OrchestrationMode, ScaleSetNetwork, ScaleSetSpec
    root, step = sys.argv[1], sys.argv[2]
    backend = open_backend("emulator", db=root, speed="instant")
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.wait(backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg", capacity=2,
                                                       orchestration_mode=OrchestrationMode.UNIFORM,
                                                       network=ScaleSetNetwork())))
    store_module._fault_hook = lambda name: os._exit(9) if name == step else None
    backend.set_capacity("rg", "web", 5)
    print("not killed", flush=True)
    """
)


@pytest.mark.parametrize("step", ["temps-written", "journal-written", "renamed-1", "renamed-2", "dirs-synced"])
def test_a_scale_out_killed_at_any_step_of_its_commit_keeps_instances_addresses_and_nat_rules_together(
        tmp_path: Path, step: str) -> None:
    from vmss_tui.backends import open_backend

    killed = subprocess.run([sys.executable, "-c", SCALER, str(tmp_path), step], capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == 9, f"not killed at {step}: {killed.stdout} {killed.stderr}"
    backend = open_backend("emulator", db=tmp_path, speed="instant")
    instances = backend.list_instances("rg", "web")
    ids = {i.instance_id for i in instances}
    expected = {"0", "1"} if step == "temps-written" else {"0", "1", "2", "3", "4"}
    assert ids == expected, (step, ids)
    assert {key.split(" ", 1)[1] for key in backend.connection_info("rg", "web")} == expected
    vnet = backend.get_network_resource("vnet", "rg", "webVNET")
    assert len(vnet["properties"]["subnets"][0]["properties"]["ipConfigurations"]) == len(expected)
    assert all(i.private_ip and i.public_endpoint for i in instances)


@settings(max_examples=200, deadline=None)
@given(prefix_length=st.integers(min_value=26, max_value=29), taken=st.sets(st.integers(min_value=0, max_value=63)),
       holders=st.lists(st.sampled_from([f"nic{i}" for i in range(12)]), max_size=12, unique=True))
def test_the_rooms_one_pass_allocation_gives_what_the_domains_allocate_many_gives(
        prefix_length: int, taken: set[int], holders: list[str]) -> None:
    subnet = SubnetAddresses("subnet", f"10.0.0.0/{prefix_length}")
    size = 1 << (32 - prefix_length)
    for offset in sorted(taken):
        if 4 <= offset < size - 1:
            subnet, _ = subnet.allocate(f"old{offset}", f"10.0.0.{offset}")
    try:
        expected = subnet.allocate_many(holders)
    except AzureError as error:
        with pytest.raises(AzureError) as caught:
            allocate_dynamic(subnet, holders)
        assert (caught.value.code, caught.value.message) == (error.code, error.message)
        return
    got = allocate_dynamic(subnet, holders)
    assert dict(got[0].holders) == dict(expected[0].holders) and got[1] == expected[1]
