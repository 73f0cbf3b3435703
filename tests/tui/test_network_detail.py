"""The detail view's network sections (issue 14): `v` on a set shows its load balancer, rules, probe, NAT and
backend pool; an instance's detail shows its NIC, addresses, subnet, NAT mapping and security rules."""

from __future__ import annotations

from typing import Any

from tui_helpers import screen_lines, select_set, settle
from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec
from vmss_tui.tui.network_detail import NO_NETWORK, instance_network_sections, scale_set_network_sections
from vmss_tui.tui.screens.detail import DetailScreen

RG = "practice-rg"


def rows_of(detail: DetailScreen) -> dict[str, dict[str, str]]:
    return {title: dict(rows) for title, rows in detail.sections}


async def open_set_detail(pilot: Any, name: str) -> DetailScreen:
    await select_set(pilot, name)
    await pilot.press("v")
    await settle(pilot)
    detail = pilot.app.screen
    assert isinstance(detail, DetailScreen)
    return detail


async def open_instance_detail(pilot: Any, name: str, downs: int) -> DetailScreen:
    await select_set(pilot, name)
    await pilot.press("tab", *["down"] * downs, "enter")
    await settle(pilot)
    detail = pilot.app.screen
    assert isinstance(detail, DetailScreen)
    return detail


async def test_v_on_web_shows_its_load_balancer_rule_probe_nat_and_backend_pool(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 60)) as pilot:
        detail = await open_set_detail(pilot, "web")
        sections = rows_of(detail)
        assert sections["Network"]["virtual network"] == "webVNET"
        assert sections["Network"]["subnet"] == "webSubnet (10.0.0.0/24)"
        lb = sections["Load balancer"]
        assert (lb["name"], lb["SKU"]) == ("webLB", "Standard")
        assert lb["frontend"] == "loadBalancerFrontEnd: 20.1.0.1 (webLBPublicIP)"
        assert lb["rule"] == "LBRule: Tcp 80 -> 80, pool webLBBEPool, probe HttpProbe"
        assert lb["probe"] == "HttpProbe: Http port 80 path /, every 15 s, out after 2 failures"
        assert lb["NAT rule"] == "NatRule: Tcp 50000-50119 -> 22, pool webLBBEPool"
        assert lb["backend pool"] == "webLBBEPool: instances 0, 1, 2, 3, 4, 5"
        shown = "\n".join(screen_lines(app))
        assert "Load balancer" in shown and "loadBalancerFrontEnd: 20.1.0.1 (webLBPublicIP)" in shown
        await pilot.press("j")  # the JSON view stays the set's JSON
        assert "webLB" not in detail.json_text


async def test_the_backend_pool_follows_a_scale_in(make_app: Any, backend: Any) -> None:
    backend.wait(backend.set_capacity(RG, "web", 4))
    app = make_app()
    async with app.run_test(size=(120, 60)) as pilot:
        detail = await open_set_detail(pilot, "web")
        assert rows_of(detail)["Load balancer"]["backend pool"] == "webLBBEPool: instances 0, 1, 2, 3"


async def test_an_instance_detail_shows_its_nat_mapping_nic_subnet_and_security_rules(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 60)) as pilot:
        detail = await open_instance_detail(pilot, "web", downs=1)
        assert "web_1" in detail.detail_title
        network = rows_of(detail)["Network"]
        assert network["NAT"] == "20.1.0.1:50001 -> port 22 (NatRule on webLB)"
        assert network["private IP"] == "10.0.0.5"
        assert network["subnet"] == "webSubnet (10.0.0.0/24)"
        assert network["virtual network"] == "webVNET"
        assert network["public IP"] == "none"
        assert network["security group"] == "webNSG"
        assert network["NIC"].endswith("Nic")
        rules = rows_of(detail)["Inbound security rules"]
        assert rules["security group"] == "webNSG"
        assert rules["1000"].startswith("default-allow-ssh  Allow  Tcp port 22")
        assert rules["65500"].startswith("DenyAllInBound  Deny")
        priorities = [label for label in rules if label.isdigit()]
        assert priorities == sorted(priorities, key=int)
        assert "20.1.0.1:50001 -> port 22" in "\n".join(screen_lines(app))


