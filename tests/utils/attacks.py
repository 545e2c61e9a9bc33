"""The anonymity attacks of issue 12, as an adversary who holds the database but not the key.

`run_scenario` plays one anonymous pulse through the bot's own API (22 people in four classes,
one of them a class of one; 20 answer, 7 of them after the reminder time, some while their
reminder would be held by quiet hours) while an observer takes what such an adversary can take:
PostgreSQL system columns (xmin, cmin, ctid), SQLite's main file and a copy of its -wal, the
outbox, staff's live results re-run after every answer. `attack_*` then try to link people to
their answers and to the time they answered, and say how many of the people they linked.

The module uses only `bot.pulses.create_pulse`, `bot.pulses.record_answer`,
`schedules.pulses.run_pulse_tick` and `bot.results`, whose signatures are the same before and
after the sealed receipts, so `scripts/anonymity_attacks.py` runs it against main as well.
Column and table names it cannot find are treated as "nothing to read there".
"""

from __future__ import annotations

import random
import re
import sqlite3
import struct
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.clock import FrozenClock
from bot.pulses import QuestionSpec, create_pulse, record_answer
from bot.runtime import Runtime
from bot.settings import Settings
from storage.db import Database
from tests.utils.factories import create_class, create_cohort, create_person, enrol

# Tuesday 3 March 2026 14:00 Oslo: the reminder (halfway) falls on Saturday 02:00, held to 08:00.
OPENS = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=7)
REMINDER = OPENS + (CLOSES - OPENS) / 2
MORNING = REMINDER + timedelta(hours=6)
CLASS_SIZES = {"A": 9, "B": 8, "C": 4, "D": 1}


@dataclass
class Truth:
    """What really happened: who answered what, and when."""

    person_ids: list[int] = field(default_factory=list)
    class_of: dict[int, str] = field(default_factory=dict)
    scale: dict[int, int] = field(default_factory=dict)  # person -> value of question 1
    answered_at: dict[int, datetime] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # respondents in the order they answered
    by_email: set[int] = field(default_factory=set)  # asked by email, answered on the page

    @property
    def respondents(self) -> list[int]:
        return list(self.scale)

    @property
    def early(self) -> set[int]:
        return {p for p, at in self.answered_at.items() if at < REMINDER}


@dataclass
class Observed:
    """What the adversary took."""

    dialect: str
    pg_snapshots: list[dict[str, list[dict[str, Any]]]] = field(default_factory=list)
    final: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    wal_states: list[dict[str, list[dict[str, Any]]]] = field(default_factory=list)
    wal_frames: int = 0
    files_at_rest: bytes = b""  # main file + -wal (+ -journal) after everything settled
    live_results: list[str] = field(default_factory=list)  # staff's results after each answer
    secrets_seen: list[bytes] = field(default_factory=list)  # receipt tokens and sealed bytes


# --- reading the database as the adversary -----------------------------------------------

TABLES = {
    "pulse_participation": ("person_id", "answered", "reminded_at", "invited_at"),
    "delivery": ("id", "person_id", "kind", "transport", "state", "error", "updated_at", "send_at"),
    "pulse_answer": ("id", "question_id", "class_id", "value", "text", "respondent_token"),
    "pulse_receipt": ("token", "sealed"),
    "pulse_response_count": ("class_id", "answered"),
}


def _columns(conn: Any, table: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        rows = conn.execute(f"PRAGMA table_info({table})").fetchall()
        return [r[1] for r in rows]
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
    ).fetchall()
    return [r[0] for r in rows]


