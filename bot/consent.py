"""Consents with history: who said yes or no to what, to which words, when, and through what.

Three consents exist: staying in the alumni networks after the programme (per cohort), being
findable in the directory, and letting a reflection be shared (per assignment). Each decision is
a new `Consent` row with the exact text the person was shown and its version
(`<message key>@<locale>#<hash>`); a withdrawal is a row with `granted` false, so the export
shows the whole history. The flags on the person and enrolment remain the current state that the
rest of the bot reads; this module keeps the two together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import normalise_locale, t, unescape
from storage.models import Consent, ConsentKind
from storage.queries import rights as q

# Which message the person answered, per kind of consent.
CONSENT_TEXT_KEYS: dict[str, str] = {
    ConsentKind.ALUMNI: "networks.alumni.consent.text",
    ConsentKind.DIRECTORY: "networks.profile.findable",
    ConsentKind.REFLECTION_SHARING: "assignment.reflection.share",
}


@dataclass(frozen=True)
class ShownText:
    """The words a consent was given to, and their version."""

    text: str
    version: str


def shown_text(kind: str, locale: str | None, **values: object) -> ShownText:
    """Render the consent's text as the person saw it, and version it by its content."""
    key = CONSENT_TEXT_KEYS[kind]
    lang = normalise_locale(locale)
    text = unescape(t(key, lang, **values))
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return ShownText(text, f"{key}@{lang}#{digest}")


async def record_consent(
    session: AsyncSession,
    *,
    person_id: int,
    kind: str,
    granted: bool,
    locale: str | None,
    via: str,
    now: datetime,
    scope: str = "",
    only_if_changed: bool = False,
    **values: object,
) -> Consent | None:
    """Add one consent decision. With `only_if_changed`, a repeat of the current answer adds
    nothing (saving a reflection again with the same box ticked is not a new decision)."""
    if kind not in CONSENT_TEXT_KEYS:
        raise ValueError(f"unknown consent kind {kind!r}")
    if only_if_changed:
        current = await q.current_consent(
            session=session, person_id=person_id, kind=kind, scope=scope
        )
        if (current.granted if current else False) == granted:
            return None
    shown = shown_text(kind, locale, **values)
    return await q.add_consent(
        session=session,
        consent=Consent(
            person_id=person_id,
            kind=kind,
            scope=scope,
            granted=granted,
            text_version=shown.version,
            text=shown.text,
            via=via,
            at=now,
        ),
    )


async def consent_history(session: AsyncSession, *, person_id: int) -> list[Consent]:
    """Every decision the person made, oldest first."""
    return await q.consents_of(session=session, person_id=person_id)
