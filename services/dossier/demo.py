"""Demo: the 2026-2027 dossier campaign is open (for `make run`)."""

from __future__ import annotations

import uuid

from services.dossier.store import Tx

DEMO_CAMPAIGN_ID = uuid.UUID("5f1c1d2e-0000-4000-a000-000000000001")


async def load(_settings, pool) -> None:
    async with pool.acquire() as conn:
        await Tx(conn).create_campaign(DEMO_CAMPAIGN_ID, "2026-2027")
