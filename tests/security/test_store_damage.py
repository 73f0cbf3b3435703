"""Issue 10, class 5: a damaged store is never silently reset, and nothing stored is dropped.

Each test here failed on the code before the fix: an empty `subscription.json` was a first run
(new subscription id, groups and quotas gone), a corrupt set vanished after the first reader moved
it aside and `create` reused its name, a second quota overwrote the first (a TinyDB doc_id reused
after `truncate`), and a full or read-only disk gave "internal error" and left temp files behind.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from vmss_tui import cli
from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator import store as store_module
from vmss_tui.domain import errors
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec


def _estate(root: Path) -> str:
    """Two groups, two sets and a quota; returns the subscription id."""
    backend = open_backend("emulator", db=root, speed="instant", durable=False)
    backend.create_or_update_resource_group("rg-a", "westeurope")
    backend.create_or_update_resource_group("rg-b", "northeurope")
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg-a", location="westeurope",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=2))
    backend.create_scale_set(ScaleSetSpec(name="api", resource_group="rg-b", location="northeurope",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    backend.set_quota("westeurope", "standardDSv3Family", 40)
    return backend.info().subscription_id


def _run(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--db", str(root), "--speed", "instant", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- the subscription shard ---------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["empty", "missing", "blank-object", "garbage"])
def test_a_damaged_subscription_shard_next_to_sets_is_a_loud_error_not_a_first_run(tmp_path, capsys, damage):
    root = tmp_path / "store"
    _estate(root)
    meta = root / "subscription.json"
    if damage == "empty":
        meta.write_bytes(b"")
    elif damage == "missing":
        meta.unlink()
    elif damage == "blank-object":
        meta.write_bytes(b"{}")
    else:
        meta.write_bytes(b"\x00\x00\x00")
    damaged_bytes = meta.read_bytes() if meta.exists() else None
    code, out, err = _run(capsys, root, "list")
    assert code == 1, (out, err)
    assert err.startswith("ERROR: (StoreDamaged)") and err.count("\n") == 1, err
    assert "vmss-tui emulator check" in err
    # Nothing was rewritten: no new subscription appeared, the damaged bytes are as they were.
    assert (meta.read_bytes() if meta.exists() else None) == damaged_bytes
    assert (root / "sets" / "rg-a" / "web.json").exists()


def test_emulator_check_reports_and_repair_rebuilds_keeping_the_damaged_file(tmp_path, capsys):
    root = tmp_path / "store"
    subscription_id = _estate(root)
    meta = root / "subscription.json"
    meta.write_bytes(b"")
    code, out, err = _run(capsys, root, "emulator", "check")
    assert code == 1
    assert "subscription.json" in out and "damaged" in out.lower()
    assert meta.read_bytes() == b"", "check without --repair changed the store"
    code, out, err = _run(capsys, root, "emulator", "check", "--repair")
    assert code == 0, (out, err)
    kept = list(root.glob("subscription.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b""
    backend = open_backend("emulator", db=root, speed="instant")
    assert backend.info().subscription_id == subscription_id, "the subscription id was not recovered from the sets"
    assert backend.list_resource_groups() == ["rg-a", "rg-b"]
    assert {s.name for s in backend.list_scale_sets()} == {"web", "api"}
    assert "quota" in out.lower()  # quotas cannot be rebuilt: the report says so
    code, out, err = _run(capsys, root, "emulator", "check")
    assert code == 0, out


# --- a corrupt set ---------------------------------------------------------------------------------

def test_a_corrupt_set_stays_visible_as_damaged_for_everyone_and_its_name_is_not_reused(tmp_path, capsys):
    root = tmp_path / "store"
    _estate(root)
    shard = root / "sets" / "rg-a" / "web.json"
    shard.write_bytes(shard.read_bytes()[:40])
    for _reader in range(3):  # the first reader used to move it aside; the others then saw nothing
        backend = open_backend("emulator", db=root, speed="instant")
        listed = {s.name: s for s in backend.list_scale_sets()}
        assert set(listed) == {"web", "api"}
        assert str(listed["web"].provisioning_state) == "Damaged"
        assert str(listed["api"].provisioning_state) == "Succeeded"
    code, out, err = _run(capsys, root, "list", "-o", "json")
    assert code == 0 and '"Damaged"' in out, (out, err)
    code, out, err = _run(capsys, root, "show", "-g", "rg-a", "web")
    assert code == 1 and err.startswith("ERROR: (StoreDamaged)") and err.count("\n") == 1, err
    code, out, err = _run(capsys, root, "create", "web", "-g", "rg-a", "--mode", "uniform", "--capacity", "1")
    assert code == 1 and err.startswith("ERROR: (StoreDamaged)"), err
    code, out, err = _run(capsys, root, "scale", "-g", "rg-a", "web", "5", "--yes")
    assert code == 1 and err.startswith("ERROR: (StoreDamaged)"), err
    assert shard.read_bytes() == shard.read_bytes()[:40]


def test_the_endpoint_sees_a_damaged_set(tmp_path):
    from vmss_tui.armserver.app import ArmApp  # noqa: PLC0415 - the endpoint is optional here

    root = tmp_path / "store"
    _estate(root)
    (root / "sets" / "rg-a" / "web.json").write_bytes(b"{")
    backend = open_backend("emulator", db=root, speed="instant")
    app = ArmApp(backend)
    sub = backend.info().subscription_id
    base = f"/subscriptions/{sub}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachineScaleSets"
    headers = {"Authorization": "Bearer x"}
    listed = app.handle("GET", base + "?api-version=2024-07-01", headers, b"", "https://h")
    assert listed.status == 200
    assert [v["properties"]["provisioningState"] for v in listed.body["value"]] == ["Damaged"]
    shown = app.handle("GET", base + "/web?api-version=2024-07-01", headers, b"", "https://h")
    assert shown.body["error"]["code"] == "StoreDamaged"


def test_check_repair_can_discard_a_damaged_set_keeping_its_file(tmp_path, capsys):
    root = tmp_path / "store"
    _estate(root)
    shard = root / "sets" / "rg-a" / "web.json"
    shard.write_bytes(b"{")
    code, out, err = _run(capsys, root, "emulator", "check")
    assert code == 1 and "rg-a/web" in out
    code, out, err = _run(capsys, root, "emulator", "check", "--repair", "--discard", "rg-a/web")
    assert code == 0, (out, err)
    kept = list(shard.parent.glob("web.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"{"
    backend = open_backend("emulator", db=root, speed="instant")
    assert [s.name for s in backend.list_scale_sets()] == ["api"]
    backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg-a",
                                          orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))


def test_a_set_moved_aside_by_an_older_version_is_still_listed_as_damaged(tmp_path):
    root = tmp_path / "store"
    _estate(root)
    shard = root / "sets" / "rg-a" / "web.json"
    os.replace(shard, shard.with_name("web.corrupt-20260301T090000.json.bad"))
    backend = open_backend("emulator", db=root, speed="instant")
    listed = {s.name: str(s.provisioning_state) for s in backend.list_scale_sets()}
    assert listed == {"web": "Damaged", "api": "Succeeded"}
    with pytest.raises(errors.AzureError) as raised:
        backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rg-a",
                                              orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    assert raised.value.code == "StoreDamaged"


# --- nothing dropped by a later write ------------------------------------------------------------

def test_two_quotas_set_one_after_the_other_are_both_kept(tmp_path, capsys):
    root = tmp_path / "store"
    code, _out, err = _run(capsys, root, "emulator", "quota", "--set", "standardDSv3Family=40", "-o", "json")
    assert code == 0, err
    code, out, err = _run(capsys, root, "emulator", "quota", "--set", "standardBSFamily=20", "-o", "json")
    assert code == 0, err
    limits = {row["family"]: row["limit"] for row in _quota_rows(root)}
    assert limits == {"standardDSv3Family": 40, "standardBSFamily": 20}


def _quota_rows(root: Path) -> list[dict]:
    backend = open_backend("emulator", db=root, speed="instant")
    with backend.store.snapshot() as txn:
        return [dict(r) for r in txn.db("subscription").table("quotas").all()]


def test_reinserting_documents_read_back_never_overwrites_another(tmp_path):
    """The store's tables renumber on insert: a read-back document keeps no stale doc_id."""
    store = store_module.Store(tmp_path / "s", durable=False)
    with store.transaction() as txn:
        txn.db("k").table("t").insert({"n": 1})
    with store.transaction() as txn:
        table = txn.db("k").table("t")
        rows = list(table.all()) + [{"n": 2}]
        table.truncate()
        table.insert_multiple(rows)
    with store.snapshot() as txn:
        assert sorted(r["n"] for r in txn.db("k").table("t").all()) == [1, 2]


