"""The whole bot against a Slack-shaped fake: `cohortbot run` with every job, a programme's load.

    .venv/bin/python -m bench.whole_bot --db sqlite --people 2000          # about 10 minutes
    .venv/bin/python -m bench.whole_bot --db postgresql --people 2000
    .venv/bin/python -m bench.whole_bot --quick                            # 300 people, ~3 min
    .venv/bin/python -m bench.whole_bot --json /tmp/whole-bot.json         # also as JSON

What runs (results in docs/benchmarks.md, "The whole bot"):

- The fake: the emulator (emulator/) over real HTTP with Slack's limit shape switched on —
  chat.postMessage 600 a minute per workspace (burst 60) and one a second per channel (burst 4),
  every other method in its tier per workspace (Tier 2: 20/min, Tier 3: 50/min, Tier 4: 100/min),
  over the limit HTTP 429 with `Retry-After` — all scaled by `--scale`; and, drawn from a fixed
  seed, 2 % injected 429s (`Retry-After: 1`) and 1 % 5xx on every Web API method and on
  response_url posts. It records every call; the counts below come from that record.
- Set-up through the CLI, timed: `db upgrade`, `plan apply` (a programme of `--classes`
  classes whose pulse opens, assignment is released and network matching round falls due at
  start), `import people` of `--people` participants (matched to Slack users through the fake's
  `users.list`).
- The bot: `cohortbot run` as a subprocess (dispatcher, planner, pulses, nudges, digests,
  matching, privacy notices, retention — every job), knowing only SLACK_API_URL.
- During the run: an announcement to everyone (`cohortbot broadcast`), a planner re-run (`plan
  apply` with a session moved) while it is being sent, then `--burst` people answering the pulse
  within one second (signed block_actions POSTed to /slack/events, each with its response_url),
  then a staff member's `/cohort report` followed at once by a second burst of other people.
- Afterwards, against the same fake: a bare Bolt app (bench.bare_bolt) taking the same two
  bursts, and the naive loop (one `chat.postMessage` after another, no limiter, no retries) to
  every participant.

Figures: send time against the limit's theoretical minimum, lost (a Slack delivery due during
the run with no successful post carrying its key), duplicated (more than one successful post
with one key), confirmations (response_url posts or chat.update of the clicked message within a
minute of the click), ack p50/p99 next to the bare Bolt app's, planner and import times.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = os.environ.get("COHORTBOT_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
OSLO = ZoneInfo("Europe/Oslo")
COHORT = "bench"
STAFF_EMAIL = "stab@lederutdanning.example"
SIGNING_SECRET = "bench-signing-secret-0123456789"
SECRET_KEY = "bench-8Kq2vX9rT4mZ7pL1wN6yB3cH5jD0fG8sA2eR7uI4oP"  # fixed, so runs compare
ANNOUNCEMENT = "Husk: neste samling starter kl. 09.00. Ta med utviklingsprosjektet ditt."
# Slack's published limit shape (the emulator's defaults): per workspace per method.
POST_PER_MINUTE = 600
POST_BURST = 60
TIER_PER_MINUTE = {2: 20, 3: 50, 4: 100}
# Outbox steps that are not posts: counted apart from lost and duplicated (their proof in the
# fake's record is their own method, not a chat.postMessage carrying the key).
CHANNEL_STEP_KINDS = frozenset(
    {"channel_create", "channel_invite", "channel_kick", "channel_archive"}
)
UPLOAD_KIND = "file_upload"
ACK_TIMEOUT = 3.0
QUIET_HOURS_OPEN = {
    f"COHORTBOT_QUIET_{who}_{edge}": at
    for who in ("PARTICIPANT", "MANAGER")
    for edge, at in (("START", "00:00:00"), ("END", "23:59:59"))
}
CONFIRM_WITHIN = 60.0


# --- the programme --------------------------------------------------------------------------


def _minute(at: datetime) -> str:
    return at.astimezone(OSLO).strftime("%Y-%m-%d %H:%M")


def plan_yaml(now: datetime, classes: int, *, moved: bool = False) -> str:
    """A cohort that is under way: session 1 is behind it, and at `now` its pulse opens, an
    assignment is released and a matching round is due (the cohort started 14 days ago)."""
    today = now.astimezone(OSLO).date()
    s1 = today - timedelta(days=6)
    s2 = today + timedelta(days=21 + (1 if moved else 0))
    s3 = today + timedelta(days=49)
    lines = [
        "programme:",
        "  key: nlph",
        "  name: Nasjonal lederutdanning for primærhelsetjenesten",
        "cohort:",
        f"  key: {COHORT}",
        "  name: Kull benchmark",
        "  timezone: Europe/Oslo",
        f"  start: {today - timedelta(days=14)}",
        f"  end: {today + timedelta(days=120)}",
        "classes:",
    ]
    for c in range(classes):
        lines += [f"  - key: k{c}", f"    name: Klasse {c}", f"    city: By {c}"]
    lines += [
        "sessions:",
        "  - key: s1",
        "    number: 1",
        "    title: 'Samling 1'",
        f"    start: {s1} 09:00",
        f"    end: {s1 + timedelta(days=1)} 15:00",
        "    location: Klassens studiested",
        "  - key: s2",
        "    number: 2",
        "    title: 'Samling 2'",
        f"    start: {s2} 09:00",
        f"    end: {s2 + timedelta(days=1)} 15:00",
        "    location: Klassens studiested",
        "  - key: s3",
        "    number: 3",
        "    title: 'Samling 3'",
        f"    start: {s3} 09:00",
        f"    end: {s3 + timedelta(days=1)} 15:00",
        "    location: Klassens studiested",
        "assignments:",
        "  - key: a1",
        "    title: Forankre utviklingsprosjektet",
        "    description: Beskriv et utviklingsprosjekt på din egen arbeidsplass.",
        f"    release: {_minute(now)}",
        "    due: 1 day before session 2 at 23:59",
        "    reminders: [7 days, 1 day]",
        "  - key: a2",
        "    title: Intervju med en medarbeider",
        "    description: Intervju en medarbeider om en endring dere har vært gjennom.",
        "    release: 1 day after end of session 2 at 09:00",
        "    due: 1 day before session 3 at 23:59",
        "    reminders: [5 days, 1 day]",
        "pulses:",
        "  - key: etter-s1",
        "    title: Hvordan var samling 1?",
        "    anonymous: true",
        f"    opens: {_minute(now)}",
        f"    reminder: {_minute(now + timedelta(days=3))}",
        f"    closes: {_minute(now + timedelta(days=6))}",
        "    questions:",
        "      - kind: scale5",
        "        text: Hvor nyttig var samlingen for deg som leder?",
        "      - kind: choice",
        "        text: Hvordan var arbeidsmengden?",
        "        choices: [For lav, Passe, For høy]",
    ]
    return "\n".join(lines) + "\n"


def people_csv(path: Path, people: int, classes: int) -> Path:
    """Participants spread over the classes, each with a line manager (by email, not in Slack)."""
    from bot.people_import.columns import REQUIRED_COLUMNS

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(REQUIRED_COLUMNS)
        for i in range(people):
            w.writerow(
                [
                    participant_email(i),
                    f"Deltaker {i}",
                    f"k{i % classes}",
                    f"Kommune {i % 356}",
                    f"Fylke {i % 15}",
                    ("Helse og omsorg", "Legetjeneste", "Rehabilitering")[i % 3],
                    "Avdelingsleder",
                    ("kvinne", "mann")[i % 2],
                    "Bachelor",
                    f"leder{i // 4}@kommune{i % 356}.example",
                    f"Leder {i // 4}",
                ]
            )
    return path


def participant_email(i: int) -> str:
    return f"deltaker{i}@kommune{i % 356}.example"


def participant_id(i: int) -> str:
    return f"UP{i:07d}"


# --- the record the fake keeps --------------------------------------------------------------


@dataclass
class Click:
    """One button press sent to a bot, and what came back."""

    user: str
    channel: str
    ts: str
    sent_at: float  # wall clock, as the fake's call records
    ack_s: float | None = None
    status: int | None = None
    error: str | None = None


def delivery_key(record: Any) -> str | None:
    """The outbox key the bot put in a post's metadata (None for posts without one)."""
    metadata = (getattr(record, "args", None) or {}).get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            return None
    if not isinstance(metadata, dict):
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return str(key) if key else None


