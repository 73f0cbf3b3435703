"""The one-line header: where commands go, and whether they may change anything."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...domain.models import BackendInfo


def header_text(info: BackendInfo | None, resource_group: str | None, read_only: bool,
                production: bool, scale_set_name: str | None = None) -> Text:
    """`vmss-tui │ READ-ONLY │ PRODUCTION │ emulator (fast) │ <subscription> │ <group>/<set>`.

    The safety markers come first so that no terminal width can cut them off (80 columns did).
    """
    text = Text("vmss-tui", style="bold", end="")
    if read_only:
        text.append(" │ READ-ONLY", style="bold")
    if production:
        text.append(" │ PRODUCTION", style="bold")
    if info is None:
        text.append(" │ connecting…")
        return text
    backend = info.kind
    if info.speed:
        backend += f" ({info.speed})"
    text.append(f" │ {backend}")
    subscription = info.subscription_name or info.subscription_id
    if subscription:
        text.append(f" │ {subscription}")
    text.append(f" │ {resource_group or 'all groups'}")
    if scale_set_name:
        text.append(f"/{scale_set_name}", style="bold")
    return text


class HeaderBar(Static):
    """Backend, subscription, resource group, read-only and production markers."""

    DEFAULT_CSS = """
    HeaderBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    HeaderBar.-read-only {
        background: $warning 30%;
    }
    HeaderBar.-production {
        background: $error;
        color: $text;
        text-style: bold;
    }
    """

    def show(self, info: BackendInfo | None, resource_group: str | None, read_only: bool, production: bool,
             scale_set_name: str | None = None) -> None:
        """Redraw with the latest facts; the production colour comes from a CSS class."""
        self.set_class(read_only, "-read-only")
        self.set_class(production, "-production")
        self.update(header_text(info, resource_group, read_only, production, scale_set_name))
