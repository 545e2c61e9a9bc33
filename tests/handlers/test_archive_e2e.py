"""End to end in the local workspace: a participant adds their project with a PDF from the
modal, a classmate finds it by an inflected word and downloads it through the signed link, the
owner withdraws it and the link stops working. Hostile input on the way: a mrkdwn ping in the
title, a file named `../../etc/passwd.pdf`, both a file and a link."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import select

from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import File, WorkspaceState
from storage.models import ArchiveItem, AuditEvent
from tests.utils.archive import make_pdf
from tests.utils.factories import create_cohort, create_person, enrol
from tests.utils.workspace import Workspace, eventually, running_workspace

NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
PEOPLE = [("UANNE", "Anne Berg"), ("UARNE", "Arne Dahl"), ("UBERIT", "Berit Lie")]
TITLE = "<!channel> *Turnus* på Fana"
# Slack's trigger ids live 3 s; on a loaded test machine the command may take longer to reach
# views.open, which would make the test depend on the machine's speed.
TRIGGER_TTL = 300.0


def seed(state: WorkspaceState) -> None:
    state.add_user("stab", real_name="Stab", email="stab@lederutdanning.no", user_id="USTAFF")
    for uid, name in PEOPLE:
        state.add_user(uid.lower(), real_name=name, email=f"{uid.lower()}@kommune.no", user_id=uid)


async def _people(ws: Workspace) -> None:
    async with ws.runtime.db.transaction() as s:
        a = await create_cohort(s, key="2026v", name="Kull 2026 vår")
        b = await create_cohort(s, key="2025h", name="Kull 2025 høst")
        await create_person(
            s, email="stab@lederutdanning.no", name="Stab", slack_user_id="USTAFF", is_staff=True
        )
        for uid, name in PEOPLE:
            p = await create_person(
                s, email=f"{uid.lower()}@kommune.no", name=name, slack_user_id=uid
            )
            await enrol(s, person=p, cohort=b if uid == "UBERIT" else a)


def _share(ws: Workspace, user: str, name: str, data: bytes) -> dict[str, Any]:
    """A file the person uploaded in the modal's file input, as Slack holds it."""
    file = File(id=f"F{len(ws.state.files) + 1:08d}", name=name, length=len(data), user=user)
    file.content, file.completed = data, True
    ws.state.files[file.id] = file
    return file.to_slack(ws.emulator.base_url)


async def _open_add(ws: Workspace, user: str) -> str:
    await ws.command(user, "archive add")
    await eventually(lambda: _true(bool(ws.state.modal_stacks.get(user))))
    return ws.state.modal_stacks[user][-1].id


def _stored(settings: Settings) -> dict[str, bytes]:
    path = Path(settings.archive_dir)
    return {p.name: p.read_bytes() for p in path.iterdir()} if path.is_dir() else {}


async def _true(value: bool) -> bool:
    return value


async def _items(ws: Workspace) -> list[ArchiveItem]:
    async with ws.runtime.db.session() as s:
        return list((await s.exec(select(ArchiveItem))).all())


def _button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} in {blocks}")


