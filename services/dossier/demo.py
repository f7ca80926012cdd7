"""Demo: the 2026-2027 dossier campaign is open (for `make run`)."""

from __future__ import annotations

import uuid


async def load(_settings, pool) -> None:
    await pool.execute("INSERT INTO campaigns (id, school_year) VALUES ($1, '2026-2027') ON CONFLICT DO NOTHING",
                       uuid.UUID("5f1c1d2e-0000-4000-a000-000000000001"))
