"""The dependency arrow, checked in fresh interpreters: headless layers import no UI toolkit and no Azure SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("textual", "prompt_toolkit", "azure", "rich")


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """Top-level package names in sys.modules after running `code` in a new interpreter."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env=env or dict(os.environ))
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", ["vmss_tui.commands", "vmss_tui.backends", "vmss_tui.domain", "vmss_tui.config",
                                    "vmss_tui.cli", "vmss_tui.backends.emulator.backend"])
def test_headless_modules_import_no_ui_toolkit_and_no_azure(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert not loaded & set(HEAVY), f"{module} pulled in {sorted(loaded & set(HEAVY))}"


def test_a_one_shot_list_on_the_emulator_imports_no_azure_textual_or_prompt_toolkit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMSS_TUI_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    code = ("import io, contextlib\nfrom vmss_tui.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['list', '-o', 'json', '--db', {str(tmp_path / 'db')!r}, '--speed', 'instant']) == 0")
    loaded = loaded_after(code, env)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "yaml" not in loaded


def test_the_repl_is_the_package_that_brings_prompt_toolkit() -> None:
    assert "prompt_toolkit" in loaded_after("import vmss_tui.repl")
    assert "textual" not in loaded_after("import vmss_tui.repl")
