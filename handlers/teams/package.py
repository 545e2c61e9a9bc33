"""The Teams app package: manifest.json (schema v1.30), color.png 192×192, outline.png 32×32.

`cohortbot teams package --out cohortbot-teams.zip` writes it; staff upload it in Teams
(Apps → Manage your apps → Upload an app) or the admin publishes it for the tenant.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any
from urllib.parse import urlsplit

MANIFEST_VERSION = "1.30"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = "#1F5C99"
# What people can write to the bot (handlers/teams/commands.py), as Teams shows it.
PERSONAL_COMMANDS = (
    ("hjelp", "Hva du kan skrive til cohortbot / what you can write"),
    ("neste", "Neste samling, åpne oppgaver og pulser / what's next"),
    ("oppgaver", "Dine åpne oppgaver; for staben: status per klasse"),
    ("finn", "Finn ledere i katalogen som vil bli funnet / find leaders"),
    ("arkiv", "Søk i arkivet; arkiv legg til, arkiv mine / the archive"),
    ("resultater", "Staben: resultater for en puls; Helsedirektoratet: samlede resultater"),
    ("ledere", "Staben: ledernes deltakelse og hvem som ikke har svart"),
    ("utsendelser", "Staben: utsendelser som venter eller feilet, og hvem som ikke kan nås"),
    ("kunngjøring", "Staben: send en kunngjøring med forhåndsvisning"),
    ("rapport", "Staben: årsrapporten som nedlastingslenke"),
)
TEAM_COMMANDS = (("hjelp", "Hva du kan skrive til cohortbot / what you can write"),)


class PackageError(ValueError):
    """The package cannot be made as asked; the message says what to change."""


def valid_domain(base_url: str) -> str:
    host = urlsplit(base_url).hostname
    if not host:
        raise PackageError(f"COHORTBOT_BASE_URL={base_url!r} has no host name")
    return host


def build_manifest(
    *, app_id: str, base_url: str, version: str = "1.0.0", name: str = "cohortbot"
) -> dict[str, Any]:
    """The manifest for the bot whose Entra app (client) id is `app_id`."""
    try:
        app_guid = str(uuid.UUID(app_id))
    except ValueError:
        raise PackageError(
            f"TEAMS_APP_ID={app_id!r} is not a GUID: use the Azure Bot's Microsoft App ID"
        ) from None
    base = base_url.rstrip("/")
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        # The Teams app id is ours; derived from the bot id so a re-upload updates the app.
        "id": str(uuid.uuid5(uuid.UUID(app_guid), "cohortbot-teams-app")),
        "developer": {
            "name": "Nasjonal lederutdanning",
            "websiteUrl": base,
            "privacyUrl": f"{base}/privacy",
            "termsOfUseUrl": f"{base}/terms",
        },
        "name": {"short": name, "full": f"{name} – lederutdanning for primærhelsetjenesten"},
        "description": {
            "short": "Oppgaver, påminnelser og pulser i lederutdanningen",
            "full": (
                "cohortbot følger deg gjennom Nasjonal lederutdanning for primærhelsetjenesten: "
                "oppgaver mellom samlingene, påminnelser, korte evalueringspulser du svarer på "
                "med ett klikk, og påminnelser til nærmeste leder. Assignments, reminders and "
                "one-click pulses for the national leadership programme, in bokmål and English."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_guid,
                "scopes": ["personal", "team", "groupChat"],
                "isNotificationOnly": False,
                "supportsFiles": True,  # files for the archive (handlers/teams/files.py)
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [{"title": t, "description": d} for t, d in PERSONAL_COMMANDS],
                    },
                    {
                        "scopes": ["team", "groupChat"],
                        "commands": [{"title": t, "description": d} for t, d in TEAM_COMMANDS],
                    },
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [valid_domain(base_url)],
        "defaultInstallScope": "personal",
    }


def _icon(size: int, *, outline: bool) -> bytes:
    """The app's icons, drawn with Pillow: a filled badge, or its white outline."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    pad = max(1, size // 10)
    box = (pad, pad, size - pad - 1, size - pad - 1)
    if outline:
        width = max(2, size // 12)
        draw.ellipse(box, outline=(255, 255, 255, 255), width=width)
        draw.line(
            (size * 0.35, size * 0.55, size * 0.47, size * 0.67, size * 0.68, size * 0.36),
            fill=(255, 255, 255, 255),
            width=width,
        )
    else:
        image = Image.new("RGBA", (size, size), (31, 92, 153, 255))
        draw = ImageDraw.Draw(image)
        width = max(4, size // 14)
        draw.ellipse(box, outline=(255, 255, 255, 255), width=width)
        draw.line(
            (size * 0.33, size * 0.53, size * 0.46, size * 0.67, size * 0.70, size * 0.36),
            fill=(255, 255, 255, 255),
            width=width,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build_package(*, app_id: str, base_url: str, version: str = "1.0.0") -> bytes:
    """The zip Teams takes: manifest.json, color.png and outline.png at its root."""
    manifest = build_manifest(app_id=app_id, base_url=base_url, version=version)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        archive.writestr("color.png", _icon(192, outline=False))
        archive.writestr("outline.png", _icon(32, outline=True))
    return out.getvalue()
