"""Reusable widgets of the TUI: tables, the fault-domain map, the activity pane, the command bar."""
