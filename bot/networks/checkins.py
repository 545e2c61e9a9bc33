"""\"Did you meet?\" check-ins after a matching intro."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import claims, delivery
from bot.identities import Reach
from bot.messages import Markup, t
from bot.networks.shared import (
    ACTION_CHECKIN,
    ANSWER_LOCK,
    CHECKIN_ANSWERS,
    InvalidRequest,
    _mention,
    split_answer_value,
)
from bot.notifier import Button, OutgoingMessage, Section
from storage.db import Database
from storage.models import Person
from storage.queries import networks as q


def _checkin_message(
    group_id: int,
    person: Person,
    others: Sequence[Person],
    stage: str,
    where: Mapping[int, Reach],
) -> OutgoingMessage:
    locale = person.locale
    names = Markup(", ".join(_mention(o, where) for o in others))
    text = t("networks.checkin.text", locale, names=names)
    buttons = tuple(
        Button(f"{ACTION_CHECKIN}:{a}", t(f"networks.checkin.{a}", locale), f"{group_id}:{a}")
        for a in CHECKIN_ANSWERS
    )
    return OutgoingMessage(
        text=text,
        title=t("networks.checkin.title", locale),
        sections=(Section(text=text, buttons=buttons),),
        locale=locale,
        meta={"group_id": group_id, "stage": stage},
    )


async def record_checkin(
    session: AsyncSession, *, group_id: int, person_id: int, answer: str, now: datetime
) -> None:
    """Store a "Did you meet?" answer; a settled answer cancels the person's later check-in."""
    if answer not in CHECKIN_ANSWERS:
        raise InvalidRequest(f"unknown answer {answer!r}")
    # A burst of clicks (or a card's duplicate invokes) is answered one after the other: the
    # second finds the first's row instead of inserting a second one.
    await claims.serialise(session, job=ANSWER_LOCK)
    group = await q.get_group(session=session, group_id=group_id)
    if group is None or person_id not in group.member_ids:
        raise InvalidRequest("not a member of this group")
    await q.upsert_checkin(
        session=session, group_id=group_id, person_id=person_id, answer=answer, now=now
    )
    match_round = await q.get_round(session=session, round_id=group.round_id)
    assert match_round is not None
    membership = await q.get_membership(
        session=session, network_id=match_round.network_id, person_id=person_id
    )
    if answer != "not_yet":
        await delivery.cancel(
            session,
            key_prefix=f"match-checkin:{group_id}:{person_id}:",
            reason="answered",
            now=now,
        )
    await q.reset_ignored_intros(session=session, membership=membership)


async def answer_checkin_button(
    db: Database, *, person_id: int, value: object, now: datetime
) -> str:
    """A "Did you meet?" button pressed in any chat tool ("12:yes"), recorded in its own
    transaction; returns the key of the reply to show (nothing is stored for a bad value)."""
    parsed = split_answer_value(value)
    if parsed is None:
        return "error.generic"
    try:
        async with db.transaction() as session:
            await record_checkin(
                session, group_id=parsed[0], person_id=person_id, answer=parsed[1], now=now
            )
    except InvalidRequest:
        return "error.generic"
    return "networks.checkin.thanks"
