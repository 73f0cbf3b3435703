"""Every key of the main screen, declared once: bindings, footer and `?` help come from here."""

from __future__ import annotations

from textual.binding import Binding, BindingType

MUTATING_ACTIONS = frozenset({"scale", "add_vm", "delete", "start", "stop", "deallocate", "restart", "reimage",
                              "protect", "upgrade"})
INSTANCE_ACTIONS = frozenset({"delete", "start", "stop", "deallocate", "restart", "reimage", "protect", "upgrade",
                              "mark", "ssh"})
SET_ACTIONS = frozenset({"scale", "add_vm", "what_if", "detail", "sort", "filter", "autoscale",
                         "reservations"}) | INSTANCE_ACTIONS

ACTION_KEYS: tuple[tuple[str, str, str, bool], ...] = (
    # key, action, footer description, instance action (footer shows it while the Instances pane has focus)
    ("s", "scale", "Scale", False),
    ("a", "add_vm", "Add VM", False),
    ("x,delete", "delete", "Delete", True),
    ("t", "start", "Start", True),
    ("p", "stop", "Stop", True),
    ("d", "deallocate", "Dealloc", True),
    ("r", "restart", "Restart", True),
    ("i", "reimage", "Reimage", True),
    ("P", "protect", "Protect", True),
    ("u", "upgrade", "Upgrade", True),
    ("S", "ssh", "SSH", True),
    ("space", "mark", "Mark", True),
    ("ctrl+r", "refresh", "Refresh", False),
    ("w", "what_if", "What if", False),
    ("A", "autoscale", "Autoscale", False),
    ("R", "reservations", "Reservations", False),
    ("v", "detail", "Detail", False),
    ("o", "sort", "Sort", False),
    ("slash", "filter", "Filter", False),
    ("colon", "command_bar", "Command", False),
    ("question_mark", "help", "Help", False),
)
"""Every key of the main screen, once: bindings, footer and `?` help come from here.

Instance actions are bound twice: shown on the Instances pane (so the footer lists them while
it has focus, which keeps the footer readable at 80 columns) and hidden on the screen (so the
keys work from every pane and act on the Instances pane's cursor or marks).
"""

HELP_TEXTS: dict[str, str] = {
    "scale": "Scale the set to a new capacity (scale-in shows which instances go)",
    "add_vm": "Add a VM by hand (Flexible sets only)",
    "delete": "Delete the marked instances, or the cursor row",
    "start": "Start instances",
    "stop": "Stop (power off) instances; they keep their compute billing",
    "deallocate": "Deallocate instances (stops billing for compute)",
    "restart": "Restart running instances",
    "reimage": "Reimage instances to a fresh OS disk",
    "protect": "Toggle protection from scale-in",
    "upgrade": "Bring instances to the latest scale-set model",
    "refresh": "Refresh everything now",
    "mark": "Mark or unmark the cursor row for a bulk action",
    "ssh": "SSH to the cursor row (emulator: its console); the app comes back as it was when you leave",
    "what_if": "Fault-domain map: what if a zone / fault domain is lost (cycles)",
    "autoscale": "Autoscale pane: rules, metric vs threshold, next run, chart (+/- load, e on/off)",
    "reservations": "Reservation pane: reserved vs allocated per zone, VMs outside them, zone loss (g: groups)",
    "detail": "Details of the instance (or the set) under the cursor; j shows JSON",
    "sort": "Sort instances by the next column (click a header too)",
    "filter": "Filter instances: words, or field:value (power:stopped zone:2 ip:10.0.0.4)",
    "command_bar": "Run any command of the shell (same language and completion as the REPL)",
    "help": "This help",
}


OPENER_ACTIONS = frozenset({"filter", "command_bar"})
"""Keys that open a text field run as priority bindings, so the keys typed after them in one burst
reach the field (a normal binding runs only after those keys went to the old focus)."""


def _binding_pair(key: str, action: str, description: str, *, show: bool, namespace: str = "") -> list[BindingType]:
    return [
        Binding(key, f"{namespace}{action}", description, show=show, tooltip=HELP_TEXTS.get(action, ""),
                priority=action in OPENER_ACTIONS),
        # The same key again: runs only while the action is disabled, to say why.
        Binding(key, f"{namespace}explain('{action}')", description, show=False),
    ]


def screen_bindings() -> list[BindingType]:
    """The main screen's keys: set-level ones shown, instance ones hidden (the pane shows those)."""
    bindings: list[BindingType] = []
    for key, action, description, instance_action in ACTION_KEYS:
        bindings += _binding_pair(key, action, description, show=not instance_action and action != "sort")
    bindings.append(Binding("escape", "clear", "Clear marks / filter", show=False))
    return bindings


def instance_pane_bindings() -> list[BindingType]:
    """The Instances pane's keys: the instance actions, shown in the footer while it has focus."""
    bindings: list[BindingType] = []
    for key, action, description, instance_action in ACTION_KEYS:
        if instance_action:
            bindings += _binding_pair(key, action, description, show=action != "mark", namespace="screen.")
    return bindings


