"""The one-shot CLI reaches an ARM endpoint with --backend azure --auth --base-url --ca-bundle."""

from __future__ import annotations

import json

import pytest

from vmss_tui.cli import main

from .conftest import make_uniform


@pytest.fixture
def served(served):
    """The endpoint with its token authority, as `emulator serve` runs it: `--auth emulator` signs in to it."""
    from vmss_tui.armserver.authority import attach_authority

    attach_authority(served.server.settings, served.server.ca_path.parent)
    yield served
    served.server.settings.authority = None


def _azure_argv(served) -> list[str]:
    return ["--backend", "azure", "--auth", "emulator", "--base-url", served.server.base_url,
            "--ca-bundle", str(served.server.ca_path), "--subscription", served.server.subscription_id]


def test_list_and_scale_through_the_cli_reach_the_endpoint(served, capsys, tmp_path, monkeypatch):
    make_uniform(served.emulator, "web", capacity=2)
    assert main([*_azure_argv(served), "list", "-o", "json"]) == 0
    [scale_set] = json.loads(capsys.readouterr().out)
    assert scale_set["name"] == "web" and scale_set["sku"]["capacity"] == 2
    assert main([*_azure_argv(served), "scale", "web", "4", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["sku"]["capacity"] == 4
    assert served.emulator.get_scale_set(scale_set["resourceGroup"], "web").capacity == 4


def test_an_endpoint_whose_ca_is_not_trusted_is_one_clear_line(served, capsys, tmp_path, monkeypatch):
    argv = [a for a in _azure_argv(served)]
    index = argv.index("--ca-bundle")
    del argv[index:index + 2]
    assert main([*argv, "list"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("ERROR: (ServiceUnavailable)") and "--ca-bundle" in error and "\n" not in error


def test_an_unknown_auth_kind_is_refused_before_anything_is_sent(capsys):
    assert main(["--backend", "azure", "--auth", "password", "list"]) == 2
    assert "--auth: 'password' is not one of" in capsys.readouterr().err
