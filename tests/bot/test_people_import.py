"""People import: file formats, all-or-nothing validation, re-import, Slack matching."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.directory import DirectoryUser
from bot.people_import import (
    ImportFileError,
    ImportRejected,
    read_csv,
    read_table,
    run_import,
)
from handlers.slack.directory import directory_user
from storage.db import Database
from storage.models import AuditEvent, Enrolment, LineManagerLink, Person, PersonIdentity
from storage.queries.identities import IdentityTaken, save_identities, save_identity
from tests.utils.factories import create_class, create_cohort, create_person

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PEOPLE = FIXTURES / "people"
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HEADER = (
    "email,name,class,municipality,county,service_area,position,gender,education,"
    "line_manager_email,line_manager_name"
)


@pytest.fixture
async def cohort_key(db: Database) -> str:
    async with db.session() as session:
        cohort = await create_cohort(session, key="2026h")
        for key, city in (
            ("bergen", "Bergen"),
            ("trondheim", "Trondheim"),
            ("tromso", "Tromsø"),
            ("oslo", "Oslo"),
        ):
            await create_class(session, cohort=cohort, key=key, name=f"Klasse {city}", city=city)
        await session.commit()
    return "2026h"


async def all_rows(db: Database, model: Any) -> list[Any]:
    async with db.session() as session:
        return list((await session.execute(select(model))).scalars().all())


async def slack_identities(db: Database) -> dict[str, tuple[str, bool]]:
    """{email: (Slack id, active)} as stored in `person_identity`."""
    async with db.session() as session:
        rows = await session.execute(
            select(Person.email, PersonIdentity.user_id, PersonIdentity.active)
            .join(PersonIdentity, PersonIdentity.person_id == Person.id)
            .where(PersonIdentity.platform == "slack")
        )
        return {email: (user_id, bool(active)) for email, user_id, active in rows.all()}


async def people_by_email(db: Database) -> dict[str, Person]:
    return {p.email: p for p in await all_rows(db, Person)}


def directory_users() -> list[DirectoryUser]:
    users = []
    for page in ("users_list_page1.json", "users_list_page2.json"):
        members = json.loads((FIXTURES / "slack" / page).read_text())["members"]
        users.extend(u for u in map(directory_user, members) if u is not None)
    return users


# --- reading -------------------------------------------------------------------------------


def test_semicolons_bom_and_loose_headers() -> None:
    table = read_table(PEOPLE / "semicolon_bom.csv")
    assert (PEOPLE / "semicolon_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert table.columns[:3] == ("email", "name", "class")  # "E-mail", "Name", "Class"
    assert "line_manager_email" in table.columns
    assert [row for row, _ in table.rows] == [2, 3]
    assert table.rows[0][1]["email"] == "kari.nordmann@bergen.kommune.no"


def test_windows_1252_csv_from_old_excel_is_read() -> None:
    text = HEADER.replace(",", ";") + "\nx@y.no;Åse Bø;bergen;Bø;Telemark;;;;;;\n"
    table = read_csv(text.encode("cp1252"))
    assert table.rows[0][1]["name"] == "Åse Bø"


def test_a_missing_column_is_one_error_naming_it() -> None:
    with pytest.raises(ImportFileError, match=r"^missing column county: the header row needs"):
        read_table(PEOPLE / "missing_column.csv")


def test_an_empty_file_and_a_header_only_file() -> None:
    with pytest.raises(ImportFileError, match="the file is empty"):
        read_table(PEOPLE / "empty.csv")
    with pytest.raises(ImportFileError, match="a header row but no people"):
        read_csv((HEADER + "\n\n").encode())


def test_xlsx_is_read_like_csv(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([h.replace("_", " ").title() for h in HEADER.split(",")] + ["Credits"])
    person = ["per@oslo.kommune.no", "Per Hansen", "oslo", "Oslo", "Oslo", "Legevakt", "Leder"]
    sheet.append([*person, "mann", "Lege", "sjef@oslo.kommune.no", "Sjef", 7.5])
    sheet.append([None] * 12)  # Excel's trailing blank row
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert len(table.rows) == 1
    row, values = table.rows[0]
    assert row == 2 and values["email"] == "per@oslo.kommune.no" and values["credits"] == "7.5"


# --- importing -----------------------------------------------------------------------------


async def test_import_creates_people_enrolments_and_line_managers(
    db: Database, cohort_key: str
) -> None:
    report = await run_import(
        db, PEOPLE / "participants.csv", cohort_ref=cohort_key, today=TODAY, now=NOW
    )
    assert len(report.created) == 4 and report.updated == [] and report.unchanged == []
    assert sorted(report.managers_created) == [
        "anne.leder@bergen.kommune.no",
        "per.sjef@trondheim.kommune.no",
    ]
    people = await people_by_email(db)
    assert len(people) == 6
    ola = people["ola.hansen@trondheim.kommune.no"]  # lower-cased from Ola.Hansen@Trondheim...
    assert (ola.name, ola.county, ola.position) == ("Ola Hansen", "Trøndelag", "Enhetsleder")
    assert people["siri.olsen@tromso.kommune.no"].locale == "en"
    enrolments = await all_rows(db, Enrolment)
    assert len(enrolments) == 4
    assert {e.status for e in enrolments} == {"active"}
    # Imported today, but their start is the cohort's first day: no day recorded on their own.
    assert all(e.started_on is None for e in enrolments)
    links = {link.participant_id: link.manager_id for link in await all_rows(db, LineManagerLink)}
    anne = people["anne.leder@bergen.kommune.no"]
    assert links[people["kari.nordmann@bergen.kommune.no"].id] == anne.id
    assert links[people["siri.olsen@tromso.kommune.no"].id] == anne.id
    assert people["jonas.berg@oslo.kommune.no"].id not in links
    (event,) = await all_rows(db, AuditEvent)
    assert event.action == "people.import" and event.detail["created"] == 4


async def test_reimport_updates_by_email_and_never_duplicates(
    db: Database, cohort_key: str, tmp_path: Path
) -> None:
    await run_import(db, PEOPLE / "participants.csv", cohort_ref=cohort_key, today=TODAY, now=NOW)
    again = await run_import(
        db, PEOPLE / "participants.csv", cohort_ref=cohort_key, today=TODAY, now=NOW
    )
    assert len(again.unchanged) == 4 and again.created == [] and again.updated == []

    changed = (PEOPLE / "participants.csv").read_text(encoding="utf-8")
    changed = changed.replace("Avdelingsleder", "Virksomhetsleder")  # Kari's new position
    changed = changed.replace(
        "jonas.berg@oslo.kommune.no,Jonas Berg,oslo,Oslo,Oslo,Legevakt,Seksjonsleder,mann,Lege,,,",
        "JONAS.BERG@oslo.kommune.no,Jonas Berg,bergen,Oslo,Oslo,Legevakt,Seksjonsleder,mann,Lege,"
        "ny.leder@oslo.kommune.no,Ny Leder,",
    )
    path = tmp_path / "people.csv"
    path.write_text(changed, encoding="utf-8")
    report = await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert sorted(report.updated) == [
        "jonas.berg@oslo.kommune.no",
        "kari.nordmann@bergen.kommune.no",
    ]
    assert report.managers_created == ["ny.leder@oslo.kommune.no"]
    people = await people_by_email(db)
    assert len(people) == 7
    assert people["kari.nordmann@bergen.kommune.no"].position == "Virksomhetsleder"
    assert len(await all_rows(db, Enrolment)) == 4
    assert len(await all_rows(db, LineManagerLink)) == 4


async def test_every_bad_row_is_reported_and_nothing_is_imported(
    db: Database, cohort_key: str
) -> None:
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, PEOPLE / "bad_rows.csv", cohort_ref=cohort_key, today=TODAY, now=NOW)
    errors = [(e.row, e.message) for e in caught.value.errors]
    assert errors == [
        (3, "'ola.hansen(at)trondheim.kommune.no' is not an email address"),
        (
            4,
            "unknown class 'stavanger'; expected one of: bergen (Bergen), oslo (Oslo), "
            "tromso (Tromsø), trondheim (Trondheim)",
        ),
        (5, "duplicate email kari.nordmann@bergen.kommune.no (also on row 2)"),
        (6, "the line manager is the participant themself"),
        (7, "line_manager_email 'leder@oslo' is not an email address"),
        (7, "unknown locale 'de'; expected nb, nn, no or en"),
    ]
    assert await all_rows(db, Person) == []
    assert await all_rows(db, AuditEvent) == []


async def test_unknown_cohort_names_the_known_ones(db: Database, cohort_key: str) -> None:
    with pytest.raises(ImportFileError, match=r"no cohort '2027v'.*\(2026h\)"):
        await run_import(db, PEOPLE / "participants.csv", cohort_ref="2027v", today=TODAY, now=NOW)


async def test_status_and_credits_columns(db: Database, cohort_key: str, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER + ",status,credits\n"
        "a@x.no,A,bergen,,,,,,,,,withdrawn,\n"
        'b@x.no,B,bergen,,,,,,,,,completed,"30,0"\n'
        "c@x.no,C,bergen,,,,,,,,,graduated,abc\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert [e.row for e in caught.value.errors] == [4, 4]
    path.write_text(path.read_text().replace("c@x.no,C,bergen,,,,,,,,,graduated,abc\n", ""))
    await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    enrolments = sorted(await all_rows(db, Enrolment), key=lambda e: e.person_id)
    assert (enrolments[0].status, enrolments[0].withdrawn_on) == ("withdrawn", TODAY)
    assert (enrolments[1].status, enrolments[1].credits) == ("completed", 30.0)


async def test_dry_run_reports_but_writes_nothing(db: Database, cohort_key: str) -> None:
    report = await run_import(
        db, PEOPLE / "participants.csv", cohort_ref=cohort_key, today=TODAY, now=NOW, dry_run=True
    )
    assert len(report.created) == 4 and report.dry_run
    assert await all_rows(db, Person) == []


# --- Slack matching ------------------------------------------------------------------------


async def test_people_and_managers_are_matched_to_slack_by_email(
    db: Database, cohort_key: str
) -> None:
    report = await run_import(
        db,
        PEOPLE / "participants.csv",
        cohort_ref=cohort_key,
        today=TODAY,
        now=NOW,
        directory_users=directory_users(),
    )
    assert report.slack_checked
    assert sorted(report.matched) == [
        "anne.leder@bergen.kommune.no",
        "kari.nordmann@bergen.kommune.no",
        "siri.olsen@tromso.kommune.no",
    ]
    assert report.deactivated == ["ola.hansen@trondheim.kommune.no"]
    assert sorted(report.not_found) == [
        "jonas.berg@oslo.kommune.no",
        "per.sjef@trondheim.kommune.no",
    ]
    people = await people_by_email(db)
    assert people["kari.nordmann@bergen.kommune.no"].timezone == "Europe/Oslo"
    assert people["anne.leder@bergen.kommune.no"].locale == "en"  # locale from Slack
    assert people["siri.olsen@tromso.kommune.no"].locale == "en"  # the file says en
    assert await slack_identities(db) == {
        "anne.leder@bergen.kommune.no": ("U0ANNE0001", True),
        "kari.nordmann@bergen.kommune.no": ("U0KARI0001", True),
        "ola.hansen@trondheim.kommune.no": ("U0OLA00001", False),
        "siri.olsen@tromso.kommune.no": ("U0SIRI0001", True),
    }


async def test_a_slack_id_in_the_file_that_someone_else_holds_is_a_bad_row(
    db: Database, cohort_key: str, tmp_path: Path
) -> None:
    async with db.session() as session:
        await create_person(session, email="other@x.no", slack_user_id="U0TAKEN001")
        await session.commit()
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER + ",slack_user_id\na@x.no,A,bergen,,,,,,,,,U0TAKEN001\n", encoding="utf-8"
    )
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert [str(e) for e in caught.value.errors] == [
        "row 2: slack_user_id U0TAKEN001 belongs to other@x.no"
    ]
    assert len(await all_rows(db, Person)) == 1


async def test_a_reimport_cannot_steal_another_persons_slack_id(
    db: Database, cohort_key: str, tmp_path: Path
) -> None:
    """A file that gives Kari Ola's Slack id (and Ola someone new's) is refused whole."""
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER + ",slack_user_id\n"
        "kari@x.no,Kari,bergen,,,,,,,,,U0KARI0001\n"
        "ola@x.no,Ola,bergen,,,,,,,,,U0OLA00001\n",
        encoding="utf-8",
    )
    await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    before = await slack_identities(db), [p.model_dump() for p in await all_rows(db, Person)]
    assert before[0] == {"kari@x.no": ("U0KARI0001", True), "ola@x.no": ("U0OLA00001", True)}
    path.write_text(
        HEADER + ",slack_user_id\n"
        "kari@x.no,Kari Hacker,bergen,,,,,,,,,U0OLA00001\n"
        "ny@x.no,Ny,bergen,,,,,,,,,U0KARI0001\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert [str(e) for e in caught.value.errors] == [
        "row 2: slack_user_id U0OLA00001 belongs to ola@x.no",
        "row 3: slack_user_id U0KARI0001 belongs to kari@x.no",
    ]
    after = await slack_identities(db), [p.model_dump() for p in await all_rows(db, Person)]
    assert after == before


async def test_two_people_cannot_hold_one_slack_id(db: Database) -> None:
    """The storage refuses it too, whoever writes: the ids are unique per platform."""
    async with db.session() as session:
        kari = await create_person(session, email="kari@x.no", slack_user_id="U0KARI0001")
        ola = await create_person(session, email="ola@x.no")
        await session.commit()
        assert ola.id is not None and kari.id is not None
        ola_id = ola.id
        with pytest.raises(IdentityTaken, match="U0KARI0001 belongs to person"):
            await save_identity(
                session=session,
                person_id=ola_id,
                platform="slack",
                user_id="U0KARI0001",
                now=NOW,
                take_over=False,
            )
        with pytest.raises(IdentityTaken):
            await save_identities(
                session=session, platform="slack", wanted={ola_id: ("U0KARI0001", True)}, now=NOW
            )
        await session.rollback()
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(PersonIdentity(person_id=ola_id, platform="slack", user_id="U0KARI0001"))
    assert await slack_identities(db) == {"kari@x.no": ("U0KARI0001", True)}


async def test_an_idna_domain_and_its_punycode_are_one_person(
    db: Database, cohort_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "idna.csv"
    path.write_text(
        f"{HEADER}\n"
        "ola@Bærum.kommune.no,Ola,bergen,,,,,,,,\n"
        "OLA@xn--brum-voa.kommune.no,Ola igjen,bergen,,,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert [(e.row, e.message) for e in caught.value.errors] == [
        (3, "duplicate email ola@xn--brum-voa.kommune.no (also on row 2)")
    ]
    path.write_text(
        f"{HEADER}\nola@Bærum.kommune.no,Ola,bergen,,,,,,,LEDER@BÆRUM.kommune.no,Leder\n",
        encoding="utf-8",
    )
    await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert set(await people_by_email(db)) == {
        "ola@xn--brum-voa.kommune.no",
        "leder@xn--brum-voa.kommune.no",
    }


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01\x02",
        "email,name\n".encode("utf-16"),
        bytes(range(256)) * 40,
    ],
)
def test_a_binary_file_renamed_csv_is_not_a_csv_or_xlsx_file(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match="not a CSV or XLSX file"):
        read_table(path)


def test_an_xlsx_renamed_csv_is_read_as_xlsx(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.split(","))
    ws.append(["kari@bergen.kommune.no", "Kari", "bergen"])
    path = tmp_path / "people.csv"
    wb.save(path)
    assert read_table(path).rows[0][1]["email"] == "kari@bergen.kommune.no"


async def test_a_huge_bad_email_is_quoted_back_as_a_short_prefix(
    db: Database, cohort_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(f"{HEADER}\n{'x' * 100_000},Ola,bergen,,,,,,,,\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    message = caught.value.errors[0].message
    assert message.endswith("is not an email address") and len(message) < 120


async def test_two_imports_at_once_give_one_slack_id_to_one_person(
    db: Database, cohort_key: str, tmp_path: Path
) -> None:
    """Two files imported at the same moment, each giving U0SAME0001 to a different new person
    (both plans check before either writes): the id goes to one; the other import does not die
    on the database's unique key but leaves its person unlinked and says so."""
    import asyncio

    files = []
    for name in ("anna", "berit"):
        path = tmp_path / f"{name}.csv"
        path.write_text(
            HEADER + f",slack_user_id\n{name}@x.no,{name.title()},bergen,,,,,,,,,U0SAME0001\n",
            encoding="utf-8",
        )
        files.append(path)
    reports = await asyncio.gather(
        *(run_import(db, p, cohort_ref=cohort_key, today=TODAY, now=NOW) for p in files)
    )
    held = await slack_identities(db)
    assert list(held.values()) == [("U0SAME0001", True)]
    (winner,) = held
    loser = next(e for e in ("anna@x.no", "berit@x.no") if e != winner)
    notes = [n for r in reports for n in r.notes if "U0SAME0001" in n]
    assert notes == [
        f"{loser}: Slack id U0SAME0001 was linked to someone else by another import "
        "meanwhile; left unlinked"
    ]
    assert sorted(p.email for p in await all_rows(db, Person)) == ["anna@x.no", "berit@x.no"]


