"""Network resources keep their tags, as every ARM resource does (issue 12: "keep tags on every resource").

Before, a PUT with tags answered 200/201 and the tags were silently dropped (the body went through the
domain values, which have no tags): `az network nsg create --tags env=dev` showed none, and `az network
nsg update --set tags.x=y` succeeded and changed nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.domain.errors import AzureError

RG = "tags-rg"
BODIES: dict[str, dict[str, Any]] = {
    "nsg": {"location": "westeurope", "properties": {}},
    "vnet": {"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}},
    "public-ip": {"location": "westeurope", "sku": {"name": "Standard"},
                  "properties": {"publicIPAllocationMethod": "Static"}},
    "lb": {"location": "westeurope", "sku": {"name": "Standard"}, "properties": {}},
}


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Any]:
    emulator = open_backend("emulator", db=tmp_path / "store", speed="instant")
    emulator.create_or_update_resource_group(RG, "westeurope")
    try:
        yield emulator
    finally:
        emulator.close()


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_put_keeps_its_tags_and_a_later_put_replaces_them(backend: Any, kind: str) -> None:
    body = dict(BODIES[kind], tags={"env": "dev", "team": "blue"})
    created, was_created = backend.put_network_resource(kind, RG, f"t-{kind}", body)
    assert was_created and created["tags"] == {"env": "dev", "team": "blue"}
    assert backend.get_network_resource(kind, RG, f"t-{kind}")["tags"] == {"env": "dev", "team": "blue"}
    listed = {r["name"]: r for r in backend.list_network_resources(kind, RG)}
    assert listed[f"t-{kind}"]["tags"] == {"env": "dev", "team": "blue"}
    # az's generic update GETs the resource and PUTs it back whole with the changed tags.
    again = dict(backend.get_network_resource(kind, RG, f"t-{kind}"), tags={"env": "prod"})
    backend.put_network_resource(kind, RG, f"t-{kind}", again)
    assert backend.get_network_resource(kind, RG, f"t-{kind}")["tags"] == {"env": "prod"}
    # A PUT without tags replaces them with none (a PUT is the whole resource).
    backend.put_network_resource(kind, RG, f"t-{kind}", BODIES[kind])
    assert "tags" not in backend.get_network_resource(kind, RG, f"t-{kind}")


def test_tags_are_checked_as_every_door_checks_them_and_nothing_is_stored(backend: Any) -> None:
    with pytest.raises(AzureError) as refused:
        backend.put_network_resource("nsg", RG, "bad", dict(BODIES["nsg"], tags={"a<b": "x"}))
    assert refused.value.code == "InvalidParameter"
    assert [r["name"] for r in backend.list_network_resources("nsg", RG)] == []


def test_tags_survive_the_emulators_own_changes_to_the_resource(backend: Any) -> None:
    from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec
    from vmss_tui.domain.models import ScaleSetNetwork

    backend.wait(backend.create_scale_set(ScaleSetSpec(name="web", resource_group=RG,
                                                       orchestration_mode=OrchestrationMode.UNIFORM, capacity=1,
                                                       network=ScaleSetNetwork())))
    (lb,) = backend.list_network_resources("lb", RG)
    backend.put_network_resource("lb", RG, lb["name"], dict(lb, tags={"owner": "web"}))
    backend.wait(backend.set_capacity(RG, "web", 3))  # the room rewrites the LB's pools and NAT rules
    assert backend.get_network_resource("lb", RG, lb["name"])["tags"] == {"owner": "web"}
