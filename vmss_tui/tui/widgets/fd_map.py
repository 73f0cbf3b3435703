"""The fault-domain map: zones x fault domains, instances as glyphs coloured by power state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ...domain.models import Instance, PlacementMap, PowerState, ProvisioningState, ScaleSet, placement_map
from ..presentation import instance_colour_variable, instance_glyph

MAX_GLYPHS_PER_CELL = 8
"""Beyond this many instances a cell shows the first glyphs and `…`; the count stays exact."""


@dataclass(frozen=True)
class LossScenario:
    """A "what if this is lost" choice: one zone or one fault domain."""

    kind: str
    """`zone` or `fd`."""
    value: str | int | None

    @property
    def label(self) -> str:
        """`zone 2`, `FD 1` or `the regional instances`."""
        if self.kind == "zone":
            return "non-zonal instances" if self.value is None else f"zone {self.value}"
        return f"fault domain {self.value}"

    def hits(self, instance: Instance) -> bool:
        """True when the instance would be lost in this scenario."""
        if self.kind == "zone":
            return instance.zone == self.value
        return instance.fault_domain == self.value


def loss_scenarios(placement: PlacementMap) -> list[LossScenario]:
    """The zones and fault domains that could be lost, in map order.

    Max spreading (FD count 1) puts every instance in FD 0 on paper while Azure really
    spreads them, so losing "FD 0" would be a lie: only zones are offered then.
    """
    scenarios: list[LossScenario] = []
    real_zones = [zone for zone in placement.zones if zone is not None]
    if len(real_zones) > 1:
        scenarios.extend(LossScenario("zone", zone) for zone in placement.zones)
    if not placement.max_spreading and placement.fault_domain_count > 1:
        scenarios.extend(LossScenario("fd", fd) for fd in range(placement.fault_domain_count))
    return scenarios


@dataclass(frozen=True)
class LossOutcome:
    """What is left when a zone or fault domain goes down."""

    scenario: LossScenario
    total: int
    remaining: int
    remaining_running: int

    @property
    def sentence(self) -> str:
        """`If zone 2 is lost: 4 of 6 instances (67%) remain, 3 running.`: the share is of the instances
        that remain (whatever their state), so it sits beside them, not beside the running count."""
        share = 100 * self.remaining / self.total if self.total else 100.0
        return (f"If {self.scenario.label} is lost: {self.remaining} of {self.total} instances ({share:.0f}%) "
                f"remain, {self.remaining_running} running.")


def loss_outcome(instances: list[Instance], scenario: LossScenario) -> LossOutcome:
    """Count what survives the loss of one zone or fault domain."""
    survivors = [i for i in instances if not scenario.hits(i)]
    running = sum(1 for i in survivors if i.power_state is PowerState.RUNNING
                  and i.provisioning_state is not ProvisioningState.CREATING)
    return LossOutcome(scenario=scenario, total=len(instances), remaining=len(survivors),
                       remaining_running=running)


def balance_sentence(counts: dict[str, int], unit: str) -> str:
    """`zones balanced (2/2/2)` or `zones unbalanced: zone 3 has 1, zone 1 has 3`."""
    if not counts:
        return ""
    values = list(counts.values())
    spread = "/".join(str(v) for v in values)
    if max(values) - min(values) <= 1:
        return f"{unit}s balanced ({spread})"
    fullest = max(counts, key=lambda k: counts[k])
    emptiest = min(counts, key=lambda k: counts[k])
    return (f"{unit}s unbalanced ({spread}): {unit} {emptiest} has {counts[emptiest]}, "
            f"{unit} {fullest} has {counts[fullest]}")


class _RenderedLines:
    """Lines of segments Rich has already rendered, shown as they are (at the width they were made for)."""

    def __init__(self, lines: tuple[tuple[Segment, ...], ...], width: int) -> None:
        self.lines = lines
        self.width = width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for line in self.lines:
            yield from line
            yield new_line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


class FaultDomainMap(Static):
    """Zones x fault domains for the selected scale set, with balance and a loss toggle."""

    DEFAULT_CSS = """
    FaultDomainMap {
        height: auto;
        padding: 0 1;
    }
    """

    scenario_index: reactive[int] = reactive(-1)
    """Index into the loss scenarios; -1 shows the map without a loss."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._scale_set: ScaleSet | None = None
        self._instances: list[Instance] = []
        self._selected_instance_id: str | None = None
        self._placement: PlacementMap | None = None
        self._scenarios: list[LossScenario] | None = None
        self._drawn_ids: frozenset[str] = frozenset()
        """Instances whose glyph the map draws (the first few of each cell)."""
        self._shown_selection: str | None = None
        self._drawn: tuple[tuple[Any, ...], ...] | None = None
        """The map's lines as last drawn (segments), to skip a redraw that changes nothing."""

    @property
    def placement(self) -> PlacementMap | None:
        """Where the current set's instances sit, computed once per change of set or instances."""
        if self._scale_set is None:
            return None
        if self._placement is None:
            self._placement = placement_map(self._scale_set, self._instances)
        return self._placement

    @property
    def scenarios(self) -> list[LossScenario]:
        """Loss scenarios for the current set (asked on every cursor move: cached with the placement)."""
        placement = self.placement
        if placement is None:
            return []
        if self._scenarios is None:
            self._scenarios = loss_scenarios(placement)
        return self._scenarios

    @property
    def active_scenario(self) -> LossScenario | None:
        """The loss being shown, if any."""
        scenarios = self.scenarios
        if 0 <= self.scenario_index < len(scenarios):
            return scenarios[self.scenario_index]
        return None

    def show(self, scale_set: ScaleSet | None, instances: list[Instance], selected_instance_id: str | None) -> None:
        """Draw the map for a set (None clears it); keeps the loss toggle when the set stays the same."""
        if scale_set is None or self._scale_set is None or (
                (scale_set.resource_group, scale_set.name) != (self._scale_set.resource_group, self._scale_set.name)):
            self.set_reactive(FaultDomainMap.scenario_index, -1)
        # Unchanged instances are the same objects (the table keeps them): comparing is cheap.
        same_data = scale_set == self._scale_set and instances == self._instances
        self._selected_instance_id = selected_instance_id
        if not same_data:
            self._scale_set = scale_set
            self._instances = list(instances)
            self._placement = None
            self._scenarios = None
            placement = self.placement
            self._drawn_ids = frozenset() if placement is None else frozenset(
                iid for cell in placement.cells for iid in cell.instance_ids[:MAX_GLYPHS_PER_CELL])
        # The selection shows only when its glyph is drawn (not when it hides behind a `…`).
        shown_selection = selected_instance_id if selected_instance_id in self._drawn_ids else None
        if same_data and self._drawn is not None and shown_selection == self._shown_selection:
            return  # nothing visible changed
        self._shown_selection = shown_selection
        self._draw()

    def next_scenario(self) -> LossScenario | None:
        """Step to the next loss scenario (then back to none); returns the one now shown."""
        scenarios = self.scenarios
        if not scenarios:
            self.scenario_index = -1
            return None
        following = self.scenario_index + 1
        self.scenario_index = following if following < len(scenarios) else -1
        return self.active_scenario

    def watch_scenario_index(self) -> None:
        self._draw()

    def redraw(self) -> None:
        """Draw again even if nothing changed (after a theme change)."""
        self._drawn = None
        self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        """Show the map if its text changed; a layout pass only when its height changed.

        A layout pass re-arranges the whole screen and repaints every scrollbar; a status refresh
        or a cursor move changes glyph colours, not the map's size, so it repaints the map alone.
        """
        renderable = self._build()
        width = self.content_region.width if self.is_mounted else 0
        if width <= 0 or not self.is_mounted:
            self._drawn = None
            self.update(renderable)
            return
        console = self.app.console
        lines = console.render_lines(renderable, console.options.update_width(width), pad=False)
        drawn = tuple(tuple(line) for line in lines)
        if not force and drawn == self._drawn:
            return
        height_changed = self._drawn is None or len(drawn) != len(self._drawn)
        self._drawn = drawn
        # The lines just rendered, not the table again: Rich lays out the grid once per change.
        self.update(_RenderedLines(drawn, width), layout=height_changed)

    # ------------------------------------------------------------------ rendering

    def _colours(self) -> Mapping[str, str]:
        try:
            return self.app.theme_variables
        except Exception:  # not mounted yet: draw without colour
            return {}

    def _glyphs(self, members: list[Instance], colours: Mapping[str, str], lost: bool) -> Text:
        text = Text(end="")
        for instance in members[:MAX_GLYPHS_PER_CELL]:
            style = colours.get(instance_colour_variable(instance), "")
            if lost:
                style = "dim"
            if instance.instance_id == self._selected_instance_id:
                style = f"reverse bold {style}".strip()
            text.append(instance_glyph(instance), style=style)
        if len(members) > MAX_GLYPHS_PER_CELL:
            text.append("…", style="dim")
        text.append(f" {len(members)}", style="dim" if lost else "bold")
        return text

    def as_renderable(self) -> RenderableType:
        """What the map draws, as a Rich renderable (tests print it to plain text)."""
        return self._build()

    def _build(self) -> RenderableType:
        scale_set = self._scale_set
        if scale_set is None:
            return Text("No scale set selected.", style="dim")
        colours = self._colours()
        placement = self.placement
        assert placement is not None
        scenario = self.active_scenario
        by_id = {i.instance_id: i for i in self._instances}
        parts: list[RenderableType] = []
        title = Text(f"{scale_set.name}: ", style="bold")
        zone_count = len([z for z in placement.zones if z])
        zones_text = (f"{zone_count} zone{'s' if zone_count != 1 else ''}" if scale_set.zones else "regional")
        title.append(f"{zones_text}, FD count {scale_set.platform_fault_domain_count}")
        parts.append(title)

        def zone_header(zone: str | None) -> str:
            if zone is None:
                return "no zone" if scale_set.zones else "regional"
            return f"zone {zone}"

        zone_counts: dict[str, int] = {}
        if placement.max_spreading:
            parts.append(Text("Max spreading: Azure spreads the VMs over as many fault domains as it can "
                              "and reports FD 0 for all.", style="italic"))
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column(no_wrap=True, overflow="ellipsis")
            for zone in placement.zones:
                members = [by_id[iid] for fd in range(placement.fault_domain_count)
                           for iid in placement.cell(zone, fd).instance_ids if iid in by_id]
                lost = scenario is not None and scenario.kind == "zone" and scenario.value == zone
                label = Text(zone_header(zone), style="dim strike" if lost else "bold", end="")
                grid.add_row(label, self._glyphs(members, colours, lost))
                zone_counts[zone or "-"] = len(members)
            parts.append(grid)
        else:
            grid = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False, expand=False)
            grid.add_column("", no_wrap=True)
            for zone in placement.zones:
                lost = scenario is not None and scenario.kind == "zone" and scenario.value == zone
                grid.add_column(Text(zone_header(zone), style="dim strike" if lost else "bold"), no_wrap=True,
                                overflow="ellipsis")
            for fd in range(placement.fault_domain_count):
                fd_lost = scenario is not None and scenario.kind == "fd" and scenario.value == fd
                cells: list[RenderableType] = [Text(f"FD {fd}", style="dim strike" if fd_lost else "bold")]
                for zone in placement.zones:
                    zone_lost = scenario is not None and scenario.kind == "zone" and scenario.value == zone
                    members = [by_id[iid] for iid in placement.cell(zone, fd).instance_ids if iid in by_id]
                    cells.append(self._glyphs(members, colours, fd_lost or zone_lost))
                grid.add_row(*cells)
            for zone in placement.zones:
                zone_counts[zone or "-"] = sum(len(placement.cell(zone, fd).instance_ids)
                                               for fd in range(placement.fault_domain_count))
            parts.append(grid)
            fd_counts = {str(fd): sum(len(placement.cell(zone, fd).instance_ids) for zone in placement.zones)
                         for fd in range(placement.fault_domain_count)}
            if len(fd_counts) > 1 and self._instances:
                parts.append(Text(balance_sentence(fd_counts, "FD"), style="dim"))
        if len(zone_counts) > 1 and self._instances:
            parts.append(Text(balance_sentence(zone_counts, "zone"), style="dim"))
        if not self._instances:
            parts.append(Text("No instances.", style="dim"))
        if scenario is not None:
            outcome = loss_outcome(self._instances, scenario)
            share_ok = outcome.total == 0 or outcome.remaining * 2 >= outcome.total
            # Right under the title: the answer must show even when the pane is a few lines tall (80x24).
            parts.insert(1, Text(outcome.sentence, style=colours.get("warning" if share_ok else "error", "")))
        elif not loss_scenarios(placement):
            parts.append(Text("Nothing to lose: no zones, and Azure places the VMs itself.", style="dim"))
        return Group(*parts)
