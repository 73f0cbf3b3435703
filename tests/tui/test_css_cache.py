"""Parsed stylesheets kept between starts (`tui/css_cache.py`): a second start parses no CSS before
its first rows, looks the same, and a cache file it cannot trust is never read."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from textual.css import stylesheet as textual_stylesheet

from tui_helpers import settle
from vmss_tui.tui import css_cache
from vmss_tui.tui.css_cache import ParsedStylesheets


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every CSS text Textual's parser is handed, by where it was read from."""
    seen: list[str] = []
    real_parse = textual_stylesheet.parse

    def counting(scope: str, css: str, read_from: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(read_from))
        return real_parse(scope, css, read_from, *args, **kwargs)

    monkeypatch.setattr(textual_stylesheet, "parse", counting)
    return seen


async def _first_screen(app: Any) -> str:
    """The screen once the first rows and the side panes are there, as text."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        return "\n".join(screen.sets_table.render_line(y).text for y in range(3)) + "\n" + \
            "\n".join(screen.instance_table.render_line(y).text for y in range(4))


async def test_a_second_start_parses_no_stylesheet_and_shows_the_same(make_app: Any, parses: list[str]) -> None:
    path = css_cache.cache_path()
    assert not path.exists()
    first = await _first_screen(make_app())
    assert parses, "the first start parses its stylesheets"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600  # kept at exit, for this user only
    parses.clear()
    second = await _first_screen(make_app())
    assert parses == []
    assert second == first


async def test_another_theme_is_another_key(make_app: Any, parses: list[str]) -> None:
    await _first_screen(make_app(theme="dark"))
    parses.clear()
    await _first_screen(make_app(theme="light"))
    assert parses, "the light theme's variables differ: its rules are parsed, not taken from the dark ones"


def _kept_rules(tmp_path: Path) -> tuple[ParsedStylesheets, Any]:
    """A cache file holding one parsed stylesheet, and a fresh stylesheet with the same variables."""
    variables = {"primary": "#004578"}
    written = textual_stylesheet.Stylesheet(variables=variables)
    written.add_source("Screen { background: $primary; }", read_from=("test.tcss", ""))
    written.parse()
    keeper = ParsedStylesheets(tmp_path / "cache" / "stylesheets.pickle")
    keeper.fill(written)
    assert keeper.save(written)
    return ParsedStylesheets(keeper.path), textual_stylesheet.Stylesheet(variables=dict(variables))


def test_kept_rules_fill_the_parse_cache(tmp_path: Path) -> None:
    reader, fresh = _kept_rules(tmp_path)
    assert reader.fill(fresh) == 1


def test_a_cache_file_others_may_write_is_not_read(tmp_path: Path) -> None:
    reader, fresh = _kept_rules(tmp_path)
    os.chmod(reader.path, 0o620)
    assert reader.fill(fresh) == 0
    os.chmod(reader.path, 0o600)
    os.chmod(reader.path.parent, 0o777)
    assert reader.fill(fresh) == 0


def test_a_damaged_or_foreign_cache_file_is_ignored(tmp_path: Path) -> None:
    reader, fresh = _kept_rules(tmp_path)
    reader.path.write_bytes(reader.path.read_bytes()[:40])
    assert reader.fill(fresh) == 0
    reader.path.write_bytes(pickle.dumps({"digest": "another textual", "rules": {("x",): []}}))
    assert reader.fill(fresh) == 0
    assert len(fresh._parse_cache) == 0  # nothing was put in: the stylesheet parses its own sources
