"""An example subscriber for another municipal system: the central kitchen counts tomorrow's meals
per structure from the portal's public `booking.transmitted.v2` events (identifiers and facts only: the
kitchen counts meals, it never learns whose), and stops counting the meals of the bookings a mass closure
(strike, weather, a closed school: `booking.closed.v1`) cancelled, without waiting for the night.

It shows what docs/integration.md describes: a queue of its own bound to the `portail.events` topic
exchange, at-least-once delivery handled by remembering each `event_id` (SQLite here), and only the
public contract used (the envelope and the payload, no code of the portal's services).

    python -m examples.kitchen_counter --amqp amqp://guest:guest@127.0.0.1:5672/ --db kitchen.sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import aio_pika

EXCHANGE = "portail.events"
PARIS = ZoneInfo("Europe/Paris")
ROUTING_KEY = "booking.transmitted.v2"
CLOSED_KEY = "booking.closed.v1"
MEAL_WORDS = ("restauration", "repas", "cantine")


class MealCounts:
    def __init__(self, path: str):
        self.db = sqlite3.connect(path)
        self.db.executescript(
            """CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY);
               CREATE TABLE IF NOT EXISTS meals (booking_id TEXT PRIMARY KEY, structure TEXT, day TEXT);""")

    def apply(self, envelope: dict) -> bool:
        """Apply one event once; returns False for a redelivered one."""
        with self.db:  # one transaction: the event is remembered with its effect
            try:
                self.db.execute("INSERT INTO seen (event_id) VALUES (?)", (envelope["event_id"],))
            except sqlite3.IntegrityError:
                return False
            payload = envelope["payload"]
            if envelope["type"] == "booking.closed":
                # a closure cancelled these bookings: their meals are not cooked (the night's transmission
                # repeats the cancellations later; deleting twice changes nothing)
                self.db.executemany("DELETE FROM meals WHERE booking_id = ?",
                                    [(b,) for b in payload["cancelled_booking_ids"]])
                return True
            for line in payload["lines"]:
                if not any(word in line["activity_name"].lower() for word in MEAL_WORDS):
                    continue
                if line["kind"] == "reserve" and line["outcome"] == "accepted":
                    self.db.execute("INSERT OR IGNORE INTO meals VALUES (?, ?, ?)",
                                    (line["booking_id"], payload["structure_name"], line["date"]))
                elif line["kind"] == "cancel":
                    self.db.execute("DELETE FROM meals WHERE booking_id = ?", (line["booking_id"],))
        return True

    def for_day(self, day: date) -> dict[str, int]:
        rows = self.db.execute("SELECT structure, count(*) FROM meals WHERE day = ? GROUP BY structure ORDER BY 1",
                               (day.isoformat(),))
        return dict(rows.fetchall())


async def consume(amqp_url: str, counts: MealCounts, queue_name: str = "kitchen.booking.transmitted.v2",
                  stop: asyncio.Event | None = None) -> None:
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1)  # one at a time: the portal's order per family is kept
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, routing_key=ROUTING_KEY)
        await queue.bind(exchange, routing_key=CLOSED_KEY)
        async with queue.iterator() as messages:
            async for message in messages:
                async with message.process(requeue=True):
                    counts.apply(json.loads(message.body))
                if stop is not None and stop.is_set():
                    break


def main() -> None:
    parser = argparse.ArgumentParser(description="Compte les repas de demain par structure.")
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--db", default="kitchen.sqlite")
    args = parser.parse_args()
    counts = MealCounts(args.db)

    async def run() -> None:
        task = asyncio.create_task(consume(args.amqp, counts))
        while True:
            await asyncio.sleep(10)
            tomorrow = datetime.now(PARIS).date() + timedelta(days=1)  # the kitchen's tomorrow, in France
            for structure, meals in counts.for_day(tomorrow).items():
                print(f"{tomorrow:%d/%m/%Y} — {structure} : {meals} repas")
            if task.done():
                task.result()

    asyncio.run(run())


if __name__ == "__main__":
    main()
