"""billing's batched subscription in a process of its own, as the billing service runs it beside booking's
relay (bench.outbox_throughput starts it for its consumer, end-to-end and lag phases):

    python -m bench.outbox_throughput.consumer AMQP_URL DSN PARTITIONS PREFETCH BATCH   (until SIGTERM)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from bench.outbox_throughput import portal
from kit import db
from kit.logging import configure_logging
from services.billing.service import consumption_batches, consumptions


async def main(amqp_url: str, dsn: str, partitions: int, prefetch: int, batch: int) -> None:
    configure_logging("bench-consumer", "WARNING")
    for module in (consumptions, consumption_batches):  # no tariff for the bench's activities: expected
        logging.getLogger(module.__name__).setLevel(logging.ERROR)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    pool = await db.create_pool(dsn)
    broker = await portal.start_consumer(amqp_url, pool, partitions, prefetch, batch)
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        await broker.stop()
        await pool.close()


if __name__ == "__main__":
    url, dsn, partitions, prefetch, batch = sys.argv[1:6]
    profile = os.environ.get("BENCH_CONSUMER_PROFILE")  # a file: the consumer's cProfile statistics
    if profile:
        import cProfile

        with cProfile.Profile() as profiler:
            asyncio.run(main(url, dsn, int(partitions), int(prefetch), int(batch)))
        profiler.dump_stats(profile)
    else:
        asyncio.run(main(url, dsn, int(partitions), int(prefetch), int(batch)))
