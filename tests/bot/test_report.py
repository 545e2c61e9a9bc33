"""The annual report against a small hand-computed fixture: every section, both renderers.

Fixture (year 2026):
- Cohort A (2026-01-10..2026-12-15), sessions 1 Feb, 1 Apr, 1 Jun; classes A1 (6 started) and
  A2 (4 started). 13 enrolments: 2 applicants only; 1 admitted who withdrew before the start
  ("Fikk ikke fri"); 7 active (5 in A1, 2 in A2); 2 completed in A2 (30 credits each);
  1 in A1 withdrew on 1 March, between sessions 1 and 2 ("Sykdom").
- Cohort B (2025-08-01..2026-06-30), one class, sessions 1 Sep 2025 and 15 Jan 2026: 6 started,
  5 completed (30 credits), 1 withdrew on 1 May 2026, after the last session ("Sykdom").
- Cohort C (2024) is outside the year.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.pulses import close, record_answer
from bot.report import AnnualReport, build_annual_report
from bot.report.render import CSV_COLUMNS, render_csv, render_html, render_xlsx
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    EnrolmentStatus,
    MatchCheckin,
    MatchGroup,
    MatchRound,
    Network,
    Nudge,
    NudgeAnswer,
    PulseParticipation,
)
from storage.queries.pulses import add_participations
from storage.queries.reach import record_pulse_reach
from tests.utils.factories import (
    create_class,
    create_cohort,
    create_person,
    create_programme,
    create_pulse,
    create_session,
    enrol,
)

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def build_fixture(db: Database, settings: Settings) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    async with db.transaction() as s:
        prog = await create_programme(s, name="Lederutdanning")
        a = await create_cohort(
            s,
            programme=prog,
            name="Kull A",
            start_date=date(2026, 1, 10),
            end_date=date(2026, 12, 15),
        )
        b = await create_cohort(
            s,
            programme=prog,
            name="Kull B",
            start_date=date(2025, 8, 1),
            end_date=date(2026, 6, 30),
        )
        c = await create_cohort(
            s,
            programme=prog,
            name="Kull C",
            start_date=date(2024, 1, 1),
            end_date=date(2024, 12, 1),
        )
        a1 = await create_class(s, cohort=a, name="A1 Bergen")
        a2 = await create_class(s, cohort=a, name="A2 Oslo")
        b1 = await create_class(s, cohort=b, name="B1 Tromsø")
        for n, day in enumerate((utc(2026, 2, 1, 8), utc(2026, 4, 1, 8), utc(2026, 6, 1, 8)), 1):
            await create_session(s, cohort=a, number=n, starts_at=day)
        await create_session(s, cohort=b, number=1, starts_at=utc(2025, 9, 1, 8))
        await create_session(s, cohort=b, number=2, starts_at=utc(2026, 1, 15, 8))

        async def person(i: int, **kw: Any) -> Any:
            return await create_person(s, slack_user_id=f"U{i:04d}", **kw)

        a_people: dict[str, list[Any]] = {"A1": [], "A2": []}
        # Cohort A: applicants only, and a withdrawal before the start.
        for i in range(2):
            p = await person(100 + i)
            await enrol(s, person=p, cohort=a, status=EnrolmentStatus.APPLICANT)
        p = await person(110)
        await enrol(
            s,
            person=p,
            cohort=a,
            status=EnrolmentStatus.WITHDRAWN,
            admitted_on=date(2025, 12, 1),
            withdrawn_on=date(2026, 1, 5),
            withdrawal_reason="employer",
        )
        # A1: 5 active + 1 dropout; women 4 + dropout woman... see counts in the test.
        started_a = [
            ("A1", EnrolmentStatus.ACTIVE, "Kvinne", "Bergen", None),
            ("A1", EnrolmentStatus.ACTIVE, "Kvinne", "Bergen", None),
            ("A1", EnrolmentStatus.ACTIVE, "Kvinne", "Bergen", None),
            ("A1", EnrolmentStatus.ACTIVE, "Mann", "Bergen", None),
            ("A1", EnrolmentStatus.ACTIVE, "Mann", "Bergen", None),
            ("A1", EnrolmentStatus.WITHDRAWN, "Kvinne", "Voss", None),
            ("A2", EnrolmentStatus.ACTIVE, "Kvinne", "Voss", None),
            ("A2", EnrolmentStatus.ACTIVE, "Mann", "Voss", None),
            ("A2", EnrolmentStatus.COMPLETED, "Kvinne", "Voss", 30.0),
            ("A2", EnrolmentStatus.COMPLETED, "Mann", "Voss", 30.0),
        ]
        for i, (cls, status, gender, muni, credits) in enumerate(started_a):
            p = await person(
                200 + i,
                gender=gender,
                municipality=muni,
                county="Vestland",
                position="Enhetsleder",
                service_area="Sykehjem",
            )
            extra: dict[str, Any] = {"started_on": date(2026, 1, 10), "credits": credits}
            if status == EnrolmentStatus.WITHDRAWN:
                extra.update(withdrawn_on=date(2026, 3, 1), withdrawal_reason="personal")
            await enrol(
                s, person=p, cohort=a, cls=a1 if cls == "A1" else a2, status=status, **extra
            )
            a_people[cls].append(p)
        b_people = []
        for i in range(6):
            withdrawn = i == 5
            p = await person(
                300 + i,
                gender="Mann" if i == 0 else "Kvinne",
                municipality="Oslo",
                county="Oslo",
                position="Avdelingsleder",
                service_area="Hjemmetjeneste",
            )
            await enrol(
                s,
                person=p,
                cohort=b,
                cls=b1,
                status=EnrolmentStatus.WITHDRAWN if withdrawn else EnrolmentStatus.COMPLETED,
                started_on=date(2025, 8, 1),
                credits=None if withdrawn else 30.0,
                withdrawn_on=date(2026, 5, 1) if withdrawn else None,
                withdrawal_reason="personal" if withdrawn else None,
            )
            b_people.append(p)
        p = await person(400)
        await enrol(s, person=p, cohort=c, status=EnrolmentStatus.COMPLETED, credits=30.0)

        # Pulses: A anonymous scale + text; B named NPS. Answers go through record_answer.
        pa, qa = await create_pulse(
            s,
            cohort=a,
            title="Etter samling 1",
            anonymous=True,
            questions=(("scale5", "Hvor nyttig var samlingen?"), ("text", "Hva kan bli bedre?")),
            opens_at=utc(2026, 2, 2, 8),
        )
        pb, qb = await create_pulse(
            s,
            cohort=b,
            title="Sluttevaluering",
            anonymous=False,
            questions=(("nps", "Vil du anbefale programmet?"),),
            opens_at=utc(2026, 1, 20, 8),
        )
        everyone_a = a_people["A1"] + a_people["A2"]
        await add_participations(
            session=s, pulse_id=pa.id, person_ids=[p.id for p in everyone_a], invited_at=pa.opens_at
        )
        await add_participations(
            session=s, pulse_id=pb.id, person_ids=[p.id for p in b_people], invited_at=pb.opens_at
        )
        # How pulse A's audience was reached, as invite records it: A1 6 (Slack 4, email 2),
        # A2 4 asked by email and 1 nothing reached.
        await record_pulse_reach(
            session=s,
            pulse_id=pa.id,
            counts={
                (a1.id, "slack"): 4,
                (a1.id, "email"): 2,
                (a2.id, "email"): 4,
                (a2.id, "none"): 1,
            },
        )
        ids.update(a=a, b=b, pa=pa, qa=qa, pb=pb, qb=qb, a_people=a_people, b_people=b_people)

        # Line managers: 10 nudged in A; 6 done, 2 later, 2 unanswered (1 escalated).
        mgr = await person(900)
        nudge = Nudge(
            cohort_id=a.id,
            key="forventning",
            kind="before_start",
            title="Forventningssamtale",
            send_at=utc(2026, 1, 5, 8),
        )
        s.add(nudge)
        await s.flush()
        hours = [1, 2, 3, 4, 5, 6, 24, 48]
        for i, p in enumerate(everyone_a):
            answered = i < 8
            s.add(
                NudgeAnswer(
                    nudge_id=nudge.id,
                    participant_id=p.id,
                    manager_id=mgr.id,
                    answer=("done" if i < 6 else "later") if answered else None,
                    sent_at=utc(2026, 1, 5, 8),
                    answered_at=utc(2026, 1, 5, 8) + timedelta(hours=hours[i])
                    if answered
                    else None,
                    escalated_at=utc(2026, 1, 12, 8) if i == 9 else None,
                )
            )
        # Networks: one peer group in A, 4 check-ins, 3 met.
        net = Network(kind="peer_group", key="kg-a", name="Kollegagruppe A", cohort_id=a.id)
        s.add(net)
        await s.flush()
        rnd = MatchRound(network_id=net.id, started_at=utc(2026, 3, 1, 8))
        s.add(rnd)
        await s.flush()
        grp = MatchGroup(round_id=rnd.id, member_ids=[p.id for p in everyone_a[:4]])
        s.add(grp)
        await s.flush()
        for i, p in enumerate(everyone_a[:4]):
            s.add(
                MatchCheckin(
                    group_id=grp.id,
                    person_id=p.id,
                    answer="yes" if i < 3 else "not_yet",
                    answered_at=utc(2026, 3, 10, 8),
                )
            )

    # Answers: A1 all six answer [5,4,4,3,5,4]; A2 three of four answer [2,3,5]; two texts.
    answer_at = utc(2026, 2, 3, 9)
    async with db.transaction() as s:
        for p, v in zip(ids["a_people"]["A1"], [5, 4, 4, 3, 5, 4], strict=True):
            out = await record_answer(
                s, ids["pa"].id, p.id, ids["qa"][0].id, v, now=answer_at, settings=settings
            )
            assert out.accepted
        for p, v in zip(ids["a_people"]["A2"][:3], [2, 3, 5], strict=True):
            await record_answer(
                s, ids["pa"].id, p.id, ids["qa"][0].id, v, now=answer_at, settings=settings
            )
        for p in ids["a_people"]["A1"][:2]:
            await record_answer(
                s,
                ids["pa"].id,
                p.id,
                ids["qa"][1].id,
                text="Mer tid til grupper",
                now=answer_at,
                settings=settings,
            )
        # B: 5 of 6 answer the NPS question [10, 9, 8, 6, 10].
        for p, v in zip(ids["b_people"][:5], [10, 9, 8, 6, 10], strict=True):
            await record_answer(
                s,
                ids["pb"].id,
                p.id,
                ids["qb"][0].id,
                v,
                now=utc(2026, 1, 21, 9),
                settings=settings,
            )
    # A closes: its sealed answers are released. The classes on the answer rows are decided
    # then, with the threshold of that moment; these tests read with 2, so release with 2.
    async with db.transaction() as s:
        await close(
            s,
            ids["pa"],
            now=utc(2026, 2, 9, 8),
            settings=settings.model_copy(update={"min_group_size": 2}),
        )
    return ids


def table(report: AnnualReport, key: str) -> dict[str, list[Any]]:
    for section in report.sections:
        for tb in section.tables:
            if tb.key == key:
                return {
                    h: [("*" if c.suppressed else c.value) for c in cells] for h, cells in tb.rows
                }
    raise KeyError(key)


@pytest.fixture
def open_settings(settings: Settings) -> Settings:
    """min_group_size 2, so the hand-computed numbers show (only 1s are hidden)."""
    return settings.model_copy(update={"min_group_size": 2})


async def test_every_section_matches_the_hand_computed_numbers(
    db: Database, open_settings: Settings
) -> None:
    ids = await build_fixture(db, open_settings)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=open_settings, now=NOW)
    assert [c.name for c in report.cohorts] == ["Kull B", "Kull A"]  # by start date

    # Applicants, admitted, started (the intake counts in the cohort's start year: B's in 2025),
    # participants in 2026, completed, withdrawn, dropouts, did not start, in progress, outcome
    # not recorded (A ended 15 Dec with 7 still recorded active), completion % of those who ended.
    enrol_t = table(report, "enrolment")
    assert enrol_t["Kull A"] == [13, 11, 10, 10, 2, 2, 1, 0, 7, 7, 66.7]
    assert enrol_t["Kull B"] == [0, 0, 0, 6, 5, 1, 1, 0, 0, 0, 83.3]
    assert enrol_t["Totalt"] == [13, 11, 10, 16, 7, 3, 2, 0, 7, 7, 77.8]
    # The summary puts earlier years beside this one: C ran in 2024, B started in 2025.
    summary = table(report, "summary")
    assert summary["Søkere"] == [1, 6, 13]
    assert summary["Fullført"] == [1, 0, 7]

    # Dropout: when and why, with k=2 every 1 hidden and enough complements that none follows
    # from the published totals (1 withdrawn in B, 2 in A).
    when = table(report, "dropout_when")
    assert when["Totalt"] == [1, 2, 3]
    assert when["Før første samling"] == [0, 0, 0]
    assert when["Før oppstart"][1] == "*" and when["Mellom samling 1 og 2"][1] == "*"
    why = table(report, "dropout_why")
    assert set(why) == {
        "Arbeidsbelastning",
        "Arbeidsgiver ga ikke tid",
        "Ny jobb eller endret stilling",
        "Personlige forhold",
        "Faglig krevende",
        "Svarte ikke til forventningene",
        "Annet",
        "Ikke oppgitt",
        "Totalt",
    }  # the fixed categories, every one listed: a row's presence tells nothing
    assert why["Personlige forhold"] == ["*", "*", "*"]
    assert why["Arbeidsgiver ga ikke tid"][1] == "*"

    # Background: gender of started participants. A: 6 women, 4 men; B: 5 women, 1 man.
    gender = table(report, "background_gender")
    assert gender["Kvinne"] == ["*", "*", 11]
    assert gender["Mann"] == ["*", "*", 5]
    assert gender["Totalt"] == [6, 10, 16]
    position = table(report, "background_position")
    assert position["Enhetsleder"] == [0, 10, 10]
    assert position["Avdelingsleder"] == [6, 0, 6]
    education = table(report, "background_education")
    assert education["Ukjent / ikke oppgitt"] == [6, 10, 16]

    # Geography: counties, and municipalities represented (Bergen, Voss; Oslo).
    county = table(report, "geography_county")
    assert county["Vestland"] == [0, 10, 10]
    assert county["Oslo"] == [6, 0, 6]
    munis = table(report, "geography_municipalities")
    assert munis == {"Oslo": [1], "Vestland": [2], "Totalt": [3]}
    muni = table(report, "geography_municipality")
    # Municipalities for all cohorts at once: per cohort nearly every cell would be small.
    assert muni == {"Oslo": [6], "Bergen": [5], "Voss": [5], "Totalt": [16]}

    # Evaluations. Pulse A: invited 6/4, answered 6/3 -> 90 %; mean A1 25/6, A2 10/3, all 35/9.
    pa, pb = ids["pa"], ids["pb"]
    resp = table(report, f"pulse_{pa.id}_response")
    assert resp["A1 Bergen"] == [6, 6, 100.0]
    assert resp["A2 Oslo"] == [4, 3, 75.0]
    assert resp["Hele kullet"] == [10, 9, 90.0]
    # How they were asked (Slack, Teams, email, not reached): small cells hidden, and with the
    # invited counts above as equations (A1: Slack + email = 6) their partners go too.
    reached = table(report, f"pulse_{pa.id}_reach")
    # Solving the shown totals with the invited counts leaves A1's Slack cell anywhere in 0..4.
    assert reached == {
        "A1 Bergen": ["*", 0, "*", 0],
        "A2 Oslo": ["*", 0, "*", "*"],
        "Hele kullet": [4, 0, 6, "*"],
    }
    q1 = table(report, f"pulse_{pa.id}_q1")
    # n, counts for 1..5, mean
    assert q1["A1 Bergen"] == [6, 0, 0, 1, 3, 2, 4.17]
    assert q1["A2 Oslo"] == [3, 0, 1, 1, 0, 1, 3.33]
    assert q1["Hele kullet"] == [9, 0, 1, 2, 3, 3, 3.89]
    # Pulse B (one class: the total only): NPS (3 promoters - 1 detractor) / 5 = 40.
    nps = table(report, f"pulse_{pb.id}_q1")
    assert nps["Hele kullet"] == [5, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 2, 8.6, 40.0]
    assert table(report, f"pulse_{pb.id}_response")["Hele kullet"] == [6, 5, 83.3]

    # Results recorded in 2026: B's five completed with 30 credits, A's two.
    results = table(report, "results_distribution")
    assert results["30"] == [5, 2, 7]
    assert results["Med studiepoeng"] == [5, 2, 7]
    assert results["Studiepoeng totalt"] == [150.0, 60.0, 210.0]
    assert results["Studiepoeng per deltaker med resultat"] == [30.0, 30.0, 30.0]
    assert table(report, "results_exams")["Ingen eksamen registrert"] == [5, 2, 7]

    # Line managers: 10 participants' manager asked, and that is one manager, not ten;
    # 80 % answered, 60 % done, median of [1,2,3,4,5,6,24,48] = 4.5 h. One manager and one
    # escalation are groups under the minimum (2 here): hidden.
    inv = table(report, f"involvement_{ids['a'].id}")
    assert inv["Forventningssamtale"] == [10, "*", 80.0, 60.0, 4.5, "*"]

    # Networks: 1 round, 4 check-ins, 3 met: 75 % would say that exactly 1 did not meet.
    assert table(report, "networks")["Kollegagruppe A"] == [1, 4, "*"]


async def test_default_min_group_hides_small_groups_and_their_complements(
    db: Database, settings: Settings
) -> None:
    ids = await build_fixture(db, settings)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=settings, now=NOW)
    # A2 has 3 answers (< 5); A1 (6) is hidden too, or the total (9) - A1 would give A2 away.
    q1 = table(report, f"pulse_{ids['pa'].id}_q1")
    assert q1["A2 Oslo"] == ["*"] * 7
    assert q1["A1 Bergen"] == ["*"] * 7
    assert q1["Hele kullet"] == [9, 0, 1, 2, 3, 3, 3.89]
    # Gender: 4 and 1 men are hidden; 6 and 5 women too, since the column totals show.
    gender = table(report, "background_gender")
    assert gender["Mann"] == ["*", "*", 5]
    assert gender["Kvinne"] == ["*", "*", 11]
    # No hidden value leaks into the CSV.
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    hidden = [r for r in rows if r["suppressed"] == "1"]
    assert hidden and all(r["value"] == "" for r in hidden)


async def test_year_without_cohorts_renders(db: Database, settings: Settings) -> None:
    async with db.session() as s:
        report = await build_annual_report(s, year=2030, settings=settings, now=NOW)
    html = render_html(report)
    assert "Ingen kull hadde aktivitet i 2030" in html


async def test_dropout_section_says_when_nobody_withdrew(db: Database, settings: Settings) -> None:
    """Not a heading and an intro over nothing, as the demo's report showed."""
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull uten frafall")
        for i in range(3):
            person = await create_person(s, name=f"Deltaker {i}")
            await enrol(s, person=person, cohort=cohort)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=settings, now=NOW)
    [dropout] = [sec for sec in report.sections if sec.key == "dropout"]
    assert dropout.tables == []
    assert dropout.intro.endswith("Ingen deltakere i disse kullene har trukket seg.")
    assert "Ingen deltakere i disse kullene har trukket seg." in render_html(report)