def posts_per_key(records: Iterable[Any]) -> Counter[str]:
    """Successful chat.postMessage calls per outbox key."""
    return Counter(
        key
        for r in records
        if r.method == "chat.postMessage" and r.ok and (key := delivery_key(r)) is not None
    )


def outbox_outcome(asked: dict[str, str], records: list[Any]) -> dict[str, Any]:
    """Lost and duplicated, from the fake's record, for the Slack deliveries `asked` (key →
    the outbox's own state)."""
    per_key = posts_per_key(records)
    lost = [k for k in asked if per_key[k] == 0]
    duplicated = {k: n for k, n in per_key.items() if n > 1 and k in asked}
    by_content = Counter(
        f"{r.channel}:{r.content_hash}"
        for r in records
        if r.method == "chat.postMessage" and r.ok and r.content_hash
    )
    return {
        "asked": len(asked),
        "delivered": sum(1 for k in asked if per_key[k] > 0),
        "lost": len(lost),
        "lost_by_outbox_state": dict(Counter(asked[k] for k in lost)),
        "lost_examples": sorted(lost)[:5],
        "duplicated": sum(n - 1 for n in duplicated.values()),
        "duplicated_examples": sorted(duplicated)[:5],
        "same_content_twice_in_a_channel": sum(n - 1 for n in by_content.values() if n > 1),
        "posts_without_key": sum(
            1 for r in records if r.method == "chat.postMessage" and r.ok and not delivery_key(r)
        ),
    }


