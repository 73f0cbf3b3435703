"""Network resource names and DNS labels: allow-lists, Azure's codes, nothing sent on refusal."""

from __future__ import annotations

import pytest

from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.network.names import validate_domain_name_label, validate_network_name


@pytest.mark.parametrize("name", ["myScaleSetVNET", "demo-setLBBEPool", "basicNsgapp-grp-vnet-nic01", "a",
                                  "x" * 80, "pool_", "NatRule.0"])
def test_azure_shaped_names_pass(name: str) -> None:
    assert validate_network_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 81, "-lead", "trail.", "trail-", "sp ace", "new\nline", "semi;colon",
                                  "ünïcode", "a/b"])
def test_other_names_are_refused_before_anything_is_sent(name: str) -> None:
    with pytest.raises(AzureError) as raised:
        validate_network_name(name)
    assert raised.value.code == "InvalidResourceName" and raised.value.nothing_sent
    assert "\n" not in raised.value.message


@pytest.mark.parametrize("label", ["mypublicdns", "lab-1", "abc"])
def test_dns_labels_azure_accepts(label: str) -> None:
    assert validate_domain_name_label(label) == label


@pytest.mark.parametrize("label", ["Lab", "ab", "1lab", "lab-", "a" * 64, "lab.vm", "la\x1bb"])
def test_dns_labels_azure_refuses(label: str) -> None:
    with pytest.raises(AzureError) as raised:
        validate_domain_name_label(label)
    assert raised.value.code == "InvalidDomainNameLabel" and raised.value.nothing_sent
    assert "\x1b" not in raised.value.message
