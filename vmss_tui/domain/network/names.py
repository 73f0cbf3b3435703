"""Names of network resources and DNS labels, checked with allow-lists at every door and at the store.

Network resources (virtual networks, subnets, NICs, public IPs, load balancers and their children,
NSGs and rules): 1-80 characters, ASCII letters, digits, `_ . -`, starting with a letter or digit and
ending with one or `_`. A public IP's DNS label: 3-63 lower-case letters, digits and hyphens, starting
with a letter and ending with a letter or digit. Sources in docs/emulator-fidelity.md.
"""

from __future__ import annotations

import re

from ..errors import InvalidInputValue, InvalidResourceName
from ..names import shown

NETWORK_NAME_MAX = 80
_NETWORK_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?")
_DOMAIN_NAME_LABEL = re.compile(r"[a-z][a-z0-9-]{1,61}[a-z0-9]")


def validate_network_name(name: str, resource_type: str = "Microsoft.Network") -> str:
    if not isinstance(name, str) or not _NETWORK_NAME.fullmatch(name):
        raise InvalidResourceName(
            f"Resource name {shown(name)} is invalid. The name can be up to {NETWORK_NAME_MAX} characters long. It "
            "must begin with a word character, and it must end with a word character or with '_'. The name may "
            "contain word characters or '.', '-', '_'.", target=resource_type)
    return name


def validate_domain_name_label(label: str) -> str:
    if not isinstance(label, str) or not _DOMAIN_NAME_LABEL.fullmatch(label):
        error = InvalidInputValue(
            f"The domain name label {shown(label)} is invalid. It must conform to the following regular expression: "
            "^[a-z][a-z0-9-]{1,61}[a-z0-9]$.", target="dnsSettings.domainNameLabel", code="InvalidDomainNameLabel")
        raise error
    return label
