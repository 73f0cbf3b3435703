"""The user config file: defaults for the CLI, clear errors for a broken file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmss_tui.cli import main
from vmss_tui.config import ConfigError, default_config_path, load_config


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("VMSS_TUI_DB", "VMSS_TUI_SPEED"):
        monkeypatch.delenv(name, raising=False)


def test_a_missing_default_config_file_means_defaults() -> None:
    config = load_config()
    assert config.backend == "emulator" and config.resource_group is None and config.path is None


def test_the_default_config_file_lives_in_the_user_config_dir(tmp_path: Path) -> None:
    assert default_config_path() == tmp_path / "config" / "vmss-tui" / "config.toml"


def test_every_documented_key_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('theme = "nord"\nbackend = "azure"\nresource_group = "rg1"\nspeed = "real"\n'
                    'output = "yaml"\nsubscription = "SUB-1"\ndb = "/x"\nmouse = false\n'
                    '[subscriptions.SUB-1]\nname = "Prod"\nproduction = true\n')
    config = load_config(path)
    assert (config.theme, config.backend, config.resource_group, config.speed, config.output) == \
        ("nord", "azure", "rg1", "real", "yaml")
    assert config.db == "/x" and config.mouse is False
    assert config.subscription_info("sub-1").name == "Prod" and config.subscription_info("SUB-1").production


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('backend = "aws"', "'backend' is 'aws'; choose one of: emulator, azure"),
        ("speed = 3", "'speed' must be a string"),
        ('colour = "red"', "unknown key(s) colour"),
        ("mouse = \"yes\"", "'mouse' must be true or false"),
        ("this is not toml", "cannot read config file"),
        ('subscriptions = "x"', "[subscriptions] must be a table"),
    ],
)
def test_a_broken_config_file_is_an_error_naming_the_problem(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert fragment in caught.value.message and str(path) in caught.value.message


def test_an_explicit_config_path_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_the_cli_takes_the_default_group_and_store_from_the_config(capsys, tmp_path: Path, estate_db: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'db = "{estate_db}"\nspeed = "instant"\nresource_group = "practice-rg"\n')
    assert main(["--config", str(path), "show", "web", "--query", "resourceGroup"]) == 0
    assert json.loads(capsys.readouterr().out) == "practice-rg"


def test_the_command_line_wins_over_the_config(capsys, tmp_path: Path, estate_db: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('db = "/nonexistent/never"\nresource_group = "nowhere"\n')
    assert main(["--config", str(path), "--db", str(estate_db), "-g", "practice-rg", "show", "web",
                 "--query", "name"]) == 0
    assert json.loads(capsys.readouterr().out) == "web"


def test_the_cli_reports_a_broken_config_in_one_line_with_exit_2(capsys, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('backend = "aws"')
    assert main(["--config", str(path), "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERROR: (InvalidConfig)") and err.count("\n") == 1
