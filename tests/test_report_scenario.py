"""A cohort with known truth, built only through the command line, against every figure.

Cohort 2025h runs 15 Aug 2025 – 15 Jun 2026 (two calendar years), classes Bergen and Oslo, four
sessions (10 Sep, 5 Nov 2025; 4 Feb, 22 Apr 2026). 22 enrolments from one people file with status
columns, two more facts recorded with `cohortbot person status`:

| who | recorded |
|---|---|
| b1–b6 | completed 2026-06-15, 30 credits, passed |
| b7 | completed 2026-06-15, 15 credits, failed |
| b8 | withdrew 2025-10-01, workload (between sessions 1 and 2) |
| b9 | withdrew 2026-03-01, personal (between sessions 3 and 4) |
| b10 | active: the cohort is over and no outcome is recorded |
| o1–o5 | completed 2026-06-15, 30 credits, passed |
| o6 | completed 2026-06-15, 7.5 credits, no exam |
| o7 | withdrew 2025-12-01, employer (between sessions 2 and 3) |
| o8 | did not start (2025-08-20) |
| o9 | CLI: withdrew 2026-05-01, job_change (after the last session) |
| o10 | CLI: completed 2026-06-15, 30 credits, passed |
| a1, a2 | applicants only |

Women: b1–b5, o1–o8, a1; men: the rest. Line managers: five, each for four participants.
The 2025 report holds the intake and 2025's events only; the 2026 report 2026's only.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from bot.enrolment_status import WITHDRAWAL_REASONS
from bot.settings import Settings
from tests.test_cli_run import run_cli
from tests.utils.attacker import equal, ratio, solutions

PLAN = """\
programme:
  key: nlph
  name: Nasjonal lederutdanning for primærhelsetjenesten
cohort:
  key: 2025h
  name: Kull 2025 høst
  start: 2025-08-15
  end: 2026-06-15
classes:
  - {key: bergen, name: Klasse Bergen, city: Bergen}
  - {key: oslo, name: Klasse Oslo, city: Oslo}
sessions:
  - {key: s1, number: 1, title: Samling 1, start: 2025-09-10 09:00, end: 2025-09-11 15:00}
  - {key: s2, number: 2, title: Samling 2, start: 2025-11-05 09:00, end: 2025-11-06 15:00}
  - {key: s3, number: 3, title: Samling 3, start: 2026-02-04 09:00, end: 2026-02-05 15:00}
  - {key: s4, number: 4, title: Samling 4, start: 2026-04-22 09:00, end: 2026-04-23 15:00}
nudges:
  - key: start
    kind: before_start
    title: Avtal mål
    text: Sett av en halvtime.
    send: 14 days before session 1 at 09:00
