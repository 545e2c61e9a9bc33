"""App Home section builders: structure, limits, escaping, and the reused risk action id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.home import (
    CohortGlance,
    Glance,
    NextSession,
    OpenPulse,
    OpenRiskCase,
    OpenRiskCases,
    PulseRate,
)
from bot.risk import FOLLOW_UP_ACTION
from handlers.slack.blocks.home_sections import (
    build_cohorts_glance,
    build_next_session,
    build_open_pulses,
    build_risk_cases,
    percent,
)

# Tuesday 3 March 2026 09:00 in Oslo (UTC+1 in winter).
TUESDAY = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def texts(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def session(**kw: object) -> NextSession:
    values: dict = {
        "cohort_id": 1,
        "cohort_name": "Kull 2026 høst",
        "number": 2,
        "title": "Ledelse i endring",
        "starts_at": TUESDAY,
        "ends_at": TUESDAY + timedelta(hours=7),
        "location": "Scandic Bergen City",
        "tz": "Europe/Oslo",
    }
    values.update(kw)
    return NextSession(**values)


def test_next_session_shows_title_norwegian_date_and_place() -> None:
    blocks = build_next_session(session(), locale="nb")
    assert [b["type"] for b in blocks] == ["header", "section", "context"]
    assert blocks[0]["text"]["text"] == "Neste samling"
    text = blocks[1]["text"]["text"]
    assert "*Ledelse i endring* (samling 2)" in text
    assert "tirsdag 3. mars kl. 09.00" in text
    assert "Scandic Bergen City" in text
    assert "Kull 2026 høst" in blocks[2]["elements"][0]["text"]


def test_next_session_in_english_without_a_location() -> None:
    blocks = build_next_session(session(location=None), locale="en")
    assert blocks[0]["text"]["text"] == "Next session"
    assert "Tuesday 3 March at 09:00" in blocks[1]["text"]["text"]
    assert ":round_pushpin:" not in blocks[1]["text"]["text"]


def test_no_next_session_means_no_section() -> None:
    assert build_next_session(None, locale="nb") == []


def test_next_session_title_is_escaped() -> None:
    blocks = build_next_session(session(title="<!channel> & co"), locale="nb")
    assert "&lt;!channel&gt; &amp; co" in blocks[1]["text"]["text"]


def test_open_pulses_say_deadline_kind_and_where_the_questions_are() -> None:
    pulses = [
        OpenPulse(1, "Etter samling 1", TUESDAY, anonymous=True),
        OpenPulse(2, "Midtveis", TUESDAY + timedelta(days=1), anonymous=False),
    ]
    blocks = build_open_pulses(pulses, locale="nb", tz="Europe/Oslo")
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context"]
    first, second = blocks[1]["text"]["text"], blocks[2]["text"]["text"]
    assert "*Etter samling 1* – stenger tirsdag 3. mars kl. 09.00" in first
    assert "Anonym" in first
    assert "Ikke anonym" in second
    assert "direktemeldingen" in blocks[3]["elements"][0]["text"]
    # The Home only points to the DM: no answer buttons here.
    assert not any(b["type"] == "actions" or "accessory" in b for b in blocks)


def test_open_pulses_are_capped_and_the_rest_counted() -> None:
    pulses = [OpenPulse(i, f"Puls {i}", TUESDAY, anonymous=True) for i in range(8)]
    blocks = build_open_pulses(pulses, locale="en", tz="Europe/Oslo")
    assert len(blocks) == 1 + 5 + 1
    assert "… and 3 more." in blocks[-1]["elements"][0]["text"]


def test_no_open_pulses_means_no_section() -> None:
    assert build_open_pulses([], locale="nb", tz="Europe/Oslo") == []


def test_percent_is_written_the_local_way() -> None:
    assert percent(2 / 3, "nb") == "67 %"
    assert percent(2 / 3, "en") == "67%"
    assert percent(None, "nb") == "–"


def glance() -> Glance:
    active = CohortGlance(
        1,
        "Kull 2026 vår",
        "active",
        "Europe/Oslo",
        counts={"active": 18, "completed": 0, "withdrawn": 2},
        next_session=session(),
        pulses=[
            PulseRate(7, "Etter samling 1", TUESDAY, invited=20, answered=13),
            PulseRate(8, "Nytt spørsmål", TUESDAY, invited=0, answered=0),
        ],
    )
    planned = CohortGlance(2, "Kull 2026 høst", "planned", "Europe/Oslo", counts={"admitted": 25})
    return Glance(
        [active, planned],
        more_cohorts=1,
        cohortless_pulses=[PulseRate(9, "Alumni 6 mnd", TUESDAY, invited=40, answered=10)],
    )


def test_cohorts_glance_one_section_per_cohort_with_counts_session_and_rates() -> None:
    blocks = build_cohorts_glance(glance(), locale="nb", tz="Europe/Oslo")
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "context"]
    assert blocks[0]["text"]["text"] == "Kull i korte trekk"
    active = blocks[1]["text"]["text"]
    assert "*Kull 2026 vår* (aktivt)" in active
    assert "18 aktive · 0 fullført · 2 sluttet" in active
    assert "Neste samling: Ledelse i endring, tirsdag 3. mars kl. 09.00" in active
    assert "Etter samling 1: 13 av 20 har svart (65 %)" in active
    assert "Nytt spørsmål: ikke sendt ut ennå" in active
    planned = blocks[2]["text"]["text"]
    assert "(planlagt)" in planned and "25 tatt opp" in planned
    assert "Ingen flere samlinger planlagt." in planned
    assert "Ingen åpne pulser." in planned
    assert "Alumni 6 mnd: 10 av 40 har svart (25 %)" in blocks[3]["text"]["text"]
    assert "… og 1 kull til." in blocks[4]["elements"][0]["text"]


def test_cohorts_glance_shows_counts_never_names() -> None:
    text = texts(build_cohorts_glance(glance(), locale="en", tz="Europe/Oslo"))
    assert "Cohorts at a glance" in text
    assert "13 of 20 answered (65%)" in text
    assert "accessory" not in text and "actions" not in text


def test_cohorts_glance_with_nothing_planned() -> None:
    blocks = build_cohorts_glance(Glance(), locale="nb", tz="Europe/Oslo")
    assert [b["type"] for b in blocks] == ["header", "section"]
    assert "Ingen planlagte eller aktive kull." in blocks[1]["text"]["text"]


def case(i: int, **kw: object) -> OpenRiskCase:
    values: dict = {
        "case_id": i,
        "person_id": 100 + i,
        "name": f"Leder {i}",
        "cohort_name": "Kull 2026",
        "class_name": "Bergen",
        "reasons": ["overdue_assignments:2", "silent_manager:1"],
    }
    values.update(kw)
    return OpenRiskCase(**values)


def test_risk_cases_have_reasons_and_the_digest_follow_up_button() -> None:
    blocks = build_risk_cases(OpenRiskCases("2026-W10", [case(5)]), locale="nb")
    assert [b["type"] for b in blocks] == ["header", "section", "context"]
    section = blocks[1]
    assert "*Leder 5* (Kull 2026, Bergen)" in section["text"]["text"]
    assert "2 oppgaver over fristen" in section["text"]["text"]
    assert "nærmeste leder har ikke svart på 1 påminnelse," in section["text"]["text"]
    button = section["accessory"]
    # The same action id as the weekly digest, so handlers/actions/risk.py handles the click.
    assert button["action_id"] == f"{FOLLOW_UP_ACTION}.5"
    assert button["value"] == "5"
    assert button["text"]["text"] == "Fulgt opp"
    assert "Uke 10, 2026: 1 deltaker er ikke fulgt opp" in blocks[2]["elements"][0]["text"]


def test_risk_cases_cap_at_ten_with_the_rest_counted_and_unique_ids() -> None:
    cases = OpenRiskCases("2026-W10", [case(i) for i in range(10)], more=7)
    blocks = build_risk_cases(cases, locale="en")
    assert len(blocks) == 13
    ids = [b["accessory"]["action_id"] for b in blocks if "accessory" in b]
    assert len(ids) == len(set(ids)) == 10
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)) == 10
    footer = blocks[-2]["elements"][0]["text"]
    assert "Week 10, 2026: 17 participants" in footer
    assert "… and 7 more: see the whole list below." in footer
    # ... and the way to the whole list: a button that opens every case of the week.
    [button] = blocks[-1]["elements"]
    assert (button["action_id"], button["value"]) == ("staff_list.open", "risk|2026-W10|0")
    assert button["text"]["text"] == "Show the whole list (17)"
    assert "*Case 3*" in blocks[4]["text"]["text"]


def test_risk_case_names_are_escaped() -> None:
    blocks = build_risk_cases(
        OpenRiskCases("2026-W10", [case(1, name="<@U123>", class_name=None)]), locale="nb"
    )
    text = blocks[1]["text"]["text"]
    assert "*&lt;@U123&gt;* (Kull 2026)" in text


def test_no_open_risk_cases_is_said_plainly() -> None:
    blocks = build_risk_cases(OpenRiskCases(None, []), locale="nb")
    assert [b["type"] for b in blocks] == ["header", "section"]
    assert "Ingen åpne risikosaker" in blocks[1]["text"]["text"]
