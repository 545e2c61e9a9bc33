"""Block Kit for networks and announcements: directory results, staff summaries, App Home part,
the profile modal and the two-step announcement modal. Pure functions of plain values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from bot.broadcasts import (
    MAX_TEXT,
    Audience,
    AudienceChoice,
    AudienceChoices,
    DeliveryReport,
    Preview,
)
from bot.messages import esc, format_day, t
from bot.networks import ACTION_CONSENT, ACTION_OPT_IN, ACTION_OPT_OUT, ACTION_START_DM, Profile
from bot.text import channel as channel_ref
from bot.text import formatted
from handlers.slack.blocks.message import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_FIELD_TEXT,
    clip,
    section,
)
from handlers.slack.mrkdwn import rendered, shows_staff_formatting, takes_neutral_text

Blocks = list[dict[str, Any]]


# What the builders read, and nothing more: any object with these attributes will do.
class Network(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def slack_channel_id(self) -> str | None: ...
    @property
    def match_every_weeks(self) -> int | None: ...


class NetworkMembership(Protocol):
    @property
    def ghosted(self) -> bool: ...
    @property
    def matching_opt_in(self) -> bool: ...
    @property
    def paused_until(self) -> date | None: ...


class Person(Protocol):
    @property
    def findable(self) -> bool: ...
    @property
    def project_title(self) -> str | None: ...
    @property
    def topics(self) -> str | None: ...
    @property
    def bio(self) -> str | None: ...


ACTION_PAUSE = "matching_pause"
ACTION_EDIT_PROFILE = "profile_edit"
VIEW_PROFILE = "profile_edit"
VIEW_ANNOUNCE = "announce_compose"
VIEW_ANNOUNCE_CONFIRM = "announce_confirm"
MAX_MODAL_BLOCKS = 100
MAX_PRIVATE_METADATA = 3000


def _text(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text}


def _plain(text: str, limit: int = MAX_BUTTON_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def _button(
    action_id: str, label: str, value: str = "", style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "text": _plain(label)}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


# --- directory -----------------------------------------------------------------------------


@rendered
def build_directory_results(profiles: Sequence[Profile], words: str, locale: str) -> Blocks:
    """Short profiles with a button to start a conversation; at most 49 blocks."""
    if not profiles:
        return [section(t("networks.directory.none", locale, words=words))]
    blocks: Blocks = [
        {"type": "header", "text": _plain(t("networks.directory.title", locale, words=words), 150)}
    ]
    for p in profiles[: (MAX_BLOCKS - 1) // 2]:
        place = ", ".join(x for x in (p.municipality, p.county) if x)
        # Everything here is what people wrote about themselves: marked, so never markup.
        lines = [f"*{esc(p.name)}*" + (f" – {esc(p.position)}" if p.position else "")]
        if place or p.service_area:
            lines.append(" · ".join(esc(x) for x in (place, p.service_area) if x))
        if p.project_title:
            lines.append(f"_{esc(p.project_title)}_")
        if p.topics:
            lines.append(esc(p.topics))
        block: dict[str, Any] = {
            "type": "section",
            "text": _text(clip("\n".join(lines), MAX_FIELD_TEXT)),
        }
        if p.slack_user_id:
            block["accessory"] = _button(
                ACTION_START_DM, t("networks.directory.start_dm", locale), p.slack_user_id
            )
        blocks.append(block)
        blocks.append({"type": "divider"})
    return blocks[:MAX_BLOCKS]


# --- staff summaries -----------------------------------------------------------------------


@rendered
def build_groups_summary(
    class_name: str,
    groups: Sequence[tuple[str, Sequence[str]] | tuple[str, Sequence[str], str]],
    locale: str,
) -> Blocks:
    """The formed peer groups: channel and members, one line each.

    Each group is (channel id, member names) or (channel id, member names, channel name); an
    empty id (the channel is still being made) shows the name.
    """
    blocks: Blocks = [
        section(t("networks.groups.formed", locale, count=len(groups), klass=class_name))
    ]
    lines = []
    for group in groups:
        label = str(group[2]) if len(group) > 2 else ""
        lines.append(f"{channel_ref(group[0], label)}: {', '.join(esc(n) for n in group[1])}")
    for start in range(0, len(lines), 20):
        blocks.append(section("\n".join(lines[start : start + 20])))
    return blocks[:MAX_BLOCKS]


@rendered
def build_round_summary(network_name: str, intros: int, locale: str) -> Blocks:
    return [section(t("networks.match.started", locale, network=network_name, count=intros))]


@rendered
def delivery_report_text(report: DeliveryReport, locale: str) -> str:
    """The announcement's counts in one line: sent, failed, waiting."""
    return t(
        "broadcast.report",
        locale,
        id=report.broadcast_id,
        sent=report.sent,
        failed=report.failed,
        waiting=report.waiting,
    )


