"""The network room through the emulator backend and the commands: what an operator sees.

The seed's NAT example, ports that never move for survivors across random scale-outs and scale-ins,
exhaustion and a full subnet failing a scale-out with nothing half-done, deletes that release what a set
held, and a set made without a network (as every set stored before issue 14) keeping working.
"""

from __future__ import annotations

import ipaddress
import json
import random
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.commands import Session, run_tokens
from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.models import OrchestrationMode, ScaleSetNetwork, ScaleSetSpec, VmSpec

RG = "net-rg"


@pytest.fixture
def emulator(tmp_path: Path):
    backend = open_backend("emulator", db=tmp_path / "db", speed="instant", durable=False)
    backend.create_or_update_resource_group(RG, "eastus")
    yield backend
    backend.close()


def uniform(name: str = "web", capacity: int = 3, network: ScaleSetNetwork | None = ScaleSetNetwork(),
            **extra) -> ScaleSetSpec:
    return ScaleSetSpec(name=name, resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=capacity,
                        network=network, **extra)


def run(session: Session, line: str) -> tuple[int, object, str]:
    outcome = run_tokens(line.split(), session)
    data = json.loads(outcome.rendered) if outcome.rendered and outcome.exit_code == 0 else None
    return outcome.exit_code, data, outcome.error or ""


def ports(backend, name: str = "web") -> dict[str, int]:
    info = backend.connection_info(RG, name)
    return {key.split(" ", 1)[1]: int(value.rsplit(":", 1)[1]) for key, value in info.items()}


def test_the_seeds_three_instances_answer_on_50000_50001_50002_through_connection_info(emulator) -> None:
    session = Session(emulator, output="json", resource_group=RG)
    code, _, error = run(session, "create web --mode uniform --capacity 3")
    assert code == 0, error
    code, info, error = run(session, "connection-info web")
    assert code == 0, error
    address = info["instance 0"].split(":")[0]
    assert info == {"instance 0": f"{address}:50000", "instance 1": f"{address}:50001",
                    "instance 2": f"{address}:50002"}
    lb = emulator.get_network_resource("lb", RG, "webLB")
    pip_id = lb["properties"]["frontendIPConfigurations"][0]["properties"]["publicIPAddress"]["id"]
    assert emulator.get_network_resource("public-ip", RG, pip_id.rsplit("/", 1)[1])["properties"]["ipAddress"] \
        == address
    instances = emulator.list_instances(RG, "web")
    assert [i.private_ip for i in instances] == ["10.0.0.4", "10.0.0.5", "10.0.0.6"]  # Azure's first usable: .4
    assert [i.public_endpoint for i in instances] == [f"{address}:{p}" for p in (50000, 50001, 50002)]
    table = run_tokens("instances web -o table".split(), session).rendered
    assert "PrivateIp" in table and f"{address}:50002" in table
    assert max(len(line) for line in table.splitlines()) <= 80


def test_random_scale_outs_and_ins_never_share_a_port_or_move_a_survivors_port(emulator) -> None:
    emulator.create_scale_set(uniform(capacity=4))
    rng = random.Random(14)
    before = ports(emulator)
    for _ in range(25):
        live = [i.instance_id for i in emulator.list_instances(RG, "web")]
        if rng.random() < 0.4 and live:
            gone = rng.sample(live, rng.randint(1, min(3, len(live))))
            emulator.wait(emulator.delete_instances(RG, "web", gone))
        else:
            emulator.wait(emulator.set_capacity(RG, "web", rng.randint(0, 12)))
        after = ports(emulator)
        instances = {i.instance_id: i for i in emulator.list_instances(RG, "web")}
        assert set(after) == set(instances)
        assert len(set(after.values())) == len(after), after
        assert all(50000 <= port <= 50119 for port in after.values())
        for survivor in set(before) & set(after):
            assert after[survivor] == before[survivor], (survivor, before, after)
        addresses = [i.private_ip for i in instances.values()]
        assert len(set(addresses)) == len(addresses)
        assert all(ipaddress.IPv4Address(a) in ipaddress.IPv4Network("10.0.0.0/24") for a in addresses)
        for iid, instance in instances.items():
            assert instance.public_endpoint.endswith(f":{after[iid]}")
        before = after


def test_a_scale_out_past_the_nat_range_fails_and_changes_nothing(emulator) -> None:
    emulator.set_quota("eastus", "Total Regional vCPUs", 100000)
    emulator.set_quota("eastus", "standardDSv3Family", 100000)
    emulator.create_scale_set(uniform(capacity=2, single_placement_group=False))  # Standard LB, NAT rule V2
    assert emulator.get_network_resource("lb", RG, "webLB")["sku"]["name"] == "Standard"
    before = ports(emulator)
    with pytest.raises(AzureError) as caught:
        emulator.set_capacity(RG, "web", 121)  # 50000..50119 holds 120
    assert caught.value.code == "InboundNatRuleFrontendPortRangeSmallerThanRequestedPorts"
    assert emulator.get_scale_set(RG, "web").capacity == 2
    assert ports(emulator) == before
    vnet = emulator.get_network_resource("vnet", RG, "webVNET")
    assert len(vnet["properties"]["subnets"][0]["properties"]["ipConfigurations"]) == 2
    emulator.wait(emulator.set_capacity(RG, "web", 120))
    assert sorted(ports(emulator).values()) == list(range(50000, 50120))


