"""Issue 10, class 2: one name rule at every door, and a store that never reaches outside its root.

`show ../../../victim/notes` used to open (and, being unparsable, rename) a file outside the store;
a name ending in a newline passed the `$`-anchored pattern; NUL and 300-character names ended in
"internal error". Every door (the one-shot CLI, the REPL's command layer, the ARM endpoint's
backend calls) and the store itself now refuse such names with Azure's error code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vmss_tui import cli
from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.store import Store
from vmss_tui.domain import errors, names
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec, VmSpec

VICTIM_BYTES = b"operator notes: not JSON, must never be moved\n"


@pytest.fixture
def store_and_victim(tmp_path: Path) -> tuple[Path, Path]:
    """A store with one set in `rg`, and a file outside it where a traversal would land."""
    store = tmp_path / "store"
    backend = open_backend("emulator", db=store, speed="instant", durable=False)
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    victim = tmp_path / "victim" / "notes.json"
    victim.parent.mkdir()
    victim.write_bytes(VICTIM_BYTES)
    return store, victim


def _run(capsys: pytest.CaptureFixture[str], store: Path, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--db", str(store), "--speed", "instant", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


TRAVERSALS = [
    ("show", "-g", "rg", "../../../victim/notes"),
    ("show", "-g", "../../victim", "notes"),
    ("instances", "-g", "rg", "../../../victim/notes"),
    ("scale", "-g", "rg", "../../../victim/notes", "3", "--yes"),
    ("delete", "-g", "rg", "../../../victim/notes", "--yes"),
    ("start", "-g", "rg", "../../../victim/notes"),
    ("fd-map", "-g", "rg", "../../../victim/notes"),
]


@pytest.mark.parametrize("argv", TRAVERSALS, ids=[" ".join(a) for a in TRAVERSALS])
def test_a_traversal_name_is_refused_and_the_outside_file_is_untouched(store_and_victim, capsys, argv):
    store, victim = store_and_victim
    code, _out, err = _run(capsys, store, *argv)
    assert victim.read_bytes() == VICTIM_BYTES, "a file outside the store was changed"
    assert sorted(p.name for p in victim.parent.iterdir()) == ["notes.json"], "something was moved next to it"
    assert code == 2, err
    assert err.startswith("ERROR: (InvalidResourceName)") or err.startswith("ERROR: (InvalidResourceGroupName)"), err
    assert "internal error" not in err and err.count("\n") == 1


@pytest.mark.parametrize("bad", ["web\n", "web\x00", "w" * 300, "web/../x", "..", "web.", "web\t", "wéb", "_web"])
def test_bad_scale_set_names_get_one_line_with_azures_code_and_exit_2(store_and_victim, capsys, bad):
    store, _victim = store_and_victim
    code, _out, err = _run(capsys, store, "show", "-g", "rg", bad)
    assert code == 2, err
    assert err.startswith("ERROR: (InvalidResourceName)"), err
    assert err.count("\n") == 1 and "\x00" not in err and "internal error" not in err
    code, _out, err = _run(capsys, store, "create", bad, "-g", "rg", "--mode", "uniform", "--capacity", "1")
    assert code == 2 and err.startswith("ERROR: (InvalidResourceName)"), err


@pytest.mark.parametrize("bad", ["rg\n", "rg\x00", "r" * 91, "rg.", "r/g", "..", "r g", "r\u202eg"])
def test_bad_resource_group_names_get_invalid_resource_group_name(store_and_victim, capsys, bad):
    store, _victim = store_and_victim
    code, _out, err = _run(capsys, store, "list", "-g", bad)
    assert code == 2, err
    assert err.startswith("ERROR: (InvalidResourceGroupName)"), err
    assert err.count("\n") == 1 and "internal error" not in err


def test_names_azure_accepts_still_work(tmp_path):
    backend = open_backend("emulator", db=tmp_path / "s", speed="instant", durable=False)
    group = "Prod_(eu).rg-" + "é" * 5   # resource groups take parentheses and Unicode letters
    backend.create_or_update_resource_group(group, "westeurope")
    backend.create_or_update_resource_group("r" * 90, "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="a" * 64, resource_group=group,
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    backend.create_scale_set(ScaleSetSpec(name="flex_1", resource_group="r" * 90,
                                          orchestration_mode=OrchestrationMode.FLEXIBLE, capacity=0,
                                          with_vm_profile=False))
    assert backend.get_scale_set(group, "A" * 64).capacity == 1
    backend.add_vm("r" * 90, "flex_1", VmSpec(name="vm.1-a_"))
    assert [i.instance_id for i in backend.list_instances("r" * 90, "flex_1")] == ["vm.1-a_"]


def test_the_backend_refuses_bad_names_at_every_entry_point(tmp_path):
    """The ARM endpoint and the TUI call the backend directly: it checks names itself."""
    backend = open_backend("emulator", db=tmp_path / "s", speed="instant", durable=False)
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    bad = "../../x"
    calls = [
        lambda: backend.get_scale_set("rg", bad),
        lambda: backend.list_instances("rg", bad),
        lambda: backend.list_scale_sets(bad),
        lambda: backend.set_capacity("rg", bad, 1),
        lambda: backend.delete_scale_set(bad, "web"),
        lambda: backend.plan_capacity("rg", bad, 1),
        lambda: backend.get_instance("rg", "web", "0\n"),
        lambda: backend.delete_instances("rg", "web", ["../0"]),
        lambda: backend.add_vm("rg", "web", VmSpec(name="vm\x00")),
        lambda: backend.create_scale_set(ScaleSetSpec(name="ok", resource_group="rg", image="Ubuntu2204\x1b]0;pwn\x07",
                                                      orchestration_mode=OrchestrationMode.UNIFORM)),
        lambda: backend.create_scale_set(ScaleSetSpec(name="ok", resource_group="rg", computer_name_prefix="a\nb",
                                                      orchestration_mode=OrchestrationMode.UNIFORM)),
    ]
    for call in calls:
        with pytest.raises(errors.AzureError) as raised:
            call()
        assert raised.value.http_status == 400, raised.value
        assert raised.value.code in ("InvalidResourceName", "InvalidResourceGroupName", "InvalidParameter")
        assert "\n" not in str(raised.value) and "\x00" not in str(raised.value)


def test_validators_use_full_matches_and_azure_lengths():
    assert names.validate_scale_set_name("web") == "web"
    for bad in ("web\n", "web\r\n", "", "a" * 65, "_web", "web-", "we b", "web\u0000"):
        with pytest.raises(errors.AzureError) as raised:
            names.validate_scale_set_name(bad)
        assert raised.value.code == "InvalidResourceName"
    assert names.validate_resource_group_name("a" * 90) == "a" * 90
    with pytest.raises(errors.AzureError):
        names.validate_resource_group_name("a" * 91)
    assert names.validate_instance_id("12", uniform=True) == "12"
    for bad in ("1a", "-1", "1\n", "٣"):  # Arabic-Indic three is a Unicode digit, not an instance id
        with pytest.raises(errors.AzureError):
            names.validate_instance_id(bad, uniform=True)
    assert names.validate_image_reference("Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest")
    for bad in ("Ubuntu2204\n", "a:b:c:d\x1b[2J", "x" * 1025, "a:b:c", ""):
        with pytest.raises(errors.AzureError) as raised:
            names.validate_image_reference(bad)
        assert raised.value.code == "InvalidParameter"
    with pytest.raises(errors.AzureError):
        names.validate_computer_name_prefix("a" * 16)
    with pytest.raises(errors.AzureError):
        names.validate_computer_name_prefix("123", windows=True)


@pytest.mark.parametrize("key", ["../outside", "sets/rg/../../../outside", "/etc/passwd", "sets/rg/\x00x",
                                 "sets\\..\\x", "sets//x", "sets/./x", ""])
def test_the_store_refuses_a_key_that_would_leave_its_root(tmp_path, key):
    store = Store(tmp_path / "store", durable=False)
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"{}")
    with pytest.raises(errors.AzureError) as raised:
        store.path_for(key)
    assert raised.value.code == "InvalidStoreKey"
    with pytest.raises(errors.AzureError):
        with store.snapshot() as txn:
            txn.view(key)
    with pytest.raises(errors.AzureError):
        with store.transaction() as txn:
            txn.db(key).table("t").insert({"x": 1})
    assert outside.read_bytes() == b"{}"


def test_the_store_refuses_a_symlinked_directory_leading_outside(tmp_path):
    store = Store(tmp_path / "store", durable=False)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "store" / "sets").mkdir()
    (tmp_path / "store" / "sets" / "rg").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(errors.AzureError) as raised:
        with store.transaction() as txn:
            txn.db("sets/rg/web").table("t").insert({"x": 1})
    assert raised.value.code == "InvalidStoreKey"
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_reader_never_moves_an_unparsable_file(tmp_path):
    backend = open_backend("emulator", db=tmp_path / "s", speed="instant", durable=False)
    backend.create_or_update_resource_group("rg", "westeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    shard = tmp_path / "s" / "sets" / "rg" / "web.json"
    shard.write_bytes(b"{broken")
    before = sorted(p.name for p in shard.parent.iterdir())
    fresh = open_backend("emulator", db=tmp_path / "s", speed="instant", durable=False)
    with pytest.raises(errors.AzureError):
        fresh.get_scale_set("rg", "web")
    fresh.list_scale_sets()
    assert sorted(p.name for p in shard.parent.iterdir()) == before
    assert shard.read_bytes() == b"{broken"