def read_tables(conn: Any, dialect: str) -> dict[str, list[dict[str, Any]]]:
    """Every readable row of the tables that matter, with PostgreSQL's system columns."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, wanted in TABLES.items():
        have = _columns(conn, table, dialect)
        cols = [c for c in wanted if c in have]
        if not cols:
            out[table] = []
            continue
        select = ", ".join(cols)
        if dialect == "postgresql":
            select += ", xmin::text AS xmin, cmin::text AS cmin, ctid::text AS ctid"
            names = [*cols, "xmin", "cmin", "ctid"]
        else:
            names = cols
        rows = conn.execute(f"SELECT {select} FROM {table}").fetchall()
        out[table] = [dict(zip(names, r, strict=True)) for r in rows]
    return out


def pg_read(url: str) -> dict[str, list[dict[str, Any]]]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return read_tables(conn, "postgresql")


# --- SQLite's WAL, commit by commit ---------------------------------------------------------


def wal_commit_offsets(wal: bytes) -> tuple[int, list[int]]:
    """(page size, the byte offset after each commit frame) of a -wal file's valid frames."""
    if len(wal) < 32:
        return 0, []
    page_size = struct.unpack(">I", wal[8:12])[0]
    salt = wal[16:24]
    offsets = []
    pos = 32
    while pos + 24 + page_size <= len(wal):
        header = wal[pos : pos + 24]
        if header[8:16] != salt:
            break
        pos += 24 + page_size
        if struct.unpack(">I", header[4:8])[0]:  # db size after commit: a commit frame
            offsets.append(pos)
    return page_size, offsets


def replay_wal(main: bytes, wal: bytes) -> list[dict[str, list[dict[str, Any]]]]:
    """The database as it was after each commit in the WAL copy, oldest first."""
    _, offsets = wal_commit_offsets(wal)
    states = []
    with tempfile.TemporaryDirectory() as tmp:
        for end in offsets:
            db = Path(tmp) / f"replay{end}.db"
            db.write_bytes(main)
            Path(f"{db}-wal").write_bytes(wal[:end])
            conn = sqlite3.connect(db)
            try:
                states.append(read_tables(conn, "sqlite"))
            finally:
                conn.close()
    return states


# --- the scenario -----------------------------------------------------------------------------


