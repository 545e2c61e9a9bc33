"""The dispatcher: claims due deliveries and sends them through the transports."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import metrics, steps
from bot.clock import Clock, SystemClock
from bot.delivery.outbox import HELD_NOTES
from bot.email_digest import DIGEST_KINDS, combine, day_end, with_key
from bot.messages import t
from bot.notifier import Notifier, OutgoingMessage, SendResult
from bot.precedence import Precedence
from bot.settings import Settings
from storage.db import Database
from storage.emails import canonical_email
from storage.queries import deliveries as q
from storage.queries import digest as digest_q

logger = logging.getLogger(__name__)

# A delivery whose channel is blocked (429) for longer than this goes back to the outbox until
# the block ends, instead of holding a sending slot.
DEFER_AFTER_SECONDS = 2.0
RATELIMITED = "ratelimited"
# Errors after which the message may have arrived even though no answer came back.
AMBIGUOUS_ERRORS = ("connection:", "unexpected ")


class ReadyHint(Protocol):
    """Optional on a Notifier: seconds before a send to `target` could start (rate limits).

    `kind` and `key` are the delivery's: a transport may give work that can wait its turn (a
    channel step, a group DM) a paced slot of its own, kept per key.
    """

    def ready_in(self, target: str, *, kind: str = "", key: str = "") -> float: ...


@dataclass
class TickStats:
    """What one tick did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    paused: int = 0
    deferred: int = 0
    lost: int = 0  # claims taken over by another dispatcher before the send began
    resent_uncertain: int = 0
    digested: int = 0  # deliveries sent as parts of another's email (bot.email_digest)
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: base·2^(attempt-1), capped, times 0.5–1.0."""
    delay = min(cap, base * (2.0 ** max(0, attempt - 1)))
    return delay * rng.uniform(0.5, 1.0)


class Dispatcher:
    """Claims due deliveries and sends them through the transports.

    Build with a Runtime (`Dispatcher(runtime)`) or with the parts. `tick()` is what the
    scheduler calls every second; it keeps claiming batches until nothing is due.
    Rate limits are the transports' business: a notifier may offer `ready_in(target)` (seconds
    before a send could start), which the dispatcher uses to order work and to put back
    deliveries for a blocked channel; `limiter` is kept for callers that want to inspect it.
    """

    def __init__(
        self,
        runtime_or_db: Any,
        notifiers: Mapping[str, Notifier] | None = None,
        clock: Clock | None = None,
        limiter: Any = None,
        settings: Settings | None = None,
        process_id: str | None = None,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        linger: bool = False,
        lease_clock: Clock | None = None,
        precedence: Precedence | None = None,
    ) -> None:
        if isinstance(runtime_or_db, Database):
            db = runtime_or_db
        else:  # a Runtime
            precedence = precedence or getattr(runtime_or_db, "precedence", None)
            db = runtime_or_db.db
            notifiers = notifiers if notifiers is not None else runtime_or_db.notifiers
            clock = clock or runtime_or_db.clock
            settings = settings or runtime_or_db.settings
            process_id = process_id or runtime_or_db.process_id
            lease_clock = lease_clock or getattr(runtime_or_db, "lease_clock", None)
        if settings is None:
            raise ValueError("Dispatcher needs settings")
        self.db = db
        # By reference: app.py may install the transports after building the scheduler.
        self.notifiers: Mapping[str, Notifier] = notifiers if notifiers is not None else {}
        self.clock: Clock = clock or SystemClock()
        # Leases are measured on this clock: the real one when `clock` is the local
        # workspace's fast-forwardable clock, so moving time never expires a live claim.
        self.lease_clock: Clock | None = lease_clock
        # People's requests waiting for their ack go first (the HTTP endpoint counts them).
        self.precedence = precedence or Precedence()
        self.limiter = limiter
        self.settings = settings
        # Unique per dispatcher instance, so two processes that share a process_id never
        # mistake each other's claims for their own.
        self.token = f"{(process_id or 'bot')[:36]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.rng = rng or random.Random()
        self._sleep = sleep
        self.linger = linger
        self.recovered = 0  # ambiguous attempts found to have arrived, so not sent again
        self._paused: set[str] = set()
        self._combined: set[int] = set()  # deliveries of this batch sent inside a digest
        self._retrying: set[int] = set()  # deliveries of this tick sent back to retry
        self._lock = asyncio.Lock()
        self._low = asyncio.Event()
        self._busy = 0
        self._draining = False
        self._held_noted = False

    def drain(self) -> None:
        """Stop taking work, for a clean shutdown: the sends in flight finish and are recorded,
        claimed ones not yet started are given back (pending again, for the next process or
        start), and a running tick returns soon after."""
        self._draining = True
        self._low.set()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.dispatch_lease_seconds)

    def _lease_now(self, now: datetime) -> datetime:
        """Now on the lease clock (`now` itself when leases share the dispatcher's clock)."""
        return self.lease_clock.now() if self.lease_clock is not None else now

    async def tick(
        self, now: datetime | None = None, *, max_batches: int | None = None
    ) -> TickStats:
        """Send everything due at `now` (default: the clock's now), batch after batch.

        Batches are pipelined: the next one is claimed while the last few messages of the
        previous one are still going, so sending never pauses between batches. With `linger`
        a busy tick also waits for retries falling due within one tick interval, instead of
        leaving them to the next tick.
        """
        stats = TickStats()
        async with self._lock:
            if not self._held_noted and self.notifiers:
                await self._note_held(now or self.clock.now())
            if not await self._anything_due(now or self.clock.now()):
                return stats  # the common case: no workers, no transaction
            queue: asyncio.Queue[list[q.ClaimedDelivery] | None] = asyncio.Queue()
            workers = [
                asyncio.create_task(self._worker(queue, stats))
                for _ in range(self.settings.dispatch_concurrency)
            ]
            try:
                await self._produce(queue, stats, now, max_batches)
            finally:
                for _ in workers:
                    queue.put_nowait(None)
                await asyncio.gather(*workers, return_exceptions=True)
                self._combined.clear()
                self._retrying.clear()
        return stats

    async def _produce(
        self,
        queue: asyncio.Queue[list[q.ClaimedDelivery] | None],
        stats: TickStats,
        now: datetime | None,
        max_batches: int | None,
    ) -> None:
        low_water = max(1, self.settings.dispatch_concurrency)
        while max_batches is None or stats.batches < max_batches:
            if self._draining:
                return
            at = now or self.clock.now()
            now = None  # later batches read the clock again
            claimed: list[q.ClaimedDelivery] = []
            await self.precedence.wait_turn()
            if await self._anything_due(at):
                async with self.db.transaction() as session:
                    self._paused = {p.transport for p in await q.list_pauses(session=session)}
                    lease_now = self._lease_now(at)
                    claimed = await q.claim_due_deliveries(
                        session=session,
                        now=at,
                        limit=self.settings.dispatch_batch,
                        claimed_by=self.token,
                        lease_until=lease_now + self.lease,
                        transports=self.transports,
                        lease_now=lease_now,
                    )
            if not claimed:
                if queue.qsize() or self._busy:
                    await queue.join()  # what is in flight may leave retries due soon
                    continue
                if not await self._linger(stats):
                    return
                continue
            stats.batches += 1
            stats.claimed += len(claimed)
            for chain in await self._plan(claimed, stats):
                queue.put_nowait(chain)
            while queue.qsize() > low_water and not self._draining:
                self._low.clear()
                await self._low.wait()

    async def _linger(self, stats: TickStats) -> bool:
        """In a busy tick, wait for a retry due within one interval. True to look again."""
        if not self.linger or not stats.claimed:
            return False
        before = self.clock.now()
        async with self.db.session() as session:
            next_due = await q.next_due_at(session=session, now=before)
        if next_due is None:
            return False
        wait = (next_due - before).total_seconds()
        if wait <= 0 or wait > self.settings.dispatch_interval_seconds:
            return False  # due but not claimable (held by another process), or not soon
        await self._sleep(max(0.0, wait) + 0.001)
        return self.clock.now() > before  # a clock that does not move would wait forever

    @property
    def transports(self) -> set[str]:
        """The transports this process can send on; deliveries on others wait, held."""
        return set(self.notifiers)

    async def _note_held(self, now: datetime) -> None:
        # Rows queued before this process started (or by one with other settings) say why
        # they wait; rows queued from now on get the note when they are scheduled.
        self._held_noted = True
        async with self.db.transaction() as session:
            held = await q.hold_unsendable(
                session=session, transports=self.transports, note=HELD_NOTES, now=now
            )
        if held:
            logger.warning("%d deliveries held: their transport is not configured", held)

    async def _anything_due(self, now: datetime) -> bool:
        # Most ticks find nothing: answer that with one indexed probe outside any transaction
        # (no BEGIN/COMMIT, no locks), so an idle tick costs about a millisecond.
        async with self.db.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return await q.any_due(
                connection=connection,
                now=now,
                transports=self.transports,
                lease_now=self._lease_now(now),
            )

    # --- one batch -------------------------------------------------------------------------

    def _ready_in(self, item: q.ClaimedDelivery) -> float:
        notifier = self.notifiers.get(item.transport)
        hint = getattr(notifier, "ready_in", None)
        if hint is None:
            return 0.0
        try:
            return float(hint(item.target, kind=item.kind, key=item.dedupe_key))
        except Exception:
            return 0.0

    async def _plan(
        self, claimed: list[q.ClaimedDelivery], stats: TickStats
    ) -> list[list[q.ClaimedDelivery]]:
        """Group a batch into chains, blocked channels last; defer the long-blocked ones.

        One chain per recipient: messages to one channel go in order, one at a time, so a
        busy channel holds at most one sending slot and the others flow.
        """
        chains: dict[tuple[str, str], list[q.ClaimedDelivery]] = {}
        for item in claimed:
            chains.setdefault((item.transport, item.target), []).append(item)
        waits = {key: self._ready_in(chain[0]) for key, chain in chains.items()}
        now = self.clock.now()
        runnable: list[list[q.ClaimedDelivery]] = []
        for key in sorted(chains, key=lambda k: waits[k]):
            chain = chains[key]
            if waits[key] > DEFER_AFTER_SECONDS:
                async with self.db.transaction() as session:
                    stats.deferred += await q.release_claims(
                        session=session,
                        delivery_ids=[d.id for d in chain],
                        claimed_by=self.token,
                        now=now,
                        retry_at=now + timedelta(seconds=waits[key]),
                    )
            else:
                runnable.append(chain)
        return runnable

    async def _worker(
        self, queue: asyncio.Queue[list[q.ClaimedDelivery] | None], stats: TickStats
    ) -> None:
        # A worker records a successful send together with marking its next delivery in
        # flight (one transaction instead of two). A sent-but-unrecorded delivery is still in
        # state uncertain, so a crash leaves at most one uncertain delivery per worker.
        done: tuple[q.ClaimedDelivery, SendResult] | None = None
        while True:
            try:
                chain = queue.get_nowait()
            except asyncio.QueueEmpty:
                await self._flush(done, stats)
                done = None
                chain = await queue.get()
            if queue.qsize() <= self.settings.dispatch_concurrency:
                self._low.set()
            if chain is None:
                queue.task_done()
                await self._flush(done, stats)
                return
            self._busy += 1
            try:
                for n, item in enumerate(chain):
                    if self._draining:
                        await self._flush(done, stats)
                        done = None
                        await self._give_back(chain[n:])
                        break
                    wait = self._ready_in(item)
                    if wait > 0:  # paced or blocked: record first, hold nothing while waiting
                        await self._flush(done, stats)
                        done = None
                        await self._sleep(wait)
                        if self._draining:
                            await self._give_back(chain[n:])
                            break
                    await self.precedence.wait_turn()
                    lost = stats.lost
                    try:
                        done = await self._deliver(item, done, stats)
                    except Exception as exc:  # a database hiccup: the lease brings it back
                        logger.exception(
                            "Failed to deliver delivery %s", item.id, extra={"delivery_id": item.id}
                        )
                        stats.errors.append(f"{item.id}: {type(exc).__name__}")
                        done = None
                    taken_over = stats.lost > lost
                    if taken_over or (item.id in self._retrying and n + 1 < len(chain)):
                        # Taken over (this chain's lease ran out): the new owner goes on with
                        # the target, so the rest of the chain must not run beside it. Or it
                        # waits for its retry and keeps its place: the rest of the chain goes
                        # back to wait behind it (the claim holds it), not past it.
                        await self._flush(done, stats)
                        done = None
                        await self._give_back(chain[n + 1 :])
                        break
                if queue.empty():
                    await self._flush(done, stats)
                    done = None
            finally:
                self._busy -= 1
                queue.task_done()

    async def _give_back(self, items: list[q.ClaimedDelivery]) -> None:
        """Return claimed, unstarted deliveries to pending, where they keep their place (a
        shutdown is draining, the chain was taken over, or an earlier step waits to retry)."""
        try:
            async with self.db.transaction() as session:
                await q.release_claims(
                    session=session,
                    delivery_ids=[i.id for i in items],
                    claimed_by=self.token,
                    now=self.clock.now(),
                )
        except Exception:
            # Not given back: the lease brings them back instead.
            logger.exception("Failed to give back %d claimed deliveries", len(items))

    async def _flush(
        self, done: tuple[q.ClaimedDelivery, SendResult] | None, stats: TickStats
    ) -> None:
        if done is None:
            return
        try:
            async with self.db.transaction() as session:
                await self._write_outcome(session, done[0], done[1], stats)
        except Exception as exc:
            logger.exception(
                "Failed to record delivery %s", done[0].id, extra={"delivery_id": done[0].id}
            )
            stats.errors.append(f"{done[0].id}: {type(exc).__name__}")

    async def _deliver(
        self,
        item: q.ClaimedDelivery,
        done: tuple[q.ClaimedDelivery, SendResult] | None,
        stats: TickStats,
    ) -> tuple[q.ClaimedDelivery, SendResult] | None:
        """Send one delivery; returns it with its result when the recording can wait."""
        if item.id in self._combined:  # already sent as part of an email digest
            self._combined.discard(item.id)
            return done
        now = self.clock.now()
        parts: list[q.ClaimedDelivery] = []
        async with self.db.transaction() as session:
            if done is not None:
                await self._write_outcome(session, done[0], done[1], stats)
            if item.transport in self._paused:
                await q.release_claims(
                    session=session, delivery_ids=[item.id], claimed_by=self.token, now=now
                )
                stats.paused += 1
                return None
            started = await q.mark_in_flight(
                session=session,
                delivery_id=item.id,
                claimed_by=self.token,
                now=now,
                lease_until=self._lease_now(now) + self.lease,
            )
            if started and item.transport == "email" and item.kind in DIGEST_KINDS:
                parts = await self._digest_parts(session, item, now)
        if not started:
            stats.lost += 1
            return None
        if parts:
            await self._deliver_digest(item, parts, stats)
            return None
        if item.uncertain:
            stats.resent_uncertain += 1
            logger.warning(
                "Resending delivery %s that may already have been sent",
                item.id,
                extra={"delivery_id": item.id},
            )
        started_at = time.perf_counter()
        result = await self._send(item)
        metrics.SEND_SECONDS.labels(item.transport).observe(time.perf_counter() - started_at)
        metrics.SENDS.labels(item.transport, result.status).inc()
        if result.status == "sent":
            return item, result
        async with self.db.transaction() as session:
            await self._write_outcome(session, item, result, stats)
        if result.status == "paused":
            await self.pause(item.transport, result.error or "credentials rejected")
        return None

    async def _digest_parts(
        self, session: AsyncSession, item: q.ClaimedDelivery, now: datetime
    ) -> list[q.ClaimedDelivery]:
        """The address's other email deliveries due this local day, now in flight with `item`."""
        tz = await digest_q.person_timezone(session=session, person_id=item.person_id)
        parts = await digest_q.claim_companions(
            session=session,
            lead_id=item.id,
            target=item.target,
            kinds=DIGEST_KINDS,
            until=day_end(now, tz or self.settings.timezone),
            claimed_by=self.token,
            lease_until=self._lease_now(now) + self.lease,
            now=now,
        )
        self._combined.update(p.id for p in parts)
        return parts

    async def _deliver_digest(
        self, lead: q.ClaimedDelivery, parts: list[q.ClaimedDelivery], stats: TickStats
    ) -> None:
        """Send the lead and its companions as one email; every part gets that one outcome."""
        items = [lead, *parts]
        stats.digested += len(parts)
        started_at = time.perf_counter()
        result = await self._send(lead, parts=parts)
        metrics.SEND_SECONDS.labels(lead.transport).observe(time.perf_counter() - started_at)
        metrics.SENDS.labels(lead.transport, result.status).inc()
        async with self.db.transaction() as session:
            for item in items:
                await self._write_outcome(session, item, result, stats)
        if result.status == "paused":
            await self.pause(lead.transport, result.error or "credentials rejected")
        return None

    async def _send(
        self, item: q.ClaimedDelivery, *, parts: list[q.ClaimedDelivery] | None = None
    ) -> SendResult:
        notifier = self.notifiers.get(item.transport)
        if notifier is None:
            return SendResult(status="failed", error=f"no {item.transport} transport configured")
        # A channel still being made is addressed by its network (bot.steps): look up its id,
        # or wait for the step that creates it; an upload's bytes are read here too.
        target, stored = item.target, item.message
        if steps.needs_lookup(item.target, item.message):
            async with self.db.session() as session:
                resolved = await steps.resolve(
                    session, target=item.target, message=item.message, transport=item.transport
                )
            if isinstance(resolved, SendResult):
                return resolved
            target, stored = resolved
        try:
            messages = [
                with_key(
                    OutgoingMessage.from_json(stored if d is item else d.message), d.dedupe_key
                )
                for d in [item, *(parts or [])]
            ]
        except Exception:
            return SendResult(status="failed", error="the stored message is malformed")
        # The key travels with the message (Slack: message metadata), so a transport can tell
        # later whether an attempt whose answer was lost did arrive.
        if parts:
            day = self.clock.now().astimezone(self.settings.zone).date()
            message = with_key(combine(messages, day=day), item.dedupe_key)
        else:
            message = messages[0]
        if steps.step_of(message) is not None:
            # Channel steps are safe to repeat: an earlier attempt can make no second copy.
            if self._ambiguous(item):
                await self._clear_unknown(item)
        elif self._ambiguous(item):
            found = await self._find_sent(notifier, item, message)
            if found is not None and found.status == "absent":
                # Looked, and no earlier attempt arrived: none of them can make a duplicate.
                await self._clear_unknown(item)
            elif found is not None:
                return found
        try:
            return await notifier.send(target=target, message=message)
        except Exception as exc:
            logger.exception("Failed to send delivery %s", item.id, extra={"delivery_id": item.id})
            return SendResult(status="retry", error=f"unexpected {type(exc).__name__}")

    @staticmethod
    def _ambiguous(item: q.ClaimedDelivery) -> bool:
        """Might an earlier attempt have arrived? (A crash mid-send, or a lost answer.)"""
        return (
            item.uncertain
            or item.unknown_attempts > 0
            or (item.error or "").startswith(AMBIGUOUS_ERRORS)
        )

    async def _clear_unknown(self, item: q.ClaimedDelivery) -> None:
        try:
            async with self.db.transaction() as session:
                await q.clear_unknown_attempts(
                    session=session, delivery_id=item.id, claimed_by=self.token
                )
        except Exception:  # the figure then stays on the safe side: "may have arrived twice"
            logger.exception("Failed to record that delivery %s had not arrived", item.id)

    async def _find_sent(
        self, notifier: Notifier, item: q.ClaimedDelivery, message: OutgoingMessage
    ) -> SendResult | None:
        """An earlier attempt found in the conversation ("sent"), "absent", or None (unknown)."""
        find = getattr(notifier, "find_sent", None)
        if find is None:
            return None
        try:
            found: SendResult | None = await find(target=item.target, message=message)
        except Exception:
            logger.exception(
                "Failed to look for an earlier send of delivery %s",
                item.id,
                extra={"delivery_id": item.id},
            )
            return None
        if found is not None and found.status == "sent":
            logger.warning(
                "Delivery %s had arrived already; not sending it again",
                item.id,
                extra={"delivery_id": item.id},
            )
            self.recovered += 1
            found = replace(found, found=True)
        return found

    async def _write_outcome(
        self, session: AsyncSession, item: q.ClaimedDelivery, result: SendResult, stats: TickStats
    ) -> None:
        now = self.clock.now()
        if result.status == "sent" and item.kind in steps.STEP_KINDS:
            clash = await steps.held_elsewhere(
                session,
                kind=item.kind,
                target=item.target,
                message=item.message,
                ref=result.ref,
                transport=item.transport,
            )
            if clash:
                result = SendResult("failed", error=clash)
        if result.status == "sent":
            recorded = await q.record_sent(
                session=session,
                delivery_id=item.id,
                claimed_by=self.token,
                now=now,
                result_ref=result.ref,
                note=item.error if item.uncertain else None,
                found=result.found,
            )
            if recorded and item.kind in steps.STEP_KINDS:
                # What the step made (a channel id) is stored with its outcome, so the steps
                # waiting for it see both or neither.
                await steps.after_sent(
                    session,
                    kind=item.kind,
                    target=item.target,
                    message=item.message,
                    ref=result.ref,
                    transport=item.transport,
                    now=now,
                )
            stats.sent += 1
        elif result.status == "retry":
            # Rate limits and waiting for a predecessor step are not the message's fault.
            ratelimited = result.error == RATELIMITED or (result.error or "").startswith(
                steps.WAITING
            )
            attempt = item.attempts + (0 if ratelimited else 1)
            # An answer lost on the way back: the message may have arrived all the same.
            unknown = result.maybe_sent or (result.error or "").startswith(AMBIGUOUS_ERRORS)
            if not ratelimited and attempt >= self.settings.dispatch_max_attempts:
                recorded = await q.record_failed(
                    session=session,
                    delivery_id=item.id,
                    claimed_by=self.token,
                    now=now,
                    error=f"gave up after {attempt} attempts: {result.error or 'transient error'}",
                    unknown=unknown,
                )
                if recorded:
                    await self._forget(session, item)
                stats.failed += 1
                return
            if result.retry_after is not None:
                delay = max(0.0, result.retry_after)
            else:
                delay = backoff_seconds(
                    attempt,
                    base=self.settings.dispatch_backoff_seconds,
                    cap=self.settings.dispatch_backoff_max_seconds,
                    rng=self.rng,
                )
            # A step's progress (an asynchronous operation it is waiting for) is kept in its
            # stored message, with the retry: the next attempt, in any process, resumes there.
            kept = (
                steps.with_progress(item.message, result.progress)
                if result.progress is not None and item.kind in steps.STEP_KINDS
                else None
            )
            await q.record_retry(
                session=session,
                delivery_id=item.id,
                claimed_by=self.token,
                now=now,
                retry_at=now + timedelta(seconds=delay),
                error=result.error or "transient error",
                count_attempt=not ratelimited,
                unknown=unknown,
                message=kept,
            )
            self._retrying.add(item.id)
            stats.retried += 1
        elif result.status == "paused":
            await q.release_claims(
                session=session,
                delivery_ids=[item.id],
                claimed_by=self.token,
                now=now,
                in_flight=True,
            )
            stats.paused += 1
        else:
            logger.warning(
                "Delivery %s (%s) failed: %s",
                item.id,
                item.kind,
                result.error or "unknown",
                extra={"delivery_id": item.id, "kind": item.kind, "transport": item.transport},
            )
            recorded = await q.record_failed(
                session=session,
                delivery_id=item.id,
                claimed_by=self.token,
                now=now,
                error=result.error or "failed",
                unknown=result.maybe_sent,
            )
            if recorded:
                await self._forget(session, item)
            stats.failed += 1

    @staticmethod
    async def _forget(session: AsyncSession, item: q.ClaimedDelivery) -> None:
        """A failed upload keeps no bytes: the person can ask again."""
        if item.kind == steps.UPLOAD:
            await steps.forget_file(session, message=item.message)

    # --- pausing ---------------------------------------------------------------------------

    async def pause(self, transport: str, reason: str) -> None:
        """Stop all sending on `transport` (bad credentials) and alert staff loudly."""
        self._paused.add(transport)
        now = self.clock.now()
        async with self.db.transaction() as session:
            new = await q.pause_transport(
                session=session, transport=transport, reason=reason, now=now
            )
            if not new:
                return
            logger.error(
                "Sending PAUSED on %s: %s. Nothing goes out on it until staff run "
                "`cohortbot deliveries --resume %s` after fixing the credentials.",
                transport,
                reason,
                transport,
            )
            await self._alert_staff(session, transport=transport, reason=reason, now=now)

    async def _alert_staff(
        self, session: AsyncSession, *, transport: str, reason: str, now: datetime
    ) -> None:
        # Through every other transport that still works: email when Slack's token is bad.
        contacts = await q.staff_contacts(session=session, staff_emails=self.settings.staff_emails)
        # Staff rows carry no language, so the alert says it in both: bokmål first.
        values = {"transport": transport, "reason": reason}
        message = OutgoingMessage(
            title=t("deliveries.alert.title", "nb", **values),
            subject=t("deliveries.alert.title", "nb", **values),
            text=t("deliveries.alert.text", "nb", **values)
            + "\n\n"
            + t("deliveries.alert.text", "en", **values),
            locale="nb",
        )
        stamp = now.strftime("%Y%m%dT%H%M%S")
        targets: list[tuple[str, str, int | None]] = []
        if "email" in self.notifiers and transport != "email":
            emails = {canonical_email(e) for e in self.settings.staff_emails}
            for staff_id, email, _ in contacts:
                if email.lower() not in emails:
                    targets.append(("email", email, staff_id))
            targets += [("email", e, None) for e in sorted(emails)]
        if "slack" in self.notifiers and transport != "slack":
            targets += [("slack", uid, pid) for pid, _, uid in contacts if uid]
        for target_transport, target, recipient_id in targets:
            await q.enqueue_delivery(
                session=session,
                dedupe_key=f"alert:paused:{transport}:{stamp}:{target_transport}:{target}"[:200],
                transport=target_transport,
                kind="staff_alert",
                target=target,
                message=message.to_json(),
                send_at=now,
                person_id=recipient_id,
                source=f"pause:{transport}",
                urgent=True,
                now=now,
            )
        if not targets:
            logger.error("No other transport to alert staff about the pause on %s", transport)
