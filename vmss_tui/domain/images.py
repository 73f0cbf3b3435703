"""The one image catalogue: `az` image aliases, the marketplace references they stand for, and their versions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MarketplaceImage:
    """One marketplace image (publisher/offer/sku) and the versions the emulator publishes for it.

    `az vmss create --image Ubuntu2204` resolves the alias to this reference, lists its versions
    (`$top=1&$orderby=name desc` for `latest`) and reads the chosen version's OS and generation.
    """

    alias: str
    publisher: str
    offer: str
    sku: str
    operating_system: str
    """`Linux` or `Windows` (the `osImage.operatingSystem` Azure reports)."""
    hyper_v_generation: str
    """`V1` or `V2`."""
    versions: tuple[str, ...]
    """Oldest first; the last one is `latest`."""

    def matches(self, publisher: str, offer: str, sku: str) -> bool:
        """Azure compares publisher, offer and sku case-insensitively."""
        return (self.publisher.lower(), self.offer.lower(), self.sku.lower()) == (
            publisher.lower(), offer.lower(), sku.lower())


# Version names in Azure's form for each publisher (Canonical: `22.04.YYYYMMDDN`, Windows: `20348.x.YYMMDD`).
MARKETPLACE_IMAGES: tuple[MarketplaceImage, ...] = (
    MarketplaceImage("Ubuntu2204", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "Linux", "V2",
                     ("22.04.202409120", "22.04.202410020", "22.04.202411190")),
    MarketplaceImage("Ubuntu2404", "Canonical", "ubuntu-24_04-lts", "server", "Linux", "V2",
                     ("24.04.202409120", "24.04.202411030")),
    MarketplaceImage("Debian12", "Debian", "debian-12", "12-gen2", "Linux", "V2",
                     ("0.20240901.1857", "0.20241111.1929")),
    MarketplaceImage("Win2022Datacenter", "MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-g2", "Windows",
                     "V2", ("20348.2655.240810", "20348.2762.241006", "20348.2849.241109")),
    MarketplaceImage("Win2019Datacenter", "MicrosoftWindowsServer", "WindowsServer", "2019-datacenter-gensecond",
                     "Windows", "V2", ("17763.6189.240811", "17763.6414.241004")),
    MarketplaceImage("RHELRaw8LVMGen2", "RedHat", "RHEL", "8-lvm-gen2", "Linux", "V2",
                     ("8.9.2024040913", "8.10.2024072513")),
)

IMAGE_ALIASES: dict[str, dict[str, str]] = {
    image.alias: {"publisher": image.publisher, "offer": image.offer, "sku": image.sku, "version": "latest"}
    for image in MARKETPLACE_IMAGES
}
"""`az` image aliases and the marketplace references they stand for (version `latest`)."""


def find_marketplace_image(publisher: str, offer: str, sku: str) -> MarketplaceImage | None:
    """The catalogue's image for a publisher/offer/sku, or None."""
    return next((image for image in MARKETPLACE_IMAGES if image.matches(publisher, offer, sku)), None)


def version_key(version: str) -> tuple[int, ...]:
    """Azure orders image versions numerically by their dot-separated parts."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))