async def test_a_project_from_the_modal_to_a_classmates_download_and_withdrawal(
    settings: Settings,
) -> None:
    clock = FrozenClock(NOW)
    async with running_workspace(settings, clock=clock, seed=seed, trigger_ttl=TRIGGER_TTL) as ws:
        await _people(ws)
        pdf = make_pdf(["Sykepleiere og turnusplanlegging i sykehjem"])
        shared = _share(ws, "UANNE", "../../etc/passwd.pdf", pdf)

        # Both a file and a link: refused in the modal, nothing stored.
        view_id = await _open_add(ws, "UANNE")
        both = await ws.emulator.inbound.submit_view(
            "UANNE",
            view_id,
            {
                "title": {"value": "T"},
                "summary": {"value": "S"},
                "file": {"value": [shared]},
                "url": {"value": "https://example.no/x"},
                "visibility": {"value": "cohort"},
            },
        )
        await ws.emulator.inbound.drain()
        assert ws.state.views[view_id].errors.get("url"), both
        assert await _items(ws) == []

        await ws.emulator.inbound.submit_view(
            "UANNE",
            view_id,
            {
                "title": {"value": TITLE},
                "summary": {"value": "Hvordan vi planla turnus sammen."},
                "keywords": {"value": "turnus, ledelse"},
                "file": {"value": [shared]},
                "visibility": {"value": "cohort"},
                "show_name": {"value": ["yes"]},
            },
        )
        await ws.emulator.inbound.drain()

        async def added() -> bool:
            return len(await _items(ws)) == 1

        await eventually(added)
        (item,) = await _items(ws)
        assert item.title == TITLE and item.visibility == "cohort" and item.show_name
        assert item.file_name == "passwd.pdf" and item.file_type == "pdf"
        assert "turnusplanlegging" in (item.file_text or "")
        stored = _stored(settings)
        assert list(stored) == [item.file_key] and stored[item.file_key or ""] == pdf

        # A classmate finds it by another form of the word; the title pings nobody.
        found = await ws.ask("UARNE", "archive sykepleieren")
        shown = str(found.blocks)
        assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
        assert "Anne Berg" in shown
        # Someone from another cohort does not, not even by a word in the file.
        other = await ws.ask("UBERIT", "archive turnusplanlegging")
        assert "Turnus" not in str(other.blocks) and "Ingen treff" in str(other.blocks)

        # The download button gives a signed link that serves the file as an attachment.
        download = _button(found.blocks, "archive.download")
        await ws.emulator.inbound.click(
            "UARNE",
            "archive.download",
            value=download["value"],
            channel_id=ws.dm_channel("UARNE"),
            message_ts=found.ts,
        )
        await ws.emulator.inbound.drain()

        async def linked() -> bool:
            return any("/archive/" in e.text for e in ws.ephemerals("UARNE"))

        await eventually(linked)
        text = next(e.text for e in ws.ephemerals("UARNE") if "/archive/" in e.text)
        url = text[text.index(ws.bot_url) :].split()[0].rstrip(">").split("|")[0]
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as r:
                assert r.status == 200 and await r.read() == pdf
                assert r.headers["Content-Disposition"].startswith("attachment;")
                assert r.headers["X-Content-Type-Options"] == "nosniff"
            async with http.get(url[:-3] + "xyz") as r:
                assert r.status == 400

            # The owner withdraws it; the link handed out stops working at once.
            mine = await ws.ask("UANNE", "archive mine")
            withdraw = _button(mine.blocks, "archive.withdraw")
            await ws.emulator.inbound.click(
                "UANNE",
                "archive.withdraw",
                value=withdraw["value"],
                channel_id=ws.dm_channel("UANNE"),
                message_ts=mine.ts,
            )
            await ws.emulator.inbound.drain()

            async def gone() -> bool:
                return await _items(ws) == []

            await eventually(gone)
            assert _stored(settings) == {}
            async with http.get(url) as r:
                assert r.status == 404


