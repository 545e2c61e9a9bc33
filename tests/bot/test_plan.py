"""The plan file: the relative time grammar (DST included) and validation with line numbers."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.plan import (
    PlanInvalid,
    SessionTimes,
    WhenError,
    load_plan,
    parse_duration,
    parse_plan,
    parse_when,
    resolve_when,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
OSLO = ZoneInfo("Europe/Oslo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO).astimezone(UTC)  # type: ignore[misc]


# --- grammar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "session", "edge", "amount", "unit", "at"),
    [
        ("start of session 3", "3", "start", 0, "days", None),
        ("session 2", "2", "start", 0, "days", None),
        ("end of session 2", "2", "end", 0, "days", None),
        ("2 days after session 2 at 09:00", "2", "start", 2, "days", time(9)),
        ("14 days before session 1 at 09:00", "1", "start", -14, "days", time(9)),
        ("1 day before session 3 at 23:59", "3", "start", -1, "days", time(23, 59)),
        ("3 hours after end of session 1", "1", "end", 3, "hours", None),
        ("2  Weeks  AFTER end of session s4 at 9.30", "s4", "end", 2, "weeks", time(9, 30)),
        ("30 minutes before session 1", "1", "start", -30, "minutes", None),
    ],
)
def test_relative_times_parse(
    text: str, session: str, edge: str, amount: int, unit: str, at: time | None
) -> None:
    when = parse_when(text)
    assert (when.session, when.edge, when.amount, when.unit, when.at) == (
        session,
        edge,
        amount,
        unit,
        at,
    )


def test_absolute_times_parse_as_local_wall_time() -> None:
    assert parse_when("2026-09-01 09:00").moment == datetime(2026, 9, 1, 9, 0)
    assert parse_when("2026-09-01T09:00").moment == datetime(2026, 9, 1, 9, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow", "is not a time"),
        ("2026-09-01", "has a date but no time"),
        ("2026-02-30 09:00", "is not a date"),
        ("2026-09-01 25:00", "is not a time of day"),
        ("3 hours after end of session 1 at 09:00", "goes with a day or week offset"),
        ("2 fortnights after session 1", "is not a time"),
    ],
)
def test_bad_times_say_what_was_expected(text: str, expected: str) -> None:
    with pytest.raises(WhenError, match=expected):
        parse_when(text)


def test_durations() -> None:
    assert parse_duration("7 days") == 7 * 24 * 60
    assert parse_duration("1 day") == 24 * 60
    assert parse_duration("12 hours") == 12 * 60
    assert parse_duration("2 weeks") == 14 * 24 * 60
    assert parse_duration("30 minutes") == 30
    with pytest.raises(WhenError, match="not a duration"):
        parse_duration("0 days")


# --- DST -----------------------------------------------------------------------------------

# Clocks go forward on Sunday 29 March 2026 (02:00 -> 03:00) and back on 25 October (03:00 -> 02:00).
SESSIONS = {
    "1": SessionTimes("s1", 1, oslo(2026, 3, 30, 9, 0), oslo(2026, 3, 31, 15, 0)),
    "s1": SessionTimes("s1", 1, oslo(2026, 3, 30, 9, 0), oslo(2026, 3, 31, 15, 0)),
    "2": SessionTimes("s2", 2, oslo(2026, 10, 26, 9, 0), oslo(2026, 10, 27, 15, 0)),
    "3": SessionTimes("s3", 3, oslo(2026, 10, 24, 20, 0), oslo(2026, 10, 25, 0, 30)),
}


def resolve(text: str) -> datetime:
    return resolve_when(parse_when(text), zone=OSLO, sessions=SESSIONS)


def test_day_offsets_keep_the_wall_clock_across_spring_forward() -> None:
    # Monday 30 March 09:00 CEST is 07:00 UTC; the Friday before is still CET: 09:00 = 08:00 UTC.
    assert resolve("start of session 1") == utc(2026, 3, 30, 7, 0)
    assert resolve("3 days before session 1") == utc(2026, 3, 27, 8, 0)
    assert resolve("1 day before session 1 at 09:00") == utc(2026, 3, 29, 7, 0)


def test_day_offsets_keep_the_wall_clock_across_fall_back() -> None:
    # Monday 26 October 09:00 CET is 08:00 UTC; two days earlier is CEST: 09:00 = 07:00 UTC.
    assert resolve("session 2") == utc(2026, 10, 26, 8, 0)
    assert resolve("2 days before session 2") == utc(2026, 10, 24, 7, 0)
    assert resolve("1 week after end of session 2 at 23:59") == utc(2026, 11, 3, 22, 59)


def test_hour_offsets_count_elapsed_time_across_the_change() -> None:
    # Session 3 ends 00:30 CEST on 25 October (22:30 UTC the day before); three real hours
    # later it is 01:30 UTC, which the Oslo wall clock shows as 02:30 CET.
    end = resolve("3 hours after end of session 3")
    assert end == utc(2026, 10, 25, 1, 30)
    assert end.astimezone(OSLO).strftime("%H:%M %Z") == "02:30 CET"


def test_a_wall_time_the_clocks_skip_is_an_error() -> None:
    with pytest.raises(WhenError, match="does not exist"):
        resolve("1 day before session 1 at 02:30")
    with pytest.raises(WhenError, match="does not exist"):
        resolve("2026-03-29 02:15")


def test_a_wall_time_that_happens_twice_means_the_first() -> None:
    assert resolve("2026-10-25 02:30") == utc(2026, 10, 25, 0, 30)  # 02:30 CEST


def test_unknown_session_names_the_known_ones() -> None:
    with pytest.raises(WhenError, match=r"unknown session '9'.*1 \(s1\)"):
        resolve("end of session 9")


# --- whole plans ---------------------------------------------------------------------------


def test_the_example_plan_is_valid_and_complete() -> None:
    plan = load_plan(EXAMPLE)
    assert plan.cohort.key == "2026h"
    assert plan.cohort.name == "Kull 2026 høst"
    assert {c.city for c in plan.classes} >= {"Bergen", "Trondheim", "Tromsø"}
    assert [s.number for s in plan.sessions] == [1, 2, 3, 4, 5]
    assert len(plan.assignments) >= 4 and len(plan.pulses) >= 6 and len(plan.nudges) >= 3
    sessions = {s.key: s for s in plan.sessions}
    for a in plan.assignments:  # released after a session, due before the next
        after = sessions[a.session_key or ""]
        following = next(s for s in plan.sessions if s.number == after.number + 1)
        assert after.ends_at <= a.release_at < a.due_at <= following.starts_at
    start = next(n for n in plan.nudges if n.kind == "before_start")
    assert start.send_at == oslo(2026, 9, 1, 9, 0)  # 14 days before session 1 at 09:00
    # session 2 is the first after the clocks go back: 09:00 CET is 08:00 UTC
    assert sessions["s2"].starts_at == utc(2026, 10, 27, 8, 0)


def test_minimal_plan_resolves_relative_times() -> None:
    plan = load_plan(FIXTURES / "minimal.yaml")
    (a1,) = plan.assignments
    assert a1.release_at == oslo(2026, 3, 25, 15, 0)
    assert a1.due_at == oslo(2026, 3, 29, 23, 59)  # the Sunday the clocks go forward
    assert a1.reminder_offsets == (2 * 24 * 60, 12 * 60)
    assert a1.session_key == "s1"
    (p1,) = plan.pulses
    assert p1.opens_at == oslo(2026, 3, 25, 18, 0)
    assert [q.kind for q in p1.questions] == ["scale5", "choice"]
    assert p1.questions[1].choices == ("For lav", "Passe", "For høy")
    assert plan.sessions[1].line_manager is True


EXPECTED_ERRORS = [
    (7, "cohort.timezone: 'Europe/Osloo' is not a time zone"),
    (12, "duplicate class key 'bergen' (first used on line 9)"),
    (12, "missing key 'city'"),
    (14, "unknown key 'citty' (did you mean 'city'?)"),
    (24, "'2026-10-27 9am' is not a time"),
    (30, "assignment 'a1'.due: must be after the release"),
    (33, "reference to unknown session '7'"),
    (37, "unknown kind 'reminder'; expected one of: before_start, assignment, session, custom"),
    (47, "unknown question kind 'stars'"),
    (54, "expected 1 to 3 questions, got 4"),
]


def test_every_error_is_reported_with_its_line() -> None:
    with pytest.raises(PlanInvalid) as caught:
        load_plan(FIXTURES / "errors.yaml")
    errors = [(e.line, e.message) for e in caught.value.errors]
    for line, fragment in EXPECTED_ERRORS:
        assert any(ln == line and fragment in msg for ln, msg in errors), (line, fragment, errors)
    assert len(errors) == len(EXPECTED_ERRORS), errors
    assert caught.value.lines()[0].startswith(f"{FIXTURES / 'errors.yaml'}:7: ")


def plan_text(**overrides: str) -> str:
    text = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
    for old, new in overrides.items():
        assert old in text
        text = text.replace(old, new)
    return text


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(PlanInvalid) as caught:
        parse_plan(text)
    return [(e.line, e.message) for e in caught.value.errors]


def test_duplicate_yaml_keys_are_errors() -> None:
    text = plan_text(**{"    title: Samling 1\n": "    title: Samling 1\n    title: Igjen\n"})
    assert errors_of(text) == [(23, "session 's1': duplicate key 'title' (first given on line 22)")]


def test_a_missing_section_and_unknown_top_level_key() -> None:
    text = plan_text(**{"classes:": "klasser:"})
    errors = errors_of(text)
    assert (1, "plan: missing key 'classes'") in errors
    assert any(line == 9 and "unknown key 'klasser'" in msg for line, msg in errors)


def test_yaml_syntax_errors_have_a_line() -> None:
    errors = errors_of("programme:\n  key: [unclosed\ncohort: x\n")
    assert len(errors) == 1 and errors[0][1].startswith("not valid YAML")
    assert errors[0][0] == 3


def test_an_empty_file_says_what_is_expected() -> None:
    assert errors_of("") == [
        (1, "the file is empty: expected programme, cohort, classes and sessions")
    ]


def test_choices_only_on_choice_questions_and_reminder_inside_the_window() -> None:
    text = plan_text(
        **{
            "      - kind: scale5\n        text: Hvor nyttig var samlingen?\n": (
                "      - kind: scale5\n        text: Hvor nyttig var samlingen?\n"
                "        choices: [a, b]\n"
            ),
            "reminder: 3 days after end of session 1 at 12:00": "reminder: 2026-05-01 12:00",
            "reminders: [2 days, 12 hours]": "reminders: [10 days]",
        }
    )
    messages = [m for _, m in errors_of(text)]
    assert any("only a 'choice' question has choices" in m for m in messages)
    assert any("must be after 'opens' and before 'closes'" in m for m in messages)
    assert any(
        "a reminder 10 days before the due time falls before the release" in m for m in messages
    )


def test_nudges_and_audiences_must_reference_what_exists() -> None:
    text = plan_text(
        **{
            "    kind: before_start": "    kind: assignment\n    assignment: a9",
            "    anonymous: true": "    anonymous: true\n    audience: class:oslo",
        }
    )
    messages = [m for _, m in errors_of(text)]
    assert any("reference to unknown assignment 'a9'" in m for m in messages)
    assert any(
        "reference to unknown class 'oslo'; expected one of: bergen, tromso, trondheim" in m
        for m in messages
    )


def test_a_digit_session_key_must_be_its_number() -> None:
    text = plan_text(**{"  - key: s1\n    number: 1": "  - key: '2'\n    number: 1"})
    messages = [m for _, m in errors_of(text)]
    assert "session '2'.key: a key made of digits must be the session's number (1)" in messages
