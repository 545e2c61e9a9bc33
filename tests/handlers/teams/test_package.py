"""The Teams app package validates against Microsoft's manifest schema (v1.30)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from PIL import Image
from typer.testing import CliRunner

from handlers.teams.package import MANIFEST_VERSION, PackageError, build_manifest, build_package

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "fixtures/teams/MicrosoftTeams.v1.30.schema.json").read_text()
)
APP_ID = "0f6b2a52-3f4b-4c1e-9a55-6d3f8f1c2b7a"


def test_package_has_a_valid_manifest_and_the_two_icons() -> None:
    data = build_package(app_id=APP_ID, base_url="https://cohortbot.lederutdanning.no")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    jsonschema.Draft4Validator(SCHEMA).validate(manifest)
    assert (
        manifest["manifestVersion"]
        == MANIFEST_VERSION
        == SCHEMA["properties"]["manifestVersion"]["const"]
    )
    assert color.size == (192, 192) and outline.size == (32, 32)
    # The outline icon is white on transparent, as Teams requires.
    pixels = [p for p in outline.convert("RGBA").getdata() if p[3] > 0]
    assert pixels and all(p[:3] == (255, 255, 255) for p in pixels)
    assert outline.convert("RGBA").getpixel((0, 0))[3] == 0
    bot = manifest["bots"][0]
    assert bot["botId"] == APP_ID
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert {"hjelp", "neste", "oppgaver", "resultater", "ledere", "utsendelser"} <= set(titles)
    assert manifest["validDomains"] == ["cohortbot.lederutdanning.no"]


def test_a_schema_violation_would_be_caught() -> None:
    manifest = build_manifest(app_id=APP_ID, base_url="https://x.example")
    manifest["bots"][0]["scopes"].append("everywhere")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(manifest)


def test_bad_app_id_is_refused_with_a_clear_message() -> None:
    with pytest.raises(PackageError, match="TEAMS_APP_ID='nope' is not a GUID"):
        build_manifest(app_id="nope", base_url="https://x.example")


def test_cli_writes_the_zip(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli import app

    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("COHORTBOT_BASE_URL", "https://bot.kommune.no")
    out = tmp_path / "cohortbot-teams.zip"
    result = cli.invoke(app, ["teams", "package", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["validDomains"] == ["bot.kommune.no"]


def test_cli_without_app_id_says_what_to_set(cli: CliRunner, tmp_path: Path) -> None:
    from cli import app

    out = tmp_path / "x.zip"
    result = cli.invoke(app, ["teams", "package", "--out", str(out)])
    assert result.exit_code != 0
    assert "TEAMS_APP_ID is missing" in result.output
    assert not out.exists()