@dataclass
class Due:
    """The Slack deliveries due during the run, by how the fake's record proves them."""

    posts: dict[str, str]  # dedupe key → outbox state: proved by a post carrying the key
    channel_steps: Counter[str]  # "kind:state"
    uploads: list[str]  # outbox states of the upload steps


def split_due(rows: Iterable[tuple[str, str, str, str, datetime]], run_ended: datetime) -> Due:
    """Split the outbox's rows (key, transport, state, kind, send_at) due by `run_ended`."""
    due = Due(posts={}, channel_steps=Counter(), uploads=[])
    for key, transport, state, kind, send_at in rows:
        if transport != "slack" or send_at > run_ended:
            continue
        if kind in CHANNEL_STEP_KINDS:
            due.channel_steps[f"{kind}:{state}"] += 1
        elif kind == UPLOAD_KIND:
            due.uploads.append(state)
        else:
            due.posts[key] = state
    return due


def uploads_outcome(states: list[str], records: list[Any], since: float = 0.0) -> dict[str, Any]:
    """File uploads: the outbox's upload steps (their states) against the fake's successful
    files.completeUploadExternal calls at or after `since`.

    An upload is not a chat.postMessage, so it has no key in a post's metadata to count it by
    (counting it with the posts reported every report upload as lost); "missing" is the steps
    the outbox holds sent beyond the completed uploads the fake recorded.
    """
    completed = sum(
        1 for r in records if r.method == "files.completeUploadExternal" and r.ok and r.at >= since
    )
    by_state = Counter(states)
    return {
        "outbox": dict(by_state),
        "completed_in_fake": completed,
        "missing": max(0, by_state.get("sent", 0) - completed),
        "extra_in_fake": max(0, completed - by_state.get("sent", 0)),
    }


def send_window(records: list[Any], scale: float) -> dict[str, Any]:
    """The successful posts: first to last, against the limits' theoretical minimum.

    The minimum is the larger of two bounds: the posts at chat.postMessage's workspace rate
    after its burst, and the group DMs opened for them at conversations.open's Tier 3 rate
    after its burst (the fake's bucket holds a minute's worth).
    """
    ok = sorted(r.at for r in records if r.method == "chat.postMessage" and r.ok)
    if len(ok) < 2:
        return {"posts": len(ok)}
    per_second = POST_PER_MINUTE / 60 * scale
    posts_minimum = max(0, len(ok) - POST_BURST) / per_second
    groups = sum(
        1
        for r in records
        if r.method == "conversations.open" and r.ok and "," in str(r.args.get("users", ""))
    )
    open_per_minute = TIER_PER_MINUTE[3]
    opens_minimum = max(0, groups - open_per_minute) / (open_per_minute / 60 * scale)
    minimum = max(posts_minimum, opens_minimum)
    window = ok[-1] - ok[0]
    return {
        "posts": len(ok),
        "group_dms_opened": groups,
        "window_s": round(window, 1),
        "minimum_s": round(minimum, 1),
        "minimum_posts_s": round(posts_minimum, 1),
        "minimum_group_dms_s": round(opens_minimum, 1),
        "ratio": round(window / minimum, 3) if minimum else None,
        "calls": sum(1 for r in records if r.method == "chat.postMessage"),
        "limiter_429s": sum(
            1 for r in records if r.status == 429 and not r.fault and r.method == "chat.postMessage"
        ),
        "injected_faults": dict(Counter(r.fault for r in records if r.fault)),
        "ok_per_second": [n for _, n in sorted(Counter(int(t - ok[0]) for t in ok).items())],
    }


