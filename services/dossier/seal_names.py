"""Seal the file names of documents stored before they were sealed (migration 003 adds the column; the
key is only known to the service, so the service seals them, at start-up, before serving). Idempotent:
each row is sealed once, in batches, and a second run finds nothing to do."""

from __future__ import annotations

import asyncpg

from kit.logging import get_logger
from services.dossier.domain.crypto import Sealer

log = get_logger(__name__)
BATCH = 500


async def seal_clear_names(pool: asyncpg.Pool, sealer: Sealer) -> int:
    """Seal every clear `display_name`; returns how many were sealed."""
    sealed = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch("SELECT id, display_name FROM documents WHERE display_name IS NOT NULL "
                                    "LIMIT $1 FOR UPDATE SKIP LOCKED", BATCH)
            if not rows:
                break
            await conn.executemany(
                "UPDATE documents SET name_sealed = $2, display_name = NULL WHERE id = $1",
                [(r["id"], sealer.seal(r["display_name"].encode("utf-8"))) for r in rows])
            sealed += len(rows)
    if sealed:
        log.info("document names sealed", documents=sealed)
    return sealed