# --- a full disk, a read-only store ----------------------------------------------------------------

def _fail_with(monkeypatch: pytest.MonkeyPatch, code: int, what: str, root: Path) -> None:
    """Make os.write or os.fsync fail with `code` on files inside the store (the audit trail still works)."""
    real = getattr(os, what)

    def failing(fd, *args, **kwargs):
        if str(root) in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(code, os.strerror(code))
        return real(fd, *args, **kwargs)

    monkeypatch.setattr(store_module.os, what, failing)


@pytest.mark.parametrize("what", ["fsync", "write"])
def test_a_full_disk_is_one_clear_line_and_leaves_no_temp_file(tmp_path, capsys, monkeypatch, what):
    root = tmp_path / "store"
    _estate(root)
    before = {p: p.read_bytes() for p in root.rglob("*.json")}
    _fail_with(monkeypatch, errno.ENOSPC, what, root)
    code, out, err = _run(capsys, root, "scale", "-g", "rg-a", "web", "5", "--yes")
    assert code == 1, (out, err)
    assert err.startswith("ERROR: (StoreWriteFailed)") and "No space left on device" in err, err
    assert err.count("\n") == 1 and "internal error" not in err
    assert not list(root.rglob("*.tmp")), "a temp file was left behind"
    assert {p: p.read_bytes() for p in root.rglob("*.json")} == before, "a failed write changed the store"


