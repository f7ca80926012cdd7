"""The mail catcher receives SMTP, stores .eml files and exposes them over HTTP."""

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import aiohttp
import aiosmtplib
import pytest

from tools.mailcatcher import MailCatcher

SUBJECT = "Réservation confirmée : cantine de l'école Jean-Jaurès — été"
TEXT = "Bonjour Hélène,\n\nVotre réservation du périscolaire est enregistrée. À bientôt !\n"
HTML = "<p>Bonjour Hélène,</p><p>Votre réservation du <b>périscolaire</b> est enregistrée.</p>\n"
RECIPIENT = "helene.bezier@example.fr"
SENDER = "ne-pas-repondre@mairie.example.fr"


@pytest.fixture
async def catcher(tmp_path):
    mc = MailCatcher(host="127.0.0.1", smtp_port=0, http_port=0, directory=tmp_path / "mail")
    await mc.start()
    yield mc
    await mc.stop()


def _message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Mairie de Saint-Étienne <{SENDER}>"
    msg["To"] = RECIPIENT
    msg["Subject"] = SUBJECT
    msg.set_content(TEXT)
    msg.add_alternative(HTML, subtype="html")
    return msg


async def _send(catcher: MailCatcher, msg: EmailMessage) -> None:
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=catcher.smtp_port, timeout=10)


async def test_roundtrip_via_api_and_disk(catcher):
    await _send(catcher, _message())
    base = f"http://127.0.0.1:{catcher.http_port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/api/messages") as resp:
            assert resp.status == 200
            messages = await resp.json()
        assert len(messages) == 1
        m = messages[0]
        assert m["mail_from"] == SENDER
        assert m["to"] == [RECIPIENT]
        assert m["subject"] == SUBJECT
        assert m["text"] == TEXT
        assert m["html"] == HTML
        assert m["received_at"]

        async with http.get(f"{base}/") as resp:
            page = await resp.text()
        assert "Courriers reçus" in page and f"/messages/{m['id']}" in page
        async with http.get(f"{base}/messages/{m['id']}") as resp:
            assert resp.status == 200
            assert "Hélène" in await resp.text()
        async with http.get(f"{base}/messages/{m['id']}/html") as resp:
            assert await resp.text() == HTML

    files = sorted(catcher.directory.glob("*.eml"))
    assert [f.stem for f in files] == [m["id"]]
    on_disk = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert on_disk["To"] == RECIPIENT
    assert on_disk["X-Mailcatcher-Rcpt-To"] == RECIPIENT
    assert on_disk["Subject"] == SUBJECT
    assert on_disk.get_body(("plain",)).get_content().replace("\r\n", "\n") == TEXT


async def test_arrival_order_reload_and_delete(catcher, tmp_path):
    for i in range(3):
        msg = _message()
        msg.replace_header("Subject", f"Message n°{i}")
        await _send(catcher, msg)
    names = [f.name for f in sorted(catcher.directory.glob("*.eml"))]
    assert [m.path.name for m in catcher.messages] == names
    assert [m.subject for m in catcher.messages] == ["Message n°0", "Message n°1", "Message n°2"]

    # A second catcher on the same directory reloads the stored messages.
    again = MailCatcher(smtp_port=0, http_port=0, directory=catcher.directory)
    await again.start()
    try:
        assert [m.subject for m in again.messages] == ["Message n°0", "Message n°1", "Message n°2"]
        assert again.messages[0].to == [RECIPIENT]
    finally:
        await again.stop()

    async with aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{catcher.http_port}"
        async with http.delete(f"{base}/api/messages") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/api/messages") as resp:
            assert await resp.json() == []
    assert catcher.messages == []
    assert list(catcher.directory.glob("*.eml")) == []