@rendered
def build_delivery_report(report: DeliveryReport, locale: str) -> Blocks:
    """Counts and each failure with its reason (25 listed, the rest counted)."""
    blocks: Blocks = [section(delivery_report_text(report, locale))]
    if report.maybe_twice:
        blocks.append(
            section(
                t(
                    "broadcast.report.twice",
                    locale,
                    count=report.maybe_twice,
                    extra=report.extra_copies,
                )
            )
        )
    if report.failures:
        lines = [
            f"• {esc(who)} ({esc(transport)}): {esc(reason)}"
            for who, transport, reason in report.failures[:25]
        ]
        more = len(report.failures) - 25
        if more > 0:
            lines.append(t("broadcast.report.more", locale, n=more, id=report.broadcast_id))
        blocks.append(section("\n".join(lines)))
    return blocks


# --- App Home ------------------------------------------------------------------------------


def _matching_status(
    network: Network, membership: NetworkMembership, today: date, locale: str
) -> str:
    if not network.match_every_weeks:
        return ""
    if membership.ghosted:
        return t("networks.home.matching_ghosted", locale)
    if not membership.matching_opt_in:
        return t("networks.home.matching_off", locale)
    if membership.paused_until and membership.paused_until > today:
        return t(
            "networks.home.matching_paused", locale, day=format_day(membership.paused_until, locale)
        )
    return t("networks.home.matching_on", locale, weeks=network.match_every_weeks)


@rendered
def build_home_networks(
    rows: Sequence[tuple[Network, NetworkMembership]],
    person: Person,
    today: date,
    locale: str,
    alumni_invites: Sequence[tuple[int, str]] = (),
) -> Blocks:
    """The person's networks with matching controls, alumni invitations, and their profile.

    `alumni_invites` are (cohort id, cohort name) the person completed without joining the
    alumni network: they can still say yes here.
    """
    blocks: Blocks = [{"type": "header", "text": _plain(t("networks.home.title", locale), 150)}]
    if not rows:
        blocks.append(section(t("networks.home.none", locale)))
    for network, membership in rows[:10]:
        name = f"<#{network.slack_channel_id}>" if network.slack_channel_id else esc(network.name)
        status = _matching_status(network, membership, today, locale)
        blocks.append(section(f"{name}" + (f" – {status}" if status else "")))
        if not network.match_every_weeks:
            continue
        nid = str(network.id)
        elements: list[dict[str, Any]] = []
        if membership.matching_opt_in and not membership.ghosted:
            elements.append(
                {
                    "type": "datepicker",
                    "action_id": f"{ACTION_PAUSE}:{nid}",
                    "placeholder": _plain(t("networks.home.pause_until", locale)),
                }
            )
            elements.append(
                _button(f"{ACTION_OPT_OUT}:{nid}", t("networks.button.opt_out", locale), nid)
            )
        else:
            elements.append(
                _button(
                    f"{ACTION_OPT_IN}:{nid}", t("networks.button.opt_in", locale), nid, "primary"
                )
            )
        blocks.append({"type": "actions", "block_id": f"matching:{nid}", "elements": elements})
    for cohort_id, cohort_name in alumni_invites[:3]:
        blocks.append(
            {
                "type": "section",
                "text": _text(t("networks.home.alumni_invite", locale, cohort=cohort_name)),
                "accessory": _button(
                    f"{ACTION_CONSENT}:yes",
                    t("networks.alumni.consent.yes", locale),
                    f"{cohort_id}:yes",
                    "primary",
                ),
            }
        )
    visibility = t("networks.home.findable" if person.findable else "networks.home.hidden", locale)
    profile = {
        "type": "section",
        "text": _text(t("networks.home.profile", locale, visibility=visibility)),
        "accessory": _button(ACTION_EDIT_PROFILE, t("networks.button.edit_profile", locale)),
    }
    blocks.append(profile)
    return blocks


