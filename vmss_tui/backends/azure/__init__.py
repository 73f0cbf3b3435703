"""The live Azure adapter: the backend protocol over azure-mgmt-compute and azure-identity.

This package's `__init__` stays import-light: `azure.*` is loaded only when `open_azure`
runs, so the emulator path (which uses `vmss_tui.arm` through the ARM endpoint) never pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import AzureBackend


def open_azure(**options: Any) -> "AzureBackend":
    """Open the live adapter.

    Args:
        **options: `subscription`, `auth` (`cli|env|device|default`), `credential` (any
            TokenCredential, overrides `auth`), `base_url`, `connection_verify` (CA bundle path),
            `polling_interval`, `retry_total`, `max_workers`, `notice` (callable told about
            throttling), `read_only`, `production`, `subnet_id`, `admin_username`, `ssh_public_key`.
    """
    from .backend import AzureBackend  # lazy: ~0.6 s of azure imports

    return AzureBackend(**options)


__all__ = ["open_azure"]