async def run_scenario(
    db: Database,
    settings: Settings,
    *,
    seed: int = 12,
    before_close: Callable[[], Any] | None = None,
    email_every: int = 0,
) -> tuple[Truth, Observed]:
    """Play the pulse, observing as the adversary would; returns (what happened, what was seen).

    `email_every` k: every k-th person has no Slack and is asked by email; they answer as the
    answer page's POST does (bot.pulses.record_email_answers: all questions in one commit).
    """
    from bot import results as results_mod
    from schedules import pulses as job

    rng = random.Random(seed)
    truth = Truth()
    observed = Observed(db.dialect)
    sqlite_path = Path(db.url.split("///", 1)[1]) if db.dialect == "sqlite" else None
    if sqlite_path is not None:
        # The strongest file reader: the WAL keeps every commit (no automatic checkpoint).
        event.listen(
            db.engine.sync_engine,
            "connect",
            lambda c, _r: c.cursor().execute("PRAGMA wal_autocheckpoint=0"),
        )
        await db.engine.dispose()
    clock = FrozenClock(OPENS - timedelta(hours=1))
    runtime = Runtime(settings=settings, db=db, clock=clock)

    def take_files() -> tuple[bytes, bytes]:
        assert sqlite_path is not None
        wal = Path(f"{sqlite_path}-wal")
        journal = Path(f"{sqlite_path}-journal")
        return sqlite_path.read_bytes(), (wal.read_bytes() if wal.exists() else b"") + (
            journal.read_bytes() if journal.exists() else b""
        )

    def observe() -> None:
        if db.dialect == "postgresql":
            observed.pg_snapshots.append(pg_read(settings.database_url))

    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        people: list[Any] = []
        for key, size in CLASS_SIZES.items():
            cls = await create_class(s, cohort=cohort, key=key.lower(), name=f"Klasse {key}")
            for _ in range(size):
                by_email = bool(email_every) and len(people) % email_every == 0
                p = await create_person(
                    s, slack_user_id=None if by_email else f"U{len(people):05d}"
                )
                await enrol(s, person=p, cohort=cohort, cls=cls)
                people.append(p)
                assert p.id is not None
                truth.person_ids.append(p.id)
                truth.class_of[p.id] = key
        pulse = await create_pulse(
            s,
            title="Etter samling 2",
            questions=[
                QuestionSpec("scale5", "Hvor nyttig var samlingen?"),
                QuestionSpec("choice", "Hva var best?", ("Forelesning", "Gruppe", "Case")),
                QuestionSpec("text", "Hva kan bli bedre?"),
            ],
            cohort_id=cohort.id,
            opens_at=OPENS,
            closes_at=CLOSES,
            now=OPENS - timedelta(hours=1),
            anonymous=True,
        )
    assert pulse.id is not None
    pulse_id: int = pulse.id
    email_people = {
        pid for i, pid in enumerate(truth.person_ids) if email_every and i % email_every == 0
    }
    truth.by_email = email_people
    questions = await _questions(db, pulse_id)
    clock.set(OPENS)
    await job.run_pulse_tick(runtime, OPENS)
    observe()
    # 20 of 22 answer (two in class A do not); the class of one answers. 13 before the reminder,
    # 4 while their reminder would be held by quiet hours (Saturday 02:00-08:00), 3 after it.
    respondents = truth.person_ids[2:]
    rng.shuffle(respondents)
    times = [OPENS + timedelta(hours=1 + 5 * i) for i in range(13)]
    times += [REMINDER + timedelta(hours=1 + i) for i in range(4)]
    times += [MORNING + timedelta(hours=2 + 20 * i) for i in range(3)]
    plan = sorted(zip(times, respondents, strict=True))
    reminder_ticks = [REMINDER, MORNING]
    for at, pid in plan:
        while reminder_ticks and reminder_ticks[0] <= at:
            tick_at = reminder_ticks.pop(0)
            clock.set(tick_at)
            await job.run_pulse_tick(runtime, tick_at)
            observe()
        clock.set(at)
        value = rng.randint(1, 5)
        truth.scale[pid] = value
        truth.answered_at[pid] = at
        truth.order.append(pid)
        if pid in email_people:
            from bot.pulses import record_email_answers

            answers: list[tuple[int, int | None, str | None]] = [
                (questions[0], value, None),
                (questions[1], rng.randint(0, 2), None),
            ]
            if rng.random() < 0.3:
                answers.append((questions[2], None, f"Svar nummer {len(truth.order)}"))
            async with db.transaction() as s:
                outcomes = await record_email_answers(
                    s, pulse_id=pulse_id, person_id=pid, answers=answers, now=at, settings=settings
                )
            assert all(o.accepted for o in outcomes)
            observe()
            async with db.session() as s:
                res = await results_mod.pulse_results(s, pulse_id, settings=settings)
            observed.live_results.append(results_mod.results_text(res) if res else "")
            continue
        async with db.transaction() as s:
            await record_answer(s, pulse_id, pid, questions[0], value, now=at, settings=settings)
        async with db.transaction() as s:
            await record_answer(
                s, pulse_id, pid, questions[1], rng.randint(0, 2), now=at, settings=settings
            )
        if rng.random() < 0.3:
            async with db.transaction() as s:
                await record_answer(
                    s,
                    pulse_id,
                    pid,
                    questions[2],
                    text=f"Svar nummer {len(truth.order)}",
                    now=at,
                    settings=settings,
                )
        observe()
        async with db.session() as s:
            res = await results_mod.pulse_results(s, pulse_id, settings=settings)
        observed.live_results.append(results_mod.results_text(res) if res else "")
    for tick_at in reminder_ticks:
        clock.set(tick_at)
        await job.run_pulse_tick(runtime, tick_at)
        observe()
    observed.secrets_seen = _receipt_secrets(observe_now(db, settings))
    if before_close is not None:
        before_close()
    # Close. A file copy is taken right after the close commits and before anything else runs.
    wal_copy: list[tuple[bytes, bytes]] = []
    original_scrub = getattr(job, "scrub", None)
    if sqlite_path is not None:
        if original_scrub is not None:

            async def copy_then_scrub(engine: Any) -> bool:
                wal_copy.append(take_files())
                return bool(await original_scrub(engine))

            job.scrub = copy_then_scrub
    try:
        clock.set(CLOSES)
        await job.run_pulse_tick(runtime, CLOSES)
    finally:
        if original_scrub is not None:
            job.scrub = original_scrub
    observe()
    if sqlite_path is not None:
        main, wal = wal_copy[0] if wal_copy else take_files()
        observed.wal_frames = len(wal_commit_offsets(wal)[1])
        observed.wal_states = replay_wal(main, wal)
        rest_main, rest_wal = take_files()
        observed.files_at_rest = rest_main + rest_wal
        conn = sqlite3.connect(sqlite_path)
        try:
            observed.final = read_tables(conn, "sqlite")
        finally:
            conn.close()
    else:
        observed.final = observed.pg_snapshots[-1]
    return truth, observed


