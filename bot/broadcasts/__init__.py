"""Staff announcements: resolve an audience, preview the count, send through the outbox, report.

An audience is a scope (programme, cohort, class, peer groups, alumni, line managers) narrowed
by filters (county, service area, role). Sent as DMs, one delivery per person, wherever each is
reached: Slack, else Teams, else email (people with no usable address, or whose address bounced,
are counted as unreachable). Sent as a channel post, one delivery per channel. Only urgent
announcements may go outside quiet hours (the delivery engine moves the rest).

"role" filters on the person's position (e.g. "enhetsleder"), since the programme roles are
already the scopes.

The package, by concern:
- `audience`: the `Audience` (scope and filters), the choices staff get, `check`;
- `recipients`: `resolve` an audience to recipients, and `preview` their count;
- `sending`: `send` through the outbox, and `delivery_report` on what became of it;
- `scheduled`: list, change and cancel announcements not started;
- `wording`: what the preview and the list say (`audience_label`, `preview_lines`).
"""

from bot.broadcasts.audience import (
    MAX_TEXT,
    MODES,
    SCOPES,
    Audience,
    AudienceChoice,
    AudienceChoices,
    audience_choices,
    check,
)
from bot.broadcasts.recipients import Preview, Recipient, preview, resolve
from bot.broadcasts.scheduled import (
    NOT_STARTED,
    BroadcastSummary,
    cancel_broadcast,
    change_broadcast,
    get_summary,
    list_broadcasts,
)
from bot.broadcasts.sending import DeliveryReport, delivery_report, send
from bot.broadcasts.wording import audience_label, preview_lines

__all__ = [
    "MAX_TEXT",
    "MODES",
    "NOT_STARTED",
    "SCOPES",
    "Audience",
    "AudienceChoice",
    "AudienceChoices",
    "BroadcastSummary",
    "DeliveryReport",
    "Preview",
    "Recipient",
    "audience_choices",
    "audience_label",
    "cancel_broadcast",
    "change_broadcast",
    "check",
    "delivery_report",
    "get_summary",
    "list_broadcasts",
    "preview",
    "preview_lines",
    "resolve",
    "send",
]