@rendered
def build_profile_modal(person: Person, locale: str) -> dict[str, Any]:
    """Edit one's own directory profile and visibility."""

    def field(
        block_id: str,
        label_key: str,
        value: str | None,
        multiline: bool = False,
        max_length: int = 300,
    ) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": max_length,
        }
        if value:
            element["initial_value"] = value[:max_length]
        return {
            "type": "input",
            "block_id": block_id,
            "optional": True,
            "label": _plain(t(label_key, locale), 2000),
            "element": element,
        }

    option = {"text": _plain(t("networks.profile.findable", locale)), "value": "yes"}
    checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [option]}
    if person.findable:
        checkbox["initial_options"] = [option]
    return {
        "type": "modal",
        "callback_id": VIEW_PROFILE,
        "title": _plain(t("networks.profile.title", locale), 24),
        "submit": _plain(t("networks.profile.save", locale), 24),
        "close": _plain(t("broadcast.modal.cancel", locale), 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "findable",
                "optional": True,
                # A blank label left Slack's "(optional)" hint standing alone above the box.
                "label": _plain(t("networks.profile.findable_label", locale), 2000),
                "element": checkbox,
            },
            field("project_title", "networks.profile.project_title", person.project_title),
            field("topics", "networks.profile.topics", person.topics, max_length=500),
            field("bio", "networks.profile.bio", person.bio, multiline=True, max_length=1000),
        ],
    }


# --- announcements -------------------------------------------------------------------------


MAX_OPTIONS = 100
MAX_OPTION_VALUE = 150


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(label), "value": value[:MAX_OPTION_VALUE]}


def audience_label(choice: AudienceChoice, locale: str) -> str:
    """What staff see for an audience: "Kull 2026 høst – Bergen", "Alumni", ..."""
    key = "alumni_cohort" if choice.scope == "alumni" and choice.cohort else choice.scope
    return t(f"broadcast.audience.{key}", locale, cohort=choice.cohort or "", klass=choice.klass)


