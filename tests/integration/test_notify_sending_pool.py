"""notify's SMTP pool against the real PostgreSQL and an SMTP server in this process: the outcomes of the
mails several sessions finished are recorded together, each by its own rule (a refused recipient is retried
alone, the others are sent and told), and a session has at most one mail 'sending' at any time (what bounds
the repeats after a crash)."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest
from aiosmtpd.smtp import SMTP

from kit import db, migrations
from services.notify.app import service as notify
from services.notify.mailer import Mailer
from services.notify.service.sending import DeliverySender
from services.notify.store.sending import SENDING_LOCK
from tests.conftest import database_url
from tools.mailcatcher import MailCatcher

MAIL_FROM = "Portail Famille <ne-pas-repondre@example.fr>"
REFUSED = "boite-pleine@example.fr"


class Server:
    """Accepts every mail but those to REFUSED (451: try again later); with `hold`, keeps each mail at
    DATA until `release` is set, counting the mails held."""

    def __init__(self, hold: bool = False):
        self.received: list[list[str]] = []
        self.held = 0
        self.hold = hold
        self.release = asyncio.Event()
        self.holding = asyncio.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "451 4.2.2 Boite pleine, reessayez plus tard"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold:
            async with self.holding:
                self.held += 1
                self.holding.notify_all()
            await self.release.wait()
        self.received.append(list(envelope.rcpt_tos))
        return "250 2.0.0 Ok: queued"


@pytest.fixture
async def notify_db(db_prefix):
    dsn = database_url(db_prefix, f"pool{uuid.uuid4().hex[:6]}_notify")
    await db.ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await migrations.apply(conn, migrations.service_migrations("notify", notify.migrations_dir))
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    try:
        yield dsn, pool
    finally:
        await pool.close()


async def add_deliveries(pool: asyncpg.Pool, recipients: list[str]) -> list[int]:
    return [await pool.fetchval(
        """INSERT INTO deliveries (event_id, template, recipients, subject, body_text, body_html)
           VALUES ($1, 'message', $2, 'Compte-rendu de vos réservations', 'Bonjour,\nvoici le compte-rendu.',
                   '<p>Bonjour</p>') RETURNING id""", uuid.uuid4(), [to]) for to in recipients]


async def smtp_server(handler: Server):
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def sending_locks(pool: asyncpg.Pool) -> int:
    """The sending locks held on this database's deliveries (by any connection)."""
    return await pool.fetchval(
        """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""", SENDING_LOCK)


async def test_a_batch_with_one_refused_recipient_sends_the_others_and_retries_that_one(notify_db):
    dsn, pool = notify_db
    handler = Server()
    server, port = await smtp_server(handler)
    recipients = [f"famille{i}@example.fr" for i in range(5)]
    recipients.insert(2, REFUSED)
    ids = await add_deliveries(pool, recipients)
    try:
        sender = DeliverySender(pool, dsn, Mailer("127.0.0.1", port), MAIL_FROM, retry_delays=(600, 1800),
                                sessions=3)
        await sender.drain()
    finally:
        server.close()

    rows = {r["id"]: r for r in await pool.fetch(
        """SELECT id, status, attempts, smtp_answer, sent_at,
                  next_attempt_at > now() + interval '500 seconds' AS retry_later FROM deliveries""")}
    refused = rows.pop(ids[2])
    # the refused one alone waits for its retry, with the server's answer, after its first attempt
    assert refused["status"] == "pending" and refused["attempts"] == 1 and refused["retry_later"]
    assert refused["smtp_answer"].startswith("451") and refused["sent_at"] is None
    # the others were sent once each, and told
    assert {r["status"] for r in rows.values()} == {"sent"}
    assert all(r["attempts"] == 1 and r["smtp_answer"] and r["sent_at"] for r in rows.values())
    assert sorted(to for [to] in handler.received) == sorted(recipients[:2] + recipients[3:])
    told = [json.loads(r["body"])["payload"] for r in await pool.fetch("SELECT body::text AS body FROM outbox")]
    assert sorted(e["delivery_id"] for e in told) == sorted(rows)
    assert await sending_locks(pool) == 0  # every delivery's lock released with its outcome


async def test_a_session_has_at_most_one_mail_sending_at_a_time(notify_db):
    """A crash repeats only the mails 'sending' (perhaps handed over, never recorded): one per session."""
    dsn, pool = notify_db
    handler = Server(hold=True)
    server, port = await smtp_server(handler)
    ids = await add_deliveries(pool, [f"famille{i}@example.fr" for i in range(7)])
    sender = DeliverySender(pool, dsn, Mailer("127.0.0.1", port), MAIL_FROM, sessions=3)
    drain = asyncio.create_task(sender.drain())
    try:
        async with handler.holding:  # bounded, so that a regression fails instead of hanging
            await asyncio.wait_for(handler.holding.wait_for(lambda: handler.held == 3), 60)
        states = dict(await pool.fetch("SELECT status, count(*) FROM deliveries GROUP BY status"))
        assert states == {"sending": 3, "pending": 4}
        assert await sending_locks(pool) == 3  # shown alive to the other senders
        handler.release.set()
        await drain
    finally:
        handler.release.set()
        drain.cancel()
        server.close()
    assert dict(await pool.fetch("SELECT status, count(*) FROM deliveries GROUP BY status")) == {"sent": 7}
    assert await pool.fetchval("SELECT count(*) FROM outbox") == len(ids) == len(handler.received)
    assert await pool.fetchval("SELECT sum(repeats) FROM deliveries") == 0


async def test_mails_reach_the_catcher_as_written_also_to_an_address_that_is_not_ascii(notify_db, tmp_path):
    dsn, pool = notify_db
    catcher = MailCatcher(smtp_port=0, http_port=0, directory=tmp_path / "mail")
    await catcher.start()
    try:
        await add_deliveries(pool, ["jp.dupont@example.fr", "élodie@exemple.fr"])
        await DeliverySender(pool, dsn, Mailer("127.0.0.1", catcher.smtp_port), MAIL_FROM, sessions=2).drain()
    finally:
        await catcher.stop()
    assert sorted(m.to[0] for m in catcher.messages) == ["jp.dupont@example.fr", "élodie@exemple.fr"]
    for mail in catcher.messages:
        assert mail.subject == "Compte-rendu de vos réservations"
        assert mail.text == "Bonjour,\nvoici le compte-rendu.\n" and mail.html == "<p>Bonjour</p>\n"
    assert await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'sent'") == 2
