"""Benchmark: the annual report (HTML) on a synthetic year, on SQLite and PostgreSQL.

Data: 10 cohorts x 600 participants (5 classes each), 30 pulses per cohort with 2 questions and
about 55 % response (about 200,000 answers), 4 line-manager nudges per cohort, 5 sessions, and a
peer-matching round per cohort.

    .venv/bin/python -m bench.report                 # both databases (PostgreSQL if it answers)
    .venv/bin/python -m bench.report --db sqlite
    COHORTBOT_BENCH_POSTGRES_URL=postgresql://127.0.0.1:5432/test .venv/bin/python -m bench.report

The data is generated once per database; the report then runs in a fresh child process, three
times, so the peak RSS (ru_maxrss) is the report's alone. A fourth run under tracemalloc gives
the peak of Python allocations.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import col

COHORTS = 10
PARTICIPANTS = 600
CLASSES = 5
PULSES = 30
RESPONSE = 0.55
YEAR = 2026
SECRET = "bench-secret-key-0123456789abcdef"
KEEP_SQLITE = "/tmp/cohortbot-bench-report.db"
KEEP_PG = "cohortbot_bench_report"
PG_URL = os.environ.get("COHORTBOT_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def generate(url: str, seed: int = 2026) -> dict[str, int]:
    """Fill an empty, migrated database with the synthetic year; return row counts."""
    from storage.db import make_sync_engine
    from storage.models import (
        Cohort,
        CohortClass,
        Enrolment,
        MatchCheckin,
        MatchGroup,
        MatchRound,
        Network,
        Nudge,
        NudgeAnswer,
        Person,
        PersonIdentity,
        Programme,
        ProgrammeSession,
        Pulse,
        PulseAnswer,
        PulseParticipation,
        PulseQuestion,
    )

    rng = random.Random(seed)
    engine = make_sync_engine(url)
    counties = [
        "Vestland",
        "Oslo",
        "Viken",
        "Trøndelag",
        "Nordland",
        "Agder",
        "Innlandet",
        "Rogaland",
    ]
    positions = ["Enhetsleder", "Avdelingsleder", "Fagleder", "Kommunalsjef", "Daglig leder"]
    areas = ["Sykehjem", "Hjemmetjeneste", "Helsestasjon", "Legekontor", "Rus og psykiatri"]
    educations = ["Sykepleier", "Vernepleier", "Lege", "Fysioterapeut", "Sosionom", None]
    reasons = ["personal", "job_change", "workload", "employer", None]
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(
            insert(Programme).values(
                id=1, key="lu", name="Lederutdanning", created_at=datetime.now(UTC)
            )
        )
        person_id = 0
        class_id = 0
        pulse_id = 0
        question_id = 0
        people: list[dict[str, Any]] = []
        enrolments: list[dict[str, Any]] = []
        classes: list[dict[str, Any]] = []
        sessions: list[dict[str, Any]] = []
        pulses: list[dict[str, Any]] = []
        questions: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        answers: list[dict[str, Any]] = []
        nudges: list[dict[str, Any]] = []
        nudge_answers: list[dict[str, Any]] = []
        cohorts: list[dict[str, Any]] = [
            {
                "id": c,
                "programme_id": 1,
                "key": f"kull-{c}",
                "name": f"Kull {2025 + c // 6} {['Bergen', 'Oslo', 'Tromsø', 'Trondheim', 'Kristiansand'][c % 5]} {c}",
                "timezone": "Europe/Oslo",
                "start_date": date(2025 + c // 6, 1 + (c * 2) % 12, 1),
                "end_date": date(2026 + c // 6, 1 + (c * 2) % 12, 28),
                "status": "active",
                "created_at": datetime.now(UTC),
            }
            for c in range(1, COHORTS + 1)
        ]
        conn.execute(insert(Cohort), cohorts)
        for c in cohorts:
            cid = c["id"]
            start = datetime(c["start_date"].year, c["start_date"].month, 1, 8, tzinfo=UTC)
            cls_ids = []
            for k in range(CLASSES):
                class_id += 1
                cls_ids.append(class_id)
                classes.append(
                    {
                        "id": class_id,
                        "cohort_id": cid,
                        "key": f"k{k}",
                        "name": f"Klasse {k + 1}",
                        "city": "By",
                    }
                )
            for n in range(1, 6):
                sessions.append(
                    {
                        "cohort_id": cid,
                        "key": f"s{n}",
                        "number": n,
                        "title": f"Samling {n}",
                        "starts_at": start + timedelta(days=70 * (n - 1)),
                        "ends_at": start + timedelta(days=70 * (n - 1), hours=8),
                        "line_manager_involved": False,
                    }
                )
            members: list[tuple[int, int]] = []
            for i in range(PARTICIPANTS):
                person_id += 1
                county = rng.choice(counties)
                people.append(
                    {
                        "id": person_id,
                        "email": f"p{person_id}@example.no",
                        "name": f"Deltaker {person_id}",
                        "locale": "nb",
                        "county": county,
                        "municipality": f"{county} kommune {rng.randint(1, 12)}",
                        "service_area": rng.choice(areas),
                        "position": rng.choice(positions),
                        "gender": rng.choices(["Kvinne", "Mann", "Annet"], [80, 19, 1])[0],
                        "education": rng.choice(educations),
                        "is_staff": False,
                        "findable": False,
                        "created_at": datetime.now(UTC),
                        "updated_at": datetime.now(UTC),
                    }
                )
                roll = rng.random()
                status = (
                    "active"
                    if roll < 0.75
                    else "completed"
                    if roll < 0.88
                    else "withdrawn"
                    if roll < 0.95
                    else "applicant"
                )
                cls = cls_ids[i % CLASSES]
                enrolments.append(
                    {
                        "person_id": person_id,
                        "cohort_id": cid,
                        "class_id": cls,
                        "status": status,
                        "applied_on": c["start_date"] - timedelta(days=90),
                        "admitted_on": None
                        if status == "applicant"
                        else c["start_date"] - timedelta(days=30),
                        "started_on": None if status == "applicant" else c["start_date"],
                        "completed_on": c["end_date"] if status == "completed" else None,
                        "withdrawn_on": c["start_date"] + timedelta(days=rng.randint(0, 300))
                        if status == "withdrawn"
                        else None,
                        "withdrawal_reason": rng.choice(reasons) if status == "withdrawn" else None,
                        "credits": 30.0 if status == "completed" else None,
                        "is_alumnus": False,
                    }
                )
                if status != "applicant":
                    members.append((person_id, cls))
            for n in range(4):
                nid = len(nudges) + 1
                send = start + timedelta(days=20 + 60 * n)
                nudges.append(
                    {
                        "id": nid,
                        "cohort_id": cid,
                        "key": f"n{n}",
                        "kind": "custom",
                        "title": f"Påminnelse {n + 1}",
                        "text": "",
                        "send_at": send,
                    }
                )
                for pid, _ in members:
                    answered = rng.random() < 0.7
                    nudge_answers.append(
                        {
                            "nudge_id": nid,
                            "participant_id": pid,
                            "manager_id": pid,
                            "answer": rng.choice(["done", "done", "later", "cannot"])
                            if answered
                            else None,
                            "sent_at": send,
                            "answered_at": send + timedelta(hours=rng.randint(1, 96))
                            if answered
                            else None,
                            "escalated_at": None
                            if answered or rng.random() < 0.5
                            else send + timedelta(days=7),
                        }
                    )
            for p in range(PULSES):
                pulse_id += 1
                opens = datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(days=12 * p, hours=c["id"])
                anonymous = p % 3 != 0
                pulses.append(
                    {
                        "id": pulse_id,
                        "cohort_id": cid,
                        "key": f"puls-{p}",
                        "title": f"Puls {p + 1}: etter økt {p + 1}",
                        "anonymous": anonymous,
                        "audience": "participants",
                        "opens_at": opens,
                        "closes_at": opens + timedelta(days=7),
                        "closed_at": opens + timedelta(days=7),
                    }
                )
                second = ["nps", "choice", "text"][p % 3]
                q1 = question_id + 1
                q2 = question_id + 2
                question_id += 2
                questions.append(
                    {
                        "id": q1,
                        "pulse_id": pulse_id,
                        "position": 1,
                        "kind": "scale5",
                        "text": "Hvor nyttig var det?",
                        "choices": [],
                    }
                )
                questions.append(
                    {
                        "id": q2,
                        "pulse_id": pulse_id,
                        "position": 2,
                        "kind": second,
                        "text": "Neste spørsmål",
                        "choices": ["Ja", "Nei", "Vet ikke"] if second == "choice" else [],
                    }
                )
                for pid, cls in members:
                    answered = rng.random() < RESPONSE
                    parts.append(
                        {
                            "pulse_id": pulse_id,
                            "person_id": pid,
                            "invited_at": opens,
                            "answered": answered,
                        }
                    )
                    if not answered:
                        continue
                    token = uuid.uuid4().hex
                    person = None if anonymous else pid
                    answers.append(
                        {
                            "id": uuid.uuid4().hex,
                            "pulse_id": pulse_id,
                            "question_id": q1,
                            "person_id": person,
                            "respondent_token": token,
                            "class_id": cls,
                            "value": rng.choices([1, 2, 3, 4, 5], [3, 7, 20, 40, 30])[0],
                            "text": None,
                        }
                    )
                    if second == "text":
                        value, txt = None, rng.choice(["Bra", "Mer tid", "Nyttig"])
                    elif second == "nps":
                        value, txt = rng.randint(0, 10), None
                    else:
                        value, txt = rng.randint(0, 2), None
                    answers.append(
                        {
                            "id": uuid.uuid4().hex,
                            "pulse_id": pulse_id,
                            "question_id": q2,
                            "person_id": person,
                            "respondent_token": token,
                            "class_id": cls,
                            "value": value,
                            "text": txt,
                        }
                    )

        def bulk(model: Any, rows: list[dict[str, Any]], name: str) -> None:
            for i in range(0, len(rows), 5000):
                conn.execute(insert(model), rows[i : i + 5000])
            counts[name] = len(rows)

        bulk(CohortClass, classes, "classes")
        bulk(ProgrammeSession, sessions, "sessions")
        bulk(Person, people, "people")
        bulk(
            PersonIdentity,
            [
                {
                    "person_id": p["id"],
                    "platform": "slack",
                    "user_id": f"U{p['id']:06d}",
                    "active": True,
                    "reference": {},
                    "created_at": p["created_at"],
                    "updated_at": p["updated_at"],
                }
                for p in people
            ],
            "identities",
        )
        bulk(Enrolment, enrolments, "enrolments")
        bulk(Pulse, pulses, "pulses")
        bulk(PulseQuestion, questions, "questions")
        bulk(PulseParticipation, parts, "participations")
        bulk(PulseAnswer, answers, "answers")
        bulk(Nudge, nudges, "nudges")
        bulk(NudgeAnswer, nudge_answers, "nudge_answers")
        # One matching round per cohort with check-ins from a third of the members.
        for c in cohorts:
            net = conn.execute(
                insert(Network)
                .values(
                    kind="peer_group",
                    key=f"kg-{c['id']}",
                    name=f"Kollegagrupper {c['name']}",
                    cohort_id=c["id"],
                    is_private=False,
                )
                .returning(col(Network.id))
            ).scalar_one()
            rnd = conn.execute(
                insert(MatchRound)
                .values(network_id=net, started_at=datetime(YEAR, 3, 1, tzinfo=UTC))
                .returning(col(MatchRound.id))
            ).scalar_one()
            grp = conn.execute(
                insert(MatchGroup).values(round_id=rnd, member_ids=[]).returning(col(MatchGroup.id))
            ).scalar_one()
            first = (c["id"] - 1) * PARTICIPANTS + 1
            conn.execute(
                insert(MatchCheckin),
                [
                    {
                        "group_id": grp,
                        "person_id": pid,
                        "answer": rng.choice(["yes", "yes", "not_yet"]),
                        "answered_at": datetime(YEAR, 3, 20, tzinfo=UTC),
                    }
                    for pid in range(first, first + PARTICIPANTS // 3)
                ],
            )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            for table in (
                "cohort",
                "cohort_class",
                "person",
                "pulse",
                "pulse_question",
                "nudge",
                "network",
                "match_round",
                "match_group",
                "programme",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                    )
                )
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return counts


async def _run_report(url: str, fmt: str = "html") -> tuple[float, int]:
    from bot.report import produce_annual_report
    from bot.settings import Settings
    from storage.db import Database

    settings = Settings(database_url=url, secret_key=SECRET)
    db = Database(url)
    try:
        start = time.perf_counter()
        async with db.transaction() as session:
            data = await produce_annual_report(
                session, year=YEAR, fmt=fmt, settings=settings, now=datetime.now(UTC), actor="bench"
            )
        return time.perf_counter() - start, len(data)
    finally:
        await db.dispose()


def child(url: str, traced: bool) -> None:
    """Run the report once in this (fresh) process and print JSON with time and memory."""
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    report_seconds, size = asyncio.run(_run_report(url))
    total = time.perf_counter() - start  # includes importing matplotlib and connecting
    out: dict[str, Any] = {"report_s": report_seconds, "total_s": total, "bytes": size}
    if not traced:
        # Again in the same process: what a running bot pays for `/cohort report`, with
        # matplotlib and the models already imported.
        out["warm_s"] = asyncio.run(_run_report(url))[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time of this process: robust when other work shares the 2 cores (wall time is not).
    out["cpu_s"] = usage.ru_utime + usage.ru_stime
    out["maxrss_mb"] = usage.ru_maxrss / 1024
    if traced:
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    print(json.dumps(out))


def measure(url: str, runs: int = 3) -> dict[str, Any]:
    """Run the report in fresh processes; return the best and worst times and the peaks."""
    results = []
    for traced in [False] * runs + [True]:
        cmd = [sys.executable, "-m", "bench.report", "--child", url] + (
            ["--traced"] if traced else []
        )
        proc = subprocess.run(
            cmd, capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent
        )
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    timed = results[:runs]
    return {
        "report_s_best": min(r["report_s"] for r in timed),
        "report_s_worst": max(r["report_s"] for r in timed),
        "warm_report_s_best": min(r["warm_s"] for r in timed),
        "process_s_best": min(r["total_s"] for r in timed),
        "process_cpu_s_best": min(r["cpu_s"] for r in timed),
        "load_average_1min": os.getloadavg()[0],
        "maxrss_mb": max(r["maxrss_mb"] for r in timed),
        "tracemalloc_peak_mb": results[-1]["tracemalloc_peak_mb"],
        "html_bytes": timed[0]["bytes"],
    }


def _pg_database(name: str | None = None) -> tuple[str, str, bool] | None:
    """(url, name, created) of a bench database; an existing kept one is reused."""
    try:
        import psycopg

        name = name or f"cohortbot_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return PG_URL.rsplit("/", 1)[0] + "/" + name, name, not exists
    except Exception as exc:
        print(f"PostgreSQL at {PG_URL} not available ({type(exc).__name__}); skipping it")
        return None


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--child", metavar="URL")
    parser.add_argument("--traced", action="store_true")
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep (and reuse) the generated data: {KEEP_SQLITE} and database {KEEP_PG}",
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, args.traced)
        return
    from storage.migrate import upgrade

    targets: list[tuple[str, str, str | None, bool]] = []  # label, url, pg name, generate
    tmp = tempfile.TemporaryDirectory()
    if args.db in ("sqlite", "both"):
        path = Path(KEEP_SQLITE if args.keep else f"{tmp.name}/bench.db")
        targets.append(("SQLite", f"sqlite:///{path}", None, not path.exists()))
    if args.db in ("postgresql", "both"):
        pg = _pg_database(KEEP_PG if args.keep else None)
        if pg:
            targets.append(("PostgreSQL", pg[0], pg[1], pg[2]))
    try:
        for label, url, _, fresh in targets:
            if fresh:
                upgrade(url)
                start = time.perf_counter()
                counts = generate(url)
                print(f"{label}: generated {counts} in {time.perf_counter() - start:.1f} s")
            result = measure(url)
            rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
            print(f"{label}: " + json.dumps(rounded))
    finally:
        for _, _, name, _ in targets:
            if name and not args.keep:
                _drop_pg(name)
        tmp.cleanup()


if __name__ == "__main__":
    main()
