"""notify on the real RabbitMQ, PostgreSQL and an SMTP catcher: events in, mails out, read back;
duplicates; SMTP down then up; a permanent refusal recorded as failed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import uuid

import aio_pika
import asyncpg
from aiosmtpd.smtp import SMTP

from contracts import BookingTransmittedV1, TransmittedLine, wrap
from contracts.auth import AuthFamilyContactsV1
from contracts.billing import BillingPaymentReceivedV1
from contracts.booking import BookingWaitlistPromotedV1
from contracts.dossier import DossierSheetReviewedV1
from kit import bus
from kit import identity as ident
from services.notify.app import service as notify
from tests.conftest import SECRET, database_url, eventually
from tools.mailcatcher import MailCatcher

FAST = {"retry_delays_seconds": "0.3,0.3,0.3", "delivery_poll_seconds": 0.2, "digest_scheduler": False,
        "public_url": "https://portail.example.fr/"}


async def publish(amqp_url: str, payload, producer: str = "test", event=None) -> uuid.UUID:
    envelope = event or wrap(payload, producer=producer)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(bus.exchange_name(type(payload)))
        await exchange.publish(aio_pika.Message(envelope.model_dump_json().encode(),
                                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               routing_key=payload.routing_key())
    return envelope.event_id


def contacts(family: uuid.UUID, *emails: str) -> AuthFamilyContactsV1:
    return AuthFamilyContactsV1(family_id=family, account_id=uuid.uuid4(), emails=list(emails),
                                greeting="M. DUPONT Jean-Paul")


CHILDREN: dict[str, uuid.UUID] = {}


def movement(child: str, activity: str, day: dt.date, kind="reserve", outcome="accepted") -> TransmittedLine:
    child_id = CHILDREN.setdefault(child, uuid.uuid4())
    return TransmittedLine(booking_id=uuid.uuid4(), child_id=child_id, child_first_name=child,
                           child_last_name="DUPONT", activity_id=uuid.uuid4(), activity_name=activity, date=day,
                           kind=kind, outcome=outcome)


async def digest_now(url: str) -> dict:
    import aiohttp

    admin = ident.issue(ident.Identity(subject="admin", role="admin"), SECRET)
    async with aiohttp.ClientSession() as http, \
            http.post(f"{url}/v1/digests", headers={ident.HEADER: admin}) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_digest_once_per_family_from_the_nights_events(run_service, amqp_url, db_prefix, tmp_path):
    catcher = MailCatcher(smtp_port=0, http_port=0, directory=tmp_path / "mail")
    await catcher.start()
    family, quiet = uuid.uuid4(), uuid.uuid4()
    listener = await aio_pika.connect(amqp_url)
    try:
        async with run_service(notify, smtp_port=catcher.smtp_port, **FAST) as url:
            mail_sent = await (await listener.channel()).declare_queue(exclusive=True)
            await mail_sent.bind(bus.EVENTS_EXCHANGE, routing_key="notify.mail_sent.v1")
            await publish(amqp_url, contacts(family, "jp.dupont@example.fr", "marie.dupont@example.fr"))
            await publish(amqp_url, contacts(quiet, "calme@example.fr"))
            night = uuid.uuid4()
            event = BookingTransmittedV1(
                transmission_id=night, family_id=family, structure_id=uuid.uuid4(),
                structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC),
                lines=[movement("Paolo", "APS MATIN", dt.date(2027, 5, 10)),
                       movement("Paolo", "APS MATIN", dt.date(2027, 5, 11)),
                       movement("Amalia", "APS MATIN", dt.date(2027, 5, 17), outcome="waitlisted"),
                       movement("Paolo", "RESTAURATION", dt.date(2027, 5, 7), kind="cancel", outcome="cancelled")])
            envelope = wrap(event, producer="booking")
            await publish(amqp_url, event, event=envelope)
            await publish(amqp_url, event, event=envelope)  # redelivered: still one digest
            db = database_url(db_prefix, "notify")

            async def stored():
                conn = await asyncpg.connect(db)
                try:
                    return await conn.fetchval("SELECT count(*) FROM digest_movements WHERE family_id = $1", family)
                finally:
                    await conn.close()

            await eventually(stored)
            await asyncio.sleep(0.5)
            first = await digest_now(url)
            assert first["mails"] >= 1
            second = await digest_now(url)
            assert second["mails"] == 0

            async def arrived():
                return [m for m in catcher.messages if "jp.dupont@example.fr" in m.to]

            [mail] = await eventually(arrived)

            async def mail_sent_events():
                found = []
                while (message := await mail_sent.get(fail=False, no_ack=True)) is not None:
                    found.append(json.loads(message.body))
                return found

            sent = await eventually(mail_sent_events)
            await asyncio.sleep(0.5)
            sent += await mail_sent_events()
    finally:
        await catcher.stop()
        await listener.close()
    assert sorted(mail.to) == ["jp.dupont@example.fr", "marie.dupont@example.fr"]
    assert mail.subject == "Compte-rendu de vos réservations — Mairie de CarteVille"
    text = mail.text
    assert text.startswith("M. DUPONT Jean-Paul\n")
    assert "sur la structure : Mairie de CarteVille." in text
    assert "4 mouvements sur vos demandes de réservations ont été reçus, dont :" in text
    assert "- 3 nouvelles demandes de réservation\n- 1 demande d'annulation" in text
    assert text.index("***** RESERVATIONS MISES EN LISTE D'ATTENTE *****") < text.index(
        "***** RESERVATIONS ACCEPTEES *****") < text.index("***** RESERVATIONS ANNULEES *****")
    assert "DUPONT Paolo : lun. 10/05, mar. 11/05" in text
    assert "DUPONT Amalia : lun. 17/05" in text
    assert "--> Activité : RESTAURATION :\n\nDUPONT Paolo : ven. 07/05" in text
    assert "Vous pouvez consulter l'état de vos réservations sur notre site Internet." in text
    assert mail.html and "https://portail.example.fr/" in mail.html
    assert not [m for m in catcher.messages if "calme@example.fr" in m.to]  # no movement, no digest
    assert len([m for m in catcher.messages if "jp.dupont@example.fr" in m.to]) == 1

    digest_sent = [e for e in sent if e["payload"]["template"] == "digest"
                   and e["payload"]["family_id"] == str(family)]
    assert len(digest_sent) == 1 and digest_sent[0]["payload"]["recipients"] == 2
    assert "jp.dupont" not in json.dumps(sent) and "Paolo" not in json.dumps(sent)


async def test_promotion_review_and_payment_ticket_mails(run_service, amqp_url, tmp_path):
    catcher = MailCatcher(smtp_port=0, http_port=0, directory=tmp_path / "mail")
    await catcher.start()
    family = uuid.uuid4()
    try:
        async with run_service(notify, smtp_port=catcher.smtp_port, **FAST):
            await publish(amqp_url, contacts(family, "premier@example.fr", "second@example.fr"))
            await asyncio.sleep(0.3)
            await publish(amqp_url, BookingWaitlistPromotedV1(
                booking_id=uuid.uuid4(), family_id=family, structure_id=uuid.uuid4(), child_id=uuid.uuid4(),
                child_first_name="Amalia", child_last_name="Dupont", activity_id=uuid.uuid4(),
                activity_name="APS MATIN", date=dt.date(2027, 5, 17), promoted_at=dt.datetime.now(dt.UTC)))
            await publish(amqp_url, DossierSheetReviewedV1(
                family_id=family, sheet_id=uuid.uuid4(), sheet_kind="sanitaire", sheet_label="Fiche sanitaire",
                child_id=uuid.uuid4(), child_first_name="Léa", child_last_name="DUPONT", decision="refused",
                reason="Le carnet de vaccination est illisible.", reviewed_at=dt.datetime.now(dt.UTC)))
            await publish(amqp_url, BillingPaymentReceivedV1(
                payment_id=uuid.uuid4(), family_id=family, structure_id=uuid.uuid4(),
                structure_name="Mairie de CarteVille", amount_cents=7877, method="card", reference="PF-000123",
                received_at=dt.datetime(2026, 11, 29, 13, 5, tzinfo=dt.UTC)))

            async def three():
                return catcher.messages if len(catcher.messages) >= 3 else None

            messages = await eventually(three)
    finally:
        await catcher.stop()
    by_subject = {m.subject: m for m in messages}
    promoted = by_subject["Portail Famille : réservation acceptée depuis la liste d'attente"]
    assert "DUPONT Amalia" in promoted.text and "lundi 17 mai 2027" in promoted.text
    assert sorted(promoted.to) == ["premier@example.fr", "second@example.fr"]
    refused = by_subject["Portail Famille : votre fiche doit être complétée"]
    assert "Le carnet de vaccination est illisible." in refused.text
    ticket = by_subject["Portail Famille : ticket de paiement"]
    assert ticket.to == ["premier@example.fr"]  # the first address only
    assert "78,77 €" in ticket.text and "Carte bancaire" in ticket.text and "29/11/2026 à 14:05" in ticket.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_smtp_down_then_up_loses_nothing(run_service, amqp_url, db_prefix, tmp_path):
    from contracts import NotifySendV1

    port = free_port()  # nothing listens there yet: connection refused
    async with run_service(notify, smtp_port=port, **{**FAST, "retry_delays_seconds": "0.5,0.5,0.5,0.5,0.5,0.5"}):
        event_id = await publish(amqp_url, NotifySendV1(to=["attente@example.fr"], template="message",
                                                        params={"objet": "Essai", "texte": "Bonjour"}))
        db = database_url(db_prefix, "notify")

        async def attempted():
            conn = await asyncpg.connect(db)
            try:
                return await conn.fetchrow("SELECT status, attempts, smtp_answer FROM deliveries "
                                           "WHERE event_id = $1 AND attempts >= 1", event_id)
            finally:
                await conn.close()

        row = await eventually(attempted)
        assert row["status"] == "pending"
        catcher = MailCatcher(smtp_port=port, http_port=0, directory=tmp_path / "mail")
        await catcher.start()
        try:
            async def arrived():
                return [m for m in catcher.messages if "attente@example.fr" in m.to]

            [mail] = await eventually(arrived)
            assert mail.subject == "Essai"
        finally:
            await catcher.stop()
        conn = await asyncpg.connect(db)
        try:
            row = await conn.fetchrow("SELECT status, attempts FROM deliveries WHERE event_id = $1", event_id)
        finally:
            await conn.close()
        assert row["status"] == "sent" and row["attempts"] >= 2


class Refusing:
    """An SMTP server that refuses every recipient for good (550)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Destinataire inconnu"


