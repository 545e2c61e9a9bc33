"""The SMTP sink receives what aiosmtplib sends, with its HTML part and links."""

from __future__ import annotations

from email.message import EmailMessage

import aiohttp
import aiosmtplib

from emulator import EmulatorHandle


async def test_smtp_sink_receives_mail(emu: EmulatorHandle) -> None:
    assert emu.smtp_port
    message = EmailMessage()
    message["From"] = "cohortbot@example.no"
    message["To"] = "leder@kommune.no"
    message["Subject"] = "Svar på én ting"
    message.set_content("Klikk: http://127.0.0.1:3000/r/abc")
    message.add_alternative(
        '<p>Klikk <a href="http://127.0.0.1:3000/r/abc">her</a></p>', subtype="html"
    )
    await aiosmtplib.send(
        message,
        hostname="127.0.0.1",
        port=emu.smtp_port,
        username="u",
        password="p",
        start_tls=False,
    )
    [mail] = emu.state.emails_to("leder@kommune.no")
    assert mail.subject == "Svar på én ting"
    assert mail.html is not None and 'href="http://127.0.0.1:3000/r/abc"' in mail.html
    assert mail.text is not None and "Klikk" in mail.text
    async with aiohttp.ClientSession() as session:
        async with session.get(emu.base_url + "/_admin/emails?to=leder@kommune.no") as resp:
            body = await resp.json()
    assert body["emails"][0]["subject"] == "Svar på én ting"
