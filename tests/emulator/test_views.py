"""Instance views: the fast build equals the dataclass's own constructor, and a refresh after a change
rebuilds only the instances that changed."""

from __future__ import annotations

import dataclasses

from vmss_tui.domain.models import Instance, PowerAction, PowerState, ScaleSetUpdate, VmSpec

from ._support import RG, finish, flexible_spec, uniform_spec


def _rebuilt_by_constructor(instance: Instance) -> Instance:
    return Instance(**{field.name: getattr(instance, field.name) for field in dataclasses.fields(Instance)})


def test_every_field_of_a_built_view_is_set_and_equal_to_the_constructors(open_emulator) -> None:
    backend = open_emulator()
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2, zones=("1", "2"))))
    finish(backend, backend.create_scale_set(flexible_spec("flex")))
    finish(backend, backend.add_vm(RG, "flex", VmSpec(name="vm1", priority="Spot")))
    for name in ("web", "flex"):
        for view in backend.list_instances(RG, name):
            rebuilt = _rebuilt_by_constructor(view)  # AttributeError if a field was left out
            assert rebuilt == view and hash(rebuilt) == hash(view)
            assert vars(view).keys() == {field.name for field in dataclasses.fields(Instance)}


def test_after_a_change_to_some_instances_only_their_views_are_new(open_emulator) -> None:
    backend = open_emulator()
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=6)))
    before = {view.instance_id: view for view in backend.list_instances(RG, "web")}
    finish(backend, backend.power_action(RG, "web", PowerAction.POWER_OFF, ["1", "4"]))
    after = {view.instance_id: view for view in backend.list_instances(RG, "web")}
    assert {i for i, view in after.items() if view.power_state is PowerState.STOPPED} == {"1", "4"}
    assert {i for i in after if after[i] is not before[i]} == {"1", "4"}  # the other four are reused as they are


def test_a_model_change_of_the_set_rebuilds_every_view(open_emulator) -> None:
    backend = open_emulator()
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=2)))
    assert all(view.latest_model_applied for view in backend.list_instances(RG, "web"))
    finish(backend, backend.update_scale_set(RG, "web", ScaleSetUpdate(vm_size="Standard_D4s_v3")))
    assert not any(view.latest_model_applied for view in backend.list_instances(RG, "web"))


def test_views_carried_over_a_change_of_state_equal_views_built_afresh(open_emulator) -> None:
    backend = open_emulator()
    finish(backend, backend.create_scale_set(uniform_spec("web", capacity=4)))
    backend.set_protection(RG, "web", ["2"], protect_from_scale_in=True)
    before = backend.list_instances(RG, "web")
    finish(backend, backend.power_action(RG, "web", PowerAction.DEALLOCATE, None))
    carried = backend.list_instances(RG, "web")  # state copied onto the earlier views
    fresh = open_emulator().list_instances(RG, "web")  # another backend: nothing cached, every view built
    assert carried == fresh
    assert all(view.power_state is PowerState.DEALLOCATED for view in carried)
    assert [view.protect_from_scale_in for view in carried] == [view.protect_from_scale_in for view in before]
    for view in carried:
        assert _rebuilt_by_constructor(view) == view


def _write_instance_fields(backend, set_name: str, instance_id: str, **fields: object) -> None:
    """Change one instance's stored record as another process would: straight in the store, nothing else."""
    from vmss_tui.backends.emulator.compute.shard import load, save, set_key

    with backend.ctx.store.transaction() as txn:
        shard = load(txn, set_key(RG, set_name))
        record = next(doc for doc in shard.instances if doc["instance_id"] == instance_id)
        record.update(fields)
        save(txn, shard)


def test_a_record_changed_by_another_process_in_any_field_is_seen_on_the_next_list(open_emulator) -> None:
    """Every stored field counts, not a list of them: a public IP or NIC written alone (the network room does)
    reaches the next view of a long-running reader that already built the instance."""
    reader = open_emulator()  # the TUI or endpoint: it keeps views between reads
    finish(reader, reader.create_scale_set(uniform_spec("web", capacity=3)))
    assert [view.public_ip for view in reader.list_instances(RG, "web")] == [None, None, None]
    writer = open_emulator()  # another process
    _write_instance_fields(writer, "web", "1", pub="20.1.2.3", nic="/subscriptions/x/nic-1")
    after = {view.instance_id: view for view in reader.list_instances(RG, "web")}
    assert (after["1"].public_ip, after["1"].nic_id) == ("20.1.2.3", "/subscriptions/x/nic-1")
    assert after["1"] == next(v for v in open_emulator().list_instances(RG, "web") if v.instance_id == "1")
    _write_instance_fields(writer, "web", "2", tags={"team": "blue"})
    assert next(v for v in reader.list_instances(RG, "web") if v.instance_id == "2").tags == (("team", "blue"),)


def test_every_stored_field_of_an_instance_reaches_its_view_after_a_change(open_emulator) -> None:
    """Whatever field of a record changes (besides its state), the next list builds that view again: equal to a
    view built afresh by another process, never the earlier view carried over."""
    reader = open_emulator()
    finish(reader, reader.create_scale_set(uniform_spec("web", capacity=2)))
    reader.list_instances(RG, "web")
    writer = open_emulator()
    changes = {"name": "web_renamed", "computer_name": "web-renamed", "zone": "3", "fd": 4, "ud": 7,
               "created": 1_700_000_000.0, "by_set": False, "protect_scale_in": True, "protect_actions": True,
               "priority": "Spot", "vm_id": "0f0f0f0f-0000-0000-0000-000000000000", "ip": "10.0.0.9",
               "ep": "20.0.0.1:50001", "pub": "20.0.0.2", "nic": "/subscriptions/x/nic-0", "tags": {"a": "b"}}
    for key, value in changes.items():
        before = next(v for v in reader.list_instances(RG, "web") if v.instance_id == "0")
        _write_instance_fields(writer, "web", "0", **{key: value})
        seen = next(v for v in reader.list_instances(RG, "web") if v.instance_id == "0")
        fresh = next(v for v in open_emulator().list_instances(RG, "web") if v.instance_id == "0")
        assert seen == fresh and seen != before, key


def test_the_view_cache_keeps_a_few_sets_and_only_the_instances_of_their_last_read(open_emulator) -> None:
    """Bounded in a long-running TUI or endpoint: a few sets, and per set only the instances it has now."""
    from vmss_tui.backends.emulator.compute.view_cache import DEFAULT_SETS_KEPT

    backend = open_emulator()
    names = [f"web{index}" for index in range(DEFAULT_SETS_KEPT + 2)]
    for name in names:
        finish(backend, backend.create_scale_set(uniform_spec(name, capacity=2)))
        backend.list_instances(RG, name)
    cache = backend.compute._views
    assert len(cache._entries) == DEFAULT_SETS_KEPT
    finish(backend, backend.create_scale_set(uniform_spec("big", capacity=6)))
    backend.list_instances(RG, "big")
    finish(backend, backend.delete_instances(RG, "big", ["0", "1", "2", "3"]))
    assert [view.instance_id for view in backend.list_instances(RG, "big")] == ["4", "5"]
    assert len(cache._entries) == DEFAULT_SETS_KEPT
    assert sorted(next(entry for key, entry in cache._entries.items() if key.endswith("/big")).memo) == ["4", "5"]
