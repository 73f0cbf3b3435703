"""The prompt-toolkit REPL (`vmss-tui shell`); the only package besides the CLI that imports prompt_toolkit."""

from __future__ import annotations

from .shell import CommandCompleter, default_history_path, run_repl, run_script, usage_hint

__all__ = ["CommandCompleter", "default_history_path", "run_repl", "run_script", "usage_hint"]