async def test_the_lab_vm_shows_its_own_public_ip_and_the_ssh_rule(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await select_set(pilot, "demo-set")
        screen = app.screen
        row = screen.instance_table.shown_ids.index("newvm")
        detail = await open_instance_detail(pilot, "demo-set", downs=row)
        assert "newvm" in detail.detail_title
        network = rows_of(detail)["Network"]
        assert network["public IP"] == "20.1.0.2 (newvmPublicIP)"
        assert network["NAT"] == "none"
        assert network["NIC"] == "newvmVMNic"
        rules = rows_of(detail)["Inbound security rules"]
        assert rules["security group"] == network["security group"] == "basicNsgnewvmVMNic"
        assert rules["300"].startswith("SSH  Allow  Tcp port 22")


async def test_a_set_without_a_network_says_so(make_app: Any, backend: Any) -> None:
    backend.wait(backend.create_scale_set(ScaleSetSpec(
        name="bare", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=1,
        vm_size="Standard_D2s_v3", image="Ubuntu2204")))
    app = make_app()
    async with app.run_test(size=(120, 60)) as pilot:
        detail = await open_set_detail(pilot, "bare")
        assert detail.sections == [("Network", [("network", NO_NETWORK)])]
        await pilot.press("escape")
        detail = await open_instance_detail(pilot, "bare", downs=0)
        assert detail.sections == [("Network", [("network", NO_NETWORK)])]
        assert NO_NETWORK in "\n".join(screen_lines(app))


class FakeNetwork:
    """Answers as Azure could: names with escape sequences, or a refusal."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def scale_set_network_profile(self, resource_group: str, name: str) -> dict[str, Any] | None:
        if self.fail:
            raise AzureError("The client does not have authorization to perform action", code="AuthorizationFailed")
        return {"networkInterfaceConfigurations": [{"name": "nic", "properties": {"primary": True, "ipConfigurations": [
            {"name": "ip", "properties": {"subnet": {"id": "/subscriptions/s/resourceGroups/rg/providers/"
                                                           "Microsoft.Network/virtualNetworks/v/subnets/sub\x1b[31m"}}}]}}]}

    def list_scale_set_nics(self, resource_group: str, name: str) -> list[dict[str, Any]]:
        return [{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/x/"
                       "virtualMachines/0/networkInterfaces/nic", "name": "nic\x1b]0;owned\x07",
                 "properties": {"ipConfigurations": [{"id": "c", "name": "ip", "properties": {
                     "primary": True, "privateIPAddress": "10.0.0.4\r\n", "subnet": {
                         "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/"
                               "subnets/sub\x1b[31m"}}}]}}]

    def get_network_resource(self, kind: str, resource_group: str, name: str) -> dict[str, Any]:
        return {"name": name, "properties": {"subnets": [{"name": "sub\x1b[31m",
                                                          "properties": {"addressPrefix": "10.0.0.0/24"}}]}}


def test_names_from_azure_are_escaped_and_a_failed_read_is_a_line_not_a_failure() -> None:
    for sections in (scale_set_network_sections(FakeNetwork(), "rg", "x"),  # type: ignore[arg-type]
                     instance_network_sections(FakeNetwork(), "rg", "x", "0")):  # type: ignore[arg-type]
        text = "\n".join(f"{title}|{label}|{value}" for title, rows in sections for label, value in rows)
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        assert "subnet|sub" in text
    nic = dict(instance_network_sections(FakeNetwork(), "rg", "x", "0")[0][1])  # type: ignore[arg-type]
    assert "\x1b" not in nic["NIC"] and nic["NIC"].startswith("nic")
    failed = scale_set_network_sections(FakeNetwork(fail=True), "rg", "x")  # type: ignore[arg-type]
    assert failed[0][0] == "Network" and failed[0][1][0][1].startswith("could not be read:")
    assert "AuthorizationFailed" in failed[0][1][0][1]
