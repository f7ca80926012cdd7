"""auth as an owner of facts: the resync, its current facts republished as the usual events with their
versions (kit/consistency.py; `python -m services.auth resync [--family ID | --structure ID | --all]`)."""

from __future__ import annotations

import uuid

from kit.outbox import Producer
from services.auth.service import facts as publish

FAMILIES_PER_TRANSACTION = 200


async def resync(store, producer: Producer, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    """Republish the current facts — one family, one structure (itself and its families), or everything —
    as auth.structure_changed and auth.family_changed (+ contacts) with their current versions."""
    async with store.connection() as conn:
        if family_id is not None:
            structures: list[uuid.UUID] = []
        else:
            structures = await store.structure_ids(conn, structure_id)
        families = await store.family_ids(conn, family_id, structure_id)
    async with store.transaction() as conn:
        for sid in structures:
            await publish.structure_changed(conn, store, producer, sid)
    for start in range(0, len(families), FAMILIES_PER_TRANSACTION):
        async with store.transaction() as conn:
            for fid in families[start:start + FAMILIES_PER_TRANSACTION]:
                await publish.family_changed(conn, store, producer, fid, snapshot=True)
    return {"structures": len(structures), "families": len(families)}