"""

DONE = ("completed", "2026-06-15", "", "30", "passed")
PEOPLE: list[tuple[str, str, str, tuple[str, str, str, str, str]]] = [
    *((f"b{i}", "bergen", "Kvinne" if i <= 5 else "Mann", DONE) for i in range(1, 7)),
    ("b7", "bergen", "Mann", ("completed", "2026-06-15", "", "15", "failed")),
    ("b8", "bergen", "Mann", ("withdrawn", "2025-10-01", "workload", "", "")),
    ("b9", "bergen", "Mann", ("withdrawn", "2026-03-01", "Personlige forhold", "", "")),
    ("b10", "bergen", "Mann", ("active", "", "", "", "")),
    *((f"o{i}", "oslo", "Kvinne", DONE) for i in range(1, 6)),
    ("o6", "oslo", "Kvinne", ("completed", "2026-06-15", "", "7,5", "")),
    ("o7", "oslo", "Kvinne", ("withdrawn", "2025-12-01", "employer", "", "")),
    ("o8", "oslo", "Kvinne", ("not_started", "2025-08-20", "", "", "")),
    ("o9", "oslo", "Mann", ("active", "", "", "", "")),
    ("o10", "oslo", "Mann", ("active", "", "", "", "")),
    ("a1", "oslo", "Kvinne", ("applicant", "", "", "", "")),
    ("a2", "bergen", "Mann", ("applicant", "", "", "", "")),
]


def people_csv() -> str:
    header = (
        "email,name,class,municipality,county,service_area,position,gender,education,"
        "line_manager_email,line_manager_name,workplace,status,status_date,withdrawal_reason,"
        "credits,exam_result"
    )
    lines = [header]
    for n, (who, cls, gender, facts) in enumerate(PEOPLE):
        muni, county = ("Bergen", "Vestland") if cls == "bergen" else ("Oslo", "Oslo")
        manager = f"leder{n // 4 + 1}@kommune.no"
        cells = [
            f"{who}@kommune.no",
            who.upper(),
            cls,
            muni,
            county,
            "Sykehjem",
            "Enhetsleder",
            gender,
            "Sykepleier",
            manager,
            f"Leder {n // 4 + 1}",
            f"{muni} sykehjem",
            *facts,
        ]
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    return "\n".join(lines) + "\n"


def env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "COHORTBOT_SECRET_KEY": settings.secret_key or "",
    }


def cli(args: list[str], settings: Settings, tmp_path: Path) -> Any:
    result = run_cli(args, env(settings), tmp_path)
    assert result.returncode == 0, result.stderr
    return result


def report_rows(year: int, settings: Settings, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / f"{year}.csv"
    cli(
        ["report", "annual", "--year", str(year), "--format", "csv", "--out", str(out)],
        settings,
        tmp_path,
    )
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))


def figure(rows: list[dict[str, str]], section: str, measure: str, **where: str) -> str:
    found = [
        r
        for r in rows
        if r["section"] == section
        and r["measure"] == measure
        and all(r[k] == v for k, v in where.items())
    ]
    assert len(found) == 1, (section, measure, where, found)
    r = found[0]
    return "*" if r["suppressed"] == "1" else (r["value"] or r["missing"])


def build(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "people.csv").write_text(people_csv(), encoding="utf-8")
    cli(["plan", "apply", str(tmp_path / "plan.yaml")], settings, tmp_path)
    cli(
        ["import", "people", str(tmp_path / "people.csv"), "--cohort", "2025h", "--no-slack"],
        settings,
        tmp_path,
    )
    cli(
        [
            *("person", "status", "o9@kommune.no", "--status", "withdrawn"),
            *("--reason", "job_change", "--date", "2026-05-01"),
        ],
        settings,
        tmp_path,
    )
    cli(
        [
            *("person", "status", "o10@kommune.no", "--status", "completed"),
            *("--date", "2026-06-15", "--credits", "30", "--result", "passed"),
        ],
        settings,
        tmp_path,
    )


async def test_a_cohort_across_two_years_counts_each_year_with_its_own_events(
    settings: Settings, tmp_path: Path
) -> None:
    build(settings, tmp_path)
    cohort = "Kull 2025 høst"
    y25 = report_rows(2025, settings, tmp_path)
    y26 = report_rows(2026, settings, tmp_path)
    expected = {
        # measure: (2025, 2026)
        "applicants": ("22", "0"),
        "admitted": ("20", "0"),
        "started": ("19", "0"),
        "participants": ("19", "17"),
        "completed": ("0", "14"),
        "withdrawn": ("2", "2"),
        "dropouts": ("2", "2"),
        "not_started": ("1", "0"),
        "in_progress": ("17", "1"),
        "outcome_missing": ("0", "1"),
        "completion_rate": ("0.0", "87.5"),
    }
    for measure, (v25, v26) in expected.items():
        assert figure(y25, "enrolment", measure, cohort=cohort) == v25, measure
        assert figure(y26, "enrolment", measure, cohort=cohort) == v26, measure
    # The final report: the same figures per year, and the period counted once (19 people).
    out = tmp_path / "final.csv"
    cli(
        ["report", "final", "--from", "2025", "--to", "2026", "--format", "csv", "--out", str(out)],
        settings,
        tmp_path,
    )
    final = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    for measure, (v25, v26) in expected.items():
        assert figure(final, "enrolment", measure, cohort="2025") == v25, measure
        assert figure(final, "enrolment", measure, cohort="2026") == v26, measure
    assert figure(final, "enrolment", "participants", cohort="2025–2026") == "19"
    assert figure(final, "enrolment", "completed", cohort="2025–2026") == "14"
    assert figure(final, "enrolment", "withdrawn", cohort="2025–2026") == "4"
    assert {r["period"] for r in final} == {"2025–2026"}
    # One cohort: no "Totalt" column repeating it.
    assert not [r for r in y26 if r["section"] == "enrolment" and r["cohort"] == "Totalt"]
    # The summary of 2026 has 2025 beside it.
    assert figure(y26, "summary", "completed", cohort="2025") == "0"
    assert figure(y26, "summary", "completed", cohort="2026") == "14"

    # Background: participants of each year (2025: 12 women, 7 men; 2026: 11 and 6).
    assert figure(y25, "background", "gender", cohort=cohort, category="Kvinne") == "12"
    assert figure(y25, "background", "gender", cohort=cohort, category="Mann") == "7"
    assert figure(y26, "background", "gender", cohort=cohort, category="Kvinne") == "11"
    assert figure(y26, "background", "gender", cohort=cohort, category="Mann") == "6"
    assert figure(y26, "background", "workplace", cohort=cohort, category="Oslo sykehjem") == "8"
    assert figure(y26, "geography", "county", cohort=cohort, category="Vestland") == "9"
    assert figure(y26, "geography", "municipality", cohort=cohort, category="Oslo") == "8"

    # Results count in 2026 only; none in 2025.
    assert not [r for r in y25 if r["section"] == "results"]
    # Every figure shown is the truth; the two lone results (15 and 7.5 credits) are hidden.
    truth = {("credits_achieved", "30"): "12", ("recorded", ""): "14", ("with_credits", ""): "14"}
    truth |= {("total_credits", ""): "382.5", ("mean_credits", ""): "27.3"}
    truth |= {("exam_result", "passed"): "12"}
    for (measure, category), value in truth.items():
        shown = figure(y26, "results", measure, cohort=cohort, category=category)
        assert shown in (value, "*"), (measure, shown)
    assert figure(y26, "results", "credits_achieved", cohort=cohort, category="15") == "*"
    assert figure(y26, "results", "credits_achieved", cohort=cohort, category="7.5") == "*"
    assert figure(y26, "results", "exam_result", cohort=cohort, category="failed") == "*"

    # Dropout: 2 in each year, by reason category only, and no breakdown a reader could solve.
    assert figure(y26, "dropout", "withdrawn", cohort=cohort, category="") == "2"
    reasons = [r for r in y26 if r["measure"] == "withdrawn_reason" and r["category"]]
    assert {r["category"] for r in reasons} >= {"personal", "job_change", "other"}
    assert all(r["suppressed"] == "1" for r in reasons)
    assert {r["category"] for r in reasons} <= set(WITHDRAWAL_REASONS)
    text = "\n".join(",".join(r.values()) for r in y26)
    assert "@kommune.no" not in text and "B10" not in text  # aggregates only

    # The nudge planned before session 1 never went out: not "asked", not 0 %.
    nudge = [r for r in y25 if r["section"] == "involvement"]
    assert {r["value"] for r in nudge if r["category"] == "managers"} == {"0"}
    assert {r["missing"] for r in nudge if r["category"] == "answered"} == {"not_sent"}
    assert not [r for r in y26 if r["section"] == "involvement"]  # nothing planned or sent


async def test_results_cannot_be_solved_from_the_credit_sums(
    settings: Settings, tmp_path: Path
) -> None:
    """The issue's attack: "30: 12", "recorded 14", "credits in total 382,5" would give
    15 x + 7.5 y = 22.5 and x + y = 2, so x = y = 1. Solve what the CSV shows and fail."""
    build(settings, tmp_path)
    rows = [r for r in report_rows(2026, settings, tmp_path) if r["section"] == "results"]
    dist = [r for r in rows if r["measure"] == "credits_achieved"]
    values = {r["category"]: r for r in dist}
    assert set(values) == {"30", "15", "7.5"}
    truth = {"30": 12, "15": 1, "7.5": 1}
    atoms = list(truth)
    idx = {k: i for i, k in enumerate(atoms)}
    known = {idx[k]: int(r["value"]) for k, r in values.items() if r["suppressed"] == "0"}
    eqs = []

    def shown(measure: str) -> str | None:
        [r] = [r for r in rows if r["measure"] == measure]
        return None if r["suppressed"] == "1" else r["value"]

    if shown("recorded") is not None:
        eqs.append(equal({i: 1 for i in idx.values()}, float(shown("recorded") or 0)))
    if shown("with_credits") is not None:
        eqs.append(equal({i: 1 for i in idx.values()}, float(shown("with_credits") or 0)))
    if shown("total_credits") is not None:
        eqs.append(
            equal({idx[k]: float(k) for k in atoms}, float(shown("total_credits") or 0), 0.05)
        )
    mean = shown("mean_credits")
    if mean is not None:
        eqs.append(
            ratio(
                {idx[k]: float(k) for k in atoms},
                {i: 1.0 for i in idx.values()},
                float(mean),
                0.05,
            )
        )
    found = solutions(len(atoms), known, eqs, cap=20)
    assert tuple(truth.values()) in found
    for small in ("15", "7.5"):
        assert values[small]["suppressed"] == "1"
        possible = {x[idx[small]] for x in found}
        assert len(possible) > 1, f"{small} credits solved: {possible}"