async def test_permanent_refusal_is_recorded_failed_and_shown_to_staff(run_service, amqp_url, db_prefix):
    import aiohttp

    from contracts import NotifySendV1

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Refusing()), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with run_service(notify, smtp_port=port, **FAST) as url:
            event_id = await publish(amqp_url, NotifySendV1(to=["inconnu@example.fr"], template="message",
                                                            params={"objet": "Refusé", "texte": "Bonjour"}))
            db = database_url(db_prefix, "notify")

            async def failed():
                conn = await asyncpg.connect(db)
                try:
                    return await conn.fetchrow("SELECT status, attempts, smtp_answer FROM deliveries "
                                               "WHERE event_id = $1 AND status = 'failed'", event_id)
                finally:
                    await conn.close()

            row = await eventually(failed)
            assert row["attempts"] == 1 and "550" in row["smtp_answer"]
            admin = ident.issue(ident.Identity(subject="admin", role="admin"), SECRET)
            staff = ident.issue(ident.Identity(subject="agent", role="staff", structures=(uuid.uuid4(),)), SECRET)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{url}/v1/deliveries?status=failed", headers={ident.HEADER: admin}) as resp:
                    listed = (await resp.json())["deliveries"]
                # a mail about no structure (an account's) is for administrators only
                async with http.get(f"{url}/v1/deliveries?status=failed", headers={ident.HEADER: staff}) as resp:
                    assert all(d["subject"] != "Refusé" for d in (await resp.json())["deliveries"])
            assert any(d["subject"] == "Refusé" and "550" in d["smtp_answer"] for d in listed)
            assert "inconnu@example.fr" not in json.dumps(listed)
    finally:
        server.close()