def test_a_failed_write_of_one_shard_leaves_every_shard_of_the_transaction_as_it_was(tmp_path, monkeypatch):
    root = tmp_path / "store"
    _estate(root)
    before = {p: p.read_bytes() for p in root.rglob("*.json")}
    real_fsync = os.fsync
    calls = []

    def fsync_then_fail(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(store_module.os, "fsync", fsync_then_fail)
    backend = open_backend("emulator", db=root, speed="instant")  # durable: fsyncs every file
    with pytest.raises(errors.AzureError) as raised:
        backend.create_scale_set(ScaleSetSpec(name="new", resource_group="rg-a",
                                              orchestration_mode=OrchestrationMode.UNIFORM, capacity=1))
    assert raised.value.code == "StoreWriteFailed"
    assert {p: p.read_bytes() for p in root.rglob("*.json")} == before
    assert not list(root.rglob("*.tmp"))


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_read_only_store_still_lists_and_refuses_changes_in_one_line(tmp_path, capsys, monkeypatch, code):
    root = tmp_path / "store"
    _estate(root)
    (root / "sets" / "rg-a" / "web.json.4242.tmp").write_bytes(b"x" * 1000)  # a stale temp of a dead writer
    real_open = os.open

    def read_only_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(root) in str(path):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(store_module.os, "open", read_only_open)
    monkeypatch.setattr("builtins.open", _read_only_builtin_open(code, root))
    exit_code, out, err = _run(capsys, root, "list", "-o", "json")
    assert exit_code == 0, err
    assert '"web"' in out and '"api"' in out
    exit_code, out, err = _run(capsys, root, "scale", "-g", "rg-a", "web", "3", "--yes")
    assert exit_code == 1
    assert err.startswith("ERROR: (StoreWriteFailed)") and err.count("\n") == 1, err
    assert "internal error" not in err


def _read_only_builtin_open(code: int, root: Path):
    import builtins

    real = builtins.open

    def opener(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in ("w", "a", "x", "+")) and str(root) in str(file):
            raise OSError(code, os.strerror(code), str(file))
        return real(file, mode, *args, **kwargs)

    return opener
