"""The real Azure CLI drives `vmss-tui emulator serve` through `vmss-tui emulator az`, as a user types it.

One served practice estate (practice-rg: web Uniform x6, demo-set Flexible x2, batch Flexible x0)
for the module, signed in once; the tests run in file order and each checks the emulator's store
afterwards, not only az's exit code. Commands the endpoint does not serve yet are strict xfails
naming what they need, so they fail loudly (XPASS) the day it lands: then drop the mark.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.az.conftest import ServedAz
from vmss_tui.domain.models import PowerState, UpgradeMode

pytestmark = pytest.mark.slow
RG = "practice-rg"


def _web_ids(served: ServedAz) -> list[str]:
    return sorted((i.instance_id for i in served.read("list_instances", RG, "web")), key=int)


def _flexible_vm(served: ServedAz) -> str:
    return sorted(i.name for i in served.read("list_instances", RG, "demo-set"))[0]


# ------------------------------------------------------------------ sign-in


def test_az_login_signs_in_to_the_emulator_and_prints_the_shells_exports(served_az: ServedAz) -> None:
    run = served_az.vmss_tui("emulator", "az-login", "--state-dir", str(served_az.state_dir))
    assert run.code == 0, run.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in run.stdout.splitlines())
    assert exports["AZURE_CONFIG_DIR"] == str(served_az.state_dir / "az")
    assert exports["REQUESTS_CA_BUNDLE"] == str(served_az.state_dir / "ca.pem")
    assert exports["NO_PROXY"] == "127.0.0.1,localhost,::1" and exports["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    assert "signed in to the emulator" in run.stderr
    authority = json.loads((served_az.state_dir / "authority.json").read_text())
    profile = json.loads((served_az.state_dir / "az" / "azureProfile.json").read_text(encoding="utf-8-sig"))
    account = profile["subscriptions"][0]
    assert account["id"] == served_az.subscription and account["tenantId"] == authority["tenantId"]
    assert account["user"]["type"] == "servicePrincipal"
    assert account["user"]["name"] in {c["clientId"] for c in authority["clients"]}
    # The secret never appears on a command line or in what is printed.
    assert all(c["secret"] not in run.stdout + run.stderr for c in authority["clients"])
    assert not any("secret" in path.name for path in (served_az.state_dir / "az").iterdir())


def test_account_show_names_the_emulators_subscription_and_tenant(served_az: ServedAz) -> None:
    account = served_az.az_json("account", "show")
    tenant = json.loads((served_az.state_dir / "authority.json").read_text())["tenantId"]
    assert account["id"] == served_az.subscription and account["tenantId"] == tenant
    assert account["environmentName"] == "vmss-tui-emulator"
    assert account["name"] == served_az.read("info").subscription_name


def test_a_plain_az_login_service_principal_lists_the_subscriptions(served_az: ServedAz, tmp_path: Path) -> None:
    authority = json.loads((served_az.state_dir / "authority.json").read_text())
    client = authority["clients"][0]
    secret = tmp_path / "secret"
    secret.write_text(client["secret"])
    secret.chmod(0o600)
    run = served_az.az("login", "--service-principal", "-u", client["clientId"], f"--password=@{secret}",
                       "--tenant", authority["tenantId"], "-o", "json")
    accounts = run.json()
    assert [a["id"] for a in accounts] == [served_az.subscription]


def test_az_cannot_reach_anything_off_loopback_and_fails_at_once(served_az: ServedAz) -> None:
    run = served_az.az("rest", "--method", "get", "--url",
                       "https://management.azure.com/subscriptions?api-version=2022-12-01")
    assert run.code != 0
    assert "127.0.0.1', port=9" in run.stderr or "Connection refused" in run.stderr, run.stderr
    assert run.seconds < 60, f"az took {run.seconds:.0f} s to give up on a public address"


def test_azs_exit_code_and_its_own_options_pass_through(served_az: ServedAz) -> None:
    missing = served_az.az("vmss", "show", "-g", RG, "-n", "no-such-set")
    assert missing.code == 3 and "ResourceNotFound" in missing.stderr, missing.stderr  # az's code for a 404
    bogus = "11111111-2222-3333-4444-555555555555"
    other = served_az.az("account", "show", "--subscription", bogus)  # az's --subscription, not vmss-tui's
    assert other.code != 0 and bogus in other.stderr, other.stderr


# ------------------------------------------------------------------ reading


def test_vmss_list_and_show_match_the_store(served_az: ServedAz) -> None:
    listed = served_az.az_json("vmss", "list")
    stored = {s.name: s for s in served_az.read("list_scale_sets")}
    assert sorted(s["name"] for s in listed) == sorted(stored)
    web = served_az.az_json("vmss", "show", "-g", RG, "-n", "web")
    assert web["sku"]["capacity"] == stored["web"].capacity
    assert web["orchestrationMode"] == "Uniform" and web["id"] == stored["web"].id


def test_vmss_list_instances_and_instance_view_match_the_store(served_az: ServedAz) -> None:
    listed = served_az.az_json("vmss", "list-instances", "-g", RG, "-n", "web")
    assert sorted((i["instanceId"] for i in listed), key=int) == _web_ids(served_az)
    view = served_az.az_json("vmss", "get-instance-view", "-g", RG, "-n", "web", "--instance-id", "0")
    power = [s["code"] for s in view["statuses"] if s["code"].startswith("PowerState/")]
    assert power == [f"PowerState/{served_az.read('get_instance', RG, 'web', '0').power_state.value}"]


def test_vm_list_show_and_instance_view_of_a_flexible_sets_vms(served_az: ServedAz) -> None:
    listed = served_az.az_json("vm", "list", "-d", "-g", RG)
    stored = {i.name: i for i in served_az.read("list_instances", RG, "demo-set")}
    assert sorted(v["name"] for v in listed) == sorted(stored)
    assert all(v["powerState"] == "VM running" for v in listed)
    name = _flexible_vm(served_az)
    shown = served_az.az_json("vm", "show", "-g", RG, "-n", name)
    assert shown["id"] == stored[name].id
    assert shown["virtualMachineScaleSet"]["id"].endswith("/virtualMachineScaleSets/demo-set")


def test_vm_update_sets_a_tag_on_a_flexible_sets_vm(served_az: ServedAz) -> None:
    name = _flexible_vm(served_az)
    # A VM the set created has no tags object (Azure omits it), so az's `--set tags.k=v` has no parent to
    # walk into: the object is set whole first, as on Azure.
    first = served_az.az("vm", "update", "-g", RG, "-n", name, "--set", 'tags={"role": "worker"}')
    assert first.code == 0, first.stderr
    assert dict(served_az.read("get_instance", RG, "demo-set", name).tags) == {"role": "worker"}
    run = served_az.az("vm", "update", "-g", RG, "-n", name, "--set", "tags.role=web")
    assert run.code == 0, run.stderr
    assert dict(served_az.read("get_instance", RG, "demo-set", name).tags).get("role") == "web"
    assert served_az.az_json("vm", "show", "-g", RG, "-n", name, "--query", "tags")["role"] == "web"


# ------------------------------------------------------------------ changing scale sets


def test_vmss_scale_changes_the_capacity(served_az: ServedAz) -> None:
    assert served_az.az("vmss", "scale", "-g", RG, "-n", "web", "--new-capacity", "4").code == 0
    assert served_az.read("get_scale_set", RG, "web").capacity == 4
    assert len(_web_ids(served_az)) == 4


@pytest.mark.parametrize("command, state", [("stop", PowerState.STOPPED), ("start", PowerState.RUNNING),
                                            ("deallocate", PowerState.DEALLOCATED), ("start", PowerState.RUNNING),
                                            ("restart", PowerState.RUNNING)])
def test_vmss_power_commands_reach_the_instance(served_az: ServedAz, command: str, state: PowerState) -> None:
    target = _web_ids(served_az)[1]
    run = served_az.az("vmss", command, "-g", RG, "-n", "web", "--instance-ids", target)
    assert run.code == 0, run.stderr
    assert served_az.read("get_instance", RG, "web", target).power_state is state
    others = [i for i in served_az.read("list_instances", RG, "web") if i.instance_id != target]
    assert all(i.power_state is PowerState.RUNNING for i in others)


def test_vmss_reimage_of_the_whole_set_finishes(served_az: ServedAz) -> None:
    run = served_az.az("vmss", "reimage", "-g", RG, "-n", "web")
    assert run.code == 0, run.stderr
    assert all(i.power_state is PowerState.RUNNING for i in served_az.read("list_instances", RG, "web"))
    assert served_az.read("get_scale_set", RG, "web").provisioning_state.value == "Succeeded"


def test_vmss_reimage_of_some_instances(served_az: ServedAz) -> None:
    target = _web_ids(served_az)[0]
    run = served_az.az("vmss", "reimage", "-g", RG, "-n", "web", "--instance-ids", target)
    assert run.code == 0, run.stderr
    assert served_az.read("get_instance", RG, "web", target).power_state is PowerState.RUNNING


def test_vmss_update_protects_an_instance(served_az: ServedAz) -> None:
    target = _web_ids(served_az)[2]
    run = served_az.az("vmss", "update", "-g", RG, "-n", "web", "--instance-id", target,
                       "--protect-from-scale-in", "true")
    assert run.code == 0, run.stderr
    assert served_az.read("get_instance", RG, "web", target).protect_from_scale_in is True


def test_vmss_update_sets_the_upgrade_policy(served_az: ServedAz) -> None:
    run = served_az.az("vmss", "update", "-g", RG, "-n", "web", "--set", "upgradePolicy.mode=Automatic")
    assert run.code == 0, run.stderr
    assert served_az.read("get_scale_set", RG, "web").upgrade_policy is UpgradeMode.AUTOMATIC
    run = served_az.az("vmss", "update", "-g", RG, "-n", "web", "--set", "upgradePolicy.mode=Manual")
    assert run.code == 0 and served_az.read("get_scale_set", RG, "web").upgrade_policy is UpgradeMode.MANUAL


def test_vmss_update_sets_a_tag(served_az: ServedAz) -> None:
    profile_query = ("vmss", "show", "-g", RG, "-n", "web", "--query", "virtualMachineProfile", "-o", "json")
    profile_before = served_az.az(*profile_query).json()
    run = served_az.az("vmss", "update", "-g", RG, "-n", "web", "--set", "tags.env=test")
    assert run.code == 0, run.stderr
    assert dict(served_az.read("get_scale_set", RG, "web").tags).get("env") == "test"
    shown = served_az.az("vmss", "show", "-g", RG, "-n", "web", "--query", "tags", "-o", "json")
    assert shown.json().get("env") == "test"
    # az's generic update GETs the set and PUTs it back whole: the profile it read survives the round trip.
    assert served_az.az(*profile_query).json() == profile_before
    removed = served_az.az("vmss", "update", "-g", RG, "-n", "web", "--remove", "tags.env")
    assert removed.code == 0, removed.stderr
    assert "env" not in dict(served_az.read("get_scale_set", RG, "web").tags)


def test_vmss_update_instances_brings_an_instance_to_the_latest_model(served_az: ServedAz) -> None:
    # A model change (a new size) leaves every instance behind the model until it is upgraded.
    changed = served_az.az("vmss", "update", "-g", RG, "-n", "web", "--set", "sku.name=Standard_D4s_v3")
    assert changed.code == 0, changed.stderr
    target = _web_ids(served_az)[0]
    assert served_az.read("get_instance", RG, "web", target).latest_model_applied is False
    run = served_az.az("vmss", "update-instances", "-g", RG, "-n", "web", "--instance-ids", target)
    assert run.code == 0, run.stderr
    assert served_az.read("get_instance", RG, "web", target).latest_model_applied is True


def test_vmss_delete_instances_removes_them(served_az: ServedAz) -> None:
    before = _web_ids(served_az)
    unprotected = [i.instance_id for i in served_az.read("list_instances", RG, "web") if not i.protect_from_scale_in]
    target = sorted(unprotected, key=int)[-1]
    run = served_az.az("vmss", "delete-instances", "-g", RG, "-n", "web", "--instance-ids", target)
    assert run.code == 0, run.stderr
    assert _web_ids(served_az) == [i for i in before if i != target]
    assert served_az.read("get_scale_set", RG, "web").capacity == len(before) - 1


def test_vmss_list_skus_lists_sizes_the_set_can_take(served_az: ServedAz) -> None:
    skus = served_az.az_json("vmss", "list-skus", "-g", RG, "-n", "web")
    assert any(s["sku"]["name"] == served_az.read("get_scale_set", RG, "web").vm_size for s in skus)


# ------------------------------------------------------------------ Flexible VMs


def test_vm_stop_start_and_instance_view_of_a_flexible_vm(served_az: ServedAz) -> None:
    name = _flexible_vm(served_az)

    def stored() -> PowerState:
        return next(i for i in served_az.read("list_instances", RG, "demo-set") if i.name == name).power_state

    assert served_az.az("vm", "stop", "-g", RG, "-n", name).code == 0
    assert stored() is PowerState.STOPPED
    view = served_az.az_json("vm", "get-instance-view", "-g", RG, "-n", name)
    assert "PowerState/stopped" in [s["code"] for s in view["instanceView"]["statuses"]]
    assert served_az.az("vm", "start", "-g", RG, "-n", name).code == 0
    assert stored() is PowerState.RUNNING


# ------------------------------------------------------------------ groups and rest


def test_group_list_and_show(served_az: ServedAz) -> None:
    names = [g["name"] for g in served_az.az_json("group", "list")]
    assert sorted(names) == sorted(served_az.read("list_resource_groups"))
    assert served_az.az_json("group", "show", "-n", RG)["name"] == RG


def test_group_create_makes_a_group_in_the_store(served_az: ServedAz) -> None:
    created = served_az.az_json("group", "create", "-n", "az-rg", "-l", "westeurope")
    assert created["name"] == "az-rg"
    assert "az-rg" in served_az.read("list_resource_groups")


def test_az_rest_reads_the_endpoint_with_its_token(served_az: ServedAz) -> None:
    answer = served_az.az_json("rest", "--method", "get", "--url",
                               f"/subscriptions/{served_az.subscription}?api-version=2022-12-01")
    assert answer["subscriptionId"] == served_az.subscription
    path = f"/subscriptions/{served_az.subscription}/resourceGroups/{RG}/providers/Microsoft.Compute/" \
           "virtualMachineScaleSets/web/powerOff?api-version=2024-07-01"
    run = served_az.az("rest", "--method", "post", "--url", path, "--body", json.dumps({"instanceIds": ["0"]}))
    assert run.code == 0, run.stderr
    deadline = time.monotonic() + 60
    while served_az.read("get_instance", RG, "web", "0").power_state is not PowerState.STOPPED:
        assert time.monotonic() < deadline, "the powerOff sent by az rest never reached instance 0"
        time.sleep(0.2)


def test_changes_made_with_az_are_audited_under_the_signed_in_client(served_az: ServedAz) -> None:
    from vmss_tui.admin import audit

    records, _ = audit.read(served_az.state_dir.parent / "data" / "vmss-tui" / "audit.jsonl")
    authority = json.loads((served_az.state_dir / "authority.json").read_text())
    names = {c["name"] for c in authority["clients"]}
    changes = [r for r in records if r.command.startswith(("POST", "PUT", "PATCH", "DELETE"))]
    assert changes, "no change made through az reached the audit trail"
    assert {r.operator for r in changes} <= names


# ------------------------------------------------------------------ last: deleting


def test_vmss_delete_removes_the_set(served_az: ServedAz) -> None:
    assert served_az.az("vmss", "delete", "-g", RG, "-n", "batch").code == 0
    assert "batch" not in {s.name for s in served_az.read("list_scale_sets")}
    assert served_az.az("vmss", "show", "-g", RG, "-n", "batch").code != 0