async def test_after_an_erasure_the_slack_id_is_free_and_a_reimport_links_it_anew(
    db: Database, cohort_key: str, tmp_path: Path, settings: Any
) -> None:
    """Kari is erased; her Slack id goes with her (no identity row is left on the erased,
    pseudonymised person), so a later file that lists the same account — the same person
    coming back under a new address — links it to that person, without a "belongs to"."""
    from bot.rights import erase_person

    path = tmp_path / "people.csv"
    path.write_text(
        HEADER + ",slack_user_id\nkari@x.no,Kari,bergen,,,,,,,,,U0KARI0001\n", encoding="utf-8"
    )
    await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    async with db.transaction() as session:
        await erase_person(session, settings, email="kari@x.no", now=NOW, actor="cli")
    assert await slack_identities(db) == {}
    assert [i for i in await all_rows(db, PersonIdentity)] == []
    path.write_text(
        HEADER + ",slack_user_id\nkari.ny@x.no,Kari,bergen,,,,,,,,,U0KARI0001\n", encoding="utf-8"
    )
    await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert await slack_identities(db) == {"kari.ny@x.no": ("U0KARI0001", True)}


async def test_a_slack_id_in_another_case_or_with_spaces_is_not_a_second_account(
    db: Database, cohort_key: str, tmp_path: Path
) -> None:
    """Slack ids are upper case. Kari's own id with spaces around it is her id (nothing
    changes); in lower case it is refused as not a Slack id — never stored as a second
    account beside hers, nor given to someone else."""
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER + ",slack_user_id\nkari@x.no,Kari,bergen,,,,,,,,,U0KARI0001\n", encoding="utf-8"
    )
    await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    before = await all_rows(db, PersonIdentity)
    path.write_text(
        HEADER + ",slack_user_id\nkari@x.no,Kari,bergen,,,,,,,,,\t U0KARI0001 \n",
        encoding="utf-8",
    )
    await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert [i.model_dump() for i in await all_rows(db, PersonIdentity)] == [
        i.model_dump() for i in before
    ]
    path.write_text(
        HEADER + ",slack_user_id\n"
        "kari@x.no,Kari,bergen,,,,,,,,,u0kari0001\n"
        "ny@x.no,Ny,bergen,,,,,,,,,u0Kari0001\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, path, cohort_ref=cohort_key, today=TODAY, now=NOW)
    assert [str(e) for e in caught.value.errors] == [
        "row 2: 'u0kari0001' is not a Slack user id (like U012ABCDEF)",
        "row 3: 'u0Kari0001' is not a Slack user id (like U012ABCDEF)",
    ]
    assert await slack_identities(db) == {"kari@x.no": ("U0KARI0001", True)}
