"""The archive modal's submissions: add an item (with a file shared in the modal) or change one.

Cheap checks answer in the modal (`response_action: errors`); then the ack, and the slow part
(fetching the file from Slack, extracting its text in a worker thread, storing) runs after it;
the outcome comes as a DM.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.archive import store_for
from bot.archive.forms import check_form, error_field, save_form
from bot.archive.items import ArchiveError
from bot.archive.search import visibility_label
from bot.messages import t
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.archive import doer_of
from handlers.slack.blocks.archive import VIEW_ADD, VIEW_CHANGE, ArchiveForm, parse_archive_form
from handlers.slack.context import actor_for
from handlers.slack.files import FileFetchError, fetch_shared_file

logger = logging.getLogger(__name__)


def _precheck(form: ArchiveForm, runtime: Runtime, locale: str) -> dict[str, str]:
    """Errors to show in the modal (block id -> text), before anything is fetched or stored."""
    try:
        check_form(form.fields)
    except ArchiveError as exc:
        return {error_field(exc): exc.text(locale)}
    if form.files and form.url:
        return {"url": t("archive.error.file_and_url", locale)}
    limit = runtime.settings.archive_max_file_bytes
    if form.files and int(form.files[0].get("size") or 0) > limit:
        return {"file": t("archive.error.too_big", locale, mib=f"{limit / 1048576:.0f}")}
    return {}


async def _save(runtime: Runtime, client: AsyncWebClient, actor: Actor, form: ArchiveForm) -> str:
    locale = actor.locale
    upload = None
    if form.files and form.item_id is None:
        try:
            upload = await fetch_shared_file(
                client,
                runtime.http,
                runtime.settings,
                file_id=str(form.files[0].get("id") or ""),
                limit=runtime.settings.archive_max_file_bytes,
            )
        except FileFetchError as exc:
            if str(exc) == "too_big":
                mib = f"{runtime.settings.archive_max_file_bytes / 1048576:.0f}"
                return t("archive.error.too_big", locale, mib=mib)
            logger.warning("Failed to fetch an archive file from Slack: %s", exc)
            return t("archive.file.failed", locale)
    try:
        item = await save_form(
            runtime.db,
            store_for(runtime.settings),
            runtime.settings,
            form=form.fields,
            doer=doer_of(actor),
            now=runtime.clock.now(),
            upload=upload,
        )
    except ArchiveError as exc:
        return exc.text(locale)
    visibility = visibility_label(item.visibility, locale)
    if form.item_id is not None:
        return t("archive.changed", locale, title=item.title, visibility=visibility)
    return t("archive.added", locale, title=item.title, id=item.id, visibility=visibility)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for submitted archive modals."""

    async def submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        actor = await actor_for(runtime, user_id)
        form = parse_archive_form(view)
        if view.get("callback_id") != VIEW_CHANGE:
            form = replace(form, item_id=None)  # the add modal adds, whatever it carries
        errors = _precheck(form, runtime, actor.locale)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        if actor.person_id is None:
            await client.chat_postMessage(
                channel=user_id, text=t("error.unknown_user", actor.locale)
            )
            return
        if view.get("callback_id") == VIEW_CHANGE and form.item_id is None:
            text = t("archive.error.no_item", actor.locale, id="?")
        else:
            text = await _save(runtime, client, actor, form)
        await client.chat_postMessage(channel=user_id, text=text)

    app.view(VIEW_ADD)(submitted)
    app.view(VIEW_CHANGE)(submitted)
