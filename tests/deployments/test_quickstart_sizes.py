"""The quickstart templates' own sizes (Standard_A1 in the Linux NAT and autoscale templates, Standard_A2 in the
201 scale template) are in the emulator's catalogue with Azure's vCPU and memory figures, so the templates deploy
as written."""

from __future__ import annotations

from typing import Any

import pytest

from vmss_tui.domain.sizes import find_size
from vmss_tui.domain.templates import unique_string

from .conftest import GROUP, NAT, NAT_PARAMETERS, SCALE_201, fixture_text, settle
from .test_emulator_deployments import scale_set_resource, template


@pytest.mark.parametrize(("name", "vcpus", "memory_gib"), [
    ("Standard_A1", 1, 1.75), ("Standard_A2", 2, 3.5), ("Standard_A3", 4, 7), ("Standard_A4", 8, 14)])
def test_the_a_series_sizes_have_azures_figures(name: str, vcpus: int, memory_gib: float) -> None:
    size = find_size(name)
    assert size is not None, f"{name} is not in the catalogue"
    assert (size.name, size.vcpus, size.memory_gib, size.family) == (name, vcpus, memory_gib, "standardA0_A7Family")


def test_the_nat_template_deploys_with_its_default_size(emulator: Any, clock: Any) -> None:
    parameters = {key: value for key, value in NAT_PARAMETERS.items() if key != "vmSku"}  # the template's default
    emulator.deploy(GROUP, "nat", fixture_text(NAT), parameters)
    settle(clock)
    deployment = emulator.get_deployment(GROUP, "nat")["properties"]
    assert deployment["provisioningState"] == "Succeeded", deployment.get("error")
    group_id = f"/subscriptions/{emulator.info().subscription_id}/resourceGroups/{GROUP}"
    infix = ("myvmss" + unique_string(group_id))[:9].lower()
    scale_set = emulator.get_scale_set(GROUP, infix)
    assert (scale_set.vm_size, scale_set.capacity) == ("Standard_A1", 5)
    usage = {row.name: row for row in emulator.list_usage(scale_set.location)}
    assert usage["standardA0_A7Family"].current_value == 5  # one vCPU per Standard_A1 instance
    assert usage["standardA0_A7Family"].localized_name == "Standard A0-A7 Family vCPUs"  # az vm list-usage's text


def test_the_201_template_as_written_scales_a_set_and_sets_its_size(emulator: Any, clock: Any) -> None:
    emulator.deploy(GROUP, "create", template(scale_set_resource("myvmss", 5)))
    settle(clock)
    emulator.deploy(GROUP, "scale", fixture_text(SCALE_201), {"vmSSName": "myvmss", "instanceCount": 2})
    settle(clock)
    body = emulator.get_deployment(GROUP, "scale")["properties"]
    assert body["provisioningState"] == "Succeeded", body.get("error")
    scale_set = emulator.get_scale_set(GROUP, "myvmss")
    assert (scale_set.capacity, scale_set.vm_size) == (2, "Standard_A2")
    assert len(emulator.list_instances(GROUP, "myvmss")) == 2
