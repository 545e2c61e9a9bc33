"""Prometheus metrics: what the process did (sends, rate-limit waits, acks, jobs) and what the
outbox holds (read from the database at each scrape, so every process reports the same).

Every series is named `cohortbot_…`; labels are transports, states, Slack method names and job
ids, never people or message content. docs/operations.md says what to alert on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from storage.db import Database
from storage.queries import deliveries as dq

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

# Seconds, from a fast Slack call to a slow SMTP server or a long planner run.
_LATENCY = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Slack wants an ack within 3 s; the buckets are finer below that.
_ACK = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
_WAIT = (0.0, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)

DELIVERIES = Gauge(
    "cohortbot_deliveries",
    "Deliveries in the outbox by state and transport (read from the database at scrape time).",
    ["state", "transport"],
    registry=REGISTRY,
)
DUE = Gauge(
    "cohortbot_deliveries_due",
    "Pending deliveries whose send time has come (a backlog when it stays up).",
    registry=REGISTRY,
)
OLDEST_DUE_SECONDS = Gauge(
    "cohortbot_delivery_oldest_due_seconds",
    "How long the oldest due, unsent delivery has waited (0 when none is due).",
    registry=REGISTRY,
)
SENDS = Counter(
    "cohortbot_delivery_sends",
    "Send attempts by this process, by transport and result (sent, retry, failed, paused).",
    ["transport", "result"],
    registry=REGISTRY,
)
SEND_SECONDS = Histogram(
    "cohortbot_delivery_send_seconds",
    "How long one send took (the transport call, rate-limit waits included), by transport.",
    ["transport"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
RATELIMIT_WAIT_SECONDS = Histogram(
    "cohortbot_ratelimit_wait_seconds",
    "Seconds a Slack call waited for the rate limiter (0 when it went at once), by method.",
    ["method"],
    buckets=_WAIT,
    registry=REGISTRY,
)
RATELIMIT_PENALTIES = Counter(
    "cohortbot_ratelimit_penalties",
    "HTTP 429 answers from Slack that blocked a method (Retry-After honoured), by method.",
    ["method"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "cohortbot_slack_ack_seconds",
    "From receiving a Slack request (event, click, command) to answering it over HTTP.",
    ["kind"],
    buckets=_ACK,
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "cohortbot_job_runs",
    "Scheduled job runs by job id and outcome (ok, error, missed, skipped).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "cohortbot_job_seconds",
    "How long a scheduled job ran, by job id.",
    ["job"],
    buckets=_LATENCY,
    registry=REGISTRY,
)


async def refresh_outbox(db: Database, now: datetime) -> None:
    """Read the outbox's counts into the gauges (states that emptied read 0)."""
    async with db.session() as session:
        counts = await dq.count_deliveries_by_state_and_transport(session=session)
        due, oldest = await dq.due_backlog(session=session, now=now)
    DUE.set(due)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    OLDEST_DUE_SECONDS.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    for labels in list(_known_outbox_labels):
        if labels not in counts:
            DELIVERIES.labels(*labels).set(0)
    for labels, n in counts.items():
        DELIVERIES.labels(*labels).set(n)
        _known_outbox_labels.add(labels)


_known_outbox_labels: set[tuple[str, str]] = set()


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, with its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
