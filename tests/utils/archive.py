"""Archive test helpers: real PDF and DOCX bytes with known text, and a small world of
students in two cohorts, staff and an outsider."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from html import escape

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.archive.items import Doer
from storage.models import EnrolmentStatus
from tests.utils.factories import create_cohort, create_person, enrol


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text (WinAnsi, so æøå survive) that pypdf can read."""
    content = (
        b"BT /F1 12 Tf 72 720 Td 14 TL "
        + b" ".join(_pdf_string(line) + b" '" for line in lines)
        + b" ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    """A minimal Word document (the parts Word and python-docx need)."""
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr("word/document.xml", document)
    return out.getvalue()


@dataclass
class ArchiveWorld:
    cohort_a: int
    cohort_b: int
    anne: int  # student in A (owner of most items)
    arne: int  # student in A
    berit: int  # student in B
    frida: int  # former student of B (completed)
    outsider: int  # line manager, no enrolment
    staff: int
    emails: dict[str, str]

    def doer(self, name: str) -> Doer:
        pid = getattr(self, name)
        return Doer(pid, name == "staff", f"person:{pid}")


async def build_archive_world(session: AsyncSession) -> ArchiveWorld:
    a = await create_cohort(session, key="kull-a", name="Kull A")
    b = await create_cohort(session, key="kull-b", name="Kull B", status="completed")
    people = {}
    for name in ("anne", "arne", "berit", "frida", "outsider", "staff"):
        people[name] = await create_person(
            session,
            email=f"{name}@example.no",
            name=name.title() + " Hansen",
            is_staff=name == "staff",
        )
    await enrol(session, person=people["anne"], cohort=a)
    await enrol(session, person=people["arne"], cohort=a)
    await enrol(session, person=people["berit"], cohort=b)
    await enrol(session, person=people["frida"], cohort=b, status=EnrolmentStatus.COMPLETED)
    ids = {k: int(v.id) for k, v in people.items()}
    return ArchiveWorld(
        cohort_a=int(a.id),  # type: ignore[arg-type]
        cohort_b=int(b.id),  # type: ignore[arg-type]
        emails={k: f"{k}@example.no" for k in people},
        **ids,
    )