def confirmations(clicks: list[Click], records: list[Any], within: float) -> dict[str, Any]:
    """How many clickers got their confirmation (a response_url post to them, or chat.update of
    the clicked message) within `within` seconds of the click."""
    replies: dict[tuple[str, str], list[float]] = {}
    for r in records:
        if not r.ok:
            continue
        if r.method == "response_url" and r.user and r.channel:
            replies.setdefault((r.user, r.channel), []).append(r.at)
        elif r.method == "chat.update" and r.channel and r.ts:
            replies.setdefault((r.channel, r.ts), []).append(r.at)
    delays: list[float] = []
    for c in clicks:
        times = replies.get((c.user, c.channel), []) + replies.get((c.channel, c.ts), [])
        after = [t - c.sent_at for t in times if t >= c.sent_at - 0.01]
        if after:
            delays.append(min(after))
    in_time = sum(1 for d in delays if d <= within)
    return {
        "clicks": len(clicks),
        "confirmed_within": in_time,
        "share": round(in_time / len(clicks), 4) if clicks else None,
        "confirmed_at_all": len(delays),
        "p50_s": round(statistics.median(delays), 2) if delays else None,
        "p90_s": round(percentile(delays, 0.9), 2) if delays else None,
        "max_s": round(max(delays), 2) if delays else None,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def ack_stats(clicks: list[Click]) -> dict[str, Any]:
    """Ack p50/p99 (a click without an ack within Slack's 3 s counts as 3 s and is counted)."""
    times = [c.ack_s if c.ack_s is not None else ACK_TIMEOUT for c in clicks]
    acked = [c for c in clicks if c.status is not None and 200 <= c.status < 300]
    return {
        "clicks": len(clicks),
        "acked": len(acked),
        "not_acked": len(clicks) - len(acked),
        "errors": dict(Counter(c.error or str(c.status) for c in clicks if c not in acked)),
        "p50_ms": round(percentile(times, 0.50) * 1000, 1) if times else None,
        "p99_ms": round(percentile(times, 0.99) * 1000, 1) if times else None,
        "max_ms": round(max(times) * 1000, 1) if times else None,
    }


# --- processes ------------------------------------------------------------------------------


def cohortbot() -> list[str]:
    script = Path(sys.executable).parent / "cohortbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


@dataclass
class Bench:
    args: argparse.Namespace
    work: Path
    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float | None] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {text}"
        self.log.append(line)
        print(line, file=sys.stderr, flush=True)

    async def cli(self, name: str, *argv: str, check: bool = True) -> str:
        """Run one `cohortbot` command, timed."""
        began = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *cohortbot(),
            *argv,
            env=self.env,
            cwd=self.work,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        self.timings[name] = round(time.monotonic() - began, 2)
        text = out.decode(errors="replace")
        if check and proc.returncode != 0:
            raise RuntimeError(f"cohortbot {' '.join(argv)} failed ({proc.returncode}):\n{text}")
        self.say(f"{name}: {self.timings[name]} s")
        return text


async def wait_http(url: str, within: float) -> None:
    import aiohttp

    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status < 500:
                        return
            except (aiohttp.ClientError, TimeoutError, OSError):
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {within:.0f} s")


async def stop_process(proc: asyncio.subprocess.Process, grace: float = 40.0) -> None:
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        proc.kill()
        await proc.wait()


# --- clicks ---------------------------------------------------------------------------------


def pulse_messages(handle: Any, people: list[str]) -> dict[str, tuple[str, str]]:
    """user → (DM channel, ts) of the pulse message the bot posted them (with answer buttons)."""
    found: dict[str, tuple[str, str]] = {}
    wanted = set(people)
    for r in handle.calls.calls("chat.postMessage", ok=True):
        key = delivery_key(r) or ""
        if (
            r.user in wanted
            and r.channel
            and r.ts
            and key.startswith("pulse")
            and "remind" not in key
        ):
            found.setdefault(r.user, (r.channel, r.ts))
    return found


def answer_button(handle: Any, channel: str, ts: str) -> str | None:
    message = handle.state.find_message(channel, ts)
    for block in (message.blocks if message else None) or []:
        for element in block.get("elements") or []:
            action_id = str(element.get("action_id") or "")
            if element.get("type") == "button" and action_id.startswith("pulse.answer."):
                return action_id
    return None