def test_a_full_subnet_fails_the_scale_out_with_azures_error_and_hands_out_nothing(emulator) -> None:
    emulator.create_virtual_network(RG, "small", address_prefixes=("10.5.0.0/16",), subnet_name="tiny",
                                    subnet_prefix="10.5.0.0/29")  # 8 addresses, 5 reserved: 3 usable
    emulator.create_scale_set(uniform(capacity=2, network=ScaleSetNetwork(vnet_name="small", subnet="tiny")))
    with pytest.raises(AzureError) as caught:
        emulator.set_capacity(RG, "web", 4)
    assert caught.value.code == "SubnetIsFull"
    assert "10.5.0.0/29" in caught.value.message
    assert [i.private_ip for i in emulator.list_instances(RG, "web")] == ["10.5.0.4", "10.5.0.5"]
    emulator.wait(emulator.set_capacity(RG, "web", 3))
    assert emulator.list_instances(RG, "web")[-1].private_ip == "10.5.0.6"


def test_deleting_instances_and_the_set_releases_addresses_and_ports(emulator) -> None:
    emulator.create_scale_set(uniform(capacity=3))
    emulator.wait(emulator.delete_instances(RG, "web", ["1"]))
    assert set(ports(emulator)) == {"0", "2"}
    emulator.wait(emulator.set_capacity(RG, "web", 3))
    newcomer = emulator.list_instances(RG, "web")[-1]
    assert (newcomer.instance_id, newcomer.private_ip) == ("3", "10.0.0.5")  # 1's address and port, free again
    assert newcomer.public_endpoint.endswith(":50001")
    with pytest.raises(AzureError) as in_use:
        emulator.delete_network_resource("lb", RG, "webLB")
    assert in_use.value.code == "LoadBalancerInUseByVirtualMachineScaleSet"
    with pytest.raises(AzureError) as vnet_in_use:
        emulator.delete_network_resource("vnet", RG, "webVNET")
    assert vnet_in_use.value.code == "InUseSubnetCannotBeDeleted"
    emulator.wait(emulator.delete_scale_set(RG, "web"))
    vnet = emulator.get_network_resource("vnet", RG, "webVNET")
    assert "ipConfigurations" not in vnet["properties"]["subnets"][0]["properties"]
    lb = emulator.get_network_resource("lb", RG, "webLB")
    assert lb["properties"]["inboundNatRules"] == []
    emulator.delete_network_resource("lb", RG, "webLB")  # no longer in use: Azure lets it go
    emulator.delete_network_resource("vnet", RG, "webVNET")
    assert [r["name"] for r in emulator.list_network_resources("lb", RG)] == []


def test_a_public_ip_or_nsg_in_use_is_refused_deletion(emulator) -> None:
    emulator.create_scale_set(uniform(capacity=1, single_placement_group=False))  # Standard: az adds webNSG
    with pytest.raises(AzureError) as pip_in_use:
        emulator.delete_network_resource("public-ip", RG, "webLBPublicIP")
    assert pip_in_use.value.code == "PublicIPAddressCannotBeDeleted"
    with pytest.raises(AzureError) as nsg_in_use:
        emulator.delete_network_resource("nsg", RG, "webNSG")
    assert nsg_in_use.value.code == "InUseNetworkSecurityGroupCannotBeDeleted"
    nsg = emulator.get_network_resource("nsg", RG, "webNSG")
    assert [(r["name"], r["properties"]["destinationPortRange"]) for r in nsg["properties"]["securityRules"]] \
        == [("default-allow-ssh", "22")]


def test_group_delete_removes_every_network_resource_and_frees_public_addresses(emulator, tmp_path: Path) -> None:
    emulator.create_scale_set(uniform(capacity=2))
    emulator.create_public_ip(RG, "spare")
    held = {r["properties"].get("ipAddress") for r in emulator.list_network_resources("public-ip", RG)}
    emulator.wait(emulator.delete_resource_group(RG))
    assert not [p for p in (tmp_path / "db").rglob("*.json") if "network" in p.parts]
    emulator.create_or_update_resource_group("other", "eastus")
    emulator.create_public_ip("other", "again")
    again = emulator.get_network_resource("public-ip", "other", "again")["properties"]["ipAddress"]
    assert again in held  # given back, so handed out again (lowest free first)


