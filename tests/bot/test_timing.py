"""Quiet hours, Norwegian holidays, summer break and DST, with time as a parameter."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.settings import Settings
from bot.timing import (
    QuietHours,
    is_public_holiday,
    local_time,
    next_allowed,
    parse_summer_break,
)

OSLO = "Europe/Oslo"
POLICY = QuietHours()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_inside_the_window_is_unchanged() -> None:
    # Monday 2 March 2026 10:00 Oslo (CET, UTC+1)
    moment = utc(2026, 3, 2, 9, 0)
    assert next_allowed(moment, audience="participant", tz=OSLO, policy=POLICY) == moment


def test_participant_late_evening_moves_to_next_morning() -> None:
    # 23:00 Oslo on Monday 2 March -> 08:00 Tuesday
    moment = utc(2026, 3, 2, 22, 0)
    assert next_allowed(moment, audience="participant", tz=OSLO, policy=POLICY) == utc(
        2026, 3, 3, 7, 0
    )


def test_early_morning_moves_to_window_start_same_day() -> None:
    assert next_allowed(
        utc(2026, 3, 3, 5, 0), audience="participant", tz=OSLO, policy=POLICY
    ) == utc(2026, 3, 3, 7, 0)


def test_participants_get_weekends_line_managers_do_not() -> None:
    saturday = utc(2026, 3, 7, 10, 0)  # 11:00 Oslo
    assert next_allowed(saturday, audience="participant", tz=OSLO, policy=POLICY) == saturday
    # line managers: Monday 08:00 Oslo
    assert next_allowed(saturday, audience="line_manager", tz=OSLO, policy=POLICY) == utc(
        2026, 3, 9, 7, 0
    )


def test_line_manager_after_16_moves_to_next_working_day() -> None:
    friday_1630 = utc(2026, 3, 6, 15, 30)
    assert next_allowed(friday_1630, audience="line_manager", tz=OSLO, policy=POLICY) == utc(
        2026, 3, 9, 7, 0
    )


def test_17_may_is_skipped() -> None:
    # 17 May 2026 is a Sunday and Constitution Day; participants get 18 May 08:00 (CEST, UTC+2)
    moment = utc(2026, 5, 17, 8, 0)
    assert is_public_holiday(date(2026, 5, 17))
    assert next_allowed(moment, audience="participant", tz=OSLO, policy=POLICY) == utc(
        2026, 5, 18, 6, 0
    )


def test_easter_is_skipped() -> None:
    # Maundy Thursday 2 April .. Easter Monday 6 April 2026 are holidays (Saturday 4th is not).
    thursday = utc(2026, 4, 2, 9, 0)
    assert next_allowed(thursday, audience="line_manager", tz=OSLO, policy=POLICY) == utc(
        2026, 4, 7, 6, 0
    )
    easter_monday = utc(2026, 4, 6, 9, 0)
    assert next_allowed(easter_monday, audience="participant", tz=OSLO, policy=POLICY) == utc(
        2026, 4, 7, 6, 0
    )


def test_whit_monday_is_skipped() -> None:
    assert next_allowed(
        utc(2026, 5, 25, 9, 0), audience="participant", tz=OSLO, policy=POLICY
    ) == utc(2026, 5, 26, 6, 0)


def test_christmas_is_skipped() -> None:
    assert next_allowed(
        utc(2026, 12, 25, 9, 0), audience="participant", tz=OSLO, policy=POLICY
    ) == utc(2026, 12, 27, 7, 0)


def test_ordinary_sunday_is_not_a_holiday() -> None:
    assert not is_public_holiday(date(2026, 3, 8))


def test_urgent_bypasses_everything() -> None:
    moment = utc(2026, 5, 17, 21, 30)  # 23:30 on 17 May
    assert (
        next_allowed(moment, audience="line_manager", tz=OSLO, policy=POLICY, urgent=True) == moment
    )


def test_summer_break() -> None:
    policy = QuietHours(summer_break=parse_summer_break("07-01..08-10"))
    assert next_allowed(
        utc(2026, 7, 15, 9, 0), audience="participant", tz=OSLO, policy=policy
    ) == utc(2026, 8, 11, 6, 0)


def test_summer_break_can_wrap_the_new_year() -> None:
    policy = QuietHours(summer_break=parse_summer_break("12-20..01-05"))
    assert policy.in_summer_break(date(2026, 12, 31))
    assert policy.in_summer_break(date(2027, 1, 5))
    assert not policy.in_summer_break(date(2027, 1, 6))


@pytest.mark.parametrize("bad", ["07-01", "7/1..8/10", "13-01..08-10", "07-01..08-40"])
def test_malformed_summer_break_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="MM-DD"):
        parse_summer_break(bad)


def test_dst_forward_keeps_local_wall_time() -> None:
    # Summer time starts Sunday 29 March 2026 at 02:00 -> 03:00 in Oslo.
    assert local_time(date(2026, 3, 28), "09:00", OSLO) == utc(2026, 3, 28, 8, 0)
    assert local_time(date(2026, 3, 29), "09:00", OSLO) == utc(2026, 3, 29, 7, 0)
    # A participant message at 22:00 on the 28th goes at 08:00 local on the 29th (06:00 UTC).
    assert next_allowed(
        utc(2026, 3, 28, 21, 0), audience="participant", tz=OSLO, policy=POLICY
    ) == utc(2026, 3, 29, 6, 0)


def test_nonexistent_local_time_moves_to_after_the_gap() -> None:
    # 02:30 does not exist on 29 March 2026; the first moment after the gap is 03:00 CEST.
    assert local_time(date(2026, 3, 29), "02:30", OSLO) == utc(2026, 3, 29, 1, 0)


def test_dst_back_keeps_local_wall_time_and_picks_first_ambiguous() -> None:
    # Summer time ends Sunday 25 October 2026 at 03:00 -> 02:00.
    assert local_time(date(2026, 10, 24), "09:00", OSLO) == utc(2026, 10, 24, 7, 0)
    assert local_time(date(2026, 10, 25), "09:00", OSLO) == utc(2026, 10, 25, 8, 0)
    assert local_time(date(2026, 10, 25), "02:30", OSLO) == utc(2026, 10, 25, 0, 30)
    assert next_allowed(
        utc(2026, 10, 24, 20, 0), audience="participant", tz=OSLO, policy=POLICY
    ) == utc(2026, 10, 25, 7, 0)


def test_window_from_settings_and_other_zones() -> None:
    settings = Settings(
        quiet_participant_start=time(9, 0),
        quiet_participant_end=time(17, 0),
        summer_break="07-01..08-10",
    )
    policy = QuietHours.from_settings(settings)
    assert policy.participant.start == time(9, 0)
    assert policy.summer_break == ((7, 1), (8, 10))
    # 07:00 in New York is 12:00 UTC in March after the US change; moves to 09:00 NY.
    assert next_allowed(
        utc(2026, 3, 10, 11, 0), audience="participant", tz="America/New_York", policy=policy
    ) == utc(2026, 3, 10, 13, 0)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        next_allowed(datetime(2026, 3, 2, 9), audience="participant", tz=OSLO, policy=POLICY)


def test_unknown_audience_is_refused() -> None:
    with pytest.raises(ValueError, match="audience"):
        next_allowed(utc(2026, 3, 2, 9), audience="everyone", tz=OSLO, policy=POLICY)