async def test_html_is_accessible_and_self_contained(db: Database, settings: Settings) -> None:
    await build_fixture(db, settings)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=settings, now=NOW)
    html = render_html(report)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="nb">' in html
    assert "@page { size: A4" in html
    assert "<caption>" in html and '<th scope="col">' in html and '<th scope="row">' in html
    assert "<svg" in html and 'role="img"' in html
    for external in ("<link", 'src="http', 'href="http', "@import", "url(http"):
        assert external not in html  # nothing is loaded from outside the file
    assert "<script" not in html


async def test_english_headings(db: Database, settings: Settings) -> None:
    await build_fixture(db, settings)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=settings, now=NOW, locale="en")
    assert report.sections[0].title == "Summary"
    assert report.sections[1].title == "Applicants and participants"
    assert '<html lang="en">' in render_html(report)


async def test_xlsx_reads_back_with_numbers_as_numbers(
    db: Database, open_settings: Settings
) -> None:
    await build_fixture(db, open_settings)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=open_settings, now=NOW)
    wb = load_workbook(io.BytesIO(render_xlsx(report)), read_only=True)
    assert len(wb.sheetnames) == len(report.sections)
    ws = wb[wb.sheetnames[1]]
    rows = [r for r in ws.iter_rows(values_only=True) if r and r[0] == "Kull A"]
    assert rows[0][1:12] == (13, 11, 10, 10, 2, 2, 1, 0, 7, 7, 66.7)
    assert all(isinstance(v, int | float) for v in rows[0][1:12])