async def test_old_mail_bodies_are_purged_but_the_log_is_kept(run_service, amqp_url, db_prefix, tmp_path):
    from contracts import NotifySendV1
    from services.notify.mailer import Mailer
    from services.notify.service.sending import DeliverySender

    catcher = MailCatcher(smtp_port=0, http_port=0, directory=tmp_path / "mail")
    await catcher.start()
    try:
        async with run_service(notify, smtp_port=catcher.smtp_port, **FAST):
            event_id = await publish(amqp_url, NotifySendV1(to=["ancien@example.fr"], template="password_reset",
                                                            params={"identifiant": "X", "lien": "https://l/secret"}))
            db = database_url(db_prefix, "notify")
            pool = await asyncpg.create_pool(db, min_size=1, max_size=2)
            try:
                async def sent():
                    return await pool.fetchval("SELECT status = 'sent' FROM deliveries WHERE event_id = $1", event_id)

                await eventually(sent)
                await pool.execute("UPDATE deliveries SET created_at = now() - interval '31 days' WHERE event_id = $1",
                                   event_id)
                await DeliverySender(pool, db, Mailer("127.0.0.1", 1), "x@example.fr").purge_old_bodies()
                row = await pool.fetchrow("SELECT status, subject, body_text, body_html FROM deliveries "
                                          "WHERE event_id = $1", event_id)
            finally:
                await pool.close()
    finally:
        await catcher.stop()
    assert row["status"] == "sent" and row["subject"]  # the log stays
    assert row["body_text"] == "" and row["body_html"] is None  # the link does not
