"""The README's one-shot examples run as written and print what the README shows.

Every `$ vmss-tui ...` line of the "One-shot commands" block runs, in order, on one fresh practice
estate, through the real CLI entry point; the lines after it (up to the next command or blank line)
are what it must print, stdout and stderr together. The README shows a terminal, where the default
output is a table, so a line without `-o` gets `-o table` (in a pipe the default is JSON).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from vmss_tui.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def one_shot_examples(section: str = "One-shot commands") -> list[tuple[str, str]]:
    """(command line, expected output) pairs of the first code block of a README section, in order."""
    text = README.read_text(encoding="utf-8")
    block = re.search(rf"### {re.escape(section)}\n+(?:[^`\n][^\n]*\n+)*```\n(.*?)\n```", text, re.DOTALL)
    assert block is not None, f"README has no block under '{section}'"
    examples: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ vmss-tui "):
            examples.append((line[len("$ vmss-tui "):], []))
        elif line.strip() and examples:
            examples[-1][1].append(line)
    return [(command, "\n".join(expected)) for command, expected in examples]


def test_the_readme_has_json_and_query_examples() -> None:
    commands = [command for command, _ in one_shot_examples()]
    assert any("-o json" in command for command in commands)
    assert any("--query sku.capacity" in command for command in commands)


@pytest.mark.parametrize("section", ["One-shot commands", "Autoscale, practised offline"])
def test_every_one_shot_example_prints_what_the_readme_shows(capsys, estate_db: Path, section: str) -> None:
    examples = one_shot_examples(section)
    assert len(examples) >= 5, f"README's '{section}' block has too few examples to mean anything"
    for command, expected in examples:
        argv = shlex.split(command)
        if "-o" not in argv and "--output" not in argv:
            argv += ["-o", "table"]
        code = main([*argv, "--db", str(estate_db), "--speed", "instant"])
        captured = capsys.readouterr()
        printed = (captured.out + captured.err).rstrip("\n")
        assert printed == expected, f"$ vmss-tui {command}"
        assert code == (1 if expected.startswith("ERROR:") else 0), f"$ vmss-tui {command}"

