"""`vmss-tui emulator check [--repair]` reads the capacity reservation and network rooms too (issue 16,
issue 14): a damaged file is reported with its path, references to things that do not exist are reported,
and `--repair` mends them with the rooms' own paths and says what it did. Before, check said "no damage
found" for all of these."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vmss_tui import cli
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetNetwork, ScaleSetSpec

RG = "rg"


def _backend(root: Path) -> Any:
    return open_backend("emulator", db=root, speed="instant", durable=False)


def _run(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--db", str(root), "--speed", "instant", "emulator", "check", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _estate(root: Path) -> None:
    """A set with a network (NICs, NAT mappings), and a set associated with a capacity reservation group."""
    backend = _backend(root)
    backend.create_or_update_resource_group(RG, "eastus")
    backend.wait(backend.create_scale_set(ScaleSetSpec(
        name="web", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=4,
        network=ScaleSetNetwork(), single_placement_group=False)))
    backend.create_or_update_capacity_reservation_group(RG, "crg", location="eastus", zones=("1",))
    backend.put_capacity_reservation(RG, "crg", "res1", sku="Standard_D2s_v3", capacity=2, zones=("1",))
    backend.wait(backend.create_scale_set(ScaleSetSpec(
        name="api", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=2,
        vm_size="Standard_D2s_v3", zones=("1",), single_placement_group=False, capacity_reservation_group="crg")))
    backend.close()


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_bytes())
    change(data)
    path.write_text(json.dumps(data))


def _one(data: dict[str, Any], table: str) -> dict[str, Any]:
    return next(iter(data[table].values()))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    _estate(store)
    return store


def test_a_whole_store_with_networks_and_reservations_has_no_findings(root: Path, capsys) -> None:
    code, out, err = _run(capsys, root)
    assert code == 0 and "no damage found" in out, (out, err)


@pytest.mark.parametrize("key", ["reservations/rg/crg", "network/rg/virtualNetworks/webvnet",
                                 "network/rg/scaleSetNetworks/web"])
def test_a_damaged_room_file_is_reported_with_its_path_and_discard_keeps_it(root: Path, capsys, key: str) -> None:
    path = root / f"{key}.json"
    assert path.exists(), sorted(str(p.relative_to(root)) for p in root.rglob("*.json"))
    path.write_bytes(b"{not json")
    code, out, _ = _run(capsys, root)
    assert code == 1 and str(path) in out and "cannot be read" in out, out
    assert f"--discard {key}" in out
    assert path.read_bytes() == b"{not json"  # check changes nothing
    code, out, err = _run(capsys, root, "--repair", "--discard", key)
    kept = list(path.parent.glob(f"{path.name}.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"{not json", (out, err)
    assert f"aside as {kept[0].name}" in out
    if key.startswith("network/rg/virtualNetworks/"):  # nothing records what the network was: reported only
        assert code == 1 and "NICs use virtual network webVNET, which does not exist" in out, out
    else:  # what pointed into the file is mended in the same run
        assert code == 0 and "no damage found" in out, out


def test_a_readable_room_file_is_not_discarded(root: Path, capsys) -> None:
    code, _out, err = _run(capsys, root, "--repair", "--discard", "reservations/rg/crg")
    assert code == 1 and "(OperationNotAllowed)" in err and "not damaged" in err
    assert (root / "reservations/rg/crg.json").exists()


def test_a_damaged_public_address_register_is_rebuilt_from_what_holds_addresses(root: Path, capsys) -> None:
    path = root / "netpublic/addresses.json"
    before = _one(json.loads(path.read_bytes()), "held")
    path.write_bytes(b"\x00garbage")
    code, out, _ = _run(capsys, root)
    assert code == 1 and str(path) in out and "rebuilds it" in out
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0, (out, err)
    assert _one(json.loads(path.read_bytes()), "held") == before
    assert len(list(path.parent.glob("addresses.json.damaged-*"))) == 1 and "rebuilt addresses.json" in out


def test_vms_associated_with_a_group_that_does_not_exist_are_reported_and_dissociated(root: Path, capsys) -> None:
    (root / "reservations/rg/crg.json").unlink()  # the group is gone, its associations stayed
    code, out, _ = _run(capsys, root)
    assert code == 1, out
    assert "scale set rg/api is associated with capacity reservation group" in out and "does not exist" in out
    assert "2 VM(s) (0, 1) are associated with capacity reservation group" in out
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0, (out, err)
    assert "removed the association of 2 VM(s) of scale set rg/api" in out
    data = json.loads((root / "sets/rg/api.json").read_bytes())
    assert not _one(data, "scale_set").get("crg")
    assert all(not doc.get("crg") for doc in data["instances"].values())
    backend = _backend(root)
    assert len(backend.list_instances(RG, "api")) == 2  # nothing else was lost
    backend.close()


def test_a_set_missing_from_its_groups_members_is_added_back(root: Path, capsys) -> None:
    _edit(root / "reservations/rg/crg.json", lambda data: _one(data, "group").update(members=[]))
    backend = _backend(root)
    assert backend.get_capacity_reservation(RG, "crg", "res1").virtual_machines_allocated == ()  # accounting lost them
    backend.close()
    code, out, _ = _run(capsys, root)
    assert code == 1 and "does not list the set among its members" in out
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0 and "added scale set rg/api to the members" in out, (out, err)
    backend = _backend(root)
    assert len(backend.get_capacity_reservation(RG, "crg", "res1").virtual_machines_allocated) == 2
    backend.close()


def test_nics_of_vms_that_no_longer_exist_are_released(root: Path, capsys) -> None:
    def drop_two(data: dict[str, Any]) -> None:
        for doc_id, doc in list(data["instances"].items()):
            if doc["instance_id"] in ("2", "3"):
                del data["instances"][doc_id]
        _one(data, "scale_set")["capacity"] = 2

    _edit(root / "sets/rg/web.json", drop_two)  # as a restored older backup of the set would be
    code, out, _ = _run(capsys, root)
    assert code == 1 and "NIC(s) of instance(s) that no longer exist: 2, 3" in out, out
    assert str(root / "network/rg/scaleSetNetworks/web.json") in out
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0 and "synced the NICs of scale set rg/web" in out, (out, err)
    backend = _backend(root)
    assert sorted(backend.connection_info(RG, "web")) == ["instance 0", "instance 1"]
    lb = backend.get_network_resource("lb", RG, "webLB")
    pool = lb["properties"]["backendAddressPools"][0]["properties"]
    members = json.dumps(pool)
    assert "/virtualMachines/2/" not in members and "/virtualMachines/3/" not in members
    assert "/virtualMachines/1/" in members
    backend.close()


def test_a_binding_of_a_deleted_set_is_released(root: Path, capsys) -> None:
    (root / "sets/rg/web.json").unlink()
    code, out, _ = _run(capsys, root)
    assert code == 1 and "scale set rg/web no longer exists but its 4 NIC(s)" in out, out
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0 and "released the 4 NIC(s) of scale set rg/web" in out, (out, err)
    assert not (root / "network/rg/scaleSetNetworks/web.json").exists()
    vnet = json.loads((root / "network/rg/virtualNetworks/webvnet.json").read_bytes())
    assert all(not holders for holders in _one(vnet, "addresses").values())


def test_an_address_allocated_twice_in_a_subnet_is_reported_and_one_nic_readdressed(root: Path, capsys) -> None:
    binding_path = root / "network/rg/scaleSetNetworks/web.json"
    binding = _one(json.loads(binding_path.read_bytes()), "binding")
    first, second = binding["nics"]["0"]["ip"], binding["nics"]["1"]["ip"]
    _edit(binding_path, lambda data: _one(data, "binding")["nics"]["1"].update(ip=first))
    code, out, _ = _run(capsys, root)
    assert code == 1 and f"address {first} is allocated twice (web/0, web/1)" in out, out
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0, (out, err)
    assert "gave web/1 the address" in out and f"{first} stays with its recorded holder" in out
    after = _one(json.loads(binding_path.read_bytes()), "binding")["nics"]
    ips = [nic["ip"] for nic in after.values()]
    assert len(set(ips)) == len(ips) and after["0"]["ip"] == first and after["1"]["ip"] == second
    backend = _backend(root)
    assert {i.instance_id: i.private_ip for i in backend.list_instances(RG, "web")}["1"] == second
    backend.close()


def test_an_address_held_for_a_nic_that_does_not_exist_is_released(root: Path, capsys) -> None:
    vnet_path = root / "network/rg/virtualNetworks/webvnet.json"

    def leak(data: dict[str, Any]) -> None:
        subnet = next(iter(_one(data, "addresses")))
        _one(data, "addresses")[subnet]["10.0.0.200"] = "/subscriptions/x/ghost/ipConfigurations/ghost"

    _edit(vnet_path, leak)
    code, out, _ = _run(capsys, root)
    assert code == 1 and "10.0.0.200 held by NIC(s) that do not exist" in out, out
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0 and "released 10.0.0.200" in out, (out, err)
    assert "10.0.0.200" not in vnet_path.read_text()


def test_a_duplicate_the_network_has_no_other_record_of_gets_the_next_free_address(root: Path, capsys) -> None:
    binding_path = root / "network/rg/scaleSetNetworks/web.json"
    vnet_path = root / "network/rg/virtualNetworks/webvnet.json"
    nics = _one(json.loads(binding_path.read_bytes()), "binding")["nics"]
    first, second = nics["0"]["ip"], nics["1"]["ip"]
    _edit(binding_path, lambda data: _one(data, "binding")["nics"]["1"].update(ip=first))

    def forget_second(data: dict[str, Any]) -> None:
        for holders in _one(data, "addresses").values():
            holders.pop(second, None)

    _edit(vnet_path, forget_second)
    code, out, err = _run(capsys, root, "--repair")
    assert code == 0 and "(the next free one)" in out, (out, err)
    after = _one(json.loads(binding_path.read_bytes()), "binding")["nics"]
    assert after["0"]["ip"] == first and after["1"]["ip"] not in {nic["ip"] for k, nic in after.items() if k != "1"}


def test_a_record_of_a_shape_this_version_does_not_know_is_a_finding_not_a_traceback(root: Path, capsys) -> None:
    _edit(root / "network/rg/scaleSetNetworks/web.json", lambda data: _one(data, "binding").pop("rg"))
    code, out, err = _run(capsys, root)
    assert code == 1 and "network records hold a value this version does not understand" in out, (out, err)
    code, out, err = _run(capsys, root, "--repair")
    assert code == 1 and "Traceback" not in out + err and "internal error" not in err, (out, err)