@rendered
def build_announce_modal(
    locale: str, choices: AudienceChoices, timezone: str = "Europe/Oslo"
) -> dict[str, Any]:
    """Step one: pick the audience and filters, write the message, DM or channel, when, urgent.

    Audience option values are `Audience.parse` specs; filter blocks are left out when there
    is nothing to filter on (Slack refuses a select without options).
    """

    def block(
        block_id: str, label_key: str | None, element: dict[str, Any], optional: bool = True
    ) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": _plain(t(label_key, locale) if label_key else " ", 2000),
            "element": {"action_id": "value", **element},
        }

    audience_options = [
        _option(audience_label(c, locale), c.spec) for c in choices.audiences[:MAX_OPTIONS]
    ]
    audience = block(
        "audience",
        "broadcast.modal.audience",
        {
            "type": "static_select",
            "placeholder": _plain(t("broadcast.modal.choose", locale)),
            "options": audience_options,
        },
        optional=False,
    )
    audience["hint"] = _plain(t("broadcast.modal.audience_hint", locale), 2000)
    blocks: Blocks = [audience]
    for block_id, values in (
        ("counties", choices.counties),
        ("service_areas", choices.service_areas),
        ("roles", choices.roles),
    ):
        if values:
            options = [_option(v, v) for v in values[:MAX_OPTIONS]]
            element = {
                "type": "multi_static_select",
                "placeholder": _plain(t("broadcast.modal.choose", locale)),
                "options": options,
            }
            blocks.append(block(block_id, f"broadcast.modal.{block_id}", element))
    mode_options = [
        _option(t("broadcast.modal.dm", locale), "dm"),
        _option(t("broadcast.modal.channel", locale), "channel"),
    ]
    urgent_option = _option(t("broadcast.modal.urgent", locale), "urgent")
    blocks += [
        block(
            "text",
            "broadcast.modal.text",
            {"type": "plain_text_input", "multiline": True, "max_length": MAX_TEXT},
            optional=False,
        ),
        block(
            "mode",
            "broadcast.modal.mode",
            {"type": "radio_buttons", "options": mode_options, "initial_option": mode_options[0]},
            optional=False,
        ),
        # Two pickers rather than a datetimepicker: both read as Oslo wall time.
        block("when_date", "broadcast.modal.when", {"type": "datepicker"}),
        block(
            "when_time", "broadcast.modal.when_time", {"type": "timepicker", "timezone": timezone}
        ),
        block("urgent", None, {"type": "checkboxes", "options": [urgent_option]}),
    ]
    return {
        "type": "modal",
        "callback_id": VIEW_ANNOUNCE,
        "title": _plain(t("broadcast.modal.title", locale), 24),
        "submit": _plain(t("broadcast.modal.next", locale), 24),
        "close": _plain(t("broadcast.modal.cancel", locale), 24),
        "blocks": blocks,
    }


@shows_staff_formatting
@takes_neutral_text("facts")
@rendered
def build_announce_confirm(
    *,
    audience: Audience,
    text: str,
    mode: str,
    urgent: bool,
    send_at: int | None,
    preview: Preview,
    locale: str,
    facts: list[str] | None = None,
) -> dict[str, Any]:
    """Step two: the message as it will look, to whom, where, when and how many; Send confirms.

    `facts` are `bot.broadcasts.preview_lines` (audience, where, when, by Slack and email).
    """
    detail = ", ".join(f"{n} {transport}" for transport, n in sorted(preview.by_transport.items()))
    blocks: Blocks = [
        section(
            "\n".join(facts)
            if facts
            else t("broadcast.confirm.count", locale, count=preview.count, detail=detail or "-")
        ),
    ]
    if preview.unreachable and not facts:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _text(
                        t("broadcast.confirm.unreachable", locale, count=len(preview.unreachable))
                    )
                ],
            }
        )
    blocks += [{"type": "divider"}, section(formatted(text))]  # as bot.broadcasts sends it
    metadata = json.dumps(
        {
            "audience": audience.to_json(),
            "text": text,
            "mode": mode,
            "urgent": urgent,
            "send_at": send_at,
        },
        ensure_ascii=False,
    )
    if len(metadata) > MAX_PRIVATE_METADATA:
        # The text is long: keep it out of the metadata and take it from the preview block.
        metadata = json.dumps(
            {"audience": audience.to_json(), "mode": mode, "urgent": urgent, "send_at": send_at}
        )
    return {
        "type": "modal",
        "callback_id": VIEW_ANNOUNCE_CONFIRM,
        "title": _plain(t("broadcast.modal.title", locale), 24),
        "submit": _plain(t("broadcast.modal.send", locale), 24),
        "close": _plain(t("broadcast.modal.cancel", locale), 24),
        "private_metadata": metadata,
        "blocks": blocks,
    }
