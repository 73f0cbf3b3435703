"""The backend protocol is split by capability, and both backends implement every one of them.

Scale sets, instances, resource groups, autoscale, network, deployments and capacity reservations
are each a protocol of their own (`backends/protocol.py`); `Backend` is the core (scale sets and
instances, plus info, operations and close). A front end that needs one capability asks for it by
that protocol, so a backend (or a test double) can offer a part without pretending to offer all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vmss_tui.backends import protocol

CAPABILITIES = ("ScaleSets", "Instances", "ResourceGroups", "Autoscale", "Network", "Deployments",
                "CapacityReservations")


def test_scale_sets_and_instances_are_capabilities_of_their_own_and_backend_is_built_from_them() -> None:
    scale_sets, instances = protocol.ScaleSets, protocol.Instances  # type: ignore[attr-defined]
    assert {"list_scale_sets", "get_scale_set", "create_scale_set", "set_capacity", "delete_scale_set"} <= set(
        vars(scale_sets))
    assert {"list_instances", "get_instance", "power_action", "delete_instances", "set_protection"} <= set(
        vars(instances))
    assert not set(vars(scale_sets)) & {"list_instances", "power_action"}
    assert scale_sets in protocol.Backend.__mro__ and instances in protocol.Backend.__mro__


def test_an_object_with_only_instance_operations_is_instances_but_not_a_backend() -> None:
    class InstancesOnly:
        pass

    for name in vars(protocol.Instances):  # type: ignore[attr-defined]
        if not name.startswith("_"):
            setattr(InstancesOnly, name, lambda self, *a, **k: None)
    only = InstancesOnly()
    assert isinstance(only, protocol.Instances)  # type: ignore[attr-defined]
    assert not isinstance(only, protocol.ScaleSets)  # type: ignore[attr-defined]
    assert not isinstance(only, protocol.Backend)


@pytest.mark.parametrize("kind", ["emulator", "azure"])
def test_both_backends_implement_every_capability(kind: str, tmp_path: Path) -> None:
    from vmss_tui.backends import open_backend

    if kind == "emulator":
        backend = open_backend("emulator", db=tmp_path / "store", speed="instant")
    else:
        from vmss_tui.backends.azure.testing import StaticTokenCredential

        backend = open_backend("azure", subscription="00000000-0000-0000-0000-000000000000",
                               credential=StaticTokenCredential(), base_url="https://127.0.0.1:9")
    try:
        missing = [name for name in (*CAPABILITIES, "Backend") if not isinstance(backend, getattr(protocol, name))]
        assert missing == []
    finally:
        backend.close()
