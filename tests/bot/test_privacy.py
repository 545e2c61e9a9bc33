"""The art. 13 notice: everyone told once, in their language, with the periods the bot applies."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from bot.privacy import NOTICE_KIND, notice_text, send_due_notices
from bot.settings import Settings
from storage.db import Database
from storage.models import Delivery, Person
from tests.utils.factories import create_person

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_everyone_is_told_once_by_slack_or_email_in_their_language(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as s:
        await create_person(s, email="kari@x.no", slack_user_id="UKARI")
        await create_person(s, email="ola@x.no", slack_user_id="UOLA", locale="en")
        await create_person(s, email="leder@x.no")  # a line manager on email only
    async with db.transaction() as s:
        assert await send_due_notices(s, settings, now=NOW) == 3
    async with db.transaction() as s:
        assert await send_due_notices(s, settings, now=NOW) == 0, "told twice"
    async with db.session() as s:
        rows = (await s.exec(select(Delivery).where(col(Delivery.kind) == NOTICE_KIND))).all()
        people = (await s.exec(select(Person))).all()
    by_target = {d.target: d for d in rows}
    assert set(by_target) == {"UKARI", "UOLA", "leder@x.no"}
    assert by_target["leder@x.no"].transport == "email"
    assert "Hva vi lagrer" in str(by_target["UKARI"].message)
    assert "What we store" in str(by_target["UOLA"].message)
    assert all(p.privacy_notice_at == NOW for p in people)


async def test_the_notice_quotes_the_retention_the_bot_applies(settings: Settings) -> None:
    shorter = settings.model_copy(update={"retention_message_days": 30})
    assert "i 90 dager" in notice_text(settings, "nb")
    assert "i 30 dager" in notice_text(shorter, "nb")
    assert "for 30 days" in notice_text(shorter, "en")
    for part in ("What we store", "Why", "For how long", "Who sees it", "Your rights"):
        assert part in notice_text(settings, "en")


async def test_an_erased_persons_stub_is_never_told(db: Database, settings: Settings) -> None:
    async with db.transaction() as s:
        await create_person(s, email="erased-x@erased.invalid", erased_at=NOW)
    async with db.transaction() as s:
        assert await send_due_notices(s, settings, now=NOW) == 0


async def test_someone_only_on_teams_is_told_in_teams(db: Database, settings: Settings) -> None:
    from storage.models import PersonIdentity

    async with db.transaction() as s:
        per = await create_person(s, email="per@x.no")
        s.add(
            PersonIdentity(
                person_id=per.id,
                platform="teams",
                user_id="29:per",
                service_url="https://smba.example/emea/",
                conversation_id="a:per-chat",
            )
        )
    async with db.transaction() as s:
        assert await send_due_notices(s, settings, now=NOW) == 1
    async with db.session() as s:
        (row,) = (await s.exec(select(Delivery).where(col(Delivery.kind) == NOTICE_KIND))).all()
    assert (row.transport, row.target) == ("teams", "a:per-chat|https://smba.example/emea")
