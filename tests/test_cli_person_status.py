"""`cohortbot person status`: staff record a participant's status, reason, credits and result.

Bad input gets one clear line and changes nothing; the record is audited.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import select

from bot.settings import Settings
from storage.db import Database
from storage.models import AuditEvent, Enrolment
from tests.test_cli_run import run_cli
from tests.utils.factories import create_cohort, create_person, enrol


def env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "COHORTBOT_SECRET_KEY": settings.secret_key or "",
    }


async def seed(db: Database) -> None:
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026", start_date=date(2026, 1, 10))
        other = await create_cohort(s, name="Kull 2025", start_date=date(2025, 1, 10))
        kari = await create_person(s, email="kari@kommune.no", name="Kari")
        ola = await create_person(s, email="ola@kommune.no", name="Ola")
        await enrol(s, person=kari, cohort=cohort)
        await enrol(s, person=ola, cohort=cohort)
        await enrol(s, person=ola, cohort=other)


async def enrolment_of(db: Database, email: str) -> list[Enrolment]:
    from storage.models import Person

    async with db.session() as s:
        person = (await s.exec(select(Person).where(Person.email == email))).one()
        return list((await s.exec(select(Enrolment).where(Enrolment.person_id == person.id))).all())


async def test_withdrawal_with_a_reason_category_and_date_is_recorded_and_audited(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await seed(db)
    result = run_cli(
        [
            *("person", "status", "Kari@Kommune.no", "--status", "withdrawn"),
            *("--reason", "Arbeidsbelastning", "--date", "2026-03-01"),
        ],
        env(settings),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "recorded for kari@kommune.no" in result.stdout
    [e] = await enrolment_of(db, "kari@kommune.no")
    assert (e.status, e.withdrawn_on, e.withdrawal_reason) == (
        "withdrawn",
        date(2026, 3, 1),
        "workload",
    )
    async with db.session() as s:
        audit = (await s.exec(select(AuditEvent).where(AuditEvent.action == "person.status"))).all()
    assert len(audit) == 1 and audit[0].actor == "cli"


async def test_credits_and_exam_result_are_recorded(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await seed(db)
    result = run_cli(
        [
            *("person", "status", "kari@kommune.no", "--status", "completed"),
            *("--date", "2026-06-15", "--credits", "7,5", "--result", "bestått"),
        ],
        env(settings),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [e] = await enrolment_of(db, "kari@kommune.no")
    assert (e.status, e.completed_on, e.credits, e.exam_result, e.result_on) == (
        "completed",
        date(2026, 6, 15),
        7.5,
        "passed",
        date(2026, 6, 15),
    )


async def test_bad_input_is_one_line_and_changes_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await seed(db)
    cases = [
        # free text is not a reason category: it would reach the Directorate as health data
        (["--status", "withdrawn", "--reason", "Sykemeldt (utbrent)"], "unknown withdrawal reason"),
        (["--status", "withdrawn"], "a withdrawal needs a reason category"),
        (["--status", "active", "--reason", "workload"], "goes with the status withdrawn"),
        (["--status", "finished"], "unknown status"),
        (["--credits", "90"], "not a number from 0 to 60"),
        (["--result", "maybe"], "unknown exam result"),
        (["--status", "completed", "--date", "2099-01-01"], "is in the future"),
        (["--status", "completed", "--date", "1/3/2026"], "is not a date"),
        ([], "nothing to record"),
    ]
    for args, message in cases:
        result = run_cli(["person", "status", "kari@kommune.no", *args], env(settings), tmp_path)
        assert result.returncode == 1, (args, result.stdout)
        assert message in result.stderr, (args, result.stderr)
        assert "nothing was recorded" in result.stderr
        assert "Traceback" not in result.stderr
    result = run_cli(
        ["person", "status", "ola@kommune.no", "--status", "completed"], env(settings), tmp_path
    )
    assert result.returncode == 1 and "say which with --cohort" in result.stderr
    result = run_cli(
        ["person", "status", "nobody@kommune.no", "--status", "completed"], env(settings), tmp_path
    )
    assert result.returncode == 1 and "no person with the email" in result.stderr
    [kari] = await enrolment_of(db, "kari@kommune.no")
    assert (kari.status, kari.withdrawal_reason, kari.credits, kari.exam_result) == (
        "active",
        None,
        None,
        None,
    )
    async with db.session() as s:
        assert not (
            await s.exec(select(AuditEvent).where(AuditEvent.action == "person.status"))
        ).all()
