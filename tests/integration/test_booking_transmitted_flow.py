"""The design card's headline flow on the real PostgreSQL and RabbitMQ: booking's outbox →
booking.transmitted.v1 → notify (digest) and billing (movements), each once."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from contracts import BookingTransmittedV1, TransmittedLine
from kit import bus
from services.billing.app import service as billing
from services.booking.app import service as booking
from services.booking.service import transmission
from services.booking.store import Store
from services.notify.app import service as notify
from tests.conftest import database_url, eventually


def transmitted(family_id: uuid.UUID, transmission_id: uuid.UUID, n_lines: int = 2) -> BookingTransmittedV1:
    child = uuid.uuid4()
    return BookingTransmittedV1(
        transmission_id=transmission_id, family_id=family_id, structure_id=uuid.uuid4(),
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC),
        lines=[TransmittedLine(booking_id=uuid.uuid4(), child_id=child, child_first_name="Léa",
                               child_last_name="DUPONT", activity_id=uuid.uuid4(), activity_name="APS MATIN",
                               date=dt.date(2027, 5, 15) + dt.timedelta(days=i), kind="reserve",
                               outcome="accepted") for i in range(n_lines)])


async def count(dsn: str, sql: str, *args) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_transmitted_event_reaches_notify_and_billing_once_each(run_service, db_prefix):
    family = uuid.uuid4()
    async with run_service(notify), run_service(billing), run_service(booking):
        conn = await asyncpg.connect(database_url(db_prefix, "booking"))
        try:
            await transmission.record(Store(conn), uuid.uuid4(), [transmitted(family, uuid.uuid4(), n_lines=3)])
        finally:
            await conn.close()

        notify_db, billing_db = database_url(db_prefix, "notify"), database_url(db_prefix, "billing")
        await eventually(lambda: count(notify_db, "SELECT count(*) FROM digest_movements WHERE family_id=$1", family))
        await eventually(lambda: count(billing_db, "SELECT count(*) FROM booking_movements WHERE family_id=$1", family))
        # the relay marked it sent
        await eventually(lambda: count(database_url(db_prefix, "booking"),
                                       "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))

    assert await count(notify_db, "SELECT count(*) FROM digest_movements WHERE family_id=$1", family) == 1
    assert await count(billing_db, "SELECT count(*) FROM booking_movements WHERE family_id=$1", family) == 3
    assert await count(notify_db, "SELECT count(*) FROM inbox WHERE event_type='booking.transmitted'") >= 1
    assert await count(billing_db, "SELECT count(*) FROM inbox WHERE event_type='booking.transmitted'") >= 1


def test_each_consumer_has_its_own_queue():
    assert bus.queue_name("notify", BookingTransmittedV1) == "notify.booking.transmitted.v1"
    assert bus.queue_name("billing", BookingTransmittedV1) == "billing.booking.transmitted.v1"