async def burst(handle: Any, targets: list[tuple[str, str, str]], spread: float) -> list[Click]:
    """Press one answer button per person, all within `spread` seconds, concurrently: the
    signed bodies are built first (each with its response_url) and sent by bench.clicker."""
    from urllib.parse import urlencode

    prepared: list[dict[str, Any]] = []
    clicks: list[Click] = []
    for user, channel, ts in targets:
        action_id = answer_button(handle, channel, ts)
        if action_id is None:
            clicks.append(
                Click(user=user, channel=channel, ts=ts, sent_at=time.time(), error="no_button")
            )
            continue
        payload, _element, _notice = handle.inbound.click_payload(
            user, action_id, channel_id=channel, message_ts=ts
        )
        body = urlencode({"payload": json.dumps(payload)})
        prepared.append({"user": user, "channel": channel, "ts": ts, "body": body})
    work = Path(tempfile.mkdtemp(prefix="cohortbot-clicks-"))
    spec = {
        "url": handle.config.bot_events_url,
        "signing_secret": handle.config.signing_secret,
        "spread": spread,
        "timeout": ACK_TIMEOUT,
        "clicks": prepared,
    }
    (work / "in.json").write_text(json.dumps(spec), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.clicker",
        str(work / "in.json"),
        str(work / "out.json"),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    if await proc.wait() != 0:
        raise RuntimeError("bench.clicker failed")
    answers = json.loads((work / "out.json").read_text(encoding="utf-8"))
    for click, answer in zip(prepared, answers, strict=True):
        clicks.append(
            Click(
                user=click["user"],
                channel=click["channel"],
                ts=click["ts"],
                sent_at=answer["sent_at"],
                ack_s=answer.get("elapsed"),
                status=answer.get("status"),
                error=answer.get("error"),
            )
        )
    return clicks


# --- database -------------------------------------------------------------------------------


def make_database(kind: str, work: Path, pg_url: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{work / 'cohortbot.db'}"
    from bench.fanout import fresh_postgres

    return fresh_postgres(pg_url)


async def outbox_rows(url: str) -> list[tuple[str, str, str, str, datetime]]:
    """(dedupe_key, transport, state, kind, send_at) of every delivery."""
    from sqlalchemy import text

    from storage.db import Database

    db = Database(url)
    try:
        async with db.session() as session:
            connection = await session.connection()
            rows = await connection.execute(
                text("SELECT dedupe_key, transport, state, kind, send_at FROM delivery")
            )
            out = []
            for key, transport, state, kind, send_at in rows.all():
                if isinstance(send_at, str):
                    send_at = datetime.fromisoformat(send_at)
                if send_at.tzinfo is None:
                    send_at = send_at.replace(tzinfo=UTC)
                out.append((key, transport, state, kind, send_at))
            return out
    finally:
        await db.dispose()


async def due_unsettled(url: str, now: datetime) -> int:
    """Slack deliveries due by `now` that the outbox has not settled (sent or failed)."""
    rows = await outbox_rows(url)
    return sum(
        1
        for _key, transport, state, _kind, send_at in rows
        if transport == "slack" and send_at <= now and state not in ("sent", "failed", "cancelled")
    )


# --- the run --------------------------------------------------------------------------------


async def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    from emulator.config import FaultConfig
    from emulator.server import free_port, start_emulator

    work = Path(tempfile.mkdtemp(prefix="cohortbot-whole-"))
    url = make_database(args.db, work, args.postgres_url)
    bench = Bench(args=args, work=work, database_url=url)
    bot_port = free_port()
    bot_url = f"http://127.0.0.1:{bot_port}"
    handle = await start_emulator(
        bot_events_url=f"{bot_url}/slack/events",
        signing_secret=SIGNING_SECRET,
        rate_limits=True,
        rate_scale=args.scale,
        smtp_port=None,
        ack_timeout=ACK_TIMEOUT,
        send_member_joined_events=False,
    )
    click_http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    handle.inbound.use_session(click_http)
    methods = frozenset(handle.emulator.webapi.methods) | {"response_url"}
    handle.emulator.set_faults(
        FaultConfig(
            ratelimited_share=0.02, server_error_share=0.01, seed=args.seed, methods=methods
        )
    )
    people = [participant_id(i) for i in range(args.people)]
    for i, uid in enumerate(people):
        handle.state.add_user(f"deltaker{i}", email=participant_email(i), user_id=uid)
    staff = handle.state.add_user("stab", email=STAFF_EMAIL, user_id="USTAFF0001")
    staff_dm, _ = handle.state.open_im(staff.id)
    bench.env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COHORTBOT_"))},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": handle.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": handle.api_url,
        "COHORTBOT_PORT": str(bot_port),
        "COHORTBOT_BASE_URL": bot_url,
        "COHORTBOT_SECRET_KEY": SECRET_KEY,
        "COHORTBOT_STAFF_EMAILS": STAFF_EMAIL,
        "COHORTBOT_SLACK_RATE_SCALE": str(args.scale),
        "COHORTBOT_LOG_LEVEL": "WARNING",
        # The whole day is open: run after 20:00 Oslo, every post was held for the morning
        # and the run waited out its timeout with nothing sent. The figures do not depend on
        # the hour the benchmark is started.
        **QUIET_HOURS_OPEN,
    }
    result: dict[str, Any] = {
        "database": args.db,
        "people": args.people,
        "classes": args.classes,
        "burst": args.burst,
        "scale": args.scale,
        "limit": f"chat.postMessage {POST_PER_MINUTE * args.scale:.0f}/min per workspace "
        f"(burst {POST_BURST}), {args.scale:g}/s per channel; tiers ×{args.scale:g}",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    bot: asyncio.subprocess.Process | None = None
    try:
        now = datetime.now(UTC)
        (work / "plan.yaml").write_text(plan_yaml(now, args.classes), encoding="utf-8")
        (work / "moved.yaml").write_text(plan_yaml(now, args.classes, moved=True), "utf-8")
        people_csv(work / "people.csv", args.people, args.classes)
        await bench.cli("db_upgrade_s", "db", "upgrade")
        await bench.cli("plan_apply_s", "plan", "apply", "plan.yaml")
        await bench.cli("import_people_s", "import", "people", "people.csv", "--cohort", COHORT)

        handle.calls.reset()
        bot = await asyncio.create_subprocess_exec(
            *cohortbot(),
            "run",
            env=bench.env,
            cwd=work,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(work / "bot.log").open("wb"),
        )
        began = time.monotonic()
        await wait_http(f"{bot_url}/healthz", 120)
        bench.timings["bot_start_s"] = round(time.monotonic() - began, 2)
        bench.say(f"bot up in {bench.timings['bot_start_s']} s")

        # Staff set the cohort up in Slack as they would: channels first, then a matching round.
        sync = await staff_command(handle, staff.id, staff_dm.id, "sync " + COHORT, args.timeout)
        bench.timings["slack_sync_s"] = sync
        bench.say(f"/cohort sync: {sync} s")
        match = asyncio.ensure_future(
            staff_command(handle, staff.id, staff_dm.id, "match " + COHORT, args.timeout)
        )
        broadcast_at = time.time()
        await bench.cli(
            "broadcast_s",
            "broadcast",
            "--audience",
            f"cohort:{COHORT}",
            "--text",
            ANNOUNCEMENT,
            "--yes",
        )
        announced = await announcement_keys(url)
        replan: asyncio.Task[str] | None = None
        clicks_a: list[Click] = []
        clicks_b: list[Click] = []
        report_window: dict[str, Any] = {}
        need = min(2 * args.burst, args.people)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            per_key = posts_per_key(handle.calls.records)
            sent_announcements = sum(1 for k in announced if per_key[k])
            if replan is None and sent_announcements >= len(announced) // 4:
                bench.say(f"{sent_announcements} announcements out: re-running the planner")
                replan = asyncio.ensure_future(
                    bench.cli("replan_during_send_s", "plan", "apply", "moved.yaml")
                )
            pulses = pulse_messages(handle, people)
            if not clicks_a and len(pulses) >= need:
                targets = [(u, *pulses[u]) for u in people if u in pulses][:need]
                bench.say(f"{len(pulses)} pulses out: burst A ({args.burst} clicks)")
                clicks_a = await burst(handle, targets[: args.burst], 1.0)
                await asyncio.sleep(2.0)
                bench.say("/cohort report, then burst B")
                report_window["asked_at"] = time.time()
                slash = asyncio.ensure_future(
                    handle.inbound.slash_command(staff.id, staff_dm.id, "/cohort", "report")
                )
                probe = asyncio.ensure_future(loop_probe(f"{bot_url}/healthz", handle))
                await asyncio.sleep(args.report_lead)
                clicks_b = await burst(handle, targets[args.burst : 2 * args.burst], 1.0)
                report_window["slash_ack_ms"] = round((await slash).elapsed * 1000, 1)
                report_window["healthz_while_rendering"] = await probe
            if clicks_a and (replan is None or replan.done()):
                break
        if replan is not None:
            await replan
        bench.timings["slack_match_s"] = await match
        # Let the outbox settle what is due, then give confirmations their minute.
        settle_deadline = time.monotonic() + args.timeout
        while time.monotonic() < settle_deadline:
            left = await due_unsettled(url, datetime.now(UTC))
            if left == 0:
                break
            await asyncio.sleep(2.0)
        last_click = max((c.sent_at for c in clicks_a + clicks_b), default=time.time())
        await asyncio.sleep(max(0.0, last_click + CONFIRM_WITHIN + 1 - time.time()))
        run_ended = datetime.now(UTC)
        await stop_process(bot)
        bot_records = list(handle.calls.records)
        record_file = work / "calls.jsonl"
        with record_file.open("w", encoding="utf-8") as f:
            for r in bot_records:
                f.write(json.dumps(r.to_json(), default=str) + "\n")
        result["call_record"] = str(record_file)
        result["work_dir"] = str(work)
        rows = await outbox_rows(url)
        due = split_due(rows, run_ended)
        asked, steps = due.posts, due.channel_steps
        result["uploads"] = uploads_outcome(due.uploads, bot_records)
        result["channel_steps"] = {
            "outbox": dict(steps),
            "fake_ok": dict(
                Counter(
                    r.method
                    for r in bot_records
                    if r.ok and r.method in ("conversations.create", "conversations.invite")
                )
            ),
        }
        uploads = [
            r.at
            for r in bot_records
            if r.method == "files.completeUploadExternal"
            and r.ok
            and r.at >= report_window.get("asked_at", 0)
        ]
        if uploads:
            report_window["rendered_and_uploaded_s"] = round(
                min(uploads) - report_window["asked_at"], 2
            )
        b_span = (
            (min(c.sent_at for c in clicks_b), max(c.sent_at for c in clicks_b))
            if clicks_b
            else None
        )
        if uploads and b_span:
            report_window["report_overlapped_burst_b"] = min(uploads) > b_span[0]
        result["timings"] = bench.timings
        result["outbox"] = dict(Counter(f"{t}:{s}" for _k, t, s, _kind, _at in rows))
        result["outbox_kinds_due"] = dict(
            Counter(kind for _k, t, _s, kind, at in rows if t == "slack" and at <= run_ended)
        )
        result["engine"] = {
            **send_window(bot_records, args.scale),
            **outbox_outcome(asked, bot_records),
        }
        announcement_posts = sorted(
            r.at
            for r in bot_records
            if r.method == "chat.postMessage" and r.ok and delivery_key(r) in announced
        )
        if announcement_posts:
            result["engine"]["announcement"] = {
                "people": len(announced),
                "first_to_last_s": round(announcement_posts[-1] - announcement_posts[0], 1),
                "broadcast_to_last_s": round(announcement_posts[-1] - broadcast_at, 1),
                "minimum_alone_s": round(
                    max(0, len(announced) - POST_BURST) / (POST_PER_MINUTE / 60 * args.scale), 1
                ),
            }
        result["calls_by_method"] = dict(Counter(r.method for r in bot_records))
        result["burst_a"] = {
            "ack": ack_stats(clicks_a),
            "confirmations": confirmations(clicks_a, bot_records, CONFIRM_WITHIN),
        }
        result["burst_b_report"] = {
            "ack": ack_stats(clicks_b),
            "confirmations": confirmations(clicks_b, bot_records, CONFIRM_WITHIN),
            "report": report_window,
        }
        result["bot_log_tail"] = (work / "bot.log").read_text(errors="replace")[-3000:]

        # The yardstick: a bare Bolt app taking the same bursts on the same machine.
        result["bare_bolt"] = await bare_bolt_bursts(handle, clicks_a, clicks_b)
        # The naive loop, against the same fake (limits and faults as before).
        result["naive"] = await naive_loop(handle, people, args.scale)
        result["naive_sdk_retry"] = await naive_loop(handle, people, args.scale, sdk_retry=True)
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if bot is not None:
            await stop_process(bot)
        await click_http.close()
        await handle.stop()
        if args.db == "postgresql":
            from bench.fanout import drop_postgres

            drop_postgres(url, args.postgres_url)
    return result


async def staff_command(
    handle: Any, staff: str, channel: str, text: str, within: float
) -> float | None:
    """`/cohort <text>` as staff; seconds until its reply reached the response_url (None: none)."""
    began = time.time()
    result = await handle.inbound.slash_command(staff, channel, "/cohort", text)
    if not result.acked:
        return None
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for r in handle.calls.calls("response_url", ok=True):
            if r.user == staff and r.at >= began:
                return round(r.at - began, 2)
        await asyncio.sleep(0.5)
    return None


async def loop_probe(
    url: str, handle: Any, every: float = 0.1, limit: float = 120.0
) -> dict[str, Any]:
    """GET /healthz every `every` s until the report's upload is seen: how long the bot's
    event loop (and its database ping) keeps a request waiting while the report renders."""
    import aiohttp

    began = time.time()
    times: list[float] = []
    async with aiohttp.ClientSession() as http:
        while time.time() - began < limit:
            t0 = time.monotonic()
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=30)) as resp:
                    await resp.read()
            except (aiohttp.ClientError, TimeoutError):
                pass
            times.append(time.monotonic() - t0)
            if any(r.at >= began for r in handle.calls.calls("files.completeUploadExternal")):
                break
            await asyncio.sleep(every)
    return {
        "requests": len(times),
        "p50_ms": round(percentile(times, 0.5) * 1000, 1) if times else None,
        "max_ms": round(max(times) * 1000, 1) if times else None,
    }


