"""The whole-bot benchmark's own parts: its programme files, the fake's response_url faults and
the parser that turns the fake's call record into lost, duplicated, confirmed and acked.

No timing is asserted: the benchmark itself (`python -m bench.whole_bot`) is not part of the
suite; these check that what it counts is counted right.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.whole_bot import (
    Click,
    ack_stats,
    confirmations,
    outbox_outcome,
    people_csv,
    plan_yaml,
    send_window,
    split_due,
    uploads_outcome,
)
from bot.people_import import read_table
from bot.people_import.columns import REQUIRED_COLUMNS
from bot.plan import parse_plan
from emulator.config import FaultConfig
from emulator.ratelimit import CallRecord
from emulator.server import start_emulator

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


def post(key: str | None, at: float, *, ok: bool = True, channel: str = "D1") -> CallRecord:
    metadata = {"event_type": "cohortbot_delivery", "event_payload": {"key": key}} if key else None
    return CallRecord(
        seq=0,
        method="chat.postMessage",
        at=at,
        status=200 if ok else 503,
        ok=ok,
        channel=channel,
        content_hash=f"h-{key}",
        args={"metadata": metadata} if metadata else {},
    )


def test_the_programme_files_are_valid_and_the_moved_plan_moves_session_2(
    tmp_path: Path,
) -> None:
    plan = parse_plan(plan_yaml(NOW, 8))
    moved = parse_plan(plan_yaml(NOW, 8, moved=True))
    assert len(plan.classes) == 8 and len(plan.pulses) == 1
    assert plan.sessions[1].starts_at != moved.sessions[1].starts_at
    assert plan.sessions[0].starts_at == moved.sessions[0].starts_at
    table = read_table(people_csv(tmp_path / "people.csv", 40, 8))
    assert tuple(table.columns)[: len(REQUIRED_COLUMNS)] == REQUIRED_COLUMNS
    assert len(table.rows) == 40
    email = list(table.columns).index("email")
    assert len({row[email] for row in table.rows}) == 40


def test_lost_and_duplicated_are_counted_by_the_key_in_the_metadata() -> None:
    records = [
        post("a", 1.0),
        post("a", 2.0),  # delivered twice
        post("b", 1.5),
        post("c", 1.6, ok=False),  # asked, tried, never delivered
        post(None, 1.7),  # not the outbox's (no key)
    ]
    outcome = outbox_outcome({"a": "sent", "b": "sent", "c": "failed", "d": "pending"}, records)
    assert outcome["asked"] == 4
    assert outcome["delivered"] == 2
    assert outcome["lost"] == 2
    assert outcome["lost_by_outbox_state"] == {"failed": 1, "pending": 1}
    assert outcome["duplicated"] == 1
    assert outcome["duplicated_examples"] == ["a"]
    assert outcome["posts_without_key"] == 1


def test_a_report_upload_is_proved_by_its_completed_upload_not_counted_as_a_lost_post() -> None:
    # The run's outbox: two posts, a channel step, and the report's upload (all sent); one
    # post due after the run ended. The fake saw both posts and the upload completed.
    ended = NOW
    rows = [
        ("notice:1", "slack", "sent", "privacy_notice", NOW),
        ("pulse:1:invite:person:2", "slack", "sent", "pulse_invite", NOW),
        ("network:1:create", "slack", "sent", "channel_create", NOW),
        ("upload:report:2026:person:9", "slack", "sent", "file_upload", NOW),
        ("later", "slack", "pending", "announcement", datetime(2026, 12, 2, tzinfo=UTC)),
        ("mail", "email", "pending", "nudge", NOW),
    ]
    records = [
        post("notice:1", 1.0),
        post("pulse:1:invite:person:2", 1.1),
        CallRecord(seq=0, method="files.completeUploadExternal", at=2.0, status=200, ok=True),
    ]
    due = split_due(rows, ended)
    assert set(due.posts) == {"notice:1", "pulse:1:invite:person:2"}
    assert due.channel_steps == {"channel_create:sent": 1}
    assert due.uploads == ["sent"]
    assert outbox_outcome(due.posts, records)["lost"] == 0
    assert uploads_outcome(due.uploads, records) == {
        "outbox": {"sent": 1},
        "completed_in_fake": 1,
        "missing": 0,
        "extra_in_fake": 0,
    }


def test_an_upload_the_outbox_marked_sent_but_slack_never_completed_is_missing() -> None:
    started_only = [
        CallRecord(seq=0, method="files.getUploadURLExternal", at=1.0, status=200, ok=True),
        CallRecord(seq=1, method="files.completeUploadExternal", at=2.0, status=503, ok=False),
    ]
    outcome = uploads_outcome(["sent", "failed"], started_only)
    assert outcome["missing"] == 1 and outcome["completed_in_fake"] == 0
    # An upload completed twice (its answer lost, sent again) shows as extra, not hidden.
    twice = [
        CallRecord(seq=i, method="files.completeUploadExternal", at=2.0, status=200, ok=True)
        for i in range(2)
    ]
    assert uploads_outcome(["sent"], twice)["extra_in_fake"] == 1


def test_send_window_takes_the_larger_bound_of_posts_and_group_dms() -> None:
    records = [post(f"k{i}", float(i) / 10) for i in range(160)]  # 16 s of posts
    few = send_window(records, 1.0)
    assert few["minimum_s"] == 10.0  # (160 - 60) / 10 a second
    opens = [
        CallRecord(
            seq=0,
            method="conversations.open",
            at=0.0,
            status=200,
            ok=True,
            args={"users": f"U{i},V{i}"},
        )
        for i in range(110)
    ]
    many = send_window(records + opens, 1.0)
    assert many["minimum_group_dms_s"] == 72.0  # (110 - 50) at 50 a minute
    assert many["minimum_s"] == 72.0


def test_a_confirmation_counts_once_per_click_within_the_minute() -> None:
    clicks = [
        Click(user="U1", channel="D1", ts="1.1", sent_at=100.0, ack_s=0.02, status=200),
        Click(user="U2", channel="D2", ts="2.2", sent_at=100.5, ack_s=0.05, status=200),
        Click(user="U3", channel="D3", ts="3.3", sent_at=101.0, ack_s=None, error="http_timeout"),
        Click(user="U4", channel="D4", ts="4.4", sent_at=101.0, ack_s=0.01, status=200),
    ]
    records = [
        CallRecord(
            seq=0, method="response_url", at=100.4, status=200, ok=True, user="U1", channel="D1"
        ),
        CallRecord(
            seq=0, method="response_url", at=100.6, status=429, ok=False, user="U2", channel="D2"
        ),  # refused, then answered by chat.update
        CallRecord(
            seq=0, method="chat.update", at=103.5, status=200, ok=True, channel="D2", ts="2.2"
        ),
        CallRecord(
            seq=0, method="response_url", at=170.0, status=200, ok=True, user="U3", channel="D3"
        ),  # too late
    ]
    got = confirmations(clicks, records, 60.0)
    assert got["confirmed_within"] == 2
    assert got["confirmed_at_all"] == 3
    acks = ack_stats(clicks)
    assert acks["acked"] == 3 and acks["not_acked"] == 1
    assert acks["errors"] == {"http_timeout": 1}
    assert acks["max_ms"] == 3000.0  # an unanswered click counts as Slack's 3 s


async def test_the_fake_fails_response_url_posts_only_when_told_to() -> None:
    handle = await start_emulator(smtp_port=None)
    try:
        user = handle.state.add_user("ola", user_id="UOLA000001")
        channel, _ = handle.state.open_im(user.id)

        async def reply() -> tuple[int, str | None]:
            record = handle.state.issue_response_url(user.id, channel.id)
            url = f"{handle.base_url}/_respond/{record.id}"
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json={"text": "Takk!"}) as resp:
                    return resp.status, resp.headers.get("Retry-After")

        handle.emulator.set_faults(FaultConfig(ratelimited_share=1.0, seed=1))
        assert await reply() == (200, None)  # "every method" means the Web API's
        handle.emulator.set_faults(
            FaultConfig(ratelimited_share=1.0, seed=1, methods=frozenset({"response_url"}))
        )
        assert await reply() == (429, "1")
        handle.emulator.set_faults(
            FaultConfig(server_error_share=1.0, seed=1, methods=frozenset({"response_url"}))
        )
        status, _ = await reply()
        assert status in (500, 503)
        faults = [r.fault for r in handle.calls.calls("response_url")]
        assert faults == [None, "ratelimited", faults[2]] and faults[2] is not None
    finally:
        await handle.stop()