def test_a_set_without_a_network_keeps_working_and_connection_info_says_so_as_az_does(emulator) -> None:
    emulator.create_scale_set(uniform(capacity=2, network=None))  # as every set stored before networking
    emulator.wait(emulator.set_capacity(RG, "web", 3))
    assert [i.private_ip for i in emulator.list_instances(RG, "web")] == [None, None, None]
    session = Session(emulator, output="json", resource_group=RG)
    code, _, error = run(session, "connection-info web")
    assert code == 1
    assert error == "ERROR: (ResourceNotFoundError) No load balancer exists to retrieve public IP address"


def test_the_flexible_lab_vm_gets_its_own_public_ip_and_an_ssh_rule(emulator) -> None:
    session = Session(emulator, output="json", resource_group=RG)
    assert run(session, "create lab --mode flexible --no-vm-profile")[0] == 0
    code, _, error = run(session, "add-vm lab --name newvm --public-ip --inbound-ports 22")
    assert code == 0, error
    vm = emulator.get_instance(RG, "lab", "newvm")
    pip = emulator.get_network_resource("public-ip", RG, "newvmPublicIP")
    assert vm.public_endpoint == f"{pip['properties']['ipAddress']}:22"
    assert pip["sku"]["name"] == "Standard" and pip["properties"]["publicIPAllocationMethod"] == "Static"
    nsg = emulator.get_network_resource("nsg", RG, "basicNsgnewvmVMNic")
    assert [(r["name"], r["properties"]["priority"], r["properties"]["destinationPortRange"])
            for r in nsg["properties"]["securityRules"]] == [("SSH", 300, "22")]
    code, _, error = run(session, "connection-info lab")
    assert code == 1 and "not available for VMSS in Flex mode" in error


def test_bad_names_and_options_are_one_line_errors_and_nothing_is_stored(emulator) -> None:
    session = Session(emulator, output="json", resource_group=RG)
    code, _, error = run(session, "network vnet create bad/name")
    assert code != 0 and error.startswith("ERROR: (InvalidResourceName)")
    code, _, error = run(session, "create web --mode uniform --capacity 1 --vnet-name ../x")
    assert code != 0 and error.startswith("ERROR: ") and "\n" not in error
    assert emulator.list_scale_sets(RG) == []
    assert emulator.list_network_resources("vnet", RG) == []
    code, _, error = run(session, "add-vm nope --inbound-ports ssh")
    assert code != 0 and "\n" not in error


def test_a_public_ip_already_in_use_is_not_taken_by_a_second_load_balancer(emulator) -> None:
    emulator.create_load_balancer(RG, "first", public_ip="shared")
    with pytest.raises(AzureError) as caught:
        emulator.create_load_balancer(RG, "second", public_ip="shared")
    assert caught.value.code == "PublicIPAddressInUse"
    assert [lb["name"] for lb in emulator.list_network_resources("lb", RG)] == ["first"]
    attached = emulator.get_network_resource("public-ip", RG, "shared")["properties"]["ipConfiguration"]["id"]
    assert "/loadBalancers/first/" in attached


def test_create_takes_az_vmss_creates_networking_options(emulator) -> None:
    session = Session(emulator, output="json", resource_group=RG)
    created = run_tokens(["create", "nolb", "--mode", "uniform", "--capacity", "2", "--lb", ""], session)
    assert created.exit_code == 0, created.error
    assert emulator.list_network_resources("lb", RG) == []
    assert [i.private_ip for i in emulator.list_instances(RG, "nolb")] == ["10.0.0.4", "10.0.0.5"]
    assert [i.public_endpoint for i in emulator.list_instances(RG, "nolb")] == [None, None]
    code, _, error = run(session, "connection-info nolb")
    assert code == 1 and "No load balancer exists" in error

    code, _, error = run(session, "create pervm --mode uniform --capacity 2 --public-ip-per-vm --lb-sku Standard "
                                  "--backend-port 2222 --vnet-name own --subnet inner")
    assert code == 0, error
    nics = emulator.list_scale_set_nics(RG, "pervm")
    assert all("publicIPAddress" in n["properties"]["ipConfigurations"][0]["properties"] for n in nics)
    assert [n["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"].rsplit("/", 3)[-3::2]
            for n in nics] == [["own", "inner"], ["own", "inner"]]
    lb = emulator.get_network_resource("lb", RG, "pervmLB")
    assert lb["sku"]["name"] == "Standard" and lb["properties"]["inboundNatRules"][0]["properties"]["backendPort"] == 2222
    assert emulator.get_network_resource("nsg", RG, "pervmNSG")["properties"]["securityRules"][0]["name"] \
        == "default-allow-ssh"

    before = emulator.list_network_resources("vnet", RG)
    code, _, error = run(session, "create basic --mode uniform --capacity 2 --lb-sku Basic "
                                  "--single-placement-group false")
    assert code == 2 and error == ("ERROR: (CLIError) usage error:'Standard' load balancer is required because "
                                   "'single placement group' is turned off")
    assert emulator.list_network_resources("vnet", RG) == before
    assert [s.name for s in emulator.list_scale_sets(RG)] == ["nolb", "pervm"]
