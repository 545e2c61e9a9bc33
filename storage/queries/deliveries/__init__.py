"""Outbox queries, one module per concern: `enqueue` (deduplicated) and cancel, `claims` (the
dispatcher's claim and outcomes), `due` (the idle probe, held deliveries), `pauses`, `figures`
(what staff see), `planner` (the planner's bulk path) and `steps` (outbox steps' lookups and
stored upload files). Import from `storage.queries.deliveries`; the names below are its surface.
"""

from storage.queries.deliveries._common import (
    DELIVERY,
    HELD_NOTE,
    PAUSE,
    SP,
    UNCERTAIN_NOTE,
    D,
    P,
)
from storage.queries.deliveries.claims import (
    ClaimedDelivery,
    claim_due_deliveries,
    clear_unknown_attempts,
    mark_in_flight,
    record_failed,
    record_retry,
    record_sent,
    release_claims,
)
from storage.queries.deliveries.due import (
    any_due,
    hold_unsendable,
)
from storage.queries.deliveries.enqueue import (
    cancel_pending,
    enqueue_delivery,
    restore_cancelled,
)
from storage.queries.deliveries.figures import (
    DuplicateFigures,
    FailedDeliveryRow,
    count_deliveries_by_state,
    count_deliveries_by_state_and_transport,
    count_failed,
    count_held,
    count_uncertain_sends,
    due_backlog,
    duplicate_figures,
    list_failed_deliveries,
    next_due_at,
    sent_messages,
)
from storage.queries.deliveries.pauses import (
    list_pauses,
    pause_transport,
    resume_transport,
    staff_contacts,
)
from storage.queries.deliveries.planner import (
    ExistingDelivery,
    existing_for_sources,
    insert_deliveries,
    restore_cancelled_deliveries,
    update_pending_deliveries,
)
from storage.queries.deliveries.steps import (
    add_outbox_file,
    delete_outbox_file,
    get_delivery_by_key,
    get_outbox_file,
    rearm_failed,
)

__all__ = [
    "DELIVERY",
    "HELD_NOTE",
    "PAUSE",
    "SP",
    "UNCERTAIN_NOTE",
    "ClaimedDelivery",
    "D",
    "DuplicateFigures",
    "ExistingDelivery",
    "FailedDeliveryRow",
    "P",
    "add_outbox_file",
    "any_due",
    "cancel_pending",
    "claim_due_deliveries",
    "clear_unknown_attempts",
    "count_deliveries_by_state",
    "count_deliveries_by_state_and_transport",
    "count_failed",
    "count_held",
    "count_uncertain_sends",
    "delete_outbox_file",
    "due_backlog",
    "duplicate_figures",
    "enqueue_delivery",
    "existing_for_sources",
    "get_delivery_by_key",
    "get_outbox_file",
    "hold_unsendable",
    "insert_deliveries",
    "list_failed_deliveries",
    "list_pauses",
    "mark_in_flight",
    "next_due_at",
    "pause_transport",
    "rearm_failed",
    "record_failed",
    "record_retry",
    "record_sent",
    "release_claims",
    "restore_cancelled",
    "restore_cancelled_deliveries",
    "resume_transport",
    "sent_messages",
    "staff_contacts",
    "update_pending_deliveries",
]
