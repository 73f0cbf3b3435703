"""A scale set with its instance counts: what the sets pane shows without listing every instance."""

from __future__ import annotations

from dataclasses import dataclass

from .models import PowerState, ProvisioningState, ScaleSet


@dataclass(frozen=True)
class ScaleSetSummary:
    """A scale set plus how many of its instances are in each (power, provisioning) state.

    `state_counts` is None when the backend cannot count cheaply (the Azure adapter would need one
    instance-view call per set): front ends then count from the instances of the sets they show.
    """

    scale_set: ScaleSet
    state_counts: tuple[tuple[PowerState, ProvisioningState, int], ...] | None = None

    @property
    def power_counts(self) -> dict[PowerState, int] | None:
        """Instances per power state (transitional states included), or None when not counted."""
        if self.state_counts is None:
            return None
        counts: dict[PowerState, int] = {}
        for power, _prov, count in self.state_counts:
            counts[power] = counts.get(power, 0) + count
        return counts

    @property
    def running(self) -> int | None:
        """Instances running and not still being created (what the sets pane shows), or None."""
        if self.state_counts is None:
            return None
        return sum(count for power, prov, count in self.state_counts
                   if power is PowerState.RUNNING and prov is not ProvisioningState.CREATING)
