"""A `notify.send` command written in a producer's outbox becomes a real mail in the catcher."""

from __future__ import annotations

import asyncpg

from contracts import NotifySendV1
from kit import outbox
from services.auth.app import service as auth
from services.notify.app import service as notify
from tests.conftest import database_url, eventually
from tools.mailcatcher import MailCatcher


async def test_password_reset_command_arrives_as_a_french_mail(run_service, db_prefix, tmp_path):
    catcher = MailCatcher(smtp_port=0, http_port=0, directory=tmp_path / "mail")
    await catcher.start()
    try:
        async with run_service(notify, smtp_port=catcher.smtp_port), run_service(auth):
            conn = await asyncpg.connect(database_url(db_prefix, "auth"))
            try:
                async with conn.transaction():
                    envelope = await outbox.add(conn, NotifySendV1(
                        to=["jean-paul.dupont@example.fr"], template="password_reset",
                        params={"identifiant": "DUPONT-0042",
                                "lien": "https://portail.example.fr/reinitialiser/abc123"}), producer="auth")
            finally:
                await conn.close()

            async def arrived():
                return [m for m in catcher.messages if "jean-paul.dupont@example.fr" in m.to]

            [mail] = await eventually(arrived)
            notify_db = await asyncpg.connect(database_url(db_prefix, "notify"))
            try:
                delivery = await eventually(lambda: notify_db.fetchrow(
                    "SELECT status, attempts, recipients FROM deliveries WHERE event_id=$1 AND status='sent'",
                    envelope.event_id))
            finally:
                await notify_db.close()
    finally:
        await catcher.stop()

    assert mail.subject == "Portail Famille : réinitialisation de votre mot de passe"
    assert "Vous avez demandé la réinitialisation du mot de passe de votre compte « DUPONT-0042 »" in mail.text
    assert "https://portail.example.fr/reinitialiser/abc123" in mail.text
    assert mail.html and 'href="https://portail.example.fr/reinitialiser/abc123"' in mail.html
    assert delivery["attempts"] == 1 and delivery["recipients"] == ["jean-paul.dupont@example.fr"]
    assert len(catcher.messages) == 1  # sent once
