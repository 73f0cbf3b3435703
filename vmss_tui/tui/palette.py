"""The Ctrl+P palette: commands of the shared registry that fit the current selection.

Generated from `COMMANDS`, never written by hand: a command that needs a set is offered
only when one is selected, mutating ones disappear in read-only mode, `add-vm` only for
Flexible sets, and commands on instances name the marked rows (or the cursor row).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..commands import COMMANDS, CommandSpec

if TYPE_CHECKING:
    from .screens.main import MainScreen

_ACTION_FOR_COMMAND: dict[str, str] = {
    "scale": "scale",
    "add-vm": "add_vm",
    "delete-instances": "delete",
    "start": "start",
    "stop": "stop",
    "deallocate": "deallocate",
    "restart": "restart",
    "reimage": "reimage",
    "upgrade": "upgrade",
}
"""Commands that have a key on the main screen: the palette runs the same action (dialogs included)."""

_RUN_AT_ONCE = frozenset({"show", "instances", "fd-map", "list", "help"})
"""Read-only commands the palette runs straight away, printing into the Activity log."""


@dataclass(frozen=True)
class PaletteEntry:
    """One palette line: what it shows, its help, and what selecting it does."""

    text: str
    help: str
    command: str
    mode: str
    """`action` (run the screen's action), `run` (run the line) or `prefill` (open the `:` bar)."""
    line: str


def palette_entries(screen: MainScreen) -> Iterator[PaletteEntry]:
    """The commands that fit the screen's selection, in registry order."""
    selected = screen.selected_key
    scale_set = screen.selected_set
    targets = screen.instance_table.target_ids() if selected else []
    for spec in COMMANDS:
        if spec.repl_only:
            continue
        if spec.mutating and screen.read_only:
            continue
        if spec.needs_set and selected is None:
            continue
        if spec.name == "add-vm" and scale_set is not None and not scale_set.is_flexible:
            continue
        yield _entry(spec, screen, selected, targets)


def _takes_ids(spec: CommandSpec) -> bool:
    return any(param.dest == "instance_ids" for param in spec.positionals)


def _entry(spec: CommandSpec, screen: MainScreen, selected: tuple[str, str] | None,
           targets: list[str]) -> PaletteEntry:
    words = [spec.name]
    if spec.needs_set and selected is not None:
        words.append(selected[1])
    if _takes_ids(spec) and targets:
        words += targets
    text = " ".join(words)
    action = _ACTION_FOR_COMMAND.get(spec.name)
    if action is not None and screen.unavailable_reason(action) is None:
        return PaletteEntry(text, spec.summary, spec.name, "action", action)
    if spec.name in ("protect", "unprotect") and targets:
        return PaletteEntry(text, spec.summary, spec.name, "run", text + (
            f" -g {selected[0]}" if selected else ""))
    if spec.name in _RUN_AT_ONCE:
        line = text + (f" -g {selected[0]}" if selected and spec.needs_set else "")
        return PaletteEntry(text, spec.summary, spec.name, "run", line)
    return PaletteEntry(text, spec.summary, spec.name, "prefill", text + " ")


class SelectionCommands(Provider):
    """Palette provider over the shared command registry."""

    def _main_screen(self) -> MainScreen | None:
        from .screens.main import MainScreen

        screen = self.screen
        return screen if isinstance(screen, MainScreen) else None

    def _run(self, entry: PaletteEntry) -> None:
        screen = self._main_screen()
        if screen is None:
            return
        if entry.mode == "action":
            getattr(screen, f"action_{entry.line}")()
        elif entry.mode == "run":
            screen.prepare_line(entry.line)
        else:
            self.app.call_later(screen.action_command_bar, entry.line)

    async def discover(self) -> Hits:
        screen = self._main_screen()
        if screen is None:
            return
        for entry in palette_entries(screen):
            yield DiscoveryHit(f"vmss: {entry.text}", partial(self._run, entry), help=entry.help)

    async def search(self, query: str) -> Hits:
        screen = self._main_screen()
        if screen is None:
            return
        matcher = self.matcher(query)
        for entry in palette_entries(screen):
            label = f"vmss: {entry.text}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._run, entry), help=entry.help)