async def test_csv_is_one_tidy_table(db: Database, open_settings: Settings) -> None:
    await build_fixture(db, open_settings)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=open_settings, now=NOW)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    applicants = [
        r
        for r in rows
        if r["section"] == "enrolment" and r["cohort"] == "Kull A" and r["measure"] == "applicants"
    ]
    assert [r["value"] for r in applicants] == ["13"]


async def test_participation_rows_never_hold_a_time_of_answer(
    db: Database, settings: Settings
) -> None:
    ids = await build_fixture(db, settings)
    async with db.session() as s:
        parts = (await s.exec(select(PulseParticipation))).all()
    assert {p.invited_at for p in parts if p.pulse_id == ids["pa"].id} == {ids["pa"].opens_at}


def test_numbers_are_norwegian_everywhere_in_bokmal() -> None:
    """No "7.5" beside "5,1": cells, credit labels and chart axes all use the decimal comma."""
    import re

    from bot.report import Cell, Chart, _fmt_credits
    from bot.report.render import _cell_html, chart_svg, format_number

    assert format_number(7.5, "nb", "credits") == "7,5"
    assert format_number(12345, "nb") == "12\u00a0345"
    assert _fmt_credits(7.5, "nb") == "7,5" and _fmt_credits(7.5, "en") == "7.5"
    assert "5,1" in _cell_html(Cell(5.1, unit="percent"), "nb", "skjult")
    svg = chart_svg(Chart("k", "t", ["a", "b"], [("s", [1.5, 2.25])], "Snitt"), "nb")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "1,5" in texts and not [t for t in texts if re.fullmatch(r"\d+\.\d+", t)]
