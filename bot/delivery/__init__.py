"""The delivery engine's domain API: schedule, cancel, dispatch, pause and resume.

Every feature sends through here. `schedule(...)` writes a delivery into the outbox in the
caller's transaction (so the message exists exactly when the change that causes it does), after
moving its send time out of quiet hours and holidays. The `Dispatcher` claims due deliveries
and hands them to the transports (`Notifier`s) with bounded concurrency.

Guarantees and their limits:
- Enqueueing the same dedupe key twice sends once.
- Nothing is lost on a crash: a claimed delivery whose dispatcher dies is taken over when its
  lease runs out.
- A delivery is marked in flight (state `uncertain`) just before its transport call. Only those
  can be sent twice, when a process dies between the call and recording its outcome: at most
  `dispatch_concurrency` per dead process. They are taken over after the lease and keep an
  "uncertain: ..." note so staff can see which people may have had a message twice.
- Before resending such a delivery, or one whose answer was lost (a dropped connection), the
  dispatcher asks the transport whether it arrived (`find_sent`; Slack: the delivery key in
  the message metadata of the conversation's recent history), so in practice it is not.
- Two dispatchers never send the same delivery while both are alive: the claim takes rows with
  `FOR UPDATE SKIP LOCKED` (PostgreSQL) and every later write is a compare-and-swap on the
  claim token. A claim that outlived its lease before its send began is simply dropped.


One module per concern: `outbox` (schedule, cancel, pause and resume, in the caller's
transaction), `overview` (what staff see), `dispatcher` (claiming and sending). Import from
`bot.delivery`; the names below are its public surface.
"""

from bot.delivery.dispatcher import (
    AMBIGUOUS_ERRORS,
    DEFER_AFTER_SECONDS,
    RATELIMITED,
    Dispatcher,
    ReadyHint,
    TickStats,
    backoff_seconds,
)
from bot.delivery.outbox import (
    HELD_NOTES,
    cancel,
    held_note,
    paused_transports,
    restore,
    resume_sending,
    schedule,
)
from bot.delivery.overview import DeliveryOverview, delivery_overview

__all__ = [
    "AMBIGUOUS_ERRORS",
    "DEFER_AFTER_SECONDS",
    "HELD_NOTES",
    "RATELIMITED",
    "DeliveryOverview",
    "Dispatcher",
    "ReadyHint",
    "TickStats",
    "backoff_seconds",
    "cancel",
    "delivery_overview",
    "held_note",
    "paused_transports",
    "restore",
    "resume_sending",
    "schedule",
]