async def announcement_keys(url: str) -> set[str]:
    rows = await outbox_rows(url)
    return {k for k, t, _s, kind, _at in rows if t == "slack" and kind == "announcement"}


async def bare_bolt_bursts(
    handle: Any, clicks_a: list[Click], clicks_b: list[Click]
) -> dict[str, Any]:
    from emulator.server import free_port

    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bare_bolt",
        "--port",
        str(port),
        "--api-url",
        handle.api_url,
        "--token",
        handle.bot_token,
        "--signing-secret",
        SIGNING_SECRET,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        handle.config.bot_events_url = f"http://127.0.0.1:{port}/slack/events"
        await wait_http(f"http://127.0.0.1:{port}/slack/events", 60)
        out: dict[str, Any] = {}
        for name, clicks in (("burst_a", clicks_a), ("burst_b", clicks_b)):
            targets = [(c.user, c.channel, c.ts) for c in clicks]
            if targets:
                await burst(handle, targets[:1], 0.0)  # the first request checks the token
                out[name] = ack_stats(await burst(handle, targets, 1.0))
                await asyncio.sleep(2.0)
        return out
    finally:
        await stop_process(proc, grace=5)


async def naive_loop(
    handle: Any, people: list[str], scale: float, *, sdk_retry: bool = False
) -> dict[str, Any]:
    """One chat.postMessage after another: no limiter, no retries (slack_sdk's defaults), or
    with `sdk_retry` slack_sdk's own 429 handler (one retry after Retry-After)."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    from emulator.config import FaultConfig

    handle.emulator.limiter.reset()
    handle.calls.reset()
    handle.emulator.set_faults(FaultConfig(**{**handle.config.faults.__dict__}))  # same draws
    client = AsyncWebClient(token=handle.bot_token, base_url=handle.api_url)
    if sdk_retry:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    raised: Counter[str] = Counter()
    began = time.monotonic()
    for i, user in enumerate(people):
        try:
            await client.chat_postMessage(
                channel=user,
                text=ANNOUNCEMENT,
                metadata={"event_type": "naive", "event_payload": {"key": f"naive:{i}"}},
            )
        except SlackApiError as exc:
            raised[str(exc.response.get("error"))] += 1
        except Exception as exc:
            raised[type(exc).__name__] += 1
    wall = time.monotonic() - began
    records = list(handle.calls.records)
    asked = {f"naive:{i}": "asked" for i in range(len(people))}
    return {
        **send_window(records, scale),
        **outbox_outcome(asked, records),
        "wall_s": round(wall, 1),
        "exceptions": dict(raised),
    }


# --- entry point ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.whole_bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    p.add_argument("--people", type=int, default=2000)
    p.add_argument("--classes", type=int, default=8)
    p.add_argument("--burst", type=int, default=450, help="people clicking in one second")
    p.add_argument(
        "--scale",
        type=float,
        default=5.0,
        help="Slack's limits × this, in the fake and the bot's limiter (1 = Slack's own)",
    )
    p.add_argument(
        "--report-lead",
        type=float,
        default=1.0,
        help="seconds between /cohort report and the second burst",
    )
    p.add_argument("--seed", type=int, default=13, help="seed of the injected faults")
    p.add_argument("--timeout", type=float, default=900.0, help="per phase, seconds")
    p.add_argument("--postgres-url", default=DEFAULT_PG)
    p.add_argument("--quick", action="store_true", help="300 people, bursts of 120, scale 2")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    if args.quick:
        args.people, args.burst, args.scale, args.classes = 300, 120, 2.0, 4
    if 2 * args.burst > args.people:
        p.error("--people must be at least twice --burst (two bursts of different people)")
    return args


def main(argv: list[str] | None = None) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {}
    for kind in kinds:
        args.db = kind
        results[kind] = asyncio.run(run_bench(args))
        print(json.dumps({kind: results[kind]}, indent=2, default=str), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
