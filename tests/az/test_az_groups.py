"""Seed 001's "easy" way through the real az: quota with `az vm list-usage`, sets made with `az vmss create`
(Uniform and Flexible) in a group of their own, and the whole group removed with `az group delete`.

One served practice estate for the module, signed in once; the tests run in file order and each checks the
emulator's store afterwards, not only az's exit code.
"""

from __future__ import annotations

import json

import pytest

from tests.az.conftest import ServedAz
from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.images import MARKETPLACE_IMAGES

pytestmark = pytest.mark.slow
LAB = "lab-rg"
NETWORK_KINDS = ("vnet", "lb", "public-ip", "nsg")


@pytest.fixture(scope="module")
def public_key_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A throwaway OpenSSH public key (never --generate-ssh-keys: that writes into the user's ~/.ssh)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("ssh") / "id_rsa.pub"
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                   serialization.PublicFormat.OpenSSH))
    return str(path)


def _create(served: ServedAz, group: str, name: str, mode: str, key: str) -> tuple[int, str, str]:
    run = served.az("vmss", "create", "-g", group, "-n", name, "--image", "Ubuntu2204", "--instance-count", "2",
                    "--vm-sku", "Standard_B2s", "--admin-username", "azureuser", "--ssh-key-values", key,
                    "--orchestration-mode", mode, "-o", "json", timeout=300)
    return run.code, run.stdout, run.stderr


def test_sign_in(served_az: ServedAz) -> None:
    run = served_az.vmss_tui("emulator", "az-login", "--state-dir", str(served_az.state_dir))
    assert run.code == 0, run.stderr


def test_vm_list_usage_reports_the_emulators_quota_and_usage(served_az: ServedAz) -> None:
    listed = {u["name"]["value"]: u for u in served_az.az_json("vm", "list-usage", "--location", "westeurope")}
    stored = {u.name: u for u in served_az.read("list_usage", "westeurope")}
    assert set(listed) == set(stored)
    for name, usage in stored.items():
        assert (int(listed[name]["currentValue"]), int(listed[name]["limit"])) == (usage.current_value, usage.limit)
    # The practice estate's web (6 x Standard_D2s_v3, 2 vCPUs each) is in westeurope: its cores are counted.
    assert int(listed["cores"]["currentValue"]) >= 12 and int(listed["standardDSv3Family"]["currentValue"]) >= 12


def test_az_image_list_reads_the_emulators_image_catalogue(served_az: ServedAz) -> None:
    # az reads its image aliases from the cloud's alias document, which the endpoint serves from its own
    # catalogue (no sign-in: on Azure it is a public file); az's bundled copy has aliases the emulator lacks.
    run = served_az.az("vm", "image", "list", "-o", "json")
    assert run.code == 0, run.stderr
    assert "image alias doc" not in run.stderr, run.stderr
    assert sorted(i["urnAlias"] for i in json.loads(run.stdout)) == sorted(i.alias for i in MARKETPLACE_IMAGES)


def test_vmss_create_in_a_group_that_does_not_exist_is_refused(served_az: ServedAz, public_key_file: str) -> None:
    code, _, stderr = _create(served_az, "no-such-rg", "lost", "Uniform", public_key_file)
    assert code != 0 and "ResourceGroupNotFound" in stderr, stderr
    assert "no-such-rg" not in served_az.read("list_resource_groups")
    assert "lost" not in {s.name for s in served_az.read("list_scale_sets")}


@pytest.mark.parametrize("mode, name", [("Uniform", "uni"), ("Flexible", "flex")])
def test_vmss_create_makes_a_set_and_its_network_in_a_new_group(served_az: ServedAz, public_key_file: str,
                                                                 mode: str, name: str) -> None:
    if LAB not in served_az.read("list_resource_groups"):
        assert served_az.az_json("group", "create", "-n", LAB, "-l", "westeurope")["name"] == LAB
    code, stdout, stderr = _create(served_az, LAB, name, mode, public_key_file)
    assert code == 0, stderr
    assert "image alias doc" not in stderr, stderr
    assert json.loads(stdout)["vmss"]["orchestrationMode"] == mode
    stored = served_az.read("get_scale_set", LAB, name)
    assert stored.orchestration_mode.value == mode and stored.capacity == 2
    assert len(served_az.read("list_instances", LAB, name)) == 2
    assert served_az.read("list_network_resources", "lb", LAB), "az vmss create made no load balancer"
    if mode == "Flexible":  # its VMs are az vm's
        assert len(served_az.az_json("vm", "list", "-g", LAB)) == 2


def test_group_delete_removes_every_set_vm_network_resource_and_deployment(served_az: ServedAz) -> None:
    assert served_az.read("list_deployments", LAB), "az vmss create deploys a vmss_deploy_* template"
    autoscale = served_az.az("monitor", "autoscale", "create", "-g", LAB, "--resource", "uni", "--resource-type",
                             "Microsoft.Compute/virtualMachineScaleSets", "--min-count", "1", "--max-count", "3",
                             "--count", "2", "-o", "none")
    assert autoscale.code == 0, autoscale.stderr
    run = served_az.az("group", "delete", "-n", LAB, "--yes")
    assert run.code == 0, run.stderr
    assert LAB not in served_az.read("list_resource_groups")
    assert not [s for s in served_az.read("list_scale_sets") if s.resource_group.lower() == LAB]
    assert served_az.az("group", "show", "-n", LAB).code != 0
    assert served_az.read("list_scale_sets"), "the practice estate's group is untouched"
    # A group of the same name made afterwards starts empty: nothing of the old one comes back.
    assert served_az.az("group", "create", "-n", LAB, "-l", "westeurope", "-o", "none").code == 0
    assert served_az.az_json("deployment", "group", "list", "-g", LAB) == []
    assert served_az.az_json("monitor", "autoscale", "list", "-g", LAB) == []
    assert served_az.az_json("vmss", "list", "-g", LAB) == []
    assert served_az.az_json("vm", "list", "-g", LAB) == []
    for kind in NETWORK_KINDS:
        assert served_az.read("list_network_resources", kind, LAB) == [], kind
    try:
        served_az.read("get_scale_set", LAB, "uni")
    except AzureError as error:
        assert error.code in ("ResourceNotFound", "NotFound"), error
    else:
        pytest.fail("the deleted group's set 'uni' is back")


def test_vmss_tui_group_delete_and_usage_see_the_same(served_az: ServedAz) -> None:
    usage = served_az.vmss_tui("--db", str(served_az.db), "usage", "--location", "westeurope", "-o", "json")
    assert usage.code == 0, usage.stderr
    ours = {u["name"]["value"]: u["currentValue"] for u in json.loads(usage.stdout)}
    azs = {u["name"]["value"]: int(u["currentValue"])
           for u in served_az.az_json("vm", "list-usage", "--location", "westeurope")}
    assert ours == azs
    deleted = served_az.vmss_tui("--db", str(served_az.db), "group", "delete", LAB, "--yes")
    assert deleted.code == 0, deleted.stderr
    assert LAB not in served_az.read("list_resource_groups")
    assert served_az.az("group", "show", "-n", LAB).code != 0
