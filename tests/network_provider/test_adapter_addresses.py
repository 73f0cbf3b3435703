"""The live adapter's instance addresses (issue 14) over real HTTPS against the emulator's endpoint: `instances`
and the TUI's refresh show each instance's private IP and public endpoint on Azure as on the emulator, read
with a number of requests that does not grow with the number of instances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.azure.conftest import RG, Served, arm_state_dir, make_flexible, make_uniform, served  # noqa: F401
from vmss_tui.domain.models import ScaleSetNetwork, VmSpec

pytest.importorskip("azure.mgmt.network")


def addresses(instances: list[Any]) -> dict[str, tuple[str | None, str | None]]:
    return {i.instance_id: (i.private_ip, i.public_endpoint) for i in instances}


@contextmanager
def counted_requests() -> Iterator[list[str]]:
    """Every HTTP request the SDK sends (azure-core's requests transport), as `METHOD path`."""
    from azure.core.pipeline.transport import RequestsTransport

    sent: list[str] = []
    original = RequestsTransport.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        sent.append(f"{request.method} {request.url.split('?', 1)[0]}")
        return original(self, request, **kwargs)

    RequestsTransport.send = send  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        RequestsTransport.send = original  # type: ignore[method-assign]


def test_a_uniform_sets_instances_carry_their_private_ip_and_nat_endpoint(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=3, network=ScaleSetNetwork())
    adapter = served.open_adapter()
    found = addresses(adapter.list_instances(RG, "web"))
    assert found == addresses(served.emulator.list_instances(RG, "web"))
    assert [endpoint.rsplit(":", 1)[1] for _, endpoint in found.values()] == ["50000", "50001", "50002"]
    assert all(private and private.startswith("10.0.0.") for private, _ in found.values())
    one = adapter.get_instance(RG, "web", "1")
    assert (one.private_ip, one.public_endpoint) == found["1"]


def test_the_refresh_fills_them_too_and_follows_a_scale_in(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=4, network=ScaleSetNetwork())
    make_uniform(served.emulator, "plain", capacity=1)
    adapter = served.open_adapter()
    served.emulator.wait(served.emulator.set_capacity(RG, "web", 2))
    (web, web_instances), (plain, plain_instances) = adapter.refresh_scale_sets([(RG, "web"), (RG, "plain")])
    assert addresses(web_instances) == addresses(served.emulator.list_instances(RG, "web"))
    assert len(web_instances) == 2 and all(i.public_endpoint for i in web_instances)
    assert [(i.private_ip, i.public_endpoint) for i in plain_instances] == [(None, None)]


def test_a_flexible_vm_with_its_own_public_ip_shows_it(served: Served) -> None:
    make_flexible(served.emulator, "lab", capacity=1, network=ScaleSetNetwork(load_balancer=""))
    served.emulator.wait(served.emulator.add_vm(RG, "lab", VmSpec(name="newvm", public_ip=True, inbound_ports=(22,))))
    adapter = served.open_adapter()
    found = addresses(adapter.list_instances(RG, "lab"))
    assert found == addresses(served.emulator.list_instances(RG, "lab"))
    private, endpoint = found["newvm"]
    assert private and endpoint and endpoint.endswith(":22")


def test_the_requests_per_refresh_do_not_grow_with_the_instances(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=2, network=ScaleSetNetwork())
    adapter = served.open_adapter()
    adapter.list_instances(RG, "web")  # the clients and the set's mode are known from here on
    with counted_requests() as small:
        adapter.list_instances(RG, "web")
    served.emulator.wait(served.emulator.set_capacity(RG, "web", 12))
    with counted_requests() as large:
        instances = adapter.list_instances(RG, "web")
    assert len(instances) == 12 and all(i.public_endpoint for i in instances)
    assert sorted(small) == sorted(large)
    network = [line for line in large if "Microsoft.Network" in line or line.endswith("/networkInterfaces")]
    assert len(network) == 3, network  # the set's NICs, its load balancer, the frontend's public IP


def test_a_network_that_cannot_be_read_leaves_the_addresses_empty_not_the_list(served: Served,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_uniform(served.emulator, "web", capacity=2, network=ScaleSetNetwork())
    adapter = served.open_adapter()

    def refused() -> Any:
        raise PermissionError("AuthorizationFailed: no Microsoft.Network/networkInterfaces/read")

    monkeypatch.setattr(adapter, "_network_client", refused)
    instances = adapter.list_instances(RG, "web")
    assert [i.instance_id for i in instances] == ["0", "1"]
    assert all(i.private_ip is None and i.public_endpoint is None for i in instances)
