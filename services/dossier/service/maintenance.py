"""dossier's maintenance scripts: sealing the document names stored in clear before migration 003 (at
start-up, before serving), and the resync that republishes the facts dossier owns (quotients familiaux
and signed règlements intérieurs, with the versions they were published with)."""

from __future__ import annotations

import uuid

import asyncpg

from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesSignedV1
from kit.logging import get_logger
from kit.outbox import Producer
from services.dossier.domain.crypto import Sealer
from services.dossier.store import Store, facts

log = get_logger(__name__)
SEAL_BATCH = 500
PER_TRANSACTION = 500


async def seal_clear_names(pool: asyncpg.Pool, sealer: Sealer) -> int:
    """Seal every clear file name, in batches; idempotent (a second run finds nothing). How many were sealed."""
    store, sealed = Store(pool, sealer), 0
    while True:
        async with store.transaction() as tx:
            done = await tx.seal_clear_names(SEAL_BATCH)
        if not done:
            break
        sealed += done
    if sealed:
        log.info("document names sealed", documents=sealed)
    return sealed


async def resync(pool: asyncpg.Pool, outbox: Producer, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    """Republish the current quotients and signatures — of one family, of one structure's families, or
    all — with the versions they were published with (reviewed_at, signed_at)."""
    families = await facts.families_of_structure(pool, structure_id) if structure_id is not None else None
    payloads: list = []
    quotients = signatures = 0
    for q in await facts.current_quotients(pool):
        if family_id is not None and q.family_id != family_id:
            continue
        if family_id is None and families is not None and q.family_id not in families:
            continue
        payloads.append(DossierFamilyUpdatedV1(family_id=q.family_id, family_quotient=q.family_quotient,
                                               allocataire_regime=q.allocataire_regime, updated_at=q.reviewed_at))
        quotients += 1
    for s in await facts.latest_signatures(pool):
        if structure_id is not None and family_id is None and s.structure_id != structure_id \
                and s.family_id not in (families or set()):
            continue
        if family_id is not None and s.family_id != family_id:
            continue
        payloads.append(DossierHouseRulesSignedV1(family_id=s.family_id, child_id=s.child_id,
                                                  structure_id=s.structure_id, school_year=s.school_year,
                                                  signed_at=s.signed_at, version=s.version))
        signatures += 1
    for start in range(0, len(payloads), PER_TRANSACTION):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add_many(conn, payloads[start:start + PER_TRANSACTION])
    return {"quotients": quotients, "house_rules": signatures}
