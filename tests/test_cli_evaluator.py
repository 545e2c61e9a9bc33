"""`cohortbot evaluator link|proposals|accept|reject` as staff run them: real processes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from bot.evaluator import AccessDenied, open_link
from bot.evaluator.proposals import propose
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditEvent, Delivery, EvaluatorLink, PulseQuestion
from tests.test_cli_run import run_cli
from tests.utils.evaluator import EVALUATOR
from tests.utils.factories import create_cohort, create_pulse

# The CLI runs on the real clock: the pulse it can fill opens far in the future.
FUTURE = datetime(2099, 1, 10, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "COHORTBOT_SECRET_KEY": settings.secret_key or "",
        "COHORTBOT_EVALUATOR_EMAILS": f"other@helsedir.no, {EVALUATOR.upper()}",
        "COHORTBOT_BASE_URL": "https://bot.example.no",
    }


def listed_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"evaluator_emails": (EVALUATOR,)})


async def _count(db: Database, model: object, *where: object) -> int:
    async with db.session() as s:
        stmt = select(func.count()).select_from(model)  # type: ignore[call-overload]
        for w in where:
            stmt = stmt.where(w)
        return int((await s.execute(stmt)).scalar_one())


async def test_a_link_is_printed_and_mailed_only_for_a_listed_evaluator(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    refused = run_cli(["evaluator", "link", "someone@kommune.no"], env(settings), tmp_path)
    assert refused.returncode == 1
    assert "not in COHORTBOT_EVALUATOR_EMAILS" in refused.stderr
    assert await _count(db, EvaluatorLink) == 0
    done = run_cli(["evaluator", "link", EVALUATOR, "--send"], env(settings), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "https://bot.example.no/e/" in done.stdout
    async with db.session() as s:
        (mail,) = (await s.execute(select(Delivery))).scalars()
    assert (mail.transport, mail.target) == ("email", EVALUATOR)
    assert await _count(db, AuditEvent, col(AuditEvent.action) == "evaluator.link") == 1
    listed = run_cli(["evaluator", "links"], env(settings), tmp_path)
    assert listed.returncode == 0 and f"#1 {EVALUATOR} until" in listed.stdout
    assert "(open)" in listed.stdout
    closed = run_cli(["evaluator", "revoke", "1"], env(settings), tmp_path)
    assert closed.returncode == 0 and "evaluator link 1 is closed" in closed.stdout
    again = run_cli(["evaluator", "revoke", "1"], env(settings), tmp_path)
    assert again.returncode == 1 and "no open evaluator link 1" in again.stderr
    assert "(revoked)" in run_cli(["evaluator", "links"], env(settings), tmp_path).stdout
    async with db.session() as s:
        token = re.findall(r"/e/([A-Za-z0-9_.-]+)", str(mail.message))[0]
        with pytest.raises(AccessDenied) as denied:
            await open_link(s, token, settings=listed_settings(settings), now=datetime.now(UTC))
    assert denied.value.kind == "revoked"


async def test_staff_list_accept_once_and_reject(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2099")
        pulse, _ = await create_pulse(s, cohort=cohort, title="Puls om lang tid", opens_at=FUTURE)
        first, _ = await propose(
            s,
            email=EVALUATOR,
            text="Hvor trygg er du?",
            kind="scale5",
            choices=[],
            pulse_id=None,
            session_id=None,
            nonce=None,
            now=NOW,
        )
        second, _ = await propose(
            s,
            email=EVALUATOR,
            text="Hvilket format?",
            kind="choice",
            choices=["Fysisk", "Digitalt"],
            pulse_id=None,
            session_id=None,
            nonce=None,
            now=NOW,
        )
    listed = run_cli(["evaluator", "proposals"], env(settings), tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Hvor trygg er du?" in listed.stdout and "Puls om lang tid" in listed.stdout
    assert "Fysisk; Digitalt" in listed.stdout
    once = run_cli(["evaluator", "accept", str(first.id)], env(settings), tmp_path)
    assert once.returncode == 0, once.stderr
    assert "was added as question 2" in once.stdout
    again = run_cli(["evaluator", "accept", str(first.id)], env(settings), tmp_path)
    assert again.returncode == 0 and "had already been added" in again.stdout
    assert await _count(db, PulseQuestion, col(PulseQuestion.pulse_id) == pulse.id) == 2
    no_reason = run_cli(
        ["evaluator", "reject", str(second.id), "--reason", " "], env(settings), tmp_path
    )
    assert no_reason.returncode == 1 and "Give a reason" in no_reason.stderr
    rejected = run_cli(
        ["evaluator", "reject", str(second.id), "--reason", "Dekket av spørsmål 1"],
        env(settings),
        tmp_path,
    )
    assert rejected.returncode == 0, rejected.stderr
    late = run_cli(["evaluator", "accept", str(second.id)], env(settings), tmp_path)
    assert late.returncode == 1 and "already been rejected" in late.stderr
    missing = run_cli(["evaluator", "accept", "999"], env(settings), tmp_path)
    assert missing.returncode == 1 and "No proposal 999" in missing.stderr
    everything = run_cli(["evaluator", "proposals", "--all"], env(settings), tmp_path)
    assert "rejected: Dekket av spørsmål 1" in everything.stdout
    assert "(question 2)" in everything.stdout
