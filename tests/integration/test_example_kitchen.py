"""The example subscriber in examples/ runs against the real broker: it binds its own queue and
counts the meals from the portal's public events, once each even when redelivered."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import aio_pika

from contracts import wrap
from contracts.booking import BookingTransmittedV2, TransmittedLineV2
from examples.kitchen_counter import MealCounts, consume
from tests.conftest import eventually


def line(day, activity="RESTAURATION SCOLAIRE", kind="reserve", outcome="accepted", booking=None):
    return TransmittedLineV2(booking_id=booking or uuid.uuid4(), child_id=uuid.uuid4(), activity_id=uuid.uuid4(),
                             activity_name=activity, date=day, kind=kind, outcome=outcome)


async def test_kitchen_counts_tomorrows_meals_per_structure(amqp_url, tmp_path):
    tomorrow = dt.date(2027, 2, 26)  # a fixed day: the kitchen counts whichever day it is asked for
    counts = MealCounts(str(tmp_path / "kitchen.sqlite"))
    stop = asyncio.Event()
    task = asyncio.create_task(consume(amqp_url, counts, queue_name=f"kitchen-{uuid.uuid4().hex[:6]}", stop=stop))
    await asyncio.sleep(1.0)  # the kitchen's queue is bound

    cancelled = uuid.uuid4()
    events = [
        BookingTransmittedV2(transmission_id=uuid.uuid4(), family_id=uuid.uuid4(), structure_id=uuid.uuid4(),
                             structure_name="École Jules Ferry", transmitted_at=dt.datetime.now(dt.UTC),
                             lines=[line(tomorrow), line(tomorrow), line(tomorrow, "APS MATIN"),
                                    line(tomorrow, outcome="waitlisted"), line(tomorrow, booking=cancelled)]),
        BookingTransmittedV2(transmission_id=uuid.uuid4(), family_id=uuid.uuid4(), structure_id=uuid.uuid4(),
                             structure_name="École du Bourg", transmitted_at=dt.datetime.now(dt.UTC),
                             lines=[line(tomorrow), line(tomorrow + dt.timedelta(days=1))]),
    ]
    later = BookingTransmittedV2(transmission_id=uuid.uuid4(), family_id=events[0].family_id,
                                 structure_id=events[0].structure_id, structure_name="École Jules Ferry",
                                 transmitted_at=dt.datetime.now(dt.UTC),
                                 lines=[line(tomorrow, kind="cancel", outcome="cancelled", booking=cancelled)])
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("portail.events")
        envelopes = [wrap(e, producer="booking") for e in (*events, later)]
        for envelope in [*envelopes, envelopes[0]]:  # the first one delivered twice
            await exchange.publish(aio_pika.Message(envelope.model_dump_json().encode()),
                                   routing_key="booking.transmitted.v2")

    async def counted():
        found = counts.for_day(tomorrow)
        return found if found == {"École Jules Ferry": 2, "École du Bourg": 1} else None

    try:
        await eventually(counted)
    finally:
        stop.set()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


async def test_kitchen_stops_counting_the_meals_a_closure_cancelled(amqp_url, tmp_path):
    """A strike closes a school: the public booking.closed event lists the cancelled bookings and the kitchen
    stops counting their meals at once (the night's transmission, later, changes nothing more)."""
    from contracts.closures import BookingClosedV1

    day = dt.date(2027, 3, 4)
    counts = MealCounts(str(tmp_path / "kitchen.sqlite"))
    stop = asyncio.Event()
    task = asyncio.create_task(consume(amqp_url, counts, queue_name=f"kitchen-{uuid.uuid4().hex[:6]}", stop=stop))
    await asyncio.sleep(1.0)
    struck, other = uuid.uuid4(), uuid.uuid4()
    transmitted = BookingTransmittedV2(
        transmission_id=uuid.uuid4(), family_id=uuid.uuid4(), structure_id=uuid.uuid4(),
        structure_name="École Jules Ferry", transmitted_at=dt.datetime.now(dt.UTC),
        lines=[line(day, booking=struck), line(day, booking=other)])
    closed = BookingClosedV1(
        closure_id=uuid.uuid4(), structure_id=transmitted.structure_id, structure_name="École Jules Ferry",
        activity_id=None, start=day, end=day, label="Grève", closed_at=dt.datetime.now(dt.UTC),
        cancelled_booking_ids=[struck])
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("portail.events")
        for payload in (transmitted, closed):
            envelope = wrap(payload, producer="booking")
            await exchange.publish(aio_pika.Message(envelope.model_dump_json().encode()),
                                   routing_key=payload.routing_key())

    async def counted():
        return counts.for_day(day) == {"École Jules Ferry": 1}

    try:
        await eventually(counted)
    finally:
        stop.set()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
