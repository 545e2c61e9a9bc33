"""`/cohort status` through the local workspace over signed HTTP: staff record facts, others can't,
free text never becomes a reason, and the annual report counts only what was recorded."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.clock import FrozenClock
from bot.report import build_annual_report
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import AuditEvent, Enrolment, Person
from tests.utils.factories import create_cohort, create_person, enrol
from tests.utils.workspace import running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lu.no", user_id="USTAFF")
    state.add_user("kari", real_name="Kari", email="kari@kommune.no", user_id="UKARI")


async def enrolment(ws: object, email: str) -> Enrolment:
    async with ws.runtime.db.session() as s:  # type: ignore[attr-defined]
        person = (await s.exec(select(Person).where(Person.email == email))).one()
        return (await s.exec(select(Enrolment).where(Enrolment.person_id == person.id))).one()


async def test_staff_record_a_withdrawal_by_category_and_the_report_counts_it(
    settings: Settings, clock: FrozenClock
) -> None:
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        async with ws.runtime.db.transaction() as s:
            cohort = await create_cohort(
                s, name="Kull 2026", start_date=date(2026, 1, 10), end_date=date(2026, 12, 1)
            )
            await create_person(
                s, email="anne@lu.no", name="Anne Stab", slack_user_id="USTAFF", is_staff=True
            )
            kari = await create_person(
                s, email="kari@kommune.no", name="Kari", slack_user_id="UKARI"
            )
            await enrol(s, person=kari, cohort=cohort)
            for i in range(6):
                p = await create_person(s, email=f"p{i}@kommune.no", name=f"P{i}")
                await enrol(s, person=p, cohort=cohort)
        day = clock.now().astimezone(settings.zone).date().isoformat()

        refused = await ws.ask(
            "USTAFF", "status kari@kommune.no withdrawn årsak=Sykemeldt (utbrent)"
        )
        assert "Ikke registrert" in refused.text and "unknown withdrawal reason" in refused.text
        assert (await enrolment(ws, "kari@kommune.no")).status == "active"

        denied = await ws.ask("UKARI", "status kari@kommune.no withdrawn årsak=workload")
        assert "Ikke registrert" not in denied.text
        assert (await enrolment(ws, "kari@kommune.no")).status == "active"

        reply = await ws.ask(
            "USTAFF",
            f"status <mailto:kari@kommune.no|kari@kommune.no> sluttet {day} årsak=Ny jobb eller endret stilling",
        )
        assert "Registrert for kari@kommune.no" in reply.text
        e = await enrolment(ws, "kari@kommune.no")
        assert (e.status, e.withdrawal_reason, e.withdrawn_on.isoformat()) == (
            "withdrawn",
            "job_change",
            day,
        )
        again = await ws.ask("USTAFF", f"status kari@kommune.no withdrawn {day} reason=job_change")
        assert "Ingenting å endre" in again.text

        async with ws.runtime.db.session() as s:
            audit = (
                await s.exec(select(AuditEvent).where(AuditEvent.action == "person.status"))
            ).all()
            assert audit and all(a.actor_id is not None for a in audit)
            report = await build_annual_report(
                s, year=int(day[:4]), settings=settings, now=clock.now()
            )
        [enrolment_table] = [
            t for sec in report.sections for t in sec.tables if t.key == "enrolment"
        ]
        values = {c.measure: c.value for c in enrolment_table.rows[0][1]}
        assert (values["withdrawn"], values["dropouts"], values["completed"]) == (1, 1, 0)
        why = [t for sec in report.sections for t in sec.tables if t.key == "dropout_why"]
        assert why and all(r[0] != "Sykemeldt (utbrent)" for r in why[0].rows)