async def test_staff_add_material_and_a_staff_download_of_a_project_is_audited(
    settings: Settings,
) -> None:
    clock = FrozenClock(NOW)
    async with running_workspace(settings, clock=clock, seed=seed, trigger_ttl=TRIGGER_TTL) as ws:
        await _people(ws)
        view_id = await _open_add(ws, "USTAFF")
        modal = ws.state.views[view_id]
        assert "show_name" not in str(modal.payload)  # staff material has no owner to name
        await ws.emulator.inbound.submit_view(
            "USTAFF",
            view_id,
            {
                "title": {"value": "Forelesning om medarbeidersamtaler"},
                "summary": {"value": "Lysark"},
                "url": {"value": "https://example.no/lysark"},
                "visibility": {"value": "all"},
            },
        )
        await ws.emulator.inbound.drain()

        async def added() -> bool:
            return len(await _items(ws)) == 1

        await eventually(added)
        (item,) = await _items(ws)
        assert item.owner_id is None and item.kind == "material"
        found = await ws.ask("UBERIT", "archive medarbeidersamtalen")
        assert "Forelesning om medarbeidersamtaler" in str(found.blocks)
        assert "https://example.no/lysark" in str(found.blocks)

        # Anne's private project: staff may read it, and that read is in the audit log.
        pdf = make_pdf(["Privat refleksjon"])
        view_id = await _open_add(ws, "UANNE")
        await ws.emulator.inbound.submit_view(
            "UANNE",
            view_id,
            {
                "title": {"value": "Min refleksjon"},
                "summary": {"value": "Bare for meg"},
                "file": {"value": [_share(ws, "UANNE", "r.pdf", pdf)]},
                "visibility": {"value": "nobody"},
            },
        )
        await ws.emulator.inbound.drain()

        async def two() -> bool:
            return len(await _items(ws)) == 2

        await eventually(two)
        hidden = await ws.ask("UARNE", "archive refleksjon")
        assert "Min refleksjon" not in str(hidden.blocks)
        staff_view = await ws.ask("USTAFF", "archive refleksjon")
        assert "Min refleksjon" in str(staff_view.blocks)
        download = _button(staff_view.blocks, "archive.download")
        await ws.emulator.inbound.click(
            "USTAFF",
            "archive.download",
            value=download["value"],
            channel_id=ws.dm_channel("USTAFF"),
            message_ts=staff_view.ts,
        )
        await ws.emulator.inbound.drain()

        async def linked() -> bool:
            return any("/archive/" in e.text for e in ws.ephemerals("USTAFF"))

        await eventually(linked)
        text = next(e.text for e in ws.ephemerals("USTAFF") if "/archive/" in e.text)
        url = text[text.index(ws.bot_url) :].split()[0].rstrip(">").split("|")[0]
        async with aiohttp.ClientSession() as http, http.get(url) as r:
            assert r.status == 200 and await r.read() == pdf
        async with ws.runtime.db.session() as s:
            actions = [e.action for e in (await s.exec(select(AuditEvent))).all()]
        assert "archive.read" in actions and "archive.search" in actions


async def test_a_broken_pdf_or_a_huge_file_from_slack_stores_nothing_and_says_why(
    settings: Settings,
) -> None:
    clock = FrozenClock(NOW)
    small = settings.model_copy(update={"archive_max_file_bytes": 4096})
    async with running_workspace(small, clock=clock, seed=seed, trigger_ttl=TRIGGER_TTL) as ws:
        await _people(ws)
        broken = _share(ws, "UANNE", "oppgave.pdf", b"%PDF-1.7\n1 0 obj << /Pages 9 0 R >>\n%%EOF")
        view_id = await _open_add(ws, "UANNE")
        await ws.emulator.inbound.submit_view(
            "UANNE",
            view_id,
            {
                "title": {"value": "Oppgave"},
                "summary": {"value": "S"},
                "file": {"value": [broken]},
                "visibility": {"value": "all"},
            },
        )
        await ws.emulator.inbound.drain()

        async def told() -> bool:
            return any("kan ikke leses" in m.text for m in ws.dm("UANNE"))

        await eventually(told)
        # Too large: refused in the modal from the file's size, before anything is fetched.
        huge = _share(ws, "UANNE", "stor.pdf", b"%PDF-1.4 " + b"x" * 5000)
        view_id = await _open_add(ws, "UANNE")
        await ws.emulator.inbound.submit_view(
            "UANNE",
            view_id,
            {
                "title": {"value": "Stor"},
                "summary": {"value": "S"},
                "file": {"value": [huge]},
                "visibility": {"value": "all"},
            },
        )
        await ws.emulator.inbound.drain()
        assert "for stor" in ws.state.views[view_id].errors.get("file", "")
        assert await _items(ws) == []
        assert _stored(small) == {}
