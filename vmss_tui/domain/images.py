"""The one image catalogue: the `az` image aliases and the marketplace references they stand for."""

from __future__ import annotations


IMAGE_ALIASES: dict[str, dict[str, str]] = {
    "Ubuntu2204": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                   "sku": "22_04-lts-gen2", "version": "latest"},
    "Ubuntu2404": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server",
                   "version": "latest"},
    "Debian12": {"publisher": "Debian", "offer": "debian-12", "sku": "12-gen2", "version": "latest"},
    "Win2022Datacenter": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
                          "sku": "2022-datacenter-g2", "version": "latest"},
    "Win2019Datacenter": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
                          "sku": "2019-datacenter-gensecond", "version": "latest"},
    "RHELRaw8LVMGen2": {"publisher": "RedHat", "offer": "RHEL", "sku": "8-lvm-gen2", "version": "latest"},
}