async def _questions(db: Database, pulse_id: int | None) -> list[int]:
    from storage.queries.pulses import list_questions

    async with db.session() as s:
        return [q.id or 0 for q in await list_questions(session=s, pulse_id=pulse_id or 0)]


def observe_now(db: Database, settings: Settings) -> dict[str, list[dict[str, Any]]]:
    if db.dialect == "postgresql":
        return pg_read(settings.database_url)
    conn = sqlite3.connect(db.url.split("///", 1)[1])
    try:
        return read_tables(conn, "sqlite")
    finally:
        conn.close()


def _receipt_secrets(state: dict[str, list[dict[str, Any]]]) -> list[bytes]:
    out = []
    for r in state.get("pulse_receipt", []):
        out.append(str(r["token"]).encode())
        sealed = bytes(r["sealed"])
        out.append(sealed[12:44])  # a stretch of ciphertext
    return out


# --- the attacks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    """How many people an attack linked: exactly, or better than guessing among all."""

    attack: str
    exact: int
    narrowed: int
    of: int
    note: str = ""


def _q1_rows(state: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = [r for r in state.get("pulse_answer", []) if r.get("value") is not None]
    first_q = min((r["question_id"] for r in rows), default=None)
    return [r for r in rows if r["question_id"] == first_q]


def _score(
    name: str, truth: Truth, candidates: dict[int, list[dict[str, Any]]], total: int, note: str = ""
) -> Linked:
    """exact: one candidate answer, and it is theirs; narrowed: fewer candidates than all answers
    of the question, their own among them (by value)."""
    exact = narrowed = 0
    for pid in truth.respondents:
        cands = candidates.get(pid) or []
        if not cands or len(cands) >= total:
            continue
        if truth.scale[pid] not in {c["value"] for c in cands}:
            continue
        narrowed += 1
        if len(cands) == 1:
            exact += 1
    return Linked(name, exact, narrowed, len(truth.respondents), note)


def attack_xmin_join(truth: Truth, observed: Observed) -> Linked:
    """PostgreSQL: answers written by the transaction that also touched a row naming the person."""
    state = observed.final
    q1 = _q1_rows(state)
    by_xmin: dict[str, list[dict[str, Any]]] = {}
    for r in q1:
        by_xmin.setdefault(r["xmin"], []).append(r)
    named: dict[int, set[str]] = {}
    for table in ("pulse_participation", "delivery"):
        for r in state.get(table, []):
            if r.get("person_id") is not None:
                named.setdefault(int(r["person_id"]), set()).add(r["xmin"])
    candidates = {}
    for pid in truth.respondents:
        rows = [a for x in named.get(pid, ()) for a in by_xmin.get(x, [])]
        candidates[pid] = rows
    return _score("xmin join (PostgreSQL)", truth, candidates, len(q1))


def attack_physical_order(truth: Truth, observed: Observed) -> Linked:
    """PostgreSQL: answers in ctid/xmin order paired with people in the order their rows changed."""
    state = observed.final
    q1 = _q1_rows(state)
    keyed = [((int(r["xmin"]), int(r["cmin"]), r["ctid"]), r) for r in q1]
    order_keys = {k[:2] for k, _ in keyed}
    changed = {}
    for r in state.get("pulse_participation", []):
        changed[int(r["person_id"])] = int(r["xmin"])
    if len(order_keys) < len(q1) or len(set(changed.values())) < 2:
        # Rows written in one statement, or people's rows all alike: no order to pair.
        return Linked("ctid/xmin order (PostgreSQL)", 0, 0, len(truth.respondents))
    answers = [r for _, r in sorted(keyed, key=lambda kr: kr[0])]
    people = sorted(
        (p for p in changed if changed[p] > min(changed.values())), key=lambda p: changed[p]
    )
    candidates = {p: [a] for p, a in zip(people, answers, strict=False)}
    return _score("ctid/xmin order (PostgreSQL)", truth, candidates, len(q1))


def _diff(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> tuple[set[int], list[dict[str, Any]]]:
    """(people named by rows that changed, answer rows of question 1 that appeared or changed)."""
    people: set[int] = set()
    for table in ("pulse_participation", "delivery"):
        old = {repr(sorted(r.items())) for r in before.get(table, [])}
        for r in after.get(table, []):
            if repr(sorted(r.items())) not in old and r.get("person_id") is not None:
                people.add(int(r["person_id"]))
    old_answers = {repr(sorted(r.items())) for r in _q1_rows(before)}
    answers = [r for r in _q1_rows(after) if repr(sorted(r.items())) not in old_answers]
    return people, answers


def attack_wal_replay(truth: Truth, observed: Observed) -> Linked:
    """SQLite: replay the -wal copy commit by commit; pair who changed with what appeared, in the
    same commit or the adjacent ones."""
    states = observed.wal_states
    total = len(_q1_rows(observed.final))
    steps = []
    previous: dict[str, list[dict[str, Any]]] = {}
    for state in states:
        steps.append(_diff(previous, state))
        previous = state
    same: dict[int, list[dict[str, Any]]] = {}
    near: dict[int, list[dict[str, Any]]] = {}
    for i, (people, answers) in enumerate(steps):
        adjacent = [a for j in (i - 1, i + 1) if 0 <= j < len(steps) for a in steps[j][1]]
        for pid in people:
            # The same commit says most; a neighbouring one is the next best guess.
            if answers and (pid not in same or len(answers) < len(same[pid])):
                same[pid] = answers
            if adjacent and (pid not in near or len(adjacent) < len(near[pid])):
                near[pid] = adjacent
    candidates = {pid: same.get(pid) or near[pid] for pid in {*same, *near}}
    note = f"{len(states)} commits replayed"
    return _score("WAL commit-by-commit replay (SQLite)", truth, candidates, total, note)


def attack_outbox_timing(truth: Truth, observed: Observed) -> Linked:
    """The outbox: a person's reminder cancelled or stamped because they answered."""
    state = observed.final
    named = {
        int(r["person_id"])
        for r in state.get("delivery", [])
        if r.get("kind") == "pulse_reminder"
        and r.get("person_id") is not None
        and (r.get("error") == "answered")
    }
    hits = len(named & set(truth.respondents))
    return Linked("outbox: reminder cancelled at answer time", hits, hits, len(truth.respondents))


def attack_reminded_at(truth: Truth, observed: Observed) -> Linked:
    """Early vs late: who was reminded (reminded_at, or a reminder row) and who answered at all.

    Counts respondents whose time of answering the database bounds more tightly than "before
    it closed". This links no answer by itself; see attack_wal_replay and attack_xmin_join.
    """
    state = observed.final
    reminded = {
        int(r["person_id"]) for r in state.get("pulse_participation", []) if r.get("reminded_at")
    } | {
        int(r["person_id"])
        for r in state.get("delivery", [])
        if r.get("kind") == "pulse_reminder" and r.get("person_id") is not None
    }
    answered_flags = {
        int(r["person_id"]) for r in state.get("pulse_participation", []) if r.get("answered")
    }
    invited = {int(r["person_id"]) for r in state.get("pulse_participation", [])}
    late_known = reminded & answered_flags  # reminded, yet answered: answered after the reminder
    early_known = invited - reminded  # asked, never reminded: answered before the reminder
    hits = len((late_known | early_known) & set(truth.respondents))
    return Linked(
        "reminder split: answered before / after the reminder",
        0,
        hits,
        len(truth.respondents),
        "timing only",
    )


def attack_class_of_one(truth: Truth, observed: Observed) -> Linked:
    """A class on the answer rows: the class with one respondent names its answer."""
    state = observed.final
    q1 = _q1_rows(state)
    by_class: dict[Any, list[dict[str, Any]]] = {}
    for r in q1:
        by_class.setdefault(r.get("class_id"), []).append(r)
    class_ids = sorted({r["class_id"] for r in q1 if r.get("class_id") is not None})
    # The adversary knows each class's members (enrolment) and, from the rows, the class ids;
    # class keys follow creation order, as class ids do.
    key_of = dict(zip(class_ids, sorted(CLASS_SIZES), strict=False))
    candidates = {}
    for pid in truth.respondents:
        for cid, rows in by_class.items():
            if cid is not None and key_of.get(cid) == truth.class_of[pid]:
                candidates[pid] = rows
        if pid not in candidates and truth.class_of[pid] not in key_of.values():
            candidates[pid] = by_class.get(None, [])  # their class is in the pooled rows
    linked = _score("class on the answer row", truth, candidates, len(q1))
    small = sum(
        1 for pid in truth.respondents if len(candidates.get(pid) or []) in range(1, 5)
    )  # identifiable below the threshold of 5
    return Linked(linked.attack, linked.exact, small, linked.of, "narrowed = below 5")


COUNT = re.compile(r"(?:Hele kullet|Whole cohort): n=(\d+) · ((?:\d+: \d+(?:, )?)+)")


def attack_live_differencing(truth: Truth, observed: Observed) -> Linked:
    """Re-run the live results after every answer; a count that moves by one gives the value,
    and the adversary knows (here: assumes) who answered in between."""
    exact = 0
    previous: dict[str, int] | None = None
    for pid, text_ in zip(truth.order, observed.live_results, strict=True):
        m = COUNT.search(text_)
        counts = dict(p.split(": ") for p in m.group(2).split(", ")) if m else None
        current = {k: int(v) for k, v in counts.items()} if counts else None
        if previous is not None and current is not None:
            moved = [k for k in current if current[k] != previous.get(k, 0)]
            if len(moved) == 1 and int(moved[0]) == truth.scale[pid]:
                exact += 1
        previous = current
    return Linked("live results differenced over time", exact, exact, len(truth.respondents))


def residue_in_files(observed: Observed) -> int:
    """How many receipt tokens or ciphertext stretches are still in the SQLite files at rest."""
    if not observed.files_at_rest:
        return 0
    return sum(1 for s in observed.secrets_seen if s and s in observed.files_at_rest)


def all_attacks(truth: Truth, observed: Observed) -> list[Linked]:
    out = []
    if observed.dialect == "postgresql":
        out += [attack_xmin_join(truth, observed), attack_physical_order(truth, observed)]
    else:
        out.append(attack_wal_replay(truth, observed))
    out += [
        attack_outbox_timing(truth, observed),
        attack_reminded_at(truth, observed),
        attack_class_of_one(truth, observed),
        attack_live_differencing(truth, observed),
    ]
    return out


def render(results: Iterable[Linked]) -> str:
    return "\n".join(
        f"{r.attack:55} exact {r.exact:2} / {r.of}, narrowed {r.narrowed:2} / {r.of}"
        + (f"  ({r.note})" if r.note else "")
        for r in results
    )


__all__ = ["Linked", "Observed", "Truth", "all_attacks", "render", "run_scenario"]
