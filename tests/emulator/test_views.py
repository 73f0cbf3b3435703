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
